/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verification: the alarm check before anything changes, then after the
 * change the health check and the alarm watch. The judging rules live in
 * deploy/verify_check.c; this file makes the calls.
 *
 * The health check runs on an engine of its own: one HTTP attempt per
 * health attempt (the engine's retries would blur the count), a bounded
 * connect and stall time per attempt, and redirects followed here (at most
 * AL_HEALTH_MAX_REDIRECTS, every hop checked like the URL itself).
 *
 * The alarm watch compares against a baseline: the states the pre-deploy
 * check saw (so an alarm already in ALARM and ignored with
 * ignore-existing-alarms fails only if it enters ALARM again), or, when no
 * check ran in this process for this verification (rollback), the states at
 * the start of the watch. The baseline is used by one verification only.
 */
#include "deploy/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "deploy/verify_check.h"
#include "gha/summary.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define HEALTH_BODY_MAX ((size_t)4 << 20)
/* Per attempt: to connect, and with no byte received. */
#define HEALTH_CONNECT_TIMEOUT_MS 10000L
#define HEALTH_STALL_S 10L
/* The alarm watch polls DescribeAlarms this often (and once more at its end). */
#define WATCH_POLL_MS 5000u
/* Alarms listed in the summary. */
#define SHOW_ALARMS 20

static struct al_cw_alarms g_baseline; /* reachable until the process ends */
static bool g_have_baseline;

static void s_baseline_drop(void)
{
    al_cw_alarms_clean_up(&g_baseline);
    g_have_baseline = false;
}

/* Re-raises the current error with another code (a bad URL found after the deploy is no usage
 * error). */
static int s_reraise(enum al_err_code code)
{
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", al_error_last()->msg);
    return al_raise(code, "%s", msg);
}

/* ---- alarms ---- */

static int s_patterns(const struct al_run *r, struct al_strv *names, struct al_strv *prefixes)
{
    return al_alarm_patterns_split(al_opts_list(r->opts, AL_OPT_ALARMS), names, prefixes);
}

/* Every alarm the patterns name; a named alarm that does not exist raises missing_code. */
static int s_fetch_alarms(struct al_run *r,
                          const struct al_strv *names,
                          const struct al_strv *prefixes,
                          bool warn_empty_prefix,
                          enum al_err_code missing_code,
                          struct al_cw_alarms *out)
{
    if (names->len &&
        al_cw_describe_alarms(r->aws, (const char *const *)names->items, names->len, NULL, out))
        return -1;
    for (size_t i = 0; i < prefixes->len; i++) {
        bool any = false;
        if (al_cw_describe_alarms(r->aws, NULL, 0, prefixes->items[i], out))
            return -1;
        for (size_t j = 0; j < out->len && !any; j++)
            any = al_str_prefix(out->items[j].name, prefixes->items[i]);
        if (!any && warn_empty_prefix)
            al_log_warning("alarms: no CloudWatch alarm name starts with '%s' in %s",
                           prefixes->items[i],
                           r->region);
    }
    for (size_t i = 0; i < names->len; i++)
        if (!al_cw_alarms_find(out, names->items[i]))
            return al_raise(missing_code,
                            "alarms: there is no CloudWatch alarm named '%.200s' (metric or "
                            "composite) in %s; check the name and aws-region",
                            names->items[i],
                            r->region);
    return 0;
}

static int s_alarm_summary(struct al_run *r, const char *title, const struct al_cw_alarms *l)
{
    struct al_buf md;
    int rc = -1;
    al_buf_init(&md, (size_t)256 << 10);
    if (al_buf_printf(
          &md, "### %s\n\n| alarm | type | state | reason |\n|---|---|---|---|\n", title))
        goto cleanup;
    for (size_t i = 0; i < l->len && i < SHOW_ALARMS; i++) {
        const struct al_cw_alarm *a = &l->items[i];
        if (al_buf_puts(&md, "| ") || al_summary_escape(&md, a->name) ||
            al_buf_printf(&md, " | %s | %s | ", a->composite ? "composite" : "metric", a->state) ||
            al_summary_escape(&md, a->reason) || al_buf_puts(&md, " |\n"))
            goto cleanup;
    }
    if (l->len > SHOW_ALARMS && al_buf_printf(&md, "\n... and %zu more\n", l->len - SHOW_ALARMS))
        goto cleanup;
    if (al_buf_putc(&md, '\n') || al_summary_add(&r->summary, "%s", al_buf_str(&md)))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&md);
    return rc;
}

