/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/cloudformation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/str.h"

static const char *const s_capabilities[] = {
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
};

/* Reads an operation's <OpResult> element (NULL when the answer has none) into out. */
typedef int (*s_parse_fn)(const struct al_xml_node *res, void *out);

/*
 * Sends q as op. With parse, the answer is parsed and its <OpResult> handed
 * to parse; without, the answer carries nothing we read and is not parsed.
 */
static int s_send(const struct al_cfn *c,
                  const char *op,
                  const struct al_query *q,
                  s_parse_fn parse,
                  void *out)
{
    struct al_aws_call_spec spec;
    struct al_http_response resp;
    struct al_xml_doc *doc = NULL;
    const char *body = al_query_body(q);
    char name[96];
    int rc = -1;

    if (!body)
        return -1; /* the first failed add is the current error */
    al_http_response_init(&resp, AL_CFN_BODY_MAX);
    al_aws_query_spec(&spec, AL_SVC_CLOUDFORMATION, op, body);
    spec.region = c->region;
    if (al_aws_request(c->ctx, &spec, &resp))
        goto cleanup;
    if (!parse) {
        rc = 0;
        goto cleanup;
    }
    if (al_xml_parse(al_buf_str(&resp.body), resp.body.len, NULL, &doc)) {
        al_raise_context("cloudformation %s answer", op);
        goto cleanup;
    }
    snprintf(name, sizeof(name), "%sResult", op);
    rc = parse(al_xml_child(al_xml_root(doc), name), out);
cleanup:
    al_xml_doc_free(doc);
    al_http_response_clean_up(&resp);
    return rc;
}

/*
 * An operation whose parameters are plain values: params, up to a NULL
 * name, sent in that order (a NULL value is not sent). parse as s_send's.
 */
static int s_op(const struct al_cfn *c,
                const char *op,
                const struct al_kv *params,
                s_parse_fn parse,
                void *out)
{
    struct al_query q;
    int rc;
    /* Adds are sticky: s_send reports the first that failed. */
    al_query_init(&q, op, AL_CFN_VERSION);
    for (const struct al_kv *p = params; p->name; p++)
        al_query_add(&q, p->name, p->value);
    rc = s_send(c, op, &q, parse, out);
    al_query_clean_up(&q);
    return rc;
}

/* A heap copy of the text at path, NULL when absent; *failed set on NOMEM. */
static char *s_dup(const struct al_xml_node *n, const char *path, bool *failed)
{
    const char *t = al_xml_text(n, path);
    char *s;
    if (!t)
        return NULL;
    if (!(s = al_strdup(t)))
        *failed = true;
    return s;
}

/* Reads <name><member><kf/><vf/></member>...</name> into a new JSON object of strings. */
static json_t *s_pairs(const struct al_xml_node *parent,
                       const char *name,
                       const char *kf,
                       const char *vf)
{
    const struct al_xml_node *list = al_xml_child(parent, name);
    json_t *o = json_object();
    if (!o) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (const struct al_xml_node *m = al_xml_child(list, "member"); m; m = al_xml_next_same(m)) {
        const char *k = al_xml_text(m, kf), *v = al_xml_text(m, vf);
        if (!k)
            continue;
        if (json_object_set_new(o, k, json_string(v ? v : ""))) {
            json_decref(o);
            al_raise(AL_ERR_PARSE, "cloudformation: %s holds a value that is not UTF-8", name);
            return NULL;
        }
    }
    return o;
}

/* ---- change sets ---- */

static int s_add_object(struct al_query *q,
                        const char *name,
                        const json_t *o,
                        const char *kf,
                        const char *vf,
                        const struct al_strv *extra_keys)
{
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)o, k, v) /* NULL o: no iteration */
    {
        i++;
        if (al_query_add_member(q, name, i, kf, k) ||
            al_query_add_member(q, name, i, vf, json_string_value(v) ? json_string_value(v) : ""))
            return -1;
    }
    for (size_t j = 0; extra_keys && j < extra_keys->len; j++) {
        i++;
        if (al_query_add_member(q, name, i, kf, extra_keys->items[j]) ||
            al_query_add_member(q, name, i, "UsePreviousValue", "true"))
            return -1;
    }
    if (i == 0 && strcmp(name, "Tags") == 0)
        return al_query_add_list(q, name, NULL, 0); /* "Tags=": clears the tags */
    return 0;
}

/* CreateChangeSet's Id into *(char **)out, when out is not NULL. */
static int s_read_id(const struct al_xml_node *res, void *out)
{
    char **id = out;
    const char *t = al_xml_text(res, "Id");
    return id && t && !(*id = al_strdup(t)) ? -1 : 0;
}

