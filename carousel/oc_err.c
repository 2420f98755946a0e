/*
 * Messages for oc_err.  A switch without default: a code added to the
 * enum and forgotten here is a compiler warning, hence a build error.
 */
#include "carousel/oc_err.h"

#include <stdarg.h>
#include <stdio.h>

const char *oc_strerror(oc_err e)
{
    switch (e) {
    case OC_OK:
        return "success";
    case OC_ENOMEM:
        return "out of memory";
    case OC_EINVAL:
        return "invalid argument";
    case OC_ENAME:
        return "a file name the carousel cannot carry";
    case OC_EEXIST:
        return "path added twice";
    case OC_EIO:
        return "input/output error";
    case OC_ELIMIT:
        return "size beyond what the carousel format can express";
    case OC_EDII:
        return "too many modules for one DownloadInfoIndication "
               "(raise --module-size)";
    case OC_EZLIB:
        return "zlib compression failed";
    case OC_EPSI:
        return "PAT/PMT generation failed";
    case OC_ECONTENT:
        return "content failed validation";
    case OC_ESTATE:
        return "state file unreadable or damaged";
    }
    return "unknown error";
}

oc_err oc_errf(char *why, size_t why_len, oc_err e, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return e;
}
