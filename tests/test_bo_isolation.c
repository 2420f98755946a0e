/*
 * Tenant isolation of civictv-backoffice, endpoint by endpoint (issue 6:
 * "A request for another tenant's data is refused and never reveals
 * whether it exists").
 *
 * The real server binary runs as a child on a SQLite file (and again on
 * PostgreSQL when CIVICTV_PG is set).  Northbury's objects are made
 * through the API: a payment taken to success on the phone pages with a
 * refund, an appointment booked by a Northbury viewer, a form submission
 * (a case), an Open311 request, and a device code.  Then every endpoint
 * that names one of them is called with Caerwen's credentials (TV
 * key, admin key or signed-in viewer) and Northbury's ids.  Asserted for
 * each: the answer is a refusal (404 for ids, 403 for Open311 writes into
 * another jurisdiction, the OAuth error for a device code) and, where an
 * id is named, it is byte for byte the answer to the same request with an
 * id that does not exist, so nothing tells the caller the id is real.
 * Lists (appointments, cases, Open311 requests and updates) seen by
 * Caerwen do not contain Northbury's ids.  At the end every Northbury
 * object is unchanged (states read back with Northbury's own key).
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
#include "tests/bo_harness.h"

#define NB_TV "tv-northbury-sample"
#define NB_ADMIN "admin-northbury-sample"
#define NB_VIEWER "iso-viewer-nb"
#define CW_TV "tv-caerwen-sample"
#define CW_ADMIN "admin-caerwen-sample"
#define CW_VIEWER "iso-viewer-cw"

static char g_spec[1024];
static char g_dir[64];
static char g_base[64];
static pid_t g_pid = -1;

/* ---- HTTP (the shared part is tests/bo_harness.c) ---- */

/* body starting with '{' is sent as JSON, anything else as a form. */
static long http(const char *method, const char *path, const char *auth, const char *body,
                 bh_res *r)
{
    char url[768];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    bh_req q = { .method = method, .url = url, .auth = auth, .body = body,
                 .ctype = body && body[0] != '{' ? "application/x-www-form-urlencoded" : NULL,
                 .timeout = 60 /* a hang fails; nothing is timed */ };
    return bh_http(&q, r);
}

/* A member (a path of up to two names; an array index as "#0"). */
static char *jget(const char *body, const char *a, const char *b)
{
    return bh_json_get(body, a, b);
}

static void refused(const char *method, const char *path, const char *missing_path,
                    const char *auth, const char *body, long want)
{
    bh_res r, m;
    http(method, path, auth, body, &r);
    if (r.status != want)
        fail_msg("%s %s as %s: %ld, want %ld: %s", method, path, auth ? auth : "(none)",
                 r.status, want, r.body ? r.body : "");
    if (missing_path) {
        http(method, missing_path, auth, body, &m);
        if (m.status != r.status || m.len != r.len || memcmp(m.body, r.body, r.len) != 0)
            fail_msg("%s %s as %s tells another tenant's id from a missing one:\n"
                     "  %ld %s\n  %ld %s", method, path, auth ? auth : "(none)", r.status,
                     r.body ? r.body : "", m.status, m.body ? m.body : "");
        bh_res_free(&m);
    }
    bh_res_free(&r);
}

/* A list answered 200 that must not mention id. */
static void not_listed(const char *path, const char *auth, const char *id)
{
    bh_res r;
    if (http("GET", path, auth, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body ? r.body : "");
    if (r.body && strstr(r.body, id))
        fail_msg("GET %s as %s lists %s: %s", path, auth ? auth : "(none)", id, r.body);
    bh_res_free(&r);
}

/* ---- server and fixtures ---- */

static int start_server(void)
{
    static const char *const extra[] = { "--device-interval", "0", NULL };
    if ((g_pid = bh_spawn_server(g_spec, extra, g_base, sizeof g_base)) < 0)
        return -1;
    /* Signed-in viewers of each tenant (tokens as the device flow stores
     * them: a SHA-256 hash). */
    bo_store_cfg sc = { .spec = g_spec, .pool_size = 1 };
    bo_store *s = NULL;
    char err[512];
    if (bo_store_open(&sc, &s, err, sizeof err) != BO_STORE_OK) {
        fprintf(stderr, "test_bo_isolation: %s\n", err);
        return -1;
    }
    bo_db *db = bo_store_acquire(s);
    static const char *const who[2][3] = { { NB_VIEWER, "northbury", "iso-person-nb" },
                                           { CW_VIEWER, "caerwen", "iso-person-cw" } };
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        char h[65];
        bo_sha256_hex(who[i][0], strlen(who[i][0]), h);
        const char *p[4] = { h, who[i][1], who[i][2], "4102444800" };
        if (bo_db_exec(db, "INSERT INTO tokens (token_hash, tenant_id, person, kind, expires) "
                           "VALUES ($1, $2, $3, 'access', $4)", 4, p, NULL) != BO_STORE_OK) {
            fprintf(stderr, "test_bo_isolation: %s\n", bo_db_errmsg(db));
            rc = -1;
        }
    }
    bo_store_release(s, db);
    bo_store_close(s);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    bh_stop_child(&g_pid, SIGTERM);
    bh_remove_dir(g_dir);
    return 0;
}

