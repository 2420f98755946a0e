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
#include "app/app_entry.h"
#include "app/app_nav.h"
#include "app/app_search.h"
#include "app/app_settings.h"
#include "dvb/dvb.h"
#include "model/cm.h"
#include "ui/ui.h"

typedef enum {
    SCREEN_NONE,
    SCREEN_TV,        /* the programme, with or without the prompt */
    SCREEN_LOADING,   /* the viewer pressed red before the content arrived */
    SCREEN_MENU,      /* a content menu */
    SCREEN_PAGE,      /* a content page, or the key map */
    SCREEN_MESSAGE,
    SCREEN_LIST,      /* the A-Z, search results */
    SCREEN_SETTINGS,
    SCREEN_ENTRY      /* postcode or search words */
} app_screen;

/* Screens the app makes itself sit on the navigation stack under these
 * names (content paths never start with '@'). */
#define APP_AZ       "@search"
#define APP_SETTINGS "@settings"
#define APP_POSTCODE "@postcode"
#define APP_WORDS    "@words"
#define APP_RESULTS  "@results"
#define APP_KEYS     "@keys"

#define APP_MAX_LIST 200u

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
    ui_image image;              /* the page's picture, when it has one */

    /* Television and the service. */
    int in_service;              /* 0: TV is showing */
    int prompt;                  /* the "Press red" prompt is up */
    uint64_t prompt_until;
    uint64_t last_key;           /* for the idle timeout */
    uint64_t notice_until;       /* 0: no notice */
    ui_image tv_picture;

    /* The viewer's settings, the regions and the local council. */
    app_settings settings;
    char settings_path[1024];
    cm_regions regions;
    int have_regions;
    int council;                 /* index into regions, or -1 */
    ui_keymap keymap;

    /* Text entry (postcode, search words). */
    app_entry entry;
    size_t kb_focus;
    char entry_error[160];
    int then_local;              /* after the postcode, open the council's menu */

    /* Search. */
    app_search *search;
    char query[APP_ENTRY_MAX + 1];
    size_t list[APP_MAX_LIST];   /* indices into the search index */
    size_t n_list;

    int started;                 /* the content has arrived */
    int scripting;               /* scripted keys and screenshots are running */
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
/* Show the TV (with the prompt when prompt is set); leaves the service
 * and forgets where the viewer was. */
void app_show_tv(app *a, int prompt);
/* Timers: the prompt, the notice, multi-tap, the idle timeout.  Return
 * the ms until the next one is due (-1: none). */
long app_timers(app *a);
/* A new store has been taken: keep the viewer's place if it still
 * exists, and say what happened. */
void app_content_updated(app *a);
/* Apply the remembered settings to the screen. */
void app_apply_settings(app *a);
/* Write DIR/NNN-name.png (or 000-start.png with k == UI_KEY_NONE). */
void app_screenshot(app *a, ui_key k);
/* Write DIR/NNN-NAME.png on an event that is not a key: "update" after a
 * content update (testers see the notice), "ready" when the content
 * arrives under a script that started before it. */
void app_screenshot_event(app *a, const char *name);
void app_free_screen(app *a);

#endif
