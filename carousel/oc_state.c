/*
 * The state file of oc_state.h: written with temp + fsync + rename
 * (POSIX rename(2) replaces atomically), checked with a CRC-32 (zlib's
 * crc32, the same polynomial as ISO/IEC 13818-1 Annex A but reflected).
 */
#include "carousel/oc_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "carousel/oc_dsmcc.h"
#include "dvb/dvb_bytes.h"

#define MAGIC "civictv-carousel-state 1"

void oc_state_free(oc_state *s)
{
    if (!s)
        return;
    oc_layout_free(&s->layout);
}

static const char *compress_name(oc_compress c)
{
    switch (c) {
    case OC_COMPRESS_AUTO:
        return "auto";
    case OC_COMPRESS_NONE:
        return "never";
    case OC_COMPRESS_ALL:
        return "always";
    }
    return "auto";
}

static bool put_escaped(dvb_writer *w, const char *p)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!*p)
        return dvb_write_bytes(w, "/", 1);
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7F || ch == '%') {
            char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
            if (!dvb_write_bytes(w, e, 3))
                return false;
        } else if (!dvb_write_bytes(w, p, 1)) {
            return false;
        }
    }
    return true;
}

static bool putf(dvb_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool putf(dvb_writer *w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof buf && dvb_write_bytes(w, buf, (size_t)n);
}

static oc_err serialise(const oc_state *s, dvb_writer *w)
{
    const oc_build_config *c = &s->cfg;
    const oc_layout *l = &s->layout;
    bool ok = putf(w, MAGIC "\n") &&
        putf(w, "pmt-pid 0x%04X\npid 0x%04X\n", c->pmt_pid, c->pid) &&
        putf(w, "service-id %u\ntsid %u\n", c->service_id, c->tsid) &&
        putf(w, "carousel-id %" PRIu32 "\ncomponent-tag %u\n",
             c->carousel_id, c->component_tag) &&
        putf(w, "block-size %u\nmodule-size %" PRIu32 "\n", c->block_size,
             c->module_size) &&
        putf(w, "compress %s\nboot-priority %u\n",
             compress_name(c->compress), c->boot_priority_hint) &&
        putf(w, "first-share %u\nraw %d\npsi-version %u\n", c->first_share,
             s->raw ? 1 : 0, c->psi_version) &&
        putf(w, "dsi-tid 0x%08" PRIX32 "\ndii-tid 0x%08" PRIX32
                "\nior-tid 0x%08" PRIX32 "\n",
             l->dsi_tid, l->dii_tid, l->ior_tid) &&
        putf(w, "next-key %" PRIu32 "\nnext-module %" PRIu32 "\n",
             l->next_key, l->next_module);
    for (size_t i = 0; ok && i < l->n_modules; i++) {
        const oc_layout_module *m = &l->modules[i];
        ok = putf(w, "module %u %u %016" PRIx64 " %" PRIu32 " %d %u\n",
                  m->id, m->version, m->hash, m->size, m->first ? 1 : 0,
                  m->dii);
    }
    for (size_t k = 0; ok && k < l->n_diis; k++)
        ok = putf(w, "dii %zu 0x%08" PRIX32 "\n", k, l->dii_tids[k]);
    for (size_t i = 0; ok && i < l->n_objects; i++) {
        const oc_layout_object *o = &l->objects[i];
        ok = putf(w, "object %" PRIu32 " %u ", o->key, o->module) &&
             put_escaped(w, o->path) && dvb_write_bytes(w, "\n", 1);
    }
    if (ok) {
        uLong crc = crc32(0L, w->p, (uInt)w->len);
        ok = putf(w, "crc32 %08lX\n", (unsigned long)crc);
    }
    return ok ? OC_OK : OC_ENOMEM;
}

static char *tmp_name(const char *path)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (tmp) {
        memcpy(tmp, path, pl);
        memcpy(tmp + pl, ".tmp", 5);
    }
    return tmp;
}

