/*
 * BIOP encoding: the objects of an object carousel and the references
 * between them.
 *
 * An object carousel (ISO/IEC 13818-6 clause 11, EN 301 192 clause 10,
 * TR 101 202 clause 4.7) is a file system sent round and round.  Each file
 * or directory is one BIOP message (13818-6 11.3, TR 101 202 4.7.3):
 *
 *   "BIOP" 1.0, byte_order 0 (big-endian), message_type 0, message_size
 *   objectKey (here always 4 bytes)
 *   objectKind: "fil\0", "dir\0" or "srg\0" (the short aliases of
 *               TR 101 202 4.7.3, which ES 202 184 receivers expect)
 *   objectInfo: for a file the 8-byte ContentSize; empty otherwise
 *   serviceContextList (empty)
 *   messageBody: for a file content_length + bytes; for a directory or
 *                ServiceGateway a list of bindings
 *
 * A binding names a child and holds its Interoperable Object Reference
 * (IOR, 13818-6 11.3 / TR 101 202 4.7.3): type_id (the child's kind),
 * one TAG_BIOP profile whose two lite components say where the object is:
 *   BIOP::ObjectLocation: carouselId, moduleId, version 1.0, objectKey
 *   DSM::ConnBinder: one BIOP_DELIVERY_PARA_USE tap whose selector names
 *                    the DII (by transactionId) that lists the module.
 *
 * Messages are appended to a dvb_writer; a writer that fails (memory or
 * its ceiling) makes the function return OC_ENOMEM/OC_ELIMIT.
 */
#ifndef OC_BIOP_H
#define OC_BIOP_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"
#include "dvb/dvb_bytes.h"

/* Profile and component tags, 13818-6 11.3 / TR 101 202 4.7.3. */
#define OC_TAG_BIOP           0x49534F06u
#define OC_TAG_OBJECTLOCATION 0x49534F50u
#define OC_TAG_CONNBINDER     0x49534F40u
/* Tap uses, 13818-6 table 11-3 (and TR 101 202 table 4.5). */
#define OC_BIOP_DELIVERY_PARA_USE 0x0016u
#define OC_BIOP_OBJECT_USE        0x0017u

typedef enum {
    OC_KIND_FILE,          /* "fil" */
    OC_KIND_DIR,           /* "dir" */
    OC_KIND_SRG            /* "srg": the ServiceGateway, the root */
} oc_kind;

/* The 4-byte alias of a kind, NUL included ("fil\0"). */
const char *oc_kind_alias(oc_kind k);

/* Where an object is, for its IOR. */
typedef struct {
    uint32_t carouselId;
    uint16_t moduleId;
    uint32_t objectKey;          /* written as a 4-byte objectKey */
    uint16_t association_tag;    /* the carousel's component tag */
    uint32_t transactionId;      /* of the DII that lists the module */
    uint32_t timeout;            /* ConnBinder tap timeout, microseconds */
} oc_objref;

/* One entry of a directory: the child's name, kind and reference.
 * content_size is the file's size (for the binding's objectInfo). */
typedef struct {
    const char *name;
    oc_kind kind;
    uint64_t content_size;
    oc_objref ref;
} oc_binding;

/* IOP::IOR of an object of kind k. */
oc_err oc_biop_write_ior(dvb_writer *w, oc_kind k, const oc_objref *ref);

/* BIOP::FileMessage. */
oc_err oc_biop_write_file(dvb_writer *w, uint32_t objectKey,
                          const uint8_t *data, size_t len);

/* BIOP::DirectoryMessage (k == OC_KIND_DIR) or BIOP::ServiceGatewayMessage
 * (k == OC_KIND_SRG).  Bindings are written in the order given. */
oc_err oc_biop_write_dir(dvb_writer *w, oc_kind k, uint32_t objectKey,
                         const oc_binding *b, size_t n);

/* For the writers of liboc (BIOP here, DSM-CC messages in oc_dsmcc.c):
 * OC_ELIMIT when n more bytes would pass w's ceiling, OC_ENOMEM when w
 * has already failed.  Each writer checks its ceiling before writing, so
 * a writer failing afterwards can only mean realloc failed, which
 * oc_writer_status reports. */
oc_err oc_writer_room(const dvb_writer *w, size_t n);
oc_err oc_writer_status(const dvb_writer *w);

/* Size of a directory message without writing it, for module packing. */
size_t oc_biop_dir_size(const oc_binding *b, size_t n);
/* Size of a file message. */
size_t oc_biop_file_size(size_t len);

#endif
