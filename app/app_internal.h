/*
 * app/ internal: the application's state, shared by the loop (app_run.c)
 * and the screens (app_screens.c).  Only app/ has global-like state, and
 * even here it lives in one struct passed around, not in file statics.
 */
#ifndef APP_INTERNAL_H
#define APP_INTERNAL_H

#include <stdint.h>

#include "app/app.h"
#include "app/app_content.h"
#include "app/app_nav.h"
#include "dvb/dvb.h"
#include "model/cm.h"
#include "ui/ui.h"

typedef enum { SCREEN_NONE, SCREEN_MENU, SCREEN_PAGE, SCREEN_MESSAGE } app_screen;

typedef struct {
    const app_options *opt;
    ui *ui;
    app_nav *nav;
    app_content *content;
    cm_manifest manifest;
    int have_manifest;
    char manifest_problem[600];  /* why there is no manifest, for the screen */
    cm_lang lang;

    /* What is on screen, for the keys. */
    app_screen screen;
    cm_doc doc;                  /* the top frame's document, when loaded */
    int have_doc;
    size_t n_pages;

    int started;                 /* the first full screen has been shown */
    int quit;
    int status;                  /* exit status */
    unsigned shot_no;            /* screenshots taken after keys */

    /* The stream. */
    int ts_fd;
    int eof;
    uint64_t bytes_in;
    dvb_receiver *rx;
    int store_event;             /* a new store was published */
    uint64_t t_start;            /* ms, when reading began (pacing) */

    /* The loading screen. */
    uint64_t progress_drawn_at;
    unsigned progress_done, progress_total;
    uint64_t progress_bytes;
    int progress_shown;

    /* Scripted keys. */
    size_t step;
    uint64_t step_due;

    uint64_t now;                /* ms, monotonic, refreshed once per loop turn */
} app;

/* app_screens.c */
void app_log(const app *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Read the manifest from a->content and open the root menu (or note why
 * not, for the screen).  Called when the first store arrives and again
 * after updates.  Return 0, or -1 when the manifest is unusable. */
int app_content_changed(app *a);
/* Draw the top frame (menu, page or the reason it cannot be shown). */
void app_render(app *a);
void app_show_loading(app *a, const dvb_progress *p);
/* Act on one remote key; sets a->quit when the viewer leaves. */
void app_handle_key(app *a, ui_key k);
/* Write DIR/NNN-name.png (or 000-start.png with k == UI_KEY_NONE). */
void app_screenshot(app *a, ui_key k);
void app_free_screen(app *a);

#endif