oc_err oc_state_prepare(const oc_state *s, const char *path, char *why,
                        size_t n)
{
    dvb_writer w;
    dvb_writer_init(&w, OC_STATE_MAX_BYTES);
    oc_err e = serialise(s, &w);
    if (e) {
        dvb_writer_free(&w);
        return oc_errf(why, n, e, "%s: %s", path, oc_strerror(e));
    }
    char *tmp = tmp_name(path);
    if (!tmp) {
        dvb_writer_free(&w);
        return oc_errf(why, n, OC_ENOMEM, "%s: out of memory", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = fd < 0 ? errno : 0;
    size_t off = 0;
    while (!err && off < w.len) {
        ssize_t k = write(fd, w.p + off, w.len - off);
        if (k < 0) {
            if (errno != EINTR)
                err = errno;
        } else {
            off += (size_t)k;
        }
    }
    /* A full disk may only show at fsync or close on some file systems. */
    if (!err && fsync(fd) != 0 && errno != EINVAL)
        err = errno;
    if (fd >= 0 && close(fd) != 0 && !err)
        err = errno;
    dvb_writer_free(&w);
    if (err) {
        unlink(tmp);
        oc_errf(why, n, OC_EIO, "%s: not written (%s); the previous state, "
                "if any, is kept", path, strerror(err));
        free(tmp);
        return OC_EIO;
    }
    free(tmp);
    return OC_OK;
}

oc_err oc_state_commit(const char *path, char *why, size_t n)
{
    char *tmp = tmp_name(path);
    if (!tmp)
        return oc_errf(why, n, OC_ENOMEM, "%s: out of memory", path);
    int err = rename(tmp, path) != 0 ? errno : 0;
    if (err)
        unlink(tmp);
    free(tmp);
    if (err)
        return oc_errf(why, n, OC_EIO, "%s: not written (%s); the previous "
                       "state, if any, is kept", path, strerror(err));
    return OC_OK;
}

void oc_state_abandon(const char *path)
{
    char *tmp = tmp_name(path);
    if (tmp)
        unlink(tmp);
    free(tmp);
}

oc_err oc_state_write(const oc_state *s, const char *path, char *why,
                      size_t n)
{
    oc_err e = oc_state_prepare(s, path, why, n);
    return e ? e : oc_state_commit(path, why, n);
}

/* --- reading ------------------------------------------------------------ */

typedef struct {
    const char *name;
    char *why;
    size_t why_n;
    unsigned line;
} parser;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A whole number within [lo, hi] that is all of s. */
static int num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static char *unescape(const char *s)
{
    if (!strcmp(s, "/"))
        return strdup("");
    size_t l = strlen(s);
    char *o = malloc(l + 1), *q = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < l; i++) {
        if (s[i] == '%') {
            int a = i + 2 < l ? hexval(s[i + 1]) : -1;
            int b = a >= 0 ? hexval(s[i + 2]) : -1;
            if (a < 0 || b < 0 || (a == 0 && b == 0)) {
                free(o);
                return NULL;
            }
            *q++ = (char)(a * 16 + b);
            i += 2;
        } else {
            *q++ = s[i];
        }
    }
    *q = '\0';
    return o;
}

typedef struct {
    const char *key;
    uint64_t lo, hi;
    int seen;
    uint64_t v;
} field;

enum {
    F_PMT_PID, F_PID, F_SERVICE, F_TSID, F_CAROUSEL, F_TAG, F_BLOCK,
    F_MODSIZE, F_BOOT, F_SHARE, F_RAW, F_PSIV, F_DSI, F_DII, F_IOR,
    F_NEXTKEY, F_NEXTMOD, F_COUNT
};

static oc_err bad_line(parser *p, const char *what)
{
    return oc_errf(p->why, p->why_n, OC_ESTATE, "%s: line %u: %s", p->name,
                   p->line, what);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

oc_err oc_state_parse(const char *name, const char *text, size_t len,
                      oc_state *s, char *why, size_t why_n)
{
    memset(s, 0, sizeof *s);
    oc_build_config_default(&s->cfg);
    parser p = { name, why, why_n, 0 };
    /* The checksum line is the last; everything before it is covered. */
    if (len == 0 || text[len - 1] != '\n')
        return oc_errf(why, why_n, OC_ESTATE,
                       "%s: truncated (no final line break)", name);
    if (memchr(text, '\0', len))
        return oc_errf(why, why_n, OC_ESTATE, "%s: not a text file", name);
    size_t last = len - 1;
    while (last > 0 && text[last - 1] != '\n')
        last--;
    unsigned long want;
    char tail[32];
    size_t tl = len - last;
    if (tl >= sizeof tail)
        return oc_errf(why, why_n, OC_ESTATE,
                       "%s: damaged (no crc32 line at the end)", name);
    memcpy(tail, text + last, tl);
    tail[tl] = '\0';
    char extra;
    if (sscanf(tail, "crc32 %8lx%c", &want, &extra) != 2 || extra != '\n')
        return oc_errf(why, why_n, OC_ESTATE,
                       "%s: damaged (no crc32 line at the end)", name);
    if (crc32(0L, (const Bytef *)text, (uInt)last) != want)
        return oc_errf(why, why_n, OC_ESTATE,
                       "%s: damaged (checksum mismatch: the file was "
                       "truncated or edited)", name);

    field f[F_COUNT] = {
        [F_PMT_PID] = { "pmt-pid", 0x10, 0x1FFE, 0, 0 },
        [F_PID] = { "pid", 0x10, 0x1FFE, 0, 0 },
        [F_SERVICE] = { "service-id", 1, 0xFFFF, 0, 0 },
        [F_TSID] = { "tsid", 0, 0xFFFF, 0, 0 },
        [F_CAROUSEL] = { "carousel-id", 0, 0xFFFFFFFFu, 0, 0 },
        [F_TAG] = { "component-tag", 0, 0xFF, 0, 0 },
        [F_BLOCK] = { "block-size", OC_BLOCK_SIZE_MIN, OC_BLOCK_MAX, 0, 0 },
        [F_MODSIZE] = { "module-size", OC_MODULE_SIZE_MIN,
                        OC_MODULE_SIZE_MAX, 0, 0 },
        [F_BOOT] = { "boot-priority", 0, 3, 0, 0 },
        [F_SHARE] = { "first-share", 0, OC_FIRST_SHARE_MAX, 0, 0 },
        [F_RAW] = { "raw", 0, 1, 0, 0 },
        [F_PSIV] = { "psi-version", 0, 31, 0, 0 },
        [F_DSI] = { "dsi-tid", 0x80000000u, 0xBFFFFFFFu, 0, 0 },
        [F_DII] = { "dii-tid", 0x80000000u, 0xBFFFFFFFu, 0, 0 },
        [F_IOR] = { "ior-tid", 0x80000000u, 0xBFFFFFFFu, 0, 0 },
        [F_NEXTKEY] = { "next-key", 1, 0xFFFFFFFFu, 0, 0 },
        [F_NEXTMOD] = { "next-module", 1, 0x10000, 0, 0 },
    };
    int have_compress = 0;
    size_t cap_m = 0, cap_o = 0;
    oc_layout *l = &s->layout;
    oc_err e = OC_OK;
    size_t off = 0;
    char *line = NULL;
    while (!e && off < last) {
        const char *nl = memchr(text + off, '\n', last - off);
        size_t ll = (size_t)(nl - (text + off));
        p.line++;
        free(line);
        line = malloc(ll + 1);
        if (!line) {
            e = OC_ENOMEM;
            break;
        }
        memcpy(line, text + off, ll);
        line[ll] = '\0';
        off += ll + 1;
        if (p.line == 1) {
            if (strcmp(line, MAGIC) != 0)
                e = bad_line(&p, "not a civictv-carousel state file "
                                 "(first line must be \"" MAGIC "\")");
            continue;
        }
        char *sp = strchr(line, ' ');
        if (!sp) {
            e = bad_line(&p, "expected \"name value\"");
            break;
        }
        *sp = '\0';
        const char *key = line, *val = sp + 1;
        if (!strcmp(key, "compress")) {
            if (!strcmp(val, "auto"))
                s->cfg.compress = OC_COMPRESS_AUTO;
            else if (!strcmp(val, "never"))
                s->cfg.compress = OC_COMPRESS_NONE;
            else if (!strcmp(val, "always"))
                s->cfg.compress = OC_COMPRESS_ALL;
            else
                e = bad_line(&p, "compress: must be auto, always or never");
            have_compress = 1;
            continue;
        }
        if (!strcmp(key, "module")) {
            unsigned id, ver, first, dii;
            uint64_t hash;
            unsigned long size;
            char c;
            if (sscanf(val, "%u %u %16" SCNx64 " %lu %u %u%c", &id, &ver,
                       &hash, &size, &first, &dii, &c) != 6 ||
                id == 0 || id > 0xFFFF || ver > 255 || first > 1 ||
                size > 0xFFFFFFFFul || dii >= OC_MAX_DIIS) {
                e = bad_line(&p, "module: expected ID VERSION HASH SIZE "
                                 "FIRST DII");
                break;
            }
            for (size_t i = 0; i < l->n_modules; i++)
                if (l->modules[i].id == id)
                    e = bad_line(&p, "module: id listed twice");
            if (e)
                break;
            if (l->n_modules == cap_m) {
                cap_m = cap_m ? cap_m * 2 : 16;
                oc_layout_module *m = realloc(l->modules,
                                              cap_m * sizeof *m);
                if (!m) {
                    e = OC_ENOMEM;
                    break;
                }
                l->modules = m;
            }
            l->modules[l->n_modules++] = (oc_layout_module){
                (uint16_t)id, (uint8_t)ver, hash, (uint32_t)size,
                first != 0, (uint8_t)dii };
            continue;
        }
        if (!strcmp(key, "dii")) {
            unsigned k;
            unsigned long tid;
            char c;
            if (sscanf(val, "%u %lx%c", &k, &tid, &c) != 2 ||
                k != l->n_diis || k >= OC_MAX_DIIS ||
                (tid >> 30) != 2u || tid > 0xFFFFFFFFul) {
                e = bad_line(&p, "dii: expected INDEX TRANSACTIONID, in "
                                 "order from 0");
                break;
            }
            l->dii_tids[l->n_diis++] = (uint32_t)tid;
            continue;
        }
        if (!strcmp(key, "object")) {
            unsigned long k;
            unsigned mod;
            int used = 0;
            if (sscanf(val, "%lu %u %n", &k, &mod, &used) != 2 || !used ||
                !val[used] || strchr(val + used, ' ') || k == 0 ||
                k > 0xFFFFFFFFul || mod == 0 || mod > 0xFFFF) {
                e = bad_line(&p, "object: expected KEY MODULE PATH");
                break;
            }
            char *path = unescape(val + used);
            if (!path) {
                e = bad_line(&p, "object: bad %XX escape in the path");
                break;
            }
            if (l->n_objects == cap_o) {
                cap_o = cap_o ? cap_o * 2 : 64;
                oc_layout_object *o = realloc(l->objects, cap_o * sizeof *o);
                if (!o) {
                    free(path);
                    e = OC_ENOMEM;
                    break;
                }
                l->objects = o;
            }
            l->objects[l->n_objects++] = (oc_layout_object){
                path, (uint32_t)k, (uint16_t)mod };
            continue;
        }
        size_t i;
        for (i = 0; i < F_COUNT; i++)
            if (!strcmp(key, f[i].key))
                break;
        if (i == F_COUNT) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown record \"%.40s\"", key);
            e = bad_line(&p, msg);
            break;
        }
        if (f[i].seen) {
            e = bad_line(&p, "record given twice");
            break;
        }
        if (num(val, f[i].lo, f[i].hi, &f[i].v) != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: \"%.40s\" is out of range",
                     key, val);
            e = bad_line(&p, msg);
            break;
        }
        f[i].seen = 1;
    }
    free(line);
    for (size_t i = 0; !e && i < F_COUNT; i++)
        if (!f[i].seen)
            e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (no \"%s\" line)",
                        name, f[i].key);
    if (!e && !have_compress)
        e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (no \"compress\" line)",
                    name);
    if (!e && (l->n_objects == 0 || l->n_modules == 0))
        e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (no modules or "
                    "objects)", name);
    if (!e) {
        s->cfg.pmt_pid = (uint16_t)f[F_PMT_PID].v;
        s->cfg.pid = (uint16_t)f[F_PID].v;
        s->cfg.service_id = (uint16_t)f[F_SERVICE].v;
        s->cfg.tsid = (uint16_t)f[F_TSID].v;
        s->cfg.carousel_id = (uint32_t)f[F_CAROUSEL].v;
        s->cfg.component_tag = (uint8_t)f[F_TAG].v;
        s->cfg.block_size = (uint16_t)f[F_BLOCK].v;
        s->cfg.module_size = (uint32_t)f[F_MODSIZE].v;
        s->cfg.boot_priority_hint = (uint8_t)f[F_BOOT].v;
        s->cfg.first_share = (unsigned)f[F_SHARE].v;
        s->raw = (int)f[F_RAW].v;
        s->cfg.psi_version = (uint8_t)f[F_PSIV].v;
        l->dsi_tid = (uint32_t)f[F_DSI].v;
        l->dii_tid = (uint32_t)f[F_DII].v;
        l->ior_tid = (uint32_t)f[F_IOR].v;
        l->next_key = (uint32_t)f[F_NEXTKEY].v;
        l->next_module = (uint32_t)f[F_NEXTMOD].v;
        if (s->cfg.pid == s->cfg.pmt_pid)
            e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (pid equals "
                        "pmt-pid)", name);
    }
    /* Cross-checks: every object in a listed module, keys and ids below
     * the next free ones, keys unique, the gateway present. */
    int have_root = 0;
    for (size_t i = 0; !e && i < l->n_objects; i++) {
        const oc_layout_object *o = &l->objects[i];
        int found = 0;
        for (size_t m = 0; m < l->n_modules && !found; m++)
            found = l->modules[m].id == o->module;
        if (!found || o->key >= l->next_key)
            e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (object %" PRIu32
                        " refers to an unknown module or key)", name, o->key);
        have_root |= o->path[0] == '\0';
    }
    if (!e && (l->n_diis == 0 || l->dii_tids[0] != l->dii_tid))
        e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (dii lines missing or "
                    "not matching dii-tid)", name);
    for (size_t m = 0; !e && m < l->n_modules; m++)
        if (l->modules[m].dii >= l->n_diis)
            e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (module %u in "
                        "DII %u, which is not listed)", name, l->modules[m].id,
                        l->modules[m].dii);
    for (size_t m = 0; !e && m < l->n_modules; m++)
        if (l->modules[m].id >= l->next_module)
            e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (module %u not "
                        "below next-module)", name, l->modules[m].id);
    if (!e && !have_root)
        e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (no ServiceGateway "
                    "object \"/\")", name);
    if (!e) {
        /* Unique keys: sort a copy. */
        uint32_t *k = malloc(l->n_objects * sizeof *k);
        if (!k) {
            e = OC_ENOMEM;
        } else {
            for (size_t i = 0; i < l->n_objects; i++)
                k[i] = l->objects[i].key;
            qsort(k, l->n_objects, sizeof *k, cmp_u32);
            for (size_t i = 1; i < l->n_objects && !e; i++)
                if (k[i] == k[i - 1])
                    e = oc_errf(why, why_n, OC_ESTATE, "%s: damaged (object "
                                "key %" PRIu32 " listed twice)", name, k[i]);
            free(k);
        }
    }
    if (e) {
        if (e == OC_ENOMEM)
            oc_errf(why, why_n, e, "%s: out of memory", name);
        oc_state_free(s);
    }
    return e;
}

oc_err oc_state_read(const char *path, oc_state *s, char *why, size_t n)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return oc_errf(why, n, OC_EIO, "%s: %s", path, strerror(errno));
    dvb_writer w;
    dvb_writer_init(&w, OC_STATE_MAX_BYTES);
    uint8_t buf[65536];
    size_t k;
    bool ok = true;
    while (ok && (k = fread(buf, 1, sizeof buf, f)) > 0)
        ok = dvb_write_bytes(&w, buf, k);
    int rerr = ferror(f);
    fclose(f);
    if (!ok || rerr) {
        dvb_writer_free(&w);
        return oc_errf(why, n, rerr ? OC_EIO : OC_ESTATE, "%s: %s", path,
                       rerr ? "read error" : "too large for a state file");
    }
    oc_err e = oc_state_parse(path, (const char *)w.p, w.len, s, why, n);
    dvb_writer_free(&w);
    return e;
}
