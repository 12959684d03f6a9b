/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/pipeline.h"

#include <stdio.h>
#include <string.h>

#include "deploy/identity.h"
#include "deploy/release.h"
#include "deploy/stacks.h"
#include "deploy/sync.h"
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

/* Whether the deploy changed anything: a stack updated, or a site file uploaded or deleted. */
static bool s_changed_anything(const struct al_run *r)
{
    const char *up = al_outputs_get(r->outputs, "files-uploaded");
    const char *del = al_outputs_get(r->outputs, "files-deleted");
    for (size_t i = 0; i < r->n_steps; i++)
        if (strcmp(r->steps[i].name, "Stacks") == 0 && r->steps[i].status == AL_STEP_OK)
            return true;
    return (up && strcmp(up, "0") != 0) || (del && strcmp(del, "0") != 0);
}

/* dst borrows src's strings: both lists live until the end of the command. */
static int s_push_all(struct al_strv *dst, const struct al_strv *src)
{
    for (size_t i = 0; src && i < src->len; i++)
        if (al_strv_push_ref(dst, src->items[i]))
            return -1;
    return 0;
}

/*
 * After a failed verification or a failed step that changed something: put
 * the live release back (stacks, then site keys by server-side copy), then
 * invalidate, verify it, and delete what the failed release added.
 */
static int s_auto_rollback(struct al_run *r, struct al_release_ctx *rel, const struct al_sync *sync)
{
    struct al_release from;
    struct al_restore_plan plan;
    struct al_restore_stats stats;
    struct al_strv keys;
    struct al_step_record *step;
    const char *failed_version = r->info.version;
    char cause[AL_ERR_MSG_MAX];
    int rc = -1;

    snprintf(cause, sizeof(cause), "%s", al_error_last()->msg);
    al_release_init(&from);
    al_restore_plan_init(&plan);
    al_strv_init(&keys);
    al_log_warning(
      "release %s failed (%s); restoring %s", failed_version, cause, rel->live.version);
    step = al_run_step_begin(r, "Auto-rollback");
    if (sync && al_release_site_from_sync(sync, &from))
        goto cleanup;
    if (al_release_restore(r, rel, &rel->live, sync ? &from : NULL, &plan, &stats) ||
        s_push_all(&keys, &plan.changed) || s_push_all(&keys, &plan.stale))
        goto cleanup;
    /* Verification now checks the release being restored. */
    r->info.version = rel->live.version;
    if (al_step_cdn(r, &keys) || al_step_verify(r) || al_restore_finish(r, &plan, &stats))
        goto cleanup;
    rc = 0;
cleanup:
    r->info.version = failed_version;
    if (rc) {
        al_run_step_end(r,
                        step,
                        AL_STEP_FAILED,
                        "restore of %s failed: %s",
                        rel->live.version,
                        al_error_last()->msg);
        al_raise_context("release %s failed (%s), and the automatic rollback to %s also failed",
                         failed_version,
                         cause,
                         rel->live.version);
    } else {
        al_run_step_end(r,
                        step,
                        AL_STEP_OK,
                        "restored %s: %zu files copied, %zu deleted, %zu stacks",
                        rel->live.version,
                        stats.copied,
                        stats.deleted,
                        stats.stacks_restored);
        al_run_set_status(r, "rolled-back");
        /* The run still failed: exit 1 with the original cause. */
        al_raise(AL_ERR_DEPLOY,
                 "release %s failed and was rolled back to %s: %s",
                 failed_version,
                 rel->live.version,
                 cause);
    }
    al_release_clean_up(&from);
    al_restore_plan_clean_up(&plan);
    al_strv_clean_up(&keys);
    return -1;
}

