/* SPDX-License-Identifier: Apache-2.0 */
#include "test_s3_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/str.h"

static void s_obj_free(struct fake_obj *o)
{
    free(o->key);
    free(o->content_type);
    free(o->cache_control);
    free(o->meta_sha256);
    free(o->body);
    memset(o, 0, sizeof(*o));
}

void fake_s3_init(struct fake_s3 *f, const char *bucket)
{
    memset(f, 0, sizeof(*f));
    f->bucket = bucket;
}

void fake_s3_clean_up(struct fake_s3 *f)
{
    for (size_t i = 0; i < f->n_objs; i++)
        s_obj_free(&f->objs[i]);
    for (size_t i = 0; i < f->n_log; i++)
        free(f->log[i].key);
    for (size_t i = 0; i < f->n_uploads; i++) {
        free(f->uploads[i].key);
        free(f->uploads[i].content_type);
        free(f->uploads[i].cache_control);
        free(f->uploads[i].meta_sha256);
    }
    memset(f, 0, sizeof(*f));
}

struct fake_obj *fake_s3_get(struct fake_s3 *f, const char *key)
{
    for (size_t i = 0; i < f->n_objs; i++)
        if (strcmp(f->objs[i].key, key) == 0)
            return &f->objs[i];
    return NULL;
}

static struct fake_obj *s_new_obj(struct fake_s3 *f, const char *key)
{
    struct fake_obj *o = fake_s3_get(f, key);
    if (o) {
        s_obj_free(o);
    } else {
        if (f->n_objs >= FAKE_MAX_OBJECTS)
            return NULL;
        o = &f->objs[f->n_objs++];
    }
    o->key = strdup(key);
    return o;
}

void fake_s3_put(struct fake_s3 *f, const char *key, const char *body)
{
    struct fake_obj *o = s_new_obj(f, key);
    uint8_t md5[AL_MD5_LEN];
    if (!o)
        return;
    o->size = strlen(body);
    o->body = strdup(body);
    al_md5(body, o->size, md5);
    al_hex(md5, AL_MD5_LEN, o->md5);
    snprintf(o->etag, sizeof(o->etag), "%s", o->md5);
}

size_t fake_s3_count(const struct fake_s3 *f, const char *op)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_log; i++)
        n += strcmp(f->log[i].op, op) == 0;
    return n;
}

/* ---- request parsing ---- */

struct s_req {
    char bucket[128];
    struct al_buf key;
    struct al_buf qs; /* raw query */
};

/* The decoded value of a query parameter, or NULL when absent (static storage per name slot). */
static bool s_query(const struct s_req *q, const char *name, struct al_buf *out)
{
    const char *p = al_buf_str(&q->qs);
    size_t n = strlen(name);
    al_buf_reset(out);
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if (nlen == n && strncmp(p, name, n) == 0) {
            if (eq)
                al_uri_decode(out, eq + 1, len - nlen - 1, false);
            al_buf_puts(out, "");
            return true;
        }
        p += len;
        if (*p)
            p++;
    }
    return false;
}

static int s_parse_url(const char *url, struct s_req *q)
{
    const char *p = strstr(url, "://"), *path, *qm, *slash;
    if (!p)
        return -1;
    path = strchr(p + 3, '/');
    if (!path)
        return -1;
    path++;
    qm = strchr(path, '?');
    slash = strchr(path, '/');
    if (slash && qm && slash > qm)
        slash = NULL;
    {
        size_t blen = slash ? (size_t)(slash - path) : qm ? (size_t)(qm - path) : strlen(path);
        if (blen >= sizeof(q->bucket))
            return -1;
        memcpy(q->bucket, path, blen);
        q->bucket[blen] = '\0';
    }
    if (slash) {
        const char *kend = qm ? qm : slash + strlen(slash);
        if (al_uri_decode(&q->key, slash + 1, (size_t)(kend - slash - 1), false))
            return -1;
    }
    if (qm)
        al_buf_puts(&q->qs, qm + 1);
    return 0;
}

