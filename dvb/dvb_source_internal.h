/*
 * What the source files of dvb/ share (dvb_source.c: common code and the
 * file source; dvb_source_net.c: UDP and RTP; dvb_source_demux.c: the
 * Linux DVB demux).  Each kind fills the small table of operations; the
 * public calls in dvb_source.h dispatch through it.
 */
#ifndef DVB_SOURCE_INTERNAL_H
#define DVB_SOURCE_INTERNAL_H

#include "dvb/dvb_internal.h"
#include "dvb/dvb_source.h"

typedef struct {
    dvb_err (*pump)(dvb_source *s);
    int (*timeout_ms)(const dvb_source *s);
    void (*destroy)(dvb_source *s);       /* the kind's own part only */
} dvb_source_vt;

struct dvb_source {
    dvb_source_kind kind;
    const dvb_source_vt *vt;
    dvb_source_config cfg;
    dvb_logger log;
    int fd;                               /* to poll, or -1 */
    bool eof;
    dvb_source_stats st;
    void *impl;                           /* the kind's state */
};

/* A zeroed source of that kind with its config copied; NULL on ENOMEM. */
dvb_source *dvb_source_alloc(const dvb_source_config *cfg,
                             dvb_source_kind kind, const dvb_source_vt *vt);
/* Pushes to the sink and counts the bytes. */
dvb_err dvb_source_deliver(dvb_source *s, const uint8_t *data, size_t len);

#endif
