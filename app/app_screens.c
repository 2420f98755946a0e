/*
 * The screens of civictv and what the remote keys do on them.
 *
 * Every screen is drawn from the navigation stack, the settings and the
 * content, never from remembered drawing state, so a content update (a
 * new store), a language or text-size change is one app_render() away.
 *
 * Keys (the key bar at the foot of each screen says which apply):
 *   Red           on TV: open the service; in the service: the main menu
 *   Yellow        the A-Z and search (in text entry: a space)
 *   Blue          settings (in text entry: done)
 *   Green         in text entry: delete
 *   Up/Down       move the focus in a list (wrapping); turn pages on a page
 *   Left/Right    turn pages; in the A-Z, the previous or next letter;
 *                 in settings, change the focused value
 *   0-9           choose a menu item or a page's link by its number; in
 *                 text entry, letters by multi-tap
 *   OK            open the focused item; in text entry, type the focused
 *                 key of the on-screen keyboard
 *   Back          the previous screen; at the first screen, back to TV
 *   Exit          back to TV from anywhere
 *   Info          the remote-control keys and their desktop equivalents
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
#include "app/app_strings.h"

#define PROMPT_MS 6000u        /* the "Press red" prompt, then just TV */
#define NOTICE_MS 6000u        /* an update notice */

static const char *str(const app *a, app_string s)
{
    return app_str(a->settings.lang, s);
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
    if (!a->content) {
        snprintf(diag->msg, sizeof diag->msg, "%s: no content yet", path);
        return CM_ENOENT;
    }
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
    ui_image_free(&a->image);
    a->screen = SCREEN_NONE;
}

/* The viewer's council from the remembered postcode, or -1. */
static void find_council(app *a)
{
    a->council = -1;
    if (a->have_regions && a->settings.postcode[0])
        a->council = cm_regions_lookup(&a->regions, a->settings.postcode);
}

/* Read the regions file and build the search index for the content now
 * in a->content. */
static void load_extras(app *a)
{
    if (a->have_regions)
        cm_regions_free(&a->regions);
    a->have_regions = 0;
    if (a->manifest.regions) {
        const uint8_t *data;
        size_t len;
        cm_diag diag;
        diag.msg[0] = '\0';
        app_content_err ce = app_content_get(a->content, a->manifest.regions, &data, &len);
        if (ce != APP_CONTENT_OK)
            app_log(a, "%s: %s", a->manifest.regions, app_content_strerror(ce));
        else if (cm_regions_parse(data, len, a->manifest.regions, &a->regions, &diag) != CM_OK)
            log_content(a, diag.msg);
        else
            a->have_regions = 1;
    }
    find_council(a);
    app_search_destroy(a->search);
    a->search = app_search_build(a->content, &a->manifest,
                                 a->have_regions ? &a->regions : NULL);
    if (!a->search)
        app_log(a, "search: out of memory");
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
    if (!same_root && app_nav_depth(a->nav) > 0) {
        app_nav_clear(a->nav);
        app_nav_push(a->nav, a->manifest.root);
    }
    load_extras(a);
    return 0;
}

static cm_lang shown_lang(const app *a)
{
    if (a->have_manifest && !(a->manifest.languages & (1u << CM_LANG_CY)))
        return CM_LANG_EN;
    return a->settings.lang;
}

void app_apply_settings(app *a)
{
    ui_set_style(a->ui, a->settings.large_text, a->settings.high_contrast);
}

