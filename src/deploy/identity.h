/* SPDX-License-Identifier: Apache-2.0 */
/* The run's AWS identity: region, endpoints, HTTP engine, credentials, and the account guard. */
#ifndef AL_DEPLOY_IDENTITY_H
#define AL_DEPLOY_IDENTITY_H

#include "aws/creds.h"
#include "deploy/run.h"

/**
 * Resolves the region and endpoints (r->endpoints must already carry the
 * environment's overrides), builds the engine, the credential provider (cfg
 * borrowed, copied by the provider) and the AWS context, then calls
 * GetCallerIdentity and refuses a different account than the config's
 * accountId (exit 3). ca_file may be NULL. @return 0 or -1.
 */
int al_identity_init(struct al_run *r, const struct al_creds_config *cfg, const char *ca_file);

#endif
