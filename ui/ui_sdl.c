/*
 * The desktop presenter: the TV picture in an SDL2 window.
 *
 * DirectFB keeps rendering on its dummy system (Debian's DirectFB x11
 * system crashes under Xvfb); each finished frame is copied into a
 * streaming texture and scaled into the window (x1 or x2).  The desktop
 * keyboard stands in for the remote: arrows, Enter = OK, Backspace = Back,
 * Esc = Exit, F1-F4 or r/g/y/b = the colour keys, digits.
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

static ui_key map_key(SDL_Keycode k)
{
    switch (k) {
    case SDLK_UP: return UI_KEY_UP;
    case SDLK_DOWN: return UI_KEY_DOWN;
    case SDLK_LEFT: return UI_KEY_LEFT;
    case SDLK_RIGHT: return UI_KEY_RIGHT;
    case SDLK_RETURN: case SDLK_KP_ENTER: case SDLK_SPACE: return UI_KEY_OK;
    case SDLK_BACKSPACE: return UI_KEY_BACK;
    case SDLK_ESCAPE: return UI_KEY_EXIT;
    case SDLK_F1: case SDLK_r: return UI_KEY_RED;
    case SDLK_F2: case SDLK_g: return UI_KEY_GREEN;
    case SDLK_F3: case SDLK_y: return UI_KEY_YELLOW;
    case SDLK_F4: case SDLK_b: return UI_KEY_BLUE;
    default:
        if (k >= SDLK_0 && k <= SDLK_9)
            return (ui_key)(UI_KEY_0 + (k - SDLK_0));
        if (k >= SDLK_KP_1 && k <= SDLK_KP_9)
            return (ui_key)(UI_KEY_1 + (k - SDLK_KP_1));
        if (k == SDLK_KP_0)
            return UI_KEY_0;
        return UI_KEY_NONE;
    }
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
            ui_key k = map_key(ev.key.keysym.sym);
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

ui_err ui_sdl_create(int scale, void (*log)(void *ud, const char *msg), void *log_ud,
                     ui_presenter **out)
{
    *out = NULL;
    if (scale < 1 || scale > 2)
        return UI_EINVAL;
    sdl_presenter *p = calloc(1, sizeof *p);
    if (!p)
        return UI_ENOMEM;
    p->base.ops = &sdl_ops;
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
