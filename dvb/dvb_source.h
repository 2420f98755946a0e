/*
 * Transport-stream sources: where the receiver's bytes come from.
 *
 * Three kinds of source sit behind one push interface, so the app's one
 * poll() loop treats them alike:
 *
 *   file   a .ts file read as fast as possible, or paced to a bit rate by
 *          the wall clock (as a multiplex would deliver it), optionally
 *          looped (a carousel on air never ends)
 *   udp    TS in UDP datagrams, usually 7 x 188 bytes each (the common
 *          headend and test-playout practice; ETSI TS 102 034 clause 7.1
 *          for the IPTV form), unicast or multicast (IP_ADD_MEMBERSHIP /
 *          IPV6_JOIN_GROUP)
 *   rtp    the same with an RTP header (RFC 3550 clause 5.1, payload type
 *          33 MP2T of RFC 3551 and RFC 2250 clause 2): sequence numbers
 *          reveal lost, duplicated and late datagrams
 *   demux  the Linux DVB demux device (/dev/dvb/adapterN/demuxN, the
 *          linux/dvb/dmx.h API): either TS packets of chosen PIDs
 *          (DMX_SET_PES_FILTER with DMX_OUT_TSDEMUX_TAP, DMX_ADD_PID) or
 *          section filters per PID and table_id (DMX_SET_FILTER), as a set
 *          top box does once it knows where its carousel is.  Sections
 *          are packed back into TS packets (ISO/IEC 13818-1 2.4.4:
 *          pointer_field, continuity_counter) so the receiver sees one kind
 *          of input whatever the source.
 *
 * Use from a poll() loop:
 *
 *   fd = dvb_source_fd(s);              poll it for POLLIN when >= 0
 *   t  = dvb_source_timeout_ms(s);      the most the loop may sleep
 *   dvb_source_pump(s);                 read what is ready, push it to the
 *                                       sink; never blocks
 *   dvb_source_eof(s)                   a file that ended (never a socket)
 *
 * A pump reads at most chunk_bytes (files) or a bounded number of
 * datagrams or sections, so that one busy source never starves the keys;
 * the kernel's demux drops unread data with EOVERFLOW, so the loop should
 * come back quickly (the timeout says so).
 *
 * Ownership: a source owns its descriptors and buffers; the sink borrows
 * the bytes it is given until it returns.  No global state: everything,
 * including the clock and the demux device calls, comes through the
 * configuration, so tests can replace them.
 */
#ifndef DVB_SOURCE_H
#define DVB_SOURCE_H

#include "dvb/dvb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Receives transport-stream bytes (whole packets from every source but a
 * file with a torn last packet).  A non-zero return stops the pump and is
 * returned by dvb_source_pump.  dvb_receiver_push fits through a
 * one-line wrapper. */
typedef dvb_err (*dvb_source_sink_fn)(void *ud, const uint8_t *data,
                                      size_t len);

/* The device calls of the demux source.  NULL in the configuration means
 * the kernel's (open(2), ioctl(2), read(2), close(2)); tests put a fake
 * device behind them.  Each returns what the system call would, with
 * errno set on failure. */
typedef struct {
    int (*open)(void *ud, const char *path, int flags);
    int (*ioctl)(void *ud, int fd, unsigned long request, void *arg);
    ssize_t (*read)(void *ud, int fd, void *buf, size_t len);
    int (*close)(void *ud, int fd);
    void *ud;
} dvb_demux_ops;

/* One demux filter.  table_id -1 passes the TS packets of pid
 * (DMX_OUT_TSDEMUX_TAP; pid 0x2000 is the whole multiplex on drivers
 * that allow it); 0..255 is a section filter on pid for that table_id. */
typedef struct {
    int pid;
    int table_id;
} dvb_demux_filter;

#define DVB_DEMUX_MAX_FILTERS 32
#define DVB_DEMUX_ALL_PIDS 0x2000

typedef struct {
    dvb_source_sink_fn sink;       /* required */
    void *sink_ud;
    void (*log)(void *ud, dvb_log_level level, const char *msg);
    void *log_ud;
    /* file: bits per second to pace to (0: as fast as it can be read) and
     * whether to start again at the end. */
    uint64_t rate_bps;
    bool loop;
    /* file: most bytes one pump reads (0: 64 KiB of whole packets). */
    size_t chunk_bytes;
    /* Monotonic clock in nanoseconds for pacing; NULL: CLOCK_MONOTONIC.
     * Tests replace it to check pacing without timing anything. */
    uint64_t (*now_ns)(void *ud);
    void *now_ud;
    /* demux: the device calls; NULL: the kernel's. */
    const dvb_demux_ops *demux_ops;
    /* demux: kernel buffer per filter in bytes (0: 1 MiB). */
    size_t demux_buffer;
} dvb_source_config;

