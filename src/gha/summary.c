/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/summary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    size_t room = AL_SUMMARY_MAX_BYTES, off = 0;
    int fd = -1, rc = -1;

    al_buf_init(&clean, 4 * AL_SUMMARY_MAX_BYTES + 4096);
    if (al_secret_redact(&clean, al_buf_str(&s->md), s->md.len))
        goto cleanup;
    if (stat(path, &st) == 0)
        room = (size_t)st.st_size >= room ? 0 : room - (size_t)st.st_size;
    if (al_summary_fit(&clean, room))
        goto cleanup;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        al_raise(AL_ERR_IO, "cannot open GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
        goto cleanup;
    }
    while (off < clean.len) {
        ssize_t w = write(fd, clean.data + off, clean.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            al_raise(AL_ERR_IO, "cannot write GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
            goto cleanup;
        }
        off += (size_t)w;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    al_buf_clean_up(&clean);
    return rc;
}
