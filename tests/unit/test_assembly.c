/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cloud assembly reader: the schema package's manifest fixtures, then
 * hand-written assemblies for order, cycles, refusals, nesting, selection,
 * environments, substitution and malformed input.
 */
#include "harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/assembly.h"
#include "util/buf.h"

#define ENV "aws://123456789012/eu-west-1"

/* Writes text to dir/rel (creating folders), with ' turned into " so the
 * JSON below reads well as C strings. */
static void s_put(const char *dir, const char *rel, const char *text)
{
    char path[2048];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    if (!(f = fopen(path, "w")))
        return;
    for (const char *p = text; *p; p++)
        fputc(*p == '\'' ? '"' : *p, f);
    fclose(f);
}

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_rm_rf(const char *dir)
{
    if (dir)
        nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A stack artifact "id" in ENV with template id.template.json (written too)
 * and the given dependency list (JSON array items, may be ""). */
static void s_stack(struct al_buf *b, const char *dir, const char *id, const char *deps)
{
    char tmpl[256];
    snprintf(tmpl, sizeof(tmpl), "%s.template.json", id);
    s_put(dir, tmpl, "{'Resources': {}}");
    al_buf_printf(b,
                  "%s'%s': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "', "
                  "'properties': {'templateFile': '%s'}, 'dependencies': [%s]}",
                  b->len ? ", " : "",
                  id,
                  tmpl,
                  deps);
}

static void s_manifest(const char *dir, const struct al_buf *artifacts)
{
    struct al_buf m;
    al_buf_init(&m, 1 << 20);
    al_buf_printf(&m, "{'version': '55.0.0', 'artifacts': {%s}}", al_buf_str(artifacts));
    s_put(dir, "manifest.json", m.data);
    al_buf_clean_up(&m);
}

/* Index of the stack with this artifact id in the loaded order, or -1. */
static int s_pos(const struct al_assembly *a, const char *id)
{
    for (size_t i = 0; i < a->n_stacks; i++)
        if (strcmp(a->stacks[i].artifact_id, id) == 0)
            return (int)i;
    return -1;
}

/* --- the schema package's fixtures --- */

TEST(assembly_schema_fixtures)
{
    static const struct {
        const char *name;
        const char *refusal; /* NULL: loads */
    } cases[] = {
        { "only-version", NULL },
        { "unknown-property", NULL },        /* unknown top-level fields are ignored */
        { "high-version", NULL },            /* newer schemas load: only used fields matter */
        { "invalid-artifact-type", NULL },   /* unknown artifact types are ignored */
        { "invalid-nested-property", NULL }, /* runtime is not read */
        { "invalid-version", "'version' must be the schema version" },
        { "high-version-with-cli", "manifest.json:4:1:" }, /* trailing comma */
        { "random-metadata", "'properties' must be an object with at least templateFile" },
        { "with-stack-tags", "'properties' must be an object with at least templateFile" },
    };
    const char *data = al_test_data_dir();
    char dir[4096];
    struct stat st;
    int seen = 0;

    if (!data) {
        al_test_skip("no shared test data (set AIRLOCK_TESTDATA)");
        return;
    }
    snprintf(dir, sizeof(dir), "%s/cloud-assembly-schema/test/fixtures", data);
    if (stat(dir, &st) != 0) {
        al_test_skip("cloud-assembly-schema fixtures are absent");
        return;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct al_assembly a;
        char path[4200];
        int rc;
        snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
        if (stat(path, &st) != 0)
            continue;
        seen++;
        al_error_clear();
        rc = al_assembly_load(path, &a);
        if (!cases[i].refusal && rc != 0)
            al_test_fail(
              __FILE__, __LINE__, "%s: refused: %s", cases[i].name, al_error_last()->msg);
        if (cases[i].refusal && (rc == 0 || al_error_last()->code != AL_ERR_USAGE ||
                                 !strstr(al_error_last()->msg, cases[i].refusal)))
            al_test_fail(__FILE__,
                         __LINE__,
                         "%s: expected a refusal with '%s', got rc %d: %s",
                         cases[i].name,
                         cases[i].refusal,
                         rc,
                         al_error_last()->msg);
        if (rc == 0 && a.n_stacks != 0)
            al_test_fail(__FILE__, __LINE__, "%s: %zu stacks", cases[i].name, a.n_stacks);
        al_assembly_clean_up(&a);
    }
    ASSERT(seen >= 8);
}

/* --- a manifest shaped as aws-cdk-lib 2.x writes it --- */

TEST(assembly_reads_stack_and_asset_fields)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    const struct al_asm_stack *st;
    const struct al_asm_file_asset *as;

    s_put(dir, "Web.template.json", "{}");
    s_put(dir, "asset.abc/index.js", "exports.handler = 1;");
    s_put(dir,
          "Web.assets.json",
          "{'version': '55.0.0', 'files': {"
          " 'abc': {'displayName': 'Fn/Code', 'source': {'path': 'asset.abc', 'packaging': 'zip'},"
          "  'destinations': {'d1': {'bucketName': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::"
          "Region}', 'objectKey': 'abc.zip', 'assumeRoleArn': 'arn:${AWS::Partition}:iam::${AWS::"
          "AccountId}:role/pub', 'assumeRoleExternalId': 'ext'}}},"
          " 'tpl': {'source': {'path': 'Web.template.json', 'packaging': 'file'},"
          "  'destinations': {'d1': {'bucketName': 'bkt', 'objectKey': 'tpl.json', 'region': "
          "'eu-west-1', 'newField': 1}}}},"
          " 'dockerImages': {}, 'futureField': true}");
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'minimumCliVersion': '2.1000.0', 'futureTop': {'x': 1},"
          " 'artifacts': {"
          "  'Web.assets': {'type': 'cdk:asset-manifest', 'properties': {'file': "
          "'Web.assets.json', 'requiresBootstrapStackVersion': 6, "
          "'bootstrapStackVersionSsmParameter': '/cdk-bootstrap/hnb659fds/version'}},"
          "  'Web': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "',"
          "   'properties': {'templateFile': 'Web.template.json', 'stackName': 'web-prod',"
          "    'terminationProtection': true, 'parameters': {'P': 'v'}, 'tags': {'team': 'a'},"
          "    'notificationArns': ['arn:aws:sns:eu-west-1:123456789012:t'],"
          "    'assumeRoleArn': 'arn:${AWS::Partition}:iam::123456789012:role/deploy',"
          "    'assumeRoleExternalId': 'xid',"
          "    'cloudFormationExecutionRoleArn': 'arn:${AWS::Partition}:iam::123456789012:role/"
          "exec',"
          "    'stackTemplateAssetObjectUrl': 's3://bkt/tpl.json',"
          "    'requiresBootstrapStackVersion': 6,"
          "    'bootstrapStackVersionSsmParameter': '/cdk-bootstrap/hnb659fds/version',"
          "    'lookupRole': {'arn': 'x'}, 'validateOnSynth': false, 'newProp': [1]},"
          "   'dependencies': ['Web.assets'], 'displayName': 'Web', 'newField': {}},"
          "  'Tree': {'type': 'cdk:tree', 'properties': {'file': 'tree.json'}},"
          "  'aws-cdk-lib/feature-flag-report': {'type': 'cdk:feature-flag-report',"
          "   'properties': {'module': 'aws-cdk-lib', 'flags': {}}}}}");
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_STR_EQ(a.version, "55.0.0");
    ASSERT_INT_EQ(a.n_stacks, 1);
    ASSERT_INT_EQ(a.n_assets, 2);
    st = &a.stacks[0];
    ASSERT_STR_EQ(st->artifact_id, "Web");
    ASSERT_STR_EQ(st->stack_name, "web-prod");
    ASSERT_STR_EQ(st->display_name, "Web");
    ASSERT_STR_EQ(st->account, "123456789012");
    ASSERT_STR_EQ(st->region, "eu-west-1");
    ASSERT(!st->env_agnostic);
    ASSERT(st->termination_protection);
    ASSERT(al_str_suffix(st->template_path, "/Web.template.json") && st->template_path[0] == '/');
    ASSERT_STR_EQ(json_string_value(json_object_get(st->parameters, "P")), "v");
    ASSERT_STR_EQ(json_string_value(json_object_get(st->tags, "team")), "a");
    ASSERT_INT_EQ(st->notification_arns.len, 1);
    ASSERT_STR_EQ(st->assume_role_external_id, "xid");
    ASSERT_STR_EQ(st->template_object_url, "s3://bkt/tpl.json");
    ASSERT_INT_EQ(st->requires_bootstrap_version, 6);
    ASSERT_STR_EQ(st->bootstrap_version_ssm_param, "/cdk-bootstrap/hnb659fds/version");
    ASSERT_INT_EQ(st->dependencies.len, 0); /* the asset manifest is not a stack */
    ASSERT_INT_EQ(st->n_assets, 2);
    ASSERT(st->unsupported == NULL);
    as = &a.assets[st->asset_idx[0]];
    ASSERT_STR_EQ(as->id, "abc");
    ASSERT_STR_EQ(as->display_name, "Fn/Code");
    ASSERT_STR_EQ(as->manifest_id, "Web.assets");
    ASSERT(as->zip);
    ASSERT(al_str_suffix(as->source_path, "/asset.abc"));
    ASSERT_INT_EQ(as->requires_bootstrap_version, 6);
    ASSERT_INT_EQ(as->n_dests, 1);
    ASSERT(as->dests[0].region == NULL);
    ASSERT_STR_EQ(as->dests[0].external_id, "ext");
    ASSERT(!a.assets[st->asset_idx[1]].zip);
    ASSERT_STR_EQ(a.assets[st->asset_idx[1]].dests[0].region, "eu-west-1");

    /* Resolving substitutes the placeholders; the asset takes the stack's region. */
    ASSERT_OK(al_assembly_resolve(&a, "999988887777", "us-east-1", NULL));
    ASSERT_STR_EQ(st->assume_role_arn, "arn:aws:iam::123456789012:role/deploy");
    ASSERT_STR_EQ(st->cfn_exec_role_arn, "arn:aws:iam::123456789012:role/exec");
    ASSERT_STR_EQ(as->dests[0].region, "eu-west-1");
    ASSERT_STR_EQ(as->dests[0].bucket, "cdk-hnb659fds-assets-999988887777-eu-west-1");
    ASSERT_STR_EQ(as->dests[0].assume_role_arn, "arn:aws:iam::999988887777:role/pub");
    al_assembly_clean_up(&a);
    al_assembly_clean_up(&a); /* idempotent */
    s_rm_rf(dir);
    free(dir);
}

