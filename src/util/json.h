/* SPDX-License-Identifier: Apache-2.0 */
/* jansson adapter: size-capped parsing with file:line:column errors. */
#ifndef AL_UTIL_JSON_H
#define AL_UTIL_JSON_H

#include <stddef.h>

#include <jansson.h>

/**
 * Parses n bytes of JSON text. On a syntax error raises `code` with
 * "<name>:<line>:<column>: <reason>". @return a new reference (caller
 * json_decref's it) or NULL.
 */
json_t *al_json_parse(const char *text, size_t n, const char *name, int code);

/**
 * Reads a whole file of at most max bytes into a heap buffer (NUL-terminated;
 * caller frees). Raises AL_ERR_IO naming the path, or AL_ERR_LIMIT.
 */
char *al_file_read(const char *path, size_t max, size_t *len_out);

/**
 * Appends n bytes (borrowed) to the file at path, creating it (0644). `what`
 * names the file in errors ("GITHUB_OUTPUT"). @return 0 or -1 (AL_ERR_IO).
 */
int al_file_append(const char *path, const void *data, size_t n, const char *what);

/** Returns the string member `key` of obj, or NULL. Borrowed. */
const char *al_json_str(const json_t *obj, const char *key);

#endif
