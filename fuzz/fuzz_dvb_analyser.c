/*
 * libFuzzer target for the stream analyser of dvb/dvb_introspect.h
 * (civictv-carousel inspect): bytes as a transport stream, chunked at a
 * size the first byte chooses, then every getter walked so that a bad
 * count or pointer shows up under ASan.  Continuity and PSI follow
 * ISO/IEC 13818-1 2.4.3-2.4.4; DSI/DII/DDB ISO/IEC 13818-6 7.3.
 */
#include "dvb/dvb_introspect.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] * 3 + 1;
    data++;
    size--;
    dvb_analyser *a;
    if (dvb_analyser_create(&a) != DVB_OK)
        return 0;
    for (size_t off = 0; off < size; off += chunk)
        dvb_analyser_push(a, data + off, size - off < chunk ? size - off : chunk);
    uint64_t sum = 0;
    dvb_analysis_totals t;
    dvb_analyser_totals(a, &t);
    sum += t.packets + t.cc_errors;
    for (size_t i = 0; i < dvb_analyser_pid_count(a); i++)
        sum += dvb_analyser_pid(a, i)->packets;
    for (size_t i = 0; i < dvb_analyser_service_count(a); i++) {
        const dvb_service_desc *s = dvb_analyser_service(a, i);
        for (size_t k = 0; k < s->es_count; k++)
            sum += s->es[k].pid;
        sum += (uint8_t)s->name[0];
    }
    for (size_t i = 0; i < dvb_analyser_carousel_count(a); i++) {
        const dvb_carousel_desc *c = dvb_analyser_carousel(a, i);
        for (size_t d = 0; d < c->dii_count_distinct; d++)
            for (size_t k = 0; k < c->diis[d].module_count; k++)
                sum += c->diis[d].modules[k].blocks_seen;
    }
    sink = sum;
    dvb_analyser_destroy(a);
    return 0;
}
