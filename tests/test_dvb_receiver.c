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
#include "dvb/dvb_psi.h"
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

/* The PID put_sec writes to (tests that move the carousel change it). */
static uint16_t g_pid = CPID;

static void put_sec(dvb_writer *ts, uint8_t *cc, const dvb_writer *sec)
{
    tb_packetise(ts, g_pid, cc, sec->p, sec->len);
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
    /* 0: the tree below; 1: no /a, a new /new.txt (module 2); 2: also a
     * stream /tv, a stream event /quiz (module 1) and a directory /later
     * in module 2 holding x.txt. */
    int layout;
    uint8_t mod1_version;      /* 0 means 1 */
    int skip_mod1, skip_mod2;  /* leave a module's DDBs out of the cycle */
} cycle_opts;

/* One carousel cycle: DSI, DII, module 1 (gateway + directory /a with
 * loops and a duplicate name), module 2 (two files). */
static void put_cycle(dvb_writer *ts, uint8_t *cc, const cycle_opts *o)
{
    dvb_writer m1, m2, s;
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m2, 0);
    tb_binding root0[] = {
        { "hello.txt", "fil", 2, 3 },
        { "a", "dir", 1, 2 },
        { "loop", "dir", 1, 1 },               /* the gateway itself */
        { "hello.txt", "fil", 2, 4 },          /* duplicate name */
        { "missing", "fil", 2, 99 },           /* dangling */
    };
    tb_binding root1[] = {
        { "hello.txt", "fil", 2, 3 },
        { "new.txt", "fil", 2, 5 },
    };
    tb_binding root2[] = {
        { "hello.txt", "fil", 2, 3 },
        { "a", "dir", 1, 2 },
        { "tv", "str", 1, 5 },
        { "quiz", "ste", 1, 6 },
        { "later", "dir", 2, 7 },
    };
    tb_binding a[] = {
        { "b.txt", "fil", 2, 4 },
        { "up", "dir", 1, 2 },                 /* itself */
    };
    tb_binding later[] = { { "x.txt", "fil", 2, 4 } };
    if (o->layout == 1)
        tb_biop_dir(&m1, "srg", 1, CAROUSEL, o->dii_tid, root1, 2);
    else if (o->layout == 2)
        tb_biop_dir(&m1, "srg", 1, CAROUSEL, o->dii_tid, root2, 5);
    else
        tb_biop_dir(&m1, "srg", 1, CAROUSEL, o->dii_tid, root0, 5);
    tb_biop_dir(&m1, "dir", 2, CAROUSEL, o->dii_tid, a, 2);
    if (o->layout == 2) {
        static const uint16_t use[2] = { 0x0018, 0x000D };
        static const uint16_t tag[2] = { 0x0021, 0x0022 };
        static const char *const names[2] = { "go", "stop" };
        static const uint16_t ids[2] = { 1, 2 };
        tb_biop_stream(&m1, 5, 0, "video", use, tag, 1, NULL, NULL, 0);
        tb_biop_stream(&m1, 6, 1, "quiz", use, tag, 2, names, ids, 2);
    }
    tb_biop_file(&m2, 3, o->hello, strlen(o->hello));
    tb_biop_file(&m2, 4, "B", 1);
    if (o->layout == 1)
        tb_biop_file(&m2, 5, "N", 1);
    if (o->layout == 2)
        tb_biop_dir(&m2, "dir", 7, CAROUSEL, o->dii_tid, later, 1);
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
    uint8_t v1 = o->mod1_version ? o->mod1_version : 1;
    tb_module mods[2] = {
        { 1, v1, (uint32_t)m1.len, 0, 0 },
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
    if (!o->skip_mod1)
        put_module(ts, cc, 1, v1, m1.p, m1.len);
    if (!o->skip_mod2)
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

/* Version 1 of the carousel of put_cycle, as most tests start. */
#define V1_OPTS { .hello = "Hello", .mod2_version = 1, \
                  .dii_tid = 0x80000002u }

/* The set-up most tests share: a new stream in *ts of `cycles` cycles
 * of *o (continuity from *cc, which goes on for what the test sends
 * next), pushed whole into a new receiver on CPID (max_module as for
 * make_rx).  Free *ts and destroy the receiver after. */
static dvb_receiver *rx_fed(events *ev, dvb_writer *ts, uint8_t *cc,
                            const cycle_opts *o, int cycles,
                            size_t max_module)
{
    dvb_writer_init(ts, 0);
    for (int i = 0; i < cycles; i++)
        put_cycle(ts, cc, o);
    dvb_receiver *r = make_rx(ev, CPID, max_module);
    assert_int_equal(dvb_receiver_push(r, ts->p, ts->len), DVB_OK);
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
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 1, 0);
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
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 1, 0);
    dvb_store *old = dvb_receiver_store(r);
    assert_non_null(old);

    /* Version 2 of module 2 under a new DII transactionId; the stream is
     * cut mid-way first: no half update is published. */
    dvb_writer up;
    dvb_writer_init(&up, 0);
    cycle_opts o2 = { .hello = "Hello again", .mod2_version = 2,
                     .dii_tid = 0x80010002u, .compress = 0, .bad_original = 0 };
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
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    o.hello = "Squeezed squeezed squeezed";
    o.compress = 1;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 1, 0);
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
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    o.hello = "Squeezed";
    o.compress = 1;
    o.bad_original = 3;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 1, 0);
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
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 2, 64);
    assert_int_equal(ev.ready, 0);
    assert_int_equal(ev.errors, 1);            /* reported once, not per cycle */
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* How many DDBs a cycle sends for module 1 and for module 2. */
static void cycle_sizes(const cycle_opts *o, size_t *m1, size_t *m2)
{
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts only1 = *o, only2 = *o;
    only1.skip_mod2 = 1;
    only2.skip_mod1 = 1;
    cycle_opts none = *o;
    none.skip_mod1 = none.skip_mod2 = 1;
    /* Sizes from the byte counts of the DDB packets: a DDB section holds
     * at most BLOCK bytes and fits in one packet, so each block is one
     * packet (header bytes make the rest). */
    put_cycle(&ts, &cc, &none);
    size_t base = ts.len;
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    put_cycle(&ts, &cc, &only1);
    *m1 = (ts.len - base) / 188;
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    put_cycle(&ts, &cc, &only2);
    *m2 = (ts.len - base) / 188;
    dvb_writer_free(&ts);
}

/* Version 1, then version 2 that changes one file in module 2 only, then
 * version 3 that changes the tree (module 1) and adds a file: only what
 * changed is fetched and assembled again, the change lists are exact,
 * and a reader holding an older version keeps it. */
