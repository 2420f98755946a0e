/*
 * The ui object and its screens: layout and drawing over the back-end.
 *
 * The look is that of a calm public-service red-button service: a deep
 * navy screen, a lighter header panel with the breadcrumb and the title, a
 * thin teal stripe under it, rows of choices with their numbers, one
 * strong blue focus bar with a yellow tab, and the key bar at the foot.
 * Every pixel that is not background lies inside the graphics-safe area
 * (EBU R95): x 36..684, y 29..547.  The colours keep every channel within
 * 16..235 (studio range, ITU-R BT.601), and every horizontal edge is at
 * least 2 px tall so that it does not flicker on an interlaced display.
 *
 * Layout (y): header 29..117, stripe 117..121, body 136..495, key bar
 * 503..547.  Text is Tiresias: titles 36 px bold, everything else 24 px
 * (labels on key caps 20 px bold).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_backend.h"
#include "ui/ui_theme.h"

struct ui {
    ui_backend *be;
    ui_presenter *pr;
    uint32_t *frame;            /* presenter's copy of the shown frame */
    int line_h[UI_FONT_COUNT];
};

/* ---- creation ---- */

static const char *const default_font[2] = {
    "/usr/share/fonts/truetype/tiresias/tiresias_infofont.ttf",
    "/usr/share/fonts/truetype/tiresias/tiresias_infofont_bold.ttf",
};

ui_err ui_create(const ui_config *cfg, ui **out)
{
    if (!cfg || !out)
        return UI_EINVAL;
    *out = NULL;
    ui *u = calloc(1, sizeof *u);
    if (!u)
        return UI_ENOMEM;

    ui_backend_config bc;
    memset(&bc, 0, sizeof bc);
    bc.mode = cfg->mode;
    const char *regular = cfg->font_regular ? cfg->font_regular : default_font[0];
    const char *bold = cfg->font_bold ? cfg->font_bold : default_font[1];
    bc.font_path[UI_FONT_BODY] = regular;
    bc.font_path[UI_FONT_BOLD] = bold;
    bc.font_path[UI_FONT_TITLE] = bold;
    bc.font_path[UI_FONT_SMALL] = bold;
    bc.argc = cfg->argc;
    bc.argv = cfg->argv;
    bc.log = cfg->log;
    bc.log_ud = cfg->log_ud;

    ui_err e = ui_dfb_create(&bc, &u->be);
    if (e == UI_OK && cfg->mode == UI_MODE_WINDOW) {
        u->frame = malloc((size_t)UI_SCREEN_W * UI_SCREEN_H * sizeof *u->frame);
        e = u->frame ? ui_sdl_create(cfg->scale ? cfg->scale : 1, cfg->log, cfg->log_ud, &u->pr) : UI_ENOMEM;
    }
    if (e != UI_OK) {
        ui_destroy(u);
        return e;
    }
    for (int f = 0; f < UI_FONT_COUNT; f++)
        u->line_h[f] = u->be->ops->line_height(u->be, (ui_font)f);
    *out = u;
    return UI_OK;
}

void ui_destroy(ui *u)
{
    if (!u)
        return;
    if (u->pr)
        u->pr->ops->destroy(u->pr);
    if (u->be)
        u->be->ops->destroy(u->be);
    free(u->frame);
    free(u);
}

/* ---- input ---- */

int ui_input_fd(const ui *u)
{
    return u && u->be ? u->be->ops->input_fd(u->be) : -1;
}

int ui_poll_timeout(const ui *u)
{
    /* SDL has no descriptor to poll: its queue is pumped every 10 ms,
     * well inside the 100 ms in which a key must show its effect. */
    return u && u->pr ? 10 : -1;
}

ui_key ui_next_key(ui *u, int *quit)
{
    if (quit)
        *quit = 0;
    if (!u)
        return UI_KEY_NONE;
    if (u->pr) {
        int q = 0;
        ui_key k = u->pr->ops->next_key(u->pr, &q);
        if (q && quit)
            *quit = 1;
        if (k != UI_KEY_NONE)
            return k;
    }
    return u->be->ops->next_key(u->be);
}

