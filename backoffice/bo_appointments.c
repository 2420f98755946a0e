/*
 * Appointments: free slots per service and day, booking, cancelling, and
 * the signed-in viewer's own appointments.
 *
 *   GET  /v1/appointments/slots?service=CODE&day=YYYY-MM-DD   free slots
 *   POST /v1/appointments {"slot_id": ...}                   book (viewer)
 *   GET  /v1/appointments                                    mine (viewer)
 *   GET  /v1/appointments/ID                                 one of mine
 *   POST /v1/appointments/ID/cancel                          cancel mine
 *
 * A slot is booked at most once whatever the concurrency: the booking
 * claims it with one conditional UPDATE (appointment_id IS NULL).  SQLite
 * serialises writers; PostgreSQL re-checks the condition on the row's
 * newest version after waiting for a concurrent writer (READ COMMITTED
 * UPDATE semantics), so exactly one claim succeeds and the others answer
 * 409 with a slot-unavailable problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_api_int.h"

#define APPT_COLS "a.id, a.slot_id, s.service_code, s.day, s.start_time, s.end_time, a.state"

static cJSON *appt_json(bo_app *app, const bo_rows *rows, int i)
{
    cJSON *o = cJSON_CreateObject();
    const char *id = bo_rows_get(rows, i, 0);
    cJSON_AddStringToObject(o, "appointment_id", id);
    cJSON_AddStringToObject(o, "slot_id", bo_rows_get(rows, i, 1));
    cJSON_AddStringToObject(o, "service", bo_rows_get(rows, i, 2));
    cJSON_AddStringToObject(o, "day", bo_rows_get(rows, i, 3));
    cJSON_AddStringToObject(o, "start", bo_rows_get(rows, i, 4));
    cJSON_AddStringToObject(o, "end", bo_rows_get(rows, i, 5));
    cJSON_AddStringToObject(o, "status", bo_rows_get(rows, i, 6));
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    char href[512];
    snprintf(href, sizeof href, "%s/v1/appointments/%s", app->base_url, id);
    cJSON *self = cJSON_AddObjectToObject(links, "self");
    cJSON_AddStringToObject(self, "href", href);
    cJSON_AddStringToObject(self, "method", "GET");
    if (strcmp(bo_rows_get(rows, i, 6), "booked") == 0) {
        snprintf(href, sizeof href, "%s/v1/appointments/%s/cancel", app->base_url, id);
        cJSON *c = cJSON_AddObjectToObject(links, "cancel");
        cJSON_AddStringToObject(c, "href", href);
        cJSON_AddStringToObject(c, "method", "POST");
    }
    return o;
}

static int valid_day(const char *d)
{
    /* YYYY-MM-DD with plausible ranges (ISO 8601 calendar date). */
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    int m = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
    return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

static int valid_code(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static void slots(bo_app *app, const bo_auth *a, const bo_req *req, bo_resp *r)
{
    const char *service = req->query(req->t, "service");
    const char *day = req->query(req->t, "day");
    if (!valid_code(service, 64)) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "service: missing or not a service code");
        return;
    }
    if (!valid_day(day)) {
        bo_problem(r, 422, "invalid-field", "Invalid request", "day: must be YYYY-MM-DD");
        return;
    }
    const char *p[3] = { a->tenant, service, day };
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *svc = NULL, *rows = NULL;
    bo_store_err e = bo_db_exec(db, "SELECT code FROM services WHERE tenant_id = $1 AND "
                                    "code = $2 AND kind = 'appointment'", 2, p, &svc);
    if (e == BO_STORE_OK && svc && svc->nrows == 1)
        e = bo_db_exec(db, "SELECT id, start_time, end_time FROM slots WHERE tenant_id = $1 "
                           "AND service_code = $2 AND day = $3 AND appointment_id IS NULL "
                           "ORDER BY start_time, id", 3, p, &rows);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
    } else if (!svc || svc->nrows != 1) {
        bo_problem(r, 404, "not-found", "Not found", "No such appointment service.");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "service", service);
        cJSON_AddStringToObject(o, "day", day);
        cJSON *arr = cJSON_AddArrayToObject(o, "slots");
        for (int i = 0; rows && i < rows->nrows; i++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "slot_id", bo_rows_get(rows, i, 0));
            cJSON_AddStringToObject(s, "start", bo_rows_get(rows, i, 1));
            cJSON_AddStringToObject(s, "end", bo_rows_get(rows, i, 2));
            cJSON_AddItemToArray(arr, s);
        }
        bo_json(r, 200, o);
    }
    bo_rows_free(svc);
    bo_rows_free(rows);
}

static bo_store_err load(bo_db *db, const bo_auth *a, const char *id, bo_rows **rows)
{
    const char *p[3] = { id, a->tenant, a->person };
    return bo_db_exec(db, "SELECT " APPT_COLS " FROM appointments a JOIN slots s ON "
                          "s.id = a.slot_id WHERE a.id = $1 AND a.tenant_id = $2 AND "
                          "a.person = $3", 3, p, rows);
}