typedef enum {
    DVB_SOURCE_FILE,
    DVB_SOURCE_UDP,
    DVB_SOURCE_RTP,
    DVB_SOURCE_DEMUX
} dvb_source_kind;

typedef struct {
    uint64_t bytes;                /* pushed to the sink */
    uint64_t reads;                /* reads, datagrams or sections taken */
    uint64_t loops;                /* file: times it started again */
    uint64_t rtp_lost;             /* rtp: datagrams missing (sequence gaps) */
    uint64_t rtp_gaps;             /* rtp: gaps seen (each one or more lost) */
    uint64_t rtp_duplicates;       /* rtp: repeated sequence numbers, dropped */
    uint64_t rtp_late;             /* rtp: out of order, dropped */
    uint64_t rtp_bad;              /* rtp: headers that did not parse */
    uint64_t overflows;            /* demux: EOVERFLOW (the kernel dropped data) */
} dvb_source_stats;

typedef struct dvb_source dvb_source;

/* Opens by name: "udp://HOST:PORT", "rtp://HOST:PORT" (HOST may be a
 * multicast group, empty or "@" for any address, "[v6]" in brackets), or
 * else a file path.  Errors: DVB_EINVAL for a malformed address,
 * DVB_EIO when the file or socket cannot be opened (logged with the
 * reason), DVB_ENOMEM. */
dvb_err dvb_source_open(const dvb_source_config *cfg, const char *name,
                        dvb_source **out);
dvb_err dvb_source_open_file(const dvb_source_config *cfg, const char *path,
                             dvb_source **out);
/* url is "udp://..." or "rtp://...". */
dvb_err dvb_source_open_net(const dvb_source_config *cfg, const char *url,
                            dvb_source **out);
/* device is /dev/dvb/adapterN/demuxN; 1..DVB_DEMUX_MAX_FILTERS filters.
 * TS-tap filters share one descriptor (DMX_ADD_PID); each section filter
 * has its own, gathered behind one epoll descriptor for dvb_source_fd. */
dvb_err dvb_source_open_demux(const dvb_source_config *cfg, const char *device,
                              const dvb_demux_filter *filters, size_t nfilters,
                              dvb_source **out);
void dvb_source_destroy(dvb_source *s);            /* NULL is a no-op */

/* The kind of s (DVB_SOURCE_FILE for NULL). */
dvb_source_kind dvb_source_kind_of(const dvb_source *s);
/* The descriptor to poll for POLLIN, or -1 when there is none (a file
 * never blocks: use the timeout). */
int dvb_source_fd(const dvb_source *s);
/* How long the loop may sleep before the next pump: 0 ready now (a fast
 * file), N ms (a paced file), -1 wait for the descriptor only. */
int dvb_source_timeout_ms(const dvb_source *s);
/* Reads what is ready without blocking and pushes it to the sink.
 * DVB_OK also when nothing was ready; DVB_EIO on a read error (logged);
 * otherwise what the sink returned. */
dvb_err dvb_source_pump(dvb_source *s);
/* A file that ended (without loop).  Sockets and devices never end. */
bool dvb_source_eof(const dvb_source *s);
void dvb_source_stats_get(const dvb_source *s, dvb_source_stats *st);

/* ---- RTP (RFC 3550 clause 5.1), exposed for tests and fuzzing ---- */

typedef struct {
    uint8_t version;               /* always 2 when parsed */
    bool padding;
    bool extension;
    uint8_t csrc_count;
    bool marker;
    uint8_t payload_type;          /* 33: MP2T (RFC 3551) */
    uint16_t sequence_number;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint8_t *payload;        /* borrowed from the datagram */
    size_t payload_len;
} dvb_rtp_header;

/* Parses a datagram: version 2, CSRC list, header extension and padding
 * all checked against the datagram's length.  DVB_ETRUNC when a length
 * runs past the end, DVB_ESYNTAX for another version or impossible
 * padding. */
dvb_err dvb_rtp_parse(const uint8_t *p, size_t len, dvb_rtp_header *out);

#endif
