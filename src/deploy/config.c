/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/str.h"
#include "util/yaml.h"

int al_config_parse(const char *text, size_t n, const char *name, struct al_config *out)
{
    size_t i = 0;
    out->path = NULL;
    out->root = NULL;
    if (!(out->path = al_strdup(name)))
        return -1;
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && isspace((unsigned char)text[i]))
        i++;
    if (i == n)
        return al_raise(AL_ERR_CONFIG, "%s: the config file is empty", name);
    /* JSON is chosen by content: jansson's messages are the better ones. */
    if (text[i] == '{' || text[i] == '[')
        out->root = al_json_parse(text, n, name, AL_ERR_CONFIG);
    else
        out->root = al_yaml_parse(text, n, name, AL_ERR_CONFIG);
    if (!out->root)
        return -1;
    if (!json_is_object(out->root))
        return al_raise(AL_ERR_CONFIG, "%s: the config must be an object (key: value pairs)", name);
    return 0;
}

int al_config_load(const char *path, struct al_config *out)
{
    size_t n = 0;
    char *text;
    int rc;
    out->path = NULL;
    out->root = NULL;
    text = al_file_read(path, AL_CONFIG_MAX_BYTES, &n);
    if (!text) {
        char msg[AL_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", al_error_last()->msg);
        return al_raise(AL_ERR_CONFIG, "config: %s", msg);
    }
    rc = al_config_parse(text, n, path, out);
    free(text);
    return rc;
}

void al_config_clean_up(struct al_config *c)
{
    if (!c)
        return;
    free(c->path);
    json_decref(c->root);
    c->path = NULL;
    c->root = NULL;
}

/* "siteDir" / "site_dir" -> "site-dir", to suggest the right spelling. */
static void s_kebab(const char *in, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 2 < cap; i++) {
        char c = in[i];
        if (c == '_') {
            out[j++] = '-';
        } else if (isupper((unsigned char)c)) {
            if (j > 0)
                out[j++] = '-';
            out[j++] = (char)tolower((unsigned char)c);
        } else {
            out[j++] = c;
        }
    }
    out[j] = '\0';
}

static int s_unknown_key(const struct al_config *c, const char *key)
{
    char kebab[128];
    s_kebab(key, kebab, sizeof(kebab));
    if (al_opt_find(kebab) >= 0 && !al_opt_defs()[al_opt_find(kebab)].config_only)
        return al_raise(
          AL_ERR_CONFIG, "%s: deploy.%s: unknown key; did you mean '%s'?", c->path, key, kebab);
    return al_raise(AL_ERR_CONFIG,
                    "%s: deploy.%s: unknown key; the deploy section takes the action's input "
                    "names (see 'airlock help deploy')",
                    c->path,
                    key);
}

/* Renders a JSON scalar, a list of scalars, or cache-control rule objects as option text. */
static int s_value_text(const struct al_config *c,
                        const char *keypath,
                        const json_t *v,
                        struct al_buf *out)
{
    size_t i;
    const json_t *item;
    switch (json_typeof(v)) {
        case JSON_STRING:
            return al_buf_append(out, json_string_value(v), json_string_length(v));
        case JSON_INTEGER:
            return al_buf_printf(out, "%lld", (long long)json_integer_value(v));
        case JSON_TRUE:
            return al_buf_puts(out, "true");
        case JSON_FALSE:
            return al_buf_puts(out, "false");
        case JSON_NULL:
            return 0;
        case JSON_ARRAY:
            json_array_foreach(v, i, item)
            {
                if (i > 0 && al_buf_putc(out, '\n'))
                    return -1;
                if (json_is_object(item)) {
                    const char *m = al_json_str(item, "match"), *val = al_json_str(item, "value");
                    if (!m || !val)
                        return al_raise(
                          AL_ERR_CONFIG,
                          "%s: %s[%zu]: a rule object needs string 'match' and 'value'",
                          c->path,
                          keypath,
                          i);
                    if (al_buf_printf(out, "%s=%s", m, val))
                        return -1;
                } else if (json_is_array(item) || json_is_real(item)) {
                    return al_raise(
                      AL_ERR_CONFIG, "%s: %s[%zu]: expected text", c->path, keypath, i);
                } else if (s_value_text(c, keypath, item, out)) {
                    return -1;
                }
            }
            return 0;
        default:
            return al_raise(AL_ERR_CONFIG,
                            "%s: %s: expected text, a number, true/false or a list",
                            c->path,
                            keypath);
    }
}

static int s_set(const struct al_config *c,
                 struct al_opt_layer *layer,
                 int id,
                 const char *keypath,
                 const json_t *v)
{
    struct al_buf text, where;
    int rc = -1;
    al_buf_init(&text, AL_CONFIG_MAX_BYTES);
    al_buf_init(&where, 4096);
    if (s_value_text(c, keypath, v, &text))
        goto cleanup;
    if (al_buf_printf(&where, "config %s: %s", c->path, keypath))
        goto cleanup;
    rc = al_opt_layer_set(layer, (enum al_opt_id)id, al_buf_str(&text), al_buf_str(&where));
cleanup:
    al_buf_clean_up(&text);
    al_buf_clean_up(&where);
    return rc;
}

int al_config_to_layer(const struct al_config *c, struct al_opt_layer *layer)
{
    static const struct {
        const char *key;
        enum al_opt_id id;
    } top[] = { { "environment", AL_OPT_ENVIRONMENT },
                { "region", AL_OPT_AWS_REGION },
                { "accountId", AL_OPT_ACCOUNT_ID } };
    const json_t *deploy;
    const char *key;
    const json_t *v;

    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        v = json_object_get(c->root, top[i].key);
        if (!v)
            continue;
        if (!json_is_string(v) && !json_is_integer(v))
            return al_raise(AL_ERR_CONFIG, "%s: %s: expected text", c->path, top[i].key);
        if (s_set(c, layer, top[i].id, top[i].key, v))
            return -1;
    }
    deploy = json_object_get(c->root, "deploy");
    if (!deploy || json_is_null(deploy))
        return 0;
    if (!json_is_object(deploy))
        return al_raise(AL_ERR_CONFIG, "%s: deploy: expected an object of input names", c->path);
    json_object_foreach((json_t *)deploy, key, v)
    {
        char keypath[160];
        int id = al_opt_find(key);
        if (id == AL_OPT_COMMAND)
            return al_raise(AL_ERR_CONFIG,
                            "%s: deploy.command: the command is chosen by the workflow's "
                            "'command' input or the CLI, not by the config",
                            c->path);
        if (id < 0 || al_opt_defs()[id].config_only)
            return s_unknown_key(c, key);
        snprintf(keypath, sizeof(keypath), "deploy.%.128s", key);
        if (s_set(c, layer, id, keypath, v))
            return -1;
    }
    return 0;
}
