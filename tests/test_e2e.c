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
 * (then look at them before committing); tests/ui_harness.h holds the
 * comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/ui_harness.h"

static char sample_ts[512];

static int setup(void **state)
{
    (void)state;
    if (hx_setup("e2e") != 0)
        return -1;
    snprintf(sample_ts, sizeof sample_ts, "%s/sample.ts", hx_tmp);
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s/civictv-carousel build content -o %s",
             hx_build, sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0) {
        print_error("%s\n%s\n", cmd, out);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return hx_teardown();
}

/* Run civictv headless on the sample carousel with a fresh settings file
 * (optionally pre-set) and scripted keys; screenshots go to tmp/NAME. */
static void play(const char *name, const char *settings, const char *keys,
                 char *shots, size_t shots_len)
{
    char cmd[4096], out[16384], set_path[600];
    snprintf(shots, shots_len, "%s/%s", hx_tmp, name);
    snprintf(set_path, sizeof set_path, "%s/%s.settings", hx_tmp, name);
    FILE *f = fopen(set_path, "w");
    assert_non_null(f);
    fputs(settings ? settings : "", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --settings %s --screenshots %s --keys '%s' %s",
             hx_build, set_path, shots, keys, sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
}

static void test_root_menu_and_page(void **state)
{
    (void)state;
    char shots[512];
    /* TV with the prompt; Red opens the root menu; the focus moves; a
     * menu opens; Back finds the focus where it was; Exit is TV again. */
    play("tour", NULL, "red,down,down,ok,back,exit", shots, sizeof shots);
    hx_check_shot(shots, "000-start.png", "tests/golden/tv-prompt.png");
    hx_check_shot_safe(shots, "001-red.png", "tests/golden/root-menu.png");
    hx_check_shot_safe(shots, "003-down.png", "tests/golden/root-menu-focus3.png");
    hx_check_shot_safe(shots, "004-ok.png", "tests/golden/menu-bins.png");
    hx_check_shot_safe(shots, "005-back.png", "tests/golden/root-menu-focus3.png");
    hx_check_shot(shots, "006-exit.png", "tests/golden/tv.png");
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
    hx_check_shot_safe(shots, "002-ok.png", "tests/golden/journey-postcode.png");
    hx_check_shot_safe(shots, "008-1.png", "tests/golden/journey-postcode-ce1.png");
    hx_check_shot_safe(shots, "009-blue.png", "tests/golden/journey-council.png");
    hx_check_shot_safe(shots, "011-ok.png", "tests/golden/journey-council-page.png");
    hx_check_shot_safe(shots, "014-ok.png", "tests/golden/journey-settings-cy.png");
    hx_check_shot_safe(shots, "016-ok.png", "tests/golden/journey-council-page-cy.png");

    /* The settings were saved: a new run starts in Welsh, with the
     * council known, so "Your council" opens it at once. */
    char set_path[600], text[512];
    snprintf(set_path, sizeof set_path, "%s/journey.settings", hx_tmp);
    FILE *f = fopen(set_path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "language = cy"));
    assert_non_null(strstr(text, "postcode = CE1"));
    play("journey2", text, "red,ok", shots, sizeof shots);
    hx_check_shot(shots, "000-start.png", "tests/golden/tv-prompt-cy.png");
    hx_check_shot_safe(shots, "002-ok.png", "tests/golden/journey-council-cy.png");
}

/* Privacy and the prompt: the prompt hides itself; after the idle time
 * the app is back on TV, and Red then starts again from the top. */
static void test_prompt_and_idle_timeout(void **state)
{
    (void)state;
    char cmd[2048], out[16384], shots[600];
    snprintf(shots, sizeof shots, "%s/idle", hx_tmp);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --idle-timeout 1 --settings %s/idle.settings "
             "--screenshots %s --keys 'wait 6500,down,red,3,ok,wait 1500,down,red' %s",
             hx_build, hx_tmp, shots, sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    hx_check_shot(shots, "001-down.png", "tests/golden/tv.png");        /* prompt gone */
    hx_check_shot_safe(shots, "004-ok.png", "tests/golden/menu-bins.png");
    hx_check_shot(shots, "005-down.png", "tests/golden/tv.png");        /* idle: TV */
    hx_check_shot_safe(shots, "006-red.png", "tests/golden/root-menu.png"); /* forgotten */
}

/* A box may be woken late (a loaded CPU): when it wakes after both the
 * idle timeout and the next key are due, the timeout goes first, as it
 * came first.  The app is stopped just after OK for two seconds, past
 * the 1 s timeout and the key 1.5 s later. */
