/*
 * The receiver end to end on small carousels built here: acquisition,
 * PAT/PMT discovery, updates with atomic store swaps, hostile object
 * graphs (loops, duplicate names), compressed modules, ceilings, and
 * garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dvb/dvb.h"
#include "tests/dvb_test_build.h"

#define CAROUSEL 77u
#define CPID 0x0200
#define BLOCK 100

typedef struct {
    int ready, errors, found, changed, over_limit, named, moved, lost;
    uint32_t version;
    char changes[2048];        /* the last change list: "+/a -/b ~/c " */
    char last_message[256];
} events;

static void on_event(void *ud, const dvb_event *ev)
{
    events *e = ud;
    if (ev->message)
        snprintf(e->last_message, sizeof e->last_message, "%s", ev->message);
    switch (ev->type) {
    case DVB_EV_STORE_READY:
        e->ready++;
        e->version = ev->version;
        break;
    case DVB_EV_STREAM_ERROR:
        e->errors++;
        break;
    case DVB_EV_CAROUSEL_FOUND:
        e->found++;
        break;
    case DVB_EV_STORE_CHANGED:
        e->changed++;
        assert_int_equal(ev->version, e->version);
        e->changes[0] = 0;
        for (size_t i = 0; i < ev->changes_count; i++) {
            size_t n = strlen(e->changes);
            const dvb_change *c = &ev->changes[i];
            snprintf(e->changes + n, sizeof e->changes - n, "%c%s ",
                     c->kind == DVB_CHANGE_ADDED     ? '+'
                     : c->kind == DVB_CHANGE_REMOVED ? '-' : '~',
                     c->path);
        }
        break;
    case DVB_EV_OVER_LIMIT:
        e->over_limit++;
        break;
    case DVB_EV_SERVICE_NAME:
        e->named++;
        break;
    case DVB_EV_CAROUSEL_MOVED:
        e->moved++;
        break;
    case DVB_EV_CAROUSEL_LOST:
        e->lost++;
        break;
    }
}

static void on_log(void *ud, dvb_log_level level, const char *msg)
{
    (void)ud;
    if (getenv("DVB_TEST_LOG"))
        fprintf(stderr, "dvb[%d]: %s\n", (int)level, msg);
}

static void put_sec(dvb_writer *ts, uint8_t *cc, const dvb_writer *sec)
{
    tb_packetise(ts, CPID, cc, sec->p, sec->len);
}

/* Blocks of a module as DDB sections. */
static void put_module(dvb_writer *ts, uint8_t *cc, uint16_t id, uint8_t ver,
                       const uint8_t *data, size_t len)
{
    for (size_t off = 0, blk = 0; off < len || blk == 0; off += BLOCK, blk++) {
        size_t n = len - off < BLOCK ? len - off : BLOCK;
        dvb_writer s;
        dvb_writer_init(&s, 0);
        tb_ddb_section(&s, CAROUSEL, id, ver, (uint16_t)blk, data + off, n);
        put_sec(ts, cc, &s);
        dvb_writer_free(&s);
        if (off + n >= len)
            break;
    }
}

typedef struct {
    const char *hello;         /* content of /hello.txt */
    uint8_t mod2_version;
    uint32_t dii_tid;
    int compress;              /* module 2 zlib-compressed */
    uint32_t bad_original;     /* non-zero: lie about original_size */
} cycle_opts;

/* One carousel cycle: DSI, DII, module 1 (gateway + directory /a with
 * loops and a duplicate name), module 2 (two files). */
