/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stacks of a CDK cloud assembly through CloudFormation change sets, without
 * Node (al_step_stacks in steps.h is the deploy step), and what the release
 * step needs beside it: the stacks a deploy targets, each stack's deployed
 * template, parameters and outputs, and restoring a stack from a stored
 * template and parameters.
 *
 * One stack's deploy (also a restore): describe the stack; a ROLLBACK_COMPLETE
 * stack is deleted first (with a warning), a REVIEW_IN_PROGRESS one counts as
 * new; create a CREATE or UPDATE change set (CAPABILITY_IAM, _NAMED_IAM,
 * _AUTO_EXPAND, the execution role, parameters, tags, notification ARNs; a
 * template over 51,200 bytes as TemplateURL) and wait for it; an empty change
 * set is deleted and the stack reported unchanged; otherwise execute it with a
 * ClientRequestToken and poll the stack with backoff to a final status while
 * its events (those carrying the token) are logged; a rollback or failed
 * create fails the deploy with the first failed resource's logical id, type
 * and reason (an ::error annotation). With r->dry_run the change set is
 * described and deleted instead of executed. Every CloudFormation call of a
 * stack is signed with its deploy role's credentials (assumed from the run's).
 */
#ifndef AL_DEPLOY_STACKS_H
#define AL_DEPLOY_STACKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "deploy/run.h"
#include "util/str.h"

/* Defaults of struct al_stacks_timing. */
#define AL_STACKS_POLL_MIN_MS 250u
#define AL_STACKS_POLL_MAX_MS 5000u
#define AL_STACKS_TIMEOUT_S 3600u
/* A stack whose status is final but shows no event of our execute yet is
 * taken as final after this long (CloudFormation lists events promptly). */
#define AL_STACKS_EVENT_GRACE_MS 30000u

/** Polling of change sets and stack operations. */
struct al_stacks_timing {
    unsigned poll_min_ms; /* first wait between two polls */
    unsigned poll_max_ms; /* the backoff's cap (x1.5 per poll) */
    unsigned timeout_s;   /* one change set or stack operation */
};

/** Sets the timing of later calls (copied); NULL restores the defaults. For tests. */
void al_stacks_set_timing(const struct al_stacks_timing *t);

/**
 * What the stacks step checks before it changes anything, for the pipeline
 * to run before it takes the release lock: the assembly loads (no `missing`
 * context), the selection holds no stack airlock refuses (docker image
 * assets, ...), and each selected environment's bootstrap stack is recent
 * enough (SSM, read with the stack's deploy role). Only reads: AssumeRole and
 * GetParameter. al_step_stacks makes the same checks itself.
 * @return 0, or -1 (AL_ERR_USAGE: exit 2, nothing changed)
 */
int al_stacks_precheck(struct al_run *r);

/** Where a stack lives and who deploys it. Every string borrowed. */
struct al_stack_ref {
    const char *name;                    /* the CloudFormation stack name */
    const char *region;                  /* NULL = the run's region */
    const char *deploy_role_arn;         /* NULL = the run's own credentials */
    const char *deploy_role_external_id; /* or NULL */
};

/** The stacks a deploy targets. Owns every string its refs point to. */
struct al_stack_targets {
    struct al_stack_ref *items; /* in deploy order */
    size_t n;
    struct al_strv strings;
};

/**
 * The stacks a deploy of r's `assembly` option targets (loaded, selected with
 * `stacks` / `exclusively`, resolved against r->account and r->region),
 * without any AWS call. out is caller storage, initialised here; free it with
 * al_stack_targets_clean_up (also on failure).
 * @return 0 or -1 (the assembly's refusal, AL_ERR_USAGE)
 */
int al_stacks_targets(struct al_run *r, struct al_stack_targets *out);

/** Frees the targets. NULL-safe. */
void al_stack_targets_clean_up(struct al_stack_targets *t);

/** A deployed stack as a release records it. Owned; pair with al_stack_state_clean_up. */
struct al_stack_state {
    char *name;
    char *status;
    char *template_body; /* exactly as submitted (GetTemplate, stage Original) */
    json_t *parameters;  /* {"Key": "Value"}; NoEcho values read "****" */
    json_t *outputs;     /* {"OutputKey": "OutputValue"} */
};

/**
 * Reads a deployed stack (DescribeStacks and GetTemplate, signed with the
 * ref's deploy role). out is caller storage, initialised here.
 * @return 0, or -1 (AL_ERR_DEPLOY when the stack does not exist; AWS errors)
 */
int al_stacks_describe(struct al_run *r,
                       const struct al_stack_ref *ref,
                       struct al_stack_state *out);

/** Frees the state's fields. NULL-safe. */
void al_stack_state_clean_up(struct al_stack_state *s);

/** What restoring a stack sends. Every pointer borrowed. */
struct al_stack_restore {
    struct al_stack_ref ref;
    const char *template_body; /* JSON text; or NULL with template_url */
    /*
     * A stored copy of the template ("s3://bucket/key" or an https S3 URL),
     * used instead of the body (needed over 51,200 bytes, unless
     * template_bucket is given). NULL = none.
     */
    const char *template_url;
    /*
     * Where a body over 51,200 bytes is uploaded (key
     * cdk/<stack>/<sha256>.json); NULL = the CDK bootstrap bucket (the
     * CDKToolkit stack's BucketName output).
     */
    const char *template_bucket;
    const json_t *parameters;  /* object of strings; "****" (NoEcho) is sent as UsePreviousValue */
    const char *exec_role_arn; /* NULL = the role the stack already has */
};

/** One stack's outcome. Owned; pair with al_stack_result_clean_up. */
struct al_stack_result {
    char *name;
    const char *result; /* static: created, updated, unchanged, planned, failed */
    char *stack_status; /* CloudFormation's final status, or NULL */
    size_t changes;     /* resource changes in the change set */
    json_t *outputs;    /* {"OutputKey": "OutputValue"}, never NULL after a call */
    char *failure;      /* why it failed ("Logical (Type): reason"), or NULL */
};

/** Frees the result's fields. NULL-safe. */
void al_stack_result_clean_up(struct al_stack_result *res);

/**
 * Restores a stack to a stored template and parameters through a change set
 * (created when the stack is gone, updated otherwise; tags and notification
 * ARNs left as they are), or with r->dry_run plans it. Logs the change set
 * and the events; a failed update leaves the stack rolled back and raises
 * AL_ERR_DEPLOY naming the failed resource. out is caller storage,
 * initialised here (its failure is set when the update failed).
 * @return 0 (restored, or unchanged) or -1
 */
int al_stacks_restore(struct al_run *r,
                      const struct al_stack_restore *spec,
                      struct al_stack_result *out);

/**
 * The https form CloudFormation takes as TemplateURL of an S3 location,
 * "s3://bucket/key" -> "https://s3.<region>.amazonaws.com[.cn]/bucket/key"
 * (https URLs are returned as they are). @return a new string (caller frees)
 * or NULL (AL_ERR_USAGE for anything else).
 */
char *al_stacks_template_url(const char *location, const char *region);

/**
 * A name for a change set or a client request token:
 * "airlock-<version's [A-Za-z0-9-], at most 40>-<tag>", at most 128
 * characters, starting with a letter. Writes into out (cap bytes).
 */
void al_stacks_change_set_name(char *out, size_t cap, const char *version, const char *tag);

#endif
