/*
 * Street reports as Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2),
 * at /open311/v2, in both of its formats: XML (the one GeoReport v2
 * requires of every server) and JSON, chosen by the extension of the last
 * path segment (.xml or .json) as the specification says.  Every answer
 * is built as JSON and turned into the specification's XML shape at the
 * end (xml_from_json), so the two formats can never say different things;
 * an Idempotency-Key is bound to the path, and so to the format.
 *
 *   GET  services.json?jurisdiction_id=T          service list
 *   GET  services/CODE.json?jurisdiction_id=T     service definition
 *                                                 (attributes)
 *   POST requests.json                            form-urlencoded: api_key,
 *                                                 jurisdiction_id,
 *                                                 service_code, lat/long or
 *                                                 address_string or
 *                                                 address_id, description,
 *                                                 attribute[CODE], contact
 *   GET  requests.json?jurisdiction_id=T[&service_request_id=a,b]
 *                     [&service_code=][&status=open|closed]
 *                     [&start_date=][&end_date=]   (default: 90 days)
 *   GET  requests/ID.json?jurisdiction_id=T       one request
 *   GET  servicerequestupdates.json?jurisdiction_id=T   FixMyStreet's
 *                                                 extension: the updates
 *
 * jurisdiction_id names the tenant (Open311's own multi-jurisdiction
 * field).  Requests are cases of kind "open311"; their status is one of
 * FixMyStreet's extended values (OPEN, INVESTIGATING, IN_PROGRESS,
 * ACTION_SCHEDULED, FIXED, CLOSED, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY,
 * NO_FURTHER_ACTION, INTERNAL_REFERRAL), shown to plain Open311 clients as
 * open or closed.  Errors use Open311's format, an array of
 * {"code", "description"}.  Contact details are stored with the case for
 * the council and never returned by these public GETs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoffice/bo_api_int.h"
#include "backoffice/bo_parse.h"

static void o311_error(bo_resp *r, int status, const char *desc)
{
    cJSON *arr = cJSON_CreateArray();
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "code", status);
    cJSON_AddStringToObject(e, "description", desc);
    cJSON_AddItemToArray(arr, e);
    bo_json(r, status, arr);
}

static void o311_time(const char *secs, char out[32])
{
    time_t t = (time_t)atoll(secs);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int is_open(const char *fms)
{
    return strcmp(fms, "OPEN") == 0 || strcmp(fms, "INVESTIGATING") == 0 ||
           strcmp(fms, "IN_PROGRESS") == 0 || strcmp(fms, "ACTION_SCHEDULED") == 0;
}

/* The jurisdiction (tenant) named by the query, checked to exist. */
static int jurisdiction(bo_app *app, const char *j, char *name, size_t cap, bo_store_err *e)
{
    *e = BO_STORE_OK;
    if (!j || !*j || strlen(j) > 63)
        return -1;
    bo_db *db = bo_store_acquire(app->store);
    const char *p[1] = { j };
    bo_rows *rows = NULL;
    *e = bo_db_exec(db, "SELECT name FROM tenants WHERE id = $1", 1, p, &rows);
    bo_store_release(app->store, db);
    int ok = *e == BO_STORE_OK && rows && rows->nrows == 1;
    if (ok && name)
        snprintf(name, cap, "%s", bo_rows_get(rows, 0, 0));
    bo_rows_free(rows);
    return ok ? 0 : -1;
}

static void services(bo_app *app, const char *j, const char *code, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *s = NULL;
    const char *p[2] = { j, code };
    bo_store_err e = code
        ? bo_db_exec(db, "SELECT code, name_en, description, attributes FROM services "
                         "WHERE tenant_id = $1 AND code = $2 AND kind = 'open311'", 2, p, &s)
        : bo_db_exec(db, "SELECT code, name_en, description, attributes FROM services "
                         "WHERE tenant_id = $1 AND kind = 'open311' ORDER BY code", 1, p, &s);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
    } else if (code && (!s || s->nrows != 1)) {
        o311_error(r, 404, "service_code not found");
    } else if (code) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "service_code", code);
        cJSON *at = bo_rows_get(s, 0, 3) ? cJSON_Parse(bo_rows_get(s, 0, 3)) : NULL;
        cJSON_AddItemToObject(o, "attributes", at ? at : cJSON_CreateArray());
        bo_json(r, 200, o);
    } else {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; s && i < s->nrows; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "service_code", bo_rows_get(s, i, 0));
            cJSON_AddStringToObject(o, "service_name", bo_rows_get(s, i, 1));
            cJSON_AddStringToObject(o, "description",
                                    bo_rows_get(s, i, 2) ? bo_rows_get(s, i, 2) : "");
            const char *at = bo_rows_get(s, i, 3);
            cJSON_AddBoolToObject(o, "metadata", at && strcmp(at, "[]") != 0);
            cJSON_AddStringToObject(o, "type", "realtime");
            cJSON_AddStringToObject(o, "keywords", "");
            cJSON_AddStringToObject(o, "group", "street");
            cJSON_AddItemToArray(arr, o);
        }
        bo_json(r, 200, arr);
    }
    bo_rows_free(s);
}

