/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: release manifests (whole and line by line) and current.json as read back from the
 * store. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "deploy/release_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct al_release r;
    struct al_release_current c;
    al_release_init(&r);
    if (al_release_from_json((const char *)data, n, "fuzz.json", &r) == 0) {
        /* What was accepted must serialise again. */
        char *text = al_release_to_json(&r);
        if (!text)
            abort();
        free(text);
    }
    al_release_clean_up(&r);
    if (n) {
        /* The streamed reader: the same rules, a line at a time. */
        FILE *f = fmemopen((void *)data, n, "r");
        if (f) {
            if (al_release_read(f, "fuzz.json", &r) == 0) {
                char *text = al_release_to_json(&r);
                if (!text)
                    abort();
                free(text);
            }
            fclose(f);
        }
        al_release_clean_up(&r);
    }
    al_release_current_from_json((const char *)data, n, "current.json", &c);
    al_release_current_clean_up(&c);
    return 0;
}
