/*
 * bo_store: the connection pool, transactions, migrations and group commit
 * shared by the SQLite and PostgreSQL engines (see bo_store.h for the
 * contract).
 *
 * Group commit.  A flush to disk costs about as much as everything else a
 * payment creation does, and SQLite lets one writer in at a time, so
 * flushing once per request caps the rate at the disk's flushes per second.
 * bo_store_write() queues a job and sleeps; the writer thread takes every
 * job queued while it was busy (at most batch_max), opens one transaction
 * and runs each job between "SAVEPOINT bo_job" and "RELEASE bo_job", so
 * that a job that fails or answers a client error is rolled back alone
 * ("ROLLBACK TO bo_job") and the others go on.  One COMMIT, one flush, then
 * every job of the batch is told the outcome together.  There is no
 * waiting for company: a job queued while the writer is idle starts at
 * once in a batch of one, so latency at low load is one transaction's.
 * If the batch cannot commit (or a failure ended its transaction, which
 * ROLLBACK TO finding no savepoint reveals) every job in it gets the
 * error: none of their answers may be sent, and nothing of theirs is
 * stored.
 */
#include "backoffice/bo_store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_util.h"

struct bo_db {
    const bo_engine *eng;
    struct bo_store *store;
    void *conn;
    int lent;
    int holds_write;        /* holds store->wmu */
    int in_job;             /* running write jobs: statements need a transaction */
    int wtxn;               /* a write transaction is open (bo_db_begin(db, 1)) */
    bo_store_err last;      /* the last statement's outcome */
    char err[256];
};

typedef struct bo_job {
    bo_job_fn fn;
    void *arg;
    bo_store_err result;
    int done;
    pthread_cond_t cv;      /* signalled with done, under store->qmu */
    struct bo_job *next;
} bo_job;

struct bo_store {
    const bo_engine *eng;
    bo_db *dbs;
    int n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_mutex_t wmu;    /* the writer queue (serialize_writes) */

    /* Group commit: the writer thread, its connection and its queue.  The
     * writer starts with the first job, so a store opened only to read
     * (tools, tests) never connects it. */
    int group;
    int batch_max;
    bo_store_cfg cfg;       /* for connecting the writer; spec is copied */
    char *spec;
    bo_db writer;
    pthread_t wthread;
    int wstarted;
    int stopping;
    pthread_mutex_t qmu;
    pthread_cond_t qcv;     /* the writer waits here for jobs */
    bo_job *qhead, *qtail;
    bo_job **batch;         /* the writer's batch_max slots */
    bo_store_stats stats;   /* under qmu */
};

const char *bo_store_strerror(bo_store_err e)
{
    switch (e) {
    case BO_STORE_OK: return "ok";
    case BO_STORE_ENOMEM: return "out of memory";
    case BO_STORE_EOPEN: return "cannot open the database";
    case BO_STORE_ESQL: return "SQL statement failed";
    case BO_STORE_ECONSTRAINT: return "constraint violated";
    case BO_STORE_EBUSY: return "conflicting transaction";
    case BO_STORE_EUNAVAILABLE: return "database unavailable (full, read-only or disconnected)";
    case BO_STORE_EARG: return "bad argument";
    case BO_STORE_EPENDING: return "statement not sent yet";
    }
    return "unknown store error";
}

bo_rows *bo_rows_new(int ncols)
{
    bo_rows *r = calloc(1, sizeof *r);
    if (r)
        r->ncols = ncols;
    return r;
}

