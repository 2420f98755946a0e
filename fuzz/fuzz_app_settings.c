/*
 * libFuzzer target: the viewer's settings file (app_settings_parse), and
 * multi-tap entry driven by the same bytes as key presses.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/app_entry.h"
#include "app/app_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    app_settings s;
    char warn[128], text[512];
    app_settings_default(&s);
    (void)app_settings_parse(&s, (const char *)data, size, warn, sizeof warn);
    size_t n = app_settings_format(&s, text, sizeof text);
    /* What is written must read back the same. */
    app_settings t;
    app_settings_default(&t);
    if (app_settings_parse(&t, text, n, NULL, 0) != 0 || memcmp(&s, &t, sizeof s) != 0)
        __builtin_trap();

    app_entry e;
    app_entry_clear(&e);
    uint64_t now = 0;
    for (size_t i = 0; i < size; i++) {
        now += data[i] * 10u;
        int d = data[i] % 16;
        if (d < 10)
            app_entry_digit(&e, d, now);
        else if (d == 10)
            app_entry_delete(&e);
        else if (d == 11)
            app_entry_type(&e, 'A');
        else
            app_entry_tick(&e, now);
        if (e.len > APP_ENTRY_MAX || strlen(e.text) != e.len)
            __builtin_trap();
    }
    return 0;
}
