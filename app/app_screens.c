/*
 * The screens of civictv and what the remote keys do on them.
 *
 * Every screen is drawn from the navigation stack and the content, never
 * from remembered drawing state, so a content update (a new store) or a
 * language change is one app_render() away.
 *
 * Keys:
 *   Up/Down       move the focus in a menu (wrapping); turn pages on a page
 *   Left/Right    turn pages
 *   0-9           choose a menu item by its number (app_nav.h)
 *   OK            open the focused item
 *   Back          the previous screen; at the first screen, back to TV
 *   Exit          back to TV (the application ends)
 *   red           the main menu
 *   green         English / Cymraeg, when the content has Welsh
 *
 * Bad content never ends the application: a menu or page that cannot be
 * read is replaced by a message on screen (with the file and field, so a
 * tester can report it) and a line on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app_internal.h"

/* ---- the application's own words, in both languages ---- */

typedef enum {
    S_MAIN_MENU,
    S_OTHER_LANGUAGE,
    S_BACK,
    S_TV,
    S_PAGES,
    S_PAGE_FMT,
    S_POSITION_FMT,
    S_UNAVAILABLE_TITLE,
    S_UNAVAILABLE_TEXT,
    S_NO_SERVICE_TITLE,
    S_NO_SERVICE_TEXT,
    S_COUNT
} app_string;

static const char *const strings[2][S_COUNT] = {
    [CM_LANG_EN] = {
        [S_MAIN_MENU] = "Main menu",
        [S_OTHER_LANGUAGE] = "Cymraeg",
        [S_BACK] = "Back",
        [S_TV] = "TV",
        [S_PAGES] = "Pages",
        [S_PAGE_FMT] = "Page %zu of %zu",
        [S_POSITION_FMT] = "%zu of %zu",
        [S_UNAVAILABLE_TITLE] = "Not available",
        [S_UNAVAILABLE_TEXT] = "Sorry, this part of the service cannot be shown "
                               "at the moment. Press BACK to return.",
        [S_NO_SERVICE_TITLE] = "Service unavailable",
        [S_NO_SERVICE_TEXT] = "Sorry, this service cannot be shown at the moment. "
                              "Please try again later.",
    },
    [CM_LANG_CY] = {
        [S_MAIN_MENU] = "Dewislen",
        [S_OTHER_LANGUAGE] = "English",
        [S_BACK] = "Yn \xC3\xB4l",
        [S_TV] = "Teledu",
        [S_PAGES] = "Tudalennau",
        [S_PAGE_FMT] = "Tudalen %zu o %zu",
        [S_POSITION_FMT] = "%zu o %zu",
        [S_UNAVAILABLE_TITLE] = "Ddim ar gael",
        [S_UNAVAILABLE_TEXT] = "Mae'n ddrwg gennym, ni ellir dangos y rhan hon o'r "
                               "gwasanaeth ar hyn o bryd. Pwyswch BACK i fynd yn \xC3\xB4l.",
        [S_NO_SERVICE_TITLE] = "Gwasanaeth ddim ar gael",
        [S_NO_SERVICE_TEXT] = "Mae'n ddrwg gennym, ni ellir dangos y gwasanaeth hwn "
                              "ar hyn o bryd. Rhowch gynnig arall arni yn nes ymlaen.",
    },
};

static const char *str(const app *a, app_string s)
{
    return strings[a->lang == CM_LANG_CY ? CM_LANG_CY : CM_LANG_EN][s];
}

