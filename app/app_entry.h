/*
 * app/: text entry with a remote control, by multi-tap on the digit keys
 * (the letters of ITU-T E.161, as on a phone: 2 = ABC, ... 9 = WXYZ,
 * 0 = space) and by an on-screen keyboard.  No drawing and no clock of
 * its own: the caller passes the time, so the rules can be tested as
 * plain functions.
 *
 * Multi-tap: pressing a digit key shows its first character as "pending";
 * pressing the same key again within APP_ENTRY_TAP_MS moves to the next
 * character of that key (after the letters comes the digit itself); any
 * other key, or the time running out, makes the pending character final.
 */
#ifndef APP_ENTRY_H
#define APP_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define APP_ENTRY_MAX 24u
#define APP_ENTRY_TAP_MS 1200u

typedef struct {
    char text[APP_ENTRY_MAX + 1];
    size_t len;
    int pending;          /* the last character may still change */
    int key;              /* digit of the pending character */
    int cycle;            /* index into that key's characters */
    uint64_t at;          /* when the key was pressed */
} app_entry;

void app_entry_clear(app_entry *e);
/* A digit key at now_ms.  Return 1 when the text changed. */
int app_entry_digit(app_entry *e, int digit, uint64_t now_ms);
/* Make a pending character final.  Return 1 if there was one. */
int app_entry_commit(app_entry *e);
/* Commit when the multi-tap time has run out; return 1 if it did. */
int app_entry_tick(app_entry *e, uint64_t now_ms);
/* When app_entry_tick should be called next, or 0 when nothing is pending. */
uint64_t app_entry_due(const app_entry *e);
/* Type one character (from the on-screen keyboard); 1 if it was added. */
int app_entry_type(app_entry *e, char c);
/* Delete the last character (a pending one first). */
int app_entry_delete(app_entry *e);
/* The characters of a digit key, in multi-tap order. */
const char *app_entry_key_chars(int digit);

#endif