static int setup_sqlite(void **state)
{
    (void)state;
    if (bh_make_dir(g_dir, sizeof g_dir, "bo-iso") != 0)
        return -1;
    snprintf(g_spec, sizeof g_spec, "%s/bo.db", g_dir);
    if (start_server() == 0)
        return 0;
    teardown(NULL); /* cmocka skips the teardown of a failed setup */
    return -1;
}

static int g_no_pg;

static int setup_pg(void **state)
{
    (void)state;
    const char *pg = getenv("CIVICTV_PG");
    g_no_pg = !pg || !*pg;
    if (g_no_pg)
        return 0;
    snprintf(g_spec, sizeof g_spec, "%s", pg);
    if (bh_reset_pg(pg) == 0 && start_server() == 0)
        return 0;
    teardown(NULL);
    return -1;
}

/* ---- the sweep ---- */

static void sweep(void)
{
    bh_res r;
    char path[512], miss[512], body[512];

    /* Northbury's payment, paid on the phone pages, with a refund. */
    assert_int_equal(http("POST", "/v1/payments", NB_TV,
                          "{\"amount\":2500,\"reference\":\"ISO-1\",\"description\":\"Iso\"}",
                          &r), 201);
    char *pay = jget(r.body, "payment_id", NULL), *url = jget(r.body, "short_url", NULL);
    assert_non_null(pay);
    assert_non_null(url);
    bh_res_free(&r);
    const char *code = strrchr(url, '/') + 1;
    snprintf(path, sizeof path, "/pay/%s/start", code);
    assert_int_equal(http("POST", path, NULL, "a=1", &r), 200);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/pay/%s/card", code);
    assert_int_equal(http("POST", path, NULL, "card_number=4242424242424242&expiry=12%2F30"
                          "&name=A&cvc=123", &r), 200);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/payments/%s/refunds", pay);
    assert_int_equal(http("POST", path, NB_ADMIN, "{\"amount\":100}", &r), 201);
    char *refund = jget(r.body, "refund_id", NULL);
    assert_non_null(refund);
    bh_res_free(&r);
    /* A second payment, still created, for cancel. */
    assert_int_equal(http("POST", "/v1/payments", NB_TV,
                          "{\"amount\":300,\"reference\":\"ISO-2\",\"description\":\"Iso\"}",
                          &r), 201);
    char *pay2 = jget(r.body, "payment_id", NULL);
    assert_non_null(pay2);
    bh_res_free(&r);

    /* Northbury's appointment. */
    char day[16];
    time_t t1 = time(NULL) + 86400;
    struct tm tm;
    gmtime_r(&t1, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(path, sizeof path, "/v1/appointments/slots?service=housing-advice&day=%s", day);
    assert_int_equal(http("GET", path, NB_VIEWER, NULL, &r), 200);
    cJSON *o = cJSON_Parse(r.body);
    cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "slots"), 0);
    cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "slots"), 1);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s0, "slot_id")));
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s1, "slot_id")));
    char *slot = strdup(cJSON_GetObjectItemCaseSensitive(s0, "slot_id")->valuestring);
    char *free_slot = strdup(cJSON_GetObjectItemCaseSensitive(s1, "slot_id")->valuestring);
    cJSON_Delete(o);
    bh_res_free(&r);
    snprintf(body, sizeof body, "{\"slot_id\":\"%s\"}", slot);
    assert_int_equal(http("POST", "/v1/appointments", NB_VIEWER, body, &r), 201);
    char *appt = jget(r.body, "appointment_id", NULL);
    assert_non_null(appt);
    bh_res_free(&r);

    /* Northbury's case, from a form submission by its viewer. */
    assert_int_equal(http("POST", "/v1/forms/blue-badge/submissions", NB_VIEWER,
                          "{\"postcode\":\"NB1 1AA\",\"answers\":{\"full_name\":\"A Person\","
                          "\"reason\":\"Mobility\"}}", &r), 201);
    char *ref = jget(r.body, "reference", NULL);
    assert_non_null(ref);
    bh_res_free(&r);

    /* Northbury's Open311 request. */
    assert_int_equal(http("POST", "/open311/v2/requests.json", NULL,
                          "api_key=" NB_TV "&jurisdiction_id=northbury&service_code=pothole"
                          "&lat=51.5&long=-0.14&description=Iso+hole&attribute%5Bdepth%5D=deep",
                          &r), 201);
    char *sr = jget(r.body, "#0", "service_request_id");
    assert_non_null(sr);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/updates", sr);
    assert_int_equal(http("POST", path, NB_ADMIN, "{\"status\":\"IN_PROGRESS\","
                          "\"note\":\"Iso update\"}", &r), 201);
    bh_res_free(&r);

    /* Northbury's device code. */
    assert_int_equal(http("POST", "/oauth/device_authorization", NULL, "client_id=northbury",
                          &r), 200);
    char *device = jget(r.body, "device_code", NULL);
    assert_non_null(device);
    bh_res_free(&r);

    /* ---- Caerwen tries each of them ---- */
    static const char *const vb_keys[] = { CW_TV, CW_ADMIN, CW_VIEWER };
    for (size_t k = 0; k < 3; k++) {
        const char *key = vb_keys[k];
        snprintf(path, sizeof path, "/v1/payments/%s", pay);
        refused("GET", path, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa", key, NULL, 404);
        snprintf(path, sizeof path, "/v1/payments/%s/refunds", pay);
        refused("GET", path, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/refunds", key, NULL, 404);
        snprintf(path, sizeof path, "/v1/payments/%s/refunds/%s", pay, refund);
        snprintf(miss, sizeof miss, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/refunds/%s", refund);
        refused("GET", path, miss, key, NULL, 404);
        snprintf(path, sizeof path, "/v1/appointments/%s", appt);
        refused("GET", path, "/v1/appointments/aaaaaaaaaaaaaaaaaaaaaaaaaa",
                key, NULL, k == 2 ? 404 : 403);
        snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AA", ref);
        snprintf(miss, sizeof miss, "/v1/cases/NO-BBBBBBBB?postcode=NB1%%201AA");
        refused("GET", path, miss, key, NULL, 404);
        snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AA", sr);
        refused("GET", path, miss, key, NULL, 404);
    }
    /* Writes with Caerwen's admin key or viewer. */
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", pay2);
    refused("POST", path, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel", CW_ADMIN, NULL, 404);
    refused("POST", path, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel", CW_TV, NULL, 404);
    snprintf(path, sizeof path, "/v1/payments/%s/refunds", pay);
    refused("POST", path, "/v1/payments/aaaaaaaaaaaaaaaaaaaaaaaaaa/refunds", CW_ADMIN,
            "{\"amount\":100}", 404);
    snprintf(path, sizeof path, "/v1/appointments/%s/cancel", appt);
    refused("POST", path, "/v1/appointments/aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel", CW_VIEWER,
            NULL, 404);
    snprintf(body, sizeof body, "{\"slot_id\":\"%s\"}", free_slot);
    refused("POST", "/v1/appointments", NULL, CW_VIEWER, body, 404);
    refused("POST", "/v1/appointments", NULL, CW_VIEWER,
            "{\"slot_id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaa\"}", 404);
    snprintf(path, sizeof path, "/v1/appointments/slots?service=housing-advice&day=%s", day);
    snprintf(miss, sizeof miss, "/v1/appointments/slots?service=no-such-service&day=%s", day);
    refused("GET", path, miss, CW_VIEWER, NULL, 404);
    refused("GET", "/v1/forms/blue-badge", "/v1/forms/no-such-form", CW_TV, NULL, 404);
    refused("POST", "/v1/forms/blue-badge/submissions", "/v1/forms/no-such-form/submissions",
            CW_VIEWER, "{\"postcode\":\"NB1 1AA\",\"answers\":{\"full_name\":\"A\","
            "\"reason\":\"Mobility\"}}", 404);
    snprintf(path, sizeof path, "/v1/cases/%s/updates", ref);
    refused("POST", path, "/v1/cases/NO-BBBBBBBB/updates", CW_ADMIN,
            "{\"status\":\"closed\"}", 404);
    snprintf(path, sizeof path, "/v1/cases/%s/updates", sr);
    refused("POST", path, "/v1/cases/NO-BBBBBBBB/updates", CW_ADMIN,
            "{\"status\":\"CLOSED\"}", 404);
    /* The owner-only view of a case (no postcode) with the other viewer. */
    snprintf(path, sizeof path, "/v1/cases/%s", ref);
    refused("GET", path, "/v1/cases/NO-BBBBBBBB", CW_VIEWER, NULL, 404);
    /* Lists. */
    not_listed("/v1/appointments", CW_VIEWER, appt);
    not_listed("/v1/cases", CW_VIEWER, ref);
    not_listed("/v1/forms", CW_TV, "blue-badge");
    not_listed("/v1/catalogue?postcode=CE1%201AA", NULL, "housing-advice");
    snprintf(path, sizeof path, "/open311/v2/requests.json?jurisdiction_id=caerwen"
             "&service_request_id=%s", sr);
    not_listed(path, NULL, sr);
    not_listed("/open311/v2/requests.json?jurisdiction_id=caerwen", NULL, sr);
    not_listed("/open311/v2/servicerequestupdates.json?jurisdiction_id=caerwen", NULL, sr);
    not_listed("/open311/v2/services.json?jurisdiction_id=caerwen", NULL, "pothole");
    /* Open311 by id in the other jurisdiction. */
    snprintf(path, sizeof path, "/open311/v2/requests/%s.json?jurisdiction_id=caerwen", sr);
    refused("GET", path, "/open311/v2/requests/XX-BBBBBBBB.json?jurisdiction_id=caerwen",
            NULL, NULL, 404);
    refused("GET", "/open311/v2/services/pothole.json?jurisdiction_id=caerwen",
            "/open311/v2/services/no-such.json?jurisdiction_id=caerwen", NULL, NULL, 404);
    /* Open311 writes: Caerwen's key into Northbury's jurisdiction. */
    refused("POST", "/open311/v2/requests.json", NULL, NULL,
            "api_key=" CW_TV "&jurisdiction_id=northbury&service_code=pothole"
            "&lat=51.5&long=-0.14&description=x&attribute%5Bdepth%5D=deep", 403);
    /* Northbury's device code redeemed as Caerwen's client. */
    snprintf(body, sizeof body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
             "%%3Adevice_code&client_id=caerwen&device_code=%s", device);
    bh_res a, m;
    http("POST", "/oauth/token", NULL, body, &a);
    http("POST", "/oauth/token", NULL, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type"
         "%3Adevice_code&client_id=caerwen&device_code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         &m);
    assert_int_equal(a.status, 400);
    assert_int_equal(m.status, 400);
    char *ea = jget(a.body, "error", NULL), *em = jget(m.body, "error", NULL);
    assert_non_null(ea);
    assert_non_null(em);
    assert_string_equal(ea, em);
    free(ea);
    free(em);
    bh_res_free(&a);
    bh_res_free(&m);

    /* ---- nothing of Northbury's changed ---- */
    snprintf(path, sizeof path, "/v1/payments/%s", pay2);
    assert_int_equal(http("GET", path, NB_TV, NULL, &r), 200);
    char *st = jget(r.body, "state", "status");
    assert_string_equal(st, "created");
    free(st);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/payments/%s/refunds", pay);
    assert_int_equal(http("GET", path, NB_TV, NULL, &r), 200);
    o = cJSON_Parse(r.body);
    cJSON *refunds = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "_embedded"), "refunds");
    if (!refunds)
        refunds = cJSON_GetObjectItemCaseSensitive(o, "refunds");
    assert_int_equal(cJSON_GetArraySize(refunds), 1);
    cJSON_Delete(o);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/appointments/%s", appt);
    assert_int_equal(http("GET", path, NB_VIEWER, NULL, &r), 200);
    st = jget(r.body, "status", NULL);
    assert_string_equal(st, "booked");
    free(st);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/appointments/slots?service=housing-advice&day=%s", day);
    assert_int_equal(http("GET", path, NB_VIEWER, NULL, &r), 200);
    assert_non_null(strstr(r.body, free_slot)); /* still free */
    bh_res_free(&r);
    snprintf(path, sizeof path, "/v1/cases/%s?postcode=NB1%%201AA", ref);
    assert_int_equal(http("GET", path, NB_TV, NULL, &r), 200);
    st = jget(r.body, "status", NULL);
    assert_string_equal(st, "received");
    free(st);
    bh_res_free(&r);
    snprintf(path, sizeof path, "/open311/v2/requests/%s.json?jurisdiction_id=northbury", sr);
    assert_int_equal(http("GET", path, NULL, NULL, &r), 200);
    st = jget(r.body, "#0", "status");
    assert_string_equal(st, "open");
    free(st);
    bh_res_free(&r);

    free(pay);
    free(pay2);
    free(url);
    free(refund);
    free(slot);
    free(free_slot);
    free(appt);
    free(ref);
    free(sr);
    free(device);
}

static void t_sqlite(void **state)
{
    (void)state;
    sweep();
}

static void t_postgres(void **state)
{
    (void)state;
    if (g_no_pg) {
        fprintf(stderr, "test_bo_isolation: CIVICTV_PG is not set: the PostgreSQL sweep is "
                        "skipped\n");
        skip();
    }
    sweep();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_sqlite, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(t_postgres, setup_pg, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
