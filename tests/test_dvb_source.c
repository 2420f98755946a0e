/*
 * Transport-stream sources (dvb/dvb_source.h) end to end: every source
 * feeds a real receiver, and the store it builds must equal the store
 * built from the same file pushed in one go.
 *
 *   file   fast, paced (a fake clock checks the pacing arithmetic without
 *          timing anything; a real clock run checks only bytes and order),
 *          looped
 *   udp    for real on 127.0.0.1 (and a multicast group on loopback when
 *          the host allows it)
 *   rtp    the same with RFC 3550 headers; gaps, repeats and late
 *          datagrams counted; header parsing with every truncation
 *   demux  a fake device: the ops table opens pipes, records the ioctls,
 *          and the test writes sections (one write per section, as the
 *          kernel's read returns them) or TS packets into the pipes
 *
 * The stream is the OpenCaster fixture (tests/fixtures/broadcast), PID
 * 0x07D3, one carousel cycle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dvb/dmx.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dvb/dvb.h"
#include "dvb/dvb_source.h"
#include "dvb/dvb_ts.h"

#define MHP "tests/fixtures/broadcast/mhp-tutorial-ocdir1.ts"
#define MHP_PID 0x07D3

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- sinks ---- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
    size_t calls;
    size_t torn;               /* deliveries not a whole number of packets */
} bytes_sink;

static dvb_err to_bytes(void *ud, const uint8_t *d, size_t n)
{
    bytes_sink *b = ud;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
    b->calls++;
    if (n % 188)
        b->torn++;
    return DVB_OK;
}

static dvb_err to_rx(void *ud, const uint8_t *d, size_t n)
{
    return dvb_receiver_push(ud, d, n);
}

static dvb_receiver *new_rx(int pid)
{
    dvb_receiver_config c;
    memset(&c, 0, sizeof c);
    c.pid = pid;
    c.service_id = -1;
    c.carousel_id = -1;
    dvb_receiver *r = NULL;
    assert_int_equal(dvb_receiver_create(&c, &r), DVB_OK);
    return r;
}

/* ---- stores compared entry by entry ---- */

typedef struct {
    char path[512];
    int is_dir;
    const uint8_t *data;
    size_t len;
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} entries;

static int collect(void *ud, const char *path, int is_dir, const uint8_t *data,
                   size_t len)
{
    entries *es = ud;
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 64;
        es->e = realloc(es->e, es->cap * sizeof *es->e);
        assert_non_null(es->e);
    }
    entry *e = &es->e[es->n++];
    snprintf(e->path, sizeof e->path, "%s", path);
    e->is_dir = is_dir;
    e->data = data;
    e->len = len;
    return 0;
}

static void assert_same_store(dvb_receiver *got_rx, dvb_receiver *want_rx)
{
    dvb_store *got = dvb_receiver_store(got_rx);
    dvb_store *want = dvb_receiver_store(want_rx);
    assert_non_null(want);
    if (!got)
        fail_msg("the source's receiver has no complete store");
    entries a = { 0 }, b = { 0 };
    dvb_store_walk(got, collect, &a);
    dvb_store_walk(want, collect, &b);
    assert_true(b.n > 10);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.e[i].path, b.e[i].path);
        assert_int_equal(a.e[i].is_dir, b.e[i].is_dir);
        assert_int_equal(a.e[i].len, b.e[i].len);
        if (a.e[i].len)
            assert_memory_equal(a.e[i].data, b.e[i].data, a.e[i].len);
    }
    free(a.e);
    free(b.e);
    dvb_store_release(got);
    dvb_store_release(want);
}

/* The reference: the fixture pushed in one call. */
static dvb_receiver *reference_rx(void)
{
    size_t len;
    uint8_t *ts = read_all(MHP, &len);
    dvb_receiver *r = new_rx(MHP_PID);
    assert_int_equal(dvb_receiver_push(r, ts, len), DVB_OK);
    free(ts);
    return r;
}

static dvb_source_config sink_cfg(dvb_source_sink_fn fn, void *ud)
{
    dvb_source_config c;
    memset(&c, 0, sizeof c);
    c.sink = fn;
    c.sink_ud = ud;
    return c;
}

/* ---- file ---- */

