/*
 * Tests of ui/'s screens, drawn by the real DirectFB back-end on its dummy
 * system (no display) and checked pixel by pixel against the layout and
 * palette of ui/ui_theme.h: the focus bar where the focus is, text in the
 * title and the rows, nothing but background outside the graphics-safe
 * area, every channel within 16..235 everywhere, no horizontal edge that
 * makes a one-pixel line.
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

#include <png.h>

#include "ui/ui.h"
#include "ui/ui_theme.h"

typedef struct {
    ui *u;
    uint32_t *px;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    ui_config c;
    memset(&c, 0, sizeof c);
    c.mode = UI_MODE_HEADLESS;
    if (ui_create(&c, &f->u) != UI_OK) {
        free(f);
        return -1;
    }
    f->px = malloc((size_t)UI_SCREEN_W * UI_SCREEN_H * sizeof *f->px);
    if (!f->px) {
        ui_destroy(f->u);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ui_destroy(f->u);
    free(f->px);
    free(f);
    return 0;
}

static uint32_t at(const fixture *f, int x, int y)
{
    return f->px[(size_t)y * UI_SCREEN_W + (size_t)x] & 0xFFFFFFu;
}

static void grab(fixture *f)
{
    assert_int_equal(ui_read_pixels(f->u, f->px), UI_OK);
}

/* Pixels in a rectangle that differ from colour c by more than a little:
 * anti-aliased text shows up as such pixels. */
static size_t count_not(const fixture *f, int x0, int y0, int x1, int y1, uint32_t c)
{
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t p = at(f, x, y);
            int d = abs((int)(p >> 16) - (int)(c >> 16)) +
                    abs((int)((p >> 8) & 0xFF) - (int)((c >> 8) & 0xFF)) +
                    abs((int)(p & 0xFF) - (int)(c & 0xFF));
            if (d > 24)
                n++;
        }
    return n;
}

static void assert_tv_safe(const fixture *f)
{
    for (int y = 0; y < UI_SCREEN_H; y++)
        for (int x = 0; x < UI_SCREEN_W; x++) {
            uint32_t p = at(f, x, y);
            int inside = x >= SAFE_X0 && x < SAFE_X1 && y >= SAFE_Y0 && y < SAFE_Y1;
            if (!inside && p != C_BACKGROUND)
                fail_msg("pixel (%d,%d) = %06x outside the safe area", x, y, (unsigned)p);
            for (int sh = 0; sh <= 16; sh += 8) {
                int v = (int)((p >> sh) & 0xFF);
                if (v < 16 || v > 235)
                    fail_msg("pixel (%d,%d) = %06x: channel out of 16..235", x, y, (unsigned)p);
            }
        }
}

/* Along a column clear of text (from the top to y_end), every run of one
 * colour is at least 2 px tall: a 1 px run is a horizontal line that
 * flickers when interlaced.  (Glyphs are exempt: they are the font's.) */
static void assert_no_thin_lines(const fixture *f, int x, int y_end)
{
    int run = 1;
    for (int y = 1; y <= y_end; y++) {
        if (y < y_end && at(f, x, y) == at(f, x, y - 1)) {
            run++;
            continue;
        }
        if (run < 2)
            fail_msg("a 1 px line at (%d,%d)", x, y - 1);
        run = 1;
    }
}

static const char *const items[] = {
    "Council Tax", "Bins and recycling", "Benefits and pensions",
    "Report a problem", "Health services", "About this service",
};

static ui_menu_view menu_view(size_t n, size_t focus, size_t top)
{
    ui_menu_view v;
    memset(&v, 0, sizeof v);
    v.title = "Public services";
    v.items = items;
    v.n_items = n;
    v.focus = focus;
    v.top = top;
    v.keys.hints[0] = (ui_keyhint){ UI_KEY_RED, "Main menu" };
    v.keys.hints[1] = (ui_keyhint){ UI_KEY_BACK, "Back" };
    v.keys.hints[2] = (ui_keyhint){ UI_KEY_EXIT, "TV" };
    v.keys.n = 3;
    return v;
}

