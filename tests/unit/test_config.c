/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdlib.h>

#include "deploy/config.h"
#include "deploy/options.h"

static int s_parse(const char *text, struct al_config *c, struct al_opt_layer *l)
{
    al_opt_layer_init(l, AL_SRC_CONFIG);
    if (al_config_parse(text, strlen(text), "test.cfg", c))
        return -1;
    return al_config_to_layer(c, l);
}

TEST(config_seed_production_json_loads)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_OK(al_config_load("tests/cli/fixtures/seed-production.json", &c));
    al_opt_layer_init(&l, AL_SRC_CONFIG);
    ASSERT_OK(al_config_to_layer(&c, &l));
    ASSERT_STR_EQ(l.val[AL_OPT_ENVIRONMENT], "production");
    ASSERT_STR_EQ(l.val[AL_OPT_AWS_REGION], "ap-northeast-1");
    ASSERT_STR_EQ(l.val[AL_OPT_ACCOUNT_ID], "202633084296");
    al_opt_layer_clean_up(&l);
    al_config_clean_up(&c);
}

TEST(config_yaml_and_json_are_one_representation)
{
    struct al_config cj, cy;
    struct al_opt_layer lj, ly;
    ASSERT_OK(s_parse("{\"environment\": \"staging\", \"deploy\": {\"site-dir\": \"dist\", "
                      "\"max-concurrency\": 16, \"dry-run\": true, \"alarms\": [\"a\", \"b\"]}}",
                      &cj,
                      &lj));
    ASSERT_OK(s_parse("environment: staging\ndeploy:\n  site-dir: dist\n  max-concurrency: 16\n"
                      "  dry-run: true\n  alarms:\n    - a\n    - b\n",
                      &cy,
                      &ly));
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        if (!lj.val[i] || !ly.val[i]) {
            ASSERT(lj.val[i] == ly.val[i]);
            continue;
        }
        ASSERT_STR_EQ(lj.val[i], ly.val[i]);
    }
    ASSERT_STR_EQ(ly.val[AL_OPT_ALARMS], "a\nb");
    ASSERT_STR_EQ(ly.val[AL_OPT_MAX_CONCURRENCY], "16");
    ASSERT_CONTAINS(ly.where[AL_OPT_SITE_DIR], "deploy.site-dir");
    al_opt_layer_clean_up(&lj);
    al_opt_layer_clean_up(&ly);
    al_config_clean_up(&cj);
    al_config_clean_up(&cy);
}

TEST(config_json_syntax_error_has_line_and_column)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_FAILS(s_parse("{\n  \"a\": 1,\n  \"b\": }\n", &c, &l));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CONFIG);
    ASSERT_CONTAINS(al_error_last()->msg, "test.cfg:3:");
    al_opt_layer_clean_up(&l);
    al_config_clean_up(&c);
}

TEST(config_yaml_syntax_error_has_line_and_column)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_FAILS(s_parse("a: 1\nb: [1, 2\nc: 3\n", &c, &l));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CONFIG);
    ASSERT_CONTAINS(al_error_last()->msg, "test.cfg:");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
}

TEST(config_rejects_aliases_and_deep_nesting)
{
    struct al_config c;
    struct al_opt_layer l;
    char deep[400];
    size_t n = 0;
    ASSERT_FAILS(s_parse("a: &x [1]\nb: *x\n", &c, &l));
    ASSERT_CONTAINS(al_error_last()->msg, "aliases");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    ASSERT_FAILS(s_parse(deep, &c, &l));
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
}

TEST(config_unknown_deploy_key_suggests_spelling)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_FAILS(s_parse("{\"deploy\": {\"siteDir\": \"dist\"}}", &c, &l));
    ASSERT_CONTAINS(al_error_last()->msg, "deploy.siteDir");
    ASSERT_CONTAINS(al_error_last()->msg, "did you mean 'site-dir'");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
}

TEST(config_cache_control_rule_objects)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_OK(s_parse("deploy:\n  cache-control:\n    - {match: '*.html', value: no-cache}\n"
                      "    - {match: 'assets/*', value: 'public, max-age=31536000, immutable'}\n",
                      &c,
                      &l));
    ASSERT_STR_EQ(l.val[AL_OPT_CACHE_CONTROL],
                  "*.html=no-cache\nassets/*=public, max-age=31536000, immutable");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
}

TEST(config_empty_and_non_object)
{
    struct al_config c;
    struct al_opt_layer l;
    ASSERT_FAILS(s_parse("   \n", &c, &l));
    ASSERT_CONTAINS(al_error_last()->msg, "empty");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
    ASSERT_FAILS(s_parse("[1, 2]", &c, &l));
    ASSERT_CONTAINS(al_error_last()->msg, "must be an object");
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
}

