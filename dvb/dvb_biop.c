/*
 * BIOP decoding (ISO/IEC 13818-6 clause 11, ETSI TR 101 202 4.7.3).
 *
 * A module of an object carousel is a sequence of BIOP messages, one per
 * object.  Each message is:
 *
 *   magic "BIOP", biop_version 1.0, byte_order 0 (big endian),
 *   message_type 0, message_size(32)
 *   objectKey_length(8) objectKey          -- unique within the module
 *   objectKind_length(32) objectKind       -- "srg", "dir", "fil", "str", "ste"
 *   objectInfo_length(16) objectInfo
 *   serviceContextList_count(8) { context_id(32) length(16) data }
 *   messageBody_length(32) messageBody
 *
 * A directory (and the ServiceGateway, the root directory) lists
 * bindings: a name, a binding type and an IOR.  The IOR's BIOP profile
 * (TAG_BIOP) holds a BIOP::ObjectLocation (carouselId, moduleId,
 * objectKey: where the object's message is) and a DSM::ConnBinder whose
 * tap names the DII that announces that module (its transactionId) and
 * the elementary stream (association_tag) that carries it.
 *
 * Every count here comes from the air, so every loop also stops when the
 * reader runs out: a count of 4 billion over 10 bytes costs 10 steps.
 */
#include "dvb/dvb_biop.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    dvb_biop_kind kind;
} kinds[] = {
    /* TR 101 202 table 4.4: the short forms DVB uses; the long CORBA type
     * ids of 13818-6 11.3.1 are accepted for other profiles. */
    { "srg", DVB_BIOP_SRG }, { "DSM::ServiceGateway", DVB_BIOP_SRG },
    { "dir", DVB_BIOP_DIR }, { "DSM::Directory", DVB_BIOP_DIR },
    { "fil", DVB_BIOP_FIL }, { "DSM::File", DVB_BIOP_FIL },
    { "str", DVB_BIOP_STR }, { "DSM::Stream", DVB_BIOP_STR },
    { "ste", DVB_BIOP_STE }, { "BIOP::StreamEvent", DVB_BIOP_STE },
};

dvb_biop_kind dvb_biop_kind_from(const uint8_t *s, size_t len)
{
    /* The kind is a NUL-terminated string in 4 bytes, but some playout
     * systems omit the NUL or pad further; compare up to the first NUL. */
    size_t n = 0;
    while (n < len && s[n])
        n++;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].name) == n && !memcmp(kinds[i].name, s, n))
            return kinds[i].kind;
    return DVB_BIOP_UNKNOWN;
}

const char *dvb_biop_kind_name(dvb_biop_kind k)
{
    switch (k) {
    case DVB_BIOP_UNKNOWN: return "?";
    case DVB_BIOP_SRG:     return "srg";
    case DVB_BIOP_DIR:     return "dir";
    case DVB_BIOP_FIL:     return "fil";
    case DVB_BIOP_STR:     return "str";
    case DVB_BIOP_STE:     return "ste";
    }
    return "?";
}

dvb_err dvb_tap_parse(dvb_reader *r, dvb_tap *out)
{
    memset(out, 0, sizeof *out);
    out->id = dvb_read_u16(r);
    out->use = dvb_read_u16(r);
    out->association_tag = dvb_read_u16(r);
    uint8_t sel_len = dvb_read_u8(r);
    dvb_reader s = dvb_read_sub(r, sel_len);
    if (r->failed)
        return DVB_ETRUNC;
    /* TR 101 202 4.7.3.3: BIOP_DELIVERY_PARA_USE taps carry a
     * MessageSelector (selector_type 1, transactionId, timeout). */
    if (sel_len >= 10 && dvb_read_u16(&s) == 0x0001) {
        out->has_selector = true;
        out->transactionId = dvb_read_u32(&s);
        out->timeout = dvb_read_u32(&s);
    }
    return DVB_OK;
}

