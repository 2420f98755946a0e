/*
 * The analyser of dvb_introspect.h: packet, PSI and DSM-CC statistics of
 * a whole transport stream, kept apart from the receiver so that the
 * receiver's acquisition code stays lean and the analyser can look at
 * everything (every service, every PID, every carousel).
 *
 *   continuity   ISO/IEC 13818-1 2.4.3.3: the counter increments with
 *                each packet carrying payload; one repeat is allowed; a
 *                discontinuity_indicator resets the expectation.  A
 *                mismatch is a TR 101 290 1.4 continuity_count_error.
 *   PSI          PAT, PMT (13818-1 2.4.4.3, 2.4.4.8) and the SDT actual
 *                (EN 300 468 5.2.3, table_id 0x42) through libdvbpsi; this
 *                is the second file of dvb/ that includes its headers,
 *                because the analyser lists every service, while the
 *                receiver's PSI layer (dvb_psi.c) follows only the one it
 *                was asked for.
 *   DSM-CC       every PID whose sections parse as DSM-CC (table_id 0x3B,
 *                0x3C, 13818-6 9.2) is a carousel PID, signalled or not
 *                (captures often lack PAT/PMT).  DSI (13818-6 7.3.6,
 *                TR 101 202 4.7.5), DII (7.3.2, 4.7.2) and DDB (7.3.8)
 *                are decoded with dvb_dsmcc.h; a DII replaces the one
 *                with the same identification (transactionId bits 15..1,
 *                TR 101 202 table 4.2); DDBs mark blocks seen.
 */
#include "dvb/dvb_introspect.h"

#include "dvb/dvb_biop.h"
#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_internal.h"
#include "dvb/dvb_psi.h"
#include "dvb/dvb_ts.h"

#include <stdlib.h>
#include <string.h>

#include <dvbpsi/dvbpsi.h>
#include <dvbpsi/demux.h>
#include <dvbpsi/descriptor.h>
#include <dvbpsi/dr_48.h>
#include <dvbpsi/pat.h>
#include <dvbpsi/pmt.h>
#include <dvbpsi/psi.h>
#include <dvbpsi/sdt.h>

#define MAX_SERVICES 64
#define MAX_SECASM 128          /* PIDs whose sections are looked at */
#define MAX_CAROUSELS 16
#define MAX_DIIS 32

typedef struct {
    dvb_pid_stats st;
    bool have_cc;
    uint8_t last_cc;
    bool repeat_seen;           /* the one allowed duplicate */
    dvb_secasm *secs;
} pid_state;

typedef struct {
    uint8_t *seen;              /* one bit per block */
} mod_extra;

typedef struct {
    dvb_module_desc *mods;
    mod_extra *extra;
} dii_extra;

/* A DDB seen before the DII that lists its module (a capture that
 * starts mid-cycle): remembered so the block counts are right. */
typedef struct {
    uint32_t downloadId;
    uint16_t moduleId;
    uint8_t moduleVersion;
    uint16_t blockNumber;
} early_key;

#define MAX_EARLY 65536

typedef struct {
    dvb_carousel_desc d;
    dvb_dii_desc dii[MAX_DIIS];
    dii_extra dx[MAX_DIIS];
    early_key *early;
    size_t nearly, early_cap;
} carousel_state;

typedef struct {
    dvbpsi_t *h;
    uint16_t number;
} pmt_handle;

/* SDT names, kept apart from the services: the SDT may come before the
 * PAT, and libdvbpsi reports a table version only once. */
typedef struct {
    uint16_t service_id;
    uint8_t service_type;
    char name[128];
    char provider[128];
} sdt_name;

struct dvb_analyser {
    dvb_ts *ts;
    dvb_analysis_totals tot;
    pid_state *pids[0x2000];
    pid_state **order;          /* PIDs seen, sorted */
    size_t npids;
    size_t nsecasm;

    dvbpsi_t *pat;
    dvbpsi_t *sdt;
    pmt_handle pmts[MAX_SERVICES];
    dvb_service_desc svc[MAX_SERVICES];
    size_t nsvc;
    sdt_name names[MAX_SERVICES];
    size_t nnames;

    carousel_state *car[MAX_CAROUSELS];
    size_t ncar;
    bool oom;
};

/* ---- PIDs ---- */

