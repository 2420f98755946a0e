/*
 * libFuzzer target: what the UI reads from files the viewer or the
 * broadcaster supplies: key-map files (ui_keymap_parse) and PNG pictures
 * (ui_image_load_png, through libpng).  The first byte picks which.
 */
#include <stddef.h>
#include <stdint.h>

#include "ui/ui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] & 1;
    data++;
    size--;
    if (which == 0) {
        ui_keymap m;
        char msg[200];
        ui_keymap_default(&m);
        (void)ui_keymap_parse(&m, (const char *)data, size, msg, sizeof msg);
        (void)ui_keymap_lookup(&m, 1, "F1");
    } else {
        ui_image img;
        if (ui_image_load_png(data, size, &img) == UI_OK)
            ui_image_free(&img);
    }
    return 0;
}
