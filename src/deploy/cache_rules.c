/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/cache_rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/str.h"

void al_cache_rules_init(struct al_cache_rules *r)
{
    al_strv_init(&r->globs);
    al_strv_init(&r->values);
}

void al_cache_rules_clean_up(struct al_cache_rules *r)
{
    if (!r)
        return;
    al_strv_clean_up(&r->globs);
    al_strv_clean_up(&r->values);
}

/* One 'glob=value' line (owned copy); blank lines are skipped. */
static int s_parse_line(struct al_cache_rules *r, char *line, int lineno)
{
    char *eq = strchr(line, '='), *glob = NULL, *value = NULL;
    int rc = -1;
    if (!eq) {
        char *t = al_str_trim(line);
        if (!t)
            return -1;
        rc = *t
               ? al_raise(
                   AL_ERR_USAGE, "cache-control rule %d '%.100s': expected 'glob=value'", lineno, t)
               : 0;
        free(t);
        return rc;
    }
    *eq = '\0';
    glob = al_str_trim(line);
    value = al_str_trim(eq + 1);
    if (!glob || !value)
        goto cleanup;
    if (!*glob || !*value) {
        al_raise(AL_ERR_USAGE, "cache-control rule %d: empty glob or value", lineno);
        goto cleanup;
    }
    if (al_glob_check(glob, "cache-control"))
        goto cleanup;
    for (const char *p = value; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            al_raise(AL_ERR_USAGE, "cache-control rule %d: control character in the value", lineno);
            goto cleanup;
        }
    }
    if (al_strv_push(&r->globs, glob) || al_strv_push(&r->values, value))
        goto cleanup;
    rc = 0;
cleanup:
    free(glob);
    free(value);
    return rc;
}

int al_cache_rules_parse(struct al_cache_rules *r, const char *text)
{
    int lineno = 0;
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        char *line = al_strndup(text, n);
        int rc = line ? s_parse_line(r, line, ++lineno) : -1;
        free(line);
        if (rc)
            return -1;
        text += n;
        if (*text)
            text++;
    }
    return 0;
}

static bool s_match(const char *g, const char *s)
{
    for (; *g; g++) {
        if (*g == '*') {
            bool deep = g[1] == '*';
            if (deep) {
                g++;
                if (g[1] == '/') /* "**" + "/" also matches zero directories */
                    if (s_match(g + 2, s))
                        return true;
            }
            for (const char *p = s;; p++) {
                if (s_match(g + 1, p))
                    return true;
                if (!*p || (!deep && *p == '/'))
                    return false;
            }
        }
        if (!*s || (*g == '?' ? *s == '/' : *g != *s))
            return false;
        s++;
    }
    return *s == '\0';
}

int al_glob_check(const char *glob, const char *what)
{
    const char *why = NULL;
    size_t n = strlen(glob);
    if (!n)
        why = "it is empty";
    else if (glob[0] == '/')
        why = "keys have no leading '/' (write 'assets/*', not '/assets/*')";
    else if (strstr(glob, "***"))
        why = "'***' is not a glob ('*' within a folder, '**' across folders)";
    else if (!al_utf8_valid(glob, n))
        why = "it is not valid UTF-8";
    for (size_t i = 0; !why && i < n; i++)
        if ((unsigned char)glob[i] < 0x20 || glob[i] == 0x7f)
            why = "it holds a control character";
    for (const char *seg = glob; !why && seg < glob + n;) {
        size_t len = strcspn(seg, "/");
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            why = "keys have no '.' or '..' segments";
        seg += len + 1;
    }
    if (why)
        return al_raise(AL_ERR_USAGE, "%s glob '%.200s' can never match: %s", what, glob, why);
    return 0;
}

bool al_glob_match(const char *glob, const char *key)
{
    const char *base;
    if (strchr(glob, '/'))
        return s_match(glob, key);
    base = strrchr(key, '/');
    return s_match(glob, base ? base + 1 : key);
}

static const char *s_base(const char *key)
{
    const char *b = strrchr(key, '/');
    return b ? b + 1 : key;
}

bool al_site_is_entry(const char *key)
{
    static const char *const names[] = {
        "manifest.json", "sw.js", "service-worker.js", "serviceworker.js", "ngsw-worker.js"
    };
    const char *base = s_base(key);
    if (al_glob_match("*.html", base) || al_glob_match("*.htm", base) ||
        al_glob_match("*.webmanifest", base))
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(base, names[i]) == 0)
            return true;
    return false;
}

static bool s_hash_like(const char *seg, size_t n)
{
    size_t hex = 0, digits = 0, upper = 0, lower = 0;
    if (n < 8)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)seg[i];
        if (isdigit(c))
            digits++;
        if (isxdigit(c))
            hex++;
        if (isupper(c))
            upper++;
        else if (islower(c))
            lower++;
        else if (!isdigit(c) && c != '_')
            return false;
    }
    if (hex == n && digits > 0)
        return true;
    return lower > 0 && (upper >= 2 || digits >= 2);
}

bool al_site_is_fingerprinted(const char *key)
{
    const char *base = s_base(key);
    const char *ext = strrchr(base, '.');
    size_t stem = ext && ext != base ? (size_t)(ext - base) : strlen(base);
    size_t i = strcspn(base, ".-");
    /* The first segment is the name itself, never the hash. */
    while (i < stem) {
        size_t n;
        i++;
        n = strcspn(base + i, ".-");
        if (i + n > stem)
            n = stem - i;
        if (s_hash_like(base + i, n))
            return true;
        i += n;
    }
    return false;
}

const char *al_cache_rules_pick(const struct al_cache_rules *r, const char *key)
{
    for (size_t i = 0; i < r->globs.len; i++)
        if (al_glob_match(r->globs.items[i], key))
            return r->values.items[i];
    if (al_site_is_entry(key))
        return AL_CACHE_NO_CACHE;
    if (al_site_is_fingerprinted(key))
        return AL_CACHE_IMMUTABLE;
    return AL_CACHE_SHORT;
}