/* ---- drawing helpers ---- */

static void fill(ui *u, int x, int y, int w, int h, uint32_t c)
{
    u->be->ops->fill_rect(u->be, x, y, w, h, c);
}

static int measure(void *ud, ui_font f, const char *text, int len)
{
    ui *u = ud;
    return u->be->ops->text_width(u->be, f, text, len);
}

static int text_w(ui *u, ui_font f, const char *s)
{
    return measure(u, f, s, (int)strlen(s));
}

/* Draw text cut to max_w with an ellipsis when it does not fit. */
static void text_fit(ui *u, ui_font f, int x, int y, const char *s, int max_w, uint32_t c)
{
    int len = (int)strlen(s);
    if (max_w <= 0)
        return;
    if (measure(u, f, s, len) <= max_w) {
        u->be->ops->draw_text(u->be, f, x, y, s, len, c);
        return;
    }
    static const char ell[] = "\xE2\x80\xA6"; /* U+2026 */
    int ew = measure(u, f, ell, 3);
    int n = ui_fit_prefix(measure, u, f, s, len, max_w - ew);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    char buf[512];
    if (n > (int)sizeof buf - 4)
        n = (int)sizeof buf - 4;
    memcpy(buf, s, (size_t)n);
    memcpy(buf + n, ell, 4);
    u->be->ops->draw_text(u->be, f, x, y, buf, n + 3, c);
}

static void text_right(ui *u, ui_font f, int x_right, int y, const char *s, uint32_t c)
{
    int w = text_w(u, f, s);
    u->be->ops->draw_text(u->be, f, x_right - w, y, s, (int)strlen(s), c);
}

/* Vertical position that centres a font's line in a box. */
static int centre_y(ui *u, ui_font f, int y0, int h)
{
    return y0 + (h - u->line_h[f]) / 2;
}

static void clear(ui *u)
{
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    fill(u, 0, 0, UI_SCREEN_W, UI_SCREEN_H, C_BACKGROUND);
}

/* The header panel: breadcrumb (if any) over the title, and an optional
 * note at the top right ("3 of 12", "Page 1 of 2"). */
static void draw_header(ui *u, const char *title, const char *crumb, const char *note)
{
    fill(u, SAFE_X0, HEADER_Y0, SAFE_X1 - SAFE_X0, HEADER_Y1 - HEADER_Y0, C_HEADER);
    fill(u, SAFE_X0, HEADER_Y1, SAFE_X1 - SAFE_X0, STRIPE_H, C_STRIPE);
    int note_w = note && *note ? text_w(u, UI_FONT_BODY, note) + 24 : 0;
    int top = HEADER_Y0 + 6;
    if (note_w)
        text_right(u, UI_FONT_BODY, CONTENT_X1, top, note, C_MUTED);
    if (crumb && *crumb) {
        text_fit(u, UI_FONT_BODY, CONTENT_X0, top, crumb, CONTENT_X1 - CONTENT_X0 - note_w, C_MUTED);
        int ty = HEADER_Y1 - 6 - u->line_h[UI_FONT_TITLE];
        text_fit(u, UI_FONT_TITLE, CONTENT_X0, ty, title ? title : "", CONTENT_X1 - CONTENT_X0, C_TEXT);
    } else {
        /* Alone, the title sits in the middle of the panel, clear of the
         * note above its right end. */
        int ty = centre_y(u, UI_FONT_TITLE, HEADER_Y0, HEADER_Y1 - HEADER_Y0);
        text_fit(u, UI_FONT_TITLE, CONTENT_X0, ty, title ? title : "", CONTENT_X1 - CONTENT_X0 - note_w, C_TEXT);
    }
}

static void draw_cap(ui *u, int x, int y, int w, int h, const char *label)
{
    fill(u, x, y, w, h, C_KEYCAP);
    if (label) {
        int lw = text_w(u, UI_FONT_SMALL, label);
        u->be->ops->draw_text(u->be, UI_FONT_SMALL, x + (w - lw) / 2,
                              centre_y(u, UI_FONT_SMALL, y, h), label,
                              (int)strlen(label), C_TEXT);
    }
}

