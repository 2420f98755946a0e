/*
 * End-to-end tests of civictv-backoffice: the real server started in this
 * process on 127.0.0.1 (a free port), driven over HTTP with libcurl, once
 * on SQLite and, when CIVICTV_PG holds a PostgreSQL connection string, once
 * more on PostgreSQL.  Fixtures the API cannot create (a small-quota
 * tenant, race slots, viewer tokens) are written through bo_store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_server.h"
#include "backoffice/bo_store.h"
#include "backoffice/bo_util.h"
#include "tests/bo_harness.h"

static char g_spec[1024];
static char g_dir[64];
static int g_is_pg;
static bo_server *g_srv;
static char g_base[256];
static bo_store *g_store;
static char g_day[16];           /* tomorrow, UTC: a day with seeded slots */

/* ---- HTTP helper (the shared part is tests/bo_harness.c) ---- */

typedef struct {
    const char *method, *path, *auth, *idem, *ctype, *body;
    size_t body_len;             /* 0: strlen(body) */
    const char *base;            /* NULL: the main server */
    int expect100;               /* send Expect: 100-continue */
    const char *from;            /* a source address (127.0.0.x), or NULL */
} req_t;

static long http(const req_t *q, bh_res *r)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", q->base ? q->base : g_base, q->path);
    bh_req h = { .method = q->method, .url = url, .auth = q->auth, .idem = q->idem,
                 .ctype = q->ctype, .body = q->body, .body_len = q->body_len,
                 .from = q->from, .expect100 = q->expect100 };
    return bh_http(&h, r);
}

static long get(const char *path, const char *auth, bh_res *r)
{
    req_t q = { .method = "GET", .path = path, .auth = auth };
    return http(&q, r);
}

static long post(const char *path, const char *auth, const char *idem, const char *body,
                 bh_res *r)
{
    req_t q = { .method = "POST", .path = path, .auth = auth, .idem = idem, .body = body };
    return http(&q, r);
}

static long post_form(const char *path, const char *body, bh_res *r)
{
    req_t q = { .method = "POST", .path = path, .body = body,
                .ctype = "application/x-www-form-urlencoded" };
    return http(&q, r);
}

/* A member of the JSON body (a dotted path one level deep) as text. */
static char *json_str(const bh_res *r, const char *a, const char *b)
{
    return bh_json_get(r->body, a, b);
}

static void assert_json_eq(const bh_res *r, const char *a, const char *b, const char *want)
{
    char *s = json_str(r, a, b);
    if (!s || strcmp(s, want) != 0)
        fail_msg("%s%s%s: got %s, want %s (body %s)", a, b ? "." : "", b ? b : "",
                 s ? s : "(none)", want, r->body ? r->body : "");
    free(s);
}

static void assert_problem(const bh_res *r, long status, const char *type)
{
    if (r->status != status)
        fail_msg("status %ld, want %ld: %s", r->status, status, r->body ? r->body : "");
    char ct[128];
    assert_non_null(bh_res_header(r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/problem+json");
    if (type)
        assert_json_eq(r, "type", NULL, type);
}

/* ---- fixtures ---- */

static void fx(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_store_err e = bo_db_exec(db, sql, n, p, NULL);
    if (e != BO_STORE_OK)
        fail_msg("fixture %s: %s", sql, bo_db_errmsg(db));
    bo_store_release(g_store, db);
}

static long fx_count(const char *sql, int n, const char *const *p)
{
    bo_db *db = bo_store_acquire(g_store);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, sql, n, p, &rows);
    assert_int_equal(e, BO_STORE_OK);
    long v = atol(bo_rows_get(rows, 0, 0));
    bo_rows_free(rows);
    bo_store_release(g_store, db);
    return v;
}

static void add_token(const char *token, const char *tenant, const char *person)
{
    char h[65];
    bo_sha256_hex(token, strlen(token), h);
    const char *p[4] = { h, tenant, person, "4102444800" };
    fx("INSERT INTO tokens (token_hash, tenant_id, person, kind, expires) "
       "VALUES ($1, $2, $3, 'access', $4)", 4, p);
}

static void reset_pg(const char *spec)
{
    if (bh_reset_pg(spec) != 0)
        fail_msg("CIVICTV_PG: the test database could not be emptied");
}

static void start_cfg(bo_config *c)
{
    bo_config_defaults(c);
    c->port = 0;
    c->seed = 1;
    c->device_interval = 0;
    c->threads = 4;
    c->grace = 30;
    snprintf(c->database, sizeof c->database, "%s", g_spec);
}

static int setup_engine(void)
{
    bo_config c;
    start_cfg(&c);
    char err[512];
    if (bo_server_start(&c, &g_srv, err, sizeof err) != 0) {
        fprintf(stderr, "server: %s\n", err);
        return -1;
    }
    snprintf(g_base, sizeof g_base, "%s", bo_server_base_url(g_srv));
    bo_store_cfg sc = { .spec = g_spec, .pool_size = 2 };
    if (bo_store_open(&sc, &g_store, err, sizeof err) != BO_STORE_OK) {
        fprintf(stderr, "store: %s\n", err);
        return -1;
    }
    const char *t[3] = { "tiny", "Tiny Parish Council", "5" };
    fx("INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)", 3, t);
    char h[65];
    bo_sha256_hex("tv-tiny", 7, h);
    const char *k[4] = { h, "tiny", "tv", "test" };
    fx("INSERT INTO api_keys (key_hash, tenant_id, role, label) VALUES ($1, $2, $3, $4)", 4, k);
    for (int i = 1; i <= 10; i++) {
        char id[32], start[8];
        snprintf(id, sizeof id, "race-%02d", i);
        snprintf(start, sizeof start, "%02d:00", 8 + i);
        const char *s[6] = { id, "northbury", "housing-advice", "2030-01-01", start, start };
        fx("INSERT INTO slots (id, tenant_id, service_code, day, start_time, end_time) "
           "VALUES ($1, $2, $3, $4, $5, $6)", 6, s);
    }
    for (int i = 0; i < 50; i++) {
        char tok[32], person[32];
        snprintf(tok, sizeof tok, "viewer-%02d", i);
        snprintf(person, sizeof person, "person-%02d", i);
        add_token(tok, "northbury", person);
    }
    add_token("viewer-cw", "caerwen", "person-cw");
    time_t t1 = time(NULL) + 86400;
    struct tm tm;
    gmtime_r(&t1, &tm);
    strftime(g_day, sizeof g_day, "%Y-%m-%d", &tm);
    return 0;
}

static int setup_sqlite(void **state)
{
    (void)state;
    g_is_pg = 0;
    if (bh_make_dir(g_dir, sizeof g_dir, "bo-test") != 0)
        return -1;
    snprintf(g_spec, sizeof g_spec, "%s/bo.db", g_dir);
    return setup_engine();
}

static int setup_pg(void **state)
{
    (void)state;
    g_is_pg = 1;
    snprintf(g_spec, sizeof g_spec, "%s", getenv("CIVICTV_PG"));
    reset_pg(g_spec);
    if (bh_make_dir(g_dir, sizeof g_dir, "bo-test") != 0)
        return -1;
    return setup_engine();
}

static int teardown(void **state)
{
    (void)state;
    bo_server_stop(g_srv);
    g_srv = NULL;
    bo_store_close(g_store);
    g_store = NULL;
    bh_remove_dir(g_dir);
    return 0;
}

/* ---- tests ---- */

static void t_health(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(get("/health", NULL, &r), 200);
    assert_json_eq(&r, "status", NULL, "ok");
    assert_json_eq(&r, "database", NULL, g_is_pg ? "postgresql" : "sqlite");
    bh_res_free(&r);
    assert_int_equal(get("/nowhere", NULL, &r), 404);
    assert_problem(&r, 404, "/problems/not-found");
    bh_res_free(&r);
}

static void t_auth(void **state)
{
    (void)state;
    bh_res r;
    get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, &r);
    assert_problem(&r, 401, "/problems/unauthorized");
    bh_res_free(&r);
    get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "forged-key", &r);
    assert_problem(&r, 401, "/problems/unauthorized");
    bh_res_free(&r);
    get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "' OR 1=1 --", &r);
    assert_problem(&r, 401, NULL);
    bh_res_free(&r);
}

static char *create_payment(const char *key, const char *idem, long amount, const char *ref,
                            char **shortc)
{
    char body[512];
    snprintf(body, sizeof body, "{\"amount\":%ld,\"reference\":\"%s\","
             "\"description\":\"Council Tax\",\"language\":\"en\"}", amount, ref);
    bh_res r;
    post("/v1/payments", key, idem, body, &r);
    if (r.status != 201)
        fail_msg("create payment: %ld %s", r.status, r.body ? r.body : "");
    char *id = json_str(&r, "payment_id", NULL);
    if (shortc) {
        char *u = json_str(&r, "short_url", NULL);
        *shortc = strdup(strrchr(u, '/') + 1);
        free(u);
    }
    bh_res_free(&r);
    return id;
}

static void t_payment_create_get(void **state)
{
    (void)state;
    bh_res r;
    post("/v1/payments", "tv-northbury-sample", NULL,
         "{\"amount\":12345,\"reference\":\"CT-0001\",\"description\":\"Council Tax\","
         "\"language\":\"cy\"}", &r);
    assert_int_equal(r.status, 201);
    char *id = json_str(&r, "payment_id", NULL);
    assert_non_null(id);
    assert_int_equal(strlen(id), 26);
    char loc[512], want[512];
    assert_non_null(bh_res_header(&r, "Location", loc, sizeof loc));
    snprintf(want, sizeof want, "%s/v1/payments/%s", g_base, id);
    assert_string_equal(loc, want);
    assert_json_eq(&r, "amount", NULL, "12345");
    assert_json_eq(&r, "language", NULL, "cy");
    assert_json_eq(&r, "state", "status", "created");
    assert_json_eq(&r, "state", "finished", "false");
    char *next = json_str(&r, "_links", "next_url");
    assert_null(next); /* an object, not a string */
    char *su = json_str(&r, "short_url", NULL);
    char *qr = json_str(&r, "qr_target", NULL);
    assert_non_null(su);
    assert_non_null(qr);
    assert_true(strncmp(su, g_base, strlen(g_base)) == 0);
    assert_int_equal(strlen(su), strlen(g_base) + 3 + 8);
    free(su);
    free(qr);
    bh_res_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    assert_int_equal(get(path, "tv-northbury-sample", &r), 200);
    assert_json_eq(&r, "payment_id", NULL, id);
    assert_json_eq(&r, "reference", NULL, "CT-0001");
    char rl[32];
    assert_non_null(bh_res_header(&r, "RateLimit-Limit", rl, sizeof rl));
    assert_non_null(bh_res_header(&r, "RateLimit-Remaining", rl, sizeof rl));
    bh_res_free(&r);
    free(id);
}

static void t_payment_validation(void **state)
{
    (void)state;
    static const struct { const char *body; long status; const char *detail; } cases[] = {
        { "{\"amount\":100,", 400, "not valid JSON" },
        { "{\"amount\":100} x", 400, "not valid JSON" },
        { "{\"amount\":100,\"reference\":\"r\xff\",\"description\":\"d\"}", 400, "UTF-8" },
        { "[1,2]", 422, "JSON object" },
        { "{\"amount\":100,\"reference\":\"r\",\"description\":\"d\",\"colour\":1}", 422, "colour: unknown field" },
        { "{\"amount\":-5,\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"amount\":0,\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"amount\":10000001,\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"amount\":1.5,\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"amount\":\"100\",\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"amount\":1e300,\"reference\":\"r\",\"description\":\"d\"}", 422, "amount:" },
        { "{\"reference\":\"r\",\"description\":\"d\"}", 422, "amount: missing" },
        { "{\"amount\":100,\"description\":\"d\"}", 422, "reference: missing" },
        { "{\"amount\":100,\"reference\":5,\"description\":\"d\"}", 422, "reference: must be" },
        { "{\"amount\":100,\"reference\":\"r\",\"description\":\"d\",\"language\":\"fr\"}", 422, "language" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bh_res r;
        post("/v1/payments", "tv-northbury-sample", NULL, cases[i].body, &r);
        assert_problem(&r, cases[i].status, NULL);
        char *d = json_str(&r, "detail", NULL);
        if (!d || !strstr(d, cases[i].detail))
            fail_msg("case %zu: detail %s, want %s", i, d ? d : "(none)", cases[i].detail);
        free(d);
        bh_res_free(&r);
    }
    /* A reference of 256 bytes is one too many. */
    char body[600];
    char ref[257];
    memset(ref, 'r', 256);
    ref[256] = '\0';
    snprintf(body, sizeof body, "{\"amount\":1,\"reference\":\"%s\",\"description\":\"d\"}", ref);
    bh_res r;
    post("/v1/payments", "tv-northbury-sample", NULL, body, &r);
    assert_problem(&r, 422, "/problems/invalid-field");
    bh_res_free(&r);
    /* SQL metacharacters are data, stored and returned exactly. */
    const char *evil = "x'); DROP TABLE payments; --";
    char *id = create_payment("tv-northbury-sample", NULL, 10000000, evil, NULL);
    char path[128];
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    assert_int_equal(get(path, "tv-northbury-sample", &r), 200);
    assert_json_eq(&r, "reference", NULL, evil);
    assert_json_eq(&r, "amount", NULL, "10000000");
    bh_res_free(&r);
    free(id);
    /* Nothing half-stored: every refused body left no payment behind. */
    const char *p[1] = { "r" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 0);
}

static void t_body_limit(void **state)
{
    (void)state;
    size_t n = 64 * 1024 + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    bh_res r;
    /* With Expect: 100-continue the server refuses before the body is
     * sent, so the client always reads the answer. */
    req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                .body = big, .body_len = n, .expect100 = 1 };
    http(&q, &r);
    bh_res r2;
    q.expect100 = 0;
    /* Without it, the server answers and closes while the client may still
     * be sending: a 413 or a closed connection, never a stored payment. */
    http(&q, &r2);
    free(big);
    assert_problem(&r, 413, "/problems/body-too-large");
    bh_res_free(&r);
    assert_true(r2.status == 413 || r2.status == -1);
    bh_res_free(&r2);
    /* The server still serves everyone else. */
    assert_int_equal(get("/health", NULL, &r), 200);
    bh_res_free(&r);
}

