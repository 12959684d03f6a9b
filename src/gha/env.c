/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/env.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const char *s_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void al_gha_env_read(struct al_gha_env *e)
{
    const char *v;
    memset(e, 0, sizeof(*e));
    v = s_get("GITHUB_ACTIONS");
    e->actions = v && strcmp(v, "true") == 0;
    v = s_get("RUNNER_DEBUG");
    e->runner_debug = v && strcmp(v, "1") == 0;
    e->output_path = s_get("GITHUB_OUTPUT");
    e->summary_path = s_get("GITHUB_STEP_SUMMARY");
    e->event_path = s_get("GITHUB_EVENT_PATH");
    e->event_name = s_get("GITHUB_EVENT_NAME");
    e->server_url = s_get("GITHUB_SERVER_URL");
    e->repository = s_get("GITHUB_REPOSITORY");
    e->run_id = s_get("GITHUB_RUN_ID");
    e->run_attempt = s_get("GITHUB_RUN_ATTEMPT");
    e->sha = s_get("GITHUB_SHA");
    e->ref = s_get("GITHUB_REF");
    e->actor = s_get("GITHUB_ACTOR");
    e->workflow = s_get("GITHUB_WORKFLOW");
    e->access_key_id = s_get("AWS_ACCESS_KEY_ID");
    e->secret_access_key = s_get("AWS_SECRET_ACCESS_KEY");
    e->session_token = s_get("AWS_SESSION_TOKEN");
    e->region = s_get("AWS_REGION");
    e->default_region = s_get("AWS_DEFAULT_REGION");
    e->web_identity_token_file = s_get("AWS_WEB_IDENTITY_TOKEN_FILE");
    e->role_arn = s_get("AWS_ROLE_ARN");
    e->endpoint_url = s_get("AWS_ENDPOINT_URL");
    for (int i = 0; i < AL_SVC_COUNT; i++) {
        char name[64];
        snprintf(name,
                 sizeof(name),
                 "AWS_ENDPOINT_URL_%s",
                 al_aws_service_env_suffix((enum al_aws_service)i));
        e->service_endpoint[i] = s_get(name);
    }
    e->sts_regional_endpoints = s_get("AWS_STS_REGIONAL_ENDPOINTS");
    e->oidc_request_url = s_get("ACTIONS_ID_TOKEN_REQUEST_URL");
    e->oidc_request_token = s_get("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    e->ssl_cert_file = s_get("SSL_CERT_FILE");
    e->force_time = s_get("AIRLOCK_FORCE_TIME");
}

char *al_gha_run_url(const struct al_gha_env *e)
{
    struct al_buf b;
    if (!e->repository || !e->run_id)
        return NULL;
    al_buf_init(&b, 4096);
    if (al_buf_printf(&b,
                      "%s/%s/actions/runs/%s",
                      e->server_url ? e->server_url : "https://github.com",
                      e->repository,
                      e->run_id)) {
        al_buf_clean_up(&b);
        return NULL;
    }
    return al_buf_detach(&b);
}

void al_gha_input_var(const char *name, char *out, size_t cap)
{
    size_t j = (size_t)snprintf(out, cap, "INPUT_");
    for (size_t i = 0; name[i] && j + 1 < cap; i++)
        out[j++] = name[i] == ' ' ? '_' : (char)toupper((unsigned char)name[i]);
    if (j < cap)
        out[j] = '\0';
}
