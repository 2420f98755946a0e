/*
 * From a tree to the sections of an object carousel (see oc_carousel.h
 * for the steps and their clauses: ISO/IEC 13818-6 clauses 7, 9 and 11,
 * EN 301 192 clauses 8-9, TR 101 202 4.6-4.7).
 *
 * Packing happens before encoding: an object's encoded size does not
 * depend on where its children are (every IOR here has the same length),
 * so sizes are computed first, objects are assigned to modules, and only
 * then are the messages written with the final module ids in their IORs.
 */
#include "carousel/oc_carousel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "carousel/oc_biop.h"
#include "carousel/oc_dsmcc.h"

/* ConnBinder and ModuleInfo timeouts (microseconds).  The tool does not
 * know the rate the carousel will be played out at when it encodes the
 * objects (and an update must not change an IOR for a new rate), so it
 * announces no bound (all ones) and a minBlockTime of 0, as the OpenCaster
 * stream in tests/fixtures/broadcast does. */
#define TIMEOUT_NONE 0xFFFFFFFFu

typedef struct {
    const oc_node *node;
    oc_kind kind;
    char *path;               /* "" for the gateway */
    size_t parent;            /* SIZE_MAX for the gateway */
    uint32_t key;
    size_t size;              /* encoded BIOP message */
    size_t module;            /* index into modules */
    uint16_t prev_module;     /* module id in prev, 0 if new */
    bool first;
    size_t *kids;             /* object indices of a directory's children */
    size_t n_kids;
} obj;

typedef struct {
    uint16_t id;
    size_t *objs;             /* object indices, in objectKey order */
    size_t n_obj, cap_obj;
    size_t raw_size;
    uint8_t *data;            /* as sent (compressed or not) */
    size_t size;
    bool compressed;
    bool first;
    bool changed;
    uint8_t version;
    uint64_t hash;
    size_t dii;               /* index of the DII that lists it */
    dvb_writer ddb;           /* every DDB section of the module */
    size_t *ddb_off;          /* n_blocks + 1 offsets into ddb */
    size_t n_blocks;
} module;

struct oc_carousel {
    oc_carousel_config cfg;
    oc_carousel_stats st;
    uint32_t dsi_tid, ior_tid;    /* ior_tid: of the first DII */
    uint32_t next_key, next_module;
    bool changed;
    obj *objs;
    size_t n_objs, cap_objs;
    module *mods;
    size_t n_mods;
    dvb_writer dsi;
    /* DIIs: as many as the modules need (one section each) */
    size_t n_diis;
    uint32_t dii_tid[OC_MAX_DIIS];
    bool dii_changed[OC_MAX_DIIS];
    dvb_writer dii[OC_MAX_DIIS];
};

/* The transactionId an IOR names for a module: that of its DII at the
 * carousel's first build (identification = DII index + 1), kept across
 * updates so that unchanged objects keep their bytes. */
static uint32_t ior_tid_of(const oc_carousel *c, size_t dii)
{
    return (c->ior_tid & 0xFFFF0000u) | ((uint32_t)(dii + 1) << 1);
}

void oc_layout_free(oc_layout *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_objects; i++)
        free(l->objects[i].path);
    free(l->objects);
    free(l->modules);
    memset(l, 0, sizeof *l);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static oc_err add_obj(oc_carousel *c, const oc_node *n, oc_kind k,
                      const char *path, size_t parent, size_t *idx)
{
    if (c->n_objs == c->cap_objs) {
        size_t cap = c->cap_objs ? c->cap_objs * 2 : 64;
        obj *o = realloc(c->objs, cap * sizeof *o);
        if (!o)
            return OC_ENOMEM;
        c->objs = o;
        c->cap_objs = cap;
    }
    if (c->n_objs >= UINT32_MAX - 1)
        return OC_ELIMIT;
    char *pc = strdup(path);
    if (!pc)
        return OC_ENOMEM;
    obj *o = &c->objs[c->n_objs];
    memset(o, 0, sizeof *o);
    o->node = n;
    o->kind = k;
    o->path = pc;
    o->parent = parent;
    o->key = (uint32_t)c->n_objs + 1;
    *idx = c->n_objs++;
    return OC_OK;
}

