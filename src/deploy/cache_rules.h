/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which files are entry files (uploaded last, never cached) and which
 * Cache-Control each key gets: ordered 'glob=value' rules from the config,
 * first match wins, then the defaults: entry files "no-cache", fingerprinted
 * names "public, max-age=31536000, immutable", everything else
 * "public, max-age=300".
 */
#ifndef AL_DEPLOY_CACHE_RULES_H
#define AL_DEPLOY_CACHE_RULES_H

#include <stdbool.h>

#include "util/str.h"

#define AL_CACHE_NO_CACHE "no-cache"
#define AL_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define AL_CACHE_SHORT "public, max-age=300"

struct al_cache_rules {
    struct al_strv globs;
    struct al_strv values;
};

/** Initialises empty rules. Pair with al_cache_rules_clean_up. */
void al_cache_rules_init(struct al_cache_rules *r);

/** Frees them. NULL-safe. */
void al_cache_rules_clean_up(struct al_cache_rules *r);

/**
 * Parses 'glob=value' lines (blank lines skipped). A line without '=', an
 * empty glob or value, or a value with control characters raises
 * AL_ERR_USAGE naming the line. @return 0 or -1.
 */
int al_cache_rules_parse(struct al_cache_rules *r, const char *text);

/**
 * True when key matches glob: '*' does not cross '/', '**' does, '?' one
 * character; a glob without '/' matches the base name anywhere.
 */
bool al_glob_match(const char *glob, const char *key);

/**
 * Refuses (AL_ERR_USAGE, naming `what`) a glob that can never match a site
 * key: empty, starting with '/', with a '.' or '..' segment, more than two
 * '*' in a row, a control character or invalid UTF-8. @return 0 or -1.
 */
int al_glob_check(const char *glob, const char *what);

/** True for entry files: *.html, *.htm, *.webmanifest, manifest.json, service workers. */
bool al_site_is_entry(const char *key);

/**
 * True when the file name carries a content hash: a '.'- or '-'-separated
 * segment after the first of 8+ hex characters with a digit, or of 8+
 * base64url characters mixing at least two upper-case letters or digits
 * with lower-case ones (Vite's "index-DiwrgTda.js", webpack's
 * "main.3f2a9c1b.js").
 */
bool al_site_is_fingerprinted(const char *key);

/** The Cache-Control for key. Borrowed (rules' storage or a static string). */
const char *al_cache_rules_pick(const struct al_cache_rules *r, const char *key);

#endif
