/*
 * Updates (carousel/oc_carousel.c with a previous layout, oc_state.c):
 * version 1 -> version 2 with one page changed gives a new moduleVersion
 * to that module only, every other module's DDB sections byte-identical,
 * the same DSI, and a DII whose transactionId has version + 1 and the
 * updated flag toggled (TR 101 202 4.6.4).  Our receiver, fed version 1
 * then version 2, publishes both.  The state file round-trips, rejects
 * damage with a clear message (every truncation, a flipped byte), and a
 * full disk leaves the old file in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carousel/oc_build.h"
#include "carousel/oc_carousel.h"
#include "carousel/oc_state.h"
#include "carousel/oc_tree.h"
#include "dvb/dvb.h"

#define NPAGES 24

/* Page i's text: fixed length, a version digit that an update changes. */
static void page_text(char *buf, size_t n, int i, int version)
{
    int k = snprintf(buf, n, "{\"type\":\"page\",\"title\":{\"en\":\"Page %02d\"},"
                     "\"body\":{\"en\":\"v%d ", i, version);
    /* 1500 bytes of text that does not compress away */
    unsigned s = (unsigned)i * 2654435761u + 1u;
    while (k < 1500) {
        s = s * 1103515245u + 12345u;
        buf[k++] = (char)('a' + (s >> 16) % 26);
    }
    snprintf(buf + k, n - (size_t)k, "\"}}");
}

static oc_tree *make_tree(int changed_page, int version, int extra_file)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    const char *m = "{\"format\":1,\"service\":\"civictv\",\"version\":\"1\","
                    "\"languages\":[\"en\"],\"title\":{\"en\":\"T\"},"
                    "\"root\":\"menus/root.json\"}";
    assert_int_equal(oc_tree_add_file(t, "manifest.json", (const uint8_t *)m,
                                      strlen(m)), OC_OK);
    const char *r = "{\"type\":\"menu\",\"title\":{\"en\":\"Home\"},"
                    "\"items\":[]}";
    assert_int_equal(oc_tree_add_file(t, "menus/root.json",
                                      (const uint8_t *)r, strlen(r)), OC_OK);
    for (int i = 0; i < NPAGES; i++) {
        char path[64], text[2048];
        snprintf(path, sizeof path, "pages/p%02d.json", i);
        page_text(text, sizeof text, i, i == changed_page ? version : 1);
        assert_int_equal(oc_tree_add_file(t, path, (const uint8_t *)text,
                                          strlen(text)), OC_OK);
    }
    if (extra_file)
        assert_int_equal(oc_tree_add_file(t, "pages/zz-new.json",
                                          (const uint8_t *)"{}", 2), OC_OK);
    return t;
}

static const char *const first[] = { "manifest.json", "menus/root.json" };

static void config(oc_carousel_config *cc, const oc_layout *prev)
{
    memset(cc, 0, sizeof *cc);
    cc->carousel_id = 7;
    cc->component_tag = 0x0A;
    cc->block_size = 1024;
    cc->module_size = 4096;
    cc->compress = OC_COMPRESS_AUTO;
    cc->module_version = 1;
    cc->first_paths = first;
    cc->n_first = 2;
    cc->prev = prev;
}

static int same_ddbs(const oc_carousel *a, size_t ia, const oc_carousel *b,
                     size_t ib)
{
    oc_module_info ma, mb;
    oc_carousel_module(a, ia, &ma);
    oc_carousel_module(b, ib, &mb);
    if (ma.blocks != mb.blocks)
        return 0;
    for (size_t k = 0; k < ma.blocks; k++) {
        size_t la, lb;
        const uint8_t *sa = oc_carousel_ddb(a, ia, k, &la);
        const uint8_t *sb = oc_carousel_ddb(b, ib, k, &lb);
        if (la != lb || memcmp(sa, sb, la))
            return 0;
    }
    return 1;
}

