/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/assets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/asset_zip.h"
#include "deploy/mime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

/* A new empty file "work_dir/asset-XXXXXX.zip"; its path goes to *out. */
static int s_temp_zip(const char *work_dir, char **out)
{
    struct al_buf b;
    int fd;

    *out = NULL;
    al_buf_init(&b, 4096);
    if (al_buf_printf(&b, "%s/asset-XXXXXX.zip", work_dir)) {
        al_buf_clean_up(&b);
        return -1;
    }
    if ((fd = mkstemps(b.data, 4)) < 0) {
        al_raise(AL_ERR_IO, "cannot create a zip in %s: %s", work_dir, strerror(errno));
        al_buf_clean_up(&b);
        return -1;
    }
    close(fd);
    if (!(*out = al_buf_detach(&b))) {
        unlink(b.data);
        return -1;
    }
    return 0;
}

int al_asset_package(const struct al_asm_file_asset *asset,
                     const char *work_dir,
                     struct al_asset_package *out)
{
    uint8_t md5[AL_MD5_LEN], sha[AL_SHA256_LEN];
    struct stat st;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (asset->zip) {
        if (!work_dir || !*work_dir) {
            al_raise(AL_ERR_INTERNAL, "no work directory to zip asset %s into", asset->id);
            goto cleanup;
        }
        if (s_temp_zip(work_dir, &out->path))
            goto cleanup;
        out->temporary = true;
        if (al_zip_dir(asset->source_path, out->path, NULL)) {
            al_raise_context("asset '%.100s'", asset->id);
            goto cleanup;
        }
        out->content_type = "application/zip";
    } else {
        if (stat(asset->source_path, &st) != 0 || !S_ISREG(st.st_mode)) {
            al_raise(AL_ERR_USAGE,
                     "asset '%.100s': %.300s is not a regular file",
                     asset->id,
                     asset->source_path);
            goto cleanup;
        }
        if ((uint64_t)st.st_size > AL_ASSET_FILE_MAX_BYTES) {
            al_raise(AL_ERR_USAGE,
                     "asset '%.100s': %.300s is %lld bytes, over the %llu-byte limit of one "
                     "S3 upload",
                     asset->id,
                     asset->source_path,
                     (long long)st.st_size,
                     (unsigned long long)AL_ASSET_FILE_MAX_BYTES);
            goto cleanup;
        }
        if (!(out->path = al_strdup(asset->source_path)))
            goto cleanup;
        out->content_type = al_mime_type(asset->source_path);
    }
    if (al_hash_file(out->path, md5, sha, &out->size))
        goto cleanup;
    al_hex(md5, AL_MD5_LEN, out->md5_hex);
    al_hex(sha, AL_SHA256_LEN, out->sha256_hex);
    rc = 0;
cleanup:
    if (rc)
        al_asset_package_clean_up(out);
    return rc;
}

void al_asset_package_clean_up(struct al_asset_package *p)
{
    if (!p)
        return;
    if (p->temporary && p->path)
        unlink(p->path);
    free(p->path);
    memset(p, 0, sizeof(*p));
}
