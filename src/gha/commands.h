/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workflow commands on stdout (runner ActionCommand.cs rules): the log writer
 * for Actions, ::add-mask::, groups, annotations, and ::stop-commands:: around
 * echoed untrusted text. Text that is not a command we mean is neutralised, so
 * an S3 key or an AWS message cannot inject one.
 */
#ifndef AL_GHA_COMMANDS_H
#define AL_GHA_COMMANDS_H

#include <stdio.h>

#include "util/buf.h"
#include "util/log.h"

/** Escapes command data as the toolkit does (%, CR, LF). @return 0 or -1. */
int al_gha_escape_data(struct al_buf *out, const char *s);

/** Escapes a command property (%, CR, LF, ':', ','). @return 0 or -1. */
int al_gha_escape_property(struct al_buf *out, const char *s);

/**
 * Sends workflow commands and log lines to `out` (borrowed; stdout in
 * Actions). Installs the log writer and the secret hook (::add-mask::).
 */
void al_gha_commands_install(FILE *out);

/**
 * Pauses command processing: prints ::stop-commands::<random token> and
 * stores the token in `token` (65 bytes). @return 0 or -1.
 */
int al_gha_stop_commands(char token[65]);

/** Resumes command processing after al_gha_stop_commands. */
void al_gha_resume_commands(const char token[65]);

#endif
