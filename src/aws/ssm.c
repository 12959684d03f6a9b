/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/ssm.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"
#include "util/json.h"
#include "util/str.h"

int al_ssm_get_parameter(struct al_aws_ctx *ctx,
                         const char *region,
                         const char *name,
                         char **value_out,
                         bool *found)
{
    static const struct al_kv hdrs[] = {
        { "Content-Type", "application/x-amz-json-1.1" },
        { "X-Amz-Target", "AmazonSSM.GetParameter" },
    };
    struct al_aws_call_spec spec = { 0 };
    struct al_http_response resp;
    json_t *req = NULL, *ans = NULL;
    char *body = NULL;
    const char *v;
    int rc = -1;

    *value_out = NULL;
    *found = false;
    al_http_response_init(&resp, AL_SSM_BODY_MAX);
    req = json_pack("{s:s}", "Name", name);
    if (!req || !(body = json_dumps(req, JSON_COMPACT))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    spec.service = AL_SVC_SSM;
    spec.operation = "GetParameter";
    spec.method = "POST";
    spec.headers = hdrs;
    spec.n_headers = 2;
    spec.body.kind = AL_HTTP_BODY_MEMORY;
    spec.body.data = body;
    spec.body.len = strlen(body);
    spec.region = region;
    if (al_aws_request(ctx, &spec, &resp)) {
        if (strcmp(al_error_last()->aws_code, "ParameterNotFound") == 0) {
            al_error_clear();
            rc = 0;
        }
        goto cleanup;
    }
    if (!(ans = al_json_parse(
            al_buf_str(&resp.body), resp.body.len, "ssm GetParameter answer", AL_ERR_AWS)))
        goto cleanup;
    v = json_string_value(json_object_get(json_object_get(ans, "Parameter"), "Value"));
    if (!v) {
        al_raise(AL_ERR_AWS, "ssm GetParameter: the answer for %s has no Parameter.Value", name);
        goto cleanup;
    }
    if (!(*value_out = al_strdup(v)))
        goto cleanup;
    *found = true;
    rc = 0;
cleanup:
    json_decref(req);
    json_decref(ans);
    free(body);
    al_http_response_clean_up(&resp);
    return rc;
}
