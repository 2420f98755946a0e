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
 *
 * Group commit: request threads hand their writes to bo_store_write() as
 * jobs.  With group commit on (SQLite's default) one writer thread with its
 * own connection runs every job queued while it was busy in one
 * transaction, each job between a SAVEPOINT and its RELEASE, and commits
 * them with one flush to disk; each caller returns only once that COMMIT
 * has returned.  Off (PostgreSQL's default, whose backends already share
 * WAL flushes between concurrent commits) the job runs in the calling
 * thread in a transaction of its own.  Either way the caller sees the same
 * contract.
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
    BO_STORE_EARG,         /* bad argument (e.g. an unknown engine) */
    BO_STORE_EPENDING      /* a held statement has not gone out yet */
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
    /* bo_store_write(): 0 the engine's default (on for SQLite, off for
     * PostgreSQL), 1 group commit through a writer thread, -1 one
     * transaction per job in the calling thread. */
    int group_commit;
    /* Group commit: at most this many jobs in one transaction; 0 means 64.
     * (PostgreSQL keeps up to 64 subtransactions per transaction in shared
     * memory; more would slow every snapshot on the server.) */
    int batch_max;
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

/* One statement of bo_db_exec_many(): its text, n text parameters and
 * where its rows go (NULL to drop them). */
typedef struct bo_stmt {
    const char *sql;
    int n;
    const char *const *params;
    bo_rows **out;
} bo_stmt;

/* Runs st[0..n) in order, stopping at the first that fails, whose index goes
 * to *failed (n if none failed; failed may be NULL).  PostgreSQL receives
 * them in one round trip (libpq pipeline mode), so a statement that depends
 * on the rows of an earlier one has no place here; what each returns is in
 * its *out. */
bo_store_err bo_db_exec_many(bo_db *db, const bo_stmt *st, int n, int *failed);

/* Runs a statement whose rows nobody needs, perhaps later: inside a write
 * transaction PostgreSQL's engine holds it and sends it with the next
 * statement or the COMMIT, saving a round trip.  Its failure is then the
 * failure of that next bo_db_exec*() or of bo_db_commit() (and the
 * transaction can only roll back).  params are copied.  Elsewhere, and on
 * SQLite, it runs at once and returns its own outcome.  bo_db_begin(db, 1)
 * is held the same way on PostgreSQL. */
bo_store_err bo_db_exec_later(bo_db *db, const char *sql, int n,
                              const char *const *params);
/* The same for a statement whose rows and outcome are wanted, but not yet:
 * they are in *out (may be NULL) and *status once it has gone out (with
 * the next statement, or at the latest with bo_db_flush()); until then
 * *status is BO_STORE_EPENDING.  Its failure also fails the statement it
 * went out with.  bo_db_held(db) tells whether statements are held at all
 * here (if not, they have run by the time these return). */
bo_store_err bo_db_exec_later_rows(bo_db *db, const char *sql, int n,
                                   const char *const *params, bo_rows **out,
                                   bo_store_err *status);
bo_store_err bo_db_flush(bo_db *db);
int bo_db_held(const bo_db *db);

/* A cell, or NULL for SQL NULL or out of range. */
const char *bo_rows_get(const bo_rows *r, int row, int col);
void bo_rows_free(bo_rows *r);

/* The last error message of a connection, for the server's log. */
const char *bo_db_errmsg(const bo_db *db);
/* The error of the connection's last statement (BO_STORE_OK if it
 * succeeded), e.g. to tell a conflict worth retrying (BO_STORE_EBUSY) from
 * other failures after a helper turned it into an answer. */
bo_store_err bo_db_last_err(const bo_db *db);

/* Takes the lock called name (any text) until the end of the current
 * write transaction, for every server on the database: *got is 1 when
 * taken, 0 when another transaction holds it (no waiting).  On SQLite, where
 * one write transaction at a time runs on a file, it is always taken.  Only
 * inside a write transaction (a job, or bo_db_begin(db, 1)). */
bo_store_err bo_db_try_lock(bo_db *db, const char *name, int *got);
/* The same lock as a statement for bo_db_exec_many(), so that it shares a
 * round trip with what follows it: fills *st, keeping its parameter and
 * rows in *b, and returns 1, or returns 0 where the engine needs no lock.
 * Once the statement has run, bo_lock_taken(b) tells whether it was taken;
 * free b->rows with bo_rows_free(). */
typedef struct bo_lock_buf {
    char num[24];
    const char *params[1];
    bo_rows *rows;
} bo_lock_buf;
int bo_db_lock_stmt(bo_db *db, const char *name, bo_lock_buf *b, bo_stmt *st);
int bo_lock_taken(const bo_lock_buf *b);

/* ---- group commit ---- */

typedef enum {
    BO_JOB_KEEP = 0,  /* keep the job's changes: they commit with the batch */
    BO_JOB_UNDO,      /* roll the job's changes back; its answer stands */
    BO_JOB_RETRY      /* roll them back and run the job again */
} bo_job_result;

/* The maximum number of runs of one job (the first and its retries). */
#define BO_JOB_MAX_RUNS 8

/* A write job: makes one request's changes through db, inside a write
 * transaction it may share with other jobs.  run counts the calls for this
 * job from 0.  The job must not BEGIN, COMMIT or ROLLBACK itself, and must
 * stop at the first failed statement (after a failure the transaction may
 * be gone; statements then fail with BO_STORE_EUNAVAILABLE rather than run
 * outside it).  A job asked for a retry it cannot have (run ==
 * BO_JOB_MAX_RUNS - 1) should answer an error and return BO_JOB_UNDO; a
 * BO_JOB_RETRY on that last run is taken as BO_JOB_UNDO.  Runs on the
 * store's writer thread under group commit: arg is borrowed until
 * bo_store_write() returns, and the job must touch nothing the calling
 * thread uses meanwhile (the caller is blocked, so its own memory is
 * safe).  A job must not call bo_store_write() (the writer would wait for
 * itself) nor block on anything but its own statements. */
typedef bo_job_result (*bo_job_fn)(bo_db *db, void *arg, int run);

/* Runs fn (see bo_job_fn) and returns when it is settled:
 * - BO_STORE_OK: the transaction that held the job committed (and is on
 *   disk), so whatever the job kept is stored and whatever it answered
 *   stands; a job that undid itself also returns BO_STORE_OK.
 * - any other code: that transaction failed to begin or commit, or another
 *   job broke it (e.g. the disk filled up or the connection was lost):
 *   nothing the job did is stored, and the caller must answer an error
 *   (503), never what the job answered. */
bo_store_err bo_store_write(bo_store *s, bo_job_fn fn, void *arg);

/* Counters since the store opened, for tests and benchmarks. */
typedef struct bo_store_stats {
    long jobs;          /* jobs settled through bo_store_write() */
    long batches;       /* transactions those jobs ran in */
    long failed;        /* of which answered an error to some job */
    long largest;       /* most jobs in one transaction */
    long queued;        /* jobs waiting for the writer now */
} bo_store_stats;
void bo_store_get_stats(bo_store *s, bo_store_stats *out);

#endif
