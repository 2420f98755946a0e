/*
 * Golden images of every kind of screen, in English and Welsh, in normal
 * and large text (and once in the high-contrast theme): the TV with the
 * "Press red" prompt, a menu, a long page (its first and second screens),
 * a page with a picture, a council's menu with its contact details,
 * postcode entry by multi-tap and by the on-screen keyboard, the A-Z,
 * search results, settings, the TV alone, the loading screen, and the
 * update notice when the viewer's page is kept and when it has gone.
 *
 * Every image comes from the real civictv, headless, with scripted keys
 * and a settings file for the language and text size, with --check-fit
 * (no text may leave its box):
 * - the tour runs on the sample content folder;
 * - loading: the sample carousel as a stream, with the keys played from
 *   the first frame (--keys-at-once), so that Red meets the carousel
 *   still arriving (after the first 64 KiB read); the menu follows when
 *   it is in;
 * - the notice: a stream of the sample carousel, then version 2 of it from
 *   `civictv-carousel update` (a page's text edited, another page and its
 *   menu item removed), played while the viewer is on one of those pages.
 *
 * Each image was looked at when it was made.  CIVICTV_UPDATE_GOLDEN=1
 * rewrites them (then look again before committing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ui_harness.h"

static char sample_ts[600];   /* the sample carousel */
static char update_ts[600];   /* the sample carousel, then its version 2 */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Version 2's edits, on a copy of content/: an entry of `list` (a menu's
 * "items", a page's "links") that leads to `target` leaves `file`. */
static int drop_item(const char *dir, const char *file, const char *list,
                     const char *target)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = read_text(path);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, list);
    int dropped = 0;
    for (int i = cJSON_GetArraySize(items) - 1; i >= 0; i--) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, i), "target");
        if (cJSON_IsString(t) && !strcmp(t->valuestring, target)) {
            cJSON_DeleteItemFromArray(items, i);
            dropped++;
        }
    }
    char *out = dropped ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!out)
        return -1;
    FILE *f = fopen(path, "w");
    int rc = f && fputs(out, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    cJSON_free(out);
    return rc;
}

/* The first paragraph of a page gains a few words in each language:
 * from[l] becomes to[l]. */
static int edit_text(const char *dir, const char *file, const char *const from[2],
                     const char *const to[2])
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = read_text(path);
    for (int l = 0; text && l < 2; l++) {
        char *at = strstr(text, from[l]);
        char *next = NULL;
        if (at && asprintf(&next, "%.*s%s%s", (int)(at - text), text, to[l],
                           at + strlen(from[l])) < 0)
            next = NULL;
        free(text);
        text = next;
    }
    FILE *f = text ? fopen(path, "w") : NULL;
    int rc = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(text);
    return rc;
}

