/*
 * Tests of model/: the content format 1 and 2 decoders (manifest, menus,
 * pages with images and links, regions and postcodes) and tree validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

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
        { "{\"format\":3}", "manifest.json: format: must be 1 or 2", CM_EFIELD },
        { "{\"format\":1,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"en\":\"T\"},\"root\":\"a.json\",\"regions\":\"r.json\"}",
          "manifest.json: regions: needs \"format\": 2", CM_EFIELD },
        { "{\"format\":2,\"languages\":[\"en\"],\"service\":\"x\",\"version\":\"1\","
          "\"title\":{\"en\":\"T\"},\"root\":\"a.json\",\"regions\":\"/r.json\"}",
          "manifest.json: regions: \"/r.json\" is not", CM_EFIELD },
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

typedef struct { const char *path; const char *json; size_t len; } mem_file;  /* len 0: strlen */
typedef struct { const mem_file *files; size_t n; } mem_tree;

static int mem_fetch(void *ud, const char *path, const uint8_t **data, size_t *len)
{
    const mem_tree *t = ud;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->files[i].path, path) == 0) {
            *data = (const uint8_t *)t->files[i].json;
            *len = t->files[i].len ? t->files[i].len : strlen(t->files[i].json);
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
        { "manifest.json", good_manifest, 0 },
        { "menus/root.json", root_menu, 0 },
        { "menus/sub.json", sub_menu, 0 },
        { "pages/a.json", good_page, 0 },
        { "pages/bad.json", "{\"type\":\"page\",\"title\":{\"en\":\"B\"}}", 0 },
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

/* ---- format 2 ---- */

static const char good_manifest2[] =
    "{\"format\":2,\"service\":\"civictv\",\"version\":\"2\","
    "\"languages\":[\"en\",\"cy\"],\"title\":{\"en\":\"Public services\"},"
    "\"root\":\"menus/root.json\",\"regions\":\"regions.json\"}";

static const char good_regions[] =
    "{\"type\":\"regions\",\"councils\":["
    "{\"id\":\"caerwen\",\"name\":{\"en\":\"Caerwen County Council\","
    "\"cy\":\"Cyngor Sir Caerwen\"},\"postcodes\":[\"CW1\",\"CW2\",\"CW\"],"
    "\"menu\":\"councils/caerwen/menu.json\","
    "\"contact\":{\"phone\":\"01632 960123\",\"web\":\"www.caerwen.example\"}},"
    "{\"id\":\"dyffryn\",\"name\":{\"en\":\"Dyffryn Council\"},"
    "\"postcodes\":[\"CW10\",\"DY\",\"EC1\",\"EC1A\",\"E1\"],"
    "\"menu\":\"councils/dyffryn/menu.json\"}]}";

static const char good_page2[] =
    "{\"type\":\"page\",\"title\":{\"en\":\"Bins\"},\"body\":{\"en\":\"*Put* bins out.\"},"
    "\"image\":{\"src\":\"images/bin.png\",\"alt\":{\"en\":\"A green bin\","
    "\"cy\":\"Bin gwyrdd\"}},"
    "\"links\":[{\"label\":{\"en\":\"Bin days\"},\"target\":\"pages/days.json\"},"
    "{\"label\":{\"en\":\"Your council\"},\"target\":\"@local\"}]}";

static void test_manifest_format2(void **state)
{
    (void)state;
    cm_manifest m;
    cm_diag d;
    assert_int_equal(parse_manifest_str(good_manifest2, &m, &d), CM_OK);
    assert_int_equal(m.format, 2);
    assert_string_equal(m.regions, "regions.json");
    cm_manifest_free(&m);
    /* Format 1 still reads, without regions. */
    assert_int_equal(parse_manifest_str(good_manifest, &m, &d), CM_OK);
    assert_null(m.regions);
    cm_manifest_free(&m);
}

static void test_page_image_links(void **state)
{
    (void)state;
    cm_doc doc;
    cm_diag d;
    assert_int_equal(parse_doc_str(good_page2, &doc, &d), CM_OK);
    assert_string_equal(doc.image.src, "images/bin.png");
    assert_string_equal(cm_text_get(&doc.image.alt, CM_LANG_CY), "Bin gwyrdd");
    assert_int_equal(doc.n_links, 2);
    assert_string_equal(doc.links[0].target, "pages/days.json");
    assert_int_equal(cm_target_classify(doc.links[1].target), CM_TARGET_LOCAL);
    cm_doc_free(&doc);

    assert_int_equal(cm_target_classify("@search"), CM_TARGET_SEARCH);
    assert_int_equal(cm_target_classify("@settings"), CM_TARGET_SETTINGS);
    assert_int_equal(cm_target_classify("@other"), CM_TARGET_BAD);
    assert_int_equal(cm_target_classify("pages/x.json"), CM_TARGET_PATH);

    static const struct { const char *json; const char *expect; } cases[] = {
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"image\":{\"src\":\"a.gif\",\"alt\":{\"en\":\"x\"}}}", "image.src: \"a.gif\" must be a PNG" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"image\":{\"src\":\"a.png\"}}", "image.alt: missing" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"image\":{\"src\":\"a.png\",\"alt\":{\"en\":\"x\"},\"width\":3}}", "image.width: unknown field" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"image\":\"a.png\"}", "image: must be an object" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"links\":[{\"label\":{\"en\":\"L\"},\"target\":\"@nowhere\"}]}", "links[0].target: \"@nowhere\" is not" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},"
          "\"links\":[{\"label\":{\"en\":\"L\"}}]}", "links[0].target: missing" },
        { "{\"type\":\"page\",\"title\":{\"en\":\"P\"},\"body\":{\"en\":\"b\"},\"links\":["
          "{\"label\":{\"en\":\"1\"},\"target\":\"a\"},{\"label\":{\"en\":\"2\"},\"target\":\"a\"},"
          "{\"label\":{\"en\":\"3\"},\"target\":\"a\"},{\"label\":{\"en\":\"4\"},\"target\":\"a\"},"
          "{\"label\":{\"en\":\"5\"},\"target\":\"a\"},{\"label\":{\"en\":\"6\"},\"target\":\"a\"},"
          "{\"label\":{\"en\":\"7\"},\"target\":\"a\"},{\"label\":{\"en\":\"8\"},\"target\":\"a\"},"
          "{\"label\":{\"en\":\"9\"},\"target\":\"a\"},{\"label\":{\"en\":\"10\"},\"target\":\"a\"}]}",
          "links: 10 links, at most 9" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"items\":[{\"label\":{\"en\":\"A\"},"
          "\"target\":\"@lokal\"}]}", "items[0].target: \"@lokal\" is not" },
        { "{\"type\":\"menu\",\"title\":{\"en\":\"M\"},\"image\":{},\"items\":[]}", "image: unknown field" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_diag dd = { { 0 } };
        assert_int_not_equal(parse_doc_str(cases[i].json, &doc, &dd), CM_OK);
        if (!strstr(dd.msg, cases[i].expect))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, dd.msg, cases[i].expect);
        assert_null(doc.links);
        assert_null(doc.image.src);
    }
}

