/*
 * civictv-carousel: the broadcaster's tool that turns a content folder
 * into an MPEG-2 transport stream carrying it as a DSM-CC object carousel
 * (ISO/IEC 13818-6, ETSI EN 301 192, TR 101 202, ES 202 184).
 *
 * Subcommands are dispatched from a table so that later ones (update,
 * inspect, extract, play) slot in beside build and validate.  Everything
 * that knows about carousels is in liboc (carousel/oc_*.h); this file
 * only parses options, prints and handles files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carousel/oc_build.h"
#include "carousel/oc_content.h"
#include "carousel/oc_dsmcc.h"
#include "carousel/oc_tree.h"

#define PROG "civictv-carousel"
#define PROG_VERSION "0.1.0"

/* Exit codes: 0 done, 1 the content or the build failed, 2 usage. */
enum { EXIT_BUILD = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " build [options] CONTENT_DIR -o OUT.ts\n"
"       " PROG " build --raw [options] DIR -o OUT.ts\n"
"       " PROG " validate CONTENT_DIR\n"
"       " PROG " --help | --version\n"
"\n"
"build: validate a civictv content folder and write a transport stream\n"
"carrying it as a DSM-CC object carousel (PAT, PMT, DSI, DII, DDBs).\n"
"Nothing is written unless the content is valid.\n"
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
"  --compress MODE      auto (when it shrinks a module), none or all\n"
"                       (default auto; zlib, per module)\n"
"  --cycles N           times the whole carousel is sent (default 2)\n"
"  --boot-priority N    boot_priority_hint 0..3 (default 1)\n"
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
    int raw;
} build_args;

/* One numeric option: name, range, where it goes. */
typedef struct {
    const char *name;
    unsigned long lo, hi;
    int suffix;
    const char *range;
} num_opt;

static const num_opt num_opts[] = {
    { "--pmt-pid", 0x10, 0x1FFE, 0, "0x0010..0x1FFE" },
    { "--pid", 0x10, 0x1FFE, 0, "0x0010..0x1FFE" },
    { "--service-id", 1, 0xFFFF, 0, "1..65535" },
    { "--tsid", 0, 0xFFFF, 0, "0..65535" },
    { "--carousel-id", 0, 0xFFFFFFFFul, 0, "0..4294967295" },
    { "--component-tag", 0, 0xFF, 0, "0..255" },
    { "--block-size", OC_BLOCK_SIZE_MIN, OC_BLOCK_MAX, 0, "16..4066" },
    { "--module-size", OC_MODULE_SIZE_MIN, OC_MODULE_SIZE_MAX, 1,
      "1K..64M" },
    { "--cycles", 1, OC_CYCLES_MAX, 0, "1..10000" },
    { "--boot-priority", 0, 3, 0, "0..3" },
};

