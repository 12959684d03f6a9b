/* SPDX-License-Identifier: Apache-2.0 */
/* CloudFront invalidations (aws/cloudfront.c) and the CDN step (deploy/cdn.c) over the script. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/cloudfront.h"
#include "deploy/steps.h"
#include "http/script.h"
#include "run_fixture.h"
#include "util/clock.h"

#define T0 AL_TEST_T0
#define INV_XML(id, status)                                                                        \
    "<?xml version=\"1.0\"?><Invalidation xmlns=\"http://cloudfront.amazonaws.com/doc/"            \
    "2020-05-31/\"><Id>" id "</Id><Status>" status "</Status><CreateTime>2026-01-01T00:00:00Z"     \
    "</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/a</Path></Items>"  \
    "</Paths><CallerReference>r</CallerReference></InvalidationBatch></Invalidation>"
#define BUSY_XML                                                                                   \
    "<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>"       \
    "Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>Processing your request "    \
    "will cause you to exceed the maximum number of in-progress wildcard invalidations."           \
    "</Message></Error><RequestId>r1</RequestId></ErrorResponse>"

static void s_keys(struct al_strv *v, const char *const *keys)
{
    al_strv_init(v);
    for (; *keys; keys++)
        al_strv_push(v, *keys);
}

/* The text between <tag> and </tag> in s, or "" (first occurrence). */
static void s_between(const char *s, const char *tag, char *out, size_t cap)
{
    char open[64], close[64];
    const char *a, *b;
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    out[0] = '\0';
    if (!(a = strstr(s, open)) || !(b = strstr(a, close)))
        return;
    a += strlen(open);
    snprintf(out, cap, "%.*s", (int)(b - a), a);
}

TEST(cloudfront_batch_xml_escapes_and_counts)
{
    const char *paths[] = { "/a&b.html", "/assets/*" };
    struct al_buf b;
    al_buf_init(&b, 1 << 16);
    ASSERT_OK(al_cf_invalidation_batch_xml(&b, paths, 2, "ref<1>"));
    ASSERT_CONTAINS(al_buf_str(&b),
                    "<InvalidationBatch xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
                    "<Paths><Quantity>2</Quantity><Items><Path>/a&amp;b.html</Path><Path>/assets/"
                    "*</Path></Items></Paths><CallerReference>ref&lt;1&gt;</CallerReference>"
                    "</InvalidationBatch>");
    al_buf_clean_up(&b);
}

TEST(cloudfront_parse_invalidation)
{
    struct al_cf_invalidation inv;
    const char *xml = INV_XML("I2J0I21PCUYOIK", "InProgress");
    ASSERT_OK(al_cf_parse_invalidation(xml, strlen(xml), &inv));
    ASSERT_STR_EQ(inv.id, "I2J0I21PCUYOIK");
    ASSERT_STR_EQ(inv.status, "InProgress");
    ASSERT_STR_EQ(inv.create_time, "2026-01-01T00:00:00Z");
    ASSERT_FAILS(
      al_cf_parse_invalidation("<Invalidation><Status>x</Status></Invalidation>", 47, &inv));
    ASSERT_FAILS(al_cf_parse_invalidation("<Other/>", 8, &inv));
}

TEST(cloudfront_distribution_id_rules)
{
    ASSERT(al_cf_distribution_id_valid("E2EXAMPLE1ABCD"));
    ASSERT(!al_cf_distribution_id_valid("e2example"));
    ASSERT(!al_cf_distribution_id_valid("E2/../x"));
    ASSERT(!al_cf_distribution_id_valid(""));
    ASSERT(!al_cf_distribution_id_valid(NULL));
}

TEST(cloudfront_create_and_get_on_the_wire)
{
    struct al_test_run f;
    struct al_cf_invalidation inv;
    const char *paths[] = { "/index.html" };
    const struct al_http_script_request *q;
    ASSERT_OK(al_test_run_setup(&f, NULL, true));
    al_http_script_respond(f.script, 201, "Location: http://x/inv", INV_XML("IABC", "InProgress"));
    ASSERT_OK(al_cf_create_invalidation(f.run.aws, "E2EXAMPLE", paths, 1, "ref-1", &inv));
    ASSERT_STR_EQ(inv.id, "IABC");
    q = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(q->method, "POST");
    ASSERT_STR_EQ(q->url, "http://127.0.0.1:9/2020-05-31/distribution/E2EXAMPLE/invalidation");
    /* CloudFront signs in us-east-1 whatever the region. */
    ASSERT_CONTAINS(al_http_headers_get(&q->headers, "authorization"),
                    "/us-east-1/cloudfront/aws4_request");
    ASSERT_CONTAINS(al_buf_str(&q->body), "<Path>/index.html</Path>");
    al_http_script_respond(f.script, 200, NULL, INV_XML("IABC", "Completed"));
    ASSERT_OK(al_cf_get_invalidation(f.run.aws, "E2EXAMPLE", "IABC", &inv));
    ASSERT_STR_EQ(inv.status, "Completed");
    q = al_http_script_request(f.script, 1);
    ASSERT_STR_EQ(q->method, "GET");
    ASSERT_STR_EQ(q->url, "http://127.0.0.1:9/2020-05-31/distribution/E2EXAMPLE/invalidation/IABC");
    al_test_run_teardown(&f);
}

