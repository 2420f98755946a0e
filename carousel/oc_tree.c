/*
 * The in-memory tree behind oc_tree.h.  Children are kept sorted so that
 * the carousel built from a folder does not depend on the order readdir()
 * happens to return: the same folder gives the same bytes on air.
 */
#include "carousel/oc_tree.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct oc_node {
    char *name;
    int is_dir;
    oc_node **kids;
    size_t n_kids, cap_kids;
    uint8_t *data;
    size_t len;
};

struct oc_tree {
    oc_node root;
};

/* Folders nested deeper than this are refused: it stops symbolic-link
 * loops and no receiver needs paths that long. */
#define OC_TREE_MAX_DEPTH 32
#define OC_TREE_MAX_PATH 4096

int oc_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > OC_NAME_MAX)
        return 0;
    if ((len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0' || name[i] == '/')
            return 0;
    return 1;
}

static void node_free(oc_node *n)
{
    for (size_t i = 0; i < n->n_kids; i++) {
        node_free(n->kids[i]);
        free(n->kids[i]);
    }
    free(n->kids);
    free(n->name);
    free(n->data);
}

oc_err oc_tree_create(oc_tree **out)
{
    *out = NULL;
    oc_tree *t = calloc(1, sizeof *t);
    if (!t)
        return OC_ENOMEM;
    t->root.is_dir = 1;
    t->root.name = calloc(1, 1);
    if (!t->root.name) {
        free(t);
        return OC_ENOMEM;
    }
    *out = t;
    return OC_OK;
}

void oc_tree_destroy(oc_tree *t)
{
    if (!t)
        return;
    node_free(&t->root);
    free(t);
}

/* Binary search for name (len bytes) among a directory's children; *at
 * receives the insertion point when it is absent. */
static oc_node *find_kid(const oc_node *dir, const char *name, size_t len,
                         size_t *at)
{
    size_t lo = 0, hi = dir->n_kids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = dir->kids[mid]->name;
        int c = strncmp(k, name, len);
        if (c == 0)
            c = k[len] == '\0' ? 0 : 1;
        if (c == 0) {
            if (at)
                *at = mid;
            return dir->kids[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (at)
        *at = lo;
    return NULL;
}

static oc_err add_kid(oc_node *dir, const char *name, size_t len,
                      size_t at, int is_dir, oc_node **out)
{
    if (dir->n_kids == dir->cap_kids) {
        size_t cap = dir->cap_kids ? dir->cap_kids * 2 : 8;
        oc_node **k = realloc(dir->kids, cap * sizeof *k);
        if (!k)
            return OC_ENOMEM;
        dir->kids = k;
        dir->cap_kids = cap;
    }
    oc_node *n = calloc(1, sizeof *n);
    if (!n)
        return OC_ENOMEM;
    n->name = malloc(len + 1);
    if (!n->name) {
        free(n);
        return OC_ENOMEM;
    }
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->is_dir = is_dir;
    memmove(dir->kids + at + 1, dir->kids + at,
            (dir->n_kids - at) * sizeof *dir->kids);
    dir->kids[at] = n;
    dir->n_kids++;
    *out = n;
    return OC_OK;
}

/* Walk path, creating directories; returns the parent directory of the
 * last part and that part's (name, len). */
static oc_err descend(oc_tree *t, const char *path, oc_node **parent,
                      const char **last, size_t *last_len)
{
    if (!path || !*path)
        return OC_ENAME;
    oc_node *dir = &t->root;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (!oc_name_ok(p, len))
            return OC_ENAME;
        if (!slash) {
            *parent = dir;
            *last = p;
            *last_len = len;
            return OC_OK;
        }
        size_t at;
        oc_node *k = find_kid(dir, p, len, &at);
        if (k && !k->is_dir)
            return OC_EEXIST;
        if (!k) {
            oc_err e = add_kid(dir, p, len, at, 1, &k);
            if (e)
                return e;
        }
        dir = k;
        p = slash + 1;
    }
}

oc_err oc_tree_add_dir(oc_tree *t, const char *path)
{
    if (!t)
        return OC_EINVAL;
    oc_node *dir, *k;
    const char *name;
    size_t len, at;
    oc_err e = descend(t, path, &dir, &name, &len);
    if (e)
        return e;
    k = find_kid(dir, name, len, &at);
    if (k)
        return k->is_dir ? OC_OK : OC_EEXIST;
    return add_kid(dir, name, len, at, 1, &k);
}

oc_err oc_tree_add_file(oc_tree *t, const char *path,
                        const uint8_t *data, size_t len)
{
    if (!t || (!data && len))
        return OC_EINVAL;
    oc_node *dir, *k;
    const char *name;
    size_t nlen, at;
    oc_err e = descend(t, path, &dir, &name, &nlen);
    if (e)
        return e;
    if (find_kid(dir, name, nlen, &at))
        return OC_EEXIST;
    /* Copy first so that a failed allocation leaves the tree unchanged. */
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return OC_ENOMEM;
    if (len)
        memcpy(copy, data, len);
    e = add_kid(dir, name, nlen, at, 0, &k);
    if (e) {
        free(copy);
        return e;
    }
    k->data = copy;
    k->len = len;
    return OC_OK;
}

typedef struct {
    oc_tree *t;
    size_t max_file;
    oc_tree_report_fn report;
    void *ud;
    oc_err first;
} load_ctx;

static void load_fail(load_ctx *c, const char *rel, const char *what,
                      oc_err e)
{
    if (c->report)
        c->report(c->ud, rel, what);
    if (!c->first)
        c->first = e;
}

static oc_err read_file(const char *fs, size_t max, uint8_t **out,
                        size_t *out_len, const char **why)
{
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(fs, "rb");
    if (!f) {
        *why = strerror(errno);
        return OC_EIO;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        *why = "out of memory";
        return OC_ENOMEM;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                free(buf);
                fclose(f);
                *why = "file too large";
                return OC_ELIMIT;
            }
            size_t ncap = cap > max / 2 ? max : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                *why = "out of memory";
                return OC_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                fclose(f);
                *why = "read error";
                return OC_EIO;
            }
            break;
        }
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return OC_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* fs: the path on disk; rel: the path in the carousel ("" at the top). */
static void load_dir(load_ctx *c, char *fs, size_t fs_len, char *rel,
                     size_t rel_len, int depth)
{
    if (depth > OC_TREE_MAX_DEPTH) {
        load_fail(c, rel_len ? rel : ".", "folders nested too deeply",
                  OC_ELIMIT);
        return;
    }
    DIR *d = opendir(fs);
    if (!d) {
        load_fail(c, rel_len ? rel : fs, strerror(errno), OC_EIO);
        return;
    }
    /* Read all names first, then sort: deterministic order and
     * deterministic error messages. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            /* A folder read only in part is an error, not a smaller
             * carousel. */
            if (errno)
                load_fail(c, rel_len ? rel : ".", strerror(errno), OC_EIO);
            break;
        }
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn) {
                load_fail(c, rel_len ? rel : ".", "out of memory",
                          OC_ENOMEM);
                break;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            load_fail(c, rel_len ? rel : ".", "out of memory", OC_ENOMEM);
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);

    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        size_t nl = strlen(name);
        if (fs_len + 1 + nl >= OC_TREE_MAX_PATH ||
            rel_len + 1 + nl >= OC_TREE_MAX_PATH) {
            load_fail(c, rel_len ? rel : ".", "path too long", OC_ELIMIT);
            continue;
        }
        fs[fs_len] = '/';
        memcpy(fs + fs_len + 1, name, nl + 1);
        size_t nrel = rel_len;
        if (rel_len)
            rel[nrel++] = '/';
        memcpy(rel + nrel, name, nl + 1);
        nrel += nl;

        struct stat st;
        if (stat(fs, &st) != 0) {
            load_fail(c, rel, strerror(errno), OC_EIO);
        } else if (!oc_name_ok(name, nl)) {
            load_fail(c, rel, "name cannot be carried (1-254 bytes)",
                      OC_ENAME);
        } else if (S_ISDIR(st.st_mode)) {
            oc_err e = oc_tree_add_dir(c->t, rel);
            if (e)
                load_fail(c, rel, oc_strerror(e), e);
            else
                load_dir(c, fs, fs_len + 1 + nl, rel, nrel, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            uint8_t *data;
            size_t len;
            const char *why = NULL;
            oc_err e = read_file(fs, c->max_file, &data, &len, &why);
            if (e) {
                load_fail(c, rel, why, e);
            } else {
                e = oc_tree_add_file(c->t, rel, data, len);
                free(data);
                if (e)
                    load_fail(c, rel, oc_strerror(e), e);
            }
        } else {
            load_fail(c, rel, "not a regular file or folder", OC_EIO);
        }
        fs[fs_len] = '\0';
        rel[rel_len] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

oc_err oc_tree_load(oc_tree *t, const char *dir, size_t max_file_bytes,
                    oc_tree_report_fn report, void *ud)
{
    if (!t || !dir)
        return OC_EINVAL;
    load_ctx c = { t, max_file_bytes ? max_file_bytes : (size_t)256 << 20,
                   report, ud, OC_OK };
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (dl >= OC_TREE_MAX_PATH) {
        load_fail(&c, dir, "path too long", OC_ELIMIT);
        return c.first;
    }
    char *fs = malloc(OC_TREE_MAX_PATH);
    char *rel = malloc(OC_TREE_MAX_PATH);
    if (!fs || !rel) {
        free(fs);
        free(rel);
        return OC_ENOMEM;
    }
    memcpy(fs, dir, dl);
    fs[dl] = '\0';
    rel[0] = '\0';
    struct stat st;
    if (stat(fs, &st) != 0) {
        load_fail(&c, dir, strerror(errno), OC_EIO);
    } else if (!S_ISDIR(st.st_mode)) {
        load_fail(&c, dir, "not a folder", OC_EIO);
    } else {
        load_dir(&c, fs, dl, rel, 0, 0);
    }
    free(fs);
    free(rel);
    return c.first;
}

static const oc_node *lookup(const oc_tree *t, const char *path)
{
    const oc_node *n = &t->root;
    const char *p = path;
    while (n && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (!n->is_dir)
            return NULL;
        n = find_kid(n, p, len, NULL);
        p = slash ? slash + 1 : p + len;
    }
    return n;
}

int oc_tree_lookup(const oc_tree *t, const char *path,
                   const uint8_t **data, size_t *len)
{
    if (!t || !path || !*path)
        return -1;
    const oc_node *n = lookup(t, path);
    if (!n || n->is_dir)
        return -1;
    *data = n->data;
    *len = n->len;
    return 0;
}

const oc_node *oc_tree_root(const oc_tree *t) { return &t->root; }
int oc_node_is_dir(const oc_node *n) { return n->is_dir; }
const char *oc_node_name(const oc_node *n) { return n->name; }
size_t oc_node_child_count(const oc_node *n) { return n->n_kids; }

const oc_node *oc_node_child(const oc_node *n, size_t i)
{
    return i < n->n_kids ? n->kids[i] : NULL;
}

const uint8_t *oc_node_data(const oc_node *n, size_t *len)
{
    *len = n->len;
    return n->data;
}

static int walk(const oc_node *dir, char *path, size_t plen,
                oc_tree_visit_fn fn, void *ud)
{
    for (size_t i = 0; i < dir->n_kids; i++) {
        const oc_node *k = dir->kids[i];
        size_t nl = strlen(k->name);
        size_t at = plen;
        if (at + nl + 2 > OC_TREE_MAX_PATH)
            return -1;
        if (at)
            path[at++] = '/';
        memcpy(path + at, k->name, nl + 1);
        int r = fn(ud, path, k);
        if (!r && k->is_dir)
            r = walk(k, path, at + nl, fn, ud);
        path[plen] = '\0';
        if (r)
            return r;
    }
    return 0;
}

int oc_tree_walk(const oc_tree *t, oc_tree_visit_fn fn, void *ud)
{
    char *path = malloc(OC_TREE_MAX_PATH);
    if (!path)
        return -1;
    path[0] = '\0';
    int r = walk(&t->root, path, 0, fn, ud);
    free(path);
    return r;
}
