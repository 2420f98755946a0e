/*
 * bo_api: routing and what every handler shares.
 *
 * - Errors are RFC 9457 problem details (application/problem+json) with
 *   "type", "title", "status" and "detail"; Open311 and OAuth keep their own
 *   formats in their handlers.
 * - Authentication: "Authorization: Bearer" (RFC 6750) with a tenant's API
 *   key or a viewer's access token; both are stored only as SHA-256 hashes.
 *   An unknown credential and another tenant's object look the same as a
 *   missing one (401 / 404), so nothing reveals what exists.
 * - Rate limits per tenant, a fixed one-minute window, answered with 429
 *   and Retry-After (RFC 9110 section 10.2.3) and the RateLimit-Limit,
 *   -Remaining and -Reset fields of the IETF httpapi ratelimit-headers
 *   draft.
 * - Idempotency-Key (IETF httpapi Idempotency-Key draft): the key's row,
 *   the creation and the stored answer are written in one transaction
 *   (one commit, shared with other requests' under group commit).  A
 *   second request with a key being run gets 409: from an in-memory list
 *   within this process, and from a transaction-scoped lock on the key
 *   between servers sharing PostgreSQL; the table's primary key (caller,
 *   key) is the last guard, so two requests can never both create.
 */
#include "backoffice/bo_api_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoffice/bo_parse.h"

/* How long an Idempotency-Key is remembered.  A row left in flight (by a
 * server of the earlier design that claimed keys in a commit of their own)
 * is honoured for cfg.idem_lease seconds before a retry may take it over. */
#define IDEM_TTL 86400

void bo_iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

void bo_json(bo_resp *r, int status, cJSON *obj)
{
    char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    free(r->body);
    if (!s) {
        static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"Out of memory\",\"status\":503}";
        r->body = strdup(oom);
        r->len = r->body ? strlen(oom) : 0;
        r->status = 503;
        r->retry_after = 5;
        snprintf(r->ctype, sizeof r->ctype, "application/problem+json");
        return;
    }
    r->body = s;
    r->len = strlen(s);
    r->status = status;
    snprintf(r->ctype, sizeof r->ctype, "application/json");
}

void bo_problem(bo_resp *r, int status, const char *type, const char *title,
                const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    char t[128];
    snprintf(t, sizeof t, "%s%s", type[0] == 'a' ? "" : "/problems/", type);
    cJSON_AddStringToObject(o, "type", t);
    cJSON_AddStringToObject(o, "title", title);
    cJSON_AddNumberToObject(o, "status", status);
    cJSON_AddStringToObject(o, "detail", detail);
    bo_json(r, status, o);
    if (r->status == status)
        snprintf(r->ctype, sizeof r->ctype, "application/problem+json");
}

void bo_html(bo_resp *r, int status, bo_buf *b)
{
    free(r->body);
    if (b->failed) {
        free(b->p);
        bo_problem(r, 503, "about:blank", "Out of memory", "try again");
        return;
    }
    r->body = b->p;
    r->len = b->len;
    r->status = status;
    snprintf(r->ctype, sizeof r->ctype, "text/html; charset=utf-8");
    b->p = NULL;
}

void bo_store_problem(bo_resp *r, bo_store_err e)
{
    if (e == BO_STORE_EUNAVAILABLE || e == BO_STORE_EBUSY || e == BO_STORE_ENOMEM ||
        e == BO_STORE_EOPEN) {
        bo_problem(r, 503, "service-unavailable", "Service unavailable",
                   "The database cannot take this request now; nothing was stored. "
                   "Try again later.");
        r->retry_after = 30;
    } else {
        bo_problem(r, 500, "internal", "Internal error",
                   "The request failed; nothing was stored.");
    }
}

bo_store_err bo_audit(bo_db *db, const bo_auth *a, const char *action,
                      const char *object_id)
{
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)bo_now());
    const char *p[5] = { at, a->tenant, a->caller, action, object_id };
    /* Nothing reads it back: on PostgreSQL it goes with the next statement
     * or the COMMIT. */
    return bo_db_exec_later(db, "INSERT INTO audit (at, tenant_id, actor, action, object_id) "
                                "VALUES ($1, $2, $3, $4, $5)", 5, p);
}

