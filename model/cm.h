/*
 * model/: civictv's content model (format 1, docs/content-format.md).
 *
 * The broadcaster's content folder and the carousel carry the same files:
 * a manifest, menus and information pages in JSON with English and Welsh
 * texts side by side.  This module decodes them into plain structs and
 * validates a whole tree, with messages that name the file and the field
 * ("menus/root.json: items[2].target: no such file").  It is used by the
 * carousel tool (before building) and by the app (after receiving), so the
 * two can never disagree about what valid content is.
 *
 * Every string in the structs is owned by the struct and freed by the
 * matching _free function.  JSON is decoded with cJSON's re-entrant
 * cJSON_ParseWithLengthOpts (no hidden global error pointer).
 */
#ifndef CM_H
#define CM_H

#include <stddef.h>
#include <stdint.h>

/* Zero is success; new codes are only appended. */
typedef enum {
    CM_OK = 0,
    CM_ENOMEM,     /* an allocation failed */
    CM_EJSON,      /* not well-formed JSON (or not UTF-8) */
    CM_EFIELD,     /* a field is missing, unknown, of the wrong type or out of range */
    CM_ENOENT,     /* a referenced file does not exist */
    CM_ELIMIT      /* a file, text or list is larger than the format allows */
} cm_err;

const char *cm_strerror(cm_err e);

typedef enum { CM_LANG_EN = 0, CM_LANG_CY = 1 } cm_lang;

/* A text in each language; cy may be NULL (English is then shown). */
typedef struct {
    char *en;
    char *cy;
} cm_text;

/* The text in lang, falling back to English; never NULL ("" at worst). */
const char *cm_text_get(const cm_text *t, cm_lang lang);

/* A diagnostic: "file: field: what is wrong". */
typedef struct {
    char msg[512];
} cm_diag;

typedef struct {
    int format;          /* 1 */
    char *service;       /* application id, e.g. "civictv" */
    char *version;       /* content version label, free text */
    unsigned languages;  /* bit mask of 1u << cm_lang; English always set */
    cm_text title;       /* the service's name, shown as the root heading */
    char *root;          /* content path of the root menu */
    char *backoffice;    /* base URL of the back office, or NULL */
} cm_manifest;

typedef struct {
    cm_text label;
    char *target;        /* content path of a menu or page */
    int lgsl;            /* LGSL service code, 0 if none */
} cm_item;

typedef enum { CM_DOC_MENU, CM_DOC_PAGE } cm_doc_type;

typedef struct {
    cm_doc_type type;
    cm_text title;
    cm_item *items;      /* menus only */
    size_t n_items;
    cm_text body;        /* pages only: text with light markup, see the format doc */
} cm_doc;

/* Limits of format 1 (checked by the parsers). */
#define CM_MAX_FILE_BYTES  (256u * 1024u)
#define CM_MAX_ITEMS       99u
#define CM_MAX_LABEL_CHARS 48u
#define CM_MAX_TITLE_CHARS 48u
#define CM_MAX_BODY_BYTES  (32u * 1024u)
#define CM_MAX_PATH_BYTES  128u

/* Decode a manifest.  file names the file in diagnostics.  On error *out is
 * left zeroed and diag (if not NULL) says what is wrong. */
cm_err cm_manifest_parse(const uint8_t *json, size_t len, const char *file,
                         cm_manifest *out, cm_diag *diag);
void cm_manifest_free(cm_manifest *m);          /* NULL is a no-op */

/* Decode a menu or a page (its "type" field says which). */
cm_err cm_doc_parse(const uint8_t *json, size_t len, const char *file,
                    cm_doc *out, cm_diag *diag);
void cm_doc_free(cm_doc *d);                    /* NULL is a no-op */

/* Is this a content path the format and the carousel can carry:
 * relative, '/'-separated, no "." or ".." parts, [A-Za-z0-9._-] only? */
int cm_path_ok(const char *path);

/* Fetch a content file by content path ("menus/root.json").  The bytes are
 * borrowed until the next call.  Return 0, or -1 when there is no such file. */
typedef int (*cm_fetch_fn)(void *ud, const char *path,
                           const uint8_t **data, size_t *len);
typedef void (*cm_report_fn)(void *ud, const char *msg);

/* Validate the tree reachable from manifest.json: every menu and page
 * parses and every target exists.  Each problem is reported once; the
 * return value is the number of problems (0: valid). */
unsigned cm_validate_tree(cm_fetch_fn fetch, void *fetch_ud,
                          cm_report_fn report, void *report_ud);

#define CM_MANIFEST_PATH "manifest.json"

#endif
