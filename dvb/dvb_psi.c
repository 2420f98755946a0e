/*
 * PAT and PMT through libdvbpsi (ISO/IEC 13818-1 2.4.4.3, 2.4.4.8), and
 * the carousel signalling in the PMT:
 *
 *  - stream_type 0x0B: ISO/IEC 13818-6 type B, DSM-CC U-N messages, the
 *    type EN 301 192 8.2 gives object carousels; 0x0D (any DSM-CC) and
 *    0x0A (type A) are accepted as some multiplexers use them;
 *  - data_broadcast_id_descriptor 0x66 (EN 300 468 6.2.12) with the id
 *    of a profile that uses object carousels: 0x0106 (UK MHEG, ES 202 184
 *    9.3.2), 0x00F0 (MHP, TS 101 812), 0x0123 (HbbTV, TS 102 796);
 *  - carousel_identifier_descriptor 0x13 (13818-6 11.5.1, EN 301 192
 *    8.2.2) with the carousel_id, which marks the stream that carries the
 *    DSI;
 *  - stream_identifier_descriptor 0x52 (EN 300 468 6.2.39): the
 *    component_tag that taps' association_tags name (TR 101 202 4.7.7;
 *    ES 202 184 uses them to find modules on other streams);
 *  - association_tag_descriptor 0x14 (13818-6 11.5.2), which some
 *    non-UK profiles use instead: the full 16-bit association_tag.
 *
 * One libdvbpsi handle decodes the PAT and one per program decodes its
 * PMT (libdvbpsi handles hold a single table decoder each).  A PAT
 * update that moves a PMT is followed; every new PMT version of a wanted
 * program is reported, found or not, so that the receiver can follow a
 * carousel that moves or disappears (13818-1 2.4.4.8: a new
 * version_number replaces the previous PMT).
 *
 * libdvbpsi trusts the lengths inside a section whose CRC is right (a PMT
 * whose program_info_length runs past the section makes it read out of
 * bounds), so it never sees raw packets: sections are reassembled here
 * (dvb_secasm), their CRC and every length inside them checked
 * (13818-1 2.4.4.3-2.4.4.9, EN 300 468 5.2.3), and only sound sections
 * are handed over, packetised again.
 *
 * The SDT actual (EN 300 468 5.2.3, PID 0x0011, table_id 0x42) goes
 * through libdvbpsi's demultiplexer and SDT decoder; the service_descriptor
 * (0x48, EN 300 468 6.2.33) gives each service's name, which is text in
 * the character tables of EN 300 468 annex A, converted to UTF-8 with
 * iconv.
 */
#include "dvb/dvb_psi.h"

#include "dvb/dvb_bytes.h"
#include "dvb/dvb_crc32.h"
#include "dvb/dvb_ts.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dvbpsi/dvbpsi.h>
#include <dvbpsi/psi.h>
#include <dvbpsi/descriptor.h>
#include <dvbpsi/demux.h>
#include <dvbpsi/dr_48.h>
#include <dvbpsi/pat.h>
#include <dvbpsi/pmt.h>
#include <dvbpsi/sdt.h>

#define MAX_PROGRAMS 64
#define MAX_NAMES 64
#define SDT_PID 0x0011

typedef struct {
    uint16_t service_id;
    char name[256 * 3 + 1];    /* 255 bytes of text, at most 3x in UTF-8 */
} service_name;

/* Sound sections of one PID, on their way to one libdvbpsi handle. */
typedef struct {
    struct dvb_psi *p;
    dvbpsi_t *h;
    dvb_secasm *a;
    uint8_t cc;                /* continuity counter of the re-packetising */
    /* The last section handed over (checked), so that its repetitions,
     * which are most of the PSI a multiplex sends and which libdvbpsi
     * would only parse to ignore, stop here.  Allocated at first use. */
    uint8_t *last;
    size_t last_len;
} feeder;

typedef struct {
    uint16_t number;
    uint16_t pid;
    dvbpsi_t *h;
    feeder f;
    bool has_car;              /* the last PMT version signalled one */
    dvb_psi_carousel car;
} program;

