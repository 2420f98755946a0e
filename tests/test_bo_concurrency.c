/*
 * Concurrency promises of civictv-backoffice kept across two server
 * processes on one database (issue 6, "Concurrency"; Idempotency-Key as in
 * draft-ietf-httpapi-idempotency-key-header; problems as RFC 9457).
 *
 * Two instances of the real server binary ($CIVICTV_BUILD/civictv-backoffice)
 * run on the same database: a SQLite file (WAL, two processes), and then a
 * PostgreSQL database when CIVICTV_PG holds a connection string (skipped
 * with a message otherwise).  Clients are threads released together by a
 * barrier, half of them talking to each process.  Asserted:
 *  - Slots: 50 signed-in viewers race for 10 free slots (5 per slot):
 *    exactly 10 answers are 201 and they name 10 different slots; the 40
 *    others are 409 application/problem+json of type
 *    /problems/slot-unavailable; the database holds 10 bookings for those
 *    slots, each slot holding a different appointment.
 *  - One key: the same payment POSTed 100 times at once with one
 *    Idempotency-Key: every answer is either 201 or a 409 problem of type
 *    /problems/idempotency-in-flight; all the 201s are byte for byte the
 *    same body with the same Location; the database holds one payment of
 *    that reference; a later retry on either process replays the same
 *    bytes, and the same key with another body is refused with 422.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoffice/bo_store.h"
#include "backoffice/bo_util.h"
#include "tests/bo_harness.h"

static char g_spec[1024];
static char g_dir[64];
static char g_base[2][64];
static pid_t g_pid[2] = { -1, -1 };
static bo_store *g_store;
static int g_skip;               /* PostgreSQL asked for but not configured */

#define SKIP_WITHOUT_PG()                                                           \
    do {                                                                            \
        if (g_skip) {                                                               \
            g_skip = 0;                                                             \
            fprintf(stderr, "test_bo_concurrency: CIVICTV_PG is not set: the "     \
                            "two-process test on PostgreSQL is skipped\n");        \
            skip();                                                                 \
        }                                                                           \
    } while (0)

/* ---- HTTP (the shared part is tests/bo_harness.c) ---- */

/* An answer with the two header fields these tests read. */
typedef struct {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char location[256];
} res_t;

