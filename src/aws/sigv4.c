/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 signer. The rules follow the AWS docs and aws-c-auth's test suite;
 * where those leave a choice (path normalisation of "/a/b/..", the unsignable
 * header list) they follow @smithy/signature-v4 and botocore, which agree.
 */
#include "aws/sigv4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/str.h"

#define S_MAX_SECRET 1024
#define S_MAX_SCOPE_PART 256

enum s_mode {
    S_MODE_HEADERS,
    S_MODE_QUERY,
};

struct s_header {
    char *name;  /* lowercase, owned */
    char *value; /* canonical (trimmed, runs collapsed), owned */
    size_t order;
};

struct s_param {
    char *name; /* UriEncoded, owned */
    char *value;
};

/* Everything one canonical request is made of; all owned. */
struct s_canon {
    char amz_date[17];
    struct al_buf scope;
    struct al_buf wire_path;
    struct al_buf canon_path;
    struct al_buf header_block; /* "name:value\n" lines */
    struct al_buf signed_headers;
    struct al_buf query;
    struct al_buf creq;
};

/*
 * Never signed, as @smithy/signature-v4's ALWAYS_UNSIGNABLE_HEADERS (plus the
 * proxy- and sec- prefixes below): proxies and clients may add, drop or
 * rewrite them on the way, which would break the signature.
 */
static const char *const s_unsignable[] = {
    "authorization", "cache-control",     "connection", "expect",     "from",
    "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
    "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id",
};

/* Query names the presigner owns; a caller passing one would sign twice. */
static const char *const s_presign_params[] = {
    "X-Amz-Algorithm", "X-Amz-Credential",     "X-Amz-Date",          "X-Amz-Expires",
    "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-SignedHeaders",
};

static void s_canon_init(struct s_canon *c)
{
    c->amz_date[0] = '\0';
    al_buf_init(&c->scope, 4 * S_MAX_SCOPE_PART);
    al_buf_init(&c->wire_path, AL_SIGV4_MAX_PART);
    al_buf_init(&c->canon_path, AL_SIGV4_MAX_PART);
    al_buf_init(&c->header_block, AL_SIGV4_MAX_CANONICAL);
    al_buf_init(&c->signed_headers, AL_SIGV4_MAX_PART);
    al_buf_init(&c->query, AL_SIGV4_MAX_PART);
    al_buf_init(&c->creq, AL_SIGV4_MAX_CANONICAL);
}

static void s_canon_clean_up(struct s_canon *c)
{
    al_buf_clean_up(&c->scope);
    al_buf_clean_up(&c->wire_path);
    al_buf_clean_up(&c->canon_path);
    al_buf_clean_up(&c->header_block);
    al_buf_clean_up(&c->signed_headers);
    al_buf_clean_up(&c->query);
    al_buf_clean_up(&c->creq);
}

/* Replaces the content of a caller's buffer; on failure it is left empty. */
static int s_buf_set(struct al_buf *dst, const struct al_buf *src)
{
    al_buf_reset(dst);
    if (al_buf_append(dst, src->data ? src->data : "", src->len)) {
        al_buf_reset(dst);
        return -1;
    }
    return 0;
}

/* RFC 7230 tchar: what a method or header name may contain. */
static bool s_is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (!strchr("!#$%&'*+-.^_`|~", c))
            return false;
    }
    return true;
}

/*
 * A credential-scope part (access key id, region, service) is joined with
 * '/' and sits in an unquoted header, so it must be visible ASCII without '/',
 * ',' or spaces.
 */
static int s_check_scope_part(const char *what, const char *s)
{
    size_t n;
    if (!s || !*s)
        return al_raise(AL_ERR_USAGE, "sigv4: %s is empty", what);
    n = strlen(s);
    if (n > S_MAX_SCOPE_PART)
        return al_raise(AL_ERR_USAGE, "sigv4: %s is longer than %d bytes", what, S_MAX_SCOPE_PART);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',')
            return al_raise(AL_ERR_USAGE, "sigv4: %s contains a forbidden character", what);
    }
    return 0;
}

