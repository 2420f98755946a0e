/*
 * Decoding and validation of civictv content, formats 1 and 2.
 *
 * The rules are those of docs/content-format.md.  Format 2 adds the
 * regions table (postcode outward codes to councils; the outward-code
 * shape is that of BS 7666 / Royal Mail's postcode rules), reserved menu
 * targets, and page images (PNG, ISO/IEC 15948, checked with libpng) and
 * links.  Unknown fields are an
 * error rather than ignored: a typo in a broadcaster's file ("tilte")
 * would otherwise silently lose a text on air.  Every message names the
 * file and the field, in the form "file: field: what is wrong".
 */
#include "model/cm.h"

#include <cjson/cJSON.h>
#include <png.h>
#include <setjmp.h>
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
    free(m->regions);
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
        "languages", "title", "root", "backoffice", "regions", NULL };
    e = check_fields(root, fields, file, "", d);
    if (e)
        goto out;

    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!fmt) {
        e = diagf(d, CM_EFIELD, file, "format", "missing");
        goto out;
    }
    if (!cJSON_IsNumber(fmt) || (fmt->valuedouble != 1 && fmt->valuedouble != 2)) {
        e = diagf(d, CM_EFIELD, file, "format",
                  "must be 1 or 2 (this receiver reads content formats 1 and 2)");
        goto out;
    }
    out->format = (int)fmt->valuedouble;

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
    if (!e && cJSON_GetObjectItemCaseSensitive(root, "regions")) {
        if (out->format < 2)
            e = diagf(d, CM_EFIELD, file, "regions", "needs \"format\": 2");
        else
            e = get_string(root, "regions", 1, CM_MAX_PATH_BYTES, file, "regions",
                           &out->regions, d);
        if (!e && !cm_path_ok(out->regions))
            e = diagf(d, CM_EFIELD, file, "regions",
                      "\"%s\" is not a valid content path", out->regions);
    }
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
    free(doc->image.src);
    text_free(&doc->image.alt);
    for (size_t i = 0; i < doc->n_links; i++) {
        text_free(&doc->links[i].label);
        free(doc->links[i].target);
    }
    free(doc->links);
    memset(doc, 0, sizeof *doc);
}

cm_target_kind cm_target_classify(const char *target)
{
    if (!target)
        return CM_TARGET_BAD;
    if (strcmp(target, "@local") == 0)
        return CM_TARGET_LOCAL;
    if (strcmp(target, "@search") == 0)
        return CM_TARGET_SEARCH;
    if (strcmp(target, "@settings") == 0)
        return CM_TARGET_SETTINGS;
    return cm_path_ok(target) ? CM_TARGET_PATH : CM_TARGET_BAD;
}

/* A menu item's or link's target: a content path or a reserved name. */
static cm_err get_target(const cJSON *obj, const char *file, const char *field,
                         char **out, cm_diag *d)
{
    cm_err e = get_string(obj, "target", 1, CM_MAX_PATH_BYTES, file, field, out, d);
    if (e)
        return e;
    if (cm_target_classify(*out) == CM_TARGET_BAD) {
        e = diagf(d, CM_EFIELD, file, field,
                  "\"%s\" is not a valid content path or one of "
                  "\"@local\", \"@search\", \"@settings\"", *out);
        free(*out);
        *out = NULL;
    }
    return e;
}

/* Optional "image": {"src": path, "alt": text}. */
static cm_err parse_image(const cJSON *root, const char *file, cm_doc *doc, cm_diag *d)
{
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(root, "image");
    if (!img)
        return CM_OK;
    if (!cJSON_IsObject(img))
        return diagf(d, CM_EFIELD, file, "image",
                     "must be an object {\"src\": ..., \"alt\": ...}");
    static const char *const fields[] = { "src", "alt", NULL };
    cm_err e = check_fields(img, fields, file, "image.", d);
    if (!e)
        e = get_string(img, "src", 1, CM_MAX_PATH_BYTES, file, "image.src",
                       &doc->image.src, d);
    if (!e && !cm_path_ok(doc->image.src))
        e = diagf(d, CM_EFIELD, file, "image.src", "\"%s\" is not a valid content path",
                  doc->image.src);
    if (!e) {
        size_t n = strlen(doc->image.src);
        if (n < 4 || strcmp(doc->image.src + n - 4, ".png") != 0)
            e = diagf(d, CM_EFIELD, file, "image.src",
                      "\"%s\" must be a PNG file (name ending .png)", doc->image.src);
    }
    if (!e)
        e = get_text(img, "alt", CM_MAX_ALT_CHARS, 1024, file, "image.alt",
                     &doc->image.alt, d);
    return e;
}