static void s_log(struct fake_s3 *f, const char *op, const char *key)
{
    if (f->n_log >= FAKE_MAX_LOG)
        return;
    snprintf(f->log[f->n_log].op, sizeof(f->log[f->n_log].op), "%s", op);
    f->log[f->n_log].key = key ? strdup(key) : NULL;
    f->n_log++;
}

static void s_error(struct al_http_script_answer *ans, long status, const char *code)
{
    ans->status = status;
    al_buf_printf(&ans->body,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                  "<Message>fake %s</Message><RequestId>FAKE</RequestId></Error>",
                  code,
                  code);
}

static char *s_hdup(const struct al_http_script_request *req, const char *name)
{
    const char *v = al_http_headers_get(&req->headers, name);
    return v ? strdup(v) : NULL;
}

/* The body's MD5 hex: from the recorded bytes when complete, else from Content-MD5. */
static void s_body_md5(const struct al_http_script_request *req, char out[AL_MD5_HEX_LEN + 1])
{
    uint8_t md5[AL_MD5_LEN];
    out[0] = '\0';
    if (req->body_bytes == req->body.len) {
        al_md5(req->body.data ? req->body.data : "", req->body.len, md5);
        al_hex(md5, AL_MD5_LEN, out);
        return;
    }
    {
        const char *b64 = al_http_headers_get(&req->headers, "content-md5");
        struct al_buf raw;
        al_buf_init(&raw, 64);
        if (b64 && al_base64_decode(&raw, b64, strlen(b64)) == 0 && raw.len == AL_MD5_LEN)
            al_hex((const uint8_t *)raw.data, AL_MD5_LEN, out);
        al_buf_clean_up(&raw);
    }
}

/* S3's encoding-type=url: query escaping, space as '+', '/' kept. */
static void s_url_encode_key(struct al_buf *out, const char *key)
{
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '/' || *p == '*')
            al_buf_putc(out, (char)*p);
        else if (*p == ' ')
            al_buf_putc(out, '+');
        else
            al_buf_printf(out, "%%%02X", *p);
    }
}

static int s_cmp_obj(const void *a, const void *b)
{
    return strcmp(((const struct fake_obj *)a)->key, ((const struct fake_obj *)b)->key);
}

