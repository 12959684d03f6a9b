/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/stacks.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aws/cloudformation.h"
#include "aws/ssm.h"
#include "deploy/assembly.h"
#include "deploy/assets.h"
#include "deploy/steps.h"
#include "http/retry.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/fs.h"
#include "util/log.h"

/* The parameter CDK's default synthesizer names when the manifest does not. */
#define DEFAULT_BOOTSTRAP_PARAM "/cdk-bootstrap/hnb659fds/version"
#define TOOLKIT_STACK "CDKToolkit"
/* Pages of events read in one poll (100 each); more arrive at the next. */
#define EVENT_PAGES_PER_POLL 20u
/* Bytes of the step's one-line detail built from the stacks' results. */
#define DETAIL_MAX 480u

static struct al_stacks_timing s_timing = {
    AL_STACKS_POLL_MIN_MS,
    AL_STACKS_POLL_MAX_MS,
    AL_STACKS_TIMEOUT_S,
};

void al_stacks_set_timing(const struct al_stacks_timing *t)
{
    struct al_stacks_timing d = { AL_STACKS_POLL_MIN_MS,
                                  AL_STACKS_POLL_MAX_MS,
                                  AL_STACKS_TIMEOUT_S };
    s_timing = t ? *t : d;
    if (!s_timing.poll_min_ms)
        s_timing.poll_min_ms = 1;
    if (s_timing.poll_max_ms < s_timing.poll_min_ms)
        s_timing.poll_max_ms = s_timing.poll_min_ms;
    if (!s_timing.timeout_s)
        s_timing.timeout_s = AL_STACKS_TIMEOUT_S;
}

/* ---- names and URLs ---- */

void al_stacks_change_set_name(char *out, size_t cap, const char *version, const char *tag)
{
    size_t n = 0, limit = cap ? cap - 1 : 0;
    const char *v = version && *version ? version : "run";
    const char *prefix = "airlock-";

    if (!cap)
        return;
    if (limit > 128)
        limit = 128; /* CloudFormation's limit for names and tokens */
    for (const char *p = prefix; *p && n < limit; p++)
        out[n++] = *p;
    for (size_t i = 0; v[i] && i < 40 && n < limit; i++)
        out[n++] = isalnum((unsigned char)v[i]) ? v[i] : '-';
    if (tag && *tag && n < limit)
        out[n++] = '-';
    for (const char *p = tag; p && *p && n < limit; p++)
        out[n++] = isalnum((unsigned char)*p) ? *p : '-';
    out[n] = '\0';
}

char *al_stacks_template_url(const char *location, const char *region)
{
    struct al_buf b;
    const char *rest, *slash;

    if (al_str_prefix(location, "https://"))
        return al_strdup(location);
    if (!al_str_prefix(location, "s3://")) {
        al_raise(AL_ERR_USAGE,
                 "template location '%.300s' is neither s3://bucket/key nor an https URL",
                 location);
        return NULL;
    }
    rest = location + 5;
    slash = strchr(rest, '/');
    if (!slash || slash == rest || !slash[1]) {
        al_raise(AL_ERR_USAGE, "template location '%.300s' has no bucket or no key", location);
        return NULL;
    }
    al_buf_init(&b, 8192);
    if (al_buf_printf(&b,
                      "https://s3.%s.%s/%.*s/",
                      region ? region : "us-east-1",
                      region && al_str_prefix(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com",
                      (int)(slash - rest),
                      rest) ||
        al_uri_encode(&b, slash + 1, strlen(slash + 1), true)) {
        al_buf_clean_up(&b);
        return NULL;
    }
    return al_buf_detach(&b);
}

/* ---- results ---- */

void al_stack_result_clean_up(struct al_stack_result *res)
{
    if (!res)
        return;
    free(res->name);
    free(res->stack_status);
    json_decref(res->outputs);
    free(res->failure);
    memset(res, 0, sizeof(*res));
}

static int s_result_init(struct al_stack_result *res, const char *name)
{
    memset(res, 0, sizeof(*res));
    res->result = "failed";
    if (!(res->name = al_strdup(name)))
        return -1;
    if (!(res->outputs = json_object()))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    return 0;
}

void al_stack_state_clean_up(struct al_stack_state *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->status);
    free(s->template_body);
    json_decref(s->parameters);
    json_decref(s->outputs);
    memset(s, 0, sizeof(*s));
}

/* ---- a session: the roles assumed, the names given, the buckets' encryption ---- */

struct s_role {
    char *arn;
    char *external_id;
    struct al_creds *creds;
    struct al_aws_ctx *ctx;
};

struct s_bucket_sse {
    char *bucket;
    struct al_asset_sse sse;
};

struct s_session {
    struct al_run *r;
    struct s_role *roles;
    size_t n_roles;
    struct s_bucket_sse *sse;
    size_t n_sse;
    struct al_strv ssm_keys; /* "region\nparameter", parallel to ssm_values */
    struct al_strv ssm_values;
    char tag[32]; /* random hex: this run's names and tokens */
    unsigned seq;
    char work_dir[PATH_MAX]; /* for asset zips; "" until the first one */
};

static int s_session_init(struct s_session *s, struct al_run *r)
{
    uint8_t rnd[4];
    memset(s, 0, sizeof(*s));
    s->r = r;
    al_strv_init(&s->ssm_keys);
    al_strv_init(&s->ssm_values);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return al_raise(AL_ERR_INTERNAL, "no random bytes for the change set names");
    al_hex(rnd, sizeof(rnd), s->tag);
    return 0;
}

static void s_session_clean_up(struct s_session *s)
{
    for (size_t i = 0; i < s->n_roles; i++) {
        al_aws_ctx_free(s->roles[i].ctx);
        al_creds_free(s->roles[i].creds);
        free(s->roles[i].arn);
        free(s->roles[i].external_id);
    }
    free(s->roles);
    for (size_t i = 0; i < s->n_sse; i++)
        free(s->sse[i].bucket);
    free(s->sse);
    al_strv_clean_up(&s->ssm_keys);
    al_strv_clean_up(&s->ssm_values);
    if (s->work_dir[0])
        rmdir(s->work_dir);
    memset(s, 0, sizeof(*s));
}

/* The next unique name: airlock-<version>-<tag>-<seq>[-suffix]. */
static void s_next_name(struct s_session *s, char *out, size_t cap)
{
    char tag[64];
    snprintf(tag, sizeof(tag), "%s-%u", s->tag, ++s->seq);
    al_stacks_change_set_name(out, cap, s->r->info.version, tag);
}

/*
 * The context that signs as role arn (assumed from the run's credentials
 * once, then cached), or the run's own without a role. what names the role
 * in the message when it cannot be assumed. Borrowed from the session.
 */
