/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the $GITHUB_OUTPUT record writer. Whatever it accepts must read
 * back, under the runner's heredoc rules, as exactly the name and value given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gha/outputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define DELIM "ghadelimiter_0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', n);
    char *name, *value;
    struct al_buf rec;
    size_t split;
    if (!nul)
        return 0;
    split = (size_t)(nul - text);
    name = strndup(text, split);
    value = strndup(text + split + 1, n - split - 1);
    al_buf_init(&rec, 1 << 20);
    if (name && value && strlen(value) == n - split - 1 &&
        al_outputs_record(&rec, name, value, DELIM) == 0) {
        /* The runner reads the header, then value lines up to the first line equal to
         * DELIM: that line must be the one airlock wrote, so the value reads back whole. */
        const char *hdr_end = strchr(rec.data, '\n');
        const char *body = hdr_end ? hdr_end + 1 : NULL;
        const char *first = body ? strstr(body - 1, "\n" DELIM "\n") : NULL;
        if (!hdr_end || (size_t)(hdr_end - rec.data) != strlen(name) + 2 + strlen(DELIM))
            abort();
        /* The runner takes "name=value" when '=' comes before '<<': the name must hold neither. */
        if (strchr(name, '=') || strstr(name, "<<"))
            abort();
        if (!first || (size_t)(first - body) != strlen(value) ||
            memcmp(body, value, strlen(value)) != 0)
            abort();
    }
    al_buf_clean_up(&rec);
    free(name);
    free(value);
    return 0;
}
