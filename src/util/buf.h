/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct al_buf: an owned, growable byte buffer with a hard size cap.
 * The data is always NUL-terminated (the NUL is not counted in len), so a
 * buffer of text can be used as a C string. On failure a function leaves the
 * buffer as it was; the owner still calls al_buf_clean_up.
 */
#ifndef AL_UTIL_BUF_H
#define AL_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/err.h"

struct al_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; appending past it raises AL_ERR_LIMIT */
};

/** Initialises caller storage. Owns nothing yet; pair with al_buf_clean_up. */
void al_buf_init(struct al_buf *b, size_t max);

/** Frees the data; the buffer may be re-initialised. NULL-safe. */
void al_buf_clean_up(struct al_buf *b);

/** Empties the buffer and keeps its memory. */
void al_buf_reset(struct al_buf *b);

/** Appends n bytes (borrowed). @return 0, or -1 (AL_ERR_LIMIT / AL_ERR_NOMEM). */
int al_buf_append(struct al_buf *b, const void *p, size_t n);

/** Appends a NUL-terminated string (borrowed). @return 0 or -1. */
int al_buf_puts(struct al_buf *b, const char *s);

/**
 * Appends one byte. @return 0 or -1. Inline: byte-at-a-time readers (the
 * manifest's lines, escapes) call it for every byte.
 */
static inline int al_buf_putc(struct al_buf *b, char c)
{
    /* Room for the byte and the NUL, under the cap: al_buf_append's checks, cheaply. */
    if (b->len < b->max && b->len + 2 <= b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return al_buf_append(b, &c, 1);
}

/** Appends printf-formatted text. @return 0 or -1. */
int al_buf_printf(struct al_buf *b, const char *fmt, ...) AL_PRINTF(2, 3);

/** va_list form of al_buf_printf. @return 0 or -1. */
int al_buf_vprintf(struct al_buf *b, const char *fmt, va_list ap);

/**
 * Returns the data as a heap string and leaves the buffer empty.
 * Caller frees with free(). Never NULL unless out of memory (raised).
 */
char *al_buf_detach(struct al_buf *b);

/** The text, "" when empty. Borrowed; valid until the next change. */
const char *al_buf_str(const struct al_buf *b);

#endif
