/*
 * Resolving the object graph (TR 101 202 4.7.3-4.7.4, 13818-6 11.3).
 *
 * Objects are found by (moduleId, objectKey): an IOR's
 * BIOP::ObjectLocation names the module and the key of the message in
 * it.  The graph comes from the air and may be wrong in every way a
 * graph can be: a directory may bind itself or an ancestor (a loop), two
 * directories may bind the same subdirectory, a name may repeat, a
 * reference may point nowhere.  So each directory object is expanded at
 * most once (which bounds the work by the number of bindings and ends
 * loops), depth is capped, names are checked for '/' and NUL, and a
 * duplicate name keeps the first binding in transmission order.
 * Streams and stream events (13818-6 11.3.2.5-6) are leaves like files.
 */
#include "dvb/dvb_tree.h"

#include "dvb/dvb_store.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_PATH 4096

typedef struct {
    uint16_t moduleId;
    dvb_biop_object obj;
    bool expanded;
} node;

typedef struct {
    const dvb_tree_module *mods;
    size_t nmods;
    const uint32_t *dii_tids;
    size_t ndii;
    uint32_t carouselId;
    const dvb_logger *log;
    node *nodes;
    size_t n, cap;
    dvb_store *store;
    unsigned skipped;
    bool partial;              /* building a partial view */
    bool pending;              /* something needed has not arrived */
    bool this_pending;         /* set by resolve(): the last one was */
    char path[MAX_PATH];
} ctx;

static int key_cmp(uint16_t ma, const uint8_t *ka, size_t la,
                   uint16_t mb, const uint8_t *kb, size_t lb)
{
    if (ma != mb)
        return ma < mb ? -1 : 1;
    if (la != lb)
        return la < lb ? -1 : 1;
    return la ? memcmp(ka, kb, la) : 0;
}

static int node_cmp(const void *a, const void *b)
{
    const node *x = a, *y = b;
    return key_cmp(x->moduleId, x->obj.objectKey, x->obj.objectKey_length,
                   y->moduleId, y->obj.objectKey, y->obj.objectKey_length);
}

static node *find_node(ctx *c, uint16_t mod, const uint8_t *key, size_t klen)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        node *m = &c->nodes[mid];
        int r = key_cmp(mod, key, klen, m->moduleId, m->obj.objectKey,
                        m->obj.objectKey_length);
        if (r == 0)
            return m;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static dvb_err parse_module(ctx *c, const dvb_tree_module *m)
{
    const uint8_t *p = m->blob->data;
    size_t left = m->blob->len;
    while (left) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            node *nn = realloc(c->nodes, cap * sizeof *nn);
            if (!nn)
                return DVB_ENOMEM;
            c->nodes = nn;
            c->cap = cap;
        }
        node *nd = &c->nodes[c->n];
        size_t used;
        dvb_err e = dvb_biop_message_parse(p, left, &used, &nd->obj);
        if (e == DVB_ENOMEM)
            return e;
        if (e) {
            dvb_logf(c->log, DVB_LOG_WARN,
                     "module 0x%04X: bad BIOP message at offset %zu (%s)",
                     (unsigned)m->moduleId, (size_t)(p - m->blob->data),
                     dvb_strerror(e));
            c->skipped++;
            /* Without a valid message_size the rest cannot be framed;
             * with one, only this object is lost. */
            if (used == 0 || used > left)
                break;
            p += used;
            left -= used;
            continue;
        }
        nd->moduleId = m->moduleId;
        nd->expanded = false;
        c->n++;
        p += used;
        left -= used;
    }
    return DVB_OK;
}

static const dvb_tree_module *module_of(const ctx *c, uint16_t id)
{
    for (size_t i = 0; i < c->nmods; i++)
        if (c->mods[i].moduleId == id)
            return &c->mods[i];
    return NULL;
}

/* Resolves an IOR to its object; NULL when absent (and why is logged),
 * with c->this_pending set when it may still arrive. */
