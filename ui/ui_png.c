/*
 * PNG through libpng's simplified API (ISO/IEC 15948): screenshots, which
 * testers and the golden-image tests read anywhere (unlike DirectFB's own
 * PPM dumps), and the decoding of content pictures.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

ui_err ui_png_write(const char *path, const uint32_t *argb, int w, int h)
{
    if (!path || !argb || w <= 0 || h <= 0)
        return UI_EINVAL;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *rgb = malloc(n * 3);
    if (!rgb)
        return UI_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        rgb[i * 3 + 0] = (uint8_t)(argb[i] >> 16);
        rgb[i * 3 + 1] = (uint8_t)(argb[i] >> 8);
        rgb[i * 3 + 2] = (uint8_t)argb[i];
    }
    png_image img = { 0 };
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    /* libpng leaves a half-written file behind on failure; callers get
     * an error and the file is removed so no tool reads a broken image. */
    int ok = png_image_write_to_file(&img, path, 0, rgb, 0, NULL);
    png_image_free(&img);
    free(rgb);
    if (!ok) {
        remove(path);
        return UI_EPNG;
    }
    return UI_OK;
}

/* Bring a channel into studio range (ITU-R BT.601: 16..235). */
static uint32_t studio(uint32_t v)
{
    return 16u + v * 219u / 255u;
}

ui_err ui_image_load_png(const uint8_t *data, size_t len, ui_image *out)
{
    if (!out)
        return UI_EINVAL;
    memset(out, 0, sizeof *out);
    if (!data || len == 0)
        return UI_EINVAL;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return UI_EPNG;
    /* The content format allows 640x400; anything far larger is refused
     * before allocating. */
    if (img.width == 0 || img.height == 0 || img.width > 2048 || img.height > 2048) {
        png_image_free(&img);
        return UI_EPNG;
    }
    img.format = PNG_FORMAT_BGRA;  /* in memory: 0xAARRGGBB on little-endian */
    size_t n = (size_t)img.width * img.height;
    uint8_t *px = malloc(n * 4);
    if (!px) {
        png_image_free(&img);
        return UI_ENOMEM;
    }
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
        png_image_free(&img);
        free(px);
        return UI_EPNG;
    }
    uint32_t *argb = malloc(n * sizeof *argb);
    if (!argb) {
        free(px);
        return UI_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = px + i * 4;   /* B G R A */
        argb[i] = ((uint32_t)p[3] << 24) | (studio(p[2]) << 16) | (studio(p[1]) << 8) |
                  studio(p[0]);
    }
    free(px);
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->argb = argb;
    return UI_OK;
}

void ui_image_free(ui_image *img)
{
    if (!img)
        return;
    free(img->argb);
    memset(img, 0, sizeof *img);
}
