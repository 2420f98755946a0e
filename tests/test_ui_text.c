/*
 * Tests of ui/'s page text layout and key names, with a fake font (every
 * byte 10 px wide) so that no graphics system is needed and the expected
 * line breaks can be worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ui/ui_backend.h"

static int fake_measure(void *ud, ui_font f, const char *text, int len)
{
    (void)ud;
    (void)f;
    (void)text;
    return len * 10;
}

static ui_layout_params params(int width, int height)
{
    ui_layout_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    p.height = height;
    p.indent = 20;
    p.line_h = 30;
    p.heading_h = 40;
    p.gap_h = 10;
    p.measure = fake_measure;
    return p;
}

static void assert_line(const ui_line *l, ui_line_kind kind, const char *text)
{
    assert_int_equal(l->kind, kind);
    assert_int_equal(l->len, (int)strlen(text));
    assert_memory_equal(l->text, text, strlen(text));
}

static void test_wrap_at_spaces(void **state)
{
    (void)state;
    ui_layout_params p = params(100, 1000); /* 10 characters a line */
    ui_layout l;
    assert_int_equal(ui_layout_body(&p, "one two three four\nfive", &l), UI_OK);
    assert_int_equal(l.n, 3);
    assert_line(&l.lines[0], UI_LINE_TEXT, "one two");
    assert_line(&l.lines[1], UI_LINE_TEXT, "three four");
    /* A single line break is a space: "five" joins the paragraph. */
    assert_line(&l.lines[2], UI_LINE_TEXT, "five");
    assert_int_equal(l.lines[1].y, 30);
    assert_int_equal(l.pages, 1);
    ui_layout_free(&l);
}

static void test_markup(void **state)
{
    (void)state;
    ui_layout_params p = params(200, 1000);
    ui_layout l;
    const char *body = "Intro.\n\n## Heading\n\n- first item\n- second item that wraps\n\nEnd.";
    assert_int_equal(ui_layout_body(&p, body, &l), UI_OK);
    assert_int_equal(l.n, 6);
    assert_line(&l.lines[0], UI_LINE_TEXT, "Intro.");
    assert_line(&l.lines[1], UI_LINE_HEADING, "Heading");
    assert_line(&l.lines[2], UI_LINE_BULLET, "first item");
    /* 18 characters fit (200 px minus the 20 px indent). */
    assert_line(&l.lines[3], UI_LINE_BULLET, "second item that");
    assert_line(&l.lines[4], UI_LINE_BULLET_CONT, "wraps");
    assert_line(&l.lines[5], UI_LINE_TEXT, "End.");
    /* Gaps before blocks, none between items of one list. */
    assert_int_equal(l.lines[1].y, 30 + 10);
    assert_int_equal(l.lines[2].y, 40 + 40 + 10);
    assert_int_equal(l.lines[3].y, l.lines[2].y + 30);
    ui_layout_free(&l);
}

static void test_long_word_is_cut(void **state)
{
    (void)state;
    ui_layout_params p = params(50, 1000);
    ui_layout l;
    assert_int_equal(ui_layout_body(&p, "abcdefghijkl", &l), UI_OK);
    assert_int_equal(l.n, 3);
    assert_line(&l.lines[0], UI_LINE_TEXT, "abcde");
    assert_line(&l.lines[2], UI_LINE_TEXT, "kl");
    ui_layout_free(&l);
}

static void test_utf8_never_split(void **state)
{
    (void)state;
    /* "££££" is 8 bytes; 3 bytes fit, so the cut must fall at 2. */
    assert_int_equal(ui_fit_prefix(fake_measure, NULL, UI_FONT_BODY,
                                   "\xC2\xA3\xC2\xA3\xC2\xA3\xC2\xA3", 8, 30), 2);
}

static void test_paging_keeps_heading_with_text(void **state)
{
    (void)state;
    /* Three lines a screen. */
    ui_layout_params p = params(1000, 90);
    ui_layout l;
    const char *body = "a\n\nb\n\n## H\n\nc";
    assert_int_equal(ui_layout_body(&p, body, &l), UI_OK);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.lines[0].page, 0);
    assert_int_equal(l.lines[1].page, 0);
    /* The heading would fit, but its text would not: both move on. */
    assert_int_equal(l.lines[2].page, 1);
    assert_int_equal(l.lines[2].y, 0);
    assert_int_equal(l.lines[3].page, 1);
    assert_int_equal(l.pages, 2);
    ui_layout_free(&l);
}

/* No orphans: a paragraph or list item does not leave its first line
 * alone at the foot of a screen; one line on its own may stay there. */
static void test_paging_leaves_no_orphan(void **state)
{
    (void)state;
    /* 10 characters a line; a, gap, b, gap: room for one more line. */
    ui_layout_params p = params(100, 110);
    const char *bodies[3] = { "aaaa\n\nbbbb\n\ncccccc dddddd",
                              "aaaa\n\nbbbb\n\n- cccccc dddddd", "aaaa\n\nbbbb\n\ncccccc" };
    for (int i = 0; i < 3; i++) {
        ui_layout l;
        assert_int_equal(ui_layout_body(&p, bodies[i], &l), UI_OK);
        assert_int_equal(l.n, i < 2 ? 4 : 3);
        assert_int_equal(l.lines[1].page, 0);
        assert_int_equal(l.lines[1].y, 40);
        if (i < 2) {
            /* Two lines: both go to the next screen. */
            assert_int_equal(l.lines[2].kind, i ? UI_LINE_BULLET : UI_LINE_TEXT);
            assert_int_equal(l.lines[2].page, 1);
            assert_int_equal(l.lines[2].y, 0);
            assert_int_equal(l.lines[3].page, 1);
        } else {
            /* One line: it fits, and stays. */
            assert_int_equal(l.lines[2].page, 0);
            assert_int_equal(l.lines[2].y, 80);
        }
        ui_layout_free(&l);
    }
}

