/*
 * bo_util: hashing, random identifiers and small helpers of the back
 * office.  SHA-256 and the random generator are GnuTLS's (the TLS library
 * libmicrohttpd is built with), never hand-written.
 */
#ifndef BO_UTIL_H
#define BO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex SHA-256 of data into out (65 bytes). */
int bo_sha256_hex(const void *data, size_t len, char out[65]);

/* n random characters from alphabet (NUL-terminated into out, which holds
 * n + 1 bytes), from the cryptographic generator, without modulo bias. */
int bo_random_string(const char *alphabet, size_t n, char *out);

/* Identifiers: 26 characters of lower-case base32, as GOV.UK Pay's ids. */
#define BO_ID_LEN 26
int bo_new_id(char out[BO_ID_LEN + 1]);

int64_t bo_now(void);

/* Strict decimal integer in [min, max]; the whole string must be digits
 * (an optional leading '-'). */
int bo_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Growable text buffer for building HTML and JSON by hand. */
typedef struct bo_buf {
    char *p;
    size_t len, cap;
    int failed;
} bo_buf;
void bo_buf_add(bo_buf *b, const char *s);
void bo_buf_addn(bo_buf *b, const char *s, size_t n);
void bo_buf_printf(bo_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with & < > " ' escaped for HTML text and attributes. */
void bo_buf_add_html(bo_buf *b, const char *s);

#endif