int al_pipeline_deploy(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file)
{
    struct al_release_ctx rel;
    struct al_sync *sync = NULL;
    struct al_strv keys;
    bool changed = false, locked = false;
    int rc = -1;

    al_strv_init(&keys);
    al_release_ctx_init(&rel);
    /*
     * A bad site (a symlink out of it, a bad name) stops the run before any
     * request. The files are hashed in a worker meanwhile: the identity, the
     * prechecks and the lock's requests overlap it.
     */
    if (al_opts_get(r->opts, AL_OPT_SITE_DIR) && al_sync_scan(r, &sync))
        goto cleanup;
    /* The alarm precheck only reads: it comes before the lock, so a stop there touches nothing. */
    if (s_identity(r, cfg, ca_file) || al_step_alarms_precheck(r))
        goto cleanup;
    /* The assembly's refusals (missing context, docker assets, old bootstrap) also come first. */
    if (al_opts_get(r->opts, AL_OPT_ASSEMBLY) && al_stacks_precheck(r))
        goto cleanup;
    if (!r->dry_run) {
        struct al_step_record *s = al_run_step_begin(r, "Lock");
        if (al_release_begin(r, &rel)) {
            al_run_step_end(r, s, AL_STEP_FAILED, "%s", al_error_last()->msg);
            goto cleanup;
        }
        locked = true;
        if (rel.have_current && al_str_set(&r->previous_version, rel.current.version))
            goto cleanup;
        al_run_step_end(r,
                        s,
                        AL_STEP_OK,
                        "s3://%s/%s; live release %s",
                        rel.store.bucket,
                        rel.store.prefix,
                        rel.have_current ? rel.current.version : "(none)");
    }
    /* Before anything changes: an unreadable file stops the run here, the lock released. */
    if (sync && al_sync_hash_wait(r, sync))
        goto cleanup;
    changed = true;
    if (al_opts_get(r->opts, AL_OPT_ASSEMBLY) && al_step_stacks(r))
        goto fail;
    if (al_opts_get(r->opts, AL_OPT_SITE_DIR)) {
        struct al_sync_remote remote;
        const struct al_sync_remote *rp = NULL;
        if (al_release_live_trusted(&rel) && rel.live.bucket) {
            remote.bucket = rel.live.bucket;
            remote.prefix = rel.live.prefix;
            remote.files = rel.live.files;
            remote.n_files = rel.live.n_files;
            rp = &remote;
        }
        /* The store's copy of the new content uploads alongside the site's. */
        if (!r->dry_run && al_release_stage_site(r, &rel, sync))
            goto fail;
        if (al_sync_apply(r, sync, rp))
            goto fail;
        if (s_push_all(&keys, al_sync_changed_keys(sync)) ||
            s_push_all(&keys, al_sync_stale_keys(sync)))
            goto cleanup;
    }
    if (!r->dry_run) {
        if (al_step_cdn(r, &keys) || al_step_verify(r))
            goto fail;
        /* Stale keys go only once the new release is verified. */
        if (sync && al_sync_finish(r, sync)) {
            /* The new release is live, unrecorded: the old record no longer describes it. */
            al_release_mark_dirty(r, &rel);
            goto cleanup;
        }
        if (al_release_commit(r, &rel, sync))
            goto cleanup;
    }
    if (al_run_set_status(r,
                          r->dry_run              ? "planned"
                          : s_changed_anything(r) ? "deployed"
                                                  : "no-change"))
        goto cleanup;
    rc = 0;
    goto cleanup;
fail:
    if (changed && locked && rel.have_live && al_opts_bool(r->opts, AL_OPT_AUTO_ROLLBACK))
        s_auto_rollback(r, &rel, sync);
    /* Unless the live release is back in place, its record no longer describes the bucket. */
    if (locked && (!r->status || strcmp(r->status, "rolled-back") != 0))
        al_release_mark_dirty(r, &rel);
cleanup:
    if (rc && !r->status)
        al_run_set_status(r, "failed");
    if (locked)
        al_release_end(r, &rel);
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
    if (r->previous_version && strcmp(r->info.command ? r->info.command : "", "deploy") == 0 &&
        (strcmp(r->status, "deployed") == 0 || strcmp(r->status, "no-change") == 0)) {
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

int al_pipeline_rollback(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file)
{
    struct al_release_ctx rel;
    struct al_release target;
    struct al_restore_plan plan;
    struct al_restore_stats stats;
    struct al_strv keys, newest;
    struct al_step_record *step;
    bool found = false, locked = false, touched = false;
    int rc = -1;

    al_release_ctx_init(&rel);
    al_release_init(&target);
    al_restore_plan_init(&plan);
    al_strv_init(&keys);
    al_strv_init(&newest);
    memset(&stats, 0, sizeof(stats));
    if (s_identity(r, cfg, ca_file))
        goto cleanup;
    step = al_run_step_begin(r, "Release");
    if (al_store_locate(r, &rel.store) ||
        al_store_get_release(r, &rel.store, r->info.version, &target, &found)) {
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
        goto cleanup;
    }
    if (!found) {
        struct al_buf list;
        al_buf_init(&list, 4096);
        if (al_store_list_releases(r, &rel.store, 5, &newest) == 0)
            for (size_t i = 0; i < newest.len; i++)
                al_buf_printf(&list, "%s%s", i ? ", " : "", newest.items[i]);
        al_raise(AL_ERR_USAGE,
                 "release '%s' is not recorded in s3://%s/%s; the newest releases are: %s",
                 r->info.version,
                 rel.store.bucket,
                 rel.store.prefix,
                 list.len ? al_buf_str(&list) : "(none)");
        al_buf_clean_up(&list);
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
        goto cleanup;
    }
    /* ${stack:...} references (bucket, distribution, health URL) read the restored outputs. */
    for (size_t i = 0; i < target.n_stacks; i++) {
        const char *key;
        json_t *v;
        json_object_foreach(target.stacks[i].outputs, key, v)
        {
            if (al_run_add_stack_output(r, target.stacks[i].name, key, json_string_value(v)))
                goto cleanup;
        }
    }
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "release %s of %s by %s",
                    target.version,
                    target.run_url ? target.run_url : "an unknown run",
                    target.actor ? target.actor : "an unknown actor");
    if (r->dry_run) {
        al_log_info("dry run: would restore %s (%zu files, %zu stacks)",
                    target.version,
                    target.n_files,
                    target.n_stacks);
        rc = al_run_set_status(r, "planned");
        goto cleanup;
    }
    step = al_run_step_begin(r, "Lock");
    if (al_release_begin(r, &rel)) {
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
        goto cleanup;
    }
    locked = true;
    if (rel.have_current && al_str_set(&r->previous_version, rel.current.version))
        goto cleanup;
    al_run_step_end(
      r, step, AL_STEP_OK, "live release %s", rel.have_current ? rel.current.version : "(none)");
    step = al_run_step_begin(r, "Restore");
    touched = true;
    /* An untrusted live record (dirty, or a crashed run's lock taken over) may not
     * describe the bucket: then every file is copied and stale keys come from a listing. */
    if (al_release_restore(
          r, &rel, &target, al_release_live_trusted(&rel) ? &rel.live : NULL, &plan, &stats) ||
        s_push_all(&keys, &plan.changed) || s_push_all(&keys, &plan.stale)) {
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
        goto cleanup;
    }
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "%zu files copied from the store, %zu stacks restored",
                    stats.copied,
                    stats.stacks_restored);
    if (al_step_cdn(r, &keys) || al_step_verify(r))
        goto cleanup;
    step = al_run_step_begin(r, "Commit");
    if (al_restore_finish(r, &plan, &stats) || al_release_mark_current(r, &rel, target.version)) {
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
        goto cleanup;
    }
    touched = false;
    al_run_step_end(r,
                    step,
                    AL_STEP_OK,
                    "%zu stale files deleted; current release is %s",
                    stats.deleted,
                    target.version);
    {
        char n[32];
        snprintf(n, sizeof(n), "%zu", stats.copied);
        if (al_outputs_set(r->outputs, "files-uploaded", "0") ||
            al_outputs_set(r->outputs, "files-copied", n) ||
            al_outputs_set(r->outputs, "release-id", target.version))
            goto cleanup;
        snprintf(n, sizeof(n), "%zu", stats.deleted);
        if (al_outputs_set(r->outputs, "files-deleted", n))
            goto cleanup;
    }
    rc = al_run_set_status(r, "restored");
cleanup:
    if (rc && !r->status)
        al_run_set_status(r, "failed");
    /* A restore that stopped half-way left the bucket unlike the live record. */
    if (rc && touched)
        al_release_mark_dirty(r, &rel);
    if (locked)
        al_release_end(r, &rel);
    al_release_clean_up(&target);
    al_restore_plan_clean_up(&plan);
    al_strv_clean_up(&keys);
    al_strv_clean_up(&newest);
    return rc;
}

