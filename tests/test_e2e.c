/*
 * End to end, headless: the sample content folder goes through the real
 * civictv-carousel into a transport stream, the real civictv reads it on
 * DirectFB's dummy system with scripted keys, and the screenshots it
 * writes are compared with golden images with a small tolerance (font
 * rasterisation may differ by a few levels between FreeType builds).
 *
 * Also: a truncated or garbage stream must give a clear message and a
 * non-zero exit, never a crash.
 *
 * Set CIVICTV_UPDATE_GOLDEN=1 to rewrite the golden images from this run
 * (then look at them before committing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char build_dir[256];
static char tmp_dir[256];
static char sample_ts[512];

typedef struct {
    unsigned w, h;
    uint8_t *rgb; /* w*h*3 */
} image;

static int load_png(const char *path, image *img)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path))
        return -1;
    pi.format = PNG_FORMAT_RGB;
    img->w = pi.width;
    img->h = pi.height;
    img->rgb = malloc(PNG_IMAGE_SIZE(pi));
    if (!img->rgb || !png_image_finish_read(&pi, NULL, img->rgb, 0, NULL)) {
        png_image_free(&pi);
        free(img->rgb);
        img->rgb = NULL;
        return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* Run a shell command; return its exit status, or 128+signal if it died,
 * and capture stderr+stdout into out (if not NULL). */
static int run(const char *cmd, char *out, size_t outlen)
{
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t n = 0;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) {
        if (out && n + 1 < outlen) {
            size_t c = k < outlen - 1 - n ? k : outlen - 1 - n;
            memcpy(out + n, buf, c);
            n += c;
        }
    }
    if (out)
        out[n] = '\0';
    int st = pclose(p);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(build_dir, sizeof build_dir, "%s", b && *b ? b : "build");
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/civictv-e2e-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return -1;
    snprintf(sample_ts, sizeof sample_ts, "%s/sample.ts", tmp_dir);
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s/civictv-carousel build content -o %s",
             build_dir, sample_ts);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0) {
        print_error("%s\n%s\n", cmd, out);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    return run(cmd, NULL, 0) == 0 ? 0 : -1;
}

/* Compare a screenshot with a golden image.  Tolerance: no more than 0.5%
 * of pixels may differ by more than 48 in any channel, and the mean
 * absolute difference must stay under 2 levels. */
static void compare_with_golden(const char *shot, const char *golden)
{
    if (getenv("CIVICTV_UPDATE_GOLDEN")) {
        assert_int_equal(copy_file(shot, golden), 0);
        print_message("updated %s\n", golden);
        return;
    }
    image a, g;
    if (load_png(shot, &a) != 0)
        fail_msg("cannot read screenshot %s", shot);
    if (load_png(golden, &g) != 0) {
        free(a.rgb);
        fail_msg("cannot read golden image %s", golden);
    }
    assert_int_equal(a.w, 720);
    assert_int_equal(a.h, 576);
    assert_int_equal(a.w, g.w);
    assert_int_equal(a.h, g.h);
    size_t n = (size_t)a.w * a.h, bad = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int worst = 0;
        for (int c = 0; c < 3; c++) {
            int d = abs((int)a.rgb[i * 3 + c] - (int)g.rgb[i * 3 + c]);
            sum += (uint64_t)d;
            if (d > worst)
                worst = d;
        }
        if (worst > 48)
            bad++;
    }
    free(a.rgb);
    free(g.rgb);
    double mean = (double)sum / (double)(n * 3);
    if (bad * 200 > n || mean >= 2.0)
        fail_msg("%s differs from %s: %zu pixels off, mean difference %.2f",
                 shot, golden, bad, mean);
}

/* The screenshot must keep everything but the background inside the
 * graphics-safe area (EBU R95: x 36..684, y 29..547). */
static void assert_safe_area(const char *shot)
{
    image a;
    if (load_png(shot, &a) != 0)
        fail_msg("cannot read %s", shot);
    const uint8_t *bg = a.rgb; /* top-left corner is background */
    size_t outside = 0;
    for (unsigned y = 0; y < a.h; y++)
        for (unsigned x = 0; x < a.w; x++) {
            if (x >= 36 && x < 684 && y >= 29 && y < 547)
                continue;
            const uint8_t *p = a.rgb + ((size_t)y * a.w + x) * 3;
            if (abs(p[0] - bg[0]) + abs(p[1] - bg[1]) + abs(p[2] - bg[2]) > 24)
                outside++;
        }
    free(a.rgb);
    if (outside)
        fail_msg("%s: %zu pixels drawn outside the safe area", shot, outside);
}