static cm_err parse_regions_str(const char *s, cm_regions *r, cm_diag *d)
{
    return cm_regions_parse((const uint8_t *)s, strlen(s), "regions.json", r, d);
}

static void test_regions_and_postcodes(void **state)
{
    (void)state;
    cm_regions r;
    cm_diag d;
    assert_int_equal(parse_regions_str(good_regions, &r, &d), CM_OK);
    assert_int_equal(r.n_councils, 2);
    assert_string_equal(r.councils[0].id, "caerwen");
    assert_string_equal(cm_text_get(&r.councils[0].name, CM_LANG_CY), "Cyngor Sir Caerwen");
    assert_string_equal(r.councils[0].phone, "01632 960123");
    assert_null(r.councils[1].phone);

    static const struct { const char *pc; int council; } look[] = {
        { "CW1 2AB", 0 }, { "cw1 2ab", 0 }, { "CW12AB", 0 }, { " c w 1 ", 0 },
        { "CW10 1AA", 1 },    /* district beats area */
        { "CW10", 1 }, { "CW9 9ZZ", 0 },  /* area match */
        { "CW2", 0 }, { "DY4 7AB", 1 }, { "EC1A 1BB", 1 }, { "EC1B 1BB", 1 },
        { "E1 6AN", 1 }, { "E2 6AN", -1 }, { "ZZ1 1ZZ", -1 },
        { "", -1 }, { "CW", -1 }, { "12345", -1 }, { "CW1 2AB X", -1 },
        { "CW1-2AB", -1 }, { "CWXX1", -1 }, { "CW1 2A", -1 },
    };
    for (size_t i = 0; i < sizeof look / sizeof look[0]; i++) {
        int got = cm_regions_lookup(&r, look[i].pc);
        if (got != look[i].council)
            fail_msg("\"%s\": council %d, want %d", look[i].pc, got, look[i].council);
    }
    assert_int_equal(cm_regions_lookup(NULL, "CW1"), -1);
    assert_int_equal(cm_regions_lookup(&r, NULL), -1);
    char out[8];
    assert_int_equal(cm_postcode_outward("sw1a 1aa", out), 0);
    assert_string_equal(out, "SW1A");
    assert_int_equal(cm_postcode_outward("M1 1AE", out), 0);
    assert_string_equal(out, "M1");
    assert_int_equal(cm_postcode_outward("B33 8TH", out), 0);
    assert_string_equal(out, "B33");
    assert_int_equal(cm_postcode_outward("ABCDEFGHIJKLMNOPQRS", out), -1);
    cm_regions_free(&r);
    cm_regions_free(NULL);
}

