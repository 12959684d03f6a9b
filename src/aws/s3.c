/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/s3.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/errors.h"
#include "aws/xml.h"
#include "util/log.h"
#include "util/str.h"

#define HASH_CHUNK ((size_t)256 << 10)
/* A ListObjectsV2 page holds at most 1,000 keys of at most 1 KiB (3 KiB encoded). */
#define LIST_PAGE_MAX ((size_t)8 << 20)
#define TOKEN_MAX ((size_t)8 << 10)
#define DELETE_BODY_MAX ((size_t)4 << 20)
#define COMPLETE_BODY_MAX ((size_t)2 << 20)
#define MiB ((uint64_t)1 << 20)

/* ---- small helpers ---- */

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Base64 of the 16 bytes an MD5 hex string stands for, into out (at least 25 bytes). */
static int s_md5_b64(const char *md5_hex, char out[32])
{
    uint8_t raw[AL_MD5_LEN];
    struct al_buf b;
    int rc = -1;
    if (strlen(md5_hex) != AL_MD5_HEX_LEN)
        return al_raise(AL_ERR_INTERNAL, "MD5 hex '%.40s' is not 32 characters", md5_hex);
    for (size_t i = 0; i < AL_MD5_LEN; i++) {
        int hi = s_hexval(md5_hex[2 * i]), lo = s_hexval(md5_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return al_raise(AL_ERR_INTERNAL, "MD5 hex '%.40s' is not hex", md5_hex);
        raw[i] = (uint8_t)(hi * 16 + lo);
    }
    al_buf_init(&b, 31);
    if (al_base64(&b, raw, sizeof(raw)) == 0) {
        memcpy(out, b.data, b.len + 1);
        rc = 0;
    }
    al_buf_clean_up(&b);
    return rc;
}

/* Copies an ETag without its surrounding quotes; "" when absent or too long. */
static void s_unquote(const char *in, size_t n, char out[AL_S3_ETAG_MAX])
{
    out[0] = '\0';
    if (!in)
        return;
    while (n && (*in == ' ' || *in == '\t'))
        in++, n--;
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n >= 2 && in[0] == '"' && in[n - 1] == '"')
        in++, n -= 2;
    /* s3rver and some proxies send &quot; entities already decoded; nothing else to undo. */
    if (n >= AL_S3_ETAG_MAX)
        return;
    memcpy(out, in, n);
    out[n] = '\0';
}

static void s_add_header(struct al_s3_call *q, const char *name, const char *value)
{
    if (!value || q->spec.n_headers >= AL_S3_CALL_MAX_HEADERS)
        return;
    q->headers[q->spec.n_headers].name = name;
    q->headers[q->spec.n_headers].value = value;
    q->spec.n_headers++;
}

static void s_add_query(struct al_s3_call *q, const char *name, const char *value)
{
    if (q->spec.n_query >= AL_S3_CALL_MAX_QUERY)
        return;
    q->query[q->spec.n_query].name = name;
    q->query[q->spec.n_query].value = value ? value : "";
    q->spec.n_query++;
}

static void s_meta_headers(struct al_s3_call *q, const struct al_s3_object_meta *m)
{
    s_add_header(q, "Content-Type", m->content_type);
    s_add_header(q, "Cache-Control", m->cache_control);
    s_add_header(q, AL_S3_META_SHA256, m->sha256_hex);
}

static int s_base(struct al_s3_call *q,
                  const char *operation,
                  const char *method,
                  const char *bucket,
                  const char *key)
{
    al_s3_call_clean_up(q);
    if (!bucket || !*bucket)
        return al_raise(AL_ERR_INTERNAL, "s3 %s without a bucket", operation);
    q->spec.service = AL_SVC_S3;
    q->spec.operation = operation;
    q->spec.method = method;
    q->spec.bucket = bucket;
    q->spec.key = key;
    q->spec.headers = q->headers;
    q->spec.query = q->query;
    return 0;
}

/* ---- call builders ---- */

void al_s3_call_init(struct al_s3_call *q)
{
    memset(q, 0, sizeof(*q));
    al_buf_init(&q->body, 1);
}

void al_s3_call_clean_up(struct al_s3_call *q)
{
    if (!q)
        return;
    free(q->copy_source);
    al_buf_clean_up(&q->body);
    al_s3_call_init(q);
}

int al_s3_put_object_call(struct al_s3_call *q, const struct al_s3_put *p)
{
    if (s_base(q, "PutObject", "PUT", p->bucket, p->key))
        return -1;
    if (!p->key || !*p->key)
        return al_raise(AL_ERR_INTERNAL, "s3 PutObject without a key");
    q->spec.body = p->body;
    q->spec.payload_hash = p->payload_sha256;
    s_meta_headers(q, &p->meta);
    if (p->md5_hex) {
        if (s_md5_b64(p->md5_hex, q->md5_b64))
            return -1;
        s_add_header(q, "Content-MD5", q->md5_b64);
    }
    if (p->if_none_match)
        s_add_header(q, "If-None-Match", "*");
    return 0;
}

int al_s3_get_object_call(struct al_s3_call *q,
                          const char *bucket,
                          const char *key,
                          const char *download_path)
{
    if (s_base(q, "GetObject", "GET", bucket, key))
        return -1;
    q->spec.download_path = download_path;
    q->spec.ok_status = 404;
    return 0;
}

int al_s3_head_object_call(struct al_s3_call *q, const char *bucket, const char *key)
{
    if (s_base(q, "HeadObject", "HEAD", bucket, key))
        return -1;
    q->spec.ok_status = 404;
    return 0;
}

