/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "http/engine.h"
#include "http/script.h"
#include "util/log.h"
#include "util/secret.h"

/* Fast backoff so retries do not slow the suite. */
static struct al_http_options s_opts(struct al_http_script *s)
{
    struct al_http_options o = { 0 };
    o.transport_factory = al_http_script_factory;
    o.transport_arg = s;
    o.backoff_base_ms = 1;
    o.backoff_cap_ms = 4;
    o.seed = 7;
    return o;
}

static struct al_http_request s_get(const char *url)
{
    struct al_http_request r = { 0 };
    r.method = "GET";
    r.url = url;
    r.log_name = "test Get";
    return r;
}

TEST(http_engine_simple_get)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/a/b?x=1");
    struct al_http_response resp;
    struct al_http_stats st;
    ASSERT(e != NULL);
    al_http_response_init(&resp, 0);
    ASSERT_OK(al_http_script_respond(s, 200, "ETag: \"abc\"\nx-amz-request-id: R1", "hello"));
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(resp.status, 200);
    ASSERT_STR_EQ(al_http_response_header(&resp, "etag"), "\"abc\"");
    ASSERT_STR_EQ(al_buf_str(&resp.body), "hello");
    ASSERT_INT_EQ(resp.attempts, 1);
    ASSERT_STR_EQ(al_http_script_request(s, 0)->url, "http://127.0.0.1:1/a/b?x=1");
    al_http_engine_stats(e, &st);
    ASSERT_INT_EQ(st.calls, 1);
    ASSERT_INT_EQ(st.retries, 0);
    ASSERT_INT_EQ(st.quota_available, 500);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_retries_transient_then_succeeds)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/");
    struct al_http_response resp;
    struct al_http_stats st;
    al_http_response_init(&resp, 0);
    al_http_script_respond(s, 503, NULL, "slow");
    al_http_script_fail(s, AL_XFER_RESET);
    al_http_script_respond(s, 200, NULL, "ok");
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(resp.attempts, 3);
    ASSERT_STR_EQ(al_buf_str(&resp.body), "ok");
    al_http_engine_stats(e, &st);
    ASSERT_INT_EQ(st.retries, 2);
    ASSERT_INT_EQ(st.attempts, 3);
    /* 500 - 5 (503) - 10 (reset) + 10 (refund of the last retry's cost) */
    ASSERT_INT_EQ(st.quota_available, 495);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_no_retry_on_4xx)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    al_http_response_init(&resp, 0);
    al_http_script_respond(s, 403, NULL, "no");
    al_http_script_respond(s, 200, NULL, "never reached");
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(resp.attempts, 1);
    ASSERT(resp.failed);
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_HTTP);
    ASSERT_CONTAINS(al_error_last()->msg, "HTTP 403");
    ASSERT_INT_EQ(al_http_script_count(s), 1);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_gives_up_after_max_attempts)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e;
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    o.max_attempts = 4;
    e = al_http_engine_new(&o);
    al_http_response_init(&resp, 0);
    for (int i = 0; i < 5; i++)
        al_http_script_respond(s, 500, NULL, NULL);
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(resp.attempts, 4);
    ASSERT_INT_EQ(resp.status, 500);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_quota_exhaustion_stops_retries)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e;
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    struct al_http_stats st;
    o.retry_quota = 12;
    e = al_http_engine_new(&o);
    al_http_response_init(&resp, 0);
    for (int i = 0; i < 3; i++)
        al_http_script_respond(s, 503, NULL, NULL);
    ASSERT_FAILS(al_http_perform(e, &req, &resp)); /* two retries: 10 tokens */
    ASSERT_INT_EQ(resp.attempts, 3);
    al_http_script_respond(s, 503, NULL, NULL);
    al_http_script_respond(s, 200, NULL, NULL);
    ASSERT_FAILS(al_http_perform(e, &req, &resp)); /* 2 tokens left: no retry */
    ASSERT_INT_EQ(resp.attempts, 1);
    al_http_engine_stats(e, &st);
    ASSERT_INT_EQ(st.quota_refusals, 1);
    ASSERT_INT_EQ(st.quota_available, 2);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

