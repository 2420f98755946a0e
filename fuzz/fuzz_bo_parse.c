/*
 * libFuzzer target: the back office's parsers of outside text
 * (backoffice/bo_parse.c).  The same bytes go to each: the Idempotency-Key
 * header parser, the form-urlencoded body parser (Open311 POSTs, phone
 * pages, OAuth), the RFC 8628 user-code parser, the UK postcode parser and
 * the config-file parser.
 * Every parsed value is checked against the grammar it claims to satisfy.
 */
#include "backoffice/bo_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(void *ctx, const char *key, const char *value)
{
    (void)value;
    if (!key[0])
        abort(); /* the parser promised a non-empty key */
    (*(int *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so that any read past the end is caught. */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);

    char key[BO_IDEM_KEY_MAX + 1];
    if (bo_idem_key_parse(s, size, key) == BO_PARSE_OK) {
        size_t n = strlen(key);
        if (n == 0 || n > BO_IDEM_KEY_MAX || strspn(key,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != n)
            abort();
    }

    bo_form form;
    if (bo_form_parse(s, size, &form) == BO_PARSE_OK) {
        if (form.n > BO_FORM_MAX_FIELDS)
            abort();
        for (size_t i = 0; i < form.n; i++)
            if (!bo_utf8_valid(form.fields[i].name, strlen(form.fields[i].name)) ||
                !bo_utf8_valid(form.fields[i].value, strlen(form.fields[i].value)))
                abort();
        bo_form_free(&form);
    } else if (form.n != 0) {
        abort();
    }

    char code[10];
    if (bo_user_code_parse(s, size, code) == BO_PARSE_OK &&
        (strlen(code) != 9 || code[4] != '-'))
        abort();

    /* The postcode parser reads a NUL-terminated query value. */
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        char pc[9];
        if (bo_postcode_normalise(z, pc) == 0 && (strlen(pc) < 5 || strlen(pc) > 7))
            abort();
        free(z);
    }

    int n = 0, line = 0;
    (void)bo_config_parse(s, size, count_cb, &n, &line);

    free(s);
    return 0;
}