static uint32_t chip_colour(ui_key k)
{
    switch (k) {
    case UI_KEY_RED: return C_RED;
    case UI_KEY_GREEN: return C_GREEN;
    case UI_KEY_YELLOW: return C_YELLOW;
    case UI_KEY_BLUE: return C_BLUE;
    default: return 0;
    }
}

/* Width of one key-bar entry's symbol (chip, cap or arrow cap). */
static int hint_symbol_w(ui *u, ui_key k)
{
    if (chip_colour(k))
        return 28;
    if (k == UI_KEY_BACK)
        return text_w(u, UI_FONT_SMALL, "BACK") + 16;
    if (k == UI_KEY_EXIT)
        return text_w(u, UI_FONT_SMALL, "EXIT") + 16;
    if (k == UI_KEY_LEFT || k == UI_KEY_RIGHT || k == UI_KEY_UP || k == UI_KEY_DOWN)
        return 28;
    if (ui_key_digit(k) >= 0)
        return text_w(u, UI_FONT_SMALL, "0-9") + 16;
    return 0;
}

static void draw_hint_symbol(ui *u, ui_key k, int x, int y0, int h)
{
    int w = hint_symbol_w(u, k);
    uint32_t chip = chip_colour(k);
    if (chip) {
        fill(u, x, y0 + (h - 20) / 2, w, 20, chip);
        return;
    }
    int cy = y0 + (h - 26) / 2;
    switch (k) {
    case UI_KEY_BACK: draw_cap(u, x, cy, w, 26, "BACK"); return;
    case UI_KEY_EXIT: draw_cap(u, x, cy, w, 26, "EXIT"); return;
    case UI_KEY_LEFT:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 8, cy + 13, x + 19, cy + 6, x + 19, cy + 20, C_TEXT);
        return;
    case UI_KEY_RIGHT:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 20, cy + 13, x + 9, cy + 6, x + 9, cy + 20, C_TEXT);
        return;
    case UI_KEY_UP:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 14, cy + 6, x + 7, cy + 19, x + 21, cy + 19, C_TEXT);
        return;
    case UI_KEY_DOWN:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 14, cy + 20, x + 7, cy + 7, x + 21, cy + 7, C_TEXT);
        return;
    default:
        if (ui_key_digit(k) >= 0)
            draw_cap(u, x, cy, w, 26, "0-9");
        return;
    }
}

/* The key bar: colour keys and other hints from the left, BACK and EXIT
 * from the right, as on most UK red-button services. */
static void draw_keybar(ui *u, const ui_keybar *kb)
{
    int h = KEYBAR_Y1 - KEYBAR_Y0;
    fill(u, SAFE_X0, KEYBAR_Y0, SAFE_X1 - SAFE_X0, h, C_KEYBAR);
    if (!kb)
        return;
    int ty = centre_y(u, UI_FONT_BODY, KEYBAR_Y0, h);
    /* Right-hand group first, so the left group knows where to stop. */
    int xr = CONTENT_X1;
    for (size_t i = kb->n; i-- > 0;) {
        const ui_keyhint *hk = &kb->hints[i];
        if (hk->key != UI_KEY_BACK && hk->key != UI_KEY_EXIT)
            continue;
        const char *label = hk->label ? hk->label : "";
        int lw = text_w(u, UI_FONT_BODY, label);
        int sw = hint_symbol_w(u, hk->key);
        xr -= lw;
        u->be->ops->draw_text(u->be, UI_FONT_BODY, xr, ty, label, (int)strlen(label), C_TEXT);
        xr -= 8 + sw;
        draw_hint_symbol(u, hk->key, xr, KEYBAR_Y0, h);
        xr -= 24;
    }
    int x = CONTENT_X0;
    for (size_t i = 0; i < kb->n && i < UI_MAX_KEYHINTS; i++) {
        const ui_keyhint *hk = &kb->hints[i];
        if (hk->key == UI_KEY_BACK || hk->key == UI_KEY_EXIT)
            continue;
        int sw = hint_symbol_w(u, hk->key);
        const char *label = hk->label ? hk->label : "";
        if (x + sw > xr)
            break;
        draw_hint_symbol(u, hk->key, x, KEYBAR_Y0, h);
        x += sw;
        if (*label) {
            x += 8;
            int room = xr - x;
            text_fit(u, UI_FONT_BODY, x, ty, label, room, C_TEXT);
            int lw = text_w(u, UI_FONT_BODY, label);
            x += lw < room ? lw : room;
        }
        x += *label ? 24 : 6;
    }
}

