/*
 * app/: scripted remote keys for testers (--keys and --script).
 *
 * A script is a list of steps: a key, or a pause.  --keys takes steps
 * separated by commas ("down, wait 500, ok"); a --script file has one step per line,
 * "#" starts a comment, and "wait MS" pauses for MS milliseconds.  Key
 * names are those of ui_key_name ("up", "ok", "red", "7").
 */
#ifndef APP_SCRIPT_H
#define APP_SCRIPT_H

#include <stddef.h>

#include "ui/ui.h"

typedef enum {
    APP_SCRIPT_OK = 0,
    APP_SCRIPT_ENOMEM,     /* an allocation failed */
    APP_SCRIPT_ESYNTAX,    /* an unknown key name or a bad wait */
    APP_SCRIPT_EIO         /* the script file could not be read */
} app_script_err;

const char *app_script_strerror(app_script_err e);

typedef struct {
    ui_key key;            /* UI_KEY_NONE for a pause */
    unsigned wait_ms;      /* pauses only */
} app_script_step;

typedef struct {
    app_script_step *steps;
    size_t n, cap;
} app_script;

/* Append the steps of a --keys list.  On ESYNTAX, err (if not NULL) names
 * the bad word. */
app_script_err app_script_add_keys(app_script *s, const char *list,
                                   char *err, size_t errlen);
/* Append the steps of a script file; err says "FILE:LINE: ..." on error. */
app_script_err app_script_add_file(app_script *s, const char *path,
                                   char *err, size_t errlen);
void app_script_free(app_script *s);   /* frees the steps; NULL is a no-op */

#endif
