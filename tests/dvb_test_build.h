/*
 * Builders of small carousels byte by byte, for the dvb/ unit tests:
 * BIOP messages, IORs, DSM-CC messages and sections, TS packets.  Written
 * from the specifications, independently of carousel/, so that the
 * receiver is not only tested against its own project's writer.
 * Header-only (static inline) so that each test binary takes what it uses.
 */
#ifndef DVB_TEST_BUILD_H
#define DVB_TEST_BUILD_H

#include "dvb/dvb_bytes.h"
#include "dvb/dvb_crc32.h"

#include <stdlib.h>
#include <string.h>

/* IOR with a BIOP profile: ObjectLocation + ConnBinder with one
 * BIOP_DELIVERY_PARA_USE tap (13818-6 11.3.1, TR 101 202 4.7.3.2). */
static inline void tb_ior_tag(dvb_writer *w, const char *type,
                              uint32_t carousel, uint16_t module,
                              const void *key, uint8_t klen, uint32_t tid,
                              uint16_t assoc_tag)
{
    dvb_write_u32(w, 4);
    dvb_write_bytes(w, type, 4);
    dvb_write_u32(w, 1);                       /* taggedProfiles_count */
    dvb_write_u32(w, 0x49534F06);              /* TAG_BIOP */
    size_t len_at = w->len;
    dvb_write_u32(w, 0);
    size_t start = w->len;
    dvb_write_u8(w, 0);                        /* byte order */
    dvb_write_u8(w, 2);                        /* liteComponents_count */
    dvb_write_u32(w, 0x49534F50);              /* ObjectLocation */
    dvb_write_u8(w, (uint8_t)(4 + 2 + 2 + 1 + klen));
    dvb_write_u32(w, carousel);
    dvb_write_u16(w, module);
    dvb_write_u8(w, 1);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, klen);
    dvb_write_bytes(w, key, klen);
    dvb_write_u32(w, 0x49534F40);              /* ConnBinder */
    dvb_write_u8(w, 18);
    dvb_write_u8(w, 1);                        /* taps_count */
    dvb_write_u16(w, 0);                       /* id */
    dvb_write_u16(w, 0x0016);                  /* BIOP_DELIVERY_PARA_USE */
    dvb_write_u16(w, assoc_tag);               /* association_tag */
    dvb_write_u8(w, 10);
    dvb_write_u16(w, 0x0001);
    dvb_write_u32(w, tid);
    dvb_write_u32(w, 0xFFFFFFFF);
    dvb_patch_u32(w, len_at, (uint32_t)(w->len - start));
}

static inline void tb_ior(dvb_writer *w, const char *type, uint32_t carousel,
                          uint16_t module, const void *key, uint8_t klen,
                          uint32_t tid)
{
    tb_ior_tag(w, type, carousel, module, key, klen, tid, 0x0001);
}

typedef struct {
    const char *name;
    const char *kind;          /* "dir", "fil", "str" or "ste" */
    uint16_t module;
    uint8_t key;
} tb_binding;

static inline void tb_biop_header(dvb_writer *w, uint8_t key, const char *kind,
                                  size_t *size_at, size_t *start)
{
    dvb_write_bytes(w, "BIOP", 4);
    dvb_write_u8(w, 1);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    *size_at = w->len;
    dvb_write_u32(w, 0);
    *start = w->len;
    dvb_write_u8(w, 1);
    dvb_write_u8(w, key);
    dvb_write_u32(w, 4);
    dvb_write_bytes(w, kind, 4);
}

