/*
 * DSI / DII / DDB and BIOP decoding with hand-made messages, and every
 * truncation of each: copied into an exact-size heap buffer so that
 * AddressSanitizer reports any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dvb/dvb_biop.h"
#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_module.h"
#include "tests/dvb_test_build.h"

/* The message inside a section made by the builders. */
static dvb_dsmcc_msg msg_of(const dvb_writer *w)
{
    dvb_dsmcc_section s;
    assert_int_equal(dvb_dsmcc_section_parse(w->p, w->len, &s), DVB_OK);
    dvb_dsmcc_msg m;
    assert_int_equal(dvb_dsmcc_msg_parse(s.payload, s.payload_len, &m),
                     DVB_OK);
    return m;
}

static void test_dsi(void **state)
{
    (void)state;
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_dsi_section(&w, 0x80000000u, 77, 5, 0x2A, 0x80000002u);
    dvb_dsmcc_msg m = msg_of(&w);
    assert_int_equal(m.messageId, DVB_MSG_DSI);
    dvb_dsi d;
    assert_int_equal(dvb_dsi_parse(&m, &d), DVB_OK);
    assert_int_equal(d.transactionId, 0x80000000u);
    const dvb_ior *g = &d.service_gateway;
    assert_int_equal(g->kind, DVB_BIOP_SRG);
    assert_true(g->has_location);
    assert_int_equal(g->carouselId, 77);
    assert_int_equal(g->moduleId, 5);
    assert_int_equal(g->objectKey_length, 1);
    assert_int_equal(g->objectKey[0], 0x2A);
    assert_true(g->has_tap);
    assert_int_equal(g->tap.use, DVB_BIOP_DELIVERY_PARA_USE);
    assert_true(g->tap.has_selector);
    assert_int_equal(g->tap.transactionId, 0x80000002u);
    dvb_writer_free(&w);
}

static void test_dii(void **state)
{
    (void)state;
    tb_module mods[2] = { { 1, 3, 5000, 0, 0 }, { 2, 9, 100, 1, 4000 } };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_dii_section(&w, 0x80010002u, 77, 4066, mods, 2);
    dvb_dsmcc_msg m = msg_of(&w);
    dvb_dii d;
    assert_int_equal(dvb_dii_parse(&m, &d), DVB_OK);
    assert_int_equal(d.transactionId, 0x80010002u);
    assert_int_equal(d.downloadId, 77);
    assert_int_equal(d.blockSize, 4066);
    assert_int_equal(d.numberOfModules, 2);
    assert_int_equal(d.modules[0].moduleId, 1);
    assert_int_equal(d.modules[0].moduleSize, 5000);
    assert_int_equal(d.modules[0].moduleVersion, 3);
    assert_false(d.modules[0].compressed);
    assert_true(d.modules[0].has_tap);
    assert_int_equal(d.modules[1].moduleId, 2);
    assert_true(d.modules[1].compressed);
    assert_int_equal(d.modules[1].compression_method, 8);
    assert_int_equal(d.modules[1].original_size, 4000);
    dvb_dii_clear(&d);
    dvb_writer_free(&w);
}

