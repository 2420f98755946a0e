/*
 * bench_receiver: how fast the object-carousel receiver (dvb/) reads
 * carousels of several sizes, and how much memory it needs.
 *
 * For each carousel (a tree of random files in nested folders, built
 * in-process by liboc, the same code as `civictv-carousel build --raw`;
 * one is at least 15 MB, one is compressible text sent zlib-compressed)
 * the stream is written to BENCH_DIR (default /tmp/civictv-bench) so
 * that other readers can be timed on exactly the same file, then read
 * back in two ways, three times each (the fastest run's figures, the
 * highest peak RSS), each run in a child process that is this program
 * started afresh (posix_spawn) by a parent that stays small (the tree
 * and the stream are made, and the result checked, in forked children),
 * so that its peak resident memory (wait4's ru_maxrss) is that run's:
 *
 *   receive   the file through a dvb_source (64 KiB reads) into a
 *             receiver until the store is complete: MB/s of TS pushed and
 *             the time to the complete store
 *   extract   civictv-carousel extract to a folder: the whole file read,
 *             every file written (what another reader's "extract" does)
 *
 * and the extracted files are compared with the tree that was built.
 * Last, the time to the first store for the sample carousel: stream
 * bytes from a tune-in point to a complete store, at several entry
 * points of the looped stream, as seconds at the stream's bit rate.
 *
 * It prints figures; it is not a pass/fail test (ISO/IEC 13818-1 TS in,
 * ISO/IEC 13818-6 object carousel, TR 101 202 4.7.4 on acquisition time).
 *
 *   make bench            (builds, then runs with the defaults)
 *   bench_receiver [--quick] [--dir DIR] [--sample FILE.ts --rate BPS]
 */
#include "carousel/oc_build.h"
#include "carousel/oc_inspect.h"
#include "carousel/oc_tree.h"
#include "dvb/dvb.h"
#include "dvb/dvb_crc32.h"
#include "dvb/dvb_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: a fixed seed gives the same carousels on every run. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

typedef struct {
    const char *name;
    size_t total;              /* bytes of files */
    size_t max_file;
    int text;                  /* compressible words instead of noise */
    oc_compress compress;
} spec;

static const char *const words[] = {
    "council", "tax", "bin", "collection", "benefit", "pension", "health",
    "appointment", "street", "report", "payment", "library", "the", "and",
    "of", "your", "with", "from", "please", "service", "information",
};

static void fill(uint8_t *d, size_t n, int text)
{
    if (!text) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = rng();
            size_t k = n - i < 8 ? n - i : 8;
            memcpy(d + i, &r, k);
        }
        return;
    }
    size_t i = 0;
    while (i < n) {
        const char *w = words[rng() % (sizeof words / sizeof words[0])];
        size_t l = strlen(w);
        for (size_t k = 0; k < l && i < n; k++)
            d[i++] = (uint8_t)w[k];
        if (i < n)
            d[i++] = rng() % 11 ? ' ' : '\n';
    }
}

/* A tree of random files in nested folders, about s->total bytes. */
static oc_tree *make_tree(const spec *s, size_t *nfiles)
{
    oc_tree *t = NULL;
    if (oc_tree_create(&t))
        return NULL;
    rng_state = 0x9E3779B97F4A7C15ull ^ s->total;
    size_t done = 0, n = 0;
    uint8_t *buf = malloc(s->max_file);
    if (!buf) {
        oc_tree_destroy(t);
        return NULL;
    }
    while (done < s->total) {
        size_t len = (size_t)(rng() % s->max_file);
        if (rng() % 8 == 0)
            len = (size_t)(rng() % 64);          /* some small and empty */
        if (len > s->total - done)
            len = s->total - done;
        char path[128];
        snprintf(path, sizeof path, "d%u/e%u/f%05zu.bin",
                 (unsigned)(rng() % 6), (unsigned)(rng() % 4), n);
        fill(buf, len, s->text);
        if (oc_tree_add_file(t, path, buf, len) != OC_OK) {
            free(buf);
            oc_tree_destroy(t);
            return NULL;
        }
        done += len;
        n++;
    }
    free(buf);
    *nfiles = n;
    return t;
}

