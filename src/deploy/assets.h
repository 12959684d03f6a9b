/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File assets of a cloud assembly, as cdk-assets publishes them. This part
 * is local: packaging an asset into the bytes to upload (a `zip` directory
 * zipped deterministically by asset_zip, a `file` source as it is) with the
 * upload's size, MD5 and SHA-256 and Content-Type. The S3 side lives
 * beside it: the bucket's encryption (GetBucketEncryption), the existence
 * check (ListObjectsV2 on the key, never HeadObject, whose 404 S3 caches)
 * and the upload (PutObject with the encryption and a SHA-256 checksum),
 * each signed by the context it is given (the file-publishing role's).
 */
#ifndef AL_DEPLOY_ASSETS_H
#define AL_DEPLOY_ASSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/client.h"
#include "deploy/assembly.h"
#include "util/hash.h"

/* S3's limit for one PUT; a file asset above it is refused. */
#define AL_ASSET_FILE_MAX_BYTES (5ull * 1024u * 1024u * 1024u)

/** What to upload for one asset. Caller storage; pair with al_asset_package_clean_up. */
struct al_asset_package {
    char *path;     /* the file to upload */
    bool temporary; /* path is a zip this module wrote under work_dir */
    uint64_t size;
    char md5_hex[AL_MD5_HEX_LEN + 1];
    char sha256_hex[AL_SHA256_HEX_LEN + 1];
    const char *content_type; /* static: "application/zip", or by the file's extension */
};

/**
 * Packages one file asset: zips a `zip` asset's directory into a new file
 * "asset-XXXXXX.zip" under work_dir, or takes a `file` asset's path as is,
 * then hashes the result in one pass.
 * @param asset borrowed
 * @param work_dir an existing directory for the zip (borrowed); unused for `file`
 * @param out caller storage, initialised here; it owns the path and, when
 *        temporary, the zip file itself (al_asset_package_clean_up removes it).
 *        On failure it is left empty and no zip is left behind.
 * @return 0 or -1 (AL_ERR_USAGE for a refused directory or a file over the
 *         cap, AL_ERR_IO for I/O)
 */
int al_asset_package(const struct al_asm_file_asset *asset,
                     const char *work_dir,
                     struct al_asset_package *out);

/** Frees the path and removes a temporary zip. NULL-safe, idempotent. */
void al_asset_package_clean_up(struct al_asset_package *p);

/* A zip of this size or less is empty (just the end record): counted as missing, as cdk-assets. */
#define AL_ASSET_EMPTY_ZIP_BYTES 22u

/** Server-side encryption to request on upload. Caller storage. */
struct al_asset_sse {
    char algorithm[32];    /* "AES256", "aws:kms", or "" to leave it to the bucket */
    char kms_key_id[2048]; /* with aws:kms when the bucket names a key, else "" */
};

/**
 * Reads the bucket's default encryption (GetBucketEncryption) into out. A
 * bucket without a configuration, or an answer we may not read, leaves out
 * empty (the bucket's own default then applies), with a debug line.
 * @param region the bucket's region, NULL = the context's (borrowed)
 * @return 0, or -1 only for a local failure (out of memory)
 */
int al_asset_bucket_encryption(struct al_aws_ctx *ctx,
                               const char *bucket,
                               const char *region,
                               struct al_asset_sse *out);

/**
 * Is the object already published? ListObjectsV2 with prefix = key and
 * max-keys = 1: true when the first key is exactly key, and, for a ".zip"
 * key, larger than AL_ASSET_EMPTY_ZIP_BYTES. Borrows everything.
 * @return 0 (*exists set) or -1 (the S3 error)
 */
int al_asset_exists(struct al_aws_ctx *ctx,
                    const char *bucket,
                    const char *key,
                    const char *region,
                    bool *exists);

/**
 * Uploads a package with one PutObject streamed from its file: its
 * Content-Type, the encryption in sse (may be NULL), x-amz-checksum-sha256
 * and the SHA-256 as the signed payload hash. Borrows everything.
 * @return 0 or -1 (the S3 error)
 */
int al_asset_upload(struct al_aws_ctx *ctx,
                    const char *bucket,
                    const char *key,
                    const char *region,
                    const struct al_asset_package *pkg,
                    const struct al_asset_sse *sse);

/**
 * Uploads len bytes from memory the same way (a template kept in memory).
 * Borrows everything. @return 0 or -1.
 */
int al_asset_upload_bytes(struct al_aws_ctx *ctx,
                          const char *bucket,
                          const char *key,
                          const char *region,
                          const char *data,
                          size_t len,
                          const char *content_type,
                          const struct al_asset_sse *sse);

#endif
