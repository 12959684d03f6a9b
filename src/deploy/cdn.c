/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CDN step: one CloudFront invalidation for the paths the sync changed
 * (deploy) or restored (rollback), planned by deploy/cdn_paths.c.
 *
 * Idempotency: the CallerReference is derived from the run (command,
 * version, run id, this process's start and the step's sequence number in
 * it) and from the path set, so every retry of the call (the engine's after a
 * lost answer, ours after TooManyInvalidationsInProgress) returns the same
 * invalidation instead of creating a second one, while a later call in the
 * same run (the auto-rollback's) or a re-run of the workflow gets its own.
 */
#include "deploy/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudfront.h"
#include "deploy/cdn_paths.h"
#include "gha/summary.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

/* Paths listed in the log and the summary; the rest are counted. */
#define SHOW_PATHS 20
/* TooManyInvalidationsInProgress: 1, 2, 4, ... s, at most this long apart. */
#define BUSY_BACKOFF_CAP_MS 30000u
/* GetInvalidation: 1, 2, 4, ... s, at most 20 s apart (botocore's waiter delay). */
#define POLL_CAP_MS 20000u

static unsigned g_calls; /* al_step_cdn calls in this process: part of the reference */

/* "airlock-<version>-<run>-<n>-<hash of everything>", at most ~100 characters. */
static int s_caller_reference(const struct al_run *r,
                              const struct al_cdn_plan *plan,
                              char *out,
                              size_t cap)
{
    struct al_buf in;
    uint8_t sum[AL_SHA256_LEN];
    char hex[AL_SHA256_LEN * 2 + 1], ver[33];
    size_t n = 0;
    int rc = -1;

    al_buf_init(&in, (size_t)64 << 20);
    if (al_buf_printf(&in,
                      "%s\n%s\n%s\n%u\n%llu\n",
                      r->info.command ? r->info.command : "",
                      r->info.version ? r->info.version : "",
                      r->info.run_id ? r->info.run_id : "",
                      g_calls,
                      (unsigned long long)r->started_ms))
        goto cleanup;
    for (size_t i = 0; i < plan->paths.len; i++)
        if (al_buf_puts(&in, plan->paths.items[i]) || al_buf_putc(&in, '\n'))
            goto cleanup;
    if (al_sha256(in.data, in.len, sum))
        goto cleanup;
    al_hex(sum, sizeof(sum), hex);
    /* The version, readable, for whoever lists the invalidations. */
    for (const char *v = r->info.version ? r->info.version : ""; *v && n < sizeof(ver) - 1; v++)
        ver[n++] = (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
                       (*v >= '0' && *v <= '9') || *v == '.' || *v == '_'
                     ? *v
                     : '-';
    ver[n] = '\0';
    snprintf(out,
             cap,
             "airlock-%s-%.20s-%u-%.24s",
             n ? ver : "unversioned",
             r->info.run_id && *r->info.run_id ? r->info.run_id : "local",
             g_calls,
             hex);
    rc = 0;
cleanup:
    al_buf_clean_up(&in);
    return rc;
}

static bool s_busy(void)
{
    return al_streq(al_error_last()->aws_code, "TooManyInvalidationsInProgress");
}

/* CreateInvalidation; TooManyInvalidationsInProgress backs off and retries until timeout_s. */
static int s_create(struct al_run *r,
                    const char *dist,
                    const struct al_cdn_plan *plan,
                    const char *ref,
                    uint64_t timeout_s,
                    struct al_cf_invalidation *inv)
{
    uint64_t deadline = al_clock_mono_ms() + timeout_s * 1000u;
    uint64_t delay = 1000;
    for (unsigned attempt = 1;; attempt++) {
        uint64_t now;
        if (al_cf_create_invalidation(
              r->aws, dist, (const char *const *)plan->paths.items, plan->paths.len, ref, inv) == 0)
            return 0;
        if (!s_busy())
            return -1;
        now = al_clock_mono_ms();
        if (now >= deadline)
            return al_raise(AL_ERR_DEPLOY,
                            "cloudfront CreateInvalidation on %s: TooManyInvalidationsInProgress "
                            "for %llu s (%u attempts; invalidation-timeout); other invalidations "
                            "hold CloudFront's limit of 3,000 paths or 15 wildcards in progress. "
                            "Raise invalidation-timeout or invalidation-max-paths",
                            dist,
                            (unsigned long long)timeout_s,
                            attempt);
        if (delay > deadline - now)
            delay = deadline - now;
        al_log_info("CloudFront is busy (TooManyInvalidationsInProgress); retrying in %.1f s",
                    (double)delay / 1000.0);
        al_clock_sleep_ms(delay);
        delay = delay * 2 > BUSY_BACKOFF_CAP_MS ? BUSY_BACKOFF_CAP_MS : delay * 2;
    }
}

/* Polls until Completed. @return 1 completed, 0 timed out (warned), -1 error. */
static int s_wait(struct al_run *r,
                  const char *dist,
                  struct al_cf_invalidation *inv,
                  uint64_t timeout_s)
{
    uint64_t start = al_clock_mono_ms(), deadline = start + timeout_s * 1000u;
    uint64_t delay = 1000;
    while (strcmp(inv->status, "Completed") != 0) {
        uint64_t now = al_clock_mono_ms();
        if (now >= deadline) {
            al_log_warning("invalidation %s is still %s after %llu s (invalidation-timeout); "
                           "continuing: CloudFront completes it on its own",
                           inv->id,
                           inv->status,
                           (unsigned long long)timeout_s);
            return 0;
        }
        if (delay > deadline - now)
            delay = deadline - now;
        al_clock_sleep_ms(delay);
        delay = delay * 2 > POLL_CAP_MS ? POLL_CAP_MS : delay * 2;
        char id[sizeof(inv->id)];
        memcpy(id, inv->id, sizeof(id)); /* inv is overwritten by the answer */
        if (al_cf_get_invalidation(r->aws, dist, id, inv))
            return -1;
        al_log_info("invalidation %s: %s (%.0f s)",
                    inv->id,
                    inv->status,
                    (double)(al_clock_mono_ms() - start) / 1000.0);
    }
    return 1;
}

static void s_log_paths(const struct al_cdn_plan *plan)
{
    for (size_t i = 0; i < plan->paths.len && i < SHOW_PATHS; i++)
        al_log_info("  %s", plan->paths.items[i]);
    if (plan->paths.len > SHOW_PATHS)
        al_log_info("  ... and %zu more", plan->paths.len - SHOW_PATHS);
}

/* The step's section of the job summary; paths come from S3 keys, so they are escaped. */
static int s_summary(struct al_run *r,
                     const char *dist,
                     const struct al_cdn_plan *plan,
                     const struct al_cf_invalidation *inv,
                     const char *state)
{
    struct al_buf md;
    int rc = -1;
    al_buf_init(&md, (size_t)256 << 10);
    if (al_buf_puts(&md, "### CDN\n\n"))
        goto cleanup;
    if (inv && al_buf_printf(&md, "Invalidation `%s` on distribution `%s`", inv->id, dist))
        goto cleanup;
    if (!inv && al_buf_printf(&md, "Planned invalidation on distribution `%s`", dist))
        goto cleanup;
    if (al_buf_printf(&md,
                      ": %zu path%s%s%s.",
                      plan->paths.len,
                      plan->paths.len == 1 ? "" : "s",
                      state ? ", " : "",
                      state ? state : ""))
        goto cleanup;
    if (plan->reason[0] &&
        (al_buf_puts(&md, " ") || al_summary_escape(&md, plan->reason) || al_buf_puts(&md, ".")))
        goto cleanup;
    if (al_buf_puts(&md, "\n\n"))
        goto cleanup;
    for (size_t i = 0; i < plan->paths.len && i < SHOW_PATHS; i++)
        if (al_buf_puts(&md, "- ") || al_summary_escape(&md, plan->paths.items[i]) ||
            al_buf_putc(&md, '\n'))
            goto cleanup;
    if (plan->paths.len > SHOW_PATHS &&
        al_buf_printf(&md, "- ... and %zu more\n", plan->paths.len - SHOW_PATHS))
        goto cleanup;
    if (al_buf_putc(&md, '\n') || al_summary_add(&r->summary, "%s", al_buf_str(&md)))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&md);
    return rc;
}

int al_step_cdn(struct al_run *r, const struct al_strv *changed_keys)
{
    const char *mode = al_opts_get(r->opts, AL_OPT_INVALIDATE);
    struct al_step_record *step;
    struct al_cdn_plan plan;
    struct al_cf_invalidation inv;
    struct al_strv none;
    char *dist = NULL;
    char ref[160];
    int rc = -1, waited = -1;

    if (!al_opts_get(r->opts, AL_OPT_DISTRIBUTION_ID))
        return 0; /* no CDN in front of the site */
    al_cdn_plan_init(&plan);
    al_strv_init(&none);
    step = al_run_step_begin(r, "CDN");
    g_calls++;
    if (al_streq(mode, "none")) {
        al_log_info("invalidate: none; no invalidation");
        al_run_step_end(r, step, AL_STEP_SKIPPED, "invalidate: none");
        rc = 0;
        goto cleanup;
    }
    if (!(dist = al_run_opt(r, AL_OPT_DISTRIBUTION_ID)))
        goto failed;
    if (!al_cf_distribution_id_valid(dist)) {
        al_raise(AL_ERR_USAGE,
                 "distribution-id '%.80s' (%s) is not a CloudFront distribution id: expected "
                 "upper-case letters and digits, like E2EXAMPLE1ABCD",
                 dist,
                 r->opts->where[AL_OPT_DISTRIBUTION_ID] ? r->opts->where[AL_OPT_DISTRIBUTION_ID]
                                                        : "distribution-id");
        goto failed;
    }
    if (al_cdn_plan_paths(changed_keys ? changed_keys : &none,
                          al_streq(mode, "all"),
                          (size_t)al_opts_uint(r->opts, AL_OPT_INVALIDATION_MAX_PATHS),
                          &plan))
        goto failed;
    if (!plan.paths.len) {
        al_log_info("no site path changed; no invalidation");
        al_run_step_end(r, step, AL_STEP_NO_CHANGE, "no path changed");
        rc = 0;
        goto cleanup;
    }
    if (plan.reason[0])
        al_log_info("%s", plan.reason);
    al_log_info("%s %zu path%s on distribution %s:",
                r->dry_run ? "would invalidate" : "invalidating",
                plan.paths.len,
                plan.paths.len == 1 ? "" : "s",
                dist);
    s_log_paths(&plan);
    if (r->dry_run) {
        if (s_summary(r, dist, &plan, NULL, "dry run"))
            goto failed;
        al_run_step_end(r, step, AL_STEP_PLANNED, "%zu paths on %s", plan.paths.len, dist);
        rc = 0;
        goto cleanup;
    }
    if (s_caller_reference(r, &plan, ref, sizeof(ref)) ||
        s_create(r, dist, &plan, ref, al_opts_uint(r->opts, AL_OPT_INVALIDATION_TIMEOUT), &inv))
        goto failed;
    al_log_info("invalidation %s created (%s)", inv.id, inv.status);
    if (al_outputs_set(r->outputs, "invalidation-id", inv.id))
        goto failed;
    if (al_opts_bool(r->opts, AL_OPT_WAIT_FOR_INVALIDATION) &&
        (waited = s_wait(r, dist, &inv, al_opts_uint(r->opts, AL_OPT_INVALIDATION_TIMEOUT))) < 0)
        goto failed;
    if (s_summary(r,
                  dist,
                  &plan,
                  &inv,
                  waited == 1   ? "completed"
                  : waited == 0 ? "still in progress after invalidation-timeout"
                                : NULL))
        goto failed;
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "%s: %zu path%s%s",
                    inv.id,
                    plan.paths.len,
                    plan.paths.len == 1 ? "" : "s",
                    waited == 1   ? ", completed"
                    : waited == 0 ? ", still in progress"
                                  : "");
    rc = 0;
    goto cleanup;
failed:
    al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
cleanup:
    free(dist);
    al_strv_clean_up(&none);
    al_cdn_plan_clean_up(&plan);
    return rc;
}