/* A Directory or ServiceGateway message (13818-6 11.3.2.3). */
static inline void tb_biop_dir(dvb_writer *w, const char *kind, uint8_t key,
                               uint32_t carousel, uint32_t tid,
                               const tb_binding *b, size_t n)
{
    size_t size_at, start;
    tb_biop_header(w, key, kind, &size_at, &start);
    dvb_write_u16(w, 0);                       /* objectInfo_length */
    dvb_write_u8(w, 0);                        /* serviceContextList_count */
    size_t body_at = w->len;
    dvb_write_u32(w, 0);
    size_t body = w->len;
    dvb_write_u16(w, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        dvb_write_u8(w, 1);                    /* nameComponents_count */
        size_t nl = strlen(b[i].name) + 1;
        dvb_write_u8(w, (uint8_t)nl);
        dvb_write_bytes(w, b[i].name, nl);
        dvb_write_u8(w, 4);
        dvb_write_bytes(w, b[i].kind, 4);
        dvb_write_u8(w, 1);                    /* bindingType nobject */
        tb_ior(w, b[i].kind, carousel, b[i].module, &b[i].key, 1, tid);
        dvb_write_u16(w, 0);                   /* objectInfo_length */
    }
    dvb_patch_u32(w, body_at, (uint32_t)(w->len - body));
    dvb_patch_u32(w, size_at, (uint32_t)(w->len - start));
}

/* A File message (13818-6 11.3.2.4). */
static inline void tb_biop_file(dvb_writer *w, uint8_t key, const void *data,
                                size_t len)
{
    size_t size_at, start;
    tb_biop_header(w, key, "fil", &size_at, &start);
    dvb_write_u16(w, 8);                       /* objectInfo: ContentSize */
    dvb_write_u64(w, len);
    dvb_write_u8(w, 0);
    dvb_write_u32(w, (uint32_t)(4 + len));
    dvb_write_u32(w, (uint32_t)len);
    dvb_write_bytes(w, data, len);
    dvb_patch_u32(w, size_at, (uint32_t)(w->len - start));
}

/* A Stream ("str") or StreamEvent ("ste") message (13818-6 11.3.2.5-6,
 * TR 101 202 4.7.3.6-7): Info_T with a description and a duration,
 * taps with the given uses and association tags, and for "ste" the event
 * names (objectInfo) and ids (body). */
static inline void tb_biop_stream(dvb_writer *w, uint8_t key, int event,
                                  const char *desc, const uint16_t *tap_use,
                                  const uint16_t *tap_tag, size_t ntaps,
                                  const char *const *names,
                                  const uint16_t *ids, size_t nevents)
{
    size_t size_at, start;
    tb_biop_header(w, key, event ? "ste" : "str", &size_at, &start);
    size_t info_at = w->len;
    dvb_write_u16(w, 0);
    size_t info = w->len;
    dvb_write_u8(w, (uint8_t)strlen(desc));
    dvb_write_bytes(w, desc, strlen(desc));
    dvb_write_u32(w, 90);                      /* aSeconds */
    dvb_write_u32(w, 500);                     /* aMicroSeconds */
    dvb_write_u8(w, 1);                        /* audio */
    dvb_write_u8(w, 1);                        /* video */
    dvb_write_u8(w, 0);                        /* data */
    if (event) {
        dvb_write_u16(w, (uint16_t)nevents);
        for (size_t i = 0; i < nevents; i++) {
            dvb_write_u8(w, (uint8_t)(strlen(names[i]) + 1));
            dvb_write_bytes(w, names[i], strlen(names[i]) + 1);
        }
    }
    dvb_patch_u16(w, info_at, (uint16_t)(w->len - info));
    dvb_write_u8(w, 0);                        /* serviceContextList_count */
    size_t body_at = w->len;
    dvb_write_u32(w, 0);
    size_t body = w->len;
    dvb_write_u8(w, (uint8_t)ntaps);
    for (size_t i = 0; i < ntaps; i++) {
        dvb_write_u16(w, (uint16_t)i);
        dvb_write_u16(w, tap_use[i]);
        dvb_write_u16(w, tap_tag[i]);
        dvb_write_u8(w, 0);                    /* selector_length */
    }
    if (event) {
        dvb_write_u8(w, (uint8_t)nevents);
        for (size_t i = 0; i < nevents; i++)
            dvb_write_u16(w, ids[i]);
    }
    dvb_patch_u32(w, body_at, (uint32_t)(w->len - body));
    dvb_patch_u32(w, size_at, (uint32_t)(w->len - start));
}

