/*
 * Decoding and validation of civictv content, format 1.
 *
 * The rules are those of docs/content-format.md.  Unknown fields are an
 * error rather than ignored: a typo in a broadcaster's file ("tilte")
 * would otherwise silently lose a text on air.  Every message names the
 * file and the field, in the form "file: field: what is wrong".
 */
#include "model/cm.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cm_strerror(cm_err e)
{
    switch (e) {
    case CM_OK: return "success";
    case CM_ENOMEM: return "out of memory";
    case CM_EJSON: return "not well-formed JSON";
    case CM_EFIELD: return "bad field";
    case CM_ENOENT: return "no such file";
    case CM_ELIMIT: return "over a size limit";
    }
    return "unknown error";
}

const char *cm_text_get(const cm_text *t, cm_lang lang)
{
    if (!t)
        return "";
    if (lang == CM_LANG_CY && t->cy && t->cy[0])
        return t->cy;
    return t->en ? t->en : "";
}

static cm_err diagf(cm_diag *d, cm_err e, const char *file, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static cm_err diagf(cm_diag *d, cm_err e, const char *file, const char *field,
                    const char *fmt, ...)
{
    if (!d)
        return e;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (field && field[0])
        snprintf(d->msg, sizeof d->msg, "%s: %s: %s", file, field, what);
    else
        snprintf(d->msg, sizeof d->msg, "%s: %s", file, what);
    return e;
}

/* Strict UTF-8 check (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * cJSON passes bytes through, so this is where invalid text is caught. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min, cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { k = 1; min = 0x80; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { k = 2; min = 0x800; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { k = 3; min = 0x10000; cp = c & 0x07; }
        else return 0;
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Characters (code points) in a UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static cm_err parse_root(const uint8_t *json, size_t len, const char *file,
                         cJSON **out, cm_diag *d)
{
    *out = NULL;
    if (len > CM_MAX_FILE_BYTES)
        return diagf(d, CM_ELIMIT, file, NULL, "file is %zu bytes, more than %u",
                     len, CM_MAX_FILE_BYTES);
    if (!utf8_ok(json, len))
        return diagf(d, CM_EJSON, file, NULL, "not valid UTF-8");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)json, len, &end, 0);
    if (!root) {
        size_t off = end ? (size_t)(end - (const char *)json) : 0;
        size_t line = 1;
        for (size_t i = 0; i < off && i < len; i++)
            line += json[i] == '\n';
        return diagf(d, CM_EJSON, file, NULL, "JSON syntax error at line %zu", line);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return diagf(d, CM_EFIELD, file, NULL, "top level must be a JSON object");
    }
    *out = root;
    return CM_OK;
}

/* Reject fields that the format does not define. */
static cm_err check_fields(const cJSON *obj, const char *const *allowed,
                           const char *file, const char *prefix, cm_diag *d)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (c->string && strcmp(c->string, *a) == 0)
                ok = 1;
        if (!ok) {
            char field[160];
            snprintf(field, sizeof field, "%s%s", prefix, c->string ? c->string : "?");
            return diagf(d, CM_EFIELD, file, field, "unknown field");
        }
    }
    return CM_OK;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static cm_err get_string(const cJSON *obj, const char *name, int required,
                         size_t max_bytes, const char *file, const char *field,
                         char **out, cm_diag *d)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) {
        if (required)
            return diagf(d, CM_EFIELD, file, field, "missing");
        return CM_OK;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return diagf(d, CM_EFIELD, file, field, "must be a string");
    if (strlen(v->valuestring) > max_bytes)
        return diagf(d, CM_ELIMIT, file, field, "longer than %zu bytes", max_bytes);
    if (required && !v->valuestring[0])
        return diagf(d, CM_EFIELD, file, field, "must not be empty");
    *out = dupstr(v->valuestring);
    return *out ? CM_OK : CM_ENOMEM;
}

static void text_free(cm_text *t)
{
    free(t->en);
    free(t->cy);
    t->en = t->cy = NULL;
}

