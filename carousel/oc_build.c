/*
 * The playout of a built carousel: PSI, control sections and data blocks
 * interleaved into one stream (schedule described in oc_build.h).
 * Later options (a bitrate with null packets, repeating the modules the
 * first screen needs more often) change only this file.
 */
#include "carousel/oc_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carousel/oc_dsmcc.h"
#include "carousel/oc_psi.h"

void oc_build_config_default(oc_build_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pmt_pid = 0x0100;
    cfg->pid = 0x0101;
    cfg->service_id = 1;
    cfg->tsid = 1;
    cfg->carousel_id = 1;
    cfg->component_tag = 0x01;
    cfg->block_size = OC_BLOCK_MAX;
    cfg->module_size = 64u * 1024u;
    cfg->compress = OC_COMPRESS_AUTO;
    cfg->cycles = 2;
    cfg->boot_priority_hint = 1;
    cfg->psi_interval = 64;
    cfg->control_interval = 512;
}

static oc_err bad(char *why, size_t n, const char *msg)
{
    if (why && n)
        snprintf(why, n, "%s", msg);
    return OC_EINVAL;
}

oc_err oc_build_config_check(const oc_build_config *cfg, char *why,
                             size_t n)
{
    /* PIDs 0x0000-0x000F are reserved for PAT, CAT, TSDT and DVB SI
     * (13818-1 table 2-3, EN 300 468 table 1); 0x1FFF is the null PID. */
    if (cfg->pmt_pid < 0x0010 || cfg->pmt_pid > 0x1FFE)
        return bad(why, n, "--pmt-pid: must be 0x0010..0x1FFE");
    if (cfg->pid < 0x0010 || cfg->pid > 0x1FFE)
        return bad(why, n, "--pid: must be 0x0010..0x1FFE");
    if (cfg->pid == cfg->pmt_pid)
        return bad(why, n, "--pid: must differ from --pmt-pid");
    /* program_number 0 is the network PID entry of the PAT. */
    if (cfg->service_id == 0)
        return bad(why, n, "--service-id: must be 1..65535");
    if (cfg->block_size < OC_BLOCK_SIZE_MIN || cfg->block_size > OC_BLOCK_MAX)
        return bad(why, n, "--block-size: must be 16..4066");
    if (cfg->module_size < OC_MODULE_SIZE_MIN ||
        cfg->module_size > OC_MODULE_SIZE_MAX)
        return bad(why, n, "--module-size: must be 1024..67108864");
    if (cfg->compress != OC_COMPRESS_AUTO &&
        cfg->compress != OC_COMPRESS_NONE && cfg->compress != OC_COMPRESS_ALL)
        return bad(why, n, "--compress: must be auto, none or all");
    if (cfg->cycles < 1 || cfg->cycles > OC_CYCLES_MAX)
        return bad(why, n, "--cycles: must be 1..10000");
    if (cfg->boot_priority_hint > 3)
        return bad(why, n, "--boot-priority: must be 0..3");
    if (cfg->psi_interval < 1 || cfg->control_interval < 1)
        return bad(why, n, "repetition intervals must be at least 1 packet");
    return OC_OK;
}

typedef struct {
    const oc_build_config *cfg;
    const oc_carousel *car;
    oc_ts *ts;
    dvb_writer pat, pmt;
    uint64_t last_psi, last_ctl;
} playout;

static oc_err put_sections(playout *p, uint16_t pid, const dvb_writer *w)
{
    /* A writer may hold several sections back to back; each one's length
     * is in its header. */
    size_t off = 0;
    while (off + 3 <= w->len) {
        size_t len = 3u + (((size_t)w->p[off + 1] & 0x0F) << 8) +
                     w->p[off + 2];
        if (off + len > w->len)
            return OC_EINVAL;
        oc_err e = oc_ts_put_section(p->ts, pid, w->p + off, len);
        if (e)
            return e;
        off += len;
    }
    return OC_OK;
}

static oc_err put_psi(playout *p)
{
    oc_err e = put_sections(p, 0x0000, &p->pat);
    if (!e)
        e = put_sections(p, p->cfg->pmt_pid, &p->pmt);
    p->last_psi = oc_ts_packets(p->ts);
    return e;
}

static oc_err put_control(playout *p)
{
    size_t len;
    const uint8_t *s = oc_carousel_dsi(p->car, &len);
    oc_err e = oc_ts_put_section(p->ts, p->cfg->pid, s, len);
    if (!e) {
        s = oc_carousel_dii(p->car, &len);
        e = oc_ts_put_section(p->ts, p->cfg->pid, s, len);
    }
    p->last_ctl = oc_ts_packets(p->ts);
    return e;
}

