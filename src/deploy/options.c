/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define D AL_CMD_DEPLOY
#define R AL_CMD_ROLLBACK
#define P AL_CMD_PLAN
#define L AL_CMD_RELEASES
#define MiB (1024ull * 1024ull)

/* clang-format off */
static const struct al_opt_def s_defs[AL_OPT_COUNT] = {
    [AL_OPT_COMMAND] = {"command", "what", AL_OT_ENUM, "deploy", "deploy|rollback|plan|releases", 0, 0, AL_CMD_ALL, false, false,
        "What to do: deploy, rollback, plan (change sets and sync plan, nothing applied) or releases (list recorded releases)."},
    [AL_OPT_VERSION] = {"version", "what", AL_OT_STRING, NULL, NULL, 0, 0, D | R | P, false, false,
        "Release version to deploy or to roll back to (a tag or commit SHA). Default: GITHUB_SHA in Actions; required outside it."},
    [AL_OPT_CONFIRMATION] = {"confirmation", "what", AL_OT_STRING, NULL, NULL, 0, 0, R, false, false,
        "Must be exactly 'rollback' for command rollback."},
    [AL_OPT_CONFIG] = {"config", "what", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "Path to a JSON or YAML config file; its 'deploy' section sets any of these inputs (inputs win)."},
    [AL_OPT_ENVIRONMENT] = {"environment", "what", AL_OT_STRING, "production", NULL, 0, 0, AL_CMD_ALL, false, false,
        "Environment name; selects the release store folder and the lock."},
    [AL_OPT_DRY_RUN] = {"dry-run", "what", AL_OT_BOOL, "false", NULL, 0, 0, D | R | P, false, false,
        "Plan only: print what would change and make no mutating call."},
    [AL_OPT_AWS_REGION] = {"aws-region", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "AWS region. Default: the config's region, then AWS_REGION / AWS_DEFAULT_REGION."},
    [AL_OPT_ROLE_TO_ASSUME] = {"role-to-assume", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "IAM role ARN to assume: through GitHub OIDC when the job has id-token: write, else chained from key credentials."},
    [AL_OPT_ROLE_SESSION_NAME] = {"role-session-name", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "Role session name, seen in CloudTrail. Default: airlock-<run id>."},
    [AL_OPT_AUDIENCE] = {"audience", "identity", AL_OT_STRING, "sts.amazonaws.com", NULL, 0, 0, AL_CMD_ALL, false, false,
        "Audience of the GitHub OIDC token."},
    [AL_OPT_AWS_ACCESS_KEY_ID] = {"aws-access-key-id", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, true, false,
        "AWS access key id (prefer OIDC). Default: AWS_ACCESS_KEY_ID."},
    [AL_OPT_AWS_SECRET_ACCESS_KEY] = {"aws-secret-access-key", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, true, false,
        "AWS secret access key. Default: AWS_SECRET_ACCESS_KEY."},
    [AL_OPT_AWS_SESSION_TOKEN] = {"aws-session-token", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, true, false,
        "AWS session token for temporary keys. Default: AWS_SESSION_TOKEN."},
    [AL_OPT_ENDPOINT_URL] = {"endpoint-url", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "One endpoint for every AWS service (a local stand-in); http:// only for loopback. Default: AWS_ENDPOINT_URL."},
    [AL_OPT_MAX_ATTEMPTS] = {"max-attempts", "identity", AL_OT_UINT, "3", NULL, 1, 10, AL_CMD_ALL, false, false,
        "Attempts per AWS call, first included (standard retry mode)."},
    [AL_OPT_ACCOUNT_ID] = {"account-id", "identity", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, true,
        "Expected AWS account id (config key accountId); a different account stops the run."},
    [AL_OPT_ASSEMBLY] = {"assembly", "stacks", AL_OT_STRING, NULL, NULL, 0, 0, D | P, false, false,
        "Path to the CDK cloud assembly folder written by cdk synth (cdk.out)."},
    [AL_OPT_STACKS] = {"stacks", "stacks", AL_OT_LIST, NULL, NULL, 0, 0, D | P, false, false,
        "Stacks to deploy, as names or globs (comma- or newline-separated). Default: all."},
    [AL_OPT_EXCLUSIVELY] = {"exclusively", "stacks", AL_OT_BOOL, "false", NULL, 0, 0, D | P, false, false,
        "Deploy only the selected stacks, not their dependencies."},
    [AL_OPT_SITE_DIR] = {"site-dir", "site", AL_OT_STRING, NULL, NULL, 0, 0, D | P, false, false,
        "Folder of the built site to sync to the bucket."},
    [AL_OPT_BUCKET] = {"bucket", "site", AL_OT_STRING, NULL, NULL, 0, 0, D | R | P, false, false,
        "Site bucket; may name a stack output: ${stack:Stack.Output}."},
    [AL_OPT_PREFIX] = {"prefix", "site", AL_OT_STRING, NULL, NULL, 0, 0, D | R | P, false, false,
        "Key prefix in the bucket. Default: the bucket root."},
    [AL_OPT_EXCLUDE] = {"exclude", "site", AL_OT_LIST, NULL, NULL, 0, 0, D | P, false, false,
        "Globs of site files not to upload (comma- or newline-separated)."},
    [AL_OPT_CACHE_CONTROL] = {"cache-control", "site", AL_OT_LINES, NULL, NULL, 0, 0, D | P, false, false,
        "Cache-Control rules, one 'glob=value' per line, first match wins. Default: HTML and manifests no-cache, fingerprinted files immutable, others max-age=300."},
    [AL_OPT_MAX_CONCURRENCY] = {"max-concurrency", "site", AL_OT_UINT, "32", NULL, 1, 256, AL_CMD_ALL, false, false,
        "Requests in flight at once."},
    [AL_OPT_MULTIPART_THRESHOLD] = {"multipart-threshold", "site", AL_OT_SIZE, "64MiB", NULL, 5 * MiB, 5120 * MiB, D | P, false, false,
        "Files at or above this size upload in parallel parts (bytes, or with KiB/MiB/GiB)."},
    [AL_OPT_DISTRIBUTION_ID] = {"distribution-id", "cdn", AL_OT_STRING, NULL, NULL, 0, 0, D | R | P, false, false,
        "CloudFront distribution to invalidate; may name a stack output."},
    [AL_OPT_INVALIDATE] = {"invalidate", "cdn", AL_OT_ENUM, "auto", "auto|all|none", 0, 0, D | R | P, false, false,
        "auto: the changed paths; all: /*; none: no invalidation."},
    [AL_OPT_INVALIDATION_MAX_PATHS] = {"invalidation-max-paths", "cdn", AL_OT_UINT, "500", NULL, 1, 3000, D | R | P, false, false,
        "Above this many changed paths, invalidate /* instead."},
    [AL_OPT_WAIT_FOR_INVALIDATION] = {"wait-for-invalidation", "cdn", AL_OT_BOOL, "false", NULL, 0, 0, D | R, false, false,
        "Wait until the invalidation is Completed before verifying."},
    [AL_OPT_INVALIDATION_TIMEOUT] = {"invalidation-timeout", "cdn", AL_OT_UINT, "600", NULL, 1, 3600, D | R, false, false,
        "Seconds to wait for the invalidation."},
    [AL_OPT_HEALTH_URL] = {"health-url", "verify", AL_OT_STRING, NULL, NULL, 0, 0, D | R, false, false,
        "URL to check after the deploy; may name a stack output."},
    [AL_OPT_HEALTH_EXPECT_STATUS] = {"health-expect-status", "verify", AL_OT_UINT, "200", NULL, 100, 599, D | R, false, false,
        "Expected HTTP status of the health check."},
    [AL_OPT_HEALTH_EXPECT_BODY] = {"health-expect-body", "verify", AL_OT_STRING, NULL, NULL, 0, 0, D | R, false, false,
        "Text the health response body must contain."},
    [AL_OPT_HEALTH_EXPECT_JSON] = {"health-expect-json", "verify", AL_OT_LIST, NULL, NULL, 0, 0, D | R, false, false,
        "path=value pairs the JSON health response must match (e.g. status=ok)."},
    [AL_OPT_HEALTH_EXPECT_VERSION] = {"health-expect-version", "verify", AL_OT_STRING, NULL, NULL, 0, 0, D | R, false, false,
        "JSON path in the health response whose value must equal the deployed version."},
    [AL_OPT_HEALTH_ATTEMPTS] = {"health-attempts", "verify", AL_OT_UINT, "10", NULL, 1, 100, D | R, false, false,
        "Health check attempts before the release counts as unhealthy."},
    [AL_OPT_HEALTH_INTERVAL] = {"health-interval", "verify", AL_OT_UINT, "6", NULL, 0, 600, D | R, false, false,
        "Seconds between health check attempts."},
    [AL_OPT_ALARMS] = {"alarms", "verify", AL_OT_LIST, NULL, NULL, 0, 0, D | R, false, false,
        "CloudWatch alarm names or prefix* patterns to check before and watch after the deploy."},
    [AL_OPT_ALARM_WATCH_SECONDS] = {"alarm-watch-seconds", "verify", AL_OT_UINT, "0", NULL, 0, 3600, D | R, false, false,
        "Seconds to watch the alarms after the deploy."},
    [AL_OPT_IGNORE_EXISTING_ALARMS] = {"ignore-existing-alarms", "verify", AL_OT_BOOL, "false", NULL, 0, 0, D | R, false, false,
        "Deploy even when a watched alarm is already in ALARM."},
    [AL_OPT_RELEASE_STORE] = {"release-store", "release", AL_OT_STRING, NULL, NULL, 0, 0, AL_CMD_ALL, false, false,
        "s3://bucket/prefix for release records. Default: the CDK bootstrap bucket under airlock/<environment>/."},
    [AL_OPT_KEEP_RELEASES] = {"keep-releases", "release", AL_OT_UINT, "20", NULL, 1, 1000, D, false, false,
        "Releases kept in the store; older ones are pruned."},
    [AL_OPT_AUTO_ROLLBACK] = {"auto-rollback", "release", AL_OT_BOOL, "true", NULL, 0, 0, D, false, false,
        "Restore the previous release when verification fails."},
    [AL_OPT_LOCK_TTL] = {"lock-ttl", "release", AL_OT_UINT, "1800", NULL, 60, 86400, D | R, false, false,
        "Seconds after which a held deploy lock counts as stale."},
    [AL_OPT_SLACK_WEBHOOK_URL] = {"slack-webhook-url", "notify", AL_OT_STRING, NULL, NULL, 0, 0, D | R, true, false,
        "Slack incoming webhook URL (a secret)."},
    [AL_OPT_NOTIFY_REQUIRED] = {"notify-required", "notify", AL_OT_BOOL, "false", NULL, 0, 0, D | R, false, false,
        "Fail the run when the Slack notification fails (else a warning)."},
};
/* clang-format on */

