/*
 * Tests of backoffice/bo_parse: Idempotency-Key values, form-urlencoded
 * bodies, RFC 8628 user codes and the config file, with every truncation of
 * valid inputs copied into exact-size heap buffers so that AddressSanitizer
 * sees any over-read.
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

#include "backoffice/bo_parse.h"
#include "backoffice/bo_server.h"

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void test_idem_key_good(void **state)
{
    (void)state;
    char out[BO_IDEM_KEY_MAX + 1];
    assert_int_equal(bo_idem_key_parse("abc-123", 7, out), BO_PARSE_OK);
    assert_string_equal(out, "abc-123");
    assert_int_equal(bo_idem_key_parse("\"Q-9\"", 5, out), BO_PARSE_OK);
    assert_string_equal(out, "Q-9");
    assert_int_equal(bo_idem_key_parse("  k1 ", 5, out), BO_PARSE_OK);
    assert_string_equal(out, "k1");
    char big[BO_IDEM_KEY_MAX];
    memset(big, 'a', sizeof big);
    assert_int_equal(bo_idem_key_parse(big, sizeof big, out), BO_PARSE_OK);
    assert_int_equal(strlen(out), BO_IDEM_KEY_MAX);
}

static void test_idem_key_bad(void **state)
{
    (void)state;
    char out[BO_IDEM_KEY_MAX + 1];
    assert_int_equal(bo_idem_key_parse("", 0, out), BO_PARSE_EMPTY);
    assert_int_equal(bo_idem_key_parse("\"\"", 2, out), BO_PARSE_EMPTY);
    assert_int_equal(bo_idem_key_parse("\"abc", 4, out), BO_PARSE_BADQUOTE);
    assert_int_equal(bo_idem_key_parse("\"", 1, out), BO_PARSE_BADQUOTE);
    assert_int_equal(bo_idem_key_parse("a\"b", 3, out), BO_PARSE_BADQUOTE);
    assert_int_equal(bo_idem_key_parse("a b", 3, out), BO_PARSE_BADCHAR);
    assert_int_equal(bo_idem_key_parse("a;DROP", 6, out), BO_PARSE_BADCHAR);
    assert_int_equal(bo_idem_key_parse("caf\xc3\xa9", 5, out), BO_PARSE_BADCHAR);
    char big[BO_IDEM_KEY_MAX + 1];
    memset(big, 'a', sizeof big);
    assert_int_equal(bo_idem_key_parse(big, sizeof big, out), BO_PARSE_TOOLONG);
    assert_string_equal(out, "");
}

static void test_idem_key_truncations(void **state)
{
    (void)state;
    const char *v = "\"order-2026-11-29-0001\"";
    size_t n = strlen(v);
    char out[BO_IDEM_KEY_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        char *p = dup_n(v, i);
        bo_parse_err e = bo_idem_key_parse(p, i, out);
        /* Every prefix but the whole value breaks the quoting or is empty. */
        assert_int_not_equal(e, BO_PARSE_OK);
        free(p);
    }
    char *p = dup_n(v, n);
    assert_int_equal(bo_idem_key_parse(p, n, out), BO_PARSE_OK);
    assert_string_equal(out, "order-2026-11-29-0001");
    free(p);
}

static void test_form_good(void **state)
{
    (void)state;
    bo_form f;
    const char *s = "service_code=pothole&lat=51.5&description=Big+hole%21&x=&&flag&"
                    "name=Gw%C3%A8n";
    assert_int_equal(bo_form_parse(s, strlen(s), &f), BO_PARSE_OK);
    assert_int_equal(f.n, 6);
    assert_string_equal(bo_form_get(&f, "service_code"), "pothole");
    assert_string_equal(bo_form_get(&f, "description"), "Big hole!");
    assert_string_equal(bo_form_get(&f, "x"), "");
    assert_string_equal(bo_form_get(&f, "flag"), "");
    assert_string_equal(bo_form_get(&f, "name"), "Gw\xc3\xa8n");
    assert_null(bo_form_get(&f, "nope"));
    bo_form_free(&f);
    bo_form_free(&f); /* twice is harmless */
    assert_int_equal(bo_form_parse("", 0, &f), BO_PARSE_OK);
    assert_int_equal(f.n, 0);
}

