/*
 * Module reassembly (ISO/IEC 13818-6 7.3.8, TR 101 202 4.6.3): DDB blocks
 * in any order, duplicates ignored, then zlib decompression when the DII
 * announced a compressed_module_descriptor.
 */
#ifndef DVB_MODULE_H
#define DVB_MODULE_H

#include "dvb/dvb_dsmcc.h"
#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dvb_module dvb_module;

/* A module announced by a DII.  Sizes are checked against max_bytes
 * (moduleSize, and original_size when compressed) before anything is
 * allocated: DVB_ELIMIT.  Its buffers come from pages (NULL: malloc),
 * which must outlive the module. */
dvb_err dvb_module_create(const dvb_dii_module *info, uint16_t blockSize,
                          size_t max_bytes, dvb_pages *pages,
                          dvb_module **out);
void dvb_module_destroy(dvb_module *m);             /* NULL is a no-op */

/* Adds one block.  DVB_OK when stored (or already had), DVB_ESYNTAX when
 * the block number or length cannot belong to this module, DVB_ENOMEM.
 * Completing the module decompresses it; a module that fails to inflate
 * to exactly original_size is reset to receive again and the error is
 * returned (DVB_ESYNTAX or DVB_EUNSUPPORTED). */
dvb_err dvb_module_add_block(dvb_module *m, uint16_t blockNumber,
                             const uint8_t *data, size_t len);

bool dvb_module_complete(const dvb_module *m);
/* Whether block blockNumber is already held (or the module complete). */
bool dvb_module_has_block(const dvb_module *m, uint16_t blockNumber);
/* The module's content once complete (decompressed), else NULL.
 * Borrowed: retain it to keep it past the module. */
dvb_blob *dvb_module_blob(const dvb_module *m);
/* Content received so far, in transmitted (maybe compressed) bytes. */
size_t dvb_module_bytes_done(const dvb_module *m);
const dvb_dii_module *dvb_module_info(const dvb_module *m);
/* Blocks copied into this module since it was created (repeats and
 * blocks refused are not counted; a failed inflate does not undo it). */
uint64_t dvb_module_blocks_stored(const dvb_module *m);

/* Makes m complete with content b (retained), for a module that did not
 * change across a DII update. */
void dvb_module_adopt(dvb_module *m, dvb_blob *b);

/* Inflates a zlib (RFC 1950) stream to exactly want bytes; raw deflate
 * (RFC 1951) is accepted too, as some encoders omit the zlib header.
 * The blob comes from pages (NULL: malloc). */
dvb_err dvb_inflate(dvb_pages *pages, const uint8_t *in, size_t in_len,
                    size_t want, dvb_blob **out);

#endif
