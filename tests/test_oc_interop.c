/*
 * Interoperability: the DSM-CC header fields civictv-carousel writes,
 * compared field by field with what two real playout systems wrote in
 * tests/fixtures/broadcast (a Hotbird HbbTV capture and an OpenCaster MHP
 * carousel; see its README and the table in docs/carousel.md).  Fields
 * the specifications fix (ISO/IEC 13818-6 7.2-7.3 and 11.3, EN 301 192
 * 8.1, TR 101 202 4.6-4.7) must agree with both; fields that are the
 * broadcaster's choice are only checked to be in their allowed range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carousel/oc_build.h"
#include "carousel/oc_tree.h"

/* What one stream says about its conventions. */
typedef struct {
    int have_dsi, have_dii, have_ddb;
    /* dsmccMessageHeader / dsmccDownloadDataHeader */
    uint8_t protocol, type, reserved, adaptation;
    /* DSI */
    uint16_t dsi_tid_low;
    int server_id_all_ff;
    uint16_t dsi_compat_len;
    char sg_kind[4];
    uint32_t profile_tag, loc_tag, conn_tag;
    uint16_t conn_tap_use;
    uint8_t conn_selector_len;
    uint16_t conn_selector_type;
    uint16_t sg_tid_ident;            /* IOR's DII id, identification bits */
    /* DII */
    uint16_t dii_ident;
    uint16_t block_size;
    uint8_t window, ack;
    uint32_t tc_window, tc_scenario;
    uint16_t dii_compat_len;
    uint8_t mi_taps, mi_selector_len;
    uint16_t mi_tap_use;
    int compressed_ok;                /* every 0x09 descriptor well formed */
    int saw_compressed;
    /* DDB */
    int ddb_ext_is_module;
    int ddb_version_matches;
    uint32_t download_id, ddb_download_id;
} conventions;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void on_section(conventions *c, const uint8_t *s, size_t len)
{
    if (len < 8 + 12 + 4 || (s[0] != 0x3B && s[0] != 0x3C))
        return;
    const uint8_t *m = s + 8;
    c->protocol = m[0];
    c->type = m[1];
    c->reserved = m[8];
    c->adaptation = m[9];
    uint16_t msg = be16(m + 2);
    const uint8_t *b = m + 12;
    if (msg == 0x1006 && !c->have_dsi) {
        c->have_dsi = 1;
        c->dsi_tid_low = (uint16_t)(be32(m + 4) & 0xFFFF);
        c->server_id_all_ff = 1;
        for (int i = 0; i < 20; i++)
            c->server_id_all_ff &= b[i] == 0xFF;
        c->dsi_compat_len = be16(b + 20);
        const uint8_t *ior = b + 24;            /* after privateDataLength */
        memcpy(c->sg_kind, ior + 4, 4);
        uint32_t tl = be32(ior);
        const uint8_t *prof = ior + 4 + tl + 4;  /* after profiles count */
        c->profile_tag = be32(prof);
        const uint8_t *lite = prof + 8 + 2;      /* byte order, count */
        c->loc_tag = be32(lite);
        const uint8_t *conn = lite + 5 + lite[4];
        c->conn_tag = be32(conn);
        /* ConnBinder: tag, length, taps_count, id, use, assoc, selector */
        c->conn_tap_use = be16(conn + 5 + 1 + 2);
        c->conn_selector_len = conn[5 + 1 + 2 + 2 + 2];
        c->conn_selector_type = be16(conn + 5 + 1 + 2 + 2 + 2 + 1);
        c->sg_tid_ident = (uint16_t)(be32(conn + 5 + 1 + 2 + 2 + 2 + 1 + 2) &
                                     0xFFFE);
    } else if (msg == 0x1002 && !c->have_dii) {
        c->have_dii = 1;
        c->dii_ident = (uint16_t)(be32(m + 4) & 0xFFFE);
        c->download_id = be32(b);
        c->block_size = be16(b + 4);
        c->window = b[6];
        c->ack = b[7];
        c->tc_window = be32(b + 8);
        c->tc_scenario = be32(b + 12);
        c->dii_compat_len = be16(b + 16);
        uint16_t n = be16(b + 18);
        const uint8_t *e = b + 20;
        c->compressed_ok = 1;
        for (uint16_t i = 0; i < n; i++) {
            uint8_t il = e[7];
            const uint8_t *mi = e + 8;
            c->mi_taps = mi[12];
            c->mi_tap_use = be16(mi + 15);
            c->mi_selector_len = mi[19];
            const uint8_t *ui = mi + 20 + c->mi_selector_len;
            uint8_t ul = ui[0];
            for (const uint8_t *d = ui + 1; d + 2 <= ui + 1 + ul; d += 2 + d[1])
                if (d[0] == 0x09) {
                    c->saw_compressed = 1;
                    c->compressed_ok &= d[1] == 5 && (d[2] & 0x0F) == 8;
                }
            e += 8 + il;
        }
    } else if (msg == 0x1003) {
        c->have_ddb = 1;
        c->ddb_download_id = be32(m + 4);
        c->ddb_ext_is_module = be16(s + 3) == be16(b);
        c->ddb_version_matches = ((s[5] >> 1) & 0x1F) == (b[2] & 0x1F);
    }
}

