/*
 * bench_backoffice: durable payment creations per second through
 * civictv-backoffice over loopback, with p50 and p99 latency, for SQLite
 * and (when CIVICTV_PG or --pg gives a connection string) for PostgreSQL,
 * beside pgbench's TPC-B-like figure on the same PostgreSQL database.
 *
 *   bench_backoffice [--seconds N] [--clients N] [--server-threads N]
 *                    [--group-commit on|off|auto] [--engine sqlite|postgresql]
 *                    [--pg postgresql://...] [--server PATH]
 *
 * The real server binary runs as a child process on a free loopback port.
 * Each client is a thread with one keep-alive libcurl handle that POSTs
 * /v1/payments (GOV.UK Pay's shape) with its own Idempotency-Key, one
 * request after another; a 201 is sent only after the COMMIT returned, so
 * every creation counted is durable (SQLite WAL with synchronous=FULL,
 * PostgreSQL with synchronous_commit=on).  The latency of each request is
 * taken around curl_easy_perform.  One second of warm-up is not counted.
 * The last column is the server's write jobs per transaction over the
 * window (its /health counters): how many requests one flush carried.
 *
 * The bench uses its own tenant ("bench", with a rate limit far above what
 * it can send) written into the database before the load, so the sample
 * tenants' limits do not cut it short.  The PostgreSQL database is wiped
 * (schema public dropped and made again): give a scratch database.
 * pgbench runs `pgbench -i -s 1` on that database, then its TPC-B-like and
 * simple-update (-N) transactions with as many clients as the bench for the
 * same duration, then drops its tables (`-i -I d`).
 *
 * Figures, not pass/fail: the exit status is non-zero only when the bench
 * could not run.
 */
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
#include "backoffice/bo_util.h"

#define BENCH_KEY "tv-bench-load"

static int g_seconds = 5, g_clients = 16, g_server_threads = 0;
static const char *g_server = NULL;
static const char *g_group = NULL;      /* --group-commit for the server */
static const char *g_only = NULL;       /* --engine: run just this one */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

typedef struct {
    char *p;
    size_t n;
} buf_t;

static size_t collect(char *p, size_t s, size_t n, void *u)
{
    buf_t *b = u;
    char *q = realloc(b->p, b->n + s * n + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, p, s * n);
    b->n += s * n;
    q[b->n] = '\0';
    b->p = q;
    return s * n;
}

static long get_status(CURL *c, const char *url)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long st = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    return st;
}

/* Starts the server on spec; returns its pid, or -1. */
static pid_t spawn_server(const char *spec, char *base, size_t cap)
{
    int port = free_port();
    if (port < 0)
        return -1;
    char ps[16], th[16];
    snprintf(ps, sizeof ps, "%d", port);
    snprintf(th, sizeof th, "%d", g_server_threads);
    snprintf(base, cap, "http://127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const char *argv[12];
        int n = 0;
        argv[n++] = g_server;
        argv[n++] = "--port";
        argv[n++] = ps;
        argv[n++] = "--database";
        argv[n++] = spec;
        if (g_server_threads > 0) {
            argv[n++] = "--threads";
            argv[n++] = th;
        }
        if (g_group) {
            argv[n++] = "--group-commit";
            argv[n++] = g_group;
        }
        argv[n] = NULL;
        execv(g_server, (char *const *)argv);
        _exit(127);
    }
    char url[128];
    snprintf(url, sizeof url, "%s/health", base);
    CURL *c = curl_easy_init();
    for (int i = 0; i < 600; i++) {
        if (get_status(c, url) == 200) {
            curl_easy_cleanup(c);
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;
        usleep(50 * 1000);
    }
    curl_easy_cleanup(c);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* The bench tenant and its key, written once the server has migrated. */
static int add_tenant(const char *spec)
{
    bo_store_cfg sc = { .spec = spec, .pool_size = 1 };
    bo_store *s = NULL;
    char err[512];
    if (bo_store_open(&sc, &s, err, sizeof err) != BO_STORE_OK) {
        fprintf(stderr, "bench_backoffice: %s\n", err);
        return -1;
    }
    bo_db *db = bo_store_acquire(s);
    char h[65];
    bo_sha256_hex(BENCH_KEY, strlen(BENCH_KEY), h);
    const char *t[3] = { "bench", "Benchmark Council", "1000000000" };
    const char *k[4] = { h, "bench", "tv", "bench" };
    bo_store_err e = bo_db_begin(db, 1);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)",
                       3, t, NULL);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO api_keys (key_hash, tenant_id, role, label) "
                           "VALUES ($1, $2, $3, $4)", 4, k, NULL);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    if (e != BO_STORE_OK)
        fprintf(stderr, "bench_backoffice: adding the bench tenant: %s\n", bo_db_errmsg(db));
    bo_store_release(s, db);
    bo_store_close(s);
    return e == BO_STORE_OK ? 0 : -1;
}

