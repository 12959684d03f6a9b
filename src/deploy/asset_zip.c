/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/asset_zip.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <minizip/zip.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/str.h"

#define AL_ZIP_CHUNK (64u * 1024u)
/* "Version made by": Unix (3) in the high byte, so readers honour the mode. */
#define AL_ZIP_MADE_BY_UNIX ((3u << 8) | 20u)
/* General purpose flag bit 11: the name is UTF-8. */
#define AL_ZIP_FLAG_UTF8 0x0800u

struct s_entry {
    char *name; /* '/'-separated path inside the archive */
    char *path; /* what to read: the file or the real path a symlink resolves to */
    mode_t mode;
};

struct s_zwalk {
    const char *dir; /* as given, for messages */
    char root[PATH_MAX];
    struct s_entry *entries;
    size_t n, cap;
    uint64_t bytes;
    size_t dirs;
    struct al_strv ancestors; /* real paths of the directories being walked */
};

static void s_entries_free(struct s_zwalk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->entries[i].name);
        free(w->entries[i].path);
    }
    free(w->entries);
    w->entries = NULL;
    w->n = w->cap = 0;
}

static bool s_inside(const struct s_zwalk *w, const char *real)
{
    size_t n = strlen(w->root);
    return strncmp(real, w->root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static int s_add(struct s_zwalk *w, const char *path, const char *name, const struct stat *st)
{
    struct s_entry *e;
    if (w->n >= AL_ZIP_MAX_FILES)
        return al_raise(AL_ERR_USAGE,
                        "asset directory %.300s holds more than %u files, the most a zip "
                        "without zip64 can hold",
                        w->dir,
                        AL_ZIP_MAX_FILES);
    w->bytes += (uint64_t)st->st_size;
    if (w->bytes > AL_ZIP_MAX_INPUT_BYTES)
        return al_raise(AL_ERR_USAGE,
                        "asset directory %.300s holds more than %llu bytes, the limit for a zip "
                        "asset (Lambda takes 250 MB unzipped)",
                        w->dir,
                        (unsigned long long)AL_ZIP_MAX_INPUT_BYTES);
    if (!al_utf8_valid(name, strlen(name)))
        return al_raise(
          AL_ERR_USAGE, "asset file name '%.200s' in %.300s is not UTF-8; rename it", name, w->dir);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct s_entry *p = realloc(w->entries, cap * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        w->entries = p;
        w->cap = cap;
    }
    e = &w->entries[w->n];
    e->name = al_strdup(name);
    e->path = al_strdup(path);
    e->mode = st->st_mode;
    if (!e->name || !e->path) {
        free(e->name);
        free(e->path);
        return -1;
    }
    w->n++;
    return 0;
}

static int s_walk(struct s_zwalk *w, const char *dir, const char *real_dir, const char *rel);

/* One directory entry: a file, a directory, or a symlink resolved inside. */
static int s_entry(struct s_zwalk *w, const char *path, const char *rel)
{
    struct stat st;
    char real[PATH_MAX];
    const char *read_path = path;

    if (lstat(path, &st) != 0)
        return al_raise(AL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        if (!realpath(path, real))
            return al_raise(AL_ERR_USAGE,
                            "asset symlink '%.200s' in %.300s is broken: %s",
                            rel,
                            w->dir,
                            strerror(errno));
        if (!s_inside(w, real))
            return al_raise(AL_ERR_USAGE,
                            "asset symlink '%.200s' in %.300s points outside the asset directory "
                            "(to %.300s); airlock zips nothing from outside it: copy the target "
                            "into the directory",
                            rel,
                            w->dir,
                            real);
        if (stat(real, &st) != 0)
            return al_raise(AL_ERR_IO, "cannot read %s: %s", real, strerror(errno));
        read_path = real;
    }
    if (S_ISDIR(st.st_mode)) {
        if (read_path == path && !realpath(path, real))
            return al_raise(AL_ERR_IO, "cannot resolve %s: %s", path, strerror(errno));
        return s_walk(w, path, real, rel);
    }
    if (S_ISREG(st.st_mode))
        return s_add(w, read_path, rel, &st);
    return al_raise(AL_ERR_USAGE,
                    "asset entry '%.200s' in %.300s is not a regular file or directory",
                    rel,
                    w->dir);
}

static int s_walk(struct s_zwalk *w, const char *dir, const char *real_dir, const char *rel)
{
    struct al_strv names;
    struct al_buf path, child;
    bool pushed = false;
    int rc = -1;

    al_strv_init(&names);
    al_buf_init(&path, PATH_MAX);
    al_buf_init(&child, PATH_MAX);
    /* A symlink back to an ancestor would recurse forever. */
    if (al_strv_contains(&w->ancestors, real_dir)) {
        al_raise(
          AL_ERR_USAGE, "asset directory %.300s has a symlink loop at '%.200s'", w->dir, rel);
        goto cleanup;
    }
    if (w->ancestors.len >= AL_ZIP_MAX_DEPTH || ++w->dirs > AL_ZIP_MAX_DIRS) {
        al_raise(AL_ERR_USAGE,
                 "asset directory %.300s is nested deeper than %d levels or holds more than "
                 "%u directories (at '%.200s')",
                 w->dir,
                 AL_ZIP_MAX_DEPTH,
                 AL_ZIP_MAX_DIRS,
                 rel);
        goto cleanup;
    }
    if (al_strv_push(&w->ancestors, real_dir))
        goto cleanup;
    pushed = true;
    if (al_dir_list(dir, &names))
        goto cleanup;
    for (size_t i = 0; i < names.len; i++) {
        al_buf_reset(&path);
        al_buf_reset(&child);
        if (al_buf_printf(&path, "%s/%s", dir, names.items[i]) ||
            al_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", names.items[i]) ||
            s_entry(w, path.data, child.data))
            goto cleanup;
    }
    rc = 0;
cleanup:
    if (pushed) {
        w->ancestors.len--;
        free(w->ancestors.items[w->ancestors.len]);
    }
    al_strv_clean_up(&names);
    al_buf_clean_up(&path);
    al_buf_clean_up(&child);
    return rc;
}

static int s_cmp_entries(const void *a, const void *b)
{
    return strcmp(((const struct s_entry *)a)->name, ((const struct s_entry *)b)->name);
}

static bool s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Streams one file into the open archive as one entry. */
static int s_write_entry(zipFile zf, const struct s_entry *e, char *chunk, uint64_t *budget)
{
    zip_fileinfo zi;
    int fd = -1, zrc, rc = -1;
    bool open_entry = false;

    memset(&zi, 0, sizeof(zi));
    zi.dosDate = AL_ZIP_DOS_EPOCH; /* non-zero, so tmz_date is ignored */
    zi.external_fa = (uLong)(S_IFREG | (e->mode & 07777)) << 16;
    if ((fd = open(e->path, O_RDONLY | O_CLOEXEC)) < 0) {
        al_raise(AL_ERR_IO, "cannot open %s: %s", e->path, strerror(errno));
        goto cleanup;
    }
    zrc = zipOpenNewFileInZip4_64(zf,
                                  e->name,
                                  &zi,
                                  NULL,
                                  0,
                                  NULL,
                                  0,
                                  NULL,
                                  Z_DEFLATED,
                                  Z_DEFAULT_COMPRESSION,
                                  0,
                                  -MAX_WBITS,
                                  8, /* DEF_MEM_LEVEL */
                                  Z_DEFAULT_STRATEGY,
                                  NULL,
                                  0,
                                  AL_ZIP_MADE_BY_UNIX,
                                  s_ascii(e->name) ? 0 : AL_ZIP_FLAG_UTF8,
                                  0);
    if (zrc != ZIP_OK) {
        al_raise(AL_ERR_IO, "cannot add %s to the zip (minizip error %d)", e->name, zrc);
        goto cleanup;
    }
    open_entry = true;
    for (;;) {
        ssize_t r = read(fd, chunk, AL_ZIP_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            al_raise(AL_ERR_IO, "cannot read %s: %s", e->path, strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        /* A file that grew since the walk must not push the zip past the cap. */
        if ((uint64_t)r > *budget) {
            al_raise(
              AL_ERR_USAGE, "%s grew while being zipped; the zip would pass the cap", e->path);
            goto cleanup;
        }
        *budget -= (uint64_t)r;
        if ((zrc = zipWriteInFileInZip(zf, chunk, (unsigned)r)) != ZIP_OK) {
            al_raise(AL_ERR_IO, "cannot write %s into the zip (minizip error %d)", e->name, zrc);
            goto cleanup;
        }
    }
    open_entry = false;
    if ((zrc = zipCloseFileInZip(zf)) != ZIP_OK) {
        al_raise(AL_ERR_IO, "cannot finish %s in the zip (minizip error %d)", e->name, zrc);
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (open_entry)
        zipCloseFileInZip(zf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The archive must not land in the tree it zips (it would zip itself). */
static int s_out_inside(const struct s_zwalk *w, const char *out_path)
{
    char real[PATH_MAX];
    char *parent = al_strdup(out_path), *slash;
    bool inside;
    if (!parent)
        return -1;
    slash = strrchr(parent, '/');
    if (!slash)
        inside = realpath(".", real) && s_inside(w, real);
    else {
        slash[slash == parent ? 1 : 0] = '\0';
        inside = realpath(parent, real) && s_inside(w, real);
    }
    free(parent);
    if (inside)
        return al_raise(AL_ERR_USAGE,
                        "the zip %.300s would be written inside the directory it zips (%.300s)",
                        out_path,
                        w->dir);
    return 0;
}

int al_zip_dir(const char *dir, const char *out_path, uint64_t *n_files)
{
    struct s_zwalk w;
    struct stat st;
    zipFile zf = NULL;
    char *chunk = NULL;
    uint64_t budget = AL_ZIP_MAX_INPUT_BYTES;
    int rc = -1, zrc;

    memset(&w, 0, sizeof(w));
    al_strv_init(&w.ancestors);
    w.dir = dir;
    if (n_files)
        *n_files = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        al_raise(AL_ERR_USAGE, "asset path %.300s is not a directory", dir);
        goto cleanup;
    }
    if (!realpath(dir, w.root)) {
        al_raise(AL_ERR_IO, "cannot resolve %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    if (s_out_inside(&w, out_path))
        goto cleanup;
    if (s_walk(&w, dir, w.root, ""))
        goto cleanup;
    /* Directory order is not the byte order of whole paths ("a/b" vs "a-b"). */
    if (w.n > 1)
        qsort(w.entries, w.n, sizeof(*w.entries), s_cmp_entries);
    if (!(chunk = malloc(AL_ZIP_CHUNK))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (!(zf = zipOpen64(out_path, APPEND_STATUS_CREATE))) {
        al_raise(AL_ERR_IO, "cannot create %s: %s", out_path, strerror(errno));
        goto cleanup;
    }
    for (size_t i = 0; i < w.n; i++)
        if (s_write_entry(zf, &w.entries[i], chunk, &budget))
            goto cleanup;
    zrc = zipClose(zf, NULL);
    zf = NULL;
    if (zrc != ZIP_OK) {
        al_raise(AL_ERR_IO, "cannot finish %s (minizip error %d)", out_path, zrc);
        goto cleanup;
    }
    if (n_files)
        *n_files = w.n;
    rc = 0;
cleanup:
    if (zf)
        zipClose(zf, NULL);
    if (rc && out_path)
        unlink(out_path);
    free(chunk);
    s_entries_free(&w);
    al_strv_clean_up(&w.ancestors);
    return rc;
}
