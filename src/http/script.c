/* SPDX-License-Identifier: Apache-2.0 */
#include "http/script.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/str.h"

struct s_answer {
    enum al_http_xfer_result result;
    long status;
    char *headers;
    char *body;
    struct s_answer *next;
};

struct s_flight {
    struct al_http_xfer *x;
    struct al_http_script_answer ans;
    unsigned waits_left;
    struct s_flight *next;
};

struct al_http_script {
    struct s_answer *head, *tail;
    struct al_http_script_request *reqs;
    size_t nreqs, cap;
    al_http_script_handler_fn handler;
    void *handler_user;
    unsigned latency;
    unsigned in_flight, peak;
};

struct s_view {
    struct al_http_transport base;
    struct al_http_script *s;
    struct s_flight *flights;
};

struct al_http_script *al_http_script_new(void)
{
    struct al_http_script *s = calloc(1, sizeof(*s));
    if (!s) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->latency = 1;
    return s;
}

void al_http_script_free(struct al_http_script *s)
{
    struct s_answer *a, *next;
    if (!s)
        return;
    for (a = s->head; a; a = next) {
        next = a->next;
        free(a->headers);
        free(a->body);
        free(a);
    }
    for (size_t i = 0; i < s->nreqs; i++) {
        free(s->reqs[i].method);
        free(s->reqs[i].url);
        al_http_headers_clean_up(&s->reqs[i].headers);
        al_buf_clean_up(&s->reqs[i].body);
    }
    free(s->reqs);
    free(s);
}

static int s_queue(struct al_http_script *s,
                   enum al_http_xfer_result result,
                   long status,
                   const char *headers,
                   const char *body)
{
    struct s_answer *a = calloc(1, sizeof(*a));
    if (!a)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    a->result = result;
    a->status = status;
    if ((headers && !(a->headers = al_strdup(headers))) || (body && !(a->body = al_strdup(body)))) {
        free(a->headers);
        free(a);
        return -1;
    }
    if (s->tail)
        s->tail->next = a;
    else
        s->head = a;
    s->tail = a;
    return 0;
}

int al_http_script_respond(struct al_http_script *s,
                           long status,
                           const char *headers,
                           const char *body)
{
    return s_queue(s, AL_XFER_OK, status, headers, body);
}

int al_http_script_fail(struct al_http_script *s, enum al_http_xfer_result result)
{
    return s_queue(s, result, 0, NULL, NULL);
}

void al_http_script_set_handler(struct al_http_script *s, al_http_script_handler_fn fn, void *user)
{
    s->handler = fn;
    s->handler_user = user;
}

void al_http_script_set_latency(struct al_http_script *s, unsigned waits)
{
    s->latency = waits ? waits : 1;
}

size_t al_http_script_count(const struct al_http_script *s)
{
    return s->nreqs;
}

const struct al_http_script_request *al_http_script_request(const struct al_http_script *s,
                                                            size_t i)
{
    return i < s->nreqs ? &s->reqs[i] : NULL;
}

unsigned al_http_script_peak_in_flight(const struct al_http_script *s)
{
    return s->peak;
}

/* Records the request, reading its body the way a transport would. */
static struct al_http_script_request *s_record(struct al_http_script *s, struct al_http_xfer *x)
{
    struct al_http_script_request *r;
    char chunk[65536];
    long got;
    if (s->nreqs == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        void *p = realloc(s->reqs, cap * sizeof(*s->reqs));
        if (!p) {
            al_raise(AL_ERR_NOMEM, "out of memory");
            return NULL;
        }
        s->reqs = p;
        s->cap = cap;
    }
    r = &s->reqs[s->nreqs];
    memset(r, 0, sizeof(*r));
    al_http_headers_init(&r->headers, 0);
    al_buf_init(&r->body, AL_HTTP_SCRIPT_BODY_MAX);
    s->nreqs++;
    if (!(r->method = al_strdup(x->method)) || !(r->url = al_strdup(x->url)))
        return NULL;
    for (size_t i = 0; i < x->headers->len; i++)
        if (al_http_headers_add(&r->headers, x->headers->items[i].name, x->headers->items[i].value))
            return NULL;
    while (x->has_body && (got = al_http_xfer_read(x, chunk, sizeof(chunk))) > 0) {
        size_t keep = (size_t)got;
        if (r->body.len + keep > r->body.max)
            keep = r->body.max - r->body.len;
        if (keep && al_buf_append(&r->body, chunk, keep))
            return NULL;
        r->body_bytes += (uint64_t)got;
    }
    x->bytes_sent = r->body_bytes;
    return r;
}

static int s_parse_headers(struct al_http_headers *h, const char *block)
{
    while (block && *block) {
        size_t n = strcspn(block, "\n");
        const char *colon = memchr(block, ':', n);
        if (colon) {
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            if (al_http_headers_addn(h, block, (size_t)(colon - block), v, n - (size_t)(v - block)))
                return -1;
        }
        block += n;
        if (*block)
            block++;
    }
    return 0;
}

