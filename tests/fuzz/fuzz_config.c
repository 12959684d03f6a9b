/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the config loader (JSON and YAML) and its mapping onto options. */
#include <stddef.h>
#include <stdint.h>

#include "deploy/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct al_config c;
    struct al_opt_layer l;
    struct al_opts o;
    al_opt_layer_init(&l, AL_SRC_CONFIG);
    al_opts_init(&o);
    if (al_config_parse((const char *)data, n, "fuzz.cfg", &c) == 0 &&
        al_config_to_layer(&c, &l) == 0 && al_opts_merge(&o, &l) == 0)
        al_opts_validate(&o);
    al_config_clean_up(&c);
    al_opt_layer_clean_up(&l);
    al_opts_clean_up(&o);
    return 0;
}