static void test_update_refetches_only_changes(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    cycle_opts v1 = V1_OPTS;
    cycle_opts v2 = v1, v3 = v1;
    v2.hello = "Hello again";
    v2.mod2_version = 2;
    v2.dii_tid = 0x80010002u;
    v3 = v2;
    v3.layout = 1;
    v3.mod1_version = 2;
    v3.mod2_version = 3;
    v3.dii_tid = 0x80020002u;
    size_t b1m1, b1m2, b2m1, b2m2, b3m1, b3m2;
    cycle_sizes(&v1, &b1m1, &b1m2);
    cycle_sizes(&v2, &b2m1, &b2m2);
    cycle_sizes(&v3, &b3m1, &b3m2);
    assert_int_equal(b1m1, b2m1);

    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    put_cycle(&ts, &cc, &v1);
    put_cycle(&ts, &cc, &v1);                  /* repetition: no new work */
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(ev.ready, 1);
    assert_int_equal(p.modules_assembled, 2);
    assert_int_equal(p.blocks_stored, b1m1 + b1m2);
    assert_int_equal(ev.changed, 1);
    assert_string_equal(ev.changes, "+/ +/a +/a/b.txt +/hello.txt ");
    dvb_store *s1 = dvb_receiver_store(r);

    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    put_cycle(&ts, &cc, &v2);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_receiver_progress(r, &p);
    assert_int_equal(ev.ready, 2);
    assert_int_equal(ev.version, 0x80010002u);
    /* Module 1 was reused: only module 2's blocks came in again. */
    assert_int_equal(p.modules_assembled, 3);
    assert_int_equal(p.blocks_stored, b1m1 + b1m2 + b2m2);
    assert_int_equal(ev.changed, 2);
    assert_string_equal(ev.changes, "~/hello.txt ");
    dvb_store *s2 = dvb_receiver_store(r);

    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    put_cycle(&ts, &cc, &v3);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_receiver_progress(r, &p);
    assert_int_equal(ev.ready, 3);
    assert_int_equal(p.modules_assembled, 5);
    assert_int_equal(p.blocks_stored, b1m1 + b1m2 + b2m2 + b3m1 + b3m2);
    assert_string_equal(ev.changes, "-/a -/a/b.txt +/new.txt ");
    dvb_store *s3 = dvb_receiver_store(r);
    dvb_receiver_destroy(r);

    /* Every reader still sees exactly the version it holds. */
    expect_file(s1, "/hello.txt", "Hello");
    expect_file(s1, "/a/b.txt", "B");
    expect_file(s2, "/hello.txt", "Hello again");
    expect_file(s2, "/a/b.txt", "B");
    expect_file(s3, "/hello.txt", "Hello again");
    expect_file(s3, "/new.txt", "N");
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(s3, "/a/b.txt", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_lookup(s1, "/new.txt", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_version(s1), 0x80000002u);
    assert_int_equal(dvb_store_version(s3), 0x80020002u);
    dvb_store_release(s1);
    dvb_store_release(s2);
    dvb_store_release(s3);
    dvb_writer_free(&ts);
}

typedef struct {
    char buf[512];
} obj_log;

static int walk_objects_fn(void *ud, const char *path,
                           const dvb_object_info *info, const uint8_t *data)
{
    obj_log *w = ud;
    static const char kinds[] = "fdseP";
    size_t n = strlen(w->buf);
    snprintf(w->buf + n, sizeof w->buf - n, "%c%s ", kinds[info->kind], path);
    if (info->kind == DVB_OBJ_FILE)
        assert_non_null(data);
    else
        assert_null(data);
    return 0;
}

static void test_stream_objects(void **state)
{
    (void)state;
    dvb_writer ts;
    uint8_t cc = 0;
    cycle_opts o = V1_OPTS;
    o.hello = "Hi";
    o.layout = 2;
    events ev;
    dvb_receiver *r = rx_fed(&ev, &ts, &cc, &o, 1, 0);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    assert_true(dvb_store_is_complete(st));
    dvb_object_info info;
    assert_int_equal(dvb_store_stat(st, "/tv", &info), DVB_OK);
    assert_int_equal(info.kind, DVB_OBJ_STREAM);
    assert_string_equal(info.description, "video");
    assert_int_equal(info.duration_seconds, 90);
    assert_int_equal(info.duration_microseconds, 500);
    assert_int_equal(info.taps_count, 1);
    assert_int_equal(info.taps[0].use, 0x0018);
    assert_int_equal(info.taps[0].association_tag, 0x0021);
    assert_int_equal(dvb_store_stat(st, "/quiz", &info), DVB_OK);
    assert_int_equal(info.kind, DVB_OBJ_STREAM_EVENT);
    assert_int_equal(info.event_names_count, 2);
    assert_string_equal(info.event_names[0], "go");
    assert_string_equal(info.event_names[1], "stop");
    assert_int_equal(info.event_ids_count, 2);
    assert_int_equal(info.event_ids[1], 2);
    assert_int_equal(info.taps_count, 2);
    assert_int_equal(dvb_store_stat(st, "/hello.txt", &info), DVB_OK);
    assert_int_equal(info.kind, DVB_OBJ_FILE);
    assert_int_equal(info.size, 2);
    assert_int_equal(dvb_store_stat(st, "/a", &info), DVB_OK);
    assert_int_equal(info.kind, DVB_OBJ_DIR);
    assert_int_equal(dvb_store_stat(st, "/nope", &info), DVB_ENOENT);
    /* Streams have no bytes. */
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, "/tv", &d, &l), DVB_ENOENT);
    obj_log w = { "" };
    assert_int_equal(dvb_store_walk_objects(st, walk_objects_fn, &w), 0);
    assert_string_equal(w.buf, "d/ d/a f/a/b.txt f/hello.txt d/later "
                               "f/later/x.txt e/quiz s/tv ");
    /* The file walk stays files and directories only. */
    walk_log fw = { "" };
    assert_int_equal(dvb_store_walk(st, walk_fn, &fw), 0);
    assert_string_equal(fw.buf,
                        "// /a/ /a/b.txt /hello.txt /later/ /later/x.txt ");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* During acquisition the partial view tells "not yet" from "no such
 * thing". */
