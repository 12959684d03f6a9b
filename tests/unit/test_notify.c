/* SPDX-License-Identifier: Apache-2.0 */
/* The Slack payload (deploy/notify_payload.c) and the notify step (deploy/notify.c). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "deploy/notify_payload.h"
#include "deploy/steps.h"
#include "http/script.h"
#include "run_fixture.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"

#define HOOK "http://127.0.0.1:9/__slack/T000/B000/XXXXsecretXXXX"
#define MSG "Fix \"quoted\" title\nSecond line: it's <fine> & done\nThird \xF0\x9F\x9A\x80 line"

static struct al_buf g_log;

static void s_capture(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    (void)where;
    if (level == AL_LOG_WARNING)
        al_buf_puts(&g_log, "warning: ");
    al_buf_puts(&g_log, text);
    al_buf_putc(&g_log, '\n');
}

static int s_setup(struct al_test_run *f, const char *const *kv)
{
    struct al_run *r = &f->run;
    if (al_test_run_setup(f, kv, false))
        return -1;
    r->info.environment = "production";
    r->info.actor = "octocat";
    r->info.repository = "octo-org/app";
    r->info.run_url = "https://github.com/octo-org/app/actions/runs/42";
    r->info.commit = "0123456789abcdef0123456789abcdef01234567";
    r->info.commit_message = MSG;
    al_buf_init(&g_log, 1 << 20);
    al_log_set_writer(s_capture);
    al_log_set_debug(true);
    al_secret_add(HOOK);
    return al_run_set_status(r, "deployed");
}

static void s_teardown(struct al_test_run *f)
{
    al_log_set_debug(false);
    al_log_set_writer(NULL);
    al_buf_clean_up(&g_log);
    al_test_run_teardown(f);
    al_secret_clear();
}

/* The posted payload of request i, parsed. */
static json_t *s_posted(const struct al_test_run *f, size_t i)
{
    const struct al_http_script_request *q = al_http_script_request(f->script, i);
    return q ? json_loadb(q->body.data, q->body.len, 0, NULL) : NULL;
}

TEST(notify_slack_escape_and_cut)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_slack_escape(&b, "a<b>&c \"q\"", 100));
    ASSERT_STR_EQ(al_buf_str(&b), "a&lt;b&gt;&amp;c \"q\"");
    al_buf_reset(&b);
    /* Never cut inside a UTF-8 character. */
    ASSERT_OK(al_slack_escape(&b, "ab\xF0\x9F\x9A\x80", 4));
    ASSERT_STR_EQ(al_buf_str(&b), "ab...");
    al_buf_clean_up(&b);
}

TEST(notify_stack_names_from_any_shape)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_notify_stack_names(&b,
                                    "[{\"name\":\"Api\",\"status\":\"UPDATE_COMPLETE\"},"
                                    "{\"name\":\"Site\"}]"));
    ASSERT_STR_EQ(al_buf_str(&b), "Api, Site");
    al_buf_reset(&b);
    ASSERT_OK(al_notify_stack_names(&b, "[\"A\",\"B<\"]"));
    ASSERT_STR_EQ(al_buf_str(&b), "A, B&lt;");
    al_buf_reset(&b);
    ASSERT_OK(al_notify_stack_names(&b, "{\"X\":{},\"Y\":{}}"));
    ASSERT_STR_EQ(al_buf_str(&b), "X, Y");
    al_buf_reset(&b);
    ASSERT_OK(al_notify_stack_names(&b, "not json"));
    ASSERT_STR_EQ(al_buf_str(&b), "");
    al_buf_clean_up(&b);
}