static void t_idempotency(void **state)
{
    (void)state;
    const char *body = "{\"amount\":500,\"reference\":\"IDEM-1\",\"description\":\"Bin\"}";
    bh_res a, b, c;
    post("/v1/payments", "tv-northbury-sample", "\"key-idem-1\"", body, &a);
    assert_int_equal(a.status, 201);
    /* The quoted and the plain form are the same key. */
    post("/v1/payments", "tv-northbury-sample", "key-idem-1", body, &b);
    assert_int_equal(b.status, 201);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.body, b.body, a.len);
    char la[512], lb[512];
    assert_string_equal(bh_res_header(&a, "Location", la, sizeof la),
                        bh_res_header(&b, "Location", lb, sizeof lb));
    /* Same key, different body: 422. */
    post("/v1/payments", "tv-northbury-sample", "key-idem-1",
         "{\"amount\":501,\"reference\":\"IDEM-1\",\"description\":\"Bin\"}", &c);
    assert_problem(&c, 422, "/problems/idempotency-key-reused");
    bh_res_free(&c);
    /* Same key on another path: 422 too. */
    post("/v1/appointments", "viewer-01", "key-idem-1", body, &c);
    assert_int_equal(c.status, 422);
    bh_res_free(&c);
    /* Keys belong to their caller: another tenant's identical key is new. */
    post("/v1/payments", "tv-caerwen-sample", "key-idem-1", body, &c);
    assert_int_equal(c.status, 201);
    char *ida = json_str(&a, "payment_id", NULL), *idc = json_str(&c, "payment_id", NULL);
    assert_string_not_equal(ida, idc);
    free(ida);
    free(idc);
    bh_res_free(&c);
    /* Malformed keys. */
    post("/v1/payments", "tv-northbury-sample", "bad key!", body, &c);
    assert_problem(&c, 400, "/problems/invalid-idempotency-key");
    bh_res_free(&c);
    char longkey[300];
    memset(longkey, 'k', 256);
    longkey[256] = '\0';
    post("/v1/payments", "tv-northbury-sample", longkey, body, &c);
    assert_problem(&c, 400, "/problems/invalid-idempotency-key");
    bh_res_free(&c);
    const char *p[1] = { "IDEM-1" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 2);
    bh_res_free(&a);
    bh_res_free(&b);
}

typedef struct {
    const char *path, *auth, *idem, *body;
    const char *base;
    bh_res r;
} job_t;

static void *run_job(void *arg)
{
    job_t *j = arg;
    req_t q = { .method = "POST", .path = j->path, .auth = j->auth, .idem = j->idem,
                .body = j->body, .base = j->base };
    http(&q, &j->r);
    return NULL;
}

static void run_jobs(job_t *jobs, int n)
{
    pthread_t *t = calloc((size_t)n, sizeof *t);
    assert_non_null(t);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
}

static void t_idempotency_race(void **state)
{
    (void)state;
    enum { N = 100 };
    job_t *jobs = calloc(N, sizeof *jobs);
    assert_non_null(jobs);
    for (int i = 0; i < N; i++) {
        jobs[i].path = "/v1/payments";
        jobs[i].auth = "tv-northbury-sample";
        jobs[i].idem = "race-key-1";
        jobs[i].body = "{\"amount\":999,\"reference\":\"RACE-1\",\"description\":\"Race\"}";
    }
    run_jobs(jobs, N);
    int created = 0, busy = 0;
    char *first = NULL;
    for (int i = 0; i < N; i++) {
        if (jobs[i].r.status == 201) {
            created++;
            char *id = json_str(&jobs[i].r, "payment_id", NULL);
            if (!first)
                first = id;
            else {
                assert_string_equal(first, id);
                free(id);
            }
        } else if (jobs[i].r.status == 409) {
            busy++;
            assert_json_eq(&jobs[i].r, "type", NULL, "/problems/idempotency-in-flight");
        } else {
            fail_msg("unexpected %ld %s", jobs[i].r.status, jobs[i].r.body ? jobs[i].r.body : "");
        }
        bh_res_free(&jobs[i].r);
    }
    assert_int_equal(created + busy, N);
    assert_true(created >= 1);
    free(first);
    free(jobs);
    const char *p[1] = { "RACE-1" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 1);
}

static void t_tenant_isolation(void **state)
{
    (void)state;
    char *id = create_payment("tv-northbury-sample", NULL, 700, "ISO-1", NULL);
    char path[160];
    bh_res mine, theirs, none;
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    get(path, "tv-caerwen-sample", &theirs);
    get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "tv-caerwen-sample", &none);
    assert_problem(&theirs, 404, "/problems/not-found");
    /* Another tenant's payment and a missing one answer identically. */
    assert_int_equal(theirs.len, none.len);
    assert_memory_equal(theirs.body, none.body, none.len);
    bh_res_free(&theirs);
    bh_res_free(&none);
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", id);
    post(path, "admin-caerwen-sample", NULL, NULL, &theirs);
    assert_problem(&theirs, 404, NULL);
    bh_res_free(&theirs);
    snprintf(path, sizeof path, "/v1/payments/%s/refunds", id);
    post(path, "admin-caerwen-sample", NULL, "{\"amount\":1}", &theirs);
    assert_problem(&theirs, 404, NULL);
    bh_res_free(&theirs);
    get(path, "tv-caerwen-sample", &theirs);
    assert_problem(&theirs, 404, NULL);
    bh_res_free(&theirs);
    /* Appointments: a Caerwen viewer cannot book a Northbury slot,
     * see its service's slots, or see a Northbury booking. */
    post("/v1/appointments", "viewer-cw", NULL, "{\"slot_id\":\"race-01\"}", &theirs);
    assert_problem(&theirs, 404, "/problems/not-found");
    bh_res_free(&theirs);
    char q[128];
    snprintf(q, sizeof q, "/v1/appointments/slots?service=housing-advice&day=%s", g_day);
    get(q, "viewer-cw", &theirs);
    assert_problem(&theirs, 404, NULL);
    bh_res_free(&theirs);
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    assert_int_equal(get(path, "tv-northbury-sample", &mine), 200);
    bh_res_free(&mine);
    free(id);
}

static char *page_code(const char *key, long amount, const char *lang)
{
    char body[256];
    snprintf(body, sizeof body, "{\"amount\":%ld,\"reference\":\"PAGE\",\"description\":"
             "\"Council Tax\",\"language\":\"%s\"}", amount, lang);
    bh_res r;
    post("/v1/payments", key, NULL, body, &r);
    assert_int_equal(r.status, 201);
    char *u = json_str(&r, "short_url", NULL);
    char *code = strdup(strrchr(u, '/') + 1);
    free(u);
    bh_res_free(&r);
    return code;
}

static void payment_state(const char *code, char *state, size_t cap)
{
    const char *p[1] = { code };
    bo_db *db = bo_store_acquire(g_store);
    bo_rows *rows = NULL;
    assert_int_equal(bo_db_exec(db, "SELECT state FROM payments WHERE short_code = $1", 1, p,
                                &rows), BO_STORE_OK);
    assert_int_equal(rows->nrows, 1);
    snprintf(state, cap, "%s", bo_rows_get(rows, 0, 0));
    bo_rows_free(rows);
    bo_store_release(g_store, db);
}

static void t_phone_pages_cards(void **state)
{
    (void)state;
    static const struct { const char *card; long status; const char *state; const char *text; } cards[] = {
        { "4444333322221111", 200, "success", "Payment successful" },
        { "4242 4242 4242 4242", 200, "success", "Payment successful" },
        { "4000000000000002", 200, "failed", "declined" },
        { "4000000000000069", 422, "started", "expired" },
        { "4000000000000127", 422, "started", "security code is wrong" },
        { "4000000000000119", 200, "error", "problem processing" },
        { "1234567812345678", 422, "started", "only the published test card" },
    };
    for (size_t i = 0; i < sizeof cards / sizeof cards[0]; i++) {
        char *code = page_code("tv-northbury-sample", 4200, "en");
        char path[128], st[16];
        bh_res r;
        /* The link preview: any number of GETs change nothing. */
        snprintf(path, sizeof path, "/p/%s", code);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(get(path, NULL, &r), 200);
            assert_non_null(strstr(r.body, "Continue"));
            assert_non_null(strstr(r.body, "&pound;42.00"));
            assert_non_null(strstr(r.body, "<html lang=\"en\">"));
            bh_res_free(&r);
        }
        payment_state(code, st, sizeof st);
        assert_string_equal(st, "created");
        snprintf(path, sizeof path, "/pay/%s/start", code);
        assert_int_equal(post_form(path, "", &r), 200);
        assert_non_null(strstr(r.body, "name=\"card_number\""));
        bh_res_free(&r);
        payment_state(code, st, sizeof st);
        assert_string_equal(st, "started");
        char form[256];
        char enc[64];
        snprintf(enc, sizeof enc, "%s", cards[i].card);
        for (char *s = enc; *s; s++)
            if (*s == ' ')
                *s = '+';
        snprintf(form, sizeof form, "card_number=%s&expiry=12%%2F30&name=A+Person&cvc=123", enc);
        snprintf(path, sizeof path, "/pay/%s/card", code);
        post_form(path, form, &r);
        if (r.status != cards[i].status || !strstr(r.body, cards[i].text))
            fail_msg("card %s: %ld %s", cards[i].card, r.status, r.body);
        /* The page never echoes the card number back. */
        assert_null(strstr(r.body, "4000000000"));
        assert_null(strstr(r.body, "44443333"));
        bh_res_free(&r);
        payment_state(code, st, sizeof st);
        assert_string_equal(st, cards[i].state);
        free(code);
    }
    /* Welsh. */
    char *code = page_code("tv-caerwen-sample", 100, "cy");
    char path[64];
    snprintf(path, sizeof path, "/p/%s", code);
    bh_res r;
    assert_int_equal(get(path, NULL, &r), 200);
    assert_non_null(strstr(r.body, "Parhau"));
    assert_non_null(strstr(r.body, "<html lang=\"cy\">"));
    bh_res_free(&r);
    snprintf(path, sizeof path, "/p/%s?lang=en", code);
    assert_int_equal(get(path, NULL, &r), 200);
    assert_non_null(strstr(r.body, "Continue"));
    bh_res_free(&r);
    /* The viewer cancels on the phone. */
    snprintf(path, sizeof path, "/pay/%s/cancel", code);
    assert_int_equal(post_form(path, "", &r), 200);
    bh_res_free(&r);
    char st[16];
    payment_state(code, st, sizeof st);
    assert_string_equal(st, "cancelled");
    free(code);
    assert_int_equal(get("/p/BBBBBBBB", NULL, &r), 404);
    bh_res_free(&r);
    assert_int_equal(get("/p/<script>", NULL, &r), 404);
    bh_res_free(&r);
}

static char *paid_payment(const char *key, long amount)
{
    char *code = NULL;
    char *id = create_payment(key, NULL, amount, "PAID", &code);
    char path[64];
    bh_res r;
    snprintf(path, sizeof path, "/pay/%s/start", code);
    assert_int_equal(post_form(path, "", &r), 200);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/pay/%s/card", code);
    assert_int_equal(post_form(path, "card_number=4242424242424242", &r), 200);
    bh_res_free(&r);
    free(code);
    return id;
}

