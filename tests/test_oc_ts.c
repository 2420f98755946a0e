/*
 * Tests of carousel/oc_ts: sections into 188-byte packets
 * (ISO/IEC 13818-1 2.4.3, pointer_field 2.4.4.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "carousel/oc_ts.h"

typedef struct {
    uint8_t pkt[64][188];
    size_t n;
    int fail_at;            /* packet index whose write fails, or -1 */
} sink;

static int put(void *ud, const uint8_t *p)
{
    sink *s = ud;
    if ((int)s->n == s->fail_at || s->n >= 64)
        return -1;
    memcpy(s->pkt[s->n++], p, 188);
    return 0;
}

static int setup(void **state)
{
    sink *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->fail_at = -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static unsigned pid_of(const uint8_t *p) { return ((p[1] & 0x1Fu) << 8) | p[2]; }
static int pusi_of(const uint8_t *p) { return (p[1] & 0x40) != 0; }
static unsigned cc_of(const uint8_t *p) { return p[3] & 0x0Fu; }

static void test_section_spanning_packets(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    uint8_t sec[400];
    for (size_t i = 0; i < sizeof sec; i++)
        sec[i] = (uint8_t)(i * 7 + 1);
    sec[0] = 0x3C;                       /* never 0xFF: not stuffing */
    assert_int_equal(oc_ts_put_section(ts, 0x101, sec, sizeof sec), OC_OK);
    /* 183 + 184 + 33 bytes */
    assert_int_equal(s->n, 3);
    assert_int_equal(oc_ts_packets(ts), 3);
    uint8_t back[600];
    size_t got = 0;
    for (size_t i = 0; i < 3; i++) {
        const uint8_t *p = s->pkt[i];
        assert_int_equal(p[0], 0x47);
        assert_int_equal(pid_of(p), 0x101);
        assert_int_equal(pusi_of(p), i == 0);
        assert_int_equal(p[1] & 0x80, 0);            /* no transport error */
        assert_int_equal(p[3] & 0x30, 0x10);         /* payload only */
        assert_int_equal(p[3] & 0xC0, 0);            /* not scrambled */
        assert_int_equal(cc_of(p), i);
        size_t at = 4;
        if (i == 0) {
            assert_int_equal(p[4], 0);               /* pointer_field */
            at = 5;
        }
        memcpy(back + got, p + at, 188 - at);
        got += 188 - at;
    }
    assert_memory_equal(back, sec, sizeof sec);
    /* The rest of the last packet is stuffing. */
    for (size_t i = sizeof sec; i < got; i++)
        assert_int_equal(back[i], 0xFF);
    oc_ts_destroy(ts);
}

static void test_cc_per_pid_and_wrap(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    uint8_t sec[20] = { 0x3B };
    for (int i = 0; i < 18; i++)
        assert_int_equal(oc_ts_put_section(ts, 0x101, sec, sizeof sec),
                         OC_OK);
    assert_int_equal(oc_ts_put_section(ts, 0x100, sec, sizeof sec), OC_OK);
    assert_int_equal(oc_ts_put_section(ts, 0x101, sec, sizeof sec), OC_OK);
    assert_int_equal(s->n, 20);
    for (unsigned i = 0; i < 18; i++) {
        assert_int_equal(cc_of(s->pkt[i]), i % 16);  /* wraps after 15 */
        assert_true(pusi_of(s->pkt[i]));
    }
    assert_int_equal(pid_of(s->pkt[18]), 0x100);
    assert_int_equal(cc_of(s->pkt[18]), 0);          /* own counter */
    assert_int_equal(cc_of(s->pkt[19]), 18 % 16);
    oc_ts_destroy(ts);
}

static void test_exact_fit(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    uint8_t sec[183 + 184];
    memset(sec, 0x5A, sizeof sec);
    assert_int_equal(oc_ts_put_section(ts, 0x200, sec, sizeof sec), OC_OK);
    assert_int_equal(s->n, 2);                       /* no empty third */
    assert_false(pusi_of(s->pkt[1]));
    assert_int_equal(s->pkt[1][187], 0x5A);
    oc_ts_destroy(ts);
}

static void test_errors(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(NULL, s, &ts), OC_EINVAL);
    assert_null(ts);
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    uint8_t sec[4097] = { 0 };
    assert_int_equal(oc_ts_put_section(ts, 0x101, sec, 4097), OC_EINVAL);
    assert_int_equal(oc_ts_put_section(ts, 0x101, sec, 2), OC_EINVAL);
    assert_int_equal(oc_ts_put_section(ts, 0x1FFF, sec, 10), OC_EINVAL);
    s->fail_at = 1;
    assert_int_equal(oc_ts_put_section(ts, 0x101, sec, 300), OC_EIO);
    oc_ts_destroy(ts);
    oc_ts_destroy(NULL);
}

