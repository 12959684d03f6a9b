/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/errors.h"

#include <stdio.h>
#include <string.h>

#include "aws/xml.h"
#include "util/json.h"

/* Error bodies are small; a larger one is not an error document. */
#define ERROR_BODY_MAX ((size_t)1 << 20)

static void s_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (!src)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    /* One line, so a message cannot forge log lines or workflow commands. */
    for (char *p = dst; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
}

static void s_set(char *dst, size_t cap, const char *src)
{
    if (src && *src)
        s_copy(dst, cap, src, strlen(src));
}

static bool s_looks_xml(const char *body, size_t n)
{
    while (n && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')) {
        body++;
        n--;
    }
    return n && *body == '<';
}

static bool s_parse_xml(const char *body, size_t n, struct al_aws_error_info *out)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root, *err = NULL;
    const char *rid = NULL;
    struct al_error saved = *al_error_last();
    struct al_xml_limits lim = { ERROR_BODY_MAX, 16, 4096 };
    bool found = false;

    if (al_xml_parse(body, n, &lim, &doc)) {
        *al_error_mut() = saved; /* a garbled body is not the error to report */
        return false;
    }
    root = al_xml_root(doc);
    if (strcmp(root->name, "Error") == 0) {
        err = root; /* S3 */
        rid = al_xml_text(root, "RequestId");
    } else if (strcmp(root->name, "ErrorResponse") == 0) {
        err = al_xml_child(root, "Error"); /* Query, CloudFront */
        rid = al_xml_text(root, "RequestId");
        if (!rid)
            rid = al_xml_text(err, "RequestId");
    } else if (strcmp(root->name, "Response") == 0) {
        err = al_xml_find(root, "Errors/Error"); /* EC2 style */
        rid = al_xml_text(root, "RequestID");
    }
    if (err && al_xml_text(err, "Code")) {
        s_set(out->code, sizeof(out->code), al_xml_text(err, "Code"));
        s_set(out->message, sizeof(out->message), al_xml_text(err, "Message"));
        s_set(out->request_id, sizeof(out->request_id), rid);
        found = out->code[0] != '\0';
    }
    al_xml_doc_free(doc);
    return found;
}

/* "com.amazon.coral.service#ValidationException:http://..." -> "ValidationException" */
static void s_set_json_code(char *dst, size_t cap, const char *type)
{
    const char *hash = strchr(type, '#');
    if (hash)
        type = hash + 1;
    s_copy(dst, cap, type, strcspn(type, ":"));
}

static bool s_parse_json(const char *body, size_t n, struct al_aws_error_info *out)
{
    struct al_error saved = *al_error_last();
    json_t *j = al_json_parse(body, n, "error body", AL_ERR_PARSE);
    const char *type, *msg;
    if (!j) {
        *al_error_mut() = saved;
        return false;
    }
    type = al_json_str(j, "__type");
    if (!type)
        type = al_json_str(j, "code");
    msg = al_json_str(j, "message");
    if (!msg)
        msg = al_json_str(j, "Message");
    if (type && *type)
        s_set_json_code(out->code, sizeof(out->code), type);
    s_set(out->message, sizeof(out->message), msg);
    json_decref(j);
    return out->code[0] != '\0';
}

static const char *s_status_code(long status)
{
    switch (status) {
        case 301:
            return "PermanentRedirect";
        case 304:
            return "NotModified";
        case 400:
            return "BadRequest";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "NotFound";
        case 405:
            return "MethodNotAllowed";
        case 409:
            return "Conflict";
        case 412:
            return "PreconditionFailed";
        case 416:
            return "InvalidRange";
        case 429:
            return "TooManyRequests";
        case 500:
            return "InternalError";
        case 502:
            return "BadGateway";
        case 503:
            return "ServiceUnavailable";
        case 504:
            return "GatewayTimeout";
        default:
            return NULL;
    }
}

bool al_aws_error_parse(const struct al_http_response *r, struct al_aws_error_info *out)
{
    const char *body = al_buf_str(&r->body);
    size_t n = r->body.len;
    const char *h;
    bool found = false;

    memset(out, 0, sizeof(*out));
    if (n && n <= ERROR_BODY_MAX) {
        if (s_looks_xml(body, n))
            found = s_parse_xml(body, n, out);
        else if (*body == '{' ||
                 (h = al_http_response_header(r, "content-type"), h && strstr(h, "json")))
            found = s_parse_json(body, n, out);
    }
    /* Query-compatible JSON services put the Query code here; it wins. */
    if ((h = al_http_response_header(r, "x-amzn-query-error")) && *h) {
        s_copy(out->code, sizeof(out->code), h, strcspn(h, ";"));
        found = true;
    } else if (!found && (h = al_http_response_header(r, "x-amzn-errortype")) && *h) {
        s_set_json_code(out->code, sizeof(out->code), h);
        found = out->code[0] != '\0';
    }
    if (!out->request_id[0]) {
        h = al_http_response_header(r, "x-amz-request-id");
        if (!h)
            h = al_http_response_header(r, "x-amzn-requestid");
        s_set(out->request_id, sizeof(out->request_id), h);
    }
    if (!found && !out->code[0]) {
        const char *name = s_status_code(r->status);
        if (name)
            s_set(out->code, sizeof(out->code), name);
        else
            snprintf(out->code, sizeof(out->code), "HTTP%ld", r->status);
    }
    return found;
}

bool al_aws_error_in_body(const char *body, size_t n)
{
    const char *end = body + n;
    /* Skip white space (S3's keep-alive padding) and the XML declaration. */
    for (;;) {
        while (body < end && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n'))
            body++;
        if (end - body >= 2 && body[0] == '<' && body[1] == '?') {
            const char *q = memmem(body, (size_t)(end - body), "?>", 2);
            if (!q)
                return false;
            body = q + 2;
            continue;
        }
        break;
    }
    return end - body >= 7 && memcmp(body, "<Error>", 7) == 0;
}

bool al_aws_error_is_auth(long status, const char *code)
{
    static const char *const auth[] = {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "AuthorizationError",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidIdentityToken",
        "IDPRejectedClaim",
        "InvalidToken",
        "MissingAuthenticationToken",
        "NotAuthorized",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "Unauthorized",
        "Forbidden",
        NULL,
    };
    if (code && *code) {
        for (const char *const *p = auth; *p; p++)
            if (strcmp(code, *p) == 0)
                return true;
        return false;
    }
    return status == 401 || status == 403;
}

int al_aws_error_raise(const char *service,
                       const char *operation,
                       long status,
                       const struct al_aws_error_info *info)
{
    struct al_error *e;
    bool auth = al_aws_error_is_auth(status, info->code);
    char rid[160] = "";

    if (info->request_id[0])
        snprintf(rid, sizeof(rid), ", request id %s", info->request_id);
    al_raise(auth ? AL_ERR_CREDENTIALS : AL_ERR_AWS,
             "%s %s failed: %s%s%s (HTTP %ld%s)",
             service ? service : "aws",
             operation ? operation : "call",
             info->code,
             info->message[0] ? ": " : "",
             info->message,
             status,
             rid);
    e = al_error_mut();
    snprintf(e->service, sizeof(e->service), "%s", service ? service : "");
    snprintf(e->operation, sizeof(e->operation), "%s", operation ? operation : "");
    snprintf(e->aws_code, sizeof(e->aws_code), "%s", info->code);
    snprintf(e->request_id, sizeof(e->request_id), "%s", info->request_id);
    e->http_status = (int)status;
    return -1;
}
