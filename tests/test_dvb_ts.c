/*
 * TS packet sync and section reassembly (dvb_ts), and CRC-32/MPEG-2,
 * with hand-made packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dvb/dvb_crc32.h"
#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_ts.h"
#include "tests/dvb_test_build.h"

#define PID 0x0123

typedef struct {
    dvb_ts *ts;
    dvb_secasm *a;
    size_t n;                  /* sections received */
    uint8_t secs[16][DVB_SECTION_MAX];
    size_t lens[16];
    size_t packets;
    size_t psize_seen;
} fx;

static void on_sec(void *ud, int pid, const uint8_t *s, size_t len)
{
    fx *f = ud;
    assert_int_equal(pid, PID);
    assert_true(f->n < 16);
    memcpy(f->secs[f->n], s, len);
    f->lens[f->n++] = len;
}

static void on_pkt(void *ud, const uint8_t *p)
{
    fx *f = ud;
    f->packets++;
    if (dvb_ts_pid(p) == PID)
        dvb_secasm_push(f->a, p);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(dvb_ts_create(on_pkt, f, NULL, &f->ts), DVB_OK);
    assert_int_equal(dvb_secasm_create(PID, on_sec, f, NULL, &f->a), DVB_OK);
    /* Null packets first, so that sync is found (three sync bytes in a
     * row are needed) before the packets under test. */
    uint8_t nul[3 * 188];
    memset(nul, 0xFF, sizeof nul);
    for (int k = 0; k < 3; k++) {
        nul[188 * k] = 0x47;
        nul[188 * k + 1] = 0x1F;
        nul[188 * k + 3] = 0x10;
    }
    dvb_ts_push(f->ts, nul, sizeof nul);
    assert_int_equal(f->packets, 3);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dvb_ts_destroy(f->ts);
    dvb_secasm_destroy(f->a);
    free(f);
    return 0;
}

/* A private section of total length len with a recognisable fill. */
static void make_section(uint8_t *s, size_t len, uint8_t fill)
{
    s[0] = 0x80;
    s[1] = (uint8_t)(0x70 | ((len - 3) >> 8));
    s[2] = (uint8_t)(len - 3);
    for (size_t i = 3; i < len; i++)
        s[i] = (uint8_t)(fill + i);
}

static void packet(uint8_t *p, int pusi, unsigned cc)
{
    memset(p, 0xFF, 188);
    p[0] = 0x47;
    p[1] = (uint8_t)((pusi ? 0x40 : 0) | (PID >> 8));
    p[2] = PID & 0xFF;
    p[3] = (uint8_t)(0x10 | (cc & 15));
}

static void push(fx *f, const uint8_t *p, size_t len, size_t chunk)
{
    for (size_t off = 0; off < len; off += chunk)
        dvb_ts_push(f->ts, p + off, len - off < chunk ? len - off : chunk);
}

/* The sliced CRC against a bit-by-bit one, at every length and
 * alignment, and in pieces through dvb_crc32_update. */
static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static void test_crc_sliced(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint64_t seed = 5;
    for (size_t i = 0; i < sizeof buf; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (uint8_t)(seed >> 56);
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len + off <= sizeof buf; len++)
            assert_int_equal(dvb_crc32(buf + off, len),
                             crc_bitwise(buf + off, len));
    for (size_t cut = 0; cut <= sizeof buf; cut += 7) {
        uint32_t c = dvb_crc32_update(0xFFFFFFFFu, buf, cut);
        c = dvb_crc32_update(c, buf + cut, sizeof buf - cut);
        assert_int_equal(c, crc_bitwise(buf, sizeof buf));
    }
}

/* x^n mod P, one multiplication by x at a time. */
static uint32_t x_pow_mod(unsigned n)
{
    uint64_t r = 1;
    for (unsigned i = 0; i < n; i++) {
        r <<= 1;
        if (r >> 32)
            r ^= 0x104C11DB7ull;
    }
    return (uint32_t)r;
}

