/* SPDX-License-Identifier: Apache-2.0 */
/* Small string helpers and an owned string vector. */
#ifndef AL_UTIL_STR_H
#define AL_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/** An owned vector of owned strings (or of borrowed ones: al_strv_push_ref). */
struct al_strv {
    char **items;
    size_t len;
    size_t cap;
    bool borrowed; /* items point into storage that outlives the vector: not freed */
};

/** Returns a heap copy of s; caller frees. NULL (raised) when out of memory. */
char *al_strdup(const char *s);

/** Returns a heap copy of the first n bytes of s; caller frees. */
char *al_strndup(const char *s, size_t n);

/** Replaces *dst with a copy of src (NULL allowed), freeing the old one. @return 0 or -1. */
int al_str_set(char **dst, const char *src);

/** True when both are non-NULL and equal. */
bool al_streq(const char *a, const char *b);

/** True when s starts with prefix. */
bool al_str_prefix(const char *s, const char *prefix);

/** True when s ends with suffix. */
bool al_str_suffix(const char *s, const char *suffix);

/**
 * Returns a heap copy of s without surrounding white space (space, tab, CR,
 * LF), as the Actions toolkit trims inputs. Caller frees.
 */
char *al_str_trim(const char *s);

/** True when s is valid UTF-8 of n bytes (no overlongs, no surrogates). */
bool al_utf8_valid(const char *s, size_t n);

/** Initialises an empty vector (caller storage). */
void al_strv_init(struct al_strv *v);

/** Frees every item and the array. NULL-safe. */
void al_strv_clean_up(struct al_strv *v);

/** Appends a copy of s. @return 0 or -1. */
int al_strv_push(struct al_strv *v, const char *s);

/** Appends s, taking ownership of it (freed on failure too). @return 0 or -1. */
int al_strv_push_owned(struct al_strv *v, char *s);

/**
 * Appends s itself, not a copy: s must outlive v, and v must hold only
 * borrowed items (it becomes a borrowed vector; al_strv_push on it fails).
 * Spares a copy of every key of a 100,000-file site. @return 0 or -1.
 */
int al_strv_push_ref(struct al_strv *v, const char *s);

/**
 * Splits a list input (comma- or newline-separated) into trimmed, non-empty
 * items appended to v. @return 0 or -1.
 */
int al_strv_split_list(struct al_strv *v, const char *s);

/** True when v holds a string equal to s. */
bool al_strv_contains(const struct al_strv *v, const char *s);

/**
 * Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
 * keep_slash), uppercase hex, as SigV4's UriEncode. Appends to out.
 * @return 0 or -1.
 */
int al_uri_encode(struct al_buf *out, const char *s, size_t n, bool keep_slash);

/**
 * Decodes %XX escapes (and '+' as space when plus_space) of s into out.
 * @return 0, or -1 on a malformed escape.
 */
int al_uri_decode(struct al_buf *out, const char *s, size_t n, bool plus_space);

#endif
