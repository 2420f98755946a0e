/*
 * The Linux DVB demux source (linux/dvb/dmx.h, the kernel's "Digital TV
 * Demux API"): what a set-top box reads once its tuner is locked.
 *
 * Two ways to filter, both as the kernel offers them:
 *
 *   TS tap     DMX_SET_PES_FILTER with output DMX_OUT_TSDEMUX_TAP and
 *              pes_type DMX_PES_OTHER: the demux descriptor itself yields
 *              the 188-byte packets of the PID, and DMX_ADD_PID adds more
 *              PIDs to the same descriptor.  PID 0x2000 asks for the whole
 *              multiplex where the driver allows it.  This is what the
 *              receiver wants before it knows its PIDs (PAT, PMT).
 *   sections   DMX_SET_FILTER per (PID, table_id): the kernel matches the
 *              first byte of each section (filter[0]/mask[0]) and each
 *              read(2) returns one whole section.  This is how a box
 *              collects DSI/DII (0x3B) and DDB (0x3C) without waking for
 *              every packet (ETSI TR 101 202 4.7.4 on acquisition).
 *              DMX_CHECK_CRC is not asked for: the receiver checks CRC_32
 *              itself, counts the failures, and copes with the checksum
 *              variant (ISO/IEC 13818-6 9.2.2) that the kernel's check
 *              would reject.
 *
 * Sections are packed back into TS packets of their PID (ISO/IEC 13818-1
 * 2.4.4.2: pointer_field 0 in the packet that starts the section, its own
 * continuity_counter per PID, 0xFF stuffing) so that the receiver has one
 * input format whatever the source.  A read into a buffer holding several
 * sections (a fake device, or a driver that coalesces) is split by
 * section_length; a partial one waits for the rest.
 *
 * Each filter has its own kernel buffer (DMX_SET_BUFFER_SIZE, 1 MiB by
 * default) because a slow reader loses data with EOVERFLOW: that is
 * counted and reported, and reading goes on (the kernel has already
 * restarted the filter).  The descriptors are gathered behind one epoll
 * descriptor so the app's loop polls a single fd.
 *
 * Design for tests: every device call goes through dvb_demux_ops, so a
 * test stands a pipe or socket pair in for the device and records the
 * ioctls; epoll works the same on those descriptors.
 */
#include "dvb/dvb_source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dvb/dmx.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DEFAULT_BUFFER (1u << 20)
#define SECTION_MAX 4096u                 /* ISO/IEC 13818-1 2.4.4.11 */
#define TS_READ (188u * 348u)
#define READS_PER_FILTER 32u              /* bounded pump */

/* ---- the kernel's calls ---- */

static int sys_open(void *ud, const char *path, int flags)
{
    (void)ud;
    return open(path, flags);
}

static int sys_ioctl(void *ud, int fd, unsigned long request, void *arg)
{
    (void)ud;
    return ioctl(fd, request, arg);
}

static ssize_t sys_read(void *ud, int fd, void *buf, size_t len)
{
    (void)ud;
    return read(fd, buf, len);
}

static int sys_close(void *ud, int fd)
{
    (void)ud;
    return close(fd);
}

static const dvb_demux_ops sys_ops = {
    sys_open, sys_ioctl, sys_read, sys_close, NULL
};

/* ---- state ---- */

typedef struct {
    int fd;
    int pid;
    int table_id;                 /* -1: the TS tap */
    size_t carry_len;             /* a partial section from the last read */
    uint8_t carry[SECTION_MAX];
} filter;

typedef struct {
    uint16_t pid;
    uint8_t cc;
} pid_cc;

typedef struct {
    dvb_demux_ops ops;
    filter f[DVB_DEMUX_MAX_FILTERS];
    size_t nf;
    pid_cc cc[DVB_DEMUX_MAX_FILTERS];
    size_t ncc;
    uint8_t buf[TS_READ > SECTION_MAX * 2 ? TS_READ : SECTION_MAX * 2];
    uint8_t pkts[(SECTION_MAX / 184 + 2) * 188];
} demux_state;

static uint8_t *cc_of(demux_state *d, int pid)
{
    for (size_t i = 0; i < d->ncc; i++)
        if (d->cc[i].pid == pid)
            return &d->cc[i].cc;
    /* One entry per filter at most, so there is always room. */
    d->cc[d->ncc].pid = (uint16_t)pid;
    d->cc[d->ncc].cc = 0;
    return &d->cc[d->ncc++].cc;
}

