/*
 * libFuzzer target: the content format's decoders (model/cm.c), which
 * read what comes off the air: manifests, menus and pages, the regions
 * table with postcode lookups, and the PNG check.  The first byte picks
 * the decoder; the rest is the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/cm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 4;
    data++;
    size--;
    cm_diag d;
    switch (which) {
    case 0: {
        cm_manifest m;
        if (cm_manifest_parse(data, size, "manifest.json", &m, &d) == CM_OK)
            cm_manifest_free(&m);
        break;
    }
    case 1: {
        cm_doc doc;
        if (cm_doc_parse(data, size, "pages/x.json", &doc, &d) == CM_OK) {
            for (size_t i = 0; i < doc.n_items; i++)
                (void)cm_target_classify(doc.items[i].target);
            cm_doc_free(&doc);
        }
        break;
    }
    case 2: {
        cm_regions r;
        if (cm_regions_parse(data, size, "regions.json", &r, &d) == CM_OK) {
            /* Look up every entry and some made-up postcodes. */
            for (size_t i = 0; i < r.n_councils; i++)
                for (size_t k = 0; k < r.councils[i].n_postcodes; k++)
                    if (cm_regions_lookup(&r, r.councils[i].postcodes[k]) < 0 &&
                        strlen(r.councils[i].postcodes[k]) > 2)
                        __builtin_trap();   /* a listed district must be found */
            (void)cm_regions_lookup(&r, "CE1 2AB");
            (void)cm_regions_lookup(&r, "ec1a1bb");
            cm_regions_free(&r);
        }
        /* The raw bytes as a viewer's postcode, too. */
        char pc[32], out[8];
        size_t n = size < sizeof pc - 1 ? size : sizeof pc - 1;
        memcpy(pc, data, n);
        pc[n] = '\0';
        (void)cm_postcode_outward(pc, out);
        break;
    }
    default:
        (void)cm_png_check(data, size, "images/x.png", &d);
        break;
    }
    return 0;
}