static void test_ddb(void **state)
{
    (void)state;
    uint8_t data[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_ddb_section(&w, 77, 4, 2, 9, data, sizeof data);
    dvb_dsmcc_msg m = msg_of(&w);
    dvb_ddb d;
    assert_int_equal(dvb_ddb_parse(&m, &d), DVB_OK);
    assert_int_equal(d.downloadId, 77);
    assert_int_equal(d.moduleId, 4);
    assert_int_equal(d.moduleVersion, 2);
    assert_int_equal(d.blockNumber, 9);
    assert_int_equal(d.blockData_len, 10);
    assert_memory_equal(d.blockData, data, 10);
    dvb_writer_free(&w);
}

static void test_biop_dir_and_file(void **state)
{
    (void)state;
    tb_binding b[2] = { { "index.html", "fil", 3, 7 },
                        { "img", "dir", 4, 8 } };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_biop_dir(&w, "srg", 1, 77, 0x80000002u, b, 2);
    size_t first = w.len;
    tb_biop_file(&w, 7, "hello", 5);
    dvb_biop_object o;
    size_t used;
    assert_int_equal(dvb_biop_message_parse(w.p, w.len, &used, &o), DVB_OK);
    assert_int_equal(used, first);
    assert_int_equal(o.kind, DVB_BIOP_SRG);
    assert_int_equal(o.bindings_count, 2);
    assert_int_equal(o.bindings[0].name_len, 10);
    assert_memory_equal(o.bindings[0].name, "index.html", 10);
    assert_int_equal(o.bindings[0].kind, DVB_BIOP_FIL);
    assert_int_equal(o.bindings[0].ior.moduleId, 3);
    assert_int_equal(o.bindings[1].ior.kind, DVB_BIOP_DIR);
    assert_int_equal(o.bindings[1].ior.objectKey[0], 8);
    dvb_biop_object_clear(&o);
    assert_int_equal(dvb_biop_message_parse(w.p + first, w.len - first, &used,
                                            &o), DVB_OK);
    assert_int_equal(o.kind, DVB_BIOP_FIL);
    assert_int_equal(o.content_length, 5);
    assert_memory_equal(o.content, "hello", 5);
    dvb_biop_object_clear(&o);
    dvb_writer_free(&w);
}

static void test_biop_kinds(void **state)
{
    (void)state;
    assert_int_equal(dvb_biop_kind_from((const uint8_t *)"dir\0", 4),
                     DVB_BIOP_DIR);
    assert_int_equal(dvb_biop_kind_from((const uint8_t *)"fil", 3),
                     DVB_BIOP_FIL);
    assert_int_equal(dvb_biop_kind_from((const uint8_t *)"ste\0", 4),
                     DVB_BIOP_STE);
    assert_int_equal(dvb_biop_kind_from((const uint8_t *)"xyz\0", 4),
                     DVB_BIOP_UNKNOWN);
}

static void test_biop_bad_magic(void **state)
{
    (void)state;
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_biop_file(&w, 7, "x", 1);
    w.p[0] = 'X';
    dvb_biop_object o;
    size_t used;
    assert_int_equal(dvb_biop_message_parse(w.p, w.len, &used, &o),
                     DVB_ESYNTAX);
    dvb_writer_free(&w);
}

/* ---- every prefix fails cleanly ---- */

typedef dvb_err (*parse_fn)(const uint8_t *p, size_t len);

static dvb_err parse_biop(const uint8_t *p, size_t len)
{
    dvb_biop_object o;
    size_t used;
    dvb_err e = dvb_biop_message_parse(p, len, &used, &o);
    dvb_biop_object_clear(&o);
    return e;
}

/* A message (no section) through header, then body parser by id. */
static dvb_err parse_msg(const uint8_t *p, size_t len)
{
    dvb_dsmcc_msg m;
    dvb_err e = dvb_dsmcc_msg_parse(p, len, &m);
    if (e)
        return e;
    switch (m.messageId) {
    case DVB_MSG_DSI: {
        dvb_dsi d;
        return dvb_dsi_parse(&m, &d);
    }
    case DVB_MSG_DII: {
        dvb_dii d;
        e = dvb_dii_parse(&m, &d);
        dvb_dii_clear(&d);
        return e;
    }
    case DVB_MSG_DDB: {
        dvb_ddb d;
        return dvb_ddb_parse(&m, &d);
    }
    }
    return DVB_ESYNTAX;
}

static dvb_err parse_section(const uint8_t *p, size_t len)
{
    dvb_dsmcc_section s;
    dvb_err e = dvb_dsmcc_section_parse(p, len, &s);
    return e ? e : parse_msg(s.payload, s.payload_len);
}

/* Each strict prefix must fail; the whole must pass.  The DDB is the
 * exception: its block data has no length of its own, but the
 * messageLength still catches every cut. */
static void all_prefixes(const uint8_t *p, size_t len, parse_fn fn)
{
    for (size_t n = 0; n <= len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, p, n);
        dvb_err e = fn(copy, n);
        if (n < len && e == DVB_OK)
            fail_msg("prefix of %zu of %zu bytes parsed", n, len);
        if (n == len)
            assert_int_equal(e, DVB_OK);
        free(copy);
    }
}