TEST(notify_payload_carries_every_fact)
{
    struct al_notify_info in = { 0 };
    json_t *p, *blocks;
    char *text;
    in.command = "deploy";
    in.status = "deployed";
    in.environment = "production";
    in.version = "v2";
    in.previous_version = "v1";
    in.actor = "octocat";
    in.repository = "octo-org/app";
    in.run_url = "https://github.com/octo-org/app/actions/runs/42";
    in.commit = "0123456789abcdef0123456789abcdef01234567";
    in.commit_message = MSG;
    in.duration_s = 75;
    in.stacks_json = "[{\"name\":\"Api\"}]";
    in.files_uploaded = "3";
    in.files_deleted = "1";
    in.files_unchanged = "40";
    in.invalidation_id = "I2ABC";
    in.health_status = "200";
    in.rollback_command = "airlock rollback --version v1 --confirmation rollback";
    p = al_notify_payload(&in);
    ASSERT(p);
    /* The commit message: JSON-escaped by jansson, Slack-escaped for & < >, lines intact. */
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "text")),
                  "\xE2\x9C\x85 Deploy v2 to production: deployed\nFix \"quoted\" title\nSecond "
                  "line: it's &lt;fine&gt; &amp; done\nThird \xF0\x9F\x9A\x80 line");
    blocks = json_object_get(p, "blocks");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(blocks, 0), "type")), "header");
    text = json_dumps(p, JSON_COMPACT);
    ASSERT(text);
    ASSERT_CONTAINS(text, "\"*Previous version*\\n`v1`\"");
    ASSERT_CONTAINS(text, "\"*Actor*\\noctocat\"");
    ASSERT_CONTAINS(text, "\"*Duration*\\n1m 15s\"");
    ASSERT_CONTAINS(text, "\"*Commit*\\n`0123456789ab`\"");
    ASSERT_CONTAINS(text, "Stacks: Api\\nFiles: 3 uploaded, 1 deleted, 40 unchanged");
    ASSERT_CONTAINS(text, "Invalidation: `I2ABC`\\nHealth: HTTP 200");
    ASSERT_CONTAINS(text,
                    "*Roll back*\\n```airlock rollback --version v1 --confirmation rollback```");
    ASSERT_CONTAINS(text, "<https://github.com/octo-org/app/actions/runs/42|View the run>");
    /* The header is plain text within Slack's 150 characters. */
    ASSERT(strlen(json_string_value(
             json_object_get(json_object_get(json_array_get(blocks, 0), "text"), "text"))) <= 150);
    free(text);
    json_decref(p);
}

TEST(notify_payload_for_a_failure_shows_the_error)
{
    struct al_notify_info in = { 0 };
    json_t *p;
    char *text;
    in.command = "deploy";
    in.status = "failed";
    in.version = "v3";
    in.error = "health check of https://x/health failed after 10 attempts: HTTP 500";
    p = al_notify_payload(&in);
    ASSERT(p);
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "text")), "\xE2\x9D\x8C Deploy v3: failed");
    text = json_dumps(p, JSON_COMPACT);
    ASSERT_CONTAINS(text, "*Error*\\nhealth check of https://x/health failed");
    ASSERT(!strstr(text, "Roll back"));
    free(text);
    json_decref(p);
}

TEST(notify_step_posts_valid_json_and_never_logs_the_url)
{
    const char *kv[] = { "slack-webhook-url", HOOK, NULL };
    struct al_test_run f;
    json_t *p;
    ASSERT_OK(s_setup(&f, kv));
    ASSERT_OK(al_outputs_set(&f.outputs, "files-uploaded", "3"));
    f.run.previous_version = al_strdup("v1");
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 1);
    ASSERT_STR_EQ(al_http_script_request(f.script, 0)->method, "POST");
    ASSERT_STR_EQ(al_http_script_request(f.script, 0)->url, HOOK);
    ASSERT_CONTAINS(
      al_http_headers_get(&al_http_script_request(f.script, 0)->headers, "content-type"),
      "application/json");
    p = s_posted(&f, 0);
    ASSERT(p);
    ASSERT_CONTAINS(json_string_value(json_object_get(p, "text")), "Third \xF0\x9F\x9A\x80 line");
    json_decref(p);
    /* Debug logging was on: still no URL, and not its path either. */
    ASSERT(!strstr(al_buf_str(&g_log), "XXXXsecretXXXX"));
    ASSERT(!strstr(al_buf_str(&g_log), "__slack"));
    ASSERT_CONTAINS(al_buf_str(&g_log), "posted the result to Slack");
    s_teardown(&f);
}