static pid_state *pid_get(dvb_analyser *a, uint16_t pid)
{
    if (a->pids[pid])
        return a->pids[pid];
    pid_state *p = calloc(1, sizeof *p);
    pid_state **o = realloc(a->order, (a->npids + 1) * sizeof *o);
    if (!p || !o) {
        free(p);
        if (o)
            a->order = o;
        a->oom = true;
        return NULL;
    }
    a->order = o;
    p->st.pid = pid;
    p->st.role = pid == 0 ? "PAT" : pid == 0x11 ? "SDT" : pid == 0x1FFF ? "null" : "";
    size_t i = a->npids;
    while (i > 0 && a->order[i - 1]->st.pid > pid) {
        a->order[i] = a->order[i - 1];
        i--;
    }
    a->order[i] = p;
    a->npids++;
    a->pids[pid] = p;
    return p;
}

static void set_role(dvb_analyser *a, uint16_t pid, const char *role)
{
    pid_state *p = pid_get(a, pid);
    if (p && (!p->st.role[0] || !strcmp(role, "carousel")))
        p->st.role = role;
}

/* ---- PSI ---- */

static void psi_message(dvbpsi_t *h, const dvbpsi_msg_level_t level,
                        const char *msg)
{
    (void)h;
    (void)level;
    (void)msg;                  /* counted as damage elsewhere; keep quiet */
}

static dvb_service_desc *svc_find(dvb_analyser *a, uint16_t number)
{
    for (size_t i = 0; i < a->nsvc; i++)
        if (a->svc[i].program_number == number)
            return &a->svc[i];
    return NULL;
}

static void apply_name(dvb_service_desc *s, const sdt_name *n)
{
    s->service_type = n->service_type;
    memcpy(s->name, n->name, sizeof s->name);
    memcpy(s->provider, n->provider, sizeof s->provider);
}

static void es_descriptor(dvb_es_desc *e, uint8_t tag, const uint8_t *d,
                          size_t len)
{
    if (tag == 0x52 && len >= 1 && !e->has_component_tag) {
        e->has_component_tag = true;
        e->component_tag = d[0];
    } else if (tag == 0x66 && len >= 2 && !e->has_data_broadcast_id) {
        e->has_data_broadcast_id = true;
        e->data_broadcast_id = (uint16_t)(d[0] << 8 | d[1]);
    } else if (tag == 0x13 && len >= 4 && !e->has_carousel_id) {
        e->has_carousel_id = true;
        e->carousel_id = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
                         (uint32_t)d[2] << 8 | d[3];
    }
}

static void on_pmt(void *data, dvbpsi_pmt_t *pmt)
{
    dvb_analyser *a = data;
    dvb_service_desc *s = svc_find(a, pmt->i_program_number);
    if (s) {
        s->have_pmt = true;
        s->es_count = 0;
        for (dvbpsi_pmt_es_t *es = pmt->p_first_es; es; es = es->p_next) {
            if (s->es_count == DVB_ANALYSER_MAX_ES)
                break;
            dvb_es_desc *e = &s->es[s->es_count++];
            memset(e, 0, sizeof *e);
            e->pid = es->i_pid;
            e->stream_type = es->i_type;
            for (dvbpsi_descriptor_t *d = es->p_first_descriptor; d;
                 d = d->p_next)
                es_descriptor(e, d->i_tag, d->p_data, d->i_length);
            set_role(a, es->i_pid, "ES");
        }
    }
    dvbpsi_pmt_delete(pmt);
}

static void on_pat(void *data, dvbpsi_pat_t *pat)
{
    dvb_analyser *a = data;
    for (dvbpsi_pat_program_t *pr = pat->p_first_program; pr; pr = pr->p_next) {
        if (pr->i_number == 0 || svc_find(a, pr->i_number) ||
            a->nsvc == MAX_SERVICES)
            continue;           /* network_PID, known, or full */
        dvbpsi_t *h = dvbpsi_new(psi_message, DVBPSI_MSG_NONE);
        if (!h) {
            a->oom = true;
            break;
        }
        if (!dvbpsi_pmt_attach(h, pr->i_number, on_pmt, a)) {
            dvbpsi_delete(h);
            a->oom = true;
            break;
        }
        dvb_service_desc *s = &a->svc[a->nsvc];
        memset(s, 0, sizeof *s);
        s->program_number = pr->i_number;
        s->pmt_pid = pr->i_pid;
        for (size_t k = 0; k < a->nnames; k++)
            if (a->names[k].service_id == pr->i_number)
                apply_name(s, &a->names[k]);
        a->pmts[a->nsvc].h = h;
        a->pmts[a->nsvc].number = pr->i_number;
        a->nsvc++;
        set_role(a, pr->i_pid, "PMT");
    }
    dvbpsi_pat_delete(pat);
}

