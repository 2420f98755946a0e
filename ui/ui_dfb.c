/*
 * The DirectFB back-end: the one the set-top box uses, and on a desktop
 * the renderer behind the headless and window modes (DirectFB's "dummy"
 * system: a primary surface in memory, no display, no input devices).
 *
 * Frames are drawn into an off-screen "canvas" surface and blitted to the
 * primary surface on flip.  The canvas always holds the last finished
 * frame, whatever the primary's buffering (flipping primaries lock their
 * back buffer, which after a flip holds the previous frame), so
 * screenshots and the window presenter read exactly what was shown.
 *
 * Text goes through IDirectFBFont with the FreeType provider
 * (libidirectfbfont_ft2, from libdirectfb-extra), in UTF-8.
 *
 * Remote keys arrive through an input event buffer whose file descriptor
 * (IDirectFBEventBuffer::CreateFileDescriptor) the app polls.
 *
 * This is the only file of civictv that includes directfb.h.
 */
#include <directfb.h>
#include <directfb_keynames.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui_backend.h"

typedef struct {
    ui_backend base;
    IDirectFB *dfb;
    IDirectFBSurface *primary;
    IDirectFBSurface *canvas;
    IDirectFBFont *font[UI_FONT_COUNT];
    IDirectFBEventBuffer *events;
    int event_fd;
    void (*log)(void *ud, const char *msg);
    void *log_ud;
    const ui_keymap *keymap;
} dfb_backend;

/* Pixel sizes of the font roles (ui_backend.h); the UK MHEG profile's
 * default body text is 24 px on a 28 px line. */
static const int font_px[UI_FONT_COUNT] = { 24, 24, 36, 20, 32, 32, 40 };

static void logf_dfb(dfb_backend *b, const char *what, DFBResult r)
{
    if (!b->log)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "DirectFB: %s: %s", what, DirectFBErrorString(r));
    b->log(b->log_ud, msg);
}

static void set_colour(IDirectFBSurface *s, uint32_t rgb)
{
    s->SetColor(s, (u8)(rgb >> 16), (u8)(rgb >> 8), (u8)rgb, 0xFF);
}

static void dfb_fill_rect(ui_backend *base, int x, int y, int w, int h, uint32_t rgb)
{
    dfb_backend *b = (dfb_backend *)base;
    if (w <= 0 || h <= 0)
        return;
    set_colour(b->canvas, rgb);
    b->canvas->FillRectangle(b->canvas, x, y, w, h);
}

static void dfb_fill_triangle(ui_backend *base, int x1, int y1, int x2, int y2,
                              int x3, int y3, uint32_t rgb)
{
    dfb_backend *b = (dfb_backend *)base;
    set_colour(b->canvas, rgb);
    b->canvas->FillTriangle(b->canvas, x1, y1, x2, y2, x3, y3);
}

static void dfb_draw_text(ui_backend *base, ui_font f, int x, int y,
                          const char *text, int len, uint32_t rgb)
{
    dfb_backend *b = (dfb_backend *)base;
    if (len <= 0)
        return;
    b->canvas->SetFont(b->canvas, b->font[f]);
    set_colour(b->canvas, rgb);
    b->canvas->DrawString(b->canvas, text, len, x, y, DSTF_LEFT | DSTF_TOP);
}

static int dfb_text_width(ui_backend *base, ui_font f, const char *text, int len)
{
    dfb_backend *b = (dfb_backend *)base;
    int w = 0;
    if (len <= 0)
        return 0;
    if (b->font[f]->GetStringWidth(b->font[f], text, len, &w) != DFB_OK)
        return 0;
    return w;
}

static int dfb_line_height(ui_backend *base, ui_font f)
{
    dfb_backend *b = (dfb_backend *)base;
    int h = 0;
    b->font[f]->GetHeight(b->font[f], &h);
    return h;
}

