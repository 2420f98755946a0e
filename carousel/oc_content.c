/*
 * Content checks before a build and the first screen's files (see
 * oc_content.h).  The JSON rules are model/'s, shared with the app
 * (docs/content-format.md); PNG headers are read with libpng (ISO/IEC
 * 15948 5.2 signature, 11.2.2 IHDR); JSON is read with cJSON only to find
 * which files the first screen names.
 */
#include "carousel/oc_content.h"

#include <cJSON.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cm.h"

typedef struct {
    oc_content_report_fn report;
    void *ud;
    unsigned problems;
    const oc_tree *tree;
    char **used;                  /* paths the model fetched */
    size_t n_used, cap_used;
    char **model;                 /* the model's messages, held back */
    size_t n_model, cap_model;
    char **bad_png;               /* PNGs this file reported */
    size_t n_bad_png, cap_bad_png;
    int oom;
} check_ctx;

/* Append a copy of s to a list; 0, or -1 (and oom set) on failure. */
static int list_add(check_ctx *c, char ***list, size_t *n, size_t *cap,
                    const char *s)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        char **l = realloc(*list, ncap * sizeof *l);
        if (!l) {
            c->oom = 1;
            return -1;
        }
        *list = l;
        *cap = ncap;
    }
    char *p = strdup(s);
    if (!p) {
        c->oom = 1;
        return -1;
    }
    (*list)[(*n)++] = p;
    return 0;
}

static void list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int in_list(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

static void say(check_ctx *c, const char *msg)
{
    if (c->report)
        c->report(c->ud, msg);
    c->problems++;
}

static int check_name(void *ud, const char *path, const oc_node *n)
{
    (void)n;
    check_ctx *c = ud;
    if (!cm_path_ok(path)) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "%s: name: not a content path (A-Z a-z 0-9 . _ - only, "
                 "no . or .. parts, at most %u bytes)",
                 path, CM_MAX_PATH_BYTES);
        say(c, msg);
    }
    return 0;
}

static int was_used(const check_ctx *c, const char *path)
{
    return in_list(c->used, c->n_used, path);
}

/* The model's fetch, recording what it reads: a file it never reads is
 * one nothing on air would use. */
static int fetch(void *ud, const char *path, const uint8_t **data,
                 size_t *len)
{
    check_ctx *c = ud;
    if (oc_tree_lookup(c->tree, path, data, len) != 0)
        return -1;
    if (!was_used(c, path))
        list_add(c, &c->used, &c->n_used, &c->cap_used, path);
    return 0;
}

/* The model's messages are held until the images have been checked
 * here, so that an image gets one message, in this file's words. */
static void hold(void *ud, const char *msg)
{
    check_ctx *c = ud;
    list_add(c, &c->model, &c->n_model, &c->cap_model, msg);
}

typedef struct {
    const uint8_t *p;
    size_t len, off;
} png_mem;

static void png_mem_read(png_structp png, png_bytep out, size_t n)
{
    png_mem *m = png_get_io_ptr(png);
    if (n > m->len - m->off)
        png_error(png, "file ends inside the header");
    memcpy(out, m->p + m->off, n);
    m->off += n;
}

