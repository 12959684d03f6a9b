/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "aws/s3.h"
#include "aws/xml.h"
#include "http/script.h"
#include "test_s3_fake.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

struct s_fix {
    struct al_http_script *script;
    struct al_http_options opts;
    struct al_endpoint_config ep;
    struct al_http_engine *engine;
    struct al_creds *creds;
    struct al_aws_ctx *ctx;
    struct fake_s3 *fake;
};

static int s_setup(struct s_fix *f, unsigned concurrency)
{
    struct al_creds_config cc = { 0 };
    memset(f, 0, sizeof(*f));
    f->script = al_http_script_new();
    f->fake = calloc(1, sizeof(*f->fake));
    fake_s3_init(f->fake, "site");
    al_http_script_set_handler(f->script, fake_s3_handler, f->fake);
    f->opts.transport_factory = al_http_script_factory;
    f->opts.transport_arg = f->script;
    f->opts.backoff_base_ms = 1;
    f->opts.backoff_cap_ms = 2;
    f->opts.max_concurrency = concurrency;
    f->ep.region = "ap-northeast-1";
    f->ep.env_endpoint_url = "http://127.0.0.1:9";
    cc.env_access_key_id = "AKIDS3TEST0000000001";
    cc.env_secret_access_key = "s3/test/secret";
    al_clock_pin(T0);
    f->engine = al_http_engine_new(&f->opts);
    f->creds = al_creds_new(&cc, &f->ep, &f->opts);
    f->ctx = f->engine && f->creds ? al_aws_ctx_new(f->engine, f->creds, &f->ep) : NULL;
    return f->ctx ? 0 : -1;
}

static void s_teardown(struct s_fix *f)
{
    al_aws_ctx_free(f->ctx);
    al_creds_free(f->creds);
    al_http_engine_free(f->engine);
    al_http_script_free(f->script);
    fake_s3_clean_up(f->fake);
    free(f->fake);
    al_clock_pin(0);
}

static void s_md5_b64(const void *data, size_t n, char out[32])
{
    uint8_t md5[AL_MD5_LEN];
    struct al_buf b;
    al_md5(data, n, md5);
    al_buf_init(&b, 31);
    al_base64(&b, md5, AL_MD5_LEN);
    snprintf(out, 32, "%s", al_buf_str(&b));
    al_buf_clean_up(&b);
}

static void s_hex_sha(const void *data, size_t n, char out[65])
{
    uint8_t d[AL_SHA256_LEN];
    al_sha256(data, n, d);
    al_hex(d, AL_SHA256_LEN, out);
}

TEST(s3_put_object_sends_metadata_and_digests)
{
    struct s_fix f;
    struct al_s3_put p = { 0 };
    const char *body = "<!doctype html><p>hi</p>";
    char md5hex[33], sha[65], b64[32], etag[AL_S3_ETAG_MAX];
    uint8_t md5[AL_MD5_LEN];
    const struct al_http_script_request *r;

    ASSERT_OK(s_setup(&f, 4));
    al_md5(body, strlen(body), md5);
    al_hex(md5, AL_MD5_LEN, md5hex);
    s_hex_sha(body, strlen(body), sha);
    p.bucket = "site";
    p.key = "dir/a b+c#?&=%~'.html";
    p.body.kind = AL_HTTP_BODY_MEMORY;
    p.body.data = body;
    p.body.len = strlen(body);
    p.meta.content_type = "text/html; charset=utf-8";
    p.meta.cache_control = "no-cache";
    p.meta.sha256_hex = sha;
    p.md5_hex = md5hex;
    p.payload_sha256 = sha;
    p.if_none_match = true;
    ASSERT_OK(al_s3_put_object(f.ctx, &p, etag));
    ASSERT_STR_EQ(etag, md5hex);
    r = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(r->method, "PUT");
    ASSERT_STR_EQ(r->url, "http://127.0.0.1:9/site/dir/a%20b%2Bc%23%3F%26%3D%25~%27.html");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "content-type"), "text/html; charset=utf-8");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "cache-control"), "no-cache");
    s_md5_b64(body, strlen(body), b64);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "content-md5"), b64);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-meta-sha256"), sha);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-content-sha256"), sha);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "if-none-match"), "*");
    /* Every header we add is signed (Cache-Control is one the SDKs leave out). */
    ASSERT_CONTAINS(al_http_headers_get(&r->headers, "authorization"),
                    "SignedHeaders=content-md5;content-type;host;if-none-match;"
                    "x-amz-content-sha256;x-amz-date;x-amz-meta-sha256");
    ASSERT_STR_EQ(fake_s3_get(f.fake, "dir/a b+c#?&=%~'.html")->body, body);
    /* The key now exists: If-None-Match makes a second create fail with 412. */
    ASSERT_FAILS(al_s3_put_object(f.ctx, &p, NULL));
    ASSERT_INT_EQ(al_error_last()->http_status, 412);
    ASSERT_STR_EQ(al_error_last()->aws_code, "PreconditionFailed");
    s_teardown(&f);
}

