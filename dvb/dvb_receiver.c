/*
 * The receiver: transport stream in, object stores out.
 *
 *   bytes -> dvb_ts (sync) -> packets -> dvb_psi (PAT/PMT, when the PID
 *   is not given) and dvb_secasm (sections of the carousel's PIDs)
 *   -> DSI / DII / DDB (dvb_dsmcc) -> modules (dvb_module)
 *   -> BIOP objects and tree (dvb_tree) -> dvb_store
 *
 * Acquisition (TR 101 202 4.6-4.7, EN 301 192 8): the DSI gives the
 * ServiceGateway's IOR; DIIs list modules; DDBs fill them.  A store is
 * built when every module of every DII in hand is complete and the tree
 * from the ServiceGateway resolves; until then the previous store stays
 * published, so a viewer never sees half an update.
 *
 * Updates (TR 101 202 4.6.6, ES 202 184 on version handling): a DII is
 * known by the "identification" bits of its transactionId (bits 15..1,
 * TR 101 202 table 4.2); a new transactionId for the same identification
 * (or a DII that lists a module another DII already lists) replaces the
 * old DII.  Modules whose id, version and sizes are unchanged move to the
 * new DII as they are, complete or partial; the others start again.
 *
 * Taps: a DII module's BIOP_OBJECT_USE tap and the gateway's delivery tap
 * name an elementary stream by association_tag; with PMT signalling the
 * receiver maps those to PIDs through the stream_identifier descriptors
 * and collects sections there too.  Without PMT (a PID given by the
 * caller) everything is read from that PID.
 *
 * PMT updates (13818-1 2.4.4.8): a new PMT version that moves the
 * carousel restarts acquisition on the new PID; one that drops it stops
 * acquisition.  The published store stays in both cases.
 *
 * Ceilings (docs/receiver-protocol.md 8): checked when a DII arrives,
 * before anything is allocated for it; a refused DII blocks publishing
 * for the whole carousel version, never a store with holes.
 *
 * Change lists: each published store is compared with the previous one
 * (dvb_store_diff) and listeners get DVB_EV_STORE_CHANGED.
 *
 * Partial views (dvb_receiver_partial_store) are built only when asked
 * for, from the modules complete so far, and cached until something
 * changes.
 *
 * Cost: most of a carousel's sections are repetitions.  DDBs of blocks
 * already held are recognised on their first packet (want_section) and
 * passed over uncopied and unchecked; what is kept is checked whole.
 * Module memory comes from the receiver's dvb_pages (huge pages where
 * the kernel allows), and stores share it: a carousel is held once.
 *
 * Reentrancy: log and on_event callbacks may call dvb_receiver_store(),
 * dvb_receiver_partial_store(), dvb_receiver_service_name() and
 * dvb_receiver_progress() but not push or destroy the receiver.
 */
#include "dvb/dvb.h"

#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_internal.h"
#include "dvb/dvb_module.h"
#include "dvb/dvb_psi.h"
#include "dvb/dvb_store.h"
#include "dvb/dvb_tree.h"
#include "dvb/dvb_ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIDS 8
#define MAX_DIIS 32
#define DEFAULT_MAX_MODULE ((size_t)16 << 20)
#define DEFAULT_MAX_STORE ((size_t)64 << 20)

/* A DDB that arrived before the DII announcing its module. */
typedef struct early_block {
    struct early_block *next;
    uint32_t downloadId;
    uint16_t moduleId;
    uint8_t moduleVersion;
    uint16_t blockNumber;
    size_t len;
    uint8_t data[];
} early_block;

#define MAX_EARLY_BLOCKS 4096
/* Carousel cycles to wait for a DII that references name before treating
 * it as absent (docs/receiver-protocol.md 7): a cycle is counted when
 * block 0 of every module in hand, even the least repeated one, has come
 * round again. */
#define WAIT_CYCLES 3

typedef struct {
    uint32_t transactionId;
    uint32_t downloadId;
    uint16_t blockSize;
    size_t nmods;
    dvb_module **mods;
    unsigned *rep0;            /* repeats of each module's block 0 seen */
} dii_state;

struct dvb_receiver {
    dvb_receiver_config cfg;
    dvb_logger log;
    dvb_pages *pages;          /* module memory; NULL: malloc */
    dvb_ts *ts;
    dvb_psi *psi;
    dvb_secasm *secs[MAX_PIDS];
    int sec_pid[MAX_PIDS];     /* the PID of each, looked at per packet */
    size_t nsecs;
    bool announced;            /* DVB_EV_CAROUSEL_FOUND sent */
    int pid;
    bool have_psi_carousel;
    dvb_psi_carousel car;

    bool have_dsi;
    uint32_t dsi_tid;
    dvb_ior gateway;           /* objectKey points into gateway_key */
    uint8_t gateway_key[256];
    bool have_carousel_id;
    uint32_t carousel_id;

    dii_state diis[MAX_DIIS];
    size_t ndiis;
    bool rejected_valid;       /* last refused DII, not to log each cycle */
    uint32_t rejected_tid;

    early_block *early;        /* newest first */
    size_t early_count;
    size_t early_bytes;

