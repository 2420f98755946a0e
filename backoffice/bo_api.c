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
 * - Idempotency-Key (IETF httpapi Idempotency-Key draft): the key row is
 *   claimed with an INSERT under the table's primary key, so two requests
 *   can never both create; the creation and the stored answer commit in one
 *   transaction.
 */
#include "backoffice/bo_api_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoffice/bo_parse.h"

/* How long an Idempotency-Key is remembered.  An in-flight claim is
 * honoured for cfg.idem_lease seconds before a retry may take it over (the
 * first attempt's server crashed). */
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
    return bo_db_exec(db, "INSERT INTO audit (at, tenant_id, actor, action, object_id) "
                          "VALUES ($1, $2, $3, $4, $5)", 5, p, NULL);
}

/* ---- authentication and rate limits ---- */

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

/* Runs fn in a write transaction.  With a key, claimed is the claim's
 * created time: the answer is stored only while the claim is still ours,
 * so a slow request whose claim was taken over cannot create twice. */
static void run_create(bo_app *app, const bo_auth *a, const bo_req *req,
                       bo_create_fn fn, void *arg, const char *key,
                       const char *claimed, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_store_err e = BO_STORE_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        e = bo_db_begin(db, 1);
        if (e != BO_STORE_OK)
            break;
        fn(app, a, req, arg, db, r);
        if (r->status < 200 || r->status >= 300) {
            bo_db_rollback(db);
            /* Client errors are remembered under the key like successes;
             * server errors free the key for a retry. */
            if (key && r->status >= 500)
                e = BO_STORE_EUNAVAILABLE;
            else if (key) {
                if ((e = bo_db_begin(db, 1)) != BO_STORE_OK)
                    break;
                goto store_answer;
            }
            break;
        }
store_answer:
        if (key) {
            char st[8];
            snprintf(st, sizeof st, "%d", r->status);
            const char *p[7] = { st, r->ctype, r->location[0] ? r->location : NULL,
                                 r->body ? r->body : "", a->caller, key, claimed };
            bo_rows *own = NULL;
            e = bo_db_exec(db, "UPDATE idempotency SET state = 'done', status = $1, "
                               "content_type = $2, location = $3, body = $4 "
                               "WHERE caller = $5 AND idem_key = $6 AND state = 'inflight' "
                               "AND created = $7 RETURNING caller", 7, p, &own);
            int ours = e == BO_STORE_OK && own && own->nrows == 1;
            bo_rows_free(own);
            if (e != BO_STORE_OK) {
                bo_db_rollback(db);
                break;
            }
            if (!ours) {
                /* Our claim lapsed and another request took the key over:
                 * undo our work, the other one answers for the key. */
                bo_db_rollback(db);
                free(r->body);
                r->body = NULL;
                r->location[0] = '\0';
                bo_problem(r, 409, "idempotency-in-flight", "Request in progress",
                           "A request with this Idempotency-Key is being processed; retry later.");
                r->retry_after = 1;
                bo_store_release(app->store, db);
                return;
            }
        }
        e = bo_db_commit(db);
        if (e != BO_STORE_EBUSY)
            break;
        /* A serialization conflict: nothing was stored; run it again. */
        free(r->body);
        memset(r, 0, sizeof *r);
        r->retry_after = -1;
    }
    if (e != BO_STORE_OK) {
        int had_rl = r->has_ratelimit;
        long l = r->rl_limit, rem = r->rl_remaining, rs = r->rl_reset;
        r->location[0] = '\0';
        bo_store_problem(r, e);
        r->has_ratelimit = had_rl;
        r->rl_limit = l, r->rl_remaining = rem, r->rl_reset = rs;
        if (key) {
            const char *p[3] = { a->caller, key, claimed };
            if (bo_db_begin(db, 1) == BO_STORE_OK) {
                if (bo_db_exec(db, "DELETE FROM idempotency WHERE caller = $1 AND "
                                   "idem_key = $2 AND state = 'inflight' AND created = $3",
                               3, p, NULL) == BO_STORE_OK)
                    (void)bo_db_commit(db);
                else
                    bo_db_rollback(db);
            }
        }
    }
    bo_store_release(app->store, db);
}

