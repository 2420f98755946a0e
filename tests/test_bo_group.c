/*
 * Group commit in civictv-backoffice (issue 6, "Durability": a 201 only
 * after the transaction is on disk, many requests in one transaction).
 *
 * Run on SQLite (a file in a temporary directory) and, when CIVICTV_PG
 * holds a connection string, on PostgreSQL (its schema public is dropped
 * and made again: give a scratch database).  The store's group commit is
 * forced on for both engines here (PostgreSQL runs one transaction per
 * request by default), so that the batching machinery is tested on each.
 *
 * To put chosen jobs in one batch, a "gate" job holds the writer thread
 * while the others queue (bo_store_get_stats().queued counts them), then
 * lets it go: everything queued runs as the next batch.  Asserted:
 *  - store level: jobs in one batch commit together; a job whose statement
 *    fails, one that undoes itself and one that asks for a retry are rolled
 *    back alone and the others' rows are stored; a job whose held statement
 *    fails when it goes out is answered an error alone; a batch whose COMMIT
 *    fails (a deferred foreign key) answers every job an error and stores
 *    nothing of any; a job that ends the transaction cannot then write
 *    outside it, and its batch fails whole; a batch of one undoes and
 *    retries by rolling back; a job that carries on after a failed
 *    statement is never told it committed (PostgreSQL's COMMIT of an
 *    aborted transaction only rolls back);
 *  - API level (bo_app_handle, no HTTP): payment creations, a replay, a
 *    reused key (422), a stored client error (404) and a failing raw job in
 *    one batch each get their own right answer; a batch whose COMMIT fails
 *    answers every creation 503 problem+json with Retry-After, stores no
 *    payment and no Idempotency-Key, and the same keys then create normally;
 *    a second request with a key whose first is queued gets 409 at once
 *    (422 after it settled, for another body); an API key deleted from
 *    the database stops working within the 5 s it may be believed;
 *  - crash: the real server binary ($CIVICTV_BUILD/civictv-backoffice) with
 *    32 worker threads and group commit on, 24 clients creating payments
 *    with their own keys, killed with SIGKILL mid-load after its /health
 *    has shown batches of more than one: after a restart every 201 is in
 *    the database as answered, nothing else is, and retrying every key
 *    leaves exactly one payment per key, the one the client was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_app.h"
#include "backoffice/bo_server.h"
#include "backoffice/bo_store.h"
#include "backoffice/bo_util.h"

#define TENANT "groupco"
#define TV_KEY "tv-group-test"
#define ADMIN_KEY "admin-group-test"

static char g_spec[1024];
static char g_dir[64];
static int g_pg;                 /* the engine under test is PostgreSQL */
static bo_store *g_store;        /* group commit forced on */
static bo_app *g_app;
static pid_t g_server = -1;

/* ---- fixtures ---- */

static void fx(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_store_err e = bo_db_exec(db, sql, n, p, NULL);
    if (e != BO_STORE_OK)
        fail_msg("%s: %s", sql, bo_db_errmsg(db));
    bo_store_release(g_store, db);
}

static long fx_count(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_rows *r = NULL;
    if (bo_db_exec(db, sql, n, p, &r) != BO_STORE_OK)
        fail_msg("%s: %s", sql, bo_db_errmsg(db));
    long v = atol(bo_rows_get(r, 0, 0));
    bo_rows_free(r);
    bo_store_release(g_store, db);
    return v;
}

static void add_key(const char *key, const char *role)
{
    char h[65];
    bo_sha256_hex(key, strlen(key), h);
    const char *k[4] = { h, TENANT, role, "group test" };
    fx("INSERT INTO api_keys (key_hash, tenant_id, role, label) VALUES ($1, $2, $3, $4)", 4, k);
}