    bool dirty;                /* something changed since the last build */
    dvb_store *store;
    dvb_store *partial;        /* cached partial view, or NULL */
    bool partial_dirty;        /* the cached view is out of date */
    bool waiting_dii;          /* complete, but references name a DII not in hand */
    bool give_up_dii;          /* stopped waiting: build without it */
    bool over_limit;           /* a DII of the carousel was refused */
    uint32_t over_limit_tid;
    bool oom;
    uint64_t packets;
    uint64_t sections_bad;
    uint64_t blocks_stored;
    uint64_t modules_assembled;
    uint64_t blocks_repeated;
    char service_name[1024];   /* "" until the SDT names the service */
};

static void emit(dvb_receiver *r, dvb_event_type type, const char *msg,
                 uint32_t version)
{
    if (!r->cfg.on_event)
        return;
    dvb_event ev = { type, msg, version, NULL, 0 };
    r->cfg.on_event(r->cfg.ud, &ev);
}

/* Something that a store or the partial view depends on changed. */
static void mark_dirty(dvb_receiver *r)
{
    r->dirty = true;
    r->partial_dirty = true;
}

/* Damaged input: logged, counted, reported as DVB_EV_STREAM_ERROR. */
static void stream_error(dvb_receiver *r, bool count, const char *what,
                         dvb_err e)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", what, dvb_strerror(e));
    if (e == DVB_ENOMEM) {
        r->oom = true;
        dvb_logf(&r->log, DVB_LOG_ERROR, "%s", msg);
        return;
    }
    if (count)
        r->sections_bad++;
    dvb_logf(&r->log, DVB_LOG_WARN, "%s", msg);
    emit(r, DVB_EV_STREAM_ERROR, msg, 0);
}

static void on_section(void *ud, int pid, const uint8_t *sec, size_t len);
static dvb_section_want want_section(void *ud, int pid, const uint8_t *head,
                                     size_t n, size_t sec_len);
static void on_names(void *ud);
static void early_clear(dvb_receiver *r);
static void early_apply(dvb_receiver *r, uint32_t downloadId, dvb_module *mod);

static void add_pid(dvb_receiver *r, int pid)
{
    for (size_t i = 0; i < r->nsecs; i++)
        if (dvb_secasm_pid(r->secs[i]) == pid)
            return;
    if (r->nsecs == MAX_PIDS) {
        dvb_logf(&r->log, DVB_LOG_WARN,
                 "carousel spans more than %d PIDs; PID 0x%04X ignored",
                 MAX_PIDS, (unsigned)pid);
        return;
    }
    dvb_err e = dvb_secasm_create(pid, on_section, r, &r->log,
                                  &r->secs[r->nsecs]);
    if (e) {
        stream_error(r, false, "section filter", e);
        return;
    }
    dvb_secasm_set_want(r->secs[r->nsecs], want_section);
    r->sec_pid[r->nsecs] = pid;
    r->nsecs++;
}

/* Follows a tap's association_tag to a PID (PMT signalling only). */
static void add_tap_pid(dvb_receiver *r, uint16_t association_tag)
{
    if (!r->have_psi_carousel)
        return;
    int pid = dvb_psi_carousel_tag_pid(&r->car, association_tag);
    if (pid >= 0)
        add_pid(r, pid);
}

static void dii_free(dii_state *d)
{
    for (size_t i = 0; i < d->nmods; i++)
        dvb_module_destroy(d->mods[i]);
    free(d->mods);
    free(d->rep0);
    memset(d, 0, sizeof *d);
}

static size_t max_module(const dvb_receiver *r)
{
    return r->cfg.max_module_bytes ? r->cfg.max_module_bytes
                                   : DEFAULT_MAX_MODULE;
}

static size_t max_store(const dvb_receiver *r)
{
    return r->cfg.max_store_bytes ? r->cfg.max_store_bytes
                                  : DEFAULT_MAX_STORE;
}

static uint64_t module_cost(const dvb_dii_module *m)
{
    /* While a compressed module inflates, both forms are in memory. */
    return (uint64_t)m->moduleSize + (m->compressed ? m->original_size : 0);
}

/* The modules of every DII in hand, for dvb_tree_build (blob NULL for
 * incomplete ones); *gw_version is the transactionId of the DII that
 * lists the gateway's module.  NULL when out of memory. */
static dvb_tree_module *collect(dvb_receiver *r, size_t *n,
                                uint32_t *gw_version)
{
    size_t total = 0;
    for (size_t i = 0; i < r->ndiis; i++)
        total += r->diis[i].nmods;
    dvb_tree_module *mods = calloc(total ? total : 1, sizeof *mods);
    if (!mods) {
        r->oom = true;
        return NULL;
    }
    *gw_version = r->ndiis ? r->diis[0].transactionId : 0;
    size_t k = 0;
    for (size_t i = 0; i < r->ndiis; i++) {
        for (size_t j = 0; j < r->diis[i].nmods; j++) {
            const dvb_module *m = r->diis[i].mods[j];
            mods[k].moduleId = dvb_module_info(m)->moduleId;
            mods[k].blob = dvb_module_blob(m);
            if (mods[k].moduleId == r->gateway.moduleId)
                *gw_version = r->diis[i].transactionId;
            k++;
        }
    }
    *n = k;
    return mods;
}