int al_s3_delete_object_call(struct al_s3_call *q,
                             const char *bucket,
                             const char *key,
                             const char *if_match)
{
    if (s_base(q, "DeleteObject", "DELETE", bucket, key))
        return -1;
    if (if_match) {
        snprintf(q->if_match, sizeof(q->if_match), "\"%.*s\"", AL_S3_ETAG_MAX - 1, if_match);
        s_add_header(q, "If-Match", q->if_match);
    }
    q->spec.ok_status = 404;
    return 0;
}

int al_s3_list_call(struct al_s3_call *q, const char *bucket, const char *prefix, const char *token)
{
    if (s_base(q, "ListObjectsV2", "GET", bucket, NULL))
        return -1;
    s_add_query(q, "list-type", "2");
    s_add_query(q, "encoding-type", "url");
    if (prefix && *prefix)
        s_add_query(q, "prefix", prefix);
    if (token && *token)
        s_add_query(q, "continuation-token", token);
    return 0;
}

int al_s3_delete_objects_call(struct al_s3_call *q,
                              const char *bucket,
                              const char *const *keys,
                              size_t n)
{
    uint8_t md5[AL_MD5_LEN];
    char hex[AL_MD5_HEX_LEN + 1];

    if (s_base(q, "DeleteObjects", "POST", bucket, NULL))
        return -1;
    if (n == 0 || n > AL_S3_DELETE_BATCH)
        return al_raise(AL_ERR_INTERNAL, "DeleteObjects takes 1 to 1000 keys, not %zu", n);
    al_buf_init(&q->body, DELETE_BODY_MAX);
    if (al_buf_puts(
          &q->body,
          "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (al_buf_puts(&q->body, "<Object><Key>") || al_xml_escape(&q->body, keys[i]) ||
            al_buf_puts(&q->body, "</Key></Object>"))
            return -1;
    if (al_buf_puts(&q->body, "</Delete>") || al_md5(q->body.data, q->body.len, md5))
        return -1;
    al_hex(md5, AL_MD5_LEN, hex);
    if (s_md5_b64(hex, q->md5_b64))
        return -1;
    s_add_query(q, "delete", "");
    s_add_header(q, "Content-Type", "application/xml");
    s_add_header(q, "Content-MD5", q->md5_b64);
    q->spec.body.kind = AL_HTTP_BODY_MEMORY;
    q->spec.body.data = q->body.data;
    q->spec.body.len = q->body.len;
    return 0;
}

/* x-amz-copy-source: bucket/key, the key URL-encoded ('/' kept). */
static int s_copy_source(struct al_s3_call *q, const char *bucket, const char *key)
{
    struct al_buf src;
    if (!bucket || !key || !*key)
        return al_raise(AL_ERR_INTERNAL, "s3 %s without a source", q->spec.operation);
    al_buf_init(&src, 4096);
    if (al_buf_puts(&src, bucket) || al_buf_putc(&src, '/') ||
        al_uri_encode(&src, key, strlen(key), true) || !(q->copy_source = al_buf_detach(&src))) {
        al_buf_clean_up(&src);
        return -1;
    }
    s_add_header(q, "x-amz-copy-source", q->copy_source);
    q->spec.error_in_200 = true;
    return 0;
}

int al_s3_copy_object_call(struct al_s3_call *q, const struct al_s3_copy *c)
{
    if (s_base(q, "CopyObject", "PUT", c->bucket, c->key))
        return -1;
    if (!c->key)
        return al_raise(AL_ERR_INTERNAL, "s3 CopyObject without a key");
    if (s_copy_source(q, c->src_bucket, c->src_key))
        return -1;
    if (c->replace_meta) {
        s_add_header(q, "x-amz-metadata-directive", "REPLACE");
        s_meta_headers(q, &c->meta);
    }
    return 0;
}

int al_s3_create_multipart_call(struct al_s3_call *q, const struct al_s3_put *p)
{
    if (s_base(q, "CreateMultipartUpload", "POST", p->bucket, p->key))
        return -1;
    s_add_query(q, "uploads", "");
    s_meta_headers(q, &p->meta);
    return 0;
}

/* The part's bucket, key, number and upload id. */
static int s_part_base(struct al_s3_call *q, const char *operation, const struct al_s3_part *p)
{
    if (s_base(q, operation, "PUT", p->bucket, p->key))
        return -1;
    if (p->number < 1 || p->number > AL_S3_MAX_PARTS || !p->upload_id)
        return al_raise(
          AL_ERR_INTERNAL, "s3 %s: part %u or upload id invalid", operation, p->number);
    snprintf(q->number, sizeof(q->number), "%u", p->number);
    s_add_query(q, "partNumber", q->number);
    s_add_query(q, "uploadId", p->upload_id);
    return 0;
}

int al_s3_upload_part_copy_call(struct al_s3_call *q,
                                const struct al_s3_part *p,
                                const char *src_bucket,
                                const char *src_key,
                                uint64_t offset,
                                uint64_t length)
{
    if (length == 0 || offset > UINT64_MAX - length)
        return al_raise(AL_ERR_INTERNAL, "s3 UploadPartCopy of an empty or impossible range");
    if (s_part_base(q, "UploadPartCopy", p) || s_copy_source(q, src_bucket, src_key))
        return -1;
    snprintf(q->range, sizeof(q->range), "bytes=%" PRIu64 "-%" PRIu64, offset, offset + length - 1);
    s_add_header(q, "x-amz-copy-source-range", q->range);
    return 0;
}

int al_s3_upload_part_call(struct al_s3_call *q, const struct al_s3_part *p)
{
    if (s_part_base(q, "UploadPart", p))
        return -1;
    q->spec.body = p->body;
    q->spec.payload_hash = p->payload_sha256;
    if (p->md5_hex) {
        if (s_md5_b64(p->md5_hex, q->md5_b64))
            return -1;
        s_add_header(q, "Content-MD5", q->md5_b64);
    }
    return 0;
}

int al_s3_complete_multipart_call(struct al_s3_call *q,
                                  const char *bucket,
                                  const char *key,
                                  const char *upload_id,
                                  const char *const *etags,
                                  size_t n,
                                  bool if_none_match)
{
    if (s_base(q, "CompleteMultipartUpload", "POST", bucket, key))
        return -1;
    if (n == 0 || n > AL_S3_MAX_PARTS)
        return al_raise(AL_ERR_INTERNAL, "CompleteMultipartUpload takes 1 to 10000 parts");
    al_buf_init(&q->body, COMPLETE_BODY_MAX);
    if (al_buf_puts(&q->body,
                    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (al_buf_printf(&q->body, "<Part><PartNumber>%zu</PartNumber><ETag>&quot;", i + 1) ||
            al_xml_escape(&q->body, etags[i] ? etags[i] : "") ||
            al_buf_puts(&q->body, "&quot;</ETag></Part>"))
            return -1;
    if (al_buf_puts(&q->body, "</CompleteMultipartUpload>"))
        return -1;
    s_add_query(q, "uploadId", upload_id);
    s_add_header(q, "Content-Type", "application/xml");
    if (if_none_match)
        s_add_header(q, "If-None-Match", "*");
    q->spec.body.kind = AL_HTTP_BODY_MEMORY;
    q->spec.body.data = q->body.data;
    q->spec.body.len = q->body.len;
    q->spec.error_in_200 = true;
    return 0;
}

int al_s3_abort_multipart_call(struct al_s3_call *q,
                               const char *bucket,
                               const char *key,
                               const char *upload_id)
{
    if (s_base(q, "AbortMultipartUpload", "DELETE", bucket, key))
        return -1;
    s_add_query(q, "uploadId", upload_id);
    return 0;
}

/* ---- parsers ---- */

void al_s3_etag(const struct al_http_response *r, char out[AL_S3_ETAG_MAX])
{
    const char *v = al_http_response_header(r, "etag");
    s_unquote(v, v ? strlen(v) : 0, out);
}

int al_s3_parse_found(const struct al_http_response *r, bool *found)
{
    struct al_aws_error_info info;
    *found = true;
    if (r->status != 404)
        return 0;
    al_aws_error_parse(r, &info);
    /* HEAD answers carry no body: a 404 there can only mean "no such key". */
    if (r->body.len == 0 || strcmp(info.code, "NoSuchKey") == 0) {
        *found = false;
        return 0;
    }
    return al_aws_error_raise("s3", "GetObject", r->status, &info);
}

static void s_copy_header(const struct al_http_response *r, const char *name, char *out, size_t cap)
{
    const char *v = al_http_response_header(r, name);
    out[0] = '\0';
    if (v && strlen(v) < cap)
        memcpy(out, v, strlen(v) + 1);
}

static bool s_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s_hexval(s[i]) < 0)
            return false;
    return s[n] == '\0';
}

int al_s3_parse_head(const struct al_http_response *r, struct al_s3_head *out)
{
    const char *len;
    char *end;
    memset(out, 0, sizeof(*out));
    if (r->status == 404)
        return 0;
    out->found = true;
    len = al_http_response_header(r, "content-length");
    if (len) {
        errno = 0;
        out->size = strtoull(len, &end, 10);
        if (errno || end == len || *end)
            return al_raise(
              AL_ERR_PARSE, "s3 HeadObject: Content-Length '%.40s' is not a number", len);
    }
    al_s3_etag(r, out->etag);
    s_copy_header(r, "content-type", out->content_type, sizeof(out->content_type));
    s_copy_header(r, "cache-control", out->cache_control, sizeof(out->cache_control));
    s_copy_header(r, AL_S3_META_SHA256, out->sha256_hex, sizeof(out->sha256_hex));
    if (!s_is_hex(out->sha256_hex, AL_SHA256_HEX_LEN))
        out->sha256_hex[0] = '\0';
    return 0;
}

static int s_parse_doc(const struct al_http_response *r,
                       const char *op,
                       const char *root_name,
                       struct al_xml_doc **doc,
                       const struct al_xml_node **root)
{
    if (al_xml_parse(r->body.data ? r->body.data : "", r->body.len, NULL, doc))
        return al_raise_context("s3 %s answer", op);
    *root = al_xml_root(*doc);
    if (!*root || strcmp((*root)->name, root_name) != 0)
        return al_raise(AL_ERR_PARSE,
                        "s3 %s answered <%.64s>, not <%s>",
                        op,
                        *root ? (*root)->name : "",
                        root_name);
    return 0;
}

static int s_listing_push(struct al_s3_listing *l, char *key, uint64_t size, const char *etag)
{
    struct al_s3_object *o;
    if (l->len >= AL_S3_LIST_MAX_OBJECTS) {
        free(key);
        return al_raise(
          AL_ERR_LIMIT, "s3 listing holds more than %u objects", AL_S3_LIST_MAX_OBJECTS);
    }
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct al_s3_object *p = realloc(l->items, cap * sizeof(*p));
        if (!p) {
            free(key);
            return al_raise(AL_ERR_NOMEM, "out of memory");
        }
        l->items = p;
        l->cap = cap;
    }
    o = &l->items[l->len++];
    o->key = key;
    o->size = size;
    s_unquote(etag, etag ? strlen(etag) : 0, o->etag);
    return 0;
}

