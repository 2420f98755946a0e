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
 * (labels on key caps 20 px bold).  Large-text mode takes body text and
 * menu rows to 32 px and titles to 40 px; the breadcrumb and the key bar
 * stay at 24 px, which is already the MHEG default body size.  The
 * high-contrast palette is near-black and near-white with a yellow focus
 * (still within 16..235).
 *
 * Every piece of text goes through put_text(), which knows the box the
 * text was laid out for: with an overflow check set (the text-fitting
 * test), any text whose extent leaves its box or the safe area is
 * reported rather than silently clipped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_backend.h"
#include "ui/ui_theme.h"

/* Colours of one theme (0xRRGGBB, channels within 16..235). */
typedef struct {
    uint32_t background, header, stripe, row, focus, focus_tab, focus_text,
             chip, chip_text, text, muted, heading, bullet, keybar, keycap,
             track, thumb, warn, dark_text, field;
} palette;

static const palette pal_normal = {
    C_BACKGROUND, C_HEADER, C_STRIPE, C_ROW, C_FOCUS, C_FOCUS_TAB, C_TEXT,
    C_CHIP, C_CHIP_TEXT, C_TEXT, C_MUTED, C_HEADING, C_BULLET, C_KEYBAR, C_KEYCAP,
    C_TRACK, C_THUMB, C_WARN, C_DARK_TEXT, C_FIELD,
};

static const palette pal_contrast = {
    HC_BACKGROUND, HC_PANEL, HC_TEXT, HC_PANEL, HC_FOCUS, HC_FOCUS_TAB, HC_DARK,
    HC_PANEL, HC_TEXT, HC_TEXT, HC_TEXT, HC_FOCUS, HC_FOCUS, HC_BACKGROUND, HC_CAP,
    HC_PANEL, HC_TEXT, HC_FOCUS, HC_DARK, HC_BACKGROUND,
};

/* Sizes of one text mode. */
typedef struct {
    ui_font body, bold, title;
    int line_h, heading_h, gap_h, row_h, row_pitch, indent;
} metrics;

static const metrics m_normal = { UI_FONT_BODY, UI_FONT_BOLD, UI_FONT_TITLE,
                                  LINE_H, HEADING_H, GAP_H, ROW_H, ROW_PITCH,
                                  BULLET_INDENT };
static const metrics m_large = { UI_FONT_BODY_L, UI_FONT_BOLD_L, UI_FONT_TITLE_L,
                                 LINE_H_L, HEADING_H_L, GAP_H, ROW_H_L, ROW_PITCH_L,
                                 BULLET_INDENT_L };

struct ui {
    ui_backend *be;
    ui_presenter *pr;
    uint32_t *frame;            /* presenter's copy of the shown frame */
    int line_h[UI_FONT_COUNT];
    const palette *c;
    const metrics *m;
    ui_keymap keymap;
    char notice[256];
    ui_overflow_fn overflow;
    void *overflow_ud;
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

    u->c = &pal_normal;
    u->m = &m_normal;
    if (cfg->keymap)
        u->keymap = *cfg->keymap;
    else
        ui_keymap_default(&u->keymap);
    ui_backend_config bc;
    memset(&bc, 0, sizeof bc);
    bc.keymap = &u->keymap;
    bc.mode = cfg->mode;
    const char *regular = cfg->font_regular ? cfg->font_regular : default_font[0];
    const char *bold = cfg->font_bold ? cfg->font_bold : default_font[1];
    bc.font_path[UI_FONT_BODY] = regular;
    bc.font_path[UI_FONT_BOLD] = bold;
    bc.font_path[UI_FONT_TITLE] = bold;
    bc.font_path[UI_FONT_SMALL] = bold;
    bc.font_path[UI_FONT_BODY_L] = regular;
    bc.font_path[UI_FONT_BOLD_L] = bold;
    bc.font_path[UI_FONT_TITLE_L] = bold;
    bc.argc = cfg->argc;
    bc.argv = cfg->argv;
    bc.log = cfg->log;
    bc.log_ud = cfg->log_ud;