/* Sections of one PID, several per packet allowed (13818-1 2.4.4.2). */
static void read_pid(conventions *c, const uint8_t *ts, size_t len,
                     uint16_t pid)
{
    static uint8_t buf[4096 + 188];
    size_t have = 0, need = 0;
    int open = 0;
    for (size_t off = 0; off + 188 <= len; off += 188) {
        const uint8_t *p = ts + off;
        if ((((p[1] & 0x1F) << 8) | p[2]) != pid)
            continue;
        size_t at = 4;
        const uint8_t *end = p + 188;
        if (p[1] & 0x40) {
            size_t ptr = p[at++];
            if (open && have + ptr >= need) {
                memcpy(buf + have, p + at, need - have);
                on_section(c, buf, need);
            }
            open = 0;
            at += ptr;
            while (p + at + 3 <= end && p[at] != 0xFF) {
                need = 3 + (((size_t)p[at + 1] & 0x0F) << 8) + p[at + 2];
                size_t k = (size_t)(end - (p + at));
                if (k >= need) {
                    on_section(c, p + at, need);
                    at += need;
                    continue;
                }
                memcpy(buf, p + at, k);
                have = k;
                open = 1;
                break;
            }
        } else if (open) {
            size_t k = 184;
            if (have + k > need)
                k = need - have;
            memcpy(buf + have, p + at, k);
            have += k;
            if (have == need) {
                on_section(c, buf, need);
                open = 0;
            }
        }
    }
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

static void ours(conventions *c, oc_compress comp)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    const char *text = "<html>civictv civictv civictv civictv</html>";
    assert_int_equal(oc_tree_add_file(t, "index.html", (const uint8_t *)text,
                                      strlen(text)), OC_OK);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.cycles = 1;
    cfg.compress = comp;
    uint8_t *ts;
    size_t len;
    assert_int_equal(oc_build_mem(t, &cfg, &ts, &len, NULL), OC_OK);
    memset(c, 0, sizeof *c);
    read_pid(c, ts, len, cfg.pid);
    free(ts);
    oc_tree_destroy(t);
}

static void theirs(conventions *c, const char *file, uint16_t pid)
{
    size_t len;
    uint8_t *ts = slurp(file, &len);
    memset(c, 0, sizeof *c);
    read_pid(c, ts, len, pid);
    free(ts);
}

/* The fields the specifications fix: the same in every stream. */
static void same_conventions(const conventions *a, const conventions *b)
{
    assert_true(a->have_dsi && a->have_dii && a->have_ddb);
    assert_true(b->have_dsi && b->have_dii && b->have_ddb);
    assert_int_equal(a->protocol, 0x11);
    assert_int_equal(a->protocol, b->protocol);
    assert_int_equal(a->type, 0x03);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->reserved, 0xFF);
    assert_int_equal(a->reserved, b->reserved);
    assert_int_equal(a->adaptation, b->adaptation);
    /* TR 101 202: the DSI's low 16 bits are 0x0000 or 0x0001 */
    assert_true(a->dsi_tid_low <= 1 && b->dsi_tid_low <= 1);
    assert_true(a->server_id_all_ff && b->server_id_all_ff);
    assert_int_equal(a->dsi_compat_len, b->dsi_compat_len);
    assert_memory_equal(a->sg_kind, "srg", 4);
    assert_memory_equal(a->sg_kind, b->sg_kind, 4);
    assert_int_equal(a->profile_tag, 0x49534F06u);
    assert_int_equal(a->profile_tag, b->profile_tag);
    assert_int_equal(a->loc_tag, b->loc_tag);
    assert_int_equal(a->conn_tag, b->conn_tag);
    assert_int_equal(a->conn_tap_use, 0x0016);          /* DELIVERY_PARA */
    assert_int_equal(a->conn_tap_use, b->conn_tap_use);
    assert_int_equal(a->conn_selector_len, b->conn_selector_len);
    assert_int_equal(a->conn_selector_type, b->conn_selector_type);
    /* the DSI's IOR names the DII by its identification */
    assert_int_equal(a->sg_tid_ident, a->dii_ident);
    assert_int_equal(b->sg_tid_ident, b->dii_ident);
    assert_int_equal(a->dii_ident, b->dii_ident);
    assert_int_equal(a->block_size, b->block_size);     /* 4066 */
    assert_int_equal(a->window, b->window);
    assert_int_equal(a->ack, b->ack);
    assert_int_equal(a->tc_window, b->tc_window);
    assert_int_equal(a->tc_scenario, b->tc_scenario);
    assert_int_equal(a->dii_compat_len, b->dii_compat_len);
    assert_int_equal(a->mi_taps, 1);
    assert_int_equal(a->mi_taps, b->mi_taps);
    assert_int_equal(a->mi_tap_use, 0x0017);            /* OBJECT_USE */
    assert_int_equal(a->mi_tap_use, b->mi_tap_use);
    assert_int_equal(a->mi_selector_len, b->mi_selector_len);
    assert_true(a->compressed_ok && b->compressed_ok);
    assert_true(a->ddb_ext_is_module && b->ddb_ext_is_module);
    assert_true(a->ddb_version_matches && b->ddb_version_matches);
    assert_int_equal(a->ddb_download_id, a->download_id);
    assert_int_equal(b->ddb_download_id, b->download_id);
}

static void test_against_hotbird(void **state)
{
    (void)state;
    conventions a, b;
    ours(&a, OC_COMPRESS_ALL);
    theirs(&b, "tests/fixtures/broadcast/hotbird-hbbtv-capture.ts", 0x076A);
    assert_true(a.saw_compressed && b.saw_compressed);
    same_conventions(&a, &b);
}

static void test_against_opencaster(void **state)
{
    (void)state;
    conventions a, b;
    ours(&a, OC_COMPRESS_NONE);
    theirs(&b, "tests/fixtures/broadcast/mhp-tutorial-ocdir1.ts", 0x07D3);
    assert_false(a.saw_compressed || b.saw_compressed);
    same_conventions(&a, &b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_hotbird),
        cmocka_unit_test(test_against_opencaster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
