/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_probe: drives the AWS core layer (engine, signer, creds, STS) against
 * the AWS double or any endpoint, for tests/suites/aws-core.
 *
 *   aws_probe [options] identity        GetCallerIdentity (+ the account guard with --account)
 *   aws_probe [options] identity-twice  identity, sleep --sleep seconds, identity again
 *   aws_probe [options] put-many        --count N PutObjects of --size bytes, --concurrency at once
 *   aws_probe [options] put-file        one PutObject streamed from --file (or multipart with
 *                                       --part-size), prints the peak RSS
 *   aws_probe [options] guard-then-put  the account guard, then one PutObject
 *   aws_probe [options] get-file        one GetObject streamed to --out, prints the peak RSS
 *
 * Credentials come from the environment as main.c gathers them (AWS_*,
 * ACTIONS_ID_TOKEN_REQUEST_*, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN,
 * GITHUB_RUN_ID) plus --access-key-id/--secret-access-key (the inputs) and
 * --role. The result is one JSON line on stdout (also written to --outputs and,
 * as Markdown, to --summary), every byte passed through the secret redactor.
 * --secrets-file writes the credential values seen, for the suite's leak grep.
 * Exit status: 0, or al_error_exit_code of the failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/sts.h"
#include "http/engine.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/str.h"

struct opts {
    const char *cmd;
    const char *endpoint, *region, *role, *session_name, *audience, *account;
    const char *access_key_id, *secret_access_key;
    const char *bucket, *key, *prefix, *file;
    const char *summary, *outputs, *secrets_file, *out;
    unsigned concurrency, max_attempts, count, duration, renew_margin;
    unsigned long long size, part_size;
    long skew;
    unsigned sleep_s;
    bool debug;
};

static struct al_creds *g_creds;
static FILE *g_secrets;

static void s_usage(void)
{
    fprintf(stderr,
            "usage: aws_probe [--endpoint URL] [--region R] [--role ARN] [--account ID]\n"
            "  [--concurrency N] [--max-attempts N] [--debug] [--bucket B] [--key K]\n"
            "  [--count N] [--size BYTES] [--file PATH] [--part-size BYTES] [--sleep S]\n"
            "  [--skew S] [--summary F] [--outputs F] [--secrets-file F]\n"
            "  identity|identity-twice|put-many|put-file|guard-then-put\n");
}

static int s_parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->concurrency = 32;
    o->count = 1;
    o->size = 64;
    o->prefix = "probe/";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define STR(name, field)                                                                           \
    if (strcmp(a, name) == 0 && v) {                                                               \
        o->field = v;                                                                              \
        i++;                                                                                       \
        continue;                                                                                  \
    }
#define NUM(name, field)                                                                           \
    if (strcmp(a, name) == 0 && v) {                                                               \
        o->field = strtoull(v, NULL, 10);                                                          \
        i++;                                                                                       \
        continue;                                                                                  \
    }
        STR("--endpoint", endpoint)
        STR("--region", region)
        STR("--role", role)
        STR("--session-name", session_name)
        STR("--audience", audience)
        STR("--account", account)
        STR("--access-key-id", access_key_id)
        STR("--secret-access-key", secret_access_key)
        STR("--bucket", bucket)
        STR("--key", key)
        STR("--prefix", prefix)
        STR("--file", file)
        STR("--out", out)
        STR("--summary", summary)
        STR("--outputs", outputs)
        STR("--secrets-file", secrets_file)
        NUM("--concurrency", concurrency)
        NUM("--max-attempts", max_attempts)
        NUM("--count", count)
        NUM("--duration", duration)
        NUM("--renew-margin", renew_margin)
        NUM("--size", size)
        NUM("--part-size", part_size)
        NUM("--sleep", sleep_s)
        if (strcmp(a, "--skew") == 0 && v) {
            o->skew = strtol(v, NULL, 10);
            i++;
            continue;
        }
        if (strcmp(a, "--debug") == 0) {
            o->debug = true;
            continue;
        }
        if (a[0] != '-' && !o->cmd) {
            o->cmd = a;
            continue;
        }
        fprintf(stderr, "aws_probe: unknown argument %s\n", a);
        return -1;
    }
#undef STR
#undef NUM
    if (!o->cmd) {
        s_usage();
        return -1;
    }
    return 0;
}

static const char *s_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Writes text to f through the redactor (tools may print; secrets still may not). */
static void s_write_redacted(FILE *f, const char *text)
{
    struct al_buf b;
    al_buf_init(&b, 16 << 20);
    if (al_secret_redact(&b, text, strlen(text)) == 0)
        fputs(al_buf_str(&b), f);
    al_buf_clean_up(&b);
}

