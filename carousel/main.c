/*
 * civictv-carousel: the broadcaster's tool that turns a content folder
 * into an MPEG-2 transport stream carrying it as a DSM-CC object carousel
 * (ISO/IEC 13818-6, ETSI EN 301 192, TR 101 202, ES 202 184).
 *
 * Subcommands are dispatched from a table (commands[] at the end) so
 * that new ones slot in beside build, update, validate and play with one
 * line each.  Everything that knows about carousels is in liboc
 * (carousel/oc_*.h); this file only parses options, prints and handles
 * files.  The only global state is what signal handlers must reach: the
 * switch and stop flags of `play` and the temporary files of a build.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carousel/oc_build.h"
#include "carousel/oc_content.h"
#include "carousel/oc_dsmcc.h"
#include "carousel/oc_inspect.h"
#include "carousel/oc_play.h"
#include "carousel/oc_state.h"
#include "carousel/oc_tree.h"

#define PROG "civictv-carousel"
#define PROG_VERSION "0.2.0"

/* Exit codes: 0 done, 1 the content or the build failed, 2 usage. */
enum { EXIT_BUILD = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " build [options] CONTENT_DIR -o OUT.ts\n"
"       " PROG " build --raw [options] DIR -o OUT.ts\n"
"       " PROG " update OUT.ts.state NEW_CONTENT_DIR -o NEW.ts [options]\n"
"       " PROG " validate CONTENT_DIR\n"
"       " PROG " play IN.ts --udp HOST:PORT --bitrate R [--loop] [--rtp]\n"
"                [--then NEXT.ts [--after-cycles N]]\n"
"       " PROG " inspect [--pid PID] [--service N] [--carousel-id N] IN.ts\n"
"       " PROG " extract [--pid PID] [--service N] [--carousel-id N] IN.ts OUT_DIR\n"
"       " PROG " --help | --version\n"
"\n"
"build: validate a civictv content folder and write a transport stream\n"
"carrying it as a DSM-CC object carousel (PAT, PMT, DSI, DII, DDBs), and\n"
"OUT.ts.state beside it for later updates.  Nothing is written unless the\n"
"content is valid.\n"
"\n"
"  -o, --output FILE    the transport stream to write (required)\n"
"  --raw                carry any folder as it is, without content checks\n"
"  --pmt-pid PID        PMT PID (default 0x0100)\n"
"  --pid PID            carousel PID (default 0x0101)\n"
"  --service-id N       program_number / service_id (default 1)\n"
"  --tsid N             transport_stream_id (default 1)\n"
"  --carousel-id N      carousel_id and downloadId (default 1)\n"
"  --component-tag N    component_tag of the carousel stream (default 0x01)\n"
"  --block-size N       DDB block size, 16..4066 (default 4066)\n"
"  --module-size N[K|M] target largest module (default 64K); a bigger\n"
"                       file gets a module of its own\n"
"  --compress MODE      auto (when it shrinks a module), always or never\n"
"                       (default auto; zlib, per module)\n"
"  --carousel-bitrate R bit/s of the carousel (k and M suffixes: 1M)\n"
"  --ts-bitrate R       bit/s of the whole stream; null packets fill it\n"
"  --cycles N           times the whole carousel is sent (default 2)\n"
"  --duration S         cycles until S seconds of stream (needs a bitrate)\n"
"  --first-share P      percent the repetition of the first screen's\n"
"                       modules adds to the cycle (0..50, default 10)\n"
"  --boot-priority N    boot_priority_hint 0..3 (default 1)\n"
"  --progress           progress bar on stderr even when not a terminal\n"
"  --no-section-packing each section starts a new packet (more stuffing)\n"
"\n"
"update: rebuild from the state of an earlier build with the same ids;\n"
"only modules whose content changed get a new version.  Takes the rate,\n"
"cycle and progress options; ids and sizes come from the state file.\n"
"\n"
"play: send IN.ts over UDP, 7 packets a datagram, paced to R bit/s;\n"
"--loop repeats the last file; --then switches to NEXT.ts after N passes\n"
"(--after-cycles) or on SIGUSR1, where no section is half sent.\n"
"\n"
"Numbers may be decimal or 0x-prefixed hexadecimal.\n"
"See docs/carousel.md for what is signalled and why.\n");
}

