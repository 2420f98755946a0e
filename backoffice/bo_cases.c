/*
 * Cases, forms and the catalogue.
 *
 *   GET  /v1/catalogue?postcode=PC        the services of the tenant serving
 *                                         a postcode, with LGSL codes (the
 *                                         Local Government Service List);
 *                                         ETag and If-None-Match -> 304
 *                                         (RFC 9110 sections 8.8.3, 13.1.2)
 *   GET  /v1/forms                        the tenant's form definitions
 *   GET  /v1/forms/CODE                   one definition: Open311 GeoReport
 *                                         v2 attributes (code, datatype,
 *                                         required, order, description,
 *                                         values)
 *   POST /v1/forms/CODE/submissions       answers checked against the
 *                                         definition -> 201 with a case
 *                                         reference
 *   GET  /v1/cases/REF?postcode=PC        status and history, by reference
 *                                         plus postcode (or the owner's
 *                                         token); a wrong postcode is a 404
 *                                         like a missing case
 *   GET  /v1/cases                        the signed-in viewer's cases
 *   POST /v1/cases/REF/updates            staff (admin key) move a case on
 *
 * Form cases move through received, in_progress, awaiting_information,
 * decided, closed; street reports (Open311) through FixMyStreet's
 * extended statuses (bo_open311.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_api_int.h"
#include "backoffice/bo_parse.h"

#define REF_ALPHABET "BCDFGHJKLMNPQRSTVWXZ23456789"

static const char *const form_statuses[] = {
    "received", "in_progress", "awaiting_information", "decided", "closed", NULL
};

/* FixMyStreet's Open311 extended statuses. */
static const char *const fms_statuses[] = {
    "OPEN", "INVESTIGATING", "IN_PROGRESS", "ACTION_SCHEDULED", "FIXED", "CLOSED",
    "DUPLICATE", "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL",
    NULL
};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

bo_store_err bo_case_create(bo_db *db, const bo_auth *a, const char *kind,
                            const char *service, const char *postcode,
                            const char *data, const char *lat, const char *lon,
                            const char *address, const char *status, char ref[16])
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    bo_store_err e = BO_STORE_ECONSTRAINT;
    for (int tries = 0; tries < 8 && e == BO_STORE_ECONSTRAINT; tries++) {
        char tail[9];
        bo_random_string(REF_ALPHABET, 8, tail);
        char p0 = a->tenant[0], p1 = a->tenant[1] ? a->tenant[1] : 'X';
        snprintf(ref, 16, "%c%c-%s", p0 >= 'a' && p0 <= 'z' ? p0 - 32 : 'X',
                 p1 >= 'a' && p1 <= 'z' ? p1 - 32 : 'X', tail);
        const char *p[12] = { ref, a->tenant, kind, service, postcode,
                              a->person[0] ? a->person : NULL, status, data,
                              lat, lon, address, now };
        bo_rows *rows = NULL;
        e = bo_db_exec(db, "INSERT INTO cases (reference, tenant_id, kind, service_code, "
                           "postcode, person, status, data, lat, lon, address, created, "
                           "updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                           "$12, $12) ON CONFLICT DO NOTHING RETURNING reference", 12, p, &rows);
        if (e == BO_STORE_OK && (!rows || rows->nrows != 1))
            e = BO_STORE_ECONSTRAINT;
        bo_rows_free(rows);
    }
    const char *pe[3] = { ref, now, status };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO case_events (reference, seq, at, status, note) "
                           "VALUES ($1, 1, $2, $3, NULL)", 3, pe, NULL);
    if (e == BO_STORE_OK)
        e = bo_audit(db, a, "case.create", ref);
    return e;
}

/* ---- cases ---- */

