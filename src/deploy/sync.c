/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The site step: scan site-dir, read the remote state, plan, then upload in
 * two phases (A: new and changed non-entry files; B: entry files, once every
 * phase A upload has completed) and, after verification, delete the keys
 * the site no longer has (phase C). Uploads run concurrently through the
 * engine (al_s3_batch_run), each PutObject signed with the SHA-256 the scan
 * computed, so no file is read twice; files at or above
 * multipart-threshold go multipart with parallel parts.
 */
#include "deploy/sync.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "deploy/cache_rules.h"
#include "gha/commands.h"
#include "gha/summary.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define PLAN_SHOW 50            /* keys listed per action in the plan */
#define LARGEST_SHOW 5          /* largest uploads in the summary */
#define PROGRESS_EVERY_MS 5000u /* at most one progress line this often */
#define PREFIX_MAX 512

enum s_action {
    ACT_UNCHANGED,
    ACT_NEW,
    ACT_CHANGED,
};

/* The remote side of one key, from a listing or a release (strings borrowed). */
struct s_remote_obj {
    const char *key;
    uint64_t size;
    const char *etag;                         /* listing: unquoted ETag; NULL from a release */
    const char *sha256;                       /* release: recorded SHA-256; listing: NULL */
    const char *content_type, *cache_control; /* release only, may be NULL */
};

struct s_phase {
    size_t *single; /* indices into site.files */
    size_t n_single;
    size_t *multi;
    size_t n_multi;
};

struct s_progress {
    size_t files_total, files_done;
    uint64_t bytes_total, bytes_done, bytes_in_file; /* bytes_in_file: the multipart in flight */
    uint64_t t0, t_last;
};

struct al_sync {
    char *bucket;
    char *prefix;       /* "" or ending in '/' */
    char *store_prefix; /* the release store's prefix when it lives in this bucket */
    struct al_cache_rules rules;
    struct al_site site;
    enum s_action *action; /* per site file */
    bool *uploaded;        /* per site file */
    struct s_phase phase[2];
    size_t n_new, n_changed, n_unchanged;
    uint64_t bytes_planned;
    uint64_t multipart_threshold;
    struct al_strv stale;      /* keys to delete in phase C */
    struct al_strv changed;    /* keys uploaded (planned, dry-run), then deleted; borrowed */
    const char *remote_source; /* static: how the remote state was read */
    size_t heads;              /* HeadObject calls made for multipart ETags */
    /* results */
    size_t n_uploaded, n_deleted;
    uint64_t bytes_uploaded;
    bool scanned, hashed, applied, finished;
    struct s_progress prog;
};

/* ---- small helpers ---- */

/* Human-readable bytes, binary units. */
static const char *s_bytes(uint64_t n, char out[32])
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)n;
    unsigned u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, 32, "%" PRIu64 " B", n);
    else
        snprintf(out, 32, "%.1f %s", v, units[u]);
    return out;
}

/* A key made safe for a log line: control bytes and '\' as \xNN / \\. */
static const char *s_printable(const char *key, struct al_buf *b)
{
    al_buf_reset(b);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        int rc = (*p < 0x20 || *p == 0x7f) ? al_buf_printf(b, "\\x%02x", *p)
                 : *p == '\\'              ? al_buf_puts(b, "\\\\")
                                           : al_buf_putc(b, (char)*p);
        if (rc)
            break;
    }
    return al_buf_str(b);
}

static int s_set_output_u64(struct al_run *r, const char *name, uint64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRIu64, v);
    return al_outputs_set(r->outputs, name, num);
}

/* "", or the prefix without a leading '/' and with a trailing one. */
static int s_norm_prefix(const char *in, char **out)
{
    struct al_buf b;
    size_t n;
    while (in && *in == '/')
        in++;
    n = in ? strlen(in) : 0;
    if (n && !al_utf8_valid(in, n))
        return al_raise(AL_ERR_USAGE, "prefix is not valid UTF-8");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
            return al_raise(AL_ERR_USAGE, "prefix contains a control character");
    /* Browsers and CloudFront resolve '.' and '..' in URL paths: such keys are unreachable. */
    for (const char *seg = in; seg && seg < in + n;) {
        const char *end = memchr(seg, '/', (size_t)(in + n - seg));
        size_t len = end ? (size_t)(end - seg) : (size_t)(in + n - seg);
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return al_raise(AL_ERR_USAGE,
                            "prefix '%.200s' has a '.' or '..' segment; give a plain folder "
                            "path such as 'app/'",
                            in);
        seg = end ? end + 1 : in + n;
    }
    al_buf_init(&b, PREFIX_MAX);
    if ((n && al_buf_append(&b, in, n)) || (n && in[n - 1] != '/' && al_buf_putc(&b, '/'))) {
        al_buf_clean_up(&b);
        return al_raise(AL_ERR_USAGE, "prefix is longer than %u bytes", PREFIX_MAX - 1);
    }
    *out = n ? al_buf_detach(&b) : al_strdup("");
    al_buf_clean_up(&b);
    return *out ? 0 : -1;
}