/* ---- authentication and rate limits ---- */

/* How long an API key found in the database is believed without asking it
 * again.  Every request authenticates, and on PostgreSQL that read is a
 * round trip of its own (one in four of a payment creation's), so a busy
 * TV key is looked up once per AUTH_TTL instead of once per request.  The
 * price: a key deleted from api_keys, or a tenant's new rate, takes effect
 * within AUTH_TTL seconds in a running server.  Only API keys are kept
 * (viewers' access tokens expire and are looked up every time), and only
 * keys that exist (a wrong guess costs a read, never a slot). */
#define AUTH_TTL 5

static unsigned auth_slot(const char *hash)
{
    char head[9];
    memcpy(head, hash, 8);
    head[8] = '\0';
    return (unsigned)(strtoul(head, NULL, 16) % BO_AUTH_CACHE);
}

static int auth_cached(bo_app *app, const char *hash, bo_auth *a)
{
    unsigned i = auth_slot(hash);
    int64_t now = bo_now();
    int hit = 0;
    pthread_mutex_lock(&app->auth_mu);
    if (app->auth[i].until > now && strcmp(app->auth[i].hash, hash) == 0) {
        snprintf(a->tenant, sizeof a->tenant, "%s", app->auth[i].tenant);
        snprintf(a->role, sizeof a->role, "%s", app->auth[i].role);
        a->rate = app->auth[i].rate;
        hit = 1;
    }
    pthread_mutex_unlock(&app->auth_mu);
    if (hit)
        snprintf(a->caller, sizeof a->caller, "key:%.32s", hash);
    return hit;
}

static void auth_remember(bo_app *app, const char *hash, const bo_auth *a)
{
    unsigned i = auth_slot(hash);
    pthread_mutex_lock(&app->auth_mu);
    snprintf(app->auth[i].hash, sizeof app->auth[i].hash, "%s", hash);
    snprintf(app->auth[i].tenant, sizeof app->auth[i].tenant, "%s", a->tenant);
    snprintf(app->auth[i].role, sizeof app->auth[i].role, "%s", a->role);
    app->auth[i].rate = a->rate;
    app->auth[i].until = bo_now() + AUTH_TTL;
    pthread_mutex_unlock(&app->auth_mu);
}

int bo_auth_request(bo_app *app, const bo_req *req, bo_auth *a, bo_resp *r)
{
    memset(a, 0, sizeof *a);
    const char *h = req->header(req->t, "Authorization");
    const char *tok = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        tok = h + 7;
    while (tok && *tok == ' ')
        tok++;
    if (!tok || !*tok || strlen(tok) > 512) {
        bo_problem(r, 401, "unauthorized", "Unauthorized",
                   "Send an API key or access token as Authorization: Bearer.");
        return -1;
    }
    char hash[65];
    if (bo_sha256_hex(tok, strlen(tok), hash) != 0) {
        bo_problem(r, 500, "internal", "Internal error", "hashing failed");
        return -1;
    }
    if (auth_cached(app, hash, a))
        return 0;
    bo_db *db = bo_store_acquire(app->store);
    const char *p[2] = { hash, NULL };
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db,
        "SELECT k.tenant_id, k.role, t.rate_per_minute FROM api_keys k "
        "JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1", 1, p, &rows);
    if (e == BO_STORE_OK && rows && rows->nrows == 1) {
        snprintf(a->tenant, sizeof a->tenant, "%s", bo_rows_get(rows, 0, 0));
        snprintf(a->role, sizeof a->role, "%s", bo_rows_get(rows, 0, 1));
        a->rate = atol(bo_rows_get(rows, 0, 2));
        snprintf(a->caller, sizeof a->caller, "key:%.32s", hash);
        auth_remember(app, hash, a);
    } else if (e == BO_STORE_OK) {
        bo_rows_free(rows);
        rows = NULL;
        char now[24];
        snprintf(now, sizeof now, "%lld", (long long)bo_now());
        p[1] = now;
        e = bo_db_exec(db,
            "SELECT k.tenant_id, k.person, t.rate_per_minute FROM tokens k "
            "JOIN tenants t ON t.id = k.tenant_id "
            "WHERE k.token_hash = $1 AND k.kind = 'access' AND k.expires > $2", 2, p, &rows);
        if (e == BO_STORE_OK && rows && rows->nrows == 1) {
            snprintf(a->tenant, sizeof a->tenant, "%s", bo_rows_get(rows, 0, 0));
            snprintf(a->person, sizeof a->person, "%s", bo_rows_get(rows, 0, 1));
            snprintf(a->role, sizeof a->role, "viewer");
            a->rate = atol(bo_rows_get(rows, 0, 2));
            snprintf(a->caller, sizeof a->caller, "person:%s", a->person);
        }
    }
    bo_rows_free(rows);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return -1;
    }
    if (!a->tenant[0]) {
        bo_problem(r, 401, "unauthorized", "Unauthorized",
                   "The API key or access token is not valid (or has expired).");
        return -1;
    }
    return 0;
}

