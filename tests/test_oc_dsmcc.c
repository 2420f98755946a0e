/*
 * Tests of carousel/oc_dsmcc: DSM-CC sections (ISO/IEC 13818-6 9.2.2) and
 * the DSI, DII and DDB messages (13818-6 clause 7, EN 301 192 clause 8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "carousel/oc_dsmcc.h"
#include "dvb/dvb_crc32.h"

static void make_ddb_section(dvb_writer *sec)
{
    dvb_writer msg;
    dvb_writer_init(&msg, 0);
    const uint8_t data[5] = { 1, 2, 3, 4, 5 };
    assert_int_equal(oc_dsmcc_ddb(&msg, 7, 0x0102, 0x21, 3, data, 5), OC_OK);
    dvb_writer_init(sec, 0);
    assert_int_equal(oc_dsmcc_section(sec, OC_TID_DDB, 0x0102, 0x21 & 0x1F,
                                      3, 9, msg.p, msg.len), OC_OK);
    dvb_writer_free(&msg);
}

static void test_section_crc(void **state)
{
    (void)state;
    dvb_writer sec;
    make_ddb_section(&sec);
    /* CRC over a section including its CRC_32 field is 0 ... */
    assert_int_equal(dvb_crc32(sec.p, sec.len), 0);
    /* ... and any single flipped bit breaks it. */
    for (size_t i = 0; i < sec.len * 8; i += 7) {
        sec.p[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(dvb_crc32(sec.p, sec.len), 0);
        sec.p[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    dvb_writer_free(&sec);
}

static void test_ddb_section_fields(void **state)
{
    (void)state;
    dvb_writer sec;
    make_ddb_section(&sec);
    const uint8_t *p = sec.p;
    assert_int_equal(sec.len, 8 + 12 + 6 + 5 + 4);
    assert_int_equal(p[0], 0x3C);
    /* section_syntax_indicator 1, private_indicator 0, reserved 11 */
    assert_int_equal(p[1] & 0xF0, 0xB0);
    assert_int_equal(((p[1] & 0x0F) << 8) | p[2], sec.len - 3);
    assert_int_equal((p[3] << 8) | p[4], 0x0102);   /* moduleId */
    assert_int_equal(p[5], 0xC0 | (0x01 << 1) | 1);  /* version 0x21&0x1F */
    assert_int_equal(p[6], 3);
    assert_int_equal(p[7], 9);
    /* dsmccDownloadDataHeader */
    static const uint8_t hdr[] = { 0x11, 0x03, 0x10, 0x03, 0, 0, 0, 7,
                                   0xFF, 0x00, 0x00, 11 };
    assert_memory_equal(p + 8, hdr, sizeof hdr);
    static const uint8_t ddb[] = { 0x01, 0x02, 0x21, 0xFF, 0x00, 0x03,
                                   1, 2, 3, 4, 5 };
    assert_memory_equal(p + 20, ddb, sizeof ddb);
    dvb_writer_free(&sec);
}

static void test_dsi(void **state)
{
    (void)state;
    const uint8_t ior[4] = { 0xA, 0xB, 0xC, 0xD };
    dvb_writer msg;
    dvb_writer_init(&msg, 0);
    assert_int_equal(oc_dsmcc_dsi(&msg, 0x80000000u, ior, 4), OC_OK);
    const uint8_t *p = msg.p;
    static const uint8_t hdr[] = { 0x11, 0x03, 0x10, 0x06, 0x80, 0, 0, 0,
                                   0xFF, 0x00, 0x00, 20 + 2 + 2 + 8 };
    assert_memory_equal(p, hdr, sizeof hdr);
    for (int i = 0; i < 20; i++)
        assert_int_equal(p[12 + i], 0xFF);              /* serverId */
    assert_int_equal(p[32], 0);                         /* compat length */
    assert_int_equal(p[33], 0);
    assert_int_equal((p[34] << 8) | p[35], 8);          /* privateDataLength */
    assert_memory_equal(p + 36, ior, 4);
    static const uint8_t tail[] = { 0, 0, 0, 0 };
    assert_memory_equal(p + 40, tail, 4);
    assert_int_equal(msg.len, 44);
    dvb_writer_free(&msg);
}

static void test_dii(void **state)
{
    (void)state;
    oc_dii_module m[2] = {
        { .moduleId = 1, .moduleSize = 100, .moduleVersion = 1,
          .moduleTimeOut = 0xFFFFFFFFu, .blockTimeOut = 0xFFFFFFFFu,
          .association_tag = 0x0001 },
        { .moduleId = 2, .moduleSize = 50, .moduleVersion = 1,
          .moduleTimeOut = 0xFFFFFFFFu, .blockTimeOut = 0xFFFFFFFFu,
          .association_tag = 0x0001, .compressed = true,
          .original_size = 0x12345 },
    };
    oc_dii d = { .transactionId = 0x80000002u, .downloadId = 9,
                 .blockSize = 4066, .modules = m, .n_modules = 2 };
    dvb_writer msg;
    dvb_writer_init(&msg, 0);
    assert_int_equal(oc_dsmcc_dii(&msg, &d), OC_OK);
    const uint8_t *p = msg.p;
    assert_int_equal((p[2] << 8) | p[3], 0x1002);
    assert_int_equal((p[10] << 8) | p[11], msg.len - 12);
    static const uint8_t fixed[] = {
        0, 0, 0, 9,             /* downloadId */
        0x0F, 0xE2,             /* blockSize 4066 */
        0, 0,                   /* windowSize, ackPeriod */
        0, 0, 0, 0, 0, 0, 0, 0, /* tCDownloadWindow, tCDownloadScenario */
        0, 0,                   /* compatibilityDescriptorLength */
        0, 2,                   /* numberOfModules */
    };
    assert_memory_equal(p + 12, fixed, sizeof fixed);
    static const uint8_t mod1[] = {
        0, 1, 0, 0, 0, 100, 1, 21,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
        1, 0, 0, 0x00, 0x17, 0, 1, 0,   /* one BIOP_OBJECT_USE tap */
        0,                              /* userInfoLength */
    };
    assert_memory_equal(p + 32, mod1, sizeof mod1);
    const uint8_t *q = p + 32 + sizeof mod1;
    assert_int_equal(q[7], 28);                         /* moduleInfoLength */
    static const uint8_t ui[] = { 7, 0x09, 5, 0x08, 0x00, 0x01, 0x23, 0x45 };
    assert_memory_equal(q + 8 + 20, ui, sizeof ui);
    assert_int_equal(msg.len, 32 + sizeof mod1 + 36 + 2);
    assert_int_equal(msg.len, oc_dsmcc_dii_fixed_size() +
                     oc_dsmcc_dii_module_size(&m[0]) +
                     oc_dsmcc_dii_module_size(&m[1]));
    dvb_writer_free(&msg);
}

static void test_dii_too_many(void **state)
{
    (void)state;
    static oc_dii_module m[200];
    oc_dii d = { .transactionId = 0x80000002u, .blockSize = 4066,
                 .modules = m, .n_modules = 200 };
    dvb_writer msg;
    dvb_writer_init(&msg, 0);
    assert_int_equal(oc_dsmcc_dii(&msg, &d), OC_EDII);
    dvb_writer_free(&msg);
}

static void test_limits(void **state)
{
    (void)state;
    static uint8_t big[OC_BLOCK_MAX + 1];
    dvb_writer msg, sec;
    dvb_writer_init(&msg, 0);
    dvb_writer_init(&sec, 0);
    assert_int_equal(oc_dsmcc_ddb(&msg, 1, 1, 1, 0, big, sizeof big),
                     OC_EINVAL);
    assert_int_equal(oc_dsmcc_ddb(&msg, 1, 1, 1, 0, big, OC_BLOCK_MAX),
                     OC_OK);
    /* The largest block makes the largest section: 4096 bytes. */
    assert_int_equal(oc_dsmcc_section(&sec, OC_TID_DDB, 1, 1, 0, 0,
                                      msg.p, msg.len), OC_OK);
    assert_int_equal(sec.len, 4096);
    assert_int_equal(dvb_crc32(sec.p, sec.len), 0);
    assert_int_equal(oc_dsmcc_section(&sec, OC_TID_DDB, 1, 32, 0, 0,
                                      msg.p, 1), OC_EINVAL);
    dvb_writer_free(&msg);
    dvb_writer_free(&sec);
}

static void test_transaction_ids(void **state)
{
    (void)state;
    assert_int_equal(OC_TID_MAKE(0, 0, 0), 0x80000000u);
    assert_int_equal(OC_TID_MAKE(0, 1, 0), 0x80000002u);
    assert_int_equal(OC_TID_MAKE(1, 1, 1), 0x80010003u);
    assert_int_equal(OC_TID_MAKE(0x3FFF, 0x7FFF, 1), 0xBFFFFFFFu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section_crc),
        cmocka_unit_test(test_ddb_section_fields),
        cmocka_unit_test(test_dsi),
        cmocka_unit_test(test_dii),
        cmocka_unit_test(test_dii_too_many),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_transaction_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
