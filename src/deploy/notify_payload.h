/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Slack message for a finished run: a Block Kit payload built with
 * jansson (so multi-line commit messages, quotes and any Unicode are JSON-
 * escaped correctly), with Slack's own mrkdwn escaping (&, <, >) applied to
 * every piece of untrusted text and Slack's size limits respected (header
 * 150 characters, section text 3,000, fields 10). Pure: no I/O.
 */
#ifndef AL_DEPLOY_NOTIFY_PAYLOAD_H
#define AL_DEPLOY_NOTIFY_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"

/** What the message says. Every string borrowed; NULL or "" = not shown. */
struct al_notify_info {
    const char *command; /* deploy, rollback */
    const char *status;  /* deployed, rolled-back, failed, no-change, restored, ... */
    const char *environment;
    const char *version;
    const char *previous_version;
    const char *actor;
    const char *repository;
    const char *run_url;
    const char *commit; /* full SHA; shown short */
    const char *commit_message;
    uint64_t duration_s;
    const char *stacks_json; /* the `stacks` output */
    const char *files_uploaded, *files_deleted, *files_unchanged;
    const char *invalidation_id;
    const char *health_status;
    const char *error;            /* why the run failed */
    const char *rollback_command; /* for a deploy with a previous version */
};

/**
 * Appends text with Slack's mrkdwn control characters escaped (& < >),
 * cut at max_bytes on a UTF-8 boundary (with "..." when cut). Borrows text.
 * @return 0 or -1.
 */
int al_slack_escape(struct al_buf *out, const char *text, size_t max_bytes);

/** The names in a `stacks` output (a JSON array of names or of objects with a name, or an object
 * keyed by name), comma-separated, into out. @return 0 or -1. */
int al_notify_stack_names(struct al_buf *out, const char *stacks_json);

/**
 * Builds the payload ({"text", "blocks"}). Borrows in.
 * @return a new reference (caller json_decref's it) or NULL (raised)
 */
json_t *al_notify_payload(const struct al_notify_info *in);

#endif
