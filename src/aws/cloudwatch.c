/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/cloudwatch.h"

#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/str.h"

/* A page of 100 alarms with their reasons and reason data (JSON) is well under this. */
#define CW_BODY_MAX ((size_t)8 << 20)
#define CW_TOKEN_MAX ((size_t)4096)

void al_cw_alarms_init(struct al_cw_alarms *l)
{
    memset(l, 0, sizeof(*l));
}

void al_cw_alarms_clean_up(struct al_cw_alarms *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].name);
        free(l->items[i].state);
        free(l->items[i].reason);
        free(l->items[i].changed);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const struct al_cw_alarm *al_cw_alarms_find(const struct al_cw_alarms *l, const char *name)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static int s_add(struct al_cw_alarms *l, const struct al_xml_node *m, bool composite)
{
    const char *name = al_xml_text(m, "AlarmName"), *state = al_xml_text(m, "StateValue");
    const char *reason = al_xml_text(m, "StateReason");
    const char *changed = al_xml_text(m, "StateTransitionedTimestamp");
    struct al_cw_alarm *a;
    if (!name || !*name || !state)
        return al_raise(AL_ERR_PARSE,
                        "cloudwatch DescribeAlarms: an alarm without a name or state");
    if (al_cw_alarms_find(l, name))
        return 0;
    if (l->len >= AL_CW_MAX_ALARMS)
        return al_raise(AL_ERR_LIMIT,
                        "alarms: more than %u alarms match; name fewer (a prefix* pattern may be "
                        "too broad)",
                        AL_CW_MAX_ALARMS);
    if (!changed || !*changed)
        changed = al_xml_text(m, "StateUpdatedTimestamp");
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct al_cw_alarm *n = realloc(l->items, cap * sizeof(*n));
        if (!n)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        l->items = n;
        l->cap = cap;
    }
    a = &l->items[l->len];
    memset(a, 0, sizeof(*a));
    a->composite = composite;
    if (!(a->name = al_strdup(name)) || !(a->state = al_strdup(state)) ||
        !(a->reason = al_strdup(reason ? reason : "")) ||
        !(a->changed = al_strdup(changed ? changed : ""))) {
        free(a->name);
        free(a->state);
        free(a->reason);
        return -1;
    }
    l->len++;
    return 0;
}

int al_cw_parse_describe_alarms(const char *body,
                                size_t n,
                                struct al_cw_alarms *out,
                                struct al_buf *next)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res, *m;
    const char *token;
    int rc = -1;

    al_buf_reset(next);
    if (al_xml_parse(body, n, NULL, &doc))
        goto cleanup;
    res = al_xml_child(al_xml_root(doc), "DescribeAlarmsResult");
    if (!res) {
        al_raise(AL_ERR_PARSE, "cloudwatch DescribeAlarms: the answer has no DescribeAlarmsResult");
        goto cleanup;
    }
    for (m = al_xml_find(res, "MetricAlarms/member"); m; m = al_xml_next_same(m))
        if (s_add(out, m, false))
            goto cleanup;
    for (m = al_xml_find(res, "CompositeAlarms/member"); m; m = al_xml_next_same(m))
        if (s_add(out, m, true))
            goto cleanup;
    token = al_xml_text(res, "NextToken");
    if (token && *token && al_buf_puts(next, token))
        goto cleanup;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    return rc;
}

/* One DescribeAlarms lookup (names or a prefix), every page. */
static int s_lookup(struct al_aws_ctx *ctx,
                    const char *const *names,
                    size_t n_names,
                    const char *prefix,
                    struct al_cw_alarms *out)
{
    static const char *const types[] = { "MetricAlarm", "CompositeAlarm" };
    struct al_http_response resp;
    struct al_buf next;
    struct al_query q;
    int rc = -1;

    al_buf_init(&next, CW_TOKEN_MAX);
    memset(&q, 0, sizeof(q));
    for (unsigned page = 0;; page++) {
        struct al_aws_call_spec spec;
        const char *body;
        if (page >= AL_CW_MAX_PAGES) {
            al_raise(AL_ERR_LIMIT,
                     "cloudwatch DescribeAlarms: more than %u pages; name fewer alarms",
                     AL_CW_MAX_PAGES);
            goto cleanup;
        }
        al_query_clean_up(&q);
        if (al_query_init(&q, "DescribeAlarms", AL_CW_API_VERSION))
            goto cleanup;
        if (n_names)
            al_query_add_list(&q, "AlarmNames", names, n_names);
        if (prefix)
            al_query_add(&q, "AlarmNamePrefix", prefix);
        al_query_add_list(&q, "AlarmTypes", types, 2);
        al_query_addf(&q, "MaxRecords", "%u", AL_CW_PAGE);
        if (next.len)
            al_query_add(&q, "NextToken", al_buf_str(&next));
        if (!(body = al_query_body(&q)))
            goto cleanup;
        al_aws_query_spec(&spec, AL_SVC_CLOUDWATCH, "DescribeAlarms", body);
        al_http_response_init(&resp, CW_BODY_MAX);
        if (al_aws_request(ctx, &spec, &resp) ||
            al_cw_parse_describe_alarms(al_buf_str(&resp.body), resp.body.len, out, &next)) {
            al_http_response_clean_up(&resp);
            goto cleanup;
        }
        al_http_response_clean_up(&resp);
        if (!next.len)
            break;
    }
    rc = 0;
cleanup:
    al_query_clean_up(&q);
    al_buf_clean_up(&next);
    return rc;
}

int al_cw_describe_alarms(struct al_aws_ctx *ctx,
                          const char *const *names,
                          size_t n_names,
                          const char *prefix,
                          struct al_cw_alarms *out)
{
    /* AlarmNames and AlarmNamePrefix cannot be combined: separate lookups. */
    for (size_t i = 0; i < n_names; i += AL_CW_PAGE) {
        size_t n = n_names - i < AL_CW_PAGE ? n_names - i : AL_CW_PAGE;
        if (s_lookup(ctx, names + i, n, NULL, out))
            return -1;
    }
    if (prefix && s_lookup(ctx, NULL, 0, prefix, out))
        return -1;
    return 0;
}