#define REQ_COLS "c.reference, c.status, c.service_code, s.name_en, c.data, c.created, " \
                 "c.updated, c.address, c.postcode, c.lat, c.lon"

static cJSON *request_json(const bo_rows *c, int i, const char *agency)
{
    cJSON *o = cJSON_CreateObject();
    const char *st = bo_rows_get(c, i, 1);
    cJSON_AddStringToObject(o, "service_request_id", bo_rows_get(c, i, 0));
    cJSON_AddStringToObject(o, "status", is_open(st) ? "open" : "closed");
    cJSON_AddStringToObject(o, "extended_status", st);
    cJSON_AddStringToObject(o, "service_name", bo_rows_get(c, i, 3));
    cJSON_AddStringToObject(o, "service_code", bo_rows_get(c, i, 2));
    cJSON *data = cJSON_Parse(bo_rows_get(c, i, 4));
    cJSON *d = cJSON_GetObjectItemCaseSensitive(data, "description");
    cJSON_AddStringToObject(o, "description", cJSON_IsString(d) ? d->valuestring : "");
    cJSON_Delete(data);
    cJSON_AddStringToObject(o, "agency_responsible", agency);
    cJSON_AddStringToObject(o, "service_notice", "");
    char t[32];
    o311_time(bo_rows_get(c, i, 5), t);
    cJSON_AddStringToObject(o, "requested_datetime", t);
    o311_time(bo_rows_get(c, i, 6), t);
    cJSON_AddStringToObject(o, "updated_datetime", t);
    cJSON_AddNullToObject(o, "expected_datetime");
    cJSON_AddStringToObject(o, "address", bo_rows_get(c, i, 7) ? bo_rows_get(c, i, 7) : "");
    cJSON_AddStringToObject(o, "address_id", "");
    cJSON_AddStringToObject(o, "zipcode", bo_rows_get(c, i, 8) ? bo_rows_get(c, i, 8) : "");
    if (bo_rows_get(c, i, 9)) {
        cJSON_AddNumberToObject(o, "lat", atof(bo_rows_get(c, i, 9)));
        cJSON_AddNumberToObject(o, "long", atof(bo_rows_get(c, i, 10)));
    }
    cJSON_AddStringToObject(o, "media_url", "");
    return o;
}

/* GeoReport v2 date/times: the W3C subset of ISO 8601 with its time zone
 * (YYYY-MM-DDThh:mm:ss[.s]Z or +hh:mm / -hh:mm; seconds may be left out).
 * Returns 0 with the instant in *out, or -1. */
static int w3_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, n = 0, sec = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
        return -1;
    s += n;
    if (*s == ':') {
        if (s[1] < '0' || s[1] > '5' || s[2] < '0' || s[2] > '9')
            return -1;
        sec = (s[1] - '0') * 10 + (s[2] - '0');
        s += 3;
        if (*s == '.') {
            s++;
            if (*s < '0' || *s > '9')
                return -1;
            while (*s >= '0' && *s <= '9')
                s++;
        }
    }
    int off = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int oh, om, m = 0;
        if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*s == '-' ? -1 : 1);
        s += 6;
    } else {
        return -1;             /* the time zone is required */
    }
    if (*s || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (tm.tm_mday != d)       /* 31 April and the like were normalised */
        return -1;
    *out = (int64_t)t - off;
    return 0;
}

#define DAYS_90 (90 * 86400LL)