int bo_rows_add(bo_rows *r, const char *const *cells, const size_t *lens)
{
    size_t have = (size_t)r->nrows * (size_t)r->ncols;
    char **nc = realloc(r->cells, (have + (size_t)r->ncols) * sizeof *nc);
    if (!nc && r->ncols > 0)
        return -1;
    if (r->ncols > 0)
        r->cells = nc;
    for (int i = 0; i < r->ncols; i++) {
        nc[have + (size_t)i] = NULL;
        if (cells[i]) {
            char *c = malloc(lens[i] + 1);
            if (!c) {
                for (int j = 0; j < i; j++)
                    free(nc[have + (size_t)j]);
                return -1;
            }
            memcpy(c, cells[i], lens[i]);
            c[lens[i]] = '\0';
            nc[have + (size_t)i] = c;
        }
    }
    r->nrows++;
    return 0;
}

const char *bo_rows_get(const bo_rows *r, int row, int col)
{
    if (!r || row < 0 || col < 0 || row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

void bo_rows_free(bo_rows *r)
{
    if (!r)
        return;
    size_t n = (size_t)r->nrows * (size_t)r->ncols;
    for (size_t i = 0; i < n; i++)
        free(r->cells[i]);
    free(r->cells);
    free(r);
}

static int is_pg_spec(const char *spec)
{
    return strncmp(spec, "postgres://", 11) == 0 ||
           strncmp(spec, "postgresql://", 13) == 0 ||
           strstr(spec, "dbname=") != NULL || strstr(spec, "host=") != NULL;
}

bo_store_err bo_db_exec(bo_db *db, const char *sql, int n,
                        const char *const *params, bo_rows **out)
{
    if (out)
        *out = NULL;
    db->err[0] = '\0';
    /* A job's statement after a failure that ended the batch's transaction
     * would run, and commit, on its own: refuse it. */
    if (db->in_job && !db->eng->in_txn(db->conn)) {
        snprintf(db->err, sizeof db->err, "the write transaction has ended");
        return db->last = BO_STORE_EUNAVAILABLE;
    }
    return db->last = db->eng->exec(db->conn, sql, n, params, out, db->err, sizeof db->err);
}

bo_store_err bo_db_exec_many(bo_db *db, const bo_stmt *st, int n, int *failed)
{
    db->err[0] = '\0';
    for (int i = 0; i < n; i++)
        if (st[i].out)
            *st[i].out = NULL;
    if (failed)
        *failed = n;
    if (db->in_job && !db->eng->in_txn(db->conn)) {
        snprintf(db->err, sizeof db->err, "the write transaction has ended");
        if (failed)
            *failed = 0;
        return db->last = BO_STORE_EUNAVAILABLE;
    }
    if (db->eng->exec_many)
        return db->last = db->eng->exec_many(db->conn, st, n, failed, db->err, sizeof db->err);
    for (int i = 0; i < n; i++) {
        bo_store_err e = bo_db_exec(db, st[i].sql, st[i].n, st[i].params, st[i].out);
        if (e != BO_STORE_OK) {
            if (failed)
                *failed = i;
            for (int k = 0; k < i; k++)
                if (st[k].out) {
                    bo_rows_free(*st[k].out);
                    *st[k].out = NULL;
                }
            return e;
        }
    }
    return BO_STORE_OK;
}

int bo_db_held(const bo_db *db)
{
    return db->wtxn && db->eng->hold;
}

bo_store_err bo_db_exec_later(bo_db *db, const char *sql, int n,
                              const char *const *params)
{
    if (!bo_db_held(db))
        return bo_db_exec(db, sql, n, params, NULL);
    db->err[0] = '\0';
    return db->last = db->eng->hold(db->conn, sql, n, params, NULL, NULL);
}

bo_store_err bo_db_exec_later_rows(bo_db *db, const char *sql, int n,
                                   const char *const *params, bo_rows **out,
                                   bo_store_err *status)
{
    if (!bo_db_held(db)) {
        bo_store_err e = bo_db_exec(db, sql, n, params, out);
        if (status)
            *status = e;
        return e;
    }
    db->err[0] = '\0';
    return db->last = db->eng->hold(db->conn, sql, n, params, out, status);
}

bo_store_err bo_db_flush(bo_db *db)
{
    if (!bo_db_held(db))
        return BO_STORE_OK;
    return bo_db_exec_many(db, NULL, 0, NULL);
}

bo_store_err bo_db_last_err(const bo_db *db)
{
    return db->last;
}

int bo_db_lock_stmt(bo_db *db, const char *name, bo_lock_buf *b, bo_stmt *st)
{
    b->rows = NULL;
    if (!db->eng->try_lock)
        return 0;
    /* The lock is a 64-bit integer: the first 8 bytes of the name's
     * SHA-256, so that distinct names practically never share one. */
    char h[65];
    uint64_t v = 0;
    if (bo_sha256_hex(name, strlen(name), h) == 0)
        for (int i = 0; i < 16; i++)
            v = v << 4 | (uint64_t)(h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
    snprintf(b->num, sizeof b->num, "%lld", (long long)(int64_t)v);
    b->params[0] = b->num;
    st->sql = db->eng->try_lock;
    st->n = 1;
    st->params = b->params;
    st->out = &b->rows;
    return 1;
}

int bo_lock_taken(const bo_lock_buf *b)
{
    const char *c = bo_rows_get(b->rows, 0, 0);
    return c && (c[0] == 't' || c[0] == '1');
}

bo_store_err bo_db_try_lock(bo_db *db, const char *name, int *got)
{
    *got = 1;
    bo_lock_buf b;
    bo_stmt st;
    if (!bo_db_lock_stmt(db, name, &b, &st))
        return BO_STORE_OK;
    bo_store_err e = bo_db_exec_many(db, &st, 1, NULL);
    if (e == BO_STORE_OK)
        *got = bo_lock_taken(&b);
    bo_rows_free(b.rows);
    return e;
}

static void release_write(bo_db *db)
{
    if (db->holds_write) {
        db->holds_write = 0;
        pthread_mutex_unlock(&db->store->wmu);
    }
}

bo_store_err bo_db_begin(bo_db *db, int write)
{
    if (write && db->eng->serialize_writes && !db->holds_write) {
        pthread_mutex_lock(&db->store->wmu);
        db->holds_write = 1;
    }
    bo_store_err e;
    if (write && db->eng->hold) {
        /* Sent with the transaction's first statement. */
        db->err[0] = '\0';
        e = db->last = db->eng->hold(db->conn, db->eng->begin_write, 0, NULL, NULL, NULL);
    } else {
        e = bo_db_exec(db, write ? db->eng->begin_write : db->eng->begin_read, 0, NULL, NULL);
    }
    if (e != BO_STORE_OK)
        release_write(db);
    else if (write)
        db->wtxn = 1;
    return e;
}

bo_store_err bo_db_commit(bo_db *db)
{
    /* Held statements go out with the COMMIT. */
    bo_store_err e = bo_db_exec(db, "COMMIT", 0, NULL, NULL);
    if (e != BO_STORE_OK) {
        /* A failed COMMIT leaves SQLite's transaction open; end it so the
         * connection goes back to the pool clean. */
        char keep[sizeof db->err];
        memcpy(keep, db->err, sizeof keep);
        bo_db_rollback(db);
        memcpy(db->err, keep, sizeof keep);
        db->last = e;
    }
    db->wtxn = 0;
    release_write(db);
    return e;
}

void bo_db_rollback(bo_db *db)
{
    /* Nothing to roll back if even the BEGIN was held, or if a failure
     * (or a failed COMMIT) has ended the transaction already. */
    int unsent = db->eng->discard && db->eng->discard(db->conn);
    if (!unsent && db->eng->in_txn(db->conn))
        (void)bo_db_exec(db, "ROLLBACK", 0, NULL, NULL);
    db->wtxn = 0;
    release_write(db);
}

const char *bo_db_errmsg(const bo_db *db)
{
    return db->err;
}

static bo_store_err migrate(bo_db *db, char *err, size_t errlen)
{
    bo_store_err e;
    for (int attempt = 0; attempt < 50; attempt++) {
        e = bo_db_begin(db, 1);
        if (e == BO_STORE_OK && db->eng->migration_lock)
            e = bo_db_exec(db, db->eng->migration_lock, 0, NULL, NULL);
        if (e == BO_STORE_OK)
            e = bo_db_exec(db, "CREATE TABLE IF NOT EXISTS bo_migrations "
                               "(version INTEGER PRIMARY KEY)", 0, NULL, NULL);
        bo_rows *r = NULL;
        if (e == BO_STORE_OK)
            e = bo_db_exec(db, "SELECT COALESCE(MAX(version), 0) FROM bo_migrations",
                           0, NULL, &r);
        int have = 0;
        if (e == BO_STORE_OK && bo_rows_get(r, 0, 0))
            have = atoi(bo_rows_get(r, 0, 0));
        bo_rows_free(r);
        for (int v = have; e == BO_STORE_OK && v < bo_migration_count; v++) {
            for (const char *const *st = bo_migrations[v]; *st && e == BO_STORE_OK; st++)
                e = bo_db_exec(db, *st, 0, NULL, NULL);
            char vs[16];
            snprintf(vs, sizeof vs, "%d", v + 1);
            const char *p[1] = { vs };
            if (e == BO_STORE_OK)
                e = bo_db_exec(db, "INSERT INTO bo_migrations (version) VALUES ($1)",
                               1, p, NULL);
        }
        if (e == BO_STORE_OK)
            e = bo_db_commit(db);
        else
            bo_db_rollback(db);
        /* Two servers creating the schema at once may collide once. */
        if (e != BO_STORE_EBUSY && e != BO_STORE_ECONSTRAINT)
            break;
    }
    if (e != BO_STORE_OK && err)
        snprintf(err, errlen, "migrating the schema: %s: %s",
                 bo_store_strerror(e), db->err);
    return e;
}

bo_store_err bo_store_open(const bo_store_cfg *cfg, bo_store **out,
                           char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!cfg || !cfg->spec || !cfg->spec[0]) {
        if (err)
            snprintf(err, errlen, "database: no database given");
        return BO_STORE_EARG;
    }
    bo_store *s = calloc(1, sizeof *s);
    if (!s)
        return BO_STORE_ENOMEM;
    s->eng = is_pg_spec(cfg->spec) ? &bo_engine_pg : &bo_engine_sqlite;
    s->n = cfg->pool_size > 0 ? cfg->pool_size : 4;
    s->dbs = calloc((size_t)s->n, sizeof *s->dbs);
    if (!s->dbs) {
        free(s);
        return BO_STORE_ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->wmu, NULL);
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    s->group = cfg->group_commit > 0 || (cfg->group_commit == 0 && s->eng->group_commit);
    s->batch_max = cfg->batch_max > 0 ? cfg->batch_max : 64;
    s->cfg = *cfg;
    s->writer.eng = s->eng;
    s->writer.store = s;
    if (s->group && !(s->spec = strdup(cfg->spec))) {
        bo_store_close(s);
        return BO_STORE_ENOMEM;
    }
    s->cfg.spec = s->spec;
    bo_store_err e = BO_STORE_OK;
    for (int i = 0; i < s->n; i++) {
        s->dbs[i].eng = s->eng;
        s->dbs[i].store = s;
        e = s->eng->connect(cfg, &s->dbs[i].conn, err, errlen);
        if (e != BO_STORE_OK)
            break;
        /* The first connection creates and migrates the schema before the
         * others open, so they never see half a schema. */
        if (i == 0 && (e = migrate(&s->dbs[0], err, errlen)) != BO_STORE_OK)
            break;
    }
    if (e != BO_STORE_OK) {
        bo_store_close(s);
        return e;
    }
    *out = s;
    return BO_STORE_OK;
}

void bo_store_close(bo_store *s)
{
    if (!s)
        return;
    /* The writer finishes every queued job before it stops. */
    pthread_mutex_lock(&s->qmu);
    s->stopping = 1;
    int started = s->wstarted;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    if (started)
        pthread_join(s->wthread, NULL);
    if (s->writer.conn)
        s->eng->disconnect(s->writer.conn);
    for (int i = 0; i < s->n; i++)
        if (s->dbs[i].conn)
            s->eng->disconnect(s->dbs[i].conn);
    free(s->dbs);
    free(s->spec);
    free(s->batch);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->wmu);
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
    free(s);
}

const char *bo_store_engine(const bo_store *s)
{
    return s->eng->name;
}

bo_db *bo_store_acquire(bo_store *s)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (int i = 0; i < s->n; i++) {
            if (!s->dbs[i].lent) {
                s->dbs[i].lent = 1;
                pthread_mutex_unlock(&s->mu);
                return &s->dbs[i];
            }
        }
        pthread_cond_wait(&s->cv, &s->mu);
    }
}

