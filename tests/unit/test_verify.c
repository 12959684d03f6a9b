/* SPDX-License-Identifier: Apache-2.0 */
/* Verification: the pure checks (deploy/verify_check.c), CloudWatch (aws/cloudwatch.c), and the
 * health check and alarm steps (deploy/verify.c) over the scripted transport. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/cloudwatch.h"
#include "deploy/steps.h"
#include "deploy/verify_check.h"
#include "http/script.h"
#include "run_fixture.h"
#include "util/clock.h"

#define T0 AL_TEST_T0

#define CW_HEAD                                                                                    \
    "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"           \
    "<DescribeAlarmsResult>"
#define CW_TAIL                                                                                    \
    "</DescribeAlarmsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"         \
    "</DescribeAlarmsResponse>"
#define CW_METRIC(name, state, reason, ts)                                                         \
    "<member><AlarmName>" name "</AlarmName><StateValue>" state                                    \
    "</StateValue><StateReason>" reason "</StateReason><StateUpdatedTimestamp>" ts                 \
    "</StateUpdatedTimestamp>"                                                                     \
    "<StateTransitionedTimestamp>" ts "</StateTransitionedTimestamp></member>"

/* ---- pure checks ---- */

TEST(verify_json_path_get)
{
    json_t *doc = json_loads("{\"a\":{\"b\":[{\"c\":\"x\"},2]},\"v\":\"v2\",\"n\":3}", 0, NULL);
    ASSERT(doc);
    ASSERT_STR_EQ(json_string_value(al_json_path_get(doc, "a.b.0.c")), "x");
    ASSERT_INT_EQ(json_integer_value(al_json_path_get(doc, "a.b.1")), 2);
    ASSERT_STR_EQ(json_string_value(al_json_path_get(doc, "v")), "v2");
    ASSERT(!al_json_path_get(doc, "a.b.2"));
    ASSERT(!al_json_path_get(doc, "a.b.x"));
    ASSERT(!al_json_path_get(doc, "a..b"));
    ASSERT(!al_json_path_get(doc, "n.x"));
    ASSERT(!al_json_path_get(doc, ""));
    json_decref(doc);
}

TEST(verify_json_value_matches)
{
    json_t *s = json_string("ok"), *i = json_integer(200), *r = json_real(1.5);
    ASSERT(al_json_value_matches(s, "ok"));
    ASSERT(!al_json_value_matches(s, "OK"));
    ASSERT(al_json_value_matches(i, "200"));
    ASSERT(al_json_value_matches(i, "200.0"));
    ASSERT(!al_json_value_matches(i, "200x"));
    ASSERT(!al_json_value_matches(i, ""));
    ASSERT(al_json_value_matches(r, "1.50"));
    ASSERT(al_json_value_matches(json_true(), "true"));
    ASSERT(!al_json_value_matches(json_true(), "1"));
    ASSERT(al_json_value_matches(json_false(), "false"));
    ASSERT(al_json_value_matches(json_null(), "null"));
    ASSERT(!al_json_value_matches(NULL, "null"));
    json_decref(s);
    json_decref(i);
    json_decref(r);
}