static void save_settings(app *a)
{
    if (!a->settings_path[0])
        return;
    if (app_settings_save(&a->settings, a->settings_path) != 0)
        app_log(a, "%s: %s", a->settings_path, strerror(errno));
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

/* Red home (below the root), yellow search, blue settings (unless that
 * is where the viewer is), then Exit.  Back always goes back, so it
 * needs no room in the bar; the colour keys' labels need it more (Welsh
 * labels are longer). */
static void service_keys(const app *a, ui_keybar *kb, int pages)
{
    memset(kb, 0, sizeof *kb);
    const app_nav_frame *f = app_nav_top(a->nav);
    const char *here = f ? f->path : "";
    if (app_nav_depth(a->nav) > 1)
        hint(kb, UI_KEY_RED, str(a, S_MAIN_MENU));
    /* Pages keep the bar for turning pages and links: search and settings
     * are a Back or a Red away. */
    if (pages < 0) {
        hint(kb, UI_KEY_EXIT, str(a, S_TV));
        return;
    }
    if (a->have_manifest && strcmp(here, APP_AZ) != 0)
        hint(kb, UI_KEY_YELLOW, str(a, S_SEARCH));
    if (strcmp(here, APP_SETTINGS) != 0)
        hint(kb, UI_KEY_BLUE, str(a, S_SETTINGS));
    if (pages) {
        hint(kb, UI_KEY_LEFT, NULL);
        hint(kb, UI_KEY_RIGHT, str(a, S_PAGES));
    }
    hint(kb, UI_KEY_EXIT, str(a, S_TV));
}

/* A page: red home, the links' digits, the arrows when there are more
 * screens, Exit. */
static void page_keys(const app *a, ui_keybar *kb, int pages, int links)
{
    service_keys(a, kb, -1);
    ui_keyhint exit_hint = kb->hints[--kb->n];
    if (links)
        hint(kb, UI_KEY_1, str(a, S_LINKS));
    if (pages) {
        hint(kb, UI_KEY_LEFT, NULL);
        hint(kb, UI_KEY_RIGHT, str(a, S_PAGES));
    }
    kb->hints[kb->n++] = exit_hint;
}

/* ---- drawing ---- */

/* The title of a frame, for breadcrumbs. */
static void frame_title(app *a, const char *path, char *out, size_t n)
{
    static const struct { const char *path; app_string s; } own[] = {
        { APP_AZ, S_AZ_TITLE }, { APP_SETTINGS, S_SETTINGS },
        { APP_POSTCODE, S_POSTCODE_TITLE }, { APP_WORDS, S_WORDS_TITLE },
        { APP_RESULTS, S_RESULTS_TITLE }, { APP_KEYS, S_KEYS_TITLE },
    };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(path, own[i].path) == 0) {
            snprintf(out, n, "%s", str(a, own[i].s));
            return;
        }
    cm_doc d;
    cm_diag diag;
    if (load_doc(a, path, &d, &diag) == CM_OK) {
        snprintf(out, n, "%s", cm_text_get(&d.title, shown_lang(a)));
        cm_doc_free(&d);
    } else {
        snprintf(out, n, "\xE2\x80\xA6"); /* an unreadable ancestor */
    }
}

/* "Public services > Council Tax": the titles of the screens below the
 * top one.  Their documents are read again; they are small, and the
 * titles then follow the language and any content update. */
