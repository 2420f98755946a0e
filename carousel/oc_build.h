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
 * Schedule, per cycle (TR 101 202 4.7.x leaves repetition to the
 * broadcaster; docs/carousel.md explains the choices):
 *   the first-screen group (DSI, DII, every block of the modules marked
 *   first: manifest, root menu, its images, regions) opens the cycle and
 *   is repeated whenever the other modules' blocks sent since the last
 *   group reach group_bytes * 100 / first_share, so that the repetition
 *   makes the cycle about first_share percent longer;
 *   the other modules' blocks round robin (block 0 of every module, then
 *   block 1 of every module, ...), or module after module with
 *   OC_SCHEDULE_SEQUENTIAL;
 *   DSI and DII again whenever control_interval packets have passed.
 * PAT and PMT go first and again whenever psi_interval packets (slots of
 * the whole stream, nulls included) have passed: with a bitrate that is
 * 100 ms of stream time (13818-1 2.4.4, EN 300 468 / TR 101 211 and
 * TR 101 290 ask for at least every 0.5 s; 100 ms is what receivers that
 * tune fast expect); without one, 64 packets.
 * With --ts-bitrate above --carousel-bitrate, null packets (PID 0x1FFF,
 * 13818-1 2.4.3.3) fill the difference, carousel packets spread evenly.
 */
#ifndef OC_BUILD_H
#define OC_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_carousel.h"
#include "carousel/oc_err.h"
#include "carousel/oc_ts.h"
#include "carousel/oc_tree.h"

/* The order of the blocks of the modules that are not the first
 * screen's. */
typedef enum {
    /* block 0 of every module, then block 1 of every module, ...:
     * the default */
    OC_SCHEDULE_INTERLEAVED,
    /* every block of a module in a row, module after module, as common
     * playout tools send a carousel (bench/bench_build.c's round robin) */
    OC_SCHEDULE_SEQUENTIAL
} oc_schedule;

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
    uint64_t carousel_bitrate;    /* --carousel-bitrate, bit/s; 0: none */
    uint64_t ts_bitrate;          /* --ts-bitrate, bit/s; 0: none (no nulls) */
    uint32_t duration_s;          /* --duration: cycles until this much
                                   * stream time has passed; 0: --cycles */
    unsigned first_share;         /* percent the first screen's repetition
                                   * adds to the cycle, 0..50, default 10
                                   * (0: no repetition) */
    uint8_t psi_version;          /* version_number of PAT and PMT */
    oc_schedule schedule;         /* default OC_SCHEDULE_INTERLEAVED */
    int pack_sections;            /* sections back to back in packets
                                   * (oc_ts_set_packing), default 1;
                                   * --no-section-packing */
    /* Passed to the carousel (oc_carousel_config): borrowed. */
    const char *const *first_paths;
    size_t n_first;
    const oc_layout *prev;
    /* Progress: stage "encoding" (bytes) then "writing" (cycles). */
    void (*progress)(void *ud, const char *stage, uint64_t done,
                     uint64_t total);
    void *progress_ud;
} oc_build_config;

/* Ranges the options accept (checked by oc_build_config_check). */
#define OC_BLOCK_SIZE_MIN   16u
#define OC_MODULE_SIZE_MIN  1024u
#define OC_MODULE_SIZE_MAX  (64u << 20)
#define OC_CYCLES_MAX       10000u
#define OC_BITRATE_MIN      50000u          /* 3 packets per 100 ms */
#define OC_BITRATE_MAX      200000000u
#define OC_DURATION_MAX     86400u
#define OC_FIRST_SHARE_MAX  50u
/* PAT + PMT, one packet each, every 100 ms. */
#define OC_PSI_BITRATE      (2u * 188u * 8u * 10u)

void oc_build_config_default(oc_build_config *cfg);

/* OC_OK, or OC_EINVAL with a message naming the option in why. */
oc_err oc_build_config_check(const oc_build_config *cfg, char *why,
                             size_t why_len);

typedef struct {
    oc_carousel_stats carousel;
    unsigned cycles;
    uint64_t packets;             /* all packets written */
    uint64_t bytes_on_air;        /* packets * 188 */
    uint64_t null_packets;
    uint64_t psi_packets;
    uint64_t ddb_sections;        /* DDBs written, repetitions included */
    uint64_t repeat_packets;      /* one cycle's packets of repeated
                                   * first-screen groups (DSI, DII, DDBs) */
    uint64_t rate;                /* bit/s the times below assume; 0: none */
    uint64_t cycle_packets;       /* one cycle, nulls and PSI included */
    uint64_t cycle_module_bytes;  /* module data in one cycle, repeats too */
    uint64_t cycle_psi_packets;   /* PAT and PMT packets in one cycle */
    uint64_t cycle_null_packets;  /* null packets in one cycle */
    unsigned groups_per_cycle;    /* first-screen groups in one cycle */
    uint64_t first_screen_packets;/* worst case: tune in, get PAT, PMT,
                                   * DSI, DII and the first modules */
    double cycle_seconds;         /* 0 without a rate */
    double first_screen_seconds;  /* 0 without a rate */
    unsigned psi_interval;        /* packets between PAT/PMT, as used */
} oc_build_stats;

/* Build the carousel of tree and write the stream, packet by packet, to
 * sink.  stats may be NULL. */
oc_err oc_build(const oc_tree *tree, const oc_build_config *cfg,
                oc_ts_sink_fn sink, void *ud, oc_build_stats *stats);

/* oc_build, also returning the layout for a later update (free it with
 * oc_layout_free) when layout is not NULL. */
oc_err oc_build_layout(const oc_tree *tree, const oc_build_config *cfg,
                       oc_ts_sink_fn sink, void *ud, oc_build_stats *stats,
                       oc_layout *layout);

/* The same into memory: *ts (free() it) of *len bytes. */
oc_err oc_build_mem(const oc_tree *tree, const oc_build_config *cfg,
                    uint8_t **ts, size_t *len, oc_build_stats *stats);

#endif