static bool s_has_token(const struct al_sigv4_params *p)
{
    return p->session_token && *p->session_token;
}

/* Formats the signing time, refusing what does not fit "YYYYMMDDTHHMMSSZ". */
static int s_amz_date(time_t t, char out[17])
{
    long long v = (long long)t;
    out[0] = '\0';
    if (v < 0 || v > 253402300799LL)
        return al_raise(AL_ERR_USAGE, "sigv4: signing time %lld is out of range", v);
    al_clock_amz(t, out);
    return 0;
}

static int s_check_params(const struct al_sigv4_params *p)
{
    if (!p)
        return al_raise(AL_ERR_INTERNAL, "sigv4: no parameters");
    if (s_check_scope_part("access key id", p->access_key_id) ||
        s_check_scope_part("region", p->region) || s_check_scope_part("service", p->service))
        return -1;
    if (!p->secret_access_key || !*p->secret_access_key)
        return al_raise(AL_ERR_USAGE, "sigv4: secret access key is empty");
    if (strlen(p->secret_access_key) > S_MAX_SECRET)
        return al_raise(AL_ERR_USAGE, "sigv4: secret access key is too long");
    if (s_has_token(p)) {
        /* It becomes a header value; keep it to visible ASCII. */
        for (const char *c = p->session_token; *c; c++)
            if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
                return al_raise(AL_ERR_USAGE, "sigv4: session token has a forbidden character");
        if (strlen(p->session_token) > AL_SIGV4_MAX_PART / 4)
            return al_raise(AL_ERR_LIMIT, "sigv4: session token is too long");
    }
    return 0;
}

static int s_scope(const struct al_sigv4_params *p, const char *amz_date, struct al_buf *out)
{
    return al_buf_printf(out, "%.8s/%s/%s/aws4_request", amz_date, p->region, p->service);
}

/* The payload hash ends the canonical request and may become a header. */
static int s_check_payload_hash(const char *h)
{
    size_t n;
    if (!h || !*h)
        return al_raise(AL_ERR_USAGE, "sigv4: payload hash is empty");
    n = strlen(h);
    if (n > 64)
        return al_raise(AL_ERR_USAGE, "sigv4: payload hash is longer than 64 characters");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-'))
            return al_raise(AL_ERR_USAGE, "sigv4: payload hash has a forbidden character");
    }
    return 0;
}

/*
 * Removes empty and "." segments and resolves ".." as the SDKs do (smithy,
 * botocore): "//a/./b/../c/" becomes "/a/c/", and a trailing slash survives
 * only when the input had one and something is left ("/a/b/.." is "/a").
 */
static int s_normalize_path(const char *p, size_t n, struct al_buf *out)
{
    struct seg {
        size_t off, len;
    } *segs = NULL;
    size_t nseg = 0, max_seg = 1, start = 0;
    int rc = -1;

    for (size_t i = 0; i < n; i++)
        max_seg += p[i] == '/';
    segs = calloc(max_seg, sizeof(*segs));
    if (!segs)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i <= n; i++) {
        size_t len;
        if (i < n && p[i] != '/')
            continue;
        len = i - start;
        if (len == 0 || (len == 1 && p[start] == '.')) {
            /* dropped */
        } else if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
            if (nseg)
                nseg--;
        } else {
            segs[nseg].off = start;
            segs[nseg].len = len;
            nseg++;
        }
        start = i + 1;
    }
    if (al_buf_putc(out, '/'))
        goto cleanup;
    for (size_t i = 0; i < nseg; i++) {
        if (i && al_buf_putc(out, '/'))
            goto cleanup;
        if (al_buf_append(out, p + segs[i].off, segs[i].len))
            goto cleanup;
    }
    if (nseg && n && p[n - 1] == '/' && al_buf_putc(out, '/'))
        goto cleanup;
    rc = 0;
cleanup:
    free(segs);
    return rc;
}

/*
 * Wire path and canonical URI. S3: encode once, keep every byte, and the
 * canonical URI is the wire path. Others: normalise, encode once for the
 * wire, and again for the canonical URI (SigV4's "double encoding").
 */