TEST(s3_list_paginates_and_decodes_url_keys)
{
    struct s_fix f;
    struct al_s3_listing l;
    const char *keys[] = { "app/a b.txt", "app/c+d.txt",     "app/e%f.txt", "app/\xc3\xa9.txt",
                           "app/~x",      "app/sub/deep.js", "other/no.txt" };
    ASSERT_OK(s_setup(&f, 4));
    f.fake->page_size = 2;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        fake_s3_put(f.fake, keys[i], "x");
    al_s3_listing_init(&l);
    ASSERT_OK(al_s3_list_objects(f.ctx, "site", "app/", &l));
    ASSERT_INT_EQ(l.len, 6);
    ASSERT_INT_EQ(fake_s3_count(f.fake, "ListObjectsV2"), 3);
    /* Byte order: ' ' < '+' < '%'? No: '%' (0x25) < '+' (0x2b); ' ' (0x20) first. */
    ASSERT_STR_EQ(l.items[0].key, "app/a b.txt");
    ASSERT_STR_EQ(l.items[1].key, "app/c+d.txt");
    ASSERT_STR_EQ(l.items[2].key, "app/e%f.txt");
    ASSERT_STR_EQ(l.items[3].key, "app/sub/deep.js");
    ASSERT_STR_EQ(l.items[4].key, "app/~x");
    ASSERT_STR_EQ(l.items[5].key, "app/\xc3\xa9.txt");
    ASSERT_INT_EQ(l.items[0].size, 1);
    ASSERT_INT_EQ(strlen(l.items[0].etag), 32);
    ASSERT_CONTAINS(al_http_script_request(f.script, 0)->url,
                    "?encoding-type=url&list-type=2&prefix=app%2F");
    ASSERT_CONTAINS(al_http_script_request(f.script, 1)->url, "continuation-token=tok-2");
    al_s3_listing_clean_up(&l);
    s_teardown(&f);
}

TEST(s3_list_keeps_raw_keys_when_the_server_ignores_encoding)
{
    struct s_fix f;
    struct al_s3_listing l;
    ASSERT_OK(s_setup(&f, 4));
    f.fake->raw_keys = true; /* s3rver: no EncodingType in the answer */
    fake_s3_put(f.fake, "a+b%41 c&d.txt", "x");
    al_s3_listing_init(&l);
    ASSERT_OK(al_s3_list_objects(f.ctx, "site", NULL, &l));
    ASSERT_INT_EQ(l.len, 1);
    ASSERT_STR_EQ(l.items[0].key, "a+b%41 c&d.txt");
    al_s3_listing_clean_up(&l);
    s_teardown(&f);
}

