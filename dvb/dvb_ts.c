/*
 * Transport-stream packets and sections (ISO/IEC 13818-1).
 *
 * Sync (13818-1 2.4.3.2; recovery as in TR 101 290 3.2 "TS_sync_loss"):
 * a byte 0x47 is taken as a packet start only when two more 0x47 follow
 * at one and two packet lengths, which rejects the 0x47 bytes that occur
 * inside payloads.  188-byte packets are tried first, then 204-byte ones (with
 * Reed-Solomon parity, as some DVB-S recorders write them).  Once in sync
 * each packet must start with 0x47 or sync is hunted again.  While in
 * sync, packets are handed on from the caller's buffer as they lie (no
 * copy); a packet cut across two pushes is completed in a small window,
 * and the hunt for sync works in that window too, so the result does not
 * depend on how the caller chunks its reads.
 *
 * Sections (13818-1 2.4.4.1-2.4.4.2, 2.4.3.3 continuity_counter):
 * a payload_unit_start_indicator packet begins with pointer_field, the
 * number of bytes that finish the previous section before the first new
 * one starts.  After a section ends, another may follow in the same
 * packet or the rest is 0xFF stuffing.  A continuity gap means packets
 * were lost: the partial section is dropped rather than glued to the
 * bytes after the gap (its CRC would probably catch that, but
 * checksum-less sections and wasted work argue for dropping early).
 * One repeated packet with the same continuity_counter is allowed by
 * 2.4.3.3 and is ignored.  A packet whose adaptation field sets the
 * discontinuity_indicator (2.4.3.5) may jump: the partial section is
 * dropped but no continuity error is counted.
 */
#include "dvb/dvb_ts.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW (16u * 1024u)   /* only used while hunting for sync */

struct dvb_ts {
    dvb_ts_packet_fn fn;
    void *ud;
    dvb_logger log;
    size_t psize;              /* 0: hunting for sync */
    uint64_t sync_losses;
    size_t len;                /* bytes held in buf */
    uint8_t buf[WINDOW];
};

dvb_err dvb_ts_create(dvb_ts_packet_fn fn, void *ud, const dvb_logger *log,
                      dvb_ts **out)
{
    if (!fn || !out)
        return DVB_EINVAL;
    dvb_ts *ts = calloc(1, sizeof *ts);
    if (!ts)
        return DVB_ENOMEM;
    ts->fn = fn;
    ts->ud = ud;
    if (log)
        ts->log = *log;
    *out = ts;
    return DVB_OK;
}

void dvb_ts_destroy(dvb_ts *ts)
{
    free(ts);
}

uint64_t dvb_ts_sync_losses(const dvb_ts *ts)
{
    return ts->sync_losses;
}

/* Consumes what it can from ts->buf and returns the bytes used. */
static size_t process(dvb_ts *ts)
{
    const uint8_t *b = ts->buf;
    size_t n = ts->len, pos = 0;
    for (;;) {
        if (ts->psize) {
            if (n - pos < ts->psize)
                break;
            if (b[pos] == 0x47) {
                ts->fn(ts->ud, b + pos);
                pos += ts->psize;
                continue;
            }
            ts->psize = 0;
            ts->sync_losses++;
            dvb_logf(&ts->log, DVB_LOG_WARN, "TS sync lost");
        }
        /* Hunt: a 0x47 confirmed by two more at the packet spacing, so
         * that a 0x47 in a payload (or in Reed-Solomon parity) is
         * unlikely to fool it. */
        while (pos < n && b[pos] != 0x47)
            pos++;
        if (pos + 2 * DVB_TS_PACKET >= n)
            break;
        if (b[pos + DVB_TS_PACKET] == 0x47 &&
            b[pos + 2 * DVB_TS_PACKET] == 0x47) {
            ts->psize = DVB_TS_PACKET;
            continue;
        }
        if (pos + 2 * DVB_TS_PACKET_RS >= n)
            break;
        if (b[pos + DVB_TS_PACKET_RS] == 0x47 &&
            b[pos + 2 * DVB_TS_PACKET_RS] == 0x47) {
            ts->psize = DVB_TS_PACKET_RS;
            continue;
        }
        pos++;
    }
    return pos;
}

/* The window path: whatever is held plus as much new input as fits,
 * through process().  Returns the input bytes taken. */
