/*
 * UDP playout (carousel/oc_play.c) on 127.0.0.1 only: the test binds a
 * socket, a child process plays to it, and the test checks the bytes of
 * the datagrams and their order: 7 packets each (RFC 3550 header first
 * with --rtp), the file once, looped passes, the switch after N passes,
 * and the switch on SIGUSR1 at a point where no section is half sent;
 * continuity counters that run on across passes and the switch; and the
 * pace: never ahead of the bitrate (the upper bound is loose, for loaded
 * machines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "carousel/oc_build.h"
#include "carousel/oc_play.h"
#include "carousel/oc_tree.h"

typedef struct {
    char dir[64];
    char a[96], b[96];
    uint8_t *ta, *tb;
    size_t la, lb;
} fixture;

static void write_file(const char *p, const uint8_t *d, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Packets equal but for their continuity_counter (play rewrites it). */
static void assert_packets_equal(const uint8_t *got, const uint8_t *want,
                                 size_t len)
{
    assert_int_equal(len % 188, 0);
    for (size_t off = 0; off < len; off += 188) {
        uint8_t a[188], b[188];
        memcpy(a, got + off, 188);
        memcpy(b, want + off, 188);
        a[3] &= 0xF0;
        b[3] &= 0xF0;
        if (memcmp(a, b, 188) != 0)
            fail_msg("packet at byte %zu differs", off);
    }
}

/* Every PID's counter + 1 per packet (each carries a payload here). */
static void assert_continuous(const uint8_t *p, size_t len)
{
    int last[8192];
    for (size_t i = 0; i < 8192; i++)
        last[i] = -1;
    for (size_t off = 0; off < len; off += 188) {
        unsigned pid = ((p[off + 1] & 0x1Fu) << 8) | p[off + 2];
        int cc = p[off + 3] & 0x0F;
        if (pid != 0x1FFF && last[pid] >= 0 && cc != ((last[pid] + 1) & 15))
            fail_msg("PID 0x%04X: continuity %d after %d at byte %zu", pid,
                     cc, last[pid], off);
        last[pid] = cc;
    }
}

static void build(const char *text, uint16_t tsid, uint8_t **ts, size_t *len)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    uint8_t big[9000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + tsid);
    assert_int_equal(oc_tree_add_file(t, "a/text", (const uint8_t *)text,
                                      strlen(text)), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "b/big", big, sizeof big), OC_OK);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 1;
    cfg.tsid = tsid;
    cfg.compress = OC_COMPRESS_NONE;
    cfg.block_size = 1000;
    assert_int_equal(oc_build_mem(t, &cfg, ts, len, NULL), OC_OK);
    oc_tree_destroy(t);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/civictv-oc-play-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->a, sizeof fx->a, "%s/a.ts", fx->dir);
    snprintf(fx->b, sizeof fx->b, "%s/b.ts", fx->dir);
    build("version one", 1, &fx->ta, &fx->la);
    build("version two, longer", 2, &fx->tb, &fx->lb);
    write_file(fx->a, fx->ta, fx->la);
    write_file(fx->b, fx->tb, fx->lb);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    unlink(fx->a);
    unlink(fx->b);
    rmdir(fx->dir);
    free(fx->ta);
    free(fx->tb);
    free(fx);
    return 0;
}

typedef struct {
    uint8_t *p;
    size_t len, cap;
    size_t datagrams;
    uint16_t seq0, last_seq;
    int rtp_ok;
} received;

static int bind_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static volatile sig_atomic_t child_switch;

static void on_usr1(int sig)
{
    (void)sig;
    child_switch = 1;
}

static pid_t start(oc_play_config *pc)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        pc->switch_flag = &child_switch;
        char why[256];
        oc_err e = oc_play_run(pc, NULL, why, sizeof why);
        if (e)
            fprintf(stderr, "play: %s\n", why);
        _exit(e ? 1 : 0);
    }
    return pid;
}

/* Collect datagrams until the child has exited and the socket is empty.
 * After the first datagram (and once), send SIGUSR1 if asked. */
