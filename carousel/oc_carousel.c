/*
 * From a tree to the sections of an object carousel (see oc_carousel.h
 * for the steps and their clauses).
 *
 * Packing happens before encoding: an object's encoded size does not
 * depend on where its children are (every IOR here has the same length),
 * so sizes are computed first, objects are assigned to modules, and only
 * then are the messages written with the final module ids in their IORs.
 */
#include "carousel/oc_carousel.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "carousel/oc_biop.h"
#include "carousel/oc_dsmcc.h"

/* ConnBinder and ModuleInfo timeouts (microseconds).  The tool does not
 * know the rate the carousel will be played out at, so rather than a
 * wrong bound it announces none (all ones) and a minBlockTime of 0; a
 * later --bitrate can compute real values. */
#define TIMEOUT_NONE 0xFFFFFFFFu

typedef struct {
    const oc_node *node;
    oc_kind kind;
    uint32_t key;
    size_t size;              /* encoded BIOP message */
    size_t module;            /* index into modules */
    size_t *kids;             /* object indices of a directory's children */
    size_t n_kids;
} obj;

typedef struct {
    uint16_t id;
    size_t first_obj, n_obj;  /* objects are contiguous in a module */
    size_t raw_size;
    uint8_t *data;            /* as sent (compressed or not) */
    size_t size;
    bool compressed;
    dvb_writer ddb;           /* every DDB section of the module */
    size_t *ddb_off;          /* n_blocks + 1 offsets into ddb */
    size_t n_blocks;
} module;

struct oc_carousel {
    oc_carousel_config cfg;
    oc_carousel_stats st;
    uint32_t dsi_tid, dii_tid;
    obj *objs;
    size_t n_objs, cap_objs;
    module *mods;
    size_t n_mods;
    dvb_writer dsi, dii;
};

static oc_err add_obj(oc_carousel *c, const oc_node *n, oc_kind k,
                      size_t *idx)
{
    if (c->n_objs == c->cap_objs) {
        size_t cap = c->cap_objs ? c->cap_objs * 2 : 64;
        obj *o = realloc(c->objs, cap * sizeof *o);
        if (!o)
            return OC_ENOMEM;
        c->objs = o;
        c->cap_objs = cap;
    }
    if (c->n_objs >= UINT32_MAX)
        return OC_ELIMIT;
    obj *o = &c->objs[c->n_objs];
    memset(o, 0, sizeof *o);
    o->node = n;
    o->kind = k;
    o->key = (uint32_t)c->n_objs + 1;
    *idx = c->n_objs++;
    return OC_OK;
}

/* Depth-first, parents before children: a directory and the files it
 * holds end up in the same or neighbouring modules. */