/* Depth-first, parents before children: a directory and the files it
 * holds end up in the same or neighbouring modules. */
static oc_err flatten(oc_carousel *c, const oc_node *n, oc_kind k,
                      const char *path, size_t parent, size_t *out_idx)
{
    size_t me;
    oc_err e = add_obj(c, n, k, path, parent, &me);
    if (e)
        return e;
    if (out_idx)
        *out_idx = me;
    if (k == OC_KIND_FILE)
        return OC_OK;
    size_t nk = oc_node_child_count(n);
    if (nk > UINT16_MAX)
        return OC_ELIMIT;                   /* bindings_count is 16 bits */
    size_t *kids = nk ? calloc(nk, sizeof *kids) : NULL;
    if (nk && !kids)
        return OC_ENOMEM;
    c->objs[me].kids = kids;
    c->objs[me].n_kids = nk;
    size_t pl = strlen(path);
    for (size_t i = 0; i < nk; i++) {
        const oc_node *ch = oc_node_child(n, i);
        const char *name = oc_node_name(ch);
        size_t nl = strlen(name);
        char *cp = malloc(pl + nl + 2);
        if (!cp)
            return OC_ENOMEM;
        if (pl) {
            memcpy(cp, path, pl);
            cp[pl] = '/';
            memcpy(cp + pl + 1, name, nl + 1);
        } else {
            memcpy(cp, name, nl + 1);
        }
        size_t ci;
        e = flatten(c, ch, oc_node_is_dir(ch) ? OC_KIND_DIR : OC_KIND_FILE,
                    cp, me, &ci);
        free(cp);
        if (e)
            return e;
        c->objs[me].kids[i] = ci;   /* re-read: objs may have moved */
    }
    return OC_OK;
}

static oc_err make_bindings(const oc_carousel *c, const obj *o,
                            oc_binding **out)
{
    *out = NULL;
    if (!o->n_kids)
        return OC_OK;
    oc_binding *b = calloc(o->n_kids, sizeof *b);
    if (!b)
        return OC_ENOMEM;
    for (size_t i = 0; i < o->n_kids; i++) {
        const obj *k = &c->objs[o->kids[i]];
        b[i].name = oc_node_name(k->node);
        b[i].kind = k->kind;
        if (k->kind == OC_KIND_FILE) {
            size_t len;
            oc_node_data(k->node, &len);
            b[i].content_size = len;
        }
        b[i].ref.carouselId = c->cfg.carousel_id;
        b[i].ref.moduleId = c->mods ? c->mods[k->module].id : 0;
        b[i].ref.objectKey = k->key;
        b[i].ref.association_tag = c->cfg.component_tag;
        b[i].ref.transactionId =
            c->mods ? ior_tid_of(c, c->mods[k->module].dii) : c->ior_tid;
        b[i].ref.timeout = TIMEOUT_NONE;
    }
    *out = b;
    return OC_OK;
}

static oc_err size_objects(oc_carousel *c)
{
    for (size_t i = 0; i < c->n_objs; i++) {
        obj *o = &c->objs[i];
        if (o->kind == OC_KIND_FILE) {
            size_t len;
            oc_node_data(o->node, &len);
            if (len > UINT32_MAX - 64)
                return OC_ELIMIT;
            o->size = oc_biop_file_size(len);
            c->st.files++;
            c->st.payload_bytes += len;
        } else {
            oc_binding *b;
            oc_err e = make_bindings(c, o, &b);
            if (e)
                return e;
            o->size = oc_biop_dir_size(b, o->n_kids);
            free(b);
            if (o->kind == OC_KIND_DIR)
                c->st.dirs++;
        }
        c->st.biop_bytes += o->size;
    }
    c->st.objects = c->n_objs;
    return OC_OK;
}

/* The first screen's files, and every directory above them (a receiver
 * walks from the ServiceGateway down), are marked first.  The gateway
 * always is. */
static void mark_first(oc_carousel *c)
{
    c->objs[0].first = true;
    for (size_t f = 0; f < c->cfg.n_first; f++) {
        const char *p = c->cfg.first_paths[f];
        if (!p)
            continue;
        for (size_t i = 0; i < c->n_objs; i++) {
            if (strcmp(c->objs[i].path, p) != 0)
                continue;
            for (size_t j = i; j != SIZE_MAX; j = c->objs[j].parent)
                c->objs[j].first = true;
            break;
        }
    }
}

