/*
 * The receiver against real broadcast captures (tests/fixtures/broadcast,
 * see its README.md): carousels written by other playout systems must
 * extract completely and byte for byte, however the stream is entered
 * and however the bytes are chunked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dvb/dvb.h"

#define HOTBIRD "tests/fixtures/broadcast/hotbird-hbbtv-capture"
#define MHP "tests/fixtures/broadcast/mhp-tutorial-ocdir1"

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            assert_non_null(nb);
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* ---- expected tree: relative paths of files and directories ---- */

typedef struct {
    char **paths;              /* "/a/b" for files, "/a/" for directories */
    size_t n, cap;
} pathset;

static void ps_add(pathset *ps, const char *p)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        ps->paths = realloc(ps->paths, ps->cap * sizeof *ps->paths);
        assert_non_null(ps->paths);
    }
    ps->paths[ps->n] = strdup(p);
    assert_non_null(ps->paths[ps->n]);
    ps->n++;
}

static void ps_free(pathset *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->paths[i]);
    free(ps->paths);
    memset(ps, 0, sizeof *ps);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(pathset *ps, const char *root, const char *rel)
{
    char full[1024];
    snprintf(full, sizeof full, "%s%s", root, rel);
    DIR *d = opendir(full);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char r2[1024], f2[1200];
        snprintf(r2, sizeof r2, "%s/%s", rel, de->d_name);
        snprintf(f2, sizeof f2, "%s%s", root, r2);
        struct stat st;
        assert_int_equal(stat(f2, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            char key[1100];
            snprintf(key, sizeof key, "%s/", r2);
            ps_add(ps, key);
            scan_dir(ps, root, r2);
        } else {
            ps_add(ps, r2);
        }
    }
    closedir(d);
}

typedef struct {
    const char *root;          /* expected files directory */
    pathset got;
    size_t files;
    const char *last;          /* walk order check */
    char lastbuf[1024];
} walk_ctx;

static int visit(void *ud, const char *path, int is_dir, const uint8_t *data,
                 size_t len)
{
    walk_ctx *c = ud;
    if (!strcmp(path, "/")) {
        assert_true(is_dir);
        return 0;
    }
    if (is_dir) {
        assert_null(data);
        assert_int_equal(len, 0);
        char key[1100];
        snprintf(key, sizeof key, "%s/", path);
        ps_add(&c->got, key);
        return 0;
    }
    ps_add(&c->got, path);
    char full[1200];
    snprintf(full, sizeof full, "%s%s", c->root, path);
    size_t wl;
    uint8_t *want = read_file(full, &wl);
    if (!want)
        fail_msg("store has %s, expected tree does not", path);
    assert_int_equal(len, wl);
    if (wl)
        assert_memory_equal(data, want, wl);
    free(want);
    c->files++;
    return 0;
}

/* Compares a store with an expected directory: same set of files and
 * directories, same bytes, lookups agree with the walk. */
static void compare_store(const dvb_store *st, const char *root,
                          size_t want_files)
{
    walk_ctx c;
    memset(&c, 0, sizeof c);
    c.root = root;
    assert_int_equal(dvb_store_walk(st, visit, &c), 0);
    assert_int_equal(c.files, want_files);
    pathset want = { NULL, 0, 0 };
    scan_dir(&want, root, "");
    qsort(want.paths, want.n, sizeof *want.paths, cmp_str);
    qsort(c.got.paths, c.got.n, sizeof *c.got.paths, cmp_str);
    assert_int_equal(c.got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        assert_string_equal(c.got.paths[i], want.paths[i]);
    for (size_t i = 0; i < want.n; i++) {
        const char *p = want.paths[i];
        size_t pl = strlen(p);
        const uint8_t *d;
        size_t l;
        dvb_err e = dvb_store_lookup(st, p, &d, &l);
        if (p[pl - 1] == '/')
            assert_int_equal(e, DVB_ENOENT);
        else
            assert_int_equal(e, DVB_OK);
    }
    ps_free(&want);
    ps_free(&c.got);
}

typedef struct {
    int ready;
    int found;
    int errors;
    uint32_t version;
} events;

static void on_event(void *ud, const dvb_event *ev)
{
    events *e = ud;
    switch (ev->type) {
    case DVB_EV_STORE_READY:
        e->ready++;
        e->version = ev->version;
        break;
    case DVB_EV_CAROUSEL_FOUND:
        e->found++;
        break;
    case DVB_EV_STREAM_ERROR:
        e->errors++;
        break;
    case DVB_EV_STORE_CHANGED:
    case DVB_EV_OVER_LIMIT:
    case DVB_EV_SERVICE_NAME:
    case DVB_EV_CAROUSEL_MOVED:
    case DVB_EV_CAROUSEL_LOST:
        break;
    }
}

static void on_log(void *ud, dvb_log_level level, const char *msg)
{
    (void)ud;
    if (getenv("DVB_TEST_LOG") || level == DVB_LOG_ERROR)
        fprintf(stderr, "dvb[%d]: %s\n", (int)level, msg);
}

typedef struct {
    const char *ts;
    const char *files;
    int pid;
    size_t nfiles;
    unsigned modules;
} fixture;

static const fixture hotbird = { HOTBIRD ".ts", HOTBIRD ".expected/files",
                                 0x076A, 3, 3 };
static const fixture mhp = { MHP ".ts", MHP ".expected/files", 0x07D3, 54,
                             4 };

static void push_chunked(dvb_receiver *r, const uint8_t *p, size_t len,
                         size_t chunk)
{
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        assert_int_equal(dvb_receiver_push(r, p + off, n), DVB_OK);
    }
}

