/*
 * Tests of app/app_settings: the settings file's parser (every
 * truncation under AddressSanitizer), its text, the default path, and
 * safe saving (temporary file and rename, the folder made if missing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app_settings.h"

static const char good[] =
    "# civictv settings\n"
    "language = cy\n"
    "text = large\r\n"
    "  contrast=high  \n"
    "postcode = ce1 2ab\n";

static void test_parse_good(void **state)
{
    (void)state;
    app_settings s;
    app_settings_default(&s);
    assert_int_equal(s.lang, CM_LANG_EN);
    char warn[128];
    assert_int_equal(app_settings_parse(&s, good, strlen(good), warn, sizeof warn), 0);
    assert_string_equal(warn, "");
    assert_int_equal(s.lang, CM_LANG_CY);
    assert_true(s.large_text);
    assert_true(s.high_contrast);
    assert_string_equal(s.postcode, "CE1 2AB");
}

static void test_parse_bad_lines_skipped(void **state)
{
    (void)state;
    app_settings s;
    app_settings_default(&s);
    const char text[] = "language = fr\nnonsense\ntext = large\npostcode = CE1;DROP\n"
                        "colour = red\n";
    char warn[128];
    assert_int_equal(app_settings_parse(&s, text, strlen(text), warn, sizeof warn), 4);
    assert_string_equal(warn, "line 1: unknown name or value");
    assert_int_equal(s.lang, CM_LANG_EN);   /* untouched */
    assert_true(s.large_text);              /* the good line still counts */
    assert_string_equal(s.postcode, "");
    /* A NUL byte and an over-long line are refused, not trusted. */
    const char nul[] = "language = cy\0x\n";
    app_settings_default(&s);
    assert_int_equal(app_settings_parse(&s, nul, sizeof nul - 1, warn, sizeof warn), 1);
    assert_string_equal(warn, "line 1: a NUL byte");
    char longline[300];
    memset(longline, 'a', sizeof longline);
    assert_int_equal(app_settings_parse(&s, longline, sizeof longline, warn, sizeof warn), 1);
    assert_string_equal(warn, "line 1: too long");
    assert_int_equal(app_settings_parse(&s, NULL, 0, NULL, 0), 0);
}

/* Every prefix in an exact-size buffer: never a read past the end. */
static void test_truncations(void **state)
{
    (void)state;
    size_t n = strlen(good);
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, good, len);
        app_settings s;
        app_settings_default(&s);
        app_settings_parse(&s, buf, len, NULL, 0);
        free(buf);
    }
}

static void test_format_round_trip(void **state)
{
    (void)state;
    app_settings s, t;
    app_settings_default(&s);
    s.lang = CM_LANG_CY;
    s.high_contrast = 1;
    snprintf(s.postcode, sizeof s.postcode, "NB9 1XY");
    char text[256];
    size_t n = app_settings_format(&s, text, sizeof text);
    assert_int_equal(n, strlen(text));
    app_settings_default(&t);
    assert_int_equal(app_settings_parse(&t, text, n, NULL, 0), 0);
    assert_memory_equal(&s, &t, sizeof s);
    /* No postcode: no postcode line. */
    s.postcode[0] = '\0';
    app_settings_format(&s, text, sizeof text);
    assert_null(strstr(text, "postcode"));
    /* A small buffer is cut, terminated. */
    char tiny[8];
    assert_int_equal(app_settings_format(&s, tiny, sizeof tiny), 7);
    assert_int_equal(tiny[7], '\0');
}

static void test_default_path(void **state)
{
    (void)state;
    char p[256];
    setenv("XDG_CONFIG_HOME", "/x/conf", 1);
    assert_int_equal(app_settings_default_path(p, sizeof p), 0);
    assert_string_equal(p, "/x/conf/civictv/settings");
    setenv("XDG_CONFIG_HOME", "relative", 1);   /* not absolute: ignored */
    setenv("HOME", "/home/viewer", 1);
    assert_int_equal(app_settings_default_path(p, sizeof p), 0);
    assert_string_equal(p, "/home/viewer/.config/civictv/settings");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    assert_int_equal(app_settings_default_path(p, sizeof p), -1);
}

static void test_save_and_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/civictv-settings-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/settings", dir);
    app_settings s, t;
    app_settings_default(&s);
    app_settings_default(&t);
    /* A missing file: the defaults, no error. */
    assert_int_equal(app_settings_load(&t, path, NULL, 0), 0);
    s.large_text = 1;
    snprintf(s.postcode, sizeof s.postcode, "CE1");
    assert_int_equal(app_settings_save(&s, path), 0);   /* makes a/b */
    s.lang = CM_LANG_CY;
    assert_int_equal(app_settings_save(&s, path), 0);   /* replaces */
    assert_int_equal(app_settings_load(&t, path, NULL, 0), 0);
    assert_memory_equal(&s, &t, sizeof s);
    /* Only the settings file is left: no temporary files. */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    DIR *d = opendir(sub);
    assert_non_null(d);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        files += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 1);
    /* Unwritable place: an error, and errno says why. */
    assert_int_equal(app_settings_save(&s, "/proc/civictv-no/settings"), -1);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad_lines_skipped),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_save_and_load),
    };
    return cmocka_run_group_tests_name("app_settings", tests, NULL, NULL);
}