/* dsmccMessageHeader + body (13818-6 7.2). */
static inline void tb_msg(dvb_writer *w, uint16_t msgid, uint32_t tid,
                          const uint8_t *body, size_t len)
{
    dvb_write_u8(w, 0x11);
    dvb_write_u8(w, 0x03);
    dvb_write_u16(w, msgid);
    dvb_write_u32(w, tid);
    dvb_write_u8(w, 0xFF);
    dvb_write_u8(w, 0);
    dvb_write_u16(w, (uint16_t)len);
    dvb_write_bytes(w, body, len);
}

/* DSMCC_section with CRC_32 (13818-6 9.2.2). */
static inline void tb_section(dvb_writer *w, uint8_t table_id, uint16_t ext,
                              const uint8_t *msg, size_t len)
{
    size_t start = w->len;
    dvb_write_u8(w, table_id);
    dvb_write_u16(w, (uint16_t)(0xB000u | (5u + len + 4u)));
    dvb_write_u16(w, ext);
    dvb_write_u8(w, 0xC1);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    dvb_write_bytes(w, msg, len);
    dvb_write_u32(w, dvb_crc32(w->p + start, w->len - start));
}

/* DSMCC_section with section_syntax_indicator 0, private_indicator 1
 * and the 13818-6 9.2.2.1 checksum: the XOR of the section's 32-bit
 * big-endian words (zero-padded), complemented.  Written here from the
 * clause, not with the receiver's function. */
static inline void tb_section_checksum(dvb_writer *w, uint8_t table_id,
                                       uint16_t ext, const uint8_t *msg,
                                       size_t len)
{
    size_t start = w->len;
    dvb_write_u8(w, table_id);
    dvb_write_u16(w, (uint16_t)(0x7000u | (5u + len + 4u)));
    dvb_write_u16(w, ext);
    dvb_write_u8(w, 0xC1);
    dvb_write_u8(w, 0);
    dvb_write_u8(w, 0);
    dvb_write_bytes(w, msg, len);
    uint32_t x = 0;
    size_t n = w->len - start;
    for (size_t i = 0; i < n; i++)
        x ^= (uint32_t)w->p[start + i] << (24 - 8 * (i % 4));
    dvb_write_u32(w, ~x);
}

static inline void tb_dsi_section_tag(dvb_writer *w, uint32_t tid,
                                      uint32_t carousel, uint16_t module,
                                      uint8_t key, uint32_t dii_tid,
                                      uint16_t assoc_tag)
{
    dvb_writer b, m;
    dvb_writer_init(&b, 0);
    dvb_writer_init(&m, 0);
    for (int i = 0; i < 20; i++)
        dvb_write_u8(&b, 0xFF);                /* serverId */
    dvb_write_u16(&b, 0);                      /* compatibilityDescriptor */
    size_t pl = b.len;
    dvb_write_u16(&b, 0);
    size_t ps = b.len;
    tb_ior_tag(&b, "srg", carousel, module, &key, 1, dii_tid, assoc_tag);
    dvb_write_u8(&b, 0);                       /* downloadTaps_count */
    dvb_write_u8(&b, 0);                       /* serviceContextList_count */
    dvb_write_u16(&b, 0);                      /* userInfoLength */
    dvb_patch_u16(&b, pl, (uint16_t)(b.len - ps));
    tb_msg(&m, 0x1006, tid, b.p, b.len);
    tb_section(w, 0x3B, (uint16_t)tid, m.p, m.len);
    dvb_writer_free(&b);
    dvb_writer_free(&m);
}

static inline void tb_dsi_section(dvb_writer *w, uint32_t tid,
                                  uint32_t carousel, uint16_t module,
                                  uint8_t key, uint32_t dii_tid)
{
    tb_dsi_section_tag(w, tid, carousel, module, key, dii_tid, 0x0001);
}

typedef struct {
    uint16_t id;
    uint8_t version;
    uint32_t size;             /* as sent */
    int compressed;            /* adds a compressed_module_descriptor */
    uint32_t original_size;
} tb_module;

