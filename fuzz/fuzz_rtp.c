/*
 * libFuzzer target for the parsers of dvb/dvb_source*.c:
 *
 *  - the RTP fixed header (RFC 3550 clause 5.1: CSRC list, header
 *    extension, padding), on the whole input;
 *  - the demux source's section splitting and repacketising (ISO/IEC
 *    13818-1 2.4.4), on the same bytes served as the reads of a fake
 *    demux device in pieces whose sizes the first byte chooses, into a
 *    receiver.  The device calls go through dvb_demux_ops; an eventfd
 *    stands in for the descriptor so epoll accepts it.
 */
#include "dvb/dvb.h"
#include "dvb/dvb_source.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *data;
    size_t size, pos, piece;
} feed;

static int f_open(void *ud, const char *path, int flags)
{
    (void)ud;
    (void)path;
    (void)flags;
    return eventfd(0, EFD_CLOEXEC);
}

static int f_ioctl(void *ud, int fd, unsigned long req, void *arg)
{
    (void)ud;
    (void)fd;
    (void)req;
    (void)arg;
    return 0;
}

static ssize_t f_read(void *ud, int fd, void *buf, size_t len)
{
    feed *f = ud;
    (void)fd;
    if (f->pos == f->size) {
        errno = EAGAIN;
        return -1;
    }
    size_t n = f->size - f->pos;
    if (n > f->piece)
        n = f->piece;
    if (n > len)
        n = len;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

static int f_close(void *ud, int fd)
{
    (void)ud;
    return close(fd);
}

static dvb_err to_rx(void *ud, const uint8_t *d, size_t n)
{
    return dvb_receiver_push(ud, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dvb_rtp_header h;
    if (dvb_rtp_parse(data, size, &h) == DVB_OK && h.payload_len) {
        volatile uint8_t sink = h.payload[0] ^ h.payload[h.payload_len - 1];
        (void)sink;
    }
    if (size < 1)
        return 0;

    dvb_receiver_config rc = {
        .pid = 0x0100, .service_id = -1, .carousel_id = -1,
        .max_module_bytes = 1 << 20, .max_store_bytes = 4 << 20,
    };
    dvb_receiver *r;
    if (dvb_receiver_create(&rc, &r) != DVB_OK)
        return 0;
    feed f = { data + 1, size - 1, 0, (size_t)data[0] * 17 + 1 };
    dvb_demux_ops ops = { f_open, f_ioctl, f_read, f_close, &f };
    dvb_source_config sc;
    memset(&sc, 0, sizeof sc);
    sc.sink = to_rx;
    sc.sink_ud = r;
    sc.demux_ops = &ops;
    dvb_demux_filter filt[] = { { 0x0100, 0x3B }, { 0x0100, 0x3C } };
    dvb_source *s;
    if (dvb_source_open_demux(&sc, "/dev/dvb/adapter0/demux0", filt, 2, &s) ==
        DVB_OK) {
        for (int i = 0; i < 10000 && f.pos < f.size; i++)
            dvb_source_pump(s);
        dvb_source_destroy(s);
    }
    dvb_receiver_destroy(r);
    return 0;
}
