/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/release_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aws/s3.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define AL_STORE_KEY_MAX 1100
#define AL_STORE_JSON_MAX ((size_t)64 << 20)
#define AL_STORE_TEMPLATE_MAX ((size_t)1 << 20)

static bool s_bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

int al_store_parse(const char *url, struct al_release_store *s)
{
    const char *p, *slash;
    size_t n;
    memset(s, 0, sizeof(*s));
    if (strncmp(url, "s3://", 5) != 0)
        return al_raise(AL_ERR_USAGE, "release-store '%.200s': expected s3://bucket/prefix", url);
    p = url + 5;
    slash = strchr(p, '/');
    n = slash ? (size_t)(slash - p) : strlen(p);
    if (!s_bucket_ok(p, n))
        return al_raise(AL_ERR_USAGE,
                        "release-store '%.200s': '%.*s' is not a bucket name",
                        url,
                        (int)(n > 63 ? 63 : n),
                        p);
    memcpy(s->bucket, p, n);
    s->bucket[n] = '\0';
    p = slash ? slash + 1 : "";
    while (*p == '/')
        p++;
    n = strlen(p);
    if (n + 2 >= sizeof(s->prefix) || !al_utf8_valid(p, n))
        return al_raise(
          AL_ERR_USAGE, "release-store '%.200s': the prefix is too long or not UTF-8", url);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20)
            return al_raise(AL_ERR_USAGE, "release-store: control character in the prefix");
    if (strstr(p, "..") && (strncmp(p, "../", 3) == 0 || strstr(p, "/../") ||
                            (n >= 2 && strcmp(p + n - 2, "..") == 0)))
        return al_raise(
          AL_ERR_USAGE, "release-store '%.200s': '..' is not allowed in the prefix", url);
    snprintf(s->prefix, sizeof(s->prefix), "%s%s", p, n && p[n - 1] != '/' ? "/" : "");
    return 0;
}

int al_store_locate(const struct al_run *r, struct al_release_store *s)
{
    const char *opt = al_opts_get(r->opts, AL_OPT_RELEASE_STORE);
    const char *env = al_opts_get(r->opts, AL_OPT_ENVIRONMENT);
    const char *site_bucket = al_opts_get(r->opts, AL_OPT_BUCKET);
    const char *site_prefix = al_opts_get(r->opts, AL_OPT_PREFIX);
    char url[700];
    if (opt) {
        if (al_store_parse(opt, s))
            return -1;
    } else {
        if (!r->account[0] || !r->region[0])
            return al_raise(AL_ERR_INTERNAL, "release store located before the identity");
        snprintf(url,
                 sizeof(url),
                 "s3://cdk-hnb659fds-assets-%s-%s/airlock/%s/",
                 r->account,
                 r->region,
                 env ? env : "production");
        if (al_store_parse(url, s))
            return -1;
    }
    /* The store holds every past release: it must never be served by the site. */
    if (site_bucket && strcmp(site_bucket, s->bucket) == 0) {
        const char *sp = site_prefix ? site_prefix : "";
        if (strncmp(s->prefix, sp, strlen(sp)) == 0)
            return al_raise(AL_ERR_USAGE,
                            "the release store s3://%s/%s lies inside the served site "
                            "(bucket %s, prefix '%s'); set release-store to a private location",
                            s->bucket,
                            s->prefix,
                            site_bucket,
                            sp);
    }
    return 0;
}

static void s_key(const struct al_release_store *s, const char *rel, char out[AL_STORE_KEY_MAX])
{
    snprintf(out, AL_STORE_KEY_MAX, "%s%s", s->prefix, rel);
}

/* After a failed read: a missing store bucket gets its own message. @return -1. */
static int s_store_error(const struct al_release_store *s)
{
    if (al_error_last()->aws_code[0] && strcmp(al_error_last()->aws_code, "NoSuchBucket") == 0)
        return al_raise(AL_ERR_USAGE,
                        "the release store bucket '%s' does not exist; run cdk bootstrap or "
                        "set release-store to s3://<private bucket>/<prefix>",
                        s->bucket);
    return -1;
}

