/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 operations over the AWS client (aws/client.h): PutObject, GetObject,
 * HeadObject, ListObjectsV2, DeleteObjects, CopyObject and multipart
 * uploads, for the site sync, the release store and the restore.
 *
 * Three layers, each usable on its own:
 * - call builders (al_s3_*_call) fill a struct al_s3_call: a ready
 *   struct al_aws_call_spec plus the storage it borrows, for al_aws_submit;
 * - parsers (al_s3_parse_*) read the answers;
 * - synchronous helpers (al_s3_put_object, ...) do both, and
 *   al_s3_batch_run runs many calls through the engine with bounded memory
 *   (a window of calls in flight, response storage reused).
 *
 * Module rules, stated once:
 * - Keys are unencoded UTF-8 (the client encodes them); ETags are given and
 *   returned without their quotes.
 * - Listing keys with encoding-type=url are decoded as botocore does ('+' is
 *   a space), but only when the answer says EncodingType=url: servers that
 *   ignore the parameter (s3rver) send raw keys.
 * - CopyObject and CompleteMultipartUpload may fail inside a 200 answer; the
 *   builders set error_in_200 so such an answer fails (and is retried).
 * - Strings in the request structs are borrowed for the call only.
 */
#ifndef AL_AWS_S3_H
#define AL_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "util/buf.h"
#include "util/hash.h"

#define AL_S3_ETAG_MAX 72 /* unquoted; a multipart ETag is 32 hex + "-" + up to 5 digits */
#define AL_S3_DELETE_BATCH 1000u
#define AL_S3_MAX_PARTS 10000u
#define AL_S3_MIN_PART_SIZE ((uint64_t)5 << 20)
#define AL_S3_DEFAULT_PART_SIZE ((uint64_t)8 << 20)
#define AL_S3_MAX_PART_SIZE ((uint64_t)5 << 30)
#define AL_S3_MAX_PUT_SIZE ((uint64_t)5 << 30)
#define AL_S3_LIST_MAX_OBJECTS 10000000u
#define AL_S3_META_SHA256 "x-amz-meta-sha256"

/* What an object carries besides its bytes. Every field may be NULL. */
struct al_s3_object_meta {
    const char *content_type;
    const char *cache_control;
    const char *sha256_hex; /* stored as x-amz-meta-sha256 */
};

/** PutObject (also the object part of CreateMultipartUpload). */
struct al_s3_put {
    const char *bucket;
    const char *key;
    struct al_http_body body; /* memory or a file range; borrowed until the call is over */
    struct al_s3_object_meta meta;
    const char *md5_hex; /* the body's MD5, sent as Content-MD5; NULL = none */
    const char
      *payload_sha256;  /* the body's hex SHA-256 (signed as is); NULL = hashed by the client */
    bool if_none_match; /* If-None-Match: * (create only; 412 when the key exists) */
};

/** One UploadPart. */
struct al_s3_part {
    const char *bucket;
    const char *key;
    const char *upload_id;
    unsigned number; /* 1..10000 */
    struct al_http_body body;
    const char *md5_hex;        /* NULL = none */
    const char *payload_sha256; /* NULL = hashed by the client */
};

/** CopyObject: bucket/key gets a copy of src_bucket/src_key. */
struct al_s3_copy {
    const char *src_bucket;
    const char *src_key;
    const char *bucket;
    const char *key;
    bool replace_meta;             /* x-amz-metadata-directive: REPLACE with meta below */
    struct al_s3_object_meta meta; /* used with replace_meta */
};

/** HeadObject's answer. */
struct al_s3_head {
    bool found;
    uint64_t size;
    char etag[AL_S3_ETAG_MAX];
    char content_type[256];
    char cache_control[256];
    char sha256_hex[AL_SHA256_HEX_LEN + 1]; /* x-amz-meta-sha256, "" when absent or malformed */
};

/** One listed object. */
struct al_s3_object {
    char *key; /* decoded; owned by the listing */
    uint64_t size;
    char etag[AL_S3_ETAG_MAX]; /* "" when absent or too long */
};

/** Objects from ListObjectsV2, in the order listed. Pair init with clean_up. */
struct al_s3_listing {
    struct al_s3_object *items;
    size_t len, cap;
};

/** A key DeleteObjects did not delete. */
struct al_s3_key_error {
    char *key; /* owned */
    char code[64];
    char message[256];
};

/** DeleteObjects' outcome over every batch. Pair init with clean_up. */
struct al_s3_delete_result {
    size_t deleted;
    struct al_s3_key_error *errors;
    size_t n_errors, cap;
};

