/*
 * Content checks before a build (see oc_content.h); the rules themselves
 * are model/'s, shared with the app (docs/content-format.md).
 */
#include "carousel/oc_content.h"

#include <stdio.h>

#include "model/cm.h"

typedef struct {
    oc_content_report_fn report;
    void *ud;
    unsigned problems;
} check_ctx;

static int check_name(void *ud, const char *path, const oc_node *n)
{
    (void)n;
    check_ctx *c = ud;
    if (!cm_path_ok(path)) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "%s: name: not a content path (A-Z a-z 0-9 . _ - only, "
                 "no . or .. parts, at most %u bytes)",
                 path, CM_MAX_PATH_BYTES);
        if (c->report)
            c->report(c->ud, msg);
        c->problems++;
    }
    return 0;
}

static int fetch(void *ud, const char *path, const uint8_t **data,
                 size_t *len)
{
    return oc_tree_lookup(ud, path, data, len);
}

static void forward(void *ud, const char *msg)
{
    check_ctx *c = ud;
    if (c->report)
        c->report(c->ud, msg);
}

unsigned oc_content_check(const oc_tree *tree, oc_content_report_fn report,
                          void *ud)
{
    check_ctx c = { report, ud, 0 };
    if (oc_tree_walk(tree, check_name, &c) != 0) {
        forward(&c, ".: name: paths too long to check");
        c.problems++;
    }
    /* cm_validate_tree reports through forward() and counts for itself. */
    c.problems += cm_validate_tree(fetch, (void *)tree, forward, &c);
    return c.problems;
}
