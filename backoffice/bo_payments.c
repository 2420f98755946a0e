/*
 * Payments in the shape of the GOV.UK Pay API (docs.payments.service.gov.uk:
 * "Create a payment", "Get information about a payment", "Cancel a
 * payment", "Refund a payment", "Payment status lifecycle"):
 *
 *   created -> started -> submitted -> success | failed | error
 *   created | started | submitted -> cancelled
 *
 * Amounts are integer pence (1 .. 10,000,000), language en|cy, links under
 * "_links" (self, next_url while the viewer can still pay, cancel,
 * refunds).  For a TV, every payment also carries a short URL and the QR
 * target the screen draws: the viewer pays on a phone, so card numbers
 * reach only the phone pages (bo_pages_pay.c), never this API.
 *
 * Failure codes follow GOV.UK Pay's: P0010 payment method rejected, P0030
 * cancelled by the user, P0040 cancelled by the service, P0050 provider
 * error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_api_int.h"

#define PAY_MAX_AMOUNT 10000000
#define SHORT_ALPHABET "BCDFGHJKLMNPQRSTVWXZ23456789"
#define SHORT_LEN 8

#define PAY_COLS "id, amount, reference, description, language, state, failure_code, " \
                 "short_code, refunded, created, card_brand"

static int finished(const char *state)
{
    return strcmp(state, "success") == 0 || strcmp(state, "failed") == 0 ||
           strcmp(state, "cancelled") == 0 || strcmp(state, "error") == 0;
}

static const char *failure_message(const char *code)
{
    if (!code) return NULL;
    if (strcmp(code, "P0010") == 0) return "Payment method rejected";
    if (strcmp(code, "P0030") == 0) return "Payment was cancelled by the user";
    if (strcmp(code, "P0040") == 0) return "Payment was cancelled by the service";
    if (strcmp(code, "P0050") == 0) return "Payment provider returned an error";
    return "Payment failed";
}

/* href = base URL + before + id + after */
static void add_link(bo_app *app, cJSON *links, const char *name, const char *method,
                     const char *before, const char *id, const char *after)
{
    char href[512];
    snprintf(href, sizeof href, "%s%s%s%s", app->base_url, before, id, after);
    cJSON *l = cJSON_AddObjectToObject(links, name);
    cJSON_AddStringToObject(l, "href", href);
    cJSON_AddStringToObject(l, "method", method);
}

/* The payment resource from a row of PAY_COLS. */
static cJSON *payment_json(bo_app *app, const bo_rows *rows, int i)
{
    const char *id = bo_rows_get(rows, i, 0);
    const char *state = bo_rows_get(rows, i, 5);
    const char *code = bo_rows_get(rows, i, 6);
    const char *shortc = bo_rows_get(rows, i, 7);
    long long amount = atoll(bo_rows_get(rows, i, 1));
    long long refunded = atoll(bo_rows_get(rows, i, 8));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "payment_id", id);
    cJSON_AddNumberToObject(o, "amount", (double)amount);
    cJSON_AddStringToObject(o, "reference", bo_rows_get(rows, i, 2));
    cJSON_AddStringToObject(o, "description", bo_rows_get(rows, i, 3));
    cJSON_AddStringToObject(o, "language", bo_rows_get(rows, i, 4));
    cJSON *st = cJSON_AddObjectToObject(o, "state");
    cJSON_AddStringToObject(st, "status", state);
    cJSON_AddBoolToObject(st, "finished", finished(state));
    if (code) {
        cJSON_AddStringToObject(st, "code", code);
        cJSON_AddStringToObject(st, "message", failure_message(code));
    }
    char t[32];
    bo_iso_time(atoll(bo_rows_get(rows, i, 9)), t);
    cJSON_AddStringToObject(o, "created_date", t);
    if (bo_rows_get(rows, i, 10)) {
        cJSON *cd = cJSON_AddObjectToObject(o, "card_details");
        cJSON_AddStringToObject(cd, "card_brand", bo_rows_get(rows, i, 10));
    }
    cJSON *rs = cJSON_AddObjectToObject(o, "refund_summary");
    const char *rstatus = strcmp(state, "success") != 0 ? "unavailable"
                        : refunded >= amount ? "full" : "available";
    cJSON_AddStringToObject(rs, "status", rstatus);
    cJSON_AddNumberToObject(rs, "amount_available",
                            strcmp(state, "success") == 0 ? (double)(amount - refunded) : 0);
    cJSON_AddNumberToObject(rs, "amount_submitted", (double)refunded);
    char url[512];
    snprintf(url, sizeof url, "%s/p/%s", app->base_url, shortc);
    cJSON_AddStringToObject(o, "short_url", url);
    /* The QR target is the same short URL: short URLs make small QR codes
     * (version 2 or 3) that a TV can draw legibly. */
    cJSON_AddStringToObject(o, "qr_target", url);
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    add_link(app, links, "self", "GET", "/v1/payments/", id, "");
    if (strcmp(state, "created") == 0 || strcmp(state, "started") == 0)
        add_link(app, links, "next_url", "GET", "/pay/", shortc, "");
    if (!finished(state))
        add_link(app, links, "cancel", "POST", "/v1/payments/", id, "/cancel");
    add_link(app, links, "refunds", "GET", "/v1/payments/", id, "/refunds");
    return o;
}

