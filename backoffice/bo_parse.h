/*
 * bo_parse: the parsers of outside text the back office runs before any
 * handler sees a request, all pure functions over (pointer, length) so that
 * tests can feed them every truncation and fuzzers any bytes.
 *
 * - Idempotency-Key header values (the IETF httpapi draft
 *   "The Idempotency-Key HTTP Header Field", whose value is an RFC 8941
 *   sf-string; the plain token form is accepted too): 1-255 characters of
 *   A-Z a-z 0-9 and '-'.
 * - application/x-www-form-urlencoded bodies (WHATWG URL Standard,
 *   section 5.1, "application/x-www-form-urlencoded parsing"), as Open311
 *   GeoReport v2 POSTs and the phone pages' forms send them.
 * - The server's configuration file: "key = value" lines, '#' comments.
 */
#ifndef BO_PARSE_H
#define BO_PARSE_H

#include <stddef.h>

typedef enum {
    BO_PARSE_OK = 0,
    BO_PARSE_EMPTY,     /* nothing where a value is required */
    BO_PARSE_TOOLONG,   /* over the ceiling for this item */
    BO_PARSE_BADCHAR,   /* a character the grammar does not allow */
    BO_PARSE_BADQUOTE,  /* an unterminated or misplaced quote */
    BO_PARSE_BADESCAPE, /* a '%' not followed by two hex digits */
    BO_PARSE_BADUTF8,   /* a decoded value that is not UTF-8 */
    BO_PARSE_TOOMANY,   /* more fields than the ceiling */
    BO_PARSE_NOMEM,
    BO_PARSE_SYNTAX     /* a config line without '=' or with an empty key */
} bo_parse_err;

const char *bo_parse_strerror(bo_parse_err e);

#define BO_IDEM_KEY_MAX 255

/* Parses an Idempotency-Key header value into out (NUL-terminated, at
 * least BO_IDEM_KEY_MAX + 1 bytes).  Surrounding spaces are ignored;
 * "key" and key are the same key. */
bo_parse_err bo_idem_key_parse(const char *v, size_t len, char *out);

/* One decoded name=value pair; both NUL-terminated, owned by the form. */
typedef struct bo_form_field {
    char *name;
    char *value;
} bo_form_field;

typedef struct bo_form {
    bo_form_field *fields;
    size_t n;
} bo_form;

#define BO_FORM_MAX_FIELDS 256

/* Parses a form body: '&'-separated pairs, '+' is a space, %XX escapes;
 * every decoded name and value must be valid UTF-8 without NUL.  On error
 * *form is empty. */
bo_parse_err bo_form_parse(const char *s, size_t len, bo_form *form);
/* The first value of a name, or NULL. */
const char *bo_form_get(const bo_form *form, const char *name);
void bo_form_free(bo_form *form);

/* True if s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) without NUL bytes. */
int bo_utf8_valid(const char *s, size_t len);

/* RFC 8628 user codes: 8 characters of BO_USER_CODE_ALPHABET (base-20
 * consonants, section 6.1), shown as XXXX-XXXX.  Normalises what a person
 * typed (case, spaces and dashes ignored) into out ("XXXX-XXXX"). */
#define BO_USER_CODE_ALPHABET "BCDFGHJKLMNPQRSTVWXZ"
bo_parse_err bo_user_code_parse(const char *s, size_t len, char out[10]);

/* Normalises a UK postcode (upper case, spaces removed) into out; returns
 * 0 if it has the shape of one (BS 7666: an outward code of 2-4
 * characters starting with a letter, an inward code digit letter letter).
 * The outward code is out without its last three characters. */
int bo_postcode_normalise(const char *in, char out[9]);

/* Config file: calls cb for every "key = value" line (key and value are
 * trimmed and NUL-terminated, borrowed until cb returns).  cb returns 0 to
 * go on or non-zero to stop with that line reported.  On a syntax error
 * *line is the 1-based line number. */
typedef int (*bo_config_cb)(void *ctx, const char *key, const char *value);
bo_parse_err bo_config_parse(const char *s, size_t len, bo_config_cb cb,
                             void *ctx, int *line);

#endif
