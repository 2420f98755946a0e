/*
 * Crash safety of civictv-backoffice (issue 6, "Durability": a 201 is sent
 * only after the transaction is committed; Idempotency-Key retries resolve
 * what a crash left unanswered).
 *
 * The real server binary ($CIVICTV_BUILD/civictv-backoffice) runs as a child
 * process on a SQLite file in a temporary directory, and again on
 * PostgreSQL when CIVICTV_PG holds a connection string.  Several client
 * threads, each on its own keep-alive libcurl handle, create payments, each
 * request with its own Idempotency-Key and its own reference.  The server
 * is killed with SIGKILL in the middle of the load, three times over, and
 * restarted on the same database each time.
 *
 * What is asserted, after each restart:
 *  1. Before the kill every answer was a 201, except that a client's last
 *     request may have had no answer (the kill) or a 503/429 refusal (a
 *     client stops at its first answer other than 201, so each thread has
 *     at most one such key).
 *  2. Every payment a client got a 201 for is in the database: GET
 *     /v1/payments/ID answers 200 with that payment's reference and amount.
 *  3. Nothing else was stored: read straight from the database, every
 *     CRASH- payment's reference is a key some client sent, each reference
 *     occurs at most once, none was answered 503 or 429, and the payments
 *     beyond those answered 201 are at most the unanswered (in-flight)
 *     requests, one per thread.
 *  4. Retrying every key of the round with the same body yields a 201 whose
 *     payment_id is the one the client saw (a replay) for answered keys; for
 *     unanswered keys it is either the payment committed before the kill
 *     (a replay) or a new one, after the dead server's in-flight claim has
 *     lapsed (--idem-lease 1; 409 until then).
 *  5. At the end the database holds exactly one payment per distinct key
 *     sent, and the set of their ids is exactly the set of ids that clients
 *     received in 201 answers (before the kill or on retry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_store.h"
#include "tests/bo_harness.h"

enum { THREADS = 6, PER_THREAD = 400, ROUNDS = 3 };

static char g_spec[1024];
static char g_dir[64];
static pid_t g_server = -1;      /* the running server, for the teardown */
static const char *g_key = "tv-northbury-sample";

/* ---- HTTP (the shared part is tests/bo_harness.c) ---- */

/* One request on handle c (kept alive between calls); status -1 when the
 * connection failed or broke. */
static long http(CURL *c, const char *base, const char *method, const char *path,
                 const char *idem, const char *body, bh_res *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    bh_req q = { .method = method, .url = url, .auth = g_key, .idem = idem, .body = body,
                 .handle = c, .timeout = 60 /* a hang fails the test, not a measure */ };
    return bh_http(&q, r);
}

static char *json_str(const bh_res *r, const char *name)
{
    return bh_json_get(r->body, name, NULL);
}

/* ---- the server process ---- */

/* Starts the binary on a free port and waits until /health answers. */
static pid_t spawn_server(char *base, size_t cap)
{
    static const char *const extra[] = { "--idem-lease", "1", "--threads", "4", NULL };
    pid_t pid = bh_spawn_server(g_spec, extra, base, cap);
    if (pid < 0)
        fail_msg("the server binary did not start");
    return pid;
}

/* ---- the database, read directly ---- */

/* Every payment whose reference starts with CRASH-: id and reference. */
static bo_rows *crash_rows(void)
{
    bo_store_cfg sc = { .spec = g_spec, .pool_size = 1 };
    bo_store *s = NULL;
    char err[512];
    if (bo_store_open(&sc, &s, err, sizeof err) != BO_STORE_OK)
        fail_msg("opening %s: %s", g_spec, err);
    bo_db *db = bo_store_acquire(s);
    bo_rows *rows = NULL;
    if (bo_db_exec(db, "SELECT id, reference, amount FROM payments "
                       "WHERE reference LIKE 'CRASH-%' ORDER BY reference", 0, NULL, &rows)
        != BO_STORE_OK)
        fail_msg("counting payments: %s", bo_db_errmsg(db));
    bo_store_release(s, db);
    bo_store_close(s);
    return rows;
}

/* ---- the load ---- */

typedef struct {
    int round, thread;
    const char *base;
    volatile int *stop;
    int n;                       /* keys sent (the last may be unanswered) */
    int finished;                /* the client stopped on its own */
    long status[PER_THREAD];     /* answer before the kill; -1: none */
    char id[PER_THREAD][40];     /* payment_id of a 201 */
} client_t;

static void key_of(int round, int t, int i, char *key, size_t kcap, char *body, size_t bcap)
{
    snprintf(key, kcap, "crash-%d-%d-%d", round, t, i);
    snprintf(body, bcap, "{\"amount\":%d,\"reference\":\"CRASH-%d-%d-%d\","
             "\"description\":\"Crash test\",\"language\":\"en\"}", 100 + i, round, t, i);
}

