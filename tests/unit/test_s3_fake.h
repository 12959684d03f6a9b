/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small in-memory S3 behind the scripted transport (http/script.h), for
 * the s3 and sync unit tests: path-style PutObject, GetObject, HeadObject,
 * ListObjectsV2 (paged, encoding-type=url like S3, or raw like s3rver),
 * DeleteObjects (Content-MD5 checked), CopyObject and multipart uploads.
 * Bodies past the script's 1 MiB record are not kept: an object's MD5 is
 * then taken from its Content-MD5 header and its SHA-256 from
 * x-amz-content-sha256. Every request is logged (operation and key).
 */
#ifndef AL_TEST_S3_FAKE_H
#define AL_TEST_S3_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/script.h"
#include "util/hash.h"

#define FAKE_MAX_OBJECTS 4096
#define FAKE_MAX_LOG 8192

struct fake_obj {
    char *key;
    uint64_t size;
    char md5[AL_MD5_HEX_LEN + 1];
    char etag[80];
    char *content_type, *cache_control, *meta_sha256;
    char *body; /* NULL when over 1 MiB */
};

struct fake_log {
    char op[32];
    char *key;
};

struct fake_upload {
    char id[16];
    char *key;
    char *content_type, *cache_control, *meta_sha256;
    char part_md5[64][AL_MD5_HEX_LEN + 1];
    uint64_t part_size[64];
    unsigned n_parts;
    bool open;
};

struct fake_s3 {
    const char *bucket;
    struct fake_obj objs[FAKE_MAX_OBJECTS];
    size_t n_objs;
    struct fake_log log[FAKE_MAX_LOG];
    size_t n_log;
    struct fake_upload uploads[8];
    size_t n_uploads;
    size_t page_size;        /* list page size; 0 = 1000 */
    bool raw_keys;           /* ignore encoding-type (s3rver) */
    const char *fail_key;    /* PutObject / UploadPart of this key fails ... */
    long fail_status;        /* ... with this status (default 403 AccessDenied) */
    const char *deny_delete; /* DeleteObjects reports this key as AccessDenied */
    bool abort_unsupported;  /* AbortMultipartUpload answers 405 (s3rver) */
};

/** Resets f (frees everything it holds) and sets the bucket (borrowed). */
void fake_s3_init(struct fake_s3 *f, const char *bucket);

/** Frees what f holds. */
void fake_s3_clean_up(struct fake_s3 *f);

/** The script handler (user = the fake). */
int fake_s3_handler(void *user,
                    const struct al_http_script_request *req,
                    struct al_http_script_answer *ans);

/** The object at key or NULL. */
struct fake_obj *fake_s3_get(struct fake_s3 *f, const char *key);

/** Adds (or replaces) an object with body text. */
void fake_s3_put(struct fake_s3 *f, const char *key, const char *body);

/** Number of logged requests of operation op ("PutObject", ...). */
size_t fake_s3_count(const struct fake_s3 *f, const char *op);

#endif
