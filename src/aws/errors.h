/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS error responses in every shape we meet (S3 <Error>, Query and
 * CloudFront <ErrorResponse>, EC2-style <Response><Errors>, JSON
 * {"__type", "message"} with x-amzn-ErrorType / x-amzn-query-error) turned
 * into one record: service, operation, HTTP status, code, message, request
 * id, copied into the process error (al_error_mut()). Every argument is
 * borrowed for the call; nothing is kept.
 */
#ifndef AL_AWS_ERRORS_H
#define AL_AWS_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/engine.h"

struct al_aws_error_info {
    char code[128];
    char message[512];
    char request_id[128];
};

/**
 * Extracts the error of a response: the body's shape first, then the
 * x-amzn-ErrorType / x-amzn-query-error headers, then a name for the status
 * when the body says nothing (HEAD answers have none). Borrows r; fills out.
 * @return true when the body or headers carried an AWS error code
 */
bool al_aws_error_parse(const struct al_http_response *r, struct al_aws_error_info *out);

/**
 * True when a 2xx body is really an error: its root element is <Error>
 * (CompleteMultipartUpload and CopyObject report late failures that way).
 */
bool al_aws_error_in_body(const char *body, size_t n);

/** True for codes (or a bare 401/403) that mean the credentials or permissions failed. */
bool al_aws_error_is_auth(long status, const char *code);

/**
 * Records the error as the current one: AL_ERR_CREDENTIALS for auth
 * failures, AL_ERR_AWS otherwise, with the AWS fields of al_error_mut()
 * filled and the message "<service> <operation> failed: <Code>: <Message>
 * (HTTP <status>, request id <id>)". Borrows everything.
 * @return -1
 */
int al_aws_error_raise(const char *service,
                       const char *operation,
                       long status,
                       const struct al_aws_error_info *info);

#endif
