/* SPDX-License-Identifier: Apache-2.0 */
#include "util/yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/err.h"

struct s_ctx {
    yaml_parser_t parser;
    const char *name;
    int code;
};

static int s_fail(struct s_ctx *c, const yaml_mark_t *mark, const char *what)
{
    return al_raise(
      (enum al_err_code)c->code, "%s:%zu:%zu: %s", c->name, mark->line + 1, mark->column + 1, what);
}

/* YAML 1.2 core schema for plain scalars. */
static json_t *s_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    char *end;

    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(v, n);
    if (n == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
        strcmp(v, "NULL") == 0)
        return json_null();
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
        return json_true();
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
        return json_false();
    if ((v[0] >= '0' && v[0] <= '9') || ((v[0] == '-' || v[0] == '+') && n > 1)) {
        long long i;
        double d;
        errno = 0;
        i = strtoll(v, &end, 10);
        if (!errno && *end == '\0')
            return json_integer(i);
        errno = 0;
        d = strtod(v, &end);
        if (!errno && *end == '\0')
            return json_real(d);
    }
    return json_stringn(v, n);
}

static json_t *s_node(struct s_ctx *c, yaml_event_t *ev, int depth);

static int s_next(struct s_ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return s_fail(
          c, &c->parser.problem_mark, c->parser.problem ? c->parser.problem : "malformed YAML");
    return 0;
}

static json_t *s_collection(struct s_ctx *c, bool mapping, int depth)
{
    json_t *out = mapping ? json_object() : json_array();
    yaml_event_t ev;
    if (!out) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (;;) {
        json_t *key = NULL, *val = NULL;
        if (s_next(c, &ev))
            goto on_error;
        if (ev.type == (mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
            yaml_event_delete(&ev);
            return out;
        }
        if (mapping) {
            yaml_mark_t mark = ev.start_mark;
            if (ev.type != YAML_SCALAR_EVENT) {
                s_fail(c, &mark, "mapping keys must be plain text");
                yaml_event_delete(&ev);
                goto on_error;
            }
            key = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
            yaml_event_delete(&ev);
            if (s_next(c, &ev)) {
                json_decref(key);
                goto on_error;
            }
            if (json_object_get(out, json_string_value(key))) {
                s_fail(c, &mark, "duplicate key");
                json_decref(key);
                yaml_event_delete(&ev);
                goto on_error;
            }
        }
        val = s_node(c, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!val) {
            json_decref(key);
            goto on_error;
        }
        if (mapping) {
            json_object_set_new(out, json_string_value(key), val);
            json_decref(key);
        } else {
            json_array_append_new(out, val);
        }
    }
on_error:
    json_decref(out);
    return NULL;
}

/* Converts the node that starts with ev (borrowed; the caller deletes it). */
static json_t *s_node(struct s_ctx *c, yaml_event_t *ev, int depth)
{
    json_t *v;
    if (depth > AL_YAML_MAX_DEPTH) {
        s_fail(c, &ev->start_mark, "nesting deeper than the limit of 64 levels");
        return NULL;
    }
    switch (ev->type) {
        case YAML_SCALAR_EVENT:
            if (!(v = s_scalar(ev)))
                al_raise(AL_ERR_NOMEM, "out of memory");
            return v;
        case YAML_SEQUENCE_START_EVENT:
            return s_collection(c, false, depth);
        case YAML_MAPPING_START_EVENT:
            return s_collection(c, true, depth);
        case YAML_ALIAS_EVENT:
            s_fail(c, &ev->start_mark, "aliases (*name) are not supported");
            return NULL;
        default:
            s_fail(c, &ev->start_mark, "unexpected YAML event");
            return NULL;
    }
}

json_t *al_yaml_parse(const char *text, size_t n, const char *name, int code)
{
    struct s_ctx c;
    yaml_event_t ev;
    json_t *root = NULL;
    bool have_doc = false;

    memset(&c, 0, sizeof(c));
    c.name = name;
    c.code = code;
    if (!yaml_parser_initialize(&c.parser)) {
        al_raise(AL_ERR_NOMEM, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, n);
    for (;;) {
        if (s_next(&c, &ev))
            goto on_error;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
            if (have_doc) {
                s_fail(&c, &ev.start_mark, "more than one YAML document");
                yaml_event_delete(&ev);
                goto on_error;
            }
            have_doc = true;
        } else if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT ||
                   ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT) {
            root = s_node(&c, &ev, 1);
            if (!root) {
                yaml_event_delete(&ev);
                goto on_error;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&c.parser);
    if (!root)
        root = json_null();
    return root;
on_error:
    json_decref(root);
    yaml_parser_delete(&c.parser);
    return NULL;
}
