/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/site.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deploy/mime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define AL_SITE_MAX_DEPTH 128

struct s_walk {
    const struct al_site_opts *opts;
    struct al_site *site;
    char root_real[PATH_MAX]; /* realpath of site-dir, for the containment check */
    size_t prefix_len;
};

void al_site_init(struct al_site *s)
{
    memset(s, 0, sizeof(*s));
}

void al_site_clean_up(struct al_site *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->len; i++)
        free(s->files[i].key);
    free(s->files);
    al_site_init(s);
}

/* True when real (a resolved path) is site-dir itself or inside it. */
static bool s_inside(const struct s_walk *w, const char *real)
{
    size_t n = strlen(w->root_real);
    return strncmp(real, w->root_real, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static bool s_excluded(const struct s_walk *w, const char *rel)
{
    const struct al_strv *ex = w->opts->exclude;
    for (size_t i = 0; ex && i < ex->len; i++)
        if (al_glob_match(ex->items[i], rel))
            return true;
    return false;
}

static int s_check_name(const char *rel)
{
    size_t n = strlen(rel);
    if (!al_utf8_valid(rel, n))
        return al_raise(AL_ERR_USAGE,
                        "site file name is not valid UTF-8: '%.200s'; S3 keys must be UTF-8, "
                        "rename the file",
                        rel);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)rel[i] < 0x20 || rel[i] == 0x7f)
            return al_raise(AL_ERR_USAGE,
                            "site file name contains a control character: '%.200s'; rename it",
                            rel);
    return 0;
}

static int s_add(struct s_walk *w, const char *path, const char *rel)
{
    struct al_site *s = w->site;
    struct al_site_file *f;
    struct al_buf key;
    uint8_t sha[AL_SHA256_LEN];
    uint64_t size = 0;

    if (s->len >= AL_SITE_MAX_FILES)
        return al_raise(
          AL_ERR_USAGE, "site-dir holds more than %u files, the limit", AL_SITE_MAX_FILES);
    if (s_check_name(rel))
        return -1;
    if (w->prefix_len + strlen(rel) > AL_SITE_MAX_KEY)
        return al_raise(AL_ERR_USAGE,
                        "S3 key for '%.200s...' is over %u bytes, S3's limit",
                        rel,
                        AL_SITE_MAX_KEY);
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct al_site_file *p = realloc(s->files, cap * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        s->files = p;
        s->cap = cap;
    }
    if (al_hash_file(path, NULL, sha, &size))
        return -1;
    al_buf_init(&key, AL_SITE_MAX_KEY + 1);
    if ((w->prefix_len && al_buf_puts(&key, w->opts->prefix)) || al_buf_puts(&key, rel)) {
        al_buf_clean_up(&key);
        return -1;
    }
    f = &s->files[s->len];
    memset(f, 0, sizeof(*f));
    /* Exact size: a buffer's spare capacity, times 100,000 files, is megabytes. */
    f->key = al_strndup(key.data, key.len);
    al_buf_clean_up(&key);
    if (!f->key)
        return -1;
    s->len++;
    f->size = size;
    al_hex(sha, AL_SHA256_LEN, f->sha256_hex);
    f->content_type = al_mime_type(rel);
    f->entry = al_site_is_entry(rel);
    if (w->opts->cache)
        f->cache_control = al_cache_rules_pick(w->opts->cache, rel);
    else
        f->cache_control = f->entry                        ? AL_CACHE_NO_CACHE
                           : al_site_is_fingerprinted(rel) ? AL_CACHE_IMMUTABLE
                                                           : AL_CACHE_SHORT;
    s->total_bytes += size;
    return 0;
}

static int s_walk_dir(struct s_walk *w, const char *dir, const char *rel, int depth);

