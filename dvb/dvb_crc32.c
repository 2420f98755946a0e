/*
 * CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, MSB
 * first, initial value 0xFFFFFFFF, no final XOR.
 *
 * Every section of the carousel is checked, so this is the hottest loop
 * of the receiver.  Two ways, giving the same result:
 *
 * - Tables (any CPU, and short buffers): eight bytes a step with the
 *   tables of dvb_crc32_tables.h (the "slicing" method: the contributions
 *   of eight bytes are looked up independently and combined by XOR), then
 *   one byte a step for the tail.  The tables are constant data: no
 *   global state to set up and nothing to race on.
 *
 * - Carry-less multiplication (x86-64 with PCLMULQDQ, checked at run
 *   time; Intel's "Fast CRC Computation for Generic Polynomials Using
 *   PCLMULQDQ Instruction", 2009, folding method).  A CRC is arithmetic on
 *   polynomials over GF(2) modulo P: what matters of the message read so
 *   far is only its remainder, so a 128-bit value X congruent to it can
 *   stand for it.  Reading 16 more bytes D turns X into X.x^128 + D;
 *   with X = H.x^64 + L that is H.(x^192 mod P) + L.(x^128 mod P) + D,
 *   two 64x32-bit carry-less products and XORs, again 128 bits.  Four
 *   such values advance side by side, 64 bytes a step (constants
 *   x^576 and x^512 mod P), and are folded into one at the end.  The
 *   last 128-bit X and the tail of fewer than 16 bytes go through the
 *   tables: the table CRC of X's 16 bytes from 0 is X.x^32 mod P, which
 *   is the CRC of everything X stands for.  The starting value is
 *   XORed into the first four bytes, which is what the register does.
 *   Bytes are big-endian (the first byte holds the highest powers), so
 *   each 16 bytes are byte-reversed into a 128-bit integer whose bit i
 *   is the coefficient of x^i.
 */
#include "dvb/dvb_crc32.h"

#include "dvb/dvb_crc32_tables.h"

static uint32_t crc_tables(uint32_t crc, const uint8_t *p, size_t len)
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* x^n mod P (tests/test_dvb_ts.c computes them again bit by bit). */
#define K128 0xE8A45605u
#define K192 0xC5B9CD4Cu
#define K512 0xE6228B11u
#define K576 0x8833794Cu

__attribute__((target("pclmul,ssse3")))
static inline __m128i load_be(const uint8_t *p, __m128i bswap)
{
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
                            bswap);
}

/* X.x^d + D with k = (x^(d+64) mod P, x^d mod P) in (high, low). */
__attribute__((target("pclmul,ssse3")))
static inline __m128i fold(__m128i x, __m128i k, __m128i d)
{
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    return _mm_xor_si128(_mm_xor_si128(hi, lo), d);
}

/* len >= 64. */
__attribute__((target("pclmul,ssse3")))
static uint32_t crc_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
    const __m128i bswap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                       12, 13, 14, 15);
    const __m128i k512 = _mm_set_epi64x((long long)K576, (long long)K512);
    const __m128i k128 = _mm_set_epi64x((long long)K192, (long long)K128);
    __m128i x0 = load_be(p, bswap), x1 = load_be(p + 16, bswap);
    __m128i x2 = load_be(p + 32, bswap), x3 = load_be(p + 48, bswap);
    x0 = _mm_xor_si128(x0, _mm_set_epi32((int)crc, 0, 0, 0));
    p += 64;
    len -= 64;
    while (len >= 64) {
        x0 = fold(x0, k512, load_be(p, bswap));
        x1 = fold(x1, k512, load_be(p + 16, bswap));
        x2 = fold(x2, k512, load_be(p + 32, bswap));
        x3 = fold(x3, k512, load_be(p + 48, bswap));
        p += 64;
        len -= 64;
    }
    __m128i x = fold(x0, k128, x1);
    x = fold(x, k128, x2);
    x = fold(x, k128, x3);
    while (len >= 16) {
        x = fold(x, k128, load_be(p, bswap));
        p += 16;
        len -= 16;
    }
    uint8_t b[16];
    _mm_storeu_si128((__m128i *)(void *)b, _mm_shuffle_epi8(x, bswap));
    return crc_tables(crc_tables(0, b, sizeof b), p, len);
}

/* Asked each time: a few loads, and no state shared between threads.
 * __builtin_cpu_init returns at once once the CPU has been looked at. */
static int have_clmul(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
}
#endif

uint32_t dvb_crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (len >= 64 && have_clmul())
        return crc_clmul(crc, p, len);
#endif
    return crc_tables(crc, p, len);
}

uint32_t dvb_crc32_tables_only(uint32_t crc, const uint8_t *p, size_t len)
{
    return crc_tables(crc, p, len);
}

uint32_t dvb_crc32(const uint8_t *p, size_t len)
{
    return dvb_crc32_update(0xFFFFFFFFu, p, len);
}
