/*
 * The phone pages: plain HTML in English and Welsh that works on a small
 * screen with no JavaScript (WCAG 2.2: labelled fields, a lang attribute,
 * large targets, no timing), one form per step.
 *
 * Payment (GOV.UK Pay's hosted pages are the model):
 *   GET  /p/CODE, /pay/CODE   a summary and a Continue button.  A GET changes
 *                             nothing, so a chat app's link preview cannot
 *                             use up or start the payment.
 *   POST /pay/CODE/start      created -> started; the sandbox card form
 *   POST /pay/CODE/card       the sandbox's card check (GOV.UK Pay's
 *                             published test cards), then the outcome
 *   POST /pay/CODE/cancel     the viewer cancels (P0030)
 * The card number is read here and compared with the test cards; it is
 * never stored or logged (only the brand is kept, as GOV.UK Pay shows it).
 *
 * Sign-in (RFC 8628 section 3.3, user interaction):
 *   GET  /device[?user_code=]  the code form
 *   POST /device               approve or deny; approval signs in a sandbox
 *                              person (a real service hands over to the
 *                              national sign-in here)
 * Wrong codes are limited per client address (section 5.1: brute force):
 * after DEVICE_ATTEMPTS in a DEVICE_WINDOW-second window the page answers
 * 429 with Retry-After and tries no code, not even a right one.  The count
 * is a rate_counters row, shared by servers on one PostgreSQL database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_api_int.h"
#include "backoffice/bo_oauth.h"
#include "backoffice/bo_parse.h"
#include "backoffice/bo_ratelimit.h"

#define DEVICE_ATTEMPTS 10
#define DEVICE_WINDOW 600

enum { EN, CY };

typedef enum {
    T_PAY_TITLE, T_AMOUNT, T_CONTINUE, T_SANDBOX, T_CARD_NUMBER, T_EXPIRY,
    T_NAME, T_CVC, T_PAY_NOW, T_CANCEL, T_SUCCESS, T_DECLINED, T_EXPIRED,
    T_BAD_CVC, T_PROC_ERROR, T_CANCELLED, T_BACK_TO_TV, T_NOT_FOUND,
    T_NOT_TEST_CARD, T_OTHER_LANG, T_SIGNIN_TITLE, T_ENTER_CODE, T_CODE,
    T_APPROVE, T_DENY, T_SIGNED_IN, T_BAD_CODE, T_DENIED, T_ALREADY, T_TOO_MANY, T_COUNT
} text_id;

static const char *const texts[T_COUNT][2] = {
    [T_PAY_TITLE] = { "Make a payment", "Gwneud taliad" },
    [T_AMOUNT] = { "Amount", "Swm" },
    [T_CONTINUE] = { "Continue", "Parhau" },
    [T_SANDBOX] = { "Sandbox: no money is taken.", "Blwch tywod: ni chymerir arian." },
    [T_CARD_NUMBER] = { "Card number", "Rhif y cerdyn" },
    [T_EXPIRY] = { "Expiry date (MM/YY)", "Dyddiad dod i ben (MM/BB)" },
    [T_NAME] = { "Name on card", "Enw ar y cerdyn" },
    [T_CVC] = { "Security code", "Cod diogelwch" },
    [T_PAY_NOW] = { "Pay now", "Talu nawr" },
    [T_CANCEL] = { "Cancel payment", "Canslo'r taliad" },
    [T_SUCCESS] = { "Payment successful", "Taliad llwyddiannus" },
    [T_DECLINED] = { "Your payment was declined", "Cafodd eich taliad ei wrthod" },
    [T_EXPIRED] = { "Your card has expired. Use another card.",
                    "Mae eich cerdyn wedi dod i ben. Defnyddiwch gerdyn arall." },
    [T_BAD_CVC] = { "The security code is wrong. Check it and try again.",
                    "Mae'r cod diogelwch yn anghywir. Gwiriwch ef a rhowch gynnig arall arni." },
    [T_PROC_ERROR] = { "There was a problem processing the payment. No money was taken.",
                       "Roedd problem wrth brosesu'r taliad. Ni chymerwyd arian." },
    [T_CANCELLED] = { "Payment cancelled", "Taliad wedi'i ganslo" },
    [T_BACK_TO_TV] = { "You can now go back to your TV.", "Gallwch nawr fynd yn ôl at eich teledu." },
    [T_NOT_FOUND] = { "Payment not found", "Heb ddod o hyd i'r taliad" },
    [T_NOT_TEST_CARD] = { "This sandbox accepts only the published test card numbers.",
                          "Mae'r blwch tywod hwn yn derbyn rhifau'r cardiau prawf cyhoeddedig yn unig." },
    [T_OTHER_LANG] = { "Cymraeg", "English" },
    [T_SIGNIN_TITLE] = { "Sign in to your TV", "Mewngofnodi i'ch teledu" },
    [T_ENTER_CODE] = { "Enter the code shown on your TV.", "Rhowch y cod sydd ar eich teledu." },
    [T_CODE] = { "Code", "Cod" },
    [T_APPROVE] = { "Approve", "Cymeradwyo" },
    [T_DENY] = { "Deny", "Gwrthod" },
    [T_SIGNED_IN] = { "Your TV is now signed in.", "Mae eich teledu bellach wedi mewngofnodi." },
    [T_BAD_CODE] = { "That code is not valid or has expired.",
                     "Nid yw'r cod yn ddilys neu mae wedi dod i ben." },
    [T_DENIED] = { "Sign-in refused. Your TV stays signed out.",
                   "Gwrthodwyd mewngofnodi. Mae eich teledu yn aros wedi allgofnodi." },
    [T_ALREADY] = { "This payment is finished.", "Mae'r taliad hwn wedi gorffen." },
    [T_TOO_MANY] = { "Too many wrong codes have been tried from here. Wait a few minutes, "
                     "then try again.",
                     "Mae gormod o godau anghywir wedi cael eu rhoi o'r fan hon. Arhoswch ychydig "
                     "funudau, yna rhowch gynnig arall arni." },
};

static const char *tx(int lang, text_id t)
{
    return texts[t][lang];
}

static void page_start(bo_buf *b, int lang, const char *title)
{
    bo_buf_printf(b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>", lang == CY ? "cy" : "en");
    bo_buf_add_html(b, title);
    bo_buf_add(b, "</title><style>body{font-family:sans-serif;font-size:1.2rem;"
                  "line-height:1.5;max-width:32rem;margin:1rem auto;padding:0 1rem;"
                  "color:#0b0c0c}label{display:block;margin-top:1rem;font-weight:bold}"
                  "input{font-size:1.2rem;width:100%;padding:.4rem;box-sizing:border-box}"
                  "button{font-size:1.2rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0}"
                  ".err{border-left:5px solid #d4351c;padding-left:.8rem}</style>"
                  "</head><body><main><h1>");
    bo_buf_add_html(b, title);
    bo_buf_add(b, "</h1>\n");
}

static void page_end(bo_buf *b)
{
    bo_buf_add(b, "</main></body></html>\n");
}

static int lang_of(const bo_req *req, const char *dflt)
{
    const char *q = req->query(req->t, "lang");
    if (q)
        return strcmp(q, "cy") == 0 ? CY : EN;
    return dflt && strcmp(dflt, "cy") == 0 ? CY : EN;
}

/* ---- payment pages ---- */

