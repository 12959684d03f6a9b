/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log lines. Modules format a message; a writer set by main decides where it
 * goes: plain lines on stderr in a terminal, workflow commands on stdout in
 * Actions (src/gha/commands.c). Every message is redacted of secrets first.
 */
#ifndef AL_UTIL_LOG_H
#define AL_UTIL_LOG_H

#include <stdbool.h>

#include "util/err.h"

enum al_log_level {
    AL_LOG_DEBUG,
    AL_LOG_INFO,
    AL_LOG_NOTICE,
    AL_LOG_WARNING,
    AL_LOG_ERROR,
    AL_LOG_GROUP_BEGIN,
    AL_LOG_GROUP_END,
};

/** An annotation's location and title; every field optional. */
struct al_log_where {
    const char *file;
    int line;
    const char *title;
};

/** The writer: receives redacted text (borrowed). */
typedef void (*al_log_writer_fn)(enum al_log_level level,
                                 const struct al_log_where *where,
                                 const char *text);

/** Installs a writer (NULL restores the plain stderr writer). */
void al_log_set_writer(al_log_writer_fn fn);

/** Enables or disables debug lines. */
void al_log_set_debug(bool on);

/** True when debug lines are shown. */
bool al_log_debug_enabled(void);

void al_log_debug(const char *fmt, ...) AL_PRINTF(1, 2);
void al_log_info(const char *fmt, ...) AL_PRINTF(1, 2);
void al_log_notice(const char *fmt, ...) AL_PRINTF(1, 2);
void al_log_warning(const char *fmt, ...) AL_PRINTF(1, 2);
void al_log_error(const char *fmt, ...) AL_PRINTF(1, 2);

/** An annotation with a file/line/title (borrowed where). */
void al_log_annotate(enum al_log_level level,
                     const struct al_log_where *where,
                     const char *fmt,
                     ...) AL_PRINTF(3, 4);

/** Starts a collapsible group (::group:: in Actions). */
void al_log_group_begin(const char *fmt, ...) AL_PRINTF(1, 2);

/** Ends the current group. */
void al_log_group_end(void);

#endif