TEST(notify_step_429_is_retried_after_retry_after)
{
    const char *kv[] = { "slack-webhook-url", HOOK, NULL };
    struct al_test_run f;
    ASSERT_OK(s_setup(&f, kv));
    al_http_script_respond(f.script, 429, "Retry-After: 0", "rate_limited");
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    ASSERT_CONTAINS(al_buf_str(&g_log), "retrying in 0 s (Retry-After)");
    s_teardown(&f);
    /* Bounded: after two retries it gives up, with a warning. */
    ASSERT_OK(s_setup(&f, kv));
    for (int i = 0; i < 4; i++)
        al_http_script_respond(f.script, 429, "Retry-After: 0", "rate_limited");
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 3);
    ASSERT_CONTAINS(al_buf_str(&g_log),
                    "warning: Slack notification failed: the Slack webhook answered HTTP 429 "
                    "(rate_limited)");
    s_teardown(&f);
}

TEST(notify_step_429_bad_retry_after_waits_the_default)
{
    const char *kv[] = { "slack-webhook-url", HOOK, NULL };
    struct al_test_run f;
    ASSERT_OK(s_setup(&f, kv));
    /* A sign is not a delay (strtoul read "-1" as a huge one, capped at 30 s). */
    al_http_script_respond(f.script, 429, "Retry-After: -1", "rate_limited");
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    ASSERT_CONTAINS(al_buf_str(&g_log), "retrying in 1 s (Retry-After)");
    s_teardown(&f);
}

TEST(notify_step_failure_is_a_warning_unless_required)
{
    const char *kv[] = { "slack-webhook-url", HOOK, NULL };
    const char *kv_req[] = { "slack-webhook-url", HOOK, "notify-required", "true", NULL };
    struct al_test_run f;
    ASSERT_OK(s_setup(&f, kv));
    al_http_script_fail(f.script, AL_XFER_CONNECT);
    al_http_script_fail(f.script, AL_XFER_CONNECT);
    al_error_clear();
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_CONTAINS(al_buf_str(&g_log), "warning: Slack notification failed");
    ASSERT(!strstr(al_buf_str(&g_log), "XXXXsecretXXXX"));
    /* The run's error record is left as it was. */
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_NONE);
    s_teardown(&f);

    ASSERT_OK(s_setup(&f, kv_req));
    al_http_script_respond(f.script, 400, NULL, "invalid_payload");
    ASSERT_FAILS(al_step_notify(&f.run));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_DEPLOY);
    ASSERT_STR_EQ(al_error_last()->msg,
                  "Slack notification failed (notify-required: true): the Slack webhook "
                  "answered HTTP 400 (invalid_payload)");
    s_teardown(&f);
}

TEST(notify_step_reports_the_runs_failure_and_keeps_its_error)
{
    const char *kv[] = { "slack-webhook-url", HOOK, NULL };
    struct al_test_run f;
    json_t *p;
    char *text;
    ASSERT_OK(s_setup(&f, kv));
    ASSERT_OK(al_run_set_status(&f.run, "failed"));
    al_raise(AL_ERR_DEPLOY, "health check of https://app/health failed after 10 attempts");
    al_http_script_respond(f.script, 200, NULL, "ok");
    ASSERT_OK(al_step_notify(&f.run));
    ASSERT_STR_EQ(al_error_last()->msg,
                  "health check of https://app/health failed after 10 attempts");
    p = s_posted(&f, 0);
    text = json_dumps(p, JSON_COMPACT);
    ASSERT_CONTAINS(text, "*Error*\\nhealth check of https://app/health failed");
    free(text);
    json_decref(p);
    s_teardown(&f);
}

TEST(notify_step_refuses_plain_http_without_printing_the_url)
{
    const char *kv[] = { "slack-webhook-url",
                         "http://hooks.example.com/services/T/B/sekret",
                         "notify-required",
                         "true",
                         NULL };
    struct al_test_run f;
    ASSERT_OK(s_setup(&f, kv));
    ASSERT_FAILS(al_step_notify(&f.run));
    ASSERT_CONTAINS(al_error_last()->msg, "slack-webhook-url must be an https:// URL");
    ASSERT(!strstr(al_error_last()->msg, "sekret"));
    ASSERT(!strstr(al_error_last()->msg, "hooks.example.com"));
    ASSERT_INT_EQ(al_http_script_count(f.script), 0);
    s_teardown(&f);
}