struct dvb_psi {
    int service_id;
    int64_t carousel_id;
    dvb_psi_found_fn fn;
    void (*names_fn)(void *ud);
    void *ud;
    dvb_logger log;
    dvbpsi_t *pat;
    feeder pat_f;
    program progs[MAX_PROGRAMS];
    unsigned nprogs;
    dvbpsi_t *sdt;             /* a demux with the SDT actual decoder */
    feeder sdt_f;
    bool sdt_attached;
    service_name names[MAX_NAMES];
    unsigned nnames;
    uint8_t pids[8192 / 8];    /* PIDs some feeder reads (update_pids) */
};

static void psi_message(dvbpsi_t *h, const dvbpsi_msg_level_t level,
                        const char *msg)
{
    dvb_psi *p = h->p_sys;
    dvb_logf(&p->log, level == DVBPSI_MSG_ERROR ? DVB_LOG_WARN : DVB_LOG_DEBUG,
             "libdvbpsi: %s", msg);
}

void dvb_psi_es_descriptor(dvb_psi_es_info *info, uint8_t tag,
                           const uint8_t *data, size_t len)
{
    dvb_reader r = dvb_reader_init(data, len);
    switch (tag) {
    case 0x66: {
        uint16_t id = dvb_read_u16(&r);
        if (!r.failed && !info->has_data_broadcast_id) {
            info->has_data_broadcast_id = true;
            info->data_broadcast_id = id;
        }
        break;
    }
    case 0x13: {
        uint32_t id = dvb_read_u32(&r);
        if (!r.failed && !info->has_carousel_id) {
            info->has_carousel_id = true;
            info->carousel_id = id;
        }
        break;
    }
    case 0x14: {
        /* association_tag_descriptor (13818-6 11.5.2): association_tag,
         * use, selector...; only the tag matters for finding the PID. */
        uint16_t at = dvb_read_u16(&r);
        dvb_read_u16(&r);                      /* use */
        if (!r.failed && !info->has_association_tag) {
            info->has_association_tag = true;
            info->association_tag = at;
        }
        break;
    }
    case 0x52: {
        uint8_t ct = dvb_read_u8(&r);
        if (!r.failed && !info->has_component_tag) {
            info->has_component_tag = true;
            info->component_tag = ct;
        }
        break;
    }
    default:
        break;
    }
}

bool dvb_psi_es_is_carousel(uint8_t stream_type, const dvb_psi_es_info *info,
                            int64_t want_carousel_id)
{
    if (stream_type != 0x0B && stream_type != 0x0D && stream_type != 0x0A)
        return false;
    if (info->has_carousel_id)
        return want_carousel_id < 0 ||
               (uint32_t)want_carousel_id == info->carousel_id;
    if (!info->has_data_broadcast_id)
        return false;
    switch (info->data_broadcast_id) {
    case 0x0106:               /* UK MHEG */
    case 0x00F0:               /* MHP object carousel */
    case 0x0123:               /* HbbTV */
        /* Without a carousel_identifier the id cannot be checked here;
         * the DSI's ServiceGateway IOR says which carousel it is. */
        return true;
    default:
        return false;
    }
}

int dvb_psi_carousel_tag_pid(const dvb_psi_carousel *c, uint16_t tag)
{
    /* An association_tag_descriptor names the tag exactly: it wins. */
    for (unsigned i = 0; i < c->nassoc; i++)
        if (c->assoc[i] == tag)
            return c->assoc_pid[i];
    /* association_tag is 16 bits; component_tag is its low byte
     * (TR 101 202 4.7.7.1). */
    for (unsigned i = 0; i < c->ntags; i++)
        if (c->tag[i] == (tag & 0xFFu))
            return c->tag_pid[i];
    return -1;
}

/* ---- section checks before libdvbpsi ---- */

/* A descriptor loop (13818-1 2.6, EN 300 468 6.1) that ends exactly at n. */
static bool descriptors_ok(const uint8_t *d, size_t n)
{
    while (n) {
        if (n < 2 || (size_t)d[1] + 2u > n)
            return false;
        n -= 2u + d[1];
        d += 2u + d[1];
    }
    return true;
}

/* A loop of entries, each `head` bytes whose last two hold a 12-bit
 * descriptors length, then those descriptors; ends exactly at n. */
static bool entries_ok(const uint8_t *b, size_t n, size_t head)
{
    while (n) {
        if (n < head)
            return false;
        size_t dl = ((size_t)(b[head - 2] & 0x0F) << 8) | b[head - 1];
        if (dl > n - head || !descriptors_ok(b + head, dl))
            return false;
        n -= head + dl;
        b += head + dl;
    }
    return true;
}

