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

/* Sends one Query request; resp is initialised by the caller. */
static int s_call(const struct al_cfn *c,
                  const char *op,
                  const struct al_query *q,
                  struct al_http_response *resp)
{
    struct al_aws_call_spec spec;
    const char *body = al_query_body(q);
    if (!body)
        return -1;
    al_aws_query_spec(&spec, AL_SVC_CLOUDFORMATION, op, body);
    spec.region = c->region;
    return al_aws_request(c->ctx, &spec, resp);
}

/*
 * Calls op and parses the answer; *result is the <OpResult> element (NULL
 * for operations that answer without one). The document is the caller's.
 */
static int s_call_parse(const struct al_cfn *c,
                        const char *op,
                        const struct al_query *q,
                        struct al_xml_doc **doc,
                        const struct al_xml_node **result)
{
    struct al_http_response resp;
    char name[96];
    int rc = -1;

    *doc = NULL;
    *result = NULL;
    al_http_response_init(&resp, AL_CFN_BODY_MAX);
    if (s_call(c, op, q, &resp))
        goto cleanup;
    if (al_xml_parse(al_buf_str(&resp.body), resp.body.len, NULL, doc)) {
        al_raise_context("cloudformation %s answer", op);
        goto cleanup;
    }
    snprintf(name, sizeof(name), "%sResult", op);
    *result = al_xml_child(al_xml_root(*doc), name);
    rc = 0;
cleanup:
    al_http_response_clean_up(&resp);
    if (rc) {
        al_xml_doc_free(*doc);
        *doc = NULL;
    }
    return rc;
}