/* The carry-less multiply path (used from 64 bytes on, where the CPU
 * has PCLMULQDQ) against the tables, from every starting value kind,
 * at lengths around each of its steps (64-byte folds, 16-byte folds, a
 * tail), every alignment, and over a large buffer in uneven pieces; and
 * its folding constants against x^n mod P computed here. */
static void test_crc_clmul(void **state)
{
    (void)state;
    assert_int_equal(x_pow_mod(128), 0xE8A45605u);
    assert_int_equal(x_pow_mod(192), 0xC5B9CD4Cu);
    assert_int_equal(x_pow_mod(512), 0xE6228B11u);
    assert_int_equal(x_pow_mod(576), 0x8833794Cu);
    size_t big = (size_t)1 << 20;
    uint8_t *buf = malloc(big);
    assert_non_null(buf);
    uint64_t seed = 11;
    for (size_t i = 0; i < big; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (uint8_t)(seed >> 56);
    }
    static const uint32_t starts[] = { 0xFFFFFFFFu, 0, 0x80000001u,
                                       0x12345678u };
    for (size_t si = 0; si < 4; si++)
        for (size_t off = 0; off < 17; off++)
            for (size_t len = 0; len <= 700; len++)
                assert_int_equal(
                    dvb_crc32_update(starts[si], buf + off, len),
                    dvb_crc32_tables_only(starts[si], buf + off, len));
    for (size_t len = 4000; len <= 4100; len++)
        assert_int_equal(dvb_crc32(buf + 3, len),
                         crc_bitwise(buf + 3, len));
    uint32_t whole = dvb_crc32_tables_only(0xFFFFFFFFu, buf, big);
    assert_int_equal(dvb_crc32(buf, big), whole);
    uint32_t c = 0xFFFFFFFFu;
    size_t at = 0, step = 1;
    while (at < big) {
        size_t n = big - at < step ? big - at : step;
        c = dvb_crc32_update(c, buf + at, n);
        at += n;
        step = step * 3 + 1;
    }
    assert_int_equal(c, whole);
    /* An intact section, CRC_32 included, gives 0 on either path. */
    uint32_t crc = dvb_crc32(buf, 4092);
    buf[4092] = (uint8_t)(crc >> 24);
    buf[4093] = (uint8_t)(crc >> 16);
    buf[4094] = (uint8_t)(crc >> 8);
    buf[4095] = (uint8_t)crc;
    assert_int_equal(dvb_crc32(buf, 4096), 0);
    buf[100] ^= 1;
    assert_int_not_equal(dvb_crc32(buf, 4096), 0);
    free(buf);
}