int al_s3_parse_list_page(const struct al_http_response *r,
                          struct al_s3_listing *out,
                          struct al_buf *next_token)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root, *c;
    const char *enc, *trunc, *tok;
    bool url;
    struct al_buf key;
    int rc = -1;

    al_buf_reset(next_token);
    al_buf_init(&key, 4096);
    if (s_parse_doc(r, "ListObjectsV2", "ListBucketResult", &doc, &root))
        goto cleanup;
    enc = al_xml_text(root, "EncodingType");
    url = enc && strcmp(enc, "url") == 0;
    for (c = al_xml_child(root, "Contents"); c; c = al_xml_next_same(c)) {
        const struct al_xml_node *k = al_xml_child(c, "Key");
        const char *size = al_xml_text(c, "Size");
        char *end;
        unsigned long long sz;
        if (!k || !size) {
            al_raise(AL_ERR_PARSE, "s3 ListObjectsV2: a <Contents> without Key or Size");
            goto cleanup;
        }
        errno = 0;
        sz = strtoull(size, &end, 10);
        if (errno || end == size || *end) {
            al_raise(AL_ERR_PARSE, "s3 ListObjectsV2: Size '%.40s' is not a number", size);
            goto cleanup;
        }
        al_buf_reset(&key);
        if (url ? al_uri_decode(&key, k->text, k->text_len, true)
                : al_buf_append(&key, k->text, k->text_len)) {
            al_raise_context("s3 ListObjectsV2 key '%.200s'", k->text);
            goto cleanup;
        }
        {
            char *dup = al_strndup(key.data ? key.data : "", key.len);
            if (!dup || s_listing_push(out, dup, sz, al_xml_text(c, "ETag")))
                goto cleanup;
        }
    }
    trunc = al_xml_text(root, "IsTruncated");
    if (trunc && strcmp(trunc, "true") == 0) {
        tok = al_xml_text(root, "NextContinuationToken");
        if (!tok || !*tok) {
            al_raise(AL_ERR_PARSE,
                     "s3 ListObjectsV2: a truncated page without NextContinuationToken");
            goto cleanup;
        }
        if (al_buf_puts(next_token, tok))
            goto cleanup;
    }
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    al_buf_clean_up(&key);
    return rc;
}

