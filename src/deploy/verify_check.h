/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of verification: which URLs a health check may fetch, how
 * a health answer is judged (status, body substring, JSON path=value pairs,
 * the deployed version at a JSON path), and how `alarms` patterns split into
 * names and prefixes. No I/O; deploy/verify.c does the calls.
 *
 * JSON paths are dotted: "status", "build.version", "checks.0.state" (a
 * numeric segment indexes an array). A key that itself holds a '.' cannot be
 * addressed. A value matches when it is a string equal to the expected
 * text, a number equal to it as a number, or true/false/null spelled so.
 */
#ifndef AL_DEPLOY_VERIFY_CHECK_H
#define AL_DEPLOY_VERIFY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/str.h"

/* Redirects one health attempt follows, as browsers and curl -L would (bounded). */
#define AL_HEALTH_MAX_REDIRECTS 5

/** True for 127.0.0.0/8, ::1 and localhost (plain http:// is allowed only there). */
bool al_host_is_loopback(const char *host);

/**
 * Checks a URL the health check may fetch: http or https with a host and no
 * user info; http only to a loopback host. what names the setting in the
 * message ("health-url", "redirect from ..."). Borrows both.
 * @return 0, or -1 (AL_ERR_USAGE naming what, the URL's host and the rule)
 */
int al_health_check_url(const char *url, const char *what);

/**
 * Resolves a redirect's Location against the URL it came from (relative
 * locations allowed). @return a new absolute URL (caller frees) or NULL (raised).
 */
char *al_health_redirect_url(const char *base, const char *location);

/**
 * The URL without its query or fragment, for messages (a query may carry a
 * token). @return a new string (caller frees) or NULL.
 */
char *al_health_url_for_log(const char *url);

/** The value at a dotted path, or NULL. Borrowed from root. */
json_t *al_json_path_get(json_t *root, const char *path);

/** True when v matches the expected text (see the module comment). NULL-safe. */
bool al_json_value_matches(const json_t *v, const char *expected);

/**
 * Checks the health-expect-json items: each "path=value" with a non-empty
 * path. @return 0, or -1 (AL_ERR_USAGE naming the bad item)
 */
int al_health_check_expect_json(const struct al_strv *items);

/** What a health answer must satisfy. Every string borrowed. */
struct al_health_expect {
    long status;                /* health-expect-status */
    const char *body;           /* health-expect-body: a substring; NULL = any */
    const struct al_strv *json; /* health-expect-json: "path=value" items; NULL = none */
    const char *version_path;   /* health-expect-version: JSON path; NULL = none */
    const char *version;        /* the deployed version it must equal */
};

/**
 * Judges one answer. Borrows everything. On a mismatch writes one line
 * saying what differed into why (e.g. "HTTP 500, expected 200", "version is
 * \"v1\", expected \"v2\"").
 * @return true when every expectation holds
 */
bool al_health_evaluate(const struct al_health_expect *e,
                        long status,
                        const char *body,
                        size_t body_len,
                        char *why,
                        size_t why_cap);

/**
 * Splits `alarms` items into exact names and prefixes ("api-*" -> "api-").
 * A '*' anywhere but at the end, or a lone "*", raises AL_ERR_USAGE.
 * Appends to names and prefixes (caller storage). @return 0 or -1.
 */
int al_alarm_patterns_split(const struct al_strv *patterns,
                            struct al_strv *names,
                            struct al_strv *prefixes);

#endif
