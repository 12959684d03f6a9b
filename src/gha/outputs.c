/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/outputs.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "util/json.h"
#include "util/secret.h"

void al_outputs_init(struct al_outputs *o)
{
    al_strv_init(&o->names);
    al_strv_init(&o->values);
}

void al_outputs_clean_up(struct al_outputs *o)
{
    if (!o)
        return;
    al_strv_clean_up(&o->names);
    al_strv_clean_up(&o->values);
}

static bool s_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

char *al_outputs_name(const char *text)
{
    char *s = al_strndup(text, strnlen(text, 200));
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            *p = '_';
    return s;
}

int al_outputs_set(struct al_outputs *o, const char *name, const char *value)
{
    struct al_buf clean;
    char *v;
    if (!s_valid_name(name))
        return al_raise(AL_ERR_INTERNAL, "invalid output name '%.200s'", name);
    al_buf_init(&clean, AL_OUTPUTS_MAX_BYTES);
    if (al_secret_redact(&clean, value, strlen(value)) || !(v = al_buf_detach(&clean))) {
        al_buf_clean_up(&clean);
        return -1;
    }
    for (size_t i = 0; i < o->names.len; i++) {
        if (strcmp(o->names.items[i], name) == 0) {
            free(o->values.items[i]);
            o->values.items[i] = v;
            return 0;
        }
    }
    if (al_strv_push(&o->names, name))
        goto on_error;
    if (al_strv_push_owned(&o->values, v)) {
        free(o->names.items[--o->names.len]);
        return -1;
    }
    return 0;
on_error:
    free(v);
    return -1;
}

const char *al_outputs_get(const struct al_outputs *o, const char *name)
{
    for (size_t i = 0; i < o->names.len; i++)
        if (strcmp(o->names.items[i], name) == 0)
            return o->values.items[i];
    return NULL;
}

int al_outputs_record(struct al_buf *out, const char *name, const char *value, const char *delim)
{
    if (strstr(name, delim))
        return al_raise(AL_ERR_INTERNAL, "output name contains the delimiter '%s'", delim);
    /* The runner splits the header at the first '=' or '<<' and ends it at a line break. */
    if (!*name || strpbrk(name, "\r\n=") || strstr(name, "<<"))
        return al_raise(AL_ERR_INTERNAL, "output name is empty or holds a line break, '=' or '<<'");
    if (strstr(value, delim))
        return al_raise(
          AL_ERR_INTERNAL, "output value of '%s' contains the delimiter '%s'", name, delim);
    return al_buf_printf(out, "%s<<%s\n%s\n%s\n", name, delim, value, delim);
}

/* ghadelimiter_<uuid v4>, as the toolkit makes them. */
static int s_delimiter(char out[64])
{
    uint8_t r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return al_raise(AL_ERR_INTERNAL, "no random bytes for the output delimiter");
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
    snprintf(out,
             64,
             "ghadelimiter_%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0],
             r[1],
             r[2],
             r[3],
             r[4],
             r[5],
             r[6],
             r[7],
             r[8],
             r[9],
             r[10],
             r[11],
             r[12],
             r[13],
             r[14],
             r[15]);
    return 0;
}

int al_outputs_write_file(const struct al_outputs *o, const char *path)
{
    struct al_buf all;
    char delim[64];
    int rc = -1;

    al_buf_init(&all, AL_OUTPUTS_MAX_BYTES + 64 * 1024);
    for (size_t i = 0; i < o->names.len; i++)
        if (s_delimiter(delim) ||
            al_outputs_record(&all, o->names.items[i], o->values.items[i], delim))
            goto cleanup;
    if (al_file_append(path, all.data, all.len, "GITHUB_OUTPUT"))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&all);
    return rc;
}

int al_outputs_print(const struct al_outputs *o, FILE *f, bool json)
{
    if (json) {
        json_t *obj = json_object();
        char *text;
        if (!obj)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < o->names.len; i++)
            json_object_set_new(obj, o->names.items[i], json_string(o->values.items[i]));
        text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(obj);
        if (!text)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        fprintf(f, "%s\n", text);
        free(text);
    } else {
        for (size_t i = 0; i < o->names.len; i++) {
            fprintf(f, "%s=", o->names.items[i]);
            for (const char *p = o->values.items[i]; *p; p++) {
                if (*p == '\n')
                    fputs("\\n", f);
                else if (*p == '\\')
                    fputs("\\\\", f);
                else
                    fputc(*p, f);
            }
            fputc('\n', f);
        }
    }
    fflush(f);
    return 0;
}