static void test_form_bad(void **state)
{
    (void)state;
    bo_form f;
    assert_int_equal(bo_form_parse("a=%4", 4, &f), BO_PARSE_BADESCAPE);
    assert_int_equal(f.n, 0);
    assert_int_equal(bo_form_parse("a=%zz", 5, &f), BO_PARSE_BADESCAPE);
    assert_int_equal(bo_form_parse("a=%00", 5, &f), BO_PARSE_BADUTF8);
    assert_int_equal(bo_form_parse("a=%C3", 5, &f), BO_PARSE_BADUTF8);
    assert_int_equal(bo_form_parse("a=%ED%A0%80", 11, &f), BO_PARSE_BADUTF8);  /* surrogate */
    assert_int_equal(bo_form_parse("a=%C0%AF", 8, &f), BO_PARSE_BADUTF8);      /* overlong */
    assert_int_equal(bo_form_parse("a=\xff", 3, &f), BO_PARSE_BADUTF8);
    /* More fields than the ceiling. */
    size_t n = (BO_FORM_MAX_FIELDS + 1) * 4;
    char *many = malloc(n);
    assert_non_null(many);
    for (size_t i = 0; i < BO_FORM_MAX_FIELDS + 1; i++)
        memcpy(many + i * 4, "a=b&", 4);
    assert_int_equal(bo_form_parse(many, n, &f), BO_PARSE_TOOMANY);
    assert_int_equal(f.n, 0);
    free(many);
}

static void test_form_truncations(void **state)
{
    (void)state;
    const char *s = "service_code=pothole&description=Deep%20hole%E2%80%94A1&lat=51.4";
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++) {
        char *p = dup_n(s, i);
        bo_form f;
        bo_parse_err e = bo_form_parse(p, i, &f);
        if (e == BO_PARSE_OK) {
            /* A cut never invents a field it did not see in full. */
            assert_true(f.n <= 3);
            bo_form_free(&f);
        } else {
            assert_true(e == BO_PARSE_BADESCAPE || e == BO_PARSE_BADUTF8);
            assert_int_equal(f.n, 0);
        }
        free(p);
    }
}

static void test_user_code(void **state)
{
    (void)state;
    char out[10];
    assert_int_equal(bo_user_code_parse("WDJB-MJHT", 9, out), BO_PARSE_OK);
    assert_string_equal(out, "WDJB-MJHT");
    assert_int_equal(bo_user_code_parse("wdjb mjht", 9, out), BO_PARSE_OK);
    assert_string_equal(out, "WDJB-MJHT");
    assert_int_equal(bo_user_code_parse("WDJBMJHT", 8, out), BO_PARSE_OK);
    /* Vowels and digits are not in the alphabet: nothing ambiguous. */
    assert_int_equal(bo_user_code_parse("WDJB-MJH0", 9, out), BO_PARSE_BADCHAR);
    assert_int_equal(bo_user_code_parse("WDJB-MJHA", 9, out), BO_PARSE_BADCHAR);
    assert_int_equal(bo_user_code_parse("WDJB-MJHTX", 10, out), BO_PARSE_TOOLONG);
    assert_int_equal(bo_user_code_parse("", 0, out), BO_PARSE_EMPTY);
    const char *s = "WDJB-MJHT";
    for (size_t i = 0; i < 9; i++) {
        char *p = dup_n(s, i);
        assert_int_not_equal(bo_user_code_parse(p, i, out), BO_PARSE_OK);
        free(p);
    }
}

static void test_postcode(void **state)
{
    (void)state;
    char out[9];
    assert_int_equal(bo_postcode_normalise("ns1 1aa", out), 0);
    assert_string_equal(out, "NS11AA");
    assert_int_equal(bo_postcode_normalise("SW1A 2AA", out), 0);
    assert_string_equal(out, "SW1A2AA");
    assert_int_equal(bo_postcode_normalise("M1 1AE", out), 0);
    assert_int_equal(bo_postcode_normalise("1M 1AE", out), -1);
    assert_int_equal(bo_postcode_normalise("NS1 1A1", out), -1);
    assert_int_equal(bo_postcode_normalise("NS1-1AA", out), -1);
    assert_int_equal(bo_postcode_normalise("ABCDE 1AA", out), -1);
    assert_int_equal(bo_postcode_normalise("", out), -1);
    assert_int_equal(bo_postcode_normalise(NULL, out), -1);
    const char *pc = "SW1A 2AA";
    size_t n = strlen(pc);
    for (size_t i = 0; i < n; i++) {
        char *p = malloc(i + 1);
        memcpy(p, pc, i);
        p[i] = '\0';
        /* No proper prefix of a full postcode is one ("SW1A 2" lacks the
         * inward letters). */
        assert_int_equal(bo_postcode_normalise(p, out), -1);
        free(p);
    }
}

