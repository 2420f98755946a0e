/*
 * The poll() loop of civictv.
 *
 * One thread, one loop, in the order libuv documents for its own: work
 * out how long we may sleep (the next scripted key, the stream's pacing,
 * the window's event pump), poll the remote's descriptor, refresh the
 * cached clock, then do the work that is due: one chunk of the stream
 * (small enough that a key never waits long behind it), a new store, the
 * keys, the script.  Screens are drawn as a result of these, once each.
 *
 * The stream is a file read in chunks of whole packets.  By default it is
 * read as fast as the receiver takes it; --rate paces it to a multiplex's
 * bit rate so the loading screen can be watched, as on air.  A file ends;
 * the air does not: at the end of a file without a complete carousel the
 * app says why and exits non-zero.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "dvb/dvb_source.h"

#include <sys/stat.h>

/* Live input (dvb/dvb_source.h): udp://, rtp:// or a Linux DVB demux
 * device.  A file keeps its own reader below.  One stream per process,
 * so the source lives here rather than in struct app. */
static dvb_source *live_src;

static int live_name(const char *name)
{
    struct stat st;
    return !strncmp(name, "udp://", 6) || !strncmp(name, "rtp://", 6) ||
           (stat(name, &st) == 0 && S_ISCHR(st.st_mode));
}

static dvb_err live_sink(void *ud, const uint8_t *data, size_t len)
{
    return dvb_receiver_push(ud, data, len);
}

static void live_log(void *ud, dvb_log_level level, const char *msg)
{
    (void)level;
    app_log(ud, "%s", msg);
}

/* With --pid a demux gets section filters for DSI/DII and DDB, as a box
 * does; without it, the whole multiplex (the receiver finds its PIDs). */
static int live_open(app *a)
{
    const char *name = a->opt->ts_path;
    dvb_source_config c;
    memset(&c, 0, sizeof c);
    c.sink = live_sink;
    c.sink_ud = a->rx;
    c.log = live_log;
    c.log_ud = a;
    dvb_err e;
    if (strncmp(name, "udp://", 6) && strncmp(name, "rtp://", 6)) {
        dvb_demux_filter f[2] = { { DVB_DEMUX_ALL_PIDS, -1 }, { 0, 0 } };
        size_t n = 1;
        if (a->opt->pid >= 0) {
            f[0].pid = f[1].pid = a->opt->pid;
            f[0].table_id = 0x3B;
            f[1].table_id = 0x3C;
            n = 2;
        }
        e = dvb_source_open_demux(&c, name, f, n, &live_src);
    } else {
        e = dvb_source_open_net(&c, name, &live_src);
    }
    if (e != DVB_OK) {
        app_log(a, "%s: %s", name, dvb_strerror(e));
        return -1;
    }
    return 0;
}

#define CHUNK_BYTES (188u * 348u)     /* about 64 KiB of whole packets */
#define PROGRESS_REDRAW_MS 100u       /* keys and progress within 100 ms */
#define WINDOW_KEY_GAP_MS 700u        /* scripted keys a watcher can follow */
#define MAX_DEPTH 32u                 /* screens deep; menus may loop */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_dvb_log(void *ud, dvb_log_level level, const char *msg)
{
    app *a = ud;
    if (a->opt->verbose && (level <= DVB_LOG_WARN || a->opt->verbose > 1))
        fprintf(stderr, "civictv: dvb: %s\n", msg);
}

/* Called from inside dvb_receiver_push: only note what happened; the
 * loop acts on it once the push has returned. */
static void on_dvb_event(void *ud, const dvb_event *ev)
{
    app *a = ud;
    if (ev->type == DVB_EV_STORE_READY)
        a->store_event = 1;
    else if (ev->type == DVB_EV_STREAM_ERROR && a->opt->verbose && ev->message)
        fprintf(stderr, "civictv: dvb: %s\n", ev->message);
}

/* The content is ready: the script and screenshots start now, on
 * whatever the viewer sees (the TV with its prompt, or the service if
 * Red was pressed while the carousel was still arriving). */
