/* SPDX-License-Identifier: Apache-2.0 */
#include "http/headers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/str.h"

void al_http_headers_init(struct al_http_headers *h, size_t max_bytes)
{
    h->items = NULL;
    h->len = 0;
    h->cap = 0;
    h->bytes = 0;
    h->max_bytes = max_bytes ? max_bytes : AL_HTTP_HEADERS_MAX;
}

void al_http_headers_reset(struct al_http_headers *h)
{
    for (size_t i = 0; i < h->len; i++) {
        free(h->items[i].name);
        free(h->items[i].value);
    }
    h->len = 0;
    h->bytes = 0;
}

void al_http_headers_clean_up(struct al_http_headers *h)
{
    if (!h)
        return;
    al_http_headers_reset(h);
    free(h->items);
    h->items = NULL;
    h->cap = 0;
}

int al_http_headers_addn(struct al_http_headers *h,
                         const char *name,
                         size_t name_len,
                         const char *value,
                         size_t value_len)
{
    char *n = NULL, *v = NULL;
    if (name_len + value_len > h->max_bytes || h->bytes > h->max_bytes - name_len - value_len)
        return al_raise(AL_ERR_LIMIT, "HTTP headers over the %zu byte limit", h->max_bytes);
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct al_http_header *p = realloc(h->items, cap * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        h->items = p;
        h->cap = cap;
    }
    if (!(n = al_strndup(name, name_len)) || !(v = al_strndup(value, value_len))) {
        free(n);
        return -1;
    }
    h->items[h->len].name = n;
    h->items[h->len].value = v;
    h->len++;
    h->bytes += name_len + value_len;
    return 0;
}

int al_http_headers_add(struct al_http_headers *h, const char *name, const char *value)
{
    return al_http_headers_addn(
      h, name, strlen(name), value ? value : "", value ? strlen(value) : 0);
}

const char *al_http_headers_get(const struct al_http_headers *h, const char *name)
{
    for (size_t i = 0; i < h->len; i++)
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    return NULL;
}

int al_http_headers_has(const struct al_http_headers *h, const char *name)
{
    return al_http_headers_get(h, name) != NULL;
}
