/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline's steps, each implemented in its own module (stacks.c,
 * sync.c, cdn.c, verify.c, notify.c). Every step:
 * - records itself with al_run_step_begin/_end (one row of the summary's
 *   step table) and appends its own section to r->summary;
 * - sets its step outputs in r->outputs;
 * - with r->dry_run, plans and makes no mutating call;
 * - returns 0, or -1 with the error record set (the pipeline decides what a
 *   failure means: roll back, or stop).
 */
#ifndef AL_DEPLOY_STEPS_H
#define AL_DEPLOY_STEPS_H

#include "deploy/run.h"
#include "util/str.h"

/* ---- stacks.c: the CDK assembly through change sets ---- */

/**
 * Deploys (or, dry-run, plans) the stacks of the `assembly` option. Fills
 * r->stack_outputs and the outputs `stacks` and `<Stack>.<OutputKey>`.
 * @return 0 or -1.
 */
int al_step_stacks(struct al_run *r);

/* ---- sync.c: the site ---- */

struct al_sync; /* a planned and (phases A, B) applied sync; opaque */

/**
 * Scans site-dir, reads the remote state, plans, and (unless dry-run)
 * uploads phase A (new and changed non-entry files) then phase B (entry
 * files). Deletions wait for al_sync_finish. Sets files-uploaded,
 * files-unchanged, bytes-uploaded. *out is set even on failure (may hold
 * what was uploaded); caller frees with al_sync_free. @return 0 or -1.
 */
int al_step_site(struct al_run *r, struct al_sync **out);

/** Phase C: deletes the keys no longer in the site. Sets files-deleted. @return 0 or -1. */
int al_sync_finish(struct al_run *r, struct al_sync *s);

/** The keys uploaded or deleted (for the invalidation). Borrowed from s. */
const struct al_strv *al_sync_changed_keys(const struct al_sync *s);

/** The keys the plan will delete in phase C (for the invalidation). Borrowed from s. */
const struct al_strv *al_sync_stale_keys(const struct al_sync *s);

/** Frees s. NULL-safe. */
void al_sync_free(struct al_sync *s);

/* ---- cdn.c: CloudFront ---- */

/**
 * Invalidates the changed keys (collapsed within CloudFront's limits) on
 * distribution-id; sets invalidation-id. A no-op without distribution-id or
 * with invalidate: none. @return 0 or -1.
 */
int al_step_cdn(struct al_run *r, const struct al_strv *changed_keys);

/* ---- verify.c: health and alarms ---- */

/**
 * Before anything is changed: fails when a watched alarm is already in ALARM
 * (unless ignore-existing-alarms). @return 0 or -1.
 */
int al_step_alarms_precheck(struct al_run *r);

/**
 * After the change: the health check, then the alarm watch. Sets
 * health-status. @return 0 (healthy) or -1 (unhealthy, error raised).
 */
int al_step_verify(struct al_run *r);

/* ---- notify.c: Slack ---- */

/**
 * Sends the Slack message for the finished run (success and failure alike).
 * A failure is a warning unless notify-required. @return 0 or -1.
 */
int al_step_notify(struct al_run *r);

/**
 * Checks a Slack webhook URL before anything runs: https, or http to a
 * loopback host. The message never carries the URL (a secret). Borrows url.
 * @return 0 or -1 (AL_ERR_USAGE).
 */
int al_notify_check_webhook(const char *url);

#endif
