/*
 * Validation before a build (carousel/oc_content.c with model/): one case
 * per kind of bad content.  Each runs the real program,
 * `civictv-carousel build DIR -o OUT.ts`, on a small folder made here,
 * and asserts that the message names the file and the field and that no
 * output (stream, temporary or state file) is written.  PNG files are
 * made with libpng; `validate` is checked to write nothing too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carousel/oc_content.h"
#include "carousel/oc_tree.h"

typedef struct {
    char dir[64];
    char content[96];
    char out[128];
} fixture;

static void put(const fixture *fx, const char *rel, const void *data,
                size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fx->content, rel);
    /* parents */
    for (char *s = path + strlen(fx->content) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0755);
            *s = '/';
        }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void puts_file(const fixture *fx, const char *rel, const char *text)
{
    put(fx, rel, text, strlen(text));
}

#define MANIFEST_OK                                                         \
    "{\"format\":1,\"service\":\"civictv\",\"version\":\"1\","              \
    "\"languages\":[\"en\"],\"title\":{\"en\":\"Council services\"},"       \
    "\"root\":\"menus/root.json\"}"
#define ROOT_OK                                                             \
    "{\"type\":\"menu\",\"title\":{\"en\":\"Home\"},\"items\":["            \
    "{\"label\":{\"en\":\"About\"},\"target\":\"pages/about.json\"}]}"
#define PAGE_OK                                                             \
    "{\"type\":\"page\",\"title\":{\"en\":\"About\"},"                      \
    "\"body\":{\"en\":\"Hello.\"}}"

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/civictv-oc-content-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->content, sizeof fx->content, "%s/c", fx->dir);
    snprintf(fx->out, sizeof fx->out, "%s/out.ts", fx->dir);
    assert_int_equal(mkdir(fx->content, 0755), 0);
    puts_file(fx, "manifest.json", MANIFEST_OK);
    puts_file(fx, "menus/root.json", ROOT_OK);
    puts_file(fx, "pages/about.json", PAGE_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

static const char *prog(void)
{
    static char path[512];
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(path, sizeof path, "%s/civictv-carousel", b ? b : "build");
    return path;
}

/* Run the program with args; its stderr into err (NUL-terminated). */
static int run(const fixture *fx, const char *const *args, char *err,
               size_t errlen)
{
    char errfile[160];
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", fx->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(errfile, "w", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        const char *argv[16];
        size_t n = 0;
        argv[n++] = prog();
        for (; args[n - 1] && n < 15; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    FILE *f = fopen(errfile, "rb");
    assert_non_null(f);
    size_t k = fread(err, 1, errlen - 1, f);
    err[k] = '\0';
    fclose(f);
    return WEXITSTATUS(st);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* build must fail, name file and field, and write nothing. */
static void expect_rejected(const fixture *fx, const char *file,
                            const char *field)
{
    char err[8192];
    const char *args[] = { "build", fx->content, "-o", fx->out, NULL };
    int rc = run(fx, args, err, sizeof err);
    if (rc != 1)
        fail_msg("exit %d, stderr:\n%s", rc, err);
    char want[256];
    /* field NULL: the whole message start is in file (a JSON syntax
     * error has no field yet: the model names the line). */
    if (field)
        snprintf(want, sizeof want, "%s: %s:", file, field);
    else
        snprintf(want, sizeof want, "%s", file);
    if (!strstr(err, want))
        fail_msg("no \"%s\" in:\n%s", want, err);
    assert_non_null(strstr(err, "nothing written"));
    char p[200];
    assert_false(exists(fx->out));
    snprintf(p, sizeof p, "%s.tmp", fx->out);
    assert_false(exists(p));
    snprintf(p, sizeof p, "%s.state", fx->out);
    assert_false(exists(p));
    /* validate says the same and writes nothing either. */
    const char *vargs[] = { "validate", fx->content, NULL };
    char err2[8192];
    assert_int_equal(run(fx, vargs, err2, sizeof err2), 1);
    assert_non_null(strstr(err2, want));
    assert_false(exists(fx->out));
}

/* A grey PNG of w x h made with libpng. */
static void put_png(const fixture *fx, const char *rel, unsigned w,
                    unsigned h)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fx->content, rel);
    puts_file(fx, rel, "");     /* make parents */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing %s", rel);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_bytep row = calloc(w, 1);
    assert_non_null(row);
    memset(row, 0x80, w);
    for (unsigned y = 0; y < h; y++)
        png_write_row(png, row);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    assert_int_equal(fclose(f), 0);
}

/* --- the good case ---------------------------------------------------- */

static void test_valid_builds(void **state)
{
    fixture *fx = *state;
    char err[4096];
    const char *args[] = { "build", fx->content, "-o", fx->out, NULL };
    int rc = run(fx, args, err, sizeof err);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, err);
    assert_true(exists(fx->out));
    char p[200];
    snprintf(p, sizeof p, "%s.state", fx->out);
    assert_true(exists(p));
}