typedef struct {
    char id[BO_ID_LEN + 1];
    char tenant[64];
    char tenant_name[128];
    char description[256];
    char state[16];
    char lang[4];
    long long amount;
} pay_row;

static bo_store_err load_by_code(bo_db *db, const char *code, pay_row *p, int *found)
{
    const char *par[1] = { code };
    bo_rows *rows = NULL;
    *found = 0;
    bo_store_err e = bo_db_exec(db,
        "SELECT p.id, p.tenant_id, t.name, p.description, p.state, p.language, p.amount "
        "FROM payments p JOIN tenants t ON t.id = p.tenant_id WHERE p.short_code = $1",
        1, par, &rows);
    if (e == BO_STORE_OK && rows && rows->nrows == 1) {
        *found = 1;
        snprintf(p->id, sizeof p->id, "%s", bo_rows_get(rows, 0, 0));
        snprintf(p->tenant, sizeof p->tenant, "%s", bo_rows_get(rows, 0, 1));
        snprintf(p->tenant_name, sizeof p->tenant_name, "%s", bo_rows_get(rows, 0, 2));
        snprintf(p->description, sizeof p->description, "%s", bo_rows_get(rows, 0, 3));
        snprintf(p->state, sizeof p->state, "%s", bo_rows_get(rows, 0, 4));
        snprintf(p->lang, sizeof p->lang, "%s", bo_rows_get(rows, 0, 5));
        p->amount = atoll(bo_rows_get(rows, 0, 6));
    }
    bo_rows_free(rows);
    return e;
}

