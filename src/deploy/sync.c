/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the site step lands: says so plainly. */
#include "deploy/steps.h"

int al_step_site(struct al_run *r, struct al_sync **out)
{
    (void)r;
    *out = NULL;
    return al_raise(AL_ERR_NOT_IMPLEMENTED, "the site step (site-dir) is not implemented yet");
}

int al_sync_finish(struct al_run *r, struct al_sync *s)
{
    (void)r;
    (void)s;
    return 0;
}

const struct al_strv *al_sync_changed_keys(const struct al_sync *s)
{
    (void)s;
    return NULL;
}

const struct al_strv *al_sync_stale_keys(const struct al_sync *s)
{
    (void)s;
    return NULL;
}

void al_sync_free(struct al_sync *s)
{
    (void)s;
}
