/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/cdn_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Each greedy round scans every path; a few dozen rounds is plenty for 15 wildcards. */
#define MAX_ROUNDS 64

struct s_item {
    char *key; /* decoded; a wildcard's key is its directory ("assets/") */
    bool wild;
    bool live;
};

struct s_set {
    struct s_item *items; /* sorted by key */
    size_t len, cap;
    size_t *live_ps, *wild_ps; /* prefix sums over live items: [i] = count before i */
};

void al_cdn_plan_init(struct al_cdn_plan *p)
{
    memset(p, 0, sizeof(*p));
    al_strv_init(&p->paths);
}

void al_cdn_plan_clean_up(struct al_cdn_plan *p)
{
    if (!p)
        return;
    al_strv_clean_up(&p->paths);
    memset(p, 0, sizeof(*p));
}

int al_cdn_path_encode(struct al_buf *out, const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    if (al_buf_putc(out, '/'))
        return -1;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        int rc;
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"#%<>[\\]^`{|}~?*", *p)) {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            rc = al_buf_append(out, e, 3);
        } else {
            rc = al_buf_putc(out, (char)*p);
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void s_set_clean_up(struct s_set *s)
{
    for (size_t i = 0; i < s->len; i++)
        free(s->items[i].key);
    free(s->items);
    free(s->live_ps);
    free(s->wild_ps);
    memset(s, 0, sizeof(*s));
}

static int s_set_insert(struct s_set *s, size_t at, char *key, bool wild)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct s_item *items = realloc(s->items, cap * sizeof(*items));
        size_t *l, *w;
        if (items)
            s->items = items;
        l = items ? realloc(s->live_ps, (cap + 1) * sizeof(*l)) : NULL;
        if (l)
            s->live_ps = l;
        w = l ? realloc(s->wild_ps, (cap + 1) * sizeof(*w)) : NULL;
        if (!w) {
            free(key);
            return al_raise(AL_ERR_NOMEM, "out of memory");
        }
        s->wild_ps = w;
        s->cap = cap;
    }
    memmove(&s->items[at + 1], &s->items[at], (s->len - at) * sizeof(*s->items));
    s->items[at].key = key;
    s->items[at].wild = wild;
    s->items[at].live = true;
    s->len++;
    return 0;
}

static void s_sums(struct s_set *s, size_t *live, size_t *wild)
{
    s->live_ps[0] = s->wild_ps[0] = 0;
    for (size_t i = 0; i < s->len; i++) {
        s->live_ps[i + 1] = s->live_ps[i] + (s->items[i].live ? 1 : 0);
        s->wild_ps[i + 1] = s->wild_ps[i] + (s->items[i].live && s->items[i].wild ? 1 : 0);
    }
    *live = s->live_ps[s->len];
    *wild = s->wild_ps[s->len];
}

/*
 * The items under directory d[0..n) (n > 0, d[n-1] == '/'), i.e. whose key
 * starts with it, are contiguous in sorted order: [*lo, *hi).
 */
static void s_range(const struct s_set *s, const char *d, size_t n, size_t *lo, size_t *hi)
{
    size_t a = 0, b = s->len;
    /* strncmp(key, d, n) is monotone in the keys' order: the range is where it is 0 */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (strncmp(s->items[mid].key, d, n) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    b = s->len;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (strncmp(s->items[mid].key, d, n) <= 0)
            a = mid + 1;
        else
            b = mid;
    }
    *hi = a;
}

struct s_pick {
    size_t n;      /* prefix length; 0 = none */
    size_t item;   /* the item the prefix was taken from */
    size_t saving; /* paths removed */
};

/* One greedy round: the directory whose wildcard removes the most paths within the budget. */
static void s_best(const struct s_set *s, size_t wild_total, struct s_pick *best)
{
    memset(best, 0, sizeof(*best));
    const char *prev = NULL;
    for (size_t i = 0; i < s->len; i++) {
        const struct s_item *it = &s->items[i];
        size_t klen;
        if (!it->live)
            continue;
        klen = strlen(it->key);
        for (size_t j = 0; j < klen; j++) {
            size_t n = j + 1, lo, hi, c, w, new_wild;
            if (it->key[j] != '/')
                continue;
            if (it->wild && n == klen)
                break; /* its own directory: already a wildcard */
            /* the previous live item shares this prefix: already scored */
            if (prev && strncmp(prev, it->key, n) == 0)
                continue;
            s_range(s, it->key, n, &lo, &hi);
            c = s->live_ps[hi] - s->live_ps[lo];
            w = s->wild_ps[hi] - s->wild_ps[lo];
            new_wild = wild_total - w + 1;
            if (c < 2 || new_wild > AL_CDN_MAX_WILDCARDS)
                continue;
            /* Most paths removed; on a tie the deeper directory (invalidates less). */
            if (c - 1 > best->saving || (c - 1 == best->saving && n > best->n)) {
                best->n = n;
                best->item = i;
                best->saving = c - 1;
            }
        }
        prev = it->key;
    }
}