static void test_partial_view(void **state)
{
    (void)state;
    cycle_opts o = { .hello = "Hi", .mod2_version = 1,
                     .dii_tid = 0x80000002u, .layout = 2 };
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    uint8_t cc = 0;
    const uint8_t *d;
    size_t l;
    dvb_object_info info;
    assert_null(dvb_receiver_partial_store(r));  /* nothing yet */

    /* DSI and DII only: the root has not arrived, so nothing can be
     * ruled out. */
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    cycle_opts none = o;
    none.skip_mod1 = none.skip_mod2 = 1;
    put_cycle(&ts, &cc, &none);
    /* Null packets after them: sync needs three packets in a row. */
    for (int i = 0; i < 3; i++) {
        uint8_t np[188] = { 0x47, 0x1F, 0xFF, 0x10 };
        dvb_write_bytes(&ts, np, sizeof np);
    }
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_store *p = dvb_receiver_partial_store(r);
    assert_non_null(p);
    assert_false(dvb_store_is_complete(p));
    assert_int_equal(dvb_store_lookup(p, "/hello.txt", &d, &l), DVB_ENOTYET);
    assert_int_equal(dvb_store_lookup(p, "/x/y", &d, &l), DVB_ENOTYET);
    assert_int_equal(dvb_store_stat(p, "/", &info), DVB_ENOTYET);
    dvb_store_release(p);

    /* Module 1 (the root, /a, the streams): module 2 still missing. */
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    cycle_opts only1 = o;
    only1.skip_mod2 = 1;
    put_cycle(&ts, &cc, &only1);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_null(dvb_receiver_store(r));
    p = dvb_receiver_partial_store(r);
    assert_non_null(p);
    assert_false(dvb_store_is_complete(p));
    /* A file whose module has not arrived. */
    assert_int_equal(dvb_store_lookup(p, "/hello.txt", &d, &l), DVB_ENOTYET);
    assert_int_equal(dvb_store_lookup(p, "/a/b.txt", &d, &l), DVB_ENOTYET);
    /* Under a directory whose module has not arrived. */
    assert_int_equal(dvb_store_lookup(p, "/later/x.txt", &d, &l),
                     DVB_ENOTYET);
    assert_int_equal(dvb_store_lookup(p, "/later/zz", &d, &l), DVB_ENOTYET);
    assert_int_equal(dvb_store_stat(p, "/later", &info), DVB_ENOTYET);
    /* Names that directories which have arrived do not bind. */
    assert_int_equal(dvb_store_lookup(p, "/nothere", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_lookup(p, "/a/zz", &d, &l), DVB_ENOENT);
    assert_int_equal(dvb_store_lookup(p, "/a/zz/deeper", &d, &l),
                     DVB_ENOENT);
    /* What has arrived is there already. */
    assert_int_equal(dvb_store_stat(p, "/tv", &info), DVB_OK);
    assert_int_equal(info.kind, DVB_OBJ_STREAM);
    obj_log w = { "" };
    assert_int_equal(dvb_store_walk_objects(p, walk_objects_fn, &w), 0);
    assert_string_equal(w.buf, "d/ d/a P/a/b.txt P/hello.txt P/later "
                               "e/quiz s/tv ");
    /* Asking twice with nothing new gives the same view. */
    dvb_store *p2 = dvb_receiver_partial_store(r);
    assert_ptr_equal(p, p2);
    dvb_store_release(p2);

    /* Module 2: the store is complete; the partial view is it. */
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    put_cycle(&ts, &cc, &o);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_store *full = dvb_receiver_store(r);
    assert_non_null(full);
    p2 = dvb_receiver_partial_store(r);
    assert_ptr_equal(full, p2);
    assert_true(dvb_store_is_complete(p2));
    expect_file(p2, "/later/x.txt", "B");
    assert_int_equal(dvb_store_lookup(p2, "/later/zz", &d, &l), DVB_ENOENT);
    /* The old partial view stays valid for its holder. */
    assert_int_equal(dvb_store_lookup(p, "/hello.txt", &d, &l), DVB_ENOTYET);
    dvb_store_release(p);
    dvb_store_release(p2);
    dvb_store_release(full);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* A carousel whose modules do not fit max_store_bytes is refused whole
 * with DVB_EV_OVER_LIMIT; with two DIIs, the first fitting and the
 * second not, nothing is published either (not a tree with holes). */
static void two_dii_carousel_opt(dvb_writer *ts, uint8_t *cc, size_t big,
                                 int send_b)
{
    dvb_writer m1, m2, s;
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m2, 0);
    const uint32_t tid_a = 0x80000002u, tid_b = 0x80000004u;
    tb_binding root[] = { { "small.txt", "fil", 1, 2 },
                          { "big.bin", "fil", 2, 3 } };
    tb_biop_dir(&m1, "srg", 1, CAROUSEL, tid_a, root, 2);
    tb_biop_file(&m1, 2, "S", 1);
    /* The binding to big.bin names DII B in its tap: patch the selector
     * of the second binding's IOR from tid_a to tid_b. */
    for (size_t i = m1.len; i-- > 4;) {
        if (m1.p[i - 3] == 0x80 && m1.p[i - 2] == 0 && m1.p[i - 1] == 0 &&
            m1.p[i] == 0x02) {
            m1.p[i] = 0x04;
            break;
        }
    }
    uint8_t *bigdata = calloc(big, 1);
    assert_non_null(bigdata);
    tb_biop_file(&m2, 3, bigdata, big);
    free(bigdata);
    tb_module ma[1] = { { 1, 1, (uint32_t)m1.len, 0, 0 } };
    tb_module mb[1] = { { 2, 1, (uint32_t)m2.len, 0, 0 } };
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000000u, CAROUSEL, 1, 1, tid_a);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    tb_dii_section(&s, tid_a, CAROUSEL, BLOCK, ma, 1);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    put_module(ts, cc, 1, 1, m1.p, m1.len);
    if (send_b) {
        dvb_writer_init(&s, 0);
        tb_dii_section(&s, tid_b, CAROUSEL, BLOCK, mb, 1);
        put_sec(ts, cc, &s);
        dvb_writer_free(&s);
        put_module(ts, cc, 2, 1, m2.p, m2.len);
    }
    dvb_writer_free(&m1);
    dvb_writer_free(&m2);
}

static void two_dii_carousel(dvb_writer *ts, uint8_t *cc, size_t big)
{
    two_dii_carousel_opt(ts, cc, big, 1);
}

/* The same, with the DII and the gateway's module sent five times a
 * cycle and another module once: the wait is counted in cycles of the
 * least repeated module, not in repetitions of the DII. */
static void uneven_cycle(dvb_writer *ts, uint8_t *cc)
{
    dvb_writer m1, m3, s;
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m3, 0);
    const uint32_t tid_a = 0x80000002u, tid_b = 0x80000004u;
    tb_binding root[] = { { "small.txt", "fil", 3, 2 },
                          { "big.bin", "fil", 2, 3 } };
    tb_biop_dir(&m1, "srg", 1, CAROUSEL, tid_a, root, 2);
    /* big.bin's IOR names DII B (patched as in two_dii_carousel). */
    for (size_t i = m1.len; i-- > 4;) {
        if (m1.p[i - 3] == 0x80 && m1.p[i - 2] == 0 && m1.p[i - 1] == 0 &&
            m1.p[i] == 0x02) {
            m1.p[i] = 0x04;
            break;
        }
    }
    (void)tid_b;
    tb_biop_file(&m3, 2, "S", 1);
    tb_module ma[2] = { { 1, 1, (uint32_t)m1.len, 0, 0 },
                        { 3, 1, (uint32_t)m3.len, 0, 0 } };
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000000u, CAROUSEL, 1, 1, tid_a);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    for (int k = 0; k < 5; k++) {
        dvb_writer_init(&s, 0);
        tb_dii_section(&s, tid_a, CAROUSEL, BLOCK, ma, 2);
        put_sec(ts, cc, &s);
        dvb_writer_free(&s);
        put_module(ts, cc, 1, 1, m1.p, m1.len);
    }
    put_module(ts, cc, 3, 1, m3.p, m3.len);
    dvb_writer_free(&m1);
    dvb_writer_free(&m3);
}

static void test_missing_dii_uneven_repetition(void **state)
{
    (void)state;
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    uint8_t cc = 0;
    for (int cycle = 1; cycle <= 4; cycle++) {
        dvb_writer ts;
        dvb_writer_init(&ts, 0);
        uneven_cycle(&ts, &cc);
        assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
        dvb_writer_free(&ts);
        /* Waiting starts when module 3 completes (cycle 1); three more
         * of its repetitions are needed. */
        assert_int_equal(ev.ready, cycle < 4 ? 0 : 1);
    }
    dvb_store *st = dvb_receiver_store(r);
    expect_file(st, "/small.txt", "S");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
}

/* More DIIs than a receiver holds: refused like a carousel over a
 * ceiling, once. */
static void test_too_many_diis(void **state)
{
    (void)state;
    dvb_writer ts, s;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    for (int rep = 0; rep < 2; rep++) {
        for (uint16_t k = 0; k < 33; k++) {
            tb_module m[1] = { { (uint16_t)(10 + k), 1, 10, 0, 0 } };
            dvb_writer_init(&s, 0);
            tb_dii_section(&s, 0x80000002u + 2u * k, CAROUSEL, BLOCK, m, 1);
            put_sec(&ts, &cc, &s);
            dvb_writer_free(&s);
        }
    }
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.over_limit, 1);
    assert_non_null(strstr(ev.last_message, "too many DIIs"));
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_true(p.over_limit);
    assert_int_equal(p.modules_total, 32);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* References name a DII that never comes: the receiver waits a few
 * cycles (it may be late), then publishes what it has. */
static void test_missing_dii_given_up(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    two_dii_carousel_opt(&ts, &cc, 100, 0);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    dvb_store *p = dvb_receiver_partial_store(r);
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(p, "/big.bin", &d, &l), DVB_ENOTYET);
    expect_file(p, "/small.txt", "S");
    dvb_store_release(p);
    for (int k = 0; k < 4; k++) {
        dvb_writer_free(&ts);
        dvb_writer_init(&ts, 0);
        two_dii_carousel_opt(&ts, &cc, 100, 0);
        assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    }
    assert_int_equal(ev.ready, 1);
    dvb_store *st = dvb_receiver_store(r);
    expect_file(st, "/small.txt", "S");
    assert_int_equal(dvb_store_lookup(st, "/big.bin", &d, &l), DVB_ENOENT);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