typedef struct {
    int n;
    char keys[8][32];
    char vals[8][64];
} cfg_seen;

static int seen_cb(void *ctx, const char *k, const char *v)
{
    cfg_seen *s = ctx;
    if (s->n == 8)
        return -1;
    snprintf(s->keys[s->n], sizeof s->keys[0], "%s", k);
    snprintf(s->vals[s->n], sizeof s->vals[0], "%s", v);
    s->n++;
    return 0;
}

static void test_config_parse(void **state)
{
    (void)state;
    const char *s = "# back office\n\nport = 8080\r\n  database=postgresql://x/y?a=b \n"
                    "seed =sample";
    cfg_seen seen = { 0 };
    int line;
    assert_int_equal(bo_config_parse(s, strlen(s), seen_cb, &seen, &line), BO_PARSE_OK);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.keys[0], "port");
    assert_string_equal(seen.vals[0], "8080");
    assert_string_equal(seen.vals[1], "postgresql://x/y?a=b");
    assert_string_equal(seen.keys[2], "seed");
    assert_string_equal(seen.vals[2], "sample");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(bo_config_parse("port 80\n", 8, seen_cb, &seen, &line), BO_PARSE_SYNTAX);
    assert_int_equal(line, 1);
    assert_int_equal(bo_config_parse("a=1\n = 2\n", 9, seen_cb, &seen, &line), BO_PARSE_SYNTAX);
    assert_int_equal(line, 2);
    assert_int_equal(bo_config_parse("a=\xff\n", 4, seen_cb, &seen, &line), BO_PARSE_BADUTF8);
}

static void test_config_truncations(void **state)
{
    (void)state;
    const char *s = "listen = 127.0.0.1\nport = 8443\ncert = /etc/bo/cert.pem\n";
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++) {
        char *p = dup_n(s, i);
        cfg_seen seen = { 0 };
        int line;
        bo_parse_err e = bo_config_parse(p, i, seen_cb, &seen, &line);
        /* A cut line is either a syntax error (no '=' yet) or a shorter
         * value; never a crash or a read past the end. */
        assert_true(e == BO_PARSE_OK || e == BO_PARSE_SYNTAX);
        assert_true(seen.n <= 3);
        free(p);
    }
}

static void test_config_set(void **state)
{
    (void)state;
    bo_config c;
    bo_config_defaults(&c);
    char err[256];
    assert_int_equal(bo_config_set(&c, "port", "0", err, sizeof err), 0);
    assert_int_equal(c.port, 0);
    assert_int_equal(bo_config_set(&c, "port", "65536", err, sizeof err), -1);
    assert_non_null(strstr(err, "port"));
    assert_int_equal(bo_config_set(&c, "port", "80x", err, sizeof err), -1);
    assert_int_equal(bo_config_set(&c, "threads", "-1", err, sizeof err), -1);
    assert_int_equal(bo_config_set(&c, "colour", "red", err, sizeof err), -1);
    assert_non_null(strstr(err, "colour: unknown option"));
    assert_int_equal(bo_config_set(&c, "seed", "maybe", err, sizeof err), -1);
    assert_int_equal(bo_config_set(&c, "seed", "sample", err, sizeof err), 0);
    assert_int_equal(c.seed, 1);
    char longv[2000];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(bo_config_set(&c, "database", longv, err, sizeof err), -1);
    assert_non_null(strstr(err, "database: value too long"));
}

static void test_config_load(void **state)
{
    (void)state;
    char path[] = "/tmp/bo-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("port = 9090\nthreads = 2\nbogus = 1\n", f);
    fclose(f);
    bo_config c;
    bo_config_defaults(&c);
    char err[256];
    assert_int_equal(bo_config_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: bogus: unknown option"));
    assert_int_equal(c.port, 9090);
    unlink(path);
    assert_int_equal(bo_config_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idem_key_good),
        cmocka_unit_test(test_idem_key_bad),
        cmocka_unit_test(test_idem_key_truncations),
        cmocka_unit_test(test_form_good),
        cmocka_unit_test(test_form_bad),
        cmocka_unit_test(test_form_truncations),
        cmocka_unit_test(test_user_code),
        cmocka_unit_test(test_postcode),
        cmocka_unit_test(test_config_parse),
        cmocka_unit_test(test_config_truncations),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_config_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
