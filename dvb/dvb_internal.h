/*
 * Pieces shared by the files of dvb/ and by nobody else: the logger every
 * object carries (no global log state), and the reference-counted byte
 * blob that holds one decompressed module.
 *
 * Modules are the unit of sharing between object stores: a file in a store
 * points into the blob of the module that carried it, and a store keeps a
 * reference to each blob it uses.  When a DII update leaves a module's
 * version unchanged, the next store reuses the same blob, so an update
 * costs only the modules that really changed (TR 101 202 4.7.6 on
 * version-based caching).
 */
#ifndef DVB_INTERNAL_H
#define DVB_INTERNAL_H

#include "dvb/dvb.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    void (*fn)(void *ud, dvb_log_level level, const char *msg);
    void *ud;
} dvb_logger;

/* printf-style message to the logger; a NULL logger or fn drops it. */
void dvb_logf(const dvb_logger *l, dvb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An immutable, reference-counted byte buffer.  Created with one
 * reference; freed when the last one is released.  Single-threaded by
 * design (the app has one poll() loop), so the count is a plain integer. */
typedef struct dvb_blob {
    unsigned refs;
    size_t len;
    uint8_t data[];
} dvb_blob;

dvb_blob *dvb_blob_new(size_t len);      /* NULL on allocation failure */
dvb_blob *dvb_blob_retain(dvb_blob *b);  /* returns b; NULL is a no-op */
void dvb_blob_release(dvb_blob *b);      /* NULL is a no-op */

#endif
