/*
 * The playout schedule (carousel/oc_build.c): the first screen's modules
 * are sent more often than the others within one cycle, PAT/PMT come at
 * least every 100 ms of stream time, null packets fill --ts-bitrate,
 * --duration gives enough stream.  The stream is read back by sections
 * here (packets -> sections, 13818-1 2.4.4) and through our receiver.
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
#include "carousel/oc_tree.h"
#include "dvb/dvb.h"

static oc_tree *make_tree(int pages)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    const char *m = "{\"root\":\"menus/root.json\"}";
    assert_int_equal(oc_tree_add_file(t, "manifest.json", (const uint8_t *)m,
                                      strlen(m)), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "menus/root.json",
                                      (const uint8_t *)"{\"type\":\"menu\"}",
                                      15), OC_OK);
    uint32_t s = 12345;
    for (int i = 0; i < pages; i++) {
        uint8_t buf[3000];
        for (size_t k = 0; k < sizeof buf; k++) {
            s = s * 1103515245u + 12345u;
            buf[k] = (uint8_t)(s >> 16);
        }
        char path[64];
        snprintf(path, sizeof path, "pages/p%03d.json", i);
        assert_int_equal(oc_tree_add_file(t, path, buf, sizeof buf), OC_OK);
    }
    return t;
}

static const char *const first[] = { "manifest.json", "menus/root.json" };


/* Section assembly as a demultiplexer does it (13818-1 2.4.4.2): the
 * pointer_field of a packet that starts a section says how many bytes
 * end the previous one; several sections may follow in one packet,
 * then 0xFF stuffing.  take() appends bytes to the open section and
 * returns how many it used, calling DONE when the section is complete. */
typedef struct {
    uint8_t buf[4096 + 188];
    size_t len;
    int open;
} sec_asm;

static size_t sec_take(sec_asm *a, const uint8_t *d, size_t n, int *done)
{
    size_t used = 0;
    *done = 0;
    while (used < n) {
        size_t want = 3 - (a->len < 3 ? a->len : 3);
        if (a->len >= 3) {
            size_t need = 3 + (((size_t)a->buf[1] & 0x0F) << 8) + a->buf[2];
            assert_true(need <= 4096);
            want = need - a->len;
        }
        size_t k = want < n - used ? want : n - used;
        memcpy(a->buf + a->len, d + used, k);
        a->len += k;
        used += k;
        if (a->len >= 3 &&
            a->len == 3 + ((((size_t)a->buf[1] & 0x0F) << 8) + a->buf[2])) {
            *done = 1;
            a->open = 0;
            return used;
        }
    }
    return used;
}

/* One packet of the carousel PID; on_done(ctx, section, len) per section. */
#define SEC_FEED(a, p, ctx, on_done)                                        \
    do {                                                                    \
        size_t at_ = 4;                                                     \
        int done_;                                                          \
        if ((p)[1] & 0x40) {                                                \
            size_t ptr_ = (p)[at_++];                                       \
            assert_true(ptr_ <= 188 - at_);                                 \
            if ((a)->open) {                                                \
                sec_take((a), (p) + at_, ptr_, &done_);                     \
                if (done_)                                                  \
                    on_done((ctx), (a)->buf, (a)->len);                     \
                else                                                        \
                    assert_int_equal(ptr_, 0);                              \
            }                                                               \
            (a)->open = 0;                                                  \
            at_ += ptr_;                                                    \
            while (at_ < 188 && (p)[at_] != 0xFF) {                         \
                (a)->open = 1;                                              \
                (a)->len = 0;                                               \
                at_ += sec_take((a), (p) + at_, 188 - at_, &done_);         \
                if (!done_)                                                 \
                    break;                                                  \
                on_done((ctx), (a)->buf, (a)->len);                         \
            }                                                               \
        } else if ((a)->open) {                                             \
            sec_take((a), (p) + at_, 188 - at_, &done_);                    \
            if (done_)                                                      \
                on_done((ctx), (a)->buf, (a)->len);                         \
        }                                                                   \
    } while (0)