/* ---- one measured run, in a child ---- */

typedef struct {
    double seconds_to_store;
    uint64_t bytes_to_store;
    double seconds_total;
    uint64_t bytes_total;
    int complete;
} run_figures;

typedef struct {
    dvb_receiver *rx;
    int ready;
    double t0, t_ready;
    uint64_t pushed, at_ready;
} rx_ctx;

static void on_event(void *ud, const dvb_event *ev)
{
    rx_ctx *c = ud;
    if (ev->type == DVB_EV_STORE_READY && !c->ready) {
        c->ready = 1;
        c->t_ready = now_s();
        c->at_ready = c->pushed;
    }
}

static dvb_err push(void *ud, const uint8_t *d, size_t n)
{
    rx_ctx *c = ud;
    c->pushed += n;
    return dvb_receiver_push(c->rx, d, n);
}

static int child_receive(const char *ts, run_figures *f)
{
    rx_ctx c;
    memset(&c, 0, sizeof c);
    dvb_receiver_config rc;
    memset(&rc, 0, sizeof rc);
    rc.pid = -1;
    rc.service_id = -1;
    rc.carousel_id = -1;
    rc.max_module_bytes = (size_t)64 << 20;
    rc.max_store_bytes = (size_t)256 << 20;
    rc.on_event = on_event;
    rc.ud = &c;
    if (dvb_receiver_create(&rc, &c.rx))
        return 1;
    dvb_source_config sc;
    memset(&sc, 0, sizeof sc);
    sc.sink = push;
    sc.sink_ud = &c;
    dvb_source *s = NULL;
    if (dvb_source_open_file(&sc, ts, &s))
        return 1;
    c.t0 = now_s();
    while (!dvb_source_eof(s) && !c.ready)
        if (dvb_source_pump(s))
            return 1;
    f->seconds_to_store = c.t_ready - c.t0;
    f->bytes_to_store = c.at_ready;
    while (!dvb_source_eof(s))
        if (dvb_source_pump(s))
            return 1;
    f->seconds_total = now_s() - c.t0;
    f->bytes_total = c.pushed;
    f->complete = c.ready;
    dvb_source_destroy(s);
    dvb_receiver_destroy(c.rx);
    return 0;
}

static int child_extract(const char *ts, const char *dir, run_figures *f)
{
    char *argv[] = { (char *)ts, (char *)dir, NULL };
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        return 1;
    struct stat st;
    if (stat(ts, &st))
        return 1;
    double t0 = now_s();
    int rc = oc_extract_main(2, argv, null, stderr);
    f->seconds_total = now_s() - t0;
    f->bytes_total = (uint64_t)st.st_size;
    f->complete = rc == 0;
    fclose(null);
    return rc;
}

/* Runs one measurement in a child that is this program started afresh
 * (`--run receive|extract|bare TS DIR FD`) with posix_spawn, so that its
 * address space never holds anything of this process.  A fork() would
 * copy this process's page tables, tree of files included, and Linux
 * keeps the high-water mark of the pre-exec image in ru_maxrss, which
 * doubled the peak RSS figures.  The figures come back through a pipe
 * and the peak RSS from wait4. */
