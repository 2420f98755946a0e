/*
 * The playout of a built carousel: PSI, control sections and data blocks
 * interleaved into one stream (schedule described in oc_build.h; ISO/IEC
 * 13818-1 2.4.3-2.4.4 for packets and PSI, TR 101 202 4.7 for carousel
 * repetition, EN 300 468 / TR 101 290 for PSI repetition rates).
 *
 * Two layers: the schedule decides the order of sections; the slot layer
 * turns them into packets, one slot per packet of the whole stream, and
 * puts PAT/PMT into the slots where they are due and null packets where
 * the carousel bitrate leaves room, so every time below is a slot count.
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
    cfg->first_share = 10;
    cfg->pack_sections = 1;
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
    if (cfg->carousel_bitrate &&
        (cfg->carousel_bitrate < OC_BITRATE_MIN ||
         cfg->carousel_bitrate > OC_BITRATE_MAX))
        return bad(why, n, "--carousel-bitrate: must be 50000..200000000");
    if (cfg->ts_bitrate && (cfg->ts_bitrate < OC_BITRATE_MIN ||
                            cfg->ts_bitrate > OC_BITRATE_MAX))
        return bad(why, n, "--ts-bitrate: must be 50000..200000000");
    if (cfg->ts_bitrate && cfg->carousel_bitrate &&
        cfg->ts_bitrate < cfg->carousel_bitrate + OC_PSI_BITRATE)
        return bad(why, n, "--ts-bitrate: must exceed --carousel-bitrate "
                           "by at least 30080 bit/s (PAT and PMT every "
                           "100 ms)");
    if (cfg->duration_s > OC_DURATION_MAX)
        return bad(why, n, "--duration: must be 1..86400 seconds");
    if (cfg->duration_s && !cfg->carousel_bitrate && !cfg->ts_bitrate)
        return bad(why, n, "--duration: needs --carousel-bitrate or "
                           "--ts-bitrate (stream time needs a rate)");
    if (cfg->first_share > OC_FIRST_SHARE_MAX)
        return bad(why, n, "--first-share: must be 0..50 (percent)");
    return OC_OK;
}

typedef struct {
    uint8_t *p;
    size_t len, cap;
} pkt_queue;

typedef struct {
    const oc_build_config *cfg;
    const oc_carousel *car;
    oc_ts *ts;                    /* the carousel PID, into q */
    oc_ts *ts_psi;                /* PAT and PMT, into psi_q */
    oc_ts_sink_fn sink;
    void *ud;
    dvb_writer pat, pmt;
    /* packets of the section being placed, from oc_ts */
    pkt_queue q, psi_q;
    /* slot layer */
    uint64_t slot;                /* packets written */
    uint64_t last_psi;
    uint64_t last_ctl;
    unsigned psi_interval;
    uint64_t credit, credit_add, credit_need;   /* carousel pacing */
    bool pace;
    uint64_t nulls, psi, ddbs;
    uint64_t car_pkts;            /* carousel packets written */
    uint64_t repeat_pkts;         /* of them, in repeated groups (cycle 1) */
    uint8_t null_pkt[OC_TS_PACKET];
    uint64_t module_bytes;        /* DDB payload bytes written */
    /* first-cycle timing */
    bool timing;
    uint64_t *g_start, *g_end;
    size_t n_g, cap_g;
} playout;

static int queue_sink(void *ud, const uint8_t *pkt)
{
    pkt_queue *q = ud;
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 32;
        uint8_t *n = realloc(q->p, cap * OC_TS_PACKET);
        if (!n)
            return -1;
        q->p = n;
        q->cap = cap;
    }
    memcpy(q->p + q->len * OC_TS_PACKET, pkt, OC_TS_PACKET);
    q->len++;
    return 0;
}

static oc_err out(playout *p, const uint8_t *pkt)
{
    if (p->sink(p->ud, pkt))
        return OC_EIO;
    p->slot++;
    return OC_OK;
}

/* PAT and PMT straight into slots (they are outside the carousel's
 * bitrate). */
