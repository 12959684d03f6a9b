/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libcurl multi transport. One multi handle per engine holds the
 * connection cache (at most max_concurrency connections, kept alive between
 * transfers); easy handles are pooled so their TLS session caches survive;
 * a share handle lets every handle resume TLS sessions and reuse DNS
 * answers. Verbose mode is never enabled: it would print Authorization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http/engine.h"
#include "http/transport.h"
#include "util/err.h"

/* Bigger than curl's 64 KiB default to cut syscalls on large uploads; a
 * smaller body gets curl's minimum, so thousands of small files in flight
 * do not each hold a buffer they never fill. */
#define UPLOAD_BUFFER ((long)256 << 10)
#define UPLOAD_BUFFER_MIN ((long)16 << 10)

struct s_curl {
    struct al_http_transport base;
    CURLM *multi;
    CURLSH *share;
    const struct al_http_options *opts;
    const char *ca_file;
    CURL **pool;
    size_t npool;
    size_t pool_cap;
};

struct s_xdata {
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
};

static void s_global_init(void)
{
    static int done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
}

static size_t s_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct al_http_xfer *x = ud;
    size_t len = size * n, name_len;
    const char *colon, *v, *end = p + len;

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', len);
        long status = 0;
        al_http_xfer_response_start(x);
        for (sp = sp ? sp + 1 : end; sp < end && *sp >= '0' && *sp <= '9'; sp++)
            status = status * 10 + (*sp - '0');
        al_http_xfer_set_status(x, status);
        return len;
    }
    while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    colon = memchr(p, ':', (size_t)(end - p));
    if (!colon)
        return len; /* the blank line ending the block */
    name_len = (size_t)(colon - p);
    for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
        ;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (al_http_xfer_add_header(x, p, name_len, v, (size_t)(end - v)))
        return 0;
    return len;
}

static size_t s_on_write(char *p, size_t size, size_t n, void *ud)
{
    return al_http_xfer_write(ud, p, size * n) ? 0 : size * n;
}

static size_t s_on_read(char *p, size_t size, size_t n, void *ud)
{
    long got = al_http_xfer_read(ud, p, size * n);
    return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int s_on_seek(void *ud, curl_off_t offset, int origin)
{
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    return al_http_xfer_seek(ud, (uint64_t)offset) ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static int s_add_raw(struct curl_slist **l, const char *line)
{
    struct curl_slist *n = curl_slist_append(*l, line);
    if (!n)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    *l = n;
    return 0;
}

static int s_add_header(struct curl_slist **l, const char *name, const char *value)
{
    char line[16384];
    int len = *value ? snprintf(line, sizeof(line), "%s: %s", name, value)
                     : snprintf(line, sizeof(line), "%s;", name); /* curl's "send it empty" */
    if (len < 0 || (size_t)len >= sizeof(line))
        return al_raise(AL_ERR_LIMIT, "request header %.64s too long", name);
    return s_add_raw(l, line);
}

static int s_set_method(CURL *h, struct al_http_xfer *x)
{
    curl_off_t len = (curl_off_t)x->body_len;
    if (strcmp(x->method, "HEAD") == 0)
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L) != CURLE_OK;
    if (strcmp(x->method, "GET") == 0 && !x->has_body)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
    if (strcmp(x->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        if (!x->has_body || !len) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
            return curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0) != CURLE_OK;
        }
        return curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, len) != CURLE_OK;
    }
    if (x->has_body || strcmp(x->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, len);
    }
    if (strcmp(x->method, "PUT") != 0)
        return curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method) != CURLE_OK;
    return 0;
}

static void s_release(struct s_curl *t, struct s_xdata *d)
{
    if (!d)
        return;
    curl_slist_free_all(d->hdrs);
    if (d->easy) {
        if (t->npool < t->pool_cap) {
            curl_easy_reset(d->easy);
            t->pool[t->npool++] = d->easy;
        } else {
            curl_easy_cleanup(d->easy);
        }
    }
    free(d);
}

static int s_start(struct al_http_transport *base, struct al_http_xfer *x)
{
    struct s_curl *t = (struct s_curl *)base;
    struct s_xdata *d = calloc(1, sizeof(*d));
    const struct al_http_headers *hs = x->headers;
    bool has_ct = false;
    CURL *h;
    CURLcode rc = CURLE_OK;

    if (!d)
        return al_raise(AL_ERR_NOMEM, "out of memory");
    h = t->npool ? t->pool[--t->npool] : curl_easy_init();
    if (!h) {
        free(d);
        return al_raise(AL_ERR_NOMEM, "cannot create a curl handle");
    }
    d->easy = h;
    for (size_t i = 0; i < hs->len; i++) {
        if (strcasecmp(hs->items[i].name, "content-type") == 0)
            has_ct = true;
        if (s_add_header(&d->hdrs, hs->items[i].name, hs->items[i].value))
            goto on_error;
    }
    /* No 100-continue round trip; no curl default Content-Type on a POST
     * (CreateMultipartUpload would give the object that type). "Name:" with
     * nothing after it removes curl's own header. */
    if (s_add_raw(&d->hdrs, "Expect:") || (!has_ct && s_add_raw(&d->hdrs, "Content-Type:")))
        goto on_error;

    rc |= curl_easy_setopt(h, CURLOPT_URL, x->url);
    rc |= curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* S3 keys with "." segments */
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, d->errbuf);
    rc |= curl_easy_setopt(h, CURLOPT_SHARE, t->share);
    rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, d->hdrs);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s_on_header);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_on_write);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt(h, CURLOPT_READFUNCTION, s_on_read);
    rc |= curl_easy_setopt(h, CURLOPT_READDATA, x);
    rc |= curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, s_on_seek);
    rc |= curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    rc |=
      curl_easy_setopt(h,
                       CURLOPT_UPLOAD_BUFFERSIZE,
                       x->body_len >= (uint64_t)UPLOAD_BUFFER ? UPLOAD_BUFFER : UPLOAD_BUFFER_MIN);
    rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t->opts->connect_timeout_ms);
    rc |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, t->opts->low_speed_limit);
    rc |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, t->opts->low_speed_time_s);
    rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file)
        rc |= curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
    rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, t->opts->user_agent);
    rc |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    rc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc != CURLE_OK || s_set_method(h, x)) {
        al_raise(AL_ERR_INTERNAL, "cannot configure a curl transfer");
        goto on_error;
    }
    x->tdata = d;
    if (curl_multi_add_handle(t->multi, h) != CURLM_OK) {
        x->tdata = NULL;
        al_raise(AL_ERR_INTERNAL, "cannot add a curl transfer");
        goto on_error;
    }
    return 0;
