/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test tool for tests/suites/assembly: loads a cloud assembly with
 * al_assembly_load, selects stacks, optionally resolves the environment and
 * packages the assets, and prints what airlock read as JSON on stdout:
 *
 *   {"version", "dir", "stacks": [selected, in deploy order], "assets": [...]}
 *
 *   assembly_dump [--stacks GLOBS] [--exclusively] [--account ID]
 *                 [--region R] [--partition P] [--package WORKDIR] CDK_OUT
 *
 * --account/--region stand in for the credentials' account and the default
 * region (al_assembly_resolve runs when either is given). --package zips the
 * assets of the selected stacks into WORKDIR and leaves the zips there for
 * the suite to compare. On failure the error goes to stderr and the exit
 * status is airlock's (2 for a refused assembly).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deploy/assembly.h"
#include "deploy/assets.h"
#include "util/err.h"
#include "util/str.h"

/* json_string of a possibly-NULL C string (NULL becomes JSON null). */
static json_t *s_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *s_strv(const struct al_strv *v)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < v->len; i++)
        json_array_append_new(arr, json_string(v->items[i]));
    return arr;
}

static json_t *s_stack_json(const struct al_assembly *a, const struct al_asm_stack *st)
{
    json_t *o = json_object(), *assets = json_array();
    for (size_t i = 0; i < st->n_assets; i++)
        json_array_append_new(assets, json_string(a->assets[st->asset_idx[i]].id));
    json_object_set_new(o, "artifactId", json_string(st->artifact_id));
    json_object_set_new(o, "stackName", json_string(st->stack_name));
    json_object_set_new(o, "displayName", json_string(st->display_name));
    json_object_set_new(o, "account", s_str(st->account));
    json_object_set_new(o, "region", s_str(st->region));
    json_object_set_new(o, "envAgnostic", json_boolean(st->env_agnostic));
    json_object_set_new(o, "templatePath", json_string(st->template_path));
    json_object_set_new(o, "templateObjectUrl", s_str(st->template_object_url));
    json_object_set_new(o, "dependencies", s_strv(&st->dependencies));
    json_object_set_new(o, "assumeRoleArn", s_str(st->assume_role_arn));
    json_object_set_new(o, "assumeRoleExternalId", s_str(st->assume_role_external_id));
    json_object_set_new(o, "cfnExecRoleArn", s_str(st->cfn_exec_role_arn));
    json_object_set_new(
      o, "requiresBootstrapVersion", json_integer(st->requires_bootstrap_version));
    json_object_set_new(o, "bootstrapVersionSsmParameter", s_str(st->bootstrap_version_ssm_param));
    json_object_set_new(o, "terminationProtection", json_boolean(st->termination_protection));
    json_object_set_new(o, "parameters", json_incref(st->parameters));
    json_object_set_new(o, "tags", json_incref(st->tags));
    json_object_set_new(o, "notificationArns", s_strv(&st->notification_arns));
    json_object_set_new(o, "assets", assets);
    json_object_set_new(o, "unsupported", s_str(st->unsupported));
    return o;
}

static json_t *s_asset_json(const struct al_asm_file_asset *as)
{
    json_t *o = json_object(), *dests = json_array();
    for (size_t i = 0; i < as->n_dests; i++) {
        const struct al_asm_dest *d = &as->dests[i];
        json_t *dj = json_object();
        json_object_set_new(dj, "id", json_string(d->id));
        json_object_set_new(dj, "bucket", json_string(d->bucket));
        json_object_set_new(dj, "key", json_string(d->key));
        json_object_set_new(dj, "region", s_str(d->region));
        json_object_set_new(dj, "assumeRoleArn", s_str(d->assume_role_arn));
        json_object_set_new(dj, "externalId", s_str(d->external_id));
        json_array_append_new(dests, dj);
    }
    json_object_set_new(o, "id", json_string(as->id));
    json_object_set_new(o, "displayName", s_str(as->display_name));
    json_object_set_new(o, "manifest", json_string(as->manifest_id));
    json_object_set_new(o, "sourcePath", json_string(as->source_path));
    json_object_set_new(o, "packaging", json_string(as->zip ? "zip" : "file"));
    json_object_set_new(
      o, "requiresBootstrapVersion", json_integer(as->requires_bootstrap_version));
    json_object_set_new(o, "bootstrapVersionSsmParameter", s_str(as->bootstrap_version_ssm_param));
    json_object_set_new(o, "destinations", dests);
    return o;
}

