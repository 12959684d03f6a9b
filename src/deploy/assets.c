/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/assets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/xml.h"
#include "deploy/asset_zip.h"
#include "deploy/mime.h"
#include "util/log.h"
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

/* ---- S3: encryption, existence, upload ---- */

/* Answers of ListObjectsV2 (one key) and GetBucketEncryption are small. */
#define ASSET_S3_BODY_MAX ((size_t)256 << 10)

int al_asset_bucket_encryption(struct al_aws_ctx *ctx,
                               const char *bucket,
                               const char *region,
                               struct al_asset_sse *out)
{
    static const struct al_kv q[] = { { "encryption", "" } };
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *d;
    const char *alg, *key;

    memset(out, 0, sizeof(*out));
    al_http_response_init(&resp, ASSET_S3_BODY_MAX);
    spec.service = AL_SVC_S3;
    spec.operation = "GetBucketEncryption";
    spec.bucket = bucket;
    spec.query = q;
    spec.n_query = 1;
    spec.region = region;
    if (al_aws_request(ctx, &spec, &resp)) {
        /* cdk-assets goes on too: the bucket's default encryption applies. */
        al_log_debug("bucket %s: encryption unknown (%s); uploading with the bucket's default",
                     bucket,
                     al_error_last()->msg);
        al_error_clear();
        goto cleanup;
    }
    if (al_xml_parse(al_buf_str(&resp.body), resp.body.len, NULL, &doc)) {
        al_log_debug("bucket %s: unreadable encryption answer (%s)", bucket, al_error_last()->msg);
        al_error_clear();
        goto cleanup;
    }
    d = al_xml_find(al_xml_root(doc), "Rule/ApplyServerSideEncryptionByDefault");
    alg = al_xml_text(d, "SSEAlgorithm");
    key = al_xml_text(d, "KMSMasterKeyID");
    if (alg && (strcmp(alg, "AES256") == 0 || strcmp(alg, "aws:kms") == 0 ||
                strcmp(alg, "aws:kms:dsse") == 0)) {
        snprintf(out->algorithm, sizeof(out->algorithm), "%s", alg);
        if (strcmp(alg, "AES256") != 0 && key && strlen(key) < sizeof(out->kms_key_id))
            snprintf(out->kms_key_id, sizeof(out->kms_key_id), "%s", key);
    }
cleanup:
    al_xml_doc_free(doc);
    al_http_response_clean_up(&resp);
    return 0;
}

int al_asset_exists(struct al_aws_ctx *ctx,
                    const char *bucket,
                    const char *key,
                    const char *region,
                    bool *exists)
{
    const struct al_kv q[] = { { "list-type", "2" }, { "max-keys", "1" }, { "prefix", key } };
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *c;
    const char *k, *size;
    int rc = -1;

    *exists = false;
    al_http_response_init(&resp, ASSET_S3_BODY_MAX);
    spec.service = AL_SVC_S3;
    spec.operation = "ListObjectsV2";
    spec.bucket = bucket;
    spec.query = q;
    spec.n_query = 3;
    spec.region = region;
    if (al_aws_request(ctx, &spec, &resp) ||
        al_xml_parse(al_buf_str(&resp.body), resp.body.len, NULL, &doc))
        goto cleanup;
    c = al_xml_child(al_xml_root(doc), "Contents");
    k = al_xml_text(c, "Key");
    size = al_xml_text(c, "Size");
    if (k && strcmp(k, key) == 0) {
        unsigned long long n = size ? strtoull(size, NULL, 10) : 0;
        *exists = !al_str_suffix(key, ".zip") || n > AL_ASSET_EMPTY_ZIP_BYTES;
    }
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    al_http_response_clean_up(&resp);
    return rc;
}

/* Raw bytes of a lowercase hex digest. */
static int s_unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return al_raise(AL_ERR_INTERNAL, "bad digest '%.80s'", hex);
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int s_put(struct al_aws_ctx *ctx,
                 const char *bucket,
                 const char *key,
                 const char *region,
                 const struct al_http_body *body,
                 const char *sha256_hex,
                 const char *content_type,
                 const struct al_asset_sse *sse)
{
    struct al_kv hdrs[4];
    size_t n = 0;
    uint8_t sha[AL_SHA256_LEN];
    struct al_buf checksum;
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    int rc = -1;

    al_buf_init(&checksum, 64);
    al_http_response_init(&resp, ASSET_S3_BODY_MAX);
    if (s_unhex(sha256_hex, sha, sizeof(sha)) || al_base64(&checksum, sha, sizeof(sha)))
        goto cleanup;
    hdrs[n++] = (struct al_kv){ "Content-Type", content_type };
    hdrs[n++] = (struct al_kv){ "x-amz-checksum-sha256", al_buf_str(&checksum) };
    if (sse && sse->algorithm[0]) {
        hdrs[n++] = (struct al_kv){ "x-amz-server-side-encryption", sse->algorithm };
        if (sse->kms_key_id[0])
            hdrs[n++] =
              (struct al_kv){ "x-amz-server-side-encryption-aws-kms-key-id", sse->kms_key_id };
    }
    spec.service = AL_SVC_S3;
    spec.operation = "PutObject";
    spec.method = "PUT";
    spec.bucket = bucket;
    spec.key = key;
    spec.headers = hdrs;
    spec.n_headers = n;
    spec.body = *body;
    spec.payload_hash = sha256_hex;
    spec.region = region;
    rc = al_aws_request(ctx, &spec, &resp);
cleanup:
    al_buf_clean_up(&checksum);
    al_http_response_clean_up(&resp);
    return rc;
}

int al_asset_upload(struct al_aws_ctx *ctx,
                    const char *bucket,
                    const char *key,
                    const char *region,
                    const struct al_asset_package *pkg,
                    const struct al_asset_sse *sse)
{
    struct al_http_body body = { 0 };
    body.kind = AL_HTTP_BODY_FILE;
    body.path = pkg->path;
    body.length = pkg->size;
    return s_put(ctx, bucket, key, region, &body, pkg->sha256_hex, pkg->content_type, sse);
}

int al_asset_upload_bytes(struct al_aws_ctx *ctx,
                          const char *bucket,
                          const char *key,
                          const char *region,
                          const char *data,
                          size_t len,
                          const char *content_type,
                          const struct al_asset_sse *sse)
{
    struct al_http_body body = { 0 };
    uint8_t sha[AL_SHA256_LEN];
    char hex[AL_SHA256_HEX_LEN + 1];
    if (al_sha256(data, len, sha))
        return -1;
    al_hex(sha, AL_SHA256_LEN, hex);
    body.kind = AL_HTTP_BODY_MEMORY;
    body.data = data;
    body.len = len;
    return s_put(ctx, bucket, key, region, &body, hex, content_type, sse);
}
