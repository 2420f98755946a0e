/*
 * Internal to bo_store: the engine table that bo_store.c drives.  Each
 * engine turns one SQL text plus text parameters into text rows through a
 * prepared statement it caches per connection.
 */
#ifndef BO_STORE_INT_H
#define BO_STORE_INT_H

#include "backoffice/bo_store.h"

typedef struct bo_engine {
    const char *name;
    bo_store_err (*connect)(const bo_store_cfg *cfg, void **conn,
                            char *err, size_t errlen);
    void (*disconnect)(void *conn);
    bo_store_err (*exec)(void *conn, const char *sql, int n,
                         const char *const *params, bo_rows **out,
                         char *err, size_t errlen);
    /* Optional (NULL: the store runs the statements one by one): st[0..n)
     * in one round trip, stopping at the first failure (its index in
     * *failed), together with any held statements, which run first. */
    bo_store_err (*exec_many)(void *conn, const bo_stmt *st, int n, int *failed,
                              char *err, size_t errlen);
    /* Optional (NULL: run at once): holds a statement (copying its text
     * and parameters) to send before the next one; "BEGIN" held first opens
     * the transaction.  Once it has gone out, its rows go to *out and its
     * outcome to *status (either may be NULL); a held statement discarded
     * unsent gets BO_STORE_EUNAVAILABLE.  discard() forgets the held ones (a
     * rollback) and returns 1 when the transaction's BEGIN was among them,
     * so that there is nothing on the server to roll back. */
    bo_store_err (*hold)(void *conn, const char *sql, int n, const char *const *params,
                         bo_rows **out, bo_store_err *status);
    int (*discard)(void *conn);
    const char *begin_read;
    const char *begin_write;
    /* Run inside the migration transaction before reading the schema
     * version, so that two servers starting together migrate once. */
    const char *migration_lock;
    /* 1: one writer at a time in this process.  SQLite has one write lock
     * per file; threads waiting on it in SQLite's busy handler sleep in
     * growing steps, so queueing them on a mutex is much faster. */
    int serialize_writes;
    /* 1 when the connection is inside a transaction (a failed statement
     * may have ended it: SQLite rolls back on a full disk, a lost
     * PostgreSQL connection is reset). */
    int (*in_txn)(void *conn);
    /* bo_db_try_lock(): a statement taking the transaction-scoped lock $1
     * (a 64-bit integer) without waiting and answering one row, true or
     * false; NULL when one write transaction at a time runs anyway. */
    const char *try_lock;
    /* The default of bo_store_cfg.group_commit for this engine. */
    int group_commit;
} bo_engine;

extern const bo_engine bo_engine_sqlite;
extern const bo_engine bo_engine_pg;

/* Result building shared by the engines. */
bo_rows *bo_rows_new(int ncols);
/* Appends a row; cells[i] may be NULL.  Copies the text. */
int bo_rows_add(bo_rows *r, const char *const *cells, const size_t *lens);

/* The schema, as a list of migrations, each a NULL-terminated list of
 * statements (bo_schema.c). */
extern const char *const *const bo_migrations[];
extern const int bo_migration_count;

#endif
