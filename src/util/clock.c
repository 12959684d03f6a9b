/* SPDX-License-Identifier: Apache-2.0 */
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static time_t s_pinned;
static long s_skew;

time_t al_clock_now(void)
{
    time_t base = s_pinned ? s_pinned : time(NULL);
    return base + s_skew;
}

void al_clock_pin(time_t t)
{
    s_pinned = t;
}

void al_clock_set_skew(long seconds)
{
    s_skew = seconds;
}

long al_clock_skew(void)
{
    return s_skew;
}

uint64_t al_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void al_clock_iso8601(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void al_clock_amz(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int al_clock_parse(const char *s, time_t *out)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end) {
        if (*end == '.')
            for (end++; *end >= '0' && *end <= '9'; end++)
                ;
        if (*end != 'Z' && strcmp(end, "+00:00") != 0)
            end = NULL;
    }
    if (!end) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        if (!end || *end)
            return al_raise(AL_ERR_PARSE, "not a timestamp: '%.64s'", s);
    }
    *out = timegm(&tm);
    return 0;
}

void al_clock_sleep_ms(uint64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
