/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the stacks step lands: says so plainly. */
#include "deploy/steps.h"

int al_step_stacks(struct al_run *r)
{
    (void)r;
    return al_raise(AL_ERR_NOT_IMPLEMENTED, "the stacks step (assembly) is not implemented yet");
}