/* Publishes s, tells listeners what changed, and drops what the new
 * store makes useless. */
static void publish(dvb_receiver *r, dvb_store *s, uint32_t version)
{
    dvb_change *changes = NULL;
    size_t nchanges = 0;
    dvb_err e = dvb_store_diff(r->store, s, &changes, &nchanges);
    if (e)
        r->oom = true;
    /* Readers holding the old store keep it: its blobs are reference
     * counted, so the swap is one pointer (TR 101 202 4.7.6). */
    dvb_store *old = r->store;
    r->store = s;
    dvb_store_release(r->partial);
    r->partial = NULL;
    /* Whatever is still kept belongs to no module of this carousel. */
    early_clear(r);
    /* Every module is in: the unused rest of the last huge page goes back
     * (an update maps afresh). */
    dvb_pages_trim(r->pages);
    dvb_logf(&r->log, DVB_LOG_INFO,
             "store 0x%08X published: %zu entries, %zu changes",
             (unsigned)version, dvb_store_count(s), nchanges);
    emit(r, DVB_EV_STORE_READY, NULL, version);
    if (!e && r->cfg.on_event) {
        dvb_event ev = { DVB_EV_STORE_CHANGED, NULL, version, changes,
                         nchanges };
        r->cfg.on_event(r->cfg.ud, &ev);
    }
    free(changes);
    dvb_store_release(old);
}

static void try_build(dvb_receiver *r)
{
    if (!r->dirty || !r->have_dsi || r->ndiis == 0)
        return;
    if (r->over_limit)
        return;                /* never half a carousel (docs 7) */
    for (size_t i = 0; i < r->ndiis; i++)
        for (size_t k = 0; k < r->diis[i].nmods; k++)
            if (!dvb_module_complete(r->diis[i].mods[k]))
                return;
    size_t n;
    uint32_t version;
    dvb_tree_module *mods = collect(r, &n, &version);
    if (!mods)
        return;
    uint32_t tids[MAX_DIIS];
    for (size_t i = 0; i < r->ndiis; i++)
        tids[i] = r->diis[i].transactionId;
    dvb_store *s = NULL;
    unsigned skipped = 0;
    dvb_err e = dvb_tree_build(mods, n, r->give_up_dii ? NULL : tids, r->ndiis,
                               &r->gateway, version, false, &r->log, &s,
                               &skipped);
    free(mods);
    if (e == DVB_ENOTYET) {
        /* Every listed module is complete, so it is a DII not in hand:
         * count carousel cycles from here. */
        if (!r->waiting_dii)
            for (size_t i = 0; i < r->ndiis; i++)
                memset(r->diis[i].rep0, 0,
                       r->diis[i].nmods * sizeof *r->diis[i].rep0);
        r->waiting_dii = true;
        return;
    }
    r->waiting_dii = false;
    if (e == DVB_ENOENT) {
        /* The gateway's module may be announced by a DII not seen yet. */
        dvb_logf(&r->log, DVB_LOG_DEBUG, "ServiceGateway not in hand yet");
        return;
    }
    r->dirty = false;
    if (e) {
        stream_error(r, false, "object carousel", e);
        return;
    }
    if (skipped) {
        char msg[96];
        snprintf(msg, sizeof msg, "%u damaged objects or bindings skipped",
                 skipped);
        emit(r, DVB_EV_STREAM_ERROR, msg, 0);
    }
    publish(r, s, version);
}

static void handle_dsi(dvb_receiver *r, const dvb_dsmcc_msg *m)
{
    if (r->have_dsi && m->transactionId == r->dsi_tid)
        return;                /* the usual repetition */
    dvb_dsi dsi;
    dvb_err e = dvb_dsi_parse(m, &dsi);
    if (e) {
        stream_error(r, true, "DSI", e);
        return;
    }
    const dvb_ior *g = &dsi.service_gateway;
    if (r->cfg.carousel_id >= 0 &&
        g->carouselId != (uint32_t)r->cfg.carousel_id) {
        dvb_logf(&r->log, DVB_LOG_DEBUG, "DSI of carousel %u ignored",
                 (unsigned)g->carouselId);
        return;
    }
    r->have_dsi = true;
    r->dsi_tid = m->transactionId;
    r->gateway = *g;
    memcpy(r->gateway_key, g->objectKey, g->objectKey_length);
    r->gateway.objectKey = r->gateway_key;
    r->have_carousel_id = true;
    r->carousel_id = g->carouselId;
    /* A new DSI may announce a new version that fits the ceilings; a
     * refused DII is looked at again (and refused again if it still does
     * not fit, so the refusal cannot lapse into a half-loaded store). */
    r->over_limit = false;
    r->rejected_valid = false;
    mark_dirty(r);
    if (g->has_tap)
        add_tap_pid(r, g->tap.association_tag);
    dvb_logf(&r->log, DVB_LOG_INFO,
             "DSI 0x%08X: carousel %u, gateway in module 0x%04X",
             (unsigned)m->transactionId, (unsigned)g->carouselId,
             (unsigned)g->moduleId);
    try_build(r);
}

