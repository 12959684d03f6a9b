/* SPDX-License-Identifier: Apache-2.0 */
#include "util/secret.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* Room for a few multi-line values (a PEM key is ~30 lines, each registered too). */
#define AL_SECRET_MAX 256
#define AL_SECRET_MIN 4

static struct al_strv s_secrets;
static al_secret_hook_fn s_hook;

void al_secret_set_hook(al_secret_hook_fn fn)
{
    s_hook = fn;
}

/* Registers one value; announces it only when it is a single line. */
static int s_add(const char *value, size_t n, bool announce)
{
    char *copy;
    if (n < AL_SECRET_MIN)
        return 0;
    if (!(copy = al_strndup(value, n)))
        return -1;
    if (al_strv_contains(&s_secrets, copy)) {
        free(copy);
        return 0;
    }
    if (s_secrets.len >= AL_SECRET_MAX) {
        free(copy);
        return al_raise(AL_ERR_LIMIT, "too many secret values (limit %d)", AL_SECRET_MAX);
    }
    if (al_strv_push_owned(&s_secrets, copy))
        return -1;
    if (announce && s_hook)
        s_hook(s_secrets.items[s_secrets.len - 1]);
    return 0;
}

/*
 * A log line never holds a line break, so a multi-line value is also
 * registered line by line, and only lines go to ::add-mask:: (one line per
 * command). Splitting at CR as well as LF strips CRLF ends and keeps any CR
 * out of the hook.
 */
int al_secret_add(const char *value)
{
    size_t len, start = 0;
    if (!value || (len = strlen(value)) < AL_SECRET_MIN || al_strv_contains(&s_secrets, value))
        return 0;
    if (value[strcspn(value, "\r\n")] == '\0')
        return s_add(value, len, true);
    if (s_add(value, len, false))
        return -1;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && value[i] != '\r' && value[i] != '\n')
            continue;
        if (s_add(value + start, i - start, true))
            return -1;
        start = i + 1;
    }
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
