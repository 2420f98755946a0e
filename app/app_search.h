/*
 * app/: the A-Z of services and the keyword search, built on the box.
 *
 * There is no search server on a broadcast: when content arrives, every
 * page reachable from the root menu and from the councils' menus is read
 * once and its titles and texts (both languages) kept in memory.  The A-Z
 * sorts the titles; a keyword search looks for every word of the query
 * in a page's title or text, title matches first.  Both ignore case and
 * accents (app_search_fold), so that Welsh "ffôn" is found as "ffon".
 */
#ifndef APP_SEARCH_H
#define APP_SEARCH_H

#include <stddef.h>

#include "app/app_content.h"
#include "model/cm.h"

typedef struct app_search app_search;

/* Build the index; NULL only when out of memory.  Unreadable files are
 * skipped (the screens report them when opened). */
app_search *app_search_build(app_content *c, const cm_manifest *m,
                             const cm_regions *regions);
void app_search_destroy(app_search *s);       /* NULL is a no-op */

size_t app_search_count(const app_search *s);
const char *app_search_path(const app_search *s, size_t i);
const char *app_search_title(const app_search *s, size_t i, cm_lang lang);

/* Fold UTF-8 text for matching: ASCII letters to lower case, accented
 * Latin letters (â ê î ô û ŵ ŷ, ä ë ï ö ü, á é, ẁ ỳ, and the rest of
 * Latin-1 and Latin Extended-A) to their base letter, other characters
 * as they are.  Writes at most outlen bytes with a terminating NUL (out
 * may be NULL) and returns the folded length, as snprintf does. */
size_t app_search_fold(const char *in, char *out, size_t outlen);

/* The first letter of a page's folded title in lang, in upper case ("Ŵ"
 * gives 'W'), for the A-Z's jumps from letter to letter; 0 if none. */
char app_search_letter(const app_search *s, size_t i, cm_lang lang);

/* Every page, sorted by its title in lang: up to max indices into idx;
 * returns how many. */
size_t app_search_az(const app_search *s, cm_lang lang, size_t *idx, size_t max);

/* Pages with every word of words (letters and digits; case-insensitive)
 * in their title or text in lang, ignoring case and accents; pages whose
 * title has them all come first.  Returns how many indices were written. */
size_t app_search_find(const app_search *s, cm_lang lang, const char *words,
                       size_t *idx, size_t max);

#endif