static node *resolve(ctx *c, const dvb_ior *ior, const char *what)
{
    c->this_pending = false;
    if (!ior->has_location) {
        dvb_logf(c->log, DVB_LOG_DEBUG, "%s: no BIOP profile, skipped", what);
        return NULL;
    }
    if (ior->carouselId != c->carouselId) {
        dvb_logf(c->log, DVB_LOG_DEBUG,
                 "%s: in carousel %u, not this one, skipped", what,
                 (unsigned)ior->carouselId);
        return NULL;
    }
    const dvb_tree_module *m = module_of(c, ior->moduleId);
    bool other_dii = false;
    if (!m && c->dii_tids && ior->has_tap && ior->tap.has_selector) {
        other_dii = true;
        for (size_t i = 0; i < c->ndii; i++)
            if ((c->dii_tids[i] & 0xFFFEu) ==
                (ior->tap.transactionId & 0xFFFEu))
                other_dii = false;
    }
    if ((m && !m->blob) || (!m && (c->partial || other_dii))) {
        /* Listed and incomplete; or, in a partial view, perhaps in a DII
         * not received yet. */
        c->pending = true;
        c->this_pending = true;
        return NULL;
    }
    node *nd = m ? find_node(c, ior->moduleId, ior->objectKey,
                             ior->objectKey_length) : NULL;
    if (!nd) {
        dvb_logf(c->log, DVB_LOG_WARN,
                 "%s: object not found in module 0x%04X", what,
                 (unsigned)ior->moduleId);
        c->skipped++;
    }
    return nd;
}

