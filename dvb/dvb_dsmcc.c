/*
 * DSM-CC sections and download messages.
 *
 * How an object carousel arrives (TR 101 202 4.6, EN 301 192 clause 8):
 * the carousel's files are serialised as BIOP messages (dvb_biop.c),
 * packed into modules of up to 64 KiB (or more), and each module is cut
 * into blocks of blockSize bytes sent in DownloadDataBlock messages
 * (table_id 0x3C).  A DownloadInfoIndication (table_id 0x3B) lists the
 * modules: id, size, version, and in BIOP::ModuleInfo whether the module
 * is zlib-compressed.  The DownloadServerInitiate (0x3B) points at the
 * root directory (the ServiceGateway) by an IOR.  Everything repeats
 * cyclically so that a receiver can tune in at any time.
 *
 * Sections (13818-6 9.2.2): table_id, section_syntax_indicator,
 * private_indicator, dsmcc_section_length(12), table_id_extension,
 * version_number, current_next_indicator, section_number,
 * last_section_number, the message, then CRC_32 (syntax indicator 1) or a
 * checksum (syntax indicator 0).  EN 301 192 9.2 asks DVB carousels for
 * the CRC, but 13818-6 allows the checksum and some data-carousel
 * encoders send it, so both are checked (dvb_dsmcc_checksum below).
 * The private_indicator is specified as the complement of the syntax
 * indicator, but playout systems (OpenCaster among them) set it to 1
 * with the CRC, so it is reported and not checked.
 */
#include "dvb/dvb_dsmcc.h"

#include "dvb/dvb_bytes.h"
#include "dvb/dvb_crc32.h"

#include <stdlib.h>
#include <string.h>

/* 13818-6 9.2.2.1, checksum: the section up to the checksum field read
 * as a sequence of 32-bit big-endian integers (the last one padded with
 * zero bytes when the length is not a multiple of four), combined by
 * exclusive-or, and the result complemented. */
uint32_t dvb_dsmcc_checksum(const uint8_t *p, size_t len)
{
    uint32_t x = 0;
    size_t i = 0;
    for (; i + 4 <= len; i += 4)
        x ^= ((uint32_t)p[i] << 24) | ((uint32_t)p[i + 1] << 16) |
             ((uint32_t)p[i + 2] << 8) | p[i + 3];
    for (unsigned k = 0; i < len; i++, k++)
        x ^= (uint32_t)p[i] << (24 - 8 * k);
    return ~x;
}

dvb_err dvb_dsmcc_section_parse(const uint8_t *sec, size_t len,
                                dvb_dsmcc_section *out)
{
    memset(out, 0, sizeof *out);
    dvb_reader r = dvb_reader_init(sec, len);
    out->table_id = dvb_read_u8(&r);
    uint16_t f = dvb_read_u16(&r);
    if (r.failed)
        return DVB_ETRUNC;
    out->section_syntax_indicator = (f & 0x8000u) != 0;
    out->private_indicator = (f & 0x4000u) != 0;
    size_t slen = f & 0x0FFFu;
    /* 13818-6 9.2.2.1: at most 4093 bytes follow the length field. */
    if (slen > 4093u)
        return DVB_ESYNTAX;
    if (slen > dvb_reader_left(&r))
        return DVB_ETRUNC;
    if (slen < 9u)             /* 5 header bytes + 4 check bytes */
        return DVB_ESYNTAX;
    size_t total = 3u + slen;
    if (out->section_syntax_indicator) {
        if (dvb_crc32(sec, total) != 0)
            return DVB_ECRC;
    } else {
        /* The checksum variant.  A section that carries a valid CRC_32
         * with the indicator at 0 (a writer that got the flag wrong) is
         * accepted too: either check proves the bytes intact. */
        uint32_t sum = ((uint32_t)sec[total - 4] << 24) |
                       ((uint32_t)sec[total - 3] << 16) |
                       ((uint32_t)sec[total - 2] << 8) | sec[total - 1];
        if (dvb_dsmcc_checksum(sec, total - 4) != sum &&
            dvb_crc32(sec, total) != 0)
            return DVB_ECRC;
        out->checksum_variant = true;
    }
    out->table_id_extension = dvb_read_u16(&r);
    uint8_t v = dvb_read_u8(&r);
    out->version_number = (v >> 1) & 0x1Fu;
    out->current_next_indicator = v & 1u;
    out->section_number = dvb_read_u8(&r);
    out->last_section_number = dvb_read_u8(&r);
    out->payload = sec + 8;
    out->payload_len = total - 8u - 4u;
    return DVB_OK;
}

