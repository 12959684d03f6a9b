/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP engine: many calls in flight over kept-alive connections (at most
 * max_concurrency at once), request bodies streamed from memory or a file
 * range, capped response bodies (or streamed to a file), and retries in the
 * AWS SDKs' standard mode (http/retry.h). Transfers go through a transport
 * vtable (http/transport.h): libcurl's multi interface by default, a script
 * in unit tests (http/script.h).
 *
 * Module rules, stated once:
 * - A call is a request plus caller-owned response storage. The engine
 *   borrows both (and every string in the request) until the call's done
 *   callback has returned; al_http_perform needs them only for its duration.
 * - Every attempt runs the prepare hook first (sign there: each attempt gets
 *   a fresh date, current credentials and the corrected clock), then the
 *   transfer, then the classify hook (success, or failure and how to retry).
 * - Hooks and done callbacks run outside the transport, so they may submit
 *   more calls or perform a call synchronously on the same engine.
 * - Single-threaded: one engine is driven by one thread.
 */
#ifndef AL_HTTP_ENGINE_H
#define AL_HTTP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/headers.h"
#include "http/retry.h"
#include "util/buf.h"
#include "util/err.h"

#define AL_HTTP_MAX_BODY ((size_t)16 << 20)
#define AL_HTTP_DEFAULT_CONCURRENCY 32u
#define AL_HTTP_MAX_CONCURRENCY 1024u
#define AL_HTTP_CONNECT_TIMEOUT_MS 10000L
#define AL_HTTP_LOW_SPEED_TIME_S 60L
#define AL_HTTP_URL_MAX ((size_t)16 << 10)
/* The CA bundle of the static image (and of Debian). */
#define AL_HTTP_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

struct al_http_transport;
struct al_http_options;

/** Makes the transport of a new engine; returns NULL with an error raised. */
typedef struct al_http_transport *(
  *al_http_transport_factory_fn)(void *arg, const struct al_http_options *opts);

/** Engine settings. Zero fields take the defaults. Strings borrowed while engines use them. */
struct al_http_options {
    unsigned max_concurrency; /* calls in flight (and connections); 0 = 32 */
    unsigned max_attempts;    /* attempts per call, first included; 0 = 3 */
    long connect_timeout_ms;  /* 0 = 10 s */
    long low_speed_time_s; /* abort a transfer slower than low_speed_limit for this long; 0 = 60 */
    long low_speed_limit;  /* bytes per second; 0 = 1 */
    const char *ca_file; /* CA bundle (SSL_CERT_FILE); NULL = AL_HTTP_DEFAULT_CA_FILE if present */
    const char *user_agent;   /* NULL = "airlock/<version>" */
    uint64_t seed;            /* jitter seed; 0 = from the time and pid */
    unsigned backoff_base_ms; /* 0 = 1000 */
    unsigned backoff_cap_ms;  /* 0 = 20000 */
    int retry_quota;          /* initial tokens; 0 = 500 */
    /* NULL = libcurl; unit tests pass al_http_script_factory. */
    al_http_transport_factory_fn transport_factory;
    void *transport_arg;
};

enum al_http_body_kind {
    AL_HTTP_BODY_NONE,
    AL_HTTP_BODY_MEMORY,
    AL_HTTP_BODY_FILE,
};

/** A request body. Borrowed: memory and path must outlive the call. */
struct al_http_body {
    enum al_http_body_kind kind;
    const void *data; /* MEMORY */
    size_t len;       /* MEMORY */
    const char *path; /* FILE: read with pread, never loaded whole */
    uint64_t offset;  /* FILE: first byte (a multipart part's start) */
    uint64_t length;  /* FILE: byte count */
};

/** Caller-owned outcome of a call. */
struct al_http_response {
    long status; /* 0 when no response came */
    struct al_http_headers headers;
    struct al_buf body; /* capped at init; empty when streamed to download_path */
    bool body_in_file;  /* a 2xx body went to the request's download_path */
    unsigned attempts;
    uint64_t elapsed_ms; /* the whole call, backoff included */
    uint64_t bytes_sent; /* request body bytes of the last attempt */
    bool failed;
    struct al_error error; /* the call's own failure record, when failed */
};