static void s_note_secrets(void)
{
    struct al_creds_value v;
    if (!g_secrets || !g_creds || al_creds_get(g_creds, &v))
        return;
    fprintf(g_secrets, "%s\n%s\n", v.access_key_id, v.secret_access_key);
    if (v.session_token)
        fprintf(g_secrets, "%s\n", v.session_token);
    fflush(g_secrets);
}

static long s_vmhwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static void s_add_stats(json_t *out, struct al_aws_ctx *ctx)
{
    struct al_http_stats hs;
    struct al_aws_stats as;
    al_http_engine_stats(al_aws_ctx_engine(ctx), &hs);
    al_aws_ctx_stats(ctx, &as);
    json_object_set_new(out, "calls", json_integer((json_int_t)hs.calls));
    json_object_set_new(out, "attempts", json_integer((json_int_t)hs.attempts));
    json_object_set_new(out, "retries", json_integer((json_int_t)hs.retries));
    json_object_set_new(out, "throttled", json_integer((json_int_t)hs.throttled));
    json_object_set_new(out, "quota_refusals", json_integer((json_int_t)hs.quota_refusals));
    json_object_set_new(out, "quota_available", json_integer(hs.quota_available));
    json_object_set_new(out, "connections", json_integer((json_int_t)hs.connections));
    json_object_set_new(out, "peak_in_flight", json_integer(hs.peak_in_flight));
    json_object_set_new(out, "bytes_sent", json_integer((json_int_t)hs.bytes_sent));
    json_object_set_new(out, "skew_corrections", json_integer((json_int_t)as.skew_corrections));
    json_object_set_new(out, "skew_seconds", json_integer(al_clock_skew()));
    json_object_set_new(
      out, "credential_renewals", json_integer((json_int_t)as.credential_renewals));
    if (g_creds) {
        json_object_set_new(out, "source", json_string(al_creds_source(g_creds)));
        json_object_set_new(out, "credential_fetches", json_integer(al_creds_fetches(g_creds)));
    }
}

static json_t *s_error_json(const struct al_error *e)
{
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(al_error_name(e->code)));
    json_object_set_new(j, "exit", json_integer(al_error_exit_code(e->code)));
    json_object_set_new(j, "message", json_string(e->msg));
    json_object_set_new(j, "service", json_string(e->service));
    json_object_set_new(j, "operation", json_string(e->operation));
    json_object_set_new(j, "code", json_string(e->aws_code));
    json_object_set_new(j, "request_id", json_string(e->request_id));
    json_object_set_new(j, "http_status", json_integer(e->http_status));
    return j;
}

static int s_identity(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    struct al_caller_identity id;
    if (al_sts_check_account(ctx, o->account, &id))
        return -1;
    s_note_secrets();
    json_object_set_new(out, "account", json_string(id.account));
    json_object_set_new(out, "arn", json_string(id.arn));
    return 0;
}

static int s_identity_twice(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    struct al_caller_identity id;
    if (al_sts_check_account(ctx, o->account, &id))
        return -1;
    s_note_secrets();
    sleep(o->sleep_s);
    if (al_sts_check_account(ctx, o->account, &id))
        return -1;
    s_note_secrets();
    json_object_set_new(out, "account", json_string(id.account));
    json_object_set_new(out, "arn", json_string(id.arn));
    return 0;
}

struct put_state {
    unsigned ok, failed;
    json_t *first_error;
};

static void s_put_done(void *user, struct al_http_response *r)
{
    struct put_state *st = user;
    if (!r->failed) {
        st->ok++;
        return;
    }
    st->failed++;
    if (!st->first_error) {
        st->first_error = s_error_json(&r->error);
        json_object_set_new(st->first_error, "attempts", json_integer(r->attempts));
    }
}