static oc_err flatten(oc_carousel *c, const oc_node *n, oc_kind k,
                      size_t *out_idx)
{
    size_t me;
    oc_err e = add_obj(c, n, k, &me);
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
    for (size_t i = 0; i < nk; i++) {
        const oc_node *ch = oc_node_child(n, i);
        size_t ci;
        e = flatten(c, ch, oc_node_is_dir(ch) ? OC_KIND_DIR : OC_KIND_FILE,
                    &ci);
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
        b[i].ref.transactionId = c->dii_tid;
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

static oc_err pack(oc_carousel *c)
{
    /* At most one module per object. */
    c->mods = calloc(c->n_objs, sizeof *c->mods);
    if (!c->mods)
        return OC_ENOMEM;
    size_t cur = SIZE_MAX;
    for (size_t i = 0; i < c->n_objs; i++) {
        obj *o = &c->objs[i];
        int big = o->size > c->cfg.module_size;
        if (cur == SIZE_MAX || big ||
            c->mods[cur].raw_size + o->size > c->cfg.module_size ||
            c->mods[cur].raw_size > c->cfg.module_size) {
            if (c->n_mods >= 0xFFFF)
                return OC_EDII;         /* moduleId is 16 bits */
            cur = c->n_mods++;
            c->mods[cur].id = (uint16_t)(cur + 1);
            c->mods[cur].first_obj = i;
        }
        o->module = cur;
        c->mods[cur].n_obj++;
        c->mods[cur].raw_size += o->size;
        /* A big object closes its module so small ones start afresh. */
        if (big)
            c->mods[cur].raw_size = (size_t)c->cfg.module_size + 1;
    }
    /* raw_size was a packing cursor; recompute the real sizes. */
    for (size_t m = 0; m < c->n_mods; m++) {
        size_t s = 0;
        for (size_t i = 0; i < c->mods[m].n_obj; i++)
            s += c->objs[c->mods[m].first_obj + i].size;
        c->mods[m].raw_size = s;
    }
    return OC_OK;
}

static oc_err encode_module(oc_carousel *c, module *m, dvb_writer *w)
{
    for (size_t i = 0; i < m->n_obj; i++) {
        const obj *o = &c->objs[m->first_obj + i];
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
        e = oc_dsmcc_ddb(&msg, c->cfg.carousel_id, m->id,
                         c->cfg.module_version, (uint16_t)b,
                         m->data + off, len);
        /* 13818-6 9.2.2 / EN 301 192 clause 8: table_id_extension = moduleId,
         * version_number = moduleVersion mod 32, section_number =
         * blockNumber mod 256, last_section_number = that of the
         * module's last block. */
        if (!e)
            e = oc_dsmcc_section(&m->ddb, OC_TID_DDB, m->id,
                                 (uint8_t)(c->cfg.module_version & 0x1F),
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
        .transactionId = c->dii_tid,
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

    oc_dii_module *dm = calloc(c->n_mods, sizeof *dm);
    if (!dm && !e)
        e = OC_ENOMEM;
    for (size_t i = 0; i < c->n_mods && !e; i++) {
        const module *m = &c->mods[i];
        dm[i].moduleId = m->id;
        dm[i].moduleSize = (uint32_t)m->size;
        dm[i].moduleVersion = c->cfg.module_version;
        dm[i].moduleTimeOut = TIMEOUT_NONE;
        dm[i].blockTimeOut = TIMEOUT_NONE;
        dm[i].minBlockTime = 0;
        dm[i].association_tag = c->cfg.component_tag;
        dm[i].compressed = m->compressed;
        dm[i].original_size = (uint32_t)m->raw_size;
    }
    oc_dii dii = {
        .transactionId = c->dii_tid,
        .downloadId = c->cfg.carousel_id,
        .blockSize = c->cfg.block_size,
        .modules = dm,
        .n_modules = c->n_mods,
    };
    msg.len = 0;
    if (!e)
        e = oc_dsmcc_dii(&msg, &dii);
    dvb_writer_init(&c->dii, OC_SECTION_MAX);
    if (!e)
        e = oc_dsmcc_section(&c->dii, OC_TID_DSI_DII,
                             (uint16_t)(c->dii_tid & 0xFFFF), 0, 0, 0,
                             msg.p, msg.len);
    free(dm);
    dvb_writer_free(&msg);
    return e;
}

static oc_err build(oc_carousel *c, const oc_tree *tree)
{
    oc_err e = flatten(c, oc_tree_root(tree), OC_KIND_SRG, NULL);
    if (!e)
        e = size_objects(c);
    if (!e)
        e = pack(c);
    if (e)
        return e;
    /* Fail early, before encoding megabytes, when the DII cannot list
     * every module: each entry is at least as large as an uncompressed
     * one. */
    oc_dii_module probe = { 0 };
    size_t dii = oc_dsmcc_dii_fixed_size() +
                 c->n_mods * oc_dsmcc_dii_module_size(&probe);
    if (dii > OC_SECTION_BODY_MAX)
        return OC_EDII;
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
        e = compress_module(c, m);
        if (!e)
            e = make_ddbs(c, m);
        if (e)
            return e;
        c->st.modules++;
        c->st.compressed_modules += m->compressed;
        c->st.module_bytes += m->size;
        c->st.blocks += m->n_blocks;
    }
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
    oc_carousel *c = calloc(1, sizeof *c);
    if (!c)
        return OC_ENOMEM;
    c->cfg = *cfg;
    c->dsi_tid = OC_TID_MAKE(cfg->tid_version, 0, 0);
    c->dii_tid = OC_TID_MAKE(cfg->tid_version, 1, 0);
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
    for (size_t i = 0; i < c->n_objs; i++)
        free(c->objs[i].kids);
    free(c->objs);
    for (size_t i = 0; c->mods && i < c->n_mods; i++) {
        free(c->mods[i].data);
        free(c->mods[i].ddb_off);
        dvb_writer_free(&c->mods[i].ddb);
    }
    free(c->mods);
    dvb_writer_free(&c->dsi);
    dvb_writer_free(&c->dii);
    free(c);
}

void oc_carousel_get_stats(const oc_carousel *c, oc_carousel_stats *st)
{
    *st = c->st;
}

uint32_t oc_carousel_dsi_tid(const oc_carousel *c) { return c->dsi_tid; }
uint32_t oc_carousel_dii_tid(const oc_carousel *c) { return c->dii_tid; }

const uint8_t *oc_carousel_dsi(const oc_carousel *c, size_t *len)
{
    *len = c->dsi.len;
    return c->dsi.p;
}

const uint8_t *oc_carousel_dii(const oc_carousel *c, size_t *len)
{
    *len = c->dii.len;
    return c->dii.p;
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
    mi->moduleVersion = c->cfg.module_version;
    mi->moduleSize = (uint32_t)m->size;
    mi->original_size = (uint32_t)m->raw_size;
    mi->compressed = m->compressed;
    mi->objects = m->n_obj;
    mi->blocks = m->n_blocks;
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
