/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/sts.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/str.h"

/* STS's limits on a web identity token and on durations. */
#define TOKEN_MAX 20000u
#define DURATION_MIN 900u
#define DURATION_MAX 43200u
#define OIDC_BODY_MAX ((size_t)64 << 10)

enum s_kind {
    K_STATIC,
    K_WEB_IDENTITY,
    K_ASSUME_ROLE,
};

struct al_creds {
    enum s_kind kind;
    char source[64];
    /* the current credentials */
    char *akid;
    char *secret;
    char *token;
    time_t expiration;
    time_t fetched_at;
    bool invalidated;
    unsigned fetches;
    /* what to fetch with */
    char *role_arn;
    char *session_name;
    char *external_id;
    unsigned duration;
    unsigned margin_cfg;
    char *oidc_url;
    char *oidc_token;
    char *audience;
    char *token_file;
    /* plumbing */
    const struct al_endpoint_config *ep;
    const struct al_http_options *http;
    struct al_http_options engine_opts;
    struct al_http_engine *engine;
    struct al_aws_ctx *sts;
    struct al_creds *base;
    bool owns_base;
};

static void s_wipe_free(char *s)
{
    if (!s)
        return;
    memset(s, 0, strlen(s));
    free(s);
}

static void s_drop_current(struct al_creds *c)
{
    s_wipe_free(c->akid);
    s_wipe_free(c->secret);
    s_wipe_free(c->token);
    c->akid = c->secret = c->token = NULL;
}

void al_creds_free(struct al_creds *c)
{
    if (!c)
        return;
    s_drop_current(c);
    free(c->role_arn);
    free(c->session_name);
    free(c->external_id);
    free(c->oidc_url);
    s_wipe_free(c->oidc_token);
    free(c->audience);
    free(c->token_file);
    al_aws_ctx_free(c->sts);
    al_http_engine_free(c->engine);
    if (c->owns_base)
        al_creds_free(c->base);
    free(c);
}

static bool s_set(const char *s)
{
    return s && *s;
}

static int s_dup(char **dst, const char *src)
{
    return s_set(src) ? al_str_set(dst, src) : 0;
}

/* RoleSessionName: 2..64 of [\w+=,.@-] (STS's rule). */
static int s_check_session_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || n > 64)
        return al_raise(
          AL_ERR_USAGE, "role-session-name '%.80s' must be 2 to 64 characters long", name);
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("_+=,.@-", ch)))
            return al_raise(AL_ERR_USAGE,
                            "role-session-name '%.80s' may hold only letters, digits and "
                            "_+=,.@- characters",
                            name);
    }
    return 0;
}

static int s_check_duration(unsigned d)
{
    if (d < DURATION_MIN || d > DURATION_MAX)
        return al_raise(AL_ERR_USAGE,
                        "role duration %u s is outside STS's %u..%u s",
                        d,
                        DURATION_MIN,
                        DURATION_MAX);
    return 0;
}

