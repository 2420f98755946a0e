/*
 * Module reassembly.
 *
 * A module of moduleSize bytes is sent as ceil(moduleSize / blockSize)
 * DDBs; every block but the last is exactly blockSize bytes
 * (13818-6 7.3.8, TR 101 202 4.6.3).  Blocks arrive in any order and
 * repeat every carousel cycle, so a bitmap records which are in; the
 * buffer is allocated at the first block (from the receiver's dvb_pages),
 * after the DII's sizes passed the memory ceiling.  Once complete, an
 * uncompressed module's buffer is its content as it is (no copy), and
 * the bitmap is freed.  Compressed modules (TR 101 202 4.7.2,
 * compressed_module_descriptor) hold one zlib stream whose output must be
 * exactly original_size bytes: more or fewer means the module is damaged
 * or the DII lies, and either way its objects cannot be trusted.
 */
#include "dvb/dvb_module.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct dvb_module {
    dvb_dii_module info;
    uint16_t blockSize;
    uint32_t nblocks;
    uint32_t blocks_done;
    size_t bytes_done;
    uint64_t blocks_stored;
    uint8_t *bitmap;
    dvb_pages *pages;          /* where raw and content come from */
    dvb_blob *raw;             /* as transmitted, while receiving */
    dvb_blob *content;         /* decompressed, once complete */
};

dvb_err dvb_module_create(const dvb_dii_module *info, uint16_t blockSize,
                          size_t max_bytes, dvb_pages *pages,
                          dvb_module **out)
{
    if (!info || !out || blockSize == 0)
        return DVB_EINVAL;
    if (info->moduleSize > max_bytes ||
        (info->compressed && info->original_size > max_bytes))
        return DVB_ELIMIT;
    dvb_module *m = calloc(1, sizeof *m);
    if (!m)
        return DVB_ENOMEM;
    m->info = *info;
    m->blockSize = blockSize;
    m->pages = pages;
    m->nblocks = (uint32_t)(((uint64_t)info->moduleSize + blockSize - 1) /
                            blockSize);
    if (m->nblocks > 0x10000u) {
        /* blockNumber is 16 bits: such a module cannot be sent. */
        free(m);
        return DVB_ESYNTAX;
    }
    if (m->nblocks == 0) {
        /* An empty module has no DDBs to wait for; compressed, it would
         * need at least the zlib header, so only an empty result fits. */
        if (info->compressed && info->original_size != 0) {
            free(m);
            return DVB_ESYNTAX;
        }
        m->content = dvb_blob_new(0);
        if (!m->content) {
            free(m);
            return DVB_ENOMEM;
        }
    }
    *out = m;
    return DVB_OK;
}

void dvb_module_destroy(dvb_module *m)
{
    if (!m)
        return;
    free(m->bitmap);
    dvb_blob_release(m->raw);
    dvb_blob_release(m->content);
    free(m);
}

bool dvb_module_complete(const dvb_module *m)
{
    return m->content != NULL;
}

bool dvb_module_has_block(const dvb_module *m, uint16_t blockNumber)
{
    if (m->content)
        return true;
    if (!m->bitmap || blockNumber >= m->nblocks)
        return false;
    return (m->bitmap[blockNumber >> 3] >> (blockNumber & 7u)) & 1u;
}

dvb_blob *dvb_module_blob(const dvb_module *m)
{
    return m->content;
}

size_t dvb_module_bytes_done(const dvb_module *m)
{
    return m->content ? m->info.moduleSize : m->bytes_done;
}

const dvb_dii_module *dvb_module_info(const dvb_module *m)
{
    return &m->info;
}

uint64_t dvb_module_blocks_stored(const dvb_module *m)
{
    return m->blocks_stored;
}

static void reset(dvb_module *m)
{
    free(m->bitmap);
    m->bitmap = NULL;
    dvb_blob_release(m->raw);
    m->raw = NULL;
    m->blocks_done = 0;
    m->bytes_done = 0;
}

void dvb_module_adopt(dvb_module *m, dvb_blob *b)
{
    reset(m);
    dvb_blob_release(m->content);
    m->content = dvb_blob_retain(b);
}

