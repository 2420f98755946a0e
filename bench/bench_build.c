/*
 * bench_build: how fast civictv-carousel builds, and how soon a receiver
 * that tunes in at a random moment has the first screen.
 *
 * 1. Build throughput: a tree of about 16 MB (nested folders, files of
 *    many sizes, half compressible text, half random bytes) built in
 *    process with liboc (the code behind `civictv-carousel build --raw`)
 *    into a counting sink, with --compress never and auto: MB/s of file
 *    payload and of stream written.
 * 2. Time to the first screen, simulated from the packet schedule
 *    (ISO/IEC 13818-1 packets, ISO/IEC 13818-6 sections; TR 101 202 4.7.4
 *    on acquisition): for many tune-in points, a receiver waits for a
 *    PAT, then a PMT, then DSI and DII, then every block of the modules
 *    the first screen needs (manifest, root menu, its images); the time
 *    from the tune-in point to the last of those, at the carousel
 *    bitrate.  For the sample content (content/) and a content set of
 *    about 2 MB, with our schedule and with a round-robin schedule as
 *    common playout tools make it (DSI and DII twice a cycle, each
 *    module's blocks in a row, module after module, no repetition), at
 *    1 Mbit/s.
 * 3. Overhead on air per cycle (carousel PID: TS and section headers,
 *    stuffing, DSI/DII; PAT/PMT and the first screen's repetition apart).
 *
 * It prints figures; it is not a pass/fail test.
 *
 *   make bench        (or: build/bench/bench_build [--quick])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carousel/oc_build.h"
#include "carousel/oc_carousel.h"
#include "carousel/oc_content.h"
#include "carousel/oc_tree.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, oc_err e)
{
    fprintf(stderr, "bench_build: %s: %s\n", what, oc_strerror(e));
    exit(1);
}

static void fill(uint64_t *s, uint8_t *d, size_t n, int text)
{
    static const char words[] = "council tax bins recycling pension "
                                "benefits health library parking ";
    for (size_t k = 0; k < n; k++)
        d[k] = text ? (uint8_t)words[(k + (rnd(s) % 3 == 0)) %
                                     (sizeof words - 1)]
                    : (uint8_t)rnd(s);
}

/* About `bytes` of files in folders of folders. */
static oc_tree *big_tree(size_t bytes, uint64_t seed, size_t *files)
{
    oc_tree *t;
    oc_err e = oc_tree_create(&t);
    if (e)
        die("tree", e);
    uint64_t s = seed;
    size_t total = 0;
    *files = 0;
    uint8_t *buf = malloc(1 << 20);
    if (!buf)
        die("tree", OC_ENOMEM);
    while (total < bytes) {
        size_t len = rnd(&s) % 8 == 0 ? 200000 + rnd(&s) % 800000
                                      : rnd(&s) % 20000;
        char path[128];
        snprintf(path, sizeof path, "d%02u/e%02u/f%05zu.bin",
                 (unsigned)(rnd(&s) % 12), (unsigned)(rnd(&s) % 10), *files);
        fill(&s, buf, len, (int)(rnd(&s) & 1));
        e = oc_tree_add_file(t, path, buf, len);
        if (e)
            die(path, e);
        total += len;
        (*files)++;
    }
    free(buf);
    return t;
}

static int count_sink(void *ud, const uint8_t *pkt)
{
    (void)pkt;
    (*(uint64_t *)ud)++;
    return 0;
}

static void throughput(int quick)
{
    size_t files;
    size_t want = quick ? (4u << 20) : (16u << 20);
    oc_tree *t = big_tree(want, 42, &files);
    static const struct { oc_compress c; const char *name; } modes[] = {
        { OC_COMPRESS_NONE, "never" }, { OC_COMPRESS_AUTO, "auto" } };
    printf("build throughput: %zu files\n", files);
    for (size_t m = 0; m < 2; m++) {
        oc_build_config cfg;
        oc_build_config_default(&cfg);
        cfg.cycles = 1;
        cfg.module_size = 256 * 1024;
        cfg.compress = modes[m].c;
        uint64_t packets = 0;
        oc_build_stats st;
        double t0 = now();
        oc_err e = oc_build(t, &cfg, count_sink, &packets, &st);
        double dt = now() - t0;
        if (e)
            die("build", e);
        printf("  --compress %-5s  %7.1f MB payload  %7.1f MB on air  "
               "%6.2f s  %7.1f MB/s payload  %7.1f MB/s stream  "
               "(%zu modules, %zu compressed)\n",
               modes[m].name, (double)st.carousel.payload_bytes / 1e6,
               (double)st.bytes_on_air / 1e6, dt,
               (double)st.carousel.payload_bytes / 1e6 / dt,
               (double)st.bytes_on_air / 1e6 / dt, st.carousel.modules,
               st.carousel.compressed_modules);
    }
    oc_tree_destroy(t);
}