const struct al_opt_def *al_opt_defs(void)
{
    return s_defs;
}

int al_opt_find(const char *name)
{
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (strcmp(s_defs[i].name, name) == 0)
            return i;
    return -1;
}

unsigned al_opt_command_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } cmds[] = { { "deploy", AL_CMD_DEPLOY },
                 { "rollback", AL_CMD_ROLLBACK },
                 { "plan", AL_CMD_PLAN },
                 { "releases", AL_CMD_RELEASES } };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (name && strcmp(cmds[i].name, name) == 0)
            return cmds[i].bit;
    return 0;
}

void al_opt_layer_init(struct al_opt_layer *l, enum al_opt_source source)
{
    memset(l, 0, sizeof(*l));
    l->source = source;
}

void al_opt_layer_clean_up(struct al_opt_layer *l)
{
    if (!l)
        return;
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        free(l->val[i]);
        free(l->where[i]);
        l->val[i] = NULL;
        l->where[i] = NULL;
    }
}

int al_opt_layer_set(struct al_opt_layer *l,
                     enum al_opt_id id,
                     const char *value,
                     const char *where)
{
    if (al_str_set(&l->val[id], value) || al_str_set(&l->where[id], where))
        return -1;
    return 0;
}

void al_opts_init(struct al_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < AL_OPT_COUNT; i++)
        al_strv_init(&o->list[i]);
}

