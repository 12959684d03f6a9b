/* SPDX-License-Identifier: Apache-2.0 */
/* The workflow's event payload ($GITHUB_EVENT_PATH): dispatch inputs, sender, commit. */
#ifndef AL_GHA_EVENT_H
#define AL_GHA_EVENT_H

#include "deploy/options.h"

#define AL_EVENT_MAX_BYTES (32u * 1024u * 1024u)

struct al_gha_event {
    char *sender;         /* sender.login */
    char *commit_message; /* head_commit.message (push) */
    char *commit_id;      /* head_commit.id */
    char *input_version;  /* inputs.version (workflow_dispatch) */
    char *input_confirmation;
};

/**
 * Reads the payload at path. A missing file is not an error (all fields
 * NULL); malformed JSON raises AL_ERR_USAGE with file:line:col. Caller
 * cleans up with al_gha_event_clean_up. @return 0 or -1.
 */
int al_gha_event_load(const char *path, struct al_gha_event *ev);

/** Frees every field. NULL-safe. */
void al_gha_event_clean_up(struct al_gha_event *ev);

/** Puts the dispatch inputs (version, confirmation) into layer (AL_SRC_EVENT). @return 0 or -1. */
int al_gha_event_to_layer(const struct al_gha_event *ev, struct al_opt_layer *layer);

#endif