static int reset_pg(const char *spec)
{
    PGconn *c = PQconnectdb(spec);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "CIVICTV_PG: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, "SET client_min_messages = warning; "
                            "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* Opens the store (group commit on) and the app on g_spec, with the test's
 * tenant, keys and its own two tables: gc_parent, and gc_child whose
 * foreign key is checked only at COMMIT, which is how a test makes a
 * COMMIT fail on either engine. */
static int open_all(void)
{
    bo_store_cfg sc = { .spec = g_spec, .pool_size = 40, .group_commit = 1 };
    char err[512];
    if (bo_store_open(&sc, &g_store, err, sizeof err) != BO_STORE_OK) {
        fprintf(stderr, "store: %s\n", err);
        return -1;
    }
    const char *t[3] = { TENANT, "Group Commit Council", "1000000" };
    fx("INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)", 3, t);
    add_key(TV_KEY, "tv");
    add_key(ADMIN_KEY, "admin");
    fx("CREATE TABLE gc_parent (id TEXT PRIMARY KEY)", 0, NULL);
    fx("CREATE TABLE gc_child (id TEXT PRIMARY KEY, parent TEXT "
       "REFERENCES gc_parent(id) DEFERRABLE INITIALLY DEFERRED)", 0, NULL);
    bo_config cfg;
    bo_config_defaults(&cfg);
    if (bo_app_create(g_store, &cfg, "http://group.test", &g_app) != 0)
        return -1;
    return 0;
}

static int setup_sqlite(void **state)
{
    (void)state;
    g_pg = 0;
    snprintf(g_dir, sizeof g_dir, "/tmp/bo-group-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_spec, sizeof g_spec, "%s/group.db", g_dir);
    return open_all();
}

static int setup_pg(void **state)
{
    (void)state;
    g_pg = 1;
    const char *pg = getenv("CIVICTV_PG");
    if (!pg || !*pg) {
        g_spec[0] = '\0';
        return 0; /* each test skips */
    }
    snprintf(g_spec, sizeof g_spec, "%s", pg);
    if (reset_pg(pg) != 0)
        return -1;
    return open_all();
}

static int teardown(void **state)
{
    (void)state;
    if (g_server > 0) {
        kill(g_server, SIGKILL);
        waitpid(g_server, NULL, 0);
        g_server = -1;
    }
    bo_app_destroy(g_app);
    g_app = NULL;
    bo_store_close(g_store);
    g_store = NULL;
    if (g_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_bo_group: could not remove %s\n", g_dir);
        g_dir[0] = '\0';
    }
    return 0;
}

#define NEED_ENGINE()                                                               \
    do {                                                                            \
        if (!g_store) {                                                             \
            fprintf(stderr, "test_bo_group: CIVICTV_PG is not set: PostgreSQL "    \
                            "skipped\n");                                           \
            skip();                                                                 \
        }                                                                           \
    } while (0)

/* ---- holding the writer ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
} gate_t;

static gate_t g_gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static bo_job_result gate_job(bo_db *db, void *arg, int run)
{
    (void)db;
    (void)run;
    gate_t *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return BO_JOB_KEEP;
}

static void *gate_thread(void *arg)
{
    (void)arg;
    bo_store_err e = bo_store_write(g_store, gate_job, &g_gate);
    return (void *)(intptr_t)e;
}

static pthread_t g_gate_th;

/* Starts a gate job and returns once the writer is inside it. */
static void gate_close(void)
{
    g_gate.entered = 0;
    g_gate.open = 0;
    assert_int_equal(pthread_create(&g_gate_th, NULL, gate_thread, NULL), 0);
    pthread_mutex_lock(&g_gate.mu);
    while (!g_gate.entered)
        pthread_cond_wait(&g_gate.cv, &g_gate.mu);
    pthread_mutex_unlock(&g_gate.mu);
}

/* Waits (bounded) until n jobs are queued behind the gate. */
static void wait_queued(long n)
{
    bo_store_stats st;
    for (int i = 0; i < 3000; i++) {
        bo_store_get_stats(g_store, &st);
        if (st.queued >= n)
            return;
        usleep(2000); /* polling a counter, not a timed assertion */
    }
    fail_msg("only %ld of %ld jobs queued", st.queued, n);
}

static void gate_open(void)
{
    pthread_mutex_lock(&g_gate.mu);
    g_gate.open = 1;
    pthread_cond_broadcast(&g_gate.cv);
    pthread_mutex_unlock(&g_gate.mu);
    void *rv;
    pthread_join(g_gate_th, &rv);
    assert_int_equal((int)(intptr_t)rv, BO_STORE_OK);
}

/* ---- store-level jobs ---- */

typedef enum {
    J_INSERT,        /* inserts id into gc_parent, keeps it */
    J_DUPLICATE,     /* inserts an id that exists: the statement fails, undo */
    J_UNDO,          /* inserts id, then undoes itself */
    J_RETRY_ONCE,    /* inserts id and asks for a retry; keeps it the 2nd time */
    J_HELD_FAILS,    /* holds an insert of an existing id, keeps: fails late */
    J_POISON,        /* a gc_child row with no parent: the COMMIT fails */
    J_BREAK,         /* ends the transaction, then tries to write anyway */
    J_IGNORE         /* a statement fails; the job keeps anyway (a bug) */
} job_kind;

typedef struct {
    job_kind kind;
    char id[32];
    int runs;
    bo_store_err stmt;   /* what the job's last statement returned */
    bo_store_err result; /* what bo_store_write returned */
} job_t;

static bo_job_result test_job(bo_db *db, void *arg, int run)
{
    job_t *j = arg;
    j->runs = run + 1;
    const char *p[1] = { j->id };
    switch (j->kind) {
    case J_INSERT:
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        return j->stmt == BO_STORE_OK ? BO_JOB_KEEP : BO_JOB_UNDO;
    case J_DUPLICATE:
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        return j->stmt == BO_STORE_OK ? BO_JOB_KEEP : BO_JOB_UNDO;
    case J_UNDO:
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        return BO_JOB_UNDO;
    case J_RETRY_ONCE:
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        if (j->stmt != BO_STORE_OK)
            return BO_JOB_UNDO;
        return run == 0 ? BO_JOB_RETRY : BO_JOB_KEEP;
    case J_HELD_FAILS:
        j->stmt = bo_db_exec_later(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p);
        return j->stmt == BO_STORE_OK ? BO_JOB_KEEP : BO_JOB_UNDO;
    case J_POISON: {
        const char *c[2] = { j->id, "no-such-parent" };
        j->stmt = bo_db_exec(db, "INSERT INTO gc_child (id, parent) VALUES ($1, $2)", 2, c, NULL);
        return BO_JOB_KEEP;
    }
    case J_BREAK:
        (void)bo_db_exec(db, "ROLLBACK", 0, NULL, NULL);
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        return BO_JOB_KEEP;
    case J_IGNORE: {
        const char *q[1] = { "exists-ignore" };
        (void)bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, q, NULL);
        j->stmt = bo_db_exec(db, "INSERT INTO gc_parent (id) VALUES ($1)", 1, p, NULL);
        return BO_JOB_KEEP;
    }
    }
    return BO_JOB_UNDO;
}

static void *job_thread(void *arg)
{
    job_t *j = arg;
    j->result = bo_store_write(g_store, test_job, j);
    return NULL;
}

/* Runs jobs[0..n) as one batch (behind the gate) and checks it was one. */
static void run_batch(job_t *jobs, int n)
{
    bo_store_stats before, after;
    gate_close();
    bo_store_get_stats(g_store, &before);
    pthread_t th[32];
    assert_true(n <= 32);
    for (int i = 0; i < n; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, job_thread, &jobs[i]), 0);
        wait_queued(i + 1); /* queued in this order */
    }
    gate_open();
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    bo_store_get_stats(g_store, &after);
    /* The gate's own batch, then exactly one more. */
    assert_int_equal(after.batches - before.batches, 2);
    assert_true(after.largest >= n);
}

