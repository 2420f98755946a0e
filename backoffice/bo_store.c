/*
 * bo_store: the connection pool, transactions and migrations shared by the
 * SQLite and PostgreSQL engines (see bo_store.h for the contract).
 */
#include "backoffice/bo_store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bo_db {
    const bo_engine *eng;
    struct bo_store *store;
    void *conn;
    int lent;
    int holds_write;        /* holds store->wmu */
    char err[256];
};

struct bo_store {
    const bo_engine *eng;
    bo_db *dbs;
    int n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_mutex_t wmu;    /* the writer queue (serialize_writes) */
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
    return db->eng->exec(db->conn, sql, n, params, out, db->err, sizeof db->err);
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
    bo_store_err e = bo_db_exec(db, write ? db->eng->begin_write : db->eng->begin_read,
                                0, NULL, NULL);
    if (e != BO_STORE_OK)
        release_write(db);
    return e;
}

bo_store_err bo_db_commit(bo_db *db)
{
    bo_store_err e = bo_db_exec(db, "COMMIT", 0, NULL, NULL);
    if (e != BO_STORE_OK) {
        /* A failed COMMIT leaves SQLite's transaction open; end it so the
         * connection goes back to the pool clean. */
        char keep[sizeof db->err];
        memcpy(keep, db->err, sizeof keep);
        bo_db_rollback(db);
        memcpy(db->err, keep, sizeof keep);
    }
    release_write(db);
    return e;
}

void bo_db_rollback(bo_db *db)
{
    (void)bo_db_exec(db, "ROLLBACK", 0, NULL, NULL);
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
    for (int i = 0; i < s->n; i++)
        if (s->dbs[i].conn)
            s->eng->disconnect(s->dbs[i].conn);
    free(s->dbs);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->wmu);
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
    pthread_mutex_lock(&s->mu);
    db->lent = 0;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}