static cJSON *case_json(bo_app *app, const bo_rows *c, int i, const bo_rows *ev)
{
    /* c columns: reference, kind, service_code, status, created, updated */
    cJSON *o = cJSON_CreateObject();
    const char *ref = bo_rows_get(c, i, 0);
    cJSON_AddStringToObject(o, "reference", ref);
    cJSON_AddStringToObject(o, "kind", bo_rows_get(c, i, 1));
    cJSON_AddStringToObject(o, "service", bo_rows_get(c, i, 2));
    cJSON_AddStringToObject(o, "status", bo_rows_get(c, i, 3));
    char t[32];
    bo_iso_time(atoll(bo_rows_get(c, i, 4)), t);
    cJSON_AddStringToObject(o, "created_date", t);
    bo_iso_time(atoll(bo_rows_get(c, i, 5)), t);
    cJSON_AddStringToObject(o, "updated_date", t);
    if (ev) {
        cJSON *h = cJSON_AddArrayToObject(o, "history");
        for (int k = 0; k < ev->nrows; k++) {
            cJSON *e = cJSON_CreateObject();
            bo_iso_time(atoll(bo_rows_get(ev, k, 0)), t);
            cJSON_AddStringToObject(e, "date", t);
            cJSON_AddStringToObject(e, "status", bo_rows_get(ev, k, 1));
            if (bo_rows_get(ev, k, 2))
                cJSON_AddStringToObject(e, "note", bo_rows_get(ev, k, 2));
            cJSON_AddItemToArray(h, e);
        }
    }
    char href[512];
    snprintf(href, sizeof href, "%s/v1/cases/%s", app->base_url, ref);
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    cJSON *self = cJSON_AddObjectToObject(links, "self");
    cJSON_AddStringToObject(self, "href", href);
    cJSON_AddStringToObject(self, "method", "GET");
    return o;
}

#define CASE_COLS "reference, kind, service_code, status, created, updated, postcode, person"

static void case_get(bo_app *app, const bo_auth *a, const bo_req *req, const char *ref,
                     bo_resp *r)
{
    const char *pc = req->query(req->t, "postcode");
    char norm[9] = "";
    int pc_ok = pc && bo_postcode_normalise(pc, norm) == 0;
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *c = NULL, *ev = NULL;
    const char *p[2] = { ref, a->tenant };
    bo_store_err e = bo_db_exec(db, "SELECT " CASE_COLS " FROM cases WHERE reference = $1 "
                                    "AND tenant_id = $2", 2, p, &c);
    int visible = 0;
    if (e == BO_STORE_OK && c && c->nrows == 1) {
        const char *owner = bo_rows_get(c, 0, 7), *cpc = bo_rows_get(c, 0, 6);
        visible = (a->person[0] && owner && strcmp(owner, a->person) == 0) ||
                  (pc_ok && cpc && strcmp(cpc, norm) == 0);
    }
    if (e == BO_STORE_OK && visible)
        e = bo_db_exec(db, "SELECT at, status, note FROM case_events WHERE reference = $1 "
                           "ORDER BY seq", 1, p, &ev);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK)
        bo_store_problem(r, e);
    else if (!visible)
        /* Wrong postcode, another tenant's case, or none: one answer. */
        bo_problem(r, 404, "not-found", "Not found",
                   "No case with this reference and postcode.");
    else
        bo_json(r, 200, case_json(app, c, 0, ev));
    bo_rows_free(c);
    bo_rows_free(ev);
}

static void case_list(bo_app *app, const bo_auth *a, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *c = NULL;
    const char *p[2] = { a->tenant, a->person };
    bo_store_err e = bo_db_exec(db, "SELECT " CASE_COLS " FROM cases WHERE tenant_id = $1 "
                                    "AND person = $2 ORDER BY created DESC, reference", 2, p, &c);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "cases");
    for (int i = 0; c && i < c->nrows; i++)
        cJSON_AddItemToArray(arr, case_json(app, c, i, NULL));
    bo_rows_free(c);
    bo_json(r, 200, o);
}

typedef struct {
    const char *ref, *status, *note;
} update_args;

static void do_update(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)req;
    update_args *u = arg;
    bo_rows *c = NULL;
    const char *p[2] = { u->ref, a->tenant };
    bo_store_err e = bo_db_exec(db, "SELECT " CASE_COLS " FROM cases WHERE reference = $1 "
                                    "AND tenant_id = $2", 2, p, &c);
    if (e != BO_STORE_OK || !c || c->nrows != 1) {
        bo_rows_free(c);
        if (e != BO_STORE_OK)
            bo_store_problem(r, e);
        else
            bo_problem(r, 404, "not-found", "Not found", "No such case.");
        return;
    }
    int open311 = strcmp(bo_rows_get(c, 0, 1), "open311") == 0;
    bo_rows_free(c);
    c = NULL;
    if (!in_list(u->status, open311 ? fms_statuses : form_statuses)) {
        bo_problem(r, 422, "invalid-field", "Invalid request",
                   "status: not a status of this kind of case");
        return;
    }
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    const char *pu[4] = { u->ref, a->tenant, u->status, now };
    e = bo_db_exec(db, "UPDATE cases SET status = $3, updated = $4 WHERE reference = $1 "
                       "AND tenant_id = $2", 4, pu, NULL);
    const char *pe[4] = { u->ref, now, u->status, u->note };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO case_events (reference, seq, at, status, note) "
                           "SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM case_events "
                           "WHERE reference = $1", 4, pe, NULL);
    if (e == BO_STORE_OK)
        e = bo_audit(db, a, "case.update", u->ref);
    bo_rows *ev = NULL;
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT " CASE_COLS " FROM cases WHERE reference = $1 "
                           "AND tenant_id = $2", 2, p, &c);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT at, status, note FROM case_events WHERE reference = $1 "
                           "ORDER BY seq", 1, p, &ev);
    if (e != BO_STORE_OK)
        bo_store_problem(r, e);
    else
        bo_json(r, 201, case_json(app, c, 0, ev));
    bo_rows_free(c);
    bo_rows_free(ev);
}