static int row_y(size_t r)
{
    return BODY_Y0 + (int)r * ROW_PITCH;
}

static void test_menu_focus_and_text(void **state)
{
    fixture *f = *state;
    ui_menu_view v = menu_view(6, 2, 0);
    assert_int_equal(ui_show_menu(f->u, &v), UI_OK);
    grab(f);

    /* The focus bar on row 3 with its yellow tab; the others plain. */
    for (size_t r = 0; r < 6; r++) {
        uint32_t want = r == 2 ? C_FOCUS : C_ROW;
        assert_int_equal(at(f, CONTENT_X1 - 3, row_y(r) + 2), want);
        assert_int_equal(at(f, CONTENT_X1 - 3, row_y(r) + ROW_H - 2), want);
    }
    assert_int_equal(at(f, CONTENT_X0 + 2, row_y(2) + ROW_H / 2), C_FOCUS_TAB);
    assert_int_equal(at(f, CONTENT_X0 + 2, row_y(1) + ROW_H / 2), C_ROW);
    /* Nothing below the last row. */
    assert_int_equal(at(f, 300, row_y(6) + 10), C_BACKGROUND);

    /* Text: the title in the header, a label in every row. */
    assert_true(count_not(f, CONTENT_X0, HEADER_Y0, CONTENT_X0 + 250, HEADER_Y1, C_HEADER) > 200);
    for (size_t r = 0; r < 6; r++) {
        uint32_t bg = r == 2 ? C_FOCUS : C_ROW;
        assert_true(count_not(f, CONTENT_X0 + 80, row_y(r), CONTENT_X0 + 300, row_y(r) + ROW_H, bg) > 100);
    }
    /* The key bar: a red chip, then text. */
    assert_int_equal(at(f, CONTENT_X0 + 4, (KEYBAR_Y0 + KEYBAR_Y1) / 2), C_RED);
    assert_true(count_not(f, CONTENT_X0 + 36, KEYBAR_Y0, CONTENT_X0 + 160, KEYBAR_Y1, C_KEYBAR) > 50);

    assert_tv_safe(f);
    /* Through the header, the stripe, the rows and the key bar's top
     * edge (the key bar's right end holds text). */
    assert_no_thin_lines(f, CONTENT_X1 - 3, KEYBAR_Y0 + 4);
    assert_no_thin_lines(f, CONTENT_X0 + 2, UI_SCREEN_H);
}

static void test_menu_scrolls(void **state)
{
    fixture *f = *state;
    static const char *const many[] = {
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
    };
    size_t rows = ui_menu_rows(f->u);
    assert_true(rows >= 6 && rows < 12);
    ui_menu_view v = menu_view(12, 11, 12 - rows);
    v.items = many;
    assert_int_equal(ui_show_menu(f->u, &v), UI_OK);
    grab(f);
    /* The focus is on the last visible row; a scroll bar with its thumb
     * at the bottom; a position note ("12 of 12") in the header. */
    assert_int_equal(at(f, CONTENT_X1 - SCROLL_W - 12, row_y(rows - 1) + 2), C_FOCUS);
    int bar_x = CONTENT_X1 - SCROLL_W / 2;
    assert_int_equal(at(f, bar_x, row_y(0) + 2), C_TRACK);
    assert_int_equal(at(f, bar_x, row_y(rows - 1) + ROW_H - 2), C_THUMB);
    assert_true(count_not(f, CONTENT_X1 - 120, HEADER_Y0, CONTENT_X1, HEADER_Y0 + 36, C_HEADER) > 50);
    assert_tv_safe(f);
}