static void summary(bo_buf *b, int lang, const pay_row *p)
{
    bo_buf_add(b, "<p>");
    bo_buf_add_html(b, p->tenant_name);
    bo_buf_add(b, ": ");
    bo_buf_add_html(b, p->description);
    bo_buf_printf(b, "</p><p>%s: <strong>&pound;%lld.%02lld</strong></p>\n",
                  tx(lang, T_AMOUNT), p->amount / 100, p->amount % 100);
}

static void lang_link(bo_buf *b, int lang, const char *path)
{
    bo_buf_printf(b, "<p><a href=\"%s?lang=%s\" lang=\"%s\">%s</a></p>\n", path,
                  lang == CY ? "en" : "cy", lang == CY ? "en" : "cy", tx(lang, T_OTHER_LANG));
}

static void outcome_page(bo_buf *b, int lang, const pay_row *p)
{
    text_id t = strcmp(p->state, "success") == 0 ? T_SUCCESS
              : strcmp(p->state, "failed") == 0 ? T_DECLINED
              : strcmp(p->state, "cancelled") == 0 ? T_CANCELLED
              : strcmp(p->state, "error") == 0 ? T_PROC_ERROR : T_ALREADY;
    page_start(b, lang, tx(lang, t));
    summary(b, lang, p);
    bo_buf_printf(b, "<p id=\"outcome\" data-state=\"%s\">%s</p>\n", p->state,
                  tx(lang, T_BACK_TO_TV));
    page_end(b);
}

static void card_form(bo_buf *b, int lang, const pay_row *p, const char *code,
                      text_id error)
{
    page_start(b, lang, tx(lang, T_PAY_TITLE));
    summary(b, lang, p);
    if (error != T_COUNT)
        bo_buf_printf(b, "<p class=\"err\" role=\"alert\" id=\"error\">%s</p>\n", tx(lang, error));
    bo_buf_printf(b, "<p>%s</p>\n<form method=\"post\" action=\"/pay/%s/card?lang=%s\">\n",
                  tx(lang, T_SANDBOX), code, lang == CY ? "cy" : "en");
    bo_buf_printf(b, "<label for=\"card_number\">%s</label><input id=\"card_number\" "
                  "name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required>\n",
                  tx(lang, T_CARD_NUMBER));
    bo_buf_printf(b, "<label for=\"expiry\">%s</label><input id=\"expiry\" name=\"expiry\" "
                  "autocomplete=\"cc-exp\" required>\n", tx(lang, T_EXPIRY));
    bo_buf_printf(b, "<label for=\"name\">%s</label><input id=\"name\" name=\"name\" "
                  "autocomplete=\"cc-name\" required>\n", tx(lang, T_NAME));
    bo_buf_printf(b, "<label for=\"cvc\">%s</label><input id=\"cvc\" name=\"cvc\" "
                  "inputmode=\"numeric\" autocomplete=\"cc-csc\" required>\n", tx(lang, T_CVC));
    bo_buf_printf(b, "<button type=\"submit\" id=\"pay\">%s</button></form>\n", tx(lang, T_PAY_NOW));
    bo_buf_printf(b, "<form method=\"post\" action=\"/pay/%s/cancel?lang=%s\">"
                  "<button type=\"submit\" id=\"cancel\">%s</button></form>\n",
                  code, lang == CY ? "cy" : "en", tx(lang, T_CANCEL));
    page_end(b);
}