static void s_list(struct fake_s3 *f, const struct s_req *q, struct al_http_script_answer *ans)
{
    struct al_buf prefix, token, enc;
    size_t start = 0, page = f->page_size ? f->page_size : 1000, shown = 0, i;
    bool url;
    al_buf_init(&prefix, 4096);
    al_buf_init(&token, 4096);
    al_buf_init(&enc, 4096);
    s_query(q, "prefix", &prefix);
    url = !f->raw_keys && s_query(q, "encoding-type", &enc);
    if (s_query(q, "continuation-token", &token))
        start = (size_t)strtoul(al_buf_str(&token) + 4, NULL, 10); /* "tok-N" */
    qsort(f->objs, f->n_objs, sizeof(f->objs[0]), s_cmp_obj);
    al_buf_puts(&ans->body,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    if (url)
        al_buf_puts(&ans->body, "<EncodingType>url</EncodingType>");
    for (i = start; i < f->n_objs && shown < page; i++) {
        const struct fake_obj *o = &f->objs[i];
        if (!al_str_prefix(o->key, al_buf_str(&prefix)))
            continue;
        al_buf_puts(&ans->body, "<Contents><Key>");
        if (url) {
            al_buf_reset(&enc);
            s_url_encode_key(&enc, o->key);
            al_buf_puts(&ans->body, al_buf_str(&enc));
        } else {
            al_xml_escape(&ans->body, o->key);
        }
        al_buf_printf(&ans->body,
                      "</Key><Size>%llu</Size><ETag>&quot;%s&quot;</ETag></Contents>",
                      (unsigned long long)o->size,
                      o->etag);
        shown++;
    }
    /* More matching keys after this page? */
    {
        bool more = false;
        for (size_t k = i; k < f->n_objs && !more; k++)
            more = al_str_prefix(f->objs[k].key, al_buf_str(&prefix));
        if (more)
            al_buf_printf(&ans->body,
                          "<IsTruncated>true</IsTruncated><NextContinuationToken>tok-%zu"
                          "</NextContinuationToken>",
                          i);
        else
            al_buf_puts(&ans->body, "<IsTruncated>false</IsTruncated>");
    }
    al_buf_puts(&ans->body, "</ListBucketResult>");
    al_buf_clean_up(&prefix);
    al_buf_clean_up(&token);
    al_buf_clean_up(&enc);
}

static void s_delete(struct fake_s3 *f,
                     const struct al_http_script_request *req,
                     struct al_http_script_answer *ans)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *o;
    char md5[AL_MD5_HEX_LEN + 1], want[AL_MD5_HEX_LEN + 1];
    const char *b64 = al_http_headers_get(&req->headers, "content-md5");
    struct al_buf raw;
    bool quiet;

    al_buf_init(&raw, 64);
    s_body_md5(req, md5);
    want[0] = '\0';
    if (b64 && al_base64_decode(&raw, b64, strlen(b64)) == 0 && raw.len == AL_MD5_LEN)
        al_hex((const uint8_t *)raw.data, AL_MD5_LEN, want);
    al_buf_clean_up(&raw);
    if (strcmp(md5, want) != 0) {
        s_error(ans, 400, "BadDigest");
        return;
    }
    if (al_xml_parse(req->body.data, req->body.len, NULL, &doc)) {
        s_error(ans, 400, "MalformedXML");
        return;
    }
    quiet = al_streq(al_xml_text(al_xml_root(doc), "Quiet"), "true");
    al_buf_puts(&ans->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>");
    for (o = al_xml_child(al_xml_root(doc), "Object"); o; o = al_xml_next_same(o)) {
        const char *key = al_xml_text(o, "Key");
        s_log(f, "DeleteObjects.key", key);
        if (f->deny_delete && strcmp(key, f->deny_delete) == 0) {
            al_buf_puts(&ans->body, "<Error><Key>");
            al_xml_escape(&ans->body, key);
            al_buf_puts(&ans->body, "</Key><Code>AccessDenied</Code><Message>no</Message></Error>");
            continue;
        }
        for (size_t i = 0; i < f->n_objs; i++)
            if (strcmp(f->objs[i].key, key) == 0) {
                s_obj_free(&f->objs[i]);
                f->objs[i] = f->objs[--f->n_objs];
                memset(&f->objs[f->n_objs], 0, sizeof(f->objs[0]));
                break;
            }
        if (!quiet) {
            al_buf_puts(&ans->body, "<Deleted><Key>");
            al_xml_escape(&ans->body, key);
            al_buf_puts(&ans->body, "</Key></Deleted>");
        }
    }
    al_buf_puts(&ans->body, "</DeleteResult>");
    al_xml_doc_free(doc);
}

static struct fake_upload *s_upload(struct fake_s3 *f, const struct s_req *q)
{
    struct al_buf id;
    struct fake_upload *u = NULL;
    al_buf_init(&id, 64);
    if (s_query(q, "uploadId", &id))
        for (size_t i = 0; i < f->n_uploads; i++)
            if (strcmp(f->uploads[i].id, al_buf_str(&id)) == 0 && f->uploads[i].open)
                u = &f->uploads[i];
    al_buf_clean_up(&id);
    return u;
}

static void s_complete(struct fake_s3 *f, struct fake_upload *u, struct al_http_script_answer *ans)
{
    uint8_t all[64 * AL_MD5_LEN], md5[AL_MD5_LEN];
    char hex[AL_MD5_HEX_LEN + 1];
    struct fake_obj *o = s_new_obj(f, u->key);
    for (unsigned i = 0; i < u->n_parts; i++)
        for (unsigned k = 0; k < AL_MD5_LEN; k++) {
            char b[3] = { u->part_md5[i][2 * k], u->part_md5[i][2 * k + 1], 0 };
            all[i * AL_MD5_LEN + k] = (uint8_t)strtoul(b, NULL, 16);
        }
    al_md5(all, u->n_parts * AL_MD5_LEN, md5);
    al_hex(md5, AL_MD5_LEN, hex);
    o->size = 0;
    for (unsigned i = 0; i < u->n_parts; i++)
        o->size += u->part_size[i];
    snprintf(o->etag, sizeof(o->etag), "%s-%u", hex, u->n_parts);
    o->content_type = u->content_type ? strdup(u->content_type) : NULL;
    o->cache_control = u->cache_control ? strdup(u->cache_control) : NULL;
    o->meta_sha256 = u->meta_sha256 ? strdup(u->meta_sha256) : NULL;
    u->open = false;
    al_buf_printf(&ans->body,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<CompleteMultipartUploadResult>"
                  "<Key>k</Key><ETag>&quot;%s&quot;</ETag></CompleteMultipartUploadResult>",
                  o->etag);
}

int fake_s3_handler(void *user,
                    const struct al_http_script_request *req,
                    struct al_http_script_answer *ans)
{
    struct fake_s3 *f = user;
    struct s_req q;
    struct al_buf v;
    const char *key;
    bool copy = al_http_headers_get(&req->headers, "x-amz-copy-source") != NULL;

    memset(&q, 0, sizeof(q));
    al_buf_init(&q.key, 4096);
    al_buf_init(&q.qs, 65536);
    al_buf_init(&v, 4096);
    if (s_parse_url(req->url, &q) || strcmp(q.bucket, f->bucket) != 0) {
        s_error(ans, 404, "NoSuchBucket");
        goto done;
    }
    key = al_buf_str(&q.key);
    if (strcmp(req->method, "GET") == 0 && s_query(&q, "list-type", &v)) {
        s_log(f, "ListObjectsV2", NULL);
        s_list(f, &q, ans);
    } else if (strcmp(req->method, "POST") == 0 && s_query(&q, "delete", &v)) {
        s_log(f, "DeleteObjects", NULL);
        s_delete(f, req, ans);
    } else if (strcmp(req->method, "POST") == 0 && s_query(&q, "uploads", &v)) {
        struct fake_upload *u = &f->uploads[f->n_uploads++];
        s_log(f, "CreateMultipartUpload", key);
        memset(u, 0, sizeof(*u));
        snprintf(u->id, sizeof(u->id), "up%zu", f->n_uploads);
        u->key = strdup(key);
        u->content_type = s_hdup(req, "content-type");
        u->cache_control = s_hdup(req, "cache-control");
        u->meta_sha256 = s_hdup(req, "x-amz-meta-sha256");
        u->open = true;
        al_buf_printf(&ans->body,
                      "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket>"
                      "<Key>k</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>",
                      u->id);
    } else if (strcmp(req->method, "POST") == 0 && s_query(&q, "uploadId", &v)) {
        struct fake_upload *u = s_upload(f, &q);
        s_log(f, "CompleteMultipartUpload", key);
        if (!u)
            s_error(ans, 404, "NoSuchUpload");
        else
            s_complete(f, u, ans);
    } else if (strcmp(req->method, "DELETE") == 0 && s_query(&q, "uploadId", &v)) {
        struct fake_upload *u = s_upload(f, &q);
        s_log(f, "AbortMultipartUpload", key);
        if (f->abort_unsupported)
            s_error(ans, 405, "MethodNotAllowed");
        else if (!u)
            s_error(ans, 404, "NoSuchUpload");
        else {
            u->open = false;
            ans->status = 204;
        }
    } else if (strcmp(req->method, "PUT") == 0 && s_query(&q, "partNumber", &v)) {
        unsigned n = (unsigned)strtoul(al_buf_str(&v), NULL, 10);
        struct fake_upload *u = s_upload(f, &q);
        s_log(f, "UploadPart", key);
        if (f->fail_key && strcmp(f->fail_key, key) == 0) {
            s_error(ans, f->fail_status ? f->fail_status : 403, "AccessDenied");
        } else if (!u || n < 1 || n > 64) {
            s_error(ans, 404, "NoSuchUpload");
        } else {
            char etag[AL_MD5_HEX_LEN + 3];
            s_body_md5(req, u->part_md5[n - 1]);
            u->part_size[n - 1] = req->body_bytes;
            if (n > u->n_parts)
                u->n_parts = n;
            snprintf(etag, sizeof(etag), "\"%s\"", u->part_md5[n - 1]);
            al_http_headers_add(&ans->headers, "ETag", etag);
        }
    } else if (strcmp(req->method, "PUT") == 0 && copy) {
        const char *src = al_http_headers_get(&req->headers, "x-amz-copy-source");
        struct al_buf sk;
        struct fake_obj *so, *o;
        s_log(f, "CopyObject", key);
        al_buf_init(&sk, 4096);
        al_uri_decode(&sk, src, strlen(src), false);
        so = fake_s3_get(f, al_buf_str(&sk) + strlen(f->bucket) + 1);
        if (!so) {
            s_error(ans, 404, "NoSuchKey");
        } else {
            struct fake_obj copyv = *so;
            o = s_new_obj(f, key);
            o->size = copyv.size;
            memcpy(o->md5, copyv.md5, sizeof(o->md5));
            memcpy(o->etag, copyv.md5, sizeof(o->md5));
            o->body = copyv.body ? strdup(copyv.body) : NULL;
            o->content_type = s_hdup(req, "content-type");
            o->cache_control = s_hdup(req, "cache-control");
            o->meta_sha256 = s_hdup(req, "x-amz-meta-sha256");
            al_buf_printf(&ans->body,
                          "<CopyObjectResult><ETag>&quot;%s&quot;</ETag></CopyObjectResult>",
                          o->etag);
        }
        al_buf_clean_up(&sk);
    } else if (strcmp(req->method, "PUT") == 0) {
        struct fake_obj *o;
        char etag[AL_MD5_HEX_LEN + 3];
        s_log(f, "PutObject", key);
        if (f->fail_key && strcmp(f->fail_key, key) == 0) {
            s_error(ans, f->fail_status ? f->fail_status : 403, "AccessDenied");
            goto done;
        }
        if (al_http_headers_get(&req->headers, "if-none-match") && fake_s3_get(f, key)) {
            s_error(ans, 412, "PreconditionFailed");
            goto done;
        }
        o = s_new_obj(f, key);
        o->size = req->body_bytes;
        s_body_md5(req, o->md5);
        snprintf(o->etag, sizeof(o->etag), "%s", o->md5);
        if (req->body_bytes == req->body.len)
            o->body = al_strndup(req->body.data ? req->body.data : "", req->body.len);
        o->content_type = s_hdup(req, "content-type");
        o->cache_control = s_hdup(req, "cache-control");
        o->meta_sha256 = s_hdup(req, "x-amz-meta-sha256");
        snprintf(etag, sizeof(etag), "\"%s\"", o->md5);
        al_http_headers_add(&ans->headers, "ETag", etag);
    } else if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
        bool head = strcmp(req->method, "HEAD") == 0;
        struct fake_obj *o = fake_s3_get(f, key);
        s_log(f, head ? "HeadObject" : "GetObject", key);
        if (!o) {
            ans->status = 404;
            if (!head)
                s_error(ans, 404, "NoSuchKey");
        } else {
            char num[32], etag[90];
            snprintf(num, sizeof(num), "%llu", (unsigned long long)o->size);
            snprintf(etag, sizeof(etag), "\"%s\"", o->etag);
            al_http_headers_add(&ans->headers, "Content-Length", num);
            al_http_headers_add(&ans->headers, "ETag", etag);
            if (o->content_type)
                al_http_headers_add(&ans->headers, "Content-Type", o->content_type);
            if (o->cache_control)
                al_http_headers_add(&ans->headers, "Cache-Control", o->cache_control);
            if (o->meta_sha256)
                al_http_headers_add(&ans->headers, "x-amz-meta-sha256", o->meta_sha256);
            if (!head && o->body)
                al_buf_append(&ans->body, o->body, o->size);
        }
    } else {
        s_error(ans, 501, "NotImplemented");
    }
done:
    al_buf_clean_up(&q.key);
    al_buf_clean_up(&q.qs);
    al_buf_clean_up(&v);
    return 0;
}