static bool same_module(const dvb_dii_module *a, const dvb_dii_module *b)
{
    return a->moduleId == b->moduleId && a->moduleVersion == b->moduleVersion &&
           a->moduleSize == b->moduleSize && a->compressed == b->compressed &&
           (!a->compressed || a->original_size == b->original_size);
}

static void handle_dii(dvb_receiver *r, const dvb_dsmcc_msg *m)
{
    /* The usual repetition: same transactionId, same DII. */
    for (size_t i = 0; i < r->ndiis; i++)
        if (r->diis[i].transactionId == m->transactionId)
            return;
    if (r->rejected_valid && r->rejected_tid == m->transactionId)
        return;
    dvb_dii dii;
    dvb_err e = dvb_dii_parse(m, &dii);
    if (e) {
        stream_error(r, true, "DII", e);
        return;
    }
    if (r->cfg.carousel_id >= 0 &&
        dii.downloadId != (uint32_t)r->cfg.carousel_id) {
        /* EN 301 192 8.1.3: an object carousel's downloadId is its
         * carousel_id, so this DII belongs to another carousel. */
        dvb_dii_clear(&dii);
        return;
    }
    /* Which DIIs does this one replace? */
    bool replaced[MAX_DIIS] = { false };
    uint16_t ident = (uint16_t)(m->transactionId & 0xFFFEu);
    for (size_t i = 0; i < r->ndiis; i++) {
        dii_state *d = &r->diis[i];
        if ((uint16_t)(d->transactionId & 0xFFFEu) == ident)
            replaced[i] = true;
        for (size_t k = 0; k < d->nmods && !replaced[i]; k++)
            for (size_t j = 0; j < dii.numberOfModules; j++)
                if (dvb_module_info(d->mods[k])->moduleId ==
                    dii.modules[j].moduleId)
                    replaced[i] = true;
    }
    /* Ceilings, before allocating anything for this DII. */
    uint64_t cost = 0;
    for (size_t i = 0; i < r->ndiis; i++)
        if (!replaced[i])
            for (size_t k = 0; k < r->diis[i].nmods; k++)
                cost += module_cost(dvb_module_info(r->diis[i].mods[k]));
    const char *why = NULL;
    for (size_t j = 0; j < dii.numberOfModules; j++) {
        const dvb_dii_module *mi = &dii.modules[j];
        if (mi->moduleSize > max_module(r) ||
            (mi->compressed && mi->original_size > max_module(r)))
            why = "a module is over the per-module ceiling";
        cost += module_cost(mi);
    }
    if (!why && cost > max_store(r))
        why = "modules are over the store ceiling";
    size_t slots = 0;
    for (size_t i = 0; i < r->ndiis; i++)
        slots += !replaced[i];
    if (!why && slots >= MAX_DIIS)
        why = "too many DIIs";
    if (why) {
        char msg[128];
        snprintf(msg, sizeof msg, "DII 0x%08X refused: %s",
                 (unsigned)m->transactionId, why);
        r->rejected_valid = true;
        r->rejected_tid = m->transactionId;
        dvb_dii_clear(&dii);
        stream_error(r, false, msg, DVB_ELIMIT);
        /* The carousel does not fit: nothing of this version is
         * published, rather than a tree with holes. */
        r->over_limit = true;
        r->over_limit_tid = m->transactionId;
        emit(r, DVB_EV_OVER_LIMIT, msg, m->transactionId);
        return;
    }

    dii_state nd;
    memset(&nd, 0, sizeof nd);
    nd.transactionId = m->transactionId;
    nd.downloadId = dii.downloadId;
    nd.blockSize = dii.blockSize;
    nd.mods = calloc(dii.numberOfModules ? dii.numberOfModules : 1,
                     sizeof *nd.mods);
    nd.rep0 = calloc(dii.numberOfModules ? dii.numberOfModules : 1,
                     sizeof *nd.rep0);
    if (!nd.mods || !nd.rep0) {
        free(nd.mods);
        free(nd.rep0);
        dvb_dii_clear(&dii);
        r->oom = true;
        return;
    }
    for (size_t j = 0; j < dii.numberOfModules; j++) {
        const dvb_dii_module *mi = &dii.modules[j];
        dvb_module *keep = NULL;
        /* An unchanged module moves over, with the blocks it has. */
        for (size_t i = 0; i < r->ndiis && !keep; i++) {
            dii_state *d = &r->diis[i];
            if (!replaced[i] || d->blockSize != dii.blockSize)
                continue;
            for (size_t k = 0; k < d->nmods; k++) {
                if (d->mods[k] && same_module(dvb_module_info(d->mods[k]), mi)) {
                    keep = d->mods[k];
                    d->mods[k] = NULL;
                    break;
                }
            }
        }
        if (!keep) {
            e = dvb_module_create(mi, dii.blockSize, max_module(r), r->pages,
                                  &keep);
            if (e) {
                nd.nmods = j;
                dii_free(&nd);
                dvb_dii_clear(&dii);
                stream_error(r, true, "DII module", e);
                return;
            }
        }
        nd.mods[j] = keep;
        nd.nmods = j + 1;
        if (r->early)
            early_apply(r, dii.downloadId, keep);
        if (mi->has_tap)
            add_tap_pid(r, mi->association_tag);
    }
    /* Commit: drop the replaced DIIs, append the new one. */
    size_t w = 0;
    for (size_t i = 0; i < r->ndiis; i++) {
        if (replaced[i])
            dii_free(&r->diis[i]);
        else
            r->diis[w++] = r->diis[i];
    }
    r->ndiis = w;
    r->diis[r->ndiis++] = nd;
    r->waiting_dii = false;
    r->give_up_dii = false;
    /* The refused DII has been replaced by one that fits. */
    if (r->over_limit && (uint16_t)(r->over_limit_tid & 0xFFFEu) == ident)
        r->over_limit = false;
    dvb_logf(&r->log, DVB_LOG_INFO,
             "DII 0x%08X: downloadId %u, %u modules, blockSize %u",
             (unsigned)m->transactionId, (unsigned)dii.downloadId,
             (unsigned)dii.numberOfModules, (unsigned)dii.blockSize);
    dvb_dii_clear(&dii);
    mark_dirty(r);
    try_build(r);
}

