/*
 * The section packetiser of oc_ts.h (ISO/IEC 13818-1 2.4.3.2-2.4.3.3 for
 * the packet header, 2.4.4.2 for pointer_field).
 */
#include "carousel/oc_ts.h"

#include <stdlib.h>
#include <string.h>

struct oc_ts {
    oc_ts_sink_fn sink;
    void *ud;
    uint64_t packets;
    uint8_t cc[8192];       /* next continuity_counter per PID */
    int packing;
    /* With packing, the packet being filled: its PID, payload bytes
     * (without the pointer_field) and where the first section that
     * starts in it begins (-1: none yet, so no pointer_field). */
    int open;
    uint16_t pid;
    uint8_t pl[OC_TS_PACKET];
    size_t pl_len;
    long start;
};

oc_err oc_ts_create(oc_ts_sink_fn sink, void *ud, oc_ts **out)
{
    *out = NULL;
    if (!sink)
        return OC_EINVAL;
    oc_ts *ts = calloc(1, sizeof *ts);
    if (!ts)
        return OC_ENOMEM;
    ts->sink = sink;
    ts->ud = ud;
    *out = ts;
    return OC_OK;
}

void oc_ts_destroy(oc_ts *ts)
{
    free(ts);
}

static void header(oc_ts *ts, uint8_t *p, uint16_t pid, int pusi)
{
    p[0] = 0x47;                                    /* sync_byte */
    /* transport_error_indicator 0, payload_unit_start_indicator,
     * transport_priority 0, PID */
    p[1] = (uint8_t)((pusi ? 0x40 : 0x00) | (pid >> 8));
    p[2] = (uint8_t)pid;
    /* transport_scrambling_control '00', adaptation_field_control '01'
     * (payload only), continuity_counter */
    p[3] = (uint8_t)(0x10 | ts->cc[pid]);
    ts->cc[pid] = (uint8_t)((ts->cc[pid] + 1) & 0x0F);
}

static oc_err emit(oc_ts *ts, const uint8_t *p)
{
    if (ts->sink(ts->ud, p))
        return OC_EIO;
    ts->packets++;
    return OC_OK;
}

void oc_ts_set_packing(oc_ts *ts, int on)
{
    ts->packing = on != 0;
}

/* The open packet out: payload_unit_start_indicator and pointer_field
 * when a section starts in it, 0xFF stuffing after the last byte. */
static oc_err finish(oc_ts *ts)
{
    if (!ts->open)
        return OC_OK;
    uint8_t p[OC_TS_PACKET];
    header(ts, p, ts->pid, ts->start >= 0);
    size_t at = 4;
    if (ts->start >= 0)
        p[at++] = (uint8_t)ts->start;
    memcpy(p + at, ts->pl, ts->pl_len);
    at += ts->pl_len;
    memset(p + at, 0xFF, OC_TS_PACKET - at);
    ts->open = 0;
    return emit(ts, p);
}

oc_err oc_ts_flush(oc_ts *ts)
{
    return ts ? finish(ts) : OC_EINVAL;
}

/* 13818-1 2.4.4.2: a section may begin anywhere in a packet, the
 * pointer_field at the start of the payload saying where the first one
 * begins; the bytes before it end the previous section.  A section is
 * begun only if its 8-byte header fits in the packet, so that no
 * demultiplexer meets a header split across packets. */
static oc_err put_packed(oc_ts *ts, uint16_t pid, const uint8_t *sec,
                         size_t len)
{
    oc_err e;
    if (ts->open && ts->pid != pid && (e = finish(ts)))
        return e;
    if (ts->open) {
        /* 183: a pointer_field is there or comes with this section */
        size_t cap = OC_TS_PACKET - 5;
        if (ts->pl_len + 8 > cap && (e = finish(ts)))
            return e;
    }
    if (!ts->open) {
        ts->open = 1;
        ts->pid = pid;
        ts->pl_len = 0;
        ts->start = -1;
    }
    if (ts->start < 0)
        ts->start = (long)ts->pl_len;
    size_t off = 0;
    while (off < len) {
        size_t cap = OC_TS_PACKET - 4 - (ts->start >= 0 ? 1u : 0u);
        size_t n = len - off;
        if (n > cap - ts->pl_len)
            n = cap - ts->pl_len;
        memcpy(ts->pl + ts->pl_len, sec + off, n);
        ts->pl_len += n;
        off += n;
        if (ts->pl_len == cap) {
            if ((e = finish(ts)))
                return e;
            if (off < len) {
                ts->open = 1;
                ts->pid = pid;
                ts->pl_len = 0;
                ts->start = -1;
            }
        }
    }
    return OC_OK;
}

oc_err oc_ts_put_section(oc_ts *ts, uint16_t pid, const uint8_t *sec,
                         size_t len)
{
    if (ts && ts->packing && sec && len >= 3 && len <= 4096 &&
        pid < OC_PID_NULL)
        return put_packed(ts, pid, sec, len);
    if (!ts || !sec || len < 3 || len > 4096 || pid >= OC_PID_NULL)
        return OC_EINVAL;
    uint8_t p[OC_TS_PACKET];
    size_t off = 0;
    int first = 1;
    while (off < len) {
        header(ts, p, pid, first);
        size_t at = 4;
        if (first)
            p[at++] = 0x00;                         /* pointer_field */
        size_t n = len - off;
        if (n > OC_TS_PACKET - at)
            n = OC_TS_PACKET - at;
        memcpy(p + at, sec + off, n);
        at += n;
        off += n;
        memset(p + at, 0xFF, OC_TS_PACKET - at);    /* stuffing */
        oc_err e = emit(ts, p);
        if (e)
            return e;
        first = 0;
    }
    return OC_OK;
}

oc_err oc_ts_put_null(oc_ts *ts)
{
    if (!ts)
        return OC_EINVAL;
    uint8_t p[OC_TS_PACKET];
    p[0] = 0x47;
    p[1] = 0x1F;
    p[2] = 0xFF;
    /* 13818-1 2.4.3.3: the continuity_counter of null packets is
     * undefined; 0 is as good as any. */
    p[3] = 0x10;
    memset(p + 4, 0xFF, OC_TS_PACKET - 4);
    return emit(ts, p);
}

uint64_t oc_ts_packets(const oc_ts *ts)
{
    return ts->packets;
}
