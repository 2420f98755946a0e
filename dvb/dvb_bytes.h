/*
 * Bounds-checked big-endian readers and a growable writer.
 *
 * Broadcast and network bytes are never cast to packed structs: every
 * field is read through a dvb_reader, which remembers the first overrun
 * (like a sticky error flag) so a parser can read a whole header and check
 * once.  Once failed, a reader returns zeros and never touches memory
 * beyond its (pointer, length) window.
 *
 * The writer is used by the carousel builder and by tests to make
 * sections; it grows up to a ceiling given at init, and fails closed.
 */
#ifndef DVB_BYTES_H
#define DVB_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool failed;
} dvb_reader;

static inline dvb_reader dvb_reader_init(const uint8_t *p, size_t len)
{
    dvb_reader r = { p, len, 0, false };
    return r;
}

static inline size_t dvb_reader_left(const dvb_reader *r)
{
    return r->failed ? 0 : r->len - r->pos;
}

static inline bool dvb_reader_need(dvb_reader *r, size_t n)
{
    if (r->failed || r->len - r->pos < n) {
        r->failed = true;
        return false;
    }
    return true;
}

static inline uint8_t dvb_read_u8(dvb_reader *r)
{
    if (!dvb_reader_need(r, 1))
        return 0;
    return r->p[r->pos++];
}

static inline uint16_t dvb_read_u16(dvb_reader *r)
{
    if (!dvb_reader_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)((r->p[r->pos] << 8) | r->p[r->pos + 1]);
    r->pos += 2;
    return v;
}

static inline uint32_t dvb_read_u32(dvb_reader *r)
{
    if (!dvb_reader_need(r, 4))
        return 0;
    const uint8_t *b = r->p + r->pos;
    r->pos += 4;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}

static inline uint64_t dvb_read_u64(dvb_reader *r)
{
    uint64_t hi = dvb_read_u32(r);
    return (hi << 32) | dvb_read_u32(r);
}

/* Borrow n bytes; NULL (and the reader failed) if fewer remain. */
static inline const uint8_t *dvb_read_bytes(dvb_reader *r, size_t n)
{
    if (!dvb_reader_need(r, n))
        return NULL;
    const uint8_t *b = r->p + r->pos;
    r->pos += n;
    return b;
}

static inline bool dvb_skip(dvb_reader *r, size_t n)
{
    return dvb_read_bytes(r, n) != NULL || n == 0;
}

/* A sub-reader over the next n bytes; the parent skips them. */
static inline dvb_reader dvb_read_sub(dvb_reader *r, size_t n)
{
    const uint8_t *b = dvb_read_bytes(r, n);
    dvb_reader s = { b, b ? n : 0, 0, b == NULL && n != 0 };
    return s;
}

typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max;   /* ceiling: never grow past this many bytes */
    bool failed;  /* sticky: an allocation failed or max was reached */
} dvb_writer;

/* max == 0 means 256 MiB. */
void dvb_writer_init(dvb_writer *w, size_t max);
void dvb_writer_free(dvb_writer *w);
/* Take the buffer (caller frees with free()); the writer is left empty. */
uint8_t *dvb_writer_take(dvb_writer *w, size_t *len);
bool dvb_write_bytes(dvb_writer *w, const void *p, size_t n);
bool dvb_write_u8(dvb_writer *w, uint8_t v);
bool dvb_write_u16(dvb_writer *w, uint16_t v);
bool dvb_write_u32(dvb_writer *w, uint32_t v);
bool dvb_write_u64(dvb_writer *w, uint64_t v);
/* Overwrite already-written bytes (for lengths known only afterwards). */
bool dvb_patch_u8(dvb_writer *w, size_t at, uint8_t v);
bool dvb_patch_u16(dvb_writer *w, size_t at, uint16_t v);
bool dvb_patch_u32(dvb_writer *w, size_t at, uint32_t v);

#endif