/* Reads an object of the store into out (its cap applies); *found false on 404. */
static int s_get_text(struct al_run *r,
                      const struct al_release_store *s,
                      const char *rel,
                      struct al_buf *out,
                      bool *found)
{
    char key[AL_STORE_KEY_MAX];
    s_key(s, rel, key);
    if (al_s3_get_object(r->aws, s->bucket, key, out->max, out, found))
        return s_store_error(s);
    return 0;
}

/* Writes body (JSON) as rel; etag (may be NULL) receives the object's ETag. */
static int s_put(struct al_run *r,
                 const struct al_release_store *s,
                 const char *rel,
                 struct al_http_body body,
                 bool if_none_match,
                 char etag[AL_S3_ETAG_MAX])
{
    char key[AL_STORE_KEY_MAX];
    struct al_s3_put p;
    s_key(s, rel, key);
    memset(&p, 0, sizeof(p));
    p.bucket = s->bucket;
    p.key = key;
    p.body = body;
    p.meta.content_type = "application/json";
    p.if_none_match = if_none_match;
    return al_s3_put_object(r->aws, &p, etag);
}

static int s_put_text(struct al_run *r,
                      const struct al_release_store *s,
                      const char *rel,
                      const char *text,
                      bool if_none_match,
                      char etag[AL_S3_ETAG_MAX])
{
    struct al_http_body b = { .kind = AL_HTTP_BODY_MEMORY, .data = text, .len = strlen(text) };
    return s_put(r, s, rel, b, if_none_match, etag);
}

static int s_delete_keys(struct al_run *r, const char *bucket, const char *const *keys, size_t n)
{
    struct al_s3_delete_result res;
    int rc;
    if (n == 0)
        return 0;
    al_s3_delete_result_init(&res);
    rc = al_s3_delete_objects(r->aws, bucket, keys, n, &res);
    if (rc == 0 && res.n_errors)
        rc = al_raise(AL_ERR_AWS,
                      "could not delete %s: %s %s",
                      res.errors[0].key,
                      res.errors[0].code,
                      res.errors[0].message);
    al_s3_delete_result_clean_up(&res);
    return rc;
}

/* ---- the lock ---- */

static char *s_lock_json(const struct al_run *r, const char *token)
{
    char now[21], exp[21];
    json_t *o;
    char *text;
    time_t t = al_clock_now();
    al_clock_iso8601(t, now);
    al_clock_iso8601(t + (time_t)al_opts_uint(r->opts, AL_OPT_LOCK_TTL), exp);
    o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}",
                  "token",
                  token,
                  "runUrl",
                  r->info.run_url,
                  "version",
                  r->info.version,
                  "command",
                  r->info.command ? r->info.command : "",
                  "acquired",
                  now,
                  "expires",
                  exp);
    text = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        al_raise(AL_ERR_NOMEM, "cannot build lock.json");
    return text;
}

int al_store_lock(struct al_run *r, const struct al_release_store *s, struct al_release_lock *l)
{
    uint8_t rnd[16];
    struct al_buf held;
    char *text = NULL;
    json_t *cur = NULL;
    bool found = false;
    int rc = -1;

    memset(l, 0, sizeof(*l));
    al_buf_init(&held, 64 * 1024);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        al_raise(AL_ERR_INTERNAL, "no random bytes for the lock token");
        goto cleanup;
    }
    al_hex(rnd, sizeof(rnd), l->token);
    if (!(text = s_lock_json(r, l->token)))
        goto cleanup;
    for (int attempt = 0; attempt < 2; attempt++) {
        const char *expires, *holder;
        time_t t;
        if (s_put_text(r, s, "lock.json", text, true, l->etag) == 0) {
            l->held = true;
            rc = 0;
            goto cleanup;
        }
        if (al_error_last()->http_status != 412 && al_error_last()->http_status != 409)
            goto cleanup;
        al_buf_reset(&held);
        if (s_get_text(r, s, "lock.json", &held, &found))
            goto cleanup;
        if (!found)
            continue; /* released meanwhile: try again */
        json_decref(cur);
        cur = al_json_parse(held.data, held.len, "lock.json", AL_ERR_PARSE);
        expires = cur ? al_json_str(cur, "expires") : NULL;
        holder = cur ? al_json_str(cur, "runUrl") : NULL;
        if (expires && al_clock_parse(expires, &t) == 0 && t > al_clock_now()) {
            al_raise(AL_ERR_LOCK,
                     "another run holds the deploy lock of s3://%s/%slock.json until %s: %s; "
                     "wait for it, or delete the lock if that run is gone",
                     s->bucket,
                     s->prefix,
                     expires,
                     holder ? holder : "(no run URL recorded)");
            goto cleanup;
        }
        l->took_over = true;
        al_log_warning("taking over a stale deploy lock (expired %s, held by %s)",
                       expires ? expires : "unknown",
                       holder ? holder : "an unknown run");
        {
            char key[AL_STORE_KEY_MAX];
            const char *keys[1] = { key };
            s_key(s, "lock.json", key);
            if (s_delete_keys(r, s->bucket, keys, 1))
                goto cleanup;
        }
    }
    al_raise(AL_ERR_LOCK,
             "could not take the deploy lock of s3://%s/%s (contended)",
             s->bucket,
             s->prefix);