static dvb_err object_location(dvb_reader *c, dvb_ior *out)
{
    out->carouselId = dvb_read_u32(c);
    out->moduleId = dvb_read_u16(c);
    out->version_major = dvb_read_u8(c);
    out->version_minor = dvb_read_u8(c);
    out->objectKey_length = dvb_read_u8(c);
    out->objectKey = dvb_read_bytes(c, out->objectKey_length);
    if (c->failed)
        return DVB_ETRUNC;
    out->has_location = true;
    return DVB_OK;
}

static dvb_err conn_binder(dvb_reader *c, dvb_ior *out)
{
    uint8_t n = dvb_read_u8(c);
    for (unsigned i = 0; i < n; i++) {
        dvb_tap t;
        dvb_err e = dvb_tap_parse(c, &t);
        if (e)
            return e;
        /* The first tap is the delivery tap (TR 101 202 4.7.3.3); prefer
         * one that says so if a playout system put others first. */
        if (!out->has_tap || (t.use == DVB_BIOP_DELIVERY_PARA_USE &&
                              out->tap.use != DVB_BIOP_DELIVERY_PARA_USE)) {
            out->tap = t;
            out->has_tap = true;
        }
    }
    return c->failed ? DVB_ETRUNC : DVB_OK;
}

static dvb_err biop_profile(dvb_reader *p, dvb_ior *out)
{
    uint8_t byte_order = dvb_read_u8(p);
    uint8_t count = dvb_read_u8(p);
    if (p->failed)
        return DVB_ETRUNC;
    if (byte_order != 0)
        return DVB_ESYNTAX;    /* DVB uses big-endian only (TR 101 202) */
    for (unsigned i = 0; i < count; i++) {
        uint32_t tag = dvb_read_u32(p);
        uint8_t len = dvb_read_u8(p);
        dvb_reader c = dvb_read_sub(p, len);
        if (p->failed)
            return DVB_ETRUNC;
        dvb_err e = DVB_OK;
        if (tag == DVB_TAG_OBJECT_LOCATION && !out->has_location)
            e = object_location(&c, out);
        else if (tag == DVB_TAG_CONN_BINDER && !out->has_tap)
            e = conn_binder(&c, out);
        if (e)
            return e;
    }
    return DVB_OK;
}

dvb_err dvb_ior_parse(dvb_reader *r, dvb_ior *out)
{
    memset(out, 0, sizeof *out);
    uint32_t type_len = dvb_read_u32(r);
    if (type_len > dvb_reader_left(r))
        return DVB_ETRUNC;
    const uint8_t *type_id = dvb_read_bytes(r, type_len);
    out->kind = type_len ? dvb_biop_kind_from(type_id, type_len)
                         : DVB_BIOP_UNKNOWN;
    uint32_t profiles = dvb_read_u32(r);
    if (r->failed)
        return DVB_ETRUNC;
    for (uint32_t i = 0; i < profiles; i++) {
        uint32_t tag = dvb_read_u32(r);
        uint32_t len = dvb_read_u32(r);
        if (r->failed || len > dvb_reader_left(r))
            return DVB_ETRUNC;
        dvb_reader p = dvb_read_sub(r, len);
        if (tag == DVB_TAG_BIOP && !out->has_location) {
            dvb_err e = biop_profile(&p, out);
            if (e)
                return e;
        }
        /* TAG_LITE_OPTIONS (objects in other carousels) and unknown
         * profiles are skipped by their length. */
    }
    return r->failed ? DVB_ETRUNC : DVB_OK;
}

void dvb_biop_object_clear(dvb_biop_object *obj)
{
    if (!obj)
        return;
    free(obj->bindings);
    free(obj->stream.eventName);
    free(obj->stream.eventName_length);
    memset(obj, 0, sizeof *obj);
}