static long parent_rows(const char *id)
{
    const char *p[1] = { id };
    return fx_count("SELECT COUNT(*) FROM gc_parent WHERE id = $1", 1, p);
}

static void t_batch_commits_together(void **state)
{
    (void)state;
    NEED_ENGINE();
    job_t jobs[12];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 12; i++) {
        jobs[i].kind = J_INSERT;
        snprintf(jobs[i].id, sizeof jobs[i].id, "together-%d", i);
    }
    run_batch(jobs, 12);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(jobs[i].result, BO_STORE_OK);
        assert_int_equal(jobs[i].runs, 1);
        assert_int_equal(parent_rows(jobs[i].id), 1);
    }
}

static void t_failing_job_alone(void **state)
{
    (void)state;
    NEED_ENGINE();
    const char *p[1] = { "exists-1" };
    fx("INSERT INTO gc_parent (id) VALUES ($1)", 1, p);
    job_t jobs[7];
    memset(jobs, 0, sizeof jobs);
    job_kind kinds[7] = { J_INSERT, J_DUPLICATE, J_INSERT, J_UNDO, J_RETRY_ONCE,
                          J_HELD_FAILS, J_INSERT };
    for (int i = 0; i < 7; i++) {
        jobs[i].kind = kinds[i];
        snprintf(jobs[i].id, sizeof jobs[i].id, "alone-%d", i);
    }
    snprintf(jobs[1].id, sizeof jobs[1].id, "exists-1");
    snprintf(jobs[5].id, sizeof jobs[5].id, "exists-1");
    run_batch(jobs, 7);
    /* The plain inserts around the failures are stored. */
    for (int i = 0; i <= 6; i += i == 2 ? 4 : 2) {
        assert_int_equal(jobs[i].result, BO_STORE_OK);
        assert_int_equal(parent_rows(jobs[i].id), 1);
    }
    /* The failed statement was seen by its job, which undid itself; the
     * batch went on. */
    assert_int_equal(jobs[1].stmt, BO_STORE_ECONSTRAINT);
    assert_int_equal(jobs[1].result, BO_STORE_OK);
    assert_int_equal(parent_rows("exists-1"), 1);
    /* Undone: not stored, but settled. */
    assert_int_equal(jobs[3].result, BO_STORE_OK);
    assert_int_equal(parent_rows(jobs[3].id), 0);
    /* Retried: its first run was rolled back (else the second insert of
     * the same id would have failed), its second kept. */
    assert_int_equal(jobs[4].runs, 2);
    assert_int_equal(jobs[4].stmt, BO_STORE_OK);
    assert_int_equal(jobs[4].result, BO_STORE_OK);
    assert_int_equal(parent_rows(jobs[4].id), 1);
    /* A held statement that fails late: where statements are held
     * (PostgreSQL) its job alone is answered the error; where they run at
     * once (SQLite) the job saw it and undid itself. */
    if (g_pg) {
        assert_int_equal(jobs[5].stmt, BO_STORE_OK);
        assert_int_not_equal(jobs[5].result, BO_STORE_OK);
    } else {
        assert_int_equal(jobs[5].stmt, BO_STORE_ECONSTRAINT);
        assert_int_equal(jobs[5].result, BO_STORE_OK);
    }
}

static void t_commit_failure_fails_all(void **state)
{
    (void)state;
    NEED_ENGINE();
    job_t jobs[6];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 6; i++) {
        jobs[i].kind = i == 3 ? J_POISON : J_INSERT;
        snprintf(jobs[i].id, sizeof jobs[i].id, "doomed-%d", i);
    }
    run_batch(jobs, 6);
    for (int i = 0; i < 6; i++) {
        /* Every statement succeeded; the COMMIT did not. */
        assert_int_equal(jobs[i].stmt, BO_STORE_OK);
        assert_int_not_equal(jobs[i].result, BO_STORE_OK);
        assert_int_equal(parent_rows(jobs[i].id), 0);
    }
    assert_int_equal(fx_count("SELECT COUNT(*) FROM gc_child", 0, NULL), 0);
    /* The writer goes on. */
    job_t after = { .kind = J_INSERT, .id = "after-doom" };
    assert_int_equal(bo_store_write(g_store, test_job, &after), BO_STORE_OK);
    assert_int_equal(parent_rows("after-doom"), 1);
    bo_store_stats st;
    bo_store_get_stats(g_store, &st);
    assert_true(st.failed >= 1);
}

