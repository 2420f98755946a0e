/*
 * Round trip: random trees -> carousel builder (liboc, in-process) ->
 * transport stream -> receiver (dvb/) -> the same files, byte for byte,
 * at the same set of paths.
 *
 * Trees are generated from fixed seeds (reproducible): nested folders,
 * empty files, empty folders, a 1 MB file; each is built with several
 * block sizes, module sizes and compression modes, and received both with
 * the carousel PID given and with it found through PAT/PMT (pid -1).
 * The stream is pushed in chunks of varying size, as a socket would
 * deliver it.  Further: many seeds with random options (block and module
 * sizes, compression, first-screen files, bitrates with null packets),
 * and updates (files changed, removed and added, built from the previous
 * layout) received byte-identical after the receiver saw the old version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carousel/oc_build.h"
#include "carousel/oc_carousel.h"
#include "carousel/oc_dsmcc.h"
#include "carousel/oc_tree.h"
#include "dvb/dvb.h"

/* xorshift64*: small, seedable, the same on every platform. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

static void rnd_name(uint64_t *s, char *out, size_t max)
{
    static const char set[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    size_t n = 1 + rnd_below(s, (unsigned)(max < 20 ? max : 20));
    for (size_t i = 0; i < n; i++)
        out[i] = set[rnd_below(s, sizeof set - 1)];
    out[n] = '\0';
    if (!strcmp(out, ".") || !strcmp(out, ".."))
        out[0] = 'x';
}

static void add_random(oc_tree *t, uint64_t *s, const char *dir, int depth,
                       size_t *files)
{
    unsigned n = rnd_below(s, depth == 0 ? 8 : 5);
    for (unsigned i = 0; i < n; i++) {
        char name[32], path[512];
        rnd_name(s, name, sizeof name - 1);
        snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", name);
        unsigned what = rnd_below(s, 10);
        if (what < 3 && depth < 4) {
            if (oc_tree_add_dir(t, path) == OC_OK)
                add_random(t, s, path, depth + 1, files);
        } else {
            size_t len = what == 3 ? 0 : rnd_below(s, 6000);
            uint8_t *d = malloc(len ? len : 1);
            assert_non_null(d);
            /* Half the files compress well, half do not. */
            int text = rnd_below(s, 2);
            for (size_t k = 0; k < len; k++)
                d[k] = text ? (uint8_t)"civictv carousel "[k % 17]
                            : (uint8_t)rnd(s);
            oc_err e = oc_tree_add_file(t, path, d, len);
            free(d);
            if (e == OC_OK)
                (*files)++;
            else
                assert_int_equal(e, OC_EEXIST);   /* a repeated name */
        }
    }
}

static oc_tree *random_tree(uint64_t seed, int with_big, size_t *files)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    *files = 0;
    add_random(t, &s, "", 0, files);
    assert_int_equal(oc_tree_add_dir(t, "empty-folder"), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "empty-folder-2/zero", NULL, 0),
                     OC_OK);
    (*files)++;
    if (with_big) {
        size_t len = 1024 * 1024;
        uint8_t *d = malloc(len);
        assert_non_null(d);
        for (size_t k = 0; k < len; k++)
            d[k] = (uint8_t)(k % 4096 < 2048 ? k * 31 : rnd(&s));
        assert_int_equal(oc_tree_add_file(t, "media/big.bin", d, len),
                         OC_OK);
        free(d);
        (*files)++;
    }
    return t;
}

/* --- comparing -------------------------------------------------------- */

typedef struct {
    char **paths;
    size_t n, cap;
} pathset;

static void ps_add(pathset *p, const char *path)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->paths = realloc(p->paths, p->cap * sizeof *p->paths);
        assert_non_null(p->paths);
    }
    p->paths[p->n] = strdup(path);
    assert_non_null(p->paths[p->n]);
    p->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ps_free(pathset *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->paths[i]);
    free(p->paths);
}

static int tree_visit(void *ud, const char *path, const oc_node *n)
{
    char abs[600];
    snprintf(abs, sizeof abs, "/%s%s", path, oc_node_is_dir(n) ? "/" : "");
    ps_add(ud, abs);
    return 0;
}

typedef struct {
    pathset ps;
    const oc_tree *tree;
    size_t files;
} store_ctx;

