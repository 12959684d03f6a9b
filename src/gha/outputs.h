/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step outputs. In Actions they are appended to $GITHUB_OUTPUT in the
 * toolkit's heredoc form (name<<ghadelimiter_<uuid> ... ) with a fresh random
 * delimiter per record; outside Actions they go to stdout as name=value lines
 * or one JSON object. Values are redacted of secrets.
 */
#ifndef AL_GHA_OUTPUTS_H
#define AL_GHA_OUTPUTS_H

#include <stdbool.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/str.h"

/* GitHub's limit is 1 MB per job for all outputs; stay under it. */
#define AL_OUTPUTS_MAX_BYTES (1000u * 1000u)

struct al_outputs {
    struct al_strv names;
    struct al_strv values;
};

/** Initialises an empty set. Pair with al_outputs_clean_up. */
void al_outputs_init(struct al_outputs *o);

/** Frees everything. NULL-safe. */
void al_outputs_clean_up(struct al_outputs *o);

/**
 * Sets (or replaces) an output. Names are 1-200 characters of
 * [A-Za-z0-9_.-]; anything else raises AL_ERR_INTERNAL. Copies both.
 * @return 0 or -1.
 */
int al_outputs_set(struct al_outputs *o, const char *name, const char *value);

/** Makes any text a valid output name ("Stack.Out Key" -> "Stack.Out_Key"). Caller frees. */
char *al_outputs_name(const char *text);

/**
 * Appends one record in the runner's file-command form to out, with the
 * given delimiter; refuses a name or value containing it. @return 0 or -1.
 */
int al_outputs_record(struct al_buf *out, const char *name, const char *value, const char *delim);

/** Appends every output to the file at path (borrowed). @return 0 or -1. */
int al_outputs_write_file(const struct al_outputs *o, const char *path);

/** Prints every output to f as name=value lines (newlines as \n) or as one JSON object. */
int al_outputs_print(const struct al_outputs *o, FILE *f, bool json);

/** The value of an output or NULL. Borrowed. */
const char *al_outputs_get(const struct al_outputs *o, const char *name);

#endif
