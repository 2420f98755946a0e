/*
 * Golden images of every kind of screen, in English and Welsh, in normal
 * and large text (and once in the high-contrast theme): the TV with the "Press red" prompt, a menu, a long page
 * (its first and second screens), a page with a picture, a council's menu
 * with its contact details, postcode entry by multi-tap and by the
 * on-screen keyboard, the A-Z, search results, settings, the TV alone;
 * then the loading screen and the update notice.
 *
 * The first kinds come from the real civictv, headless, on the sample
 * content folder with scripted keys and a settings file for the language
 * and text size, with --check-fit (no text may leave its box).  Loading
 * and the notice depend on timing on air, so they are drawn through the
 * same UI calls and the app's own string table here.
 *
 * Each image was looked at when it was made.  CIVICTV_UPDATE_GOLDEN=1
 * rewrites them (then look again before committing).
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
#include <sys/wait.h>
#include <unistd.h>

#include "app/app_strings.h"
#include "ui/ui.h"

static char build_dir[256];
static char tmp_dir[256];

typedef struct {
    unsigned w, h;
    uint8_t *rgb;
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

static int run(const char *cmd, char *out, size_t outlen)
{
    char full[8192];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t n = 0, k;
    char buf[4096];
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
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* Same tolerance as the e2e test: at most 0.5% of pixels off by more
 * than 48 in a channel, mean difference under 2 levels. */
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
    assert_int_equal(a.w, g.w);
    assert_int_equal(a.h, g.h);
    size_t n = (size_t)a.w * a.h, bad = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int worst = 0;
        for (int c = 0; c < 3; c++) {
            int d = abs((int)a.rgb[i * 3 + c] - (int)g.rgb[i * 3 + c]);
            sum += (uint64_t)d;
            worst = d > worst ? d : worst;
        }
        bad += worst > 48;
    }
    free(a.rgb);
    free(g.rgb);
    double mean = (double)sum / (double)(n * 3);
    if (bad * 200 > n || mean >= 2.0)
        fail_msg("%s differs from %s: %zu pixels off, mean difference %.2f", shot, golden,
                 bad, mean);
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(build_dir, sizeof build_dir, "%s", b && *b ? b : "build");
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/civictv-golden-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    return run(cmd, NULL, 0) == 0 ? 0 : -1;
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
    snprintf(shots, sizeof shots, "%s/%s", tmp_dir, name);
    snprintf(set_path, sizeof set_path, "%s/%s.settings", tmp_dir, name);
    FILE *f = fopen(set_path, "w");
    assert_non_null(f);
    fprintf(f, "language = %s\ntext = %s\ncontrast = %s\n", lang,
            large ? "large" : "normal", contrast ? "high" : "standard");
    assert_int_equal(fclose(f), 0);
    for (size_t i = 0; i < sizeof tour / sizeof tour[0]; i++) {
        strcat(keys, i ? "," : "");
        strcat(keys, tour[i].key);
    }
    char cmd[4096], out[65536];
    snprintf(cmd, sizeof cmd,
             "%s/civictv --headless --check-fit --content content --settings %s "
             "--screenshots %s --keys '%s'",
             build_dir, set_path, shots, keys);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("civictv exited %d:\n%s", rc, out);
    if (strstr(out, "does not fit"))
        fail_msg("%s: text does not fit:\n%s", name, out);

    char shot[700], golden[700];
    snprintf(shot, sizeof shot, "%s/000-start.png", shots);
    snprintf(golden, sizeof golden, "tests/golden/screen-tv-prompt-%s.png", name);
    compare_with_golden(shot, golden);
    for (size_t i = 0; i < sizeof tour / sizeof tour[0]; i++) {
        if (!tour[i].kind)
            continue;
        snprintf(shot, sizeof shot, "%s/%03zu-%s.png", shots, i + 1, tour[i].key);
        snprintf(golden, sizeof golden, "tests/golden/screen-%s-%s.png", tour[i].kind, name);
        compare_with_golden(shot, golden);
    }
}