static bool name_ok(const uint8_t *n, size_t len)
{
    if (len == 0 || (len == 1 && n[0] == '.') ||
        (len == 2 && n[0] == '.' && n[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (n[i] == '/' || n[i] == 0)
            return false;
    return true;
}

typedef struct {
    const dvb_biop_binding *b;
    size_t index;
} child;

static int child_cmp(const void *a, const void *b)
{
    const child *x = a, *y = b;
    size_t n = x->b->name_len < y->b->name_len ? x->b->name_len
                                               : y->b->name_len;
    int r = memcmp(x->b->name, y->b->name, n);
    if (r)
        return r;
    if (x->b->name_len != y->b->name_len)
        return x->b->name_len < y->b->name_len ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static dvb_err expand(ctx *c, node *dir, size_t plen, unsigned depth)
{
    dir->expanded = true;
    size_t nb = dir->obj.bindings_count;
    if (nb == 0)
        return DVB_OK;
    child *ch = malloc(nb * sizeof *ch);
    if (!ch)
        return DVB_ENOMEM;
    size_t nc = 0;
    for (size_t i = 0; i < nb; i++) {
        const dvb_biop_binding *b = &dir->obj.bindings[i];
        if (b->nameComponents_count != 1 || !name_ok(b->name, b->name_len)) {
            dvb_logf(c->log, DVB_LOG_WARN, "%s: binding %zu has a bad name",
                     plen ? c->path : "/", i);
            c->skipped++;
            continue;
        }
        ch[nc++] = (child){ b, i };
    }
    qsort(ch, nc, sizeof *ch, child_cmp);
    dvb_err e = DVB_OK;
    for (size_t i = 0; i < nc && !e; i++) {
        const dvb_biop_binding *b = ch[i].b;
        if (i && b->name_len == ch[i - 1].b->name_len &&
            !memcmp(b->name, ch[i - 1].b->name, b->name_len)) {
            dvb_logf(c->log, DVB_LOG_WARN, "%s: duplicate name skipped",
                     plen ? c->path : "/");
            c->skipped++;
            continue;
        }
        if (plen + 1 + b->name_len + 1 > MAX_PATH) {
            c->skipped++;
            continue;
        }
        c->path[plen] = '/';
        memcpy(c->path + plen + 1, b->name, b->name_len);
        size_t nlen = plen + 1 + b->name_len;
        c->path[nlen] = 0;
        node *t = resolve(c, &b->ior, c->path);
        if (!t) {
            if (c->partial && c->this_pending)
                e = dvb_store_add_pending(c->store, c->path);
            c->path[plen] = 0;
            continue;
        }
        switch (t->obj.kind) {
        case DVB_BIOP_FIL:
            e = dvb_store_add(c->store, c->path, false, t->obj.content,
                              t->obj.content_length);
            break;
        case DVB_BIOP_DIR:
        case DVB_BIOP_SRG:
            if (t->expanded) {
                dvb_logf(c->log, DVB_LOG_WARN,
                         "%s: directory bound twice (or a loop), skipped",
                         c->path);
                c->skipped++;
                break;
            }
            if (depth + 1 >= MAX_DEPTH) {
                dvb_logf(c->log, DVB_LOG_WARN, "%s: too deep, skipped",
                         c->path);
                c->skipped++;
                break;
            }
            e = dvb_store_add(c->store, c->path, true, NULL, 0);
            if (!e)
                e = expand(c, t, nlen, depth + 1);
            break;
        case DVB_BIOP_STR:
        case DVB_BIOP_STE:
            e = dvb_store_add_stream(c->store, c->path,
                                     t->obj.kind == DVB_BIOP_STE,
                                     &t->obj.stream);
            break;
        case DVB_BIOP_UNKNOWN:
            dvb_logf(c->log, DVB_LOG_DEBUG, "%s: unknown object kind, skipped",
                     c->path);
            break;
        }
        c->path[plen] = 0;
    }
    free(ch);
    return e;
}

dvb_err dvb_tree_build(const dvb_tree_module *mods, size_t nmods,
                       const uint32_t *dii_tids, size_t ndii,
                       const dvb_ior *gateway, uint32_t version,
                       bool partial, const dvb_logger *log, dvb_store **out,
                       unsigned *skipped)
{
    *out = NULL;
    if (skipped)
        *skipped = 0;
    ctx c;
    memset(&c, 0, sizeof c);
    c.mods = mods;
    c.nmods = nmods;
    c.dii_tids = dii_tids;     /* NULL: every DII is in hand */
    c.ndii = dii_tids ? ndii : 0;
    c.carouselId = gateway->carouselId;
    c.log = log;
    c.partial = partial;
    dvb_err e = DVB_OK;
    const dvb_tree_module *gm = module_of(&c, gateway->moduleId);
    if (!partial && !gm)
        return DVB_ENOENT;
    if (!partial && !gm->blob)
        return DVB_ENOTYET;
    c.store = dvb_store_new(version);
    if (!c.store)
        return DVB_ENOMEM;
    if (partial)
        dvb_store_set_partial(c.store);
    for (size_t i = 0; i < nmods && !e; i++) {
        if (!mods[i].blob)
            continue;
        e = parse_module(&c, &mods[i]);
        if (!e)
            e = dvb_store_add_blob(c.store, mods[i].blob);
    }
    if (!e && c.n > 1)
        qsort(c.nodes, c.n, sizeof *c.nodes, node_cmp);
    node *root = NULL;
    if (!e) {
        root = resolve(&c, gateway, "ServiceGateway");
        if (!root)
            e = c.pending ? DVB_ENOTYET : DVB_ENOENT;
        else if (root->obj.kind != DVB_BIOP_SRG &&
                 root->obj.kind != DVB_BIOP_DIR)
            e = DVB_ESYNTAX;
        /* A partial view without its root is empty: every lookup in it
         * answers "not yet". */
        if (partial && e == DVB_ENOTYET)
            e = DVB_OK;
    }
    if (!e && root)
        e = dvb_store_add(c.store, "/", true, NULL, 0);
    if (!e && root)
        e = expand(&c, root, 0, 0);
    if (!e && c.pending && !partial)
        e = DVB_ENOTYET;
    for (size_t i = 0; i < c.n; i++)
        dvb_biop_object_clear(&c.nodes[i].obj);
    free(c.nodes);
    if (e) {
        dvb_store_release(c.store);
        return e;
    }
    dvb_store_seal(c.store);
    if (skipped)
        *skipped = c.skipped;
    *out = c.store;
    return DVB_OK;
}