/** What the prepare hook fills for one attempt (both reset by the engine first). */
struct al_http_attempt {
    unsigned number; /* 1 for the first attempt */
    struct al_buf *url;
    struct al_http_headers *headers;
};

/**
 * Called before every attempt. Fill a->url and a->headers (sign here).
 * @return 0, or -1 with an error raised: the call fails with it, unretried.
 */
typedef int (*al_http_prepare_fn)(void *user, struct al_http_attempt *a);

/**
 * Called after every answered attempt (a status arrived). On failure set
 * r->failed and r->error (al_http_response_fail) and return how the failure
 * may be retried (AL_RETRY_NONE: not at all); on success return AL_RETRY_NONE
 * with r->failed false. NULL hook: 2xx succeed, anything else fails with
 * AL_ERR_HTTP and is retried by status.
 */
typedef enum al_retry_kind (*al_http_classify_fn)(void *user, struct al_http_response *r);

/** Called once when the call is over; r is final. */
typedef void (*al_http_done_fn)(void *user, struct al_http_response *r);

/** One call. Borrowed (see the module rules). */
struct al_http_request {
    const char *method;
    const char *url;                       /* used when prepare is NULL */
    const struct al_http_headers *headers; /* used when prepare is NULL; may be NULL */
    struct al_http_body body;
    const char *download_path; /* 2xx bodies are written here (truncated per attempt) */
    bool sensitive_url;        /* never log the URL (a webhook's path is its secret) */
    const char *log_name;      /* e.g. "s3 PutObject", for debug lines and errors */
    al_http_prepare_fn prepare;
    al_http_classify_fn classify;
    al_http_done_fn done;
    void *user;
};

/** Counters since the engine was made. */
struct al_http_stats {
    uint64_t calls;
    uint64_t calls_failed;
    uint64_t attempts;
    uint64_t retries;
    uint64_t throttled;      /* retries caused by throttling */
    uint64_t quota_refusals; /* retries refused because the quota was empty */
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t connections; /* new connections opened (CURLINFO_NUM_CONNECTS) */
    uint64_t backoff_ms;  /* total backoff scheduled */
    unsigned peak_in_flight;
    int quota_available;
};

struct al_http_engine; /* opaque */

/** Initialises caller storage; pair with al_http_response_clean_up. max_body 0 = 16 MiB. */
void al_http_response_init(struct al_http_response *r, size_t max_body);

/** Frees headers and body. NULL-safe. */
void al_http_response_clean_up(struct al_http_response *r);

/** A response header (any case) or NULL. Borrowed from r. */
const char *al_http_response_header(const struct al_http_response *r, const char *name);

/** Marks r failed with the current error record (copied). For classify hooks. */
void al_http_response_fail(struct al_http_response *r);

/**
 * Makes an engine. Borrows opts (and its strings) for the engine's life.
 * @return a new engine (caller frees with al_http_engine_free) or NULL (raised)
 */
struct al_http_engine *al_http_engine_new(const struct al_http_options *opts);

/** Cancels outstanding calls (without callbacks) and frees e. NULL-safe. */
void al_http_engine_free(struct al_http_engine *e);

/**
 * Queues a call. Borrows req's strings and resp until done returns; the
 * request struct itself is copied.
 * @return 0, or -1 (raised; the call is not queued and done is not called)
 */
int al_http_submit(struct al_http_engine *e,
                   const struct al_http_request *req,
                   struct al_http_response *resp);

/**
 * Runs until no call is outstanding; failures are reported per call. From a
 * prepare hook use al_http_perform instead (the hook's own call holds a slot).
 * @return 0, or -1 when the transport broke or the engine stalled (raised)
 */
int al_http_run(struct al_http_engine *e);

/**
 * Performs one call synchronously (other queued calls progress meanwhile).
 * Borrows req and resp for the duration.
 * @return 0 on success; -1 with the call's error (resp->error) made current
 */
int al_http_perform(struct al_http_engine *e,
                    const struct al_http_request *req,
                    struct al_http_response *resp);

/** Copies the counters into out. */
void al_http_engine_stats(const struct al_http_engine *e, struct al_http_stats *out);

/** The effective settings (defaults applied). Borrowed from e. */
const struct al_http_options *al_http_engine_options(const struct al_http_engine *e);

#endif