cleanup:
    free(text);
    json_decref(cur);
    al_buf_clean_up(&held);
    return rc;
}

void al_store_unlock(struct al_run *r, const struct al_release_store *s, struct al_release_lock *l)
{
    char key[AL_STORE_KEY_MAX];
    struct al_error saved = *al_error_last();
    bool deleted = false;
    if (!l->held)
        return;
    /* Only our lock.json goes: one taken over after our TTL has another ETag (kept, 412). */
    s_key(s, "lock.json", key);
    if (!l->etag[0])
        al_log_warning("could not release the deploy lock: S3 gave its lock.json no ETag "
                       "(it expires by itself)");
    else if (al_s3_delete_object(r->aws, s->bucket, key, l->etag, &deleted))
        al_log_warning("could not release the deploy lock: %s (it expires by itself)",
                       al_error_last()->msg);
    l->held = false;
    *al_error_mut() = saved;
}

/* ---- records ---- */

int al_store_get_current(struct al_run *r,
                         const struct al_release_store *s,
                         struct al_release_current *c,
                         bool *found)
{
    struct al_buf text;
    int rc = -1;
    memset(c, 0, sizeof(*c));
    al_buf_init(&text, 64 * 1024);
    if (s_get_text(r, s, "current.json", &text, found))
        goto cleanup;
    rc = *found ? al_release_current_from_json(text.data, text.len, "current.json", c) : 0;
cleanup:
    al_buf_clean_up(&text);
    return rc;
}

int al_store_put_current(struct al_run *r,
                         const struct al_release_store *s,
                         const struct al_release_current *c)
{
    char *text = al_release_current_to_json(c);
    int rc = text ? s_put_text(r, s, "current.json", text, false, NULL) : -1;
    free(text);
    return rc;
}

/* The versions whose manifest a listing of releases/ (under prefix) holds. */
static int s_names_in(const struct al_s3_listing *list, const char *prefix, struct al_strv *out)
{
    for (size_t i = 0; i < list->len; i++) {
        const char *name = list->items[i].key + strlen(prefix);
        size_t len = strlen(name);
        char version[AL_VERSION_MAX + 1];
        if (!al_str_prefix(list->items[i].key, prefix) || len <= 5 || len - 5 > AL_VERSION_MAX ||
            strcmp(name + len - 5, ".json") != 0)
            continue;
        memcpy(version, name, len - 5);
        version[len - 5] = '\0';
        if (al_release_version_valid(version) && al_strv_push(out, version))
            return -1;
    }
    return 0;
}

/*
 * Recording a release is one round trip: its manifest (releases/<version>.json),
 * the same bytes as live.json, current.json and the first page of releases/
 * for retention, all sent together.
 */
enum { REC_MANIFEST, REC_LIVE, REC_CURRENT, REC_LIST, REC_N };

struct s_record {
    const struct al_release_store *s;
    const char *version;
    const char *current; /* current.json's text */
    struct al_http_body manifest;
    char key[AL_STORE_KEY_MAX]; /* the call being built's; copied when it is submitted */
    char prefix[AL_STORE_KEY_MAX];
    struct al_s3_listing listing;
    struct al_buf token;
    bool ok[REC_N], listed;
    struct al_error error[REC_N]; /* when !ok */
};

