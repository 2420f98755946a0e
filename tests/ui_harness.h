/*
 * What the screen tests share (test_e2e.c, test_ui_golden.c): running the
 * real programs of a build, and comparing the PNG screenshots civictv
 * writes with golden images.
 *
 * Include after <cmocka.h>.  Functions are static inline so that each test
 * keeps only what it uses without unused-function warnings.
 *
 * Golden comparison tolerates what differs between FreeType builds (a few
 * levels on glyph edges): at most 0.5% of pixels off by more than 48 in a
 * channel, and a mean difference under 2 levels.  CIVICTV_UPDATE_GOLDEN=1
 * rewrites the golden images instead (then look at them before
 * committing).
 */
#ifndef UI_HARNESS_H
#define UI_HARNESS_H

#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The build under test (CIVICTV_BUILD, as tests/run.sh sets it) and a
 * scratch folder removed at the end. */
static char hx_build[256];
static char hx_tmp[256];

static inline int hx_run(const char *cmd, char *out, size_t outlen);

/* prefix: "e2e" gives /tmp/civictv-e2e-XXXXXX. */
static inline int hx_setup(const char *prefix)
{
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(hx_build, sizeof hx_build, "%s", b && *b ? b : "build");
    snprintf(hx_tmp, sizeof hx_tmp, "/tmp/civictv-%s-XXXXXX", prefix);
    return mkdtemp(hx_tmp) ? 0 : -1;
}

static inline int hx_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", hx_tmp);
    return hx_run(cmd, NULL, 0) == 0 ? 0 : -1;
}

/* Run a shell command; return its exit status, or 128+signal if it died,
 * with stdout and stderr together in out (if not NULL). */
static inline int hx_run(const char *cmd, char *out, size_t outlen)
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

static inline void hx_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A settings file as the settings screen writes it. */
static inline void hx_write_settings(const char *path, const char *lang, int large,
                                     int contrast)
{
    char text[200];
    snprintf(text, sizeof text, "language = %s\ntext = %s\ncontrast = %s\n", lang,
             large ? "large" : "normal", contrast ? "high" : "standard");
    hx_write_file(path, text);
}

typedef struct {
    unsigned w, h;
    uint8_t *rgb; /* w*h*3 */
} hx_image;

static inline int hx_load_png(const char *path, hx_image *img)
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

static inline int hx_copy_file(const char *from, const char *to)
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

static inline void hx_compare_with_golden(const char *shot, const char *golden)
{
    if (getenv("CIVICTV_UPDATE_GOLDEN")) {
        assert_int_equal(hx_copy_file(shot, golden), 0);
        print_message("updated %s\n", golden);
        return;
    }
    hx_image a = { 0, 0, NULL }, g = { 0, 0, NULL };
    if (hx_load_png(shot, &a) != 0)
        fail_msg("cannot read screenshot %s", shot);
    if (hx_load_png(golden, &g) != 0) {
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

/* Everything but the background inside the graphics-safe area (EBU R95:
 * x 36..684, y 29..547). */
static inline void hx_assert_safe_area(const char *shot)
{
    hx_image a = { 0, 0, NULL };
    if (hx_load_png(shot, &a) != 0)
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

/* DIR/FILE against a golden image. */
static inline void hx_check_shot(const char *dir, const char *file, const char *golden)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hx_compare_with_golden(path, golden);
}

static inline void hx_check_shot_safe(const char *dir, const char *file, const char *golden)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hx_compare_with_golden(path, golden);
    hx_assert_safe_area(path);
}

#endif