static void t_broken_transaction(void **state)
{
    (void)state;
    NEED_ENGINE();
    job_t jobs[3];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 3; i++) {
        jobs[i].kind = i == 1 ? J_BREAK : J_INSERT;
        snprintf(jobs[i].id, sizeof jobs[i].id, "broken-%d", i);
    }
    run_batch(jobs, 3);
    /* Once the transaction had ended, the job's insert was refused rather
     * than run (and committed) on its own. */
    assert_int_equal(jobs[1].stmt, BO_STORE_EUNAVAILABLE);
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(jobs[i].result, BO_STORE_OK);
        assert_int_equal(parent_rows(jobs[i].id), 0);
    }
    job_t after = { .kind = J_INSERT, .id = "after-broken" };
    assert_int_equal(bo_store_write(g_store, test_job, &after), BO_STORE_OK);
    assert_int_equal(parent_rows("after-broken"), 1);
}

static void t_batch_of_one(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* With the writer idle a job runs at once, alone: undo and retry are a
     * rollback of the whole transaction. */
    job_t u = { .kind = J_UNDO, .id = "solo-undo" };
    assert_int_equal(bo_store_write(g_store, test_job, &u), BO_STORE_OK);
    assert_int_equal(parent_rows("solo-undo"), 0);
    job_t r = { .kind = J_RETRY_ONCE, .id = "solo-retry" };
    assert_int_equal(bo_store_write(g_store, test_job, &r), BO_STORE_OK);
    assert_int_equal(r.runs, 2);
    assert_int_equal(parent_rows("solo-retry"), 1);
    job_t p = { .kind = J_POISON, .id = "solo-poison" };
    assert_int_not_equal(bo_store_write(g_store, test_job, &p), BO_STORE_OK);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM gc_child", 0, NULL), 0);
    /* A job that carries on after a failed statement: on PostgreSQL the
     * failure aborted the transaction, whose COMMIT then only rolls back;
     * that must come back as a failure, never as committed.  (On SQLite
     * a failed statement undoes only itself and the rest commits.) */
    const char *x[1] = { "exists-ignore" };
    fx("INSERT INTO gc_parent (id) VALUES ($1)", 1, x);
    job_t ig = { .kind = J_IGNORE, .id = "solo-ignore" };
    bo_store_err e = bo_store_write(g_store, test_job, &ig);
    if (g_pg) {
        assert_int_not_equal(e, BO_STORE_OK);
        assert_int_equal(parent_rows("solo-ignore"), 0);
    } else {
        assert_int_equal(e, BO_STORE_OK);
        assert_int_equal(parent_rows("solo-ignore"), 1);
    }
}

/* ---- API level ---- */

typedef struct {
    char auth[96];
    const char *idem;
    const char *method;
    char path[128];
    const char *body;
    bo_resp r;
} call_t;

static const char *fake_header(void *t, const char *name)
{
    call_t *c = t;
    if (strcasecmp(name, "Authorization") == 0)
        return c->auth;
    if (strcasecmp(name, "Idempotency-Key") == 0)
        return c->idem;
    if (strcasecmp(name, "Content-Type") == 0)
        return "application/json";
    return NULL;
}

static const char *fake_query(void *t, const char *name)
{
    (void)t;
    (void)name;
    return NULL;
}

static void call(call_t *c)
{
    bo_req req;
    memset(&req, 0, sizeof req);
    req.method = c->method ? c->method : "POST";
    req.path = c->path;
    req.body = c->body ? c->body : "";
    req.body_len = strlen(req.body);
    req.header = fake_header;
    req.query = fake_query;
    req.t = c;
    memset(&c->r, 0, sizeof c->r);
    c->r.retry_after = -1;
    bo_app_handle(g_app, &req, &c->r);
}

static void *call_thread(void *arg)
{
    call((call_t *)arg);
    return NULL;
}

static void call_init(call_t *c, const char *key, const char *idem, const char *path,
                      const char *body)
{
    memset(c, 0, sizeof *c);
    snprintf(c->auth, sizeof c->auth, "Bearer %s", key);
    c->idem = idem;
    snprintf(c->path, sizeof c->path, "%s", path);
    c->body = body;
}

static char *body_str(const bo_resp *r, const char *name)
{
    cJSON *o = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
    cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    char *s = cJSON_IsString(x) ? strdup(x->valuestring) : NULL;
    cJSON_Delete(o);
    return s;
}

static void assert_problem(const bo_resp *r, int status, const char *type)
{
    if (r->status != status)
        fail_msg("status %d, wanted %d: %.*s", r->status, status, (int)r->len,
                 r->body ? r->body : "");
    assert_string_equal(r->ctype, "application/problem+json");
    char *t = body_str(r, "type");
    assert_non_null(t);
    assert_string_equal(t, type);
    free(t);
}

