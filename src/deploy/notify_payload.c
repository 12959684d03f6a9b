/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/notify_payload.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

/* Slack's limits, with room for the escaping that follows a cut. */
#define HEADER_MAX 140u   /* of 150 characters */
#define SECTION_MAX 2800u /* of 3,000 characters */
#define FIELD_MAX 1800u   /* of 2,000 characters */
#define TEXT_MAX 3500u    /* the notification text: keep it short */
#define STACKS_SHOWN 20u

static bool s_set(const char *s)
{
    return s && *s;
}

/* The longest prefix of at most max bytes that ends on a UTF-8 character boundary. */
static size_t s_cut(const char *s, size_t max, bool *cut)
{
    size_t n = strlen(s);
    *cut = n > max;
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

int al_slack_escape(struct al_buf *out, const char *text, size_t max_bytes)
{
    bool cut;
    size_t n = s_cut(text, max_bytes, &cut);
    for (size_t i = 0; i < n; i++) {
        int rc;
        switch (text[i]) {
            case '&':
                rc = al_buf_puts(out, "&amp;");
                break;
            case '<':
                rc = al_buf_puts(out, "&lt;");
                break;
            case '>':
                rc = al_buf_puts(out, "&gt;");
                break;
            default:
                rc = al_buf_putc(out, text[i]);
        }
        if (rc)
            return -1;
    }
    return cut ? al_buf_puts(out, "...") : 0;
}

int al_notify_stack_names(struct al_buf *out, const char *stacks_json)
{
    json_t *doc, *v;
    const char *key;
    size_t shown = 0, total = 0, i;
    int rc = -1;

    if (!s_set(stacks_json))
        return 0;
    if (!(doc = json_loads(stacks_json, JSON_DECODE_ANY, NULL)))
        return 0; /* not ours to judge: shown without stacks */
#define NAME(name)                                                                                 \
    do {                                                                                           \
        total++;                                                                                   \
        if (name && shown < STACKS_SHOWN) {                                                        \
            if ((shown++ && al_buf_puts(out, ", ")) || al_slack_escape(out, name, 256))            \
                goto cleanup;                                                                      \
        }                                                                                          \
    } while (0)
    if (json_is_array(doc)) {
        json_array_foreach(doc, i, v)
        {
            const char *name = json_string_value(v);
            if (!name && json_is_object(v)) {
                name = json_string_value(json_object_get(v, "name"));
                if (!name)
                    name = json_string_value(json_object_get(v, "stackName"));
                if (!name)
                    name = json_string_value(json_object_get(v, "StackName"));
            }
            NAME(name);
        }
    } else if (json_is_object(doc)) {
        json_object_foreach(doc, key, v)
        {
            NAME(key);
        }
    }
#undef NAME
    if (total > shown && shown && al_buf_printf(out, " and %zu more", total - shown))
        goto cleanup;
    rc = 0;
cleanup:
    json_decref(doc);
    return rc;
}

static const char *s_mark(const char *status)
{
    if (!s_set(status) || strcmp(status, "failed") == 0)
        return "\xE2\x9D\x8C"; /* cross mark */
    if (strcmp(status, "rolled-back") == 0)
        return "\xE2\x86\xA9\xEF\xB8\x8F"; /* leftwards arrow with hook */
    if (strcmp(status, "planned") == 0)
        return "\xF0\x9F\x93\x9D"; /* memo */
    return "\xE2\x9C\x85";         /* check mark */
}

/* Adds a {"type": t, "text": text} object to parent under name (or appends to an array). */
static int s_text_obj(json_t *parent, const char *name, const char *type, const char *text)
{
    json_t *o = json_pack("{s:s, s:s}", "type", type, "text", text);
    int rc;
    if (!o)
        return al_raise(AL_ERR_INTERNAL, "slack payload: text is not UTF-8");
    rc = name ? json_object_set_new(parent, name, o) : json_array_append_new(parent, o);
    return rc ? al_raise(AL_ERR_NOMEM, "out of memory") : 0;
}

static int s_section(json_t *blocks, const struct al_buf *md)
{
    json_t *b = json_pack("{s:s}", "type", "section");
    if (!b || json_array_append_new(blocks, b))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    return s_text_obj(b, "text", "mrkdwn", al_buf_str(md));
}

static int s_field(json_t *fields, const char *label, const char *value, bool code)
{
    struct al_buf b;
    int rc = -1;
    if (!s_set(value))
        return 0;
    al_buf_init(&b, 8192);
    if (al_buf_printf(&b, "*%s*\n%s", label, code ? "`" : "") ||
        al_slack_escape(&b, value, FIELD_MAX) || (code && al_buf_putc(&b, '`')))
        goto cleanup;
    rc = s_text_obj(fields, NULL, "mrkdwn", al_buf_str(&b));
cleanup:
    al_buf_clean_up(&b);
    return rc;
}

static int s_title(struct al_buf *t, const struct al_notify_info *in)
{
    const char *cmd = s_set(in->command) ? in->command : "deploy";
    if (al_buf_printf(t, "%s %c%s", s_mark(in->status), toupper((unsigned char)cmd[0]), cmd + 1))
        return -1;
    if (s_set(in->version) && (al_buf_putc(t, ' ') || al_buf_puts(t, in->version)))
        return -1;
    if (s_set(in->environment) && al_buf_printf(t, " to %s", in->environment))
        return -1;
    return al_buf_printf(t, ": %s", s_set(in->status) ? in->status : "failed");
}

static int s_changes(struct al_buf *md, const struct al_notify_info *in)
{
    struct al_buf stacks;
    int rc = -1;
    al_buf_init(&stacks, 16384);
    if (al_notify_stack_names(&stacks, in->stacks_json))
        goto cleanup;
    if (stacks.len && al_buf_printf(md, "\nStacks: %s", al_buf_str(&stacks)))
        goto cleanup;
    if (s_set(in->files_uploaded) || s_set(in->files_deleted) || s_set(in->files_unchanged)) {
        if (al_buf_puts(md, "\nFiles: ") ||
            al_slack_escape(md, s_set(in->files_uploaded) ? in->files_uploaded : "0", 32) ||
            al_buf_puts(md, " uploaded, ") ||
            al_slack_escape(md, s_set(in->files_deleted) ? in->files_deleted : "0", 32) ||
            al_buf_puts(md, " deleted, ") ||
            al_slack_escape(md, s_set(in->files_unchanged) ? in->files_unchanged : "0", 32) ||
            al_buf_puts(md, " unchanged"))
            goto cleanup;
    }
    if (s_set(in->invalidation_id) &&
        (al_buf_puts(md, "\nInvalidation: `") || al_slack_escape(md, in->invalidation_id, 128) ||
         al_buf_putc(md, '`')))
        goto cleanup;
    if (s_set(in->health_status) &&
        (al_buf_puts(md, "\nHealth: HTTP ") || al_slack_escape(md, in->health_status, 16)))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&stacks);
    return rc;
}

