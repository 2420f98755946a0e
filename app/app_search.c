/*
 * The on-box search index (see app_search.h).
 */
#include "app/app_search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *path;
    char *title[2];
    char *body[2];
    char *ftitle[2];         /* folded (app_search_fold), for matching */
    char *fbody[2];
} page;

struct app_search {
    page *pages;
    size_t n, cap;
    char **seen;             /* menus and pages visited */
    size_t n_seen, cap_seen;
};

static char *dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- folding ----
 *
 * Welsh writes its long vowels with a circumflex (â ê î ô û ŵ ŷ), and
 * uses the diaeresis (ä ë ï ö ü) and, in loanwords, acute and grave
 * accents (á é, ẁ ỳ).  A viewer typing on a remote has no way to enter
 * them, and in any case "ffon" must find "ffôn" and "TŶ" must find "tŷ".
 * So texts and queries are both folded before matching: ASCII letters to
 * lower case, accented Latin letters (Latin-1, Latin Extended-A, the
 * Welsh w and y of Latin Extended Additional) to their base letter.
 * Other characters are kept as they are; malformed UTF-8 bytes are kept
 * one by one, so folding never loses or invents text. */

/* Base letters of U+00C0..U+00FF; '.' keeps the letter (lower-cased). */
static const char latin1_base[] =
    "aaaaaa.ceeeeiiiidnooooo.ouuuuy.."
    "aaaaaa.ceeeeiiiidnooooo.ouuuuy.y";
/* Base letters of U+0100..U+017F. */
static const char ext_a_base[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkkklllllllll"
    "lnnnnnnnnnoooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/* Decode one UTF-8 sequence (no overlongs, no surrogates); 0 if malformed. */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t n = p[0] >= 0xF5 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0)
        return 0;
    uint32_t v = p[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v < 0xE000))) ||
        (n == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return n;
}

/* The base letter of a code point, or 0 when it has none. */
static char base_letter(uint32_t cp)
{
    char b = 0;
    if (cp >= 0xC0 && cp <= 0xFF)
        b = latin1_base[cp - 0xC0];
    else if (cp >= 0x100 && cp <= 0x17F)
        b = ext_a_base[cp - 0x100];
    else if (cp >= 0x1E80 && cp <= 0x1E85)
        b = 'w';            /* Ẁ ẁ Ẃ ẃ Ẅ ẅ */
    else if (cp == 0x1EF2 || cp == 0x1EF3)
        b = 'y';            /* Ỳ ỳ */
    return b == '.' ? 0 : b;
}

size_t app_search_fold(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    while (*p) {
        uint32_t cp;
        size_t len = utf8_decode(p, &cp);
        char b = len > 1 ? base_letter(cp) : 0;
        unsigned char one[4];
        const unsigned char *src = one;
        size_t k = 1;
        if (len == 0) {
            one[0] = *p;            /* malformed: the byte as it is */
            len = 1;
        } else if (len == 1) {
            one[0] = (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        } else if (b) {
            one[0] = (unsigned char)b;
        } else if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
                   cp == 0x132 || cp == 0x152) {
            /* Æ Þ and the like, Ĳ Œ: their lower-case forms, same length */
            uint32_t lc = cp < 0x100 ? cp + 0x20 : cp + 1;
            one[0] = (unsigned char)(0xC0 | (lc >> 6));
            one[1] = (unsigned char)(0x80 | (lc & 0x3F));
            k = 2;
        } else {
            src = p;
            k = len;
        }
        if (out && n + k < outlen)
            memcpy(out + n, src, k);
        n += k;
        p += len;
    }
    if (out && outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}

static char *fold_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = app_search_fold(s, NULL, 0) + 1;
    char *p = malloc(n);
    if (p)
        app_search_fold(s, p, n);
    return p;
}

static int seen(app_search *s, const char *path)
{
    for (size_t i = 0; i < s->n_seen; i++)
        if (strcmp(s->seen[i], path) == 0)
            return 1;
    return 0;
}

static int mark(app_search *s, const char *path)
{
    if (s->n_seen == s->cap_seen) {
        size_t cap = s->cap_seen ? s->cap_seen * 2 : 64;
        char **n = realloc(s->seen, cap * sizeof *n);
        if (!n)
            return -1;
        s->seen = n;
        s->cap_seen = cap;
    }
    s->seen[s->n_seen] = dup(path);
    if (!s->seen[s->n_seen])
        return -1;
    s->n_seen++;
    return 0;
}

static int add_page(app_search *s, const char *path, const cm_doc *d)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        page *n = realloc(s->pages, cap * sizeof *n);
        if (!n)
            return -1;
        s->pages = n;
        s->cap = cap;
    }
    page *p = &s->pages[s->n];
    memset(p, 0, sizeof *p);
    p->path = dup(path);
    p->title[0] = dup(d->title.en);
    p->title[1] = dup(d->title.cy);
    p->body[0] = dup(d->body.en);
    p->body[1] = dup(d->body.cy);
    for (int l = 0; l < 2; l++) {
        p->ftitle[l] = fold_dup(p->title[l]);
        p->fbody[l] = fold_dup(p->body[l]);
    }
    s->n++;
    for (int l = 0; l < 2; l++)
        if ((p->title[l] && !p->ftitle[l]) || (p->body[l] && !p->fbody[l]))
            return -1;
    if (!p->path || !p->title[0] || !p->body[0] || (d->title.cy && !p->title[1]) ||
        (d->body.cy && !p->body[1]))
        return -1;
    return 0;
}