static void t_cancel_refund(void **state)
{
    (void)state;
    char *id = create_payment("tv-northbury-sample", NULL, 300, "CANCEL", NULL);
    char path[128];
    bh_res r;
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", id);
    assert_int_equal(post(path, "tv-northbury-sample", NULL, NULL, &r), 204);
    bh_res_free(&r);
    post(path, "tv-northbury-sample", NULL, NULL, &r);
    assert_problem(&r, 409, "/problems/payment-finished");
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    get(path, "tv-northbury-sample", &r);
    assert_json_eq(&r, "state", "status", "cancelled");
    assert_json_eq(&r, "state", "code", "P0040");
    assert_json_eq(&r, "state", "finished", "true");
    bh_res_free(&r);
    free(id);

    id = paid_payment("tv-northbury-sample", 1000);
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    get(path, "tv-northbury-sample", &r);
    assert_json_eq(&r, "state", "status", "success");
    assert_json_eq(&r, "refund_summary", "status", "available");
    assert_json_eq(&r, "refund_summary", "amount_available", "1000");
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/payments/%s/refunds", id);
    post(path, "tv-northbury-sample", NULL, "{\"amount\":100}", &r);
    assert_problem(&r, 403, "/problems/forbidden");
    bh_res_free(&r);
    post(path, "admin-northbury-sample", NULL,
         "{\"amount\":100,\"refund_amount_available\":999}", &r);
    assert_problem(&r, 412, NULL);
    bh_res_free(&r);
    post(path, "admin-northbury-sample", "refund-1",
         "{\"amount\":600,\"refund_amount_available\":1000}", &r);
    assert_int_equal(r.status, 201);
    assert_json_eq(&r, "amount", NULL, "600");
    assert_json_eq(&r, "status", NULL, "success");
    bh_res_free(&r);
    /* A retried refund does not refund twice. */
    post(path, "admin-northbury-sample", "refund-1",
         "{\"amount\":600,\"refund_amount_available\":1000}", &r);
    assert_int_equal(r.status, 201);
    bh_res_free(&r);
    post(path, "admin-northbury-sample", NULL, "{\"amount\":401}", &r);
    assert_problem(&r, 422, "/problems/refund-amount-too-high");
    bh_res_free(&r);
    post(path, "admin-northbury-sample", NULL, "{\"amount\":-1}", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    get(path, "tv-northbury-sample", &r);
    assert_int_equal(r.status, 200);
    cJSON *o = cJSON_Parse(r.body);
    cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "_embedded"), "refunds");
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    cJSON_Delete(o);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    get(path, "tv-northbury-sample", &r);
    assert_json_eq(&r, "refund_summary", "amount_available", "400");
    assert_json_eq(&r, "refund_summary", "amount_submitted", "600");
    bh_res_free(&r);
    free(id);
}

static void t_rate_limit(void **state)
{
    (void)state;
    bh_res r;
    char v[32];
    long last = 100;
    for (int i = 0; i < 5; i++) {
        get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "tv-tiny", &r);
        if (r.status == 429) {
            /* The minute rolled over between requests and an earlier
             * request of this minute counted; only the order matters. */
            bh_res_free(&r);
            break;
        }
        assert_int_equal(r.status, 404);
        assert_string_equal(bh_res_header(&r, "RateLimit-Limit", v, sizeof v), "5");
        long rem = atol(bh_res_header(&r, "RateLimit-Remaining", v, sizeof v));
        assert_true(rem < last);
        last = rem;
        bh_res_free(&r);
    }
    int limited = 0;
    for (int i = 0; i < 6 && !limited; i++) {
        get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "tv-tiny", &r);
        if (r.status == 429) {
            limited = 1;
            assert_problem(&r, 429, "/problems/rate-limited");
            assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
            assert_true(atoi(v) >= 0 && atoi(v) <= 60);
            assert_string_equal(bh_res_header(&r, "RateLimit-Remaining", v, sizeof v), "0");
        }
        bh_res_free(&r);
    }
    assert_true(limited);
    /* Other tenants are not affected. */
    assert_int_equal(get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", "tv-northbury-sample", &r), 404);
    bh_res_free(&r);
}

/* RFC 8628 device flow; returns the access token (and refresh token). */
static char *sign_in(const char *client, char **refresh)
{
    bh_res r;
    char form[256];
    snprintf(form, sizeof form, "client_id=%s&scope=appointments", client);
    assert_int_equal(post_form("/oauth/device_authorization", form, &r), 200);
    char *dc = json_str(&r, "device_code", NULL);
    char *uc = json_str(&r, "user_code", NULL);
    char *vu = json_str(&r, "verification_uri_complete", NULL);
    assert_non_null(dc);
    assert_non_null(uc);
    assert_int_equal(strlen(uc), 9);
    assert_int_equal(uc[4], '-');
    for (int i = 0; i < 9; i++)
        if (i != 4)
            assert_non_null(strchr("BCDFGHJKLMNPQRSTVWXZ", uc[i]));
    assert_non_null(strstr(vu, uc));
    bh_res_free(&r);
    char tform[256];
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=%s", dc, client);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "authorization_pending");
    bh_res_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/device?user_code=%s", uc);
    assert_int_equal(get(path, NULL, &r), 200);
    assert_non_null(strstr(r.body, uc));
    bh_res_free(&r);
    /* Typed in lower case with a space: still the same code. */
    char typed[16];
    snprintf(typed, sizeof typed, "%.4s+%.4s", uc, uc + 5);
    for (char *s = typed; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    snprintf(form, sizeof form, "user_code=%s&action=approve", typed);
    assert_int_equal(post_form("/device", form, &r), 200);
    assert_non_null(strstr(r.body, "data-state=\"approved\""));
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", tform, &r), 200);
    char *at = json_str(&r, "access_token", NULL);
    assert_json_eq(&r, "token_type", NULL, "Bearer");
    if (refresh)
        *refresh = json_str(&r, "refresh_token", NULL);
    bh_res_free(&r);
    /* The device code is spent. */
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "invalid_grant");
    bh_res_free(&r);
    free(dc);
    free(uc);
    free(vu);
    return at;
}

static void t_device_flow(void **state)
{
    (void)state;
    char *refresh = NULL;
    char *at = sign_in("northbury", &refresh);
    bh_res r;
    assert_int_equal(get("/v1/appointments", at, &r), 200);
    bh_res_free(&r);
    /* Refresh rotates: the new pair works, the old refresh token does not. */
    char form[256];
    snprintf(form, sizeof form, "grant_type=refresh_token&refresh_token=%s&client_id=northbury",
             refresh);
    assert_int_equal(post_form("/oauth/token", form, &r), 200);
    char *at2 = json_str(&r, "access_token", NULL);
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", form, &r), 400);
    assert_json_eq(&r, "error", NULL, "invalid_grant");
    bh_res_free(&r);
    assert_int_equal(get("/v1/appointments", at2, &r), 200);
    bh_res_free(&r);
    /* A refresh token belongs to its tenant. */
    free(at);
    free(refresh);
    at = sign_in("northbury", &refresh);
    snprintf(form, sizeof form, "grant_type=refresh_token&refresh_token=%s&client_id=caerwen",
             refresh);
    assert_int_equal(post_form("/oauth/token", form, &r), 400);
    bh_res_free(&r);
    /* Forged and unknown things. */
    get("/v1/appointments", "not-a-token", &r);
    assert_problem(&r, 401, NULL);
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                               "grant-type%3Adevice_code&device_code=guess&client_id=northbury",
                               &r), 400);
    assert_json_eq(&r, "error", NULL, "invalid_grant");
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/device_authorization", "client_id=nobody", &r), 401);
    assert_json_eq(&r, "error", NULL, "invalid_client");
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", "grant_type=password&client_id=northbury", &r), 400);
    assert_json_eq(&r, "error", NULL, "unsupported_grant_type");
    bh_res_free(&r);
    assert_int_equal(post_form("/device", "user_code=BBBB-BBBB&action=approve", &r), 422);
    assert_non_null(strstr(r.body, "not valid"));
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", "a=%zz", &r), 400);
    bh_res_free(&r);
    /* Denied on the phone. */
    assert_int_equal(post_form("/oauth/device_authorization", "client_id=caerwen", &r), 200);
    char *dc = json_str(&r, "device_code", NULL), *uc = json_str(&r, "user_code", NULL);
    bh_res_free(&r);
    snprintf(form, sizeof form, "user_code=%s&action=deny", uc);
    assert_int_equal(post_form("/device", form, &r), 200);
    bh_res_free(&r);
    /* A decided code cannot be approved afterwards. */
    snprintf(form, sizeof form, "user_code=%s&action=approve", uc);
    assert_int_equal(post_form("/device", form, &r), 422);
    bh_res_free(&r);
    char tform[256];
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=caerwen", dc);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "access_denied");
    bh_res_free(&r);
    /* Another tenant's client cannot redeem this device code. */
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=northbury", dc);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "invalid_grant");
    bh_res_free(&r);
    free(dc);
    free(uc);
    free(at);
    free(at2);
    free(refresh);
}

static void t_slow_down(void **state)
{
    (void)state;
    /* A second server on the same database with the standard 5 s interval:
     * two polls in a row are too fast. */
    bo_config c;
    start_cfg(&c);
    c.device_interval = 5;
    c.seed = 0;
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    bh_res r;
    req_t q = { .method = "POST", .path = "/oauth/device_authorization",
                .body = "client_id=northbury", .ctype = "application/x-www-form-urlencoded",
                .base = bo_server_base_url(s2) };
    assert_int_equal(http(&q, &r), 200);
    assert_json_eq(&r, "interval", NULL, "5");
    char *dc = json_str(&r, "device_code", NULL);
    bh_res_free(&r);
    char tform[256];
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=northbury", dc);
    q.path = "/oauth/token";
    q.body = tform;
    assert_int_equal(http(&q, &r), 400);
    assert_json_eq(&r, "error", NULL, "authorization_pending");
    bh_res_free(&r);
    assert_int_equal(http(&q, &r), 400);
    assert_json_eq(&r, "error", NULL, "slow_down");
    bh_res_free(&r);
    char h[65];
    bo_sha256_hex(dc, strlen(dc), h);
    const char *p[1] = { h };
    assert_int_equal(fx_count("SELECT poll_interval FROM device_codes WHERE device_hash = $1",
                              1, p), 10);
    free(dc);
    bo_server_stop(s2);
}

