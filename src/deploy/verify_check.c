/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/verify_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/err.h"

/* Health bodies are judged whole; a JSON health document is small. */
#define HEALTH_JSON_MAX ((size_t)1 << 20)

bool al_host_is_loopback(const char *host)
{
    struct in_addr a4;
    if (!host)
        return false;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
        return true;
    if (strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return false;
}

int al_health_check_url(const char *url, const char *what)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    int rc = -1;

    if (!u)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        al_raise(AL_ERR_USAGE, "%s: '%.200s' is not a URL (expected https://host/path)", what, url);
        goto cleanup;
    }
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        al_raise(AL_ERR_USAGE, "%s: scheme '%.20s' is not allowed (use https://)", what, scheme);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        al_raise(AL_ERR_USAGE, "%s: user information in the URL is not allowed", what);
        goto cleanup;
    }
    if (strcmp(scheme, "http") == 0 && !al_host_is_loopback(host)) {
        al_raise(AL_ERR_USAGE,
                 "%s: plain http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, "
                 "localhost), not '%.200s'; use https:// (certificates are always verified)",
                 what,
                 host);
        goto cleanup;
    }
    rc = 0;
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return rc;
}

char *al_health_redirect_url(const char *base, const char *location)
{
    CURLU *u = curl_url();
    char *abs = NULL, *out = NULL;
    if (!u) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* A handle that holds a URL resolves a relative one against it. */
    if (curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, location, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK)
        al_raise(AL_ERR_DEPLOY, "health check: unusable redirect Location '%.200s'", location);
    else
        out = al_strdup(abs);
    curl_free(abs);
    curl_url_cleanup(u);
    return out;
}

char *al_health_url_for_log(const char *url)
{
    CURLU *u = curl_url();
    char *s = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = al_strdup(s);
    else
        out = al_strdup("(unparsable URL)");
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

static bool s_all_digits(const char *s, size_t n)
{
    if (!n || n > 9)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

json_t *al_json_path_get(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path;
    if (!path || !*path)
        return NULL;
    while (v) {
        size_t n = strcspn(p, ".");
        char seg[256];
        if (!n || n >= sizeof(seg))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (json_is_object(v))
            v = json_object_get(v, seg);
        else if (json_is_array(v) && s_all_digits(seg, n))
            v = json_array_get(v, (size_t)strtoul(seg, NULL, 10));
        else
            return NULL;
        if (!p[n])
            return v;
        p += n + 1;
    }
    return NULL;
}

static bool s_number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    *out = strtod(s, &end);
    return !*end && errno == 0;
}

bool al_json_value_matches(const json_t *v, const char *expected)
{
    double d;
    if (!v || !expected)
        return false;
    switch (json_typeof(v)) {
        case JSON_STRING:
            return strcmp(json_string_value(v), expected) == 0;
        case JSON_INTEGER:
        case JSON_REAL:
            return s_number(expected, &d) && d == json_number_value(v);
        case JSON_TRUE:
            return strcmp(expected, "true") == 0;
        case JSON_FALSE:
            return strcmp(expected, "false") == 0;
        case JSON_NULL:
            return strcmp(expected, "null") == 0;
        default:
            return false;
    }
}

int al_health_check_expect_json(const struct al_strv *items)
{
    for (size_t i = 0; items && i < items->len; i++) {
        const char *eq = strchr(items->items[i], '=');
        if (!eq || eq == items->items[i])
            return al_raise(AL_ERR_USAGE,
                            "health-expect-json: '%.200s' is not a path=value pair (e.g. "
                            "status=ok or build.version=v2)",
                            items->items[i]);
    }
    return 0;
}

/* A short JSON rendering of v for messages ("\"v1\"", "3", "{...}"). */
static void s_render(const json_t *v, char *out, size_t cap)
{
    char *t = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(out, cap, "%s", t ? t : "(missing)");
    if (t && strlen(t) >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
    free(t);
}

static bool s_check_path(json_t *doc,
                         const char *path,
                         const char *expected,
                         const char *label,
                         char *why,
                         size_t cap)
{
    json_t *v = al_json_path_get(doc, path);
    char got[128];
    if (al_json_value_matches(v, expected))
        return true;
    s_render(v, got, sizeof(got));
    if (!v)
        snprintf(
          why, cap, "%s%s\"%.100s\" is missing from the JSON body", label, *label ? " " : "", path);
    else
        snprintf(why,
                 cap,
                 "%s%s\"%.100s\" is %s, expected \"%.100s\"",
                 label,
                 *label ? " " : "",
                 path,
                 got,
                 expected);
    return false;
}

bool al_health_evaluate(const struct al_health_expect *e,
                        long status,
                        const char *body,
                        size_t body_len,
                        char *why,
                        size_t why_cap)
{
    json_t *doc = NULL;
    json_error_t jerr;
    bool ok = false;

    why[0] = '\0';
    if (status != e->status) {
        snprintf(why, why_cap, "HTTP %ld, expected %ld", status, e->status);
        goto done;
    }
    if (e->body && *e->body && !memmem(body, body_len, e->body, strlen(e->body))) {
        snprintf(why, why_cap, "the body does not contain \"%.100s\"", e->body);
        goto done;
    }
    if ((e->json && e->json->len) || e->version_path) {
        if (body_len > HEALTH_JSON_MAX) {
            snprintf(why, why_cap, "the body is over %zu bytes; not read as JSON", HEALTH_JSON_MAX);
            goto done;
        }
        if (!(doc = json_loadb(body, body_len, JSON_DECODE_ANY, &jerr))) {
            snprintf(why, why_cap, "the body is not JSON (%.100s)", jerr.text);
            goto done;
        }
        for (size_t i = 0; e->json && i < e->json->len; i++) {
            const char *item = e->json->items[i], *eq = strchr(item, '=');
            char path[256];
            size_t n = eq ? (size_t)(eq - item) : 0;
            if (!n || n >= sizeof(path)) {
                snprintf(why, why_cap, "bad health-expect-json item '%.100s'", item);
                goto done;
            }
            memcpy(path, item, n);
            path[n] = '\0';
            if (!s_check_path(doc, path, eq + 1, "", why, why_cap))
                goto done;
        }
        if (e->version_path &&
            !s_check_path(
              doc, e->version_path, e->version ? e->version : "", "version at", why, why_cap))
            goto done;
    }
    ok = true;
done:
    json_decref(doc);
    return ok;
}

int al_alarm_patterns_split(const struct al_strv *patterns,
                            struct al_strv *names,
                            struct al_strv *prefixes)
{
    for (size_t i = 0; patterns && i < patterns->len; i++) {
        const char *p = patterns->items[i];
        const char *star = strchr(p, '*');
        size_t n = strlen(p);
        if (!star) {
            if (!al_strv_contains(names, p) && al_strv_push(names, p))
                return -1;
            continue;
        }
        if (star != p + n - 1 || n == 1)
            return al_raise(AL_ERR_USAGE,
                            "alarms: '%.200s' is not an alarm name or a prefix* pattern ('*' "
                            "may only end a non-empty prefix, e.g. api-*)",
                            p);
        {
            char *prefix = al_strndup(p, n - 1);
            if (!prefix)
                return -1;
            if (al_strv_contains(prefixes, prefix)) {
                free(prefix);
                continue;
            }
            if (al_strv_push_owned(prefixes, prefix))
                return -1;
        }
    }
    return 0;
}
