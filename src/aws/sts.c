/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "aws/xml.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/str.h"

/* STS answers are a few KiB; a session token is at most a few. */
#define STS_BODY_MAX ((size_t)256 << 10)

static void s_wipe_free(char *s)
{
    if (!s)
        return;
    /* Keep secrets out of freed memory (and so out of core dumps). */
    memset(s, 0, strlen(s));
    free(s);
}

void al_sts_credentials_clean_up(struct al_sts_credentials *c)
{
    if (!c)
        return;
    s_wipe_free(c->access_key_id);
    s_wipe_free(c->secret_access_key);
    s_wipe_free(c->session_token);
    free(c->assumed_role_arn);
    memset(c, 0, sizeof(*c));
}

static void s_wipe_body(struct al_http_response *r)
{
    if (r->body.data)
        memset(r->body.data, 0, r->body.len);
    al_http_response_clean_up(r);
}

static int s_call(struct al_aws_ctx *ctx,
                  const char *op,
                  const struct al_query *q,
                  bool unsigned_req,
                  struct al_http_response *resp)
{
    struct al_aws_call_spec spec;
    const char *body = al_query_body(q);
    if (!body)
        return -1;
    al_aws_query_spec(&spec, AL_SVC_STS, op, body);
    spec.unsigned_request = unsigned_req;
    return al_aws_request(ctx, &spec, resp);
}

static int s_parse_credentials(const char *op,
                               const struct al_http_response *resp,
                               struct al_sts_credentials *out)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res, *cr;
    const char *akid, *secret, *token, *exp, *arn;
    char path[96];
    int rc = -1;

    if (al_xml_parse(al_buf_str(&resp->body), resp->body.len, NULL, &doc))
        goto cleanup;
    snprintf(path, sizeof(path), "%sResult", op);
    res = al_xml_child(al_xml_root(doc), path);
    cr = al_xml_child(res, "Credentials");
    akid = al_xml_text(cr, "AccessKeyId");
    secret = al_xml_text(cr, "SecretAccessKey");
    token = al_xml_text(cr, "SessionToken");
    exp = al_xml_text(cr, "Expiration");
    arn = al_xml_text(res, "AssumedRoleUser/Arn");
    /* Masked first: nothing may print them, not even an error below. */
    if (al_secret_add(akid) || al_secret_add(secret) || al_secret_add(token))
        goto cleanup;
    if (!akid || !*akid || !secret || !*secret || !token || !*token || !exp) {
        al_raise(AL_ERR_CREDENTIALS, "sts %s: the answer has no complete Credentials", op);
        goto cleanup;
    }
    if (al_clock_parse(exp, &out->expiration)) {
        al_raise(AL_ERR_CREDENTIALS, "sts %s: unreadable Expiration '%.40s'", op, exp);
        goto cleanup;
    }
    if (!(out->access_key_id = al_strdup(akid)) || !(out->secret_access_key = al_strdup(secret)) ||
        !(out->session_token = al_strdup(token)) ||
        (arn && !(out->assumed_role_arn = al_strdup(arn))))
        goto cleanup;
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    if (rc)
        al_sts_credentials_clean_up(out);
    return rc;
}

static int s_assume(struct al_aws_ctx *ctx,
                    const char *op,
                    struct al_query *q,
                    bool web,
                    struct al_sts_credentials *out)
{
    struct al_http_response resp;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    al_http_response_init(&resp, STS_BODY_MAX);
    if (s_call(ctx, op, q, web, &resp) || s_parse_credentials(op, &resp, out))
        goto cleanup;
    rc = 0;
cleanup:
    s_wipe_body(&resp);
    return rc;
}

static int s_common(struct al_query *q,
                    const char *op,
                    const char *role_arn,
                    const char *session_name,
                    unsigned duration)
{
    if (al_query_init(q, op, AL_STS_VERSION) || al_query_add(q, "RoleArn", role_arn) ||
        al_query_add(q, "RoleSessionName", session_name))
        return -1;
    if (duration && al_query_addf(q, "DurationSeconds", "%u", duration))
        return -1;
    return 0;
}

int al_sts_assume_role(struct al_aws_ctx *ctx,
                       const char *role_arn,
                       const char *session_name,
                       const char *external_id,
                       unsigned duration_seconds,
                       struct al_sts_credentials *out)
{
    struct al_query q;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (s_common(&q, "AssumeRole", role_arn, session_name, duration_seconds) ||
        al_query_add(&q, "ExternalId", external_id))
        goto cleanup;
    rc = s_assume(ctx, "AssumeRole", &q, false, out);
cleanup:
    al_query_clean_up(&q);
    return rc;
}

int al_sts_assume_role_with_web_identity(struct al_aws_ctx *ctx,
                                         const char *role_arn,
                                         const char *session_name,
                                         const char *token,
                                         unsigned duration_seconds,
                                         struct al_sts_credentials *out)
{
    struct al_query q;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (s_common(&q, "AssumeRoleWithWebIdentity", role_arn, session_name, duration_seconds) ||
        al_query_add(&q, "WebIdentityToken", token))
        goto cleanup;
    rc = s_assume(ctx, "AssumeRoleWithWebIdentity", &q, true, out);
cleanup:
    /* The body held the JWT. */
    if (q.buf.data)
        memset(q.buf.data, 0, q.buf.len);
    al_query_clean_up(&q);
    return rc;
}

static int s_set(char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = src ? strlen(src) : 0;
    if (!n)
        return al_raise(AL_ERR_AWS, "sts GetCallerIdentity: the answer has no %s", what);
    if (n >= cap)
        return al_raise(AL_ERR_AWS, "sts GetCallerIdentity: %s too long", what);
    memcpy(dst, src, n + 1);
    return 0;
}

int al_sts_get_caller_identity(struct al_aws_ctx *ctx, struct al_caller_identity *out)
{
    struct al_http_response resp;
    struct al_query q;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *res;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    al_http_response_init(&resp, STS_BODY_MAX);
    if (al_query_init(&q, "GetCallerIdentity", AL_STS_VERSION) ||
        s_call(ctx, "GetCallerIdentity", &q, false, &resp) ||
        al_xml_parse(al_buf_str(&resp.body), resp.body.len, NULL, &doc))
        goto cleanup;
    res = al_xml_child(al_xml_root(doc), "GetCallerIdentityResult");
    if (s_set(out->account, sizeof(out->account), al_xml_text(res, "Account"), "Account") ||
        s_set(out->arn, sizeof(out->arn), al_xml_text(res, "Arn"), "Arn"))
        goto cleanup;
    snprintf(out->user_id,
             sizeof(out->user_id),
             "%s",
             al_xml_text(res, "UserId") ? al_xml_text(res, "UserId") : "");
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    al_query_clean_up(&q);
    al_http_response_clean_up(&resp);
    return rc;
}

int al_sts_check_account(struct al_aws_ctx *ctx,
                         const char *expected_account,
                         struct al_caller_identity *out)
{
    struct al_caller_identity local;
    struct al_caller_identity *id = out ? out : &local;
    if (al_sts_get_caller_identity(ctx, id))
        return -1;
    if (expected_account && *expected_account && strcmp(expected_account, id->account) != 0)
        return al_raise(AL_ERR_CREDENTIALS,
                        "wrong AWS account: the credentials belong to account %s (%s), but the "
                        "config's accountId is %s; nothing was changed",
                        id->account,
                        id->arn,
                        expected_account);
    return 0;
}
