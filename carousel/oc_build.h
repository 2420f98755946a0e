/*
 * oc_build: a tree of files to a complete transport stream that carries
 * it as an object carousel, with the PAT and PMT that lead to it.
 *
 * This is what `civictv-carousel build` runs, and what tests call
 * in-process.  The steps live in their own files so each can grow:
 *   oc_carousel.h  objects, modules, DSI/DII/DDB sections
 *   oc_psi.h       PAT and PMT (libdvbpsi)
 *   oc_ts.h        sections into 188-byte packets
 *   oc_build.c     the playout schedule (below)
 *
 * Schedule, per cycle (TR 101 202 4.7 leaves repetition to the
 * broadcaster):
 *   DSI, DII at the start of each cycle and again whenever
 *   control_interval packets have passed; then the DDBs round robin
 *   (block 0 of every module, then block 1 of every module, ...).
 *   PAT and PMT go first and again whenever psi_interval packets have
 *   passed.  Without a bitrate the intervals are in packets: at the
 *   nominal 1 Mbit/s of a small carousel, 664 packets are one second, so
 *   the default 64 packets is under 100 ms (13818-1 2.4.4 and ETSI
 *   TR 101 290 ask for a PAT/PMT at least every 0.5 s).
 */
#ifndef OC_BUILD_H
#define OC_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_carousel.h"
#include "carousel/oc_err.h"
#include "carousel/oc_ts.h"
#include "carousel/oc_tree.h"

typedef struct {
    uint16_t pmt_pid;             /* --pmt-pid, default 0x0100 */
    uint16_t pid;                 /* --pid: the carousel, default 0x0101 */
    uint16_t service_id;          /* --service-id (program_number), default 1 */
    uint16_t tsid;                /* --tsid, default 1 */
    uint32_t carousel_id;         /* --carousel-id, default 1 */
    uint8_t component_tag;        /* --component-tag, default 0x01 */
    uint16_t block_size;          /* --block-size, default 4066 */
    uint32_t module_size;         /* --module-size, default 64 KiB */
    oc_compress compress;         /* --compress, default auto */
    unsigned cycles;              /* --cycles, default 2 */
    uint8_t boot_priority_hint;   /* --boot-priority, default 1 */
    unsigned psi_interval;        /* packets between PAT/PMT, default 64 */
    unsigned control_interval;    /* packets between DSI/DII, default 512 */
} oc_build_config;

/* Ranges the options accept (checked by oc_build_config_check). */
#define OC_BLOCK_SIZE_MIN   16u
#define OC_MODULE_SIZE_MIN  1024u
#define OC_MODULE_SIZE_MAX  (64u << 20)
#define OC_CYCLES_MAX       10000u

void oc_build_config_default(oc_build_config *cfg);

/* OC_OK, or OC_EINVAL with a message naming the option in why. */
oc_err oc_build_config_check(const oc_build_config *cfg, char *why,
                             size_t why_len);

typedef struct {
    oc_carousel_stats carousel;
    unsigned cycles;
    uint64_t packets;             /* all packets written */
    uint64_t bytes_on_air;        /* packets * 188 */
} oc_build_stats;

/* Build the carousel of tree and write the stream, packet by packet, to
 * sink.  stats may be NULL. */
oc_err oc_build(const oc_tree *tree, const oc_build_config *cfg,
                oc_ts_sink_fn sink, void *ud, oc_build_stats *stats);

/* The same into memory: *ts (free() it) of *len bytes. */
oc_err oc_build_mem(const oc_tree *tree, const oc_build_config *cfg,
                    uint8_t **ts, size_t *len, oc_build_stats *stats);

#endif