static void breadcrumb(app *a, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t depth = app_nav_depth(a->nav);
    size_t used = 0;
    for (size_t i = 0; i + 1 < depth; i++) {
        char title[200];
        frame_title(a, app_nav_frame_at(a->nav, i)->path, title, sizeof title);
        int n = snprintf(out + used, outlen - used, "%s%s", used ? " > " : "", title);
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
    service_keys(a, &v.keys, 0);
    ui_show_message(a->ui, &v);
    a->screen = SCREEN_MESSAGE;
}

/* The council whose menu this is, or -1. */
static int council_of(const app *a, const char *path)
{
    for (size_t i = 0; a->have_regions && i < a->regions.n_councils; i++)
        if (strcmp(a->regions.councils[i].menu, path) == 0)
            return (int)i;
    return -1;
}

static size_t rows_for(app *a, int footer)
{
    return footer ? ui_menu_rows_footer(a->ui) : ui_menu_rows(a->ui);
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
    cm_lang lang = shown_lang(a);
    for (size_t i = 0; i < n; i++)
        labels[i] = cm_text_get(&a->doc.items[i].label, lang);
    const app_nav_frame *f = app_nav_top(a->nav);
    /* A council's menu shows its contact details under the list. */
    char footer[200] = "";
    int c = council_of(a, f->path);
    if (c >= 0) {
        const cm_council *cc = &a->regions.councils[c];
        if (cc->phone && cc->web)
            snprintf(footer, sizeof footer, "%s %s  \xC2\xB7  %s", str(a, S_PHONE),
                     cc->phone, cc->web);
        else if (cc->phone || cc->web)
            snprintf(footer, sizeof footer, "%s%s%s", cc->phone ? str(a, S_PHONE) : "",
                     cc->phone ? " " : "", cc->phone ? cc->phone : cc->web);
    }
    size_t rows = rows_for(a, footer[0] != 0);
    app_nav_clamp(a->nav, n, rows);
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = cm_text_get(&a->doc.title, lang);
    v.breadcrumb = crumb;
    v.items = labels;
    v.n_items = n;
    v.focus = f->focus;
    v.top = f->top;
    v.position_fmt = str(a, S_POSITION_FMT);
    v.footer = footer[0] ? footer : NULL;
    service_keys(a, &v.keys, 0);
    ui_err e = ui_show_menu(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the menu: %s", ui_strerror(e));
    free(labels);
    a->screen = SCREEN_MENU;
}

static void render_page(app *a, const char *crumb)
{
    cm_lang lang = shown_lang(a);
    const char *links[CM_MAX_LINKS];
    for (size_t i = 0; i < a->doc.n_links && i < CM_MAX_LINKS; i++)
        links[i] = cm_text_get(&a->doc.links[i].label, lang);
    ui_page_view v;
    memset(&v, 0, sizeof v);
    if (a->doc.image.src) {
        const uint8_t *data;
        size_t len;
        ui_err ie = UI_EINVAL;
        if (app_content_get(a->content, a->doc.image.src, &data, &len) == APP_CONTENT_OK)
            ie = ui_image_load_png(data, len, &a->image);
        if (ie != UI_OK)
            log_content(a, a->doc.image.src);
        else {
            v.image = &a->image;
            v.image_alt = cm_text_get(&a->doc.image.alt, lang);
        }
    }
    v.title = cm_text_get(&a->doc.title, lang);
    v.breadcrumb = crumb;
    v.body = cm_text_get(&a->doc.body, lang);
    v.links = links;
    v.n_links = a->doc.n_links;
    a->n_pages = ui_page_view_count(a->ui, &v);
    app_nav_frame *f = app_nav_top(a->nav);
    if (f->page >= a->n_pages)
        f->page = a->n_pages - 1;
    v.page = f->page;
    v.page_fmt = str(a, S_PAGE_FMT);
    page_keys(a, &v.keys, a->n_pages > 1, a->doc.n_links > 0);
    ui_err e = ui_show_page(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the page: %s", ui_strerror(e));
    a->screen = SCREEN_PAGE;
}

/* The A-Z (all pages by title) or the search results, as a list. */
static void render_list(app *a, const char *crumb, int results)
{
    cm_lang lang = shown_lang(a);
    if (results)
        a->n_list = app_search_find(a->search, lang, a->query, a->list, APP_MAX_LIST);
    else
        a->n_list = app_search_az(a->search, lang, a->list, APP_MAX_LIST);
    const char *labels[APP_MAX_LIST];
    for (size_t i = 0; i < a->n_list; i++)
        labels[i] = app_search_title(a->search, a->list[i], lang);
    size_t rows = ui_menu_rows(a->ui);
    app_nav_clamp(a->nav, a->n_list, rows);
    const app_nav_frame *f = app_nav_top(a->nav);
    char title[120];
    if (results)
        snprintf(title, sizeof title, "%s: %s", str(a, S_RESULTS_TITLE), a->query);
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = results ? title : str(a, S_AZ_TITLE);
    v.breadcrumb = crumb;
    v.items = labels;
    v.n_items = a->n_list;
    v.focus = f->focus;
    v.top = f->top;
    v.position_fmt = str(a, S_POSITION_FMT);
    v.empty = str(a, S_NO_RESULTS);
    v.unnumbered = 1;
    memset(&v.keys, 0, sizeof v.keys);
    hint(&v.keys, UI_KEY_RED, str(a, S_MAIN_MENU));
    if (!results) {
        hint(&v.keys, UI_KEY_YELLOW, str(a, S_SEARCH_WORDS));
        hint(&v.keys, UI_KEY_LEFT, NULL);
        hint(&v.keys, UI_KEY_RIGHT, str(a, S_LETTER));
    }
    hint(&v.keys, UI_KEY_EXIT, str(a, S_TV));
    ui_show_menu(a->ui, &v);
    a->screen = SCREEN_LIST;
}

enum { SET_LANGUAGE, SET_TEXT, SET_CONTRAST, SET_POSTCODE, SET_KEYS, SET_COUNT };

static void render_settings(app *a, const char *crumb)
{
    const char *labels[SET_COUNT] = {
        str(a, S_LANGUAGE), str(a, S_TEXT_SIZE), str(a, S_CONTRAST),
        str(a, S_POSTCODE), str(a, S_KEYS_TITLE),
    };
    char pc[80];
    if (a->settings.postcode[0] && a->council >= 0)
        snprintf(pc, sizeof pc, "%s", a->settings.postcode);
    else
        snprintf(pc, sizeof pc, "%s", a->settings.postcode[0] ? a->settings.postcode
                                                              : str(a, S_NOT_SET));
    const char *values[SET_COUNT] = {
        a->settings.lang == CM_LANG_CY ? "Cymraeg" : "English",
        str(a, a->settings.large_text ? S_LARGE : S_NORMAL),
        str(a, a->settings.high_contrast ? S_HIGH : S_STANDARD),
        pc, "",
    };
    app_nav_clamp(a->nav, SET_COUNT, ui_menu_rows(a->ui));
    const app_nav_frame *f = app_nav_top(a->nav);
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = str(a, S_SETTINGS);
    v.breadcrumb = crumb;
    v.items = labels;
    v.values = values;
    v.n_items = SET_COUNT;
    v.focus = f->focus;
    v.top = f->top;
    service_keys(a, &v.keys, 0);
    ui_show_menu(a->ui, &v);
    a->screen = SCREEN_SETTINGS;
}

/* The on-screen keyboard: letters, then digits, 9 to a row. */
static const char *const kb_keys[] = {
    "A", "B", "C", "D", "E", "F", "G", "H", "I",
    "J", "K", "L", "M", "N", "O", "P", "Q", "R",
    "S", "T", "U", "V", "W", "X", "Y", "Z", "0",
    "1", "2", "3", "4", "5", "6", "7", "8", "9",
};
#define KB_N (sizeof kb_keys / sizeof kb_keys[0])
#define KB_COLS 9u

static void render_entry(app *a, const char *crumb, int postcode)
{
    ui_entry_view v;
    memset(&v, 0, sizeof v);
    v.title = str(a, postcode ? S_POSTCODE_TITLE : S_WORDS_TITLE);
    v.breadcrumb = crumb;
    v.prompt = str(a, postcode ? S_POSTCODE_PROMPT : S_WORDS_PROMPT);
    v.value = a->entry.text;
    v.pending = a->entry.pending;
    v.hint = str(a, S_ENTRY_HINT);
    v.hint_short = str(a, S_ENTRY_HINT_SHORT);
    v.error = a->entry_error[0] ? a->entry_error : NULL;
    v.keyboard = kb_keys;
    v.n_keyboard = KB_N;
    v.columns = KB_COLS;
    v.focus = a->kb_focus;
    hint(&v.keys, UI_KEY_GREEN, str(a, S_DELETE));
    hint(&v.keys, UI_KEY_YELLOW, str(a, S_SPACE));
    hint(&v.keys, UI_KEY_BLUE, str(a, S_DONE));
    hint(&v.keys, UI_KEY_EXIT, str(a, S_TV));
    ui_show_entry(a->ui, &v);
    a->screen = SCREEN_ENTRY;
}

/* The key map, as a page: what each remote key does and which keys of
 * this keyboard (or box remote) send it. */
static void render_keys(app *a, const char *crumb)
{
    static const struct { ui_key k; app_string what; } rows[] = {
        { UI_KEY_RED, S_KEY_RED }, { UI_KEY_YELLOW, S_KEY_YELLOW },
        { UI_KEY_BLUE, S_KEY_BLUE }, { UI_KEY_GREEN, S_KEY_GREEN },
        { UI_KEY_UP, S_KEY_ARROWS }, { UI_KEY_OK, S_KEY_OK }, { UI_KEY_BACK, S_KEY_BACK },
        { UI_KEY_EXIT, S_KEY_EXIT }, { UI_KEY_1, S_KEY_DIGITS }, { UI_KEY_INFO, S_KEY_INFO },
    };
    int desktop = a->opt->mode != UI_MODE_BOX;
    char body[4096];
    size_t used = (size_t)snprintf(body, sizeof body, "%s\n\n## %s\n\n",
                                   str(a, S_KEYS_INTRO),
                                   str(a, desktop ? S_KEYS_DESKTOP : S_KEYS_BOX));
    for (size_t r = 0; r < sizeof rows / sizeof rows[0] && used < sizeof body; r++) {
        char keys[160] = "";
        size_t kl = 0;
        for (size_t i = 0; i < a->keymap.n; i++) {
            const ui_keymap_entry *e = &a->keymap.e[i];
            int match = e->key == rows[r].k;
            if (rows[r].k == UI_KEY_UP)
                match = e->key >= UI_KEY_UP && e->key <= UI_KEY_RIGHT;
            if (rows[r].k == UI_KEY_1)
                match = ui_key_digit(e->key) >= 0 && strlen(e->name) == 1;
            if (e->desktop != desktop || !match)
                continue;
            if (rows[r].k == UI_KEY_1 && e->key != UI_KEY_0)
                continue;   /* the digits: one line, "0-9" */
            int n = snprintf(keys + kl, sizeof keys - kl, "%s%s", kl ? ", " : "",
                             rows[r].k == UI_KEY_1 ? "0-9" : e->name);
            if (n < 0 || (size_t)n >= sizeof keys - kl)
                break;
            kl += (size_t)n;
        }
        int n = snprintf(body + used, sizeof body - used, "- *%s*: %s\n",
                         keys[0] ? keys : "-", str(a, rows[r].what));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    ui_page_view v;
    memset(&v, 0, sizeof v);
    v.title = str(a, S_KEYS_TITLE);
    v.breadcrumb = crumb;
    v.body = body;
    a->n_pages = ui_page_view_count(a->ui, &v);
    app_nav_frame *f = app_nav_top(a->nav);
    if (f->page >= a->n_pages)
        f->page = a->n_pages - 1;
    v.page = f->page;
    v.page_fmt = str(a, S_PAGE_FMT);
    page_keys(a, &v.keys, a->n_pages > 1, 0);
    ui_show_page(a->ui, &v);
    a->screen = SCREEN_PAGE;
}

void app_show_loading(app *a, const dvb_progress *p)
{
    char detail[80] = "";
    if (p && p->modules_total)
        snprintf(detail, sizeof detail, "%u / %u", p->modules_done, p->modules_total);
    ui_loading_view v;
    memset(&v, 0, sizeof v);
    v.title = str(a, S_LOADING_TITLE);
    v.status = str(a, S_LOADING_STATUS);
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
    hint(&v.keys, UI_KEY_EXIT, str(a, S_TV));
    ui_err e = ui_show_loading(a->ui, &v);
    if (e != UI_OK)
        app_log(a, "drawing the loading screen: %s", ui_strerror(e));
    a->screen = SCREEN_LOADING;
}

void app_show_tv(app *a, int prompt)
{
    app_free_screen(a);
    app_nav_clear(a->nav);
    app_entry_clear(&a->entry);
    a->entry_error[0] = '\0';
    a->query[0] = '\0';
    a->in_service = 0;
    a->notice_until = 0;
    ui_set_notice(a->ui, NULL);
    a->prompt = prompt;
    a->prompt_until = a->now + PROMPT_MS;
    ui_tv_view v;
    memset(&v, 0, sizeof v);
    v.picture = a->tv_picture.argb ? &a->tv_picture : NULL;
    v.prompt = prompt ? str(a, S_PRESS_RED) : NULL;
    ui_show_tv(a->ui, &v);
    a->screen = SCREEN_TV;
}

void app_render(app *a)
{
    if (!a->in_service) {
        app_show_tv(a, a->prompt);
        return;
    }
    app_free_screen(a);
    app_apply_settings(a);
    if (!a->have_manifest) {
        if (a->manifest_problem[0])
            show_message(a, str(a, S_NO_SERVICE_TITLE), str(a, S_NO_SERVICE_TEXT),
                         a->manifest_problem);
        else
            app_show_loading(a, NULL);
        return;
    }
    if (app_nav_depth(a->nav) == 0)
        app_nav_push(a->nav, a->manifest.root);
    const app_nav_frame *f = app_nav_top(a->nav);
    if (!f)
        return;
    char crumb[400];
    breadcrumb(a, crumb, sizeof crumb);
    const char *cr = crumb[0] ? crumb : NULL;
    if (f->path[0] == '@') {
        if (!strcmp(f->path, APP_AZ))
            render_list(a, cr, 0);
        else if (!strcmp(f->path, APP_RESULTS))
            render_list(a, cr, 1);
        else if (!strcmp(f->path, APP_SETTINGS))
            render_settings(a, cr);
        else if (!strcmp(f->path, APP_POSTCODE))
            render_entry(a, cr, 1);
        else if (!strcmp(f->path, APP_WORDS))
            render_entry(a, cr, 0);
        else
            render_keys(a, cr);
        return;
    }
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
    if (a->doc.type == CM_DOC_MENU)
        render_menu(a, cr);
    else
        render_page(a, cr);
}

/* ---- updates ---- */

static int frame_exists(app *a, const char *path)
{
    if (path[0] == '@')
        return 1;
    cm_doc d;
    cm_diag diag;
    if (load_doc(a, path, &d, &diag) != CM_OK)
        return 0;
    cm_doc_free(&d);
    return 1;
}

static void set_notice(app *a, app_string s)
{
    ui_set_notice(a->ui, str(a, s));
    a->notice_until = a->now + NOTICE_MS;
}

void app_content_updated(app *a)
{
    if (!a->in_service) {
        app_free_screen(a);
        return;
    }
    if (a->screen == SCREEN_LOADING || app_nav_depth(a->nav) == 0) {
        app_render(a);
        return;
    }
    /* Keep the viewer's place if it is still there; otherwise go back to
     * the nearest screen that is, and say so. */
    int gone = 0;
    char was[APP_NAV_PATH_MAX + 1];
    snprintf(was, sizeof was, "%s", app_nav_top(a->nav)->path);
    while (app_nav_depth(a->nav) > 1 && !frame_exists(a, app_nav_top(a->nav)->path)) {
        app_nav_pop(a->nav);
        gone = 1;
    }
    if (a->opt->verbose)
        app_log(a, gone ? "update: %s has gone, showing %s" : "update: %s%s is still there",
                was, gone ? app_nav_top(a->nav)->path : "");
    set_notice(a, gone ? S_PAGE_GONE : S_UPDATED);
    app_render(a);
}

/* ---- timers ---- */

long app_timers(app *a)
{
    long next = -1;
#define DUE(t) do { long d_ = (t) > a->now ? (long)((t) - a->now) : 0; \
                    if (next < 0 || d_ < next) next = d_; } while (0)
    if (!a->in_service && a->prompt) {
        if (a->now >= a->prompt_until)
            app_show_tv(a, 0);
        else
            DUE(a->prompt_until);
    }
    if (a->notice_until) {
        if (a->now >= a->notice_until) {
            a->notice_until = 0;
            ui_set_notice(a->ui, NULL);
            app_render(a);
        } else {
            DUE(a->notice_until);
        }
    }
    if (a->screen == SCREEN_ENTRY && a->entry.pending) {
        if (app_entry_tick(&a->entry, a->now))
            app_render(a);
        else
            DUE(app_entry_due(&a->entry));
    }
    if (a->in_service && a->opt->idle_timeout_s > 0) {
        uint64_t due = a->last_key + (uint64_t)a->opt->idle_timeout_s * 1000u;
        if (a->now >= due)
            app_show_tv(a, 0);    /* forget what was on screen */
        else
            DUE(due);
    }
#undef DUE
    return next;
}

/* ---- keys ---- */

/* Open a menu item's or link's target. */
static void open_target(app *a, const char *target)
{
    app_nav_err e = APP_NAV_OK;
    switch (cm_target_classify(target)) {
    case CM_TARGET_PATH:
        e = app_nav_push(a->nav, target);
        break;
    case CM_TARGET_LOCAL:
        if (a->council >= 0) {
            e = app_nav_push(a->nav, a->regions.councils[a->council].menu);
        } else {
            app_entry_clear(&a->entry);
            a->entry_error[0] = '\0';
            a->then_local = 1;
            e = app_nav_push(a->nav, APP_POSTCODE);
        }
        break;
    case CM_TARGET_SEARCH:
        e = app_nav_push(a->nav, APP_AZ);
        break;
    case CM_TARGET_SETTINGS:
        e = app_nav_push(a->nav, APP_SETTINGS);
        break;
    case CM_TARGET_BAD:
        return;
    }
    if (e != APP_NAV_OK) {
        app_log(a, "%s: %s", target, app_nav_strerror(e));
        return;
    }
    app_render(a);
}

static void open_focused(app *a)
{
    const app_nav_frame *f = app_nav_top(a->nav);
    if (!a->have_doc || a->doc.type != CM_DOC_MENU || f->focus >= a->doc.n_items)
        return;
    char target[CM_MAX_PATH_BYTES + 1];
    snprintf(target, sizeof target, "%s", a->doc.items[f->focus].target);
    open_target(a, target);
}

/* The postcode is done: find the council, remember it. */
static void postcode_done(app *a)
{
    app_entry_commit(&a->entry);
    char out[8];
    if (cm_postcode_outward(a->entry.text, out) != 0) {
        snprintf(a->entry_error, sizeof a->entry_error, "%s", str(a, S_POSTCODE_BAD));
        app_render(a);
        return;
    }
    int c = a->have_regions ? cm_regions_lookup(&a->regions, a->entry.text) : -1;
    if (c < 0) {
        snprintf(a->entry_error, sizeof a->entry_error, "%s", str(a, S_POSTCODE_UNKNOWN));
        app_render(a);
        return;
    }
    snprintf(a->settings.postcode, sizeof a->settings.postcode, "%s", a->entry.text);
    a->council = c;
    save_settings(a);
    app_nav_pop(a->nav);
    if (a->then_local)
        app_nav_push(a->nav, a->regions.councils[c].menu);
    a->then_local = 0;
    app_render(a);
}

static void entry_key(app *a, ui_key k)
{
    int postcode = !strcmp(app_nav_top(a->nav)->path, APP_POSTCODE);
    int d = ui_key_digit(k);
    int changed = 0;
    if (d >= 0) {
        changed = app_entry_digit(&a->entry, d, a->now);
    } else {
        changed = app_entry_commit(&a->entry);
        size_t rows = (KB_N + KB_COLS - 1) / KB_COLS;
        size_t col = a->kb_focus % KB_COLS, row = a->kb_focus / KB_COLS;
        switch (k) {
        case UI_KEY_LEFT: col = (col + KB_COLS - 1) % KB_COLS; break;
        case UI_KEY_RIGHT: col = (col + 1) % KB_COLS; break;
        case UI_KEY_UP: row = (row + rows - 1) % rows; break;
        case UI_KEY_DOWN: row = (row + 1) % rows; break;
        case UI_KEY_OK:
            app_entry_type(&a->entry, kb_keys[a->kb_focus][0]);
            break;
        case UI_KEY_GREEN: app_entry_delete(&a->entry); break;
        case UI_KEY_YELLOW: app_entry_type(&a->entry, ' '); break;
        case UI_KEY_BLUE:
            if (postcode) {
                postcode_done(a);
            } else if (a->entry.len) {
                snprintf(a->query, sizeof a->query, "%s", a->entry.text);
                app_nav_push(a->nav, APP_RESULTS);
                app_render(a);
            }
            return;
        default:
            break;
        }
        size_t nf = row * KB_COLS + col;
        a->kb_focus = nf < KB_N ? nf : KB_N - 1;
        changed = 1;
    }
    if (changed) {
        a->entry_error[0] = '\0';
        app_render(a);
    }
}

static void settings_key(app *a, ui_key k)
{
    const app_nav_frame *f = app_nav_top(a->nav);
    int change = k == UI_KEY_OK || k == UI_KEY_LEFT || k == UI_KEY_RIGHT;
    if (!change)
        return;
    switch (f->focus) {
    case SET_LANGUAGE:
        a->settings.lang = a->settings.lang == CM_LANG_CY ? CM_LANG_EN : CM_LANG_CY;
        break;
    case SET_TEXT:
        a->settings.large_text = !a->settings.large_text;
        break;
    case SET_CONTRAST:
        a->settings.high_contrast = !a->settings.high_contrast;
        break;
    case SET_POSTCODE:
        if (k != UI_KEY_OK)
            return;
        app_entry_clear(&a->entry);
        a->entry_error[0] = '\0';
        a->then_local = 0;
        app_nav_push(a->nav, APP_POSTCODE);
        app_render(a);
        return;
    default:
        if (k == UI_KEY_OK) {
            app_nav_push(a->nav, APP_KEYS);
            app_render(a);
        }
        return;
    }
    save_settings(a);
    app_render(a);
}

/* In the A-Z, Left and Right jump to the previous or next first letter. */
static int az_letter(app *a, int dir)
{
    app_nav_frame *f = app_nav_top(a->nav);
    if (!a->n_list)
        return 0;
    cm_lang lang = shown_lang(a);
    char cur = app_search_letter(a->search, a->list[f->focus], lang);
    size_t i = f->focus;
    for (size_t step = 0; step < a->n_list; step++) {
        i = dir > 0 ? (i + 1) % a->n_list : (i + a->n_list - 1) % a->n_list;
        char c = app_search_letter(a->search, a->list[i], lang);
        if (c != cur) {
            if (dir < 0) {
                /* to the first title of that letter */
                while (i > 0 && app_search_letter(a->search, a->list[i - 1], lang) == c)
                    i--;
            }
            f->focus = i;
            app_nav_clamp(a->nav, a->n_list, ui_menu_rows(a->ui));
            return 1;
        }
    }
    return 0;
}

/* Keys common to every screen of the service. */
static int global_key(app *a, ui_key k)
{
    switch (k) {
    case UI_KEY_EXIT:
        app_show_tv(a, 0);
        return 1;
    case UI_KEY_BACK:
        /* At the first screen Back leaves the service, back to TV. */
        app_entry_clear(&a->entry);
        a->entry_error[0] = '\0';
        if (app_nav_pop(a->nav) != APP_NAV_OK)
            app_show_tv(a, 0);
        else
            app_render(a);
        return 1;
    case UI_KEY_RED:
        if (app_nav_depth(a->nav) > 1) {
            app_nav_home(a->nav);
            app_render(a);
        }
        return 1;
    case UI_KEY_INFO:
        if (strcmp(app_nav_top(a->nav)->path, APP_KEYS) != 0) {
            app_nav_push(a->nav, APP_KEYS);
            app_render(a);
        }
        return 1;
    default:
        break;
    }
    /* Only what the key bar shows: entry and pages use the colour keys
     * for themselves or not at all, lists show yellow only in the A-Z. */
    if (a->screen == SCREEN_ENTRY || a->screen == SCREEN_PAGE)
        return 0;
    if (a->screen == SCREEN_LIST && (k == UI_KEY_BLUE ||
                                     strcmp(app_nav_top(a->nav)->path, APP_AZ) != 0))
        return 0;
    if (k == UI_KEY_YELLOW && a->have_manifest) {
        const char *here = app_nav_top(a->nav)->path;
        if (!strcmp(here, APP_AZ)) {
            app_entry_clear(&a->entry);
            app_nav_push(a->nav, APP_WORDS);
        } else {
            app_nav_push(a->nav, APP_AZ);
        }
        app_render(a);
        return 1;
    }
    if (k == UI_KEY_BLUE && strcmp(app_nav_top(a->nav)->path, APP_SETTINGS) != 0) {
        app_nav_push(a->nav, APP_SETTINGS);
        app_render(a);
        return 1;
    }
    return 0;
}

void app_handle_key(app *a, ui_key k)
{
    a->last_key = a->now;
    if (a->notice_until) {
        /* A key press means the viewer has seen the notice. */
        a->notice_until = 0;
        ui_set_notice(a->ui, NULL);
    }
    if (!a->in_service) {
        /* The emulator window: Exit on the TV closes it, as the box's
         * own TV would carry on. */
        if (k == UI_KEY_EXIT && a->opt->mode == UI_MODE_WINDOW) {
            a->quit = 1;
            return;
        }
        if (k == UI_KEY_RED) {
            a->in_service = 1;
            a->prompt = 0;
            app_nav_clear(a->nav);
            app_render(a);
        } else if (k == UI_KEY_INFO) {
            a->in_service = 1;
            a->prompt = 0;
            app_nav_clear(a->nav);
            if (a->have_manifest)
                app_nav_push(a->nav, a->manifest.root);
            app_nav_push(a->nav, APP_KEYS);
            app_render(a);
        }
        return;
    }
    if (a->screen == SCREEN_LOADING) {
        if (k == UI_KEY_EXIT || k == UI_KEY_BACK)
            app_show_tv(a, 0);
        return;
    }
    if (app_nav_depth(a->nav) == 0) {
        if (k == UI_KEY_EXIT || k == UI_KEY_BACK)
            app_show_tv(a, 0);
        return;
    }
    if (global_key(a, k))
        return;

    size_t rows = ui_menu_rows(a->ui);
    int d = ui_key_digit(k);
    int moved = 0;
    switch (a->screen) {
    case SCREEN_ENTRY:
        entry_key(a, k);
        return;
    case SCREEN_SETTINGS:
        if (k == UI_KEY_UP || k == UI_KEY_DOWN || d >= 0)
            break;
        settings_key(a, k);
        return;
    case SCREEN_LIST:
        if ((k == UI_KEY_LEFT || k == UI_KEY_RIGHT) &&
            !strcmp(app_nav_top(a->nav)->path, APP_AZ)) {
            if (az_letter(a, k == UI_KEY_LEFT ? -1 : 1))
                app_render(a);
            return;
        }
        if (k == UI_KEY_OK) {
            const app_nav_frame *f = app_nav_top(a->nav);
            if (f->focus < a->n_list)
                open_target(a, app_search_path(a->search, a->list[f->focus]));
            return;
        }
        break;
    case SCREEN_PAGE: {
        int delta = (k == UI_KEY_UP || k == UI_KEY_LEFT) ? -1
                  : (k == UI_KEY_DOWN || k == UI_KEY_RIGHT) ? 1 : 0;
        if (delta && app_nav_page(a->nav, delta, a->n_pages))
            app_render(a);
        else if (d >= 1 && a->have_doc && (size_t)d <= a->doc.n_links) {
            char target[CM_MAX_PATH_BYTES + 1];
            snprintf(target, sizeof target, "%s", a->doc.links[d - 1].target);
            open_target(a, target);
        }
        return;
    }
    case SCREEN_MENU:
        if (k == UI_KEY_OK) {
            open_focused(a);
            return;
        }
        if (a->have_doc && council_of(a, app_nav_top(a->nav)->path) >= 0)
            rows = ui_menu_rows_footer(a->ui);
        break;
    default:
        return;
    }
    /* Lists: menus, the A-Z, results, settings. */
    size_t n = a->screen == SCREEN_MENU ? a->doc.n_items
             : a->screen == SCREEN_SETTINGS ? (size_t)SET_COUNT : a->n_list;
    if (k == UI_KEY_UP)
        moved = app_nav_move(a->nav, -1, n, rows);
    else if (k == UI_KEY_DOWN)
        moved = app_nav_move(a->nav, 1, n, rows);
    else if (d >= 0 && a->screen != SCREEN_LIST)
        moved = app_nav_digit(a->nav, d, n, rows, a->now);
    if (moved)
        app_render(a);
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

static void write_shot(app *a, const char *name)
{
    const char *dir = a->opt->screenshots;
    char path[1100];
    snprintf(path, sizeof path, "%s/%03u-%s.png", dir, ++a->shot_no, name);
    ui_err e = ui_screenshot_png(a->ui, path);
    if (e != UI_OK)
        app_log(a, "%s: %s", path, ui_strerror(e));
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
    if (k != UI_KEY_NONE) {
        write_shot(a, ui_key_name(k));
        return;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/000-start.png", dir);
    ui_err e = ui_screenshot_png(a->ui, path);
    if (e != UI_OK)
        app_log(a, "%s: %s", path, ui_strerror(e));
}

void app_screenshot_event(app *a, const char *name)
{
    if (a->opt->screenshots && a->scripting)
        write_shot(a, name);
}