int al_cfn_create_change_set(const struct al_cfn *c,
                             const struct al_cfn_change_set_spec *spec,
                             char **id_out)
{
    struct al_query q;
    int rc;

    if (id_out)
        *id_out = NULL;
    if (!spec->template_body == !spec->template_url)
        return al_raise(AL_ERR_INTERNAL,
                        "CreateChangeSet for %s: exactly one of TemplateBody and TemplateURL",
                        spec->stack_name);
    /* Adds are sticky: s_send reports the first that failed. */
    al_query_init(&q, "CreateChangeSet", AL_CFN_VERSION);
    al_query_add(&q, "StackName", spec->stack_name);
    al_query_add(&q, "ChangeSetName", spec->change_set_name);
    al_query_add(&q, "ChangeSetType", spec->create ? "CREATE" : "UPDATE");
    al_query_add(&q, "TemplateBody", spec->template_body);
    al_query_add(&q, "TemplateURL", spec->template_url);
    al_query_add_list(&q, "Capabilities", s_capabilities, 3);
    al_query_add(&q, "RoleARN", spec->role_arn);
    al_query_add(&q, "ClientToken", spec->client_token);
    al_query_add(&q, "Description", spec->description);
    if (spec->parameters || spec->use_previous)
        s_add_object(
          &q, "Parameters", spec->parameters, "ParameterKey", "ParameterValue", spec->use_previous);
    if (spec->tags)
        s_add_object(&q, "Tags", spec->tags, "Key", "Value", NULL);
    if (spec->notification_arns && spec->notification_arns->len)
        al_query_add_list(&q,
                          "NotificationARNs",
                          (const char *const *)spec->notification_arns->items,
                          spec->notification_arns->len);
    rc = s_send(c, "CreateChangeSet", &q, s_read_id, id_out);
    al_query_clean_up(&q);
    return rc;
}

void al_cfn_change_set_clean_up(struct al_cfn_change_set *cs)
{
    if (!cs)
        return;
    free(cs->id);
    free(cs->stack_id);
    free(cs->status);
    free(cs->execution_status);
    free(cs->status_reason);
    for (size_t i = 0; i < cs->n_changes; i++) {
        struct al_cfn_change *ch = &cs->changes[i];
        free(ch->action);
        free(ch->logical_id);
        free(ch->physical_id);
        free(ch->resource_type);
        free(ch->replacement);
    }
    free(cs->changes);
    memset(cs, 0, sizeof(*cs));
}

static int s_read_changes(const struct al_xml_node *res, struct al_cfn_change_set *out)
{
    const struct al_xml_node *list = al_xml_child(res, "Changes");
    size_t n = al_xml_count(list, "member");
    struct al_cfn_change *grown;
    bool failed = false;

    if (!n)
        return 0;
    grown = realloc(out->changes, (out->n_changes + n) * sizeof(*grown));
    if (!grown)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    out->changes = grown;
    for (const struct al_xml_node *m = al_xml_child(list, "member"); m; m = al_xml_next_same(m)) {
        const struct al_xml_node *rc = al_xml_child(m, "ResourceChange");
        struct al_cfn_change *ch = &out->changes[out->n_changes++];
        memset(ch, 0, sizeof(*ch));
        ch->action = s_dup(rc, "Action", &failed);
        ch->logical_id = s_dup(rc, "LogicalResourceId", &failed);
        ch->physical_id = s_dup(rc, "PhysicalResourceId", &failed);
        ch->resource_type = s_dup(rc, "ResourceType", &failed);
        ch->replacement = s_dup(rc, "Replacement", &failed);
    }
    return failed ? -1 : 0;
}

/* Where al_cfn_describe_change_set is in the pages of Changes. */
struct s_change_pages {
    struct al_cfn_change_set *out;
    const char *name; /* the change set's, for messages */
    bool with_changes;
    unsigned pages; /* read so far, this one included */
    char *token;    /* the next page's NextToken (owned); NULL after the last */
};

/* One page: the change set's status from the first, the Changes of each. */
static int s_read_change_page(const struct al_xml_node *res, void *user)
{
    struct s_change_pages *p = user;
    struct al_cfn_change_set *out = p->out;
    const char *next = al_xml_text(res, "NextToken");
    bool failed = false;

    if (p->pages == 1) {
        out->id = s_dup(res, "ChangeSetId", &failed);
        out->stack_id = s_dup(res, "StackId", &failed);
        out->status = s_dup(res, "Status", &failed);
        out->execution_status = s_dup(res, "ExecutionStatus", &failed);
        out->status_reason = s_dup(res, "StatusReason", &failed);
        if (failed)
            return -1;
        if (!out->status)
            return al_raise(AL_ERR_AWS,
                            "cloudformation DescribeChangeSet: the answer for %s has no Status",
                            p->name);
    }
    if (s_read_changes(res, out))
        return -1;
    free(p->token);
    p->token = NULL;
    if (p->with_changes && next && *next && !(p->token = al_strdup(next)))
        return -1;
    return 0;
}

