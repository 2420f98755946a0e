/*
 * libFuzzer target: bytes as the content of a module, decoded as BIOP
 * messages and resolved into a tree from a gateway at key 1 of module 1
 * (as a receiver does with a complete module).  Also feeds the same
 * bytes to the DSM-CC message parsers.
 */
#include "dvb/dvb_biop.h"
#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_internal.h"
#include "dvb/dvb_tree.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Messages one after another, as in a module. */
    size_t off = 0;
    while (off < size) {
        dvb_biop_object o;
        size_t used;
        if (dvb_biop_message_parse(data + off, size - off, &used, &o))
            break;
        dvb_biop_object_clear(&o);
        off += used;
    }

    /* The tree over the bytes as module 1 (and module 2, same bytes). */
    dvb_blob *b = dvb_blob_new(size);
    if (!b)
        return 0;
    if (size)
        memcpy(b->data, data, size);
    dvb_tree_module mods[2] = { { 1, b }, { 2, b } };
    uint8_t key = 1;
    dvb_ior gw;
    memset(&gw, 0, sizeof gw);
    gw.has_location = true;
    gw.moduleId = 1;
    gw.objectKey = &key;
    gw.objectKey_length = 1;
    gw.carouselId = size ? data[0] : 0;
    dvb_store *s = NULL;
    if (dvb_tree_build(mods, 2, NULL, 0, &gw, 1, size > 1 && (data[1] & 1), NULL, &s, NULL) == DVB_OK)
        dvb_store_release(s);
    dvb_blob_release(b);

    /* And as a DSM-CC message. */
    dvb_dsmcc_msg m;
    if (dvb_dsmcc_msg_parse(data, size, &m) == DVB_OK) {
        dvb_dsi dsi;
        dvb_dii dii;
        dvb_ddb ddb;
        dvb_dsi_parse(&m, &dsi);
        if (dvb_dii_parse(&m, &dii) == DVB_OK)
            dvb_dii_clear(&dii);
        dvb_ddb_parse(&m, &ddb);
    }
    dvb_ior ior;
    dvb_reader r = dvb_reader_init(data, size);
    dvb_ior_parse(&r, &ior);
    return 0;
}