/* --- order --- */

TEST(assembly_diamond_dependency_order)
{
    char *dir = al_test_tmpdir();
    struct al_buf arts;
    struct al_assembly a;

    al_buf_init(&arts, 1 << 16);
    /* Written in reverse so the order must come from the dependencies. */
    s_stack(&arts, dir, "D", "'B', 'C'");
    s_stack(&arts, dir, "C", "'A'");
    s_stack(&arts, dir, "B", "'A'");
    s_stack(&arts, dir, "A", "");
    s_manifest(dir, &arts);
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(a.n_stacks, 4);
    ASSERT_INT_EQ(s_pos(&a, "A"), 0);
    ASSERT_INT_EQ(s_pos(&a, "D"), 3);
    /* Between equals the manifest order stays: C before B. */
    ASSERT_INT_EQ(s_pos(&a, "C"), 1);
    ASSERT_INT_EQ(s_pos(&a, "B"), 2);
    /* Indexes are remapped to the sorted order. */
    ASSERT_INT_EQ(a.stacks[3].dependencies.len, 2);
    for (size_t j = 0; j < 2; j++)
        ASSERT_STR_EQ(a.stacks[a.stacks[3].dep_idx[j]].artifact_id,
                      a.stacks[3].dependencies.items[j]);
    al_assembly_clean_up(&a);
    al_buf_clean_up(&arts);
    s_rm_rf(dir);
    free(dir);
}