/* --- time to the first screen -------------------------------------- */

typedef struct {
    uint8_t kind;          /* 0 PAT, 1 PMT, 2 DSI, 3 DII, 4 DDB */
    uint16_t module;
    uint16_t block;
    uint64_t start, end;   /* packet indices, end inclusive */
} sec_ev;

typedef struct {
    sec_ev *ev;
    size_t n, cap;
} evlist;

static void ev_add(evlist *l, sec_ev e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        if (!l->ev)
            die("events", OC_ENOMEM);
    }
    l->ev[l->n++] = e;
}

typedef struct {
    uint8_t *p;
    size_t len, cap;
} membuf;

static int mem_sink(void *ud, const uint8_t *pkt)
{
    membuf *m = ud;
    if (m->len + 188 > m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1 << 20;
        m->p = realloc(m->p, m->cap);
        if (!m->p)
            return -1;
    }
    memcpy(m->p + m->len, pkt, 188);
    m->len += 188;
    return 0;
}

/* Classify a section from its first bytes (13818-6 9.2.2, 7.2-7.3). */
static void classify(sec_ev *ev, const uint8_t *h)
{
    if (h[0] == 0x3C) {
        ev->kind = 4;
        ev->module = (uint16_t)((h[3] << 8) | h[4]);
        /* section header 8, download header 12, moduleId 2,
         * moduleVersion 1, reserved 1, then blockNumber */
        ev->block = (uint16_t)((h[24] << 8) | h[25]);
    } else {
        unsigned msg = ((unsigned)h[10] << 8) | h[11];
        ev->kind = msg == 0x1006 ? 2 : 3;
    }
}

/* Sections of the stream, by the packets where they start and end;
 * several may share a packet (13818-1 2.4.4.2 pointer_field). */
