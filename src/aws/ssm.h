/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSM Parameter Store (JSON 1.1, X-Amz-Target AmazonSSM.<Operation>):
 * GetParameter, which a CDK deploy needs for the bootstrap version
 * (/cdk-bootstrap/<qualifier>/version).
 */
#ifndef AL_AWS_SSM_H
#define AL_AWS_SSM_H

#include <stdbool.h>

#include "aws/client.h"

/* A parameter value is at most 8 KiB (advanced tier); the answer is small. */
#define AL_SSM_BODY_MAX ((size_t)256 << 10)

/**
 * GetParameter (without decryption). A missing parameter is not an error:
 * *found is false and *value_out NULL.
 * @param region NULL = the context's configured region (borrowed)
 * @param value_out receives a new string (caller frees) when found
 * @return 0, or -1 (the AWS error, e.g. AccessDeniedException as
 *         AL_ERR_CREDENTIALS)
 */
int al_ssm_get_parameter(struct al_aws_ctx *ctx,
                         const char *region,
                         const char *name,
                         char **value_out,
                         bool *found);

#endif
