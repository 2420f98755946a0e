/*
 * Tests of carousel/oc_biop: BIOP messages and IORs against golden bytes
 * written out by hand from ISO/IEC 13818-6 11.3 and TR 101 202 4.7.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "carousel/oc_biop.h"

/* IOR of a file in module 2, objectKey 3, carousel 1, tag 1, DII
 * 0x80000002, no timeout. */
static const uint8_t golden_ior[] = {
    0x00, 0x00, 0x00, 0x04, 'f', 'i', 'l', 0x00,   /* type_id */
    0x00, 0x00, 0x00, 0x01,                         /* taggedProfiles_count */
    0x49, 0x53, 0x4F, 0x06,                         /* TAG_BIOP */
    0x00, 0x00, 0x00, 0x2B,                         /* profile_data_length 43 */
    0x00,                                           /* byte order */
    0x02,                                           /* liteComponents_count */
    0x49, 0x53, 0x4F, 0x50, 0x0D,                   /* ObjectLocation, 13 */
    0x00, 0x00, 0x00, 0x01,                         /* carouselId */
    0x00, 0x02,                                     /* moduleId */
    0x01, 0x00,                                     /* version 1.0 */
    0x04, 0x00, 0x00, 0x00, 0x03,                   /* objectKey */
    0x49, 0x53, 0x4F, 0x40, 0x12,                   /* ConnBinder, 18 */
    0x01,                                           /* taps_count */
    0x00, 0x00,                                     /* id */
    0x00, 0x16,                                     /* BIOP_DELIVERY_PARA_USE */
    0x00, 0x01,                                     /* association_tag */
    0x0A,                                           /* selector_length */
    0x00, 0x01,                                     /* selector_type */
    0x80, 0x00, 0x00, 0x02,                         /* transactionId */
    0xFF, 0xFF, 0xFF, 0xFF,                         /* timeout */
};

static const oc_objref ref_2_3 = {
    .carouselId = 1, .moduleId = 2, .objectKey = 3, .association_tag = 1,
    .transactionId = 0x80000002u, .timeout = 0xFFFFFFFFu,
};

static void test_ior_golden(void **state)
{
    (void)state;
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_ior(&w, OC_KIND_FILE, &ref_2_3), OC_OK);
    assert_int_equal(w.len, sizeof golden_ior);
    assert_memory_equal(w.p, golden_ior, sizeof golden_ior);
    dvb_writer_free(&w);
}

static void test_ior_kinds(void **state)
{
    (void)state;
    static const char *const alias[] = { "dir", "srg" };
    const oc_kind kinds[] = { OC_KIND_DIR, OC_KIND_SRG };
    for (size_t i = 0; i < 2; i++) {
        dvb_writer w;
        dvb_writer_init(&w, 0);
        assert_int_equal(oc_biop_write_ior(&w, kinds[i], &ref_2_3), OC_OK);
        assert_int_equal(w.len, sizeof golden_ior);
        assert_memory_equal(w.p + 4, alias[i], 4);
        assert_memory_equal(w.p + 8, golden_ior + 8, sizeof golden_ior - 8);
        dvb_writer_free(&w);
    }
}

static void test_file_golden(void **state)
{
    (void)state;
    static const uint8_t golden[] = {
        'B', 'I', 'O', 'P', 0x01, 0x00, 0x00, 0x00,  /* magic, 1.0, BE, type */
        0x00, 0x00, 0x00, 0x22,                      /* message_size 34 */
        0x04, 0x00, 0x00, 0x00, 0x05,                /* objectKey */
        0x00, 0x00, 0x00, 0x04, 'f', 'i', 'l', 0x00, /* objectKind */
        0x00, 0x08,                                  /* objectInfo_length */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* ContentSize */
        0x00,                                        /* serviceContextList_count */
        0x00, 0x00, 0x00, 0x06,                      /* messageBody_length */
        0x00, 0x00, 0x00, 0x02, 'h', 'i',            /* content */
    };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_file(&w, 5, (const uint8_t *)"hi", 2),
                     OC_OK);
    assert_int_equal(w.len, sizeof golden);
    assert_memory_equal(w.p, golden, sizeof golden);
    assert_int_equal(oc_biop_file_size(2), sizeof golden);
    dvb_writer_free(&w);

    /* An empty file is a valid object with content_length 0. */
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_file(&w, 5, NULL, 0), OC_OK);
    assert_int_equal(w.len, oc_biop_file_size(0));
    assert_int_equal(w.p[11], 0x20);
    dvb_writer_free(&w);
}