static int store_visit(void *ud, const char *path, int is_dir,
                       const uint8_t *data, size_t len)
{
    store_ctx *c = ud;
    if (!strcmp(path, "/") || !*path)
        return 0;                       /* the gateway itself */
    char key[600];
    snprintf(key, sizeof key, "%s%s", path, is_dir ? "/" : "");
    ps_add(&c->ps, key);
    if (!is_dir) {
        const uint8_t *want;
        size_t wl;
        assert_int_equal(oc_tree_lookup(c->tree, path + 1, &want, &wl), 0);
        assert_int_equal(len, wl);
        if (wl)
            assert_memory_equal(data, want, wl);
        c->files++;
    }
    return 0;
}

typedef struct {
    int stream_errors;
    int ready;
} events;

static void on_event(void *ud, const dvb_event *ev)
{
    events *e = ud;
    if (ev->type == DVB_EV_STORE_READY)
        e->ready++;
    else if (ev->type == DVB_EV_STREAM_ERROR)
        e->stream_errors++;
}

static void receive_and_compare_v(const oc_tree *t, size_t files,
                                  const oc_build_config *cfg,
                                  const uint8_t *ts, size_t len, int pid,
                                  uint64_t seed, uint32_t version)
{
    events ev = { 0, 0 };
    dvb_receiver_config rc = {
        .pid = pid, .service_id = -1, .carousel_id = -1,
        .on_event = on_event, .ud = &ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&rc, &r), DVB_OK);
    uint64_t s = seed + 77;
    size_t off = 0;
    while (off < len) {
        size_t n = 1 + rnd_below(&s, 5000);
        if (n > len - off)
            n = len - off;
        assert_int_equal(dvb_receiver_push(r, ts + off, n), DVB_OK);
        off += n;
    }
    assert_int_equal(ev.stream_errors, 0);
    assert_true(ev.ready >= 1);
    dvb_progress pr;
    dvb_receiver_progress(r, &pr);
    assert_int_equal(pr.pid, cfg->pid);
    assert_int_equal(pr.carousel_id, cfg->carousel_id);
    assert_int_equal(pr.sections_bad, 0);
    assert_int_equal(pr.packets, len / 188);

    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    assert_int_equal(dvb_store_version(st), version);
    store_ctx c = { { NULL, 0, 0 }, t, 0 };
    assert_int_equal(dvb_store_walk(st, store_visit, &c), 0);
    assert_int_equal(c.files, files);

    pathset want = { NULL, 0, 0 };
    assert_int_equal(oc_tree_walk(t, tree_visit, &want), 0);
    assert_int_equal(c.ps.n, want.n);
    qsort(c.ps.paths, c.ps.n, sizeof *c.ps.paths, cmp_str);
    qsort(want.paths, want.n, sizeof *want.paths, cmp_str);
    for (size_t i = 0; i < want.n; i++)
        assert_string_equal(c.ps.paths[i], want.paths[i]);

    /* A lookup of something absent is ENOENT, not a crash. */
    const uint8_t *d;
    size_t l;
    assert_int_equal(dvb_store_lookup(st, "/no/such/file", &d, &l),
                     DVB_ENOENT);
    ps_free(&c.ps);
    ps_free(&want);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
}

static void receive_and_compare(const oc_tree *t, size_t files,
                                const oc_build_config *cfg,
                                const uint8_t *ts, size_t len, int pid,
                                uint64_t seed)
{
    receive_and_compare_v(t, files, cfg, ts, len, pid, seed, 0x80000002u);
}

static void round_trip(uint64_t seed, int with_big, uint16_t block,
                       uint32_t module, oc_compress comp)
{
    size_t files;
    oc_tree *t = random_tree(seed, with_big, &files);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.block_size = block;
    cfg.module_size = module;
    cfg.compress = comp;
    cfg.cycles = 1;
    cfg.carousel_id = (uint32_t)(seed * 1000 + 7);
    cfg.pid = (uint16_t)(0x0200 + seed);
    uint8_t *ts;
    size_t len;
    oc_build_stats bs;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &bs), OC_OK);
    assert_int_equal(bs.carousel.files, files);
    receive_and_compare(t, files, &cfg, ts, len, cfg.pid, seed);
    receive_and_compare(t, files, &cfg, ts, len, -1, seed);
    free(ts);
    oc_tree_destroy(t);
}