static void t_appointments(void **state)
{
    (void)state;
    bh_res r;
    char q[160];
    snprintf(q, sizeof q, "/v1/appointments/slots?service=housing-advice&day=%s", g_day);
    assert_int_equal(get(q, "tv-northbury-sample", &r), 200);
    cJSON *o = cJSON_Parse(r.body);
    cJSON *slots = cJSON_GetObjectItem(o, "slots");
    assert_int_equal(cJSON_GetArraySize(slots), 6);
    char slot[96], body[160];
    snprintf(slot, sizeof slot, "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(slots, 0), "slot_id")->valuestring);
    cJSON_Delete(o);
    bh_res_free(&r);
    snprintf(body, sizeof body, "{\"slot_id\":\"%s\"}", slot);
    post("/v1/appointments", "tv-northbury-sample", NULL, body, &r);
    assert_problem(&r, 403, "/problems/sign-in-required");
    bh_res_free(&r);
    post("/v1/appointments", "viewer-01", "book-1", body, &r);
    assert_int_equal(r.status, 201);
    char *appt = json_str(&r, "appointment_id", NULL);
    assert_json_eq(&r, "status", NULL, "booked");
    assert_json_eq(&r, "day", NULL, g_day);
    bh_res_free(&r);
    post("/v1/appointments", "viewer-02", NULL, body, &r);
    assert_problem(&r, 409, "/problems/slot-unavailable");
    bh_res_free(&r);
    assert_int_equal(get(q, "viewer-02", &r), 200);
    o = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "slots")), 5);
    cJSON_Delete(o);
    bh_res_free(&r);
    assert_int_equal(get("/v1/appointments", "viewer-01", &r), 200);
    o = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "appointments")), 1);
    cJSON_Delete(o);
    bh_res_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/v1/appointments/%s", appt);
    get(path, "viewer-02", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/appointments/%s/cancel", appt);
    post(path, "viewer-02", NULL, NULL, &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    assert_int_equal(post(path, "viewer-01", NULL, NULL, &r), 200);
    assert_json_eq(&r, "status", NULL, "cancelled");
    bh_res_free(&r);
    post(path, "viewer-01", NULL, NULL, &r);
    assert_problem(&r, 409, NULL);
    bh_res_free(&r);
    /* The slot is free again. */
    assert_int_equal(post("/v1/appointments", "viewer-02", NULL, body, &r), 201);
    bh_res_free(&r);
    /* Bad input. */
    get("/v1/appointments/slots?service=housing-advice&day=2030-13-01", "viewer-01", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    get("/v1/appointments/slots?service=x%27%3Bdrop&day=2030-01-01", "viewer-01", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    post("/v1/appointments", "viewer-01", NULL, "{\"slot_id\":\"nope\"}", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    post("/v1/appointments", "viewer-01", NULL, "{\"slot_id\":7}", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    free(appt);
}

static void t_slot_race(void **state)
{
    (void)state;
    enum { N = 50 };
    job_t *jobs = calloc(N, sizeof *jobs);
    char (*auth)[16] = calloc(N, 16);
    char (*body)[64] = calloc(N, 64);
    assert_non_null(jobs);
    for (int i = 0; i < N; i++) {
        snprintf(auth[i], 16, "viewer-%02d", i);
        snprintf(body[i], 64, "{\"slot_id\":\"race-%02d\"}", i % 10 + 1);
        jobs[i].path = "/v1/appointments";
        jobs[i].auth = auth[i];
        jobs[i].body = body[i];
    }
    run_jobs(jobs, N);
    int ok = 0, conflict = 0;
    for (int i = 0; i < N; i++) {
        if (jobs[i].r.status == 201)
            ok++;
        else if (jobs[i].r.status == 409) {
            conflict++;
            assert_problem(&jobs[i].r, 409, "/problems/slot-unavailable");
        } else
            fail_msg("unexpected %ld %s", jobs[i].r.status, jobs[i].r.body ? jobs[i].r.body : "");
        bh_res_free(&jobs[i].r);
    }
    assert_int_equal(ok, 10);
    assert_int_equal(conflict, 40);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM appointments WHERE slot_id LIKE 'race-%' "
                              "AND state = 'booked'", 0, NULL), 10);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM slots WHERE id LIKE 'race-%' "
                              "AND appointment_id IS NOT NULL", 0, NULL), 10);
    free(jobs);
    free(auth);
    free(body);
}

/* A client that sends half its body, lets the test stop the server, then
 * sends the rest: the request was in flight and must still be answered. */
typedef struct {
    const char *body;
    size_t off, len;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int half_sent, go_on;
    bh_res r;
    const char *base;
} slow_t;

static size_t slow_read(char *buf, size_t size, size_t n, void *u)
{
    slow_t *s = u;
    size_t half = s->len / 2;
    if (s->off == half) {
        pthread_mutex_lock(&s->mu);
        s->half_sent = 1;
        pthread_cond_broadcast(&s->cv);
        while (!s->go_on)
            pthread_cond_wait(&s->cv, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    size_t end = s->off < half ? half : s->len;
    size_t k = end - s->off;
    if (k > size * n)
        k = size * n;
    memcpy(buf, s->body + s->off, k);
    s->off += k;
    return k;
}

static void *slow_client(void *arg)
{
    slow_t *s = arg;
    CURL *c = curl_easy_init();
    char url[300];
    snprintf(url, sizeof url, "%s/v1/payments", s->base);
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer tv-northbury-sample");
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, slow_read);
    curl_easy_setopt(c, CURLOPT_READDATA, s);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)s->len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bh_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->r.status);
    else
        s->r.status = -1;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

typedef struct {
    bo_server *srv;
} stop_t;

static void *stopper(void *arg)
{
    bo_server_stop(((stop_t *)arg)->srv);
    return NULL;
}

static void t_graceful_stop(void **state)
{
    (void)state;
    bo_config c;
    start_cfg(&c);
    c.seed = 0;
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    slow_t s = { .body = "{\"amount\":250,\"reference\":\"INFLIGHT-1\",\"description\":\"Stop\"}",
                 .base = bo_server_base_url(s2) };
    s.len = strlen(s.body);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    pthread_t tc, ts;
    pthread_create(&tc, NULL, slow_client, &s);
    pthread_mutex_lock(&s.mu);
    while (!s.half_sent)
        pthread_cond_wait(&s.cv, &s.mu);
    pthread_mutex_unlock(&s.mu);
    /* The server has the headers and half the body; stop it now. */
    usleep(100 * 1000); /* let the first half reach the server (ordering only) */
    stop_t st = { s2 };
    pthread_create(&ts, NULL, stopper, &st);
    usleep(100 * 1000);
    pthread_mutex_lock(&s.mu);
    s.go_on = 1;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    pthread_join(tc, NULL);
    pthread_join(ts, NULL);
    assert_int_equal(s.r.status, 201);
    const char *p[1] = { "INFLIGHT-1" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 1);
    bh_res_free(&s.r);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
}

static void t_disk_full(void **state)
{
    (void)state;
    if (g_is_pg)
        skip();
    /* A database on a small quota: once full, creations answer 503 with
     * Retry-After, and every payment that got a 201 is still there. */
    char spec[128];
    snprintf(spec, sizeof spec, "%s/full.db", g_dir);
    bo_config c;
    start_cfg(&c);
    snprintf(c.database, sizeof c.database, "%s", spec);
    c.sqlite_max_pages = 60;
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    char ids[1000][27];
    int n = 0, full = 0;
    for (int i = 0; i < 1000 && !full; i++) {
        char body[300];
        snprintf(body, sizeof body, "{\"amount\":%d,\"reference\":\"FULL-%04d-"
                 "padding-padding-padding-padding-padding-padding-padding\","
                 "\"description\":\"Quota test padding padding padding padding\"}", i + 1, i);
        req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                    .body = body, .base = bo_server_base_url(s2) };
        bh_res r;
        http(&q, &r);
        if (r.status == 201) {
            char *id = json_str(&r, "payment_id", NULL);
            snprintf(ids[n++], 27, "%s", id);
            free(id);
        } else {
            assert_problem(&r, 503, "/problems/service-unavailable");
            char v[16];
            assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
            full = 1;
        }
        bh_res_free(&r);
    }
    assert_true(full);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/payments/%.26s", ids[i]);
        req_t q = { .method = "GET", .path = path, .auth = "tv-northbury-sample",
                    .base = bo_server_base_url(s2) };
        bh_res r;
        assert_int_equal(http(&q, &r), 200);
        bh_res_free(&r);
    }
    bo_server_stop(s2);
    /* And after a restart. */
    bo_store *st;
    bo_store_cfg sc = { .spec = spec, .pool_size = 1 };
    assert_int_equal(bo_store_open(&sc, &st, err, sizeof err), BO_STORE_OK);
    bo_db *db = bo_store_acquire(st);
    bo_rows *rows = NULL;
    assert_int_equal(bo_db_exec(db, "SELECT COUNT(*) FROM payments", 0, NULL, &rows), BO_STORE_OK);
    assert_int_equal(atoi(bo_rows_get(rows, 0, 0)), n);
    bo_rows_free(rows);
    bo_store_release(st, db);
    bo_store_close(st);
}


/* ---- slow clients, guessed codes, shared limits, a read-only or full disk ---- */

/* A raw connection to a server's port. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* What a connection has had from the server so far: 0 nothing yet, 1 it
 * was closed (or reset), 2 an answer began.  Keeps what it read in buf. */
static int raw_state(int fd, char *buf, size_t cap, size_t *len)
{
    for (;;) {
        ssize_t n = recv(fd, buf + *len, cap - 1 - *len, MSG_DONTWAIT);
        if (n > 0) {
            *len += (size_t)n;
            buf[*len] = '\0';
            if (*len + 1 >= cap)
                return 2;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return *len ? 2 : 1;
        return *len ? 2 : 0;
    }
}

typedef struct {
    int port, nslow;
    int closed;                  /* slow connections cut off */
    int answered_2xx;            /* slow connections that got a 2xx (wrong) */
    double seconds;              /* until the last was cut off */
} slow_run;

/* Eight connections dribble a request header a byte a second, and one
 * more a body after whole headers, until the server closes them (bounded
 * at 40 s). */
static void *slow_main(void *arg)
{
    slow_run *sr = arg;
    enum { N = 9 };
    int fd[N], state[N];
    size_t sent[N], len[N];
    char buf[N][512];
    static const char head[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    static const char post[] = "POST /device HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                               "application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\n";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) {
        fd[i] = raw_connect(sr->port);
        state[i] = 0;
        sent[i] = len[i] = 0;
        buf[i][0] = '\0';
    }
    /* The body dribbler sends its headers at once. */
    assert_int_equal(send(fd[N - 1], post, strlen(post), MSG_NOSIGNAL), (ssize_t)strlen(post));
    int open = N;
    for (int tick = 0; tick < 40 && open > 0; tick++) {
        for (int i = 0; i < N; i++) {
            if (state[i])
                continue;
            char b = i == N - 1 ? 'x' : head[sent[i] % (sizeof head - 1)];
            if (send(fd[i], &b, 1, MSG_NOSIGNAL) != 1) {
                state[i] = 1;
                open--;
                continue;
            }
            sent[i]++;
        }
        sleep(1);
        for (int i = 0; i < N; i++) {
            if (state[i])
                continue;
            int st = raw_state(fd[i], buf[i], sizeof buf[i], &len[i]);
            if (st == 2) {
                /* Read the rest of the answer. */
                for (int k = 0; k < 20 && raw_state(fd[i], buf[i], sizeof buf[i], &len[i]) == 2 &&
                                strstr(buf[i], "}") == NULL; k++)
                    usleep(50 * 1000);
            }
            if (st) {
                state[i] = st;
                open--;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sr->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (int i = 0; i < N; i++) {
        if (state[i])
            sr->closed++;
        if (strncmp(buf[i], "HTTP/1.1 2", 10) == 0)
            sr->answered_2xx++;
        close(fd[i]);
    }
    sr->nslow = N;
    return NULL;
}

static void t_slow_clients(void **state)
{
    (void)state;
    /* A server with two worker threads, a 3 s request deadline and a long
     * idle timeout (which a byte a second never trips). */
    bo_config c;
    start_cfg(&c);
    c.seed = 0;
    c.threads = 2;
    c.timeout = 60;
    c.request_timeout = 3;
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    slow_run sr = { .port = bo_server_port(s2) };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_main, &sr), 0);
    /* Meanwhile, ordinary clients are served at once, again and again. */
    for (int i = 0; i < 10; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        req_t q = { .method = "GET", .path = "/health", .base = bo_server_base_url(s2) };
        bh_res r;
        assert_int_equal(http(&q, &r), 200);
        bh_res_free(&r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        /* Generous: an answer is milliseconds; a starved pool would wait
         * for the slow ones. */
        assert_true(t1.tv_sec - t0.tv_sec < 3);
        usleep(300 * 1000);
    }
    pthread_join(th, NULL);
    /* Every slow one was cut off, after the deadline and well before the
     * 40 s bound; none was answered as if its request had come whole. */
    assert_int_equal(sr.closed, sr.nslow);
    assert_int_equal(sr.answered_2xx, 0);
    assert_true(sr.seconds >= 3 && sr.seconds < 30);
    /* And the server still serves. */
    req_t q = { .method = "GET", .path = "/health", .base = bo_server_base_url(s2) };
    bh_res r;
    assert_int_equal(http(&q, &r), 200);
    bh_res_free(&r);
    bo_server_stop(s2);
}

/* RFC 8628 section 5.1: wrong user codes on the /device page are limited
 * per client address (10 in 10 minutes, then 429 with Retry-After, and
 * not even a right code is tried); other addresses are not affected; an
 * expired code is refused on the page and at the token endpoint. */
static void t_device_guessing(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(post_form("/oauth/device_authorization", "client_id=northbury", &r), 200);
    char *dc = json_str(&r, "device_code", NULL), *uc = json_str(&r, "user_code", NULL);
    bh_res_free(&r);
    /* A guesser from 127.0.0.3 (the counters live in the database, so a
     * source address of its own keeps this test apart from the others). */
    req_t q = { .method = "POST", .path = "/device", .ctype = "application/x-www-form-urlencoded",
                .from = "127.0.0.3" };
    char form[96];
    int limited = 0, wrong = 0;
    for (int i = 0; i < 14; i++) {
        snprintf(form, sizeof form, "user_code=BBBB-%04d&action=approve", 2000 + i);
        for (char *p = form + 15; *p && *p != '&'; p++)
            *p = "BCDFGHJKLM"[*p - '0'];
        q.body = form;
        http(&q, &r);
        if (r.status == 429) {
            limited++;
            char v[16];
            assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
            assert_true(atoi(v) > 0 && atoi(v) <= 600);
            assert_non_null(strstr(r.body, "id=\"error\""));
        } else {
            assert_int_equal(r.status, 422);
            wrong++;
        }
        bh_res_free(&r);
    }
    assert_int_equal(wrong, 10);
    assert_int_equal(limited, 4);
    /* The right code from the guesser's address is not even tried... */
    snprintf(form, sizeof form, "user_code=%s&action=approve", uc);
    q.body = form;
    assert_int_equal(http(&q, &r), 429);
    bh_res_free(&r);
    char tform[256];
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=northbury", dc);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "authorization_pending");
    bh_res_free(&r);
    /* ...while the viewer's phone, elsewhere, approves it. */
    q.from = "127.0.0.4";
    assert_int_equal(http(&q, &r), 200);
    assert_non_null(strstr(r.body, "data-state=\"approved\""));
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", tform, &r), 200);
    bh_res_free(&r);
    /* Used: refused on the page and at the token endpoint. */
    assert_int_equal(http(&q, &r), 422);
    bh_res_free(&r);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "invalid_grant");
    bh_res_free(&r);
    free(dc);
    free(uc);
    /* Expired: refused on the page, expired_token at the token endpoint. */
    assert_int_equal(post_form("/oauth/device_authorization", "client_id=northbury", &r), 200);
    dc = json_str(&r, "device_code", NULL);
    uc = json_str(&r, "user_code", NULL);
    bh_res_free(&r);
    const char *p[1] = { uc };
    fx("UPDATE device_codes SET expires = 1000 WHERE user_code = $1", 1, p);
    snprintf(form, sizeof form, "user_code=%s&action=approve", uc);
    q.from = "127.0.0.5";
    assert_int_equal(http(&q, &r), 422);
    assert_non_null(strstr(r.body, "expired"));
    bh_res_free(&r);
    snprintf(tform, sizeof tform, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&device_code=%s&client_id=northbury", dc);
    assert_int_equal(post_form("/oauth/token", tform, &r), 400);
    assert_json_eq(&r, "error", NULL, "expired_token");
    bh_res_free(&r);
    free(dc);
    free(uc);
}

/* Two servers on one PostgreSQL database share each tenant's limit and
 * the /device attempt count. */
static void t_rate_limit_shared(void **state)
{
    (void)state;
    if (!g_is_pg)
        skip(); /* SQLite counts in each process (docs/backoffice.md) */
    const char *t[3] = { "duo", "Duo Town Council", "6" };
    fx("INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)", 3, t);
    char h[65];
    bo_sha256_hex("tv-duo", 6, h);
    const char *k[4] = { h, "duo", "tv", "test" };
    fx("INSERT INTO api_keys (key_hash, tenant_id, role, label) VALUES ($1, $2, $3, $4)", 4, k);
    bo_config c;
    start_cfg(&c);
    c.seed = 0;
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    const char *base[2] = { g_base, bo_server_base_url(s2) };
    int ok = 0, done = 0;
    for (int attempt = 0; attempt < 3 && !done; attempt++) {
        /* Start just after a minute begins, so that the window holds. */
        while (bo_now() % 60 > 45)
            sleep(1);
        int64_t win = bo_now() / 60;
        ok = 0;
        int refused_by[2] = { 0, 0 };
        for (int i = 0; i < 12; i++) {
            req_t q = { .method = "GET", .path = "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa",
                        .auth = "tv-duo", .base = base[i % 2] };
            bh_res r;
            http(&q, &r);
            if (r.status == 429) {
                refused_by[i % 2]++;
                char v[16];
                assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
                assert_string_equal(bh_res_header(&r, "RateLimit-Remaining", v, sizeof v), "0");
            } else {
                assert_int_equal(r.status, 404);
                ok++;
            }
            bh_res_free(&r);
        }
        if (bo_now() / 60 != win)
            continue; /* the minute turned: run it again */
        done = 1;
        assert_int_equal(ok, 6);
        assert_true(refused_by[0] > 0 && refused_by[1] > 0);
    }
    assert_true(done);
    /* Wrong user codes counted on one server are counted on the other. */
    int limited = 0;
    for (int i = 0; i < 12; i++) {
        req_t q = { .method = "POST", .path = "/device", .base = base[i % 2],
                    .ctype = "application/x-www-form-urlencoded", .from = "127.0.0.6",
                    .body = "user_code=CCCC-CCCC&action=approve" };
        bh_res r;
        http(&q, &r);
        limited += r.status == 429;
        bh_res_free(&r);
    }
    assert_int_equal(limited, 2);
    bo_server_stop(s2);
}

/* Sets or clears the immutable attribute (chattr +i): even root's writes
 * through files already open fail, as on a read-only disk. */
static int set_immutable(const char *path, int on)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int flags = 0, rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
    if (rc == 0) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    close(fd);
    return rc;
}

static char g_ro_db[160];

static int teardown_readonly(void **state)
{
    (void)state;
    char p[200];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", g_ro_db, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        (void)set_immutable(p, 0);
    }
    return 0;
}

static long create_on(const char *base, const char *idem, const char *ref, bh_res *r)
{
    char body[200];
    snprintf(body, sizeof body, "{\"amount\":500,\"reference\":\"%s\",\"description\":\"Disk test\"}",
             ref);
    req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                .idem = idem, .body = body, .base = base };
    return http(&q, r);
}

