/*
 * UDP playout (see oc_play.h): ISO/IEC 13818-1 packets, 7 per datagram
 * (ETSI TS 102 034 7.1), optional RTP (RFC 3550, RFC 2250 payload type
 * 33), paced by CLOCK_MONOTONIC.
 */
#include "carousel/oc_play.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "carousel/oc_ts.h"

#define MAX_FILE_BYTES ((size_t)2 << 30)

void oc_play_file_free(oc_play_file *f)
{
    if (!f)
        return;
    free(f->data);
    free(f->safe);
    memset(f, 0, sizeof *f);
}

/* Section tracking per PID for the switch points: bytes still to come
 * of the open section, or the part of its 3-byte header seen so far. */
typedef struct {
    size_t left;                  /* bytes of the open section to come */
    uint8_t hdr[3];
    uint8_t hdr_len;              /* 1..2: header split across packets */
    uint8_t open;
} sec_track;

/* Take the bytes of a section header (table_id and section_length) from
 * d[*i..n); true when the three are in and t->left is the section's
 * remaining length. */
static bool take_header(sec_track *t, const uint8_t *d, size_t n, size_t *i)
{
    while (t->hdr_len < 3 && *i < n)
        t->hdr[t->hdr_len++] = d[(*i)++];
    if (t->hdr_len < 3)
        return false;
    t->left = (((size_t)t->hdr[1] & 0x0F) << 8) + t->hdr[2];
    t->hdr_len = 0;
    return true;
}

/* Feed n payload bytes: the rest of the open section, then (when starts)
 * further sections until stuffing; t->open says whether one stays open. */
static void track_bytes(sec_track *t, const uint8_t *d, size_t n,
                        int starts)
{
    size_t i = 0;
    for (;;) {
        if (t->open && t->hdr_len && !take_header(t, d, n, &i))
            return;
        if (t->open) {
            size_t k = n - i < t->left ? n - i : t->left;
            t->left -= k;
            i += k;
            if (t->left)
                return;
            t->open = 0;
        }
        /* After a section: another one, or 0xFF stuffing to the end
         * (13818-1 2.4.4: table_id 0xFF ends the sections of a packet). */
        if (!starts || i >= n || d[i] == 0xFF)
            return;
        t->open = 1;
        t->hdr_len = 0;
        if (!take_header(t, d, n, &i))
            return;
    }
}

/* safe[i]: every section started before packet i is complete, on every
 * PID (13818-1 2.4.4.2: pointer_field, section_length in bytes 1-2). */
static void mark_safe(oc_play_file *f)
{
    sec_track *tr = calloc(8192, sizeof *tr);
    if (!tr) {
        /* Without the table only file starts are safe. */
        memset(f->safe, 0, f->packets);
        f->safe[0] = 1;
        return;
    }
    size_t open = 0;
    for (size_t i = 0; i < f->packets; i++) {
        f->safe[i] = open == 0;
        const uint8_t *p = f->data + i * OC_TS_PACKET;
        unsigned pid = ((p[1] & 0x1Fu) << 8) | p[2];
        if (pid == OC_PID_NULL)
            continue;
        unsigned afc = (p[3] >> 4) & 3u;
        size_t at = 4;
        if (afc & 2u)
            at += 1u + p[4];
        if (!(afc & 1u) || at >= OC_TS_PACKET)
            continue;
        sec_track *t = &tr[pid];
        int was = t->open;
        if (p[1] & 0x40) {
            size_t ptr = p[at++];
            if (ptr > OC_TS_PACKET - at)
                ptr = OC_TS_PACKET - at;
            /* the end of the open section, then new ones */
            track_bytes(t, p + at, ptr, 0);
            t->open = 0;                /* unfinished: abandoned */
            t->hdr_len = 0;
            track_bytes(t, p + at + ptr, OC_TS_PACKET - at - ptr, 1);
        } else if (t->open) {
            track_bytes(t, p + at, OC_TS_PACKET - at, 0);
        }
        if (was && !t->open)
            open--;
        else if (!was && t->open)
            open++;
    }
    free(tr);
}

