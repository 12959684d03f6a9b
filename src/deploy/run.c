/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define AL_REF_OPEN "${stack:"

void al_run_init(struct al_run *r, const struct al_opts *opts, struct al_outputs *outputs)
{
    memset(r, 0, sizeof(*r));
    r->opts = opts;
    r->outputs = outputs;
    r->stack_outputs = json_object();
    al_summary_init(&r->summary);
    r->started_ms = al_clock_mono_ms();
    snprintf(r->partition, sizeof(r->partition), "aws");
}

void al_run_clean_up(struct al_run *r)
{
    if (!r)
        return;
    if (r->engine && al_log_debug_enabled()) {
        /* The retry ledger, for operators (and the hardening suite's quota check). */
        struct al_http_stats st;
        al_http_engine_stats(r->engine, &st);
        al_log_debug("http: %llu calls (%llu failed), %llu attempts, %llu retries (%llu "
                     "throttled), %llu refused by the retry quota; quota %d of %d left",
                     (unsigned long long)st.calls,
                     (unsigned long long)st.calls_failed,
                     (unsigned long long)st.attempts,
                     (unsigned long long)st.retries,
                     (unsigned long long)st.throttled,
                     (unsigned long long)st.quota_refusals,
                     st.quota_available,
                     al_http_engine_options(r->engine)->retry_quota);
    }
    al_aws_ctx_free(r->aws);
    al_creds_free(r->creds);
    al_http_engine_free(r->engine);
    json_decref(r->stack_outputs);
    free(r->status);
    free(r->previous_version);
    al_summary_clean_up(&r->summary);
    memset(r, 0, sizeof(*r));
}

struct al_step_record *al_run_step_begin(struct al_run *r, const char *name)
{
    struct al_step_record *s;
    if (r->n_steps >= AL_RUN_MAX_STEPS)
        return NULL;
    s = &r->steps[r->n_steps++];
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->ms = al_clock_mono_ms();
    al_log_group_begin("%s", name);
    return s;
}

void al_run_step_end(struct al_run *r,
                     struct al_step_record *s,
                     enum al_step_status status,
                     const char *fmt,
                     ...)
{
    va_list ap;
    (void)r;
    al_log_group_end();
    if (!s)
        return;
    s->status = status;
    s->ms = al_clock_mono_ms() - s->ms;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
    va_end(ap);
    for (char *p = s->detail; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static int s_unknown_ref(const struct al_run *r, const char *ref)
{
    struct al_buf known;
    const char *stack, *key;
    json_t *outs, *v;
    al_buf_init(&known, 4096);
    json_object_foreach(r->stack_outputs, stack, outs)
    {
        json_object_foreach(outs, key, v)
        {
            if (al_buf_printf(&known, "%s%s.%s", known.len ? ", " : "", stack, key))
                break;
        }
    }
    al_raise(AL_ERR_USAGE,
             "${stack:%.200s} names no stack output; known outputs: %s",
             ref,
             known.len ? al_buf_str(&known) : "(none: no stack was deployed or described)");
    al_buf_clean_up(&known);
    return -1;
}

char *al_run_resolve(const struct al_run *r, const char *value)
{
    struct al_buf out;
    const char *p = value;
    al_buf_init(&out, 64 * 1024);
    while (*p) {
        const char *open = strstr(p, AL_REF_OPEN), *close, *dot;
        char ref[512];
        const char *v;
        size_t n;
        if (!open) {
            if (al_buf_puts(&out, p))
                goto on_error;
            break;
        }
        if (al_buf_append(&out, p, (size_t)(open - p)))
            goto on_error;
        open += strlen(AL_REF_OPEN);
        close = strchr(open, '}');
        n = close ? (size_t)(close - open) : 0;
        if (!close || n == 0 || n >= sizeof(ref)) {
            al_raise(
              AL_ERR_USAGE, "unterminated or empty ${stack:...} reference in '%.200s'", value);
            goto on_error;
        }
        memcpy(ref, open, n);
        ref[n] = '\0';
        /* Stack names hold no '.', output keys are alphanumeric: split at the last dot. */
        dot = strrchr(ref, '.');
        if (!dot || dot == ref || !dot[1]) {
            al_raise(AL_ERR_USAGE, "${stack:%s}: expected ${stack:StackName.OutputKey}", ref);
            goto on_error;
        }
        ref[dot - ref] = '\0';
        v = json_string_value(json_object_get(json_object_get(r->stack_outputs, ref), dot + 1));
        if (!v) {
            ref[dot - ref] = '.';
            s_unknown_ref(r, ref);
            goto on_error;
        }
        if (al_buf_puts(&out, v))
            goto on_error;
        p = close + 1;
    }
    return al_buf_detach(&out);
on_error:
    al_buf_clean_up(&out);
    return NULL;
}

char *al_run_opt(const struct al_run *r, enum al_opt_id id)
{
    const char *v = al_opts_get(r->opts, id);
    if (!v)
        return NULL;
    return al_run_resolve(r, v);
}

int al_run_add_stack_output(struct al_run *r, const char *stack, const char *key, const char *value)
{
    json_t *outs = json_object_get(r->stack_outputs, stack);
    if (!outs) {
        outs = json_object();
        if (!outs || json_object_set_new(r->stack_outputs, stack, outs))
            return al_raise(AL_ERR_NOMEM, "out of memory");
    }
    if (json_object_set_new(outs, key, json_string(value)))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    return 0;
}

int al_run_set_status(struct al_run *r, const char *status)
{
    return al_str_set(&r->status, status);
}