static ui_err show(ui *u)
{
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    ui_err e = u->be->ops->flip(u->be);
    if (e == UI_OK && u->pr) {
        e = u->be->ops->read_pixels(u->be, u->frame);
        if (e == UI_OK)
            e = u->pr->ops->present(u->pr, u->frame);
    }
    return e;
}

/* ---- menu ---- */

size_t ui_menu_rows(const ui *u)
{
    (void)u;
    return (size_t)((BODY_Y1 - BODY_Y0 + (ROW_PITCH - ROW_H)) / ROW_PITCH);
}

ui_err ui_show_menu(ui *u, const ui_menu_view *v)
{
    if (!u || !v || (v->n_items && !v->items))
        return UI_EINVAL;
    size_t rows = ui_menu_rows(u);
    int scrolling = v->n_items > rows;
    char note[64] = "";
    if (scrolling) {
        const char *fmt = v->position_fmt ? v->position_fmt : "%zu of %zu";
        /* The format is the app's own translation table, never content. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(note, sizeof note, fmt, v->focus + 1, v->n_items);
#pragma GCC diagnostic pop
    }
    clear(u);
    draw_header(u, v->title, v->breadcrumb, note);

    int right = scrolling ? CONTENT_X1 - SCROLL_W - 8 : CONTENT_X1;
    int num_w = text_w(u, UI_FONT_BOLD, v->n_items >= 10 ? "88" : "8") + 20;
    if (num_w < 38)
        num_w = 38;
    for (size_t r = 0; r < rows; r++) {
        size_t i = v->top + r;
        if (i >= v->n_items)
            break;
        int y = BODY_Y0 + (int)r * ROW_PITCH;
        int focused = i == v->focus;
        fill(u, CONTENT_X0, y, right - CONTENT_X0, ROW_H, focused ? C_FOCUS : C_ROW);
        if (focused)
            fill(u, CONTENT_X0, y, 8, ROW_H, C_FOCUS_TAB);
        /* The number the viewer can press. */
        char num[24];
        snprintf(num, sizeof num, "%zu", i + 1);
        int cx = CONTENT_X0 + 18, cy = y + 7, ch = ROW_H - 14;
        fill(u, cx, cy, num_w, ch, focused ? C_FOCUS_TAB : C_CHIP);
        int nw = text_w(u, UI_FONT_BOLD, num);
        u->be->ops->draw_text(u->be, UI_FONT_BOLD, cx + (num_w - nw) / 2,
                              centre_y(u, UI_FONT_BOLD, cy, ch), num, (int)strlen(num),
                              focused ? C_DARK_TEXT : C_CHIP_TEXT);
        int lx = cx + num_w + 18;
        ui_font f = focused ? UI_FONT_BOLD : UI_FONT_BODY;
        text_fit(u, f, lx, centre_y(u, f, y, ROW_H), v->items[i] ? v->items[i] : "",
                 right - 16 - lx, C_TEXT);
    }

    if (scrolling) {
        /* A scroll bar the height of the list, its thumb showing which
         * part of the list is on screen. */
        int ty0 = BODY_Y0, th = (int)rows * ROW_PITCH - (ROW_PITCH - ROW_H);
        int tx = CONTENT_X1 - SCROLL_W;
        fill(u, tx, ty0, SCROLL_W, th, C_TRACK);
        int thumb = (int)((size_t)th * rows / v->n_items);
        if (thumb < 24)
            thumb = 24;
        size_t max_top = v->n_items - rows;
        int off = max_top ? (int)((size_t)(th - thumb) * (v->top < max_top ? v->top : max_top) / max_top) : 0;
        fill(u, tx, ty0 + off, SCROLL_W, thumb, C_THUMB);
    }
    draw_keybar(u, &v->keys);
    return show(u);
}