void bo_idempotent(bo_app *app, const bo_auth *a, const bo_req *req,
                   bo_create_fn fn, void *arg, bo_resp *r)
{
    const char *h = req->header(req->t, "Idempotency-Key");
    if (!h) {
        run_create(app, a, req, fn, arg, NULL, NULL, r);
        return;
    }
    char key[BO_IDEM_KEY_MAX + 1];
    bo_parse_err pe = bo_idem_key_parse(h, strlen(h), key);
    if (pe != BO_PARSE_OK) {
        bo_problem(r, 400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                   "Idempotency-Key: %s (1-255 of A-Z a-z 0-9 and -)", bo_parse_strerror(pe));
        return;
    }
    char hash[65];
    bo_sha256_hex(req->body, req->body_len, hash);
    char now[24], old[24], lease[24];
    int64_t t = bo_now();
    snprintf(now, sizeof now, "%lld", (long long)t);
    snprintf(old, sizeof old, "%lld", (long long)(t - IDEM_TTL));
    snprintf(lease, sizeof lease, "%lld", (long long)(t - app->cfg.idem_lease));

    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_begin(db, 1);
    const char *pk[4] = { a->caller, key, old, lease };
    /* Forget an expired key, or take over an abandoned in-flight claim. */
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "DELETE FROM idempotency WHERE caller = $1 AND idem_key = $2 "
                           "AND (created < $3 OR (state = 'inflight' AND created < $4))",
                       4, pk, NULL);
    const char *pi[7] = { a->caller, key, a->tenant, req->method, req->path, hash, now };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO idempotency (caller, idem_key, tenant_id, method, "
                           "path, body_hash, state, created) VALUES ($1, $2, $3, $4, $5, $6, "
                           "'inflight', $7) ON CONFLICT (caller, idem_key) DO NOTHING "
                           "RETURNING caller", 7, pi, &rows);
    int claimed = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK && !claimed)
        e = bo_db_exec(db, "SELECT status, content_type, location, body, state, method, "
                           "path, body_hash FROM idempotency WHERE caller = $1 AND idem_key = $2",
                       2, pk, &rows);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_rows_free(rows);
        bo_store_problem(r, e);
        return;
    }
    if (claimed) {
        run_create(app, a, req, fn, arg, key, now, r);
        return;
    }
    if (!rows || rows->nrows != 1) {
        /* Claimed and released between our INSERT and SELECT: a retry
         * will find it settled. */
        bo_rows_free(rows);
        bo_problem(r, 409, "idempotency-in-flight", "Request in progress",
                   "A request with this Idempotency-Key is being processed; retry later.");
        r->retry_after = 1;
        return;
    }
    if (strcmp(bo_rows_get(rows, 0, 5), req->method) != 0 ||
        strcmp(bo_rows_get(rows, 0, 6), req->path) != 0 ||
        strcmp(bo_rows_get(rows, 0, 7), hash) != 0) {
        bo_rows_free(rows);
        bo_problem(r, 422, "idempotency-key-reused", "Idempotency-Key reused",
                   "This Idempotency-Key was used with a different request.");
        return;
    }
    if (strcmp(bo_rows_get(rows, 0, 4), "done") != 0) {
        bo_rows_free(rows);
        bo_problem(r, 409, "idempotency-in-flight", "Request in progress",
                   "A request with this Idempotency-Key is being processed; retry later.");
        r->retry_after = 1;
        return;
    }
    int had = r->has_ratelimit;
    replay(rows, r);
    r->has_ratelimit = had;
    bo_rows_free(rows);
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
    *out = a;
    return 0;
}

void bo_app_destroy(bo_app *app)
{
    if (!app)
        return;
    pthread_mutex_destroy(&app->rl_mu);
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