/* Run civictv headless on the sample carousel with a fresh settings file
 * (optionally pre-set) and scripted keys; screenshots go to tmp/NAME. */
static void play(const char *name, const char *settings, const char *keys,
                 char *shots, size_t shots_len)
{
    char cmd[4096], out[16384], set_path[600];
    snprintf(shots, shots_len, "%s/%s", tmp_dir, name);
    snprintf(set_path, sizeof set_path, "%s/%s.settings", tmp_dir, name);
    FILE *f = fopen(set_path, "w");
    assert_non_null(f);
    fputs(settings ? settings : "", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --settings %s --screenshots %s --keys '%s' %s",
             build_dir, set_path, shots, keys, sample_ts);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
}

static void check_shot(const char *shots, const char *file, const char *golden)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", shots, file);
    compare_with_golden(path, golden);
}

static void check_shot_safe(const char *shots, const char *file, const char *golden)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", shots, file);
    compare_with_golden(path, golden);
    assert_safe_area(path);
}

static void test_root_menu_and_page(void **state)
{
    (void)state;
    char shots[512];
    /* TV with the prompt; Red opens the root menu; the focus moves; a
     * menu opens; Back finds the focus where it was; Exit is TV again. */
    play("tour", NULL, "red,down,down,ok,back,exit", shots, sizeof shots);
    check_shot(shots, "000-start.png", "tests/golden/tv-prompt.png");
    check_shot_safe(shots, "001-red.png", "tests/golden/root-menu.png");
    check_shot_safe(shots, "003-down.png", "tests/golden/root-menu-focus3.png");
    check_shot_safe(shots, "004-ok.png", "tests/golden/menu-bins.png");
    check_shot_safe(shots, "005-back.png", "tests/golden/root-menu-focus3.png");
    check_shot(shots, "006-exit.png", "tests/golden/tv.png");
}

/* The viewer's journey: the service from the carousel, a postcode typed
 * by multi-tap, the local council's menu with its contact details, one of
 * its pages, then Welsh from the settings, remembered for the next run. */
static void test_local_journey_in_welsh(void **state)
{
    (void)state;
    char shots[512];
    play("journey", NULL,
         "red,ok,2,2,2,3,3,1,blue,down,ok,back,blue,ok,back,ok", shots, sizeof shots);
    check_shot_safe(shots, "002-ok.png", "tests/golden/journey-postcode.png");
    check_shot_safe(shots, "008-1.png", "tests/golden/journey-postcode-ce1.png");
    check_shot_safe(shots, "009-blue.png", "tests/golden/journey-council.png");
    check_shot_safe(shots, "011-ok.png", "tests/golden/journey-council-page.png");
    check_shot_safe(shots, "014-ok.png", "tests/golden/journey-settings-cy.png");
    check_shot_safe(shots, "016-ok.png", "tests/golden/journey-council-page-cy.png");

    /* The settings were saved: a new run starts in Welsh, with the
     * council known, so "Your council" opens it at once. */
    char set_path[600], text[512];
    snprintf(set_path, sizeof set_path, "%s/journey.settings", tmp_dir);
    FILE *f = fopen(set_path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "language = cy"));
    assert_non_null(strstr(text, "postcode = CE1"));
    play("journey2", text, "red,ok", shots, sizeof shots);
    check_shot(shots, "000-start.png", "tests/golden/tv-prompt-cy.png");
    check_shot_safe(shots, "002-ok.png", "tests/golden/journey-council-cy.png");
}

/* Privacy and the prompt: the prompt hides itself; after the idle time
 * the app is back on TV, and Red then starts again from the top. */
static void test_prompt_and_idle_timeout(void **state)
{
    (void)state;
    char cmd[2048], out[16384], shots[600];
    snprintf(shots, sizeof shots, "%s/idle", tmp_dir);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --idle-timeout 1 --settings %s/idle.settings "
             "--screenshots %s --keys 'wait 6500,down,red,3,ok,wait 1500,down,red' %s",
             build_dir, tmp_dir, shots, sample_ts);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    check_shot(shots, "001-down.png", "tests/golden/tv.png");        /* prompt gone */
    check_shot_safe(shots, "004-ok.png", "tests/golden/menu-bins.png");
    check_shot(shots, "005-down.png", "tests/golden/tv.png");        /* idle: TV */
    check_shot_safe(shots, "006-red.png", "tests/golden/root-menu.png"); /* forgotten */
}

