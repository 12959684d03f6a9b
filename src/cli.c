/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zlib.h>

#include "util/buf.h"

static const char *const s_commands[] = { "deploy",   "rollback", "plan",
                                          "releases", "version",  "help" };

static const char *s_command_help(const char *c)
{
    if (strcmp(c, "deploy") == 0)
        return "Deploy stacks and the site, verify, record the release (or roll back).";
    if (strcmp(c, "rollback") == 0)
        return "Restore a recorded release, without a rebuild (--version, --confirmation "
               "rollback).";
    if (strcmp(c, "plan") == 0)
        return "Show the change sets and the sync plan; change nothing.";
    if (strcmp(c, "releases") == 0)
        return "List recorded releases, newest first, marking the current one.";
    if (strcmp(c, "version") == 0)
        return "Print the versions of airlock and its libraries.";
    return "Show this help, or a command's options: airlock help <command>.";
}

static bool s_known_command(const char *c)
{
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (strcmp(s_commands[i], c) == 0)
            return true;
    return false;
}

/* "unknown flag '--x' for deploy; valid flags: --a, --b, ..." */
static int s_unknown_flag(const char *flag, const char *command, unsigned bit)
{
    struct al_buf list;
    const struct al_opt_def *defs = al_opt_defs();
    al_buf_init(&list, 8192);
    for (int i = 0; i < AL_OPT_COUNT; i++)
        if (!defs[i].config_only && i != AL_OPT_COMMAND && (defs[i].commands & bit))
            al_buf_printf(&list, "%s--%s", list.len ? ", " : "", defs[i].name);
    al_buf_puts(&list, ", --debug, --json");
    al_raise(AL_ERR_USAGE,
             "unknown flag '--%.100s' for %s; valid flags: %s",
             flag,
             command,
             al_buf_str(&list));
    al_buf_clean_up(&list);
    return -1;
}

int al_cli_parse(int argc, char **argv, struct al_cli *cli)
{
    const struct al_opt_def *defs = al_opt_defs();
    unsigned bit;
    int i = 1;

    memset(cli, 0, sizeof(*cli));
    al_opt_layer_init(&cli->flags, AL_SRC_FLAG);
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        cli->command = "version";
        return 0;
    }
    if (i < argc && strncmp(argv[i], "-", 1) != 0) {
        cli->command = argv[i++];
        if (!s_known_command(cli->command))
            return al_raise(AL_ERR_USAGE,
                            "unknown command '%.100s'; commands: deploy, rollback, plan, releases, "
                            "version, help",
                            cli->command);
        if (strcmp(cli->command, "help") == 0 && i < argc && argv[i][0] != '-')
            cli->help_for = argv[i++];
    }
    bit = al_opt_command_bit(cli->command ? cli->command : "deploy");
    for (; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = NULL;
        char name[128], where[160];
        size_t n;
        int id;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli->help_for = cli->command;
            cli->command = "help";
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return al_raise(
              AL_ERR_USAGE, "unexpected argument '%.100s'; options are --name value", arg);
        arg += 2;
        eq = strchr(arg, '=');
        n = eq ? (size_t)(eq - arg) : strlen(arg);
        if (n == 0 || n >= sizeof(name))
            return s_unknown_flag("", cli->command ? cli->command : "deploy", bit);
        memcpy(name, arg, n);
        name[n] = '\0';
        if (strcmp(name, "debug") == 0 || strcmp(name, "json") == 0) {
            bool on = true;
            if (eq && al_opt_parse_bool(eq + 1, &on))
                return al_raise(AL_ERR_USAGE,
                                "flag --%s: invalid value '%.100s'; allowed: true, false",
                                name,
                                eq + 1);
            if (name[0] == 'd')
                cli->debug = on;
            else if (cli->command && strcmp(cli->command, "help") == 0)
                cli->help_json = on;
            else
                cli->json = on;
            continue;
        }
        id = al_opt_find(name);
        if (id == AL_OPT_COMMAND)
            return al_raise(AL_ERR_USAGE,
                            "give the command as the first argument: airlock <command> ...");
        if (id < 0 || defs[id].config_only)
            return s_unknown_flag(name, cli->command ? cli->command : "deploy", bit);
        if (cli->command && strcmp(cli->command, "help") != 0 &&
            strcmp(cli->command, "version") != 0 && !(defs[id].commands & bit))
            return al_raise(AL_ERR_USAGE,
                            "flag --%s does not apply to '%s'; see 'airlock help %s'",
                            name,
                            cli->command,
                            cli->command);
        if (eq) {
            value = eq + 1;
        } else if (defs[id].type == AL_OT_BOOL) {
            value = "true"; /* a bare boolean flag */
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return al_raise(AL_ERR_USAGE, "flag --%s needs a value", name);
        }
        snprintf(where, sizeof(where), "flag --%s", name);
        if (al_opt_layer_set(&cli->flags, (enum al_opt_id)id, value, where))
            return -1;
    }
    return 0;
}