oc_err oc_play_load(const char *path, oc_play_file *f, char *why, size_t n)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return oc_errf(why, n, OC_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return oc_errf(why, n, OC_EIO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size == 0 || size % OC_TS_PACKET || size > MAX_FILE_BYTES) {
        fclose(fp);
        return oc_errf(why, n, OC_EINVAL,
                       "%s: %zu bytes is not a whole number of 188-byte "
                       "transport packets (or is empty, or over 2 GiB)",
                       path, size);
    }
    f->data = malloc(size);
    f->packets = size / OC_TS_PACKET;
    f->safe = malloc(f->packets);
    if (!f->data || !f->safe) {
        fclose(fp);
        oc_play_file_free(f);
        return oc_errf(why, n, OC_ENOMEM, "%s: out of memory", path);
    }
    size_t got = fread(f->data, 1, size, fp);
    fclose(fp);
    if (got != size) {
        oc_play_file_free(f);
        return oc_errf(why, n, OC_EIO, "%s: short read", path);
    }
    for (size_t i = 0; i < f->packets; i++)
        if (f->data[i * OC_TS_PACKET] != 0x47) {
            oc_play_file_free(f);
            return oc_errf(why, n, OC_EINVAL,
                           "%s: packet %zu (byte %zu) has no 0x47 sync byte",
                           path, i, i * OC_TS_PACKET);
        }
    mark_safe(f);
    return OC_OK;
}