/* Optional "links": [{"label": text, "target": path}], up to 9. */
static cm_err parse_links(const cJSON *root, const char *file, cm_doc *doc, cm_diag *d)
{
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(root, "links");
    if (!links)
        return CM_OK;
    if (!cJSON_IsArray(links))
        return diagf(d, CM_EFIELD, file, "links", "must be an array");
    size_t n = (size_t)cJSON_GetArraySize(links);
    if (n > CM_MAX_LINKS)
        return diagf(d, CM_ELIMIT, file, "links",
                     "%zu links, at most %u (one per digit key)", n, CM_MAX_LINKS);
    if (n == 0)
        return CM_OK;
    doc->links = calloc(n, sizeof *doc->links);
    if (!doc->links)
        return CM_ENOMEM;
    static const char *const fields[] = { "label", "target", NULL };
    size_t i = 0;
    for (const cJSON *it = links->child; it; it = it->next, i++) {
        char pre[48], field[64];
        snprintf(pre, sizeof pre, "links[%zu]", i);
        if (!cJSON_IsObject(it))
            return diagf(d, CM_EFIELD, file, pre, "must be an object");
        snprintf(field, sizeof field, "%s.", pre);
        cm_err e = check_fields(it, fields, file, field, d);
        if (e)
            return e;
        cm_link *l = &doc->links[doc->n_links++];
        snprintf(field, sizeof field, "%s.label", pre);
        e = get_text(it, "label", CM_MAX_LABEL_CHARS, 1024, file, field, &l->label, d);
        if (e)
            return e;
        snprintf(field, sizeof field, "%s.target", pre);
        e = get_target(it, file, field, &l->target, d);
        if (e)
            return e;
    }
    return CM_OK;
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
        e = get_target(it, file, field, &item->target, d);
        if (e)
            return e;
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
    static const char *const page_fields[] = { "type", "title", "body", "image",
                                                "links", NULL };
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
        if (!e)
            e = parse_image(root, file, out, d);
        if (!e)
            e = parse_links(root, file, out, d);
    } else {
        e = diagf(d, CM_EFIELD, file, "type", "must be \"menu\" or \"page\"");
    }
    cJSON_Delete(root);
    if (e)
        cm_doc_free(out);
    return e;
}

/* ---- postcodes and regions (format 2) ---- */

static int is_up(char c) { return c >= 'A' && c <= 'Z'; }
static int is_dig(char c) { return c >= '0' && c <= '9'; }

/* Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A (upper case). */
static int outward_shape(const char *s)
{
    size_t n = strlen(s), i = 0;
    while (i < n && i < 2 && is_up(s[i]))
        i++;
    if (i == 0 || i == n || !is_dig(s[i]))
        return 0;
    i++;
    if (i == n)
        return 1;
    if ((is_dig(s[i]) || is_up(s[i])) && i + 1 == n)
        return 1;
    return 0;
}

/* An area alone: one or two letters. */
static int area_shape(const char *s)
{
    size_t n = strlen(s);
    return (n == 1 || n == 2) && is_up(s[0]) && (n == 1 || is_up(s[1]));
}

/* Upper-case s without spaces into out (cap bytes); 0, or -1 if too long
 * or a character other than a letter, digit or space. */
static int squeeze(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        char c = *s;
        if (c == ' ' || c == '\t')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!is_up(c) && !is_dig(c))
            return -1;
        if (n + 1 >= cap)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

int cm_postcode_outward(const char *postcode, char out[8])
{
    char s[16];
    out[0] = '\0';
    if (!postcode || squeeze(postcode, s, sizeof s) != 0)
        return -1;
    size_t n = strlen(s);
    /* A full postcode ends with the inward code: digit, letter, letter. */
    if (n >= 5 && is_dig(s[n - 3]) && is_up(s[n - 2]) && is_up(s[n - 1])) {
        s[n - 3] = '\0';
        if (!outward_shape(s))
            return -1;
    } else if (!outward_shape(s)) {
        return -1;
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int council_has(const cm_council *c, const char *code)
{
    for (size_t i = 0; i < c->n_postcodes; i++)
        if (strcmp(c->postcodes[i], code) == 0)
            return 1;
    return 0;
}

static int find_entry(const cm_regions *r, const char *code)
{
    for (size_t i = 0; i < r->n_councils; i++)
        if (council_has(&r->councils[i], code))
            return (int)i;
    return -1;
}

int cm_regions_lookup(const cm_regions *r, const char *postcode)
{
    char out[8];
    if (!r || cm_postcode_outward(postcode, out) != 0)
        return -1;
    /* Longest match first: district, district without its sub-district
     * letter, then the area letters. */
    int k = find_entry(r, out);
    if (k >= 0)
        return k;
    size_t n = strlen(out);
    if (is_up(out[n - 1])) {
        out[n - 1] = '\0';
        k = find_entry(r, out);
        if (k >= 0)
            return k;
    }
    size_t a = 0;
    while (is_up(out[a]))
        a++;
    out[a] = '\0';
    return find_entry(r, out);
}

void cm_regions_free(cm_regions *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_councils; i++) {
        cm_council *c = &r->councils[i];
        free(c->id);
        text_free(&c->name);
        for (size_t j = 0; j < c->n_postcodes; j++)
            free(c->postcodes[j]);
        free(c->postcodes);
        free(c->menu);
        free(c->phone);
        free(c->web);
    }
    free(r->councils);
    memset(r, 0, sizeof *r);
}

static int id_ok(const char *s)
{
    if (!s[0] || strlen(s) > 32)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || is_dig(*s) || *s == '-'))
            return 0;
    return 1;
}

