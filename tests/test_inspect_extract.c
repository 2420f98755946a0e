/*
 * civictv-carousel inspect and extract (carousel/oc_inspect.h), run
 * in-process on the real broadcast fixtures (tests/fixtures/broadcast,
 * see its README.md: no PAT/PMT, so the PID is given or found from the
 * sections) and on a carousel of our own built with PAT, PMT and
 * signalling: the extracted bytes must equal the expected files, the
 * exit statuses must say complete (0), incomplete or failed (1) and
 * usage (2), and inspect must report what an analyser would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carousel/oc_build.h"
#include "carousel/oc_inspect.h"
#include "carousel/oc_tree.h"
#include "dvb/dvb_crc32.h"
#include "dvb/dvb_introspect.h"

#define FIX "tests/fixtures/broadcast/"
#define HOTBIRD FIX "hotbird-hbbtv-capture"
#define MHP FIX "mhp-tutorial-ocdir1"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Runs a subcommand with its output captured. */
typedef struct {
    char *out, *err;
    size_t outlen, errlen;
    int rc;
} run_result;

static run_result run(int (*cmd)(int, char **, FILE *, FILE *),
                      const char *const *args)
{
    char *argv[16];
    int argc = 0;
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    run_result r;
    memset(&r, 0, sizeof r);
    FILE *out = open_memstream(&r.out, &r.outlen);
    FILE *err = open_memstream(&r.err, &r.errlen);
    assert_true(out && err);
    r.rc = cmd(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static void tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/civictv-extract-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* Every file under want_root is under got_root with the same bytes, and
 * got_root holds nothing else; returns the number of files. */
static size_t compare_trees(const char *got_root, const char *want_root,
                            const char *rel)
{
    char wd[1024], gd[1024];
    snprintf(wd, sizeof wd, "%s%s", want_root, rel);
    snprintf(gd, sizeof gd, "%s%s", got_root, rel);
    size_t files = 0, want_entries = 0, got_entries = 0;
    DIR *d = opendir(wd);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        want_entries++;
        char r2[1024], w2[2100], g2[2100];
        snprintf(r2, sizeof r2, "%s/%s", rel, de->d_name);
        snprintf(w2, sizeof w2, "%s%s", want_root, r2);
        snprintf(g2, sizeof g2, "%s%s", got_root, r2);
        struct stat ws, gs;
        assert_int_equal(stat(w2, &ws), 0);
        if (stat(g2, &gs) != 0)
            fail_msg("%s was not extracted", r2);
        if (S_ISDIR(ws.st_mode)) {
            assert_true(S_ISDIR(gs.st_mode));
            files += compare_trees(got_root, want_root, r2);
            continue;
        }
        size_t wl, gl;
        uint8_t *w = slurp(w2, &wl), *g = slurp(g2, &gl);
        assert_non_null(w);
        assert_non_null(g);
        if (wl != gl || memcmp(w, g, wl))
            fail_msg("%s differs (%zu bytes, expected %zu)", r2, gl, wl);
        free(w);
        free(g);
        files++;
    }
    closedir(d);
    d = opendir(gd);
    assert_non_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            got_entries++;
    closedir(d);
    assert_int_equal(got_entries, want_entries);
    return files;
}

/* Files of got_root are a subset of want_root's, byte for byte. */
static size_t subset_of(const char *got_root, const char *want_root,
                        const char *rel)
{
    char gd[1024];
    snprintf(gd, sizeof gd, "%s%s", got_root, rel);
    DIR *d = opendir(gd);
    assert_non_null(d);
    size_t files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char r2[1024], w2[2100], g2[2100];
        snprintf(r2, sizeof r2, "%s/%s", rel, de->d_name);
        snprintf(w2, sizeof w2, "%s%s", want_root, r2);
        snprintf(g2, sizeof g2, "%s%s", got_root, r2);
        struct stat gs;
        assert_int_equal(stat(g2, &gs), 0);
        if (S_ISDIR(gs.st_mode)) {
            files += subset_of(got_root, want_root, r2);
            continue;
        }
        size_t wl, gl;
        uint8_t *w = slurp(w2, &wl), *g = slurp(g2, &gl);
        if (!w)
            fail_msg("%s is not in the expected tree", r2);
        assert_int_equal(gl, wl);
        assert_memory_equal(g, w, wl);
        free(w);
        free(g);
        files++;
    }
    closedir(d);
    return files;
}

