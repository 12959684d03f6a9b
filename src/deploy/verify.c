/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the verify step lands: says so plainly. */
#include "deploy/steps.h"

int al_step_alarms_precheck(struct al_run *r)
{
    if (!al_opts_list(r->opts, AL_OPT_ALARMS)->len)
        return 0;
    return al_raise(AL_ERR_NOT_IMPLEMENTED, "alarm checks (alarms) are not implemented yet");
}

int al_step_verify(struct al_run *r)
{
    if (!al_opts_get(r->opts, AL_OPT_HEALTH_URL) && !al_opts_list(r->opts, AL_OPT_ALARMS)->len)
        return 0;
    return al_raise(AL_ERR_NOT_IMPLEMENTED, "verification (health-url) is not implemented yet");
}