static int s_check_bucket(const char *bucket)
{
    if (!bucket || !*bucket)
        return al_raise(AL_ERR_USAGE,
                        "site-dir is set but bucket is not: set the bucket input (a name, or "
                        "${stack:Stack.OutputKey})");
    if (strncmp(bucket, "s3://", 5) == 0 || strchr(bucket, '/'))
        return al_raise(AL_ERR_USAGE,
                        "bucket '%.200s' is not a bucket name: give the name alone (use the "
                        "prefix input for a folder)",
                        bucket);
    if (strlen(bucket) < 3 || strlen(bucket) > 63)
        return al_raise(AL_ERR_USAGE, "bucket '%.200s' is not 3 to 63 characters", bucket);
    /* Letters, digits, '.', '-' (and '_' of legacy us-east-1 buckets). */
    if (strspn(bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
        strlen(bucket))
        return al_raise(AL_ERR_USAGE,
                        "bucket '%.200s' is not a bucket name: use lower-case letters, digits, "
                        "'.' and '-'",
                        bucket);
    return 0;
}

/* The site's bucket and prefix, when given literally, are checked before any request. */
static int s_check_literal_target(const struct al_run *r)
{
    const char *bucket = al_opts_get(r->opts, AL_OPT_BUCKET);
    const char *prefix = al_opts_get(r->opts, AL_OPT_PREFIX);
    char *norm = NULL;
    if ((!bucket || !strstr(bucket, "${")) && s_check_bucket(bucket))
        return -1;
    if (prefix && !strstr(prefix, "${")) {
        if (s_norm_prefix(prefix, &norm))
            return -1;
        free(norm);
    }
    return 0;
}

/*
 * When the release store (s3://bucket/prefix) is in the site bucket, its
 * keys are never stale site files: remember its prefix to keep them.
 */
static int s_store_prefix(struct al_sync *s, const char *store)
{
    const char *b, *slash;
    if (!store || strncmp(store, "s3://", 5) != 0)
        return 0;
    b = store + 5;
    slash = strchr(b, '/');
    if (strncmp(b, s->bucket, slash ? (size_t)(slash - b) : strlen(b)) != 0 ||
        strlen(s->bucket) != (slash ? (size_t)(slash - b) : strlen(b)))
        return 0;
    if (!slash || !slash[1])
        return al_raise(AL_ERR_USAGE,
                        "release-store '%.200s' is the site bucket's root: the sync would "
                        "treat the store as stale site files; give it a prefix the site does "
                        "not use (e.g. s3://%s/airlock/)",
                        store,
                        s->bucket);
    return s_norm_prefix(slash + 1, &s->store_prefix);
}

/* ---- the remote state ---- */

static int s_cmp_remote(const void *a, const void *b)
{
    return strcmp(((const struct s_remote_obj *)a)->key, ((const struct s_remote_obj *)b)->key);
}

static bool s_is_md5_etag(const char *etag)
{
    if (!etag || strlen(etag) != AL_MD5_HEX_LEN)
        return false;
    for (const char *p = etag; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return false;
    return true;
}

/* Is the object the same as the local file? May HEAD a multipart object. */
static int s_same(struct al_run *r,
                  struct al_sync *s,
                  struct al_site_file *f,
                  const struct s_remote_obj *o,
                  bool *same)
{
    struct al_s3_head head;
    *same = false;
    if (o->size != f->size)
        return 0;
    if (o->sha256) {
        *same = strcmp(o->sha256, f->sha256_hex) == 0 &&
                (!o->content_type || strcmp(o->content_type, f->content_type) == 0) &&
                (!o->cache_control || strcmp(o->cache_control, f->cache_control) == 0);
        return 0;
    }
    if (s_is_md5_etag(o->etag)) {
        char md5_hex[AL_MD5_HEX_LEN + 1];
        if (al_site_md5(&s->site, f))
            return -1;
        al_hex(f->md5, AL_MD5_LEN, md5_hex);
        *same = strcasecmp(o->etag, md5_hex) == 0;
        return 0;
    }
    if (!o->etag || !strchr(o->etag, '-'))
        return 0; /* not an MD5 (SSE-KMS, SSE-C): unknown, so upload */
    if (al_s3_head_object(r->aws, s->bucket, o->key, &head))
        return -1;
    s->heads++;
    *same = head.found && head.size == f->size && strcmp(head.sha256_hex, f->sha256_hex) == 0;
    return 0;
}

static bool s_is_excluded(const struct al_run *r, const char *rel)
{
    const struct al_strv *ex = al_opts_list(r->opts, AL_OPT_EXCLUDE);
    for (size_t i = 0; ex && i < ex->len; i++)
        if (al_glob_match(ex->items[i], rel))
            return true;
    return false;
}

/* Merges the sorted local files with the sorted remote objects into the plan. */
static int s_plan(struct al_run *r, struct al_sync *s, struct s_remote_obj *remote, size_t n_remote)
{
    size_t li = 0, ri = 0, plen = strlen(s->prefix);
    struct al_site *site = &s->site;

    if (n_remote > 1) {
        size_t w = 1;
        qsort(remote, n_remote, sizeof(*remote), s_cmp_remote);
        /* A key listed twice (a damaged manifest) must not come back as stale. */
        for (size_t i = 1; i < n_remote; i++)
            if (strcmp(remote[i].key, remote[w - 1].key) != 0)
                remote[w++] = remote[i];
        n_remote = w;
    }
    while (li < site->len || ri < n_remote) {
        struct al_site_file *f = li < site->len ? &site->files[li] : NULL;
        const struct s_remote_obj *o = ri < n_remote ? &remote[ri] : NULL;
        int c = !f ? 1 : !o ? -1 : strcmp(f->key, o->key);
        if (c > 0) {
            /* Only remote: stale, unless outside the site's keys or kept. */
            ri++;
            if (strncmp(o->key, s->prefix, plen) != 0 || !o->key[plen] ||
                s_is_excluded(r, o->key + plen) ||
                (s->store_prefix && al_str_prefix(o->key, s->store_prefix)))
                continue;
            if (al_strv_push(&s->stale, o->key))
                return -1;
            continue;
        }
        if (c == 0) {
            bool same;
            ri++;
            if (s_same(r, s, f, o, &same))
                return -1;
            s->action[li] = same ? ACT_UNCHANGED : ACT_CHANGED;
        } else {
            s->action[li] = ACT_NEW;
        }
        if (s->action[li] == ACT_UNCHANGED) {
            s->n_unchanged++;
        } else {
            struct s_phase *ph = &s->phase[f->entry ? 1 : 0];
            bool multi = f->size >= s->multipart_threshold;
            if (s->action[li] == ACT_NEW)
                s->n_new++;
            else
                s->n_changed++;
            s->bytes_planned += f->size;
            if (multi)
                ph->multi[ph->n_multi++] = li;
            else
                ph->single[ph->n_single++] = li;
        }
        li++;
    }
    return 0;
}

static bool s_remote_matches(const struct al_sync *s, const struct al_sync_remote *remote)
{
    char *p = NULL;
    bool ok;
    if (!remote || !remote->bucket || strcmp(remote->bucket, s->bucket) != 0)
        return false;
    if (s_norm_prefix(remote->prefix, &p)) {
        al_error_clear();
        return false;
    }
    ok = strcmp(p, s->prefix) == 0;
    free(p);
    return ok;
}

/* Reads the remote state (release or listing) and plans. */
static int s_remote_and_plan(struct al_run *r,
                             struct al_sync *s,
                             const struct al_sync_remote *remote)
{
    struct al_s3_listing listing;
    struct s_remote_obj *objs = NULL;
    size_t n = 0;
    int rc = -1;

    al_s3_listing_init(&listing);
    if (s_remote_matches(s, remote)) {
        s->remote_source = "the previous release";
        if (remote->n_files && !(objs = calloc(remote->n_files, sizeof(*objs)))) {
            al_raise(AL_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < remote->n_files; i++) {
            const struct al_release_file *f = &remote->files[i];
            objs[n].key = f->key;
            objs[n].size = f->size;
            objs[n].sha256 = f->sha256;
            objs[n].content_type = f->content_type;
            objs[n].cache_control = f->cache_control;
            n++;
        }
    } else {
        if (remote)
            al_log_info("site: the previous release went to s3://%s/%s, not s3://%s/%s; listing "
                        "the bucket instead",
                        remote->bucket ? remote->bucket : "",
                        remote->prefix ? remote->prefix : "",
                        s->bucket,
                        s->prefix);
        s->remote_source = "ListObjectsV2";
        if (al_s3_list_objects(r->aws, s->bucket, *s->prefix ? s->prefix : NULL, &listing))
            goto cleanup;
        if (listing.len && !(objs = calloc(listing.len, sizeof(*objs)))) {
            al_raise(AL_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < listing.len; i++) {
            objs[n].key = listing.items[i].key;
            objs[n].size = listing.items[i].size;
            objs[n].etag = listing.items[i].etag;
            n++;
        }
    }
    if (s_plan(r, s, objs, n))
        goto cleanup;
    rc = 0;
cleanup:
    free(objs);
    al_s3_listing_clean_up(&listing);
    return rc;
}

/* ---- progress ---- */

static void s_progress_line(struct al_sync *s, bool force)
{
    struct s_progress *p = &s->prog;
    uint64_t now = al_clock_mono_ms(), done = p->bytes_done + p->bytes_in_file;
    char a[32], b[32], c[32];
    double secs;
    if (!force && now - p->t_last < PROGRESS_EVERY_MS)
        return;
    p->t_last = now;
    secs = (double)(now - p->t0) / 1000.0;
    al_log_info("site: %zu of %zu files, %s of %s uploaded (%s/s)",
                p->files_done,
                p->files_total,
                s_bytes(done, a),
                s_bytes(p->bytes_total, b),
                s_bytes(secs > 0 ? (uint64_t)((double)done / secs) : 0, c));
}

/* ---- uploads ---- */

/* The text a PutObject is built from, for one call at a time (copied when the call is built). */
struct s_put_text {
    char path[PATH_MAX];
    char md5_hex[AL_MD5_HEX_LEN + 1];
};

struct s_upload_ctx {
    struct al_sync *s;
    const size_t *idx;
    struct s_put_text text;
};

/* Fills p for f (no Content-MD5); p borrows t, which receives f's local path. @return 0 or -1. */
static int s_fill_put(const struct al_sync *s,
                      const struct al_site_file *f,
                      struct s_put_text *t,
                      struct al_s3_put *p)
{
    memset(p, 0, sizeof(*p));
    p->bucket = s->bucket;
    p->key = f->key;
    if (f->size) {
        if (al_site_path(&s->site, f, t->path))
            return -1;
        p->body.kind = AL_HTTP_BODY_FILE;
        p->body.path = t->path;
        p->body.length = f->size;
    } else {
        p->body.kind = AL_HTTP_BODY_MEMORY;
        p->body.data = "";
        p->body.len = 0;
    }
    p->meta.content_type = f->content_type;
    p->meta.cache_control = f->cache_control;
    p->meta.sha256_hex = f->sha256_hex;
    p->payload_sha256 = f->sha256_hex;
    return 0;
}

static int s_put_build(void *user, size_t i, struct al_s3_call *q)
{
    struct s_upload_ctx *u = user;
    struct al_site_file *f = &u->s->site.files[u->idx[i]];
    struct al_s3_put p;
    /* Content-MD5 too (S3 Object Lock buckets require it); multipart parts carry their own. */
    if (s_fill_put(u->s, f, &u->text, &p) || al_site_md5(&u->s->site, f))
        return -1;
    al_hex(f->md5, AL_MD5_LEN, u->text.md5_hex);
    p.md5_hex = u->text.md5_hex;
    return al_s3_put_object_call(q, &p);
}

static void s_uploaded(struct al_sync *s, size_t fi)
{
    const struct al_site_file *f = &s->site.files[fi];
    s->uploaded[fi] = true;
    s->n_uploaded++;
    s->bytes_uploaded += f->size;
    s->prog.files_done++;
    s->prog.bytes_done += f->size;
    if (al_strv_push_ref(&s->changed, f->key))
        al_log_warning("site: out of memory recording %s for the invalidation", f->key);
}

static void s_put_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_upload_ctx *u = user;
    if (!resp->failed)
        s_uploaded(u->s, u->idx[i]);
    s_progress_line(u->s, false);
}

static void s_multipart_progress(void *user, uint64_t bytes)
{
    struct al_sync *s = user;
    s->prog.bytes_in_file = bytes;
    s_progress_line(s, false);
}

static int s_run_phase(struct al_run *r, struct al_sync *s, const struct s_phase *ph)
{
    struct s_upload_ctx u = { .s = s, .idx = ph->single };
    struct al_s3_batch b;

    memset(&b, 0, sizeof(b));
    b.n = ph->n_single;
    b.stop_on_error = true;
    b.build = s_put_build;
    b.done = s_put_done;
    b.user = &u;
    if (b.n && al_s3_batch_run(r->aws, &b, NULL))
        return -1;
    for (size_t k = 0; k < ph->n_multi; k++) {
        const struct al_site_file *f = &s->site.files[ph->multi[k]];
        struct al_s3_put p;
        if (s_fill_put(s, f, &u.text, &p))
            return -1;
        /* Parts carry their own digests; the object keeps the whole file's SHA-256. */
        p.payload_sha256 = NULL;
        s->prog.bytes_in_file = 0;
        if (al_s3_upload_multipart(r->aws, &p, 0, s_multipart_progress, s, NULL))
            return -1;
        s->prog.bytes_in_file = 0;
        s_uploaded(s, ph->multi[k]);
        s_progress_line(s, false);
    }
    return 0;
}

/* ---- the plan, printed ---- */

static void s_print_plan(struct al_run *r, const struct al_sync *s)
{
    struct al_buf key;
    char a[32], b[32], token[65];
    bool stopped = false;
    static const char *const names[] = { "", "new", "changed" };

    al_buf_init(&key, 8192);
    al_log_info("site plan: s3://%s/%s from %s%s: %zu files (%s); upload %zu (%s: %zu new, %zu "
                "changed), unchanged %zu, delete %zu after verification",
                s->bucket,
                s->prefix,
                s->remote_source,
                s->heads ? " (and HeadObject for multipart ETags)" : "",
                s->site.len,
                s_bytes(s->site.total_bytes, b),
                s->n_new + s->n_changed,
                s_bytes(s->bytes_planned, a),
                s->n_new,
                s->n_changed,
                s->n_unchanged,
                s->stale.len);
    if (!r->dry_run && !al_log_debug_enabled())
        goto cleanup;
    /* Keys are untrusted text: no workflow command may hide in them. */
    if (r->info.actions && al_gha_stop_commands(token) == 0)
        stopped = true;
    for (int act = ACT_NEW; act <= ACT_CHANGED; act++) {
        size_t shown = 0, total = act == ACT_NEW ? s->n_new : s->n_changed;
        for (int phase = 0; phase < 2; phase++)
            for (size_t i = 0; i < s->site.len; i++) {
                const struct al_site_file *f = &s->site.files[i];
                if ((int)s->action[i] != act || (f->entry ? 1 : 0) != phase)
                    continue;
                if (shown++ < PLAN_SHOW)
                    al_log_info("site plan: %s (phase %c%s): %s (%s)",
                                names[act],
                                phase ? 'B' : 'A',
                                f->size >= s->multipart_threshold ? ", multipart" : "",
                                s_printable(f->key, &key),
                                s_bytes(f->size, a));
            }
        if (total > PLAN_SHOW)
            al_log_info("site plan: ... and %zu more %s", total - PLAN_SHOW, names[act]);
    }
    for (size_t i = 0; i < s->stale.len && i < PLAN_SHOW; i++)
        al_log_info("site plan: delete (phase C): %s", s_printable(s->stale.items[i], &key));
    if (s->stale.len > PLAN_SHOW)
        al_log_info("site plan: ... and %zu more to delete", s->stale.len - PLAN_SHOW);
    if (stopped)
        al_gha_resume_commands(token);
cleanup:
    al_buf_clean_up(&key);
}

/* ---- the summary ---- */

static int s_summary(struct al_run *r, const struct al_sync *s)
{
    struct al_buf md;
    char a[32], b[32];
    size_t top[LARGEST_SHOW], n_top = 0;
    int rc = -1;

    al_buf_init(&md, 64 * 1024);
    /* The prefix is the user's text: escaped, not put in a code span. */
    if (al_buf_printf(&md, "### Site\n\ns3://%s/", s->bucket) ||
        al_summary_escape(&md, s->prefix) ||
        al_buf_printf(&md,
                      " (remote state from %s)\n\n| files | count | bytes |\n|---|---:|---:|\n",
                      s->remote_source))
        goto cleanup;
    if (r->dry_run) {
        if (al_buf_printf(&md,
                          "| to upload | %zu | %s |\n| unchanged | %zu | |\n"
                          "| to delete after verification | %zu | |\n",
                          s->n_new + s->n_changed,
                          s_bytes(s->bytes_planned, a),
                          s->n_unchanged,
                          s->stale.len))
            goto cleanup;
    } else if (al_buf_printf(&md,
                             "| uploaded | %zu | %s |\n| unchanged | %zu | |\n"
                             "| to delete after verification | %zu | |\n",
                             s->n_uploaded,
                             s_bytes(s->bytes_uploaded, a),
                             s->n_unchanged,
                             s->stale.len)) {
        goto cleanup;
    }
    /* The largest uploads (or planned uploads), by a partial selection. */
    for (size_t i = 0; i < s->site.len; i++) {
        bool up = r->dry_run ? s->action[i] != ACT_UNCHANGED : s->uploaded[i];
        if (!up)
            continue;
        /* Insertion into the short list, largest first. */
        size_t at = n_top;
        while (at > 0 && s->site.files[top[at - 1]].size < s->site.files[i].size)
            at--;
        if (at >= LARGEST_SHOW)
            continue;
        if (n_top < LARGEST_SHOW)
            n_top++;
        memmove(&top[at + 1], &top[at], (n_top - 1 - at) * sizeof(top[0]));
        top[at] = i;
    }
    if (n_top && al_buf_puts(&md, "\n| largest uploads | bytes |\n|---|---:|\n"))
        goto cleanup;
    for (size_t i = 0; i < n_top; i++) {
        const struct al_site_file *f = &s->site.files[top[i]];
        if (al_buf_puts(&md, "| ") || al_summary_escape(&md, f->key) ||
            al_buf_printf(&md, " | %s |\n", s_bytes(f->size, b)))
            goto cleanup;
    }
    if (al_buf_putc(&md, '\n') || al_summary_add(&r->summary, "%s", al_buf_str(&md)))
        goto cleanup;
    rc = 0;
cleanup:
    al_buf_clean_up(&md);
    return rc;
}

/* ---- the step ---- */

static struct al_sync *s_new(void)
{
    struct al_sync *s = calloc(1, sizeof(*s));
    if (!s) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    al_cache_rules_init(&s->rules);
    al_site_init(&s->site);
    al_strv_init(&s->stale);
    al_strv_init(&s->changed);
    s->remote_source = "nothing (not read)";
    return s;
}

/* Joins the hashing worker (if any) and logs the scan. No network. */
static int s_hashed(struct al_sync *s)
{
    char a[32];
    if (s->hashed)
        return 0;
    if (al_site_hash_end(&s->site))
        return -1;
    s->hashed = true;
    al_log_info("site: %zu files (%s) in %s, hashed in %.1f s",
                s->site.len,
                s_bytes(s->site.total_bytes, a),
                s->site.dir,
                (double)s->site.hash_ms / 1000.0);
    return 0;
}

/*
 * The local half: options that need no stack output, the walk, then the
 * hashing (in a worker when background: al_sync_hash_wait joins it). No network.
 */
static int s_scan(struct al_run *r, struct al_sync *s, bool background)
{
    struct al_site_opts so;
    const char *rules = al_opts_get(r->opts, AL_OPT_CACHE_CONTROL);

    if (s_check_literal_target(r))
        return -1;
    for (size_t i = 0; i < al_opts_list(r->opts, AL_OPT_EXCLUDE)->len; i++)
        if (al_glob_check(al_opts_list(r->opts, AL_OPT_EXCLUDE)->items[i], "exclude"))
            return -1;
    if (rules && al_cache_rules_parse(&s->rules, rules))
        return -1;
    s->multipart_threshold = al_opts_uint(r->opts, AL_OPT_MULTIPART_THRESHOLD);
    if (!s->multipart_threshold)
        s->multipart_threshold = (uint64_t)64 << 20;
    memset(&so, 0, sizeof(so));
    so.dir = al_opts_get(r->opts, AL_OPT_SITE_DIR);
    so.exclude = al_opts_list(r->opts, AL_OPT_EXCLUDE);
    so.cache = rules ? &s->rules : NULL;
    /* Keys without the prefix for now: it may name a stack output, known only later. */
    if (al_site_walk(&so, &s->site))
        return -1;
    s->action = calloc(s->site.len, sizeof(*s->action));
    s->uploaded = calloc(s->site.len, sizeof(*s->uploaded));
    for (int i = 0; i < 2; i++) {
        s->phase[i].single = calloc(s->site.len, sizeof(size_t));
        s->phase[i].multi = calloc(s->site.len, sizeof(size_t));
    }
    if (!s->action || !s->uploaded || !s->phase[0].single || !s->phase[0].multi ||
        !s->phase[1].single || !s->phase[1].multi)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    s->scanned = true;
    if (background)
        return al_site_hash_begin(&s->site);
    return al_site_hash(&s->site) || s_hashed(s) ? -1 : 0;
}

/* Prepends the prefix to every scanned key (the order stays: same prefix). */
static int s_prefix_keys(struct al_sync *s)
{
    size_t plen = strlen(s->prefix);
    if (!plen)
        return 0;
    for (size_t i = 0; i < s->site.len; i++) {
        struct al_site_file *f = &s->site.files[i];
        size_t n = strlen(f->key);
        char *k;
        if (plen + n > AL_SITE_MAX_KEY)
            return al_raise(AL_ERR_USAGE,
                            "S3 key '%.200s%.200s...' is over %u bytes, S3's limit (shorten the "
                            "prefix or the path)",
                            s->prefix,
                            f->key,
                            AL_SITE_MAX_KEY);
        if (!(k = malloc(plen + n + 1)))
            return al_raise(AL_ERR_NOMEM, "out of memory");
        memcpy(k, s->prefix, plen);
        memcpy(k + plen, f->key, n + 1);
        free(f->key);
        f->key = k;
    }
    s->site.prefix_len += plen;
    return 0;
}

/* The remote half: where to, the remote state, the plan. Nothing mutated. */
static int s_locate_and_plan(struct al_run *r,
                             struct al_sync *s,
                             const struct al_sync_remote *remote)
{
    char *prefix = NULL, *store = NULL;
    int rc = -1;

    if (al_opts_get(r->opts, AL_OPT_BUCKET) && !(s->bucket = al_run_opt(r, AL_OPT_BUCKET)))
        goto cleanup;
    if (s_check_bucket(s->bucket))
        goto cleanup;
    if (al_opts_get(r->opts, AL_OPT_PREFIX) && !(prefix = al_run_opt(r, AL_OPT_PREFIX)))
        goto cleanup;
    if (s_norm_prefix(prefix, &s->prefix))
        goto cleanup;
    if (al_opts_get(r->opts, AL_OPT_RELEASE_STORE) &&
        (!(store = al_run_opt(r, AL_OPT_RELEASE_STORE)) || s_store_prefix(s, store)))
        goto cleanup;
    if (s_prefix_keys(s))
        goto cleanup;
    if (!r->aws) {
        al_raise(AL_ERR_INTERNAL, "the site step ran without an AWS context");
        goto cleanup;
    }
    if (s_remote_and_plan(r, s, remote))
        goto cleanup;
    rc = 0;
cleanup:
    free(prefix);
    free(store);
    return rc;
}

static int s_outputs(struct al_run *r, const struct al_sync *s)
{
    if (r->dry_run)
        return s_set_output_u64(r, "files-uploaded", s->n_new + s->n_changed) ||
                   s_set_output_u64(r, "files-unchanged", s->n_unchanged) ||
                   s_set_output_u64(r, "bytes-uploaded", s->bytes_planned) ||
                   s_set_output_u64(r, "files-deleted", s->stale.len)
                 ? -1
                 : 0;
    return s_set_output_u64(r, "files-uploaded", s->n_uploaded) ||
               s_set_output_u64(r, "files-unchanged", s->n_unchanged) ||
               s_set_output_u64(r, "bytes-uploaded", s->bytes_uploaded) ||
               s_set_output_u64(r, "files-deleted", s->n_deleted)
             ? -1
             : 0;
}

/* Plans and (unless dry-run) runs phases A and B of a scanned sync; rec is the step's row. */
static int s_apply(struct al_run *r,
                   struct al_sync *s,
                   const struct al_sync_remote *remote,
                   struct al_step_record *rec)
{
    char a[32], b[32];
    uint64_t t0 = al_clock_mono_ms();

    if (!s->scanned || s->applied)
        return al_raise(AL_ERR_INTERNAL, "site sync applied twice or before its scan");
    /* The plan compares hashes: a caller that did not wait for them waits here. */
    if (s_hashed(s))
        return -1;
    s->applied = true;
    if (s_locate_and_plan(r, s, remote))
        return -1;
    s_print_plan(r, s);
    if (r->dry_run) {
        for (size_t i = 0; i < s->site.len; i++)
            if (s->action[i] != ACT_UNCHANGED &&
                al_strv_push_ref(&s->changed, s->site.files[i].key))
                return -1;
        if (s_outputs(r, s) || s_summary(r, s))
            return -1;
        al_run_step_end(r,
                        rec,
                        AL_STEP_PLANNED,
                        "would upload %zu files (%s), keep %zu, delete %zu",
                        s->n_new + s->n_changed,
                        s_bytes(s->bytes_planned, a),
                        s->n_unchanged,
                        s->stale.len);
        return 0;
    }
    memset(&s->prog, 0, sizeof(s->prog));
    s->prog.files_total = s->n_new + s->n_changed;
    s->prog.bytes_total = s->bytes_planned;
    s->prog.t0 = s->prog.t_last = al_clock_mono_ms();
    /* Phase A completes entirely before phase B starts: the HTML must never name a missing asset.
     */
    if (s_run_phase(r, s, &s->phase[0]))
        return al_raise_context("site phase A (assets; no entry file was uploaded)");
    if (s_run_phase(r, s, &s->phase[1]))
        return al_raise_context("site phase B (entry files)");
    if (s->prog.files_total)
        al_log_info("site: uploaded %zu files (%s) in %.1f s, %zu unchanged; %zu stale keys wait "
                    "for verification",
                    s->n_uploaded,
                    s_bytes(s->bytes_uploaded, a),
                    (double)(al_clock_mono_ms() - t0) / 1000.0,
                    s->n_unchanged,
                    s->stale.len);
    else
        al_log_info("site: all %zu files unchanged; %zu stale keys wait for verification",
                    s->n_unchanged,
                    s->stale.len);
    if (s_outputs(r, s) || s_summary(r, s))
        return -1;
    al_run_step_end(r,
                    rec,
                    s->n_uploaded || s->stale.len ? AL_STEP_OK : AL_STEP_NO_CHANGE,
                    "%zu uploaded (%s), %zu unchanged, %zu to delete",
                    s->n_uploaded,
                    s_bytes(s->bytes_uploaded, b),
                    s->n_unchanged,
                    s->stale.len);
    return 0;
}

/* Ends the step's row as failed (outputs still tell what was uploaded); keeps the error. */
static int s_fail(struct al_run *r, struct al_sync *s, struct al_step_record *rec)
{
    struct al_error saved = *al_error_last();
    if (s && s->applied && !r->dry_run)
        s_outputs(r, s);
    *al_error_mut() = saved;
    al_run_step_end(r, rec, AL_STEP_FAILED, "%s", saved.msg);
    return -1;
}

int al_sync_scan(struct al_run *r, struct al_sync **out)
{
    if ((*out = s_new()) && s_scan(r, *out, true) == 0)
        return 0;
    /* Only a failed scan gets its own row: a good one shows in al_sync_apply's. */
    return s_fail(r, *out, al_run_step_begin(r, "Site"));
}

int al_sync_hash_wait(struct al_run *r, struct al_sync *s)
{
    if (s_hashed(s) == 0)
        return 0;
    /* As a failed scan: its own failed row. */
    return s_fail(r, s, al_run_step_begin(r, "Site"));
}

int al_sync_apply(struct al_run *r, struct al_sync *s, const struct al_sync_remote *remote)
{
    struct al_step_record *rec = al_run_step_begin(r, "Site");
    if (s_apply(r, s, remote, rec))
        return s_fail(r, s, rec);
    return 0;
}

int al_step_site_with(struct al_run *r, const struct al_sync_remote *remote, struct al_sync **out)
{
    struct al_step_record *rec = al_run_step_begin(r, "Site");
    if (!(*out = s_new()) || s_scan(r, *out, false) || s_apply(r, *out, remote, rec))
        return s_fail(r, *out, rec);
    return 0;
}

int al_step_site(struct al_run *r, struct al_sync **out)
{
    return al_step_site_with(r, NULL, out);
}

int al_sync_finish(struct al_run *r, struct al_sync *s)
{
    struct al_step_record *rec;
    struct al_s3_delete_result res;
    struct al_buf key;
    int rc = -1;

    if (!s || s->finished || !s->applied)
        return 0;
    s->finished = true;
    rec = al_run_step_begin(r, "Site cleanup");
    if (r->dry_run) {
        al_run_step_end(r, rec, AL_STEP_PLANNED, "would delete %zu stale keys", s->stale.len);
        return 0;
    }
    if (!s->stale.len) {
        al_run_step_end(r, rec, AL_STEP_NO_CHANGE, "no stale keys");
        return s_set_output_u64(r, "files-deleted", 0);
    }
    al_s3_delete_result_init(&res);
    al_buf_init(&key, 8192);
    rc = al_s3_delete_objects(
      r->aws, s->bucket, (const char *const *)s->stale.items, s->stale.len, &res);
    s->n_deleted = res.deleted;
    for (size_t i = 0; i < s->stale.len; i++) {
        bool failed = false;
        for (size_t e = 0; e < res.n_errors && !failed; e++)
            failed = strcmp(res.errors[e].key, s->stale.items[i]) == 0;
        if (!failed && al_strv_push_ref(&s->changed, s->stale.items[i]))
            break;
    }
    for (size_t e = 0; e < res.n_errors && e < 10; e++)
        al_log_warning("site: could not delete %s: %s: %s",
                       s_printable(res.errors[e].key, &key),
                       res.errors[e].code,
                       res.errors[e].message);
    {
        struct al_error saved = *al_error_last();
        if (s_set_output_u64(r, "files-deleted", s->n_deleted) ||
            al_summary_add(&r->summary,
                           "Site cleanup: %zu stale keys deleted%s.\n\n",
                           s->n_deleted,
                           res.n_errors ? ", some could not be (see the log)" : ""))
            rc = -1;
        else if (rc)
            *al_error_mut() = saved;
    }
    al_log_info("site: deleted %zu stale keys (phase C)", s->n_deleted);
    if (rc)
        al_run_step_end(r, rec, AL_STEP_FAILED, "%s", al_error_last()->msg);
    else
        al_run_step_end(r, rec, AL_STEP_OK, "%zu stale keys deleted", s->n_deleted);
    al_s3_delete_result_clean_up(&res);
    al_buf_clean_up(&key);
    return rc;
}

const struct al_strv *al_sync_changed_keys(const struct al_sync *s)
{
    return s ? &s->changed : NULL;
}

const struct al_strv *al_sync_stale_keys(const struct al_sync *s)
{
    return s ? &s->stale : NULL;
}

const struct al_site *al_sync_site(const struct al_sync *s)
{
    return s ? &s->site : NULL;
}

const char *al_sync_bucket(const struct al_sync *s)
{
    return s ? s->bucket : NULL;
}

const char *al_sync_prefix(const struct al_sync *s)
{
    return s ? s->prefix : NULL;
}

void al_sync_free(struct al_sync *s)
{
    if (!s)
        return;
    free(s->bucket);
    free(s->prefix);
    free(s->store_prefix);
    al_cache_rules_clean_up(&s->rules);
    al_site_clean_up(&s->site);
    free(s->action);
    free(s->uploaded);
    for (int i = 0; i < 2; i++) {
        free(s->phase[i].single);
        free(s->phase[i].multi);
    }
    al_strv_clean_up(&s->stale);
    al_strv_clean_up(&s->changed);
    free(s);
}
