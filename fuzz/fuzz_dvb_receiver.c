/*
 * libFuzzer target: bytes as a transport stream into a receiver, once
 * with the carousel PID given (0x076A, as the fixture capture uses, and
 * the first packet's PID so that mutations reach the section parsers)
 * and once finding it through PAT/PMT.  The first byte picks the chunk
 * size so that chunk boundaries are fuzzed too.
 */
#include "dvb/dvb.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(int pid, const uint8_t *data, size_t size, size_t chunk)
{
    dvb_receiver_config cfg = {
        .pid = pid, .service_id = -1, .carousel_id = -1,
        .max_module_bytes = 1 << 20, .max_store_bytes = 4 << 20,
    };
    dvb_receiver *r;
    if (dvb_receiver_create(&cfg, &r) != DVB_OK)
        return;
    for (size_t off = 0; off < size; off += chunk)
        dvb_receiver_push(r, data + off, size - off < chunk ? size - off
                                                            : chunk);
    dvb_store *s = dvb_receiver_store(r);
    if (s) {
        const uint8_t *d;
        size_t l;
        dvb_store_lookup(s, "/index.html", &d, &l);
    }
    dvb_receiver_destroy(r);
    dvb_store_release(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = 1 + (size_t)data[0] * 17;
    data++;
    size--;
    int pid = 0x076A;
    if (size >= 3 && data[0] == 0x47)
        pid = ((data[1] & 0x1F) << 8) | data[2];
    run(pid, data, size, chunk);
    run(-1, data, size, chunk);
    return 0;
}