static void on_sdt(void *data, dvbpsi_sdt_t *sdt)
{
    dvb_analyser *a = data;
    for (dvbpsi_sdt_service_t *sv = sdt->p_first_service; sv; sv = sv->p_next) {
        sdt_name *n = NULL;
        for (size_t k = 0; k < a->nnames && !n; k++)
            if (a->names[k].service_id == sv->i_service_id)
                n = &a->names[k];
        if (!n) {
            if (a->nnames == MAX_SERVICES)
                continue;
            n = &a->names[a->nnames++];
            memset(n, 0, sizeof *n);
            n->service_id = sv->i_service_id;
        }
        for (dvbpsi_descriptor_t *d = sv->p_first_descriptor; d; d = d->p_next) {
            if (d->i_tag != 0x48)
                continue;
            dvbpsi_service_dr_t *sd = dvbpsi_DecodeServiceDr(d);
            if (!sd)
                continue;
            n->service_type = sd->i_service_type;
            /* EN 300 468 annex A text; an unknown table leaves it empty. */
            if (dvb_text_to_utf8(sd->i_service_name, sd->i_service_name_length,
                                 n->name, sizeof n->name) != DVB_OK)
                n->name[0] = '\0';
            if (dvb_text_to_utf8(sd->i_service_provider_name,
                                 sd->i_service_provider_name_length,
                                 n->provider, sizeof n->provider) != DVB_OK)
                n->provider[0] = '\0';
        }
        dvb_service_desc *s = svc_find(a, sv->i_service_id);
        if (s)
            apply_name(s, n);
    }
    dvbpsi_sdt_delete(sdt);
}

static void on_sdt_subtable(dvbpsi_t *h, uint8_t table_id, uint16_t ext,
                            void *data)
{
    if (table_id == 0x42)       /* SDT actual; 0x46 (other) is not ours */
        dvbpsi_sdt_attach(h, table_id, ext, on_sdt, data);
}

/* ---- DSM-CC ---- */

static carousel_state *car_get(dvb_analyser *a, uint16_t pid)
{
    for (size_t i = 0; i < a->ncar; i++)
        if (a->car[i]->d.pid == pid)
            return a->car[i];
    if (a->ncar == MAX_CAROUSELS)
        return NULL;
    carousel_state *c = calloc(1, sizeof *c);
    if (!c) {
        a->oom = true;
        return NULL;
    }
    c->d.pid = pid;
    c->d.diis = c->dii;
    size_t i = a->ncar;
    while (i > 0 && a->car[i - 1]->d.pid > pid) {
        a->car[i] = a->car[i - 1];
        i--;
    }
    a->car[i] = c;
    a->ncar++;
    set_role(a, pid, "carousel");
    return c;
}

static void dii_free(dvb_dii_desc *d, dii_extra *x)
{
    for (size_t k = 0; k < d->module_count; k++)
        free(x->extra[k].seen);
    free(x->extra);
    free(x->mods);
    memset(d, 0, sizeof *d);
    memset(x, 0, sizeof *x);
}

static void handle_dsi(carousel_state *c, const dvb_dsmcc_msg *m,
                       dvb_analyser *a)
{
    c->d.dsi_count++;
    if (c->d.have_dsi && c->d.dsi_transactionId == m->transactionId)
        return;
    dvb_dsi dsi;
    if (dvb_dsi_parse(m, &dsi) != DVB_OK) {
        a->tot.section_errors++;
        return;
    }
    const dvb_ior *g = &dsi.service_gateway;
    c->d.have_dsi = true;
    c->d.dsi_transactionId = m->transactionId;
    c->d.carousel_id = g->carouselId;
    c->d.gateway_module = g->moduleId;
    size_t kl = g->objectKey_length;
    if (kl > sizeof c->d.gateway_key)
        kl = sizeof c->d.gateway_key;
    memcpy(c->d.gateway_key, g->objectKey, kl);
    c->d.gateway_key_length = (uint8_t)kl;
}

static bool mark_block(dvb_module_desc *md, uint8_t *seen, uint16_t block)
{
    if (!seen || block >= md->blocks)
        return false;
    uint8_t bit = (uint8_t)(1u << (block & 7));
    if (!(seen[block / 8] & bit)) {
        seen[block / 8] |= bit;
        md->blocks_seen++;
    }
    return true;
}

