/*
 * bo_server: libmicrohttpd glue and the configuration.  HTTP/1.1 semantics
 * per RFC 9110/9112; bodies over the ceiling get 413 (RFC 9110 section
 * 15.5.14) as problem+json (RFC 9457); graceful stop via MHD_quiesce_daemon.
 */
#include "backoffice/bo_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/bo_app.h"
#include "backoffice/bo_parse.h"
#include "backoffice/bo_util.h"

void bo_config_defaults(bo_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1");
    c->port = 8080;
    snprintf(c->database, sizeof c->database, "civictv-backoffice.db");
    /* A request holds its worker thread until its transaction has
     * committed, so the threads bound how many requests one group commit
     * can carry (bo_store.h); libmicrohttpd also spreads connections over
     * them unevenly, so keep well more than the clients expected at once. */
    c->threads = 32;
    c->max_body = 64 * 1024;
    c->timeout = 15;
    c->request_timeout = 30;
    c->grace = 30;
    c->device_interval = 5;
    c->idem_lease = 60;
}

static int set_str(char *dst, size_t cap, const char *v, const char *key,
                   char *err, size_t errlen)
{
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s: value too long (at most %zu bytes)", key, cap - 1);
        return -1;
    }
    snprintf(dst, cap, "%s", v);
    return 0;
}