typedef struct {
    int id;
    const char *base;
    volatile int *phase;         /* 0 warm-up, 1 measuring, 2 stop */
    double *lat;                 /* latencies of measured 201s, seconds */
    size_t nlat, cap;
    long errors;                 /* measured answers other than 201 */
} client_t;

static void *client_run(void *arg)
{
    client_t *c = arg;
    CURL *h = curl_easy_init();
    char url[160];
    snprintf(url, sizeof url, "%s/v1/payments", c->base);
    struct curl_slist *base_hdr = NULL;
    base_hdr = curl_slist_append(base_hdr, "Authorization: Bearer " BENCH_KEY);
    base_hdr = curl_slist_append(base_hdr, "Content-Type: application/json");
    base_hdr = curl_slist_append(base_hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    for (long i = 0; *c->phase < 2; i++) {
        char body[200], key[96];
        snprintf(key, sizeof key, "Idempotency-Key: bench-%d-%ld-%ld", c->id, (long)getpid(), i);
        snprintf(body, sizeof body, "{\"amount\":%ld,\"reference\":\"BENCH-%d-%ld\","
                 "\"description\":\"Benchmark\",\"language\":\"en\"}", 100 + i % 1000, c->id, i);
        struct curl_slist *hdr = NULL;
        for (struct curl_slist *s = base_hdr; s; s = s->next)
            hdr = curl_slist_append(hdr, s->data);
        hdr = curl_slist_append(hdr, key);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        int measuring = *c->phase == 1;
        double t0 = now_s();
        long st = -1;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        double dt = now_s() - t0;
        curl_slist_free_all(hdr);
        if (!measuring || *c->phase != 1)
            continue; /* only requests begun and ended inside the window count */
        if (st != 201) {
            c->errors++;
            if (st < 0)
                usleep(10 * 1000);
            continue;
        }
        if (c->nlat == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 4096;
            double *n = realloc(c->lat, nc * sizeof *n);
            if (!n)
                break;
            c->lat = n;
            c->cap = nc;
        }
        c->lat[c->nlat++] = dt;
    }
    curl_slist_free_all(base_hdr);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The server's write counters (GET /health, "writes"): jobs and the
 * transactions they ran in. */
static void write_counters(const char *base, double *jobs, double *txns)
{
    *jobs = *txns = -1;
    char url[128];
    snprintf(url, sizeof url, "%s/health", base);
    CURL *c = curl_easy_init();
    buf_t b = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK && b.p) {
        cJSON *o = cJSON_Parse(b.p);
        cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "writes");
        cJSON *j = cJSON_GetObjectItemCaseSensitive(w, "jobs");
        cJSON *t = cJSON_GetObjectItemCaseSensitive(w, "transactions");
        if (cJSON_IsNumber(j) && cJSON_IsNumber(t)) {
            *jobs = j->valuedouble;
            *txns = t->valuedouble;
        }
        cJSON_Delete(o);
    }
    free(b.p);
    curl_easy_cleanup(c);
}

/* Runs the load against a server on spec and prints one line. */
static int bench_engine(const char *name, const char *spec)
{
    char base[64];
    pid_t pid = spawn_server(spec, base, sizeof base);
    if (pid < 0) {
        fprintf(stderr, "bench_backoffice: %s did not start on %s\n", g_server, name);
        return -1;
    }
    if (add_tenant(spec) != 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    volatile int phase = 0;
    double jobs0, txns0, jobs1, txns1;
    client_t *cl = calloc((size_t)g_clients, sizeof *cl);
    pthread_t *th = calloc((size_t)g_clients, sizeof *th);
    if (!cl || !th)
        return -1;
    for (int i = 0; i < g_clients; i++) {
        cl[i].id = i;
        cl[i].base = base;
        cl[i].phase = &phase;
        pthread_create(&th[i], NULL, client_run, &cl[i]);
    }
    sleep(1);
    write_counters(base, &jobs0, &txns0);
    phase = 1;
    double t0 = now_s();
    sleep((unsigned)g_seconds);
    phase = 2;
    double elapsed = now_s() - t0;
    for (int i = 0; i < g_clients; i++)
        pthread_join(th[i], NULL);
    write_counters(base, &jobs1, &txns1);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    size_t n = 0;
    long errors = 0;
    for (int i = 0; i < g_clients; i++) {
        n += cl[i].nlat;
        errors += cl[i].errors;
    }
    double *all = malloc((n ? n : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < g_clients; i++) {
        if (all)
            memcpy(all + k, cl[i].lat, cl[i].nlat * sizeof *all);
        k += cl[i].nlat;
        free(cl[i].lat);
    }
    /* Jobs per transaction over the window and the requests around it:
     * how many creations one flush to disk carried. */
    char per_txn[16] = "-";
    if (jobs0 >= 0 && jobs1 > jobs0 && txns1 > txns0)
        snprintf(per_txn, sizeof per_txn, "%.1f", (jobs1 - jobs0) / (txns1 - txns0));
    if (all && n) {
        qsort(all, n, sizeof *all, cmp_d);
        printf("  %-10s %8zu %8.0f %9.1f %9.1f %9.1f %7ld %8s\n", name, n, (double)n / elapsed,
               all[n / 2] * 1e3, all[(n * 99) / 100] * 1e3, all[n - 1] * 1e3, errors, per_txn);
    } else {
        printf("  %-10s no payment created in %.1f s (%ld other answers)\n", name, elapsed, errors);
    }
    free(all);
    free(cl);
    free(th);
    return 0;
}

static int reset_pg(const char *spec)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "psql -q -X '%s' -c 'SET client_min_messages = warning' "
             "-c 'DROP SCHEMA IF EXISTS public CASCADE' -c 'CREATE SCHEMA public' >/dev/null",
             spec);
    return system(cmd) == 0 ? 0 : -1;
}

