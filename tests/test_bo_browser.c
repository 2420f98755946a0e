/*
 * The back office's phone pages in a real browser: Debian's chromium in
 * headless mode, driven through chromedriver (package chromium-driver) with
 * the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/: New
 * Session, Navigate To, Find Element, Element Send Keys, Element Click, Get
 * Element Attribute/Text, Get Title) spoken here with libcurl and cJSON.
 *
 * The real server binary ($CIVICTV_BUILD/civictv-backoffice) runs as a
 * child on a SQLite file in a temporary directory.  What is asserted:
 *  - Sign-in, RFC 8628 section 3.3: a TV asks for a device code; in the
 *    browser the viewer opens verification_uri, types the user code (in
 *    lower case, without its dash, as a person might) and approves; the
 *    TV's token request then gets an access token that the API accepts.
 *  - Payment with each of GOV.UK Pay's published test cards: the browser
 *    opens the payment's short URL, presses Continue, fills in the card
 *    form and presses Pay now; the payment's state is then read back
 *    through the API: 4444333322221111 and 4242424242424242 succeed,
 *    4000000000000002 fails with P0010, 4000000000000119 ends in error
 *    P0050, and 4000000000000069 (expired) and 4000000000000127 (wrong
 *    CVC) show the error, leave the payment started, and a good card then
 *    completes it.
 *  - A link preview (a plain GET of the short URL and of the Continue
 *    page, as a chat app's preview fetches) leaves the payment created.
 *  - The pages in Welsh: a payment made with language cy is shown with
 *    lang="cy" and Welsh text throughout, and the sign-in page's Cymraeg
 *    link gives the Welsh form.
 * Without chromium and chromedriver (a machine where they cannot be
 * installed) the tests are skipped with a message; .ci/run installs both.
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
#include <unistd.h>

#include "tests/bo_harness.h"

#define CHROMEDRIVER "/usr/bin/chromedriver"
#define CHROMIUM "/usr/bin/chromium"
#define ELEMENT_KEY "element-6066-11e4-a52e-4f735466cecf" /* WebDriver's web element identifier */

static char g_dir[64];
static char g_base[64];          /* the back office */
static char g_wd[64];            /* chromedriver */
static char g_session[128];
static pid_t g_server = -1, g_driver = -1;

/* ---- HTTP ---- */

/* The shared part is tests/bo_harness.c. */
static long http(const char *method, const char *url, const char *auth, const char *ctype,
                 const char *body, bh_res *r)
{
    bh_req q = { .method = method, .url = url, .auth = auth, .ctype = ctype, .body = body,
                 .timeout = 120 /* a hang fails, it is not measured */ };
    return bh_http(&q, r);
}

/* A member of a JSON body, path of up to two names, as a new string. */
static char *json_get(const char *body, const char *a, const char *b)
{
    return bh_json_get(body, a, b);
}

/* ---- WebDriver ---- */

/* One WebDriver command; returns the JSON "value" member (the caller
 * deletes it), failing the test on a WebDriver error. */
static cJSON *wd(const char *method, const char *path, const char *body)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", g_wd, path);
    bh_res r;
    long st = http(method, url, NULL, "application/json; charset=utf-8",
                   body ? body : (strcmp(method, "POST") == 0 ? "{}" : NULL), &r);
    cJSON *o = cJSON_Parse(r.body ? r.body : "");
    if (st != 200 || !o)
        fail_msg("WebDriver %s %s: %ld %s", method, path, st, r.body ? r.body : "");
    bh_res_free(&r);
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(o, "value");
    cJSON_Delete(o);
    return v;
}

static void wd_void(const char *method, const char *path, const char *body)
{
    cJSON_Delete(wd(method, path, body));
}

static void navigate(const char *url)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "url", url);
    char *b = cJSON_PrintUnformatted(o);
    char path[256];
    snprintf(path, sizeof path, "/session/%s/url", g_session);
    wd_void("POST", path, b);
    free(b);
    cJSON_Delete(o);
}

/* The element id of the first match of a CSS selector. */
static char *find(const char *css)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "using", "css selector");
    cJSON_AddStringToObject(o, "value", css);
    char *b = cJSON_PrintUnformatted(o);
    char path[256];
    snprintf(path, sizeof path, "/session/%s/element", g_session);
    cJSON *v = wd("POST", path, b);
    cJSON *id = cJSON_GetObjectItemCaseSensitive(v, ELEMENT_KEY);
    if (!cJSON_IsString(id))
        fail_msg("no element %s", css);
    char *s = strdup(id->valuestring);
    cJSON_Delete(v);
    free(b);
    cJSON_Delete(o);
    return s;
}