static void put_cycle(dvb_writer *ts, uint8_t *cc, const cycle_opts *o)
{
    dvb_writer m1, m2, s;
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m2, 0);
    tb_binding root[] = {
        { "hello.txt", "fil", 2, 3 },
        { "a", "dir", 1, 2 },
        { "loop", "dir", 1, 1 },               /* the gateway itself */
        { "hello.txt", "fil", 2, 4 },          /* duplicate name */
        { "missing", "fil", 2, 99 },           /* dangling */
    };
    tb_binding a[] = {
        { "b.txt", "fil", 2, 4 },
        { "up", "dir", 1, 2 },                 /* itself */
    };
    tb_biop_dir(&m1, "srg", 1, CAROUSEL, o->dii_tid, root, 5);
    tb_biop_dir(&m1, "dir", 2, CAROUSEL, o->dii_tid, a, 2);
    tb_biop_file(&m2, 3, o->hello, strlen(o->hello));
    tb_biop_file(&m2, 4, "B", 1);
    uint8_t *m2p = m2.p;
    size_t m2len = m2.len;
    uint8_t *zbuf = NULL;
    if (o->compress) {
        uLongf zl = compressBound(m2.len);
        zbuf = malloc(zl);
        assert_non_null(zbuf);
        assert_int_equal(compress(zbuf, &zl, m2.p, m2.len), Z_OK);
        m2p = zbuf;
        m2len = zl;
    }
    tb_module mods[2] = {
        { 1, 1, (uint32_t)m1.len, 0, 0 },
        { 2, o->mod2_version, (uint32_t)m2len, o->compress,
          o->bad_original ? o->bad_original : (uint32_t)m2.len },
    };
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000000u, CAROUSEL, 1, 1, o->dii_tid);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    tb_dii_section(&s, o->dii_tid, CAROUSEL, BLOCK, mods, 2);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    put_module(ts, cc, 1, 1, m1.p, m1.len);
    put_module(ts, cc, 2, o->mod2_version, m2p, m2len);
    free(zbuf);
    dvb_writer_free(&m1);
    dvb_writer_free(&m2);
}

static dvb_receiver *make_rx(events *ev, int pid, size_t max_module)
{
    memset(ev, 0, sizeof *ev);
    dvb_receiver_config cfg = {
        .pid = pid, .service_id = -1, .carousel_id = -1,
        .max_module_bytes = max_module,
        .log = on_log, .on_event = on_event, .ud = ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    return r;
}

static void expect_file(const dvb_store *st, const char *path,
                        const char *want)
{
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, path, &d, &l), DVB_OK);
    assert_int_equal(l, strlen(want));
    assert_memory_equal(d, want, l);
}

typedef struct {
    char buf[512];
} walk_log;

static int walk_fn(void *ud, const char *path, int is_dir,
                   const uint8_t *data, size_t len)
{
    walk_log *w = ud;
    (void)data;
    (void)len;
    size_t n = strlen(w->buf);
    snprintf(w->buf + n, sizeof w->buf - n, "%s%s ", path, is_dir ? "/" : "");
    return 0;
}

static void test_acquire_and_walk(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Hello", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    assert_int_equal(ev.found, 1);
    assert_int_equal(ev.version, 0x80000002u);
    /* The loops, the duplicate and the dangling binding were reported. */
    assert_true(ev.errors >= 1);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    expect_file(st, "/hello.txt", "Hello");
    expect_file(st, "/a/b.txt", "B");
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, "/a", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_lookup(st, "/missing", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_lookup(st, "/loop", &d, &l), DVB_ENOENT);
    walk_log w = { "" };
    assert_int_equal(dvb_store_walk(st, walk_fn, &w), 0);
    assert_string_equal(w.buf, "// /a/ /a/b.txt /hello.txt ");
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.carousel_id, CAROUSEL);
    assert_int_equal(p.modules_total, 2);
    assert_int_equal(p.modules_done, 2);
    assert_int_equal(p.packets, ts.len / 188);
    assert_int_equal(p.sections_bad, 0);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_update_swaps_atomically(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Hello", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_store *old = dvb_receiver_store(r);
    assert_non_null(old);

    /* Version 2 of module 2 under a new DII transactionId; the stream is
     * cut mid-way first: no half update is published. */
    dvb_writer up;
    dvb_writer_init(&up, 0);
    cycle_opts o2 = { "Hello again", 2, 0x80010002u, 0, 0 };
    put_cycle(&up, &cc, &o2);
    assert_int_equal(dvb_receiver_push(r, up.p, up.len - 188), DVB_OK);
    assert_int_equal(ev.ready, 1);
    dvb_store *mid = dvb_receiver_store(r);
    assert_ptr_equal(mid, old);
    dvb_store_release(mid);
    assert_int_equal(dvb_receiver_push(r, up.p + up.len - 188, 188), DVB_OK);
    assert_int_equal(ev.ready, 2);
    assert_int_equal(ev.version, 0x80010002u);
    dvb_store *cur = dvb_receiver_store(r);
    expect_file(cur, "/hello.txt", "Hello again");
    expect_file(cur, "/a/b.txt", "B");
    assert_int_equal(dvb_store_version(cur), 0x80010002u);
    /* The old store is intact for whoever still holds it, even after the
     * receiver is gone. */
    dvb_receiver_destroy(r);
    expect_file(old, "/hello.txt", "Hello");
    assert_int_equal(dvb_store_version(old), 0x80000002u);
    dvb_store_release(old);
    dvb_store_release(cur);
    dvb_writer_free(&ts);
    dvb_writer_free(&up);
}

