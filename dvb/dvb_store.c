/*
 * The object store: every directory, file, stream and stream event of
 * one carousel version, by absolute path (TR 101 202 4.7.4: the name
 * space a receiver presents is the tree of bindings from the
 * ServiceGateway).
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
 *
 * Partial stores (a view during acquisition) also hold "pending"
 * entries: bindings whose object is in a module not complete yet.  The
 * "not yet" / "does not exist" answer follows from the tree: a path is
 * DVB_ENOTYET when its nearest present ancestor is pending (or nothing
 * has arrived, not even the root), DVB_ENOENT when that ancestor is a
 * directory that has arrived (its binding list is complete: the name is
 * simply not in it) or a file.  See docs/receiver-protocol.md.
 */
#include "dvb/dvb_store.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    dvb_object_info info;      /* pointers into this allocation's arrays */
    char *description;
    dvb_stream_tap *taps;
    char **names;
    uint16_t *ids;
} stream_info;

typedef struct {
    char *path;
    dvb_object_kind kind;
    const uint8_t *data;
    size_t len;
    stream_info *si;
} entry;

struct dvb_store {
    unsigned refs;
    uint32_t version;
    bool partial;
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

void dvb_store_set_partial(dvb_store *s)
{
    s->partial = true;
}

static void si_free(stream_info *si)
{
    if (!si)
        return;
    free(si->description);
    free(si->taps);
    if (si->names)
        for (size_t i = 0; i < si->info.event_names_count; i++)
            free(si->names[i]);
    free(si->names);
    free(si->ids);
    free(si);
}

static void store_free(dvb_store *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].path);
        si_free(s->e[i].si);
    }
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

int dvb_store_is_complete(const dvb_store *s)
{
    return s && !s->partial;
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

static dvb_err add_entry(dvb_store *s, const char *path, dvb_object_kind kind,
                         const uint8_t *data, size_t len, stream_info *si)
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
    bool file = kind == DVB_OBJ_FILE;
    s->e[s->n++] = (entry){ p, kind, file ? data : NULL, file ? len : 0, si };
    return DVB_OK;
}

dvb_err dvb_store_add(dvb_store *s, const char *path, bool is_dir,
                      const uint8_t *data, size_t len)
{
    return add_entry(s, path, is_dir ? DVB_OBJ_DIR : DVB_OBJ_FILE, data, len,
                     NULL);
}

dvb_err dvb_store_add_pending(dvb_store *s, const char *path)
{
    return add_entry(s, path, DVB_OBJ_PENDING, NULL, 0, NULL);
}

static char *copy_str(const uint8_t *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        if (n)
            memcpy(c, p, n);
        c[n] = 0;
    }
    return c;
}

dvb_err dvb_store_add_stream(dvb_store *s, const char *path, bool event,
                             const dvb_biop_stream *st)
{
    stream_info *si = calloc(1, sizeof *si);
    if (!si)
        return DVB_ENOMEM;
    dvb_object_info *in = &si->info;
    in->kind = event ? DVB_OBJ_STREAM_EVENT : DVB_OBJ_STREAM;
    in->duration_seconds = st->duration_aSeconds;
    in->duration_microseconds = st->duration_aMicroSeconds;
    in->audio = st->audio;
    in->video = st->video;
    in->data = st->data;
    size_t ntaps = st->taps_count < DVB_BIOP_MAX_STREAM_TAPS
                       ? st->taps_count : DVB_BIOP_MAX_STREAM_TAPS;
    si->description = copy_str(st->description, st->description_length);
    si->taps = calloc(ntaps ? ntaps : 1, sizeof *si->taps);
    si->names = calloc(st->eventNames_count ? st->eventNames_count : 1,
                       sizeof *si->names);
    si->ids = calloc(st->eventIds_count ? st->eventIds_count : 1,
                     sizeof *si->ids);
    if (!si->description || !si->taps || !si->names || !si->ids) {
        si_free(si);
        return DVB_ENOMEM;
    }
    for (size_t i = 0; i < ntaps; i++)
        si->taps[i] = (dvb_stream_tap){ st->taps[i].id, st->taps[i].use,
                                        st->taps[i].association_tag };
    for (size_t i = 0; i < st->eventNames_count; i++) {
        si->names[i] = copy_str(st->eventName[i], st->eventName_length[i]);
        if (!si->names[i]) {
            si_free(si);
            return DVB_ENOMEM;
        }
        in->event_names_count = i + 1;
    }
    for (size_t i = 0; i < st->eventIds_count; i++)
        si->ids[i] = (uint16_t)((st->eventIds[2 * i] << 8) |
                                st->eventIds[2 * i + 1]);
    in->description = si->description;
    in->taps_count = ntaps;
    in->taps = si->taps;
    in->event_names = (const char *const *)si->names;
    in->event_ids_count = st->eventIds_count;
    in->event_ids = si->ids;
    dvb_err e = add_entry(s, path, in->kind, NULL, 0, si);
    if (e)
        si_free(si);
    return e;
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

/* Why a path is absent: in a partial store, DVB_ENOTYET when its nearest
 * present ancestor is pending or nothing at all has arrived. */
static dvb_err absent(const dvb_store *s, const char *path)
{
    if (!s->partial)
        return DVB_ENOENT;
    char *buf = strdup(path);
    if (!buf)
        return DVB_ENOMEM;
    dvb_err e = DVB_ENOTYET;   /* no ancestor at all: the root is missing */
    while (strcmp(buf, "/") != 0) {
        char *slash = strrchr(buf, '/');
        if (slash == buf)
            buf[1] = 0;        /* "/a" -> "/" */
        else
            *slash = 0;        /* "/a/b" -> "/a" */
        const entry *a = find(s, buf);
        if (a) {
            e = a->kind == DVB_OBJ_PENDING ? DVB_ENOTYET : DVB_ENOENT;
            break;
        }
    }
    free(buf);
    return e;
}

static void info_of(const entry *e, dvb_object_info *info)
{
    if (e->si) {
        *info = e->si->info;
        return;
    }
    memset(info, 0, sizeof *info);
    info->kind = e->kind;
    info->size = e->len;
    info->description = "";
}

dvb_err dvb_store_stat(const dvb_store *s, const char *path,
                       dvb_object_info *info)
{
    if (!s || !path || !info || path[0] != '/')
        return DVB_EINVAL;
    const entry *e = find(s, path);
    if (!e)
        return absent(s, path);
    if (e->kind == DVB_OBJ_PENDING)
        return DVB_ENOTYET;
    info_of(e, info);
    return DVB_OK;
}

dvb_err dvb_store_lookup(const dvb_store *s, const char *path,
                         const uint8_t **data, size_t *len)
{
    if (!s || !path || !data || !len)
        return DVB_EINVAL;
    const entry *e = find(s, path);
    if (!e)
        return path[0] == '/' ? absent(s, path) : DVB_ENOENT;
    if (e->kind == DVB_OBJ_PENDING)
        return DVB_ENOTYET;
    if (e->kind != DVB_OBJ_FILE)
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
        if (e->kind != DVB_OBJ_FILE && e->kind != DVB_OBJ_DIR)
            continue;
        int rc = fn(ud, e->path, e->kind == DVB_OBJ_DIR, e->data, e->len);
        if (rc)
            return rc;
    }
    return 0;
}

