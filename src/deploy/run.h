/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One run of a command: what the steps read (options, identity, the AWS
 * context) and what they leave for the later steps and the report (stack
 * outputs, per-step records, outputs and the job summary). main.c builds it;
 * each step module (stacks, sync, cdn, verify, release, notify) reads and
 * fills its own part. Single-threaded.
 */
#ifndef AL_DEPLOY_RUN_H
#define AL_DEPLOY_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/endpoint.h"
#include "deploy/options.h"
#include "gha/outputs.h"
#include "gha/summary.h"
#include "http/engine.h"

#define AL_RUN_MAX_STEPS 24

enum al_step_status {
    AL_STEP_OK,
    AL_STEP_NO_CHANGE,
    AL_STEP_PLANNED,
    AL_STEP_SKIPPED,
    AL_STEP_FAILED,
};

/* A row of the summary's step table. */
struct al_step_record {
    const char *name; /* static: "Identity", "Stacks", "Site", ... */
    enum al_step_status status;
    uint64_t ms;
    char detail[512]; /* one line, plain text (escaped when rendered) */
};

/* What the workflow run is (all borrowed from main's storage). */
struct al_run_info {
    const char *command;     /* deploy, rollback, plan, releases */
    const char *version;     /* the release version */
    const char *environment; /* options' environment */
    const char *commit;      /* GITHUB_SHA or NULL */
    const char *commit_message;
    const char *actor; /* sender.login / GITHUB_ACTOR */
    const char *run_url;
    const char *run_id;
    const char *repository;
    bool actions; /* running in GitHub Actions */
};

struct al_run {
    const struct al_opts *opts; /* validated; borrowed */
    struct al_run_info info;
    bool dry_run; /* dry-run option or the plan command: no mutating call */

    /* AWS */
    struct al_endpoint_config endpoints; /* strings borrowed from opts/env */
    struct al_http_options http;
    struct al_http_engine *engine;
    struct al_creds *creds;
    struct al_aws_ctx *aws;
    char account[32];   /* from GetCallerIdentity */
    char region[64];    /* effective region */
    char partition[16]; /* aws, aws-cn, aws-us-gov */
    char caller_arn[2048];

    /* Results shared between steps */
    json_t *stack_outputs; /* {"Stack": {"OutputKey": "value"}}: ${stack:Stack.OutputKey} */
    char *status;          /* deployed, rolled-back, failed, no-change, planned, restored */
    char *previous_version;

    /* Report */
    struct al_outputs *outputs; /* borrowed from main */
    struct al_summary summary;  /* step sections, rendered after the header by al_run_report */
    struct al_step_record steps[AL_RUN_MAX_STEPS];
    size_t n_steps;
    uint64_t started_ms;
};

/** Initialises r (borrows opts and outputs). Pair with al_run_clean_up. */
void al_run_init(struct al_run *r, const struct al_opts *opts, struct al_outputs *outputs);

/** Frees the AWS context, engine, credentials and results. NULL-safe. */
void al_run_clean_up(struct al_run *r);

/**
 * Starts a step: logs a group header and returns its record (or NULL when
 * the table is full). Pair with al_run_step_end.
 */
struct al_step_record *al_run_step_begin(struct al_run *r, const char *name);

/** Ends a step with its status and a one-line detail (printf format). */
void al_run_step_end(struct al_run *r,
                     struct al_step_record *s,
                     enum al_step_status status,
                     const char *fmt,
                     ...) AL_PRINTF(4, 5);

/**
 * Resolves ${stack:Stack.OutputKey} references in value against the outputs
 * collected so far. A reference to an unknown stack or key raises
 * AL_ERR_USAGE naming it and the known outputs. @return a new string (caller
 * frees) or NULL.
 */
char *al_run_resolve(const struct al_run *r, const char *value);

/** An option's value with references resolved (caller frees), or NULL when unset / on error
 * (raised). */
char *al_run_opt(const struct al_run *r, enum al_opt_id id);

/** Records a stack's outputs (borrowed values copied) for references and step outputs. @return 0 or
 * -1. */
int al_run_add_stack_output(struct al_run *r,
                            const char *stack,
                            const char *key,
                            const char *value);

/** Sets r->status (copied). @return 0 or -1. */
int al_run_set_status(struct al_run *r, const char *status);

#endif
