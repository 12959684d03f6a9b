/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The job summary: Markdown built in memory, appended to
 * $GITHUB_STEP_SUMMARY once at the end. The runner drops a step summary over
 * 1 MiB whole, so it is cut at a line boundary below that, with a note.
 */
#ifndef AL_GHA_SUMMARY_H
#define AL_GHA_SUMMARY_H

#include "util/buf.h"

#define AL_SUMMARY_MAX_BYTES (1000u * 1000u)

struct al_summary {
    struct al_buf md;
};

/** Initialises an empty summary. Pair with al_summary_clean_up. */
void al_summary_init(struct al_summary *s);

/** Frees it. NULL-safe. */
void al_summary_clean_up(struct al_summary *s);

/** Appends formatted Markdown as is (the caller escapes untrusted parts). @return 0 or -1. */
int al_summary_add(struct al_summary *s, const char *fmt, ...) AL_PRINTF(2, 3);

/**
 * Appends text escaped for a Markdown table cell or line: '|', '<', '>', '&',
 * '`', '*', '_', '[', ']' and '\' are escaped and newlines become spaces.
 * @return 0 or -1.
 */
int al_summary_escape(struct al_buf *out, const char *text);

/**
 * Cuts md to at most max bytes at a line boundary, adding a visible note when
 * it cut. Exposed for tests. @return 0 or -1.
 */
int al_summary_fit(struct al_buf *md, size_t max);

/**
 * Appends the summary, redacted of secrets and fitted to the space the file
 * has left under the cap, to the file at path. @return 0 or -1.
 */
int al_summary_write_file(const struct al_summary *s, const char *path);

#endif
