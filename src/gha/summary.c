/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/summary.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "util/json.h"
#include "util/secret.h"

#define AL_SUMMARY_CUT_NOTE                                                                        \
    "\n> **Note:** this summary was cut to stay under GitHub's 1 MiB limit.\n"

void al_summary_init(struct al_summary *s)
{
    /* Room to build past the cap; al_summary_fit cuts it down. */
    al_buf_init(&s->md, 4 * AL_SUMMARY_MAX_BYTES);
}

void al_summary_clean_up(struct al_summary *s)
{
    if (s)
        al_buf_clean_up(&s->md);
}

int al_summary_add(struct al_summary *s, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = al_buf_vprintf(&s->md, fmt, ap);
    va_end(ap);
    return rc;
}

int al_summary_escape(struct al_buf *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        int rc;
        switch (*p) {
            case '|':
            case '`':
            case '*':
            case '_':
            case '[':
            case ']':
            case '\\':
                rc = al_buf_putc(out, '\\') || al_buf_putc(out, *p);
                break;
            case '<':
                rc = al_buf_puts(out, "&lt;");
                break;
            case '>':
                rc = al_buf_puts(out, "&gt;");
                break;
            case '&':
                rc = al_buf_puts(out, "&amp;");
                break;
            case '\r':
            case '\n':
                rc = al_buf_putc(out, ' ');
                break;
            default:
                rc = al_buf_putc(out, *p);
        }
        if (rc)
            return -1;
    }
    return 0;
}

int al_summary_fit(struct al_buf *md, size_t max)
{
    size_t note = strlen(AL_SUMMARY_CUT_NOTE);
    size_t cut;
    if (md->len <= max)
        return 0;
    if (max < note)
        return al_raise(AL_ERR_LIMIT, "no room for the job summary");
    cut = max - note;
    while (cut > 0 && md->data[cut - 1] != '\n')
        cut--;
    md->len = cut;
    md->data[cut] = '\0';
    return al_buf_puts(md, AL_SUMMARY_CUT_NOTE);
}

int al_summary_write_file(const struct al_summary *s, const char *path)
{
    struct al_buf clean;
    struct stat st;
    size_t room = AL_SUMMARY_MAX_BYTES;
    int rc = -1;

    al_buf_init(&clean, 4 * AL_SUMMARY_MAX_BYTES + 4096);
    if (al_secret_redact(&clean, al_buf_str(&s->md), s->md.len))
        goto cleanup;
    if (stat(path, &st) == 0)
        room = (size_t)st.st_size >= room ? 0 : room - (size_t)st.st_size;
    if (al_summary_fit(&clean, room))
        goto cleanup;
    if (al_file_append(path, clean.data, clean.len, "GITHUB_STEP_SUMMARY"))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&clean);
    return rc;
}