int al_cfn_describe_change_set(const struct al_cfn *c,
                               const char *stack_name,
                               const char *change_set_name,
                               bool with_changes,
                               struct al_cfn_change_set *out)
{
    struct s_change_pages p = { out, change_set_name, with_changes, 0, NULL };
    int rc;

    memset(out, 0, sizeof(*out));
    do {
        const struct al_kv params[] = { { "ChangeSetName", change_set_name },
                                        { "StackName", stack_name },
                                        { "NextToken", p.token },
                                        { NULL, NULL } };
        if (++p.pages > AL_CFN_MAX_CHANGE_PAGES)
            rc = al_raise(AL_ERR_LIMIT,
                          "change set %s of %s has more than %u pages of changes",
                          change_set_name,
                          stack_name,
                          AL_CFN_MAX_CHANGE_PAGES);
        else
            rc = s_op(c, "DescribeChangeSet", params, s_read_change_page, &p);
    } while (rc == 0 && p.token);
    free(p.token);
    return rc;
}

bool al_cfn_change_set_empty(const struct al_cfn_change_set *cs)
{
    const char *r = cs->status_reason;
    if (!al_streq(cs->status, "FAILED") || !r)
        return false;
    return strstr(r, "The submitted information didn't contain changes") ||
           strstr(r, "No updates are to be performed");
}

int al_cfn_execute_change_set(const struct al_cfn *c,
                              const char *stack_name,
                              const char *change_set_name,
                              const char *client_request_token)
{
    const struct al_kv params[] = { { "ChangeSetName", change_set_name },
                                    { "StackName", stack_name },
                                    { "ClientRequestToken", client_request_token },
                                    { NULL, NULL } };
    return s_op(c, "ExecuteChangeSet", params, NULL, NULL);
}

int al_cfn_delete_change_set(const struct al_cfn *c,
                             const char *stack_name,
                             const char *change_set_name)
{
    const struct al_kv params[] = { { "ChangeSetName", change_set_name },
                                    { "StackName", stack_name },
                                    { NULL, NULL } };
    return s_op(c, "DeleteChangeSet", params, NULL, NULL);
}

/* ---- stacks ---- */

bool al_cfn_error_not_found(void)
{
    const struct al_error *e = al_error_last();
    return e->code == AL_ERR_AWS && strcmp(e->aws_code, "ValidationError") == 0 &&
           strstr(e->msg, "does not exist") != NULL;
}

void al_cfn_stack_clean_up(struct al_cfn_stack *s)
{
    if (!s)
        return;
    free(s->stack_id);
    free(s->name);
    free(s->status);
    free(s->status_reason);
    free(s->role_arn);
    json_decref(s->parameters);
    json_decref(s->outputs);
    json_decref(s->tags);
    memset(s, 0, sizeof(*s));
}

/* What al_cfn_describe_stack fills. */
struct s_stack_answer {
    struct al_cfn_stack *out;
    const char *name; /* as asked, for messages */
    bool *found;
};

static int s_read_stack(const struct al_xml_node *res, void *user)
{
    struct s_stack_answer *a = user;
    struct al_cfn_stack *out = a->out;
    const struct al_xml_node *m = al_xml_find(res, "Stacks/member");
    bool failed = false;

    if (!m)
        return 0; /* an empty list: no such stack */
    out->stack_id = s_dup(m, "StackId", &failed);
    out->name = s_dup(m, "StackName", &failed);
    out->status = s_dup(m, "StackStatus", &failed);
    out->status_reason = s_dup(m, "StackStatusReason", &failed);
    out->role_arn = s_dup(m, "RoleARN", &failed);
    out->termination_protection = al_streq(al_xml_text(m, "EnableTerminationProtection"), "true");
    if (failed)
        return -1;
    if (!out->status || !out->name)
        return al_raise(AL_ERR_AWS,
                        "cloudformation DescribeStacks: the answer for %s has no StackStatus",
                        a->name);
    if (!(out->parameters = s_pairs(m, "Parameters", "ParameterKey", "ParameterValue")) ||
        !(out->outputs = s_pairs(m, "Outputs", "OutputKey", "OutputValue")) ||
        !(out->tags = s_pairs(m, "Tags", "Key", "Value")))
        return -1;
    *a->found = true;
    return 0;
}