/* A localised text: {"en": "...", "cy": "..."}; English is required. */
static cm_err get_text(const cJSON *obj, const char *name, size_t max_chars,
                       size_t max_bytes, const char *file, const char *field,
                       cm_text *out, cm_diag *d)
{
    memset(out, 0, sizeof *out);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v)
        return diagf(d, CM_EFIELD, file, field, "missing");
    if (!cJSON_IsObject(v))
        return diagf(d, CM_EFIELD, file, field,
                     "must be an object of texts by language, e.g. {\"en\": \"...\"}");
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s.", field);
    static const char *const langs[] = { "en", "cy", NULL };
    cm_err e = check_fields(v, langs, file, prefix, d);
    if (e)
        return e;
    char f_en[160], f_cy[160];
    snprintf(f_en, sizeof f_en, "%s.en", field);
    snprintf(f_cy, sizeof f_cy, "%s.cy", field);
    e = get_string(v, "en", 1, max_bytes, file, f_en, &out->en, d);
    if (!e)
        e = get_string(v, "cy", 0, max_bytes, file, f_cy, &out->cy, d);
    if (!e && max_chars) {
        if (utf8_chars(out->en) > max_chars)
            e = diagf(d, CM_ELIMIT, file, f_en, "longer than %zu characters", max_chars);
        else if (out->cy && utf8_chars(out->cy) > max_chars)
            e = diagf(d, CM_ELIMIT, file, f_cy, "longer than %zu characters", max_chars);
    }
    if (e)
        text_free(out);
    return e;
}

int cm_path_ok(const char *path)
{
    if (!path || !path[0] || strlen(path) > CM_MAX_PATH_BYTES)
        return 0;
    const char *seg = path;
    for (const char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - seg);
            if (n == 0 || (n == 1 && seg[0] == '.') ||
                (n == 2 && seg[0] == '.' && seg[1] == '.'))
                return 0;
            if (*p == '\0')
                return 1;
            seg = p + 1;
            continue;
        }
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
}

void cm_manifest_free(cm_manifest *m)
{
    if (!m)
        return;
    free(m->service);
    free(m->version);
    text_free(&m->title);
    free(m->root);
    free(m->backoffice);
    memset(m, 0, sizeof *m);
}

cm_err cm_manifest_parse(const uint8_t *json, size_t len, const char *file,
                         cm_manifest *out, cm_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root;
    cm_err e = parse_root(json, len, file, &root, d);
    if (e)
        return e;
    static const char *const fields[] = { "format", "service", "version",
        "languages", "title", "root", "backoffice", NULL };
    e = check_fields(root, fields, file, "", d);
    if (e)
        goto out;

    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!fmt) {
        e = diagf(d, CM_EFIELD, file, "format", "missing");
        goto out;
    }
    if (!cJSON_IsNumber(fmt) || fmt->valuedouble != 1) {
        e = diagf(d, CM_EFIELD, file, "format",
                  "must be 1 (this receiver reads content format 1)");
        goto out;
    }
    out->format = 1;

    const cJSON *langs = cJSON_GetObjectItemCaseSensitive(root, "languages");
    if (!langs || !cJSON_IsArray(langs)) {
        e = diagf(d, CM_EFIELD, file, "languages",
                  langs ? "must be an array such as [\"en\", \"cy\"]" : "missing");
        goto out;
    }
    int i = 0;
    for (const cJSON *l = langs->child; l; l = l->next, i++) {
        char field[32];
        snprintf(field, sizeof field, "languages[%d]", i);
        if (cJSON_IsString(l) && strcmp(l->valuestring, "en") == 0)
            out->languages |= 1u << CM_LANG_EN;
        else if (cJSON_IsString(l) && strcmp(l->valuestring, "cy") == 0)
            out->languages |= 1u << CM_LANG_CY;
        else {
            e = diagf(d, CM_EFIELD, file, field, "must be \"en\" or \"cy\"");
            goto out;
        }
    }
    if (!(out->languages & (1u << CM_LANG_EN))) {
        e = diagf(d, CM_EFIELD, file, "languages", "must include \"en\"");
        goto out;
    }

    e = get_string(root, "service", 1, 64, file, "service", &out->service, d);
    if (!e)
        e = get_string(root, "version", 1, 64, file, "version", &out->version, d);
    if (!e)
        e = get_text(root, "title", CM_MAX_TITLE_CHARS, 1024, file, "title",
                     &out->title, d);
    if (!e)
        e = get_string(root, "root", 1, CM_MAX_PATH_BYTES, file, "root", &out->root, d);
    if (!e && !cm_path_ok(out->root))
        e = diagf(d, CM_EFIELD, file, "root", "\"%s\" is not a valid content path",
                  out->root);
    if (!e)
        e = get_string(root, "backoffice", 0, 512, file, "backoffice",
                       &out->backoffice, d);
    if (!e && out->backoffice && strncmp(out->backoffice, "https://", 8) != 0 &&
        strncmp(out->backoffice, "http://127.0.0.1", 16) != 0 &&
        strncmp(out->backoffice, "http://localhost", 16) != 0)
        e = diagf(d, CM_EFIELD, file, "backoffice",
                  "must be an https:// URL (plain http only on loopback)");