typedef struct {
    unsigned ddb[256];           /* DDB sections per moduleId (< 256) */
    unsigned dii, dsi;
    uint64_t pat_max_gap;        /* packets between PATs, the longest */
    uint64_t nulls, packets;
    sec_asm as;
} tally;

static void on_section(tally *t, const uint8_t *s, size_t len)
{
    assert_true(len >= 12);
    if (s[0] == 0x3C) {
        unsigned mid = ((unsigned)s[3] << 8) | s[4];
        assert_true(mid < 256);
        t->ddb[mid]++;
    } else if (s[0] == 0x3B) {
        unsigned msg = ((unsigned)s[10] << 8) | s[11];
        t->dii += msg == 0x1002;
        t->dsi += msg == 0x1006;
    }
}

static void read_stream(tally *t, const uint8_t *ts, size_t len, uint16_t pid)
{
    memset(t, 0, sizeof *t);
    uint64_t last_pat = 0;
    int seen_pat = 0;
    assert_int_equal(len % 188, 0);
    for (size_t off = 0; off < len; off += 188) {
        const uint8_t *p = ts + off;
        uint64_t i = off / 188;
        assert_int_equal(p[0], 0x47);
        unsigned ppid = ((p[1] & 0x1Fu) << 8) | p[2];
        t->packets++;
        if (ppid == 0x1FFF) {
            t->nulls++;
            continue;
        }
        if (ppid == 0) {
            if (seen_pat && i - last_pat > t->pat_max_gap)
                t->pat_max_gap = i - last_pat;
            if (!seen_pat)
                assert_int_equal(i, 0);    /* the stream opens with it */
            seen_pat = 1;
            last_pat = i;
            continue;
        }
        if (ppid != pid)
            continue;
        SEC_FEED(&t->as, p, t, on_section);
    }
    /* the gap after the last PAT counts too */
    if (t->packets - last_pat > t->pat_max_gap)
        t->pat_max_gap = t->packets - last_pat;
}

static void test_first_screen_repeated(void **state)
{
    (void)state;
    oc_tree *t = make_tree(60);          /* ~180 KB of pages */
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 1;
    cfg.compress = OC_COMPRESS_NONE;
    cfg.carousel_bitrate = 1000000;
    cfg.first_paths = first;
    cfg.n_first = 2;
    uint8_t *ts;
    size_t len;
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &st), OC_OK);
    tally *ty = calloc(1, sizeof *ty);
    assert_non_null(ty);
    read_stream(ty, ts, len, cfg.pid);
    /* Module 1 holds the first screen (gateway, manifest, menus/root);
     * each other module's blocks come once per cycle. */
    assert_int_equal(st.carousel.first_modules, 1);
    assert_true(st.groups_per_cycle >= 4);
    assert_int_equal(ty->ddb[1], st.groups_per_cycle);
    unsigned others = 0;
    for (unsigned m = 2; m < 256; m++) {
        if (!ty->ddb[m])
            continue;
        others++;
        assert_true(ty->ddb[1] > ty->ddb[m] ||
                    ty->ddb[m] > 1);   /* a multi-block module, once each */
    }
    assert_true(others >= 2);
    assert_int_equal(ty->dii, ty->dsi);
    assert_true(ty->dii >= st.groups_per_cycle);
    /* Times: the first screen comes much sooner than a whole cycle, and
     * the repetition costs about the share asked for (10%, plus DSI/DII). */
    assert_true(st.first_screen_seconds < st.cycle_seconds / 2);
    assert_true(st.repeat_packets * 188 < st.cycle_packets * 188 / 5);
    /* PAT every 100 ms at 1 Mbit/s: 66 packets. */
    assert_int_equal(st.psi_interval, 66);
    assert_true(ty->pat_max_gap <= 66);

    /* The receiver gets everything. */
    dvb_receiver_config rc = { .pid = -1, .service_id = -1,
                               .carousel_id = -1 };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&rc, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, ts, len), DVB_OK);
    dvb_store *s = dvb_receiver_store(r);
    assert_non_null(s);
    const uint8_t *d;
    size_t dl;
    assert_int_equal(dvb_store_lookup(s, "/pages/p059.json", &d, &dl),
                     DVB_OK);
    assert_int_equal(dl, 3000);
    dvb_store_release(s);
    dvb_receiver_destroy(r);
    free(ty);
    free(ts);
    oc_tree_destroy(t);
}

