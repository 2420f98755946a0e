/*
 * civictv-carousel inspect, and the stream reading that extract shares.
 *
 * What it prints follows the order an engineer checks a multiplex in
 * (ETSI TR 101 290's priorities): the transport layer first (sync, PIDs,
 * continuity, transport errors: TR 101 290 5.2.1-2), then the PSI
 * (ISO/IEC 13818-1 2.4.4: PAT, PMT; EN 300 468 5.2.3: SDT names), the
 * data-broadcast signalling of each service (EN 301 192 8.2: stream_type
 * 0x0B, data_broadcast_id 0x66, carousel_identifier 0x13, stream
 * identifier 0x52), then each carousel's DSI and DIIs with every module
 * (ISO/IEC 13818-6 7.3; TR 101 202 4.7.2; compressed_module_descriptor
 * 0x09), and last the object tree the receiver built from it (BIOP,
 * 13818-6 11) and the errors the receiver reported.
 *
 * A stream without PAT/PMT (a capture of one PID, as the fixtures are)
 * has no signalling to follow: without --pid the first PID carrying
 * DSM-CC sections is read in a second pass, and the output says so.
 */
#include "carousel/oc_inspect.h"

#include "dvb/dvb_source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- reading ---- */

typedef struct {
    oc_read_result *res;
    const oc_read_options *o;
    const char *prog;
    FILE *err;
    uint64_t size;              /* the file's, for progress; 0 unknown */
    int show;                   /* progress: 1 tty, 2 lines */
    uint64_t next_ms;
    int shown;
} reader;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void note_error(oc_read_result *res, const char *msg)
{
    for (unsigned i = 0; i < res->nerrors; i++) {
        if (!strcmp(res->errors[i].msg, msg)) {
            res->errors[i].count++;
            return;
        }
    }
    if (res->nerrors == OC_READ_MAX_ERRORS) {
        res->errors_dropped++;
        return;
    }
    oc_read_error *e = &res->errors[res->nerrors++];
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    e->count = 1;
}

static void on_event(void *ud, const dvb_event *ev)
{
    oc_read_result *res = ud;
    if (ev->type == DVB_EV_STREAM_ERROR && ev->message)
        note_error(res, ev->message);
    else if (ev->type == DVB_EV_OVER_LIMIT) {
        res->over_limit = 1;
        note_error(res, ev->message ? ev->message : "over the memory limit");
    }
}

static dvb_err sink(void *ud, const uint8_t *data, size_t len)
{
    reader *r = ud;
    dvb_err e = dvb_receiver_push(r->res->rx, data, len);
    if (!e && r->res->an)
        e = dvb_analyser_push(r->res->an, data, len);
    return e;
}

static void progress(reader *r, uint64_t bytes, int pass, int last)
{
    if (!r->show)
        return;
    uint64_t now = mono_ms();
    if (!last && now < r->next_ms)
        return;
    r->next_ms = now + (r->show == 1 ? 200 : 2000);
    dvb_progress p;
    dvb_receiver_progress(r->res->rx, &p);
    /* Capped: with --loop the file is read more than once. */
    unsigned pct = r->size ? (unsigned)(bytes * 100 / r->size) : 0;
    if (pct > 100)
        pct = 100;
    fprintf(r->err, "%s%s: pass %d: %3u%% (%.1f MB), modules %u/%u%s",
            r->show == 1 ? "\r" : "", r->prog, pass, pct, bytes / 1e6,
            p.modules_done, p.modules_total,
            r->show == 1 && !last ? "" : "\n");
    fflush(r->err);
    r->shown = 1;
}

/* With --loop, once the file has been read round: stop when the store is
 * complete, when nothing was found to complete, or after the last pass. */
static bool loop_done(dvb_receiver *rx, uint64_t loops)
{
    dvb_store *st = dvb_receiver_store(rx);
    dvb_store_release(st);
    dvb_progress p;
    dvb_receiver_progress(rx, &p);
    return st != NULL || p.pid < 0 || loops >= OC_READ_MAX_PASSES;
}

