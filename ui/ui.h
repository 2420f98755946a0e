/*
 * ui/: civictv's screens on a 720x576 television picture.
 *
 * The app describes what to show in plain view structs (a menu, an
 * information page, the loading screen, a message) and the UI lays it out
 * and draws it: titles, the focus highlight, word wrapping and paging, the
 * colour-key bar.  Nothing here knows about carousels or the content
 * format; texts arrive as UTF-8 strings the caller owns.
 *
 * Drawing goes through a thin back-end (ui_backend.h): the DirectFB one is
 * what the set-top box uses.  On a desktop DirectFB runs on its "dummy"
 * system and a presenter copies every finished frame into an SDL2 window
 * and turns the desktop keyboard into remote keys (Debian's DirectFB x11
 * system does not survive Xvfb, so it is not used).
 *
 * Screen rules (EBU R95, UK D-Book practice): everything inside the
 * graphics-safe area x 36..684, y 29..547; Tiresias at 24 px or more for
 * body text; light text on dark backgrounds; every colour channel within
 * 16..235; no horizontal line thinner than 2 px (one-line details flicker
 * on an interlaced display).
 *
 * Threading: a ui object is used from one thread (the app's poll loop).
 */
#ifndef UI_H
#define UI_H

#include <stddef.h>
#include <stdint.h>

/* Zero is success; new codes are only appended. */
typedef enum {
    UI_OK = 0,
    UI_ENOMEM,      /* an allocation failed */
    UI_EINVAL,      /* a bad argument from the caller */
    UI_EINIT,       /* the graphics system could not be started */
    UI_EFONT,       /* a font could not be loaded */
    UI_EWINDOW,     /* the desktop window could not be opened */
    UI_EIO,         /* a file could not be written */
    UI_EPNG,        /* the PNG encoder or decoder failed */
    UI_EKEYMAP      /* a key-map file line is not understood */
} ui_err;

/* A static English message for an error code. */
const char *ui_strerror(ui_err e);

/* The keys of a television remote that the app reacts to. */
typedef enum {
    UI_KEY_NONE = 0,
    UI_KEY_UP,
    UI_KEY_DOWN,
    UI_KEY_LEFT,
    UI_KEY_RIGHT,
    UI_KEY_OK,
    UI_KEY_BACK,
    UI_KEY_EXIT,
    UI_KEY_RED,
    UI_KEY_GREEN,
    UI_KEY_YELLOW,
    UI_KEY_BLUE,
    UI_KEY_0, UI_KEY_1, UI_KEY_2, UI_KEY_3, UI_KEY_4,
    UI_KEY_5, UI_KEY_6, UI_KEY_7, UI_KEY_8, UI_KEY_9,
    UI_KEY_INFO,        /* the remote's Info/Help key: the key map */
    UI_KEY_COUNT
} ui_key;

/* Script name of a key ("up", "ok", "red", "7"); "none" for UI_KEY_NONE. */
const char *ui_key_name(ui_key k);
/* The key a script name stands for (case-insensitive), or UI_KEY_NONE. */
ui_key ui_key_from_name(const char *name);
/* 0..9 for a digit key, -1 for any other key. */
int ui_key_digit(ui_key k);

typedef enum {
    UI_MODE_HEADLESS,   /* DirectFB dummy system, no input, no window */
    UI_MODE_BOX,        /* DirectFB as configured (the set-top box) */
    UI_MODE_WINDOW      /* DirectFB dummy system shown in an SDL2 window */
} ui_mode;

typedef struct {
    ui_mode mode;
    int scale;              /* window mode: 1 or 2 (0: 1) */
    const char *font_regular;  /* TrueType file; NULL: Tiresias Infofont */
    const char *font_bold;     /* NULL: Tiresias Infofont Bold */
    /* Command-line arguments handed to DirectFBInit so that --dfb:...
     * options work as in any DirectFB program; may be NULL/0.  DirectFB
     * removes the arguments it understood (argc and argv are updated). */
    int *argc;
    char ***argv;
    /* Diagnostics (font fallbacks, DirectFB failures); may be NULL. */
    void (*log)(void *ud, const char *msg);
    void *log_ud;
    /* Remote keys of the box's input devices and the desktop keyboard;
     * NULL: the built-in map (ui_keymap_default).  Borrowed for the life
     * of the ui. */
    const struct ui_keymap *keymap;
} ui_config;

