/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One stack's change-set flow (through al_stacks_restore, which the deploy
 * step shares) against a small scripted CloudFormation: an empty change set
 * is deleted and the stack reported unchanged; a failed update names the
 * first failed resource (not one cancelled after it); a ROLLBACK_COMPLETE
 * stack is deleted before it is created again; masked NoEcho values are sent
 * as UsePreviousValue; a plan executes nothing. Plus the names and URLs.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "deploy/run.h"
#include "deploy/stacks.h"
#include "http/script.h"
#include "util/clock.h"
#include "util/log.h"

#define NS "xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\""
#define STACK_ID "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Api/u1"

TEST(stacks_change_set_names)
{
    char out[200];
    al_stacks_change_set_name(out, sizeof(out), "v1.2.3+build/7", "ab12-3");
    ASSERT_STR_EQ(out, "airlock-v1-2-3-build-7-ab12-3");
    al_stacks_change_set_name(out, sizeof(out), NULL, "x");
    ASSERT_STR_EQ(out, "airlock-run-x");
    /* A long version is cut at 40 characters; the total stays within 128. */
    al_stacks_change_set_name(
      out, sizeof(out), "0123456789abcdef0123456789abcdef0123456789abcdef", "t");
    ASSERT_STR_EQ(out, "airlock-0123456789abcdef0123456789abcdef01234567-t");
    al_stacks_change_set_name(out, 12, "version", "tag");
    ASSERT_STR_EQ(out, "airlock-ver");
}