int dvb_store_walk_objects(const dvb_store *s, dvb_store_object_fn fn,
                           void *ud)
{
    if (!s || !fn)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        const entry *e = &s->e[i];
        dvb_object_info info;
        info_of(e, &info);
        int rc = fn(ud, e->path, &info,
                    e->kind == DVB_OBJ_FILE
                        ? (e->data ? e->data : (const uint8_t *)"") : NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- differences between two versions ---- */

static bool str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static bool same_object(const entry *a, const entry *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == DVB_OBJ_FILE)
        return a->len == b->len &&
               (a->data == b->data || !a->len ||
                !memcmp(a->data, b->data, a->len));
    if (!a->si || !b->si)
        return a->si == b->si;
    const dvb_object_info *x = &a->si->info, *y = &b->si->info;
    if (!str_eq(x->description, y->description) ||
        x->duration_seconds != y->duration_seconds ||
        x->duration_microseconds != y->duration_microseconds ||
        x->audio != y->audio || x->video != y->video || x->data != y->data ||
        x->taps_count != y->taps_count ||
        x->event_names_count != y->event_names_count ||
        x->event_ids_count != y->event_ids_count)
        return false;
    for (size_t i = 0; i < x->taps_count; i++)
        if (x->taps[i].id != y->taps[i].id ||
            x->taps[i].use != y->taps[i].use ||
            x->taps[i].association_tag != y->taps[i].association_tag)
            return false;
    for (size_t i = 0; i < x->event_names_count; i++)
        if (!str_eq(x->event_names[i], y->event_names[i]))
            return false;
    for (size_t i = 0; i < x->event_ids_count; i++)
        if (x->event_ids[i] != y->event_ids[i])
            return false;
    return true;
}

dvb_err dvb_store_diff(const dvb_store *old_s, const dvb_store *new_s,
                       dvb_change **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t no = old_s ? old_s->n : 0, nn = new_s ? new_s->n : 0;
    dvb_change *c = malloc((no + nn ? no + nn : 1) * sizeof *c);
    if (!c)
        return DVB_ENOMEM;
    size_t i = 0, j = 0, k = 0;
    /* Both arrays are sorted in walk order: one merge pass. */
    while (i < no || j < nn) {
        const entry *a = i < no ? &old_s->e[i] : NULL;
        const entry *b = j < nn ? &new_s->e[j] : NULL;
        if (a && a->kind == DVB_OBJ_PENDING) {
            i++;
            continue;
        }
        if (b && b->kind == DVB_OBJ_PENDING) {
            j++;
            continue;
        }
        int r = !a ? 1 : !b ? -1 : path_cmp(a->path, b->path);
        if (r < 0) {
            c[k++] = (dvb_change){ a->path, DVB_CHANGE_REMOVED };
            i++;
        } else if (r > 0) {
            c[k++] = (dvb_change){ b->path, DVB_CHANGE_ADDED };
            j++;
        } else {
            if (!same_object(a, b))
                c[k++] = (dvb_change){ b->path, DVB_CHANGE_MODIFIED };
            i++;
            j++;
        }
    }
    *out = c;
    *count = k;
    return DVB_OK;
}
