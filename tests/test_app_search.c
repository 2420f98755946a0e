/*
 * Tests of app/app_search over the sample content folder: every page
 * reachable from the root and the councils is indexed, the A-Z is sorted
 * in each language, and keyword search needs every word, title matches
 * first.  Matching ignores case and accents in UTF-8 (Welsh â ê î ô û ŵ ŷ
 * and the rest), which app_search_fold is tested for on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_search.h"

typedef struct {
    app_content *c;
    cm_manifest m;
    cm_regions r;
    app_search *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || app_content_open_dir("content", &f->c) != APP_CONTENT_OK)
        return -1;
    const uint8_t *d;
    size_t len;
    if (app_content_get(f->c, "manifest.json", &d, &len) != APP_CONTENT_OK ||
        cm_manifest_parse(d, len, "manifest.json", &f->m, NULL) != CM_OK)
        return -1;
    if (!f->m.regions || app_content_get(f->c, f->m.regions, &d, &len) != APP_CONTENT_OK ||
        cm_regions_parse(d, len, f->m.regions, &f->r, NULL) != CM_OK)
        return -1;
    f->s = app_search_build(f->c, &f->m, &f->r);
    *state = f;
    return f->s ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    app_search_destroy(f->s);
    cm_regions_free(&f->r);
    cm_manifest_free(&f->m);
    app_content_destroy(f->c);
    free(f);
    return 0;
}

static void test_az_sorted(void **state)
{
    fixture *f = *state;
    size_t n = app_search_count(f->s);
    assert_true(n >= 40);   /* the sample's pages */
    size_t *idx = calloc(n, sizeof *idx);
    assert_non_null(idx);
    for (int l = CM_LANG_EN; l <= CM_LANG_CY; l++) {
        assert_int_equal(app_search_az(f->s, (cm_lang)l, idx, n), n);
        for (size_t i = 1; i < n; i++) {
            char x[512], y[512];
            app_search_fold(app_search_title(f->s, idx[i - 1], (cm_lang)l), x, sizeof x);
            app_search_fold(app_search_title(f->s, idx[i], (cm_lang)l), y, sizeof y);
            assert_true(strcmp(x, y) <= 0);
            /* The A-Z's letters follow the same order. */
            assert_true(app_search_letter(f->s, idx[i - 1], (cm_lang)l) <=
                        app_search_letter(f->s, idx[i], (cm_lang)l));
        }
    }
    /* Each page once: paths are distinct. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(app_search_path(f->s, i), app_search_path(f->s, j));
    /* Council pages are in (they are reached through the regions). */
    int council = 0;
    for (size_t i = 0; i < n; i++)
        council += strncmp(app_search_path(f->s, i), "councils/", 9) == 0;
    assert_true(council > 0);
    assert_int_equal(app_search_az(f->s, CM_LANG_EN, idx, 3), 3);
    free(idx);
}

static void test_find(void **state)
{
    fixture *f = *state;
    size_t idx[200];
    size_t n = app_search_find(f->s, CM_LANG_EN, "bin", idx, 200);
    assert_true(n > 0);
    /* Title matches first: the first result's title has the word. */
    const char *t0 = app_search_title(f->s, idx[0], CM_LANG_EN);
    int found = 0;
    for (const char *p = t0; *p && !found; p++)
        found = strncasecmp(p, "bin", 3) == 0;
    assert_true(found);
    /* More words, fewer results; every word must be there. */
    size_t n2 = app_search_find(f->s, CM_LANG_EN, "bin caerwen", idx, 200);
    assert_true(n2 > 0 && n2 < n);
    assert_int_equal(app_search_find(f->s, CM_LANG_EN, "bin zzzzqqq", idx, 200), 0);
    assert_int_equal(app_search_find(f->s, CM_LANG_EN, "   ", idx, 200), 0);
    assert_int_equal(app_search_find(f->s, CM_LANG_EN, NULL, idx, 200), 0);
    /* Welsh words find Welsh texts. */
    assert_true(app_search_find(f->s, CM_LANG_CY, "biniau", idx, 200) > 0);
    assert_int_equal(app_search_find(NULL, CM_LANG_EN, "bin", idx, 200), 0);
    app_search_destroy(NULL);
    assert_int_equal(app_search_count(NULL), 0);
}

