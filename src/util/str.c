/* SPDX-License-Identifier: Apache-2.0 */
#include "util/str.h"

#include <stdlib.h>
#include <string.h>

char *al_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *al_strdup(const char *s)
{
    return al_strndup(s, strlen(s));
}

int al_str_set(char **dst, const char *src)
{
    char *p = NULL;
    if (src && !(p = al_strdup(src)))
        return -1;
    free(*dst);
    *dst = p;
    return 0;
}

bool al_streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool al_str_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool al_str_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *al_str_trim(const char *s)
{
    size_t n;
    while (*s && s_is_space(*s))
        s++;
    n = strlen(s);
    while (n && s_is_space(s[n - 1]))
        n--;
    return al_strndup(s, n);
}

bool al_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

void al_strv_init(struct al_strv *v)
{
    v->items = NULL;
    v->len = 0;
    v->cap = 0;
    v->borrowed = false;
}

void al_strv_clean_up(struct al_strv *v)
{
    if (!v)
        return;
    for (size_t i = 0; !v->borrowed && i < v->len; i++)
        free(v->items[i]);
    free(v->items);
    al_strv_init(v);
}

/* Room for one more item. @return 0 or -1. */
static int s_strv_grow(struct al_strv *v)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **p = realloc(v->items, cap * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        v->items = p;
        v->cap = cap;
    }
    return 0;
}

int al_strv_push_owned(struct al_strv *v, char *s)
{
    if (!s)
        return -1;
    if (v->borrowed || s_strv_grow(v)) {
        free(s);
        return v->borrowed ? al_raise(AL_ERR_INTERNAL, "owned string pushed to a borrowed list")
                           : -1;
    }
    v->items[v->len++] = s;
    return 0;
}

int al_strv_push_ref(struct al_strv *v, const char *s)
{
    if (!v->borrowed && v->len)
        return al_raise(AL_ERR_INTERNAL, "borrowed string pushed to an owned list");
    if (s_strv_grow(v))
        return -1;
    v->borrowed = true;
    v->items[v->len++] = (char *)s;
    return 0;
}

int al_strv_push(struct al_strv *v, const char *s)
{
    return al_strv_push_owned(v, al_strdup(s));
}

int al_strv_split_list(struct al_strv *v, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, ",\n");
        char *item = al_strndup(s, n);
        char *trimmed;
        if (!item)
            return -1;
        trimmed = al_str_trim(item);
        free(item);
        if (!trimmed)
            return -1;
        if (*trimmed) {
            if (al_strv_push_owned(v, trimmed))
                return -1;
        } else {
            free(trimmed);
        }
        s += n;
        if (*s)
            s++;
    }
    return 0;
}

bool al_strv_contains(const struct al_strv *v, const char *s)
{
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i], s) == 0)
            return true;
    return false;
}

int al_uri_encode(struct al_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            if (al_buf_putc(out, (char)c))
                return -1;
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            if (al_buf_append(out, esc, 3))
                return -1;
        }
    }
    return 0;
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int al_uri_decode(struct al_buf *out, const char *s, size_t n, bool plus_space)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (n - i < 3)
                return al_raise(AL_ERR_PARSE, "truncated percent escape");
            hi = s_hexval(s[i + 1]);
            lo = s_hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return al_raise(AL_ERR_PARSE, "malformed percent escape");
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (al_buf_putc(out, c))
            return -1;
    }
    return 0;
}