int al_cfn_describe_stack(const struct al_cfn *c,
                          const char *stack_name,
                          struct al_cfn_stack *out,
                          bool *found)
{
    const struct al_kv params[] = { { "StackName", stack_name }, { NULL, NULL } };
    struct s_stack_answer a = { out, stack_name, found };

    memset(out, 0, sizeof(*out));
    *found = false;
    if (s_op(c, "DescribeStacks", params, s_read_stack, &a) == 0)
        return 0;
    al_cfn_stack_clean_up(out);
    /* Only AWS's own ValidationError matches: s_read_stack's errors carry no AWS code. */
    if (!al_cfn_error_not_found())
        return -1;
    al_error_clear();
    return 0;
}

void al_cfn_events_clean_up(struct al_cfn_events *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        struct al_cfn_event *ev = &e->items[i];
        free(ev->event_id);
        free(ev->logical_id);
        free(ev->physical_id);
        free(ev->resource_type);
        free(ev->status);
        free(ev->reason);
        free(ev->token);
        free(ev->timestamp);
    }
    free(e->items);
    free(e->next_token);
    memset(e, 0, sizeof(*e));
}

static int s_read_events(const struct al_xml_node *res, void *user)
{
    struct al_cfn_events *out = user;
    const struct al_xml_node *list = al_xml_child(res, "StackEvents");
    size_t n = al_xml_count(list, "member");
    bool failed = false;

    if (n && !(out->items = calloc(n, sizeof(*out->items))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (const struct al_xml_node *m = al_xml_child(list, "member"); m; m = al_xml_next_same(m)) {
        struct al_cfn_event *ev = &out->items[out->n++];
        ev->event_id = s_dup(m, "EventId", &failed);
        ev->logical_id = s_dup(m, "LogicalResourceId", &failed);
        ev->physical_id = s_dup(m, "PhysicalResourceId", &failed);
        ev->resource_type = s_dup(m, "ResourceType", &failed);
        ev->status = s_dup(m, "ResourceStatus", &failed);
        ev->reason = s_dup(m, "ResourceStatusReason", &failed);
        ev->token = s_dup(m, "ClientRequestToken", &failed);
        ev->timestamp = s_dup(m, "Timestamp", &failed);
    }
    if (al_xml_text(res, "NextToken") && *al_xml_text(res, "NextToken"))
        out->next_token = s_dup(res, "NextToken", &failed);
    return failed ? -1 : 0;
}

int al_cfn_describe_stack_events(const struct al_cfn *c,
                                 const char *stack_name,
                                 const char *next_token,
                                 struct al_cfn_events *out)
{
    const struct al_kv params[] = { { "StackName", stack_name },
                                    { "NextToken", next_token },
                                    { NULL, NULL } };
    memset(out, 0, sizeof(*out));
    return s_op(c, "DescribeStackEvents", params, s_read_events, out);
}

int al_cfn_delete_stack(const struct al_cfn *c,
                        const char *stack_name,
                        const char *role_arn,
                        const char *client_request_token)
{
    const struct al_kv params[] = { { "StackName", stack_name },
                                    { "RoleARN", role_arn },
                                    { "ClientRequestToken", client_request_token },
                                    { NULL, NULL } };
    return s_op(c, "DeleteStack", params, NULL, NULL);
}

int al_cfn_update_termination_protection(const struct al_cfn *c,
                                         const char *stack_name,
                                         bool enable)
{
    const struct al_kv params[] = { { "StackName", stack_name },
                                    { "EnableTerminationProtection", enable ? "true" : "false" },
                                    { NULL, NULL } };
    return s_op(c, "UpdateTerminationProtection", params, NULL, NULL);
}

/* The TemplateBody into *(char **)out; left NULL when the answer has none. */
static int s_read_template(const struct al_xml_node *res, void *out)
{
    char **body = out;
    const char *t = al_xml_text(res, "TemplateBody");
    return t && !(*body = al_strdup(t)) ? -1 : 0;
}

int al_cfn_get_template(const struct al_cfn *c, const char *stack_name, char **body_out)
{
    const struct al_kv params[] = { { "StackName", stack_name },
                                    { "TemplateStage", "Original" },
                                    { NULL, NULL } };
    *body_out = NULL;
    if (s_op(c, "GetTemplate", params, s_read_template, body_out))
        return -1;
    if (!*body_out)
        return al_raise(
          AL_ERR_AWS, "cloudformation GetTemplate: no TemplateBody for %s", stack_name);
    return 0;
}

bool al_cfn_status_terminal(const char *status)
{
    return status && !al_str_suffix(status, "_IN_PROGRESS");
}

bool al_cfn_status_failed(const char *status)
{
    return status && (al_str_suffix(status, "_FAILED") || strstr(status, "ROLLBACK") != NULL);
}
