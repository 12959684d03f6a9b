/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release store's records, as JSON: releases/<version>.json (what a
 * release is made of: stacks and site files, by content hash), current.json
 * and lock.json. The store is read back on rollback, so every record is
 * treated as untrusted: sizes capped, every field type-checked, keys and
 * hashes validated before use.
 */
#ifndef AL_DEPLOY_RELEASE_MANIFEST_H
#define AL_DEPLOY_RELEASE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "deploy/site.h"
#include "util/hash.h"
#include "util/str.h"

#define AL_RELEASE_SCHEMA 1
#define AL_RELEASE_MAX_BYTES (256u * 1024u * 1024u)
#define AL_VERSION_MAX 128

/*
 * Where the store holds a file's bytes: at byte `at` of packs/<pack> (size
 * bytes), or, when pack is NULL, in blobs/<sha256>.
 */
struct al_release_loc {
    const char *pack; /* in the release's packs (al_release_intern_pack), or NULL */
    uint64_t at;
};

struct al_release_file {
    char *key;
    char sha256[AL_SHA256_HEX_LEN + 1];
    uint64_t size;
    const char *content_type;  /* in the release's strings (al_release_intern) */
    const char *cache_control; /* in the release's strings (al_release_intern) */
    struct al_release_loc loc;
};

struct al_release_stack {
    char *name;
    char template_sha256[AL_SHA256_HEX_LEN + 1]; /* blobs/<sha256> */
    json_t *parameters;                          /* object of strings; owned */
    json_t *outputs;                             /* object of strings; owned */
    char *deploy_role_arn;                       /* the role it was deployed with, or NULL */
    char *region;                                /* or NULL: the run's region */
};

/* A record id: 32 lower-case hex digits, random, tying current.json to live.json. */
#define AL_RECORD_ID_LEN 32

struct al_release {
    char *version, *commit, *actor, *run_url, *environment, *status, *previous;
    char record[AL_RECORD_ID_LEN + 1]; /* "" for records written before record ids */
    time_t time;
    struct al_release_stack *stacks;
    size_t n_stacks;
    char *bucket, *prefix; /* site; bucket NULL when the release has no site */
    struct al_release_file *files;
    size_t n_files;
    /* A release being recorded: its files are this scanned site's (borrowed), not files[]. */
    const struct al_site *site;
    struct al_release_loc *site_locs; /* with site: where each of its files is stored (owned) */
    /* The distinct content types and cache controls files[] point to (sorted, owned). */
    struct al_strv strings;
    struct al_strv packs; /* the distinct packs the locations name (sorted, owned) */
};

/* A pack's name: 32 lower-case hex digits (random). */
#define AL_PACK_NAME_LEN AL_RECORD_ID_LEN

/* Distinct content types and cache controls a release may hold (a site has a few dozen). */
#define AL_RELEASE_MAX_STRINGS 4096u
/* One line of the streamed layout: a file entry, or the header with every stack. */
#define AL_RELEASE_MAX_LINE (16u * 1024u * 1024u)

/**
 * True when s is a release version airlock accepts anywhere:
 * ^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$ (tags and commit SHAs; nothing a shell
 * or a path could misread).
 */
bool al_release_version_valid(const char *s);

/** Initialises an empty release. Pair with al_release_clean_up. */
void al_release_init(struct al_release *r);

/** Frees every field (not site). NULL-safe. */
void al_release_clean_up(struct al_release *r);

/**
 * r's copy of s, shared by every file with the same value: 100,000 files
 * hold a few dozen distinct content types and cache controls. @return the
 * copy (owned by r) or NULL (raised; over AL_RELEASE_MAX_STRINGS too).
 */
const char *al_release_intern(struct al_release *r, const char *s);

/** How many site files r has (its site's when set). */
size_t al_release_n_files(const struct al_release *r);

/**
 * The copy of name (a valid pack name) the release keeps, for a file's
 * location. @return borrowed from r, or NULL (raised: AL_ERR_PARSE for a bad
 * name, AL_ERR_NOMEM).
 */
const char *al_release_intern_pack(struct al_release *r, const char *name);

/** True when name is a pack name or record id (32 lower-case hex digits). */
bool al_release_id_valid(const char *name);

/**
 * Writes r as one JSON document to out, streamed: the header on the first
 * line, then one line per site file, so memory stays flat however many files
 * the release has. Borrows r and out. @return 0 or -1 (raised).
 */
int al_release_write(const struct al_release *r, FILE *out);

/**
 * Serialises r (al_release_write into memory). @return a new JSON text
 * (caller frees with free()) or NULL (raised).
 */
char *al_release_to_json(const struct al_release *r);

/**
 * Parses and validates a manifest read from the store (name is used in
 * messages). Raises AL_ERR_PARSE naming the field on anything malformed.
 * r must be initialised; it is cleaned up by the caller also on failure.
 * @return 0 or -1.
 */
int al_release_from_json(const char *text, size_t n, const char *name, struct al_release *r);

/**
 * Reads a manifest from f (name is used in messages), validated as
 * al_release_from_json does. The layout al_release_write makes is read line
 * by line, so neither the text nor a JSON tree of 100,000 files is ever held;
 * any other layout (written by hand or by an older airlock) is read whole, up
 * to AL_RELEASE_MAX_BYTES. r must be initialised; it is cleaned up by the
 * caller also on failure. @return 0 or -1.
 */
int al_release_read(FILE *f, const char *name, struct al_release *r);

/** current.json: the live version and the one before it. */
struct al_release_current {
    char *version, *previous;
    time_t time;
    bool dirty; /* a failed deploy changed the site after `version` went live */
    /* The record of `version` that live.json holds a copy of ("" = none). */
    char record[AL_RECORD_ID_LEN + 1];
};

/** Serialises current.json. @return a new string (caller frees) or NULL. */
char *al_release_current_to_json(const struct al_release_current *c);

/** Parses current.json (validated). Caller frees fields with al_release_current_clean_up. */
int al_release_current_from_json(const char *text,
                                 size_t n,
                                 const char *name,
                                 struct al_release_current *c);

/** Frees the fields. NULL-safe. */
void al_release_current_clean_up(struct al_release_current *c);

#endif