/* ---- the real fixtures ---- */

static void extract_fixture(const char *base, const char *pid, size_t want)
{
    char dir[64], want_dir[256];
    tmpdir(dir, sizeof dir);
    snprintf(want_dir, sizeof want_dir, "%s.expected/files", base);
    char ts[256];
    snprintf(ts, sizeof ts, "%s.ts", base);
    const char *with_pid[] = { "--pid", pid, ts, dir, NULL };
    const char *without[] = { ts, dir, NULL };
    run_result r = run(oc_extract_main, pid ? with_pid : without);
    if (r.rc != 0)
        fail_msg("extract exit %d: %s", r.rc, r.err);
    assert_int_equal(compare_trees(dir, want_dir, ""), want);
    if (!pid)
        assert_non_null(strstr(r.err, "no PAT/PMT"));
    run_free(&r);
    rm_rf(dir);
}

static void test_extract_hotbird(void **state)
{
    (void)state;
    extract_fixture(HOTBIRD, "0x076A", 3);
}

static void test_extract_mhp(void **state)
{
    (void)state;
    extract_fixture(MHP, "2003", 54);
}

static void test_extract_found_by_sections(void **state)
{
    (void)state;
    extract_fixture(MHP, NULL, 54);
    extract_fixture(HOTBIRD, NULL, 3);
}

/* Every cut of the stream: exit 1 unless the carousel is complete, and
 * what is written is always right. */
static void test_extract_truncated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *ts = slurp(MHP ".ts", &len);
    assert_non_null(ts);
    const char *cut = "/tmp/civictv-cut.ts";
    size_t cuts[] = { 0, 187, 188 * 3 + 5, len / 4, len / 2, len - 188 * 40 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(cut, ts, cuts[i]);
        char dir[64];
        tmpdir(dir, sizeof dir);
        const char *args[] = { "--pid", "0x07D3", cut, dir, NULL };
        run_result r = run(oc_extract_main, args);
        /* The capture's last DDBs are in its last 40 packets. */
        if (r.rc != 1)
            fail_msg("cut at %zu: exit %d", cuts[i], r.rc);
        assert_true(strstr(r.err, "incomplete") != NULL ||
                    strstr(r.err, "no object carousel") != NULL);
        size_t n = subset_of(dir, MHP ".expected/files", "");
        assert_true(n < 54);
        run_free(&r);
        rm_rf(dir);
    }
    /* Part of the stream still recovers the files of its complete
     * modules. */
    spit(cut, ts, len * 5 / 8);
    char dir[64];
    tmpdir(dir, sizeof dir);
    const char *args[] = { "--pid", "0x07D3", cut, dir, NULL };
    run_result r = run(oc_extract_main, args);
    assert_int_equal(r.rc, 1);
    assert_true(subset_of(dir, MHP ".expected/files", "") > 0);
    run_free(&r);
    rm_rf(dir);
    unlink(cut);
    free(ts);
}

/* A capture entered mid-cycle: incomplete in one reading, complete and
 * byte-identical with --loop, wherever it starts. */
