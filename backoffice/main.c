/*
 * civictv-backoffice: the shared back office's reference server.
 *
 *   civictv-backoffice [--config FILE] [--listen ADDR] [--port N]
 *                      [--database PATH|postgresql://...] [--cert PEM --key PEM]
 *                      [--base-url URL] [--threads N] [--seed sample|none]
 *
 * Flags override the config file.  SIGTERM and SIGINT stop it gracefully:
 * no new connections, requests in flight finish, then it exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_server.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: civictv-backoffice [--config FILE] [--listen ADDR] [--port N]\n"
               "         [--database PATH|postgresql://...] [--cert PEM --key PEM]\n"
               "         [--base-url URL] [--threads N] [--seed sample|none]\n"
               "         [--OPTION VALUE for any config-file option]\n");
}

int main(int argc, char **argv)
{
    bo_config cfg;
    bo_config_defaults(&cfg);
    char err[512];
    /* The config file first, so that flags override it wherever they are. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 && bo_config_load(&cfg, argv[i + 1], err, sizeof err)) {
            fprintf(stderr, "civictv-backoffice: %s\n", err);
            return 2;
        }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *opt = argv[i] + 2, *val = argv[++i];
        if (strcmp(opt, "config") == 0)
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s", opt);
        for (char *k = key; *k; k++)
            if (*k == '-')
                *k = '_';
        if (bo_config_set(&cfg, key, val, err, sizeof err) != 0) {
            fprintf(stderr, "civictv-backoffice: --%s: %s\n", opt, err);
            return 2;
        }
    }
    /* Block the stop signals before any thread starts, so that every
     * server thread inherits the mask and only sigwait() below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    bo_server *s;
    if (bo_server_start(&cfg, &s, err, sizeof err) != 0) {
        fprintf(stderr, "civictv-backoffice: %s\n", err);
        return 1;
    }
    fprintf(stderr, "civictv-backoffice: serving %s\n", bo_server_base_url(s));
    const char *tenant, *role, *key;
    for (int i = 0; cfg.seed && (key = bo_seed_sample_key(i, &tenant, &role)); i++)
        fprintf(stderr, "civictv-backoffice: sample key %-24s %-12s %s\n", key, tenant, role);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "civictv-backoffice: %s, finishing requests in flight\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    bo_server_stop(s);
    return 0;
}