/* Checks the inputs verification will use, so a bad one stops the run before any change. */
static int s_precheck_inputs(struct al_run *r)
{
    const char *url = al_opts_get(r->opts, AL_OPT_HEALTH_URL);
    struct al_strv names, prefixes;
    int rc;
    /* A ${stack:...} reference is checked once resolved, after the stacks. */
    if (url && !strstr(url, "${stack:") && al_health_check_url(url, "health-url"))
        return -1;
    if (al_health_check_expect_json(al_opts_list(r->opts, AL_OPT_HEALTH_EXPECT_JSON)))
        return -1;
    al_strv_init(&names);
    al_strv_init(&prefixes);
    rc = s_patterns(r, &names, &prefixes);
    al_strv_clean_up(&names);
    al_strv_clean_up(&prefixes);
    return rc;
}

int al_step_alarms_precheck(struct al_run *r)
{
    struct al_step_record *step;
    struct al_strv names, prefixes;
    struct al_cw_alarms found;
    size_t in_alarm = 0;
    const struct al_cw_alarm *first = NULL;
    bool ignore = al_opts_bool(r->opts, AL_OPT_IGNORE_EXISTING_ALARMS);
    int rc = -1;

    s_baseline_drop();
    if (s_precheck_inputs(r))
        return -1;
    if (!al_opts_list(r->opts, AL_OPT_ALARMS)->len)
        return 0;
    al_strv_init(&names);
    al_strv_init(&prefixes);
    al_cw_alarms_init(&found);
    step = al_run_step_begin(r, "Alarm check");
    if (s_patterns(r, &names, &prefixes) ||
        s_fetch_alarms(r, &names, &prefixes, true, AL_ERR_USAGE, &found))
        goto failed;
    for (size_t i = 0; i < found.len; i++) {
        const struct al_cw_alarm *a = &found.items[i];
        if (strcmp(a->state, "ALARM") != 0)
            continue;
        if (!in_alarm++)
            first = a;
        if (ignore)
            al_log_warning("alarm '%s' is already in ALARM (%s); deploying anyway "
                           "(ignore-existing-alarms); the watch fails only if it enters ALARM "
                           "again",
                           a->name,
                           a->reason);
    }
    if (in_alarm && s_alarm_summary(r, "Alarms before the deploy", &found))
        goto failed;
    if (in_alarm && !ignore) {
        al_raise(AL_ERR_DEPLOY,
                 "alarm '%s' is already in ALARM (%s)%s; nothing was changed. Resolve it first, "
                 "or set ignore-existing-alarms: true to deploy anyway",
                 first->name,
                 first->reason,
                 in_alarm > 1 ? ", with other alarms (see the summary)" : "");
        goto failed;
    }
    al_log_info(
      "%zu alarm%s checked, %zu in ALARM", found.len, found.len == 1 ? "" : "s", in_alarm);
    g_baseline = found;
    g_have_baseline = true;
    al_cw_alarms_init(&found);
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "%zu alarm%s, %s",
                    g_baseline.len,
                    g_baseline.len == 1 ? "" : "s",
                    in_alarm ? "some in ALARM (ignored)" : "none in ALARM");
    rc = 0;
    goto cleanup;
failed:
    al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
cleanup:
    al_cw_alarms_clean_up(&found);
    al_strv_clean_up(&names);
    al_strv_clean_up(&prefixes);
    return rc;
}