static cm_err parse_council(const cJSON *it, const char *file, const char *pre,
                            cm_regions *r, cm_diag *d)
{
    char field[96];
    if (!cJSON_IsObject(it))
        return diagf(d, CM_EFIELD, file, pre, "must be an object");
    static const char *const fields[] = { "id", "name", "postcodes", "menu",
                                          "contact", NULL };
    snprintf(field, sizeof field, "%s.", pre);
    cm_err e = check_fields(it, fields, file, field, d);
    if (e)
        return e;
    cm_council *c = &r->councils[r->n_councils++];
    snprintf(field, sizeof field, "%s.id", pre);
    e = get_string(it, "id", 1, 64, file, field, &c->id, d);
    if (e)
        return e;
    if (!id_ok(c->id))
        return diagf(d, CM_EFIELD, file, field,
                     "\"%s\" must be 1-32 of a-z 0-9 -", c->id);
    for (size_t i = 0; i + 1 < r->n_councils; i++)
        if (strcmp(r->councils[i].id, c->id) == 0)
            return diagf(d, CM_EFIELD, file, field, "\"%s\" is used twice", c->id);
    snprintf(field, sizeof field, "%s.name", pre);
    e = get_text(it, "name", CM_MAX_TITLE_CHARS, 1024, file, field, &c->name, d);
    if (e)
        return e;
    snprintf(field, sizeof field, "%s.menu", pre);
    e = get_string(it, "menu", 1, CM_MAX_PATH_BYTES, file, field, &c->menu, d);
    if (e)
        return e;
    if (!cm_path_ok(c->menu))
        return diagf(d, CM_EFIELD, file, field, "\"%s\" is not a valid content path",
                     c->menu);

    const cJSON *pcs = cJSON_GetObjectItemCaseSensitive(it, "postcodes");
    snprintf(field, sizeof field, "%s.postcodes", pre);
    if (!pcs)
        return diagf(d, CM_EFIELD, file, field, "missing");
    if (!cJSON_IsArray(pcs))
        return diagf(d, CM_EFIELD, file, field, "must be an array of outward codes");
    size_t n = (size_t)cJSON_GetArraySize(pcs);
    if (n == 0)
        return diagf(d, CM_EFIELD, file, field, "a council needs at least one postcode");
    if (n > CM_MAX_POSTCODES)
        return diagf(d, CM_ELIMIT, file, field, "%zu entries, at most %u", n,
                     CM_MAX_POSTCODES);
    c->postcodes = calloc(n, sizeof *c->postcodes);
    if (!c->postcodes)
        return CM_ENOMEM;
    size_t i = 0;
    for (const cJSON *p = pcs->child; p; p = p->next, i++) {
        char code[16];
        snprintf(field, sizeof field, "%s.postcodes[%zu]", pre, i);
        if (!cJSON_IsString(p) || !p->valuestring)
            return diagf(d, CM_EFIELD, file, field, "must be a string");
        /* Entries are written as printed: upper case, no spaces. */
        if (strlen(p->valuestring) >= sizeof code ||
            (!outward_shape(p->valuestring) && !area_shape(p->valuestring)))
            return diagf(d, CM_EFIELD, file, field,
                         "\"%s\" is not an outward code (\"CW1\", \"CW10\", \"EC1A\") "
                         "or a postcode area (\"CW\")", p->valuestring);
        memcpy(code, p->valuestring, strlen(p->valuestring) + 1);
        for (size_t k = 0; k < r->n_councils; k++)
            if (council_has(&r->councils[k], code))
                return diagf(d, CM_EFIELD, file, field,
                             "\"%s\" is already listed for council \"%s\"", code,
                             r->councils[k].id);
        c->postcodes[c->n_postcodes] = dupstr(code);
        if (!c->postcodes[c->n_postcodes])
            return CM_ENOMEM;
        c->n_postcodes++;
    }

    const cJSON *contact = cJSON_GetObjectItemCaseSensitive(it, "contact");
    if (contact) {
        snprintf(field, sizeof field, "%s.contact", pre);
        if (!cJSON_IsObject(contact))
            return diagf(d, CM_EFIELD, file, field, "must be an object");
        static const char *const cfields[] = { "phone", "web", NULL };
        snprintf(field, sizeof field, "%s.contact.", pre);
        e = check_fields(contact, cfields, file, field, d);
        if (e)
            return e;
        snprintf(field, sizeof field, "%s.contact.phone", pre);
        e = get_string(contact, "phone", 0, 32, file, field, &c->phone, d);
        if (e)
            return e;
        snprintf(field, sizeof field, "%s.contact.web", pre);
        e = get_string(contact, "web", 0, 64, file, field, &c->web, d);
        if (e)
            return e;
    }
    return CM_OK;
}