static void test_extract_loop(void **state)
{
    (void)state;
    size_t len;
    uint8_t *ts = slurp(MHP ".ts", &len);
    assert_non_null(ts);
    uint8_t *rot = malloc(len);
    assert_non_null(rot);
    const char *path = "/tmp/civictv-rotated.ts";
    size_t packets = len / 188;
    for (size_t k = 1; k < 8; k++) {
        size_t at = packets * k / 8 * 188;
        memcpy(rot, ts + at, len - at);
        memcpy(rot + (len - at), ts, at);
        spit(path, rot, len);
        char dir[64];
        tmpdir(dir, sizeof dir);
        const char *once[] = { "--pid", "0x07D3", path, dir, NULL };
        run_result r = run(oc_extract_main, once);
        /* One cycle entered past its first DDBs cannot be complete. */
        assert_int_equal(r.rc, 1);
        run_free(&r);
        rm_rf(dir);
        tmpdir(dir, sizeof dir);
        const char *looped[] = { "--loop", "--pid", "0x07D3", path, dir, NULL };
        r = run(oc_extract_main, looped);
        if (r.rc != 0)
            fail_msg("entered at packet %zu, --loop: exit %d: %s",
                     at / 188, r.rc, r.err);
        assert_int_equal(compare_trees(dir, MHP ".expected/files", ""), 54);
        run_free(&r);
        rm_rf(dir);
    }
    unlink(path);
    free(rot);
    free(ts);
}

static void test_extract_errors(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir, sizeof dir);
    const char *missing[] = { "/nonexistent/in.ts", dir, NULL };
    run_result r = run(oc_extract_main, missing);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "/nonexistent/in.ts"));
    run_free(&r);
    const char *none[] = { NULL };
    r = run(oc_extract_main, none);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *one[] = { MHP ".ts", NULL };
    r = run(oc_extract_main, one);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *three[] = { MHP ".ts", dir, "extra", NULL };
    r = run(oc_extract_main, three);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *badpid[] = { "--pid", "0x2000", MHP ".ts", dir, NULL };
    r = run(oc_extract_main, badpid);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "--pid"));
    run_free(&r);
    const char *nopidval[] = { MHP ".ts", dir, "--pid", NULL };
    r = run(oc_extract_main, nopidval);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *unknown[] = { "--frobnicate", MHP ".ts", dir, NULL };
    r = run(oc_extract_main, unknown);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *help[] = { "--help", NULL };
    r = run(oc_extract_main, help);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "usage:"));
    run_free(&r);
    /* The wrong PID: no carousel, exit 1. */
    const char *wrongpid[] = { "--pid", "0x0100", MHP ".ts", dir, NULL };
    r = run(oc_extract_main, wrongpid);
    assert_int_equal(r.rc, 1);
    run_free(&r);
    /* A file where a directory must go: that file fails, exit 1. */
    char blocker[128];
    snprintf(blocker, sizeof blocker, "%s/resources", dir);
    spit(blocker, (const uint8_t *)"x", 1);
    const char *blocked[] = { "--pid", "0x07D3", MHP ".ts", dir, NULL };
    r = run(oc_extract_main, blocked);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "resources"));
    run_free(&r);
    rm_rf(dir);
}

/* ---- our own carousel, with PAT/PMT ---- */

typedef struct {
    const char *path;
    size_t len;
} gen_file;

static const gen_file gen_files[] = {
    { "/manifest.json", 300 },
    { "/menus/root.json", 5000 },
    { "/pages/a/b/c.txt", 0 },
    { "/pages/big.bin", 200000 },
    { "/z", 17 },
};

static uint8_t gen_byte(size_t file, size_t i)
{
    return (uint8_t)((i * 2654435761u) >> (file + 3));
}

/* Writes the generated tree under root (the expected files) and its
 * carousel to ts_path; carousel_id and service_id as given. */
