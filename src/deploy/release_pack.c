/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/release_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aws/s3.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"

#define AL_PACK_KEY_MAX (AL_STORE_PREFIX_MAX + 80)
/* A pack up to this size is one PutObject, queued with the sync; a larger one multipart. */
#define AL_PACK_SINGLE_PUT_MAX ((uint64_t)64 << 20)
/* Restored files with a multipart upload open at once. */
#define AL_PACK_ROUND_FILES 1000u
#define AL_PACK_CHUNK (256u * 1024u)

static int s_cmp_file_sha(const void *a, const void *b)
{
    const struct al_release_file *const *x = a, *const *y = b;
    return strcmp((*x)->sha256, (*y)->sha256);
}

/* The live release's files by content, for "does the store hold this already". */
static int s_live_index(const struct al_release *live, const struct al_release_file ***out)
{
    *out = NULL;
    if (!live || !live->n_files)
        return 0;
    if (!(*out = calloc(live->n_files, sizeof(**out))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < live->n_files; i++)
        (*out)[i] = &live->files[i];
    qsort(*out, live->n_files, sizeof(**out), s_cmp_file_sha);
    return 0;
}

static const struct al_release_file *s_live_find(const struct al_release_file **idx,
                                                 size_t n,
                                                 const char *sha)
{
    struct al_release_file probe;
    const struct al_release_file *p = &probe, **hit;
    if (!n)
        return NULL;
    memcpy(probe.sha256, sha, sizeof(probe.sha256));
    hit = bsearch(&p, idx, n, sizeof(*idx), s_cmp_file_sha);
    return hit ? *hit : NULL;
}

struct s_new {
    const struct al_site *site;
    size_t *idx; /* site files the store lacks, sorted by content */
    size_t n;
};

static int s_cmp_new(const void *a, const void *b, void *user)
{
    const struct al_site *site = user;
    return strcmp(site->files[*(const size_t *)a].sha256_hex,
                  site->files[*(const size_t *)b].sha256_hex);
}

/* Appends f's bytes to fd, checking them against the scanned SHA-256. */
static int s_append_member(const struct al_site *site,
                           const struct al_site_file *f,
                           int out,
                           const char *out_path,
                           char *chunk,
                           struct al_hasher *h,
                           struct al_hasher *whole)
{
    char path[PATH_MAX], hex[AL_SHA256_HEX_LEN + 1];
    uint8_t sha[AL_SHA256_LEN];
    uint64_t done = 0;
    int fd = -1, rc = -1;
    if (al_hasher_reset(h) || al_site_path(site, f, path))
        goto cleanup;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        al_raise(AL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto cleanup;
    }
    while (done < f->size) {
        size_t want = f->size - done < AL_PACK_CHUNK ? (size_t)(f->size - done) : AL_PACK_CHUNK;
        ssize_t n = read(fd, chunk, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            al_raise(AL_ERR_IO,
                     "cannot read %s: %s",
                     path,
                     n < 0 ? strerror(errno) : "it became shorter during the deploy");
            goto cleanup;
        }
        if (al_hasher_update(h, chunk, (size_t)n) ||
            (whole && al_hasher_update(whole, chunk, (size_t)n)))
            goto cleanup;
        for (ssize_t w = 0; w < n;) {
            ssize_t k = write(out, chunk + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                al_raise(AL_ERR_IO, "cannot write %s: %s", out_path, strerror(errno));
                goto cleanup;
            }
            w += k;
        }
        done += (uint64_t)n;
    }
    if (al_hasher_final(h, NULL, sha))
        goto cleanup;
    al_hex(sha, AL_SHA256_LEN, hex);
    if (strcmp(hex, f->sha256_hex) != 0) {
        al_raise(
          AL_ERR_IO, "%s changed during the deploy: deploy again once the build is done", path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Writes the members (the first file of each content in nw) into the job's pack file. */
static int s_write_pack(const struct s_new *nw, const bool *member, struct al_pack_job *job)
{
    uint8_t sha[AL_SHA256_LEN];
    bool single = job->saved.packed_bytes <= AL_PACK_SINGLE_PUT_MAX;
    /* Its SHA-256 signs the PutObject, and S3 checks the body against it. */
    struct al_hasher *whole = single ? al_hasher_new(0, 1) : NULL, *each = al_hasher_new(0, 1);
    char *chunk = malloc(AL_PACK_CHUNK);
    int fd = -1, rc = -1;

    if (!chunk || !each || (single && !whole)) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((fd = al_temp_file("pack", job->tmp)) < 0)
        goto cleanup;
    for (size_t k = 0; k < nw->n; k++)
        if (member[k] &&
            s_append_member(
              nw->site, &nw->site->files[nw->idx[k]], fd, job->tmp, chunk, each, whole))
            goto cleanup;
    if (single) {
        if (al_hasher_final(whole, NULL, sha))
            goto cleanup;
        al_hex(sha, AL_SHA256_LEN, job->sha_hex);
    }
    rc = 0;
cleanup:
    if (fd >= 0 && close(fd) && rc == 0)
        rc = al_raise(AL_ERR_IO, "cannot write %s: %s", job->tmp, strerror(errno));
    al_hasher_free(whole);
    al_hasher_free(each);
    free(chunk);
    return rc;
}

static void s_pack_put(const struct al_release_store *s,
                       struct al_pack_job *job,
                       struct al_s3_put *p)
{
    snprintf(job->key, sizeof(job->key), "%spacks/%s", s->prefix, job->name);
    memset(p, 0, sizeof(*p));
    p->bucket = s->bucket;
    p->key = job->key;
    p->body.kind = AL_HTTP_BODY_FILE;
    p->body.path = job->tmp;
    p->body.length = job->saved.packed_bytes;
    p->meta.content_type = "application/octet-stream";
}

static void s_pack_done(void *user, struct al_http_response *resp)
{
    struct al_pack_job *job = user;
    (void)resp;
    job->in_flight = false;
}

/* Queues the pack's PutObject; a pack too large for one goes multipart at finish. */
static int s_queue_pack(struct al_run *r, const struct al_release_store *s, struct al_pack_job *job)
{
    struct al_s3_put p;
    if (job->saved.packed_bytes > AL_PACK_SINGLE_PUT_MAX)
        return 0;
    s_pack_put(s, job, &p);
    p.payload_sha256 = job->sha_hex;
    al_s3_call_init(&job->q);
    al_http_response_init(&job->resp, 0);
    job->queued = true;
    if (al_s3_put_object_call(&job->q, &p) ||
        al_aws_submit(r->aws, &job->q.spec, &job->resp, s_pack_done, job))
        return -1;
    job->in_flight = true;
    return 0;
}

/* Server-side copies between the site bucket and blobs/: storing (in) or restoring (out). */
struct s_blob_copies {
    const struct al_release_store *store;
    const char *site_bucket;
    const struct al_site_file *const *in;     /* storing: these site files into blobs/ */
    const struct al_release_file *const *out; /* restoring: these files from blobs/ */
    char blob[AL_PACK_KEY_MAX];               /* one at a time: a call copies it when submitted */
};

static int s_build_blob_copy(void *user, size_t i, struct al_s3_call *q)
{
    struct s_blob_copies *b = user;
    struct al_s3_copy c;
    memset(&c, 0, sizeof(c));
    c.replace_meta = true;
    if (b->in) {
        snprintf(b->blob, sizeof(b->blob), "%sblobs/%s", b->store->prefix, b->in[i]->sha256_hex);
        c.src_bucket = b->site_bucket;
        c.src_key = b->in[i]->key;
        c.bucket = b->store->bucket;
        c.key = b->blob;
        c.meta.content_type = "application/octet-stream";
        c.meta.sha256_hex = b->in[i]->sha256_hex;
    } else {
        const struct al_release_file *f = b->out[i];
        snprintf(b->blob, sizeof(b->blob), "%sblobs/%s", b->store->prefix, f->sha256);
        c.src_bucket = b->store->bucket;
        c.src_key = b->blob;
        c.bucket = b->site_bucket;
        c.key = f->key;
        c.meta.content_type = f->content_type;
        c.meta.cache_control = f->cache_control;
        c.meta.sha256_hex = f->sha256;
    }
    return al_s3_copy_object_call(q, &c);
}

/* Runs n calls of build (done may be NULL); stop: submit nothing more after a failure. */
static int s_batch(struct al_run *r,
                   size_t n,
                   al_s3_batch_build_fn build,
                   al_s3_batch_done_fn done,
                   void *user,
                   bool stop)
{
    struct al_s3_batch b;
    if (!n)
        return 0;
    memset(&b, 0, sizeof(b));
    b.n = n;
    b.build = build;
    b.done = done;
    b.user = user;
    b.stop_on_error = stop;
    return al_s3_batch_run(r->aws, &b, NULL);
}

int al_pack_stage(struct al_run *r,
                  const struct al_release_store *s,
                  const struct al_site *site,
                  const struct al_release *live,
                  struct al_pack_job *job)
{
    const struct al_release_file **live_idx = NULL;
    struct al_release *d = &job->draft;
    struct s_new nw = { site, NULL, 0 };
    bool *member = NULL;
    size_t n_live = live ? live->n_files : 0;
    const char *pack = NULL;
    uint8_t rnd[AL_PACK_NAME_LEN / 2];
    int rc = -1;

    job->staged = true;
    d->site = site;
    if (!(d->site_locs = calloc(site->len + 1, sizeof(*d->site_locs))) ||
        !(nw.idx = calloc(site->len + 1, sizeof(*nw.idx))) ||
        !(member = calloc(site->len + 1, sizeof(*member))) ||
        !(job->large = calloc(site->len + 1, sizeof(*job->large)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    /* The live release's content is in the store: retention never removes it. */
    if (s_live_index(live, &live_idx))
        goto cleanup;
    for (size_t i = 0; i < site->len; i++) {
        const struct al_release_file *held =
          s_live_find(live_idx, n_live, site->files[i].sha256_hex);
        if (!held) {
            nw.idx[nw.n++] = i;
            continue;
        }
        d->site_locs[i].at = held->loc.at;
        if (held->loc.pack && !(d->site_locs[i].pack = al_release_intern_pack(d, held->loc.pack)))
            goto cleanup;
    }
    if (nw.n == 0) {
        rc = 0;
        goto cleanup;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        al_raise(AL_ERR_INTERNAL, "no random bytes for a pack name");
        goto cleanup;
    }
    al_hex(rnd, sizeof(rnd), job->name);
    if (!(pack = al_release_intern_pack(d, job->name)))
        goto cleanup;
    /* Distinct content only: the same bytes under two keys are stored once. */
    qsort_r(nw.idx, nw.n, sizeof(*nw.idx), s_cmp_new, (void *)site);
    for (size_t k = 0; k < nw.n; k++) {
        const struct al_site_file *f = &site->files[nw.idx[k]];
        struct al_release_loc *loc = &d->site_locs[nw.idx[k]];
        if (k && strcmp(site->files[nw.idx[k - 1]].sha256_hex, f->sha256_hex) == 0) {
            *loc = d->site_locs[nw.idx[k - 1]];
            continue;
        }
        if (f->size == 0 || f->size > AL_PACK_MEMBER_MAX) {
            job->large[job->n_large++] = f;
            continue;
        }
        member[k] = true;
        loc->pack = pack;
        loc->at = job->saved.packed_bytes;
        job->saved.packed_bytes += f->size;
        job->saved.packed++;
    }
    if (job->saved.packed && (s_write_pack(&nw, member, job) || s_queue_pack(r, s, job)))
        goto cleanup;
    rc = 0;
cleanup:
    free(live_idx);
    free(nw.idx);
    free(member);
    return rc;
}

int al_pack_finish(struct al_run *r,
                   const struct al_release_store *s,
                   const char *site_bucket,
                   struct al_pack_job *job)
{
    /* Large and empty files: in the site bucket already, copied from there. */
    struct s_blob_copies b = { s, site_bucket, job->large, NULL, "" };
    if (job->in_flight && al_aws_run(r->aws))
        return -1;
    if (job->queued && job->resp.failed) {
        *al_error_mut() = job->resp.error;
        return -1;
    }
    if (job->saved.packed && !job->queued) {
        struct al_s3_put p;
        s_pack_put(s, job, &p);
        if (al_s3_upload_multipart(r->aws, &p, 0, NULL, NULL, NULL))
            return -1;
    }
    if (s_batch(r, job->n_large, s_build_blob_copy, NULL, &b, true))
        return -1;
    job->saved.copied = job->n_large;
    return 0;
}

void al_pack_job_clean_up(struct al_run *r, struct al_pack_job *job)
{
    if (!job)
        return;
    /* The engine holds the call's storage until it is over (for good, if the transport broke). */
    if (job->in_flight && al_aws_run(r->aws)) {
        al_error_clear();
        job->queued = false;
    }
    if (job->queued) {
        al_s3_call_clean_up(&job->q);
        al_http_response_clean_up(&job->resp);
    }
    if (job->tmp[0])
        unlink(job->tmp);
    job->draft.site = NULL;
    al_release_clean_up(&job->draft);
    free(job->large);
    memset(job, 0, sizeof(*job));
}

/* ---- restore ---- */

/*
 * A packed file goes back server-side, in three steps each run for the whole
 * round at once: CreateMultipartUpload (with the file's metadata), one
 * UploadPartCopy of its byte range of the pack, CompleteMultipartUpload.
 */
enum s_step { STEP_CREATE, STEP_COPY, STEP_COMPLETE, STEP_ABORT };

struct s_round {
    const struct al_release_store *store;
    const char *bucket;
    const struct al_release_file **files; /* this round's */
    char **upload_ids;                    /* by file; owned */
    char (*etags)[AL_S3_ETAG_MAX];        /* by file: the copied part's */
    enum s_step step;
    char src[AL_PACK_KEY_MAX]; /* one at a time: a call copies it when submitted */
    struct al_error err;       /* the first unreadable answer */
    bool has_err;
};

static int s_build_step(void *user, size_t i, struct al_s3_call *q)
{
    struct s_round *rd = user;
    const struct al_release_file *f = rd->files[i];
    struct al_s3_put p;
    struct al_s3_part part;
    const char *etag = rd->etags[i];
    switch (rd->step) {
        case STEP_CREATE:
            memset(&p, 0, sizeof(p));
            p.bucket = rd->bucket;
            p.key = f->key;
            p.meta.content_type = f->content_type;
            p.meta.cache_control = f->cache_control;
            p.meta.sha256_hex = f->sha256;
            return al_s3_create_multipart_call(q, &p);
        case STEP_COPY:
            memset(&part, 0, sizeof(part));
            part.bucket = rd->bucket;
            part.key = f->key;
            part.upload_id = rd->upload_ids[i];
            part.number = 1;
            snprintf(rd->src, sizeof(rd->src), "%spacks/%s", rd->store->prefix, f->loc.pack);
            return al_s3_upload_part_copy_call(
              q, &part, rd->store->bucket, rd->src, f->loc.at, f->size);
        case STEP_COMPLETE:
            return al_s3_complete_multipart_call(
              q, rd->bucket, f->key, rd->upload_ids[i], &etag, 1, false);
        case STEP_ABORT:
            break;
    }
    return al_s3_abort_multipart_call(q, rd->bucket, f->key, rd->upload_ids[i]);
}

static void s_step_done(void *user, size_t i, struct al_http_response *resp)
{
    struct s_round *rd = user;
    int bad = 0;
    if (resp->failed)
        return;
    /* Every upload started is kept, even after a failure: the round aborts them all. */
    if (rd->step == STEP_CREATE)
        bad = !(rd->upload_ids[i] = al_s3_parse_upload_id(resp));
    else if (rd->step == STEP_COPY)
        bad = al_s3_parse_result_etag(resp, rd->etags[i]);
    if (bad && !rd->has_err) {
        rd->err = *al_error_last();
        rd->has_err = true;
    }
}

static int s_run_step(struct al_run *r, struct s_round *rd, enum s_step step, size_t n)
{
    rd->step = step;
    /* Every abort is sent, whatever became of the others. */
    if (s_batch(r, n, s_build_step, s_step_done, rd, step != STEP_ABORT))
        return -1;
    if (rd->has_err) {
        *al_error_mut() = rd->err;
        return -1;
    }
    return 0;
}

/* Aborts the round's started uploads, so no parts are left behind. */
static void s_abort_round(struct al_run *r, struct s_round *rd, size_t n)
{
    struct al_error saved = *al_error_last();
    size_t k = 0;
    /* The started uploads to the front; each id stays in exactly one slot (freed once). */
    for (size_t i = 0; i < n; i++)
        if (rd->upload_ids[i]) {
            const struct al_release_file *f = rd->files[k];
            rd->files[k] = rd->files[i];
            rd->files[i] = f;
            rd->upload_ids[k] = rd->upload_ids[i];
            if (k++ != i)
                rd->upload_ids[i] = NULL;
        }
    rd->has_err = false;
    if (k && s_run_step(r, rd, STEP_ABORT, k))
        al_log_warning("could not abort every multipart upload of the restore (%s); a lifecycle "
                       "rule (AbortIncompleteMultipartUpload) removes their parts",
                       al_error_last()->msg);
    *al_error_mut() = saved;
}

int al_pack_restore(struct al_run *r,
                    const struct al_release_store *s,
                    const char *bucket,
                    const struct al_release_file **files,
                    size_t n_files)
{
    struct s_round rd;
    struct s_blob_copies b = { s, bucket, NULL, NULL, "" };
    size_t n = 0;
    int rc = 0;
    memset(&rd, 0, sizeof(rd));
    rd.store = s;
    rd.bucket = bucket;
    /* Packed files first in files, the ones in blobs/ after them. */
    for (size_t i = 0; i < n_files; i++)
        if (files[i]->loc.pack) {
            const struct al_release_file *t = files[n];
            files[n++] = files[i];
            files[i] = t;
        }
    b.out = files + n;
    for (size_t i = 0; i < n; i++)
        if (files[i]->size == 0 || files[i]->size > AL_PACK_MEMBER_MAX)
            return al_raise(AL_ERR_PARSE,
                            "the release records %s (%" PRIu64 " bytes) in a pack, which holds "
                            "files of 1 to %" PRIu64 " bytes",
                            files[i]->key,
                            files[i]->size,
                            AL_PACK_MEMBER_MAX);
    for (size_t start = 0; start < n && rc == 0; start += AL_PACK_ROUND_FILES) {
        size_t m = n - start < AL_PACK_ROUND_FILES ? n - start : AL_PACK_ROUND_FILES;
        rd.files = files + start;
        rd.has_err = false;
        rd.upload_ids = calloc(m, sizeof(*rd.upload_ids));
        rd.etags = calloc(m, sizeof(*rd.etags));
        if (!rd.upload_ids || !rd.etags)
            rc = al_raise(AL_ERR_NOMEM, "out of memory");
        else if (s_run_step(r, &rd, STEP_CREATE, m) || s_run_step(r, &rd, STEP_COPY, m) ||
                 s_run_step(r, &rd, STEP_COMPLETE, m)) {
            s_abort_round(r, &rd, m);
            rc = -1;
        }
        for (size_t i = 0; rd.upload_ids && i < m; i++)
            free(rd.upload_ids[i]);
        free(rd.upload_ids);
        free(rd.etags);
    }
    return rc ? rc : s_batch(r, n_files - n, s_build_blob_copy, NULL, &b, true);
}
