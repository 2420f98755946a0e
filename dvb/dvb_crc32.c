/*
 * CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, MSB
 * first, initial value 0xFFFFFFFF, no final XOR.
 *
 * Every section of the carousel is checked, so this is the hottest loop
 * of the receiver: eight bytes a step with the tables of
 * dvb_crc32_tables.h (the "slicing" method: the contributions of eight
 * bytes are looked up independently and combined by XOR), then one byte
 * a step for the tail.  The tables are constant data: no global state
 * to set up and nothing to race on.
 */
#include "dvb/dvb_crc32.h"

#include "dvb/dvb_crc32_tables.h"

uint32_t dvb_crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
    const uint32_t (*t)[256] = dvb_crc32_tables;
    while (len >= 8) {
        uint32_t a = crc ^ (((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                            ((uint32_t)p[2] << 8) | p[3]);
        crc = t[7][a >> 24] ^ t[6][(a >> 16) & 0xFF] ^
              t[5][(a >> 8) & 0xFF] ^ t[4][a & 0xFF] ^ t[3][p[4]] ^
              t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc << 8) ^ t[0][((crc >> 24) ^ *p++) & 0xFF];
    return crc;
}

uint32_t dvb_crc32(const uint8_t *p, size_t len)
{
    return dvb_crc32_update(0xFFFFFFFFu, p, len);
}
