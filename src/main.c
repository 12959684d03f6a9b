/* SPDX-License-Identifier: Apache-2.0 */
/*
 * argv and inputs -> options -> command -> exit code. The only place, with
 * src/gha/, that reads the environment or writes to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deploy/config.h"
#include "deploy/options.h"
#include "deploy/pipeline.h"
#include "deploy/release_manifest.h"
#include "deploy/run.h"
#include "deploy/steps.h"
#include "gha/summary.h"
#include "gha/commands.h"
#include "gha/env.h"
#include "gha/event.h"
#include "gha/inputs.h"
#include "gha/outputs.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

struct s_run {
    struct al_gha_env env;
    struct al_cli cli;
    struct al_opt_layer inputs, config_layer, event_layer;
    struct al_config config;
    struct al_gha_event event;
    struct al_opts opts;
    struct al_outputs outputs;
    const char *command;
};

/* Secrets are registered (and masked in Actions) before anything else prints. */
static int s_register_secrets(const struct al_opt_layer *l)
{
    const struct al_opt_def *defs = al_opt_defs();
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (defs[i].secret && l->val[i] && al_secret_add(l->val[i]))
            return -1;
    return 0;
}

static int s_register_env_secrets(const struct al_gha_env *e)
{
    const char *vals[] = {
        e->access_key_id, e->secret_access_key, e->session_token, e->oidc_request_token
    };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if (vals[i] && al_secret_add(vals[i]))
            return -1;
    return 0;
}

static int s_load_options(struct s_run *r)
{
    const char *config_path;
    if (al_gha_event_load(r->env.event_path, &r->event) ||
        al_gha_event_to_layer(&r->event, &r->event_layer))
        return -1;
    config_path = r->cli.flags.val[AL_OPT_CONFIG] ? r->cli.flags.val[AL_OPT_CONFIG]
                                                  : r->inputs.val[AL_OPT_CONFIG];
    if (config_path && *config_path) {
        if (al_config_load(config_path, &r->config) ||
            al_config_to_layer(&r->config, &r->config_layer) ||
            s_register_secrets(&r->config_layer))
            return -1;
    }
    if (al_opts_merge(&r->opts, &r->config_layer) || al_opts_merge(&r->opts, &r->event_layer) ||
        al_opts_merge(&r->opts, &r->inputs) || al_opts_merge(&r->opts, &r->cli.flags))
        return -1;
    /* Values the environment supplies when no input, flag or config did. */
    if (!r->opts.val[AL_OPT_VERSION] && r->env.actions && r->env.sha &&
        (al_str_set(&r->opts.val[AL_OPT_VERSION], r->env.sha) ||
         al_str_set(&r->opts.where[AL_OPT_VERSION], "GITHUB_SHA")))
        return -1;
    if (!r->opts.val[AL_OPT_AWS_REGION]) {
        const char *region = r->env.region ? r->env.region : r->env.default_region;
        if (region && (al_str_set(&r->opts.val[AL_OPT_AWS_REGION], region) ||
                       al_str_set(&r->opts.where[AL_OPT_AWS_REGION], "AWS_REGION")))
            return -1;
    }
    if (r->opts.val[AL_OPT_COMMAND] && !r->cli.command)
        r->command = r->opts.val[AL_OPT_COMMAND];
    if (al_opts_apply_defaults(&r->opts) || al_opts_validate(&r->opts))
        return -1;
    if (!r->command)
        r->command = al_opts_get(&r->opts, AL_OPT_COMMAND);
    return 0;
}

/* With --debug, where each effective value came from (secrets hidden). */
static void s_debug_options(const struct s_run *r)
{
    const struct al_opt_def *defs = al_opt_defs();
    if (!al_log_debug_enabled())
        return;
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (r->opts.val[i])
            al_log_debug("option %s = %s (%s)",
                         defs[i].name,
                         defs[i].secret ? "(secret)" : r->opts.val[i],
                         r->opts.where[i] ? r->opts.where[i] : "default");
}