/* The database turns read-only under a running server (its files made
 * immutable): creations answer 503 problem+json with Retry-After and store
 * nothing, reads go on, and once writable again the same Idempotency-Key
 * creates exactly one payment. */
static void t_disk_readonly(void **state)
{
    (void)state;
    if (g_is_pg)
        skip();
    snprintf(g_ro_db, sizeof g_ro_db, "%s/ro.db", g_dir);
    bo_config c;
    start_cfg(&c);
    snprintf(c.database, sizeof c.database, "%s", g_ro_db);
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    const char *base = bo_server_base_url(s2);
    bh_res r;
    assert_int_equal(create_on(base, "ro-1", "RO-1", &r), 201);
    char *id = json_str(&r, "payment_id", NULL);
    bh_res_free(&r);
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", g_ro_db);
    if (set_immutable(g_ro_db, 1) != 0 || set_immutable(wal, 1) != 0) {
        teardown_readonly(NULL);
        bo_server_stop(s2);
        free(id);
        skip(); /* not root, or a file system without the attribute */
    }
    for (int i = 0; i < 3; i++) {
        create_on(base, "ro-2", "RO-2", &r);
        assert_problem(&r, 503, "/problems/service-unavailable");
        char v[16];
        assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
        bh_res_free(&r);
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    req_t q = { .method = "GET", .path = path, .auth = "tv-northbury-sample", .base = base };
    assert_int_equal(http(&q, &r), 200);
    bh_res_free(&r);
    teardown_readonly(NULL);
    assert_int_equal(create_on(base, "ro-2", "RO-2", &r), 201);
    bh_res_free(&r);
    assert_int_equal(create_on(base, "ro-2", "RO-2", &r), 201); /* the replay */
    bh_res_free(&r);
    bo_server_stop(s2);
    bo_store *st;
    bo_store_cfg sc = { .spec = g_ro_db, .pool_size = 1 };
    assert_int_equal(bo_store_open(&sc, &st, err, sizeof err), BO_STORE_OK);
    bo_db *db = bo_store_acquire(st);
    bo_rows *rows = NULL;
    assert_int_equal(bo_db_exec(db, "SELECT reference, COUNT(*) FROM payments GROUP BY reference "
                                    "ORDER BY reference", 0, NULL, &rows), BO_STORE_OK);
    assert_int_equal(rows->nrows, 2);
    assert_string_equal(bo_rows_get(rows, 0, 0), "RO-1");
    assert_string_equal(bo_rows_get(rows, 0, 1), "1");
    assert_string_equal(bo_rows_get(rows, 1, 0), "RO-2");
    assert_string_equal(bo_rows_get(rows, 1, 1), "1");
    bo_rows_free(rows);
    bo_store_release(st, db);
    bo_store_close(st);
    free(id);
}

static char g_mnt[160];

static int teardown_mount(void **state)
{
    (void)state;
    if (g_mnt[0])
        umount2(g_mnt, MNT_DETACH);
    g_mnt[0] = '\0';
    return 0;
}

/* A real full disk: the database on a 1 MiB tmpfs (as root).  Creations
 * answer 503 once it is full and leave no half-stored payment: every 201
 * is there after a restart on a bigger disk, and nothing else is. */
static void t_disk_full_tmpfs(void **state)
{
    (void)state;
    if (g_is_pg)
        skip();
    snprintf(g_mnt, sizeof g_mnt, "%s/small", g_dir);
    assert_int_equal(mkdir(g_mnt, 0700), 0);
    if (mount("tmpfs", g_mnt, "tmpfs", 0, "size=1m") != 0) {
        g_mnt[0] = '\0';
        skip(); /* not root */
    }
    char spec[200];
    snprintf(spec, sizeof spec, "%s/bo.db", g_mnt);
    bo_config c;
    start_cfg(&c);
    snprintf(c.database, sizeof c.database, "%s", spec);
    bo_server *s2;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), 0);
    const char *base = bo_server_base_url(s2);
    int created = 0, full = 0;
    for (int i = 0; i < 5000 && full < 3; i++) {
        char idem[32], ref[32];
        snprintf(idem, sizeof idem, "full-%d", i);
        snprintf(ref, sizeof ref, "TMPFS-%05d", i);
        bh_res r;
        create_on(base, idem, ref, &r);
        if (r.status == 201) {
            assert_int_equal(full, 0); /* no success once it is full */
            created++;
        } else {
            assert_problem(&r, 503, "/problems/service-unavailable");
            full++;
        }
        bh_res_free(&r);
    }
    assert_int_equal(full, 3);
    assert_true(created > 0);
    bo_server_stop(s2);
    /* Copy it off the full disk and count. */
    char cmd[1200], copy[200];
    snprintf(copy, sizeof copy, "%s/copy.db", g_dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && { [ ! -e '%s-wal' ] || cp '%s-wal' '%s-wal'; }",
             spec, copy, spec, spec, copy);
    assert_int_equal(system(cmd), 0);
    teardown_mount(NULL);
    bo_store *st;
    bo_store_cfg sc = { .spec = copy, .pool_size = 1 };
    assert_int_equal(bo_store_open(&sc, &st, err, sizeof err), BO_STORE_OK);
    bo_db *db = bo_store_acquire(st);
    bo_rows *rows = NULL;
    assert_int_equal(bo_db_exec(db, "SELECT COUNT(*), COUNT(DISTINCT reference) FROM payments",
                                0, NULL, &rows), BO_STORE_OK);
    assert_int_equal(atoi(bo_rows_get(rows, 0, 0)), created);
    assert_int_equal(atoi(bo_rows_get(rows, 0, 1)), created);
    bo_rows_free(rows);
    assert_int_equal(bo_db_exec(db, "SELECT COUNT(*) FROM idempotency WHERE state <> 'done'",
                                0, NULL, &rows), BO_STORE_OK);
    assert_string_equal(bo_rows_get(rows, 0, 0), "0");
    bo_rows_free(rows);
    bo_store_release(st, db);
    bo_store_close(st);
}

/* The sample seed serves the sample content's councils (content/
 * regions.json): every postcode district there finds its council, with a
 * Council Tax payment and more; each council has sample keys; the sample
 * cases can be looked up with their postcode. */
static void t_sample_seed(void **state)
{
    (void)state;
    FILE *f = fopen("content/regions.json", "rb");
    assert_non_null(f);
    char *text = calloc(1, 1 << 16);
    assert_non_null(text);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    assert_true(n > 0);
    cJSON *regions = cJSON_Parse(text);
    free(text);
    assert_non_null(regions);
    int councils = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(regions, "councils")) {
        const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
        councils++;
        cJSON *pc;
        cJSON_ArrayForEach(pc, cJSON_GetObjectItem(c, "postcodes")) {
            /* "CE" (an area): its district 1; "NB9" (a district): itself. */
            const char *d = pc->valuestring;
            char path[96];
            snprintf(path, sizeof path, "/v1/catalogue?postcode=%s%s%%202AB", d,
                     d[strlen(d) - 1] >= '0' && d[strlen(d) - 1] <= '9' ? "" : "1");
            bh_res r;
            if (get(path, NULL, &r) != 200)
                fail_msg("%s: %ld %s", path, r.status, r.body ? r.body : "");
            assert_json_eq(&r, "tenant", "id", id);
            assert_non_null(strstr(r.body, "\"council-tax\""));
            bh_res_free(&r);
        }
        char key[64];
        snprintf(key, sizeof key, "tv-%s-sample", id);
        bh_res r;
        assert_int_equal(get("/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", key, &r), 404);
        bh_res_free(&r);
    }
    cJSON_Delete(regions);
    assert_int_equal(councils, 4);
    /* The content's "postcodes to try". */
    static const struct { const char *pc, *tenant; } tries[] = {
        { "CE1%201AA", "caerwen" }, { "NB9%204QS", "caerwen" }, { "NB3%202XY", "northbury" },
        { "EM3%202DC", "eastmoor" }, { "EM12%207PL", "riverton" }, { "RV1%202CC", "riverton" },
    };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/catalogue?postcode=%s", tries[i].pc);
        bh_res r;
        assert_int_equal(get(path, NULL, &r), 200);
        assert_json_eq(&r, "tenant", "id", tries[i].tenant);
        bh_res_free(&r);
    }
    bh_res r;
    get("/v1/catalogue?postcode=ZZ1%201ZZ", NULL, &r);
    assert_problem(&r, 404, "/problems/postcode-not-served");
    bh_res_free(&r);
    /* Sample cases with their history, and slots for the next week. */
    assert_int_equal(get("/v1/cases/RI-B2C3D4F5?postcode=EM12%207PL", "tv-riverton-sample", &r),
                     200);
    assert_json_eq(&r, "status", NULL, "FIXED");
    cJSON *o = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "history")), 3);
    cJSON_Delete(o);
    bh_res_free(&r);
    assert_int_equal(get("/v1/cases/EA-G6H7J8K9?postcode=EM3%202DC", "tv-eastmoor-sample", &r),
                     200);
    assert_json_eq(&r, "status", NULL, "received");
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/requests.json?jurisdiction_id=riverton", NULL, &r), 200);
    assert_non_null(strstr(r.body, "RI-B2C3D4F5"));
    bh_res_free(&r);
    char q[160];
    snprintf(q, sizeof q, "/v1/appointments/slots?service=bulky-items&day=%s", g_day);
    assert_int_equal(get(q, "tv-eastmoor-sample", &r), 200);
    o = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "slots")), 6);
    cJSON_Delete(o);
    bh_res_free(&r);
}