static void test_dir_golden(void **state)
{
    (void)state;
    static const uint8_t head[] = {
        'B', 'I', 'O', 'P', 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x69,                      /* message_size 105 */
        0x04, 0x00, 0x00, 0x00, 0x01,                /* objectKey 1 */
        0x00, 0x00, 0x00, 0x04, 'd', 'i', 'r', 0x00,
        0x00, 0x00,                                  /* objectInfo_length */
        0x00,                                        /* serviceContextList_count */
        0x00, 0x00, 0x00, 0x55,                      /* messageBody_length 85 */
        0x00, 0x01,                                  /* bindings_count */
        0x01,                                        /* nameComponents_count */
        0x02, 'a', 0x00,                             /* id */
        0x04, 'f', 'i', 'l', 0x00,                   /* kind */
        0x01,                                        /* bindingType nobject */
    };
    static const uint8_t tail[] = {
        0x00, 0x08,                                  /* objectInfo_length */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    };
    oc_binding b = { .name = "a", .kind = OC_KIND_FILE, .content_size = 2,
                     .ref = ref_2_3 };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_dir(&w, OC_KIND_DIR, 1, &b, 1), OC_OK);
    size_t want = sizeof head + sizeof golden_ior + sizeof tail;
    assert_int_equal(w.len, want);
    assert_int_equal(oc_biop_dir_size(&b, 1), want);
    assert_memory_equal(w.p, head, sizeof head);
    assert_memory_equal(w.p + sizeof head, golden_ior, sizeof golden_ior);
    assert_memory_equal(w.p + sizeof head + sizeof golden_ior, tail,
                        sizeof tail);
    dvb_writer_free(&w);
}

static void test_subdir_binding(void **state)
{
    (void)state;
    oc_binding b = { .name = "menus", .kind = OC_KIND_DIR, .ref = ref_2_3 };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_dir(&w, OC_KIND_DIR, 1, &b, 1), OC_OK);
    /* after the 34-byte header and count: name "menus\0", kind "dir\0",
     * bindingType ncontext, IOR with type_id "dir", objectInfo empty */
    const uint8_t *p = w.p + 34;
    assert_int_equal(p[0], 1);
    assert_int_equal(p[1], 6);
    assert_memory_equal(p + 2, "menus", 6);
    assert_int_equal(p[8], 4);
    assert_memory_equal(p + 9, "dir", 4);
    assert_int_equal(p[13], 0x02);
    assert_memory_equal(p + 14 + 4, "dir", 4);
    assert_int_equal(p[14 + sizeof golden_ior], 0);
    assert_int_equal(p[15 + sizeof golden_ior], 0);
    assert_int_equal(w.len, 34 + 14 + sizeof golden_ior + 2);
    dvb_writer_free(&w);
}

static void test_srg_empty_golden(void **state)
{
    (void)state;
    static const uint8_t golden[] = {
        'B', 'I', 'O', 'P', 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x16,                      /* message_size 22 */
        0x04, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x04, 's', 'r', 'g', 0x00,
        0x00, 0x00,
        0x00,
        0x00, 0x00, 0x00, 0x02,
        0x00, 0x00,                                  /* bindings_count */
    };
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_dir(&w, OC_KIND_SRG, 1, NULL, 0), OC_OK);
    assert_int_equal(w.len, sizeof golden);
    assert_memory_equal(w.p, golden, sizeof golden);
    dvb_writer_free(&w);
}

static void test_bad_args(void **state)
{
    (void)state;
    dvb_writer w;
    dvb_writer_init(&w, 0);
    assert_int_equal(oc_biop_write_dir(&w, OC_KIND_FILE, 1, NULL, 0),
                     OC_EINVAL);
    oc_binding b = { .name = "", .kind = OC_KIND_FILE, .ref = ref_2_3 };
    assert_int_equal(oc_biop_write_dir(&w, OC_KIND_DIR, 1, &b, 1), OC_ENAME);
    dvb_writer_free(&w);
    /* A writer at its ceiling fails closed. */
    dvb_writer_init(&w, 10);
    assert_int_equal(oc_biop_write_file(&w, 1, (const uint8_t *)"x", 1),
                     OC_ELIMIT);
    dvb_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ior_golden),
        cmocka_unit_test(test_ior_kinds),
        cmocka_unit_test(test_file_golden),
        cmocka_unit_test(test_dir_golden),
        cmocka_unit_test(test_subdir_binding),
        cmocka_unit_test(test_srg_empty_golden),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