static void test_file_fast(void **state)
{
    (void)state;
    size_t len;
    uint8_t *want = read_all(MHP, &len);
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.chunk_bytes = 188 * 10;
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open(&c, MHP, &s), DVB_OK);
    assert_int_equal(dvb_source_kind_of(s), DVB_SOURCE_FILE);
    assert_int_equal(dvb_source_fd(s), -1);
    assert_int_equal(dvb_source_timeout_ms(s), 0);
    size_t pumps = 0;
    while (!dvb_source_eof(s)) {
        assert_int_equal(dvb_source_pump(s), DVB_OK);
        assert_true(++pumps < 100000);
    }
    assert_int_equal(dvb_source_timeout_ms(s), -1);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, want, len);
    assert_int_equal(b.torn, 0);
    assert_int_equal(b.calls, (len + 1879) / 1880);
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    assert_int_equal(st.bytes, len);
    assert_int_equal(st.loops, 0);
    dvb_source_destroy(s);
    free(b.data);
    free(want);
}

static void test_file_into_receiver(void **state)
{
    (void)state;
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_file(&c, MHP, &s), DVB_OK);
    while (!dvb_source_eof(s))
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    assert_same_store(rx, ref);
    dvb_source_destroy(s);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

static uint64_t fake_now(void *ud)
{
    return *(uint64_t *)ud;
}

/* Pacing against a clock the test moves: bytes delivered are exactly the
 * whole packets that rate x elapsed allows. */
static void test_file_paced_fake_clock(void **state)
{
    (void)state;
    size_t len;
    uint8_t *want = read_all(MHP, &len);
    bytes_sink b = { 0 };
    uint64_t now = 5000000000ull;
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.rate_bps = 1000000;                  /* 125 000 bytes per second */
    c.now_ns = fake_now;
    c.now_ud = &now;
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_file(&c, MHP, &s), DVB_OK);
    assert_int_equal(dvb_source_pump(s), DVB_OK);   /* t = 0: nothing yet */
    assert_int_equal(b.len, 0);
    int t = dvb_source_timeout_ms(s);
    assert_true(t >= 1 && t <= 20);        /* 10 ms of stream is 1250 bytes */
    now += 100000000ull;                   /* +100 ms: 12 500 bytes allowed */
    assert_int_equal(dvb_source_timeout_ms(s), 0);
    assert_int_equal(dvb_source_pump(s), DVB_OK);
    assert_int_equal(b.len, (12500 / 188) * 188);
    assert_int_equal(dvb_source_pump(s), DVB_OK);   /* same instant: no more */
    assert_int_equal(b.len, (12500 / 188) * 188);
    assert_true(dvb_source_timeout_ms(s) > 0);
    /* A late wake-up catches up (up to a chunk per pump). */
    now += 400000000ull;                   /* t = 500 ms: 62 500 bytes */
    while (b.len < (62500 / 188) * 188) {
        size_t before = b.len;
        assert_int_equal(dvb_source_pump(s), DVB_OK);
        assert_true(b.len > before);
    }
    assert_int_equal(b.len, (62500 / 188) * 188);
    /* The rest. */
    for (int i = 0; i < 100000 && !dvb_source_eof(s); i++) {
        now += 10000000ull;
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    }
    assert_true(dvb_source_eof(s));
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, want, len);
    assert_int_equal(b.torn, 0);
    dvb_source_destroy(s);
    free(b.data);
    free(want);
}

/* The same on the real clock, the way the app's loop runs it.  Only bytes
 * and order are checked, never how long it took. */
static void test_file_paced_wall_clock(void **state)
{
    (void)state;
    size_t len;
    uint8_t *want = read_all(MHP, &len);
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.rate_bps = 40000000;                 /* about 32 ms for the file */
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_file(&c, MHP, &s), DVB_OK);
    while (!dvb_source_eof(s)) {
        int t = dvb_source_timeout_ms(s);
        assert_true(t >= 0 && t <= 1000);
        poll(NULL, 0, t);
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    }
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, want, len);
    assert_true(b.calls > 1);              /* it was paced, not one read */
    dvb_source_destroy(s);
    free(b.data);
    free(want);
}

static void test_file_loop(void **state)
{
    (void)state;
    size_t len;
    uint8_t *want = read_all(MHP, &len);
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.loop = true;
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_file(&c, MHP, &s), DVB_OK);
    dvb_source_stats st;
    do {
        assert_int_equal(dvb_source_pump(s), DVB_OK);
        dvb_source_stats_get(s, &st);
    } while (st.loops < 3);
    assert_false(dvb_source_eof(s));
    assert_int_equal(b.len, 3 * len);
    for (int i = 0; i < 3; i++)
        assert_memory_equal(b.data + (size_t)i * len, want, len);
    dvb_source_destroy(s);
    free(b.data);
    free(want);
}

