/*
 * CRC-32/MPEG-2, the checksum that ends every PSI and DSM-CC section.
 *
 * ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial value 0xFFFFFFFF,
 * no reflection, no final XOR.  A section whose CRC_32 field is included
 * in the computation yields 0 when intact, which is how receivers check it.
 * Shared by the receiver (dvb/) and the carousel writer (carousel/).
 */
#ifndef DVB_CRC32_H
#define DVB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC of len bytes at p, starting from crc (pass 0xFFFFFFFF to begin). */
uint32_t dvb_crc32_update(uint32_t crc, const uint8_t *p, size_t len);

/* The same with the tables alone, never the CPU's carry-less multiply:
 * for the tests, which check one against the other. */
uint32_t dvb_crc32_tables_only(uint32_t crc, const uint8_t *p, size_t len);

/* CRC of a whole buffer. */
uint32_t dvb_crc32(const uint8_t *p, size_t len);

#endif