TEST(stacks_template_urls)
{
    char *u =
      al_stacks_template_url("s3://cdk-assets-1-ap-northeast-1/ab cd/x.json", "ap-northeast-1");
    ASSERT_STR_EQ(u,
                  "https://s3.ap-northeast-1.amazonaws.com/cdk-assets-1-ap-northeast-1/ab%20cd/"
                  "x.json");
    free(u);
    u = al_stacks_template_url("s3://b/k.json", "cn-north-1");
    ASSERT_STR_EQ(u, "https://s3.cn-north-1.amazonaws.com.cn/b/k.json");
    free(u);
    u = al_stacks_template_url("https://s3.amazonaws.com/b/k.json", "eu-west-1");
    ASSERT_STR_EQ(u, "https://s3.amazonaws.com/b/k.json");
    free(u);
    ASSERT(al_stacks_template_url("s3://bucket-only", "eu-west-1") == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT(al_stacks_template_url("s3:///key", "eu-west-1") == NULL);
    ASSERT(al_stacks_template_url("http://b/k", "eu-west-1") == NULL);
}

/* ---- a scripted CloudFormation ---- */

struct s_cfn {
    const char *status;       /* the stack's status before the execute; NULL = no stack */
    const char *cs_status;    /* the change set's final status */
    const char *cs_reason;    /* its StatusReason */
    const char *changes;      /* <member>... of Changes */
    const char *final_status; /* after the execute */
    const char *final_events; /* newest first; "TOKEN" stands for the execute's token */
    bool deleted;             /* DeleteStack was called */
    char token[256];
    struct al_strv actions;
    struct al_strv bodies;
};

static void s_put_stack(struct al_buf *b, const char *status)
{
    al_buf_printf(b,
                  "<DescribeStacksResponse " NS "><DescribeStacksResult><Stacks><member>"
                  "<StackId>" STACK_ID "</StackId><StackName>Api</StackName>"
                  "<StackStatus>%s</StackStatus><EnableTerminationProtection>false"
                  "</EnableTerminationProtection><Outputs><member><OutputKey>Url</OutputKey>"
                  "<OutputValue>https://api/%s</OutputValue></member></Outputs>"
                  "</member></Stacks></DescribeStacksResult></DescribeStacksResponse>",
                  status,
                  status);
}

static void s_put_error(struct al_http_script_answer *ans, const char *code, const char *msg)
{
    ans->status = 400;
    al_buf_printf(&ans->body,
                  "<ErrorResponse " NS "><Error><Type>Sender</Type><Code>%s</Code><Message>%s"
                  "</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                  code,
                  msg);
}

static int s_handler(void *user,
                     const struct al_http_script_request *req,
                     struct al_http_script_answer *ans)
{
    struct s_cfn *c = user;
    const char *body = al_buf_str(&req->body);
    char action[64] = "";
    const char *p = strstr(body, "Action=");
    if (p)
        sscanf(p + 7, "%63[A-Za-z]", action);
    al_strv_push(&c->actions, action);
    al_strv_push(&c->bodies, body);
    if (strcmp(action, "DescribeStacks") == 0) {
        if (c->token[0])
            s_put_stack(&ans->body, c->final_status);
        else if (c->status && !c->deleted)
            s_put_stack(&ans->body, c->status);
        else if (c->deleted && strstr(body, "StackName=arn"))
            s_put_stack(&ans->body, "DELETE_COMPLETE");
        else
            s_put_error(ans, "ValidationError", "Stack with id Api does not exist");
    } else if (strcmp(action, "CreateChangeSet") == 0) {
        al_buf_puts(&ans->body,
                    "<CreateChangeSetResponse " NS "><CreateChangeSetResult><Id>cs</Id>"
                    "<StackId>" STACK_ID "</StackId></CreateChangeSetResult>"
                    "</CreateChangeSetResponse>");
    } else if (strcmp(action, "DescribeChangeSet") == 0) {
        al_buf_printf(&ans->body,
                      "<DescribeChangeSetResponse " NS "><DescribeChangeSetResult><Status>%s"
                      "</Status><StatusReason>%s</StatusReason><Changes>%s</Changes>"
                      "</DescribeChangeSetResult></DescribeChangeSetResponse>",
                      c->cs_status,
                      c->cs_reason ? c->cs_reason : "",
                      c->changes ? c->changes : "");
    } else if (strcmp(action, "ExecuteChangeSet") == 0) {
        const char *t = strstr(body, "ClientRequestToken=");
        if (t)
            sscanf(t + 19, "%255[A-Za-z0-9-]", c->token);
        al_buf_puts(&ans->body, "<ExecuteChangeSetResponse/>");
    } else if (strcmp(action, "DescribeStackEvents") == 0) {
        const char *ev = c->token[0] && c->final_events ? c->final_events : "";
        al_buf_puts(&ans->body, "<R><DescribeStackEventsResult><StackEvents>");
        /* Substitute the execute's token for each "TOKEN". */
        for (const char *q = ev; *q;) {
            if (strncmp(q, "TOKEN", 5) == 0) {
                al_buf_puts(&ans->body, c->token);
                q += 5;
            } else {
                al_buf_putc(&ans->body, *q++);
            }
        }
        al_buf_puts(&ans->body, "</StackEvents></DescribeStackEventsResult></R>");
    } else if (strcmp(action, "DeleteStack") == 0) {
        c->deleted = true;
        al_buf_puts(&ans->body, "<DeleteStackResponse/>");
    } else {
        al_buf_printf(&ans->body, "<%sResponse/>", action);
    }
    return 0;
}

static char *s_event(const char *id,
                     const char *logical,
                     const char *type,
                     const char *status,
                     const char *reason,
                     const char *token)
{
    static char buf[8][1024];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b,
             1024,
             "<member><EventId>%s</EventId><LogicalResourceId>%s</LogicalResourceId>"
             "<ResourceType>%s</ResourceType><ResourceStatus>%s</ResourceStatus>"
             "%s%s%s<ClientRequestToken>%s</ClientRequestToken>"
             "<Timestamp>2026-01-01T00:00:0%sZ</Timestamp></member>",
             id,
             logical,
             type,
             status,
             reason ? "<ResourceStatusReason>" : "",
             reason ? reason : "",
             reason ? "</ResourceStatusReason>" : "",
             token,
             id + 1);
    return b;
}

/* Event lines and warnings would only clutter the test output. */
static void s_quiet(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    (void)level;
    (void)where;
    (void)text;
}

