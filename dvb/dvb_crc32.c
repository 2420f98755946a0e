/*
 * CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A), table driven, one byte a step.
 * The table is computed at compile time shape by a constant initialiser so
 * that there is no global state to set up and nothing to race on.
 */
#include "dvb/dvb_crc32.h"

#define P 0x04C11DB7u
#define S(c) (((c) & 0x80000000u) ? (((c) << 1) ^ P) : ((c) << 1))
#define E(i) S(S(S(S(S(S(S(S((uint32_t)(i) << 24))))))))
#define R4(i) E(i), E(i + 1), E(i + 2), E(i + 3)
#define R16(i) R4(i), R4(i + 4), R4(i + 8), R4(i + 12)
#define R64(i) R16(i), R16(i + 16), R16(i + 32), R16(i + 48)

static const uint32_t crc_table[256] = {
    R64(0), R64(64), R64(128), R64(192)
};

uint32_t dvb_crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len--)
        crc = (crc << 8) ^ crc_table[((crc >> 24) ^ *p++) & 0xFF];
    return crc;
}

uint32_t dvb_crc32(const uint8_t *p, size_t len)
{
    return dvb_crc32_update(0xFFFFFFFFu, p, len);
}
