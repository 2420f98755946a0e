/*
 * Tests of carousel/oc_build, oc_carousel, oc_tree and oc_content: a whole
 * stream built in memory and read back by a small independent reader in
 * this file (packets -> sections -> DII/DDB -> modules -> BIOP), so the
 * builder is checked end to end even without the receiver in dvb/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "carousel/oc_build.h"
#include "carousel/oc_content.h"
#include "carousel/oc_dsmcc.h"
#include "carousel/oc_tree.h"
#include "dvb/dvb_bytes.h"
#include "dvb/dvb_crc32.h"

/* --- a minimal reader ------------------------------------------------ */

/* Section assembly as a demultiplexer does it (13818-1 2.4.4.2): the
 * pointer_field of a packet that starts a section says how many bytes
 * end the previous one; several sections may follow in one packet,
 * then 0xFF stuffing.  take() appends bytes to the open section and
 * returns how many it used, calling DONE when the section is complete. */
typedef struct {
    uint8_t buf[4096 + 188];
    size_t len;
    int open;
} sec_asm;

static size_t sec_take(sec_asm *a, const uint8_t *d, size_t n, int *done)
{
    size_t used = 0;
    *done = 0;
    while (used < n) {
        size_t want = 3 - (a->len < 3 ? a->len : 3);
        if (a->len >= 3) {
            size_t need = 3 + (((size_t)a->buf[1] & 0x0F) << 8) + a->buf[2];
            assert_true(need <= 4096);
            want = need - a->len;
        }
        size_t k = want < n - used ? want : n - used;
        memcpy(a->buf + a->len, d + used, k);
        a->len += k;
        used += k;
        if (a->len >= 3 &&
            a->len == 3 + ((((size_t)a->buf[1] & 0x0F) << 8) + a->buf[2])) {
            *done = 1;
            a->open = 0;
            return used;
        }
    }
    return used;
}

/* One packet of the carousel PID; on_done(ctx, section, len) per section. */
#define SEC_FEED(a, p, ctx, on_done)                                        \
    do {                                                                    \
        size_t at_ = 4;                                                     \
        int done_;                                                          \
        if ((p)[1] & 0x40) {                                                \
            size_t ptr_ = (p)[at_++];                                       \
            assert_true(ptr_ <= 188 - at_);                                 \
            if ((a)->open) {                                                \
                sec_take((a), (p) + at_, ptr_, &done_);                     \
                if (done_)                                                  \
                    on_done((ctx), (a)->buf, (a)->len);                     \
                else                                                        \
                    assert_int_equal(ptr_, 0);                              \
            }                                                               \
            (a)->open = 0;                                                  \
            at_ += ptr_;                                                    \
            while (at_ < 188 && (p)[at_] != 0xFF) {                         \
                (a)->open = 1;                                              \
                (a)->len = 0;                                               \
                at_ += sec_take((a), (p) + at_, 188 - at_, &done_);         \
                if (!done_)                                                 \
                    break;                                                  \
                on_done((ctx), (a)->buf, (a)->len);                         \
            }                                                               \
        } else if ((a)->open) {                                             \
            sec_take((a), (p) + at_, 188 - at_, &done_);                    \
            if (done_)                                                      \
                on_done((ctx), (a)->buf, (a)->len);                         \
        }                                                                   \
    } while (0)


#define MAXMOD 64

typedef struct {
    uint16_t id;
    uint32_t size, orig;
    int compressed;
    uint8_t *data;
    uint8_t *have;          /* per block */
    size_t nblocks;
} rmod;

typedef struct {
    uint16_t pid;
    int cc;
    unsigned dsi, dii, ddb, pat, pmt, bad_crc;
    uint32_t dii_tid;
    uint16_t block_size;
    rmod mods[MAXMOD];
    size_t n_mods;
    int have_dii;
    uint16_t srg_module;
    uint32_t srg_key;
    sec_asm as;
} reader;