static void test_no_repetition_when_share_zero(void **state)
{
    (void)state;
    oc_tree *t = make_tree(30);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 2;
    cfg.first_share = 0;
    cfg.first_paths = first;
    cfg.n_first = 2;
    uint8_t *ts;
    size_t len;
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &st), OC_OK);
    tally *ty = calloc(1, sizeof *ty);
    assert_non_null(ty);
    read_stream(ty, ts, len, cfg.pid);
    assert_int_equal(st.groups_per_cycle, 1);
    assert_int_equal(ty->ddb[1], 2);        /* once per cycle */
    assert_int_equal(st.ddb_sections, st.carousel.blocks * 2);
    assert_int_equal(st.repeat_packets, 0);
    free(ty);
    free(ts);
    oc_tree_destroy(t);
}

static void test_nulls_fill_ts_bitrate(void **state)
{
    (void)state;
    oc_tree *t = make_tree(20);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 3;
    cfg.carousel_bitrate = 500000;
    cfg.ts_bitrate = 2000000;
    uint8_t *ts;
    size_t len;
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &st), OC_OK);
    tally *ty = calloc(1, sizeof *ty);
    assert_non_null(ty);
    read_stream(ty, ts, len, cfg.pid);
    assert_int_equal(ty->nulls, st.null_packets);
    /* Carousel packets are a quarter of the stream (PSI is apart). */
    uint64_t car = ty->packets - ty->nulls - st.psi_packets;
    assert_true(car * 4 <= ty->packets + 4);
    assert_true(car * 4 + 8 >= ty->packets - st.psi_packets);
    /* PAT every 100 ms at 2 Mbit/s: 132 packets. */
    assert_int_equal(st.psi_interval, 132);
    assert_true(ty->pat_max_gap <= 132);
    free(ty);
    free(ts);
    oc_tree_destroy(t);
}

static void test_duration(void **state)
{
    (void)state;
    oc_tree *t = make_tree(10);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.carousel_bitrate = 200000;
    cfg.duration_s = 3;
    uint8_t *ts;
    size_t len;
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, &st), OC_OK);
    double secs = (double)len * 8.0 / 200000.0;
    assert_true(secs >= 3.0);
    assert_true(secs < 3.0 + st.cycle_seconds + 0.01);
    assert_true(st.cycles >= 2);
    free(ts);
    /* a duration without a rate is refused with a reason */
    cfg.carousel_bitrate = 0;
    char why[200];
    assert_int_equal(oc_build_config_check(&cfg, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--duration"));
    oc_tree_destroy(t);
}

static void test_rate_checks(void **state)
{
    (void)state;
    oc_build_config cfg;
    char why[200];
    oc_build_config_default(&cfg);
    cfg.carousel_bitrate = 1000000;
    cfg.ts_bitrate = 1000000;
    assert_int_equal(oc_build_config_check(&cfg, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--ts-bitrate"));
    cfg.ts_bitrate = 0;
    cfg.carousel_bitrate = 1000;
    assert_int_equal(oc_build_config_check(&cfg, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--carousel-bitrate"));
    cfg.carousel_bitrate = 0;
    cfg.first_share = 51;
    assert_int_equal(oc_build_config_check(&cfg, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--first-share"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_screen_repeated),
        cmocka_unit_test(test_no_repetition_when_share_zero),
        cmocka_unit_test(test_nulls_fill_ts_bitrate),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_rate_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