/* Postcodes that are not postcodes, or that no council covers, are
 * named on the entry screen; a bad key map stops the program clearly. */
static void test_postcode_errors_and_bad_keymap(void **state)
{
    (void)state;
    char shots[512];
    play("pc-bad", NULL, "red,ok,9,9,9,blue", shots, sizeof shots);
    check_shot_safe(shots, "006-blue.png", "tests/golden/postcode-not-a-postcode.png");
    play("pc-unknown", NULL, "red,ok,3,3,1,blue", shots, sizeof shots);
    check_shot_safe(shots, "006-blue.png", "tests/golden/postcode-no-council.png");

    char path[600], cmd[2048], out[4096];
    snprintf(path, sizeof path, "%s/bad.keymap", tmp_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("box RED = red\ndesktop F9 = purple\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "%s/civictv --headless --keymap %s %s", build_dir, path,
             sample_ts);
    int rc = run(cmd, out, sizeof out);
    if (rc != 1 || !strstr(out, "bad.keymap: line 2: \"purple\" is not a remote key"))
        fail_msg("bad key map: exit %d:\n%s", rc, out);
}

/* ---- live updates ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Two versions of a small service: in the second, page A has new text
 * and page B is gone. */
static void make_versions(char *both_ts, size_t n)
{
    char v1[600], v2[600], cmd[4096], out[16384];
    snprintf(v1, sizeof v1, "%s/upd-v1", tmp_dir);
    snprintf(v2, sizeof v2, "%s/upd-v2", tmp_dir);
    const char *dirs[2] = { v1, v2 };
    for (int i = 0; i < 2; i++) {
        char sub[700];
        snprintf(sub, sizeof sub, "%s/pages", dirs[i]);
        assert_int_equal(mkdir(dirs[i], 0777), 0);
        assert_int_equal(mkdir(sub, 0777), 0);
        write_text(dirs[i], "manifest.json",
                   "{\"format\":2,\"service\":\"civictv\",\"version\":\"t\","
                   "\"languages\":[\"en\",\"cy\"],\"title\":{\"en\":\"Updates\"},"
                   "\"root\":\"root.json\"}");
    }
    write_text(v1, "root.json",
               "{\"type\":\"menu\",\"title\":{\"en\":\"Updates\"},\"items\":["
               "{\"label\":{\"en\":\"Page A\"},\"target\":\"pages/a.json\"},"
               "{\"label\":{\"en\":\"Page B\"},\"target\":\"pages/b.json\"}]}");
    write_text(v1, "pages/a.json",
               "{\"type\":\"page\",\"title\":{\"en\":\"Page A\"},"
               "\"body\":{\"en\":\"The first version of page A.\"}}");
    write_text(v1, "pages/b.json",
               "{\"type\":\"page\",\"title\":{\"en\":\"Page B\"},"
               "\"body\":{\"en\":\"Page B, soon to go.\"}}");
    write_text(v2, "root.json",
               "{\"type\":\"menu\",\"title\":{\"en\":\"Updates\"},\"items\":["
               "{\"label\":{\"en\":\"Page A\"},\"target\":\"pages/a.json\"},"
               "{\"label\":{\"en\":\"Page C\"},\"target\":\"pages/a.json\"}]}");
    write_text(v2, "pages/a.json",
               "{\"type\":\"page\",\"title\":{\"en\":\"Page A\"},"
               "\"body\":{\"en\":\"The *second* version of page A.\"}}");
    /* The first version runs long enough (null packets at 1 Mbit/s) that
     * the app has started and had its keys before the second arrives. */
    snprintf(cmd, sizeof cmd,
             "%s/civictv-carousel build %s -o %s/v1.ts --ts-bitrate 1M "
             "--carousel-bitrate 200k --duration 3 && "
             "%s/civictv-carousel update %s/v1.ts.state %s -o %s/v2.ts && "
             "cat %s/v1.ts %s/v2.ts > %s/both.ts",
             build_dir, v1, tmp_dir, build_dir, tmp_dir, v2, tmp_dir, tmp_dir, tmp_dir,
             tmp_dir);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("%s\n%s", cmd, out);
    snprintf(both_ts, n, "%s/both.ts", tmp_dir);
}

/* An update while the viewer reads: the page stays, with a notice; an
 * update that removes the page: back to the menu, saying so. */
static void test_update_keeps_place(void **state)
{
    (void)state;
    char ts[700], cmd[4096], out[16384], shots[600];
    make_versions(ts, sizeof ts);
    const char *runs[2][3] = {
        { "kept", "red,ok,wait 4000", "tests/golden/update-page-kept.png" },
        { "gone", "red,down,ok,wait 4000", "tests/golden/update-page-gone.png" },
    };
    for (int i = 0; i < 2; i++) {
        snprintf(shots, sizeof shots, "%s/update-%s", tmp_dir, runs[i][0]);
        snprintf(cmd, sizeof cmd,
                 "%s/civictv --headless -v --settings %s/upd.settings --screenshots %s "
                 "--keys '%s' %s", build_dir, tmp_dir, shots, runs[i][1], ts);
        int rc = run(cmd, out, sizeof out);
        if (rc != 0)
            fail_msg("civictv exited %d:\n%s", rc, out);
        const char *want = i == 0 ? "update: pages/a.json is still there"
                                  : "update: pages/b.json has gone, showing root.json";
        if (!strstr(out, want))
            fail_msg("no \"%s\" in:\n%s", want, out);
        char file[700];
        snprintf(file, sizeof file, "%03d-update.png", i == 0 ? 3 : 4);
        check_shot_safe(shots, file, runs[i][2]);
    }
}

/* Write a damaged stream: the first `keep` bytes of the sample, then
 * `noise` pseudo-random bytes (fixed seed, so a failure can be replayed). */
static void write_damaged(const char *path, size_t keep, size_t noise)
{
    FILE *in = fopen(sample_ts, "rb");
    FILE *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    for (size_t i = 0; i < keep; i++) {
        int c = fgetc(in);
        if (c == EOF)
            break;
        fputc(c, out);
    }
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < noise; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fputc((int)(x & 0xFF), out);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void check_bad_stream(const char *name, size_t keep, size_t noise,
                             const char *expect)
{
    char cmd[2048], out[16384], ts[512];
    snprintf(ts, sizeof ts, "%s/%s", tmp_dir, name);
    write_damaged(ts, keep, noise);
    snprintf(cmd, sizeof cmd, "%s/civictv --headless --settings %s/none.settings --keys ok %s",
             build_dir, tmp_dir, ts);
    int rc = run(cmd, out, sizeof out);
    if (rc == 0 || rc >= 128)
        fail_msg("%s: civictv exited %d (want a clean failure):\n%s", name, rc, out);
    if (!strstr(out, expect))
        fail_msg("%s: message lacks \"%s\":\n%s", name, expect, out);
}

static void test_bad_streams_fail_cleanly(void **state)
{
    (void)state;
    /* The first 20 packets: PSI but no complete carousel. */
    check_bad_stream("truncated.ts", 20 * 188, 0, "carousel");
    /* Half a cycle (the sample holds two), cut mid-packet, then noise. */
    struct stat st;
    assert_int_equal(stat(sample_ts, &st), 0);
    check_bad_stream("cut-then-noise.ts", (size_t)st.st_size / 4 + 77, 50000,
                     "carousel");
    /* Nothing but noise. */
    check_bad_stream("garbage.ts", 0, 200000, "carousel");
    /* An empty file. */
    check_bad_stream("empty.ts", 0, 0, "carousel");
    /* A missing file is named. */
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s/civictv --headless %s/does-not-exist.ts",
             build_dir, tmp_dir);
    int rc = run(cmd, out, sizeof out);
    if (!(rc != 0 && rc < 128) || !strstr(out, "does-not-exist.ts"))
        fail_msg("missing file: exit %d:\n%s", rc, out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_menu_and_page),
        cmocka_unit_test(test_local_journey_in_welsh),
        cmocka_unit_test(test_update_keeps_place),
        cmocka_unit_test(test_prompt_and_idle_timeout),
        cmocka_unit_test(test_postcode_errors_and_bad_keymap),
        cmocka_unit_test(test_bad_streams_fail_cleanly),
    };
    return cmocka_run_group_tests_name("e2e", tests, setup, teardown);
}
