/*
 * UDP and RTP sources: transport stream over IP, as headends, IPTV
 * networks and test playout send it.
 *
 * Datagrams carry whole TS packets, usually seven of 188 bytes (1316
 * bytes, under a 1500-byte Ethernet MTU with IP, UDP and RTP headers;
 * ETSI TS 102 034 clause 7.1.1, RFC 2250 clause 2).  With RTP each
 * datagram starts with the fixed header of RFC 3550 clause 5.1 (payload
 * type 33, MP2T, RFC 3551 clause 6); its sequence number tells lost,
 * repeated and late datagrams apart.  Lost ones are counted and reported
 * (the TS layer then sees the continuity_counter gap and drops the cut
 * section); repeated and late ones are dropped here, since pushing them
 * would only glue old packets into newer sections.  Jumps beyond
 * RFC 3550 appendix A.1's MAX_DROPOUT / MAX_MISORDER are a restarted
 * sender: the count starts again rather than reporting thousands lost.
 *
 * Multicast: the socket is bound to the group's address and port (so
 * only that group's datagrams arrive) and joins it on the default
 * interface (IP_ADD_MEMBERSHIP, RFC 1112; IPV6_JOIN_GROUP, RFC 3493
 * clause 5.2).  SO_REUSEADDR lets several receivers on one host share a
 * group.  Unicast binds to the given local address, or to any address
 * when the host is empty ("udp://:1234" or "udp://@:1234").
 */
#include "dvb/dvb_source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536u
#define DATAGRAMS_PER_PUMP 64u           /* a bounded pump keeps keys responsive */
#define RCVBUF_BYTES (4 << 20)           /* about 1 s at 32 Mbit/s */
#define MAX_DROPOUT 3000u                /* RFC 3550 appendix A.1 */
#define MAX_MISORDER 100u

dvb_err dvb_rtp_parse(const uint8_t *p, size_t len, dvb_rtp_header *out)
{
    if (!p || !out)
        return DVB_EINVAL;
    memset(out, 0, sizeof *out);
    if (len < 12)
        return DVB_ETRUNC;
    out->version = p[0] >> 6;
    if (out->version != 2)
        return DVB_ESYNTAX;
    out->padding = (p[0] & 0x20) != 0;
    out->extension = (p[0] & 0x10) != 0;
    out->csrc_count = p[0] & 0x0F;
    out->marker = (p[1] & 0x80) != 0;
    out->payload_type = p[1] & 0x7F;
    out->sequence_number = (uint16_t)(p[2] << 8 | p[3]);
    out->timestamp = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
                     (uint32_t)p[6] << 8 | p[7];
    out->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
                (uint32_t)p[10] << 8 | p[11];
    size_t pos = 12 + 4u * out->csrc_count;
    if (pos > len)
        return DVB_ETRUNC;
    if (out->extension) {
        /* 5.3.1: 16 bits profile-defined, 16 bits length in words. */
        if (len - pos < 4)
            return DVB_ETRUNC;
        size_t words = (size_t)(p[pos + 2] << 8 | p[pos + 3]);
        pos += 4;
        if (len - pos < 4 * words)
            return DVB_ETRUNC;
        pos += 4 * words;
    }
    size_t end = len;
    if (out->padding) {
        /* The last octet counts the padding, itself included. */
        uint8_t pad = p[len - 1];
        if (pad == 0 || pad > len - pos)
            return DVB_ESYNTAX;
        end = len - pad;
    }
    out->payload = p + pos;
    out->payload_len = end - pos;
    return DVB_OK;
}

typedef struct {
    bool rtp;
    bool have_seq;
    uint16_t next_seq;
    bool warned_pt;
    uint8_t buf[MAX_DATAGRAM];
} net_state;

/* RFC 3550 A.1 in short: returns whether to deliver the datagram. */
static bool rtp_sequence(dvb_source *s, net_state *n, uint16_t seq)
{
    if (!n->have_seq) {
        n->have_seq = true;
        n->next_seq = (uint16_t)(seq + 1);
        return true;
    }
    uint16_t ahead = (uint16_t)(seq - n->next_seq);
    if (ahead == 0) {
        n->next_seq = (uint16_t)(seq + 1);
        return true;
    }
    if (ahead < MAX_DROPOUT) {
        s->st.rtp_lost += ahead;
        s->st.rtp_gaps++;
        dvb_logf(&s->log, DVB_LOG_WARN,
                 "RTP: %u datagram%s lost before sequence number %u",
                 (unsigned)ahead, ahead == 1 ? "" : "s", (unsigned)seq);
        n->next_seq = (uint16_t)(seq + 1);
        return true;
    }
    uint16_t behind = (uint16_t)(n->next_seq - seq);
    if (behind <= MAX_MISORDER) {
        if (behind == 1)
            s->st.rtp_duplicates++;
        else
            s->st.rtp_late++;
        dvb_logf(&s->log, DVB_LOG_DEBUG,
                 "RTP: sequence number %u %s, dropped", (unsigned)seq,
                 behind == 1 ? "repeated" : "out of order");
        return false;
    }
    dvb_logf(&s->log, DVB_LOG_INFO,
             "RTP: sequence number jumped to %u (sender restarted?)",
             (unsigned)seq);
    n->next_seq = (uint16_t)(seq + 1);
    return true;
}