/* One section into TS packets of pid, pushed in one call. */
static dvb_err packetise(dvb_source *s, demux_state *d, int pid,
                         const uint8_t *sec, size_t len)
{
    uint8_t *cc = cc_of(d, pid);
    size_t n = 0, pos = 0;
    bool first = true;
    while (pos < len) {
        uint8_t *p = d->pkts + n * 188;
        p[0] = 0x47;
        p[1] = (uint8_t)((first ? 0x40 : 0) | ((pid >> 8) & 0x1F));
        p[2] = (uint8_t)(pid & 0xFF);
        p[3] = (uint8_t)(0x10 | *cc);
        *cc = (uint8_t)((*cc + 1) & 0x0F);
        size_t at = 4;
        if (first)
            p[at++] = 0;               /* pointer_field */
        size_t room = 188 - at;
        size_t take = len - pos < room ? len - pos : room;
        memcpy(p + at, sec + pos, take);
        memset(p + at + take, 0xFF, room - take);
        pos += take;
        first = false;
        n++;
    }
    return dvb_source_deliver(s, d->pkts, n * 188);
}

/* Splits what one read gave into sections (normally exactly one). */
static dvb_err take_sections(dvb_source *s, demux_state *d, filter *f,
                             const uint8_t *data, size_t len)
{
    for (;;) {
        if (f->carry_len < 3) {
            if (len == 0)
                return DVB_OK;
            size_t take = 3 - f->carry_len < len ? 3 - f->carry_len : len;
            memcpy(f->carry + f->carry_len, data, take);
            f->carry_len += take;
            data += take;
            len -= take;
            continue;
        }
        if (f->carry[0] == 0xFF) {
            f->carry_len = 0;          /* stuffing: the rest is padding */
            return DVB_OK;
        }
        size_t need = 3 + (((size_t)f->carry[1] & 0x0F) << 8 | f->carry[2]);
        if (need > SECTION_MAX) {
            dvb_logf(&s->log, DVB_LOG_WARN,
                     "demux: PID 0x%04X: section_length %zu over the "
                     "maximum; data dropped", (unsigned)f->pid, need - 3);
            f->carry_len = 0;
            return DVB_OK;
        }
        if (f->carry_len < need) {
            if (len == 0)
                return DVB_OK;
            size_t take = need - f->carry_len < len ? need - f->carry_len : len;
            memcpy(f->carry + f->carry_len, data, take);
            f->carry_len += take;
            data += take;
            len -= take;
            continue;
        }
        f->carry_len = 0;
        dvb_err e = packetise(s, d, f->pid, f->carry, need);
        if (e)
            return e;
    }
}

static dvb_err read_filter(dvb_source *s, demux_state *d, filter *f)
{
    for (unsigned i = 0; i < READS_PER_FILTER; i++) {
        size_t want = f->table_id < 0 ? TS_READ : sizeof d->buf;
        ssize_t n = d->ops.read(d->ops.ud, f->fd, d->buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return DVB_OK;
            if (errno == EOVERFLOW) {
                /* The kernel's buffer filled before we read it; it has
                 * dropped data and carries on.  A partial section cannot
                 * be completed now. */
                s->st.overflows++;
                f->carry_len = 0;
                dvb_logf(&s->log, DVB_LOG_WARN,
                         "demux: PID 0x%04X: buffer overflow, data lost",
                         (unsigned)f->pid);
                continue;
            }
            if (errno == ETIMEDOUT)
                return DVB_OK;         /* a filter timeout: nothing came */
            dvb_logf(&s->log, DVB_LOG_ERROR, "demux: PID 0x%04X: %s",
                     (unsigned)f->pid, strerror(errno));
            return DVB_EIO;
        }
        if (n == 0)
            return DVB_OK;             /* a fake device's closed pipe */
        s->st.reads++;
        dvb_err e = f->table_id < 0
                        ? dvb_source_deliver(s, d->buf, (size_t)n)
                        : take_sections(s, d, f, d->buf, (size_t)n);
        if (e)
            return e;
    }
    return DVB_OK;
}

static dvb_err demux_pump(dvb_source *s)
{
    demux_state *d = s->impl;
    for (size_t i = 0; i < d->nf; i++) {
        if (d->f[i].fd < 0)
            continue;                  /* a TS PID added to another's fd */
        dvb_err e = read_filter(s, d, &d->f[i]);
        if (e)
            return e;
    }
    return DVB_OK;
}

static void demux_destroy(dvb_source *s)
{
    demux_state *d = s->impl;
    if (!d)
        return;
    for (size_t i = 0; i < d->nf; i++)
        if (d->f[i].fd >= 0)
            d->ops.close(d->ops.ud, d->f[i].fd);
    free(d);
    s->impl = NULL;
}