static void s_creds_config(const struct s_run *r, struct al_creds_config *c)
{
    const struct al_opts *o = &r->opts;
    memset(c, 0, sizeof(*c));
    c->access_key_id = al_opts_get(o, AL_OPT_AWS_ACCESS_KEY_ID);
    c->secret_access_key = al_opts_get(o, AL_OPT_AWS_SECRET_ACCESS_KEY);
    c->session_token = al_opts_get(o, AL_OPT_AWS_SESSION_TOKEN);
    c->env_access_key_id = r->env.access_key_id;
    c->env_secret_access_key = r->env.secret_access_key;
    c->env_session_token = r->env.session_token;
    c->oidc_request_url = r->env.oidc_request_url;
    c->oidc_request_token = r->env.oidc_request_token;
    c->audience = al_opts_get(o, AL_OPT_AUDIENCE);
    c->web_identity_token_file = r->env.web_identity_token_file;
    c->env_role_arn = r->env.role_arn;
    c->role_to_assume = al_opts_get(o, AL_OPT_ROLE_TO_ASSUME);
    c->role_session_name = al_opts_get(o, AL_OPT_ROLE_SESSION_NAME);
    c->run_id = r->env.run_id;
}

/* Checks rollback's guard inputs before anything touches the network. */
static int s_check_rollback(const struct s_run *r)
{
    const char *c = al_opts_get(&r->opts, AL_OPT_CONFIRMATION);
    char *trimmed = c ? al_str_trim(c) : NULL;
    bool ok = trimmed && strcmp(trimmed, "rollback") == 0;
    free(trimmed);
    if (!ok)
        return al_raise(AL_ERR_USAGE,
                        "rollback needs confirmation: type exactly 'rollback' in the confirmation "
                        "input (--confirmation rollback); nothing was changed");
    return 0;
}

/* deploy, plan, rollback, releases: build the run, execute, notify, report. */
static int s_command(struct s_run *r)
{
    struct al_run run;
    struct al_creds_config cc;
    struct al_summary summary;
    struct al_error saved;
    const char *version = al_opts_get(&r->opts, AL_OPT_VERSION);
    bool releases = strcmp(r->command, "releases") == 0;
    bool rollback = strcmp(r->command, "rollback") == 0;
    char *run_url;
    int rc;

    if (rollback && s_check_rollback(r))
        return -1;
    /* A bad webhook would only show at the end, after the deploy: refuse it first. */
    if (!releases && al_opts_get(&r->opts, AL_OPT_SLACK_WEBHOOK_URL) &&
        *al_opts_get(&r->opts, AL_OPT_SLACK_WEBHOOK_URL) &&
        al_notify_check_webhook(al_opts_get(&r->opts, AL_OPT_SLACK_WEBHOOK_URL)))
        return -1;
    if (!releases && !version)
        return al_raise(AL_ERR_USAGE,
                        rollback ? "rollback needs the version to restore: give "
                                   "--version (see 'airlock releases')"
                                 : "no version: give --version (a tag or commit "
                                   "SHA); in Actions it defaults to GITHUB_SHA");
    if (!releases && !al_release_version_valid(version))
        return al_raise(AL_ERR_USAGE,
                        "%s: version '%.200s' is not allowed; use 1-128 characters of letters, "
                        "digits and . _ + - starting with a letter or digit",
                        r->opts.where[AL_OPT_VERSION],
                        version);
    run_url = al_gha_run_url(&r->env);
    al_run_init(&run, &r->opts, &r->outputs);
    al_summary_init(&summary);
    run.info.command = r->command;
    run.info.version = version;
    run.info.environment = al_opts_get(&r->opts, AL_OPT_ENVIRONMENT);
    run.info.commit = r->env.sha;
    run.info.commit_message = r->event.commit_message;
    run.info.actor = r->event.sender ? r->event.sender : r->env.actor;
    run.info.run_url = run_url;
    run.info.run_id = r->env.run_id;
    run.info.repository = r->env.repository;
    run.info.actions = r->env.actions;
    run.dry_run = strcmp(r->command, "plan") == 0 || al_opts_bool(&r->opts, AL_OPT_DRY_RUN);
    run.endpoints.env_endpoint_url = r->env.endpoint_url;
    for (int i = 0; i < AL_SVC_COUNT; i++)
        run.endpoints.env_service_url[i] = r->env.service_endpoint[i];
    run.endpoints.sts_global =
      r->env.sts_regional_endpoints && strcmp(r->env.sts_regional_endpoints, "legacy") == 0;
    s_creds_config(r, &cc);

    if (releases)
        rc = al_pipeline_releases(&run, &cc, r->env.ssl_cert_file, r->cli.json ? stderr : stdout);
    else if (rollback)
        rc = al_pipeline_rollback(&run, &cc, r->env.ssl_cert_file);
    else
        rc = al_pipeline_deploy(&run, &cc, r->env.ssl_cert_file);
    /* Neither the notification nor the report may replace the step's error. */
    saved = *al_error_last();
    if (!releases && al_step_notify(&run) && rc == 0)
        rc = -1;
    else
        *al_error_mut() = saved;
    saved = *al_error_last();
    if (!releases && al_pipeline_report(&run, rc, &summary) == 0 && r->env.summary_path &&
        al_summary_write_file(&summary, r->env.summary_path))
        al_log_warning("job summary not written: %s", al_error_last()->msg);
    *al_error_mut() = saved;
    if (!releases)
        al_log_info("airlock %s: %s (%s)", r->command, run.status ? run.status : "failed", version);
    al_summary_clean_up(&summary);
    al_run_clean_up(&run);
    free(run_url);
    return rc;
}