TEST(assembly_cycle_refused_naming_it)
{
    char *dir = al_test_tmpdir();
    struct al_buf arts;
    struct al_assembly a;

    al_buf_init(&arts, 1 << 16);
    s_stack(&arts, dir, "Free", "");
    s_stack(&arts, dir, "A", "'B'");
    s_stack(&arts, dir, "B", "'C'");
    s_stack(&arts, dir, "C", "'A', 'Free'");
    s_manifest(dir, &arts);
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "cycle");
    ASSERT_CONTAINS(al_error_last()->msg, "A -> B -> C -> A");
    ASSERT_INT_EQ(a.n_stacks, 0); /* left empty */

    /* A stack depending on itself. */
    al_buf_reset(&arts);
    s_stack(&arts, dir, "Self", "'Self'");
    s_manifest(dir, &arts);
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_CONTAINS(al_error_last()->msg, "depends on itself");
    al_buf_clean_up(&arts);
    s_rm_rf(dir);
    free(dir);
}

/* --- refusals --- */

TEST(assembly_missing_context_refused)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'missing': ["
          " {'key': 'availability-zones:account=123456789012:region=eu-west-1', 'provider': "
          "'availability-zones', 'props': {}},"
          " {'key': 'vpc-provider:account=123456789012:filter.isDefault=true', 'provider': "
          "'vpc-provider', 'props': {}}], 'artifacts': {}}");
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg,
                    "availability-zones:account=123456789012:region=eu-west-1");
    ASSERT_CONTAINS(al_error_last()->msg,
                    "vpc-provider:account=123456789012:filter.isDefault=true");
    ASSERT_CONTAINS(al_error_last()->msg, "cdk synth");
    ASSERT_CONTAINS(al_error_last()->msg, "credentials");
    ASSERT_CONTAINS(al_error_last()->msg, "cdk.context.json");
    /* An empty list is a complete assembly. */
    s_put(dir, "manifest.json", "{'version': '55.0.0', 'missing': []}");
    ASSERT_OK(al_assembly_load(dir, &a));
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

/* An asset manifest for stack "Img" holding docker images, or an executable file source. */
static void s_unsupported_assembly(const char *dir, const char *assets_json)
{
    struct al_buf arts;
    al_buf_init(&arts, 1 << 16);
    s_put(dir, "Img.assets.json", assets_json);
    s_stack(&arts, dir, "Base", "");
    s_stack(&arts, dir, "Img", "'Img.assets', 'Base'");
    s_stack(&arts, dir, "Top", "'Img'");
    al_buf_puts(&arts,
                ", 'Img.assets': {'type': 'cdk:asset-manifest', 'properties': {'file': "
                "'Img.assets.json'}}");
    s_manifest(dir, &arts);
    al_buf_clean_up(&arts);
}