static int s_put_many(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    struct al_http_response *resp = calloc(o->count, sizeof(*resp));
    char **keys = calloc(o->count, sizeof(*keys));
    char *body = malloc(o->size + 1);
    struct put_state st = { 0 };
    const struct al_kv hdrs[] = { { "Content-Type", "application/octet-stream" } };
    uint64_t t0 = al_clock_mono_ms();
    int rc = -1;

    if (!resp || !keys || !body || !o->bucket) {
        al_raise(AL_ERR_USAGE, "put-many needs --bucket (and memory)");
        goto cleanup;
    }
    memset(body, 'a', o->size);
    for (unsigned i = 0; i < o->count; i++) {
        struct al_aws_call_spec spec = { 0 };
        char key[512];
        snprintf(key, sizeof(key), "%s%05u.bin", o->prefix, i);
        al_http_response_init(&resp[i], 0);
        spec.service = AL_SVC_S3;
        spec.operation = "PutObject";
        spec.method = "PUT";
        spec.bucket = o->bucket;
        spec.key = key;
        spec.headers = hdrs;
        spec.n_headers = 1;
        spec.body.kind = AL_HTTP_BODY_MEMORY;
        spec.body.data = body;
        spec.body.len = o->size;
        if (al_aws_submit(ctx, &spec, &resp[i], s_put_done, &st))
            goto cleanup;
    }
    if (al_aws_run(ctx))
        goto cleanup;
    s_note_secrets();
    json_object_set_new(out, "ok", json_integer(st.ok));
    json_object_set_new(out, "failed", json_integer(st.failed));
    json_object_set_new(out, "elapsed_ms", json_integer((json_int_t)(al_clock_mono_ms() - t0)));
    if (st.first_error) {
        json_object_set_new(out, "first_error", st.first_error);
        st.first_error = NULL;
    }
    rc = 0;
cleanup:
    json_decref(st.first_error);
    for (unsigned i = 0; resp && i < o->count; i++)
        al_http_response_clean_up(&resp[i]);
    free(resp);
    free(keys);
    free(body);
    return rc;
}

static int s_put_one(struct al_aws_ctx *ctx, const struct opts *o, const char *key)
{
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    int rc;
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "PutObject";
    spec.method = "PUT";
    spec.bucket = o->bucket;
    spec.key = key;
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = "probe";
    spec.body.len = 5;
    rc = al_aws_request(ctx, &spec, &resp);
    al_http_response_clean_up(&resp);
    return rc;
}

static int s_guard_then_put(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    if (s_identity(ctx, o, out))
        return -1;
    return s_put_one(ctx, o, o->key ? o->key : "guarded.txt");
}

/* Multipart: create, every part streamed from its file range concurrently, complete. */
static int s_multipart(struct al_aws_ctx *ctx,
                       const struct opts *o,
                       unsigned long long size,
                       json_t *out)
{
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    struct al_buf xml, etags;
    unsigned parts = (unsigned)((size + o->part_size - 1) / o->part_size);
    struct al_http_response *pr = calloc(parts, sizeof(*pr));
    char upload_id[1024] = "";
    struct put_state st = { 0 };
    int rc = -1;
    const char *p, *q;

    al_http_response_init(&resp, 0);
    al_buf_init(&xml, 1 << 20);
    al_buf_init(&etags, 1 << 20);
    if (!pr)
        goto cleanup;
    spec.service = AL_SVC_S3;
    spec.bucket = o->bucket;
    spec.key = o->key;
    spec.operation = "CreateMultipartUpload";
    spec.method = "POST";
    {
        const struct al_kv uq[] = { { "uploads", "" } };
        spec.query = uq;
        spec.n_query = 1;
        if (al_aws_request(ctx, &spec, &resp))
            goto cleanup;
    }
    p = strstr(al_buf_str(&resp.body), "<UploadId>");
    q = p ? strstr(p, "</UploadId>") : NULL;
    if (!p || !q || (size_t)(q - p - 10) >= sizeof(upload_id)) {
        al_raise(AL_ERR_AWS, "no UploadId");
        goto cleanup;
    }
    memcpy(upload_id, p + 10, (size_t)(q - p - 10));
    for (unsigned i = 0; i < parts; i++) {
        char num[16];
        struct al_kv pq[2] = { { "partNumber", num }, { "uploadId", upload_id } };
        snprintf(num, sizeof(num), "%u", i + 1);
        al_http_response_init(&pr[i], 0);
        memset(&spec, 0, sizeof(spec));
        spec.service = AL_SVC_S3;
        spec.bucket = o->bucket;
        spec.key = o->key;
        spec.operation = "UploadPart";
        spec.method = "PUT";
        spec.query = pq;
        spec.n_query = 2;
        spec.body.kind = AL_HTTP_BODY_FILE;
        spec.body.path = o->file;
        spec.body.offset = (uint64_t)i * o->part_size;
        spec.body.length = i + 1 < parts ? o->part_size : size - (uint64_t)i * o->part_size;
        if (al_aws_submit(ctx, &spec, &pr[i], s_put_done, &st))
            goto cleanup;
    }
    if (al_aws_run(ctx))
        goto cleanup;
    if (st.failed) {
        al_raise(AL_ERR_AWS, "%u parts failed", st.failed);
        goto cleanup;
    }
    al_buf_puts(&xml, "<CompleteMultipartUpload>");
    for (unsigned i = 0; i < parts; i++)
        al_buf_printf(&xml,
                      "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
                      i + 1,
                      al_http_response_header(&pr[i], "etag"));
    al_buf_puts(&xml, "</CompleteMultipartUpload>");
    memset(&spec, 0, sizeof(spec));
    spec.service = AL_SVC_S3;
    spec.bucket = o->bucket;
    spec.key = o->key;
    spec.operation = "CompleteMultipartUpload";
    spec.method = "POST";
    spec.error_in_200 = true;
    {
        const struct al_kv cq[] = { { "uploadId", upload_id } };
        spec.query = cq;
        spec.n_query = 1;
        spec.body.kind = AL_HTTP_BODY_MEMORY;
        spec.body.data = xml.data;
        spec.body.len = xml.len;
        if (al_aws_request(ctx, &spec, &resp))
            goto cleanup;
    }
    json_object_set_new(out, "parts", json_integer(parts));
    rc = 0;
cleanup:
    json_decref(st.first_error);
    for (unsigned i = 0; pr && i < parts; i++)
        al_http_response_clean_up(&pr[i]);
    free(pr);
    al_buf_clean_up(&xml);
    al_buf_clean_up(&etags);
    al_http_response_clean_up(&resp);
    return rc;
}