struct s_env {
    struct al_http_script *script;
    struct al_http_options http;
    struct al_opts opts;
    struct al_outputs outputs;
    struct al_run run;
    struct s_cfn cfn;
};

static int s_env_setup(struct s_env *e)
{
    struct al_creds_config cc = { 0 };
    const struct al_stacks_timing fast = { 1, 2, 30 };
    memset(e, 0, sizeof(*e));
    al_strv_init(&e->cfn.actions);
    al_strv_init(&e->cfn.bodies);
    e->script = al_http_script_new();
    al_http_script_set_handler(e->script, s_handler, &e->cfn);
    e->http.transport_factory = al_http_script_factory;
    e->http.transport_arg = e->script;
    e->http.backoff_base_ms = 1;
    e->http.backoff_cap_ms = 2;
    al_opts_init(&e->opts);
    al_outputs_init(&e->outputs);
    al_run_init(&e->run, &e->opts, &e->outputs);
    e->run.info.version = "v9";
    snprintf(e->run.region, sizeof(e->run.region), "ap-northeast-1");
    e->run.endpoints.region = "ap-northeast-1";
    e->run.endpoints.env_endpoint_url = "http://127.0.0.1:9";
    cc.env_access_key_id = "AKIDSTACKSTEST000001";
    cc.env_secret_access_key = "stacks/test/secret";
    e->run.engine = al_http_engine_new(&e->http);
    e->run.creds = al_creds_new(&cc, &e->run.endpoints, &e->http);
    e->run.aws = e->run.engine && e->run.creds
                   ? al_aws_ctx_new(e->run.engine, e->run.creds, &e->run.endpoints)
                   : NULL;
    al_stacks_set_timing(&fast);
    al_log_set_writer(s_quiet);
    return e->run.aws ? 0 : -1;
}

static void s_env_teardown(struct s_env *e)
{
    al_run_clean_up(&e->run);
    al_outputs_clean_up(&e->outputs);
    al_opts_clean_up(&e->opts);
    al_http_script_free(e->script);
    al_strv_clean_up(&e->cfn.actions);
    al_strv_clean_up(&e->cfn.bodies);
    al_stacks_set_timing(NULL);
    al_log_set_writer(NULL);
}

/* The actions called, joined with spaces. */
static const char *s_actions(const struct s_cfn *c)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->actions.len && n < sizeof(buf) - 1; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", c->actions.items[i]);
    return buf;
}

static void s_restore_spec(struct al_stack_restore *spec, const json_t *params)
{
    memset(spec, 0, sizeof(*spec));
    spec->ref.name = "Api";
    spec->template_body = "{\"Resources\":{\"Q\":{\"Type\":\"AWS::SQS::Queue\"}}}";
    spec->parameters = params;
}

TEST(stacks_empty_change_set_is_deleted_and_unchanged)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    json_t *params = json_pack("{s:s, s:s}", "Env", "prod", "Secret", "****");
    ASSERT_OK(s_env_setup(&e));
    e.cfn.status = "UPDATE_COMPLETE";
    e.cfn.cs_status = "FAILED";
    e.cfn.cs_reason = "The submitted information didn't contain changes. Submit different "
                      "information to create a change set.";
    s_restore_spec(&spec, params);
    ASSERT_OK(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_STR_EQ(res.result, "unchanged");
    ASSERT_STR_EQ(s_actions(&e.cfn),
                  "DescribeStacks CreateChangeSet DescribeChangeSet DeleteChangeSet");
    ASSERT_CONTAINS(e.cfn.bodies.items[1], "&ChangeSetType=UPDATE");
    ASSERT_CONTAINS(e.cfn.bodies.items[1],
                    "&Parameters.member.1.ParameterKey=Env&Parameters.member.1.ParameterValue=prod"
                    "&Parameters.member.2.ParameterKey=Secret"
                    "&Parameters.member.2.UsePreviousValue=true");
    ASSERT(!strstr(e.cfn.bodies.items[1], "Tags"));
    ASSERT_CONTAINS(e.cfn.bodies.items[1], "&ChangeSetName=airlock-v9-");
    ASSERT_STR_EQ(json_string_value(json_object_get(res.outputs, "Url")),
                  "https://api/UPDATE_COMPLETE");
    al_stack_result_clean_up(&res);
    json_decref(params);
    s_env_teardown(&e);
}