static int s_done_count;
static void s_count_done(void *user, struct al_http_response *r)
{
    (void)user;
    if (!r->failed)
        s_done_count++;
}

TEST(http_engine_respects_max_concurrency)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e;
    struct al_http_response resp[100];
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_stats st;
    o.max_concurrency = 8;
    e = al_http_engine_new(&o);
    al_http_script_set_latency(s, 3);
    req.done = s_count_done;
    s_done_count = 0;
    for (int i = 0; i < 100; i++) {
        al_http_response_init(&resp[i], 0);
        al_http_script_respond(s, i % 10 == 0 ? 503 : 200, NULL, NULL);
        ASSERT_OK(al_http_submit(e, &req, &resp[i]));
    }
    for (int i = 0; i < 10; i++)
        al_http_script_respond(s, 200, NULL, NULL); /* the retries */
    ASSERT_OK(al_http_run(e));
    ASSERT_INT_EQ(s_done_count, 100);
    ASSERT_INT_EQ(al_http_script_peak_in_flight(s), 8);
    al_http_engine_stats(e, &st);
    ASSERT_INT_EQ(st.peak_in_flight, 8);
    ASSERT_INT_EQ(st.calls, 100);
    ASSERT_INT_EQ(st.retries, 10);
    for (int i = 0; i < 100; i++)
        al_http_response_clean_up(&resp[i]);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_streams_bodies)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    char *dir = al_test_tmpdir(), path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/body", dir);
    f = fopen(path, "wb");
    ASSERT(f != NULL);
    fputs("0123456789abcdefghij", f);
    fclose(f);
    al_http_response_init(&resp, 0);

    req.method = "PUT";
    req.body.kind = AL_HTTP_BODY_FILE;
    req.body.path = path;
    req.body.offset = 5;
    req.body.length = 10;
    al_http_script_respond(s, 500, NULL, NULL);
    al_http_script_respond(s, 200, NULL, NULL);
    ASSERT_OK(al_http_perform(e, &req, &resp));
    /* Both attempts sent the same range from its start. */
    ASSERT_STR_EQ(al_http_script_request(s, 0)->body.data, "56789abcde");
    ASSERT_STR_EQ(al_http_script_request(s, 1)->body.data, "56789abcde");
    ASSERT_INT_EQ(resp.bytes_sent, 10);

    req.body.kind = AL_HTTP_BODY_MEMORY;
    req.body.data = "in memory";
    req.body.len = 9;
    al_http_script_respond(s, 200, NULL, NULL);
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_STR_EQ(al_http_script_request(s, 2)->body.data, "in memory");

    /* A range past the end of the file fails at once, unretried. */
    req.body.kind = AL_HTTP_BODY_FILE;
    req.body.length = 100;
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_IO);
    ASSERT_INT_EQ(al_http_script_count(s), 3);

    unlink(path);
    rmdir(dir);
    free(dir);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_caps_bodies_and_downloads)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    char *dir = al_test_tmpdir(), path[512], *data;
    al_http_response_init(&resp, 8);
    al_http_script_respond(s, 200, NULL, "more than eight bytes");
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    ASSERT_INT_EQ(resp.attempts, 1);
    ASSERT_INT_EQ(al_http_script_count(s), 1);

    snprintf(path, sizeof(path), "%s/dl", dir);
    req.download_path = path;
    al_http_script_respond(s, 200, NULL, "a large object body");
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT(resp.body_in_file);
    ASSERT_INT_EQ(resp.body.len, 0);
    data = al_test_read_file(path, NULL);
    ASSERT_STR_EQ(data, "a large object body");
    free(data);
    al_http_script_respond(s, 404, NULL, "<Error/>");
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT(!resp.body_in_file);
    ASSERT_STR_EQ(al_buf_str(&resp.body), "<Error/>");

    unlink(path);
    rmdir(dir);
    free(dir);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

