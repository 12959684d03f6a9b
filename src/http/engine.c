/* SPDX-License-Identifier: Apache-2.0 */
#include "http/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/transport.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"

/* The longest one step waits, so timers and new submissions are not starved. */
#define STEP_WAIT_MS 1000L

enum s_where {
    W_NONE,
    W_PENDING,   /* never attempted, waiting for a slot */
    W_DELAYED,   /* waiting out a backoff */
    W_PREPARING, /* holds a slot, prepare hook running */
    W_ACTIVE,    /* in the transport */
    W_COMPLETED, /* finished by the transport, not yet classified */
};

struct s_call {
    struct al_http_engine *e;
    struct al_http_request req;
    struct al_http_response *resp;
    struct al_http_xfer x;
    struct al_buf url;
    struct al_http_headers hdrs;
    enum s_where where;
    unsigned attempt;
    int last_cost;     /* quota taken by the latest retry (0: none yet) */
    uint64_t ready_at; /* monotonic ms, for W_DELAYED */
    uint64_t start_ms; /* the call */
    uint64_t attempt_ms;
    int body_fd;
    uint64_t body_pos;
    int dl_fd;
    enum al_http_xfer_result result;
    char result_msg[256];
    struct al_error local_err; /* a body callback's failure, kept from the global record */
    bool has_local_err;
    bool *done_flag; /* al_http_perform's */
    bool urgent;     /* performed from inside a hook: starts even when every slot is taken */
    struct s_call *next, *prev;
};

struct s_list {
    struct s_call *head, *tail;
    size_t len;
};

struct al_http_engine {
    struct al_http_options opts;
    struct al_http_transport *t;
    struct s_list pending, delayed, active, completed;
    unsigned in_flight; /* preparing + active + completed */
    struct al_retry_quota quota;
    struct al_rng rng;
    struct al_http_stats stats;
    unsigned depth; /* nesting of s_step (a hook performing a call) */
};

static void s_push(struct s_list *l, struct s_call *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->len++;
}

static void s_unlink(struct s_list *l, struct s_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->next = c->prev = NULL;
    l->len--;
}

static struct s_list *s_list_of(struct al_http_engine *e, enum s_where w)
{
    switch (w) {
        case W_PENDING:
            return &e->pending;
        case W_DELAYED:
            return &e->delayed;
        case W_ACTIVE:
            return &e->active;
        case W_COMPLETED:
            return &e->completed;
        default:
            return NULL;
    }
}

static void s_move(struct s_call *c, enum s_where to)
{
    struct s_list *from = s_list_of(c->e, c->where), *dst = s_list_of(c->e, to);
    if (from)
        s_unlink(from, c);
    c->where = to;
    if (dst)
        s_push(dst, c);
}

/* ---- responses ---- */

void al_http_response_init(struct al_http_response *r, size_t max_body)
{
    memset(r, 0, sizeof(*r));
    al_http_headers_init(&r->headers, 0);
    al_buf_init(&r->body, max_body ? max_body : AL_HTTP_MAX_BODY);
}

void al_http_response_clean_up(struct al_http_response *r)
{
    if (!r)
        return;
    al_http_headers_clean_up(&r->headers);
    al_buf_clean_up(&r->body);
}

const char *al_http_response_header(const struct al_http_response *r, const char *name)
{
    return al_http_headers_get(&r->headers, name);
}

void al_http_response_fail(struct al_http_response *r)
{
    r->failed = true;
    r->error = *al_error_last();
}

static void s_response_reset(struct al_http_response *r)
{
    r->status = 0;
    al_http_headers_reset(&r->headers);
    al_buf_reset(&r->body);
    r->body_in_file = false;
    r->bytes_sent = 0;
    r->failed = false;
    memset(&r->error, 0, sizeof(r->error));
}

/* ---- logging helpers ---- */