json_t *al_notify_payload(const struct al_notify_info *in)
{
    json_t *root = json_object(), *blocks = json_array(), *fields = json_array(), *b;
    struct al_buf title, md;
    char dur[32], sha[13];
    bool ok = false, cut;

    al_buf_init(&title, 4096);
    al_buf_init(&md, 64 * 1024);
    if (!root || !blocks || !fields || json_object_set(root, "blocks", blocks)) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (s_title(&title, in))
        goto cleanup;

    /* The notification text (what a phone shows): the title and the commit message. */
    if (al_slack_escape(&md, al_buf_str(&title), 512) ||
        (s_set(in->commit_message) &&
         (al_buf_putc(&md, '\n') || al_slack_escape(&md, in->commit_message, TEXT_MAX))) ||
        json_object_set_new(root, "text", json_string(al_buf_str(&md)))) {
        al_raise(AL_ERR_INTERNAL, "slack payload: the text is not valid UTF-8");
        goto cleanup;
    }

    /* Header: plain text, no escaping, at most 150 characters. */
    al_buf_reset(&md);
    {
        size_t n = s_cut(al_buf_str(&title), HEADER_MAX, &cut);
        if (al_buf_append(&md, title.data, n) || (cut && al_buf_puts(&md, "...")))
            goto cleanup;
    }
    b = json_pack("{s:s}", "type", "header");
    if (!b || json_array_append_new(blocks, b) ||
        json_object_set_new(
          b,
          "text",
          json_pack(
            "{s:s, s:s, s:b}", "type", "plain_text", "text", al_buf_str(&md), "emoji", 1)) ||
        !json_object_get(b, "text")) {
        al_raise(AL_ERR_INTERNAL, "slack payload: the header is not valid UTF-8");
        goto cleanup;
    }

    /* Facts, two columns. */
    snprintf(dur,
             sizeof(dur),
             "%llum %02llus",
             (unsigned long long)(in->duration_s / 60),
             (unsigned long long)(in->duration_s % 60));
    snprintf(sha, sizeof(sha), "%.12s", s_set(in->commit) ? in->commit : "");
    if (s_field(fields, "Status", in->status, false) ||
        s_field(fields, "Environment", in->environment, false) ||
        s_field(fields, "Version", in->version, true) ||
        s_field(fields, "Previous version", in->previous_version, true) ||
        s_field(fields, "Actor", in->actor, false) || s_field(fields, "Duration", dur, false) ||
        s_field(fields, "Commit", sha, true) ||
        s_field(fields, "Repository", in->repository, false))
        goto cleanup;
    b = json_pack("{s:s, s:O}", "type", "section", "fields", fields);
    if (!b || json_array_append_new(blocks, b)) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }

    if (s_set(in->commit_message)) {
        al_buf_reset(&md);
        if (al_buf_puts(&md, "*Commit message*\n") ||
            al_slack_escape(&md, in->commit_message, SECTION_MAX) || s_section(blocks, &md))
            goto cleanup;
    }
    al_buf_reset(&md);
    if (s_changes(&md, in))
        goto cleanup;
    if (md.len) {
        struct al_buf c;
        int rc;
        al_buf_init(&c, 64 * 1024);
        rc = al_buf_printf(&c, "*Changes*%s", al_buf_str(&md)) || s_section(blocks, &c);
        al_buf_clean_up(&c);
        if (rc)
            goto cleanup;
    }
    if (s_set(in->error)) {
        al_buf_reset(&md);
        if (al_buf_puts(&md, "*Error*\n") || al_slack_escape(&md, in->error, SECTION_MAX) ||
            s_section(blocks, &md))
            goto cleanup;
    }
    if (s_set(in->rollback_command)) {
        al_buf_reset(&md);
        if (al_buf_puts(&md, "*Roll back*\n```") ||
            al_slack_escape(&md, in->rollback_command, SECTION_MAX) || al_buf_puts(&md, "```") ||
            s_section(blocks, &md))
            goto cleanup;
    }
    if (s_set(in->run_url)) {
        json_t *ctx = json_pack("{s:s, s:[]}", "type", "context", "elements");
        al_buf_reset(&md);
        if (!ctx || json_array_append_new(blocks, ctx) || al_buf_putc(&md, '<') ||
            al_slack_escape(&md, in->run_url, 2000) || al_buf_puts(&md, "|View the run>") ||
            s_text_obj(json_object_get(ctx, "elements"), NULL, "mrkdwn", al_buf_str(&md)))
            goto cleanup;
    }
    ok = true;
cleanup:
    json_decref(blocks);
    json_decref(fields);
    al_buf_clean_up(&title);
    al_buf_clean_up(&md);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}
