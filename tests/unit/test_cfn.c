/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CloudFormation and SSM clients and the asset S3 calls on the wire:
 * what each request carries (Query fields, JSON 1.1 headers, S3 query and
 * headers) and how answers are read (pagination, missing stacks, empty change
 * sets, the empty-zip rule), against the scripted transport.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/client.h"
#include "aws/cloudformation.h"
#include "aws/ssm.h"
#include "deploy/assets.h"
#include "http/script.h"
#include "util/clock.h"
#include "util/hash.h"

#define AKID "AKIDCFNTEST000000001"
#define SECRET "cfn/test/secret/key"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

struct s_fixture {
    struct al_http_script *script;
    struct al_http_options opts;
    struct al_endpoint_config ep;
    struct al_http_engine *engine;
    struct al_creds *creds;
    struct al_aws_ctx *ctx;
    struct al_cfn cfn;
};

static int s_setup(struct s_fixture *f)
{
    struct al_creds_config cc = { 0 };
    memset(f, 0, sizeof(*f));
    f->script = al_http_script_new();
    f->opts.transport_factory = al_http_script_factory;
    f->opts.transport_arg = f->script;
    f->opts.backoff_base_ms = 1;
    f->opts.backoff_cap_ms = 2;
    f->ep.region = "ap-northeast-1";
    f->ep.env_endpoint_url = "http://127.0.0.1:9";
    cc.env_access_key_id = AKID;
    cc.env_secret_access_key = SECRET;
    al_clock_pin(T0);
    f->engine = al_http_engine_new(&f->opts);
    f->creds = al_creds_new(&cc, &f->ep, &f->opts);
    f->ctx = f->engine && f->creds ? al_aws_ctx_new(f->engine, f->creds, &f->ep) : NULL;
    f->cfn.ctx = f->ctx;
    return f->ctx ? 0 : -1;
}

static void s_teardown(struct s_fixture *f)
{
    al_aws_ctx_free(f->ctx);
    al_creds_free(f->creds);
    al_http_engine_free(f->engine);
    al_http_script_free(f->script);
    al_clock_pin(0);
}

static const char *s_body(struct s_fixture *f, size_t i)
{
    return al_buf_str(&al_http_script_request(f->script, i)->body);
}

#define CFN_NS "xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\""

TEST(cfn_create_change_set_sends_every_field)
{
    struct s_fixture f;
    struct al_cfn_change_set_spec spec = { 0 };
    struct al_strv arns;
    json_t *params = json_pack("{s:s, s:s}", "Env", "prod", "BootstrapVersion", "/cdk/v");
    json_t *tags = json_pack("{s:s}", "app", "demo x");
    char *id = NULL;
    const char *body;

    ASSERT_OK(s_setup(&f));
    al_strv_init(&arns);
    al_strv_push(&arns, "arn:aws:sns:ap-northeast-1:123456789012:topic");
    spec.stack_name = "Api";
    spec.change_set_name = "airlock-v1-1";
    spec.create = true;
    spec.template_body = "{\"Resources\":{}}";
    spec.parameters = params;
    spec.tags = tags;
    spec.notification_arns = &arns;
    spec.role_arn = "arn:aws:iam::123456789012:role/exec";
    spec.client_token = "airlock-v1-1";
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           "<CreateChangeSetResponse " CFN_NS "><CreateChangeSetResult>"
                           "<Id>arn:aws:cloudformation:ap-northeast-1:123456789012:changeSet/"
                           "airlock-v1-1/u</Id><StackId>s</StackId></CreateChangeSetResult>"
                           "</CreateChangeSetResponse>");
    ASSERT_OK(al_cfn_create_change_set(&f.cfn, &spec, &id));
    ASSERT_STR_EQ(id,
                  "arn:aws:cloudformation:ap-northeast-1:123456789012:changeSet/airlock-v1-1/u");
    body = s_body(&f, 0);
    ASSERT_CONTAINS(body, "Action=CreateChangeSet&Version=2010-05-15");
    ASSERT_CONTAINS(body, "&StackName=Api&ChangeSetName=airlock-v1-1&ChangeSetType=CREATE");
    ASSERT_CONTAINS(body, "&TemplateBody=%7B%22Resources%22%3A%7B%7D%7D");
    ASSERT_CONTAINS(body,
                    "&Capabilities.member.1=CAPABILITY_IAM&Capabilities.member.2="
                    "CAPABILITY_NAMED_IAM&Capabilities.member.3=CAPABILITY_AUTO_EXPAND");
    ASSERT_CONTAINS(body, "&RoleARN=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fexec");
    ASSERT_CONTAINS(body, "&ClientToken=airlock-v1-1");
    ASSERT_CONTAINS(body,
                    "&Parameters.member.1.ParameterKey=Env&Parameters.member.1.ParameterValue=prod"
                    "&Parameters.member.2.ParameterKey=BootstrapVersion"
                    "&Parameters.member.2.ParameterValue=%2Fcdk%2Fv");
    ASSERT_CONTAINS(body, "&Tags.member.1.Key=app&Tags.member.1.Value=demo%20x");
    ASSERT_CONTAINS(body, "&NotificationARNs.member.1=arn%3Aaws%3Asns%3A");
    ASSERT(!strstr(body, "TemplateURL"));
    ASSERT_CONTAINS(
      al_http_headers_get(&al_http_script_request(f.script, 0)->headers, "authorization"),
      "/ap-northeast-1/cloudformation/aws4_request");
    free(id);
    json_decref(params);
    json_decref(tags);
    al_strv_clean_up(&arns);
    s_teardown(&f);
}