static size_t through_window(dvb_ts *ts, const uint8_t *data, size_t len)
{
    size_t take = sizeof ts->buf - ts->len;
    if (take > len)
        take = len;
    if (take)
        memcpy(ts->buf + ts->len, data, take);
    ts->len += take;
    size_t used = process(ts);
    /* process() stops with less than three packets left, so the
     * window always drains enough to make progress. */
    memmove(ts->buf, ts->buf + used, ts->len - used);
    ts->len -= used;
    return take;
}

void dvb_ts_push(dvb_ts *ts, const uint8_t *data, size_t len)
{
    if (!ts || (!data && len))
        return;
    while (len) {
        size_t ps = ts->psize;
        if (ps && ts->len == 0) {
            /* In sync with nothing held: packets are handed over where
             * they lie in the caller's buffer, with no copy. */
            while (len >= ps && data[0] == 0x47) {
                ts->fn(ts->ud, data);
                data += ps;
                len -= ps;
            }
            if (len < ps) {
                memcpy(ts->buf, data, len);     /* a packet cut by the push */
                ts->len = len;
                return;
            }
            /* No 0x47 where a packet should start: process() counts the
             * loss of sync and hunts, as it would have in the window. */
        } else if (ps && ts->len < ps) {
            /* A packet cut by the previous push: complete just that one,
             * so that the rest goes the fast way above. */
            size_t take = ps - ts->len;
            if (take > len)
                take = len;
            memcpy(ts->buf + ts->len, data, take);
            ts->len += take;
            data += take;
            len -= take;
            if (ts->len < ps)
                return;
            if (ts->buf[0] == 0x47) {
                ts->fn(ts->ud, ts->buf);
                ts->len = 0;
                continue;
            }
        }
        size_t took = through_window(ts, data, len);
        data += took;
        len -= took;
    }
    /* A completed packet that did not start with 0x47 when the input
     * ran out: process() decides now, exactly as the window would. */
    if (ts->psize && ts->len >= ts->psize)
        through_window(ts, data, 0);
}

/* ---- sections ---- */

struct dvb_secasm {
    int pid;
    dvb_section_fn fn;
    dvb_section_want_fn want;
    void *ud;
    dvb_logger log;
    int last_cc;               /* -1: none seen yet */
    bool in_section;           /* collecting a section in buf */
    bool decided;              /* want answered KEEP (or there is none) */
    bool skipping;             /* want answered SKIP: count, do not copy */
    size_t len;                /* bytes collected (or passed over) */
    size_t need;               /* total section size, 0 until 3 bytes */
    dvb_secasm_stats st;
    uint8_t buf[DVB_SECTION_MAX];
};

dvb_err dvb_secasm_create(int pid, dvb_section_fn fn, void *ud,
                          const dvb_logger *log, dvb_secasm **out)
{
    if (!fn || !out || pid < 0 || pid > 0x1FFF)
        return DVB_EINVAL;
    dvb_secasm *a = calloc(1, sizeof *a);
    if (!a)
        return DVB_ENOMEM;
    a->pid = pid;
    a->fn = fn;
    a->ud = ud;
    a->last_cc = -1;
    if (log)
        a->log = *log;
    *out = a;
    return DVB_OK;
}

void dvb_secasm_destroy(dvb_secasm *a)
{
    free(a);
}

int dvb_secasm_pid(const dvb_secasm *a)
{
    return a->pid;
}

void dvb_secasm_stats_get(const dvb_secasm *a, dvb_secasm_stats *st)
{
    *st = a->st;
}

void dvb_secasm_set_want(dvb_secasm *a, dvb_section_want_fn want)
{
    a->want = want;
}

static void drop_partial(dvb_secasm *a)
{
    a->in_section = false;
    a->decided = false;
    a->skipping = false;
    a->len = a->need = 0;
}

/* Feeds payload bytes.  may_start: new sections may begin here (only in
 * the part of a PUSI packet after the pointer_field). */
