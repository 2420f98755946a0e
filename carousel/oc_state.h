/*
 * oc_state: the state file `build` writes beside its output (OUT.ts.state)
 * and `update` reads, so that an update keeps every id a receiver knows
 * (PIDs, carousel_id, object keys, module ids) and gives a new
 * moduleVersion only to modules whose bytes changed (ISO/IEC 13818-6 7.3;
 * TR 101 202 4.6 transactionId conventions; see docs/carousel.md).
 *
 * Text, one record a line, so an engineer can read it:
 *
 *   civictv-carousel-state 1
 *   pmt-pid 0x0100            ... every id and size option of the build
 *   dsi-tid 0x80000000        dii-tid, ior-tid, next-key, next-module
 *   module ID VERSION HASH SIZE FIRST DII    (HASH: FNV-1a 64, hex)
 *   dii INDEX TRANSACTIONID                  (every DII, from 0)
 *   object KEY MODULE PATH                   (PATH %XX-escaped, "/" = root)
 *   crc32 XXXXXXXX            CRC-32 (zlib) of every byte before this line
 *
 * The checksum line makes a truncated or edited file a clear error
 * instead of a carousel with wrong ids.  The file is written to PATH.tmp
 * and renamed over PATH only when complete and flushed, so a full disk
 * leaves the old state in place.
 */
#ifndef OC_STATE_H
#define OC_STATE_H

#include <stddef.h>

#include "carousel/oc_build.h"
#include "carousel/oc_carousel.h"
#include "carousel/oc_err.h"

typedef struct {
    oc_build_config cfg;          /* ids and sizes; rates are not kept */
    int raw;                      /* built without content checks */
    oc_layout layout;
} oc_state;

/* Largest state file read (a carousel of a million objects fits). */
#define OC_STATE_MAX_BYTES (256u << 20)

/* Write atomically (PATH.tmp, fsync, rename).  OC_EIO with why naming the
 * file and the system's reason; the old file is then untouched. */
oc_err oc_state_write(const oc_state *s, const char *path, char *why,
                      size_t why_len);

/* oc_state_write in two steps, for a caller that must replace two files
 * together (the stream and its state): prepare writes and flushes
 * PATH.tmp; commit renames it over PATH; abandon removes it.  Errors as
 * oc_state_write's; after a failed prepare or commit no PATH.tmp is
 * left. */
oc_err oc_state_prepare(const oc_state *s, const char *path, char *why,
                        size_t why_len);
oc_err oc_state_commit(const char *path, char *why, size_t why_len);
void oc_state_abandon(const char *path);

/* Read and check.  OC_ESTATE with why naming the file, the line and what
 * is wrong; OC_EIO when it cannot be read.  Free with oc_state_free. */
oc_err oc_state_read(const char *path, oc_state *s, char *why,
                     size_t why_len);

/* Parse from memory (what oc_state_read does after reading). */
oc_err oc_state_parse(const char *name, const char *text, size_t len,
                      oc_state *s, char *why, size_t why_len);

void oc_state_free(oc_state *s);                    /* NULL is a no-op */

#endif
