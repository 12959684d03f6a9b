/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/site.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/mime.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#define AL_SITE_MAX_DEPTH 128
#define AL_SITE_HASH_CHUNK (256u * 1024u)

/* The hashing worker of al_site_hash_begin. */
struct al_site_hasher {
    pthread_t thread;
    struct al_site *site;
    atomic_bool stop;      /* set by al_site_clean_up: stop between two files */
    int rc;                /* the worker's result, read after the join */
    struct al_error error; /* the worker's error record when rc is -1 */
};

struct s_walk {
    const struct al_site_opts *opts;
    struct al_site *site;
    char root_real[PATH_MAX]; /* realpath of site-dir, for the containment check */
    size_t prefix_len;
};

/* Joins the worker, if any; its failure replaces the error record only when raise is set. */
static int s_hash_join(struct al_site *s, bool raise)
{
    struct al_site_hasher *h = s->hasher;
    int rc;
    if (!h)
        return 0;
    pthread_join(h->thread, NULL);
    s->hasher = NULL;
    rc = h->rc;
    if (rc && raise)
        *al_error_mut() = h->error;
    free(h);
    return rc;
}

void al_site_init(struct al_site *s)
{
    memset(s, 0, sizeof(*s));
}

void al_site_clean_up(struct al_site *s)
{
    if (!s)
        return;
    if (s->hasher) {
        /* A failed run need not wait for the rest of a large site, and keeps its own error. */
        atomic_store(&s->hasher->stop, true);
        s_hash_join(s, false);
    }
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

static int s_add(struct s_walk *w, const char *rel, uint64_t size)
{
    struct al_site *s = w->site;
    struct al_site_file *f;
    size_t rel_len = strlen(rel);
    char *key;

    if (s->len >= AL_SITE_MAX_FILES)
        return al_raise(
          AL_ERR_USAGE, "site-dir holds more than %u files, the limit", AL_SITE_MAX_FILES);
    if (s_check_name(rel))
        return -1;
    if (w->prefix_len + rel_len > AL_SITE_MAX_KEY)
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
    /* Exact size: a buffer's spare capacity, times 100,000 files, is megabytes. */
    if (!(key = malloc(w->prefix_len + rel_len + 1)))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    if (w->prefix_len)
        memcpy(key, w->opts->prefix, w->prefix_len);
    memcpy(key + w->prefix_len, rel, rel_len + 1);
    f = &s->files[s->len++];
    memset(f, 0, sizeof(*f));
    f->key = key;
    f->size = size;
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

/*
 * One directory entry (name in the directory open as dfd, path = dir/name): a
 * file, a directory, or a symlink resolved inside site-dir.
 */
static int s_entry(struct s_walk *w,
                   int dfd,
                   const char *name,
                   const char *path,
                   const char *rel,
                   int depth)
{
    struct stat st;
    char real[PATH_MAX];

    /* Relative to the directory: no lookup of the whole path per file. */
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
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
        return s_add(w, rel, (uint64_t)st.st_size);
    return al_raise(AL_ERR_USAGE, "site entry '%.200s' is not a regular file or directory", rel);
}

/* b = a + sep + name (sep may be ""), within b's cap. @return 0 or -1. */
static int s_join(struct al_buf *b, const char *a, const char *sep, const char *name)
{
    al_buf_reset(b);
    return al_buf_puts(b, a) || al_buf_puts(b, sep) || al_buf_puts(b, name) ? -1 : 0;
}

static int s_walk_dir(struct s_walk *w, const char *dir, const char *rel, int depth)
{
    struct al_strv names;
    struct al_buf path, child;
    int dfd = -1, rc = -1;

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
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        al_raise(AL_ERR_IO, "cannot open directory %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    if (al_dir_list_fd(dfd, dir, &names))
        goto cleanup;
    for (size_t i = 0; i < names.len; i++) {
        const char *name = names.items[i];
        if (s_join(&path, dir, "/", name) || s_join(&child, rel, *rel ? "/" : "", name))
            goto cleanup;
        if (s_excluded(w, child.data))
            continue;
        if (s_entry(w, dfd, name, path.data, child.data, depth))
            goto cleanup;
    }
    rc = 0;
cleanup:
    if (dfd >= 0)
        close(dfd);
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
    return al_site_walk(opts, s) || al_site_hash(s) ? -1 : 0;
}

int al_site_walk(const struct al_site_opts *opts, struct al_site *s)
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

/* al_site_hash, stopping early when *stop is set (NULL: never). */
static int s_hash_files(struct al_site *s, atomic_bool *stop)
{
    char path[PATH_MAX];
    uint8_t sha[AL_SHA256_LEN];
    uint64_t t0 = al_clock_mono_ms(), size = 0;
    /* One buffer and one digest context for every file: most files are a few KB. */
    struct al_hasher *h = al_hasher_new(0, 1);
    char *buf = malloc(AL_SITE_HASH_CHUNK);
    int rc = -1;

    if (!h)
        goto cleanup;
    if (!buf) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < s->len; i++) {
        struct al_site_file *f = &s->files[i];
        if (stop && atomic_load(stop)) {
            al_raise(AL_ERR_INTERNAL, "site hashing was stopped");
            goto cleanup;
        }
        if (al_site_path(s, f, path) ||
            al_hash_file_with(h, buf, AL_SITE_HASH_CHUNK, path, NULL, sha, &size))
            goto cleanup;
        /* The size is what the walk saw; the upload sends it as Content-Length. */
        if (size != f->size) {
            al_raise(AL_ERR_USAGE,
                     "%.200s changed while airlock ran (%llu bytes, was %llu); deploy a "
                     "finished build",
                     path,
                     (unsigned long long)size,
                     (unsigned long long)f->size);
            goto cleanup;
        }
        al_hex(sha, AL_SHA256_LEN, f->sha256_hex);
    }
    s->hash_ms = al_clock_mono_ms() - t0;
    rc = 0;
cleanup:
    free(buf);
    al_hasher_free(h);
    return rc;
}

int al_site_hash(struct al_site *s)
{
    return s_hash_files(s, NULL);
}

static void *s_hasher_main(void *arg)
{
    struct al_site_hasher *h = arg;
    h->rc = s_hash_files(h->site, &h->stop);
    /* This thread's error record dies with it: keep a copy for the join. */
    if (h->rc)
        h->error = *al_error_last();
    return NULL;
}

int al_site_hash_begin(struct al_site *s)
{
    struct al_site_hasher *h;
    if (s->hasher)
        return al_raise(AL_ERR_INTERNAL, "site hashing started twice");
    if (!(h = calloc(1, sizeof(*h))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    h->site = s;
    atomic_init(&h->stop, false);
    if (pthread_create(&h->thread, NULL, s_hasher_main, h) != 0) {
        /* No thread (a tight RLIMIT_NPROC, say): the same work, only not overlapped. */
        free(h);
        return al_site_hash(s);
    }
    s->hasher = h;
    return 0;
}

int al_site_hash_end(struct al_site *s)
{
    return s_hash_join(s, true);
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