static void do_book(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                    bo_db *db, bo_resp *r)
{
    (void)req;
    const char *slot = arg;
    char id[BO_ID_LEN + 1], now[24];
    bo_new_id(id);
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    const char *ps[3] = { slot, a->tenant, id };
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, "SELECT id FROM slots WHERE id = $1 AND tenant_id = $2",
                                2, ps, &rows);
    int exists = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK && !exists) {
        bo_problem(r, 404, "not-found", "Not found", "No such slot.");
        return;
    }
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "UPDATE slots SET appointment_id = $3 WHERE id = $1 AND "
                           "tenant_id = $2 AND appointment_id IS NULL RETURNING id", 3, ps, &rows);
    int claimed = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK && !claimed) {
        bo_problem(r, 409, "slot-unavailable", "Slot unavailable",
                   "This slot has just been booked. Choose another.");
        return;
    }
    const char *pi[5] = { id, a->tenant, slot, a->person, now };
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "INSERT INTO appointments (id, tenant_id, slot_id, person, state, "
                           "created) VALUES ($1, $2, $3, $4, 'booked', $5)", 5, pi, NULL);
    if (e == BO_STORE_OK)
        e = bo_audit(db, a, "appointment.book", id);
    if (e == BO_STORE_OK)
        e = load(db, a, id, &rows);
    if (e != BO_STORE_OK || !rows || rows->nrows != 1) {
        bo_rows_free(rows);
        bo_store_problem(r, e == BO_STORE_OK ? BO_STORE_ESQL : e);
        return;
    }
    bo_json(r, 201, appt_json(app, rows, 0));
    snprintf(r->location, sizeof r->location, "%s/v1/appointments/%s", app->base_url, id);
    bo_rows_free(rows);
}

static void do_cancel(bo_app *app, const bo_auth *a, const bo_req *req, void *arg,
                      bo_db *db, bo_resp *r)
{
    (void)req;
    const char *id = arg;
    const char *p[3] = { id, a->tenant, a->person };
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db, "UPDATE appointments SET state = 'cancelled' WHERE id = $1 "
                                    "AND tenant_id = $2 AND person = $3 AND state = 'booked' "
                                    "RETURNING slot_id", 3, p, &rows);
    int done = e == BO_STORE_OK && rows && rows->nrows == 1;
    if (done) {
        /* Free the slot for someone else. */
        const char *ps[3] = { bo_rows_get(rows, 0, 0), a->tenant, id };
        e = bo_db_exec(db, "UPDATE slots SET appointment_id = NULL WHERE id = $1 AND "
                           "tenant_id = $2 AND appointment_id = $3", 3, ps, NULL);
        if (e == BO_STORE_OK)
            e = bo_audit(db, a, "appointment.cancel", id);
    }
    bo_rows_free(rows);
    rows = NULL;
    if (e == BO_STORE_OK)
        e = load(db, a, id, &rows);
    if (e != BO_STORE_OK)
        bo_store_problem(r, e);
    else if (!rows || rows->nrows != 1)
        bo_problem(r, 404, "not-found", "Not found", "No such appointment.");
    else if (!done)
        bo_problem(r, 409, "appointment-cancelled", "Already cancelled",
                   "This appointment is already cancelled.");
    else
        bo_json(r, 200, appt_json(app, rows, 0));
    bo_rows_free(rows);
}

static void mine(bo_app *app, const bo_auth *a, const char *id, bo_resp *r)
{
    bo_db *db = bo_store_acquire(app->store);
    bo_rows *rows = NULL;
    bo_store_err e;
    if (id) {
        e = load(db, a, id, &rows);
    } else {
        const char *p[2] = { a->tenant, a->person };
        e = bo_db_exec(db, "SELECT " APPT_COLS " FROM appointments a JOIN slots s ON "
                           "s.id = a.slot_id WHERE a.tenant_id = $1 AND a.person = $2 "
                           "ORDER BY s.day, s.start_time, a.id", 2, p, &rows);
    }
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
    } else if (id) {
        if (!rows || rows->nrows != 1)
            bo_problem(r, 404, "not-found", "Not found", "No such appointment.");
        else
            bo_json(r, 200, appt_json(app, rows, 0));
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(o, "appointments");
        for (int i = 0; rows && i < rows->nrows; i++)
            cJSON_AddItemToArray(arr, appt_json(app, rows, i));
        bo_json(r, 200, o);
    }
    bo_rows_free(rows);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

void bo_api_appointments(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    bo_auth a;
    if (bo_auth_request(app, req, &a, r) != 0 || bo_rate_check(app, &a, r) != 0)
        return;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (nseg == 1 && get && strcmp(seg[0], "slots") == 0) {
        slots(app, &a, req, r);
        return;
    }
    if (nseg > 2 || (nseg >= 1 && !valid_id(seg[0]))) {
        bo_problem(r, 404, "not-found", "Not found", "No such resource.");
        return;
    }
    if (!a.person[0]) {
        bo_problem(r, 403, "sign-in-required", "Sign-in required",
                   "Appointments belong to a signed-in viewer: use the viewer's access token.");
        return;
    }
    if (nseg == 0 && post) {
        static const char *const allowed[] = { "slot_id", NULL };
        cJSON *o = bo_json_body(req, allowed, r);
        if (!o)
            return;
        cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "slot_id");
        if (!cJSON_IsString(s) || !valid_id(s->valuestring))
            bo_problem(r, 422, "invalid-field", "Invalid request", "slot_id: missing or malformed");
        else
            bo_idempotent(app, &a, req, do_book, s->valuestring, r);
        cJSON_Delete(o);
    } else if (nseg == 0 && get) {
        mine(app, &a, NULL, r);
    } else if (nseg == 1 && get) {
        mine(app, &a, seg[0], r);
    } else if (nseg == 2 && post && strcmp(seg[1], "cancel") == 0) {
        bo_idempotent(app, &a, req, do_cancel, seg[0], r);
    } else {
        bo_problem(r, 405, "method-not-allowed", "Method not allowed",
                   "%s is not allowed here.", req->method);
    }
}
