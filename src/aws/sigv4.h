/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256): header signing and presigned
 * URLs, with each stage (canonical request, string to sign, signature)
 * callable alone so the aws-signing-test-suite can check them one by one.
 *
 * Module rules, stated once:
 * - Every input is borrowed for the length of the call; nothing is kept.
 * - Output buffers are reset first and left empty on failure; the owner still
 *   cleans them up. Every buffer is capped (AL_SIGV4_MAX_CANONICAL for the
 *   canonical request, AL_SIGV4_MAX_PART for paths, queries and header lists).
 * - Callers pass the request as they mean it: an unencoded path and decoded
 *   query names and values. The signer returns the wire path and query that
 *   match what it signed, so signed and sent bytes cannot drift apart.
 * - The signer adds x-amz-date, x-amz-security-token (when there is a token)
 *   and, for S3, x-amz-content-sha256 itself; passing them is an error.
 * - A path with "." or ".." segments (kept verbatim for S3) must be sent with
 *   CURLOPT_PATH_AS_IS, or curl squashes them and the signature breaks.
 */
#ifndef AL_AWS_SIGV4_H
#define AL_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

#define AL_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define AL_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define AL_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** Cap on the canonical request (and so on everything signed). */
#define AL_SIGV4_MAX_CANONICAL ((size_t)1 << 20)
/** Cap on a wire path, a query string, the SignedHeaders list or the Authorization value. */
#define AL_SIGV4_MAX_PART ((size_t)256 << 10)
/** Longest presigned URL lifetime AWS accepts: seven days. */
#define AL_SIGV4_MAX_EXPIRES 604800u

/** A name/value pair (query parameter or header). Both borrowed. */
struct al_kv {
    const char *name;
    const char *value; /* NULL is read as "" */
};

/** Who signs, where and when, and which rule set applies. Borrowed strings. */
struct al_sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" when none */
    const char *region;
    const char *service;
    time_t time; /* from al_clock_now() by callers; tests pin it */
    /*
     * S3 rules: the path is neither normalised nor encoded a second time (so
     * keys like "a//b/../c" survive), and x-amz-content-sha256 is signed.
     */
    bool s3;
    /* The token is added after signing and left out of SignedHeaders (suite option). */
    bool omit_session_token;
    /* Non-S3 only: keep "." / ".." segments and duplicate slashes (suite "normalize": false). */
    bool no_normalize;
    /* Sign x-amz-content-sha256 in header signing (implied by s3; suite "sign_body"). */
    bool sign_body;
};

/** One HTTP request to sign. Borrowed strings. */
struct al_sigv4_request {
    const char *method;
    /*
     * The path as the caller means it, unencoded ("/bucket/a b+c/é"); it must
     * start with '/' (empty means "/"). With path_encoded it is instead the
     * exact wire form, already percent-encoded, as the test suite gives it.
     */
    const char *path;
    bool path_encoded;
    const struct al_kv *query; /* decoded names and values; repeated and empty values allowed */
    size_t n_query;
    const struct al_kv *headers; /* must include host; any case; repeated names allowed */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
};

/**
 * What the caller adds to the wire request after header signing. The
 * headers are: "X-Amz-Date: amz_date", "Authorization: authorization",
 * "X-Amz-Security-Token: security_token" when non-NULL, and
 * "x-amz-content-sha256: content_sha256" when non-empty.
 */
struct al_sigv4_signed {
    char amz_date[17];          /* "YYYYMMDDTHHMMSSZ" */
    char content_sha256[65];    /* "" unless S3 or sign_body */
    const char *security_token; /* borrowed from the params; NULL when none */
    struct al_buf authorization;
    /*
     * Percent-encoded. S3: exactly the canonical URI. Other services: the
     * normalised path encoded once, so what curl sends (and AWS normalises
     * again) is what was signed even where curl would squash dot segments
     * differently ("/a/b/.." is "/a" for SigV4 but "/a/" for RFC 3986).
     */
    struct al_buf wire_path;
    struct al_buf wire_query; /* "a=1&b=" sorted and encoded as signed; "" when none */
};

/**
 * Builds the canonical request for header signing (the signer's own headers
 * included).
 * Borrows every argument; resets and fills out (and signed_headers_out, which
 * may be NULL) — both caller-initialised and caller-owned, left empty on failure.
 * @return 0, or -1 (AL_ERR_USAGE for a bad request, AL_ERR_LIMIT over a cap)
 */
int al_sigv4_canonical_request(const struct al_sigv4_params *params,
                               const struct al_sigv4_request *req,
                               struct al_buf *out,
                               struct al_buf *signed_headers_out);

/**
 * Builds the canonical request of a presigned URL: the X-Amz-* parameters
 * are in the query, x-amz-date is not a header, and the payload hash is used
 * as given (pass "UNSIGNED-PAYLOAD" for S3 URLs handed to others).
 * Borrows every argument; resets and fills out (and signed_headers_out, may
 * be NULL), caller-owned and left empty on failure.
 * @param expires lifetime in seconds, 1..AL_SIGV4_MAX_EXPIRES
 * @return 0 or -1
 */
int al_sigv4_presign_canonical_request(const struct al_sigv4_params *params,
                                       const struct al_sigv4_request *req,
                                       unsigned expires,
                                       struct al_buf *out,
                                       struct al_buf *signed_headers_out);

/**
 * Builds "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(canonical request)>".
 * Borrows every argument; resets and fills out (caller-owned, empty on failure).
 * @return 0 or -1
 */
int al_sigv4_string_to_sign(const struct al_sigv4_params *params,
                            const char *canonical_request,
                            struct al_buf *out);

/**
 * Derives the signing key from the secret, date, region and service, and
 * writes the lowercase hex HMAC of string_to_sign. Key material is wiped.
 * Borrows every argument; out_hex is caller storage ("" on failure).
 * @return 0 or -1
 */
int al_sigv4_signature(const struct al_sigv4_params *params,
                       const char *string_to_sign,
                       char out_hex[65]);

/**
 * Signs a request with the Authorization header.
 * Borrows params and req (out->security_token points into params, so params
 * must outlive out). Initialises out itself; the caller releases it with
 * al_sigv4_signed_clean_up, on failure too.
 * @return 0 or -1
 */
int al_sigv4_sign(const struct al_sigv4_params *params,
                  const struct al_sigv4_request *req,
                  struct al_sigv4_signed *out);

/** Frees the buffers of a signed result (which may be half-built). NULL-safe. */
void al_sigv4_signed_clean_up(struct al_sigv4_signed *s);

/**
 * Presigns a request: fills the wire path and the whole query string of the
 * URL (the caller's parameters and X-Amz-Algorithm .. X-Amz-Signature), to be
 * sent with the same method and signed headers (usually just host).
 * Borrows every argument; resets and fills path_out and query_out (both
 * caller-initialised and caller-owned, left empty on failure).
 * @param expires lifetime in seconds, 1..AL_SIGV4_MAX_EXPIRES
 * @return 0 or -1
 */
int al_sigv4_presign(const struct al_sigv4_params *params,
                     const struct al_sigv4_request *req,
                     unsigned expires,
                     struct al_buf *path_out,
                     struct al_buf *query_out);

#endif