static void test_small_trees_default(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++)
        round_trip(seed, 0, 4066, 64 * 1024, OC_COMPRESS_AUTO);
}

static void test_small_trees_uncompressed_small_blocks(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 14; seed++)
        round_trip(seed, 0, 512, 4096, OC_COMPRESS_NONE);
}

static void test_small_trees_all_compressed(void **state)
{
    (void)state;
    for (uint64_t seed = 21; seed <= 24; seed++)
        round_trip(seed, 0, 1000, 16 * 1024, OC_COMPRESS_ALL);
}

static void test_big_file(void **state)
{
    (void)state;
    round_trip(31, 1, 4066, 64 * 1024, OC_COMPRESS_AUTO);
    round_trip(32, 1, 4066, 8 * 1024, OC_COMPRESS_NONE);
    round_trip(33, 1, 2048, 1024 * 1024, OC_COMPRESS_ALL);
}

static void test_sample_content(void **state)
{
    (void)state;
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    assert_int_equal(oc_tree_load(t, "content", 0, NULL, NULL), OC_OK);
    size_t files = 0;
    pathset all = { NULL, 0, 0 };
    assert_int_equal(oc_tree_walk(t, tree_visit, &all), 0);
    for (size_t i = 0; i < all.n; i++)
        files += all.paths[i][strlen(all.paths[i]) - 1] != '/';
    ps_free(&all);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    uint8_t *ts;
    size_t len;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, NULL), OC_OK);
    receive_and_compare(t, files, &cfg, ts, len, -1, 99);
    free(ts);
    oc_tree_destroy(t);
}

/* Random options for a seed: any block size, module sizes from 1 KiB,
 * any compression, a few first-screen files, sometimes a bitrate. */
static void random_config(uint64_t *s, const pathset *files,
                          oc_build_config *cfg, const char **first,
                          size_t *n_first)
{
    oc_build_config_default(cfg);
    cfg->block_size = (uint16_t)(16 + rnd_below(s, 4066 - 16 + 1));
    cfg->module_size = 1024u << rnd_below(s, 8);
    cfg->compress = (oc_compress)rnd_below(s, 3);
    cfg->cycles = 1 + rnd_below(s, 2);
    cfg->first_share = rnd_below(s, 51);
    cfg->component_tag = (uint8_t)rnd_below(s, 256);
    cfg->pmt_pid = (uint16_t)(0x20 + rnd_below(s, 0x100));
    cfg->pid = (uint16_t)(cfg->pmt_pid + 1 + rnd_below(s, 0x100));
    if (rnd_below(s, 2)) {
        cfg->carousel_bitrate = 100000 + rnd_below(s, 2000000);
        if (rnd_below(s, 2))
            cfg->ts_bitrate = cfg->carousel_bitrate + 40000 +
                              rnd_below(s, 2000000);
    }
    *n_first = 0;
    for (size_t i = 0; i < files->n && *n_first < 4; i++) {
        const char *p = files->paths[i];
        if (p[strlen(p) - 1] != '/' && rnd_below(s, 4) == 0)
            first[(*n_first)++] = p + 1;       /* no leading '/' */
    }
    cfg->first_paths = first;
    cfg->n_first = *n_first;
}

static void test_many_random_configs(void **state)
{
    (void)state;
    for (uint64_t seed = 100; seed < 140; seed++) {
        size_t files;
        oc_tree *t = random_tree(seed, 0, &files);
        pathset all = { NULL, 0, 0 };
        assert_int_equal(oc_tree_walk(t, tree_visit, &all), 0);
        uint64_t s = seed * 31 + 5;
        oc_build_config cfg;
        const char *first[4];
        size_t nf;
        random_config(&s, &all, &cfg, first, &nf);
        uint8_t *ts;
        size_t len;
        oc_build_stats bs;
        assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &bs), OC_OK);
        assert_int_equal(bs.null_packets > 0, cfg.ts_bitrate > 0);
        receive_and_compare(t, files, &cfg, ts, len, -1, seed);
        free(ts);
        ps_free(&all);
        oc_tree_destroy(t);
    }
}