char *al_s3_parse_upload_id(const struct al_http_response *r)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root;
    const char *id;
    char *out = NULL;
    if (s_parse_doc(r, "CreateMultipartUpload", "InitiateMultipartUploadResult", &doc, &root))
        goto cleanup;
    id = al_xml_text(root, "UploadId");
    if (!id || !*id || strlen(id) > 1024) {
        al_raise(AL_ERR_PARSE, "s3 CreateMultipartUpload answered no usable UploadId");
        goto cleanup;
    }
    out = al_strdup(id);
cleanup:
    al_xml_doc_free(doc);
    return out;
}

static int s_delete_error(struct al_s3_delete_result *d,
                          const char *key,
                          const char *code,
                          const char *message)
{
    struct al_s3_key_error *e;
    if (d->n_errors == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct al_s3_key_error *p = realloc(d->errors, cap * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        d->errors = p;
        d->cap = cap;
    }
    e = &d->errors[d->n_errors];
    memset(e, 0, sizeof(*e));
    if (!(e->key = al_strdup(key ? key : "")))
        return -1;
    snprintf(e->code, sizeof(e->code), "%s", code && *code ? code : "Unknown");
    snprintf(e->message, sizeof(e->message), "%s", message ? message : "");
    d->n_errors++;
    return 0;
}

int al_s3_parse_delete(const struct al_http_response *r,
                       size_t n_sent,
                       struct al_s3_delete_result *out)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root, *e;
    size_t errors = 0;
    int rc = -1;
    if (s_parse_doc(r, "DeleteObjects", "DeleteResult", &doc, &root))
        goto cleanup;
    for (e = al_xml_child(root, "Error"); e; e = al_xml_next_same(e)) {
        if (s_delete_error(
              out, al_xml_text(e, "Key"), al_xml_text(e, "Code"), al_xml_text(e, "Message")))
            goto cleanup;
        errors++;
    }
    out->deleted += errors < n_sent ? n_sent - errors : 0;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    return rc;
}

int al_s3_parse_result_etag(const struct al_http_response *r, char out[AL_S3_ETAG_MAX])
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root;
    int rc = -1;
    out[0] = '\0';
    if (al_xml_parse(r->body.data ? r->body.data : "", r->body.len, NULL, &doc))
        return al_raise_context("s3 result");
    root = al_xml_root(doc);
    if (root &&
        (strcmp(root->name, "CopyObjectResult") == 0 || strcmp(root->name, "CopyPartResult") == 0 ||
         strcmp(root->name, "CompleteMultipartUploadResult") == 0)) {
        const char *etag = al_xml_text(root, "ETag");
        s_unquote(etag, etag ? strlen(etag) : 0, out);
        rc = 0;
    } else {
        al_raise(
          AL_ERR_PARSE, "s3 answered <%.64s> where a result was expected", root ? root->name : "");
    }
    al_xml_doc_free(doc);
    return rc;
}

/* ---- results ---- */

void al_s3_listing_init(struct al_s3_listing *l)
{
    memset(l, 0, sizeof(*l));
}

void al_s3_listing_clean_up(struct al_s3_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].key);
    free(l->items);
    al_s3_listing_init(l);
}

void al_s3_delete_result_init(struct al_s3_delete_result *d)
{
    memset(d, 0, sizeof(*d));
}

void al_s3_delete_result_clean_up(struct al_s3_delete_result *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_errors; i++)
        free(d->errors[i].key);
    free(d->errors);
    al_s3_delete_result_init(d);
}

/* ---- batches ---- */

/*
 * Slots hold a call's storage. A slot whose done callback is running cannot
 * be reused before the callback returns (the engine borrows its response
 * until then), so it is parked and freed at the next callback or at the end.
 */
struct s_slot {
    struct s_batch *b;
    size_t item;
    bool busy;
    struct al_s3_call q;
    struct al_http_response resp;
};

struct s_batch {
    struct al_aws_ctx *ctx;
    const struct al_s3_batch *spec;
    struct s_slot *slots;
    size_t n_slots, window;
    size_t next, in_flight;
    struct s_slot *parked;
    struct al_s3_batch_stats stats;
    struct al_error first;
    bool has_first;
};