/* 13818-6 11.3.2.3: Directory and ServiceGateway message bodies. */
static dvb_err dir_body(dvb_reader *b, dvb_biop_object *obj)
{
    uint16_t count = dvb_read_u16(b);
    if (b->failed)
        return DVB_ETRUNC;
    /* Smallest binding: nameComponents_count, bindingType, an IOR with an
     * empty type_id and no profiles, objectInfo_length: 12 bytes.  Check
     * before allocating so a lying count cannot cost memory. */
    if ((size_t)count * 12u > dvb_reader_left(b))
        return DVB_ETRUNC;
    if (count == 0)
        return DVB_OK;
    dvb_biop_binding *bs = calloc(count, sizeof *bs);
    if (!bs)
        return DVB_ENOMEM;
    dvb_err e = DVB_OK;
    for (unsigned i = 0; i < count && !e; i++) {
        dvb_biop_binding *bd = &bs[i];
        bd->nameComponents_count = dvb_read_u8(b);
        for (unsigned k = 0; k < bd->nameComponents_count; k++) {
            uint8_t id_len = dvb_read_u8(b);
            const uint8_t *id = dvb_read_bytes(b, id_len);
            uint8_t kind_len = dvb_read_u8(b);
            const uint8_t *kind = dvb_read_bytes(b, kind_len);
            if (b->failed)
                break;
            if (k == 0) {
                /* id_length counts the terminating NUL (TR 101 202
                 * 4.7.3.4); tolerate names sent without it. */
                if (id_len && id[id_len - 1] == 0)
                    id_len--;
                bd->name = id;
                bd->name_len = id_len;
                bd->kind = kind_len ? dvb_biop_kind_from(kind, kind_len)
                                    : DVB_BIOP_UNKNOWN;
            }
        }
        bd->bindingType = dvb_read_u8(b);
        if (b->failed) {
            e = DVB_ETRUNC;
            break;
        }
        e = dvb_ior_parse(b, &bd->ior);
        uint16_t info_len = dvb_read_u16(b);
        if (!e && !dvb_skip(b, info_len))
            e = DVB_ETRUNC;
        if (!e && b->failed)
            e = DVB_ETRUNC;
    }
    if (e) {
        free(bs);
        return e;
    }
    obj->bindings = bs;
    obj->bindings_count = count;
    return DVB_OK;
}

/* 13818-6 11.3.2.5 BIOP::StreamMessage and 11.3.2.6
 * BIOP::StreamEventMessage, TR 101 202 4.7.3.6-7.
 *   objectInfo: DSM::Stream::Info_T { aDescription_length(8) bytes,
 *     duration { aSeconds(32, signed) aMicroSeconds(32) }, audio(8),
 *     video(8), data(8) }; for "ste" then DSM::Event::EventList_T
 *     { eventNames_count(16) { eventName_length(8) bytes } }; the rest is
 *     descriptors, skipped.
 *   body: taps_count(8) { Tap }; for "ste" then eventIds_count(8)
 *     { eventId(16) }. */
static dvb_err stream_body(dvb_reader *info, dvb_reader *b, bool events,
                           dvb_biop_stream *st)
{
    st->description_length = dvb_read_u8(info);
    st->description = dvb_read_bytes(info, st->description_length);
    st->duration_aSeconds = (int32_t)dvb_read_u32(info);
    st->duration_aMicroSeconds = dvb_read_u32(info);
    st->audio = dvb_read_u8(info);
    st->video = dvb_read_u8(info);
    st->data = dvb_read_u8(info);
    if (info->failed)
        return DVB_ETRUNC;
    if (events) {
        uint16_t n = dvb_read_u16(info);
        /* At least one byte per name: check before allocating. */
        if (info->failed || n > dvb_reader_left(info))
            return DVB_ETRUNC;
        if (n) {
            st->eventName = calloc(n, sizeof *st->eventName);
            st->eventName_length = calloc(n, 1);
            if (!st->eventName || !st->eventName_length)
                return DVB_ENOMEM;
        }
        st->eventNames_count = n;
        for (unsigned i = 0; i < n; i++) {
            uint8_t l = dvb_read_u8(info);
            const uint8_t *name = dvb_read_bytes(info, l);
            if (info->failed)
                return DVB_ETRUNC;
            /* Names are sent with their NUL (TR 101 202 4.7.3.7). */
            if (l && name[l - 1] == 0)
                l--;
            st->eventName[i] = name;
            st->eventName_length[i] = l;
        }
    }
    st->taps_count = dvb_read_u8(b);
    for (unsigned i = 0; i < st->taps_count && !b->failed; i++) {
        dvb_tap t;
        if (dvb_tap_parse(b, &t))
            return DVB_ETRUNC;
        if (i < DVB_BIOP_MAX_STREAM_TAPS)
            st->taps[i] = t;
    }
    if (events) {
        st->eventIds_count = dvb_read_u8(b);
        st->eventIds = dvb_read_bytes(b, 2u * st->eventIds_count);
    }
    return b->failed ? DVB_ETRUNC : DVB_OK;
}