static void test_en_normal(void **state) { (void)state; play("en", 0, 0); }
static void test_cy_normal(void **state) { (void)state; play("cy", 0, 0); }
static void test_en_large(void **state) { (void)state; play("en", 1, 0); }
static void test_cy_large(void **state) { (void)state; play("cy", 1, 0); }
/* The high-contrast theme, with the longer Welsh texts at the large size. */
static void test_cy_large_contrast(void **state) { (void)state; play("cy", 1, 1); }

/* Loading and the update notice, drawn as the app draws them. */
static void on_overflow(void *ud, const char *what, int len, int x, int y, int w, int h)
{
    unsigned *n = ud;
    print_error("\"%.*s\" at (%d,%d) %dx%d does not fit\n", len, what, x, y, w, h);
    (*n)++;
}

static void test_loading_and_notice(void **state)
{
    (void)state;
    ui_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = UI_MODE_HEADLESS;
    ui *u = NULL;
    assert_int_equal(ui_create(&cfg, &u), UI_OK);
    unsigned problems = 0;
    ui_set_overflow_check(u, on_overflow, &problems);
    for (int large = 0; large <= 1; large++)
        for (int l = CM_LANG_EN; l <= CM_LANG_CY; l++) {
            cm_lang lang = (cm_lang)l;
            char name[64], shot[600], golden[600];
            snprintf(name, sizeof name, "%s-%s", lang == CM_LANG_CY ? "cy" : "en",
                     large ? "large" : "normal");
            ui_set_style(u, large, 0);

            ui_loading_view lv;
            memset(&lv, 0, sizeof lv);
            lv.title = app_str(lang, S_LOADING_TITLE);
            lv.status = app_str(lang, S_LOADING_STATUS);
            lv.detail = "3 / 8";
            lv.done = 140;
            lv.total = 400;
            lv.keys.hints[0] = (ui_keyhint){ UI_KEY_EXIT, app_str(lang, S_TV) };
            lv.keys.n = 1;
            assert_int_equal(ui_show_loading(u, &lv), UI_OK);
            snprintf(shot, sizeof shot, "%s/loading-%s.png", tmp_dir, name);
            assert_int_equal(ui_screenshot_png(u, shot), UI_OK);
            snprintf(golden, sizeof golden, "tests/golden/screen-loading-%s.png", name);
            compare_with_golden(shot, golden);

            /* The notice over a menu, as after an update that removed
             * the page the viewer was on. */
            static const char *const en_items[] = { "Council Tax", "Bins and recycling",
                                                    "Benefits and pensions" };
            static const char *const cy_items[] = { "Treth Gyngor", "Biniau ac ailgylchu",
                                                    "Budd-daliadau a phensiynau" };
            ui_menu_view mv;
            memset(&mv, 0, sizeof mv);
            mv.title = lang == CM_LANG_CY ? "Gwasanaethau cyhoeddus" : "Public services";
            mv.items = lang == CM_LANG_CY ? cy_items : en_items;
            mv.n_items = 3;
            mv.keys.hints[0] = (ui_keyhint){ UI_KEY_YELLOW, app_str(lang, S_SEARCH) };
            mv.keys.hints[1] = (ui_keyhint){ UI_KEY_BLUE, app_str(lang, S_SETTINGS) };
            mv.keys.hints[2] = (ui_keyhint){ UI_KEY_EXIT, app_str(lang, S_TV) };
            mv.keys.n = 3;
            ui_set_notice(u, app_str(lang, S_PAGE_GONE));
            assert_int_equal(ui_show_menu(u, &mv), UI_OK);
            ui_set_notice(u, NULL);
            snprintf(shot, sizeof shot, "%s/notice-%s.png", tmp_dir, name);
            assert_int_equal(ui_screenshot_png(u, shot), UI_OK);
            snprintf(golden, sizeof golden, "tests/golden/screen-update-notice-%s.png", name);
            compare_with_golden(shot, golden);
        }
    ui_destroy(u);
    assert_int_equal(problems, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_en_normal),
        cmocka_unit_test(test_cy_normal),
        cmocka_unit_test(test_en_large),
        cmocka_unit_test(test_cy_large),
        cmocka_unit_test(test_cy_large_contrast),
        cmocka_unit_test(test_loading_and_notice),
    };
    return cmocka_run_group_tests_name("ui_golden", tests, setup, teardown);
}