TEST(s3_list_refuses_a_repeated_token)
{
    struct s_fix f;
    struct al_s3_listing l;
    const char *page = "<ListBucketResult><IsTruncated>true</IsTruncated>"
                       "<NextContinuationToken>same</NextContinuationToken>"
                       "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";
    ASSERT_OK(s_setup(&f, 4));
    al_http_script_respond(f.script, 200, NULL, page);
    al_http_script_respond(f.script, 200, NULL, page);
    al_s3_listing_init(&l);
    ASSERT_FAILS(al_s3_list_objects(f.ctx, "site", NULL, &l));
    ASSERT_CONTAINS(al_error_last()->msg, "same continuation token");
    ASSERT_INT_EQ(al_http_script_count(f.script), 2);
    al_s3_listing_clean_up(&l);
    s_teardown(&f);
}

TEST(s3_delete_objects_batches_of_1000_with_content_md5)
{
    struct s_fix f;
    struct al_s3_delete_result res;
    char **keys = calloc(2500, sizeof(*keys));
    size_t batches = 0, in_bodies = 0;
    ASSERT_OK(s_setup(&f, 8));
    for (size_t i = 0; i < 2500; i++) {
        char k[64];
        snprintf(k, sizeof(k), "old/%04zu & <x>.js", i);
        keys[i] = strdup(k);
        fake_s3_put(f.fake, k, "x");
    }
    fake_s3_put(f.fake, "keep.html", "x");
    f.fake->deny_delete = "old/1234 & <x>.js";
    al_s3_delete_result_init(&res);
    ASSERT_FAILS(al_s3_delete_objects(f.ctx, "site", (const char *const *)keys, 2500, &res));
    ASSERT_CONTAINS(al_error_last()->msg, "1 of 2500 keys");
    ASSERT_CONTAINS(al_error_last()->msg, "old/1234 & <x>.js");
    ASSERT_INT_EQ(res.deleted, 2499);
    ASSERT_INT_EQ(res.n_errors, 1);
    ASSERT_STR_EQ(res.errors[0].key, "old/1234 & <x>.js");
    ASSERT_STR_EQ(res.errors[0].code, "AccessDenied");
    for (size_t i = 0; i < al_http_script_count(f.script); i++) {
        const struct al_http_script_request *r = al_http_script_request(f.script, i);
        struct al_xml_doc *doc = NULL;
        char b64[32];
        ASSERT_STR_EQ(r->method, "POST");
        ASSERT_CONTAINS(r->url, "?delete=");
        s_md5_b64(r->body.data, r->body.len, b64);
        ASSERT_STR_EQ(al_http_headers_get(&r->headers, "content-md5"), b64);
        ASSERT_OK(al_xml_parse(r->body.data, r->body.len, NULL, &doc));
        ASSERT_STR_EQ(al_xml_text(al_xml_root(doc), "Quiet"), "true");
        ASSERT(al_xml_count(al_xml_root(doc), "Object") <= 1000);
        in_bodies += al_xml_count(al_xml_root(doc), "Object");
        al_xml_doc_free(doc);
        batches++;
    }
    ASSERT_INT_EQ(batches, 3);
    ASSERT_INT_EQ(in_bodies, 2500);
    ASSERT_INT_EQ(f.fake->n_objs, 2); /* keep.html and the denied key */
    al_s3_delete_result_clean_up(&res);
    for (size_t i = 0; i < 2500; i++)
        free(keys[i]);
    free(keys);
    s_teardown(&f);
}

TEST(s3_delete_objects_failed_batch_lists_its_keys)
{
    struct s_fix f;
    struct al_s3_delete_result res;
    const char *keys[] = { "a", "b" };
    ASSERT_OK(s_setup(&f, 4));
    al_http_script_respond(
      f.script, 403, NULL, "<Error><Code>AccessDenied</Code><Message>denied</Message></Error>");
    al_s3_delete_result_init(&res);
    ASSERT_FAILS(al_s3_delete_objects(f.ctx, "site", keys, 2, &res));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT_INT_EQ(res.deleted, 0);
    ASSERT_INT_EQ(res.n_errors, 2);
    ASSERT_STR_EQ(res.errors[1].key, "b");
    ASSERT_STR_EQ(res.errors[1].code, "AccessDenied");
    al_s3_delete_result_clean_up(&res);
    s_teardown(&f);
}