static dvb_err net_pump(dvb_source *s)
{
    net_state *n = s->impl;
    for (unsigned i = 0; i < DATAGRAMS_PER_PUMP; i++) {
        ssize_t got = recv(s->fd, n->buf, sizeof n->buf, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return DVB_OK;
            /* ICMP errors (ECONNREFUSED and the like) on a datagram
             * socket are about something we sent, which is nothing:
             * note and carry on, the network may come back. */
            dvb_logf(&s->log, DVB_LOG_WARN, "receiving: %s", strerror(errno));
            return DVB_OK;
        }
        s->st.reads++;
        const uint8_t *data = n->buf;
        size_t len = (size_t)got;
        if (n->rtp) {
            dvb_rtp_header h;
            dvb_err e = dvb_rtp_parse(n->buf, len, &h);
            if (e) {
                s->st.rtp_bad++;
                dvb_logf(&s->log, DVB_LOG_WARN,
                         "RTP: a datagram of %zu bytes dropped: %s", len,
                         dvb_strerror(e));
                continue;
            }
            if (h.payload_type != 33 && !n->warned_pt) {
                n->warned_pt = true;
                dvb_logf(&s->log, DVB_LOG_INFO,
                         "RTP: payload type %u, not 33 (MP2T); read as TS",
                         (unsigned)h.payload_type);
            }
            if (!rtp_sequence(s, n, h.sequence_number))
                continue;
            data = h.payload;
            len = h.payload_len;
        }
        dvb_err e = dvb_source_deliver(s, data, len);
        if (e)
            return e;
    }
    return DVB_OK;
}

static void net_destroy(dvb_source *s)
{
    free(s->impl);
    s->impl = NULL;
}

static const dvb_source_vt net_vt = {
    .pump = net_pump,
    .timeout_ms = NULL,
    .destroy = net_destroy,
};

/* "HOST:PORT", "@HOST:PORT", "[V6]:PORT", ":PORT" into host (empty for
 * any) and port. */
static dvb_err split_hostport(const char *hp, char *host, size_t hostlen,
                              char *port, size_t portlen)
{
    if (*hp == '@')
        hp++;
    const char *colon;
    const char *h = hp;
    size_t hl;
    if (*hp == '[') {
        const char *close = strchr(hp, ']');
        if (!close || close[1] != ':')
            return DVB_EINVAL;
        h = hp + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(hp, ':');
        if (!colon)
            return DVB_EINVAL;
        hl = (size_t)(colon - hp);
        if (memchr(hp, ':', hl))
            return DVB_EINVAL;     /* IPv6 needs its brackets */
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (hl >= hostlen || pl == 0 || pl >= portlen)
        return DVB_EINVAL;
    for (size_t i = 0; i < pl; i++)
        if (p[i] < '0' || p[i] > '9')
            return DVB_EINVAL;
    long pn = strtol(p, NULL, 10);
    if (pn < 1 || pn > 65535)
        return DVB_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, p, pl + 1);
    return DVB_OK;
}

static bool is_multicast(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return IN_MULTICAST(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_MULTICAST(&in6->sin6_addr);
    }
    return false;
}

static dvb_err join_group(dvb_source *s, const struct sockaddr *sa,
                          const char *url)
{
    int rc;
    if (sa->sa_family == AF_INET) {
        struct ip_mreq m;
        memset(&m, 0, sizeof m);
        m.imr_multiaddr = ((const struct sockaddr_in *)sa)->sin_addr;
        m.imr_interface.s_addr = htonl(INADDR_ANY);
        rc = setsockopt(s->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
    } else {
        struct ipv6_mreq m;
        memset(&m, 0, sizeof m);
        m.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        m.ipv6mr_interface = 0;
        rc = setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
    }
    if (rc != 0) {
        dvb_logf(&s->log, DVB_LOG_ERROR, "%s: joining the group: %s", url,
                 strerror(errno));
        return DVB_EIO;
    }
    return DVB_OK;
}

dvb_err dvb_source_open_net(const dvb_source_config *cfg, const char *url,
                            dvb_source **out)
{
    if (!cfg || !cfg->sink || !url || !out)
        return DVB_EINVAL;
    *out = NULL;
    bool rtp;
    if (!strncmp(url, "udp://", 6))
        rtp = false;
    else if (!strncmp(url, "rtp://", 6))
        rtp = true;
    else
        return DVB_EINVAL;
    dvb_logger log = { cfg->log, cfg->log_ud };
    char host[256], port[8];
    if (split_hostport(url + 6, host, sizeof host, port, sizeof port)) {
        dvb_logf(&log, DVB_LOG_ERROR,
                 "%s: not an address: use %.3s://HOST:PORT", url, url);
        return DVB_EINVAL;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = host[0] ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (gai != 0 || !ai) {
        dvb_logf(&log, DVB_LOG_ERROR, "%s: %s", url, gai_strerror(gai));
        return DVB_EINVAL;
    }
    dvb_source *s = dvb_source_alloc(cfg, rtp ? DVB_SOURCE_RTP : DVB_SOURCE_UDP,
                                     &net_vt);
    net_state *n = calloc(1, sizeof *n);
    if (!s || !n) {
        freeaddrinfo(ai);
        free(s);
        free(n);
        return DVB_ENOMEM;
    }
    n->rtp = rtp;
    s->impl = n;
    dvb_err e = DVB_OK;
    s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        dvb_logf(&s->log, DVB_LOG_ERROR, "%s: socket: %s", url, strerror(errno));
        e = DVB_EIO;
        goto done;
    }
    int one = 1, rcvbuf = RCVBUF_BYTES;
    (void)setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* Best effort: a bigger buffer rides out a slow frame; the kernel
     * caps it at net.core.rmem_max. */
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(s->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        dvb_logf(&s->log, DVB_LOG_ERROR, "%s: bind: %s", url, strerror(errno));
        e = DVB_EIO;
        goto done;
    }
    if (is_multicast(ai->ai_addr))
        e = join_group(s, ai->ai_addr, url);
done:
    freeaddrinfo(ai);
    if (e) {
        dvb_source_destroy(s);
        return e;
    }
    *out = s;
    return DVB_OK;
}