static void type_into(const char *css, const char *text)
{
    char *e = find(css);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    char *b = cJSON_PrintUnformatted(o);
    char path[384];
    snprintf(path, sizeof path, "/session/%s/element/%s/value", g_session, e);
    wd_void("POST", path, b);
    free(b);
    cJSON_Delete(o);
    free(e);
}

/* Clicks a submit button or a link, then waits until the page it was on
 * has gone (its element is stale: WebDriver answers with an error instead
 * of the element's name), since a click may answer before the form's POST
 * has been sent.  Elements of the next page are then found with the session's
 * implicit wait.  The bound only stops a hang; nothing is timed. */
static void click(const char *css)
{
    char *e = find(css);
    char path[384], url[512];
    snprintf(path, sizeof path, "/session/%s/element/%s/click", g_session, e);
    wd_void("POST", path, "{}");
    snprintf(url, sizeof url, "%s/session/%s/element/%s/name", g_wd, g_session, e);
    int gone = 0;
    for (int i = 0; i < 1200 && !gone; i++) {
        bh_res r;
        long st = http("GET", url, NULL, NULL, NULL, &r);
        /* "stale element reference", or while the next page is being
         * committed chromium's "Node ... does not belong to the document":
         * either way the old page has gone.  A broken session shows up as
         * a failure of the next command. */
        gone = st > 0 && st != 200;
        if (st < 0)
            fail_msg("after clicking %s: chromedriver did not answer", css);
        bh_res_free(&r);
        if (!gone)
            usleep(25 * 1000);
    }
    if (!gone)
        fail_msg("clicking %s did not leave the page", css);
    free(e);
}