static void begin_script(app *a)
{
    a->scripting = 1;
    a->step_due = a->now + (a->opt->mode == UI_MODE_WINDOW ? WINDOW_KEY_GAP_MS : 0);
    app_screenshot(a, UI_KEY_NONE);
}

/* With --keys-at-once the script has been playing since the first frame
 * (so that it can see the loading screen); the arrival of the content is
 * then a screenshot of its own, DIR/NNN-ready.png. */
static void start(app *a)
{
    if (a->in_service)
        app_render(a);
    a->started = 1;
    if (a->scripting)
        app_screenshot_event(a, "ready");
    else
        begin_script(a);
}

static void take_store(app *a)
{
    a->store_event = 0;
    dvb_store *s = dvb_receiver_store(a->rx);
    if (!s)
        return;
    app_content *c = NULL;
    app_content_err e = app_content_open_store(s, &c);
    unsigned version = (unsigned)dvb_store_version(s);
    dvb_store_release(s);
    if (e != APP_CONTENT_OK) {
        app_log(a, "%s: %s", a->opt->ts_path, app_content_strerror(e));
        return;
    }
    if (a->opt->verbose)
        app_log(a, "%s: carousel complete, DII transaction_id 0x%08x", a->opt->ts_path,
                version);
    /* An update whose manifest is unusable must not take a working
     * service off the screen: keep the old store then.  Otherwise the old
     * store can go, as the screen's document borrows nothing from it (the
     * model copies its strings). */
    app_content *old = a->content;
    int had_manifest = a->have_manifest;
    a->content = c;
    if (app_content_changed(a) != 0 && had_manifest) {
        a->content = old;
        app_content_destroy(c);
        return;
    }
    app_content_destroy(old);
    if (!a->started)
        start(a);
    else {
        app_content_updated(a);
        app_screenshot_event(a, "update");
    }
}

/* Read and push one chunk, within the pacing budget. */
static void pump_stream(app *a)
{
    static_assert(CHUNK_BYTES % 188u == 0, "whole packets");
    if (live_src) {
        dvb_err le = dvb_source_pump(live_src);
        if (le != DVB_OK) {
            app_log(a, "%s: %s", a->opt->ts_path, dvb_strerror(le));
            a->eof = 1;
        }
        return;
    }
    uint8_t buf[CHUNK_BYTES];
    size_t want = sizeof buf;
    if (a->opt->rate_bps) {
        uint64_t allowed = (a->now - a->t_start) * (uint64_t)a->opt->rate_bps / 8000u;
        if (allowed <= a->bytes_in)
            return;
        if (allowed - a->bytes_in < want)
            want = (size_t)(allowed - a->bytes_in);
    }
    ssize_t n = read(a->ts_fd, buf, want);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        if (n < 0)
            app_log(a, "%s: %s", a->opt->ts_path, strerror(errno));
        a->eof = 1;
        return;
    }
    a->bytes_in += (uint64_t)n;
    dvb_err e = dvb_receiver_push(a->rx, buf, (size_t)n);
    if (e != DVB_OK) {
        app_log(a, "%s: %s", a->opt->ts_path, dvb_strerror(e));
        a->eof = 1;
    }
}

static void show_progress(app *a, int force)
{
    if (a->screen != SCREEN_LOADING)
        return;
    dvb_progress p;
    dvb_receiver_progress(a->rx, &p);
    if (!force && a->progress_shown && p.bytes_done == a->progress_bytes &&
        p.modules_done == a->progress_done && p.modules_total == a->progress_total)
        return;
    if (!force && a->now - a->progress_drawn_at < PROGRESS_REDRAW_MS)
        return;
    a->progress_bytes = p.bytes_done;
    a->progress_done = p.modules_done;
    a->progress_total = p.modules_total;
    a->progress_drawn_at = a->now;
    a->progress_shown = 1;
    app_show_loading(a, &p);
}

