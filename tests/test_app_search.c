/*
 * Tests of app/app_search over the sample content folder: every page
 * reachable from the root and the councils is indexed, the A-Z is sorted
 * in each language, and keyword search needs every word, title matches
 * first.
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
        for (size_t i = 1; i < n; i++)
            assert_true(strcasecmp(app_search_title(f->s, idx[i - 1], (cm_lang)l),
                                   app_search_title(f->s, idx[i], (cm_lang)l)) <= 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_az_sorted),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests_name("app_search", tests, setup, teardown);
}