struct s_signer {
    unsigned calls;
    unsigned last_attempt;
};

static int s_prepare(void *user, struct al_http_attempt *a)
{
    struct s_signer *sg = user;
    char v[32];
    sg->calls++;
    sg->last_attempt = a->number;
    snprintf(v, sizeof(v), "sig-%u", a->number);
    if (al_buf_puts(a->url, "http://127.0.0.1:1/signed") ||
        al_http_headers_add(a->headers, "X-Test-Sig", v))
        return -1;
    return 0;
}

TEST(http_engine_prepares_every_attempt)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get(NULL);
    struct al_http_response resp;
    struct s_signer sg = { 0 };
    req.prepare = s_prepare;
    req.user = &sg;
    al_http_response_init(&resp, 0);
    al_http_script_respond(s, 502, NULL, NULL);
    al_http_script_respond(s, 200, NULL, NULL);
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(sg.calls, 2);
    ASSERT_STR_EQ(al_http_headers_get(&al_http_script_request(s, 0)->headers, "x-test-sig"),
                  "sig-1");
    ASSERT_STR_EQ(al_http_headers_get(&al_http_script_request(s, 1)->headers, "x-test-sig"),
                  "sig-2");
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

/* A hook performing a call on the same engine, with every slot taken. */
struct s_nested {
    struct al_http_engine *e;
    int inner_ok;
};

static int s_prepare_nested(void *user, struct al_http_attempt *a)
{
    struct s_nested *n = user;
    struct al_http_request inner = s_get("http://127.0.0.1:1/inner");
    struct al_http_response r;
    al_http_response_init(&r, 0);
    if (al_http_perform(n->e, &inner, &r) == 0)
        n->inner_ok++;
    al_http_response_clean_up(&r);
    return al_buf_puts(a->url, "http://127.0.0.1:1/outer");
}

TEST(http_engine_nested_perform_does_not_deadlock)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e;
    struct al_http_request req = s_get(NULL);
    struct al_http_response resp;
    struct s_nested n = { 0 };
    o.max_concurrency = 1;
    e = al_http_engine_new(&o);
    n.e = e;
    req.prepare = s_prepare_nested;
    req.user = &n;
    al_http_response_init(&resp, 0);
    al_http_script_respond(s, 200, NULL, "inner");
    al_http_script_respond(s, 200, NULL, "outer");
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(n.inner_ok, 1);
    ASSERT_STR_EQ(al_buf_str(&resp.body), "outer");
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

static struct al_buf s_logged;
static void s_capture(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    (void)level, (void)where;
    al_buf_puts(&s_logged, text);
    al_buf_putc(&s_logged, '\n');
}