    ui_err e = ui_dfb_create(&bc, &u->be);
    if (e == UI_OK && cfg->mode == UI_MODE_WINDOW) {
        u->frame = malloc((size_t)UI_SCREEN_W * UI_SCREEN_H * sizeof *u->frame);
        e = u->frame ? ui_sdl_create(cfg->scale ? cfg->scale : 1, &u->keymap, cfg->log, cfg->log_ud, &u->pr) : UI_ENOMEM;
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

/* ---- look ---- */

void ui_set_style(ui *u, int large_text, int high_contrast)
{
    if (!u)
        return;
    u->m = large_text ? &m_large : &m_normal;
    u->c = high_contrast ? &pal_contrast : &pal_normal;
}

void ui_set_notice(ui *u, const char *text)
{
    if (u)
        snprintf(u->notice, sizeof u->notice, "%s", text ? text : "");
}

void ui_set_overflow_check(ui *u, ui_overflow_fn fn, void *ud)
{
    if (u) {
        u->overflow = fn;
        u->overflow_ud = ud;
    }
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

/* A box that a text was laid out for. */
typedef struct {
    int x0, y0, x1, y1;
} box;

static const box safe_box = { SAFE_X0, SAFE_Y0, SAFE_X1, SAFE_Y1 };

/* Draw text whose width w is known; report it if it leaves b or the
 * safe area. */
static void put_text_w(ui *u, ui_font f, int x, int y, const char *s, int len, int w,
                       uint32_t c, box b)
{
    if (len <= 0)
        return;
    int h = u->line_h[f];
    if (u->overflow && (x < b.x0 || y < b.y0 || x + w > b.x1 || y + h > b.y1 ||
                        x < SAFE_X0 || y < SAFE_Y0 || x + w > SAFE_X1 || y + h > SAFE_Y1))
        u->overflow(u->overflow_ud, s, len, x, y, w, h);
    u->be->ops->draw_text(u->be, f, x, y, s, len, c);
}

static void put_text(ui *u, ui_font f, int x, int y, const char *s, int len,
                     uint32_t c, box b)
{
    put_text_w(u, f, x, y, s, len, measure(u, f, s, len), c, b);
}

/* Draw text cut to max_w with an ellipsis when it does not fit. */
static void text_fit(ui *u, ui_font f, int x, int y, const char *s, int max_w, uint32_t c)
{
    int len = (int)strlen(s);
    if (max_w <= 0)
        return;
    box b = { x, y, x + max_w, y + u->line_h[f] };
    if (measure(u, f, s, len) <= max_w) {
        put_text(u, f, x, y, s, len, c, b);
        return;
    }
    static const char ell[] = "\xE2\x80\xA6"; /* U+2026 */
    /* Shortened text is drawn inside its box, but the fitting check is
     * told: a title that loses its end is a content or layout problem. */
    if (u->overflow)
        u->overflow(u->overflow_ud, s, len, x, y, measure(u, f, s, len), u->line_h[f]);
    int ew = measure(u, f, ell, 3);
    int n = ui_fit_prefix(measure, u, f, s, len, max_w - ew);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    char buf[512];
    if (n > (int)sizeof buf - 4)
        n = (int)sizeof buf - 4;
    memcpy(buf, s, (size_t)n);
    memcpy(buf + n, ell, 4);
    put_text(u, f, x, y, buf, n + 3, c, b);
}

static void text_right(ui *u, ui_font f, int x_right, int y, const char *s, uint32_t c)
{
    int w = text_w(u, f, s);
    box b = { SAFE_X0, y, x_right, y + u->line_h[f] };
    put_text_w(u, f, x_right - w, y, s, (int)strlen(s), w, c, b);
}

/* Vertical position that centres a font's line in a box. */
static int centre_y(ui *u, ui_font f, int y0, int h)
{
    return y0 + (h - u->line_h[f]) / 2;
}

static void clear(ui *u)
{
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    fill(u, 0, 0, UI_SCREEN_W, UI_SCREEN_H, u->c->background);
}

/* A breadcrumb too long for its line loses its first steps, not its
 * last: "... > Caerwen County Council" says more than "Public serv...".
 * Writes what fits into buf and returns 1, or returns 0 when even the
 * last step does not fit in max_w. */
static int crumb_shorten(ui *u, const char *crumb, int max_w, char *buf, size_t len)
{
    snprintf(buf, len, "%s", crumb);
    const char *rest = crumb;
    while (text_w(u, UI_FONT_BODY, buf) > max_w) {
        const char *sep = strstr(rest == crumb ? rest : rest + 1, " > ");
        if (!sep)
            return 0;
        rest = sep;   /* keep " > ..." after the ellipsis */
        snprintf(buf, len, "\xE2\x80\xA6%s", rest);
    }
    return 1;
}

static void crumb_fit(ui *u, int x, int y, const char *crumb, int max_w)
{
    char buf[512];
    if (crumb_shorten(u, crumb, max_w, buf, sizeof buf)) {
        text_fit(u, UI_FONT_BODY, x, y, buf, max_w, u->c->muted);
        return;
    }
    /* The last step alone is too long (a long Welsh menu title beside
     * "Tudalen 1 o 3"): it is shortened at its end.  A design choice, not
     * an overflow: the title under it names the screen in full, and the
     * step is in full on the screen before.  So the check is not told. */
    const char *last = crumb, *sep;
    while ((sep = strstr(last, " > ")) != NULL)
        last = sep + 3;
    snprintf(buf, sizeof buf, "\xE2\x80\xA6 > %s", last);
    ui_overflow_fn check = u->overflow;
    u->overflow = NULL;
    text_fit(u, UI_FONT_BODY, x, y, buf, max_w, u->c->muted);
    u->overflow = check;
}

/* The largest title font in which the title fits whole: the title size,
 * then bold body size, then 24 px bold (then it is shortened). */
static ui_font title_font(ui *u, const char *title, int width)
{
    const ui_font chain[3] = { u->m->title, u->m->bold, UI_FONT_BOLD };
    for (int i = 0; i < 3; i++)
        if (text_w(u, chain[i], title) <= width)
            return chain[i];
    return UI_FONT_BOLD;
}

/* The header panel: breadcrumb (if any) over the title, and an optional
 * note at the top right ("3 of 12", "Page 1 of 2").  When the breadcrumb
 * cannot share its line with the note even shortened to its last step,
 * and the title can leave room (in a smaller size if need be), the note
 * moves down to the title's line, at its right, so that nothing is cut. */
static void draw_header(ui *u, const char *title, const char *crumb, const char *note)
{
    if (!title)
        title = "";
    const int full = CONTENT_X1 - CONTENT_X0;
    ui_font tf = title_font(u, title, full);
    fill(u, SAFE_X0, HEADER_Y0, SAFE_X1 - SAFE_X0, HEADER_Y1 - HEADER_Y0, u->c->header);
    fill(u, SAFE_X0, HEADER_Y1, SAFE_X1 - SAFE_X0, STRIPE_H, u->c->stripe);
    int note_w = note && *note ? text_w(u, UI_FONT_BODY, note) + 24 : 0;
    int top = HEADER_Y0 + 4;
    if (crumb && *crumb) {
        char buf[512];
        ui_font ntf = title_font(u, title, full - note_w);
        if (note_w && !crumb_shorten(u, crumb, full - note_w, buf, sizeof buf) &&
            text_w(u, ntf, title) <= full - note_w) {
            /* The title, in a smaller size if need be (as for any long
             * title), beside the note, its foot on the title's foot. */
            tf = ntf;
            int ty = HEADER_Y1 - 4 - u->line_h[tf];
            text_right(u, UI_FONT_BODY, CONTENT_X1,
                       ty + u->line_h[tf] - u->line_h[UI_FONT_BODY], note, u->c->muted);
            crumb_fit(u, CONTENT_X0, top, crumb, full);
            text_fit(u, tf, CONTENT_X0, ty, title, full - note_w, u->c->text);
            return;
        }
        int ty = HEADER_Y1 - 4 - u->line_h[tf];
        if (note_w)
            text_right(u, UI_FONT_BODY, CONTENT_X1, top, note, u->c->muted);
        crumb_fit(u, CONTENT_X0, top, crumb, full - note_w);
        text_fit(u, tf, CONTENT_X0, ty, title, full, u->c->text);
    } else {
        if (note_w)
            text_right(u, UI_FONT_BODY, CONTENT_X1, top, note, u->c->muted);
        /* Alone, the title sits in the middle of the panel, clear of the
         * note above its right end. */
        if (text_w(u, tf, title) > full - note_w)
            tf = title_font(u, title, full - note_w);
        int ty = centre_y(u, tf, HEADER_Y0, HEADER_Y1 - HEADER_Y0);
        text_fit(u, tf, CONTENT_X0, ty, title, full - note_w, u->c->text);
    }
}

static void draw_cap(ui *u, int x, int y, int w, int h, const char *label)
{
    fill(u, x, y, w, h, u->c->keycap);
    if (label) {
        int lw = text_w(u, UI_FONT_SMALL, label);
        box b = { x, y, x + w, y + h };
        put_text_w(u, UI_FONT_SMALL, x + (w - lw) / 2, centre_y(u, UI_FONT_SMALL, y, h),
                   label, (int)strlen(label), lw, u->c->text, b);
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
    if (k == UI_KEY_INFO)
        return text_w(u, UI_FONT_SMALL, "INFO") + 16;
    if (k == UI_KEY_OK)
        return text_w(u, UI_FONT_SMALL, "OK") + 16;
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
    uint32_t t = u->c->text;
    switch (k) {
    case UI_KEY_BACK: draw_cap(u, x, cy, w, 26, "BACK"); return;
    case UI_KEY_EXIT: draw_cap(u, x, cy, w, 26, "EXIT"); return;
    case UI_KEY_INFO: draw_cap(u, x, cy, w, 26, "INFO"); return;
    case UI_KEY_OK: draw_cap(u, x, cy, w, 26, "OK"); return;
    case UI_KEY_LEFT:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 8, cy + 13, x + 19, cy + 6, x + 19, cy + 20, t);
        return;
    case UI_KEY_RIGHT:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 20, cy + 13, x + 9, cy + 6, x + 9, cy + 20, t);
        return;
    case UI_KEY_UP:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 14, cy + 6, x + 7, cy + 19, x + 21, cy + 19, t);
        return;
    case UI_KEY_DOWN:
        draw_cap(u, x, cy, w, 26, NULL);
        u->be->ops->fill_triangle(u->be, x + 14, cy + 20, x + 7, cy + 7, x + 21, cy + 7, t);
        return;
    default:
        if (ui_key_digit(k) >= 0)
            draw_cap(u, x, cy, w, 26, "0-9");
        return;
    }
}

/* The key bar: colour keys and other hints from the left, BACK and EXIT
 * from the right, as on most UK red-button services.  Labels that do not
 * fit are shortened with an ellipsis, never drawn over each other. */
static void draw_keybar(ui *u, const ui_keybar *kb)
{
    int h = KEYBAR_Y1 - KEYBAR_Y0;
    fill(u, SAFE_X0, KEYBAR_Y0, SAFE_X1 - SAFE_X0, h, u->c->keybar);
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
        box b = { xr, KEYBAR_Y0, xr + lw, KEYBAR_Y1 };
        put_text_w(u, UI_FONT_BODY, xr, ty, label, (int)strlen(label), lw, u->c->text, b);
        xr -= 8 + sw;
        draw_hint_symbol(u, hk->key, xr, KEYBAR_Y0, h);
        xr -= 20;
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
        /* A label that does not fit whole is left out (the symbol
         * stays): a cut word on a key bar reads as a different word. */
        int lw = *label ? text_w(u, UI_FONT_BODY, label) : 0;
        if (lw && x + 6 + lw <= xr) {
            x += 6;
            box b = { x, KEYBAR_Y0, x + lw, KEYBAR_Y1 };
            put_text_w(u, UI_FONT_BODY, x, ty, label, (int)strlen(label), lw, u->c->text, b);
            x += lw;
        } else {
            label = "";
        }
        x += *label ? 16 : 6;
    }
}