void al_opts_clean_up(struct al_opts *o)
{
    if (!o)
        return;
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        free(o->val[i]);
        free(o->where[i]);
        al_strv_clean_up(&o->list[i]);
    }
    al_opts_init(o);
}

static int s_set(struct al_opts *o,
                 int id,
                 const char *value,
                 enum al_opt_source src,
                 const char *where)
{
    if (al_str_set(&o->val[id], value) || al_str_set(&o->where[id], where))
        return -1;
    o->src[id] = src;
    return 0;
}

int al_opts_merge(struct al_opts *o, const struct al_opt_layer *l)
{
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (l->val[i] && *l->val[i] && s_set(o, i, l->val[i], l->source, l->where[i]))
            return -1;
    return 0;
}

int al_opts_apply_defaults(struct al_opts *o)
{
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (!o->val[i] && s_defs[i].deflt &&
            s_set(o, i, s_defs[i].deflt, AL_SRC_DEFAULT, "default"))
            return -1;
    return 0;
}

int al_opt_parse_bool(const char *s, bool *out)
{
    static const char *const t[] = { "true", "True", "TRUE" };
    static const char *const f[] = { "false", "False", "FALSE" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int s_parse_uint(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int s_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mul;
    } units[] = { { "", 1 },    { "B", 1 },     { "K", 1024 },       { "KiB", 1024 },
                  { "M", MiB }, { "MiB", MiB }, { "G", 1024 * MiB }, { "GiB", 1024 * MiB } };
    char *end;
    unsigned long long v;
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > UINT64_MAX / units[i].mul)
                return -1;
            *out = v * units[i].mul;
            return 0;
        }
    }
    return -1;
}

