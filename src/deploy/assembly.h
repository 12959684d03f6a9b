/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CDK cloud assembly (`cdk.out`, written by `cdk synth`): manifest.json
 * with its nested assemblies (`cdk:cloud-assembly`), stack artifacts
 * (`aws:cloudformation:stack`) and asset manifests (`cdk:asset-manifest`,
 * `*.assets.json` with file assets). An assembly is untrusted input: every
 * file read is size-capped, every field airlock uses is type-checked, fields
 * it does not use (and artifact types it does not know, such as `cdk:tree`
 * or `cdk:feature-flag-report`) are ignored, so assemblies written by newer
 * CDK releases (schema 50+) load. Every refusal raises AL_ERR_USAGE (exit 2)
 * with the cause and the fix, before anything is sent to AWS.
 *
 * Module rule: al_assembly_load fills caller storage; everything in it is
 * owned by the assembly and freed by al_assembly_clean_up. Strings stay
 * valid until then (al_assembly_resolve replaces some of them in place).
 */
#ifndef AL_DEPLOY_ASSEMBLY_H
#define AL_DEPLOY_ASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/str.h"

/* Caps on what an assembly may hold; above them it is refused. */
#define AL_ASM_MANIFEST_MAX_BYTES (64u * 1024u * 1024u) /* manifest.json */
#define AL_ASM_ASSETS_MAX_BYTES (64u * 1024u * 1024u)   /* each *.assets.json */
#define AL_ASM_METADATA_MAX_BYTES (64u * 1024u * 1024u) /* each additionalMetadataFile */
#define AL_ASM_MAX_ARTIFACTS 10000u                     /* over all nested manifests */
#define AL_ASM_MAX_STACKS 2000u                         /* CloudFormation's per-region quota */
#define AL_ASM_MAX_ASSETS 10000u
#define AL_ASM_MAX_DESTINATIONS 64u /* per asset */
#define AL_ASM_MAX_NESTING 16       /* nested assembly depth */
#define AL_ASM_MAX_FIELD 4096u      /* bytes in one string field (ARNs are <= 2048) */

/** One S3 destination of a file asset. Strings owned by the assembly. */
struct al_asm_dest {
    char *id;              /* destination id in the asset manifest */
    char *bucket;          /* bucketName */
    char *key;             /* objectKey */
    char *region;          /* NULL when the manifest has none, until al_assembly_resolve */
    char *assume_role_arn; /* the file-publishing role, or NULL */
    char *external_id;     /* assumeRoleExternalId, or NULL */
};

/** One file asset (`files` entry of an asset manifest). Owned by the assembly. */
struct al_asm_file_asset {
    char *id;           /* the asset's key in `files` (its source hash) */
    char *display_name; /* or NULL */
    char *manifest_id;  /* artifact id of the asset manifest holding it */
    char *source_path;  /* absolute; a directory when zip, a regular file otherwise */
    bool zip;           /* packaging "zip" (directory zipped) or "file" (uploaded as is) */
    int requires_bootstrap_version;    /* from the asset-manifest artifact; 0 when absent */
    char *bootstrap_version_ssm_param; /* or NULL */
    struct al_asm_dest *dests;
    size_t n_dests;
};

/** One stack artifact. Owned by the assembly. */
struct al_asm_stack {
    char *artifact_id;   /* unique in the whole assembly */
    char *stack_name;    /* CloudFormation name (properties.stackName, else artifact id) */
    char *display_name;  /* hierarchical id, "Stage/Stack" when nested */
    char *account;       /* NULL for unknown-account, until al_assembly_resolve */
    char *region;        /* NULL for unknown-region, until al_assembly_resolve */
    bool env_agnostic;   /* the environment had unknown-account or unknown-region */
    char *template_path; /* absolute, inside the assembly directory */
    json_t *parameters;  /* object of strings, never NULL (may be empty) */
    json_t *tags;        /* object of strings, never NULL (may be empty) */
    struct al_strv notification_arns;
    bool termination_protection;
    char *assume_role_arn;             /* the deploy role, or NULL */
    char *assume_role_external_id;     /* or NULL */
    char *cfn_exec_role_arn;           /* cloudFormationExecutionRoleArn, or NULL */
    char *template_object_url;         /* stackTemplateAssetObjectUrl "s3://b/k", or NULL */
    int requires_bootstrap_version;    /* 0 when absent */
    char *bootstrap_version_ssm_param; /* or NULL */
    struct al_strv dependencies;       /* artifact ids of the stacks it depends on */
    size_t *dep_idx;                   /* the same, as indexes into al_assembly.stacks */
    size_t *asset_idx; /* indexes into al_assembly.assets of its asset manifests' assets */
    size_t n_assets;
    char *unsupported; /* NULL, or why airlock cannot deploy it (al_assembly_select refuses) */
};