static void on_section(reader *r, const uint8_t *s, size_t len)
{
    assert_int_equal(dvb_crc32(s, len), 0);
    dvb_reader rd = dvb_reader_init(s, len);
    uint8_t tid = dvb_read_u8(&rd);
    uint16_t hdr = dvb_read_u16(&rd);
    assert_int_equal(hdr & 0xC000, 0x8000);   /* syntax 1, private 0 */
    uint16_t ext = dvb_read_u16(&rd);
    uint8_t ver = dvb_read_u8(&rd);
    uint8_t secnum = dvb_read_u8(&rd);
    uint8_t last = dvb_read_u8(&rd);
    dvb_reader msg = dvb_read_sub(&rd, len - 12);
    assert_int_equal(dvb_read_u8(&msg), 0x11);
    assert_int_equal(dvb_read_u8(&msg), 0x03);
    uint16_t mid = dvb_read_u16(&msg);
    uint32_t id = dvb_read_u32(&msg);
    assert_int_equal(dvb_read_u8(&msg), 0xFF);
    assert_int_equal(dvb_read_u8(&msg), 0);
    uint16_t mlen = dvb_read_u16(&msg);
    assert_int_equal(mlen, dvb_reader_left(&msg));
    if (tid == 0x3B && mid == 0x1006) {
        r->dsi++;
        assert_int_equal(id, 0x80000000u);
        assert_int_equal(ext, 0x0000);
        assert_int_equal(ver & 0x3E, 0);
        dvb_skip(&msg, 20 + 2 + 2);
        /* IOR of the gateway */
        assert_int_equal(dvb_read_u32(&msg), 4);
        assert_memory_equal(dvb_read_bytes(&msg, 4), "srg", 4);
        dvb_skip(&msg, 4 + 4 + 4 + 2);
        assert_int_equal(dvb_read_u32(&msg), 0x49534F50u);
        dvb_skip(&msg, 1 + 4);
        r->srg_module = dvb_read_u16(&msg);
        dvb_skip(&msg, 3);
        r->srg_key = dvb_read_u32(&msg);
        assert_false(msg.failed);
    } else if (tid == 0x3B && mid == 0x1002) {
        r->dii++;
        assert_int_equal(ext, id & 0xFFFF);
        assert_int_equal(secnum, 0);
        assert_int_equal(last, 0);
        if (r->have_dii)
            return;
        r->have_dii = 1;
        r->dii_tid = id;
        dvb_read_u32(&msg);                     /* downloadId */
        r->block_size = dvb_read_u16(&msg);
        dvb_skip(&msg, 1 + 1 + 4 + 4 + 2);
        r->n_mods = dvb_read_u16(&msg);
        assert_true(r->n_mods <= MAXMOD);
        for (size_t i = 0; i < r->n_mods; i++) {
            rmod *m = &r->mods[i];
            m->id = dvb_read_u16(&msg);
            m->size = dvb_read_u32(&msg);
            dvb_read_u8(&msg);
            dvb_reader mi = dvb_read_sub(&msg, dvb_read_u8(&msg));
            dvb_skip(&mi, 12);
            assert_int_equal(dvb_read_u8(&mi), 1);
            dvb_skip(&mi, 2);
            assert_int_equal(dvb_read_u16(&mi), 0x0017);
            dvb_skip(&mi, 3);
            uint8_t ul = dvb_read_u8(&mi);
            m->orig = m->size;
            if (ul) {
                assert_int_equal(dvb_read_u8(&mi), 0x09);
                assert_int_equal(dvb_read_u8(&mi), 5);
                assert_int_equal(dvb_read_u8(&mi), 0x08);
                m->orig = dvb_read_u32(&mi);
                m->compressed = 1;
            }
            assert_false(mi.failed);
            m->nblocks = (m->size + r->block_size - 1) / r->block_size;
            m->data = calloc(1, m->size ? m->size : 1);
            m->have = calloc(1, m->nblocks ? m->nblocks : 1);
        }
        assert_false(msg.failed);
    } else if (tid == 0x3C && mid == 0x1003) {
        r->ddb++;
        assert_true(r->have_dii);     /* schedule: DII before any block */
        uint16_t modid = dvb_read_u16(&msg);
        uint8_t mver = dvb_read_u8(&msg);
        dvb_read_u8(&msg);
        uint16_t bn = dvb_read_u16(&msg);
        assert_int_equal(ext, modid);
        assert_int_equal(ver >> 1 & 0x1F, mver & 0x1F);
        assert_int_equal(secnum, bn & 0xFF);
        size_t n = dvb_reader_left(&msg);
        rmod *m = NULL;
        for (size_t i = 0; i < r->n_mods; i++)
            if (r->mods[i].id == modid)
                m = &r->mods[i];
        assert_non_null(m);
        assert_int_equal(last, (m->nblocks - 1) & 0xFF);
        assert_true(bn < m->nblocks);
        size_t off = (size_t)bn * r->block_size;
        assert_true(off + n <= m->size);
        if (bn + 1u < m->nblocks)
            assert_int_equal(n, r->block_size);
        memcpy(m->data + off, dvb_read_bytes(&msg, n), n);
        m->have[bn] = 1;
    } else {
        fail_msg("unexpected section %02x/%04x", tid, mid);
    }
}

