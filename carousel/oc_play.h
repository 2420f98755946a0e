/*
 * oc_play: send a transport stream over UDP at a steady bitrate, the way
 * a playout server feeds a multiplexer, a set-top box or the app.
 *
 * Datagrams carry 7 packets (1316 bytes), the usual TS-over-IP payload
 * that fits an Ethernet MTU (ETSI TS 102 034 7.1; SMPTE 2022-2 uses the
 * same), optionally behind an RTP header (RFC 3550; payload type 33, MP2T,
 * RFC 2250 with a 90 kHz timestamp).  Pacing is by the wall clock
 * (CLOCK_MONOTONIC): datagram k leaves when k datagrams' worth of bits
 * have had time to pass at the bitrate; the stream carries no PCR, so
 * nothing else is needed.
 *
 * Continuity counters (13818-1 2.4.3.3) are rewritten to run on across
 * passes and across the switch, as a multiplexer's output does, so that
 * looping a file or switching files is not a continuity error; within a
 * pass of a file that is itself continuous the bytes are unchanged.
 *
 * Files: `first` is sent once, or looped; with `then`, playout switches
 * to `then` after `after_cycles` passes of `first`, or when *switch_flag
 * becomes non-zero (set by a SIGUSR1 handler in the caller), at the next
 * point of `first` where no section is half sent (so a receiver loses
 * nothing from either file), as a live update would.  `then` is sent
 * once, or looped with `loop`.  *stop_flag (optional) ends playout.
 */
#ifndef OC_PLAY_H
#define OC_PLAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"

#define OC_PLAY_PACKETS_PER_DATAGRAM 7u

typedef struct {
    const char *addr;             /* "HOST:PORT", "[V6]:PORT" */
    uint64_t bitrate;             /* bit/s of TS packets (RTP not counted) */
    bool loop;                    /* loop the last file */
    bool rtp;                     /* RTP header on each datagram */
    const char *first;
    const char *then;             /* NULL: no switch */
    unsigned after_cycles;        /* passes of first before then; 0: on signal */
    volatile sig_atomic_t *switch_flag;   /* may be NULL */
    volatile sig_atomic_t *stop_flag;     /* may be NULL */
} oc_play_config;

typedef struct {
    uint64_t datagrams;
    uint64_t packets;
    unsigned passes_first;        /* complete or partial passes of first */
    bool switched;
} oc_play_stats;

/* Run playout to its end.  why names the file or address on error. */
oc_err oc_play_run(const oc_play_config *cfg, oc_play_stats *st, char *why,
                   size_t why_len);

/* A loaded transport stream: whole 188-byte packets, sync bytes checked,
 * and where a switch may happen (safe[i]: no section is open before
 * packet i). */
typedef struct {
    uint8_t *data;
    size_t packets;
    uint8_t *safe;
} oc_play_file;

oc_err oc_play_load(const char *path, oc_play_file *f, char *why,
                    size_t why_len);
void oc_play_file_free(oc_play_file *f);

/* When the datagram after `bits` bits leaves, in ns after the start, at
 * bitrate bit/s (no overflow for any run shorter than 500 years). */
uint64_t oc_play_due_ns(uint64_t bits, uint64_t bitrate);

/* Continuity counters carried on across files: oc_play_cc_fix sets a
 * packet's continuity_counter to follow the last one sent on its PID
 * (the first packet of a PID keeps its own). */
typedef struct {
    uint8_t next[8192];          /* > 0x0F: PID not seen yet */
} oc_play_cc;

void oc_play_cc_init(oc_play_cc *c);
void oc_play_cc_fix(oc_play_cc *c, uint8_t *pkt);

#endif