static int valid_ref(const char *s)
{
    if (strlen(s) != 11 || s[2] != '-')
        return 0;
    for (int i = 0; i < 11; i++)
        if (i != 2 && !((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

void bo_api_cases(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    bo_auth a;
    if (bo_auth_request(app, req, &a, r) != 0 || bo_rate_check(app, &a, r) != 0)
        return;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (nseg >= 1 && !valid_ref(seg[0])) {
        bo_problem(r, 404, "not-found", "Not found", "No case with this reference and postcode.");
        return;
    }
    if (nseg == 0 && get) {
        if (!a.person[0])
            bo_problem(r, 403, "sign-in-required", "Sign-in required",
                       "A viewer's cases need the viewer's access token.");
        else
            case_list(app, &a, r);
    } else if (nseg == 1 && get) {
        case_get(app, &a, req, seg[0], r);
    } else if (nseg == 2 && post && strcmp(seg[1], "updates") == 0) {
        if (strcmp(a.role, "admin") != 0) {
            bo_problem(r, 403, "forbidden", "Forbidden", "Case updates need an admin API key.");
            return;
        }
        static const char *const allowed[] = { "status", "note", NULL };
        cJSON *o = bo_json_body(req, allowed, r);
        if (!o)
            return;
        cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
        cJSON *nt = cJSON_GetObjectItemCaseSensitive(o, "note");
        if (!cJSON_IsString(st))
            bo_problem(r, 422, "invalid-field", "Invalid request", "status: missing");
        else if (nt && (!cJSON_IsString(nt) || strlen(nt->valuestring) > 1000))
            bo_problem(r, 422, "invalid-field", "Invalid request", "note: a string of at most 1000 bytes");
        else {
            update_args u = { seg[0], st->valuestring, nt ? nt->valuestring : NULL };
            bo_idempotent(app, &a, req, do_update, &u, r);
        }
        cJSON_Delete(o);
    } else {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
    }
}

/* ---- forms ---- */

static cJSON *service_def(const bo_rows *s, int i, int with_attrs)
{
    /* s columns: code, kind, name_en, name_cy, lgsl, description, attributes */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", bo_rows_get(s, i, 0));
    cJSON_AddStringToObject(o, "kind", bo_rows_get(s, i, 1));
    cJSON *name = cJSON_AddObjectToObject(o, "name");
    cJSON_AddStringToObject(name, "en", bo_rows_get(s, i, 2));
    if (bo_rows_get(s, i, 3))
        cJSON_AddStringToObject(name, "cy", bo_rows_get(s, i, 3));
    if (bo_rows_get(s, i, 4))
        cJSON_AddNumberToObject(o, "lgsl", atoi(bo_rows_get(s, i, 4)));
    else
        cJSON_AddNullToObject(o, "lgsl");
    if (bo_rows_get(s, i, 5))
        cJSON_AddStringToObject(o, "description", bo_rows_get(s, i, 5));
    if (with_attrs) {
        cJSON *at = bo_rows_get(s, i, 6) ? cJSON_Parse(bo_rows_get(s, i, 6)) : NULL;
        cJSON_AddItemToObject(o, "attributes", at ? at : cJSON_CreateArray());
    }
    return o;
}

#define SVC_COLS "code, kind, name_en, name_cy, lgsl, description, attributes"

static int valid_datetime(const char *s)
{
    /* ISO 8601 with an offset: YYYY-MM-DDTHH:MM(:SS)?(Z|+HH:MM|-HH:MM) */
    size_t n = strlen(s);
    if (n < 17 || n > 25)
        return 0;
    const char *pat = "dddd-dd-ddTdd:dd";
    for (int i = 0; pat[i]; i++)
        if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
            return 0;
    const char *t = s + 16;
    if (t[0] == ':' && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9')
        t += 3;
    if (strcmp(t, "Z") == 0)
        return 1;
    return (t[0] == '+' || t[0] == '-') && strlen(t) == 6 && t[3] == ':' &&
           t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9' &&
           t[4] >= '0' && t[4] <= '9' && t[5] >= '0' && t[5] <= '9';
}

static int value_key_ok(const cJSON *attr, const char *v)
{
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(attr, "values");
    const cJSON *x;
    cJSON_ArrayForEach(x, vals) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(x, "key");
        if (cJSON_IsString(k) && strcmp(k->valuestring, v) == 0)
            return 1;
    }
    return 0;
}

/* Checks answers against Open311 attributes; 0 or -1 with a 422 in r. */
static int check_answers(const cJSON *attrs, const cJSON *answers, bo_resp *r)
{
    const cJSON *ans;
    cJSON_ArrayForEach(ans, answers) {
        int known = 0;
        const cJSON *at;
        cJSON_ArrayForEach(at, attrs) {
            const cJSON *code = cJSON_GetObjectItemCaseSensitive(at, "code");
            if (cJSON_IsString(code) && strcmp(code->valuestring, ans->string) == 0)
                known = 1;
        }
        if (!known) {
            bo_problem(r, 422, "invalid-field", "Invalid request", "answers.%.64s: unknown field",
                       ans->string);
            return -1;
        }
    }
    const cJSON *at;
    cJSON_ArrayForEach(at, attrs) {
        const cJSON *cj = cJSON_GetObjectItemCaseSensitive(at, "code");
        const cJSON *dj = cJSON_GetObjectItemCaseSensitive(at, "datatype");
        if (!cJSON_IsString(cj) || !cJSON_IsString(dj))
            continue; /* a malformed definition row constrains nothing */
        const char *code = cj->valuestring, *dt = dj->valuestring;
        int required = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(at, "required"));
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(answers, code);
        if (!v) {
            if (required) {
                bo_problem(r, 422, "invalid-field", "Invalid request", "answers.%s: required", code);
                return -1;
            }
            continue;
        }
        int ok;
        if (strcmp(dt, "string") == 0)
            ok = cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) <= 255;
        else if (strcmp(dt, "text") == 0)
            ok = cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) <= 4000;
        else if (strcmp(dt, "number") == 0)
            ok = cJSON_IsNumber(v) && isfinite(v->valuedouble);
        else if (strcmp(dt, "datetime") == 0)
            ok = cJSON_IsString(v) && valid_datetime(v->valuestring);
        else if (strcmp(dt, "singlevaluelist") == 0)
            ok = cJSON_IsString(v) && value_key_ok(at, v->valuestring);
        else if (strcmp(dt, "multivaluelist") == 0) {
            ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, v)
                ok = ok && cJSON_IsString(x) && value_key_ok(at, x->valuestring);
        } else
            ok = 0;
        if (!ok) {
            bo_problem(r, 422, "invalid-field", "Invalid request",
                       "answers.%s: must be a valid %s", code, dt);
            return -1;
        }
    }
    return 0;
}