out:
    cJSON_Delete(root);
    if (e)
        cm_manifest_free(out);
    return e;
}

void cm_doc_free(cm_doc *doc)
{
    if (!doc)
        return;
    text_free(&doc->title);
    for (size_t i = 0; i < doc->n_items; i++) {
        text_free(&doc->items[i].label);
        free(doc->items[i].target);
    }
    free(doc->items);
    text_free(&doc->body);
    memset(doc, 0, sizeof *doc);
}

static cm_err parse_items(const cJSON *root, const char *file, cm_doc *doc, cm_diag *d)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
    if (!items)
        return diagf(d, CM_EFIELD, file, "items", "missing");
    if (!cJSON_IsArray(items))
        return diagf(d, CM_EFIELD, file, "items", "must be an array");
    size_t n = (size_t)cJSON_GetArraySize(items);
    if (n == 0)
        return diagf(d, CM_EFIELD, file, "items", "a menu needs at least one item");
    if (n > CM_MAX_ITEMS)
        return diagf(d, CM_ELIMIT, file, "items", "%zu items, at most %u", n,
                     CM_MAX_ITEMS);
    doc->items = calloc(n, sizeof *doc->items);
    if (!doc->items)
        return CM_ENOMEM;
    static const char *const fields[] = { "label", "target", "lgsl", NULL };
    size_t i = 0;
    for (const cJSON *it = items->child; it; it = it->next, i++) {
        char pre[48], field[64];
        snprintf(pre, sizeof pre, "items[%zu]", i);
        if (!cJSON_IsObject(it))
            return diagf(d, CM_EFIELD, file, pre, "must be an object");
        snprintf(field, sizeof field, "%s.", pre);
        cm_err e = check_fields(it, fields, file, field, d);
        if (e)
            return e;
        cm_item *item = &doc->items[doc->n_items++];
        snprintf(field, sizeof field, "%s.label", pre);
        e = get_text(it, "label", CM_MAX_LABEL_CHARS, 1024, file, field, &item->label, d);
        if (e)
            return e;
        snprintf(field, sizeof field, "%s.target", pre);
        e = get_string(it, "target", 1, CM_MAX_PATH_BYTES, file, field, &item->target, d);
        if (e)
            return e;
        if (!cm_path_ok(item->target))
            return diagf(d, CM_EFIELD, file, field, "\"%s\" is not a valid content path",
                         item->target);
        const cJSON *lgsl = cJSON_GetObjectItemCaseSensitive(it, "lgsl");
        if (lgsl) {
            snprintf(field, sizeof field, "%s.lgsl", pre);
            if (!cJSON_IsNumber(lgsl) || lgsl->valuedouble < 1 ||
                lgsl->valuedouble > 99999 ||
                lgsl->valuedouble != (double)(int)lgsl->valuedouble)
                return diagf(d, CM_EFIELD, file, field,
                             "must be a whole LGSL code from 1 to 99999");
            item->lgsl = (int)lgsl->valuedouble;
        }
    }
    return CM_OK;
}

