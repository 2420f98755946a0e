/*
 * Page text layout: markup into blocks, blocks into wrapped lines, lines
 * into screens.
 *
 * The markup is the content format's (docs/content-format.md): a blank
 * line separates paragraphs, other line breaks are spaces, "## " starts a
 * heading and "- " a list item, and a pair of '*' marks *emphasis*
 * (shown in bold; a '*' without a partner is shown as it is).  A line
 * following a list item without a blank line continues that item, as in
 * most light markup languages.  A page's picture takes room before the
 * text and its numbered links follow it.
 *
 * Wrapping is greedy at spaces with the real font's advances; a word too
 * long for a whole line is cut at a character boundary.  Paging keeps a
 * heading on the same screen as the line after it, does not leave the
 * first line of a paragraph or list item alone at the foot of a screen,
 * and drops the paragraph gap at the top of a screen.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_backend.h"

typedef enum { BLOCK_PARA, BLOCK_HEADING, BLOCK_BULLET, BLOCK_LINK } block_kind;

static int is_cont_byte(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

int ui_fit_prefix(ui_measure_fn measure, void *ud, ui_font f,
                  const char *text, int len, int width)
{
    if (measure(ud, f, text, len) <= width)
        return len;
    /* Binary search on byte length, then step back to a boundary. */
    int lo = 0, hi = len;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        while (mid > lo && mid < len && is_cont_byte((unsigned char)text[mid]))
            mid--;
        if (mid == lo) {
            break;
        }
        if (measure(ud, f, text, mid) <= width)
            lo = mid;
        else
            hi = mid - 1;
    }
    while (lo > 0 && lo < len && is_cont_byte((unsigned char)text[lo]))
        lo--;
    return lo;
}

int ui_rich_width(ui_measure_fn measure, void *ud, ui_font f, ui_font bold,
                  int emph, const char *text, int len)
{
    int w = 0, seg = 0;
    for (int i = 0; i <= len; i++) {
        if (i < len && text[i] != UI_EMPH_ON && text[i] != UI_EMPH_OFF)
            continue;
        if (i > seg)
            w += measure(ud, emph ? bold : f, text + seg, i - seg);
        if (i < len)
            emph = text[i] == UI_EMPH_ON;
        seg = i + 1;
    }
    return w;
}

/* Turn each pair of '*' in a block into emphasis marks: an opening '*'
 * starts a word, a closing one ends a word; anything else stays a '*'. */
static void mark_emphasis(char *t, int len)
{
    for (int i = 0; i < len; i++) {
        if (t[i] != '*' || (i > 0 && t[i - 1] != ' ') || i + 1 >= len ||
            t[i + 1] == ' ' || t[i + 1] == '*')
            continue;
        for (int j = i + 2; j < len; j++) {
            if (t[j] != '*' || t[j - 1] == ' ')
                continue;
            unsigned char after = j + 1 < len ? (unsigned char)t[j + 1] : ' ';
            if (after == ' ' || after == '.' || after == ',' || after == ';' ||
                after == ':' || after == '!' || after == '?' || after == ')' ||
                after == '\'' || after == '"') {
                t[i] = UI_EMPH_ON;
                t[j] = UI_EMPH_OFF;
                i = j;
                break;
            }
        }
    }
}

static ui_err push_line(ui_layout *l, ui_line_kind kind, const char *text, int len)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        ui_line *nl = realloc(l->lines, (size_t)cap * sizeof *nl);
        if (!nl)
            return UI_ENOMEM;
        l->lines = nl;
        l->cap = cap;
    }
    ui_line *ln = &l->lines[l->n++];
    memset(ln, 0, sizeof *ln);
    ln->kind = kind;
    ln->text = text;
    ln->len = len;
    return UI_OK;
}

