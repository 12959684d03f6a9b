/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/errors.h"
#include "http/retry.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/str.h"

#define HASH_CHUNK ((size_t)256 << 10)

struct al_aws_ctx {
    struct al_http_engine *engine;
    struct al_creds *creds;
    const struct al_endpoint_config *ep;
    struct al_aws_stats stats;
};

struct s_call {
    struct al_aws_ctx *ctx;
    enum al_aws_service svc;
    struct al_strv keep; /* owned copies of every string below */
    const char *operation;
    const char *method;
    const char *path; /* unencoded, endpoint prefix and bucket included */
    struct al_kv *query;
    size_t n_query;
    struct al_kv *headers; /* the caller's, then host (signed) */
    size_t n_headers;
    struct al_endpoint ep;
    char payload_hash[AL_SHA256_HEX_LEN + 1];
    bool unsigned_req;
    bool error_in_200;
    long ok_status;
    bool renewed;
    char log_name[128];
    struct al_http_request req;
    struct al_http_response *resp;
    al_aws_done_fn done;
    void *user;
};

static const char *s_service_name(enum al_aws_service svc)
{
    static const char *const names[AL_SVC_COUNT] = {
        [AL_SVC_S3] = "s3",
        [AL_SVC_CLOUDFRONT] = "cloudfront",
        [AL_SVC_CLOUDFORMATION] = "cloudformation",
        [AL_SVC_STS] = "sts",
        [AL_SVC_CLOUDWATCH] = "cloudwatch",
        [AL_SVC_SSM] = "ssm",
        [AL_SVC_LAMBDA] = "lambda",
    };
    return (unsigned)svc < AL_SVC_COUNT ? names[svc] : "aws";
}

struct al_aws_ctx *al_aws_ctx_new(struct al_http_engine *engine,
                                  struct al_creds *creds,
                                  const struct al_endpoint_config *ep)
{
    struct al_aws_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ctx->engine = engine;
    ctx->creds = creds;
    ctx->ep = ep;
    return ctx;
}

void al_aws_ctx_free(struct al_aws_ctx *ctx)
{
    free(ctx);
}

struct al_http_engine *al_aws_ctx_engine(const struct al_aws_ctx *ctx)
{
    return ctx->engine;
}

struct al_creds *al_aws_ctx_creds(const struct al_aws_ctx *ctx)
{
    return ctx->creds;
}

void al_aws_ctx_stats(const struct al_aws_ctx *ctx, struct al_aws_stats *out)
{
    *out = ctx->stats;
}

/* ---- building a call ---- */

static const char *s_keep(struct s_call *c, const char *s)
{
    if (!s)
        return NULL;
    if (al_strv_push(&c->keep, s))
        return NULL;
    return c->keep.items[c->keep.len - 1];
}

static void s_call_free(struct s_call *c)
{
    if (!c)
        return;
    al_strv_clean_up(&c->keep);
    free(c->query);
    free(c->headers);
    free(c);
}

