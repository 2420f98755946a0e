/*
 * Multi-tap and on-screen keyboard text entry (see app_entry.h).  The
 * letter groups are those of ITU-T E.161 (ISO/IEC 9995-8), option A.
 */
#include "app/app_entry.h"

#include <string.h>

static const char *const keys[10] = {
    " 0", "1", "ABC2", "DEF3", "GHI4", "JKL5", "MNO6", "PQRS7", "TUV8", "WXYZ9",
};

const char *app_entry_key_chars(int digit)
{
    return digit >= 0 && digit <= 9 ? keys[digit] : "";
}

void app_entry_clear(app_entry *e)
{
    memset(e, 0, sizeof *e);
}

int app_entry_commit(app_entry *e)
{
    int had = e->pending;
    e->pending = 0;
    return had;
}

int app_entry_tick(app_entry *e, uint64_t now_ms)
{
    if (e->pending && now_ms - e->at >= APP_ENTRY_TAP_MS)
        return app_entry_commit(e);
    return 0;
}

uint64_t app_entry_due(const app_entry *e)
{
    return e->pending ? e->at + APP_ENTRY_TAP_MS : 0;
}

int app_entry_type(app_entry *e, char c)
{
    app_entry_commit(e);
    if (e->len >= APP_ENTRY_MAX)
        return 0;
    e->text[e->len++] = c;
    e->text[e->len] = '\0';
    return 1;
}

int app_entry_digit(app_entry *e, int digit, uint64_t now_ms)
{
    if (digit < 0 || digit > 9)
        return 0;
    const char *chars = keys[digit];
    size_t n = strlen(chars);
    if (e->pending && e->key == digit && now_ms - e->at < APP_ENTRY_TAP_MS && e->len > 0) {
        e->cycle = (e->cycle + 1) % (int)n;
        e->text[e->len - 1] = chars[e->cycle];
        e->at = now_ms;
        return 1;
    }
    app_entry_commit(e);
    if (e->len >= APP_ENTRY_MAX)
        return 0;
    e->text[e->len++] = chars[0];
    e->text[e->len] = '\0';
    /* A key with one character needs no waiting. */
    e->pending = n > 1;
    e->key = digit;
    e->cycle = 0;
    e->at = now_ms;
    return 1;
}

int app_entry_delete(app_entry *e)
{
    e->pending = 0;
    if (e->len == 0)
        return 0;
    e->text[--e->len] = '\0';
    return 1;
}
