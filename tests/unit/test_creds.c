/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/sts.h"
#include "http/script.h"
#include "util/clock.h"
#include "util/secret.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJl"
#define REQ_TOKEN "gha-request-token-xyz"
#define ROLE "arn:aws:iam::123456789012:role/deploy"

/* A tiny OIDC + STS + S3 stand-in. */
struct s_fake {
    unsigned oidc_calls, web_calls, assume_calls, identity_calls, s3_calls;
    unsigned expire_s3_once; /* answer the next S3 call with ExpiredToken */
    unsigned serial;
    long lifetime;
    const char *account;
    char last_body[4096];
    char last_auth[1024];
};

static int s_handler(void *user,
                     const struct al_http_script_request *req,
                     struct al_http_script_answer *ans)
{
    struct s_fake *f = user;
    const char *auth = al_http_headers_get(&req->headers, "authorization");
    const char *body = al_buf_str(&req->body);
    char exp[32];
    snprintf(f->last_body, sizeof(f->last_body), "%s", body);
    snprintf(f->last_auth, sizeof(f->last_auth), "%s", auth ? auth : "");
    if (strstr(req->url, "/oidc/token")) {
        f->oidc_calls++;
        if (!strstr(req->url, "?api-version=2.0&audience=sts.amazonaws.com") || !auth ||
            strcmp(auth, "Bearer " REQ_TOKEN) != 0) {
            ans->status = 401;
            return al_buf_puts(&ans->body, "{\"message\":\"Bad credentials\"}");
        }
        return al_buf_puts(&ans->body, "{\"count\":52,\"value\":\"" JWT "\"}");
    }
    if (strstr(body, "Action=GetCallerIdentity")) {
        f->identity_calls++;
        return al_buf_printf(&ans->body,
                             "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                             "<Arn>arn:aws:sts::%s:assumed-role/deploy/s</Arn><UserId>U</UserId>"
                             "<Account>%s</Account></GetCallerIdentityResult>"
                             "</GetCallerIdentityResponse>",
                             f->account,
                             f->account);
    }
    if (strstr(body, "Action=AssumeRole")) {
        bool web = strstr(body, "Action=AssumeRoleWithWebIdentity") != NULL;
        const char *op = web ? "AssumeRoleWithWebIdentity" : "AssumeRole";
        if (web) {
            f->web_calls++;
            if (auth || !strstr(body, "WebIdentityToken=" JWT)) {
                ans->status = 400;
                return al_buf_puts(&ans->body,
                                   "<ErrorResponse><Error><Code>InvalidIdentityToken"
                                   "</Code><Message>bad</Message></Error>"
                                   "</ErrorResponse>");
            }
        } else {
            f->assume_calls++;
        }
        f->serial++;
        al_clock_iso8601(al_clock_now() + f->lifetime, exp);
        return al_buf_printf(&ans->body,
                             "<%sResponse><%sResult><Credentials>"
                             "<AccessKeyId>ASIATEMP%04u</AccessKeyId>"
                             "<SecretAccessKey>temp/secret/%04u</SecretAccessKey>"
                             "<SessionToken>TOKEN-%04u-abcdef</SessionToken>"
                             "<Expiration>%s</Expiration></Credentials>"
                             "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/"
                             "s</Arn></AssumedRoleUser></%sResult></%sResponse>",
                             op,
                             op,
                             f->serial,
                             f->serial,
                             f->serial,
                             exp,
                             op,
                             op);
    }
    f->s3_calls++;
    if (f->expire_s3_once) {
        f->expire_s3_once = 0;
        ans->status = 400;
        return al_buf_puts(&ans->body,
                           "<Error><Code>ExpiredToken</Code><Message>The provided "
                           "token has expired.</Message></Error>");
    }
    return 0;
}

struct s_env {
    struct al_http_script *script;
    struct al_http_options opts;
    struct al_endpoint_config ep;
    struct s_fake fake;
};