static void dfb_draw_image(ui_backend *base, int x, int y, int w, int h,
                           const uint32_t *argb, int src_w, int src_h)
{
    dfb_backend *b = (dfb_backend *)base;
    if (w <= 0 || h <= 0 || src_w <= 0 || src_h <= 0 || !argb)
        return;
    /* A surface over the caller's pixels: no copy. */
    DFBSurfaceDescription sd;
    memset(&sd, 0, sizeof sd);
    sd.flags = DSDESC_WIDTH | DSDESC_HEIGHT | DSDESC_PIXELFORMAT | DSDESC_PREALLOCATED;
    sd.width = src_w;
    sd.height = src_h;
    sd.pixelformat = DSPF_ARGB;
    sd.preallocated[0].data = (void *)argb;
    sd.preallocated[0].pitch = src_w * 4;
    IDirectFBSurface *img = NULL;
    DFBResult r = b->dfb->CreateSurface(b->dfb, &sd, &img);
    if (r != DFB_OK) {
        logf_dfb(b, "image surface", r);
        return;
    }
    b->canvas->SetBlittingFlags(b->canvas, DSBLIT_BLEND_ALPHACHANNEL);
    DFBRectangle dst = { x, y, w, h };
    if (w == src_w && h == src_h)
        b->canvas->Blit(b->canvas, img, NULL, x, y);
    else
        b->canvas->StretchBlit(b->canvas, img, NULL, &dst);
    b->canvas->SetBlittingFlags(b->canvas, DSBLIT_NOFX);
    img->Release(img);
}

static void dfb_set_clip(ui_backend *base, int x, int y, int w, int h)
{
    dfb_backend *b = (dfb_backend *)base;
    if (w <= 0 || h <= 0) {
        b->canvas->SetClip(b->canvas, NULL);
        return;
    }
    DFBRegion r = { x, y, x + w - 1, y + h - 1 };
    b->canvas->SetClip(b->canvas, &r);
}

static ui_err dfb_flip(ui_backend *base)
{
    dfb_backend *b = (dfb_backend *)base;
    DFBResult r = b->primary->Blit(b->primary, b->canvas, NULL, 0, 0);
    if (r == DFB_OK)
        r = b->primary->Flip(b->primary, NULL, DSFLIP_WAITFORSYNC);
    if (r != DFB_OK) {
        logf_dfb(b, "flip", r);
        return UI_EINIT;
    }
    return UI_OK;
}

static ui_err dfb_read_pixels(ui_backend *base, uint32_t *argb)
{
    dfb_backend *b = (dfb_backend *)base;
    void *data;
    int pitch;
    DFBResult r = b->canvas->Lock(b->canvas, DSLF_READ, &data, &pitch);
    if (r != DFB_OK) {
        logf_dfb(b, "lock", r);
        return UI_EINIT;
    }
    /* The canvas is DSPF_RGB32: 0x00RRGGBB in native order. */
    for (int y = 0; y < UI_SCREEN_H; y++) {
        const uint32_t *row = (const uint32_t *)((const uint8_t *)data + (size_t)y * (size_t)pitch);
        for (int x = 0; x < UI_SCREEN_W; x++)
            argb[(size_t)y * UI_SCREEN_W + (size_t)x] = 0xFF000000u | (row[x] & 0xFFFFFFu);
    }
    b->canvas->Unlock(b->canvas);
    return UI_OK;
}

static int dfb_input_fd(ui_backend *base)
{
    return ((dfb_backend *)base)->event_fd;
}

/* DirectFB's own names of its key symbols ("RED", "CURSOR_UP"), so that
 * the key-map file can name any key an input driver sends. */
static DirectFBKeySymbolNames(symbol_names);

static const char *symbol_name(DFBInputDeviceKeySymbol s)
{
    for (size_t i = 0; i < sizeof symbol_names / sizeof symbol_names[0]; i++)
        if (symbol_names[i].symbol == s)
            return symbol_names[i].name;
    return NULL;
}

/* The key map first; then remote keys and the PC keyboard equivalents a
 * development box or a keyboard-driven receiver sends. */
