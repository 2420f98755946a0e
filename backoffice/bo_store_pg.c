/*
 * The PostgreSQL engine of bo_store, through libpq.
 *
 * Every statement is prepared once per connection (PQprepare) and run with
 * PQexecPrepared and text parameters.  Errors are classified by SQLSTATE
 * (PostgreSQL manual, Appendix A): class 23 is a constraint, 40001/40P01 a
 * serialization failure or deadlock to retry, class 53 (disk full, out of
 * memory), 25006 (read-only transaction), 57P0x (shutdown) and class 08
 * (connection) make the database unavailable.  A lost connection is reset
 * for the next request and its prepared statements forgotten.
 *
 * Round trips are most of a write's cost here (each is two context
 * switches and a few system calls on each side), so a write transaction
 * keeps its BEGIN and the statements whose rows nobody reads
 * (bo_db_exec_later) until the next statement or the COMMIT, and sends them
 * all at once in libpq's pipeline mode (PostgreSQL 14+ client library); a
 * payment creation is then four round trips instead of eight.
 */
#include "backoffice/bo_store_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 128
#define HELD_MAX 16      /* held statements before they go out anyway */
#define PIPE_MAX 32      /* statements in one round trip */

typedef struct {
    char *sql;
    int n;
    char **params;
    bo_rows **out;          /* where its rows go, or NULL */
    bo_store_err *status;   /* where its outcome goes, or NULL */
} held_stmt;

typedef struct {
    PGconn *pg;
    char *cache[CACHE_MAX];
    int ncache;
    /* Statements held for the next round trip (bo_db_exec_later): the
     * first may be the BEGIN of a write transaction not sent yet. */
    held_stmt held[HELD_MAX];
    int nheld;
    int begin_held;
} pg_conn;

static bo_store_err pg_connect(const bo_store_cfg *cfg, void **out,
                               char *err, size_t errlen)
{
    pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return BO_STORE_ENOMEM;
    c->pg = PQconnectdb(cfg->spec);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        if (err)
            snprintf(err, errlen, "database (PostgreSQL): %s",
                     c->pg ? PQerrorMessage(c->pg) : "out of memory");
        PQfinish(c->pg);
        free(c);
        return BO_STORE_EOPEN;
    }
    /* Notices (e.g. "relation already exists, skipping") are not errors. */
    PGresult *r = PQexec(c->pg, "SET client_min_messages = warning");
    PQclear(r);
    *out = c;
    return BO_STORE_OK;
}

static void forget_cache(pg_conn *c)
{
    for (int i = 0; i < c->ncache; i++)
        free(c->cache[i]);
    c->ncache = 0;
}

static void free_held(held_stmt *h)
{
    for (int i = 0; i < h->n; i++)
        free(h->params[i]);
    free(h->params);
    free(h->sql);
    memset(h, 0, sizeof *h);
}

static int pg_discard(void *conn)
{
    pg_conn *c = conn;
    int unsent = c->begin_held;
    for (int i = 0; i < c->nheld; i++) {
        /* Never run: whoever waits for its outcome learns so. */
        if (c->held[i].status)
            *c->held[i].status = BO_STORE_EUNAVAILABLE;
        free_held(&c->held[i]);
    }
    c->nheld = 0;
    c->begin_held = 0;
    return unsent;
}

static void pg_disconnect(void *conn)
{
    pg_conn *c = conn;
    pg_discard(c);
    forget_cache(c);
    PQfinish(c->pg);
    free(c);
}

static bo_store_err classify(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!st)
        return BO_STORE_EUNAVAILABLE;
    if (strncmp(st, "23", 2) == 0)
        return BO_STORE_ECONSTRAINT;
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
        strcmp(st, "55P03") == 0)
        return BO_STORE_EBUSY;
    if (strncmp(st, "53", 2) == 0 || strcmp(st, "25006") == 0 ||
        strncmp(st, "57P0", 4) == 0 || strncmp(st, "08", 2) == 0 ||
        strncmp(st, "58", 2) == 0)
        return BO_STORE_EUNAVAILABLE;
    /* 42P07/42710: a concurrent CREATE ... IF NOT EXISTS lost the race. */
    if (strcmp(st, "42P07") == 0 || strcmp(st, "42710") == 0)
        return BO_STORE_EBUSY;
    return BO_STORE_ESQL;
}