static void s_env_init(struct s_env *e)
{
    memset(e, 0, sizeof(*e));
    e->script = al_http_script_new();
    al_http_script_set_handler(e->script, s_handler, &e->fake);
    e->opts.transport_factory = al_http_script_factory;
    e->opts.transport_arg = e->script;
    e->opts.backoff_base_ms = 1;
    e->opts.backoff_cap_ms = 2;
    e->ep.region = "ap-northeast-1";
    e->ep.env_endpoint_url = "http://127.0.0.1:9";
    e->fake.lifetime = 3600;
    e->fake.account = "123456789012";
    al_clock_pin(T0);
    al_clock_set_skew(0);
}

static void s_env_done(struct s_env *e)
{
    al_http_script_free(e->script);
    al_clock_pin(0);
}

static struct al_creds_config s_oidc_config(void)
{
    struct al_creds_config c = { 0 };
    c.role_to_assume = ROLE;
    c.oidc_request_url = "http://127.0.0.1:9/oidc/token?api-version=2.0";
    c.oidc_request_token = REQ_TOKEN;
    c.run_id = "987654321";
    return c;
}

TEST(creds_oidc_web_identity)
{
    struct s_env e;
    struct al_creds_config cfg = s_oidc_config();
    struct al_creds *c;
    struct al_creds_value v;
    s_env_init(&e);
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT(al_secret_contains(REQ_TOKEN));
    ASSERT_STR_EQ(al_creds_source(c), "oidc");
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_STR_EQ(v.access_key_id, "ASIATEMP0001");
    ASSERT_STR_EQ(v.secret_access_key, "temp/secret/0001");
    ASSERT_STR_EQ(v.session_token, "TOKEN-0001-abcdef");
    ASSERT_INT_EQ(v.expiration, T0 + 3600);
    ASSERT_INT_EQ(e.fake.oidc_calls, 1);
    ASSERT_INT_EQ(e.fake.web_calls, 1);
    /* Unsigned, with the role, the default session name and the JWT. */
    ASSERT_STR_EQ(e.fake.last_auth, "");
    ASSERT_CONTAINS(e.fake.last_body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy");
    ASSERT_CONTAINS(e.fake.last_body, "RoleSessionName=airlock-987654321");
    ASSERT_CONTAINS(e.fake.last_body, "DurationSeconds=3600");
    /* Everything secret is masked. */
    ASSERT(al_secret_contains(JWT));
    ASSERT(al_secret_contains("temp/secret/0001"));
    ASSERT(al_secret_contains("TOKEN-0001-abcdef"));
    ASSERT(al_secret_contains("ASIATEMP0001"));
    /* No second fetch while valid. */
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_creds_fetches(c), 1);
    al_creds_free(c);
    s_env_done(&e);
}

TEST(creds_oidc_bad_bearer_is_a_credentials_error)
{
    struct s_env e;
    struct al_creds_config cfg = s_oidc_config();
    struct al_creds *c;
    struct al_creds_value v;
    s_env_init(&e);
    cfg.oidc_request_token = "wrong-token";
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT_FAILS(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT_CONTAINS(al_error_last()->msg, "id-token: write");
    ASSERT(!strstr(al_error_last()->msg, "wrong-token"));
    ASSERT_INT_EQ(e.fake.oidc_calls, 1); /* a 401 is not retried */
    al_creds_free(c);
    s_env_done(&e);
}

TEST(creds_renew_before_expiry)
{
    struct s_env e;
    struct al_creds_config cfg = s_oidc_config();
    struct al_creds *c;
    struct al_creds_value v;
    s_env_init(&e);
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT_OK(al_creds_get(c, &v));
    al_clock_pin(T0 + 3600 - 301); /* outside the 5-minute margin */
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_creds_fetches(c), 1);
    al_clock_pin(T0 + 3600 - 299); /* inside it */
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_creds_fetches(c), 2);
    ASSERT_STR_EQ(v.access_key_id, "ASIATEMP0002");
    ASSERT_INT_EQ(e.fake.oidc_calls, 2); /* a fresh JWT for each renewal */
    al_creds_free(c);

    /* Short-lived credentials renew at a quarter of their life. */
    e.fake.lifetime = 20;
    al_clock_pin(T0);
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT_OK(al_creds_get(c, &v));
    al_clock_pin(T0 + 14);
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_creds_fetches(c), 1);
    al_clock_pin(T0 + 16);
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(al_creds_fetches(c), 2);
    al_creds_free(c);
    s_env_done(&e);
}