/* A call whose answer carries nothing we read. */
static int s_call_simple(const struct al_cfn *c, const char *op, const struct al_query *q)
{
    struct al_http_response resp;
    int rc;
    al_http_response_init(&resp, AL_CFN_BODY_MAX);
    rc = s_call(c, op, q, &resp);
    al_http_response_clean_up(&resp);
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

int al_cfn_create_change_set(const struct al_cfn *c,
                             const struct al_cfn_change_set_spec *spec,
                             char **id_out)
{
    struct al_query q;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res;
    int rc = -1;

    if (id_out)
        *id_out = NULL;
    if (!spec->template_body == !spec->template_url)
        return al_raise(AL_ERR_INTERNAL,
                        "CreateChangeSet for %s: exactly one of TemplateBody and TemplateURL",
                        spec->stack_name);
    if (al_query_init(&q, "CreateChangeSet", AL_CFN_VERSION))
        goto cleanup;
    al_query_add(&q, "StackName", spec->stack_name);
    al_query_add(&q, "ChangeSetName", spec->change_set_name);
    al_query_add(&q, "ChangeSetType", spec->create ? "CREATE" : "UPDATE");
    al_query_add(&q, "TemplateBody", spec->template_body);
    al_query_add(&q, "TemplateURL", spec->template_url);
    al_query_add_list(&q, "Capabilities", s_capabilities, 3);
    al_query_add(&q, "RoleARN", spec->role_arn);
    al_query_add(&q, "ClientToken", spec->client_token);
    al_query_add(&q, "Description", spec->description);
    if ((spec->parameters || spec->use_previous) &&
        s_add_object(
          &q, "Parameters", spec->parameters, "ParameterKey", "ParameterValue", spec->use_previous))
        goto cleanup;
    if (spec->tags && s_add_object(&q, "Tags", spec->tags, "Key", "Value", NULL))
        goto cleanup;
    if (spec->notification_arns && spec->notification_arns->len &&
        al_query_add_list(&q,
                          "NotificationARNs",
                          (const char *const *)spec->notification_arns->items,
                          spec->notification_arns->len))
        goto cleanup;
    if (s_call_parse(c, "CreateChangeSet", &q, &doc, &res))
        goto cleanup;
    if (id_out && al_xml_text(res, "Id") && !(*id_out = al_strdup(al_xml_text(res, "Id"))))
        goto cleanup;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
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

int al_cfn_describe_change_set(const struct al_cfn *c,
                               const char *stack_name,
                               const char *change_set_name,
                               bool with_changes,
                               struct al_cfn_change_set *out)
{
    char *token = NULL;
    unsigned pages = 0;
    bool failed = false;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    do {
        struct al_query q;
        struct al_xml_doc *doc = NULL;
        const struct al_xml_node *res;
        int step = -1;

        if (++pages > AL_CFN_MAX_CHANGE_PAGES) {
            al_raise(AL_ERR_LIMIT,
                     "change set %s of %s has more than %u pages of changes",
                     change_set_name,
                     stack_name,
                     AL_CFN_MAX_CHANGE_PAGES);
            break;
        }
        if (al_query_init(&q, "DescribeChangeSet", AL_CFN_VERSION) ||
            al_query_add(&q, "ChangeSetName", change_set_name) ||
            al_query_add(&q, "StackName", stack_name) || al_query_add(&q, "NextToken", token))
            goto page_done;
        if (s_call_parse(c, "DescribeChangeSet", &q, &doc, &res))
            goto page_done;
        if (pages == 1) {
            out->id = s_dup(res, "ChangeSetId", &failed);
            out->stack_id = s_dup(res, "StackId", &failed);
            out->status = s_dup(res, "Status", &failed);
            out->execution_status = s_dup(res, "ExecutionStatus", &failed);
            out->status_reason = s_dup(res, "StatusReason", &failed);
            if (failed)
                goto page_done;
            if (!out->status) {
                al_raise(AL_ERR_AWS,
                         "cloudformation DescribeChangeSet: the answer for %s has no Status",
                         change_set_name);
                goto page_done;
            }
        }
        if (s_read_changes(res, out))
            goto page_done;
        free(token);
        token = NULL;
        if (with_changes && al_xml_text(res, "NextToken") && *al_xml_text(res, "NextToken") &&
            !(token = al_strdup(al_xml_text(res, "NextToken"))))
            goto page_done;
        step = 0;
    page_done:
        al_xml_doc_free(doc);
        al_query_clean_up(&q);
        if (step)
            goto cleanup;
    } while (token);
    rc = 0;
cleanup:
    free(token);
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
    struct al_query q;
    int rc = -1;
    if (al_query_init(&q, "ExecuteChangeSet", AL_CFN_VERSION) ||
        al_query_add(&q, "ChangeSetName", change_set_name) ||
        al_query_add(&q, "StackName", stack_name) ||
        al_query_add(&q, "ClientRequestToken", client_request_token))
        goto cleanup;
    rc = s_call_simple(c, "ExecuteChangeSet", &q);
cleanup:
    al_query_clean_up(&q);
    return rc;
}

int al_cfn_delete_change_set(const struct al_cfn *c,
                             const char *stack_name,
                             const char *change_set_name)
{
    struct al_query q;
    int rc = -1;
    if (al_query_init(&q, "DeleteChangeSet", AL_CFN_VERSION) ||
        al_query_add(&q, "ChangeSetName", change_set_name) ||
        al_query_add(&q, "StackName", stack_name))
        goto cleanup;
    rc = s_call_simple(c, "DeleteChangeSet", &q);
cleanup:
    al_query_clean_up(&q);
    return rc;
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

int al_cfn_describe_stack(const struct al_cfn *c,
                          const char *stack_name,
                          struct al_cfn_stack *out,
                          bool *found)
{
    struct al_query q;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res, *m;
    bool failed = false;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    *found = false;
    if (al_query_init(&q, "DescribeStacks", AL_CFN_VERSION) ||
        al_query_add(&q, "StackName", stack_name))
        goto cleanup;
    if (s_call_parse(c, "DescribeStacks", &q, &doc, &res)) {
        if (al_cfn_error_not_found()) {
            al_error_clear();
            rc = 0;
        }
        goto cleanup;
    }
    m = al_xml_find(res, "Stacks/member");
    if (!m) {
        rc = 0; /* an empty list: no such stack */
        goto cleanup;
    }
    out->stack_id = s_dup(m, "StackId", &failed);
    out->name = s_dup(m, "StackName", &failed);
    out->status = s_dup(m, "StackStatus", &failed);
    out->status_reason = s_dup(m, "StackStatusReason", &failed);
    out->role_arn = s_dup(m, "RoleARN", &failed);
    out->termination_protection = al_streq(al_xml_text(m, "EnableTerminationProtection"), "true");
    if (failed)
        goto cleanup;
    if (!out->status || !out->name) {
        al_raise(AL_ERR_AWS,
                 "cloudformation DescribeStacks: the answer for %s has no StackStatus",
                 stack_name);
        goto cleanup;
    }
    if (!(out->parameters = s_pairs(m, "Parameters", "ParameterKey", "ParameterValue")) ||
        !(out->outputs = s_pairs(m, "Outputs", "OutputKey", "OutputValue")) ||
        !(out->tags = s_pairs(m, "Tags", "Key", "Value")))
        goto cleanup;
    *found = true;
    rc = 0;
cleanup:
    if (rc || !*found)
        al_cfn_stack_clean_up(out);
    al_xml_doc_free(doc);
    al_query_clean_up(&q);
    return rc;
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

int al_cfn_describe_stack_events(const struct al_cfn *c,
                                 const char *stack_name,
                                 const char *next_token,
                                 struct al_cfn_events *out)
{
    struct al_query q;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res, *list;
    bool failed = false;
    size_t n;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (al_query_init(&q, "DescribeStackEvents", AL_CFN_VERSION) ||
        al_query_add(&q, "StackName", stack_name) || al_query_add(&q, "NextToken", next_token))
        goto cleanup;
    if (s_call_parse(c, "DescribeStackEvents", &q, &doc, &res))
        goto cleanup;
    list = al_xml_child(res, "StackEvents");
    n = al_xml_count(list, "member");
    if (n && !(out->items = calloc(n, sizeof(*out->items)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
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
    if (failed)
        goto cleanup;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    al_query_clean_up(&q);
    return rc;
}

int al_cfn_delete_stack(const struct al_cfn *c,
                        const char *stack_name,
                        const char *role_arn,
                        const char *client_request_token)
{
    struct al_query q;
    int rc = -1;
    if (al_query_init(&q, "DeleteStack", AL_CFN_VERSION) ||
        al_query_add(&q, "StackName", stack_name) || al_query_add(&q, "RoleARN", role_arn) ||
        al_query_add(&q, "ClientRequestToken", client_request_token))
        goto cleanup;
    rc = s_call_simple(c, "DeleteStack", &q);
cleanup:
    al_query_clean_up(&q);
    return rc;
}

int al_cfn_update_termination_protection(const struct al_cfn *c,
                                         const char *stack_name,
                                         bool enable)
{
    struct al_query q;
    int rc = -1;
    if (al_query_init(&q, "UpdateTerminationProtection", AL_CFN_VERSION) ||
        al_query_add(&q, "StackName", stack_name) ||
        al_query_add(&q, "EnableTerminationProtection", enable ? "true" : "false"))
        goto cleanup;
    rc = s_call_simple(c, "UpdateTerminationProtection", &q);
cleanup:
    al_query_clean_up(&q);
    return rc;
}

int al_cfn_get_template(const struct al_cfn *c, const char *stack_name, char **body_out)
{
    struct al_query q;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res;
    const char *body;
    int rc = -1;

    *body_out = NULL;
    if (al_query_init(&q, "GetTemplate", AL_CFN_VERSION) ||
        al_query_add(&q, "StackName", stack_name) || al_query_add(&q, "TemplateStage", "Original"))
        goto cleanup;
    if (s_call_parse(c, "GetTemplate", &q, &doc, &res))
        goto cleanup;
    body = al_xml_text(res, "TemplateBody");
    if (!body) {
        al_raise(AL_ERR_AWS, "cloudformation GetTemplate: no TemplateBody for %s", stack_name);
        goto cleanup;
    }
    if (!(*body_out = al_strdup(body)))
        goto cleanup;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    al_query_clean_up(&q);
    return rc;
}

bool al_cfn_status_terminal(const char *status)
{
    return status && !al_str_suffix(status, "_IN_PROGRESS");
}

bool al_cfn_status_failed(const char *status)
{
    return status && (al_str_suffix(status, "_FAILED") || strstr(status, "ROLLBACK") != NULL);
}