static void test_crc_golden(void **state)
{
    (void)state;
    /* The catalogue check value of CRC-32/MPEG-2. */
    assert_int_equal(dvb_crc32((const uint8_t *)"123456789", 9), 0x0376E6E7);
    uint8_t sec[32];
    dvb_writer w;
    dvb_writer_init(&w, 0);
    uint8_t msg[12] = { 0x11, 0x03, 0x10, 0x06, 0, 0, 0, 1, 0xFF, 0, 0, 0 };
    tb_section(&w, 0x3B, 1, msg, sizeof msg);
    assert_int_equal(w.len, 24);
    memcpy(sec, w.p, w.len);
    dvb_dsmcc_section s;
    assert_int_equal(dvb_dsmcc_section_parse(sec, w.len, &s), DVB_OK);
    assert_int_equal(s.payload_len, 12);
    assert_memory_equal(s.payload, msg, 12);
    /* Every single-bit flip is caught, section_syntax_indicator too: it
     * turns the CRC into a checksum, which is checked as well. */
    for (size_t i = 0; i < w.len * 8; i++) {
        sec[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(dvb_dsmcc_section_parse(sec, w.len, &s), DVB_OK);
        sec[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* private_indicator set, as OpenCaster writes it: accepted. */
    sec[1] |= 0x40;
    uint32_t crc = dvb_crc32(sec, w.len - 4);
    sec[w.len - 4] = (uint8_t)(crc >> 24);
    sec[w.len - 3] = (uint8_t)(crc >> 16);
    sec[w.len - 2] = (uint8_t)(crc >> 8);
    sec[w.len - 1] = (uint8_t)crc;
    assert_int_equal(dvb_dsmcc_section_parse(sec, w.len, &s), DVB_OK);
    assert_true(s.private_indicator);
    dvb_writer_free(&w);
}

static void test_several_sections_per_packet(void **state)
{
    fx *f = *state;
    uint8_t p[188], a[20], b[30];
    make_section(a, sizeof a, 1);
    make_section(b, sizeof b, 2);
    packet(p, 1, 0);
    p[4] = 0;
    memcpy(p + 5, a, sizeof a);
    memcpy(p + 5 + sizeof a, b, sizeof b);
    push(f, p, 188, 188);
    packet(p, 0, 1);                           /* pure stuffing after */
    push(f, p, 188, 188);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->lens[0], sizeof a);
    assert_memory_equal(f->secs[0], a, sizeof a);
    assert_memory_equal(f->secs[1], b, sizeof b);
}

/* A 400-byte section a over three packets; the third PUSI packet's
 * pointer_field finishes it and a new section c (50 bytes) follows. */
static void spanning_packets(uint8_t pk[3][188], uint8_t a[400], uint8_t c[50])
{
    make_section(a, 400, 3);
    make_section(c, 50, 4);
    packet(pk[0], 1, 0);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, a, 183);
    packet(pk[1], 0, 1);
    memcpy(pk[1] + 4, a + 183, 184);
    packet(pk[2], 1, 2);
    pk[2][4] = 400 - 183 - 184;
    memcpy(pk[2] + 5, a + 367, 33);
    memcpy(pk[2] + 5 + 33, c, 50);
}

static void spanning(fx *f, int gap, int dup, size_t chunk)
{
    uint8_t a[400], c[50], pk[3][188];
    spanning_packets(pk, a, c);
    size_t n = 0;
    uint8_t stream[5 * 188];
    memcpy(stream + 188 * n++, pk[0], 188);
    if (!gap)
        memcpy(stream + 188 * n++, pk[1], 188);
    if (dup)
        memcpy(stream + 188 * n++, pk[1], 188);
    memcpy(stream + 188 * n++, pk[2], 188);
    push(f, stream, 188 * n, chunk);
    if (gap) {
        /* The cut section is dropped, never glued; the next one is fine. */
        assert_int_equal(f->n, 1);
        assert_memory_equal(f->secs[0], c, sizeof c);
    } else {
        assert_int_equal(f->n, 2);
        assert_int_equal(f->lens[0], sizeof a);
        assert_memory_equal(f->secs[0], a, sizeof a);
        assert_memory_equal(f->secs[1], c, sizeof c);
    }
}

static void test_section_spanning_packets(void **state)
{
    spanning(*state, 0, 0, 188);
}

static void test_cc_discontinuity_drops(void **state)
{
    spanning(*state, 1, 0, 188);
}

static void test_duplicate_packet_ignored(void **state)
{
    spanning(*state, 0, 1, 188);
}

static void test_odd_chunks(void **state)
{
    spanning(*state, 0, 0, 1);
}

static void test_garbage_before_sync(void **state)
{
    fx *f = *state;
    uint8_t buf[3 * 188 + 300];
    /* Garbage with decoy sync bytes, including one 188 bytes before a
     * non-sync byte. */
    for (size_t i = 0; i < 300; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    buf[10] = 0x47;
    buf[50] = 0x47;
    buf[299] = 0x47;
    uint8_t a[100];
    make_section(a, sizeof a, 5);
    uint8_t *p = buf + 300;
    for (unsigned k = 0; k < 3; k++) {
        packet(p + 188 * k, 1, k);
        p[188 * k + 4] = 0;
        memcpy(p + 188 * k + 5, a, sizeof a);
    }
    push(f, buf, sizeof buf, 7);
    assert_int_equal(f->n, 3);
    assert_int_equal(dvb_ts_sync_losses(f->ts), 1);
    for (size_t i = 0; i < f->n; i++)
        assert_memory_equal(f->secs[i], a, sizeof a);
}

static void test_transport_error_dropped(void **state)
{
    fx *f = *state;
    uint8_t pk[2][188], a[30];
    make_section(a, sizeof a, 6);
    packet(pk[0], 1, 0);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, a, sizeof a);
    pk[0][1] |= 0x80;                          /* transport_error_indicator */
    memcpy(pk[1], pk[0], 188);
    pk[1][1] &= 0x7F;
    pk[1][3] = 0x11;
    push(f, &pk[0][0], sizeof pk, 188);
    push(f, &pk[1][0], 188, 188);              /* lets the sync confirm */
    assert_int_equal(f->n, 1);
    assert_memory_equal(f->secs[0], a, sizeof a);
}

static void test_adaptation_field(void **state)
{
    fx *f = *state;
    uint8_t pk[2][188], a[40];
    make_section(a, sizeof a, 7);
    packet(pk[0], 1, 0);
    pk[0][3] = 0x30;                           /* adaptation + payload */
    pk[0][4] = 10;
    pk[0][5] = 0x00;
    memset(pk[0] + 6, 0xFF, 9);
    pk[0][15] = 0;                             /* pointer_field */
    memcpy(pk[0] + 16, a, sizeof a);
    packet(pk[1], 0, 1);
    pk[1][3] = 0x21;                           /* adaptation only, CC same */
    pk[1][4] = 183;
    pk[1][5] = 0x00;                           /* no flags: stuffing */
    push(f, &pk[0][0], sizeof pk, 188);
    push(f, &pk[0][0], 188, 188);
    assert_int_equal(f->n, 1);
    assert_memory_equal(f->secs[0], a, sizeof a);
}

/* discontinuity_indicator (13818-1 2.4.3.5): the CC jumps legitimately;
 * the section before it is not continued, no error is counted, and the
 * section after it is received. */
static void test_discontinuity_indicator(void **state)
{
    fx *f = *state;
    uint8_t pk[3][188], a[300], b[40];
    make_section(a, sizeof a, 3);
    make_section(b, sizeof b, 4);
    packet(pk[0], 1, 0);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, a, 183);                 /* a's first part */
    packet(pk[1], 1, 9);                       /* CC jumps 0 -> 9 */
    pk[1][3] = (uint8_t)(0x30 | 9);
    pk[1][4] = 1;
    pk[1][5] = 0x80;                           /* discontinuity_indicator */
    pk[1][6] = 0;                              /* pointer_field */
    memcpy(pk[1] + 7, b, sizeof b);
    packet(pk[2], 0, 10);
    push(f, &pk[0][0], sizeof pk, 188);
    assert_int_equal(f->n, 1);
    assert_memory_equal(f->secs[0], b, sizeof b);
    dvb_secasm_stats st;
    dvb_secasm_stats_get(f->a, &st);
    assert_int_equal(st.cc_errors, 0);
}

