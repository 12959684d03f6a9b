/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the CDN step lands: says so plainly. */
#include "deploy/steps.h"

int al_step_cdn(struct al_run *r, const struct al_strv *changed_keys)
{
    (void)changed_keys;
    if (!al_opts_get(r->opts, AL_OPT_DISTRIBUTION_ID))
        return 0;
    return al_raise(AL_ERR_NOT_IMPLEMENTED, "the CDN step (distribution-id) is not implemented yet");
}
