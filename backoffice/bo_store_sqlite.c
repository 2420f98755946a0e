/*
 * The SQLite engine of bo_store.
 *
 * One database file in WAL mode (readers never block the writer) with
 * synchronous=FULL: in WAL mode that syncs the log at every COMMIT, so a
 * committed transaction survives a power cut, which is the promise a 201
 * makes.  Writers take the lock at BEGIN IMMEDIATE and wait up to
 * busy_timeout for each other instead of failing.
 *
 * Prepared statements are cached per connection, keyed by their SQL text,
 * and parameters are bound by name ("$1".."$n").
 */
#include "backoffice/bo_store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 96

typedef struct {
    sqlite3 *db;
    struct { char *sql; sqlite3_stmt *st; } cache[CACHE_MAX];
    int ncache;
} sq_conn;

static bo_store_err map_rc(sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return BO_STORE_OK;
    case SQLITE_NOMEM: return BO_STORE_ENOMEM;
    case SQLITE_CONSTRAINT: return BO_STORE_ECONSTRAINT;
    case SQLITE_BUSY: case SQLITE_LOCKED: return BO_STORE_EBUSY;
    case SQLITE_FULL: case SQLITE_READONLY: case SQLITE_IOERR:
    case SQLITE_CANTOPEN: case SQLITE_CORRUPT: case SQLITE_NOTADB:
        return BO_STORE_EUNAVAILABLE;
    default:
        (void)db;
        return BO_STORE_ESQL;
    }
}

static bo_store_err sq_connect(const bo_store_cfg *cfg, void **out,
                               char *err, size_t errlen)
{
    const char *path = cfg->spec;
    if (strncmp(path, "sqlite:", 7) == 0)
        path += 7;
    sq_conn *c = calloc(1, sizeof *c);
    if (!c)
        return BO_STORE_ENOMEM;
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (err)
            snprintf(err, errlen, "database %s: %s", path,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return BO_STORE_EOPEN;
    }
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    char *msg = NULL;
    rc = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                      "PRAGMA foreign_keys=ON;", NULL, NULL, &msg);
    if (rc == SQLITE_OK && cfg->sqlite_max_pages > 0) {
        /* The pragma takes no bound parameter; the value is our own
         * integer, never caller text. */
        char q[64];
        snprintf(q, sizeof q, "PRAGMA max_page_count=%ld", cfg->sqlite_max_pages);
        sqlite3_free(msg);
        msg = NULL;
        rc = sqlite3_exec(c->db, q, NULL, NULL, &msg);
    }
    if (rc != SQLITE_OK) {
        if (err)
            snprintf(err, errlen, "database %s: %s", path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return BO_STORE_EOPEN;
    }
    sqlite3_free(msg);
    *out = c;
    return BO_STORE_OK;
}

static void sq_disconnect(void *conn)
{
    sq_conn *c = conn;
    for (int i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].st);
        free(c->cache[i].sql);
    }
    sqlite3_close(c->db);
    free(c);
}

static sqlite3_stmt *prepare(sq_conn *c, const char *sql, int *rc)
{
    for (int i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i].sql, sql) == 0)
            return c->cache[i].st;
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    if (c->ncache == CACHE_MAX) {
        /* Evict the oldest; the cache only bounds memory. */
        sqlite3_finalize(c->cache[0].st);
        free(c->cache[0].sql);
        memmove(&c->cache[0], &c->cache[1], sizeof c->cache[0] * (CACHE_MAX - 1));
        c->ncache--;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    c->cache[c->ncache].sql = copy;
    c->cache[c->ncache].st = st;
    c->ncache++;
    return st;
}

static bo_store_err sq_exec(void *conn, const char *sql, int n,
                            const char *const *params, bo_rows **out,
                            char *err, size_t errlen)
{
    sq_conn *c = conn;
    int rc = SQLITE_OK;
    sqlite3_stmt *st = prepare(c, sql, &rc);
    if (!st) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
        return map_rc(c->db, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue; /* a parameter the statement does not use */
        rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
            return map_rc(c->db, rc);
        }
    }
    int ncols = sqlite3_column_count(st);
    bo_rows *rows = NULL;
    if (out && ncols > 0 && !(rows = bo_rows_new(ncols)))
        return BO_STORE_ENOMEM;
    bo_store_err e = BO_STORE_OK;
    const char *cells[64];
    size_t lens[64];
    if (ncols > 64)
        ncols = 64;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows)
            continue;
        for (int i = 0; i < ncols; i++) {
            cells[i] = (const char *)sqlite3_column_text(st, i);
            lens[i] = (size_t)sqlite3_column_bytes(st, i);
        }
        if (bo_rows_add(rows, cells, lens) != 0) {
            e = BO_STORE_ENOMEM;
            break;
        }
    }
    if (e == BO_STORE_OK && rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
        e = map_rc(c->db, rc);
        if (e == BO_STORE_OK)
            e = BO_STORE_ESQL;
    }
    sqlite3_reset(st);
    if (e != BO_STORE_OK) {
        bo_rows_free(rows);
        return e;
    }
    if (out)
        *out = rows;
    else
        bo_rows_free(rows);
    return BO_STORE_OK;
}

static int sq_in_txn(void *conn)
{
    return !sqlite3_get_autocommit(((sq_conn *)conn)->db);
}

const bo_engine bo_engine_sqlite = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .begin_read = "BEGIN",
    .begin_write = "BEGIN IMMEDIATE",
    .migration_lock = NULL,
    .serialize_writes = 1,
    .in_txn = sq_in_txn,
    .try_lock = NULL,
    .group_commit = 1,
};
