/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials, resolved in DESIGN.md section 5's order:
 *   1. the aws-access-key-id / aws-secret-access-key / aws-session-token inputs;
 *   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (as
 *      configure-aws-credentials exports them);
 *   3. GitHub OIDC: role-to-assume with ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN
 *      (GET <url>&audience=<aud> with the bearer token, JSON "value"), then
 *      the unsigned STS AssumeRoleWithWebIdentity;
 *   4. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, the same way.
 * role-to-assume with key credentials (1, 2) chains AssumeRole, and so does a
 * role-to-assume that differs from AWS_ROLE_ARN in 4. Temporary credentials
 * are renewed before they expire (and once more if AWS says ExpiredToken).
 * Every credential value, the bearer token and the JWT are registered with
 * al_secret_add the moment they are known.
 *
 * A provider makes its STS and OIDC calls on engines of its own (built from
 * the http options it borrows), so a renewal inside a signing hook never
 * re-enters the engine that is signing.
 */
#ifndef AL_AWS_CREDS_H
#define AL_AWS_CREDS_H

#include <stdbool.h>
#include <time.h>

#include "aws/endpoint.h"
#include "http/engine.h"

#define AL_CREDS_DEFAULT_AUDIENCE "sts.amazonaws.com"
#define AL_CREDS_DEFAULT_DURATION 3600u
/* Renew this long before expiry (less for short-lived credentials). */
#define AL_CREDS_RENEW_MARGIN 300u

/** What main.c gathers from inputs and env. Every string borrowed (copied by al_creds_new). */
struct al_creds_config {
    /* inputs */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    /* AWS_* env */
    const char *env_access_key_id;
    const char *env_secret_access_key;
    const char *env_session_token;
    /* GitHub OIDC (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN) */
    const char *oidc_request_url;
    const char *oidc_request_token;
    const char *audience; /* NULL = sts.amazonaws.com */
    /* AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME */
    const char *web_identity_token_file;
    const char *env_role_arn;
    const char *env_role_session_name;
    /* the role inputs */
    const char *role_to_assume;
    const char *role_session_name; /* NULL = "airlock-<run id>" */
    const char *run_id;            /* GITHUB_RUN_ID */
    const char *external_id;
    unsigned duration_seconds;     /* 0 = 3600 */
    unsigned renew_margin_seconds; /* 0 = min(300 s, a quarter of the lifetime) */
};

/** A borrowed view of the current keys (valid until the next call on the provider). */
struct al_creds_value {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    time_t expiration;         /* 0 for keys that do not expire */
};

struct al_creds; /* opaque */

/**
 * Picks the source from cfg and registers every secret in it; fetches
 * nothing yet (al_creds_resolve or the first al_creds_get does).
 * Borrows ep and http for the provider's life; copies cfg.
 * @return a new provider (caller frees with al_creds_free), or NULL:
 *         AL_ERR_USAGE for a half-set pair or a bad session name,
 *         AL_ERR_CREDENTIALS when no source is configured (with a hint)
 */
struct al_creds *al_creds_new(const struct al_creds_config *cfg,
                              const struct al_endpoint_config *ep,
                              const struct al_http_options *http);

/**
 * A provider that assumes role_arn with the identity of base (CDK's deploy
 * and file-publishing roles). Borrows base, ep and http for its life; copies
 * the strings. session_name NULL = base's session name.
 * @return a new provider (caller frees with al_creds_free, before base) or NULL
 */
struct al_creds *al_creds_new_assume_role(struct al_creds *base,
                                          const char *role_arn,
                                          const char *session_name,
                                          const char *external_id,
                                          unsigned duration_seconds);

/** Frees the provider and the layers it owns. NULL-safe. */
void al_creds_free(struct al_creds *c);

/** Obtains credentials now (so a bad setup fails before any other call). @return 0 or -1. */
int al_creds_resolve(struct al_creds *c);

/**
 * The current credentials, renewed first when they expire within the margin.
 * Fills out with pointers borrowed from c.
 * @return 0, or -1 (AL_ERR_CREDENTIALS, or the STS/OIDC error)
 */
int al_creds_get(struct al_creds *c, struct al_creds_value *out);

/** Forces a renewal at the next al_creds_get (AWS said ExpiredToken). */
void al_creds_invalidate(struct al_creds *c);

/** True when the credentials can be renewed (they came from STS). */
bool al_creds_renewable(const struct al_creds *c);

/** Where the credentials come from, e.g. "oidc", "environment+assume-role". Borrowed. */
const char *al_creds_source(const struct al_creds *c);

/** How many times credentials were obtained from STS (first fetch included). */
unsigned al_creds_fetches(const struct al_creds *c);

#endif