TEST(cfn_create_change_set_update_with_url_empty_tags_and_previous_values)
{
    struct s_fixture f;
    struct al_cfn_change_set_spec spec = { 0 };
    struct al_strv prev;
    json_t *tags = json_object();
    const char *body;

    ASSERT_OK(s_setup(&f));
    al_strv_init(&prev);
    al_strv_push(&prev, "Secret");
    spec.stack_name = "Api";
    spec.change_set_name = "cs";
    spec.template_url = "https://s3.ap-northeast-1.amazonaws.com/b/k.json";
    spec.tags = tags;
    spec.use_previous = &prev;
    al_http_script_respond(f.script, 200, NULL, "<CreateChangeSetResponse/>");
    ASSERT_OK(al_cfn_create_change_set(&f.cfn, &spec, NULL));
    body = s_body(&f, 0);
    ASSERT_CONTAINS(body, "&ChangeSetType=UPDATE");
    ASSERT_CONTAINS(body,
                    "&TemplateURL=https%3A%2F%2Fs3.ap-northeast-1.amazonaws.com%2Fb%2Fk.json");
    ASSERT_CONTAINS(body,
                    "&Parameters.member.1.ParameterKey=Secret"
                    "&Parameters.member.1.UsePreviousValue=true");
    /* An empty tag set is sent as botocore sends an empty list: it clears the tags. */
    ASSERT_CONTAINS(body, "&Tags=");
    ASSERT(!strstr(body, "TemplateBody") && !strstr(body, "NotificationARNs"));
    /* Both or neither template: refused before any call. */
    spec.template_body = "{}";
    ASSERT_FAILS(al_cfn_create_change_set(&f.cfn, &spec, NULL));
    ASSERT_INT_EQ(al_http_script_count(f.script), 1);
    json_decref(tags);
    al_strv_clean_up(&prev);
    s_teardown(&f);
}