/* Registers every secret of the configuration before anything can print. */
static int s_mask_config(const struct al_creds_config *cfg)
{
    const char *const values[] = {
        cfg->access_key_id,      cfg->secret_access_key,     cfg->session_token,
        cfg->env_access_key_id,  cfg->env_secret_access_key, cfg->env_session_token,
        cfg->oidc_request_token,
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        if (al_secret_add(values[i]))
            return -1;
    return 0;
}

static struct al_creds *s_alloc(const struct al_endpoint_config *ep,
                                const struct al_http_options *http,
                                enum s_kind kind)
{
    struct al_creds *c = calloc(1, sizeof(*c));
    if (!c) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->kind = kind;
    c->ep = ep;
    c->http = http;
    return c;
}

static struct al_creds *s_new_static(const struct al_endpoint_config *ep,
                                     const struct al_http_options *http,
                                     const char *akid,
                                     const char *secret,
                                     const char *token,
                                     const char *source)
{
    struct al_creds *c = s_alloc(ep, http, K_STATIC);
    if (!c)
        return NULL;
    snprintf(c->source, sizeof(c->source), "%s", source);
    if (s_dup(&c->akid, akid) || s_dup(&c->secret, secret) || s_dup(&c->token, token)) {
        al_creds_free(c);
        return NULL;
    }
    return c;
}

/* The engine and STS context a fetching provider calls through, made on first use. */
static int s_plumbing(struct al_creds *c)
{
    if (c->sts)
        return 0;
    if (c->http)
        c->engine_opts = *c->http;
    /* One call at a time; its own engine so a renewal never re-enters a signing one. */
    c->engine_opts.max_concurrency = 2;
    if (!(c->engine = al_http_engine_new(&c->engine_opts)))
        return -1;
    if (!(c->sts = al_aws_ctx_new(c->engine, c->kind == K_ASSUME_ROLE ? c->base : NULL, c->ep)))
        return -1;
    return 0;
}

static char *s_default_session_name(const struct al_creds_config *cfg)
{
    char name[80];
    if (s_set(cfg->role_session_name))
        return al_strdup(cfg->role_session_name);
    if (s_set(cfg->run_id))
        snprintf(name, sizeof(name), "airlock-%.56s", cfg->run_id);
    else
        snprintf(name, sizeof(name), "airlock-%lld", (long long)al_clock_now());
    return al_strdup(name);
}

static struct al_creds *s_wrap_assume(struct al_creds *base,
                                      const char *role_arn,
                                      const char *session_name,
                                      const char *external_id,
                                      unsigned duration,
                                      bool owns_base)
{
    struct al_creds *c = s_alloc(base->ep, base->http, K_ASSUME_ROLE);
    if (!c) {
        if (owns_base)
            al_creds_free(base);
        return NULL;
    }
    c->base = base;
    c->owns_base = owns_base;
    c->duration = duration ? duration : AL_CREDS_DEFAULT_DURATION;
    c->margin_cfg = base->margin_cfg;
    snprintf(c->source, sizeof(c->source), "%.40s+assume-role", base->source);
    if (s_dup(&c->role_arn, role_arn) || s_dup(&c->external_id, external_id) ||
        al_str_set(&c->session_name, session_name ? session_name : base->session_name) ||
        !c->session_name || s_check_session_name(c->session_name) ||
        s_check_duration(c->duration)) {
        if (!c->session_name && !al_error_last()->code)
            al_raise(AL_ERR_USAGE, "role-session-name is required");
        al_creds_free(c);
        return NULL;
    }
    return c;
}

struct al_creds *al_creds_new(const struct al_creds_config *cfg,
                              const struct al_endpoint_config *ep,
                              const struct al_http_options *http)
{
    struct al_creds *c = NULL;
    char *session = NULL;
    unsigned duration = cfg->duration_seconds ? cfg->duration_seconds : AL_CREDS_DEFAULT_DURATION;
    bool role = s_set(cfg->role_to_assume);

    if (s_mask_config(cfg))
        return NULL;
    if (s_set(cfg->access_key_id) != s_set(cfg->secret_access_key)) {
        al_raise(AL_ERR_USAGE, "aws-access-key-id and aws-secret-access-key must be set together");
        return NULL;
    }
    if (!(session = s_default_session_name(cfg)))
        return NULL;
    if (s_check_session_name(session) || s_check_duration(duration))
        goto on_error;

    if (s_set(cfg->access_key_id)) {
        c = s_new_static(
          ep, http, cfg->access_key_id, cfg->secret_access_key, cfg->session_token, "inputs");
    } else if (s_set(cfg->env_access_key_id) || s_set(cfg->env_secret_access_key)) {
        if (s_set(cfg->env_access_key_id) != s_set(cfg->env_secret_access_key)) {
            al_raise(AL_ERR_CREDENTIALS,
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
            goto on_error;
        }
        c = s_new_static(ep,
                         http,
                         cfg->env_access_key_id,
                         cfg->env_secret_access_key,
                         cfg->env_session_token,
                         "environment");
    } else if (role && (s_set(cfg->oidc_request_url) || s_set(cfg->oidc_request_token))) {
        if (!s_set(cfg->oidc_request_url) || !s_set(cfg->oidc_request_token)) {
            al_raise(AL_ERR_CREDENTIALS,
                     "ACTIONS_ID_TOKEN_REQUEST_URL and "
                     "ACTIONS_ID_TOKEN_REQUEST_TOKEN must both be set");
            goto on_error;
        }
        if (!(c = s_alloc(ep, http, K_WEB_IDENTITY)))
            goto on_error;
        snprintf(c->source, sizeof(c->source), "oidc");
        c->duration = duration;
        c->margin_cfg = cfg->renew_margin_seconds;
        if (s_dup(&c->role_arn, cfg->role_to_assume) ||
            s_dup(&c->oidc_url, cfg->oidc_request_url) ||
            s_dup(&c->oidc_token, cfg->oidc_request_token) ||
            al_str_set(&c->audience,
                       s_set(cfg->audience) ? cfg->audience : AL_CREDS_DEFAULT_AUDIENCE) ||
            al_str_set(&c->session_name, session))
            goto on_error;
        free(session);
        return c;
    } else if (s_set(cfg->web_identity_token_file) && s_set(cfg->env_role_arn)) {
        if (!(c = s_alloc(ep, http, K_WEB_IDENTITY)))
            goto on_error;
        snprintf(c->source, sizeof(c->source), "web-identity-file");
        c->duration = duration;
        c->margin_cfg = cfg->renew_margin_seconds;
        if (s_dup(&c->role_arn, cfg->env_role_arn) ||
            s_dup(&c->token_file, cfg->web_identity_token_file) ||
            al_str_set(&c->session_name,
                       s_set(cfg->env_role_session_name) && !s_set(cfg->role_session_name)
                         ? cfg->env_role_session_name
                         : session))
            goto on_error;
        if (s_check_session_name(c->session_name))
            goto on_error;
        /* A different role-to-assume is chained from the file's role. */
        if (role && strcmp(cfg->role_to_assume, cfg->env_role_arn) != 0) {
            c = s_wrap_assume(c, cfg->role_to_assume, session, cfg->external_id, duration, true);
            if (!c)
                goto on_error;
        }
        free(session);
        return c;
    } else if (role) {
        al_raise(AL_ERR_CREDENTIALS,
                 "role-to-assume is set but GitHub gave this job no OIDC token "
                 "(ACTIONS_ID_TOKEN_REQUEST_URL is unset): add `permissions: id-token: write` "
                 "to the workflow or the job");
        goto on_error;
    } else {
        al_raise(AL_ERR_CREDENTIALS,
                 "no AWS credentials: set role-to-assume (with `permissions: id-token: write`), "
                 "or aws-access-key-id and aws-secret-access-key, or AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY");
        goto on_error;
    }
    if (!c)
        goto on_error;
    c->margin_cfg = cfg->renew_margin_seconds;
    if (al_str_set(&c->session_name, session))
        goto on_error;
    if (role)
        c = s_wrap_assume(c, cfg->role_to_assume, session, cfg->external_id, duration, true);
    free(session);
    return c;
on_error:
    free(session);
    al_creds_free(c);
    return NULL;
}

struct al_creds *al_creds_new_assume_role(struct al_creds *base,
                                          const char *role_arn,
                                          const char *session_name,
                                          const char *external_id,
                                          unsigned duration_seconds)
{
    if (!s_set(role_arn)) {
        al_raise(AL_ERR_USAGE, "a role ARN is required to assume a role");
        return NULL;
    }
    return s_wrap_assume(base, role_arn, session_name, external_id, duration_seconds, false);
}

/* GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=<aud> with the bearer token; JSON "value". */
static char *s_fetch_oidc_token(struct al_creds *c)
{
    struct al_buf url, auth;
    struct al_http_headers hdrs;
    struct al_http_request req = { 0 };
    struct al_http_response resp;
    json_t *j = NULL;
    json_error_t jerr;
    const char *value;
    char *out = NULL;

    al_buf_init(&url, AL_HTTP_URL_MAX);
    al_buf_init(&auth, 64 << 10);
    al_http_headers_init(&hdrs, 0);
    al_http_response_init(&resp, OIDC_BODY_MAX);
    if (al_buf_puts(&url, c->oidc_url) || al_buf_putc(&url, strchr(c->oidc_url, '?') ? '&' : '?') ||
        al_buf_puts(&url, "audience=") ||
        al_uri_encode(&url, c->audience, strlen(c->audience), false) ||
        al_buf_printf(&auth, "Bearer %s", c->oidc_token) ||
        al_http_headers_add(&hdrs, "Authorization", al_buf_str(&auth)) ||
        al_http_headers_add(&hdrs, "Accept", "application/json"))
        goto cleanup;
    req.method = "GET";
    req.url = al_buf_str(&url);
    req.headers = &hdrs;
    req.sensitive_url = true;
    req.log_name = "github OIDC token";
    if (al_http_perform(c->engine, &req, &resp)) {
        al_raise(AL_ERR_CREDENTIALS,
                 "could not get a GitHub OIDC token (%s); the job needs `permissions: id-token: "
                 "write`",
                 resp.status ? "the token endpoint refused the request" : al_error_last()->msg);
        if (resp.status)
            al_error_mut()->http_status = (int)resp.status;
        goto cleanup;
    }
    /* jansson's own error text quotes the input, which would be the token. */
    if (!(j = json_loadb(al_buf_str(&resp.body), resp.body.len, 0, &jerr))) {
        al_raise(
          AL_ERR_CREDENTIALS, "the GitHub OIDC token answer is not JSON (line %d)", jerr.line);
        goto cleanup;
    }
    value = al_json_str(j, "value");
    if (al_secret_add(value))
        goto cleanup;
    if (!value || strlen(value) < 4 || strlen(value) > TOKEN_MAX) {
        al_raise(AL_ERR_CREDENTIALS, "the GitHub OIDC token answer has no usable \"value\"");
        goto cleanup;
    }
    out = al_strdup(value);
cleanup:
    if (resp.body.data)
        memset(resp.body.data, 0, resp.body.len);
    if (auth.data)
        memset(auth.data, 0, auth.len);
    json_decref(j);
    al_buf_clean_up(&url);
    al_buf_clean_up(&auth);
    al_http_headers_clean_up(&hdrs);
    al_http_response_clean_up(&resp);
    return out;
}

static char *s_read_token_file(struct al_creds *c)
{
    size_t len = 0;
    char *data = al_file_read(c->token_file, TOKEN_MAX + 64, &len);
    char *token;
    if (!data) {
        al_raise_context("AWS_WEB_IDENTITY_TOKEN_FILE");
        al_error_mut()->code = AL_ERR_CREDENTIALS;
        return NULL;
    }
    token = al_str_trim(data);
    memset(data, 0, len);
    free(data);
    if (token && al_secret_add(token)) {
        s_wipe_free(token);
        return NULL;
    }
    if (token && (strlen(token) < 4 || strlen(token) > TOKEN_MAX)) {
        s_wipe_free(token);
        al_raise(AL_ERR_CREDENTIALS,
                 "AWS_WEB_IDENTITY_TOKEN_FILE %s holds no usable token",
                 c->token_file);
        return NULL;
    }
    return token;
}

static int s_fetch(struct al_creds *c)
{
    struct al_sts_credentials got;
    struct al_creds_value base;
    char until[21];
    char *jwt = NULL;
    int rc = -1;

    memset(&got, 0, sizeof(got));
    if (s_plumbing(c))
        return -1;
    if (c->kind == K_WEB_IDENTITY) {
        /* A fresh token each time: GitHub's live for minutes only. */
        jwt = c->oidc_url ? s_fetch_oidc_token(c) : s_read_token_file(c);
        if (!jwt)
            goto cleanup;
        if (al_sts_assume_role_with_web_identity(
              c->sts, c->role_arn, c->session_name, jwt, c->duration, &got))
            goto cleanup;
    } else {
        /* Renew the base first, outside the AssumeRole call's signing hook. */
        if (al_creds_get(c->base, &base))
            goto cleanup;
        if (al_sts_assume_role(
              c->sts, c->role_arn, c->session_name, c->external_id, c->duration, &got))
            goto cleanup;
    }
    s_drop_current(c);
    c->akid = got.access_key_id;
    c->secret = got.secret_access_key;
    c->token = got.session_token;
    got.access_key_id = got.secret_access_key = got.session_token = NULL;
    c->expiration = got.expiration;
    c->fetched_at = al_clock_now();
    c->invalidated = false;
    c->fetches++;
    al_clock_iso8601(c->expiration, until);
    al_log_debug("credentials: %s for %s, valid until %s (%s)",
                 c->fetches > 1 ? "renewed" : "obtained",
                 got.assumed_role_arn ? got.assumed_role_arn : c->role_arn,
                 until,
                 c->source);
    rc = 0;
cleanup:
    s_wipe_free(jwt);
    al_sts_credentials_clean_up(&got);
    return rc;
}

static time_t s_margin(const struct al_creds *c)
{
    time_t life = c->expiration - c->fetched_at;
    time_t m = AL_CREDS_RENEW_MARGIN;
    if (c->margin_cfg)
        return (time_t)c->margin_cfg;
    if (life > 0 && life / 4 < m)
        m = life / 4;
    return m;
}

int al_creds_get(struct al_creds *c, struct al_creds_value *out)
{
    memset(out, 0, sizeof(*out));
    if (c->kind != K_STATIC) {
        time_t now = al_clock_now();
        bool have = c->akid != NULL;
        if (!have || c->invalidated || now + s_margin(c) >= c->expiration) {
            struct al_error err;
            if (s_fetch(c)) {
                /* Still valid for a while: keep going and try again next call. */
                if (!have || c->invalidated || now + 5 >= c->expiration)
                    return -1;
                err = *al_error_last();
                al_log_warning("credentials: renewal failed, using the current ones until they "
                               "expire: %s",
                               err.msg);
            }
        }
    }
    if (!c->akid || !c->secret)
        return al_raise(AL_ERR_CREDENTIALS, "no credentials available");
    out->access_key_id = c->akid;
    out->secret_access_key = c->secret;
    out->session_token = c->token && *c->token ? c->token : NULL;
    out->expiration = c->expiration;
    return 0;
}

int al_creds_resolve(struct al_creds *c)
{
    struct al_creds_value v;
    return al_creds_get(c, &v);
}

void al_creds_invalidate(struct al_creds *c)
{
    if (c->kind != K_STATIC)
        c->invalidated = true;
}

bool al_creds_renewable(const struct al_creds *c)
{
    return c->kind != K_STATIC;
}

const char *al_creds_source(const struct al_creds *c)
{
    return c->source;
}

unsigned al_creds_fetches(const struct al_creds *c)
{
    return c->fetches;
}