static bo_store_err load(bo_db *db, const char *tenant, const char *id, bo_rows **rows)
{
    const char *p[2] = { id, tenant };
    return bo_db_exec(db, "SELECT " PAY_COLS " FROM payments WHERE id = $1 AND tenant_id = $2",
                      2, p, rows);
}

static void not_found(bo_resp *r)
{
    bo_problem(r, 404, "not-found", "Not found", "No such payment.");
}

typedef struct {
    long long amount;
    const char *reference, *description, *language;
} create_args;

static void do_create(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)req;
    create_args *c = arg;
    char id[BO_ID_LEN + 1], shortc[SHORT_LEN + 1], amount[24], now[24];
    bo_new_id(id);
    snprintf(amount, sizeof amount, "%lld", c->amount);
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    bo_store_err e = BO_STORE_ECONSTRAINT;
    bo_rows *rows = NULL;
    for (int tries = 0; tries < 8 && e == BO_STORE_ECONSTRAINT; tries++) {
        bo_random_string(SHORT_ALPHABET, SHORT_LEN, shortc);
        const char *p[8] = { id, a->tenant, amount, c->reference, c->description,
                             c->language, shortc, now };
        /* ON CONFLICT DO NOTHING keeps a short-code collision from aborting
         * the transaction (PostgreSQL would): no row back means try again.
         * The row comes back as stored, for the answer. */
        bo_rows_free(rows);
        rows = NULL;
        e = bo_db_exec(db, "INSERT INTO payments (id, tenant_id, amount, reference, "
                           "description, language, state, short_code, created, updated) "
                           "VALUES ($1, $2, $3, $4, $5, $6, 'created', $7, $8, $8) "
                           "ON CONFLICT DO NOTHING RETURNING " PAY_COLS, 8, p, &rows);
        if (e == BO_STORE_OK && (!rows || rows->nrows == 0))
            e = BO_STORE_ECONSTRAINT;
    }
    if (e == BO_STORE_OK)
        e = bo_audit(db, a, "payment.create", id);
    if (e != BO_STORE_OK || !rows || rows->nrows != 1) {
        bo_rows_free(rows);
        bo_store_problem(r, e == BO_STORE_OK ? BO_STORE_ESQL : e);
        return;
    }
    bo_json(r, 201, payment_json(app, rows, 0));
    snprintf(r->location, sizeof r->location, "%s/v1/payments/%s", app->base_url, id);
    bo_rows_free(rows);
}

static int text_field(cJSON *o, const char *name, size_t max, int required,
                      const char **out, bo_resp *r)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!f) {
        if (required) {
            bo_problem(r, 422, "invalid-field", "Invalid request", "%s: missing", name);
            return -1;
        }
        *out = NULL;
        return 0;
    }
    if (!cJSON_IsString(f) || !f->valuestring[0]) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "%s: must be a non-empty string", name);
        return -1;
    }
    if (strlen(f->valuestring) > max) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "%s: at most %zu bytes", name, max);
        return -1;
    }
    *out = f->valuestring;
    return 0;
}

static void create(bo_app *app, const bo_auth *a, const bo_req *req, bo_resp *r)
{
    static const char *const allowed[] = { "amount", "reference", "description",
                                           "language", NULL };
    cJSON *o = bo_json_body(req, allowed, r);
    if (!o)
        return;
    create_args c = { 0, NULL, NULL, "en" };
    cJSON *am = cJSON_GetObjectItemCaseSensitive(o, "amount");
    if (!am) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "amount: missing");
        goto out;
    }
    /* Integer pence: a JSON number with no fraction, within range (cJSON
     * holds it as a double, exact for every value in range). */
    if (!cJSON_IsNumber(am) || am->valuedouble != (double)(long long)am->valuedouble ||
        am->valuedouble < 1 || am->valuedouble > PAY_MAX_AMOUNT) {
        bo_problem(r, 422, "invalid-field", "Invalid request",
                   "amount: must be a whole number of pence from 1 to %d", PAY_MAX_AMOUNT);
        goto out;
    }
    c.amount = (long long)am->valuedouble;
    if (text_field(o, "reference", 255, 1, &c.reference, r) ||
        text_field(o, "description", 255, 1, &c.description, r) ||
        text_field(o, "language", 2, 0, &c.language, r))
        goto out;
    if (!c.language)
        c.language = "en";
    if (strcmp(c.language, "en") != 0 && strcmp(c.language, "cy") != 0) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "language: must be en or cy");
        goto out;
    }
    bo_idempotent(app, a, req, do_create, &c, r);