/* The sandbox's answer for a card number (GOV.UK Pay "Test your
 * integration": mock card numbers). */
typedef enum { CARD_SUCCESS, CARD_DECLINED, CARD_EXPIRED, CARD_BAD_CVC,
               CARD_PROC_ERROR, CARD_UNKNOWN } card_outcome;

static card_outcome card_check(const char *number, const char **brand)
{
    char digits[32];
    size_t n = 0;
    for (const char *s = number; *s; s++) {
        if (*s == ' ' || *s == '-')
            continue;
        if (*s < '0' || *s > '9' || n + 1 >= sizeof digits)
            return CARD_UNKNOWN;
        digits[n++] = *s;
    }
    digits[n] = '\0';
    *brand = "visa";
    if (strcmp(digits, "4444333322221111") == 0 || strcmp(digits, "4242424242424242") == 0)
        return CARD_SUCCESS;
    if (strcmp(digits, "4000000000000002") == 0) return CARD_DECLINED;
    if (strcmp(digits, "4000000000000069") == 0) return CARD_EXPIRED;
    if (strcmp(digits, "4000000000000127") == 0) return CARD_BAD_CVC;
    if (strcmp(digits, "4000000000000119") == 0) return CARD_PROC_ERROR;
    return CARD_UNKNOWN;
}

/* Moves the payment from one state to another; *moved says whether it was
 * in the from state. */
static bo_store_err transition(bo_db *db, const pay_row *p, const char *from,
                               const char *to, const char *code, const char *brand,
                               int *moved)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)bo_now());
    const char *par[6] = { p->id, from, to, code, brand, now };
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_exec(db,
        "UPDATE payments SET state = $3, failure_code = $4, "
        "card_brand = COALESCE($5, card_brand), updated = $6 "
        "WHERE id = $1 AND state = $2 RETURNING id", 6, par, &rows);
    *moved = e == BO_STORE_OK && rows && rows->nrows == 1;
    bo_rows_free(rows);
    if (e == BO_STORE_OK && *moved) {
        bo_auth a;
        memset(&a, 0, sizeof a);
        snprintf(a.tenant, sizeof a.tenant, "%s", p->tenant);
        snprintf(a.caller, sizeof a.caller, "phone");
        char action[32];
        snprintf(action, sizeof action, "payment.%s", to);
        e = bo_audit(db, &a, action, p->id);
    }
    return e;
}