static int s_canonical_uri(const struct al_sigv4_params *p,
                           const struct al_sigv4_request *r,
                           struct al_buf *wire,
                           struct al_buf *canon)
{
    const char *path;
    size_t n;
    bool normalize = !p->s3 && !p->no_normalize;
    struct al_buf tmp;
    int rc = -1;

    if (!r->path)
        return al_raise(AL_ERR_USAGE, "sigv4: request has no path");
    path = *r->path ? r->path : "/";
    if (path[0] != '/')
        return al_raise(AL_ERR_USAGE, "sigv4: path must start with '/'");
    n = strlen(path);
    al_buf_init(&tmp, AL_SIGV4_MAX_PART);
    if (normalize) {
        if (s_normalize_path(path, n, &tmp))
            goto cleanup;
    } else if (al_buf_append(&tmp, path, n)) {
        goto cleanup;
    }
    if (r->path_encoded) {
        if (al_buf_append(wire, tmp.data, tmp.len))
            goto cleanup;
    } else if (al_uri_encode(wire, tmp.data, tmp.len, true)) {
        goto cleanup;
    }
    if (p->s3) {
        if (al_buf_append(canon, wire->data, wire->len))
            goto cleanup;
    } else if (al_uri_encode(canon, wire->data, wire->len, true)) {
        goto cleanup;
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&tmp);
    return rc;
}

static bool s_unsignable_name(const char *lname)
{
    if (!strncmp(lname, "proxy-", 6) || !strncmp(lname, "sec-", 4))
        return true;
    for (size_t i = 0; i < sizeof(s_unsignable) / sizeof(s_unsignable[0]); i++)
        if (!strcmp(lname, s_unsignable[i]))
            return true;
    return false;
}

/*
 * The canonical value: surrounding spaces and tabs trimmed, inner runs
 * collapsed to one space. CR and LF are refused rather than folded: in a
 * value we are about to send they mean header injection or a bug.
 */
static char *s_canonical_value(const char *name, const char *v)
{
    struct al_buf b;
    bool pending_space = false;

    al_buf_init(&b, AL_SIGV4_MAX_CANONICAL);
    for (const char *c = v ? v : ""; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == ' ' || u == '\t') {
            pending_space = b.len > 0;
            continue;
        }
        if (u < 0x20 || u == 0x7f) {
            al_buf_clean_up(&b);
            al_raise(AL_ERR_USAGE, "sigv4: header %s has a control character in its value", name);
            return NULL;
        }
        if ((pending_space && al_buf_putc(&b, ' ')) || al_buf_putc(&b, (char)u)) {
            al_buf_clean_up(&b);
            return NULL;
        }
        pending_space = false;
    }
    /* Appending nothing terminates a buffer that never grew, before detaching. */
    if (al_buf_append(&b, "", 0)) {
        al_buf_clean_up(&b);
        return NULL;
    }
    return al_buf_detach(&b);
}