/* libpng's messages go nowhere: the caller reports in its own words. */
static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_fail(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

unsigned oc_content_check_png(const char *path, const uint8_t *data,
                              size_t len, oc_content_report_fn report,
                              void *ud)
{
    return oc_content_check_image(path, data, len, OC_SCREEN_W, OC_SCREEN_H,
                                  "the screen", report, ud);
}

unsigned oc_content_check_image(const char *path, const uint8_t *data,
                                size_t len, unsigned max_w, unsigned max_h,
                                const char *limit,
                                oc_content_report_fn report, void *ud)
{
    char msg[600];
    if (len < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(msg, sizeof msg,
                 "%s: image: not a PNG file (no PNG signature, "
                 "ISO/IEC 15948)", path);
        if (report)
            report(ud, msg);
        return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
                                             png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        snprintf(msg, sizeof msg, "%s: image: out of memory", path);
        if (report)
            report(ud, msg);
        return 1;
    }
    png_mem m = { data, len, 0 };
    volatile unsigned bad = 0;
    png_uint_32 w = 0, h = 0;
    if (setjmp(png_jmpbuf(png))) {
        bad = 1;
    } else {
        png_set_read_fn(png, &m, png_mem_read);
        png_read_info(png, info);
        w = png_get_image_width(png, info);
        h = png_get_image_height(png, info);
    }
    png_destroy_read_struct(&png, &info, NULL);
    if (bad) {
        snprintf(msg, sizeof msg,
                 "%s: image: damaged PNG header (IHDR unreadable)", path);
        if (report)
            report(ud, msg);
        return 1;
    }
    if (w > max_w || h > max_h) {
        snprintf(msg, sizeof msg, "%s: image: %lux%lu is larger than %s "
                 "(at most %ux%u)", path, (unsigned long)w,
                 (unsigned long)h, limit, max_w, max_h);
        if (report)
            report(ud, msg);
        return 1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

static void report_png(void *ud, const char *msg)
{
    check_ctx *c = ud;
    if (c->report)
        c->report(c->ud, msg);
}

/* Every *.png: one the model read is a page image (content-format.md:
 * at most CM_MAX_IMAGE_W x CM_MAX_IMAGE_H and CM_MAX_FILE_BYTES); any
 * other must at least fit the screen (it is also refused as unused
 * when the rest is valid). */
static int check_file(void *ud, const char *path, const oc_node *n)
{
    check_ctx *c = ud;
    if (oc_node_is_dir(n) || !ends_with(path, ".png"))
        return 0;
    size_t len;
    const uint8_t *d = oc_node_data(n, &len);
    unsigned bad;
    if (was_used(c, path)) {
        if (len > CM_MAX_FILE_BYTES) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: image: %zu bytes, more than the "
                     "%u a page image may have", path, len,
                     CM_MAX_FILE_BYTES);
            report_png(c, msg);
            bad = 1;
        } else {
            bad = oc_content_check_image(path, d, len, CM_MAX_IMAGE_W,
                                         CM_MAX_IMAGE_H, "a page image may "
                                         "be", report_png, c);
        }
    } else {
        bad = oc_content_check_png(path, d, len, report_png, c);
    }
    if (bad) {
        c->problems++;
        list_add(c, &c->bad_png, &c->n_bad_png, &c->cap_bad_png, path);
    }
    return 0;
}

/* A model message, with the field named where the model gives none: its
 * PNG check (cm_png_check) says "<file>: broken PNG: ..." of an image
 * whose header passed here but whose data does not decode. */
static void report_model(const check_ctx *c, const char *msg)
{
    const char *colon = strstr(msg, ": broken PNG");
    if (colon && (size_t)(colon - msg) < CM_MAX_PATH_BYTES + 1) {
        char path[CM_MAX_PATH_BYTES + 1];
        memcpy(path, msg, (size_t)(colon - msg));
        path[colon - msg] = '\0';
        if (ends_with(path, ".png") && was_used(c, path)) {
            char out[1024];
            snprintf(out, sizeof out, "%s: image: %s", path, colon + 2);
            c->report(c->ud, out);
            return;
        }
    }
    c->report(c->ud, msg);
}

/* Whether msg ("<file>: ...") is about a file this check reported. */
static int about_bad_png(const check_ctx *c, const char *msg)
{
    for (size_t i = 0; i < c->n_bad_png; i++) {
        size_t l = strlen(c->bad_png[i]);
        if (!strncmp(msg, c->bad_png[i], l) && !strncmp(msg + l, ": ", 2))
            return 1;
    }
    return 0;
}

static int check_orphan(void *ud, const char *path, const oc_node *n)
{
    check_ctx *c = ud;
    if (oc_node_is_dir(n) || was_used(c, path))
        return 0;
    char msg[600];
    snprintf(msg, sizeof msg,
             "%s: file: not used by manifest.json, any menu, page or the "
             "regions file (it would be carried but never shown; remove "
             "it, or build with --raw)", path);
    say(c, msg);
    return 0;
}

unsigned oc_content_check(const oc_tree *tree, oc_content_report_fn report,
                          void *ud)
{
    check_ctx c = { .report = report, .ud = ud, .tree = tree };
    if (oc_tree_walk(tree, check_name, &c) != 0)
        say(&c, ".: name: paths too long to check");
    /* The model first, to learn which images pages use; its messages
     * are held back and counted by cm_validate_tree itself. */
    unsigned model = cm_validate_tree(fetch, &c, hold, &c);
    oc_tree_walk(tree, check_file, &c);
    /* The model checks page images too: its message about an image
     * already reported here would say the same thing twice. */
    for (size_t i = 0; i < c.n_model; i++) {
        if (about_bad_png(&c, c.model[i]))
            model--;
        else if (report)
            report_model(&c, c.model[i]);
    }
    c.problems += model;
    if (c.oom)
        say(&c, ".: check: out of memory");
    else if (model == 0)
        /* Only when the model read everything it should: after an early
         * error every file would look unused. */
        oc_tree_walk(tree, check_orphan, &c);
    list_free(c.used, c.n_used);
    list_free(c.model, c.n_model);
    list_free(c.bad_png, c.n_bad_png);
    return c.problems;
}

/* --- the first screen ------------------------------------------------- */

typedef struct {
    const oc_tree *tree;
    char **p;
    size_t n, cap;
    int png_only;
    oc_err e;
} first_ctx;

static void first_add(first_ctx *f, const char *path)
{
    if (f->e)
        return;
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->p[i], path))
            return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        char **p = realloc(f->p, cap * sizeof *p);
        if (!p) {
            f->e = OC_ENOMEM;
            return;
        }
        f->p = p;
        f->cap = cap;
    }
    f->p[f->n] = strdup(path);
    if (!f->p[f->n]) {
        f->e = OC_ENOMEM;
        return;
    }
    f->n++;
}

