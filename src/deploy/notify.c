/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Slack notification, sent for every finished run (success and failure
 * alike) to the incoming webhook in slack-webhook-url.
 *
 * The webhook URL is a secret (its path is the credential): it is never
 * logged, never put in an error message, and the request is marked
 * sensitive_url so the engine's debug and error lines show the host only.
 * A 429 is retried after its Retry-After (at most MAX_429_RETRIES times,
 * each wait capped); a 5xx or a lost connection is retried once by the
 * engine (which honours a Retry-After there too, clamped). A failure is a
 * warning unless notify-required.
 */
#include "deploy/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "deploy/notify_payload.h"
#include "deploy/verify_check.h"
#include "http/retry.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define MAX_429_RETRIES 2u
#define RETRY_AFTER_CAP_S 30u
#define RETRY_AFTER_DEFAULT_S 1u
#define SLACK_ANSWER_MAX ((size_t)64 << 10)
#define SLACK_PAYLOAD_MAX ((size_t)1 << 20)

/* https, or http to a loopback host; the message never carries the URL. */
static int s_check_webhook(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        al_raise(AL_ERR_USAGE,
                 "slack-webhook-url is not a URL (expected https://hooks.slack.com/services/...)");
    else if (strcmp(scheme, "https") != 0 &&
             !(strcmp(scheme, "http") == 0 && al_host_is_loopback(host)))
        al_raise(AL_ERR_USAGE,
                 "slack-webhook-url must be an https:// URL (plain http:// only to a loopback "
                 "host)");
    else
        rc = 0;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int al_notify_check_webhook(const char *url)
{
    return s_check_webhook(url);
}

/* 2xx: sent. 429: ours to retry after Retry-After. 5xx: the engine's to retry. */
static enum al_retry_kind s_classify(void *user, struct al_http_response *resp)
{
    char answer[128];
    size_t n = resp->body.len < sizeof(answer) - 1 ? resp->body.len : sizeof(answer) - 1;
    (void)user;
    if (resp->status >= 200 && resp->status < 300)
        return AL_RETRY_NONE;
    /* Slack answers a short plain word ("invalid_payload", "no_text"); keep it printable. */
    for (size_t i = 0; i < n; i++)
        answer[i] =
          resp->body.data[i] >= 0x20 && resp->body.data[i] < 0x7f ? resp->body.data[i] : ' ';
    answer[n] = '\0';
    al_raise(AL_ERR_HTTP,
             "the Slack webhook answered HTTP %ld%s%s%s",
             resp->status,
             n ? " (" : "",
             answer,
             n ? ")" : "");
    al_http_response_fail(resp);
    return resp->status >= 500 ? AL_RETRY_TRANSIENT : AL_RETRY_NONE;
}

static unsigned s_retry_after(const struct al_http_response *resp)
{
    uint64_t ms;
    /* The engine's validation: an HTTP date, a sign or junk takes the default. */
    if (!al_retry_hint_ms(NULL, al_http_response_header(resp, "retry-after"), &ms))
        return RETRY_AFTER_DEFAULT_S;
    return ms / 1000u > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : (unsigned)(ms / 1000u);
}

static char *s_rollback_command(const struct al_run *r)
{
    struct al_buf b;
    /* After an automatic rollback (or no change) the previous version is what is live. */
    if (!al_streq(r->info.command, "deploy") || !r->previous_version || !*r->previous_version ||
        !(al_streq(r->status, "deployed") || al_streq(r->status, "failed")))
        return NULL;
    al_buf_init(&b, 4096);
    /* The same command the job summary gives. */
    if (al_buf_printf(
          &b, "airlock rollback --version %s --confirmation rollback", r->previous_version)) {
        al_buf_clean_up(&b);
        return NULL;
    }
    return al_buf_detach(&b);
}

static json_t *s_payload(const struct al_run *r, const char *error)
{
    struct al_notify_info in = { 0 };
    char *rollback = s_rollback_command(r);
    json_t *p;
    in.command = r->info.command;
    in.status = r->status ? r->status : error ? "failed" : "deployed";
    in.environment = r->info.environment;
    in.version = r->info.version;
    in.previous_version = r->previous_version;
    in.actor = r->info.actor;
    in.repository = r->info.repository;
    in.run_url = r->info.run_url;
    in.commit = r->info.commit;
    in.commit_message = r->info.commit_message;
    in.duration_s = (al_clock_mono_ms() - r->started_ms + 500) / 1000;
    in.stacks_json = al_outputs_get(r->outputs, "stacks");
    in.files_uploaded = al_outputs_get(r->outputs, "files-uploaded");
    in.files_deleted = al_outputs_get(r->outputs, "files-deleted");
    in.files_unchanged = al_outputs_get(r->outputs, "files-unchanged");
    in.invalidation_id = al_outputs_get(r->outputs, "invalidation-id");
    in.health_status = al_outputs_get(r->outputs, "health-status");
    in.error = error;
    in.rollback_command = rollback;
    p = al_notify_payload(&in);
    free(rollback);
    return p;
}

/* Posts body; 429s waited out and retried. @return 0 or -1 (raised; never naming the URL). */
static int s_post(const struct al_run *r, const char *url, const char *body)
{
    struct al_http_options ho = r->http;
    struct al_http_engine *e = NULL;
    struct al_http_headers hdrs;
    struct al_http_response resp;
    int rc = -1;

    al_http_headers_init(&hdrs, 1024);
    al_http_response_init(&resp, SLACK_ANSWER_MAX);
    ho.max_attempts = 2;
    ho.max_concurrency = 1;
    if (al_http_headers_add(&hdrs, "Content-Type", "application/json; charset=utf-8") ||
        !(e = al_http_engine_new(&ho)))
        goto cleanup;
    for (unsigned try = 0;; try++) {
        struct al_http_request req = { 0 };
        unsigned wait_s;
        req.method = "POST";
        req.url = url;
        req.headers = &hdrs;
        req.body.kind = AL_HTTP_BODY_MEMORY;
        req.body.data = body;
        req.body.len = strlen(body);
        req.sensitive_url = true;
        req.log_name = "slack webhook";
        req.classify = s_classify;
        al_http_response_clean_up(&resp);
        al_http_response_init(&resp, SLACK_ANSWER_MAX);
        if (al_http_perform(e, &req, &resp) == 0)
            break;
        if (resp.status != 429 || try >= MAX_429_RETRIES)
            goto cleanup;
        wait_s = s_retry_after(&resp);
        al_log_info("Slack is rate limiting (HTTP 429); retrying in %u s (Retry-After)", wait_s);
        al_clock_sleep_ms((uint64_t)wait_s * 1000u);
    }
    rc = 0;
cleanup:
    al_http_response_clean_up(&resp);
    al_http_headers_clean_up(&hdrs);
    al_http_engine_free(e);
    return rc;
}

int al_step_notify(struct al_run *r)
{
    const char *url = al_opts_get(r->opts, AL_OPT_SLACK_WEBHOOK_URL);
    struct al_step_record *step;
    /* The run's own failure is what the message reports, and what the run ends with. */
    struct al_error run_err = *al_error_last();
    bool run_failed =
      !r->status || al_streq(r->status, "failed") || al_streq(r->status, "rolled-back");
    const char *error = run_failed && run_err.code != AL_ERR_NONE ? run_err.msg : NULL;
    json_t *payload = NULL;
    char *body = NULL;
    int rc = -1;

    if (!url || !*url)
        return 0;
    step = al_run_step_begin(r, "Notify");
    if (r->dry_run) {
        al_log_info("would post the run's result to Slack");
        al_run_step_end(r, step, AL_STEP_PLANNED, "would post to Slack");
        return 0;
    }
    if (s_check_webhook(url) || !(payload = s_payload(r, error)) ||
        !(body = json_dumps(payload, JSON_COMPACT)))
        goto failed;
    if (strlen(body) > SLACK_PAYLOAD_MAX) {
        al_raise(AL_ERR_LIMIT, "the Slack payload is over %zu bytes", SLACK_PAYLOAD_MAX);
        goto failed;
    }
    if (s_post(r, url, body))
        goto failed;
    al_log_info("posted the result to Slack");
    al_run_step_end(r, step, AL_STEP_OK, "posted to Slack");
    rc = 0;
    goto cleanup;
failed:
    if (al_opts_bool(r->opts, AL_OPT_NOTIFY_REQUIRED) && !run_failed) {
        char msg[AL_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", al_error_last()->msg);
        al_raise(AL_ERR_DEPLOY, "Slack notification failed (notify-required: true): %s", msg);
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", msg);
        goto out;
    }
    al_log_warning("Slack notification failed: %s%s",
                   al_error_last()->msg,
                   run_failed ? ""
                              : " (a warning: set notify-required: true to fail the run instead)");
    al_run_step_end(r, step, AL_STEP_FAILED, "%s (warning)", al_error_last()->msg);
    rc = 0;
cleanup:
    /* Whatever happened here, the run's error record stays the run's. */
    *al_error_mut() = run_err;
out:
    json_decref(payload);
    free(body);
    return rc;
}
