/*
 * Tests of app/'s navigation model (focus, digits, pages, the back stack)
 * and of key scripts.  No graphics: these are plain functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app_nav.h"
#include "app/app_script.h"

static int setup(void **state)
{
    app_nav *n;
    if (app_nav_create(4, &n) != APP_NAV_OK)
        return -1;
    if (app_nav_push(n, "menus/root.json") != APP_NAV_OK)
        return -1;
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    app_nav_destroy(*state);
    return 0;
}

static void test_focus_wraps(void **state)
{
    app_nav *n = *state;
    app_nav_frame *f = app_nav_top(n);
    assert_int_equal(f->focus, 0);
    assert_true(app_nav_move(n, 1, 6, 7));
    assert_true(app_nav_move(n, 1, 6, 7));
    assert_int_equal(f->focus, 2);
    assert_true(app_nav_move(n, -1, 6, 7));
    assert_true(app_nav_move(n, -1, 6, 7));
    assert_int_equal(f->focus, 0);
    /* Up from the first item goes to the last, and Down back round. */
    assert_true(app_nav_move(n, -1, 6, 7));
    assert_int_equal(f->focus, 5);
    assert_true(app_nav_move(n, 1, 6, 7));
    assert_int_equal(f->focus, 0);
    /* A one-item menu has nowhere to go; an empty one neither. */
    assert_false(app_nav_move(n, 1, 1, 7));
    assert_false(app_nav_move(n, 1, 0, 7));
}

static void test_scroll_follows_focus(void **state)
{
    app_nav *n = *state;
    app_nav_frame *f = app_nav_top(n);
    /* 12 items, 5 rows. */
    for (int i = 0; i < 5; i++)
        app_nav_move(n, 1, 12, 5);
    assert_int_equal(f->focus, 5);
    assert_int_equal(f->top, 1);
    app_nav_move(n, -1, 12, 5);
    app_nav_move(n, -1, 12, 5);
    assert_int_equal(f->top, 1);
    app_nav_move(n, -3, 12, 5);
    assert_int_equal(f->focus, 0);
    assert_int_equal(f->top, 0);
    /* Wrapping to the end shows the last screenful. */
    app_nav_move(n, -1, 12, 5);
    assert_int_equal(f->focus, 11);
    assert_int_equal(f->top, 7);
}

static void test_digits(void **state)
{
    app_nav *n = *state;
    app_nav_frame *f = app_nav_top(n);
    /* Six items: a digit picks its item at once. */
    assert_true(app_nav_digit(n, 4, 6, 7, 1000));
    assert_int_equal(f->focus, 3);
    assert_false(app_nav_digit(n, 9, 6, 7, 1100)); /* no item 9 */
    assert_false(app_nav_digit(n, 0, 6, 7, 1200)); /* no item 0 */
    assert_int_equal(f->focus, 3);

    /* Twelve items: "1" then "2" is item 12; "1" alone is item 1. */
    assert_true(app_nav_digit(n, 1, 12, 5, 5000));
    assert_int_equal(f->focus, 0);
    assert_true(app_nav_digit(n, 2, 12, 5, 5500));
    assert_int_equal(f->focus, 11);
    assert_int_equal(f->top, 7);
    /* Too slow: the second digit is a new choice. */
    app_nav_digit(n, 1, 12, 5, 10000);
    assert_true(app_nav_digit(n, 2, 12, 5, 10000 + APP_NAV_DIGIT_MS + 1));
    assert_int_equal(f->focus, 1);
    /* "1" "0" is item 10; "1" "5" (no item 15) is item 5. */
    app_nav_digit(n, 1, 12, 5, 20000);
    app_nav_digit(n, 0, 12, 5, 20100);
    assert_int_equal(f->focus, 9);
    app_nav_digit(n, 1, 12, 5, 30000);
    app_nav_digit(n, 5, 12, 5, 30100);
    assert_int_equal(f->focus, 4);
    /* A move in between cancels a pending digit. */
    app_nav_digit(n, 1, 12, 5, 40000);
    app_nav_move(n, 1, 12, 5);
    app_nav_digit(n, 2, 12, 5, 40100);
    assert_int_equal(f->focus, 1);
}

