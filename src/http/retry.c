/* SPDX-License-Identifier: Apache-2.0 */
#include "http/retry.h"

#include <string.h>

void al_retry_quota_init(struct al_retry_quota *q, int initial)
{
    q->available = initial;
    q->max = initial;
}

int al_retry_quota_acquire(struct al_retry_quota *q, enum al_retry_kind kind)
{
    int cost = kind == AL_RETRY_TIMEOUT ? AL_RETRY_TIMEOUT_COST : AL_RETRY_COST;
    if (q->available < cost)
        return 0;
    q->available -= cost;
    return cost;
}

void al_retry_quota_release(struct al_retry_quota *q, int cost)
{
    q->available += cost > 0 ? cost : AL_RETRY_NO_RETRY_INCREMENT;
    if (q->available > q->max)
        q->available = q->max;
}

void al_rng_seed(struct al_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t al_rng_next(struct al_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double al_rng_unit(struct al_rng *r)
{
    return (double)(al_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t al_retry_backoff_ms(struct al_rng *r, unsigned retry, unsigned base_ms, unsigned cap_ms)
{
    uint64_t ceiling = base_ms;
    for (unsigned i = 1; i < retry && ceiling < cap_ms; i++)
        ceiling *= 2;
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    return (uint64_t)(al_rng_unit(r) * (double)ceiling);
}

/* 1 to AL_RETRY_HINT_DIGITS_MAX digits, nothing else (no sign, space or date). */
static bool s_parse_digits(const char *v, uint64_t *out)
{
    uint64_t n = 0;
    size_t len = 0;
    if (!v)
        return false;
    for (; v[len]; len++) {
        if (v[len] < '0' || v[len] > '9' || len >= AL_RETRY_HINT_DIGITS_MAX)
            return false;
        n = n * 10 + (uint64_t)(v[len] - '0');
    }
    if (len == 0)
        return false;
    *out = n;
    return true;
}

bool al_retry_hint_ms(const char *amz_retry_after, const char *retry_after, uint64_t *out_ms)
{
    uint64_t v;
    *out_ms = 0;
    if (s_parse_digits(amz_retry_after, &v)) {
        *out_ms = v;
        return true;
    }
    if (s_parse_digits(retry_after, &v)) {
        *out_ms = v * 1000u;
        return true;
    }
    return false;
}

uint64_t al_retry_apply_hint(uint64_t backoff_ms, uint64_t hint_ms)
{
    uint64_t ceiling = backoff_ms + AL_RETRY_HINT_EXTRA_MS;
    if (hint_ms > ceiling)
        hint_ms = ceiling;
    return hint_ms > backoff_ms ? hint_ms : backoff_ms;
}

static bool s_in(const char *code, const char *const *list)
{
    if (!code || !*code)
        return false;
    for (; *list; list++)
        if (strcmp(code, *list) == 0)
            return true;
    return false;
}

static const char *const s_throttle[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    NULL,
};

/* S3's InternalError and ServiceUnavailable may come in a 200 body; STS's
 * IDPCommunicationError is retried by botocore (special.py); S3's
 * ConditionalRequestConflict (409) is documented as retryable. */
static const char *const s_transient[] = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "IDPCommunicationError",
    "ConditionalRequestConflict",
    NULL,
};

static const char *const s_skew[] = {
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    NULL,
};

bool al_retry_is_throttle_code(const char *code)
{
    return s_in(code, s_throttle);
}

bool al_retry_is_skew_code(const char *code)
{
    return s_in(code, s_skew);
}

enum al_retry_kind al_retry_classify(long status, const char *code)
{
    if (status >= 200 && status < 300 && (!code || !*code))
        return AL_RETRY_NONE;
    if (s_in(code, s_skew))
        return AL_RETRY_SKEW;
    if (s_in(code, s_throttle) || status == 429)
        return AL_RETRY_THROTTLE;
    if (s_in(code, s_transient) || status == 500 || status == 502 || status == 503 || status == 504)
        return AL_RETRY_TRANSIENT;
    return AL_RETRY_NONE;
}

const char *al_retry_kind_name(enum al_retry_kind kind)
{
    switch (kind) {
        case AL_RETRY_TRANSIENT:
            return "transient";
        case AL_RETRY_THROTTLE:
            return "throttle";
        case AL_RETRY_TIMEOUT:
            return "connection";
        case AL_RETRY_SKEW:
            return "clock skew";
        default:
            return "none";
    }
}