bool dvb_psi_section_ok(const uint8_t *sec, size_t len)
{
    /* 13818-1 2.4.4.10 / EN 300 468 5.1.1: long form, at most 1024 bytes
     * for these tables, CRC_32 over the whole section. */
    if (len < 12 || len > 1024 || !(sec[1] & 0x80))
        return false;
    if (3u + ((((size_t)sec[1] & 0x0F) << 8) | sec[2]) != len)
        return false;
    if (dvb_crc32(sec, len) != 0)
        return false;
    const uint8_t *b = sec + 8;
    size_t n = len - 12;
    switch (sec[0]) {
    case 0x00:                 /* PAT: 4-byte entries */
        return n % 4 == 0;
    case 0x02: {               /* PMT: PCR_PID, program_info, streams */
        if (n < 4)
            return false;
        size_t pil = ((size_t)(b[2] & 0x0F) << 8) | b[3];
        if (pil > n - 4 || !descriptors_ok(b + 4, pil))
            return false;
        return entries_ok(b + 4 + pil, n - 4 - pil, 5);
    }
    case 0x42:                 /* SDT: network id, reserved, services */
        if (n < 3)
            return false;
        return entries_ok(b + 3, n - 3, 5);
    default:
        return false;          /* nothing else goes to libdvbpsi */
    }
}

/* Hands one sound section to libdvbpsi as packets of its own. */
static void on_psi_section(void *ud, int pid, const uint8_t *sec, size_t len)
{
    feeder *f = ud;
    /* Byte for byte the section handed over last: a repetition, whose
     * check (and libdvbpsi's work) would tell nothing new. */
    if (f->last && len == f->last_len && memcmp(sec, f->last, len) == 0)
        return;
    if (!dvb_psi_section_ok(sec, len)) {
        dvb_logf(&f->p->log, DVB_LOG_WARN,
                 "PID 0x%04X: PSI section 0x%02X refused (CRC or lengths)",
                 (unsigned)pid, len ? (unsigned)sec[0] : 0u);
        return;
    }
    if (!f->last)
        f->last = malloc(1024);    /* dvb_psi_section_ok: len <= 1024 */
    if (f->last) {
        memcpy(f->last, sec, len);
        f->last_len = len;
    }
    size_t off = 0;
    bool first = true;
    while (off < len) {
        uint8_t pkt[188];
        memset(pkt, 0xFF, sizeof pkt);
        pkt[0] = 0x47;
        pkt[1] = (uint8_t)((first ? 0x40 : 0) | ((pid >> 8) & 0x1F));
        pkt[2] = (uint8_t)pid;
        pkt[3] = (uint8_t)(0x10 | (f->cc++ & 0x0F));
        size_t at = 4;
        if (first)
            pkt[at++] = 0;     /* pointer_field */
        size_t k = len - off < sizeof pkt - at ? len - off : sizeof pkt - at;
        memcpy(pkt + at, sec + off, k);
        off += k;
        first = false;
        dvbpsi_packet_push(f->h, pkt);
    }
}

/* Which PIDs dvb_psi_push takes, as a bitmap: it is asked for every
 * packet of the multiplex. */
static void update_pids(dvb_psi *p)
{
    memset(p->pids, 0, sizeof p->pids);
    p->pids[0] |= 1u;
    p->pids[SDT_PID >> 3] |= (uint8_t)(1u << (SDT_PID & 7));
    for (unsigned i = 0; i < p->nprogs; i++)
        p->pids[p->progs[i].pid >> 3] |= (uint8_t)(1u << (p->progs[i].pid & 7));
}

static dvb_err feeder_init(feeder *f, dvb_psi *p, dvbpsi_t *h, int pid)
{
    f->p = p;
    f->h = h;
    f->cc = 0;
    f->last_len = 0;
    if (f->last)
        f->last[0] = 0xFF;     /* no section starts so: nothing matches */
    dvb_secasm_destroy(f->a);
    f->a = NULL;
    return dvb_secasm_create(pid, on_psi_section, f, &p->log, &f->a);
}

