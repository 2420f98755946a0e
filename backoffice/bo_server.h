/*
 * bo_server: civictv-backoffice's HTTP(S) server.
 *
 * libmicrohttpd with its internal thread pool serves HTTP/1.1 (RFC 9112);
 * HTTPS through its GnuTLS support when a certificate and key are given.
 * Plain HTTP is refused on anything but a loopback address, so a real
 * deployment cannot run without TLS by mistake.
 *
 * Every request body has a ceiling (413 beyond it), idle connections time
 * out, a request must arrive whole within request_timeout (a client that
 * sends a byte a second is cut off: libmicrohttpd's own timeout counts only
 * idleness), and bo_server_stop() is graceful: it stops accepting, lets
 * requests already in flight finish and answer, then closes.
 */
#ifndef BO_SERVER_H
#define BO_SERVER_H

#include <stddef.h>

typedef struct bo_config {
    char listen[64];        /* address to bind; default 127.0.0.1 */
    int port;               /* 0: any free port (see bo_server_port) */
    char database[1024];    /* SQLite path or PostgreSQL connection string */
    char cert[512];         /* PEM files for HTTPS; both or neither */
    char key[512];
    char base_url[256];     /* public URL for links; default from listen:port */
    int threads;            /* worker threads; default 32 */
    int db_pool;            /* database connections; default threads + 2 */
    size_t max_body;        /* request body ceiling in bytes; default 64 KiB */
    int timeout;            /* idle connection timeout, seconds; default 15 */
    int request_timeout;    /* seconds a client has to send a whole request
                             * (headers and body) from its connection or its
                             * previous answer; slower ones are closed;
                             * default 30 */
    int per_ip_limit;       /* connections at once from one address; 0:
                             * no limit (the default, for proxies) */
    int grace;              /* seconds a stop waits for requests; default 30 */
    int seed;               /* 1: load the sample tenants on first start */
    long sqlite_max_pages;  /* SQLite file quota in pages; 0: none */
    int device_interval;    /* RFC 8628 polling interval, seconds; default 5 */
    int idem_lease;         /* seconds before an in-flight Idempotency-Key
                             * claim of a crashed request may be taken
                             * over; default 60 */
    int group_commit;       /* 1 on, -1 off, 0 the engine's default (on for
                             * SQLite, off for PostgreSQL): bo_store.h */
} bo_config;

void bo_config_defaults(bo_config *c);
/* Sets one option by its config-file name ("port", "database", ...).
 * Returns 0, or -1 with a message naming the option in err. */
int bo_config_set(bo_config *c, const char *key, const char *value,
                  char *err, size_t errlen);
/* The sample data's published API keys (bo_seed.c), for printing: the
 * i-th key with its tenant and role, or NULL past the last. */
const char *bo_seed_sample_key(int i, const char **tenant, const char **role);
/* Reads a config file of "key = value" lines. */
int bo_config_load(bo_config *c, const char *path, char *err, size_t errlen);

typedef struct bo_server bo_server;

/* Opens (creating and migrating) the database, then starts serving.
 * Returns 0, or -1 with a message in err. */
int bo_server_start(const bo_config *cfg, bo_server **out, char *err, size_t errlen);
/* The bound port (useful with port 0). */
int bo_server_port(const bo_server *s);
/* The base URL links are built from, e.g. "http://127.0.0.1:8080". */
const char *bo_server_base_url(const bo_server *s);
/* Graceful stop: no new connections, requests in flight finish (up to
 * cfg->grace seconds), then everything is freed.  NULL is a no-op. */
void bo_server_stop(bo_server *s);

#endif
