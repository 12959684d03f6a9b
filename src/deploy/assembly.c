/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/assembly.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/cache_rules.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define AL_ASM_CTX_MAX 768
/* How many names a refusal lists before "and N more". */
#define AL_ASM_LIST_NAMES 8

enum s_kind { S_OTHER, S_STACK, S_ASSETS };

/* One artifact of any (nested) manifest while loading. */
struct s_art {
    char *id;
    size_t scope; /* which manifest; dependencies resolve within it */
    enum s_kind kind;
    size_t index; /* into the stacks, or into s_load.manifests */
};

/* One asset-manifest artifact: its assets and why its stacks cannot deploy. */
struct s_asset_manifest {
    size_t first, count; /* range of al_assembly.assets */
    char *unsupported;
};

struct s_load {
    struct al_assembly *a;
    char root[PATH_MAX]; /* realpath of the top-level assembly */
    size_t n_scopes;
    struct s_art *arts;
    size_t n_arts, cap_arts;
    struct s_asset_manifest *manifests;
    size_t n_manifests, cap_manifests;
    size_t *stack_scope; /* parallel to a->stacks while loading */
    size_t cap_stacks, cap_assets;
};

/* Formats a message context; a long one is cut, which is fine for a message. */
static void s_ctx(char *dst, size_t n, const char *fmt, ...) AL_PRINTF(3, 4);
static void s_ctx(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* --- small helpers --- */

static const char *s_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
        case JSON_OBJECT:
            return "an object";
        case JSON_ARRAY:
            return "an array";
        case JSON_STRING:
            return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
            return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
            return "a boolean";
        default:
            return "null";
    }
}

/* A string value airlock will use: bounded, without NUL bytes. */
static int s_check_str(const json_t *v, const char *ctx, const char *field)
{
    size_t n = json_string_length(v);
    if (n > AL_ASM_MAX_FIELD)
        return al_raise(AL_ERR_USAGE,
                        "%s: '%s' is %zu bytes, over the %u-byte limit; the assembly is not "
                        "one cdk synth wrote",
                        ctx,
                        field,
                        n,
                        AL_ASM_MAX_FIELD);
    if (memchr(json_string_value(v), '\0', n))
        return al_raise(AL_ERR_USAGE, "%s: '%s' contains a NUL byte", ctx, field);
    return 0;
}

/* Optional (or required) string member; absent leaves *out NULL. */
static int s_get_str(const json_t *obj, const char *key, bool required, const char *ctx, char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || (json_is_null(v) && !required)) {
        if (required)
            return al_raise(
              AL_ERR_USAGE, "%s: the required field '%s' is missing; re-run cdk synth", ctx, key);
        return 0;
    }
    if (!json_is_string(v))
        return al_raise(
          AL_ERR_USAGE, "%s: '%s' must be a string, not %s", ctx, key, s_type_name(v));
    if (s_check_str(v, ctx, key))
        return -1;
    *out = al_strndup(json_string_value(v), json_string_length(v));
    return *out ? 0 : -1;
}

static int s_get_bool(const json_t *obj, const char *key, const char *ctx, bool *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return al_raise(
          AL_ERR_USAGE, "%s: '%s' must be a boolean, not %s", ctx, key, s_type_name(v));
    *out = json_is_true(v);
    return 0;
}

static int s_get_version(const json_t *obj, const char *key, const char *ctx, int *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX)
        return al_raise(AL_ERR_USAGE, "%s: '%s' must be a non-negative integer", ctx, key);
    *out = (int)json_integer_value(v);
    return 0;
}

/* An optional array of strings, appended to out. */
static int s_get_strv(const json_t *obj, const char *key, const char *ctx, struct al_strv *out)
{
    const json_t *v = json_object_get(obj, key), *item;
    size_t i;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return al_raise(
          AL_ERR_USAGE, "%s: '%s' must be an array of strings, not %s", ctx, key, s_type_name(v));
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return al_raise(AL_ERR_USAGE,
                            "%s: '%s'[%zu] must be a string, not %s",
                            ctx,
                            key,
                            i,
                            s_type_name(item));
        if (s_check_str(item, ctx, key) || al_strv_push(out, json_string_value(item)))
            return -1;
    }
    return 0;
}

/* An optional object whose values are all strings; *out is a new object, never NULL. */
static int s_get_str_map(const json_t *obj, const char *key, const char *ctx, json_t **out)
{
    const json_t *v = json_object_get(obj, key), *val;
    const char *k;
    *out = NULL;
    if (v && !json_is_null(v)) {
        if (!json_is_object(v))
            return al_raise(AL_ERR_USAGE,
                            "%s: '%s' must be an object of strings, not %s",
                            ctx,
                            key,
                            s_type_name(v));
        json_object_foreach((json_t *)v, k, val)
        {
            if (!json_is_string(val))
                return al_raise(AL_ERR_USAGE,
                                "%s: '%s.%.200s' must be a string, not %s",
                                ctx,
                                key,
                                k,
                                s_type_name(val));
            if (s_check_str(val, ctx, key))
                return -1;
        }
        *out = json_deep_copy(v);
    } else {
        *out = json_object();
    }
    if (!*out)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    return 0;
}

/* Reads and parses a JSON file of the assembly: a refusal (exit 2) when it is
 * absent, too big or malformed, since the assembly is the user's input. */
