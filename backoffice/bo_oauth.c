/*
 * RFC 8628 OAuth 2.0 Device Authorization Grant, as the TV signs a viewer
 * in: the TV shows a user code and a QR code of verification_uri_complete,
 * the viewer approves on a phone (bo_pages.c), the TV polls the token
 * endpoint.
 *
 *   POST /oauth/device_authorization   section 3.1/3.2 (client_id is the
 *                                      tenant: a TV app is a public client)
 *   POST /oauth/token                  section 3.4/3.5: authorization_pending,
 *                                      slow_down (interval += 5 s, kept for
 *                                      all later polls), expired_token,
 *                                      access_denied, invalid_grant; then
 *                                      RFC 6749 section 5.1 tokens; refresh
 *                                      (section 6) rotates the refresh token.
 *
 * Device codes, access and refresh tokens are stored only as SHA-256
 * hashes; a device code gives tokens once (state 'used' after), so a
 * replayed code gets invalid_grant.  User codes are 8 characters of the
 * base-20 consonant alphabet of section 6.1 (about 34 bits), live for 10
 * minutes, and are rate limited per tenant with the rest of the API.
 */
#include "backoffice/bo_oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_parse.h"

#define DEVICE_TTL 600
#define ACCESS_TTL 3600
#define REFRESH_TTL (30 * 86400)
#define TOKEN_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* RFC 6749 section 5.2 error answer. */
static void oauth_error(bo_resp *r, int status, const char *error, const char *desc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", error);
    if (desc)
        cJSON_AddStringToObject(o, "error_description", desc);
    bo_json(r, status, o);
}

static int tenant_auth(bo_app *app, const char *client_id, bo_auth *a, bo_store_err *e)
{
    memset(a, 0, sizeof *a);
    *e = BO_STORE_OK;
    if (!client_id || strlen(client_id) >= sizeof a->tenant)
        return -1;
    bo_db *db = bo_store_acquire(app->store);
    const char *p[1] = { client_id };
    bo_rows *rows = NULL;
    *e = bo_db_exec(db, "SELECT id, rate_per_minute FROM tenants WHERE id = $1", 1, p, &rows);
    bo_store_release(app->store, db);
    int ok = *e == BO_STORE_OK && rows && rows->nrows == 1;
    if (ok) {
        snprintf(a->tenant, sizeof a->tenant, "%s", bo_rows_get(rows, 0, 0));
        a->rate = atol(bo_rows_get(rows, 0, 1));
        snprintf(a->caller, sizeof a->caller, "device");
    }
    bo_rows_free(rows);
    return ok ? 0 : -1;
}

static void device_authorization(bo_app *app, const bo_form *f, bo_resp *r)
{
    bo_auth a;
    bo_store_err e;
    if (tenant_auth(app, bo_form_get(f, "client_id"), &a, &e) != 0) {
        if (e != BO_STORE_OK)
            bo_store_problem(r, e);
        else
            oauth_error(r, 401, "invalid_client", "unknown client_id");
        return;
    }
    if (bo_rate_check(app, &a, r) != 0)
        return;
    char device[44], dhash[65], user8[9], user[10], now[24], exp[24], iv[8];
    int64_t t = bo_now();
    snprintf(now, sizeof now, "%lld", (long long)t);
    snprintf(exp, sizeof exp, "%lld", (long long)(t + DEVICE_TTL));
    snprintf(iv, sizeof iv, "%d", app->cfg.device_interval);
    bo_db *db = bo_store_acquire(app->store);
    e = BO_STORE_ECONSTRAINT;
    for (int tries = 0; tries < 8 && e == BO_STORE_ECONSTRAINT; tries++) {
        bo_random_string(TOKEN_ALPHABET, 43, device);
        bo_sha256_hex(device, 43, dhash);
        bo_random_string(BO_USER_CODE_ALPHABET, 8, user8);
        snprintf(user, sizeof user, "%.4s-%.4s", user8, user8 + 4);
        const char *p[5] = { dhash, user, a.tenant, iv, exp };
        bo_rows *rows = NULL;
        e = bo_db_begin(db, 1);
        /* Drop codes long expired so that user codes can be reused. */
        const char *pn[1] = { now };
        if (e == BO_STORE_OK)
            e = bo_db_exec(db, "DELETE FROM device_codes WHERE expires < $1", 1, pn, NULL);
        if (e == BO_STORE_OK)
            e = bo_db_exec(db, "INSERT INTO device_codes (device_hash, user_code, tenant_id, "
                               "state, poll_interval, last_poll, expires) VALUES ($1, $2, $3, "
                               "'pending', $4, 0, $5) ON CONFLICT DO NOTHING RETURNING user_code",
                           5, p, &rows);
        if (e == BO_STORE_OK && (!rows || rows->nrows != 1))
            e = BO_STORE_ECONSTRAINT;
        bo_rows_free(rows);
        if (e == BO_STORE_OK)
            e = bo_audit(db, &a, "device.authorize", user);
        if (e == BO_STORE_OK)
            e = bo_db_commit(db);
        else
            bo_db_rollback(db);
    }
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_code", device);
    cJSON_AddStringToObject(o, "user_code", user);
    char uri[400];
    snprintf(uri, sizeof uri, "%s/device", app->base_url);
    cJSON_AddStringToObject(o, "verification_uri", uri);
    snprintf(uri, sizeof uri, "%s/device?user_code=%s", app->base_url, user);
    cJSON_AddStringToObject(o, "verification_uri_complete", uri);
    cJSON_AddNumberToObject(o, "expires_in", DEVICE_TTL);
    cJSON_AddNumberToObject(o, "interval", app->cfg.device_interval);
    bo_json(r, 200, o);
}