/* Feeds [start, end) then [0, end) again: tuning in at `start` and
 * watching one more full cycle. */
static void run_fixture(const fixture *fx, size_t start, size_t chunk)
{
    size_t len;
    uint8_t *ts = read_file(fx->ts, &len);
    assert_non_null(ts);
    events ev;
    memset(&ev, 0, sizeof ev);
    dvb_receiver_config cfg = {
        .pid = fx->pid, .service_id = -1, .carousel_id = -1,
        .log = on_log, .on_event = on_event, .ud = &ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    if (start > len)
        start = len;
    push_chunked(r, ts + start, len - start, chunk);
    push_chunked(r, ts, len, chunk);
    dvb_progress pr;
    dvb_receiver_progress(r, &pr);
    if (ev.ready < 1)
        fail_msg("%s from offset %zu in chunks of %zu: no store "
                 "(%u/%u modules, %u bad sections)", fx->ts, start, chunk,
                 pr.modules_done, pr.modules_total,
                 (unsigned)pr.sections_bad);
    assert_int_equal(ev.found, 1);
    assert_int_equal(pr.pid, fx->pid);
    assert_int_equal(pr.modules_total, fx->modules);
    assert_int_equal(pr.modules_done, fx->modules);
    assert_int_equal(pr.bytes_done, pr.bytes_total);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    assert_int_equal(dvb_store_version(st), ev.version);
    compare_store(st, fx->files, fx->nfiles);
    dvb_receiver_destroy(r);
    /* The store outlives its receiver. */
    compare_store(st, fx->files, fx->nfiles);
    dvb_store_release(st);
    free(ts);
}

static void test_hotbird_whole(void **state)
{
    (void)state;
    run_fixture(&hotbird, 0, 4096);
}

static void test_mhp_whole(void **state)
{
    (void)state;
    run_fixture(&mhp, 0, 4096);
}

static void test_hotbird_chunk1(void **state)
{
    (void)state;
    run_fixture(&hotbird, 0, 1);
}

static void test_mhp_chunk1(void **state)
{
    (void)state;
    run_fixture(&mhp, 0, 1);
}

static void test_hotbird_chunk7(void **state)
{
    (void)state;
    run_fixture(&hotbird, 0, 7);
}

static void test_mhp_chunk7(void **state)
{
    (void)state;
    run_fixture(&mhp, 0, 7);
}

/* Entered at packet boundaries spread over the file, and at byte offsets
 * that are not packet boundaries (sync must be found first). */
static void test_hotbird_looped(void **state)
{
    (void)state;
    static const size_t at[] = { 188 * 1, 188 * 1000, 188 * 2345,
                                 188 * 4000, 188 * 6400, 188 * 6404,
                                 100 * 1000 + 17, 777 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        run_fixture(&hotbird, at[i], i & 1 ? 4096 : 1500);
}

static void test_mhp_looped(void **state)
{
    (void)state;
    static const size_t at[] = { 188 * 1, 188 * 100, 188 * 300, 188 * 429,
                                 188 * 500, 188 * 857, 50000 + 3, 93 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        run_fixture(&mhp, at[i], i & 1 ? 4096 : 7);
}

/* ---- damage: bit errors, lost, repeated and swapped packets ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* A fixed-seed LCG: the same damage on every run and machine. */
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Flips `flips` random bits of a copy of the stream. */
static uint8_t *with_bit_errors(const uint8_t *ts, size_t len, unsigned flips,
                                uint64_t *seed)
{
    uint8_t *c = malloc(len);
    assert_non_null(c);
    memcpy(c, ts, len);
    for (unsigned i = 0; i < flips; i++) {
        size_t at = (size_t)(rng_next(seed) % len);
        c[at] ^= (uint8_t)(1u << (rng_next(seed) & 7u));
    }
    return c;
}

/* A copy where about one packet in `rate` is lost, one in `rate`
 * repeated (a multiplexer's duplicate, 13818-1 2.4.3.3) and one in
 * `rate` swapped with its neighbour. */
static uint8_t *with_packet_damage(const uint8_t *ts, size_t len,
                                   unsigned rate, uint64_t *seed,
                                   size_t *out_len)
{
    size_t np = len / 188;
    uint8_t *c = malloc(2 * len + 188);
    assert_non_null(c);
    size_t o = 0;
    for (size_t i = 0; i < np; i++) {
        unsigned r = (unsigned)(rng_next(seed) % rate);
        if (r == 0)
            continue;                          /* lost */
        if (r == 1 && i + 1 < np) {            /* swapped */
            memcpy(c + o, ts + (i + 1) * 188, 188);
            memcpy(c + o + 188, ts + i * 188, 188);
            o += 376;
            i++;
            continue;
        }
        memcpy(c + o, ts + i * 188, 188);
        o += 188;
        if (r == 2) {                          /* repeated */
            memcpy(c + o, ts + i * 188, 188);
            o += 188;
        }
    }
    *out_len = o;
    return c;
}

/* Feeds `reps` independently damaged copies of the whole capture and
 * checks that every file still comes out byte for byte: whatever one
 * repetition lost, another carried intact. */
static void run_damaged(const fixture *fx, unsigned reps, unsigned flips,
                        unsigned packet_rate, uint64_t seed)
{
    size_t len;
    uint8_t *ts = read_file(fx->ts, &len);
    assert_non_null(ts);
    events ev;
    memset(&ev, 0, sizeof ev);
    dvb_receiver_config cfg = {
        .pid = fx->pid, .service_id = -1, .carousel_id = -1,
        .log = on_log, .on_event = on_event, .ud = &ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    for (unsigned k = 0; k < reps; k++) {
        size_t dl = len;
        uint8_t *d = packet_rate
                         ? with_packet_damage(ts, len, packet_rate, &seed, &dl)
                         : with_bit_errors(ts, len, flips, &seed);
        push_chunked(r, d, dl, 3000 + k);
        free(d);
    }
    dvb_progress pr;
    dvb_receiver_progress(r, &pr);
    if (ev.ready < 1)
        fail_msg("%s after %u damaged copies: no store (%u/%u modules, "
                 "%u bad sections)", fx->ts, reps, pr.modules_done,
                 pr.modules_total, (unsigned)pr.sections_bad);
    /* The damage was seen, and none of it reached the files. */
    assert_true(pr.sections_bad > 0 || packet_rate);
    dvb_store *st = dvb_receiver_store(r);
    assert_non_null(st);
    compare_store(st, fx->files, fx->nfiles);
    dvb_store_release(st);
    dvb_receiver_destroy(r);
    free(ts);
}

static void test_hotbird_bit_errors(void **state)
{
    (void)state;
    run_damaged(&hotbird, 5, 40, 0, 1);
    run_damaged(&hotbird, 5, 40, 0, 2);
}

static void test_mhp_bit_errors(void **state)
{
    (void)state;
    run_damaged(&mhp, 5, 10, 0, 3);
    run_damaged(&mhp, 5, 10, 0, 4);
}

static void test_hotbird_packet_damage(void **state)
{
    (void)state;
    run_damaged(&hotbird, 5, 0, 300, 5);
}

static void test_mhp_packet_damage(void **state)
{
    (void)state;
    /* About 3% of packets damaged: a 4 KB block (22 packets) is lost in
     * roughly half the copies, so it takes a dozen to have every block
     * intact once; with 0.75% five copies are enough. */
    run_damaged(&mhp, 12, 0, 100, 6);
    run_damaged(&mhp, 5, 0, 400, 8);
}

/* Too few clean repetitions: one copy with heavy damage.  No store, no
 * crash, and the progress says how much is missing. */
static void test_too_damaged(void **state)
{
    (void)state;
    size_t len;
    uint8_t *ts = read_file(mhp.ts, &len);
    assert_non_null(ts);
    uint64_t seed = 7;
    uint8_t *d = with_bit_errors(ts, len, 2000, &seed);
    events ev;
    memset(&ev, 0, sizeof ev);
    dvb_receiver_config cfg = {
        .pid = mhp.pid, .service_id = -1, .carousel_id = -1,
        .log = on_log, .on_event = on_event, .ud = &ev,
    };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&cfg, &r), DVB_OK);
    push_chunked(r, d, len, 4096);
    assert_int_equal(ev.ready, 0);
    assert_null(dvb_receiver_store(r));
    dvb_progress pr;
    dvb_receiver_progress(r, &pr);
    assert_true(pr.sections_bad > 0);
    assert_true(pr.modules_done < pr.modules_total || pr.modules_total == 0);
    assert_true(ev.errors > 0);
    dvb_receiver_destroy(r);
    free(d);
    free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotbird_whole),
        cmocka_unit_test(test_mhp_whole),
        cmocka_unit_test(test_hotbird_chunk1),
        cmocka_unit_test(test_mhp_chunk1),
        cmocka_unit_test(test_hotbird_chunk7),
        cmocka_unit_test(test_mhp_chunk7),
        cmocka_unit_test(test_hotbird_looped),
        cmocka_unit_test(test_mhp_looped),
        cmocka_unit_test(test_hotbird_bit_errors),
        cmocka_unit_test(test_mhp_bit_errors),
        cmocka_unit_test(test_hotbird_packet_damage),
        cmocka_unit_test(test_mhp_packet_damage),
        cmocka_unit_test(test_too_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