static void test_page_layout_and_paging(void **state)
{
    fixture *f = *state;
    char body[4096] = "";
    strcat(body, "An opening paragraph that is long enough to wrap over more "
                 "than one line of the screen at twenty-four pixels.\n\n## A heading\n\n");
    for (int i = 0; i < 14; i++)
        strcat(body, "- a list item\n");
    strcat(body, "\nA closing paragraph.");
    size_t pages = ui_page_count(f->u, body);
    assert_true(pages >= 2);

    ui_page_view v;
    memset(&v, 0, sizeof v);
    v.title = "Collection days";
    v.breadcrumb = "Public services > Bins";
    v.body = body;
    v.keys.hints[0] = (ui_keyhint){ UI_KEY_LEFT, NULL };
    v.keys.hints[1] = (ui_keyhint){ UI_KEY_RIGHT, "Pages" };
    v.keys.n = 2;
    assert_int_equal(ui_show_page(f->u, &v), UI_OK);
    grab(f);
    /* Heading colour and bullet squares on the first screen. */
    size_t heading = 0, bullets = 0;
    for (int y = BODY_Y0; y < BODY_Y1; y++)
        for (int x = CONTENT_X0; x < CONTENT_X1; x++) {
            heading += at(f, x, y) == C_HEADING;
            bullets += at(f, x, y) == C_BULLET;
        }
    assert_true(heading > 50);
    assert_true(bullets >= 64 * 3);
    /* "Page 1 of N" at the top right of the header. */
    assert_true(count_not(f, CONTENT_X1 - 150, HEADER_Y0, CONTENT_X1, HEADER_Y0 + 36, C_HEADER) > 50);
    assert_tv_safe(f);

    /* The last screen has the closing paragraph and no heading. */
    v.page = pages - 1;
    assert_int_equal(ui_show_page(f->u, &v), UI_OK);
    grab(f);
    assert_true(count_not(f, CONTENT_X0, BODY_Y0, CONTENT_X1, BODY_Y1, C_BACKGROUND) > 50);
    assert_tv_safe(f);
}

static void test_loading_and_message(void **state)
{
    fixture *f = *state;
    ui_loading_view l = { .title = "Please wait", .status = "Receiving the service",
                          .detail = "1 of 4 parts", .done = 1, .total = 4 };
    assert_int_equal(ui_show_loading(f->u, &l), UI_OK);
    grab(f);
    /* A quarter of the bar is filled. */
    size_t filled = 0, track = 0;
    for (int x = 0; x < UI_SCREEN_W; x++) {
        for (int y = 250; y < 400; y++) {
            filled += at(f, x, y) == C_STRIPE;
            track += at(f, x, y) == C_TRACK;
        }
    }
    assert_true(filled > 0 && track > 2 * filled);
    assert_tv_safe(f);

    ui_message_view m;
    memset(&m, 0, sizeof m);
    m.title = "Not available";
    m.text = "Sorry.\n\nmenus/x.json: items[0].target: no such file";
    assert_int_equal(ui_show_message(f->u, &m), UI_OK);
    grab(f);
    assert_int_equal(at(f, CONTENT_X0 + 2, BODY_Y0 + 4), C_WARN);
    assert_true(count_not(f, CONTENT_X0 + 24, BODY_Y0, CONTENT_X1, BODY_Y0 + 100, C_BACKGROUND) > 100);
    assert_tv_safe(f);
}

static void test_screenshot_png(void **state)
{
    fixture *f = *state;
    ui_menu_view v = menu_view(3, 0, 0);
    assert_int_equal(ui_show_menu(f->u, &v), UI_OK);
    char path[] = "/tmp/civictv-ui-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ui_screenshot_png(f->u, path), UI_OK);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, in), 8);
    fclose(in);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    unlink(path);
    assert_int_equal(ui_screenshot_png(f->u, "/nonexistent-dir/x.png"), UI_EPNG);
}

/* Every channel within 16..235 anywhere on a screen. */
static void assert_studio_range(const fixture *f)
{
    for (int y = 0; y < UI_SCREEN_H; y++)
        for (int x = 0; x < UI_SCREEN_W; x++) {
            uint32_t p = at(f, x, y);
            for (int sh = 0; sh <= 16; sh += 8) {
                int v = (int)((p >> sh) & 0xFF);
                if (v < 16 || v > 235)
                    fail_msg("pixel (%d,%d) = %06x: channel out of 16..235", x, y, (unsigned)p);
            }
        }
}