static void collect(int fd, pid_t child, int rtp, int signal_after,
                    received *r)
{
    memset(r, 0, sizeof *r);
    r->rtp_ok = 1;
    int exited = 0, signalled = 0;
    for (;;) {
        uint8_t buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            if (exited)
                break;
            int st;
            pid_t w = waitpid(child, &st, WNOHANG);
            if (w == child) {
                assert_true(WIFEXITED(st));
                assert_int_equal(WEXITSTATUS(st), 0);
                exited = 1;     /* one more drain */
                continue;
            }
            struct pollfd pf = { fd, POLLIN, 0 };
            poll(&pf, 1, 50);
            continue;
        }
        size_t hdr = rtp ? 12 : 0;
        assert_true((size_t)n > hdr);
        assert_int_equal(((size_t)n - hdr) % 188, 0);
        if (rtp) {
            uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
            if (buf[0] != 0x80 || (buf[1] & 0x7F) != 33)
                r->rtp_ok = 0;
            if (r->datagrams && seq != (uint16_t)(r->last_seq + 1))
                r->rtp_ok = 0;
            r->last_seq = seq;
        }
        if (r->len + (size_t)n > r->cap) {
            r->cap = (r->cap + (size_t)n) * 2;
            r->p = realloc(r->p, r->cap);
            assert_non_null(r->p);
        }
        memcpy(r->p + r->len, buf + hdr, (size_t)n - hdr);
        r->len += (size_t)n - hdr;
        r->datagrams++;
        if (signal_after && !signalled && r->datagrams >= 1) {
            kill(child, SIGUSR1);
            signalled = 1;
        }
    }
}

static void test_once(void **state)
{
    fixture *fx = *state;
    uint16_t port;
    int fd = bind_loopback(&port);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    oc_play_config pc = { .addr = addr, .bitrate = 20000000,
                          .first = fx->a };
    received r;
    collect(fd, start(&pc), 0, 0, &r);
    assert_int_equal(r.len, fx->la);
    assert_memory_equal(r.p, fx->ta, fx->la);
    /* 7 packets a datagram, the last one what is left */
    assert_int_equal(r.datagrams, (fx->la / 188 + 6) / 7);
    free(r.p);
    close(fd);
}

static void test_rtp_and_after_cycles(void **state)
{
    fixture *fx = *state;
    uint16_t port;
    int fd = bind_loopback(&port);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    oc_play_config pc = { .addr = addr, .bitrate = 20000000, .rtp = true,
                          .first = fx->a, .then = fx->b,
                          .after_cycles = 2 };
    received r;
    collect(fd, start(&pc), 1, 0, &r);
    assert_true(r.rtp_ok);
    /* A, A, then B: the passes run on without gaps across datagrams. */
    assert_int_equal(r.len, 2 * fx->la + fx->lb);
    assert_memory_equal(r.p, fx->ta, fx->la);     /* the first pass as is */
    assert_packets_equal(r.p + fx->la, fx->ta, fx->la);
    assert_packets_equal(r.p + 2 * fx->la, fx->tb, fx->lb);
    /* no continuity error where A starts again nor where B starts */
    assert_continuous(r.p, r.len);
    free(r.p);
    close(fd);
}

static void test_switch_on_signal(void **state)
{
    fixture *fx = *state;
    uint16_t port;
    int fd = bind_loopback(&port);
    char addr[32];
    /* A loops until SIGUSR1, then B once. */
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    oc_play_config pc = { .addr = addr, .bitrate = 2000000,
                          .first = fx->a, .then = fx->b };
    received r;
    collect(fd, start(&pc), 0, 1, &r);
    /* The end is the whole of B; before it, A's packets in order, looped,
     * cut where no section was open. */
    assert_true(r.len > fx->lb);
    size_t prefix = r.len - fx->lb;
    assert_packets_equal(r.p + prefix, fx->tb, fx->lb);
    assert_int_equal(prefix % 188, 0);
    for (size_t off = 0; off < prefix; off += 188)
        assert_packets_equal(r.p + off, fx->ta + off % fx->la, 188);
    assert_continuous(r.p, r.len);
    oc_play_file f;
    char why[256];
    assert_int_equal(oc_play_load(fx->a, &f, why, sizeof why), OC_OK);
    assert_true(f.safe[(prefix / 188) % f.packets]);
    oc_play_file_free(&f);
    free(r.p);
    close(fd);
}

