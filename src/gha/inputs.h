/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Action inputs: INPUT_<NAME> with the runner's mapping (upper-case, spaces to
 * '_', hyphens kept, so INPUT_SITE-DIR), trimmed as the toolkit trims them.
 * An empty input counts as not given.
 */
#ifndef AL_GHA_INPUTS_H
#define AL_GHA_INPUTS_H

#include "deploy/options.h"

/** Fills layer (source AL_SRC_INPUT) from the environment. @return 0 or -1. */
int al_gha_inputs_read(struct al_opt_layer *layer);

#endif
