/*
 * bo_ratelimit: counters in fixed windows, for the tenants' request rates
 * (bo_rate_check, declared in bo_api_int.h) and the /device page's wrong
 * user codes.
 *
 * A counter is a row of rate_counters (bucket, window start, hits) bumped
 * with one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so every server
 * process sharing a PostgreSQL database counts into the same row.
 */
#ifndef BO_RATELIMIT_H
#define BO_RATELIMIT_H

#include <stdint.h>

#include "backoffice/bo_store.h"

/* Adds one hit to bucket's window starting at win and returns the hits so
 * far in *hits.  Rows of the bucket's earlier windows are dropped when a
 * window begins. */
bo_store_err bo_counter_hit(bo_store *st, const char *bucket, int64_t win, long *hits);
/* The hits so far in bucket's window starting at win (0 if none). */
bo_store_err bo_counter_get(bo_store *st, const char *bucket, int64_t win, long *hits);

#endif
