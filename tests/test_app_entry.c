/*
 * Tests of app/app_entry: multi-tap text entry (ITU-T E.161 letter
 * groups) and on-screen keyboard typing, with the time passed in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/app_entry.h"

static void test_multitap_cycles(void **state)
{
    (void)state;
    app_entry e;
    app_entry_clear(&e);
    uint64_t t = 1000;
    /* 2 2 2 = C, still pending; a fourth press gives the digit 2. */
    assert_true(app_entry_digit(&e, 2, t));
    assert_string_equal(e.text, "A");
    assert_true(e.pending);
    app_entry_digit(&e, 2, t += 100);
    app_entry_digit(&e, 2, t += 100);
    assert_string_equal(e.text, "C");
    app_entry_digit(&e, 2, t += 100);
    assert_string_equal(e.text, "2");
    app_entry_digit(&e, 2, t += 100);      /* and round again */
    assert_string_equal(e.text, "A");
    /* A different key makes the pending letter final at once. */
    app_entry_digit(&e, 9, t += 100);
    assert_string_equal(e.text, "AW");
    app_entry_digit(&e, 9, t += 100);
    assert_string_equal(e.text, "AX");
    /* 7 and 9 have four letters. */
    assert_string_equal(app_entry_key_chars(7), "PQRS7");
    assert_string_equal(app_entry_key_chars(9), "WXYZ9");
    assert_string_equal(app_entry_key_chars(0), " 0");
    assert_string_equal(app_entry_key_chars(10), "");
}

static void test_multitap_timeout(void **state)
{
    (void)state;
    app_entry e;
    app_entry_clear(&e);
    uint64_t t = 5000;
    app_entry_digit(&e, 2, t);
    assert_int_equal(app_entry_due(&e), t + APP_ENTRY_TAP_MS);
    assert_false(app_entry_tick(&e, t + APP_ENTRY_TAP_MS - 1));
    assert_true(e.pending);
    assert_true(app_entry_tick(&e, t + APP_ENTRY_TAP_MS));
    assert_false(e.pending);
    assert_int_equal(app_entry_due(&e), 0);
    /* After the time, the same key starts a new letter: "AA". */
    app_entry_digit(&e, 2, t + APP_ENTRY_TAP_MS + 10);
    assert_string_equal(e.text, "AA");
    /* Pressing the same key after the time without a tick: a new letter too. */
    app_entry_digit(&e, 2, t + 3 * APP_ENTRY_TAP_MS);
    assert_string_equal(e.text, "AAA");
}

static void test_single_char_keys_and_keyboard(void **state)
{
    (void)state;
    app_entry e;
    app_entry_clear(&e);
    /* 1 has one character: final at once, nothing pending. */
    app_entry_digit(&e, 1, 0);
    assert_false(e.pending);
    app_entry_digit(&e, 1, 10);
    assert_string_equal(e.text, "11");
    /* Typing from the keyboard commits a pending letter first. */
    app_entry_digit(&e, 3, 20);
    assert_true(app_entry_type(&e, 'Q'));
    assert_string_equal(e.text, "11DQ");
    assert_false(e.pending);
    /* Delete takes a pending letter first, then final ones. */
    app_entry_digit(&e, 4, 30);
    assert_true(app_entry_delete(&e));
    assert_string_equal(e.text, "11DQ");
    while (app_entry_delete(&e))
        ;
    assert_int_equal(e.len, 0);
    assert_false(app_entry_delete(&e));
    assert_false(app_entry_commit(&e));
    assert_int_equal(app_entry_digit(&e, -1, 0), 0);
    assert_int_equal(app_entry_digit(&e, 10, 0), 0);
}

static void test_length_limit(void **state)
{
    (void)state;
    app_entry e;
    app_entry_clear(&e);
    for (unsigned i = 0; i < APP_ENTRY_MAX; i++)
        assert_true(app_entry_type(&e, 'A'));
    assert_false(app_entry_type(&e, 'B'));
    assert_false(app_entry_digit(&e, 5, 0));
    assert_int_equal(strlen(e.text), APP_ENTRY_MAX);
    /* Cycling the last (pending) letter never grows the text. */
    app_entry_delete(&e);
    app_entry_digit(&e, 5, 100);
    app_entry_digit(&e, 5, 200);
    assert_int_equal(strlen(e.text), APP_ENTRY_MAX);
    assert_int_equal(e.text[APP_ENTRY_MAX - 1], 'K');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multitap_cycles),
        cmocka_unit_test(test_multitap_timeout),
        cmocka_unit_test(test_single_char_keys_and_keyboard),
        cmocka_unit_test(test_length_limit),
    };
    return cmocka_run_group_tests_name("app_entry", tests, NULL, NULL);
}