static void read_ts(reader *r, const uint8_t *ts, size_t len, uint16_t pid,
                    uint16_t pmt_pid)
{
    int cc[8192];
    for (int i = 0; i < 8192; i++)
        cc[i] = -1;
    assert_int_equal(len % 188, 0);
    for (size_t off = 0; off < len; off += 188) {
        const uint8_t *p = ts + off;
        assert_int_equal(p[0], 0x47);
        unsigned ppid = ((p[1] & 0x1Fu) << 8) | p[2];
        int c = p[3] & 0x0F;
        if (cc[ppid] >= 0)
            assert_int_equal(c, (cc[ppid] + 1) & 0x0F);
        cc[ppid] = c;
        if (ppid == 0) {
            r->pat++;
            continue;
        }
        if (ppid == pmt_pid) {
            r->pmt++;
            continue;
        }
        assert_int_equal(ppid, pid);
        SEC_FEED(&r->as, p, r, on_section);
    }
}

static void reader_free(reader *r)
{
    for (size_t i = 0; i < r->n_mods; i++) {
        free(r->mods[i].data);
        free(r->mods[i].have);
    }
}

/* Decompress every module in place. */
static void finish_modules(reader *r)
{
    for (size_t i = 0; i < r->n_mods; i++) {
        rmod *m = &r->mods[i];
        for (size_t b = 0; b < m->nblocks; b++)
            assert_true(m->have[b]);
        if (!m->compressed)
            continue;
        uint8_t *out = malloc(m->orig ? m->orig : 1);
        uLongf ol = m->orig;
        assert_int_equal(uncompress(out, &ol, m->data, m->size), Z_OK);
        assert_int_equal(ol, m->orig);
        free(m->data);
        m->data = out;
        m->size = m->orig;
    }
}