/* The notice banner: a yellow band with dark text in the key bar's
 * place.  Over the body it would hide the last lines of a page or the
 * last rows of a menu; the key bar can give way for the moment the
 * notice lasts, as any key clears the notice and brings the bar back. */
static void draw_notice(ui *u)
{
    if (!u->notice[0])
        return;
    fill(u, SAFE_X0, KEYBAR_Y0, SAFE_X1 - SAFE_X0, KEYBAR_Y1 - KEYBAR_Y0, u->c->warn);
    text_fit(u, UI_FONT_BOLD, CONTENT_X0,
             centre_y(u, UI_FONT_BOLD, KEYBAR_Y0, KEYBAR_Y1 - KEYBAR_Y0), u->notice,
             CONTENT_X1 - CONTENT_X0, u->c->dark_text);
}

static ui_err show(ui *u)
{
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    draw_notice(u);
    ui_err e = u->be->ops->flip(u->be);
    if (e == UI_OK && u->pr) {
        e = u->be->ops->read_pixels(u->be, u->frame);
        if (e == UI_OK)
            e = u->pr->ops->present(u->pr, u->frame);
    }
    return e;
}

/* Format an app-supplied note ("%zu of %zu"): the format is the app's
 * own translation table, never content. */
static void format_note(char *out, size_t n, const char *fmt, size_t a, size_t b)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(out, n, fmt, a, b);
#pragma GCC diagnostic pop
}