static void test_safe_points(void **state)
{
    fixture *fx = *state;
    oc_play_file f;
    char why[256];
    assert_int_equal(oc_play_load(fx->a, &f, why, sizeof why), OC_OK);
    assert_true(f.safe[0]);
    /* A packet that continues a section is never a switch point. */
    size_t unsafe = 0;
    for (size_t i = 0; i < f.packets; i++) {
        const uint8_t *p = f.data + i * 188;
        if (!(p[1] & 0x40) && ((p[1] & 0x1F) << 8 | p[2]) != 0x1FFF)
            assert_false(f.safe[i]);
        unsafe += !f.safe[i];
    }
    assert_true(unsafe > 0);
    oc_play_file_free(&f);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Paced at the bitrate: A three times at 1 Mbit/s.  Datagram k leaves no
 * earlier than k datagrams' bits allow after playout starts, so the last
 * arrives no sooner than (all but one datagram) / rate after the child
 * was started.  (Not measured from the first arrival: a busy machine
 * may deliver that one late.) */
static void test_pace(void **state)
{
    fixture *fx = *state;
    uint16_t port;
    int fd = bind_loopback(&port);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    oc_play_config pc = { .addr = addr, .bitrate = 1000000,
                          .first = fx->a, .then = fx->a, .after_cycles = 2 };
    double first = mono(), last = 0;
    pid_t child = start(&pc);
    size_t got = 0, datagrams = 0;
    for (;;) {
        uint8_t buf[2048];
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 3000) <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        assert_true(n > 0);
        last = mono();
        datagrams++;
        got += (size_t)n;
        if (got == 3 * fx->la)
            break;
    }
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_int_equal(got, 3 * fx->la);
    double bits = (double)(got - 7 * 188) * 8.0;
    double want = bits / 1e6;
    double took = last - first;
    if (took < want || took > want * 2.0 + 0.5)
        fail_msg("%zu bytes in %zu datagrams took %.3f s, want %.3f s", got,
                 datagrams, took, want);
    close(fd);
}

/* The pacing arithmetic and the counters, in process. */
static void test_due_and_counters(void **state)
{
    (void)state;
    assert_int_equal(oc_play_due_ns(0, 1000000), 0);
    assert_int_equal(oc_play_due_ns(1000000, 1000000), 1000000000ull);
    assert_int_equal(oc_play_due_ns(1504, 1000000), 1504000ull);
    /* 100 s at 200 Mbit/s: 2e10 bits, whose product with 1e9 would pass
     * 2^64; a day at 1 Gbit/s. */
    assert_int_equal(oc_play_due_ns(20000000000ull, 200000000),
                     100000000000ull);
    assert_int_equal(oc_play_due_ns(86400ull * 1000000000ull, 1000000000),
                     86400ull * 1000000000ull);

    oc_play_cc *cc = malloc(sizeof *cc);
    assert_non_null(cc);
    oc_play_cc_init(cc);
    uint8_t pk[188] = { 0x47, 0x01, 0x01, 0x17 };  /* payload, cc 7 */
    oc_play_cc_fix(cc, pk);
    assert_int_equal(pk[3], 0x17);                  /* the first kept */
    pk[3] = 0x13;                                   /* a jump: 3 */
    oc_play_cc_fix(cc, pk);
    assert_int_equal(pk[3], 0x18);                  /* runs on: 8 */
    pk[3] = 0x2F;                                   /* no payload */
    oc_play_cc_fix(cc, pk);
    assert_int_equal(pk[3], 0x28);                  /* repeats 8 */
    for (int i = 0; i < 8; i++) {
        pk[3] = 0x10;
        oc_play_cc_fix(cc, pk);
    }
    assert_int_equal(pk[3], 0x10);                  /* 9..15, 0: wraps */
    uint8_t nul[188] = { 0x47, 0x1F, 0xFF, 0x15 };
    oc_play_cc_fix(cc, nul);
    assert_int_equal(nul[3], 0x15);                 /* nulls untouched */
    free(cc);
}

static void test_bad_inputs(void **state)
{
    fixture *fx = *state;
    char why[256];
    oc_play_file f;
    /* not whole packets */
    char p[128];
    snprintf(p, sizeof p, "%s/odd.ts", fx->dir);
    write_file(p, fx->ta, 187);
    assert_int_equal(oc_play_load(p, &f, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "odd.ts"));
    /* no sync byte */
    uint8_t junk[376];
    memset(junk, 0, sizeof junk);
    write_file(p, junk, sizeof junk);
    assert_int_equal(oc_play_load(p, &f, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "sync"));
    unlink(p);
    oc_play_config pc = { .addr = "127.0.0.1", .bitrate = 1000000,
                          .first = fx->a };
    assert_int_equal(oc_play_run(&pc, NULL, why, sizeof why), OC_EIO);
    assert_non_null(strstr(why, "HOST:PORT"));
    pc.addr = "127.0.0.1:9";
    pc.bitrate = 5;
    assert_int_equal(oc_play_run(&pc, NULL, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--bitrate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtp_and_after_cycles, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_switch_on_signal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_safe_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pace, setup, teardown),
        cmocka_unit_test(test_due_and_counters),
        cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
