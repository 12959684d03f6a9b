/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/cloudfront.h"

#include <stdio.h>
#include <string.h>

#include "aws/xml.h"
#include "util/err.h"

/* 3,000 paths of up to a few KiB each, XML-escaped; the answer echoes them. */
#define CF_BODY_MAX ((size_t)16 << 20)
#define CF_PATH_MAX 512

bool al_cf_distribution_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
            return false;
    return true;
}

int al_cf_invalidation_batch_xml(struct al_buf *out,
                                 const char *const *paths,
                                 size_t n,
                                 const char *caller_reference)
{
    if (al_buf_puts(
          out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<InvalidationBatch xmlns=\"http://cloudfront.amazonaws.com/doc/" AL_CF_API_VERSION
          "/\"><Paths>") ||
        al_buf_printf(out, "<Quantity>%zu</Quantity><Items>", n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (al_buf_puts(out, "<Path>") || al_xml_escape(out, paths[i]) ||
            al_buf_puts(out, "</Path>"))
            return -1;
    if (al_buf_puts(out, "</Items></Paths><CallerReference>") ||
        al_xml_escape(out, caller_reference) ||
        al_buf_puts(out, "</CallerReference></InvalidationBatch>"))
        return -1;
    return 0;
}

static int s_copy(char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = src ? strlen(src) : 0;
    if (!n)
        return al_raise(AL_ERR_AWS, "cloudfront: the Invalidation answer has no %s", what);
    if (n >= cap)
        return al_raise(AL_ERR_AWS, "cloudfront: the Invalidation answer's %s is too long", what);
    memcpy(dst, src, n + 1);
    return 0;
}

int al_cf_parse_invalidation(const char *body, size_t n, struct al_cf_invalidation *out)
{
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root;
    const char *t;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (al_xml_parse(body, n, NULL, &doc))
        goto cleanup;
    root = al_xml_root(doc);
    if (!root || strcmp(root->name, "Invalidation") != 0) {
        al_raise(AL_ERR_AWS, "cloudfront: expected an <Invalidation> answer");
        goto cleanup;
    }
    if (s_copy(out->id, sizeof(out->id), al_xml_text(root, "Id"), "Id") ||
        s_copy(out->status, sizeof(out->status), al_xml_text(root, "Status"), "Status"))
        goto cleanup;
    t = al_xml_text(root, "CreateTime");
    snprintf(out->create_time, sizeof(out->create_time), "%s", t ? t : "");
    rc = 0;
cleanup:
    al_xml_doc_free(doc);
    return rc;
}

static int s_check_id(const char *id)
{
    if (!al_cf_distribution_id_valid(id))
        return al_raise(AL_ERR_USAGE,
                        "distribution-id '%.80s' is not a CloudFront distribution id (expected "
                        "upper-case letters and digits, like E2EXAMPLE1ABCD)",
                        id ? id : "");
    return 0;
}

int al_cf_create_invalidation(struct al_aws_ctx *ctx,
                              const char *distribution_id,
                              const char *const *paths,
                              size_t n,
                              const char *caller_reference,
                              struct al_cf_invalidation *out)
{
    static const struct al_kv hdrs[] = { { "Content-Type", "text/xml" } };
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    struct al_buf body;
    char path[CF_PATH_MAX];
    int rc = -1;

    memset(out, 0, sizeof(*out));
    al_buf_init(&body, CF_BODY_MAX);
    al_http_response_init(&resp, CF_BODY_MAX);
    if (s_check_id(distribution_id))
        goto cleanup;
    if (!n) {
        al_raise(AL_ERR_INTERNAL, "cloudfront CreateInvalidation without paths");
        goto cleanup;
    }
    if (al_cf_invalidation_batch_xml(&body, paths, n, caller_reference))
        goto cleanup;
    snprintf(
      path, sizeof(path), "/" AL_CF_API_VERSION "/distribution/%s/invalidation", distribution_id);
    spec.service = AL_SVC_CLOUDFRONT;
    spec.operation = "CreateInvalidation";
    spec.method = "POST";
    spec.path = path;
    spec.headers = hdrs;
    spec.n_headers = 1;
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = body.data;
    spec.body.len = body.len;
    if (al_aws_request(ctx, &spec, &resp) ||
        al_cf_parse_invalidation(al_buf_str(&resp.body), resp.body.len, out))
        goto cleanup;
    rc = 0;
cleanup:
    al_http_response_clean_up(&resp);
    al_buf_clean_up(&body);
    return rc;
}

int al_cf_get_invalidation(struct al_aws_ctx *ctx,
                           const char *distribution_id,
                           const char *invalidation_id,
                           struct al_cf_invalidation *out)
{
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    char path[CF_PATH_MAX];
    int rc = -1;

    memset(out, 0, sizeof(*out));
    al_http_response_init(&resp, CF_BODY_MAX);
    if (s_check_id(distribution_id))
        goto cleanup;
    if (!al_cf_distribution_id_valid(invalidation_id)) {
        al_raise(AL_ERR_AWS, "cloudfront: unexpected invalidation id '%.80s'", invalidation_id);
        goto cleanup;
    }
    snprintf(path,
             sizeof(path),
             "/" AL_CF_API_VERSION "/distribution/%s/invalidation/%s",
             distribution_id,
             invalidation_id);
    spec.service = AL_SVC_CLOUDFRONT;
    spec.operation = "GetInvalidation";
    spec.path = path;
    if (al_aws_request(ctx, &spec, &resp) ||
        al_cf_parse_invalidation(al_buf_str(&resp.body), resp.body.len, out))
        goto cleanup;
    rc = 0;
cleanup:
    al_http_response_clean_up(&resp);
    return rc;
}