/* ---- menu ---- */

static ui_err layout(ui *u, const char *body, int width, ui_layout *l);
static int draw_plain(ui *u, const ui_layout *l, int x, int y, int y_end, uint32_t colour);

size_t ui_menu_rows(const ui *u)
{
    const metrics *m = u ? u->m : &m_normal;
    return (size_t)((BODY_Y1 - BODY_Y0 + (m->row_pitch - m->row_h)) / m->row_pitch);
}

/* The footer takes one body line and a gap at the foot of the body. */
static int footer_h(const ui *u)
{
    return u->line_h[u->m->body] + 12;
}

size_t ui_menu_rows_footer(const ui *u)
{
    if (!u)
        return ui_menu_rows(u);
    const metrics *m = u->m;
    int h = BODY_Y1 - BODY_Y0 - footer_h(u);
    return (size_t)((h + (m->row_pitch - m->row_h)) / m->row_pitch);
}

ui_err ui_show_menu(ui *u, const ui_menu_view *v)
{
    if (!u || !v || (v->n_items && !v->items))
        return UI_EINVAL;
    const metrics *m = u->m;
    const palette *c = u->c;
    size_t rows = v->footer ? ui_menu_rows_footer(u) : ui_menu_rows(u);
    int scrolling = v->n_items > rows;
    char note[64] = "";
    if (scrolling)
        format_note(note, sizeof note, v->position_fmt ? v->position_fmt : "%zu of %zu",
                    v->focus + 1, v->n_items);
    clear(u);
    draw_header(u, v->title, v->breadcrumb, note);

    if (v->n_items == 0 && v->empty) {
        ui_layout el;
        if (layout(u, v->empty, CONTENT_X1 - CONTENT_X0, &el) == UI_OK) {
            draw_plain(u, &el, CONTENT_X0, BODY_Y0, BODY_Y1, c->text);
            ui_layout_free(&el);
        }
    }

    int right = scrolling ? CONTENT_X1 - SCROLL_W - 8 : CONTENT_X1;
    int num_w = text_w(u, m->bold, v->n_items >= 10 ? "88" : "8") + 20;
    if (num_w < 38)
        num_w = 38;
    for (size_t r = 0; r < rows; r++) {
        size_t i = v->top + r;
        if (i >= v->n_items)
            break;
        int y = BODY_Y0 + (int)r * m->row_pitch;
        int focused = i == v->focus;
        fill(u, CONTENT_X0, y, right - CONTENT_X0, m->row_h, focused ? c->focus : c->row);
        if (focused)
            fill(u, CONTENT_X0, y, 8, m->row_h, c->focus_tab);
        /* The number the viewer can press. */
        int cx = CONTENT_X0 + 18, cy = y + 6, ch = m->row_h - 12;
        int lx = CONTENT_X0 + 24;
        if (!v->unnumbered) {
            char num[24];
            snprintf(num, sizeof num, "%zu", i + 1);
            fill(u, cx, cy, num_w, ch, focused ? c->focus_tab : c->chip);
            int nw = text_w(u, m->bold, num);
            box nb = { cx, cy, cx + num_w, cy + ch };
            put_text_w(u, m->bold, cx + (num_w - nw) / 2, centre_y(u, m->bold, cy, ch), num,
                       (int)strlen(num), nw, focused ? c->dark_text : c->chip_text, nb);
            lx = cx + num_w + 18;
        }
        ui_font f = focused ? m->bold : m->body;
        uint32_t tc = focused ? c->focus_text : c->text;
        int label_right = right - 16;
        if (v->values && v->values[i] && *v->values[i]) {
            /* The value at the right; the label gets what is left. */
            int vw = text_w(u, m->bold, v->values[i]);
            int max_vw = (right - lx) / 2;
            if (vw > max_vw)
                vw = max_vw;
            text_fit(u, m->bold, right - 16 - vw, centre_y(u, m->bold, y, m->row_h),
                     v->values[i], vw, focused ? c->focus_text : c->heading);
            label_right = right - 32 - vw;
        }
        const char *label = v->items[i] ? v->items[i] : "";
        /* A label too long at the large size is shown whole at 24 px
         * rather than cut. */
        if (text_w(u, f, label) > label_right - lx)
            f = focused ? UI_FONT_BOLD : UI_FONT_BODY;
        text_fit(u, f, lx, centre_y(u, f, y, m->row_h), label, label_right - lx, tc);
    }

    if (scrolling) {
        /* A scroll bar the height of the list, its thumb showing which
         * part of the list is on screen. */
        int ty0 = BODY_Y0, th = (int)rows * m->row_pitch - (m->row_pitch - m->row_h);
        int tx = CONTENT_X1 - SCROLL_W;
        fill(u, tx, ty0, SCROLL_W, th, c->track);
        int thumb = (int)((size_t)th * rows / v->n_items);
        if (thumb < 24)
            thumb = 24;
        size_t max_top = v->n_items - rows;
        int off = max_top ? (int)((size_t)(th - thumb) * (v->top < max_top ? v->top : max_top) / max_top) : 0;
        fill(u, tx, ty0 + off, SCROLL_W, thumb, c->thumb);
    }
    if (v->footer && *v->footer) {
        ui_font ff = text_w(u, m->body, v->footer) <= CONTENT_X1 - CONTENT_X0 ? m->body
                   : UI_FONT_BODY;
        int fy = BODY_Y1 - u->line_h[m->body];
        fill(u, CONTENT_X0, fy - 8, CONTENT_X1 - CONTENT_X0, 2 + 2, c->stripe);
        text_fit(u, ff, CONTENT_X0, fy + (u->line_h[m->body] - u->line_h[ff]) / 2, v->footer,
                 CONTENT_X1 - CONTENT_X0, c->heading);
    }
    draw_keybar(u, &v->keys);
    return show(u);
}

