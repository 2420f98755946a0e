/*
 * From decoded modules to a directory tree (TR 101 202 4.7.3-4.7.4):
 * parse the BIOP messages of every module, then follow bindings from the
 * ServiceGateway named by the DSI's IOR.
 */
#ifndef DVB_TREE_H
#define DVB_TREE_H

#include "dvb/dvb_biop.h"
#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint16_t moduleId;
    dvb_blob *blob;              /* decompressed content; NULL: incomplete */
} dvb_tree_module;

/* Builds a sealed store holding references to the blobs it uses.
 * Returns DVB_ENOTYET when the tree needs a module that is listed but
 * incomplete, DVB_ENOENT when the ServiceGateway's module or object is
 * absent, DVB_ENOMEM.  Damaged objects, dangling references, loops and
 * duplicate names are skipped with a warning (a partial tree beats none).
 * *skipped counts them (may be NULL).
 *
 * partial: build a partial view instead (dvb_store_set_partial): what
 * resolves now is added, bindings into modules not complete (or not
 * listed by any DII in hand) become pending entries, and the result is
 * DVB_OK even when the gateway itself has not arrived (an empty view).
 *
 * dii_tids: the transactionIds of the DIIs in hand, or NULL to treat
 * every DII as in hand (unlisted modules are then simply absent).  A
 * reference into a module no DII lists, whose ConnBinder tap names (by
 * the identification bits of its selector's transactionId, TR 101 202
 * 4.7.3.3 and table 4.2) a DII that is not in hand, is "not yet" rather
 * than dangling: a carousel with several DIIs is never published before
 * all of them are in. */
dvb_err dvb_tree_build(const dvb_tree_module *mods, size_t nmods,
                       const uint32_t *dii_tids, size_t ndii,
                       const dvb_ior *gateway, uint32_t version,
                       bool partial, const dvb_logger *log, dvb_store **out,
                       unsigned *skipped);

#endif
