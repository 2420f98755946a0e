/*
 * Error messages, logging and blobs: small helpers used across dvb/.
 */
#include "dvb/dvb_internal.h"

#include <stdio.h>
#include <stdlib.h>

const char *dvb_strerror(dvb_err e)
{
    /* No default: the compiler flags a code added without a message. */
    switch (e) {
    case DVB_OK:           return "success";
    case DVB_ENOMEM:       return "out of memory";
    case DVB_EINVAL:       return "invalid argument";
    case DVB_ETRUNC:       return "data truncated";
    case DVB_ECRC:         return "CRC or checksum mismatch";
    case DVB_ESYNTAX:      return "syntax error in broadcast data";
    case DVB_ELIMIT:       return "size over the configured limit";
    case DVB_ENOTYET:      return "not received yet";
    case DVB_ENOENT:       return "no such object";
    case DVB_EIO:          return "I/O error";
    case DVB_EUNSUPPORTED: return "not supported";
    }
    return "unknown error";
}

void dvb_logf(const dvb_logger *l, dvb_log_level level, const char *fmt, ...)
{
    if (!l || !l->fn)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->fn(l->ud, level, msg);
}

dvb_blob *dvb_blob_new(size_t len)
{
    if (len > SIZE_MAX - sizeof(dvb_blob))
        return NULL;
    /* +1 so that a zero-length module still gets a unique allocation. */
    dvb_blob *b = malloc(sizeof *b + len + 1);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = len;
    return b;
}

dvb_blob *dvb_blob_retain(dvb_blob *b)
{
    if (b)
        b->refs++;
    return b;
}

void dvb_blob_release(dvb_blob *b)
{
    if (b && --b->refs == 0)
        free(b);
}