/* ---- information page ---- */

/* The size a picture is drawn at: its own, or scaled down to fit the
 * width of the text and at most a third of the screen's height (large
 * text: a quarter), keeping its shape. */
static void image_size(const ui *u, const ui_image *img, int *w, int *h)
{
    int max_w = CONTENT_X1 - CONTENT_X0;
    int max_h = u->m == &m_large ? 150 : 190;
    *w = img->w;
    *h = img->h;
    if (*w > max_w) {
        *h = (int)((int64_t)*h * max_w / *w);
        *w = max_w;
    }
    if (*h > max_h) {
        *w = (int)((int64_t)*w * max_h / *h);
        *h = max_h;
    }
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
}

static int link_indent(ui *u)
{
    return text_w(u, u->m->bold, "8") + 28;
}

static ui_err layout_view(ui *u, const ui_page_view *v, int width, ui_layout *l)
{
    ui_layout_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    p.height = BODY_Y1 - BODY_Y0;
    p.indent = u->m->indent;
    p.line_h = u->m->line_h;
    p.heading_h = u->m->heading_h;
    p.gap_h = u->m->gap_h;
    p.font_body = u->m->body;
    p.font_bold = u->m->bold;
    if (v && v->image && v->image->argb && v->image->w > 0 && v->image->h > 0) {
        int iw, ih;
        image_size(u, v->image, &iw, &ih);
        p.image_h = ih + (v->image_alt && *v->image_alt ? u->line_h[UI_FONT_BODY] + 6 : 0);
    }
    if (v) {
        p.links = v->links;
        p.n_links = v->links ? (int)v->n_links : 0;
    }
    p.link_indent = link_indent(u);
    p.measure = measure;
    p.ud = u;
    return ui_layout_body(&p, v && v->body ? v->body : "", l);
}

static ui_err layout(ui *u, const char *body, int width, ui_layout *l)
{
    ui_page_view v;
    memset(&v, 0, sizeof v);
    v.body = body;
    return layout_view(u, &v, width, l);
}