static oc_err put_psi(playout *p)
{
    p->last_psi = p->slot;
    const dvb_writer *tabs[2] = { &p->pat, &p->pmt };
    uint16_t pids[2] = { 0x0000, p->cfg->pmt_pid };
    for (int t = 0; t < 2; t++) {
        const dvb_writer *w = tabs[t];
        size_t off = 0;
        while (off + 3 <= w->len) {
            size_t len = 3u + (((size_t)w->p[off + 1] & 0x0F) << 8) +
                         w->p[off + 2];
            if (off + len > w->len)
                return OC_EINVAL;
            p->psi_q.len = 0;
            oc_err e = oc_ts_put_section(p->ts_psi, pids[t], w->p + off,
                                         len);
            for (size_t i = 0; !e && i < p->psi_q.len; i++) {
                e = out(p, p->psi_q.p + i * OC_TS_PACKET);
                p->psi++;
            }
            p->psi_q.len = 0;
            if (e)
                return e;
            off += len;
        }
    }
    return OC_OK;
}

static oc_err psi_if_due(playout *p)
{
    if (p->slot - p->last_psi >= p->psi_interval)
        return put_psi(p);
    return OC_OK;
}

/* One carousel packet into the next slot it may have: PSI first when
 * due, nulls while the carousel is ahead of its bitrate. */
static oc_err put_carousel_packet(playout *p, const uint8_t *pkt)
{
    for (;;) {
        oc_err e = psi_if_due(p);
        if (e)
            return e;
        if (!p->pace || p->credit >= p->credit_need)
            break;
        e = out(p, p->null_pkt);
        if (e)
            return e;
        p->nulls++;
        p->credit += p->credit_add;
    }
    if (p->pace) {
        p->credit -= p->credit_need;
        p->credit += p->credit_add;
    }
    p->car_pkts++;
    return out(p, pkt);
}

static oc_err put_section(playout *p, const uint8_t *s, size_t len)
{
    p->q.len = 0;
    oc_err e = oc_ts_put_section(p->ts, p->cfg->pid, s, len);
    for (size_t i = 0; !e && i < p->q.len; i++)
        e = put_carousel_packet(p, p->q.p + i * OC_TS_PACKET);
    p->q.len = 0;
    return e;
}

static oc_err flush_carousel(playout *p)
{
    p->q.len = 0;
    oc_err e = oc_ts_flush(p->ts);
    for (size_t i = 0; !e && i < p->q.len; i++)
        e = put_carousel_packet(p, p->q.p + i * OC_TS_PACKET);
    p->q.len = 0;
    return e;
}

static oc_err put_control(playout *p)
{
    size_t len;
    const uint8_t *s = oc_carousel_dsi(p->car, &len);
    oc_err e = put_section(p, s, len);
    for (size_t k = 0; !e && k < oc_carousel_dii_count(p->car); k++) {
        s = oc_carousel_dii_at(p->car, k, &len);
        e = put_section(p, s, len);
    }
    p->last_ctl = p->slot;
    return e;
}

static oc_err put_ddb(playout *p, size_t m, size_t b, bool *any)
{
    size_t len;
    const uint8_t *s = oc_carousel_ddb(p->car, m, b, &len);
    *any = s != NULL;
    if (!s)
        return OC_OK;
    /* DDB: 8-byte section header, 12-byte download header, 6 bytes of
     * DDB fields, 4-byte CRC around the block. */
    p->module_bytes += len - 30u;
    p->ddbs++;
    return put_section(p, s, len);
}

static oc_err note_group(playout *p, uint64_t start)
{
    if (!p->timing)
        return OC_OK;
    if (p->n_g == p->cap_g) {
        size_t cap = p->cap_g ? p->cap_g * 2 : 16;
        uint64_t *a = realloc(p->g_start, cap * sizeof *a);
        if (!a)
            return OC_ENOMEM;
        p->g_start = a;
        uint64_t *b = realloc(p->g_end, cap * sizeof *b);
        if (!b)
            return OC_ENOMEM;
        p->g_end = b;
        p->cap_g = cap;
    }
    p->g_start[p->n_g] = start;
    p->g_end[p->n_g] = p->slot;
    p->n_g++;
    return OC_OK;
}

/* DSI, DII and every block of the first modules: all a receiver needs
 * for the first screen, back to back. */
static oc_err put_group(playout *p, size_t most_first, uint64_t *bytes)
{
    uint64_t start = p->slot, before = p->module_bytes;
    uint64_t car_before = p->car_pkts;
    oc_err e = put_control(p);
    size_t nm = oc_carousel_module_count(p->car);
    for (size_t b = 0; b < most_first && !e; b++)
        for (size_t i = 0; i < nm && !e; i++) {
            oc_module_info mi;
            oc_carousel_module(p->car, i, &mi);
            bool any;
            if (mi.first)
                e = put_ddb(p, i, b, &any);
        }
    (void)before;
    /* The group's size on air: what its repetition costs. */
    if (bytes)
        *bytes = (p->car_pkts - car_before) * OC_TS_PACKET;
    /* The group that opens a cycle is the cycle's own; the others are
     * the chosen repetition. */
    if (p->timing && !bytes)
        p->repeat_pkts += p->car_pkts - car_before;
    if (!e)
        e = note_group(p, start);
    return e;
}

