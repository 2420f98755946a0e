/*
 * oc_ts: sections into 188-byte transport-stream packets (ISO/IEC
 * 13818-1 2.4.3 and 2.4.4.1-2.4.4.2).
 *
 * Each section starts in a new packet: that packet has
 * payload_unit_start_indicator set and a pointer_field of 0; the section
 * continues in following packets of the same PID without a pointer_field;
 * the unused end of the last packet is filled with 0xFF, which a receiver
 * reads as stuffing (13818-1 2.4.4: a table_id of 0xFF ends the sections
 * of a packet).  Packing several sections into a packet would save a
 * little bandwidth; one section per packet start is what every demux
 * handles and keeps a section's position on air easy to reason about.
 *
 * Packets carry payload only (adaptation_field_control '01'),
 * transport_scrambling_control '00', and a continuity_counter per PID that
 * increases by one with each packet of that PID, modulo 16.
 *
 * The mux holds no file: each finished packet goes to the sink callback
 * (borrowed bytes, valid until it returns).  A non-zero return from the
 * sink stops the mux with OC_EIO.
 */
#ifndef OC_TS_H
#define OC_TS_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"

#define OC_TS_PACKET 188u
#define OC_PID_NULL  0x1FFFu

typedef int (*oc_ts_sink_fn)(void *ud, const uint8_t *pkt);

typedef struct oc_ts oc_ts;

oc_err oc_ts_create(oc_ts_sink_fn sink, void *ud, oc_ts **out);
void oc_ts_destroy(oc_ts *ts);                      /* NULL is a no-op */

/* Packetise one complete section (3..4096 bytes) on pid (0..0x1FFE). */
oc_err oc_ts_put_section(oc_ts *ts, uint16_t pid, const uint8_t *sec,
                         size_t len);

/* Packing (off by default): a section may start in the packet where the
 * previous one on the same PID ended (pointer_field, 13818-1 2.4.4.2),
 * instead of after 0xFF stuffing; the last packet of a section is then
 * held back until the next section on that PID or oc_ts_flush.  This
 * saves most of the stuffing (4096-byte sections otherwise take 23
 * packets for 22.3 packets of bytes).  A section begins only where its
 * 8-byte header fits in the packet. */
void oc_ts_set_packing(oc_ts *ts, int on);

/* Send the packet held back by packing, stuffed with 0xFF.  A no-op when
 * there is none. */
oc_err oc_ts_flush(oc_ts *ts);

/* A null packet (PID 0x1FFF), for constant-bitrate output. */
oc_err oc_ts_put_null(oc_ts *ts);

/* Packets written so far. */
uint64_t oc_ts_packets(const oc_ts *ts);

#endif