/* True when a is in ALARM and was not already, with the same transition, in the baseline. */
static bool s_entered_alarm(const struct al_cw_alarms *base, const struct al_cw_alarm *a)
{
    const struct al_cw_alarm *b;
    if (strcmp(a->state, "ALARM") != 0)
        return false;
    b = al_cw_alarms_find(base, a->name);
    return !(b && strcmp(b->state, "ALARM") == 0 && strcmp(b->changed, a->changed) == 0);
}

static int s_watch(struct al_run *r)
{
    struct al_step_record *step = al_run_step_begin(r, "Alarm watch");
    struct al_strv names, prefixes;
    struct al_cw_alarms base, cur;
    uint64_t watch_s = al_opts_uint(r->opts, AL_OPT_ALARM_WATCH_SECONDS);
    uint64_t start = al_clock_mono_ms(), deadline = start + watch_s * 1000u;
    int rc = -1;

    al_strv_init(&names);
    al_strv_init(&prefixes);
    al_cw_alarms_init(&base);
    al_cw_alarms_init(&cur);
    if (s_patterns(r, &names, &prefixes))
        goto failed;
    if (r->dry_run) {
        al_run_step_end(
          r, step, AL_STEP_PLANNED, "would watch for %llu s", (unsigned long long)watch_s);
        rc = 0;
        goto cleanup;
    }
    if (g_have_baseline) {
        base = g_baseline;
        al_cw_alarms_init(&g_baseline);
        g_have_baseline = false;
    } else {
        if (s_fetch_alarms(r, &names, &prefixes, true, AL_ERR_DEPLOY, &base))
            goto failed;
        for (size_t i = 0; i < base.len; i++)
            if (strcmp(base.items[i].state, "ALARM") == 0)
                al_log_warning("alarm '%s' is in ALARM as the watch starts (%s); it fails "
                               "verification only if it enters ALARM again",
                               base.items[i].name,
                               base.items[i].reason);
    }
    al_log_info("watching %zu alarm%s for %llu s",
                base.len,
                base.len == 1 ? "" : "s",
                (unsigned long long)watch_s);
    for (;;) {
        uint64_t now, left;
        al_cw_alarms_clean_up(&cur);
        al_cw_alarms_init(&cur);
        if (s_fetch_alarms(r, &names, &prefixes, false, AL_ERR_DEPLOY, &cur))
            goto failed;
        for (size_t i = 0; i < cur.len; i++) {
            const struct al_cw_alarm *a = &cur.items[i];
            if (!s_entered_alarm(&base, a))
                continue;
            s_alarm_summary(r, "Alarms after the deploy", &cur);
            al_raise(AL_ERR_DEPLOY,
                     "alarm '%s' (%s) went into ALARM %.0f s after the change: %s",
                     a->name,
                     a->composite ? "composite" : "metric",
                     (double)(al_clock_mono_ms() - start) / 1000.0,
                     a->reason[0] ? a->reason : "(no reason given)");
            goto failed;
        }
        now = al_clock_mono_ms();
        if (now >= deadline)
            break;
        left = deadline - now;
        al_log_info("alarm watch: %zu alarm%s out of ALARM; %.0f s left",
                    cur.len,
                    cur.len == 1 ? "" : "s",
                    (double)left / 1000.0);
        al_clock_sleep_ms(left < WATCH_POLL_MS ? left : WATCH_POLL_MS);
    }
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "%zu alarm%s stayed out of ALARM for %llu s",
                    cur.len,
                    cur.len == 1 ? "" : "s",
                    (unsigned long long)watch_s);
    rc = 0;
    goto cleanup;
failed:
    al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
cleanup:
    al_cw_alarms_clean_up(&base);
    al_cw_alarms_clean_up(&cur);
    al_strv_clean_up(&names);
    al_strv_clean_up(&prefixes);
    return rc;
}

/* ---- health ---- */

enum { FETCH_OK = 0, FETCH_FAILED = -1, FETCH_FATAL = -2 };

/* Every answer is data to judge, not an error to retry. */
static enum al_retry_kind s_accept_any(void *user, struct al_http_response *resp)
{
    (void)user;
    (void)resp;
    return AL_RETRY_NONE;
}