static void scan(const membuf *m, uint16_t pmt_pid, uint16_t pid, evlist *l)
{
    size_t np = m->len / 188;
    sec_ev cur = { 0 };
    size_t need = 0, have = 0;
    int open = 0;
    uint8_t head[32];
    for (size_t i = 0; i < np; i++) {
        const uint8_t *p = m->p + i * 188;
        unsigned ppid = ((p[1] & 0x1Fu) << 8) | p[2];
        if (ppid == 0 || ppid == pmt_pid) {
            ev_add(l, (sec_ev){ ppid == 0 ? 0 : 1, 0, 0, i, i });
            continue;
        }
        if (ppid != pid)
            continue;
        size_t at = 4, ptr = 0;
        if (p[1] & 0x40)
            ptr = p[at++];
        /* bytes that continue the open section */
        size_t cont = (p[1] & 0x40) ? ptr : 188 - at;
        if (open) {
            for (size_t k = 0; k < cont && have + k < sizeof head; k++)
                head[have + k] = p[at + k];
            have += cont;
            if (have >= need) {
                classify(&cur, head);
                cur.end = i;
                ev_add(l, cur);
                open = 0;
            }
        }
        if (!(p[1] & 0x40))
            continue;
        at += ptr;
        while (at + 3 <= 188 && p[at] != 0xFF) {
            need = 3u + (((size_t)p[at + 1] & 0x0F) << 8) + p[at + 2];
            size_t k = 188 - at;
            cur.start = i;
            have = k < need ? k : need;
            memcpy(head, p + at, have < sizeof head ? have : sizeof head);
            if (k >= need) {
                classify(&cur, head);
                cur.end = i;
                ev_add(l, cur);
                at += need;
                continue;
            }
            open = 1;
            break;
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* First event of kind (module, block for DDBs) starting at or after t. */
static uint64_t first_end(const evlist *l, size_t *hint, uint8_t kind,
                          uint64_t t)
{
    for (size_t i = *hint; i < l->n; i++)
        if (l->ev[i].start >= t && l->ev[i].kind == kind)
            return l->ev[i].end;
    return UINT64_MAX;
}

typedef struct {
    double median, p95, cycle;
    double overhead;
} fs_result;

static fs_result first_screen(const oc_tree *t, const char *const *first,
                              size_t n_first, int round_robin, int trials)
{
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 4;
    cfg.carousel_bitrate = 1000000;
    cfg.first_paths = first;
    cfg.n_first = n_first;
    if (round_robin) {
        /* As common playout tools make a carousel: every module's blocks
         * in a row, module after module, nothing repeated. */
        cfg.first_share = 0;
        cfg.n_first = 0;
        cfg.schedule = OC_SCHEDULE_SEQUENTIAL;
    }
    /* Which modules the first screen needs, from the carousel itself. */
    oc_carousel_config cc = {
        .carousel_id = cfg.carousel_id, .component_tag = cfg.component_tag,
        .block_size = cfg.block_size, .module_size = cfg.module_size,
        .compress = cfg.compress, .module_version = 1,
        .first_paths = first, .n_first = round_robin ? 0 : n_first };
    oc_carousel *car;
    oc_err e = oc_carousel_create(t, &cc, &car);
    if (e)
        die("carousel", e);
    uint8_t need_mod[65536] = { 0 };
    uint16_t need_blocks[65536] = { 0 };
    oc_layout lay;
    if ((e = oc_carousel_layout(car, &lay)))
        die("layout", e);
    /* Needed: the modules holding the first-screen files and the
     * directories above them (by path). */
    for (size_t i = 0; i < lay.n_objects; i++) {
        const char *p = lay.objects[i].path;
        int need = p[0] == '\0';
        for (size_t f = 0; f < n_first && !need; f++) {
            size_t pl = strlen(p);
            need = !strcmp(p, first[f]) ||
                   (!strncmp(first[f], p, pl) && first[f][pl] == '/');
        }
        if (need)
            need_mod[lay.objects[i].module] = 1;
    }
    for (size_t i = 0; i < oc_carousel_module_count(car); i++) {
        oc_module_info mi;
        oc_carousel_module(car, i, &mi);
        need_blocks[mi.moduleId] = (uint16_t)mi.blocks;
    }
    oc_layout_free(&lay);
    oc_carousel_destroy(car);
    if (round_robin) {
        /* DSI and DII twice a cycle, as common playout tools send them:
         * measure a cycle first. */
        uint64_t pk = 0;
        oc_build_stats st;
        oc_build_config one = cfg;
        one.cycles = 1;
        if ((e = oc_build(t, &one, count_sink, &pk, &st)))
            die("build", e);
        cfg.control_interval = (unsigned)(st.cycle_packets / 2 + 1);
    }
    membuf m = { 0 };
    oc_build_stats st;
    if ((e = oc_build(t, &cfg, mem_sink, &m, &st)))
        die("build", e);
    evlist l = { 0 };
    scan(&m, cfg.pmt_pid, cfg.pid, &l);
    /* Tune-in points spread over the second cycle. */
    uint64_t L = st.cycle_packets;
    double *times = malloc((size_t)trials * sizeof *times);
    uint64_t s = 7;
    size_t hint = 0;
    for (int k = 0; k < trials; k++) {
        uint64_t t0 = L + rnd(&s) % L;
        /* events are in order of their end: the first that ends at or
         * after t0 */
        size_t lo = 0, hi = l.n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (l.ev[mid].end < t0)
                lo = mid + 1;
            else
                hi = mid;
        }
        hint = lo;
        size_t h = hint;
        uint64_t t1 = first_end(&l, &h, 0, t0);
        uint64_t t2 = first_end(&l, &h, 1, t1 + 1);
        uint64_t t3 = first_end(&l, &h, 2, t2 + 1);
        uint64_t t3b = first_end(&l, &h, 3, t2 + 1);
        if (t3b > t3)
            t3 = t3b;
        uint64_t done = t3;
        for (unsigned mid = 1; mid < 65536; mid++) {
            if (!need_mod[mid])
                continue;
            for (unsigned b = 0; b < need_blocks[mid]; b++) {
                uint64_t end = UINT64_MAX;
                for (size_t i = h; i < l.n; i++)
                    if (l.ev[i].kind == 4 && l.ev[i].module == mid &&
                        l.ev[i].block == b && l.ev[i].start >= t3) {
                        /* (the DII may end in the packet where the
                         * block begins: packed sections) */
                        end = l.ev[i].end;
                        break;
                    }
                if (end > done)
                    done = end;
            }
        }
        times[k] = done == UINT64_MAX ? -1.0
                   : (double)(done + 1 - t0) * 188 * 8 / 1e6;
    }
    qsort(times, (size_t)trials, sizeof *times, cmp_double);
    fs_result r = { times[trials / 2], times[trials * 95 / 100],
                    st.cycle_seconds, 0 };
    uint64_t useful = (st.cycle_packets - st.repeat_packets -
                       st.cycle_psi_packets - st.cycle_null_packets) * 188;
    r.overhead = 100.0 * ((double)useful - (double)st.carousel.module_bytes) /
                 (double)st.carousel.module_bytes;
    free(times);
    free(l.ev);
    free(m.p);
    return r;
}

static void report(const char *name, const oc_tree *t, int trials)
{
    char **first;
    size_t nf;
    oc_err e = oc_content_first_screen(t, &first, &nf);
    if (e)
        die("first screen", e);
    fs_result ours = first_screen(t, (const char *const *)first, nf, 0,
                                  trials);
    fs_result rr = first_screen(t, (const char *const *)first, nf, 1,
                                trials);
    printf("first screen, %s, 1 Mbit/s, %d tune-ins:\n", name, trials);
    printf("  ours         median %6.3f s  95th %6.3f s  cycle %7.3f s  "
           "overhead %.1f%%\n", ours.median, ours.p95, ours.cycle,
           ours.overhead);
    printf("  round robin  median %6.3f s  95th %6.3f s  cycle %7.3f s  "
           "(cycle +%.1f%% with ours)\n", rr.median, rr.p95, rr.cycle,
           100.0 * (ours.cycle - rr.cycle) / rr.cycle);
    oc_content_paths_free(first, nf);
}

/* A content set of about 2 MB: manifest, root menu, many pages. */
static oc_tree *content_2mb(void)
{
    oc_tree *t;
    oc_err e = oc_tree_create(&t);
    if (e)
        die("tree", e);
    const char *m = "{\"format\":1,\"service\":\"civictv\",\"version\":\"b\","
                    "\"languages\":[\"en\"],\"title\":{\"en\":\"Bench\"},"
                    "\"root\":\"menus/root.json\"}";
    oc_tree_add_file(t, "manifest.json", (const uint8_t *)m, strlen(m));
    char root[8192];
    size_t rl = (size_t)snprintf(root, sizeof root,
        "{\"type\":\"menu\",\"title\":{\"en\":\"Home\"},\"items\":[");
    for (int i = 0; i < 9; i++)
        rl += (size_t)snprintf(root + rl, sizeof root - rl,
            "%s{\"label\":{\"en\":\"Section %d\"},\"target\":"
            "\"menus/m%d.json\"}", i ? "," : "", i, i);
    rl += (size_t)snprintf(root + rl, sizeof root - rl, "]}");
    oc_tree_add_file(t, "menus/root.json", (const uint8_t *)root, rl);
    uint64_t s = 99;
    uint8_t *buf = malloc(20000);
    size_t total = 0;
    for (int i = 0; total < 2000000; i++) {
        size_t len = 4000 + rnd(&s) % 16000;
        fill(&s, buf, len, 0);
        char path[64];
        snprintf(path, sizeof path, "pages/p%04d.json", i);
        oc_tree_add_file(t, path, buf, len);
        total += len;
    }
    free(buf);
    return t;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    int trials = quick ? 200 : 2000;
    throughput(quick);
    oc_tree *sample;
    oc_err e = oc_tree_create(&sample);
    if (!e)
        e = oc_tree_load(sample, "content", 0, NULL, NULL);
    if (e) {
        fprintf(stderr, "bench_build: content/: %s (run from the "
                "repository root)\n", oc_strerror(e));
    } else {
        report("sample content", sample, trials);
    }
    oc_tree_destroy(sample);
    oc_tree *big = content_2mb();
    report("2 MB content", big, trials);
    oc_tree_destroy(big);
    return 0;
}
