/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seam between the engine and what moves bytes: a transport starts
 * transfers and reports them finished; the engine owns everything else
 * (queueing, bodies, sinks, retries). libcurl's multi interface
 * (http/curl.c) and the unit tests' script (http/script.c) implement it.
 *
 * Contract: start() begins a transfer and returns at once; wait() makes
 * progress for at most timeout_ms and calls al_http_xfer_finish for each
 * transfer that ended (never from inside start). A transport reads the
 * request body only through al_http_xfer_read/seek and delivers the response
 * only through al_http_xfer_response_start/set_status/add_header/write.
 * Ownership: the engine owns each xfer and its request strings; a transport
 * borrows them from start() until it calls al_http_xfer_finish (or cancel()).
 */
#ifndef AL_HTTP_TRANSPORT_H
#define AL_HTTP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/headers.h"

enum al_http_xfer_result {
    AL_XFER_OK,      /* a response arrived (its status is set) */
    AL_XFER_CONNECT, /* could not resolve or connect: retryable */
    AL_XFER_TIMEOUT, /* connect or low-speed timeout: retryable */
    AL_XFER_RESET,   /* connection reset, nothing or a partial answer: retryable */
    AL_XFER_TLS,     /* certificate verification failed: never retried */
    AL_XFER_LOCAL,   /* a body callback failed (cap, file); the engine kept the error */
    AL_XFER_FATAL,   /* anything else: not retried */
};

/** One attempt as a transport sees it. The request fields are read-only. */
struct al_http_xfer {
    const char *method;
    const char *url;
    const struct al_http_headers *headers;
    bool has_body;
    uint64_t body_len;
    void *tdata; /* the transport's own per-transfer state */
    /* Filled by the transport before al_http_xfer_finish. */
    uint64_t bytes_sent;
    unsigned new_connections;
    void *priv; /* the engine's */
};

struct al_http_transport;

struct al_http_transport_vtable {
    /** Begins x. @return 0, or -1 (raised): the attempt fails unretried. */
    int (*start)(struct al_http_transport *t, struct al_http_xfer *x);
    /** Progresses transfers for at most timeout_ms. @return 0, or -1 (raised) when broken. */
    int (*wait)(struct al_http_transport *t, long timeout_ms);
    /** Drops a started transfer without finishing it (engine shutdown). */
    void (*cancel)(struct al_http_transport *t, struct al_http_xfer *x);
    /** Frees the transport. */
    void (*destroy)(struct al_http_transport *t);
};

/** Implementations embed this as their first member. */
struct al_http_transport {
    const struct al_http_transport_vtable *vt;
};

/** A new response begins (e.g. after "100 Continue"): drops headers so far. */
void al_http_xfer_response_start(struct al_http_xfer *x);

/** Sets the status of the response being received. */
void al_http_xfer_set_status(struct al_http_xfer *x, long status);

/** Adds a response header (borrowed, copied). @return 0, or -1: abort the transfer (LOCAL). */
int al_http_xfer_add_header(struct al_http_xfer *x,
                            const char *name,
                            size_t name_len,
                            const char *value,
                            size_t value_len);

/** Delivers response body bytes. @return 0, or -1: abort the transfer (LOCAL). */
int al_http_xfer_write(struct al_http_xfer *x, const void *data, size_t n);

/** Reads request body bytes into buf. @return bytes (0 at the end), or -1: abort (LOCAL). */
long al_http_xfer_read(struct al_http_xfer *x, void *buf, size_t n);

/** Rewinds the request body to pos. @return 0 or -1. */
int al_http_xfer_seek(struct al_http_xfer *x, uint64_t pos);

/** Reports x ended; msg (borrowed, may be NULL) explains a failure. Never inside start(). */
void al_http_xfer_finish(struct al_http_xfer *x, enum al_http_xfer_result result, const char *msg);

/** The libcurl multi transport (http/curl.c). Borrows opts. @return NULL (raised) on failure. */
struct al_http_transport *al_http_curl_transport_new(const struct al_http_options *opts);

#endif