static void test_truncations(void **state)
{
    (void)state;
    dvb_writer w;
    tb_binding b[2] = { { "a", "fil", 3, 7 }, { "bb", "dir", 4, 8 } };
    dvb_writer_init(&w, 0);
    tb_biop_dir(&w, "dir", 1, 77, 1, b, 2);
    all_prefixes(w.p, w.len, parse_biop);
    dvb_writer_free(&w);

    dvb_writer_init(&w, 0);
    tb_biop_file(&w, 7, "content", 7);
    all_prefixes(w.p, w.len, parse_biop);
    dvb_writer_free(&w);

    dvb_writer_init(&w, 0);
    tb_dsi_section(&w, 0x80000000u, 77, 5, 0x2A, 0x80000002u);
    all_prefixes(w.p, w.len, parse_section);
    all_prefixes(w.p + 8, w.len - 12, parse_msg);
    dvb_writer_free(&w);

    tb_module mods[2] = { { 1, 3, 5000, 0, 0 }, { 2, 9, 100, 1, 4000 } };
    dvb_writer_init(&w, 0);
    tb_dii_section(&w, 0x80010002u, 77, 4066, mods, 2);
    all_prefixes(w.p, w.len, parse_section);
    all_prefixes(w.p + 8, w.len - 12, parse_msg);
    dvb_writer_free(&w);

    uint8_t data[33] = { 0 };
    dvb_writer_init(&w, 0);
    tb_ddb_section(&w, 77, 4, 2, 9, data, sizeof data);
    all_prefixes(w.p, w.len, parse_section);
    all_prefixes(w.p + 8, w.len - 12, parse_msg);
    dvb_writer_free(&w);
}

/* ---- the checksum variant (13818-6 9.2.2) ---- */