static void test_regions_bad(void **state)
{
    (void)state;
#define C1 "{\"id\":\"a\",\"name\":{\"en\":\"A\"},\"menu\":\"m.json\",\"postcodes\":"
    static const struct { const char *json; const char *expect; } cases[] = {
        { "{\"type\":\"menu\"}", "regions.json: type: must be \"regions\"" },
        { "{\"type\":\"regions\"}", "regions.json: councils: missing" },
        { "{\"type\":\"regions\",\"councils\":[]}", "councils: needs at least one" },
        { "{\"type\":\"regions\",\"councils\":[],\"x\":1}", "x: unknown field" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1\"],\"email\":\"x\"}]}",
          "councils[0].email: unknown field" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1 2AB\"]}]}",
          "councils[0].postcodes[0]: \"CW1 2AB\" is not an outward code" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"cw1\"]}]}",
          "councils[0].postcodes[0]: \"cw1\" is not" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW123\"]}]}", "postcodes[0]: \"CW123\" is not" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"1W1\"]}]}", "postcodes[0]: \"1W1\" is not" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[]}]}", "councils[0].postcodes: a council needs" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1\",\"CW1\"]}]}",
          "councils[0].postcodes[1]: \"CW1\" is already listed for council \"a\"" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1\"]},"
          "{\"id\":\"b\",\"name\":{\"en\":\"B\"},\"menu\":\"n.json\",\"postcodes\":[\"CW2\",\"CW1\"]}]}",
          "councils[1].postcodes[1]: \"CW1\" is already listed for council \"a\"" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1\"]}," C1 "[\"CW2\"]}]}",
          "councils[1].id: \"a\" is used twice" },
        { "{\"type\":\"regions\",\"councils\":[{\"id\":\"A B\",\"name\":{\"en\":\"A\"},"
          "\"menu\":\"m.json\",\"postcodes\":[\"CW1\"]}]}", "councils[0].id: \"A B\" must be" },
        { "{\"type\":\"regions\",\"councils\":[{\"id\":\"a\",\"name\":{\"en\":\"A\"},"
          "\"menu\":\"../m.json\",\"postcodes\":[\"CW1\"]}]}", "councils[0].menu: \"../m.json\" is not" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[\"CW1\"],\"contact\":{\"fax\":\"1\"}}]}",
          "councils[0].contact.fax: unknown field" },
        { "{\"type\":\"regions\",\"councils\":[" C1 "[5]}]}", "councils[0].postcodes[0]: must be a string" },
    };
