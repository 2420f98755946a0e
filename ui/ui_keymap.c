/*
 * Key maps: which key of an input device stands for which remote key.
 *
 * On the box, DirectFB's input drivers (linux_input for a USB or IR
 * receiver that appears as an evdev device, lirc for LIRC remotes) turn
 * presses into DirectFB key symbols; the "box" lines name those symbols
 * as DirectFB does (directfb_keynames.h, without the DIKS_ prefix).  On
 * the desktop, the emulator window's keyboard arrives as SDL key names
 * ("desktop" lines).  The file format is described in ui.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui/ui.h"

static void add(ui_keymap *m, int desktop, const char *name, ui_key k)
{
    /* A later line for the same source key replaces the earlier one. */
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].desktop == desktop && strcasecmp(m->e[i].name, name) == 0) {
            m->e[i].key = k;
            return;
        }
    if (m->n == UI_KEYMAP_MAX)
        return;
    ui_keymap_entry *e = &m->e[m->n++];
    e->desktop = desktop;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->key = k;
}

void ui_keymap_default(ui_keymap *m)
{
    static const struct { const char *name; ui_key key; } box[] = {
        { "CURSOR_UP", UI_KEY_UP }, { "CURSOR_DOWN", UI_KEY_DOWN },
        { "CURSOR_LEFT", UI_KEY_LEFT }, { "CURSOR_RIGHT", UI_KEY_RIGHT },
        { "OK", UI_KEY_OK }, { "SELECT", UI_KEY_OK }, { "RETURN", UI_KEY_OK },
        { "BACK", UI_KEY_BACK }, { "BACKSPACE", UI_KEY_BACK },
        { "EXIT", UI_KEY_EXIT }, { "ESCAPE", UI_KEY_EXIT },
        { "RED", UI_KEY_RED }, { "GREEN", UI_KEY_GREEN },
        { "YELLOW", UI_KEY_YELLOW }, { "BLUE", UI_KEY_BLUE },
        { "F1", UI_KEY_RED }, { "F2", UI_KEY_GREEN },
        { "F3", UI_KEY_YELLOW }, { "F4", UI_KEY_BLUE },
        { "INFO", UI_KEY_INFO }, { "HELP", UI_KEY_INFO }, { "F5", UI_KEY_INFO },
    };
    static const struct { const char *name; ui_key key; } desk[] = {
        { "Up", UI_KEY_UP }, { "Down", UI_KEY_DOWN },
        { "Left", UI_KEY_LEFT }, { "Right", UI_KEY_RIGHT },
        { "Return", UI_KEY_OK }, { "Keypad Enter", UI_KEY_OK }, { "Space", UI_KEY_OK },
        { "Backspace", UI_KEY_BACK }, { "Escape", UI_KEY_EXIT },
        { "F1", UI_KEY_RED }, { "F2", UI_KEY_GREEN },
        { "F3", UI_KEY_YELLOW }, { "F4", UI_KEY_BLUE },
        { "R", UI_KEY_RED }, { "G", UI_KEY_GREEN },
        { "Y", UI_KEY_YELLOW }, { "B", UI_KEY_BLUE },
        { "F5", UI_KEY_INFO }, { "I", UI_KEY_INFO },
    };
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof box / sizeof box[0]; i++)
        add(m, 0, box[i].name, box[i].key);
    for (size_t i = 0; i < sizeof desk / sizeof desk[0]; i++)
        add(m, 1, desk[i].name, desk[i].key);
    char d[2] = "0";
    for (int i = 0; i <= 9; i++) {
        d[0] = (char)('0' + i);
        add(m, 0, d, (ui_key)(UI_KEY_0 + i));
        add(m, 1, d, (ui_key)(UI_KEY_0 + i));
        char kp[16];
        snprintf(kp, sizeof kp, "Keypad %d", i);
        add(m, 1, kp, (ui_key)(UI_KEY_0 + i));
    }
}

static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

ui_err ui_keymap_parse(ui_keymap *m, const char *text, size_t len,
                       char *msg, size_t msglen)
{
    if (!m || (!text && len))
        return UI_EINVAL;
    size_t pos = 0;
    unsigned line_no = 0;
    while (pos < len) {
        char line[160];
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line_no++;
        size_t n = end - pos;
        size_t next = end < len ? end + 1 : end;
        if (n >= sizeof line) {
            snprintf(msg, msglen, "line %u: longer than %zu bytes", line_no, sizeof line - 1);
            return UI_EKEYMAP;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = next;
        if (memchr(line, '\0', n)) {
            snprintf(msg, msglen, "line %u: a NUL byte", line_no);
            return UI_EKEYMAP;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = (char *)trim(line);
        if (!*s)
            continue;
        int desktop;
        if (strncmp(s, "box", 3) == 0 && (s[3] == ' ' || s[3] == '\t'))
            desktop = 0;
        else if (strncmp(s, "desktop", 7) == 0 && (s[7] == ' ' || s[7] == '\t'))
            desktop = 1;
        else {
            snprintf(msg, msglen, "line %u: must start with \"box\" or \"desktop\"", line_no);
            return UI_EKEYMAP;
        }
        s += desktop ? 7 : 3;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(msg, msglen, "line %u: needs \"KEY = remote-key\"", line_no);
            return UI_EKEYMAP;
        }
        *eq = '\0';
        const char *name = trim(s);
        const char *target = trim(eq + 1);
        if (!*name || strlen(name) >= sizeof m->e[0].name) {
            snprintf(msg, msglen, "line %u: the key name must be 1 to %zu bytes", line_no,
                     sizeof m->e[0].name - 1);
            return UI_EKEYMAP;
        }
        ui_key k = ui_key_from_name(target);
        if (k == UI_KEY_NONE) {
            snprintf(msg, msglen, "line %u: \"%.40s\" is not a remote key (up down left "
                     "right ok back exit red green yellow blue info 0-9)", line_no, target);
            return UI_EKEYMAP;
        }
        if (m->n == UI_KEYMAP_MAX) {
            snprintf(msg, msglen, "line %u: more than %d mappings", line_no, UI_KEYMAP_MAX);
            return UI_EKEYMAP;
        }
        add(m, desktop, name, k);
    }
    return UI_OK;
}

ui_key ui_keymap_lookup(const ui_keymap *m, int desktop, const char *name)
{
    if (!m || !name)
        return UI_KEY_NONE;
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].desktop == desktop && strcasecmp(m->e[i].name, name) == 0)
            return m->e[i].key;
    return UI_KEY_NONE;
}
