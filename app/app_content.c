/*
 * Content sources: a folder or an object store (see app_content.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_content.h"
#include "model/cm.h"

struct app_content {
    char *dir;            /* folder source, or NULL */
    dvb_store *store;     /* store source, or NULL */
    uint8_t *buf;         /* the last file read from the folder */
};

const char *app_content_strerror(app_content_err e)
{
    switch (e) {
    case APP_CONTENT_OK: return "success";
    case APP_CONTENT_ENOMEM: return "out of memory";
    case APP_CONTENT_EINVAL: return "not a valid content path";
    case APP_CONTENT_ENOENT: return "no such file";
    case APP_CONTENT_ELIMIT: return "file too large";
    case APP_CONTENT_EIO: return "read error";
    }
    return "unknown error";
}

app_content_err app_content_open_dir(const char *dir, app_content **out)
{
    if (!dir || !out)
        return APP_CONTENT_EINVAL;
    *out = NULL;
    app_content *c = calloc(1, sizeof *c);
    if (!c)
        return APP_CONTENT_ENOMEM;
    c->dir = strdup(dir);
    if (!c->dir) {
        free(c);
        return APP_CONTENT_ENOMEM;
    }
    *out = c;
    return APP_CONTENT_OK;
}

app_content_err app_content_open_store(dvb_store *store, app_content **out)
{
    if (!store || !out)
        return APP_CONTENT_EINVAL;
    *out = NULL;
    app_content *c = calloc(1, sizeof *c);
    if (!c)
        return APP_CONTENT_ENOMEM;
    dvb_store_retain(store);
    c->store = store;
    *out = c;
    return APP_CONTENT_OK;
}

void app_content_destroy(app_content *c)
{
    if (!c)
        return;
    dvb_store_release(c->store);
    free(c->dir);
    free(c->buf);
    free(c);
}

/* Read a whole file, refusing anything over the format's file limit
 * before allocating for it. */
static app_content_err read_file(app_content *c, const char *path,
                                 const uint8_t **data, size_t *len)
{
    size_t plen = strlen(c->dir) + 1 + strlen(path) + 1;
    char *full = malloc(plen);
    if (!full)
        return APP_CONTENT_ENOMEM;
    snprintf(full, plen, "%s/%s", c->dir, path);
    FILE *f = fopen(full, "rb");
    free(full);
    if (!f)
        return errno == ENOENT ? APP_CONTENT_ENOENT : APP_CONTENT_EIO;
    free(c->buf);
    c->buf = malloc(CM_MAX_FILE_BYTES + 1);
    if (!c->buf) {
        fclose(f);
        return APP_CONTENT_ENOMEM;
    }
    size_t n = fread(c->buf, 1, CM_MAX_FILE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return APP_CONTENT_EIO;
    if (n > CM_MAX_FILE_BYTES)
        return APP_CONTENT_ELIMIT;
    *data = c->buf;
    *len = n;
    return APP_CONTENT_OK;
}

app_content_err app_content_get(app_content *c, const char *path,
                                const uint8_t **data, size_t *len)
{
    if (!c || !path || !data || !len)
        return APP_CONTENT_EINVAL;
    /* Both sources take only paths the format allows: no "..", no
     * absolute paths, so a menu cannot reach outside the folder. */
    if (!cm_path_ok(path))
        return APP_CONTENT_EINVAL;
    if (c->dir)
        return read_file(c, path, data, len);
    char full[CM_MAX_PATH_BYTES + 2];
    int n = snprintf(full, sizeof full, "/%s", path);
    if (n < 0 || (size_t)n >= sizeof full)
        return APP_CONTENT_EINVAL;
    dvb_err e = dvb_store_lookup(c->store, full, data, len);
    if (e == DVB_OK)
        return *len > CM_MAX_FILE_BYTES ? APP_CONTENT_ELIMIT : APP_CONTENT_OK;
    return e == DVB_ENOENT ? APP_CONTENT_ENOENT : APP_CONTENT_EIO;
}