static ui_key map_symbol(const ui_keymap *km, DFBInputDeviceKeySymbol s)
{
    const char *name = symbol_name(s);
    ui_key mapped = name && km ? ui_keymap_lookup(km, 0, name) : UI_KEY_NONE;
    if (mapped != UI_KEY_NONE)
        return mapped;
    switch (s) {
    case DIKS_CURSOR_UP: return UI_KEY_UP;
    case DIKS_CURSOR_DOWN: return UI_KEY_DOWN;
    case DIKS_CURSOR_LEFT: return UI_KEY_LEFT;
    case DIKS_CURSOR_RIGHT: return UI_KEY_RIGHT;
    case DIKS_OK: case DIKS_SELECT: case DIKS_RETURN:
        return UI_KEY_OK;
    case DIKS_BACK: case DIKS_BACKSPACE: return UI_KEY_BACK;
    case DIKS_EXIT: case DIKS_ESCAPE: return UI_KEY_EXIT;
    case DIKS_RED: case DIKS_F1: return UI_KEY_RED;
    case DIKS_GREEN: case DIKS_F2: return UI_KEY_GREEN;
    case DIKS_YELLOW: case DIKS_F3: return UI_KEY_YELLOW;
    case DIKS_BLUE: case DIKS_F4: return UI_KEY_BLUE;
    default:
        if (s >= DIKS_0 && s <= DIKS_9)
            return (ui_key)(UI_KEY_0 + (s - DIKS_0));
        return UI_KEY_NONE;
    }
}

static ui_key dfb_next_key(ui_backend *base)
{
    dfb_backend *b = (dfb_backend *)base;
    if (b->event_fd < 0)
        return UI_KEY_NONE;
    /* The descriptor carries whole DFBEvent records; it is non-blocking,
     * so an empty pipe ends the loop. */
    for (;;) {
        DFBEvent ev;
        ssize_t n = read(b->event_fd, &ev, sizeof ev);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof ev)
            return UI_KEY_NONE;
        if (ev.clazz != DFEC_INPUT || ev.input.type != DIET_KEYPRESS)
            continue;
        ui_key k = map_symbol(b->keymap, ev.input.key_symbol);
        if (k != UI_KEY_NONE)
            return k;
    }
}

static void dfb_destroy(ui_backend *base)
{
    dfb_backend *b = (dfb_backend *)base;
    if (!b)
        return;
    if (b->event_fd >= 0)
        close(b->event_fd);
    if (b->events)
        b->events->Release(b->events);
    for (int i = 0; i < UI_FONT_COUNT; i++)
        if (b->font[i])
            b->font[i]->Release(b->font[i]);
    if (b->canvas)
        b->canvas->Release(b->canvas);
    if (b->primary)
        b->primary->Release(b->primary);
    if (b->dfb)
        b->dfb->Release(b->dfb);
    free(b);
}

static const ui_backend_ops dfb_ops = {
    .destroy = dfb_destroy,
    .fill_rect = dfb_fill_rect,
    .fill_triangle = dfb_fill_triangle,
    .draw_text = dfb_draw_text,
    .text_width = dfb_text_width,
    .line_height = dfb_line_height,
    .draw_image = dfb_draw_image,
    .set_clip = dfb_set_clip,
    .flip = dfb_flip,
    .read_pixels = dfb_read_pixels,
    .input_fd = dfb_input_fd,
    .next_key = dfb_next_key,
};

/* DirectFBInit parses the process's --dfb: arguments and reads
 * /etc/directfbrc; options set afterwards override both, which is what
 * the desktop modes need (they must never touch a real console). */
static DFBResult dfb_init(const ui_backend_config *cfg)
{
    DFBResult r;
    if (cfg->argc && cfg->argv) {
        r = DirectFBInit(cfg->argc, cfg->argv);
    } else {
        /* Without arguments DirectFB reads and echoes /proc/self/cmdline;
         * a program name alone keeps it quiet. */
        static char name[] = "civictv";
        char *args[] = { name, NULL };
        char **argv = args;
        int argc = 1;
        r = DirectFBInit(&argc, &argv);
    }
    if (r != DFB_OK)
        return r;
    if (cfg->mode == UI_MODE_BOX)
        return DFB_OK;
    static const char *const opts[][2] = {
        { "system", "dummy" },
        { "mode", "720x576" },
        { "no-banner", NULL },
        /* DirectFB's informational chatter would bury the app's own
         * messages on a tester's terminal; failures still reach the log
         * through DirectFBErrorString. */
        { "quiet", NULL },
        { "no-vt", NULL },
        { "no-cursor", NULL },
        { "no-sighandler", NULL },
        /* No input drivers: on a desktop they would grab the terminal's
         * keyboard; keys come from scripts or the window. */
        { "disable-module", "keyboard" },
        { "disable-module", "linux_input" },
        { "disable-module", "ps2mouse" },
        { "disable-module", "serialmouse" },
        { "disable-module", "joystick" },
        { "disable-module", "lirc" },
        { "disable-module", "input_hub" },
        { "disable-module", "mesa_system" },
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        r = DirectFBSetOption(opts[i][0], opts[i][1]);
        if (r != DFB_OK)
            return r;
    }
    return DFB_OK;
}

