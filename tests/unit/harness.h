/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal test harness: TEST(name) registers a case; ASSERT_* end the case
 * on the first failure. The runner prints one line per case and ends with
 * "N passed, N failed" (the project-wide closing line).
 */
#ifndef AL_TEST_HARNESS_H
#define AL_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

struct al_test {
    const char *name;
    void (*fn)(void);
    struct al_test *next;
};

void al_test_register(struct al_test *t);
void al_test_fail(const char *file, int line, const char *fmt, ...) AL_PRINTF(3, 4);
void al_test_skip(const char *why);
bool al_test_failed(void);

/** The shared test data folder ($AIRLOCK_TESTDATA or ../shared/testdata), or NULL. */
const char *al_test_data_dir(void);

/** Reads a whole file into a heap string (caller frees), NULL when absent. */
char *al_test_read_file(const char *path, size_t *len);

/** A fresh temporary directory for this case (heap path; caller frees). */
char *al_test_tmpdir(void);

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    static struct al_test s_test_##name = { #name, name, 0 };                                      \
    __attribute__((constructor)) static void s_register_##name(void)                               \
    {                                                                                              \
        al_test_register(&s_test_##name);                                                          \
    }                                                                                              \
    static void name(void)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            al_test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        if ((expr) != 0) {                                                                         \
            al_test_fail(__FILE__, __LINE__, "%s failed: %s", #expr, al_error_last()->msg);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_FAILS(expr)                                                                         \
    do {                                                                                           \
        if ((expr) == 0) {                                                                         \
            al_test_fail(__FILE__, __LINE__, "%s succeeded, expected failure", #expr);             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            al_test_fail(__FILE__,                                                                 \
                         __LINE__,                                                                 \
                         "%s != %s\n  got:      '%s'\n  expected: '%s'",                           \
                         #a,                                                                       \
                         #b,                                                                       \
                         a_ ? a_ : "(null)",                                                       \
                         b_ ? b_ : "(null)");                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            al_test_fail(__FILE__, __LINE__, "'%s' not found in: %s", n_, h_ ? h_ : "(null)");     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            al_test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_);             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
