/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands as sequences of steps (DESIGN.md section 2), and the report
 * every run ends with: status, step outputs and the job summary.
 */
#ifndef AL_DEPLOY_PIPELINE_H
#define AL_DEPLOY_PIPELINE_H

#include <stdio.h>

#include "aws/creds.h"
#include "deploy/run.h"

/**
 * deploy (and plan, with r->dry_run): identity, alarm precheck, stacks,
 * site phases A and B, CDN, verification, site phase C. The identity is built
 * from cfg (borrowed). Sets r->status. @return 0, or -1 with the failing
 * step's error.
 */
int al_pipeline_deploy(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file);

/**
 * rollback: identity, the target release (an unknown version exits 2 naming
 * the newest five), the lock, restore (stacks, then site keys copied from the
 * store, assets before entry files), CDN, verification, deletion of keys the
 * target lacks, current.json. Sets r->status "restored". @return 0 or -1.
 */
int al_pipeline_rollback(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file);

/**
 * releases: lists recorded releases newest first on out (the live one
 * marked), and sets the output `releases` (JSON). @return 0 or -1.
 */
int al_pipeline_releases(struct al_run *r,
                         const struct al_creds_config *cfg,
                         const char *ca_file,
                         FILE *out);

/**
 * Finishes a run whatever happened: sets the outputs status, version,
 * previous-version and duration-seconds, and renders the whole job summary
 * into out (header, step table, the steps' sections). rc is the command's
 * result. @return 0 or -1.
 */
int al_pipeline_report(struct al_run *r, int rc, struct al_summary *out);

#endif