static struct al_aws_ctx *s_role_ctx(struct s_session *s,
                                     const char *arn,
                                     const char *external_id,
                                     const char *what)
{
    struct s_role *grown, *role;
    if (!arn || !*arn) {
        if (!s->r->aws)
            al_raise(AL_ERR_INTERNAL, "the stacks step runs before the identity step");
        return s->r->aws;
    }
    for (size_t i = 0; i < s->n_roles; i++)
        if (strcmp(s->roles[i].arn, arn) == 0 &&
            al_streq(s->roles[i].external_id ? s->roles[i].external_id : "",
                     external_id ? external_id : ""))
            return s->roles[i].ctx;
    if (!(grown = realloc(s->roles, (s->n_roles + 1) * sizeof(*grown)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->roles = grown;
    role = &s->roles[s->n_roles];
    memset(role, 0, sizeof(*role));
    if (!(role->arn = al_strdup(arn)) ||
        (external_id && !(role->external_id = al_strdup(external_id))))
        goto on_error;
    role->creds = al_creds_new_assume_role(s->r->creds, arn, NULL, external_id, 0);
    if (!role->creds)
        goto on_error;
    if (al_creds_resolve(role->creds)) {
        al_raise_context("cannot assume %s %s (is the environment bootstrapped with `cdk "
                         "bootstrap`, trusting this identity?)",
                         what,
                         arn);
        goto on_error;
    }
    if (!(role->ctx = al_aws_ctx_new(s->r->engine, role->creds, &s->r->endpoints)))
        goto on_error;
    al_log_debug("assumed %s %s", what, arn);
    s->n_roles++;
    return role->ctx;
on_error:
    al_aws_ctx_free(role->ctx);
    al_creds_free(role->creds);
    free(role->arn);
    free(role->external_id);
    memset(role, 0, sizeof(*role));
    return NULL;
}

/* The bucket's encryption, read once per bucket. Borrowed from the session. */
static const struct al_asset_sse *s_bucket_sse(struct s_session *s,
                                               struct al_aws_ctx *ctx,
                                               const char *bucket,
                                               const char *region)
{
    struct s_bucket_sse *grown;
    for (size_t i = 0; i < s->n_sse; i++)
        if (strcmp(s->sse[i].bucket, bucket) == 0)
            return &s->sse[i].sse;
    if (!(grown = realloc(s->sse, (s->n_sse + 1) * sizeof(*grown)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->sse = grown;
    memset(&s->sse[s->n_sse], 0, sizeof(s->sse[0]));
    if (!(s->sse[s->n_sse].bucket = al_strdup(bucket)) ||
        al_asset_bucket_encryption(ctx, bucket, region, &s->sse[s->n_sse].sse)) {
        free(s->sse[s->n_sse].bucket);
        return NULL;
    }
    return &s->sse[s->n_sse++].sse;
}

/* ---- waiting: change sets, stacks, events ---- */

static bool s_timed_out(uint64_t start_ms)
{
    return al_clock_mono_ms() - start_ms > (uint64_t)s_timing.timeout_s * 1000u;
}

static void s_backoff(unsigned *delay_ms)
{
    al_clock_sleep_ms(*delay_ms);
    *delay_ms = *delay_ms + *delay_ms / 2;
    if (*delay_ms > s_timing.poll_max_ms)
        *delay_ms = s_timing.poll_max_ms;
}

/*
 * Waiting loops are polls, not retries: a poll still throttled after the
 * engine's attempts is waited out like a pending status, up to the timeout.
 * Returns true (error cleared) when the loop should poll again.
 */
static bool s_poll_throttled(uint64_t start_ms)
{
    const struct al_error *e = al_error_last();
    if (!al_retry_is_throttle_code(e->aws_code) || s_timed_out(start_ms))
        return false;
    al_log_info(
      "CloudFormation throttled a status poll (%s %s); polling again", e->operation, e->aws_code);
    al_error_clear();
    return true;
}

/* Polls a change set until it is ready or failed; out holds the last description. */
static int s_wait_change_set(const struct al_cfn *cfn,
                             const char *stack,
                             const char *name,
                             struct al_cfn_change_set *out)
{
    uint64_t start = al_clock_mono_ms();
    unsigned delay = s_timing.poll_min_ms;
    for (;;) {
        al_cfn_change_set_clean_up(out);
        if (al_cfn_describe_change_set(cfn, stack, name, true, out)) {
            if (!s_poll_throttled(start))
                return -1;
            s_backoff(&delay);
            continue;
        }
        if (strcmp(out->status, "CREATE_COMPLETE") == 0 || strcmp(out->status, "FAILED") == 0 ||
            al_str_prefix(out->status, "DELETE_"))
            return 0;
        if (s_timed_out(start))
            return al_raise(AL_ERR_DEPLOY,
                            "change set %s of stack %s is still %s after %u s",
                            name,
                            stack,
                            out->status,
                            s_timing.timeout_s);
        s_backoff(&delay);
    }
}

/* Following one stack operation: its events and its first failure. */
struct s_watch {
    const struct al_cfn *cfn;
    const char *stack;  /* what DescribeStacks is given: a name or a stack id */
    const char *label;  /* the stack's name (its stack-level events carry it) */
    const char *token;  /* the operation's ClientRequestToken; NULL = print no event */
    const char *before; /* the status before the operation (a final status it may still show) */
    char *last_event_id;
    bool saw_stack_event; /* a stack-level event of the operation was listed */
    char *failure;        /* "Logical (Type): reason" of the first failed resource */
    char *failure_any;    /* the first failed event of any kind (a fallback) */
};

static void s_watch_clean_up(struct s_watch *w)
{
    free(w->last_event_id);
    free(w->failure);
    free(w->failure_any);
}

static void s_log_event(const struct al_cfn_event *ev)
{
    const char *ts = ev->timestamp ? ev->timestamp : "";
    char hms[9] = "--:--:--";
    if (strlen(ts) >= 19 && ts[10] == 'T')
        memcpy(hms, ts + 11, 8);
    al_log_info("%s  %-28s %s (%s)%s%s",
                hms,
                ev->status ? ev->status : "?",
                ev->logical_id ? ev->logical_id : "?",
                ev->resource_type ? ev->resource_type : "?",
                ev->reason && *ev->reason ? ": " : "",
                ev->reason ? ev->reason : "");
}

static int s_note_failure(char **dst, const struct al_cfn_event *ev)
{
    struct al_buf b;
    if (*dst)
        return 0;
    al_buf_init(&b, 8192);
    if (al_buf_printf(&b,
                      "%s (%s): %s",
                      ev->logical_id ? ev->logical_id : "?",
                      ev->resource_type ? ev->resource_type : "?",
                      ev->reason && *ev->reason ? ev->reason : "no reason given")) {
        al_buf_clean_up(&b);
        return -1;
    }
    return (*dst = al_buf_detach(&b)) ? 0 : -1;
}

static int s_note_event(struct s_watch *w, const struct al_cfn_event *ev)
{
    bool stack_level = al_streq(ev->resource_type, "AWS::CloudFormation::Stack") &&
                       al_streq(ev->logical_id, w->label);
    if (stack_level)
        w->saw_stack_event = true;
    if (!ev->status || !al_str_suffix(ev->status, "_FAILED"))
        return 0;
    if (s_note_failure(&w->failure_any, ev))
        return -1;
    /* Resources cancelled because another failed are not the cause. */
    if (!stack_level && !(ev->reason && strstr(ev->reason, "cancelled")))
        return s_note_failure(&w->failure, ev);
    return 0;
}

/*
 * Lists the operation's events newer than the last one seen (newest first,
 * up to the first event not of the operation), then logs them oldest first.
 */
static int s_stream_events(struct s_watch *w)
{
    struct al_cfn_events fresh = { 0 }, page;
    char *token = NULL;
    size_t cap = 0;
    bool stop = false;
    int rc = -1;

    if (!w->token)
        return 0;
    for (unsigned pages = 0; !stop && pages < EVENT_PAGES_PER_POLL; pages++) {
        if (al_cfn_describe_stack_events(w->cfn, w->stack, token, &page)) {
            al_cfn_events_clean_up(&page);
            goto cleanup;
        }
        for (size_t i = 0; i < page.n && !stop; i++) {
            struct al_cfn_event *ev = &page.items[i];
            if ((w->last_event_id && al_streq(ev->event_id, w->last_event_id)) ||
                !al_streq(ev->token, w->token)) {
                stop = true;
                break;
            }
            if (fresh.n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct al_cfn_event *grown = realloc(fresh.items, ncap * sizeof(*grown));
                if (!grown) {
                    al_cfn_events_clean_up(&page);
                    al_raise(AL_ERR_NOMEM, "out of memory");
                    goto cleanup;
                }
                fresh.items = grown;
                cap = ncap;
            }
            fresh.items[fresh.n++] = *ev; /* moved: the page forgets it */
            memset(ev, 0, sizeof(*ev));
        }
        free(token);
        token = NULL;
        if (!stop && page.next_token) {
            token = page.next_token;
            page.next_token = NULL;
        } else {
            stop = true;
        }
        al_cfn_events_clean_up(&page);
    }
    if (fresh.n && fresh.items[0].event_id &&
        al_str_set(&w->last_event_id, fresh.items[0].event_id))
        goto cleanup;
    for (size_t i = fresh.n; i-- > 0;) {
        s_log_event(&fresh.items[i]);
        if (s_note_event(w, &fresh.items[i]))
            goto cleanup;
    }
    rc = 0;
cleanup:
    free(token);
    al_cfn_events_clean_up(&fresh);
    return rc;
}

/*
 * Polls the stack until its status is final. When following an operation, a
 * final status equal to the one before it counts only once the operation's
 * own stack event is listed (it may be the old status, read just after the
 * call), or after a grace period. *found is false when the stack is gone.
 * final holds the last description.
 */
static int s_wait_stack(struct s_watch *w, struct al_cfn_stack *final, bool *found)
{
    uint64_t start = al_clock_mono_ms(), final_since = 0;
    unsigned delay = s_timing.poll_min_ms;
    for (;;) {
        /* Events first: a listed start of the operation makes the status read next current. */
        int failed = s_stream_events(w);
        if (!failed) {
            al_cfn_stack_clean_up(final);
            failed = al_cfn_describe_stack(w->cfn, w->stack, final, found);
        }
        if (failed) {
            if (!s_poll_throttled(start))
                return -1;
            s_backoff(&delay);
            continue;
        }
        if (!*found)
            return 0;
        if (al_cfn_status_terminal(final->status)) {
            uint64_t now = al_clock_mono_ms();
            if (!final_since)
                final_since = now;
            if (!w->token || w->saw_stack_event || !al_streq(final->status, w->before) ||
                now - final_since > AL_STACKS_EVENT_GRACE_MS) {
                /* The last events, up to the final one. */
                if (s_stream_events(w) == 0)
                    return 0;
                if (!s_poll_throttled(start))
                    return -1;
            }
        } else {
            final_since = 0;
        }
        if (s_timed_out(start))
            return al_raise(AL_ERR_DEPLOY,
                            "stack %s is still %s after %u s; the operation goes on in "
                            "CloudFormation",
                            w->label,
                            final->status,
                            s_timing.timeout_s);
        s_backoff(&delay);
    }
}

/* ---- one stack ---- */

/* What one stack's deploy sends. Every pointer borrowed. */
struct s_target {
    const char *name;
    const char *region;
    struct al_aws_ctx *ctx;
    const char *template_body; /* or template_url */
    const char *template_url;
    const json_t *parameters;
    const struct al_strv *use_previous;
    /* Template parameters without a value here: kept at their previous value
     * when the stack has one (cdk deploy's rule), else left to their default. */
    const struct al_strv *keep_previous;
    const json_t *tags; /* NULL = keep */
    const struct al_strv *notification_arns;
    const char *exec_role_arn;
    int termination_protection; /* -1 = leave as it is */
};

/* Records the failure (result, annotation, error). @return -1 */
static int s_fail(struct al_stack_result *out,
                  const char *stack,
                  const char *status,
                  const char *why)
{
    struct al_log_where where = { 0 };
    char title[256];
    if (!why || !*why)
        why = "no reason given";
    out->result = "failed";
    al_str_set(&out->failure, why);
    snprintf(title, sizeof(title), "Stack %s failed", stack);
    where.title = title;
    al_log_annotate(AL_LOG_ERROR, &where, "%s: %s", status, why);
    return al_raise(AL_ERR_DEPLOY, "stack %s ended %s: %s", stack, status, why);
}

static int s_set_outputs(struct al_stack_result *out, const struct al_cfn_stack *st)
{
    json_decref(out->outputs);
    out->outputs = st->outputs ? json_deep_copy(st->outputs) : json_object();
    if (!out->outputs)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    return al_str_set(&out->stack_status, st->status);
}

static int s_log_changes(const char *stack, const struct al_cfn_change_set *cs, struct al_buf *md)
{
    struct al_buf cell;
    int rc = -1;
    al_buf_init(&cell, 16384);
    al_log_info("change set of %s: %zu resource change%s",
                stack,
                cs->n_changes,
                cs->n_changes == 1 ? "" : "s");
    if (md && cs->n_changes) {
        if (al_summary_escape(&cell, stack) ||
            al_buf_printf(md,
                          "\n**%s**: %zu change%s\n\n| resource | type | action | replacement "
                          "|\n|---|---|---|---|\n",
                          al_buf_str(&cell),
                          cs->n_changes,
                          cs->n_changes == 1 ? "" : "s"))
            goto cleanup;
    }
    for (size_t i = 0; i < cs->n_changes; i++) {
        const struct al_cfn_change *c = &cs->changes[i];
        const char *repl = c->replacement ? c->replacement : "";
        al_log_info("  %-8s %s (%s)%s",
                    c->action ? c->action : "?",
                    c->logical_id ? c->logical_id : "?",
                    c->resource_type ? c->resource_type : "?",
                    strcmp(repl, "True") == 0          ? ", replaced"
                    : strcmp(repl, "Conditional") == 0 ? ", may be replaced"
                                                       : "");
        if (!md)
            continue;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, c->logical_id ? c->logical_id : "?") ||
            al_buf_printf(md, "| %s | ", al_buf_str(&cell)))
            goto cleanup;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, c->resource_type ? c->resource_type : "?") ||
            al_buf_printf(md, "%s | ", al_buf_str(&cell)))
            goto cleanup;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, c->action ? c->action : "?") ||
            al_buf_printf(md, "%s | ", al_buf_str(&cell)))
            goto cleanup;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, *repl ? repl : "-") ||
            al_buf_printf(md, "%s |\n", al_buf_str(&cell)))
            goto cleanup;
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&cell);
    return rc;
}