/* bo_rate_check: bo_ratelimit.c. */

cJSON *bo_json_body(const bo_req *req, const char *const *allowed, bo_resp *r)
{
    if (!bo_utf8_valid(req->body, req->body_len)) {
        bo_problem(r, 400, "bad-request", "Bad request", "The body is not valid UTF-8 JSON.");
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    /* Only whitespace may follow the value (RFC 8259 section 2). */
    while (o && end && end < req->body + req->body_len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (o && end != req->body + req->body_len) {
        cJSON_Delete(o);
        o = NULL;
    }
    if (!o) {
        bo_problem(r, 400, "bad-request", "Bad request",
                   "The body is not valid JSON (near byte %ld).",
                   end ? (long)(end - req->body) : 0L);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        bo_problem(r, 422, "invalid-field", "Invalid request", "The body must be a JSON object.");
        return NULL;
    }
    for (cJSON *f = o->child; f; f = f->next) {
        int ok = 0;
        for (const char *const *n = allowed; *n && !ok; n++)
            ok = strcmp(f->string, *n) == 0;
        if (!ok) {
            char name[64];
            snprintf(name, sizeof name, "%s", f->string);
            cJSON_Delete(o);
            bo_problem(r, 422, "invalid-field", "Invalid request",
                       "%s: unknown field", name);
            return NULL;
        }
    }
    return o;
}

/* ---- idempotency ---- */

/* An Idempotency-Key held by a request of this process from its check until
 * its transaction has settled; it lives on that request's stack. */
typedef struct bo_idem_hold {
    const char *caller, *key;
    struct bo_idem_hold *next;
} bo_idem_hold;

static void in_flight(bo_resp *r)
{
    bo_problem(r, 409, "idempotency-in-flight", "Request in progress",
               "A request with this Idempotency-Key is being processed; retry later.");
    r->retry_after = 1;
}

static void key_reused(bo_resp *r)
{
    bo_problem(r, 422, "idempotency-key-reused", "Idempotency-Key reused",
               "This Idempotency-Key was used with a different request.");
}

/* Empties an answer, keeping the rate-limit fields (set before the
 * operation ran). */
static void resp_reset(bo_resp *r)
{
    int had = r->has_ratelimit;
    long l = r->rl_limit, rem = r->rl_remaining, rs = r->rl_reset;
    free(r->body);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
    r->has_ratelimit = had;
    r->rl_limit = l, r->rl_remaining = rem, r->rl_reset = rs;
}

static void replay(bo_rows *rows, bo_resp *r)
{
    /* Columns: status, content_type, location, body. */
    r->status = atoi(bo_rows_get(rows, 0, 0));
    snprintf(r->ctype, sizeof r->ctype, "%s", bo_rows_get(rows, 0, 1) ? bo_rows_get(rows, 0, 1) : "");
    snprintf(r->location, sizeof r->location, "%s",
             bo_rows_get(rows, 0, 2) ? bo_rows_get(rows, 0, 2) : "");
    const char *b = bo_rows_get(rows, 0, 3);
    free(r->body);
    r->body = strdup(b ? b : "");
    r->len = r->body ? strlen(r->body) : 0;
}

/* One creating request as a group-commit job.  With a key, the job checks
 * the key's row, runs the operation and stores its answer under the key, all
 * in the job's share of one transaction: the key is never claimed by a
 * commit of its own, so a creation costs one commit, and a crash leaves
 * either the whole of it or nothing. */
typedef struct {
    bo_app *app;
    const bo_auth *a;
    const bo_req *req;
    bo_create_fn fn;
    void *arg;
    const char *key;            /* NULL: no Idempotency-Key */
    const char *hash;           /* SHA-256 of the body */
    char now[24], old[24], lease[24];
    bo_resp *r;
    /* A client error to keep under the key: the job runs again without
     * the operation (whose changes are undone) to store just the answer. */
    int store_only;
    int saved_status;
    char saved_ctype[64], saved_location[512];
    char *saved_body;
} create_job;

static bo_job_result job_failed(bo_resp *r, bo_store_err e, int last)
{
    resp_reset(r);
    bo_store_problem(r, e);
    /* A conflict (a deadlock or serialization failure on PostgreSQL) is
     * worth another run; the answer above stands if it is not given one. */
    return e == BO_STORE_EBUSY && !last ? BO_JOB_RETRY : BO_JOB_UNDO;
}

/* What the key's row says. */
typedef enum {
    KEY_FREE,        /* run the operation (an expired row has been deleted) */
    KEY_ANSWERED,    /* r holds the answer: 409, 422 or the stored one */
    KEY_FAILED       /* r holds an error; *e is the store's */
} key_verdict;

/* Judges the key from the lock (if the engine takes one) and the row, both
 * read in this transaction; resets r before answering. */
static key_verdict check_key(create_job *j, bo_db *db, int nlock, const bo_lock_buf *lock,
                             bo_store_err lock_st, const bo_rows *rows, bo_store_err row_st,
                             bo_store_err *e)
{
    bo_resp *r = j->r;
    *e = lock_st != BO_STORE_OK ? lock_st : row_st;
    if (*e != BO_STORE_OK) {
        resp_reset(r);
        bo_store_problem(r, *e);
        return KEY_FAILED;
    }
    if (nlock && !bo_lock_taken(lock)) {
        resp_reset(r);
        in_flight(r);
        return KEY_ANSWERED;
    }
    if (!rows || rows->nrows != 1)
        return KEY_FREE;
    long long created = atoll(bo_rows_get(rows, 0, 8));
    int inflight = strcmp(bo_rows_get(rows, 0, 4), "done") != 0;
    if (created < atoll(j->old) || (inflight && created < atoll(j->lease))) {
        /* An expired key, or a claim left in flight by a server of the
         * earlier two-commit design that crashed: forget it. */
        const char *pk[2] = { j->a->caller, j->key };
        *e = bo_db_exec(db, "DELETE FROM idempotency WHERE caller = $1 AND idem_key = $2",
                        2, pk, NULL);
        if (*e != BO_STORE_OK) {
            resp_reset(r);
            bo_store_problem(r, *e);
            return KEY_FAILED;
        }
        return KEY_FREE;
    }
    resp_reset(r);
    if (strcmp(bo_rows_get(rows, 0, 5), j->req->method) != 0 ||
        strcmp(bo_rows_get(rows, 0, 6), j->req->path) != 0 ||
        strcmp(bo_rows_get(rows, 0, 7), j->hash) != 0)
        key_reused(r);
    else if (inflight)
        in_flight(r);
    else
        replay((bo_rows *)rows, r);
    return KEY_ANSWERED;
}

static bo_job_result create_run(bo_db *db, void *arg, int run)
{
    create_job *j = arg;
    bo_resp *r = j->r;
    int last = run == BO_JOB_MAX_RUNS - 1;
    resp_reset(r);
    bo_store_err e;
    /* With a key: another server on the same PostgreSQL database may be
     * running it right now, and its row is not visible until it commits,
     * so a lock on the key tells; it is taken just before the row is read
     * (each statement's snapshot starts with it, so a commit that released
     * the lock is seen).  Where the engine holds statements (PostgreSQL)
     * both go out with the operation's first statement: the operation runs
     * before the key is judged, and is undone if the key was not free
     * (rare: a retry, or a race between servers), which saves a round trip
     * on every creation. */
    bo_lock_buf lock = { .rows = NULL };
    bo_rows *rows = NULL;
    bo_store_err lock_st = BO_STORE_OK, row_st = BO_STORE_OK;
    int nlock = 0, ahead = 0;
    if (j->key) {
        const char *pk[2] = { j->a->caller, j->key };
        char name[400];
        snprintf(name, sizeof name, "idem\n%s\n%s", j->a->caller, j->key);
        bo_stmt ls;
        nlock = bo_db_lock_stmt(db, name, &lock, &ls);
        if (nlock)
            (void)bo_db_exec_later_rows(db, ls.sql, ls.n, ls.params, &lock.rows, &lock_st);
        (void)bo_db_exec_later_rows(db, "SELECT status, content_type, location, body, state, "
                                        "method, path, body_hash, created FROM idempotency "
                                        "WHERE caller = $1 AND idem_key = $2", 2, pk, &rows,
                                    &row_st);
        ahead = bo_db_held(db) && !j->store_only;
        if (!ahead) {
            if ((e = bo_db_flush(db)) != BO_STORE_OK && lock_st == BO_STORE_OK &&
                row_st == BO_STORE_OK)
                row_st = e;
            key_verdict v = check_key(j, db, nlock, &lock, lock_st, rows, row_st, &e);
            bo_rows_free(lock.rows);
            bo_rows_free(rows);
            if (v == KEY_FAILED)
                return e == BO_STORE_EBUSY && !last ? BO_JOB_RETRY : BO_JOB_UNDO;
            if (v == KEY_ANSWERED)
                return BO_JOB_KEEP; /* nothing changed */
        }
    }
    if (j->store_only) {
        r->status = j->saved_status;
        memcpy(r->ctype, j->saved_ctype, sizeof r->ctype);
        memcpy(r->location, j->saved_location, sizeof r->location);
        r->body = strdup(j->saved_body ? j->saved_body : "");
        r->len = r->body ? strlen(r->body) : 0;
        if (!r->body)
            return job_failed(r, BO_STORE_ENOMEM, 1);
    } else {
        j->fn(j->app, j->a, j->req, j->arg, db, r);
        if (ahead) {
            /* Now the key: the lock and the row have gone out with the
             * operation's first statement (or go now, if it had none). */
            if ((lock_st == BO_STORE_EPENDING || row_st == BO_STORE_EPENDING) &&
                (e = bo_db_flush(db)) != BO_STORE_OK && lock_st == BO_STORE_OK &&
                row_st == BO_STORE_OK)
                row_st = e;
            key_verdict v = check_key(j, db, nlock, &lock, lock_st, rows, row_st, &e);
            bo_rows_free(lock.rows);
            bo_rows_free(rows);
            if (v == KEY_FAILED)
                return e == BO_STORE_EBUSY && !last ? BO_JOB_RETRY : BO_JOB_UNDO;
            if (v == KEY_ANSWERED)
                return BO_JOB_UNDO; /* the operation's changes go */
        }
        if (r->status < 200 || r->status >= 500) {
            /* Server errors free the key for a retry: nothing is kept. */
            if (r->status < 200)
                bo_store_problem(r, BO_STORE_ESQL);
            return bo_db_last_err(db) == BO_STORE_EBUSY && !last ? BO_JOB_RETRY : BO_JOB_UNDO;
        }
        if (r->status >= 300) {
            /* Client errors are remembered under the key like successes,
             * without whatever the operation did before it refused. */
            if (!j->key || last)
                return BO_JOB_UNDO;
            j->store_only = 1;
            j->saved_status = r->status;
            memcpy(j->saved_ctype, r->ctype, sizeof j->saved_ctype);
            memcpy(j->saved_location, r->location, sizeof j->saved_location);
            free(j->saved_body);
            j->saved_body = r->body ? strdup(r->body) : NULL;
            return BO_JOB_RETRY;
        }
    }
    if (j->key) {
        char st[8];
        snprintf(st, sizeof st, "%d", r->status);
        const char *p[11] = { j->a->caller, j->key, j->a->tenant, j->req->method, j->req->path,
                              j->hash, st, r->ctype, r->location[0] ? r->location : NULL,
                              r->body ? r->body : "", j->now };
        /* Sent with the COMMIT on PostgreSQL: the lock above makes a
         * conflict impossible there.  A constraint here (SQLite, where it
         * runs at once) means another writer stored this key since we
         * looked: the next run finds its row. */
        e = bo_db_exec_later(db, "INSERT INTO idempotency (caller, idem_key, tenant_id, method, "
                                 "path, body_hash, state, status, content_type, location, body, "
                                 "created) VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $8, $9, "
                                 "$10, $11)", 11, p);
        if (e == BO_STORE_ECONSTRAINT && !last)
            return BO_JOB_RETRY;
        if (e != BO_STORE_OK)
            return job_failed(r, e, last);
    }
    return BO_JOB_KEEP;
}

void bo_idempotent(bo_app *app, const bo_auth *a, const bo_req *req,
                   bo_create_fn fn, void *arg, bo_resp *r)
{
    const char *h = req->header(req->t, "Idempotency-Key");
    char key[BO_IDEM_KEY_MAX + 1];
    char hash[65] = "";
    if (h) {
        bo_parse_err pe = bo_idem_key_parse(h, strlen(h), key);
        if (pe != BO_PARSE_OK) {
            bo_problem(r, 400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                       "Idempotency-Key: %s (1-255 of A-Z a-z 0-9 and -)", bo_parse_strerror(pe));
            return;
        }
        if (bo_sha256_hex(req->body, req->body_len, hash) != 0) {
            bo_store_problem(r, BO_STORE_ENOMEM);
            return;
        }
    }
    create_job j = { .app = app, .a = a, .req = req, .fn = fn, .arg = arg,
                     .key = h ? key : NULL, .hash = hash, .r = r };
    int64_t t = bo_now();
    snprintf(j.now, sizeof j.now, "%lld", (long long)t);
    snprintf(j.old, sizeof j.old, "%lld", (long long)(t - IDEM_TTL));
    snprintf(j.lease, sizeof j.lease, "%lld", (long long)(t - app->cfg.idem_lease));

    /* A request of this process already running the key: answered here,
     * without a transaction.  The hold lasts until our transaction has
     * settled, so a retry meanwhile never runs the operation twice. */
    bo_idem_hold hold = { a->caller, key, NULL };
    if (j.key) {
        pthread_mutex_lock(&app->idem_mu);
        bo_idem_hold *o = app->idem_held;
        while (o && (strcmp(o->key, key) != 0 || strcmp(o->caller, a->caller) != 0))
            o = o->next;
        if (!o) {
            hold.next = app->idem_held;
            app->idem_held = &hold;
        }
        pthread_mutex_unlock(&app->idem_mu);
        if (o) {
            /* 409 even for another body: the key's stored request (if
             * any) is not known yet; a retry gets the 422 if it differs. */
            in_flight(r);
            return;
        }
    }
    bo_store_err e = bo_store_write(app->store, create_run, &j);
    if (e != BO_STORE_OK) {
        /* The transaction did not commit (perhaps through another request
         * of its batch): whatever the operation answered did not happen,
         * and the same request may well succeed if sent again. */
        resp_reset(r);
        bo_store_problem(r, BO_STORE_EUNAVAILABLE);
    }
    free(j.saved_body);
    if (j.key) {
        pthread_mutex_lock(&app->idem_mu);
        bo_idem_hold **pp = &app->idem_held;
        while (*pp != &hold)
            pp = &(*pp)->next;
        *pp = hold.next;
        pthread_mutex_unlock(&app->idem_mu);
    }
}

/* ---- routing ---- */

static void health(bo_app *app, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, "SELECT COUNT(*) FROM tenants", 0, NULL, &rows);
    bo_rows_free(rows);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "database", bo_store_engine(app->store));
    /* Write transactions since start: how well group commit groups. */
    bo_store_stats st;
    bo_store_get_stats(app->store, &st);
    cJSON *w = cJSON_AddObjectToObject(o, "writes");
    cJSON_AddNumberToObject(w, "jobs", (double)st.jobs);
    cJSON_AddNumberToObject(w, "transactions", (double)st.batches);
    cJSON_AddNumberToObject(w, "failed", (double)st.failed);
    cJSON_AddNumberToObject(w, "largest", (double)st.largest);
    bo_json(r, 200, o);
}