/* Wrap one block's text (already single-spaced) into lines. */
static ui_err wrap_block(const ui_layout_params *p, ui_layout *l, block_kind kind,
                         const char *text, int len, int link)
{
    ui_font f = kind == BLOCK_HEADING ? p->font_bold : p->font_body;
    int width = p->width - (kind == BLOCK_BULLET ? p->indent
                            : kind == BLOCK_LINK ? p->link_indent : 0);
    int first = 1;
    int pos = 0;
    int emph = 0;
    while (pos < len) {
        while (pos < len && text[pos] == ' ')
            pos++;
        if (pos >= len)
            break;
        /* Grow the line word by word while it fits. */
        int end = pos, fit = -1;
        while (end < len) {
            int w_end = end;
            while (w_end < len && text[w_end] == ' ')
                w_end++;
            while (w_end < len && text[w_end] != ' ')
                w_end++;
            if (ui_rich_width(p->measure, p->ud, f, p->font_bold, emph, text + pos,
                              w_end - pos) > width)
                break;
            fit = w_end;
            end = w_end;
        }
        int n;
        if (fit < 0) {
            /* A single word wider than the line: cut it. */
            int w_end = pos;
            while (w_end < len && text[w_end] != ' ')
                w_end++;
            n = ui_fit_prefix(p->measure, p->ud, f, text + pos, w_end - pos, width);
            if (n <= 0) {
                /* Not even one character fits: take one anyway so the
                 * loop always advances. */
                n = 1;
                while (pos + n < len && is_cont_byte((unsigned char)text[pos + n]))
                    n++;
            }
        } else {
            n = fit - pos;
        }
        ui_line_kind lk = kind == BLOCK_HEADING ? UI_LINE_HEADING
                        : kind == BLOCK_BULLET ? (first ? UI_LINE_BULLET : UI_LINE_BULLET_CONT)
                        : kind == BLOCK_LINK ? UI_LINE_LINK
                        : UI_LINE_TEXT;
        ui_err e = push_line(l, lk, text + pos, n);
        if (e != UI_OK)
            return e;
        l->lines[l->n - 1].emph = emph;
        l->lines[l->n - 1].link = link;
        for (int i = pos; i < pos + n; i++)
            if (text[i] == UI_EMPH_ON || text[i] == UI_EMPH_OFF)
                emph = text[i] == UI_EMPH_ON;
        first = 0;
        pos += n;
    }
    return UI_OK;
}

/* No orphans: does line i start a paragraph or list item of several
 * lines, whose first line must not stay alone at the foot of a screen
 * ("Web:" there, the address on the next screen)? */
static int keeps_next(const ui_layout *l, const unsigned char *gap_before, int i)
{
    const ui_line *ln = &l->lines[i];
    int starts = ln->kind == UI_LINE_BULLET || (ln->kind == UI_LINE_TEXT && gap_before[i]);
    ui_line_kind cont = ln->kind == UI_LINE_BULLET ? UI_LINE_BULLET_CONT : UI_LINE_TEXT;
    return starts && i + 1 < l->n && l->lines[i + 1].kind == cont && !gap_before[i + 1];
}

/* Assign lines to screens.  gap_before[i] says whether a paragraph gap
 * comes before line i (the first line of a block). */
static void paginate(const ui_layout_params *p, ui_layout *l, const unsigned char *gap_before)
{
    int page = 0, y = 0;
    for (int i = 0; i < l->n; i++) {
        ui_line *ln = &l->lines[i];
        int h = ln->kind == UI_LINE_HEADING ? p->heading_h
              : ln->kind == UI_LINE_IMAGE ? p->image_h : p->line_h;
        if (gap_before[i] && y > 0)
            y += p->gap_h;
        int need = h + (keeps_next(l, gap_before, i) ? p->line_h : 0);
        /* Keep a heading with the line that follows it (and that line's
         * next, by the rule above). */
        if (ln->kind == UI_LINE_HEADING && i + 1 < l->n &&
            l->lines[i + 1].kind != UI_LINE_HEADING)
            need += p->line_h + (gap_before[i + 1] ? p->gap_h : 0) +
                    (keeps_next(l, gap_before, i + 1) ? p->line_h : 0);
        if (y > 0 && y + need > p->height) {
            page++;
            y = 0;
        }
        ln->page = page;
        ln->y = y;
        y += h;
    }
    l->pages = page + 1;
}

/* Gap markers, one per line, zero where not yet set. */
static ui_err grow_gap(unsigned char **gap, int *cap, int need)
{
    if (need <= *cap)
        return UI_OK;
    unsigned char *ng = realloc(*gap, (size_t)need);
    if (!ng)
        return UI_ENOMEM;
    memset(ng + *cap, 0, (size_t)(need - *cap));
    *gap = ng;
    *cap = need;
    return UI_OK;
}