ui_err ui_dfb_create(const ui_backend_config *cfg, ui_backend **out)
{
    if (!cfg || !out)
        return UI_EINVAL;
    *out = NULL;
    dfb_backend *b = calloc(1, sizeof *b);
    if (!b)
        return UI_ENOMEM;
    b->base.ops = &dfb_ops;
    b->event_fd = -1;
    b->log = cfg->log;
    b->log_ud = cfg->log_ud;
    b->keymap = cfg->keymap;

    DFBResult r = dfb_init(cfg);
    if (r == DFB_OK)
        r = DirectFBCreate(&b->dfb);
    if (r != DFB_OK) {
        logf_dfb(b, "init", r);
        dfb_destroy(&b->base);
        return UI_EINIT;
    }
    /* A full-screen application on the box: no window stack needed. */
    b->dfb->SetCooperativeLevel(b->dfb, DFSCL_FULLSCREEN);

    DFBSurfaceDescription sd;
    memset(&sd, 0, sizeof sd);
    sd.flags = DSDESC_CAPS | DSDESC_WIDTH | DSDESC_HEIGHT;
    sd.caps = DSCAPS_PRIMARY;
    sd.width = UI_SCREEN_W;
    sd.height = UI_SCREEN_H;
    r = b->dfb->CreateSurface(b->dfb, &sd, &b->primary);
    if (r != DFB_OK) {
        /* Some boxes refuse a size on the primary: take theirs. */
        sd.flags = DSDESC_CAPS;
        r = b->dfb->CreateSurface(b->dfb, &sd, &b->primary);
    }
    if (r != DFB_OK) {
        logf_dfb(b, "primary surface", r);
        dfb_destroy(&b->base);
        return UI_EINIT;
    }

    memset(&sd, 0, sizeof sd);
    sd.flags = DSDESC_WIDTH | DSDESC_HEIGHT | DSDESC_PIXELFORMAT;
    sd.width = UI_SCREEN_W;
    sd.height = UI_SCREEN_H;
    sd.pixelformat = DSPF_RGB32;
    r = b->dfb->CreateSurface(b->dfb, &sd, &b->canvas);
    if (r != DFB_OK) {
        logf_dfb(b, "canvas surface", r);
        dfb_destroy(&b->base);
        return UI_EINIT;
    }

    for (int i = 0; i < UI_FONT_COUNT; i++) {
        DFBFontDescription fd;
        memset(&fd, 0, sizeof fd);
        fd.flags = DFDESC_HEIGHT;
        fd.height = font_px[i];
        r = b->dfb->CreateFont(b->dfb, cfg->font_path[i], &fd, &b->font[i]);
        if (r != DFB_OK) {
            if (b->log) {
                char msg[512];
                snprintf(msg, sizeof msg, "DirectFB: font %s: %s",
                         cfg->font_path[i], DirectFBErrorString(r));
                b->log(b->log_ud, msg);
            }
            dfb_destroy(&b->base);
            return UI_EFONT;
        }
        b->font[i]->SetEncoding(b->font[i], DTEID_UTF8);
    }

    /* Remote keys.  The desktop modes have no input devices, and a box
     * without a remote is still usable for a soak test, so no event
     * buffer is not an error. */
    if (cfg->mode == UI_MODE_BOX) {
        r = b->dfb->CreateInputEventBuffer(b->dfb, DICAPS_KEYS, DFB_FALSE, &b->events);
        if (r == DFB_OK)
            r = b->events->CreateFileDescriptor(b->events, &b->event_fd);
        if (r != DFB_OK) {
            logf_dfb(b, "input events", r);
            b->event_fd = -1;
        } else {
            int fl = fcntl(b->event_fd, F_GETFL);
            if (fl >= 0)
                fcntl(b->event_fd, F_SETFL, fl | O_NONBLOCK);
        }
    }

    *out = &b->base;
    return UI_OK;
}