static void consume(dvb_secasm *a, const uint8_t *p, size_t n, bool may_start)
{
    while (n) {
        if (!a->in_section) {
            /* 0xFF where a table_id would be: stuffing to the end. */
            if (!may_start || p[0] == 0xFF)
                return;
            a->in_section = true;
            a->len = a->need = 0;
        }
        if (!a->need) {
            while (a->len < 3 && n) {
                a->buf[a->len++] = *p++;
                n--;
            }
            if (a->len < 3)
                return;
            a->need = 3u + (((size_t)(a->buf[1] & 0x0F) << 8) | a->buf[2]);
            if (a->need > DVB_SECTION_MAX) {
                /* Cannot be: the 12-bit field caps it at 4098 and 13818-1
                 * at 4096.  Without a length the rest is unreadable. */
                a->st.bad_packets++;
                drop_partial(a);
                return;
            }
        }
        size_t take = a->need - a->len;
        if (take > n)
            take = n;
        if (!a->skipping)
            memcpy(a->buf + a->len, p, take);
        a->len += take;
        p += take;
        n -= take;
        if (a->len == a->need) {
            size_t done = a->need;
            bool skipped = a->skipping;
            drop_partial(a);
            if (skipped) {
                a->st.skipped++;
                continue;
            }
            a->st.sections++;
            a->fn(a->ud, a->pid, a->buf, done);
        } else if (!a->decided && !a->skipping) {
            /* The end of this packet's part of the section: is the rest
             * wanted? */
            dvb_section_want w =
                a->want ? a->want(a->ud, a->pid, a->buf, a->len, a->need)
                        : DVB_SECTION_KEEP;
            if (w == DVB_SECTION_SKIP)
                a->skipping = true;
            else if (w == DVB_SECTION_KEEP)
                a->decided = true;
        }
    }
}

void dvb_secasm_push(dvb_secasm *a, const uint8_t *pkt)
{
    if (pkt[1] & 0x80) {
        /* transport_error_indicator: the demodulator could not correct
         * this packet; nothing in it can be trusted, not even the CC. */
        if (a->in_section)
            a->st.cc_errors++;
        drop_partial(a);
        a->last_cc = -1;
        return;
    }
    bool pusi = (pkt[1] & 0x40) != 0;
    unsigned afc = (pkt[3] >> 4) & 3u;
    unsigned cc = pkt[3] & 0x0Fu;
    if (afc == 0) {            /* reserved value: discard (2.4.3.3) */
        a->st.bad_packets++;
        return;
    }
    size_t start = 4;
    if (afc & 2u) {
        size_t alen = pkt[4];
        /* 2.4.3.5: 0..182 with payload, 183 without. */
        if ((afc == 3 && alen > 182) || (afc == 2 && alen != 183)) {
            a->st.bad_packets++;
            drop_partial(a);
            a->last_cc = -1;
            return;
        }
        start = 5 + alen;
        /* 2.4.3.5 discontinuity_indicator: the CC may jump here (a splice
         * or a new source); not an error, but nothing before it can be
         * continued. */
        if (alen >= 1 && (pkt[5] & 0x80u)) {
            drop_partial(a);
            a->last_cc = -1;
        }
    }
    if (!(afc & 1u))
        return;                /* no payload: the CC does not advance */
    if (a->last_cc >= 0) {
        if ((int)cc == a->last_cc)
            return;            /* duplicate packet */
        if (cc != (((unsigned)a->last_cc + 1u) & 0x0Fu)) {
            if (a->in_section) {
                a->st.cc_errors++;
                dvb_logf(&a->log, DVB_LOG_WARN,
                         "PID 0x%04X: continuity gap, partial section dropped",
                         (unsigned)a->pid);
            }
            drop_partial(a);
        }
    }
    a->last_cc = (int)cc;
    const uint8_t *p = pkt + start;
    size_t n = DVB_TS_PACKET - start;
    if (!pusi) {
        if (a->in_section)
            consume(a, p, n, false);
        return;
    }
    if (n == 0) {
        a->st.bad_packets++;
        drop_partial(a);
        return;
    }
    size_t ptr = p[0];
    p++;
    n--;
    if (ptr > n) {
        a->st.bad_packets++;
        drop_partial(a);
        return;
    }
    if (a->in_section) {
        consume(a, p, ptr, false);
        if (a->in_section) {
            /* The pointer says the old section ended earlier than its
             * length said: something is inconsistent, so drop it. */
            a->st.cc_errors++;
            drop_partial(a);
        }
    }
    consume(a, p + ptr, n - ptr, true);
}
