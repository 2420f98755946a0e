/*
 * Transport-stream sources: the parts every kind shares, the dispatch by
 * name, and the file source.
 *
 * A file is read in chunks of whole 188-byte packets (ISO/IEC 13818-1
 * 2.4.3.2: a packet is the unit a multiplex delivers).  Paced, the bytes
 * allowed so far are rate x elapsed time from the first pump, so the
 * average rate is exact however late the loop wakes; a late wake-up
 * reads a bigger chunk (up to chunk_bytes) rather than falling behind.
 * Looped, the file starts again at its first byte: a capture of whole
 * carousel cycles then plays like the air, where a receiver may tune in
 * at any point (TR 101 202 4.7.4 on cyclic transmission).
 */
#include "dvb/dvb_source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CHUNK (188u * 348u)     /* about 64 KiB of whole packets */
#define PACE_SLICE_NS 10000000ull       /* wake at least every 10 ms of stream */

dvb_source *dvb_source_alloc(const dvb_source_config *cfg,
                             dvb_source_kind kind, const dvb_source_vt *vt)
{
    dvb_source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->kind = kind;
    s->vt = vt;
    s->log.fn = cfg->log;
    s->log.ud = cfg->log_ud;
    s->fd = -1;
    return s;
}

dvb_err dvb_source_deliver(dvb_source *s, const uint8_t *data, size_t len)
{
    if (len == 0)
        return DVB_OK;
    s->st.bytes += len;
    return s->cfg.sink(s->cfg.sink_ud, data, len);
}

void dvb_source_destroy(dvb_source *s)
{
    if (!s)
        return;
    if (s->vt && s->vt->destroy)
        s->vt->destroy(s);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

dvb_source_kind dvb_source_kind_of(const dvb_source *s)
{
    return s ? s->kind : DVB_SOURCE_FILE;
}

int dvb_source_fd(const dvb_source *s)
{
    return s ? s->fd : -1;
}

int dvb_source_timeout_ms(const dvb_source *s)
{
    if (!s || s->eof)
        return -1;
    return s->vt->timeout_ms ? s->vt->timeout_ms(s) : -1;
}

dvb_err dvb_source_pump(dvb_source *s)
{
    if (!s)
        return DVB_EINVAL;
    if (s->eof)
        return DVB_OK;
    return s->vt->pump(s);
}

bool dvb_source_eof(const dvb_source *s)
{
    return s && s->eof;
}

void dvb_source_stats_get(const dvb_source *s, dvb_source_stats *st)
{
    if (!s) {
        memset(st, 0, sizeof *st);
        return;
    }
    *st = s->st;
}

dvb_err dvb_source_open(const dvb_source_config *cfg, const char *name,
                        dvb_source **out)
{
    if (!name)
        return DVB_EINVAL;
    if (!strncmp(name, "udp://", 6) || !strncmp(name, "rtp://", 6))
        return dvb_source_open_net(cfg, name, out);
    return dvb_source_open_file(cfg, name, out);
}

/* ---- the file source ---- */

typedef struct {
    int fd;                        /* the file; never polled */
    size_t chunk;
    uint64_t t0;                   /* first pump, for pacing */
    bool started;
    uint64_t pass_bytes;           /* bytes of the current pass (loop) */
    uint8_t buf[];
} file_state;

static uint64_t clock_ns(const dvb_source *s)
{
    if (s->cfg.now_ns)
        return s->cfg.now_ns(s->cfg.now_ud);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Bytes the pacing allows after ns nanoseconds (128-bit: an hour at
 * 1 Gbit/s overflows 64 bits). */
static uint64_t paced_bytes(uint64_t rate_bps, uint64_t ns)
{
    unsigned __int128 b = (unsigned __int128)ns * rate_bps / 8000000000u;
    return b > UINT64_MAX ? UINT64_MAX : (uint64_t)b;
}

static int file_timeout(const dvb_source *s)
{
    const file_state *f = s->impl;
    uint64_t rate = s->cfg.rate_bps;
    if (!rate || !f->started)
        return 0;
    uint64_t elapsed = clock_ns(s) - f->t0;
    /* Wake when a useful amount is due: a chunk, or 10 ms of stream,
     * whichever is less, and never less than one packet. */
    uint64_t need = paced_bytes(rate, PACE_SLICE_NS);
    if (need > f->chunk)
        need = f->chunk;
    if (need < 188)
        need = 188;
    unsigned __int128 due =
        (unsigned __int128)(s->st.bytes + need) * 8000000000u / rate;
    if (due <= elapsed)
        return 0;
    unsigned __int128 ms = (due - elapsed + 999999u) / 1000000u;
    return ms > 1000 ? 1000 : (int)ms;
}

static dvb_err file_pump(dvb_source *s)
{
    file_state *f = s->impl;
    size_t want = f->chunk;
    if (!f->started) {
        f->started = true;
        f->t0 = clock_ns(s);
    }
    if (s->cfg.rate_bps) {
        uint64_t allowed = paced_bytes(s->cfg.rate_bps, clock_ns(s) - f->t0);
        if (allowed <= s->st.bytes)
            return DVB_OK;
        if (allowed - s->st.bytes < want)
            want = (size_t)(allowed - s->st.bytes);
        if (want < 188)
            return DVB_OK;
        want -= want % 188;            /* whole packets */
    }
    ssize_t n;
    do
        n = read(f->fd, f->buf, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        dvb_logf(&s->log, DVB_LOG_ERROR, "reading the stream: %s",
                 strerror(errno));
        s->eof = true;
        return DVB_EIO;
    }
    if (n == 0) {
        /* An empty file looped would spin for ever: it just ends. */
        if (s->cfg.loop && f->pass_bytes > 0 &&
            lseek(f->fd, 0, SEEK_SET) == 0) {
            s->st.loops++;
            f->pass_bytes = 0;
            return DVB_OK;
        }
        s->eof = true;
        return DVB_OK;
    }
    s->st.reads++;
    f->pass_bytes += (uint64_t)n;
    return dvb_source_deliver(s, f->buf, (size_t)n);
}

static void file_destroy(dvb_source *s)
{
    file_state *f = s->impl;
    if (f && f->fd >= 0)
        close(f->fd);
    free(f);
    s->impl = NULL;
}

static const dvb_source_vt file_vt = {
    .pump = file_pump,
    .timeout_ms = file_timeout,
    .destroy = file_destroy,
};

dvb_err dvb_source_open_file(const dvb_source_config *cfg, const char *path,
                             dvb_source **out)
{
    if (!cfg || !cfg->sink || !path || !out)
        return DVB_EINVAL;
    *out = NULL;
    size_t chunk = cfg->chunk_bytes ? cfg->chunk_bytes : DEFAULT_CHUNK;
    if (chunk > (64u << 20))
        return DVB_EINVAL;
    dvb_source *s = dvb_source_alloc(cfg, DVB_SOURCE_FILE, &file_vt);
    file_state *f = calloc(1, sizeof *f + chunk);
    if (!s || !f) {
        free(s);
        free(f);
        return DVB_ENOMEM;
    }
    f->chunk = chunk;
    f->fd = -1;
    s->impl = f;
    /* A file never blocks, so there is nothing to poll (s->fd stays -1):
     * the loop is driven by the timeout. */
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        dvb_logf(&s->log, DVB_LOG_ERROR, "%s: %s", path, strerror(errno));
        dvb_source_destroy(s);
        return DVB_EIO;
    }
    *out = s;
    return DVB_OK;
}
