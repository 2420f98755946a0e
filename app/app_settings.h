/*
 * app/: the viewer's settings, remembered between runs.
 *
 * Language, large text, high contrast and the postcode (for local
 * services) live in a small text file, one "name = value" a line:
 *
 *     language = cy
 *     text = large
 *     contrast = high
 *     postcode = CW1 2AB
 *
 * The file is $XDG_CONFIG_HOME/civictv/settings (else
 * ~/.config/civictv/settings), or the path given with --settings.  It is
 * written to a temporary file in the same folder, flushed to disk, then
 * renamed over the old one, so a power cut leaves either the old settings
 * or the new, never half a file.
 */
#ifndef APP_SETTINGS_H
#define APP_SETTINGS_H

#include <stddef.h>

#include "model/cm.h"

typedef struct {
    cm_lang lang;
    int large_text;
    int high_contrast;
    char postcode[16];     /* as the viewer typed it, upper case; "" if none */
} app_settings;

/* English, normal text, standard contrast, no postcode. */
void app_settings_default(app_settings *s);

/* Read settings from text (len bytes) over *s.  Lines that are not
 * understood are skipped; the number skipped is returned (0: all good),
 * and the first one is described in warn ("line N: what"). */
unsigned app_settings_parse(app_settings *s, const char *text, size_t len,
                            char *warn, size_t warnlen);

/* The file's text for s; returns the length written (NUL-terminated,
 * truncated to outlen - 1 at worst). */
size_t app_settings_format(const app_settings *s, char *out, size_t outlen);

/* The default path of the settings file into out; -1 when there is no
 * $XDG_CONFIG_HOME and no $HOME. */
int app_settings_default_path(char *out, size_t outlen);

/* Load from path (a missing file leaves the defaults and is not an
 * error).  Return 0, or -1 with errno set when the file cannot be read. */
int app_settings_load(app_settings *s, const char *path, char *warn, size_t warnlen);

/* Save safely (temporary file, fsync, rename), creating the folder.
 * Return 0, or -1 with errno set. */
int app_settings_save(const app_settings *s, const char *path);

#endif