cm_err cm_regions_parse(const uint8_t *json, size_t len, const char *file,
                        cm_regions *out, cm_diag *d)
{
    memset(out, 0, sizeof *out);
    cJSON *root;
    cm_err e = parse_root(json, len, file, &root, d);
    if (e)
        return e;
    static const char *const fields[] = { "type", "councils", NULL };
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(root, "councils");
    if (!type || !cJSON_IsString(type) || strcmp(type->valuestring, "regions") != 0)
        e = diagf(d, CM_EFIELD, file, "type", type ? "must be \"regions\"" : "missing");
    if (!e)
        e = check_fields(root, fields, file, "", d);
    if (!e && !cs)
        e = diagf(d, CM_EFIELD, file, "councils", "missing");
    if (!e && !cJSON_IsArray(cs))
        e = diagf(d, CM_EFIELD, file, "councils", "must be an array");
    size_t n = e ? 0 : (size_t)cJSON_GetArraySize(cs);
    if (!e && n == 0)
        e = diagf(d, CM_EFIELD, file, "councils", "needs at least one council");
    if (!e && n > CM_MAX_COUNCILS)
        e = diagf(d, CM_ELIMIT, file, "councils", "%zu councils, at most %u", n,
                  CM_MAX_COUNCILS);
    if (!e) {
        out->councils = calloc(n, sizeof *out->councils);
        if (!out->councils)
            e = CM_ENOMEM;
    }
    size_t i = 0;
    for (const cJSON *it = e ? NULL : cs->child; it && !e; it = it->next, i++) {
        char pre[32];
        snprintf(pre, sizeof pre, "councils[%zu]", i);
        e = parse_council(it, file, pre, out, d);
    }
    cJSON_Delete(root);
    if (e)
        cm_regions_free(out);
    return e;
}

/* ---- PNG check (libpng) ---- */