static int s_record_build(void *user, size_t i, struct al_s3_call *q)
{
    struct s_record *rc = user;
    struct al_s3_put p;
    char rel[256];
    if (i == REC_LIST)
        return al_s3_list_call(q, rc->s->bucket, rc->prefix, NULL);
    memset(&p, 0, sizeof(p));
    p.bucket = rc->s->bucket;
    p.key = rc->key;
    p.body = rc->manifest;
    p.meta.content_type = "application/json";
    if (i == REC_MANIFEST) {
        snprintf(rel, sizeof(rel), "releases/%s.json", rc->version);
        s_key(rc->s, rel, rc->key);
    } else if (i == REC_LIVE) {
        s_key(rc->s, "live.json", rc->key);
    } else {
        s_key(rc->s, "current.json", rc->key);
        p.body.kind = AL_HTTP_BODY_MEMORY;
        p.body.data = rc->current;
        p.body.len = strlen(rc->current);
    }
    return al_s3_put_object_call(q, &p);
}

static void s_record_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_record *rc = user;
    rc->ok[i] = !resp->failed;
    rc->error[i] = resp->error;
    if (i == REC_LIST && !resp->failed &&
        al_s3_parse_list_page(resp, &rc->listing, &rc->token) == 0)
        rc->listed = rc->token.len == 0; /* more than one page: retention lists again */
}

