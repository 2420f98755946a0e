/*
 * civictv-carousel extract: a carousel's tree, as a receiver assembles
 * it (ISO/IEC 13818-6 11: BIOP directories and files reached from the
 * ServiceGateway of the DSI, TR 101 202 4.7.5), written under OUT_DIR.
 *
 * Names come from the air, so they are checked before they touch the
 * file system: every path component must be a plain name (not empty,
 * ".", "..", nor holding "/"), and everything is created relative to
 * OUT_DIR's descriptor (mkdirat, openat with O_NOFOLLOW) so that neither
 * a name nor a symbolic link already in OUT_DIR can lead outside it.
 * Streams and stream events (13818-6 11.3.2.5-6) have no bytes and are
 * counted, not written.
 *
 * An incomplete carousel still has its complete modules written (the
 * receiver's partial store): whatever can be recovered is, and the exit
 * status says it was not everything.
 */
#include "carousel/oc_inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    int dirfd;
    const char *outdir;
    const char *prog;
    FILE *err;
    size_t files, dirs, others, pending, refused, failed;
    uint64_t bytes;
} extract_ctx;

/* Every component a plain name. */
static int safe_path(const char *rel)
{
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!slash)
            return 1;
        p = slash + 1;
    }
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int put_object(void *ud, const char *path, const dvb_object_info *info,
                      const uint8_t *data)
{
    extract_ctx *x = ud;
    if (!strcmp(path, "/"))
        return 0;
    const char *rel = path + 1;
    if (info->kind == DVB_OBJ_PENDING) {
        x->pending++;
        return 0;
    }
    if (info->kind == DVB_OBJ_STREAM || info->kind == DVB_OBJ_STREAM_EVENT) {
        x->others++;
        return 0;
    }
    if (!safe_path(rel)) {
        fprintf(x->err, "%s: \"%s\": not a name a file can have; skipped\n",
                x->prog, path);
        x->refused++;
        return 0;
    }
    if (info->kind == DVB_OBJ_DIR) {
        if (mkdirat(x->dirfd, rel, 0755) != 0) {
            struct stat st;
            if (errno != EEXIST ||
                fstatat(x->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISDIR(st.st_mode)) {
                fprintf(x->err, "%s: %s%s: %s\n", x->prog, x->outdir, path,
                        errno == EEXIST ? "exists and is not a directory"
                                        : strerror(errno));
                x->failed++;
                return 0;
            }
        }
        x->dirs++;
        return 0;
    }
    int fd = openat(x->dirfd, rel,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, data, info->size) != 0) {
        fprintf(x->err, "%s: %s%s: %s\n", x->prog, x->outdir, path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        x->failed++;
        return 0;
    }
    if (close(fd) != 0) {
        fprintf(x->err, "%s: %s%s: %s\n", x->prog, x->outdir, path,
                strerror(errno));
        x->failed++;
        return 0;
    }
    x->files++;
    x->bytes += info->size;
    return 0;
}

static void extract_usage(FILE *f)
{
    fprintf(f,
"usage: civictv-carousel extract [options] IN.ts OUT_DIR\n"
"\n"
"Receive the object carousel in a transport stream and write its files\n"
"and directories under OUT_DIR (created if missing).\n"
"\n"
OC_READ_OPTIONS_HELP
"\n"
"Exit status: 0 the carousel was complete and written; 1 it was\n"
"incomplete or absent (the complete modules' files are still written),\n"
"or the stream could not be read or the files written; 2 usage.\n");
}

int oc_extract_main(int argc, char **argv, FILE *out, FILE *err)
{
    const char *prog = "civictv-carousel extract";
    oc_read_options o;
    const char *args[2] = { NULL, NULL };
    int nargs;
    int rc = oc_read_args(argc, argv, prog, extract_usage, out, err, &o, args,
                          2, &nargs);
    if (rc >= 0)
        return rc;
    if (nargs != 2) {
        fprintf(err, "%s: needs IN.ts and OUT_DIR\n(try '%s --help')\n", prog,
                prog);
        return 2;
    }
    const char *in = args[0], *outdir = args[1];
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(err, "%s: %s: %s\n", prog, outdir, strerror(errno));
        return 1;
    }
    int dirfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        fprintf(err, "%s: %s: %s\n", prog, outdir, strerror(errno));
        return 1;
    }
    oc_read_result res;
    if (oc_read_stream(in, &o, false, prog, err, &res)) {
        oc_read_free(&res);
        close(dirfd);
        return 1;
    }
    dvb_progress p;
    dvb_receiver_progress(res.rx, &p);
    int complete;
    dvb_store *s = oc_read_store(&res, &complete);
    extract_ctx x;
    memset(&x, 0, sizeof x);
    x.dirfd = dirfd;
    x.outdir = outdir;
    x.prog = prog;
    x.err = err;
    int had_store = s != NULL;
    if (s)
        dvb_store_walk_objects(s, put_object, &x);
    dvb_store_release(s);
    close(dirfd);

    if (res.pid_guessed)
        fprintf(err, "%s: no PAT/PMT: read the carousel on PID 0x%04X, the "
                     "first with DSM-CC sections\n", prog,
                (unsigned)res.pid_used);
    fprintf(out, "%s: %zu files (%llu bytes), %zu directories", outdir,
            x.files, (unsigned long long)x.bytes, x.dirs);
    if (x.others)
        fprintf(out, "; %zu streams and stream events not written", x.others);
    fprintf(out, "\n");
    int status = 0;
    if (res.pid_used < 0) {
        fprintf(err, "%s: %s: no object carousel found%s\n", prog, in,
                o.pid < 0 ? " (give its PID with --pid)" : "");
        status = 1;
    } else if (!complete) {
        if (res.over_limit)
            fprintf(err, "%s: %s: the carousel is over the receiver's memory "
                         "limit\n", prog, in);
        else if (p.modules_total == 0)
            fprintf(err, "%s: %s: incomplete: no module list (DII) on PID "
                         "0x%04X\n", prog, in, (unsigned)res.pid_used);
        else
            fprintf(err, "%s: %s: incomplete: %u of %u modules (%llu of %llu "
                         "bytes)%s; %zu objects not arrived\n", prog, in,
                    p.modules_done, p.modules_total,
                    (unsigned long long)p.bytes_done,
                    (unsigned long long)p.bytes_total,
                    had_store ? "" : ", no ServiceGateway", x.pending);
        status = 1;
    }
    if (x.failed || x.refused)
        status = 1;
    oc_read_free(&res);
    return status;
}

int oc_extract_cmd(int argc, char **argv)
{
    return oc_extract_main(argc, argv, stdout, stderr);
}