static int open_socket(const char *addr, struct sockaddr_storage *sa,
                       socklen_t *salen, char *why, size_t n)
{
    char host[256];
    const char *port;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1]) {
        oc_errf(why, n, OC_EINVAL, "--udp %s: expected HOST:PORT", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
        h = addr + 1;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        oc_errf(why, n, OC_EINVAL, "--udp %s: host name too long", addr);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    port = colon + 1;
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0 || !res) {
        oc_errf(why, n, OC_EINVAL, "--udp %s: %s", addr, gai_strerror(r));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        oc_errf(why, n, OC_EIO, "--udp %s: socket: %s", addr, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *salen = res->ai_addrlen;
    freeaddrinfo(res);
    return fd;
}

uint64_t oc_play_due_ns(uint64_t bits, uint64_t bitrate)
{
    /* bits * 1e9 / bitrate without the product: it passes 2^64 after
     * 18 Gbit, 92 s at 200 Mbit/s. */
    return bits / bitrate * 1000000000ull +
           bits % bitrate * 1000000000ull / bitrate;
}

void oc_play_cc_init(oc_play_cc *c)
{
    memset(c->next, 0xFF, sizeof c->next);
}

void oc_play_cc_fix(oc_play_cc *c, uint8_t *pkt)
{
    unsigned pid = ((pkt[1] & 0x1Fu) << 8) | pkt[2];
    if (pid == OC_PID_NULL)
        return;                 /* 13818-1 2.4.3.3: undefined for nulls */
    bool payload = (pkt[3] & 0x10) != 0;
    uint8_t cc = pkt[3] & 0x0F;
    if (c->next[pid] > 0x0F) {
        /* The PID's first packet keeps its counter. */
        c->next[pid] = payload ? (uint8_t)((cc + 1) & 0x0F) : cc;
        return;
    }
    /* 13818-1 2.4.3.3: + 1 per packet with payload; a packet without
     * payload repeats the last value. */
    cc = payload ? c->next[pid] : (uint8_t)((c->next[pid] + 15) & 0x0F);
    pkt[3] = (uint8_t)((pkt[3] & 0xF0) | cc);
    if (payload)
        c->next[pid] = (uint8_t)((cc + 1) & 0x0F);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep until t (ns, CLOCK_MONOTONIC); a signal may end it early, which
 * the caller handles by looking at its flags and sleeping again. */
static void sleep_until(uint64_t t)
{
    struct timespec ts = { (time_t)(t / 1000000000ull),
                           (long)(t % 1000000000ull) };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

typedef struct {
    const oc_play_config *cfg;
    oc_play_file f[2];
    int cur;
    size_t pos;
    unsigned passes;
    bool done;
    oc_play_stats *st;
} cursor;

static bool flag(volatile sig_atomic_t *f)
{
    return f && *f;
}

/* The next packet to send, or NULL at the end of playout. */
static const uint8_t *next_packet(cursor *c)
{
    const oc_play_config *cfg = c->cfg;
    for (;;) {
        if (c->done || flag(cfg->stop_flag))
            return NULL;
        oc_play_file *f = &c->f[c->cur];
        if (c->cur == 0 && cfg->then && c->pos < f->packets &&
            f->safe[c->pos] && flag(cfg->switch_flag)) {
            c->cur = 1;
            c->pos = 0;
            c->st->switched = true;
            continue;
        }
        if (c->pos < f->packets) {
            const uint8_t *p = f->data + c->pos * OC_TS_PACKET;
            c->pos++;
            if (c->cur == 0 && c->pos == 1)
                c->st->passes_first++;
            return p;
        }
        /* End of a pass. */
        c->pos = 0;
        if (c->cur == 0 && cfg->then) {
            if (cfg->after_cycles && c->st->passes_first >= cfg->after_cycles) {
                c->cur = 1;
                c->st->switched = true;
            }
            /* otherwise first loops until the signal */
            continue;
        }
        if (!cfg->loop)
            c->done = true;
    }
}

oc_err oc_play_run(const oc_play_config *cfg, oc_play_stats *st, char *why,
                   size_t n)
{
    oc_play_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!cfg || !cfg->first || !cfg->addr)
        return oc_errf(why, n, OC_EINVAL, "play: a file and --udp are needed");
    if (cfg->bitrate < 10000 || cfg->bitrate > 1000000000ull)
        return oc_errf(why, n, OC_EINVAL,
                       "--bitrate: must be 10000..1000000000 bit/s");
    cursor c = { .cfg = cfg, .st = st };
    oc_err e = oc_play_load(cfg->first, &c.f[0], why, n);
    if (!e && cfg->then)
        e = oc_play_load(cfg->then, &c.f[1], why, n);
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    int fd = -1;
    if (!e) {
        fd = open_socket(cfg->addr, &sa, &salen, why, n);
        if (fd < 0)
            e = OC_EIO;
    }
    uint8_t dgram[12 + OC_PLAY_PACKETS_PER_DATAGRAM * OC_TS_PACKET];
    size_t hdr = cfg->rtp ? 12u : 0u;
    uint16_t seq = 0;
    uint32_t ssrc = (uint32_t)(now_ns() ^ (uint64_t)getpid() * 2654435761u);
    /* Continuity counters run on across passes and the switch, as a
     * multiplexer's output would: a file looped as it is would restart
     * them on every pass (a TR 101 290 continuity error each time). */
    oc_play_cc *cc = malloc(sizeof *cc);
    if (!e && !cc)
        e = oc_errf(why, n, OC_ENOMEM, "play: out of memory");
    if (cc)
        oc_play_cc_init(cc);
    uint64_t t0 = now_ns(), sent_bits = 0;
    while (!e) {
        size_t k = 0;
        const uint8_t *p;
        while (k < OC_PLAY_PACKETS_PER_DATAGRAM && (p = next_packet(&c))) {
            uint8_t *d = dgram + hdr + k * OC_TS_PACKET;
            memcpy(d, p, OC_TS_PACKET);
            oc_play_cc_fix(cc, d);
            k++;
        }
        if (k == 0)
            break;
        /* Leave when the bits before this datagram have had their time. */
        uint64_t due = t0 + oc_play_due_ns(sent_bits, cfg->bitrate);
        for (uint64_t t = now_ns(); t < due && !flag(cfg->stop_flag);
             t = now_ns())
            sleep_until(due);
        if (cfg->rtp) {
            /* RFC 3550 5.1: V=2, no padding, extension or CSRC; M=0,
             * PT=33 (MP2T, RFC 3551); a 90 kHz timestamp of the send
             * time (RFC 2250 2). */
            uint32_t ts90 = (uint32_t)(sent_bits / cfg->bitrate * 90000u +
                                       sent_bits % cfg->bitrate * 90000u /
                                           cfg->bitrate);
            dgram[0] = 0x80;
            dgram[1] = 33;
            dgram[2] = (uint8_t)(seq >> 8);
            dgram[3] = (uint8_t)seq;
            for (int i = 0; i < 4; i++) {
                dgram[4 + i] = (uint8_t)(ts90 >> (24 - 8 * i));
                dgram[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
            }
            seq++;
        }
        size_t len = hdr + k * OC_TS_PACKET;
        ssize_t w;
        do
            w = sendto(fd, dgram, len, 0, (struct sockaddr *)&sa, salen);
        while (w < 0 && errno == EINTR);
        if (w < 0 && errno != ECONNREFUSED) {
            e = oc_errf(why, n, OC_EIO, "--udp %s: %s", cfg->addr,
                        strerror(errno));
            break;
        }
        st->datagrams++;
        st->packets += k;
        sent_bits += (uint64_t)k * OC_TS_PACKET * 8u;
    }
    if (fd >= 0)
        close(fd);
    free(cc);
    oc_play_file_free(&c.f[0]);
    oc_play_file_free(&c.f[1]);
    return e;
}
