/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include "http/retry.h"

TEST(http_retry_classification)
{
    ASSERT_INT_EQ(al_retry_classify(200, NULL), AL_RETRY_NONE);
    ASSERT_INT_EQ(al_retry_classify(503, "SlowDown"), AL_RETRY_THROTTLE);
    ASSERT_INT_EQ(al_retry_classify(400, "Throttling"), AL_RETRY_THROTTLE);
    ASSERT_INT_EQ(al_retry_classify(429, NULL), AL_RETRY_THROTTLE);
    ASSERT_INT_EQ(al_retry_classify(500, "InternalError"), AL_RETRY_TRANSIENT);
    ASSERT_INT_EQ(al_retry_classify(502, NULL), AL_RETRY_TRANSIENT);
    ASSERT_INT_EQ(al_retry_classify(504, NULL), AL_RETRY_TRANSIENT);
    ASSERT_INT_EQ(al_retry_classify(400, "RequestTimeout"), AL_RETRY_TRANSIENT);
    ASSERT_INT_EQ(al_retry_classify(200, "InternalError"), AL_RETRY_TRANSIENT);
    ASSERT_INT_EQ(al_retry_classify(403, "RequestTimeTooSkewed"), AL_RETRY_SKEW);
    ASSERT_INT_EQ(al_retry_classify(403, "SignatureDoesNotMatch"), AL_RETRY_SKEW);
    ASSERT_INT_EQ(al_retry_classify(403, "AccessDenied"), AL_RETRY_NONE);
    ASSERT_INT_EQ(al_retry_classify(404, "NoSuchKey"), AL_RETRY_NONE);
    ASSERT_INT_EQ(al_retry_classify(412, "PreconditionFailed"), AL_RETRY_NONE);
    ASSERT_INT_EQ(al_retry_classify(400, "ValidationError"), AL_RETRY_NONE);
    ASSERT_INT_EQ(al_retry_classify(400, "IDPCommunicationError"), AL_RETRY_TRANSIENT);
}

TEST(http_retry_quota_standard_mode)
{
    struct al_retry_quota q;
    int n = 0;
    al_retry_quota_init(&q, AL_RETRY_QUOTA_INITIAL);
    ASSERT_INT_EQ(al_retry_quota_acquire(&q, AL_RETRY_TRANSIENT), 5);
    ASSERT_INT_EQ(al_retry_quota_acquire(&q, AL_RETRY_TIMEOUT), 10);
    ASSERT_INT_EQ(q.available, 485);
    al_retry_quota_release(&q, 10); /* success after a retry refunds its cost */
    ASSERT_INT_EQ(q.available, 495);
    al_retry_quota_release(&q, 0); /* first-attempt success refunds 1 */
    ASSERT_INT_EQ(q.available, 496);
    al_retry_quota_release(&q, 5);
    ASSERT_INT_EQ(q.available, 500); /* never past the initial size */
    while (al_retry_quota_acquire(&q, AL_RETRY_THROTTLE))
        n++;
    ASSERT_INT_EQ(n, 100);
    ASSERT_INT_EQ(q.available, 0);
    ASSERT_INT_EQ(al_retry_quota_acquire(&q, AL_RETRY_TRANSIENT), 0);
}

TEST(http_retry_backoff_full_jitter)
{
    struct al_rng r, r2;
    uint64_t max_seen = 0;
    al_rng_seed(&r, 42);
    al_rng_seed(&r2, 42);
    ASSERT_INT_EQ(al_rng_next(&r), al_rng_next(&r2)); /* seedable, reproducible */
    for (int i = 0; i < 2000; i++) {
        uint64_t d1 = al_retry_backoff_ms(&r, 1, 1000, 20000);
        uint64_t d3 = al_retry_backoff_ms(&r, 3, 1000, 20000);
        uint64_t d9 = al_retry_backoff_ms(&r, 9, 1000, 20000);
        uint64_t d99 = al_retry_backoff_ms(&r, 99, 1000, 20000);
        ASSERT(d1 < 1000);
        ASSERT(d3 < 4000);
        ASSERT(d9 < 20000);
        ASSERT(d99 < 20000);
        if (d99 > max_seen)
            max_seen = d99;
    }
    ASSERT(max_seen > 15000); /* the cap is reached, not just the base */
    for (int i = 0; i < 1000; i++) {
        double u = al_rng_unit(&r);
        ASSERT(u >= 0.0 && u < 1.0);
    }
}

TEST(http_retry_hint_honoured)
{
    uint64_t ms = 7;
    ASSERT(al_retry_hint_ms("1500", NULL, &ms));
    ASSERT_INT_EQ(ms, 1500); /* x-amz-retry-after is in milliseconds */
    ASSERT(al_retry_hint_ms(NULL, "2", &ms));
    ASSERT_INT_EQ(ms, 2000); /* Retry-After in seconds */
    ASSERT(al_retry_hint_ms("250", "9", &ms));
    ASSERT_INT_EQ(ms, 250); /* AWS's own header wins */
    ASSERT(al_retry_hint_ms("0", NULL, &ms));
    ASSERT_INT_EQ(ms, 0);
    ASSERT(!al_retry_hint_ms(NULL, NULL, &ms));
    ASSERT_INT_EQ(ms, 0);
    ASSERT_INT_EQ(al_retry_apply_hint(300, 1500), 1500);  /* lengthens the backoff */
    ASSERT_INT_EQ(al_retry_apply_hint(3000, 1000), 3000); /* never shortens it */
    ASSERT_INT_EQ(al_retry_apply_hint(0, 2000), 2000);
}

TEST(http_retry_hint_clamped_to_5s_over_backoff)
{
    uint64_t ms;
    ASSERT_INT_EQ(al_retry_apply_hint(300, 60000), 5300);
    ASSERT_INT_EQ(al_retry_apply_hint(0, 999999999), 5000);
    ASSERT_INT_EQ(al_retry_apply_hint(1000, 6000), 6000); /* exactly +5 s is allowed */
    ASSERT(al_retry_hint_ms(NULL, "120", &ms));
    ASSERT_INT_EQ(al_retry_apply_hint(1000, ms), 6000);
}

TEST(http_retry_hint_malformed_ignored)
{
    const char *bad[] = {
        "",
        "-5",
        "+5",
        " 5",
        "5 ",
        "1.5",
        "5s",
        "0x10",
        "abc",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "1234567890",               /* over the digit cap */
        "184467440737095516160000", /* would overflow 64 bits */
    };
    uint64_t ms;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ms = 7;
        ASSERT(!al_retry_hint_ms(bad[i], NULL, &ms));
        ASSERT_INT_EQ(ms, 0);
        ASSERT(!al_retry_hint_ms(NULL, bad[i], &ms));
    }
    ASSERT(al_retry_hint_ms("123456789", NULL, &ms)); /* nine digits are fine */
    ASSERT_INT_EQ(ms, 123456789);
    ASSERT(al_retry_hint_ms("-5", "3", &ms)); /* a bad AWS hint falls back to Retry-After */
    ASSERT_INT_EQ(ms, 3000);
}