/* ---- key maps ----
 *
 * A key map says which DirectFB key symbol (box: linux_input, lirc and
 * any other DirectFB input driver) and which desktop key (the emulator
 * window, SDL key names) stands for which remote key.  The file has one
 * mapping a line:
 *
 *     # comment
 *     box RED = red             DirectFB symbol name (DIKS_ without prefix)
 *     desktop F1 = red          SDL key name ("F1", "Return", "R")
 *
 * Later lines add to earlier ones; a source key maps to one remote key. */
typedef struct ui_keymap_entry {
    int desktop;            /* 0: box (DirectFB symbol), 1: desktop (SDL) */
    char name[32];          /* the source key's name as written */
    ui_key key;
} ui_keymap_entry;

#define UI_KEYMAP_MAX 128

typedef struct ui_keymap {
    ui_keymap_entry e[UI_KEYMAP_MAX];
    size_t n;
} ui_keymap;

/* The built-in map: arrows, OK/Enter, Back/Backspace, Exit/Esc, colour
 * keys and F1-F4, digits, Info/F5. */
void ui_keymap_default(ui_keymap *m);
/* Add the lines of a key-map file's text (len bytes) to m.  On error
 * msg says "line N: what" and m keeps the lines before it. */
ui_err ui_keymap_parse(ui_keymap *m, const char *text, size_t len,
                       char *msg, size_t msglen);
/* The remote key for a source key name, or UI_KEY_NONE. */
ui_key ui_keymap_lookup(const ui_keymap *m, int desktop, const char *name);

typedef struct ui ui;

/* Start the graphics system, load the fonts, open the window in window
 * mode.  On error *out is NULL. */
ui_err ui_create(const ui_config *cfg, ui **out);
void ui_destroy(ui *u);                       /* NULL is a no-op */

/* ---- input ---- */

/* A file descriptor that becomes readable when remote keys are waiting,
 * or -1 when there is none (headless, window mode). */
int ui_input_fd(const ui *u);

/* How long the app's poll() may sleep, in ms, before ui_next_key must be
 * called again: -1 (no limit) unless a window needs its events pumped. */
int ui_poll_timeout(const ui *u);

/* Take the next waiting key press; UI_KEY_NONE when there is none.  Also
 * pumps the window's events.  Sets *quit when the window was closed. */
ui_key ui_next_key(ui *u, int *quit);

/* ---- look ---- */

/* Large text (bigger titles, body text and menu rows) and the high-
 * contrast palette; both apply from the next screen drawn. */
void ui_set_style(ui *u, int large_text, int high_contrast);

/* A notice banner shown on every screen, in the key bar's place, until
 * cleared with NULL ("This service has been updated").  The text is
 * copied. */
void ui_set_notice(ui *u, const char *text);

/* The text-fitting check: called for every piece of text whose extent
 * leaves the box it was laid out in or the graphics-safe area, that had
 * to be shortened with an ellipsis to fit, or that was left out for want
 * of room.  what is the text (not terminated; len bytes). */
typedef void (*ui_overflow_fn)(void *ud, const char *what, int len,
                               int x, int y, int w, int h);
void ui_set_overflow_check(ui *u, ui_overflow_fn fn, void *ud);

/* A decoded picture: w*h 0xAARRGGBB pixels, channels brought within
 * 16..235 (studio range) so content images cannot break the screen rules. */
typedef struct {
    int w, h;
    uint32_t *argb;
} ui_image;

/* Decode a PNG (libpng).  Free with ui_image_free. */
ui_err ui_image_load_png(const uint8_t *data, size_t len, ui_image *out);
void ui_image_free(ui_image *img);              /* NULL is a no-op */

/* ---- screens ---- */

/* One entry of the key bar at the foot of every screen.  Colour keys show
 * a coloured chip; BACK and EXIT show a key cap; arrows and digits show
 * their label only. */
typedef struct {
    ui_key key;
    const char *label;      /* "Main menu", "Back", "TV" */
} ui_keyhint;

#define UI_MAX_KEYHINTS 8

typedef struct {
    ui_keyhint hints[UI_MAX_KEYHINTS];
    size_t n;
} ui_keybar;

