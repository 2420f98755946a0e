/*
 * DSM-CC U-N download messages (ISO/IEC 13818-6 clause 7) in DSM-CC
 * sections (13818-6 clause 9.2), profiled for DVB object carousels by
 * EN 301 192 clauses 8-9 and TR 101 202 clauses 4.6-4.7.
 */
#include "carousel/oc_dsmcc.h"

#include "carousel/oc_biop.h"

#include "dvb/dvb_crc32.h"

/* dsmccMessageHeader / dsmccDownloadDataHeader: protocolDiscriminator(1)
 * dsmccType(1) messageId(2) transactionId|downloadId(4) reserved(1)
 * adaptationLength(1) messageLength(2). */
#define MSG_HEADER_LEN 12u
/* EN 301 192 8.1.1 / 13818-6 table 2-1 */
#define PROTOCOL_DISCRIMINATOR 0x11u
#define DSMCC_TYPE_DOWNLOAD    0x03u

oc_err oc_dsmcc_section(dvb_writer *out, uint8_t table_id,
                        uint16_t table_id_extension, uint8_t version_number,
                        uint8_t section_number, uint8_t last_section_number,
                        const uint8_t *msg, size_t msg_len)
{
    if (msg_len > OC_SECTION_BODY_MAX || version_number > 0x1F)
        return OC_EINVAL;
    oc_err e = oc_writer_room(out, 12u + msg_len);
    if (e)
        return e;
    size_t start = out->len;
    /* dsmcc_section_length counts from after itself to the end of the
     * CRC: 5 header bytes + message + 4. */
    uint16_t section_length = (uint16_t)(5u + msg_len + 4u);
    dvb_write_u8(out, table_id);
    /* section_syntax_indicator 1, private_indicator 0, reserved '11' */
    dvb_write_u16(out, (uint16_t)(0x8000u | 0x3000u | section_length));
    dvb_write_u16(out, table_id_extension);
    /* reserved '11', version_number, current_next_indicator 1 */
    dvb_write_u8(out, (uint8_t)(0xC0u | (version_number << 1) | 0x01u));
    dvb_write_u8(out, section_number);
    dvb_write_u8(out, last_section_number);
    if (msg_len)
        dvb_write_bytes(out, msg, msg_len);
    if (out->failed)
        return oc_writer_status(out);
    dvb_write_u32(out, dvb_crc32(out->p + start, out->len - start));
    return oc_writer_status(out);
}

static void message_header(dvb_writer *w, uint16_t messageId, uint32_t id,
                           uint16_t messageLength)
{
    dvb_write_u8(w, PROTOCOL_DISCRIMINATOR);
    dvb_write_u8(w, DSMCC_TYPE_DOWNLOAD);
    dvb_write_u16(w, messageId);
    dvb_write_u32(w, id);             /* transactionId or downloadId */
    dvb_write_u8(w, 0xFF);            /* reserved */
    dvb_write_u8(w, 0);               /* adaptationLength */
    dvb_write_u16(w, messageLength);  /* bytes after this field */
}

oc_err oc_dsmcc_dsi(dvb_writer *msg, uint32_t transactionId,
                    const uint8_t *sg_ior, size_t sg_ior_len)
{
    /* ServiceGatewayInfo: IOR, downloadTaps_count(1),
     * serviceContextList_count(1), userInfoLength(2). */
    size_t priv = sg_ior_len + 1u + 1u + 2u;
    /* serverId(20) compatibilityDescriptorLength(2) privateDataLength(2) */
    size_t body = 20u + 2u + 2u + priv;
    if (MSG_HEADER_LEN + body > OC_SECTION_BODY_MAX)
        return OC_ELIMIT;
    oc_err e = oc_writer_room(msg, MSG_HEADER_LEN + body);
    if (e)
        return e;
    message_header(msg, OC_MSG_DSI, transactionId, (uint16_t)body);
    /* serverId: 20 bytes of 0xFF (EN 301 192 8.1.2, TR 101 202 4.7) */
    static const uint8_t server_id[20] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
    };
    dvb_write_bytes(msg, server_id, sizeof server_id);
    dvb_write_u16(msg, 0);            /* compatibilityDescriptorLength */
    dvb_write_u16(msg, (uint16_t)priv);
    dvb_write_bytes(msg, sg_ior, sg_ior_len);
    dvb_write_u8(msg, 0);             /* downloadTaps_count */
    dvb_write_u8(msg, 0);             /* serviceContextList_count */
    dvb_write_u16(msg, 0);            /* userInfoLength */
    return oc_writer_status(msg);
}

/* ModuleInfo: moduleTimeOut(4) blockTimeOut(4) minBlockTime(4)
 * taps_count(1) tap: id(2) use(2) association_tag(2) selector_length(1)
 * userInfoLength(1) userInfo. */
