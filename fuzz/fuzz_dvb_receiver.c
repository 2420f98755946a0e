/*
 * libFuzzer target: bytes as a transport stream into a receiver, once
 * with the carousel PID given (0x076A, as the fixture capture uses, and
 * the first packet's PID so that mutations reach the section parsers)
 * and once finding it through PAT/PMT, each time pushing the bytes twice
 * (the second pass meets blocks already held).  The first byte picks
 * the chunk size so that chunk boundaries are fuzzed too.
 */
#include "dvb/dvb.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Looks at every object (paths, stream details) so ASan sees any bad
 * pointer the store hands out. */
static int visit(void *ud, const char *path, const dvb_object_info *info,
                 const uint8_t *data)
{
    (void)ud;
    size_t n = strlen(path) + strlen(info->description);
    for (size_t i = 0; i < info->taps_count; i++)
        n += info->taps[i].use;
    for (size_t i = 0; i < info->event_names_count; i++)
        n += strlen(info->event_names[i]);
    for (size_t i = 0; i < info->event_ids_count; i++)
        n += info->event_ids[i];
    if (data && info->size)
        n += data[0] + data[info->size - 1];
    return n == (size_t)-1;
}

static void run(int pid, const uint8_t *data, size_t size, size_t chunk)
{
    dvb_receiver_config cfg = {
        .pid = pid, .service_id = -1, .carousel_id = -1,
        .max_module_bytes = 1 << 20, .max_store_bytes = 4 << 20,
    };
    dvb_receiver *r;
    if (dvb_receiver_create(&cfg, &r) != DVB_OK)
        return;
    /* Twice, as a carousel cycles: the second time most sections are
     * repetitions, passed over on their first packet. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t off = 0; off < size; off += chunk)
            dvb_receiver_push(r, data + off, size - off < chunk ? size - off
                                                                : chunk);
    dvb_store *s = dvb_receiver_store(r);
    if (s) {
        const uint8_t *d;
        size_t l;
        dvb_store_lookup(s, "/index.html", &d, &l);
    }
    /* The partial view, its "not yet" answers, and every object. */
    dvb_store *p = dvb_receiver_partial_store(r);
    if (p) {
        const uint8_t *d;
        size_t l;
        dvb_object_info info;
        dvb_store_lookup(p, "/index.html", &d, &l);
        dvb_store_lookup(p, "/a/b/c", &d, &l);
        dvb_store_stat(p, "/", &info);
        dvb_store_walk_objects(p, visit, NULL);
    }
    dvb_progress pr;
    dvb_receiver_progress(r, &pr);
    (void)dvb_receiver_service_name(r);
    dvb_receiver_destroy(r);
    dvb_store_release(s);
    dvb_store_release(p);
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