typedef struct {
    const char *title;
    const char *breadcrumb;     /* "Public services > Council Tax"; may be NULL */
    const char *const *items;   /* labels, n_items of them */
    size_t n_items;
    size_t focus;               /* index of the focused item */
    size_t top;                 /* index of the first visible row */
    const char *position_fmt;   /* "%zu of %zu" style: item, count; NULL: English */
    const char *const *values;  /* a value shown at the right of each item
                                   (settings), or NULL */
    const char *empty;          /* shown when there are no items; may be NULL */
    const char *footer;         /* a line under the list (contact details); may be NULL */
    int unnumbered;             /* no number chips (long lists chosen by letter) */
    ui_keybar keys;
} ui_menu_view;

/* How many menu rows fit on one screen; the app scrolls by this.  With a
 * footer line there is room for fewer. */
size_t ui_menu_rows(const ui *u);
size_t ui_menu_rows_footer(const ui *u);

typedef struct {
    const char *title;
    const char *breadcrumb;     /* may be NULL */
    const char *body;           /* text with light markup, see ui_page_layout */
    size_t page;                /* 0-based page to show */
    const char *page_fmt;       /* "Page %zu of %zu"; NULL: English */
    const ui_image *image;      /* shown above the text on the first screen; may be NULL */
    const char *image_alt;      /* its caption; may be NULL */
    const char *const *links;   /* labels of numbered links under the text */
    size_t n_links;
    ui_keybar keys;
} ui_page_view;

/* Lay out a page body and return how many screens it needs (at least 1).
 * Markup (docs/content-format.md): a blank line separates paragraphs,
 * other line breaks are spaces, a line starting "## " is a heading and a
 * line starting "- " a list item. */
size_t ui_page_count(ui *u, const char *body);
/* The same for a whole page view (image and links take room too). */
size_t ui_page_view_count(ui *u, const ui_page_view *v);

/* Television: the programme (a still picture on the desktop) with, when
 * prompt is not NULL, a small "Press red" prompt at the foot. */
typedef struct {
    const ui_image *picture;    /* NULL: the built-in still */
    const char *prompt;
} ui_tv_view;

/* Text entry (a postcode, search words): the field, a hint, an optional
 * error line and an on-screen keyboard. */
typedef struct {
    const char *title;
    const char *breadcrumb;
    const char *prompt;         /* "Enter your postcode" */
    const char *value;          /* typed so far */
    int pending;                /* the last character is still a multi-tap choice */
    const char *hint;           /* how to type, wrapped under the field */
    const char *hint_short;     /* used when hint does not fit (large text) */
    const char *error;          /* or NULL */
    const char *const *keyboard;/* on-screen keys, row by row; NULL: none */
    size_t n_keyboard, columns, focus;
    ui_keybar keys;
} ui_entry_view;

typedef struct {
    const char *title;
    const char *status;         /* "Receiving the service" */
    const char *detail;         /* "3 of 5 parts"; may be NULL */
    unsigned done, total;       /* progress bar; total 0: an empty bar */
    ui_keybar keys;
} ui_loading_view;

typedef struct {
    const char *title;
    const char *text;           /* wrapped like a page body (one screen) */
    const char *detail;         /* a technical note ("file: field: what"),
                                   shown quieter under the text; may be NULL */
    ui_keybar keys;
} ui_message_view;

/* Draw a whole screen and show it (flip).  Strings are borrowed for the
 * call only.  Return UI_OK or UI_EINVAL for a NULL view. */
ui_err ui_show_menu(ui *u, const ui_menu_view *v);
ui_err ui_show_page(ui *u, const ui_page_view *v);
ui_err ui_show_loading(ui *u, const ui_loading_view *v);
ui_err ui_show_message(ui *u, const ui_message_view *v);
ui_err ui_show_tv(ui *u, const ui_tv_view *v);
ui_err ui_show_entry(ui *u, const ui_entry_view *v);

/* ---- screenshots ---- */

#define UI_SCREEN_W 720
#define UI_SCREEN_H 576

/* Copy the last shown frame into argb (UI_SCREEN_W * UI_SCREEN_H pixels,
 * 0xAARRGGBB, rows top to bottom). */
ui_err ui_read_pixels(ui *u, uint32_t *argb);

/* Write the last shown frame to a PNG file (8-bit RGB). */
ui_err ui_screenshot_png(ui *u, const char *path);

/* Write argb pixels (w*h, 0xAARRGGBB) as an 8-bit RGB PNG. */
ui_err ui_png_write(const char *path, const uint32_t *argb, int w, int h);

#endif