static void early_clear(dvb_receiver *r)
{
    while (r->early) {
        early_block *b = r->early;
        r->early = b->next;
        free(b);
    }
    r->early_count = 0;
    r->early_bytes = 0;
}

/* A receiver that tunes in just after a DII would otherwise throw away a
 * whole cycle of DDBs while waiting for the next one.  Keeping them
 * (within the store ceiling) lets a carousel complete in one cycle from
 * any entry point, which is most of the time to first menu. */
static void early_keep(dvb_receiver *r, const dvb_ddb *d)
{
    for (early_block *b = r->early; b; b = b->next)
        if (b->downloadId == d->downloadId && b->moduleId == d->moduleId &&
            b->moduleVersion == d->moduleVersion &&
            b->blockNumber == d->blockNumber)
            return;
    if (r->early_count >= MAX_EARLY_BLOCKS ||
        d->blockData_len > max_store(r) - r->early_bytes)
        return;
    early_block *b = malloc(sizeof *b + d->blockData_len);
    if (!b)
        return;                /* an optimisation only: not an error */
    b->downloadId = d->downloadId;
    b->moduleId = d->moduleId;
    b->moduleVersion = d->moduleVersion;
    b->blockNumber = d->blockNumber;
    b->len = d->blockData_len;
    memcpy(b->data, d->blockData, d->blockData_len);
    b->next = r->early;
    r->early = b;
    r->early_count++;
    r->early_bytes += b->len;
}

/* Hands kept blocks to a module just announced. */
static void early_apply(dvb_receiver *r, uint32_t downloadId, dvb_module *mod)
{
    const dvb_dii_module *mi = dvb_module_info(mod);
    early_block **pp = &r->early;
    while (*pp) {
        early_block *b = *pp;
        if (b->downloadId == downloadId && b->moduleId == mi->moduleId) {
            if (b->moduleVersion == mi->moduleVersion &&
                !dvb_module_complete(mod)) {
                uint64_t before = dvb_module_blocks_stored(mod);
                dvb_err e = dvb_module_add_block(mod, b->blockNumber, b->data,
                                                 b->len);
                r->blocks_stored += dvb_module_blocks_stored(mod) - before;
                if (!e && dvb_module_complete(mod))
                    r->modules_assembled++;
                if (e && e != DVB_ESYNTAX)
                    stream_error(r, false, "module", e);
            }
            *pp = b->next;
            r->early_count--;
            r->early_bytes -= b->len;
            free(b);
            continue;
        }
        pp = &b->next;
    }
}

static void handle_ddb(dvb_receiver *r, const dvb_dsmcc_msg *m)
{
    dvb_ddb ddb;
    dvb_err e = dvb_ddb_parse(m, &ddb);
    if (e) {
        stream_error(r, true, "DDB", e);
        return;
    }
    for (size_t i = 0; i < r->ndiis; i++) {
        dii_state *d = &r->diis[i];
        if (d->downloadId != ddb.downloadId)
            continue;
        for (size_t k = 0; k < d->nmods; k++) {
            dvb_module *mod = d->mods[k];
            const dvb_dii_module *mi = dvb_module_info(mod);
            if (mi->moduleId != ddb.moduleId)
                continue;
            if (dvb_module_complete(mod) &&
                mi->moduleVersion == ddb.moduleVersion)
                return;        /* the usual repetition */
            if (mi->moduleVersion != ddb.moduleVersion) {
                /* Probably a new version ahead of its DII. */
                early_keep(r, &ddb);
                return;
            }
            uint64_t before = dvb_module_blocks_stored(mod);
            e = dvb_module_add_block(mod, ddb.blockNumber, ddb.blockData,
                                     ddb.blockData_len);
            r->blocks_stored += dvb_module_blocks_stored(mod) - before;
            if (e) {
                char what[64];
                snprintf(what, sizeof what, "module 0x%04X block %u",
                         (unsigned)ddb.moduleId, (unsigned)ddb.blockNumber);
                stream_error(r, e == DVB_ESYNTAX, what, e);
                return;
            }
            if (dvb_module_complete(mod)) {
                dvb_logf(&r->log, DVB_LOG_DEBUG, "module 0x%04X complete",
                         (unsigned)ddb.moduleId);
                r->modules_assembled++;
                mark_dirty(r);
                try_build(r);
            }
            return;
        }
    }
    early_keep(r, &ddb);
}

