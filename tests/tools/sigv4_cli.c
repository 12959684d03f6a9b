/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigv4_cli: drives the SigV4 signer for tests/sigv4/differential.js.
 * Reads one JSON request per stdin line:
 *   {"id":..., "method":"GET", "path":"/raw path", "path_encoded":false,
 *    "query":[["k","v"],["k2",null]], "headers":[["Host","h"]],
 *    "payload_hash":"<hex>|UNSIGNED-PAYLOAD", "region":"us-east-1",
 *    "service":"s3", "s3":true, "access_key_id":"...",
 *    "secret_access_key":"...", "session_token":null, "time":1440938160,
 *    "presign_expires":3600 (optional)}
 * and prints one JSON line per request: the Authorization value, the
 * canonical request (for debugging), the wire path and query, and the
 * presigned query when asked; or {"id":..., "error":"..."}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/err.h"

/* Reads [[name, value], ...] into a new array (borrowing the JSON strings). */
static int s_pairs(json_t *arr, struct al_kv **out, size_t *n)
{
    size_t i;
    json_t *pair;

    *out = NULL;
    *n = 0;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return al_raise(AL_ERR_USAGE, "expected an array of pairs");
    *out = calloc(json_array_size(arr) + 1, sizeof(**out));
    if (!*out)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    json_array_foreach(arr, i, pair)
    {
        json_t *k = json_array_get(pair, 0), *v = json_array_get(pair, 1);
        if (!json_is_string(k) || !(json_is_string(v) || json_is_null(v) || !v))
            return al_raise(AL_ERR_USAGE, "pair %zu is not [string, string|null]", i);
        (*out)[i].name = json_string_value(k);
        (*out)[i].value = json_string_value(v); /* NULL for null */
    }
    *n = json_array_size(arr);
    return 0;
}

static const char *s_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Signs one request and fills the reply object. @return 0 or -1 (raised). */
static int s_handle(json_t *in, json_t *reply)
{
    struct al_sigv4_params p;
    struct al_sigv4_request r;
    struct al_kv *query = NULL, *headers = NULL;
    struct al_sigv4_signed sd;
    struct al_buf creq, ppath, pquery;
    json_t *expires = json_object_get(in, "presign_expires");
    int rc = -1;

    memset(&p, 0, sizeof(p));
    memset(&r, 0, sizeof(r));
    memset(&sd, 0, sizeof(sd));
    al_buf_init(&creq, AL_SIGV4_MAX_CANONICAL);
    al_buf_init(&ppath, AL_SIGV4_MAX_PART);
    al_buf_init(&pquery, AL_SIGV4_MAX_PART);

    p.access_key_id = s_str(in, "access_key_id");
    p.secret_access_key = s_str(in, "secret_access_key");
    p.session_token = s_str(in, "session_token");
    p.region = s_str(in, "region");
    p.service = s_str(in, "service");
    p.time = (time_t)json_integer_value(json_object_get(in, "time"));
    p.s3 = json_is_true(json_object_get(in, "s3"));
    p.omit_session_token = json_is_true(json_object_get(in, "omit_session_token"));
    r.method = s_str(in, "method");
    r.path = s_str(in, "path");
    r.path_encoded = json_is_true(json_object_get(in, "path_encoded"));
    r.payload_hash = s_str(in, "payload_hash");
    if (s_pairs(json_object_get(in, "query"), &query, &r.n_query) ||
        s_pairs(json_object_get(in, "headers"), &headers, &r.n_headers))
        goto cleanup;
    r.query = query;
    r.headers = headers;

    if (al_sigv4_canonical_request(&p, &r, &creq, NULL) || al_sigv4_sign(&p, &r, &sd))
        goto cleanup;
    json_object_set_new(reply, "authorization", json_string(al_buf_str(&sd.authorization)));
    json_object_set_new(reply, "canonical_request", json_string(al_buf_str(&creq)));
    json_object_set_new(reply, "wire_path", json_string(al_buf_str(&sd.wire_path)));
    json_object_set_new(reply, "wire_query", json_string(al_buf_str(&sd.wire_query)));
    json_object_set_new(reply, "amz_date", json_string(sd.amz_date));
    if (json_is_integer(expires)) {
        json_int_t e = json_integer_value(expires);
        unsigned ue = e > 0 && e <= AL_SIGV4_MAX_EXPIRES ? (unsigned)e : 0;
        if (al_sigv4_presign_canonical_request(&p, &r, ue, &creq, NULL) ||
            al_sigv4_presign(&p, &r, ue, &ppath, &pquery))
            goto cleanup;
        json_object_set_new(reply, "presign_canonical_request", json_string(al_buf_str(&creq)));
        json_object_set_new(reply, "presigned_path", json_string(al_buf_str(&ppath)));
        json_object_set_new(reply, "presigned_query", json_string(al_buf_str(&pquery)));
    }
    rc = 0;
cleanup:
    al_sigv4_signed_clean_up(&sd);
    al_buf_clean_up(&creq);
    al_buf_clean_up(&ppath);
    al_buf_clean_up(&pquery);
    free(query);
    free(headers);
    return rc;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;

    while ((n = getline(&line, &cap, stdin)) >= 0) {
        json_error_t jerr;
        json_t *in, *reply = json_object();
        char *text;
        if (n == 0 || (n == 1 && line[0] == '\n')) {
            json_decref(reply);
            continue;
        }
        in = json_loadb(line, (size_t)n, 0, &jerr);
        if (!in) {
            json_object_set_new(reply, "error", json_sprintf("bad JSON: %s", jerr.text));
        } else {
            json_object_set(
              reply, "id", json_object_get(in, "id") ? json_object_get(in, "id") : json_null());
            al_error_clear();
            if (s_handle(in, reply)) {
                json_object_clear(reply);
                json_object_set(
                  reply, "id", json_object_get(in, "id") ? json_object_get(in, "id") : json_null());
                json_object_set_new(reply, "error", json_string(al_error_last()->msg));
            }
            json_decref(in);
        }
        text = json_dumps(reply, JSON_COMPACT);
        if (!text || printf("%s\n", text) < 0)
            status = 1;
        free(text);
        json_decref(reply);
    }
    free(line);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