TEST(assembly_docker_image_asset_refused_naming_it)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    struct al_strv globs;
    size_t *order = NULL, n = 0;

    al_strv_init(&globs);
    s_unsupported_assembly(dir,
                           "{'version': '55.0.0', 'files': {}, 'dockerImages': {'d0cker1d': {"
                           "'displayName': 'Service/Image', 'source': {'directory': 'asset.d'},"
                           "'destinations': {'x': {'repositoryName': 'r', 'imageTag': 't'}}}}}");
    /* The assembly loads; the stack that needs the image cannot be selected. */
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT(a.stacks[s_pos(&a, "Img")].unsupported != NULL);
    ASSERT(a.stacks[s_pos(&a, "Base")].unsupported == NULL);
    ASSERT_FAILS(al_assembly_select(&a, NULL, false, &order, &n));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "stack 'Img'");
    ASSERT_CONTAINS(al_error_last()->msg, "docker image assets 'd0cker1d' (Service/Image)");
    ASSERT_CONTAINS(al_error_last()->msg, "cdk deploy");
    ASSERT(order == NULL);
    /* Top depends on Img, so it is refused too unless exclusively. */
    ASSERT_OK(al_strv_push(&globs, "Top"));
    ASSERT_FAILS(al_assembly_select(&a, &globs, false, &order, &n));
    ASSERT_OK(al_assembly_select(&a, &globs, true, &order, &n));
    ASSERT_INT_EQ(n, 1);
    free(order);
    al_strv_clean_up(&globs);
    ASSERT_OK(al_strv_push(&globs, "Base"));
    ASSERT_OK(al_assembly_select(&a, &globs, false, &order, &n));
    ASSERT_INT_EQ(n, 1);
    free(order);
    al_strv_clean_up(&globs);
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

TEST(assembly_executable_source_refused)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    size_t *order = NULL, n = 0;

    s_unsupported_assembly(dir,
                           "{'version': '55.0.0', 'files': {'bu1lt': {'displayName': 'Built',"
                           " 'source': {'executable': ['sh', '-c', 'make bundle']},"
                           " 'destinations': {'x': {'bucketName': 'b', 'objectKey': 'k'}}}}}");
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(a.n_assets, 0);
    ASSERT_FAILS(al_assembly_select(&a, NULL, false, &order, &n));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "'bu1lt' (Built)");
    ASSERT_CONTAINS(al_error_last()->msg, "executable");
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

TEST(assembly_legacy_metadata_and_stack_tags)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    const struct al_asm_stack *st;

    s_put(dir, "Old.template.json", "{}");
    s_put(dir, "New.template.json", "{}");
    s_put(dir,
          "New.metadata.json",
          "{'/New': [{'type': 'aws:cdk:stack-tags', 'data': [{'Key': 'k', 'Value': 'v'}]},"
          " {'type': 'aws:cdk:logicalId', 'data': 'X'}], '/New/Other': 7}");
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'artifacts': {"
          " 'Old': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "',"
          "  'properties': {'templateFile': 'Old.template.json'},"
          "  'metadata': {'/Old/Img': [{'type': 'aws:cdk:asset', 'data': {'id': 'img1',"
          "   'packaging': 'container-image', 'path': 'p', 'sourceHash': 'h'}, 'trace': ['t']},"
          "   {'type': 'random-number', 'data': 42}]}},"
          " 'New': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "',"
          "  'properties': {'templateFile': 'New.template.json'},"
          "  'additionalMetadataFile': 'New.metadata.json'}}}");
    ASSERT_OK(al_assembly_load(dir, &a));
    st = al_assembly_find_stack(&a, "Old");
    ASSERT(st != NULL);
    ASSERT_CONTAINS(st->unsupported, "legacy asset metadata (docker image asset 'img1'");
    ASSERT_CONTAINS(st->unsupported, "DefaultStackSynthesizer");
    st = al_assembly_find_stack(&a, "New");
    ASSERT(st->unsupported == NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(st->tags, "k")), "v");
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

/* --- nesting and selection --- */

TEST(assembly_nested_assembly)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    struct al_strv globs;
    size_t *order = NULL, n = 0;
    const struct al_asm_stack *st;

    al_strv_init(&globs);
    s_put(dir, "Shared.template.json", "{}");
    s_put(dir, "assembly-Prod/ProdApi.template.json", "{}");
    s_put(dir, "assembly-Prod/asset.f1/a.txt", "x");
    s_put(dir,
          "assembly-Prod/ProdApi.assets.json",
          "{'version': '55.0.0', 'files': {'f1': {'source': {'path': 'asset.f1', 'packaging': "
          "'zip'}, 'destinations': {'d': {'bucketName': 'b', 'objectKey': 'f1.zip'}}}}}");
    s_put(dir,
          "assembly-Prod/manifest.json",
          "{'version': '55.0.0', 'artifacts': {"
          " 'ProdApi.assets': {'type': 'cdk:asset-manifest', 'properties': {'file': "
          "'ProdApi.assets.json'}},"
          " 'ProdApi': {'type': 'aws:cloudformation:stack', 'environment': "
          "'aws://123456789012/us-west-2', 'displayName': 'Prod/Api',"
          "  'properties': {'templateFile': 'ProdApi.template.json', 'stackName': 'Prod-Api'},"
          "  'dependencies': ['ProdApi.assets']}}}");
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'artifacts': {"
          " 'Shared': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "',"
          "  'properties': {'templateFile': 'Shared.template.json'}},"
          " 'assembly-Prod': {'type': 'cdk:cloud-assembly', 'properties': {'directoryName': "
          "'assembly-Prod', 'displayName': 'Prod'}}}}");
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(a.n_stacks, 2);
    st = al_assembly_find_stack(&a, "ProdApi");
    ASSERT(st != NULL);
    ASSERT_STR_EQ(st->display_name, "Prod/Api");
    ASSERT_STR_EQ(st->region, "us-west-2");
    ASSERT(al_str_suffix(st->template_path, "/assembly-Prod/ProdApi.template.json"));
    ASSERT_INT_EQ(st->n_assets, 1);
    ASSERT(al_str_suffix(a.assets[st->asset_idx[0]].source_path, "/assembly-Prod/asset.f1"));

    /* "Api" does not reach into the stage; a glob with the stage and the stack name do. */
    ASSERT_OK(al_strv_push(&globs, "Api"));
    ASSERT_FAILS(al_assembly_select(&a, &globs, false, &order, &n));
    ASSERT_CONTAINS(al_error_last()->msg, "'Api' matches no stack");
    ASSERT_CONTAINS(al_error_last()->msg, "Prod/Api");
    al_strv_clean_up(&globs);
    ASSERT_OK(al_strv_push(&globs, "Prod/*"));
    ASSERT_OK(al_assembly_select(&a, &globs, false, &order, &n));
    ASSERT_INT_EQ(n, 1);
    ASSERT_STR_EQ(a.stacks[order[0]].artifact_id, "ProdApi");
    free(order);
    al_strv_clean_up(&globs);
    ASSERT_OK(al_strv_push(&globs, "Prod-Api"));
    ASSERT_OK(al_assembly_select(&a, &globs, false, &order, &n));
    ASSERT_INT_EQ(n, 1);
    free(order);
    al_strv_clean_up(&globs);
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