int al_pipeline_releases(struct al_run *r,
                         const struct al_creds_config *cfg,
                         const char *ca_file,
                         FILE *out)
{
    struct al_release_store store;
    struct al_release_current cur;
    struct al_strv versions;
    json_t *arr = json_array();
    bool have_cur = false;
    char *text = NULL;
    int rc = -1;

    al_strv_init(&versions);
    memset(&cur, 0, sizeof(cur));
    if (s_identity(r, cfg, ca_file) || al_store_locate(r, &store) ||
        al_store_get_current(r, &store, &cur, &have_cur) ||
        al_store_list_releases(r, &store, 100, &versions))
        goto cleanup;
    fprintf(out, "%-2s %-40s %-20s %-20s %s\n", "", "VERSION", "TIME", "ACTOR", "STATUS");
    for (size_t i = 0; i < versions.len; i++) {
        struct al_release rel;
        bool found = false;
        char t[21] = "";
        bool live = have_cur && strcmp(cur.version, versions.items[i]) == 0;
        al_release_init(&rel);
        if (al_store_get_release(r, &store, versions.items[i], &rel, &found) == 0 && found) {
            al_clock_iso8601(rel.time, t);
            fprintf(out,
                    "%-2s %-40s %-20s %-20.20s %s\n",
                    live ? "*" : "",
                    rel.version,
                    t,
                    rel.actor ? rel.actor : "-",
                    live ? "live" : (rel.status ? rel.status : "-"));
            json_array_append_new(arr,
                                  json_pack("{s:s, s:s, s:s?, s:s?, s:b}",
                                            "version",
                                            rel.version,
                                            "time",
                                            t,
                                            "actor",
                                            rel.actor,
                                            "status",
                                            rel.status,
                                            "current",
                                            live));
        }
        al_release_clean_up(&rel);
    }
    text = json_dumps(arr, JSON_COMPACT);
    if (!text || al_outputs_set(r->outputs, "releases", text))
        goto cleanup;
    rc = al_run_set_status(r, "listed");
cleanup:
    free(text);
    json_decref(arr);
    al_release_current_clean_up(&cur);
    al_strv_clean_up(&versions);
    return rc;
}
