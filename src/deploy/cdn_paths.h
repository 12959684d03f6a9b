/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which CloudFront paths to invalidate for a set of changed S3 keys: pure
 * logic, no I/O.
 *
 * Keys map to URL paths 1:1 ("/" + the key, encoded as CloudFront expects):
 * the distribution is assumed to serve the bucket from its root, so a
 * `prefix` option is part of every key and of every path. An "index.html"
 * also invalidates its directory ("/" for the root one, "/dir/" for
 * "dir/index.html"), the URL a default root object or a directory-index
 * function serves it under.
 *
 * Within invalidation-max-paths the exact paths are sent. Beyond it, paths
 * are collapsed greedily into directory wildcards (the path "/assets/" + "*"), at most
 * AL_CDN_MAX_WILDCARDS of them (CloudFront's in-progress wildcard limit),
 * until the batch fits; if it cannot fit, the plan is the root wildcard.
 */
#ifndef AL_DEPLOY_CDN_PATHS_H
#define AL_DEPLOY_CDN_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/str.h"

/* CloudFront's limits (InvalidationLimits): file paths and wildcard paths in progress. */
#define AL_CDN_MAX_PATHS 3000u
#define AL_CDN_MAX_WILDCARDS 15u

/** A planned invalidation batch. */
struct al_cdn_plan {
    struct al_strv paths; /* encoded, sorted (wildcards among them); owned */
    size_t changed;       /* distinct paths before collapsing */
    size_t wildcards;     /* wildcard paths in paths (the root wildcard included) */
    bool all;             /* the plan is the root wildcard, "/" + "*" */
    char reason[192];     /* why the paths were collapsed, "" when they were not */
};

/** Initialises an empty plan. Pair with al_cdn_plan_clean_up. */
void al_cdn_plan_init(struct al_cdn_plan *p);

/** Frees the paths. NULL-safe. */
void al_cdn_plan_clean_up(struct al_cdn_plan *p);

/**
 * Plans the batch for keys (borrowed). all: invalidate everything whatever
 * changed. max_paths: invalidation-max-paths (clamped to 1..3000). No key
 * and !all gives an empty plan. Fills the caller's initialised plan.
 * @return 0 or -1 (AL_ERR_NOMEM / AL_ERR_LIMIT)
 */
int al_cdn_plan_paths(const struct al_strv *keys,
                      bool all,
                      size_t max_paths,
                      struct al_cdn_plan *out);

/**
 * Appends "/" + key with the bytes CloudFront wants encoded (controls,
 * non-ASCII, RFC 1738's unsafe characters, '?' and '*' so a key's own '*'
 * is never a wildcard) as %XX; every other byte as is. Borrows key.
 * @return 0 or -1.
 */
int al_cdn_path_encode(struct al_buf *out, const char *key);

#endif
