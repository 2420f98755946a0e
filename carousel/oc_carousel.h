/*
 * oc_carousel: a tree of files turned into the DSM-CC sections of one
 * object carousel, ready to be scheduled.
 *
 * How the tree becomes sections (ISO/IEC 13818-6 clauses 7, 9 and 11;
 * EN 301 192 clauses 8-9; TR 101 202 clause 4.7):
 *  1. Each directory and file becomes a BIOP object (oc_biop.h); the root
 *     directory is the ServiceGateway.  Objects are numbered (objectKey,
 *     from 1) in depth-first order, names in bytewise order.
 *  2. Objects are packed, in that order, into modules of at most
 *     module_size bytes; an object bigger than module_size gets a module
 *     of its own (an object never spans modules: 13818-6 11.2.4).
 *     Module ids count from 1.
 *  3. Each module is compressed with zlib when asked (auto: only when that
 *     makes it smaller) and announced with a compressed_module_descriptor.
 *  4. DIIs list the modules (a second one only when one section cannot
 *     list them all); the DSI carries the ServiceGateway's IOR; each module is cut into blocks of block_size bytes, one DDB
 *     section per block.
 *
 * Ids: downloadId = carousel_id (EN 301 192 clause 9, TR 101 202 4.7);
 * DSI transactionId OC_TID_MAKE(tid_version, 0, 0) and DII
 * OC_TID_MAKE(tid_version, 1, 0), i.e. 0x80000000 and 0x80000002 for
 * version 0 (see oc_dsmcc.h and docs/carousel.md).
 *
 * The carousel owns all its sections; the pointers returned by the
 * accessors are borrowed and live as long as the carousel.
 */
#ifndef OC_CAROUSEL_H
#define OC_CAROUSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"
#include "carousel/oc_tree.h"

typedef enum {
    OC_COMPRESS_AUTO,      /* compress a module when it shrinks */
    OC_COMPRESS_NONE,
    OC_COMPRESS_ALL        /* compress every module */
} oc_compress;

/* DIIs a carousel may have: each lists about 110 modules (one section),
 * so 32 DIIs carry some 3500 modules; our receiver takes as many. */
#define OC_MAX_DIIS 32u

/* One object of an earlier build: its path ("" for the ServiceGateway,
 * "menus/root.json" otherwise), objectKey and the module that held it. */
typedef struct {
    char *path;
    uint32_t key;
    uint16_t module;
} oc_layout_object;

/* One module of an earlier build.  hash is FNV-1a 64 over the module's
 * uncompressed bytes: equal hash and size mean equal content. */
typedef struct {
    uint16_t id;
    uint8_t version;
    uint64_t hash;
    uint32_t size;                /* uncompressed */
    bool first;                   /* holds what the first screen needs */
    uint8_t dii;                  /* index of the DII that lists it */
} oc_layout_module;

/* What an update needs from the build before it (the state file): the
 * ids to keep and what each module held.  Objects are kept in the module
 * they were in, so a change touches only the modules it must. */
typedef struct {
    uint32_t dsi_tid;             /* kept: the DSI does not change */
    uint32_t dii_tid;             /* the first DII's transactionId */
    uint32_t dii_tids[OC_MAX_DIIS];   /* every DII's, n_diis of them */
    size_t n_diis;
    uint32_t ior_tid;             /* the transactionId written in IORs */
    uint32_t next_key;            /* first objectKey never used */
    uint32_t next_module;         /* first moduleId never used */
    oc_layout_object *objects;
    size_t n_objects;
    oc_layout_module *modules;
    size_t n_modules;
} oc_layout;

void oc_layout_free(oc_layout *l);                    /* NULL is a no-op */

/* Called while modules are encoded and compressed: bytes done of total.
 * The slow part of building a large tree. */
typedef void (*oc_progress_fn)(void *ud, uint64_t done, uint64_t total);