ui_err ui_layout_body(const ui_layout_params *p, const char *body, ui_layout *out)
{
    memset(out, 0, sizeof *out);
    if (!p || !body)
        return UI_EINVAL;
    size_t blen = strlen(body);
    out->buf = malloc(blen + 1);
    if (!out->buf)
        return UI_ENOMEM;
    memcpy(out->buf, body, blen + 1);
    /* Tabs and carriage returns count as spaces. */
    for (size_t i = 0; i < blen; i++)
        if (out->buf[i] == '\t' || out->buf[i] == '\r')
            out->buf[i] = ' ';

    /* Gap markers, one per line, grown alongside out->lines. */
    unsigned char *gap = NULL;
    int gap_cap = 0;
    ui_err e = UI_OK;
    if (p->image_h > 0)
        e = push_line(out, UI_LINE_IMAGE, out->buf, 0);

    char *s = out->buf;
    char *end = s + blen;
    int blank_seen = 0;
    block_kind prev = BLOCK_PARA;
    while (s < end && e == UI_OK) {
        /* Skip blank lines. */
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *le = nl ? nl : end;
        char *t = s;
        while (t < le && *t == ' ')
            t++;
        if (t == le) {
            s = nl ? nl + 1 : end;
            blank_seen = 1;
            continue;
        }
        block_kind kind = BLOCK_PARA;
        char *start = t;
        if (le - t >= 3 && memcmp(t, "## ", 3) == 0) {
            kind = BLOCK_HEADING;
            start = t + 3;
        } else if (le - t >= 2 && memcmp(t, "- ", 2) == 0) {
            kind = BLOCK_BULLET;
            start = t + 2;
        }
        /* A block runs until a blank line, a heading or a list item;
         * headings are one line.  Joining lines turns '\n' into ' '. */
        char *bend = le;
        char *next = nl ? nl + 1 : end;
        if (kind != BLOCK_HEADING) {
            while (next < end) {
                char *nl2 = memchr(next, '\n', (size_t)(end - next));
                char *le2 = nl2 ? nl2 : end;
                char *t2 = next;
                while (t2 < le2 && *t2 == ' ')
                    t2++;
                if (t2 == le2 || (le2 - t2 >= 3 && memcmp(t2, "## ", 3) == 0) ||
                    (le2 - t2 >= 2 && memcmp(t2, "- ", 2) == 0))
                    break;
                *bend = ' ';
                bend = le2;
                next = nl2 ? nl2 + 1 : end;
            }
        }
        int first_line = out->n;
        mark_emphasis(start, (int)(bend - start));
        e = wrap_block(p, out, kind, start, (int)(bend - start), 0);
        if (e == UI_OK)
            e = grow_gap(&gap, &gap_cap, out->cap);
        if (e == UI_OK) {
            /* A gap before every block but the first, except between the
             * items of one list, which read better close together. */
            if (first_line < out->n && first_line > 0)
                gap[first_line] = !(kind == BLOCK_BULLET && prev == BLOCK_BULLET && !blank_seen);
        }
        prev = kind;
        blank_seen = 0;
        s = next;
    }
    /* The links, each its own block, close together like a list. */
    for (int k = 0; k < p->n_links && e == UI_OK; k++) {
        const char *label = p->links[k] ? p->links[k] : "";
        int first_line = out->n;
        e = wrap_block(p, out, BLOCK_LINK, label, (int)strlen(label), k);
        if (e == UI_OK)
            e = grow_gap(&gap, &gap_cap, out->cap);
        if (e == UI_OK) {
            if (first_line < out->n && first_line > 0 && k == 0)
                gap[first_line] = 1;
        }
    }
    if (e == UI_OK)
        e = grow_gap(&gap, &gap_cap, out->cap > 0 ? out->cap : 1);
    if (e != UI_OK) {
        free(gap);
        ui_layout_free(out);
        return e;
    }
    paginate(p, out, gap);
    free(gap);
    return UI_OK;
}

void ui_layout_free(ui_layout *l)
{
    if (!l)
        return;
    free(l->lines);
    free(l->buf);
    memset(l, 0, sizeof *l);
}