#define AL_S3_CALL_MAX_HEADERS 10
#define AL_S3_CALL_MAX_QUERY 4

/**
 * A request ready to submit: spec points into this struct (do not move it
 * once built) and at the caller's strings (borrowed until the submit).
 */
struct al_s3_call {
    struct al_aws_call_spec spec;
    struct al_kv headers[AL_S3_CALL_MAX_HEADERS];
    struct al_kv query[AL_S3_CALL_MAX_QUERY];
    char md5_b64[32];
    char number[24];
    char if_match[AL_S3_ETAG_MAX + 2]; /* quoted */
    char range[64];                    /* "bytes=first-last" */
    char *copy_source;                 /* owned */
    struct al_buf body; /* a body built here (DeleteObjects, Complete); lives until clean-up */
};

/* ---- call builders: each initialises q; caller cleans up with al_s3_call_clean_up ---- */

/** Initialises q empty. */
void al_s3_call_init(struct al_s3_call *q);

/** Frees what q owns. NULL-safe; q may be built again after. */
void al_s3_call_clean_up(struct al_s3_call *q);

/** PutObject. Borrows p's strings until submit and its body until done. @return 0 or -1. */
int al_s3_put_object_call(struct al_s3_call *q, const struct al_s3_put *p);

/**
 * GetObject; 2xx bodies go to download_path when not NULL (copied). A 404
 * is an answer (ok_status), for al_s3_parse_found. @return 0 or -1.
 */
int al_s3_get_object_call(struct al_s3_call *q,
                          const char *bucket,
                          const char *key,
                          const char *download_path);

/** HeadObject; 404 is an answer. @return 0 or -1. */
int al_s3_head_object_call(struct al_s3_call *q, const char *bucket, const char *key);

/**
 * DeleteObject; with if_match (an unquoted ETag, or NULL), only while the
 * object has that ETag (S3's conditional delete). 404 is an answer.
 * @return 0 or -1.
 */
int al_s3_delete_object_call(struct al_s3_call *q,
                             const char *bucket,
                             const char *key,
                             const char *if_match);

/**
 * One ListObjectsV2 page (encoding-type=url) under prefix (NULL = all),
 * continuing from token (NULL = first page). @return 0 or -1.
 */
int al_s3_list_call(struct al_s3_call *q,
                    const char *bucket,
                    const char *prefix,
                    const char *token);

/**
 * DeleteObjects of keys[0..n-1] (1 <= n <= 1000) with Quiet and Content-MD5;
 * q owns the body. @return 0 or -1.
 */
int al_s3_delete_objects_call(struct al_s3_call *q,
                              const char *bucket,
                              const char *const *keys,
                              size_t n);

/** CopyObject (error_in_200). @return 0 or -1. */
int al_s3_copy_object_call(struct al_s3_call *q, const struct al_s3_copy *c);

/** CreateMultipartUpload with p's bucket, key and meta (body ignored). @return 0 or -1. */
int al_s3_create_multipart_call(struct al_s3_call *q, const struct al_s3_put *p);

/** UploadPart. @return 0 or -1. */
int al_s3_upload_part_call(struct al_s3_call *q, const struct al_s3_part *p);

/**
 * UploadPartCopy: part number of upload_id (bucket/key) is length (>= 1)
 * bytes of src_bucket/src_key from offset, copied server-side
 * (error_in_200). @return 0 or -1.
 */
int al_s3_upload_part_copy_call(struct al_s3_call *q,
                                const struct al_s3_part *p,
                                const char *src_bucket,
                                const char *src_key,
                                uint64_t offset,
                                uint64_t length);

/**
 * CompleteMultipartUpload of parts 1..n with their unquoted ETags
 * (error_in_200); if_none_match adds If-None-Match: *. @return 0 or -1.
 */
int al_s3_complete_multipart_call(struct al_s3_call *q,
                                  const char *bucket,
                                  const char *key,
                                  const char *upload_id,
                                  const char *const *etags,
                                  size_t n,
                                  bool if_none_match);

/** AbortMultipartUpload. @return 0 or -1. */
int al_s3_abort_multipart_call(struct al_s3_call *q,
                               const char *bucket,
                               const char *key,
                               const char *upload_id);

/* ---- parsers ---- */

/** The ETag header without quotes into out ("" when absent or too long). */
void al_s3_etag(const struct al_http_response *r, char out[AL_S3_ETAG_MAX]);