static void t_catalogue(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(get("/v1/catalogue?postcode=nb1%201aa", NULL, &r), 200);
    assert_json_eq(&r, "tenant", "id", "northbury");
    cJSON *o = cJSON_Parse(r.body);
    cJSON *svcs = cJSON_GetObjectItem(o, "services");
    int found57 = 0;
    cJSON *x;
    cJSON_ArrayForEach(x, svcs) {
        cJSON *l = cJSON_GetObjectItem(x, "lgsl");
        if (cJSON_IsNumber(l) && l->valueint == 57 &&
            strcmp(cJSON_GetObjectItem(x, "code")->valuestring, "council-tax") == 0)
            found57 = 1;
        assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "name"), "en"));
    }
    assert_true(found57);
    assert_true(cJSON_GetArraySize(svcs) >= 4);
    cJSON_Delete(o);
    char etag[96];
    assert_non_null(bh_res_header(&r, "ETag", etag, sizeof etag));
    bh_res_free(&r);
    /* A cached copy is still good: 304 with no body. */
    req_t q = { .method = "GET", .path = "/v1/catalogue?postcode=NB11AA" };
    CURL *c = curl_easy_init();
    char url[300], hdr[160];
    snprintf(url, sizeof url, "%s%s", g_base, q.path);
    snprintf(hdr, sizeof hdr, "If-None-Match: %s", etag);
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    memset(&r, 0, sizeof r);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bh_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    bh_res_free(&r);
    /* Another tenant's area. */
    assert_int_equal(get("/v1/catalogue?postcode=CE2%203CD", NULL, &r), 200);
    assert_json_eq(&r, "tenant", "id", "caerwen");
    bh_res_free(&r);
    get("/v1/catalogue?postcode=ZZ9%209ZZ", NULL, &r);
    assert_problem(&r, 404, "/problems/postcode-not-served");
    bh_res_free(&r);
    get("/v1/catalogue?postcode=%27%3B--", NULL, &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    get("/v1/catalogue", NULL, &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
}

static void t_forms_cases(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(get("/v1/forms", "tv-northbury-sample", &r), 200);
    assert_non_null(strstr(r.body, "blue-badge"));
    bh_res_free(&r);
    assert_int_equal(get("/v1/forms/blue-badge", "tv-northbury-sample", &r), 200);
    cJSON *o = cJSON_Parse(r.body);
    cJSON *attrs = cJSON_GetObjectItem(o, "attributes");
    assert_int_equal(cJSON_GetArraySize(attrs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(attrs, 0), "datatype")->valuestring,
                        "string");
    cJSON_Delete(o);
    bh_res_free(&r);
    get("/v1/forms/blue-badge", "tv-caerwen-sample", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    static const struct { const char *body; const char *detail; } bad[] = {
        { "{\"postcode\":\"NB1 1AA\",\"answers\":{\"full_name\":\"A\"}}", "answers.reason: required" },
        { "{\"postcode\":\"NB1 1AA\",\"answers\":{\"full_name\":\"A\",\"reason\":\"r\",\"x\":1}}",
          "answers.x: unknown field" },
        { "{\"postcode\":\"NB1 1AA\",\"answers\":{\"full_name\":7,\"reason\":\"r\"}}",
          "answers.full_name: must be a valid string" },
        { "{\"postcode\":\"nowhere\",\"answers\":{}}", "postcode" },
        { "{\"postcode\":\"NB1 1AA\",\"answers\":[]}", "answers: must be an object" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post("/v1/forms/blue-badge/submissions", "tv-northbury-sample", NULL, bad[i].body, &r);
        assert_problem(&r, 422, NULL);
        char *d = json_str(&r, "detail", NULL);
        if (!d || !strstr(d, bad[i].detail))
            fail_msg("case %zu: %s", i, d ? d : "(none)");
        free(d);
        bh_res_free(&r);
    }
    /* A signed-in viewer submits; the case is theirs. */
    post("/v1/forms/blue-badge/submissions", "viewer-03", "form-1",
         "{\"postcode\":\"nb1 1aa\",\"answers\":{\"full_name\":\"A Person\",\"reason\":\"Mobility\"}}",
         &r);
    assert_int_equal(r.status, 201);
    char *ref = json_str(&r, "reference", NULL);
    assert_non_null(ref);
    assert_int_equal(strlen(ref), 11);
    assert_json_eq(&r, "status", NULL, "received");
    bh_res_free(&r);
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AA", ref);
    assert_int_equal(get(path, "tv-northbury-sample", &r), 200);
    assert_json_eq(&r, "reference", NULL, ref);
    bh_res_free(&r);
    /* A wrong postcode, another tenant, or none: the same 404. */
    bh_res w, t, m;
    snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AB", ref);
    get(path, "tv-northbury-sample", &w);
    snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AA", ref);
    get(path, "tv-caerwen-sample", &t);
    get("/v1/cases/NO-BBBBBBBB?postcode=NB1%201AA", "tv-northbury-sample", &m);
    assert_problem(&w, 404, NULL);
    assert_int_equal(w.len, t.len);
    assert_memory_equal(w.body, t.body, w.len);
    assert_int_equal(w.len, m.len);
    assert_memory_equal(w.body, m.body, w.len);
    bh_res_free(&w);
    bh_res_free(&t);
    bh_res_free(&m);
    /* The owner needs no postcode. */
    snprintf(path, sizeof path, "/v1/cases/%s", ref);
    assert_int_equal(get(path, "viewer-03", &r), 200);
    bh_res_free(&r);
    get(path, "viewer-04", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    assert_int_equal(get("/v1/cases", "viewer-03", &r), 200);
    assert_non_null(strstr(r.body, ref));
    bh_res_free(&r);
    get("/v1/cases", "tv-northbury-sample", &r);
    assert_problem(&r, 403, NULL);
    bh_res_free(&r);
    /* Staff move it on; the history shows both steps. */
    snprintf(path, sizeof path, "/v1/cases/%s/updates", ref);
    post(path, "tv-northbury-sample", NULL, "{\"status\":\"decided\"}", &r);
    assert_problem(&r, 403, NULL);
    bh_res_free(&r);
    post(path, "admin-northbury-sample", NULL, "{\"status\":\"FIXED\"}", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    post(path, "admin-caerwen-sample", NULL, "{\"status\":\"decided\"}", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    assert_int_equal(post(path, "admin-northbury-sample", NULL,
                          "{\"status\":\"decided\",\"note\":\"Approved\"}", &r), 201);
    o = cJSON_Parse(r.body);
    cJSON *hist = cJSON_GetObjectItem(o, "history");
    assert_int_equal(cJSON_GetArraySize(hist), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 1), "note")->valuestring,
                        "Approved");
    cJSON_Delete(o);
    bh_res_free(&r);
    free(ref);
}

static void t_open311(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(get("/open311/v2/services.json?jurisdiction_id=northbury", NULL, &r), 200);
    cJSON *o = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(o));
    int pothole = 0;
    cJSON *x;
    cJSON_ArrayForEach(x, o)
        if (strcmp(cJSON_GetObjectItem(x, "service_code")->valuestring, "pothole") == 0) {
            pothole = 1;
            assert_true(cJSON_IsTrue(cJSON_GetObjectItem(x, "metadata")));
            assert_string_equal(cJSON_GetObjectItem(x, "type")->valuestring, "realtime");
        }
    assert_true(pothole);
    cJSON_Delete(o);
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/services/pothole.json?jurisdiction_id=northbury", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"singlevaluelist\""));
    bh_res_free(&r);
    /* Open311's own error format. */
    assert_int_equal(get("/open311/v2/services/pothole.json?jurisdiction_id=caerwen", NULL, &r), 404);
    o = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(o));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(o, 0), "code")->valueint, 404);
    cJSON_Delete(o);
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/services.json", NULL, &r), 400);
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/services.txt?jurisdiction_id=northbury", NULL, &r), 404);
    bh_res_free(&r);
    static const struct { const char *form; long status; const char *text; } bad[] = {
        { "jurisdiction_id=northbury&service_code=pothole&lat=51&long=0", 403, "api_key" },
        { "api_key=nope&service_code=pothole&lat=51&long=0", 403, "api_key" },
        { "api_key=tv-caerwen-sample&jurisdiction_id=northbury&service_code=pothole&lat=51&long=0",
          403, "jurisdiction" },
        { "api_key=tv-northbury-sample&service_code=nope&lat=51&long=0", 404, "service_code" },
        { "api_key=tv-northbury-sample&service_code=pothole&attribute%5Bdepth%5D=deep", 400, "location" },
        { "api_key=tv-northbury-sample&service_code=pothole&lat=91&long=0&attribute%5Bdepth%5D=deep",
          400, "lat" },
        { "api_key=tv-northbury-sample&service_code=pothole&lat=51&long=0", 400, "depth]: required" },
        { "api_key=tv-northbury-sample&service_code=pothole&lat=51&long=0&attribute%5Bdepth%5D=huge",
          400, "not a valid value" },
        { "api_key=tv-northbury-sample&service_code=pothole&lat=51&long=0&attribute%5Bcolour%5D=red",
          400, "not an attribute" },
        { "api_key=tv-northbury-sample&service_code=pothole&lat=51&long=0&description=%ZZ", 400, "form" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post_form("/open311/v2/requests.json", bad[i].form, &r);
        if (r.status != bad[i].status || !strstr(r.body, bad[i].text))
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        o = cJSON_Parse(r.body);
        assert_true(cJSON_IsArray(o));
        cJSON_Delete(o);
        bh_res_free(&r);
    }
    assert_int_equal(post_form("/open311/v2/requests.json",
        "api_key=tv-northbury-sample&jurisdiction_id=northbury&service_code=pothole"
        "&lat=51.5014&long=-0.1419&address_string=1+High+St&description=Deep+hole"
        "&attribute%5Bdepth%5D=deep&email=a%40example.org&first_name=A", &r), 201);
    o = cJSON_Parse(r.body);
    char id[32];
    snprintf(id, sizeof id, "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(o, 0), "service_request_id")->valuestring);
    cJSON_Delete(o);
    bh_res_free(&r);
    char path[160];
    snprintf(path, sizeof path, "/open311/v2/requests/%s.json?jurisdiction_id=northbury", id);
    assert_int_equal(get(path, NULL, &r), 200);
    o = cJSON_Parse(r.body);
    cJSON *q = cJSON_GetArrayItem(o, 0);
    assert_string_equal(cJSON_GetObjectItem(q, "status")->valuestring, "open");
    assert_string_equal(cJSON_GetObjectItem(q, "description")->valuestring, "Deep hole");
    assert_string_equal(cJSON_GetObjectItem(q, "agency_responsible")->valuestring, "Northbury Borough Council");
    cJSON_Delete(o);
    /* Contact details are never published. */
    assert_null(strstr(r.body, "example.org"));
    bh_res_free(&r);
    snprintf(path, sizeof path, "/open311/v2/requests/%s.json?jurisdiction_id=caerwen", id);
    assert_int_equal(get(path, NULL, &r), 404);
    bh_res_free(&r);
    /* The council fixes it: FixMyStreet status and an update. */
    snprintf(path, sizeof path, "/v1/cases/%s/updates", id);
    assert_int_equal(post(path, "admin-northbury-sample", NULL,
                          "{\"status\":\"FIXED\",\"note\":\"Filled\"}", &r), 201);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/open311/v2/requests.json?jurisdiction_id=northbury"
             "&service_request_id=%s,XX-BBBBBBBB&status=closed", id);
    assert_int_equal(get(path, NULL, &r), 200);
    o = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetArraySize(o), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(o, 0), "extended_status")->valuestring,
                        "FIXED");
    cJSON_Delete(o);
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/servicerequestupdates.json?jurisdiction_id=northbury", NULL,
                         &r), 200);
    assert_non_null(strstr(r.body, id));
    assert_non_null(strstr(r.body, "\"FIXED\""));
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/servicerequestupdates.json?jurisdiction_id=caerwen", NULL,
                         &r), 200);
    assert_null(strstr(r.body, id));
    bh_res_free(&r);
}