static void early_add(carousel_state *c, const dvb_ddb *d)
{
    if (c->nearly == c->early_cap) {
        if (c->early_cap == MAX_EARLY)
            return;
        size_t cap = c->early_cap ? c->early_cap * 2 : 256;
        early_key *e = realloc(c->early, cap * sizeof *e);
        if (!e)
            return;            /* statistics only: not worth failing for */
        c->early = e;
        c->early_cap = cap;
    }
    early_key *k = &c->early[c->nearly++];
    k->downloadId = d->downloadId;
    k->moduleId = d->moduleId;
    k->moduleVersion = d->moduleVersion;
    k->blockNumber = d->blockNumber;
}

static void handle_dii(carousel_state *c, const dvb_dsmcc_msg *m,
                       dvb_analyser *a)
{
    c->d.dii_count++;
    size_t slot = c->d.dii_count_distinct;
    for (size_t i = 0; i < c->d.dii_count_distinct; i++) {
        if (c->dii[i].transactionId == m->transactionId)
            return;             /* the usual repetition */
        if ((c->dii[i].transactionId & 0xFFFEu) == (m->transactionId & 0xFFFEu))
            slot = i;
    }
    if (slot == MAX_DIIS)
        return;
    dvb_dii dii;
    if (dvb_dii_parse(m, &dii) != DVB_OK) {
        a->tot.section_errors++;
        return;
    }
    size_t n = dii.numberOfModules;
    dvb_module_desc *mods = calloc(n ? n : 1, sizeof *mods);
    mod_extra *ex = calloc(n ? n : 1, sizeof *ex);
    if (!mods || !ex) {
        free(mods);
        free(ex);
        dvb_dii_clear(&dii);
        a->oom = true;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        const dvb_dii_module *mi = &dii.modules[k];
        dvb_module_desc *md = &mods[k];
        md->moduleId = mi->moduleId;
        md->moduleVersion = mi->moduleVersion;
        md->moduleSize = mi->moduleSize;
        md->compressed = mi->compressed;
        md->compression_method = mi->compression_method;
        md->original_size = mi->original_size;
        md->has_tap = mi->has_tap;
        md->association_tag = mi->association_tag;
        uint64_t bs = dii.blockSize ? dii.blockSize : 1;
        uint64_t blocks = (mi->moduleSize + bs - 1) / bs;
        md->blocks = blocks > 65536 ? 65536 : (unsigned)blocks;
        ex[k].seen = calloc((md->blocks + 7) / 8 + 1, 1);
        if (!ex[k].seen)
            a->oom = true;
        /* Blocks of an unchanged module stay seen across a DII update. */
        if (slot < c->d.dii_count_distinct && ex[k].seen) {
            const dvb_dii_desc *old = &c->dii[slot];
            for (size_t j = 0; j < old->module_count; j++) {
                const dvb_module_desc *om = &old->modules[j];
                if (om->moduleId == md->moduleId &&
                    om->moduleVersion == md->moduleVersion &&
                    om->moduleSize == md->moduleSize &&
                    old->blockSize == dii.blockSize &&
                    c->dx[slot].extra[j].seen) {
                    memcpy(ex[k].seen, c->dx[slot].extra[j].seen,
                           (md->blocks + 7) / 8 + 1);
                    md->blocks_seen = om->blocks_seen;
                }
            }
        }
    }
    if (slot < c->d.dii_count_distinct)
        dii_free(&c->dii[slot], &c->dx[slot]);
    else
        c->d.dii_count_distinct++;
    c->dii[slot].transactionId = m->transactionId;
    c->dii[slot].downloadId = dii.downloadId;
    c->dii[slot].blockSize = dii.blockSize;
    c->dii[slot].module_count = n;
    c->dii[slot].modules = mods;
    c->dx[slot].mods = mods;
    c->dx[slot].extra = ex;
    for (size_t i = 0; i < c->nearly; i++) {
        const early_key *k = &c->early[i];
        if (k->downloadId != dii.downloadId)
            continue;
        for (size_t j = 0; j < n; j++)
            if (mods[j].moduleId == k->moduleId &&
                mods[j].moduleVersion == k->moduleVersion)
                mark_block(&mods[j], ex[j].seen, k->blockNumber);
    }
    dvb_dii_clear(&dii);
}