/* Whether a DDB section, by its header alone, carries a block already
 * held: a module of that downloadId, id and version that is complete or
 * has the block.  Such a section is the carousel's next cycle and is
 * dropped before its CRC is computed (most sections of a looping
 * carousel are), mostly before it is even collected (want_section).
 * A damaged header can only make it look like a block already held,
 * i.e. drop a section that its CRC would have dropped.  len is what is
 * in hand of the section; *enough is false when that is too little to
 * tell. */
static bool ddb_already_held(const dvb_receiver *r, const uint8_t *sec,
                             size_t len, bool *enough, size_t *di,
                             size_t *mi_at, uint16_t *blockNumber)
{
    /* section header 8, dsmccDownloadDataHeader 12 (13818-6 7.2), then
     * adaptation bytes, then moduleId, moduleVersion, reserved,
     * blockNumber (7.3.8). */
    *enough = false;
    if (len < 20)
        return false;
    size_t at = 20u + sec[17];
    if (len < at + 6)
        return false;
    *enough = true;
    uint32_t downloadId = ((uint32_t)sec[12] << 24) |
                          ((uint32_t)sec[13] << 16) |
                          ((uint32_t)sec[14] << 8) | sec[15];
    uint16_t moduleId = (uint16_t)((sec[at] << 8) | sec[at + 1]);
    uint8_t version = sec[at + 2];
    uint16_t block = (uint16_t)((sec[at + 4] << 8) | sec[at + 5]);
    for (size_t i = 0; i < r->ndiis; i++) {
        const dii_state *d = &r->diis[i];
        if (d->downloadId != downloadId)
            continue;
        for (size_t k = 0; k < d->nmods; k++) {
            const dvb_dii_module *mi = dvb_module_info(d->mods[k]);
            if (mi->moduleId == moduleId) {
                *di = i;
                *mi_at = k;
                *blockNumber = block;
                return mi->moduleVersion == version &&
                       dvb_module_has_block(d->mods[k], block);
            }
        }
    }
    return false;
}

static void count_cycle(dvb_receiver *r, size_t di, size_t mi_at);

/* The section assembler asks this with the first bytes of each section
 * that spans packets: a DDB of a block already held (the usual
 * repetition) and tables that are not DSM-CC are passed over uncopied.
 * Everything kept is still checked whole (CRC_32 or checksum) in
 * on_section; skipping only ever drops. */
static dvb_section_want want_section(void *ud, int pid, const uint8_t *head,
                                     size_t n, size_t sec_len)
{
    dvb_receiver *r = ud;
    (void)pid;
    if (head[0] == DVB_TID_DSMCC_UN)
        return DVB_SECTION_KEEP;
    if (head[0] != DVB_TID_DSMCC_DDB)
        return DVB_SECTION_SKIP;   /* on_section ignores them anyway */
    bool enough;
    size_t di, mi_at;
    uint16_t block;
    bool held = ddb_already_held(r, head, n, &enough, &di, &mi_at, &block);
    if (!enough)
        /* Too short to hold the header at all: on_section reports it. */
        return n < sec_len ? DVB_SECTION_MORE : DVB_SECTION_KEEP;
    if (!held)
        return DVB_SECTION_KEEP;
    r->blocks_repeated++;
    if (r->waiting_dii && block == 0)
        count_cycle(r, di, mi_at);
    return DVB_SECTION_SKIP;
}

/* While waiting for a DII that references name: one more repeat of a
 * module's block 0.  Once every module in hand (those with blocks) has
 * come round WAIT_CYCLES times, the DII is not on air: publish without
 * what it would have held.  Counting the least repeated module copes
 * with carousels that repeat some modules (the first screen's) more
 * often than others. */
static void count_cycle(dvb_receiver *r, size_t di, size_t mi_at)
{
    if (r->give_up_dii)
        return;
    r->diis[di].rep0[mi_at]++;
    for (size_t i = 0; i < r->ndiis; i++)
        for (size_t k = 0; k < r->diis[i].nmods; k++)
            if (dvb_module_info(r->diis[i].mods[k])->moduleSize > 0 &&
                r->diis[i].rep0[k] < WAIT_CYCLES)
                return;
    dvb_logf(&r->log, DVB_LOG_WARN,
             "a DII named by object references never came in %d cycles; "
             "publishing without its modules", WAIT_CYCLES);
    r->give_up_dii = true;
    mark_dirty(r);
    try_build(r);
}

