/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/identity.h"

#include <stdio.h>
#include <string.h>

#include "aws/sts.h"
#include "util/log.h"

int al_identity_init(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file)
{
    const char *region = al_opts_get(r->opts, AL_OPT_AWS_REGION);
    const char *endpoint = al_opts_get(r->opts, AL_OPT_ENDPOINT_URL);
    struct al_caller_identity id;

    if (!region)
        return al_raise(AL_ERR_USAGE,
                        "no AWS region: set the aws-region input, the config's "
                        "'region', or AWS_REGION");
    if (!al_aws_region_valid(region))
        return al_raise(AL_ERR_USAGE,
                        "aws-region '%.64s' is not a region name (like "
                        "ap-northeast-1)",
                        region);
    if (endpoint && al_endpoint_check_url(endpoint, "endpoint-url"))
        return -1;
    if (r->endpoints.env_endpoint_url &&
        al_endpoint_check_url(r->endpoints.env_endpoint_url, "AWS_ENDPOINT_URL"))
        return -1;
    snprintf(r->region, sizeof(r->region), "%s", region);
    if (strncmp(region, "cn-", 3) == 0)
        snprintf(r->partition, sizeof(r->partition), "aws-cn");
    else if (strncmp(region, "us-gov-", 7) == 0)
        snprintf(r->partition, sizeof(r->partition), "aws-us-gov");
    r->endpoints.region = r->region;
    r->endpoints.endpoint_url = endpoint;
    r->http.max_concurrency = (unsigned)al_opts_uint(r->opts, AL_OPT_MAX_CONCURRENCY);
    r->http.max_attempts = (unsigned)al_opts_uint(r->opts, AL_OPT_MAX_ATTEMPTS);
    r->http.ca_file = ca_file;
    if (!(r->engine = al_http_engine_new(&r->http)))
        return -1;
    if (!(r->creds = al_creds_new(cfg, &r->endpoints, &r->http)))
        return -1;
    if (!(r->aws = al_aws_ctx_new(r->engine, r->creds, &r->endpoints)))
        return -1;
    if (al_sts_check_account(r->aws, al_opts_get(r->opts, AL_OPT_ACCOUNT_ID), &id)) {
        /* Without an identity nothing can run: an STS outage or an unreachable
         * endpoint is a credentials failure (exit 3), named as such. */
        enum al_err_code code = al_error_last()->code;
        if (code == AL_ERR_AWS || code == AL_ERR_HTTP) {
            al_error_mut()->code = AL_ERR_CREDENTIALS;
            al_raise_context("could not establish the AWS identity (STS failed or is "
                             "unreachable; nothing was changed)");
        }
        return -1;
    }
    snprintf(r->account, sizeof(r->account), "%s", id.account);
    snprintf(r->caller_arn, sizeof(r->caller_arn), "%s", id.arn);
    al_log_info("AWS identity: %s (account %s, region %s, credentials from %s)",
                id.arn,
                id.account,
                r->region,
                al_creds_source(r->creds));
    return 0;
}