typedef struct {
    uint32_t carousel_id;
    uint8_t component_tag;        /* association_tag of every tap */
    uint16_t block_size;          /* DDB payload, 1..OC_BLOCK_MAX */
    uint32_t module_size;         /* target largest module, bytes */
    oc_compress compress;
    uint8_t module_version;       /* moduleVersion of every new module */
    uint16_t tid_version;         /* version bits of the transaction ids */
    /* Files the first screen needs ("manifest.json", the root menu, its
     * images): they and the directories above them are packed into
     * modules of their own, marked first.  Borrowed; may be empty. */
    const char *const *first_paths;
    size_t n_first;
    /* An earlier build to update, or NULL for a first build.  Borrowed
     * for the duration of oc_carousel_create. */
    const oc_layout *prev;
    oc_progress_fn progress;
    void *progress_ud;
} oc_carousel_config;

typedef struct {
    size_t objects;               /* files + directories + the gateway */
    size_t files;
    size_t dirs;                  /* not counting the gateway */
    size_t modules;
    size_t compressed_modules;
    uint64_t payload_bytes;       /* file contents */
    uint64_t biop_bytes;          /* all BIOP messages, uncompressed */
    uint64_t module_bytes;        /* sum of moduleSize (as sent) */
    uint64_t blocks;              /* DDB sections in one cycle */
    size_t first_modules;         /* modules marked first */
    size_t changed_modules;       /* new or new version (all on a first build) */
    size_t removed_modules;       /* in prev, gone now */
    size_t diis;                  /* DownloadInfoIndications */
} oc_carousel_stats;

typedef struct oc_carousel oc_carousel;

/* Build every section.  With cfg->prev, object keys and module ids are
 * those of prev (new objects get new keys and new modules), a module
 * whose bytes changed gets moduleVersion + 1, others keep theirs, and a
 * DII gets a new transactionId (version + 1, updated flag toggled) when
 * anything it lists changed; the DSI and the IORs keep prev's ids.
 * OC_EDII if the modules need more than OC_MAX_DIIS DIIs, OC_ELIMIT if a
 * module needs more than 65536 blocks. */
oc_err oc_carousel_create(const oc_tree *tree, const oc_carousel_config *cfg,
                          oc_carousel **out);
void oc_carousel_destroy(oc_carousel *c);             /* NULL is a no-op */

void oc_carousel_get_stats(const oc_carousel *c, oc_carousel_stats *st);

uint32_t oc_carousel_dsi_tid(const oc_carousel *c);
uint32_t oc_carousel_dii_tid(const oc_carousel *c);

/* The DSI and DII sections (table_id 0x3B), CRC included.
 * oc_carousel_dii is the first DII; a carousel of many modules has
 * oc_carousel_dii_count of them (identification 1, 2, ...). */
const uint8_t *oc_carousel_dsi(const oc_carousel *c, size_t *len);
const uint8_t *oc_carousel_dii(const oc_carousel *c, size_t *len);
size_t oc_carousel_dii_count(const oc_carousel *c);
const uint8_t *oc_carousel_dii_at(const oc_carousel *c, size_t k,
                                  size_t *len);
uint32_t oc_carousel_dii_tid_at(const oc_carousel *c, size_t k);

size_t oc_carousel_module_count(const oc_carousel *c);

typedef struct {
    uint16_t moduleId;
    uint8_t moduleVersion;
    uint32_t moduleSize;          /* as sent */
    uint32_t original_size;       /* before compression */
    bool compressed;
    size_t objects;               /* BIOP messages in the module */
    size_t blocks;
    bool first;                   /* holds what the first screen needs */
    bool changed;                 /* new, or content differs from prev */
    uint64_t hash;                /* FNV-1a 64 of the uncompressed bytes */
} oc_module_info;

void oc_carousel_module(const oc_carousel *c, size_t i, oc_module_info *mi);

/* Whether anything differs from cfg->prev (always true without one). */
bool oc_carousel_changed(const oc_carousel *c);

/* The layout of this build, for the next update (free with
 * oc_layout_free). */
oc_err oc_carousel_layout(const oc_carousel *c, oc_layout *out);

/* The DDB section (table_id 0x3C) of block b of module i. */
const uint8_t *oc_carousel_ddb(const oc_carousel *c, size_t i, size_t b,
                               size_t *len);

#endif