/* The stream ended before a carousel was complete: say what was missing. */
static void stream_failed(app *a)
{
    dvb_progress p;
    dvb_receiver_progress(a->rx, &p);
    if (p.pid < 0)
        app_log(a, "%s: no object carousel found", a->opt->ts_path);
    else if (p.modules_total == 0)
        app_log(a, "%s: carousel incomplete: no module list (DII) on PID 0x%04x",
                a->opt->ts_path, (unsigned)p.pid);
    else
        app_log(a, "%s: carousel incomplete: %u of %u modules", a->opt->ts_path,
                p.modules_done, p.modules_total);
    a->status = 1;
    a->quit = 1;
}

static void handle_key(app *a, ui_key k)
{
    int was_loading = a->screen == SCREEN_LOADING;
    app_handle_key(a, k);
    if (a->screen == SCREEN_LOADING && !was_loading)
        show_progress(a, 1);
    if (!a->quit && a->scripting)
        app_screenshot(a, k);
}

static void run_script(app *a)
{
    const app_script *s = &a->opt->script;
    while (!a->quit && a->scripting && a->step < s->n && a->now >= a->step_due) {
        const app_script_step *st = &s->steps[a->step++];
        if (st->key == UI_KEY_NONE) {
            a->step_due = a->now + st->wait_ms;
            continue;
        }
        handle_key(a, st->key);
        a->step_due = a->now + (a->opt->mode == UI_MODE_WINDOW ? WINDOW_KEY_GAP_MS : 0);
    }
}

static int reading(const app *a)
{
    return a->rx && !a->eof;
}

/* Played to the end, a final "wait" included (a headless run may wait
 * for something to arrive). */
static int script_done(const app *a)
{
    return a->step >= a->opt->script.n && a->now >= a->step_due;
}

static int next_timeout(app *a)
{
    long t = -1;
    if (a->store_event)
        return 0;
    if (reading(a) && !live_src) {
        if (!a->opt->rate_bps)
            return 0;
        /* Wake when the pacing allows about a chunk's worth. */
        t = (long)(CHUNK_BYTES * 8000ull / a->opt->rate_bps);
        if (t < 1)
            t = 1;
        if (t > 50)
            t = 50;
    }
    if (a->scripting && !script_done(a)) {
        long d = a->step_due > a->now ? (long)(a->step_due - a->now) : 0;
        if (t < 0 || d < t)
            t = d;
    }
    if (a->screen == SCREEN_LOADING && reading(a)) {
        long d = PROGRESS_REDRAW_MS;
        if (t < 0 || d < t)
            t = d;
    }
    long at = app_timers(a);
    if (at >= 0 && (t < 0 || at < t))
        t = at;
    int ut = ui_poll_timeout(a->ui);
    if (ut >= 0 && (t < 0 || ut < t))
        t = ut;
    return (int)t;
}

/* The fonts file (fonts/fonts.conf): "role = path" lines. */
static int read_fonts(const char *path, char *regular, char *bold, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[600];
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = line, *v = eq + 1;
        while (*k == ' ' || *k == '\t')
            k++;
        char *ke = k + strlen(k);
        while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
            *--ke = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\n' || ve[-1] == '\r'))
            *--ve = '\0';
        if (strcmp(k, "regular") == 0)
            snprintf(regular, len, "%s", v);
        else if (strcmp(k, "bold") == 0)
            snprintf(bold, len, "%s", v);
    }
    fclose(f);
    return 0;
}

/* --check-fit: a content author previewing with --content sees at once
 * which text is too long for the screen, and where. */
static void on_overflow(void *ud, const char *what, int len, int x, int y, int w, int h)
{
    app *a = ud;
    const app_nav_frame *f = app_nav_top(a->nav);
    app_log(a, "text does not fit: %s: \"%.*s\" at (%d,%d) %dx%d",
            f ? f->path : a->in_service ? "service" : "tv", len > 100 ? 100 : len, what,
            x, y, w, h);
}

static void ui_log(void *ud, const char *msg)
{
    app_log(ud, "%s", msg);
}