/* Every string in the JSON that names a file of the tree. */
static void first_scan(first_ctx *f, const cJSON *j)
{
    for (const cJSON *k = j; k; k = k->next) {
        if (cJSON_IsString(k) && k->valuestring) {
            const uint8_t *d;
            size_t len;
            if ((!f->png_only || ends_with(k->valuestring, ".png")) &&
                oc_tree_lookup(f->tree, k->valuestring, &d, &len) == 0)
                first_add(f, k->valuestring);
        }
        if (k->child)
            first_scan(f, k->child);
    }
}

static cJSON *parse_file(const oc_tree *t, const char *path)
{
    const uint8_t *d;
    size_t len;
    if (oc_tree_lookup(t, path, &d, &len) != 0)
        return NULL;
    return cJSON_ParseWithLengthOpts((const char *)d, len, NULL, 0);
}

oc_err oc_content_first_screen(const oc_tree *tree, char ***paths,
                               size_t *n)
{
    *paths = NULL;
    *n = 0;
    first_ctx f = { .tree = tree };
    cJSON *m = parse_file(tree, CM_MANIFEST_PATH);
    if (m) {
        first_add(&f, CM_MANIFEST_PATH);
        first_scan(&f, m->child);
        const cJSON *root = cJSON_GetObjectItemCaseSensitive(m, "root");
        if (cJSON_IsString(root)) {
            cJSON *menu = parse_file(tree, root->valuestring);
            if (menu) {
                f.png_only = 1;
                first_scan(&f, menu->child);
                cJSON_Delete(menu);
            }
        }
        cJSON_Delete(m);
    }
    if (f.e) {
        oc_content_paths_free(f.p, f.n);
        return f.e;
    }
    *paths = f.p;
    *n = f.n;
    return OC_OK;
}

void oc_content_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}