static int measured(int which, const char *ts, const char *dir, run_figures *f,
                    long *maxrss_kb)
{
    static const char *const names[] = { "bare", "receive", "extract" };
    int p[2];
    if (pipe(p))
        return -1;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    char *argv[] = { "bench_receiver", "--run", (char *)names[which],
                     (char *)(ts ? ts : "-"), (char *)(dir ? dir : "-"), fd,
                     NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    pid_t pid;
    int e = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(p[1]);
    memset(f, 0, sizeof *f);
    ssize_t got = read(p[0], f, sizeof *f);
    close(p[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return -1;
    *maxrss_kb = ru.ru_maxrss;
    return got == (ssize_t)sizeof *f && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0
               ? 0
               : -1;
}

/* The child's side of measured(); also handy on its own, e.g. under
 * `valgrind --tool=callgrind bench_receiver --run receive FILE.ts - 1`
 * (the figures then go to standard output as bytes). */
static int run_child(const char *which, const char *ts, const char *dir,
                     const char *fd_s)
{
    run_figures r;
    memset(&r, 0, sizeof r);
    int rc = 0;
    if (!strcmp(which, "receive"))
        rc = child_receive(ts, &r);
    else if (!strcmp(which, "extract"))
        rc = child_extract(ts, dir, &r);
    else if (strcmp(which, "bare"))
        rc = 2;
    ssize_t w = write(atoi(fd_s), &r, sizeof r);
    return rc != 0 || w != (ssize_t)sizeof r;
}

/* The extracted folder holds exactly the tree's files. */
typedef struct {
    const char *dir;
    size_t files, bad;
} check_ctx;

static int check_file(void *ud, const char *path, const oc_node *node)
{
    check_ctx *c = ud;
    if (oc_node_is_dir(node))
        return 0;
    size_t len;
    const uint8_t *data = oc_node_data(node, &len);
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", c->dir, path);
    FILE *f = fopen(full, "rb");
    if (!f) {
        c->bad++;
        return 0;
    }
    uint8_t *buf = malloc(len + 1);
    size_t n = buf ? fread(buf, 1, len + 1, f) : 0;
    if (!buf || n != len || (len && memcmp(buf, data, len)))
        c->bad++;
    free(buf);
    fclose(f);
    c->files++;
    return 0;
}

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
}

/* RUNS runs of one kind: the fastest one's figures (the least disturbed
 * by whatever else the machine is doing: on a shared machine the spread
 * is wide) and the highest peak RSS of them all.  The extract folder is
 * emptied before each run and left from the last one for the check. */
#define RUNS 3

static int best_of(int which, const char *ts, const char *dir,
                   run_figures *f, long *maxrss_kb)
{
    int rc = 0;
    *maxrss_kb = 0;
    memset(f, 0, sizeof *f);
    for (int i = 0; i < RUNS; i++) {
        run_figures r;
        long kb = 0;
        if (dir)
            rm_rf(dir);
        if (measured(which, ts, dir, &r, &kb))
            rc = -1;
        if (kb > *maxrss_kb)
            *maxrss_kb = kb;
        double t = which == 1 ? r.seconds_to_store : r.seconds_total;
        double best = which == 1 ? f->seconds_to_store : f->seconds_total;
        if (i == 0 || t < best)
            *f = r;
    }
    return rc;
}

/* ---- the tree's side, each in a forked child ---- */

typedef struct {
    int ok;
    size_t nfiles, len;        /* prepare: files in the tree, TS bytes */
    size_t files, bad;         /* check: files compared, files wrong */
} tree_job;

/* Makes the tree and writes its stream (two cycles, 1 MiB modules). */
static void prepare_job(const spec *s, const char *ts, tree_job *j)
{
    oc_tree *t = make_tree(s, &j->nfiles);
    if (!t)
        return;
    oc_build_config c;
    oc_build_config_default(&c);
    c.compress = s->compress;
    c.module_size = 1u << 20;
    c.cycles = 2;
    uint8_t *buf = NULL;
    oc_err e = oc_build_mem(t, &c, &buf, &j->len, NULL);
    FILE *f = e ? NULL : fopen(ts, "wb");
    if (!f || fwrite(buf, 1, j->len, f) != j->len || fclose(f))
        fprintf(stderr, "bench: %s: %s\n", ts,
                e ? oc_strerror(e) : strerror(errno));
    else
        j->ok = 1;
    free(buf);
    oc_tree_destroy(t);
}

/* Makes the same tree again (the generator is seeded by the size) and
 * compares the extracted folder with it. */
static void check_job(const spec *s, const char *out, tree_job *j)
{
    size_t n;
    oc_tree *t = make_tree(s, &n);
    if (!t)
        return;
    check_ctx cc = { out, 0, 0 };
    oc_tree_walk(t, check_file, &cc);
    oc_tree_destroy(t);
    j->files = cc.files;
    j->bad = cc.bad;
    j->ok = 1;
}

static int forked(void (*fn)(const spec *, const char *, tree_job *),
                  const spec *s, const char *path, tree_job *j)
{
    int p[2];
    if (pipe(p))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        tree_job r;
        memset(&r, 0, sizeof r);
        fn(s, path, &r);
        ssize_t w = write(p[1], &r, sizeof r);
        _exit(w != (ssize_t)sizeof r);
    }
    close(p[1]);
    memset(j, 0, sizeof *j);
    ssize_t got = read(p[0], j, sizeof *j);
    close(p[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return got == (ssize_t)sizeof *j && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0
               ? 0
               : -1;
}

/* ---- time to the first store of the sample ---- */

typedef struct {
    int ready;
} first_ctx;

static void on_first(void *ud, const dvb_event *ev)
{
    first_ctx *c = ud;
    if (ev->type == DVB_EV_STORE_READY)
        c->ready = 1;
}

static void bench_sample(const char *path, double rate_bps)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("\nsample %s: %s (run `make run` or pass --sample)\n", path,
               strerror(errno));
        return;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *ts = len > 0 ? malloc((size_t)len) : NULL;
    if (!ts || fread(ts, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(ts);
        printf("\nsample %s: unreadable\n", path);
        return;
    }
    fclose(f);
    size_t packets = (size_t)len / 188;
    printf("\nTime to first store: %s (%ld bytes, %zu packets), looped, "
           "entered at 16 points\n", path, len, packets);
    printf("  entry packet   stream bytes   at %.2f Mbit/s   CPU time\n",
           rate_bps / 1e6);
    double worst = 0, sum = 0;
    for (int k = 0; k < 16; k++) {
        size_t start = packets * (size_t)k / 16;
        first_ctx c = { 0 };
        dvb_receiver_config rc;
        memset(&rc, 0, sizeof rc);
        rc.pid = -1;
        rc.service_id = -1;
        rc.carousel_id = -1;
        rc.on_event = on_first;
        rc.ud = &c;
        dvb_receiver *rx = NULL;
        if (dvb_receiver_create(&rc, &rx))
            break;
        uint64_t bytes = 0;
        double t0 = now_s();
        /* Packet by packet, so the figure is exact to a packet. */
        for (size_t i = 0; i < 4 * packets && !c.ready; i++) {
            size_t p = (start + i) % packets;
            dvb_receiver_push(rx, ts + p * 188, 188);
            bytes += 188;
        }
        double cpu = now_s() - t0;
        dvb_receiver_destroy(rx);
        double secs = (double)bytes * 8 / rate_bps;
        sum += secs;
        if (secs > worst)
            worst = secs;
        printf("  %12zu %14llu %14.3f s %9.1f us%s\n", start,
               (unsigned long long)bytes, secs, cpu * 1e6,
               c.ready ? "" : "  (no store in 4 loops)");
    }
    printf("  mean %.3f s, worst %.3f s at %.2f Mbit/s\n", sum / 16, worst,
           rate_bps / 1e6);
    free(ts);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR")
                                          : "/tmp/civictv-bench";
    const char *sample = "out/sample.ts";
    double rate = 1e6;
    int quick = 0;
    if (argc == 6 && !strcmp(argv[1], "--run"))
        return run_child(argv[2], argv[3], argv[4], argv[5]);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--sample") && i + 1 < argc)
            sample = argv[++i];
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_receiver [--quick] [--dir DIR] "
                            "[--sample FILE.ts] [--rate BITS_PER_S]\n");
            return 2;
        }
    }
    if (rate < 1000)
        rate = 1e6;
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "bench: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    static const spec specs[] = {
        { "1MB-random", 1u << 20, 64u << 10, 0, OC_COMPRESS_AUTO },
        { "4MB-random", 4u << 20, 256u << 10, 0, OC_COMPRESS_AUTO },
        { "16MB-random", 16u << 20, 1u << 20, 0, OC_COMPRESS_AUTO },
        { "16MB-text-zlib", 16u << 20, 512u << 10, 1, OC_COMPRESS_ALL },
    };
    size_t nspecs = quick ? 2 : sizeof specs / sizeof specs[0];
    long base_kb = 0;
    run_figures dummy;
    measured(0, NULL, NULL, &dummy, &base_kb);
    printf("Receiver benchmark: TS from a file in 64 KiB reads; each run in "
           "its own process, fastest of %d\n(peak RSS from wait4, highest "
           "of the runs; a bare child of this program peaks at %ld KiB)\n\n",
           RUNS, base_kb);
    printf("%-15s %6s %9s %9s | %9s %8s %9s | %9s %8s %9s %s\n", "carousel",
           "files", "files MB", "TS MB", "receive", "to store", "peak RSS",
           "extract", "time", "peak RSS", "check");
    printf("%-15s %6s %9s %9s | %9s %8s %9s | %9s %8s %9s\n", "", "", "", "",
           "MB/s", "s", "MiB", "MB/s", "s", "MiB");
    for (size_t i = 0; i < nspecs; i++) {
        const spec *s = &specs[i];
        char ts[1024];
        snprintf(ts, sizeof ts, "%s/%s.ts", dir, s->name);
        char out[1100];
        snprintf(out, sizeof out, "%s/%s.out", dir, s->name);
        /* The tree and the stream are made in a child, and the check is
         * done in another, so that this process stays small: every run is
         * started from it, and a child's peak RSS starts from its
         * parent's (see measured()). */
        tree_job job;
        if (forked(prepare_job, s, ts, &job) || !job.ok) {
            fprintf(stderr, "bench: could not build %s\n", ts);
            return 1;
        }
        size_t nfiles = job.nfiles, len = job.len;
        run_figures rf, xf;
        long rkb = 0, xkb = 0;
        int rr = best_of(1, ts, NULL, &rf, &rkb);
        int xr = best_of(2, ts, out, &xf, &xkb);
        tree_job cj;
        if (forked(check_job, s, out, &cj) || !cj.ok)
            cj.bad = 1;
        rm_rf(out);
        check_ctx cc = { out, cj.files, cj.bad };
        printf("%-15s %6zu %9.1f %9.1f | %9.0f %8.3f %9.1f | %9.0f %8.3f "
               "%9.1f %s\n",
               s->name, nfiles, (double)s->total / 1e6, (double)len / 1e6,
               rr ? 0 : (double)rf.bytes_to_store / 1e6 / rf.seconds_to_store,
               rf.seconds_to_store, rkb / 1024.0,
               xr ? 0 : (double)xf.bytes_total / 1e6 / xf.seconds_total,
               xf.seconds_total, xkb / 1024.0,
               rr || xr ? "FAILED"
               : cc.bad ? "MISMATCH"
                        : "identical");
    }
    /* Every section's CRC_32 is checked (13818-1 annex A), repetitions
     * included, so the CRC's own speed bounds the receiver's. */
    size_t clen = (size_t)16 << 20;
    uint8_t *cbuf = malloc(clen);
    if (cbuf) {
        /* Written first, so that the timing is the CRC's and not the
         * page faults of fresh memory. */
        memset(cbuf, 0x5A, clen);
        double t0 = now_s();
        volatile uint32_t crc = dvb_crc32(cbuf, clen);
        double dt = now_s() - t0;
        (void)crc;
        printf("\ndvb_crc32 alone: %.0f MB/s (a bound on the receive "
               "column: every section is checked)\n", clen / 1e6 / dt);
        free(cbuf);
    }
    printf("\nreceive: MB of TS pushed until the store is complete, per "
           "second.\nextract: the whole file (two cycles) read and every "
           "file written, per second.\nStreams are kept in %s for other "
           "readers.\n", dir);
    bench_sample(sample, rate);
    return 0;
}
