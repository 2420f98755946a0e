/*
 * Tests of carousel/oc_psi: the PAT and PMT, packetised and decoded back
 * with libdvbpsi's own decoders (ISO/IEC 13818-1 2.4.4.3, 2.4.4.8; the
 * descriptors of EN 301 192, EN 300 468 and ES 202 184).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include <dvbpsi/dvbpsi.h>
#include <dvbpsi/psi.h>
#include <dvbpsi/descriptor.h>
#include <dvbpsi/pat.h>
#include <dvbpsi/pmt.h>

#include "carousel/oc_psi.h"
#include "carousel/oc_ts.h"
#include "dvb/dvb_crc32.h"

typedef struct {
    dvbpsi_pat_t *pat;
    dvbpsi_pmt_t *pmt;
} decoded;

static void on_pat(void *ud, dvbpsi_pat_t *pat)
{
    decoded *d = ud;
    if (d->pat)
        dvbpsi_pat_delete(d->pat);
    d->pat = pat;                         /* ownership passes to us */
}

static void on_pmt(void *ud, dvbpsi_pmt_t *pmt)
{
    decoded *d = ud;
    if (d->pmt)
        dvbpsi_pmt_delete(d->pmt);
    d->pmt = pmt;
}

typedef struct {
    dvbpsi_t *h;
} push_ctx;

static int push(void *ud, const uint8_t *pkt)
{
    push_ctx *c = ud;
    uint8_t copy[188];
    memcpy(copy, pkt, 188);
    return dvbpsi_packet_push(c->h, copy) ? 0 : -1;
}

static void feed(const dvb_writer *secs, uint16_t pid, dvbpsi_t *h)
{
    push_ctx c = { h };
    oc_ts *ts;
    assert_int_equal(oc_ts_create(push, &c, &ts), OC_OK);
    assert_int_equal(oc_ts_put_section(ts, pid, secs->p, secs->len), OC_OK);
    oc_ts_destroy(ts);
}

static const oc_psi_config cfg = {
    .transport_stream_id = 0x1234,
    .program_number = 0x4567,
    .pmt_pid = 0x0100,
    .carousel_pid = 0x0101,
    .component_tag = 0x2A,
    .carousel_id = 0x01020304,
    .boot_priority_hint = 2,
    .version_number = 0,
};

static void test_pat_pmt_decode(void **state)
{
    (void)state;
    dvb_writer pat, pmt;
    dvb_writer_init(&pat, 4096);
    dvb_writer_init(&pmt, 4096);
    assert_int_equal(oc_psi_generate(&cfg, &pat, &pmt), OC_OK);
    assert_int_equal(dvb_crc32(pat.p, pat.len), 0);
    assert_int_equal(dvb_crc32(pmt.p, pmt.len), 0);
    assert_int_equal(pat.p[0], 0x00);
    assert_int_equal(pmt.p[0], 0x02);

    decoded d = { 0 };
    dvbpsi_t *h = dvbpsi_new(NULL, DVBPSI_MSG_NONE);
    assert_non_null(h);
    assert_true(dvbpsi_pat_attach(h, on_pat, &d));
    feed(&pat, 0x0000, h);
    dvbpsi_pat_detach(h);
    assert_non_null(d.pat);
    assert_int_equal(d.pat->i_ts_id, 0x1234);
    assert_true(d.pat->b_current_next);
    dvbpsi_pat_program_t *prog = d.pat->p_first_program;
    assert_non_null(prog);
    assert_int_equal(prog->i_number, 0x4567);
    assert_int_equal(prog->i_pid, 0x0100);
    assert_null(prog->p_next);

    assert_true(dvbpsi_pmt_attach(h, 0x4567, on_pmt, &d));
    feed(&pmt, 0x0100, h);
    dvbpsi_pmt_detach(h);
    dvbpsi_delete(h);
    assert_non_null(d.pmt);
    assert_int_equal(d.pmt->i_program_number, 0x4567);
    assert_int_equal(d.pmt->i_pcr_pid, 0x1FFF);
    dvbpsi_pmt_es_t *es = d.pmt->p_first_es;
    assert_non_null(es);
    assert_int_equal(es->i_type, 0x0B);
    assert_int_equal(es->i_pid, 0x0101);
    assert_null(es->p_next);

    dvbpsi_descriptor_t *ds = es->p_first_descriptor;
    assert_non_null(ds);
    assert_int_equal(ds->i_tag, 0x52);
    assert_int_equal(ds->i_length, 1);
    assert_int_equal(ds->p_data[0], 0x2A);
    ds = ds->p_next;
    assert_non_null(ds);
    assert_int_equal(ds->i_tag, 0x13);
    static const uint8_t cid[] = { 0x01, 0x02, 0x03, 0x04, 0x00 };
    assert_int_equal(ds->i_length, sizeof cid);
    assert_memory_equal(ds->p_data, cid, sizeof cid);
    ds = ds->p_next;
    assert_non_null(ds);
    assert_int_equal(ds->i_tag, 0x66);
    static const uint8_t dbid[] = { 0x01, 0x06, 0x01, 0x01, 0x02, 0x00 };
    assert_int_equal(ds->i_length, sizeof dbid);
    assert_memory_equal(ds->p_data, dbid, sizeof dbid);
    assert_null(ds->p_next);

    dvbpsi_pat_delete(d.pat);
    dvbpsi_pmt_delete(d.pmt);
    dvb_writer_free(&pat);
    dvb_writer_free(&pmt);
}

static void test_bad_config(void **state)
{
    (void)state;
    dvb_writer pat, pmt;
    dvb_writer_init(&pat, 4096);
    dvb_writer_init(&pmt, 4096);
    oc_psi_config c = cfg;
    c.program_number = 0;
    assert_int_equal(oc_psi_generate(&c, &pat, &pmt), OC_EINVAL);
    c = cfg;
    c.carousel_pid = 0x1FFF;
    assert_int_equal(oc_psi_generate(&c, &pat, &pmt), OC_EINVAL);
    c = cfg;
    c.version_number = 32;
    assert_int_equal(oc_psi_generate(&c, &pat, &pmt), OC_EINVAL);
    assert_int_equal(pat.len, 0);
    assert_int_equal(pmt.len, 0);
    dvb_writer_free(&pat);
    dvb_writer_free(&pmt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pat_pmt_decode),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