static void test_over_limit_never_half_loaded(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    two_dii_carousel(&ts, &cc, 5000);
    two_dii_carousel(&ts, &cc, 5000);

    /* Without a ceiling: both DIIs, one store with both files.  Module 1
     * completes before DII B arrives, but its reference into DII B keeps
     * the store from being published early. */
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    assert_string_equal(ev.changes, "+/ +/big.bin +/small.txt ");
    dvb_receiver_destroy(r);

    /* With room for module 1 only. */
    memset(&ev, 0, sizeof ev);
    dvb_receiver_config cfg = {
        .pid = CPID, .service_id = -1, .carousel_id = -1,
        .max_store_bytes = 2000,
        .log = on_log, .on_event = on_event, .ud = &ev,
    };
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    assert_int_equal(ev.over_limit, 1);        /* once, not per cycle */
    assert_non_null(strstr(ev.last_message, "store ceiling"));
    assert_null(dvb_receiver_store(r));
    assert_null(dvb_receiver_partial_store(r));
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_true(p.over_limit);
    /* A new DSI does not let the refusal lapse: the DII that does not
     * fit is looked at again and refused again. */
    dvb_writer more, s;
    dvb_writer_init(&more, 0);
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000010u, CAROUSEL, 1, 1, 0x80000002u);
    put_sec(&more, &cc, &s);
    dvb_writer_free(&s);
    two_dii_carousel(&more, &cc, 5000);
    assert_int_equal(dvb_receiver_push(r, more.p, more.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    assert_int_equal(ev.over_limit, 2);
    dvb_receiver_progress(r, &p);
    assert_true(p.over_limit);
    dvb_writer_free(&more);
    dvb_receiver_destroy(r);

    /* One DII over the per-module ceiling. */
    memset(&ev, 0, sizeof ev);
    cfg.max_store_bytes = 0;
    cfg.max_module_bytes = 1000;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    assert_int_equal(ev.over_limit, 1);
    assert_non_null(strstr(ev.last_message, "per-module ceiling"));
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* A 3 MB module, compressed and not, with blocks sent in reverse order
 * and every other one twice. */
static void big_module(int compress)
{
    const size_t size = 3u << 20;
    const uint16_t block = 4066;
    uint8_t *content = malloc(size);
    assert_non_null(content);
    uint64_t seed = 99;
    for (size_t i = 0; i < size; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        /* Compressible but not trivially: runs of random bytes. */
        content[i] = (uint8_t)((i / 64) % 3 ? (seed >> 56) : (i & 0xFF));
    }
    dvb_writer m1, m2, s, ts;
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m2, 0);
    dvb_writer_init(&ts, 0);
    tb_binding root[] = { { "big.bin", "fil", 2, 3 } };
    tb_biop_dir(&m1, "srg", 1, CAROUSEL, 0x80000002u, root, 1);
    tb_biop_file(&m2, 3, content, size);
    uint8_t *m2p = m2.p;
    size_t m2len = m2.len;
    uint8_t *zbuf = NULL;
    if (compress) {
        uLongf zl = compressBound(m2.len);
        zbuf = malloc(zl);
        assert_non_null(zbuf);
        assert_int_equal(compress2(zbuf, &zl, m2.p, m2.len, 6), Z_OK);
        m2p = zbuf;
        m2len = zl;
    }
    tb_module mods[2] = { { 1, 1, (uint32_t)m1.len, 0, 0 },
                          { 2, 1, (uint32_t)m2len, compress,
                            (uint32_t)m2.len } };
    uint8_t cc = 0;
    /* One section per put_sec: a section may only start in a packet
     * with payload_unit_start_indicator set (13818-1 2.4.3.3). */
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000000u, CAROUSEL, 1, 1, 0x80000002u);
    put_sec(&ts, &cc, &s);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    tb_dii_section(&s, 0x80000002u, CAROUSEL, block, mods, 2);
    put_sec(&ts, &cc, &s);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    tb_ddb_section(&s, CAROUSEL, 1, 1, 0, m1.p, m1.len);
    put_sec(&ts, &cc, &s);
    dvb_writer_free(&s);
    size_t nb = (m2len + block - 1) / block;
    for (size_t k = nb; k-- > 0;) {
        size_t off = k * block;
        size_t n = m2len - off < block ? m2len - off : block;
        dvb_writer_init(&s, 0);
        tb_ddb_section(&s, CAROUSEL, 2, 1, (uint16_t)k, m2p + off, n);
        put_sec(&ts, &cc, &s);
        if (k % 2)
            put_sec(&ts, &cc, &s);             /* the same block again */
        dvb_writer_free(&s);
    }
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.blocks_stored, 1 + nb);  /* repeats not stored */
    dvb_store *st = dvb_receiver_store(r);
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, "/big.bin", &d, &l), DVB_OK);
    assert_int_equal(l, size);
    assert_memory_equal(d, content, size);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    free(zbuf);
    free(content);
    dvb_writer_free(&m1);
    dvb_writer_free(&m2);
    dvb_writer_free(&ts);
}

static void test_big_modules(void **state)
{
    (void)state;
    big_module(0);
    big_module(1);
}

/* ---- PAT / PMT ---- */

static void psi_section_v(dvb_writer *w, uint8_t table_id, uint16_t ext,
                          uint8_t version, const uint8_t *body, size_t len)
{
    size_t start = w->len;
    dvb_write_u8(w, table_id);
    dvb_write_u16(w, (uint16_t)(0xB000u | (5u + len + 4u)));
    dvb_write_u16(w, ext);
    dvb_write_u8(w, (uint8_t)(0xC1 | (version << 1)));
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    dvb_write_bytes(w, body, len);
    dvb_write_u32(w, dvb_crc32(w->p + start, w->len - start));
}