static oc_err mod_add_obj(module *m, size_t oi)
{
    if (m->n_obj == m->cap_obj) {
        size_t cap = m->cap_obj ? m->cap_obj * 2 : 8;
        size_t *p = realloc(m->objs, cap * sizeof *p);
        if (!p)
            return OC_ENOMEM;
        m->objs = p;
        m->cap_obj = cap;
    }
    m->objs[m->n_obj++] = oi;
    return OC_OK;
}

static int cmp_layout_path(const void *a, const void *b)
{
    const oc_layout_object *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Keys and module ids kept from prev.  prev's objects are looked up by
 * path in a sorted copy. */
static oc_err apply_prev(oc_carousel *c)
{
    const oc_layout *l = c->cfg.prev;
    c->next_key = l->next_key;
    c->next_module = l->next_module;
    if (!l->n_objects)
        return OC_OK;
    oc_layout_object *sorted = malloc(l->n_objects * sizeof *sorted);
    if (!sorted)
        return OC_ENOMEM;
    memcpy(sorted, l->objects, l->n_objects * sizeof *sorted);
    qsort(sorted, l->n_objects, sizeof *sorted, cmp_layout_path);
    for (size_t i = 0; i < c->n_objs; i++) {
        obj *o = &c->objs[i];
        oc_layout_object probe = { .path = o->path };
        const oc_layout_object *hit = bsearch(&probe, sorted, l->n_objects,
                                              sizeof *sorted,
                                              cmp_layout_path);
        if (hit && hit->module != 0 && hit->key != 0) {
            o->key = hit->key;
            o->prev_module = hit->module;
        } else {
            if (c->next_key == 0 || c->next_key == UINT32_MAX) {
                free(sorted);
                return OC_ELIMIT;
            }
            o->key = c->next_key++;
            o->prev_module = 0;
        }
    }
    free(sorted);
    return OC_OK;
}

static oc_err new_module(oc_carousel *c, uint16_t id, bool first,
                         size_t *idx)
{
    /* mods was allocated with one slot per object: enough. */
    size_t m = c->n_mods++;
    c->mods[m].id = id;
    c->mods[m].first = first;
    *idx = m;
    return OC_OK;
}

static oc_err next_module_id(oc_carousel *c, uint16_t *id)
{
    if (c->next_module == 0 || c->next_module > 0xFFFF)
        return OC_EDII;             /* moduleId is 16 bits */
    *id = (uint16_t)c->next_module++;
    return OC_OK;
}

/* Greedy packing of the objects not placed yet, first-screen ones in
 * modules of their own.  An object bigger than module_size gets a module
 * of its own and the next small objects start a new one. */
static oc_err pack_new(oc_carousel *c, bool first)
{
    size_t cur = SIZE_MAX;
    size_t fill = 0;
    for (size_t i = 0; i < c->n_objs; i++) {
        obj *o = &c->objs[i];
        if (o->module != SIZE_MAX || o->first != first)
            continue;
        bool big = o->size > c->cfg.module_size;
        if (cur == SIZE_MAX || big || fill + o->size > c->cfg.module_size) {
            uint16_t id;
            oc_err e = next_module_id(c, &id);
            if (!e)
                e = new_module(c, id, first, &cur);
            if (e)
                return e;
            fill = 0;
        }
        o->module = cur;
        oc_err e = mod_add_obj(&c->mods[cur], i);
        if (e)
            return e;
        fill += o->size;
        if (big)
            fill = (size_t)c->cfg.module_size + 1;
    }
    return OC_OK;
}

typedef struct {
    uint32_t key;
    size_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_mod_id(const void *a, const void *b)
{
    const module *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static oc_err pack(oc_carousel *c)
{
    /* At most one module per object. */
    c->mods = calloc(c->n_objs, sizeof *c->mods);
    if (!c->mods)
        return OC_ENOMEM;
    for (size_t i = 0; i < c->n_objs; i++)
        c->objs[i].module = SIZE_MAX;
    oc_err e = OC_OK;
    /* Objects of prev stay in their module. */
    for (size_t i = 0; i < c->n_objs && !e; i++) {
        obj *o = &c->objs[i];
        if (!o->prev_module)
            continue;
        size_t m;
        for (m = 0; m < c->n_mods; m++)
            if (c->mods[m].id == o->prev_module)
                break;
        if (m == c->n_mods) {
            bool first = false;
            for (size_t k = 0; k < c->cfg.prev->n_modules; k++)
                if (c->cfg.prev->modules[k].id == o->prev_module)
                    first = c->cfg.prev->modules[k].first;
            e = new_module(c, o->prev_module, first, &m);
        }
        if (!e) {
            o->module = m;
            e = mod_add_obj(&c->mods[m], i);
        }
    }
    if (!e)
        e = pack_new(c, true);
    if (!e)
        e = pack_new(c, false);
    if (e)
        return e;
    /* Modules in id order, objects in key order: the same tree and the
     * same layout give the same bytes. */
    qsort(c->mods, c->n_mods, sizeof *c->mods, cmp_mod_id);
    keyed *tmp = malloc(c->n_objs * sizeof *tmp);
    if (!tmp)
        return OC_ENOMEM;
    for (size_t m = 0; m < c->n_mods; m++) {
        module *md = &c->mods[m];
        for (size_t i = 0; i < md->n_obj; i++) {
            tmp[i].key = c->objs[md->objs[i]].key;
            tmp[i].idx = md->objs[i];
        }
        qsort(tmp, md->n_obj, sizeof *tmp, cmp_keyed);
        md->raw_size = 0;
        for (size_t i = 0; i < md->n_obj; i++) {
            md->objs[i] = tmp[i].idx;
            c->objs[md->objs[i]].module = m;
            md->raw_size += c->objs[md->objs[i]].size;
        }
    }
    free(tmp);
    return OC_OK;
}

static oc_err encode_module(oc_carousel *c, module *m, dvb_writer *w)
{
    for (size_t i = 0; i < m->n_obj; i++) {
        const obj *o = &c->objs[m->objs[i]];
        oc_err e;
        if (o->kind == OC_KIND_FILE) {
            size_t len;
            const uint8_t *d = oc_node_data(o->node, &len);
            e = oc_biop_write_file(w, o->key, d, len);
        } else {
            oc_binding *b;
            e = make_bindings(c, o, &b);
            if (!e)
                e = oc_biop_write_dir(w, o->kind, o->key, b, o->n_kids);
            free(b);
        }
        if (e)
            return e;
    }
    return w->len == m->raw_size ? OC_OK : OC_EINVAL;
}

static oc_err compress_module(const oc_carousel *c, module *m)
{
    if (c->cfg.compress == OC_COMPRESS_NONE)
        return OC_OK;
    uLong bound = compressBound((uLong)m->size);
    uint8_t *z = malloc(bound);
    if (!z)
        return OC_ENOMEM;
    uLongf zlen = bound;
    /* zlib format (RFC 1950) is what compression_method 0x08 names. */
    int r = compress2(z, &zlen, m->data, (uLong)m->size, Z_BEST_COMPRESSION);
    if (r != Z_OK) {
        free(z);
        return r == Z_MEM_ERROR ? OC_ENOMEM : OC_EZLIB;
    }
    if (c->cfg.compress == OC_COMPRESS_AUTO && zlen >= m->size) {
        free(z);
        return OC_OK;
    }
    free(m->data);
    m->data = z;
    m->size = zlen;
    m->compressed = true;
    return OC_OK;
}

static oc_err make_ddbs(oc_carousel *c, module *m)
{
    size_t bs = c->cfg.block_size;
    size_t nb = (m->size + bs - 1) / bs;
    if (nb == 0)
        nb = 1;                 /* never happens: a module holds an object */
    if (nb > 65536)
        return OC_ELIMIT;       /* blockNumber is 16 bits */
    m->n_blocks = nb;
    m->ddb_off = calloc(nb + 1, sizeof *m->ddb_off);
    if (!m->ddb_off)
        return OC_ENOMEM;
    dvb_writer_init(&m->ddb, 0);
    dvb_writer msg;
    dvb_writer_init(&msg, OC_SECTION_MAX);
    oc_err e = OC_OK;
    for (size_t b = 0; b < nb && !e; b++) {
        size_t off = b * bs;
        size_t len = m->size - off < bs ? m->size - off : bs;
        msg.len = 0;
        m->ddb_off[b] = m->ddb.len;
        e = oc_dsmcc_ddb(&msg, c->cfg.carousel_id, m->id, m->version,
                         (uint16_t)b, m->data + off, len);
        /* 13818-6 9.2.2 / EN 301 192 clause 8: table_id_extension = moduleId,
         * version_number = moduleVersion mod 32, section_number =
         * blockNumber mod 256, last_section_number = that of the
         * module's last block. */
        if (!e)
            e = oc_dsmcc_section(&m->ddb, OC_TID_DDB, m->id,
                                 (uint8_t)(m->version & 0x1F),
                                 (uint8_t)(b & 0xFF),
                                 (uint8_t)((nb - 1) & 0xFF), msg.p, msg.len);
    }
    m->ddb_off[nb] = m->ddb.len;
    dvb_writer_free(&msg);
    return e;
}

static oc_err make_control(oc_carousel *c)
{
    oc_err e;
    dvb_writer msg;
    dvb_writer_init(&msg, OC_SECTION_MAX);

    /* DSI: the ServiceGateway is object 0. */
    oc_objref sg = {
        .carouselId = c->cfg.carousel_id,
        .moduleId = c->mods[c->objs[0].module].id,
        .objectKey = c->objs[0].key,
        .association_tag = c->cfg.component_tag,
        .transactionId = ior_tid_of(c, c->mods[c->objs[0].module].dii),
        .timeout = TIMEOUT_NONE,
    };
    dvb_writer ior;
    dvb_writer_init(&ior, OC_SECTION_MAX);
    e = oc_biop_write_ior(&ior, OC_KIND_SRG, &sg);
    if (!e)
        e = oc_dsmcc_dsi(&msg, c->dsi_tid, ior.p, ior.len);
    dvb_writer_free(&ior);
    /* DSI and DII sections: table_id_extension is the low 16 bits of the
     * transactionId, version_number 0, a single section (EN 301 192
     * 9.2.2, TR 101 202 4.6). */
    dvb_writer_init(&c->dsi, OC_SECTION_MAX);
    if (!e)
        e = oc_dsmcc_section(&c->dsi, OC_TID_DSI_DII,
                             (uint16_t)(c->dsi_tid & 0xFFFF), 0, 0, 0,
                             msg.p, msg.len);

    oc_dii_module *dm = calloc(c->n_mods ? c->n_mods : 1, sizeof *dm);
    if (!dm && !e)
        e = OC_ENOMEM;
    for (size_t k = 0; k < c->n_diis; k++)
        dvb_writer_init(&c->dii[k], OC_SECTION_MAX);
    for (size_t k = 0; k < c->n_diis && !e; k++) {
        size_t n = 0;
        for (size_t i = 0; i < c->n_mods; i++) {
            const module *m = &c->mods[i];
            if (m->dii != k)
                continue;
            dm[n].moduleId = m->id;
            dm[n].moduleSize = (uint32_t)m->size;
            dm[n].moduleVersion = m->version;
            dm[n].moduleTimeOut = TIMEOUT_NONE;
            dm[n].blockTimeOut = TIMEOUT_NONE;
            dm[n].minBlockTime = 0;
            dm[n].association_tag = c->cfg.component_tag;
            dm[n].compressed = m->compressed;
            dm[n].original_size = (uint32_t)m->raw_size;
            n++;
        }
        oc_dii dii = {
            .transactionId = c->dii_tid[k],
            .downloadId = c->cfg.carousel_id,
            .blockSize = c->cfg.block_size,
            .modules = dm,
            .n_modules = n,
        };
        msg.len = 0;
        e = oc_dsmcc_dii(&msg, &dii);
        if (!e)
            e = oc_dsmcc_section(&c->dii[k], OC_TID_DSI_DII,
                                 (uint16_t)(c->dii_tid[k] & 0xFFFF), 0, 0, 0,
                                 msg.p, msg.len);
    }
    free(dm);
    dvb_writer_free(&msg);
    return e;
}

/* moduleVersion: kept when the bytes are those of prev's module of the
 * same id, else one more (13818-6 7.3: a module whose content changes
 * gets a new version; receivers re-fetch only those). */
static void version_module(oc_carousel *c, module *m)
{
    const oc_layout *l = c->cfg.prev;
    m->version = c->cfg.module_version;
    m->changed = true;
    if (!l)
        return;
    for (size_t k = 0; k < l->n_modules; k++) {
        const oc_layout_module *pm = &l->modules[k];
        if (pm->id != m->id)
            continue;
        if (pm->hash == m->hash && pm->size == m->raw_size) {
            m->version = pm->version;
            m->changed = false;
        } else {
            m->version = (uint8_t)(pm->version + 1u);
        }
        return;
    }
}

/* DIIs (13818-6 7.3; TR 101 202 4.7.2: a carousel may have several,
 * each a single section here).  Modules fill the first DII in id order,
 * counted at the size of a compressed entry so that the choice does not
 * depend on compression; an update keeps each module in its DII and puts
 * new ones in the last DII with room, or a new one. */
static oc_err assign_diis(oc_carousel *c)
{
    oc_dii_module worst = { .compressed = true };
    size_t per = (OC_SECTION_BODY_MAX - oc_dsmcc_dii_fixed_size()) /
                 oc_dsmcc_dii_module_size(&worst);
    size_t count[OC_MAX_DIIS] = { 0 };
    const oc_layout *l = c->cfg.prev;
    c->n_diis = 1;
    if (l) {
        for (size_t k = 0; k < l->n_modules; k++)
            if (l->modules[k].dii >= OC_MAX_DIIS)
                return OC_EINVAL;
        c->n_diis = l->n_diis ? l->n_diis : 1;
    }
    for (size_t i = 0; i < c->n_mods; i++) {
        module *m = &c->mods[i];
        m->dii = SIZE_MAX;
        for (size_t k = 0; l && k < l->n_modules; k++)
            if (l->modules[k].id == m->id)
                m->dii = l->modules[k].dii;
        if (m->dii != SIZE_MAX) {
            if (m->dii >= c->n_diis)
                c->n_diis = m->dii + 1;
            count[m->dii]++;
        }
    }
    for (size_t i = 0; i < c->n_mods; i++) {
        module *m = &c->mods[i];
        if (m->dii != SIZE_MAX)
            continue;
        size_t k = c->n_diis - 1;
        if (count[k] >= per) {
            if (c->n_diis >= OC_MAX_DIIS)
                return OC_EDII;
            k = c->n_diis++;
        }
        m->dii = k;
        count[k]++;
    }
    for (size_t k = 0; k < c->n_diis; k++)
        if (count[k] > per)
            return OC_EDII;
    return OC_OK;
}

static oc_err build(oc_carousel *c, const oc_tree *tree)
{
    oc_err e = flatten(c, oc_tree_root(tree), OC_KIND_SRG, "", SIZE_MAX,
                       NULL);
    if (!e && c->cfg.prev)
        e = apply_prev(c);
    else if (!e) {
        c->next_key = (uint32_t)c->n_objs + 1;
        c->next_module = 1;
    }
    if (!e)
        e = size_objects(c);
    if (e)
        return e;
    mark_first(c);
    e = pack(c);
    if (e)
        return e;
    /* Before encoding megabytes: which DII lists each module (IORs name
     * it), failing when more DIIs would be needed than allowed. */
    e = assign_diis(c);
    if (e)
        return e;
    uint64_t total = c->st.biop_bytes, done = 0;
    for (size_t i = 0; i < c->n_mods; i++) {
        module *m = &c->mods[i];
        if (m->raw_size > UINT32_MAX)
            return OC_ELIMIT;
        dvb_writer w;
        dvb_writer_init(&w, m->raw_size ? m->raw_size : 1);
        e = encode_module(c, m, &w);
        if (e) {
            dvb_writer_free(&w);
            return e;
        }
        m->data = dvb_writer_take(&w, &m->size);
        m->hash = fnv1a64(m->data, m->size);
        version_module(c, m);
        e = compress_module(c, m);
        if (!e)
            e = make_ddbs(c, m);
        if (e)
            return e;
        c->st.modules++;
        c->st.compressed_modules += m->compressed;
        c->st.first_modules += m->first;
        c->st.changed_modules += m->changed;
        c->st.module_bytes += m->size;
        c->st.blocks += m->n_blocks;
        done += m->raw_size;
        if (c->cfg.progress)
            c->cfg.progress(c->cfg.progress_ud, done, total);
    }
    /* Transaction ids (TR 101 202 4.6.4 / EN 301 192 8.1): a first build
     * uses tid_version; an update keeps the DSI and the IORs' ids and
     * gives a DII a new one (version + 1, updated flag toggled) when
     * anything it lists changed, so receivers see the update and
     * re-fetch only the modules whose moduleVersion moved. */
    const oc_layout *l = c->cfg.prev;
    for (size_t i = 0; i < c->n_mods; i++)
        if (c->mods[i].changed)
            c->dii_changed[c->mods[i].dii] = true;
    if (!l) {
        c->changed = true;
        for (size_t k = 0; k < c->n_diis; k++)
            c->dii_tid[k] = OC_TID_MAKE(c->cfg.tid_version, k + 1, 0);
    } else {
        for (size_t k = 0; k < l->n_modules; k++) {
            bool found = false;
            for (size_t i = 0; i < c->n_mods && !found; i++)
                found = c->mods[i].id == l->modules[k].id;
            c->st.removed_modules += !found;
            if (!found && l->modules[k].dii < c->n_diis)
                c->dii_changed[l->modules[k].dii] = true;
        }
        c->changed = c->st.changed_modules || c->st.removed_modules;
        c->dsi_tid = l->dsi_tid;
        c->ior_tid = l->ior_tid;
        for (size_t k = 0; k < c->n_diis; k++) {
            if (k >= l->n_diis) {
                c->dii_tid[k] = OC_TID_MAKE(0, k + 1, 0);
                continue;
            }
            uint32_t t = l->dii_tids[k];
            if (c->dii_changed[k]) {
                uint32_t v = ((t >> 16) + 1u) & 0x3FFFu;
                t = OC_TID_MAKE(v, (t >> 1) & 0x7FFFu, (t & 1u) ^ 1u);
            }
            c->dii_tid[k] = t;
        }
    }
    c->st.diis = c->n_diis;
    return make_control(c);
}

oc_err oc_carousel_create(const oc_tree *tree, const oc_carousel_config *cfg,
                          oc_carousel **out)
{
    *out = NULL;
    if (!tree || !cfg || cfg->block_size == 0 ||
        cfg->block_size > OC_BLOCK_MAX || cfg->module_size == 0 ||
        cfg->tid_version > 0x3FFF ||
        (cfg->compress != OC_COMPRESS_AUTO &&
         cfg->compress != OC_COMPRESS_NONE &&
         cfg->compress != OC_COMPRESS_ALL))
        return OC_EINVAL;
    if (cfg->prev && ((cfg->prev->ior_tid >> 30) != 2u ||
                      cfg->prev->n_diis > OC_MAX_DIIS))
        return OC_EINVAL;
    for (size_t k = 0; cfg->prev && k < cfg->prev->n_diis; k++)
        if ((cfg->prev->dii_tids[k] >> 30) != 2u)
            return OC_EINVAL;
    oc_carousel *c = calloc(1, sizeof *c);
    if (!c)
        return OC_ENOMEM;
    c->cfg = *cfg;
    c->dsi_tid = OC_TID_MAKE(cfg->tid_version, 0, 0);
    /* IORs are written before the DII's final id is known; in an update
     * they keep prev's, so that unchanged directories stay byte-identical. */
    c->ior_tid = cfg->prev ? cfg->prev->ior_tid
                           : OC_TID_MAKE(cfg->tid_version, 1, 0);
    oc_err e = build(c, tree);
    if (e) {
        oc_carousel_destroy(c);
        return e;
    }
    *out = c;
    return OC_OK;
}

void oc_carousel_destroy(oc_carousel *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_objs; i++) {
        free(c->objs[i].kids);
        free(c->objs[i].path);
    }
    free(c->objs);
    for (size_t i = 0; c->mods && i < c->n_mods; i++) {
        free(c->mods[i].objs);
        free(c->mods[i].data);
        free(c->mods[i].ddb_off);
        dvb_writer_free(&c->mods[i].ddb);
    }
    free(c->mods);
    dvb_writer_free(&c->dsi);
    for (size_t k = 0; k < OC_MAX_DIIS; k++)
        dvb_writer_free(&c->dii[k]);
    free(c);
}

void oc_carousel_get_stats(const oc_carousel *c, oc_carousel_stats *st)
{
    *st = c->st;
}

uint32_t oc_carousel_dsi_tid(const oc_carousel *c) { return c->dsi_tid; }
uint32_t oc_carousel_dii_tid(const oc_carousel *c) { return c->dii_tid[0]; }
size_t oc_carousel_dii_count(const oc_carousel *c) { return c->n_diis; }

uint32_t oc_carousel_dii_tid_at(const oc_carousel *c, size_t k)
{
    return k < c->n_diis ? c->dii_tid[k] : 0;
}

const uint8_t *oc_carousel_dii_at(const oc_carousel *c, size_t k,
                                  size_t *len)
{
    if (k >= c->n_diis) {
        *len = 0;
        return NULL;
    }
    *len = c->dii[k].len;
    return c->dii[k].p;
}
bool oc_carousel_changed(const oc_carousel *c) { return c->changed; }

const uint8_t *oc_carousel_dsi(const oc_carousel *c, size_t *len)
{
    *len = c->dsi.len;
    return c->dsi.p;
}

const uint8_t *oc_carousel_dii(const oc_carousel *c, size_t *len)
{
    *len = c->dii[0].len;
    return c->dii[0].p;
}

size_t oc_carousel_module_count(const oc_carousel *c)
{
    return c->n_mods;
}

void oc_carousel_module(const oc_carousel *c, size_t i, oc_module_info *mi)
{
    memset(mi, 0, sizeof *mi);
    if (i >= c->n_mods)
        return;
    const module *m = &c->mods[i];
    mi->moduleId = m->id;
    mi->moduleVersion = m->version;
    mi->moduleSize = (uint32_t)m->size;
    mi->original_size = (uint32_t)m->raw_size;
    mi->compressed = m->compressed;
    mi->objects = m->n_obj;
    mi->blocks = m->n_blocks;
    mi->first = m->first;
    mi->changed = m->changed;
    mi->hash = m->hash;
}

oc_err oc_carousel_layout(const oc_carousel *c, oc_layout *out)
{
    memset(out, 0, sizeof *out);
    out->dsi_tid = c->dsi_tid;
    out->dii_tid = c->dii_tid[0];
    out->n_diis = c->n_diis;
    for (size_t k = 0; k < c->n_diis; k++)
        out->dii_tids[k] = c->dii_tid[k];
    out->ior_tid = c->ior_tid;
    out->next_key = c->next_key;
    out->next_module = c->next_module;
    out->objects = calloc(c->n_objs ? c->n_objs : 1, sizeof *out->objects);
    out->modules = calloc(c->n_mods ? c->n_mods : 1, sizeof *out->modules);
    if (!out->objects || !out->modules) {
        oc_layout_free(out);
        return OC_ENOMEM;
    }
    for (size_t i = 0; i < c->n_objs; i++) {
        out->objects[i].path = strdup(c->objs[i].path);
        if (!out->objects[i].path) {
            out->n_objects = i;
            oc_layout_free(out);
            return OC_ENOMEM;
        }
        out->objects[i].key = c->objs[i].key;
        out->objects[i].module = c->mods[c->objs[i].module].id;
        out->n_objects = i + 1;
    }
    for (size_t m = 0; m < c->n_mods; m++) {
        out->modules[m].id = c->mods[m].id;
        out->modules[m].version = c->mods[m].version;
        out->modules[m].hash = c->mods[m].hash;
        out->modules[m].size = (uint32_t)c->mods[m].raw_size;
        out->modules[m].first = c->mods[m].first;
        out->modules[m].dii = (uint8_t)c->mods[m].dii;
    }
    out->n_modules = c->n_mods;
    return OC_OK;
}

const uint8_t *oc_carousel_ddb(const oc_carousel *c, size_t i, size_t b,
                               size_t *len)
{
    if (i >= c->n_mods || b >= c->mods[i].n_blocks) {
        *len = 0;
        return NULL;
    }
    const module *m = &c->mods[i];
    *len = m->ddb_off[b + 1] - m->ddb_off[b];
    return m->ddb.p + m->ddb_off[b];
}