static void test_null_packet(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    assert_int_equal(oc_ts_put_null(ts), OC_OK);
    assert_int_equal(pid_of(s->pkt[0]), 0x1FFF);
    assert_int_equal(s->pkt[0][0], 0x47);
    oc_ts_destroy(ts);
}

/* Packing: sections back to back, the pointer_field naming where the
 * first new one starts; reassembled here byte for byte. */
static void make_section(uint8_t *s, size_t len, uint8_t fill)
{
    s[0] = 0x3C;
    s[1] = (uint8_t)(0xB0 | ((len - 3) >> 8));
    s[2] = (uint8_t)(len - 3);
    for (size_t i = 3; i < len; i++)
        s[i] = (uint8_t)(fill + i);
}

static void test_packing(void **state)
{
    sink *s = *state;
    oc_ts *ts;
    assert_int_equal(oc_ts_create(put, s, &ts), OC_OK);
    oc_ts_set_packing(ts, 1);
    static const size_t lens[] = { 100, 300, 12, 50, 183 - 8 + 1, 700, 20 };
    uint8_t secs[7][700];
    size_t total = 0;
    for (size_t k = 0; k < 7; k++) {
        make_section(secs[k], lens[k], (uint8_t)(k * 40));
        assert_int_equal(oc_ts_put_section(ts, 0x0101, secs[k], lens[k]),
                         OC_OK);
        total += lens[k];
    }
    size_t before = s->n;
    assert_int_equal(oc_ts_flush(ts), OC_OK);
    assert_int_equal(s->n, before + 1);         /* the held-back packet */
    assert_int_equal(oc_ts_flush(ts), OC_OK);   /* nothing more */
    assert_int_equal(s->n, before + 1);
    /* Fewer packets than one section per packet start would take. */
    assert_true(s->n < 1 + 2 + 1 + 1 + 1 + 4 + 1);
    assert_true(s->n * 184 >= total);
    /* Reassemble: concatenate payloads, skipping each pointer_field. */
    uint8_t stream[64 * 188];
    size_t sl = 0;
    for (size_t i = 0; i < s->n; i++) {
        const uint8_t *p = s->pkt[i];
        assert_int_equal(pid_of(p), 0x0101);
        assert_int_equal(cc_of(p), i & 0x0F);
        size_t at = 4;
        if (pusi_of(p)) {
            size_t ptr = p[at++];
            assert_true(ptr <= 183);
            /* a section starts at at + ptr, with its header in this packet */
            assert_true(at + ptr + 8 <= 188);
            assert_int_not_equal(p[at + ptr], 0xFF);
        }
        memcpy(stream + sl, p + at, 188 - at);
        sl += 188 - at;
    }
    size_t off = 0;
    for (size_t k = 0; k < 7; k++) {
        /* stuffing may sit between sections only where a header would
         * not have fitted */
        while (stream[off] == 0xFF)
            off++;
        assert_memory_equal(stream + off, secs[k], lens[k]);
        off += lens[k];
    }
    for (; off < sl; off++)
        assert_int_equal(stream[off], 0xFF);
    /* Another PID ends the open packet first. */
    s->n = 0;
    uint8_t a[13], b[20];
    make_section(a, sizeof a, 1);
    make_section(b, sizeof b, 2);
    assert_int_equal(oc_ts_put_section(ts, 0x0101, a, sizeof a), OC_OK);
    assert_int_equal(s->n, 0);
    assert_int_equal(oc_ts_put_section(ts, 0x0102, b, sizeof b), OC_OK);
    assert_int_equal(s->n, 1);
    assert_int_equal(pid_of(s->pkt[0]), 0x0101);
    oc_ts_destroy(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_section_spanning_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cc_per_pid_and_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