/* One directory entry: a file, a directory, or a symlink resolved inside site-dir. */
static int s_entry(struct s_walk *w, const char *path, const char *rel, int depth)
{
    struct stat st;
    char real[PATH_MAX];

    if (lstat(path, &st) != 0)
        return al_raise(AL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        if (!realpath(path, real))
            return al_raise(
              AL_ERR_USAGE, "site symlink '%.200s' is broken: %s", rel, strerror(errno));
        if (!s_inside(w, real))
            return al_raise(AL_ERR_USAGE,
                            "site symlink '%.200s' points outside site-dir (to %.200s); airlock "
                            "never uploads files from outside the site",
                            rel,
                            real);
        if (stat(real, &st) != 0)
            return al_raise(AL_ERR_IO, "cannot read %s: %s", real, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return s_walk_dir(w, path, rel, depth + 1);
    if (S_ISREG(st.st_mode))
        return s_add(w, path, rel);
    return al_raise(AL_ERR_USAGE, "site entry '%.200s' is not a regular file or directory", rel);
}

static int s_walk_dir(struct s_walk *w, const char *dir, const char *rel, int depth)
{
    struct al_strv names;
    struct al_buf path, child;
    int rc = -1;

    al_strv_init(&names);
    al_buf_init(&path, PATH_MAX);
    al_buf_init(&child, PATH_MAX);
    if (depth > AL_SITE_MAX_DEPTH) {
        al_raise(AL_ERR_USAGE,
                 "site-dir is nested deeper than %d levels at '%.200s' (a symlink "
                 "loop?)",
                 AL_SITE_MAX_DEPTH,
                 rel);
        goto cleanup;
    }
    if (al_dir_list(dir, &names))
        goto cleanup;
    for (size_t i = 0; i < names.len; i++) {
        al_buf_reset(&path);
        al_buf_reset(&child);
        if (al_buf_printf(&path, "%s/%s", dir, names.items[i]) ||
            al_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", names.items[i]))
            goto cleanup;
        if (s_excluded(w, child.data))
            continue;
        if (s_entry(w, path.data, child.data, depth))
            goto cleanup;
    }
    rc = 0;
cleanup:
    al_strv_clean_up(&names);
    al_buf_clean_up(&path);
    al_buf_clean_up(&child);
    return rc;
}

static int s_cmp_files(const void *a, const void *b)
{
    return strcmp(((const struct al_site_file *)a)->key, ((const struct al_site_file *)b)->key);
}

int al_site_scan(const struct al_site_opts *opts, struct al_site *s)
{
    struct s_walk w;
    struct stat st;

    memset(&w, 0, sizeof(w));
    w.opts = opts;
    w.site = s;
    w.prefix_len = opts->prefix ? strlen(opts->prefix) : 0;
    s->dir = opts->dir;
    s->prefix_len = w.prefix_len;
    if (!opts->dir || !*opts->dir)
        return al_raise(AL_ERR_USAGE, "site-dir is empty");
    if (stat(opts->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return al_raise(AL_ERR_USAGE,
                        "site-dir '%.200s' is not a directory%s%s",
                        opts->dir,
                        errno ? ": " : "",
                        errno ? strerror(errno) : "");
    if (!realpath(opts->dir, w.root_real))
        return al_raise(AL_ERR_IO, "cannot resolve site-dir %s: %s", opts->dir, strerror(errno));
    if (s_walk_dir(&w, opts->dir, "", 0))
        return -1;
    if (s->len == 0)
        return al_raise(AL_ERR_USAGE,
                        "site-dir '%.200s' holds no files (after exclude); did the build run?",
                        opts->dir);
    /* Directory order is not byte order of the whole key ('a/b' vs 'a-b'). */
    qsort(s->files, s->len, sizeof(*s->files), s_cmp_files);
    return 0;
}

int al_site_path(const struct al_site *s, const struct al_site_file *f, char out[PATH_MAX])
{
    int n = snprintf(out, PATH_MAX, "%s/%s", s->dir, f->key + s->prefix_len);
    if (n < 0 || n >= PATH_MAX)
        return al_raise(AL_ERR_USAGE, "local path of '%.200s' is over PATH_MAX", f->key);
    return 0;
}

int al_site_md5(const struct al_site *s, struct al_site_file *f)
{
    char path[PATH_MAX];
    uint64_t size = 0;
    if (f->have_md5)
        return 0;
    if (al_site_path(s, f, path) || al_hash_file(path, f->md5, NULL, &size))
        return -1;
    if (size != f->size)
        return al_raise(AL_ERR_USAGE,
                        "%.200s changed while airlock ran (%llu bytes, was %llu); deploy a "
                        "finished build",
                        path,
                        (unsigned long long)size,
                        (unsigned long long)f->size);
    f->have_md5 = true;
    return 0;
}

const struct al_site_file *al_site_find(const struct al_site *s, const char *key)
{
    size_t lo = 0, hi = s->len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(key, s->files[mid].key);
        if (c == 0)
            return &s->files[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
