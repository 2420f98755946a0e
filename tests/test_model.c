/*
 * Tests of model/: the content format 1 decoders and tree validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cm.h"

static const char good_manifest[] =
    "{\"format\":1,\"service\":\"civictv\",\"version\":\"1\","
    "\"languages\":[\"en\",\"cy\"],"
    "\"title\":{\"en\":\"Public services\",\"cy\":\"Gwasanaethau cyhoeddus\"},"
    "\"root\":\"menus/root.json\"}";

static const char good_menu[] =
    "{\"type\":\"menu\",\"title\":{\"en\":\"Services\"},\"items\":["
    "{\"label\":{\"en\":\"Council Tax\",\"cy\":\"Treth Gyngor\"},"
    "\"target\":\"pages/ct.json\",\"lgsl\":57},"
    "{\"label\":{\"en\":\"Bins\"},\"target\":\"menus/bins.json\"}]}";

static const char good_page[] =
    "{\"type\":\"page\",\"title\":{\"en\":\"Bins\"},"
    "\"body\":{\"en\":\"Put bins out by 7am.\\n\\n## Days\\n\\n- Monday\"}}";

static cm_err parse_manifest_str(const char *s, cm_manifest *m, cm_diag *d)
{
    return cm_manifest_parse((const uint8_t *)s, strlen(s), "manifest.json", m, d);
}

static cm_err parse_doc_str(const char *s, cm_doc *doc, cm_diag *d)
{
    return cm_doc_parse((const uint8_t *)s, strlen(s), "menus/root.json", doc, d);
}

static void test_manifest_good(void **state)
{
    (void)state;
    cm_manifest m;
    cm_diag d;
    assert_int_equal(parse_manifest_str(good_manifest, &m, &d), CM_OK);
    assert_int_equal(m.format, 1);
    assert_string_equal(m.service, "civictv");
    assert_string_equal(m.root, "menus/root.json");
    assert_string_equal(cm_text_get(&m.title, CM_LANG_CY), "Gwasanaethau cyhoeddus");
    assert_int_equal(m.languages, 3u);
    assert_null(m.backoffice);
    cm_manifest_free(&m);
    cm_manifest_free(NULL);
}

/* Each bad manifest must fail and name the field it is about. */
static void test_manifest_bad_names_field(void **state)
{
    (void)state;
    static const struct { const char *json; const char *expect; cm_err err; } cases[] = {
        { "{\"format\":2}", "manifest.json: format: must be 1", CM_EFIELD },
        { "[1,2]", "manifest.json: top level must be a JSON object", CM_EFIELD },
        { "{\"format\":1,", "manifest.json: JSON syntax error", CM_EJSON },
        { "{\"format\":1,\"languages\":[\"cy\"]}", "manifest.json: languages: must include", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"fr\"]}", "manifest.json: languages[0]: must be", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"cy\":\"Teitl\"},\"root\":\"a.json\"}", "manifest.json: title.en: missing", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"en\":\"T\"},\"root\":\"../etc/passwd\"}", "manifest.json: root: ", CM_EFIELD },
        { "{\"format\":1,\"tilte\":{}}", "manifest.json: tilte: unknown field", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"en\":\"T\",\"de\":\"T\"},\"root\":\"a.json\"}", "manifest.json: title.de: unknown field", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"en\":\"T\"},\"root\":\"a.json\",\"backoffice\":\"http://evil.example\"}",
          "manifest.json: backoffice: must be an https:// URL", CM_EFIELD },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_manifest m;
        cm_diag d = { { 0 } };
        cm_err e = parse_manifest_str(cases[i].json, &m, &d);
        if (e != cases[i].err || strncmp(d.msg, cases[i].expect, strlen(cases[i].expect)) != 0)
            fail_msg("case %zu: got %d \"%s\", want %d \"%s...\"", i, e, d.msg,
                     cases[i].err, cases[i].expect);
        assert_null(m.service);
    }
}