static void test_file_errors(void **state)
{
    (void)state;
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open(&c, "tests/fixtures/no-such.ts", &s),
                     DVB_EIO);
    assert_null(s);
    dvb_source_config none = sink_cfg(NULL, NULL);
    assert_int_equal(dvb_source_open(&none, MHP, &s), DVB_EINVAL);
    /* An empty file, looped, ends instead of spinning. */
    char path[] = "/tmp/civictv-empty-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    c.loop = true;
    assert_int_equal(dvb_source_open(&c, path, &s), DVB_OK);
    assert_int_equal(dvb_source_pump(s), DVB_OK);
    assert_true(dvb_source_eof(s));
    assert_int_equal(b.len, 0);
    dvb_source_destroy(s);
    unlink(path);
    dvb_source_destroy(NULL);
}

/* ---- network ---- */

static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* What the sender does to each datagram, by index. */
typedef enum { SEND, SKIP, TWICE } send_op;

typedef struct {
    const char *group;         /* destination address */
    bool rtp;
    const send_op *ops;        /* NULL: send every datagram once */
    size_t nops;
    uint16_t first_seq;
    int passes;                /* times the file is sent */
    const size_t *late;        /* datagram indexes re-sent one step later */
    size_t nlate;
} send_plan;

/* Sends the fixture as 7 x 188-byte datagrams, pumping the source after
 * each few so the socket buffer never overflows. */
static bool send_stream(dvb_source *s, int port, const send_plan *p)
{
    bool sent_all = true;
    size_t len;
    uint8_t *ts = read_all(MHP, &len);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, p->group, &to.sin_addr), 1);
    uint8_t dg[12 + 7 * 188];
    uint16_t seq = p->first_seq;
    size_t idx = 0;
    for (int pass = 0; pass < p->passes; pass++) {
        for (size_t off = 0; off < len; off += 7 * 188, idx++) {
            size_t n = len - off < 7 * 188 ? len - off : 7 * 188;
            size_t h = 0;
            if (p->rtp) {
                dg[0] = 0x80;
                dg[1] = 33;
                dg[2] = (uint8_t)(seq >> 8);
                dg[3] = (uint8_t)seq;
                memset(dg + 4, 0, 4);
                memcpy(dg + 8, "\x12\x34\x56\x78", 4);
                h = 12;
            }
            seq++;
            memcpy(dg + h, ts + off, n);
            send_op op = p->ops && idx < p->nops ? p->ops[idx] : SEND;
            for (int k = 0; k < (op == TWICE ? 2 : op == SEND ? 1 : 0); k++)
                if (sendto(fd, dg, h + n, 0, (struct sockaddr *)&to,
                           sizeof to) != (ssize_t)(h + n))
                    sent_all = false;
            for (size_t l = 0; l < p->nlate; l++) {
                /* Re-send datagram late[l] after its successor. */
                if (p->late[l] + 1 == idx && idx > 0) {
                    uint16_t old = (uint16_t)(seq - 2);
                    dg[2] = (uint8_t)(old >> 8);
                    dg[3] = (uint8_t)old;
                    sendto(fd, dg, h + n, 0, (struct sockaddr *)&to, sizeof to);
                }
            }
            if (idx % 8 == 7) {
                struct pollfd pf = { dvb_source_fd(s), POLLIN, 0 };
                poll(&pf, 1, 100);
                assert_int_equal(dvb_source_pump(s), DVB_OK);
            }
        }
    }
    /* Drain: loopback delivers at once, but leave a little room. */
    for (int i = 0; i < 50; i++) {
        struct pollfd pf = { dvb_source_fd(s), POLLIN, 0 };
        if (poll(&pf, 1, i < 5 ? 50 : 0) <= 0)
            break;
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    }
    close(fd);
    free(ts);
    return sent_all;
}

static void net_roundtrip(const char *scheme, bool rtp)
{
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    int port = free_udp_port();
    char url[64];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme, port);
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open(&c, url, &s), DVB_OK);
    assert_int_equal(dvb_source_kind_of(s), rtp ? DVB_SOURCE_RTP : DVB_SOURCE_UDP);
    assert_true(dvb_source_fd(s) >= 0);
    assert_int_equal(dvb_source_timeout_ms(s), -1);
    assert_int_equal(dvb_source_pump(s), DVB_OK);       /* nothing yet */
    send_plan p = { "127.0.0.1", rtp, NULL, 0, 65530, 1, NULL, 0 };
    assert_true(send_stream(s, port, &p));
    size_t len;
    free(read_all(MHP, &len));
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    assert_int_equal(st.bytes, len);
    assert_int_equal(st.reads, (len + 1315) / 1316);
    assert_int_equal(st.rtp_lost, 0);                   /* across the wrap */
    assert_int_equal(st.rtp_bad, 0);
    assert_false(dvb_source_eof(s));
    assert_same_store(rx, ref);
    dvb_source_destroy(s);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

static void test_udp_loopback(void **state)
{
    (void)state;
    net_roundtrip("udp", false);
}

