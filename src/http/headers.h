/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An owned list of HTTP header fields (name, value), in order, with a cap on
 * the total size. Lookups ignore the case of names.
 */
#ifndef AL_HTTP_HEADERS_H
#define AL_HTTP_HEADERS_H

#include <stddef.h>

/* Default cap: AWS response headers are small; x-amz-meta-* total 2 KiB. */
#define AL_HTTP_HEADERS_MAX ((size_t)64 << 10)

struct al_http_header {
    char *name;
    char *value;
};

struct al_http_headers {
    struct al_http_header *items;
    size_t len;
    size_t cap;
    size_t bytes;     /* names and values so far */
    size_t max_bytes; /* hard cap; adding past it raises AL_ERR_LIMIT */
};

/** Initialises caller storage; pair with al_http_headers_clean_up. max_bytes 0 = default. */
void al_http_headers_init(struct al_http_headers *h, size_t max_bytes);

/** Frees every field. NULL-safe; the list may be reused after al_http_headers_init. */
void al_http_headers_clean_up(struct al_http_headers *h);

/** Removes every field and keeps the array. */
void al_http_headers_reset(struct al_http_headers *h);

/** Appends a field; copies both (borrowed). @return 0, or -1 (AL_ERR_LIMIT / AL_ERR_NOMEM). */
int al_http_headers_add(struct al_http_headers *h, const char *name, const char *value);

/** Appends a field from counted strings (borrowed, copied). @return 0 or -1. */
int al_http_headers_addn(struct al_http_headers *h,
                         const char *name,
                         size_t name_len,
                         const char *value,
                         size_t value_len);

/** The value of the first field named name (any case), or NULL. Borrowed from h. */
const char *al_http_headers_get(const struct al_http_headers *h, const char *name);

/** True when the list has a field named name (any case). */
int al_http_headers_has(const struct al_http_headers *h, const char *name);

#endif
