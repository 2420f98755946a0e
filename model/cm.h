/*
 * model/: civictv's content model (formats 1 and 2, docs/content-format.md).
 *
 * The broadcaster's content folder and the carousel carry the same files:
 * a manifest, menus, information pages (with PNG images and links) and a
 * regions table mapping postcodes to councils, in JSON with English and
 * Welsh texts side by side.  Postcodes follow the UK outward-code shape
 * (area letters, district digits: BS 7666-3 / the Royal Mail PAF rules).  This module decodes them into plain structs and
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
    int format;          /* 1 or 2 */
    char *service;       /* application id, e.g. "civictv" */
    char *version;       /* content version label, free text */
    unsigned languages;  /* bit mask of 1u << cm_lang; English always set */
    cm_text title;       /* the service's name, shown as the root heading */
    char *root;          /* content path of the root menu */
    char *backoffice;    /* base URL of the back office, or NULL */
    char *regions;       /* format 2: content path of the regions file, or NULL */
} cm_manifest;

typedef struct {
    cm_text label;
    char *target;        /* content path of a menu or page, or a reserved
                          * target ("@local", "@search", "@settings") */
    int lgsl;            /* LGSL service code, 0 if none */
} cm_item;

/* A link on a page: shown numbered, the viewer presses its digit. */
typedef struct {
    cm_text label;
    char *target;        /* as cm_item.target */
} cm_link;

/* A page's picture; src is NULL when the page has none. */
typedef struct {
    char *src;           /* content path of a PNG file */
    cm_text alt;         /* what the picture shows, for a viewer who cannot see it */
} cm_image;

typedef enum { CM_DOC_MENU, CM_DOC_PAGE } cm_doc_type;

typedef struct {
    cm_doc_type type;
    cm_text title;
    cm_item *items;      /* menus only */
    size_t n_items;
    cm_text body;        /* pages only: text with light markup, see the format doc */
    cm_image image;      /* pages only, optional */
    cm_link *links;      /* pages only, optional, up to CM_MAX_LINKS */
    size_t n_links;
} cm_doc;

/* Reserved targets of menu items and links. */
typedef enum {
    CM_TARGET_PATH = 0,  /* an ordinary content path */
    CM_TARGET_LOCAL,     /* "@local": the viewer's council's menu */
    CM_TARGET_SEARCH,    /* "@search": the A-Z and keyword search */
    CM_TARGET_SETTINGS,  /* "@settings": language, text size, contrast */
    CM_TARGET_BAD = -1   /* neither a content path nor a reserved name */
} cm_target_kind;

cm_target_kind cm_target_classify(const char *target);

/* ---- regions (format 2) ---- */

typedef struct {
    char *id;            /* [a-z0-9-], unique in the file */
    cm_text name;        /* "Caerwen County Council" */
    char **postcodes;    /* outward codes ("CW1") or areas ("CW"), upper case */
    size_t n_postcodes;
    char *menu;          /* content path of the council's menu */
    char *phone;         /* contact details, NULL when absent */
    char *web;
} cm_council;

typedef struct {
    cm_council *councils;
    size_t n_councils;
} cm_regions;

#define CM_MAX_COUNCILS   64u
#define CM_MAX_POSTCODES  256u   /* per council */
#define CM_MAX_LINKS      9u
#define CM_MAX_IMAGE_W    640u
#define CM_MAX_IMAGE_H    400u
#define CM_MAX_ALT_CHARS  200u

/* Decode a regions file ({"type": "regions", "councils": [...]}).
 * A postcode entry listed twice (in one council or two) is an error. */
cm_err cm_regions_parse(const uint8_t *json, size_t len, const char *file,
                        cm_regions *out, cm_diag *diag);
void cm_regions_free(cm_regions *r);            /* NULL is a no-op */

/* Reduce a viewer's postcode, full ("cw1 2ab") or outward only ("CW1"), in
 * any case and spacing, to its outward code in upper case ("CW1").
 * Return 0, or -1 when it does not have the shape of a UK postcode. */
int cm_postcode_outward(const char *postcode, char out[8]);

/* The council whose entry is the longest match for a viewer's postcode:
 * the district (outward code) exactly, then the district without its
 * sub-district letter ("EC1A" -> "EC1"), then the area letters ("CW").
 * Return the council's index, or -1 (no match or not a postcode). */
int cm_regions_lookup(const cm_regions *r, const char *postcode);

/* Is this PNG one the format allows (decodes with libpng, at most
 * CM_MAX_IMAGE_W x CM_MAX_IMAGE_H)?  Return CM_OK or an error with diag
 * naming file. */
cm_err cm_png_check(const uint8_t *data, size_t len, const char *file,
                    cm_diag *diag);

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
 * parses, every target and image exists, the regions file (if any) is
 * valid and its councils' menus exist, and "@local" is used only when
 * the manifest has regions.  Each problem is reported once; the
 * return value is the number of problems (0: valid). */
unsigned cm_validate_tree(cm_fetch_fn fetch, void *fetch_ud,
                          cm_report_fn report, void *report_ud);

#define CM_MANIFEST_PATH "manifest.json"

#endif