static int read_pass(reader *r, const char *path, int pid, bool analyse,
                     int pass)
{
    oc_read_result *res = r->res;
    dvb_receiver_config rc;
    memset(&rc, 0, sizeof rc);
    rc.pid = pid;
    rc.service_id = pid >= 0 ? -1 : r->o->service_id;
    rc.carousel_id = r->o->carousel_id;
    rc.on_event = on_event;
    rc.ud = res;
    dvb_err e = dvb_receiver_create(&rc, &res->rx);
    if (!e && analyse)
        e = dvb_analyser_create(&res->an);
    if (e) {
        fprintf(r->err, "%s: %s\n", r->prog, dvb_strerror(e));
        return 1;
    }
    dvb_source_config sc;
    memset(&sc, 0, sizeof sc);
    sc.sink = sink;
    sc.sink_ud = r;
    sc.chunk_bytes = 188u * 1024u;
    sc.loop = r->o->loop != 0;
    dvb_source *s = NULL;
    e = dvb_source_open_file(&sc, path, &s);
    if (e) {
        fprintf(r->err, "%s: %s: %s\n", r->prog, path,
                e == DVB_EIO ? strerror(errno) : dvb_strerror(e));
        return 1;
    }
    res->bytes = 0;
    while (!dvb_source_eof(s)) {
        e = dvb_source_pump(s);
        if (e) {
            fprintf(r->err, "%s%s: %s: %s\n", r->shown ? "\n" : "", r->prog,
                    path, dvb_strerror(e));
            dvb_source_destroy(s);
            return 1;
        }
        dvb_source_stats st;
        dvb_source_stats_get(s, &st);
        res->bytes = st.bytes;
        progress(r, st.bytes, pass, 0);
        if (st.loops > 0 && loop_done(res->rx, st.loops))
            break;
    }
    if (r->shown)
        progress(r, res->bytes, pass, 1);
    dvb_source_destroy(s);
    return 0;
}

int oc_read_stream(const char *path, const oc_read_options *o, bool analyse,
                   const char *prog, FILE *err, oc_read_result *res)
{
    memset(res, 0, sizeof *res);
    res->pid_used = -1;
    reader r;
    memset(&r, 0, sizeof r);
    r.res = res;
    r.o = o;
    r.prog = prog;
    r.err = err;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        r.size = (uint64_t)st.st_size;
    r.show = o->progress ? (isatty(fileno(err)) ? 1 : 2)
                         : (isatty(fileno(err)) ? 1 : 0);
    /* Extract reads with the receiver alone: the analyser (which checks
     * every section of every PID) only runs when inspect asks for it, or
     * to find the carousel's PID in a stream that does not signal it. */
    if (read_pass(&r, path, o->pid, analyse, 1))
        return 1;
    dvb_progress p;
    dvb_receiver_progress(res->rx, &p);
    res->pid_used = p.pid;
    if (p.pid >= 0 || o->pid >= 0)
        goto done;
    int pass = 2;
    if (!res->an) {
        dvb_receiver_destroy(res->rx);
        res->rx = NULL;
        if (read_pass(&r, path, -1, true, pass++))
            return 1;
    }
    /* Only a stream without PAT falls back to its sections: with PSI, a
     * carousel the PMTs do not signal (or not for the chosen service) is
     * not there for a receiver either. */
    if (dvb_analyser_service_count(res->an) > 0)
        goto done;
    int guess = -1;
    size_t nc = dvb_analyser_carousel_count(res->an);
    for (size_t i = 0; i < nc && guess < 0; i++) {
        const dvb_carousel_desc *c = dvb_analyser_carousel(res->an, i);
        if (c->have_dsi && (o->carousel_id < 0 ||
                            c->carousel_id == (uint32_t)o->carousel_id))
            guess = c->pid;
    }
    if (guess < 0 && o->carousel_id < 0 && nc > 0)
        guess = dvb_analyser_carousel(res->an, 0)->pid;
    if (guess < 0)
        goto done;
    dvb_receiver_destroy(res->rx);
    res->rx = NULL;
    dvb_analyser *an = res->an;
    res->an = NULL;
    res->nerrors = 0;
    res->errors_dropped = 0;
    int rc = read_pass(&r, path, guess, false, pass);
    res->an = an;
    if (rc)
        return 1;
    res->pid_used = guess;
    res->pid_guessed = 1;
done:
    if (!analyse) {
        dvb_analyser_destroy(res->an);
        res->an = NULL;
    }
    return 0;
}

