/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "aws/s3.h"
#include "deploy/cache_rules.h"
#include "deploy/release_pack.h"
#include "deploy/stacks.h"
#include "deploy/sync.h"
#include "util/clock.h"
#include "util/log.h"

#define AL_TEMPLATE_MAX ((size_t)1 << 20)

void al_release_ctx_init(struct al_release_ctx *c)
{
    memset(c, 0, sizeof(*c));
    al_release_init(&c->live);
}

int al_release_begin(struct al_run *r, struct al_release_ctx *c)
{
    if (al_store_locate(r, &c->store) || al_store_lock(r, &c->store, &c->lock))
        return -1;
    al_log_info("release store: s3://%s/%s (lock taken)", c->store.bucket, c->store.prefix);
    if (al_store_get_live(r, &c->store, &c->current, &c->have_current, &c->live, &c->have_live))
        return -1;
    if (c->have_current && !c->have_live)
        al_log_warning("current.json names %s, whose record is missing", c->current.version);
    return 0;
}

bool al_release_live_trusted(const struct al_release_ctx *c)
{
    return c->have_live && !c->current.dirty && !c->lock.took_over;
}

void al_release_mark_dirty(struct al_run *r, struct al_release_ctx *c)
{
    struct al_error saved = *al_error_last();
    if (c->have_current) {
        c->current.dirty = true;
        if (al_store_put_current(r, &c->store, &c->current))
            al_log_warning("could not mark current.json dirty: %s", al_error_last()->msg);
    }
    *al_error_mut() = saved;
}

int al_release_stage_site(struct al_run *r, struct al_release_ctx *c, const struct al_sync *sync)
{
    const struct al_site *site = al_sync_site(sync);
    if (!site)
        return 0;
    return al_pack_stage(
      r, &c->store, site, al_release_live_trusted(c) ? &c->live : NULL, &c->pack);
}

void al_release_end(struct al_run *r, struct al_release_ctx *c)
{
    al_pack_job_clean_up(r, &c->pack);
    al_store_unlock(r, &c->store, &c->lock);
    al_release_current_clean_up(&c->current);
    al_release_clean_up(&c->live);
    memset(c, 0, sizeof(*c));
}