static void test_back_stack(void **state)
{
    app_nav *n = *state;
    app_nav_move(n, 1, 6, 7);
    app_nav_move(n, 1, 6, 7);
    assert_int_equal(app_nav_push(n, "menus/bins.json"), APP_NAV_OK);
    assert_int_equal(app_nav_depth(n), 2);
    assert_int_equal(app_nav_top(n)->focus, 0);
    app_nav_move(n, 1, 3, 7);
    assert_int_equal(app_nav_push(n, "pages/bin-days.json"), APP_NAV_OK);
    assert_string_equal(app_nav_top(n)->path, "pages/bin-days.json");
    assert_string_equal(app_nav_frame_at(n, 0)->path, "menus/root.json");
    assert_null(app_nav_frame_at(n, 3));

    /* Back finds each focus where it was left. */
    assert_int_equal(app_nav_pop(n), APP_NAV_OK);
    assert_int_equal(app_nav_top(n)->focus, 1);
    assert_int_equal(app_nav_pop(n), APP_NAV_OK);
    assert_int_equal(app_nav_top(n)->focus, 2);
    assert_int_equal(app_nav_pop(n), APP_NAV_EROOT);
    assert_int_equal(app_nav_depth(n), 1);

    /* Home from deep down; the stack has a ceiling (menus may loop). */
    assert_int_equal(app_nav_push(n, "a.json"), APP_NAV_OK);
    assert_int_equal(app_nav_push(n, "b.json"), APP_NAV_OK);
    assert_int_equal(app_nav_push(n, "c.json"), APP_NAV_OK);
    assert_int_equal(app_nav_push(n, "d.json"), APP_NAV_EDEPTH);
    app_nav_home(n);
    assert_int_equal(app_nav_depth(n), 1);
    assert_int_equal(app_nav_top(n)->focus, 2);

    char longpath[APP_NAV_PATH_MAX + 2];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(app_nav_push(n, longpath), APP_NAV_EINVAL);
    assert_int_equal(app_nav_push(n, ""), APP_NAV_EINVAL);
    app_nav_clear(n);
    assert_null(app_nav_top(n));
    assert_int_equal(app_nav_pop(n), APP_NAV_EROOT);
    assert_false(app_nav_move(n, 1, 5, 5));
    assert_int_equal(app_nav_push(n, "menus/root.json"), APP_NAV_OK);
}

static void test_pages_and_clamp(void **state)
{
    app_nav *n = *state;
    app_nav_push(n, "pages/x.json");
    assert_false(app_nav_page(n, -1, 3));
    assert_true(app_nav_page(n, 1, 3));
    assert_true(app_nav_page(n, 1, 3));
    assert_false(app_nav_page(n, 1, 3)); /* no wrapping on pages */
    assert_int_equal(app_nav_top(n)->page, 2);
    /* The content shrank under a saved frame. */
    app_nav_top(n)->focus = 9;
    app_nav_top(n)->top = 6;
    app_nav_clamp(n, 4, 7);
    assert_int_equal(app_nav_top(n)->focus, 3);
    assert_int_equal(app_nav_top(n)->top, 0);
    for (int e = APP_NAV_OK; e <= APP_NAV_EROOT; e++)
        assert_non_null(app_nav_strerror((app_nav_err)e));
}

static void test_script_keys(void **state)
{
    (void)state;
    app_script s = { 0 };
    char err[128];
    assert_int_equal(app_script_add_keys(&s, "down,down, ok ,back,1,RED, wait 20", err, sizeof err),
                     APP_SCRIPT_OK);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.steps[6].key, UI_KEY_NONE);
    assert_int_equal(s.steps[6].wait_ms, 20);
    assert_int_equal(s.steps[0].key, UI_KEY_DOWN);
    assert_int_equal(s.steps[2].key, UI_KEY_OK);
    assert_int_equal(s.steps[4].key, UI_KEY_1);
    assert_int_equal(s.steps[5].key, UI_KEY_RED);
    assert_int_equal(app_script_add_keys(&s, "down,sideways", err, sizeof err),
                     APP_SCRIPT_ESYNTAX);
    assert_non_null(strstr(err, "sideways"));
    assert_int_equal(app_script_add_keys(&s, "", err, sizeof err), APP_SCRIPT_OK);
    app_script_free(&s);
}

static void test_script_file(void **state)
{
    (void)state;
    char path[] = "/tmp/civictv-script-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# a tour\ndown\n\n  ok   # open it\nwait 250\nback\n", f);
    fclose(f);
    app_script s = { 0 };
    char err[256];
    assert_int_equal(app_script_add_file(&s, path, err, sizeof err), APP_SCRIPT_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.steps[1].key, UI_KEY_OK);
    assert_int_equal(s.steps[2].key, UI_KEY_NONE);
    assert_int_equal(s.steps[2].wait_ms, 250);
    assert_int_equal(s.steps[3].key, UI_KEY_BACK);
    app_script_free(&s);

    f = fopen(path, "w");
    fputs("down\nwait soon\n", f);
    fclose(f);
    assert_int_equal(app_script_add_file(&s, path, err, sizeof err), APP_SCRIPT_ESYNTAX);
    assert_non_null(strstr(err, ":2:"));
    app_script_free(&s);
    unlink(path);
    assert_int_equal(app_script_add_file(&s, path, err, sizeof err), APP_SCRIPT_EIO);
    app_script_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_focus_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scroll_follows_focus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_back_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_and_clamp, setup, teardown),
        cmocka_unit_test(test_script_keys),
        cmocka_unit_test(test_script_file),
    };
    return cmocka_run_group_tests_name("app_nav", tests, NULL, NULL);
}
