/*
 * The text-fitting test: every menu and page of the sample content, in
 * English and Welsh, in normal and large text, drawn by the real UI on
 * DirectFB's dummy system, with the UI's fitting check on.  Any text that
 * leaves its box or the graphics-safe area (EBU R95: x 36..684, y 29..547),
 * is cut short with an ellipsis, or is left out for want of room fails
 * the test, with the file, the language, the size and the text named.
 *
 * Menus are drawn once per screenful of items (the focus on each screen's
 * first row); pages once per screen of text, with their pictures and
 * links.  Headers are the app's: the breadcrumb in the language drawn (the
 * titles on the way from the root menu), the position ("3 o 12") and page
 * ("Tudalen 1 o 5") notes from the app's string table.  The app's own screens (settings, postcode entry, the A-Z) use
 * the same drawing code with the app's string table, which
 * tests/test_app_strings.c renders in full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_strings.h"
#include "model/cm.h"
#include "ui/ui.h"

typedef struct {
    char where[512];
    unsigned problems;
    unsigned screens;
} fit_ctx;

static void on_overflow(void *ud, const char *what, int len, int x, int y, int w, int h)
{
    fit_ctx *c = ud;
    if (c->problems < 40)
        print_error("%s: \"%.*s\" at (%d,%d) size %dx%d does not fit\n", c->where,
                    len > 80 ? 80 : len, what, x, y, w, h);
    c->problems++;
}

/* The content folder, read file by file. */
static uint8_t *read_file(const char *path, size_t *len)
{
    char full[512];
    snprintf(full, sizeof full, "content/%s", path);
    FILE *f = fopen(full, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(CM_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CM_MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    *len = n;
    return buf;
}

/* Documents to draw, once for each way the viewer can reach them, with
 * the breadcrumb the app shows over them on that way in each language:
 * the titles of the menus and pages from the root menu.  A way never
 * passes the same document twice (menus and links may loop). */
typedef struct {
    char **paths;
    char **crumbs[2];
    char **chains;           /* "\npath\npath\n": the documents on the way */
    size_t n, cap;
} path_set;

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%s%s%s", a, b, c);
    return out;
}

/* Add p as reached from entry `from` (-1: the root) through a document
 * titled title[] (NULL at the root). */
static void path_add(path_set *s, const char *p, long from, const char *const title[2])
{
    const char *chain = from >= 0 ? s->chains[from] : "\n";
    char *key = join3("\n", p, "\n");
    int loop = strstr(chain, key) != NULL;
    free(key);
    if (loop)
        return;
    char *crumb[2];
    for (int l = 0; l < 2; l++) {
        const char *parent = from >= 0 ? s->crumbs[l][from] : "";
        crumb[l] = title ? join3(parent, *parent ? " > " : "", title[l]) : join3("", "", "");
    }
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->paths[i], p) && !strcmp(s->crumbs[0][i], crumb[0]) &&
            !strcmp(s->crumbs[1][i], crumb[1])) {
            free(crumb[0]);
            free(crumb[1]);
            return;
        }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->paths = realloc(s->paths, s->cap * sizeof *s->paths);
        s->chains = realloc(s->chains, s->cap * sizeof *s->chains);
        assert_non_null(s->paths);
        assert_non_null(s->chains);
        for (int l = 0; l < 2; l++) {
            s->crumbs[l] = realloc(s->crumbs[l], s->cap * sizeof *s->crumbs[l]);
            assert_non_null(s->crumbs[l]);
        }
    }
    s->paths[s->n] = strdup(p);
    assert_non_null(s->paths[s->n]);
    s->chains[s->n] = join3(chain, p, "\n");
    s->crumbs[0][s->n] = crumb[0];
    s->crumbs[1][s->n] = crumb[1];
    s->n++;
}

/* Every screen of the document, or (all == 0, when it has been drawn
 * already under another breadcrumb) only its first, for the header. */
static void draw_doc(ui *u, fit_ctx *c, const char *path, const cm_doc *d, cm_lang lang,
                     const char *crumb, int all)
{
    if (d->type == CM_DOC_MENU) {
        const char **labels = calloc(d->n_items, sizeof *labels);
        assert_non_null(labels);
        for (size_t i = 0; i < d->n_items; i++)
            labels[i] = cm_text_get(&d->items[i].label, lang);
        size_t rows = ui_menu_rows(u);
        for (size_t top = 0; top < d->n_items && (all || top == 0); top += rows) {
            ui_menu_view v;
            memset(&v, 0, sizeof v);
            v.title = cm_text_get(&d->title, lang);
            v.breadcrumb = *crumb ? crumb : NULL;
            v.position_fmt = app_str(lang, S_POSITION_FMT);
            v.items = labels;
            v.n_items = d->n_items;
            v.top = top + rows > d->n_items && d->n_items > rows ? d->n_items - rows : top;
            v.focus = v.top;
            assert_int_equal(ui_show_menu(u, &v), UI_OK);
            c->screens++;
        }
        free(labels);
        return;
    }
    ui_image img = { 0, 0, NULL };
    ui_page_view v;
    memset(&v, 0, sizeof v);
    if (d->image.src) {
        size_t len;
        uint8_t *png = read_file(d->image.src, &len);
        assert_non_null(png);
        if (ui_image_load_png(png, len, &img) != UI_OK)
            fail_msg("%s: %s does not decode", path, d->image.src);
        free(png);
        v.image = &img;
        v.image_alt = cm_text_get(&d->image.alt, lang);
    }
    const char *links[CM_MAX_LINKS];
    for (size_t i = 0; i < d->n_links; i++)
        links[i] = cm_text_get(&d->links[i].label, lang);
    v.links = links;
    v.n_links = d->n_links;
    v.title = cm_text_get(&d->title, lang);
    v.breadcrumb = *crumb ? crumb : NULL;
    v.page_fmt = app_str(lang, S_PAGE_FMT);
    v.body = cm_text_get(&d->body, lang);
    size_t pages = ui_page_view_count(u, &v);
    for (size_t p = 0; p < pages && (all || p == 0); p++) {
        v.page = p;
        assert_int_equal(ui_show_page(u, &v), UI_OK);
        c->screens++;
    }
    ui_image_free(&img);
}

