/*
 * libFuzzer target: bytes as one DSM-CC section (ISO/IEC 13818-6 9.2.2)
 * and the messages in it (DSI, DII, DDB: 13818-6 7.3, TR 101 202 4.6-4.7),
 * plus the PMT descriptor decoding of the carousel signalling (EN 300 468
 * 6.2.12, 6.2.39; 13818-6 11.5.1) and DVB text (EN 300 468 annex A).
 *
 * A random CRC or checksum almost never matches, so the last four bytes
 * are recomputed (CRC_32 or checksum, as the syntax indicator says) on
 * a copy before parsing, which lets mutations reach the message parsers;
 * the raw bytes are parsed too, for the check itself.
 */
#include "dvb/dvb_crc32.h"
#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_psi.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const uint8_t *sec, size_t len)
{
    dvb_dsmcc_section s;
    if (dvb_dsmcc_section_parse(sec, len, &s) != DVB_OK)
        return;
    dvb_dsmcc_msg m;
    if (dvb_dsmcc_msg_parse(s.payload, s.payload_len, &m) != DVB_OK)
        return;
    dvb_dsi dsi;
    dvb_dii dii;
    dvb_ddb ddb;
    dvb_dsi_parse(&m, &dsi);
    if (dvb_dii_parse(&m, &dii) == DVB_OK)
        dvb_dii_clear(&dii);
    dvb_ddb_parse(&m, &ddb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_all(data, size);
    if (size >= 12) {
        uint8_t *c = malloc(size);
        if (!c)
            return 0;
        memcpy(c, data, size);
        size_t total = 3u + (((size_t)(c[1] & 0x0F) << 8) | c[2]);
        if (total >= 12 && total <= size) {
            uint32_t v = (c[1] & 0x80) ? dvb_crc32(c, total - 4)
                                       : dvb_dsmcc_checksum(c, total - 4);
            c[total - 4] = (uint8_t)(v >> 24);
            c[total - 3] = (uint8_t)(v >> 16);
            c[total - 2] = (uint8_t)(v >> 8);
            c[total - 1] = (uint8_t)v;
        }
        parse_all(c, size);
        free(c);
    }
    /* The same bytes as PMT descriptors: tag, length, contents. */
    dvb_psi_es_info info;
    memset(&info, 0, sizeof info);
    for (size_t off = 0; off + 2 <= size;) {
        size_t l = data[off + 1];
        if (off + 2 + l > size)
            break;
        dvb_psi_es_descriptor(&info, data[off], data + off + 2, l);
        off += 2 + l;
    }
    dvb_psi_es_is_carousel(size ? data[0] : 0, &info, -1);
    /* And as DVB text, into a small and a large buffer. */
    char out[64], big[1024];
    dvb_text_to_utf8(data, size, out, sizeof out);
    dvb_text_to_utf8(data, size, big, sizeof big);
    return 0;
}