static const dvb_source_vt demux_vt = {
    .pump = demux_pump,
    .timeout_ms = NULL,
    .destroy = demux_destroy,
};

static dvb_err dev_fail(dvb_source *s, const char *device, const char *what)
{
    dvb_logf(&s->log, DVB_LOG_ERROR, "%s: %s: %s", device, what,
             strerror(errno));
    return DVB_EIO;
}

static dvb_err open_filter(dvb_source *s, demux_state *d, const char *device,
                           filter *f)
{
    f->fd = d->ops.open(d->ops.ud, device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (f->fd < 0)
        return dev_fail(s, device, "open");
    unsigned long size = s->cfg.demux_buffer ? s->cfg.demux_buffer
                                             : DEFAULT_BUFFER;
    if (d->ops.ioctl(d->ops.ud, f->fd, DMX_SET_BUFFER_SIZE, (void *)size) != 0)
        dvb_logf(&s->log, DVB_LOG_WARN, "%s: DMX_SET_BUFFER_SIZE: %s", device,
                 strerror(errno));
    if (f->table_id < 0) {
        struct dmx_pes_filter_params p;
        memset(&p, 0, sizeof p);
        p.pid = (uint16_t)f->pid;
        p.input = DMX_IN_FRONTEND;
        p.output = DMX_OUT_TSDEMUX_TAP;
        p.pes_type = DMX_PES_OTHER;
        p.flags = DMX_IMMEDIATE_START;
        if (d->ops.ioctl(d->ops.ud, f->fd, DMX_SET_PES_FILTER, &p) != 0)
            return dev_fail(s, device, "DMX_SET_PES_FILTER");
    } else {
        struct dmx_sct_filter_params p;
        memset(&p, 0, sizeof p);
        p.pid = (uint16_t)f->pid;
        p.filter.filter[0] = (uint8_t)f->table_id;
        p.filter.mask[0] = 0xFF;
        p.timeout = 0;
        p.flags = DMX_IMMEDIATE_START;
        if (d->ops.ioctl(d->ops.ud, f->fd, DMX_SET_FILTER, &p) != 0)
            return dev_fail(s, device, "DMX_SET_FILTER");
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = f->fd;
    if (epoll_ctl(s->fd, EPOLL_CTL_ADD, f->fd, &ev) != 0)
        return dev_fail(s, device, "epoll_ctl");
    return DVB_OK;
}

dvb_err dvb_source_open_demux(const dvb_source_config *cfg, const char *device,
                              const dvb_demux_filter *filters, size_t nfilters,
                              dvb_source **out)
{
    if (!cfg || !cfg->sink || !device || !filters || !out || nfilters == 0 ||
        nfilters > DVB_DEMUX_MAX_FILTERS)
        return DVB_EINVAL;
    *out = NULL;
    for (size_t i = 0; i < nfilters; i++) {
        const dvb_demux_filter *f = &filters[i];
        if (f->table_id < -1 || f->table_id > 255 || f->pid < 0 ||
            f->pid > (f->table_id < 0 ? DVB_DEMUX_ALL_PIDS : 0x1FFF))
            return DVB_EINVAL;
    }
    dvb_source *s = dvb_source_alloc(cfg, DVB_SOURCE_DEMUX, &demux_vt);
    demux_state *d = calloc(1, sizeof *d);
    if (!s || !d) {
        free(s);
        free(d);
        return DVB_ENOMEM;
    }
    d->ops = cfg->demux_ops ? *cfg->demux_ops : sys_ops;
    s->impl = d;
    dvb_err e = DVB_OK;
    s->fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->fd < 0) {
        e = dev_fail(s, device, "epoll_create1");
        goto fail;
    }
    int ts_fd = -1;
    for (size_t i = 0; i < nfilters; i++) {
        filter *f = &d->f[d->nf];
        f->fd = -1;
        f->pid = filters[i].pid;
        f->table_id = filters[i].table_id;
        d->nf++;
        if (f->table_id < 0 && ts_fd >= 0) {
            /* More PIDs on the same TS tap (Linux 3.8 and later). */
            uint16_t pid = (uint16_t)f->pid;
            if (d->ops.ioctl(d->ops.ud, ts_fd, DMX_ADD_PID, &pid) != 0) {
                e = dev_fail(s, device, "DMX_ADD_PID");
                goto fail;
            }
            continue;
        }
        e = open_filter(s, d, device, f);
        if (e)
            goto fail;
        if (f->table_id < 0)
            ts_fd = f->fd;
    }
    *out = s;
    return DVB_OK;
fail:
    dvb_source_destroy(s);
    return e;
}