static void feeder_free(feeder *f)
{
    dvb_secasm_destroy(f->a);
    f->a = NULL;
    free(f->last);
    f->last = NULL;
}

static void on_pmt(void *data, dvbpsi_pmt_t *pmt)
{
    dvb_psi *p = data;
    dvb_psi_carousel c;
    memset(&c, 0, sizeof c);
    c.program_number = pmt->i_program_number;
    bool found = false;
    for (dvbpsi_pmt_es_t *es = pmt->p_first_es; es; es = es->p_next) {
        dvb_psi_es_info info;
        memset(&info, 0, sizeof info);
        for (dvbpsi_descriptor_t *d = es->p_first_descriptor; d; d = d->p_next)
            dvb_psi_es_descriptor(&info, d->i_tag, d->p_data, d->i_length);
        if (info.has_component_tag && c.ntags < DVB_PSI_MAX_TAGS) {
            c.tag[c.ntags] = info.component_tag;
            c.tag_pid[c.ntags] = es->i_pid;
            c.ntags++;
        }
        if (info.has_association_tag && c.nassoc < DVB_PSI_MAX_TAGS) {
            c.assoc[c.nassoc] = info.association_tag;
            c.assoc_pid[c.nassoc] = es->i_pid;
            c.nassoc++;
        }
        if (!found && dvb_psi_es_is_carousel(es->i_type, &info,
                                             p->carousel_id)) {
            found = true;
            c.pid = es->i_pid;
            c.has_carousel_id = info.has_carousel_id;
            c.carousel_id = info.carousel_id;
            c.data_broadcast_id = info.data_broadcast_id;
        }
    }
    uint16_t number = pmt->i_program_number;
    dvbpsi_pmt_delete(pmt);
    for (unsigned i = 0; i < p->nprogs; i++) {
        if (p->progs[i].number == number) {
            p->progs[i].has_car = found;
            p->progs[i].car = c;
        }
    }
    if (found)
        dvb_logf(&p->log, DVB_LOG_INFO,
                 "carousel of service %u on PID 0x%04X",
                 (unsigned)c.program_number, (unsigned)c.pid);
    else
        dvb_logf(&p->log, DVB_LOG_DEBUG, "service %u: no carousel in its PMT",
                 (unsigned)number);
    p->fn(p->ud, number, found ? &c : NULL);
}

static void on_pat(void *data, dvbpsi_pat_t *pat)
{
    dvb_psi *p = data;
    for (dvbpsi_pat_program_t *pr = pat->p_first_program; pr; pr = pr->p_next) {
        if (pr->i_number == 0)
            continue;          /* network_PID, not a program */
        if (p->service_id >= 0 && pr->i_number != p->service_id)
            continue;
        bool known = false;
        for (unsigned i = 0; i < p->nprogs; i++) {
            if (p->progs[i].number == pr->i_number) {
                known = true;
                /* A PAT update may move the PMT: its decoder follows. */
                if (p->progs[i].pid != pr->i_pid) {
                    dvb_logf(&p->log, DVB_LOG_INFO,
                             "PMT of service %u moved to PID 0x%04X",
                             (unsigned)pr->i_number, (unsigned)pr->i_pid);
                    if (feeder_init(&p->progs[i].f, p, p->progs[i].h,
                                    pr->i_pid) == DVB_OK)
                        p->progs[i].pid = pr->i_pid;
                }
            }
        }
        if (known)
            continue;
        if (p->nprogs == MAX_PROGRAMS) {
            dvb_logf(&p->log, DVB_LOG_WARN, "PAT: more than %d programs",
                     MAX_PROGRAMS);
            break;
        }
        dvbpsi_t *h = dvbpsi_new(psi_message, DVBPSI_MSG_WARN);
        if (!h)
            break;
        h->p_sys = p;
        if (!dvbpsi_pmt_attach(h, pr->i_number, on_pmt, p)) {
            dvbpsi_delete(h);
            break;
        }
        program *np = &p->progs[p->nprogs];
        memset(np, 0, sizeof *np);
        if (feeder_init(&np->f, p, h, pr->i_pid) != DVB_OK) {
            dvbpsi_pmt_detach(h);
            dvbpsi_delete(h);
            break;
        }
        p->nprogs++;
        np->number = pr->i_number;
        np->pid = pr->i_pid;
        np->h = h;
    }
    update_pids(p);
    dvbpsi_pat_delete(pat);
}

