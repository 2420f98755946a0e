/*
 * Building an object store (the public, read-only side is in dvb.h).
 *
 * A store is built once, sealed, then never changed: receivers publish
 * a new store for each carousel update and readers keep whichever
 * store they hold a reference to.
 */
#ifndef DVB_STORE_H
#define DVB_STORE_H

#include "dvb/dvb_biop.h"
#include "dvb/dvb_internal.h"

#include <stdbool.h>

/* An empty, unsealed, complete store with one reference; NULL when out
 * of memory. */
dvb_store *dvb_store_new(uint32_t version);
/* Marks the store a partial view (dvb_store_is_complete answers 0). */
void dvb_store_set_partial(dvb_store *s);
/* Keeps a reference to b for the store's lifetime (file data may point
 * into it).  Adding the same blob twice keeps one reference. */
dvb_err dvb_store_add_blob(dvb_store *s, dvb_blob *b);
/* Adds a directory (data NULL) or file; path is copied.  The data must
 * live in a blob added to the store (or be static). */
dvb_err dvb_store_add(dvb_store *s, const char *path, bool is_dir,
                      const uint8_t *data, size_t len);
/* Adds a Stream or StreamEvent object; everything it says is copied. */
dvb_err dvb_store_add_stream(dvb_store *s, const char *path, bool event,
                             const dvb_biop_stream *st);
/* Adds a binding whose object has not arrived (partial stores). */
dvb_err dvb_store_add_pending(dvb_store *s, const char *path);
/* Sorts the entries; call once after the last add. */
void dvb_store_seal(dvb_store *s);
size_t dvb_store_count(const dvb_store *s);

/* The differences from old (NULL: empty) to new, in walk order, as an
 * allocated array (free() it) whose paths point into the two stores.
 * Pending entries are ignored. */
dvb_err dvb_store_diff(const dvb_store *old_s, const dvb_store *new_s,
                       dvb_change **out, size_t *count);

#endif