static void psi_section(dvb_writer *w, uint8_t table_id, uint16_t ext,
                        const uint8_t *body, size_t len)
{
    psi_section_v(w, table_id, ext, 0, body, len);
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

/* A new stream in *ts: PAT and PMT (signalling carousel_in_pmt), then a
 * cycle of the carousel whose /hello.txt says "Found". */
static void psi_stream(dvb_writer *ts, uint32_t carousel_in_pmt)
{
    dvb_writer_init(ts, 0);
    uint8_t cc = 0;
    put_psi(ts, carousel_in_pmt);
    cycle_opts o = V1_OPTS;
    o.hello = "Found";
    put_cycle(ts, &cc, &o);
}

static void test_pat_pmt_discovery(void **state)
{
    (void)state;
    dvb_writer ts;
    psi_stream(&ts, CAROUSEL);
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
    psi_stream(&ts, 1234);
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
    cycle_opts o = V1_OPTS;
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

/* ---- PSI: signalling variants, SDT, carousels over several PIDs,
 * PMT updates ---- */

typedef struct {
    uint8_t version;           /* PMT version_number */
    int carousel;              /* 0: the PMT signals no carousel */
    uint16_t pid;              /* the carousel's (DSI) stream */
    int dbid;                  /* data_broadcast_id 0x0106 */
    int cid;                   /* carousel_identifier CAROUSEL */
    int span;                  /* streams 0x201 (tag 2) and 0x202 (tag 3) */
    uint16_t program;          /* 0: 7 (PMT on 0x100); 8: PMT on 0x101 */
} pmt_opts;

static void put_pmt(dvb_writer *ts, uint8_t *cc, const pmt_opts *o)
{
    uint8_t pmt[128];
    size_t n = 0;
    pmt[n++] = 0xFF;                           /* PCR_PID 0x1FFF */
    pmt[n++] = 0xFF;
    pmt[n++] = 0xF0;
    pmt[n++] = 0x00;
    if (o->carousel) {
        pmt[n++] = 0x0B;
        pmt[n++] = (uint8_t)(0xE0 | (o->pid >> 8));
        pmt[n++] = (uint8_t)o->pid;
        size_t len_at = n;
        n += 2;
        pmt[n++] = 0x52;                       /* stream_identifier, tag 1 */
        pmt[n++] = 1;
        pmt[n++] = 0x01;
        if (o->dbid) {
            pmt[n++] = 0x66;
            pmt[n++] = 2;
            pmt[n++] = 0x01;
            pmt[n++] = 0x06;
        }
        if (o->cid) {
            pmt[n++] = 0x13;
            pmt[n++] = 4;
            pmt[n++] = 0;
            pmt[n++] = 0;
            pmt[n++] = 0;
            pmt[n++] = CAROUSEL;
        }
        size_t dl = n - len_at - 2;
        pmt[len_at] = (uint8_t)(0xF0 | (dl >> 8));
        pmt[len_at + 1] = (uint8_t)dl;
    }
    if (o->span == 1) {
        for (uint8_t t = 2; t <= 3; t++) {
            uint16_t pid = (uint16_t)(0x1FF + t);
            pmt[n++] = 0x0B;
            pmt[n++] = (uint8_t)(0xE0 | (pid >> 8));
            pmt[n++] = (uint8_t)pid;
            pmt[n++] = 0xF0;
            pmt[n++] = 3;
            pmt[n++] = 0x52;
            pmt[n++] = 1;
            pmt[n++] = t;
        }
    }
    if (o->span == 2) {
        /* association_tag_descriptors (13818-6 11.5.2): tags 0x0102 and
         * 0x0103, whose low bytes are not component tags anywhere. */
        for (uint8_t t = 2; t <= 3; t++) {
            uint16_t pid = (uint16_t)(0x1FF + t);
            pmt[n++] = 0x0B;
            pmt[n++] = (uint8_t)(0xE0 | (pid >> 8));
            pmt[n++] = (uint8_t)pid;
            pmt[n++] = 0xF0;
            pmt[n++] = 2 + 5;
            pmt[n++] = 0x14;
            pmt[n++] = 5;
            pmt[n++] = 0x01;                   /* association_tag */
            pmt[n++] = t;
            pmt[n++] = 0x01;                   /* use */
            pmt[n++] = 0x00;
            pmt[n++] = 0;                      /* selector_byte_length */
        }
    }
    uint16_t program = o->program ? o->program : 7;
    dvb_writer s;
    dvb_writer_init(&s, 0);
    psi_section_v(&s, 0x02, program, o->version, pmt, n);
    tb_packetise(ts, (uint16_t)(0x100 + program - 7), cc, s.p, s.len);
    dvb_writer_free(&s);
}

static void put_pat_sdt(dvb_writer *ts, uint8_t *cc0, uint8_t *cc11,
                        const char *name, size_t name_len)
{
    static const uint8_t pat[] = { 0x00, 0x07, 0xE1, 0x00 };  /* 7 -> 0x100 */
    dvb_writer s;
    dvb_writer_init(&s, 0);
    psi_section(&s, 0x00, 1, pat, sizeof pat);
    tb_packetise(ts, 0, cc0, s.p, s.len);
    dvb_writer_free(&s);
    if (!name)
        return;
    /* SDT actual (EN 300 468 5.2.3) with one service_descriptor (6.2.33). */
    uint8_t sdt[300];
    size_t n = 0;
    sdt[n++] = 0x23;                           /* original_network_id */
    sdt[n++] = 0x3A;
    sdt[n++] = 0xFF;
    sdt[n++] = 0x00;                           /* service_id 7 */
    sdt[n++] = 0x07;
    sdt[n++] = 0xFC;
    size_t dl = 2 + 1 + 1 + 3 + 1 + name_len;
    sdt[n++] = (uint8_t)(0x80 | (dl >> 8));    /* running, loop length */
    sdt[n++] = (uint8_t)dl;
    sdt[n++] = 0x48;
    sdt[n++] = (uint8_t)(dl - 2);
    sdt[n++] = 0x0C;                           /* service_type: data */
    sdt[n++] = 3;
    memcpy(sdt + n, "Gov", 3);
    n += 3;
    sdt[n++] = (uint8_t)name_len;
    memcpy(sdt + n, name, name_len);
    n += name_len;
    dvb_writer_init(&s, 0);
    psi_section(&s, 0x42, 1, sdt, n);
    tb_packetise(ts, 0x11, cc11, s.p, s.len);
    dvb_writer_free(&s);
}

static dvb_receiver *make_psi_rx(events *ev)
{
    return make_rx(ev, -1, 0);
}

static void push_all(dvb_receiver *r, dvb_writer *ts)
{
    assert_int_equal(dvb_receiver_push(r, ts->p, ts->len), DVB_OK);
    dvb_writer_free(ts);
    dvb_writer_init(ts, 0);
}

/* The carousel found by data_broadcast_id alone, by carousel_identifier
 * alone, and not at all without either; the SDT names the service. */
static void test_psi_signalling_and_sdt(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        dvb_writer ts;
        dvb_writer_init(&ts, 0);
        uint8_t cc0 = 0, cc11 = 0, ccp = 0, cc = 0;
        static const char name[] = "\x15" "Cyngor Sir G\xc3\xa2r";
        put_pat_sdt(&ts, &cc0, &cc11, name, sizeof name - 1);
        pmt_opts po = { 0, 1, CPID, variant == 0, variant == 1, 0, 0 };
        put_pmt(&ts, &ccp, &po);
        g_pid = CPID;
        cycle_opts o = { .hello = "Hi", .mod2_version = 1,
                         .dii_tid = 0x80000002u };
        put_cycle(&ts, &cc, &o);
        events ev;
        dvb_receiver *r = make_psi_rx(&ev);
        push_all(r, &ts);
        if (variant == 2) {
            /* A stream of type 0x0B without either descriptor is some
             * other DSM-CC use, not an object carousel for us. */
            assert_int_equal(ev.found, 0);
            assert_int_equal(ev.ready, 0);
        } else {
            assert_int_equal(ev.found, 1);
            assert_int_equal(ev.ready, 1);
            assert_int_equal(ev.named, 1);
            assert_string_equal(dvb_receiver_service_name(r),
                                "Cyngor Sir G\xc3\xa2r");
            dvb_progress p;
            dvb_receiver_progress(r, &p);
            assert_int_equal(p.service_id, 7);
        }
        dvb_receiver_destroy(r);
        dvb_writer_free(&ts);
    }
}

static void test_dvb_text(void **state)
{
    (void)state;
    char out[64];
    /* Default table (ISO/IEC 6937): 0xC2 is the acute accent before its
     * letter; 0x8A is a line break, 0x86/0x87 emphasis on/off. */
    static const uint8_t t6937[] = { 'C', 'a', 'f', 0xC2, 'e', 0x8A, 0x86,
                                     'x', 0x87 };
    assert_int_equal(dvb_text_to_utf8(t6937, sizeof t6937, out,
                                                sizeof out), DVB_OK);
    assert_string_equal(out, "Caf\xc3\xa9 x");
    /* 0x10 0x00 0x0F: ISO/IEC 8859-15, where 0xA4 is the euro sign. */
    static const uint8_t t15[] = { 0x10, 0x00, 0x0F, 0xA4, '5' };
    assert_int_equal(dvb_text_to_utf8(t15, sizeof t15, out,
                                                sizeof out), DVB_OK);
    assert_string_equal(out, "\xe2\x82\xac" "5");
    /* 0x01: ISO/IEC 8859-5 (Cyrillic). */
    static const uint8_t t5[] = { 0x01, 0xB0 };
    assert_int_equal(dvb_text_to_utf8(t5, sizeof t5, out,
                                                sizeof out), DVB_OK);
    assert_string_equal(out, "\xd0\x90");
    /* Unknown tables, truncated selectors, bad UTF-8, too long. */
    static const uint8_t bad1[] = { 0x1F, 'a' };
    assert_int_equal(dvb_text_to_utf8(bad1, 2, out, sizeof out),
                     DVB_EUNSUPPORTED);
    static const uint8_t bad2[] = { 0x10, 0x00 };
    assert_int_not_equal(dvb_text_to_utf8(bad2, 2, out, sizeof out),
                         DVB_OK);
    static const uint8_t bad3[] = { 0x15, 0xC3 };
    assert_int_equal(dvb_text_to_utf8(bad3, 2, out, sizeof out),
                     DVB_ESYNTAX);
    static const uint8_t longs[] = { 0x15, 'a', 'b', 'c', 'd' };
    assert_int_equal(dvb_text_to_utf8(longs, 5, out, 3), DVB_ELIMIT);
    assert_true(strlen(out) < 3);
    /* Every prefix of each is handled. */
    const uint8_t *all[] = { t6937, t15, t5 };
    size_t lens[] = { sizeof t6937, sizeof t15, sizeof t5 };
    for (size_t k = 0; k < 3; k++)
        for (size_t n = 0; n <= lens[k]; n++) {
            uint8_t *c = malloc(n ? n : 1);
            assert_non_null(c);
            memcpy(c, all[k], n);
            dvb_text_to_utf8(c, n, out, sizeof out);
            free(c);
        }
}

/* The PMT descriptors of the carousel signalling, cut at every length:
 * a short descriptor is ignored, never read past. */
static void test_pmt_descriptor_truncations(void **state)
{
    (void)state;
    static const uint8_t dbid[] = { 0x01, 0x06 };
    static const uint8_t cid[] = { 0x00, 0x00, 0x00, 0x4D, 0xAA };
    static const uint8_t ct[] = { 0x07 };
    static const uint8_t at[] = { 0x01, 0x02, 0x00, 0x01, 0x00 };
    const struct { uint8_t tag; const uint8_t *p; size_t n; } d[] = {
        { 0x66, dbid, sizeof dbid }, { 0x13, cid, sizeof cid },
        { 0x52, ct, sizeof ct }, { 0x14, at, sizeof at },
    };
    for (size_t k = 0; k < 4; k++) {
        for (size_t n = 0; n <= d[k].n; n++) {
            uint8_t *c = malloc(n ? n : 1);
            assert_non_null(c);
            memcpy(c, d[k].p, n);
            dvb_psi_es_info info;
            memset(&info, 0, sizeof info);
            dvb_psi_es_descriptor(&info, d[k].tag, c, n);
            static const size_t need[4] = { 2, 4, 1, 4 };
            bool whole = n >= need[k];
            assert_int_equal(info.has_data_broadcast_id, k == 0 && whole);
            assert_int_equal(info.has_carousel_id, k == 1 && whole);
            assert_int_equal(info.has_component_tag, k == 2 && whole);
            assert_int_equal(info.has_association_tag, k == 3 && whole);
            if (k == 3 && whole)
                assert_int_equal(info.association_tag, 0x0102);
            if (k == 1 && whole)
                assert_int_equal(info.carousel_id, 0x4D);
            free(c);
        }
    }
    dvb_psi_es_info info;
    memset(&info, 0, sizeof info);
    info.has_data_broadcast_id = true;
    info.data_broadcast_id = 0x0106;
    assert_true(dvb_psi_es_is_carousel(0x0B, &info, -1));
    assert_false(dvb_psi_es_is_carousel(0x06, &info, -1));
    info.data_broadcast_id = 0x0005;            /* multiprotocol encapsulation */
    assert_false(dvb_psi_es_is_carousel(0x0B, &info, -1));
    info.has_carousel_id = true;
    info.carousel_id = 9;
    assert_true(dvb_psi_es_is_carousel(0x0B, &info, 9));
    assert_false(dvb_psi_es_is_carousel(0x0B, &info, 10));
}

/* PSI sections with a right CRC but lengths that run past the section
 * never reach libdvbpsi (which would read out of bounds on them). */
static void test_psi_section_lengths(void **state)
{
    (void)state;
    dvb_writer ts, s;
    dvb_writer_init(&ts, 0);
    uint8_t cc0 = 0, cc11 = 0, ccp = 0;
    put_pat_sdt(&ts, &cc0, &cc11, "\x15Name", 5);
    pmt_opts po = { 0, 1, CPID, 1, 1, 0, 0 };
    dvb_writer pm;
    dvb_writer_init(&pm, 0);
    put_pmt(&pm, &ccp, &po);
    /* The PMT section as sent: after the TS header and pointer_field. */
    size_t slen = 3 + (((size_t)(pm.p[6] & 0x0F) << 8) | pm.p[7]);
    uint8_t good[1024];
    memcpy(good, pm.p + 5, slen);
    dvb_writer_free(&pm);
    assert_true(dvb_psi_section_ok(good, slen));
    /* Every prefix (the CRC cannot match) and every one-byte length lie,
     * with the CRC made right again, is refused. */
    for (size_t n = 0; n < slen; n++) {
        uint8_t *c = malloc(n ? n : 1);
        assert_non_null(c);
        memcpy(c, good, n);
        assert_false(dvb_psi_section_ok(c, n));
        free(c);
    }
    /* program_info_length (10-11), ES_info_length (15-16), the first
     * descriptor's length (18): each made longer than what follows. */
    static const size_t len_at[] = { 10, 11, 15, 16, 18 };
    static const uint8_t add[] = { 0x01, 0x40, 0x01, 0x40, 0x40 };
    for (size_t k = 0; k < sizeof len_at / sizeof len_at[0]; k++) {
        uint8_t bad[1024];
        memcpy(bad, good, slen);
        bad[len_at[k]] = (uint8_t)(bad[len_at[k]] + add[k]);
        uint32_t crc = dvb_crc32(bad, slen - 4);
        bad[slen - 4] = (uint8_t)(crc >> 24);
        bad[slen - 3] = (uint8_t)(crc >> 16);
        bad[slen - 2] = (uint8_t)(crc >> 8);
        bad[slen - 1] = (uint8_t)crc;
        if (dvb_psi_section_ok(bad, slen))
            fail_msg("length byte %zu lie accepted", len_at[k]);
        /* And through the receiver: no crash, no carousel. */
        dvb_writer_init(&s, 0);
        dvb_write_bytes(&s, bad, slen);
        tb_packetise(&ts, 0x100, &ccp, s.p, s.len);
        dvb_writer_free(&s);
    }
    events ev;
    dvb_receiver *r = make_psi_rx(&ev);
    push_all(r, &ts);
    assert_int_equal(ev.found, 0);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* DSI on the carousel's stream, DII and DDBs on two others found
 * through the taps' association tags and the PMT's component tags (or,
 * second round, association_tag_descriptors). */
static void spans_pids(int mode);

static void test_carousel_spans_pids(void **state)
{
    (void)state;
    spans_pids(1);
    spans_pids(2);
}

static void spans_pids(int mode)
{
    dvb_writer ts, m1, m2, s;
    dvb_writer_init(&ts, 0);
    dvb_writer_init(&m1, 0);
    dvb_writer_init(&m2, 0);
    uint8_t cc0 = 0, cc11 = 0, ccp = 0, cca = 0, ccb = 0, ccc = 0;
    put_pat_sdt(&ts, &cc0, &cc11, NULL, 0);
    pmt_opts po = { 0, 1, CPID, 1, 1, mode, 0 };
    put_pmt(&ts, &ccp, &po);
    uint16_t tag2 = mode == 2 ? 0x0102 : 2, tag3 = mode == 2 ? 0x0103 : 3;
    tb_binding root[] = { { "hello.txt", "fil", 2, 3 } };
    tb_biop_dir(&m1, "srg", 1, CAROUSEL, 0x80000002u, root, 1);
    tb_biop_file(&m2, 3, "Far away", 8);
    tb_module mods[2] = { { 1, 1, (uint32_t)m1.len, 0, 0 },
                          { 2, 1, (uint32_t)m2.len, 0, 0 } };
    for (int cycle = 0; cycle < 2; cycle++) {
        dvb_writer_init(&s, 0);
        tb_dsi_section_tag(&s, 0x80000000u, CAROUSEL, 1, 1, 0x80000002u,
                           tag2);
        g_pid = CPID;
        put_sec(&ts, &cca, &s);
        dvb_writer_free(&s);
        dvb_writer_init(&s, 0);
        tb_dii_section_tag(&s, 0x80000002u, CAROUSEL, BLOCK, mods, 2, tag3);
        g_pid = 0x201;
        put_sec(&ts, &ccb, &s);
        dvb_writer_free(&s);
        g_pid = 0x202;
        put_module(&ts, &ccc, 1, 1, m1.p, m1.len);
        put_module(&ts, &ccc, 2, 1, m2.p, m2.len);
    }
    g_pid = CPID;
    events ev;
    dvb_receiver *r = make_psi_rx(&ev);
    push_all(r, &ts);
    assert_int_equal(ev.ready, 1);
    dvb_store *st = dvb_receiver_store(r);
    expect_file(st, "/hello.txt", "Far away");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
    dvb_writer_free(&m1);
    dvb_writer_free(&m2);
}

/* Two services with a carousel each: the first found is used; when its
 * PMT drops the carousel, the other service's is taken. */
static void test_other_service_after_loss(void **state)
{
    (void)state;
    dvb_writer ts, s;
    dvb_writer_init(&ts, 0);
    uint8_t cc0 = 0, cc7 = 0, cc8 = 0, cca = 0, ccb = 0;
    static const uint8_t pat[] = { 0x00, 0x07, 0xE1, 0x00,
                                   0x00, 0x08, 0xE1, 0x01 };
    dvb_writer_init(&s, 0);
    psi_section(&s, 0x00, 1, pat, sizeof pat);
    tb_packetise(&ts, 0, &cc0, s.p, s.len);
    dvb_writer_free(&s);
    put_pmt(&ts, &cc7, &(pmt_opts){ 0, 1, CPID, 1, 1, 0, 7 });
    put_pmt(&ts, &cc8, &(pmt_opts){ 0, 1, 0x300, 1, 1, 0, 8 });
    cycle_opts o7 = { .hello = "Seven", .mod2_version = 1,
                      .dii_tid = 0x80000002u };
    cycle_opts o8 = { .hello = "Eight", .mod2_version = 1,
                      .dii_tid = 0x80000002u };
    g_pid = CPID;
    put_cycle(&ts, &cca, &o7);
    g_pid = 0x300;
    put_cycle(&ts, &ccb, &o8);
    events ev;
    dvb_receiver *r = make_psi_rx(&ev);
    push_all(r, &ts);
    assert_int_equal(ev.ready, 1);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.service_id, 7);
    put_pmt(&ts, &cc7, &(pmt_opts){ 1, 0, 0, 0, 0, 0, 7 });
    g_pid = 0x300;
    put_cycle(&ts, &ccb, &o8);
    g_pid = CPID;
    push_all(r, &ts);
    assert_int_equal(ev.lost, 1);
    assert_int_equal(ev.found, 2);
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.service_id, 8);
    assert_int_equal(p.pid, 0x300);
    assert_int_equal(ev.ready, 2);
    dvb_store *st = dvb_receiver_store(r);
    expect_file(st, "/hello.txt", "Eight");
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* A new PMT version moves the carousel to another PID, then drops it. */
static void test_pmt_update_retargets(void **state)
{
    (void)state;
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc0 = 0, cc11 = 0, ccp = 0, cca = 0, ccb = 0;
    put_pat_sdt(&ts, &cc0, &cc11, NULL, 0);
    pmt_opts po = { 0, 1, CPID, 1, 1, 0, 0 };
    put_pmt(&ts, &ccp, &po);
    cycle_opts o = { .hello = "Here", .mod2_version = 1,
                     .dii_tid = 0x80000002u };
    g_pid = CPID;
    put_cycle(&ts, &cca, &o);
    events ev;
    dvb_receiver *r = make_psi_rx(&ev);
    push_all(r, &ts);
    assert_int_equal(ev.ready, 1);
    dvb_store *s1 = dvb_receiver_store(r);

    /* Version 1 of the PMT: the carousel is now on 0x0210 (new content
     * there; the old PID keeps sending the old one, which is ignored). */
    pmt_opts po2 = { 1, 1, 0x210, 1, 1, 0, 0 };
    put_pmt(&ts, &ccp, &po2);
    cycle_opts o2 = o;
    o2.hello = "Moved";
    o2.mod2_version = 2;
    o2.dii_tid = 0x80010002u;
    g_pid = 0x210;
    put_cycle(&ts, &ccb, &o2);
    g_pid = CPID;
    put_cycle(&ts, &cca, &o);
    push_all(r, &ts);
    assert_int_equal(ev.moved, 1);
    assert_int_equal(ev.ready, 2);
    assert_string_equal(ev.changes, "~/hello.txt ");
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.pid, 0x210);
    dvb_store *s2 = dvb_receiver_store(r);
    expect_file(s2, "/hello.txt", "Moved");

    /* Version 2: no carousel any more.  The last store stays. */
    pmt_opts po3 = { 2, 0, 0, 0, 0, 0, 0 };
    put_pmt(&ts, &ccp, &po3);
    g_pid = 0x210;
    put_cycle(&ts, &ccb, &o2);
    push_all(r, &ts);
    assert_int_equal(ev.lost, 1);
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.pid, -1);
    dvb_store *s3 = dvb_receiver_store(r);
    assert_ptr_equal(s3, s2);

    /* Version 3: back on 0x0210. */
    put_pmt(&ts, &ccp, &(pmt_opts){ 3, 1, 0x210, 1, 1, 0, 0 });
    o2.hello = "Back";
    o2.mod2_version = 3;
    o2.dii_tid = 0x80020002u;
    put_cycle(&ts, &ccb, &o2);
    push_all(r, &ts);
    g_pid = CPID;
    assert_int_equal(ev.ready, 3);
    dvb_store *s4 = dvb_receiver_store(r);
    expect_file(s4, "/hello.txt", "Back");
    expect_file(s1, "/hello.txt", "Here");
    dvb_store_release(s1);
    dvb_store_release(s2);
    dvb_store_release(s3);
    dvb_store_release(s4);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
}