static void test_header_split_across_packets(void **state)
{
    fx *f = *state;
    uint8_t pk[3][188], a[183], b[60];
    make_section(a, sizeof a - 2, 8);
    make_section(b, sizeof b, 9);
    packet(pk[0], 1, 0);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, a, 181);
    memcpy(pk[0] + 5 + 181, b, 2);             /* b's first two bytes */
    packet(pk[1], 0, 1);
    memcpy(pk[1] + 4, b + 2, sizeof b - 2);
    packet(pk[2], 0, 2);
    push(f, &pk[0][0], sizeof pk, 188);
    assert_int_equal(f->n, 2);
    assert_memory_equal(f->secs[0], a, 181);
    assert_memory_equal(f->secs[1], b, sizeof b);
}

static void test_204_byte_packets(void **state)
{
    fx *f = *state;
    uint8_t buf[4 * 204], a[64];
    make_section(a, sizeof a, 10);
    for (unsigned k = 0; k < 4; k++) {
        packet(buf + 204 * k, 1, k);
        buf[204 * k + 4] = 0;
        memcpy(buf + 204 * k + 5, a, sizeof a);
        memset(buf + 204 * k + 188, 0x00, 16); /* parity bytes */
        if (k == 1)
            buf[204 * k + 188] = 0x47;         /* a decoy at +188 */
    }
    push(f, buf, sizeof buf, 5);
    /* The first packet is read as a 188-byte one before sync is lost
     * (the receiver was locked to 188), the others after the hunt. */
    assert_true(f->n >= 3);
    for (size_t i = 0; i < f->n; i++)
        assert_memory_equal(f->secs[i], a, sizeof a);
}

