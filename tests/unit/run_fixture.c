/* SPDX-License-Identifier: Apache-2.0 */
#include "run_fixture.h"

#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "util/clock.h"

int al_test_run_setup(struct al_test_run *f, const char *const *kv, bool with_aws)
{
    struct al_opt_layer l;
    struct al_creds_config cc = { 0 };
    struct al_run *r = &f->run;
    int rc = 0;
    memset(f, 0, sizeof(*f));
    f->script = al_http_script_new();
    al_opts_init(&f->opts);
    al_outputs_init(&f->outputs);
    al_opt_layer_init(&l, AL_SRC_FLAG);
    for (; kv && kv[0] && !rc; kv += 2)
        rc = al_opt_layer_set(&l, (enum al_opt_id)al_opt_find(kv[0]), kv[1], "test");
    rc = rc || al_opts_merge(&f->opts, &l) || al_opts_apply_defaults(&f->opts) ||
         al_opts_validate(&f->opts);
    al_opt_layer_clean_up(&l);
    al_run_init(r, &f->opts, &f->outputs);
    r->info.command = "deploy";
    r->info.version = "v2";
    r->info.run_id = "4242";
    r->http.transport_factory = al_http_script_factory;
    r->http.transport_arg = f->script;
    r->http.backoff_base_ms = 1;
    r->http.backoff_cap_ms = 2;
    if (rc || !with_aws)
        return rc ? -1 : 0;
    al_clock_pin(AL_TEST_T0);
    r->endpoints.region = "ap-northeast-1";
    r->endpoints.env_endpoint_url = "http://127.0.0.1:9";
    snprintf(r->region, sizeof(r->region), "ap-northeast-1");
    cc.env_access_key_id = "AKIDSTEPTEST00000001";
    cc.env_secret_access_key = "step/test/secret";
    if (!(r->engine = al_http_engine_new(&r->http)) ||
        !(r->creds = al_creds_new(&cc, &r->endpoints, &r->http)) ||
        !(r->aws = al_aws_ctx_new(r->engine, r->creds, &r->endpoints)))
        return -1;
    return 0;
}

void al_test_run_teardown(struct al_test_run *f)
{
    al_run_clean_up(&f->run);
    al_opts_clean_up(&f->opts);
    al_outputs_clean_up(&f->outputs);
    al_http_script_free(f->script);
    al_clock_pin(0);
}