static int s_collapse(struct s_set *s, size_t max_paths, size_t *total, size_t *wild)
{
    s_sums(s, total, wild);
    for (int round = 0; round<MAX_ROUNDS && * total> max_paths; round++) {
        struct s_pick best;
        size_t lo, hi;
        char *d;
        s_best(s, *wild, &best);
        if (!best.n)
            break;
        if (!(d = al_strndup(s->items[best.item].key, best.n)))
            return -1;
        s_range(s, d, best.n, &lo, &hi);
        for (size_t i = lo; i < hi; i++)
            s->items[i].live = false;
        if (s_set_insert(s, lo, d, true))
            return -1;
        s_sums(s, total, wild);
    }
    return 0;
}

/* The decoded path keys: each key, and the directory of each index.html. */
static int s_path_keys(const struct al_strv *keys, struct al_strv *out)
{
    for (size_t i = 0; i < keys->len; i++) {
        const char *k = keys->items[i];
        size_t n = strlen(k);
        if (!n)
            continue;
        if (al_strv_push(out, k))
            return -1;
        if (al_str_suffix(k, "index.html") && (n == 10 || k[n - 11] == '/')) {
            char *dir = al_strndup(k, n - 10);
            if (!dir || al_strv_push_owned(out, dir))
                return -1;
        }
    }
    if (out->len)
        qsort(out->items, out->len, sizeof(*out->items), s_cmp_str);
    return 0;
}

static int s_push_path(struct al_cdn_plan *p, const char *key, bool wild)
{
    struct al_buf b;
    char *s;
    al_buf_init(&b, 16 * 1024);
    if (al_cdn_path_encode(&b, key) || (wild && al_buf_putc(&b, '*'))) {
        al_buf_clean_up(&b);
        return -1;
    }
    if (!(s = al_buf_detach(&b)))
        return -1;
    return al_strv_push_owned(&p->paths, s);
}

static int s_set_all(struct al_cdn_plan *p)
{
    al_strv_clean_up(&p->paths);
    al_strv_init(&p->paths);
    p->all = true;
    p->wildcards = 1;
    return al_strv_push(&p->paths, "/*");
}

int al_cdn_plan_paths(const struct al_strv *keys,
                      bool all,
                      size_t max_paths,
                      struct al_cdn_plan *out)
{
    struct al_strv pk;
    struct s_set set = { 0 };
    size_t total = 0, wild = 0;
    int rc = -1;

    al_strv_init(&pk);
    if (max_paths < 1)
        max_paths = 1;
    if (max_paths > AL_CDN_MAX_PATHS)
        max_paths = AL_CDN_MAX_PATHS;
    if (s_path_keys(keys, &pk))
        goto cleanup;
    /* Distinct paths, in order. */
    for (size_t i = 0; i < pk.len; i++) {
        char *k;
        if (set.len && strcmp(set.items[set.len - 1].key, pk.items[i]) == 0)
            continue;
        if (!(k = al_strdup(pk.items[i])) || s_set_insert(&set, set.len, k, false))
            goto cleanup;
    }
    out->changed = set.len;
    if (all) {
        snprintf(out->reason, sizeof(out->reason), "invalidate: all");
        rc = s_set_all(out);
        goto cleanup;
    }
    if (!set.len) {
        rc = 0;
        goto cleanup;
    }
    if (set.len > max_paths && s_collapse(&set, max_paths, &total, &wild))
        goto cleanup;
    if (set.len > max_paths && total > max_paths) {
        snprintf(out->reason,
                 sizeof(out->reason),
                 "%zu changed paths exceed invalidation-max-paths (%zu) and no %u directory "
                 "wildcards cover them: invalidating /*",
                 out->changed,
                 max_paths,
                 AL_CDN_MAX_WILDCARDS);
        rc = s_set_all(out);
        goto cleanup;
    }
    for (size_t i = 0; i < set.len; i++)
        if (set.items[i].live && s_push_path(out, set.items[i].key, set.items[i].wild))
            goto cleanup;
    out->wildcards = wild;
    if (wild)
        snprintf(out->reason,
                 sizeof(out->reason),
                 "%zu changed paths exceed invalidation-max-paths (%zu): collapsed into %zu "
                 "directory wildcards and %zu paths",
                 out->changed,
                 max_paths,
                 wild,
                 total - wild);
    rc = 0;
cleanup:
    s_set_clean_up(&set);
    al_strv_clean_up(&pk);
    return rc;
}