static void requests_get(bo_app *app, const bo_req *req, const char *j, const char *agency,
                         const char *one, bo_resp *r)
{
    const char *ids = one ? one : req->query(req->t, "service_request_id");
    const char *code = req->query(req->t, "service_code");
    const char *status = req->query(req->t, "status");
    if (status && strcmp(status, "open") != 0 && strcmp(status, "closed") != 0) {
        o311_error(r, 400, "status must be open or closed");
        return;
    }
    /* start_date/end_date select by requested_datetime over at most 90
     * days; without them, the most recent 90 days (GeoReport v2, GET
     * requests).  Asked by id, a request is found whenever it was made. */
    const char *sd = req->query(req->t, "start_date"), *ed = req->query(req->t, "end_date");
    int64_t from = 0, to = INT64_MAX;
    if (!ids) {
        if ((sd && w3_time(sd, &from) != 0) || (ed && w3_time(ed, &to) != 0)) {
            o311_error(r, 400, "start_date and end_date are W3C date/times with a time zone, "
                               "e.g. 2026-11-01T00:00:00Z");
            return;
        }
        if (sd && ed && (to < from || to - from > DAYS_90)) {
            o311_error(r, 400, "end_date must follow start_date by at most 90 days");
            return;
        }
        if (sd && !ed)
            to = from + DAYS_90;
        else if (ed && !sd)
            from = to - DAYS_90;
        else if (!sd && !ed)
            from = (int64_t)time(NULL) - DAYS_90;
    }
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *c = NULL;
    const char *p[2] = { j, code };
    bo_store_err e = code
        ? bo_db_exec(db, "SELECT " REQ_COLS " FROM cases c JOIN services s ON s.tenant_id = "
                         "c.tenant_id AND s.code = c.service_code WHERE c.tenant_id = $1 AND "
                         "c.kind = 'open311' AND c.service_code = $2 ORDER BY c.created DESC, "
                         "c.reference", 2, p, &c)
        : bo_db_exec(db, "SELECT " REQ_COLS " FROM cases c JOIN services s ON s.tenant_id = "
                         "c.tenant_id AND s.code = c.service_code WHERE c.tenant_id = $1 AND "
                         "c.kind = 'open311' ORDER BY c.created DESC, c.reference", 1, p, &c);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    int n = 0;
    for (int i = 0; c && i < c->nrows && n < 1000; i++) {
        const char *ref = bo_rows_get(c, i, 0);
        if (ids) {
            /* Comma-separated ids: match whole items only. */
            int hit = 0;
            size_t rl = strlen(ref);
            for (const char *s = ids; *s && !hit;) {
                const char *e2 = strchr(s, ',');
                size_t l = e2 ? (size_t)(e2 - s) : strlen(s);
                hit = l == rl && strncmp(s, ref, l) == 0;
                s += l + (e2 ? 1 : 0);
            }
            if (!hit)
                continue;
        }
        if (status && (strcmp(status, "open") == 0) != is_open(bo_rows_get(c, i, 1)))
            continue;
        int64_t made = atoll(bo_rows_get(c, i, 5));
        if (made < from || made > to)
            continue;
        cJSON_AddItemToArray(arr, request_json(c, i, agency));
        n++;
    }
    bo_rows_free(c);
    if (one && n == 0) {
        cJSON_Delete(arr);
        o311_error(r, 404, "service_request_id not found");
        return;
    }
    bo_json(r, 200, arr);
}

static void updates_get(bo_app *app, const char *j, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *u = NULL;
    const char *p[1] = { j };
    bo_store_err e = bo_db_exec(db, "SELECT e.reference, e.seq, e.status, e.at, e.note FROM "
                                    "case_events e JOIN cases c ON c.reference = e.reference "
                                    "WHERE c.tenant_id = $1 AND c.kind = 'open311' AND e.seq > 1 "
                                    "ORDER BY e.at, e.reference, e.seq", 1, p, &u);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; u && i < u->nrows; i++) {
        cJSON *o = cJSON_CreateObject();
        char id[40], t[32];
        snprintf(id, sizeof id, "%s-%s", bo_rows_get(u, i, 0), bo_rows_get(u, i, 1));
        cJSON_AddStringToObject(o, "update_id", id);
        cJSON_AddStringToObject(o, "service_request_id", bo_rows_get(u, i, 0));
        cJSON_AddStringToObject(o, "status", bo_rows_get(u, i, 2));
        o311_time(bo_rows_get(u, i, 3), t);
        cJSON_AddStringToObject(o, "updated_datetime", t);
        cJSON_AddStringToObject(o, "description", bo_rows_get(u, i, 4) ? bo_rows_get(u, i, 4) : "");
        cJSON_AddStringToObject(o, "media_url", "");
        cJSON_AddItemToArray(arr, o);
    }
    bo_rows_free(u);
    bo_json(r, 200, arr);
}