static void test_rtp_loopback(void **state)
{
    (void)state;
    net_roundtrip("rtp", true);
}

/* Lost, repeated and late datagrams: counted; a second clean pass still
 * completes the carousel. */
static void test_rtp_gaps(void **state)
{
    (void)state;
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    int port = free_udp_port();
    char url[64];
    snprintf(url, sizeof url, "rtp://127.0.0.1:%d", port);
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open(&c, url, &s), DVB_OK);
    send_op ops[40];
    for (size_t i = 0; i < 40; i++)
        ops[i] = SEND;
    ops[5] = SKIP;                         /* a gap of one */
    ops[20] = SKIP;                        /* a gap of three */
    ops[21] = SKIP;
    ops[22] = SKIP;
    ops[30] = TWICE;                       /* a repeat */
    size_t late[] = { 35 };                /* 35 again after 36 */
    send_plan p = { "127.0.0.1", true, ops, 40, 100, 2, late, 1 };
    assert_true(send_stream(s, port, &p));
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    assert_int_equal(st.rtp_gaps, 2);
    assert_int_equal(st.rtp_lost, 4);
    assert_int_equal(st.rtp_duplicates, 1);
    assert_int_equal(st.rtp_late, 1);
    assert_same_store(rx, ref);
    dvb_source_destroy(s);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

