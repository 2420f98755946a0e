/* The back office tests' shared harness: see bo_harness.h. */
#include "tests/bo_harness.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t append(char **buf, size_t *len, const char *p, size_t n)
{
    char *b = realloc(*buf, *len + n + 1);
    if (!b)
        return 0;
    memcpy(b + *len, p, n);
    *len += n;
    b[*len] = '\0';
    *buf = b;
    return n;
}

size_t bh_on_body(char *p, size_t s, size_t n, void *u)
{
    bh_res *r = u;
    return append(&r->body, &r->len, p, s * n);
}

size_t bh_on_hdr(char *p, size_t s, size_t n, void *u)
{
    bh_res *r = u;
    return append(&r->hdr, &r->hlen, p, s * n);
}

long bh_http(const bh_req *q, bh_res *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = q->handle ? q->handle : curl_easy_init();
    if (!c) {
        r->status = -1;
        return -1;
    }
    const char *method = q->method ? q->method : "GET";
    struct curl_slist *h = NULL;
    char line[600];
    if (q->auth) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", q->auth);
        h = curl_slist_append(h, line);
    }
    if (q->idem) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", q->idem);
        h = curl_slist_append(h, line);
    }
    if (q->body) {
        snprintf(line, sizeof line, "Content-Type: %s", q->ctype ? q->ctype : "application/json");
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, q->expect100 ? "Expect: 100-continue" : "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, q->url);
    if (q->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(q->body_len ? q->body_len : strlen(q->body)));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* a reused handle's last body goes */
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bh_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, bh_on_hdr);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, q->timeout);
    curl_easy_setopt(c, CURLOPT_INTERFACE, q->from);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    else
        r->status = -1;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    if (!q->handle)
        curl_easy_cleanup(c);
    return r->status;
}

void bh_res_free(bh_res *r)
{
    free(r->body);
    free(r->hdr);
    memset(r, 0, sizeof *r);
}

const char *bh_res_header(const bh_res *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *l = r->hdr; l && *l;) {
        const char *e = strstr(l, "\r\n");
        if (!e)
            break;
        if ((size_t)(e - l) > nl + 1 && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(e - v), v);
            return out;
        }
        l = e + 2;
    }
    return NULL;
}

char *bh_json_get(const char *body, const char *a, const char *b)
{
    cJSON *o = cJSON_Parse(body ? body : "");
    if (!o)
        return NULL;
    cJSON *x = a[0] == '#' ? cJSON_GetArrayItem(o, atoi(a + 1))
                           : cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    char *s = NULL;
    if (cJSON_IsString(x)) {
        s = strdup(x->valuestring);
    } else if (cJSON_IsNumber(x)) {
        char n[32];
        snprintf(n, sizeof n, "%.0f", x->valuedouble);
        s = strdup(n);
    } else if (cJSON_IsBool(x)) {
        s = strdup(cJSON_IsTrue(x) ? "true" : "false");
    }
    cJSON_Delete(o);
    return s;
}

int bh_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

const char *bh_server_binary(void)
{
    static char path[512];
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(path, sizeof path, "%s/civictv-backoffice", b ? b : "build");
    return access(path, X_OK) == 0 ? path : NULL;
}

int bh_wait_ready(const char *url, pid_t pid)
{
    CURL *c = curl_easy_init();
    int rc = -1;
    for (int i = 0; c && pid > 0 && i < 600; i++) {
        bh_req q = { .url = url, .handle = c, .timeout = 10 };
        bh_res r;
        long st = bh_http(&q, &r);
        bh_res_free(&r);
        if (st == 200) {
            rc = 0;
            break;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;
        usleep(50 * 1000); /* waiting for start-up, not a timed assertion */
    }
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

pid_t bh_spawn_server(const char *spec, const char *const *extra, char *base, size_t cap)
{
    const char *bin = bh_server_binary();
    if (!bin) {
        fprintf(stderr, "no civictv-backoffice in $CIVICTV_BUILD: build the programs first\n");
        return -1;
    }
    int port = bh_free_port();
    if (port < 0) {
        fprintf(stderr, "no free port\n");
        return -1;
    }
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    snprintf(base, cap, "http://127.0.0.1:%d", port);
    const char *argv[32] = { bin, "--port", ps, "--database", spec, "--seed", "sample" };
    int n = 7;
    for (int i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    char url[300];
    snprintf(url, sizeof url, "%s/health", base);
    if (bh_wait_ready(url, pid) == 0)
        return pid;
    fprintf(stderr, "%s did not start on %s\n", bin, spec);
    bh_stop_child(&pid, SIGKILL);
    return -1;
}

void bh_stop_child(pid_t *pid, int sig)
{
    if (*pid > 0) {
        kill(*pid, sig);
        waitpid(*pid, NULL, 0);
    }
    *pid = -1;
}

int bh_reset_pg(const char *spec)
{
    PGconn *c = PQconnectdb(spec);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "CIVICTV_PG: %s", PQerrorMessage(c));
    } else {
        PGresult *r = PQexec(c, "SET client_min_messages = warning; "
                                "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            rc = 0;
        else
            fprintf(stderr, "resetting the test database: %s", PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

int bh_make_dir(char *dir, size_t cap, const char *prefix)
{
    snprintf(dir, cap, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

void bh_remove_dir(char *dir)
{
    if (!dir[0])
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    dir[0] = '\0';
}