on_error:
    s_release(t, d);
    return -1;
}

static enum al_http_xfer_result s_map(CURLcode code)
{
    switch (code) {
        case CURLE_OK:
            return AL_XFER_OK;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
            return AL_XFER_CONNECT;
        case CURLE_OPERATION_TIMEDOUT:
            return AL_XFER_TIMEOUT;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_WEIRD_SERVER_REPLY:
            return AL_XFER_RESET;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
            return AL_XFER_TLS;
        case CURLE_WRITE_ERROR:
        case CURLE_READ_ERROR:
        case CURLE_ABORTED_BY_CALLBACK:
            return AL_XFER_LOCAL;
        default:
            return AL_XFER_FATAL;
    }
}

static void s_drain(struct s_curl *t)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(t->multi, &left))) {
        struct al_http_xfer *x = NULL;
        struct s_xdata *d;
        long conns = 0;
        curl_off_t up = 0;
        char msg[CURL_ERROR_SIZE + 64];
        CURLcode code = m->data.result;
        CURL *h = m->easy_handle;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
        curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
        curl_multi_remove_handle(t->multi, h);
        d = x->tdata;
        /* curl's error text names the host at most, never our headers. */
        snprintf(msg, sizeof(msg), "%s", d->errbuf[0] ? d->errbuf : curl_easy_strerror(code));
        x->new_connections = conns > 0 ? (unsigned)conns : 0;
        x->bytes_sent = up > 0 ? (uint64_t)up : 0;
        x->tdata = NULL;
        s_release(t, d);
        al_http_xfer_finish(x, s_map(code), code == CURLE_OK ? NULL : msg);
    }
}

static int s_wait(struct al_http_transport *base, long timeout_ms)
{
    struct s_curl *t = (struct s_curl *)base;
    int running = 0;
    CURLMcode mc = curl_multi_perform(t->multi, &running);
    if (mc == CURLM_OK && running)
        mc = curl_multi_poll(t->multi, NULL, 0, (int)timeout_ms, NULL);
    if (mc == CURLM_OK)
        mc = curl_multi_perform(t->multi, &running);
    if (mc != CURLM_OK)
        return al_raise(AL_ERR_HTTP, "curl: %s", curl_multi_strerror(mc));
    s_drain(t);
    return 0;
}

static void s_cancel(struct al_http_transport *base, struct al_http_xfer *x)
{
    struct s_curl *t = (struct s_curl *)base;
    struct s_xdata *d = x->tdata;
    if (!d)
        return;
    curl_multi_remove_handle(t->multi, d->easy);
    x->tdata = NULL;
    s_release(t, d);
}

static void s_destroy(struct al_http_transport *base)
{
    struct s_curl *t = (struct s_curl *)base;
    for (size_t i = 0; i < t->npool; i++)
        curl_easy_cleanup(t->pool[i]);
    free(t->pool);
    if (t->multi)
        curl_multi_cleanup(t->multi);
    if (t->share)
        curl_share_cleanup(t->share);
    free(t);
}

static const struct al_http_transport_vtable s_vtable = {
    .start = s_start,
    .wait = s_wait,
    .cancel = s_cancel,
    .destroy = s_destroy,
};

struct al_http_transport *al_http_curl_transport_new(const struct al_http_options *opts)
{
    struct s_curl *t;
    s_global_init();
    if (!(t = calloc(1, sizeof(*t)))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->base.vt = &s_vtable;
    t->opts = opts;
    t->ca_file = opts->ca_file && *opts->ca_file ? opts->ca_file : NULL;
    if (!t->ca_file && access(AL_HTTP_DEFAULT_CA_FILE, R_OK) == 0)
        t->ca_file = AL_HTTP_DEFAULT_CA_FILE;
    t->pool_cap = opts->max_concurrency;
    t->pool = calloc(t->pool_cap, sizeof(*t->pool));
    t->multi = curl_multi_init();
    t->share = curl_share_init();
    if (!t->pool || !t->multi || !t->share) {
        s_destroy(&t->base);
        al_raise(AL_ERR_NOMEM, "cannot create the curl multi handle");
        return NULL;
    }
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    /* Keep-alive: as many cached connections as transfers in flight, never more. */
    curl_multi_setopt(t->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)opts->max_concurrency);
    curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)opts->max_concurrency);
    curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    return &t->base;
}
