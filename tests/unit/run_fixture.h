/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A deploy run over the scripted HTTP transport, for the step tests
 * (CloudFront, verification, Slack): options from flag pairs, run info,
 * fast backoff, and (with_aws) an engine, credentials and AWS context.
 */
#ifndef AL_TEST_RUN_FIXTURE_H
#define AL_TEST_RUN_FIXTURE_H

#include <stdbool.h>

#include "deploy/run.h"
#include "gha/outputs.h"
#include "http/script.h"

#define AL_TEST_T0 1767225600 /* 2026-01-01T00:00:00Z, the pinned clock with_aws */

struct al_test_run {
    struct al_http_script *script;
    struct al_opts opts;
    struct al_outputs outputs;
    struct al_run run;
};

/**
 * Sets f up (caller storage) from kv, pairs of option name and value ending
 * in NULL (may be NULL). with_aws also pins the clock at AL_TEST_T0 and
 * creates the engine, environment credentials and the AWS context for
 * ap-northeast-1. Pair with al_test_run_teardown, also on failure.
 * @return 0 or -1
 */
int al_test_run_setup(struct al_test_run *f, const char *const *kv, bool with_aws);

/** Frees what f holds and unpins the clock. */
void al_test_run_teardown(struct al_test_run *f);

#endif