static void test_compressed_module(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Squeezed squeezed squeezed", 1, 0x80000002u, 1, 0 };
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    expect_file(st, "/hello.txt", "Squeezed squeezed squeezed");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_wrong_original_size(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Squeezed", 1, 0x80000002u, 1, 3 };
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    assert_true(ev.errors >= 1);
    assert_null(dvb_receiver_store(r));
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_module_ceiling(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Hello", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 64);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    assert_int_equal(ev.errors, 1);            /* reported once, not per cycle */
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* ---- PAT / PMT ---- */

static void psi_section(dvb_writer *w, uint8_t table_id, uint16_t ext,
                        const uint8_t *body, size_t len)
{
    size_t start = w->len;
    dvb_write_u8(w, table_id);
    dvb_write_u16(w, (uint16_t)(0xB000u | (5u + len + 4u)));
    dvb_write_u16(w, ext);
    dvb_write_u8(w, 0xC1);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    dvb_write_bytes(w, body, len);
    dvb_write_u32(w, dvb_crc32(w->p + start, w->len - start));
}

static void put_psi(dvb_writer *ts, uint32_t carousel_in_pmt)
{
    uint8_t cc0 = 0, cc1 = 0;
    dvb_writer s;
    dvb_writer_init(&s, 0);
    static const uint8_t pat[] = { 0x00, 0x00, 0xE0, 0x10,   /* NIT */
                                   0x00, 0x07, 0xE1, 0x00 }; /* 7 -> 0x100 */
    psi_section(&s, 0x00, 1, pat, sizeof pat);
    tb_packetise(ts, 0, &cc0, s.p, s.len);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    uint8_t pmt[64];
    size_t n = 0;
    pmt[n++] = 0xFF;                           /* PCR_PID 0x1FFF */
    pmt[n++] = 0xFF;
    pmt[n++] = 0xF0;                           /* program_info_length 0 */
    pmt[n++] = 0x00;
    pmt[n++] = 0x1B;                           /* a video stream */
    pmt[n++] = 0xE1;
    pmt[n++] = 0x01;
    pmt[n++] = 0xF0;
    pmt[n++] = 0x00;
    pmt[n++] = 0x0B;                           /* the carousel */
    pmt[n++] = (uint8_t)(0xE0 | (CPID >> 8));
    pmt[n++] = CPID & 0xFF;
    pmt[n++] = 0xF0;
    pmt[n++] = 3 + 4 + 6;
    pmt[n++] = 0x52;                           /* stream_identifier */
    pmt[n++] = 1;
    pmt[n++] = 0x01;
    pmt[n++] = 0x66;                           /* data_broadcast_id */
    pmt[n++] = 2;
    pmt[n++] = 0x01;
    pmt[n++] = 0x06;
    pmt[n++] = 0x13;                           /* carousel_identifier */
    pmt[n++] = 4;
    pmt[n++] = (uint8_t)(carousel_in_pmt >> 24);
    pmt[n++] = (uint8_t)(carousel_in_pmt >> 16);
    pmt[n++] = (uint8_t)(carousel_in_pmt >> 8);
    pmt[n++] = (uint8_t)carousel_in_pmt;
    psi_section(&s, 0x02, 7, pmt, n);
    tb_packetise(ts, 0x100, &cc1, s.p, s.len);
    dvb_writer_free(&s);
}

static void test_pat_pmt_discovery(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    put_psi(&ts, CAROUSEL);
    cycle_opts o = { "Found", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    events ev;
    dvb_receiver *r = make_rx(&ev, -1, 0);
    for (size_t off = 0; off < ts.len; off += 100)
        assert_int_equal(dvb_receiver_push(r, ts.p + off,
                                           ts.len - off < 100 ? ts.len - off
                                                              : 100),
                         DVB_OK);
    assert_int_equal(ev.found, 1);
    assert_int_equal(ev.ready, 1);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.pid, CPID);
    dvb_store *st = dvb_receiver_store(r);
    expect_file(st, "/hello.txt", "Found");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_pmt_other_carousel_ignored(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    put_psi(&ts, 1234);
    cycle_opts o = { "Found", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    events ev;
    memset(&ev, 0, sizeof ev);
    dvb_receiver_config cfg = {
        .pid = -1, .service_id = 7, .carousel_id = CAROUSEL,
        .on_event = on_event, .ud = &ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.found, 0);
    assert_int_equal(ev.ready, 0);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* ---- hostile input ---- */

static void test_garbage_and_corruption(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts o = { "Hello", 1, 0x80000002u, 0, 0 };
    put_cycle(&ts, &cc, &o);
    uint64_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        uint8_t *copy = malloc(ts.len);
        assert_non_null(copy);
        memcpy(copy, ts.p, ts.len);
        for (int k = 0; k < 1 + round % 8; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            copy[(seed >> 33) % ts.len] ^= (uint8_t)(1u << ((seed >> 20) & 7));
        }
        events ev;
        dvb_receiver *r = make_rx(&ev, round & 1 ? CPID : -1, 0);
        assert_int_equal(dvb_receiver_push(r, copy, ts.len), DVB_OK);
        dvb_store *st = dvb_receiver_store(r);
        dvb_store_release(st);
        dvb_receiver_destroy(r);
        free(copy);
    }
    /* Pure noise. */
    uint8_t noise[20000];
    for (size_t i = 0; i < sizeof noise; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        noise[i] = (uint8_t)(seed >> 56);
        if (i % 188 == 0)
            noise[i] = 0x47;
    }
    events ev;
    dvb_receiver *r = make_rx(&ev, -1, 0);
    assert_int_equal(dvb_receiver_push(r, noise, sizeof noise), DVB_OK);
    assert_null(dvb_receiver_store(r));
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    dvb_receiver_config cfg = { .pid = 0x2000, .service_id = -1,
                                .carousel_id = -1 };
    dvb_receiver *r = NULL;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_EINVAL);
    assert_int_equal(dvb_receiver_create(NULL, &r), DVB_EINVAL);
    dvb_receiver_destroy(NULL);
    dvb_store_release(NULL);
    assert_int_equal(dvb_receiver_push(NULL, NULL, 0), DVB_EINVAL);
    assert_string_equal(dvb_strerror(DVB_OK), "success");
    assert_non_null(dvb_strerror(DVB_EUNSUPPORTED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_and_walk),
        cmocka_unit_test(test_update_swaps_atomically),
        cmocka_unit_test(test_compressed_module),
        cmocka_unit_test(test_wrong_original_size),
        cmocka_unit_test(test_module_ceiling),
        cmocka_unit_test(test_pat_pmt_discovery),
        cmocka_unit_test(test_pmt_other_carousel_ignored),
        cmocka_unit_test(test_garbage_and_corruption),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