TEST(s3_copy_replaces_metadata_and_fails_on_error_in_200)
{
    struct s_fix f;
    struct al_s3_copy c = { 0 };
    char etag[AL_S3_ETAG_MAX];
    const struct al_http_script_request *r;
    ASSERT_OK(s_setup(&f, 4));
    fake_s3_put(f.fake, "blobs/ab cd", "content");
    c.src_bucket = "site";
    c.src_key = "blobs/ab cd";
    c.bucket = "site";
    c.key = "index.html";
    c.replace_meta = true;
    c.meta.content_type = "text/html";
    c.meta.cache_control = "no-cache";
    ASSERT_OK(al_s3_copy_object(f.ctx, &c, etag));
    r = al_http_script_request(f.script, 0);
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-copy-source"), "site/blobs/ab%20cd");
    ASSERT_STR_EQ(al_http_headers_get(&r->headers, "x-amz-metadata-directive"), "REPLACE");
    ASSERT_STR_EQ(fake_s3_get(f.fake, "index.html")->content_type, "text/html");
    ASSERT_STR_EQ(fake_s3_get(f.fake, "index.html")->cache_control, "no-cache");
    ASSERT_STR_EQ(etag, fake_s3_get(f.fake, "blobs/ab cd")->md5);
    /* A copy that fails after S3 answered 200: an error, retried as InternalError is. */
    for (int i = 0; i < 3; i++)
        al_http_script_respond(f.script,
                               200,
                               NULL,
                               "\n\n<Error><Code>InternalError</Code><Message>late</Message>"
                               "</Error>");
    ASSERT_FAILS(al_s3_copy_object(f.ctx, &c, etag));
    ASSERT_STR_EQ(al_error_last()->aws_code, "InternalError");
    ASSERT_INT_EQ(al_http_script_count(f.script), 4);
    s_teardown(&f);
}

TEST(s3_get_and_head_tell_a_missing_key_from_a_missing_bucket)
{
    struct s_fix f;
    struct al_buf out;
    struct al_s3_head h;
    bool found = true;
    ASSERT_OK(s_setup(&f, 4));
    fake_s3_put(f.fake, "current.json", "{\"version\":\"v1\"}");
    al_buf_init(&out, 1024);
    ASSERT_OK(al_s3_get_object(f.ctx, "site", "current.json", 0, &out, &found));
    ASSERT(found);
    ASSERT_STR_EQ(al_buf_str(&out), "{\"version\":\"v1\"}");
    ASSERT_OK(al_s3_get_object(f.ctx, "site", "absent.json", 0, &out, &found));
    ASSERT(!found);
    ASSERT_FAILS(al_s3_get_object(f.ctx, "site", "absent.json", 0, &out, NULL));
    ASSERT_FAILS(al_s3_get_object(f.ctx, "nobucket", "current.json", 0, &out, &found));
    ASSERT_STR_EQ(al_error_last()->aws_code, "NoSuchBucket");
    /* The cap applies. */
    ASSERT_FAILS(al_s3_get_object(f.ctx, "site", "current.json", 4, &out, &found));
    ASSERT_OK(al_s3_head_object(f.ctx, "site", "current.json", &h));
    ASSERT(h.found);
    ASSERT_INT_EQ(h.size, 16);
    ASSERT_STR_EQ(h.etag, fake_s3_get(f.fake, "current.json")->md5);
    ASSERT_OK(al_s3_head_object(f.ctx, "site", "nothing", &h));
    ASSERT(!h.found);
    al_buf_clean_up(&out);
    s_teardown(&f);
}

