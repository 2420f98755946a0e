/*
 * Tests of ui/ui_keymap: the built-in map, the key-map file's parser
 * (errors named by line, every truncation under AddressSanitizer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

static void test_default_map(void **state)
{
    (void)state;
    ui_keymap m;
    ui_keymap_default(&m);
    assert_int_equal(ui_keymap_lookup(&m, 0, "RED"), UI_KEY_RED);
    assert_int_equal(ui_keymap_lookup(&m, 0, "CURSOR_UP"), UI_KEY_UP);
    assert_int_equal(ui_keymap_lookup(&m, 0, "7"), UI_KEY_7);
    assert_int_equal(ui_keymap_lookup(&m, 1, "F1"), UI_KEY_RED);
    assert_int_equal(ui_keymap_lookup(&m, 1, "return"), UI_KEY_OK);  /* any case */
    assert_int_equal(ui_keymap_lookup(&m, 1, "Keypad 3"), UI_KEY_3);
    assert_int_equal(ui_keymap_lookup(&m, 1, "I"), UI_KEY_INFO);
    /* Box and desktop are separate. */
    assert_int_equal(ui_keymap_lookup(&m, 0, "Keypad 3"), UI_KEY_NONE);
    assert_int_equal(ui_keymap_lookup(&m, 1, "CURSOR_UP"), UI_KEY_NONE);
    assert_int_equal(ui_keymap_lookup(NULL, 1, "F1"), UI_KEY_NONE);
    assert_int_equal(ui_keymap_lookup(&m, 1, NULL), UI_KEY_NONE);
}

static const char good[] =
    "# a USB remote that sends function keys\n"
    "box F10 = red\n"
    "box  PLAY = ok   # trailing comment\n"
    "\n"
    "desktop Q = exit\r\n"
    "desktop F1 = blue\n";

static void test_parse(void **state)
{
    (void)state;
    ui_keymap m;
    ui_keymap_default(&m);
    char msg[200] = "";
    assert_int_equal(ui_keymap_parse(&m, good, strlen(good), msg, sizeof msg), UI_OK);
    assert_int_equal(ui_keymap_lookup(&m, 0, "F10"), UI_KEY_RED);
    assert_int_equal(ui_keymap_lookup(&m, 0, "PLAY"), UI_KEY_OK);
    assert_int_equal(ui_keymap_lookup(&m, 1, "Q"), UI_KEY_EXIT);
    /* A later line replaces the built-in meaning. */
    assert_int_equal(ui_keymap_lookup(&m, 1, "F1"), UI_KEY_BLUE);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct { const char *text; const char *msg; } bad[] = {
        { "red = red\n", "line 1: must start with \"box\" or \"desktop\"" },
        { "\n\nbox RED red\n", "line 3: needs \"KEY = remote-key\"" },
        { "box RED = purple\n", "line 1: \"purple\" is not a remote key" },
        { "box = red\n", "line 1: the key name must be 1 to 31 bytes" },
        { "desktop ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 = ok\n", "line 1: the key name" },
        { "boxRED = red\n", "line 1: must start with" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ui_keymap m;
        ui_keymap_default(&m);
        char msg[200] = "";
        assert_int_equal(ui_keymap_parse(&m, bad[i].text, strlen(bad[i].text), msg,
                                         sizeof msg), UI_EKEYMAP);
        if (strncmp(msg, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("case %zu: \"%s\", want \"%s...\"", i, msg, bad[i].msg);
    }
    /* NUL in a line, and a line too long. */
    ui_keymap m;
    ui_keymap_default(&m);
    char msg[200];
    const char nul[] = "box RED\0 = red\n";
    assert_int_equal(ui_keymap_parse(&m, nul, sizeof nul - 1, msg, sizeof msg), UI_EKEYMAP);
    char longline[400];
    memset(longline, 'x', sizeof longline);
    assert_int_equal(ui_keymap_parse(&m, longline, sizeof longline, msg, sizeof msg),
                     UI_EKEYMAP);
    assert_int_equal(ui_keymap_parse(NULL, "", 0, msg, sizeof msg), UI_EINVAL);
    /* Too many mappings is refused, not overflowed. */
    ui_keymap_default(&m);
    char line[64];
    ui_err e = UI_OK;
    for (int i = 0; i < UI_KEYMAP_MAX + 5 && e == UI_OK; i++) {
        snprintf(line, sizeof line, "box K%d = ok\n", i);
        e = ui_keymap_parse(&m, line, strlen(line), msg, sizeof msg);
    }
    assert_int_equal(e, UI_EKEYMAP);
    assert_int_equal(m.n, UI_KEYMAP_MAX);
}

static void test_truncations(void **state)
{
    (void)state;
    size_t n = strlen(good);
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, good, len);
        ui_keymap m;
        ui_keymap_default(&m);
        char msg[200];
        ui_keymap_parse(&m, buf, len, msg, sizeof msg);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_map),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests_name("ui_keymap", tests, NULL, NULL);
}