TEST(verify_health_evaluate_explains_mismatches)
{
    struct al_strv json;
    struct al_health_expect e = { 0 };
    const char *body = "{\"status\":\"ok\",\"build\":{\"version\":\"v1\"},\"db\":true}";
    char why[256];
    al_strv_init(&json);
    e.status = 200;
    ASSERT(!al_health_evaluate(&e, 500, "", 0, why, sizeof(why)));
    ASSERT_STR_EQ(why, "HTTP 500, expected 200");
    ASSERT(al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    e.body = "\"ok\"";
    ASSERT(al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    e.body = "healthy";
    ASSERT(!al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    ASSERT_STR_EQ(why, "the body does not contain \"healthy\"");
    e.body = NULL;
    al_strv_push(&json, "status=ok");
    al_strv_push(&json, "db=true");
    e.json = &json;
    ASSERT(al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    al_strv_push(&json, "build.region=tokyo");
    ASSERT(!al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    ASSERT_STR_EQ(why, "\"build.region\" is missing from the JSON body");
    e.json = NULL;
    e.version_path = "build.version";
    e.version = "v2";
    ASSERT(!al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    ASSERT_STR_EQ(why, "version at \"build.version\" is \"v1\", expected \"v2\"");
    e.version = "v1";
    ASSERT(al_health_evaluate(&e, 200, body, strlen(body), why, sizeof(why)));
    ASSERT(!al_health_evaluate(&e, 200, "<html>", 6, why, sizeof(why)));
    ASSERT_CONTAINS(why, "the body is not JSON");
    al_strv_clean_up(&json);
}

TEST(verify_expect_json_items_are_checked)
{
    struct al_strv v;
    al_strv_init(&v);
    al_strv_push(&v, "status=ok");
    ASSERT_OK(al_health_check_expect_json(&v));
    al_strv_push(&v, "=ok");
    ASSERT_FAILS(al_health_check_expect_json(&v));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "'=ok' is not a path=value pair");
    al_strv_clean_up(&v);
}

TEST(verify_url_rules)
{
    ASSERT_OK(al_health_check_url("https://app.example.com/health?x=1", "health-url"));
    ASSERT_OK(al_health_check_url("http://127.0.0.1:8080/health", "health-url"));
    ASSERT_OK(al_health_check_url("http://localhost/health", "health-url"));
    ASSERT_OK(al_health_check_url("http://[::1]:3000/", "health-url"));
    ASSERT_FAILS(al_health_check_url("http://app.example.com/health", "health-url"));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg,
                    "health-url: plain http:// is allowed only for loopback hosts");
    ASSERT_CONTAINS(al_error_last()->msg, "not 'app.example.com'");
    ASSERT_FAILS(al_health_check_url("http://128.0.0.1/", "health-url"));
    ASSERT_FAILS(al_health_check_url("ftp://example.com/", "health-url"));
    ASSERT_FAILS(al_health_check_url("https://user:pw@example.com/", "health-url"));
    ASSERT_FAILS(al_health_check_url("not a url", "health-url"));
}

TEST(verify_redirect_and_log_urls)
{
    char *u = al_health_redirect_url("https://h.example/a/b?x=1", "/c");
    ASSERT_STR_EQ(u, "https://h.example/c");
    free(u);
    u = al_health_redirect_url("https://h.example/a/b", "d");
    ASSERT_STR_EQ(u, "https://h.example/a/d");
    free(u);
    u = al_health_redirect_url("https://h.example/a", "https://other.example/z");
    ASSERT_STR_EQ(u, "https://other.example/z");
    free(u);
    u = al_health_url_for_log("https://h.example/health?token=s3cr3t#frag");
    ASSERT_STR_EQ(u, "https://h.example/health");
    free(u);
}

TEST(verify_alarm_patterns_split)
{
    struct al_strv in, names, prefixes;
    al_strv_init(&in);
    al_strv_init(&names);
    al_strv_init(&prefixes);
    ASSERT_OK(al_strv_split_list(&in, "api-5xx, site-*\napi-5xx"));
    ASSERT_OK(al_alarm_patterns_split(&in, &names, &prefixes));
    ASSERT_INT_EQ(names.len, 1);
    ASSERT_STR_EQ(names.items[0], "api-5xx");
    ASSERT_INT_EQ(prefixes.len, 1);
    ASSERT_STR_EQ(prefixes.items[0], "site-");
    al_strv_clean_up(&in);
    al_strv_init(&in);
    al_strv_push(&in, "*");
    ASSERT_FAILS(al_alarm_patterns_split(&in, &names, &prefixes));
    ASSERT_CONTAINS(al_error_last()->msg, "'*' may only end a non-empty prefix");
    al_strv_clean_up(&in);
    al_strv_init(&in);
    al_strv_push(&in, "a*b");
    ASSERT_FAILS(al_alarm_patterns_split(&in, &names, &prefixes));
    al_strv_clean_up(&in);
    al_strv_clean_up(&names);
    al_strv_clean_up(&prefixes);
}

/* ---- CloudWatch ---- */

TEST(cloudwatch_parse_metric_and_composite)
{
    const char *xml = CW_HEAD "<MetricAlarms>" CW_METRIC(
      "api-5xx",
      "OK",
      "fine",
      "2026-01-01T00:00:00.000Z") "</MetricAlarms><CompositeAlarms><member><AlarmName>site</"
                                  "AlarmName><StateValue>ALARM"
                                  "</StateValue><StateReason>child &amp; "
                                  "co</StateReason><StateUpdatedTimestamp>"
                                  "2026-01-01T00:00:09.000Z</StateUpdatedTimestamp></member></"
                                  "CompositeAlarms>"
                                  "<NextToken>tok==</NextToken>" CW_TAIL;
    struct al_cw_alarms l;
    struct al_buf next;
    const struct al_cw_alarm *a;
    al_cw_alarms_init(&l);
    al_buf_init(&next, 1024);
    ASSERT_OK(al_cw_parse_describe_alarms(xml, strlen(xml), &l, &next));
    ASSERT_INT_EQ(l.len, 2);
    ASSERT_STR_EQ(al_buf_str(&next), "tok==");
    a = al_cw_alarms_find(&l, "site");
    ASSERT(a && a->composite);
    ASSERT_STR_EQ(a->state, "ALARM");
    ASSERT_STR_EQ(a->reason, "child & co");
    ASSERT_STR_EQ(a->changed, "2026-01-01T00:00:09.000Z"); /* no transition time: updated */
    a = al_cw_alarms_find(&l, "api-5xx");
    ASSERT(a && !a->composite);
    /* A second page repeating an alarm does not duplicate it. */
    ASSERT_OK(al_cw_parse_describe_alarms(xml, strlen(xml), &l, &next));
    ASSERT_INT_EQ(l.len, 2);
    al_buf_clean_up(&next);
    al_cw_alarms_clean_up(&l);
}

TEST(cloudwatch_describe_asks_for_both_types_and_follows_pages)
{
    struct al_test_run f;
    struct al_cw_alarms l;
    const char *names[] = { "a1", "b2" };
    const char *body;
    ASSERT_OK(al_test_run_setup(&f, NULL, true));
    al_cw_alarms_init(&l);
    al_http_script_respond(
      f.script,
      200,
      NULL,
      CW_HEAD "<MetricAlarms>" CW_METRIC(
        "a1", "OK", "r", "t1") "</MetricAlarms><NextToken>p2</NextToken>" CW_TAIL);
    al_http_script_respond(
      f.script,
      200,
      NULL,
      CW_HEAD "<MetricAlarms>" CW_METRIC("b2", "OK", "r", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_OK(al_cw_describe_alarms(f.run.aws, names, 2, NULL, &l));
    ASSERT_INT_EQ(l.len, 2);
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    body = al_buf_str(&al_http_script_request(f.script, 0)->body);
    ASSERT_CONTAINS(body, "Action=DescribeAlarms&Version=2010-08-01");
    ASSERT_CONTAINS(body, "AlarmNames.member.1=a1&AlarmNames.member.2=b2");
    ASSERT_CONTAINS(body, "AlarmTypes.member.1=MetricAlarm&AlarmTypes.member.2=CompositeAlarm");
    ASSERT(!strstr(body, "NextToken"));
    ASSERT_CONTAINS(al_buf_str(&al_http_script_request(f.script, 1)->body), "NextToken=p2");
    ASSERT_CONTAINS(
      al_http_headers_get(&al_http_script_request(f.script, 0)->headers, "authorization"),
      "/ap-northeast-1/monitoring/aws4_request");
    al_cw_alarms_clean_up(&l);
    al_test_run_teardown(&f);
}

/* ---- the alarm steps ---- */

TEST(verify_precheck_stops_on_an_alarm_already_in_alarm)
{
    const char *kv[] = { "alarms", "api-5xx", NULL };
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(
      f.script,
      200,
      NULL,
      CW_HEAD "<MetricAlarms>" CW_METRIC(
        "api-5xx", "ALARM", "Threshold Crossed: 5 errors", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_FAILS(al_step_alarms_precheck(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_CONTAINS(al_error_last()->msg,
                    "alarm 'api-5xx' is already in ALARM (Threshold Crossed: 5 errors); nothing "
                    "was changed");
    ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_FAILED);
    al_test_run_teardown(&f);
}

TEST(verify_precheck_ignore_then_watch_fails_only_on_a_new_transition)
{
    const char *kv[] = { "alarms", "api-5xx", "ignore-existing-alarms", "true", NULL };
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           CW_HEAD "<MetricAlarms>" CW_METRIC(
                             "api-5xx", "ALARM", "old", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_OK(al_step_alarms_precheck(&f.run));
    /* Still the same ALARM (same transition time): the watch passes. */
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           CW_HEAD "<MetricAlarms>" CW_METRIC(
                             "api-5xx", "ALARM", "old", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_OK(al_step_verify(&f.run));
    ASSERT_STR_EQ(f.run.steps[1].name, "Alarm watch");
    ASSERT_INT_EQ(f.run.steps[1].status, AL_STEP_OK);
    /* Again, but it went OK and back into ALARM: that fails. */
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           CW_HEAD "<MetricAlarms>" CW_METRIC(
                             "api-5xx", "ALARM", "old", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_OK(al_step_alarms_precheck(&f.run));
    al_http_script_respond(f.script,
                           200,
                           NULL,
                           CW_HEAD "<MetricAlarms>" CW_METRIC(
                             "api-5xx", "ALARM", "new 5xx", "t2") "</MetricAlarms>" CW_TAIL);
    ASSERT_FAILS(al_step_verify(&f.run));
    ASSERT_CONTAINS(al_error_last()->msg, "alarm 'api-5xx' (metric) went into ALARM");
    ASSERT_CONTAINS(al_error_last()->msg, "new 5xx");
    al_test_run_teardown(&f);
}

TEST(verify_precheck_names_a_missing_alarm_and_checks_inputs_first)
{
    const char *kv[] = { "alarms", "api-5xx,nope", NULL };
    const char *kv_url[] = { "health-url", "http://app.example.com/health", "alarms", "x", NULL };
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(
      f.script,
      200,
      NULL,
      CW_HEAD "<MetricAlarms>" CW_METRIC("api-5xx", "OK", "ok", "t1") "</MetricAlarms>" CW_TAIL);
    ASSERT_FAILS(al_step_alarms_precheck(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "there is no CloudWatch alarm named 'nope'");
    al_test_run_teardown(&f);
    /* A TLS-less non-loopback health-url stops the run before any call. */
    ASSERT_OK(al_test_run_setup(&f, kv_url, true));
    ASSERT_FAILS(al_step_alarms_precheck(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "plain http:// is allowed only for loopback hosts");
    ASSERT_INT_EQ(al_http_script_count(f.script), 0);
    al_test_run_teardown(&f);
}

/* ---- the health check ---- */

static const char *const HEALTH[] = {
    "health-url", "http://127.0.0.1:9/health", "health-interval", "0", "health-attempts", "5", NULL,
};

TEST(verify_health_fails_twice_then_passes_on_attempt_3)
{
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    al_http_script_respond(f.script, 500, NULL, "{\"status\":\"error\"}");
    al_http_script_fail(f.script, AL_XFER_CONNECT);
    al_http_script_respond(f.script, 200, NULL, "{\"status\":\"ok\"}");
    ASSERT_OK(al_step_verify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 3); /* one HTTP attempt per health attempt */
    ASSERT_STR_EQ(al_outputs_get(&f.outputs, "health-status"), "200");
    ASSERT_STR_EQ(f.run.steps[0].name, "Health");
    ASSERT_CONTAINS(f.run.steps[0].detail, "on attempt 3/5");
    ASSERT_CONTAINS(al_buf_str(&f.run.summary.md), "| 3/5 | healthy");
    al_test_run_teardown(&f);
}

TEST(verify_health_500_throughout_fails_after_the_attempts)
{
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    for (int i = 0; i < 5; i++)
        al_http_script_respond(f.script, 500, NULL, "{}");
    ASSERT_FAILS(al_step_verify(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_STR_EQ(al_error_last()->msg,
                  "health check of http://127.0.0.1:9/health failed after 5 attempts: HTTP 500, "
                  "expected 200");
    ASSERT_INT_EQ(al_http_script_count(f.script), 5);
    ASSERT_STR_EQ(al_outputs_get(&f.outputs, "health-status"), "500");
    ASSERT_INT_EQ(f.run.steps[0].status, AL_STEP_FAILED);
    al_test_run_teardown(&f);
}

TEST(verify_health_expect_version_waits_for_the_new_version)
{
    const char *kv[] = {
        "health-url", "http://127.0.0.1:9/health", "health-interval", "0", "health-expect-version",
        "version",    "health-expect-json",        "status=ok",       NULL
    };
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    al_http_script_respond(f.script, 200, NULL, "{\"status\":\"ok\",\"version\":\"v1\"}");
    al_http_script_respond(f.script, 200, NULL, "{\"status\":\"ok\",\"version\":\"v2\"}");
    ASSERT_OK(al_step_verify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    ASSERT_CONTAINS(f.run.steps[0].detail, "version v2 is live on attempt 2/10");
    al_test_run_teardown(&f);
}

TEST(verify_health_follows_redirects_and_refuses_a_loop)
{
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    al_http_script_respond(f.script, 301, "Location: /health/", NULL);
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_verify(&f.run));
    ASSERT_STR_EQ(al_http_script_request(f.script, 1)->url, "http://127.0.0.1:9/health/");
    al_test_run_teardown(&f);

    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    al_http_script_respond(f.script, 302, "Location: /b", NULL);
    al_http_script_respond(f.script, 302, "Location: /health", NULL);
    ASSERT_FAILS(al_step_verify(&f.run));
    ASSERT_STR_EQ(al_error_last()->msg,
                  "health check: redirect loop: http://127.0.0.1:9/b redirects back to "
                  "http://127.0.0.1:9/health");
    /* No point in more attempts: it stops at once. */
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    al_test_run_teardown(&f);

    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    for (int i = 1; i <= 6; i++) {
        char loc[64];
        snprintf(loc, sizeof(loc), "Location: /r%d", i);
        al_http_script_respond(f.script, 307, loc, NULL);
    }
    ASSERT_FAILS(al_step_verify(&f.run));
    ASSERT_CONTAINS(al_error_last()->msg, "more than 5 redirects from http://127.0.0.1:9/health");
    ASSERT_INT_EQ(al_http_script_count(f.script), 6);
    al_test_run_teardown(&f);

    /* A redirect to plain http on another host is refused like the URL itself would be. */
    ASSERT_OK(al_test_run_setup(&f, HEALTH, true));
    al_http_script_respond(f.script, 302, "Location: http://evil.example/health", NULL);
    ASSERT_FAILS(al_step_verify(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_CONTAINS(al_error_last()->msg,
                    "health check redirect: plain http:// is allowed only for loopback hosts");
    al_test_run_teardown(&f);
}

TEST(verify_health_url_from_a_stack_output)
{
    const char *kv[] = { "health-url", "${stack:Api.Url}/health", "health-interval", "0", NULL };
    struct al_test_run f;
    ASSERT_OK(al_test_run_setup(&f, kv, true));
    ASSERT_OK(al_run_add_stack_output(&f.run, "Api", "Url", "http://localhost:9"));
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_verify(&f.run));
    ASSERT_STR_EQ(al_http_script_request(f.script, 0)->url, "http://localhost:9/health");
    al_test_run_teardown(&f);
}
