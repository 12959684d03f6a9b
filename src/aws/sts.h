/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS (Query protocol, 2011-06-15): AssumeRole, AssumeRoleWithWebIdentity
 * (unsigned), GetCallerIdentity, and the account guard run before anything
 * is changed. Credentials are registered as secrets the moment they are
 * parsed, before any other line can be printed.
 */
#ifndef AL_AWS_STS_H
#define AL_AWS_STS_H

#include <time.h>

#include "aws/client.h"

#define AL_STS_VERSION "2011-06-15"

/** Temporary credentials (owned strings). */
struct al_sts_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    time_t expiration;
    char *assumed_role_arn;
};

/** The caller's identity (caller storage). */
struct al_caller_identity {
    char account[32];
    char arn[2048];
    char user_id[256];
};

/** Wipes and frees the strings; the struct may be reused. NULL-safe. */
void al_sts_credentials_clean_up(struct al_sts_credentials *c);

/**
 * AssumeRole with ctx's credentials. Borrows the strings; fills out (owned
 * by the caller, cleaned up with al_sts_credentials_clean_up, also on failure).
 * @param external_id NULL when none
 * @return 0 or -1 (the STS error; AL_ERR_CREDENTIALS for AccessDenied)
 */
int al_sts_assume_role(struct al_aws_ctx *ctx,
                       const char *role_arn,
                       const char *session_name,
                       const char *external_id,
                       unsigned duration_seconds,
                       struct al_sts_credentials *out);

/**
 * AssumeRoleWithWebIdentity: unsigned, the JWT in the body. Borrows the
 * strings; fills out as al_sts_assume_role does.
 * @return 0 or -1
 */
int al_sts_assume_role_with_web_identity(struct al_aws_ctx *ctx,
                                         const char *role_arn,
                                         const char *session_name,
                                         const char *token,
                                         unsigned duration_seconds,
                                         struct al_sts_credentials *out);

/** GetCallerIdentity. Fills out (caller storage). @return 0 or -1. */
int al_sts_get_caller_identity(struct al_aws_ctx *ctx, struct al_caller_identity *out);

/**
 * The account guard: GetCallerIdentity, then refuses when expected_account
 * (config accountId; NULL or "" skips the comparison) differs.
 * Fills out (may be NULL).
 * @return 0, or -1 (AL_ERR_CREDENTIALS naming both account ids: exit 3)
 */
int al_sts_check_account(struct al_aws_ctx *ctx,
                         const char *expected_account,
                         struct al_caller_identity *out);

#endif