static bool s_is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/*
 * One attempt: GET, following redirects. FETCH_OK with resp holding the
 * final answer; FETCH_FAILED when no answer came (raised; worth another
 * attempt); FETCH_FATAL for a redirect loop or a refused hop (raised).
 */
static int s_fetch(struct al_http_engine *e,
                   const char *start,
                   struct al_http_response *resp,
                   unsigned *hops)
{
    struct al_strv seen;
    int rc = FETCH_FATAL;

    al_strv_init(&seen);
    *hops = 0;
    if (al_strv_push(&seen, start))
        goto cleanup;
    for (;;) {
        struct al_http_request req = { 0 };
        const char *url = seen.items[seen.len - 1], *loc;
        char *next;
        al_http_response_clean_up(resp);
        al_http_response_init(resp, HEALTH_BODY_MAX);
        req.method = "GET";
        req.url = url;
        req.log_name = "health check";
        req.classify = s_accept_any;
        if (al_http_perform(e, &req, resp)) {
            rc = FETCH_FAILED;
            goto cleanup;
        }
        if (!s_is_redirect(resp->status) || !(loc = al_http_response_header(resp, "location")))
            break;
        if (*hops >= AL_HEALTH_MAX_REDIRECTS) {
            char *a = al_health_url_for_log(start), *b = al_health_url_for_log(url);
            al_raise(AL_ERR_DEPLOY,
                     "health check: more than %d redirects from %s (the last from %s); "
                     "point health-url at the final URL",
                     AL_HEALTH_MAX_REDIRECTS,
                     a ? a : "?",
                     b ? b : "?");
            free(a);
            free(b);
            goto cleanup;
        }
        if (!(next = al_health_redirect_url(url, loc)))
            goto cleanup;
        if (al_strv_contains(&seen, next)) {
            char *a = al_health_url_for_log(url), *b = al_health_url_for_log(next);
            al_raise(AL_ERR_DEPLOY,
                     "health check: redirect loop: %s redirects back to %s",
                     a ? a : "?",
                     b ? b : "?");
            free(a);
            free(b);
            free(next);
            goto cleanup;
        }
        if (al_health_check_url(next, "health check redirect")) {
            s_reraise(AL_ERR_DEPLOY);
            free(next);
            goto cleanup;
        }
        if (al_strv_push_owned(&seen, next))
            goto cleanup;
        (*hops)++;
    }
    rc = FETCH_OK;
cleanup:
    al_strv_clean_up(&seen);
    return rc;
}

static int s_health_summary(struct al_run *r,
                            const char *url,
                            bool ok,
                            unsigned attempt,
                            unsigned attempts,
                            const char *result)
{
    struct al_buf md;
    int rc = -1;
    al_buf_init(&md, 16384);
    if (al_buf_puts(&md, "### Health\n\n| URL | attempts | result |\n|---|---:|---|\n| ") ||
        al_summary_escape(&md, url) ||
        al_buf_printf(&md, " | %u/%u | %s: ", attempt, attempts, ok ? "healthy" : "unhealthy") ||
        al_summary_escape(&md, result) || al_buf_puts(&md, " |\n\n") ||
        al_summary_add(&r->summary, "%s", al_buf_str(&md)))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&md);
    return rc;
}

