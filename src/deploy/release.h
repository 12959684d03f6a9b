/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Releases in the pipeline: the lock around a deploy or rollback, the record
 * a verified deploy leaves, and the restore of a recorded release (stacks
 * through change sets from their stored templates, site keys by server-side
 * copy from the store's packs and blobs, in the deploy's A/B order, stale
 * keys deleted only after verification).
 */
#ifndef AL_DEPLOY_RELEASE_H
#define AL_DEPLOY_RELEASE_H

#include <stdbool.h>

#include "deploy/release_pack.h"
#include "deploy/release_store.h"
#include "deploy/run.h"

struct al_sync;

struct al_release_ctx {
    struct al_release_store store;
    struct al_release_lock lock;
    struct al_release_current current; /* valid when have_current */
    bool have_current;
    struct al_release live; /* the live release's manifest, when have_live */
    bool have_live;
    struct al_pack_job pack; /* the new release's site content, staged before the sync */
};

/** Zeroes c (caller storage). Pair with al_release_end. */
void al_release_ctx_init(struct al_release_ctx *c);

/**
 * Locates the store, takes the lock (exit 4 when held), and reads the live
 * release. Needs the identity. @return 0 or -1.
 */
int al_release_begin(struct al_run *r, struct al_release_ctx *c);

/**
 * True when the live release's record describes the bucket: no failed deploy
 * left changes behind (current.json not dirty) and no run died holding the
 * lock. Otherwise the sync must list the bucket.
 */
bool al_release_live_trusted(const struct al_release_ctx *c);

/**
 * Stages the store's copy of the scanned site (al_pack_stage): call after
 * al_release_begin and before the site sync, so the pack uploads alongside
 * it. Borrows sync's site until al_release_end. @return 0 or -1.
 */
int al_release_stage_site(struct al_run *r, struct al_release_ctx *c, const struct al_sync *sync);

/** Marks current.json dirty after a failed deploy that changed the site. Best effort. */
void al_release_mark_dirty(struct al_run *r, struct al_release_ctx *c);

/** Releases the lock (if held) and frees c. Keeps the current error record. */
void al_release_end(struct al_run *r, struct al_release_ctx *c);

/**
 * Records a verified deploy: site files from the sync (or the live release's
 * when the deploy had no site), stack templates (stored as blobs) with
 * parameters and outputs, the site's new content (the pack staged by
 * al_release_stage_site; large files copied server-side into blobs/), then
 * the manifest, live.json and current.json in one round trip, then
 * retention. @return 0 or -1.
 */
int al_release_commit(struct al_run *r, struct al_release_ctx *c, const struct al_sync *sync);

/** What al_release_restore did. */
struct al_restore_stats {
    size_t copied, deleted, stacks_restored;
};

/** The keys a restore will delete after verification (owned by the caller). */
struct al_restore_plan {
    struct al_strv changed; /* keys copied (for the invalidation) */
    struct al_strv stale;   /* keys to delete once verified */
    char *bucket;
};

void al_restore_plan_init(struct al_restore_plan *p);
void al_restore_plan_clean_up(struct al_restore_plan *p);

/**
 * Restores target's stacks and site: stacks whose deployed template differs,
 * then every site key whose content differs from `from` (NULL: from a listing
 * of the bucket) copied from its pack or blob with its recorded Content-Type and
 * Cache-Control, non-entry files first, entry files last. Keys to delete are
 * left in plan->stale for al_restore_finish. @return 0 or -1.
 */
int al_release_restore(struct al_run *r,
                       struct al_release_ctx *c,
                       const struct al_release *target,
                       const struct al_release *from,
                       struct al_restore_plan *plan,
                       struct al_restore_stats *stats);

/** Deletes plan->stale (after verification). @return 0 or -1. */
int al_restore_finish(struct al_run *r,
                      const struct al_restore_plan *plan,
                      struct al_restore_stats *stats);

/**
 * Writes current.json after a restore: version = target, previous = what was
 * live. @return 0 or -1.
 */
int al_release_mark_current(struct al_run *r, struct al_release_ctx *c, const char *version);

/** Builds the site part of a release from a sync (for the restore's `from`). @return 0 or -1. */
int al_release_site_from_sync(const struct al_sync *sync, struct al_release *out);

#endif
