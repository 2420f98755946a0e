/*
 * bo_store: the back office's one storage interface, with two engines.
 *
 * - SQLite (the default): one database file in WAL mode with
 *   synchronous=FULL, so a COMMIT has reached the disk before it returns and
 *   a 201 is never sent for a transaction that a crash could lose.
 * - PostgreSQL through libpq, chosen by a "postgres://" or "postgresql://"
 *   connection string (or a "host=... dbname=..." keyword string).
 *
 * Both engines run the same schema and the same migrations (bo_schema.c),
 * and every statement goes through a prepared statement with bound
 * parameters: no caller-supplied text is ever spliced into SQL.  SQL is
 * written once with PostgreSQL's "$1" placeholders; SQLite accepts "$1" as a
 * named parameter, and the SQLite engine binds each by name.
 *
 * All parameters are passed as text (NULL for SQL NULL) and all results come
 * back as text, which keeps the two engines identical for callers: numbers
 * are formatted and parsed by the caller.
 *
 * Threads: a store is a pool of connections.  bo_store_acquire() lends one
 * connection to one thread until bo_store_release(); a connection is never
 * used by two threads at once.
 */
#ifndef BO_STORE_H
#define BO_STORE_H

#include <stddef.h>

typedef enum {
    BO_STORE_OK = 0,
    BO_STORE_ENOMEM,       /* out of memory */
    BO_STORE_EOPEN,        /* cannot open or connect to the database */
    BO_STORE_ESQL,         /* a statement failed (a programming error) */
    BO_STORE_ECONSTRAINT,  /* a unique or check constraint refused a row */
    BO_STORE_EBUSY,        /* a conflicting transaction: retry it */
    BO_STORE_EUNAVAILABLE, /* disk full, read-only or connection lost: 503 */
    BO_STORE_EARG          /* bad argument (e.g. an unknown engine) */
} bo_store_err;

const char *bo_store_strerror(bo_store_err e);

typedef struct bo_store bo_store;
typedef struct bo_db bo_db;

/* Result rows: row-major text cells, NULL for SQL NULL.  Free with
 * bo_rows_free(). */
typedef struct bo_rows {
    int nrows;
    int ncols;
    char **cells;
} bo_rows;

typedef struct bo_store_cfg {
    /* "sqlite:PATH", a plain PATH, or a PostgreSQL connection string. */
    const char *spec;
    int pool_size;          /* connections in the pool; 0 means 4 */
    /* SQLite only: a ceiling on the file size in pages (PRAGMA
     * max_page_count), a disk quota; 0 means none.  A full database answers
     * BO_STORE_EUNAVAILABLE and keeps what was committed. */
    long sqlite_max_pages;
} bo_store_cfg;

/* Opens the store, creating and migrating the schema when needed.  On
 * failure *out is NULL and err (if not NULL) holds a message naming the
 * database. */
bo_store_err bo_store_open(const bo_store_cfg *cfg, bo_store **out,
                           char *err, size_t errlen);
/* Closes every connection.  NULL is a harmless no-op. */
void bo_store_close(bo_store *s);
/* "sqlite" or "postgresql". */
const char *bo_store_engine(const bo_store *s);

/* Lends a connection to the calling thread; blocks while all are lent. */
bo_db *bo_store_acquire(bo_store *s);
void bo_store_release(bo_store *s, bo_db *db);

/* Transactions.  write=1 takes SQLite's write lock at BEGIN (BEGIN
 * IMMEDIATE) so that two writers never deadlock on a lock upgrade. */
bo_store_err bo_db_begin(bo_db *db, int write);
bo_store_err bo_db_commit(bo_db *db);
void bo_db_rollback(bo_db *db);

/* Runs one statement with n text parameters ($1..$n).  Rows, if any and if
 * out is not NULL, are returned in *out (owned by the caller); *out is set
 * to NULL on error. */
bo_store_err bo_db_exec(bo_db *db, const char *sql, int n,
                        const char *const *params, bo_rows **out);

/* A cell, or NULL for SQL NULL or out of range. */
const char *bo_rows_get(const bo_rows *r, int row, int col);
void bo_rows_free(bo_rows *r);

/* The last error message of a connection, for the server's log. */
const char *bo_db_errmsg(const bo_db *db);

#endif