/* True when the stack shows an event carrying token (an execute that went through). */
static bool s_token_seen(const struct al_cfn *cfn, const char *stack, const char *token)
{
    struct al_cfn_events page;
    bool seen = false;
    if (al_cfn_describe_stack_events(cfn, stack, NULL, &page) == 0)
        for (size_t i = 0; i < page.n && !seen; i++)
            seen = al_streq(page.items[i].token, token);
    al_cfn_events_clean_up(&page);
    return seen;
}

static int s_apply_termination_protection(struct s_session *s,
                                          const struct al_cfn *cfn,
                                          const struct s_target *t,
                                          bool current)
{
    if (t->termination_protection < 0 || s->r->dry_run ||
        (bool)t->termination_protection == current)
        return 0;
    if (al_cfn_update_termination_protection(cfn, t->name, t->termination_protection == 1))
        return -1;
    al_log_info("termination protection of %s %s",
                t->name,
                t->termination_protection ? "enabled" : "disabled");
    return 0;
}

/* Deletes a stack that cannot be updated (ROLLBACK_COMPLETE) and waits until it is gone. */
static int s_delete_for_recreate(struct s_session *s,
                                 const struct al_cfn *cfn,
                                 const struct s_target *t,
                                 const struct al_cfn_stack *st)
{
    struct s_watch w = { 0 };
    struct al_cfn_stack final = { 0 };
    char token[160];
    bool found;
    int rc = -1;

    al_log_warning("stack %s is %s (its creation failed and it cannot be updated): deleting it "
                   "to create it again",
                   t->name,
                   st->status);
    s_next_name(s, token, sizeof(token));
    if (al_cfn_delete_stack(cfn, t->name, t->exec_role_arn, token))
        goto cleanup;
    w.cfn = cfn;
    w.stack = st->stack_id ? st->stack_id : t->name; /* a deleted stack is found by its id */
    w.label = t->name;
    w.token = token;
    w.before = st->status;
    if (s_wait_stack(&w, &final, &found))
        goto cleanup;
    if (found && strcmp(final.status, "DELETE_COMPLETE") != 0) {
        al_raise(AL_ERR_DEPLOY,
                 "stack %s could not be deleted to be created again: %s%s%s",
                 t->name,
                 final.status,
                 w.failure ? ": " : "",
                 w.failure ? w.failure : "");
        goto cleanup;
    }
    rc = 0;
cleanup:
    al_cfn_stack_clean_up(&final);
    s_watch_clean_up(&w);
    return rc;
}

