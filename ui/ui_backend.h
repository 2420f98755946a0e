/*
 * ui/ internal: the drawing back-end and the window presenter.
 *
 * A back-end draws into a 720x576 frame and shows it.  The screens
 * (ui_screens.c) use nothing but this table, so a different back-end (an
 * in-memory one for tests, a hardware one on another box) needs no change
 * to the layout code.  Only ui_dfb.c includes directfb.h.
 *
 * A presenter takes finished frames from a back-end that cannot show them
 * itself (DirectFB's dummy system) and shows them somewhere else, with that
 * place's keyboard as the remote: ui_sdl.c is the SDL2 window.
 */
#ifndef UI_BACKEND_H
#define UI_BACKEND_H

#include <stdint.h>

#include "ui/ui.h"

/* Font roles; sizes are fixed by the layout (ui_screens.c). */
typedef enum {
    UI_FONT_BODY,      /* regular 24 px: body text, menu items */
    UI_FONT_BOLD,      /* bold 24 px: focused item, headings in pages */
    UI_FONT_TITLE,     /* bold 36 px: screen titles */
    UI_FONT_SMALL,     /* bold 20 px: labels on key caps and number chips */
    UI_FONT_BODY_L,    /* large-text mode: regular 32 px */
    UI_FONT_BOLD_L,    /* large-text mode: bold 32 px */
    UI_FONT_TITLE_L,   /* large-text mode: bold 40 px */
    UI_FONT_COUNT
} ui_font;

typedef struct ui_backend ui_backend;

typedef struct {
    void (*destroy)(ui_backend *b);
    /* Colours are 0xRRGGBB; drawing is opaque. */
    void (*fill_rect)(ui_backend *b, int x, int y, int w, int h, uint32_t rgb);
    void (*fill_triangle)(ui_backend *b, int x1, int y1, int x2, int y2,
                          int x3, int y3, uint32_t rgb);
    /* UTF-8 text, len bytes, with its top-left corner at (x, y). */
    void (*draw_text)(ui_backend *b, ui_font f, int x, int y,
                      const char *text, int len, uint32_t rgb);
    int (*text_width)(ui_backend *b, ui_font f, const char *text, int len);
    /* Distance between lines of this font, in pixels. */
    int (*line_height)(ui_backend *b, ui_font f);
    /* Draw src_w x src_h 0xAARRGGBB pixels scaled into (x, y, w, h),
     * blending by alpha. */
    void (*draw_image)(ui_backend *b, int x, int y, int w, int h,
                       const uint32_t *argb, int src_w, int src_h);
    /* Limit drawing to a rectangle; w or h <= 0 removes the limit. */
    void (*set_clip)(ui_backend *b, int x, int y, int w, int h);
    /* Show the frame drawn since the last flip. */
    ui_err (*flip)(ui_backend *b);
    /* Copy the last shown frame: UI_SCREEN_W*UI_SCREEN_H 0xAARRGGBB. */
    ui_err (*read_pixels)(ui_backend *b, uint32_t *argb);
    int (*input_fd)(ui_backend *b);
    ui_key (*next_key)(ui_backend *b);
} ui_backend_ops;

struct ui_backend {
    const ui_backend_ops *ops;
};

typedef struct {
    ui_mode mode;
    const char *font_path[UI_FONT_COUNT];
    int *argc;
    char ***argv;
    void (*log)(void *ud, const char *msg);
    void *log_ud;
    const ui_keymap *keymap;    /* never NULL */
} ui_backend_config;

ui_err ui_dfb_create(const ui_backend_config *cfg, ui_backend **out);

typedef struct ui_presenter ui_presenter;

typedef struct {
    void (*destroy)(ui_presenter *p);
    /* Show a UI_SCREEN_W*UI_SCREEN_H 0xAARRGGBB frame. */
    ui_err (*present)(ui_presenter *p, const uint32_t *argb);
    /* Pump the window's events; next waiting key, or UI_KEY_NONE. */
    ui_key (*next_key)(ui_presenter *p, int *quit);
} ui_presenter_ops;

struct ui_presenter {
    const ui_presenter_ops *ops;
};

/* Open the window; on failure log (if not NULL) gets SDL's reason. */
ui_err ui_sdl_create(int scale, const ui_keymap *keymap,
                     void (*log)(void *ud, const char *msg), void *log_ud,
                     ui_presenter **out);

/* Layout of page bodies (ui_text.c). */
typedef enum {
    UI_LINE_TEXT,       /* a line of a paragraph */
    UI_LINE_HEADING,    /* a line of a "## " heading */
    UI_LINE_BULLET,     /* first line of a "- " list item */
    UI_LINE_BULLET_CONT,/* a following line of a list item */
    UI_LINE_LINK,       /* a numbered link (text: its label) */
    UI_LINE_IMAGE       /* room for the picture (len 0) */
} ui_line_kind;

/* Emphasis marks in a laid-out body: the layout turns each pair of '*'
 * into these bytes, which measure and draw as nothing. */
#define UI_EMPH_ON  '\x01'
#define UI_EMPH_OFF '\x02'

typedef struct {
    ui_line_kind kind;
    const char *text;   /* into the body; not terminated */
    int len;
    int emph;           /* the line starts inside *emphasis* */
    int link;           /* UI_LINE_LINK: 0-based link number */
    int page;           /* 0-based screen this line is on */
    int y;              /* offset from the top of the text area */
} ui_line;

typedef struct {
    char *buf;          /* the normalised body the lines point into */
    ui_line *lines;
    int n, cap;
    int pages;
} ui_layout;

/* Measures a text in a font; the layout is independent of any back-end. */
typedef int (*ui_measure_fn)(void *ud, ui_font f, const char *text, int len);

typedef struct {
    int width;          /* of the text area */
    int height;         /* of one screen's text area */
    int indent;         /* extra left margin of list items */
    int line_h;         /* body line pitch */
    int heading_h;      /* heading line pitch */
    int gap_h;          /* space between paragraphs */
    ui_font font_body;  /* body text; emphasis and headings use font_bold */
    ui_font font_bold;
    int image_h;        /* room for a picture before the text; 0: none */
    const char *const *links;   /* link labels, after the text */
    int n_links;
    int link_indent;    /* left margin of link labels (their number chip) */
    ui_measure_fn measure;
    void *ud;
} ui_layout_params;

/* Wrap body into lines and assign them to screens.  Return UI_OK or
 * UI_ENOMEM; free with ui_layout_free. */
ui_err ui_layout_body(const ui_layout_params *p, const char *body, ui_layout *out);
void ui_layout_free(ui_layout *l);

/* Width of a laid-out line's text in font f (bold where emphasised),
 * without its emphasis marks. */
int ui_rich_width(ui_measure_fn measure, void *ud, ui_font f, ui_font bold,
                  int emph, const char *text, int len);

/* The longest prefix of text (len bytes) that fits in width px, cut at a
 * UTF-8 character boundary; used to add an ellipsis to long labels. */
int ui_fit_prefix(ui_measure_fn measure, void *ud, ui_font f,
                  const char *text, int len, int width);

#endif