static void pay_post(bo_app *app, const bo_req *req, const char *code, const char *step,
                     bo_resp *r)
{
    bo_form form = { NULL, 0 };
    bo_parse_err pe = bo_form_parse(req->body, req->body_len, &form);
    if (pe != BO_PARSE_OK) {
        bo_problem(r, 400, "bad-request", "Bad request", "form: %s", bo_parse_strerror(pe));
        return;
    }
    bo_db *db = bo_store_acquire(app->store);
    bo_buf b = { 0 };
    pay_row p;
    int found = 0, moved = 0, status = 200;
    bo_store_err e = bo_db_begin(db, 1);
    if (e == BO_STORE_OK)
        e = load_by_code(db, code, &p, &found);
    int lang = found ? lang_of(req, p.lang) : lang_of(req, NULL);
    if (e != BO_STORE_OK || !found)
        goto done;
    if (strcmp(step, "start") == 0) {
        e = transition(db, &p, "created", "started", NULL, NULL, &moved);
        if (e == BO_STORE_OK && (moved || strcmp(p.state, "started") == 0))
            card_form(&b, lang, &p, code, T_COUNT);
        else if (e == BO_STORE_OK)
            outcome_page(&b, lang, &p);
    } else if (strcmp(step, "cancel") == 0) {
        if (strcmp(p.state, "created") == 0 || strcmp(p.state, "started") == 0) {
            char from[16];
            snprintf(from, sizeof from, "%s", p.state);
            e = transition(db, &p, from, "cancelled", "P0030", NULL, &moved);
            if (e == BO_STORE_OK && moved)
                snprintf(p.state, sizeof p.state, "cancelled");
        }
        if (e == BO_STORE_OK)
            outcome_page(&b, lang, &p);
    } else if (strcmp(step, "card") == 0) {
        if (strcmp(p.state, "started") != 0) {
            outcome_page(&b, lang, &p);
            goto done;
        }
        const char *num = bo_form_get(&form, "card_number");
        const char *brand = NULL;
        card_outcome oc = num ? card_check(num, &brand) : CARD_UNKNOWN;
        const char *final = NULL, *fcode = NULL;
        switch (oc) {
        case CARD_SUCCESS: final = "success"; break;
        case CARD_DECLINED: final = "failed"; fcode = "P0010"; break;
        case CARD_PROC_ERROR: final = "error"; fcode = "P0050"; break;
        case CARD_EXPIRED: status = 422; card_form(&b, lang, &p, code, T_EXPIRED); break;
        case CARD_BAD_CVC: status = 422; card_form(&b, lang, &p, code, T_BAD_CVC); break;
        case CARD_UNKNOWN: status = 422; card_form(&b, lang, &p, code, T_NOT_TEST_CARD); break;
        }
        if (final) {
            /* started -> submitted -> outcome, both steps audited. */
            e = transition(db, &p, "started", "submitted", NULL, brand, &moved);
            if (e == BO_STORE_OK && moved)
                e = transition(db, &p, "submitted", final, fcode, NULL, &moved);
            if (e == BO_STORE_OK) {
                snprintf(p.state, sizeof p.state, "%s", final);
                outcome_page(&b, lang, &p);
            }
        }
    } else {
        found = 0;
    }
done:
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(app->store, db);
    bo_form_free(&form);
    if (e != BO_STORE_OK) {
        free(b.p);
        bo_store_problem(r, e);
        return;
    }
    if (!found) {
        free(b.p);
        b = (bo_buf){ 0 };
        page_start(&b, lang, tx(lang, T_NOT_FOUND));
        page_end(&b);
        status = 404;
    }
    bo_html(r, status, &b);
}

static int valid_code(const char *s)
{
    size_t n = strlen(s);
    if (n != 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("BCDFGHJKLMNPQRSTVWXZ23456789", s[i]))
            return 0;
    return 1;
}

void bo_pages_pay(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r)
{
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    bo_buf b = { 0 };
    if (nseg < 1 || nseg > 2 || !valid_code(seg[0]) || (nseg == 2 && !post) ||
        (nseg == 1 && !get)) {
        int lang = lang_of(req, NULL);
        page_start(&b, lang, tx(lang, T_NOT_FOUND));
        page_end(&b);
        bo_html(r, 404, &b);
        return;
    }
    if (nseg == 2) {
        pay_post(app, req, seg[0], seg[1], r);
        return;
    }
    bo_db *db = bo_store_acquire(app->store);
    pay_row p;
    int found = 0;
    bo_store_err e = load_by_code(db, seg[0], &p, &found);
    bo_store_release(app->store, db);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    int lang = lang_of(req, found ? p.lang : NULL);
    if (!found) {
        page_start(&b, lang, tx(lang, T_NOT_FOUND));
        page_end(&b);
        bo_html(r, 404, &b);
        return;
    }
    if (strcmp(p.state, "created") != 0 && strcmp(p.state, "started") != 0) {
        outcome_page(&b, lang, &p);
        bo_html(r, 200, &b);
        return;
    }
    page_start(&b, lang, tx(lang, T_PAY_TITLE));
    summary(&b, lang, &p);
    bo_buf_printf(&b, "<form method=\"post\" action=\"/pay/%s/start?lang=%s\">"
                  "<button type=\"submit\" id=\"continue\">%s</button></form>\n",
                  seg[0], lang == CY ? "cy" : "en", tx(lang, T_CONTINUE));
    char path[32];
    snprintf(path, sizeof path, "/pay/%s", seg[0]);
    lang_link(&b, lang, path);
    page_end(&b);
    bo_html(r, 200, &b);
}

/* ---- sign-in approval page ---- */