static void on_section(void *ud, int pid, const uint8_t *sec, size_t len)
{
    dvb_receiver *r = ud;
    (void)pid;
    if (len < 1 || (sec[0] != DVB_TID_DSMCC_UN && sec[0] != DVB_TID_DSMCC_DDB))
        return;                /* stream descriptors, datagrams, others */
    size_t di, mi_at;
    uint16_t block;
    bool enough;
    if (sec[0] == DVB_TID_DSMCC_DDB &&
        ddb_already_held(r, sec, len, &enough, &di, &mi_at, &block)) {
        r->blocks_repeated++;
        if (r->waiting_dii && block == 0)
            count_cycle(r, di, mi_at);
        return;
    }
    dvb_dsmcc_section s;
    dvb_err e = dvb_dsmcc_section_parse(sec, len, &s);
    if (e) {
        stream_error(r, true, "DSM-CC section", e);
        return;
    }
    dvb_dsmcc_msg m;
    e = dvb_dsmcc_msg_parse(s.payload, s.payload_len, &m);
    if (e) {
        stream_error(r, true, "DSM-CC message header", e);
        return;
    }
    if (s.table_id == DVB_TID_DSMCC_UN) {
        if (m.messageId == DVB_MSG_DSI)
            handle_dsi(r, &m);
        else if (m.messageId == DVB_MSG_DII)
            handle_dii(r, &m);
    } else if (m.messageId == DVB_MSG_DDB) {
        handle_ddb(r, &m);
    }
}

/* Forgets everything collected for the carousel (not the published
 * store, which stays valid for its readers until a new one replaces it):
 * after a PMT moved or removed it, sections from the old PIDs mean
 * nothing. */
static void reset_acquisition(dvb_receiver *r)
{
    for (size_t i = 0; i < r->nsecs; i++)
        dvb_secasm_destroy(r->secs[i]);
    r->nsecs = 0;
    for (size_t i = 0; i < r->ndiis; i++)
        dii_free(&r->diis[i]);
    r->ndiis = 0;
    r->have_dsi = false;
    r->rejected_valid = false;
    r->over_limit = false;
    early_clear(r);
    dvb_store_release(r->partial);
    r->partial = NULL;
    r->dirty = false;
    r->partial_dirty = true;
    r->waiting_dii = false;
    r->give_up_dii = false;
}

/* Every PMT version of a wanted program (13818-1 2.4.4.8). */
static void on_found(void *ud, uint16_t program_number,
                     const dvb_psi_carousel *c)
{
    dvb_receiver *r = ud;
    if (r->have_psi_carousel && program_number != r->car.program_number)
        return;                /* stay with the service chosen first */
    if (!c) {
        if (!r->have_psi_carousel)
            return;
        char msg[96];
        snprintf(msg, sizeof msg,
                 "service %u: the PMT no longer signals the carousel",
                 (unsigned)program_number);
        dvb_logf(&r->log, DVB_LOG_WARN, "%s", msg);
        reset_acquisition(r);
        r->have_psi_carousel = false;
        r->pid = -1;
        emit(r, DVB_EV_CAROUSEL_LOST, msg, 0);
        /* Another service of the multiplex may carry one (only when no
         * service was asked for: the PAT layer tracks just that one). */
        dvb_psi_reoffer(r->psi, program_number);
        return;
    }
    if (r->have_psi_carousel && c->pid == r->car.pid) {
        /* Same stream; component tags may have moved: follow the taps
         * already known to their new PIDs. */
        r->car = *c;
        if (r->have_dsi && r->gateway.has_tap)
            add_tap_pid(r, r->gateway.tap.association_tag);
        for (size_t i = 0; i < r->ndiis; i++)
            for (size_t k = 0; k < r->diis[i].nmods; k++) {
                const dvb_dii_module *mi = dvb_module_info(r->diis[i].mods[k]);
                if (mi->has_tap)
                    add_tap_pid(r, mi->association_tag);
            }
        return;
    }
    bool moved = r->have_psi_carousel;
    if (moved)
        reset_acquisition(r);
    r->car = *c;
    r->have_psi_carousel = true;
    r->pid = c->pid;
    if (c->has_carousel_id) {
        r->have_carousel_id = true;
        r->carousel_id = c->carousel_id;
    }
    add_pid(r, c->pid);
    if (moved) {
        char msg[96];
        snprintf(msg, sizeof msg, "service %u: carousel moved to PID 0x%04X",
                 (unsigned)program_number, (unsigned)c->pid);
        dvb_logf(&r->log, DVB_LOG_INFO, "%s", msg);
        emit(r, DVB_EV_CAROUSEL_MOVED, msg, 0);
        return;
    }
    r->announced = true;
    emit(r, DVB_EV_CAROUSEL_FOUND, NULL, 0);
    on_names(r);               /* the SDT may have come first */
}

static void on_names(void *ud)
{
    dvb_receiver *r = ud;
    if (!r->have_psi_carousel)
        return;
    const char *name = dvb_psi_service_name(r->psi, r->car.program_number);
    if (name && strcmp(name, r->service_name) != 0) {
        snprintf(r->service_name, sizeof r->service_name, "%s", name);
        emit(r, DVB_EV_SERVICE_NAME, r->service_name, 0);
    }
}

static void on_packet(void *ud, const uint8_t *pkt)
{
    dvb_receiver *r = ud;
    r->packets++;
    int pid = dvb_ts_pid(pkt);
    if (pid == 0x1FFF)
        return;                /* null packets */
    if (r->psi && !(pkt[1] & 0x80))
        dvb_psi_push(r->psi, pkt);
    for (size_t i = 0; i < r->nsecs; i++)
        if (r->sec_pid[i] == pid)
            dvb_secasm_push(r->secs[i], pkt);
}