static void build_own(const char *ts_path, const char *root, uint32_t cid,
                      uint16_t sid)
{
    oc_tree *t = NULL;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    for (size_t f = 0; f < sizeof gen_files / sizeof gen_files[0]; f++) {
        size_t n = gen_files[f].len;
        uint8_t *d = malloc(n ? n : 1);
        assert_non_null(d);
        for (size_t i = 0; i < n; i++)
            d[i] = gen_byte(f, i);
        assert_int_equal(oc_tree_add_file(t, gen_files[f].path + 1, d, n), OC_OK);
        if (root) {
            char p[512];
            snprintf(p, sizeof p, "%s%s", root, gen_files[f].path);
            for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
            }
            spit(p, d, n);
        }
        free(d);
    }
    oc_build_config c;
    oc_build_config_default(&c);
    c.carousel_id = cid;
    c.service_id = sid;
    c.module_size = 16384;
    c.block_size = 1000;
    uint8_t *ts = NULL;
    size_t len = 0;
    assert_int_equal(oc_build_mem(t, &c, &ts, &len, NULL), OC_OK);
    spit(ts_path, ts, len);
    free(ts);
    oc_tree_destroy(t);
}

static void test_own_carousel(void **state)
{
    (void)state;
    char want[64], got[64];
    tmpdir(want, sizeof want);
    tmpdir(got, sizeof got);
    const char *ts = "/tmp/civictv-own.ts";
    build_own(ts, want, 77, 5);
    const char *args[] = { ts, got, NULL };
    run_result r = run(oc_extract_main, args);
    if (r.rc != 0)
        fail_msg("extract exit %d: %s", r.rc, r.err);
    assert_int_equal(compare_trees(got, want, ""), 5);
    assert_null(strstr(r.err, "no PAT/PMT"));  /* found through the PMT */
    run_free(&r);
    /* The right service and carousel id select it; others do not. */
    const char *by_sid[] = { "--service", "5", "--carousel-id", "77", ts, got,
                             NULL };
    r = run(oc_extract_main, by_sid);
    assert_int_equal(r.rc, 0);
    run_free(&r);
    const char *wrong_sid[] = { "--service", "6", ts, got, NULL };
    r = run(oc_extract_main, wrong_sid);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "no object carousel"));
    run_free(&r);
    const char *wrong_cid[] = { "--carousel-id", "78", ts, got, NULL };
    r = run(oc_extract_main, wrong_cid);
    assert_int_equal(r.rc, 1);
    run_free(&r);

    /* inspect: the signalling, the modules and the tree. */
    const char *iargs[] = { ts, NULL };
    r = run(oc_inspect_main, iargs);
    assert_int_equal(r.rc, 0);
    const char *must[] = {
        "service 5, PMT PID 0x0100",
        "PID 0x0101  stream_type 0x0B",
        "data_broadcast_id 0x0106 UK MHEG",
        "carousel_id 77",
        "0x0000 ", "PAT", "PMT",
        "DSI transactionId",
        "blockSize 1000",
        "carousel on PID 0x0101, service 5",
        "complete)",
        "200000  /pages/big.bin",
        "0  /pages/a/b/c.txt",
        "/pages/a/b/",
        "5 files (205317 bytes)",
        "errors: 0 sync losses, 0 continuity",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(r.out, must[i]))
            fail_msg("inspect output lacks \"%s\":\n%s", must[i], r.out);
    assert_null(strstr(r.out, "INCOMPLETE"));
    run_free(&r);
    rm_rf(want);
    rm_rf(got);
    unlink(ts);
}

/* Damage shows in inspect's counts: a corrupted byte inside a DDB makes a
 * CRC error, a dropped packet a continuity error, a set
 * transport_error_indicator a transport error. */
