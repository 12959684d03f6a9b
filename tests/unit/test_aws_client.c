/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/client.h"
#include "http/script.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/secret.h"

#define AKID "AKIDCLIENTTEST000001"
#define SECRET "client/test/secret/key"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

struct s_fixture {
    struct al_http_script *script;
    struct al_http_options opts;
    struct al_endpoint_config ep;
    struct al_http_engine *engine;
    struct al_creds *creds;
    struct al_aws_ctx *ctx;
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
    al_clock_set_skew(0);
    f->engine = al_http_engine_new(&f->opts);
    f->creds = al_creds_new(&cc, &f->ep, &f->opts);
    f->ctx = f->engine && f->creds ? al_aws_ctx_new(f->engine, f->creds, &f->ep) : NULL;
    return f->ctx ? 0 : -1;
}

static void s_teardown(struct s_fixture *f)
{
    al_aws_ctx_free(f->ctx);
    al_creds_free(f->creds);
    al_http_engine_free(f->engine);
    al_http_script_free(f->script);
    al_clock_pin(0);
    al_clock_set_skew(0);
}

TEST(aws_client_signs_s3_put)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    const struct al_kv hdrs[] = { { "Content-Type", "text/html" }, { "x-amz-meta-sha256", "abc" } };
    const struct al_http_script_request *r;
    uint8_t d[AL_SHA256_LEN];
    char hex[65];
    ASSERT_OK(s_setup(&f));
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "PutObject";
    spec.method = "PUT";
    spec.bucket = "site";
    spec.key = "dir/a b+c.html";
    spec.headers = hdrs;
    spec.n_headers = 2;
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = "<html></html>";
    spec.body.len = 13;
    al_http_script_respond(f.script, 200, "ETag: \"e1\"", NULL);
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_STR_EQ(al_http_response_header(&resp, "ETag"), "\"e1\"");
    r = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(r->method, "PUT");
    ASSERT_STR_EQ(r->url, "http://127.0.0.1:9/site/dir/a%20b%2Bc.html");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "host"), "127.0.0.1:9");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-date"), "20260101T000000Z");
    al_sha256("<html></html>", 13, d);
    al_hex(d, AL_SHA256_LEN, hex);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-content-sha256"), hex);
    ASSERT_CONTAINS(al_http_headers_get(&r->headers, "authorization"),
                    "AWS4-HMAC-SHA256 Credential=" AKID "/20260101/ap-northeast-1/s3/aws4_request");
    ASSERT_CONTAINS(al_http_headers_get(&r->headers, "authorization"),
                    "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                    "x-amz-meta-sha256");
    ASSERT(!al_http_headers_has(&r->headers, "x-amz-security-token"));
    ASSERT_STR_EQ(r->body.data, "<html></html>");
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}

TEST(aws_client_access_denied_fails_at_once)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    ASSERT_OK(s_setup(&f));
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "GetObject";
    spec.bucket = "site";
    spec.key = "k";
    al_http_script_respond(f.script,
                           403,
                           "x-amz-request-id: REQ403",
                           "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                           "<RequestId>REQ403</RequestId></Error>");
    ASSERT_FAILS(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_INT_EQ(al_http_script_count(f.script), 1);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied");
    ASSERT_STR_EQ(al_error_last()->request_id, "REQ403");
    ASSERT_INT_EQ(al_error_last()->http_status, 403);
    ASSERT_CONTAINS(al_error_last()->msg, "s3 GetObject failed: AccessDenied: Access Denied");
    ASSERT_STR_EQ(resp.error.aws_code, "AccessDenied");
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}

TEST(aws_client_corrects_clock_skew_and_resigns)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    struct al_aws_stats st;
    ASSERT_OK(s_setup(&f));
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_CLOUDFORMATION;
    spec.operation = "DescribeStacks";
    spec.method = "POST";
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = "Action=DescribeStacks&Version=2010-05-15";
    spec.body.len = strlen(spec.body.data);
    /* The server is 20 minutes ahead. */
    al_http_script_respond(f.script,
                           400,
                           "Date: Thu, 01 Jan 2026 00:20:00 GMT",
                           "<ErrorResponse><Error><Code>RequestExpired</Code><Message>too old"
                           "</Message></Error><RequestId>r</RequestId></ErrorResponse>");
    al_http_script_respond(f.script, 200, "Date: Thu, 01 Jan 2026 00:20:00 GMT", "<ok/>");
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_INT_EQ(al_clock_skew(), 1200);
    ASSERT_STR_EQ(al_http_headers_get(&al_http_script_request(f.script, 0)->headers, "x-amz-date"),
                  "20260101T000000Z");
    ASSERT_STR_EQ(al_http_headers_get(&al_http_script_request(f.script, 1)->headers, "x-amz-date"),
                  "20260101T002000Z");
    ASSERT_CONTAINS(
      al_http_headers_get(&al_http_script_request(f.script, 1)->headers, "authorization"),
      "/cloudformation/aws4_request");
    al_aws_ctx_stats(f.ctx, &st);
    ASSERT_INT_EQ(st.skew_corrections, 1);
    /* A small gap on a success is left alone. */
    al_http_script_respond(f.script, 200, "Date: Thu, 01 Jan 2026 00:20:30 GMT", "<ok/>");
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_INT_EQ(al_clock_skew(), 1200);
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}

