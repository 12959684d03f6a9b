/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release store (DESIGN.md section 8): a private S3 location, by default
 * the CDK bootstrap bucket under airlock/<environment>/, holding
 *   releases/<version>.json   what each release is made of
 *   packs/<name>              the site files a release added, one after another
 *                             (deploy/release_pack.h)
 *   blobs/<sha256>            each template, and each large site file, once
 *   current.json              the live version and the one before it
 *   live.json                 a copy of the live release's manifest
 *   lock.json                 the deploy lock (run URL, expiry)
 */
#ifndef AL_DEPLOY_RELEASE_STORE_H
#define AL_DEPLOY_RELEASE_STORE_H

#include <stdbool.h>
#include <time.h>

#include "aws/s3.h"
#include "deploy/release_manifest.h"
#include "deploy/run.h"

#define AL_STORE_PREFIX_MAX 512

struct al_release_store {
    char bucket[64];
    char prefix[AL_STORE_PREFIX_MAX]; /* "" or ending with '/' */
};

struct al_release_lock {
    bool held;
    bool took_over;            /* a stale lock was taken over: its run may have died mid-deploy */
    char token[33];            /* random; recorded in lock.json for the people reading it */
    char etag[AL_S3_ETAG_MAX]; /* of our lock.json: unlocking deletes only that object */
};

/**
 * Parses "s3://bucket[/prefix]" into s (validating the bucket name and the
 * prefix: no '..' segment, no control characters). @return 0 or -1 (AL_ERR_USAGE).
 */
int al_store_parse(const char *url, struct al_release_store *s);

/**
 * The store of this run: the release-store option, or the CDK bootstrap
 * bucket of the run's account and region under airlock/<environment>/.
 * Refuses a store inside the served site (bucket and prefix of the site).
 * Needs the identity (account, region). @return 0 or -1.
 */
int al_store_locate(const struct al_run *r, struct al_release_store *s);

/**
 * Takes the deploy lock: creates lock.json with If-None-Match: *. A held lock
 * younger than its expiry fails with AL_ERR_LOCK (exit 4) naming the holder's
 * run URL; an expired one is taken over with a warning. @return 0 or -1.
 */
int al_store_lock(struct al_run *r, const struct al_release_store *s, struct al_release_lock *l);

/** Releases the lock if this run holds it (a lock taken over by another run is left). */
void al_store_unlock(struct al_run *r, const struct al_release_store *s, struct al_release_lock *l);

/** Reads current.json; *found false when there is none yet. Caller cleans up c. @return 0 or -1. */
int al_store_get_current(struct al_run *r,
                         const struct al_release_store *s,
                         struct al_release_current *c,
                         bool *found);

/**
 * Records rel in one round trip: releases/<version>.json, the same bytes as
 * live.json (the copy al_store_get_live reads), current.json (c, whose
 * record names rel's) and the first page of releases/ for retention: *listed
 * says whether names (appended to, owned by the caller) holds every
 * recorded version (a failed or multi-page listing leaves that to
 * al_store_prune). @return 0, or -1 when the manifest or current.json was
 * not written (either may have been).
 */
int al_store_record(struct al_run *r,
                    const struct al_release_store *s,
                    const struct al_release *rel,
                    const struct al_release_current *c,
                    struct al_strv *names,
                    bool *listed);

/**
 * Reads current.json and the live release's manifest in one round trip,
 * from live.json when current.json names its record, else (a store written
 * before live.json, a rollback, a half-written record) from
 * releases/<version>.json. *have_current false when there is no
 * current.json; *have_live false when the live record is missing. Caller
 * cleans up c and live (initialised). @return 0 or -1.
 */
int al_store_get_live(struct al_run *r,
                      const struct al_release_store *s,
                      struct al_release_current *c,
                      bool *have_current,
                      struct al_release *live,
                      bool *have_live);

/** Writes current.json. @return 0 or -1. */
int al_store_put_current(struct al_run *r,
                         const struct al_release_store *s,
                         const struct al_release_current *c);

/**
 * Reads releases/<version>.json (validated). *found false when absent. r_out
 * must be initialised; the caller cleans it up. @return 0 or -1.
 */
int al_store_get_release(struct al_run *r,
                         const struct al_release_store *s,
                         const char *version,
                         struct al_release *out,
                         bool *found);

/**
 * Lists recorded versions with their manifests' times, newest first (at most
 * max; 0 = all). versions is appended to. @return 0 or -1.
 */
int al_store_list_releases(struct al_run *r,
                           const struct al_release_store *s,
                           size_t max,
                           struct al_strv *versions);

/** Stores text (a template) as blobs/<sha256> unless present; fills sha_hex. @return 0 or -1. */
int al_store_put_blob(struct al_run *r,
                      const struct al_release_store *s,
                      const char *data,
                      size_t n,
                      char sha_hex[AL_SHA256_HEX_LEN + 1]);

/** Reads blobs/<sha256> into out (capped). @return 0 or -1. */
int al_store_get_blob(struct al_run *r,
                      const struct al_release_store *s,
                      const char *sha_hex,
                      struct al_buf *out);

/**
 * Keeps the newest `keep` manifests (and the live and previous versions),
 * deletes the rest and every blob and pack no kept manifest references. listed: the
 * recorded versions when al_store_record read them (borrowed),
 * or NULL to list them here. @return 0 or -1.
 */
int al_store_prune(struct al_run *r,
                   const struct al_release_store *s,
                   size_t keep,
                   const struct al_release_current *cur,
                   const struct al_strv *listed);

#endif