/* Plain 24 px text, whatever the text size (hints). */
static ui_err plain_layout(ui *u, const char *text, int width, ui_layout *l)
{
    ui_layout_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    p.height = BODY_Y1 - BODY_Y0;
    p.line_h = LINE_H;
    p.heading_h = LINE_H;
    p.font_body = UI_FONT_BODY;
    p.font_bold = UI_FONT_BOLD;
    p.measure = measure;
    p.ud = u;
    return ui_layout_body(&p, text, l);
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

size_t ui_page_view_count(ui *u, const ui_page_view *v)
{
    ui_layout l;
    if (!u || !v || layout_view(u, v, CONTENT_X1 - CONTENT_X0, &l) != UI_OK)
        return 1;
    size_t n = (size_t)l.pages;
    ui_layout_free(&l);
    return n ? n : 1;
}

/* Draw a laid-out line's text with its emphasis in bold. */
static void draw_rich(ui *u, ui_font f, int x, int y, const ui_line *ln, uint32_t c,
                      uint32_t emph_c, box b)
{
    int emph = ln->emph, seg = 0;
    int total = ui_rich_width(measure, u, f, u->m->bold, emph, ln->text, ln->len);
    if (u->overflow && (x < b.x0 || x + total > b.x1 || y < b.y0 ||
                        y + u->line_h[f] > b.y1))
        u->overflow(u->overflow_ud, ln->text, ln->len, x, y, total, u->line_h[f]);
    for (int i = 0; i <= ln->len; i++) {
        if (i < ln->len && ln->text[i] != UI_EMPH_ON && ln->text[i] != UI_EMPH_OFF)
            continue;
        if (i > seg) {
            ui_font sf = emph ? u->m->bold : f;
            u->be->ops->draw_text(u->be, sf, x, y, ln->text + seg, i - seg,
                                  emph ? emph_c : c);
            x += measure(u, sf, ln->text + seg, i - seg);
        }
        if (i < ln->len)
            emph = ln->text[i] == UI_EMPH_ON;
        seg = i + 1;
    }
}

/* Draw one screen of a laid-out body at the top of the body area. */
static void draw_body(ui *u, const ui_layout *l, int page, const ui_page_view *v, int y0)
{
    const metrics *m = u->m;
    const palette *c = u->c;
    box b = { CONTENT_X0, BODY_Y0, CONTENT_X1, BODY_Y1 };
    for (int i = 0; i < l->n; i++) {
        const ui_line *ln = &l->lines[i];
        if (ln->page != page)
            continue;
        int y = y0 + ln->y;
        int ty = y + (m->line_h - u->line_h[m->body]) / 2;
        switch (ln->kind) {
        case UI_LINE_IMAGE:
            if (v && v->image) {
                int iw, ih;
                image_size(u, v->image, &iw, &ih);
                int ix = CONTENT_X0 + (CONTENT_X1 - CONTENT_X0 - iw) / 2;
                u->be->ops->draw_image(u->be, ix, y, iw, ih, v->image->argb,
                                       v->image->w, v->image->h);
                if (v->image_alt && *v->image_alt) {
                    int aw = text_w(u, UI_FONT_BODY, v->image_alt);
                    int room = CONTENT_X1 - CONTENT_X0;
                    int ax = aw < room ? CONTENT_X0 + (room - aw) / 2 : CONTENT_X0;
                    text_fit(u, UI_FONT_BODY, ax, y + ih + 4, v->image_alt, room, c->muted);
                }
            }
            break;
        case UI_LINE_HEADING:
            draw_rich(u, m->bold, CONTENT_X0, y + (m->heading_h - u->line_h[m->bold]) / 2,
                      ln, c->heading, c->heading, b);
            break;
        case UI_LINE_BULLET:
            fill(u, CONTENT_X0 + 6, y + m->line_h / 2 - 4, 8, 8, c->bullet);
            /* fall through */
        case UI_LINE_BULLET_CONT: {
            box bb = b;
            bb.x0 = CONTENT_X0 + m->indent;
            draw_rich(u, m->body, CONTENT_X0 + m->indent, ty, ln, c->text, c->heading, bb);
            break;
        }
        case UI_LINE_LINK: {
            int ind = link_indent(u);
            int first = i == 0 || l->lines[i - 1].kind != UI_LINE_LINK ||
                        l->lines[i - 1].link != ln->link;
            if (first) {
                char num[16];
                snprintf(num, sizeof num, "%d", ln->link + 1);
                int cw = ind - 12, ch = m->line_h - 4;
                fill(u, CONTENT_X0, y + 2, cw, ch, c->focus_tab);
                int nw = text_w(u, m->bold, num);
                box nb = { CONTENT_X0, y + 2, CONTENT_X0 + cw, y + 2 + ch };
                put_text_w(u, m->bold, CONTENT_X0 + (cw - nw) / 2,
                           centre_y(u, m->bold, y + 2, ch), num, (int)strlen(num), nw,
                           c->dark_text, nb);
            }
            box lb = b;
            lb.x0 = CONTENT_X0 + ind;
            draw_rich(u, m->body, CONTENT_X0 + ind, ty, ln, c->heading, c->heading, lb);
            break;
        }
        case UI_LINE_TEXT:
            draw_rich(u, m->body, CONTENT_X0, ty, ln, c->text, c->heading, b);
            break;
        }
    }
}

ui_err ui_show_page(ui *u, const ui_page_view *v)
{
    if (!u || !v)
        return UI_EINVAL;
    ui_layout l;
    ui_err e = layout_view(u, v, CONTENT_X1 - CONTENT_X0, &l);
    if (e != UI_OK)
        return e;
    size_t page = v->page < (size_t)l.pages ? v->page : (size_t)l.pages - 1;
    char note[64] = "";
    if (l.pages > 1)
        format_note(note, sizeof note, v->page_fmt ? v->page_fmt : "Page %zu of %zu",
                    page + 1, (size_t)l.pages);
    clear(u);
    draw_header(u, v->title, v->breadcrumb, note);
    u->be->ops->set_clip(u->be, CONTENT_X0, BODY_Y0, CONTENT_X1 - CONTENT_X0, BODY_Y1 - BODY_Y0);
    draw_body(u, &l, (int)page, v, BODY_Y0);
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
    const palette *c = u->c;
    ui_font bf = u->m->bold;
    clear(u);
    draw_header(u, v->title, NULL, NULL);
    int y = 230;
    const char *status = v->status ? v->status : "";
    int sw = text_w(u, bf, status);
    if (sw > CONTENT_X1 - CONTENT_X0)
        text_fit(u, bf, CONTENT_X0, y, status, CONTENT_X1 - CONTENT_X0, c->text);
    else
        put_text_w(u, bf, (UI_SCREEN_W - sw) / 2, y, status, (int)strlen(status), sw,
                   c->text, safe_box);
    int bx = 160, bw = UI_SCREEN_W - 2 * bx, by = y + u->line_h[bf] + 20, bh = 16;
    fill(u, bx, by, bw, bh, c->track);
    if (v->total) {
        unsigned done = v->done < v->total ? v->done : v->total;
        fill(u, bx, by, (int)((uint64_t)(unsigned)bw * done / v->total), bh, c->stripe);
    }
    if (v->detail && *v->detail) {
        ui_font df = u->m->body;
        int dw = text_w(u, df, v->detail);
        if (dw > CONTENT_X1 - CONTENT_X0)
            text_fit(u, df, CONTENT_X0, by + bh + 14, v->detail, CONTENT_X1 - CONTENT_X0, c->muted);
        else
            put_text_w(u, df, (UI_SCREEN_W - dw) / 2, by + bh + 14, v->detail,
                       (int)strlen(v->detail), dw, c->muted, safe_box);
    }
    draw_keybar(u, &v->keys);
    return show(u);
}

/* Draw the lines of a laid-out text that fit between y and y_end; return
 * the y below the last one drawn. */
static int draw_plain(ui *u, const ui_layout *l, int x, int y, int y_end, uint32_t colour)
{
    const metrics *m = u->m;
    int end = y;
    box b = { x, y, CONTENT_X1, y_end };
    for (int i = 0; i < l->n; i++) {
        const ui_line *ln = &l->lines[i];
        int heading = ln->kind == UI_LINE_HEADING;
        int h = heading ? m->heading_h : m->line_h;
        int top = y + ln->y + ln->page * (BODY_Y1 - BODY_Y0);
        if (top + h > y_end) {
            /* What does not fit is not drawn, and the fitting check hears
             * of it: a message must never lose its end silently. */
            if (u->overflow)
                u->overflow(u->overflow_ud, ln->text, ln->len, x, top, 0, h);
            break;
        }
        ui_font f = heading ? m->bold : m->body;
        int ind = (ln->kind == UI_LINE_BULLET || ln->kind == UI_LINE_BULLET_CONT) ? m->indent : 0;
        if (ln->kind == UI_LINE_BULLET)
            fill(u, x + 6, top + m->line_h / 2 - 4, 8, 8, u->c->bullet);
        draw_rich(u, f, x + ind, top + (h - u->line_h[f]) / 2, ln,
                  heading ? u->c->heading : colour, u->c->heading, b);
        end = top + h;
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
    int y = draw_plain(u, &text, tx, BODY_Y0, BODY_Y1, u->c->text);
    if (detail.n)
        y = draw_plain(u, &detail, tx, y + GAP_H, BODY_Y1, u->c->muted);
    /* A warning tab beside the text marks the screen as a message rather
     * than content. */
    if (y > BODY_Y1)
        y = BODY_Y1;
    fill(u, CONTENT_X0, BODY_Y0, 8, (y > BODY_Y0 + LINE_H ? y : BODY_Y0 + LINE_H) - BODY_Y0, u->c->warn);
    ui_layout_free(&text);
    ui_layout_free(&detail);
    draw_keybar(u, &v->keys);
    return show(u);
}

/* ---- television ---- */

/* The built-in still: a calm landscape (sky, sun, hills, a field), drawn
 * in 2 px bands so that nothing flickers, every channel in 16..235. */
static void draw_still(ui *u)
{
    for (int y = 0; y < UI_SCREEN_H; y += 2) {
        /* Sky from deep blue to pale at the horizon. */
        int t = y < 330 ? y * 255 / 330 : 255;
        uint32_t r = (uint32_t)(40 + t * 140 / 255), g = (uint32_t)(90 + t * 110 / 255),
                 b = (uint32_t)(170 + t * 50 / 255);
        fill(u, 0, y, UI_SCREEN_W, 2, (r << 16) | (g << 8) | b);
    }
    /* The sun: a stack of 2 px bands approximating a disc. */
    for (int dy = -40; dy < 40; dy += 2) {
        int half = 0;
        while ((half + 1) * (half + 1) + dy * dy <= 40 * 40)
            half++;
        fill(u, 520 - half, 150 + dy, 2 * half, 2, 0xEBD27Au);
    }
    u->be->ops->fill_triangle(u->be, -200, 420, 260, 250, 700, 420, 0x3C7846u);
    u->be->ops->fill_triangle(u->be, 200, 420, 560, 280, 920, 420, 0x2E6438u);
    fill(u, 0, 420, UI_SCREEN_W, UI_SCREEN_H - 420, 0x3E8A3Cu);
    for (int y = 440; y < UI_SCREEN_H; y += 24)
        fill(u, 0, y, UI_SCREEN_W, 4, 0x4A9646u);
}

ui_err ui_show_tv(ui *u, const ui_tv_view *v)
{
    if (!u || !v)
        return UI_EINVAL;
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    if (v->picture && v->picture->argb)
        u->be->ops->draw_image(u->be, 0, 0, UI_SCREEN_W, UI_SCREEN_H, v->picture->argb,
                               v->picture->w, v->picture->h);
    else
        draw_still(u);
    if (v->prompt && *v->prompt) {
        /* Small and out of the way, bottom left inside the safe area: a
         * red chip and one line, on a dark plate so it reads over any
         * picture. */
        int tw = text_w(u, UI_FONT_BOLD, v->prompt);
        int max_tw = SAFE_X1 - SAFE_X0 - 56;
        if (tw > max_tw)
            tw = max_tw;
        int h = u->line_h[UI_FONT_BOLD] + 20;
        int x = SAFE_X0, y = SAFE_Y1 - 8 - h, w = tw + 56;
        fill(u, x, y, w, h, 0x141E32u);
        fill(u, x + 10, y + (h - 20) / 2, 28, 20, C_RED);
        text_fit(u, UI_FONT_BOLD, x + 46, y + 10, v->prompt, tw, C_TEXT);
    }
    u->be->ops->set_clip(u->be, 0, 0, 0, 0);
    ui_err e = u->be->ops->flip(u->be);
    if (e == UI_OK && u->pr) {
        e = u->be->ops->read_pixels(u->be, u->frame);
        if (e == UI_OK)
            e = u->pr->ops->present(u->pr, u->frame);
    }
    return e;
}

/* ---- text entry ---- */

ui_err ui_show_entry(ui *u, const ui_entry_view *v)
{
    if (!u || !v || (v->n_keyboard && (!v->keyboard || !v->columns)))
        return UI_EINVAL;
    const metrics *m = u->m;
    const palette *c = u->c;
    clear(u);
    draw_header(u, v->title, v->breadcrumb, NULL);
    int y = BODY_Y0;
    if (v->prompt && *v->prompt) {
        ui_layout pl;
        if (layout(u, v->prompt, CONTENT_X1 - CONTENT_X0, &pl) == UI_OK) {
            y = draw_plain(u, &pl, CONTENT_X0, y, y + 2 * m->line_h, c->text) + 6;
            ui_layout_free(&pl);
        }
    }
    /* The field: what has been typed, a pending multi-tap letter on a
     * yellow block, then the cursor. */
    int fh = u->line_h[m->bold] + 16, fw = 420;
    fill(u, CONTENT_X0, y, fw, fh, c->focus);
    fill(u, CONTENT_X0 + 4, y + 4, fw - 8, fh - 8, c->field);
    const char *val = v->value ? v->value : "";
    int len = (int)strlen(val);
    int done_len = v->pending && len > 0 ? len - 1 : len;
    while (done_len > 0 && ((unsigned char)val[done_len] & 0xC0) == 0x80)
        done_len--;
    int tx = CONTENT_X0 + 16, ty = y + 8;
    box fb = { CONTENT_X0 + 4, y + 4, CONTENT_X0 + fw - 4, y + fh - 4 };
    put_text(u, m->bold, tx, ty, val, done_len, c->text, fb);
    tx += measure(u, m->bold, val, done_len);
    if (done_len < len) {
        int pw = measure(u, m->bold, val + done_len, len - done_len);
        fill(u, tx, y + 6, pw + 4, fh - 12, c->warn);   /* yellow in both themes */
        put_text_w(u, m->bold, tx + 2, ty, val + done_len, len - done_len, pw, c->dark_text, fb);
        tx += pw + 4;
    }
    fill(u, tx + 2, y + 8, 4, fh - 16, c->heading);
    y += fh + 6;
    if (v->error && *v->error) {
        text_fit(u, m->bold, CONTENT_X0, y, v->error, CONTENT_X1 - CONTENT_X0, c->warn);
        y += u->line_h[m->bold] + 4;
    }
    /* The keyboard, anchored to the foot of the body area. */
    int kb_top = BODY_Y1;
    if (v->n_keyboard) {
        size_t rows = (v->n_keyboard + v->columns - 1) / v->columns;
        int kh = 34, gap = 4;
        int kw = (CONTENT_X1 - CONTENT_X0 + gap) / (int)v->columns - gap;
        kb_top = BODY_Y1 - (int)rows * (kh + gap) + gap;
        ui_font kf = UI_FONT_BOLD;   /* big enough to read; room for the hint */
        for (size_t i = 0; i < v->n_keyboard; i++) {
            int kx = CONTENT_X0 + (int)(i % v->columns) * (kw + gap);
            int ky = kb_top + (int)(i / v->columns) * (kh + gap);
            int focused = i == v->focus;
            fill(u, kx, ky, kw, kh, focused ? c->focus_tab : c->row);
            const char *lab = v->keyboard[i] ? v->keyboard[i] : "";
            int lw = text_w(u, kf, lab);
            box kb = { kx, ky, kx + kw, ky + kh };
            put_text_w(u, kf, kx + (kw - lw) / 2, centre_y(u, kf, ky, kh), lab,
                       (int)strlen(lab), lw, focused ? c->dark_text : c->text, kb);
        }
    }
    /* The hint, at 24 px in either text size, in the room left between:
     * the whole hint, else the short one, never half a sentence. */
    const char *hints[2] = { v->hint, v->hint_short };
    for (int i = 0; i < 2; i++) {
        if (!hints[i] || !*hints[i])
            continue;
        ui_layout hl;
        if (plain_layout(u, hints[i], CONTENT_X1 - CONTENT_X0, &hl) != UI_OK)
            break;
        int need = hl.n * LINE_H;
        if (hl.pages == 1 && y + 4 + need <= kb_top - 4) {
            for (int k = 0; k < hl.n; k++) {
                const ui_line *ln = &hl.lines[k];
                box hb = { CONTENT_X0, y + 4, CONTENT_X1, kb_top - 4 };
                put_text(u, UI_FONT_BODY, CONTENT_X0, y + 4 + k * LINE_H + (LINE_H - u->line_h[UI_FONT_BODY]) / 2,
                         ln->text, ln->len, c->muted, hb);
            }
            ui_layout_free(&hl);
            break;
        }
        ui_layout_free(&hl);
    }
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
