/*
 * DSM-CC download messages and their sections: what carries the modules
 * of an object carousel.
 *
 * A carousel is announced by a DownloadServerInitiate (DSI), whose private
 * data is the ServiceGateway's IOR; a DownloadInfoIndication (DII) lists
 * the modules (id, size, version, ModuleInfo); DownloadDataBlocks (DDB)
 * carry each module cut into blocks of blockSize bytes.  ISO/IEC 13818-6
 * clause 7 defines the messages, clause 9.2 the sections that carry them,
 * EN 301 192 clauses 8-9 and TR 101 202 clauses 4.6-4.7 give their
 * semantics for DVB.
 *
 * Section (13818-6 9.2.2): table_id 0x3B (DSI, DII) or 0x3C (DDB),
 * section_syntax_indicator 1, private_indicator 0 (the complement of the
 * syntax indicator), dsmcc_section_length (at most 4093: a section is at
 * most 4096 bytes), table_id_extension, version_number, current_next 1,
 * section_number, last_section_number, the message, CRC_32.
 *
 * All functions append to a dvb_writer and return OC_OK, or OC_ENOMEM /
 * OC_ELIMIT when the writer failed, OC_EINVAL for out-of-range fields.
 */
#ifndef OC_DSMCC_H
#define OC_DSMCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"
#include "dvb/dvb_bytes.h"

#define OC_TID_DSI_DII 0x3Bu
#define OC_TID_DDB     0x3Cu

#define OC_MSG_DII 0x1002u
#define OC_MSG_DDB 0x1003u
#define OC_MSG_DSI 0x1006u

/* The largest section and what it leaves for a message: 4096 bytes less
 * the 8-byte section header and the 4-byte CRC. */
#define OC_SECTION_MAX  4096u
#define OC_SECTION_BODY_MAX (OC_SECTION_MAX - 12u)
/* dsmccDownloadDataHeader (12) + DDB fields (6) leave 4066 for a block. */
#define OC_BLOCK_MAX (OC_SECTION_BODY_MAX - 12u - 6u)

/* Transaction ids, TR 101 202 4.6 / EN 301 192 clause 8:
 *   bits 31-30 originator: 0b10 (assigned by the network, as carousels are)
 *   bits 29-16 version: changes when the message changes
 *   bits 15-1  identification: 0 for the DSI, unique per DII otherwise
 *   bit  0     updated flag: toggled on each update
 * OC_TID_MAKE composes one from the version, identification and flag. */
#define OC_TID_MAKE(version, ident, updated)                        \
    (0x80000000u | (((uint32_t)(version) & 0x3FFFu) << 16) |        \
     (((uint32_t)(ident) & 0x7FFFu) << 1) | ((uint32_t)(updated) & 1u))

/* compressed_module_descriptor, TR 101 202 4.7 / EN 301 192 */
#define OC_DESC_COMPRESSED_MODULE 0x09u
#define OC_COMPRESSION_ZLIB       0x08u

/* Wrap a message into one long-form DSM-CC section with its CRC_32. */
oc_err oc_dsmcc_section(dvb_writer *out, uint8_t table_id,
                        uint16_t table_id_extension, uint8_t version_number,
                        uint8_t section_number, uint8_t last_section_number,
                        const uint8_t *msg, size_t msg_len);

/* DownloadServerInitiate carrying ServiceGatewayInfo (TR 101 202 4.7):
 * serverId 20 x 0xFF, no compatibilityDescriptor, the ServiceGateway IOR
 * (already encoded, sg_ior), no download taps, no service contexts, no
 * user info. */
oc_err oc_dsmcc_dsi(dvb_writer *msg, uint32_t transactionId,
                    const uint8_t *sg_ior, size_t sg_ior_len);

/* One module as the DII lists it. */
typedef struct {
    uint16_t moduleId;
    uint32_t moduleSize;          /* bytes on air (compressed if so) */
    uint8_t moduleVersion;
    /* BIOP::ModuleInfo, TR 101 202 4.7 */
    uint32_t moduleTimeOut;       /* microseconds */
    uint32_t blockTimeOut;        /* microseconds */
    uint32_t minBlockTime;        /* microseconds */
    uint16_t association_tag;     /* BIOP_OBJECT_USE tap */
    bool compressed;              /* adds compressed_module_descriptor */
    uint32_t original_size;       /* uncompressed size when compressed */
} oc_dii_module;

typedef struct {
    uint32_t transactionId;
    uint32_t downloadId;          /* = carousel_id for object carousels */
    uint16_t blockSize;
    const oc_dii_module *modules;
    size_t n_modules;
} oc_dii;

/* Bytes one module takes in a DII, to decide how many fit. */
size_t oc_dsmcc_dii_module_size(const oc_dii_module *m);
/* Bytes of a DII message with no modules. */
size_t oc_dsmcc_dii_fixed_size(void);

/* DownloadInfoIndication (13818-6 7.3, EN 301 192 8.1.3). */
oc_err oc_dsmcc_dii(dvb_writer *msg, const oc_dii *dii);

/* DownloadDataBlock (13818-6 7.3, EN 301 192 8.1.4), one block. */
oc_err oc_dsmcc_ddb(dvb_writer *msg, uint32_t downloadId, uint16_t moduleId,
                    uint8_t moduleVersion, uint16_t blockNumber,
                    const uint8_t *data, size_t len);

#endif