static void test_late_wakeup_keeps_timer_order(void **state)
{
    (void)state;
    char cmd[4096], out[16384], shots[600];
    snprintf(shots, sizeof shots, "%s/late", hx_tmp);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --idle-timeout 1 --settings %s/late.settings "
             "--screenshots %s --keys 'red,3,ok,wait 1500,down' %s & p=$!; "
             "i=0; while [ ! -f %s/003-ok.png ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done; "
             "kill -STOP $p; sleep 2; kill -CONT $p; wait $p",
             hx_build, hx_tmp, shots, sample_ts, shots);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    hx_check_shot_safe(shots, "003-ok.png", "tests/golden/menu-bins.png");
    hx_check_shot(shots, "004-down.png", "tests/golden/tv.png");
}

/* Exit returns to the TV picture (without the prompt) from every kind
 * of screen, and Red then starts again from the root menu; from the key
 * map opened on the TV by Info too.  Digits choose numbered items: 1 then
 * 0 is item 10, the list scrolled to show it. */
static void test_exit_from_anywhere_and_digits(void **state)
{
    (void)state;
    static const struct {
        const char *keys;   /* from the TV to the screen */
        const char *what;
    } screens[] = {
        { "red", "the root menu" },
        { "red,3,ok,2,ok", "a page" },
        { "red,3,ok,2,ok,right", "a page's second screen" },
        { "red,yellow", "the A-Z" },
        { "red,yellow,yellow", "search words" },
        { "red,yellow,yellow,2,2,4,4,4,6,6,blue", "search results" },
        { "red,blue", "settings" },
        { "red,ok", "postcode entry" },
        { "red,ok,right,ok", "postcode entry, on-screen keyboard" },
        { "red,blue,5,ok", "the key map" },
        { "info", "the key map from the TV" },
    };
    char keys[2048] = "", cmd[4096], out[16384], shots[600];
    size_t exits[16], n = 0, k = 0;
    for (size_t i = 0; i < sizeof screens / sizeof screens[0]; i++) {
        strcat(keys, i ? "," : "");
        strcat(keys, screens[i].keys);
        for (const char *p = screens[i].keys; p; p = strchr(p + 1, ','))
            k++;
        strcat(keys, ",exit");
        exits[n++] = ++k;   /* the screenshot number of this Exit */
    }
    strcat(keys, ",red,1,0");
    snprintf(shots, sizeof shots, "%s/exit", hx_tmp);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --settings %s/exit.settings --screenshots %s --keys '%s' %s",
             hx_build, hx_tmp, shots, keys, sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    for (size_t i = 0; i < n; i++) {
        char file[64];
        snprintf(file, sizeof file, "%03zu-exit.png", exits[i]);
        print_message("Exit from %s: %s\n", screens[i].what, file);
        hx_check_shot(shots, file, "tests/golden/tv.png");
    }
    char file[64];
    snprintf(file, sizeof file, "%03zu-0.png", k + 3);
    hx_check_shot_safe(shots, file, "tests/golden/root-menu-focus10.png");
}

/* Postcodes that are not postcodes, or that no council covers, are
 * named on the entry screen; a bad key map stops the program clearly. */
static void test_postcode_errors_and_bad_keymap(void **state)
{
    (void)state;
    char shots[512];
    play("pc-bad", NULL, "red,ok,9,9,9,blue", shots, sizeof shots);
    hx_check_shot_safe(shots, "006-blue.png", "tests/golden/postcode-not-a-postcode.png");
    play("pc-unknown", NULL, "red,ok,3,3,1,blue", shots, sizeof shots);
    hx_check_shot_safe(shots, "006-blue.png", "tests/golden/postcode-no-council.png");

    char path[600], cmd[2048], out[4096];
    snprintf(path, sizeof path, "%s/bad.keymap", hx_tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("box RED = red\ndesktop F9 = purple\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "%s/civictv --headless --keymap %s %s", hx_build, path,
             sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 1 || !strstr(out, "bad.keymap: line 2: \"purple\" is not a remote key"))
        fail_msg("bad key map: exit %d:\n%s", rc, out);
}

/* ---- live updates ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hx_write_file(path, text);
}

/* Two versions of a small service: in the second, page A has new text
 * and page B is gone. */
static void make_versions(char *both_ts, size_t n)
{
    char v1[600], v2[600], cmd[4096], out[16384];
    snprintf(v1, sizeof v1, "%s/upd-v1", hx_tmp);
    snprintf(v2, sizeof v2, "%s/upd-v2", hx_tmp);
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
             hx_build, v1, hx_tmp, hx_build, hx_tmp, v2, hx_tmp, hx_tmp, hx_tmp,
             hx_tmp);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("%s\n%s", cmd, out);
    snprintf(both_ts, n, "%s/both.ts", hx_tmp);
}

/* An update while the viewer reads: the page stays, with a notice; an
 * update that removes the page: back to the menu, saying so. */