static void test_udp_multicast(void **state)
{
    (void)state;
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    int port = free_udp_port();
    char url[64];
    snprintf(url, sizeof url, "udp://@239.255.42.42:%d", port);
    dvb_source *s = NULL;
    if (dvb_source_open(&c, url, &s) != DVB_OK) {
        dvb_receiver_destroy(rx);
        dvb_receiver_destroy(ref);
        skip();                        /* no multicast route on this host */
    }
    send_plan p = { "239.255.42.42", false, NULL, 0, 0, 1, NULL, 0 };
    bool sent = send_stream(s, port, &p);
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    if (!sent || st.bytes == 0) {
        dvb_source_destroy(s);
        dvb_receiver_destroy(rx);
        dvb_receiver_destroy(ref);
        skip();                        /* joined, but loopback not routed */
    }
    assert_same_store(rx, ref);
    dvb_source_destroy(s);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

static void test_net_bad_urls(void **state)
{
    (void)state;
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    const char *bad[] = {
        "udp://", "udp://127.0.0.1", "udp://127.0.0.1:", "udp://127.0.0.1:0",
        "udp://127.0.0.1:65536", "udp://127.0.0.1:12x", "rtp://::1:1234",
        "rtp://[::1:1234", "udp://no.such.host.invalid:1234",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dvb_source *s = (dvb_source *)1;
        dvb_err e = dvb_source_open(&c, bad[i], &s);
        if (e == DVB_OK)
            fail_msg("%s was accepted", bad[i]);
        assert_null(s);
    }
}

/* ---- RTP header parsing ---- */

static void test_rtp_parse(void **state)
{
    (void)state;
    /* V=2, P, X, CC=2, M, PT=33, seq 0xBEEF; 2 CSRCs; an extension of one
     * word; 5 payload bytes; 3 bytes of padding. */
    const uint8_t dg[] = {
        0xB2, 0xA1, 0xBE, 0xEF, 0, 0, 0, 9, 1, 2, 3, 4,
        0, 0, 0, 1, 0, 0, 0, 2,
        0xAB, 0xCD, 0x00, 0x01, 9, 9, 9, 9,
        'h', 'e', 'l', 'l', 'o',
        0, 0, 3,
    };
    dvb_rtp_header h;
    assert_int_equal(dvb_rtp_parse(dg, sizeof dg, &h), DVB_OK);
    assert_int_equal(h.version, 2);
    assert_true(h.padding && h.extension && h.marker);
    assert_int_equal(h.csrc_count, 2);
    assert_int_equal(h.payload_type, 33);
    assert_int_equal(h.sequence_number, 0xBEEF);
    assert_int_equal(h.timestamp, 9);
    assert_int_equal(h.ssrc, 0x01020304);
    assert_int_equal(h.payload_len, 5);
    assert_memory_equal(h.payload, "hello", 5);
    /* Every truncation fails cleanly (exact-size copies for ASan). */
    for (size_t n = 0; n < sizeof dg; n++) {
        uint8_t *cp = malloc(n ? n : 1);
        assert_non_null(cp);
        memcpy(cp, dg, n);
        assert_int_not_equal(dvb_rtp_parse(cp, n, &h), DVB_OK);
        free(cp);
    }
    uint8_t v1[12] = { 0x40 };
    assert_int_equal(dvb_rtp_parse(v1, sizeof v1, &h), DVB_ESYNTAX);
    uint8_t pad0[13] = { 0xA0 };           /* padding count 0 */
    assert_int_equal(dvb_rtp_parse(pad0, sizeof pad0, &h), DVB_ESYNTAX);
    uint8_t padbig[13] = { 0xA0, [12] = 2 };  /* more padding than payload */
    assert_int_equal(dvb_rtp_parse(padbig, sizeof padbig, &h), DVB_ESYNTAX);
    uint8_t bare[12] = { 0x80, 33 };       /* header only: empty payload */
    assert_int_equal(dvb_rtp_parse(bare, sizeof bare, &h), DVB_OK);
    assert_int_equal(h.payload_len, 0);
    assert_int_equal(dvb_rtp_parse(NULL, 0, &h), DVB_EINVAL);
}

/* ---- demux, against a fake device ---- */

typedef struct {
    int rd, wr;                /* the pipe standing in for one open() */
    unsigned long buffer;      /* DMX_SET_BUFFER_SIZE */
    int set_filter;            /* DMX_SET_FILTER seen */
    struct dmx_sct_filter_params sct;
    int set_pes;
    struct dmx_pes_filter_params pes;
    uint16_t added[8];         /* DMX_ADD_PID */
    int nadded;
} fake_fd;

typedef struct {
    fake_fd fd[8];
    int n;
    int overflow_once;         /* next read on any fd fails EOVERFLOW */
    int fail_ioctl;            /* DMX_SET_FILTER fails */
    int closed;
} fake_dev;

static fake_fd *fake_find(fake_dev *d, int fd)
{
    for (int i = 0; i < d->n; i++)
        if (d->fd[i].rd == fd)
            return &d->fd[i];
    fail_msg("fd %d is not the fake device's", fd);
    return NULL;
}

static int fake_open(void *ud, const char *path, int flags)
{
    fake_dev *d = ud;
    assert_string_equal(path, "/dev/dvb/adapter0/demux0");
    assert_true(flags & O_NONBLOCK);
    assert_true(d->n < 8);
    int p[2];
    assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    fake_fd *f = &d->fd[d->n++];
    memset(f, 0, sizeof *f);
    f->rd = p[0];
    f->wr = p[1];
    return p[0];
}

static int fake_ioctl(void *ud, int fd, unsigned long req, void *arg)
{
    fake_dev *d = ud;
    fake_fd *f = fake_find(d, fd);
    if (req == (unsigned long)DMX_SET_BUFFER_SIZE) {
        f->buffer = (unsigned long)arg;
    } else if (req == (unsigned long)DMX_SET_FILTER) {
        if (d->fail_ioctl) {
            errno = EINVAL;
            return -1;
        }
        f->set_filter++;
        memcpy(&f->sct, arg, sizeof f->sct);
    } else if (req == (unsigned long)DMX_SET_PES_FILTER) {
        f->set_pes++;
        memcpy(&f->pes, arg, sizeof f->pes);
    } else if (req == (unsigned long)DMX_ADD_PID) {
        assert_true(f->nadded < 8);
        f->added[f->nadded++] = *(uint16_t *)arg;
    } else {
        fail_msg("unexpected ioctl 0x%lx", req);
    }
    return 0;
}

static ssize_t fake_read(void *ud, int fd, void *buf, size_t len)
{
    fake_dev *d = ud;
    (void)fake_find(d, fd);
    if (d->overflow_once) {
        d->overflow_once = 0;
        errno = EOVERFLOW;
        return -1;
    }
    return read(fd, buf, len);
}

static int fake_close(void *ud, int fd)
{
    fake_dev *d = ud;
    fake_fd *f = fake_find(d, fd);
    close(f->wr);
    d->closed++;
    return close(fd);
}

static void fake_teardown(fake_dev *d)
{
    assert_int_equal(d->closed, d->n);
}

/* The fixture's sections, in stream order. */
typedef struct {
    uint8_t (*sec)[4096];
    size_t *len;
    size_t n, cap;
} sections;

static void on_sec_any(void *ud, int pid, const uint8_t *sec, size_t len)
{
    sections *s = ud;
    (void)pid;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->sec = realloc(s->sec, s->cap * sizeof *s->sec);
        s->len = realloc(s->len, s->cap * sizeof *s->len);
        assert_true(s->sec && s->len);
    }
    assert_true(len <= 4096);
    memcpy(s->sec[s->n], sec, len);
    s->len[s->n++] = len;
}

static void on_sec(void *ud, int pid, const uint8_t *sec, size_t len)
{
    assert_int_equal(pid, MHP_PID);
    on_sec_any(ud, pid, sec, len);
}

