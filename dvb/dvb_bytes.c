/*
 * The growable writer behind dvb_bytes.h.  Growth is geometric and capped
 * by the writer's ceiling, checked before allocating.
 */
#include "dvb/dvb_bytes.h"

#include <stdlib.h>
#include <string.h>

void dvb_writer_init(dvb_writer *w, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max ? max : (size_t)256 << 20;
}

void dvb_writer_free(dvb_writer *w)
{
    free(w->p);
    w->p = NULL;
    w->len = w->cap = 0;
}

uint8_t *dvb_writer_take(dvb_writer *w, size_t *len)
{
    uint8_t *p = w->p;
    if (len)
        *len = w->len;
    w->p = NULL;
    w->len = w->cap = 0;
    return p;
}

static bool grow(dvb_writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (n > w->max - w->len) {
        w->failed = true;
        return false;
    }
    size_t need = w->len + n;
    if (need <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap = cap > w->max / 2 ? w->max : cap * 2;
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
        w->failed = true;
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

bool dvb_write_bytes(dvb_writer *w, const void *p, size_t n)
{
    if (!grow(w, n))
        return false;
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
    return true;
}

bool dvb_write_u8(dvb_writer *w, uint8_t v)
{
    return dvb_write_bytes(w, &v, 1);
}

bool dvb_write_u16(dvb_writer *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    return dvb_write_bytes(w, b, 2);
}

bool dvb_write_u32(dvb_writer *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 8), (uint8_t)v };
    return dvb_write_bytes(w, b, 4);
}

bool dvb_write_u64(dvb_writer *w, uint64_t v)
{
    return dvb_write_u32(w, (uint32_t)(v >> 32)) && dvb_write_u32(w, (uint32_t)v);
}

bool dvb_patch_u8(dvb_writer *w, size_t at, uint8_t v)
{
    if (w->failed || at + 1 > w->len)
        return false;
    w->p[at] = v;
    return true;
}

bool dvb_patch_u16(dvb_writer *w, size_t at, uint16_t v)
{
    if (w->failed || at + 2 > w->len)
        return false;
    w->p[at] = (uint8_t)(v >> 8);
    w->p[at + 1] = (uint8_t)v;
    return true;
}

bool dvb_patch_u32(dvb_writer *w, size_t at, uint32_t v)
{
    if (w->failed || at + 4 > w->len)
        return false;
    for (int i = 0; i < 4; i++)
        w->p[at + i] = (uint8_t)(v >> (24 - 8 * i));
    return true;
}