#undef C1
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_regions r;
        cm_diag d = { { 0 } };
        assert_int_not_equal(parse_regions_str(cases[i].json, &r, &d), CM_OK);
        if (!strstr(d.msg, cases[i].expect) || strncmp(d.msg, "regions.json: ", 14) != 0)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].expect);
        assert_null(r.councils);
    }
}

static void test_truncations2(void **state)
{
    (void)state;
    const char *srcs[] = { good_regions, good_page2, good_manifest2 };
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(srcs[k]);
        for (size_t len = 0; len < n; len++) {
            uint8_t *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            memcpy(buf, srcs[k], len);
            if (k == 0) {
                cm_regions r;
                assert_int_not_equal(cm_regions_parse(buf, len, "r.json", &r, NULL), CM_OK);
            } else if (k == 1) {
                cm_doc doc;
                assert_int_not_equal(cm_doc_parse(buf, len, "p.json", &doc, NULL), CM_OK);
            } else {
                cm_manifest m;
                assert_int_not_equal(cm_manifest_parse(buf, len, "m.json", &m, NULL), CM_OK);
            }
            free(buf);
        }
    }
}

/* A small PNG made with libpng's simplified writer. */
static uint8_t *make_png(unsigned w, unsigned h, size_t *len)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = h;
    img.format = PNG_FORMAT_RGB;
    uint8_t *px = calloc((size_t)w * h * 3, 1);
    assert_non_null(px);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        px[i] = (uint8_t)(i * 7);
    png_alloc_size_t n = 0;
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, px, 0, NULL));
    uint8_t *out = malloc(n);
    assert_non_null(out);
    assert_true(png_image_write_to_memory(&img, out, &n, 0, px, 0, NULL));
    free(px);
    *len = n;
    return out;
}

static void test_png_check(void **state)
{
    (void)state;
    size_t n;
    uint8_t *png = make_png(40, 30, &n);
    cm_diag d = { { 0 } };
    assert_int_equal(cm_png_check(png, n, "images/a.png", &d), CM_OK);
    /* Every truncation fails cleanly, in an exact-size buffer. */
    for (size_t len = 0; len < n; len++) {
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, png, len);
        assert_int_not_equal(cm_png_check(buf, len, "images/a.png", &d), CM_OK);
        assert_non_null(strstr(d.msg, "images/a.png: "));
        free(buf);
    }
    /* A damaged byte in the image data is found by the CRC or zlib. */
    png[n - 20] ^= 0x55;
    assert_int_not_equal(cm_png_check(png, n, "images/a.png", &d), CM_OK);
    free(png);
    png = make_png(CM_MAX_IMAGE_W + 1, 2, &n);
    assert_int_equal(cm_png_check(png, n, "images/big.png", &d), CM_ELIMIT);
    assert_non_null(strstr(d.msg, "images/big.png: image is 641x2 pixels"));
    free(png);
    assert_int_not_equal(cm_png_check((const uint8_t *)"GIF89a....", 10, "x.png", &d), CM_OK);
    assert_string_equal(d.msg, "x.png: not a PNG file");
}