static void check_fold(const char *in, const char *want)
{
    char out[128];
    size_t n = app_search_fold(in, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_fold(void **state)
{
    (void)state;
    /* Welsh circumflexes, both cases, to the base letter. */
    check_fold("ffôn", "ffon");
    check_fold("FFÔN", "ffon");
    check_fold("Tŷ HŶN", "ty hyn");
    check_fold("dŵr ŴYL", "dwr wyl");
    check_fold("âêîôû ÂÊÎÔÛ", "aeiou aeiou");
    /* Diaeresis, acute and grave, including Welsh ẁ ẃ ẅ ỳ. */
    check_fold("therapïau café ÄËÏÖÜ Ÿ ÿ", "therapiau cafe aeiou y y");
    check_fold("ẀẁẂẃẄẅ Ỳỳ", "wwwwww yy");
    /* Letters without a base letter: lower case, same bytes otherwise. */
    check_fold("ÆSC Œuvre ÞORN", "æsc œuvre þorn");
    check_fold("× ÷ £52 €", "× ÷ £52 €");
    /* ASCII folds as before; digits and punctuation are kept. */
    check_fold("Council TAX, CE1 2AB", "council tax, ce1 2ab");
    /* Malformed UTF-8 is kept byte for byte, never read past. */
    check_fold("a\xC3", "a\xC3");
    check_fold("\xFF\xC0\xAFx", "\xFF\xC0\xAFx");
    check_fold("\xED\xA0\x80", "\xED\xA0\x80");   /* a surrogate */
    /* Like snprintf: the length it needs, the output cut short safely. */
    char small[4];
    assert_int_equal(app_search_fold("GWASANAETHAU", small, sizeof small), 12);
    assert_string_equal(small, "gwa");
    assert_int_equal(app_search_fold("Ŵ", NULL, 0), 1);
    assert_int_equal(app_search_fold(NULL, small, sizeof small), 0);
    assert_string_equal(small, "");
}

/* Carousel text is outside data: any bytes fold without reading past
 * the end, the folded text is never longer, and folding is idempotent. */
static void test_fold_any_bytes(void **state)
{
    (void)state;
    uint32_t x = 2463534242u;
    for (int round = 0; round < 2000; round++) {
        char in[64], out[64], again[64];
        size_t n = (size_t)(round % 63);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            /* Mostly UTF-8 lead and continuation bytes, some ASCII. */
            in[i] = (char)(x % 3 ? 0x80 | (x >> 8 & 0x7F) : 1 + (x >> 8) % 127);
        }
        in[n] = '\0';
        size_t len = strlen(in);
        size_t m = app_search_fold(in, out, sizeof out);
        assert_true(m <= len);
        assert_int_equal(strlen(out), m);
        assert_int_equal(app_search_fold(out, again, sizeof again), m);
        assert_string_equal(again, out);
    }
}

/* Searching the Welsh sample without accents, or in capitals, finds the
 * words written with them, in titles and in texts. */
static void test_find_ignores_accents(void **state)
{
    fixture *f = *state;
    size_t idx[200], idx2[200], idx3[200];
    size_t n = app_search_find(f->s, CM_LANG_CY, "ffôn", idx, 200);
    assert_true(n > 0);
    assert_int_equal(app_search_find(f->s, CM_LANG_CY, "ffon", idx2, 200), n);
    assert_memory_equal(idx, idx2, n * sizeof *idx);
    assert_int_equal(app_search_find(f->s, CM_LANG_CY, "FFÔN", idx3, 200), n);
    assert_memory_equal(idx, idx3, n * sizeof *idx);
    /* ŷ and ŵ: "ty" finds the pages with "tŷ" among its results, and
     * "dwr" those with "dŵr". */
    n = app_search_find(f->s, CM_LANG_CY, "TŶ", idx, 200);
    assert_true(n > 0);
    size_t m = app_search_find(f->s, CM_LANG_CY, "ty", idx2, 200);
    assert_true(m >= n);
    assert_true(app_search_find(f->s, CM_LANG_CY, "dwr", idx, 200) > 0);
    assert_true(app_search_find(f->s, CM_LANG_CY, "gwasanaethau", idx, 200) > 0);
    assert_int_equal(app_search_find(f->s, CM_LANG_CY, "GWASANAETHAU", idx2, 200),
                     app_search_find(f->s, CM_LANG_CY, "gwasanaethau", idx3, 200));
    /* Folding does not make everything match. */
    assert_int_equal(app_search_find(f->s, CM_LANG_CY, "ffôô", idx, 200), 0);
    /* English keeps working in capitals. */
    assert_int_equal(app_search_find(f->s, CM_LANG_EN, "BIN", idx, 200),
                     app_search_find(f->s, CM_LANG_EN, "bin", idx2, 200));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_az_sorted),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_find_ignores_accents),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_any_bytes),
    };
    return cmocka_run_group_tests_name("app_search", tests, setup, teardown);
}