static void *client_run(void *arg)
{
    client_t *c = arg;
    CURL *h = curl_easy_init();
    for (int i = 0; i < PER_THREAD && !*c->stop; i++) {
        char key[64], body[160];
        key_of(c->round, c->thread, i, key, sizeof key, body, sizeof body);
        c->id[i][0] = '\0';
        bh_res r;
        http(h, c->base, "POST", "/v1/payments", key, body, &r);
        c->status[i] = r.status;
        if (r.status == 201) {
            char *id = json_str(&r, "payment_id");
            snprintf(c->id[i], sizeof c->id[i], "%s", id ? id : "");
            free(id);
        }
        __atomic_store_n(&c->n, i + 1, __ATOMIC_RELEASE);
        bh_res_free(&r);
        if (c->status[i] != 201)
            break; /* the server is gone (or answered wrongly: checked later) */
    }
    curl_easy_cleanup(h);
    __atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Is id among the ids clients were given? */
static int id_known(char (*ids)[40], int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

static void crash_rounds(void)
{
    if (!bh_server_binary()) {
        fprintf(stderr, "test_bo_crash: no %s/civictv-backoffice; build the programs first\n",
                getenv("CIVICTV_BUILD") ? getenv("CIVICTV_BUILD") : "build");
        skip();
    }
    /* Every id any client received in a 201, over all rounds. */
    int seen_cap = ROUNDS * THREADS * PER_THREAD, seen_n = 0, keys_total = 0;
    char (*seen)[40] = calloc((size_t)seen_cap, 40);
    client_t *cl = calloc(THREADS, sizeof *cl);
    assert_non_null(seen);
    assert_non_null(cl);
    char base[64];
    pid_t pid = g_server = spawn_server(base, sizeof base);
    for (int round = 0; round < ROUNDS; round++) {
        volatile int stop = 0;
        pthread_t th[THREADS];
        memset(cl, 0, THREADS * sizeof *cl);
        for (int t = 0; t < THREADS; t++) {
            cl[t].round = round;
            cl[t].thread = t;
            cl[t].base = base;
            cl[t].stop = &stop;
            assert_int_equal(pthread_create(&th[t], NULL, client_run, &cl[t]), 0);
        }
        /* Kill at a different depth of the load each round. */
        int want = 60 + 90 * round;
        for (;;) {
            int done = 0, finished = 0;
            for (int t = 0; t < THREADS; t++) {
                done += __atomic_load_n(&cl[t].n, __ATOMIC_ACQUIRE);
                finished += __atomic_load_n(&cl[t].finished, __ATOMIC_ACQUIRE);
            }
            /* Every client stopped before the kill: a failure, reported
             * by check (1) below rather than waited for forever. */
            if (done >= want || finished == THREADS)
                break;
            usleep(1000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        g_server = -1;
        stop = 1;
        for (int t = 0; t < THREADS; t++)
            pthread_join(th[t], NULL);

        /* (1) Only the last key of each client may lack a 201. */
        int answered = 0, unanswered = 0, sent = 0;
        for (int t = 0; t < THREADS; t++) {
            sent += cl[t].n;
            for (int i = 0; i < cl[t].n; i++) {
                if (cl[t].status[i] == 201) {
                    answered++;
                    assert_true(cl[t].id[i][0] != '\0');
                } else if (cl[t].status[i] == -1 && i == cl[t].n - 1) {
                    unanswered++;
                } else if ((cl[t].status[i] == 503 || cl[t].status[i] == 429) &&
                           i == cl[t].n - 1) {
                    /* A refusal under load says nothing was stored:
                     * checked in (3), and the retry in (4) creates it. */
                } else {
                    fail_msg("round %d client %d request %d: status %ld before the kill",
                             round, t, i, cl[t].status[i]);
                }
            }
        }
        keys_total += sent;
        assert_true(answered > 0);

        pid = g_server = spawn_server(base, sizeof base);
        CURL *h = curl_easy_init();

        /* (2) Every 201 is there, as it was answered. */
        for (int t = 0; t < THREADS; t++)
            for (int i = 0; i < cl[t].n; i++) {
                if (cl[t].status[i] != 201)
                    continue;
                char path[96], key[64], body[160], ref[48], amount[16];
                key_of(round, t, i, key, sizeof key, body, sizeof body);
                snprintf(ref, sizeof ref, "CRASH-%d-%d-%d", round, t, i);
                snprintf(amount, sizeof amount, "%d", 100 + i);
                snprintf(path, sizeof path, "/v1/payments/%s", cl[t].id[i]);
                bh_res r;
                if (http(h, base, "GET", path, NULL, NULL, &r) != 200)
                    fail_msg("payment %s (%s) answered 201 before the kill is missing: %ld",
                             cl[t].id[i], ref, r.status);
                char *got_ref = json_str(&r, "reference"), *got_amount = json_str(&r, "amount");
                assert_non_null(got_ref);
                assert_non_null(got_amount);
                assert_string_equal(got_ref, ref);
                assert_string_equal(got_amount, amount);
                free(got_ref);
                free(got_amount);
                bh_res_free(&r);
            }

        /* (3) Nothing else: at most one payment per key sent, and no more
         * beyond the 201s than there were requests in flight. */
        bo_rows *rows = crash_rows();
        int this_round = 0;
        char prefix[24];
        snprintf(prefix, sizeof prefix, "CRASH-%d-", round);
        for (int k = 0; k < rows->nrows; k++) {
            const char *ref = bo_rows_get(rows, k, 1);
            if (k > 0)
                assert_string_not_equal(ref, bo_rows_get(rows, k - 1, 1));
            if (strncmp(ref, prefix, strlen(prefix)) != 0)
                continue;
            this_round++;
            int t = -1, i = -1;
            if (sscanf(ref + strlen(prefix), "%d-%d", &t, &i) != 2 || t < 0 || t >= THREADS ||
                i < 0 || i >= cl[t].n)
                fail_msg("payment %s has a reference no client sent", ref);
            if (cl[t].status[i] == 503 || cl[t].status[i] == 429)
                fail_msg("payment %s is stored although its request was answered %ld", ref,
                         cl[t].status[i]);
        }
        bo_rows_free(rows);
        assert_true(this_round >= answered);
        assert_true(this_round - answered <= unanswered);

        /* (4) Retrying every key of the round resolves it. */
        for (int t = 0; t < THREADS; t++)
            for (int i = 0; i < cl[t].n; i++) {
                char key[64], body[160];
                key_of(round, t, i, key, sizeof key, body, sizeof body);
                bh_res r;
                int tries = 0;
                /* 409 while the dead server's claim is within its lease;
                 * the lease is 1 s, so 30 s of retries is far beyond it. */
                while (http(h, base, "POST", "/v1/payments", key, body, &r) == 409 &&
                       ++tries < 300) {
                    bh_res_free(&r);
                    usleep(100 * 1000);
                }
                if (r.status != 201)
                    fail_msg("retrying %s: %ld %s", key, r.status, r.body ? r.body : "");
                char *id = json_str(&r, "payment_id");
                assert_non_null(id);
                if (cl[t].status[i] == 201)
                    assert_string_equal(id, cl[t].id[i]); /* a replay, not a new one */
                assert_true(seen_n < seen_cap);
                snprintf(seen[seen_n++], 40, "%s", id);
                free(id);
                bh_res_free(&r);
            }
        curl_easy_cleanup(h);
        fprintf(stderr, "round %d: %d sent, %d answered 201 before SIGKILL, %d unanswered, "
                "%d stored before retries\n", round, sent, answered, unanswered, this_round);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    g_server = -1;

    /* (5) One payment per key, and each one a client was given. */
    bo_rows *rows = crash_rows();
    assert_int_equal(rows->nrows, keys_total);
    for (int k = 0; k < rows->nrows; k++)
        if (!id_known(seen, seen_n, bo_rows_get(rows, k, 0)))
            fail_msg("payment %s (%s) was never given to a client", bo_rows_get(rows, k, 0),
                     bo_rows_get(rows, k, 1));
    bo_rows_free(rows);
    free(seen);
    free(cl);
}

static void t_sqlite(void **state)
{
    (void)state;
    assert_int_equal(bh_make_dir(g_dir, sizeof g_dir, "bo-crash"), 0);
    snprintf(g_spec, sizeof g_spec, "%s/bo.db", g_dir);
    crash_rounds();
}

/* The server and the SQLite directory go whether the test passed or not. */
static int cleanup(void **state)
{
    (void)state;
    bh_stop_child(&g_server, SIGKILL);
    bh_remove_dir(g_dir);
    return 0;
}

static void t_postgres(void **state)
{
    (void)state;
    const char *pg = getenv("CIVICTV_PG");
    if (!pg || !*pg) {
        fprintf(stderr, "test_bo_crash: CIVICTV_PG is not set: PostgreSQL crash test skipped\n");
        skip();
    }
    snprintf(g_spec, sizeof g_spec, "%s", pg);
    if (bh_reset_pg(pg) != 0)
        fail_msg("CIVICTV_PG: the test database could not be emptied");
    crash_rounds();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_sqlite, cleanup),
        cmocka_unit_test_teardown(t_postgres, cleanup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
