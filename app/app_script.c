/*
 * Key scripts: parsing --keys and --script (see app_script.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_script.h"

/* A ceiling on script size: a tester's tour, not a soak test's input. */
#define MAX_STEPS 100000u

const char *app_script_strerror(app_script_err e)
{
    switch (e) {
    case APP_SCRIPT_OK: return "success";
    case APP_SCRIPT_ENOMEM: return "out of memory";
    case APP_SCRIPT_ESYNTAX: return "not a key name or wait";
    case APP_SCRIPT_EIO: return "cannot read the script";
    }
    return "unknown error";
}

static app_script_err push(app_script *s, ui_key k, unsigned wait_ms)
{
    if (s->n == s->cap) {
        if (s->cap >= MAX_STEPS)
            return APP_SCRIPT_ENOMEM;
        size_t cap = s->cap ? s->cap * 2 : 16;
        app_script_step *ns = realloc(s->steps, cap * sizeof *ns);
        if (!ns)
            return APP_SCRIPT_ENOMEM;
        s->steps = ns;
        s->cap = cap;
    }
    s->steps[s->n].key = k;
    s->steps[s->n].wait_ms = wait_ms;
    s->n++;
    return APP_SCRIPT_OK;
}

/* One step from a word ("down") or a line ("wait 500"). */
static app_script_err parse_step(app_script *s, const char *word)
{
    if (strncasecmp(word, "wait", 4) == 0 && (word[4] == ' ' || word[4] == '\t')) {
        const char *p = word + 5;
        while (*p == ' ' || *p == '\t')
            p++;
        char *end;
        errno = 0;
        unsigned long ms = strtoul(p, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (end == p || *end || errno || ms > 3600000ul || *p == '-')
            return APP_SCRIPT_ESYNTAX;
        return push(s, UI_KEY_NONE, (unsigned)ms);
    }
    ui_key k = ui_key_from_name(word);
    if (k == UI_KEY_NONE)
        return APP_SCRIPT_ESYNTAX;
    return push(s, k, 0);
}

app_script_err app_script_add_keys(app_script *s, const char *list,
                                   char *err, size_t errlen)
{
    if (!s || !list)
        return APP_SCRIPT_ESYNTAX;
    const char *p = list;
    while (*p) {
        /* Steps are separated by commas; spaces around them are not
         * part of the step ("down, wait 500, ok"). */
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != ',')
            q++;
        const char *e_ = q;
        while (e_ > p && isspace((unsigned char)e_[-1]))
            e_--;
        char word[32];
        size_t n = (size_t)(e_ - p);
        app_script_err e = APP_SCRIPT_ESYNTAX;
        if (n < sizeof word) {
            memcpy(word, p, n);
            word[n] = '\0';
            e = parse_step(s, word);
        }
        if (e != APP_SCRIPT_OK) {
            if (err && errlen)
                snprintf(err, errlen, "\"%.*s\": %s", (int)(n > 40 ? 40 : n), p,
                         app_script_strerror(e));
            return e;
        }
        p = q;
    }
    return APP_SCRIPT_OK;
}

app_script_err app_script_add_file(app_script *s, const char *path,
                                   char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return APP_SCRIPT_EIO;
    }
    char line[256];
    unsigned lineno = 0;
    app_script_err e = APP_SCRIPT_OK;
    while (e == APP_SCRIPT_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *b = line;
        while (isspace((unsigned char)*b))
            b++;
        char *end = b + strlen(b);
        while (end > b && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*b)
            continue;
        e = parse_step(s, b);
        if (e != APP_SCRIPT_OK && err && errlen)
            snprintf(err, errlen, "%s:%u: \"%.40s\": %s", path, lineno, b,
                     app_script_strerror(e));
    }
    if (e == APP_SCRIPT_OK && ferror(f)) {
        e = APP_SCRIPT_EIO;
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
    }
    fclose(f);
    return e;
}

void app_script_free(app_script *s)
{
    if (!s)
        return;
    free(s->steps);
    s->steps = NULL;
    s->n = s->cap = 0;
}
