/*
 * BIOP messages and IORs, ISO/IEC 13818-6 clause 11 as profiled by
 * ETSI TR 101 202 clause 4.7.3 and ETSI ES 202 184 (see oc_biop.h).
 * Field names in comments are those of the specification's syntax tables.
 */
#include "carousel/oc_biop.h"

#include <string.h>

/* 13818-6 11.3: objectKey_length is 8 bits; we always use 4 bytes,
 * TR 101 202 4.7.3 recommends keys of at most 4 bytes. */
#define KEY_LEN 4u

/* Fixed part of a BIOP message: magic(4) version(2) byte_order(1)
 * message_type(1) message_size(4). */
#define MSG_HDR 12u
/* objectKey_length(1)+key(4) objectKind_length(4)+kind(4)
 * objectInfo_length(2) serviceContextList_count(1) messageBody_length(4) */
#define MSG_SUBHDR (1u + KEY_LEN + 4u + 4u + 2u + 1u + 4u)

/* IOR: type_id_length(4)+type_id(4) taggedProfiles_count(4)
 * profileId_tag(4) profile_data_length(4) then the profile body:
 * byte_order(1) liteComponents_count(1)
 * ObjectLocation: tag(4) len(1) carouselId(4) moduleId(2) version(2)
 *                 objectKey_length(1) key(4)            = 5 + 13
 * ConnBinder:     tag(4) len(1) taps_count(1) id(2) use(2) assoc(2)
 *                 selector_length(1) selector_type(2) transactionId(4)
 *                 timeout(4)                            = 5 + 18 */
#define OBJLOC_LEN   (4u + 2u + 2u + 1u + KEY_LEN)
#define CONNBIND_LEN (1u + 2u + 2u + 2u + 1u + 10u)
#define PROFILE_LEN  (2u + 5u + OBJLOC_LEN + 5u + CONNBIND_LEN)
#define IOR_LEN      (4u + 4u + 4u + 4u + 4u + PROFILE_LEN)

const char *oc_kind_alias(oc_kind k)
{
    switch (k) {
    case OC_KIND_FILE:
        return "fil";
    case OC_KIND_DIR:
        return "dir";
    case OC_KIND_SRG:
        return "srg";
    }
    return "fil";
}

oc_err oc_writer_room(const dvb_writer *w, size_t n)
{
    if (w->failed)
        return OC_ENOMEM;
    return n > w->max - w->len ? OC_ELIMIT : OC_OK;
}

oc_err oc_writer_status(const dvb_writer *w)
{
    return w->failed ? OC_ENOMEM : OC_OK;
}

oc_err oc_biop_write_ior(dvb_writer *w, oc_kind k, const oc_objref *ref)
{
    oc_err e = oc_writer_room(w, IOR_LEN);
    if (e)
        return e;
    /* IOP::IOR: type_id is the object kind alias, NUL included. */
    dvb_write_u32(w, 4);
    dvb_write_bytes(w, oc_kind_alias(k), 4);
    dvb_write_u32(w, 1);                        /* taggedProfiles_count */
    /* BIOP::Profile body (TAG_BIOP) */
    dvb_write_u32(w, OC_TAG_BIOP);
    dvb_write_u32(w, PROFILE_LEN);              /* profile_data_length */
    dvb_write_u8(w, 0x00);                      /* profile_data_byte_order: big-endian */
    dvb_write_u8(w, 2);                         /* liteComponents_count */
    /* BIOP::ObjectLocation */
    dvb_write_u32(w, OC_TAG_OBJECTLOCATION);
    dvb_write_u8(w, OBJLOC_LEN);                /* component_data_length */
    dvb_write_u32(w, ref->carouselId);
    dvb_write_u16(w, ref->moduleId);
    dvb_write_u8(w, 0x01);                      /* version.major */
    dvb_write_u8(w, 0x00);                      /* version.minor */
    dvb_write_u8(w, KEY_LEN);                   /* objectKey_length */
    dvb_write_u32(w, ref->objectKey);
    /* DSM::ConnBinder with one BIOP::Tap */
    dvb_write_u32(w, OC_TAG_CONNBINDER);
    dvb_write_u8(w, CONNBIND_LEN);              /* component_data_length */
    dvb_write_u8(w, 1);                         /* taps_count */
    dvb_write_u16(w, 0x0000);                   /* id: unused in carousels */
    dvb_write_u16(w, OC_BIOP_DELIVERY_PARA_USE);
    dvb_write_u16(w, ref->association_tag);
    dvb_write_u8(w, 10);                        /* selector_length */
    dvb_write_u16(w, 0x0001);                   /* selector_type: MessageSelector */
    dvb_write_u32(w, ref->transactionId);
    dvb_write_u32(w, ref->timeout);
    return oc_writer_status(w);
}

/* The common BIOP::MessageHeader and object header; the caller writes the
 * messageBody of body_len bytes right after. */
