/*
 * PAT and PMT through libdvbpsi's generators (see oc_psi.h for the
 * signalling and its clauses).  libdvbpsi keeps its tables in linked
 * lists it allocates; everything is copied out into dvb_writers and freed
 * here, so no libdvbpsi type leaves this file.
 */
#include "carousel/oc_psi.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>     /* ssize_t, used by descriptor.h */

#include <dvbpsi/dvbpsi.h>
#include <dvbpsi/psi.h>
#include <dvbpsi/descriptor.h>
#include <dvbpsi/pat.h>
#include <dvbpsi/pmt.h>

/* libdvbpsi's generators only log through the handle; nothing they say
 * while generating is actionable, so messages are dropped. */
static void quiet(dvbpsi_t *h, const dvbpsi_msg_level_t level,
                  const char *msg)
{
    (void)h;
    (void)level;
    (void)msg;
}

static oc_err copy_sections(dvbpsi_psi_section_t *s, dvb_writer *out)
{
    if (!s)
        return OC_EPSI;
    for (; s; s = s->p_next) {
        /* section_length counts the bytes after the 3-byte header. */
        size_t len = (size_t)s->i_length + 3u;
        if (!s->p_data || len < 12)
            return OC_EPSI;
        if (!dvb_write_bytes(out, s->p_data, len))
            return OC_ENOMEM;
    }
    return OC_OK;
}

oc_err oc_psi_generate(const oc_psi_config *cfg, dvb_writer *pat,
                       dvb_writer *pmt)
{
    if (!cfg || cfg->version_number > 31 || cfg->pmt_pid < 0x10 ||
        cfg->pmt_pid > 0x1FFE || cfg->carousel_pid < 0x10 ||
        cfg->carousel_pid > 0x1FFE || cfg->program_number == 0)
        return OC_EINVAL;

    dvbpsi_t *h = dvbpsi_new(quiet, DVBPSI_MSG_NONE);
    if (!h)
        return OC_ENOMEM;
    oc_err err = OC_OK;

    dvbpsi_pat_t p;
    dvbpsi_pat_init(&p, cfg->transport_stream_id, cfg->version_number, true);
    if (!dvbpsi_pat_program_add(&p, cfg->program_number, cfg->pmt_pid)) {
        err = OC_ENOMEM;
    } else {
        /* 253 programs fit a PAT section; we have one. */
        dvbpsi_psi_section_t *s = dvbpsi_pat_sections_generate(h, &p, 253);
        err = copy_sections(s, pat);
        dvbpsi_DeletePSISections(s);
    }
    dvbpsi_pat_empty(&p);
    if (err) {
        dvbpsi_delete(h);
        return err;
    }

    dvbpsi_pmt_t m;
    dvbpsi_pmt_init(&m, cfg->program_number, cfg->version_number, true,
                    0x1FFF);
    dvbpsi_pmt_es_t *es = dvbpsi_pmt_es_add(&m, OC_STREAM_TYPE_DSMCC_B,
                                            cfg->carousel_pid);
    uint8_t sid[1] = { cfg->component_tag };
    uint8_t cid[5] = {
        (uint8_t)(cfg->carousel_id >> 24), (uint8_t)(cfg->carousel_id >> 16),
        (uint8_t)(cfg->carousel_id >> 8), (uint8_t)cfg->carousel_id,
        0x00                                        /* FormatId */
    };
    uint8_t dbid[6] = {
        (uint8_t)(OC_DATA_BROADCAST_ID_MHEG >> 8),
        (uint8_t)OC_DATA_BROADCAST_ID_MHEG,
        (uint8_t)(OC_APP_TYPE_UK_PROFILE >> 8),
        (uint8_t)OC_APP_TYPE_UK_PROFILE,
        cfg->boot_priority_hint,
        0x00                    /* application_specific_data_length */
    };
    if (!es ||
        !dvbpsi_pmt_es_descriptor_add(es, OC_DESC_STREAM_IDENTIFIER,
                                      sizeof sid, sid) ||
        !dvbpsi_pmt_es_descriptor_add(es, OC_DESC_CAROUSEL_ID,
                                      sizeof cid, cid) ||
        !dvbpsi_pmt_es_descriptor_add(es, OC_DESC_DATA_BROADCAST_ID,
                                      sizeof dbid, dbid)) {
        err = OC_ENOMEM;
    } else {
        dvbpsi_psi_section_t *s = dvbpsi_pmt_sections_generate(h, &m);
        err = copy_sections(s, pmt);
        dvbpsi_DeletePSISections(s);
    }
    dvbpsi_pmt_empty(&m);
    dvbpsi_delete(h);
    return err;
}