typedef struct {
    const char *service, *lat, *lon, *address, *postcode;
    char *data;
} o311_args;

static void do_post(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                    bo_db *db, bo_resp *r)
{
    (void)app;
    (void)req;
    o311_args *x = arg;
    char ref[16];
    bo_store_err e = bo_case_create(db, a, "open311", x->service, x->postcode, x->data,
                                    x->lat, x->lon, x->address, "OPEN", ref);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "service_request_id", ref);
    cJSON_AddStringToObject(o, "service_notice", "");
    cJSON_AddNullToObject(o, "account_id");
    cJSON_AddItemToArray(arr, o);
    bo_json(r, 201, arr);
}

static int number_in(const char *s, double lo, double hi)
{
    if (!s || !*s || strlen(s) > 32)
        return 0;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v) && v >= lo && v <= hi;
}

static void requests_post(bo_app *app, const bo_req *req, bo_resp *r)
{
    bo_form f = { NULL, 0 };
    bo_parse_err pe = bo_form_parse(req->body, req->body_len, &f);
    if (pe != BO_PARSE_OK) {
        char d[96];
        snprintf(d, sizeof d, "form body: %s", bo_parse_strerror(pe));
        o311_error(r, 400, d);
        return;
    }
    bo_auth a;
    memset(&a, 0, sizeof a);
    const char *key = bo_form_get(&f, "api_key");
    const char *j = bo_form_get(&f, "jurisdiction_id");
    const char *code = bo_form_get(&f, "service_code");
    const char *lat = bo_form_get(&f, "lat"), *lon = bo_form_get(&f, "long");
    const char *addr = bo_form_get(&f, "address_string");
    const char *desc = bo_form_get(&f, "description");
    bo_db *db = NULL;
    bo_rows *rows = NULL;
    cJSON *data = NULL, *attrs = NULL;
    if (!key || strlen(key) > 512) {
        o311_error(r, 403, "api_key missing or invalid");
        goto out;
    }
    char h[65];
    bo_sha256_hex(key, strlen(key), h);
    db = bo_store_acquire(app->store);
    const char *pk[1] = { h };
    bo_store_err e = bo_db_exec(db, "SELECT k.tenant_id, k.role, t.rate_per_minute FROM api_keys k "
                                    "JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1",
                                1, pk, &rows);
    if (e == BO_STORE_OK && rows && rows->nrows == 1) {
        snprintf(a.tenant, sizeof a.tenant, "%s", bo_rows_get(rows, 0, 0));
        snprintf(a.role, sizeof a.role, "%s", bo_rows_get(rows, 0, 1));
        a.rate = atol(bo_rows_get(rows, 0, 2));
        snprintf(a.caller, sizeof a.caller, "key:%.32s", h);
    }
    bo_rows_free(rows);
    rows = NULL;
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        goto out;
    }
    if (!a.tenant[0]) {
        o311_error(r, 403, "api_key missing or invalid");
        goto out;
    }
    if (j && strcmp(j, a.tenant) != 0) {
        o311_error(r, 403, "api_key is not valid for this jurisdiction_id");
        goto out;
    }
    if (bo_rate_check(app, &a, r) != 0)
        goto out;
    if (!code) {
        o311_error(r, 400, "service_code missing");
        goto out;
    }
    const char *ps[2] = { a.tenant, code };
    e = bo_db_exec(db, "SELECT attributes FROM services WHERE tenant_id = $1 AND code = $2 "
                       "AND kind = 'open311'", 2, ps, &rows);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        goto out;
    }
    if (!rows || rows->nrows != 1) {
        o311_error(r, 404, "service_code not found");
        goto out;
    }
    attrs = bo_rows_get(rows, 0, 0) ? cJSON_Parse(bo_rows_get(rows, 0, 0)) : NULL;
    bo_store_release(app->store, db);
    db = NULL;
    int has_ll = lat || lon;
    if (has_ll && !(number_in(lat, -90, 90) && number_in(lon, -180, 180))) {
        o311_error(r, 400, "lat and long must both be decimal degrees");
        goto out;
    }
    if (!has_ll && (!addr || !*addr) && !bo_form_get(&f, "address_id")) {
        o311_error(r, 400, "a location is required: lat and long, address_string or address_id");
        goto out;
    }
    if ((desc && strlen(desc) > 4000) || (addr && strlen(addr) > 255)) {
        o311_error(r, 400, "description (4000) or address_string (255) too long");
        goto out;
    }
    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "description", desc ? desc : "");
    static const char *const contact[] = { "email", "first_name", "last_name", "phone",
                                           "device_id", "account_id", "address_id", NULL };
    cJSON *ct = cJSON_AddObjectToObject(data, "contact");
    for (const char *const *c = contact; *c; c++) {
        const char *v = bo_form_get(&f, *c);
        if (v && strlen(v) <= 255)
            cJSON_AddStringToObject(ct, *c, v);
    }
    cJSON *ans = cJSON_AddObjectToObject(data, "attributes");
    /* attribute[CODE]=value, checked against the service definition. */
    for (size_t i = 0; i < f.n; i++) {
        const char *n = f.fields[i].name;
        size_t nl = strlen(n);
        if (strncmp(n, "attribute[", 10) != 0 || nl < 12 || n[nl - 1] != ']')
            continue;
        char ac[64];
        snprintf(ac, sizeof ac, "%.*s", (int)(nl - 11), n + 10);
        const cJSON *at, *def = NULL;
        cJSON_ArrayForEach(at, attrs) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(at, "code");
            if (cJSON_IsString(c) && strcmp(c->valuestring, ac) == 0)
                def = at;
        }
        char d[160];
        if (!def) {
            snprintf(d, sizeof d, "attribute[%s]: not an attribute of this service", ac);
            o311_error(r, 400, d);
            goto out;
        }
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(def, "datatype");
        int ok = strlen(f.fields[i].value) <= 4000 && f.fields[i].value[0];
        if (ok && cJSON_IsString(dt) && strcmp(dt->valuestring, "singlevaluelist") == 0) {
            ok = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(def, "values")) {
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(v, "key");
                ok = ok || (cJSON_IsString(k) && strcmp(k->valuestring, f.fields[i].value) == 0);
            }
        }
        if (!ok) {
            snprintf(d, sizeof d, "attribute[%s]: not a valid value", ac);
            o311_error(r, 400, d);
            goto out;
        }
        cJSON_AddStringToObject(ans, ac, f.fields[i].value);
    }
    const cJSON *at;
    cJSON_ArrayForEach(at, attrs) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(at, "code");
        if (cJSON_IsString(c) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(at, "required")) &&
            !cJSON_GetObjectItemCaseSensitive(ans, c->valuestring)) {
            char d[160];
            snprintf(d, sizeof d, "attribute[%.64s]: required", c->valuestring);
            o311_error(r, 400, d);
            goto out;
        }
    }
    o311_args x = { code, has_ll ? lat : NULL, has_ll ? lon : NULL, addr, NULL,
                    cJSON_PrintUnformatted(data) };
    if (!x.data)
        bo_store_problem(r, BO_STORE_ENOMEM);
    else
        bo_idempotent(app, &a, req, do_post, &x, r);
    free(x.data);