TEST(aws_client_error_in_200_body_is_retried)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    const struct al_kv q[] = { { "uploadId", "U1" } };
    ASSERT_OK(s_setup(&f));
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "CompleteMultipartUpload";
    spec.method = "POST";
    spec.bucket = "site";
    spec.key = "big.bin";
    spec.query = q;
    spec.n_query = 1;
    spec.error_in_200 = true;
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           "<?xml version=\"1.0\"?>\n   \n<Error><Code>InternalError</Code>"
                           "<Message>We encountered an internal error.</Message></Error>");
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag>"
                           "</CompleteMultipartUploadResult>");
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_INT_EQ(resp.attempts, 2);
    ASSERT_STR_EQ(al_http_script_request(f.script, 0)->url,
                  "http://127.0.0.1:9/site/big.bin?uploadId=U1");
    /* Without the flag the same body is a success. */
    spec.error_in_200 = false;
    al_http_script_respond(f.script, 200, NULL, "<Error><Code>InternalError</Code></Error>");
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}

TEST(aws_client_ok_status_and_query_encoding)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    const struct al_kv q[] = { { "list-type", "2" },
                               { "prefix", "a b/" },
                               { "continuation-token", "x+/=" } };
    ASSERT_OK(s_setup(&f));
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "HeadObject";
    spec.method = "HEAD";
    spec.bucket = "site";
    spec.key = "missing";
    spec.ok_status = 404;
    al_http_script_respond(f.script, 404, NULL, NULL);
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_INT_EQ(resp.status, 404);
    spec.operation = "ListObjectsV2";
    spec.method = "GET";
    spec.key = NULL;
    spec.query = q;
    spec.n_query = 3;
    spec.ok_status = 0;
    al_http_script_respond(f.script, 200, NULL, "<ListBucketResult/>");
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    ASSERT_STR_EQ(
      al_http_script_request(f.script, 1)->url,
      "http://127.0.0.1:9/site?continuation-token=x%2B%2F%3D&list-type=2&prefix=a%20b%2F");
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}

static int s_async_ok;
static void s_async_done(void *user, struct al_http_response *r)
{
    int *slot = user;
    if (!r->failed && r->status == 200)
        (*slot)++, s_async_ok++;
}

TEST(aws_client_async_batch)
{
    struct s_fixture f;
    struct al_http_response resp[40];
    int seen[40] = { 0 };
    char key[32];
    struct al_aws_call_spec spec = { 0 };
    struct al_http_stats hs;
    ASSERT_OK(s_setup(&f));
    spec.service = AL_SVC_S3;
    spec.operation = "PutObject";
    spec.method = "PUT";
    spec.bucket = "site";
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = "x";
    spec.body.len = 1;
    s_async_ok = 0;
    for (int i = 0; i < 40; i++) {
        al_http_response_init(&resp[i], 0);
        snprintf(key, sizeof(key), "k/%d", i);
        spec.key = key; /* copied at submit */
        al_http_script_respond(f.script, i % 8 ? 200 : 503, NULL, NULL);
        ASSERT_OK(al_aws_submit(f.ctx, &spec, &resp[i], s_async_done, &seen[i]));
    }
    for (int i = 0; i < 5; i++)
        al_http_script_respond(f.script, 200, NULL, NULL);
    ASSERT_OK(al_aws_run(f.ctx));
    ASSERT_INT_EQ(s_async_ok, 40);
    for (int i = 0; i < 40; i++)
        ASSERT_INT_EQ(seen[i], 1);
    al_http_engine_stats(f.engine, &hs);
    ASSERT_INT_EQ(hs.retries, 5);
    for (int i = 0; i < 40; i++)
        al_http_response_clean_up(&resp[i]);
    s_teardown(&f);
}

static struct al_buf s_log;
static void s_capture(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    (void)level, (void)where;
    al_buf_puts(&s_log, text);
    al_buf_putc(&s_log, '\n');
}

TEST(aws_client_debug_log_has_no_secrets)
{
    struct s_fixture f;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    const char *log;
    ASSERT_OK(s_setup(&f));
    al_buf_init(&s_log, 1 << 20);
    al_log_set_writer(s_capture);
    al_log_set_debug(true);
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "PutObject";
    spec.method = "PUT";
    spec.bucket = "site";
    spec.key = "k";
    al_http_script_respond(f.script, 500, "x-amz-request-id: RID1", NULL);
    al_http_script_respond(f.script, 200, "x-amz-request-id: RID2", NULL);
    ASSERT_OK(al_aws_request(f.ctx, &spec, &resp));
    al_log_set_writer(NULL);
    al_log_set_debug(false);
    log = al_buf_str(&s_log);
    ASSERT_CONTAINS(log, "s3 PutObject PUT /site/k -> 500");
    ASSERT_CONTAINS(log, "request id RID2");
    ASSERT(!strstr(log, SECRET));
    ASSERT(!strstr(log, AKID));
    ASSERT(!strstr(log, "Authorization"));
    ASSERT(!strstr(log, "Signature="));
    ASSERT(!strstr(log, "Credential="));
    ASSERT(al_secret_contains("x" SECRET "x")); /* registered by the provider */
    al_buf_clean_up(&s_log);
    al_http_response_clean_up(&resp);
    s_teardown(&f);
}