/* ---- DVB text and the SDT ---- */

static const char *table_name(const uint8_t *p, size_t len, size_t *skip)
{
    static const char *const iso8859[16] = {
        NULL, "ISO-8859-1", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4",
        "ISO-8859-5", "ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9",
        "ISO-8859-10", "ISO-8859-11", NULL, "ISO-8859-13", "ISO-8859-14",
        "ISO-8859-15",
    };
    *skip = 0;
    if (len == 0 || p[0] >= 0x20)
        return "ISO_6937";     /* annex A.2: the default table */
    *skip = 1;
    switch (p[0]) {
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06:
    case 0x07: case 0x09: case 0x0A: case 0x0B:
        /* annex A table A.3: 0x01 is ISO/IEC 8859-5 ... 0x0B is 8859-15 */
        return iso8859[p[0] + 4];
    case 0x10:
        /* three bytes: 0x10, 0x00, the 8859 part number */
        *skip = 3;
        if (len < 3 || p[1] != 0 || p[2] == 0 || p[2] > 15)
            return NULL;
        return iso8859[p[2]];
    case 0x11:
        return "UCS-2BE";      /* ISO/IEC 10646 BMP */
    case 0x15:
        return "UTF-8";
    default:
        return NULL;           /* KS X 1001, GB 2312, Big5...: not here */
    }
}

dvb_err dvb_text_to_utf8(const uint8_t *p, size_t len, char *out, size_t cap)
{
    out[0] = 0;
    size_t skip;
    const char *from = table_name(p, len, &skip);
    if (!from)
        return DVB_EUNSUPPORTED;
    if (skip > len)
        return DVB_ETRUNC;
    p += skip;
    len -= skip;
    /* Drop the annex A control codes (0x80-0x9F) in the one-byte tables;
     * they are emphasis and line breaks, not characters. */
    char in[256];
    size_t n = 0;
    bool one_byte = strcmp(from, "UCS-2BE") != 0 && strcmp(from, "UTF-8") != 0;
    for (size_t i = 0; i < len && n < sizeof in; i++) {
        if (one_byte && p[i] >= 0x80 && p[i] <= 0x9F) {
            if (p[i] == 0x8A)
                in[n++] = ' ';
            continue;
        }
        in[n++] = (char)p[i];
    }
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return DVB_EUNSUPPORTED;
    char *ip = in, *op = out;
    size_t il = n, ol = cap - 1;
    dvb_err e = DVB_OK;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
        e = errno == E2BIG ? DVB_ELIMIT : DVB_ESYNTAX;
    iconv_close(cd);
    *op = 0;
    return e;
}

static void on_sdt(void *data, dvbpsi_sdt_t *sdt)
{
    dvb_psi *p = data;
    for (dvbpsi_sdt_service_t *sv = sdt->p_first_service; sv; sv = sv->p_next) {
        for (dvbpsi_descriptor_t *d = sv->p_first_descriptor; d; d = d->p_next) {
            if (d->i_tag != 0x48)
                continue;
            dvbpsi_service_dr_t *dr = dvbpsi_DecodeServiceDr(d);
            if (!dr)
                continue;
            service_name *slot = NULL;
            for (unsigned i = 0; i < p->nnames && !slot; i++)
                if (p->names[i].service_id == sv->i_service_id)
                    slot = &p->names[i];
            if (!slot && p->nnames < MAX_NAMES)
                slot = &p->names[p->nnames++];
            if (!slot)
                break;
            slot->service_id = sv->i_service_id;
            dvb_err e = dvb_text_to_utf8(dr->i_service_name,
                                         dr->i_service_name_length,
                                         slot->name, sizeof slot->name);
            if (e)
                dvb_logf(&p->log, DVB_LOG_WARN,
                         "SDT: name of service %u: %s",
                         (unsigned)sv->i_service_id, dvb_strerror(e));
            break;
        }
    }
    dvbpsi_sdt_delete(sdt);
    if (p->names_fn)
        p->names_fn(p->ud);
}

static void on_new_subtable(dvbpsi_t *h, uint8_t table_id, uint16_t ext,
                            void *data)
{
    dvb_psi *p = data;
    /* Only the SDT of this multiplex; one per stream (its ts_id). */
    if (table_id != 0x42 || p->sdt_attached)
        return;
    if (dvbpsi_sdt_attach(h, table_id, ext, on_sdt, p))
        p->sdt_attached = true;
}