TEST(cfn_describe_change_set_reads_every_page_of_changes)
{
    struct s_fixture f;
    struct al_cfn_change_set cs;
    ASSERT_OK(s_setup(&f));
    al_http_script_respond(
      f.script,
      200,
      NULL,
      "<DescribeChangeSetResponse " CFN_NS "><DescribeChangeSetResult>"
      "<ChangeSetId>csid</ChangeSetId><StackId>sid</StackId><Status>CREATE_COMPLETE</Status>"
      "<ExecutionStatus>AVAILABLE</ExecutionStatus><Changes>"
      "<member><Type>Resource</Type><ResourceChange><Action>Add</Action>"
      "<LogicalResourceId>Bucket</LogicalResourceId><ResourceType>AWS::S3::Bucket</ResourceType>"
      "</ResourceChange></member>"
      "<member><Type>Resource</Type><ResourceChange><Action>Modify</Action>"
      "<LogicalResourceId>Fn</LogicalResourceId><PhysicalResourceId>fn-1</PhysicalResourceId>"
      "<ResourceType>AWS::Lambda::Function</ResourceType><Replacement>True</Replacement>"
      "</ResourceChange></member></Changes><NextToken>page2</NextToken>"
      "</DescribeChangeSetResult></DescribeChangeSetResponse>");
    al_http_script_respond(
      f.script,
      200,
      NULL,
      "<DescribeChangeSetResponse " CFN_NS "><DescribeChangeSetResult>"
      "<Status>CREATE_COMPLETE</Status><Changes>"
      "<member><Type>Resource</Type><ResourceChange><Action>Remove</Action>"
      "<LogicalResourceId>Old</LogicalResourceId><ResourceType>AWS::SNS::Topic</ResourceType>"
      "</ResourceChange></member></Changes></DescribeChangeSetResult>"
      "</DescribeChangeSetResponse>");
    ASSERT_OK(al_cfn_describe_change_set(&f.cfn, "Api", "cs1", true, &cs));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    ASSERT_CONTAINS(s_body(&f, 0), "Action=DescribeChangeSet");
    ASSERT_CONTAINS(s_body(&f, 0), "&ChangeSetName=cs1&StackName=Api");
    ASSERT(!strstr(s_body(&f, 0), "NextToken"));
    ASSERT_CONTAINS(s_body(&f, 1), "&NextToken=page2");
    ASSERT_STR_EQ(cs.status, "CREATE_COMPLETE");
    ASSERT_STR_EQ(cs.execution_status, "AVAILABLE");
    ASSERT_STR_EQ(cs.id, "csid");
    ASSERT_INT_EQ(cs.n_changes, 3);
    ASSERT_STR_EQ(cs.changes[0].action, "Add");
    ASSERT(cs.changes[0].physical_id == NULL && cs.changes[0].replacement == NULL);
    ASSERT_STR_EQ(cs.changes[1].logical_id, "Fn");
    ASSERT_STR_EQ(cs.changes[1].replacement, "True");
    ASSERT_STR_EQ(cs.changes[2].action, "Remove");
    ASSERT_STR_EQ(cs.changes[2].resource_type, "AWS::SNS::Topic");
    ASSERT(!al_cfn_change_set_empty(&cs));
    al_cfn_change_set_clean_up(&cs);
    s_teardown(&f);
}

TEST(cfn_empty_change_set_reasons)
{
    struct al_cfn_change_set cs = { 0 };
    cs.status = "FAILED";
    cs.status_reason = "The submitted information didn't contain changes. Submit different "
                       "information to create a change set.";
    ASSERT(al_cfn_change_set_empty(&cs));
    cs.status_reason = "No updates are to be performed.";
    ASSERT(al_cfn_change_set_empty(&cs));
    cs.status_reason = "Template format error: Unresolved resource dependencies [X]";
    ASSERT(!al_cfn_change_set_empty(&cs));
    cs.status = "CREATE_COMPLETE";
    cs.status_reason = "No updates are to be performed.";
    ASSERT(!al_cfn_change_set_empty(&cs));
    cs.status = "FAILED";
    cs.status_reason = NULL;
    ASSERT(!al_cfn_change_set_empty(&cs));
}

TEST(cfn_describe_stack_reads_outputs_and_missing_stack_is_not_an_error)
{
    struct s_fixture f;
    struct al_cfn_stack st;
    bool found = true;
    ASSERT_OK(s_setup(&f));
    al_http_script_respond(f.script,
                           400,
                           NULL,
                           "<ErrorResponse " CFN_NS "><Error><Type>Sender</Type><Code>"
                           "ValidationError</Code><Message>Stack with id Api does not exist"
                           "</Message></Error><RequestId>r1</RequestId></ErrorResponse>");
    ASSERT_OK(al_cfn_describe_stack(&f.cfn, "Api", &st, &found));
    ASSERT(!found);
    ASSERT(st.status == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_NONE);
    /* Other validation errors stay errors. */
    al_http_script_respond(
      f.script,
      400,
      NULL,
      "<ErrorResponse><Error><Code>ValidationError</Code><Message>1 validation "
      "error detected</Message></Error></ErrorResponse>");
    ASSERT_FAILS(al_cfn_describe_stack(&f.cfn, "bad name", &st, &found));
    ASSERT_STR_EQ(al_error_last()->aws_code, "ValidationError");
    al_http_script_respond(
      f.script,
      200,
      NULL,
      "<DescribeStacksResponse " CFN_NS "><DescribeStacksResult><Stacks><member>"
      "<StackId>arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Api/u</StackId>"
      "<StackName>Api</StackName><StackStatus>UPDATE_ROLLBACK_COMPLETE</StackStatus>"
      "<StackStatusReason>The following resource(s) failed to update: [Fn]. </StackStatusReason>"
      "<EnableTerminationProtection>true</EnableTerminationProtection>"
      "<RoleARN>arn:aws:iam::123456789012:role/exec</RoleARN>"
      "<Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>"
      "/cdk-bootstrap/hnb659fds/version</ParameterValue><ResolvedValue>27</ResolvedValue>"
      "</member></Parameters>"
      "<Outputs><member><OutputKey>Url</OutputKey><OutputValue>https://x/prod/</OutputValue>"
      "</member><member><OutputKey>Arn</OutputKey><OutputValue>a &amp; b</OutputValue>"
      "<ExportName>e</ExportName></member></Outputs>"
      "<Tags><member><Key>app</Key><Value>demo</Value></member></Tags>"
      "</member></Stacks></DescribeStacksResult></DescribeStacksResponse>");
    ASSERT_OK(al_cfn_describe_stack(&f.cfn, "Api", &st, &found));
    ASSERT(found);
    ASSERT_STR_EQ(st.status, "UPDATE_ROLLBACK_COMPLETE");
    ASSERT_CONTAINS(st.status_reason, "failed to update: [Fn]");
    ASSERT(st.termination_protection);
    ASSERT_STR_EQ(st.role_arn, "arn:aws:iam::123456789012:role/exec");
    ASSERT_STR_EQ(json_string_value(json_object_get(st.parameters, "BootstrapVersion")),
                  "/cdk-bootstrap/hnb659fds/version");
    ASSERT_INT_EQ(json_object_size(st.outputs), 2);
    ASSERT_STR_EQ(json_string_value(json_object_get(st.outputs, "Arn")), "a & b");
    ASSERT_STR_EQ(json_string_value(json_object_get(st.tags, "app")), "demo");
    ASSERT(al_cfn_status_terminal(st.status));
    ASSERT(al_cfn_status_failed(st.status));
    al_cfn_stack_clean_up(&st);
    s_teardown(&f);
}

