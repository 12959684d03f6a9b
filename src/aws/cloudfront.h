/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CloudFront invalidations (REST-XML, API 2020-05-31): CreateInvalidation
 * and GetInvalidation. CloudFront is global and signs in us-east-1
 * (aws/endpoint.c knows). Retries of a CreateInvalidation are safe because
 * the batch carries a CallerReference: the same reference with the same
 * paths returns the existing invalidation.
 */
#ifndef AL_AWS_CLOUDFRONT_H
#define AL_AWS_CLOUDFRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"
#include "util/buf.h"

#define AL_CF_API_VERSION "2020-05-31"

/** An invalidation as CloudFront reports it (caller storage, no heap). */
struct al_cf_invalidation {
    char id[128];
    char status[32]; /* "InProgress" or "Completed" */
    char create_time[40];
};

/**
 * True when id looks like a distribution id (1-64 characters of A-Z and
 * 0-9; real ones are "E" + 13). NULL-safe.
 */
bool al_cf_distribution_id_valid(const char *id);

/**
 * Appends the <InvalidationBatch> request body for n paths (already encoded
 * as CloudFront expects; XML-escaped here) and the caller reference.
 * Borrows everything. @return 0 or -1.
 */
int al_cf_invalidation_batch_xml(struct al_buf *out,
                                 const char *const *paths,
                                 size_t n,
                                 const char *caller_reference);

/**
 * Reads an <Invalidation> answer (CreateInvalidation, GetInvalidation) into
 * out. Borrows body. @return 0, or -1 (AL_ERR_PARSE / AL_ERR_AWS when it has
 * no Id or Status)
 */
int al_cf_parse_invalidation(const char *body, size_t n, struct al_cf_invalidation *out);

/**
 * CreateInvalidation on distribution_id. Borrows everything; fills out.
 * CloudFront's errors (TooManyInvalidationsInProgress, NoSuchDistribution,
 * BatchTooLarge, ...) come back as AL_ERR_AWS with the code in
 * al_error_last()->aws_code. @return 0 or -1.
 */
int al_cf_create_invalidation(struct al_aws_ctx *ctx,
                              const char *distribution_id,
                              const char *const *paths,
                              size_t n,
                              const char *caller_reference,
                              struct al_cf_invalidation *out);

/** GetInvalidation. Borrows everything (invalidation_id must not point into out); fills out.
 * @return 0 or -1. */
int al_cf_get_invalidation(struct al_aws_ctx *ctx,
                           const char *distribution_id,
                           const char *invalidation_id,
                           struct al_cf_invalidation *out);

#endif