static int build_streams(void)
{
    char cmd[4096], out[16384], v2[600];
    snprintf(sample_ts, sizeof sample_ts, "%s/sample.ts", hx_tmp);
    snprintf(update_ts, sizeof update_ts, "%s/update.ts", hx_tmp);
    snprintf(v2, sizeof v2, "%s/content-v2", hx_tmp);
    snprintf(cmd, sizeof cmd, "%s/civictv-carousel build content -o %s && cp -R content %s",
             hx_build, sample_ts, v2);
    if (hx_run(cmd, out, sizeof out) != 0) {
        print_error("%s\n%s\n", cmd, out);
        return -1;
    }
    static const char *const from[2] = { "\"Most homes have", "\"Mae gan y rhan fwyaf" };
    static const char *const to[2] = { "\"Since April, most homes have",
                                       "\"Ers mis Ebrill, mae gan y rhan fwyaf" };
    if (edit_text(v2, "pages/recycling.json", from, to) != 0 ||
        drop_item(v2, "menus/bins.json", "items", "pages/bulky-items.json") != 0 ||
        drop_item(v2, "councils/riverton/bins.json", "links", "pages/bulky-items.json") != 0) {
        print_error("cannot make version 2 of the content in %s\n", v2);
        return -1;
    }
    /* Version 1 runs for three seconds (null packets at 1 Mbit/s) before
     * version 2 starts, so that the keys are played before the update. */
    snprintf(cmd, sizeof cmd,
             "rm %s/pages/bulky-items.json && "
             "%s/civictv-carousel build content -o %s/v1.ts --ts-bitrate 1M "
             "--carousel-bitrate 400k --duration 3 && "
             "%s/civictv-carousel update %s/v1.ts.state %s -o %s/v2.ts && "
             "cat %s/v1.ts %s/v2.ts > %s",
             v2, hx_build, hx_tmp, hx_build, hx_tmp, v2, hx_tmp, hx_tmp, hx_tmp, update_ts);
    if (hx_run(cmd, out, sizeof out) != 0) {
        print_error("%s\n%s\n", cmd, out);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return hx_setup("golden") == 0 ? build_streams() : -1;
}

static int teardown(void **state)
{
    (void)state;
    return hx_teardown();
}

/* The tour: keys, and after some of them the kind of screen to check.
 * Names must stay stable; the keys follow the sample content's menus. */
typedef struct {
    const char *key;
    const char *kind;   /* NULL: not checked */
} step;

static const step tour[] = {
    { "red", "menu" },
    { "4", NULL }, { "ok", NULL },                 /* Benefits and pensions */
    { "ok", "page-long" },                         /* Universal Credit */
    { "right", "page-long-2" },
    { "back", NULL }, { "back", NULL },
    { "3", NULL }, { "ok", NULL }, { "2", NULL },  /* Bins: what can be recycled */
    { "ok", "page-image" },
    { "red", NULL }, { "1", NULL }, { "ok", NULL },/* Your council: postcode */
    { "2", NULL }, { "2", NULL }, { "2", NULL },
    { "3", "postcode-multitap" },                  /* C, then D pending */
    { "green", NULL }, { "green", NULL },          /* both gone */
    { "right", NULL }, { "right", NULL }, { "ok", NULL },           /* C */
    { "right", NULL }, { "right", NULL }, { "ok", NULL },           /* E */
    { "down", NULL }, { "down", NULL }, { "down", NULL },
    { "left", NULL }, { "left", NULL }, { "left", NULL }, { "left", NULL },
    { "ok", "postcode-keyboard" },                 /* 1 */
    { "blue", "council" },
    { "yellow", "a-to-z" },
    { "yellow", NULL },
    { "2", NULL }, { "2", NULL }, { "4", NULL }, { "4", NULL }, { "4", NULL },
    { "6", NULL }, { "6", NULL },                  /* b i n */
    { "blue", "search-results" },
    { "red", NULL },
    { "blue", "settings" },
    { "exit", "tv" },
};

static void play(const char *lang, int large, int contrast)
{
    char name[64], shots[512], set_path[600], keys[2048] = "";
    snprintf(name, sizeof name, "%s-%s%s", lang, large ? "large" : "normal",
             contrast ? "-contrast" : "");
    snprintf(shots, sizeof shots, "%s/%s", hx_tmp, name);
    snprintf(set_path, sizeof set_path, "%s/%s.settings", hx_tmp, name);
    hx_write_settings(set_path, lang, large, contrast);
    for (size_t i = 0; i < sizeof tour / sizeof tour[0]; i++) {
        strcat(keys, i ? "," : "");
        strcat(keys, tour[i].key);
    }
    char cmd[4096], out[65536];
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --check-fit --content content --settings %s "
             "--screenshots %s --keys '%s'",
             hx_build, set_path, shots, keys);
    int rc = hx_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    if (strstr(out, "does not fit"))
        fail_msg("%s: text does not fit:\n%s", name, out);

    char golden[700];
    snprintf(golden, sizeof golden, "tests/golden/screen-tv-prompt-%s.png", name);
    hx_check_shot(shots, "000-start.png", golden);
    for (size_t i = 0; i < sizeof tour / sizeof tour[0]; i++) {
        if (!tour[i].kind)
            continue;
        char file[64];
        snprintf(file, sizeof file, "%03zu-%s.png", i + 1, tour[i].key);
        snprintf(golden, sizeof golden, "tests/golden/screen-%s-%s.png", tour[i].kind, name);
        hx_check_shot(shots, file, golden);
    }
}

static void test_en_normal(void **state) { (void)state; play("en", 0, 0); }
static void test_cy_normal(void **state) { (void)state; play("cy", 0, 0); }
static void test_en_large(void **state) { (void)state; play("en", 1, 0); }
static void test_cy_large(void **state) { (void)state; play("cy", 1, 0); }
/* The high-contrast theme, with the longer Welsh texts at the large size. */
static void test_cy_large_contrast(void **state) { (void)state; play("cy", 1, 1); }

