/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

static const struct {
    const char *signing_name;
    const char *env_suffix;
    const char *host_prefix; /* "<prefix>.<region>.<domain>" */
} s_services[AL_SVC_COUNT] = {
    [AL_SVC_S3] = { "s3", "S3", "s3" },
    [AL_SVC_CLOUDFRONT] = { "cloudfront", "CLOUDFRONT", "cloudfront" },
    [AL_SVC_CLOUDFORMATION] = { "cloudformation", "CLOUDFORMATION", "cloudformation" },
    [AL_SVC_STS] = { "sts", "STS", "sts" },
    [AL_SVC_CLOUDWATCH] = { "monitoring", "CLOUDWATCH", "monitoring" },
    [AL_SVC_SSM] = { "ssm", "SSM", "ssm" },
    [AL_SVC_LAMBDA] = { "lambda", "LAMBDA", "lambda" },
};

const char *al_aws_service_signing_name(enum al_aws_service svc)
{
    return (unsigned)svc < AL_SVC_COUNT ? s_services[svc].signing_name : "unknown";
}

const char *al_aws_service_env_suffix(enum al_aws_service svc)
{
    return (unsigned)svc < AL_SVC_COUNT ? s_services[svc].env_suffix : "UNKNOWN";
}

bool al_aws_region_valid(const char *region)
{
    size_t n;
    if (!region)
        return false;
    n = strlen(region);
    if (n < 2 || n > 32 || region[0] == '-' || region[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static bool s_is_loopback(const char *host)
{
    struct in_addr a4;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
        return true;
    if (strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return false;
}

/* Parses and checks an override into out (base, host, path prefix). */
static int s_parse_override(const char *url, const char *what, struct al_endpoint *out)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *part = NULL;
    struct al_buf decoded;
    int rc = -1;
    int n;

    al_buf_init(&decoded, AL_ENDPOINT_PATH_MAX - 1);
    if (!u) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        al_raise(
          AL_ERR_USAGE, "%s: '%.200s' is not a URL (expected https://host[:port])", what, url);
        goto cleanup;
    }
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        al_raise(AL_ERR_USAGE, "%s: scheme '%s' is not allowed (use https://)", what, scheme);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        al_raise(
          AL_ERR_USAGE, "%s: a user, query or fragment is not allowed in an endpoint URL", what);
        goto cleanup;
    }
    if (strcmp(scheme, "http") == 0 && !s_is_loopback(host)) {
        al_raise(AL_ERR_USAGE,
                 "%s: plain http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, "
                 "localhost), not '%.200s'; use https://",
                 what,
                 host);
        goto cleanup;
    }
    /* The Host header carries the port only when it is not the scheme's default. */
    (void)curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
    n = port ? snprintf(out->host, sizeof(out->host), "%s:%s", host, port)
             : snprintf(out->host, sizeof(out->host), "%s", host);
    if (n < 0 || (size_t)n >= sizeof(out->host)) {
        al_raise(AL_ERR_USAGE, "%s: host name too long", what);
        goto cleanup;
    }
    n = snprintf(out->base, sizeof(out->base), "%s://%s", scheme, out->host);
    if (n < 0 || (size_t)n >= sizeof(out->base)) {
        al_raise(AL_ERR_USAGE, "%s: URL too long", what);
        goto cleanup;
    }
    out->path_prefix[0] = '\0';
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path[0] && strcmp(path, "/")) {
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
            len--;
        if (al_uri_decode(&decoded, path, len, false)) {
            al_raise(AL_ERR_USAGE, "%s: malformed path in '%.200s'", what, url);
            goto cleanup;
        }
        memcpy(out->path_prefix, decoded.data, decoded.len + 1);
    }
    out->custom = true;
    rc = 0;
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(part);
    curl_url_cleanup(u);
    al_buf_clean_up(&decoded);
    return rc;
}

int al_endpoint_check_url(const char *url, const char *what)
{
    struct al_endpoint ep;
    return s_parse_override(url, what, &ep);
}

/* Virtual-hosted style needs a DNS label the wildcard certificate covers: no dots. */
static bool s_bucket_virtual_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static int s_copy(char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = strlen(src);
    if (n >= cap)
        return al_raise(AL_ERR_USAGE, "%s too long", what);
    memcpy(dst, src, n + 1);
    return 0;
}

int al_endpoint_resolve(const struct al_endpoint_config *cfg,
                        enum al_aws_service svc,
                        const char *bucket,
                        const char *region_override,
                        struct al_endpoint *out)
{
    const char *region = region_override && *region_override ? region_override : cfg->region;
    const char *override = NULL, *what = NULL;
    const char *domain;
    bool china;
    int n;

    if ((unsigned)svc >= AL_SVC_COUNT)
        return al_raise(AL_ERR_INTERNAL, "unknown AWS service %d", (int)svc);
    memset(out, 0, sizeof(*out));
    out->signing_name = s_services[svc].signing_name;
    if (!region || !*region)
        return al_raise(AL_ERR_USAGE,
                        "aws-region is required (set the aws-region input or "
                        "AWS_REGION)");
    if (!al_aws_region_valid(region))
        return al_raise(AL_ERR_USAGE, "aws-region '%.64s' is not a valid region name", region);
    china = al_str_prefix(region, "cn-");
    domain = china ? "amazonaws.com.cn" : "amazonaws.com";

    if (cfg->endpoint_url && *cfg->endpoint_url) {
        override = cfg->endpoint_url;
        what = "endpoint-url";
    } else if (cfg->env_service_url[svc] && *cfg->env_service_url[svc]) {
        override = cfg->env_service_url[svc];
        what = "AWS_ENDPOINT_URL_<SERVICE>";
    } else if (cfg->env_endpoint_url && *cfg->env_endpoint_url) {
        override = cfg->env_endpoint_url;
        what = "AWS_ENDPOINT_URL";
    }

    /* CloudFront is global and signs in us-east-1 (cn-northwest-1 in China). */
    if (svc == AL_SVC_CLOUDFRONT)
        region = china ? "cn-northwest-1" : "us-east-1";
    else if (svc == AL_SVC_STS && cfg->sts_global && !china && !override)
        region = "us-east-1";
    if (s_copy(out->region, sizeof(out->region), region, "region"))
        return -1;

    if (override) {
        if (s_parse_override(override, what, out))
            return -1;
        out->path_style = svc == AL_SVC_S3;
        return 0;
    }

    if (svc == AL_SVC_CLOUDFRONT && !china)
        n = snprintf(out->host, sizeof(out->host), "cloudfront.amazonaws.com");
    else if (svc == AL_SVC_STS && cfg->sts_global && !china)
        n = snprintf(out->host, sizeof(out->host), "sts.amazonaws.com");
    else if (svc == AL_SVC_S3 && bucket && s_bucket_virtual_ok(bucket))
        n = snprintf(out->host, sizeof(out->host), "%s.s3.%s.%s", bucket, region, domain);
    else
        n = snprintf(
          out->host, sizeof(out->host), "%s.%s.%s", s_services[svc].host_prefix, region, domain);
    if (n < 0 || (size_t)n >= sizeof(out->host))
        return al_raise(AL_ERR_USAGE, "endpoint host name too long");
    out->path_style = svc == AL_SVC_S3 && !(bucket && s_bucket_virtual_ok(bucket));
    n = snprintf(out->base, sizeof(out->base), "https://%s", out->host);
    if (n < 0 || (size_t)n >= sizeof(out->base))
        return al_raise(AL_ERR_USAGE, "endpoint URL too long");
    return 0;
}