/* Find object key in module modid; returns its message and kind. */
static const uint8_t *find_object(reader *r, uint16_t modid, uint32_t key,
                                  char kind[4], size_t *body_len,
                                  const uint8_t **info, size_t *info_len)
{
    for (size_t i = 0; i < r->n_mods; i++) {
        rmod *m = &r->mods[i];
        if (m->id != modid)
            continue;
        dvb_reader rd = dvb_reader_init(m->data, m->size);
        while (dvb_reader_left(&rd) > 0) {
            const uint8_t *magic = dvb_read_bytes(&rd, 4);
            assert_non_null(magic);
            assert_memory_equal(magic, "BIOP", 4);
            assert_int_equal(dvb_read_u16(&rd), 0x0100);
            assert_int_equal(dvb_read_u16(&rd), 0x0000);
            dvb_reader msg = dvb_read_sub(&rd, dvb_read_u32(&rd));
            assert_false(rd.failed);
            assert_int_equal(dvb_read_u8(&msg), 4);
            uint32_t k = dvb_read_u32(&msg);
            assert_int_equal(dvb_read_u32(&msg), 4);
            memcpy(kind, dvb_read_bytes(&msg, 4), 4);
            *info_len = dvb_read_u16(&msg);
            *info = dvb_read_bytes(&msg, *info_len);
            assert_int_equal(dvb_read_u8(&msg), 0);
            *body_len = dvb_read_u32(&msg);
            const uint8_t *body = dvb_read_bytes(&msg, *body_len);
            assert_false(msg.failed);
            assert_int_equal(dvb_reader_left(&msg), 0);
            if (k == key)
                return body;
        }
    }
    fail_msg("object %u not in module %u", key, modid);
    return NULL;
}

typedef struct {
    const oc_tree *tree;
    size_t files, dirs;
} walk_ctx;

/* Walk the carousel's directories from the gateway and compare every file
 * with the tree. */
static void check_dir(reader *r, walk_ctx *w, uint16_t modid, uint32_t key,
                      const char *path, int is_srg)
{
    char kind[4];
    size_t blen, ilen;
    const uint8_t *info;
    const uint8_t *body = find_object(r, modid, key, kind, &blen, &info,
                                      &ilen);
    assert_memory_equal(kind, is_srg ? "srg" : "dir", 4);
    dvb_reader b = dvb_reader_init(body, blen);
    uint16_t n = dvb_read_u16(&b);
    for (uint16_t i = 0; i < n; i++) {
        assert_int_equal(dvb_read_u8(&b), 1);
        uint8_t idl = dvb_read_u8(&b);
        const char *name = (const char *)dvb_read_bytes(&b, idl);
        assert_int_equal(name[idl - 1], '\0');
        assert_int_equal(dvb_read_u8(&b), 4);
        const char *bk = (const char *)dvb_read_bytes(&b, 4);
        uint8_t btype = dvb_read_u8(&b);
        dvb_skip(&b, 4 + 4 + 4 + 4 + 4 + 2 + 4 + 1 + 4);
        uint16_t cmod = dvb_read_u16(&b);
        dvb_skip(&b, 3);
        uint32_t ckey = dvb_read_u32(&b);
        dvb_skip(&b, 4 + 1 + 1 + 2 + 2 + 2 + 1 + 2);
        assert_int_equal(dvb_read_u32(&b), r->dii_tid);
        dvb_skip(&b, 4);
        uint16_t oil = dvb_read_u16(&b);
        dvb_skip(&b, oil);
        assert_false(b.failed);
        char child[1024];
        snprintf(child, sizeof child, "%s%s%s", path, *path ? "/" : "",
                 name);
        if (!memcmp(bk, "dir", 4)) {
            assert_int_equal(btype, 2);
            w->dirs++;
            check_dir(r, w, cmod, ckey, child, 0);
        } else {
            assert_memory_equal(bk, "fil", 4);
            assert_int_equal(btype, 1);
            assert_int_equal(oil, 8);
            char k2[4];
            size_t fl, il;
            const uint8_t *fi;
            const uint8_t *fb = find_object(r, cmod, ckey, k2, &fl, &fi,
                                            &il);
            assert_memory_equal(k2, "fil", 4);
            assert_int_equal(il, 8);
            dvb_reader fr = dvb_reader_init(fb, fl);
            uint32_t clen = dvb_read_u32(&fr);
            const uint8_t *content = dvb_read_bytes(&fr, clen);
            assert_false(fr.failed);
            const uint8_t *want;
            size_t wl;
            assert_int_equal(oc_tree_lookup(w->tree, child, &want, &wl), 0);
            assert_int_equal(clen, wl);
            if (wl)
                assert_memory_equal(content, want, wl);
            w->files++;
        }
    }
    assert_int_equal(dvb_reader_left(&b), 0);
}

