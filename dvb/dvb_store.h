/*
 * Building an object store (the public, read-only side is in dvb.h).
 *
 * A store is built once, sealed, then never changed: receivers publish
 * a new store for each carousel update and readers keep whichever
 * store they hold a reference to.
 */
#ifndef DVB_STORE_H
#define DVB_STORE_H

#include "dvb/dvb_internal.h"

#include <stdbool.h>

/* An empty, unsealed store with one reference; NULL when out of memory. */
dvb_store *dvb_store_new(uint32_t version);
/* Keeps a reference to b for the store's lifetime (file data may point
 * into it).  Adding the same blob twice keeps one reference. */
dvb_err dvb_store_add_blob(dvb_store *s, dvb_blob *b);
/* Adds a directory (data NULL) or file; path is copied.  The data must
 * live in a blob added to the store (or be static). */
dvb_err dvb_store_add(dvb_store *s, const char *path, bool is_dir,
                      const uint8_t *data, size_t len);
/* Sorts the entries; call once after the last add. */
void dvb_store_seal(dvb_store *s);
size_t dvb_store_count(const dvb_store *s);

#endif