static void test_bad_pointer_field(void **state)
{
    fx *f = *state;
    uint8_t pk[2][188];
    packet(pk[0], 1, 0);
    pk[0][4] = 200;                            /* beyond the packet */
    packet(pk[1], 1, 1);
    pk[1][4] = 0;
    make_section(pk[1] + 5, 30, 11);
    push(f, &pk[0][0], sizeof pk, 188);
    push(f, &pk[0][0], 188, 188);
    assert_int_equal(f->n, 1);
    dvb_secasm_stats st;
    dvb_secasm_stats_get(f->a, &st);
    assert_true(st.bad_packets >= 1);
}


/* ---- chunking: packets handed on in place, cut packets, lost sync ---- */

typedef struct {
    dvb_ts *ts;
    dvb_secasm *a;
    size_t nsec;
    uint32_t digest;           /* CRC over every section received, in order */
    size_t packets;
} sink;

static void sink_sec(void *ud, int pid, const uint8_t *s, size_t len)
{
    sink *k = ud;
    (void)pid;
    k->nsec++;
    uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };
    k->digest = dvb_crc32_update(k->digest, l, 2);
    k->digest = dvb_crc32_update(k->digest, s, len);
}

static void sink_pkt(void *ud, const uint8_t *p)
{
    sink *k = ud;
    k->packets++;
    if (dvb_ts_pid(p) == PID)
        dvb_secasm_push(k->a, p);
}

/* A stream of sections of many lengths over consecutive packets, with
 * null packets between, garbage that loses sync twice (once with a decoy
 * 0x47 where a packet should start), a duplicate packet and a CC gap. */
static size_t long_stream(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    unsigned cc = 0;
    uint64_t seed = 3;
    uint8_t sec[1200];
    size_t sec_len = 0, sec_at = 0;
    for (unsigned k = 0; n + 188 <= cap && k < 400; k++) {
        if (k == 120 || k == 260) {
            /* Garbage: sync is lost and found again. */
            for (unsigned g = 0; g < 97 + k && n < cap; g++)
                buf[n++] = (uint8_t)(g * 13 + (k == 260 && g == 0 ? 0x47 : 5));
            continue;
        }
        uint8_t *p = buf + n;
        if (k % 9 == 4) {                          /* a null packet */
            memset(p, 0xFF, 188);
            p[0] = 0x47;
            p[1] = 0x1F;
            p[3] = 0x10;
            n += 188;
            continue;
        }
        if (k == 200) {                            /* a CC gap */
            cc++;
        }
        size_t at = 4;
        bool pusi = sec_at == sec_len;
        packet(p, pusi, cc++);
        if (pusi)
            p[at++] = 0;
        while (at < 188) {
            if (sec_at == sec_len) {
                if (!pusi)
                    break;          /* sections start in PUSI packets only */
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                sec_len = 20 + (size_t)(seed >> 33) % 1100;
                make_section(sec, sec_len, (uint8_t)(seed >> 20));
                sec_at = 0;
            }
            size_t take = sec_len - sec_at < 188 - at ? sec_len - sec_at
                                                      : 188 - at;
            memcpy(p + at, sec + sec_at, take);
            sec_at += take;
            at += take;
        }
        n += 188;
        if (k == 50) {                             /* a duplicate */
            memcpy(buf + n, p, 188);
            n += 188;
        }
    }
    return n;
}