static size_t module_info_size(const oc_dii_module *m)
{
    return 4u + 4u + 4u + 1u + 7u + 1u + (m->compressed ? 7u : 0u);
}

size_t oc_dsmcc_dii_module_size(const oc_dii_module *m)
{
    /* moduleId(2) moduleSize(4) moduleVersion(1) moduleInfoLength(1) */
    return 8u + module_info_size(m);
}

size_t oc_dsmcc_dii_fixed_size(void)
{
    /* header, downloadId(4) blockSize(2) windowSize(1) ackPeriod(1)
     * tCDownloadWindow(4) tCDownloadScenario(4)
     * compatibilityDescriptorLength(2) numberOfModules(2)
     * privateDataLength(2) */
    return MSG_HEADER_LEN + 4u + 2u + 1u + 1u + 4u + 4u + 2u + 2u + 2u;
}

oc_err oc_dsmcc_dii(dvb_writer *msg, const oc_dii *dii)
{
    if (dii->n_modules > UINT16_MAX)
        return OC_EDII;
    size_t total = oc_dsmcc_dii_fixed_size();
    for (size_t i = 0; i < dii->n_modules; i++)
        total += oc_dsmcc_dii_module_size(&dii->modules[i]);
    if (total > OC_SECTION_BODY_MAX)
        return OC_EDII;
    oc_err e = oc_writer_room(msg, total);
    if (e)
        return e;
    message_header(msg, OC_MSG_DII, dii->transactionId,
                   (uint16_t)(total - MSG_HEADER_LEN));
    dvb_write_u32(msg, dii->downloadId);
    dvb_write_u16(msg, dii->blockSize);
    /* windowSize, ackPeriod, tCDownloadWindow: unused in broadcast
     * (EN 301 192 8.1.3); tCDownloadScenario 0: no bound announced. */
    dvb_write_u8(msg, 0);
    dvb_write_u8(msg, 0);
    dvb_write_u32(msg, 0);
    dvb_write_u32(msg, 0);
    dvb_write_u16(msg, 0);            /* compatibilityDescriptorLength */
    dvb_write_u16(msg, (uint16_t)dii->n_modules);
    for (size_t i = 0; i < dii->n_modules; i++) {
        const oc_dii_module *m = &dii->modules[i];
        dvb_write_u16(msg, m->moduleId);
        dvb_write_u32(msg, m->moduleSize);
        dvb_write_u8(msg, m->moduleVersion);
        dvb_write_u8(msg, (uint8_t)module_info_size(m));
        /* BIOP::ModuleInfo (TR 101 202 4.7, 13818-6 11.3) */
        dvb_write_u32(msg, m->moduleTimeOut);
        dvb_write_u32(msg, m->blockTimeOut);
        dvb_write_u32(msg, m->minBlockTime);
        dvb_write_u8(msg, 1);         /* taps_count */
        dvb_write_u16(msg, 0x0000);   /* id */
        dvb_write_u16(msg, 0x0017);   /* use: BIOP_OBJECT_USE */
        dvb_write_u16(msg, m->association_tag);
        dvb_write_u8(msg, 0);         /* selector_length */
        if (m->compressed) {
            dvb_write_u8(msg, 7);     /* userInfoLength */
            dvb_write_u8(msg, OC_DESC_COMPRESSED_MODULE);
            dvb_write_u8(msg, 5);     /* descriptor_length */
            dvb_write_u8(msg, OC_COMPRESSION_ZLIB);  /* compression_method */
            dvb_write_u32(msg, m->original_size);
        } else {
            dvb_write_u8(msg, 0);     /* userInfoLength */
        }
    }
    dvb_write_u16(msg, 0);            /* privateDataLength */
    return oc_writer_status(msg);
}

oc_err oc_dsmcc_ddb(dvb_writer *msg, uint32_t downloadId, uint16_t moduleId,
                    uint8_t moduleVersion, uint16_t blockNumber,
                    const uint8_t *data, size_t len)
{
    if (len > OC_BLOCK_MAX)
        return OC_EINVAL;
    oc_err e = oc_writer_room(msg, MSG_HEADER_LEN + 6u + len);
    if (e)
        return e;
    message_header(msg, OC_MSG_DDB, downloadId, (uint16_t)(6u + len));
    dvb_write_u16(msg, moduleId);
    dvb_write_u8(msg, moduleVersion);
    dvb_write_u8(msg, 0xFF);          /* reserved */
    dvb_write_u16(msg, blockNumber);
    if (len)
        dvb_write_bytes(msg, data, len);
    return oc_writer_status(msg);
}
