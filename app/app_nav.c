/*
 * The navigation stack; the rules are described in app_nav.h.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_nav.h"

struct app_nav {
    app_nav_frame *frames;
    size_t depth, max_depth;
    int pending_digit;          /* first digit of a two-digit choice, or -1 */
    uint64_t pending_at;        /* when it was pressed */
};

const char *app_nav_strerror(app_nav_err e)
{
    switch (e) {
    case APP_NAV_OK: return "success";
    case APP_NAV_ENOMEM: return "out of memory";
    case APP_NAV_EINVAL: return "invalid content path";
    case APP_NAV_EDEPTH: return "too many screens deep";
    case APP_NAV_EROOT: return "already at the first screen";
    }
    return "unknown error";
}

app_nav_err app_nav_create(size_t max_depth, app_nav **out)
{
    if (!out || max_depth == 0)
        return APP_NAV_EINVAL;
    *out = NULL;
    app_nav *n = calloc(1, sizeof *n);
    if (!n)
        return APP_NAV_ENOMEM;
    n->frames = calloc(max_depth, sizeof *n->frames);
    if (!n->frames) {
        free(n);
        return APP_NAV_ENOMEM;
    }
    n->max_depth = max_depth;
    n->pending_digit = -1;
    *out = n;
    return APP_NAV_OK;
}

void app_nav_destroy(app_nav *n)
{
    if (!n)
        return;
    free(n->frames);
    free(n);
}

app_nav_err app_nav_push(app_nav *n, const char *path)
{
    if (!n || !path)
        return APP_NAV_EINVAL;
    size_t len = strlen(path);
    if (len == 0 || len > APP_NAV_PATH_MAX)
        return APP_NAV_EINVAL;
    if (n->depth == n->max_depth)
        return APP_NAV_EDEPTH;
    app_nav_frame *f = &n->frames[n->depth++];
    memset(f, 0, sizeof *f);
    memcpy(f->path, path, len + 1);
    n->pending_digit = -1;
    return APP_NAV_OK;
}

app_nav_err app_nav_pop(app_nav *n)
{
    if (!n || n->depth <= 1)
        return APP_NAV_EROOT;
    n->depth--;
    n->pending_digit = -1;
    return APP_NAV_OK;
}

void app_nav_home(app_nav *n)
{
    if (n && n->depth > 1)
        n->depth = 1;
    if (n)
        n->pending_digit = -1;
}

void app_nav_clear(app_nav *n)
{
    if (n) {
        n->depth = 0;
        n->pending_digit = -1;
    }
}

size_t app_nav_depth(const app_nav *n)
{
    return n ? n->depth : 0;
}

app_nav_frame *app_nav_frame_at(app_nav *n, size_t i)
{
    if (!n || i >= n->depth)
        return NULL;
    return &n->frames[i];
}

app_nav_frame *app_nav_top(app_nav *n)
{
    return n && n->depth ? &n->frames[n->depth - 1] : NULL;
}

/* Scroll just enough to bring the focus on screen. */
static void scroll_to_focus(app_nav_frame *f, size_t n_items, size_t rows)
{
    if (rows == 0 || n_items <= rows) {
        f->top = 0;
        return;
    }
    if (f->focus < f->top)
        f->top = f->focus;
    else if (f->focus >= f->top + rows)
        f->top = f->focus + 1 - rows;
    if (f->top > n_items - rows)
        f->top = n_items - rows;
}

void app_nav_clamp(app_nav *n, size_t n_items, size_t rows)
{
    app_nav_frame *f = app_nav_top(n);
    if (!f)
        return;
    if (n_items == 0)
        f->focus = 0;
    else if (f->focus >= n_items)
        f->focus = n_items - 1;
    scroll_to_focus(f, n_items, rows);
}

int app_nav_move(app_nav *n, int delta, size_t n_items, size_t rows)
{
    app_nav_frame *f = app_nav_top(n);
    if (!f || n_items == 0 || delta == 0)
        return 0;
    n->pending_digit = -1;
    size_t old = f->focus;
    /* Work modulo n_items in size_t without going negative. */
    size_t step = (size_t)(delta < 0 ? -(long)delta : delta) % n_items;
    if (delta < 0)
        f->focus = (f->focus + n_items - step) % n_items;
    else
        f->focus = (f->focus + step) % n_items;
    scroll_to_focus(f, n_items, rows);
    return f->focus != old;
}

int app_nav_digit(app_nav *n, int digit, size_t n_items, size_t rows, uint64_t now_ms)
{
    app_nav_frame *f = app_nav_top(n);
    if (!f || digit < 0 || digit > 9 || n_items == 0)
        return 0;
    size_t old = f->focus;
    size_t choice = 0;
    if (n->pending_digit >= 0 && now_ms - n->pending_at <= APP_NAV_DIGIT_MS) {
        size_t two = (size_t)n->pending_digit * 10 + (size_t)digit;
        if (two >= 1 && two <= n_items) {
            n->pending_digit = -1;
            f->focus = two - 1;
            scroll_to_focus(f, n_items, rows);
            return f->focus != old;
        }
    }
    n->pending_digit = -1;
    if (digit == 0)
        return 0;
    choice = (size_t)digit;
    if (choice > n_items)
        return 0;
    /* Could this digit start a two-digit number?  Then remember it. */
    if (choice * 10 <= n_items) {
        n->pending_digit = digit;
        n->pending_at = now_ms;
    }
    f->focus = choice - 1;
    scroll_to_focus(f, n_items, rows);
    return f->focus != old;
}

int app_nav_page(app_nav *n, int delta, size_t n_pages)
{
    app_nav_frame *f = app_nav_top(n);
    if (!f || n_pages == 0)
        return 0;
    size_t old = f->page;
    if (delta < 0 && f->page > 0)
        f->page--;
    else if (delta > 0 && f->page + 1 < n_pages)
        f->page++;
    if (f->page >= n_pages)
        f->page = n_pages - 1;
    return f->page != old;
}