static void res_free(res_t *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static long http_post(const char *base, const char *path, const char *auth, const char *idem,
                      const char *body, res_t *r)
{
    memset(r, 0, sizeof *r);
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    bh_req q = { .method = "POST", .url = url, .auth = auth, .idem = idem, .body = body,
                 .timeout = 60 /* a hang fails; nothing is timed */ };
    bh_res a;
    r->status = bh_http(&q, &a);
    r->body = a.body;
    r->len = a.len;
    a.body = NULL;
    bh_res_header(&a, "Content-Type", r->ctype, sizeof r->ctype);
    bh_res_header(&a, "Location", r->location, sizeof r->location);
    bh_res_free(&a);
    return r->status;
}

/* The "type" member of a problem body contains want. */
static int problem_is(const res_t *r, long status, const char *type)
{
    char want[128];
    snprintf(want, sizeof want, "\"type\":\"%s", type);
    return r->status == status && strcmp(r->ctype, "application/problem+json") == 0 &&
           r->body && (strstr(r->body, want) || strstr(r->body, type));
}

/* ---- processes and fixtures ---- */

static void fx(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_store_err e = bo_db_exec(db, sql, n, p, NULL);
    if (e != BO_STORE_OK)
        fail_msg("fixture %s: %s", sql, bo_db_errmsg(db));
    bo_store_release(g_store, db);
}

static bo_rows *query(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_rows *rows = NULL;
    if (bo_db_exec(db, sql, n, p, &rows) != BO_STORE_OK)
        fail_msg("%s: %s", sql, bo_db_errmsg(db));
    bo_store_release(g_store, db);
    return rows;
}

/* First server (migrates and seeds), fixtures, then the second server. */
static int start_pair(void)
{
    static const char *const extra[] = { "--threads", "4", NULL };
    if ((g_pid[0] = bh_spawn_server(g_spec, extra, g_base[0], sizeof g_base[0])) < 0)
        return -1;
    bo_store_cfg sc = { .spec = g_spec, .pool_size = 2 };
    char err[512];
    if (bo_store_open(&sc, &g_store, err, sizeof err) != BO_STORE_OK) {
        fprintf(stderr, "test_bo_concurrency: %s\n", err);
        return -1;
    }
    for (int i = 0; i < 50; i++) {
        char tok[32], person[32], h[65];
        snprintf(tok, sizeof tok, "cc-viewer-%02d", i);
        snprintf(person, sizeof person, "cc-person-%02d", i);
        bo_sha256_hex(tok, strlen(tok), h);
        const char *p[4] = { h, "northbury", person, "4102444800" };
        fx("INSERT INTO tokens (token_hash, tenant_id, person, kind, expires) "
           "VALUES ($1, $2, $3, 'access', $4)", 4, p);
    }
    for (int i = 1; i <= 10; i++) {
        char id[32], start[8];
        snprintf(id, sizeof id, "cc-slot-%02d", i);
        snprintf(start, sizeof start, "%02d:00", 8 + i);
        const char *p[6] = { id, "northbury", "housing-advice", "2030-03-01", start, start };
        fx("INSERT INTO slots (id, tenant_id, service_code, day, start_time, end_time) "
           "VALUES ($1, $2, $3, $4, $5, $6)", 6, p);
    }
    if ((g_pid[1] = bh_spawn_server(g_spec, extra, g_base[1], sizeof g_base[1])) < 0)
        return -1;
    return 0;
}

static int stop_pair(void **state);

/* A failed start stops what did start (cmocka skips the teardown of a
 * failed setup). */
static int start_pair_or_clean(void)
{
    if (start_pair() == 0)
        return 0;
    stop_pair(NULL);
    return -1;
}

static int stop_pair(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        bh_stop_child(&g_pid[i], SIGTERM);
    bo_store_close(g_store);
    g_store = NULL;
    bh_remove_dir(g_dir);
    return 0;
}

static int setup_sqlite(void **state)
{
    (void)state;
    if (bh_make_dir(g_dir, sizeof g_dir, "bo-cc") != 0)
        return -1;
    snprintf(g_spec, sizeof g_spec, "%s/bo.db", g_dir);
    return start_pair_or_clean();
}

static int setup_pg(void **state)
{
    (void)state;
    const char *pg = getenv("CIVICTV_PG");
    if (!pg || !*pg) {
        g_skip = 1;
        return 0;
    }
    snprintf(g_spec, sizeof g_spec, "%s", pg);
    return bh_reset_pg(pg) == 0 ? start_pair_or_clean() : -1;
}

/* ---- racing clients ---- */

typedef struct {
    const char *base, *path, *auth, *idem, *body;
    pthread_barrier_t *go;
    res_t r;
} job_t;

static void *run_job(void *arg)
{
    job_t *j = arg;
    pthread_barrier_wait(j->go);
    http_post(j->base, j->path, j->auth, j->idem, j->body, &j->r);
    return NULL;
}

static void race(job_t *jobs, int n)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)n);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    assert_non_null(t);
    for (int i = 0; i < n; i++) {
        jobs[i].go = &go;
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    free(t);
}