static int set_int(int64_t *out, const char *v, int64_t min, int64_t max,
                   const char *key, char *err, size_t errlen)
{
    if (bo_parse_i64(v, min, max, out) != 0) {
        snprintf(err, errlen, "%s: must be a whole number from %lld to %lld",
                 key, (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

int bo_config_set(bo_config *c, const char *key, const char *v,
                  char *err, size_t errlen)
{
    int64_t n;
    if (strcmp(key, "listen") == 0)
        return set_str(c->listen, sizeof c->listen, v, key, err, errlen);
    if (strcmp(key, "database") == 0)
        return set_str(c->database, sizeof c->database, v, key, err, errlen);
    if (strcmp(key, "cert") == 0)
        return set_str(c->cert, sizeof c->cert, v, key, err, errlen);
    if (strcmp(key, "key") == 0)
        return set_str(c->key, sizeof c->key, v, key, err, errlen);
    if (strcmp(key, "base_url") == 0)
        return set_str(c->base_url, sizeof c->base_url, v, key, err, errlen);
    if (strcmp(key, "port") == 0) {
        if (set_int(&n, v, 0, 65535, key, err, errlen)) return -1;
        c->port = (int)n;
        return 0;
    }
    if (strcmp(key, "threads") == 0) {
        if (set_int(&n, v, 1, 256, key, err, errlen)) return -1;
        c->threads = (int)n;
        return 0;
    }
    if (strcmp(key, "db_pool") == 0) {
        if (set_int(&n, v, 1, 256, key, err, errlen)) return -1;
        c->db_pool = (int)n;
        return 0;
    }
    if (strcmp(key, "max_body") == 0) {
        if (set_int(&n, v, 1024, 16 * 1024 * 1024, key, err, errlen)) return -1;
        c->max_body = (size_t)n;
        return 0;
    }
    if (strcmp(key, "timeout") == 0) {
        if (set_int(&n, v, 1, 3600, key, err, errlen)) return -1;
        c->timeout = (int)n;
        return 0;
    }
    if (strcmp(key, "request_timeout") == 0) {
        if (set_int(&n, v, 1, 3600, key, err, errlen)) return -1;
        c->request_timeout = (int)n;
        return 0;
    }
    if (strcmp(key, "per_ip_limit") == 0) {
        if (set_int(&n, v, 0, 65535, key, err, errlen)) return -1;
        c->per_ip_limit = (int)n;
        return 0;
    }
    if (strcmp(key, "grace") == 0) {
        if (set_int(&n, v, 0, 3600, key, err, errlen)) return -1;
        c->grace = (int)n;
        return 0;
    }
    if (strcmp(key, "device_interval") == 0) {
        if (set_int(&n, v, 0, 60, key, err, errlen)) return -1;
        c->device_interval = (int)n;
        return 0;
    }
    if (strcmp(key, "idem_lease") == 0) {
        if (set_int(&n, v, 1, 86400, key, err, errlen)) return -1;
        c->idem_lease = (int)n;
        return 0;
    }
    if (strcmp(key, "group_commit") == 0) {
        if (strcmp(v, "on") == 0) c->group_commit = 1;
        else if (strcmp(v, "off") == 0) c->group_commit = -1;
        else if (strcmp(v, "auto") == 0) c->group_commit = 0;
        else {
            snprintf(err, errlen, "group_commit: must be on, off or auto");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "sqlite_max_pages") == 0) {
        if (set_int(&n, v, 0, 1L << 30, key, err, errlen)) return -1;
        c->sqlite_max_pages = (long)n;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        if (strcmp(v, "sample") == 0) c->seed = 1;
        else if (strcmp(v, "none") == 0) c->seed = 0;
        else {
            snprintf(err, errlen, "seed: must be sample or none");
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: unknown option", key);
    return -1;
}

struct load_ctx {
    bo_config *c;
    char *err;
    size_t errlen;
};

static int load_cb(void *ctx, const char *key, const char *value)
{
    struct load_ctx *l = ctx;
    return bo_config_set(l->c, key, value, l->err, l->errlen);
}

int bo_config_load(bo_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char *buf = malloc(65537);
    size_t n = buf ? fread(buf, 1, 65537, f) : 0;
    fclose(f);
    if (!buf || n > 65536) {
        free(buf);
        snprintf(err, errlen, "%s: too large (at most 64 KiB)", path);
        return -1;
    }
    char inner[256] = "";
    struct load_ctx l = { c, inner, sizeof inner };
    int line = 0;
    bo_parse_err e = bo_config_parse(buf, n, load_cb, &l, &line);
    free(buf);
    if (e != BO_PARSE_OK) {
        snprintf(err, errlen, "%s:%d: %s", path, line,
                 inner[0] ? inner : bo_parse_strerror(e));
        return -1;
    }
    return 0;
}

/* ---- the server ---- */

/* One open connection, for the request deadline.  libmicrohttpd's
 * MHD_OPTION_CONNECTION_TIMEOUT counts only idleness, so a client sending a
 * byte a second would keep a connection (and with many, every connection
 * slot) forever.  A request must therefore arrive whole within
 * request_timeout of the connection's start or of its previous answer: the
 * watchdog thread shuts the socket down under a connection still sending
 * its headers or body after that; libmicrohttpd then reads end-of-file and
 * closes it.  (A 408 answer is not possible there: libmicrohttpd 0.9 takes
 * a response only right after the headers or once the body is in.) */
enum { PH_HEAD, PH_BODY, PH_DONE };

typedef struct conn_track {
    struct conn_track *prev, *next;
    MHD_socket fd;
    int64_t since_ms;           /* when the current request's clock started */
    int phase;                  /* PH_HEAD, PH_BODY or PH_DONE (answering) */
    int cut;                    /* the watchdog has shut it down */
} conn_track;

struct bo_server {
    bo_config cfg;
    struct MHD_Daemon *d;
    bo_store *store;
    bo_app *app;
    char *tls_cert, *tls_key;
    int port;
    char base_url[256];
    pthread_mutex_t mu;
    int active;                 /* requests between first byte and completion */
    /* Open connections (under mu) and the watchdog that enforces
     * request_timeout on them. */
    conn_track *conns;
    pthread_t watchdog;
    int watchdog_on;
    int stopping;               /* under mu: the watchdog ends */
    pthread_cond_t wake;
};

typedef struct {
    char *body;
    size_t len, cap;
    int too_big;
    int answered;
} req_ctx;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static conn_track *track_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Moves the request on c to a phase; PH_HEAD starts the clock of the
 * connection's next request. */
static void track_set(bo_server *s, struct MHD_Connection *c, int phase)
{
    conn_track *t = track_of(c);
    if (!t)
        return;
    pthread_mutex_lock(&s->mu);
    t->phase = phase;
    if (phase == PH_HEAD)
        t->since_ms = now_ms();
    pthread_mutex_unlock(&s->mu);
}

/* Whether the request on c has run past its deadline. */
static int track_late(bo_server *s, struct MHD_Connection *c)
{
    conn_track *t = track_of(c);
    if (!t)
        return 0;
    pthread_mutex_lock(&s->mu);
    int late = now_ms() - t->since_ms > (int64_t)s->cfg.request_timeout * 1000;
    pthread_mutex_unlock(&s->mu);
    return late;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    bo_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_track *t = ci ? calloc(1, sizeof *t) : NULL;
        if (!t)
            return; /* untracked: only the idle timeout applies */
        t->fd = ci->connect_fd;
        t->since_ms = now_ms();
        t->phase = PH_HEAD;
        pthread_mutex_lock(&s->mu);
        t->next = s->conns;
        if (s->conns)
            s->conns->prev = t;
        s->conns = t;
        pthread_mutex_unlock(&s->mu);
        *socket_context = t;
        return;
    }
    /* Closed.  libmicrohttpd tells before it closes the socket, so while an
     * entry is in the list its fd is still this connection's. */
    conn_track *t = *socket_context;
    if (!t)
        return;
    pthread_mutex_lock(&s->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        s->conns = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&s->mu);
    free(t);
    *socket_context = NULL;
}

static void *watchdog_main(void *arg)
{
    bo_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        int64_t now = now_ms(), limit = (int64_t)s->cfg.request_timeout * 1000;
        for (conn_track *t = s->conns; t; t = t->next)
            if (t->phase != PH_DONE && !t->cut && now - t->since_ms > limit) {
                /* Not close(): the fd stays libmicrohttpd's to close. */
                shutdown(t->fd, SHUT_RDWR);
                t->cut = 1;
            }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static const char *hdr_lookup(void *t, const char *name)
{
    return MHD_lookup_connection_value(t, MHD_HEADER_KIND, name);
}

static const char *query_lookup(void *t, const char *name)
{
    return MHD_lookup_connection_value(t, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_resp(struct MHD_Connection *c, bo_resp *r)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        r->len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (!m) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL;
    if (r->ctype[0])
        MHD_add_response_header(m, "Content-Type", r->ctype);
    if (r->location[0])
        MHD_add_response_header(m, "Location", r->location);
    if (r->etag[0])
        MHD_add_response_header(m, "ETag", r->etag);
    MHD_add_response_header(m, "Cache-Control",
                            r->cache_control[0] ? r->cache_control : "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    char v[32];
    if (r->retry_after >= 0) {
        snprintf(v, sizeof v, "%d", r->retry_after);
        MHD_add_response_header(m, "Retry-After", v);
    }
    if (r->has_ratelimit) {
        snprintf(v, sizeof v, "%ld", r->rl_limit);
        MHD_add_response_header(m, "RateLimit-Limit", v);
        snprintf(v, sizeof v, "%ld", r->rl_remaining);
        MHD_add_response_header(m, "RateLimit-Remaining", v);
        snprintf(v, sizeof v, "%ld", r->rl_reset);
        MHD_add_response_header(m, "RateLimit-Reset", v);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, m);
    MHD_destroy_response(m);
    return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *c, size_t max)
{
    bo_resp r;
    memset(&r, 0, sizeof r);
    r.status = 413;
    r.retry_after = -1;
    snprintf(r.ctype, sizeof r.ctype, "application/problem+json");
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"type\":\"/problems/body-too-large\",\"title\":\"Request body too large\","
                     "\"status\":413,\"detail\":\"The body is over %zu bytes.\"}", max);
    r.body = strdup(body);
    r.len = r.body ? (size_t)n : 0;
    return send_resp(c, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    bo_server *s = cls;
    req_ctx *rc = *con_cls;
    /* The daemon accepts as soon as it starts, before bo_server_start has
     * published the app (the base URL needs the bound port): until then a
     * connection is closed unanswered, as if the server were not up yet. */
    if (!__atomic_load_n(&s->app, __ATOMIC_ACQUIRE))
        return MHD_NO;
    if (!rc) {
        rc = calloc(1, sizeof *rc);
        if (!rc)
            return MHD_NO;
        *con_cls = rc;
        pthread_mutex_lock(&s->mu);
        s->active++;
        pthread_mutex_unlock(&s->mu);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t n;
        if (cl && (bo_parse_i64(cl, 0, INT64_MAX, &n) != 0 || (uint64_t)n > s->cfg.max_body)) {
            rc->too_big = 1;
            rc->answered = 1;
            track_set(s, c, PH_DONE);
            return too_large(c, s->cfg.max_body);
        }
        track_set(s, c, PH_BODY);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rc->too_big)
            return MHD_YES;
        if (track_late(s, c))
            return MHD_NO; /* a body dribbling in past the deadline: close */
        if (rc->len + n > s->cfg.max_body) {
            /* A chunked body that grew over the ceiling. */
            rc->too_big = 1;
            rc->answered = 1;
            free(rc->body);
            rc->body = NULL;
            track_set(s, c, PH_DONE);
            return too_large(c, s->cfg.max_body);
        }
        if (rc->len + n + 1 > rc->cap) {
            size_t cap = rc->cap ? rc->cap : 1024;
            while (cap < rc->len + n + 1)
                cap *= 2;
            char *p = realloc(rc->body, cap);
            if (!p)
                return MHD_NO;
            rc->body = p;
            rc->cap = cap;
        }
        memcpy(rc->body + rc->len, upload, n);
        rc->len += n;
        rc->body[rc->len] = '\0';
        return MHD_YES;
    }
    if (rc->answered)
        return MHD_YES;
    rc->answered = 1;
    track_set(s, c, PH_DONE);
    char client[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
                  client, sizeof client);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
                  client, sizeof client);
    bo_req req = {
        .method = method, .path = url,
        .body = rc->body ? rc->body : "", .body_len = rc->len,
        .header = hdr_lookup, .query = query_lookup, .t = c, .client = client,
    };
    bo_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.retry_after = -1;
    bo_app_handle(s->app, &req, &resp);
    return send_resp(c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    bo_server *s = cls;
    /* The next request on this connection has its own deadline. */
    track_set(s, c, PH_HEAD);
    req_ctx *rc = *con_cls;
    if (!rc)
        return;
    free(rc->body);
    free(rc);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->active--;
    pthread_mutex_unlock(&s->mu);
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        snprintf(err, errlen, "%s: empty or unreadable", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "localhost") == 0;
}

static void watchdog_stop(bo_server *s)
{
    if (!s->watchdog_on)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->watchdog, NULL);
    s->watchdog_on = 0;
}

int bo_server_start(const bo_config *cfg, bo_server **out, char *err, size_t errlen)
{
    *out = NULL;
    bo_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    int tls = cfg->cert[0] || cfg->key[0];
    if (tls && !(cfg->cert[0] && cfg->key[0])) {
        snprintf(err, errlen, "cert and key: give both for HTTPS, or neither");
        goto fail;
    }
    if (!tls && !is_loopback(cfg->listen)) {
        snprintf(err, errlen, "listen %s: plain HTTP is only allowed on loopback; "
                 "give cert and key for HTTPS", cfg->listen);
        goto fail;
    }
    if (tls && (!(s->tls_cert = read_file(cfg->cert, err, errlen)) ||
                !(s->tls_key = read_file(cfg->key, err, errlen))))
        goto fail;

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC;
    const char *addr = strcmp(cfg->listen, "localhost") == 0 ? "127.0.0.1" : cfg->listen;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "listen %s: not an IPv4 or IPv6 address", cfg->listen);
        goto fail;
    }
    if (tls)
        flags |= MHD_USE_TLS;

    bo_store_cfg sc = { .spec = cfg->database,
                        .pool_size = cfg->db_pool > 0 ? cfg->db_pool : cfg->threads + 2,
                        .sqlite_max_pages = cfg->sqlite_max_pages,
                        .group_commit = cfg->group_commit };
    if (bo_store_open(&sc, &s->store, err, errlen) != BO_STORE_OK)
        goto fail;
    if (cfg->seed && bo_seed_sample(s->store) != BO_STORE_OK) {
        snprintf(err, errlen, "database %s: loading the sample data failed", cfg->database);
        goto fail;
    }

    struct MHD_OptionItem tls_opts[] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key },
        { MHD_OPTION_END, 0, NULL },
    };
    struct MHD_OptionItem ip_opts[] = {
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        goto fail;
    }
    s->watchdog_on = 1;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_ARRAY, cfg->per_ip_limit > 0 ? ip_opts : ip_opts + 1,
                            MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2,
                            MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "listen %s port %d: cannot start the server "
                 "(address in use, or a bad certificate or key)", cfg->listen, cfg->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    if (cfg->base_url[0])
        snprintf(s->base_url, sizeof s->base_url, "%s", cfg->base_url);
    else
        snprintf(s->base_url, sizeof s->base_url, "%s://%s%s%s:%d",
                 tls ? "https" : "http", strchr(addr, ':') ? "[" : "", addr,
                 strchr(addr, ':') ? "]" : "", s->port);
    bo_app *app = NULL;
    if (bo_app_create(s->store, cfg, s->base_url, &app) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    __atomic_store_n(&s->app, app, __ATOMIC_RELEASE); /* see on_request */
    *out = s;
    return 0;
fail:
    if (s->d)
        MHD_stop_daemon(s->d);
    watchdog_stop(s);
    bo_store_close(s->store);
    free(s->tls_cert);
    free(s->tls_key);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return -1;
}

int bo_server_port(const bo_server *s)
{
    return s->port;
}

const char *bo_server_base_url(const bo_server *s)
{
    return s->base_url;
}

void bo_server_stop(bo_server *s)
{
    if (!s)
        return;
    /* Stop accepting; requests already read run to the end and answer. */
    MHD_socket ls = MHD_quiesce_daemon(s->d);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    for (int waited = 0; waited < s->cfg.grace * 50; waited++) {
        pthread_mutex_lock(&s->mu);
        int active = s->active;
        pthread_mutex_unlock(&s->mu);
        if (active == 0)
            break;
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    /* Every connection is closed now (and off the list). */
    watchdog_stop(s);
    bo_app_destroy(s->app);
    bo_store_close(s->store);
    free(s->tls_cert);
    free(s->tls_key);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
