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
    const char *begin_read;
    const char *begin_write;
    /* Run inside the migration transaction before reading the schema
     * version, so that two servers starting together migrate once. */
    const char *migration_lock;
    /* 1: one writer at a time in this process.  SQLite has one write lock
     * per file; threads waiting on it in SQLite's busy handler sleep in
     * growing steps, so queueing them on a mutex is much faster. */
    int serialize_writes;
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