static int s_dispatch(struct s_run *r)
{
    s_debug_options(r);
    return s_command(r);
}

static void s_report_error(const struct s_run *r)
{
    const struct al_error *e = al_error_last();
    struct al_log_where where = { NULL, 0, NULL };
    char title[96];
    snprintf(
      title, sizeof(title), "airlock%s%s", r->command ? " " : "", r->command ? r->command : "");
    where.title = title;
    al_log_annotate(AL_LOG_ERROR, &where, "%s", e->msg[0] ? e->msg : al_error_name(e->code));
}

int main(int argc, char **argv)
{
    struct s_run r;
    int rc = -1;
    enum al_exit code;

    memset(&r, 0, sizeof(r));
    al_opt_layer_init(&r.inputs, AL_SRC_INPUT);
    al_opt_layer_init(&r.config_layer, AL_SRC_CONFIG);
    al_opt_layer_init(&r.event_layer, AL_SRC_EVENT);
    al_opts_init(&r.opts);
    al_outputs_init(&r.outputs);
    al_gha_env_read(&r.env);
    if (r.env.actions)
        al_gha_commands_install(stdout);
    if (r.env.force_time) {
        time_t t;
        if (al_clock_parse(r.env.force_time, &t) == 0)
            al_clock_pin(t);
    }

    /* Parse first, but print nothing until every secret is registered. */
    rc = al_cli_parse(argc, argv, &r.cli);
    {
        struct al_error saved = *al_error_last();
        if (al_gha_inputs_read(&r.inputs) || s_register_secrets(&r.inputs) ||
            s_register_secrets(&r.cli.flags) || s_register_env_secrets(&r.env))
            rc = -1;
        else if (rc)
            *al_error_mut() = saved;
    }
    al_log_set_debug(r.env.runner_debug || r.cli.debug);
    r.command = r.cli.command;
    if (rc)
        goto done;

    if (r.command && strcmp(r.command, "version") == 0) {
        al_cli_version(stdout);
        goto done;
    }
    if (r.command && strcmp(r.command, "help") == 0) {
        rc = r.cli.help_json ? al_cli_help_json(stdout) : al_cli_help(stdout, r.cli.help_for);
        goto done;
    }
    if (!r.command && !r.env.actions && argc < 2) {
        al_cli_help(stderr, NULL);
        rc = al_raise(AL_ERR_USAGE, "no command given");
        goto done;
    }
    if ((rc = s_load_options(&r)) != 0)
        goto done;
    rc = s_dispatch(&r);

done:
    if (rc)
        s_report_error(&r);
    if (r.outputs.names.len) {
        if (r.env.output_path)
            al_outputs_write_file(&r.outputs, r.env.output_path);
        else
            al_outputs_print(&r.outputs, stdout, r.cli.json);
    }
    code = rc ? al_error_exit_code(al_error_last()->code) : AL_EXIT_OK;
    al_cli_clean_up(&r.cli);
    al_opt_layer_clean_up(&r.inputs);
    al_opt_layer_clean_up(&r.config_layer);
    al_opt_layer_clean_up(&r.event_layer);
    al_config_clean_up(&r.config);
    al_gha_event_clean_up(&r.event);
    al_opts_clean_up(&r.opts);
    al_outputs_clean_up(&r.outputs);
    al_secret_clear();
    return (int)code;
}