/* ---- repetitions passed over on their first packet ---- */

#define BIG_BLOCK 1000         /* a DDB section spans six packets */

typedef struct {
    dvb_writer m1, m2;         /* gateway directory; the file's module */
} bb_carousel;

/* Version ver of a carousel whose /f.txt (about 2.5 kB, saying ver)
 * is in module 2, sent in blocks of BIG_BLOCK bytes. */
static void bb_make(bb_carousel *c, uint32_t tid, uint8_t ver)
{
    dvb_writer_init(&c->m1, 0);
    dvb_writer_init(&c->m2, 0);
    tb_binding root[] = { { "f.txt", "fil", 2, 3 } };
    tb_biop_dir(&c->m1, "srg", 1, CAROUSEL, tid, root, 1);
    char text[2500];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + (i * 7 + ver) % 26);
    tb_biop_file(&c->m2, 3, text, sizeof text);
}

static void bb_free(bb_carousel *c)
{
    dvb_writer_free(&c->m1);
    dvb_writer_free(&c->m2);
}

/* The receiver's store holds version ver's /f.txt. */
static void bb_expect(dvb_receiver *r, uint8_t ver)
{
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, "/f.txt", &d, &l), DVB_OK);
    assert_int_equal(l, 2500);
    for (size_t i = 0; i < l; i++)
        assert_int_equal(d[i], 'a' + (i * 7 + ver) % 26);
    dvb_store_release(st);
}