/* Before each section: whatever is due. */
static oc_err put_due(playout *p)
{
    uint64_t now = oc_ts_packets(p->ts);
    oc_err e = OC_OK;
    if (now - p->last_psi >= p->cfg->psi_interval)
        e = put_psi(p);
    if (!e && now - p->last_ctl >= p->cfg->control_interval)
        e = put_control(p);
    return e;
}

static oc_err play_cycle(playout *p)
{
    /* Each cycle opens with the DSI and DII, so a receiver that tunes
     * in at a cycle boundary learns the module list before any block. */
    oc_err e = OC_OK;
    if (oc_ts_packets(p->ts) - p->last_psi >= p->cfg->psi_interval)
        e = put_psi(p);
    if (!e)
        e = put_control(p);
    size_t nm = oc_carousel_module_count(p->car);
    size_t most = 0;
    for (size_t i = 0; i < nm; i++) {
        oc_module_info mi;
        oc_carousel_module(p->car, i, &mi);
        if (mi.blocks > most)
            most = mi.blocks;
    }
    for (size_t b = 0; b < most && !e; b++) {
        for (size_t i = 0; i < nm && !e; i++) {
            size_t len;
            const uint8_t *s = oc_carousel_ddb(p->car, i, b, &len);
            if (!s)
                continue;       /* this module has fewer blocks */
            e = put_due(p);
            if (!e)
                e = oc_ts_put_section(p->ts, p->cfg->pid, s, len);
        }
    }
    return e;
}

oc_err oc_build(const oc_tree *tree, const oc_build_config *cfg,
                oc_ts_sink_fn sink, void *ud, oc_build_stats *stats)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!tree || !cfg || !sink)
        return OC_EINVAL;
    oc_err e = oc_build_config_check(cfg, NULL, 0);
    if (e)
        return e;

    oc_carousel_config cc = {
        .carousel_id = cfg->carousel_id,
        .component_tag = cfg->component_tag,
        .block_size = cfg->block_size,
        .module_size = cfg->module_size,
        .compress = cfg->compress,
        .module_version = 1,
        .tid_version = 0,
    };
    oc_carousel *car = NULL;
    e = oc_carousel_create(tree, &cc, &car);
    if (e)
        return e;

    playout p = { .cfg = cfg, .car = car };
    dvb_writer_init(&p.pat, 4096);
    dvb_writer_init(&p.pmt, 4096);
    oc_psi_config pc = {
        .transport_stream_id = cfg->tsid,
        .program_number = cfg->service_id,
        .pmt_pid = cfg->pmt_pid,
        .carousel_pid = cfg->pid,
        .component_tag = cfg->component_tag,
        .carousel_id = cfg->carousel_id,
        .boot_priority_hint = cfg->boot_priority_hint,
        .version_number = 0,
    };
    e = oc_psi_generate(&pc, &p.pat, &p.pmt);
    if (!e)
        e = oc_ts_create(sink, ud, &p.ts);
    if (!e)
        e = put_psi(&p);
    for (unsigned c = 0; c < cfg->cycles && !e; c++)
        e = play_cycle(&p);

    if (stats) {
        oc_carousel_get_stats(car, &stats->carousel);
        stats->cycles = cfg->cycles;
        stats->packets = p.ts ? oc_ts_packets(p.ts) : 0;
        stats->bytes_on_air = stats->packets * OC_TS_PACKET;
    }
    oc_ts_destroy(p.ts);
    dvb_writer_free(&p.pat);
    dvb_writer_free(&p.pmt);
    oc_carousel_destroy(car);
    return e;
}

static int mem_sink(void *ud, const uint8_t *pkt)
{
    return dvb_write_bytes(ud, pkt, OC_TS_PACKET) ? 0 : -1;
}

oc_err oc_build_mem(const oc_tree *tree, const oc_build_config *cfg,
                    uint8_t **ts, size_t *len, oc_build_stats *stats)
{
    *ts = NULL;
    *len = 0;
    dvb_writer w;
    dvb_writer_init(&w, (size_t)1 << 30);
    oc_err e = oc_build(tree, cfg, mem_sink, &w, stats);
    if (e == OC_EIO)
        e = w.len >= w.max ? OC_ELIMIT : OC_ENOMEM;
    if (e) {
        dvb_writer_free(&w);
        return e;
    }
    *ts = dvb_writer_take(&w, len);
    return OC_OK;
}