/* The URL's path without scheme, host or query; never a secret (see module rules). */
static void s_log_path(const struct s_call *c, char *out, size_t cap)
{
    const char *u = al_buf_str(&c->url);
    const char *p = strstr(u, "://");
    size_t n;
    if (c->req.sensitive_url || al_secret_contains(u)) {
        snprintf(out, cap, "(redacted)");
        return;
    }
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        p = "/";
    n = strcspn(p, "?#");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* "host/path" for error messages, or just the host for a sensitive URL. */
static void s_err_target(const struct s_call *c, char *out, size_t cap)
{
    const char *u = al_buf_str(&c->url);
    const char *h = strstr(u, "://");
    size_t n;
    h = h ? h + 3 : u;
    n = c->req.sensitive_url || al_secret_contains(u) ? strcspn(h, "/?#") : strcspn(h, "?#");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, h, n);
    out[n] = '\0';
}

static const char *s_request_id(const struct al_http_response *r)
{
    const char *id = al_http_response_header(r, "x-amz-request-id");
    if (!id)
        id = al_http_response_header(r, "x-amzn-requestid");
    return id;
}

/* ---- bodies ---- */

static void s_close_fds(struct s_call *c)
{
    if (c->body_fd >= 0)
        close(c->body_fd);
    if (c->dl_fd >= 0)
        close(c->dl_fd);
    c->body_fd = c->dl_fd = -1;
}

static void s_keep_local_error(struct s_call *c)
{
    c->local_err = *al_error_last();
    c->has_local_err = true;
}

long al_http_xfer_read(struct al_http_xfer *x, void *buf, size_t n)
{
    struct s_call *c = x->priv;
    const struct al_http_body *b = &c->req.body;
    uint64_t total = b->kind == AL_HTTP_BODY_MEMORY ? b->len : b->length;
    uint64_t left = total - c->body_pos;
    ssize_t got;

    if (b->kind == AL_HTTP_BODY_NONE || left == 0)
        return 0;
    if (n > left)
        n = (size_t)left;
    if (n > (size_t)1 << 30)
        n = (size_t)1 << 30;
    if (b->kind == AL_HTTP_BODY_MEMORY) {
        memcpy(buf, (const char *)b->data + c->body_pos, n);
        c->body_pos += n;
        return (long)n;
    }
    do
        got = pread(c->body_fd, buf, n, (off_t)(b->offset + c->body_pos));
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        al_raise(AL_ERR_IO,
                 "cannot read %s at offset %llu: %s",
                 b->path,
                 (unsigned long long)(b->offset + c->body_pos),
                 got < 0 ? strerror(errno) : "file shrank while uploading");
        s_keep_local_error(c);
        return -1;
    }
    c->body_pos += (uint64_t)got;
    return (long)got;
}

int al_http_xfer_seek(struct al_http_xfer *x, uint64_t pos)
{
    struct s_call *c = x->priv;
    if (pos > x->body_len)
        return -1;
    c->body_pos = pos;
    return 0;
}

void al_http_xfer_response_start(struct al_http_xfer *x)
{
    struct s_call *c = x->priv;
    al_http_headers_reset(&c->resp->headers);
}

void al_http_xfer_set_status(struct al_http_xfer *x, long status)
{
    struct s_call *c = x->priv;
    c->resp->status = status;
}

int al_http_xfer_add_header(struct al_http_xfer *x,
                            const char *name,
                            size_t name_len,
                            const char *value,
                            size_t value_len)
{
    struct s_call *c = x->priv;
    if (al_http_headers_addn(&c->resp->headers, name, name_len, value, value_len)) {
        s_keep_local_error(c);
        return -1;
    }
    return 0;
}

