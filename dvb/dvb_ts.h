/*
 * Transport-stream layer (ISO/IEC 13818-1 2.4.3): packet sync over
 * arbitrarily chunked input, and per-PID section reassembly
 * (13818-1 2.4.4: pointer_field, sections spanning packets, several
 * sections in one packet, stuffing).
 */
#ifndef DVB_TS_H
#define DVB_TS_H

#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DVB_TS_PACKET 188u
#define DVB_TS_PACKET_RS 204u     /* 188 + 16 Reed-Solomon bytes */
#define DVB_SECTION_MAX 4096u     /* 13818-1 2.4.4.10: private section max */

/* ---- packet sync ---- */

/* Called with each packet's first 188 bytes (borrowed until return). */
typedef void (*dvb_ts_packet_fn)(void *ud, const uint8_t *pkt);

typedef struct dvb_ts dvb_ts;

dvb_err dvb_ts_create(dvb_ts_packet_fn fn, void *ud, const dvb_logger *log,
                      dvb_ts **out);
void dvb_ts_destroy(dvb_ts *ts);                   /* NULL is a no-op */
/* Any length, any alignment; keeps a partial packet for the next call. */
void dvb_ts_push(dvb_ts *ts, const uint8_t *data, size_t len);
/* Times sync was lost after being found (garbage inside the stream). */
uint64_t dvb_ts_sync_losses(const dvb_ts *ts);

/* ---- section reassembly for one PID ---- */

/* Called with each complete section (borrowed until return); the length
 * is 3 + section_length, unchecked beyond that. */
typedef void (*dvb_section_fn)(void *ud, int pid, const uint8_t *sec,
                               size_t len);

typedef struct {
    uint64_t cc_errors;        /* continuity gaps that cut a section */
    uint64_t bad_packets;      /* adaptation/pointer fields out of range */
    uint64_t sections;         /* sections delivered */
    uint64_t skipped;          /* sections read to their end, not kept
                                * (the want callback said so) */
} dvb_secasm_stats;

/* What to do with a section whose first bytes are in. */
typedef enum {
    DVB_SECTION_KEEP,          /* collect it and deliver it (the default) */
    DVB_SECTION_SKIP,          /* not wanted: its remaining bytes are
                                * passed over uncopied, never delivered */
    DVB_SECTION_MORE           /* ask again when more of it is in */
} dvb_section_want;

/* Asked with the start of each section (head: every byte collected so
 * far, at least the 3-byte header; sec_len: the section's full length)
 * after each packet that adds to it, until it answers KEEP or SKIP or the
 * section is complete (then it is delivered).  A skipped section is
 * still followed byte by byte (its length, continuity, pointer_field),
 * exactly as a collected one, so that skipping never changes what
 * happens to the sections around it. */
typedef dvb_section_want (*dvb_section_want_fn)(void *ud, int pid,
                                                const uint8_t *head,
                                                size_t head_len,
                                                size_t sec_len);

typedef struct dvb_secasm dvb_secasm;

dvb_err dvb_secasm_create(int pid, dvb_section_fn fn, void *ud,
                          const dvb_logger *log, dvb_secasm **out);
void dvb_secasm_destroy(dvb_secasm *a);            /* NULL is a no-op */
/* Sets (or with NULL clears) the want callback; it gets the ud given
 * to dvb_secasm_create. */
void dvb_secasm_set_want(dvb_secasm *a, dvb_section_want_fn want);
/* One 188-byte packet of this assembler's PID.  Packets with
 * transport_error_indicator set are dropped (and break continuity). */
void dvb_secasm_push(dvb_secasm *a, const uint8_t *pkt);
int dvb_secasm_pid(const dvb_secasm *a);
void dvb_secasm_stats_get(const dvb_secasm *a, dvb_secasm_stats *st);

static inline int dvb_ts_pid(const uint8_t *pkt)
{
    return ((pkt[1] & 0x1F) << 8) | pkt[2];
}

#endif
