/* SPDX-License-Identifier: Apache-2.0 */
#include "util/secret.h"

#include <string.h>
#include <stdlib.h>

#include "util/str.h"

#define AL_SECRET_MAX 64

static struct al_strv s_secrets;
static al_secret_hook_fn s_hook;

void al_secret_set_hook(al_secret_hook_fn fn)
{
    s_hook = fn;
}

int al_secret_add(const char *value)
{
    if (!value || strlen(value) < 4 || al_strv_contains(&s_secrets, value))
        return 0;
    if (s_secrets.len >= AL_SECRET_MAX)
        return al_raise(AL_ERR_LIMIT, "too many secret values (limit %d)", AL_SECRET_MAX);
    if (al_strv_push(&s_secrets, value))
        return -1;
    if (s_hook)
        s_hook(value);
    return 0;
}

/* Longest registered secret that starts at p, or 0. */
static size_t s_match_at(const char *p, size_t left)
{
    size_t best = 0;
    for (size_t i = 0; i < s_secrets.len; i++) {
        size_t n = strlen(s_secrets.items[i]);
        if (n <= left && n > best && memcmp(p, s_secrets.items[i], n) == 0)
            best = n;
    }
    return best;
}

int al_secret_redact(struct al_buf *out, const char *text, size_t n)
{
    size_t i = 0, start = 0;
    if (s_secrets.len == 0)
        return al_buf_append(out, text, n);
    while (i < n) {
        size_t m = s_match_at(text + i, n - i);
        if (m == 0) {
            i++;
            continue;
        }
        if (al_buf_append(out, text + start, i - start) || al_buf_puts(out, "***"))
            return -1;
        i += m;
        start = i;
    }
    return al_buf_append(out, text + start, n - start);
}

int al_secret_contains(const char *text)
{
    for (size_t i = 0; i < s_secrets.len; i++)
        if (strstr(text, s_secrets.items[i]))
            return 1;
    return 0;
}

void al_secret_clear(void)
{
    al_strv_clean_up(&s_secrets);
}