out:
    if (db)
        bo_store_release(app->store, db);
    bo_rows_free(rows);
    cJSON_Delete(data);
    cJSON_Delete(attrs);
    bo_form_free(&f);
}

/* Strips the format from the last segment: 0 for ".json", 1 for ".xml",
 * -1 if neither was asked. */
static int strip_format(char *s)
{
    size_t n = strlen(s);
    if (n > 5 && strcmp(s + n - 5, ".json") == 0) {
        s[n - 5] = '\0';
        return 0;
    }
    if (n > 4 && strcmp(s + n - 4, ".xml") == 0) {
        s[n - 4] = '\0';
        return 1;
    }
    return -1;
}

/* ---- the XML format (GeoReport v2 "Format Support") ---- */

/* Element names of the specification's XML: a JSON array named on the
 * left holds elements named on the right. */
static const char *xml_item_name(const char *list)
{
    static const char *const names[][2] = {
        { "services", "service" },
        { "service_requests", "request" },
        { "service_request_updates", "request_update" },
        { "errors", "error" },
        { "attributes", "attribute" },
        { "values", "value" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(list, names[i][0]) == 0)
            return names[i][1];
    return "item";
}

/* Text with & < > escaped; C0 controls that XML 1.0 cannot carry at all
 * (everything below 0x20 but tab, LF and CR) become U+FFFD. */
static void xml_text(bo_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            bo_buf_add(b, "&amp;");
        else if (c == '<')
            bo_buf_add(b, "&lt;");
        else if (c == '>')
            bo_buf_add(b, "&gt;");
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            bo_buf_add(b, "\xEF\xBF\xBD");
        else
            bo_buf_addn(b, s, 1);
    }
}