static dvb_err inflate_with(const uint8_t *in, size_t in_len, dvb_blob *b,
                            int window_bits)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, window_bits) != Z_OK)
        return DVB_ENOMEM;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.next_out = b->data;
    dvb_err e = DVB_OK;
    size_t in_left = in_len, out_left = b->len;
    int rc = Z_OK;
    /* zlib counts in uInt; feed in slices so any size_t works. */
    while (rc == Z_OK) {
        uInt ci = in_left > 0x40000000u ? 0x40000000u : (uInt)in_left;
        uInt co = out_left > 0x40000000u ? 0x40000000u : (uInt)out_left;
        z.avail_in = ci;
        z.avail_out = co;
        rc = inflate(&z, Z_NO_FLUSH);
        in_left -= ci - z.avail_in;
        out_left -= co - z.avail_out;
        if (rc == Z_OK && ci - z.avail_in == 0 && co - z.avail_out == 0)
            break;             /* no progress: out of input or output */
    }
    if (rc == Z_MEM_ERROR)
        e = DVB_ENOMEM;
    else if (rc != Z_STREAM_END)
        e = DVB_ESYNTAX;       /* corrupt, or longer than original_size */
    else if (out_left != 0)
        e = DVB_ESYNTAX;       /* shorter than original_size */
    inflateEnd(&z);
    return e;
}

dvb_err dvb_inflate(dvb_pages *pages, const uint8_t *in, size_t in_len,
                    size_t want, dvb_blob **out)
{
    *out = NULL;
    dvb_blob *b = dvb_blob_new_in(pages, want);
    if (!b)
        return DVB_ENOMEM;
    dvb_err e = inflate_with(in, in_len, b, 15);
    if (e == DVB_ESYNTAX)
        e = inflate_with(in, in_len, b, -15);
    if (e) {
        dvb_blob_release(b);
        return e;
    }
    *out = b;
    return DVB_OK;
}

static dvb_err finish(dvb_module *m)
{
    if (!m->info.compressed) {
        m->content = m->raw;
        m->raw = NULL;
        reset(m);
        return DVB_OK;
    }
    /* compression_method: low nibble 8 is deflate (RFC 1950 CM), which is
     * how both the 0x08 of the DVB specs and the 0x78 (a zlib CMF byte)
     * seen in HbbTV playout read. */
    if ((m->info.compression_method & 0x0Fu) != 8u) {
        reset(m);
        return DVB_EUNSUPPORTED;
    }
    dvb_blob *b;
    dvb_err e = dvb_inflate(m->pages, m->raw->data, m->raw->len,
                            m->info.original_size, &b);
    reset(m);
    if (e)
        return e;
    m->content = b;
    return DVB_OK;
}

dvb_err dvb_module_add_block(dvb_module *m, uint16_t blockNumber,
                             const uint8_t *data, size_t len)
{
    if (m->content)
        return DVB_OK;
    if (blockNumber >= m->nblocks) {
        /* A zero-size module has no blocks; a stray DDB must not stop it
         * from completing, but nothing else is valid. */
        return m->nblocks == 0 ? DVB_OK : DVB_ESYNTAX;
    }
    size_t off = (size_t)blockNumber * m->blockSize;
    size_t want = m->info.moduleSize - off;
    if (want > m->blockSize)
        want = m->blockSize;
    if (len != want)
        return DVB_ESYNTAX;
    if (!m->raw) {
        m->raw = dvb_blob_new_in(m->pages, m->info.moduleSize);
        m->bitmap = calloc((m->nblocks + 7u) / 8u, 1);
        if (!m->raw || !m->bitmap) {
            reset(m);
            return DVB_ENOMEM;
        }
    }
    uint8_t bit = (uint8_t)(1u << (blockNumber & 7u));
    if (m->bitmap[blockNumber >> 3] & bit)
        return DVB_OK;         /* repeated in a later cycle */
    memcpy(m->raw->data + off, data, len);
    m->bitmap[blockNumber >> 3] |= bit;
    m->blocks_done++;
    m->blocks_stored++;
    m->bytes_done += len;
    if (m->blocks_done < m->nblocks)
        return DVB_OK;
    return finish(m);
}