static void test_update_keeps_place(void **state)
{
    (void)state;
    char ts[700], cmd[4096], out[16384], shots[600];
    make_versions(ts, sizeof ts);
    const char *runs[2][3] = {
        { "kept", "red,ok", "tests/golden/update-page-kept.png" },
        { "gone", "red,down,ok", "tests/golden/update-page-gone.png" },
    };
    for (int i = 0; i < 2; i++) {
        snprintf(shots, sizeof shots, "%s/update-%s", hx_tmp, runs[i][0]);
        snprintf(cmd, sizeof cmd,
                 "%s/civictv --headless -v --settings %s/upd.settings --screenshots %s "
                 "--keys '%s' %s", hx_build, hx_tmp, shots, runs[i][1], ts);
        int rc = hx_run(cmd, out, sizeof out);
        if (rc != 0)
            fail_msg("civictv exited %d:\n%s", rc, out);
        const char *want = i == 0 ? "update: pages/a.json is still there"
                                  : "update: pages/b.json has gone, showing root.json";
        if (!strstr(out, want))
            fail_msg("no \"%s\" in:\n%s", want, out);
        char file[700];
        snprintf(file, sizeof file, "%03d-update.png", i == 0 ? 3 : 4);
        hx_check_shot_safe(shots, file, runs[i][2]);
    }
}

/* Two screenshots differ somewhere (the progress has moved). */
static int shots_differ(const char *dir, const char *f1, const char *f2)
{
    char p1[700], p2[700];
    snprintf(p1, sizeof p1, "%s/%s", dir, f1);
    snprintf(p2, sizeof p2, "%s/%s", dir, f2);
    hx_image a = { 0, 0, NULL }, b = { 0, 0, NULL };
    if (hx_load_png(p1, &a) != 0 || hx_load_png(p2, &b) != 0)
        fail_msg("cannot read %s or %s", p1, p2);
    int differ = a.w != b.w || a.h != b.h ||
                 memcmp(a.rgb, b.rgb, (size_t)a.w * a.h * 3) != 0;
    free(a.rgb);
    free(b.rgb);
    return differ;
}

/* A stream still arriving, at 400 kbit/s (about 3 s for the sample):
 * Red shows the progress, which moves, and the service opens by itself
 * when the carousel is in.  Cut short, the same stream ends with the
 * progress screen's reason on the terminal and a non-zero exit. */
static void test_progress_while_arriving(void **state)
{
    (void)state;
    char cmd[2048], out[16384], shots[600];
    snprintf(shots, sizeof shots, "%s/arriving", hx_tmp);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --rate 400000 --keys-at-once --settings %s/arr.settings "
             "--screenshots %s --keys 'red,wait 800,down' %s",
             hx_build, hx_tmp, shots, sample_ts);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    hx_check_shot(shots, "000-start.png", "tests/golden/tv-prompt.png");
    assert_true(shots_differ(shots, "001-red.png", "002-down.png"));
    hx_check_shot_safe(shots, "003-ready.png", "tests/golden/root-menu.png");

    char ts[600];
    snprintf(ts, sizeof ts, "%s/first-third.ts", hx_tmp);
    snprintf(cmd, sizeof cmd, "head -c %d %s > %s", 188 * 230, sample_ts, ts);
    assert_int_equal(hx_run(cmd, out, sizeof out), 0);
    snprintf(shots, sizeof shots, "%s/cut", hx_tmp);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --rate 400000 --keys-at-once --settings %s/arr.settings "
             "--screenshots %s --keys 'red' %s",
             hx_build, hx_tmp, shots, ts);
    rc = hx_run(cmd, out, sizeof out);
    if (rc != 1 || !strstr(out, "carousel incomplete"))
        fail_msg("cut stream: exit %d:\n%s", rc, out);
    char path[700];
    snprintf(path, sizeof path, "%s/001-red.png", shots);
    hx_assert_safe_area(path);
    assert_true(shots_differ(shots, "000-start.png", "001-red.png"));
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
    snprintf(ts, sizeof ts, "%s/%s", hx_tmp, name);
    write_damaged(ts, keep, noise);
    snprintf(cmd, sizeof cmd, "%s/civictv --headless --settings %s/none.settings --keys ok %s",
             hx_build, hx_tmp, ts);
    int rc = hx_run(cmd, out, sizeof out);
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
             hx_build, hx_tmp);
    int rc = hx_run(cmd, out, sizeof out);
    if (!(rc != 0 && rc < 128) || !strstr(out, "does-not-exist.ts"))
        fail_msg("missing file: exit %d:\n%s", rc, out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_menu_and_page),
        cmocka_unit_test(test_local_journey_in_welsh),
        cmocka_unit_test(test_update_keeps_place),
        cmocka_unit_test(test_progress_while_arriving),
        cmocka_unit_test(test_prompt_and_idle_timeout),
        cmocka_unit_test(test_exit_from_anywhere_and_digits),
        cmocka_unit_test(test_late_wakeup_keeps_timer_order),
        cmocka_unit_test(test_postcode_errors_and_bad_keymap),
        cmocka_unit_test(test_bad_streams_fail_cleanly),
    };
    return cmocka_run_group_tests_name("e2e", tests, setup, teardown);
}
