/* SPDX-License-Identifier: Apache-2.0 */
#include "gha/inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gha/env.h"

/* Length of the JavaScript white space character at s (String.prototype.trim), or 0. */
static size_t s_js_space(const unsigned char *s, size_t n)
{
    if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0D) || s[0] == 0x20))
        return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
        return 2; /* U+00A0 */
    if (n >= 3 && s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
        return 3; /* U+1680 */
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
        return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
        return 3; /* U+205F */
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
        return 3; /* U+3000 */
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 3; /* U+FEFF */
    return 0;
}

/* Trims as the toolkit's getInput does (JavaScript's trim). Caller frees. */
static char *s_trim(const char *raw)
{
    const unsigned char *s = (const unsigned char *)raw;
    size_t n = strlen(raw), k;
    while (n && (k = s_js_space(s, n)) > 0) {
        s += k;
        n -= k;
    }
    for (;;) {
        size_t cut = 0;
        for (size_t w = 1; w <= 3 && w <= n; w++)
            if (s_js_space(s + n - w, w) == w)
                cut = w;
        if (!cut)
            break;
        n -= cut;
    }
    return al_strndup((const char *)s, n);
}

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
        if (!(v = s_trim(raw)))
            return -1;
        snprintf(where, sizeof(where), "input '%s' (%s)", defs[i].name, var);
        rc = *v ? al_opt_layer_set(layer, (enum al_opt_id)i, v, where) : 0;
        free(v);
        if (rc)
            return -1;
    }
    return 0;
}