void dvb_psi_reoffer(dvb_psi *p, int except_program)
{
    /* libdvbpsi reports a PMT only when its version changes, so the
     * carousels of the other programs, seen earlier and passed over,
     * are offered again from what was kept. */
    for (unsigned i = 0; i < p->nprogs; i++) {
        const program *pr = &p->progs[i];
        if (pr->has_car && pr->number != except_program) {
            dvb_psi_carousel c = pr->car;
            p->fn(p->ud, pr->number, &c);
        }
    }
}

void dvb_psi_on_names(dvb_psi *p, void (*fn)(void *ud))
{
    p->names_fn = fn;
}

const char *dvb_psi_service_name(const dvb_psi *p, uint16_t service_id)
{
    if (!p)
        return NULL;
    for (unsigned i = 0; i < p->nnames; i++)
        if (p->names[i].service_id == service_id)
            return p->names[i].name;
    return NULL;
}

dvb_err dvb_psi_create(int service_id, int64_t carousel_id,
                       dvb_psi_found_fn fn, void *ud, const dvb_logger *log,
                       dvb_psi **out)
{
    if (!fn || !out)
        return DVB_EINVAL;
    dvb_psi *p = calloc(1, sizeof *p);
    if (!p)
        return DVB_ENOMEM;
    p->service_id = service_id;
    p->carousel_id = carousel_id;
    p->fn = fn;
    p->ud = ud;
    if (log)
        p->log = *log;
    p->pat = dvbpsi_new(psi_message, DVBPSI_MSG_WARN);
    if (!p->pat) {
        free(p);
        return DVB_ENOMEM;
    }
    p->pat->p_sys = p;
    if (!dvbpsi_pat_attach(p->pat, on_pat, p)) {
        dvbpsi_delete(p->pat);
        free(p);
        return DVB_ENOMEM;
    }
    p->sdt = dvbpsi_new(psi_message, DVBPSI_MSG_WARN);
    if (p->sdt) {
        p->sdt->p_sys = p;
        if (!dvbpsi_AttachDemux(p->sdt, on_new_subtable, p)) {
            dvbpsi_delete(p->sdt);
            p->sdt = NULL;
        }
    }
    if (!p->sdt || feeder_init(&p->pat_f, p, p->pat, 0) != DVB_OK ||
        feeder_init(&p->sdt_f, p, p->sdt, SDT_PID) != DVB_OK) {
        dvb_psi_destroy(p);
        return DVB_ENOMEM;
    }
    update_pids(p);
    *out = p;
    return DVB_OK;
}

void dvb_psi_destroy(dvb_psi *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->nprogs; i++) {
        dvbpsi_pmt_detach(p->progs[i].h);
        dvbpsi_delete(p->progs[i].h);
        feeder_free(&p->progs[i].f);
    }
    feeder_free(&p->pat_f);
    feeder_free(&p->sdt_f);
    dvbpsi_pat_detach(p->pat);
    dvbpsi_delete(p->pat);
    if (p->sdt) {
        dvbpsi_DetachDemux(p->sdt);
        dvbpsi_delete(p->sdt);
    }
    free(p);
}

bool dvb_psi_push(dvb_psi *p, const uint8_t *pkt)
{
    int pid = ((pkt[1] & 0x1F) << 8) | pkt[2];
    if (!((p->pids[pid >> 3] >> (pid & 7)) & 1u))
        return false;
    bool taken = false;
    if (pid == 0) {
        dvb_secasm_push(p->pat_f.a, pkt);
        taken = true;
    }
    if (pid == SDT_PID) {
        dvb_secasm_push(p->sdt_f.a, pkt);
        taken = true;
    }
    /* on_pat may add programs while this loop runs only for PID 0, whose
     * packets never reach a PMT decoder, so the bound is stable. */
    for (unsigned i = 0; i < p->nprogs; i++) {
        /* f.a is NULL only when re-creating it for a moved PMT failed. */
        if (p->progs[i].pid == pid && p->progs[i].f.a) {
            dvb_secasm_push(p->progs[i].f.a, pkt);
            taken = true;
        }
    }
    return taken;
}