/* --- helpers ---------------------------------------------------------- */

static oc_tree *small_tree(void)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "manifest.json",
                                      (const uint8_t *)"{}", 2), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "menus/root.json",
                                      (const uint8_t *)"[1,2,3]", 7), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "empty", NULL, 0), OC_OK);
    assert_int_equal(oc_tree_add_dir(t, "emptydir"), OC_OK);
    uint8_t *big = malloc(20000);
    for (size_t i = 0; i < 20000; i++)
        big[i] = (uint8_t)(i % 251 ^ (i >> 8));
    assert_int_equal(oc_tree_add_file(t, "images/big.bin", big, 20000),
                     OC_OK);
    free(big);
    return t;
}

static void build_and_check(const oc_tree *t, const oc_build_config *cfg,
                            size_t want_files, size_t want_dirs)
{
    uint8_t *ts;
    size_t len;
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, cfg, &ts, &len, &st), OC_OK);
    assert_int_equal(len, st.bytes_on_air);
    assert_int_equal(st.packets * 188, len);
    /* The stream starts with the PAT. */
    assert_int_equal(ts[1] & 0x1F, 0);
    assert_int_equal(ts[2], 0);
    reader *r = calloc(1, sizeof *r);
    read_ts(r, ts, len, cfg->pid, cfg->pmt_pid);
    assert_true(r->pat >= 1);
    assert_true(r->pmt >= 1);
    assert_true(r->dsi >= cfg->cycles);
    assert_true(r->dii >= cfg->cycles);
    /* Every block once per cycle, the first screen's more often. */
    assert_int_equal(r->ddb, st.ddb_sections);
    assert_true(r->ddb >= st.carousel.blocks * cfg->cycles);
    if (cfg->first_share == 0)
        assert_int_equal(r->ddb, st.carousel.blocks * cfg->cycles);
    assert_int_equal(r->n_mods, st.carousel.modules);
    assert_int_equal(r->block_size, cfg->block_size);
    assert_int_equal(r->dii_tid, 0x80000002u);
    finish_modules(r);
    walk_ctx w = { t, 0, 0 };
    check_dir(r, &w, r->srg_module, r->srg_key, "", 1);
    assert_int_equal(w.files, want_files);
    assert_int_equal(w.dirs, want_dirs);
    assert_int_equal(st.carousel.files, want_files);
    assert_int_equal(st.carousel.dirs, want_dirs);
    reader_free(r);
    free(r);
    free(ts);
}

