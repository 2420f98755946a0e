/*
 * libFuzzer target: the carousel tool's state file parser
 * (carousel/oc_state.c, oc_state_parse) and its PNG header check
 * (carousel/oc_content.c, libpng), on arbitrary bytes.  The first byte
 * chooses which; nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "carousel/oc_content.h"
#include "carousel/oc_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* exact-size copy so ASan sees any over-read */
    uint8_t *c = malloc(size - 1 ? size - 1 : 1);
    if (!c)
        return 0;
    memcpy(c, data + 1, size - 1);
    if (data[0] & 1) {
        oc_content_check_png("f.png", c, size - 1, NULL, NULL);
    } else {
        oc_state s;
        char why[256];
        if (oc_state_parse("f", (const char *)c, size - 1, &s, why,
                           sizeof why) == OC_OK)
            oc_state_free(&s);
    }
    free(c);
    return 0;
}