/* Read a whole small file (a key map, a picture). */
static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        errno = n > max ? EFBIG : EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

/* The remembered settings, the key map and the TV still: all before the
 * screen starts, so that a bad file is reported on the terminal. */
static int load_local_files(app *a)
{
    const app_options *o = a->opt;
    app_settings_default(&a->settings);
    if (o->settings_path)
        snprintf(a->settings_path, sizeof a->settings_path, "%s", o->settings_path);
    else if (app_settings_default_path(a->settings_path, sizeof a->settings_path) != 0)
        a->settings_path[0] = '\0';
    char warn[200];
    if (a->settings_path[0] &&
        app_settings_load(&a->settings, a->settings_path, warn, sizeof warn) != 0)
        app_log(a, "%s: %s (using the defaults)", a->settings_path, strerror(errno));
    else if (a->settings_path[0] && warn[0])
        app_log(a, "%s: %s (skipped)", a->settings_path, warn);

    ui_keymap_default(&a->keymap);
    if (o->keymap_path) {
        size_t len;
        uint8_t *text = slurp(o->keymap_path, 64 * 1024, &len);
        char msg[200];
        if (!text) {
            app_log(a, "%s: %s", o->keymap_path, strerror(errno));
            return -1;
        }
        ui_err e = ui_keymap_parse(&a->keymap, (const char *)text, len, msg, sizeof msg);
        free(text);
        if (e != UI_OK) {
            app_log(a, "%s: %s", o->keymap_path, msg);
            return -1;
        }
    }
    if (o->tv_picture) {
        size_t len;
        uint8_t *png = slurp(o->tv_picture, 8u << 20, &len);
        ui_err e = png ? ui_image_load_png(png, len, &a->tv_picture) : UI_EIO;
        free(png);
        if (e != UI_OK) {
            app_log(a, "%s: %s", o->tv_picture, png ? ui_strerror(e) : strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int open_source(app *a)
{
    const app_options *o = a->opt;
    if (o->content_dir) {
        app_content_err e = app_content_open_dir(o->content_dir, &a->content);
        if (e != APP_CONTENT_OK) {
            app_log(a, "%s: %s", o->content_dir, app_content_strerror(e));
            return -1;
        }
        return 0;
    }
    int live = live_name(o->ts_path);
    if (!live)
        a->ts_fd = open(o->ts_path, O_RDONLY | O_CLOEXEC);
    if (!live && a->ts_fd < 0) {
        app_log(a, "%s: %s", o->ts_path, strerror(errno));
        return -1;
    }
    dvb_receiver_config rc;
    memset(&rc, 0, sizeof rc);
    rc.pid = o->pid;
    rc.service_id = o->service_id;
    rc.carousel_id = -1;
    rc.log = on_dvb_log;
    rc.on_event = on_dvb_event;
    rc.ud = a;
    dvb_err e = dvb_receiver_create(&rc, &a->rx);
    if (e != DVB_OK) {
        app_log(a, "%s: %s", o->ts_path, dvb_strerror(e));
        return -1;
    }
    return live ? live_open(a) : 0;
}

int app_run(const app_options *opt)
{
    app a;
    memset(&a, 0, sizeof a);
    a.opt = opt;
    a.ts_fd = -1;
    a.council = -1;
    if (load_local_files(&a) != 0) {
        a.status = 1;
        goto out;
    }

    /* The source first: a missing file is reported before any graphics
     * start. */
    if (open_source(&a) != 0) {
        a.status = 1;
        goto out;
    }
    if (app_nav_create(MAX_DEPTH, &a.nav) != APP_NAV_OK) {
        app_log(&a, "out of memory");
        a.status = 1;
        goto out;
    }

    char regular[512] = "", bold[512] = "";
    if (opt->fonts_conf && read_fonts(opt->fonts_conf, regular, bold, sizeof regular) != 0) {
        app_log(&a, "%s: %s", opt->fonts_conf, strerror(errno));
        a.status = 1;
        goto out;
    }
    ui_config uc;
    memset(&uc, 0, sizeof uc);
    uc.mode = opt->mode;
    uc.scale = opt->scale;
    uc.font_regular = regular[0] ? regular : NULL;
    uc.font_bold = bold[0] ? bold : NULL;
    uc.argc = opt->argc;
    uc.argv = opt->argv;
    uc.log = ui_log;
    uc.log_ud = &a;
    uc.keymap = &a.keymap;
    ui_err ue = ui_create(&uc, &a.ui);
    if (ue != UI_OK) {
        app_log(&a, "cannot start the screen: %s%s", ui_strerror(ue),
                opt->mode == UI_MODE_BOX ? " (on a desktop, try --window or --headless)" : "");
        a.status = 1;
        goto out;
    }

    if (opt->check_fit)
        ui_set_overflow_check(a.ui, on_overflow, &a);
    a.now = now_ms();
    a.t_start = a.now;
    a.last_key = a.now;
    app_apply_settings(&a);
    /* Television first, with the prompt, whatever the carousel is doing. */
    app_show_tv(&a, 1);
    if (opt->keys_at_once)
        begin_script(&a);
    if (a.content) {
        app_content_changed(&a);
        start(&a);
    }

    while (!a.quit) {
        /* A headless run ends when the script has been played and the
         * content has arrived (a script played at once may be over
         * while the carousel is still coming), and a file has been read
         * to its end: whatever it holds (version 2 after version 1) is
         * seen, however slowly a loaded machine reads it.  The air never
         * ends, so a live stream does not wait. */
        if (opt->mode == UI_MODE_HEADLESS && a.started && script_done(&a) &&
            (!a.rx || live_src || a.eof))
            break;
        struct pollfd pfd[2];
        nfds_t nfds = 0;
        if (dvb_source_fd(live_src) >= 0 && reading(&a)) {
            pfd[nfds].fd = dvb_source_fd(live_src);
            pfd[nfds].events = POLLIN;
            pfd[nfds].revents = 0;
            nfds++;
        }
        int fd = ui_input_fd(a.ui);
        if (fd >= 0) {
            pfd[nfds].fd = fd;
            pfd[nfds].events = POLLIN;
            pfd[nfds].revents = 0;
            nfds++;
        }
        int timeout = next_timeout(&a);
        if (nfds == 0 && timeout < 0) {
            /* Nothing can ever wake us: a box without a remote that has
             * shown its last screen.  Stay on it. */
            pause();
            continue;
        }
        if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
            app_log(&a, "poll: %s", strerror(errno));
            a.status = 1;
            break;
        }
        a.now = now_ms();
        /* Timers that fell due while we slept go first: a loaded machine
         * may wake us late, and a scripted key that came due after the
         * idle timeout or the prompt's end must find them done. */
        app_timers(&a);

        if (reading(&a))
            pump_stream(&a);
        if (a.store_event)
            take_store(&a);
        if (a.rx && a.eof && !a.started) {
            stream_failed(&a);
            break;
        }
        if (!a.started && a.rx)
            show_progress(&a, 0);

        for (;;) {
            int closed = 0;
            ui_key k = ui_next_key(a.ui, &closed);
            if (closed)
                a.quit = 1;
            if (k == UI_KEY_NONE || a.quit)
                break;
            handle_key(&a, k);
        }
        run_script(&a);
    }

out:
    app_free_screen(&a);
    if (a.have_manifest)
        cm_manifest_free(&a.manifest);
    if (a.have_regions)
        cm_regions_free(&a.regions);
    app_search_destroy(a.search);
    ui_image_free(&a.tv_picture);
    ui_destroy(a.ui);
    app_nav_destroy(a.nav);
    app_content_destroy(a.content);
    dvb_source_destroy(live_src);
    live_src = NULL;
    dvb_receiver_destroy(a.rx);
    if (a.ts_fd >= 0)
        close(a.ts_fd);
    return a.status;
}