static char *s_lowercase_dup(const char *s)
{
    char *d = al_strdup(s);
    if (d)
        for (char *c = d; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    return d;
}

static int s_cmp_header(const void *a, const void *b)
{
    const struct s_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int s_push_header(struct s_header *hs, size_t *n, const char *lname, const char *value)
{
    hs[*n].name = al_strdup(lname);
    hs[*n].value = s_canonical_value(lname, value);
    hs[*n].order = *n;
    (*n)++; /* counted even when half-built, so cleanup frees it */
    if (!hs[*n - 1].name || !hs[*n - 1].value)
        return -1;
    return 0;
}

/*
 * Fills the "name:value\n" block and the SignedHeaders list: the caller's
 * signable headers plus the signer's own (header mode only), sorted by name,
 * repeated names joined with ',' in their original order.
 */
static int s_canonical_headers(const struct al_sigv4_params *p,
                               const struct al_sigv4_request *r,
                               enum s_mode mode,
                               struct s_canon *c)
{
    struct s_header *hs = NULL;
    size_t n = 0;
    bool has_host = false;
    bool sign_sha = p->s3 || p->sign_body;
    int rc = -1;

    if (r->n_headers && !r->headers)
        return al_raise(AL_ERR_INTERNAL, "sigv4: headers missing");
    if (r->n_headers > SIZE_MAX / sizeof(*hs) - 3)
        return al_raise(AL_ERR_LIMIT, "sigv4: too many headers");
    hs = calloc(r->n_headers + 3, sizeof(*hs));
    if (!hs)
        return al_raise(AL_ERR_NOMEM, "out of memory");

    for (size_t i = 0; i < r->n_headers; i++) {
        const struct al_kv *h = &r->headers[i];
        char *lname;
        if (!s_is_token(h->name)) {
            al_raise(AL_ERR_USAGE, "sigv4: invalid header name '%s'", h->name ? h->name : "");
            goto cleanup;
        }
        lname = s_lowercase_dup(h->name);
        if (!lname)
            goto cleanup;
        if (!strcmp(lname, "x-amz-date") ||
            (!strcmp(lname, "x-amz-security-token") && s_has_token(p)) ||
            (!strcmp(lname, "x-amz-content-sha256") && sign_sha)) {
            al_raise(AL_ERR_USAGE, "sigv4: header %s is added by the signer", lname);
            free(lname);
            goto cleanup;
        }
        if (!strcmp(lname, "host"))
            has_host = true;
        if (!s_unsignable_name(lname) && s_push_header(hs, &n, lname, h->value)) {
            free(lname);
            goto cleanup;
        }
        free(lname);
    }
    if (!has_host) {
        al_raise(AL_ERR_USAGE, "sigv4: request has no host header");
        goto cleanup;
    }
    if (mode == S_MODE_HEADERS) {
        if (s_push_header(hs, &n, "x-amz-date", c->amz_date))
            goto cleanup;
        if (s_has_token(p) && !p->omit_session_token &&
            s_push_header(hs, &n, "x-amz-security-token", p->session_token))
            goto cleanup;
        if (sign_sha && s_push_header(hs, &n, "x-amz-content-sha256", r->payload_hash))
            goto cleanup;
    }

    qsort(hs, n, sizeof(*hs), s_cmp_header);
    for (size_t i = 0; i < n; i++) {
        bool first = i == 0 || strcmp(hs[i - 1].name, hs[i].name) != 0;
        bool last = i + 1 == n || strcmp(hs[i + 1].name, hs[i].name) != 0;
        if (first) {
            if (i && al_buf_putc(&c->signed_headers, ';'))
                goto cleanup;
            if (al_buf_puts(&c->signed_headers, hs[i].name) ||
                al_buf_printf(&c->header_block, "%s:", hs[i].name))
                goto cleanup;
        } else if (al_buf_putc(&c->header_block, ',')) {
            goto cleanup;
        }
        if (al_buf_puts(&c->header_block, hs[i].value))
            goto cleanup;
        if (last && al_buf_putc(&c->header_block, '\n'))
            goto cleanup;
    }
    rc = 0;
cleanup:
    for (size_t i = 0; i < n; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    return rc;
}

static int s_cmp_param(const void *a, const void *b)
{
    const struct s_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *s_encode_dup(const char *s)
{
    struct al_buf b;
    al_buf_init(&b, AL_SIGV4_MAX_PART);
    if (al_uri_encode(&b, s, strlen(s), false) || al_buf_append(&b, "", 0)) {
        al_buf_clean_up(&b);
        return NULL;
    }
    return al_buf_detach(&b);
}

/* Encodes and appends one parameter; *n counts it even half-built, for cleanup. */
static int s_push_param(struct s_param *ps, size_t *n, const char *name, const char *value)
{
    struct s_param *e = &ps[(*n)++];
    e->name = s_encode_dup(name);
    e->value = s_encode_dup(value ? value : "");
    return e->name && e->value ? 0 : -1;
}

/*
 * The canonical query: every name and value UriEncoded, sorted by name then
 * value, "name=value" joined with '&' (a bare key becomes "key="). In query
 * mode the X-Amz-* parameters of a presigned URL are part of it.
 */
static int s_canonical_query(const struct al_sigv4_params *p,
                             const struct al_sigv4_request *r,
                             enum s_mode mode,
                             unsigned expires,
                             struct s_canon *c)
{
    struct s_param *ps = NULL;
    size_t n = 0;
    char num[16];
    struct al_buf cred;
    int rc = -1;

    al_buf_init(&cred, 8 * S_MAX_SCOPE_PART);
    if (r->n_query && !r->query)
        return al_raise(AL_ERR_INTERNAL, "sigv4: query missing");
    if (r->n_query > SIZE_MAX / sizeof(*ps) - 6)
        return al_raise(AL_ERR_LIMIT, "sigv4: too many query parameters");
    ps = calloc(r->n_query + 6, sizeof(*ps));
    if (!ps)
        return al_raise(AL_ERR_NOMEM, "out of memory");

    for (size_t i = 0; i < r->n_query; i++) {
        const char *name = r->query[i].name;
        if (!name || !*name) {
            al_raise(AL_ERR_USAGE, "sigv4: query parameter with an empty name");
            goto cleanup;
        }
        if (mode == S_MODE_QUERY)
            for (size_t k = 0; k < sizeof(s_presign_params) / sizeof(s_presign_params[0]); k++)
                if (!strcasecmp(name, s_presign_params[k])) {
                    al_raise(
                      AL_ERR_USAGE, "sigv4: query parameter %s is added by the signer", name);
                    goto cleanup;
                }
        if (s_push_param(ps, &n, name, r->query[i].value))
            goto cleanup;
    }
    if (mode == S_MODE_QUERY) {
        snprintf(num, sizeof(num), "%u", expires);
        if (al_buf_printf(&cred, "%s/%s", p->access_key_id, al_buf_str(&c->scope)))
            goto cleanup;
        if (s_push_param(ps, &n, "X-Amz-Algorithm", AL_SIGV4_ALGORITHM) ||
            s_push_param(ps, &n, "X-Amz-Credential", cred.data) ||
            s_push_param(ps, &n, "X-Amz-Date", c->amz_date) ||
            s_push_param(ps, &n, "X-Amz-Expires", num) ||
            s_push_param(ps, &n, "X-Amz-SignedHeaders", al_buf_str(&c->signed_headers)))
            goto cleanup;
        if (s_has_token(p) && !p->omit_session_token &&
            s_push_param(ps, &n, "X-Amz-Security-Token", p->session_token))
            goto cleanup;
    }

    qsort(ps, n, sizeof(*ps), s_cmp_param);
    for (size_t i = 0; i < n; i++)
        if (al_buf_printf(&c->query, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value))
            goto cleanup;
    rc = 0;
cleanup:
    for (size_t i = 0; i < n; i++) {
        free(ps[i].name);
        free(ps[i].value);
    }
    free(ps);
    al_buf_clean_up(&cred);
    return rc;
}

/* Validates the inputs and builds every part of the canonical request. */
static int s_build(const struct al_sigv4_params *p,
                   const struct al_sigv4_request *r,
                   enum s_mode mode,
                   unsigned expires,
                   struct s_canon *c)
{
    if (s_check_params(p))
        return -1;
    if (!r)
        return al_raise(AL_ERR_INTERNAL, "sigv4: no request");
    if (!s_is_token(r->method) || strlen(r->method) > 32)
        return al_raise(AL_ERR_USAGE, "sigv4: invalid method");
    if (s_check_payload_hash(r->payload_hash))
        return -1;
    if (mode == S_MODE_QUERY && (expires < 1 || expires > AL_SIGV4_MAX_EXPIRES))
        return al_raise(
          AL_ERR_USAGE, "sigv4: expiry of %u s is outside 1..%u", expires, AL_SIGV4_MAX_EXPIRES);
    if (s_amz_date(p->time, c->amz_date) || s_scope(p, c->amz_date, &c->scope))
        return -1;
    if (s_canonical_uri(p, r, &c->wire_path, &c->canon_path) ||
        s_canonical_headers(p, r, mode, c) || s_canonical_query(p, r, mode, expires, c))
        return -1;
    return al_buf_printf(&c->creq,
                         "%s\n%s\n%s\n%s\n%s\n%s",
                         r->method,
                         al_buf_str(&c->canon_path),
                         al_buf_str(&c->query),
                         al_buf_str(&c->header_block),
                         al_buf_str(&c->signed_headers),
                         r->payload_hash);
}

static int s_canonical_request_out(const struct al_sigv4_params *params,
                                   const struct al_sigv4_request *req,
                                   enum s_mode mode,
                                   unsigned expires,
                                   struct al_buf *out,
                                   struct al_buf *signed_headers_out)
{
    struct s_canon c;
    int rc = -1;

    al_buf_reset(out);
    if (signed_headers_out)
        al_buf_reset(signed_headers_out);
    s_canon_init(&c);
    if (s_build(params, req, mode, expires, &c) || s_buf_set(out, &c.creq))
        goto cleanup;
    if (signed_headers_out && s_buf_set(signed_headers_out, &c.signed_headers)) {
        al_buf_reset(out);
        goto cleanup;
    }
    rc = 0;
cleanup:
    s_canon_clean_up(&c);
    return rc;
}

int al_sigv4_canonical_request(const struct al_sigv4_params *params,
                               const struct al_sigv4_request *req,
                               struct al_buf *out,
                               struct al_buf *signed_headers_out)
{
    return s_canonical_request_out(params, req, S_MODE_HEADERS, 0, out, signed_headers_out);
}

int al_sigv4_presign_canonical_request(const struct al_sigv4_params *params,
                                       const struct al_sigv4_request *req,
                                       unsigned expires,
                                       struct al_buf *out,
                                       struct al_buf *signed_headers_out)
{
    return s_canonical_request_out(params, req, S_MODE_QUERY, expires, out, signed_headers_out);
}

int al_sigv4_string_to_sign(const struct al_sigv4_params *params,
                            const char *canonical_request,
                            struct al_buf *out)
{
    char date[17];
    uint8_t digest[AL_SHA256_LEN];
    char hex[AL_SHA256_HEX_LEN + 1];
    struct al_buf scope;
    int rc = -1;

    al_buf_reset(out);
    al_buf_init(&scope, 4 * S_MAX_SCOPE_PART);
    if (s_check_params(params) || s_amz_date(params->time, date) || s_scope(params, date, &scope))
        goto cleanup;
    if (!canonical_request) {
        al_raise(AL_ERR_INTERNAL, "sigv4: no canonical request");
        goto cleanup;
    }
    if (al_sha256(canonical_request, strlen(canonical_request), digest))
        goto cleanup;
    al_hex(digest, sizeof(digest), hex);
    if (al_buf_printf(out, "%s\n%s\n%s\n%s", AL_SIGV4_ALGORITHM, date, scope.data, hex)) {
        al_buf_reset(out);
        goto cleanup;
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&scope);
    return rc;
}

int al_sigv4_signature(const struct al_sigv4_params *params,
                       const char *string_to_sign,
                       char out_hex[65])
{
    /* The secret stays in this fixed buffer (no realloc copies) and is wiped. */
    char secret[4 + S_MAX_SECRET + 1];
    uint8_t key[AL_SHA256_LEN], sig[AL_SHA256_LEN];
    char date[17];
    size_t n;
    int rc = -1;

    out_hex[0] = '\0';
    if (s_check_params(params) || s_amz_date(params->time, date))
        return -1;
    if (!string_to_sign)
        return al_raise(AL_ERR_INTERNAL, "sigv4: no string to sign");
    n = strlen(params->secret_access_key);
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, params->secret_access_key, n);
    if (al_hmac_sha256(secret, 4 + n, date, 8, key) ||
        al_hmac_sha256(key, sizeof(key), params->region, strlen(params->region), key) ||
        al_hmac_sha256(key, sizeof(key), params->service, strlen(params->service), key) ||
        al_hmac_sha256(key, sizeof(key), "aws4_request", 12, key) ||
        al_hmac_sha256(key, sizeof(key), string_to_sign, strlen(string_to_sign), sig))
        goto cleanup;
    al_hex(sig, sizeof(sig), out_hex);
    rc = 0;
cleanup:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* String to sign and signature of a built canonical request. */
static int s_sign_canon(const struct al_sigv4_params *p, const struct s_canon *c, char sig[65])
{
    struct al_buf sts;
    int rc;

    al_buf_init(&sts, AL_SIGV4_MAX_PART);
    rc = al_sigv4_string_to_sign(p, al_buf_str(&c->creq), &sts);
    if (!rc)
        rc = al_sigv4_signature(p, al_buf_str(&sts), sig);
    al_buf_clean_up(&sts);
    return rc;
}

static void s_signed_init(struct al_sigv4_signed *s)
{
    s->amz_date[0] = '\0';
    s->content_sha256[0] = '\0';
    s->security_token = NULL;
    al_buf_init(&s->authorization, AL_SIGV4_MAX_PART);
    al_buf_init(&s->wire_path, AL_SIGV4_MAX_PART);
    al_buf_init(&s->wire_query, AL_SIGV4_MAX_PART);
}

int al_sigv4_sign(const struct al_sigv4_params *params,
                  const struct al_sigv4_request *req,
                  struct al_sigv4_signed *out)
{
    struct s_canon c;
    char sig[65];
    int rc = -1;

    s_signed_init(out);
    s_canon_init(&c);
    if (s_build(params, req, S_MODE_HEADERS, 0, &c) || s_sign_canon(params, &c, sig))
        goto cleanup;
    if (al_buf_printf(&out->authorization,
                      "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                      AL_SIGV4_ALGORITHM,
                      params->access_key_id,
                      al_buf_str(&c.scope),
                      al_buf_str(&c.signed_headers),
                      sig) ||
        s_buf_set(&out->wire_path, &c.wire_path) || s_buf_set(&out->wire_query, &c.query))
        goto cleanup;
    memcpy(out->amz_date, c.amz_date, sizeof(out->amz_date));
    if (params->s3 || params->sign_body)
        snprintf(out->content_sha256, sizeof(out->content_sha256), "%s", req->payload_hash);
    out->security_token = s_has_token(params) ? params->session_token : NULL;
    rc = 0;
cleanup:
    if (rc) {
        al_sigv4_signed_clean_up(out);
        s_signed_init(out);
    }
    s_canon_clean_up(&c);
    return rc;
}

void al_sigv4_signed_clean_up(struct al_sigv4_signed *s)
{
    if (!s)
        return;
    al_buf_clean_up(&s->authorization);
    al_buf_clean_up(&s->wire_path);
    al_buf_clean_up(&s->wire_query);
    s->security_token = NULL;
}

int al_sigv4_presign(const struct al_sigv4_params *params,
                     const struct al_sigv4_request *req,
                     unsigned expires,
                     struct al_buf *path_out,
                     struct al_buf *query_out)
{
    struct s_canon c;
    char sig[65];
    int rc = -1;

    al_buf_reset(path_out);
    al_buf_reset(query_out);
    s_canon_init(&c);
    if (s_build(params, req, S_MODE_QUERY, expires, &c) || s_sign_canon(params, &c, sig))
        goto cleanup;
    /* An omitted token still travels, unsigned (suite post-sts-header-after). */
    if (s_has_token(params) && params->omit_session_token &&
        (al_buf_puts(&c.query, "&X-Amz-Security-Token=") ||
         al_uri_encode(&c.query, params->session_token, strlen(params->session_token), false)))
        goto cleanup;
    if (al_buf_printf(&c.query, "&X-Amz-Signature=%s", sig) || s_buf_set(path_out, &c.wire_path) ||
        s_buf_set(query_out, &c.query))
        goto cleanup;
    rc = 0;
cleanup:
    if (rc) {
        al_buf_reset(path_out);
        al_buf_reset(query_out);
    }
    s_canon_clean_up(&c);
    return rc;
}