/*
 * Deploys (or plans) one stack. out was set up by s_result_init; md, when
 * given, receives the plan's change table (Markdown).
 */
static int s_deploy_one(struct s_session *s,
                        const struct s_target *t,
                        struct al_stack_result *out,
                        struct al_buf *md)
{
    struct al_cfn cfn = { t->ctx, t->region };
    struct al_cfn_stack st = { 0 }, final = { 0 };
    struct al_cfn_change_set cs = { 0 };
    struct al_cfn_change_set_spec spec = { 0 };
    struct s_watch w = { 0 };
    struct al_strv previous;
    char name[160], token[176];
    bool found = false, create, made_stack = false, cs_made = false;
    bool dry = s->r->dry_run;
    int rc = -1;

    al_strv_init(&previous);

    if (al_cfn_describe_stack(&cfn, t->name, &st, &found))
        goto cleanup;
    if (found && !al_cfn_status_terminal(st.status) &&
        strcmp(st.status, "REVIEW_IN_PROGRESS") != 0) {
        /* Another operation runs: wait for it (without its events), then decide. */
        al_log_info("stack %s is %s: waiting for it to finish", t->name, st.status);
        w.cfn = &cfn;
        w.stack = t->name;
        w.label = t->name;
        if (s_wait_stack(&w, &st, &found))
            goto cleanup;
    }
    if (found && (strcmp(st.status, "ROLLBACK_COMPLETE") == 0 ||
                  strcmp(st.status, "ROLLBACK_FAILED") == 0)) {
        if (dry) {
            al_log_warning(
              "stack %s is %s: a deploy will delete it and create it again", t->name, st.status);
            out->result = "planned";
            rc = al_str_set(&out->stack_status, st.status);
            goto cleanup;
        }
        if (s_delete_for_recreate(s, &cfn, t, &st))
            goto cleanup;
        al_cfn_stack_clean_up(&st);
        found = false;
    }
    if (found && (strcmp(st.status, "UPDATE_ROLLBACK_FAILED") == 0 ||
                  strcmp(st.status, "DELETE_FAILED") == 0)) {
        al_raise(AL_ERR_DEPLOY,
                 "stack %s is %s and cannot be updated: %s",
                 t->name,
                 st.status,
                 strcmp(st.status, "DELETE_FAILED") == 0
                   ? "delete it (or fix what blocks the deletion) and deploy again"
                   : "continue its rollback (aws cloudformation continue-update-rollback, "
                     "skipping the resources that cannot roll back) and deploy again");
        goto cleanup;
    }
    create = !found || strcmp(st.status, "REVIEW_IN_PROGRESS") == 0;
    made_stack = !found;
    for (size_t i = 0; t->use_previous && i < t->use_previous->len; i++)
        if (al_strv_push(&previous, t->use_previous->items[i]))
            goto cleanup;
    for (size_t i = 0; !create && t->keep_previous && i < t->keep_previous->len; i++)
        if (json_object_get(st.parameters, t->keep_previous->items[i]) &&
            al_strv_push(&previous, t->keep_previous->items[i]))
            goto cleanup;

    s_next_name(s, name, sizeof(name));
    spec.stack_name = t->name;
    spec.change_set_name = name;
    spec.create = create;
    spec.template_body = t->template_body;
    spec.template_url = t->template_url;
    spec.parameters = t->parameters;
    spec.use_previous = &previous;
    spec.tags = t->tags;
    spec.notification_arns = t->notification_arns;
    spec.role_arn = t->exec_role_arn;
    spec.client_token = name;
    spec.description = "airlock deploy";
    if (al_cfn_create_change_set(&cfn, &spec, NULL))
        goto cleanup;
    cs_made = true;
    al_log_info("change set %s (%s) created for %s", name, create ? "CREATE" : "UPDATE", t->name);
    if (s_wait_change_set(&cfn, t->name, name, &cs))
        goto cleanup;

    if (al_cfn_change_set_empty(&cs)) {
        al_log_info("stack %s is unchanged (the change set is empty)", t->name);
        cs_made = false;
        if (al_cfn_delete_change_set(&cfn, t->name, name))
            goto cleanup;
        out->result = "unchanged";
        if ((found && s_set_outputs(out, &st)) ||
            (found && s_apply_termination_protection(s, &cfn, t, st.termination_protection)))
            goto cleanup;
        rc = 0;
        goto cleanup;
    }
    if (strcmp(cs.status, "CREATE_COMPLETE") != 0) {
        al_raise(AL_ERR_DEPLOY,
                 "the change set of stack %s is %s: %s",
                 t->name,
                 cs.status,
                 cs.status_reason ? cs.status_reason : "no reason given");
        goto cleanup;
    }
    out->changes = cs.n_changes;
    if (s_log_changes(t->name, &cs, md))
        goto cleanup;

    if (dry) {
        cs_made = false;
        if (al_cfn_delete_change_set(&cfn, t->name, name))
            goto cleanup;
        if (made_stack && al_cfn_delete_stack(&cfn, t->name, NULL, NULL))
            goto cleanup; /* the empty REVIEW_IN_PROGRESS stack the CREATE change set made */
        out->result = "planned";
        if (found && s_set_outputs(out, &st))
            goto cleanup;
        rc = 0;
        goto cleanup;
    }