static void handle_ddb(carousel_state *c, const dvb_dsmcc_msg *m,
                       dvb_analyser *a)
{
    c->d.ddb_count++;
    dvb_ddb ddb;
    if (dvb_ddb_parse(m, &ddb) != DVB_OK) {
        a->tot.section_errors++;
        return;
    }
    for (size_t i = 0; i < c->d.dii_count_distinct; i++) {
        if (c->dii[i].downloadId != ddb.downloadId)
            continue;
        for (size_t k = 0; k < c->dii[i].module_count; k++) {
            dvb_module_desc *md = &c->dx[i].mods[k];
            uint8_t *seen = c->dx[i].extra[k].seen;
            if (md->moduleId == ddb.moduleId &&
                md->moduleVersion == ddb.moduleVersion &&
                mark_block(md, seen, ddb.blockNumber))
                return;
        }
    }
    early_add(c, &ddb);
}

static void on_section(void *ud, int pid, const uint8_t *sec, size_t len)
{
    dvb_analyser *a = ud;
    if (len < 1 || (sec[0] != DVB_TID_DSMCC_UN && sec[0] != DVB_TID_DSMCC_DDB))
        return;
    dvb_dsmcc_section s;
    dvb_err e = dvb_dsmcc_section_parse(sec, len, &s);
    if (e == DVB_ECRC) {
        /* Only count on PIDs already known to carry DSM-CC: random
         * payload on other PIDs is not a damaged section. */
        if (a->pids[pid] && a->pids[pid]->st.dsmcc_sections)
            a->tot.crc_errors++;
        return;
    }
    if (e)
        return;
    dvb_dsmcc_msg m;
    if (dvb_dsmcc_msg_parse(s.payload, s.payload_len, &m) != DVB_OK)
        return;
    bool known = (s.table_id == DVB_TID_DSMCC_UN &&
                  (m.messageId == DVB_MSG_DSI || m.messageId == DVB_MSG_DII)) ||
                 (s.table_id == DVB_TID_DSMCC_DDB && m.messageId == DVB_MSG_DDB);
    if (!known)
        return;
    carousel_state *c = car_get(a, (uint16_t)pid);
    if (!c)
        return;
    a->pids[pid]->st.dsmcc_sections++;
    if (m.messageId == DVB_MSG_DSI)
        handle_dsi(c, &m, a);
    else if (m.messageId == DVB_MSG_DII)
        handle_dii(c, &m, a);
    else
        handle_ddb(c, &m, a);
}

/* ---- packets ---- */

static bool is_psi_pid(const dvb_analyser *a, uint16_t pid)
{
    if (pid == 0 || pid == 0x11 || pid == 0x1FFF)
        return true;
    for (size_t i = 0; i < a->nsvc; i++)
        if (a->svc[i].pmt_pid == pid)
            return true;
    return false;
}

static void check_cc(dvb_analyser *a, pid_state *p, const uint8_t *pkt)
{
    uint8_t afc = (pkt[3] >> 4) & 3;
    uint8_t cc = pkt[3] & 0x0F;
    bool payload = afc & 1;
    bool discontinuity = (afc & 2) && pkt[4] > 0 && (pkt[5] & 0x80);
    if (!p->have_cc || discontinuity || p->st.pid == 0x1FFF) {
        p->have_cc = true;
        p->last_cc = cc;
        p->repeat_seen = false;
        return;
    }
    if (!payload) {
        if (cc != p->last_cc) {
            p->st.cc_errors++;
            a->tot.cc_errors++;
        }
        p->last_cc = cc;
        return;
    }
    if (cc == p->last_cc && !p->repeat_seen) {
        p->repeat_seen = true;  /* 2.4.3.3: one duplicate is allowed */
        return;
    }
    if (cc != ((p->last_cc + 1) & 0x0F)) {
        p->st.cc_errors++;
        a->tot.cc_errors++;
    }
    p->last_cc = cc;
    p->repeat_seen = false;
}