dvb_err dvb_dsmcc_msg_parse(const uint8_t *p, size_t len, dvb_dsmcc_msg *out)
{
    memset(out, 0, sizeof *out);
    dvb_reader r = dvb_reader_init(p, len);
    out->protocolDiscriminator = dvb_read_u8(&r);
    out->dsmccType = dvb_read_u8(&r);
    out->messageId = dvb_read_u16(&r);
    out->transactionId = dvb_read_u32(&r);
    dvb_read_u8(&r);                            /* reserved */
    out->adaptationLength = dvb_read_u8(&r);
    out->messageLength = dvb_read_u16(&r);
    if (r.failed)
        return DVB_ETRUNC;
    /* 13818-6 7.2.1: 0x11 is the only protocolDiscriminator; 0x03 is
     * "U-N download" (table 7-3). */
    if (out->protocolDiscriminator != 0x11u || out->dsmccType != 0x03u)
        return DVB_ESYNTAX;
    /* messageLength counts the adaptation header and the body. */
    if (out->messageLength > dvb_reader_left(&r))
        return DVB_ETRUNC;
    if (out->adaptationLength > out->messageLength)
        return DVB_ESYNTAX;
    dvb_skip(&r, out->adaptationLength);
    out->body_len = (size_t)out->messageLength - out->adaptationLength;
    out->body = dvb_read_bytes(&r, out->body_len);
    if (r.failed)
        return DVB_ETRUNC;
    return DVB_OK;
}

/* 13818-6 6.1: compatibilityDescriptor() -- length then contents; DVB
 * carousels send an empty one (TR 101 202 4.7.1) but it is skipped by its
 * length either way. */
static void skip_compat(dvb_reader *r)
{
    dvb_skip(r, dvb_read_u16(r));
}

dvb_err dvb_dsi_parse(const dvb_dsmcc_msg *m, dvb_dsi *out)
{
    memset(out, 0, sizeof *out);
    if (m->messageId != DVB_MSG_DSI)
        return DVB_EINVAL;
    out->transactionId = m->transactionId;
    dvb_reader r = dvb_reader_init(m->body, m->body_len);
    dvb_skip(&r, 20);                           /* serverId */
    skip_compat(&r);
    uint16_t priv_len = dvb_read_u16(&r);
    if (r.failed || priv_len > dvb_reader_left(&r))
        return DVB_ETRUNC;
    /* privateData is BIOP::ServiceGatewayInfo (TR 101 202 4.7.5): the
     * gateway's IOR, then download taps, service contexts and user info,
     * none of which a receiver needs to find the root. */
    dvb_reader p = dvb_read_sub(&r, priv_len);
    dvb_err e = dvb_ior_parse(&p, &out->service_gateway);
    if (e)
        return e;
    if (!out->service_gateway.has_location)
        return DVB_EUNSUPPORTED;    /* e.g. a data carousel's GroupInfo */
    return DVB_OK;
}