static void test_checksum_sections(void **state)
{
    (void)state;
    uint8_t data[37];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    dvb_writer b, m, w;
    dvb_writer_init(&b, 0);
    dvb_writer_init(&m, 0);
    dvb_writer_init(&w, 0);
    dvb_write_u16(&b, 4);
    dvb_write_u8(&b, 1);
    dvb_write_u8(&b, 0xFF);
    dvb_write_u16(&b, 0);
    dvb_write_bytes(&b, data, sizeof data);
    tb_msg(&m, 0x1003, 77, b.p, b.len);
    tb_section_checksum(&w, 0x3C, 4, m.p, m.len);
    dvb_dsmcc_section s;
    assert_int_equal(dvb_dsmcc_section_parse(w.p, w.len, &s), DVB_OK);
    assert_false(s.section_syntax_indicator);
    assert_true(s.private_indicator);
    assert_true(s.checksum_variant);
    assert_int_equal(s.payload_len, m.len);
    /* Every prefix fails; every single bit flip in the section is caught
     * (XOR of words detects any one-bit error). */
    all_prefixes(w.p, w.len, parse_section);
    for (size_t i = 3; i < w.len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            w.p[i] ^= (uint8_t)(1u << bit);
            dvb_err e = dvb_dsmcc_section_parse(w.p, w.len, &s);
            if (e == DVB_OK)
                fail_msg("flip of bit %u at %zu not caught", bit, i);
            w.p[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* The receiver's checksum agrees with the one written here. */
    uint32_t want = ((uint32_t)w.p[w.len - 4] << 24) |
                    ((uint32_t)w.p[w.len - 3] << 16) |
                    ((uint32_t)w.p[w.len - 2] << 8) | w.p[w.len - 1];
    assert_int_equal(dvb_dsmcc_checksum(w.p, w.len - 4), want);
    /* Syntax indicator 0 but a CRC_32 in the last bytes: accepted. */
    dvb_writer c;
    dvb_writer_init(&c, 0);
    tb_section(&c, 0x3C, 4, m.p, m.len);
    c.p[1] &= 0x7F;
    uint32_t crc = dvb_crc32(c.p, c.len - 4);
    dvb_patch_u32(&c, c.len - 4, crc);
    assert_int_equal(dvb_dsmcc_section_parse(c.p, c.len, &s), DVB_OK);
    /* ... and a damaged one refused. */
    c.p[20] ^= 1;
    assert_int_equal(dvb_dsmcc_section_parse(c.p, c.len, &s), DVB_ECRC);
    /* A CRC section with a bad CRC is still refused. */
    c.p[1] |= 0x80;
    assert_int_equal(dvb_dsmcc_section_parse(c.p, c.len, &s), DVB_ECRC);
    dvb_writer_free(&c);
    dvb_writer_free(&b);
    dvb_writer_free(&m);
    dvb_writer_free(&w);
}

/* ---- Stream and StreamEvent objects ---- */

static void test_biop_streams(void **state)
{
    (void)state;
    static const uint16_t use[2] = { 0x0018, 0x000D };
    static const uint16_t tag[2] = { 0x0011, 0x0012 };
    static const char *const names[2] = { "start", "stop" };
    static const uint16_t ids[2] = { 0x0101, 0x0102 };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    tb_biop_stream(&w, 9, 0, "news", use, tag, 1, NULL, NULL, 0);
    size_t first = w.len;
    tb_biop_stream(&w, 10, 1, "quiz", use, tag, 2, names, ids, 2);
    dvb_biop_object o;
    size_t used;
    assert_int_equal(dvb_biop_message_parse(w.p, w.len, &used, &o), DVB_OK);
    assert_int_equal(used, first);
    assert_int_equal(o.kind, DVB_BIOP_STR);
    assert_int_equal(o.stream.description_length, 4);
    assert_memory_equal(o.stream.description, "news", 4);
    assert_int_equal(o.stream.duration_aSeconds, 90);
    assert_int_equal(o.stream.duration_aMicroSeconds, 500);
    assert_int_equal(o.stream.taps_count, 1);
    assert_int_equal(o.stream.taps[0].use, 0x0018);
    assert_int_equal(o.stream.taps[0].association_tag, 0x0011);
    assert_int_equal(o.stream.eventNames_count, 0);
    dvb_biop_object_clear(&o);
    assert_int_equal(dvb_biop_message_parse(w.p + first, w.len - first, &used,
                                            &o), DVB_OK);
    assert_int_equal(o.kind, DVB_BIOP_STE);
    assert_int_equal(o.stream.taps_count, 2);
    assert_int_equal(o.stream.eventNames_count, 2);
    assert_int_equal(o.stream.eventName_length[1], 4);
    assert_memory_equal(o.stream.eventName[1], "stop", 4);
    assert_int_equal(o.stream.eventIds_count, 2);
    assert_int_equal(o.stream.eventIds[3], 0x02);
    dvb_biop_object_clear(&o);

    /* Every truncation of either fails cleanly. */
    all_prefixes(w.p, first, parse_biop);
    all_prefixes(w.p + first, w.len - first, parse_biop);

    /* An event count that lies about the bytes: refused before any
     * allocation, and the framing still lets the caller skip it. */
    size_t at = first + 12 + 1 + 1 + 4 + 4 + 2 + 1 + 4 + 4 + 4 + 3;
    assert_int_equal(w.p[at], 0);
    w.p[at] = 0xFF;
    assert_int_equal(dvb_biop_message_parse(w.p + first, w.len - first, &used,
                                            &o), DVB_ETRUNC);
    assert_int_equal(used, w.len - first);
    dvb_writer_free(&w);
}

/* ---- module assembly ---- */

static void test_module_blocks_any_order(void **state)
{
    (void)state;
    uint8_t content[10000];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 13);
    dvb_dii_module mi = { .moduleId = 1, .moduleSize = sizeof content };
    dvb_module *m;
    assert_int_equal(dvb_module_create(&mi, 4066, 1 << 20, NULL, &m), DVB_OK);
    static const uint16_t order[] = { 2, 0, 0, 2 };
    for (size_t i = 0; i < 4; i++) {
        size_t off = order[i] * 4066u;
        size_t n = sizeof content - off < 4066 ? sizeof content - off : 4066;
        assert_int_equal(dvb_module_add_block(m, order[i], content + off, n),
                         DVB_OK);
        assert_false(dvb_module_complete(m));
    }
    /* Wrong length for block 1, then a block number out of range. */
    assert_int_equal(dvb_module_add_block(m, 1, content, 100), DVB_ESYNTAX);
    assert_int_equal(dvb_module_add_block(m, 3, content, 100), DVB_ESYNTAX);
    assert_int_equal(dvb_module_add_block(m, 1, content + 4066, 4066), DVB_OK);
    assert_true(dvb_module_complete(m));
    dvb_blob *b = dvb_module_blob(m);
    assert_int_equal(b->len, sizeof content);
    assert_memory_equal(b->data, content, sizeof content);
    dvb_module_destroy(m);
}

static void test_module_limits(void **state)
{
    (void)state;
    dvb_dii_module mi = { .moduleId = 1, .moduleSize = 2000 };
    dvb_module *m = NULL;
    assert_int_equal(dvb_module_create(&mi, 100, 1000, NULL, &m), DVB_ELIMIT);
    mi.moduleSize = 10;
    mi.compressed = true;
    mi.compression_method = 8;
    mi.original_size = 5000;
    assert_int_equal(dvb_module_create(&mi, 100, 1000, NULL, &m), DVB_ELIMIT);
    assert_null(m);
}

static void test_inflate_exact_size(void **state)
{
    (void)state;
    /* zlib stream of "hello hello hello" (made with zlib.compress). */
    static const uint8_t z[] = { 0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
                                 0x57, 0xc8, 0x40, 0x90, 0x00, 0x3a, 0x2e,
                                 0x06, 0x7d };
    dvb_blob *b;
    assert_int_equal(dvb_inflate(NULL, z, sizeof z, 17, &b), DVB_OK);
    assert_memory_equal(b->data, "hello hello hello", 17);
    dvb_blob_release(b);
    assert_int_not_equal(dvb_inflate(NULL, z, sizeof z, 16, &b), DVB_OK);
    assert_int_not_equal(dvb_inflate(NULL, z, sizeof z, 18, &b), DVB_OK);
    for (size_t n = 0; n < sizeof z; n++)
        assert_int_not_equal(dvb_inflate(NULL, z, n, 17, &b), DVB_OK);
}


/* ---- big blobs from page runs (dvb_pages) ---- */

static void fill_blob(dvb_blob *b, uint8_t seed)
{
    for (size_t i = 0; i < b->len; i++)
        b->data[i] = (uint8_t)(seed + i * 7);
}

static bool blob_intact(const dvb_blob *b, uint8_t seed)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] != (uint8_t)(seed + i * 7))
            return false;
    return true;
}