static void split_sections(sections *out)
{
    size_t len;
    uint8_t *ts = read_all(MHP, &len);
    dvb_secasm *a = NULL;
    assert_int_equal(dvb_secasm_create(MHP_PID, on_sec, out, NULL, &a), DVB_OK);
    for (size_t off = 0; off + 188 <= len; off += 188)
        if (dvb_ts_pid(ts + off) == MHP_PID)
            dvb_secasm_push(a, ts + off);
    dvb_secasm_destroy(a);
    free(ts);
    assert_true(out->n > 20);
}

static void test_demux_sections(void **state)
{
    (void)state;
    fake_dev dev;
    memset(&dev, 0, sizeof dev);
    dvb_demux_ops ops = { fake_open, fake_ioctl, fake_read, fake_close, &dev };
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    c.demux_ops = &ops;
    c.demux_buffer = 256 * 1024;
    dvb_demux_filter f[] = { { MHP_PID, 0x3B }, { MHP_PID, 0x3C } };
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_demux(&c, "/dev/dvb/adapter0/demux0", f, 2,
                                           &s),
                     DVB_OK);
    assert_int_equal(dvb_source_kind_of(s), DVB_SOURCE_DEMUX);
    assert_int_equal(dev.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dev.fd[i].buffer, 256 * 1024);
        assert_int_equal(dev.fd[i].set_filter, 1);
        assert_int_equal(dev.fd[i].set_pes, 0);
        assert_int_equal(dev.fd[i].sct.pid, MHP_PID);
        assert_int_equal(dev.fd[i].sct.filter.filter[0], f[i].table_id);
        assert_int_equal(dev.fd[i].sct.filter.mask[0], 0xFF);
        assert_true(dev.fd[i].sct.flags & DMX_IMMEDIATE_START);
    }
    int pfd = dvb_source_fd(s);
    assert_true(pfd >= 0);
    struct pollfd pf = { pfd, POLLIN, 0 };
    assert_int_equal(poll(&pf, 1, 0), 0);          /* nothing written yet */

    sections secs = { 0 };
    split_sections(&secs);
    /* One write per section, as the kernel's read returns them; the
     * DDBs of the last few go in one write, as a coalescing fake would. */
    size_t k = 0;
    for (size_t i = 0; i < secs.n; i++) {
        int which = secs.sec[i][0] == 0x3B ? 0 : 1;
        assert_int_equal(write(dev.fd[which].wr, secs.sec[i], secs.len[i]),
                         (ssize_t)secs.len[i]);
        if (++k % 4 == 0 || i + 1 == secs.n) {
            assert_int_equal(poll(&pf, 1, 1000), 1);   /* epoll is readable */
            assert_int_equal(dvb_source_pump(s), DVB_OK);
        }
    }
    assert_int_equal(poll(&pf, 1, 0), 0);          /* all read */
    assert_same_store(rx, ref);

    /* An overflow is counted, and reading goes on. */
    dev.overflow_once = 1;
    assert_int_equal(write(dev.fd[0].wr, secs.sec[0], secs.len[0]),
                     (ssize_t)secs.len[0]);
    assert_int_equal(dvb_source_pump(s), DVB_OK);
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    assert_int_equal(st.overflows, 1);
    assert_int_equal(poll(&pf, 1, 0), 0);
    dvb_source_destroy(s);
    fake_teardown(&dev);
    free(secs.sec);
    free(secs.len);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

/* Sections packed into TS come out as the same sections. */
static void test_demux_repacketise(void **state)
{
    (void)state;
    fake_dev dev;
    memset(&dev, 0, sizeof dev);
    dvb_demux_ops ops = { fake_open, fake_ioctl, fake_read, fake_close, &dev };
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.demux_ops = &ops;
    dvb_demux_filter f[] = { { 0x123, 0x3C } };
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_demux(&c, "/dev/dvb/adapter0/demux0", f, 1,
                                           &s),
                     DVB_OK);
    assert_int_equal(dev.fd[0].buffer, 1u << 20);
    /* Sections of 3, 180, 184, 400 and 4096 bytes, written in pieces. */
    static const size_t sizes[] = { 3, 180, 184, 400, 4096 };
    uint8_t all[8192];
    size_t total = 0;
    for (size_t i = 0; i < 5; i++) {
        uint8_t *p = all + total;
        size_t body = sizes[i] - 3;
        p[0] = 0x3C;
        p[1] = (uint8_t)(0xB0 | (body >> 8));
        p[2] = (uint8_t)body;
        for (size_t j = 3; j < sizes[i]; j++)
            p[j] = (uint8_t)(i * 31 + j);
        total += sizes[i];
    }
    for (size_t off = 0; off < total; off += 1000) {
        size_t n = total - off < 1000 ? total - off : 1000;
        assert_int_equal(write(dev.fd[0].wr, all + off, n), (ssize_t)n);
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    }
    assert_int_equal(b.torn, 0);
    sections got = { 0 };
    dvb_secasm *a = NULL;
    assert_int_equal(dvb_secasm_create(0x123, on_sec_any, &got, NULL, &a), DVB_OK);
    for (size_t off = 0; off < b.len; off += 188) {
        assert_int_equal(b.data[off], 0x47);
        assert_int_equal(dvb_ts_pid(b.data + off), 0x123);
        dvb_secasm_push(a, b.data + off);
    }
    dvb_secasm_stats ss;
    dvb_secasm_stats_get(a, &ss);
    assert_int_equal(ss.cc_errors, 0);
    dvb_secasm_destroy(a);
    assert_int_equal(got.n, 5);
    size_t off = 0;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(got.len[i], sizes[i]);
        assert_memory_equal(got.sec[i], all + off, sizes[i]);
        off += sizes[i];
    }
    dvb_source_destroy(s);
    fake_teardown(&dev);
    free(got.sec);
    free(got.len);
    free(b.data);
}

