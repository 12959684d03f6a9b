/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/str.h"

static int s_pair(struct al_query *q, const char *name, const char *value)
{
    if (q->failed)
        return -1;
    if ((q->buf.len && al_buf_putc(&q->buf, '&')) ||
        al_uri_encode(&q->buf, name, strlen(name), false) || al_buf_putc(&q->buf, '=') ||
        al_uri_encode(&q->buf, value, strlen(value), false)) {
        q->failed = 1;
        return -1;
    }
    return 0;
}

int al_query_init(struct al_query *q, const char *action, const char *version)
{
    al_buf_init(&q->buf, AL_QUERY_MAX_BODY);
    q->failed = 0;
    if (s_pair(q, "Action", action) || s_pair(q, "Version", version))
        return -1;
    return 0;
}

void al_query_clean_up(struct al_query *q)
{
    if (!q)
        return;
    al_buf_clean_up(&q->buf);
}

int al_query_add(struct al_query *q, const char *name, const char *value)
{
    if (!value)
        return q->failed ? -1 : 0;
    return s_pair(q, name, value);
}

int al_query_addf(struct al_query *q, const char *name, const char *fmt, ...)
{
    struct al_buf v;
    va_list ap;
    int rc;
    if (q->failed)
        return -1;
    al_buf_init(&v, AL_QUERY_MAX_BODY);
    va_start(ap, fmt);
    rc = al_buf_vprintf(&v, fmt, ap);
    va_end(ap);
    if (rc)
        q->failed = 1;
    else
        rc = s_pair(q, name, al_buf_str(&v));
    al_buf_clean_up(&v);
    return rc;
}

int al_query_add_member(struct al_query *q,
                        const char *name,
                        size_t index,
                        const char *field,
                        const char *value)
{
    char key[512];
    int n;
    if (q->failed)
        return -1;
    if (field)
        n = snprintf(key, sizeof(key), "%s.member.%zu.%s", name, index, field);
    else
        n = snprintf(key, sizeof(key), "%s.member.%zu", name, index);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        q->failed = 1;
        return al_raise(AL_ERR_LIMIT, "query parameter name too long: %.64s", name);
    }
    return al_query_add(q, key, value);
}

int al_query_add_list(struct al_query *q, const char *name, const char *const *items, size_t n)
{
    if (n == 0)
        return s_pair(q, name, "");
    for (size_t i = 0; i < n; i++)
        if (al_query_add_member(q, name, i + 1, NULL, items[i]))
            return -1;
    return 0;
}

const char *al_query_body(const struct al_query *q)
{
    return q->failed ? NULL : al_buf_str(&q->buf);
}