static void bb_signalling(dvb_writer *ts, uint8_t *cc, const bb_carousel *c,
                          uint32_t tid, uint8_t ver)
{
    tb_module mods[2] = { { 1, 1, (uint32_t)c->m1.len, 0, 0 },
                          { 2, ver, (uint32_t)c->m2.len, 0, 0 } };
    dvb_writer s;
    dvb_writer_init(&s, 0);
    tb_dsi_section(&s, 0x80000000u, CAROUSEL, 1, 1, tid);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    dvb_writer_init(&s, 0);
    tb_dii_section(&s, tid, CAROUSEL, BIG_BLOCK, mods, 2);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
}

/* The DDBs of both modules; with cut, the second packet of each of
 * module 2's DDBs is left out (the section is cut mid-way). */
static size_t bb_ddbs(dvb_writer *ts, uint8_t *cc, const bb_carousel *c,
                      uint8_t ver, int cut)
{
    dvb_writer s;
    dvb_writer_init(&s, 0);
    tb_ddb_section(&s, CAROUSEL, 1, 1, 0, c->m1.p, c->m1.len);
    put_sec(ts, cc, &s);
    dvb_writer_free(&s);
    size_t n = 0;
    for (size_t off = 0; off < c->m2.len; off += BIG_BLOCK, n++) {
        size_t len = c->m2.len - off < BIG_BLOCK ? c->m2.len - off
                                                 : BIG_BLOCK;
        dvb_writer_init(&s, 0);
        tb_ddb_section(&s, CAROUSEL, 2, ver, (uint16_t)n, c->m2.p + off, len);
        size_t at = ts->len;
        put_sec(ts, cc, &s);
        if (cut) {
            /* Drop the section's second packet: a continuity gap. */
            memmove(ts->p + at + 188, ts->p + at + 376, ts->len - at - 376);
            ts->len -= 188;
        }
        dvb_writer_free(&s);
    }
    return n;
}