/* ---- information page ---- */

static ui_err layout(ui *u, const char *body, int width, ui_layout *l)
{
    ui_layout_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    p.height = BODY_Y1 - BODY_Y0;
    p.indent = BULLET_INDENT;
    p.line_h = LINE_H;
    p.heading_h = HEADING_H;
    p.gap_h = GAP_H;
    p.measure = measure;
    p.ud = u;
    return ui_layout_body(&p, body ? body : "", l);
}

size_t ui_page_count(ui *u, const char *body)
{
    ui_layout l;
    if (!u || layout(u, body, CONTENT_X1 - CONTENT_X0, &l) != UI_OK)
        return 1;
    size_t n = (size_t)l.pages;
    ui_layout_free(&l);
    return n ? n : 1;
}

/* Draw one screen of a laid-out body at the top of the body area. */
static void draw_body(ui *u, const ui_layout *l, int page)
{
    for (int i = 0; i < l->n; i++) {
        const ui_line *ln = &l->lines[i];
        if (ln->page != page)
            continue;
        int y = BODY_Y0 + ln->y;
        switch (ln->kind) {
        case UI_LINE_HEADING:
            u->be->ops->draw_text(u->be, UI_FONT_BOLD, CONTENT_X0, y + (HEADING_H - u->line_h[UI_FONT_BOLD]) / 2,
                                  ln->text, ln->len, C_HEADING);
            break;
        case UI_LINE_BULLET:
            fill(u, CONTENT_X0 + 6, y + LINE_H / 2 - 4, 8, 8, C_BULLET);
            /* fall through */
        case UI_LINE_BULLET_CONT:
            u->be->ops->draw_text(u->be, UI_FONT_BODY, CONTENT_X0 + BULLET_INDENT,
                                  y + (LINE_H - u->line_h[UI_FONT_BODY]) / 2,
                                  ln->text, ln->len, C_TEXT);
            break;
        case UI_LINE_TEXT:
            u->be->ops->draw_text(u->be, UI_FONT_BODY, CONTENT_X0,
                                  y + (LINE_H - u->line_h[UI_FONT_BODY]) / 2,
                                  ln->text, ln->len, C_TEXT);
            break;
        }
    }
}

ui_err ui_show_page(ui *u, const ui_page_view *v)
{
    if (!u || !v)
        return UI_EINVAL;
    ui_layout l;
    ui_err e = layout(u, v->body, CONTENT_X1 - CONTENT_X0, &l);
    if (e != UI_OK)
        return e;
    size_t page = v->page < (size_t)l.pages ? v->page : (size_t)l.pages - 1;
    char note[64] = "";
    if (l.pages > 1) {
        const char *fmt = v->page_fmt ? v->page_fmt : "Page %zu of %zu";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(note, sizeof note, fmt, page + 1, (size_t)l.pages);
#pragma GCC diagnostic pop
    }
    clear(u);
    draw_header(u, v->title, v->breadcrumb, note);
    u->be->ops->set_clip(u->be, CONTENT_X0, BODY_Y0, CONTENT_X1 - CONTENT_X0, BODY_Y1 - BODY_Y0);
    draw_body(u, &l, (int)page);
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    ui_layout_free(&l);
    draw_keybar(u, &v->keys);
    return show(u);
}

/* ---- loading and messages ---- */