static bo_store_err lost(pg_conn *c, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", PQerrorMessage(c->pg));
    pg_discard(c);
    /* Also when a pipeline broke off half-way on a live connection: its
     * unread results would confuse every later statement. */
    if (PQstatus(c->pg) == CONNECTION_BAD || PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) {
        forget_cache(c);
        PQreset(c->pg);
    }
    return BO_STORE_EUNAVAILABLE;
}

/* The cache slot of sql, prepared on the server as "bo<slot>"; prepares it
 * (one round trip, the first time on this connection) if needed.  -1 on
 * error, with *e set. */
static int prepared(pg_conn *c, const char *sql, bo_store_err *e, char *err, size_t errlen)
{
    for (int i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i], sql) == 0)
            return i;
    if (c->ncache == CACHE_MAX) {
        /* Statement names are their cache slot: start again. */
        PGresult *d = PQexec(c->pg, "DEALLOCATE ALL");
        PQclear(d);
        forget_cache(c);
    }
    int idx = c->ncache;
    char name[16];
    snprintf(name, sizeof name, "bo%d", idx);
    PGresult *p = PQprepare(c->pg, name, sql, 0, NULL);
    if (!p) {
        *e = lost(c, err, errlen);
        return -1;
    }
    if (PQresultStatus(p) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(p));
        *e = classify(p);
        PQclear(p);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            *e = lost(c, err, errlen);
        return -1;
    }
    PQclear(p);
    if (!(c->cache[idx] = strdup(sql))) {
        PGresult *d = PQexec(c->pg, "DEALLOCATE ALL");
        PQclear(d);
        forget_cache(c);
        *e = BO_STORE_ENOMEM;
        return -1;
    }
    c->ncache++;
    return idx;
}

/* Rows of a PGRES_TUPLES_OK result into *out. */
static bo_store_err take_rows(const PGresult *r, bo_rows **out)
{
    int ncols = PQnfields(r);
    if (ncols > 64)
        ncols = 64;
    bo_rows *rows = bo_rows_new(ncols);
    if (!rows)
        return BO_STORE_ENOMEM;
    const char *cells[64];
    size_t lens[64];
    for (int i = 0; i < PQntuples(r); i++) {
        for (int j = 0; j < ncols; j++) {
            cells[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
            lens[j] = (size_t)PQgetlength(r, i, j);
        }
        if (bo_rows_add(rows, cells, lens) != 0) {
            bo_rows_free(rows);
            return BO_STORE_ENOMEM;
        }
    }
    *out = rows;
    return BO_STORE_OK;
}

/* A COMMIT of a transaction that had already failed "succeeds" with the
 * tag ROLLBACK: it must count as the failure it is, or a request could be
 * told its transaction committed. */
static int commit_rolled_back(const char *sql, const PGresult *r)
{
    return strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus((PGresult *)r), "ROLLBACK") == 0;
}

/* One statement the ordinary way: one round trip. */
static bo_store_err exec_one(pg_conn *c, const char *sql, int n,
                             const char *const *params, bo_rows **out,
                             char *err, size_t errlen)
{
    bo_store_err e = BO_STORE_OK;
    int idx = prepared(c, sql, &e, err, errlen);
    if (idx < 0)
        return e;
    char name[16];
    snprintf(name, sizeof name, "bo%d", idx);
    PGresult *r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
    if (!r)
        return lost(c, err, errlen);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        e = classify(r);
        PQclear(r);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            return lost(c, err, errlen);
        return e;
    }
    if (commit_rolled_back(sql, r)) {
        snprintf(err, errlen, "COMMIT rolled the failed transaction back");
        e = BO_STORE_EUNAVAILABLE;
    } else if (out && s == PGRES_TUPLES_OK) {
        e = take_rows(r, out);
    }
    PQclear(r);
    return e;
}