TEST(cfn_stack_events_page)
{
    struct s_fixture f;
    struct al_cfn_events ev;
    ASSERT_OK(s_setup(&f));
    al_http_script_respond(
      f.script,
      200,
      NULL,
      "<DescribeStackEventsResponse " CFN_NS "><DescribeStackEventsResult><StackEvents>"
      "<member><EventId>e2</EventId><LogicalResourceId>Fn</LogicalResourceId>"
      "<ResourceType>AWS::Lambda::Function</ResourceType><ResourceStatus>UPDATE_FAILED"
      "</ResourceStatus><ResourceStatusReason>Resource handler returned message: \"no\""
      "</ResourceStatusReason><ClientRequestToken>tok-x</ClientRequestToken>"
      "<Timestamp>2026-01-01T00:00:05.123Z</Timestamp></member>"
      "<member><EventId>e1</EventId><LogicalResourceId>Api</LogicalResourceId>"
      "<ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>"
      "UPDATE_IN_PROGRESS</ResourceStatus><Timestamp>2026-01-01T00:00:01Z</Timestamp></member>"
      "</StackEvents><NextToken>n2</NextToken></DescribeStackEventsResult>"
      "</DescribeStackEventsResponse>");
    ASSERT_OK(al_cfn_describe_stack_events(&f.cfn, "Api", "n1", &ev));
    ASSERT_CONTAINS(s_body(&f, 0),
                    "Action=DescribeStackEvents&Version=2010-05-15&StackName=Api"
                    "&NextToken=n1");
    ASSERT_INT_EQ(ev.n, 2);
    ASSERT_STR_EQ(ev.items[0].status, "UPDATE_FAILED");
    ASSERT_STR_EQ(ev.items[0].reason, "Resource handler returned message: \"no\"");
    ASSERT_STR_EQ(ev.items[0].token, "tok-x");
    ASSERT(ev.items[1].token == NULL && ev.items[1].reason == NULL);
    ASSERT_STR_EQ(ev.next_token, "n2");
    al_cfn_events_clean_up(&ev);
    s_teardown(&f);
}

