/*
 * Rate limits.  Each tenant has requests per minute (tenants.
 * rate_per_minute), counted in a fixed one-minute window; answers carry
 * RateLimit-Limit, -Remaining and -Reset (the IETF httpapi ratelimit-headers
 * draft) and a 429 carries Retry-After (RFC 9110 section 10.2.3).
 *
 * On PostgreSQL the count is shared by every server process on the
 * database: one statement per request bumps the tenant's row of
 * rate_counters.  Its transaction commits with synchronous_commit off (a
 * lost count after a crash costs nothing), so it does not wait for a WAL
 * flush, and the row is locked only for that statement.  On SQLite (one
 * file, normally one server) the count is kept in the process, so that a
 * read costs no write: two processes on one SQLite file would each allow
 * the full rate.  If the shared count cannot be had (the database is
 * down), the process's own count decides.
 */
#include "backoffice/bo_ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_api_int.h"

static bo_store_err counter_exec(bo_store *st, const char *sql, const char *bucket,
                                 int64_t win, long *hits)
{
    char w[24];
    snprintf(w, sizeof w, "%lld", (long long)win);
    const char *p[2] = { bucket, w };
    bo_db *db = bo_store_acquire(st);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, sql, 2, p, &rows);
    *hits = e == BO_STORE_OK && rows && rows->nrows == 1 ? atol(bo_rows_get(rows, 0, 0)) : 0;
    bo_rows_free(rows);
    if (e == BO_STORE_OK && *hits == 1)
        /* A new window: forget the bucket's older ones. */
        e = bo_db_exec(db, "DELETE FROM rate_counters WHERE bucket = $1 AND win_start < $2",
                       2, p, NULL);
    bo_store_release(st, db);
    return e;
}

bo_store_err bo_counter_hit(bo_store *st, const char *bucket, int64_t win, long *hits)
{
    /* One statement, so one transaction of its own (autocommit). */
    if (strcmp(bo_store_engine(st), "postgresql") == 0)
        return counter_exec(st,
            "INSERT INTO rate_counters (bucket, win_start, hits) "
            "SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) s "
            "ON CONFLICT (bucket, win_start) DO UPDATE SET hits = rate_counters.hits + 1 "
            "RETURNING hits", bucket, win, hits);
    return counter_exec(st,
        "INSERT INTO rate_counters (bucket, win_start, hits) VALUES ($1, $2, 1) "
        "ON CONFLICT (bucket, win_start) DO UPDATE SET hits = rate_counters.hits + 1 "
        "RETURNING hits", bucket, win, hits);
}

bo_store_err bo_counter_get(bo_store *st, const char *bucket, int64_t win, long *hits)
{
    char w[24];
    snprintf(w, sizeof w, "%lld", (long long)win);
    const char *p[2] = { bucket, w };
    bo_db *db = bo_store_acquire(st);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, "SELECT hits FROM rate_counters WHERE bucket = $1 "
                                    "AND win_start = $2", 2, p, &rows);
    *hits = e == BO_STORE_OK && rows && rows->nrows == 1 ? atol(bo_rows_get(rows, 0, 0)) : 0;
    bo_rows_free(rows);
    bo_store_release(st, db);
    return e;
}

/* The process's own count of a tenant's window. */
static long local_hit(bo_app *app, const char *tenant, int64_t window)
{
    pthread_mutex_lock(&app->rl_mu);
    int i;
    for (i = 0; i < app->nrl; i++)
        if (strcmp(app->rl[i].tenant, tenant) == 0)
            break;
    if (i == app->nrl) {
        if (app->nrl < BO_MAX_TENANTS)
            app->nrl++;
        else
            i = 0; /* more tenants than slots: share the first (never reached with sane configs) */
        snprintf(app->rl[i].tenant, sizeof app->rl[i].tenant, "%s", tenant);
        app->rl[i].window = window;
        app->rl[i].count = 0;
    }
    if (app->rl[i].window != window) {
        app->rl[i].window = window;
        app->rl[i].count = 0;
    }
    long count = ++app->rl[i].count;
    pthread_mutex_unlock(&app->rl_mu);
    return count;
}

int bo_rate_check(bo_app *app, const bo_auth *a, bo_resp *r)
{
    int64_t now = bo_now();
    int64_t window = now - now % 60;
    long count = 0;
    char bucket[80];
    snprintf(bucket, sizeof bucket, "tenant:%s", a->tenant);
    if (strcmp(bo_store_engine(app->store), "postgresql") != 0 ||
        bo_counter_hit(app->store, bucket, window, &count) != BO_STORE_OK || count <= 0)
        count = local_hit(app, a->tenant, window);
    r->has_ratelimit = 1;
    r->rl_limit = a->rate;
    r->rl_remaining = count >= a->rate ? 0 : a->rate - count;
    r->rl_reset = (long)(window + 60 - now);
    if (count > a->rate) {
        bo_problem(r, 429, "rate-limited", "Too many requests",
                   "This service allows %ld requests a minute; try again in %ld s.",
                   a->rate, r->rl_reset);
        r->retry_after = (int)r->rl_reset;
        return -1;
    }
    return 0;
}
