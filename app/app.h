/*
 * app/: civictv, the red-button application.
 *
 * app_run owns the one poll() loop of the program: transport-stream bytes
 * from a file into the carousel receiver, remote keys from DirectFB's
 * event buffer (or the desktop window), and the timers of scripted keys.
 * The app starts on the television picture with a small "Press red"
 * prompt; Red opens the service.  When the carousel's object store is
 * complete the manifest is read; from then on the keys drive the
 * navigation (app_nav.h) and the screens (ui.h).  Exit returns to TV from
 * anywhere, and so does a long enough pause without keys (privacy on a
 * shared screen).
 */
#ifndef APP_H
#define APP_H

#include <stddef.h>

#include "app/app_script.h"
#include "ui/ui.h"

typedef struct {
    const char *ts_path;       /* transport stream file, or NULL with content_dir */
    const char *content_dir;   /* --content: a content folder instead of a stream */
    int pid;                   /* --pid, or -1 */
    int service_id;            /* --service, or -1 */
    ui_mode mode;              /* --headless, --window, or the box */
    int scale;                 /* --scale */
    unsigned long rate_bps;    /* --rate: stream bits per second; 0: as fast as read */
    const char *screenshots;   /* --screenshots DIR, or NULL */
    const char *fonts_conf;    /* --fonts FILE, or NULL */
    int verbose;               /* -v: receiver diagnostics on stderr */
    app_script script;         /* --keys and --script, in order */
    int keys_at_once;          /* --keys-at-once: play the script from the
                                  first frame, not once the content is in */
    const char *settings_path; /* --settings FILE, or NULL: the XDG default */
    long idle_timeout_s;       /* --idle-timeout: back to TV after this many
                                  seconds without a key; 0: never */
    const char *keymap_path;   /* --keymap FILE, or NULL: the built-in map */
    const char *tv_picture;    /* --tv-picture PNG, or NULL: the built-in still */
    int check_fit;             /* --check-fit: say on stderr when text does not fit */
    int *argc;                 /* for DirectFBInit's --dfb: options */
    char ***argv;
} app_options;

/* Run the application until Exit, the end of a headless script, or a
 * fatal error.  Return the process exit status: 0 on success, 1 when the
 * stream, the content or the graphics failed (after a message on stderr). */
int app_run(const app_options *opt);

#endif