static void test_pages(void **state)
{
    (void)state;
    dvb_pages *p = dvb_pages_create_always();
    assert_non_null(p);
    /* Small blobs are malloc'd. */
    dvb_blob *small = dvb_blob_new_in(p, DVB_PAGES_MIN - 1);
    assert_non_null(small);
    assert_int_equal(small->map_len, 0);
    /* Big ones are page runs, side by side, each freeing itself. */
    enum { N = 24 };
    dvb_blob *b[N];
    size_t sizes[N];
    for (size_t i = 0; i < N; i++) {
        sizes[i] = i == 5 ? (size_t)20 << 20           /* a mapping of its own */
                 : i % 3 == 0 ? DVB_PAGES_MIN
                 : ((size_t)1 << 20) + i * 4099;
        b[i] = dvb_blob_new_in(p, sizes[i]);
        assert_non_null(b[i]);
        assert_int_equal(b[i]->len, sizes[i]);
        assert_int_equal(b[i]->refs, 1);
        assert_true(b[i]->map_len >= sizeof *b[i] + sizes[i] + 1);
        assert_int_equal((uintptr_t)b[i] % 4096, 0);
        assert_int_equal(b[i]->map_len % 4096, 0);
        fill_blob(b[i], (uint8_t)i);
        /* The rest of the mapping given back now and then, as after a
         * store is published: later blobs map afresh. */
        if (i % 7 == 6)
            dvb_pages_trim(p);
        /* Some go at once, as a failed inflate's would. */
        if (i % 4 == 1) {
            dvb_blob_release(b[i]);
            b[i] = NULL;
        }
    }
    for (size_t i = 0; i < N; i++)
        if (b[i])
            assert_true(blob_intact(b[i], (uint8_t)i));
    /* Shared, then released by each holder. */
    dvb_blob_retain(b[2]);
    dvb_blob_release(b[2]);
    assert_true(blob_intact(b[2], 2));
    /* The allocator goes first: the blobs carved from it stay valid. */
    dvb_pages_destroy(p);
    for (size_t i = N; i-- > 0;)
        if (b[i]) {
            assert_true(blob_intact(b[i], (uint8_t)i));
            dvb_blob_release(b[i]);
        }
    dvb_blob_release(small);
    dvb_pages_trim(NULL);
    dvb_pages_destroy(NULL);
    dvb_blob *m = dvb_blob_new_in(NULL, (size_t)1 << 20);
    assert_non_null(m);
    assert_int_equal(m->map_len, 0);
    dvb_blob_release(m);
}

