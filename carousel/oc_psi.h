/*
 * oc_psi: the PAT and PMT that lead a receiver to the carousel, generated
 * with libdvbpsi (ISO/IEC 13818-1 2.4.4.3 and 2.4.4.8).
 *
 * PAT: one program, service_id -> pmt_pid.
 * PMT: PCR_PID 0x1FFF (no PCR: 13818-1 2.4.4.9 allows it for a program
 * without a clock reference), no programme descriptors, and one
 * elementary stream of stream_type 0x0B (13818-6 type B: DSM-CC U-N
 * messages, EN 301 192 clause 9) on the carousel PID with, in this order:
 *   stream_identifier_descriptor 0x52 (EN 300 468 6.2.39): component_tag,
 *     which the taps' association_tag resolve to (TR 101 202 4.7);
 *   carousel_identifier_descriptor 0x13 (13818-6 clause 11,
 *     EN 301 192 clause 9): carousel_id, FormatId 0x00 (standard boot);
 *   data_broadcast_id_descriptor 0x66 (EN 300 468 6.2.13) with
 *     data_broadcast_id 0x0106 and, as ES 202 184 asks for that id, one
 *     id_selector entry: application_type_code 0x0101 (UK profile),
 *     boot_priority_hint, application_specific_data_length 0.
 *
 * Only this file includes libdvbpsi's headers.
 */
#ifndef OC_PSI_H
#define OC_PSI_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"
#include "dvb/dvb_bytes.h"

#define OC_STREAM_TYPE_DSMCC_B     0x0Bu
#define OC_DESC_STREAM_IDENTIFIER  0x52u
#define OC_DESC_CAROUSEL_ID        0x13u
#define OC_DESC_DATA_BROADCAST_ID  0x66u
#define OC_DATA_BROADCAST_ID_MHEG  0x0106u
#define OC_APP_TYPE_UK_PROFILE     0x0101u

typedef struct {
    uint16_t transport_stream_id;
    uint16_t program_number;      /* service_id */
    uint16_t pmt_pid;
    uint16_t carousel_pid;
    uint8_t component_tag;
    uint32_t carousel_id;
    uint8_t boot_priority_hint;
    uint8_t version_number;       /* of both tables, 0..31 */
} oc_psi_config;

/* Append the complete PAT section(s) to pat and PMT section(s) to pmt,
 * each with its CRC_32.  Several sections follow each other. */
oc_err oc_psi_generate(const oc_psi_config *cfg, dvb_writer *pat,
                       dvb_writer *pmt);

#endif