dvb_err dvb_receiver_create(const dvb_receiver_config *cfg, dvb_receiver **out)
{
    if (!cfg || !out || cfg->pid < -1 || cfg->pid > 0x1FFF ||
        cfg->service_id < -1 || cfg->service_id > 0xFFFF ||
        cfg->carousel_id < -1 || cfg->carousel_id > (int64_t)UINT32_MAX)
        return DVB_EINVAL;
    *out = NULL;
    dvb_receiver *r = calloc(1, sizeof *r);
    if (!r)
        return DVB_ENOMEM;
    r->cfg = *cfg;
    r->log.fn = cfg->log;
    r->log.ud = cfg->ud;
    r->pid = cfg->pid;
    r->pages = dvb_pages_create();     /* NULL is fine: malloc then */
    dvb_err e = dvb_ts_create(on_packet, r, &r->log, &r->ts);
    if (!e && cfg->pid >= 0) {
        add_pid(r, cfg->pid);
        if (r->nsecs == 0)
            e = DVB_ENOMEM;
    }
    if (!e && cfg->pid < 0)
        e = dvb_psi_create(cfg->service_id, cfg->carousel_id, on_found, r,
                           &r->log, &r->psi);
    if (!e && r->psi)
        dvb_psi_on_names(r->psi, on_names);
    if (e) {
        dvb_receiver_destroy(r);
        return e;
    }
    *out = r;
    return DVB_OK;
}

void dvb_receiver_destroy(dvb_receiver *r)
{
    if (!r)
        return;
    dvb_ts_destroy(r->ts);
    dvb_psi_destroy(r->psi);
    for (size_t i = 0; i < r->nsecs; i++)
        dvb_secasm_destroy(r->secs[i]);
    for (size_t i = 0; i < r->ndiis; i++)
        dii_free(&r->diis[i]);
    dvb_store_release(r->store);
    dvb_store_release(r->partial);
    early_clear(r);
    dvb_pages_destroy(r->pages);
    free(r);
}

dvb_err dvb_receiver_push(dvb_receiver *r, const uint8_t *data, size_t len)
{
    if (!r || (!data && len))
        return DVB_EINVAL;
    if (!r->announced && r->cfg.pid >= 0) {
        r->announced = true;
        emit(r, DVB_EV_CAROUSEL_FOUND, NULL, 0);
    }
    dvb_ts_push(r->ts, data, len);
    if (r->oom) {
        r->oom = false;
        return DVB_ENOMEM;
    }
    return DVB_OK;
}

void dvb_receiver_progress(const dvb_receiver *r, dvb_progress *p)
{
    memset(p, 0, sizeof *p);
    if (!r) {
        p->pid = -1;
        p->service_id = -1;
        return;
    }
    p->pid = r->pid;
    p->carousel_id = r->have_carousel_id ? r->carousel_id : 0;
    for (size_t i = 0; i < r->ndiis; i++) {
        for (size_t k = 0; k < r->diis[i].nmods; k++) {
            const dvb_module *m = r->diis[i].mods[k];
            p->modules_total++;
            p->bytes_total += dvb_module_info(m)->moduleSize;
            p->bytes_done += dvb_module_bytes_done(m);
            if (dvb_module_complete(m))
                p->modules_done++;
        }
    }
    p->packets = r->packets;
    p->sections_bad = r->sections_bad;
    p->blocks_stored = r->blocks_stored;
    p->modules_assembled = r->modules_assembled;
    p->blocks_repeated = r->blocks_repeated;
    p->over_limit = r->over_limit;
    p->service_id = r->have_psi_carousel ? r->car.program_number : -1;
}

dvb_store *dvb_receiver_store(dvb_receiver *r)
{
    if (!r || !r->store)
        return NULL;
    dvb_store_retain(r->store);
    return r->store;
}

dvb_store *dvb_receiver_partial_store(dvb_receiver *r)
{
    if (!r)
        return NULL;
    if (r->store)
        return dvb_receiver_store(r);
    if (!r->have_dsi || r->over_limit)
        return NULL;           /* an over-limit carousel is not shown at all */
    if (!r->partial || r->partial_dirty) {
        /* Built on demand only: acquisition itself never pays for it. */
        size_t n;
        uint32_t version;
        dvb_tree_module *mods = collect(r, &n, &version);
        if (!mods)
            return NULL;
        dvb_store *s = NULL;
        dvb_err e = dvb_tree_build(mods, n, NULL, 0, &r->gateway, version,
                                   true, &r->log, &s, NULL);
        free(mods);
        if (e)
            return NULL;
        dvb_store_release(r->partial);
        r->partial = s;
        r->partial_dirty = false;
    }
    dvb_store_retain(r->partial);
    return r->partial;
}

const char *dvb_receiver_service_name(const dvb_receiver *r)
{
    if (!r || !r->have_psi_carousel)
        return NULL;
    /* The SDT may come before the PMT that chose the service. */
    const char *n = dvb_psi_service_name(r->psi, r->car.program_number);
    return n ? n : NULL;
}