/* Build v1 and v2 (v2 from v1's layout); the number of changed modules. */
static size_t update_and_compare(oc_tree *t1, oc_tree *t2, size_t *n_new)
{
    oc_carousel_config cc;
    config(&cc, NULL);
    oc_carousel *c1, *c2;
    assert_int_equal(oc_carousel_create(t1, &cc, &c1), OC_OK);
    oc_layout l1;
    assert_int_equal(oc_carousel_layout(c1, &l1), OC_OK);
    assert_true(oc_carousel_module_count(c1) >= 5);
    config(&cc, &l1);
    assert_int_equal(oc_carousel_create(t2, &cc, &c2), OC_OK);

    size_t changed = 0;
    *n_new = 0;
    for (size_t j = 0; j < oc_carousel_module_count(c2); j++) {
        oc_module_info m2;
        oc_carousel_module(c2, j, &m2);
        size_t i;
        oc_module_info m1 = { 0 };
        for (i = 0; i < oc_carousel_module_count(c1); i++) {
            oc_carousel_module(c1, i, &m1);
            if (m1.moduleId == m2.moduleId)
                break;
        }
        if (i == oc_carousel_module_count(c1)) {
            (*n_new)++;
            assert_true(m2.changed);
            assert_int_equal(m2.moduleVersion, 1);
            continue;
        }
        if (m2.changed) {
            changed++;
            assert_int_equal(m2.moduleVersion, (uint8_t)(m1.moduleVersion + 1));
            assert_false(same_ddbs(c1, i, c2, j));
        } else {
            /* Unchanged: the very same sections on air. */
            assert_int_equal(m2.moduleVersion, m1.moduleVersion);
            assert_true(same_ddbs(c1, i, c2, j));
        }
    }
    /* The DSI is unchanged; the DII's id moves only if something did. */
    size_t la, lb;
    const uint8_t *a = oc_carousel_dsi(c1, &la);
    const uint8_t *b = oc_carousel_dsi(c2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    uint32_t t1id = oc_carousel_dii_tid(c1), t2id = oc_carousel_dii_tid(c2);
    if (changed || *n_new) {
        assert_true(oc_carousel_changed(c2));
        assert_int_equal(t2id >> 30, 2);
        assert_int_equal((t2id >> 16) & 0x3FFF, ((t1id >> 16) + 1) & 0x3FFF);
        assert_int_equal(t2id & 0xFFFE, t1id & 0xFFFE);   /* identification */
        assert_int_equal(t2id & 1, (t1id & 1) ^ 1);       /* updated flag */
    } else {
        assert_false(oc_carousel_changed(c2));
        assert_int_equal(t2id, t1id);
        a = oc_carousel_dii(c1, &la);
        b = oc_carousel_dii(c2, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
    }
    oc_layout_free(&l1);
    oc_carousel_destroy(c1);
    oc_carousel_destroy(c2);
    return changed;
}

static void test_one_page_one_module(void **state)
{
    (void)state;
    oc_tree *t1 = make_tree(-1, 1, 0), *t2 = make_tree(13, 2, 0);
    size_t n_new;
    /* Same length: only the module holding the page changes. */
    assert_int_equal(update_and_compare(t1, t2, &n_new), 1);
    assert_int_equal(n_new, 0);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

static void test_no_change(void **state)
{
    (void)state;
    oc_tree *t1 = make_tree(-1, 1, 0), *t2 = make_tree(-1, 1, 0);
    size_t n_new;
    assert_int_equal(update_and_compare(t1, t2, &n_new), 0);
    assert_int_equal(n_new, 0);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

static void test_new_file(void **state)
{
    (void)state;
    oc_tree *t1 = make_tree(-1, 1, 0), *t2 = make_tree(-1, 1, 1);
    size_t n_new;
    /* The new file gets a new module; its folder's module changes (one
     * more binding); nothing else does. */
    assert_int_equal(update_and_compare(t1, t2, &n_new), 1);
    assert_int_equal(n_new, 1);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

/* --- each kind of edit touches only its modules -------------------------- */

/* What an update changes relative to make_tree(-1, 1, 0) plus an image:
 * -1 / 0 where nothing. */
typedef struct {
    int edit;        /* page edited, same size */
    int grow;        /* page edited, longer */
    int removed;     /* page gone */
    int renamed;     /* page moved to pages/renamed.json */
    int added;       /* pages/zz-new.json added */
    int img;         /* 1: image bytes changed, same size; 2: larger */
} edits;

static oc_tree *tree_with(const edits *e)
{
    oc_tree *t;
    assert_int_equal(oc_tree_create(&t), OC_OK);
    for (int i = 0; i < NPAGES; i++) {
        char path[64], text[2048];
        snprintf(path, sizeof path, "pages/p%02d.json", i);
        if (i == e->removed)
            continue;
        page_text(text, sizeof text, i, i == e->edit || i == e->grow ? 2 : 1);
        if (i == e->grow)
            strcat(text, "   ");
        if (i == e->renamed)
            snprintf(path, sizeof path, "pages/renamed.json");
        assert_int_equal(oc_tree_add_file(t, path, (const uint8_t *)text,
                                          strlen(text)), OC_OK);
    }
    /* The manifest, root menu and added file as make_tree has them. */
    oc_tree *base = make_tree(-1, 1, e->added);
    static const char *const keep[] = { "manifest.json", "menus/root.json",
                                        "pages/zz-new.json" };
    for (size_t k = 0; k < 3; k++) {
        const uint8_t *d;
        size_t len;
        if (oc_tree_lookup(base, keep[k], &d, &len) == 0)
            assert_int_equal(oc_tree_add_file(t, keep[k], d, len), OC_OK);
    }
    oc_tree_destroy(base);
    uint8_t img[3000];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 131u + (e->img ? 7u : 0u));
    assert_int_equal(oc_tree_add_file(t, "images/logo.png", img,
                                      e->img == 2 ? sizeof img
                                                  : sizeof img - 100),
                     OC_OK);
    return t;
}

static uint16_t module_of(const oc_layout *l, const char *path)
{
    for (size_t i = 0; i < l->n_objects; i++)
        if (!strcmp(l->objects[i].path, path))
            return l->objects[i].module;
    fail_msg("%s not in the layout", path);
    return 0;
}

/* Update with e; the modules that changed must be exactly those holding
 * the paths touched (the folders whose bindings changed included), plus
 * n_new new modules. */
static void check_edit(const edits *e, const char *const *touched,
                       size_t n_touched, size_t n_new_want)
{
    edits none = { -1, -1, -1, -1, 0, 0 };
    oc_tree *t1 = tree_with(&none), *t2 = tree_with(e);
    oc_carousel_config cc;
    config(&cc, NULL);
    oc_carousel *c1, *c2;
    assert_int_equal(oc_carousel_create(t1, &cc, &c1), OC_OK);
    oc_layout l1;
    assert_int_equal(oc_carousel_layout(c1, &l1), OC_OK);
    config(&cc, &l1);
    assert_int_equal(oc_carousel_create(t2, &cc, &c2), OC_OK);
    uint16_t want[8];
    for (size_t k = 0; k < n_touched; k++)
        want[k] = module_of(&l1, touched[k]);
    size_t n_new = 0;
    for (size_t j = 0; j < oc_carousel_module_count(c2); j++) {
        oc_module_info m2;
        oc_carousel_module(c2, j, &m2);
        int old = 0;
        for (size_t i = 0; i < l1.n_modules; i++)
            old |= l1.modules[i].id == m2.moduleId;
        if (!old) {
            n_new++;
            continue;
        }
        int expected = 0;
        for (size_t k = 0; k < n_touched; k++)
            expected |= want[k] == m2.moduleId;
        if (expected != (int)m2.changed)
            fail_msg("module %u: changed %d, expected %d", m2.moduleId,
                     (int)m2.changed, expected);
    }
    assert_int_equal(n_new, n_new_want);
    assert_int_equal(oc_carousel_changed(c2), n_touched + n_new_want > 0);
    oc_layout_free(&l1);
    oc_carousel_destroy(c1);
    oc_carousel_destroy(c2);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

static void test_each_edit(void **state)
{
    (void)state;
    const edits nothing = { -1, -1, -1, -1, 0, 0 };
    check_edit(&nothing, NULL, 0, 0);
    edits e = nothing;
    e.edit = 7;                 /* same size: the page's module only */
    check_edit(&e, (const char *const[]){ "pages/p07.json" }, 1, 0);
    e = nothing;
    e.grow = 7;                 /* the folder's binding holds the size */
    check_edit(&e, (const char *const[]){ "pages/p07.json", "pages" }, 2, 0);
    e = nothing;
    e.img = 1;
    check_edit(&e, (const char *const[]){ "images/logo.png" }, 1, 0);
    e = nothing;
    e.img = 2;
    check_edit(&e, (const char *const[]){ "images/logo.png", "images" }, 2,
               0);
    e = nothing;
    e.removed = 20;             /* its module loses it; the folder too */
    check_edit(&e, (const char *const[]){ "pages/p20.json", "pages" }, 2, 0);
    e = nothing;
    e.renamed = 3;              /* gone from its module, new in a new one */
    check_edit(&e, (const char *const[]){ "pages/p03.json", "pages" }, 2, 1);
    e = nothing;
    e.added = 1;
    check_edit(&e, (const char *const[]){ "pages" }, 1, 1);
}

/* --- through the receiver ---------------------------------------------- */

typedef struct {
    unsigned ready;
    unsigned errors;
    uint32_t last;
} events;

static void on_event(void *ud, const dvb_event *ev)
{
    events *e = ud;
    if (ev->type == DVB_EV_STORE_READY) {
        e->ready++;
        e->last = ev->version;
    } else if (ev->type == DVB_EV_STREAM_ERROR) {
        e->errors++;
    }
}

static void test_receiver_follows_update(void **state)
{
    (void)state;
    oc_tree *t1 = make_tree(-1, 1, 0), *t2 = make_tree(5, 3, 0);
    oc_build_config cfg;
    oc_build_config_default(&cfg);
    cfg.module_size = 4096;
    cfg.cycles = 1;
    cfg.first_paths = first;
    cfg.n_first = 2;
    uint8_t *ts1;
    size_t len1;
    oc_build_stats st;
    oc_layout l1;
    assert_int_equal(oc_build_layout(t1, &cfg, NULL, NULL, &st, &l1),
                     OC_EINVAL);           /* no sink */
    assert_int_equal(oc_build_mem(t1, &cfg, &ts1, &len1, &st), OC_OK);
    oc_carousel_config cc = { .carousel_id = cfg.carousel_id,
                              .component_tag = cfg.component_tag,
                              .block_size = cfg.block_size,
                              .module_size = cfg.module_size,
                              .compress = cfg.compress,
                              .module_version = 1,
                              .first_paths = first, .n_first = 2 };
    oc_carousel *c1;
    assert_int_equal(oc_carousel_create(t1, &cc, &c1), OC_OK);
    assert_int_equal(oc_carousel_layout(c1, &l1), OC_OK);
    oc_carousel_destroy(c1);
    cfg.prev = &l1;
    uint8_t *ts2;
    size_t len2;
    assert_int_equal(oc_build_mem(t2, &cfg, &ts2, &len2, &st), OC_OK);
    assert_int_equal(st.carousel.changed_modules, 1);

    events ev = { 0, 0, 0 };
    dvb_receiver_config rc = { .pid = -1, .service_id = -1,
                               .carousel_id = -1, .on_event = on_event,
                               .ud = &ev };
    dvb_receiver *r;
    assert_int_equal(dvb_receiver_create(&rc, &r), DVB_OK);
    assert_int_equal(dvb_receiver_push(r, ts1, len1), DVB_OK);
    assert_int_equal(ev.ready, 1);
    uint32_t v1 = ev.last;
    assert_int_equal(dvb_receiver_push(r, ts2, len2), DVB_OK);
    assert_int_equal(ev.ready, 2);
    assert_int_not_equal(ev.last, v1);
    assert_int_equal(ev.errors, 0);
    dvb_store *s = dvb_receiver_store(r);
    assert_non_null(s);
    const uint8_t *d, *want;
    size_t dl, wl;
    assert_int_equal(dvb_store_lookup(s, "/pages/p05.json", &d, &dl), DVB_OK);
    assert_int_equal(oc_tree_lookup(t2, "pages/p05.json", &want, &wl), 0);
    assert_int_equal(dl, wl);
    assert_memory_equal(d, want, wl);
    dvb_store_release(s);
    dvb_receiver_destroy(r);
    oc_layout_free(&l1);
    free(ts1);
    free(ts2);
    oc_tree_destroy(t1);
    oc_tree_destroy(t2);
}

/* --- the state file ----------------------------------------------------- */

static void sample_state(oc_state *s)
{
    memset(s, 0, sizeof *s);
    oc_build_config_default(&s->cfg);
    s->cfg.pid = 0x0123;
    s->cfg.carousel_id = 0xABCDEF01u;
    s->cfg.compress = OC_COMPRESS_ALL;
    oc_tree *t = make_tree(-1, 1, 1);
    assert_int_equal(oc_tree_add_file(t, "odd name %/x y", (const uint8_t *)"1",
                                      1), OC_OK);
    oc_carousel_config cc;
    config(&cc, NULL);
    oc_carousel *c;
    assert_int_equal(oc_carousel_create(t, &cc, &c), OC_OK);
    assert_int_equal(oc_carousel_layout(c, &s->layout), OC_OK);
    oc_carousel_destroy(c);
    oc_tree_destroy(t);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/civictv-oc-state-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmdir_all(char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 20);
    assert_non_null(b);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void test_state_round_trip(void **state)
{
    (void)state;
    char *d = tmpdir();
    char p[128];
    snprintf(p, sizeof p, "%s/out.ts.state", d);
    oc_state s, r;
    sample_state(&s);
    char why[512];
    assert_int_equal(oc_state_write(&s, p, why, sizeof why), OC_OK);
    assert_int_equal(oc_state_read(p, &r, why, sizeof why), OC_OK);
    assert_int_equal(r.cfg.pid, 0x0123);
    assert_int_equal(r.cfg.carousel_id, 0xABCDEF01u);
    assert_int_equal(r.cfg.compress, OC_COMPRESS_ALL);
    assert_int_equal(r.layout.n_objects, s.layout.n_objects);
    assert_int_equal(r.layout.n_modules, s.layout.n_modules);
    assert_int_equal(r.layout.dii_tid, s.layout.dii_tid);
    assert_int_equal(r.layout.next_key, s.layout.next_key);
    for (size_t i = 0; i < s.layout.n_objects; i++) {
        assert_string_equal(r.layout.objects[i].path, s.layout.objects[i].path);
        assert_int_equal(r.layout.objects[i].key, s.layout.objects[i].key);
        assert_int_equal(r.layout.objects[i].module,
                         s.layout.objects[i].module);
    }
    for (size_t i = 0; i < s.layout.n_modules; i++) {
        assert_int_equal(r.layout.modules[i].hash, s.layout.modules[i].hash);
        assert_int_equal(r.layout.modules[i].version,
                         s.layout.modules[i].version);
    }
    oc_state_free(&r);
    oc_state_free(&s);
    rmdir_all(d);
}

static void test_state_damage(void **state)
{
    (void)state;
    char *d = tmpdir();
    char p[128];
    snprintf(p, sizeof p, "%s/s", d);
    oc_state s, r;
    sample_state(&s);
    char why[512];
    assert_int_equal(oc_state_write(&s, p, why, sizeof why), OC_OK);
    oc_state_free(&s);
    size_t n;
    char *text = slurp(p, &n);
    /* Every truncation fails cleanly, in an exact-size buffer. */
    for (size_t k = 0; k < n; k++) {
        char *c = malloc(k ? k : 1);
        assert_non_null(c);
        memcpy(c, text, k);
        assert_int_equal(oc_state_parse("s", c, k, &r, why, sizeof why),
                         OC_ESTATE);
        assert_non_null(strstr(why, "s: "));
        free(c);
    }
    /* One byte changed: the checksum says so. */
    text[n / 2] ^= 0x01;
    assert_int_equal(oc_state_parse("s", text, n, &r, why, sizeof why),
                     OC_ESTATE);
    assert_non_null(strstr(why, "checksum"));
    /* Not ours at all. */
    assert_int_equal(oc_state_parse("x", "hello\n", 6, &r, why, sizeof why),
                     OC_ESTATE);
    free(text);
    /* A missing file is an I/O error naming it. */
    snprintf(p, sizeof p, "%s/none", d);
    assert_int_equal(oc_state_read(p, &r, why, sizeof why), OC_EIO);
    assert_non_null(strstr(why, "none"));
    rmdir_all(d);
}

static void test_state_full_disk_keeps_old(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    char *d = tmpdir();
    char p[128], tmp[160];
    snprintf(p, sizeof p, "%s/out.ts.state", d);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    oc_state s;
    sample_state(&s);
    char why[512];
    assert_int_equal(oc_state_write(&s, p, why, sizeof why), OC_OK);
    size_t n1;
    char *before = slurp(p, &n1);
    /* The temporary file is on a full disk. */
    assert_int_equal(symlink("/dev/full", tmp), 0);
    s.layout.next_key++;
    assert_int_equal(oc_state_write(&s, p, why, sizeof why), OC_EIO);
    assert_non_null(strstr(why, "previous state"));
    size_t n2;
    char *after = slurp(p, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    free(before);
    free(after);
    oc_state_free(&s);
    rmdir_all(d);
}

/* The program: update with a damaged state is refused, nothing written. */
static void test_cli_update_damaged_state(void **state)
{
    (void)state;
    char *d = tmpdir();
    char cmd[1024];
    const char *b = getenv("CIVICTV_BUILD");
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p c/pages && printf 'x' > c/pages/a && "
             "'%s/%s/civictv-carousel' build --raw c -o v1.ts >/dev/null && "
             "printf 'junk' >> v1.ts.state && "
             "! '%s/%s/civictv-carousel' update v1.ts.state c -o v2.ts "
             "2> err.txt && grep -q 'v1.ts.state: ' err.txt && "
             "grep -q 'nothing written' err.txt && test ! -e v2.ts && "
             "test ! -e v2.ts.state",
             d, getenv("PWD") ? getenv("PWD") : ".", b ? b : "build",
             getenv("PWD") ? getenv("PWD") : ".", b ? b : "build");
    assert_int_equal(system(cmd), 0);
    /* and a good update works, keeping the ids */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s/%s/civictv-carousel' build --raw c -o v1.ts "
             "--pid 0x200 >/dev/null && printf 'y' > c/pages/a && "
             "'%s/%s/civictv-carousel' update v1.ts.state c -o v2.ts "
             ">out.txt && grep -q '^pid 0x0200$' v2.ts.state && "
             "grep -q '1 of' out.txt",
             d, getenv("PWD") ? getenv("PWD") : ".", b ? b : "build",
             getenv("PWD") ? getenv("PWD") : ".", b ? b : "build");
    assert_int_equal(system(cmd), 0);
    rmdir_all(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_page_one_module),
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_new_file),
        cmocka_unit_test(test_each_edit),
        cmocka_unit_test(test_receiver_follows_update),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_damage),
        cmocka_unit_test(test_state_full_disk_keeps_old),
        cmocka_unit_test(test_cli_update_damaged_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