static int s_start(struct al_http_transport *base, struct al_http_xfer *x)
{
    struct s_view *v = (struct s_view *)base;
    struct al_http_script *s = v->s;
    struct al_http_script_request *r;
    struct s_flight *f = calloc(1, sizeof(*f));
    int rc = -1;

    if (!f)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    f->x = x;
    f->waits_left = s->latency;
    f->ans.result = AL_XFER_OK;
    f->ans.status = 200;
    al_http_headers_init(&f->ans.headers, 0);
    al_buf_init(&f->ans.body, AL_HTTP_MAX_BODY);
    if (!(r = s_record(s, x)))
        goto cleanup;
    if (s->head) {
        struct s_answer *a = s->head;
        s->head = a->next;
        if (!s->head)
            s->tail = NULL;
        f->ans.result = a->result;
        f->ans.status = a->status;
        rc = s_parse_headers(&f->ans.headers, a->headers);
        if (!rc && a->body)
            rc = al_buf_puts(&f->ans.body, a->body);
        free(a->headers);
        free(a->body);
        free(a);
        if (rc)
            goto cleanup;
    } else if (s->handler) {
        if (s->handler(s->handler_user, r, &f->ans)) {
            f->ans.result = AL_XFER_FATAL;
            f->ans.status = 0;
        }
    } else {
        f->ans.result = AL_XFER_FATAL;
        f->ans.status = 0;
    }
    f->next = v->flights;
    v->flights = f;
    x->tdata = f;
    s->in_flight++;
    if (s->in_flight > s->peak)
        s->peak = s->in_flight;
    f = NULL;
    rc = 0;
cleanup:
    if (f) {
        al_http_headers_clean_up(&f->ans.headers);
        al_buf_clean_up(&f->ans.body);
        free(f);
    }
    return rc;
}

static void s_flight_free(struct s_flight *f)
{
    al_http_headers_clean_up(&f->ans.headers);
    al_buf_clean_up(&f->ans.body);
    free(f);
}

static void s_unlink(struct s_view *v, struct s_flight *f)
{
    for (struct s_flight **pp = &v->flights; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            return;
        }
}

static void s_deliver(struct s_view *v, struct s_flight *f)
{
    struct al_http_xfer *x = f->x;
    enum al_http_xfer_result res = f->ans.result;
    v->s->in_flight--;
    s_unlink(v, f);
    x->tdata = NULL;
    if (res == AL_XFER_OK) {
        al_http_xfer_response_start(x);
        al_http_xfer_set_status(x, f->ans.status);
        for (size_t i = 0; i < f->ans.headers.len && res == AL_XFER_OK; i++) {
            const struct al_http_header *h = &f->ans.headers.items[i];
            if (al_http_xfer_add_header(x, h->name, strlen(h->name), h->value, strlen(h->value)))
                res = AL_XFER_LOCAL;
        }
        if (res == AL_XFER_OK && f->ans.body.len &&
            al_http_xfer_write(x, f->ans.body.data, f->ans.body.len))
            res = AL_XFER_LOCAL;
    }
    al_http_xfer_finish(x, res, res == AL_XFER_OK ? NULL : "scripted failure");
    s_flight_free(f);
}

static int s_wait(struct al_http_transport *base, long timeout_ms)
{
    struct s_view *v = (struct s_view *)base;
    struct s_flight *f, *next;
    (void)timeout_ms;
    for (f = v->flights; f; f = f->next)
        if (f->waits_left)
            f->waits_left--;
    for (f = v->flights; f; f = next) {
        next = f->next;
        if (!f->waits_left) {
            s_deliver(v, f);
            next = v->flights; /* the list changed; rescan */
        }
    }
    return 0;
}

static void s_cancel(struct al_http_transport *base, struct al_http_xfer *x)
{
    struct s_view *v = (struct s_view *)base;
    struct s_flight *f = x->tdata;
    if (!f)
        return;
    v->s->in_flight--;
    s_unlink(v, f);
    x->tdata = NULL;
    s_flight_free(f);
}

static void s_destroy(struct al_http_transport *base)
{
    struct s_view *v = (struct s_view *)base;
    while (v->flights) {
        struct s_flight *f = v->flights;
        v->flights = f->next;
        v->s->in_flight--;
        s_flight_free(f);
    }
    free(v);
}

static const struct al_http_transport_vtable s_vtable = {
    .start = s_start,
    .wait = s_wait,
    .cancel = s_cancel,
    .destroy = s_destroy,
};

struct al_http_transport *al_http_script_factory(void *arg, const struct al_http_options *opts)
{
    struct s_view *v = calloc(1, sizeof(*v));
    (void)opts;
    if (!v) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    v->base.vt = &s_vtable;
    v->s = arg;
    return &v->base;
}