dvb_err dvb_biop_message_parse(const uint8_t *p, size_t len, size_t *used,
                               dvb_biop_object *obj)
{
    memset(obj, 0, sizeof *obj);
    if (used)
        *used = 0;
    dvb_reader r = dvb_reader_init(p, len);
    const uint8_t *magic = dvb_read_bytes(&r, 4);
    uint8_t major = dvb_read_u8(&r);
    uint8_t minor = dvb_read_u8(&r);
    uint8_t byte_order = dvb_read_u8(&r);
    uint8_t message_type = dvb_read_u8(&r);
    uint32_t message_size = dvb_read_u32(&r);
    if (r.failed)
        return DVB_ETRUNC;
    if (memcmp(magic, "BIOP", 4) || major != 1 || minor != 0 ||
        byte_order != 0 || message_type != 0)
        return DVB_ESYNTAX;
    if (message_size > dvb_reader_left(&r))
        return DVB_ETRUNC;
    dvb_reader m = dvb_read_sub(&r, message_size);
    /* Framed: a damaged body can now be skipped by its size. */
    if (used)
        *used = 12u + (size_t)message_size;

    obj->objectKey_length = dvb_read_u8(&m);
    obj->objectKey = dvb_read_bytes(&m, obj->objectKey_length);
    uint32_t kind_len = dvb_read_u32(&m);
    if (m.failed || kind_len > dvb_reader_left(&m))
        return DVB_ETRUNC;
    const uint8_t *kind = dvb_read_bytes(&m, kind_len);
    obj->kind = kind_len ? dvb_biop_kind_from(kind, kind_len)
                         : DVB_BIOP_UNKNOWN;
    uint16_t info_len = dvb_read_u16(&m);
    dvb_reader info = dvb_read_sub(&m, info_len);
    uint8_t contexts = dvb_read_u8(&m);
    for (unsigned i = 0; i < contexts && !m.failed; i++) {
        dvb_read_u32(&m);                       /* context_id */
        dvb_skip(&m, dvb_read_u16(&m));         /* context_data */
    }
    uint32_t body_len = dvb_read_u32(&m);
    if (m.failed || body_len > dvb_reader_left(&m))
        return DVB_ETRUNC;
    dvb_reader b = dvb_read_sub(&m, body_len);

    dvb_err e = DVB_OK;
    switch (obj->kind) {
    case DVB_BIOP_FIL: {
        /* 13818-6 11.3.2.4 / TR 101 202 4.7.3.5 */
        uint32_t clen = dvb_read_u32(&b);
        if (b.failed || clen > dvb_reader_left(&b))
            return DVB_ETRUNC;
        obj->content = dvb_read_bytes(&b, clen);
        obj->content_length = clen;
        break;
    }
    case DVB_BIOP_SRG:
    case DVB_BIOP_DIR:
        e = dir_body(&b, obj);
        break;
    case DVB_BIOP_STR:
    case DVB_BIOP_STE:
        e = stream_body(&info, &b, obj->kind == DVB_BIOP_STE, &obj->stream);
        break;
    case DVB_BIOP_UNKNOWN:
        /* Unknown kinds are skipped as 13818-6 11.3.2 allows. */
        break;
    }
    if (e) {
        dvb_biop_object_clear(obj);
        return e;
    }
    return DVB_OK;
}