static inline void tb_dii_section_tag(dvb_writer *w, uint32_t tid,
                                      uint32_t download, uint16_t block,
                                      const tb_module *mods, size_t n,
                                      uint16_t assoc_tag)
{
    dvb_writer b, m;
    dvb_writer_init(&b, 0);
    dvb_writer_init(&m, 0);
    dvb_write_u32(&b, download);
    dvb_write_u16(&b, block);
    dvb_write_u8(&b, 0);
    dvb_write_u8(&b, 0);
    dvb_write_u32(&b, 0);
    dvb_write_u32(&b, 0);
    dvb_write_u16(&b, 0);                      /* compatibilityDescriptor */
    dvb_write_u16(&b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        dvb_write_u16(&b, mods[i].id);
        dvb_write_u32(&b, mods[i].size);
        dvb_write_u8(&b, mods[i].version);
        uint8_t ui = mods[i].compressed ? 7 : 0;
        dvb_write_u8(&b, (uint8_t)(12 + 1 + 7 + 1 + ui));
        dvb_write_u32(&b, 0);
        dvb_write_u32(&b, 0);
        dvb_write_u32(&b, 0);
        dvb_write_u8(&b, 1);                   /* taps_count */
        dvb_write_u16(&b, 0);
        dvb_write_u16(&b, 0x0017);             /* BIOP_OBJECT_USE */
        dvb_write_u16(&b, assoc_tag);
        dvb_write_u8(&b, 0);
        dvb_write_u8(&b, ui);
        if (ui) {
            dvb_write_u8(&b, 0x09);
            dvb_write_u8(&b, 5);
            dvb_write_u8(&b, 0x08);
            dvb_write_u32(&b, mods[i].original_size);
        }
    }
    dvb_write_u16(&b, 0);                      /* privateDataLength */
    tb_msg(&m, 0x1002, tid, b.p, b.len);
    tb_section(w, 0x3B, (uint16_t)tid, m.p, m.len);
    dvb_writer_free(&b);
    dvb_writer_free(&m);
}

static inline void tb_dii_section(dvb_writer *w, uint32_t tid,
                                  uint32_t download, uint16_t block,
                                  const tb_module *mods, size_t n)
{
    tb_dii_section_tag(w, tid, download, block, mods, n, 0x0001);
}

static inline void tb_ddb_section(dvb_writer *w, uint32_t download,
                                  uint16_t module, uint8_t version,
                                  uint16_t block, const uint8_t *data,
                                  size_t len)
{
    dvb_writer b, m;
    dvb_writer_init(&b, 0);
    dvb_writer_init(&m, 0);
    dvb_write_u16(&b, module);
    dvb_write_u8(&b, version);
    dvb_write_u8(&b, 0xFF);
    dvb_write_u16(&b, block);
    dvb_write_bytes(&b, data, len);
    tb_msg(&m, 0x1003, download, b.p, b.len);
    tb_section(w, 0x3C, module, m.p, m.len);
    dvb_writer_free(&b);
    dvb_writer_free(&m);
}

/* Cuts a section into TS packets: the first with PUSI and pointer 0,
 * the last padded with 0xFF.  cc is advanced. */
static inline void tb_packetise(dvb_writer *ts, uint16_t pid, uint8_t *cc,
                                const uint8_t *sec, size_t len)
{
    size_t off = 0;
    int first = 1;
    while (off < len || first) {
        uint8_t p[188];
        memset(p, 0xFF, sizeof p);
        p[0] = 0x47;
        p[1] = (uint8_t)((first ? 0x40 : 0) | (pid >> 8));
        p[2] = (uint8_t)pid;
        p[3] = (uint8_t)(0x10 | (*cc & 0x0F));
        *cc = (uint8_t)((*cc + 1) & 0x0F);
        size_t at = 4;
        if (first)
            p[at++] = 0;
        size_t n = len - off < 188 - at ? len - off : 188 - at;
        memcpy(p + at, sec + off, n);
        off += n;
        first = 0;
        dvb_write_bytes(ts, p, sizeof p);
    }
}

#endif