static void s_slot_release(struct s_slot *s)
{
    al_s3_call_clean_up(&s->q);
    al_http_response_clean_up(&s->resp);
    s->busy = false;
}

static void s_unpark(struct s_batch *b)
{
    if (b->parked) {
        s_slot_release(b->parked);
        b->parked = NULL;
    }
}

static void s_item_over(struct s_batch *b, struct s_slot *s)
{
    if (s->resp.failed) {
        b->stats.failed++;
        if (!b->has_first) {
            b->first = s->resp.error;
            b->has_first = true;
        }
    } else {
        b->stats.ok++;
    }
    if (b->spec->done)
        b->spec->done(b->spec->user, s->item, &s->resp);
}

static void s_batch_fill(struct s_batch *b);

static void s_batch_done(void *user, struct al_http_response *resp)
{
    struct s_slot *s = user;
    struct s_batch *b = s->b;
    (void)resp;
    s_unpark(b);
    b->in_flight--;
    s_item_over(b, s);
    b->parked = s;
    s_batch_fill(b);
}

static struct s_slot *s_free_slot(struct s_batch *b)
{
    for (size_t i = 0; i < b->n_slots; i++)
        if (!b->slots[i].busy)
            return &b->slots[i];
    return NULL;
}

/* Submits items while the window has room. */
static void s_batch_fill(struct s_batch *b)
{
    while (b->next < b->spec->n && b->in_flight < b->window) {
        struct s_slot *s;
        if (b->spec->stop_on_error && b->stats.failed)
            break;
        if (!(s = s_free_slot(b)))
            break;
        s->busy = true;
        s->item = b->next++;
        al_s3_call_init(&s->q);
        al_http_response_init(&s->resp, b->spec->max_body);
        if (b->spec->build(b->spec->user, s->item, &s->q) ||
            al_aws_submit(b->ctx, &s->q.spec, &s->resp, s_batch_done, s)) {
            /* Never submitted: report it now and reuse the slot at once. */
            al_http_response_fail(&s->resp);
            s_item_over(b, s);
            s_slot_release(s);
            continue;
        }
        b->in_flight++;
    }
}

int al_s3_batch_run(struct al_aws_ctx *ctx,
                    const struct al_s3_batch *spec,
                    struct al_s3_batch_stats *stats)
{
    struct s_batch b;
    int rc = -1;

