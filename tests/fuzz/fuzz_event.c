/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the workflow event payload reader. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "gha/event.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static char path[PATH_MAX];
    struct al_gha_event ev;
    struct al_opt_layer l;
    FILE *f;
    if (!path[0])
        snprintf(path, sizeof(path), "%s/airlock-fuzz-event-%d.json", al_temp_dir(), (int)getpid());
    f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, n, f);
    fclose(f);
    al_opt_layer_init(&l, AL_SRC_EVENT);
    if (al_gha_event_load(path, &ev) == 0)
        al_gha_event_to_layer(&ev, &l);
    al_gha_event_clean_up(&ev);
    al_opt_layer_clean_up(&l);
    return 0;
}