static long payments_with_ref(const char *ref)
{
    const char *p[1] = { ref };
    return fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p);
}

static long keys_like(const char *pattern)
{
    const char *p[1] = { pattern };
    return fx_count("SELECT COUNT(*) FROM idempotency WHERE idem_key LIKE $1", 1, p);
}

/* Starts the calls behind the gate, counting the jobs they queue (want),
 * plus raw jobs queued after them, and lets them all run as one batch. */
static void run_calls(call_t *calls, int n, long want, job_t *raw, int nraw)
{
    bo_store_stats before, after;
    gate_close();
    bo_store_get_stats(g_store, &before);
    pthread_t th[32], rth[4];
    assert_true(n <= 32 && nraw <= 4);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&th[i], NULL, call_thread, &calls[i]), 0);
    wait_queued(want);
    for (int i = 0; i < nraw; i++) {
        assert_int_equal(pthread_create(&rth[i], NULL, job_thread, &raw[i]), 0);
        wait_queued(want + i + 1);
    }
    gate_open();
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < nraw; i++)
        pthread_join(rth[i], NULL);
    bo_store_get_stats(g_store, &after);
    assert_int_equal(after.batches - before.batches, 2);
    assert_true(after.largest >= want + nraw);
}

static void resp_free(bo_resp *r)
{
    free(r->body);
    r->body = NULL;
}

static void t_api_mixed_batch(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* Keys answered before the batch: one to replay, one to reuse. */
    const char *body0 = "{\"amount\":500,\"reference\":\"MIX-0\",\"description\":\"Mixed\"}";
    const char *body00 = "{\"amount\":500,\"reference\":\"MIX-00\",\"description\":\"Mixed\"}";
    call_t first, other;
    call_init(&first, TV_KEY, "mix-key-0", "/v1/payments", body0);
    call(&first);
    assert_int_equal(first.r.status, 201);
    call_init(&other, TV_KEY, "mix-key-00", "/v1/payments", body00);
    call(&other);
    assert_int_equal(other.r.status, 201);
    resp_free(&other.r);

    enum { NPAY = 6 };
    call_t c[NPAY + 4];
    char bodies[NPAY][160], keys[NPAY][32];
    for (int i = 0; i < NPAY; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"amount\":%d,\"reference\":\"MIX-%d\","
                 "\"description\":\"Mixed\"}", 100 + i, i + 1);
        snprintf(keys[i], sizeof keys[i], "mix-key-%d", i + 1);
        /* The last one without a key. */
        call_init(&c[i], TV_KEY, i == NPAY - 1 ? NULL : keys[i], "/v1/payments", bodies[i]);
    }
    call_init(&c[NPAY], TV_KEY, "mix-key-0", "/v1/payments", body0);         /* replay */
    call_init(&c[NPAY + 1], TV_KEY, "mix-key-00", "/v1/payments",
              "{\"amount\":501,\"reference\":\"MIX-00\",\"description\":\"Mixed\"}"); /* 422 */
    call_init(&c[NPAY + 2], ADMIN_KEY, "mix-cancel", "/v1/payments/"
              "aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel", NULL);                     /* 404 kept */
    call_init(&c[NPAY + 3], TV_KEY, "mix-key-99", "/v1/payments", bodies[0]); /* 2nd ref */
    /* And a raw job whose statement fails, in the same batch. */
    const char *p[1] = { "mix-exists" };
    fx("INSERT INTO gc_parent (id) VALUES ($1)", 1, p);
    job_t dup = { .kind = J_DUPLICATE, .id = "mix-exists" };
    const char *pa[1] = { "payment.create" };
    long audits = fx_count("SELECT COUNT(*) FROM audit WHERE action = $1", 1, pa);
    run_calls(c, NPAY + 4, NPAY + 4, &dup, 1);
    /* One audit row per payment created: the replay's and the reuse's
     * operations (run ahead of the key's verdict on PostgreSQL) left
     * nothing. */
    assert_int_equal(fx_count("SELECT COUNT(*) FROM audit WHERE action = $1", 1, pa),
                     audits + NPAY + 1);

    for (int i = 0; i < NPAY; i++) {
        assert_int_equal(c[i].r.status, 201);
        char ref[16];
        snprintf(ref, sizeof ref, "MIX-%d", i + 1);
        /* MIX-1 was sent twice under two keys: two payments. */
        assert_int_equal(payments_with_ref(ref), i == 0 ? 2 : 1);
        char *id = body_str(&c[i].r, "payment_id");
        char want[256];
        snprintf(want, sizeof want, "http://group.test/v1/payments/%s", id);
        assert_string_equal(c[i].r.location, want);
        free(id);
    }
    assert_int_equal(c[NPAY + 3].r.status, 201);
    /* The replay is the first answer, byte for byte. */
    assert_int_equal(c[NPAY].r.status, 201);
    assert_int_equal(c[NPAY].r.len, first.r.len);
    assert_memory_equal(c[NPAY].r.body, first.r.body, first.r.len);
    assert_string_equal(c[NPAY].r.location, first.r.location);
    assert_int_equal(payments_with_ref("MIX-0"), 1);
    assert_problem(&c[NPAY + 1].r, 422, "/problems/idempotency-key-reused");
    assert_int_equal(payments_with_ref("MIX-00"), 1);
    assert_problem(&c[NPAY + 2].r, 404, "/problems/not-found");
    assert_int_equal(dup.stmt, BO_STORE_ECONSTRAINT);
    assert_int_equal(dup.result, BO_STORE_OK);
    /* The client error was kept under its key: a retry replays it. */
    call_t again;
    call_init(&again, ADMIN_KEY, "mix-cancel", "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel",
              NULL);
    call(&again);
    assert_int_equal(again.r.status, 404);
    assert_int_equal(again.r.len, c[NPAY + 2].r.len);
    assert_memory_equal(again.r.body, c[NPAY + 2].r.body, again.r.len);
    resp_free(&again.r);
    resp_free(&first.r);
    for (int i = 0; i < NPAY + 4; i++)
        resp_free(&c[i].r);
}