    memset(&b, 0, sizeof(b));
    b.ctx = ctx;
    b.spec = spec;
    b.window = spec->window;
    if (!b.window) {
        const struct al_http_options *o = al_http_engine_options(al_aws_ctx_engine(ctx));
        b.window = 2 * (size_t)(o->max_concurrency ? o->max_concurrency : 32);
    }
    if (b.window > spec->n)
        b.window = spec->n ? spec->n : 1;
    b.n_slots = b.window + 1;
    if (spec->n && !(b.slots = calloc(b.n_slots, sizeof(*b.slots)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < b.n_slots && b.slots; i++)
        b.slots[i].b = &b;
    s_batch_fill(&b);
    if (b.in_flight && al_aws_run(ctx)) {
        /*
         * The transport broke: the engine still holds the queued calls and
         * their responses, so the slots are left to it (a leak, not a
         * use after free); the process is about to fail anyway.
         */
        b.slots = NULL;
        goto cleanup;
    }
    s_unpark(&b);
    b.stats.not_started = spec->n - b.next;
    if (b.stats.failed) {
        *al_error_mut() = b.first;
        if (spec->n > 1)
            al_raise_context("%zu of %zu calls failed; the first", b.stats.failed, spec->n);
        goto cleanup;
    }
    rc = 0;
cleanup:
    for (size_t i = 0; b.slots && i < b.n_slots; i++)
        if (b.slots[i].busy)
            s_slot_release(&b.slots[i]);
    free(b.slots);
    if (stats)
        *stats = b.stats;
    return rc;
}

/* ---- synchronous helpers ---- */

/* Reads an answer into out: the helpers' adapters of the public parsers. */
typedef int (*s_parse_fn)(const struct al_http_response *r, void *out);

/*
 * Performs q and reads its answer. built is what q's builder returned (q
 * was initialised before it): on failure nothing is sent. The answer is
 * capped at max_body (0: the engine's default) and handed to parse (NULL:
 * nothing to read). Cleans up q either way.
 */
static int s_sync(struct al_aws_ctx *ctx,
                  struct al_s3_call *q,
                  int built,
                  size_t max_body,
                  s_parse_fn parse,
                  void *out)
{
    struct al_http_response resp;
    int rc = -1;
    al_http_response_init(&resp, max_body);
    if (built == 0 && al_aws_request(ctx, &q->spec, &resp) == 0 &&
        (!parse || parse(&resp, out) == 0))
        rc = 0;
    al_s3_call_clean_up(q);
    al_http_response_clean_up(&resp);
    return rc;
}

/* The ETag header into out, when out is not NULL. */
static int s_parse_etag(const struct al_http_response *r, void *out)
{
    if (out)
        al_s3_etag(r, out);
    return 0;
}

/* The ETag of a CopyObject or CompleteMultipartUpload result, when out is not NULL. */
static int s_parse_result_etag(const struct al_http_response *r, void *out)
{
    return out ? al_s3_parse_result_etag(r, out) : 0;
}

int al_s3_put_object(struct al_aws_ctx *ctx, const struct al_s3_put *p, char etag[AL_S3_ETAG_MAX])
{
    struct al_s3_call q;
    al_s3_call_init(&q);
    return s_sync(ctx, &q, al_s3_put_object_call(&q, p), 0, s_parse_etag, etag);
}

static int s_get(struct al_aws_ctx *ctx,
                 const char *bucket,
                 const char *key,
                 const char *path,
                 size_t max_bytes,
                 struct al_buf *out,
                 bool *found)
{
    struct al_s3_call q;
    struct al_http_response resp;
    bool exists = true;
    int rc = -1;
    al_s3_call_init(&q);
    al_http_response_init(&resp, max_bytes);
    if (al_s3_get_object_call(&q, bucket, key, path) || al_aws_request(ctx, &q.spec, &resp) ||
        al_s3_parse_found(&resp, &exists))
        goto cleanup;
    if (!exists && !found) {
        al_raise(AL_ERR_AWS, "s3 GetObject: s3://%.200s/%.400s does not exist", bucket, key);
        goto cleanup;
    }
    if (found)
        *found = exists;
    if (exists && out && al_buf_append(out, resp.body.data ? resp.body.data : "", resp.body.len))
        goto cleanup;
    rc = 0;
cleanup:
    al_s3_call_clean_up(&q);
    al_http_response_clean_up(&resp);
    return rc;
}

int al_s3_get_object(struct al_aws_ctx *ctx,
                     const char *bucket,
                     const char *key,
                     size_t max_bytes,
                     struct al_buf *out,
                     bool *found)
{
    return s_get(ctx, bucket, key, NULL, max_bytes, out, found);
}

int al_s3_get_object_to_file(struct al_aws_ctx *ctx,
                             const char *bucket,
                             const char *key,
                             const char *path,
                             bool *found)
{
    if (!path)
        return al_raise(AL_ERR_INTERNAL, "s3 GetObject to a file without a path");
    return s_get(ctx, bucket, key, path, 0, NULL, found);
}

static int s_parse_head(const struct al_http_response *r, void *out)
{
    return al_s3_parse_head(r, out);
}

int al_s3_head_object(struct al_aws_ctx *ctx,
                      const char *bucket,
                      const char *key,
                      struct al_s3_head *out)
{
    struct al_s3_call q;
    memset(out, 0, sizeof(*out));
    al_s3_call_init(&q);
    return s_sync(ctx, &q, al_s3_head_object_call(&q, bucket, key), 0, s_parse_head, out);
}

static int s_parse_deleted(const struct al_http_response *r, void *out)
{
    *(bool *)out = r->status != 404;
    return 0;
}

int al_s3_delete_object(struct al_aws_ctx *ctx,
                        const char *bucket,
                        const char *key,
                        const char *if_match,
                        bool *deleted)
{
    struct al_s3_call q;
    *deleted = false;
    al_s3_call_init(&q);
    if (s_sync(ctx,
               &q,
               al_s3_delete_object_call(&q, bucket, key, if_match),
               0,
               s_parse_deleted,
               deleted) == 0)
        return 0;
    /* Another ETag: the precondition did what it is for. */
    if (if_match && al_error_last()->http_status == 412) {
        al_error_clear();
        return 0;
    }
    return -1;
}

int al_s3_list_objects(struct al_aws_ctx *ctx,
                       const char *bucket,
                       const char *prefix,
                       struct al_s3_listing *out)
{
    struct al_s3_call q;
    struct al_http_response resp;
    struct al_buf token, prev;
    int rc = -1;

    al_s3_call_init(&q);
    al_buf_init(&token, TOKEN_MAX);
    al_buf_init(&prev, TOKEN_MAX);
    for (;;) {
        al_http_response_init(&resp, LIST_PAGE_MAX);
        if (al_s3_list_call(&q, bucket, prefix, token.len ? al_buf_str(&token) : NULL) ||
            al_aws_request(ctx, &q.spec, &resp) || al_s3_parse_list_page(&resp, out, &token)) {
            al_http_response_clean_up(&resp);
            goto cleanup;
        }
        al_http_response_clean_up(&resp);
        if (!token.len)
            break;
        /* A server that hands back the same token would loop forever. */
        if (prev.len == token.len && memcmp(prev.data, token.data, token.len) == 0) {
            al_raise(AL_ERR_AWS,
                     "s3 ListObjectsV2 of %.200s returned the same continuation "
                     "token twice",
                     bucket);
            goto cleanup;
        }
        al_buf_reset(&prev);
        if (al_buf_append(&prev, token.data, token.len))
            goto cleanup;
    }
    rc = 0;
cleanup:
    al_s3_call_clean_up(&q);
    al_buf_clean_up(&token);
    al_buf_clean_up(&prev);
    return rc;
}

struct s_delete {
    const char *bucket;
    const char *const *keys;
    size_t n;
    struct al_s3_delete_result *out;
    int parse_failed;
};

static size_t s_batch_len(const struct s_delete *d, size_t i)
{
    size_t first = i * AL_S3_DELETE_BATCH;
    return d->n - first < AL_S3_DELETE_BATCH ? d->n - first : AL_S3_DELETE_BATCH;
}

static int s_delete_build(void *user, size_t i, struct al_s3_call *q)
{
    struct s_delete *d = user;
    return al_s3_delete_objects_call(
      q, d->bucket, d->keys + i * AL_S3_DELETE_BATCH, s_batch_len(d, i));
}

static void s_delete_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_delete *d = user;
    size_t n = s_batch_len(d, i);
    const char *const *keys = d->keys + i * AL_S3_DELETE_BATCH;
    if (!resp->failed && al_s3_parse_delete(resp, n, d->out) == 0)
        return;
    if (!resp->failed)
        d->parse_failed++;
    /* The whole batch failed: every one of its keys stays. */
    for (size_t k = 0; k < n; k++)
        s_delete_error(d->out,
                       keys[k],
                       resp->failed ? resp->error.aws_code : "MalformedAnswer",
                       resp->failed ? resp->error.msg : al_error_last()->msg);
}

int al_s3_delete_objects(struct al_aws_ctx *ctx,
                         const char *bucket,
                         const char *const *keys,
                         size_t n,
                         struct al_s3_delete_result *out)
{
    struct s_delete d = { bucket, keys, n, out, 0 };
    struct al_s3_batch b;
    size_t errors_before = out->n_errors;
    int rc;

