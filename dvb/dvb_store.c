/*
 * The object store: every directory and file of one carousel version,
 * by absolute path.
 *
 * One array sorted so that it is both the walk order and the lookup
 * index: paths compare bytewise except that '/' sorts before every other
 * byte.  Names cannot contain '/' or NUL, so this order is exactly a
 * pre-order walk of the tree with each directory's names in bytewise
 * order ("/a", "/a/b", "/a-c"), and lookup is a binary search.
 *
 * File bytes are not copied: they point into the module blobs the store
 * holds references to.  The reference count is a plain integer because
 * civictv runs one thread (design.md, "One thread, one poll() loop").
 */
#include "dvb/dvb_store.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *path;
    bool is_dir;
    const uint8_t *data;
    size_t len;
} entry;

struct dvb_store {
    unsigned refs;
    uint32_t version;
    entry *e;
    size_t n, cap;
    dvb_blob **blobs;
    size_t nblobs, blobs_cap;
};

dvb_store *dvb_store_new(uint32_t version)
{
    dvb_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->refs = 1;
    s->version = version;
    return s;
}

static void store_free(dvb_store *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->e[i].path);
    free(s->e);
    for (size_t i = 0; i < s->nblobs; i++)
        dvb_blob_release(s->blobs[i]);
    free(s->blobs);
    free(s);
}

void dvb_store_retain(dvb_store *s)
{
    if (s)
        s->refs++;
}

void dvb_store_release(dvb_store *s)
{
    if (s && --s->refs == 0)
        store_free(s);
}

uint32_t dvb_store_version(const dvb_store *s)
{
    return s ? s->version : 0;
}

size_t dvb_store_count(const dvb_store *s)
{
    return s->n;
}

dvb_err dvb_store_add_blob(dvb_store *s, dvb_blob *b)
{
    for (size_t i = 0; i < s->nblobs; i++)
        if (s->blobs[i] == b)
            return DVB_OK;
    if (s->nblobs == s->blobs_cap) {
        size_t cap = s->blobs_cap ? s->blobs_cap * 2 : 8;
        dvb_blob **nb = realloc(s->blobs, cap * sizeof *nb);
        if (!nb)
            return DVB_ENOMEM;
        s->blobs = nb;
        s->blobs_cap = cap;
    }
    s->blobs[s->nblobs++] = dvb_blob_retain(b);
    return DVB_OK;
}

dvb_err dvb_store_add(dvb_store *s, const char *path, bool is_dir,
                      const uint8_t *data, size_t len)
{
    if (!path || path[0] != '/')
        return DVB_EINVAL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        entry *ne = realloc(s->e, cap * sizeof *ne);
        if (!ne)
            return DVB_ENOMEM;
        s->e = ne;
        s->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return DVB_ENOMEM;
    s->e[s->n++] = (entry){ p, is_dir, is_dir ? NULL : data, is_dir ? 0 : len };
    return DVB_OK;
}

static int path_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca == '/')
            ca = 1;            /* below every byte a name may hold */
        if (cb == '/')
            cb = 1;
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
    }
}

static int entry_cmp(const void *a, const void *b)
{
    return path_cmp(((const entry *)a)->path, ((const entry *)b)->path);
}

void dvb_store_seal(dvb_store *s)
{
    if (s->n > 1)
        qsort(s->e, s->n, sizeof *s->e, entry_cmp);
}

static const entry *find(const dvb_store *s, const char *path)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = path_cmp(path, s->e[mid].path);
        if (c == 0)
            return &s->e[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

dvb_err dvb_store_lookup(const dvb_store *s, const char *path,
                         const uint8_t **data, size_t *len)
{
    if (!s || !path || !data || !len)
        return DVB_EINVAL;
    const entry *e = find(s, path);
    if (!e || e->is_dir)
        return DVB_ENOENT;
    /* A zero-length file still gets a valid pointer. */
    *data = e->data ? e->data : (const uint8_t *)"";
    *len = e->len;
    return DVB_OK;
}

int dvb_store_walk(const dvb_store *s, dvb_store_visit_fn fn, void *ud)
{
    if (!s || !fn)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        const entry *e = &s->e[i];
        int rc = fn(ud, e->path, e->is_dir, e->data, e->len);
        if (rc)
            return rc;
    }
    return 0;
}
