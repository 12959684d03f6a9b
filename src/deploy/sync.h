/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The site sync beyond steps.h: the remote state a release store can give
 * (so no listing is needed), and read access to what the sync scanned, for
 * the release manifest.
 *
 * Remote state, and what "unchanged" means:
 * - From the previous release (al_step_site_with): a key is unchanged when
 *   the release recorded the same size and SHA-256 (and, when it recorded
 *   them, the same Content-Type and Cache-Control: a changed rule uploads
 *   the file again). No request is made. Keys the release does not list are
 *   not deleted, and objects changed behind airlock's back are not seen:
 *   pass a release only when it describes the bucket as it is (the current
 *   release after a completed deploy, not one followed by a failed deploy
 *   that left uploads behind).
 * - Otherwise ListObjectsV2 under the prefix: unchanged = same size and
 *   either the same MD5 as a single-part ETag, or, for an ETag of the
 *   multipart form ("<hex>-N"), the same x-amz-meta-sha256 read by one
 *   HeadObject (only objects of the same size with such an ETag are read;
 *   airlock uploads only files at or above multipart-threshold that way).
 *   Metadata is not compared (it would cost one HeadObject per object).
 *   Objects whose ETag is not an MD5 (SSE-KMS, SSE-C) are uploaded again.
 */
#ifndef AL_DEPLOY_SYNC_H
#define AL_DEPLOY_SYNC_H

#include <stddef.h>

#include "deploy/release_manifest.h"
#include "deploy/site.h"
#include "deploy/steps.h"

/** What the previous release recorded of the site. All borrowed for the call. */
struct al_sync_remote {
    const char *bucket; /* where those files went; another bucket or prefix => listing instead */
    const char *prefix; /* as recorded (NULL or "" = the bucket's root) */
    const struct al_release_file *files; /* full S3 keys (prefix included) */
    size_t n_files;
};

/**
 * al_step_site with the remote state taken from remote (NULL: list the
 * bucket, as al_step_site does). @return 0 or -1; *out as al_step_site.
 */
int al_step_site_with(struct al_run *r, const struct al_sync_remote *remote, struct al_sync **out);

/**
 * The local half of the step, for the pipeline to run before the identity:
 * validates the site options that name no stack output (exclude,
 * cache-control, multipart-threshold) and walks site-dir, then starts
 * hashing the files in a worker thread. Makes no request, so a bad site (a
 * symlink out of it, a bad name) stops the run before anything is touched
 * (AL_ERR_USAGE: exit 2). An unreadable file is found by the hashing: see
 * al_sync_hash_wait. *out is set even on failure; caller frees with
 * al_sync_free (which stops and joins the worker).
 * @return 0 or -1
 */
int al_sync_scan(struct al_run *r, struct al_sync **out);

/**
 * Waits for al_sync_scan's hashing (the requests before it run meanwhile);
 * on failure (a file unreadable or changed since the walk) records a failed
 * "Site" row and keeps the hashing's error. al_sync_apply waits too when the
 * caller did not. Borrows s. Makes no request. @return 0 or -1
 */
int al_sync_hash_wait(struct al_run *r, struct al_sync *s);

/**
 * The rest of al_step_site_with for a sync that al_sync_scan made: resolves
 * bucket, prefix and release-store (stack outputs are known by now), reads
 * the remote state, plans, and runs phases A and B (or, dry-run, prints the
 * plan). Records the "Site" step. Borrows remote for the call.
 * @return 0 or -1
 */
int al_sync_apply(struct al_run *r, struct al_sync *s, const struct al_sync_remote *remote);

/** The scanned site (keys, sizes, hashes, types), for the release manifest. Borrowed from s. */
const struct al_site *al_sync_site(const struct al_sync *s);

/** The bucket the site went to. Borrowed from s. */
const char *al_sync_bucket(const struct al_sync *s);

/** The key prefix ("" or ending in '/'). Borrowed from s. */
const char *al_sync_prefix(const struct al_sync *s);

#endif