    if (n == 0)
        return 0;
    memset(&b, 0, sizeof(b));
    b.n = (n + AL_S3_DELETE_BATCH - 1) / AL_S3_DELETE_BATCH;
    b.build = s_delete_build;
    b.done = s_delete_done;
    b.user = &d;
    rc = al_s3_batch_run(ctx, &b, NULL);
    if (rc == 0 && out->n_errors == errors_before)
        return 0;
    if (rc == 0) {
        const struct al_s3_key_error *e = &out->errors[errors_before];
        return al_raise(AL_ERR_AWS,
                        "s3 DeleteObjects: %zu of %zu keys in %.200s were not deleted; the "
                        "first, '%.300s': %s: %s",
                        out->n_errors - errors_before,
                        n,
                        bucket,
                        e->key,
                        e->code,
                        e->message);
    }
    return -1;
}

int al_s3_copy_object(struct al_aws_ctx *ctx, const struct al_s3_copy *c, char etag[AL_S3_ETAG_MAX])
{
    struct al_s3_call q;
    al_s3_call_init(&q);
    return s_sync(ctx, &q, al_s3_copy_object_call(&q, c), 0, s_parse_result_etag, etag);
}

static int s_parse_upload_id(const struct al_http_response *r, void *out)
{
    char **upload_id = out;
    return (*upload_id = al_s3_parse_upload_id(r)) ? 0 : -1;
}

int al_s3_multipart_create(struct al_aws_ctx *ctx, const struct al_s3_put *p, char **upload_id)
{
    struct al_s3_call q;
    *upload_id = NULL;
    al_s3_call_init(&q);
    return s_sync(ctx, &q, al_s3_create_multipart_call(&q, p), 0, s_parse_upload_id, upload_id);
}

int al_s3_upload_part(struct al_aws_ctx *ctx, const struct al_s3_part *p, char etag[AL_S3_ETAG_MAX])
{
    struct al_s3_call q;
    al_s3_call_init(&q);
    if (s_sync(ctx, &q, al_s3_upload_part_call(&q, p), 0, s_parse_etag, etag))
        return -1;
    if (!etag[0])
        return al_raise(AL_ERR_AWS, "s3 UploadPart %u answered no ETag", p->number);
    return 0;
}

int al_s3_multipart_complete(struct al_aws_ctx *ctx,
                             const char *bucket,
                             const char *key,
                             const char *upload_id,
                             const char *const *etags,
                             size_t n,
                             bool if_none_match,
                             char etag[AL_S3_ETAG_MAX])
{
    struct al_s3_call q;
    al_s3_call_init(&q);
    return s_sync(
      ctx,
      &q,
      al_s3_complete_multipart_call(&q, bucket, key, upload_id, etags, n, if_none_match),
      0,
      s_parse_result_etag,
      etag);
}

int al_s3_multipart_abort(struct al_aws_ctx *ctx,
                          const char *bucket,
                          const char *key,
                          const char *upload_id)
{
    struct al_s3_call q;
    al_s3_call_init(&q);
    return s_sync(ctx, &q, al_s3_abort_multipart_call(&q, bucket, key, upload_id), 0, NULL, NULL);
}

/* ---- multipart upload of a file ---- */

uint64_t al_s3_part_size(uint64_t size, uint64_t want)
{
    uint64_t part = want ? want : AL_S3_DEFAULT_PART_SIZE;
    if (part < AL_S3_MIN_PART_SIZE)
        part = AL_S3_MIN_PART_SIZE;
    if (size / part >= AL_S3_MAX_PARTS) {
        uint64_t need = (size + AL_S3_MAX_PARTS - 1) / AL_S3_MAX_PARTS;
        part = (need + MiB - 1) / MiB * MiB;
    }
    if (part > AL_S3_MAX_PART_SIZE)
        part = AL_S3_MAX_PART_SIZE;
    return part;
}

struct s_part {
    char etag[AL_S3_ETAG_MAX];
    uint8_t md5[AL_MD5_LEN];
    char md5_hex[AL_MD5_HEX_LEN + 1];
    char sha_hex[AL_SHA256_HEX_LEN + 1];
    uint64_t offset, length;
};

struct s_mpu {
    const struct al_s3_put *p;
    const char *upload_id;
    struct s_part *parts;
    size_t n_parts;
    char *chunk; /* HASH_CHUNK bytes for hashing parts */
    uint64_t bytes_done;
    al_s3_progress_fn progress;
    void *user;
};

/* MD5 and SHA-256 of one part, in one read of its range. */
static int s_hash_part(struct s_mpu *m, struct s_part *part)
{
    struct al_hasher *h = al_hasher_new(1, 1);
    uint8_t sha[AL_SHA256_LEN];
    uint64_t done = 0;
    int fd = -1, rc = -1;
    if (!h) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((fd = open(m->p->body.path, O_RDONLY | O_CLOEXEC)) < 0) {
        al_raise(AL_ERR_IO, "cannot open %s: %s", m->p->body.path, strerror(errno));
        goto cleanup;
    }
    while (done < part->length) {
        size_t want = part->length - done < HASH_CHUNK ? (size_t)(part->length - done) : HASH_CHUNK;
        ssize_t n = pread(fd, m->chunk, want, (off_t)(part->offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            al_raise(AL_ERR_IO,
                     "cannot read %s: %s",
                     m->p->body.path,
                     n < 0 ? strerror(errno) : "it became shorter during the upload");
            goto cleanup;
        }
        if (al_hasher_update(h, m->chunk, (size_t)n))
            goto cleanup;
        done += (uint64_t)n;
    }
    if (al_hasher_final(h, part->md5, sha))
        goto cleanup;
    al_hex(part->md5, AL_MD5_LEN, part->md5_hex);
    al_hex(sha, AL_SHA256_LEN, part->sha_hex);
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    al_hasher_free(h);
    return rc;
}

static int s_part_build(void *user, size_t i, struct al_s3_call *q)
{
    struct s_mpu *m = user;
    struct s_part *part = &m->parts[i];
    struct al_s3_part sp;
    if (s_hash_part(m, part))
        return -1;
    memset(&sp, 0, sizeof(sp));
    sp.bucket = m->p->bucket;
    sp.key = m->p->key;
    sp.upload_id = m->upload_id;
    sp.number = (unsigned)i + 1;
    sp.body.kind = AL_HTTP_BODY_FILE;
    sp.body.path = m->p->body.path;
    sp.body.offset = part->offset;
    sp.body.length = part->length;
    sp.md5_hex = part->md5_hex;
    sp.payload_sha256 = part->sha_hex;
    return al_s3_upload_part_call(q, &sp);
}

static void s_part_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_mpu *m = user;
    if (resp->failed)
        return;
    al_s3_etag(resp, m->parts[i].etag);
    m->bytes_done += m->parts[i].length;
    if (m->progress)
        m->progress(m->user, m->bytes_done);
}

/* The ETag S3 gives a multipart object: md5 of the binary part MD5s, "-N". */
static int s_expected_etag(const struct s_mpu *m, char out[AL_S3_ETAG_MAX])
{
    uint8_t *all = malloc(m->n_parts * AL_MD5_LEN), md5[AL_MD5_LEN];
    char hex[AL_MD5_HEX_LEN + 1];
    if (!all)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->n_parts; i++)
        memcpy(all + i * AL_MD5_LEN, m->parts[i].md5, AL_MD5_LEN);
    if (al_md5(all, m->n_parts * AL_MD5_LEN, md5)) {
        free(all);
        return -1;
    }
    free(all);
    al_hex(md5, AL_MD5_LEN, hex);
    snprintf(out, AL_S3_ETAG_MAX, "%s-%zu", hex, m->n_parts);
    return 0;
}