void al_cli_clean_up(struct al_cli *cli)
{
    if (cli)
        al_opt_layer_clean_up(&cli->flags);
}

static const char *s_type_hint(const struct al_opt_def *d)
{
    switch (d->type) {
        case AL_OT_BOOL:
            return "true|false";
        case AL_OT_UINT:
            return "N";
        case AL_OT_SIZE:
            return "SIZE";
        case AL_OT_ENUM:
            return d->values;
        case AL_OT_LIST:
            return "LIST";
        case AL_OT_LINES:
            return "RULES";
        default:
            return "TEXT";
    }
}

int al_cli_help(FILE *f, const char *command)
{
    const struct al_opt_def *defs = al_opt_defs();
    const char *group = NULL;
    unsigned bit;
    if (!command || strcmp(command, "help") == 0) {
        fputs("airlock: deploy a web application to AWS and roll it back.\n\n"
              "usage: airlock <command> [--option value]...\n\ncommands:\n",
              f);
        for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
            fprintf(f, "  %-9s %s\n", s_commands[i], s_command_help(s_commands[i]));
        fputs("\nIn GitHub Actions every option is also an input (INPUT_<NAME>); a config file's\n"
              "'deploy' section may set the same names. Flags win over inputs, inputs over the\n"
              "config. Global flags: --debug (debug log), --json (outputs as JSON).\n"
              "Exit codes: 0 success or no change, 1 failed or rolled back, 2 bad input or\n"
              "config (nothing touched), 3 credentials or permission, 4 deploy lock held.\n",
              f);
        return 0;
    }
    if (!s_known_command(command))
        return al_raise(
          AL_ERR_USAGE,
          "unknown command '%.100s'; commands: deploy, rollback, plan, releases, version, help",
          command);
    fprintf(f, "usage: airlock %s [--option value]...\n%s\n", command, s_command_help(command));
    bit = al_opt_command_bit(command);
    if (!bit)
        return 0;
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        const struct al_opt_def *d = &defs[i];
        char flag[160];
        if (d->config_only || i == AL_OPT_COMMAND || !(d->commands & bit))
            continue;
        if (!group || strcmp(group, d->group) != 0) {
            group = d->group;
            fprintf(f, "\n%s:\n", group);
        }
        snprintf(flag, sizeof(flag), "--%s %s", d->name, s_type_hint(d));
        fprintf(f, "  %-34s %s", flag, d->help);
        if (d->deflt)
            fprintf(f, " (default: %s)", d->deflt);
        fputc('\n', f);
    }
    return 0;
}

int al_cli_help_json(FILE *f)
{
    static const char *const types[] = {
        "string", "bool", "uint", "size", "enum", "list", "lines"
    };
    const struct al_opt_def *defs = al_opt_defs();
    json_t *arr = json_array();
    char *text;
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        const struct al_opt_def *d = &defs[i];
        json_t *cmds = json_array();
        json_t *o;
        if (d->commands & AL_CMD_DEPLOY)
            json_array_append_new(cmds, json_string("deploy"));
        if (d->commands & AL_CMD_ROLLBACK)
            json_array_append_new(cmds, json_string("rollback"));
        if (d->commands & AL_CMD_PLAN)
            json_array_append_new(cmds, json_string("plan"));
        if (d->commands & AL_CMD_RELEASES)
            json_array_append_new(cmds, json_string("releases"));
        o = json_pack("{s:s, s:s, s:s, s:o, s:b, s:b, s:s, s:o}",
                      "name",
                      d->name,
                      "group",
                      d->group,
                      "type",
                      types[d->type],
                      "default",
                      d->deflt ? json_string(d->deflt) : json_null(),
                      "secret",
                      d->secret,
                      "configOnly",
                      d->config_only,
                      "description",
                      d->help,
                      "commands",
                      cmds);
        if (d->type == AL_OT_ENUM)
            json_object_set_new(o, "values", json_string(d->values));
        if (d->type == AL_OT_UINT || d->type == AL_OT_SIZE) {
            json_object_set_new(o, "min", json_integer((json_int_t)d->min));
            json_object_set_new(o, "max", json_integer((json_int_t)d->max));
        }
        json_array_append_new(arr, o);
    }
    text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(arr);
    if (!text)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    fprintf(f, "%s\n", text);
    free(text);
    return 0;
}

void al_cli_version(FILE *f)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    fprintf(f, "airlock %s\n", AL_VERSION);
    fprintf(f, "libcurl %s\n", cv->version);
    fprintf(f, "openssl %s\n", OpenSSL_version(OPENSSL_VERSION));
    fprintf(f, "jansson %s\n", jansson_version_str());
    fprintf(f, "libyaml %s\n", yaml_get_version_string());
    fprintf(f, "expat %s\n", XML_ExpatVersion());
    fprintf(f, "zlib %s\n", zlibVersion());
}