/* Depth-first over menus (and page links), each path once. */
static int walk(app_search *s, app_content *c, const char *path, int depth)
{
    if (depth > 32 || cm_target_classify(path) != CM_TARGET_PATH || seen(s, path))
        return 0;
    if (mark(s, path) != 0)
        return -1;
    const uint8_t *data;
    size_t len;
    if (app_content_get(c, path, &data, &len) != APP_CONTENT_OK)
        return 0;
    cm_doc d;
    if (cm_doc_parse(data, len, path, &d, NULL) != CM_OK)
        return 0;
    int r = 0;
    if (d.type == CM_DOC_PAGE)
        r = add_page(s, path, &d);
    for (size_t i = 0; r == 0 && i < d.n_items; i++)
        r = walk(s, c, d.items[i].target, depth + 1);
    for (size_t i = 0; r == 0 && i < d.n_links; i++)
        r = walk(s, c, d.links[i].target, depth + 1);
    cm_doc_free(&d);
    return r;
}

void app_search_destroy(app_search *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->pages[i].path);
        for (int l = 0; l < 2; l++) {
            free(s->pages[i].title[l]);
            free(s->pages[i].body[l]);
            free(s->pages[i].ftitle[l]);
            free(s->pages[i].fbody[l]);
        }
    }
    for (size_t i = 0; i < s->n_seen; i++)
        free(s->seen[i]);
    free(s->seen);
    free(s->pages);
    free(s);
}

app_search *app_search_build(app_content *c, const cm_manifest *m,
                             const cm_regions *regions)
{
    app_search *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    int r = m && m->root ? walk(s, c, m->root, 0) : 0;
    for (size_t i = 0; r == 0 && regions && i < regions->n_councils; i++)
        r = walk(s, c, regions->councils[i].menu, 0);
    if (r != 0) {
        app_search_destroy(s);
        return NULL;
    }
    /* The visited list is only needed while walking. */
    for (size_t i = 0; i < s->n_seen; i++)
        free(s->seen[i]);
    free(s->seen);
    s->seen = NULL;
    s->n_seen = s->cap_seen = 0;
    return s;
}

size_t app_search_count(const app_search *s)
{
    return s ? s->n : 0;
}

const char *app_search_path(const app_search *s, size_t i)
{
    return s && i < s->n ? s->pages[i].path : "";
}

static const char *text_in(char *const t[2], cm_lang lang)
{
    if (lang == CM_LANG_CY && t[1] && t[1][0])
        return t[1];
    return t[0] ? t[0] : "";
}

const char *app_search_title(const app_search *s, size_t i, cm_lang lang)
{
    return s && i < s->n ? text_in(s->pages[i].title, lang) : "";
}

/* Sorting needs the index and the language together. */
typedef struct {
    const app_search *s;
    cm_lang lang;
    size_t i;
} sort_item;

/* Titles sort by their folded form ("Ŵyl" among the W's), then as
 * written, then by their place in the index (a stable order). */
static const char *folded_title(const app_search *s, size_t i, cm_lang lang)
{
    return text_in(s->pages[i].ftitle, lang);
}

static int by_title(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    int c = strcmp(folded_title(x->s, x->i, x->lang), folded_title(y->s, y->i, y->lang));
    if (!c)
        c = strcmp(app_search_title(x->s, x->i, x->lang),
                   app_search_title(y->s, y->i, y->lang));
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

char app_search_letter(const app_search *s, size_t i, cm_lang lang)
{
    if (!s || i >= s->n)
        return 0;
    char c = folded_title(s, i, lang)[0];
    return (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
}

size_t app_search_az(const app_search *s, cm_lang lang, size_t *idx, size_t max)
{
    if (!s || !s->n || !max)
        return 0;
    sort_item *items = malloc(s->n * sizeof *items);
    if (!items)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        items[i] = (sort_item){ s, lang, i };
    qsort(items, s->n, sizeof *items, by_title);
    size_t n = s->n < max ? s->n : max;
    for (size_t i = 0; i < n; i++)
        idx[i] = items[i].i;
    free(items);
    return n;
}

/* Substring search over folded text with a folded word. */
static int has_word(const char *hay, const char *w, size_t wl)
{
    if (!hay)
        return 0;
    for (const char *p = hay; *p; p++)
        if (strncmp(p, w, wl) == 0)
            return 1;
    return 0;
}

/* Does text have every word of the query? */
static int has_all(const char *text, const char *q)
{
    int any = 0;
    const char *p = q;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if (p > w) {
            any = 1;
            if (!has_word(text, w, (size_t)(p - w)))
                return 0;
        }
    }
    return any;
}

size_t app_search_find(const app_search *s, cm_lang lang, const char *words,
                       size_t *idx, size_t max)
{
    if (!s || !words || !max)
        return 0;
    char q[512];
    if (app_search_fold(words, q, sizeof q) >= sizeof q)
        return 0;       /* longer than any entry field allows */
    words = q;
    size_t n = 0;
    /* Two passes: pages whose title matches, then those whose text does. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->n && n < max; i++) {
            const char *title = text_in(s->pages[i].ftitle, lang);
            int in_title = has_all(title, words);
            if (pass == 0 && in_title)
                idx[n++] = i;
            else if (pass == 1 && !in_title) {
                /* Title and text together: "council tax" may be split. */
                const char *body = text_in(s->pages[i].fbody, lang);
                int all = 1, any = 0;
                const char *p = words;
                while (*p && all) {
                    while (*p == ' ')
                        p++;
                    const char *w = p;
                    while (*p && *p != ' ')
                        p++;
                    if (p > w) {
                        any = 1;
                        all = has_word(title, w, (size_t)(p - w)) ||
                              has_word(body, w, (size_t)(p - w));
                    }
                }
                if (all && any)
                    idx[n++] = i;
            }
        }
    return n;
}
