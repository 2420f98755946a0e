/*
 * Internal to the API handlers (bo_api*.c): the shared context, problem
 * answers (RFC 9457), JSON answers and the idempotent-create wrapper.
 */
#ifndef BO_API_INT_H
#define BO_API_INT_H

#include <cjson/cJSON.h>
#include <pthread.h>

#include "backoffice/bo_app.h"
#include "backoffice/bo_util.h"

#define BO_MAX_TENANTS 256
#define BO_AUTH_CACHE 64

struct bo_idem_hold;

struct bo_app {
    bo_store *store;
    bo_config cfg;
    char base_url[256];
    pthread_mutex_t rl_mu;
    struct {
        char tenant[64];
        int64_t window;     /* start of the current minute */
        long count;
    } rl[BO_MAX_TENANTS];
    int nrl;
    /* Idempotency-Keys this process is running a request for (bo_api.c):
     * a second request with one of them gets its 409 here. */
    pthread_mutex_t idem_mu;
    struct bo_idem_hold *idem_held;
    /* API keys found lately (bo_api.c), by key hash, for a few seconds. */
    pthread_mutex_t auth_mu;
    struct {
        char hash[65];
        char tenant[64];
        char role[16];
        long rate;
        int64_t until;
    } auth[BO_AUTH_CACHE];
};

/* Who is calling: resolved from the bearer credential. */
typedef struct bo_auth {
    char tenant[64];
    char caller[80];        /* "key:" + key hash prefix, or "person:" + id */
    char role[16];          /* "tv", "admin" or "viewer" */
    char person[64];        /* the signed-in viewer, or "" */
    long rate;
} bo_auth;

/* Answers. */
void bo_problem(bo_resp *r, int status, const char *type, const char *title,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void bo_json(bo_resp *r, int status, cJSON *obj);   /* takes obj */
void bo_html(bo_resp *r, int status, bo_buf *b);    /* takes b's text */
void bo_store_problem(bo_resp *r, bo_store_err e);
void bo_iso_time(int64_t t, char out[32]);

/* Authenticates the request (Authorization: Bearer ...).  Returns 0, or -1
 * with the 401 already in r. */
int bo_auth_request(bo_app *app, const bo_req *req, bo_auth *a, bo_resp *r);
/* Counts one request against the tenant's limit and sets the RateLimit
 * fields.  Returns 0, or -1 with the 429 in r. */
int bo_rate_check(bo_app *app, const bo_auth *a, bo_resp *r);

/* Parses a JSON object body: valid UTF-8, an object, at most max_fields
 * members, all named in allowed (NULL-terminated).  Returns the object or
 * NULL with a 400/422 problem in r. */
cJSON *bo_json_body(const bo_req *req, const char *const *allowed, bo_resp *r);

/* A creating operation: runs inside a write transaction, fills r.  A 2xx
 * answer keeps its changes, anything else rolls them back.  It runs as a
 * group-commit job (bo_store_write), possibly on the store's writer thread
 * and possibly more than once (r is emptied before each run): it must use
 * only its arguments (req's method, path and body, not its header or query
 * lookups) and stop at the first failed statement. */
typedef void (*bo_create_fn)(bo_app *app, const bo_auth *a, const bo_req *req,
                             void *arg, bo_db *db, bo_resp *r);
/* Runs fn under the request's Idempotency-Key (if any) so that a retry
 * replays the stored answer byte for byte; the claim of the key, fn's
 * changes and the stored answer commit together, and r is left as fn
 * answered only once that commit has returned (a 503 otherwise). */
void bo_idempotent(bo_app *app, const bo_auth *a, const bo_req *req,
                   bo_create_fn fn, void *arg, bo_resp *r);

/* Appends an audit row (no personal or card data: ids and actions only). */
bo_store_err bo_audit(bo_db *db, const bo_auth *a, const char *action,
                      const char *object_id);

/* Cases (bo_cases.c), shared by forms and Open311.  Creates a case with
 * its first history event inside the caller's transaction; ref receives
 * the new reference ("NO-4KX7B2QP": tenant letters, 8 unambiguous
 * characters). */
bo_store_err bo_case_create(bo_db *db, const bo_auth *a, const char *kind,
                            const char *service, const char *postcode,
                            const char *data, const char *lat, const char *lon,
                            const char *address, const char *status, char ref[16]);

/* Handlers by area. */
void bo_api_cases(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_api_forms(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_api_catalogue(bo_app *app, const bo_req *req, int nseg, bo_resp *r);
void bo_api_open311(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_api_payments(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_pages_pay(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_api_appointments(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_api_oauth(bo_app *app, const bo_req *req, char **seg, int nseg, bo_resp *r);
void bo_pages_device(bo_app *app, const bo_req *req, bo_resp *r);

#endif