static int s_copy_site_files(const struct al_release_file *src, size_t n, struct al_release *out)
{
    if (!(out->files = calloc(n + 1, sizeof(*out->files))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct al_release_file *f = &out->files[out->n_files++];
        memcpy(f->sha256, src[i].sha256, sizeof(f->sha256));
        f->size = src[i].size;
        f->loc.at = src[i].loc.at;
        if (!(f->key = al_strdup(src[i].key)) ||
            !(f->content_type = al_release_intern(out, src[i].content_type)) ||
            !(f->cache_control = al_release_intern(out, src[i].cache_control)) ||
            (src[i].loc.pack && !(f->loc.pack = al_release_intern_pack(out, src[i].loc.pack))))
            return -1;
    }
    return 0;
}

int al_release_site_from_sync(const struct al_sync *sync, struct al_release *out)
{
    const struct al_site *site = al_sync_site(sync);
    const char *prefix = al_sync_prefix(sync);
    if (!site)
        return 0;
    if (al_str_set(&out->bucket, al_sync_bucket(sync)) ||
        al_str_set(&out->prefix, prefix ? prefix : ""))
        return -1;
    if (!(out->files = calloc(site->len + 1, sizeof(*out->files))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < site->len; i++) {
        const struct al_site_file *sf = &site->files[i];
        struct al_release_file *f = &out->files[out->n_files++];
        memcpy(f->sha256, sf->sha256_hex, sizeof(f->sha256));
        f->size = sf->size;
        if (!(f->key = al_strdup(sf->key)) ||
            !(f->content_type = al_release_intern(out, sf->content_type)) ||
            !(f->cache_control = al_release_intern(out, sf->cache_control)))
            return -1;
    }
    return 0;
}

/* Records every deployed stack of the assembly: template blob, parameters, outputs. */
static int s_record_stacks(struct al_run *r, struct al_release_ctx *c, struct al_release *rel)
{
    struct al_stack_targets t;
    int rc = -1;
    memset(&t, 0, sizeof(t));
    if (al_stacks_targets(r, &t))
        goto cleanup;
    if (!(rel->stacks = calloc(t.n + 1, sizeof(*rel->stacks)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < t.n; i++) {
        struct al_stack_state st;
        struct al_release_stack *rs = &rel->stacks[rel->n_stacks];
        int bad;
        if (al_stacks_describe(r, &t.items[i], &st)) {
            al_stack_state_clean_up(&st);
            goto cleanup;
        }
        rel->n_stacks++;
        bad = al_store_put_blob(
                r, &c->store, st.template_body, strlen(st.template_body), rs->template_sha256) ||
              !(rs->name = al_strdup(st.name)) ||
              al_str_set(&rs->deploy_role_arn, t.items[i].deploy_role_arn) ||
              al_str_set(&rs->region, t.items[i].region);
        if (!bad) {
            rs->parameters = json_incref(st.parameters ? st.parameters : json_object());
            rs->outputs = json_incref(st.outputs ? st.outputs : json_object());
        }
        al_stack_state_clean_up(&st);
        if (bad)
            goto cleanup;
    }
    rc = 0;
cleanup:
    al_stack_targets_clean_up(&t);
    return rc;
}

/* Carries the live release's stacks into a release that did not deploy any. */
static int s_carry_stacks(const struct al_release *live, struct al_release *rel)
{
    if (!(rel->stacks = calloc(live->n_stacks + 1, sizeof(*rel->stacks))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < live->n_stacks; i++) {
        const struct al_release_stack *src = &live->stacks[i];
        struct al_release_stack *d = &rel->stacks[rel->n_stacks++];
        memcpy(d->template_sha256, src->template_sha256, sizeof(d->template_sha256));
        d->parameters = json_incref(src->parameters);
        d->outputs = json_incref(src->outputs);
        if (!(d->name = al_strdup(src->name)) ||
            al_str_set(&d->deploy_role_arn, src->deploy_role_arn) ||
            al_str_set(&d->region, src->region))
            return -1;
    }
    return 0;
}

int al_release_commit(struct al_run *r, struct al_release_ctx *c, const struct al_sync *sync)
{
    struct al_release rel;
    struct al_release_current cur;
    struct al_step_record *step = al_run_step_begin(r, "Release");
    struct al_strv listed;
    bool current_written = false, have_listed = false;
    uint8_t rnd[AL_RECORD_ID_LEN / 2];
    int rc = -1;

    al_release_init(&rel);
    al_strv_init(&listed);
    memset(&cur, 0, sizeof(cur));
    rel.time = al_clock_now();
    if (al_str_set(&rel.version, r->info.version) || al_str_set(&rel.commit, r->info.commit) ||
        al_str_set(&rel.actor, r->info.actor) || al_str_set(&rel.run_url, r->info.run_url) ||
        al_str_set(&rel.environment, r->info.environment) || al_str_set(&rel.status, "deployed") ||
        (c->have_current && al_str_set(&rel.previous, c->current.version)))
        goto cleanup;
    if (al_opts_get(r->opts, AL_OPT_ASSEMBLY)) {
        if (s_record_stacks(r, c, &rel))
            goto cleanup;
    } else if (c->have_live && s_carry_stacks(&c->live, &rel)) {
        goto cleanup;
    }
    if (sync && al_sync_site(sync)) {
        const char *prefix = al_sync_prefix(sync);
        /* The scanned site itself, not a copy: 100,000 files would double its memory. */
        rel.site = al_sync_site(sync);
        if (al_str_set(&rel.bucket, al_sync_bucket(sync)) ||
            al_str_set(&rel.prefix, prefix ? prefix : "") ||
            /* The pipeline stages before the sync; a caller that did not, stages here. */
            (!c->pack.staged && al_release_stage_site(r, c, sync)) ||
            al_pack_finish(r, &c->store, rel.bucket, &c->pack))
            goto cleanup;
        /* The locations move into the record. */
        rel.site_locs = c->pack.draft.site_locs;
        rel.packs = c->pack.draft.packs;
        c->pack.draft.site_locs = NULL;
        al_strv_init(&c->pack.draft.packs);
    } else if (c->have_live && c->live.bucket) {
        /* Carried over: its blobs are the live release's, already stored. */
        if (al_str_set(&rel.bucket, c->live.bucket) || al_str_set(&rel.prefix, c->live.prefix) ||
            s_copy_site_files(c->live.files, c->live.n_files, &rel))
            goto cleanup;
    }
    /* A new id ties current.json to this record's copy in live.json. */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        al_raise(AL_ERR_INTERNAL, "no random bytes for a record id");
        goto cleanup;
    }
    al_hex(rnd, sizeof(rnd), rel.record);
    memcpy(cur.record, rel.record, sizeof(cur.record));
    /* Re-deploying the live version keeps the record of what came before it. */
    cur.version = rel.version;
    cur.previous = c->have_current && strcmp(c->current.version, rel.version) != 0
                     ? c->current.version
                     : (c->have_current ? c->current.previous : NULL);
    cur.time = rel.time;
    if (al_store_record(r, &c->store, &rel, &cur, &listed, &have_listed))
        goto cleanup;
    current_written = true;
    if (cur.previous && al_str_set(&r->previous_version, cur.previous))
        goto cleanup;
    if (al_outputs_set(r->outputs, "release-id", rel.version))
        goto cleanup;
    if (al_store_prune(r,
                       &c->store,
                       (size_t)al_opts_uint(r->opts, AL_OPT_KEEP_RELEASES),
                       &cur,
                       have_listed ? &listed : NULL))
        al_log_warning("release retention failed (the release is recorded): %s",
                       al_error_last()->msg);
    rc = 0;
cleanup:
    /* The site may already be the new release: the old record no longer describes it. */
    if (rc && !current_written)
        al_release_mark_dirty(r, c);
    if (rc)
        al_run_step_end(r, step, AL_STEP_FAILED, "%s", al_error_last()->msg);
    else
        al_run_step_end(r,
                        step,
                        AL_STEP_OK,
                        "release %s recorded: %zu files, %zu stacks; stored %zu new files",
                        rel.version,
                        al_release_n_files(&rel),
                        rel.n_stacks,
                        c->pack.saved.packed + c->pack.saved.copied);
    al_release_clean_up(&rel);
    al_strv_clean_up(&listed);
    return rc;
}

void al_restore_plan_init(struct al_restore_plan *p)
{
    memset(p, 0, sizeof(*p));
    al_strv_init(&p->changed);
    al_strv_init(&p->stale);
}

void al_restore_plan_clean_up(struct al_restore_plan *p)
{
    if (!p)
        return;
    al_strv_clean_up(&p->changed);
    al_strv_clean_up(&p->stale);
    free(p->bucket);
    al_restore_plan_init(p);
}

/* Restores every stack of target whose deployed template differs from the recorded one. */
static int s_restore_stacks(struct al_run *r,
                            struct al_release_ctx *c,
                            const struct al_release *target,
                            struct al_restore_stats *stats)
{
    struct al_buf tmpl;
    int rc = -1;
    al_buf_init(&tmpl, AL_TEMPLATE_MAX);
    for (size_t i = 0; i < target->n_stacks; i++) {
        const struct al_release_stack *st = &target->stacks[i];
        struct al_stack_ref ref = { st->name, st->region, st->deploy_role_arn, NULL };
        struct al_stack_state now;
        struct al_stack_restore spec;
        struct al_stack_result res;
        uint8_t d[AL_SHA256_LEN];
        char hex[AL_SHA256_HEX_LEN + 1] = "";
        int failed;
        /* A stack that is gone, or whose template differs, is restored. */
        if (al_stacks_describe(r, &ref, &now) == 0 && now.template_body &&
            al_sha256(now.template_body, strlen(now.template_body), d) == 0)
            al_hex(d, AL_SHA256_LEN, hex);
        al_stack_state_clean_up(&now);
        al_error_clear();
        if (strcmp(hex, st->template_sha256) == 0) {
            al_log_info("stack %s: already at the template of %s", st->name, target->version);
            continue;
        }
        al_buf_reset(&tmpl);
        if (al_store_get_blob(r, &c->store, st->template_sha256, &tmpl))
            goto cleanup;
        memset(&spec, 0, sizeof(spec));
        spec.ref = ref;
        spec.template_body = tmpl.data;
        spec.parameters = st->parameters;
        failed = al_stacks_restore(r, &spec, &res);
        al_stack_result_clean_up(&res);
        if (failed)
            goto cleanup;
        stats->stacks_restored++;
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&tmpl);
    return rc;
}

/* A release's files by key, sorted, for lookups in O(log n): sites have 100,000 files. */
struct s_file_index {
    const struct al_release_file **items;
    size_t n;
};

static int s_cmp_file_key(const void *a, const void *b)
{
    const struct al_release_file *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

static int s_index_files(const struct al_release *rel, struct s_file_index *out)
{
    out->n = 0;
    if (!(out->items = calloc(rel->n_files + 1, sizeof(*out->items))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < rel->n_files; i++)
        out->items[out->n++] = &rel->files[i];
    if (out->n > 1)
        qsort(out->items, out->n, sizeof(*out->items), s_cmp_file_key);
    return 0;
}

static const struct al_release_file *s_find_file(const struct s_file_index *idx, const char *key)
{
    struct al_release_file probe;
    const struct al_release_file *p = &probe;
    const struct al_release_file *const *hit;
    if (!idx->n)
        return NULL;
    probe.key = (char *)key;
    hit = bsearch(&p, idx->items, idx->n, sizeof(*idx->items), s_cmp_file_key);
    return hit ? *hit : NULL;
}

int al_release_restore(struct al_run *r,
                       struct al_release_ctx *c,
                       const struct al_release *target,
                       const struct al_release *from,
                       struct al_restore_plan *plan,
                       struct al_restore_stats *stats)
{
    const struct al_release_file **phase_a = NULL, **phase_b = NULL;
    size_t na = 0, nb = 0;
    struct al_s3_listing list;
    struct s_file_index in_target = { NULL, 0 }, in_from = { NULL, 0 };
    int rc = -1;

    al_s3_listing_init(&list);
    memset(stats, 0, sizeof(*stats));
    if (s_restore_stacks(r, c, target, stats))
        goto cleanup;
    if (!target->bucket) {
        rc = 0;
        goto cleanup;
    }
    if (al_str_set(&plan->bucket, target->bucket))
        goto cleanup;
    phase_a = calloc(target->n_files + 1, sizeof(*phase_a));
    phase_b = calloc(target->n_files + 1, sizeof(*phase_b));
    if (!phase_a || !phase_b) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (s_index_files(target, &in_target) || (from && s_index_files(from, &in_from)))
        goto cleanup;
    for (size_t i = 0; i < target->n_files; i++) {
        const struct al_release_file *f = &target->files[i];
        const struct al_release_file *was = s_find_file(&in_from, f->key);
        if (was && strcmp(was->sha256, f->sha256) == 0 &&
            al_streq(was->content_type, f->content_type) &&
            al_streq(was->cache_control, f->cache_control))
            continue;
        if (al_strv_push(&plan->changed, f->key))
            goto cleanup;
        if (al_site_is_entry(f->key))
            phase_b[nb++] = f;
        else
            phase_a[na++] = f;
    }
    /* Keys the target does not have: from the live record, or from a listing. */
    if (from && from->bucket && strcmp(from->bucket, target->bucket) == 0) {
        for (size_t i = 0; i < from->n_files; i++)
            if (!s_find_file(&in_target, from->files[i].key) &&
                al_strv_push(&plan->stale, from->files[i].key))
                goto cleanup;
    } else {
        if (al_s3_list_objects(r->aws, target->bucket, target->prefix, &list))
            goto cleanup;
        for (size_t i = 0; i < list.len; i++)
            if (!s_find_file(&in_target, list.items[i].key) &&
                al_strv_push(&plan->stale, list.items[i].key))
                goto cleanup;
    }
    al_log_info("restore %s: %zu files to copy (%zu assets, then %zu entry files), %zu to delete "
                "after verification",
                target->version,
                na + nb,
                na,
                nb,
                plan->stale.len);
    /* Assets first, entry files last: a page never points at a missing asset. */
    if (al_pack_restore(r, &c->store, target->bucket, phase_a, na) ||
        al_pack_restore(r, &c->store, target->bucket, phase_b, nb))
        goto cleanup;
    stats->copied = na + nb;
    rc = 0;
cleanup:
    free(phase_a);
    free(phase_b);
    free(in_target.items);
    free(in_from.items);
    al_s3_listing_clean_up(&list);
    return rc;
}

int al_restore_finish(struct al_run *r,
                      const struct al_restore_plan *plan,
                      struct al_restore_stats *stats)
{
    for (size_t i = 0; i < plan->stale.len; i += AL_S3_DELETE_BATCH) {
        size_t n = plan->stale.len - i;
        struct al_s3_delete_result res;
        int rc;
        if (n > AL_S3_DELETE_BATCH)
            n = AL_S3_DELETE_BATCH;
        al_s3_delete_result_init(&res);
        rc = al_s3_delete_objects(
          r->aws, plan->bucket, (const char *const *)plan->stale.items + i, n, &res);
        if (rc == 0 && res.n_errors)
            rc = al_raise(
              AL_ERR_AWS, "could not delete %s: %s", res.errors[0].key, res.errors[0].code);
        if (rc == 0)
            stats->deleted += n;
        al_s3_delete_result_clean_up(&res);
        if (rc)
            return -1;
    }
    return 0;
}

int al_release_mark_current(struct al_run *r, struct al_release_ctx *c, const char *version)
{
    struct al_release_current cur;
    memset(&cur, 0, sizeof(cur));
    cur.version = (char *)version;
    cur.previous = c->have_current ? c->current.version : NULL;
    cur.time = al_clock_now();
    if (cur.previous && strcmp(cur.previous, version) == 0)
        cur.previous = c->current.previous;
    if (cur.previous && al_str_set(&r->previous_version, cur.previous))
        return -1;
    return al_store_put_current(r, &c->store, &cur);
}