TEST(http_engine_debug_lines_redact_urls)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("https://hooks.slack.test/services/T0/B0/SeCrEtPaTh");
    struct al_http_response resp;
    al_buf_init(&s_logged, 1 << 20);
    al_log_set_writer(s_capture);
    al_log_set_debug(true);
    al_http_response_init(&resp, 0);
    req.sensitive_url = true;
    req.method = "POST";
    al_http_script_respond(s, 500, "x-amz-request-id: RID-9", NULL);
    al_http_script_respond(s, 500, NULL, NULL);
    al_http_script_respond(s, 500, NULL, NULL);
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    req.sensitive_url = false;
    req.url = "http://127.0.0.1:1/bucket/key?uploadId=abc";
    al_http_script_respond(s, 200, NULL, NULL);
    ASSERT_OK(al_http_perform(e, &req, &resp));
    al_log_set_writer(NULL);
    al_log_set_debug(false);
    ASSERT(!strstr(al_buf_str(&s_logged), "SeCrEtPaTh"));
    ASSERT(!strstr(al_error_last()->msg, "SeCrEtPaTh"));
    ASSERT(!strstr(resp.error.msg, "SeCrEtPaTh"));
    ASSERT_CONTAINS(al_buf_str(&s_logged), "(redacted) -> 500");
    ASSERT_CONTAINS(al_buf_str(&s_logged), "request id RID-9");
    ASSERT_CONTAINS(al_buf_str(&s_logged), "retrying (transient)");
    ASSERT_CONTAINS(al_buf_str(&s_logged), "POST /bucket/key -> 200");
    ASSERT(!strstr(al_buf_str(&s_logged), "uploadId")); /* path only, no query */
    al_buf_clean_up(&s_logged);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_retry_waits_for_server_hint)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    struct al_http_stats st;
    al_buf_init(&s_logged, 1 << 20);
    al_log_set_writer(s_capture);
    al_log_set_debug(true);
    al_http_response_init(&resp, 0);
    /* The backoff alone is at most 4 ms here (s_opts). */
    al_http_script_respond(s, 503, "x-amz-retry-after: 40", NULL);
    al_http_script_respond(s, 429, "Retry-After: 1", NULL);
    al_http_script_respond(s, 200, NULL, "ok");
    ASSERT_OK(al_http_perform(e, &req, &resp));
    al_log_set_writer(NULL);
    al_log_set_debug(false);
    ASSERT_INT_EQ(resp.attempts, 3);
    al_http_engine_stats(e, &st);
    ASSERT_INT_EQ(st.backoff_ms, 1040); /* the hints, each over a backoff under 2 ms */
    ASSERT(resp.elapsed_ms >= 1040);
    ASSERT_CONTAINS(al_buf_str(&s_logged), "(server hint 40 ms)");
    ASSERT_CONTAINS(al_buf_str(&s_logged), "(server hint 1000 ms)");
    al_buf_clean_up(&s_logged);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

TEST(http_engine_retry_ignores_malformed_hint)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e = al_http_engine_new(&o);
    struct al_http_request req = s_get("http://127.0.0.1:1/x");
    struct al_http_response resp;
    struct al_http_stats st;
    al_http_response_init(&resp, 0);
    al_http_script_respond(
      s, 503, "x-amz-retry-after: -4000\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT", NULL);
    al_http_script_respond(s, 503, "x-amz-retry-after: 99999999999999999999", NULL);
    al_http_script_respond(s, 200, NULL, "ok");
    ASSERT_OK(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(resp.attempts, 3);
    al_http_engine_stats(e, &st);
    ASSERT(st.backoff_ms < 3); /* the backoff alone: under 1 ms, then under 2 ms */
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}

static struct al_http_response s_inner_resp;

static int s_prepare_runs(void *user, struct al_http_attempt *a)
{
    struct s_nested *n = user;
    struct al_http_request inner = s_get("http://127.0.0.1:1/inner");
    (void)a;
    al_http_response_init(&s_inner_resp, 0);
    if (al_http_submit(n->e, &inner, &s_inner_resp))
        return -1;
    if (al_http_run(n->e) == 0)
        n->inner_ok++;
    return -1; /* the stall error fails this call */
}

TEST(http_engine_run_from_a_hook_stalls_loudly)
{
    struct al_http_script *s = al_http_script_new();
    struct al_http_options o = s_opts(s);
    struct al_http_engine *e;
    struct al_http_request req = s_get(NULL);
    struct al_http_response resp;
    struct s_nested n = { 0 };
    o.max_concurrency = 1;
    e = al_http_engine_new(&o);
    n.e = e;
    req.prepare = s_prepare_runs;
    req.user = &n;
    al_http_response_init(&resp, 0);
    al_http_script_respond(s, 200, NULL, "inner");
    ASSERT_FAILS(al_http_perform(e, &req, &resp));
    ASSERT_INT_EQ(n.inner_ok, 0);
    ASSERT_CONTAINS(resp.error.msg, "stalled");
    ASSERT_OK(al_http_run(e)); /* the inner call still runs afterwards */
    ASSERT_INT_EQ(al_http_script_count(s), 1);
    ASSERT_STR_EQ(al_buf_str(&s_inner_resp.body), "inner");
    al_http_response_clean_up(&s_inner_resp);
    al_http_response_clean_up(&resp);
    al_http_engine_free(e);
    al_http_script_free(s);
}
