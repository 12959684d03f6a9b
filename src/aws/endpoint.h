/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an AWS call goes and how it is signed: the real endpoint for a
 * region and service, or an override (the endpoint-url input, then
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL: the SDKs' precedence).
 * Overrides must be https://, except plain http:// to a loopback host
 * (127.0.0.0/8, ::1, localhost), and they make S3 path-style.
 */
#ifndef AL_AWS_ENDPOINT_H
#define AL_AWS_ENDPOINT_H

#include <stdbool.h>

enum al_aws_service {
    AL_SVC_S3,
    AL_SVC_CLOUDFRONT,
    AL_SVC_CLOUDFORMATION,
    AL_SVC_STS,
    AL_SVC_CLOUDWATCH,
    AL_SVC_SSM,
    AL_SVC_LAMBDA,
    AL_SVC_COUNT,
};

/** What the caller (main.c, from inputs and env) knows. Every string borrowed. */
struct al_endpoint_config {
    const char *region;           /* aws-region / AWS_REGION */
    const char *endpoint_url;     /* endpoint-url input: every service */
    const char *env_endpoint_url; /* AWS_ENDPOINT_URL */
    /* AWS_ENDPOINT_URL_<SERVICE>, indexed by enum al_aws_service (see al_aws_service_env_suffix) */
    const char *env_service_url[AL_SVC_COUNT];
    bool sts_global; /* sts.amazonaws.com signed in us-east-1 (AWS_STS_REGIONAL_ENDPOINTS=legacy) */
};

#define AL_ENDPOINT_BASE_MAX 512
#define AL_ENDPOINT_HOST_MAX 300
#define AL_ENDPOINT_PATH_MAX 256

/** A resolved endpoint (caller storage, no heap). */
struct al_endpoint {
    char base[AL_ENDPOINT_BASE_MAX]; /* "scheme://host[:port]", no path, no trailing slash */
    char host[AL_ENDPOINT_HOST_MAX]; /* the Host header: host, with the port when not the default */
    char path_prefix[AL_ENDPOINT_PATH_MAX]; /* decoded base path of an override ("" or "/x") */
    char region[64];                        /* signing region */
    const char *signing_name;               /* static: "s3", "cloudfront", "monitoring", ... */
    bool path_style;                        /* S3: the bucket is the first path segment */
    bool custom;                            /* from an override */
};

/** The SigV4 signing name of a service ("s3", "monitoring", ...). Static. */
const char *al_aws_service_signing_name(enum al_aws_service svc);

/** The SDK's env suffix for a service ("S3", "CLOUDWATCH", ...), as in AWS_ENDPOINT_URL_S3. Static.
 */
const char *al_aws_service_env_suffix(enum al_aws_service svc);

/** True when region looks like an AWS region ("eu-west-1", 2..32 chars of [a-z0-9-]). */
bool al_aws_region_valid(const char *region);

/**
 * Checks an override URL: scheme http or https, a host, no user info, query
 * or fragment, and http only to a loopback host. Borrows url; what names the
 * setting in the message ("endpoint-url").
 * @return 0, or -1 (AL_ERR_USAGE naming the setting and the rule)
 */
int al_endpoint_check_url(const char *url, const char *what);

/**
 * Resolves the endpoint of a call. Borrows every argument; fills out.
 * @param bucket S3 only (NULL otherwise): picks virtual-hosted or path-style
 * @param region_override e.g. the bucket's region; NULL for cfg->region
 * @return 0, or -1 (AL_ERR_USAGE for a missing region or a bad override)
 */
int al_endpoint_resolve(const struct al_endpoint_config *cfg,
                        enum al_aws_service svc,
                        const char *bucket,
                        const char *region_override,
                        struct al_endpoint *out);

#endif