ui_err ui_show_loading(ui *u, const ui_loading_view *v)
{
    if (!u || !v)
        return UI_EINVAL;
    clear(u);
    draw_header(u, v->title, NULL, NULL);
    int y = 250;
    const char *status = v->status ? v->status : "";
    int sw = text_w(u, UI_FONT_BOLD, status);
    u->be->ops->draw_text(u->be, UI_FONT_BOLD, (UI_SCREEN_W - sw) / 2, y, status,
                          (int)strlen(status), C_TEXT);
    int bx = 160, bw = UI_SCREEN_W - 2 * bx, by = y + 44, bh = 16;
    fill(u, bx, by, bw, bh, C_TRACK);
    if (v->total) {
        unsigned done = v->done < v->total ? v->done : v->total;
        fill(u, bx, by, (int)((uint64_t)(unsigned)bw * done / v->total), bh, C_STRIPE);
    }
    if (v->detail && *v->detail) {
        int dw = text_w(u, UI_FONT_BODY, v->detail);
        u->be->ops->draw_text(u->be, UI_FONT_BODY, (UI_SCREEN_W - dw) / 2, by + bh + 14,
                              v->detail, (int)strlen(v->detail), C_MUTED);
    }
    draw_keybar(u, &v->keys);
    return show(u);
}

/* Draw the first screen of a laid-out text at y; return the y below it. */
static int draw_plain(ui *u, const ui_layout *l, int x, int y, uint32_t colour)
{
    int end = y;
    for (int i = 0; i < l->n; i++) {
        const ui_line *ln = &l->lines[i];
        if (ln->page != 0)
            continue;
        int heading = ln->kind == UI_LINE_HEADING;
        u->be->ops->draw_text(u->be, heading ? UI_FONT_BOLD : UI_FONT_BODY, x,
                              y + ln->y + (LINE_H - u->line_h[UI_FONT_BODY]) / 2,
                              ln->text, ln->len, heading ? C_HEADING : colour);
        end = y + ln->y + (heading ? HEADING_H : LINE_H);
    }
    return end;
}

ui_err ui_show_message(ui *u, const ui_message_view *v)
{
    if (!u || !v)
        return UI_EINVAL;
    int tx = CONTENT_X0 + 24, tw = CONTENT_X1 - tx;
    ui_layout text, detail;
    ui_err e = layout(u, v->text, tw, &text);
    if (e != UI_OK)
        return e;
    e = layout(u, v->detail, tw, &detail);
    if (e != UI_OK) {
        ui_layout_free(&text);
        return e;
    }
    clear(u);
    draw_header(u, v->title, NULL, NULL);
    u->be->ops->set_clip(u->be, tx, BODY_Y0, tw, BODY_Y1 - BODY_Y0);
    int y = draw_plain(u, &text, tx, BODY_Y0, C_TEXT);
    if (detail.n)
        y = draw_plain(u, &detail, tx, y + GAP_H, C_MUTED);
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    /* A warning tab beside the text marks the screen as a message rather
     * than content. */
    if (y > BODY_Y1)
        y = BODY_Y1;
    fill(u, CONTENT_X0, BODY_Y0, 8, (y > BODY_Y0 + LINE_H ? y : BODY_Y0 + LINE_H) - BODY_Y0, C_WARN);
    ui_layout_free(&text);
    ui_layout_free(&detail);
    draw_keybar(u, &v->keys);
    return show(u);
}

/* ---- screenshots ---- */

ui_err ui_read_pixels(ui *u, uint32_t *argb)
{
    if (!u || !argb)
        return UI_EINVAL;
    return u->be->ops->read_pixels(u->be, argb);
}

ui_err ui_screenshot_png(ui *u, const char *path)
{
    if (!u || !path)
        return UI_EINVAL;
    uint32_t *px = malloc((size_t)UI_SCREEN_W * UI_SCREEN_H * sizeof *px);
    if (!px)
        return UI_ENOMEM;
    ui_err e = u->be->ops->read_pixels(u->be, px);
    if (e == UI_OK)
        e = ui_png_write(path, px, UI_SCREEN_W, UI_SCREEN_H);
    free(px);
    return e;
}