static int s_health(struct al_run *r)
{
    struct al_step_record *step = al_run_step_begin(r, "Health");
    struct al_http_options ho = r->http;
    struct al_http_engine *e = NULL;
    struct al_http_response resp;
    struct al_health_expect ex = { 0 };
    unsigned attempts = (unsigned)al_opts_uint(r->opts, AL_OPT_HEALTH_ATTEMPTS);
    uint64_t interval_ms = al_opts_uint(r->opts, AL_OPT_HEALTH_INTERVAL) * 1000u;
    char *url = NULL, *shown = NULL;
    char why[512] = "", status_text[16] = "none";
    unsigned attempt = 0;
    bool ok = false;
    int rc = -1;

    al_http_response_init(&resp, HEALTH_BODY_MAX);
    if (!attempts)
        attempts = 10;
    if (!(url = al_run_opt(r, AL_OPT_HEALTH_URL)))
        goto failed;
    if (al_health_check_url(url, "health-url")) {
        s_reraise(AL_ERR_DEPLOY);
        goto failed;
    }
    if (!(shown = al_health_url_for_log(url)))
        goto failed;
    ex.status = (long)al_opts_uint(r->opts, AL_OPT_HEALTH_EXPECT_STATUS);
    if (!ex.status)
        ex.status = 200;
    ex.body = al_opts_get(r->opts, AL_OPT_HEALTH_EXPECT_BODY);
    ex.json = al_opts_list(r->opts, AL_OPT_HEALTH_EXPECT_JSON);
    ex.version_path = al_opts_get(r->opts, AL_OPT_HEALTH_EXPECT_VERSION);
    ex.version = r->info.version;
    if (al_health_check_expect_json(ex.json)) {
        s_reraise(AL_ERR_DEPLOY);
        goto failed;
    }
    if (r->dry_run) {
        al_log_info("would check %s (up to %u attempts)", shown, attempts);
        al_run_step_end(r, step, AL_STEP_PLANNED, "would check %s", shown);
        rc = 0;
        goto cleanup;
    }
    ho.max_attempts = 1;
    ho.max_concurrency = 1;
    ho.connect_timeout_ms = HEALTH_CONNECT_TIMEOUT_MS;
    ho.low_speed_time_s = HEALTH_STALL_S;
    ho.low_speed_limit = 1;
    if (!(e = al_http_engine_new(&ho)))
        goto failed;
    al_log_info("checking %s: up to %u attempts, %llu s apart",
                shown,
                attempts,
                (unsigned long long)(interval_ms / 1000u));
    for (attempt = 1; attempt <= attempts; attempt++) {
        unsigned hops = 0;
        int f = s_fetch(e, url, &resp, &hops);
        if (f == FETCH_FATAL)
            goto failed;
        if (f == FETCH_FAILED) {
            snprintf(why, sizeof(why), "%.500s", al_error_last()->msg);
        } else {
            snprintf(status_text, sizeof(status_text), "%ld", resp.status);
            ok = al_health_evaluate(&ex,
                                    resp.status,
                                    resp.body.data ? resp.body.data : "",
                                    resp.body.len,
                                    why,
                                    sizeof(why));
            if (ok)
                snprintf(why,
                         sizeof(why),
                         "HTTP %ld%s%s%s",
                         resp.status,
                         ex.version_path ? ", version " : "",
                         ex.version_path && ex.version ? ex.version : "",
                         ex.version_path ? " is live" : "");
        }
        al_log_info("health %u/%u: %s%s", attempt, attempts, why, hops ? " (after redirects)" : "");
        if (ok)
            break;
        if (attempt < attempts && interval_ms)
            al_clock_sleep_ms(interval_ms);
    }
    if (al_outputs_set(r->outputs, "health-status", status_text) ||
        s_health_summary(r, shown, ok, ok ? attempt : attempts, attempts, why))
        goto failed;
    if (!ok) {
        al_raise(AL_ERR_DEPLOY,
                 "health check of %s failed after %u attempt%s: %s",
                 shown,
                 attempts,
                 attempts == 1 ? "" : "s",
                 why);
        goto failed;
    }
    al_run_step_end(r, step, AL_STEP_OK, "%s on attempt %u/%u", why, attempt, attempts);
    rc = 0;
    goto cleanup;
failed:
    if (!al_outputs_get(r->outputs, "health-status"))
        al_outputs_set(r->outputs, "health-status", status_text);
    al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
cleanup:
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    free(url);
    free(shown);
    return rc;
}

int al_step_verify(struct al_run *r)
{
    int rc = 0;
    if (al_opts_get(r->opts, AL_OPT_HEALTH_URL))
        rc = s_health(r);
    if (!rc && al_opts_list(r->opts, AL_OPT_ALARMS)->len)
        rc = s_watch(r);
    /* The pre-deploy baseline serves this verification only (see the module comment). */
    s_baseline_drop();
    return rc;
}
