/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local site: every regular file under site-dir as an S3 key with its
 * size, SHA-256, Content-Type, Cache-Control and entry-file flag; its MD5 is
 * read later, only for the files that need one (most of a redeploy's files
 * are compared by SHA-256 alone). Nothing outside site-dir is ever read: a symlink is
 * followed only when its target stays inside; anything else stops the scan
 * (AL_ERR_USAGE, exit 2) before a single request is made.
 *
 * The scan has two halves: the walk (names, links, excludes, sizes, types:
 * everything that can refuse the site) and the hashing, which reads every
 * file. A deploy walks before its first request and hashes in a worker thread
 * meanwhile (al_site_hash_begin, al_site_hash_end).
 */
#ifndef AL_DEPLOY_SITE_H
#define AL_DEPLOY_SITE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "deploy/cache_rules.h"
#include "util/hash.h"
#include "util/str.h"

#define AL_SITE_MAX_FILES 1000000u
#define AL_SITE_MAX_KEY 1024u

struct al_site_file {
    char *key; /* prefix + relative path, '/' separators, UTF-8; the local path is al_site_path */
    uint64_t size;
    /* Packed for a site of 100,000 files: MD5 as bytes, the flags here. */
    uint8_t md5[AL_MD5_LEN]; /* valid when have_md5 (al_site_md5) */
    char sha256_hex[AL_SHA256_HEX_LEN + 1];
    bool entry;                /* uploaded in phase B */
    bool have_md5;             /* the MD5 is read only for a file sent or compared with an ETag */
    const char *content_type;  /* static */
    const char *cache_control; /* borrowed from the rules or static */
};

struct al_site_hasher; /* the hashing worker, private to site.c */

struct al_site {
    struct al_site_file *files; /* sorted by key (byte order) */
    size_t len, cap;
    uint64_t total_bytes;
    const char *dir;   /* site-dir, borrowed from the scan's options */
    size_t prefix_len; /* bytes of each key before the relative path */
    /* While set, the worker owns every sha256_hex and files may not change. Owned. */
    struct al_site_hasher *hasher;
    uint64_t hash_ms; /* how long the hashing took */
};

struct al_site_opts {
    const char *dir;                    /* site-dir */
    const char *prefix;                 /* key prefix, may be NULL or "" */
    const struct al_strv *exclude;      /* globs, may be NULL */
    const struct al_cache_rules *cache; /* may be NULL for the defaults */
};

/** Initialises an empty site. Pair with al_site_clean_up. */
void al_site_init(struct al_site *s);

/** Stops and joins a hashing worker, then frees every file. NULL-safe. */
void al_site_clean_up(struct al_site *s);

/**
 * Walks, validates, hashes and classifies the files: al_site_walk, then
 * al_site_hash. On failure s holds what was read so far and must still be
 * cleaned up. Borrows opts (the rules must outlive s). @return 0 or -1.
 */
int al_site_scan(const struct al_site_opts *opts, struct al_site *s);

/**
 * The scan without the hashing: walks, validates and classifies the files,
 * sizes from stat. Reads no file content, so it is cheap enough to run before
 * any request, and it is what refuses a bad site. Borrows opts as
 * al_site_scan. @return 0 or -1.
 */
int al_site_walk(const struct al_site_opts *opts, struct al_site *s);

/**
 * Fills every file's SHA-256 in s (walked, borrowed), reusing one buffer and
 * digest context. Fails when a file cannot be read or no longer has its walked
 * size. @return 0 or -1.
 */
int al_site_hash(struct al_site *s);

/**
 * al_site_hash in a worker thread, which borrows s: s must stay where it
 * is, and the caller must neither read the hashes nor change s, until
 * al_site_hash_end or al_site_clean_up joins it (the worker raises errors
 * into its own, thread-local, record). Hashes in the caller's thread when no
 * thread can be started. @return 0 or -1 (only then nothing runs).
 */
int al_site_hash_begin(struct al_site *s);

/**
 * Joins the worker of al_site_hash_begin and raises its failure (the same
 * message and code as al_site_hash's). 0 when no worker runs. @return 0 or -1.
 */
int al_site_hash_end(struct al_site *s);

/**
 * The local path of f (site-dir + '/' + its relative path) into out, which
 * holds PATH_MAX bytes. @return 0, or -1 when it does not fit (raised).
 */
int al_site_path(const struct al_site *s, const struct al_site_file *f, char out[PATH_MAX]);

/**
 * Reads f's MD5 (for Content-MD5, or to compare with a listed ETag) unless
 * already known; fails when the file no longer has its scanned size.
 * @return 0 or -1.
 */
int al_site_md5(const struct al_site *s, struct al_site_file *f);

/** Binary search by key. @return the file or NULL. Borrowed. */
const struct al_site_file *al_site_find(const struct al_site *s, const char *key);

#endif