static void device_form(bo_buf *b, int lang, const char *prefill, text_id error)
{
    page_start(b, lang, tx(lang, T_SIGNIN_TITLE));
    if (error != T_COUNT)
        bo_buf_printf(b, "<p class=\"err\" role=\"alert\" id=\"error\">%s</p>\n", tx(lang, error));
    bo_buf_printf(b, "<p>%s</p><form method=\"post\" action=\"/device?lang=%s\">"
                  "<label for=\"user_code\">%s</label><input id=\"user_code\" name=\"user_code\" "
                  "autocomplete=\"off\" autocapitalize=\"characters\" required value=\"",
                  tx(lang, T_ENTER_CODE), lang == CY ? "cy" : "en", tx(lang, T_CODE));
    bo_buf_add_html(b, prefill ? prefill : "");
    bo_buf_printf(b, "\"><button type=\"submit\" name=\"action\" value=\"approve\" id=\"approve\">%s"
                  "</button><button type=\"submit\" name=\"action\" value=\"deny\" id=\"deny\">%s"
                  "</button></form>\n", tx(lang, T_APPROVE), tx(lang, T_DENY));
    lang_link(b, lang, "/device");
    page_end(b);
}

void bo_pages_device(bo_app *app, const bo_req *req, bo_resp *r)
{
    int lang = lang_of(req, NULL);
    bo_buf b = { 0 };
    if (strcmp(req->method, "GET") == 0) {
        const char *q = req->query(req->t, "user_code");
        if (q && strlen(q) > 32)
            q = NULL;
        device_form(&b, lang, q, T_COUNT);
        bo_html(r, 200, &b);
        return;
    }
    if (strcmp(req->method, "POST") != 0) {
        bo_problem(r, 405, "method-not-allowed", "Method not allowed", "Use GET or POST.");
        return;
    }
    bo_form form = { NULL, 0 };
    bo_parse_err pe = bo_form_parse(req->body, req->body_len, &form);
    if (pe != BO_PARSE_OK) {
        bo_problem(r, 400, "bad-request", "Bad request", "form: %s", bo_parse_strerror(pe));
        return;
    }
    const char *code = bo_form_get(&form, "user_code");
    const char *action = bo_form_get(&form, "action");
    int approve = action && strcmp(action, "approve") == 0;
    int deny = action && strcmp(action, "deny") == 0;
    bo_device_result res = BO_DEVICE_BAD_CODE;
    char bucket[80];
    snprintf(bucket, sizeof bucket, "device:%s", req->client && req->client[0] ? req->client : "?");
    int64_t now = bo_now(), win = now - now % DEVICE_WINDOW;
    long wrong = 0;
    bo_store_err e = bo_counter_get(app->store, bucket, win, &wrong);
    if (e == BO_STORE_OK && wrong >= DEVICE_ATTEMPTS) {
        bo_form_free(&form);
        device_form(&b, lang, NULL, T_TOO_MANY);
        bo_html(r, 429, &b);
        r->retry_after = (int)(win + DEVICE_WINDOW - now);
        return;
    }
    if (e == BO_STORE_OK && code && (approve || deny)) {
        e = bo_device_decide(app, code, approve, &res);
        if (e == BO_STORE_OK && res == BO_DEVICE_BAD_CODE)
            e = bo_counter_hit(app->store, bucket, win, &wrong);
    }
    bo_form_free(&form);
    if (e != BO_STORE_OK) {
        bo_store_problem(r, e);
        return;
    }
    if (res == BO_DEVICE_BAD_CODE) {
        device_form(&b, lang, NULL, T_BAD_CODE);
        bo_html(r, 422, &b);
        return;
    }
    text_id t = res == BO_DEVICE_APPROVED ? T_SIGNED_IN : T_DENIED;
    page_start(&b, lang, tx(lang, T_SIGNIN_TITLE));
    bo_buf_printf(&b, "<p id=\"outcome\" data-state=\"%s\">%s</p>\n",
                  res == BO_DEVICE_APPROVED ? "approved" : "denied", tx(lang, t));
    page_end(&b);
    bo_html(r, 200, &b);
}