static void xml_value(bo_buf *b, const char *name, const cJSON *v, int depth)
{
    if (depth > 16)            /* our own answers nest three deep */
        return;
    bo_buf_printf(b, "<%s>", name);
    if (cJSON_IsArray(v)) {
        const char *item = xml_item_name(name);
        const cJSON *c;
        cJSON_ArrayForEach(c, v)
            xml_value(b, item, c, depth + 1);
    } else if (cJSON_IsObject(v)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, v)
            xml_value(b, c->string, c, depth + 1);
    } else if (cJSON_IsString(v)) {
        xml_text(b, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        bo_buf_add(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e15)
            bo_buf_printf(b, "%.0f", d);
        else
            bo_buf_printf(b, "%.15g", d);
    }                          /* null: an empty element */
    bo_buf_printf(b, "</%s>", name);
}

/* Turns an Open311 JSON answer in r into the specification's XML: a list
 * becomes <root> of its items, a service definition <service_definition>. */
static void xml_from_json(bo_resp *r, const char *root)
{
    if (strcmp(r->ctype, "application/json") != 0)
        return;
    cJSON *j = cJSON_ParseWithLength(r->body, r->len);
    if (!j)
        return;
    /* An error is an array of {code, description} whatever was asked. */
    if (r->status >= 400)
        root = "errors";
    else if (cJSON_IsObject(j))
        root = "service_definition";
    bo_buf b = { 0 };
    bo_buf_add(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    xml_value(&b, root, j, 0);
    cJSON_Delete(j);
    if (b.failed || !b.p) {
        free(b.p);
        bo_store_problem(r, BO_STORE_ENOMEM);
        return;
    }
    free(r->body);
    r->body = b.p;
    r->len = b.len;
    snprintf(r->ctype, sizeof r->ctype, "text/xml; charset=utf-8");
}

/* Problems from shared code (rate limits, idempotency, the store) in
 * Open311's error format. */
static void to_open311_errors(bo_resp *r)
{
    if (strcmp(r->ctype, "application/problem+json") != 0)
        return;
    cJSON *p = cJSON_ParseWithLength(r->body, r->len);
    cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "detail");
    char desc[512];
    snprintf(desc, sizeof desc, "%s", cJSON_IsString(d) ? d->valuestring : "error");
    cJSON_Delete(p);
    int ra = r->retry_after;
    o311_error(r, r->status, desc);
    r->retry_after = ra;
}

static void open311(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (nseg == 1 && post && strcmp(seg[0], "requests") == 0) {
        requests_post(app, req, r);
        return;
    }
    if (!get) {
        o311_error(r, 405, "method not allowed");
        return;
    }
    char agency[128];
    bo_store_err e;
    const char *j = req->query(req->t, "jurisdiction_id");
    if (jurisdiction(app, j, agency, sizeof agency, &e) != 0) {
        if (e != BO_STORE_OK) {
            bo_store_problem(r, e);
        } else {
            o311_error(r, 400, "jurisdiction_id missing or unknown");
        }
        return;
    }
    if (nseg == 1 && strcmp(seg[0], "services") == 0)
        services(app, j, NULL, r);
    else if (nseg == 2 && strcmp(seg[0], "services") == 0)
        services(app, j, seg[1], r);
    else if (nseg == 1 && strcmp(seg[0], "requests") == 0)
        requests_get(app, req, j, agency, NULL, r);
    else if (nseg == 2 && strcmp(seg[0], "requests") == 0)
        requests_get(app, req, j, agency, seg[1], r);
    else if (nseg == 1 && strcmp(seg[0], "servicerequestupdates") == 0)
        updates_get(app, j, r);
    else
        o311_error(r, 404, "not found");
}

void bo_api_open311(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    int fmt = nseg >= 1 && nseg <= 2 ? strip_format(seg[nseg - 1]) : -1;
    if (fmt < 0) {
        o311_error(r, 404, "not found (formats: .xml or .json)");
        return;
    }
    const char *root = strcmp(seg[0], "requests") == 0 ? "service_requests"
                     : strcmp(seg[0], "servicerequestupdates") == 0 ? "service_request_updates"
                     : "services";
    open311(app, req, seg, nseg, r);
    to_open311_errors(r);
    if (fmt == 1)
        xml_from_json(r, root);
}