static void t_api_commit_failure(void **state)
{
    (void)state;
    NEED_ENGINE();
    enum { N = 8 };
    call_t c[N];
    char bodies[N][160], keys[N][32], ref[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ref[i], sizeof ref[i], "DOOM-%d", i);
        snprintf(bodies[i], sizeof bodies[i], "{\"amount\":%d,\"reference\":\"%s\","
                 "\"description\":\"Doomed batch\"}", 700 + i, ref[i]);
        snprintf(keys[i], sizeof keys[i], "doom-key-%d", i);
        call_init(&c[i], TV_KEY, i == N - 1 ? NULL : keys[i], "/v1/payments", bodies[i]);
    }
    job_t poison = { .kind = J_POISON, .id = "doom-poison" };
    run_calls(c, N, N, &poison, 1);
    for (int i = 0; i < N; i++) {
        /* Every request of the batch is told it failed, none that it was
         * created, and nothing of any is stored. */
        assert_problem(&c[i].r, 503, "/problems/service-unavailable");
        assert_true(c[i].r.retry_after > 0);
        assert_true(c[i].r.location[0] == '\0');
        assert_int_equal(payments_with_ref(ref[i]), 0);
        resp_free(&c[i].r);
    }
    assert_int_equal(poison.result != BO_STORE_OK, 1);
    assert_int_equal(keys_like("doom-key-%"), 0);
    const char *pa[1] = { "payment.create" };
    long audits = fx_count("SELECT COUNT(*) FROM audit WHERE action = $1", 1, pa);
    /* The keys are free: the same requests now create, once each. */
    for (int i = 0; i < N; i++) {
        call(&c[i]);
        assert_int_equal(c[i].r.status, 201);
        assert_int_equal(payments_with_ref(ref[i]), 1);
        resp_free(&c[i].r);
    }
    assert_int_equal(keys_like("doom-key-%"), N - 1);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM audit WHERE action = $1", 1, pa),
                     audits + N);
}

static void t_api_in_flight(void **state)
{
    (void)state;
    NEED_ENGINE();
    const char *body = "{\"amount\":42,\"reference\":\"HELD-1\",\"description\":\"Held\"}";
    call_t a, b, d, e;
    call_init(&a, TV_KEY, "held-key-1", "/v1/payments", body);
    gate_close();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, call_thread, &a), 0);
    wait_queued(1);
    /* While the first is queued, the same request, or another under its
     * key, is answered at once: in flight (409 with Retry-After; the retry
     * will find the settled key, and a different body then gets 422). */
    call_init(&b, TV_KEY, "held-key-1", "/v1/payments", body);
    call(&b);
    assert_problem(&b.r, 409, "/problems/idempotency-in-flight");
    assert_int_equal(b.r.retry_after, 1);
    call_init(&d, TV_KEY, "held-key-1", "/v1/payments",
              "{\"amount\":43,\"reference\":\"HELD-1\",\"description\":\"Held\"}");
    call(&d);
    assert_problem(&d.r, 409, "/problems/idempotency-in-flight");
    gate_open();
    pthread_join(th, NULL);
    assert_int_equal(a.r.status, 201);
    /* Settled: now a replay. */
    call_init(&e, TV_KEY, "held-key-1", "/v1/payments", body);
    call(&e);
    assert_int_equal(e.r.status, 201);
    assert_int_equal(e.r.len, a.r.len);
    assert_memory_equal(e.r.body, a.r.body, a.r.len);
    assert_int_equal(payments_with_ref("HELD-1"), 1);
    resp_free(&d.r);
    call(&d);
    assert_problem(&d.r, 422, "/problems/idempotency-key-reused");
    resp_free(&a.r);
    resp_free(&b.r);
    resp_free(&d.r);
    resp_free(&e.r);
}

static void t_auth_cache(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* API keys are believed for up to 5 s after a lookup (one round trip
     * less per request): a new key works at once, a wrong one is refused
     * every time, a deleted one stops working within that time. */
    add_key("tv-group-short-lived", "tv");
    call_t c;
    call_init(&c, "tv-group-short-lived", NULL, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL);
    c.method = "GET";
    call(&c);
    assert_problem(&c.r, 404, "/problems/not-found");
    resp_free(&c.r);
    for (int i = 0; i < 2; i++) {
        call_t w;
        call_init(&w, "tv-group-no-such-key", NULL, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa",
                  NULL);
        w.method = "GET";
        call(&w);
        assert_problem(&w.r, 401, "/problems/unauthorized");
        resp_free(&w.r);
    }
    char h[65];
    bo_sha256_hex("tv-group-short-lived", strlen("tv-group-short-lived"), h);
    const char *p[1] = { h };
    fx("DELETE FROM api_keys WHERE key_hash = $1", 1, p);
    sleep(6); /* the cache's 5 s (whole seconds), and one more */
    call(&c);
    assert_problem(&c.r, 401, "/problems/unauthorized");
    resp_free(&c.r);
}

