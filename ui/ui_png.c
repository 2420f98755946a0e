/*
 * Screenshots as PNG (libpng's simplified API): testers and the golden
 * image tests read them anywhere, unlike DirectFB's own PPM dumps.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

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