TEST(cloudfront_busy_is_an_aws_error_with_its_code)
{
    struct al_test_run f;
    struct al_cf_invalidation inv;
    const char *paths[] = { "/a" };
    ASSERT_OK(al_test_run_setup(&f, NULL, true));
    al_http_script_respond(f.script, 400, "Content-Type: text/xml", BUSY_XML);
    ASSERT_FAILS(al_cf_create_invalidation(f.run.aws, "E2EXAMPLE", paths, 1, "r", &inv));
    ASSERT_STR_EQ(al_error_last()->aws_code, "TooManyInvalidationsInProgress");
    ASSERT_INT_EQ(al_http_script_count(f.script), 1); /* not an SDK-retryable code */
    al_test_run_teardown(&f);
}

TEST(cdn_step_invalidates_changed_paths_and_sets_output)
{
    const char *kv[] = { "distribution-id", "E2EXAMPLE", NULL };
    const char *keys[] = { "index.html", "app.js", "logo.png", NULL };
    struct al_test_run f;
    struct al_strv v;
    char items[512], qty[16];
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    s_keys(&v, keys);
    al_http_script_respond(f.script, 201, NULL, INV_XML("IOUT1", "InProgress"));
    ASSERT_OK(al_step_cdn(&f.run, &v));
    ASSERT_STR_EQ(al_outputs_get(&f.outputs, "invalidation-id"), "IOUT1");
    ASSERT_INT_EQ(al_http_script_count(f.script), 1);
    s_between(
      al_buf_str(&al_http_script_request(f.script, 0)->body), "Items", items, sizeof(items));
    ASSERT_STR_EQ(items,
                  "<Path>/</Path><Path>/app.js</Path><Path>/index.html</Path><Path>/logo.png"
                  "</Path>");
    s_between(al_buf_str(&al_http_script_request(f.script, 0)->body), "Quantity", qty, sizeof(qty));
    ASSERT_STR_EQ(qty, "4");
    ASSERT_INT_EQ(f.run.n_steps, 1);
    ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_OK);
    ASSERT_CONTAINS(al_buf_str(&f.run.summary.md), "IOUT1");
    al_strv_clean_up(&v);
    al_test_run_teardown(&f);
}

TEST(cdn_step_caller_reference_is_stable_per_call_and_new_per_run)
{
    const char *kv[] = { "distribution-id", "E2EXAMPLE", NULL };
    const char *keys[] = { "a.js", NULL };
    struct al_test_run f;
    struct al_strv v;
    char ref1[256], ref2[256], ref3[256];
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    s_keys(&v, keys);
    /* A lost answer: the engine retries with the same body, so the same reference. */
    al_http_script_fail(f.script, AL_XFER_RESET);
    al_http_script_respond(f.script, 201, NULL, INV_XML("IR1", "InProgress"));
    ASSERT_OK(al_step_cdn(&f.run, &v));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    s_between(al_buf_str(&al_http_script_request(f.script, 0)->body),
              "CallerReference",
              ref1,
              sizeof(ref1));
    s_between(al_buf_str(&al_http_script_request(f.script, 1)->body),
              "CallerReference",
              ref2,
              sizeof(ref2));
    ASSERT_STR_EQ(ref1, ref2);
    ASSERT_CONTAINS(ref1, "airlock-v2-4242-");
    /* A second invalidation in the same run (an auto-rollback's) gets its own reference. */
    al_http_script_respond(f.script, 201, NULL, INV_XML("IR2", "InProgress"));
    ASSERT_OK(al_step_cdn(&f.run, &v));
    s_between(al_buf_str(&al_http_script_request(f.script, 2)->body),
              "CallerReference",
              ref3,
              sizeof(ref3));
    ASSERT(strcmp(ref1, ref3) != 0);
    al_strv_clean_up(&v);
    al_test_run_teardown(&f);
}

