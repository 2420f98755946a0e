/*
 * bo_parse: Idempotency-Key values (IETF httpapi Idempotency-Key draft,
 * RFC 8941 section 3.3.3 sf-string), form-urlencoded bodies (WHATWG URL
 * Standard section 5.1) and the config file.  See bo_parse.h.
 */
#include "backoffice/bo_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *bo_parse_strerror(bo_parse_err e)
{
    switch (e) {
    case BO_PARSE_OK: return "ok";
    case BO_PARSE_EMPTY: return "empty";
    case BO_PARSE_TOOLONG: return "too long";
    case BO_PARSE_BADCHAR: return "character not allowed";
    case BO_PARSE_BADQUOTE: return "bad quoting";
    case BO_PARSE_BADESCAPE: return "bad %-escape";
    case BO_PARSE_BADUTF8: return "not valid UTF-8";
    case BO_PARSE_TOOMANY: return "too many fields";
    case BO_PARSE_NOMEM: return "out of memory";
    case BO_PARSE_SYNTAX: return "syntax error (expected key = value)";
    }
    return "unknown parse error";
}

static int is_key_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-';
}

bo_parse_err bo_idem_key_parse(const char *v, size_t len, char *out)
{
    out[0] = '\0';
    while (len > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len > 0 && v[0] == '"') {
        if (len < 2 || v[len - 1] != '"')
            return BO_PARSE_BADQUOTE;
        v++;
        len -= 2;
    }
    if (len == 0)
        return BO_PARSE_EMPTY;
    if (len > BO_IDEM_KEY_MAX)
        return BO_PARSE_TOOLONG;
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '"')
            return BO_PARSE_BADQUOTE;
        if (!is_key_char((unsigned char)v[i]))
            return BO_PARSE_BADCHAR;
    }
    memcpy(out, v, len);
    out[len] = '\0';
    return BO_PARSE_OK;
}

int bo_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return 0;
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into a new string; '+' is a space. */
static bo_parse_err decode(const char *s, size_t len, char **out)
{
    char *d = malloc(len + 1);
    if (!d)
        return BO_PARSE_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            d[o++] = ' ';
        } else if (s[i] == '%') {
            int h, l;
            if (len - i < 3 || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0) {
                free(d);
                return BO_PARSE_BADESCAPE;
            }
            d[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = '\0';
    if (!bo_utf8_valid(d, o)) {
        free(d);
        return BO_PARSE_BADUTF8;
    }
    *out = d;
    return BO_PARSE_OK;
}

void bo_form_free(bo_form *form)
{
    if (!form)
        return;
    for (size_t i = 0; i < form->n; i++) {
        free(form->fields[i].name);
        free(form->fields[i].value);
    }
    free(form->fields);
    form->fields = NULL;
    form->n = 0;
}

bo_parse_err bo_form_parse(const char *s, size_t len, bo_form *form)
{
    form->fields = NULL;
    form->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            if (form->n == BO_FORM_MAX_FIELDS) {
                bo_form_free(form);
                return BO_PARSE_TOOMANY;
            }
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            bo_form_field f = { NULL, NULL };
            bo_parse_err e = decode(s + i, eq - i, &f.name);
            if (e == BO_PARSE_OK)
                e = eq < end ? decode(s + eq + 1, end - eq - 1, &f.value)
                             : decode("", 0, &f.value);
            bo_form_field *nf = NULL;
            if (e == BO_PARSE_OK) {
                nf = realloc(form->fields, (form->n + 1) * sizeof *nf);
                if (!nf)
                    e = BO_PARSE_NOMEM;
            }
            if (e != BO_PARSE_OK) {
                free(f.name);
                free(f.value);
                bo_form_free(form);
                return e;
            }
            form->fields = nf;
            form->fields[form->n++] = f;
        }
        i = end + 1;
    }
    return BO_PARSE_OK;
}

const char *bo_form_get(const bo_form *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->fields[i].name, name) == 0)
            return form->fields[i].value;
    return NULL;
}

bo_parse_err bo_user_code_parse(const char *s, size_t len, char out[10])
{
    out[0] = '\0';
    char c8[8];
    size_t n = 0;
    if (len > 32)
        return BO_PARSE_TOOLONG;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!(c >= 'A' && c <= 'Z') || !strchr(BO_USER_CODE_ALPHABET, c))
            return BO_PARSE_BADCHAR;
        if (n == 8)
            return BO_PARSE_TOOLONG;
        c8[n++] = c;
    }
    if (n != 8)
        return n == 0 ? BO_PARSE_EMPTY : BO_PARSE_SYNTAX;
    memcpy(out, c8, 4);
    out[4] = '-';
    memcpy(out + 5, c8 + 4, 4);
    out[9] = '\0';
    return BO_PARSE_OK;
}

int bo_postcode_normalise(const char *in, char out[9])
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *s = in; s && *s; s++) {
        char c = *s;
        if (c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n == 8)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    if (n < 5 || n > 7)
        return -1;
    const char *inw = out + n - 3;
    if (!(inw[0] >= '0' && inw[0] <= '9') || !(inw[1] >= 'A' && inw[1] <= 'Z') ||
        !(inw[2] >= 'A' && inw[2] <= 'Z') || !(out[0] >= 'A' && out[0] <= 'Z'))
        return -1;
    return 0;
}

#define CONFIG_LINE_MAX 1024

bo_parse_err bo_config_parse(const char *s, size_t len, bo_config_cb cb,
                             void *ctx, int *line)
{
    *line = 0;
    size_t i = 0;
    while (i < len) {
        (*line)++;
        size_t end = i;
        while (end < len && s[end] != '\n')
            end++;
        size_t a = i, b = end;
        i = end + 1;
        if (b > a && s[b - 1] == '\r')
            b--;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        if (a == b || s[a] == '#')
            continue;
        if (b - a > CONFIG_LINE_MAX)
            return BO_PARSE_TOOLONG;
        size_t eq = a;
        while (eq < b && s[eq] != '=')
            eq++;
        if (eq == b)
            return BO_PARSE_SYNTAX;
        size_t ke = eq;
        while (ke > a && (s[ke - 1] == ' ' || s[ke - 1] == '\t'))
            ke--;
        if (ke == a)
            return BO_PARSE_SYNTAX;
        size_t va = eq + 1;
        while (va < b && (s[va] == ' ' || s[va] == '\t'))
            va++;
        size_t vb = b;
        while (vb > va && (s[vb - 1] == ' ' || s[vb - 1] == '\t'))
            vb--;
        char key[CONFIG_LINE_MAX + 1], val[CONFIG_LINE_MAX + 1];
        memcpy(key, s + a, ke - a);
        key[ke - a] = '\0';
        memcpy(val, s + va, vb - va);
        val[vb - va] = '\0';
        if (!bo_utf8_valid(key, ke - a) || !bo_utf8_valid(val, vb - va))
            return BO_PARSE_BADUTF8;
        if (cb(ctx, key, val) != 0)
            return BO_PARSE_BADCHAR;
    }
    return BO_PARSE_OK;
}