/**
 * For a GetObject or HeadObject answered (ok_status 404 included): sets
 * *found. A 404 that is not NoSuchKey (NoSuchBucket) is an error. HEAD
 * answers have no body, so any HEAD 404 is "not found".
 * @return 0, or -1 (the AWS error raised)
 */
int al_s3_parse_found(const struct al_http_response *r, bool *found);

/** Fills out from a HeadObject answer (404: found false). @return 0 or -1. */
int al_s3_parse_head(const struct al_http_response *r, struct al_s3_head *out);

/**
 * Appends one ListObjectsV2 page's objects to out and sets next_token
 * (reset first; empty when the listing is complete).
 * @return 0, or -1 (AL_ERR_PARSE for a malformed page, AL_ERR_LIMIT)
 */
int al_s3_parse_list_page(const struct al_http_response *r,
                          struct al_s3_listing *out,
                          struct al_buf *next_token);

/** The UploadId of a CreateMultipartUpload answer. @return a new string (caller frees) or NULL
 * (raised). */
char *al_s3_parse_upload_id(const struct al_http_response *r);

/**
 * Counts the keys a DeleteObjects answer deleted (n sent minus the errors;
 * Quiet answers list only errors) and appends its <Error> entries.
 * @return 0 or -1 (malformed answer)
 */
int al_s3_parse_delete(const struct al_http_response *r,
                       size_t n_sent,
                       struct al_s3_delete_result *out);

/**
 * The ETag in a CopyObject, UploadPartCopy or CompleteMultipartUpload result
 * body, unquoted. @return 0 or -1.
 */
int al_s3_parse_result_etag(const struct al_http_response *r, char out[AL_S3_ETAG_MAX]);

/* ---- results ---- */

/** Initialises an empty listing. */
void al_s3_listing_init(struct al_s3_listing *l);

/** Frees every key. NULL-safe. */
void al_s3_listing_clean_up(struct al_s3_listing *l);

/** Initialises an empty result. */
void al_s3_delete_result_init(struct al_s3_delete_result *d);

/** Frees it. NULL-safe. */
void al_s3_delete_result_clean_up(struct al_s3_delete_result *d);

/* ---- batches: many calls, bounded memory ---- */

/**
 * Builds item i's call into q (already initialised; the batch cleans it up
 * after the call). @return 0, or -1 (raised): the item fails with that error.
 */
typedef int (*al_s3_batch_build_fn)(void *user, size_t i, struct al_s3_call *q);

/** Item i is over; resp is final (check resp->failed; resp->error holds the failure). Borrowed. */
typedef void (*al_s3_batch_done_fn)(void *user, size_t i, struct al_http_response *resp);

struct al_s3_batch {
    size_t n;                   /* items 0..n-1, submitted in order */
    size_t window;              /* calls queued at once; 0 = 2 x the engine's max_concurrency */
    size_t max_body;            /* response body cap; 0 = the engine's default */
    bool stop_on_error;         /* submit nothing new after the first failure */
    al_s3_batch_build_fn build; /* required */
    al_s3_batch_done_fn done;   /* may be NULL */
    void *user;
};

/** What al_s3_batch_run did. */
struct al_s3_batch_stats {
    size_t ok, failed, not_started; /* not_started: skipped after a failure (stop_on_error) */
};

/**
 * Runs the batch's calls through ctx's engine (al_aws_run: calls already
 * queued on it run too). Borrows b for the duration.
 * @param stats may be NULL
 * @return 0 when every item succeeded; -1 with the first failure's error
 *         current (its message prefixed with the count of failures)
 */
int al_s3_batch_run(struct al_aws_ctx *ctx,
                    const struct al_s3_batch *b,
                    struct al_s3_batch_stats *stats);

/* ---- synchronous helpers (al_aws_request) ---- */

/** PutObject; etag (may be NULL) receives the answer's ETag. @return 0 or -1. */
int al_s3_put_object(struct al_aws_ctx *ctx, const struct al_s3_put *p, char etag[AL_S3_ETAG_MAX]);

/**
 * GetObject into memory, appended to out (its own cap applies too).
 * @param max_bytes body cap (0 = the engine's 16 MiB)
 * @param found NULL: a missing key is an error; else *found says whether it exists
 * @return 0 or -1
 */
int al_s3_get_object(struct al_aws_ctx *ctx,
                     const char *bucket,
                     const char *key,
                     size_t max_bytes,
                     struct al_buf *out,
                     bool *found);