typedef struct {
    oc_tree *out;
    uint64_t *s;
    size_t files;
} copy_ctx;

/* v2 from v1: about one file in six changed (new bytes, new length), one
 * in ten removed, the rest copied. */
static int copy_changed(void *ud, const char *path, const oc_node *n)
{
    copy_ctx *c = ud;
    if (oc_node_is_dir(n)) {
        assert_int_equal(oc_tree_add_dir(c->out, path), OC_OK);
        return 0;
    }
    unsigned what = rnd_below(c->s, 60);
    if (what < 6)
        return 0;
    size_t len;
    const uint8_t *d = oc_node_data(n, &len);
    uint8_t *copy = malloc(len + 64);
    assert_non_null(copy);
    if (len)
        memcpy(copy, d, len);
    if (what < 16) {
        size_t nl = rnd_below(c->s, 2) ? len : len + 1 + rnd_below(c->s, 60);
        for (size_t k = 0; k < nl; k++)
            copy[k] = k < len ? (uint8_t)(copy[k] ^ 0x5A) : (uint8_t)k;
        len = nl;
    }
    assert_int_equal(oc_tree_add_file(c->out, path, copy, len), OC_OK);
    free(copy);
    c->files++;
    return 0;
}

static void test_updates_round_trip(void **state)
{
    (void)state;
    for (uint64_t seed = 200; seed < 212; seed++) {
        size_t files1;
        oc_tree *t1 = random_tree(seed, 0, &files1);
        uint64_t s = seed * 17 + 3;
        oc_build_config cfg;
        oc_build_config_default(&cfg);
        cfg.cycles = 1;
        cfg.module_size = 2048u << rnd_below(&s, 4);
        cfg.block_size = (uint16_t)(200 + rnd_below(&s, 3800));
        cfg.compress = (oc_compress)rnd_below(&s, 3);
        oc_carousel_config cc = {
            .carousel_id = cfg.carousel_id,
            .component_tag = cfg.component_tag,
            .block_size = cfg.block_size,
            .module_size = cfg.module_size,
            .compress = cfg.compress,
            .module_version = 1,
        };
        oc_carousel *c1;
        assert_int_equal(oc_carousel_create(t1, &cc, &c1), OC_OK);
        oc_layout l1;
        assert_int_equal(oc_carousel_layout(c1, &l1), OC_OK);
        uint32_t tid1 = oc_carousel_dii_tid(c1);
        oc_carousel_destroy(c1);
        uint8_t *ts1;
        size_t len1;
        assert_int_equal(oc_build_mem(t1, &cfg, &ts1, &len1, NULL), OC_OK);

        oc_tree *t2;
        assert_int_equal(oc_tree_create(&t2), OC_OK);
        copy_ctx cx = { t2, &s, 0 };
        assert_int_equal(oc_tree_walk(t1, copy_changed, &cx), 0);
        char name[32];
        snprintf(name, sizeof name, "added-%u", (unsigned)seed);
        assert_int_equal(oc_tree_add_file(t2, name, (const uint8_t *)name,
                                          strlen(name)), OC_OK);
        cx.files++;
        cfg.prev = &l1;
        uint8_t *ts2;
        size_t len2;
        oc_build_stats bs;
        assert_int_equal(oc_build_mem(t2, &cfg, &ts2, &len2, &bs), OC_OK);
        uint32_t tid2 = OC_TID_MAKE(((tid1 >> 16) & 0x3FFF) + 1, 1,
                                    (tid1 & 1) ^ 1);
        /* The new version alone, and after the old one. */
        receive_and_compare_v(t2, cx.files, &cfg, ts2, len2, -1, seed, tid2);
        uint8_t *both = malloc(len1 + len2);
        assert_non_null(both);
        memcpy(both, ts1, len1);
        memcpy(both + len1, ts2, len2);
        receive_and_compare_v(t2, cx.files, &cfg, both, len1 + len2, -1, seed,
                              tid2);
        free(both);
        free(ts1);
        free(ts2);
        oc_layout_free(&l1);
        oc_tree_destroy(t1);
        oc_tree_destroy(t2);
    }
}

/* More modules than one DII can list: several DIIs, received whole; an
 * update of one file changes only the DII that lists its module. */