int bo_app_create(bo_store *store, const bo_config *cfg, const char *base_url,
                  bo_app **out)
{
    bo_app *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->store = store;
    a->cfg = *cfg;
    snprintf(a->base_url, sizeof a->base_url, "%s", base_url);
    pthread_mutex_init(&a->rl_mu, NULL);
    pthread_mutex_init(&a->idem_mu, NULL);
    pthread_mutex_init(&a->auth_mu, NULL);
    *out = a;
    return 0;
}

void bo_app_destroy(bo_app *app)
{
    if (!app)
        return;
    pthread_mutex_destroy(&app->rl_mu);
    pthread_mutex_destroy(&app->idem_mu);
    pthread_mutex_destroy(&app->auth_mu);
    free(app);
}

#define MAX_SEG 8

void bo_app_handle(bo_app *app, const bo_req *req, bo_resp *r)
{
    r->retry_after = -1;
    size_t plen = strlen(req->path);
    if (plen > 512 || req->path[0] != '/' || !bo_utf8_valid(req->path, plen)) {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
        return;
    }
    char path[520];
    memcpy(path, req->path, plen + 1);
    char *seg[MAX_SEG];
    int nseg = 0;
    char *save = NULL;
    for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (nseg == MAX_SEG) {
            bo_problem(r, 404, "not-found", "Not found", "No such resource.");
            return;
        }
        seg[nseg++] = s;
    }
    if (nseg == 1 && strcmp(seg[0], "health") == 0) {
        if (strcmp(req->method, "GET") != 0) {
            bo_problem(r, 405, "method-not-allowed", "Method not allowed", "Use GET.");
            return;
        }
        health(app, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "payments") == 0) {
        bo_api_payments(app, req, seg + 2, nseg - 2, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "appointments") == 0) {
        bo_api_appointments(app, req, seg + 2, nseg - 2, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "cases") == 0) {
        bo_api_cases(app, req, seg + 2, nseg - 2, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "forms") == 0) {
        bo_api_forms(app, req, seg + 2, nseg - 2, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "catalogue") == 0) {
        bo_api_catalogue(app, req, nseg - 2, r);
        return;
    }
    if (nseg >= 2 && strcmp(seg[0], "open311") == 0 && strcmp(seg[1], "v2") == 0) {
        bo_api_open311(app, req, seg + 2, nseg - 2, r);
        return;
    }
    if (nseg >= 1 && (strcmp(seg[0], "pay") == 0 || strcmp(seg[0], "p") == 0)) {
        bo_pages_pay(app, req, seg + 1, nseg - 1, r);
        return;
    }
    if (nseg == 2 && strcmp(seg[0], "oauth") == 0) {
        bo_api_oauth(app, req, seg + 1, nseg - 1, r);
        return;
    }
    if (nseg == 1 && strcmp(seg[0], "device") == 0) {
        bo_pages_device(app, req, r);
        return;
    }
    bo_problem(r, 404, "not-found", "Not found", "No such resource.");
}