/* A new stream in *ts: one cycle of version ver of c, signalling then
 * DDBs (cut as for bb_ddbs).  Returns module 2's block count. */
static size_t bb_stream(dvb_writer *ts, uint8_t *cc, const bb_carousel *c,
                        uint32_t tid, uint8_t ver, int cut)
{
    dvb_writer_init(ts, 0);
    bb_signalling(ts, cc, c, tid, ver);
    return bb_ddbs(ts, cc, c, ver, cut);
}

/* A second cycle of DDBs costs no copy and no CRC, and stores nothing;
 * repetitions cut mid-way (a continuity gap inside a section passed
 * over) leave the sections after them intact. */
static void test_repeats_passed_over(void **state)
{
    (void)state;
    bb_carousel c;
    bb_make(&c, 0x80000002u, 1);
    dvb_writer ts;
    uint8_t cc = 0;
    size_t nb = bb_stream(&ts, &cc, &c, 0x80000002u, 1, 0);
    assert_true(nb >= 3);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.blocks_stored, 1 + nb);
    assert_int_equal(p.blocks_repeated, 0);
    /* The next cycle, whole then with every big DDB cut. */
    for (int cut = 0; cut < 2; cut++) {
        dvb_writer_free(&ts);
        bb_stream(&ts, &cc, &c, 0x80000002u, 1, cut);
        assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    }
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.blocks_stored, 1 + nb);
    assert_int_equal(p.blocks_repeated, 2 * (1 + nb));
    assert_int_equal(p.sections_bad, 0);
    assert_int_equal(ev.ready, 1);
    assert_int_equal(ev.errors, 0);
    /* Version 2 right after cut repetitions: its sections are whole. */
    bb_carousel c2;
    bb_make(&c2, 0x80010002u, 2);
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    bb_ddbs(&ts, &cc, &c, 1, 1);
    bb_signalling(&ts, &cc, &c2, 0x80010002u, 2);
    bb_ddbs(&ts, &cc, &c2, 2, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 2);
    bb_expect(r, 2);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
    bb_free(&c);
    bb_free(&c2);
}

/* A DDB whose block number is held, but for an older module version, is
 * the next version ahead of its DII: it is kept (never passed over as a
 * repetition), and when the DII comes the module completes from it. */
static void test_new_version_ahead_not_skipped(void **state)
{
    (void)state;
    bb_carousel c1, c2;
    bb_make(&c1, 0x80000002u, 1);
    bb_make(&c2, 0x80010002u, 2);
    assert_int_equal(c1.m2.len, c2.m2.len);
    dvb_writer ts;
    uint8_t cc = 0;
    size_t nb = bb_stream(&ts, &cc, &c1, 0x80000002u, 1, 0);
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    /* Version 2's blocks (same numbers), then its DII with no DDB after. */
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    bb_ddbs(&ts, &cc, &c2, 2, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.blocks_repeated, 1);    /* module 1's, unchanged */
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    bb_signalling(&ts, &cc, &c2, 0x80010002u, 2);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 2);
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.blocks_stored, 1 + 2 * nb);
    bb_expect(r, 2);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
    bb_free(&c1);
    bb_free(&c2);
}

/* A repetition whose bytes were damaged after its header is passed over
 * like any other (never accepted); a damaged new block is refused by its
 * CRC and taken from the next cycle. */
static void test_damaged_blocks(void **state)
{
    (void)state;
    bb_carousel c;
    bb_make(&c, 0x80000002u, 1);
    dvb_writer ts;
    dvb_writer_init(&ts, 0);
    uint8_t cc = 0;
    bb_signalling(&ts, &cc, &c, 0x80000002u, 1);
    size_t at = ts.len;
    size_t nb = bb_ddbs(&ts, &cc, &c, 1, 0);
    /* A bit flipped in the payload of module 2's first DDB, 3rd packet. */
    size_t first_ddb2 = at + 188;          /* module 1's DDB is one packet */
    ts.p[first_ddb2 + 2 * 188 + 50] ^= 0x10;
    events ev;
    dvb_receiver *r = make_rx(&ev, CPID, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 0);
    dvb_progress p;
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.sections_bad, 1);
    assert_int_equal(p.blocks_stored, nb);
    /* The same damaged stream again: the damaged block now is the one
     * missing, so it is collected and refused again; the others are
     * repetitions. */
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    dvb_receiver_progress(r, &p);
    assert_int_equal(p.sections_bad, 2);
    assert_int_equal(ev.ready, 0);
    /* An intact cycle completes it. */
    dvb_writer_free(&ts);
    dvb_writer_init(&ts, 0);
    bb_ddbs(&ts, &cc, &c, 1, 0);
    assert_int_equal(dvb_receiver_push(r, ts.p, ts.len), DVB_OK);
    assert_int_equal(ev.ready, 1);
    bb_expect(r, 1);
    dvb_receiver_destroy(r);
    dvb_writer_free(&ts);
    bb_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_and_walk),
        cmocka_unit_test(test_update_swaps_atomically),
        cmocka_unit_test(test_compressed_module),
        cmocka_unit_test(test_wrong_original_size),
        cmocka_unit_test(test_module_ceiling),
        cmocka_unit_test(test_update_refetches_only_changes),
        cmocka_unit_test(test_stream_objects),
        cmocka_unit_test(test_partial_view),
        cmocka_unit_test(test_over_limit_never_half_loaded),
        cmocka_unit_test(test_missing_dii_given_up),
        cmocka_unit_test(test_too_many_diis),
        cmocka_unit_test(test_missing_dii_uneven_repetition),
        cmocka_unit_test(test_big_modules),
        cmocka_unit_test(test_repeats_passed_over),
        cmocka_unit_test(test_new_version_ahead_not_skipped),
        cmocka_unit_test(test_damaged_blocks),
        cmocka_unit_test(test_pat_pmt_discovery),
        cmocka_unit_test(test_pmt_other_carousel_ignored),
        cmocka_unit_test(test_psi_signalling_and_sdt),
        cmocka_unit_test(test_dvb_text),
        cmocka_unit_test(test_pmt_descriptor_truncations),
        cmocka_unit_test(test_psi_section_lengths),
        cmocka_unit_test(test_carousel_spans_pids),
        cmocka_unit_test(test_pmt_update_retargets),
        cmocka_unit_test(test_other_service_after_loss),
        cmocka_unit_test(test_garbage_and_corruption),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
