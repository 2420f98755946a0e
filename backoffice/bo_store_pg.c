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
 */
#include "backoffice/bo_store_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 128

typedef struct {
    PGconn *pg;
    char *cache[CACHE_MAX];
    int ncache;
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

static void pg_disconnect(void *conn)
{
    pg_conn *c = conn;
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
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        forget_cache(c);
        PQreset(c->pg);
    }
    return BO_STORE_EUNAVAILABLE;
}

static bo_store_err pg_exec(void *conn, const char *sql, int n,
                            const char *const *params, bo_rows **out,
                            char *err, size_t errlen)
{
    pg_conn *c = conn;
    int idx = -1;
    for (int i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i], sql) == 0) {
            idx = i;
            break;
        }
    char name[16];
    if (idx < 0) {
        if (c->ncache == CACHE_MAX) {
            /* Statement names are their cache slot: start again. */
            PGresult *d = PQexec(c->pg, "DEALLOCATE ALL");
            PQclear(d);
            forget_cache(c);
        }
        idx = c->ncache;
        snprintf(name, sizeof name, "bo%d", idx);
        PGresult *p = PQprepare(c->pg, name, sql, 0, NULL);
        if (!p)
            return lost(c, err, errlen);
        if (PQresultStatus(p) != PGRES_COMMAND_OK) {
            snprintf(err, errlen, "%s", PQresultErrorMessage(p));
            bo_store_err e = classify(p);
            PQclear(p);
            if (PQstatus(c->pg) == CONNECTION_BAD)
                return lost(c, err, errlen);
            return e;
        }
        PQclear(p);
        if (!(c->cache[idx] = strdup(sql))) {
            PGresult *d = PQexec(c->pg, "DEALLOCATE ALL");
            PQclear(d);
            forget_cache(c);
            return BO_STORE_ENOMEM;
        }
        c->ncache++;
    }
    snprintf(name, sizeof name, "bo%d", idx);
    PGresult *r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
    if (!r)
        return lost(c, err, errlen);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        bo_store_err e = classify(r);
        PQclear(r);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            return lost(c, err, errlen);
        return e;
    }
    if (out && s == PGRES_TUPLES_OK) {
        int ncols = PQnfields(r);
        if (ncols > 64)
            ncols = 64;
        bo_rows *rows = bo_rows_new(ncols);
        if (!rows) {
            PQclear(r);
            return BO_STORE_ENOMEM;
        }
        const char *cells[64];
        size_t lens[64];
        for (int i = 0; i < PQntuples(r); i++) {
            for (int j = 0; j < ncols; j++) {
                cells[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
                lens[j] = (size_t)PQgetlength(r, i, j);
            }
            if (bo_rows_add(rows, cells, lens) != 0) {
                bo_rows_free(rows);
                PQclear(r);
                return BO_STORE_ENOMEM;
            }
        }
        *out = rows;
    }
    PQclear(r);
    return BO_STORE_OK;
}

const bo_engine bo_engine_pg = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .begin_read = "BEGIN",
    .begin_write = "BEGIN",
    .migration_lock = "SELECT pg_advisory_xact_lock(7280)",
    .serialize_writes = 0,
};
