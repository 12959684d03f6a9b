/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the release store keeps site content. The files a release adds are
 * written together into one object, packs/<name> (their bytes one after
 * another; the name is 32 random hex digits), uploaded from the runner
 * alongside the site's own uploads and checked against the scanned SHA-256
 * as it is written: a first deploy of 2,000 files costs one more request,
 * not 2,000 server-side copies. Each manifest line locates its file (pack
 * and offset); a restore copies that range back server-side. Empty files
 * and files above AL_PACK_MEMBER_MAX are copied server-side into
 * blobs/<sha256> instead (sending a large file's bytes twice would double
 * its upload), as are all files of releases recorded before packs existed.
 */
#ifndef AL_DEPLOY_RELEASE_PACK_H
#define AL_DEPLOY_RELEASE_PACK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/s3.h"
#include "util/hash.h"

#include "deploy/release_manifest.h"
#include "deploy/release_store.h"
#include "deploy/run.h"

/* Larger files are copied into blobs/ from the site bucket rather than sent twice. */
#define AL_PACK_MEMBER_MAX ((uint64_t)16 << 20)

/** What a pack job stored. */
struct al_pack_saved {
    size_t packed;         /* distinct contents written into the pack */
    uint64_t packed_bytes; /* the pack's size */
    size_t copied;         /* large files copied into blobs/ */
};

/*
 * Storing a release's site: staged before the site sync (the pack is built
 * and its upload queued, so it travels with the sync's uploads), finished
 * when the release is recorded. Zero it; pair with al_pack_job_clean_up.
 */
struct al_pack_job {
    bool staged;
    /* Where each file of the scanned site is stored (site_locs, packs; site borrowed). */
    struct al_release draft;
    const struct al_site_file **large; /* copied into blobs/ when finished */
    size_t n_large;
    struct al_pack_saved saved;
    char name[AL_PACK_NAME_LEN + 1];
    char tmp[PATH_MAX]; /* the pack's bytes; "" when none */
    char key[AL_STORE_PREFIX_MAX + 80];
    char sha_hex[AL_SHA256_HEX_LEN + 1];
    struct al_s3_call q; /* the queued PutObject (a pack above 64 MiB goes multipart, at finish) */
    struct al_http_response resp;
    bool queued, in_flight;
};

/**
 * Decides where each file of site goes: content the live release holds
 * (live: trusted to describe the store, or NULL) keeps its location; the
 * rest goes into a new pack, each distinct content once, its bytes re-read
 * from site-dir and checked against the scanned SHA-256, or, when large,
 * into blobs/. Writes the pack to a temporary file and queues its upload on
 * the run's engine (it runs with the next calls). Borrows site and live
 * until clean-up. @return 0 or -1.
 */
int al_pack_stage(struct al_run *r,
                  const struct al_release_store *s,
                  const struct al_site *site,
                  const struct al_release *live,
                  struct al_pack_job *job);

/**
 * Waits for the pack's upload and copies the large files from site_bucket
 * (where the sync put them) into blobs/. @return 0 or -1.
 */
int al_pack_finish(struct al_run *r,
                   const struct al_release_store *s,
                   const char *site_bucket,
                   struct al_pack_job *job);

/** Lets a queued upload end, removes the temporary file, frees the job. NULL-safe. */
void al_pack_job_clean_up(struct al_run *r, struct al_pack_job *job);

/**
 * Writes files[0..n-1] (borrowed) into bucket under their keys with their
 * content type, cache control and SHA-256, all server-side: a packed file by
 * a multipart upload whose one part is copied from its range of the pack
 * (UploadPartCopy; a failed round aborts its uploads), the others by
 * CopyObject from blobs/. files is reordered. @return 0 or -1.
 */
int al_pack_restore(struct al_run *r,
                    const struct al_release_store *s,
                    const char *bucket,
                    const struct al_release_file **files,
                    size_t n);

#endif
