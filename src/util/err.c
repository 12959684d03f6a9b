/* SPDX-License-Identifier: Apache-2.0 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One per thread: the site's hashing worker fails into its own record, which
 * the main thread takes over when it joins (al_site_hash_end). */
static _Thread_local struct al_error s_error;

int al_raise(enum al_err_code code, const char *fmt, ...)
{
    va_list ap;
    memset(&s_error, 0, sizeof(s_error));
    s_error.code = code;
    va_start(ap, fmt);
    vsnprintf(s_error.msg, sizeof(s_error.msg), fmt, ap);
    va_end(ap);
    return -1;
}

int al_raise_context(const char *fmt, ...)
{
    char ctx[512];
    char old[AL_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    memcpy(old, s_error.msg, sizeof(old));
    /* A message cut at the cap still starts with the context. */
    if (snprintf(s_error.msg, sizeof(s_error.msg), "%s: %s", ctx, old) >= (int)sizeof(s_error.msg))
        s_error.msg[sizeof(s_error.msg) - 1] = '\0';
    if (s_error.code == AL_ERR_NONE)
        s_error.code = AL_ERR_INTERNAL;
    return -1;
}

const struct al_error *al_error_last(void)
{
    return &s_error;
}

struct al_error *al_error_mut(void)
{
    return &s_error;
}

void al_error_clear(void)
{
    memset(&s_error, 0, sizeof(s_error));
}

enum al_exit al_error_exit_code(enum al_err_code code)
{
    switch (code) {
        case AL_ERR_NONE:
            return AL_EXIT_OK;
        case AL_ERR_USAGE:
        case AL_ERR_CONFIG:
        case AL_ERR_NOT_IMPLEMENTED:
            return AL_EXIT_USAGE;
        case AL_ERR_CREDENTIALS:
            return AL_EXIT_CREDENTIALS;
        case AL_ERR_LOCK:
            return AL_EXIT_LOCK;
        default:
            return AL_EXIT_FAILED;
    }
}

const char *al_error_name(enum al_err_code code)
{
    static const char *const names[] = {
        [AL_ERR_NONE] = "none",
        [AL_ERR_INTERNAL] = "internal",
        [AL_ERR_NOMEM] = "out of memory",
        [AL_ERR_IO] = "io",
        [AL_ERR_LIMIT] = "limit",
        [AL_ERR_USAGE] = "usage",
        [AL_ERR_CONFIG] = "config",
        [AL_ERR_PARSE] = "parse",
        [AL_ERR_HTTP] = "http",
        [AL_ERR_AWS] = "aws",
        [AL_ERR_CREDENTIALS] = "credentials",
        [AL_ERR_LOCK] = "lock",
        [AL_ERR_DEPLOY] = "deploy",
        [AL_ERR_NOT_IMPLEMENTED] = "not implemented",
    };
    if ((size_t)code >= sizeof(names) / sizeof(names[0]) || !names[code])
        return "unknown";
    return names[code];
}