/* Selected artifact ids in order, joined with ','. */
static void s_selected(const struct al_assembly *a,
                       const char *globs_text,
                       bool exclusively,
                       char *out,
                       size_t cap)
{
    struct al_strv globs;
    size_t *order = NULL, n = 0;
    struct al_buf b;
    al_strv_init(&globs);
    al_buf_init(&b, cap);
    if (globs_text)
        al_strv_split_list(&globs, globs_text);
    if (al_assembly_select(a, &globs, exclusively, &order, &n) == 0)
        for (size_t i = 0; i < n; i++)
            al_buf_printf(&b, "%s%s", i ? "," : "", a->stacks[order[i]].artifact_id);
    else
        al_buf_puts(&b, "ERROR");
    snprintf(out, cap, "%s", al_buf_str(&b));
    free(order);
    al_buf_clean_up(&b);
    al_strv_clean_up(&globs);
}

TEST(assembly_select_globs_and_exclusively)
{
    char *dir = al_test_tmpdir();
    struct al_buf arts;
    struct al_assembly a;
    char got[512];

    al_buf_init(&arts, 1 << 16);
    s_stack(&arts, dir, "App-Worker", "'App-Api'");
    s_stack(&arts, dir, "App-Api", "'App-Frontend'");
    s_stack(&arts, dir, "App-Frontend", "");
    s_stack(&arts, dir, "Other", "");
    s_manifest(dir, &arts);
    ASSERT_OK(al_assembly_load(dir, &a));

    s_selected(&a, NULL, false, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Frontend,App-Api,App-Worker,Other");
    s_selected(&a, "*-Api", false, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Frontend,App-Api");
    s_selected(&a, "*-Api", true, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Api");
    s_selected(&a, "App-Worker", false, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Frontend,App-Api,App-Worker");
    s_selected(&a, "App-Worker", true, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Worker");
    s_selected(&a, "Other, App-Fr*", true, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Frontend,Other");
    s_selected(&a, "App-*", true, got, sizeof(got));
    ASSERT_STR_EQ(got, "App-Frontend,App-Api,App-Worker");
    s_selected(&a, "Nope*", false, got, sizeof(got));
    ASSERT_STR_EQ(got, "ERROR");
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "'Nope*' matches no stack");
    ASSERT_CONTAINS(al_error_last()->msg, "App-Frontend");
    al_assembly_clean_up(&a);

    /* An assembly without stacks has nothing to select. */
    s_put(dir, "manifest.json", "{'version': '55.0.0'}");
    ASSERT_OK(al_assembly_load(dir, &a));
    s_selected(&a, NULL, false, got, sizeof(got));
    ASSERT_STR_EQ(got, "ERROR");
    ASSERT_CONTAINS(al_error_last()->msg, "holds no stacks");
    al_assembly_clean_up(&a);
    al_buf_clean_up(&arts);
    s_rm_rf(dir);
    free(dir);
}

/* --- environments and substitution --- */

TEST(assembly_unknown_account_and_region)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;
    const struct al_asm_stack *st;
    const struct al_asm_dest *d;

    s_put(dir, "Any.template.json", "{}");
    s_put(dir, "f.txt", "x");
    s_put(dir,
          "Any.assets.json",
          "{'version': '55.0.0', 'files': {'f': {'source': {'path': 'f.txt'}, 'destinations': "
          "{'current_account-current_region': {'bucketName': "
          "'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}', 'objectKey': 'f.txt',"
          " 'assumeRoleArn': "
          "'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${"
          "AWS::AccountId}-${AWS::Region}'}}}}}");
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'artifacts': {"
          " 'Any.assets': {'type': 'cdk:asset-manifest', 'properties': {'file': "
          "'Any.assets.json'}},"
          " 'Any': {'type': 'aws:cloudformation:stack', 'environment': "
          "'aws://unknown-account/unknown-region', 'dependencies': ['Any.assets'],"
          "  'properties': {'templateFile': 'Any.template.json', 'assumeRoleArn': "
          "'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::"
          "AccountId}-${AWS::Region}', 'stackTemplateAssetObjectUrl': "
          "'s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/t.json'}}}}");
    ASSERT_OK(al_assembly_load(dir, &a));
    st = &a.stacks[0];
    ASSERT(st->env_agnostic);
    ASSERT(st->account == NULL && st->region == NULL);
    /* Without an account from the credentials it cannot be resolved. */
    ASSERT_FAILS(al_assembly_resolve(&a, NULL, "cn-north-1", NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "unknown-account");
    al_assembly_clean_up(&a);

    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_OK(al_assembly_resolve(&a, "111122223333", "cn-north-1", NULL));
    st = &a.stacks[0];
    ASSERT_STR_EQ(st->account, "111122223333");
    ASSERT_STR_EQ(st->region, "cn-north-1");
    ASSERT_STR_EQ(st->assume_role_arn,
                  "arn:aws-cn:iam::111122223333:role/cdk-hnb659fds-deploy-role-111122223333-cn-"
                  "north-1");
    ASSERT_STR_EQ(st->template_object_url,
                  "s3://cdk-hnb659fds-assets-111122223333-cn-north-1/t.json");
    d = &a.assets[0].dests[0];
    ASSERT_STR_EQ(d->region, "cn-north-1");
    ASSERT_STR_EQ(d->bucket, "cdk-hnb659fds-assets-111122223333-cn-north-1");
    ASSERT_STR_EQ(d->assume_role_arn,
                  "arn:aws-cn:iam::111122223333:role/"
                  "cdk-hnb659fds-file-publishing-role-111122223333-cn-north-1");
    al_assembly_clean_up(&a);

    /* An explicit partition wins over the region's. */
    ASSERT_OK(al_assembly_load(dir, &a));
    ASSERT_OK(al_assembly_resolve(&a, "111122223333", "us-east-1", "aws-test"));
    ASSERT_CONTAINS(a.stacks[0].assume_role_arn, "arn:aws-test:iam::");
    al_assembly_clean_up(&a);
    s_rm_rf(dir);
    free(dir);
}

TEST(assembly_substitute_placeholders)
{
    char *s = strdup("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x-${AWS::AccountId}-${"
                     "AWS::Region}.${AWS::URLSuffix}");
    char *none = NULL;
    ASSERT_OK(al_assembly_substitute(&s, "123456789012", "ap-northeast-1", "aws"));
    ASSERT_STR_EQ(s,
                  "arn:aws:iam::123456789012:role/x-123456789012-ap-northeast-1.${AWS::URLSuffix}");
    ASSERT_OK(al_assembly_substitute(&none, "a", "r", "p"));
    ASSERT(none == NULL);
    free(s);
    s = strdup("${AWS::Region}");
    ASSERT_FAILS(al_assembly_substitute(&s, "1", NULL, "aws"));
    ASSERT_CONTAINS(al_error_last()->msg, "${AWS::Region}");
    ASSERT_STR_EQ(s, "${AWS::Region}"); /* unchanged on failure */
    free(s);
    s = strdup("${AWS::Region");
    ASSERT_OK(al_assembly_substitute(&s, "1", "r", "p"));
    ASSERT_STR_EQ(s, "${AWS::Region");
    free(s);
    ASSERT_STR_EQ(al_assembly_partition("eu-west-1"), "aws");
    ASSERT_STR_EQ(al_assembly_partition("cn-northwest-1"), "aws-cn");
    ASSERT_STR_EQ(al_assembly_partition("us-gov-west-1"), "aws-us-gov");
    ASSERT_STR_EQ(al_assembly_partition("us-iso-east-1"), "aws-iso");
    ASSERT_STR_EQ(al_assembly_partition("us-isob-east-1"), "aws-iso-b");
    ASSERT_STR_EQ(al_assembly_partition(NULL), "aws");
}

/* Region and bucket become part of request URLs: checked once substituted. */
TEST(assembly_resolve_checks_regions_and_buckets)
{
    static const struct {
        const char *dest, *url, *refusal;
    } cases[] = {
        { "'bucketName': 'bkt', 'objectKey': 'k', 'region': 'evil.example/x'",
          "s3://bkt/k",
          "region 'evil.example/x' is not a region name" },
        { "'bucketName': 'bkt/../x', 'objectKey': 'k'",
          "s3://bkt/k",
          "'bkt/../x' is not an S3 bucket name" },
        { "'bucketName': 'b-${AWS::AccountId}', 'objectKey': 'k'",
          "s3://b@evil/k",
          "is not s3://BUCKET/KEY" },
        { "'bucketName': 'bkt', 'objectKey': 'k', 'region': '${AWS::Region}'", "s3://bkt/k", NULL },
    };
    char *dir = al_test_tmpdir();
    int bad = 0;

    s_put(dir, "S.template.json", "{}");
    s_put(dir, "f.txt", "x");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct al_buf m;
        struct al_assembly a;
        int rc;
        al_buf_init(&m, 1 << 16);
        al_buf_printf(
          &m,
          "{'files': {'f': {'source': {'path': 'f.txt'}, 'destinations': {'d': {%s}}}}}",
          cases[i].dest);
        s_put(dir, "S.assets.json", m.data);
        al_buf_reset(&m);
        al_buf_printf(&m,
                      "{'version': '55.0.0', 'artifacts': {"
                      " 'S.assets': {'type': 'cdk:asset-manifest', 'properties': {'file': "
                      "'S.assets.json'}},"
                      " 'S': {'type': 'aws:cloudformation:stack', 'environment': '" ENV "',"
                      " 'dependencies': ['S.assets'], 'properties': {'templateFile': "
                      "'S.template.json', 'stackTemplateAssetObjectUrl': '%s'}}}}",
                      cases[i].url);
        s_put(dir, "manifest.json", m.data);
        al_buf_clean_up(&m);
        if (al_assembly_load(dir, &a)) {
            al_test_fail(__FILE__, __LINE__, "case %zu: %s", i, al_error_last()->msg);
            bad++;
            continue;
        }
        al_error_clear();
        rc = al_assembly_resolve(&a, "123456789012", "eu-west-1", NULL);
        if (cases[i].refusal ? rc == 0 || al_error_last()->code != AL_ERR_USAGE ||
                                 !strstr(al_error_last()->msg, cases[i].refusal)
                             : rc != 0) {
            al_test_fail(__FILE__, __LINE__, "case %zu: rc %d: %s", i, rc, al_error_last()->msg);
            bad++;
        }
        if (!cases[i].refusal && rc == 0 && strcmp(a.assets[0].dests[0].region, "eu-west-1") != 0) {
            al_test_fail(__FILE__, __LINE__, "case %zu: region %s", i, a.assets[0].dests[0].region);
            bad++;
        }
        al_assembly_clean_up(&a);
    }
    ASSERT(bad == 0);
    s_rm_rf(dir);
    free(dir);
}

/* --- malformed and wrong input --- */

TEST(assembly_malformed_json_names_file_line_column)
{
    char *dir = al_test_tmpdir();
    struct al_assembly a;

    s_put(dir, "manifest.json", "{\n  'version': '55.0.0',\n  'artifacts': {,}\n}\n");
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "/manifest.json:3:");
    /* A malformed asset manifest names its own file. */
    s_put(dir, "X.assets.json", "{'files': [}");
    s_put(dir,
          "manifest.json",
          "{'version': '55.0.0', 'artifacts': {'X.assets': {'type': 'cdk:asset-manifest', "
          "'properties': {'file': 'X.assets.json'}}}}");
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_CONTAINS(al_error_last()->msg, "/X.assets.json:1:");
    /* Not JSON at all, and not an object. */
    s_put(dir, "manifest.json", "version: 1\n");
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_CONTAINS(al_error_last()->msg, "manifest.json:1:");
    s_put(dir, "manifest.json", "[1]");
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_CONTAINS(al_error_last()->msg, "must be a JSON object");
    /* No manifest: not an assembly. */
    {
        char path[4200];
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        unlink(path);
    }
    ASSERT_FAILS(al_assembly_load(dir, &a));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "not a cloud assembly");
    ASSERT_FAILS(al_assembly_load("/nonexistent/cdk.out", &a));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "cdk synth");
    s_rm_rf(dir);
    free(dir);
}

TEST(assembly_wrong_types_and_fields_refused)
{
    /* Each: one stack artifact "S" (its properties and extras spliced in) and the refusal. */
    static const struct {
        const char *artifact; /* the JSON of artifact S */
        const char *refusal;
    } cases[] = {
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 7}}",
          "'templateFile' must be a string, not a number" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "'}",
          "'properties' must be an object" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': {}}",
          "required field 'templateFile' is missing" },
        { "{'type': 'aws:cloudformation:stack', 'environment': 'aws://123/eu-west-1', "
          "'properties': {'templateFile': 'S.template.json'}}",
          "no 12-digit account" },
        { "{'type': 'aws:cloudformation:stack', 'environment': 'aws://123456789012/EU_WEST', "
          "'properties': {'templateFile': 'S.template.json'}}",
          "no valid region" },
        { "{'type': 'aws:cloudformation:stack', 'environment': 'gcp://x/y', "
          "'properties': {'templateFile': 'S.template.json'}}",
          "is not aws://ACCOUNT/REGION" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'tags': {'a': 1}}}",
          "'tags.a' must be a string, not a number" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'parameters': []}}",
          "'parameters' must be an object of strings, not an array" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'notificationArns': 'arn'}}",
          "'notificationArns' must be an array of strings" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'terminationProtection': 'yes'}}",
          "'terminationProtection' must be a boolean" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'requiresBootstrapStackVersion': -1}}",
          "'requiresBootstrapStackVersion' must be a non-negative integer" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'stackName': 'bad name!'}}",
          "is not a valid CloudFormation name" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json', 'stackTemplateAssetObjectUrl': 'https://x'}}",
          "is not an s3:// URL" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json'}, 'dependencies': 'A'}",
          "'dependencies' must be an array of strings" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'S.template.json'}, 'dependencies': ['Ghost']}",
          "depends on 'Ghost', which is not an artifact" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': '../outside.json'}}",
          "leads outside the assembly directory" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': '/etc/hostname'}}",
          "is an absolute path" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'gone.json'}}",
          "cannot be read" },
        { "{'type': 'aws:cloudformation:stack', 'environment': '" ENV "', 'properties': "
          "{'templateFile': 'sub'}}",
          "must be a regular file" },
        { "{'type': 7}", "'type' must be a string" },
        { "[]", "must be an object, not an array" },
        { "{'type': 'cdk:asset-manifest', 'properties': {'file': 'S.assets.json'}}",
          "'destinations' must be a non-empty object" },
        { "{'type': 'cdk:asset-manifest', 'properties': {'file': 'T.assets.json'}}",
          "required field 'bucketName' is missing" },
        { "{'type': 'cdk:asset-manifest', 'properties': {'file': 'U.assets.json'}}",
          "must be a directory" },
        { "{'type': 'cdk:asset-manifest', 'properties': {}}", "required field 'file'" },
        { "{'type': 'cdk:cloud-assembly', 'properties': {'directoryName': 'sub'}}",
          "has no manifest.json" },
    };
    /* The assembly is base/asm, so "../outside.json" exists but lies outside. */
    char *base = al_test_tmpdir();
    char dir[4200];
    int bad = 0;

    snprintf(dir, sizeof(dir), "%s/asm", base);
    mkdir(dir, 0755);
    s_put(base, "outside.json", "{}");

    s_put(dir, "S.template.json", "{}");
    s_put(dir, "sub/x", "");
    s_put(dir, "file.txt", "x");
    s_put(dir, "S.assets.json", "{'files': {'a': {'source': {'path': 'file.txt'}}}}");
    s_put(dir,
          "T.assets.json",
          "{'files': {'a': {'source': {'path': 'file.txt'}, 'destinations': {'d': "
          "{'objectKey': 'k'}}}}}");
    s_put(dir,
          "U.assets.json",
          "{'files': {'a': {'source': {'path': 'file.txt', 'packaging': 'zip'}, 'destinations': "
          "{'d': {'bucketName': 'b', 'objectKey': 'k'}}}}}");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct al_buf m;
        struct al_assembly a;
        int rc;
        al_buf_init(&m, 1 << 16);
        al_buf_printf(&m, "{'version': '55.0.0', 'artifacts': {'S': %s}}", cases[i].artifact);
        s_put(dir, "manifest.json", m.data);
        al_buf_clean_up(&m);
        al_error_clear();
        rc = al_assembly_load(dir, &a);
        if (rc == 0 || al_error_last()->code != AL_ERR_USAGE ||
            !strstr(al_error_last()->msg, cases[i].refusal)) {
            al_test_fail(__FILE__,
                         __LINE__,
                         "case %zu: expected a refusal with '%s', got rc %d: %s",
                         i,
                         cases[i].refusal,
                         rc,
                         al_error_last()->msg);
            bad++;
        }
        al_assembly_clean_up(&a);
    }
    /* Manifest-level types. */
    {
        static const struct {
            const char *manifest, *refusal;
        } top[] = {
            { "{'version': 55}", "'version' must be the schema version" },
            { "{'version': '55.0.0', 'artifacts': []}", "'artifacts' must be an object" },
            { "{'version': '55.0.0', 'missing': {}}", "'missing' must be an array" },
        };
        for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
            struct al_assembly a;
            s_put(dir, "manifest.json", top[i].manifest);
            if (al_assembly_load(dir, &a) == 0 || !strstr(al_error_last()->msg, top[i].refusal)) {
                al_test_fail(__FILE__, __LINE__, "top %zu: %s", i, al_error_last()->msg);
                bad++;
            }
            al_assembly_clean_up(&a);
        }
    }
    /* The same stack id in two nested manifests. */
    {
        struct al_assembly a;
        s_put(dir, "n/S.template.json", "{}");
        s_put(dir,
              "n/manifest.json",
              "{'version': '1.0.0', 'artifacts': {'S': {'type': 'aws:cloudformation:stack', "
              "'environment': '" ENV "', 'properties': {'templateFile': 'S.template.json'}}}}");
        s_put(dir,
              "manifest.json",
              "{'version': '1.0.0', 'artifacts': {'S': {'type': 'aws:cloudformation:stack', "
              "'environment': '" ENV "', 'properties': {'templateFile': 'S.template.json'}},"
              " 'N': {'type': 'cdk:cloud-assembly', 'properties': {'directoryName': 'n'}}}}");
        if (al_assembly_load(dir, &a) == 0 || !strstr(al_error_last()->msg, "appears twice")) {
            al_test_fail(__FILE__, __LINE__, "duplicate id: %s", al_error_last()->msg);
            bad++;
        }
        al_assembly_clean_up(&a);
    }
    ASSERT(bad == 0);
    s_rm_rf(base);
    free(base);
}