static int s_put_file(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    unsigned long long size;
    uint64_t t0 = al_clock_mono_ms();
    FILE *f;
    int rc;

    if (!o->file || !o->bucket || !o->key)
        return al_raise(AL_ERR_USAGE, "put-file needs --file, --bucket and --key");
    if (!(f = fopen(o->file, "rb")) || fseeko(f, 0, SEEK_END) != 0) {
        if (f)
            fclose(f);
        return al_raise(AL_ERR_IO, "cannot open %s", o->file);
    }
    size = (unsigned long long)ftello(f);
    fclose(f);
    if (o->part_size) {
        rc = s_multipart(ctx, o, size, out);
    } else {
        al_http_response_init(&resp, 0);
        spec.service = AL_SVC_S3;
        spec.operation = "PutObject";
        spec.method = "PUT";
        spec.bucket = o->bucket;
        spec.key = o->key;
        spec.body.kind = AL_HTTP_BODY_FILE;
        spec.body.path = o->file;
        spec.body.length = size;
        rc = al_aws_request(ctx, &spec, &resp);
        if (!rc)
            json_object_set_new(out, "etag", json_string(al_http_response_header(&resp, "etag")));
        al_http_response_clean_up(&resp);
    }
    json_object_set_new(out, "bytes", json_integer((json_int_t)size));
    json_object_set_new(out, "elapsed_ms", json_integer((json_int_t)(al_clock_mono_ms() - t0)));
    json_object_set_new(out, "vmhwm_kb", json_integer(s_vmhwm_kb()));
    return rc;
}

