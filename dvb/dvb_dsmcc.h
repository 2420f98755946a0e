/*
 * DSM-CC sections and U-N download messages as used by DVB object
 * carousels: DownloadServerInitiate (DSI), DownloadInfoIndication (DII)
 * and DownloadDataBlock (DDB).  ISO/IEC 13818-6 clauses 7 and 9.2,
 * ETSI EN 301 192 clauses 8-9, TR 101 202 4.6-4.7.
 *
 * Decoded structures borrow from the section bytes, except a DII's module
 * array, which is allocated (dvb_dii_clear frees it).
 */
#ifndef DVB_DSMCC_H
#define DVB_DSMCC_H

#include "dvb/dvb_biop.h"
#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DVB_TID_DSMCC_UN  0x3Bu   /* U-N messages: DSI, DII */
#define DVB_TID_DSMCC_DDB 0x3Cu   /* download data messages: DDB */

#define DVB_MSG_DII 0x1002u
#define DVB_MSG_DDB 0x1003u
#define DVB_MSG_DSI 0x1006u

/* A DSMCC_section (13818-6 9.2.2) with its header decoded and its
 * CRC_32 (section_syntax_indicator 1) or checksum (0) checked.  payload
 * is the message. */
typedef struct {
    uint8_t table_id;
    bool section_syntax_indicator;
    bool private_indicator;
    bool checksum_variant;        /* syntax indicator 0: checksum, not CRC */
    uint16_t table_id_extension;
    uint8_t version_number;
    bool current_next_indicator;
    uint8_t section_number;
    uint8_t last_section_number;
    const uint8_t *payload;
    size_t payload_len;
} dvb_dsmcc_section;

/* DVB_ECRC on a bad CRC or checksum, DVB_ETRUNC / DVB_ESYNTAX on bad
 * lengths. */
dvb_err dvb_dsmcc_section_parse(const uint8_t *sec, size_t len,
                                dvb_dsmcc_section *out);

/* The 13818-6 9.2.2.1 checksum of len bytes (the section without its
 * last four); a writer stores it big-endian in those four bytes. */
uint32_t dvb_dsmcc_checksum(const uint8_t *p, size_t len);

/* dsmccMessageHeader / dsmccDownloadDataHeader (13818-6 7.2, 7.3.1). */
typedef struct {
    uint8_t protocolDiscriminator;
    uint8_t dsmccType;
    uint16_t messageId;
    uint32_t transactionId;       /* downloadId in a DDB */
    uint8_t adaptationLength;
    uint16_t messageLength;
    const uint8_t *body;          /* after the adaptation header */
    size_t body_len;
} dvb_dsmcc_msg;

dvb_err dvb_dsmcc_msg_parse(const uint8_t *p, size_t len, dvb_dsmcc_msg *out);

/* DSI with a ServiceGatewayInfo (TR 101 202 4.7.5, EN 301 192 8.1.1). */
typedef struct {
    uint32_t transactionId;
    dvb_ior service_gateway;       /* borrowed from the section */
} dvb_dsi;

dvb_err dvb_dsi_parse(const dvb_dsmcc_msg *m, dvb_dsi *out);

/* One module of a DII with its BIOP::ModuleInfo (TR 101 202 4.7.2). */
typedef struct {
    uint16_t moduleId;
    uint32_t moduleSize;
    uint8_t moduleVersion;
    uint32_t moduleTimeOut;
    uint32_t blockTimeOut;
    uint32_t minBlockTime;
    bool has_tap;                  /* BIOP_OBJECT_USE tap */
    uint16_t association_tag;
    bool compressed;               /* compressed_module_descriptor 0x09 */
    uint8_t compression_method;
    uint32_t original_size;
} dvb_dii_module;

typedef struct {
    uint32_t transactionId;
    uint32_t downloadId;
    uint16_t blockSize;
    uint16_t numberOfModules;
    dvb_dii_module *modules;       /* allocated */
} dvb_dii;

dvb_err dvb_dii_parse(const dvb_dsmcc_msg *m, dvb_dii *out);
void dvb_dii_clear(dvb_dii *d);

typedef struct {
    uint32_t downloadId;
    uint16_t moduleId;
    uint8_t moduleVersion;
    uint16_t blockNumber;
    const uint8_t *blockData;      /* borrowed */
    size_t blockData_len;
} dvb_ddb;

dvb_err dvb_ddb_parse(const dvb_dsmcc_msg *m, dvb_ddb *out);

#endif