/* Run civictv headless on a stream with the settings of `name`
 * ("cy-large"); stdout and stderr in out. */
static void run_stream(const char *name, const char *lang, int large, const char *opts,
                       const char *keys, const char *ts, char *shots, size_t shots_len,
                       char *out, size_t out_len)
{
    char set_path[700], cmd[4096];
    snprintf(set_path, sizeof set_path, "%s/%s.settings", hx_tmp, name);
    hx_write_settings(set_path, lang, large, 0);
    snprintf(shots, shots_len, "%s/%s", hx_tmp, name);
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --check-fit %s --settings %s --screenshots %s "
             "--keys '%s' %s",
             hx_build, opts, set_path, shots, keys, ts);
    int rc = hx_run(cmd, out, out_len);
    if (rc != 0)
        fail_msg("%s: civictv exited %d:\n%s", name, rc, out);
    if (strstr(out, "does not fit"))
        fail_msg("%s: text does not fit:\n%s", name, out);
}

/* Red while the carousel is still arriving: the progress screen, then
 * the service's menu when the carousel is in. */
static void test_loading(void **state)
{
    (void)state;
    for (int large = 0; large <= 1; large++)
        for (int cy = 0; cy <= 1; cy++) {
            const char *lang = cy ? "cy" : "en";
            char name[64], run_name[80], shots[800], out[16384], golden[700];
            snprintf(name, sizeof name, "%s-%s", lang, large ? "large" : "normal");
            snprintf(run_name, sizeof run_name, "loading-%s", name);
            run_stream(run_name, lang, large, "--keys-at-once", "red", sample_ts, shots,
                       sizeof shots, out, sizeof out);
            snprintf(golden, sizeof golden, "tests/golden/screen-tv-prompt-%s.png", name);
            hx_check_shot(shots, "000-start.png", golden);
            snprintf(golden, sizeof golden, "tests/golden/screen-loading-%s.png", name);
            hx_check_shot_safe(shots, "001-red.png", golden);
            snprintf(golden, sizeof golden, "tests/golden/screen-menu-%s.png", name);
            hx_check_shot_safe(shots, "002-ready.png", golden);
        }
}

/* Version 2 arrives while the viewer reads "What can be recycled" (kept,
 * with its new text, and a notice) or "Bulky items" (gone: back to the
 * bins menu, without the item, saying so). */
static void test_update_notice(void **state)
{
    (void)state;
    static const struct {
        const char *kind, *keys, *log;
    } cases[] = {
        { "kept", "red,3,ok,2,ok", "update: pages/recycling.json is still there" },
        { "gone", "red,3,ok,3,ok",
          "update: pages/bulky-items.json has gone, showing menus/bins.json" },
    };
    for (size_t c = 0; c < 2; c++)
        for (int large = 0; large <= 1; large++)
            for (int cy = 0; cy <= 1; cy++) {
                const char *lang = cy ? "cy" : "en";
                char name[64], run_name[80], shots[800], out[16384], golden[700];
                snprintf(name, sizeof name, "%s-%s", lang, large ? "large" : "normal");
                snprintf(run_name, sizeof run_name, "update-%s-%s", cases[c].kind, name);
                run_stream(run_name, lang, large, "-v", cases[c].keys, update_ts, shots,
                           sizeof shots, out, sizeof out);
                if (!strstr(out, cases[c].log))
                    fail_msg("%s: no \"%s\" in:\n%s", run_name, cases[c].log, out);
                snprintf(golden, sizeof golden, "tests/golden/screen-update-%s-%s.png",
                         cases[c].kind, name);
                hx_check_shot_safe(shots, "006-update.png", golden);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_en_normal),
        cmocka_unit_test(test_cy_normal),
        cmocka_unit_test(test_en_large),
        cmocka_unit_test(test_cy_large),
        cmocka_unit_test(test_cy_large_contrast),
        cmocka_unit_test(test_loading),
        cmocka_unit_test(test_update_notice),
    };
    return cmocka_run_group_tests_name("ui_golden", tests, setup, teardown);
}