/* One block of a module that is not the first screen's, after the
 * first-screen group again when enough has been sent since the last one
 * and DSI/DII when they are due. */
static oc_err put_other_block(playout *p, size_t i, size_t b,
                              size_t most_first, uint64_t gap,
                              uint64_t *since)
{
    oc_err e = OC_OK;
    if (*since >= gap) {
        e = put_group(p, most_first, NULL);
        *since = 0;
    }
    if (!e && p->slot - p->last_ctl >= p->cfg->control_interval)
        e = put_control(p);
    uint64_t before = p->car_pkts;
    bool any;
    if (!e)
        e = put_ddb(p, i, b, &any);
    *since += (p->car_pkts - before) * OC_TS_PACKET;
    return e;
}

static oc_err play_cycle(playout *p)
{
    size_t nm = oc_carousel_module_count(p->car);
    size_t most = 0, most_first = 0;
    for (size_t i = 0; i < nm; i++) {
        oc_module_info mi;
        oc_carousel_module(p->car, i, &mi);
        if (mi.first && mi.blocks > most_first)
            most_first = mi.blocks;
        if (!mi.first && mi.blocks > most)
            most = mi.blocks;
    }
    /* Each cycle opens with the group, so a receiver that tunes in at a
     * cycle boundary learns the module list before any block. */
    uint64_t gbytes;
    oc_err e = put_group(p, most_first, &gbytes);
    uint64_t gap = UINT64_MAX;
    /* Repeat the group after the other modules have had 100 / share
     * times its size on air, so that the repetition makes the cycle
     * about share percent longer than without it. */
    if (p->cfg->first_share)
        gap = gbytes * 100u / p->cfg->first_share;
    uint64_t since = 0;
    if (p->cfg->schedule == OC_SCHEDULE_SEQUENTIAL) {
        for (size_t i = 0; i < nm && !e; i++) {
            oc_module_info mi;
            oc_carousel_module(p->car, i, &mi);
            for (size_t b = 0; b < mi.blocks && !mi.first && !e; b++)
                e = put_other_block(p, i, b, most_first, gap, &since);
        }
        return e;
    }
    for (size_t b = 0; b < most && !e; b++) {
        for (size_t i = 0; i < nm && !e; i++) {
            oc_module_info mi;
            oc_carousel_module(p->car, i, &mi);
            if (!mi.first && b < mi.blocks)
                e = put_other_block(p, i, b, most_first, gap, &since);
        }
    }
    return e;
}

static double seconds(uint64_t packets, uint64_t rate)
{
    return rate ? (double)packets * OC_TS_PACKET * 8.0 / (double)rate : 0.0;
}

static void car_progress(void *ud, uint64_t done, uint64_t total)
{
    const oc_build_config *cfg = ud;
    cfg->progress(cfg->progress_ud, "encoding", done, total);
}

