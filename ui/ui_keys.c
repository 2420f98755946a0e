/*
 * Remote-key names (the words of --keys and --script) and error messages.
 */
#include <strings.h>

#include "ui/ui.h"

static const char *const key_names[UI_KEY_COUNT] = {
    [UI_KEY_NONE] = "none",
    [UI_KEY_UP] = "up",
    [UI_KEY_DOWN] = "down",
    [UI_KEY_LEFT] = "left",
    [UI_KEY_RIGHT] = "right",
    [UI_KEY_OK] = "ok",
    [UI_KEY_BACK] = "back",
    [UI_KEY_EXIT] = "exit",
    [UI_KEY_RED] = "red",
    [UI_KEY_GREEN] = "green",
    [UI_KEY_YELLOW] = "yellow",
    [UI_KEY_BLUE] = "blue",
    [UI_KEY_0] = "0", [UI_KEY_1] = "1", [UI_KEY_2] = "2", [UI_KEY_3] = "3",
    [UI_KEY_4] = "4", [UI_KEY_5] = "5", [UI_KEY_6] = "6", [UI_KEY_7] = "7",
    [UI_KEY_8] = "8", [UI_KEY_9] = "9",
    [UI_KEY_INFO] = "info",
};

const char *ui_key_name(ui_key k)
{
    if ((int)k < 0 || k >= UI_KEY_COUNT)
        return "none";
    return key_names[k];
}

ui_key ui_key_from_name(const char *name)
{
    if (!name)
        return UI_KEY_NONE;
    for (int k = UI_KEY_NONE + 1; k < UI_KEY_COUNT; k++)
        if (strcasecmp(name, key_names[k]) == 0)
            return (ui_key)k;
    return UI_KEY_NONE;
}

int ui_key_digit(ui_key k)
{
    if (k >= UI_KEY_0 && k <= UI_KEY_9)
        return (int)(k - UI_KEY_0);
    return -1;
}

const char *ui_strerror(ui_err e)
{
    switch (e) {
    case UI_OK: return "success";
    case UI_ENOMEM: return "out of memory";
    case UI_EINVAL: return "invalid argument";
    case UI_EINIT: return "the graphics system failed";
    case UI_EFONT: return "a font could not be loaded";
    case UI_EWINDOW: return "the window could not be opened";
    case UI_EIO: return "the file could not be written";
    case UI_EPNG: return "the PNG encoder or decoder failed";
    case UI_EKEYMAP: return "a key-map line is not understood";
    }
    return "unknown error";
}
