/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One AWS call, made short: resolve the endpoint, build the path and query,
 * sign every attempt afresh (new x-amz-date, current credentials, corrected
 * clock), send through the HTTP engine, and turn an error answer into one
 * error record (aws/errors.h). Synchronous (al_aws_request) or queued
 * (al_aws_submit + al_aws_run) with max-concurrency calls in flight.
 *
 * Clock skew: every answer's Date header is compared with our clock; a gap
 * of a minute or more on a skew error (RequestTimeTooSkewed, ...), or of 5
 * minutes or more on any answer, sets the process clock offset
 * (al_clock_set_skew), and the retry is signed with it.
 */
#ifndef AL_AWS_CLIENT_H
#define AL_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/creds.h"
#include "aws/endpoint.h"
#include "aws/sigv4.h"
#include "http/engine.h"

/* Skew smaller than this is left alone on successful answers (the JS SDK's rule). */
#define AL_AWS_SKEW_THRESHOLD_S 300
/* ... and on skew errors (RequestTimeTooSkewed, ...), where Date's 1 s grain is noise. */
#define AL_AWS_SKEW_ERROR_MIN_S 60

/** One call. Every string borrowed for the duration of al_aws_request / al_aws_submit. */
struct al_aws_call_spec {
    enum al_aws_service service;
    const char *operation;     /* "PutObject": errors and debug lines */
    const char *method;        /* NULL = "GET" */
    const char *bucket;        /* S3 */
    const char *key;           /* S3; unencoded */
    const char *path;          /* other services: unencoded, from '/'; NULL = "/" */
    const struct al_kv *query; /* decoded; copied at submit */
    size_t n_query;
    const struct al_kv *headers; /* extra headers, all signed; copied at submit */
    size_t n_headers;
    struct al_http_body body; /* memory and file path must outlive the call */
    /* hex SHA-256 of the body or "UNSIGNED-PAYLOAD" (S3 over https); NULL = computed */
    const char *payload_hash;
    const char *region;        /* e.g. the bucket's region; NULL = the configured one */
    const char *download_path; /* 2xx bodies streamed to this file; copied */
    bool unsigned_request;     /* STS AssumeRoleWithWebIdentity */
    bool error_in_200;         /* CompleteMultipartUpload, CopyObject: a 200 may carry <Error> */
    long ok_status;            /* a non-2xx status that is an answer, not an error (e.g. 404) */
};

/**
 * Fills spec for a Query-protocol call (STS, CloudFormation, CloudWatch): a
 * form-encoded POST of body (borrowed; must outlive the call) to service.
 * Other fields are zeroed.
 */
void al_aws_query_spec(struct al_aws_call_spec *spec,
                       enum al_aws_service service,
                       const char *operation,
                       const char *body);

/** Counters of the AWS layer (the engine has its own). */
struct al_aws_stats {
    uint64_t calls;
    uint64_t errors;
    uint64_t skew_corrections;
    uint64_t credential_renewals; /* forced by ExpiredToken answers */
};

/** Called once when a queued call is over; resp is the caller's (final, borrowed for the call). */
typedef void (*al_aws_done_fn)(void *user, struct al_http_response *resp);

struct al_aws_ctx; /* opaque */

/**
 * Makes a context. Borrows engine, creds (NULL: only unsigned calls) and ep
 * for its life.
 * @return a new context (caller frees with al_aws_ctx_free) or NULL (raised)
 */
struct al_aws_ctx *al_aws_ctx_new(struct al_http_engine *engine,
                                  struct al_creds *creds,
                                  const struct al_endpoint_config *ep);

/** Frees the context; calls still queued on its engine must be run first. NULL-safe. */
void al_aws_ctx_free(struct al_aws_ctx *ctx);

/** The engine the context sends through. Borrowed. */
struct al_http_engine *al_aws_ctx_engine(const struct al_aws_ctx *ctx);

/** The credentials provider (may be NULL). Borrowed. */
struct al_creds *al_aws_ctx_creds(const struct al_aws_ctx *ctx);

/** Copies the counters into out. */
void al_aws_ctx_stats(const struct al_aws_ctx *ctx, struct al_aws_stats *out);

/**
 * Performs one call. resp is caller storage (al_http_response_init'ed; its
 * body cap applies). On failure resp->error and the current error hold the
 * record (service, operation, code, message, request id, HTTP status).
 * @return 0, or -1 (AL_ERR_AWS, AL_ERR_CREDENTIALS for auth failures,
 *         AL_ERR_HTTP for transport failures, AL_ERR_USAGE for a bad spec)
 */
int al_aws_request(struct al_aws_ctx *ctx,
                   const struct al_aws_call_spec *spec,
                   struct al_http_response *resp);

/**
 * Queues one call; done runs when it is over (check resp->failed). Borrows
 * resp, the body memory and user until done returns; copies the rest.
 * @return 0, or -1 (raised; done will not run)
 */
int al_aws_submit(struct al_aws_ctx *ctx,
                  const struct al_aws_call_spec *spec,
                  struct al_http_response *resp,
                  al_aws_done_fn done,
                  void *user);

/** Runs the engine until every queued call is over. @return 0 or -1 (transport broke). */
int al_aws_run(struct al_aws_ctx *ctx);

#endif