static void test_demux_ts_tap(void **state)
{
    (void)state;
    fake_dev dev;
    memset(&dev, 0, sizeof dev);
    dvb_demux_ops ops = { fake_open, fake_ioctl, fake_read, fake_close, &dev };
    dvb_receiver *ref = reference_rx();
    dvb_receiver *rx = new_rx(MHP_PID);
    dvb_source_config c = sink_cfg(to_rx, rx);
    c.demux_ops = &ops;
    dvb_demux_filter f[] = { { 0, -1 }, { MHP_PID, -1 }, { 0x11, -1 } };
    dvb_source *s = NULL;
    assert_int_equal(dvb_source_open_demux(&c, "/dev/dvb/adapter0/demux0", f, 3,
                                           &s),
                     DVB_OK);
    assert_int_equal(dev.n, 1);                     /* one descriptor */
    assert_int_equal(dev.fd[0].set_pes, 1);
    assert_int_equal(dev.fd[0].pes.pid, 0);
    assert_int_equal(dev.fd[0].pes.output, DMX_OUT_TSDEMUX_TAP);
    assert_int_equal(dev.fd[0].pes.pes_type, DMX_PES_OTHER);
    assert_int_equal(dev.fd[0].nadded, 2);
    assert_int_equal(dev.fd[0].added[0], MHP_PID);
    assert_int_equal(dev.fd[0].added[1], 0x11);
    size_t len;
    uint8_t *ts = read_all(MHP, &len);
    for (size_t off = 0; off < len; off += 188 * 40) {
        size_t n = len - off < 188 * 40 ? len - off : 188 * 40;
        assert_int_equal(write(dev.fd[0].wr, ts + off, n), (ssize_t)n);
        assert_int_equal(dvb_source_pump(s), DVB_OK);
    }
    assert_same_store(rx, ref);
    dvb_source_stats st;
    dvb_source_stats_get(s, &st);
    assert_int_equal(st.bytes, len);
    free(ts);
    dvb_source_destroy(s);
    fake_teardown(&dev);
    dvb_receiver_destroy(rx);
    dvb_receiver_destroy(ref);
}

static void test_demux_errors(void **state)
{
    (void)state;
    fake_dev dev;
    memset(&dev, 0, sizeof dev);
    dvb_demux_ops ops = { fake_open, fake_ioctl, fake_read, fake_close, &dev };
    bytes_sink b = { 0 };
    dvb_source_config c = sink_cfg(to_bytes, &b);
    c.demux_ops = &ops;
    dvb_source *s = NULL;
    const char *dev0 = "/dev/dvb/adapter0/demux0";
    dvb_demux_filter bad1[] = { { 0x2000, 0x3B } };  /* all PIDs: TS only */
    assert_int_equal(dvb_source_open_demux(&c, dev0, bad1, 1, &s), DVB_EINVAL);
    dvb_demux_filter bad2[] = { { 0x10, 256 } };
    assert_int_equal(dvb_source_open_demux(&c, dev0, bad2, 1, &s), DVB_EINVAL);
    assert_int_equal(dvb_source_open_demux(&c, dev0, bad2, 0, &s), DVB_EINVAL);
    assert_int_equal(dev.n, 0);
    /* An ioctl the driver refuses: a clear error, nothing left open. */
    dev.fail_ioctl = 1;
    dvb_demux_filter ok[] = { { 0x10, -1 }, { 0x11, 0x3B } };
    assert_int_equal(dvb_source_open_demux(&c, dev0, ok, 2, &s), DVB_EIO);
    assert_null(s);
    fake_teardown(&dev);
    /* The real kernel path on a device that is not there. */
    dvb_source_config real = sink_cfg(to_bytes, &b);
    assert_int_equal(dvb_source_open_demux(&real, "/nonexistent/demux0", ok, 2,
                                           &s),
                     DVB_EIO);
    assert_null(s);
}