/* Issues an access and a refresh token for person inside the caller's
 * transaction and writes the RFC 6749 section 5.1 answer. */
static bo_store_err issue_tokens(bo_db *db, const char *tenant, const char *person,
                                 cJSON **out)
{
    char access[44], refresh[44], ah[65], rh[65], ae[24], re[24];
    int64_t t = bo_now();
    bo_random_string(TOKEN_ALPHABET, 43, access);
    bo_random_string(TOKEN_ALPHABET, 43, refresh);
    bo_sha256_hex(access, 43, ah);
    bo_sha256_hex(refresh, 43, rh);
    snprintf(ae, sizeof ae, "%lld", (long long)(t + ACCESS_TTL));
    snprintf(re, sizeof re, "%lld", (long long)(t + REFRESH_TTL));
    const char *pa[4] = { ah, tenant, person, ae };
    const char *pr[4] = { rh, tenant, person, re };
    bo_store_err e = bo_db_exec(db, "INSERT INTO tokens (token_hash, tenant_id, person, kind, "
                                    "expires) VALUES ($1, $2, $3, 'access', $4)", 4, pa, NULL);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO tokens (token_hash, tenant_id, person, kind, "
                           "expires) VALUES ($1, $2, $3, 'refresh', $4)", 4, pr, NULL);
    if (e != BO_STORE_OK)
        return e;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "access_token", access);
    cJSON_AddStringToObject(o, "token_type", "Bearer");
    cJSON_AddNumberToObject(o, "expires_in", ACCESS_TTL);
    cJSON_AddStringToObject(o, "refresh_token", refresh);
    *out = o;
    return BO_STORE_OK;
}

static void token_device(bo_app *app, const bo_auth *a, const bo_form *f, bo_resp *r)
{
    const char *dc = bo_form_get(f, "device_code");
    if (!dc || strlen(dc) > 128) {
        oauth_error(r, 400, "invalid_request", "device_code missing");
        return;
    }
    char dhash[65], now[24];
    bo_sha256_hex(dc, strlen(dc), dhash);
    int64_t t = bo_now();
    snprintf(now, sizeof now, "%lld", (long long)t);
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    cJSON *tokens = NULL;
    const char *err = NULL;
    const char *p[3] = { dhash, a->tenant, now };
    bo_store_err e = bo_db_begin(db, 1);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT state, person, poll_interval, last_poll, expires "
                           "FROM device_codes WHERE device_hash = $1 AND tenant_id = $2",
                       2, p, &rows);
    if (e != BO_STORE_OK)
        goto done;
    if (!rows || rows->nrows != 1) {
        err = "invalid_grant";
        goto done;
    }
    const char *state = bo_rows_get(rows, 0, 0);
    long long interval = atoll(bo_rows_get(rows, 0, 2));
    long long last = atoll(bo_rows_get(rows, 0, 3));
    if (atoll(bo_rows_get(rows, 0, 4)) < t) {
        err = "expired_token";
    } else if (strcmp(state, "used") == 0) {
        err = "invalid_grant";
    } else if (last > 0 && t - last < interval) {
        /* Section 3.5: too fast; add 5 s to this and every later poll. */
        err = "slow_down";
        e = bo_db_exec(db, "UPDATE device_codes SET poll_interval = poll_interval + 5, "
                           "last_poll = $3 WHERE device_hash = $1 AND tenant_id = $2", 3, p, NULL);
    } else {
        e = bo_db_exec(db, "UPDATE device_codes SET last_poll = $3 WHERE device_hash = $1 "
                           "AND tenant_id = $2", 3, p, NULL);
        if (e == BO_STORE_OK && strcmp(state, "pending") == 0) {
            err = "authorization_pending";
        } else if (e == BO_STORE_OK && strcmp(state, "denied") == 0) {
            err = "access_denied";
        } else if (e == BO_STORE_OK && strcmp(state, "approved") == 0) {
            bo_rows *u = NULL;
            e = bo_db_exec(db, "UPDATE device_codes SET state = 'used' WHERE device_hash = $1 "
                               "AND tenant_id = $2 AND state = 'approved' RETURNING person",
                           2, p, &u);
            if (e == BO_STORE_OK && u && u->nrows == 1) {
                e = issue_tokens(db, a->tenant, bo_rows_get(u, 0, 0), &tokens);
                if (e == BO_STORE_OK) {
                    bo_auth who = *a;
                    snprintf(who.caller, sizeof who.caller, "device");
                    e = bo_audit(db, &who, "token.issue", "device_code");
                }
            } else if (e == BO_STORE_OK) {
                err = "invalid_grant";
            }
            bo_rows_free(u);
        }
    }