static void test_all_content_fits(void **state)
{
    (void)state;
    ui_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = UI_MODE_HEADLESS;
    ui *u = NULL;
    assert_int_equal(ui_create(&cfg, &u), UI_OK);
    fit_ctx c;
    memset(&c, 0, sizeof c);
    ui_set_overflow_check(u, on_overflow, &c);

    /* Every menu and page reachable from the root and the councils. */
    path_set todo;
    memset(&todo, 0, sizeof todo);
    size_t len;
    uint8_t *data = read_file("manifest.json", &len);
    assert_non_null(data);
    cm_manifest m;
    assert_int_equal(cm_manifest_parse(data, len, "manifest.json", &m, NULL), CM_OK);
    free(data);
    path_add(&todo, m.root, -1, NULL);
    cm_regions r;
    memset(&r, 0, sizeof r);
    if (m.regions) {
        data = read_file(m.regions, &len);
        assert_non_null(data);
        assert_int_equal(cm_regions_parse(data, len, m.regions, &r, NULL), CM_OK);
        free(data);
    }
    size_t docs = 0;
    for (size_t i = 0; i < todo.n; i++) {
        data = read_file(todo.paths[i], &len);
        assert_non_null(data);
        cm_doc d;
        cm_diag diag;
        if (cm_doc_parse(data, len, todo.paths[i], &d, &diag) != CM_OK)
            fail_msg("%s", diag.msg);
        free(data);
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(todo.paths[k], todo.paths[i]) != 0;
        docs += first;
        const char *title[2] = { cm_text_get(&d.title, CM_LANG_EN),
                                 cm_text_get(&d.title, CM_LANG_CY) };
        for (size_t k = 0; k < d.n_items; k++) {
            const char *t = d.items[k].target;
            if (cm_target_classify(t) == CM_TARGET_PATH)
                path_add(&todo, t, (long)i, title);
            else if (!strcmp(t, "@local"))
                /* "Your council": the viewer's council's menu */
                for (size_t c2 = 0; c2 < r.n_councils; c2++)
                    path_add(&todo, r.councils[c2].menu, (long)i, title);
        }
        for (size_t k = 0; k < d.n_links; k++)
            if (cm_target_classify(d.links[k].target) == CM_TARGET_PATH)
                path_add(&todo, d.links[k].target, (long)i, title);
        for (int large = 0; large <= 1; large++)
            for (int lang = CM_LANG_EN; lang <= CM_LANG_CY; lang++) {
                ui_set_style(u, large, 0);
                snprintf(c.where, sizeof c.where, "%s (%s, %s text, under \"%.120s\")",
                         todo.paths[i], lang == CM_LANG_CY ? "cy" : "en",
                         large ? "large" : "normal", todo.crumbs[lang][i]);
                draw_doc(u, &c, todo.paths[i], &d, (cm_lang)lang, todo.crumbs[lang][i],
                         first);
            }
        cm_doc_free(&d);
    }
    print_message("%zu documents, %u screens drawn, %u problems\n", docs, c.screens,
                  c.problems);
    print_message("%zu ways to them\n", todo.n);
    for (size_t i = 0; i < todo.n; i++) {
        free(todo.paths[i]);
        free(todo.chains[i]);
        free(todo.crumbs[0][i]);
        free(todo.crumbs[1][i]);
    }
    cm_regions_free(&r);
    free(todo.paths);
    free(todo.chains);
    free(todo.crumbs[0]);
    free(todo.crumbs[1]);
    cm_manifest_free(&m);
    ui_destroy(u);
    /* The sample has at least 40 pages and menus to check. */
    assert_true(docs >= 40);
    assert_int_equal(c.problems, 0);
}

/* The check itself must see a text that does not fit. */
static void test_check_sees_overflow(void **state)
{
    (void)state;
    ui_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = UI_MODE_HEADLESS;
    ui *u = NULL;
    assert_int_equal(ui_create(&cfg, &u), UI_OK);
    fit_ctx c;
    memset(&c, 0, sizeof c);
    snprintf(c.where, sizeof c.where, "deliberately too long");
    ui_set_overflow_check(u, on_overflow, &c);
    ui_set_style(u, 1, 0);
    const char *items[] = { "A label far too long to fit on one row of the menu in large text" };
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = "Title";
    v.items = items;
    v.n_items = 1;
    assert_int_equal(ui_show_menu(u, &v), UI_OK);
    assert_int_equal(c.problems, 1);
    ui_destroy(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_sees_overflow),
        cmocka_unit_test(test_all_content_fits),
    };
    return cmocka_run_group_tests_name("ui_fit", tests, NULL, NULL);
}