void app_log(const app *a, const char *fmt, ...)
{
    (void)a;
    va_list ap;
    va_start(ap, fmt);
    fputs("civictv: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A content problem, named by where the content came from and then the
 * model's "file: field: what" so a tester can find it. */
static void log_content(const app *a, const char *msg)
{
    const char *src = a->opt->content_dir ? a->opt->content_dir : a->opt->ts_path;
    app_log(a, "%s: %s", src ? src : "content", msg);
}

/* ---- loading content ---- */

/* Fetch and decode a menu or page; on failure diag says which file and
 * field, in the model's words ("menus/x.json: items[2].label: ..."). */
static cm_err load_doc(app *a, const char *path, cm_doc *doc, cm_diag *diag)
{
    const uint8_t *data;
    size_t len;
    memset(doc, 0, sizeof *doc);
    app_content_err ce = app_content_get(a->content, path, &data, &len);
    if (ce != APP_CONTENT_OK) {
        snprintf(diag->msg, sizeof diag->msg, "%s: %s", path, app_content_strerror(ce));
        return ce == APP_CONTENT_ENOMEM ? CM_ENOMEM
             : ce == APP_CONTENT_ELIMIT ? CM_ELIMIT : CM_ENOENT;
    }
    return cm_doc_parse(data, len, path, doc, diag);
}

void app_free_screen(app *a)
{
    if (a->have_doc)
        cm_doc_free(&a->doc);
    a->have_doc = 0;
    a->screen = SCREEN_NONE;
}

int app_content_changed(app *a)
{
    const uint8_t *data;
    size_t len;
    cm_manifest m;
    cm_diag diag;
    memset(&m, 0, sizeof m);
    diag.msg[0] = '\0';

    app_content_err ce = app_content_get(a->content, CM_MANIFEST_PATH, &data, &len);
    cm_err e = CM_ENOENT;
    if (ce == APP_CONTENT_OK)
        e = cm_manifest_parse(data, len, CM_MANIFEST_PATH, &m, &diag);
    else
        snprintf(diag.msg, sizeof diag.msg, "%s: %s", CM_MANIFEST_PATH,
                 app_content_strerror(ce));
    if (e != CM_OK) {
        /* Keep showing the last good content if there was some: a bad
         * update must not take a working service off the screen. */
        log_content(a, diag.msg[0] ? diag.msg : cm_strerror(e));
        if (!a->have_manifest) {
            snprintf(a->manifest_problem, sizeof a->manifest_problem, "%s",
                     diag.msg[0] ? diag.msg : cm_strerror(e));
            a->status = 1;
        }
        return -1;
    }
    int same_root = a->have_manifest && strcmp(a->manifest.root, m.root) == 0;
    if (a->have_manifest)
        cm_manifest_free(&a->manifest);
    a->manifest = m;
    a->have_manifest = 1;
    a->manifest_problem[0] = '\0';
    if (!(a->manifest.languages & (1u << CM_LANG_CY)))
        a->lang = CM_LANG_EN;
    if (!same_root) {
        app_nav_clear(a->nav);
        app_nav_err ne = app_nav_push(a->nav, a->manifest.root);
        if (ne != APP_NAV_OK) {
            app_log(a, "%s: root: %s", CM_MANIFEST_PATH, app_nav_strerror(ne));
            a->have_manifest = 0;
            cm_manifest_free(&a->manifest);
            snprintf(a->manifest_problem, sizeof a->manifest_problem,
                     "%s: root: %s", CM_MANIFEST_PATH, app_nav_strerror(ne));
            a->status = 1;
            return -1;
        }
    }
    return 0;
}

/* ---- key bars ---- */

static void hint(ui_keybar *kb, ui_key k, const char *label)
{
    if (kb->n < UI_MAX_KEYHINTS) {
        kb->hints[kb->n].key = k;
        kb->hints[kb->n].label = label;
        kb->n++;
    }
}

static void common_keys(const app *a, ui_keybar *kb, int pages)
{
    memset(kb, 0, sizeof *kb);
    int at_root = app_nav_depth(a->nav) <= 1;
    if (!at_root)
        hint(kb, UI_KEY_RED, str(a, S_MAIN_MENU));
    if (a->have_manifest && (a->manifest.languages & (1u << CM_LANG_CY)))
        hint(kb, UI_KEY_GREEN, str(a, S_OTHER_LANGUAGE));
    if (pages) {
        hint(kb, UI_KEY_LEFT, NULL);
        hint(kb, UI_KEY_RIGHT, str(a, S_PAGES));
    }
    if (!at_root)
        hint(kb, UI_KEY_BACK, str(a, S_BACK));
    hint(kb, UI_KEY_EXIT, str(a, S_TV));
}

/* ---- drawing ---- */

/* "Public services > Council Tax": the titles of the screens below the
 * top one.  Their documents are read again; they are small, and the
 * titles then follow the language and any content update. */
static void breadcrumb(app *a, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t depth = app_nav_depth(a->nav);
    size_t used = 0;
    for (size_t i = 0; i + 1 < depth; i++) {
        cm_doc d;
        cm_diag diag;
        const app_nav_frame *f = app_nav_frame_at(a->nav, i);
        const char *title = "\xE2\x80\xA6"; /* an unreadable ancestor */
        int ok = load_doc(a, f->path, &d, &diag) == CM_OK;
        if (ok)
            title = cm_text_get(&d.title, a->lang);
        int n = snprintf(out + used, outlen - used, "%s%s", used ? " > " : "", title);
        if (ok)
            cm_doc_free(&d);
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}

static void show_message(app *a, const char *title, const char *text, const char *detail)
{
    ui_message_view v;
    memset(&v, 0, sizeof v);
    v.title = title;
    v.text = text;
    v.detail = detail;
    common_keys(a, &v.keys, 0);
    ui_show_message(a->ui, &v);
    a->screen = SCREEN_MESSAGE;
}

static void render_menu(app *a, const char *crumb)
{
    size_t n = a->doc.n_items;
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    if (!labels) {
        show_message(a, str(a, S_UNAVAILABLE_TITLE), str(a, S_UNAVAILABLE_TEXT),
                     "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = cm_text_get(&a->doc.items[i].label, a->lang);
    size_t rows = ui_menu_rows(a->ui);
    app_nav_clamp(a->nav, n, rows);
    const app_nav_frame *f = app_nav_top(a->nav);
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = cm_text_get(&a->doc.title, a->lang);
    v.breadcrumb = crumb;
    v.items = labels;
    v.n_items = n;
    v.focus = f->focus;
    v.top = f->top;
    v.position_fmt = str(a, S_POSITION_FMT);
    common_keys(a, &v.keys, 0);
    ui_err e = ui_show_menu(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the menu: %s", ui_strerror(e));
    free(labels);
    a->screen = SCREEN_MENU;
}

static void render_page(app *a, const char *crumb)
{
    const char *body = cm_text_get(&a->doc.body, a->lang);
    a->n_pages = ui_page_count(a->ui, body);
    app_nav_frame *f = app_nav_top(a->nav);
    if (f->page >= a->n_pages)
        f->page = a->n_pages - 1;
    ui_page_view v;
    memset(&v, 0, sizeof v);
    v.title = cm_text_get(&a->doc.title, a->lang);
    v.breadcrumb = crumb;
    v.body = body;
    v.page = f->page;
    v.page_fmt = str(a, S_PAGE_FMT);
    common_keys(a, &v.keys, a->n_pages > 1);
    ui_err e = ui_show_page(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the page: %s", ui_strerror(e));
    a->screen = SCREEN_PAGE;
}

void app_render(app *a)
{
    app_free_screen(a);
    if (!a->have_manifest) {
        show_message(a, str(a, S_NO_SERVICE_TITLE), str(a, S_NO_SERVICE_TEXT),
                     a->manifest_problem);
        return;
    }
    const app_nav_frame *f = app_nav_top(a->nav);
    if (!f)
        return;
    cm_diag diag;
    diag.msg[0] = '\0';
    cm_err e = load_doc(a, f->path, &a->doc, &diag);
    if (e != CM_OK) {
        log_content(a, diag.msg[0] ? diag.msg : cm_strerror(e));
        show_message(a, str(a, S_UNAVAILABLE_TITLE), str(a, S_UNAVAILABLE_TEXT),
                     diag.msg[0] ? diag.msg : cm_strerror(e));
        return;
    }
    a->have_doc = 1;
    char crumb[400];
    breadcrumb(a, crumb, sizeof crumb);
    if (a->doc.type == CM_DOC_MENU)
        render_menu(a, crumb[0] ? crumb : NULL);
    else
        render_page(a, crumb[0] ? crumb : NULL);
}

void app_show_loading(app *a, const dvb_progress *p)
{
    /* Before the manifest there is no language choice: English. */
    char detail[64] = "";
    if (p && p->modules_total)
        snprintf(detail, sizeof detail, "%u of %u %s received", p->modules_done,
                 p->modules_total, p->modules_total == 1 ? "part" : "parts");
    ui_loading_view v;
    memset(&v, 0, sizeof v);
    v.title = "Please wait";
    v.status = "Receiving the service";
    v.detail = detail;
    /* The bar follows bytes, which move even while a single large
     * module is arriving; kilobytes keep the counts in unsigned. */
    if (p && p->bytes_total) {
        v.done = (unsigned)(p->bytes_done / 1024u);
        v.total = (unsigned)((p->bytes_total + 1023u) / 1024u);
    } else if (p) {
        v.done = p->modules_done;
        v.total = p->modules_total;
    }
    v.keys.hints[0].key = UI_KEY_EXIT;
    v.keys.hints[0].label = "TV";
    v.keys.n = 1;
    ui_err e = ui_show_loading(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the loading screen: %s", ui_strerror(e));
}

/* ---- keys ---- */

static void open_focused(app *a)
{
    const app_nav_frame *f = app_nav_top(a->nav);
    if (!a->have_doc || a->doc.type != CM_DOC_MENU || f->focus >= a->doc.n_items)
        return;
    app_nav_err e = app_nav_push(a->nav, a->doc.items[f->focus].target);
    if (e != APP_NAV_OK) {
        app_log(a, "%s: items[%zu].target: %s", f->path, f->focus, app_nav_strerror(e));
        return;
    }
    app_render(a);
}

void app_handle_key(app *a, ui_key k)
{
    switch (k) {
    case UI_KEY_EXIT:
        a->quit = 1;
        return;
    case UI_KEY_BACK:
        /* At the first screen Back leaves the service, back to TV. */
        if (app_nav_pop(a->nav) != APP_NAV_OK)
            a->quit = 1;
        else
            app_render(a);
        return;
    case UI_KEY_RED:
        if (app_nav_depth(a->nav) > 1) {
            app_nav_home(a->nav);
            app_render(a);
        }
        return;
    case UI_KEY_GREEN:
        if (a->have_manifest && (a->manifest.languages & (1u << CM_LANG_CY))) {
            a->lang = a->lang == CM_LANG_CY ? CM_LANG_EN : CM_LANG_CY;
            app_render(a);
        }
        return;
    default:
        break;
    }

    if (a->screen == SCREEN_MENU) {
        size_t n = a->doc.n_items, rows = ui_menu_rows(a->ui);
        int d = ui_key_digit(k);
        int moved = 0;
        if (k == UI_KEY_UP)
            moved = app_nav_move(a->nav, -1, n, rows);
        else if (k == UI_KEY_DOWN)
            moved = app_nav_move(a->nav, 1, n, rows);
        else if (d >= 0)
            moved = app_nav_digit(a->nav, d, n, rows, a->now);
        else if (k == UI_KEY_OK)
            open_focused(a);
        if (moved)
            app_render(a);
    } else if (a->screen == SCREEN_PAGE) {
        int delta = (k == UI_KEY_UP || k == UI_KEY_LEFT) ? -1
                  : (k == UI_KEY_DOWN || k == UI_KEY_RIGHT) ? 1 : 0;
        if (delta && app_nav_page(a->nav, delta, a->n_pages))
            app_render(a);
    }
}

/* ---- screenshots ---- */

static int mkdir_p(const char *dir)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

void app_screenshot(app *a, ui_key k)
{
    const char *dir = a->opt->screenshots;
    if (!dir)
        return;
    if (a->shot_no == 0 && k == UI_KEY_NONE && mkdir_p(dir) != 0) {
        app_log(a, "%s: %s", dir, strerror(errno));
        return;
    }
    char path[1100];
    if (k == UI_KEY_NONE)
        snprintf(path, sizeof path, "%s/000-start.png", dir);
    else
        snprintf(path, sizeof path, "%s/%03u-%s.png", dir, ++a->shot_no, ui_key_name(k));
    ui_err e = ui_screenshot_png(a->ui, path);
    if (e != UI_OK)
        app_log(a, "%s: %s", path, ui_strerror(e));
}