    snprintf(token, sizeof(token), "%s-x", name);
    if (al_cfn_execute_change_set(&cfn, t->name, name, token)) {
        /* A retried execute that had gone through is refused: look for its events. */
        struct al_error saved = *al_error_last();
        if (strcmp(saved.aws_code, "InvalidChangeSetStatus") != 0 ||
            !s_token_seen(&cfn, t->name, token)) {
            *al_error_mut() = saved;
            goto cleanup;
        }
        al_error_clear();
    }
    cs_made = false; /* CloudFormation removes it once executed */
    al_log_info("executing the change set of %s", t->name);
    w.cfn = &cfn;
    w.stack = t->name;
    w.label = t->name;
    w.token = token;
    w.before = found ? st.status : NULL;
    if (s_wait_stack(&w, &final, &found))
        goto cleanup;
    if (!found) {
        al_raise(AL_ERR_DEPLOY, "stack %s disappeared while it was deployed", t->name);
        goto cleanup;
    }
    if (al_str_set(&out->stack_status, final.status))
        goto cleanup;
    if (strcmp(final.status, "CREATE_COMPLETE") != 0 &&
        strcmp(final.status, "UPDATE_COMPLETE") != 0 &&
        strcmp(final.status, "IMPORT_COMPLETE") != 0) {
        /* After an update's rollback the stack serves its previous outputs. */
        if (strcmp(final.status, "UPDATE_ROLLBACK_COMPLETE") == 0 && s_set_outputs(out, &final))
            goto cleanup;
        s_fail(out,
               t->name,
               final.status,
               w.failure       ? w.failure
               : w.failure_any ? w.failure_any
                               : final.status_reason);
        goto cleanup;
    }
    out->result = create ? "created" : "updated";
    if (s_set_outputs(out, &final) ||
        s_apply_termination_protection(s, &cfn, t, final.termination_protection))
        goto cleanup;
    al_log_info("stack %s %s: %s", t->name, out->result, final.status);
    rc = 0;
cleanup:
    if (rc && cs_made) {
        /* A failed change set counts against the stack's quota: delete it, keep the error. */
        struct al_error saved = *al_error_last();
        al_cfn_delete_change_set(&cfn, t->name, name);
        if (create && made_stack)
            al_cfn_delete_stack(&cfn, t->name, NULL, NULL);
        *al_error_mut() = saved;
    }
    if (rc && !out->failure)
        al_str_set(&out->failure, al_error_last()->msg);
    if (rc)
        out->result = "failed";
    al_cfn_change_set_clean_up(&cs);
    al_cfn_stack_clean_up(&st);
    al_cfn_stack_clean_up(&final);
    s_watch_clean_up(&w);
    al_strv_clean_up(&previous);
    return rc;
}

/* ---- templates ---- */

/*
 * Stages a template over TemplateBody's limit in bucket (NULL = the
 * bootstrap bucket, CDKToolkit's BucketName output) as
 * cdk/<stack>/<sha256>.json and returns its https URL in *url.
 */
static int s_stage_template(struct s_session *s,
                            struct al_aws_ctx *ctx,
                            const char *stack,
                            const char *region,
                            const char *body,
                            size_t len,
                            const char *bucket,
                            char **url)
{
    struct al_cfn cfn = { ctx, region };
    struct al_cfn_stack toolkit = { 0 };
    const struct al_asset_sse *sse;
    uint8_t sha[AL_SHA256_LEN];
    char hex[AL_SHA256_HEX_LEN + 1];
    struct al_buf key, loc;
    bool found = false;
    int rc = -1;

    *url = NULL;
    al_buf_init(&key, 4096);
    al_buf_init(&loc, 8192);
    if (!bucket) {
        if (al_cfn_describe_stack(&cfn, TOOLKIT_STACK, &toolkit, &found))
            goto cleanup;
        bucket = found ? json_string_value(json_object_get(toolkit.outputs, "BucketName")) : NULL;
        if (!bucket) {
            al_raise(AL_ERR_USAGE,
                     "the template of stack %s is %zu bytes, over CloudFormation's %u-byte "
                     "TemplateBody limit, and there is no bucket to stage it in (no %s stack "
                     "with a BucketName output in %s): run `cdk bootstrap`",
                     stack,
                     len,
                     AL_CFN_TEMPLATE_BODY_MAX,
                     TOOLKIT_STACK,
                     region ? region : s->r->region);
            goto cleanup;
        }
    }
    if (al_sha256(body, len, sha))
        goto cleanup;
    al_hex(sha, AL_SHA256_LEN, hex);
    if (al_buf_printf(&key, "cdk/%s/%s.json", stack, hex) ||
        !(sse = s_bucket_sse(s, ctx, bucket, region)) ||
        al_asset_upload_bytes(
          ctx, bucket, al_buf_str(&key), region, body, len, "application/json", sse) ||
        al_buf_printf(&loc, "s3://%s/%s", bucket, al_buf_str(&key)) ||
        !(*url = al_stacks_template_url(al_buf_str(&loc), region ? region : s->r->region)))
        goto cleanup;
    al_log_info("template of %s (%zu bytes) staged at %s", stack, len, al_buf_str(&loc));
    rc = 0;
cleanup:
    al_cfn_stack_clean_up(&toolkit);
    al_buf_clean_up(&key);
    al_buf_clean_up(&loc);
    return rc;
}

/* ---- assets ---- */

struct s_asset_stats {
    unsigned uploaded, present, planned;
    uint64_t bytes;
};

static const char *s_asset_name(const struct al_asm_file_asset *a)
{
    return a->display_name ? a->display_name : a->id;
}

/* Publishes one file asset to each destination that lacks it (dry: only checks). */
static int s_publish_asset(struct s_session *s,
                           const struct al_asm_file_asset *a,
                           bool dry,
                           struct s_asset_stats *stats)
{
    struct al_asset_package pkg;
    bool packaged = false;
    int rc = -1;

    memset(&pkg, 0, sizeof(pkg));
    for (size_t i = 0; i < a->n_dests; i++) {
        const struct al_asm_dest *d = &a->dests[i];
        const struct al_asset_sse *sse;
        struct al_aws_ctx *ctx =
          s_role_ctx(s, d->assume_role_arn, d->external_id, "the file-publishing role");
        bool exists = false;
        if (!ctx || al_asset_exists(ctx, d->bucket, d->key, d->region, &exists))
            goto cleanup;
        if (exists) {
            stats->present++;
            al_log_info("asset %s: already at s3://%s/%s", s_asset_name(a), d->bucket, d->key);
            continue;
        }
        if (dry) {
            stats->planned++;
            al_log_info("asset %s: would upload to s3://%s/%s", s_asset_name(a), d->bucket, d->key);
            continue;
        }
        if (!packaged) {
            if (!s->work_dir[0]) {
                snprintf(
                  s->work_dir, sizeof(s->work_dir), "%s/airlock-assets-XXXXXX", al_temp_dir());
                if (!mkdtemp(s->work_dir)) {
                    al_raise(AL_ERR_IO,
                             "cannot create a directory in %.200s: %s (set TMPDIR to a writable "
                             "folder)",
                             al_temp_dir(),
                             strerror(errno));
                    s->work_dir[0] = '\0';
                    goto cleanup;
                }
            }
            if (al_asset_package(a, s->work_dir, &pkg))
                goto cleanup;
            packaged = true;
        }
        if (!(sse = s_bucket_sse(s, ctx, d->bucket, d->region)) ||
            al_asset_upload(ctx, d->bucket, d->key, d->region, &pkg, sse)) {
            al_raise_context("publishing asset %s", s_asset_name(a));
            goto cleanup;
        }
        stats->uploaded++;
        stats->bytes += pkg.size;
        al_log_info("asset %s: uploaded to s3://%s/%s (%llu bytes)",
                    s_asset_name(a),
                    d->bucket,
                    d->key,
                    (unsigned long long)pkg.size);
    }
    rc = 0;
cleanup:
    al_asset_package_clean_up(&pkg);
    return rc;
}

/* ---- the bootstrap version ---- */

