/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The option set: every action input, CLI flag and config key, in one table.
 * Values arrive in layers (defaults < config file < event payload < action
 * inputs < CLI flags); al_opts_validate then checks and parses every value
 * before any network call, naming the field, where it came from and what is
 * allowed.
 */
#ifndef AL_DEPLOY_OPTIONS_H
#define AL_DEPLOY_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/str.h"

enum al_opt_id {
    AL_OPT_COMMAND,
    AL_OPT_VERSION,
    AL_OPT_CONFIRMATION,
    AL_OPT_CONFIG,
    AL_OPT_ENVIRONMENT,
    AL_OPT_DRY_RUN,
    AL_OPT_AWS_REGION,
    AL_OPT_ROLE_TO_ASSUME,
    AL_OPT_ROLE_SESSION_NAME,
    AL_OPT_AUDIENCE,
    AL_OPT_AWS_ACCESS_KEY_ID,
    AL_OPT_AWS_SECRET_ACCESS_KEY,
    AL_OPT_AWS_SESSION_TOKEN,
    AL_OPT_ENDPOINT_URL,
    AL_OPT_MAX_ATTEMPTS,
    AL_OPT_ACCOUNT_ID,
    AL_OPT_ASSEMBLY,
    AL_OPT_STACKS,
    AL_OPT_EXCLUSIVELY,
    AL_OPT_SITE_DIR,
    AL_OPT_BUCKET,
    AL_OPT_PREFIX,
    AL_OPT_EXCLUDE,
    AL_OPT_CACHE_CONTROL,
    AL_OPT_MAX_CONCURRENCY,
    AL_OPT_MULTIPART_THRESHOLD,
    AL_OPT_DISTRIBUTION_ID,
    AL_OPT_INVALIDATE,
    AL_OPT_INVALIDATION_MAX_PATHS,
    AL_OPT_WAIT_FOR_INVALIDATION,
    AL_OPT_INVALIDATION_TIMEOUT,
    AL_OPT_HEALTH_URL,
    AL_OPT_HEALTH_EXPECT_STATUS,
    AL_OPT_HEALTH_EXPECT_BODY,
    AL_OPT_HEALTH_EXPECT_JSON,
    AL_OPT_HEALTH_EXPECT_VERSION,
    AL_OPT_HEALTH_ATTEMPTS,
    AL_OPT_HEALTH_INTERVAL,
    AL_OPT_ALARMS,
    AL_OPT_ALARM_WATCH_SECONDS,
    AL_OPT_IGNORE_EXISTING_ALARMS,
    AL_OPT_RELEASE_STORE,
    AL_OPT_KEEP_RELEASES,
    AL_OPT_AUTO_ROLLBACK,
    AL_OPT_LOCK_TTL,
    AL_OPT_SLACK_WEBHOOK_URL,
    AL_OPT_NOTIFY_REQUIRED,
    AL_OPT_COUNT
};

enum al_opt_type {
    AL_OT_STRING,
    AL_OT_BOOL,
    AL_OT_UINT, /* decimal, within [min, max] */
    AL_OT_SIZE, /* bytes, optional K/M/G or KiB/MiB/GiB suffix */
    AL_OT_ENUM, /* one of a '|'-separated list */
    AL_OT_LIST, /* comma- or newline-separated */
    AL_OT_LINES /* newline-separated rules, kept as text */
};

/* Commands an option applies to (a bit set). */
enum {
    AL_CMD_DEPLOY = 1,
    AL_CMD_ROLLBACK = 2,
    AL_CMD_PLAN = 4,
    AL_CMD_RELEASES = 8,
    AL_CMD_ALL = 15,
};

/* Where a value came from, weakest first. */
enum al_opt_source {
    AL_SRC_UNSET,
    AL_SRC_DEFAULT,
    AL_SRC_CONFIG,
    AL_SRC_EVENT,
    AL_SRC_INPUT,
    AL_SRC_FLAG,
};