static int s_package(const struct al_asm_file_asset *as, const char *work_dir, json_t *aj)
{
    struct al_asset_package p;
    json_t *pj;
    if (al_asset_package(as, work_dir, &p))
        return -1;
    pj = json_object();
    json_object_set_new(pj, "path", json_string(p.path));
    json_object_set_new(pj, "temporary", json_boolean(p.temporary));
    json_object_set_new(pj, "size", json_integer((json_int_t)p.size));
    json_object_set_new(pj, "md5", json_string(p.md5_hex));
    json_object_set_new(pj, "sha256", json_string(p.sha256_hex));
    json_object_set_new(pj, "contentType", json_string(p.content_type));
    json_object_set_new(aj, "package", pj);
    p.temporary = false; /* keep the zip for the suite */
    al_asset_package_clean_up(&p);
    return 0;
}

int main(int argc, char **argv)
{
    struct al_assembly a;
    struct al_strv globs;
    const char *dir = NULL, *account = NULL, *region = NULL, *partition = NULL, *work = NULL;
    bool exclusively = false;
    size_t *order = NULL, n = 0;
    json_t *root = NULL, *stacks, *assets;
    bool *want = NULL;
    int rc = 1;

    memset(&a, 0, sizeof(a));
    al_strv_init(&globs);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--exclusively") == 0) {
            exclusively = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-' && !val) {
            al_raise(AL_ERR_USAGE, "%s needs a value", arg);
            goto cleanup;
        }
        if (strcmp(arg, "--stacks") == 0) {
            if (al_strv_split_list(&globs, val))
                goto cleanup;
        } else if (strcmp(arg, "--account") == 0) {
            account = val;
        } else if (strcmp(arg, "--region") == 0) {
            region = val;
        } else if (strcmp(arg, "--partition") == 0) {
            partition = val;
        } else if (strcmp(arg, "--package") == 0) {
            work = val;
        } else if (arg[0] == '-' || dir) {
            al_raise(AL_ERR_USAGE, "usage: assembly_dump [options] CDK_OUT (bad argument %s)", arg);
            goto cleanup;
        } else {
            dir = arg;
            continue;
        }
        i++;
    }
    if (!dir) {
        al_raise(AL_ERR_USAGE, "usage: assembly_dump [options] CDK_OUT");
        goto cleanup;
    }
    if (al_assembly_load(dir, &a))
        goto cleanup;
    if ((account || region || partition) && al_assembly_resolve(&a, account, region, partition))
        goto cleanup;
    if (al_assembly_select(&a, &globs, exclusively, &order, &n))
        goto cleanup;

    root = json_object();
    stacks = json_array();
    assets = json_array();
    want = calloc(a.n_assets ? a.n_assets : 1, sizeof(*want));
    if (!root || !stacks || !assets || !want) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    json_object_set_new(root, "version", json_string(a.version));
    json_object_set_new(root, "dir", json_string(a.dir));
    json_object_set_new(root, "stacks", stacks);
    json_object_set_new(root, "assets", assets);
    for (size_t i = 0; i < n; i++) {
        const struct al_asm_stack *st = &a.stacks[order[i]];
        json_array_append_new(stacks, s_stack_json(&a, st));
        for (size_t k = 0; k < st->n_assets; k++)
            want[st->asset_idx[k]] = true;
    }
    for (size_t i = 0; i < a.n_assets; i++) {
        json_t *aj;
        if (!want[i])
            continue;
        aj = s_asset_json(&a.assets[i]);
        json_array_append_new(assets, aj);
        if (work && s_package(&a.assets[i], work, aj))
            goto cleanup;
    }
    if (json_dumpf(root, stdout, JSON_INDENT(2)) != 0) {
        al_raise(AL_ERR_IO, "cannot write the dump");
        goto cleanup;
    }
    fputc('\n', stdout);
    rc = 0;
cleanup:
    if (rc) {
        const struct al_error *e = al_error_last();
        fprintf(stderr, "assembly_dump: %s\n", e->msg);
        rc = (int)al_error_exit_code(e->code);
        if (rc == 0)
            rc = 1;
    }
    free(want);
    free(order);
    json_decref(root);
    al_assembly_clean_up(&a);
    al_strv_clean_up(&globs);
    return rc;
}