out:
    cJSON_Delete(o);
}

static void get_one(bo_app *app, const bo_auth *a, const char *id, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    bo_store_err e = load(db, a->tenant, id, &rows);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK)
        bo_store_problem(r, e);
    else if (!rows || rows->nrows != 1)
        not_found(r);
    else
        bo_json(r, 200, payment_json(app, rows, 0));
    bo_rows_free(rows);
}

static void do_cancel(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)app;
    (void)req;
    const char *id = arg;
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    const char *p[3] = { id, a->tenant, now };
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db,
        "UPDATE payments SET state = 'cancelled', failure_code = 'P0040', updated = $3 "
        "WHERE id = $1 AND tenant_id = $2 AND state IN ('created', 'started', 'submitted') "
        "RETURNING id", 3, p, &rows);
    int done = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK && done)
        e = bo_audit(db, a, "payment.cancel", id);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    if (done) {
        /* GOV.UK Pay answers a cancel with 204 No Content. */
        r->status = 204;
        r->ctype[0] = '\0';
        free(r->body);
        r->body = NULL;
        r->len = 0;
        return;
    }
    e = load(db, a->tenant, id, &rows);
    if (e != BO_STORE_OK)
        bo_store_problem(r, e);
    else if (!rows || rows->nrows != 1)
        not_found(r);
    else
        bo_problem(r, 409, "payment-finished", "Cannot cancel",
                   "The payment is %s and can no longer be cancelled.", bo_rows_get(rows, 0, 5));
    bo_rows_free(rows);
}

static cJSON *refund_json(bo_app *app, const char *payment, const bo_rows *rows, int i)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = bo_rows_get(rows, i, 0);
    cJSON_AddStringToObject(o, "refund_id", id);
    cJSON_AddNumberToObject(o, "amount", (double)atoll(bo_rows_get(rows, i, 1)));
    cJSON_AddStringToObject(o, "status", bo_rows_get(rows, i, 2));
    char t[32];
    bo_iso_time(atoll(bo_rows_get(rows, i, 3)), t);
    cJSON_AddStringToObject(o, "created_date", t);
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    char before[128];
    snprintf(before, sizeof before, "/v1/payments/%s/refunds/", payment);
    add_link(app, links, "self", "GET", before, id, "");
    add_link(app, links, "payment", "GET", "/v1/payments/", payment, "");
    return o;
}

typedef struct {
    const char *payment;
    long long amount;
    long long available;   /* -1: not given */
} refund_args;

static void do_refund(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)req;
    refund_args *ra = arg;
    bo_rows *rows = NULL;
    bo_store_err e = load(db, a->tenant, ra->payment, &rows);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    if (!rows || rows->nrows != 1) {
        bo_rows_free(rows);
        not_found(r);
        return;
    }
    long long amount = atoll(bo_rows_get(rows, 0, 1));
    long long refunded = atoll(bo_rows_get(rows, 0, 8));
    int success = strcmp(bo_rows_get(rows, 0, 5), "success") == 0;
    bo_rows_free(rows);
    rows = NULL;
    if (!success) {
        bo_problem(r, 409, "refund-not-available", "Refund not available",
                   "Only a successful payment can be refunded.");
        return;
    }
    if (ra->available >= 0 && ra->available != amount - refunded) {
        bo_problem(r, 412, "refund-amount-available-mismatch", "Refund amount available mismatch",
                   "refund_amount_available is %lld, not %lld.", amount - refunded, ra->available);
        return;
    }
    char am[24], now[24], id[BO_ID_LEN + 1];
    snprintf(am, sizeof am, "%lld", ra->amount);
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    bo_new_id(id);
    /* The conditional UPDATE is the guard: two refunds racing can never
     * return more than was paid. */
    const char *p[4] = { ra->payment, a->tenant, am, now };
    e = bo_db_exec(db, "UPDATE payments SET refunded = refunded + $3, updated = $4 "
                       "WHERE id = $1 AND tenant_id = $2 AND state = 'success' "
                       "AND refunded + $3 <= amount RETURNING id", 4, p, &rows);
    int ok = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK && !ok) {
        bo_problem(r, 422, "refund-amount-too-high", "Refund amount too high",
                   "At most %lld pence can be refunded.", amount - refunded);
        return;
    }
    const char *pi[5] = { id, ra->payment, a->tenant, am, now };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO refunds (id, payment_id, tenant_id, amount, status, "
                           "created) VALUES ($1, $2, $3, $4, 'success', $5)", 5, pi, NULL);
    if (e == BO_STORE_OK)
        e = bo_audit(db, a, "payment.refund", id);
    const char *pg[2] = { id, a->tenant };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT id, amount, status, created FROM refunds WHERE id = $1 "
                           "AND tenant_id = $2", 2, pg, &rows);
    if (e != BO_STORE_OK || !rows || rows->nrows != 1) {
        bo_rows_free(rows);
        bo_store_problem(r, e == BO_STORE_OK ? BO_STORE_ESQL : e);
        return;
    }
    bo_json(r, 201, refund_json(app, ra->payment, rows, 0));
    snprintf(r->location, sizeof r->location, "%s/v1/payments/%s/refunds/%s",
             app->base_url, ra->payment, id);
    bo_rows_free(rows);
}