/* --- tests ------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    oc_build_config c;
    oc_build_config_default(&c);
    assert_int_equal(c.pmt_pid, 0x0100);
    assert_int_equal(c.pid, 0x0101);
    assert_int_equal(c.service_id, 1);
    assert_int_equal(c.tsid, 1);
    assert_int_equal(c.carousel_id, 1);
    assert_int_equal(c.component_tag, 1);
    assert_int_equal(c.block_size, 4066);
    assert_int_equal(c.module_size, 65536);
    assert_int_equal(c.compress, OC_COMPRESS_AUTO);
    assert_int_equal(c.cycles, 2);
    assert_int_equal(oc_build_config_check(&c, NULL, 0), OC_OK);
}

static void test_config_ranges(void **state)
{
    (void)state;
    oc_build_config c;
    char why[128];
    oc_build_config_default(&c);
    c.pid = c.pmt_pid;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--pid"));
    oc_build_config_default(&c);
    c.block_size = 4067;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
    assert_non_null(strstr(why, "--block-size"));
    oc_build_config_default(&c);
    c.pmt_pid = 0x000F;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
    oc_build_config_default(&c);
    c.cycles = 0;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
    oc_build_config_default(&c);
    c.module_size = 100;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
    oc_build_config_default(&c);
    c.service_id = 0;
    assert_int_equal(oc_build_config_check(&c, why, sizeof why), OC_EINVAL);
}

static void test_build_default(void **state)
{
    (void)state;
    oc_tree *t = small_tree();
    oc_build_config c;
    oc_build_config_default(&c);
    build_and_check(t, &c, 4, 3);
    oc_tree_destroy(t);
}

static void test_build_variants(void **state)
{
    (void)state;
    oc_tree *t = small_tree();
    static const struct {
        uint16_t block;
        uint32_t module;
        oc_compress comp;
    } v[] = {
        { 4066, 65536, OC_COMPRESS_NONE },
        { 4066, 65536, OC_COMPRESS_ALL },
        { 100, 1024, OC_COMPRESS_NONE },
        { 16, 1024, OC_COMPRESS_AUTO },
        { 1000, 4096, OC_COMPRESS_ALL },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        oc_build_config c;
        oc_build_config_default(&c);
        c.block_size = v[i].block;
        c.module_size = v[i].module;
        c.compress = v[i].comp;
        c.cycles = 1;
        c.pid = 0x1234;
        c.pmt_pid = 0x0020;
        build_and_check(t, &c, 4, 3);
    }
    oc_tree_destroy(t);
}

static void test_modules_packing(void **state)
{
    (void)state;
    oc_tree *t = small_tree();
    oc_carousel_config cc = { .carousel_id = 7, .component_tag = 1,
                              .block_size = 4066, .module_size = 1024,
                              .compress = OC_COMPRESS_NONE,
                              .module_version = 1 };
    oc_carousel *car;
    assert_int_equal(oc_carousel_create(t, &cc, &car), OC_OK);
    size_t n = oc_carousel_module_count(car);
    assert_true(n >= 2);
    int saw_big = 0;
    for (size_t i = 0; i < n; i++) {
        oc_module_info mi;
        oc_carousel_module(car, i, &mi);
        assert_int_equal(mi.moduleId, i + 1);
        assert_false(mi.compressed);
        if (mi.moduleSize > 1024) {
            /* Only a single big object may exceed the target. */
            assert_int_equal(mi.objects, 1);
            saw_big = 1;
        }
        size_t len;
        assert_non_null(oc_carousel_ddb(car, i, 0, &len));
        assert_null(oc_carousel_ddb(car, i, mi.blocks, &len));
    }
    assert_true(saw_big);
    assert_int_equal(oc_carousel_dsi_tid(car), 0x80000000u);
    assert_int_equal(oc_carousel_dii_tid(car), 0x80000002u);
    oc_carousel_destroy(car);
    oc_carousel_destroy(NULL);
    oc_tree_destroy(t);
}

static void test_too_many_modules(void **state)
{
    (void)state;
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    uint8_t *blob = calloc(1, 2000);
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "f%03d", i);
        blob[0] = (uint8_t)i;
        assert_int_equal(oc_tree_add_file(t, name, blob, 2000), OC_OK);
    }
    free(blob);
    oc_build_config c;
    oc_build_config_default(&c);
    c.module_size = 1024;
    uint8_t *ts;
    size_t len;
    /* 201 modules: two DIIs */
    oc_build_stats st;
    assert_int_equal(oc_build_mem(t, &c, &ts, &len, &st), OC_OK);
    assert_int_equal(st.carousel.modules, 201);
    assert_int_equal(st.carousel.diis, 2);
    free(ts);
    /* beyond OC_MAX_DIIS DIIs: refused before anything is encoded */
    c.module_size = OC_MODULE_SIZE_MIN;
    oc_tree *t2;
    assert_int_equal(oc_tree_create(&t2), OC_OK);
    uint8_t *big = calloc(1, 1100);
    assert_non_null(big);
    for (int i = 0; i < 3600; i++) {
        snprintf(name, sizeof name, "h%04d", i);
        assert_int_equal(oc_tree_add_file(t2, name, big, 1100), OC_OK);
    }
    free(big);
    assert_int_equal(oc_build_mem(t2, &c, &ts, &len, NULL), OC_EDII);
    assert_null(ts);
    oc_tree_destroy(t2);
    oc_tree_destroy(t);
}