static int fail_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int fail_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(try '" PROG " --help')\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* A whole unsigned number within [lo, hi]; K/M suffixes when allowed. */
static int parse_num(const char *s, unsigned long lo, unsigned long hi,
                     int suffix, unsigned long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    if (suffix && (*end == 'K' || *end == 'k')) {
        if (v > (1ull << 53))
            return -1;
        v *= 1024u;
        end++;
    } else if (suffix && (*end == 'M' || *end == 'm')) {
        if (v > (1ull << 43))
            return -1;
        v *= 1024u * 1024u;
        end++;
    }
    if (*end || v < lo || v > hi)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

typedef struct {
    oc_build_config cfg;
    const char *dir;
    const char *out;
    const char *state;            /* update: the earlier build's state */
    int raw;
    int progress;
    int have_cycles, have_duration;
} build_args;

/* One numeric option: name, range, where it goes; ids are refused by
 * update (they come from the state file). */
typedef struct {
    const char *name;
    unsigned long lo, hi;
    int suffix;
    const char *range;
    int is_id;
} num_opt;

enum {
    O_PMT_PID, O_PID, O_SERVICE, O_TSID, O_CAROUSEL, O_TAG, O_BLOCK,
    O_MODSIZE, O_CYCLES, O_BOOT, O_DURATION, O_SHARE, O_COUNT
};

static const num_opt num_opts[O_COUNT] = {
    [O_PMT_PID] = { "--pmt-pid", 0x10, 0x1FFE, 0, "0x0010..0x1FFE", 1 },
    [O_PID] = { "--pid", 0x10, 0x1FFE, 0, "0x0010..0x1FFE", 1 },
    [O_SERVICE] = { "--service-id", 1, 0xFFFF, 0, "1..65535", 1 },
    [O_TSID] = { "--tsid", 0, 0xFFFF, 0, "0..65535", 1 },
    [O_CAROUSEL] = { "--carousel-id", 0, 0xFFFFFFFFul, 0, "0..4294967295",
                     1 },
    [O_TAG] = { "--component-tag", 0, 0xFF, 0, "0..255", 1 },
    [O_BLOCK] = { "--block-size", OC_BLOCK_SIZE_MIN, OC_BLOCK_MAX, 0,
                  "16..4066", 1 },
    [O_MODSIZE] = { "--module-size", OC_MODULE_SIZE_MIN, OC_MODULE_SIZE_MAX,
                    1, "1K..64M", 1 },
    [O_CYCLES] = { "--cycles", 1, OC_CYCLES_MAX, 0, "1..10000", 0 },
    [O_BOOT] = { "--boot-priority", 0, 3, 0, "0..3", 1 },
    [O_DURATION] = { "--duration", 1, OC_DURATION_MAX, 0,
                     "1..86400 (seconds)", 0 },
    [O_SHARE] = { "--first-share", 0, OC_FIRST_SHARE_MAX, 0,
                  "0..50 (percent)", 1 },
};

static void set_num(build_args *b, size_t which, unsigned long v)
{
    oc_build_config *c = &b->cfg;
    switch (which) {
    case O_PMT_PID: c->pmt_pid = (uint16_t)v; break;
    case O_PID: c->pid = (uint16_t)v; break;
    case O_SERVICE: c->service_id = (uint16_t)v; break;
    case O_TSID: c->tsid = (uint16_t)v; break;
    case O_CAROUSEL: c->carousel_id = (uint32_t)v; break;
    case O_TAG: c->component_tag = (uint8_t)v; break;
    case O_BLOCK: c->block_size = (uint16_t)v; break;
    case O_MODSIZE: c->module_size = (uint32_t)v; break;
    case O_CYCLES: c->cycles = (unsigned)v; b->have_cycles = 1; break;
    case O_BOOT: c->boot_priority_hint = (uint8_t)v; break;
    case O_DURATION: c->duration_s = (uint32_t)v; b->have_duration = 1;
        break;
    case O_SHARE: c->first_share = (unsigned)v; break;
    default: break;
    }
}

/* A bitrate: a whole number of bit/s, or with a k or M suffix (x1000,
 * x1000000, as bitrates are counted); fractions like 1.5M allowed. */
static int parse_rate(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    if (*end == 'k' || *end == 'K') {
        v *= 1e3;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        v *= 1e6;
        end++;
    }
    if (*end || !(v >= OC_BITRATE_MIN && v <= OC_BITRATE_MAX))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* "--name value" or "--name=value"; returns the value or NULL. */
static const char *opt_value(const char *name, int argc, char **argv,
                             int *i, int *matched)
{
    size_t nl = strlen(name);
    const char *a = argv[*i];
    *matched = 0;
    if (strncmp(a, name, nl) != 0)
        return NULL;
    if (a[nl] == '=') {
        *matched = 1;
        return a + nl + 1;
    }
    if (a[nl] != '\0')
        return NULL;
    *matched = 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* build (update = 0) or update (update = 1) arguments. */
static int parse_build(int argc, char **argv, build_args *b, int update)
{
    oc_build_config_default(&b->cfg);
    b->dir = b->out = b->state = NULL;
    b->raw = b->progress = b->have_cycles = b->have_duration = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int m;
        const char *v;
        if (!strcmp(a, "--raw") && !update) {
            b->raw = 1;
            continue;
        }
        if (!strcmp(a, "--progress")) {
            b->progress = 1;
            continue;
        }
        if (!strcmp(a, "--no-section-packing")) {
            b->cfg.pack_sections = 0;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "-o")) {
            if (i + 1 >= argc)
                return fail_usage("%s: needs a file name", a);
            b->out = argv[++i];
            continue;
        }
        v = opt_value("--output", argc, argv, &i, &m);
        if (m) {
            if (!v || !*v)
                return fail_usage("%s: needs a file name", "--output");
            b->out = v;
            continue;
        }
        v = opt_value("--compress", argc, argv, &i, &m);
        if (m) {
            if (update)
                return fail_usage("%s: an update keeps the build's setting "
                                  "(from the state file)", "--compress");
            if (v && !strcmp(v, "auto"))
                b->cfg.compress = OC_COMPRESS_AUTO;
            else if (v && (!strcmp(v, "never") || !strcmp(v, "none")))
                b->cfg.compress = OC_COMPRESS_NONE;
            else if (v && (!strcmp(v, "always") || !strcmp(v, "all")))
                b->cfg.compress = OC_COMPRESS_ALL;
            else
                return fail_usage("%s: '%s' must be auto, always or never",
                                  "--compress", v ? v : "");
            continue;
        }
        static const char *const rates[2] = { "--carousel-bitrate",
                                              "--ts-bitrate" };
        int rk;
        for (rk = 0; rk < 2; rk++) {
            v = opt_value(rates[rk], argc, argv, &i, &m);
            if (m)
                break;
        }
        if (rk < 2) {
            uint64_t r;
            if (parse_rate(v, &r) != 0) {
                fprintf(stderr, PROG ": %s: '%s' is not a bitrate in "
                        "50k..200M bit/s\n", rates[rk], v ? v : "");
                return EXIT_USAGE;
            }
            if (rk == 0)
                b->cfg.carousel_bitrate = r;
            else
                b->cfg.ts_bitrate = r;
            continue;
        }
        size_t k;
        for (k = 0; k < O_COUNT; k++) {
            v = opt_value(num_opts[k].name, argc, argv, &i, &m);
            if (m)
                break;
        }
        if (k < O_COUNT) {
            unsigned long n;
            if (update && num_opts[k].is_id)
                return fail_usage("%s: an update keeps the build's ids and "
                                  "sizes (from the state file)",
                                  num_opts[k].name);
            if (parse_num(v, num_opts[k].lo, num_opts[k].hi,
                          num_opts[k].suffix, &n) != 0) {
                fprintf(stderr, PROG ": %s: '%s' is not a number in %s\n",
                        num_opts[k].name, v ? v : "", num_opts[k].range);
                return EXIT_USAGE;
            }
            set_num(b, k, n);
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return fail_usage("unknown option %s", a);
        if (update && !b->state) {
            b->state = a;
            continue;
        }
        if (b->dir)
            return fail_usage("one folder only (extra: %s)", a);
        b->dir = a;
    }
    if (update && !b->state)
        return fail_usage("%s", "update: which state file?");
    if (!b->dir)
        return fail_usage("%s: which folder?", update ? "update" : "build");
    if (!b->out)
        return fail_usage("%s: -o OUT.ts is required",
                          update ? "update" : "build");
    if (b->have_cycles && b->have_duration)
        return fail_usage("%s", "--cycles and --duration: give one of them");
    char why[160];
    if (oc_build_config_check(&b->cfg, why, sizeof why) != OC_OK)
        return fail_usage("%s", why);
    return 0;
}

static void print_load_problem(void *ud, const char *path, const char *what)
{
    (*(unsigned *)ud)++;
    fprintf(stderr, PROG ": %s: %s\n", path, what);
}

static void print_content_problem(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, PROG ": %s\n", msg);
}

/* Load a folder and, unless raw, check it; 0 when it may be built. */
static int load_checked(const char *dir, int raw, int building,
                        oc_tree **out)
{
    oc_tree *t = NULL;
    oc_err e = oc_tree_create(&t);
    if (e) {
        fprintf(stderr, PROG ": %s\n", oc_strerror(e));
        return EXIT_BUILD;
    }
    unsigned n = 0;
    e = oc_tree_load(t, dir, 0, print_load_problem, &n);
    if (e) {
        if (n == 0)     /* a failure of its own, not a file's */
            fprintf(stderr, PROG ": %s: %s\n", dir, oc_strerror(e));
        fprintf(stderr, PROG ": %s: not read (%u problem%s)%s\n", dir,
                n ? n : 1, n > 1 ? "s" : "",
                building ? "; nothing written" : "");
        oc_tree_destroy(t);
        return EXIT_BUILD;
    }
    if (!raw) {
        n = oc_content_check(t, print_content_problem, NULL);
        if (n) {
            fprintf(stderr, PROG ": %s: %u problem%s%s\n", dir, n,
                    n == 1 ? "" : "s", building ? "; nothing written" : "");
            oc_tree_destroy(t);
            return EXIT_BUILD;
        }
    }
    *out = t;
    return 0;
}

/* The stream being written, and the errno of its first failed write. */
typedef struct {
    FILE *f;
    int err;
} stream_out;

static int file_sink(void *ud, const uint8_t *pkt)
{
    stream_out *o = ud;
    if (fwrite(pkt, 1, OC_TS_PACKET, o->f) == OC_TS_PACKET)
        return 0;
    if (!o->err)
        o->err = errno ? errno : EIO;
    return -1;
}

/* Flush, sync and close; the errno of the first failure, or 0. */
static int stream_close(stream_out *o)
{
    int err = o->err;
    if (fflush(o->f) != 0 && !err)
        err = errno;
    /* A full disk or a quota may only show here (NFS, some file
     * systems); EINVAL: a file that cannot be synced (a pipe). */
    if (fsync(fileno(o->f)) != 0 && errno != EINVAL && !err)
        err = errno;
    if (fclose(o->f) != 0 && !err)
        err = errno;
    o->f = NULL;
    return err;
}

/* The temporary files of a build in progress, removed if the build is
 * interrupted (SIGINT, SIGTERM, SIGHUP) so that nothing half-written is
 * left behind.  A signal handler can reach nothing but globals. */
static const char *volatile tmp_stream, *volatile tmp_state;

static void on_build_signal(int sig)
{
    if (tmp_stream)
        unlink(tmp_stream);
    if (tmp_state)
        unlink(tmp_state);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_build_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_build_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A bar on stderr, redrawn in place: only for a person watching. */
typedef struct {
    int on;
    int last;
    const char *stage;
} progress_bar;

static void show_progress(void *ud, const char *stage, uint64_t done,
                          uint64_t total)
{
    progress_bar *pb = ud;
    if (!pb->on || !total)
        return;
    int pct = (int)(done * 100u / total);
    if (pct == pb->last && pb->stage == stage)
        return;
    pb->last = pct;
    pb->stage = stage;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\r%-8s [%s] %3d%%", stage, bar, pct);
}

static double percent(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* The summary.  Overhead is what one cycle puts on the carousel PID
 * beyond the module bytes it must carry: TS and section headers,
 * stuffing, DSI and DII.  BIOP (the objects' headers and directories)
 * and compression are shown against the files' bytes.  PAT/PMT, null
 * packets and the first screen's repetition are reported apart: they
 * are chosen rates, not the cost of the format. */
static void print_summary(const char *out, const oc_build_stats *st)
{
    const oc_carousel_stats *c = &st->carousel;
    double files = (double)c->payload_bytes, biop = (double)c->biop_bytes;
    double mods = (double)c->module_bytes;
    printf("%s: %zu objects (%zu files, %zu folders, 1 gateway), "
           "%zu modules (%zu compressed, %zu for the first screen) in "
           "%zu DII%s, %llu blocks per cycle\n",
           out, c->objects, c->files, c->dirs, c->modules,
           c->compressed_modules, c->first_modules, c->diis,
           c->diis == 1 ? "" : "s", (unsigned long long)c->blocks);
    printf("%s: payload %llu bytes in files, %llu in BIOP objects "
           "(+%.1f%%), %llu in modules as sent (compression saved "
           "%.1f%%)\n",
           out, (unsigned long long)c->payload_bytes,
           (unsigned long long)c->biop_bytes, percent(biop - files, files),
           (unsigned long long)c->module_bytes, percent(biop - mods, biop));
    uint64_t car_pkts = st->cycle_packets - st->cycle_null_packets -
                        st->cycle_psi_packets - st->repeat_packets;
    double car = (double)car_pkts * OC_TS_PACKET;
    printf("%s: per cycle: %.0f bytes on the carousel PID, overhead "
           "%.1f%% over the module bytes (TS and section headers, "
           "stuffing, DSI, DII), %+.1f%% against the files (BIOP and "
           "compression included); apart: PAT/PMT %llu bytes, first-screen "
           "repetition %llu bytes (%u groups), %llu null packets\n",
           out, car, percent(car - mods, mods), percent(car - files, files),
           (unsigned long long)(st->cycle_psi_packets * OC_TS_PACKET),
           (unsigned long long)(st->repeat_packets * OC_TS_PACKET),
           st->groups_per_cycle,
           (unsigned long long)st->cycle_null_packets);
    printf("%s: %u cycles, %llu bytes on air (%llu packets, %llu null)\n",
           out, st->cycles, (unsigned long long)st->bytes_on_air,
           (unsigned long long)st->packets,
           (unsigned long long)st->null_packets);
    if (st->rate)
        printf("%s: at %llu bit/s: cycle %.3f s, worst-case first screen "
               "%.3f s, PAT/PMT every %.0f ms\n",
               out, (unsigned long long)st->rate, st->cycle_seconds,
               st->first_screen_seconds,
               (double)st->psi_interval * OC_TS_PACKET * 8000.0 /
                   (double)st->rate);
    else
        printf("%s: no bitrate given: cycle %llu packets, worst-case first "
               "screen %llu packets (--carousel-bitrate gives times)\n",
               out, (unsigned long long)st->cycle_packets,
               (unsigned long long)st->first_screen_packets);
    if (c->changed_modules < c->modules || c->removed_modules)
        printf("%s: update: %zu of %zu modules new or changed, %zu "
               "removed\n", out, c->changed_modules, c->modules,
               c->removed_modules);
}

static char *with_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    char *p = malloc(a + b + 1);
    if (p) {
        memcpy(p, s, a);
        memcpy(p + a, suf, b + 1);
    }
    return p;
}

/* The whole of build and update: tree in, OUT.ts and OUT.ts.state out,
 * or nothing.  The stream goes to OUT.ts.tmp and the state to
 * OUT.ts.state.tmp, both flushed to disk; only then are they renamed
 * into place, the stream first, so that a failure at any point before
 * leaves the old stream and state (or none) as they were. */
static int write_outputs(const build_args *b, const oc_tree *t,
                         oc_build_config *cfg, int raw)
{
    char *tmp = with_suffix(b->out, ".tmp");
    char *state = with_suffix(b->out, ".state");
    char *state_tmp = with_suffix(b->out, ".state.tmp");
    char **first = NULL;
    size_t n_first = 0;
    oc_state s;
    memset(&s, 0, sizeof s);
    int rc = EXIT_BUILD;
    if (!tmp || !state || !state_tmp) {
        fprintf(stderr, PROG ": %s\n", oc_strerror(OC_ENOMEM));
        goto out;
    }
    if (is_folder(b->out) || is_folder(state)) {
        fprintf(stderr, PROG ": %s: is a folder, not a file to write; "
                "nothing written\n", is_folder(b->out) ? b->out : state);
        goto out;
    }
    oc_err e = raw ? OC_OK : oc_content_first_screen(t, &first, &n_first);
    if (e) {
        fprintf(stderr, PROG ": %s: not built: %s\n", b->dir, oc_strerror(e));
        goto out;
    }
    cfg->first_paths = (const char *const *)first;
    cfg->n_first = n_first;
    progress_bar pb = { b->progress || isatty(2), -1, NULL };
    cfg->progress = show_progress;
    cfg->progress_ud = &pb;
    tmp_stream = tmp;
    tmp_state = state_tmp;
    catch_build_signals();
    stream_out so = { fopen(tmp, "wb"), 0 };
    if (!so.f) {
        fprintf(stderr, PROG ": %s: cannot be written (%s: %s); nothing "
                "written\n", b->out, tmp, strerror(errno));
        goto out;
    }
    oc_build_stats st;
    e = oc_build_layout(t, cfg, file_sink, &so, &st, &s.layout);
    int err = stream_close(&so);
    if (pb.on && pb.stage)
        fputc('\n', stderr);
    if (err) {
        fprintf(stderr, PROG ": %s: not written (%s: %s); nothing "
                "changed\n", b->out, tmp, strerror(err));
        goto out;
    }
    if (e) {
        fprintf(stderr, PROG ": %s: not built: %s; nothing written\n",
                b->dir, oc_strerror(e));
        goto out;
    }
    /* --duration asks for whole cycles within that time: one cycle must
     * fit, or the carousel is too big for the bitrate. */
    if (cfg->duration_s && st.cycle_seconds > (double)cfg->duration_s) {
        fprintf(stderr, PROG ": --duration %u: the bitrate is too low for "
                "the carousel: one cycle lasts %.1f s at %llu bit/s (raise "
                "the bitrate or the duration); nothing written\n",
                (unsigned)cfg->duration_s, st.cycle_seconds,
                (unsigned long long)st.rate);
        rc = EXIT_USAGE;
        goto out;
    }
    char why[512] = "";
    s.cfg = *cfg;
    s.raw = raw;
    if (oc_state_prepare(&s, state, why, sizeof why) != OC_OK) {
        fprintf(stderr, PROG ": %s; nothing written\n", why);
        goto out;
    }
    if (rename(tmp, b->out) != 0) {
        fprintf(stderr, PROG ": %s: not written (%s); nothing changed\n",
                b->out, strerror(errno));
        goto out;
    }
    if (oc_state_commit(state, why, sizeof why) != OC_OK) {
        /* The stream is in place but its state is not: an update from
         * the old state would not match what is on air. */
        fprintf(stderr, PROG ": %s\n" PROG ": %s is written but its state "
                "is not: build again before any update\n", why, b->out);
        goto out;
    }
    print_summary(b->out, &st);
    printf("%s: state for updates in %s\n", b->out, state);
    rc = 0;
out:
    if (rc && tmp)
        unlink(tmp);
    if (rc && state_tmp)
        unlink(state_tmp);
    tmp_stream = tmp_state = NULL;
    oc_layout_free(&s.layout);
    oc_content_paths_free(first, n_first);
    free(tmp);
    free(state);
    free(state_tmp);
    return rc;
}

static int cmd_build(int argc, char **argv)
{
    build_args b;
    int rc = parse_build(argc, argv, &b, 0);
    if (rc)
        return rc;
    oc_tree *t = NULL;
    rc = load_checked(b.dir, b.raw, 1, &t);
    if (rc)
        return rc;
    rc = write_outputs(&b, t, &b.cfg, b.raw);
    oc_tree_destroy(t);
    return rc;
}

static int cmd_update(int argc, char **argv)
{
    build_args b;
    int rc = parse_build(argc, argv, &b, 1);
    if (rc)
        return rc;
    oc_state s;
    char why[512];
    oc_err e = oc_state_read(b.state, &s, why, sizeof why);
    if (e) {
        fprintf(stderr, PROG ": %s\n" PROG ": nothing written\n", why);
        return EXIT_BUILD;
    }
    oc_tree *t = NULL;
    rc = load_checked(b.dir, s.raw, 1, &t);
    if (!rc) {
        /* Ids and sizes from the state; rates and cycles from the
         * command line. */
        oc_build_config cfg = s.cfg;
        cfg.carousel_bitrate = b.cfg.carousel_bitrate;
        cfg.ts_bitrate = b.cfg.ts_bitrate;
        cfg.cycles = b.cfg.cycles;
        cfg.duration_s = b.cfg.duration_s;
        cfg.pack_sections = b.cfg.pack_sections;
        cfg.prev = &s.layout;
        if (oc_build_config_check(&cfg, why, sizeof why) != OC_OK) {
            fprintf(stderr, PROG ": %s\n", why);
            rc = EXIT_USAGE;
        } else {
            rc = write_outputs(&b, t, &cfg, s.raw);
        }
    }
    oc_tree_destroy(t);
    oc_state_free(&s);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return fail_usage("unknown option %s", argv[i]);
        if (dir)
            return fail_usage("one folder only (extra: %s)", argv[i]);
        dir = argv[i];
    }
    if (!dir)
        return fail_usage("%s", "validate: which folder?");
    oc_tree *t = NULL;
    int rc = load_checked(dir, 0, 0, &t);
    if (rc)
        return rc;
    printf("%s: valid\n", dir);
    oc_tree_destroy(t);
    return 0;
}

/* Set by SIGUSR1 (switch to --then) and SIGINT/SIGTERM (stop): a signal
 * handler can reach nothing else. */
static volatile sig_atomic_t play_switch, play_stop;

static void on_usr1(int sig)
{
    (void)sig;
    play_switch = 1;
}

static void on_stop(int sig)
{
    (void)sig;
    play_stop = 1;
}

static int cmd_play(int argc, char **argv)
{
    oc_play_config pc = { 0 };
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int m;
        const char *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--loop")) {
            pc.loop = true;
            continue;
        }
        if (!strcmp(a, "--rtp")) {
            pc.rtp = true;
            continue;
        }
        v = opt_value("--udp", argc, argv, &i, &m);
        if (m) {
            if (!v || !*v)
                return fail_usage("%s: needs HOST:PORT", "--udp");
            pc.addr = v;
            continue;
        }
        v = opt_value("--then", argc, argv, &i, &m);
        if (m) {
            if (!v || !*v)
                return fail_usage("%s: needs a file", "--then");
            pc.then = v;
            continue;
        }
        v = opt_value("--bitrate", argc, argv, &i, &m);
        if (m) {
            if (parse_rate(v, &pc.bitrate) != 0)
                return fail_usage("--bitrate: '%s' is not a bitrate in "
                                  "50k..200M bit/s", v ? v : "");
            continue;
        }
        v = opt_value("--after-cycles", argc, argv, &i, &m);
        if (m) {
            unsigned long n;
            if (parse_num(v, 1, 1000000, 0, &n) != 0)
                return fail_usage("--after-cycles: '%s' is not a number in "
                                  "1..1000000", v ? v : "");
            pc.after_cycles = (unsigned)n;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return fail_usage("unknown option %s", a);
        if (pc.first)
            return fail_usage("one stream only (extra: %s; use --then)", a);
        pc.first = a;
    }
    if (!pc.first)
        return fail_usage("%s", "play: which .ts file?");
    if (!pc.addr)
        return fail_usage("%s", "play: --udp HOST:PORT is required");
    if (!pc.bitrate)
        return fail_usage("%s", "play: --bitrate R is required");
    if (pc.after_cycles && !pc.then)
        return fail_usage("%s", "--after-cycles: needs --then NEXT.ts");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pc.switch_flag = &play_switch;
    pc.stop_flag = &play_stop;
    oc_play_stats st;
    char why[512];
    oc_err e = oc_play_run(&pc, &st, why, sizeof why);
    if (e) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_BUILD;
    }
    fprintf(stderr, PROG ": sent %llu packets in %llu datagrams%s\n",
            (unsigned long long)st.packets,
            (unsigned long long)st.datagrams,
            st.switched ? ", switched to the second file" : "");
    return 0;
}

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

/* One line per subcommand. */
static const command commands[] = {
    { "build", cmd_build },
    { "update", cmd_update },
    { "validate", cmd_validate },
    { "play", cmd_play },
    { "inspect", oc_inspect_cmd },
    { "extract", oc_extract_cmd },
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf(PROG " " PROG_VERSION "\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    return fail_usage("unknown command '%s'", argv[1]);
}