static void run_chunked(const uint8_t *buf, size_t len, size_t chunk,
                        sink *k)
{
    memset(k, 0, sizeof *k);
    assert_int_equal(dvb_ts_create(sink_pkt, k, NULL, &k->ts), DVB_OK);
    assert_int_equal(dvb_secasm_create(PID, sink_sec, k, NULL, &k->a),
                     DVB_OK);
    for (size_t off = 0; off < len; off += chunk)
        dvb_ts_push(k->ts, buf + off, len - off < chunk ? len - off : chunk);
}

static void test_chunking_invariant(void **state)
{
    (void)state;
    size_t cap = 420 * 188;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = long_stream(buf, cap);
    sink whole;
    run_chunked(buf, len, len, &whole);
    assert_true(whole.nsec > 50);
    assert_int_equal(dvb_ts_sync_losses(whole.ts), 2);
    static const size_t chunks[] = { 1, 2, 7, 187, 188, 189, 375, 376, 377,
                                     1000, 4096, 65536 };
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        sink k;
        run_chunked(buf, len, chunks[c], &k);
        assert_int_equal(k.packets, whole.packets);
        assert_int_equal(k.nsec, whole.nsec);
        assert_int_equal(k.digest, whole.digest);
        assert_int_equal(dvb_ts_sync_losses(k.ts), 2);
        dvb_ts_destroy(k.ts);
        dvb_secasm_destroy(k.a);
    }
    dvb_ts_destroy(whole.ts);
    dvb_secasm_destroy(whole.a);
    free(buf);
}

/* ---- the want callback: sections passed over uncopied ---- */

typedef struct {
    fx *f;
    int calls;
    dvb_section_want answer[4];    /* per call; then KEEP */
    size_t head_len[4];
} want_ctx;

static want_ctx *g_want;

static dvb_section_want want_cb(void *ud, int pid, const uint8_t *head,
                                size_t head_len, size_t sec_len)
{
    (void)ud;
    assert_int_equal(pid, PID);
    assert_true(head_len >= 3 && head_len < sec_len);
    assert_int_equal(3u + (((size_t)(head[1] & 0x0F) << 8) | head[2]),
                     sec_len);
    want_ctx *w = g_want;
    int i = w->calls++;
    if (i >= 4)
        return DVB_SECTION_KEEP;
    w->head_len[i] = head_len;
    return w->answer[i];
}

/* The three packets of spanning(): a (400 bytes) over all three, c (50)
 * after it in the third; gap drops the middle one. */
static void spanning_want(fx *f, want_ctx *w, int gap)
{
    g_want = w;
    dvb_secasm_set_want(f->a, want_cb);
    uint8_t a[400], c[50], pk[3][188];
    spanning_packets(pk, a, c);
    push(f, pk[0], 188, 188);
    if (!gap)
        push(f, pk[1], 188, 188);
    push(f, pk[2], 188, 188);
    assert_memory_equal(f->secs[f->n - 1], c, sizeof c);
}

static void test_want_skip(void **state)
{
    fx *f = *state;
    want_ctx w = { .answer = { DVB_SECTION_SKIP } };
    spanning_want(f, &w, 0);
    /* Asked once, after the first packet; c fits in its packet and is
     * never asked about. */
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.head_len[0], 183);
    assert_int_equal(f->n, 1);
    dvb_secasm_stats st;
    dvb_secasm_stats_get(f->a, &st);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.sections, 1);
    assert_int_equal(st.cc_errors, 0);
}