void oc_read_free(oc_read_result *res)
{
    dvb_receiver_destroy(res->rx);
    dvb_analyser_destroy(res->an);
    res->rx = NULL;
    res->an = NULL;
}

static int parse_number(const char *s, unsigned long long max,
                        unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

int oc_read_option(int argc, char **argv, int *i, oc_read_options *o,
                   const char *prog, FILE *err)
{
    const char *a = argv[*i];
    unsigned long long v;
    if (!strcmp(a, "--progress")) {
        o->progress = 1;
        return 1;
    }
    if (!strcmp(a, "--loop")) {
        o->loop = 1;
        return 1;
    }
    const char *names[] = { "--pid", "--service", "--carousel-id" };
    const unsigned long long max[] = { 0x1FFE, 0xFFFF, 0xFFFFFFFFull };
    for (int k = 0; k < 3; k++) {
        if (strcmp(a, names[k]))
            continue;
        const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
        if (parse_number(val, max[k], &v) || (k == 1 && v == 0)) {
            fprintf(err, "%s: %s: \"%s\" is not a number in 0..%llu%s\n"
                         "(try '%s --help')\n",
                    prog, a, val ? val : "", max[k], k == 1 ? " (not 0)" : "",
                    prog);
            return -1;
        }
        if (k == 0)
            o->pid = (int)v;
        else if (k == 1)
            o->service_id = (int)v;
        else
            o->carousel_id = (int64_t)v;
        (*i)++;
        return 1;
    }
    return 0;
}

/* ---- inspect ---- */

int oc_read_args(int argc, char **argv, const char *prog,
                 void (*usage)(FILE *), FILE *out, FILE *err,
                 oc_read_options *o, const char **args, int max_args,
                 int *nargs)
{
    *o = (oc_read_options){ -1, -1, -1, 0, 0 };
    *nargs = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(out);
            return 0;
        }
        int r = oc_read_option(argc, argv, &i, o, prog, err);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(err, "%s: unknown option '%s'\n(try '%s --help')\n", prog,
                    argv[i], prog);
            return 2;
        }
        if (*nargs == max_args) {
            fprintf(err, "%s: too many arguments ('%s')\n(try '%s --help')\n",
                    prog, argv[i], prog);
            return 2;
        }
        args[(*nargs)++] = argv[i];
    }
    return -1;
}

dvb_store *oc_read_store(const oc_read_result *res, int *complete)
{
    dvb_store *s = dvb_receiver_store(res->rx);
    *complete = s != NULL;
    if (!s)
        s = dvb_receiver_partial_store(res->rx);
    return s;
}

static const char *stream_type_name(uint8_t t)
{
    switch (t) {
    case 0x01: case 0x02: return "MPEG video";
    case 0x03: case 0x04: return "MPEG audio";
    case 0x05: return "private sections";
    case 0x06: return "PES private data";
    case 0x0A: return "DSM-CC multiprotocol encapsulation";
    case 0x0B: return "DSM-CC U-N messages (object carousel)";
    case 0x0C: return "DSM-CC stream descriptors";
    case 0x0D: return "DSM-CC sections";
    case 0x0F: return "AAC audio";
    case 0x1B: return "H.264 video";
    case 0x24: return "HEVC video";
    default: return "";
    }
}