TEST(s3_part_size_fits_10000_parts)
{
    uint64_t MiB = (uint64_t)1 << 20;
    ASSERT_INT_EQ(al_s3_part_size(200 * MiB, 0), 8 * MiB);
    ASSERT_INT_EQ(al_s3_part_size(200 * MiB, 1), 5 * MiB);
    ASSERT(al_s3_part_size(200000 * MiB, 0) * 10000 >= 200000 * MiB);
    ASSERT_INT_EQ(al_s3_part_size(200000 * MiB, 0) % MiB, 0);
    ASSERT_INT_EQ(al_s3_part_size(80000 * MiB, 0), 8 * MiB);
    ASSERT_INT_EQ(al_s3_part_size(80001 * MiB, 0), 9 * MiB);
}

static char *s_big_file(const char *dir, size_t size, char sha_hex[65])
{
    size_t cap = strlen(dir) + 16;
    char *path = malloc(cap);
    char *data = malloc(size);
    FILE *fp;
    snprintf(path, cap, "%s/big.bin", dir);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)(i * 131 + i / 4096);
    fp = fopen(path, "wb");
    fwrite(data, 1, size, fp);
    fclose(fp);
    if (sha_hex)
        s_hex_sha(data, size, sha_hex);
    free(data);
    return path;
}

static uint64_t g_progress;
static void s_progress(void *user, uint64_t bytes)
{
    (void)user;
    g_progress = bytes;
}

TEST(s3_multipart_uploads_parts_in_parallel)
{
    struct s_fix f;
    struct al_s3_put p = { 0 };
    char *dir = al_test_tmpdir(), *path, sha[65], etag[AL_S3_ETAG_MAX];
    size_t size = 11u << 20;
    size_t parts = 0;
    ASSERT_OK(s_setup(&f, 8));
    al_http_script_set_latency(f.script, 3);
    path = s_big_file(dir, size, sha);
    p.bucket = "site";
    p.key = "media/big video.bin";
    p.body.kind = AL_HTTP_BODY_FILE;
    p.body.path = path;
    p.body.length = size;
    p.meta.content_type = "application/octet-stream";
    p.meta.sha256_hex = sha;
    g_progress = 0;
    ASSERT_OK(al_s3_upload_multipart(f.ctx, &p, 5u << 20, s_progress, NULL, etag));
    ASSERT_INT_EQ(g_progress, size);
    ASSERT(strstr(etag, "-3") != NULL);
    ASSERT_STR_EQ(fake_s3_get(f.fake, "media/big video.bin")->etag, etag);
    ASSERT_STR_EQ(fake_s3_get(f.fake, "media/big video.bin")->meta_sha256, sha);
    ASSERT_INT_EQ(fake_s3_get(f.fake, "media/big video.bin")->size, size);
    for (size_t i = 0; i < al_http_script_count(f.script); i++) {
        const struct al_http_script_request *r = al_http_script_request(f.script, i);
        if (!strstr(r->url, "partNumber="))
            continue;
        parts++;
        ASSERT(al_http_headers_get(&r->headers, "content-md5") != NULL);
        /* The part's own SHA-256, not UNSIGNED-PAYLOAD. */
        ASSERT_INT_EQ(strlen(al_http_headers_get(&r->headers, "x-amz-content-sha256")), 64);
    }
    ASSERT_INT_EQ(parts, 3);
    ASSERT(al_http_script_peak_in_flight(f.script) >= 3);
    ASSERT_INT_EQ(fake_s3_count(f.fake, "AbortMultipartUpload"), 0);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
    s_teardown(&f);
}