/* --- one case per kind of bad content -------------------------------- */

static void test_bad_json(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "pages/about.json", "{\"type\": \"page\", \"title\": ");
    expect_rejected(fx, "pages/about.json: JSON syntax error at line 1",
                    NULL);
}

static void test_unknown_field(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "pages/about.json",
              "{\"type\":\"page\",\"title\":{\"en\":\"About\"},"
              "\"body\":{\"en\":\"Hi\"},\"colour\":\"red\"}");
    expect_rejected(fx, "pages/about.json", "colour");
}

static void test_missing_target(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "menus/root.json",
              "{\"type\":\"menu\",\"title\":{\"en\":\"Home\"},\"items\":["
              "{\"label\":{\"en\":\"About\"},\"target\":\"pages/about.json\"},"
              "{\"label\":{\"en\":\"Tax\"},\"target\":\"pages/tax.json\"}]}");
    expect_rejected(fx, "menus/root.json", "items[1].target");
}

static void test_image_too_large(void **state)
{
    fixture *fx = *state;
    put_png(fx, "images/banner.png", 800, 600);
    expect_rejected(fx, "images/banner.png", "image");
    char err[4096];
    const char *vargs[] = { "validate", fx->content, NULL };
    run(fx, vargs, err, sizeof err);
    assert_non_null(strstr(err, "800x600 is larger than the screen "
                                "(at most 720x576)"));
}

static void test_image_not_png(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "images/logo.png", "GIF89a not a png at all");
    expect_rejected(fx, "images/logo.png", "image");
}

static void test_image_truncated_png(void **state)
{
    fixture *fx = *state;
    static const uint8_t sig[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
                                   '\n', 0, 0, 0, 13, 'I', 'H' };
    put(fx, "images/cut.png", sig, sizeof sig);
    expect_rejected(fx, "images/cut.png", "image");
}

/* A page (format 2) that shows images/photo.png. */
static void with_page_image(const fixture *fx)
{
    puts_file(fx, "manifest.json",
              "{\"format\":2,\"service\":\"civictv\",\"version\":\"1\","
              "\"languages\":[\"en\"],\"title\":{\"en\":\"Council services\"},"
              "\"root\":\"menus/root.json\"}");
    puts_file(fx, "pages/about.json",
              "{\"type\":\"page\",\"title\":{\"en\":\"About\"},"
              "\"body\":{\"en\":\"Hello.\"},\"image\":{\"src\":"
              "\"images/photo.png\",\"alt\":{\"en\":\"A photo\"}}}");
}

/* How many lines of err mention what. */
static unsigned lines_with(const char *err, const char *what)
{
    unsigned n = 0;
    for (const char *p = err; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

/* Each bad page image: one message, in "file: image: what" form, naming
 * the format's limit for page images; a missing one names the page. */
static void test_page_image_problems(void **state)
{
    fixture *fx = *state;
    with_page_image(fx);
    put_png(fx, "images/photo.png", 320, 200);
    char err[8192];
    const char *vargs[] = { "validate", fx->content, NULL };
    if (run(fx, vargs, err, sizeof err) != 0)
        fail_msg("a good page image refused:\n%s", err);

    put_png(fx, "images/photo.png", 700, 500);   /* fits the screen only */
    expect_rejected(fx, "images/photo.png", "image");
    run(fx, vargs, err, sizeof err);
    assert_non_null(strstr(err, "700x500 is larger than a page image may "
                                "be (at most 640x400)"));
    assert_int_equal(lines_with(err, "images/photo.png"), 1);
    assert_non_null(strstr(err, ": 1 problem"));

    put_png(fx, "images/photo.png", 800, 600);   /* not even the screen */
    run(fx, vargs, err, sizeof err);
    assert_int_equal(lines_with(err, "images/photo.png"), 1);

    puts_file(fx, "images/photo.png", "GIF89a");
    expect_rejected(fx, "images/photo.png", "image");
    run(fx, vargs, err, sizeof err);
    assert_int_equal(lines_with(err, "images/photo.png"), 1);

    /* a header that reads but data that does not decode */
    put_png(fx, "images/photo.png", 64, 64);
    char p[256];
    snprintf(p, sizeof p, "%s/images/photo.png", fx->content);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, -40, SEEK_END), 0);
    static const uint8_t junk[24] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    assert_int_equal(fclose(f), 0);
    expect_rejected(fx, "images/photo.png", "image");

    snprintf(p, sizeof p, "%s/images/photo.png", fx->content);
    assert_int_equal(unlink(p), 0);
    expect_rejected(fx, "pages/about.json", "image.src");
}