TEST(cfn_simple_calls_and_template)
{
    struct s_fixture f;
    char *body = NULL;
    ASSERT_OK(s_setup(&f));
    for (int i = 0; i < 4; i++)
        al_http_script_respond(f.script, 200, NULL, "<R/>");
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           "<GetTemplateResponse " CFN_NS "><GetTemplateResult><TemplateBody>"
                           "{\"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}"
                           "</TemplateBody></GetTemplateResult></GetTemplateResponse>");
    ASSERT_OK(al_cfn_execute_change_set(&f.cfn, "Api", "cs1", "cs1-x"));
    ASSERT_OK(al_cfn_delete_change_set(&f.cfn, "Api", "cs1"));
    ASSERT_OK(al_cfn_delete_stack(&f.cfn, "Api", "arn:aws:iam::1:role/r", "d1"));
    ASSERT_OK(al_cfn_update_termination_protection(&f.cfn, "Api", true));
    ASSERT_OK(al_cfn_get_template(&f.cfn, "Api", &body));
    ASSERT_STR_EQ(s_body(&f, 0),
                  "Action=ExecuteChangeSet&Version=2010-05-15&ChangeSetName=cs1&StackName=Api"
                  "&ClientRequestToken=cs1-x");
    ASSERT_STR_EQ(s_body(&f, 1),
                  "Action=DeleteChangeSet&Version=2010-05-15&ChangeSetName=cs1&StackName=Api");
    ASSERT_STR_EQ(s_body(&f, 2),
                  "Action=DeleteStack&Version=2010-05-15&StackName=Api&RoleARN=arn%3Aaws%3Aiam"
                  "%3A%3A1%3Arole%2Fr&ClientRequestToken=d1");
    ASSERT_STR_EQ(s_body(&f, 3),
                  "Action=UpdateTerminationProtection&Version=2010-05-15&StackName=Api"
                  "&EnableTerminationProtection=true");
    ASSERT_CONTAINS(s_body(&f, 4), "&TemplateStage=Original");
    ASSERT_STR_EQ(body, "{\"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}");
    free(body);
    s_teardown(&f);
}

