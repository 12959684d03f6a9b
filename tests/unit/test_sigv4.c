/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4: the 38 v4 cases of aws-c-auth's aws-signing-test-suite (read in
 * place from the shared test data), header and query signing, every stage
 * compared alone; the S3 examples of the S3 API docs; and edge cases.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/str.h"

/* Every v4 case; a missing folder is a failure, not a silent skip. */
static const char *const s_cases[] = {
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-relative-normalized",
    "get-relative-relative-normalized",
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-normalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-normalized",
    "get-slash-pointless-dot-normalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-normalized",
    "get-slashes-unnormalized",
    "get-space-normalized",
    "get-space-unnormalized",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-after",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};
#define S_N_CASES (sizeof(s_cases) / sizeof(s_cases[0]))

/* One suite case, parsed. All owned. */
struct s_case {
    char dir[4300];
    struct al_strv strings; /* backing store of every name and value below */
    struct al_kv *query, *headers;
    size_t n_query, n_headers;
    char *method, *path, *body;
    size_t body_len;
    char payload_hash[AL_SHA256_HEX_LEN + 1];
    struct al_sigv4_params params;
    bool normalize;
};

static void s_case_clean_up(struct s_case *c)
{
    al_strv_clean_up(&c->strings);
    free(c->query);
    free(c->headers);
    free(c->method);
    free(c->path);
    free(c->body);
}

/* Reads dir/name with trailing newlines dropped (the suite files vary). Heap. */
static char *s_read_trimmed(const char *dir, const char *name)
{
    char path[4400];
    size_t n = 0;
    char *s;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    s = al_test_read_file(path, &n);
    while (s && n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static const char *s_push(struct s_case *c, const char *s, size_t n)
{
    char *d = s ? al_strndup(s, n) : NULL;
    if (!d || al_strv_push_owned(&c->strings, d))
        return NULL;
    return d;
}

static const char *s_push_str(struct s_case *c, const char *s)
{
    return s ? s_push(c, s, strlen(s)) : NULL;
}

/* Splits "a=1&b&%E1%88%B4=x" into decoded pairs. */
static int s_parse_query(struct s_case *c, const char *q)
{
    size_t cap = 1;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    c->query = calloc(cap, sizeof(*c->query));
    if (!c->query)
        return -1;
    while (*q) {
        const char *amp = strchr(q, '&'), *eq;
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        struct al_buf name, value;
        int rc = -1;
        eq = memchr(q, '=', len);
        al_buf_init(&name, 4096);
        al_buf_init(&value, 4096);
        if (!al_uri_decode(&name, q, eq ? (size_t)(eq - q) : len, false) &&
            !al_uri_decode(&value, eq ? eq + 1 : "", eq ? len - (size_t)(eq - q) - 1 : 0, false)) {
            c->query[c->n_query].name = s_push(c, al_buf_str(&name), name.len);
            c->query[c->n_query].value = s_push(c, al_buf_str(&value), value.len);
            rc = c->query[c->n_query].name && c->query[c->n_query].value ? 0 : -1;
            c->n_query++;
        }
        al_buf_clean_up(&name);
        al_buf_clean_up(&value);
        if (rc)
            return -1;
        q += len + (amp ? 1 : 0);
    }
    return 0;
}

/*
 * Parses request.txt: "METHOD <path>[?query] HTTP/1.1" (the path may hold
 * spaces), "Name:value" lines where a line starting with white space continues
 * the previous value (obs-fold, read as one space), a blank line, the body.
 */
static int s_parse_request(struct s_case *c, const char *text)
{
    const char *eol = strchr(text, '\n'), *sp, *http, *p, *qm;
    size_t cap = 1, line_len;
    struct al_buf value;
    int rc = -1;

    if (!eol || !(sp = strchr(text, ' ')) || sp > eol)
        return -1;
    for (http = eol; http > sp && strncmp(http, " HTTP/", 6); http--)
        ;
    if (http == sp)
        return -1;
    c->method = al_strndup(text, (size_t)(sp - text));
    qm = memchr(sp + 1, '?', (size_t)(http - sp - 1));
    c->path = al_strndup(sp + 1, (size_t)((qm ? qm : http) - sp - 1));
    if (!c->method || !c->path)
        return -1;
    if (qm) {
        char *q = al_strndup(qm + 1, (size_t)(http - qm - 1));
        int qrc = q ? s_parse_query(c, q) : -1;
        free(q);
        if (qrc)
            return -1;
    }

    for (p = eol + 1; *p; p++)
        cap += *p == '\n';
    c->headers = calloc(cap, sizeof(*c->headers));
    if (!c->headers)
        return -1;
    al_buf_init(&value, 1 << 16);
    p = eol + 1;
    for (;;) {
        const char *colon;
        eol = strchr(p, '\n');
        line_len = eol ? (size_t)(eol - p) : strlen(p);
        if (line_len && p[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0)
            break;
        if (*p == ' ' || *p == '\t') {
            /* Continuation: replace the previous value with the longer one. */
            if (!c->n_headers || al_buf_putc(&value, ' ') || al_buf_append(&value, p, line_len))
                goto cleanup;
            c->headers[c->n_headers - 1].value = s_push(c, value.data, value.len);
        } else {
            colon = memchr(p, ':', line_len);
            if (!colon)
                goto cleanup;
            al_buf_reset(&value);
            if (al_buf_append(&value, colon + 1, line_len - (size_t)(colon - p) - 1))
                goto cleanup;
            c->headers[c->n_headers].name = s_push(c, p, (size_t)(colon - p));
            c->headers[c->n_headers].value = s_push(c, al_buf_str(&value), value.len);
            c->n_headers++;
        }
        if (!c->headers[c->n_headers - 1].name || !c->headers[c->n_headers - 1].value)
            goto cleanup;
        if (!eol)
            break;
        p = eol + 1;
    }
    /* After the blank line (if any) comes the body. */
    if (eol && line_len == 0) {
        const char *body = eol + 1;
        c->body_len = strlen(body);
        c->body = al_strndup(body, c->body_len);
    } else {
        c->body = al_strdup("");
    }
    rc = c->body ? 0 : -1;
cleanup:
    al_buf_clean_up(&value);
    return rc;
}

static const char *s_json_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Loads context.json (credentials, scope, time, options) into c->params. */
static int s_load_context(struct s_case *c)
{
    char path[4400];
    json_error_t jerr;
    json_t *root, *cred;
    const char *ts;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/context.json", c->dir);
    root = json_load_file(path, 0, &jerr);
    if (!root)
        return -1;
    cred = json_object_get(root, "credentials");
    c->params.access_key_id = s_push_str(c, s_json_str(cred, "access_key_id"));
    c->params.secret_access_key = s_push_str(c, s_json_str(cred, "secret_access_key"));
    c->params.region = s_push_str(c, s_json_str(root, "region"));
    c->params.service = s_push_str(c, s_json_str(root, "service"));
    if (s_json_str(cred, "token"))
        c->params.session_token = s_push_str(c, s_json_str(cred, "token"));
    c->params.omit_session_token = json_is_true(json_object_get(root, "omit_session_token"));
    c->params.sign_body = json_is_true(json_object_get(root, "sign_body"));
    c->normalize = json_is_true(json_object_get(root, "normalize"));
    c->params.no_normalize = !c->normalize;
    ts = s_json_str(root, "timestamp");
    if (c->params.access_key_id && c->params.secret_access_key && c->params.region &&
        c->params.service && ts && al_clock_parse(ts, &c->params.time) == 0 &&
        json_integer_value(json_object_get(root, "expiration_in_seconds")) == 3600)
        rc = 0;
    json_decref(root);
    return rc;
}

static int s_load_case(struct s_case *c, const char *base, const char *name)
{
    char *req;
    uint8_t d[AL_SHA256_LEN];
    int rc;

    memset(c, 0, sizeof(*c));
    al_strv_init(&c->strings);
    snprintf(c->dir, sizeof(c->dir), "%s/%s", base, name);
    req = s_read_trimmed(c->dir, "request.txt");
    if (!req)
        return -1;
    rc = s_parse_request(c, req);
    free(req);
    if (rc || s_load_context(c) || al_sha256(c->body, c->body_len, d))
        return -1;
    al_hex(d, sizeof(d), c->payload_hash);
    return 0;
}

static bool s_same(const char *name, const char *what, const char *got, const char *want)
{
    if (got && want && !strcmp(got, want))
        return true;
    al_test_fail(__FILE__,
                 __LINE__,
                 "%s: %s differs\n  got:      %s\n  expected: %s",
                 name,
                 what,
                 got ? got : "(null)",
                 want ? want : "(missing)");
    return false;
}

/* The value of the "Name:" line of a signed-request file (case-insensitive), heap. */
static char *s_header_line(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *end = strchr(p, '\n');
            return al_strndup(p + n + 1, end ? (size_t)(end - p - n - 1) : strlen(p + n + 1));
        }
    }
    return NULL;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Splits a query on '&', percent-decodes and sorts the pieces, so neither
 * order nor encoding matters: the suite's request lines keep the caller's
 * parameters as written ("ሴ=bar"), while ours are encoded for the wire.
 */
static int s_sorted_params(const char *q, struct al_strv *out)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        struct al_buf d;
        al_buf_init(&d, AL_SIGV4_MAX_PART);
        if (al_uri_decode(&d, q, len, false) || al_buf_append(&d, "", 0) ||
            al_strv_push_owned(out, al_buf_detach(&d))) {
            al_buf_clean_up(&d);
            return -1;
        }
        q += len + (amp ? 1 : 0);
    }
    qsort(out->items, out->len, sizeof(char *), s_cmp_str);
    return 0;
}

static bool s_same_params(const char *name, const char *got, const char *want)
{
    struct al_strv g, w;
    bool same;
    al_strv_init(&g);
    al_strv_init(&w);
    same = !s_sorted_params(got, &g) && !s_sorted_params(want, &w) && g.len == w.len;
    for (size_t i = 0; same && i < g.len; i++)
        same = !strcmp(g.items[i], w.items[i]);
    al_strv_clean_up(&g);
    al_strv_clean_up(&w);
    return same || s_same(name, "presigned query (as a set)", got, want);
}

static struct al_sigv4_request s_request_of(const struct s_case *c)
{
    struct al_sigv4_request r = {
        .method = c->method,
        .path = c->path,
        .path_encoded = true, /* the suite's paths are the wire form */
        .query = c->query,
        .n_query = c->n_query,
        .headers = c->headers,
        .n_headers = c->n_headers,
        .payload_hash = c->payload_hash,
    };
    return r;
}

/* Header signing: every stage, then the Authorization and added headers. */
static bool s_check_header_mode(const char *name, struct s_case *c)
{
    struct al_sigv4_request r = s_request_of(c);
    struct al_buf creq, sts;
    struct al_sigv4_signed sd;
    char sig[65];
    char *want_creq = s_read_trimmed(c->dir, "header-canonical-request.txt");
    char *want_sts = s_read_trimmed(c->dir, "header-string-to-sign.txt");
    char *want_sig = s_read_trimmed(c->dir, "header-signature.txt");
    char *want_req = s_read_trimmed(c->dir, "header-signed-request.txt");
    char *want_auth = NULL, *want_date = NULL, *want_token = NULL, *want_sha = NULL;
    bool ok = false;

    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    al_buf_init(&sts, 4096);
    if (!want_creq || !want_sts || !want_sig || !want_req) {
        al_test_fail(__FILE__, __LINE__, "%s: expected header-* files missing", name);
        goto cleanup;
    }
    want_auth = s_header_line(want_req, "Authorization");
    want_date = s_header_line(want_req, "X-Amz-Date");
    want_token = s_header_line(want_req, "X-Amz-Security-Token");
    want_sha = s_header_line(want_req, "x-amz-content-sha256");
    if (al_sigv4_canonical_request(&c->params, &r, &creq, NULL) ||
        al_sigv4_string_to_sign(&c->params, creq.data, &sts) ||
        al_sigv4_signature(&c->params, sts.data, sig) || al_sigv4_sign(&c->params, &r, &sd)) {
        al_test_fail(__FILE__, __LINE__, "%s: signing failed: %s", name, al_error_last()->msg);
        goto cleanup;
    }
    ok = s_same(name, "header canonical request", creq.data, want_creq);
    ok = s_same(name, "header string to sign", sts.data, want_sts) && ok;
    ok = s_same(name, "header signature", sig, want_sig) && ok;
    ok = s_same(name, "Authorization", sd.authorization.data, want_auth) && ok;
    ok = s_same(name, "X-Amz-Date", sd.amz_date, want_date) && ok;
    if (want_token || sd.security_token)
        ok = s_same(name, "X-Amz-Security-Token", sd.security_token, want_token) && ok;
    if (want_sha || sd.content_sha256[0])
        ok = s_same(name, "x-amz-content-sha256", sd.content_sha256, want_sha) && ok;
    /* Unnormalised paths are sent exactly as given. */
    if (!c->normalize)
        ok = s_same(name, "wire path", sd.wire_path.data, c->path) && ok;
    al_sigv4_signed_clean_up(&sd);
cleanup:
    al_buf_clean_up(&creq);
    al_buf_clean_up(&sts);
    free(want_creq);
    free(want_sts);
    free(want_sig);
    free(want_req);
    free(want_auth);
    free(want_date);
    free(want_token);
    free(want_sha);
    return ok;
}

/* Query signing (presigned URL, X-Amz-Expires=3600): every stage, then the URL. */
static bool s_check_query_mode(const char *name, struct s_case *c)
{
    struct al_sigv4_request r = s_request_of(c);
    struct al_buf creq, sts, path, query;
    char sig[65];
    char *want_creq = s_read_trimmed(c->dir, "query-canonical-request.txt");
    char *want_sts = s_read_trimmed(c->dir, "query-string-to-sign.txt");
    char *want_sig = s_read_trimmed(c->dir, "query-signature.txt");
    char *want_req = s_read_trimmed(c->dir, "query-signed-request.txt");
    char *want_query = NULL, *want_path = NULL;
    bool ok = false;

    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    al_buf_init(&sts, 4096);
    al_buf_init(&path, AL_SIGV4_MAX_PART);
    al_buf_init(&query, AL_SIGV4_MAX_PART);
    if (!want_creq || !want_sts || !want_sig || !want_req) {
        al_test_fail(__FILE__, __LINE__, "%s: expected query-* files missing", name);
        goto cleanup;
    }
    {
        /* "METHOD <path>?<query> HTTP/1.1": the path may hold spaces. */
        const char *sp = strchr(want_req, ' ');
        const char *eol = strchr(want_req, '\n');
        const char *http = eol ? eol : want_req + strlen(want_req);
        while (http > want_req && strncmp(http, " HTTP/", 6))
            http--;
        const char *qm = sp ? memchr(sp, '?', (size_t)(http - sp)) : NULL;
        if (!sp || !qm) {
            al_test_fail(__FILE__, __LINE__, "%s: unreadable query-signed-request", name);
            goto cleanup;
        }
        want_path = al_strndup(sp + 1, (size_t)(qm - sp - 1));
        want_query = al_strndup(qm + 1, (size_t)(http - qm - 1));
    }
    if (al_sigv4_presign_canonical_request(&c->params, &r, 3600, &creq, NULL) ||
        al_sigv4_string_to_sign(&c->params, creq.data, &sts) ||
        al_sigv4_signature(&c->params, sts.data, sig) ||
        al_sigv4_presign(&c->params, &r, 3600, &path, &query)) {
        al_test_fail(__FILE__, __LINE__, "%s: presigning failed: %s", name, al_error_last()->msg);
        goto cleanup;
    }
    ok = s_same(name, "query canonical request", creq.data, want_creq);
    ok = s_same(name, "query string to sign", sts.data, want_sts) && ok;
    ok = s_same(name, "query signature", sig, want_sig) && ok;
    ok = s_same_params(name, query.data, want_query) && ok;
    if (!c->normalize)
        ok = s_same(name, "presigned path", path.data, want_path) && ok;
cleanup:
    al_buf_clean_up(&creq);
    al_buf_clean_up(&sts);
    al_buf_clean_up(&path);
    al_buf_clean_up(&query);
    free(want_creq);
    free(want_sts);
    free(want_sig);
    free(want_req);
    free(want_query);
    free(want_path);
    return ok;
}

static const char *s_suite_dir(void)
{
    static char path[4200];
    const char *base = al_test_data_dir();
    char probe[4300];
    FILE *f;
    if (!base)
        return NULL;
    snprintf(path, sizeof(path), "%s/aws-signing-test-suite/v4", base);
    snprintf(probe, sizeof(probe), "%s/get-vanilla/request.txt", path);
    f = fopen(probe, "r");
    if (!f)
        return NULL;
    fclose(f);
    return path;
}

/* Runs all 38 cases in one mode and names every case that fails. */
static void s_run_suite(bool query_mode)
{
    const char *dir = s_suite_dir();
    size_t failed = 0;
    if (!dir) {
        al_test_skip("aws-signing-test-suite/v4 not found under $AIRLOCK_TESTDATA or "
                     "../shared/testdata");
        return;
    }
    for (size_t i = 0; i < S_N_CASES; i++) {
        struct s_case c;
        bool ok;
        if (s_load_case(&c, dir, s_cases[i])) {
            al_test_fail(__FILE__, __LINE__, "%s: cannot load the case from %s", s_cases[i], c.dir);
            ok = false;
        } else {
            ok =
              query_mode ? s_check_query_mode(s_cases[i], &c) : s_check_header_mode(s_cases[i], &c);
        }
        s_case_clean_up(&c);
        failed += !ok;
    }
    if (failed)
        al_test_fail(__FILE__,
                     __LINE__,
                     "%zu of %zu %s-signing cases failed",
                     failed,
                     (size_t)S_N_CASES,
                     query_mode ? "query" : "header");
}

TEST(sigv4_suite_header_signing)
{
    ASSERT_INT_EQ(S_N_CASES, 38);
    s_run_suite(false);
}

TEST(sigv4_suite_query_signing)
{
    ASSERT_INT_EQ(S_N_CASES, 38);
    s_run_suite(true);
}

/* --- S3 examples (docs: AmazonS3/latest/API/sig-v4-header-based-auth.html) --- */

#define S3_HOST "examplebucket.s3.amazonaws.com"

static struct al_sigv4_params s_s3_params(void)
{
    struct al_sigv4_params p = {
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        .region = "us-east-1",
        .service = "s3",
        .s3 = true,
    };
    al_clock_parse("2013-05-24T00:00:00Z", &p.time);
    return p;
}

/* Signs and checks the signature at the end of the Authorization value. */
static bool s_s3_signature_is(const struct al_sigv4_request *r, const char *want)
{
    struct al_sigv4_params p = s_s3_params();
    struct al_sigv4_signed sd;
    const char *sig;
    bool ok = false;
    if (al_sigv4_sign(&p, r, &sd) == 0 &&
        (sig = strstr(al_buf_str(&sd.authorization), "Signature=")))
        ok = s_same(r->path, "signature", sig + 10, want);
    else
        al_test_fail(__FILE__, __LINE__, "signing failed: %s", al_error_last()->msg);
    al_sigv4_signed_clean_up(&sd);
    return ok;
}

TEST(sigv4_s3_get_object_with_range)
{
    struct al_kv h[] = { { "Host", S3_HOST }, { "Range", "bytes=0-9" } };
    struct al_sigv4_request r = { "GET", "/test.txt", false, NULL, 0, h, 2, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_params p = s_s3_params();
    struct al_buf creq;
    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    ASSERT_OK(al_sigv4_canonical_request(&p, &r, &creq, NULL));
    ASSERT_STR_EQ(creq.data,
                  "GET\n/test.txt\n\n"
                  "host:examplebucket.s3.amazonaws.com\n"
                  "range:bytes=0-9\n"
                  "x-amz-content-sha256:" AL_SIGV4_EMPTY_SHA256 "\n"
                  "x-amz-date:20130524T000000Z\n\n"
                  "host;range;x-amz-content-sha256;x-amz-date\n" AL_SIGV4_EMPTY_SHA256);
    al_buf_clean_up(&creq);
    ASSERT(
      s_s3_signature_is(&r, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

TEST(sigv4_s3_put_object)
{
    static const char body[] = "Welcome to Amazon S3.";
    struct al_kv h[] = { { "Host", S3_HOST },
                         { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
                         { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
    uint8_t d[AL_SHA256_LEN];
    char hash[65];
    struct al_sigv4_request r = { "PUT", "/test$file.text", false, NULL, 0, h, 3, hash };
    struct al_sigv4_params p = s_s3_params();
    struct al_sigv4_signed sd;

    ASSERT_OK(al_sha256(body, sizeof(body) - 1, d));
    al_hex(d, sizeof(d), hash);
    ASSERT_STR_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    ASSERT(
      s_s3_signature_is(&r, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_STR_EQ(sd.wire_path.data, "/test%24file.text");
    ASSERT_STR_EQ(sd.content_sha256, hash);
    ASSERT_STR_EQ(sd.amz_date, "20130524T000000Z");
    ASSERT(!sd.security_token);
    ASSERT_CONTAINS(sd.authorization.data,
                    "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,");
    al_sigv4_signed_clean_up(&sd);
}

TEST(sigv4_s3_get_bucket_lifecycle)
{
    struct al_kv h[] = { { "Host", S3_HOST } };
    struct al_kv q[] = { { "lifecycle", NULL } };
    struct al_sigv4_request r = { "GET", "/", false, q, 1, h, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_params p = s_s3_params();
    struct al_sigv4_signed sd;
    ASSERT(
      s_s3_signature_is(&r, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_STR_EQ(sd.wire_query.data, "lifecycle=");
    al_sigv4_signed_clean_up(&sd);
}

TEST(sigv4_s3_list_objects)
{
    struct al_kv h[] = { { "Host", S3_HOST } };
    struct al_kv q[] = { { "prefix", "J" }, { "max-keys", "2" } };
    struct al_sigv4_request r = { "GET", "/", false, q, 2, h, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_params p = s_s3_params();
    struct al_sigv4_signed sd;
    ASSERT(
      s_s3_signature_is(&r, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_STR_EQ(sd.wire_query.data, "max-keys=2&prefix=J");
    al_sigv4_signed_clean_up(&sd);
}

/* docs: AmazonS3/latest/API/sigv4-query-string-auth.html */
TEST(sigv4_s3_presigned_get)
{
    struct al_kv h[] = { { "Host", S3_HOST } };
    struct al_sigv4_request r = { "GET", "/test.txt", false, NULL,
                                  0,     h,           1,     AL_SIGV4_UNSIGNED_PAYLOAD };
    struct al_sigv4_params p = s_s3_params();
    struct al_buf path, query;
    al_buf_init(&path, 4096);
    al_buf_init(&query, 4096);
    ASSERT_OK(al_sigv4_presign(&p, &r, 86400, &path, &query));
    ASSERT_STR_EQ(path.data, "/test.txt");
    ASSERT_STR_EQ(
      query.data,
      "X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    al_buf_clean_up(&path);
    al_buf_clean_up(&query);
}

/* --- edge cases --- */

static struct al_sigv4_params s_suite_params(bool s3)
{
    struct al_sigv4_params p = {
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        .region = "us-east-1",
        .service = s3 ? "s3" : "service",
        .time = 1440938160, /* 2015-08-30T12:36:00Z */
        .s3 = s3,
    };
    return p;
}

/* Signs with header signing and returns the canonical request's second line. */
static char *s_canonical_uri_of(const struct al_sigv4_params *p,
                                const char *path,
                                struct al_buf *wire)
{
    struct al_kv h[] = { { "Host", "example.amazonaws.com" } };
    struct al_sigv4_request r = { "GET", path, false, NULL, 0, h, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_signed sd;
    struct al_buf creq;
    char *uri = NULL;
    memset(&sd, 0, sizeof(sd));
    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    if (al_sigv4_canonical_request(p, &r, &creq, NULL) == 0 && al_sigv4_sign(p, &r, &sd) == 0) {
        const char *nl = strchr(creq.data + 4, '\n');
        uri = al_strndup(creq.data + 4, (size_t)(nl - creq.data - 4));
        al_buf_reset(wire);
        al_buf_puts(wire, sd.wire_path.data);
    }
    al_sigv4_signed_clean_up(&sd);
    al_buf_clean_up(&creq);
    return uri;
}

TEST(sigv4_s3_keys_kept_verbatim)
{
    struct al_sigv4_params p = s_suite_params(true);
    struct al_buf wire;
    char *uri;
    al_buf_init(&wire, 4096);
    uri = s_canonical_uri_of(&p, "/bucket/a//b/./c/../d/", &wire);
    ASSERT_STR_EQ(uri, "/bucket/a//b/./c/../d/");
    ASSERT_STR_EQ(wire.data, "/bucket/a//b/./c/../d/");
    free(uri);
    uri = s_canonical_uri_of(&p, "/bucket/a b+c/\xC3\xA9$%~!'()*=&?", &wire);
    ASSERT_STR_EQ(uri, "/bucket/a%20b%2Bc/%C3%A9%24%25~%21%27%28%29%2A%3D%26%3F");
    ASSERT_STR_EQ(wire.data, uri);
    free(uri);
    uri = s_canonical_uri_of(&p, "", &wire);
    ASSERT_STR_EQ(uri, "/");
    free(uri);
    al_buf_clean_up(&wire);
}

TEST(sigv4_other_services_normalise_and_double_encode)
{
    struct al_sigv4_params p = s_suite_params(false);
    struct al_buf wire;
    char *uri;
    al_buf_init(&wire, 4096);
    uri = s_canonical_uri_of(&p, "/example space/", &wire);
    ASSERT_STR_EQ(wire.data, "/example%20space/");
    ASSERT_STR_EQ(uri, "/example%2520space/");
    free(uri);
    uri = s_canonical_uri_of(&p, "//a/./b/../c//d/", &wire);
    ASSERT_STR_EQ(wire.data, "/a/c/d/");
    ASSERT_STR_EQ(uri, "/a/c/d/");
    free(uri);
    uri = s_canonical_uri_of(&p, "/a/b/..", &wire); /* as smithy and botocore: no trailing '/' */
    ASSERT_STR_EQ(uri, "/a");
    free(uri);
    uri = s_canonical_uri_of(&p, "/../..", &wire);
    ASSERT_STR_EQ(uri, "/");
    free(uri);
    uri = s_canonical_uri_of(&p, "/2015-03-31/functions/my fn%/\xE1\x88\xB4", &wire);
    ASSERT_STR_EQ(wire.data, "/2015-03-31/functions/my%20fn%25/%E1%88%B4");
    ASSERT_STR_EQ(uri, "/2015-03-31/functions/my%2520fn%2525/%25E1%2588%25B4");
    free(uri);
    al_buf_clean_up(&wire);
}

TEST(sigv4_query_empty_repeated_unicode)
{
    struct al_sigv4_params p = s_suite_params(true);
    struct al_kv h[] = { { "Host", "example.amazonaws.com" } };
    struct al_kv q[] = { { "key", "" },          { "b", "2" },
                         { "a", NULL },          { "b", "1" },
                         { "b", "1 0" },         { "\xE1\x88\xB4", "\xC3\xA9" },
                         { "x y", "a+b=c&d/e" }, { "B", "upper sorts first" } };
    struct al_sigv4_request r = { "GET", "/", false, q, 8, h, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_signed sd;
    struct al_buf creq;
    const char *want = "%E1%88%B4=%C3%A9&B=upper%20sorts%20first&a=&b=1&b=1%200&b=2&key="
                       "&x%20y=a%2Bb%3Dc%26d%2Fe";
    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_STR_EQ(sd.wire_query.data, want);
    ASSERT_OK(al_sigv4_canonical_request(&p, &r, &creq, NULL));
    ASSERT_CONTAINS(creq.data, want);
    al_sigv4_signed_clean_up(&sd);
    al_buf_clean_up(&creq);
}

TEST(sigv4_headers_canonical_and_unsignable)
{
    struct al_sigv4_params p = s_suite_params(false);
    struct al_kv h[] = {
        { "Host", "example.amazonaws.com" },
        { "User-Agent", "airlock/1" },
        { "Expect", "100-continue" },
        { "Connection", "keep-alive" },
        { "Transfer-Encoding", "chunked" },
        { "Proxy-Authorization", "x" },
        { "X-Amzn-Trace-Id", "Root=1" },
        { "Authorization", "old" },
        { "X-Multi", "  a   b\t\t c  " },
        { "x-multi", "second" },
        { "Content-Type", "" },
    };
    struct al_sigv4_request r = { "POST", "/", false, NULL, 0, h, 11, AL_SIGV4_EMPTY_SHA256 };
    struct al_buf creq, sh;
    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    al_buf_init(&sh, 4096);
    ASSERT_OK(al_sigv4_canonical_request(&p, &r, &creq, &sh));
    ASSERT_STR_EQ(sh.data, "content-type;host;x-amz-date;x-multi");
    ASSERT_STR_EQ(creq.data,
                  "POST\n/\n\ncontent-type:\nhost:example.amazonaws.com\n"
                  "x-amz-date:20150830T123600Z\nx-multi:a b c,second\n\n"
                  "content-type;host;x-amz-date;x-multi\n" AL_SIGV4_EMPTY_SHA256);
    al_buf_clean_up(&creq);
    al_buf_clean_up(&sh);
}

TEST(sigv4_session_token_signed_or_omitted)
{
    struct al_sigv4_params p = s_suite_params(false);
    struct al_kv h[] = { { "Host", "example.amazonaws.com" } };
    struct al_sigv4_request r = { "GET", "/", false, NULL, 0, h, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_signed sd;
    p.session_token = "token/with+chars=";
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_CONTAINS(sd.authorization.data, "SignedHeaders=host;x-amz-date;x-amz-security-token,");
    ASSERT_STR_EQ(sd.security_token, "token/with+chars=");
    ASSERT_STR_EQ(sd.content_sha256, "");
    al_sigv4_signed_clean_up(&sd);
    p.omit_session_token = true;
    ASSERT_OK(al_sigv4_sign(&p, &r, &sd));
    ASSERT_CONTAINS(sd.authorization.data, "SignedHeaders=host;x-amz-date,");
    ASSERT_STR_EQ(sd.security_token, "token/with+chars=");
    al_sigv4_signed_clean_up(&sd);
}

TEST(sigv4_rejects_bad_requests)
{
    struct al_sigv4_params p = s_suite_params(true);
    struct al_kv no_host[] = { { "Range", "bytes=0-1" } };
    struct al_kv own_date[] = { { "Host", "h" }, { "X-Amz-Date", "20150830T123600Z" } };
    struct al_kv own_sha[] = { { "Host", "h" }, { "x-amz-content-sha256", AL_SIGV4_EMPTY_SHA256 } };
    struct al_kv crlf[] = { { "Host", "h" }, { "X-Meta", "a\r\nInjected: 1" } };
    struct al_kv bad_name[] = { { "Host", "h" }, { "Bad Name", "v" } };
    struct al_kv ok[] = { { "Host", "h" } };
    struct al_kv sig_param[] = { { "X-Amz-Signature", "x" } };
    struct al_sigv4_request r = { "GET", "/", false, NULL, 0, no_host, 1, AL_SIGV4_EMPTY_SHA256 };
    struct al_sigv4_signed sd;
    struct al_buf a, b;

    al_buf_init(&a, 4096);
    al_buf_init(&b, 4096);
    ASSERT_FAILS(al_sigv4_sign(&p, &r, &sd));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_STR_EQ(al_buf_str(&sd.authorization), ""); /* left empty on failure */
    al_sigv4_signed_clean_up(&sd);
    r.headers = own_date;
    r.n_headers = 2;
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.headers = own_sha;
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.headers = crlf;
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.headers = bad_name;
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.headers = ok;
    r.n_headers = 1;
    r.path = "relative";
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.path = "/";
    r.payload_hash = "not a hash";
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    r.payload_hash = AL_SIGV4_UNSIGNED_PAYLOAD;
    ASSERT_OK(al_sigv4_canonical_request(&p, &r, &a, NULL));
    ASSERT_FAILS(al_sigv4_presign(&p, &r, 0, &a, &b));
    ASSERT_FAILS(al_sigv4_presign(&p, &r, AL_SIGV4_MAX_EXPIRES + 1, &a, &b));
    ASSERT_STR_EQ(al_buf_str(&a), "");
    r.query = sig_param;
    r.n_query = 1;
    ASSERT_FAILS(al_sigv4_presign(&p, &r, 60, &a, &b));
    r.n_query = 0;
    p.region = "us/east";
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    p.region = "us-east-1";
    p.time = -1;
    ASSERT_FAILS(al_sigv4_canonical_request(&p, &r, &a, NULL));
    al_buf_clean_up(&a);
    al_buf_clean_up(&b);
}

TEST(sigv4_canonical_request_is_capped)
{
    struct al_sigv4_params p = s_suite_params(true);
    size_t n = AL_SIGV4_MAX_CANONICAL + 10;
    char *big = malloc(n + 1);
    struct al_kv h[] = { { "Host", "h" }, { "X-Big", big } };
    struct al_sigv4_request r = { "GET", "/", false, NULL, 0, h, 2, AL_SIGV4_EMPTY_SHA256 };
    struct al_buf out;
    int rc;
    ASSERT(big);
    memset(big, 'v', n);
    big[n] = '\0';
    al_buf_init(&out, 4 * AL_SIGV4_MAX_CANONICAL);
    rc = al_sigv4_canonical_request(&p, &r, &out, NULL);
    free(big);
    al_buf_clean_up(&out);
    ASSERT_INT_EQ(rc, -1);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
}