static bool s_enum_has(const char *values, const char *s)
{
    size_t n = strlen(s);
    const char *p = values;
    while (*p) {
        size_t m = strcspn(p, "|");
        if (m == n && strncmp(p, s, n) == 0)
            return true;
        p += m;
        if (*p)
            p++;
    }
    return false;
}

/* The value as shown in an error message: never a secret, never unbounded. */
static const char *s_shown(const struct al_opt_def *d, const char *v)
{
    return d->secret ? "(secret, not shown)" : v;
}

static int s_bad(const struct al_opts *o, int id, const char *allowed)
{
    const struct al_opt_def *d = &s_defs[id];
    return al_raise(AL_ERR_USAGE,
                    "%s: invalid value '%.200s' for '%s'; allowed: %s",
                    o->where[id] ? o->where[id] : d->name,
                    s_shown(d, o->val[id]),
                    d->name,
                    allowed);
}

static bool s_digits(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* The shape of values that would otherwise only fail at AWS, after the run began. */
static int s_check_shape(const struct al_opts *o, int id)
{
    const char *v = o->val[id];
    if (id == AL_OPT_ACCOUNT_ID && !s_digits(v, 12))
        return s_bad(o, id, "a 12-digit AWS account id (accountId in the config)");
    if (id == AL_OPT_ROLE_TO_ASSUME && *v && !strstr(v, "${")) {
        /* arn:<partition>:iam::<account>:role/<path/>name */
        const char *p = strncmp(v, "arn:", 4) == 0 ? strchr(v + 4, ':') : NULL;
        bool ok = p && strncmp(p, ":iam::", 6) == 0 && strspn(p + 6, "0123456789") == 12 &&
                  strncmp(p + 18, ":role/", 6) == 0 && p[24];
        if (!ok)
            return s_bad(o, id, "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>");
    }
    return 0;
}

int al_opts_validate(struct al_opts *o)
{
    char allowed[256];
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        const struct al_opt_def *d = &s_defs[i];
        const char *v = o->val[i];
        bool b;
        if (!v)
            continue;
        switch (d->type) {
            case AL_OT_BOOL:
                if (al_opt_parse_bool(v, &b))
                    return s_bad(o, i, "true | True | TRUE | false | False | FALSE");
                o->num[i] = b;
                break;
            case AL_OT_UINT:
                if (s_parse_uint(v, &o->num[i]) || o->num[i] < d->min || o->num[i] > d->max) {
                    snprintf(allowed,
                             sizeof(allowed),
                             "a whole number from %llu to %llu",
                             (unsigned long long)d->min,
                             (unsigned long long)d->max);
                    return s_bad(o, i, allowed);
                }
                break;
            case AL_OT_SIZE:
                if (s_parse_size(v, &o->num[i]) || o->num[i] < d->min || o->num[i] > d->max) {
                    snprintf(
                      allowed,
                      sizeof(allowed),
                      "a size in bytes (suffix KiB, MiB or GiB allowed) from %llu MiB to %llu "
                      "MiB",
                      (unsigned long long)(d->min / MiB),
                      (unsigned long long)(d->max / MiB));
                    return s_bad(o, i, allowed);
                }
                break;
            case AL_OT_ENUM:
                if (!s_enum_has(d->values, v)) {
                    snprintf(allowed, sizeof(allowed), "%s", d->values);
                    return s_bad(o, i, allowed);
                }
                break;
            case AL_OT_LIST:
                al_strv_clean_up(&o->list[i]);
                if (al_strv_split_list(&o->list[i], v))
                    return -1;
                break;
            case AL_OT_STRING:
            case AL_OT_LINES:
                break;
        }
        if (!al_utf8_valid(v, strlen(v)))
            return s_bad(o, i, "UTF-8 text");
        if (s_check_shape(o, i))
            return -1;
    }
    return 0;
}

const char *al_opts_get(const struct al_opts *o, enum al_opt_id id)
{
    return o->val[id];
}

bool al_opts_bool(const struct al_opts *o, enum al_opt_id id)
{
    return o->val[id] && o->num[id];
}

uint64_t al_opts_uint(const struct al_opts *o, enum al_opt_id id)
{
    return o->val[id] ? o->num[id] : 0;
}

const struct al_strv *al_opts_list(const struct al_opts *o, enum al_opt_id id)
{
    return &o->list[id];
}
