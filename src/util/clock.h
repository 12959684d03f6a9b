/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only source of "now". Tests pin it (main reads AIRLOCK_FORCE_TIME); the
 * HTTP layer shifts it by the skew learnt from a server's Date header.
 */
#ifndef AL_UTIL_CLOCK_H
#define AL_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Wall-clock seconds since the epoch, pinned or corrected for skew. */
time_t al_clock_now(void);

/** Pins the wall clock to t (0 unpins). */
void al_clock_pin(time_t t);

/** Sets the offset (server minus local, seconds) applied to al_clock_now. */
void al_clock_set_skew(long seconds);

/** The current skew offset in seconds. */
long al_clock_skew(void);

/** Monotonic milliseconds, for durations and timeouts; never pinned. */
uint64_t al_clock_mono_ms(void);

/** Formats t as ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void al_clock_iso8601(time_t t, char out[21]);

/** Formats t as the SigV4 basic form "YYYYMMDDTHHMMSSZ" into out (17 bytes). */
void al_clock_amz(time_t t, char out[17]);

/**
 * Parses ISO 8601 UTC ("2014-10-24T23:00:23Z", fractional seconds allowed)
 * or an RFC 7231 HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT").
 * @return 0 and *out, or -1 (raised) when it is neither.
 */
int al_clock_parse(const char *s, time_t *out);

/** Sleeps ms milliseconds (restarted on EINTR). */
void al_clock_sleep_ms(uint64_t ms);

#endif