oc_err oc_build_layout(const oc_tree *tree, const oc_build_config *cfg,
                       oc_ts_sink_fn sink, void *ud, oc_build_stats *stats,
                       oc_layout *layout)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (layout)
        memset(layout, 0, sizeof *layout);
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
        .first_paths = cfg->first_paths,
        .n_first = cfg->n_first,
        .prev = cfg->prev,
        .progress = cfg->progress ? car_progress : NULL,
        .progress_ud = (void *)cfg,
    };
    oc_carousel *car = NULL;
    e = oc_carousel_create(tree, &cc, &car);
    if (e)
        return e;

    playout p = { .cfg = cfg, .car = car, .sink = sink, .ud = ud };
    memset(p.null_pkt, 0xFF, sizeof p.null_pkt);
    p.null_pkt[0] = 0x47;
    p.null_pkt[1] = 0x1F;
    p.null_pkt[2] = 0xFF;
    /* 13818-1 2.4.3.3: a null packet's continuity_counter is undefined;
     * adaptation_field_control '01'. */
    p.null_pkt[3] = 0x10;
    uint64_t rate = cfg->ts_bitrate ? cfg->ts_bitrate : cfg->carousel_bitrate;
    p.psi_interval = cfg->psi_interval;
    if (rate) {
        /* 100 ms of stream time, in whole packets (never more). */
        uint64_t n = rate / (10u * OC_TS_PACKET * 8u);
        p.psi_interval = n ? (unsigned)n : 1;
    }
    if (cfg->ts_bitrate && cfg->carousel_bitrate) {
        p.pace = true;
        p.credit_add = cfg->carousel_bitrate;
        p.credit_need = cfg->ts_bitrate;
        p.credit = p.credit_need;       /* the first packet goes at once */
    }
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
        .version_number = cfg->psi_version,
    };
    e = oc_psi_generate(&pc, &p.pat, &p.pmt);
    if (!e)
        e = oc_ts_create(queue_sink, &p.q, &p.ts);
    if (!e)
        e = oc_ts_create(queue_sink, &p.psi_q, &p.ts_psi);
    if (!e)
        oc_ts_set_packing(p.ts, cfg->pack_sections);
    if (!e)
        e = put_psi(&p);
    uint64_t cycle_start = p.slot, cycle_len = 0, cycle_bytes = 0;
    uint64_t cycle_psi = 0, cycle_nulls = 0;
    unsigned cycles = 0;
    uint64_t want = 0;
    if (cfg->duration_s)
        want = (uint64_t)cfg->duration_s * rate / (OC_TS_PACKET * 8u);
    for (;;) {
        if (e)
            break;
        if (cfg->duration_s ? (cycles > 0 && p.slot >= want)
                            : cycles >= cfg->cycles)
            break;
        p.timing = cycles == 0;
        uint64_t mb = p.module_bytes, psi0 = p.psi, nulls0 = p.nulls;
        e = play_cycle(&p);
        /* A cycle ends on a packet boundary with no section open: a
         * clean place to loop the file or switch to another. */
        if (!e)
            e = flush_carousel(&p);
        if (cycles == 0) {
            cycle_len = p.slot - cycle_start;
            cycle_bytes = p.module_bytes - mb;
            cycle_psi = p.psi - psi0;
            cycle_nulls = p.nulls - nulls0;
        }
        cycles++;
        if (!e && cfg->progress)
            cfg->progress(cfg->progress_ud, "writing",
                          cfg->duration_s ? (p.slot < want ? p.slot : want)
                                          : cycles,
                          cfg->duration_s ? want : cfg->cycles);
    }

    if (!e && layout)
        e = oc_carousel_layout(car, layout);
    if (stats) {
        oc_carousel_get_stats(car, &stats->carousel);
        stats->cycles = cycles;
        stats->packets = p.slot;
        stats->bytes_on_air = p.slot * OC_TS_PACKET;
        stats->null_packets = p.nulls;
        stats->psi_packets = p.psi;
        stats->ddb_sections = p.ddbs;
        stats->repeat_packets = p.repeat_pkts;
        stats->cycle_psi_packets = cycle_psi;
        stats->cycle_null_packets = cycle_nulls;
        stats->rate = rate;
        stats->cycle_packets = cycle_len;
        stats->cycle_module_bytes = cycle_bytes;
        stats->groups_per_cycle = (unsigned)p.n_g;
        stats->psi_interval = p.psi_interval;
        /* Tune in just after group i started: the next complete group
         * ends at g_end[i+1] (the first group of the next cycle for the
         * last one).  PAT and PMT may take one more PSI interval. */
        uint64_t worst = 0;
        for (size_t i = 0; i < p.n_g; i++) {
            uint64_t end = i + 1 < p.n_g ? p.g_end[i + 1]
                                         : p.g_end[0] + cycle_len;
            if (end - p.g_start[i] > worst)
                worst = end - p.g_start[i];
        }
        stats->first_screen_packets = worst + p.psi_interval;
        stats->cycle_seconds = seconds(cycle_len, rate);
        stats->first_screen_seconds =
            seconds(stats->first_screen_packets, rate);
    }
    oc_ts_destroy(p.ts);
    oc_ts_destroy(p.ts_psi);
    free(p.q.p);
    free(p.psi_q.p);
    free(p.g_start);
    free(p.g_end);
    dvb_writer_free(&p.pat);
    dvb_writer_free(&p.pmt);
    oc_carousel_destroy(car);
    if (e && layout)
        oc_layout_free(layout);
    return e;
}

oc_err oc_build(const oc_tree *tree, const oc_build_config *cfg,
                oc_ts_sink_fn sink, void *ud, oc_build_stats *stats)
{
    return oc_build_layout(tree, cfg, sink, ud, stats, NULL);
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