static void test_want_keep_and_more(void **state)
{
    fx *f = *state;
    want_ctx w = { .answer = { DVB_SECTION_MORE, DVB_SECTION_KEEP } };
    spanning_want(f, &w, 0);
    assert_int_equal(w.calls, 2);
    assert_int_equal(w.head_len[0], 183);
    assert_int_equal(w.head_len[1], 367);
    assert_int_equal(f->n, 2);
    uint8_t a[400];
    make_section(a, sizeof a, 3);
    assert_memory_equal(f->secs[0], a, sizeof a);
}

static void test_want_more_then_skip(void **state)
{
    fx *f = *state;
    want_ctx w = { .answer = { DVB_SECTION_MORE, DVB_SECTION_SKIP } };
    spanning_want(f, &w, 0);
    assert_int_equal(w.calls, 2);
    assert_int_equal(f->n, 1);
}

/* A skipped section cut by a continuity gap is dropped as a collected
 * one would be (the error counted), and the next section is whole. */
static void test_want_skip_cut(void **state)
{
    fx *f = *state;
    want_ctx w = { .answer = { DVB_SECTION_SKIP } };
    spanning_want(f, &w, 1);
    assert_int_equal(f->n, 1);
    dvb_secasm_stats st;
    dvb_secasm_stats_get(f->a, &st);
    assert_int_equal(st.cc_errors, 1);
    assert_int_equal(st.skipped, 0);
    /* The next section spanning packets is asked about afresh and kept. */
    w.answer[1] = DVB_SECTION_KEEP;
    uint8_t b[300], pk[2][188];
    make_section(b, sizeof b, 12);
    packet(pk[0], 1, 3);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, b, 183);
    packet(pk[1], 0, 4);
    memcpy(pk[1] + 4, b + 183, sizeof b - 183);
    push(f, &pk[0][0], sizeof pk, 188);
    assert_int_equal(w.calls, 2);
    assert_int_equal(f->n, 2);
    assert_memory_equal(f->secs[1], b, sizeof b);
}

/* A skipped section whose length runs past the next pointer_field: the
 * inconsistency is counted as for a collected one, and the section the
 * pointer_field leads to is received. */
static void test_want_skip_bad_pointer(void **state)
{
    fx *f = *state;
    want_ctx w = { .answer = { DVB_SECTION_SKIP } };
    g_want = &w;
    dvb_secasm_set_want(f->a, want_cb);
    uint8_t a[400], c[40], pk[2][188];
    make_section(a, sizeof a, 5);
    make_section(c, sizeof c, 6);
    packet(pk[0], 1, 0);
    pk[0][4] = 0;
    memcpy(pk[0] + 5, a, 183);
    packet(pk[1], 1, 1);
    pk[1][4] = 10;                  /* says a ends 10 bytes in: too soon */
    memcpy(pk[1] + 5, a + 183, 10);
    memcpy(pk[1] + 15, c, sizeof c);
    push(f, &pk[0][0], sizeof pk, 188);
    assert_int_equal(f->n, 1);
    assert_memory_equal(f->secs[0], c, sizeof c);
    dvb_secasm_stats st;
    dvb_secasm_stats_get(f->a, &st);
    assert_int_equal(st.cc_errors, 1);
    assert_int_equal(st.skipped, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_golden),
        cmocka_unit_test(test_crc_sliced),
        cmocka_unit_test(test_crc_clmul),
        cmocka_unit_test_setup_teardown(test_several_sections_per_packet,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_section_spanning_packets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cc_discontinuity_drops, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_packet_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_odd_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_before_sync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transport_error_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_adaptation_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_discontinuity_indicator, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_header_split_across_packets,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_204_byte_packets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_pointer_field, setup,
                                        teardown),
        cmocka_unit_test(test_chunking_invariant),
        cmocka_unit_test_setup_teardown(test_want_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_want_keep_and_more, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_want_more_then_skip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_want_skip_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_want_skip_bad_pointer, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