TEST(options_precedence_config_input_flag)
{
    struct al_opts o;
    struct al_opt_layer cfg, in, fl;
    al_opts_init(&o);
    al_opt_layer_init(&cfg, AL_SRC_CONFIG);
    al_opt_layer_init(&in, AL_SRC_INPUT);
    al_opt_layer_init(&fl, AL_SRC_FLAG);
    ASSERT_OK(al_opt_layer_set(&cfg, AL_OPT_BUCKET, "from-config", "config"));
    ASSERT_OK(al_opt_layer_set(&cfg, AL_OPT_PREFIX, "cfg/", "config"));
    ASSERT_OK(al_opt_layer_set(&in, AL_OPT_BUCKET, "from-input", "input"));
    ASSERT_OK(al_opt_layer_set(&in, AL_OPT_MAX_CONCURRENCY, "8", "input"));
    ASSERT_OK(al_opt_layer_set(&fl, AL_OPT_MAX_CONCURRENCY, "4", "flag"));
    ASSERT_OK(al_opts_merge(&o, &cfg));
    ASSERT_OK(al_opts_merge(&o, &in));
    ASSERT_OK(al_opts_merge(&o, &fl));
    ASSERT_OK(al_opts_apply_defaults(&o));
    ASSERT_OK(al_opts_validate(&o));
    ASSERT_STR_EQ(al_opts_get(&o, AL_OPT_BUCKET), "from-input");
    ASSERT_STR_EQ(al_opts_get(&o, AL_OPT_PREFIX), "cfg/");
    ASSERT_INT_EQ(al_opts_uint(&o, AL_OPT_MAX_CONCURRENCY), 4);
    ASSERT_INT_EQ(al_opts_uint(&o, AL_OPT_MULTIPART_THRESHOLD), 64 * 1024 * 1024);
    ASSERT_INT_EQ(al_opts_uint(&o, AL_OPT_KEEP_RELEASES), 20);
    ASSERT(al_opts_bool(&o, AL_OPT_AUTO_ROLLBACK));
    al_opt_layer_clean_up(&cfg);
    al_opt_layer_clean_up(&in);
    al_opt_layer_clean_up(&fl);
    al_opts_clean_up(&o);
}

static int s_validate_one(enum al_opt_id id, const char *value)
{
    struct al_opts o;
    struct al_opt_layer l;
    int rc;
    al_opts_init(&o);
    al_opt_layer_init(&l, AL_SRC_INPUT);
    al_opt_layer_set(&l, id, value, "input 'x'");
    rc = al_opts_merge(&o, &l) || al_opts_validate(&o) ? -1 : 0;
    al_opt_layer_clean_up(&l);
    al_opts_clean_up(&o);
    return rc;
}

TEST(options_booleans_accept_only_toolkit_spellings)
{
    const char *good[] = { "true", "True", "TRUE", "false", "False", "FALSE" };
    const char *bad[] = { "yes", "1", "on", "tRUE", "false ", "no" };
    for (size_t i = 0; i < 6; i++)
        ASSERT_OK(s_validate_one(AL_OPT_DRY_RUN, good[i]));
    for (size_t i = 0; i < 6; i++) {
        ASSERT_FAILS(s_validate_one(AL_OPT_DRY_RUN, bad[i]));
        ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
        ASSERT_CONTAINS(al_error_last()->msg, "dry-run");
        ASSERT_CONTAINS(al_error_last()->msg, "true | True | TRUE | false | False | FALSE");
    }
}

TEST(options_numbers_enums_and_sizes)
{
    ASSERT_OK(s_validate_one(AL_OPT_MAX_CONCURRENCY, "256"));
    ASSERT_FAILS(s_validate_one(AL_OPT_MAX_CONCURRENCY, "257"));
    ASSERT_CONTAINS(al_error_last()->msg, "from 1 to 256");
    ASSERT_FAILS(s_validate_one(AL_OPT_MAX_CONCURRENCY, "-1"));
    ASSERT_FAILS(s_validate_one(AL_OPT_MAX_CONCURRENCY, "12abc"));
    ASSERT_FAILS(s_validate_one(AL_OPT_MAX_CONCURRENCY, "99999999999999999999999"));
    ASSERT_OK(s_validate_one(AL_OPT_INVALIDATE, "none"));
    ASSERT_FAILS(s_validate_one(AL_OPT_INVALIDATE, "some"));
    ASSERT_CONTAINS(al_error_last()->msg, "auto|all|none");
    ASSERT_OK(s_validate_one(AL_OPT_MULTIPART_THRESHOLD, "100MiB"));
    ASSERT_OK(s_validate_one(AL_OPT_MULTIPART_THRESHOLD, "8388608"));
    ASSERT_FAILS(s_validate_one(AL_OPT_MULTIPART_THRESHOLD, "1MiB"));
    ASSERT_FAILS(s_validate_one(AL_OPT_MULTIPART_THRESHOLD, "64 MB"));
    ASSERT_FAILS(s_validate_one(AL_OPT_BUCKET, "bad\xFFutf8"));
}

TEST(options_secret_value_never_in_message)
{
    ASSERT_FAILS(s_validate_one(AL_OPT_AWS_SECRET_ACCESS_KEY, "s3cr3t\xFF"));
    ASSERT(!strstr(al_error_last()->msg, "s3cr3t"));
    ASSERT_CONTAINS(al_error_last()->msg, "secret, not shown");
}

TEST(options_lists_split_and_trim)
{
    struct al_opts o;
    struct al_opt_layer l;
    al_opts_init(&o);
    al_opt_layer_init(&l, AL_SRC_INPUT);
    ASSERT_OK(al_opt_layer_set(&l, AL_OPT_STACKS, " App-Frontend ,\nApp-Api\n\n", "input"));
    ASSERT_OK(al_opts_merge(&o, &l));
    ASSERT_OK(al_opts_validate(&o));
    ASSERT_INT_EQ(al_opts_list(&o, AL_OPT_STACKS)->len, 2);
    ASSERT_STR_EQ(al_opts_list(&o, AL_OPT_STACKS)->items[1], "App-Api");
    al_opt_layer_clean_up(&l);
    al_opts_clean_up(&o);
}