TEST(cdn_step_none_all_dry_run_and_no_distribution)
{
    const char *keys[] = { "a.js", NULL };
    struct al_test_run f;
    struct al_strv v;
    s_keys(&v, keys);
    {
        ASSERT_OK(al_test_run_setup(&f, NULL, true));
        ASSERT_OK(al_step_cdn(&f.run, &v));
        ASSERT_INT_EQ(f.run.n_steps, 0);
        ASSERT_INT_EQ(al_http_script_count(f.script), 0);
        al_test_run_teardown(&f);
    }
    {
        const char *kv[] = { "distribution-id", "E2EXAMPLE", "invalidate", "none", NULL };
        ASSERT_OK(al_test_run_setup(&f, kv, true));
        ASSERT_OK(al_step_cdn(&f.run, &v));
        ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_SKIPPED);
        ASSERT_INT_EQ(al_http_script_count(f.script), 0);
        al_test_run_teardown(&f);
    }
    {
        const char *kv[] = { "distribution-id", "E2EXAMPLE", "invalidate", "all", NULL };
        char items[128];
        ASSERT_OK(al_test_run_setup(&f, kv, true));
        al_http_script_respond(f.script, 201, NULL, INV_XML("IALL", "InProgress"));
        ASSERT_OK(al_step_cdn(&f.run, &v));
        s_between(
          al_buf_str(&al_http_script_request(f.script, 0)->body), "Items", items, sizeof(items));
        ASSERT_STR_EQ(items, "<Path>/*</Path>");
        al_test_run_teardown(&f);
    }
    {
        const char *kv[] = { "distribution-id", "E2EXAMPLE", NULL };
        ASSERT_OK(al_test_run_setup(&f, kv, true));
        f.run.dry_run = true;
        ASSERT_OK(al_step_cdn(&f.run, &v));
        ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_PLANNED);
        ASSERT_INT_EQ(al_http_script_count(f.script), 0);
        ASSERT(!al_outputs_get(&f.outputs, "invalidation-id"));
        al_test_run_teardown(&f);
    }
    {
        /* Nothing changed: nothing to invalidate. */
        const char *kv[] = { "distribution-id", "E2EXAMPLE", NULL };
        struct al_strv empty;
        al_strv_init(&empty);
        ASSERT_OK(al_test_run_setup(&f, kv, true));
        ASSERT_OK(al_step_cdn(&f.run, &empty));
        ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_NO_CHANGE);
        ASSERT_INT_EQ(al_http_script_count(f.script), 0);
        al_test_run_teardown(&f);
    }
    al_strv_clean_up(&v);
}

TEST(cdn_step_resolves_a_stack_output_reference_and_checks_the_id)
{
    const char *kv[] = { "distribution-id", "${stack:Site.DistributionId}", NULL };
    const char *keys[] = { "a.js", NULL };
    struct al_test_run f;
    struct al_strv v;
    s_keys(&v, keys);
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    ASSERT_OK(al_run_add_stack_output(&f.run, "Site", "DistributionId", "E3STACKOUT"));
    al_http_script_respond(f.script, 201, NULL, INV_XML("IREF", "InProgress"));
    ASSERT_OK(al_step_cdn(&f.run, &v));
    ASSERT_CONTAINS(al_http_script_request(f.script, 0)->url, "/distribution/E3STACKOUT/");
    al_test_run_teardown(&f);
    /* An output that is not a distribution id is refused before any call. */
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    ASSERT_OK(al_run_add_stack_output(&f.run, "Site", "DistributionId", "d123.cloudfront.net"));
    ASSERT_FAILS(al_step_cdn(&f.run, &v));
    ASSERT_CONTAINS(al_error_last()->msg, "is not a CloudFront distribution id");
    ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_FAILED);
    ASSERT_INT_EQ(al_http_script_count(f.script), 0);
    al_test_run_teardown(&f);
    al_strv_clean_up(&v);
}

TEST(cdn_step_reports_no_such_distribution)
{
    const char *kv[] = { "distribution-id", "E404", NULL };
    const char *keys[] = { "a.js", NULL };
    struct al_test_run f;
    struct al_strv v;
    s_keys(&v, keys);
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(
      f.script,
      404,
      NULL,
      "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchDistribution</Code><Message>The "
      "specified distribution does not exist.</Message></Error><RequestId>r</RequestId>"
      "</ErrorResponse>");
    ASSERT_FAILS(al_step_cdn(&f.run, &v));
    ASSERT_CONTAINS(al_error_last()->msg, "NoSuchDistribution");
    ASSERT_INT_EQ(al_http_script_count(f.script), 1);
    al_test_run_teardown(&f);
    al_strv_clean_up(&v);
}

TEST(cdn_step_waits_for_completed)
{
    const char *kv[] = { "distribution-id", "E2EXAMPLE", "wait-for-invalidation", "true", NULL };
    const char *keys[] = { "a.js", NULL };
    struct al_test_run f;
    struct al_strv v;
    s_keys(&v, keys);
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(f.script, 201, NULL, INV_XML("IWAIT", "InProgress"));
    al_http_script_respond(f.script, 200, NULL, INV_XML("IWAIT", "Completed"));
    ASSERT_OK(al_step_cdn(&f.run, &v));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    ASSERT_STR_EQ(al_http_script_request(f.script, 1)->url,
                  "http://127.0.0.1:9/2020-05-31/distribution/E2EXAMPLE/invalidation/IWAIT");
    ASSERT_CONTAINS(f.run.steps[0].detail, "IWAIT: 1 path, completed");
    al_test_run_teardown(&f);
    al_strv_clean_up(&v);
}
