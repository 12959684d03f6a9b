/* SPDX-License-Identifier: Apache-2.0 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/secret.h"

#define AL_LOG_LINE_MAX (64 * 1024)

static bool s_debug;

static void s_plain_writer(enum al_log_level level,
                           const struct al_log_where *where,
                           const char *text)
{
    static const char *const prefix[] = {
        [AL_LOG_DEBUG] = "debug: ",     [AL_LOG_INFO] = "",         [AL_LOG_NOTICE] = "notice: ",
        [AL_LOG_WARNING] = "warning: ", [AL_LOG_ERROR] = "error: ", [AL_LOG_GROUP_BEGIN] = "== ",
        [AL_LOG_GROUP_END] = "",
    };
    if (level == AL_LOG_GROUP_END)
        return;
    if (where && where->title)
        fprintf(stderr, "%s%s: %s\n", prefix[level], where->title, text);
    else
        fprintf(stderr, "%s%s\n", prefix[level], text);
    fflush(stderr);
}

static al_log_writer_fn s_writer = s_plain_writer;

void al_log_set_writer(al_log_writer_fn fn)
{
    s_writer = fn ? fn : s_plain_writer;
}

void al_log_set_debug(bool on)
{
    s_debug = on;
}

bool al_log_debug_enabled(void)
{
    return s_debug;
}

static void s_emit(enum al_log_level level,
                   const struct al_log_where *where,
                   const char *fmt,
                   va_list ap)
{
    struct al_buf raw, clean;
    if (level == AL_LOG_DEBUG && !s_debug)
        return;
    al_buf_init(&raw, AL_LOG_LINE_MAX);
    al_buf_init(&clean, AL_LOG_LINE_MAX + 1024);
    /* An over-long message is cut rather than lost. */
    if (al_buf_vprintf(&raw, fmt, ap) != 0)
        al_buf_puts(&raw, "(log message too long)");
    if (al_secret_redact(&clean, raw.data ? raw.data : "", raw.len) == 0)
        s_writer(level, where, al_buf_str(&clean));
    al_buf_clean_up(&raw);
    al_buf_clean_up(&clean);
}

#define AL_DEFINE_LOG(fn, level)                                                                   \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        s_emit(level, NULL, fmt, ap);                                                              \
        va_end(ap);                                                                                \
    }

AL_DEFINE_LOG(al_log_debug, AL_LOG_DEBUG)
AL_DEFINE_LOG(al_log_info, AL_LOG_INFO)
AL_DEFINE_LOG(al_log_notice, AL_LOG_NOTICE)
AL_DEFINE_LOG(al_log_warning, AL_LOG_WARNING)
AL_DEFINE_LOG(al_log_error, AL_LOG_ERROR)
AL_DEFINE_LOG(al_log_group_begin, AL_LOG_GROUP_BEGIN)

void al_log_annotate(enum al_log_level level,
                     const struct al_log_where *where,
                     const char *fmt,
                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_emit(level, where, fmt, ap);
    va_end(ap);
}

void al_log_group_end(void)
{
    s_writer(AL_LOG_GROUP_END, NULL, "");
}
