/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config file: JSON or YAML (chosen by content), one representation.
 * Top-level keys `environment`, `region` and `accountId` (as in the app's
 * production.json) and a `deploy` object whose keys are input names feed the
 * option set; every other top-level key is the app's own and is ignored.
 */
#ifndef AL_DEPLOY_CONFIG_H
#define AL_DEPLOY_CONFIG_H

#include <jansson.h>

#include "deploy/options.h"

#define AL_CONFIG_MAX_BYTES (10u * 1024u * 1024u)

struct al_config {
    char *path;   /* owned */
    json_t *root; /* owned reference */
};

/**
 * Reads and parses the file. Syntax errors raise AL_ERR_CONFIG with
 * "path:line:column: reason". Caller cleans up with al_config_clean_up
 * (also on failure). @return 0 or -1.
 */
int al_config_load(const char *path, struct al_config *out);

/**
 * Parses text already in memory (name is used in messages). Same contract
 * as al_config_load. @return 0 or -1.
 */
int al_config_parse(const char *text, size_t n, const char *name, struct al_config *out);

/**
 * Copies the config's values into layer (source AL_SRC_CONFIG). Unknown keys
 * of the deploy section and values of the wrong JSON type raise
 * AL_ERR_CONFIG with the key path. Borrows c. @return 0 or -1.
 */
int al_config_to_layer(const struct al_config *c, struct al_opt_layer *layer);

/** Frees everything. NULL-safe. */
void al_config_clean_up(struct al_config *c);

#endif
