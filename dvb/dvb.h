/*
 * dvb/: the object-carousel receiver of civictv.
 *
 * Push-driven: transport-stream bytes go in (any length, any alignment,
 * from a file, a socket or a demux device: dvb_source.h reads those and
 * pushes here), events come out.  dvb_introspect.h analyses a whole
 * stream for tools (civictv-carousel inspect).  The receiver
 * finds the carousel (PAT/PMT through libdvbpsi, or a PID given by the
 * caller), collects DSI/DII/DDB sections, assembles and decompresses
 * modules, decodes BIOP objects and publishes an immutable object store
 * once every module of every DII has arrived; until then a partial view
 * answers "not yet" apart from "does not exist".  Updates publish a new
 * store with the list of changed paths.  docs/receiver-protocol.md gives
 * every choice with its clause.
 *
 * Specifications: ISO/IEC 13818-1 (TS, PSI), ISO/IEC 13818-6 (DSM-CC
 * U-N download, BIOP), ETSI EN 300 468 (SDT, descriptors), ETSI EN 301 192
 * (data broadcasting), ETSI TR 101 202 (implementation guidelines), ETSI
 * ES 202 184 (UK MHEG profile).
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
    DVB_EV_STREAM_ERROR,      /* something damaged was skipped; message says what */
    /* Sent right after DVB_EV_STORE_READY with the paths that differ
     * from the previous store (every path is "added" for the first). */
    DVB_EV_STORE_CHANGED,
    /* The carousel (or the version on air) is over max_module_bytes or
     * max_store_bytes: nothing of it is loaded; message says which. */
    DVB_EV_OVER_LIMIT,
    /* The SDT named the service: dvb_receiver_service_name(). */
    DVB_EV_SERVICE_NAME,
    /* A PMT update moved the carousel to another PID (message says
     * which); acquisition starts again there. */
    DVB_EV_CAROUSEL_MOVED,
    /* A PMT update no longer signals the carousel: the receiver keeps
     * its last store and waits for it to come back. */
    DVB_EV_CAROUSEL_LOST
} dvb_event_type;

typedef enum {
    DVB_CHANGE_ADDED,
    DVB_CHANGE_REMOVED,
    DVB_CHANGE_MODIFIED       /* a file's bytes, or an object's kind or details */
} dvb_change_kind;

typedef struct {
    const char *path;         /* absolute, as in dvb_store_walk */
    dvb_change_kind kind;
} dvb_change;

