/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/commands.h"

#include <string.h>

#include <openssl/rand.h>

#include "util/hash.h"
#include "util/secret.h"

static FILE *s_out;

static int s_escape(struct al_buf *out, const char *s, int property)
{
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
            case '%':
                rep = "%25";
                break;
            case '\r':
                rep = "%0D";
                break;
            case '\n':
                rep = "%0A";
                break;
            case ':':
                rep = property ? "%3A" : NULL;
                break;
            case ',':
                rep = property ? "%2C" : NULL;
                break;
            default:
                break;
        }
        if (rep ? al_buf_puts(out, rep) : al_buf_putc(out, *s))
            return -1;
    }
    return 0;
}

int al_gha_escape_data(struct al_buf *out, const char *s)
{
    return s_escape(out, s, 0);
}

int al_gha_escape_property(struct al_buf *out, const char *s)
{
    return s_escape(out, s, 1);
}

/*
 * A plain log line is printed line by line; a line that would parse as a
 * command (it starts with "::" after white space) gets a visible prefix.
 */
static void s_plain(const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\r\n");
        const char *p = text;
        while (p < text + n && (*p == ' ' || *p == '\t'))
            p++;
        if (n - (size_t)(p - text) >= 2 && p[0] == ':' && p[1] == ':')
            fputs("(escaped) ", s_out);
        fwrite(text, 1, n, s_out);
        fputc('\n', s_out);
        text += n;
        if (*text == '\r' && text[1] == '\n')
            text++;
        if (*text)
            text++;
    }
}

static void s_command(const char *name, const struct al_log_where *where, const char *text)
{
    struct al_buf line;
    al_buf_init(&line, 256 * 1024);
    al_buf_printf(&line, "::%s", name);
    if (where) {
        const char *sep = " ";
        if (where->file) {
            al_buf_printf(&line, "%sfile=", sep);
            al_gha_escape_property(&line, where->file);
            sep = ",";
        }
        if (where->line > 0) {
            al_buf_printf(&line, "%sline=%d", sep, where->line);
            sep = ",";
        }
        if (where->title) {
            al_buf_printf(&line, "%stitle=", sep);
            al_gha_escape_property(&line, where->title);
        }
    }
    al_buf_puts(&line, "::");
    al_gha_escape_data(&line, text);
    fprintf(s_out, "%s\n", al_buf_str(&line));
    al_buf_clean_up(&line);
}

static void s_writer(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    switch (level) {
        case AL_LOG_DEBUG:
            s_command("debug", NULL, text);
            break;
        case AL_LOG_INFO:
            s_plain(text);
            break;
        case AL_LOG_NOTICE:
            s_command("notice", where, text);
            break;
        case AL_LOG_WARNING:
            s_command("warning", where, text);
            break;
        case AL_LOG_ERROR:
            s_command("error", where, text);
            break;
        case AL_LOG_GROUP_BEGIN:
            s_command("group", NULL, text);
            break;
        case AL_LOG_GROUP_END:
            fputs("::endgroup::\n", s_out);
            break;
    }
    fflush(s_out);
}

static void s_mask_hook(const char *value)
{
    struct al_buf line;
    al_buf_init(&line, 64 * 1024);
    /* One line per command: util/secret.c hands multi-line values over line by line. */
    if (al_gha_escape_data(&line, value) == 0)
        fprintf(s_out, "::add-mask::%s\n", al_buf_str(&line));
    fflush(s_out);
    al_buf_clean_up(&line);
}

void al_gha_commands_install(FILE *out)
{
    s_out = out;
    al_log_set_writer(s_writer);
    al_secret_set_hook(s_mask_hook);
}

int al_gha_stop_commands(char token[65])
{
    uint8_t rnd[32];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return al_raise(AL_ERR_INTERNAL, "no random bytes for the stop-commands token");
    al_hex(rnd, sizeof(rnd), token);
    if (s_out) {
        fprintf(s_out, "::stop-commands::%s\n", token);
        fflush(s_out);
    }
    return 0;
}

void al_gha_resume_commands(const char token[65])
{
    if (s_out) {
        fprintf(s_out, "::%s::\n", token);
        fflush(s_out);
    }
}