static void test_inspect_errors(void **state)
{
    (void)state;
    const char *ts = "/tmp/civictv-own-damaged.ts";
    build_own(ts, NULL, 1, 1);
    size_t len;
    uint8_t *b = slurp(ts, &len);
    /* Continuation packets of the carousel PID (0x0101) at a third, a
     * half and two thirds of the stream: nearly all of its bytes are
     * DDBs, so these are inside DDB sections. */
    size_t ddb_pkt = 0, later = 0, tei = 0;
    size_t npk = len / 188;
    for (size_t k = npk / 3; k < npk && !tei; k++) {
        size_t off = k * 188;
        int pid = ((b[off + 1] & 0x1F) << 8) | b[off + 2];
        if (pid != 0x0101 || (b[off + 1] & 0x40))
            continue;
        if (!ddb_pkt)
            ddb_pkt = off;
        else if (!later && k >= npk / 2)
            later = off;
        else if (later && k >= 2 * npk / 3)
            tei = off;
    }
    assert_true(ddb_pkt && later && tei);
    b[ddb_pkt + 60] ^= 0x55;                /* inside the DDB section */
    b[tei + 1] |= 0x80;                     /* transport_error_indicator */
    /* Drop one packet: CC jumps. */
    memmove(b + later, b + later + 188, len - later - 188);
    len -= 188;
    spit(ts, b, len);
    free(b);
    const char *iargs[] = { ts, NULL };
    run_result r = run(oc_inspect_main, iargs);
    assert_int_equal(r.rc, 0);
    const char *line = strstr(r.out, "errors: ");
    assert_non_null(line);
    unsigned long long sync, cc, te, crc;
    assert_int_equal(sscanf(line, "errors: %llu sync losses, %llu continuity, "
                                  "%llu transport_error_indicator, %llu CRC",
                            &sync, &cc, &te, &crc),
                     4);
    assert_int_equal(sync, 0);
    assert_true(cc >= 1);
    assert_int_equal(te, 1);
    assert_true(crc >= 1);
    assert_non_null(strstr(r.out, "Errors reported by the receiver"));
    run_free(&r);
    unlink(ts);
}

/* An SDT actual (EN 300 468 5.2.3) naming service 5, in one packet of
 * PID 0x0011, with a service_descriptor (6.2.33). */
static void sdt_packet(uint8_t pkt[188], const char *provider, const char *name)
{
    uint8_t sec[180];
    size_t n = 0;
    size_t pl = strlen(provider), nl = strlen(name);
    sec[n++] = 0x42;
    n += 2;                                 /* section_length, below */
    sec[n++] = 0x00;                        /* transport_stream_id 1 */
    sec[n++] = 0x01;
    sec[n++] = 0xC1;                        /* version 0, current */
    sec[n++] = 0;                           /* section_number */
    sec[n++] = 0;                           /* last_section_number */
    sec[n++] = 0x00;                        /* original_network_id */
    sec[n++] = 0x01;
    sec[n++] = 0xFF;                        /* reserved_future_use */
    sec[n++] = 0x00;                        /* service_id 5 */
    sec[n++] = 0x05;
    sec[n++] = 0xFC;                        /* no EIT flags */
    size_t dl = 2 + 3 + pl + nl;
    sec[n++] = (uint8_t)(0x80 | (dl >> 8)); /* running, not scrambled */
    sec[n++] = (uint8_t)dl;
    sec[n++] = 0x48;
    sec[n++] = (uint8_t)(3 + pl + nl);
    sec[n++] = 0x0C;                        /* data broadcast service */
    sec[n++] = (uint8_t)pl;
    memcpy(sec + n, provider, pl);
    n += pl;
    sec[n++] = (uint8_t)nl;
    memcpy(sec + n, name, nl);
    n += nl;
    size_t slen = n + 4 - 3;
    sec[1] = (uint8_t)(0xF0 | (slen >> 8));
    sec[2] = (uint8_t)slen;
    uint32_t crc = dvb_crc32(sec, n);
    sec[n++] = (uint8_t)(crc >> 24);
    sec[n++] = (uint8_t)(crc >> 16);
    sec[n++] = (uint8_t)(crc >> 8);
    sec[n++] = (uint8_t)crc;
    memset(pkt, 0xFF, 188);
    pkt[0] = 0x47;
    pkt[1] = 0x40;
    pkt[2] = 0x11;
    pkt[3] = 0x10;
    pkt[4] = 0;
    memcpy(pkt + 5, sec, n);
}