static void test_no_english_language(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "manifest.json",
              "{\"format\":1,\"service\":\"civictv\",\"version\":\"1\","
              "\"languages\":[\"cy\"],\"title\":{\"en\":\"Services\"},"
              "\"root\":\"menus/root.json\"}");
    expect_rejected(fx, "manifest.json", "languages");
}

static void test_text_too_long(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "pages/about.json",
              "{\"type\":\"page\",\"title\":{\"en\":\"About this service, "
              "who runs it, and what it does for you\"},"
              "\"body\":{\"en\":\"Hi\"}}");
    expect_rejected(fx, "pages/about.json", "title.en");
}

static void test_bad_file_name(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "pages/tax band?.json", PAGE_OK);
    expect_rejected(fx, "pages/tax band?.json", "name");
}

static void test_no_english(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "manifest.json",
              "{\"format\":1,\"service\":\"civictv\",\"version\":\"1\","
              "\"languages\":[\"en\"],\"title\":{\"cy\":\"Gwasanaethau\"},"
              "\"root\":\"menus/root.json\"}");
    expect_rejected(fx, "manifest.json", "title.en");
}

static void test_no_manifest(void **state)
{
    fixture *fx = *state;
    char p[200];
    snprintf(p, sizeof p, "%s/manifest.json", fx->content);
    assert_int_equal(unlink(p), 0);
    char err[4096];
    const char *args[] = { "build", fx->content, "-o", fx->out, NULL };
    assert_int_equal(run(fx, args, err, sizeof err), 1);
    assert_non_null(strstr(err, "manifest.json: missing"));
    assert_false(exists(fx->out));
}

static void test_unused_file(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "notes.txt", "remember to update the bin days");
    expect_rejected(fx, "notes.txt", "file");
}

static void test_raw_carries_anything(void **state)
{
    fixture *fx = *state;
    puts_file(fx, "notes.txt", "kept");
    puts_file(fx, "pages/about.json", "{ not json");
    char err[4096];
    const char *args[] = { "build", "--raw", fx->content, "-o", fx->out,
                           NULL };
    int rc = run(fx, args, err, sizeof err);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, err);
    assert_true(exists(fx->out));
}

/* In-process: the PNG check on every prefix of a valid file (ASan sees
 * any over-read), and the first-screen list. */
static void test_png_prefixes(void **state)
{
    fixture *fx = *state;
    put_png(fx, "a.png", 16, 8);
    char p[512];
    snprintf(p, sizeof p, "%s/a.png", fx->content);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 33);
    assert_int_equal(oc_content_check_png("a.png", buf, n, NULL, NULL), 0);
    /* The header is signature (8) + IHDR (25): shorter must fail. */
    for (size_t k = 0; k < 33; k++) {
        uint8_t *c = malloc(k ? k : 1);
        assert_non_null(c);
        memcpy(c, buf, k);
        assert_int_equal(oc_content_check_png("a.png", c, k, NULL, NULL), 1);
        free(c);
    }
}

static void test_first_screen_list(void **state)
{
    (void)state;
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    const char *m = "{\"format\":1,\"root\":\"menus/root.json\","
                    "\"regions\":\"regions.json\",\"service\":\"x\"}";
    const char *r = "{\"type\":\"menu\",\"logo\":\"images/logo.png\","
                    "\"items\":[{\"target\":\"pages/a.json\"}]}";
    assert_int_equal(oc_tree_add_file(t, "manifest.json", (const uint8_t *)m,
                                      strlen(m)), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "menus/root.json",
                                      (const uint8_t *)r, strlen(r)), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "regions.json",
                                      (const uint8_t *)"{}", 2), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "images/logo.png",
                                      (const uint8_t *)"x", 1), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "pages/a.json",
                                      (const uint8_t *)"{}", 2), OC_OK);
    char **p;
    size_t n;
    assert_int_equal(oc_content_first_screen(t, &p, &n), OC_OK);
    assert_int_equal(n, 4);
    assert_string_equal(p[0], "manifest.json");
    int root = 0, reg = 0, logo = 0, page = 0;
    for (size_t i = 0; i < n; i++) {
        root += !strcmp(p[i], "menus/root.json");
        reg += !strcmp(p[i], "regions.json");
        logo += !strcmp(p[i], "images/logo.png");
        page += !strcmp(p[i], "pages/a.json");
    }
    assert_int_equal(root + reg + logo, 3);
    assert_int_equal(page, 0);          /* pages come later */
    oc_content_paths_free(p, n);
    oc_tree_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_builds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_not_png, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_truncated_png, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_page_image_problems, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_english_language, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_english, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_carries_anything, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_png_prefixes, setup, teardown),
        cmocka_unit_test(test_first_screen_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