/* The held statements, then st[0..n), in one round trip through libpq's
 * pipeline mode.  Every statement is prepared beforehand (outside the
 * pipeline, so that a failed prepare cannot leave a half-known name).  After
 * the first failure the server skips the rest up to the sync
 * (PGRES_PIPELINE_ABORTED); its error is the answer, *failed its index in
 * st (-1: a held one). */
static bo_store_err pipeline(pg_conn *c, const bo_stmt *st, int n, int *failed,
                             char *err, size_t errlen)
{
    int total = c->nheld + n;
    int slot[HELD_MAX + PIPE_MAX];
    bo_store_err e = BO_STORE_OK;
    if (failed)
        *failed = n;
    if (n > PIPE_MAX)
        return BO_STORE_EARG;
    /* Prepare what is new, outside the pipeline; empty the cache first if
     * it could not take it all, so that no slot below is evicted by a later
     * one. */
    int fresh = 0;
    for (int i = 0; i < total; i++) {
        const char *sql = i < c->nheld ? c->held[i].sql : st[i - c->nheld].sql;
        int known = 0;
        for (int k = 0; k < c->ncache && !known; k++)
            known = strcmp(c->cache[k], sql) == 0;
        fresh += !known;
    }
    if (c->ncache + fresh > CACHE_MAX) {
        PGresult *d = PQexec(c->pg, "DEALLOCATE ALL");
        PQclear(d);
        forget_cache(c);
    }
    for (int i = 0; i < total; i++) {
        const char *sql = i < c->nheld ? c->held[i].sql : st[i - c->nheld].sql;
        if ((slot[i] = prepared(c, sql, &e, err, errlen)) < 0) {
            if (failed)
                *failed = i < c->nheld ? -1 : i - c->nheld;
            pg_discard(c);
            return e;
        }
    }
    if (!PQenterPipelineMode(c->pg))
        return lost(c, err, errlen);
    char name[16];
    for (int i = 0; i < total; i++) {
        snprintf(name, sizeof name, "bo%d", slot[i]);
        int ok = i < c->nheld
            ? PQsendQueryPrepared(c->pg, name, c->held[i].n,
                                  (const char *const *)c->held[i].params, NULL, NULL, 0)
            : PQsendQueryPrepared(c->pg, name, st[i - c->nheld].n,
                                  st[i - c->nheld].params, NULL, NULL, 0);
        if (!ok)
            return lost(c, err, errlen);
    }
    if (!PQpipelineSync(c->pg))
        return lost(c, err, errlen);
    /* Sent: from here the held statements' outcomes are the pipeline's. */
    int nheld = c->nheld;
    bo_rows **hout[HELD_MAX];
    bo_store_err *hstatus[HELD_MAX];
    for (int i = 0; i < nheld; i++) {
        hout[i] = c->held[i].out;
        hstatus[i] = c->held[i].status;
        c->held[i].status = NULL;
    }
    pg_discard(c);
    for (int i = 0; i < total; i++) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            for (int k = i; k < nheld; k++)
                if (hstatus[k])
                    *hstatus[k] = BO_STORE_EUNAVAILABLE;
            return lost(c, err, errlen);
        }
        ExecStatusType s = PQresultStatus(r);
        bo_rows **out = i < nheld ? hout[i] : st[i - nheld].out;
        bo_store_err mine = BO_STORE_OK;
        if (s == PGRES_FATAL_ERROR) {
            mine = classify(r);
            if (e == BO_STORE_OK) {
                snprintf(err, errlen, "%s", PQresultErrorMessage(r));
                e = mine;
                if (failed)
                    *failed = i < nheld ? -1 : i - nheld;
            }
        } else if (s == PGRES_PIPELINE_ABORTED) {
            mine = e; /* skipped after the first failure */
        } else if (i >= nheld && commit_rolled_back(st[i - nheld].sql, r)) {
            mine = BO_STORE_EUNAVAILABLE;
            if (e == BO_STORE_OK) {
                snprintf(err, errlen, "COMMIT rolled the failed transaction back");
                e = mine;
                if (failed)
                    *failed = i < nheld ? -1 : i - nheld;
            }
        } else if (s == PGRES_TUPLES_OK && out) {
            mine = take_rows(r, out);
            if (mine != BO_STORE_OK && e == BO_STORE_OK)
                e = mine;
        } else if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            PQclear(r);
            for (int k = i; k < nheld; k++)
                if (hstatus[k])
                    *hstatus[k] = BO_STORE_EUNAVAILABLE;
            return lost(c, err, errlen);
        }
        if (i < nheld && hstatus[i])
            *hstatus[i] = mine;
        PQclear(r);
        /* Each statement's results end with a NULL. */
        while ((r = PQgetResult(c->pg)) != NULL)
            PQclear(r);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            return lost(c, err, errlen);
    }
    PGresult *r = PQgetResult(c->pg);
    int synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (!synced || !PQexitPipelineMode(c->pg))
        return lost(c, err, errlen);
    if (e != BO_STORE_OK && st)
        for (int i = 0; i < n; i++)
            if (st[i].out) {
                bo_rows_free(*st[i].out);
                *st[i].out = NULL;
            }
    return e;
}