/* BIOP::ModuleInfo (13818-6 11.3.3, TR 101 202 4.7.2) in moduleInfo. */
static dvb_err module_info(dvb_reader *r, dvb_dii_module *mod)
{
    mod->moduleTimeOut = dvb_read_u32(r);
    mod->blockTimeOut = dvb_read_u32(r);
    mod->minBlockTime = dvb_read_u32(r);
    uint8_t taps = dvb_read_u8(r);
    for (unsigned i = 0; i < taps && !r->failed; i++) {
        dvb_tap t;
        if (dvb_tap_parse(r, &t))
            return DVB_ETRUNC;
        if (t.use == DVB_BIOP_OBJECT_USE && !mod->has_tap) {
            mod->has_tap = true;
            mod->association_tag = t.association_tag;
        }
    }
    uint8_t ui_len = dvb_read_u8(r);
    dvb_reader ui = dvb_read_sub(r, ui_len);
    if (r->failed)
        return DVB_ETRUNC;
    /* userInfo: descriptors (EN 301 192 table 9.2) */
    while (dvb_reader_left(&ui) > 0) {
        uint8_t tag = dvb_read_u8(&ui);
        uint8_t len = dvb_read_u8(&ui);
        dvb_reader d = dvb_read_sub(&ui, len);
        if (ui.failed)
            return DVB_ETRUNC;
        if (tag == 0x09) {
            /* compressed_module_descriptor (TR 101 202 4.7.2; zlib per
             * RFC 1950): compression_method, original_size */
            mod->compression_method = dvb_read_u8(&d);
            mod->original_size = dvb_read_u32(&d);
            if (d.failed)
                return DVB_ETRUNC;
            mod->compressed = true;
        }
    }
    return DVB_OK;
}

dvb_err dvb_dii_parse(const dvb_dsmcc_msg *m, dvb_dii *out)
{
    memset(out, 0, sizeof *out);
    if (m->messageId != DVB_MSG_DII)
        return DVB_EINVAL;
    out->transactionId = m->transactionId;
    dvb_reader r = dvb_reader_init(m->body, m->body_len);
    out->downloadId = dvb_read_u32(&r);
    out->blockSize = dvb_read_u16(&r);
    dvb_read_u8(&r);                            /* windowSize */
    dvb_read_u8(&r);                            /* ackPeriod */
    dvb_read_u32(&r);                           /* tCDownloadWindow */
    dvb_read_u32(&r);                           /* tCDownloadScenario */
    skip_compat(&r);
    uint16_t n = dvb_read_u16(&r);
    if (r.failed)
        return DVB_ETRUNC;
    if (out->blockSize == 0)
        return DVB_ESYNTAX;
    /* Each module takes at least 8 bytes: check before allocating. */
    if ((size_t)n * 8u > dvb_reader_left(&r))
        return DVB_ETRUNC;
    if (n) {
        out->modules = calloc(n, sizeof *out->modules);
        if (!out->modules)
            return DVB_ENOMEM;
    }
    out->numberOfModules = n;
    for (unsigned i = 0; i < n; i++) {
        dvb_dii_module *mod = &out->modules[i];
        mod->moduleId = dvb_read_u16(&r);
        mod->moduleSize = dvb_read_u32(&r);
        mod->moduleVersion = dvb_read_u8(&r);
        uint8_t info_len = dvb_read_u8(&r);
        dvb_reader info = dvb_read_sub(&r, info_len);
        if (r.failed) {
            dvb_dii_clear(out);
            return DVB_ETRUNC;
        }
        dvb_err e = info_len ? module_info(&info, mod) : DVB_OK;
        if (e) {
            dvb_dii_clear(out);
            return e;
        }
        for (unsigned k = 0; k < i; k++) {
            if (out->modules[k].moduleId == mod->moduleId) {
                dvb_dii_clear(out);
                return DVB_ESYNTAX;    /* a module listed twice */
            }
        }
    }
    /* privateDataLength and privateData follow; nothing needed there. */
    return DVB_OK;
}

void dvb_dii_clear(dvb_dii *d)
{
    if (!d)
        return;
    free(d->modules);
    memset(d, 0, sizeof *d);
}

dvb_err dvb_ddb_parse(const dvb_dsmcc_msg *m, dvb_ddb *out)
{
    memset(out, 0, sizeof *out);
    if (m->messageId != DVB_MSG_DDB)
        return DVB_EINVAL;
    out->downloadId = m->transactionId;
    dvb_reader r = dvb_reader_init(m->body, m->body_len);
    out->moduleId = dvb_read_u16(&r);
    out->moduleVersion = dvb_read_u8(&r);
    dvb_read_u8(&r);                            /* reserved */
    out->blockNumber = dvb_read_u16(&r);
    if (r.failed)
        return DVB_ETRUNC;
    out->blockData_len = dvb_reader_left(&r);
    out->blockData = m->body + r.pos;
    return DVB_OK;
}