TEST(stacks_failed_update_names_the_first_failed_resource)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    char events[8192];
    ASSERT_OK(s_env_setup(&e));
    e.cfn.status = "UPDATE_COMPLETE";
    e.cfn.cs_status = "CREATE_COMPLETE";
    e.cfn.changes = "<member><ResourceChange><Action>Modify</Action><LogicalResourceId>Fn"
                    "</LogicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType>"
                    "<Replacement>False</Replacement></ResourceChange></member>";
    e.cfn.final_status = "UPDATE_ROLLBACK_COMPLETE";
    /* Newest first; a resource cancelled earlier is not the cause; the oldest is another op's. */
    snprintf(
      events,
      sizeof(events),
      "%s%s%s%s%s%s",
      s_event("e6", "Api", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", NULL, "TOKEN"),
      s_event("e5",
              "Api",
              "AWS::CloudFormation::Stack",
              "UPDATE_ROLLBACK_IN_PROGRESS",
              "The following resource(s) failed to update: [Fn]. ",
              "TOKEN"),
      s_event("e4",
              "Fn",
              "AWS::Lambda::Function",
              "UPDATE_FAILED",
              "Resource handler returned message: &quot;boom&quot;",
              "TOKEN"),
      s_event(
        "e3", "Queue", "AWS::SQS::Queue", "UPDATE_FAILED", "Resource update cancelled", "TOKEN"),
      s_event(
        "e2", "Api", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated", "TOKEN"),
      s_event("e1", "Api", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", NULL, "old"));
    e.cfn.final_events = events;
    s_restore_spec(&spec, NULL);
    ASSERT_FAILS(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_CONTAINS(al_error_last()->msg,
                    "stack Api ended UPDATE_ROLLBACK_COMPLETE: Fn (AWS::Lambda::Function): "
                    "Resource handler returned message: \"boom\"");
    ASSERT_STR_EQ(res.result, "failed");
    ASSERT_STR_EQ(res.failure,
                  "Fn (AWS::Lambda::Function): Resource handler returned message: "
                  "\"boom\"");
    ASSERT_STR_EQ(res.stack_status, "UPDATE_ROLLBACK_COMPLETE");
    ASSERT_INT_EQ(res.changes, 1);
    ASSERT_CONTAINS(s_actions(&e.cfn),
                    "DescribeStacks CreateChangeSet DescribeChangeSet ExecuteChangeSet "
                    "DescribeStackEvents DescribeStacks");
    ASSERT_CONTAINS(e.cfn.token, "airlock-v9-");
    ASSERT(al_str_suffix(e.cfn.token, "-x"));
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}

TEST(stacks_rollback_complete_is_deleted_then_created)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    char events[4096];
    ASSERT_OK(s_env_setup(&e));
    e.cfn.status = "ROLLBACK_COMPLETE";
    e.cfn.cs_status = "CREATE_COMPLETE";
    e.cfn.changes = "<member><ResourceChange><Action>Add</Action><LogicalResourceId>Q"
                    "</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType>"
                    "</ResourceChange></member>";
    e.cfn.final_status = "CREATE_COMPLETE";
    snprintf(
      events,
      sizeof(events),
      "%s%s",
      s_event("e9", "Api", "AWS::CloudFormation::Stack", "CREATE_COMPLETE", NULL, "TOKEN"),
      s_event("e8", "Api", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", NULL, "TOKEN"));
    e.cfn.final_events = events;
    s_restore_spec(&spec, NULL);
    ASSERT_OK(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_STR_EQ(res.result, "created");
    ASSERT_STR_EQ(res.stack_status, "CREATE_COMPLETE");
    /* Deleted, waited for by stack id, then a CREATE change set. */
    ASSERT_CONTAINS(s_actions(&e.cfn), "DescribeStacks DeleteStack");
    ASSERT_CONTAINS(s_actions(&e.cfn),
                    "DescribeStackEvents CreateChangeSet DescribeChangeSet "
                    "ExecuteChangeSet");
    for (size_t i = 0; i < e.cfn.actions.len; i++)
        if (strcmp(e.cfn.actions.items[i], "CreateChangeSet") == 0)
            ASSERT_CONTAINS(e.cfn.bodies.items[i], "&ChangeSetType=CREATE");
    ASSERT_STR_EQ(json_string_value(json_object_get(res.outputs, "Url")),
                  "https://api/CREATE_COMPLETE");
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}

TEST(stacks_plan_describes_and_deletes_without_executing)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    ASSERT_OK(s_env_setup(&e));
    e.run.dry_run = true;
    e.cfn.status = NULL; /* a new stack: the CREATE change set makes a REVIEW_IN_PROGRESS one */
    e.cfn.cs_status = "CREATE_COMPLETE";
    e.cfn.changes = "<member><ResourceChange><Action>Add</Action><LogicalResourceId>Q"
                    "</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType>"
                    "</ResourceChange></member>";
    s_restore_spec(&spec, NULL);
    ASSERT_OK(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_STR_EQ(res.result, "planned");
    ASSERT_INT_EQ(res.changes, 1);
    ASSERT_STR_EQ(s_actions(&e.cfn),
                  "DescribeStacks CreateChangeSet DescribeChangeSet DeleteChangeSet DeleteStack");
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}

TEST(stacks_failed_change_set_is_deleted_and_reported)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    ASSERT_OK(s_env_setup(&e));
    e.cfn.status = "UPDATE_COMPLETE";
    e.cfn.cs_status = "FAILED";
    e.cfn.cs_reason = "Template format error: Unresolved resource dependencies [X]";
    s_restore_spec(&spec, NULL);
    ASSERT_FAILS(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_CONTAINS(al_error_last()->msg, "Unresolved resource dependencies [X]");
    ASSERT_STR_EQ(res.result, "failed");
    ASSERT_STR_EQ(s_actions(&e.cfn),
                  "DescribeStacks CreateChangeSet DescribeChangeSet DeleteChangeSet");
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}

TEST(stacks_review_in_progress_counts_as_new)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    ASSERT_OK(s_env_setup(&e));
    e.run.dry_run = true;
    e.cfn.status = "REVIEW_IN_PROGRESS"; /* left by an earlier CREATE change set */
    e.cfn.cs_status = "CREATE_COMPLETE";
    e.cfn.changes = "<member><ResourceChange><Action>Add</Action><LogicalResourceId>Q"
                    "</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType>"
                    "</ResourceChange></member>";
    s_restore_spec(&spec, NULL);
    ASSERT_OK(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_STR_EQ(res.result, "planned");
    ASSERT_CONTAINS(e.cfn.bodies.items[1], "&ChangeSetType=CREATE");
    /* The stack was there before the plan: the plan leaves it. */
    ASSERT_STR_EQ(s_actions(&e.cfn),
                  "DescribeStacks CreateChangeSet DescribeChangeSet DeleteChangeSet");
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}

TEST(stacks_wait_is_bounded_by_the_timeout)
{
    struct s_env e;
    struct al_stack_restore spec;
    struct al_stack_result res;
    const struct al_stacks_timing t = { 1, 50, 1 };
    ASSERT_OK(s_env_setup(&e));
    al_stacks_set_timing(&t);
    e.cfn.status = "UPDATE_COMPLETE";
    e.cfn.cs_status = "CREATE_COMPLETE";
    e.cfn.final_status = "UPDATE_IN_PROGRESS"; /* never ends */
    s_restore_spec(&spec, NULL);
    ASSERT_FAILS(al_stacks_restore(&e.run, &spec, &res));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_CONTAINS(al_error_last()->msg, "stack Api is still UPDATE_IN_PROGRESS after 1 s");
    ASSERT_STR_EQ(res.result, "failed");
    al_stack_result_clean_up(&res);
    s_env_teardown(&e);
}
