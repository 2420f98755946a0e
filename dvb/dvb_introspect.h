/*
 * dvb_analyser: a read-only view of a transport stream for the
 * broadcast engineer (civictv-carousel inspect and extract).
 *
 * It watches the same bytes as a receiver but keeps what a receiver
 * throws away once it has its carousel: every PID with its packet,
 * continuity and error counts (ISO/IEC 13818-1 2.4.3.2-3; the error
 * classes of ETSI TR 101 290 5.2.1-2: sync loss, continuity_count_error,
 * transport_error, CRC_error), every service of the PAT with its PMT
 * streams and data-broadcast signalling (EN 301 192 8.2, ES 202 184) and
 * its SDT name (EN 300 468 5.2.3), and for every PID that carries DSM-CC
 * sections the DSI, the DIIs and each module's size, version, block
 * count, blocks seen and compression (ISO/IEC 13818-6 7.3, 9.2;
 * TR 101 202 4.6-4.7).
 *
 * It builds no objects: the object tree comes from a dvb_receiver's
 * store, so that what inspect shows is what the box would show.
 *
 * Ownership: the analyser owns everything; the pointers its getters
 * return are borrowed until the next push or destroy.
 */
#ifndef DVB_INTROSPECT_H
#define DVB_INTROSPECT_H

#include "dvb/dvb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dvb_analyser dvb_analyser;

dvb_err dvb_analyser_create(dvb_analyser **out);
void dvb_analyser_destroy(dvb_analyser *a);        /* NULL is a no-op */
/* Any length, any alignment.  DVB_ENOMEM only; damage is counted. */
dvb_err dvb_analyser_push(dvb_analyser *a, const uint8_t *data, size_t len);

typedef struct {
    uint64_t bytes;
    uint64_t packets;
    uint64_t sync_losses;          /* TR 101 290 1.1 */
    uint64_t cc_errors;            /* 1.4, over all PIDs */
    uint64_t transport_errors;     /* 2.1: transport_error_indicator */
    uint64_t crc_errors;           /* 2.2: DSM-CC sections (CRC or checksum) */
    uint64_t section_errors;       /* DSM-CC sections/messages that did not parse */
} dvb_analysis_totals;

void dvb_analyser_totals(const dvb_analyser *a, dvb_analysis_totals *t);

typedef struct {
    uint16_t pid;
    uint64_t packets;
    uint64_t cc_errors;
    uint64_t transport_errors;
    uint64_t scrambled;            /* transport_scrambling_control != 0 */
    uint64_t dsmcc_sections;       /* table_id 0x3B / 0x3C sections that parsed */
    const char *role;              /* "PAT", "PMT", "SDT", "carousel", "null", or "" */
} dvb_pid_stats;

size_t dvb_analyser_pid_count(const dvb_analyser *a);
/* In PID order. */
const dvb_pid_stats *dvb_analyser_pid(const dvb_analyser *a, size_t i);

typedef struct {
    uint16_t pid;
    uint8_t stream_type;
    bool has_component_tag;
    uint8_t component_tag;         /* stream_identifier_descriptor 0x52 */
    bool has_data_broadcast_id;
    uint16_t data_broadcast_id;    /* data_broadcast_id_descriptor 0x66 */
    bool has_carousel_id;
    uint32_t carousel_id;          /* carousel_identifier_descriptor 0x13 */
} dvb_es_desc;

#define DVB_ANALYSER_MAX_ES 32

typedef struct {
    uint16_t program_number;
    uint16_t pmt_pid;
    bool have_pmt;
    char name[128];                /* SDT service_name in UTF-8, "" if none */
    char provider[128];
    uint8_t service_type;
    size_t es_count;
    dvb_es_desc es[DVB_ANALYSER_MAX_ES];
} dvb_service_desc;

size_t dvb_analyser_service_count(const dvb_analyser *a);
/* In PAT order. */
const dvb_service_desc *dvb_analyser_service(const dvb_analyser *a, size_t i);

typedef struct {
    uint16_t moduleId;
    uint8_t moduleVersion;
    uint32_t moduleSize;           /* bytes on air */
    bool compressed;               /* compressed_module_descriptor 0x09 */
    uint8_t compression_method;
    uint32_t original_size;        /* after inflating, when compressed */
    bool has_tap;
    uint16_t association_tag;
    unsigned blocks;               /* ceil(moduleSize / blockSize) */
    unsigned blocks_seen;          /* distinct DDB blocks of this version */
} dvb_module_desc;

typedef struct {
    uint32_t transactionId;
    uint32_t downloadId;
    uint16_t blockSize;
    size_t module_count;
    const dvb_module_desc *modules;
} dvb_dii_desc;

typedef struct {
    uint16_t pid;
    bool have_dsi;
    uint32_t dsi_transactionId;
    uint32_t carousel_id;          /* the ServiceGateway IOR's carouselId */
    uint16_t gateway_module;
    uint8_t gateway_key[16];
    uint8_t gateway_key_length;    /* bytes of gateway_key used */
    uint64_t dsi_count, dii_count, ddb_count;
    size_t dii_count_distinct;
    const dvb_dii_desc *diis;      /* the latest DII of each identification */
} dvb_carousel_desc;

size_t dvb_analyser_carousel_count(const dvb_analyser *a);
/* In PID order. */
const dvb_carousel_desc *dvb_analyser_carousel(const dvb_analyser *a,
                                               size_t i);

#endif
