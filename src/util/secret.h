/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The set of secret values known to this run (keys, session tokens, the OIDC
 * JWT, the webhook URL). Every line that leaves the process (logs, summary,
 * outputs) is passed through al_secret_redact, and in Actions each value is
 * announced with ::add-mask:: through the hook before anything else prints.
 */
#ifndef AL_UTIL_SECRET_H
#define AL_UTIL_SECRET_H

#include <stddef.h>

#include "util/buf.h"

/** Called once per newly registered single-line value (never with CR or LF); borrowed value. */
typedef void (*al_secret_hook_fn)(const char *value);

/** Sets the hook (the Actions writer emits ::add-mask::). NULL to unset. */
void al_secret_set_hook(al_secret_hook_fn fn);

/**
 * Registers a secret (copied). Values shorter than 4 bytes are ignored, like
 * the runner's masker, to keep redaction meaningful. A value with line breaks
 * is registered whole and line by line (split at CR and LF; lines of 4 bytes
 * or more), and only its lines reach the hook, as the runner masks them.
 * Borrows value for the call. @return 0, or -1 (AL_ERR_LIMIT past 256 values).
 */
int al_secret_add(const char *value);

/** Replaces every registered value in text by "***", appending to out. @return 0 or -1. */
int al_secret_redact(struct al_buf *out, const char *text, size_t n);

/** True when text contains a registered secret. */
int al_secret_contains(const char *text);

/** Forgets every secret (tests). */
void al_secret_clear(void);

#endif
