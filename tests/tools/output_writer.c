/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test tool for tests/node: writes step outputs to $GITHUB_OUTPUT exactly as
 * airlock does. argv[1] is a JSON file holding an array of [name, value]
 * pairs; each goes through al_outputs_set, then al_outputs_write_file appends
 * them all. On any failure the error message goes to stderr and the exit
 * status is 1.
 *
 *   GITHUB_OUTPUT=/tmp/out output_writer pairs.json
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "gha/outputs.h"
#include "util/err.h"
#include "util/json.h"

/* The pairs file is test data; 16 MiB is far above any output limit. */
#define AL_PAIRS_MAX_BYTES (16u * 1024u * 1024u)

static int s_set_pairs(struct al_outputs *outputs, const json_t *pairs, const char *path)
{
    size_t i;
    const json_t *pair;
    if (!json_is_array(pairs))
        return al_raise(AL_ERR_USAGE, "%s: expected an array of [name, value] pairs", path);
    json_array_foreach(pairs, i, pair)
    {
        const json_t *name = json_array_get(pair, 0);
        const json_t *value = json_array_get(pair, 1);
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(name) ||
            !json_is_string(value))
            return al_raise(AL_ERR_USAGE, "%s: item %zu is not a pair of strings", path, i);
        if (al_outputs_set(outputs, json_string_value(name), json_string_value(value)))
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct al_outputs outputs;
    json_t *pairs = NULL;
    char *text = NULL;
    const char *output_path;
    size_t len = 0;
    int rc = 1;

    al_outputs_init(&outputs);
    if (argc != 2) {
        al_raise(AL_ERR_USAGE, "usage: output_writer PAIRS.json (writes to $GITHUB_OUTPUT)");
        goto cleanup;
    }
    output_path = getenv("GITHUB_OUTPUT");
    if (!output_path || !*output_path) {
        al_raise(AL_ERR_USAGE, "GITHUB_OUTPUT is not set");
        goto cleanup;
    }
    if (!(text = al_file_read(argv[1], AL_PAIRS_MAX_BYTES, &len)) ||
        !(pairs = al_json_parse(text, len, argv[1], AL_ERR_PARSE)))
        goto cleanup;
    if (s_set_pairs(&outputs, pairs, argv[1]) || al_outputs_write_file(&outputs, output_path))
        goto cleanup;
    rc = 0;

cleanup:
    if (rc)
        fprintf(stderr, "output_writer: %s\n", al_error_last()->msg);
    json_decref(pairs);
    free(text);
    al_outputs_clean_up(&outputs);
    return rc;
}
