/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File assets of a cloud assembly, as cdk-assets publishes them. This part
 * is local: packaging an asset into the bytes to upload (a `zip` directory
 * zipped deterministically by asset_zip, a `file` source as it is) with the
 * upload's size, MD5 and SHA-256 and Content-Type. The S3 side (existence
 * check, upload) lives beside it.
 */
#ifndef AL_DEPLOY_ASSETS_H
#define AL_DEPLOY_ASSETS_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