/** A loaded assembly. Caller storage; pair al_assembly_load with al_assembly_clean_up. */
struct al_assembly {
    char *dir;                   /* absolute path of the top-level assembly */
    char *version;               /* manifest schema version, e.g. "55.0.0" */
    struct al_asm_stack *stacks; /* in topological order: dependencies first */
    size_t n_stacks;
    struct al_asm_file_asset *assets; /* in manifest order */
    size_t n_assets;
};

/**
 * Reads the assembly in dir: manifest.json, nested assemblies, stacks, asset
 * manifests and legacy asset metadata. Refuses (AL_ERR_USAGE, exit 2) a
 * non-empty `missing` (naming the context keys), a malformed file
 * (file:line:col), a wrong type or missing required field (naming the
 * artifact and field), a relative path leading out of the assembly or an
 * absolute one for anything but an asset source (apps synthesized without
 * asset staging point at their sources), a missing template or asset
 * source, and a dependency cycle (naming it). Stacks that need docker image assets, `executable`
 * sources or legacy (v1) asset metadata load with `unsupported` set, so an assembly can still
 * deploy its other stacks; al_assembly_select refuses them.
 * @param dir the cdk.out directory (borrowed)
 * @param out caller storage, initialised here; on failure it is left empty
 *        and al_assembly_clean_up is still safe.
 * @return 0 or -1
 */
int al_assembly_load(const char *dir, struct al_assembly *out);

/** Frees everything the assembly owns and empties it. NULL-safe, idempotent. */
void al_assembly_clean_up(struct al_assembly *a);

/**
 * Picks the stacks to deploy. A glob matches a stack's display name
 * (hierarchical id) or its CloudFormation name with al_glob_match; a glob
 * without '/' never matches inside a nested stage ("Stage/Api" needs a glob
 * with '/', such as "Stage/" followed by '*'). No globs (NULL or empty) selects every stack.
 * Dependencies of selected stacks are added unless exclusively. Refuses a glob that matches nothing
 * (listing the stacks) and a selected stack that is `unsupported`.
 * @param globs borrowed, may be NULL
 * @param order receives a new array of indexes into a->stacks in deploy
 *        order; caller frees with free(). NULL on failure.
 * @param n receives the count
 * @return 0 or -1
 */
int al_assembly_select(const struct al_assembly *a,
                       const struct al_strv *globs,
                       bool exclusively,
                       size_t **order,
                       size_t *n);

/**
 * Replaces every ${AWS::AccountId}, ${AWS::Region} and ${AWS::Partition} in
 * *s (other ${...} are kept). *s is replaced by a new heap string; NULL is
 * left as is. A placeholder whose value is NULL raises AL_ERR_USAGE.
 * @param s owned string, replaced in place (freed and reallocated)
 * @return 0 or -1 (*s unchanged)
 */
int al_assembly_substitute(char **s,
                           const char *account,
                           const char *region,
                           const char *partition);

/**
 * Fills in unknown environments and substitutes the placeholders in every
 * stack property and asset destination, as `cdk deploy` and cdk-assets do:
 * a stack's unknown account/region become `account`/`region`; its strings
 * use its own account and region. An asset destination without a region
 * gets the region of the stack owning its manifest (else `region`); its
 * ${AWS::AccountId} is `account` (the credentials' account, as cdk-assets).
 * @param account the caller's account (from STS); may be NULL only if no
 *        stack and no string needs it
 * @param region the default region; may be NULL likewise
 * @param partition "aws", "aws-cn", ...; NULL derives it from each region
 * @return 0 or -1 (AL_ERR_USAGE naming the stack or asset that cannot be resolved)
 */
int al_assembly_resolve(struct al_assembly *a,
                        const char *account,
                        const char *region,
                        const char *partition);

/** The partition of a region ("aws-cn" for cn-*, "aws-us-gov", ...). Static string. */
const char *al_assembly_partition(const char *region);

/** The stack with this artifact id, or NULL. Borrowed. */
const struct al_asm_stack *al_assembly_find_stack(const struct al_assembly *a, const char *id);

#endif
