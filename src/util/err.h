/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One error record per thread (in practice the main thread's; a worker's is
 * copied over when it is joined). A failing function fills it once, where the
 * context is known, and returns -1 (or NULL); callers pass the failure up
 * without logging it again. main.c maps the code to the exit status.
 */
#ifndef AL_UTIL_ERR_H
#define AL_UTIL_ERR_H

#include <stddef.h>

enum al_err_code {
    AL_ERR_NONE = 0,
    AL_ERR_INTERNAL, /* a bug or an impossible state */
    AL_ERR_NOMEM,
    AL_ERR_IO,          /* local file or stream */
    AL_ERR_LIMIT,       /* a size cap was hit */
    AL_ERR_USAGE,       /* bad flag, input or config value: exit 2 */
    AL_ERR_CONFIG,      /* bad config file: exit 2 */
    AL_ERR_PARSE,       /* malformed JSON/YAML/XML from a trusted-looking source */
    AL_ERR_HTTP,        /* transport failure after retries */
    AL_ERR_AWS,         /* AWS answered with an error */
    AL_ERR_CREDENTIALS, /* credentials or permission: exit 3 */
    AL_ERR_LOCK,        /* the release lock is held: exit 4 */
    AL_ERR_DEPLOY,      /* a deploy or rollback step failed: exit 1 */
    AL_ERR_NOT_IMPLEMENTED,
};

/* Exit codes documented in the README. */
enum al_exit {
    AL_EXIT_OK = 0,
    AL_EXIT_FAILED = 1,
    AL_EXIT_USAGE = 2,
    AL_EXIT_CREDENTIALS = 3,
    AL_EXIT_LOCK = 4,
};

#define AL_ERR_MSG_MAX 2048

struct al_error {
    enum al_err_code code;
    char msg[AL_ERR_MSG_MAX];
    /* Filled for AWS errors only (empty strings otherwise). */
    char service[32];
    char operation[64];
    char aws_code[128];
    char request_id[128];
    int http_status;
};

#if defined(__GNUC__)
#define AL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AL_PRINTF(a, b)
#endif

/**
 * Records an error (replacing any earlier one) and returns -1.
 * @param code category, decides the exit code
 * @param fmt printf format for the message
 * @return always -1, so callers can `return al_raise(...)`
 */
int al_raise(enum al_err_code code, const char *fmt, ...) AL_PRINTF(2, 3);

/**
 * Prepends context to the current message ("while X: <old message>").
 * Use sparingly: only where the lower layer could not know the context.
 * @return always -1
 */
int al_raise_context(const char *fmt, ...) AL_PRINTF(1, 2);

/**
 * The current error record. Borrowed; valid until the next al_raise.
 */
const struct al_error *al_error_last(void);

/** Writable access for the AWS error parser to fill the AWS fields. Borrowed. */
struct al_error *al_error_mut(void);

/** Clears the record (used when an error is handled, e.g. a retried call). */
void al_error_clear(void);

/** Maps an error code to the documented exit code. */
enum al_exit al_error_exit_code(enum al_err_code code);

/** Short stable name for a code ("usage", "aws", ...). Static string. */
const char *al_error_name(enum al_err_code code);

#endif