static void test_validate_tree2(void **state)
{
    (void)state;
    size_t pn;
    uint8_t *png = make_png(8, 8, &pn);
    const char root_menu[] =
        "{\"type\":\"menu\",\"title\":{\"en\":\"Root\"},\"items\":["
        "{\"label\":{\"en\":\"Local\"},\"target\":\"@local\"},"
        "{\"label\":{\"en\":\"Search\"},\"target\":\"@search\"},"
        "{\"label\":{\"en\":\"Bins\"},\"target\":\"pages/bins.json\"}]}";
    const char council_menu[] =
        "{\"type\":\"menu\",\"title\":{\"en\":\"Caerwen\"},\"items\":["
        "{\"label\":{\"en\":\"Bins\"},\"target\":\"pages/bins.json\"}]}";
    const char bins[] =
        "{\"type\":\"page\",\"title\":{\"en\":\"Bins\"},\"body\":{\"en\":\"b\"},"
        "\"image\":{\"src\":\"images/bin.png\",\"alt\":{\"en\":\"A bin\"}},"
        "\"links\":[{\"label\":{\"en\":\"Days\"},\"target\":\"pages/days.json\"},"
        "{\"label\":{\"en\":\"Gone\"},\"target\":\"pages/gone.json\"}]}";
    const char days[] =
        "{\"type\":\"page\",\"title\":{\"en\":\"Days\"},\"body\":{\"en\":\"d\"},"
        "\"image\":{\"src\":\"images/broken.png\",\"alt\":{\"en\":\"x\"}}}";
    const char regions[] =
        "{\"type\":\"regions\",\"councils\":["
        "{\"id\":\"caerwen\",\"name\":{\"en\":\"Caerwen\"},\"postcodes\":[\"CW1\"],"
        "\"menu\":\"councils/caerwen/menu.json\"},"
        "{\"id\":\"dyffryn\",\"name\":{\"en\":\"Dyffryn\"},\"postcodes\":[\"DY\"],"
        "\"menu\":\"pages/days.json\"}]}";
    mem_file files[] = {
        { "manifest.json", good_manifest2, 0 },
        { "menus/root.json", root_menu, 0 },
        { "councils/caerwen/menu.json", council_menu, 0 },
        { "pages/bins.json", bins, 0 },
        { "pages/days.json", days, 0 },
        { "regions.json", regions, 0 },
        { "images/broken.png", "\x89PNG\r\n\x1a\nbroken", 0 },
        { "images/bin.png", (const char *)png, pn },
    };
    mem_tree t = { files, 8 };
    reports r = { { 0 }, 0 };
    unsigned n = cm_validate_tree(mem_fetch, &t, collect, &r);
    if (n != 3)
        fail_msg("%u problems:\n%s", n, r.all);
    assert_non_null(strstr(r.all,
        "pages/bins.json: links[1].target: \"pages/gone.json\" does not exist"));
    /* Without the PNG, its absence is named. */
    t.n = 7;
    reports r0 = { { 0 }, 0 };
    assert_int_equal(cm_validate_tree(mem_fetch, &t, collect, &r0), 4);
    assert_non_null(strstr(r0.all,
        "pages/bins.json: image.src: \"images/bin.png\" does not exist"));
    assert_non_null(strstr(r.all, "images/broken.png: broken PNG"));
    assert_non_null(strstr(r.all,
        "regions.json: councils[1].menu: \"pages/days.json\" must be a menu"));

    /* "@local" without regions in the manifest. */
    const mem_file files1[] = {
        { "manifest.json", good_manifest, 0 },
        { "menus/root.json", root_menu, 0 },
        { "pages/bins.json", "{\"type\":\"page\",\"title\":{\"en\":\"B\"},\"body\":{\"en\":\"b\"}}", 0 },
    };
    mem_tree t1 = { files1, 3 };
    reports r1 = { { 0 }, 0 };
    assert_int_equal(cm_validate_tree(mem_fetch, &t1, collect, &r1), 1);
    assert_non_null(strstr(r1.all,
        "menus/root.json: items[0].target: \"@local\" needs \"regions\" in manifest.json"));

    /* A missing regions file is named. */
    const mem_file files2[] = {
        { "manifest.json", good_manifest2, 0 },
        { "menus/root.json", council_menu, 0 },
        { "pages/bins.json", "{\"type\":\"page\",\"title\":{\"en\":\"B\"},\"body\":{\"en\":\"b\"}}", 0 },
    };
    mem_tree t2 = { files2, 3 };
    reports r2 = { { 0 }, 0 };
    assert_int_equal(cm_validate_tree(mem_fetch, &t2, collect, &r2), 1);
    assert_non_null(strstr(r2.all, "manifest.json: regions: \"regions.json\" does not exist"));
    free(png);
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
        cmocka_unit_test(test_manifest_format2),
        cmocka_unit_test(test_page_image_links),
        cmocka_unit_test(test_regions_and_postcodes),
        cmocka_unit_test(test_regions_bad),
        cmocka_unit_test(test_truncations2),
        cmocka_unit_test(test_png_check),
        cmocka_unit_test(test_validate_tree2),
        cmocka_unit_test(test_sample_content_valid),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