/* Writes rel's manifest into a temporary file (a manifest of 100,000 files is ~20 MB). */
static int s_manifest_file(const struct al_release *rel, char tmp[PATH_MAX], uint64_t *size)
{
    FILE *f = NULL;
    long n;
    int fd, rc = -1;
    if ((fd = al_temp_file("release", tmp)) < 0)
        return -1;
    if (!(f = fdopen(fd, "w"))) {
        al_raise(AL_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        return -1;
    }
    if (al_release_write(rel, f))
        goto cleanup;
    if (fflush(f) || (n = ftell(f)) < 0) {
        al_raise(AL_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    *size = (uint64_t)n;
    rc = 0;
cleanup:
    fclose(f);
    return rc;
}

int al_store_record(struct al_run *r,
                    const struct al_release_store *s,
                    const struct al_release *rel,
                    const struct al_release_current *c,
                    struct al_strv *names,
                    bool *listed)
{
    struct s_record rec;
    struct al_s3_batch b;
    char tmp[PATH_MAX] = "";
    int rc = -1;

    *listed = false;
    memset(&rec, 0, sizeof(rec));
    rec.s = s;
    rec.version = rel->version;
    s_key(s, "releases/", rec.prefix);
    al_s3_listing_init(&rec.listing);
    al_buf_init(&rec.token, 4096);
    rec.manifest.kind = AL_HTTP_BODY_FILE;
    rec.manifest.path = tmp;
    if (s_manifest_file(rel, tmp, &rec.manifest.length) ||
        !(rec.current = al_release_current_to_json(c)))
        goto cleanup;
    memset(&b, 0, sizeof(b));
    b.n = REC_N;
    b.build = s_record_build;
    b.done = s_record_done;
    b.user = &rec;
    if (al_s3_batch_run(r->aws, &b, NULL) && !(rec.ok[REC_MANIFEST] && rec.ok[REC_CURRENT])) {
        /* The manifest or current.json failed (a failed live.json only costs a read later). */
        size_t bad = rec.ok[REC_MANIFEST] ? REC_CURRENT : REC_MANIFEST;
        if (rec.error[bad].msg[0]) /* else the batch's own error (the engine broke) */
            *al_error_mut() = rec.error[bad];
        goto cleanup;
    }
    /* A failed listing is not the record's failure: retention lists on its own. */
    al_error_clear();
    if (rec.listed) {
        if (s_names_in(&rec.listing, rec.prefix, names))
            goto cleanup;
        *listed = true;
    }
    rc = 0;
cleanup:
    if (tmp[0])
        unlink(tmp);
    al_s3_listing_clean_up(&rec.listing);
    al_buf_clean_up(&rec.token);
    free((char *)rec.current);
    return rc;
}

/* Reads a downloaded manifest (name: its key, for messages) into out. */
static int s_read_manifest(const char *path, const char *name, struct al_release *out)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    int rc = -1;
    if (!f || fstat(fileno(f), &st) != 0) {
        al_raise(AL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if ((uint64_t)st.st_size > AL_RELEASE_MAX_BYTES) {
        al_raise(AL_ERR_PARSE, "%s is over the %u-byte limit", name, AL_RELEASE_MAX_BYTES);
        goto cleanup;
    }
    rc = al_release_read(f, name, out);
cleanup:
    if (f)
        fclose(f);
    return rc;
}

int al_store_get_release(struct al_run *r,
                         const struct al_release_store *s,
                         const char *version,
                         struct al_release *out,
                         bool *found)
{
    /* Through a file, read line by line: a manifest of 100,000 files is ~20 MB of text. */
    char tmp[PATH_MAX], rel[256], key[AL_STORE_KEY_MAX];
    int fd, rc = -1;

    *found = false;
    if (!al_release_version_valid(version))
        return al_raise(AL_ERR_USAGE, "'%.130s' is not a release version", version);
    snprintf(rel, sizeof(rel), "releases/%s.json", version);
    s_key(s, rel, key);
    if ((fd = al_temp_file("release", tmp)) < 0)
        return -1;
    close(fd);
    if (al_s3_get_object_to_file(r->aws, s->bucket, key, tmp, found)) {
        s_store_error(s);
        goto cleanup;
    }
    if (!*found) {
        rc = 0;
        goto cleanup;
    }
    if (s_read_manifest(tmp, rel, out))
        goto cleanup;
    rc = 0;
    if (strcmp(out->version, version) != 0)
        rc = al_raise(AL_ERR_PARSE, "%s records version '%s'", rel, out->version);
cleanup:
    unlink(tmp);
    return rc;
}

/* current.json and live.json, read together. */
struct s_live {
    const struct al_release_store *s;
    const char *path; /* live.json goes here */
    char key[AL_STORE_KEY_MAX];
    struct al_buf current;
    bool found[2], ok[2];
    struct al_error error[2];
};

static int s_live_build(void *user, size_t i, struct al_s3_call *q)
{
    struct s_live *l = user;
    s_key(l->s, i ? "live.json" : "current.json", l->key);
    return al_s3_get_object_call(q, l->s->bucket, l->key, i ? l->path : NULL);
}

static void s_live_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_live *l = user;
    l->ok[i] = !resp->failed && al_s3_parse_found(resp, &l->found[i]) == 0;
    l->error[i] = resp->failed ? resp->error : *al_error_last();
    if (l->ok[i] && l->found[i] && i == 0 &&
        al_buf_append(&l->current, resp->body.data, resp->body.len)) {
        l->ok[i] = false;
        l->error[i] = *al_error_last();
    }
}

int al_store_get_live(struct al_run *r,
                      const struct al_release_store *s,
                      struct al_release_current *c,
                      bool *have_current,
                      struct al_release *live,
                      bool *have_live)
{
    struct s_live l;
    struct al_s3_batch b;
    char tmp[PATH_MAX];
    int fd, rc = -1;

    *have_current = *have_live = false;
    memset(c, 0, sizeof(*c));
    if ((fd = al_temp_file("release", tmp)) < 0)
        return -1;
    close(fd);
    memset(&l, 0, sizeof(l));
    l.s = s;
    l.path = tmp;
    al_buf_init(&l.current, 64 * 1024);
    memset(&b, 0, sizeof(b));
    b.n = 2;
    b.max_body = 64 * 1024;
    b.build = s_live_build;
    b.done = s_live_done;
    b.user = &l;
    if (al_s3_batch_run(r->aws, &b, NULL) && !l.ok[0]) {
        if (l.error[0].msg[0])
            *al_error_mut() = l.error[0];
        s_store_error(s);
        goto cleanup;
    }
    al_error_clear();
    if (!l.found[0]) {
        rc = 0;
        goto cleanup;
    }
    if (al_release_current_from_json(l.current.data, l.current.len, "current.json", c))
        goto cleanup;
    *have_current = true;
    /* live.json is a copy of the live manifest; it counts only when current.json names it. */
    if (l.ok[1] && l.found[1] && c->record[0] && s_read_manifest(tmp, "live.json", live) == 0 &&
        strcmp(live->record, c->record) == 0 && strcmp(live->version, c->version) == 0) {
        *have_live = true;
        rc = 0;
        goto cleanup;
    }
    al_error_clear();
    al_release_clean_up(live);
    rc = al_store_get_release(r, s, c->version, live, have_live);
cleanup:
    unlink(tmp);
    al_buf_clean_up(&l.current);
    return rc;
}

struct s_dated {
    const char *version; /* borrowed from the names */
    time_t time;
};

static int s_cmp_dated(const void *a, const void *b)
{
    const struct s_dated *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return strcmp(y->version, x->version);
}

/* The versions with a manifest under releases/ (one listing, no manifest read). */
static int s_release_names(struct al_run *r, const struct al_release_store *s, struct al_strv *out)
{
    struct al_s3_listing list;
    char prefix[AL_STORE_KEY_MAX];
    int rc;

    al_s3_listing_init(&list);
    s_key(s, "releases/", prefix);
    rc = al_s3_list_objects(r->aws, s->bucket, prefix, &list) || s_names_in(&list, prefix, out) ? -1
                                                                                                : 0;
    al_s3_listing_clean_up(&list);
    return rc;
}

/* Orders names newest first by each manifest's own time (a copy can change LastModified). */
static int s_newest_first(struct al_run *r,
                          const struct al_release_store *s,
                          const struct al_strv *names,
                          size_t max,
                          struct al_strv *versions)
{
    struct s_dated *dated = NULL;
    size_t n = 0;
    int rc = -1;

    if (!(dated = calloc(names->len + 1, sizeof(*dated)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < names->len; i++) {
        struct al_release rel;
        bool found = false;
        al_release_init(&rel);
        if (al_store_get_release(r, s, names->items[i], &rel, &found) == 0 && found) {
            dated[n].version = names->items[i];
            dated[n++].time = rel.time;
        } else {
            al_log_warning(
              "skipping unreadable release record %s: %s", names->items[i], al_error_last()->msg);
        }
        al_release_clean_up(&rel);
    }
    qsort(dated, n, sizeof(*dated), s_cmp_dated);
    for (size_t i = 0; i < n && (max == 0 || i < max); i++)
        if (al_strv_push(versions, dated[i].version))
            goto cleanup;
    rc = 0;
cleanup:
    free(dated);
    return rc;
}

int al_store_list_releases(struct al_run *r,
                           const struct al_release_store *s,
                           size_t max,
                           struct al_strv *versions)
{
    struct al_strv names;
    int rc;
    al_strv_init(&names);
    rc = s_release_names(r, s, &names) || s_newest_first(r, s, &names, max, versions) ? -1 : 0;
    al_strv_clean_up(&names);
    return rc;
}

/* The names of the objects in a folder of the store ("blobs/", "packs/"). */
static int s_folder_names(struct al_run *r,
                          const struct al_release_store *s,
                          const char *folder,
                          struct al_strv *out)
{
    struct al_s3_listing list;
    char prefix[AL_STORE_KEY_MAX];
    int rc = -1;
    al_s3_listing_init(&list);
    s_key(s, folder, prefix);
    if (al_s3_list_objects(r->aws, s->bucket, prefix, &list))
        goto cleanup;
    for (size_t i = 0; i < list.len; i++)
        if (al_strv_push(out, list.items[i].key + strlen(prefix)))
            goto cleanup;
    rc = 0;
cleanup:
    al_s3_listing_clean_up(&list);
    return rc;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool s_has(const struct al_strv *sorted, const char *s)
{
    return sorted->len && bsearch(&s, sorted->items, sorted->len, sizeof(char *), s_cmp_str);
}

int al_store_put_blob(struct al_run *r,
                      const struct al_release_store *s,
                      const char *data,
                      size_t n,
                      char sha_hex[AL_SHA256_HEX_LEN + 1])
{
    uint8_t d[AL_SHA256_LEN];
    char key[AL_STORE_KEY_MAX], rel[96];
    struct al_s3_put p;
    char etag[AL_S3_ETAG_MAX];
    struct al_s3_head h;
    if (al_sha256(data, n, d))
        return -1;
    al_hex(d, AL_SHA256_LEN, sha_hex);
    snprintf(rel, sizeof(rel), "blobs/%s", sha_hex);
    s_key(s, rel, key);
    if (al_s3_head_object(r->aws, s->bucket, key, &h))
        return -1;
    if (h.found)
        return 0;
    memset(&p, 0, sizeof(p));
    p.bucket = s->bucket;
    p.key = key;
    p.body.kind = AL_HTTP_BODY_MEMORY;
    p.body.data = data;
    p.body.len = n;
    p.meta.content_type = "application/octet-stream";
    p.meta.sha256_hex = sha_hex;
    p.payload_sha256 = sha_hex;
    return al_s3_put_object(r->aws, &p, etag);
}

int al_store_get_blob(struct al_run *r,
                      const struct al_release_store *s,
                      const char *sha_hex,
                      struct al_buf *out)
{
    char rel[96];
    bool found = false;
    snprintf(rel, sizeof(rel), "blobs/%.64s", sha_hex);
    if (s_get_text(r, s, rel, out, &found))
        return -1;
    if (!found)
        return al_raise(
          AL_ERR_DEPLOY, "the release store lacks blob %.64s (pruned or deleted)", sha_hex);
    return 0;
}

int al_store_prune(struct al_run *r,
                   const struct al_release_store *s,
                   size_t keep,
                   const struct al_release_current *cur,
                   const struct al_strv *listed)
{
    struct al_strv names, versions, wanted, del, have; /* wanted: blob hashes, pack names */
    char key[AL_STORE_KEY_MAX];
    int rc = -1;

    al_strv_init(&names);
    al_strv_init(&versions);
    al_strv_init(&wanted);
    al_strv_init(&del);
    al_strv_init(&have);
    /* Blobs become unreferenced only when a manifest goes: nothing to do while all are kept. */
    for (size_t i = 0; listed && i < listed->len; i++)
        if (al_strv_push(&names, listed->items[i]))
            goto cleanup;
    if (!listed && s_release_names(r, s, &names))
        goto cleanup;
    if (names.len <= keep) {
        rc = 0;
        goto cleanup;
    }
    if (s_newest_first(r, s, &names, 0, &versions))
        goto cleanup;
    for (size_t i = 0; i < versions.len; i++) {
        const char *v = versions.items[i];
        bool kept = i < keep || (cur && (al_streq(v, cur->version) || al_streq(v, cur->previous)));
        struct al_release rel;
        bool found = false;
        if (!kept) {
            snprintf(key, sizeof(key), "%sreleases/%s.json", s->prefix, v);
            if (al_strv_push(&del, key))
                goto cleanup;
            continue;
        }
        al_release_init(&rel);
        if (al_store_get_release(r, s, v, &rel, &found)) {
            al_release_clean_up(&rel);
            goto cleanup;
        }
        /* A packed file keeps its pack; the others (and templates) their blobs. */
        for (size_t k = 0; found && k < rel.n_files; k++)
            if (al_strv_push(&wanted,
                             rel.files[k].loc.pack ? rel.files[k].loc.pack : rel.files[k].sha256))
                break;
        for (size_t k = 0; found && k < rel.n_stacks; k++)
            if (al_strv_push(&wanted, rel.stacks[k].template_sha256))
                break;
        al_release_clean_up(&rel);
    }
    if (wanted.len > 1)
        qsort(wanted.items, wanted.len, sizeof(char *), s_cmp_str);
    for (size_t f = 0; f < 2; f++) {
        static const char *const folders[] = { "blobs/", "packs/" };
        al_strv_clean_up(&have);
        if (s_folder_names(r, s, folders[f], &have))
            goto cleanup;
        for (size_t i = 0; i < have.len; i++) {
            if (s_has(&wanted, have.items[i]))
                continue;
            snprintf(key, sizeof(key), "%s%s%s", s->prefix, folders[f], have.items[i]);
            if (al_strv_push(&del, key))
                goto cleanup;
        }
    }
    for (size_t i = 0; i < del.len; i += AL_S3_DELETE_BATCH) {
        size_t n = del.len - i < AL_S3_DELETE_BATCH ? del.len - i : AL_S3_DELETE_BATCH;
        if (s_delete_keys(r, s->bucket, (const char *const *)del.items + i, n))
            goto cleanup;
    }
    if (del.len)
        al_log_info("release store: pruned %zu objects (keeping %zu releases)",
                    del.len,
                    versions.len < keep ? versions.len : keep);
    rc = 0;
cleanup:
    al_strv_clean_up(&names);
    al_strv_clean_up(&versions);
    al_strv_clean_up(&wanted);
    al_strv_clean_up(&del);
    al_strv_clean_up(&have);
    return rc;
}