cm_err cm_doc_parse(const uint8_t *json, size_t len, const char *file,
                    cm_doc *out, cm_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root;
    cm_err e = parse_root(json, len, file, &root, d);
    if (e)
        return e;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    static const char *const menu_fields[] = { "type", "title", "items", NULL };
    static const char *const page_fields[] = { "type", "title", "body", NULL };
    if (!type) {
        e = diagf(d, CM_EFIELD, file, "type", "missing (\"menu\" or \"page\")");
    } else if (cJSON_IsString(type) && strcmp(type->valuestring, "menu") == 0) {
        out->type = CM_DOC_MENU;
        e = check_fields(root, menu_fields, file, "", d);
        if (!e)
            e = get_text(root, "title", CM_MAX_TITLE_CHARS, 1024, file, "title",
                         &out->title, d);
        if (!e)
            e = parse_items(root, file, out, d);
    } else if (cJSON_IsString(type) && strcmp(type->valuestring, "page") == 0) {
        out->type = CM_DOC_PAGE;
        e = check_fields(root, page_fields, file, "", d);
        if (!e)
            e = get_text(root, "title", CM_MAX_TITLE_CHARS, 1024, file, "title",
                         &out->title, d);
        if (!e)
            e = get_text(root, "body", 0, CM_MAX_BODY_BYTES, file, "body",
                         &out->body, d);
    } else {
        e = diagf(d, CM_EFIELD, file, "type", "must be \"menu\" or \"page\"");
    }
    cJSON_Delete(root);
    if (e)
        cm_doc_free(out);
    return e;
}

/* ---- whole-tree validation ---- */

/* A file still to check, with the "file: field" that referred to it. */
typedef struct {
    char *path;
    char *from;
} cm_ref;

/* Breadth-first work list; a path is queued at most once, so cycles
 * between menus end. */
typedef struct {
    cm_ref *refs;
    size_t n, cap;
} cm_queue;

static int queue_has(const cm_queue *q, const char *path)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->refs[i].path, path) == 0)
            return 1;
    return 0;
}

/* 0 on success (or already queued), -1 when out of memory. */
static int queue_push(cm_queue *q, const char *path, const char *from)
{
    if (queue_has(q, path))
        return 0;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 32;
        cm_ref *r = realloc(q->refs, cap * sizeof *r);
        if (!r)
            return -1;
        q->refs = r;
        q->cap = cap;
    }
    cm_ref *r = &q->refs[q->n];
    r->path = dupstr(path);
    r->from = dupstr(from);
    if (!r->path || !r->from) {
        free(r->path);
        free(r->from);
        return -1;
    }
    q->n++;
    return 0;
}

unsigned cm_validate_tree(cm_fetch_fn fetch, void *fetch_ud,
                          cm_report_fn report, void *report_ud)
{
    unsigned problems = 0;
    cm_diag d;
    const uint8_t *data;
    size_t len;
    cm_manifest m;

    if (fetch(fetch_ud, CM_MANIFEST_PATH, &data, &len) != 0) {
        report(report_ud, CM_MANIFEST_PATH ": missing (every content folder needs one)");
        return 1;
    }
    if (cm_manifest_parse(data, len, CM_MANIFEST_PATH, &m, &d) != CM_OK) {
        report(report_ud, d.msg);
        return 1;
    }

    cm_queue q = { 0 };
    int oom = queue_push(&q, m.root, CM_MANIFEST_PATH ": root") != 0;
    for (size_t qi = 0; !oom && qi < q.n; qi++) {
        char msg[512];
        cm_doc doc;
        if (fetch(fetch_ud, q.refs[qi].path, &data, &len) != 0) {
            snprintf(msg, sizeof msg, "%s: \"%s\" does not exist",
                     q.refs[qi].from, q.refs[qi].path);
            report(report_ud, msg);
            problems++;
            continue;
        }
        if (cm_doc_parse(data, len, q.refs[qi].path, &doc, &d) != CM_OK) {
            report(report_ud, d.msg);
            problems++;
            continue;
        }
        /* Index q.refs afresh each time: queue_push may move it. */
        for (size_t i = 0; i < doc.n_items && !oom; i++) {
            snprintf(msg, sizeof msg, "%s: items[%zu].target", q.refs[qi].path, i);
            oom = queue_push(&q, doc.items[i].target, msg) != 0;
        }
        cm_doc_free(&doc);
    }
    if (oom) {
        report(report_ud, "out of memory while validating");
        problems++;
    }
    for (size_t i = 0; i < q.n; i++) {
        free(q.refs[i].path);
        free(q.refs[i].from);
    }
    free(q.refs);
    cm_manifest_free(&m);
    return problems;
}