typedef struct {
    const uint8_t *p;
    size_t n, off;
    char why[128];
} png_src;

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->n - s->off)
        png_error(png, "file ends early");
    memcpy(out, s->p + s->off, n);
    s->off += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    snprintf(s->why, sizeof s->why, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

cm_err cm_png_check(const uint8_t *data, size_t len, const char *file, cm_diag *d)
{
    if (len > CM_MAX_FILE_BYTES)
        return diagf(d, CM_ELIMIT, file, NULL, "image is %zu bytes, more than %u",
                     len, CM_MAX_FILE_BYTES);
    if (len < 8 || png_sig_cmp(data, 0, 8) != 0)
        return diagf(d, CM_EFIELD, file, NULL, "not a PNG file");
    /* volatile: these are read after a longjmp from libpng. */
    png_src src = { data, len, 0, "" };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src,
                                             png_on_error, png_on_warning);
    if (!png)
        return CM_ENOMEM;
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile row = NULL;
    volatile cm_err e = CM_OK;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CM_ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        e = diagf(d, CM_EFIELD, file, NULL, "broken PNG: %s", src.why);
        goto out;
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    if (w > CM_MAX_IMAGE_W || h > CM_MAX_IMAGE_H) {
        e = diagf(d, CM_ELIMIT, file, NULL,
                  "image is %ux%u pixels, at most %ux%u fits on the screen",
                  (unsigned)w, (unsigned)h, CM_MAX_IMAGE_W, CM_MAX_IMAGE_H);
        goto out;
    }
    /* Decode every row so that a damaged image is found here, not on air. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    row = malloc((size_t)w * 4u + 16u);
    if (!row) {
        e = CM_ENOMEM;
        goto out;
    }
    for (int p = 0; p < passes; p++)
        for (png_uint_32 y = 0; y < h; y++)
            png_read_row(png, row, NULL);
    png_read_end(png, NULL);
out:
    free(row);
    png_destroy_read_struct(&png, &info, NULL);
    return e;
}

/* ---- whole-tree validation ---- */

/* A file still to check, with the "file: field" that referred to it and
 * what it must be. */
typedef enum { REF_DOC, REF_MENU, REF_IMAGE } ref_kind;

typedef struct {
    char *path;
    char *from;
    ref_kind kind;
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
static int queue_push(cm_queue *q, const char *path, const char *from, ref_kind kind)
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
    r->kind = kind;
    if (!r->path || !r->from) {
        free(r->path);
        free(r->from);
        return -1;
    }
    q->n++;
    return 0;
}

/* Queue a menu item's or link's target; reserved targets are checked
 * here.  Return -1 when out of memory, else the number of problems. */
static int push_target(cm_queue *q, const char *target, const char *from,
                       int have_regions, cm_report_fn report, void *report_ud)
{
    switch (cm_target_classify(target)) {
    case CM_TARGET_PATH:
        return queue_push(q, target, from, REF_DOC);
    case CM_TARGET_LOCAL:
        if (!have_regions) {
            char msg[640];
            snprintf(msg, sizeof msg, "%s: \"@local\" needs \"regions\" in "
                     CM_MANIFEST_PATH, from);
            report(report_ud, msg);
            return 1;
        }
        return 0;
    case CM_TARGET_SEARCH:
    case CM_TARGET_SETTINGS:
    case CM_TARGET_BAD:   /* the parser has refused it already */
        return 0;
    }
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
    int oom = queue_push(&q, m.root, CM_MANIFEST_PATH ": root", REF_MENU) != 0;
    int have_regions = 0;
    if (m.regions) {
        cm_regions r;
        char msg[512];
        if (fetch(fetch_ud, m.regions, &data, &len) != 0) {
            snprintf(msg, sizeof msg, CM_MANIFEST_PATH ": regions: \"%s\" does not exist",
                     m.regions);
            report(report_ud, msg);
            problems++;
        } else if (cm_regions_parse(data, len, m.regions, &r, &d) != CM_OK) {
            report(report_ud, d.msg);
            problems++;
        } else {
            have_regions = 1;
            for (size_t i = 0; i < r.n_councils && !oom; i++) {
                snprintf(msg, sizeof msg, "%s: councils[%zu].menu", m.regions, i);
                oom = queue_push(&q, r.councils[i].menu, msg, REF_MENU) != 0;
            }
            cm_regions_free(&r);
        }
    }
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
        if (q.refs[qi].kind == REF_IMAGE) {
            if (cm_png_check(data, len, q.refs[qi].path, &d) != CM_OK) {
                report(report_ud, d.msg);
                problems++;
            }
            continue;
        }
        if (cm_doc_parse(data, len, q.refs[qi].path, &doc, &d) != CM_OK) {
            report(report_ud, d.msg);
            problems++;
            continue;
        }
        if (q.refs[qi].kind == REF_MENU && doc.type != CM_DOC_MENU) {
            snprintf(msg, sizeof msg, "%s: \"%s\" must be a menu, not a page",
                     q.refs[qi].from, q.refs[qi].path);
            report(report_ud, msg);
            problems++;
        }
        /* Copy the path: queue_push may move q.refs. */
        char self[CM_MAX_PATH_BYTES + 1];
        snprintf(self, sizeof self, "%s", q.refs[qi].path);
        for (size_t i = 0; i < doc.n_items && !oom; i++) {
            snprintf(msg, sizeof msg, "%s: items[%zu].target", self, i);
            int k = push_target(&q, doc.items[i].target, msg, have_regions,
                                report, report_ud);
            oom = k < 0;
            problems += k > 0 ? (unsigned)k : 0;
        }
        for (size_t i = 0; i < doc.n_links && !oom; i++) {
            snprintf(msg, sizeof msg, "%s: links[%zu].target", self, i);
            int k = push_target(&q, doc.links[i].target, msg, have_regions,
                                report, report_ud);
            oom = k < 0;
            problems += k > 0 ? (unsigned)k : 0;
        }
        if (doc.image.src && !oom) {
            snprintf(msg, sizeof msg, "%s: image.src", self);
            oom = queue_push(&q, doc.image.src, msg, REF_IMAGE) != 0;
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