void bo_store_release(bo_store *s, bo_db *db)
{
    if (!db)
        return;
    /* A connection goes back clean: a write transaction left open (and the
     * statements it held) is rolled back, not handed to the next user. */
    if (db->wtxn)
        bo_db_rollback(db);
    pthread_mutex_lock(&s->mu);
    db->lent = 0;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- group commit ---- */

/* Runs one statement of the writer's own (BEGIN, SAVEPOINT, COMMIT...). */
static bo_store_err ctl(bo_db *db, const char *sql)
{
    db->err[0] = '\0';
    return db->last = db->eng->exec(db->conn, sql, 0, NULL, NULL, db->err, sizeof db->err);
}

/* Runs jobs[0..n) in one write transaction on db and sets each job's
 * result.  A batch of one needs no savepoint: undoing the job is rolling
 * the transaction back. */
static void run_batch(bo_db *db, bo_job **jobs, int n)
{
    int solo = n == 1;
    for (int i = 0; i < n; i++)
        jobs[i]->result = BO_STORE_OK;
    bo_store_err e = bo_db_begin(db, 1);
    int open = e == BO_STORE_OK; /* the transaction is still ours to commit */
    for (int i = 0; i < n && open; i++) {
        for (int run = 0; run < BO_JOB_MAX_RUNS; run++) {
            if (!solo && (e = ctl(db, "SAVEPOINT bo_job")) != BO_STORE_OK) {
                open = 0;
                break;
            }
            db->in_job = 1;
            bo_job_result res = jobs[i]->fn(db, jobs[i]->arg, run);
            db->in_job = 0;
            if (res == BO_JOB_KEEP) {
                if (solo || (e = ctl(db, "RELEASE bo_job")) == BO_STORE_OK)
                    break;
                /* A statement the job had held failed when it went out
                 * with the RELEASE: this job failed, the others need not. */
                jobs[i]->result = e;
                res = BO_JOB_UNDO;
            }
            if (solo) {
                /* The whole transaction was this job's. */
                bo_db_rollback(db);
                if (res == BO_JOB_UNDO || run == BO_JOB_MAX_RUNS - 1)
                    return;
                if ((e = bo_db_begin(db, 1)) != BO_STORE_OK) {
                    open = 0;
                    break;
                }
                continue;
            }
            /* Failing here means the transaction is gone (a full disk, a
             * lost connection): the batch with it. */
            if ((e = ctl(db, "ROLLBACK TO bo_job")) != BO_STORE_OK ||
                (e = ctl(db, "RELEASE bo_job")) != BO_STORE_OK) {
                open = 0;
                break;
            }
            if (res == BO_JOB_UNDO)
                break;
        }
    }
    if (open) {
        e = bo_db_commit(db);
    } else {
        if (e == BO_STORE_OK || e == BO_STORE_ESQL)
            e = BO_STORE_EUNAVAILABLE;
        if (db->wtxn)
            bo_db_rollback(db);
    }
    if (e != BO_STORE_OK)
        for (int i = 0; i < n; i++)
            jobs[i]->result = e;
}

/* Under qmu. */
static void count(bo_store *s, bo_job **b, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed |= b[i]->result != BO_STORE_OK;
    s->stats.jobs += n;
    s->stats.batches++;
    s->stats.failed += failed;
    if (n > s->stats.largest)
        s->stats.largest = n;
}

static void *writer_main(void *arg)
{
    bo_store *s = arg;
    pthread_mutex_lock(&s->qmu);
    for (;;) {
        while (!s->qhead && !s->stopping)
            pthread_cond_wait(&s->qcv, &s->qmu);
        if (!s->qhead)
            break;
        /* Everything queued while the last batch ran, and no waiting for
         * more. */
        bo_job **b = s->batch;
        int n = 0;
        while (s->qhead && n < s->batch_max) {
            b[n++] = s->qhead;
            s->qhead = s->qhead->next;
            s->stats.queued--;
        }
        if (!s->qhead)
            s->qtail = NULL;
        pthread_mutex_unlock(&s->qmu);

        run_batch(&s->writer, b, n);

        pthread_mutex_lock(&s->qmu);
        count(s, b, n);
        for (int i = 0; i < n; i++) {
            b[i]->done = 1;
            pthread_cond_signal(&b[i]->cv);
        }
    }
    pthread_mutex_unlock(&s->qmu);
    return NULL;
}

/* Under qmu: connects the writer and starts its thread. */
static bo_store_err start_writer(bo_store *s)
{
    char err[256];
    if (!s->batch && !(s->batch = malloc((size_t)s->batch_max * sizeof *s->batch)))
        return BO_STORE_ENOMEM;
    bo_store_err e = s->eng->connect(&s->cfg, &s->writer.conn, err, sizeof err);
    if (e != BO_STORE_OK) {
        snprintf(s->writer.err, sizeof s->writer.err, "%s", err);
        s->writer.conn = NULL;
        return e;
    }
    if (pthread_create(&s->wthread, NULL, writer_main, s) != 0) {
        s->eng->disconnect(s->writer.conn);
        s->writer.conn = NULL;
        return BO_STORE_ENOMEM;
    }
    s->wstarted = 1;
    return BO_STORE_OK;
}

bo_store_err bo_store_write(bo_store *s, bo_job_fn fn, void *arg)
{
    bo_job job = { .fn = fn, .arg = arg, .result = BO_STORE_OK };
    if (!s->group) {
        /* One transaction per job, on a pooled connection in this thread. */
        bo_db *db = bo_store_acquire(s);
        bo_job *one[1] = { &job };
        run_batch(db, one, 1);
        bo_store_release(s, db);
        pthread_mutex_lock(&s->qmu);
        count(s, one, 1);
        pthread_mutex_unlock(&s->qmu);
        return job.result;
    }
    pthread_cond_init(&job.cv, NULL);
    pthread_mutex_lock(&s->qmu);
    bo_store_err e = BO_STORE_OK;
    if (s->stopping)
        e = BO_STORE_EUNAVAILABLE;
    else if (!s->wstarted)
        e = start_writer(s);
    if (e == BO_STORE_OK) {
        if (s->qtail)
            s->qtail->next = &job;
        else
            s->qhead = &job;
        s->qtail = &job;
        s->stats.queued++;
        pthread_cond_signal(&s->qcv);
        while (!job.done)
            pthread_cond_wait(&job.cv, &s->qmu);
        e = job.result;
    }
    pthread_mutex_unlock(&s->qmu);
    pthread_cond_destroy(&job.cv);
    return e;
}

void bo_store_get_stats(bo_store *s, bo_store_stats *out)
{
    pthread_mutex_lock(&s->qmu);
    *out = s->stats;
    pthread_mutex_unlock(&s->qmu);
}