/* One pgbench run; prints its tps and mean latency. */
static void pgbench_run(const char *spec, const char *mode, const char *label)
{
    char cmd[1400], line[512];
    int jobs = g_clients < 2 ? g_clients : 2;
    snprintf(cmd, sizeof cmd, "pgbench -n %s -c %d -j %d -T %d '%s' 2>/dev/null", mode,
             g_clients, jobs, g_seconds, spec);
    FILE *p = popen(cmd, "r");
    double tps = -1, lat = -1;
    while (p && fgets(line, sizeof line, p)) {
        sscanf(line, "tps = %lf", &tps);
        sscanf(line, "latency average = %lf", &lat);
    }
    if (p)
        pclose(p);
    if (tps < 0)
        printf("  pgbench    %s: no figure\n", label);
    else
        printf("  pgbench    %-44s %6.0f tps, mean latency %.1f ms\n", label, tps, lat);
}

/* pgbench on the same database: its TPC-B-like transaction, where at
 * scale 1 every client updates the one branch row (so clients queue on
 * that row lock), and the simple-update variant (-N) without the branch
 * and teller updates: one commit of an account update, a select and an
 * insert, the nearest to a payment creation. */
static void run_pgbench(const char *spec)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "pgbench -q -i -s 1 '%s' >/dev/null 2>&1", spec);
    if (system(cmd) != 0) {
        printf("  pgbench    could not initialise (is pgbench installed?)\n");
        return;
    }
    pgbench_run(spec, "", "TPC-B-like, scale 1");
    pgbench_run(spec, "-N", "simple-update (-N), scale 1");
    snprintf(cmd, sizeof cmd, "pgbench -q -i -I d '%s' >/dev/null 2>&1", spec);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_backoffice: pgbench's tables were not dropped\n");
}

int main(int argc, char **argv)
{
    const char *pg = getenv("CIVICTV_PG");
    static char server[512];
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(server, sizeof server, "%s/civictv-backoffice", b ? b : "build");
    g_server = server;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--seconds") == 0 && v)
            g_seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--clients") == 0 && v)
            g_clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--server-threads") == 0 && v)
            g_server_threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pg") == 0 && v)
            pg = argv[++i];
        else if (strcmp(argv[i], "--server") == 0 && v)
            g_server = argv[++i];
        else if (strcmp(argv[i], "--group-commit") == 0 && v)
            g_group = argv[++i];
        else if (strcmp(argv[i], "--engine") == 0 && v)
            g_only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_backoffice [--seconds N] [--clients N] "
                            "[--server-threads N] [--group-commit on|off|auto] "
                            "[--engine sqlite|postgresql] [--pg CONNINFO] [--server PATH]\n");
            return 2;
        }
    }
    if (g_seconds < 1 || g_clients < 1 || g_clients > 1024) {
        fprintf(stderr, "bench_backoffice: --seconds must be >= 1 and --clients 1..1024\n");
        return 2;
    }
    if (access(g_server, X_OK) != 0) {
        fprintf(stderr, "bench_backoffice: no server binary %s\n", g_server);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order with the server's */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("civictv-backoffice: POST /v1/payments over loopback, %d keep-alive clients, "
           "%d s after 1 s of warm-up\n", g_clients, g_seconds);
    printf("  %-10s %8s %8s %9s %9s %9s %7s %8s\n", "engine", "created", "per s", "p50 ms",
           "p99 ms", "max ms", "errors", "per txn");
    int rc = 0;
    char dir[] = "/tmp/bench-bo-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_backoffice: mkdtemp");
        return 1;
    }
    char spec[128];
    snprintf(spec, sizeof spec, "%s/bench.db", dir);
    if ((!g_only || strcmp(g_only, "sqlite") == 0) && bench_engine("sqlite", spec) != 0)
        rc = 1;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_backoffice: could not remove %s\n", dir);
    if (g_only && strcmp(g_only, "postgresql") != 0) {
        /* only SQLite asked for */
    } else if (pg && *pg) {
        if (reset_pg(pg) != 0 || bench_engine("postgresql", pg) != 0)
            rc = 1;
        else
            run_pgbench(pg);
    } else {
        printf("  postgresql skipped: set CIVICTV_PG (or --pg) to a scratch database\n");
    }
    curl_global_cleanup();
    return rc;
}