static json_t *s_read_json(const char *path, size_t max, const char *what)
{
    size_t len = 0;
    char *text = al_file_read(path, max, &len);
    json_t *root;
    if (!text) {
        al_raise_context("cannot read the %s", what);
        al_error_mut()->code = AL_ERR_USAGE;
        return NULL;
    }
    root = al_json_parse(text, len, path, AL_ERR_USAGE);
    free(text);
    if (root && !json_is_object(root)) {
        al_raise(AL_ERR_USAGE, "%s: the %s must be a JSON object", path, what);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* True when real is the assembly directory or inside it. */
static bool s_inside(const struct s_load *ld, const char *real)
{
    size_t n = strlen(ld->root);
    return strncmp(real, ld->root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/*
 * Resolves rel against base (a real directory) to a new real path that must
 * exist. Relative paths must stay inside the assembly; absolute ones only
 * when allow_abs (asset sources of an app synthesized without asset staging).
 */
static char *s_resolve_path(const struct s_load *ld,
                            const char *base,
                            const char *rel,
                            bool allow_abs,
                            const char *ctx,
                            const char *field)
{
    struct al_buf joined;
    char real[PATH_MAX];
    char *out = NULL;

    al_buf_init(&joined, PATH_MAX);
    if (!*rel) {
        al_raise(AL_ERR_USAGE, "%s: '%s' is empty", ctx, field);
        goto cleanup;
    }
    if (rel[0] == '/' && !allow_abs) {
        al_raise(AL_ERR_USAGE,
                 "%s: '%s' is an absolute path (%.200s); cdk synth writes paths relative to "
                 "the assembly",
                 ctx,
                 field,
                 rel);
        goto cleanup;
    }
    if (rel[0] == '/' ? al_buf_puts(&joined, rel) : al_buf_printf(&joined, "%s/%s", base, rel))
        goto cleanup;
    if (!realpath(joined.data, real)) {
        al_raise(AL_ERR_USAGE,
                 "%s: '%s' names %.300s, which cannot be read (%s); was the whole cdk.out "
                 "directory kept after cdk synth?",
                 ctx,
                 field,
                 joined.data,
                 strerror(errno));
        goto cleanup;
    }
    if (rel[0] != '/' && !s_inside(ld, real)) {
        al_raise(AL_ERR_USAGE,
                 "%s: '%s' (%.200s) leads outside the assembly directory %.200s; airlock "
                 "reads nothing outside it",
                 ctx,
                 field,
                 rel,
                 ld->root);
        goto cleanup;
    }
    out = al_strdup(real);
cleanup:
    al_buf_clean_up(&joined);
    return out;
}

static int s_require_type(const char *path, bool dir, const char *ctx, const char *field)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return al_raise(AL_ERR_USAGE, "%s: cannot read %s: %s", ctx, path, strerror(errno));
    if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return al_raise(AL_ERR_USAGE,
                        "%s: '%s' (%.300s) must be a %s",
                        ctx,
                        field,
                        path,
                        dir ? "directory" : "regular file");
    return 0;
}

/* "1.2.3" with an optional "-pre" or "+build" tail, as the schema's semver. */
static bool s_is_semver(const char *s)
{
    for (int part = 0; part < 3; part++) {
        size_t n = 0;
        while (s[n] >= '0' && s[n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return false;
        s += n;
        if (part < 2) {
            if (*s != '.')
                return false;
            s++;
        }
    }
    return *s == '\0' || *s == '-' || *s == '+';
}

/* CloudFormation: [A-Za-z][-A-Za-z0-9]{0,127}. */
static bool s_valid_stack_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static bool s_valid_account(const char *s, size_t n)
{
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool s_valid_region(const char *s, size_t n)
{
    if (n == 0 || n > 32 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* S3 bucket names, legacy ones included: they end up in request URLs. */
static bool s_valid_bucket(const char *s, size_t n)
{
    if (n < 3 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* --- environment "aws://ACCOUNT/REGION" --- */

static int s_parse_env(struct al_asm_stack *st, const char *env, const char *ctx)
{
    static const char scheme[] = "aws://";
    const char *acc, *slash, *reg;
    size_t acc_n, reg_n;

    if (!al_str_prefix(env, scheme) || !(slash = strchr(env + strlen(scheme), '/')))
        return al_raise(
          AL_ERR_USAGE, "%s: environment '%.200s' is not aws://ACCOUNT/REGION", ctx, env);
    acc = env + strlen(scheme);
    acc_n = (size_t)(slash - acc);
    reg = slash + 1;
    reg_n = strlen(reg);
    if (acc_n == strlen("unknown-account") && strncmp(acc, "unknown-account", acc_n) == 0) {
        st->env_agnostic = true;
    } else if (!s_valid_account(acc, acc_n)) {
        return al_raise(AL_ERR_USAGE,
                        "%s: environment '%.200s' has no 12-digit account (nor unknown-account)",
                        ctx,
                        env);
    } else if (!(st->account = al_strndup(acc, acc_n))) {
        return -1;
    }
    if (strcmp(reg, "unknown-region") == 0) {
        st->env_agnostic = true;
    } else if (!s_valid_region(reg, reg_n)) {
        return al_raise(AL_ERR_USAGE,
                        "%s: environment '%.200s' has no valid region (nor unknown-region)",
                        ctx,
                        env);
    } else if (!(st->region = al_strndup(reg, reg_n))) {
        return -1;
    }
    return 0;
}

/* --- growth --- */

static int s_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *np;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    if (!(np = realloc(*p, ncap * elem)))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
    *p = np;
    *cap = ncap;
    return 0;
}

static int s_add_art(struct s_load *ld,
                     const char *id,
                     size_t scope,
                     enum s_kind kind,
                     size_t index)
{
    struct s_art *art;
    if (ld->n_arts >= AL_ASM_MAX_ARTIFACTS)
        return al_raise(AL_ERR_USAGE,
                        "the assembly holds more than %u artifacts, the limit",
                        AL_ASM_MAX_ARTIFACTS);
    if (s_grow((void **)&ld->arts, &ld->cap_arts, ld->n_arts + 1, sizeof(*ld->arts)))
        return -1;
    art = &ld->arts[ld->n_arts];
    if (!(art->id = al_strdup(id)))
        return -1;
    art->scope = scope;
    art->kind = kind;
    art->index = index;
    ld->n_arts++;
    return 0;
}

/* --- metadata: legacy assets and stack tags --- */

/*
 * One metadata object ({construct path: [entries]}). Legacy `aws:cdk:asset`
 * entries (CDK v1, LegacyStackSynthesizer) need CloudFormation parameters
 * that only the CDK CLI fills in, so the stack is marked unsupported.
 * `aws:cdk:stack-tags` at the stack's own path are its tags when the
 * properties carry none (older assemblies).
 */
static int s_scan_metadata(struct al_asm_stack *st,
                           const json_t *meta,
                           bool tags_from_props,
                           const char *ctx)
{
    const char *path;
    const json_t *entries;
    struct al_buf own_path;
    int rc = -1;

    al_buf_init(&own_path, AL_ASM_MAX_FIELD + 2);
    if (!json_is_object(meta)) {
        al_raise(AL_ERR_USAGE, "%s: 'metadata' must be an object, not %s", ctx, s_type_name(meta));
        goto cleanup;
    }
    if (al_buf_printf(&own_path, "/%s", st->display_name))
        goto cleanup;
    json_object_foreach((json_t *)meta, path, entries)
    {
        size_t i;
        const json_t *e;
        if (!json_is_array(entries))
            continue; /* not ours to judge: only the entries below are used */
        json_array_foreach(entries, i, e)
        {
            const char *type = al_json_str(e, "type");
            const json_t *data = json_object_get(e, "data");
            if (al_streq(type, "aws:cdk:asset") && !st->unsupported) {
                const char *id = al_json_str(data, "id");
                const char *packaging = al_json_str(data, "packaging");
                struct al_buf msg;
                al_buf_init(&msg, 1024);
                if (al_buf_printf(&msg,
                                  "stack '%.200s' uses legacy asset metadata (%s%.200s', packaging "
                                  "'%.100s'), as CDK v1 or the LegacyStackSynthesizer write; "
                                  "airlock publishes assets only from asset manifests: synthesize "
                                  "with the DefaultStackSynthesizer (the CDK v2 default)",
                                  st->artifact_id,
                                  al_streq(packaging, "container-image") ? "docker image asset '"
                                                                         : "asset '",
                                  id ? id : "?",
                                  packaging ? packaging : "?")) {
                    al_buf_clean_up(&msg);
                    goto cleanup;
                }
                st->unsupported = al_buf_detach(&msg);
                if (!st->unsupported)
                    goto cleanup;
            } else if (al_streq(type, "aws:cdk:stack-tags") && !tags_from_props &&
                       al_streq(path, own_path.data)) {
                size_t j;
                const json_t *tag;
                if (!json_is_array(data)) {
                    al_raise(AL_ERR_USAGE,
                             "%s: metadata aws:cdk:stack-tags must hold an array of "
                             "{Key, Value}",
                             ctx);
                    goto cleanup;
                }
                json_array_foreach(data, j, tag)
                {
                    const json_t *k = json_object_get(tag, "Key");
                    const json_t *v = json_object_get(tag, "Value");
                    if (!json_is_string(k) || !json_is_string(v)) {
                        al_raise(AL_ERR_USAGE,
                                 "%s: metadata aws:cdk:stack-tags[%zu] must be "
                                 "{\"Key\": string, \"Value\": string}",
                                 ctx,
                                 j);
                        goto cleanup;
                    }
                    if (s_check_str(k, ctx, "Key") || s_check_str(v, ctx, "Value"))
                        goto cleanup;
                    if (json_object_set_new(
                          st->tags, json_string_value(k), json_copy((json_t *)v))) {
                        al_raise(AL_ERR_NOMEM, "out of memory");
                        goto cleanup;
                    }
                }
            }
        }
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&own_path);
    return rc;
}

/* --- stack artifacts --- */

static void s_stack_clean_up(struct al_asm_stack *st)
{
    free(st->artifact_id);
    free(st->stack_name);
    free(st->display_name);
    free(st->account);
    free(st->region);
    free(st->template_path);
    json_decref(st->parameters);
    json_decref(st->tags);
    al_strv_clean_up(&st->notification_arns);
    free(st->assume_role_arn);
    free(st->assume_role_external_id);
    free(st->cfn_exec_role_arn);
    free(st->template_object_url);
    free(st->bootstrap_version_ssm_param);
    al_strv_clean_up(&st->dependencies);
    free(st->dep_idx);
    free(st->asset_idx);
    free(st->unsupported);
    memset(st, 0, sizeof(*st));
}

static int s_parse_stack(struct s_load *ld,
                         const char *dir,
                         size_t scope,
                         const char *id,
                         const json_t *art,
                         const char *display_prefix,
                         const char *mctx)
{
    struct al_assembly *a = ld->a;
    struct al_asm_stack *st;
    const json_t *props, *meta;
    char ctx[AL_ASM_CTX_MAX];
    char *env = NULL, *tmpl = NULL, *meta_file = NULL, *meta_path = NULL;
    json_t *meta_root = NULL;
    bool tags_from_props;
    int rc = -1;

    s_ctx(ctx, sizeof(ctx), "%s: stack artifact '%.200s'", mctx, id);
    if (a->n_stacks >= AL_ASM_MAX_STACKS)
        return al_raise(
          AL_ERR_USAGE, "the assembly holds more than %u stacks, the limit", AL_ASM_MAX_STACKS);
    for (size_t i = 0; i < a->n_stacks; i++)
        if (strcmp(a->stacks[i].artifact_id, id) == 0)
            return al_raise(
              AL_ERR_USAGE, "%s: a stack artifact with this id appears twice in the assembly", ctx);
    if (a->n_stacks + 1 > ld->cap_stacks) {
        /* stack_scope keeps the same capacity as the stacks. */
        size_t cap = ld->cap_stacks;
        size_t *p;
        if (s_grow((void **)&a->stacks, &cap, a->n_stacks + 1, sizeof(*a->stacks)))
            return -1;
        if (!(p = realloc(ld->stack_scope, cap * sizeof(*p))))
            return al_raise(AL_ERR_NOMEM, "out of memory");
        ld->stack_scope = p;
        ld->cap_stacks = cap;
    }
    st = &a->stacks[a->n_stacks];
    memset(st, 0, sizeof(*st));
    ld->stack_scope[a->n_stacks] = scope;
    a->n_stacks++; /* counted now so a failure below still frees it */
    al_strv_init(&st->notification_arns);
    al_strv_init(&st->dependencies);

    if (!(st->artifact_id = al_strdup(id)))
        goto cleanup;
    props = json_object_get(art, "properties");
    if (!props || !json_is_object(props)) {
        al_raise(AL_ERR_USAGE,
                 "%s: 'properties' must be an object with at least templateFile%s%s; re-run "
                 "cdk synth",
                 ctx,
                 props ? ", not " : "",
                 props ? s_type_name(props) : "");
        goto cleanup;
    }
    if (s_get_str(art, "environment", true, ctx, &env) || s_parse_env(st, env, ctx))
        goto cleanup;
    if (s_get_str(art, "displayName", false, ctx, &st->display_name))
        goto cleanup;
    if (!st->display_name) {
        struct al_buf b;
        al_buf_init(&b, 2 * AL_ASM_MAX_FIELD);
        if (al_buf_printf(&b, "%s%s%s", display_prefix, *display_prefix ? "/" : "", id) ||
            !(st->display_name = al_buf_detach(&b))) {
            al_buf_clean_up(&b);
            goto cleanup;
        }
    }
    if (s_get_strv(art, "dependencies", ctx, &st->dependencies))
        goto cleanup;

    if (s_get_str(props, "templateFile", true, ctx, &tmpl) ||
        !(st->template_path = s_resolve_path(ld, dir, tmpl, false, ctx, "templateFile")) ||
        s_require_type(st->template_path, false, ctx, "templateFile"))
        goto cleanup;
    if (s_get_str(props, "stackName", false, ctx, &st->stack_name))
        goto cleanup;
    if (!st->stack_name && !(st->stack_name = al_strdup(id)))
        goto cleanup;
    if (!s_valid_stack_name(st->stack_name)) {
        al_raise(AL_ERR_USAGE,
                 "%s: stack name '%.200s' is not a valid CloudFormation name (a letter, then "
                 "letters, digits and hyphens, at most 128)",
                 ctx,
                 st->stack_name);
        goto cleanup;
    }
    if (s_get_str_map(props, "parameters", ctx, &st->parameters) ||
        s_get_str_map(props, "tags", ctx, &st->tags) ||
        s_get_strv(props, "notificationArns", ctx, &st->notification_arns) ||
        s_get_bool(props, "terminationProtection", ctx, &st->termination_protection) ||
        s_get_str(props, "assumeRoleArn", false, ctx, &st->assume_role_arn) ||
        s_get_str(props, "assumeRoleExternalId", false, ctx, &st->assume_role_external_id) ||
        s_get_str(props, "cloudFormationExecutionRoleArn", false, ctx, &st->cfn_exec_role_arn) ||
        s_get_str(props, "stackTemplateAssetObjectUrl", false, ctx, &st->template_object_url) ||
        s_get_version(
          props, "requiresBootstrapStackVersion", ctx, &st->requires_bootstrap_version) ||
        s_get_str(
          props, "bootstrapStackVersionSsmParameter", false, ctx, &st->bootstrap_version_ssm_param))
        goto cleanup;
    if (st->template_object_url && !al_str_prefix(st->template_object_url, "s3://")) {
        al_raise(AL_ERR_USAGE,
                 "%s: stackTemplateAssetObjectUrl '%.200s' is not an s3:// URL",
                 ctx,
                 st->template_object_url);
        goto cleanup;
    }

    tags_from_props = json_object_get(props, "tags") != NULL;
    if ((meta = json_object_get(art, "metadata")) && !json_is_null(meta) &&
        s_scan_metadata(st, meta, tags_from_props, ctx))
        goto cleanup;
    if (s_get_str(art, "additionalMetadataFile", false, ctx, &meta_file))
        goto cleanup;
    if (meta_file) {
        if (!(meta_path =
                s_resolve_path(ld, dir, meta_file, false, ctx, "additionalMetadataFile")) ||
            !(meta_root = s_read_json(meta_path, AL_ASM_METADATA_MAX_BYTES, "metadata file")) ||
            s_scan_metadata(st, meta_root, tags_from_props, ctx))
            goto cleanup;
    }
    if (s_add_art(ld, id, scope, S_STACK, a->n_stacks - 1))
        goto cleanup;
    rc = 0;
cleanup:
    free(env);
    free(tmpl);
    free(meta_file);
    free(meta_path);
    json_decref(meta_root);
    return rc;
}

/* --- asset manifests --- */

static void s_asset_clean_up(struct al_asm_file_asset *as)
{
    free(as->id);
    free(as->display_name);
    free(as->manifest_id);
    free(as->source_path);
    free(as->bootstrap_version_ssm_param);
    for (size_t i = 0; i < as->n_dests; i++) {
        free(as->dests[i].id);
        free(as->dests[i].bucket);
        free(as->dests[i].key);
        free(as->dests[i].region);
        free(as->dests[i].assume_role_arn);
        free(as->dests[i].external_id);
    }
    free(as->dests);
    memset(as, 0, sizeof(*as));
}

/* Appends a note to *msg ("a; b"), for the reasons a manifest cannot deploy. */
static int s_note(char **msg, const char *fmt, ...) AL_PRINTF(2, 3);
static int s_note(char **msg, const char *fmt, ...)
{
    struct al_buf b;
    va_list ap;
    int rc;
    al_buf_init(&b, 8192);
    if (*msg && (al_buf_puts(&b, *msg) || al_buf_puts(&b, "; ")))
        goto fail;
    va_start(ap, fmt);
    rc = al_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc)
        goto fail;
    free(*msg);
    if (!(*msg = al_buf_detach(&b)))
        return -1;
    return 0;
fail:
    al_buf_clean_up(&b);
    return -1;
}

static int s_parse_dest(struct al_asm_dest *d, const char *did, const json_t *dj, const char *ctx)
{
    char dctx[AL_ASM_CTX_MAX];
    s_ctx(dctx, sizeof(dctx), "%s destination '%.100s'", ctx, did);
    if (!json_is_object(dj))
        return al_raise(AL_ERR_USAGE, "%s: must be an object, not %s", dctx, s_type_name(dj));
    if (!(d->id = al_strdup(did)) || s_get_str(dj, "bucketName", true, dctx, &d->bucket) ||
        s_get_str(dj, "objectKey", true, dctx, &d->key) ||
        s_get_str(dj, "region", false, dctx, &d->region) ||
        s_get_str(dj, "assumeRoleArn", false, dctx, &d->assume_role_arn) ||
        s_get_str(dj, "assumeRoleExternalId", false, dctx, &d->external_id))
        return -1;
    if (!*d->bucket || !*d->key)
        return al_raise(AL_ERR_USAGE, "%s: bucketName and objectKey must not be empty", dctx);
    return 0;
}

/*
 * One `files` entry. Returns 1 (nothing added) for an `executable` source or
 * an unknown packaging, after noting why on *unsupported.
 */
static int s_parse_file_asset(struct s_load *ld,
                              const char *base,
                              const char *manifest_id,
                              const char *aid,
                              const json_t *fj,
                              const char *mctx,
                              char **unsupported)
{
    struct al_assembly *a = ld->a;
    struct al_asm_file_asset *as;
    const json_t *src, *dests, *dj;
    const char *did;
    char ctx[AL_ASM_CTX_MAX];
    char *packaging = NULL, *path = NULL, *display = NULL;
    int rc = -1;

    s_ctx(ctx, sizeof(ctx), "%s: file asset '%.100s'", mctx, aid);
    if (!json_is_object(fj))
        return al_raise(AL_ERR_USAGE, "%s: must be an object, not %s", ctx, s_type_name(fj));
    src = json_object_get(fj, "source");
    if (!json_is_object(src))
        return al_raise(AL_ERR_USAGE, "%s: 'source' must be an object", ctx);
    if (s_get_str(fj, "displayName", false, ctx, &display))
        goto cleanup;
    if (json_object_get(src, "executable")) {
        rc = s_note(unsupported,
                    "file asset '%.100s'%s%.100s%s is built by a command (an `executable` "
                    "source); airlock runs no build commands: build the file in the app "
                    "(Code.fromAsset on a directory or file) and synthesize again",
                    aid,
                    display ? " (" : "",
                    display ? display : "",
                    display ? ")" : "");
        rc = rc ? -1 : 1;
        goto cleanup;
    }
    if (s_get_str(src, "packaging", false, ctx, &packaging) ||
        s_get_str(src, "path", true, ctx, &path))
        goto cleanup;
    if (packaging && strcmp(packaging, "zip") != 0 && strcmp(packaging, "file") != 0) {
        rc = s_note(unsupported,
                    "file asset '%.100s' has packaging '%.50s'; airlock knows 'zip' and 'file'",
                    aid,
                    packaging);
        rc = rc ? -1 : 1;
        goto cleanup;
    }
    dests = json_object_get(fj, "destinations");
    if (!json_is_object(dests) || json_object_size(dests) == 0) {
        al_raise(AL_ERR_USAGE, "%s: 'destinations' must be a non-empty object", ctx);
        goto cleanup;
    }
    if (json_object_size(dests) > AL_ASM_MAX_DESTINATIONS) {
        al_raise(
          AL_ERR_USAGE, "%s: more than %u destinations, the limit", ctx, AL_ASM_MAX_DESTINATIONS);
        goto cleanup;
    }
    if (a->n_assets >= AL_ASM_MAX_ASSETS) {
        al_raise(AL_ERR_USAGE,
                 "the assembly holds more than %u file assets, the limit",
                 AL_ASM_MAX_ASSETS);
        goto cleanup;
    }
    if (s_grow((void **)&a->assets, &ld->cap_assets, a->n_assets + 1, sizeof(*a->assets)))
        goto cleanup;
    as = &a->assets[a->n_assets++];
    memset(as, 0, sizeof(*as));
    as->display_name = display;
    display = NULL;
    as->zip = packaging && strcmp(packaging, "zip") == 0;
    if (!(as->id = al_strdup(aid)) || !(as->manifest_id = al_strdup(manifest_id)) ||
        !(as->source_path = s_resolve_path(ld, base, path, true, ctx, "source.path")) ||
        s_require_type(as->source_path, as->zip, ctx, "source.path"))
        goto cleanup;
    if (!(as->dests = calloc(json_object_size(dests), sizeof(*as->dests)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    json_object_foreach((json_t *)dests, did, dj)
    {
        struct al_asm_dest *d = &as->dests[as->n_dests++];
        if (s_parse_dest(d, did, dj, ctx))
            goto cleanup;
    }
    rc = 0;
cleanup:
    free(packaging);
    free(path);
    free(display);
    return rc;
}

static int s_parse_asset_manifest(struct s_load *ld,
                                  const char *dir,
                                  size_t scope,
                                  const char *id,
                                  const json_t *art,
                                  const char *mctx)
{
    struct al_assembly *a = ld->a;
    struct s_asset_manifest *m;
    const json_t *props, *files, *docker, *fj;
    const char *aid;
    char ctx[AL_ASM_CTX_MAX], fctx[AL_ASM_CTX_MAX];
    char *file = NULL, *path = NULL, *base = NULL, *slash;
    json_t *root = NULL;
    int req = 0;
    char *ssm = NULL;
    int rc = -1;

    s_ctx(ctx, sizeof(ctx), "%s: asset manifest artifact '%.200s'", mctx, id);
    if (s_grow(
          (void **)&ld->manifests, &ld->cap_manifests, ld->n_manifests + 1, sizeof(*ld->manifests)))
        return -1;
    m = &ld->manifests[ld->n_manifests++];
    memset(m, 0, sizeof(*m));
    m->first = a->n_assets;
    props = json_object_get(art, "properties");
    if (!json_is_object(props)) {
        al_raise(AL_ERR_USAGE, "%s: 'properties' must be an object with 'file'", ctx);
        goto cleanup;
    }
    if (s_get_str(props, "file", true, ctx, &file) ||
        !(path = s_resolve_path(ld, dir, file, false, ctx, "file")) ||
        !(root = s_read_json(path, AL_ASM_ASSETS_MAX_BYTES, "asset manifest")) ||
        s_get_version(props, "requiresBootstrapStackVersion", ctx, &req) ||
        s_get_str(props, "bootstrapStackVersionSsmParameter", false, ctx, &ssm))
        goto cleanup;
    /* Source paths are relative to the asset manifest's own directory. */
    if (!(base = al_strdup(path)))
        goto cleanup;
    slash = strrchr(base, '/');
    if (slash == base)
        slash[1] = '\0';
    else
        *slash = '\0';
    s_ctx(fctx, sizeof(fctx), "%s", path);

    files = json_object_get(root, "files");
    if (files && !json_is_null(files)) {
        if (!json_is_object(files)) {
            al_raise(
              AL_ERR_USAGE, "%s: 'files' must be an object, not %s", fctx, s_type_name(files));
            goto cleanup;
        }
        json_object_foreach((json_t *)files, aid, fj)
        {
            int r = s_parse_file_asset(ld, base, id, aid, fj, fctx, &m->unsupported);
            if (r < 0)
                goto cleanup;
            if (r == 0) {
                struct al_asm_file_asset *as = &a->assets[a->n_assets - 1];
                as->requires_bootstrap_version = req;
                if (ssm && !(as->bootstrap_version_ssm_param = al_strdup(ssm)))
                    goto cleanup;
            }
        }
    }
    docker = json_object_get(root, "dockerImages");
    if (docker && !json_is_null(docker)) {
        const json_t *dj;
        size_t listed = 0;
        struct al_buf names;
        if (!json_is_object(docker)) {
            al_raise(AL_ERR_USAGE,
                     "%s: 'dockerImages' must be an object, not %s",
                     fctx,
                     s_type_name(docker));
            goto cleanup;
        }
        al_buf_init(&names, 4096);
        json_object_foreach((json_t *)docker, aid, dj)
        {
            const char *dn = al_json_str(dj, "displayName");
            if (listed++ == AL_ASM_LIST_NAMES) {
                al_buf_printf(
                  &names, " and %zu more", json_object_size(docker) - AL_ASM_LIST_NAMES);
                break;
            }
            if (al_buf_printf(&names,
                              "%s'%.100s'%s%.100s%s",
                              listed > 1 ? ", " : "",
                              aid,
                              dn ? " (" : "",
                              dn ? dn : "",
                              dn ? ")" : "")) {
                al_buf_clean_up(&names);
                goto cleanup;
            }
        }
        if (listed && s_note(&m->unsupported,
                             "it needs docker image assets %s; airlock does not build or push "
                             "container images: deploy such stacks with `cdk deploy`, or leave "
                             "them out with the stacks input",
                             al_buf_str(&names))) {
            al_buf_clean_up(&names);
            goto cleanup;
        }
        al_buf_clean_up(&names);
    }
    m->count = a->n_assets - m->first;
    if (s_add_art(ld, id, scope, S_ASSETS, ld->n_manifests - 1))
        goto cleanup;
    rc = 0;
cleanup:
    free(file);
    free(path);
    free(base);
    free(ssm);
    json_decref(root);
    return rc;
}

/* --- manifests --- */

static int s_refuse_missing(const json_t *missing, const char *mpath)
{
    struct al_buf keys;
    size_t i;
    const json_t *m;
    al_buf_init(&keys, 4096);
    json_array_foreach(missing, i, m)
    {
        const char *key = al_json_str(m, "key");
        if (i == AL_ASM_LIST_NAMES) {
            al_buf_printf(&keys, " and %zu more", json_array_size(missing) - i);
            break;
        }
        if (al_buf_printf(&keys, "%s%.300s", i ? ", " : "", key ? key : "(no key)"))
            break;
    }
    al_raise(AL_ERR_USAGE,
             "%s: the assembly is incomplete: %zu context lookup%s never ran (%s); airlock "
             "cannot deploy it. Run `cdk synth` once with AWS credentials so the lookups run "
             "and cdk.context.json is written, commit that file, and synthesize again",
             mpath,
             json_array_size(missing),
             json_array_size(missing) == 1 ? "" : "s",
             al_buf_str(&keys));
    al_buf_clean_up(&keys);
    return -1;
}

static int s_read_manifest(struct s_load *ld,
                           const char *dir,
                           const char *display_prefix,
                           int depth)
{
    struct al_buf mpath;
    json_t *root = NULL;
    const json_t *v, *artifacts, *art;
    const char *id;
    size_t scope = ld->n_scopes++;
    int rc = -1;

    al_buf_init(&mpath, PATH_MAX);
    if (depth > AL_ASM_MAX_NESTING) {
        al_raise(
          AL_ERR_USAGE, "%s: nested assemblies go deeper than %d levels", dir, AL_ASM_MAX_NESTING);
        goto cleanup;
    }
    if (al_buf_printf(&mpath, "%s/manifest.json", dir))
        goto cleanup;
    if (access(mpath.data, F_OK) != 0) {
        al_raise(AL_ERR_USAGE,
                 "%s has no manifest.json: it is not a cloud assembly; point the assembly "
                 "input at the cdk.out directory that `cdk synth` wrote",
                 dir);
        goto cleanup;
    }
    if (!(root = s_read_json(mpath.data, AL_ASM_MANIFEST_MAX_BYTES, "assembly manifest")))
        goto cleanup;
    v = json_object_get(root, "version");
    if (!json_is_string(v) || !s_is_semver(json_string_value(v))) {
        al_raise(AL_ERR_USAGE,
                 "%s: 'version' must be the schema version (a semver string such as "
                 "\"55.0.0\")%s%.50s%s",
                 mpath.data,
                 json_is_string(v) ? ", not '" : "",
                 json_is_string(v) ? json_string_value(v) : "",
                 json_is_string(v) ? "'" : "");
        goto cleanup;
    }
    if (depth == 0 && !(ld->a->version = al_strdup(json_string_value(v))))
        goto cleanup;
    v = json_object_get(root, "missing");
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) {
            al_raise(AL_ERR_USAGE, "%s: 'missing' must be an array", mpath.data);
            goto cleanup;
        }
        if (json_array_size(v) > 0) {
            s_refuse_missing(v, mpath.data);
            goto cleanup;
        }
    }
    artifacts = json_object_get(root, "artifacts");
    if (!artifacts || json_is_null(artifacts)) {
        rc = 0;
        goto cleanup;
    }
    if (!json_is_object(artifacts)) {
        al_raise(AL_ERR_USAGE,
                 "%s: 'artifacts' must be an object, not %s",
                 mpath.data,
                 s_type_name(artifacts));
        goto cleanup;
    }
    json_object_foreach((json_t *)artifacts, id, art)
    {
        const char *type;
        char ctx[AL_ASM_CTX_MAX];
        s_ctx(ctx, sizeof(ctx), "%s: artifact '%.200s'", mpath.data, id);
        if (!json_is_object(art)) {
            al_raise(AL_ERR_USAGE, "%s: must be an object, not %s", ctx, s_type_name(art));
            goto cleanup;
        }
        if (strlen(id) == 0 || strlen(id) > AL_ASM_MAX_FIELD) {
            al_raise(AL_ERR_USAGE, "%s: the artifact id is empty or too long", mpath.data);
            goto cleanup;
        }
        v = json_object_get(art, "type");
        if (!json_is_string(v)) {
            al_raise(AL_ERR_USAGE, "%s: 'type' must be a string", ctx);
            goto cleanup;
        }
        type = json_string_value(v);
        if (strcmp(type, "aws:cloudformation:stack") == 0) {
            if (s_parse_stack(ld, dir, scope, id, art, display_prefix, mpath.data))
                goto cleanup;
        } else if (strcmp(type, "cdk:asset-manifest") == 0) {
            if (s_parse_asset_manifest(ld, dir, scope, id, art, mpath.data))
                goto cleanup;
        } else if (strcmp(type, "cdk:cloud-assembly") == 0) {
            const json_t *props = json_object_get(art, "properties");
            char *sub = NULL, *sub_real = NULL, *display = NULL;
            int r = -1;
            if (!json_is_object(props)) {
                al_raise(
                  AL_ERR_USAGE, "%s: 'properties' must be an object with directoryName", ctx);
                goto cleanup;
            }
            if (!s_get_str(props, "directoryName", true, ctx, &sub) &&
                (sub_real = s_resolve_path(ld, dir, sub, false, ctx, "directoryName")) &&
                !s_require_type(sub_real, true, ctx, "directoryName") &&
                !s_get_str(props, "displayName", false, ctx, &display) &&
                !s_add_art(ld, id, scope, S_OTHER, 0))
                r = s_read_manifest(ld, sub_real, display ? display : id, depth + 1);
            free(sub);
            free(sub_real);
            free(display);
            if (r)
                goto cleanup;
        } else {
            /* cdk:tree, cdk:feature-flag-report and types newer than airlock. */
            if (s_add_art(ld, id, scope, S_OTHER, 0))
                goto cleanup;
        }
    }
    rc = 0;
cleanup:
    json_decref(root);
    al_buf_clean_up(&mpath);
    return rc;
}

/* --- dependencies and order --- */

static const struct s_art *s_find_art(const struct s_load *ld, size_t scope, const char *id)
{
    for (size_t i = 0; i < ld->n_arts; i++)
        if (ld->arts[i].scope == scope && strcmp(ld->arts[i].id, id) == 0)
            return &ld->arts[i];
    return NULL;
}

/*
 * Turns each stack's raw dependency list (any artifact of its manifest) into
 * stack dependencies (ids and indexes) and the assets of the asset manifests
 * it depends on, and inherits those manifests' unsupported notes.
 */
static int s_link(struct s_load *ld)
{
    struct al_assembly *a = ld->a;
    for (size_t i = 0; i < a->n_stacks; i++) {
        struct al_asm_stack *st = &a->stacks[i];
        struct al_strv raw = st->dependencies;
        size_t n_assets = 0;
        al_strv_init(&st->dependencies);
        st->dep_idx = calloc(raw.len ? raw.len : 1, sizeof(*st->dep_idx));
        if (!st->dep_idx) {
            al_strv_clean_up(&raw);
            return al_raise(AL_ERR_NOMEM, "out of memory");
        }
        for (size_t j = 0; j < raw.len; j++) {
            const struct s_art *art = s_find_art(ld, ld->stack_scope[i], raw.items[j]);
            if (!art) {
                al_raise(AL_ERR_USAGE,
                         "stack '%.200s' depends on '%.200s', which is not an artifact of its "
                         "manifest; the assembly is damaged: synthesize again",
                         st->artifact_id,
                         raw.items[j]);
                al_strv_clean_up(&raw);
                return -1;
            }
            if (art->kind == S_STACK) {
                if (art->index == i) {
                    al_raise(AL_ERR_USAGE,
                             "stack '%.200s' depends on itself; the assembly is damaged",
                             st->artifact_id);
                    al_strv_clean_up(&raw);
                    return -1;
                }
                if (al_strv_contains(&st->dependencies, art->id))
                    continue;
                st->dep_idx[st->dependencies.len] = art->index;
                if (al_strv_push(&st->dependencies, art->id)) {
                    al_strv_clean_up(&raw);
                    return -1;
                }
            } else if (art->kind == S_ASSETS) {
                const struct s_asset_manifest *m = &ld->manifests[art->index];
                size_t *p = realloc(st->asset_idx, (n_assets + m->count + 1) * sizeof(*p));
                if (!p) {
                    al_strv_clean_up(&raw);
                    return al_raise(AL_ERR_NOMEM, "out of memory");
                }
                st->asset_idx = p;
                for (size_t k = 0; k < m->count; k++)
                    st->asset_idx[n_assets++] = m->first + k;
                if (m->unsupported && !st->unsupported &&
                    s_note(&st->unsupported,
                           "stack '%.200s' cannot be deployed by airlock: %s",
                           st->artifact_id,
                           m->unsupported)) {
                    al_strv_clean_up(&raw);
                    return -1;
                }
            }
        }
        st->n_assets = n_assets;
        al_strv_clean_up(&raw);
    }
    return 0;
}

/* A cycle among the stacks not placed yet: follow unplaced dependencies from
 * any unplaced stack until one repeats, then name the loop. */
static int s_refuse_cycle(const struct al_assembly *a, const bool *placed)
{
    size_t n = a->n_stacks, cur = 0, steps = 0;
    size_t *seen_at = NULL;
    struct al_buf msg;
    int rc = -1;

    al_buf_init(&msg, 4096);
    if (!(seen_at = malloc(n * sizeof(*seen_at)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        seen_at[i] = SIZE_MAX;
    while (cur < n && placed[cur])
        cur++;
    while (cur < n && seen_at[cur] == SIZE_MAX) {
        const struct al_asm_stack *st = &a->stacks[cur];
        size_t next = n;
        seen_at[cur] = steps++;
        for (size_t j = 0; j < st->dependencies.len && next == n; j++)
            if (!placed[st->dep_idx[j]])
                next = st->dep_idx[j];
        cur = next;
    }
    if (cur >= n) {
        al_raise(AL_ERR_INTERNAL, "dependency order stalled without a cycle");
        goto cleanup;
    }
    /* Print the loop from where it starts, in dependency direction. */
    {
        size_t start = cur;
        do {
            const struct al_asm_stack *st = &a->stacks[cur];
            size_t next = n;
            al_buf_printf(&msg, "%.200s -> ", st->artifact_id);
            for (size_t j = 0; j < st->dependencies.len && next == n; j++)
                if (!placed[st->dep_idx[j]] && seen_at[st->dep_idx[j]] != SIZE_MAX)
                    next = st->dep_idx[j];
            cur = next;
        } while (cur < n && cur != start && msg.len < 3000);
        al_buf_printf(&msg, "%.200s", a->stacks[start].artifact_id);
    }
    al_raise(AL_ERR_USAGE,
             "the stacks depend on each other in a cycle (%s, where 'A -> B' means A depends "
             "on B); no order can deploy them: remove one of the dependencies in the CDK app",
             al_buf_str(&msg));
cleanup:
    free(seen_at);
    al_buf_clean_up(&msg);
    return rc;
}

/*
 * Orders the stacks so each comes after its dependencies, keeping manifest
 * order where the dependencies allow (as the CDK CLI does), and remaps the
 * dependency indexes.
 */
static int s_sort(struct s_load *ld)
{
    struct al_assembly *a = ld->a;
    size_t n = a->n_stacks, done = 0;
    size_t *order = NULL, *pos = NULL;
    bool *placed = NULL;
    struct al_asm_stack *sorted = NULL;
    int rc = -1;

    if (n == 0)
        return 0;
    order = malloc(n * sizeof(*order));
    pos = malloc(n * sizeof(*pos));
    placed = calloc(n, sizeof(*placed));
    sorted = malloc(n * sizeof(*sorted));
    if (!order || !pos || !placed || !sorted) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    while (done < n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            bool ready = !placed[i];
            for (size_t j = 0; ready && j < a->stacks[i].dependencies.len; j++)
                ready = placed[a->stacks[i].dep_idx[j]];
            if (ready)
                pick = i;
        }
        if (pick == n) {
            s_refuse_cycle(a, placed);
            goto cleanup;
        }
        placed[pick] = true;
        pos[pick] = done;
        order[done++] = pick;
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i] = a->stacks[order[i]];
        for (size_t j = 0; j < sorted[i].dependencies.len; j++)
            sorted[i].dep_idx[j] = pos[sorted[i].dep_idx[j]];
    }
    memcpy(a->stacks, sorted, n * sizeof(*sorted));
    rc = 0;
cleanup:
    free(order);
    free(pos);
    free(placed);
    free(sorted);
    return rc;
}

/* --- public --- */

int al_assembly_load(const char *dir, struct al_assembly *out)
{
    struct s_load ld;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    memset(&ld, 0, sizeof(ld));
    ld.a = out;
    if (!dir || !*dir) {
        al_raise(AL_ERR_USAGE,
                 "the assembly directory is empty; set the assembly input to cdk.out");
        goto cleanup;
    }
    if (!realpath(dir, ld.root)) {
        al_raise(AL_ERR_USAGE,
                 "assembly directory '%.300s' cannot be read: %s; run `cdk synth` first and "
                 "point the assembly input at its cdk.out",
                 dir,
                 strerror(errno));
        goto cleanup;
    }
    if (s_require_type(ld.root, true, "assembly", "assembly") || !(out->dir = al_strdup(ld.root)) ||
        s_read_manifest(&ld, ld.root, "", 0) || s_link(&ld) || s_sort(&ld))
        goto cleanup;
    rc = 0;
cleanup:
    for (size_t i = 0; i < ld.n_arts; i++)
        free(ld.arts[i].id);
    free(ld.arts);
    for (size_t i = 0; i < ld.n_manifests; i++)
        free(ld.manifests[i].unsupported);
    free(ld.manifests);
    free(ld.stack_scope);
    if (rc)
        al_assembly_clean_up(out);
    return rc;
}

void al_assembly_clean_up(struct al_assembly *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_stacks; i++)
        s_stack_clean_up(&a->stacks[i]);
    free(a->stacks);
    for (size_t i = 0; i < a->n_assets; i++)
        s_asset_clean_up(&a->assets[i]);
    free(a->assets);
    free(a->dir);
    free(a->version);
    memset(a, 0, sizeof(*a));
}

const struct al_asm_stack *al_assembly_find_stack(const struct al_assembly *a, const char *id)
{
    for (size_t i = 0; i < a->n_stacks; i++)
        if (strcmp(a->stacks[i].artifact_id, id) == 0)
            return &a->stacks[i];
    return NULL;
}

/* A glob without '/' must not reach into a nested stage's "Stage/Stack". */
static bool s_glob_hits(const char *glob, const char *name)
{
    if (!strchr(glob, '/') && strchr(name, '/'))
        return false;
    return al_glob_match(glob, name);
}

int al_assembly_select(const struct al_assembly *a,
                       const struct al_strv *globs,
                       bool exclusively,
                       size_t **order,
                       size_t *n)
{
    bool *sel = NULL;
    size_t *out = NULL, count = 0;
    int rc = -1;

    *order = NULL;
    *n = 0;
    if (a->n_stacks == 0) {
        al_raise(AL_ERR_USAGE,
                 "the assembly in %.300s holds no stacks; does the CDK app define any?",
                 a->dir ? a->dir : "?");
        goto cleanup;
    }
    sel = calloc(a->n_stacks, sizeof(*sel));
    out = malloc(a->n_stacks * sizeof(*out));
    if (!sel || !out) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (!globs || globs->len == 0) {
        for (size_t i = 0; i < a->n_stacks; i++)
            sel[i] = true;
    }
    for (size_t g = 0; globs && g < globs->len; g++) {
        bool hit = false;
        for (size_t i = 0; i < a->n_stacks; i++) {
            const struct al_asm_stack *st = &a->stacks[i];
            if (s_glob_hits(globs->items[g], st->display_name) ||
                s_glob_hits(globs->items[g], st->stack_name)) {
                sel[i] = true;
                hit = true;
            }
        }
        if (!hit) {
            struct al_buf names;
            al_buf_init(&names, 4096);
            for (size_t i = 0; i < a->n_stacks; i++) {
                if (i == AL_ASM_LIST_NAMES) {
                    al_buf_printf(&names, " and %zu more", a->n_stacks - i);
                    break;
                }
                al_buf_printf(&names, "%s%.200s", i ? ", " : "", a->stacks[i].display_name);
            }
            al_raise(AL_ERR_USAGE,
                     "stacks: '%.200s' matches no stack in the assembly; its stacks are %s",
                     globs->items[g],
                     al_buf_str(&names));
            al_buf_clean_up(&names);
            goto cleanup;
        }
    }
    /* Dependencies come earlier in the order, so one backward pass closes
     * the selection over them. */
    if (!exclusively)
        for (size_t i = a->n_stacks; i-- > 0;)
            if (sel[i])
                for (size_t j = 0; j < a->stacks[i].dependencies.len; j++)
                    sel[a->stacks[i].dep_idx[j]] = true;
    for (size_t i = 0; i < a->n_stacks; i++) {
        if (!sel[i])
            continue;
        if (a->stacks[i].unsupported) {
            al_raise(AL_ERR_USAGE, "%s", a->stacks[i].unsupported);
            goto cleanup;
        }
        out[count++] = i;
    }
    *order = out;
    *n = count;
    out = NULL;
    rc = 0;
cleanup:
    free(sel);
    free(out);
    return rc;
}

int al_assembly_substitute(char **s, const char *account, const char *region, const char *partition)
{
    static const struct {
        const char *token;
        int which;
    } tokens[] = {
        { "${AWS::AccountId}", 0 },
        { "${AWS::Region}", 1 },
        { "${AWS::Partition}", 2 },
    };
    const char *values[3] = { account, region, partition };
    struct al_buf b;
    const char *p;
    char *res;

    if (!*s || !strstr(*s, "${AWS::"))
        return 0;
    al_buf_init(&b, 4 * AL_ASM_MAX_FIELD);
    p = *s;
    while (*p) {
        size_t k, nt = sizeof(tokens) / sizeof(tokens[0]);
        for (k = 0; k < nt; k++)
            if (al_str_prefix(p, tokens[k].token))
                break;
        if (k == nt) {
            if (al_buf_putc(&b, *p++))
                goto fail;
            continue;
        }
        if (!values[tokens[k].which]) {
            al_raise(
              AL_ERR_USAGE, "'%.200s' needs %s, which is not known here", *s, tokens[k].token);
            goto fail;
        }
        if (al_buf_puts(&b, values[tokens[k].which]))
            goto fail;
        p += strlen(tokens[k].token);
    }
    if (!(res = al_buf_detach(&b)))
        goto fail;
    free(*s);
    *s = res;
    return 0;
fail:
    al_buf_clean_up(&b);
    return -1;
}

const char *al_assembly_partition(const char *region)
{
    static const struct {
        const char *prefix, *partition;
    } map[] = {
        { "cn-", "aws-cn" },         { "us-gov-", "aws-us-gov" }, { "us-isob-", "aws-iso-b" },
        { "us-isof-", "aws-iso-f" }, { "us-iso-", "aws-iso" },    { "eu-isoe-", "aws-iso-e" },
        { "eusc-", "aws-eusc" },
    };
    for (size_t i = 0; region && i < sizeof(map) / sizeof(map[0]); i++)
        if (al_str_prefix(region, map[i].prefix))
            return map[i].partition;
    return "aws";
}

static int s_resolve_stack(struct al_asm_stack *st,
                           const char *account,
                           const char *region,
                           const char *partition)
{
    char **subst[] = { &st->assume_role_arn,
                       &st->assume_role_external_id,
                       &st->cfn_exec_role_arn,
                       &st->template_object_url,
                       &st->bootstrap_version_ssm_param };
    if (!st->account) {
        if (!account)
            return al_raise(AL_ERR_USAGE,
                            "stack '%.200s' has no account (unknown-account) and the "
                            "credentials' account is not known",
                            st->artifact_id);
        if (!(st->account = al_strdup(account)))
            return -1;
    }
    if (!st->region) {
        if (!region)
            return al_raise(AL_ERR_USAGE,
                            "stack '%.200s' has no region (unknown-region); set the aws-region "
                            "input",
                            st->artifact_id);
        if (!(st->region = al_strdup(region)))
            return -1;
    }
    if (!partition)
        partition = al_assembly_partition(st->region);
    for (size_t i = 0; i < sizeof(subst) / sizeof(subst[0]); i++)
        if (al_assembly_substitute(subst[i], st->account, st->region, partition))
            return al_raise_context("stack '%.200s'", st->artifact_id);
    if (st->template_object_url) {
        const char *b = st->template_object_url + strlen("s3://");
        const char *slash = strchr(b, '/');
        if (!slash || !slash[1] || !s_valid_bucket(b, (size_t)(slash - b)))
            return al_raise(AL_ERR_USAGE,
                            "stack '%.200s': stackTemplateAssetObjectUrl '%.300s' is not "
                            "s3://BUCKET/KEY",
                            st->artifact_id,
                            st->template_object_url);
    }
    return 0;
}

/*
 * One destination: its region (own, else the stack's), then its strings.
 * The region and bucket are checked after substitution, since they become
 * part of request URLs and an assembly is untrusted.
 */
static int s_resolve_dest(const struct al_asm_file_asset *as,
                          struct al_asm_dest *dst,
                          const char *account,
                          const char *stack_region,
                          const char *partition)
{
    const char *part;
    if (al_assembly_substitute(&dst->region, account, stack_region, partition))
        return al_raise_context("asset '%.100s'", as->id);
    if (!dst->region) {
        if (!stack_region)
            return al_raise(AL_ERR_USAGE,
                            "asset '%.100s' destination '%.100s' has no region; set the "
                            "aws-region input",
                            as->id,
                            dst->id);
        if (!(dst->region = al_strdup(stack_region)))
            return -1;
    }
    if (!s_valid_region(dst->region, strlen(dst->region)))
        return al_raise(AL_ERR_USAGE,
                        "asset '%.100s' destination '%.100s': region '%.100s' is not a region "
                        "name",
                        as->id,
                        dst->id,
                        dst->region);
    part = partition ? partition : al_assembly_partition(dst->region);
    if (al_assembly_substitute(&dst->bucket, account, dst->region, part) ||
        al_assembly_substitute(&dst->key, account, dst->region, part) ||
        al_assembly_substitute(&dst->assume_role_arn, account, dst->region, part) ||
        al_assembly_substitute(&dst->external_id, account, dst->region, part))
        return al_raise_context("asset '%.100s'", as->id);
    if (!s_valid_bucket(dst->bucket, strlen(dst->bucket)))
        return al_raise(AL_ERR_USAGE,
                        "asset '%.100s' destination '%.100s': '%.200s' is not an S3 bucket name",
                        as->id,
                        dst->id,
                        dst->bucket);
    if (strlen(dst->key) > 1024)
        return al_raise(AL_ERR_USAGE,
                        "asset '%.100s' destination '%.100s': the object key is over 1024 bytes",
                        as->id,
                        dst->id);
    return 0;
}

int al_assembly_resolve(struct al_assembly *a,
                        const char *account,
                        const char *region,
                        const char *partition)
{
    const char **owner_region = NULL;
    int rc = -1;

    for (size_t i = 0; i < a->n_stacks; i++)
        if (s_resolve_stack(&a->stacks[i], account, region, partition))
            goto cleanup;
    /* An asset's default region is that of the first stack publishing it. */
    if (!(owner_region = calloc(a->n_assets ? a->n_assets : 1, sizeof(*owner_region)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t s = 0; s < a->n_stacks; s++)
        for (size_t k = 0; k < a->stacks[s].n_assets; k++)
            if (!owner_region[a->stacks[s].asset_idx[k]])
                owner_region[a->stacks[s].asset_idx[k]] = a->stacks[s].region;
    for (size_t i = 0; i < a->n_assets; i++) {
        struct al_asm_file_asset *as = &a->assets[i];
        const char *stack_region = owner_region[i] ? owner_region[i] : region;
        for (size_t d = 0; d < as->n_dests; d++)
            if (s_resolve_dest(as, &as->dests[d], account, stack_region, partition))
                goto cleanup;
        if (as->bootstrap_version_ssm_param &&
            al_assembly_substitute(&as->bootstrap_version_ssm_param,
                                   account,
                                   stack_region,
                                   partition ? partition : al_assembly_partition(stack_region))) {
            al_raise_context("asset '%.100s'", as->id);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    free(owner_region);
    return rc;
}