TEST(creds_env_keys_chain_assume_role)
{
    struct s_env e;
    struct al_creds_config cfg = { 0 };
    struct al_creds *c;
    struct al_creds_value v;
    s_env_init(&e);
    cfg.env_access_key_id = "AKIAENVKEY0000000001";
    cfg.env_secret_access_key = "env/secret/key";
    cfg.role_to_assume = ROLE;
    cfg.role_session_name = "my-session";
    cfg.duration_seconds = 900;
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT_STR_EQ(al_creds_source(c), "environment+assume-role");
    ASSERT(al_secret_contains("env/secret/key"));
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(e.fake.assume_calls, 1);
    ASSERT_STR_EQ(v.access_key_id, "ASIATEMP0001");
    /* AssumeRole is signed with the environment's keys. */
    ASSERT_CONTAINS(e.fake.last_auth,
                    "Credential=AKIAENVKEY0000000001/20260101/ap-northeast-1/"
                    "sts/aws4_request");
    ASSERT_CONTAINS(e.fake.last_body, "RoleSessionName=my-session");
    ASSERT_CONTAINS(e.fake.last_body, "DurationSeconds=900");
    al_creds_free(c);
    s_env_done(&e);
}

TEST(creds_static_inputs_and_errors)
{
    struct s_env e;
    struct al_creds_config cfg = { 0 };
    struct al_creds *c;
    struct al_creds_value v;
    s_env_init(&e);
    cfg.access_key_id = "AKIAINPUT00000000001";
    cfg.secret_access_key = "input/secret";
    cfg.session_token = "input-session-token";
    cfg.env_access_key_id = "AKIAENV";
    cfg.env_secret_access_key = "env-secret";
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT_STR_EQ(al_creds_source(c), "inputs"); /* inputs win over env */
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_STR_EQ(v.session_token, "input-session-token");
    ASSERT(!al_creds_renewable(c));
    ASSERT_INT_EQ(al_http_script_count(e.script), 0);
    al_creds_free(c);

    memset(&cfg, 0, sizeof(cfg));
    ASSERT(al_creds_new(&cfg, &e.ep, &e.opts) == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    cfg.role_to_assume = ROLE;
    ASSERT(al_creds_new(&cfg, &e.ep, &e.opts) == NULL);
    ASSERT_INT_EQ(al_error_exit_code(al_error_last()->code), AL_EXIT_CREDENTIALS);
    ASSERT_CONTAINS(al_error_last()->msg, "permissions: id-token: write");
    cfg.role_to_assume = NULL;
    cfg.access_key_id = "AKIAONLYHALF";
    ASSERT(al_creds_new(&cfg, &e.ep, &e.opts) == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    cfg.secret_access_key = "s3cret";
    cfg.role_to_assume = ROLE;
    cfg.role_session_name = "bad name!";
    ASSERT(al_creds_new(&cfg, &e.ep, &e.opts) == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    cfg.role_session_name = NULL;
    cfg.duration_seconds = 60;
    ASSERT(al_creds_new(&cfg, &e.ep, &e.opts) == NULL);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    s_env_done(&e);
}

TEST(creds_web_identity_token_file)
{
    struct s_env e;
    struct al_creds_config cfg = { 0 };
    struct al_creds *c;
    struct al_creds_value v;
    char *dir = al_test_tmpdir(), path[512];
    FILE *fp;
    s_env_init(&e);
    snprintf(path, sizeof(path), "%s/token", dir);
    fp = fopen(path, "w");
    ASSERT(fp != NULL);
    fputs(JWT "\n", fp);
    fclose(fp);
    cfg.web_identity_token_file = path;
    cfg.env_role_arn = ROLE;
    cfg.env_role_session_name = "from-env";
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT_STR_EQ(al_creds_source(c), "web-identity-file");
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(e.fake.web_calls, 1);
    ASSERT_INT_EQ(e.fake.oidc_calls, 0);
    ASSERT_CONTAINS(e.fake.last_body, "RoleSessionName=from-env");
    ASSERT(al_secret_contains(JWT));
    al_creds_free(c);

    /* A different role-to-assume chains AssumeRole from the file's role. */
    cfg.role_to_assume = "arn:aws:iam::123456789012:role/other";
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    ASSERT(c != NULL);
    ASSERT_STR_EQ(al_creds_source(c), "web-identity-file+assume-role");
    ASSERT_OK(al_creds_get(c, &v));
    ASSERT_INT_EQ(e.fake.web_calls, 2);
    ASSERT_INT_EQ(e.fake.assume_calls, 1);
    ASSERT_CONTAINS(e.fake.last_auth, "Credential=ASIATEMP0002/");
    ASSERT_STR_EQ(v.access_key_id, "ASIATEMP0003");
    al_creds_free(c);
    unlink(path);
    rmdir(dir);
    free(dir);
    s_env_done(&e);
}

TEST(creds_account_guard)
{
    struct s_env e;
    struct al_creds_config cfg = s_oidc_config();
    struct al_creds *c;
    struct al_http_engine *engine;
    struct al_aws_ctx *ctx;
    struct al_caller_identity id;
    s_env_init(&e);
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    engine = al_http_engine_new(&e.opts);
    ctx = al_aws_ctx_new(engine, c, &e.ep);
    ASSERT_OK(al_sts_check_account(ctx, "123456789012", &id));
    ASSERT_STR_EQ(id.account, "123456789012");
    ASSERT_OK(al_sts_check_account(ctx, NULL, &id));
    ASSERT_FAILS(al_sts_check_account(ctx, "210987654321", &id));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT_INT_EQ(al_error_exit_code(al_error_last()->code), 3);
    ASSERT_CONTAINS(al_error_last()->msg, "123456789012");
    ASSERT_CONTAINS(al_error_last()->msg, "210987654321");
    ASSERT_CONTAINS(e.fake.last_auth, "Credential=ASIATEMP0001/");
    al_aws_ctx_free(ctx);
    al_http_engine_free(engine);
    al_creds_free(c);
    s_env_done(&e);
}

TEST(creds_expired_token_answer_renews_once)
{
    struct s_env e;
    struct al_creds_config cfg = s_oidc_config();
    struct al_creds *c;
    struct al_http_engine *engine;
    struct al_aws_ctx *ctx;
    struct al_http_response resp;
    struct al_aws_call_spec spec = { 0 };
    struct al_aws_stats st;
    s_env_init(&e);
    c = al_creds_new(&cfg, &e.ep, &e.opts);
    engine = al_http_engine_new(&e.opts);
    ctx = al_aws_ctx_new(engine, c, &e.ep);
    al_http_response_init(&resp, 0);
    spec.service = AL_SVC_S3;
    spec.operation = "HeadBucket";
    spec.method = "HEAD";
    spec.bucket = "site";
    e.fake.expire_s3_once = 1;
    ASSERT_OK(al_aws_request(ctx, &spec, &resp));
    ASSERT_INT_EQ(e.fake.web_calls, 2);
    ASSERT_INT_EQ(e.fake.s3_calls, 2);
    ASSERT_CONTAINS(e.fake.last_auth, "Credential=ASIATEMP0002/");
    al_aws_ctx_stats(ctx, &st);
    ASSERT_INT_EQ(st.credential_renewals, 1);
    al_http_response_clean_up(&resp);
    al_aws_ctx_free(ctx);
    al_http_engine_free(engine);
    al_creds_free(c);
    s_env_done(&e);
}
