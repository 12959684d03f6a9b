/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/pipeline.h"

#include <stdio.h>
#include <string.h>

#include "deploy/identity.h"
#include "deploy/steps.h"
#include "util/clock.h"
#include "util/log.h"

static const char *s_status_word(enum al_step_status s)
{
    static const char *const words[] = {
        [AL_STEP_OK] = "ok",           [AL_STEP_NO_CHANGE] = "no change",
        [AL_STEP_PLANNED] = "planned", [AL_STEP_SKIPPED] = "skipped",
        [AL_STEP_FAILED] = "failed",
    };
    return words[s];
}

/* Runs one step that only reports failure: records a failed row if the step did not. */
static int s_identity(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file)
{
    struct al_step_record *s = al_run_step_begin(r, "Identity");
    if (al_identity_init(r, cfg, ca_file)) {
        al_run_step_end(r, s, AL_STEP_FAILED, "%s", al_error_last()->msg);
        return -1;
    }
    al_run_step_end(r, s, AL_STEP_OK, "account %s, %s", r->account, r->region);
    return 0;
}

int al_pipeline_deploy(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file)
{
    struct al_sync *sync = NULL;
    struct al_strv keys;
    int rc = -1;

    al_strv_init(&keys);
    if (s_identity(r, cfg, ca_file) || al_step_alarms_precheck(r))
        goto cleanup;
    if (al_opts_get(r->opts, AL_OPT_ASSEMBLY) && al_step_stacks(r))
        goto cleanup;
    if (al_opts_get(r->opts, AL_OPT_SITE_DIR)) {
        const struct al_strv *changed, *stale;
        if (al_step_site(r, &sync))
            goto cleanup;
        changed = al_sync_changed_keys(sync);
        stale = al_sync_stale_keys(sync);
        for (size_t i = 0; changed && i < changed->len; i++)
            if (al_strv_push(&keys, changed->items[i]))
                goto cleanup;
        for (size_t i = 0; stale && i < stale->len; i++)
            if (al_strv_push(&keys, stale->items[i]))
                goto cleanup;
    }
    if (!r->dry_run) {
        if (al_step_cdn(r, &keys) || al_step_verify(r))
            goto cleanup;
        /* Stale keys go only once the new release is verified. */
        if (sync && al_sync_finish(r, sync))
            goto cleanup;
    }
    if (!r->status && al_run_set_status(r, r->dry_run ? "planned" : "deployed"))
        goto cleanup;
    rc = 0;
cleanup:
    if (rc && !r->status)
        al_run_set_status(r, "failed");
    al_sync_free(sync);
    al_strv_clean_up(&keys);
    return rc;
}

static const char *s_status_mark(const char *status)
{
    if (!status || strcmp(status, "failed") == 0)
        return "\xE2\x9D\x8C"; /* cross mark */
    if (strcmp(status, "rolled-back") == 0)
        return "\xE2\x86\xA9\xEF\xB8\x8F"; /* leftwards arrow with hook */
    if (strcmp(status, "planned") == 0)
        return "\xF0\x9F\x93\x9D"; /* memo */
    return "\xE2\x9C\x85";         /* check mark */
}

int al_pipeline_report(struct al_run *r, int rc, struct al_summary *out)
{
    char secs[32];
    const char *version = r->info.version ? r->info.version : "";
    struct al_buf cell;
    uint64_t ms = al_clock_mono_ms() - r->started_ms;
    int ret = -1;

    al_buf_init(&cell, 8192);
    if (!r->status)
        al_run_set_status(r, rc ? "failed" : "deployed");
    snprintf(secs, sizeof(secs), "%llu", (unsigned long long)((ms + 500) / 1000));
    if (al_outputs_set(r->outputs, "status", r->status) ||
        al_outputs_set(r->outputs, "version", version) ||
        al_outputs_set(r->outputs, "duration-seconds", secs) ||
        (r->previous_version &&
         al_outputs_set(r->outputs, "previous-version", r->previous_version)))
        goto cleanup;

    if (al_summary_escape(&cell, version))
        goto cleanup;
    if (al_summary_add(out,
                       "## %s airlock %s: %s `%s`\n\n",
                       s_status_mark(r->status),
                       r->info.command ? r->info.command : "",
                       r->status,
                       al_buf_str(&cell)))
        goto cleanup;
    al_buf_reset(&cell);
    if (r->info.environment && al_summary_escape(&cell, r->info.environment))
        goto cleanup;
    if (al_summary_add(out,
                       "Environment **%s**, account `%s`, region `%s`, %s s.\n\n",
                       al_buf_str(&cell),
                       r->account[0] ? r->account : "?",
                       r->region[0] ? r->region : "?",
                       secs))
        goto cleanup;
    if (rc) {
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, al_error_last()->msg) ||
            al_summary_add(out, "> **Error:** %s\n\n", al_buf_str(&cell)))
            goto cleanup;
    }
    if (al_summary_add(out, "| step | result | time | detail |\n|---|---|---:|---|\n"))
        goto cleanup;
    for (size_t i = 0; i < r->n_steps; i++) {
        const struct al_step_record *s = &r->steps[i];
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, s->detail) || al_summary_add(out,
                                                                  "| %s | %s | %.1f s | %s |\n",
                                                                  s->name,
                                                                  s_status_word(s->status),
                                                                  (double)s->ms / 1000.0,
                                                                  al_buf_str(&cell)))
            goto cleanup;
    }
    if (al_summary_add(out, "\n%s", al_buf_str(&r->summary.md)))
        goto cleanup;
    if (r->previous_version && strcmp(r->info.command ? r->info.command : "", "deploy") == 0) {
        al_buf_reset(&cell);
        if (al_summary_escape(&cell, r->previous_version) ||
            al_summary_add(out,
                           "\n### Roll back\n\nRun the rollback workflow with version `%s` "
                           "and confirmation `rollback`, or:\n\n```\nairlock rollback "
                           "--version %s --confirmation rollback\n```\n",
                           al_buf_str(&cell),
                           r->previous_version))
            goto cleanup;
    }
    ret = 0;
cleanup:
    al_buf_clean_up(&cell);
    return ret;
}