static void refund(bo_app *app, const bo_auth *a, const bo_req *req, const char *id,
                   bo_resp *r)
{
    if (strcmp(a->role, "admin") != 0) {
        bo_problem(r, 403, "forbidden", "Forbidden", "Refunds need an admin API key.");
        return;
    }
    static const char *const allowed[] = { "amount", "refund_amount_available", NULL };
    cJSON *o = bo_json_body(req, allowed, r);
    if (!o)
        return;
    refund_args ra = { id, 0, -1 };
    cJSON *am = cJSON_GetObjectItemCaseSensitive(o, "amount");
    cJSON *av = cJSON_GetObjectItemCaseSensitive(o, "refund_amount_available");
    if (!cJSON_IsNumber(am) || am->valuedouble != (double)(long long)am->valuedouble ||
        am->valuedouble < 1 || am->valuedouble > PAY_MAX_AMOUNT) {
        bo_problem(r, 422, "invalid-field", "Invalid request",
                   "amount: must be a whole number of pence from 1 to %d", PAY_MAX_AMOUNT);
        goto out;
    }
    ra.amount = (long long)am->valuedouble;
    if (av) {
        if (!cJSON_IsNumber(av) || av->valuedouble != (double)(long long)av->valuedouble ||
            av->valuedouble < 0 || av->valuedouble > PAY_MAX_AMOUNT) {
            bo_problem(r, 422, "invalid-field", "Invalid request",
                       "refund_amount_available: must be a whole number of pence");
            goto out;
        }
        ra.available = (long long)av->valuedouble;
    }
    bo_idempotent(app, a, req, do_refund, &ra, r);
out:
    cJSON_Delete(o);
}

static void list_refunds(bo_app *app, const bo_auth *a, const char *id, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *pay = NULL, *rows = NULL;
    bo_store_err e = load(db, a->tenant, id, &pay);
    const char *p[2] = { id, a->tenant };
    if (e == BO_STORE_OK && pay && pay->nrows == 1)
        e = bo_db_exec(db, "SELECT id, amount, status, created FROM refunds WHERE "
                           "payment_id = $1 AND tenant_id = $2 ORDER BY created, id", 2, p, &rows);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
    } else if (!pay || pay->nrows != 1) {
        not_found(r);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "payment_id", id);
        cJSON *emb = cJSON_AddObjectToObject(o, "_embedded");
        cJSON *arr = cJSON_AddArrayToObject(emb, "refunds");
        for (int i = 0; rows && i < rows->nrows; i++)
            cJSON_AddItemToArray(arr, refund_json(app, id, rows, i));
        bo_json(r, 200, o);
    }
    bo_rows_free(pay);
    bo_rows_free(rows);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n != BO_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
            return 0;
    return 1;
}

void bo_api_payments(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    bo_auth a;
    if (bo_auth_request(app, req, &a, r) != 0 || bo_rate_check(app, &a, r) != 0)
        return;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (nseg >= 1 && !valid_id(seg[0])) {
        not_found(r);
        return;
    }
    if (nseg == 0 && post)
        create(app, &a, req, r);
    else if (nseg == 1 && get)
        get_one(app, &a, seg[0], r);
    else if (nseg == 2 && post && strcmp(seg[1], "cancel") == 0)
        bo_idempotent(app, &a, req, do_cancel, seg[0], r);
    else if (nseg == 2 && post && strcmp(seg[1], "refunds") == 0)
        refund(app, &a, req, seg[0], r);
    else if (nseg == 2 && get && strcmp(seg[1], "refunds") == 0)
        list_refunds(app, &a, seg[0], r);
    else if (nseg <= 2)
        bo_problem(r, 405, "method-not-allowed", "Method not allowed",
                   "%s is not allowed here.", req->method);
    else
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
}
