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
    size_t map_len;          /* its pages when from dvb_pages; 0: malloc'd */
    uint8_t data[];
} dvb_blob;

dvb_blob *dvb_blob_new(size_t len);      /* NULL on allocation failure */
dvb_blob *dvb_blob_retain(dvb_blob *b);  /* returns b; NULL is a no-op */
void dvb_blob_release(dvb_blob *b);      /* NULL is a no-op */

/* Where a receiver's big blobs (module contents) come from.  Touching
 * fresh memory costs a page fault per 4 KiB page, and a virtual machine
 * makes each fault dear: filling 16 MiB of malloc'd modules spent more
 * time in the kernel than everything else the receiver does.  So blobs
 * of DVB_PAGES_MIN bytes or more are carved, page-aligned and one after
 * the other, out of 2 MiB-aligned mappings that ask for transparent huge
 * pages (MADV_HUGEPAGE): one fault per 2 MiB where the kernel allows it.
 * Each blob still frees its own pages (munmap of its run) when its last
 * reference goes, so memory is returned exactly as with free(), and a
 * blob may outlive the dvb_pages it came from.  Smaller blobs, and every
 * blob when the allocator is NULL, are malloc'd. */
#define DVB_PAGES_MIN ((size_t)32 << 10)

typedef struct dvb_pages dvb_pages;

/* NULL when out of memory, and under AddressSanitizer, whose leak
 * checker follows malloc'd blocks only: callers then use malloc.  Under
 * valgrind, blobs from pages are announced to memcheck as malloc'd
 * blocks (leaks, uninitialised bytes, bounds). */
dvb_pages *dvb_pages_create(void);
/* The same, also under AddressSanitizer (which then sees the bytes
 * around each blob as out of bounds): for the allocator's own tests. */
dvb_pages *dvb_pages_create_always(void);
/* Unmaps the part of the current mapping that no blob was carved from,
 * which includes the unused rest of the last huge page touched (up to
 * 2 MiB); the next big blob maps afresh.  For when no more blobs are
 * expected for a while (a store was just published).  NULL: no-op. */
void dvb_pages_trim(dvb_pages *p);
/* dvb_pages_trim, then frees p; blobs stay valid.  NULL: no-op. */
void dvb_pages_destroy(dvb_pages *p);
/* Like dvb_blob_new; from p when len >= DVB_PAGES_MIN and p is not NULL
 * (malloc when a mapping fails). */
dvb_blob *dvb_blob_new_in(dvb_pages *p, size_t len);

#endif