/* ---- crash under batching (the server binary) ---- */

typedef struct {
    long status;
    char *body;
    size_t len;
} res_t;

static size_t on_body(char *p, size_t s, size_t n, void *u)
{
    res_t *r = u;
    char *b = realloc(r->body, r->len + s * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, s * n);
    r->len += s * n;
    b[r->len] = '\0';
    r->body = b;
    return s * n;
}

static long http(CURL *c, const char *base, const char *method, const char *path,
                 const char *idem, const char *body, res_t *r)
{
    memset(r, 0, sizeof *r);
    char url[512], line[320];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Authorization: Bearer " TV_KEY);
    if (idem) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", idem);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L); /* a hang fails the test, not a measure */
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    else
        r->status = -1;
    curl_slist_free_all(h);
    return r->status;
}

static char *json_field(const res_t *r, const char *obj, const char *name)
{
    cJSON *o = cJSON_Parse(r->body ? r->body : "");
    cJSON *x = obj ? cJSON_GetObjectItemCaseSensitive(o, obj) : o;
    x = cJSON_GetObjectItemCaseSensitive(x, name);
    char *s = NULL;
    if (cJSON_IsString(x)) {
        s = strdup(x->valuestring);
    } else if (cJSON_IsNumber(x)) {
        char n[32];
        snprintf(n, sizeof n, "%.0f", x->valuedouble);
        s = strdup(n);
    }
    cJSON_Delete(o);
    return s;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) != 0)
        fail_msg("no free port");
    close(fd);
    return ntohs(a.sin_port);
}

static const char *server_binary(void)
{
    static char path[512];
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(path, sizeof path, "%s/civictv-backoffice", b ? b : "build");
    return access(path, X_OK) == 0 ? path : NULL;
}

static pid_t spawn_server(char *base, size_t cap)
{
    const char *bin = server_binary();
    char ps[16];
    snprintf(ps, sizeof ps, "%d", free_port());
    snprintf(base, cap, "http://127.0.0.1:%s", ps);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(bin, bin, "--port", ps, "--database", g_spec, "--threads", "32",
              "--group-commit", "on", "--idem-lease", "1", (char *)NULL);
        _exit(127);
    }
    CURL *c = curl_easy_init();
    for (int i = 0; i < 600; i++) {
        res_t r;
        long st = http(c, base, "GET", "/health", NULL, NULL, &r);
        free(r.body);
        if (st == 200) {
            curl_easy_cleanup(c);
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            fail_msg("%s exited during start-up", bin);
        usleep(50 * 1000); /* waiting for start-up, not a timed assertion */
    }
    curl_easy_cleanup(c);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("%s did not start", bin);
    return -1;
}

enum { CT = 24, PER = 300 };

typedef struct {
    int thread;
    const char *base;
    volatile int *stop;
    int n;
    long status[PER];
    char id[PER][40];
} crash_client;

static void crash_key(int t, int i, char *key, size_t kc, char *body, size_t bc)
{
    snprintf(key, kc, "gcrash-%d-%d", t, i);
    snprintf(body, bc, "{\"amount\":%d,\"reference\":\"GCRASH-%d-%d\",\"description\":"
             "\"Crash under group commit\"}", 100 + i, t, i);
}

static void *crash_run(void *arg)
{
    crash_client *c = arg;
    CURL *h = curl_easy_init();
    for (int i = 0; i < PER && !*c->stop; i++) {
        char key[48], body[160];
        crash_key(c->thread, i, key, sizeof key, body, sizeof body);
        res_t r;
        http(h, c->base, "POST", "/v1/payments", key, body, &r);
        c->status[i] = r.status;
        c->id[i][0] = '\0';
        if (r.status == 201) {
            char *id = json_field(&r, NULL, "payment_id");
            snprintf(c->id[i], sizeof c->id[i], "%s", id ? id : "");
            free(id);
        }
        free(r.body);
        __atomic_store_n(&c->n, i + 1, __ATOMIC_RELEASE);
        if (c->status[i] != 201)
            break;
    }
    curl_easy_cleanup(h);
    return NULL;
}

static long health_largest(CURL *h, const char *base)
{
    res_t r;
    long largest = -1;
    if (http(h, base, "GET", "/health", NULL, NULL, &r) == 200) {
        char *v = json_field(&r, "writes", "largest");
        largest = v ? atol(v) : -1;
        free(v);
    }
    free(r.body);
    return largest;
}