static int s_get_file(struct al_aws_ctx *ctx, const struct opts *o, json_t *out)
{
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    uint64_t t0 = al_clock_mono_ms();
    struct stat st;
    int rc;
    if (!o->out || !o->bucket || !o->key)
        return al_raise(AL_ERR_USAGE, "get-file needs --out, --bucket and --key");
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "GetObject";
    spec.bucket = o->bucket;
    spec.key = o->key;
    spec.download_path = o->out;
    rc = al_aws_request(ctx, &spec, &resp);
    if (!rc) {
        json_object_set_new(out, "in_file", json_boolean(resp.body_in_file));
        json_object_set_new(
          out, "bytes", json_integer(stat(o->out, &st) == 0 ? (json_int_t)st.st_size : -1));
    }
    al_http_response_clean_up(&resp);
    json_object_set_new(out, "elapsed_ms", json_integer((json_int_t)(al_clock_mono_ms() - t0)));
    json_object_set_new(out, "vmhwm_kb", json_integer(s_vmhwm_kb()));
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct al_http_options ho = { 0 };
    struct al_endpoint_config ep = { 0 };
    struct al_creds_config cc = { 0 };
    struct al_http_engine *engine = NULL;
    struct al_aws_ctx *ctx = NULL;
    json_t *out = json_object();
    char *text;
    int rc = -1, exit_code;

    if (s_parse(argc, argv, &o))
        return 2;
    al_log_set_debug(o.debug || al_streq(s_env("RUNNER_DEBUG"), "1"));
    if (o.secrets_file && !(g_secrets = fopen(o.secrets_file, "a")))
        return 2;
    if (o.skew)
        al_clock_set_skew(o.skew);

    ho.max_concurrency = o.concurrency;
    ho.max_attempts = o.max_attempts;
    ho.ca_file = s_env("SSL_CERT_FILE");
    ep.region = o.region ? o.region : s_env("AWS_REGION") ? s_env("AWS_REGION") : "us-east-1";
    ep.endpoint_url = o.endpoint;
    ep.env_endpoint_url = s_env("AWS_ENDPOINT_URL");
    for (int s = 0; s < AL_SVC_COUNT; s++) {
        char name[64];
        snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_%s", al_aws_service_env_suffix(s));
        ep.env_service_url[s] = s_env(name);
    }
    cc.access_key_id = o.access_key_id;
    cc.secret_access_key = o.secret_access_key;
    cc.env_access_key_id = s_env("AWS_ACCESS_KEY_ID");
    cc.env_secret_access_key = s_env("AWS_SECRET_ACCESS_KEY");
    cc.env_session_token = s_env("AWS_SESSION_TOKEN");
    cc.oidc_request_url = s_env("ACTIONS_ID_TOKEN_REQUEST_URL");
    cc.oidc_request_token = s_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    cc.audience = o.audience;
    cc.web_identity_token_file = s_env("AWS_WEB_IDENTITY_TOKEN_FILE");
    cc.env_role_arn = s_env("AWS_ROLE_ARN");
    cc.env_role_session_name = s_env("AWS_ROLE_SESSION_NAME");
    cc.role_to_assume = o.role;
    cc.role_session_name = o.session_name;
    cc.run_id = s_env("GITHUB_RUN_ID");
    cc.duration_seconds = o.duration;
    cc.renew_margin_seconds = o.renew_margin;

    if ((ep.endpoint_url && al_endpoint_check_url(ep.endpoint_url, "endpoint-url")) ||
        (ep.env_endpoint_url && al_endpoint_check_url(ep.env_endpoint_url, "AWS_ENDPOINT_URL")))
        goto done;
    if (!(engine = al_http_engine_new(&ho)) || !(g_creds = al_creds_new(&cc, &ep, &ho)) ||
        !(ctx = al_aws_ctx_new(engine, g_creds, &ep)))
        goto done;
    if (strcmp(o.cmd, "identity") == 0)
        rc = s_identity(ctx, &o, out);
    else if (strcmp(o.cmd, "identity-twice") == 0)
        rc = s_identity_twice(ctx, &o, out);
    else if (strcmp(o.cmd, "put-many") == 0)
        rc = s_put_many(ctx, &o, out);
    else if (strcmp(o.cmd, "put-file") == 0)
        rc = s_put_file(ctx, &o, out);
    else if (strcmp(o.cmd, "guard-then-put") == 0)
        rc = s_guard_then_put(ctx, &o, out);
    else if (strcmp(o.cmd, "get-file") == 0)
        rc = s_get_file(ctx, &o, out);
    else
        rc = al_raise(AL_ERR_USAGE, "unknown command %s", o.cmd);
done:
    exit_code = rc ? (int)al_error_exit_code(al_error_last()->code) : 0;
    if (rc)
        json_object_set_new(out, "error", s_error_json(al_error_last()));
    if (ctx)
        s_add_stats(out, ctx);
    json_object_set_new(out, "exit", json_integer(exit_code));
    text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    if (text) {
        s_write_redacted(stdout, text);
        fputc('\n', stdout);
        if (o.outputs) {
            FILE *f = fopen(o.outputs, "a");
            if (f) {
                fputs("result=", f);
                s_write_redacted(f, text);
                fputc('\n', f);
                fclose(f);
            }
        }
        if (o.summary) {
            FILE *f = fopen(o.summary, "a");
            if (f) {
                fprintf(f, "### aws_probe %s\n\n```json\n", o.cmd);
                s_write_redacted(f, text);
                fputs("\n```\n", f);
                fclose(f);
            }
        }
        free(text);
    }
    json_decref(out);
    al_aws_ctx_free(ctx);
    al_creds_free(g_creds);
    al_http_engine_free(engine);
    if (g_secrets)
        fclose(g_secrets);
    al_secret_clear();
    return exit_code;
}