/* The SDT's names reach inspect's service list and the receiver line. */
static void test_inspect_sdt(void **state)
{
    (void)state;
    const char *ts = "/tmp/civictv-own-sdt.ts";
    build_own(ts, NULL, 1, 5);
    size_t len;
    uint8_t *b = slurp(ts, &len);
    uint8_t *with = malloc(len + 188);
    assert_non_null(with);
    sdt_packet(with, "Civic TV", "Council services");
    memcpy(with + 188, b, len);
    spit(ts, with, len + 188);
    free(b);
    free(with);
    const char *iargs[] = { ts, NULL };
    run_result r = run(oc_inspect_main, iargs);
    assert_int_equal(r.rc, 0);
    const char *must[] = {
        "service 5, PMT PID 0x0100, \"Council services\" from \"Civic TV\" "
        "(service_type 0x0C)",
        "0x0011          1          0    0          0                0  SDT",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(r.out, must[i]))
            fail_msg("inspect output lacks \"%s\":\n%s", must[i], r.out);
    run_free(&r);
    unlink(ts);
}

/* Continuity as ISO/IEC 13818-1 2.4.3.3 defines it, packet by packet. */
static void pkt(uint8_t *p, uint16_t pid, uint8_t afc, uint8_t cc, int disc)
{
    memset(p, 0xFF, 188);
    p[0] = 0x47;
    p[1] = (uint8_t)(pid >> 8);
    p[2] = (uint8_t)pid;
    p[3] = (uint8_t)(afc << 4 | cc);
    if (afc & 2) {
        p[4] = afc == 2 ? 183 : 1;     /* adaptation_field_length */
        p[5] = disc ? 0x80 : 0x00;
    }
}

/* The packets between null packets, so that the TS layer has locked its
 * sync before the first and delivers the last. */
static uint64_t cc_errors_of(const uint8_t *ts, size_t n, uint16_t pid)
{
    uint8_t buf[188 * 24];
    assert_true(n <= 8);
    for (size_t i = 0; i < 8; i++)
        pkt(buf + i * 188, 0x1FFF, 1, 0, 0);
    memcpy(buf + 8 * 188, ts, n * 188);
    for (size_t i = 8 + n; i < 16 + n; i++)
        pkt(buf + i * 188, 0x1FFF, 1, 0, 0);
    dvb_analyser *a = NULL;
    assert_int_equal(dvb_analyser_create(&a), DVB_OK);
    assert_int_equal(dvb_analyser_push(a, buf, (16 + n) * 188), DVB_OK);
    uint64_t e = 0;
    for (size_t i = 0; i < dvb_analyser_pid_count(a); i++)
        if (dvb_analyser_pid(a, i)->pid == pid)
            e = dvb_analyser_pid(a, i)->cc_errors;
    dvb_analysis_totals t;
    dvb_analyser_totals(a, &t);
    assert_int_equal(t.cc_errors, e);
    assert_true(t.packets >= n + 8);
    dvb_analyser_destroy(a);
    return e;
}