int al_http_xfer_write(struct al_http_xfer *x, const void *data, size_t n)
{
    struct s_call *c = x->priv;
    struct al_http_response *r = c->resp;
    const char *p = data;

    if (c->req.download_path && r->status >= 200 && r->status < 300) {
        if (c->dl_fd < 0) {
            c->dl_fd = open(c->req.download_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (c->dl_fd < 0) {
                al_raise(AL_ERR_IO, "cannot create %s: %s", c->req.download_path, strerror(errno));
                s_keep_local_error(c);
                return -1;
            }
            r->body_in_file = true;
        }
        while (n) {
            ssize_t w = write(c->dl_fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                al_raise(AL_ERR_IO, "cannot write %s: %s", c->req.download_path, strerror(errno));
                s_keep_local_error(c);
                return -1;
            }
            p += w;
            n -= (size_t)w;
            c->e->stats.bytes_received += (uint64_t)w;
        }
        return 0;
    }
    if (al_buf_append(&r->body, data, n)) {
        al_raise(AL_ERR_LIMIT,
                 "%s: response body over the %zu byte limit",
                 c->req.log_name ? c->req.log_name : "HTTP",
                 r->body.max);
        s_keep_local_error(c);
        return -1;
    }
    c->e->stats.bytes_received += n;
    return 0;
}

void al_http_xfer_finish(struct al_http_xfer *x, enum al_http_xfer_result result, const char *msg)
{
    struct s_call *c = x->priv;
    c->result = result;
    snprintf(c->result_msg, sizeof(c->result_msg), "%s", msg ? msg : "");
    s_move(c, W_COMPLETED);
}

/* ---- engine ---- */

static void s_apply_defaults(struct al_http_options *o)
{
    if (!o->max_concurrency)
        o->max_concurrency = AL_HTTP_DEFAULT_CONCURRENCY;
    if (o->max_concurrency > AL_HTTP_MAX_CONCURRENCY)
        o->max_concurrency = AL_HTTP_MAX_CONCURRENCY;
    if (!o->max_attempts)
        o->max_attempts = AL_RETRY_MAX_ATTEMPTS;
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = AL_HTTP_CONNECT_TIMEOUT_MS;
    if (o->low_speed_time_s <= 0)
        o->low_speed_time_s = AL_HTTP_LOW_SPEED_TIME_S;
    if (o->low_speed_limit <= 0)
        o->low_speed_limit = 1;
    if (!o->backoff_base_ms)
        o->backoff_base_ms = AL_RETRY_BASE_MS;
    if (!o->backoff_cap_ms)
        o->backoff_cap_ms = AL_RETRY_CAP_MS;
    if (o->retry_quota <= 0)
        o->retry_quota = AL_RETRY_QUOTA_INITIAL;
    if (!o->user_agent)
        o->user_agent = "airlock/" AL_VERSION;
}

struct al_http_engine *al_http_engine_new(const struct al_http_options *opts)
{
    struct al_http_engine *e = calloc(1, sizeof(*e));
    if (!e) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (opts)
        e->opts = *opts;
    s_apply_defaults(&e->opts);
    al_retry_quota_init(&e->quota, e->opts.retry_quota);
    al_rng_seed(&e->rng,
                e->opts.seed ? e->opts.seed
                             : ((uint64_t)al_clock_mono_ms() << 20) ^ (uint64_t)getpid());
    e->t = e->opts.transport_factory ? e->opts.transport_factory(e->opts.transport_arg, &e->opts)
                                     : al_http_curl_transport_new(&e->opts);
    if (!e->t) {
        free(e);
        return NULL;
    }
    return e;
}

static void s_call_free(struct s_call *c)
{
    s_close_fds(c);
    al_buf_clean_up(&c->url);
    al_http_headers_clean_up(&c->hdrs);
    free(c);
}

static void s_free_list(struct al_http_engine *e, struct s_list *l, bool cancel)
{
    struct s_call *c;
    while ((c = l->head)) {
        s_unlink(l, c);
        if (cancel)
            e->t->vt->cancel(e->t, &c->x);
        if (c->done_flag)
            *c->done_flag = true;
        s_call_free(c);
    }
}

void al_http_engine_free(struct al_http_engine *e)
{
    if (!e)
        return;
    s_free_list(e, &e->active, true);
    s_free_list(e, &e->completed, false);
    s_free_list(e, &e->delayed, false);
    s_free_list(e, &e->pending, false);
    e->t->vt->destroy(e->t);
    free(e);
}

int al_http_submit(struct al_http_engine *e,
                   const struct al_http_request *req,
                   struct al_http_response *resp)
{
    struct s_call *c;
    if (!req->method || (!req->prepare && !req->url))
        return al_raise(AL_ERR_INTERNAL, "HTTP request without a method or URL");
    if (req->body.kind == AL_HTTP_BODY_FILE && !req->body.path)
        return al_raise(AL_ERR_INTERNAL, "HTTP file body without a path");
    if (!(c = calloc(1, sizeof(*c))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    c->e = e;
    c->req = *req;
    c->resp = resp;
    c->body_fd = c->dl_fd = -1;
    c->x.priv = c;
    c->start_ms = al_clock_mono_ms();
    al_buf_init(&c->url, AL_HTTP_URL_MAX);
    al_http_headers_init(&c->hdrs, 0);
    c->where = W_NONE;
    s_move(c, W_PENDING);
    return 0;
}

/* Ends a call: counters, quota refund, the done callback, then the memory. */
static void s_finalize(struct s_call *c)
{
    struct al_http_engine *e = c->e;
    struct al_http_response *r = c->resp;
    s_close_fds(c);
    s_move(c, W_NONE);
    r->attempts = c->attempt;
    r->elapsed_ms = al_clock_mono_ms() - c->start_ms;
    e->stats.calls++;
    if (r->failed)
        e->stats.calls_failed++;
    else
        al_retry_quota_release(&e->quota, c->last_cost);
    if (c->done_flag)
        *c->done_flag = true;
    if (c->req.done)
        c->req.done(c->req.user, r);
    s_call_free(c);
}

/* The attempt failed before reaching the transport: no retry. */
static void s_fail_now(struct s_call *c)
{
    al_http_response_fail(c->resp);
    c->e->in_flight--;
    s_finalize(c);
}

static int s_open_body(struct s_call *c)
{
    const struct al_http_body *b = &c->req.body;
    struct stat st;
    if (b->kind != AL_HTTP_BODY_FILE)
        return 0;
    c->body_fd = open(b->path, O_RDONLY | O_CLOEXEC);
    if (c->body_fd < 0)
        return al_raise(AL_ERR_IO, "cannot open %s: %s", b->path, strerror(errno));
    if (fstat(c->body_fd, &st) != 0 || (uint64_t)st.st_size < b->offset ||
        (uint64_t)st.st_size - b->offset < b->length)
        return al_raise(AL_ERR_IO,
                        "%s is shorter than the %llu bytes to send from offset %llu",
                        b->path,
                        (unsigned long long)b->length,
                        (unsigned long long)b->offset);
    return 0;
}

/* Starts the next attempt of c, which holds a slot. */
static void s_start_attempt(struct s_call *c)
{
    struct al_http_engine *e = c->e;
    struct al_http_attempt a;
    const struct al_http_body *b = &c->req.body;

    c->where = W_PREPARING;
    c->attempt++;
    c->has_local_err = false;
    c->body_pos = 0;
    c->x.bytes_sent = 0;
    c->x.new_connections = 0;
    c->x.tdata = NULL;
    s_response_reset(c->resp);
    al_buf_reset(&c->url);
    al_http_headers_reset(&c->hdrs);
    a.number = c->attempt;
    a.url = &c->url;
    a.headers = &c->hdrs;
    if (c->req.prepare) {
        if (c->req.prepare(c->req.user, &a)) {
            s_fail_now(c);
            return;
        }
    } else {
        if (al_buf_puts(&c->url, c->req.url)) {
            s_fail_now(c);
            return;
        }
        for (size_t i = 0; c->req.headers && i < c->req.headers->len; i++)
            if (al_http_headers_add(
                  &c->hdrs, c->req.headers->items[i].name, c->req.headers->items[i].value)) {
                s_fail_now(c);
                return;
            }
    }
    if (s_open_body(c)) {
        s_fail_now(c);
        return;
    }
    c->x.method = c->req.method;
    c->x.url = al_buf_str(&c->url);
    c->x.headers = &c->hdrs;
    c->x.has_body = b->kind != AL_HTTP_BODY_NONE;
    c->x.body_len = b->kind == AL_HTTP_BODY_MEMORY ? b->len
                    : b->kind == AL_HTTP_BODY_FILE ? b->length
                                                   : 0;
    c->attempt_ms = al_clock_mono_ms();
    e->stats.attempts++;
    if (e->t->vt->start(e->t, &c->x)) {
        s_fail_now(c);
        return;
    }
    if (c->where == W_PREPARING)
        s_move(c, W_ACTIVE);
}

static enum al_retry_kind s_default_classify(struct s_call *c)
{
    struct al_http_response *r = c->resp;
    char target[512];
    if (r->status >= 200 && r->status < 300)
        return AL_RETRY_NONE;
    s_err_target(c, target, sizeof(target));
    al_raise(AL_ERR_HTTP, "%s %s returned HTTP %ld", c->req.method, target, r->status);
    al_http_response_fail(r);
    return al_retry_classify(r->status, NULL);
}

static const char *s_result_text(enum al_http_xfer_result res)
{
    switch (res) {
        case AL_XFER_CONNECT:
            return "could not connect";
        case AL_XFER_TIMEOUT:
            return "timed out";
        case AL_XFER_RESET:
            return "connection failed";
        case AL_XFER_TLS:
            return "TLS verification failed";
        default:
            return "transfer failed";
    }
}

/* Classifies a finished attempt and either schedules a retry or ends the call. */
static void s_complete_attempt(struct s_call *c)
{
    struct al_http_engine *e = c->e;
    struct al_http_response *r = c->resp;
    enum al_retry_kind kind = AL_RETRY_NONE;
    uint64_t now = al_clock_mono_ms();
    uint64_t took = now - c->attempt_ms;
    char path[256], target[512], status[32];
    const char *rid;

    s_move(c, W_NONE);
    e->in_flight--;
    s_close_fds(c);
    r->bytes_sent = c->x.bytes_sent;
    e->stats.bytes_sent += c->x.bytes_sent;
    e->stats.connections += c->x.new_connections;

    if (c->result == AL_XFER_OK) {
        kind = c->req.classify ? c->req.classify(c->req.user, r) : s_default_classify(c);
        if (!r->failed)
            kind = AL_RETRY_NONE;
        snprintf(status, sizeof(status), "%ld", r->status);
    } else if (c->result == AL_XFER_LOCAL && c->has_local_err) {
        r->failed = true;
        r->error = c->local_err;
        snprintf(status, sizeof(status), "aborted");
    } else {
        s_err_target(c, target, sizeof(target));
        al_raise(AL_ERR_HTTP,
                 "%s %s: %s%s%s",
                 c->req.method,
                 target,
                 s_result_text(c->result),
                 c->result_msg[0] ? ": " : "",
                 c->result_msg);
        al_http_response_fail(r);
        if (c->result == AL_XFER_CONNECT || c->result == AL_XFER_TIMEOUT ||
            c->result == AL_XFER_RESET)
            kind = AL_RETRY_TIMEOUT;
        snprintf(status, sizeof(status), "%s", s_result_text(c->result));
    }

    if (al_log_debug_enabled()) {
        s_log_path(c, path, sizeof(path));
        rid = s_request_id(r);
        al_log_debug("http: %s %s %s -> %s in %llu ms (attempt %u/%u%s%s)",
                     c->req.log_name ? c->req.log_name : "request",
                     c->req.method,
                     path,
                     status,
                     (unsigned long long)took,
                     c->attempt,
                     e->opts.max_attempts,
                     rid ? ", request id " : "",
                     rid ? rid : "");
    }

    if (r->failed && kind != AL_RETRY_NONE) {
        int cost = 0;
        if (c->attempt >= e->opts.max_attempts) {
            al_log_debug("http: giving up after %u attempts", c->attempt);
        } else if (!(cost = al_retry_quota_acquire(&e->quota, kind))) {
            e->stats.quota_refusals++;
            al_log_debug("http: retry quota exhausted (%d left); not retrying", e->quota.available);
        } else {
            uint64_t delay = al_retry_backoff_ms(
              &e->rng, c->attempt, e->opts.backoff_base_ms, e->opts.backoff_cap_ms);
            uint64_t hint = 0;
            char note[64] = "";
            /* Only an answered attempt carries a hint; a partial answer is not trusted. */
            if (c->result == AL_XFER_OK &&
                al_retry_hint_ms(al_http_response_header(r, "x-amz-retry-after"),
                                 al_http_response_header(r, "retry-after"),
                                 &hint)) {
                delay = al_retry_apply_hint(delay, hint);
                snprintf(note, sizeof(note), " (server hint %llu ms)", (unsigned long long)hint);
            }
            c->last_cost = cost;
            e->stats.retries++;
            if (kind == AL_RETRY_THROTTLE)
                e->stats.throttled++;
            e->stats.backoff_ms += delay;
            al_log_debug("http: retrying (%s) in %llu ms%s",
                         al_retry_kind_name(kind),
                         (unsigned long long)delay,
                         note);
            c->ready_at = now + delay;
            s_move(c, W_DELAYED);
            return;
        }
    }
    s_finalize(c);
}

/*
 * The next call to start: urgent ones first (a hook waits on them, and the
 * slot it holds may be the last one), then due retries, then new calls.
 */
static struct s_call *s_next_startable(struct al_http_engine *e, uint64_t now)
{
    struct s_call *due = NULL;
    if (e->pending.head && e->pending.head->urgent)
        return e->pending.head;
    for (struct s_call *c = e->delayed.head; c; c = c->next) {
        if (c->ready_at > now)
            continue;
        if (c->urgent)
            return c;
        if (!due)
            due = c;
    }
    if (e->in_flight >= e->opts.max_concurrency)
        return NULL;
    return due ? due : e->pending.head;
}

/* One turn of the loop: start what may start, wait a little, classify what ended. */
static int s_step(struct al_http_engine *e)
{
    long timeout = STEP_WAIT_MS;
    struct s_call *c;
    uint64_t now;

    e->depth++;
    for (;;) {
        now = al_clock_mono_ms();
        if (!(c = s_next_startable(e, now)))
            break;
        s_move(c, W_NONE);
        e->in_flight++;
        if (e->in_flight > e->stats.peak_in_flight)
            e->stats.peak_in_flight = e->in_flight;
        s_start_attempt(c);
    }
    if (!e->active.len && !e->completed.len && !e->delayed.len && e->pending.len) {
        /* Every slot is held by hook frames above us: waiting would never end. */
        e->depth--;
        return al_raise(AL_ERR_INTERNAL,
                        "HTTP engine stalled: a hook ran al_http_run while "
                        "holding the last slot (use al_http_perform in hooks)");
    }
    now = al_clock_mono_ms();
    for (c = e->delayed.head; c; c = c->next) {
        long left = c->ready_at > now ? (long)(c->ready_at - now) : 0;
        if (left < timeout)
            timeout = left;
    }
    if (e->completed.len)
        timeout = 0;
    if (e->active.len) {
        if (e->t->vt->wait(e->t, timeout)) {
            e->depth--;
            return -1;
        }
    } else if (!e->completed.len && e->delayed.len && timeout > 0) {
        al_clock_sleep_ms((uint64_t)timeout);
    }
    while ((c = e->completed.head))
        s_complete_attempt(c);
    e->depth--;
    return 0;
}

/* Calls still preparing belong to hook frames above this loop, which finish them. */
static bool s_idle(const struct al_http_engine *e)
{
    return !e->pending.len && !e->delayed.len && !e->active.len && !e->completed.len;
}

int al_http_run(struct al_http_engine *e)
{
    while (!s_idle(e))
        if (s_step(e))
            return -1;
    return 0;
}

/* The transport broke: the call stays queued, but no longer points at our stack. */
static void s_forget_flag(struct al_http_engine *e, bool *flag)
{
    struct s_list *lists[] = { &e->pending, &e->delayed, &e->active, &e->completed };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        for (struct s_call *c = lists[i]->head; c; c = c->next)
            if (c->done_flag == flag)
                c->done_flag = NULL;
}

int al_http_perform(struct al_http_engine *e,
                    const struct al_http_request *req,
                    struct al_http_response *resp)
{
    bool done = false;
    struct s_call *c;
    if (al_http_submit(e, req, resp))
        return -1;
    c = e->pending.tail;
    c->done_flag = &done;
    if (e->depth) {
        /* Called from a hook: jump the queue (see s_next_startable). */
        c->urgent = true;
        s_unlink(&e->pending, c);
        c->next = e->pending.head;
        c->prev = NULL;
        if (e->pending.head)
            e->pending.head->prev = c;
        else
            e->pending.tail = c;
        e->pending.head = c;
        e->pending.len++;
    }
    while (!done) {
        if (s_step(e)) {
            s_forget_flag(e, &done);
            return -1;
        }
    }
    if (resp->failed) {
        *al_error_mut() = resp->error;
        return -1;
    }
    return 0;
}

void al_http_engine_stats(const struct al_http_engine *e, struct al_http_stats *out)
{
    *out = e->stats;
    out->quota_available = e->quota.available;
}

const struct al_http_options *al_http_engine_options(const struct al_http_engine *e)
{
    return &e->opts;
}