TEST(s3_multipart_aborts_when_a_part_fails)
{
    struct s_fix f;
    struct al_s3_put p = { 0 };
    char *dir = al_test_tmpdir(), *path;
    size_t size = 6u << 20;
    ASSERT_OK(s_setup(&f, 4));
    path = s_big_file(dir, size, NULL);
    f.fake->fail_key = "big.bin";
    p.bucket = "site";
    p.key = "big.bin";
    p.body.kind = AL_HTTP_BODY_FILE;
    p.body.path = path;
    p.body.length = size;
    ASSERT_FAILS(al_s3_upload_multipart(f.ctx, &p, 0, NULL, NULL, NULL));
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied"); /* the part's error, kept */
    ASSERT_INT_EQ(fake_s3_count(f.fake, "AbortMultipartUpload"), 1);
    ASSERT_INT_EQ(fake_s3_count(f.fake, "CompleteMultipartUpload"), 0);
    ASSERT(fake_s3_get(f.fake, "big.bin") == NULL);
    /* s3rver answers the abort 405: the upload still fails with the part's error. */
    f.fake->abort_unsupported = true;
    ASSERT_FAILS(al_s3_upload_multipart(f.ctx, &p, 0, NULL, NULL, NULL));
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied");
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
    s_teardown(&f);
}

static int s_build_put(void *user, size_t i, struct al_s3_call *q)
{
    static char keys[64][16];
    struct al_s3_put p = { 0 };
    (void)user;
    snprintf(keys[i % 64], sizeof(keys[0]), "k%zu", i);
    p.bucket = "site";
    p.key = keys[i % 64];
    p.body.kind = AL_HTTP_BODY_MEMORY;
    p.body.data = "x";
    p.body.len = 1;
    return al_s3_put_object_call(q, &p);
}

static size_t g_done;
static void s_count_done(void *user, size_t i, struct al_http_response *resp)
{
    (void)user;
    (void)i;
    g_done += !resp->failed;
}

TEST(s3_batch_keeps_its_window_and_stops_on_error)
{
    struct s_fix f;
    struct al_s3_batch b = { 0 };
    struct al_s3_batch_stats st;
    ASSERT_OK(s_setup(&f, 16));
    al_http_script_set_latency(f.script, 2);
    b.n = 40;
    b.window = 5;
    b.build = s_build_put;
    b.done = s_count_done;
    g_done = 0;
    ASSERT_OK(al_s3_batch_run(f.ctx, &b, &st));
    ASSERT_INT_EQ(st.ok, 40);
    ASSERT_INT_EQ(g_done, 40);
    ASSERT(al_http_script_peak_in_flight(f.script) <= 5);
    ASSERT(al_http_script_peak_in_flight(f.script) >= 2);
    /* A failure stops new submissions; those in flight finish. */
    f.fake->fail_key = "k3";
    b.stop_on_error = true;
    ASSERT_FAILS(al_s3_batch_run(f.ctx, &b, &st));
    ASSERT_INT_EQ(st.failed, 1);
    ASSERT(st.not_started > 0);
    ASSERT_CONTAINS(al_error_last()->msg, "1 of 40 calls failed");
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied");
    s_teardown(&f);
}

TEST(s3_get_object_to_a_file)
{
    struct s_fix f;
    char *dir = al_test_tmpdir(), path[4096], *got;
    size_t n = 0;
    bool found = false;
    ASSERT_OK(s_setup(&f, 4));
    fake_s3_put(f.fake, "blobs/abc", "stored bytes\n");
    snprintf(path, sizeof(path), "%s/out.bin", dir);
    ASSERT_OK(al_s3_get_object_to_file(f.ctx, "site", "blobs/abc", path, &found));
    ASSERT(found);
    got = al_test_read_file(path, &n);
    ASSERT_STR_EQ(got, "stored bytes\n");
    free(got);
    ASSERT_OK(al_s3_get_object_to_file(f.ctx, "site", "blobs/none", path, &found));
    ASSERT(!found);
    unlink(path);
    rmdir(dir);
    free(dir);
    s_teardown(&f);
}