static void t_slots(void **state)
{
    (void)state;
    SKIP_WITHOUT_PG();
    enum { N = 50 };
    job_t jobs[N];
    char auth[N][32], body[N][64];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < N; i++) {
        snprintf(auth[i], sizeof auth[i], "cc-viewer-%02d", i);
        snprintf(body[i], sizeof body[i], "{\"slot_id\":\"cc-slot-%02d\"}", i % 10 + 1);
        jobs[i].base = g_base[i % 2];
        jobs[i].path = "/v1/appointments";
        jobs[i].auth = auth[i];
        jobs[i].body = body[i];
    }
    race(jobs, N);
    int won[11] = { 0 }, ok = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        if (jobs[i].r.status == 201) {
            ok++;
            won[i % 10 + 1]++;
        } else if (problem_is(&jobs[i].r, 409, "/problems/slot-unavailable")) {
            refused++;
        } else {
            fail_msg("client %d: %ld %s %s", i, jobs[i].r.status, jobs[i].r.ctype,
                     jobs[i].r.body ? jobs[i].r.body : "");
        }
        res_free(&jobs[i].r);
    }
    assert_int_equal(ok, 10);
    assert_int_equal(refused, 40);
    for (int s = 1; s <= 10; s++)
        assert_int_equal(won[s], 1);
    bo_rows *rows = query("SELECT COUNT(*) FROM appointments WHERE slot_id LIKE 'cc-slot-%'",
                          0, NULL);
    assert_string_equal(bo_rows_get(rows, 0, 0), "10");
    bo_rows_free(rows);
    rows = query("SELECT COUNT(DISTINCT appointment_id) FROM slots "
                 "WHERE id LIKE 'cc-slot-%' AND appointment_id IS NOT NULL", 0, NULL);
    assert_string_equal(bo_rows_get(rows, 0, 0), "10");
    bo_rows_free(rows);
}

static void t_one_key(void **state)
{
    (void)state;
    SKIP_WITHOUT_PG();
    enum { N = 100 };
    static const char body[] =
        "{\"amount\":4321,\"reference\":\"CC-ONE-KEY\",\"description\":\"One key\"}";
    job_t *jobs = calloc(N, sizeof *jobs);
    assert_non_null(jobs);
    for (int i = 0; i < N; i++) {
        jobs[i].base = g_base[i % 2];
        jobs[i].path = "/v1/payments";
        jobs[i].auth = "tv-northbury-sample";
        jobs[i].idem = "cc-one-key";
        jobs[i].body = body;
    }
    race(jobs, N);
    res_t first = { 0 };
    int created = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        res_t *r = &jobs[i].r;
        if (r->status == 201) {
            created++;
            if (!first.body) {
                first = *r;
                continue; /* kept for the comparisons below */
            }
            /* A replay is the stored answer, byte for byte. */
            assert_int_equal(r->len, first.len);
            assert_memory_equal(r->body, first.body, first.len);
            assert_string_equal(r->location, first.location);
        } else if (problem_is(r, 409, "/problems/idempotency-in-flight")) {
            busy++;
        } else {
            fail_msg("client %d: %ld %s %s", i, r->status, r->ctype, r->body ? r->body : "");
        }
        res_free(r);
    }
    assert_int_equal(created + busy, N);
    assert_true(created >= 1);
    assert_true(first.location[0] != '\0');
    const char *p[1] = { "CC-ONE-KEY" };
    bo_rows *rows = query("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p);
    assert_string_equal(bo_rows_get(rows, 0, 0), "1");
    bo_rows_free(rows);
    /* Settled: both processes replay the same bytes. */
    for (int s = 0; s < 2; s++) {
        res_t r;
        assert_int_equal(http_post(g_base[s], "/v1/payments", "tv-northbury-sample",
                                   "cc-one-key", body, &r), 201);
        assert_int_equal(r.len, first.len);
        assert_memory_equal(r.body, first.body, first.len);
        res_free(&r);
    }
    /* The same key with another body is refused. */
    res_t r;
    http_post(g_base[1], "/v1/payments", "tv-northbury-sample", "cc-one-key",
              "{\"amount\":4322,\"reference\":\"CC-ONE-KEY\",\"description\":\"One key\"}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.ctype, "application/problem+json");
    res_free(&r);
    rows = query("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p);
    assert_string_equal(bo_rows_get(rows, 0, 0), "1");
    bo_rows_free(rows);
    res_free(&first);
    free(jobs);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* One group (tests/run.sh counts one cmocka summary per binary); each
     * test starts its own pair of servers on a fresh database. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_slots, setup_sqlite, stop_pair),
        cmocka_unit_test_setup_teardown(t_one_key, setup_sqlite, stop_pair),
        cmocka_unit_test_setup_teardown(t_slots, setup_pg, stop_pair),
        cmocka_unit_test_setup_teardown(t_one_key, setup_pg, stop_pair),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