/* GeoReport v2's required format: the same answers in its XML shape. */
static void assert_xml(const bh_res *r, const char *prefix)
{
    assert_non_null(strcasestr(r->hdr, "Content-Type: text/xml; charset=utf-8"));
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    assert_memory_equal(r->body, decl, sizeof decl - 1);
    if (strncmp(r->body + sizeof decl - 1, prefix, strlen(prefix)) != 0)
        fail_msg("expected %s..., got %s", prefix, r->body);
}

static void t_open311_xml(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(get("/open311/v2/services.xml?jurisdiction_id=northbury", NULL, &r), 200);
    assert_xml(&r, "<services><service><service_code>");
    assert_non_null(strstr(r.body, "<service_code>pothole</service_code>"));
    assert_non_null(strstr(r.body, "<metadata>true</metadata>"));
    assert_true(strlen(r.body) > 60 && strcmp(r.body + strlen(r.body) - 11, "</services>") == 0);
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/services/pothole.xml?jurisdiction_id=northbury", NULL, &r), 200);
    assert_xml(&r, "<service_definition><service_code>pothole</service_code><attributes><attribute>");
    assert_non_null(strstr(r.body, "<datatype>singlevaluelist</datatype>"));
    assert_non_null(strstr(r.body, "<values><value><key>"));
    bh_res_free(&r);
    /* Errors in Open311's XML error format, whatever went wrong. */
    assert_int_equal(get("/open311/v2/services/pothole.xml?jurisdiction_id=caerwen", NULL, &r), 404);
    assert_xml(&r, "<errors><error><code>404</code><description>");
    bh_res_free(&r);
    assert_int_equal(post_form("/open311/v2/requests.xml",
                               "api_key=tv-northbury-sample&service_code=pothole&lat=51&long=0", &r),
                     400);
    assert_xml(&r, "<errors><error><code>400</code><description>attribute[depth]: required");
    bh_res_free(&r);
    /* A report whose text needs escaping (and carries a control character
     * XML 1.0 cannot hold at all) comes back as well-formed text. */
    assert_int_equal(post_form("/open311/v2/requests.xml",
        "api_key=tv-northbury-sample&jurisdiction_id=northbury&service_code=pothole"
        "&lat=51.5014&long=-0.1419&description=Hole+%3C1m%3E+%26+deep%01"
        "&attribute%5Bdepth%5D=deep", &r), 201);
    assert_xml(&r, "<service_requests><request><service_request_id>");
    char id[32] = "";
    const char *a = strstr(r.body, "<service_request_id>") + strlen("<service_request_id>");
    const char *b = strchr(a, '<');
    assert_true(b && b - a > 0 && b - a < (long)sizeof id);
    memcpy(id, a, (size_t)(b - a));
    id[b - a] = '\0';
    bh_res_free(&r);
    char path[160];
    snprintf(path, sizeof path, "/open311/v2/requests/%s.xml?jurisdiction_id=northbury", id);
    assert_int_equal(get(path, NULL, &r), 200);
    assert_xml(&r, "<service_requests><request>");
    assert_non_null(strstr(r.body, "<description>Hole &lt;1m&gt; &amp; deep\xEF\xBF\xBD</description>"));
    assert_non_null(strstr(r.body, "<lat>51.5014</lat>"));
    assert_non_null(strstr(r.body, "<status>open</status>"));
    for (const char *c = r.body; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r')
            fail_msg("control character 0x%02x in XML", *c);
    bh_res_free(&r);
    /* The JSON of the same request says the same. */
    snprintf(path, sizeof path, "/open311/v2/requests/%s.json?jurisdiction_id=northbury", id);
    assert_int_equal(get(path, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"description\":\"Hole <1m> & deep\\u0001\""));
    bh_res_free(&r);
    assert_int_equal(get("/open311/v2/servicerequestupdates.xml?jurisdiction_id=northbury", NULL,
                         &r), 200);
    assert_xml(&r, "<service_request_updates>");
    bh_res_free(&r);
}


/* GET requests by requested_datetime: start_date/end_date (at most 90
 * days apart, W3C date/times with a zone), the last 90 days by default. */
static int listed(const char *query, const char *id)
{
    char path[320];
    bh_res r;
    snprintf(path, sizeof path, "/open311/v2/requests.json?jurisdiction_id=northbury%s", query);
    assert_int_equal(get(path, NULL, &r), 200);
    int hit = strstr(r.body, id) != NULL;
    bh_res_free(&r);
    return hit;
}

static void t_open311_dates(void **state)
{
    (void)state;
    bh_res r;
    assert_int_equal(post_form("/open311/v2/requests.json",
        "api_key=tv-northbury-sample&jurisdiction_id=northbury&service_code=pothole"
        "&lat=51.5&long=-0.14&description=Dated&attribute%5Bdepth%5D=deep", &r), 201);
    cJSON *o = cJSON_Parse(r.body);
    char id[32];
    snprintf(id, sizeof id, "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(o, 0), "service_request_id")->valuestring);
    cJSON_Delete(o);
    bh_res_free(&r);
    time_t now = time(NULL);
    char a[40], b[40], q[160];
    struct tm tm;
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&(time_t){ now - 3600 }, &tm));
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&(time_t){ now + 3600 }, &tm));
    assert_true(listed("", id));                       /* the last 90 days */
    snprintf(q, sizeof q, "&start_date=%s&end_date=%s", a, b);
    assert_true(listed(q, id));
    snprintf(q, sizeof q, "&start_date=%s", b);        /* after it was made */
    assert_false(listed(q, id));
    snprintf(q, sizeof q, "&end_date=%s", a);          /* before it was made */
    assert_false(listed(q, id));
    assert_false(listed("&start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00%2B01:00", id));
    /* Asked by id, the dates do not hide it. */
    snprintf(q, sizeof q, "&service_request_id=%s&end_date=2020-01-01T00:00:00Z", id);
    assert_true(listed(q, id));
    static const char *const bad[] = {
        "&start_date=2026-11-01",                        /* no time */
        "&start_date=2026-11-01T00:00:00",               /* no zone */
        "&start_date=2026-02-30T00:00:00Z",              /* no such day */
        "&start_date=2026-11-01T25:00:00Z",
        "&start_date=yesterday",
        "&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",   /* > 90 days */
        "&start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z",   /* backwards */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[200];
        snprintf(path, sizeof path, "/open311/v2/requests.json?jurisdiction_id=northbury%s", bad[i]);
        if (get(path, NULL, &r) != 400 || !strstr(r.body, "\"code\":400"))
            fail_msg("%s: %ld %s", bad[i], r.status, r.body);
        bh_res_free(&r);
    }
}


/* ---- other server processes: crash safety and two servers on one DB ---- */

/* Starts the binary on the test's database and waits until /health
 * answers. */
static pid_t spawn_server(char *base, size_t cap)
{
    static const char *const extra[] = { "--device-interval", "0", "--idem-lease", "1",
                                         "--threads", "4", NULL };
    pid_t pid = bh_spawn_server(g_spec, extra, base, cap);
    if (pid < 0)
        fail_msg("the server binary did not start");
    return pid;
}

typedef struct {
    int thread;
    const char *base;
    int *stop;
    int n;                 /* requests made */
    int finished;
    long status[400];
    char id[400][27];
} crash_client;

static void crash_body(int t, int i, char *body, size_t cap, char *key, size_t kcap)
{
    snprintf(body, cap, "{\"amount\":%d,\"reference\":\"CRASH-%d-%d\",\"description\":\"Crash\"}",
             100 + i, t, i);
    snprintf(key, kcap, "crash-%d-%d", t, i);
}

static void *crash_run(void *arg)
{
    crash_client *c = arg;
    for (int i = 0; i < 400 && !__atomic_load_n(c->stop, __ATOMIC_ACQUIRE); i++) {
        char body[128], key[32];
        crash_body(c->thread, i, body, sizeof body, key, sizeof key);
        req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                    .idem = key, .body = body, .base = c->base };
        bh_res r;
        http(&q, &r);
        c->status[i] = r.status;
        c->id[i][0] = '\0';
        if (r.status == 201) {
            char *id = json_str(&r, "payment_id", NULL);
            snprintf(c->id[i], 27, "%s", id);
            free(id);
        }
        __atomic_store_n(&c->n, i + 1, __ATOMIC_RELEASE);
        if (r.status != 201 && r.status != -1)
            fprintf(stderr, "crash client %d: %ld %s\n", c->thread, r.status, r.body ? r.body : "");
        bh_res_free(&r);
        if (c->status[i] != 201)
            break; /* the server is gone */
    }
    __atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void t_sigkill_crash(void **state)
{
    (void)state;
    if (!bh_server_binary())
        skip();
    /* Clients create payments with Idempotency-Keys while the server is
     * killed with SIGKILL; after a restart every 201 a client saw is in the
     * database, and retrying the unanswered requests with their keys leaves
     * exactly one payment per key: nothing lost, nothing duplicated. */
    enum { T = 4 };
    char base[64];
    pid_t pid = spawn_server(base, sizeof base);
    int stop = 0;
    crash_client *cl = calloc(T, sizeof *cl);
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        cl[t].thread = t;
        cl[t].base = base;
        cl[t].stop = &stop;
        pthread_create(&th[t], NULL, crash_run, &cl[t]);
    }
    for (;;) {
        int done = 0, running = 0;
        for (int t = 0; t < T; t++) {
            done += __atomic_load_n(&cl[t].n, __ATOMIC_ACQUIRE);
            running += !__atomic_load_n(&cl[t].finished, __ATOMIC_ACQUIRE);
        }
        if (done >= 60 || !running)
            break;
        usleep(2000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    pid = spawn_server(base, sizeof base);
    int answered = 0, keys = 0;
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < cl[t].n; i++) {
            char body[128], key[32];
            crash_body(t, i, body, sizeof body, key, sizeof key);
            keys++;
            if (cl[t].status[i] == 201) {
                answered++;
                char path[64];
                snprintf(path, sizeof path, "/v1/payments/%s", cl[t].id[i]);
                req_t g = { .method = "GET", .path = path, .auth = "tv-northbury-sample",
                            .base = base };
                bh_res r;
                if (http(&g, &r) != 200)
                    fail_msg("payment %s answered 201 before the crash is missing", cl[t].id[i]);
                bh_res_free(&r);
            }
            /* Retry with the same key until it settles (an in-flight claim
             * of the killed server lapses after its 1 s lease). */
            req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                        .idem = key, .body = body, .base = base };
            bh_res r;
            for (int k = 0; k < 100; k++) {
                http(&q, &r);
                if (r.status != 409)
                    break;
                bh_res_free(&r);
                usleep(100 * 1000);
            }
            assert_int_equal(r.status, 201);
            char *id = json_str(&r, "payment_id", NULL);
            if (cl[t].status[i] == 201)
                assert_string_equal(id, cl[t].id[i]); /* replayed, not re-created */
            free(id);
            bh_res_free(&r);
        }
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_true(answered > 0);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference LIKE 'CRASH-%'",
                              0, NULL), keys);
    free(cl);
}