static void test_analyser_continuity(void **state)
{
    (void)state;
    uint8_t ts[188 * 8];
    /* 0 1 1 2: one repeat is allowed. */
    pkt(ts, 0x100, 1, 0, 0);
    pkt(ts + 188, 0x100, 1, 1, 0);
    pkt(ts + 376, 0x100, 1, 1, 0);
    pkt(ts + 564, 0x100, 1, 2, 0);
    assert_int_equal(cc_errors_of(ts, 4, 0x100), 0);
    /* 0 1 1 1: the second repeat is an error. */
    pkt(ts + 564, 0x100, 1, 1, 0);
    assert_int_equal(cc_errors_of(ts, 4, 0x100), 1);
    /* 0 1 3: a gap. */
    pkt(ts + 376, 0x100, 1, 3, 0);
    assert_int_equal(cc_errors_of(ts, 3, 0x100), 1);
    /* 0 1 9 with discontinuity_indicator: not an error. */
    pkt(ts + 376, 0x100, 3, 9, 1);
    assert_int_equal(cc_errors_of(ts, 3, 0x100), 0);
    /* 0 1 [adaptation only, CC stays 1] 2: fine; 15 0 wraps. */
    pkt(ts + 376, 0x100, 2, 1, 0);
    pkt(ts + 564, 0x100, 1, 2, 0);
    assert_int_equal(cc_errors_of(ts, 4, 0x100), 0);
    pkt(ts, 0x100, 1, 15, 0);
    pkt(ts + 188, 0x100, 1, 0, 0);
    assert_int_equal(cc_errors_of(ts, 2, 0x100), 0);
    /* A packet with transport_error_indicator is counted, not checked. */
    pkt(ts, 0x100, 1, 0, 0);
    pkt(ts + 188, 0x100, 1, 7, 0);
    ts[188 + 1] |= 0x80;
    pkt(ts + 376, 0x100, 1, 1, 0);
    assert_int_equal(cc_errors_of(ts, 3, 0x100), 0);
    /* Null packets are never checked. */
    pkt(ts, 0x1FFF, 1, 0, 0);
    pkt(ts + 188, 0x1FFF, 1, 0, 0);
    pkt(ts + 376, 0x1FFF, 1, 5, 0);
    assert_int_equal(cc_errors_of(ts, 3, 0x1FFF), 0);
}

static void test_inspect_fixture(void **state)
{
    (void)state;
    const char *args[] = { "--pid", "0x076A", HOTBIRD ".ts", NULL };
    run_result r = run(oc_inspect_main, args);
    assert_int_equal(r.rc, 0);
    /* What the reference listing says about this capture. */
    const char *must[] = {
        "6405 packets", "5 continuity",
        "none: the stream has no PAT",
        "0x076A       6405          5",
        "carousel_id 10",
        "downloadId 10, blockSize 4066, 3 modules",
        "0x0001      125        133       1     1  zlib (0x78), 294 bytes",
        "0x0002      125     379138      94    94  zlib (0x78), 756113 bytes",
        "0x0003      125      29806       8     8  zlib (0x78), 31946 bytes",
        "carousel on PID 0x076A (given)",
        "756072  /deja.ttf", "2497  /index.html", "29367  /rj45.gif",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(r.out, must[i]))
            fail_msg("inspect output lacks \"%s\":\n%s", must[i], r.out);
    run_free(&r);
    const char *missing[] = { "/nonexistent.ts", NULL };
    r = run(oc_inspect_main, missing);
    assert_int_equal(r.rc, 1);
    run_free(&r);
    const char *none[] = { NULL };
    r = run(oc_inspect_main, none);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    const char *bad[] = { "--service", "0", HOTBIRD ".ts", NULL };
    r = run(oc_inspect_main, bad);
    assert_int_equal(r.rc, 2);
    run_free(&r);
    /* --progress writes progress lines to stderr, never to stdout. */
    const char *prog[] = { "--progress", MHP ".ts", NULL };
    r = run(oc_inspect_main, prog);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.err, "100%"));
    assert_null(strstr(r.out, "100%"));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_hotbird),
        cmocka_unit_test(test_extract_mhp),
        cmocka_unit_test(test_extract_found_by_sections),
        cmocka_unit_test(test_extract_truncated),
        cmocka_unit_test(test_extract_loop),
        cmocka_unit_test(test_extract_errors),
        cmocka_unit_test(test_own_carousel),
        cmocka_unit_test(test_inspect_errors),
        cmocka_unit_test(test_inspect_fixture),
        cmocka_unit_test(test_inspect_sdt),
        cmocka_unit_test(test_analyser_continuity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
