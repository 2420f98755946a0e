/*
 * What the back office's tests share (tests/test_bo_*.c, linked by the
 * Makefile's test_bo_% rule): HTTP through libcurl into a response buffer,
 * JSON members, free ports, the server binary started as a child and
 * waited for, a PostgreSQL database wiped, temporary folders.
 *
 * Failures are reported, never asserted here: each test decides.
 */
#ifndef BO_HARNESS_H
#define BO_HARNESS_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/types.h>

/* An answer: status (-1 when none came), the body (NUL-terminated) and
 * the raw header lines.  Free with bh_res_free(). */
typedef struct bh_res {
    long status;
    char *body;
    size_t len;
    char *hdr;
    size_t hlen;
} bh_res;

typedef struct bh_req {
    const char *method;      /* NULL: GET */
    const char *url;         /* the whole URL */
    const char *auth;        /* sent as Authorization: Bearer */
    const char *idem;        /* sent as Idempotency-Key */
    const char *ctype;       /* Content-Type of body; NULL: application/json */
    const char *body;        /* NULL: none (a POST then sends an empty body) */
    size_t body_len;         /* 0: strlen(body) */
    const char *from;        /* a local source address (127.0.0.x), or NULL */
    int expect100;           /* send Expect: 100-continue */
    long timeout;            /* seconds for the whole exchange; 0: none */
    CURL *handle;            /* a handle to reuse (keep-alive), or NULL */
} bh_req;

/* libcurl write and header callbacks appending to a bh_res. */
size_t bh_on_body(char *p, size_t s, size_t n, void *r);
size_t bh_on_hdr(char *p, size_t s, size_t n, void *r);
/* Runs one request; returns the status. */
long bh_http(const bh_req *q, bh_res *r);
void bh_res_free(bh_res *r);
/* A header's value (case-insensitive name) into out, or NULL. */
const char *bh_res_header(const bh_res *r, const char *name, char *out, size_t cap);

/* A member of a JSON text as a new string: a path of one or two names
 * ("#N" names an array item), strings as they are, numbers as integers,
 * booleans as true/false; NULL if absent or of another type. */
char *bh_json_get(const char *body, const char *a, const char *b);

/* A free TCP port on 127.0.0.1, or -1. */
int bh_free_port(void);
/* $CIVICTV_BUILD/civictv-backoffice (default build/), or NULL if it is
 * not there. */
const char *bh_server_binary(void);
/* Starts the server binary on a free port with --database spec --seed
 * sample and then the NULL-terminated extra arguments (or NULL), and waits
 * until its /health answers 200.  base gets "http://127.0.0.1:PORT".
 * Returns the child's pid, or -1 (with a message; a child that started is
 * killed and reaped). */
pid_t bh_spawn_server(const char *spec, const char *const *extra, char *base, size_t cap);
/* Waits until GET url answers 200 while process pid lives: 0, or -1. */
int bh_wait_ready(const char *url, pid_t pid);
/* Sends sig (SIGTERM: a graceful stop) and reaps; *pid becomes -1. */
void bh_stop_child(pid_t *pid, int sig);

/* Empties a PostgreSQL database (its public schema): 0, or -1 with a
 * message. */
int bh_reset_pg(const char *spec);

/* mkdtemp of "/tmp/PREFIX-XXXXXX" into dir: 0, or -1. */
int bh_make_dir(char *dir, size_t cap, const char *prefix);
/* rm -rf dir (if set), then dir[0] = '\0'. */
void bh_remove_dir(char *dir);

#endif