static void t_two_processes(void **state)
{
    (void)state;
    if (!bh_server_binary())
        skip();
    /* A second server process on the same database: clients split between
     * the two still get exactly one booking per slot and one payment per
     * Idempotency-Key. */
    char base[64];
    pid_t pid = spawn_server(base, sizeof base);
    for (int i = 1; i <= 10; i++) {
        char id[32], start[8];
        snprintf(id, sizeof id, "duo-%02d", i);
        snprintf(start, sizeof start, "%02d:00", 8 + i);
        const char *p[6] = { id, "northbury", "housing-advice", "2030-01-02", start, start };
        fx("INSERT INTO slots (id, tenant_id, service_code, day, start_time, end_time) "
           "VALUES ($1, $2, $3, $4, $5, $6)", 6, p);
    }
    enum { N = 50 };
    job_t *jobs = calloc(N, sizeof *jobs);
    char (*auth)[16] = calloc(N, 16);
    char (*body)[64] = calloc(N, 64);
    for (int i = 0; i < N; i++) {
        snprintf(auth[i], 16, "viewer-%02d", i);
        snprintf(body[i], 64, "{\"slot_id\":\"duo-%02d\"}", i % 10 + 1);
        jobs[i].path = "/v1/appointments";
        jobs[i].auth = auth[i];
        jobs[i].body = body[i];
        jobs[i].base = i % 2 ? base : NULL;
    }
    run_jobs(jobs, N);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        if (jobs[i].r.status == 201)
            ok++;
        else
            assert_problem(&jobs[i].r, 409, "/problems/slot-unavailable");
        bh_res_free(&jobs[i].r);
    }
    assert_int_equal(ok, 10);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM appointments WHERE slot_id LIKE 'duo-%'",
                              0, NULL), 10);
    memset(jobs, 0, N * sizeof *jobs);
    for (int i = 0; i < N; i++) {
        jobs[i].path = "/v1/payments";
        jobs[i].auth = "tv-northbury-sample";
        jobs[i].idem = "duo-key";
        jobs[i].body = "{\"amount\":77,\"reference\":\"DUO-1\",\"description\":\"Two\"}";
        jobs[i].base = i % 2 ? base : NULL;
    }
    run_jobs(jobs, N);
    for (int i = 0; i < N; i++) {
        assert_true(jobs[i].r.status == 201 || jobs[i].r.status == 409);
        bh_res_free(&jobs[i].r);
    }
    const char *p[1] = { "DUO-1" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 1);
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    /* SIGTERM is a graceful stop: exit status 0. */
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(jobs);
    free(auth);
    free(body);
}

/* A self-signed certificate made with GnuTLS for the HTTPS test. */
static void make_cert(const char *certf, const char *keyf)
{
    gnutls_x509_privkey_t k;
    gnutls_x509_crt_t c;
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    assert_int_equal(gnutls_x509_crt_init(&c), 0);
    gnutls_x509_crt_set_version(c, 3);
    unsigned char serial[4] = { 1, 2, 3, 4 };
    gnutls_x509_crt_set_serial(c, serial, sizeof serial);
    time_t now = time(NULL);
    gnutls_x509_crt_set_activation_time(c, now - 3600);
    gnutls_x509_crt_set_expiration_time(c, now + 86400);
    gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, "127.0.0.1", 9);
    gnutls_x509_crt_set_key(c, k);
    assert_int_equal(gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0), 0);
    gnutls_datum_t d;
    FILE *f = fopen(certf, "wb");
    assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d), 0);
    fwrite(d.data, 1, d.size, f);
    fclose(f);
    gnutls_free(d.data);
    f = fopen(keyf, "wb");
    assert_int_equal(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d), 0);
    fwrite(d.data, 1, d.size, f);
    fclose(f);
    gnutls_free(d.data);
    gnutls_x509_crt_deinit(c);
    gnutls_x509_privkey_deinit(k);
}

static void t_https(void **state)
{
    (void)state;
    char certf[128], keyf[128];
    snprintf(certf, sizeof certf, "%s/cert.pem", g_dir);
    snprintf(keyf, sizeof keyf, "%s/key.pem", g_dir);
    make_cert(certf, keyf);
    bo_config c;
    start_cfg(&c);
    c.seed = 0;
    snprintf(c.cert, sizeof c.cert, "%s", certf);
    snprintf(c.key, sizeof c.key, "%s", keyf);
    bo_server *s2;
    char err[256];
    if (bo_server_start(&c, &s2, err, sizeof err) != 0)
        fail_msg("HTTPS server: %s", err);
    const char *base = bo_server_base_url(s2);
    assert_true(strncmp(base, "https://", 8) == 0);
    char url[300];
    snprintf(url, sizeof url, "%s/health", base);
    bh_res r;
    memset(&r, 0, sizeof r);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, certf);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L); /* a CN, not a SAN */
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bh_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fail_msg("HTTPS request: %s", curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(h);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ok\""));
    bh_res_free(&r);
    /* Plain HTTP to the HTTPS port gets no answer. */
    char plain[300];
    snprintf(plain, sizeof plain, "http://%s", base + 8);
    req_t q = { .method = "GET", .path = "/health", .base = plain };
    assert_true(http(&q, &r) != 200);
    bh_res_free(&r);
    bo_server_stop(s2);
    /* Cert without key, and a key that is not a key. */
    start_cfg(&c);
    snprintf(c.cert, sizeof c.cert, "%s", certf);
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "cert and key"));
    snprintf(c.key, sizeof c.key, "%s", certf);
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), -1);
}


static void t_idempotency_in_flight(void **state)
{
    (void)state;
    /* A claim another request holds (its row is still in flight): a retry
     * gets 409 with Retry-After, and nothing is created. */
    char h[65], caller[80], now[24];
    bo_sha256_hex("tv-northbury-sample", strlen("tv-northbury-sample"), h);
    snprintf(caller, sizeof caller, "key:%.32s", h);
    snprintf(now, sizeof now, "%lld", (long long)time(NULL) + 3600);
    const char *body = "{\"amount\":42,\"reference\":\"INFLIGHT-2\",\"description\":\"x\"}";
    char bh[65];
    bo_sha256_hex(body, strlen(body), bh);
    const char *p[6] = { caller, "held-key", "northbury", "/v1/payments", bh, now };
    fx("INSERT INTO idempotency (caller, idem_key, tenant_id, method, path, body_hash, state, "
       "created) VALUES ($1, $2, $3, 'POST', $4, $5, 'inflight', $6)", 6, p);
    bh_res r;
    post("/v1/payments", "tv-northbury-sample", "held-key", body, &r);
    assert_problem(&r, 409, "/problems/idempotency-in-flight");
    char v[16];
    assert_non_null(bh_res_header(&r, "Retry-After", v, sizeof v));
    bh_res_free(&r);
    /* A different body under the held key is still a 422. */
    post("/v1/payments", "tv-northbury-sample", "held-key",
         "{\"amount\":43,\"reference\":\"INFLIGHT-2\",\"description\":\"x\"}", &r);
    assert_problem(&r, 422, NULL);
    bh_res_free(&r);
    const char *q[1] = { "INFLIGHT-2" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, q), 0);
}

static void t_body_truncations(void **state)
{
    (void)state;
    /* Every proper prefix of a valid body is refused and stores nothing. */
    const char *body = "{\"amount\":1234,\"reference\":\"TRUNC-1\",\"description\":\"Cut \\u00e9\","
                       "\"language\":\"cy\"}";
    size_t n = strlen(body);
    for (size_t i = 0; i < n; i++) {
        char *cut = malloc(i + 1);
        memcpy(cut, body, i);
        cut[i] = '\0';
        req_t q = { .method = "POST", .path = "/v1/payments", .auth = "tv-northbury-sample",
                    .body = cut, .body_len = i };
        bh_res r;
        if (i == 0) {
            q.body = "";
            q.body_len = 0;
        }
        http(&q, &r);
        if (r.status != 400 && r.status != 422)
            fail_msg("prefix %zu: %ld %s", i, r.status, r.body ? r.body : "");
        bh_res_free(&r);
        free(cut);
    }
    const char *p[1] = { "TRUNC-1" };
    assert_int_equal(fx_count("SELECT COUNT(*) FROM payments WHERE reference = $1", 1, p), 0);
    bh_res r;
    assert_int_equal(post("/v1/payments", "tv-northbury-sample", NULL, body, &r), 201);
    bh_res_free(&r);
}

static void t_tokens_and_paths(void **state)
{
    (void)state;
    /* An expired access token is refused like a forged one. */
    char h[65];
    bo_sha256_hex("expired-token", 13, h);
    const char *p[4] = { h, "northbury", "person-x", "1000" };
    fx("INSERT INTO tokens (token_hash, tenant_id, person, kind, expires) "
       "VALUES ($1, $2, $3, 'access', $4)", 4, p);
    bh_res r;
    get("/v1/appointments", "expired-token", &r);
    assert_problem(&r, 401, "/problems/unauthorized");
    bh_res_free(&r);
    /* A refresh token is not an access token. */
    bo_sha256_hex("refresh-only", 12, h);
    const char *q[4] = { h, "northbury", "person-x", "4102444800" };
    fx("INSERT INTO tokens (token_hash, tenant_id, person, kind, expires) "
       "VALUES ($1, $2, $3, 'refresh', $4)", 4, q);
    get("/v1/appointments", "refresh-only", &r);
    assert_problem(&r, 401, NULL);
    bh_res_free(&r);
    /* Odd paths and methods. */
    get("/v1/payments/%ff%fe", "tv-northbury-sample", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    get("/v1/payments/a/b/c/d/e/f/g/h/i", "tv-northbury-sample", &r);
    assert_problem(&r, 404, NULL);
    bh_res_free(&r);
    req_t d = { .method = "DELETE", .path = "/v1/payments", .auth = "tv-northbury-sample" };
    http(&d, &r);
    assert_problem(&r, 405, NULL);
    bh_res_free(&r);
    req_t hq = { .method = "POST", .path = "/health" };
    http(&hq, &r);
    assert_problem(&r, 405, NULL);
    bh_res_free(&r);
}

static void t_audit(void **state)
{
    (void)state;
    /* Every write is audited with ids only: no card numbers, keys or
     * tokens in the audit table. */
    char *id = paid_payment("tv-northbury-sample", 321);
    const char *p[1] = { id };
    assert_true(fx_count("SELECT COUNT(*) FROM audit WHERE object_id = $1", 1, p) >= 4);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM audit WHERE object_id LIKE '%4242%' OR "
                              "actor LIKE '%4242%' OR actor LIKE '%sample%' OR "
                              "object_id LIKE '%sample%' OR actor LIKE '%viewer-%'", 0, NULL), 0);
    assert_int_equal(fx_count("SELECT COUNT(*) FROM audit WHERE tenant_id = 'northbury' AND "
                              "action = 'payment.success' AND object_id = $1", 1, p), 1);
    free(id);
}

static void t_config_refusals(void **state)
{
    (void)state;
    bo_config c;
    start_cfg(&c);
    snprintf(c.listen, sizeof c.listen, "0.0.0.0");
    bo_server *s2 = NULL;
    char err[256];
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "plain HTTP is only allowed on loopback"));
    start_cfg(&c);
    snprintf(c.cert, sizeof c.cert, "/nonexistent/cert.pem");
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), -1);
    start_cfg(&c);
    snprintf(c.database, sizeof c.database, "/nonexistent/dir/bo.db");
    assert_int_equal(bo_server_start(&c, &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/bo.db"));
}

#define ENGINE_TESTS \
    cmocka_unit_test(t_health), \
    cmocka_unit_test(t_auth), \
    cmocka_unit_test(t_payment_create_get), \
    cmocka_unit_test(t_payment_validation), \
    cmocka_unit_test(t_body_limit), \
    cmocka_unit_test(t_idempotency), \
    cmocka_unit_test(t_idempotency_race), \
    cmocka_unit_test(t_idempotency_in_flight), \
    cmocka_unit_test(t_body_truncations), \
    cmocka_unit_test(t_tokens_and_paths), \
    cmocka_unit_test(t_audit), \
    cmocka_unit_test(t_tenant_isolation), \
    cmocka_unit_test(t_phone_pages_cards), \
    cmocka_unit_test(t_cancel_refund), \
    cmocka_unit_test(t_rate_limit), \
    cmocka_unit_test(t_device_flow), \
    cmocka_unit_test(t_slow_down), \
    cmocka_unit_test(t_appointments), \
    cmocka_unit_test(t_slot_race), \
    cmocka_unit_test(t_catalogue), \
    cmocka_unit_test(t_sample_seed), \
    cmocka_unit_test(t_forms_cases), \
    cmocka_unit_test(t_open311), \
    cmocka_unit_test(t_open311_xml), \
    cmocka_unit_test(t_open311_dates), \
    cmocka_unit_test(t_graceful_stop), \
    cmocka_unit_test(t_disk_full), \
    cmocka_unit_test_teardown(t_disk_readonly, teardown_readonly), \
    cmocka_unit_test_teardown(t_disk_full_tmpfs, teardown_mount), \
    cmocka_unit_test(t_slow_clients), \
    cmocka_unit_test(t_device_guessing), \
    cmocka_unit_test(t_rate_limit_shared), \
    cmocka_unit_test(t_sigkill_crash), \
    cmocka_unit_test(t_two_processes), \
    cmocka_unit_test(t_https), \
    cmocka_unit_test(t_config_refusals)

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest sqlite_tests[] = { ENGINE_TESTS };
    int fails = cmocka_run_group_tests_name("backoffice on SQLite", sqlite_tests,
                                            setup_sqlite, teardown);
    const char *pg = getenv("CIVICTV_PG");
    if (pg && *pg) {
        const struct CMUnitTest pg_tests[] = { ENGINE_TESTS };
        fails += cmocka_run_group_tests_name("backoffice on PostgreSQL", pg_tests,
                                             setup_pg, teardown);
    } else {
        printf("CIVICTV_PG is not set: the PostgreSQL run is skipped\n");
    }
    curl_global_cleanup();
    return fails;
}