typedef struct {
    dvb_event_type type;
    const char *message;      /* borrowed until the callback returns; may be NULL */
    uint32_t version;         /* DII transaction id for DVB_EV_STORE_READY
                               * and DVB_EV_STORE_CHANGED */
    /* DVB_EV_STORE_CHANGED: the changes in path order (the order of
     * dvb_store_walk), borrowed until the callback returns; else NULL, 0. */
    const dvb_change *changes;
    size_t changes_count;
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
    /* Work counters, so that callers and tests can see what an update
     * cost: DDB blocks copied into modules (repeats not counted) and
     * modules completed (assembled and, if needed, decompressed). */
    uint64_t blocks_stored;
    uint64_t modules_assembled;
    int over_limit;           /* 1 while the carousel on air is refused */
    int service_id;           /* program_number in use, -1 if none */
    /* DDBs of blocks already held (the carousel's next cycles), dropped
     * on their header alone: those spanning packets are not even
     * collected. */
    uint64_t blocks_repeated;
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
 * names a directory, stream or stream event (only files have bytes; see
 * dvb_store_stat).  A complete store never answers DVB_ENOTYET; a partial
 * one (dvb_receiver_partial_store) does for what may still arrive.
 * Paths are exact: no "//", no trailing "/", names compared bytewise. */
dvb_err dvb_store_lookup(const dvb_store *s, const char *path,
                         const uint8_t **data, size_t *len);

/* Visit every directory and file (not streams: see
 * dvb_store_walk_objects), parents before children, names in
 * bytewise order, starting with the root "/".  Directories get data NULL,
 * len 0.  A non-zero return
 * from fn stops the walk and is returned. */
typedef int (*dvb_store_visit_fn)(void *ud, const char *path, int is_dir,
                                  const uint8_t *data, size_t len);
int dvb_store_walk(const dvb_store *s, dvb_store_visit_fn fn, void *ud);

/* Version of the store: the DII transaction id it was built from. */
uint32_t dvb_store_version(const dvb_store *s);

/* ---- objects of every kind, partial views ---- */

typedef enum {
    DVB_OBJ_FILE,
    DVB_OBJ_DIR,
    DVB_OBJ_STREAM,           /* BIOP Stream ("str"): taps to A/V streams */
    DVB_OBJ_STREAM_EVENT,     /* BIOP StreamEvent ("ste"): named events */
    DVB_OBJ_PENDING           /* partial stores only: bound, not arrived */
} dvb_object_kind;

typedef struct {
    uint16_t id;
    uint16_t use;             /* TR 101 202 table 4.3, e.g. 0x0018 BIOP_ES_USE */
    uint16_t association_tag;
} dvb_stream_tap;

/* What dvb_store_stat() and dvb_store_walk_objects() report.  Pointers
 * are borrowed from the store (valid while the caller holds it). */
typedef struct {
    dvb_object_kind kind;
    size_t size;                    /* file bytes; 0 otherwise */
    /* Streams and stream events (ISO/IEC 13818-6 11.3.2.5-6). */
    const char *description;        /* aDescription, "" if none */
    int32_t duration_seconds;
    uint32_t duration_microseconds;
    uint8_t audio, video, data;     /* stream counts from Info_T */
    size_t taps_count;
    const dvb_stream_tap *taps;
    size_t event_names_count;       /* stream events only */
    const char *const *event_names;
    size_t event_ids_count;
    const uint16_t *event_ids;
} dvb_object_info;

/* Describes the object at path: DVB_OK, or DVB_ENOENT / DVB_ENOTYET as
 * dvb_store_lookup() decides them.  Directories, streams and stream
 * events have no bytes for dvb_store_lookup() (it answers DVB_ENOENT),
 * but stat tells what they are. */
dvb_err dvb_store_stat(const dvb_store *s, const char *path,
                       dvb_object_info *info);

/* Like dvb_store_walk, over every object including streams, stream
 * events and (in partial stores) pending bindings.  data is the file's
 * bytes, NULL for other kinds. */
typedef int (*dvb_store_object_fn)(void *ud, const char *path,
                                   const dvb_object_info *info,
                                   const uint8_t *data);
int dvb_store_walk_objects(const dvb_store *s, dvb_store_object_fn fn,
                           void *ud);

/* 1 for a complete carousel version (every store dvb_receiver_store
 * returns), 0 for a partial view. */
int dvb_store_is_complete(const dvb_store *s);

/* What has arrived so far, while no complete store is published yet:
 * a partial store holding every file whose module is complete and
 * reachable from the ServiceGateway.  In it dvb_store_lookup() and
 * dvb_store_stat() answer DVB_ENOTYET for a path whose object, or one of
 * whose directories, is bound but not arrived (or for any path before the
 * ServiceGateway has), and DVB_ENOENT only when a directory that has
 * arrived has no such name.  Once a complete store exists this returns it
 * (as dvb_receiver_store does).  NULL before the DSI, and while the
 * carousel is refused for a ceiling (DVB_EV_OVER_LIMIT).  Release it. */
dvb_store *dvb_receiver_partial_store(dvb_receiver *r);

/* The service's name from the SDT (EN 300 468 5.2.3, service_descriptor
 * 6.2.33) converted to UTF-8; NULL until known or when the PID was given.
 * Borrowed until the next push. */
const char *dvb_receiver_service_name(const dvb_receiver *r);

#endif