static void test_empty_body(void **state)
{
    (void)state;
    ui_layout_params p = params(100, 100);
    ui_layout l;
    assert_int_equal(ui_layout_body(&p, "", &l), UI_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.pages, 1);
    ui_layout_free(&l);
    assert_int_equal(ui_layout_body(&p, "\n\n  \n", &l), UI_OK);
    assert_int_equal(l.n, 0);
    ui_layout_free(&l);
}

/* Emphasis: pairs of '*' become marks that measure as nothing and are
 * measured in bold (the fake bold font is 20 px a byte); a lone '*'
 * stays as it is. */
static int fake_measure_bold(void *ud, ui_font f, const char *text, int len)
{
    (void)ud;
    (void)text;
    return len * (f == UI_FONT_BOLD ? 20 : 10);
}

static void test_emphasis(void **state)
{
    (void)state;
    ui_layout_params p = params(190, 1000);
    p.font_body = UI_FONT_BODY;
    p.font_bold = UI_FONT_BOLD;
    p.measure = fake_measure_bold;
    ui_layout l;
    assert_int_equal(ui_layout_body(&p, "aa *bb cc* dd 5 * 3", &l), UI_OK);
    assert_int_equal(l.n, 2);
    /* "aa " 30 + "bb cc" in bold 100 + " dd 5" 50 = 180; " *" would
     * make 200, more than 190. */
    assert_int_equal(l.lines[0].len, 15);
    assert_int_equal(l.lines[0].text[3], UI_EMPH_ON);
    assert_int_equal(l.lines[0].text[9], UI_EMPH_OFF);
    assert_int_equal(ui_rich_width(fake_measure_bold, NULL, UI_FONT_BODY, UI_FONT_BOLD, 0,
                                   l.lines[0].text, l.lines[0].len), 180);
    assert_line(&l.lines[1], UI_LINE_TEXT, "* 3");
    ui_layout_free(&l);

    /* Emphasis across a line break: the second line starts emphasised. */
    p.width = 100;
    assert_int_equal(ui_layout_body(&p, "*aaa bbb*", &l), UI_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.lines[0].emph, 0);
    assert_int_equal(l.lines[1].emph, 1);
    ui_layout_free(&l);

    /* Not emphasis: no partner, or '*' inside a word. */
    assert_int_equal(ui_layout_body(&p, "a*b *c", &l), UI_OK);
    assert_line(&l.lines[0], UI_LINE_TEXT, "a*b *c");
    ui_layout_free(&l);
}

static void test_image_and_links(void **state)
{
    (void)state;
    ui_layout_params p = params(100, 200);
    static const char *const links[] = { "first link", "second link text" };
    p.image_h = 120;
    p.links = links;
    p.n_links = 2;
    p.link_indent = 0;
    ui_layout l;
    assert_int_equal(ui_layout_body(&p, "body text", &l), UI_OK);
    /* image, body, link 1, link 2 over two lines. */
    assert_int_equal(l.n, 5);
    assert_int_equal(l.lines[0].kind, UI_LINE_IMAGE);
    assert_int_equal(l.lines[0].y, 0);
    assert_line(&l.lines[1], UI_LINE_TEXT, "body text");
    assert_int_equal(l.lines[1].y, 120 + 10);
    assert_int_equal(l.lines[2].kind, UI_LINE_LINK);
    assert_int_equal(l.lines[2].link, 0);
    assert_line(&l.lines[3], UI_LINE_LINK, "second");
    assert_int_equal(l.lines[4].link, 1);
    assert_line(&l.lines[4], UI_LINE_LINK, "link text");
    /* 120 + 10 + 30 + 10 + 30 = 200: the links after the first go on. */
    assert_true(l.pages >= 2);
    ui_layout_free(&l);
}

static void test_key_names(void **state)
{
    (void)state;
    for (int k = UI_KEY_NONE + 1; k < UI_KEY_COUNT; k++)
        assert_int_equal(ui_key_from_name(ui_key_name((ui_key)k)), k);
    assert_int_equal(ui_key_from_name("OK"), UI_KEY_OK);
    assert_int_equal(ui_key_from_name("select"), UI_KEY_NONE);
    assert_int_equal(ui_key_from_name(""), UI_KEY_NONE);
    assert_string_equal(ui_key_name(UI_KEY_7), "7");
    assert_int_equal(ui_key_digit(UI_KEY_0), 0);
    assert_int_equal(ui_key_digit(UI_KEY_9), 9);
    assert_int_equal(ui_key_digit(UI_KEY_OK), -1);
    for (int e = UI_OK; e <= UI_EPNG; e++)
        assert_non_null(ui_strerror((ui_err)e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_at_spaces),
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_long_word_is_cut),
        cmocka_unit_test(test_utf8_never_split),
        cmocka_unit_test(test_paging_keeps_heading_with_text),
        cmocka_unit_test(test_paging_leaves_no_orphan),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_emphasis),
        cmocka_unit_test(test_image_and_links),
        cmocka_unit_test(test_key_names),
    };
    return cmocka_run_group_tests_name("ui_text", tests, NULL, NULL);
}