static void test_several_diis(void **state)
{
    (void)state;
    oc_tree *t1, *t2;
    assert_int_equal(oc_tree_create(&t1), OC_OK);
    assert_int_equal(oc_tree_create(&t2), OC_OK);
    uint8_t buf[1100];
    for (int i = 0; i < 300; i++) {
        char path[32];
        snprintf(path, sizeof path, "d%d/f%03d", i % 7, i);
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = (uint8_t)(k * 13 + (size_t)i);
        assert_int_equal(oc_tree_add_file(t1, path, buf, sizeof buf), OC_OK);
        if (i == 250)
            buf[5] ^= 0xFF;           /* same size, new bytes */
        assert_int_equal(oc_tree_add_file(t2, path, buf, sizeof buf), OC_OK);
    }
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 1;
    cfg.module_size = 1200;
    cfg.compress = OC_COMPRESS_NONE;
    oc_carousel_config cc = {
        .carousel_id = cfg.carousel_id, .component_tag = cfg.component_tag,
        .block_size = cfg.block_size, .module_size = cfg.module_size,
        .compress = cfg.compress, .module_version = 1 };
    oc_carousel *c1, *c2;
    assert_int_equal(oc_carousel_create(t1, &cc, &c1), OC_OK);
    assert_int_equal(oc_carousel_dii_count(c1), 3);
    oc_layout l1;
    assert_int_equal(oc_carousel_layout(c1, &l1), OC_OK);
    cc.prev = &l1;
    assert_int_equal(oc_carousel_create(t2, &cc, &c2), OC_OK);
    assert_int_equal(oc_carousel_dii_count(c2), 3);
    size_t moved = 0;
    for (size_t k = 0; k < 3; k++) {
        size_t la, lb;
        const uint8_t *a = oc_carousel_dii_at(c1, k, &la);
        const uint8_t *b = oc_carousel_dii_at(c2, k, &lb);
        int same = la == lb && !memcmp(a, b, la);
        uint32_t ta = oc_carousel_dii_tid_at(c1, k);
        uint32_t tb = oc_carousel_dii_tid_at(c2, k);
        assert_int_equal(ta & 0xFFFE, (k + 1) << 1);
        if (!same) {
            moved++;
            assert_int_equal((tb >> 16) & 0x3FFF, ((ta >> 16) + 1) & 0x3FFF);
        } else {
            assert_int_equal(ta, tb);
        }
    }
    assert_int_equal(moved, 1);
    oc_carousel_destroy(c1);
    oc_carousel_destroy(c2);
    /* Both through the receiver, one after the other. */
    uint8_t *ts1, *ts2;
    size_t len1, len2;
    assert_int_equal(oc_build_mem(t1, &cfg, &ts1, &len1, NULL), OC_OK);
    receive_and_compare(t1, 300, &cfg, ts1, len1, -1, 5);
    cfg.prev = &l1;
    assert_int_equal(oc_build_mem(t2, &cfg, &ts2, &len2, NULL), OC_OK);
    uint8_t *both = malloc(len1 + len2);
    assert_non_null(both);
    memcpy(both, ts1, len1);
    memcpy(both + len1, ts2, len2);
    dvb_receiver_config rc = { .pid = -1, .service_id = -1,
                               .carousel_id = -1 };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&rc, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, both, len1 + len2), DVB_OK);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    const uint8_t *d, *want;
    size_t dl, wl;
    assert_int_equal(dvb_store_lookup(st, "/d5/f250", &d, &dl), DVB_OK);
    assert_int_equal(oc_tree_lookup(t2, "d5/f250", &want, &wl), 0);
    assert_int_equal(dl, wl);
    assert_memory_equal(d, want, wl);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    free(both);
    free(ts1);
    free(ts2);
    oc_layout_free(&l1);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_trees_default),
        cmocka_unit_test(test_small_trees_uncompressed_small_blocks),
        cmocka_unit_test(test_small_trees_all_compressed),
        cmocka_unit_test(test_big_file),
        cmocka_unit_test(test_sample_content),
        cmocka_unit_test(test_many_random_configs),
        cmocka_unit_test(test_updates_round_trip),
        cmocka_unit_test(test_several_diis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
