/*
 * app/: the application's own words, in English and Welsh.
 *
 * Every text the app shows that does not come from the carousel is in
 * this one table, so a translator sees them all together and the
 * text-fitting test can render them all.
 */
#ifndef APP_STRINGS_H
#define APP_STRINGS_H

#include "model/cm.h"

typedef enum {
    S_MAIN_MENU, S_TV, S_PAGES, S_PAGE_FMT, S_POSITION_FMT, S_LINKS,
    S_UNAVAILABLE_TITLE, S_UNAVAILABLE_TEXT, S_NO_SERVICE_TITLE, S_NO_SERVICE_TEXT,
    S_PRESS_RED, S_SEARCH, S_SETTINGS, S_AZ_TITLE, S_SEARCH_WORDS, S_LETTER,
    S_LANGUAGE, S_TEXT_SIZE, S_NORMAL, S_LARGE, S_CONTRAST, S_STANDARD, S_HIGH,
    S_POSTCODE, S_NOT_SET, S_POSTCODE_TITLE, S_POSTCODE_PROMPT, S_ENTRY_HINT, S_ENTRY_HINT_SHORT,
    S_DELETE, S_SPACE, S_DONE, S_POSTCODE_BAD, S_POSTCODE_UNKNOWN,
    S_WORDS_TITLE, S_WORDS_PROMPT, S_RESULTS_TITLE, S_NO_RESULTS,
    S_KEYS_TITLE, S_KEYS_INTRO, S_KEYS_DESKTOP, S_KEYS_BOX,
    S_KEY_RED, S_KEY_YELLOW, S_KEY_BLUE, S_KEY_GREEN, S_KEY_ARROWS, S_KEY_OK,
    S_KEY_BACK, S_KEY_EXIT, S_KEY_DIGITS, S_KEY_INFO,
    S_UPDATED, S_PAGE_GONE, S_LOADING_TITLE, S_LOADING_STATUS, S_PHONE,
    S_COUNT
} app_string;

/* The text in lang (English for any other value); never NULL. */
const char *app_str(cm_lang lang, app_string s);

#endif
