/*
 * app/: where content files come from, by content path.
 *
 * On air, from the receiver's object store (content path "menus/root.json"
 * is carousel object "/menus/root.json"); for a content author's preview
 * (--content DIR), straight from the folder the carousel would be built
 * from.  The rest of the app cannot tell the two apart.
 */
#ifndef APP_CONTENT_H
#define APP_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "dvb/dvb.h"

typedef enum {
    APP_CONTENT_OK = 0,
    APP_CONTENT_ENOMEM,   /* an allocation failed */
    APP_CONTENT_EINVAL,   /* a bad argument or a path the format forbids */
    APP_CONTENT_ENOENT,   /* no such file */
    APP_CONTENT_ELIMIT,   /* the file is larger than the format allows */
    APP_CONTENT_EIO       /* the file could not be read */
} app_content_err;

const char *app_content_strerror(app_content_err e);

typedef struct app_content app_content;

/* A folder on disk.  dir is copied. */
app_content_err app_content_open_dir(const char *dir, app_content **out);
/* A received store; the source takes its own reference. */
app_content_err app_content_open_store(dvb_store *store, app_content **out);
void app_content_destroy(app_content *c);    /* NULL is a no-op */

/* The bytes of a content file.  Borrowed until the next call on c or
 * its destruction. */
app_content_err app_content_get(app_content *c, const char *path,
                                const uint8_t **data, size_t *len);

#endif
