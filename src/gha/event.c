/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/event.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/json.h"
#include "util/str.h"

static int s_take(char **dst, const json_t *v)
{
    if (!json_is_string(v))
        return 0;
    return al_str_set(dst, json_string_value(v));
}

int al_gha_event_load(const char *path, struct al_gha_event *ev)
{
    struct stat st;
    char *text = NULL;
    size_t n = 0;
    json_t *root = NULL, *inputs;
    int rc = -1;

    memset(ev, 0, sizeof(*ev));
    if (!path || (stat(path, &st) != 0 && errno == ENOENT))
        return 0;
    if (!(text = al_file_read(path, AL_EVENT_MAX_BYTES, &n)))
        goto cleanup;
    if (!(root = al_json_parse(text, n, path, AL_ERR_USAGE)))
        goto cleanup;
    if (!json_is_object(root)) {
        al_raise(AL_ERR_USAGE, "%s: the event payload is not a JSON object", path);
        goto cleanup;
    }
    if (s_take(&ev->sender, json_object_get(json_object_get(root, "sender"), "login")) ||
        s_take(&ev->commit_message,
               json_object_get(json_object_get(root, "head_commit"), "message")) ||
        s_take(&ev->commit_id, json_object_get(json_object_get(root, "head_commit"), "id")))
        goto cleanup;
    inputs = json_object_get(root, "inputs");
    if (json_is_object(inputs) &&
        (s_take(&ev->input_version, json_object_get(inputs, "version")) ||
         s_take(&ev->input_confirmation, json_object_get(inputs, "confirmation"))))
        goto cleanup;
    rc = 0;
cleanup:
    free(text);
    json_decref(root);
    return rc;
}

void al_gha_event_clean_up(struct al_gha_event *ev)
{
    if (!ev)
        return;
    free(ev->sender);
    free(ev->commit_message);
    free(ev->commit_id);
    free(ev->input_version);
    free(ev->input_confirmation);
    memset(ev, 0, sizeof(*ev));
}

int al_gha_event_to_layer(const struct al_gha_event *ev, struct al_opt_layer *layer)
{
    if (ev->input_version &&
        al_opt_layer_set(layer, AL_OPT_VERSION, ev->input_version, "event inputs.version"))
        return -1;
    if (ev->input_confirmation &&
        al_opt_layer_set(
          layer, AL_OPT_CONFIRMATION, ev->input_confirmation, "event inputs.confirmation"))
        return -1;
    return 0;
}