static void test_tree_errors(void **state)
{
    (void)state;
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "a/b", (const uint8_t *)"x", 1),
                     OC_OK);
    assert_int_equal(oc_tree_add_file(t, "a/b", (const uint8_t *)"x", 1),
                     OC_EEXIST);
    assert_int_equal(oc_tree_add_file(t, "a/b/c", (const uint8_t *)"x", 1),
                     OC_EEXIST);
    assert_int_equal(oc_tree_add_dir(t, "a"), OC_OK);
    assert_int_equal(oc_tree_add_file(t, "a//c", NULL, 0), OC_ENAME);
    assert_int_equal(oc_tree_add_file(t, "../c", NULL, 0), OC_ENAME);
    assert_int_equal(oc_tree_add_file(t, "", NULL, 0), OC_ENAME);
    char longname[300];
    memset(longname, 'n', 255);
    longname[255] = '\0';
    assert_int_equal(oc_tree_add_file(t, longname, NULL, 0), OC_ENAME);
    longname[254] = '\0';
    assert_int_equal(oc_tree_add_file(t, longname, NULL, 0), OC_OK);
    const uint8_t *d;
    size_t l;
    assert_int_equal(oc_tree_lookup(t, "a/b", &d, &l), 0);
    assert_int_equal(l, 1);
    assert_int_equal(oc_tree_lookup(t, "a", &d, &l), -1);
    assert_int_equal(oc_tree_lookup(t, "a/x", &d, &l), -1);
    oc_tree_destroy(t);
    oc_tree_destroy(NULL);
}

typedef struct {
    unsigned n;
    char last[512];
} reports;

static void collect(void *ud, const char *msg)
{
    reports *r = ud;
    r->n++;
    snprintf(r->last, sizeof r->last, "%s", msg);
}

static void test_content_check_names_file(void **state)
{
    (void)state;
    /* The sample content validates. */
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    assert_int_equal(oc_tree_load(t, "content", 0, NULL, NULL), OC_OK);
    reports r = { 0 };
    assert_int_equal(oc_content_check(t, collect, &r), 0);
    /* A name content paths do not allow is reported by file. */
    assert_int_equal(oc_tree_add_file(t, "pages/bad name.json",
                                      (const uint8_t *)"{}", 2), OC_OK);
    assert_true(oc_content_check(t, collect, &r) >= 1);
    assert_non_null(strstr(r.last, "pages/bad name.json"));
    oc_tree_destroy(t);

    /* An empty folder has no manifest. */
    assert_int_equal(oc_tree_create(&t), OC_OK);
    memset(&r, 0, sizeof r);
    assert_true(oc_content_check(t, collect, &r) >= 1);
    assert_non_null(strstr(r.last, "manifest.json"));
    oc_tree_destroy(t);
}

static void test_load_missing_folder(void **state)
{
    (void)state;
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    assert_int_equal(oc_tree_load(t, "/nonexistent/civictv", 0, NULL, NULL),
                     OC_EIO);
    oc_tree_destroy(t);
}

static void test_strerror_total(void **state)
{
    (void)state;
    for (int e = OC_OK; e <= OC_ECONTENT; e++) {
        assert_non_null(oc_strerror((oc_err)e));
        assert_string_not_equal(oc_strerror((oc_err)e), "unknown error");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_config_ranges),
        cmocka_unit_test(test_build_default),
        cmocka_unit_test(test_build_variants),
        cmocka_unit_test(test_modules_packing),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_tree_errors),
        cmocka_unit_test(test_content_check_names_file),
        cmocka_unit_test(test_load_missing_folder),
        cmocka_unit_test(test_strerror_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