static void test_invalid_utf8_rejected(void **state)
{
    (void)state;
    const char bad[] = "{\"type\":\"page\",\"title\":{\"en\":\"caf\xC3\"},\"body\":{\"en\":\"x\"}}";
    cm_doc doc;
    cm_diag d;
    assert_int_equal(parse_doc_str(bad, &doc, &d), CM_EJSON);
    assert_non_null(strstr(d.msg, "UTF-8"));
    /* overlong encoding of '/' */
    const char overlong[] = "{\"type\":\"page\",\"title\":{\"en\":\"\xC0\xAF\"},\"body\":{\"en\":\"x\"}}";
    assert_int_equal(parse_doc_str(overlong, &doc, &d), CM_EJSON);
}

static void test_menu_and_page(void **state)
{
    (void)state;
    cm_doc doc;
    cm_diag d;
    assert_int_equal(parse_doc_str(good_menu, &doc, &d), CM_OK);
    assert_int_equal(doc.type, CM_DOC_MENU);
    assert_int_equal(doc.n_items, 2);
    assert_string_equal(cm_text_get(&doc.items[0].label, CM_LANG_CY), "Treth Gyngor");
    /* No Welsh text: English is shown. */
    assert_string_equal(cm_text_get(&doc.items[1].label, CM_LANG_CY), "Bins");
    assert_int_equal(doc.items[0].lgsl, 57);
    assert_int_equal(doc.items[1].lgsl, 0);
    cm_doc_free(&doc);

    assert_int_equal(parse_doc_str(good_page, &doc, &d), CM_OK);
    assert_int_equal(doc.type, CM_DOC_PAGE);
    assert_non_null(strstr(doc.body.en, "## Days"));
    cm_doc_free(&doc);
}

static void test_menu_bad(void **state)
{
    (void)state;
    static const struct { const char *json; const char *expect; } cases[] = {
        { "{\"type\":\"list\"}", "type: must be" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"items\":[]}", "items: a menu needs" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"items\":[{\"label\":{\"en\":\"A\"}}]}",
          "items[0].target: missing" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"items\":[{\"label\":{\"en\":\"A\"},"
          "\"target\":\"p.json\",\"lgsl\":-3}]}", "items[0].lgsl: must be" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"items\":[{\"label\":{\"en\":\"A\"},"
          "\"target\":\"p q.json\"}]}", "items[0].target: \"p q.json\" is not" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"This title is far too long to fit on one line of the screen\"},"
          "\"items\":[{\"label\":{\"en\":\"A\"},\"target\":\"p.json\"}]}", "title.en: longer than" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":5}}", "body.en: must be a string" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_doc doc;
        cm_diag d = { { 0 } };
        assert_int_not_equal(parse_doc_str(cases[i].json, &doc, &d), CM_OK);
        if (!strstr(d.msg, cases[i].expect) || strncmp(d.msg, "menus/root.json: ", 17) != 0)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].expect);
        assert_int_equal(doc.n_items, 0);
    }
}

/* Every proper prefix of a valid file is invalid JSON and must fail
 * cleanly; each prefix sits in an exact-size heap buffer so that
 * AddressSanitizer sees any read past its end. */
static void test_truncations(void **state)
{
    (void)state;
    const char *docs[] = { good_menu, good_page };
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(docs[k]);
        for (size_t len = 0; len < n; len++) {
            uint8_t *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            memcpy(buf, docs[k], len);
            cm_doc doc;
            assert_int_not_equal(cm_doc_parse(buf, len, "x.json", &doc, NULL), CM_OK);
            free(buf);
        }
    }
    size_t n = strlen(good_manifest);
    for (size_t len = 0; len < n; len++) {
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, good_manifest, len);
        cm_manifest m;
        assert_int_not_equal(cm_manifest_parse(buf, len, "manifest.json", &m, NULL), CM_OK);
        free(buf);
    }
}

static void test_path_ok(void **state)
{
    (void)state;
    assert_true(cm_path_ok("menus/root.json"));
    assert_true(cm_path_ok("a-b_c.1/x.png"));
    assert_false(cm_path_ok(""));
    assert_false(cm_path_ok("/abs.json"));
    assert_false(cm_path_ok("a//b"));
    assert_false(cm_path_ok("a/../b"));
    assert_false(cm_path_ok("./a"));
    assert_false(cm_path_ok("a/"));
    assert_false(cm_path_ok("caf\xC3\xA9.json"));
    assert_false(cm_path_ok("a?b"));
}

