/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything airlock takes from the process environment, read in one place:
 * the runner's context, file-command paths, and the AWS variables that
 * configure-aws-credentials and the SDKs use. The rest of the code gets these
 * values as parameters.
 */
#ifndef AL_GHA_ENV_H
#define AL_GHA_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/endpoint.h"

struct al_gha_env {
    bool actions;      /* GITHUB_ACTIONS=true */
    bool runner_debug; /* RUNNER_DEBUG=1 */
    const char *output_path, *summary_path, *event_path;
    const char *server_url, *repository, *run_id, *run_attempt, *sha, *ref, *actor, *workflow;
    const char *event_name;
    /* AWS */
    const char *access_key_id, *secret_access_key, *session_token;
    const char *region, *default_region;
    const char *web_identity_token_file, *role_arn;
    const char *endpoint_url;
    const char
      *service_endpoint[AL_SVC_COUNT];  /* AWS_ENDPOINT_URL_<SERVICE>, by enum al_aws_service */
    const char *sts_regional_endpoints; /* AWS_STS_REGIONAL_ENDPOINTS */
    const char *oidc_request_url, *oidc_request_token;
    const char *ssl_cert_file;
    const char *force_time; /* AIRLOCK_FORCE_TIME (tests): pins the clock */
};

/** Reads the environment into e. Values are borrowed from environ; empty ones become NULL. */
void al_gha_env_read(struct al_gha_env *e);

/** Builds the run URL (server/repo/actions/runs/id) into a heap string, or NULL when unknown. */
char *al_gha_run_url(const struct al_gha_env *e);

/** The env var name of an INPUT_ (INPUT_ + upper-case, spaces to '_'). Writes to out (cap bytes).
 */
void al_gha_input_var(const char *name, char *out, size_t cap);

#endif
