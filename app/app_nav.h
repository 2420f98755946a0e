/*
 * app/: the navigation model of civictv, with no drawing and no I/O.
 *
 * A stack of screens, each a content path with where the viewer was on it
 * (focused item, first visible row, page of a long text).  Opening an
 * item pushes, Back pops and finds the focus where it was left, the red
 * key goes home.  Kept free of DirectFB and of the carousel so that the
 * rules can be tested as plain functions (tests/test_app_nav.c).
 *
 * Focus movement wraps: Down on the last item goes to the first, as on
 * most UK red-button menus, so the end of a long list is one key away.
 *
 * Digits choose items by their number.  In a menu of 10 or more items a
 * first digit that could start a two-digit number waits up to
 * APP_NAV_DIGIT_MS for a second one: "1" then "2" focuses item 12, "1"
 * alone focuses item 1.  Digits move the focus; OK opens.
 */
#ifndef APP_NAV_H
#define APP_NAV_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    APP_NAV_OK = 0,
    APP_NAV_ENOMEM,    /* an allocation failed */
    APP_NAV_EINVAL,    /* a bad argument (empty or over-long path) */
    APP_NAV_EDEPTH,    /* the stack is full (a content loop followed too far) */
    APP_NAV_EROOT      /* nothing to go back to */
} app_nav_err;

const char *app_nav_strerror(app_nav_err e);

#define APP_NAV_PATH_MAX 128u
#define APP_NAV_DIGIT_MS 1500u

typedef struct {
    char path[APP_NAV_PATH_MAX + 1];   /* content path, "menus/root.json" */
    size_t focus;                      /* focused item (menus) */
    size_t top;                        /* first visible row (menus) */
    size_t page;                       /* screen of text (pages) */
} app_nav_frame;

typedef struct app_nav app_nav;

/* max_depth: how many screens deep the viewer can go (menus may form
 * cycles, so there must be a limit). */
app_nav_err app_nav_create(size_t max_depth, app_nav **out);
void app_nav_destroy(app_nav *n);              /* NULL is a no-op */

/* Open a screen on top, focus on its first item. */
app_nav_err app_nav_push(app_nav *n, const char *path);
/* Back: drop the top screen.  APP_NAV_EROOT at the root (or when empty). */
app_nav_err app_nav_pop(app_nav *n);
/* Home: drop everything above the root. */
void app_nav_home(app_nav *n);
/* Forget everything (a new root). */
void app_nav_clear(app_nav *n);

size_t app_nav_depth(const app_nav *n);
/* Frame i from the root (0) to the top (depth-1); NULL when out of range. */
app_nav_frame *app_nav_frame_at(app_nav *n, size_t i);
/* The top frame, or NULL when empty. */
app_nav_frame *app_nav_top(app_nav *n);

/* Move the focus by delta items (wrapping) in a menu of n_items with
 * rows visible rows; keeps the focus on screen.  Return 1 if it moved. */
int app_nav_move(app_nav *n, int delta, size_t n_items, size_t rows);

/* A digit key at time now_ms.  Return 1 if the focus moved. */
int app_nav_digit(app_nav *n, int digit, size_t n_items, size_t rows, uint64_t now_ms);

/* Make sure the focus and scroll position suit a menu of n_items (the
 * content may have changed under a saved frame). */
void app_nav_clamp(app_nav *n, size_t n_items, size_t rows);

/* Turn the page by delta within n_pages (no wrapping).  Return 1 if it
 * changed. */
int app_nav_page(app_nav *n, int delta, size_t n_pages);

#endif