/* The bootstrap parameter's value in a region, read once (NULL value: not found). */
static int s_ssm_cached(struct s_session *s,
                        struct al_aws_ctx *ctx,
                        const char *region,
                        const char *param,
                        const char **value,
                        bool *found)
{
    struct al_buf k;
    char *v = NULL;
    int rc = -1;

    al_buf_init(&k, 8192);
    if (al_buf_printf(&k, "%s\n%s", region ? region : "", param))
        goto cleanup;
    for (size_t i = 0; i < s->ssm_keys.len; i++)
        if (strcmp(s->ssm_keys.items[i], al_buf_str(&k)) == 0) {
            *value = s->ssm_values.items[i];
            *found = **value != '\0';
            rc = 0;
            goto cleanup;
        }
    if (al_ssm_get_parameter(ctx, region, param, &v, found))
        goto cleanup;
    if (al_strv_push(&s->ssm_keys, al_buf_str(&k)) ||
        al_strv_push(&s->ssm_values, *found ? v : "")) {
        goto cleanup;
    }
    *value = s->ssm_values.items[s->ssm_values.len - 1];
    rc = 0;
cleanup:
    free(v);
    al_buf_clean_up(&k);
    return rc;
}

/*
 * Refuses (exit 2) a stack whose environment's bootstrap stack is older
 * than the stack or its assets require, before anything is changed.
 */
static int s_check_bootstrap(struct s_session *s,
                             const struct al_assembly *a,
                             const struct al_asm_stack *st)
{
    int required = st->requires_bootstrap_version;
    const char *param = st->bootstrap_version_ssm_param;
    const char *value = NULL;
    struct al_aws_ctx *ctx;
    bool found = false;
    char *end;
    long have;

    for (size_t i = 0; i < st->n_assets; i++) {
        const struct al_asm_file_asset *as = &a->assets[st->asset_idx[i]];
        if (as->requires_bootstrap_version > required)
            required = as->requires_bootstrap_version;
        if (!param)
            param = as->bootstrap_version_ssm_param;
    }
    if (required <= 0)
        return 0;
    if (!param)
        param = DEFAULT_BOOTSTRAP_PARAM;
    ctx = s_role_ctx(s, st->assume_role_arn, st->assume_role_external_id, "the deploy role");
    if (!ctx)
        return -1;
    if (s_ssm_cached(s, ctx, st->region, param, &value, &found)) {
        if (al_error_last()->code != AL_ERR_CREDENTIALS)
            return -1;
        /* The template's CheckBootstrapVersion rule still guards the deploy. */
        al_log_warning("cannot read the bootstrap version (%s) of aws://%s/%s: %s",
                       param,
                       st->account ? st->account : "?",
                       st->region ? st->region : "?",
                       al_error_last()->msg);
        al_error_clear();
        return 0;
    }
    if (!found)
        return al_raise(AL_ERR_USAGE,
                        "stack %s needs CDK bootstrap stack version %d or later in aws://%s/%s, "
                        "but the environment is not bootstrapped (SSM parameter %s does not "
                        "exist): run `cdk bootstrap aws://%s/%s`; nothing was changed",
                        st->stack_name,
                        required,
                        st->account,
                        st->region,
                        param,
                        st->account,
                        st->region);
    errno = 0;
    have = strtol(value, &end, 10);
    if (errno || end == value || *end)
        return al_raise(AL_ERR_USAGE,
                        "the bootstrap version in SSM parameter %s is '%.40s', not a number: run "
                        "`cdk bootstrap aws://%s/%s`",
                        param,
                        value,
                        st->account,
                        st->region);
    if (have < required)
        return al_raise(AL_ERR_USAGE,
                        "stack %s requires CDK bootstrap stack version %d, but aws://%s/%s has "
                        "version %ld (SSM parameter %s): run `cdk bootstrap aws://%s/%s` with a "
                        "current CDK CLI to upgrade it; nothing was changed",
                        st->stack_name,
                        required,
                        st->account,
                        st->region,
                        have,
                        param,
                        st->account,
                        st->region);
    al_log_debug("bootstrap version %ld of aws://%s/%s satisfies %s (%d)",
                 have,
                 st->account,
                 st->region,
                 st->stack_name,
                 required);
    return 0;
}

/* ---- the step ---- */

/* Loads, selects (deploy order) and resolves the assembly of the `assembly` option. */
static int s_load(struct al_run *r, struct al_assembly *a, size_t **order, size_t *n)
{
    const char *dir = al_opts_get(r->opts, AL_OPT_ASSEMBLY);
    *order = NULL;
    *n = 0;
    if (!dir || !*dir)
        return al_raise(AL_ERR_USAGE, "no assembly: set the assembly input (the cdk.out folder)");
    if (al_assembly_load(dir, a) ||
        al_assembly_select(a,
                           al_opts_list(r->opts, AL_OPT_STACKS),
                           al_opts_bool(r->opts, AL_OPT_EXCLUSIVELY),
                           order,
                           n) ||
        al_assembly_resolve(a,
                            r->account[0] ? r->account : NULL,
                            r->region[0] ? r->region : NULL,
                            r->partition[0] ? r->partition : NULL))
        return -1;
    return 0;
}

/* Sets the outputs: `stacks` (JSON) and <Stack>.<OutputKey>, and the references. */
static int s_outputs(struct al_run *r, const struct al_stack_result *res, size_t n)
{
    json_t *arr = json_array(), *owners = json_object();
    char *text = NULL;
    int rc = -1;

    if (!arr || !owners) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const char *key;
        json_t *v, *o = json_pack("{s:s, s:s, s:s?, s:I, s:O}",
                                  "name",
                                  res[i].name,
                                  "status",
                                  res[i].result,
                                  "stackStatus",
                                  res[i].stack_status,
                                  "changes",
                                  (json_int_t)res[i].changes,
                                  "outputs",
                                  res[i].outputs);
        if (!o || json_array_append_new(arr, o)) {
            al_raise(AL_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        json_object_foreach(res[i].outputs, key, v)
        {
            struct al_buf raw;
            char *name;
            const char *owner;
            const char *value = json_string_value(v) ? json_string_value(v) : "";
            if (al_run_add_stack_output(r, res[i].name, key, value))
                goto cleanup;
            al_buf_init(&raw, 4096);
            if (al_buf_printf(&raw, "%s.%s", res[i].name, key)) {
                al_buf_clean_up(&raw);
                goto cleanup;
            }
            name = al_outputs_name(al_buf_str(&raw));
            if (!name) {
                al_buf_clean_up(&raw);
                goto cleanup;
            }
            owner = json_string_value(json_object_get(owners, name));
            if (owner) {
                al_log_warning("stack output %s would be step output %s, already taken by %s: "
                               "kept the first",
                               al_buf_str(&raw),
                               name,
                               owner);
            } else if (json_object_set_new(owners, name, json_string(al_buf_str(&raw))) ||
                       al_outputs_set(r->outputs, name, value)) {
                free(name);
                al_buf_clean_up(&raw);
                goto cleanup;
            }
            free(name);
            al_buf_clean_up(&raw);
        }
    }
    if (!(text = json_dumps(arr, JSON_COMPACT))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (al_outputs_set(r->outputs, "stacks", text))
        goto cleanup;
    rc = 0;
cleanup:
    free(text);
    json_decref(arr);
    json_decref(owners);
    return rc;
}

/* The summary's section: one row per stack, failure reasons, the plan's changes. */
static int s_summary(struct al_run *r,
                     const struct al_stack_result *res,
                     size_t n,
                     const struct s_asset_stats *as,
                     const struct al_buf *plan_md)
{
    struct al_buf cell;
    int rc = -1;

    al_buf_init(&cell, 16384);
    if (al_summary_add(&r->summary,
                       "### Stacks\n\n| stack | result | changes | CloudFormation status "
                       "|\n|---|---|---:|---|\n"))
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, res[i].name) ||
            al_summary_add(
              &r->summary, "| %s | %s | %zu | ", al_buf_str(&cell), res[i].result, res[i].changes))
            goto cleanup;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, res[i].stack_status ? res[i].stack_status : "-") ||
            al_summary_add(&r->summary, "%s |\n", al_buf_str(&cell)))
            goto cleanup;
    }
    if (al_summary_add(&r->summary,
                       "\nAssets: %u uploaded (%llu bytes), %u already published",
                       as->uploaded,
                       (unsigned long long)as->bytes,
                       as->present) ||
        (as->planned && al_summary_add(&r->summary, ", %u to upload on deploy", as->planned)) ||
        al_summary_add(&r->summary, ".\n"))
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if (!res[i].failure)
            continue;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, res[i].name) ||
            al_summary_add(&r->summary, "\n> **%s** failed: ", al_buf_str(&cell)))
            goto cleanup;
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, res[i].failure) ||
            al_summary_add(&r->summary, "%s\n", al_buf_str(&cell)))
            goto cleanup;
    }
    if (plan_md->len && al_summary_add(&r->summary, "%s", al_buf_str(plan_md)))
        goto cleanup;
    if (al_summary_add(&r->summary, "\n"))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&cell);
    return rc;
}

