/*
 * Error codes of liboc, the object-carousel builder behind
 * civictv-carousel.
 *
 * One enum for the whole library: every oc_ function that can fail
 * returns an oc_err, zero is success, and new codes are only appended so
 * that a value written in a log keeps its meaning.
 */
#ifndef OC_ERR_H
#define OC_ERR_H

typedef enum {
    OC_OK = 0,
    OC_ENOMEM,      /* an allocation failed */
    OC_EINVAL,      /* a bad argument or an option out of its range */
    OC_ENAME,       /* a file name the carousel cannot carry */
    OC_EEXIST,      /* the same path was added twice */
    OC_EIO,         /* reading the content folder or writing the output failed */
    OC_ELIMIT,      /* a size beyond what the formats can express */
    OC_EDII,        /* too many modules to list in one DII section */
    OC_EZLIB,       /* zlib refused to compress a module */
    OC_EPSI,        /* libdvbpsi did not generate a PAT or PMT */
    OC_ECONTENT,    /* the content folder failed validation */
    OC_ESTATE       /* a state file that is unreadable, damaged or not ours */
} oc_err;

/* A static English message for an error code; never NULL. */
const char *oc_strerror(oc_err e);

#include <stddef.h>

/* Write a message into why (when why is not NULL and why_len > 0) and
 * return e: the "why" strings of the functions that explain their
 * failures (the state file, playout) in the words the tool prints. */
oc_err oc_errf(char *why, size_t why_len, oc_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