static void write_header(dvb_writer *w, oc_kind k, uint32_t key,
                         const uint8_t *info, uint16_t info_len,
                         uint32_t body_len)
{
    dvb_write_bytes(w, "BIOP", 4);              /* magic */
    dvb_write_u8(w, 0x01);                      /* biop_version.major */
    dvb_write_u8(w, 0x00);                      /* biop_version.minor */
    dvb_write_u8(w, 0x00);                      /* byte_order: big-endian */
    dvb_write_u8(w, 0x00);                      /* message_type */
    /* message_size counts everything after itself. */
    dvb_write_u32(w, MSG_SUBHDR + info_len + body_len);
    dvb_write_u8(w, KEY_LEN);
    dvb_write_u32(w, key);
    dvb_write_u32(w, 4);                        /* objectKind_length */
    dvb_write_bytes(w, oc_kind_alias(k), 4);
    dvb_write_u16(w, info_len);
    if (info_len)
        dvb_write_bytes(w, info, info_len);
    dvb_write_u8(w, 0);                         /* serviceContextList_count */
    dvb_write_u32(w, body_len);                 /* messageBody_length */
}

size_t oc_biop_file_size(size_t len)
{
    return MSG_HDR + MSG_SUBHDR + 8u + 4u + len;
}

oc_err oc_biop_write_file(dvb_writer *w, uint32_t objectKey,
                          const uint8_t *data, size_t len)
{
    /* content_length is 32 bits and the message must fit message_size. */
    if (len > UINT32_MAX - (MSG_SUBHDR + 8u + 4u))
        return OC_ELIMIT;
    oc_err e = oc_writer_room(w, oc_biop_file_size(len));
    if (e)
        return e;
    uint8_t info[8];
    uint64_t sz = len;
    for (int i = 0; i < 8; i++)
        info[i] = (uint8_t)(sz >> (56 - 8 * i));   /* ContentSize */
    write_header(w, OC_KIND_FILE, objectKey, info, 8, 4u + (uint32_t)len);
    dvb_write_u32(w, (uint32_t)len);            /* content_length */
    if (len)
        dvb_write_bytes(w, data, len);
    return oc_writer_status(w);
}

static size_t binding_size(const oc_binding *b)
{
    size_t idl = strlen(b->name) + 1;
    size_t info = b->kind == OC_KIND_FILE ? 8u : 0u;
    /* nameComponents_count(1) id_length(1) id kind_length(1) kind(4)
     * bindingType(1) IOR objectInfo_length(2) objectInfo */
    return 1u + 1u + idl + 1u + 4u + 1u + IOR_LEN + 2u + info;
}

size_t oc_biop_dir_size(const oc_binding *b, size_t n)
{
    size_t body = 2;                            /* bindings_count */
    for (size_t i = 0; i < n; i++)
        body += binding_size(&b[i]);
    return MSG_HDR + MSG_SUBHDR + body;
}

oc_err oc_biop_write_dir(dvb_writer *w, oc_kind k, uint32_t objectKey,
                         const oc_binding *b, size_t n)
{
    if (k == OC_KIND_FILE || n > UINT16_MAX)
        return OC_EINVAL;
    size_t body = oc_biop_dir_size(b, n) - MSG_HDR - MSG_SUBHDR;
    if (body > UINT32_MAX - MSG_SUBHDR)
        return OC_ELIMIT;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(b[i].name);
        if (nl == 0 || nl > 254)
            return OC_ENAME;
    }
    oc_err room_err = oc_writer_room(w, oc_biop_dir_size(b, n));
    if (room_err)
        return room_err;
    write_header(w, k, objectKey, NULL, 0, (uint32_t)body);
    dvb_write_u16(w, (uint16_t)n);              /* bindings_count */
    for (size_t i = 0; i < n; i++) {
        const oc_binding *e = &b[i];
        size_t idl = strlen(e->name) + 1;
        int is_dir = e->kind != OC_KIND_FILE;
        dvb_write_u8(w, 1);                     /* nameComponents_count */
        dvb_write_u8(w, (uint8_t)idl);          /* id_length, NUL included */
        dvb_write_bytes(w, e->name, idl);
        dvb_write_u8(w, 4);                     /* kind_length */
        dvb_write_bytes(w, is_dir ? "dir" : "fil", 4);
        /* bindingType: nobject for leaves, ncontext for naming contexts
         * (13818-6 11.3, TR 101 202 4.7.3). */
        dvb_write_u8(w, is_dir ? 0x02 : 0x01);
        oc_err err = oc_biop_write_ior(w, e->kind, &e->ref);
        if (err)
            return err;
        if (is_dir) {
            dvb_write_u16(w, 0);                /* objectInfo_length */
        } else {
            /* A file binding's objectInfo starts with its ContentSize
             * (TR 101 202 4.7.3), letting a receiver size a file
             * before its module arrives. */
            dvb_write_u16(w, 8);
            dvb_write_u64(w, e->content_size);
        }
    }
    return oc_writer_status(w);
}
