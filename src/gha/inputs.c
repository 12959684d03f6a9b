/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/inputs.h"

#include <stdio.h>
#include <stdlib.h>

#include "gha/env.h"

int al_gha_inputs_read(struct al_opt_layer *layer)
{
    const struct al_opt_def *defs = al_opt_defs();
    for (int i = 0; i < AL_OPT_COUNT; i++) {
        char var[128], where[192];
        const char *raw;
        char *v;
        int rc;
        if (defs[i].config_only)
            continue;
        al_gha_input_var(defs[i].name, var, sizeof(var));
        raw = getenv(var);
        if (!raw)
            continue;
        if (!(v = al_str_trim(raw)))
            return -1;
        snprintf(where, sizeof(where), "input '%s' (%s)", defs[i].name, var);
        rc = *v ? al_opt_layer_set(layer, (enum al_opt_id)i, v, where) : 0;
        free(v);
        if (rc)
            return -1;
    }
    return 0;
}