static const char *dbid_name(uint16_t id)
{
    switch (id) {
    case 0x0006: return "data carousel";
    case 0x0007: return "object carousel";
    case 0x00F0: return "MHP object carousel";
    case 0x0106: return "UK MHEG (ES 202 184)";
    case 0x0123: return "HbbTV";
    default: return "";
    }
}

static void print_services(FILE *out, const dvb_analyser *an)
{
    size_t n = dvb_analyser_service_count(an);
    fprintf(out, "\nServices (PAT, PMT, SDT)\n");
    if (n == 0) {
        fprintf(out, "  none: the stream has no PAT (a capture of single PIDs?)\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const dvb_service_desc *s = dvb_analyser_service(an, i);
        fprintf(out, "  service %u, PMT PID 0x%04X", (unsigned)s->program_number,
                (unsigned)s->pmt_pid);
        if (s->name[0])
            fprintf(out, ", \"%s\"", s->name);
        if (s->provider[0])
            fprintf(out, " from \"%s\"", s->provider);
        if (s->name[0])
            fprintf(out, " (service_type 0x%02X)", (unsigned)s->service_type);
        fprintf(out, "%s\n", s->have_pmt ? "" : ": no PMT seen");
        for (size_t k = 0; k < s->es_count; k++) {
            const dvb_es_desc *e = &s->es[k];
            fprintf(out, "    PID 0x%04X  stream_type 0x%02X %s\n",
                    (unsigned)e->pid, (unsigned)e->stream_type,
                    stream_type_name(e->stream_type));
            if (e->has_component_tag)
                fprintf(out, "                component_tag 0x%02X\n",
                        (unsigned)e->component_tag);
            if (e->has_data_broadcast_id)
                fprintf(out, "                data_broadcast_id 0x%04X %s\n",
                        (unsigned)e->data_broadcast_id,
                        dbid_name(e->data_broadcast_id));
            if (e->has_carousel_id)
                fprintf(out, "                carousel_id %u\n",
                        (unsigned)e->carousel_id);
        }
    }
}

static void print_pids(FILE *out, const dvb_analyser *an)
{
    fprintf(out, "\nPIDs\n  PID       packets  CC errors  TEI  scrambled  "
                 "DSM-CC sections  role\n");
    for (size_t i = 0; i < dvb_analyser_pid_count(an); i++) {
        const dvb_pid_stats *p = dvb_analyser_pid(an, i);
        fprintf(out, "  0x%04X %10llu %10llu %4llu %10llu %16llu  %s\n",
                (unsigned)p->pid, (unsigned long long)p->packets,
                (unsigned long long)p->cc_errors,
                (unsigned long long)p->transport_errors,
                (unsigned long long)p->scrambled,
                (unsigned long long)p->dsmcc_sections, p->role);
    }
}

static void print_carousels(FILE *out, const dvb_analyser *an)
{
    size_t n = dvb_analyser_carousel_count(an);
    fprintf(out, "\nCarousels (DSM-CC sections found)\n");
    if (n == 0)
        fprintf(out, "  none\n");
    for (size_t i = 0; i < n; i++) {
        const dvb_carousel_desc *c = dvb_analyser_carousel(an, i);
        fprintf(out, "  PID 0x%04X: %llu DSI, %llu DII, %llu DDB sections\n",
                (unsigned)c->pid, (unsigned long long)c->dsi_count,
                (unsigned long long)c->dii_count,
                (unsigned long long)c->ddb_count);
        if (c->have_dsi) {
            fprintf(out, "    DSI transactionId 0x%08X: carousel_id %u, "
                         "ServiceGateway in module 0x%04X, objectKey 0x",
                    (unsigned)c->dsi_transactionId, (unsigned)c->carousel_id,
                    (unsigned)c->gateway_module);
            for (unsigned k = 0; k < c->gateway_key_length; k++)
                fprintf(out, "%02X", (unsigned)c->gateway_key[k]);
            fprintf(out, "\n");
        } else {
            fprintf(out, "    no DSI seen\n");
        }
        for (size_t d = 0; d < c->dii_count_distinct; d++) {
            const dvb_dii_desc *dii = &c->diis[d];
            fprintf(out, "    DII transactionId 0x%08X: downloadId %u, "
                         "blockSize %u, %zu module%s\n",
                    (unsigned)dii->transactionId, (unsigned)dii->downloadId,
                    (unsigned)dii->blockSize, dii->module_count,
                    dii->module_count == 1 ? "" : "s");
            fprintf(out, "      module  version       size  blocks  "
                         "seen  compressed\n");
            for (size_t k = 0; k < dii->module_count; k++) {
                const dvb_module_desc *m = &dii->modules[k];
                fprintf(out, "      0x%04X  %7u %10u  %6u  %4u  ",
                        (unsigned)m->moduleId, (unsigned)m->moduleVersion,
                        (unsigned)m->moduleSize, m->blocks, m->blocks_seen);
                if (m->compressed)
                    /* The method byte is zlib's CMF (RFC 1950 2.2):
                     * CM 8 in the low nibble is deflate. */
                    fprintf(out, "%s (0x%02X), %u bytes inflated",
                            (m->compression_method & 0x0F) == 8 ? "zlib"
                                                                 : "unknown",
                            (unsigned)m->compression_method,
                            (unsigned)m->original_size);
                else
                    fprintf(out, "no");
                if (m->has_tap)
                    fprintf(out, "  (tap 0x%04X)", (unsigned)m->association_tag);
                fprintf(out, "%s\n", m->blocks_seen < m->blocks
                                         ? "  INCOMPLETE" : "");
            }
        }
    }
}

typedef struct {
    FILE *out;
    size_t files, dirs, others, pending;
    uint64_t bytes;
} tree_ctx;

static int print_object(void *ud, const char *path, const dvb_object_info *info,
                        const uint8_t *data)
{
    tree_ctx *t = ud;
    (void)data;
    const char *kind = "?";
    switch (info->kind) {
    case DVB_OBJ_FILE: kind = "fil"; t->files++; t->bytes += info->size; break;
    case DVB_OBJ_DIR: kind = "dir"; t->dirs++; break;
    case DVB_OBJ_STREAM: kind = "str"; t->others++; break;
    case DVB_OBJ_STREAM_EVENT: kind = "ste"; t->others++; break;
    case DVB_OBJ_PENDING: kind = "..."; t->pending++; break;
    }
    if (info->kind == DVB_OBJ_FILE)
        fprintf(t->out, "  %s %10zu  %s\n", kind, info->size, path);
    else if (info->kind == DVB_OBJ_PENDING)
        fprintf(t->out, "  %s %10s  %s (not arrived)\n", kind, "", path);
    else
        fprintf(t->out, "  %s %10s  %s%s\n", kind, "", path,
                info->kind == DVB_OBJ_DIR && strcmp(path, "/") ? "/" : "");
    return 0;
}

static void print_tree(FILE *out, const oc_read_result *res)
{
    int complete;
    dvb_store *s = oc_read_store(res, &complete);
    fprintf(out, "\nObject tree");
    if (!s) {
        fprintf(out, "\n  none: no ServiceGateway (DSI) received\n");
        return;
    }
    fprintf(out, " (version 0x%08X, %s)\n", (unsigned)dvb_store_version(s),
            complete ? "complete" : "INCOMPLETE: what has arrived so far");
    tree_ctx t;
    memset(&t, 0, sizeof t);
    t.out = out;
    dvb_store_walk_objects(s, print_object, &t);
    fprintf(out, "  %zu files (%llu bytes), %zu directories", t.files,
            (unsigned long long)t.bytes, t.dirs);
    if (t.others)
        fprintf(out, ", %zu streams and stream events", t.others);
    if (t.pending)
        fprintf(out, ", %zu not arrived", t.pending);
    fprintf(out, "\n");
    dvb_store_release(s);
}

static void inspect_usage(FILE *f)
{
    fprintf(f,
"usage: civictv-carousel inspect [options] IN.ts\n"
"\n"
"Analyse a transport stream as a receiver sees it: services, PIDs and\n"
"packet counts, carousels with their DSI, DII and modules, the object tree\n"
"and the errors found (sync, continuity, transport errors, CRC).\n"
"\n"
OC_READ_OPTIONS_HELP
"                       (the counts then include the repeats)\n"
"\n"
"Exit status: 0 the stream was read, 1 it could not be, 2 usage.\n");
}

int oc_inspect_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *prog = "civictv-carousel inspect";
    oc_read_options o;
    const char *in = NULL;
    int nargs;
    int rc = oc_read_args(argc, argv, prog, inspect_usage, out, err, &o, &in,
                          1, &nargs);
    if (rc >= 0)
        return rc;
    if (!in) {
        fprintf(err, "%s: no stream given\n(try '%s --help')\n", prog, prog);
        return 2;
    }
    oc_read_result res;
    if (oc_read_stream(in, &o, true, prog, err, &res)) {
        oc_read_free(&res);
        return 1;
    }
    dvb_analysis_totals t;
    dvb_analyser_totals(res.an, &t);
    fprintf(out, "%s\n", in);
    fprintf(out, "  %llu bytes, %llu packets of 188 bytes\n",
            (unsigned long long)t.bytes, (unsigned long long)t.packets);
    fprintf(out, "  errors: %llu sync losses, %llu continuity, %llu "
                 "transport_error_indicator, %llu CRC, %llu bad DSM-CC messages\n",
            (unsigned long long)t.sync_losses, (unsigned long long)t.cc_errors,
            (unsigned long long)t.transport_errors,
            (unsigned long long)t.crc_errors,
            (unsigned long long)t.section_errors);
    print_services(out, res.an);
    print_pids(out, res.an);
    print_carousels(out, res.an);

    dvb_progress p;
    dvb_receiver_progress(res.rx, &p);
    fprintf(out, "\nReceiver\n");
    if (res.pid_used < 0) {
        fprintf(out, "  no object carousel found%s\n",
                dvb_analyser_service_count(res.an) ? " in the PMTs" : "");
    } else {
        fprintf(out, "  carousel on PID 0x%04X%s", (unsigned)res.pid_used,
                res.pid_guessed ? " (not signalled: found by its sections)"
                                : o.pid >= 0 ? " (given)" : "");
        if (p.service_id >= 0)
            fprintf(out, ", service %d", p.service_id);
        const char *name = dvb_receiver_service_name(res.rx);
        if (name)
            fprintf(out, " \"%s\"", name);
        fprintf(out, "\n  modules %u of %u complete, %llu of %llu bytes%s\n",
                p.modules_done, p.modules_total,
                (unsigned long long)p.bytes_done,
                (unsigned long long)p.bytes_total,
                p.over_limit ? " (over the memory limit: refused)" : "");
    }
    print_tree(out, &res);
    fprintf(out, "\nErrors reported by the receiver\n");
    if (res.nerrors == 0)
        fprintf(out, "  none\n");
    for (unsigned i = 0; i < res.nerrors; i++)
        fprintf(out, "  %ux  %s\n", res.errors[i].count, res.errors[i].msg);
    if (res.errors_dropped)
        fprintf(out, "  ... and %u more kinds\n", res.errors_dropped);
    oc_read_free(&res);
    return 0;
}

int oc_inspect_cmd(int argc, char **argv)
{
    return oc_inspect_main(argc, argv, stdout, stderr);
}