/* Deploys one stack of the assembly: its template (body or staged URL), then the change set. */
static int s_deploy_stack(struct s_session *s,
                          const struct al_assembly *a,
                          const struct al_asm_stack *st,
                          struct s_asset_stats *stats,
                          struct al_stack_result *out,
                          struct al_buf *plan_md)
{
    struct s_target t = { 0 };
    struct al_strv keep;
    json_t *tpl = NULL;
    const char *pk;
    json_t *pv;
    char *body = NULL, *url = NULL;
    size_t len = 0;
    int rc = -1;

    al_strv_init(&keep);
    t.ctx = s_role_ctx(s, st->assume_role_arn, st->assume_role_external_id, "the deploy role");
    if (!t.ctx)
        goto cleanup;
    if (!(body = al_file_read(st->template_path, AL_CFN_TEMPLATE_MAX, &len))) {
        al_raise_context("the template of stack %s (CloudFormation takes at most %zu bytes)",
                         st->stack_name,
                         AL_CFN_TEMPLATE_MAX);
        goto cleanup;
    }
    /* CDK writes JSON; a template that is not stays CloudFormation's to judge. */
    if ((tpl = json_loadb(body, len, 0, NULL)))
        json_object_foreach(json_object_get(tpl, "Parameters"), pk, pv)
        {
            if (!json_object_get(st->parameters, pk) && al_strv_push(&keep, pk))
                goto cleanup;
        }
    if (len > AL_CFN_TEMPLATE_BODY_MAX) {
        if (st->template_object_url) {
            /* The template is one of the stack's file assets; a plan publishes just it. */
            for (size_t i = 0; s->r->dry_run && i < st->n_assets; i++) {
                const struct al_asm_file_asset *as = &a->assets[st->asset_idx[i]];
                if (strcmp(as->source_path, st->template_path) == 0 &&
                    s_publish_asset(s, as, false, stats))
                    goto cleanup;
            }
            if (!(url = al_stacks_template_url(st->template_object_url, st->region)))
                goto cleanup;
            al_log_info("template of %s is %zu bytes (over %u): passed as TemplateURL %s",
                        st->stack_name,
                        len,
                        AL_CFN_TEMPLATE_BODY_MAX,
                        url);
        } else if (s_stage_template(s, t.ctx, st->stack_name, st->region, body, len, NULL, &url)) {
            goto cleanup;
        }
        free(body);
        body = NULL;
    }
    t.name = st->stack_name;
    t.region = st->region;
    t.template_body = body;
    t.template_url = url;
    t.parameters = st->parameters;
    t.keep_previous = &keep;
    t.tags = st->tags;
    t.notification_arns = &st->notification_arns;
    t.exec_role_arn = st->cfn_exec_role_arn;
    t.termination_protection = st->termination_protection ? 1 : 0;
    rc = s_deploy_one(s, &t, out, plan_md);
cleanup:
    if (rc && !out->failure)
        al_str_set(&out->failure, al_error_last()->msg);
    json_decref(tpl);
    al_strv_clean_up(&keep);
    free(body);
    free(url);
    return rc;
}

