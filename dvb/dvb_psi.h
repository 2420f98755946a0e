/*
 * Finding the carousel through PSI (ISO/IEC 13818-1 2.4.4: PAT, PMT),
 * with the signalling of EN 301 192 clause 8.2 and ES 202 184: a data
 * stream (stream_type 0x0B, or 0x0D / 0x0A) with a data_broadcast_id
 * descriptor (0x66) naming an object-carousel profile, or a
 * carousel_identifier_descriptor (0x13), and stream_identifier
 * descriptors (0x52) mapping component tags to PIDs.
 *
 * The only file of civictv that includes libdvbpsi's headers.
 */
#ifndef DVB_PSI_H
#define DVB_PSI_H

#include "dvb/dvb_internal.h"

#include <stdbool.h>
#include <stdint.h>

#define DVB_PSI_MAX_TAGS 64

typedef struct {
    uint16_t program_number;
    uint16_t pid;                  /* the carousel's elementary stream */
    bool has_carousel_id;
    uint32_t carousel_id;          /* from descriptor 0x13 */
    uint16_t data_broadcast_id;    /* from descriptor 0x66, 0 if none */
    /* component_tag -> elementary_PID for every stream of the service
     * that has a stream_identifier_descriptor (for taps). */
    unsigned ntags;
    uint8_t tag[DVB_PSI_MAX_TAGS];
    uint16_t tag_pid[DVB_PSI_MAX_TAGS];
    /* association_tag -> elementary_PID from association_tag_descriptors
     * (0x14, 13818-6 11.5.2), which name the full 16-bit tag. */
    unsigned nassoc;
    uint16_t assoc[DVB_PSI_MAX_TAGS];
    uint16_t assoc_pid[DVB_PSI_MAX_TAGS];
} dvb_psi_carousel;

/* Called for every version of a wanted program's PMT: c describes the
 * carousel it signals, or is NULL when it signals none (the carousel was
 * removed).  Borrowed until return. */
typedef void (*dvb_psi_found_fn)(void *ud, uint16_t program_number,
                                 const dvb_psi_carousel *c);

typedef struct dvb_psi dvb_psi;

/* service_id / carousel_id: -1 for any. */
dvb_err dvb_psi_create(int service_id, int64_t carousel_id,
                       dvb_psi_found_fn fn, void *ud, const dvb_logger *log,
                       dvb_psi **out);
void dvb_psi_destroy(dvb_psi *p);                   /* NULL is a no-op */
/* Calls the found callback again for every program whose last PMT
 * signalled a carousel, except except_program (after the chosen one lost
 * its carousel). */
void dvb_psi_reoffer(dvb_psi *p, int except_program);
/* fn(ud) is called (with create's ud) after each new SDT version. */
void dvb_psi_on_names(dvb_psi *p, void (*fn)(void *ud));

/* Offers a packet (188 bytes, error-free); the PSI layer takes those of
 * PID 0, of the PMT PIDs it learnt and of the SDT (PID 0x0011), and
 * returns whether it did. */
bool dvb_psi_push(dvb_psi *p, const uint8_t *pkt);

/* The name of a service from the SDT actual (EN 300 468 5.2.3, table_id
 * 0x42; service_descriptor 6.2.33) in UTF-8, NULL until one was seen. */
const char *dvb_psi_service_name(const dvb_psi *p, uint16_t service_id);

/* DVB text (EN 300 468 annex A: an optional character-table selector,
 * then bytes in that table) to UTF-8 in out (always NUL-terminated;
 * cap >= 1).  Control codes 0x80-0x9F are dropped (0x8A, CR/LF, becomes
 * a space).  Returns DVB_EUNSUPPORTED for an unknown table, DVB_ESYNTAX
 * for bytes invalid in their table. */
dvb_err dvb_text_to_utf8(const uint8_t *p, size_t len, char *out,
                         size_t cap);

/* Whether a PAT, PMT or SDT section is sound enough for libdvbpsi: long
 * form, at most 1024 bytes, CRC_32 right, and every length inside it
 * (program_info_length, ES_info_length, descriptors_loop_length, each
 * descriptor_length) within the section.  Exposed for tests. */
bool dvb_psi_section_ok(const uint8_t *sec, size_t len);

/* Resolves a component tag of the found service; -1 if unknown. */
int dvb_psi_carousel_tag_pid(const dvb_psi_carousel *c, uint16_t tag);

/* What the descriptors of one elementary stream say about a carousel;
 * fed one descriptor at a time (tag, contents).  Exposed for tests. */
typedef struct {
    bool has_data_broadcast_id;
    uint16_t data_broadcast_id;
    bool has_carousel_id;
    uint32_t carousel_id;
    bool has_component_tag;
    uint8_t component_tag;
    bool has_association_tag;
    uint16_t association_tag;      /* from descriptor 0x14 */
} dvb_psi_es_info;

void dvb_psi_es_descriptor(dvb_psi_es_info *info, uint8_t tag,
                           const uint8_t *data, size_t len);
/* Whether the stream is a carousel the configuration wants. */
bool dvb_psi_es_is_carousel(uint8_t stream_type, const dvb_psi_es_info *info,
                            int64_t want_carousel_id);

#endif