/* Modules, plain and compressed, assembled in page runs; the content
 * outlives both the module and the allocator. */
static void test_module_pages(void **state)
{
    (void)state;
    dvb_pages *p = dvb_pages_create_always();
    assert_non_null(p);
    size_t n = 300000;
    uint8_t *content = malloc(n);
    assert_non_null(content);
    for (size_t i = 0; i < n; i++)
        content[i] = (uint8_t)("council tax "[i % 12] + (i / 4096) % 3);
    uLongf zlen = compressBound(n);
    uint8_t *z = malloc(zlen);
    assert_non_null(z);
    assert_int_equal(compress(z, &zlen, content, n), Z_OK);
    dvb_blob *keep[2];
    for (int compressed = 0; compressed < 2; compressed++) {
        const uint8_t *raw = compressed ? z : content;
        size_t raw_len = compressed ? (size_t)zlen : n;
        dvb_dii_module mi = { .moduleId = 1, .moduleSize = (uint32_t)raw_len,
                              .compressed = compressed != 0,
                              .compression_method = 8,
                              .original_size = (uint32_t)n };
        dvb_module *m;
        assert_int_equal(dvb_module_create(&mi, 4066, 1 << 20, p, &m), DVB_OK);
        size_t nb = (raw_len + 4065) / 4066;
        for (size_t k = nb; k-- > 0;) {
            size_t off = k * 4066;
            size_t len = raw_len - off < 4066 ? raw_len - off : 4066;
            assert_int_equal(dvb_module_add_block(m, (uint16_t)k, raw + off,
                                                  len), DVB_OK);
        }
        assert_true(dvb_module_complete(m));
        keep[compressed] = dvb_blob_retain(dvb_module_blob(m));
        dvb_module_destroy(m);
    }
    dvb_pages_destroy(p);
    for (int i = 0; i < 2; i++) {
        assert_true(keep[i]->map_len > 0);
        assert_int_equal(keep[i]->len, n);
        assert_memory_equal(keep[i]->data, content, n);
        dvb_blob_release(keep[i]);
    }
    free(z);
    free(content);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsi),
        cmocka_unit_test(test_dii),
        cmocka_unit_test(test_ddb),
        cmocka_unit_test(test_biop_dir_and_file),
        cmocka_unit_test(test_biop_kinds),
        cmocka_unit_test(test_biop_bad_magic),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_module_blocks_any_order),
        cmocka_unit_test(test_module_limits),
        cmocka_unit_test(test_inflate_exact_size),
        cmocka_unit_test(test_checksum_sections),
        cmocka_unit_test(test_biop_streams),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_module_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
