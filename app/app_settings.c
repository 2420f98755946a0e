/*
 * The viewer's settings file (see app_settings.h).
 */
#include "app/app_settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void app_settings_default(app_settings *s)
{
    memset(s, 0, sizeof *s);
    s->lang = CM_LANG_EN;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* A postcode as stored: letters, digits and single spaces, upper case,
 * at most 15 bytes.  The regions table decides whether it is known. */
static int postcode_ok(const char *v, char *out, size_t outlen)
{
    size_t n = 0;
    for (; *v; v++) {
        char c = *v;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' '))
            return 0;
        if (n + 1 >= outlen)
            return 0;
        out[n++] = c;
    }
    out[n] = '\0';
    return 1;
}

static void warn_once(unsigned *bad, char *warn, size_t warnlen, unsigned line,
                      const char *what)
{
    if (*bad == 0 && warn && warnlen)
        snprintf(warn, warnlen, "line %u: %s", line, what);
    (*bad)++;
}

unsigned app_settings_parse(app_settings *s, const char *text, size_t len,
                            char *warn, size_t warnlen)
{
    unsigned bad = 0, line_no = 0;
    size_t pos = 0;
    if (warn && warnlen)
        warn[0] = '\0';
    while (text && pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line_no++;
        char line[128];
        size_t n = end - pos;
        const char *src = text + pos;
        pos = end < len ? end + 1 : end;
        if (n >= sizeof line) {
            warn_once(&bad, warn, warnlen, line_no, "too long");
            continue;
        }
        memcpy(line, src, n);
        line[n] = '\0';
        if (strlen(line) != n) {
            warn_once(&bad, warn, warnlen, line_no, "a NUL byte");
            continue;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *t = trim(line);
        if (!*t)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            warn_once(&bad, warn, warnlen, line_no, "needs \"name = value\"");
            continue;
        }
        *eq = '\0';
        const char *k = trim(t), *v = trim(eq + 1);
        char pc[sizeof s->postcode];   /* only a whole good postcode replaces the old */
        memset(pc, 0, sizeof pc);
        if (!strcmp(k, "language") && (!strcmp(v, "en") || !strcmp(v, "cy")))
            s->lang = !strcmp(v, "cy") ? CM_LANG_CY : CM_LANG_EN;
        else if (!strcmp(k, "text") && (!strcmp(v, "normal") || !strcmp(v, "large")))
            s->large_text = !strcmp(v, "large");
        else if (!strcmp(k, "contrast") && (!strcmp(v, "standard") || !strcmp(v, "high")))
            s->high_contrast = !strcmp(v, "high");
        else if (!strcmp(k, "postcode") && postcode_ok(v, pc, sizeof pc))
            memcpy(s->postcode, pc, sizeof pc);
        else
            warn_once(&bad, warn, warnlen, line_no, "unknown name or value");
    }
    return bad;
}

size_t app_settings_format(const app_settings *s, char *out, size_t outlen)
{
    int n = snprintf(out, outlen,
                     "# civictv settings (written by civictv)\n"
                     "language = %s\ntext = %s\ncontrast = %s\n%s%s%s",
                     s->lang == CM_LANG_CY ? "cy" : "en",
                     s->large_text ? "large" : "normal",
                     s->high_contrast ? "high" : "standard",
                     s->postcode[0] ? "postcode = " : "", s->postcode,
                     s->postcode[0] ? "\n" : "");
    if (n < 0)
        return 0;
    return (size_t)n < outlen ? (size_t)n : outlen ? outlen - 1 : 0;
}

int app_settings_default_path(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(out, outlen, "%s/civictv/settings", xdg);
    else if (home && *home)
        n = snprintf(out, outlen, "%s/.config/civictv/settings", home);
    else
        return -1;
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int app_settings_load(app_settings *s, const char *path, char *warn, size_t warnlen)
{
    if (warn && warnlen)
        warn[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        errno = EIO;
        return -1;
    }
    app_settings_parse(s, buf, n, warn, warnlen);
    return 0;
}

/* mkdir -p of the folder part of path. */
static int make_parent(const char *path)
{
    char dir[1024];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int app_settings_save(const app_settings *s, const char *path)
{
    char text[512], tmp[1100];
    size_t n = app_settings_format(s, text, sizeof text);
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (make_parent(path) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        off += (size_t)w;
    }
    int synced = fsync(fd);
    int e = errno;
    if (close(fd) != 0 && synced == 0) {
        synced = -1;
        e = errno;
    }
    if (synced != 0) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