/* An element's text or attribute (attr NULL: its rendered text). */
static char *read_el(const char *css, const char *attr)
{
    char *e = find(css);
    char path[384];
    if (attr)
        snprintf(path, sizeof path, "/session/%s/element/%s/attribute/%s", g_session, e, attr);
    else
        snprintf(path, sizeof path, "/session/%s/element/%s/text", g_session, e);
    cJSON *v = wd("GET", path, NULL);
    char *s = strdup(cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(v);
    free(e);
    return s;
}

static void assert_el(const char *css, const char *attr, const char *want)
{
    char *s = read_el(css, attr);
    if (strcmp(s, want) != 0)
        fail_msg("%s%s%s: \"%s\", expected \"%s\"", css, attr ? " @" : "", attr ? attr : "", s,
                 want);
    free(s);
}

static void assert_el_has(const char *css, const char *want)
{
    char *s = read_el(css, NULL);
    if (!strstr(s, want))
        fail_msg("%s: \"%s\" lacks \"%s\"", css, s, want);
    free(s);
}

/* ---- processes ---- */

static int teardown(void **state);

static int setup_inner(void);

/* A failed group setup gets no teardown from cmocka: stop what started. */
static int setup(void **state)
{
    (void)state;
    if (setup_inner() == 0)
        return 0;
    teardown(NULL);
    return -1;
}

static int setup_inner(void)
{
    if (access(CHROMEDRIVER, X_OK) != 0 || access(CHROMIUM, X_OK) != 0) {
        fprintf(stderr, "test_bo_browser: %s or %s missing (apt-get install chromium "
                "chromium-driver): browser tests skipped\n", CHROMIUM, CHROMEDRIVER);
        return 0;
    }
    const char *bin = bh_server_binary();
    if (!bin) {
        fprintf(stderr, "test_bo_browser: no civictv-backoffice: build the programs first\n");
        return -1;
    }
    if (bh_make_dir(g_dir, sizeof g_dir, "bo-browser") != 0)
        return -1;
    char db[128], ps[16], wps[16];
    snprintf(db, sizeof db, "%s/bo.db", g_dir);
    int port = bh_free_port(), wport = bh_free_port();
    if (port < 0 || wport < 0)
        return -1;
    snprintf(ps, sizeof ps, "%d", port);
    snprintf(wps, sizeof wps, "--port=%d", wport);
    snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", port);
    snprintf(g_wd, sizeof g_wd, "http://127.0.0.1:%d", wport);
    g_server = fork();
    if (g_server == 0) {
        execl(bin, bin, "--port", ps, "--database", db, "--seed", "sample",
              "--device-interval", "0", (char *)NULL);
        _exit(127);
    }
    g_driver = fork();
    if (g_driver == 0) {
        /* chromedriver's own chatter is not the test's output. */
        FILE *f = freopen("/dev/null", "w", stdout);
        (void)f;
        execl(CHROMEDRIVER, CHROMEDRIVER, wps, (char *)NULL);
        _exit(127);
    }
    char url[160];
    snprintf(url, sizeof url, "%s/health", g_base);
    if (bh_wait_ready(url, g_server) != 0) {
        fprintf(stderr, "test_bo_browser: the back office did not start\n");
        return -1;
    }
    snprintf(url, sizeof url, "%s/status", g_wd);
    if (bh_wait_ready(url, g_driver) != 0) {
        fprintf(stderr, "test_bo_browser: chromedriver did not start\n");
        return -1;
    }
    /* Headless chromium; --no-sandbox because CI runs as root, a small
     * phone-sized window. */
    char caps[1024];
    snprintf(caps, sizeof caps,
             "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"chrome\","
             "\"goog:chromeOptions\":{\"binary\":\"%s\",\"args\":[\"--headless=new\","
             "\"--no-sandbox\",\"--disable-dev-shm-usage\",\"--disable-gpu\","
             "\"--window-size=375,812\",\"--user-data-dir=%s/profile\"]}}}}",
             CHROMIUM, g_dir);
    cJSON *v = wd("POST", "/session", caps);
    cJSON *sid = cJSON_GetObjectItemCaseSensitive(v, "sessionId");
    if (!cJSON_IsString(sid)) {
        cJSON_Delete(v);
        return -1;
    }
    snprintf(g_session, sizeof g_session, "%s", sid->valuestring);
    cJSON_Delete(v);
    /* Find Element waits up to 20 s for an element of a page still loading. */
    char path[256];
    snprintf(path, sizeof path, "/session/%s/timeouts", g_session);
    wd_void("POST", path, "{\"implicit\":20000}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_session[0]) {
        char path[256];
        snprintf(path, sizeof path, "%s/session/%s", g_wd, g_session);
        bh_res r;
        http("DELETE", path, NULL, NULL, NULL, &r);
        bh_res_free(&r);
    }
    bh_stop_child(&g_driver, SIGTERM);
    bh_stop_child(&g_server, SIGTERM);
    bh_remove_dir(g_dir);
    return 0;
}

#define NEED_BROWSER()                                                              \
    do {                                                                            \
        if (!g_session[0]) {                                                        \
            fprintf(stderr, "test_bo_browser: no browser session: skipped\n");     \
            skip();                                                                 \
        }                                                                           \
    } while (0)

/* ---- payments through the API ---- */

typedef struct {
    char id[64];
    char url[256];               /* short_url, the QR target */
} payment;

static void create_payment(const char *lang, payment *p)
{
    char url[160], body[256];
    snprintf(url, sizeof url, "%s/v1/payments", g_base);
    snprintf(body, sizeof body, "{\"amount\":12345,\"reference\":\"BROWSER\","
             "\"description\":\"Council Tax\",\"language\":\"%s\"}", lang);
    bh_res r;
    if (http("POST", url, "tv-northbury-sample", "application/json", body, &r) != 201)
        fail_msg("creating a payment: %ld %s", r.status, r.body ? r.body : "");
    char *id = json_get(r.body, "payment_id", NULL), *u = json_get(r.body, "short_url", NULL);
    assert_non_null(id);
    assert_non_null(u);
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->url, sizeof p->url, "%s", u);
    free(id);
    free(u);
    bh_res_free(&r);
}

/* The payment's state through the API: status, and code when want_code. */
static void assert_state(const payment *p, const char *status, const char *code)
{
    char url[200];
    snprintf(url, sizeof url, "%s/v1/payments/%s", g_base, p->id);
    bh_res r;
    assert_int_equal(http("GET", url, "tv-northbury-sample", NULL, NULL, &r), 200);
    char *s = json_get(r.body, "state", "status"), *c = json_get(r.body, "state", "code");
    if (!s || strcmp(s, status) != 0)
        fail_msg("payment %s: state %s, expected %s", p->id, s ? s : "(none)", status);
    if (code && (!c || strcmp(c, code) != 0))
        fail_msg("payment %s: code %s, expected %s", p->id, c ? c : "(none)", code);
    free(s);
    free(c);
    bh_res_free(&r);
}