typedef struct {
    const char *service, *postcode;
    char *data;
} submit_args;

static void do_submit(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)req;
    submit_args *s = arg;
    char ref[16];
    bo_store_err e = bo_case_create(db, a, "form", s->service, s->postcode, s->data,
                                    NULL, NULL, NULL, "received", ref);
    bo_rows *c = NULL, *ev = NULL;
    const char *p[2] = { ref, a->tenant };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT " CASE_COLS " FROM cases WHERE reference = $1 AND "
                           "tenant_id = $2", 2, p, &c);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT at, status, note FROM case_events WHERE reference = $1 "
                           "ORDER BY seq", 1, p, &ev);
    if (e != BO_STORE_OK || !c || c->nrows != 1) {
        bo_store_problem(r, e == BO_STORE_OK ? BO_STORE_ESQL : e);
    } else {
        bo_json(r, 201, case_json(app, c, 0, ev));
        snprintf(r->location, sizeof r->location, "%s/v1/cases/%s", app->base_url, ref);
    }
    bo_rows_free(c);
    bo_rows_free(ev);
}

void bo_api_forms(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    bo_auth a;
    if (bo_auth_request(app, req, &a, r) != 0 || bo_rate_check(app, &a, r) != 0)
        return;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (nseg > 2 || (nseg == 2 && (!post || strcmp(seg[1], "submissions") != 0)) ||
        (nseg < 2 && !get)) {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
        return;
    }
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *s = NULL;
    bo_store_err e;
    if (nseg == 0) {
        const char *p[1] = { a.tenant };
        e = bo_db_exec(db, "SELECT " SVC_COLS " FROM services WHERE tenant_id = $1 AND "
                           "kind = 'form' ORDER BY code", 1, p, &s);
    } else {
        const char *p[2] = { a.tenant, seg[0] };
        e = bo_db_exec(db, "SELECT " SVC_COLS " FROM services WHERE tenant_id = $1 AND "
                           "code = $2 AND kind = 'form'", 2, p, &s);
    }
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        bo_rows_free(s);
        return;
    }
    if (nseg == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(o, "forms");
        for (int i = 0; s && i < s->nrows; i++)
            cJSON_AddItemToArray(arr, service_def(s, i, 1));
        bo_json(r, 200, o);
    } else if (!s || s->nrows != 1) {
        bo_problem(r, 404, "not-found", "Not found", "No such form.");
    } else if (nseg == 1) {
        bo_json(r, 200, service_def(s, 0, 1));
    } else {
        static const char *const allowed[] = { "postcode", "answers", NULL };
        cJSON *o = bo_json_body(req, allowed, r);
        cJSON *attrs = bo_rows_get(s, 0, 6) ? cJSON_Parse(bo_rows_get(s, 0, 6)) : cJSON_CreateArray();
        if (o) {
            cJSON *pc = cJSON_GetObjectItemCaseSensitive(o, "postcode");
            cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answers");
            char norm[9];
            if (!cJSON_IsString(pc) || bo_postcode_normalise(pc->valuestring, norm) != 0)
                bo_problem(r, 422, "invalid-field", "Invalid request", "postcode: not a UK postcode");
            else if (!cJSON_IsObject(ans))
                bo_problem(r, 422, "invalid-field", "Invalid request", "answers: must be an object");
            else if (check_answers(attrs, ans, r) == 0) {
                submit_args sa = { seg[0], norm, cJSON_PrintUnformatted(ans) };
                if (!sa.data)
                    bo_store_problem(r, BO_STORE_ENOMEM);
                else
                    bo_idempotent(app, &a, req, do_submit, &sa, r);
                free(sa.data);
            }
        }
        cJSON_Delete(attrs);
        cJSON_Delete(o);
    }
    bo_rows_free(s);
}