/** GetObject streamed to path (created or truncated). found as al_s3_get_object. @return 0 or -1.
 */
int al_s3_get_object_to_file(struct al_aws_ctx *ctx,
                             const char *bucket,
                             const char *key,
                             const char *path,
                             bool *found);

/**
 * DeleteObject, conditional on if_match as al_s3_delete_object_call. *deleted
 * is false when nothing was deleted: the object is gone (404) or has another
 * ETag (412). @return 0 or -1 (other failures).
 */
int al_s3_delete_object(struct al_aws_ctx *ctx,
                        const char *bucket,
                        const char *key,
                        const char *if_match,
                        bool *deleted);

/** HeadObject into out (out->found false for 404). @return 0 or -1. */
int al_s3_head_object(struct al_aws_ctx *ctx,
                      const char *bucket,
                      const char *key,
                      struct al_s3_head *out);

/**
 * Every object under prefix (NULL = the bucket), page by page, appended to
 * out (initialised by the caller; holds the pages read so far on failure).
 * @return 0 or -1 (AL_ERR_LIMIT past AL_S3_LIST_MAX_OBJECTS)
 */
int al_s3_list_objects(struct al_aws_ctx *ctx,
                       const char *bucket,
                       const char *prefix,
                       struct al_s3_listing *out);

/**
 * Deletes n keys in batches of 1,000, the batches concurrently. out
 * (initialised by the caller) counts the deleted keys and lists each key
 * that was not, with its code (a batch that failed whole lists all its keys).
 * @return 0 when every key was deleted; -1 otherwise (raised, naming the
 *         count and the first key)
 */
int al_s3_delete_objects(struct al_aws_ctx *ctx,
                         const char *bucket,
                         const char *const *keys,
                         size_t n,
                         struct al_s3_delete_result *out);

/** CopyObject; etag (may be NULL) receives the copy's ETag. @return 0 or -1. */
int al_s3_copy_object(struct al_aws_ctx *ctx,
                      const struct al_s3_copy *c,
                      char etag[AL_S3_ETAG_MAX]);

/** CreateMultipartUpload. *upload_id: a new string (caller frees). @return 0 or -1. */
int al_s3_multipart_create(struct al_aws_ctx *ctx, const struct al_s3_put *p, char **upload_id);

/** UploadPart; etag receives the part's ETag. @return 0 or -1. */
int al_s3_upload_part(struct al_aws_ctx *ctx,
                      const struct al_s3_part *p,
                      char etag[AL_S3_ETAG_MAX]);

/** CompleteMultipartUpload; etag (may be NULL) receives the object's ETag. @return 0 or -1. */
int al_s3_multipart_complete(struct al_aws_ctx *ctx,
                             const char *bucket,
                             const char *key,
                             const char *upload_id,
                             const char *const *etags,
                             size_t n,
                             bool if_none_match,
                             char etag[AL_S3_ETAG_MAX]);

/** AbortMultipartUpload. @return 0 or -1. */
int al_s3_multipart_abort(struct al_aws_ctx *ctx,
                          const char *bucket,
                          const char *key,
                          const char *upload_id);

/** Progress of a multipart upload: bytes of the parts finished so far (borrowed user). */
typedef void (*al_s3_progress_fn)(void *user, uint64_t bytes);

/**
 * The part size for an object of size bytes: want (0 = 8 MiB), raised to a
 * whole MiB so the object fits in 10,000 parts, within 5 MiB..5 GiB.
 */
uint64_t al_s3_part_size(uint64_t size, uint64_t want);

/**
 * Uploads p's file body (AL_HTTP_BODY_FILE, offset 0) as a multipart
 * upload: create (with p->meta), the parts in parallel through the engine
 * (each with its own Content-MD5 and SHA-256, read in one pass as it is
 * submitted), complete (with If-None-Match when asked). On any failure the
 * upload is aborted (an abort that fails too is a warning: the parts stay
 * until a lifecycle rule removes them). The answer's ETag, when of the
 * "<md5>-N" form, is checked against the one the parts imply.
 * @param part_size 0 = al_s3_part_size's default
 * @param progress may be NULL; called after each part
 * @param etag may be NULL
 * @return 0 or -1
 */
int al_s3_upload_multipart(struct al_aws_ctx *ctx,
                           const struct al_s3_put *p,
                           uint64_t part_size,
                           al_s3_progress_fn progress,
                           void *user,
                           char etag[AL_S3_ETAG_MAX]);

#endif
