/*
 * dvb/: the object-carousel receiver of civictv.
 *
 * Push-driven: transport-stream bytes go in (any length, any alignment,
 * from a file, a socket or a demux device), events come out.  The receiver
 * finds the carousel (PAT/PMT through libdvbpsi, or a PID given by the
 * caller), collects DSI/DII/DDB sections, assembles and decompresses
 * modules, decodes BIOP objects and publishes an immutable object store
 * once every module of the current DII has arrived.
 *
 * Specifications: ISO/IEC 13818-1 (TS, PSI), ISO/IEC 13818-6 (DSM-CC
 * U-N download, BIOP), ETSI EN 301 192 (data broadcasting), ETSI TR 101 202
 * (implementation guidelines), ETSI ES 202 184 (UK MHEG profile).
 *
 * Ownership: the receiver owns everything it allocates.  A dvb_store is
 * reference counted and immutable: a reader holding one never sees a
 * later version change under it (an update publishes a new store).
 */
#ifndef DVB_H
#define DVB_H

#include <stddef.h>
#include <stdint.h>

/* Zero is success; new codes are only appended. */
typedef enum {
    DVB_OK = 0,
    DVB_ENOMEM,       /* an allocation failed */
    DVB_EINVAL,       /* a bad argument from the caller */
    DVB_ETRUNC,       /* data ends before a length field says it should */
    DVB_ECRC,         /* a section failed its CRC_32 or checksum */
    DVB_ESYNTAX,      /* a field holds a value the spec does not allow */
    DVB_ELIMIT,       /* a size is over a configured memory ceiling */
    DVB_ENOTYET,      /* not arrived yet: may still come */
    DVB_ENOENT,       /* does not exist in the current carousel */
    DVB_EIO,          /* an I/O error reading the source */
    DVB_EUNSUPPORTED  /* valid but not handled (e.g. unknown compression) */
} dvb_err;

/* A static English message for an error code. */
const char *dvb_strerror(dvb_err e);

typedef enum {
    DVB_LOG_ERROR,
    DVB_LOG_WARN,
    DVB_LOG_INFO,
    DVB_LOG_DEBUG
} dvb_log_level;

typedef enum {
    DVB_EV_CAROUSEL_FOUND,    /* the carousel PID is known (PMT or given) */
    DVB_EV_STORE_READY,       /* a complete store was published (first or update) */
    DVB_EV_STREAM_ERROR       /* something damaged was skipped; message says what */
} dvb_event_type;

typedef struct {
    dvb_event_type type;
    const char *message;      /* borrowed until the callback returns; may be NULL */
    uint32_t version;         /* DII transaction id for DVB_EV_STORE_READY */
} dvb_event;

typedef struct {
    int pid;                  /* carousel PID, or -1: find it through PAT/PMT */
    int service_id;           /* program_number, or -1: the first with a carousel */
    int64_t carousel_id;      /* carousel_id, or -1: any */
    size_t max_module_bytes;  /* ceiling per module; 0: 16 MiB */
    size_t max_store_bytes;   /* ceiling for all modules together; 0: 64 MiB */
    void (*log)(void *ud, dvb_log_level level, const char *msg);
    void (*on_event)(void *ud, const dvb_event *ev);
    void *ud;
} dvb_receiver_config;

typedef struct dvb_receiver dvb_receiver;
typedef struct dvb_store dvb_store;

dvb_err dvb_receiver_create(const dvb_receiver_config *cfg, dvb_receiver **out);
void dvb_receiver_destroy(dvb_receiver *r);        /* NULL is a no-op */

/* Feed transport-stream bytes.  Damaged input is skipped and reported via
 * log/on_event; only DVB_ENOMEM and DVB_EINVAL are returned as errors. */
dvb_err dvb_receiver_push(dvb_receiver *r, const uint8_t *data, size_t len);

typedef struct {
    int pid;                  /* -1 until found */
    uint32_t carousel_id;
    unsigned modules_total;   /* from the current DII; 0 before it */
    unsigned modules_done;
    uint64_t bytes_total;     /* sum of module sizes in the DII */
    uint64_t bytes_done;
    uint64_t packets;         /* TS packets seen */
    uint64_t sections_bad;    /* sections dropped for CRC or syntax */
} dvb_progress;

void dvb_receiver_progress(const dvb_receiver *r, dvb_progress *p);

/* The newest complete store, with a reference the caller must release;
 * NULL when none is complete yet. */
dvb_store *dvb_receiver_store(dvb_receiver *r);

void dvb_store_retain(dvb_store *s);
void dvb_store_release(dvb_store *s);               /* NULL is a no-op */

/* Look up a file by absolute path ("/menus/root.json").  The bytes are
 * borrowed from the store and live as long as the caller's reference.
 * Returns DVB_ENOENT when the path does not exist in this store, or
 * names a directory (only files have bytes).  Paths are exact: no "//",
 * no trailing "/", names compared bytewise. */
dvb_err dvb_store_lookup(const dvb_store *s, const char *path,
                         const uint8_t **data, size_t *len);

/* Visit every directory and file, parents before children, names in
 * bytewise order, starting with the root "/".  Directories get data NULL,
 * len 0.  A non-zero return
 * from fn stops the walk and is returned. */
typedef int (*dvb_store_visit_fn)(void *ud, const char *path, int is_dir,
                                  const uint8_t *data, size_t len);
int dvb_store_walk(const dvb_store *s, dvb_store_visit_fn fn, void *ud);

/* Version of the store: the DII transaction id it was built from. */
uint32_t dvb_store_version(const dvb_store *s);

#endif