/* ---- tree validation over an in-memory set of files ---- */

typedef struct { const char *path; const char *json; } mem_file;
typedef struct { const mem_file *files; size_t n; } mem_tree;

static int mem_fetch(void *ud, const char *path, const uint8_t **data, size_t *len)
{
    const mem_tree *t = ud;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->files[i].path, path) == 0) {
            *data = (const uint8_t *)t->files[i].json;
            *len = strlen(t->files[i].json);
            return 0;
        }
    return -1;
}

typedef struct { char all[2048]; unsigned n; } reports;

static void collect(void *ud, const char *msg)
{
    reports *r = ud;
    r->n++;
    strncat(r->all, msg, sizeof r->all - strlen(r->all) - 2);
    strcat(r->all, "\n");
}

static void test_validate_tree(void **state)
{
    (void)state;
    const char root_menu[] =
        "{\"type\":\"menu\",\"title\":{\"en\":\"Root\"},\"items\":["
        "{\"label\":{\"en\":\"A\"},\"target\":\"pages/a.json\"},"
        "{\"label\":{\"en\":\"Missing\"},\"target\":\"pages/gone.json\"},"
        "{\"label\":{\"en\":\"Sub\"},\"target\":\"menus/sub.json\"}]}";
    const char sub_menu[] =   /* a cycle back to the root must not loop */
        "{\"type\":\"menu\",\"title\":{\"en\":\"Sub\"},\"items\":["
        "{\"label\":{\"en\":\"Home\"},\"target\":\"menus/root.json\"},"
        "{\"label\":{\"en\":\"Bad\"},\"target\":\"pages/bad.json\"}]}";
    const mem_file files[] = {
        { "manifest.json", good_manifest },
        { "menus/root.json", root_menu },
        { "menus/sub.json", sub_menu },
        { "pages/a.json", good_page },
        { "pages/bad.json", "{\"type\":\"page\",\"title\":{\"en\":\"B\"}}" },
    };
    mem_tree t = { files, 5 };
    reports r = { { 0 }, 0 };
    assert_int_equal(cm_validate_tree(mem_fetch, &t, collect, &r), 2);
    assert_int_equal(r.n, 2);
    assert_non_null(strstr(r.all,
        "menus/root.json: items[1].target: \"pages/gone.json\" does not exist"));
    assert_non_null(strstr(r.all, "pages/bad.json: body: missing"));

    mem_tree none = { files, 0 };
    reports r2 = { { 0 }, 0 };
    assert_int_equal(cm_validate_tree(mem_fetch, &none, collect, &r2), 1);
    assert_non_null(strstr(r2.all, "manifest.json: missing"));
}

/* The bundled sample content must be valid. */
static int disk_fetch(void *ud, const char *path, const uint8_t **data, size_t *len)
{
    static uint8_t *buf;
    free(buf);
    buf = NULL;
    if (!path) /* cleanup call */
        return -1;
    char full[512];
    snprintf(full, sizeof full, "%s/%s", (const char *)ud, path);
    FILE *f = fopen(full, "rb");
    if (!f)
        return -1;
    buf = malloc(CM_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CM_MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    *data = buf;
    *len = n;
    return buf ? 0 : -1;
}

static void print_report(void *ud, const char *msg)
{
    (void)ud;
    print_error("%s\n", msg);
}

static void test_sample_content_valid(void **state)
{
    (void)state;
    assert_int_equal(cm_validate_tree(disk_fetch, "content", print_report, NULL), 0);
    disk_fetch(NULL, NULL, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_good),
        cmocka_unit_test(test_manifest_bad_names_field),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_menu_and_page),
        cmocka_unit_test(test_menu_bad),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_path_ok),
        cmocka_unit_test(test_validate_tree),
        cmocka_unit_test(test_sample_content_valid),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
