/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the notify step lands. */
#include "deploy/steps.h"

#include "util/log.h"

int al_step_notify(struct al_run *r)
{
    if (al_opts_get(r->opts, AL_OPT_SLACK_WEBHOOK_URL))
        al_log_warning("Slack notification is not implemented yet; nothing was sent");
    return 0;
}