static void t_crash_batched(void **state)
{
    (void)state;
    NEED_ENGINE();
    if (!server_binary())
        skip();
    char base[64];
    pid_t pid = g_server = spawn_server(base, sizeof base);
    volatile int stop = 0;
    crash_client *cl = calloc(CT, sizeof *cl);
    assert_non_null(cl);
    pthread_t th[CT];
    for (int t = 0; t < CT; t++) {
        cl[t].thread = t;
        cl[t].base = base;
        cl[t].stop = &stop;
        assert_int_equal(pthread_create(&th[t], NULL, crash_run, &cl[t]), 0);
    }
    /* Kill once batches of several requests have formed and a good number
     * of payments are answered. */
    CURL *h = curl_easy_init();
    long largest = 0;
    for (int i = 0; i < 2000; i++) {
        int done = 0;
        for (int t = 0; t < CT; t++)
            done += __atomic_load_n(&cl[t].n, __ATOMIC_ACQUIRE);
        if (done >= 400 && largest > 1)
            break;
        largest = health_largest(h, base);
        usleep(5000);
    }
    curl_easy_cleanup(h);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    g_server = -1;
    stop = 1;
    for (int t = 0; t < CT; t++)
        pthread_join(th[t], NULL);
    assert_true(largest > 1);

    int answered = 0, unanswered = 0, sent = 0;
    for (int t = 0; t < CT; t++) {
        sent += cl[t].n;
        for (int i = 0; i < cl[t].n; i++) {
            if (cl[t].status[i] == 201)
                answered++;
            else if (cl[t].status[i] == -1 && i == cl[t].n - 1)
                unanswered++;
            else
                fail_msg("client %d request %d: %ld before the kill", t, i, cl[t].status[i]);
        }
    }
    assert_true(answered > 0);

    pid = g_server = spawn_server(base, sizeof base);
    h = curl_easy_init();
    /* Every 201 is stored as answered; nothing beyond the requests that
     * were in flight is; at most one payment per reference. */
    for (int t = 0; t < CT; t++)
        for (int i = 0; i < cl[t].n; i++) {
            if (cl[t].status[i] != 201)
                continue;
            char path[96], ref[48];
            snprintf(path, sizeof path, "/v1/payments/%s", cl[t].id[i]);
            snprintf(ref, sizeof ref, "GCRASH-%d-%d", t, i);
            res_t r;
            if (http(h, base, "GET", path, NULL, NULL, &r) != 200)
                fail_msg("payment %s (%s) answered 201 is missing", cl[t].id[i], ref);
            char *got = json_field(&r, NULL, "reference");
            assert_non_null(got);
            assert_string_equal(got, ref);
            free(got);
            free(r.body);
        }
    long stored = fx_count("SELECT COUNT(*) FROM payments WHERE reference LIKE 'GCRASH-%'",
                           0, NULL);
    long distinct = fx_count("SELECT COUNT(DISTINCT reference) FROM payments "
                             "WHERE reference LIKE 'GCRASH-%'", 0, NULL);
    assert_int_equal(stored, distinct);
    assert_true(stored >= answered);
    assert_true(stored - answered <= unanswered);
    /* Retrying every key settles it: the answered ones replay, the others
     * are the payment that made it before the kill or a new one. */
    for (int t = 0; t < CT; t++)
        for (int i = 0; i < cl[t].n; i++) {
            char key[48], body[160];
            crash_key(t, i, key, sizeof key, body, sizeof body);
            res_t r;
            int tries = 0;
            while (http(h, base, "POST", "/v1/payments", key, body, &r) == 409 && ++tries < 300) {
                free(r.body);
                usleep(100 * 1000);
            }
            if (r.status != 201)
                fail_msg("retrying %s: %ld %s", key, r.status, r.body ? r.body : "");
            if (cl[t].status[i] == 201) {
                char *id = json_field(&r, NULL, "payment_id");
                assert_non_null(id);
                assert_string_equal(id, cl[t].id[i]);
                free(id);
            }
            free(r.body);
        }
    curl_easy_cleanup(h);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    g_server = -1;
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference LIKE 'GCRASH-%'",
                              0, NULL), sent);
    assert_int_equal(fx_count("SELECT COUNT(DISTINCT reference) FROM payments "
                              "WHERE reference LIKE 'GCRASH-%'", 0, NULL), sent);
    fprintf(stderr, "crash under group commit (%s): %d sent, %d answered 201, %d unanswered, "
            "%ld stored before retries, largest batch %ld\n", g_pg ? "postgresql" : "sqlite",
            sent, answered, unanswered, stored, largest);
    free(cl);
}

#define GROUP_TESTS                                  \
    cmocka_unit_test(t_batch_commits_together),      \
    cmocka_unit_test(t_failing_job_alone),           \
    cmocka_unit_test(t_commit_failure_fails_all),    \
    cmocka_unit_test(t_broken_transaction),          \
    cmocka_unit_test(t_batch_of_one),                \
    cmocka_unit_test(t_api_mixed_batch),             \
    cmocka_unit_test(t_api_commit_failure),          \
    cmocka_unit_test(t_api_in_flight),               \
    cmocka_unit_test(t_auth_cache),                  \
    cmocka_unit_test(t_crash_batched)

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = { GROUP_TESTS };
    int rc = cmocka_run_group_tests_name("group commit on SQLite", tests, setup_sqlite, teardown);
    rc |= cmocka_run_group_tests_name("group commit on PostgreSQL", tests, setup_pg, teardown);
    curl_global_cleanup();
    return rc;
}
