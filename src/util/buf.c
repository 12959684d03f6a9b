/* SPDX-License-Identifier: Apache-2.0 */
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void al_buf_init(struct al_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void al_buf_clean_up(struct al_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void al_buf_reset(struct al_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int s_reserve(struct al_buf *b, size_t extra)
{
    size_t need;
    size_t cap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return al_raise(AL_ERR_LIMIT, "buffer limit of %zu bytes exceeded", b->max);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return al_raise(AL_ERR_NOMEM, "out of memory (%zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int al_buf_append(struct al_buf *b, const void *p, size_t n)
{
    if (s_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int al_buf_puts(struct al_buf *b, const char *s)
{
    return al_buf_append(b, s, strlen(s));
}

int al_buf_vprintf(struct al_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return al_raise(AL_ERR_INTERNAL, "bad format string");
    if (s_reserve(b, (size_t)n))
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int al_buf_printf(struct al_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = al_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *al_buf_detach(struct al_buf *b)
{
    char *p;
    if (!b->data) {
        if (s_reserve(b, 0))
            return NULL;
        b->data[0] = '\0';
    }
    p = b->data;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

const char *al_buf_str(const struct al_buf *b)
{
    return b->data ? b->data : "";
}