static void fill_card(const char *number)
{
    type_into("#card_number", number);
    type_into("#expiry", "12/30");
    type_into("#name", "A N Other");
    type_into("#cvc", "123");
    click("#pay");
}

/* Opens the short URL, presses Continue, and is on the card form. */
static void open_card_form(const payment *p)
{
    navigate(p->url);
    click("#continue");
    assert_state(p, "started", NULL);
    assert_el("#pay", NULL, "Pay now");
}

/* ---- the tests ---- */

static void t_device_sign_in(void **state)
{
    (void)state;
    NEED_BROWSER();
    char url[200];
    snprintf(url, sizeof url, "%s/oauth/device_authorization", g_base);
    bh_res r;
    assert_int_equal(http("POST", url, NULL, "application/x-www-form-urlencoded",
                          "client_id=northbury", &r), 200);
    char *device = json_get(r.body, "device_code", NULL);
    char *user = json_get(r.body, "user_code", NULL);
    char *vuri = json_get(r.body, "verification_uri", NULL);
    assert_non_null(device);
    assert_non_null(user);
    assert_non_null(vuri);
    bh_res_free(&r);
    char token_body[256];
    snprintf(token_body, sizeof token_body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
             "grant-type%%3Adevice_code&client_id=northbury&device_code=%s", device);
    snprintf(url, sizeof url, "%s/oauth/token", g_base);
    /* Not approved yet. */
    http("POST", url, NULL, "application/x-www-form-urlencoded", token_body, &r);
    assert_int_equal(r.status, 400);
    char *err = json_get(r.body, "error", NULL);
    assert_string_equal(err, "authorization_pending");
    free(err);
    bh_res_free(&r);

    /* The viewer types the code as it might be typed: lower case, no dash. */
    navigate(vuri);
    assert_el("html", "lang", "en");
    char typed[16];
    size_t n = 0;
    for (const char *s = user; *s && n + 1 < sizeof typed; s++)
        if (*s != '-')
            typed[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    typed[n] = '\0';
    type_into("#user_code", typed);
    click("#approve");
    assert_el("#outcome", "data-state", "approved");
    assert_el("#outcome", NULL, "Your TV is now signed in.");

    http("POST", url, NULL, "application/x-www-form-urlencoded", token_body, &r);
    assert_int_equal(r.status, 200);
    char *access = json_get(r.body, "access_token", NULL);
    assert_non_null(access);
    bh_res_free(&r);
    /* The token is the signed-in viewer's: their appointments answer. */
    snprintf(url, sizeof url, "%s/v1/appointments", g_base);
    assert_int_equal(http("GET", url, access, NULL, NULL, &r), 200);
    bh_res_free(&r);
    /* The device code is one-time. */
    snprintf(url, sizeof url, "%s/oauth/token", g_base);
    http("POST", url, NULL, "application/x-www-form-urlencoded", token_body, &r);
    assert_int_equal(r.status, 400);
    bh_res_free(&r);
    free(access);
    free(device);
    free(user);
    free(vuri);
}

static void t_device_wrong_code(void **state)
{
    (void)state;
    NEED_BROWSER();
    char url[160];
    snprintf(url, sizeof url, "%s/device", g_base);
    navigate(url);
    type_into("#user_code", "BBBB-BBBB");
    click("#approve");
    assert_el("#error", NULL, "That code is not valid or has expired.");
    /* The form is shown again, ready for another try. */
    assert_el("#approve", NULL, "Approve");
}

static void t_link_preview(void **state)
{
    (void)state;
    NEED_BROWSER();
    payment p;
    create_payment("en", &p);
    /* What a chat app's preview does: GETs, following redirects. */
    bh_res r;
    assert_int_equal(http("GET", p.url, NULL, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "id=\"continue\""));
    bh_res_free(&r);
    const char *code = strrchr(p.url, '/');
    char url[200];
    snprintf(url, sizeof url, "%s/pay%s", g_base, code);
    assert_int_equal(http("GET", url, NULL, NULL, NULL, &r), 200);
    bh_res_free(&r);
    assert_state(&p, "created", NULL);
    /* The browser's GET of the page does not start it either. */
    navigate(p.url);
    assert_el("#continue", NULL, "Continue");
    assert_state(&p, "created", NULL);
    /* And the payment is still usable. */
    click("#continue");
    fill_card("4242424242424242");
    assert_el("#outcome", "data-state", "success");
    assert_state(&p, "success", NULL);
}

static void t_card_success(void **state)
{
    (void)state;
    NEED_BROWSER();
    static const char *const cards[] = { "4444333322221111", "4242424242424242" };
    for (size_t i = 0; i < 2; i++) {
        payment p;
        create_payment("en", &p);
        open_card_form(&p);
        fill_card(cards[i]);
        assert_el("h1", NULL, "Payment successful");
        assert_el("#outcome", "data-state", "success");
        assert_state(&p, "success", NULL);
        /* Opening the link again shows the outcome, not a second payment. */
        navigate(p.url);
        assert_el("#outcome", "data-state", "success");
    }
}

static void t_card_declined(void **state)
{
    (void)state;
    NEED_BROWSER();
    payment p;
    create_payment("en", &p);
    open_card_form(&p);
    fill_card("4000000000000002");
    assert_el("h1", NULL, "Your payment was declined");
    assert_el("#outcome", "data-state", "failed");
    assert_state(&p, "failed", "P0010");
}

static void t_card_processing_error(void **state)
{
    (void)state;
    NEED_BROWSER();
    payment p;
    create_payment("en", &p);
    open_card_form(&p);
    fill_card("4000000000000119");
    assert_el("#outcome", "data-state", "error");
    assert_el("h1", NULL, "There was a problem processing the payment. No money was taken.");
    assert_state(&p, "error", "P0050");
}

/* Expired card and wrong CVC: the error is shown on the card form, the
 * payment stays started, and another card completes it. */
static void t_card_retryable(void **state)
{
    (void)state;
    NEED_BROWSER();
    static const struct { const char *card, *msg; } cases[] = {
        { "4000000000000069", "Your card has expired. Use another card." },
        { "4000000000000127", "The security code is wrong. Check it and try again." },
    };
    for (size_t i = 0; i < 2; i++) {
        payment p;
        create_payment("en", &p);
        open_card_form(&p);
        fill_card(cases[i].card);
        assert_el("#error", NULL, cases[i].msg);
        assert_state(&p, "started", NULL);
        fill_card("4444333322221111");
        assert_el("#outcome", "data-state", "success");
        assert_state(&p, "success", NULL);
    }
}

static void t_cancel(void **state)
{
    (void)state;
    NEED_BROWSER();
    payment p;
    create_payment("en", &p);
    open_card_form(&p);
    click("#cancel");
    assert_el("#outcome", "data-state", "cancelled");
    assert_state(&p, "cancelled", "P0030");
}

static void t_welsh(void **state)
{
    (void)state;
    NEED_BROWSER();
    payment p;
    create_payment("cy", &p);
    navigate(p.url);
    assert_el("html", "lang", "cy");
    assert_el("h1", NULL, "Gwneud taliad");
    assert_el("#continue", NULL, "Parhau");
    click("#continue");
    assert_el("html", "lang", "cy");
    assert_el("#pay", NULL, "Talu nawr");
    assert_el("label[for=card_number]", NULL, "Rhif y cerdyn");
    fill_card("4000000000000069");
    assert_el("#error", NULL, "Mae eich cerdyn wedi dod i ben. Defnyddiwch gerdyn arall.");
    fill_card("4242424242424242");
    assert_el("html", "lang", "cy");
    assert_el("h1", NULL, "Taliad llwyddiannus");
    assert_state(&p, "success", NULL);

    /* Sign-in in Welsh, through the page's own language link. */
    char url[160];
    snprintf(url, sizeof url, "%s/device", g_base);
    navigate(url);
    click("a[lang=cy]");
    assert_el("html", "lang", "cy");
    assert_el("h1", NULL, "Mewngofnodi i'ch teledu");
    assert_el("#approve", NULL, "Cymeradwyo");
    assert_el_has("main", "Rhowch y cod sydd ar eich teledu.");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_device_sign_in),
        cmocka_unit_test(t_device_wrong_code),
        cmocka_unit_test(t_link_preview),
        cmocka_unit_test(t_card_success),
        cmocka_unit_test(t_card_declined),
        cmocka_unit_test(t_card_processing_error),
        cmocka_unit_test(t_card_retryable),
        cmocka_unit_test(t_cancel),
        cmocka_unit_test(t_welsh),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