done:
    bo_rows_free(rows);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        cJSON_Delete(tokens);
        bo_store_problem(r, e);
    } else if (tokens) {
        bo_json(r, 200, tokens);
    } else {
        oauth_error(r, 400, err ? err : "invalid_grant", NULL);
    }
}

static void token_refresh(bo_app *app, const bo_auth *a, const bo_form *f, bo_resp *r)
{
    const char *rt = bo_form_get(f, "refresh_token");
    if (!rt || strlen(rt) > 128) {
        oauth_error(r, 400, "invalid_request", "refresh_token missing");
        return;
    }
    char h[65], now[24];
    bo_sha256_hex(rt, strlen(rt), h);
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    cJSON *tokens = NULL;
    const char *p[3] = { h, a->tenant, now };
    bo_store_err e = bo_db_begin(db, 1);
    /* Rotation: the refresh token is spent by the DELETE, so a replay of
     * the old one finds nothing. */
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "DELETE FROM tokens WHERE token_hash = $1 AND tenant_id = $2 "
                           "AND kind = 'refresh' AND expires > $3 RETURNING person", 3, p, &rows);
    if (e == BO_STORE_OK && rows && rows->nrows == 1)
        e = issue_tokens(db, a->tenant, bo_rows_get(rows, 0, 0), &tokens);
    bo_rows_free(rows);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        cJSON_Delete(tokens);
        bo_store_problem(r, e);
    } else if (tokens) {
        bo_json(r, 200, tokens);
    } else {
        oauth_error(r, 400, "invalid_grant", NULL);
    }
}

void bo_api_oauth(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    (void)nseg;
    if (strcmp(req->method, "POST") != 0) {
        oauth_error(r, 405, "invalid_request", "use POST");
        return;
    }
    bo_form f = { NULL, 0 };
    bo_parse_err pe = bo_form_parse(req->body, req->body_len, &f);
    if (pe != BO_PARSE_OK) {
        oauth_error(r, 400, "invalid_request", bo_parse_strerror(pe));
        return;
    }
    if (strcmp(seg[0], "device_authorization") == 0) {
        device_authorization(app, &f, r);
    } else if (strcmp(seg[0], "token") == 0) {
        bo_auth a;
        bo_store_err e;
        const char *gt = bo_form_get(&f, "grant_type");
        if (tenant_auth(app, bo_form_get(&f, "client_id"), &a, &e) != 0) {
            if (e != BO_STORE_OK)
                bo_store_problem(r, e);
            else
                oauth_error(r, 401, "invalid_client", "unknown client_id");
        } else if (bo_rate_check(app, &a, r) != 0) {
            /* 429 already answered */
        } else if (gt && strcmp(gt, "urn:ietf:params:oauth:grant-type:device_code") == 0) {
            token_device(app, &a, &f, r);
        } else if (gt && strcmp(gt, "refresh_token") == 0) {
            token_refresh(app, &a, &f, r);
        } else {
            oauth_error(r, 400, "unsupported_grant_type", NULL);
        }
    } else {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
    }
    bo_form_free(&f);
}

bo_store_err bo_device_decide(bo_app *app, const char *user_code, int approve,
                              bo_device_result *res)
{
    *res = BO_DEVICE_BAD_CODE;
    char code[10];
    if (bo_user_code_parse(user_code, strlen(user_code), code) != BO_PARSE_OK)
        return BO_STORE_OK;
    char now[24], person[40] = "sandbox-";
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    bo_random_string("abcdefghijklmnopqrstuvwxyz0123456789", 16, person + 8);
    const char *p[4] = { code, now, approve ? "approved" : "denied", approve ? person : NULL };
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_begin(db, 1);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "UPDATE device_codes SET state = $3, person = $4 "
                           "WHERE user_code = $1 AND state = 'pending' AND expires >= $2 "
                           "RETURNING tenant_id", 4, p, &rows);
    if (e == BO_STORE_OK && rows && rows->nrows == 1) {
        *res = approve ? BO_DEVICE_APPROVED : BO_DEVICE_DENIED;
        bo_auth a;
        memset(&a, 0, sizeof a);
        snprintf(a.tenant, sizeof a.tenant, "%s", bo_rows_get(rows, 0, 0));
        snprintf(a.caller, sizeof a.caller, "phone");
        e = bo_audit(db, &a, approve ? "device.approve" : "device.deny", code);
    }
    bo_rows_free(rows);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK)
        *res = BO_DEVICE_BAD_CODE;
    return e;
}