/* The newer screens keep the rules too, in both themes and text sizes:
 * text entry with its keyboard, a page with a picture and links, the
 * notice, and the TV picture (full screen, but within studio range). */
static void test_entry_picture_notice_tv(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "A", "B", "C", "1", "2", "3" };
    static const char *const links[] = { "Bin days", "Your council" };
    /* A 4x2 PNG with pure black and white, which must come out within
     * studio range once decoded. */
    uint8_t raw[24] = { 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0,
                        0, 0, 255, 0, 0, 0, 255, 255, 255, 128, 128, 128 };
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = 4;
    pi.height = 2;
    pi.format = PNG_FORMAT_RGB;
    uint8_t png[1024];
    png_alloc_size_t png_len = sizeof png;
    assert_true(png_image_write_to_memory(&pi, png, &png_len, 0, raw, 0, NULL));
    ui_image img;
    assert_int_equal(ui_image_load_png(png, png_len, &img), UI_OK);
    assert_int_equal(img.w, 4);
    assert_int_equal(img.argb[0] & 0xFFFFFFu, 0x101010u);
    assert_int_equal(img.argb[1] & 0xFFFFFFu, 0xEBEBEBu);
    ui_image_free(&img);
    assert_int_equal(ui_image_load_png(png, 10, &img), UI_EPNG);   /* cut short */
    assert_int_equal(ui_image_load_png(png, png_len, &img), UI_OK);
    for (int style = 0; style < 4; style++) {
        ui_set_style(f->u, style & 1, style >> 1);
        ui_entry_view e;
        memset(&e, 0, sizeof e);
        e.title = "Your postcode";
        e.prompt = "Enter your postcode";
        e.value = "CE1 2";
        e.pending = 1;
        e.hint = "Press a number key again and again for its letters.";
        e.error = "That is not a postcode.";
        e.keyboard = keys;
        e.n_keyboard = 6;
        e.columns = 3;
        e.focus = 4;
        assert_int_equal(ui_show_entry(f->u, &e), UI_OK);
        grab(f);
        assert_studio_range(f);
        if (!(style >> 1))
            assert_tv_safe(f);

        ui_page_view v;
        memset(&v, 0, sizeof v);
        v.title = "Bins";
        v.body = "Put *bins* out by 7am.";
        v.image = &img;
        v.image_alt = "A bin";
        v.links = links;
        v.n_links = 2;
        ui_set_notice(f->u, "This service has just been updated.");
        assert_int_equal(ui_show_page(f->u, &v), UI_OK);
        ui_set_notice(f->u, NULL);
        grab(f);
        assert_studio_range(f);
        if (!(style >> 1))
            assert_tv_safe(f);
    }
    ui_set_style(f->u, 0, 0);
    ui_tv_view tv = { NULL, "Press red for public services" };
    assert_int_equal(ui_show_tv(f->u, &tv), UI_OK);
    grab(f);
    assert_studio_range(f);
    ui_image_free(&img);
    ui_image_free(NULL);
    assert_int_equal(ui_show_entry(f->u, NULL), UI_EINVAL);
    assert_int_equal(ui_show_tv(NULL, &tv), UI_EINVAL);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(ui_show_menu(f->u, NULL), UI_EINVAL);
    assert_int_equal(ui_show_page(NULL, NULL), UI_EINVAL);
    ui_menu_view v = menu_view(0, 0, 0);
    assert_int_equal(ui_show_menu(f->u, &v), UI_OK); /* an empty menu draws */
    ui_destroy(NULL);
    assert_int_equal(ui_next_key(f->u, NULL), UI_KEY_NONE); /* headless: no keys */
    assert_int_equal(ui_input_fd(f->u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_menu_focus_and_text),
        cmocka_unit_test(test_menu_scrolls),
        cmocka_unit_test(test_page_layout_and_paging),
        cmocka_unit_test(test_loading_and_message),
        cmocka_unit_test(test_screenshot_png),
        cmocka_unit_test(test_entry_picture_notice_tv),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("ui_screens", tests, setup, teardown);
}
