/*
 * BIOP, the Broadcast Inter-ORB Protocol of object carousels
 * (ISO/IEC 13818-6 clause 11; profiled by TR 101 202 4.7.3 and
 * EN 301 192 clause 8): Interoperable Object References and the messages
 * that carry directories, files and streams inside modules.
 *
 * Everything decoded here borrows from the caller's bytes: keys, names
 * and file contents point into the buffer that was parsed, which must
 * outlive the decoded structures.  Only a directory's binding array is
 * allocated (free it with dvb_biop_object_clear()).
 */
#ifndef DVB_BIOP_H
#define DVB_BIOP_H

#include "dvb/dvb_bytes.h"
#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 13818-6 11.3.1 / TR 101 202 table 4.5: profile and component tags */
#define DVB_TAG_BIOP            0x49534F06u
#define DVB_TAG_LITE_OPTIONS    0x49534F05u
#define DVB_TAG_OBJECT_LOCATION 0x49534F50u
#define DVB_TAG_CONN_BINDER     0x49534F40u
/* TR 101 202 table 4.3: tap uses */
#define DVB_STR_NPT_USE              0x000Bu
#define DVB_STR_STATUS_AND_EVENT_USE 0x000Cu
#define DVB_STR_EVENT_USE            0x000Du
#define DVB_STR_STATUS_USE           0x000Eu
#define DVB_BIOP_DELIVERY_PARA_USE   0x0016u
#define DVB_BIOP_OBJECT_USE          0x0017u
#define DVB_BIOP_ES_USE              0x0018u
#define DVB_BIOP_PROGRAM_USE         0x0019u

/* A DSM::Tap (13818-6 11.3.1.2); selector decoded when it is the
 * MessageSelector of TR 101 202 4.7.3.3 (selector_type 0x0001). */
typedef struct {
    uint16_t id;
    uint16_t use;
    uint16_t association_tag;
    bool has_selector;
    uint32_t transactionId;
    uint32_t timeout;
} dvb_tap;

/* Decodes one tap from r (id, use, association_tag, selector). */
dvb_err dvb_tap_parse(dvb_reader *r, dvb_tap *out);

typedef enum {
    DVB_BIOP_UNKNOWN = 0,
    DVB_BIOP_SRG,        /* ServiceGateway */
    DVB_BIOP_DIR,        /* Directory */
    DVB_BIOP_FIL,        /* File */
    DVB_BIOP_STR,        /* Stream */
    DVB_BIOP_STE         /* StreamEvent */
} dvb_biop_kind;

/* Maps "dir", "dir\0", "DSM::Directory" etc. to a kind. */
dvb_biop_kind dvb_biop_kind_from(const uint8_t *s, size_t len);
const char *dvb_biop_kind_name(dvb_biop_kind k);

/* An IOR (13818-6 11.3.1, TR 101 202 4.7.3.2) reduced to what a
 * receiver needs: where the object is (BIOP::ObjectLocation) and how to
 * reach its module (the first tap of DSM::ConnBinder). */
typedef struct {
    dvb_biop_kind kind;          /* from type_id */
    bool has_location;
    uint32_t carouselId;
    uint16_t moduleId;
    uint8_t version_major, version_minor;
    const uint8_t *objectKey;    /* borrowed */
    uint8_t objectKey_length;
    bool has_tap;
    dvb_tap tap;                 /* BIOP_DELIVERY_PARA_USE normally */
} dvb_ior;

/* Decodes an IOR at r's position.  An IOR without a BIOP profile (say,
 * one that points to another carousel via a LITE_OPTIONS profile) parses
 * fine with has_location false. */
dvb_err dvb_ior_parse(dvb_reader *r, dvb_ior *out);

/* One binding of a directory (13818-6 11.3.2.3). */
typedef struct {
    const uint8_t *name;         /* id, borrowed, trailing NUL removed */
    size_t name_len;
    dvb_biop_kind kind;          /* the name's kind field */
    uint8_t bindingType;         /* 1 nobject, 2 ncontext */
    uint8_t nameComponents_count;
    dvb_ior ior;
} dvb_biop_binding;

/* What a Stream or StreamEvent object says (13818-6 11.3.2.5-6,
 * TR 101 202 4.7.3.6-7): DSM::Stream::Info_T in objectInfo, taps to the
 * elementary streams in the body, and for stream events the event names
 * (objectInfo) and their eventIds (body). */
#define DVB_BIOP_MAX_STREAM_TAPS 16
typedef struct {
    const uint8_t *description;  /* aDescription, borrowed, not NUL-ended */
    uint8_t description_length;
    int32_t duration_aSeconds;
    uint32_t duration_aMicroSeconds;
    uint8_t audio, video, data;
    uint8_t taps_count;          /* as sent; taps[] keeps the first 16 */
    dvb_tap taps[DVB_BIOP_MAX_STREAM_TAPS];
    uint16_t eventNames_count;
    const uint8_t **eventName;   /* allocated array of borrowed names */
    uint8_t *eventName_length;   /* allocated, eventNames_count entries */
    uint8_t eventIds_count;
    const uint8_t *eventIds;     /* borrowed, 2 bytes each, big-endian */
} dvb_biop_stream;

typedef struct {
    dvb_biop_kind kind;
    const uint8_t *objectKey;    /* borrowed */
    uint8_t objectKey_length;
    /* Stream / StreamEvent. */
    dvb_biop_stream stream;
    /* File: the content. */
    const uint8_t *content;
    size_t content_length;
    /* Directory / ServiceGateway: bindings, allocated. */
    dvb_biop_binding *bindings;
    size_t bindings_count;
} dvb_biop_object;

/* Decodes one BIOP message from the start of p (13818-6 11.3.2,
 * TR 101 202 4.7.3.1) and sets *used to its total length.  Unknown kinds
 * decode with kind set and no body (they can be skipped by *used).  On
 * error nothing is allocated, and *used is still the message's length
 * when its header and message_size were sound (the caller may skip a
 * damaged object and go on), or 0 when the message cannot be framed. */
dvb_err dvb_biop_message_parse(const uint8_t *p, size_t len, size_t *used,
                               dvb_biop_object *obj);
void dvb_biop_object_clear(dvb_biop_object *obj);

#endif