TEST(cfn_status_predicates)
{
    ASSERT(al_cfn_status_terminal("CREATE_COMPLETE"));
    ASSERT(al_cfn_status_terminal("ROLLBACK_COMPLETE"));
    ASSERT(!al_cfn_status_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
    ASSERT(!al_cfn_status_terminal("REVIEW_IN_PROGRESS"));
    ASSERT(!al_cfn_status_terminal(NULL));
    ASSERT(al_cfn_status_failed("CREATE_FAILED"));
    ASSERT(al_cfn_status_failed("UPDATE_ROLLBACK_COMPLETE"));
    ASSERT(!al_cfn_status_failed("UPDATE_COMPLETE"));
    ASSERT(!al_cfn_status_failed("DELETE_COMPLETE"));
}

TEST(ssm_get_parameter_json_protocol)
{
    struct s_fixture f;
    const struct al_http_script_request *r;
    char *v = NULL;
    bool found = false;
    ASSERT_OK(s_setup(&f));
    al_http_script_respond(f.script,
                           200,
                           "Content-Type: application/x-amz-json-1.1",
                           "{\"Parameter\":{\"Name\":\"/cdk-bootstrap/hnb659fds/version\","
                           "\"Type\":\"String\",\"Value\":\"27\",\"Version\":1}}");
    al_http_script_respond(f.script,
                           400,
                           "Content-Type: application/x-amz-json-1.1",
                           "{\"__type\":\"ParameterNotFound\",\"message\":\"\"}");
    al_http_script_respond(f.script,
                           400,
                           "Content-Type: application/x-amz-json-1.1",
                           "{\"__type\":\"AccessDeniedException\",\"message\":\"no\"}");
    ASSERT_OK(
      al_ssm_get_parameter(f.ctx, "eu-west-1", "/cdk-bootstrap/hnb659fds/version", &v, &found));
    ASSERT(found);
    ASSERT_STR_EQ(v, "27");
    free(v);
    r = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(r->method, "POST");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-target"), "AmazonSSM.GetParameter");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "content-type"), "application/x-amz-json-1.1");
    ASSERT_CONTAINS(al_http_headers_get(&r->headers, "authorization"),
                    "/eu-west-1/ssm/aws4_request");
    ASSERT_STR_EQ(al_buf_str(&r->body), "{\"Name\":\"/cdk-bootstrap/hnb659fds/version\"}");
    ASSERT_OK(al_ssm_get_parameter(f.ctx, NULL, "/x", &v, &found));
    ASSERT(!found && v == NULL);
    ASSERT_FAILS(al_ssm_get_parameter(f.ctx, NULL, "/x", &v, &found));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    s_teardown(&f);
}

static const char *s_list_answer(const char *key, const char *size)
{
    static char buf[1024];
    if (!key)
        return "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount></ListBucketResult>";
    snprintf(buf,
             sizeof(buf),
             "<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><Contents><Key>%s</Key>"
             "<Size>%s</Size></Contents></ListBucketResult>",
             key,
             size);
    return buf;
}

TEST(asset_exists_lists_the_key_and_counts_empty_zips_as_missing)
{
    struct s_fixture f;
    const struct al_http_script_request *r;
    bool exists = false;
    const char *key = "0123abcd.zip";
    ASSERT_OK(s_setup(&f));
    al_http_script_respond(f.script, 200, NULL, s_list_answer(key, "4096"));
    al_http_script_respond(f.script, 200, NULL, s_list_answer(key, "22"));
    al_http_script_respond(f.script, 200, NULL, s_list_answer("0123abcd.zip.old", "4096"));
    al_http_script_respond(f.script, 200, NULL, s_list_answer(NULL, NULL));
    al_http_script_respond(f.script, 200, NULL, s_list_answer("t.json", "2"));
    ASSERT_OK(al_asset_exists(f.ctx, "assets", key, "ap-northeast-1", &exists));
    ASSERT(exists);
    r = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(r->method, "GET");
    ASSERT_STR_EQ(r->url, "http://127.0.0.1:9/assets?list-type=2&max-keys=1&prefix=0123abcd.zip");
    ASSERT_OK(al_asset_exists(f.ctx, "assets", key, NULL, &exists));
    ASSERT(!exists); /* 22 bytes: an empty zip */
    ASSERT_OK(al_asset_exists(f.ctx, "assets", key, NULL, &exists));
    ASSERT(!exists); /* only a longer key with the same prefix */
    ASSERT_OK(al_asset_exists(f.ctx, "assets", key, NULL, &exists));
    ASSERT(!exists);
    ASSERT_OK(al_asset_exists(f.ctx, "assets", "t.json", NULL, &exists));
    ASSERT(exists); /* the size rule is for zips only */
    for (size_t i = 0; i < al_http_script_count(f.script); i++)
        ASSERT_STR_EQ(al_http_script_request(f.script, i)->method, "GET");
    s_teardown(&f);
}

TEST(asset_upload_sends_encryption_and_checksum)
{
    struct s_fixture f;
    struct al_asset_sse sse;
    struct al_asset_package pkg = { 0 };
    const struct al_http_script_request *r;
    char *dir = al_test_tmpdir(), path[512];
    uint8_t sha[AL_SHA256_LEN];
    struct al_buf b64;
    FILE *fp;

    ASSERT(dir);
    ASSERT_OK(s_setup(&f));
    snprintf(path, sizeof(path), "%s/a.zip", dir);
    fp = fopen(path, "w");
    ASSERT(fp);
    fputs("zip bytes", fp);
    fclose(fp);
    pkg.path = path;
    pkg.size = 9;
    pkg.content_type = "application/zip";
    al_sha256("zip bytes", 9, sha);
    al_hex(sha, AL_SHA256_LEN, pkg.sha256_hex);
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionBy"
                           "Default><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>key-1"
                           "</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>"
                           "</ServerSideEncryptionConfiguration>");
    al_http_script_respond(f.script, 200, "ETag: \"x\"", NULL);
    ASSERT_OK(al_asset_bucket_encryption(f.ctx, "assets", NULL, &sse));
    ASSERT_STR_EQ(sse.algorithm, "aws:kms");
    ASSERT_STR_EQ(sse.kms_key_id, "key-1");
    ASSERT_STR_EQ(al_http_script_request(f.script, 0)->url,
                  "http://127.0.0.1:9/assets?encryption=");
    ASSERT_OK(al_asset_upload(f.ctx, "assets", "k/a.zip", NULL, &pkg, &sse));
    r = al_http_script_request(f.script, 1);
    ASSERT_STR_EQ(r->method, "PUT");
    ASSERT_STR_EQ(r->url, "http://127.0.0.1:9/assets/k/a.zip");
    ASSERT_STR_EQ(al_buf_str(&r->body), "zip bytes");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "content-type"), "application/zip");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-server-side-encryption"), "aws:kms");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-server-side-encryption-aws-kms-key-id"),
                  "key-1");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-content-sha256"), pkg.sha256_hex);
    al_buf_init(&b64, 128);
    al_base64(&b64, sha, sizeof(sha));
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-checksum-sha256"), al_buf_str(&b64));
    al_buf_clean_up(&b64);
    /* A bucket whose configuration cannot be read: no header, the bucket's default applies. */
    al_http_script_respond(
      f.script, 403, NULL, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>");
    ASSERT_OK(al_asset_bucket_encryption(f.ctx, "assets", NULL, &sse));
    ASSERT_STR_EQ(sse.algorithm, "");
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_NONE);
    remove(path);
    free(dir);
    s_teardown(&f);
}
