/*
 * Error messages, logging and blobs: small helpers used across dvb/.
 */
#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Blobs carved from a mapping are announced to valgrind's memcheck as
 * malloc'd blocks (so that it reports their leaks, their uninitialised
 * bytes and accesses between them), and under AddressSanitizer the bytes
 * around them are poisoned.  A released blob is unmapped: any use after
 * that faults. */
#if defined(__SANITIZE_ADDRESS__)
#define DVB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DVB_ASAN 1
#endif
#endif
#ifdef DVB_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define DVB_MEMCHECK 1
#endif
#endif

/* A mapping, or the part of it between blobs: out of bounds. */
static void no_access(void *p, size_t n)
{
#ifdef DVB_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
#ifdef DVB_MEMCHECK
    VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
    (void)p;
    (void)n;
}

/* n bytes at p become a block, as if malloc'd. */
static void carved(void *p, size_t n)
{
#ifdef DVB_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef DVB_MEMCHECK
    VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, 0);
#endif
    (void)p;
    (void)n;
}

/* Unmaps n bytes at p; block: they were a blob (carved). */
static void unmap(void *p, size_t n, bool block)
{
#ifdef DVB_ASAN
    /* Addresses that a later mapping may reuse must not stay poisoned. */
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef DVB_MEMCHECK
    if (block)
        VALGRIND_FREELIKE_BLOCK(p, 0);
#endif
    (void)block;
    munmap(p, n);
}

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
    if (len > SIZE_MAX - sizeof(dvb_blob) - 1)
        return NULL;
    /* +1 so that a zero-length module still gets a unique allocation. */
    dvb_blob *b = malloc(sizeof *b + len + 1);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = len;
    b->map_len = 0;
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
    if (!b || --b->refs != 0)
        return;
    if (b->map_len)
        unmap(b, b->map_len, true);
    else
        free(b);
}

/* ---- page runs for big blobs ---- */

#define HUGE_PAGE ((size_t)2 << 20)
/* Address space mapped at a time: only what blobs touch becomes memory,
 * so a generous chunk costs nothing and keeps blobs side by side. */
#define CHUNK ((size_t)16 << 20)

struct dvb_pages {
    size_t page;               /* the system's page size */
    uint8_t *cur;              /* the unused rest of the current mapping */
    size_t left;
};

dvb_pages *dvb_pages_create_always(void)
{
    dvb_pages *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    long ps = sysconf(_SC_PAGESIZE);
    p->page = ps > 0 && ((size_t)ps & ((size_t)ps - 1)) == 0 ? (size_t)ps
                                                             : 4096;
    return p;
}

dvb_pages *dvb_pages_create(void)
{
#ifdef DVB_ASAN
    /* malloc'd blobs: LeakSanitizer tracks those, not runs of pages. */
    return NULL;
#else
    return dvb_pages_create_always();
#endif
}

static void drop_rest(dvb_pages *p)
{
    if (p->left)
        unmap(p->cur, p->left, false);
    p->cur = NULL;
    p->left = 0;
}

void dvb_pages_trim(dvb_pages *p)
{
    if (p)
        drop_rest(p);
}

void dvb_pages_destroy(dvb_pages *p)
{
    if (!p)
        return;
    drop_rest(p);
    free(p);
}

/* A new mapping of *size >= need bytes (rounded up to huge pages),
 * starting on a huge-page boundary so that the kernel can back it with
 * huge pages; NULL when mmap fails. */
static uint8_t *map_huge(size_t need, size_t *size)
{
    if (need > SIZE_MAX - 4 * HUGE_PAGE)
        return NULL;
    size_t sz = (need + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    size_t span = sz + HUGE_PAGE;
    uint8_t *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uint8_t *start = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) &
                                 ~(uintptr_t)(HUGE_PAGE - 1));
    if (start > m)
        munmap(m, (size_t)(start - m));
    size_t tail = (size_t)(m + span - (start + sz));
    if (tail)
        munmap(start + sz, tail);
#ifdef MADV_HUGEPAGE
    madvise(start, sz, MADV_HUGEPAGE);     /* a hint: may be refused */
#endif
    no_access(start, sz);
    *size = sz;
    return start;
}

dvb_blob *dvb_blob_new_in(dvb_pages *p, size_t len)
{
    if (!p || len < DVB_PAGES_MIN)
        return dvb_blob_new(len);
    if (len > SIZE_MAX / 2)
        return NULL;
    size_t need = (sizeof(dvb_blob) + len + 1 + p->page - 1) & ~(p->page - 1);
    uint8_t *at;
    if (need <= p->left) {
        at = p->cur;
        p->cur += need;
        p->left -= need;
    } else {
        size_t size;
        at = map_huge(need > CHUNK / 2 ? need : CHUNK, &size);
        if (!at)
            return dvb_blob_new(len);
        if (need > CHUNK / 2) {
            /* A blob this big gets a mapping of its own; the current
             * one stays in use for the next ones. */
            if (size > need)
                unmap(at + need, size - need, false);
        } else {
            drop_rest(p);
            p->cur = at + need;
            p->left = size - need;
        }
    }
    /* The blob's header and bytes (and the +1 of dvb_blob_new) become
     * usable; the rest of its last page stays out of bounds. */
    carved(at, sizeof(dvb_blob) + len + 1);
    dvb_blob *b = (dvb_blob *)(void *)at;
    b->refs = 1;
    b->len = len;
    b->map_len = need;
    return b;
}