static void on_packet(void *ud, const uint8_t *pkt)
{
    dvb_analyser *a = ud;
    uint16_t pid = (uint16_t)dvb_ts_pid(pkt);
    a->tot.packets++;
    pid_state *p = pid_get(a, pid);
    if (!p)
        return;
    p->st.packets++;
    if (pkt[1] & 0x80) {
        p->st.transport_errors++;
        a->tot.transport_errors++;
        return;                 /* its bytes cannot be trusted, CC included */
    }
    if (pkt[3] & 0xC0)
        p->st.scrambled++;
    check_cc(a, p, pkt);
    uint8_t copy[188];
    if (pid == 0) {
        memcpy(copy, pkt, sizeof copy);
        dvbpsi_packet_push(a->pat, copy);
        return;
    }
    if (pid == 0x11) {
        memcpy(copy, pkt, sizeof copy);
        dvbpsi_packet_push(a->sdt, copy);
        return;
    }
    bool pmt = false;
    for (size_t i = 0; i < a->nsvc; i++) {
        if (a->svc[i].pmt_pid == pid) {
            memcpy(copy, pkt, sizeof copy);
            dvbpsi_packet_push(a->pmts[i].h, copy);
            pmt = true;
        }
    }
    if (pmt || is_psi_pid(a, pid) || (pkt[3] & 0xC0))
        return;
    if (!p->secs && a->nsecasm < MAX_SECASM && (pkt[1] & 0x40)) {
        if (dvb_secasm_create(pid, on_section, a, NULL, &p->secs) != DVB_OK) {
            a->oom = true;
            return;
        }
        a->nsecasm++;
    }
    if (p->secs)
        dvb_secasm_push(p->secs, pkt);
}

/* ---- the public side ---- */

dvb_err dvb_analyser_create(dvb_analyser **out)
{
    if (!out)
        return DVB_EINVAL;
    *out = NULL;
    dvb_analyser *a = calloc(1, sizeof *a);
    if (!a)
        return DVB_ENOMEM;
    dvb_err e = dvb_ts_create(on_packet, a, NULL, &a->ts);
    if (!e) {
        a->pat = dvbpsi_new(psi_message, DVBPSI_MSG_NONE);
        a->sdt = dvbpsi_new(psi_message, DVBPSI_MSG_NONE);
        if (!a->pat || !a->sdt || !dvbpsi_pat_attach(a->pat, on_pat, a) ||
            !dvbpsi_AttachDemux(a->sdt, on_sdt_subtable, a))
            e = DVB_ENOMEM;
    }
    if (e) {
        dvb_analyser_destroy(a);
        return e;
    }
    *out = a;
    return DVB_OK;
}

void dvb_analyser_destroy(dvb_analyser *a)
{
    if (!a)
        return;
    dvb_ts_destroy(a->ts);
    if (a->pat) {
        if (a->pat->p_decoder)
            dvbpsi_pat_detach(a->pat);
        dvbpsi_delete(a->pat);
    }
    if (a->sdt) {
        if (a->sdt->p_decoder)
            dvbpsi_DetachDemux(a->sdt);
        dvbpsi_delete(a->sdt);
    }
    for (size_t i = 0; i < a->nsvc; i++) {
        dvbpsi_pmt_detach(a->pmts[i].h);
        dvbpsi_delete(a->pmts[i].h);
    }
    for (size_t i = 0; i < a->npids; i++) {
        dvb_secasm_destroy(a->order[i]->secs);
        free(a->order[i]);
    }
    free(a->order);
    for (size_t i = 0; i < a->ncar; i++) {
        for (size_t k = 0; k < a->car[i]->d.dii_count_distinct; k++)
            dii_free(&a->car[i]->dii[k], &a->car[i]->dx[k]);
        free(a->car[i]->early);
        free(a->car[i]);
    }
    free(a);
}

dvb_err dvb_analyser_push(dvb_analyser *a, const uint8_t *data, size_t len)
{
    if (!a || (!data && len))
        return DVB_EINVAL;
    a->tot.bytes += len;
    dvb_ts_push(a->ts, data, len);
    a->tot.sync_losses = dvb_ts_sync_losses(a->ts);
    if (a->oom) {
        a->oom = false;
        return DVB_ENOMEM;
    }
    return DVB_OK;
}

void dvb_analyser_totals(const dvb_analyser *a, dvb_analysis_totals *t)
{
    *t = a->tot;
}

size_t dvb_analyser_pid_count(const dvb_analyser *a)
{
    return a->npids;
}

const dvb_pid_stats *dvb_analyser_pid(const dvb_analyser *a, size_t i)
{
    return i < a->npids ? &a->order[i]->st : NULL;
}

size_t dvb_analyser_service_count(const dvb_analyser *a)
{
    return a->nsvc;
}

const dvb_service_desc *dvb_analyser_service(const dvb_analyser *a, size_t i)
{
    return i < a->nsvc ? &a->svc[i] : NULL;
}

size_t dvb_analyser_carousel_count(const dvb_analyser *a)
{
    return a->ncar;
}

const dvb_carousel_desc *dvb_analyser_carousel(const dvb_analyser *a,
                                               size_t i)
{
    return i < a->ncar ? &a->car[i]->d : NULL;
}