static void set_num(oc_build_config *c, size_t which, unsigned long v)
{
    switch (which) {
    case 0: c->pmt_pid = (uint16_t)v; break;
    case 1: c->pid = (uint16_t)v; break;
    case 2: c->service_id = (uint16_t)v; break;
    case 3: c->tsid = (uint16_t)v; break;
    case 4: c->carousel_id = (uint32_t)v; break;
    case 5: c->component_tag = (uint8_t)v; break;
    case 6: c->block_size = (uint16_t)v; break;
    case 7: c->module_size = (uint32_t)v; break;
    case 8: c->cycles = (unsigned)v; break;
    case 9: c->boot_priority_hint = (uint8_t)v; break;
    default: break;
    }
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

static int parse_build(int argc, char **argv, build_args *b)
{
    oc_build_config_default(&b->cfg);
    b->dir = b->out = NULL;
    b->raw = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int m;
        const char *v;
        if (!strcmp(a, "--raw")) {
            b->raw = 1;
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
            if (v && !strcmp(v, "auto"))
                b->cfg.compress = OC_COMPRESS_AUTO;
            else if (v && !strcmp(v, "none"))
                b->cfg.compress = OC_COMPRESS_NONE;
            else if (v && !strcmp(v, "all"))
                b->cfg.compress = OC_COMPRESS_ALL;
            else
                return fail_usage("%s: must be auto, none or all",
                                  "--compress");
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof num_opts / sizeof num_opts[0]; k++) {
            v = opt_value(num_opts[k].name, argc, argv, &i, &m);
            if (m)
                break;
        }
        if (k < sizeof num_opts / sizeof num_opts[0]) {
            unsigned long n;
            if (parse_num(v, num_opts[k].lo, num_opts[k].hi,
                          num_opts[k].suffix, &n) != 0) {
                fprintf(stderr, PROG ": %s: '%s' is not a number in %s\n",
                        num_opts[k].name, v ? v : "", num_opts[k].range);
                return EXIT_USAGE;
            }
            set_num(&b->cfg, k, n);
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return fail_usage("unknown option %s", a);
        if (b->dir)
            return fail_usage("one folder only (extra: %s)", a);
        b->dir = a;
    }
    if (!b->dir)
        return fail_usage("%s", "build: which folder?");
    if (!b->out)
        return fail_usage("%s", "build: -o OUT.ts is required");
    char why[128];
    if (oc_build_config_check(&b->cfg, why, sizeof why) != OC_OK)
        return fail_usage("%s", why);
    return 0;
}

static void print_load_problem(void *ud, const char *path, const char *what)
{
    (void)ud;
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
    e = oc_tree_load(t, dir, 0, print_load_problem, NULL);
    if (e) {
        fprintf(stderr, PROG ": %s: not loaded (%s)\n", dir, oc_strerror(e));
        oc_tree_destroy(t);
        return EXIT_BUILD;
    }
    if (!raw) {
        unsigned n = oc_content_check(t, print_content_problem, NULL);
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

static int file_sink(void *ud, const uint8_t *pkt)
{
    return fwrite(pkt, 1, OC_TS_PACKET, ud) == OC_TS_PACKET ? 0 : -1;
}

/* Overhead is the share of the stream that is not module data: section
 * and packet headers, stuffing, PSI, DSI/DII and repetition of those.
 * Compression is reported on its own so the two are not confused. */
static void print_summary(const char *out, const oc_build_stats *st)
{
    const oc_carousel_stats *c = &st->carousel;
    uint64_t data = c->module_bytes * st->cycles;
    double overhead = st->bytes_on_air
        ? 100.0 * ((double)st->bytes_on_air - (double)data) /
              (double)st->bytes_on_air
        : 0.0;
    double saved = c->biop_bytes
        ? 100.0 * ((double)c->biop_bytes - (double)c->module_bytes) /
              (double)c->biop_bytes
        : 0.0;
    printf("%s: %zu objects (%zu files, %zu folders, 1 gateway), "
           "%zu modules (%zu compressed), %llu blocks per cycle\n",
           out, c->objects, c->files, c->dirs, c->modules,
           c->compressed_modules, (unsigned long long)c->blocks);
    printf("%s: payload %llu bytes in files, %llu in BIOP objects, "
           "%llu in modules as sent (compression saved %.1f%%)\n",
           out, (unsigned long long)c->payload_bytes,
           (unsigned long long)c->biop_bytes,
           (unsigned long long)c->module_bytes, saved);
    printf("%s: %u cycles, %llu bytes on air (%llu packets), "
           "overhead %.1f%%\n",
           out, st->cycles, (unsigned long long)st->bytes_on_air,
           (unsigned long long)st->packets, overhead);
}

static int cmd_build(int argc, char **argv)
{
    build_args b;
    int rc = parse_build(argc, argv, &b);
    if (rc)
        return rc;
    oc_tree *t = NULL;
    rc = load_checked(b.dir, b.raw, 1, &t);
    if (rc)
        return rc;

    /* Write beside the target and rename only on success, so a failed
     * build never leaves a truncated stream where playout expects one. */
    size_t ol = strlen(b.out);
    char *tmp = malloc(ol + 5);
    if (!tmp) {
        oc_tree_destroy(t);
        fprintf(stderr, PROG ": %s\n", oc_strerror(OC_ENOMEM));
        return EXIT_BUILD;
    }
    memcpy(tmp, b.out, ol);
    memcpy(tmp + ol, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
        free(tmp);
        oc_tree_destroy(t);
        return EXIT_BUILD;
    }
    oc_build_stats st;
    oc_err e = oc_build(t, &b.cfg, file_sink, f, &st);
    int close_failed = fclose(f) != 0;
    if (!e && close_failed)
        e = OC_EIO;
    if (!e && rename(tmp, b.out) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", b.out, strerror(errno));
        e = OC_EIO;
    }
    if (e) {
        remove(tmp);
        fprintf(stderr, PROG ": %s: not built: %s\n", b.dir, oc_strerror(e));
        rc = EXIT_BUILD;
    } else {
        print_summary(b.out, &st);
    }
    free(tmp);
    oc_tree_destroy(t);
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

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    { "build", cmd_build },
    { "validate", cmd_validate },
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