static int s_hash_file_range(const struct al_http_body *b, char out[AL_SHA256_HEX_LEN + 1])
{
    uint8_t digest[AL_SHA256_LEN];
    struct al_hasher *h = al_hasher_new(0, 1);
    char *chunk = malloc(HASH_CHUNK);
    uint64_t done = 0;
    int fd = -1, rc = -1;

    if (!h || !chunk) {
        if (h)
            al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((fd = open(b->path, O_RDONLY | O_CLOEXEC)) < 0) {
        al_raise(AL_ERR_IO, "cannot open %s: %s", b->path, strerror(errno));
        goto cleanup;
    }
    while (done < b->length) {
        size_t want = b->length - done < HASH_CHUNK ? (size_t)(b->length - done) : HASH_CHUNK;
        ssize_t n = pread(fd, chunk, want, (off_t)(b->offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            al_raise(AL_ERR_IO,
                     "cannot read %s: %s",
                     b->path,
                     n < 0 ? strerror(errno) : "shorter than the range to send");
            goto cleanup;
        }
        if (al_hasher_update(h, chunk, (size_t)n))
            goto cleanup;
        done += (uint64_t)n;
    }
    if (al_hasher_final(h, NULL, digest))
        goto cleanup;
    al_hex(digest, AL_SHA256_LEN, out);
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    free(chunk);
    al_hasher_free(h);
    return rc;
}

static int s_payload_hash(struct s_call *c, const struct al_aws_call_spec *spec)
{
    uint8_t digest[AL_SHA256_LEN];
    const struct al_http_body *b = &spec->body;
    if (spec->payload_hash) {
        size_t n = strlen(spec->payload_hash);
        if (n >= sizeof(c->payload_hash))
            return al_raise(AL_ERR_INTERNAL, "payload hash too long");
        memcpy(c->payload_hash, spec->payload_hash, n + 1);
        return 0;
    }
    switch (b->kind) {
        case AL_HTTP_BODY_MEMORY:
            if (al_sha256(b->data, b->len, digest))
                return -1;
            al_hex(digest, AL_SHA256_LEN, c->payload_hash);
            return 0;
        case AL_HTTP_BODY_FILE:
            return s_hash_file_range(b, c->payload_hash);
        default:
            memcpy(c->payload_hash, AL_SIGV4_EMPTY_SHA256, sizeof(AL_SIGV4_EMPTY_SHA256));
            return 0;
    }
}

static int s_build_path(struct s_call *c, const struct al_aws_call_spec *spec)
{
    struct al_buf p;
    int rc = -1;
    al_buf_init(&p, AL_SIGV4_MAX_PART);
    if (al_buf_puts(&p, c->ep.path_prefix))
        goto cleanup;
    if (c->svc == AL_SVC_S3) {
        if (spec->bucket && c->ep.path_style &&
            (al_buf_putc(&p, '/') || al_buf_puts(&p, spec->bucket)))
            goto cleanup;
        if (spec->key && (al_buf_putc(&p, '/') || al_buf_puts(&p, spec->key)))
            goto cleanup;
        if (!p.len && al_buf_putc(&p, '/'))
            goto cleanup;
    } else {
        const char *path = spec->path && *spec->path ? spec->path : "/";
        if (path[0] != '/') {
            al_raise(AL_ERR_INTERNAL, "AWS call path must start with '/'");
            goto cleanup;
        }
        if (al_buf_puts(&p, path))
            goto cleanup;
    }
    c->path = s_keep(c, al_buf_str(&p));
    rc = c->path ? 0 : -1;
cleanup:
    al_buf_clean_up(&p);
    return rc;
}

static int s_copy_kvs(struct s_call *c,
                      const struct al_kv *in,
                      size_t n,
                      size_t extra,
                      struct al_kv **out)
{
    if (!(*out = calloc(n + extra + 1, sizeof(**out))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!in[i].name)
            return al_raise(AL_ERR_INTERNAL, "AWS call header or query without a name");
        if (!((*out)[i].name = s_keep(c, in[i].name)) ||
            !((*out)[i].value = s_keep(c, in[i].value ? in[i].value : "")))
            return -1;
    }
    return 0;
}

static int s_prepare(void *user, struct al_http_attempt *a);
static enum al_retry_kind s_classify(void *user, struct al_http_response *r);

static struct s_call *s_call_new(struct al_aws_ctx *ctx,
                                 const struct al_aws_call_spec *spec,
                                 struct al_http_response *resp)
{
    struct s_call *c = calloc(1, sizeof(*c));
    if (!c) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    al_strv_init(&c->keep);
    c->ctx = ctx;
    c->svc = spec->service;
    c->resp = resp;
    c->unsigned_req = spec->unsigned_request;
    c->error_in_200 = spec->error_in_200;
    c->ok_status = spec->ok_status;
    if (!spec->unsigned_request && !ctx->creds) {
        al_raise(AL_ERR_INTERNAL, "signed AWS call without credentials");
        goto on_error;
    }
    if (spec->service == AL_SVC_S3 && spec->key && !spec->bucket) {
        al_raise(AL_ERR_INTERNAL, "S3 key without a bucket");
        goto on_error;
    }
    if (!(c->operation = s_keep(c, spec->operation ? spec->operation : "call")) ||
        !(c->method = s_keep(c, spec->method ? spec->method : "GET")))
        goto on_error;
    snprintf(c->log_name, sizeof(c->log_name), "%s %s", s_service_name(c->svc), c->operation);
    if (al_endpoint_resolve(ctx->ep,
                            spec->service,
                            spec->service == AL_SVC_S3 ? spec->bucket : NULL,
                            spec->region,
                            &c->ep) ||
        s_build_path(c, spec) || s_copy_kvs(c, spec->query, spec->n_query, 0, &c->query) ||
        s_copy_kvs(c, spec->headers, spec->n_headers, 1, &c->headers))
        goto on_error;
    c->n_query = spec->n_query;
    c->n_headers = spec->n_headers;
    c->headers[c->n_headers].name = "host";
    c->headers[c->n_headers].value = c->ep.host;
    c->n_headers++;
    if (!c->unsigned_req && s_payload_hash(c, spec))
        goto on_error;

    c->req.method = c->method;
    c->req.body = spec->body;
    if (spec->body.kind == AL_HTTP_BODY_FILE && !(c->req.body.path = s_keep(c, spec->body.path)))
        goto on_error;
    if (spec->download_path && !(c->req.download_path = s_keep(c, spec->download_path)))
        goto on_error;
    c->req.log_name = c->log_name;
    c->req.prepare = s_prepare;
    c->req.classify = s_classify;
    c->req.user = c;
    return c;
on_error:
    s_call_free(c);
    return NULL;
}

/* ---- per attempt ---- */

static int s_url(struct al_buf *url,
                 const struct al_endpoint *ep,
                 const char *wire_path,
                 const char *wire_query)
{
    if (al_buf_puts(url, ep->base) || al_buf_puts(url, wire_path))
        return -1;
    if (wire_query && *wire_query && (al_buf_putc(url, '?') || al_buf_puts(url, wire_query)))
        return -1;
    return 0;
}

/* Unsigned calls: the same wire encoding as the signer's, query in the given order. */
static int s_prepare_unsigned(struct s_call *c, struct al_http_attempt *a)
{
    struct al_buf path, query;
    int rc = -1;
    al_buf_init(&path, AL_SIGV4_MAX_PART);
    al_buf_init(&query, AL_SIGV4_MAX_PART);
    if (al_uri_encode(&path, c->path, strlen(c->path), true))
        goto cleanup;
    for (size_t i = 0; i < c->n_query; i++) {
        const struct al_kv *q = &c->query[i];
        if ((i && al_buf_putc(&query, '&')) ||
            al_uri_encode(&query, q->name, strlen(q->name), false) || al_buf_putc(&query, '=') ||
            al_uri_encode(&query, q->value, strlen(q->value), false))
            goto cleanup;
    }
    if (s_url(a->url, &c->ep, al_buf_str(&path), al_buf_str(&query)))
        goto cleanup;
    for (size_t i = 0; i < c->n_headers; i++)
        if (al_http_headers_add(a->headers, c->headers[i].name, c->headers[i].value))
            goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&path);
    al_buf_clean_up(&query);
    return rc;
}

static int s_prepare(void *user, struct al_http_attempt *a)
{
    struct s_call *c = user;
    struct al_creds_value cv;
    struct al_sigv4_params params;
    struct al_sigv4_request sreq;
    struct al_sigv4_signed sig;
    int rc = -1;

    if (c->unsigned_req)
        return s_prepare_unsigned(c, a);
    memset(&sig, 0, sizeof(sig));
    if (al_creds_get(c->ctx->creds, &cv))
        return -1;
    memset(&params, 0, sizeof(params));
    params.access_key_id = cv.access_key_id;
    params.secret_access_key = cv.secret_access_key;
    params.session_token = cv.session_token;
    params.region = c->ep.region;
    params.service = c->ep.signing_name;
    params.time = al_clock_now();
    params.s3 = c->svc == AL_SVC_S3;
    memset(&sreq, 0, sizeof(sreq));
    sreq.method = c->method;
    sreq.path = c->path;
    sreq.query = c->query;
    sreq.n_query = c->n_query;
    sreq.headers = c->headers;
    sreq.n_headers = c->n_headers;
    sreq.payload_hash = c->payload_hash;
    if (al_sigv4_sign(&params, &sreq, &sig))
        goto cleanup;
    if (s_url(a->url, &c->ep, al_buf_str(&sig.wire_path), al_buf_str(&sig.wire_query)))
        goto cleanup;
    for (size_t i = 0; i < c->n_headers; i++)
        if (al_http_headers_add(a->headers, c->headers[i].name, c->headers[i].value))
            goto cleanup;
    if (al_http_headers_add(a->headers, "X-Amz-Date", sig.amz_date) ||
        (sig.content_sha256[0] &&
         al_http_headers_add(a->headers, "x-amz-content-sha256", sig.content_sha256)) ||
        (sig.security_token &&
         al_http_headers_add(a->headers, "X-Amz-Security-Token", sig.security_token)) ||
        al_http_headers_add(a->headers, "Authorization", al_buf_str(&sig.authorization)))
        goto cleanup;
    rc = 0;
cleanup:
    al_sigv4_signed_clean_up(&sig);
    return rc;
}

/* Learns the clock offset from the answer's Date header (see the header comment). */
static void s_check_skew(struct s_call *c, const struct al_http_response *r, bool skew_error)
{
    const char *date = al_http_response_header(r, "date");
    struct al_error saved;
    time_t server;
    long cur, want, gap;

    if (!date)
        return;
    saved = *al_error_last();
    if (al_clock_parse(date, &server)) {
        *al_error_mut() = saved;
        return;
    }
    cur = al_clock_skew();
    want = (long)(server - (al_clock_now() - cur));
    gap = want > cur ? want - cur : cur - want;
    /* AWS tolerates 5 minutes or more, so a smaller gap cannot explain a skew error. */
    if (gap >= (skew_error ? AL_AWS_SKEW_ERROR_MIN_S : AL_AWS_SKEW_THRESHOLD_S)) {
        al_clock_set_skew(want);
        c->ctx->stats.skew_corrections++;
        al_log_info(
          "clock: corrected by %+ld s from %s's Date header", want, s_service_name(c->svc));
    }
}

static bool s_is_expired_token(const char *code)
{
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
           strcmp(code, "TokenRefreshRequired") == 0;
}

static enum al_retry_kind s_classify(void *user, struct al_http_response *r)
{
    struct s_call *c = user;
    struct al_aws_error_info info;
    enum al_retry_kind kind;
    bool ok = (r->status >= 200 && r->status < 300) || (c->ok_status && r->status == c->ok_status);

    if (ok && !(c->error_in_200 && r->status == 200 &&
                al_aws_error_in_body(al_buf_str(&r->body), r->body.len))) {
        s_check_skew(c, r, false);
        return AL_RETRY_NONE;
    }
    al_aws_error_parse(r, &info);
    kind = al_retry_classify(r->status, info.code);
    if (kind == AL_RETRY_SKEW)
        s_check_skew(c, r, true);
    else
        s_check_skew(c, r, false);
    if (s_is_expired_token(info.code) && c->ctx->creds && !c->unsigned_req &&
        al_creds_renewable(c->ctx->creds) && !c->renewed) {
        /* AWS saw them expire before we did: renew once and try again. */
        al_creds_invalidate(c->ctx->creds);
        c->renewed = true;
        c->ctx->stats.credential_renewals++;
        kind = AL_RETRY_TRANSIENT;
    }
    al_aws_error_raise(s_service_name(c->svc), c->operation, r->status, &info);
    al_http_response_fail(r);
    return kind;
}

static void s_count(struct s_call *c, const struct al_http_response *r)
{
    c->ctx->stats.calls++;
    if (r->failed)
        c->ctx->stats.errors++;
}

static void s_done(void *user, struct al_http_response *r)
{
    struct s_call *c = user;
    s_count(c, r);
    if (c->done)
        c->done(c->user, r);
    s_call_free(c);
}

int al_aws_request(struct al_aws_ctx *ctx,
                   const struct al_aws_call_spec *spec,
                   struct al_http_response *resp)
{
    struct s_call *c = s_call_new(ctx, spec, resp);
    int rc;
    if (!c)
        return -1;
    rc = al_http_perform(ctx->engine, &c->req, resp);
    s_count(c, resp);
    s_call_free(c);
    return rc;
}

int al_aws_submit(struct al_aws_ctx *ctx,
                  const struct al_aws_call_spec *spec,
                  struct al_http_response *resp,
                  al_aws_done_fn done,
                  void *user)
{
    struct s_call *c = s_call_new(ctx, spec, resp);
    if (!c)
        return -1;
    c->done = done;
    c->user = user;
    c->req.done = s_done;
    if (al_http_submit(ctx->engine, &c->req, resp)) {
        s_call_free(c);
        return -1;
    }
    return 0;
}

int al_aws_run(struct al_aws_ctx *ctx)
{
    return al_http_run(ctx->engine);
}

void al_aws_query_spec(struct al_aws_call_spec *spec,
                       enum al_aws_service service,
                       const char *operation,
                       const char *body)
{
    static const struct al_kv form[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
    };
    memset(spec, 0, sizeof(*spec));
    spec->service = service;
    spec->operation = operation;
    spec->method = "POST";
    spec->headers = form;
    spec->n_headers = 1;
    spec->body.kind = AL_HTTP_BODY_MEMORY;
    spec->body.data = body;
    spec->body.len = strlen(body);
}