struct al_opt_def {
    const char *name;  /* input name == flag name == config key */
    const char *group; /* what, identity, stacks, site, cdn, verify, release, notify */
    enum al_opt_type type;
    const char *deflt;  /* default value text, NULL when none */
    const char *values; /* AL_OT_ENUM: "a|b|c" */
    uint64_t min, max;  /* AL_OT_UINT / AL_OT_SIZE */
    unsigned commands;  /* AL_CMD_* bits */
    bool secret;        /* masked, never printed */
    bool config_only;   /* not an action input or flag (e.g. accountId) */
    const char *help;   /* one sentence; the action.yml description */
};

/** The table, AL_OPT_COUNT entries. Static storage. */
const struct al_opt_def *al_opt_defs(void);

/** Looks an option up by name; -1 when unknown. */
int al_opt_find(const char *name);

/** One layer of raw values (owned strings), e.g. all action inputs. */
struct al_opt_layer {
    enum al_opt_source source;
    char *val[AL_OPT_COUNT];
    char
      *where[AL_OPT_COUNT]; /* "input dry-run", "flag --bucket", "config f.json: deploy.bucket" */
};

/** Initialises an empty layer. Pair with al_opt_layer_clean_up. */
void al_opt_layer_init(struct al_opt_layer *l, enum al_opt_source source);

/** Frees every value. NULL-safe. */
void al_opt_layer_clean_up(struct al_opt_layer *l);

/** Sets a value (copied) with its origin text (copied). @return 0 or -1. */
int al_opt_layer_set(struct al_opt_layer *l,
                     enum al_opt_id id,
                     const char *value,
                     const char *where);

/** The merged, validated options. */
struct al_opts {
    char *val[AL_OPT_COUNT]; /* owned; NULL when unset */
    enum al_opt_source src[AL_OPT_COUNT];
    char *where[AL_OPT_COUNT];
    uint64_t num[AL_OPT_COUNT];        /* parsed AL_OT_UINT / AL_OT_SIZE / AL_OT_BOOL values */
    struct al_strv list[AL_OPT_COUNT]; /* parsed AL_OT_LIST values */
};

/** Initialises empty options. Pair with al_opts_clean_up. */
void al_opts_init(struct al_opts *o);

/** Frees everything. NULL-safe. */
void al_opts_clean_up(struct al_opts *o);

/**
 * Merges a layer over the current values: a non-empty value of the layer
 * replaces the current one. Borrows the layer. @return 0 or -1.
 */
int al_opts_merge(struct al_opts *o, const struct al_opt_layer *l);

/** Applies the table's defaults to unset options. @return 0 or -1. */
int al_opts_apply_defaults(struct al_opts *o);

/**
 * Checks every set value against its type and parses numbers, booleans and
 * lists. On a bad value raises AL_ERR_USAGE naming the field, where it came
 * from, the value (unless secret) and what is allowed. @return 0 or -1.
 */
int al_opts_validate(struct al_opts *o);

/** The value or NULL. Borrowed. */
const char *al_opts_get(const struct al_opts *o, enum al_opt_id id);

/** Parsed boolean (false when unset). */
bool al_opts_bool(const struct al_opts *o, enum al_opt_id id);

/** Parsed number (0 when unset). */
uint64_t al_opts_uint(const struct al_opts *o, enum al_opt_id id);

/** Parsed list (empty when unset). Borrowed. */
const struct al_strv *al_opts_list(const struct al_opts *o, enum al_opt_id id);

/**
 * Parses a boolean as the Actions toolkit does: only true|True|TRUE|false|
 * False|FALSE. @return 0 and *out, or -1 without raising.
 */
int al_opt_parse_bool(const char *s, bool *out);

/** Parses a command name into its AL_CMD_* bit; 0 when unknown. */
unsigned al_opt_command_bit(const char *name);

#endif
