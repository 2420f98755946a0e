/*
 * The desktop presenter: the TV picture in an SDL2 window.
 *
 * DirectFB keeps rendering on its dummy system (Debian's DirectFB x11
 * system crashes under Xvfb); each finished frame is copied into a
 * streaming texture and scaled into the window (x1 or x2).  The desktop
 * keyboard stands in for the remote through the key map's "desktop"
 * lines (SDL key names; by default arrows, Enter = OK, Backspace = Back,
 * Esc = Exit, F1-F4 or r/g/y/b = the colour keys, digits, F5 or i = Info).
 *
 * The software renderer is asked for first: it works on any X server,
 * Xvfb included, and a 720x576 frame costs nothing to scale.
 */
#include <SDL2/SDL.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_backend.h"

typedef struct {
    ui_presenter base;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    const ui_keymap *keymap;
} sdl_presenter;

static void sdl_destroy(ui_presenter *base)
{
    sdl_presenter *p = (sdl_presenter *)base;
    if (!p)
        return;
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    if (p->ren)
        SDL_DestroyRenderer(p->ren);
    if (p->win)
        SDL_DestroyWindow(p->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    free(p);
}

static ui_err sdl_present(ui_presenter *base, const uint32_t *argb)
{
    sdl_presenter *p = (sdl_presenter *)base;
    if (SDL_UpdateTexture(p->tex, NULL, argb, UI_SCREEN_W * 4) != 0)
        return UI_EWINDOW;
    SDL_RenderClear(p->ren);
    SDL_RenderCopy(p->ren, p->tex, NULL, NULL);
    SDL_RenderPresent(p->ren);
    return UI_OK;
}

static ui_key map_key(const ui_keymap *km, SDL_Keycode k)
{
    const char *name = SDL_GetKeyName(k);
    return name && *name ? ui_keymap_lookup(km, 1, name) : UI_KEY_NONE;
}

static ui_key sdl_next_key(ui_presenter *base, int *quit)
{
    sdl_presenter *p = (sdl_presenter *)base;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            *quit = 1;
            return UI_KEY_NONE;
        case SDL_KEYDOWN: {
            ui_key k = map_key(p->keymap, ev.key.keysym.sym);
            if (k != UI_KEY_NONE)
                return k;
            break;
        }
        case SDL_WINDOWEVENT:
            /* An exposed window repaints from the last frame. */
            if (ev.window.event == SDL_WINDOWEVENT_EXPOSED) {
                SDL_RenderClear(p->ren);
                SDL_RenderCopy(p->ren, p->tex, NULL, NULL);
                SDL_RenderPresent(p->ren);
            }
            break;
        default:
            break;
        }
    }
    return UI_KEY_NONE;
}

static const ui_presenter_ops sdl_ops = {
    .destroy = sdl_destroy,
    .present = sdl_present,
    .next_key = sdl_next_key,
};

static void log_sdl(void (*log)(void *ud, const char *msg), void *log_ud, const char *what)
{
    if (!log)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "SDL: %s: %s", what, SDL_GetError());
    log(log_ud, msg);
}

ui_err ui_sdl_create(int scale, const ui_keymap *keymap,
                     void (*log)(void *ud, const char *msg), void *log_ud,
                     ui_presenter **out)
{
    *out = NULL;
    if (scale < 1 || scale > 2)
        return UI_EINVAL;
    sdl_presenter *p = calloc(1, sizeof *p);
    if (!p)
        return UI_ENOMEM;
    p->base.ops = &sdl_ops;
    p->keymap = keymap;
    /* On an X server (Xvfb included) go straight to x11: probing
     * Wayland first prints complaints about XDG_RUNTIME_DIR.  A driver
     * the user names in SDL_VIDEODRIVER always wins. */
    const char *forced = getenv("SDL_VIDEODRIVER");
    if (!forced && getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        log_sdl(log, log_ud, "video");
        free(p);
        return UI_EWINDOW;
    }
    /* Without a display SDL falls back to drivers that show nothing; a
     * window nobody can see would look like a hang. */
    const char *drv = SDL_GetCurrentVideoDriver();
    if (!forced && drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"))) {
        if (log)
            log(log_ud, "SDL: no display to open a window on (is DISPLAY set?)");
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        free(p);
        return UI_EWINDOW;
    }
    p->win = SDL_CreateWindow("civictv", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                              UI_SCREEN_W * scale, UI_SCREEN_H * scale, 0);
    if (p->win)
        p->ren = SDL_CreateRenderer(p->win, -1, SDL_RENDERER_SOFTWARE);
    if (p->win && !p->ren)
        p->ren = SDL_CreateRenderer(p->win, -1, 0);
    if (p->ren)
        p->tex = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_ARGB8888,
                                   SDL_TEXTUREACCESS_STREAMING, UI_SCREEN_W, UI_SCREEN_H);
    if (!p->tex) {
        log_sdl(log, log_ud, !p->win ? "window" : !p->ren ? "renderer" : "texture");
        sdl_destroy(&p->base);
        return UI_EWINDOW;
    }
    SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255);
    *out = &p->base;
    return UI_OK;
}