/* ---- catalogue ---- */

void bo_api_catalogue(bo_app *app, const bo_req *req, int nseg, bo_resp *r)
{
    if (nseg != 0 || strcmp(req->method, "GET") != 0) {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
        return;
    }
    const char *pc = req->query(req->t, "postcode");
    char norm[9];
    if (!pc || bo_postcode_normalise(pc, norm) != 0) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "postcode: not a UK postcode");
        return;
    }
    char outward[8];
    snprintf(outward, sizeof outward, "%.*s", (int)strlen(norm) - 3, norm);
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *t = NULL, *s = NULL;
    const char *p[1] = { outward };
    bo_store_err e = bo_db_exec(db, "SELECT t.id, t.name FROM postcode_areas a JOIN tenants t "
                                    "ON t.id = a.tenant_id WHERE a.prefix = $1", 1, p, &t);
    if (e == BO_STORE_OK && t && t->nrows == 1) {
        const char *ps[1] = { bo_rows_get(t, 0, 0) };
        e = bo_db_exec(db, "SELECT " SVC_COLS " FROM services WHERE tenant_id = $1 "
                           "ORDER BY code", 1, ps, &s);
    }
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
    } else if (!t || t->nrows != 1) {
        bo_problem(r, 404, "postcode-not-served", "Postcode not served",
                   "No public body on this server serves %s.", outward);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON *ten = cJSON_AddObjectToObject(o, "tenant");
        cJSON_AddStringToObject(ten, "id", bo_rows_get(t, 0, 0));
        cJSON_AddStringToObject(ten, "name", bo_rows_get(t, 0, 1));
        cJSON *arr = cJSON_AddArrayToObject(o, "services");
        for (int i = 0; s && i < s->nrows; i++)
            cJSON_AddItemToArray(arr, service_def(s, i, 0));
        bo_json(r, 200, o);
        if (r->status == 200) {
            /* A strong validator: the hash of the exact representation. */
            char h[65];
            bo_sha256_hex(r->body, r->len, h);
            snprintf(r->etag, sizeof r->etag, "\"%.32s\"", h);
            snprintf(r->cache_control, sizeof r->cache_control, "public, max-age=300");
            const char *inm = req->header(req->t, "If-None-Match");
            if (inm && (strstr(inm, r->etag) || strcmp(inm, "*") == 0)) {
                free(r->body);
                r->body = NULL;
                r->len = 0;
                r->status = 304;
                r->ctype[0] = '\0';
            }
        }
    }
    bo_rows_free(t);
    bo_rows_free(s);
}