static void s_detail(char *out, size_t cap, const struct al_stack_result *res, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        int w;
        if (res[i].changes)
            w = snprintf(out + len,
                         cap - len,
                         "%s%s %s (%zu change%s)",
                         i ? ", " : "",
                         res[i].name,
                         res[i].result,
                         res[i].changes,
                         res[i].changes == 1 ? "" : "s");
        else
            w =
              snprintf(out + len, cap - len, "%s%s %s", i ? ", " : "", res[i].name, res[i].result);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int al_step_stacks(struct al_run *r)
{
    struct al_step_record *rec = al_run_step_begin(r, "Stacks");
    struct al_assembly a;
    struct s_session s;
    struct s_asset_stats stats = { 0 };
    struct al_stack_result *res = NULL;
    struct al_buf plan_md;
    unsigned char *published = NULL;
    size_t *order = NULL, n = 0, done = 0;
    bool changed = false, failed_stack = false;
    char detail[DETAIL_MAX];
    int rc = -1;

    memset(&a, 0, sizeof(a));
    al_buf_init(&plan_md, 256 * 1024);
    if (s_session_init(&s, r))
        goto cleanup;
    /* Local refusals first (missing context, docker images, ...): exit 2, nothing sent. */
    if (s_load(r, &a, &order, &n))
        goto cleanup;
    if (!(res = calloc(n ? n : 1, sizeof(*res))) ||
        !(published = calloc(a.n_assets ? a.n_assets : 1, 1))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        if (s_result_init(&res[i], a.stacks[order[i]].stack_name))
            goto cleanup;
    al_log_info("%s %zu stack%s from %s:",
                r->dry_run ? "planning" : "deploying",
                n,
                n == 1 ? "" : "s",
                a.dir);
    for (size_t i = 0; i < n; i++)
        al_log_info("  %s (aws://%s/%s)",
                    a.stacks[order[i]].stack_name,
                    a.stacks[order[i]].account,
                    a.stacks[order[i]].region);

    /* Before any change: every stack's bootstrap version. */
    for (size_t i = 0; i < n; i++)
        if (s_check_bootstrap(&s, &a, &a.stacks[order[i]]))
            goto cleanup;

    /* Assets of the selected stacks (a plan only checks which are missing). */
    for (size_t i = 0; i < n; i++) {
        const struct al_asm_stack *st = &a.stacks[order[i]];
        for (size_t j = 0; j < st->n_assets; j++) {
            size_t k = st->asset_idx[j];
            if (published[k])
                continue;
            published[k] = 1;
            if (s_publish_asset(&s, &a.assets[k], r->dry_run, &stats))
                goto cleanup;
        }
    }

    for (size_t i = 0; i < n; i++) {
        const struct al_asm_stack *st = &a.stacks[order[i]];
        al_log_group_end();
        al_log_group_begin("Stack %s", st->stack_name);
        done = i + 1;
        if (s_deploy_stack(&s, &a, st, &stats, &res[i], &plan_md)) {
            failed_stack = true;
            break;
        }
        if (strcmp(res[i].result, "unchanged") != 0)
            changed = true;
    }
    for (size_t i = done; i < n; i++)
        res[i].result = "not-deployed";
    if (failed_stack)
        goto cleanup;
    rc = 0;
cleanup:
    if (res) {
        struct al_error saved = *al_error_last();
        /* Outputs and summary also after a failure: what was deployed, and why it stopped. */
        if (s_outputs(r, res, n) || s_summary(r, res, n, &stats, &plan_md))
            al_log_warning("stacks: could not record the outputs: %s", al_error_last()->msg);
        *al_error_mut() = saved;
    }
    s_detail(detail, sizeof(detail), res, res ? n : 0);
    if (rc) {
        al_run_step_end(r, rec, AL_STEP_FAILED, "%s", al_error_last()->msg);
    } else if (r->dry_run) {
        al_run_step_end(r, rec, AL_STEP_PLANNED, "%s", detail);
    } else if (!changed) {
        if (!r->status)
            al_run_set_status(r, "no-change");
        al_run_step_end(r, rec, AL_STEP_NO_CHANGE, "%s", detail);
    } else {
        al_run_step_end(r, rec, AL_STEP_OK, "%s", detail);
    }
    for (size_t i = 0; res && i < n; i++)
        al_stack_result_clean_up(&res[i]);
    free(res);
    free(published);
    free(order);
    al_assembly_clean_up(&a);
    s_session_clean_up(&s);
    al_buf_clean_up(&plan_md);
    return rc;
}

int al_stacks_precheck(struct al_run *r)
{
    struct al_assembly a;
    struct s_session s;
    size_t *order = NULL, n = 0;
    int rc = -1;

    memset(&a, 0, sizeof(a));
    if (s_session_init(&s, r) || s_load(r, &a, &order, &n))
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        if (s_check_bootstrap(&s, &a, &a.stacks[order[i]]))
            goto cleanup;
    rc = 0;
cleanup:
    free(order);
    al_assembly_clean_up(&a);
    s_session_clean_up(&s);
    return rc;
}

/* ---- for the release step ---- */

void al_stack_targets_clean_up(struct al_stack_targets *t)
{
    if (!t)
        return;
    free(t->items);
    al_strv_clean_up(&t->strings);
    memset(t, 0, sizeof(*t));
}

/* Keeps a copy of s in the targets' strings; NULL stays NULL. */
static int s_keep(struct al_stack_targets *t, const char *s, const char **dst)
{
    *dst = NULL;
    if (!s)
        return 0;
    if (al_strv_push(&t->strings, s))
        return -1;
    *dst = t->strings.items[t->strings.len - 1];
    return 0;
}

int al_stacks_targets(struct al_run *r, struct al_stack_targets *out)
{
    struct al_assembly a;
    size_t *order = NULL, n = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    memset(&a, 0, sizeof(a));
    al_strv_init(&out->strings);
    if (s_load(r, &a, &order, &n))
        goto cleanup;
    if (!(out->items = calloc(n ? n : 1, sizeof(*out->items)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const struct al_asm_stack *st = &a.stacks[order[i]];
        struct al_stack_ref *ref = &out->items[i];
        /* The vector may move its array, not the strings: pointers stay valid. */
        if (s_keep(out, st->stack_name, &ref->name) || s_keep(out, st->region, &ref->region) ||
            s_keep(out, st->assume_role_arn, &ref->deploy_role_arn) ||
            s_keep(out, st->assume_role_external_id, &ref->deploy_role_external_id))
            goto cleanup;
        out->n++;
    }
    rc = 0;
cleanup:
    free(order);
    al_assembly_clean_up(&a);
    if (rc)
        al_stack_targets_clean_up(out);
    return rc;
}

int al_stacks_describe(struct al_run *r, const struct al_stack_ref *ref, struct al_stack_state *out)
{
    struct s_session s;
    struct al_cfn_stack st = { 0 };
    struct al_cfn cfn = { 0 };
    bool found = false;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (s_session_init(&s, r))
        goto cleanup;
    cfn.region = ref->region;
    if (!(cfn.ctx = s_role_ctx(
            &s, ref->deploy_role_arn, ref->deploy_role_external_id, "the deploy role")) ||
        al_cfn_describe_stack(&cfn, ref->name, &st, &found))
        goto cleanup;
    if (!found) {
        al_raise(AL_ERR_DEPLOY, "stack %s does not exist", ref->name);
        goto cleanup;
    }
    if (al_cfn_get_template(&cfn, ref->name, &out->template_body) ||
        !(out->name = al_strdup(ref->name)) || !(out->status = al_strdup(st.status)))
        goto cleanup;
    out->parameters = json_incref(st.parameters);
    out->outputs = json_incref(st.outputs);
    rc = 0;
cleanup:
    if (rc)
        al_stack_state_clean_up(out);
    al_cfn_stack_clean_up(&st);
    s_session_clean_up(&s);
    return rc;
}

int al_stacks_restore(struct al_run *r,
                      const struct al_stack_restore *spec,
                      struct al_stack_result *out)
{
    struct s_session s;
    struct s_target t = { 0 };
    struct al_strv previous;
    json_t *params = NULL;
    char *url = NULL;
    const char *region = spec->ref.region ? spec->ref.region : r->region;
    const char *key;
    json_t *v;
    int rc = -1;

    al_strv_init(&previous);
    memset(&s, 0, sizeof(s));
    if (s_result_init(out, spec->ref.name) || s_session_init(&s, r))
        goto cleanup;
    if (!(params = json_object())) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    json_object_foreach((json_t *)spec->parameters, key, v)
    {
        const char *value = json_string_value(v) ? json_string_value(v) : "";
        /* A NoEcho value was recorded masked: keep what the stack has. */
        if (strcmp(value, "****") == 0 ? al_strv_push(&previous, key)
                                       : json_object_set_new(params, key, json_string(value))) {
            al_raise(AL_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
    }
    t.ctx = s_role_ctx(
      &s, spec->ref.deploy_role_arn, spec->ref.deploy_role_external_id, "the deploy role");
    if (!t.ctx)
        goto cleanup;
    t.name = spec->ref.name;
    t.region = region;
    if (spec->template_url) {
        if (!(url = al_stacks_template_url(spec->template_url, region)))
            goto cleanup;
    } else if (!spec->template_body) {
        al_raise(AL_ERR_INTERNAL, "restoring %s: no template", spec->ref.name);
        goto cleanup;
    } else if (strlen(spec->template_body) > AL_CFN_TEMPLATE_BODY_MAX) {
        if (s_stage_template(&s,
                             t.ctx,
                             spec->ref.name,
                             region,
                             spec->template_body,
                             strlen(spec->template_body),
                             spec->template_bucket,
                             &url))
            goto cleanup;
    }
    t.template_body = url ? NULL : spec->template_body;
    t.template_url = url;
    t.parameters = params;
    t.use_previous = &previous;
    t.exec_role_arn = spec->exec_role_arn;
    t.termination_protection = -1;
    rc = s_deploy_one(&s, &t, out, NULL);
cleanup:
    if (rc && out->name && !out->failure)
        al_str_set(&out->failure, al_error_last()->msg);
    json_decref(params);
    al_strv_clean_up(&previous);
    free(url);
    s_session_clean_up(&s);
    return rc;
}
