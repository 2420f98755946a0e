/*
 * bo_app: what the HTTP layer (bo_server.c) hands to the API handlers, and
 * the helpers the handlers share.  Handlers see a transport-free request
 * and fill a response; they never include microhttpd.h.
 */
#ifndef BO_APP_H
#define BO_APP_H

#include <stddef.h>
#include <stdint.h>

#include "backoffice/bo_server.h"
#include "backoffice/bo_store.h"

typedef struct bo_req {
    const char *method;
    const char *path;           /* without the query string */
    const char *body;           /* NUL-terminated copy of the body */
    size_t body_len;
    /* Header and query lookups through the transport (NULL if absent). */
    const char *(*header)(void *t, const char *name);
    const char *(*query)(void *t, const char *name);
    void *t;
    const char *client;         /* the peer's address as text ("" unknown) */
} bo_req;

typedef struct bo_resp {
    int status;
    char ctype[64];
    char *body;                 /* malloc'd; the server frees it */
    size_t len;
    char location[512];
    char etag[80];
    char cache_control[64];
    int retry_after;            /* seconds, or -1 for none */
    int has_ratelimit;
    long rl_limit, rl_remaining, rl_reset;
} bo_resp;

typedef struct bo_app bo_app;

int bo_app_create(bo_store *store, const bo_config *cfg, const char *base_url,
                  bo_app **out);
void bo_app_destroy(bo_app *app);
void bo_app_handle(bo_app *app, const bo_req *req, bo_resp *resp);

/* Loads the sample tenants, keys, services and slots if the database has no
 * tenants yet (bo_seed.c).  Returns a store error. */
bo_store_err bo_seed_sample(bo_store *store);

#endif