int al_s3_upload_multipart(struct al_aws_ctx *ctx,
                           const struct al_s3_put *p,
                           uint64_t part_size,
                           al_s3_progress_fn progress,
                           void *user,
                           char etag[AL_S3_ETAG_MAX])
{
    struct s_mpu m;
    struct al_s3_batch b;
    char *upload_id = NULL;
    const char **etags = NULL;
    char got[AL_S3_ETAG_MAX] = "", want[AL_S3_ETAG_MAX] = "";
    uint64_t size = p->body.length;
    int rc = -1;

    memset(&m, 0, sizeof(m));
    if (p->body.kind != AL_HTTP_BODY_FILE || p->body.offset != 0 || !p->body.path)
        return al_raise(AL_ERR_INTERNAL, "s3 multipart upload needs a whole file body");
    part_size = al_s3_part_size(size, part_size);
    m.n_parts = size ? (size_t)((size + part_size - 1) / part_size) : 1;
    if (m.n_parts > AL_S3_MAX_PARTS)
        return al_raise(AL_ERR_USAGE,
                        "%.300s: %" PRIu64 " bytes do not fit in %u parts",
                        p->body.path,
                        size,
                        AL_S3_MAX_PARTS);
    m.p = p;
    m.progress = progress;
    m.user = user;
    m.parts = calloc(m.n_parts, sizeof(*m.parts));
    etags = calloc(m.n_parts, sizeof(*etags));
    m.chunk = malloc(HASH_CHUNK);
    if (!m.parts || !etags || !m.chunk) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < m.n_parts; i++) {
        m.parts[i].offset = (uint64_t)i * part_size;
        m.parts[i].length = i + 1 < m.n_parts ? part_size : size - (uint64_t)i * part_size;
        etags[i] = m.parts[i].etag;
    }
    if (al_s3_multipart_create(ctx, p, &upload_id))
        goto cleanup;
    m.upload_id = upload_id;
    memset(&b, 0, sizeof(b));
    b.n = m.n_parts;
    b.stop_on_error = true;
    b.build = s_part_build;
    b.done = s_part_done;
    b.user = &m;
    if (al_s3_batch_run(ctx, &b, NULL))
        goto abort;
    for (size_t i = 0; i < m.n_parts; i++)
        if (!m.parts[i].etag[0]) {
            al_raise(AL_ERR_AWS, "s3 UploadPart %zu of %.300s answered no ETag", i + 1, p->key);
            goto abort;
        }
    if (al_s3_multipart_complete(
          ctx, p->bucket, p->key, upload_id, etags, m.n_parts, p->if_none_match, got))
        goto abort;
    /* Only S3's own form can be checked (s3rver answers a plain MD5). */
    if (strchr(got, '-')) {
        if (s_expected_etag(&m, want))
            goto cleanup;
        if (strcmp(got, want) != 0) {
            al_raise(AL_ERR_AWS,
                     "s3 multipart upload of %.300s: the object's ETag %s differs "
                     "from %s, the one its parts imply",
                     p->key,
                     got,
                     want);
            goto cleanup;
        }
    }
    if (etag)
        memcpy(etag, got, sizeof(got));
    rc = 0;
    goto cleanup;
abort : {
    struct al_error saved = *al_error_last();
    if (al_s3_multipart_abort(ctx, p->bucket, p->key, upload_id))
        al_log_warning("s3: could not abort the multipart upload of %.300s (%s); its parts stay "
                       "until a lifecycle rule (AbortIncompleteMultipartUpload) removes them",
                       p->key,
                       al_error_last()->msg);
    *al_error_mut() = saved;
}
cleanup:
    free(upload_id);
    free(etags);
    free(m.parts);
    free(m.chunk);
    return rc;
}
