/*
 * bo_util: SHA-256 (FIPS 180-4) and random bytes through GnuTLS, ids and
 * buffers.  See bo_util.h.
 */
#include "backoffice/bo_util.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int bo_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d) != 0)
        return -1;
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

int bo_random_string(const char *alphabet, size_t n, char *out)
{
    size_t k = strlen(alphabet);
    /* Reject bytes at or above the largest multiple of k: no bias. */
    unsigned limit = 256u - (256u % (unsigned)k);
    size_t o = 0;
    unsigned char buf[64];
    while (o < n) {
        if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, sizeof buf) != 0)
            return -1;
        for (size_t i = 0; i < sizeof buf && o < n; i++)
            if (buf[i] < limit)
                out[o++] = alphabet[buf[i] % k];
    }
    out[n] = '\0';
    return 0;
}

int bo_new_id(char out[BO_ID_LEN + 1])
{
    return bo_random_string("abcdefghijklmnopqrstuvwxyz234567", BO_ID_LEN, out);
}

int64_t bo_now(void)
{
    return (int64_t)time(NULL);
}

int bo_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void grow(bo_buf *b, size_t more)
{
    if (b->failed)
        return;
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

void bo_buf_addn(bo_buf *b, const char *s, size_t n)
{
    grow(b, n);
    if (b->failed)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void bo_buf_add(bo_buf *b, const char *s)
{
    bo_buf_addn(b, s, strlen(s));
}

void bo_buf_printf(bo_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        bo_buf_addn(b, small, (size_t)n);
        return;
    }
    grow(b, (size_t)n);
    if (b->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void bo_buf_add_html(bo_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': bo_buf_add(b, "&amp;"); break;
        case '<': bo_buf_add(b, "&lt;"); break;
        case '>': bo_buf_add(b, "&gt;"); break;
        case '"': bo_buf_add(b, "&quot;"); break;
        case '\'': bo_buf_add(b, "&#39;"); break;
        default: bo_buf_addn(b, s, 1);
        }
    }
}
