/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line: `airlock <command> [--flag value | --flag=value]...`.
 * Every option is a long flag named like its action input; booleans may be
 * given bare (--dry-run). Global flags: --debug, --json.
 */
#ifndef AL_CLI_H
#define AL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "deploy/options.h"

struct al_cli {
    const char *command;  /* borrowed from argv; NULL when not given */
    const char *help_for; /* `help <command>` */
    bool debug, json, help_json;
    struct al_opt_layer flags; /* owned values */
};

/**
 * Parses argv into cli (flags layer source AL_SRC_FLAG). Unknown flags raise
 * AL_ERR_USAGE naming the flag and listing the valid ones. Borrows argv.
 * Caller cleans up with al_cli_clean_up (also on failure). @return 0 or -1.
 */
int al_cli_parse(int argc, char **argv, struct al_cli *cli);

/** Frees the flags layer. NULL-safe. */
void al_cli_clean_up(struct al_cli *cli);

/** Prints the usage, or a command's options (command may be NULL). @return 0 or -1 (unknown
 * command). */
int al_cli_help(FILE *f, const char *command);

/** Prints the option table as JSON (for tools and the action.yml check). */
int al_cli_help_json(FILE *f);

/** Prints airlock's version and its libraries' versions. */
void al_cli_version(FILE *f);

#endif
