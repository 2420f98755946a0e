/*
 * libFuzzer target: the receiver driven through its PSI path (PAT, PMT
 * and SDT through libdvbpsi: ISO/IEC 13818-1 2.4.4, EN 300 468 5.2.3) with
 * sections whose CRC_32 is always right, so that mutations reach the
 * carousel signalling, PMT updates that move or drop the carousel, and
 * the service-name conversion, rather than dying at the CRC.
 *
 * A first byte with its top bit set gives the receiver the carousel PID
 * (0x0200) instead, so that DSM-CC records (DSI, DII, DDB with right
 * CRCs) reach acquisition, updates, ceilings and the tree directly.
 *
 * Input: records of [kind][version][length][bytes...]; kind picks the
 * table and PID (PAT on 0, PMT on 0x100, SDT on 0x11, DSM-CC 0x3B/0x3C on
 * the PID the last PMT bytes named, or 0x200), version the
 * version_number.  Each record becomes one section, packetised.
 */
#include "dvb/dvb.h"
#include "dvb/dvb_crc32.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint8_t cc[0x2000 / 64];   /* a CC per PID bucket is enough here */
    uint8_t ts[64 * 188];
    size_t n;
} out_t;

static void packetise(out_t *o, uint16_t pid, const uint8_t *sec, size_t len)
{
    size_t off = 0;
    int first = 1;
    while ((off < len || first) && o->n + 188 <= sizeof o->ts) {
        uint8_t *p = o->ts + o->n;
        memset(p, 0xFF, 188);
        p[0] = 0x47;
        p[1] = (uint8_t)((first ? 0x40 : 0) | (pid >> 8));
        p[2] = (uint8_t)pid;
        uint8_t *cc = &o->cc[pid / 64];
        p[3] = (uint8_t)(0x10 | (*cc & 0x0F));
        (*cc)++;
        size_t at = 4;
        if (first)
            p[at++] = 0;
        size_t k = len - off < 188 - at ? len - off : 188 - at;
        memcpy(p + at, sec + off, k);
        off += k;
        first = 0;
        o->n += 188;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dvb_receiver_config cfg = {
        .pid = -1, .service_id = -1, .carousel_id = -1,
        .max_module_bytes = 1 << 16, .max_store_bytes = 1 << 18,
    };
    if (size && (data[0] & 0x80)) {
        cfg.pid = 0x200;
        data++;
        size--;
    }
    dvb_receiver *r;
    if (dvb_receiver_create(&cfg, &r) != DVB_OK)
        return 0;
    out_t o;
    memset(&o, 0, sizeof o);
    uint16_t carousel_pid = 0x200;
    size_t i = 0;
    while (i + 3 <= size) {
        uint8_t kind = data[i], version = data[i + 1];
        size_t len = data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        static const uint8_t tids[4] = { 0x00, 0x02, 0x42, 0x3B };
        static const uint16_t pids[3] = { 0x0000, 0x0100, 0x0011 };
        uint8_t tid = tids[kind & 3];
        if ((kind & 3) == 3 && (kind & 4))
            tid = 0x3C;
        uint16_t pid = (kind & 3) == 3 ? carousel_pid : pids[kind & 3];
        uint16_t ext = (kind & 3) == 1 ? (uint16_t)(7 + ((kind >> 4) & 1)) : 1;
        uint8_t sec[3 + 5 + 255 + 4];
        size_t n = 0;
        sec[n++] = tid;
        size_t slen = 5 + len + 4;
        sec[n++] = (uint8_t)(0xB0 | (slen >> 8));
        sec[n++] = (uint8_t)slen;
        sec[n++] = (uint8_t)(ext >> 8);
        sec[n++] = (uint8_t)ext;
        sec[n++] = (uint8_t)(0xC1 | ((version & 0x1F) << 1));
        sec[n++] = 0;
        sec[n++] = 0;
        memcpy(sec + n, data + i, len);
        n += len;
        uint32_t crc = dvb_crc32(sec, n);
        sec[n++] = (uint8_t)(crc >> 24);
        sec[n++] = (uint8_t)(crc >> 16);
        sec[n++] = (uint8_t)(crc >> 8);
        sec[n++] = (uint8_t)crc;
        /* A PMT's first elementary stream PID is where DSM-CC goes. */
        if ((kind & 3) == 1 && len >= 9)
            carousel_pid = (uint16_t)(((data[i + 5] & 0x1F) << 8) |
                                      data[i + 6]);
        i += len;
        packetise(&o, pid, sec, n);
        if (o.n + 4 * 188 > sizeof o.ts) {
            dvb_receiver_push(r, o.ts, o.n);
            o.n = 0;
        }
    }
    /* Three null packets so the last section is not held for sync. */
    for (int k = 0; k < 3 && o.n + 188 <= sizeof o.ts; k++) {
        uint8_t np[4] = { 0x47, 0x1F, 0xFF, 0x10 };
        memset(o.ts + o.n, 0xFF, 188);
        memcpy(o.ts + o.n, np, 4);
        o.n += 188;
    }
    dvb_receiver_push(r, o.ts, o.n);
    (void)dvb_receiver_service_name(r);
    dvb_store *p = dvb_receiver_partial_store(r);
    dvb_store_release(p);
    dvb_receiver_destroy(r);
    return 0;
}
