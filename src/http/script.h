/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted transport for unit tests: answers each attempt from a queue of
 * canned responses (or a handler), records every request it saw, and keeps
 * answers "in flight" for a few engine waits so concurrency can be observed.
 * One script may serve several engines (each gets its own transport view).
 */
#ifndef AL_HTTP_SCRIPT_H
#define AL_HTTP_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "http/engine.h"
#include "http/headers.h"
#include "http/transport.h"
#include "util/buf.h"

/* Recorded request bodies are kept up to this size (all bytes are counted). */
#define AL_HTTP_SCRIPT_BODY_MAX ((size_t)1 << 20)

struct al_http_script_request {
    char *method;
    char *url;
    struct al_http_headers headers;
    struct al_buf body;  /* the first AL_HTTP_SCRIPT_BODY_MAX bytes */
    uint64_t body_bytes; /* every byte read */
};

/** An answer a handler fills (already initialised, status 200, empty). */
struct al_http_script_answer {
    enum al_http_xfer_result result; /* AL_XFER_OK, or a transport failure */
    long status;
    struct al_http_headers headers;
    struct al_buf body;
};

/** Answers a request when the queue is empty. @return 0, or -1 to fail the attempt (FATAL). */
typedef int (*al_http_script_handler_fn)(void *user,
                                         const struct al_http_script_request *req,
                                         struct al_http_script_answer *ans);

struct al_http_script;

/** Returns a new script; caller frees with al_http_script_free after its engines. */
struct al_http_script *al_http_script_new(void);

/** Frees s. NULL-safe. */
void al_http_script_free(struct al_http_script *s);

/**
 * Queues an answer for the next attempt. headers is a block of "Name: value"
 * lines separated by '\n' (NULL for none); body may be NULL. Both copied.
 * @return 0 or -1
 */
int al_http_script_respond(struct al_http_script *s,
                           long status,
                           const char *headers,
                           const char *body);

/** Queues a transport failure (e.g. AL_XFER_RESET) for the next attempt. @return 0 or -1. */
int al_http_script_fail(struct al_http_script *s, enum al_http_xfer_result result);

/** Sets the handler used when the queue is empty (borrowed user). */
void al_http_script_set_handler(struct al_http_script *s, al_http_script_handler_fn fn, void *user);

/** Answers arrive after this many engine waits (default 1). */
void al_http_script_set_latency(struct al_http_script *s, unsigned waits);

/** Requests seen so far. */
size_t al_http_script_count(const struct al_http_script *s);

/** The i-th request seen. Borrowed from s. */
const struct al_http_script_request *al_http_script_request(const struct al_http_script *s,
                                                            size_t i);

/** The most transfers in flight at once. */
unsigned al_http_script_peak_in_flight(const struct al_http_script *s);

/** A transport factory for struct al_http_options: arg is the script (borrowed). */
struct al_http_transport *al_http_script_factory(void *arg, const struct al_http_options *opts);

#endif
