/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS SDKs' "standard" retry mode (botocore retries/standard.py,
 * quota.py): which failures are retried, full-jitter exponential backoff
 * capped at 20 s, and the retry quota (a token bucket of 500; a retry costs
 * 5, or 10 after a timeout or connection error; a first-attempt success
 * refunds 1, a success after retries refunds what its last retry took). A
 * server's hint (x-amz-retry-after, Retry-After) may lengthen a backoff, as
 * in the SDKs' 2026 behaviour.
 * Pure functions and plain structs, so tests can drive them directly; every
 * pointer argument is borrowed for the call and nothing is kept.
 */
#ifndef AL_HTTP_RETRY_H
#define AL_HTTP_RETRY_H

#include <stdbool.h>
#include <stdint.h>

enum al_retry_kind {
    AL_RETRY_NONE = 0,  /* not retryable (or success) */
    AL_RETRY_TRANSIENT, /* 500/502/503/504, RequestTimeout, ... */
    AL_RETRY_THROTTLE,  /* Throttling, SlowDown, 429, ... */
    AL_RETRY_TIMEOUT,   /* connection error or timeout: costs more */
    AL_RETRY_SKEW,      /* the clock was corrected from the server's Date */
};

#define AL_RETRY_QUOTA_INITIAL 500
#define AL_RETRY_COST 5
#define AL_RETRY_TIMEOUT_COST 10
#define AL_RETRY_NO_RETRY_INCREMENT 1
#define AL_RETRY_BASE_MS 1000u
#define AL_RETRY_CAP_MS 20000u
#define AL_RETRY_MAX_ATTEMPTS 3u
/* A server's retry hint may lengthen a backoff by at most this much. */
#define AL_RETRY_HINT_EXTRA_MS 5000u
/* Longer hint values are ignored: no overflow, and no one waits that long. */
#define AL_RETRY_HINT_DIGITS_MAX 9u

struct al_retry_quota {
    int available;
    int max;
};

/** A small seedable PRNG (splitmix64) for jitter; no global state. */
struct al_rng {
    uint64_t state;
};

/** Fills caller storage with a full bucket of initial tokens. */
void al_retry_quota_init(struct al_retry_quota *q, int initial);

/**
 * Takes the cost of one retry of this kind from the bucket.
 * @return the cost taken (> 0), or 0 when the bucket cannot pay (do not retry)
 */
int al_retry_quota_acquire(struct al_retry_quota *q, enum al_retry_kind kind);

/**
 * Gives tokens back after a success: cost is what the call's last retry took,
 * or 0 for a first-attempt success (refunds AL_RETRY_NO_RETRY_INCREMENT).
 * Never fills past the initial size.
 */
void al_retry_quota_release(struct al_retry_quota *q, int cost);

/** Seeds the generator (any value, 0 included). */
void al_rng_seed(struct al_rng *r, uint64_t seed);

/** The next 64 random bits. */
uint64_t al_rng_next(struct al_rng *r);

/** A uniform double in [0, 1). */
double al_rng_unit(struct al_rng *r);

/**
 * Full-jitter backoff before retry number `retry` (1 for the first retry):
 * rand[0,1) * min(base * 2^(retry-1), cap) milliseconds.
 */
uint64_t al_retry_backoff_ms(struct al_rng *r, unsigned retry, unsigned base_ms, unsigned cap_ms);

/**
 * The server's retry hint in milliseconds, from the values of the response
 * headers x-amz-retry-after (milliseconds; preferred) and Retry-After
 * (delta-seconds only; an HTTP date is ignored). Either may be NULL. A value
 * counts only when it is 1 to AL_RETRY_HINT_DIGITS_MAX ASCII digits. Borrows
 * both for the call; raises nothing.
 * @return true and *out_ms, or false (*out_ms = 0) when neither is usable
 */
bool al_retry_hint_ms(const char *amz_retry_after, const char *retry_after, uint64_t *out_ms);

/**
 * The wait before a retry given a server hint: max(backoff, min(hint,
 * backoff + AL_RETRY_HINT_EXTRA_MS)), so a hint lengthens the backoff by
 * 5 s at most and never shortens it (the 2026 SDK retry behaviour).
 */
uint64_t al_retry_apply_hint(uint64_t backoff_ms, uint64_t hint_ms);

/** True for the throttling error codes of reference H. NULL-safe. */
bool al_retry_is_throttle_code(const char *code);

/** True for codes that mean the request's clock was off (RequestTimeTooSkewed, ...). NULL-safe. */
bool al_retry_is_skew_code(const char *code);

/**
 * Classifies an answered request by HTTP status and AWS error code (code
 * NULL or "" when the body had none).
 */
enum al_retry_kind al_retry_classify(long status, const char *code);

/** Short name of a kind for logs ("throttle", ...). Static. */
const char *al_retry_kind_name(enum al_retry_kind kind);

#endif