/* ---- the app's input plumbing, end to end ---- */

static const char *build_dir(void)
{
    const char *b = getenv("CIVICTV_BUILD");
    return b && *b ? b : "build";
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* civictv reading udp://: the sample carousel is sent over loopback,
 * looped, until the headless app has shown its first screen, played its
 * key and exited. */
static void test_app_udp(void **state)
{
    (void)state;
    char civictv[512], tool[512];
    snprintf(civictv, sizeof civictv, "%s/civictv", build_dir());
    snprintf(tool, sizeof tool, "%s/civictv-carousel", build_dir());
    if (access(civictv, X_OK) || access(tool, X_OK))
        skip();                        /* the programs are not built here */
    char dir[] = "/tmp/civictv-live-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s build content -o %s/s.ts >/dev/null 2>&1",
             tool, dir);
    assert_int_equal(sh(cmd), 0);
    char ts_path[600];
    snprintf(ts_path, sizeof ts_path, "%s/s.ts", dir);
    size_t len;
    uint8_t *ts = read_all(ts_path, &len);
    int port = free_udp_port();
    snprintf(cmd, sizeof cmd,
             "exec %s --headless --settings %s/settings --screenshots %s/shots "
             "--keys red udp://127.0.0.1:%d >%s/log 2>&1",
             civictv, dir, dir, port, dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int status = -1;
    /* A guard against a hung app, not a timing assertion: at 2 ms per
     * datagram this is minutes of stream. */
    for (long i = 0; i < 60000; i++) {
        size_t off = (size_t)(i % (long)((len + 1315) / 1316)) * 1316;
        size_t n = len - off < 1316 ? len - off : 1316;
        (void)sendto(fd, ts + off, n, 0, (struct sockaddr *)&to, sizeof to);
        poll(NULL, 0, 2);
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
    }
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("civictv did not finish on udp:// (see %s/log)", dir);
    }
    close(fd);
    free(ts);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(cmd, sizeof cmd, "cat %s/log >&2", dir);
        sh(cmd);
        fail_msg("civictv on udp:// exited with status 0x%x", status);
    }
    char shot[700];
    snprintf(shot, sizeof shot, "%s/shots/000-start.png", dir);
    struct stat st;
    assert_int_equal(stat(shot, &st), 0);
    assert_true(st.st_size > 1000);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(sh(cmd), 0);
}

/* Bad live inputs fail cleanly, before any screen: a malformed address,
 * and a character device that is not a demux (/dev/null refuses the
 * demux ioctls). */
static void test_app_live_errors(void **state)
{
    (void)state;
    char civictv[512];
    snprintf(civictv, sizeof civictv, "%s/civictv", build_dir());
    if (access(civictv, X_OK))
        skip();
    char cmd[1024], out[] = "/tmp/civictv-live-err-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    const char *args[] = { "udp://127.0.0.1", "--demux /dev/null",
                           "rtp://[::1:5000" };
    const char *says[] = { "udp://127.0.0.1", "DMX_SET_PES_FILTER",
                           "rtp://[::1:5000" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "%s --headless %s >%s 2>&1", civictv,
                 args[i], out);
        assert_int_equal(sh(cmd), 1);
        size_t n;
        uint8_t *log = read_all(out, &n);
        log = realloc(log, n + 1);
        assert_non_null(log);
        log[n] = '\0';
        if (!strstr((char *)log, says[i]))
            fail_msg("civictv %s said:\n%s", args[i], (char *)log);
        free(log);
    }
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_fast),
        cmocka_unit_test(test_file_into_receiver),
        cmocka_unit_test(test_file_paced_fake_clock),
        cmocka_unit_test(test_file_paced_wall_clock),
        cmocka_unit_test(test_file_loop),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_udp_loopback),
        cmocka_unit_test(test_rtp_loopback),
        cmocka_unit_test(test_rtp_gaps),
        cmocka_unit_test(test_udp_multicast),
        cmocka_unit_test(test_net_bad_urls),
        cmocka_unit_test(test_rtp_parse),
        cmocka_unit_test(test_demux_sections),
        cmocka_unit_test(test_demux_repacketise),
        cmocka_unit_test(test_demux_ts_tap),
        cmocka_unit_test(test_demux_errors),
        cmocka_unit_test(test_app_udp),
        cmocka_unit_test(test_app_live_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