static bo_store_err pg_exec(void *conn, const char *sql, int n,
                            const char *const *params, bo_rows **out,
                            char *err, size_t errlen)
{
    pg_conn *c = conn;
    if (c->nheld == 0)
        return exec_one(c, sql, n, params, out, err, errlen);
    bo_stmt st = { sql, n, params, out };
    return pipeline(c, &st, 1, NULL, err, errlen);
}

static bo_store_err pg_exec_many(void *conn, const bo_stmt *st, int n, int *failed,
                                 char *err, size_t errlen)
{
    pg_conn *c = conn;
    for (int i = 0; i < n; i++)
        if (st[i].out)
            *st[i].out = NULL;
    if (c->nheld == 0 && n == 0) {
        if (failed)
            *failed = 0;
        return BO_STORE_OK;
    }
    if (c->nheld == 0 && n == 1) {
        bo_store_err e = exec_one(c, st[0].sql, st[0].n, st[0].params, st[0].out, err, errlen);
        if (failed)
            *failed = e == BO_STORE_OK ? 1 : 0;
        return e;
    }
    return pipeline(c, st, n, failed, err, errlen);
}

static bo_store_err pg_hold(void *conn, const char *sql, int n, const char *const *params,
                           bo_rows **out, bo_store_err *status)
{
    pg_conn *c = conn;
    if (c->nheld == HELD_MAX) {
        char err[256];
        bo_store_err e = pipeline(c, NULL, 0, NULL, err, sizeof err);
        if (e != BO_STORE_OK)
            return e;
    }
    held_stmt *h = &c->held[c->nheld];
    if (out)
        *out = NULL;
    h->out = out;
    h->status = status;
    h->sql = strdup(sql);
    h->params = n > 0 ? calloc((size_t)n, sizeof *h->params) : NULL;
    h->n = n;
    int ok = h->sql && (n == 0 || h->params);
    for (int i = 0; ok && i < n; i++)
        if (params[i] && !(h->params[i] = strdup(params[i])))
            ok = 0;
    if (!ok) {
        h->n = h->params ? n : 0;
        free_held(h);
        if (status)
            *status = BO_STORE_ENOMEM;
        return BO_STORE_ENOMEM;
    }
    if (status)
        *status = BO_STORE_EPENDING;
    if (c->nheld == 0 && strcmp(sql, "BEGIN") == 0)
        c->begin_held = 1;
    c->nheld++;
    return BO_STORE_OK;
}

static int pg_in_txn(void *conn)
{
    pg_conn *c = conn;
    PGTransactionStatusType t = PQtransactionStatus(c->pg);
    return c->begin_held || t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
           t == PQTRANS_ACTIVE;
}

const bo_engine bo_engine_pg = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .exec_many = pg_exec_many,
    .hold = pg_hold,
    .discard = pg_discard,
    .begin_read = "BEGIN",
    .begin_write = "BEGIN",
    .migration_lock = "SELECT pg_advisory_xact_lock(7280)",
    .serialize_writes = 0,
    .in_txn = pg_in_txn,
    .try_lock = "SELECT pg_try_advisory_xact_lock($1)",
    .group_commit = 0,
};
