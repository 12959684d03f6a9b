/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "deploy/cdn_paths.h"
#include "util/buf.h"
#include "util/str.h"

static int s_plan(const char *const *keys, size_t n, bool all, size_t max, struct al_cdn_plan *p)
{
    struct al_strv v;
    int rc = 0;
    al_strv_init(&v);
    for (size_t i = 0; i < n && !rc; i++)
        rc = al_strv_push(&v, keys[i]);
    al_cdn_plan_init(p);
    if (!rc)
        rc = al_cdn_plan_paths(&v, all, max, p);
    al_strv_clean_up(&v);
    return rc;
}

static char *s_join(const struct al_cdn_plan *p)
{
    struct al_buf b;
    al_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < p->paths.len; i++)
        al_buf_printf(&b, "%s%s", i ? " " : "", p->paths.items[i]);
    return al_buf_detach(&b);
}

/* True when the encoded path of key is in the plan or under one of its wildcards. */
static bool s_covered(const struct al_cdn_plan *p, const char *key)
{
    struct al_buf b;
    bool hit = false;
    al_buf_init(&b, 1 << 16);
    al_cdn_path_encode(&b, key);
    for (size_t i = 0; i < p->paths.len && !hit; i++) {
        const char *path = p->paths.items[i];
        size_t n = strlen(path);
        if (path[n - 1] == '*')
            hit = strncmp(al_buf_str(&b), path, n - 1) == 0;
        else
            hit = strcmp(al_buf_str(&b), path) == 0;
    }
    al_buf_clean_up(&b);
    return hit;
}

TEST(cdn_paths_three_changed_files_are_exactly_invalidated)
{
    const char *keys[] = { "img/logo.png", "app.3f9a1c2e.js", "styles.css" };
    struct al_cdn_plan p;
    char *s;
    ASSERT_OK(s_plan(keys, 3, false, 500, &p));
    s = s_join(&p);
    ASSERT_STR_EQ(s, "/app.3f9a1c2e.js /img/logo.png /styles.css");
    ASSERT_INT_EQ(p.changed, 3);
    ASSERT_INT_EQ(p.wildcards, 0);
    ASSERT(!p.all);
    ASSERT_STR_EQ(p.reason, "");
    free(s);
    al_cdn_plan_clean_up(&p);
}

TEST(cdn_paths_index_html_adds_its_directory)
{
    const char *keys[] = { "index.html", "docs/index.html", "docs/guide.html", "notindex.html" };
    struct al_cdn_plan p;
    char *s;
    ASSERT_OK(s_plan(keys, 4, false, 500, &p));
    s = s_join(&p);
    ASSERT_STR_EQ(s, "/ /docs/ /docs/guide.html /docs/index.html /index.html /notindex.html");
    free(s);
    al_cdn_plan_clean_up(&p);
}

TEST(cdn_paths_duplicates_and_empty_keys_are_dropped)
{
    const char *keys[] = { "a.js", "a.js", "", "b.js" };
    struct al_cdn_plan p;
    char *s;
    ASSERT_OK(s_plan(keys, 4, false, 500, &p));
    s = s_join(&p);
    ASSERT_STR_EQ(s, "/a.js /b.js");
    free(s);
    al_cdn_plan_clean_up(&p);
}

TEST(cdn_paths_encoding_follows_cloudfront_rules)
{
    struct al_buf b;
    al_buf_init(&b, 4096);
    ASSERT_OK(al_cdn_path_encode(&b, "my file.html"));
    ASSERT_STR_EQ(al_buf_str(&b), "/my%20file.html");
    al_buf_reset(&b);
    ASSERT_OK(al_cdn_path_encode(&b, "caf\xC3\xA9/men\xC3\xBC.txt"));
    ASSERT_STR_EQ(al_buf_str(&b), "/caf%C3%A9/men%C3%BC.txt");
    al_buf_reset(&b);
    /* A key's own '*' must never become a wildcard; '?' would start a query. */
    ASSERT_OK(al_cdn_path_encode(&b, "x*y?.js"));
    ASSERT_STR_EQ(al_buf_str(&b), "/x%2Ay%3F.js");
    al_buf_reset(&b);
    ASSERT_OK(al_cdn_path_encode(&b, "100%\"#<>{}|\\^~[]`"));
    ASSERT_STR_EQ(al_buf_str(&b), "/100%25%22%23%3C%3E%7B%7D%7C%5C%5E%7E%5B%5D%60");
    al_buf_reset(&b);
    /* Safe and reserved characters other than those stay as they are. */
    ASSERT_OK(al_cdn_path_encode(&b, "a-_.!$&'()+,;=:@/b"));
    ASSERT_STR_EQ(al_buf_str(&b), "/a-_.!$&'()+,;=:@/b");
    al_buf_reset(&b);
    ASSERT_OK(al_cdn_path_encode(&b, "tab\there\x7f"));
    ASSERT_STR_EQ(al_buf_str(&b), "/tab%09here%7F");
    al_buf_clean_up(&b);
}

TEST(cdn_paths_all_and_empty)
{
    const char *keys[] = { "a.js" };
    struct al_cdn_plan p;
    char *s;
    ASSERT_OK(s_plan(keys, 1, true, 500, &p));
    s = s_join(&p);
    ASSERT_STR_EQ(s, "/*");
    ASSERT(p.all);
    ASSERT_INT_EQ(p.wildcards, 1);
    free(s);
    al_cdn_plan_clean_up(&p);
    ASSERT_OK(s_plan(NULL, 0, false, 500, &p));
    ASSERT_INT_EQ(p.paths.len, 0);
    ASSERT(!p.all);
    al_cdn_plan_clean_up(&p);
    /* invalidate: all means everything even when nothing changed */
    ASSERT_OK(s_plan(NULL, 0, true, 500, &p));
    ASSERT_INT_EQ(p.paths.len, 1);
    al_cdn_plan_clean_up(&p);
}

TEST(cdn_paths_600_assets_collapse_to_a_directory_wildcard)
{
    char **keys = calloc(604, sizeof(*keys));
    struct al_cdn_plan p;
    char *s;
    size_t n = 0;
    for (int i = 0; i < 600; i++) {
        char k[64];
        snprintf(k, sizeof(k), "assets/chunk-%04d.%08x.js", i, (unsigned)i * 2654435761u);
        keys[n++] = al_strdup(k);
    }
    keys[n++] = al_strdup("index.html");
    keys[n++] = al_strdup("about/index.html");
    keys[n++] = al_strdup("manifest.webmanifest");
    ASSERT_OK(s_plan((const char *const *)keys, n, false, 500, &p));
    s = s_join(&p);
    /* One wildcard is enough to fit; the other paths stay exact. */
    ASSERT_STR_EQ(s, "/ /about/ /about/index.html /assets/* /index.html /manifest.webmanifest");
    ASSERT_INT_EQ(p.changed, 605);
    ASSERT_INT_EQ(p.wildcards, 1);
    ASSERT(!p.all);
    ASSERT_CONTAINS(p.reason, "605 changed paths exceed invalidation-max-paths (500)");
    for (size_t i = 0; i < n; i++)
        ASSERT(s_covered(&p, keys[i]));
    free(s);
    al_cdn_plan_clean_up(&p);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

TEST(cdn_paths_600_in_100_flat_directories_fall_back_to_root_wildcard)
{
    /* 15 wildcards save 15 * 5 paths: 525 still exceed 500. */
    struct al_strv v;
    struct al_cdn_plan p;
    al_strv_init(&v);
    for (int d = 0; d < 100; d++)
        for (int f = 0; f < 6; f++) {
            char k[64];
            snprintf(k, sizeof(k), "d%03d/f%d.html", d, f);
            ASSERT_OK(al_strv_push(&v, k));
        }
    al_cdn_plan_init(&p);
    ASSERT_OK(al_cdn_plan_paths(&v, false, 500, &p));
    ASSERT(p.all);
    ASSERT_INT_EQ(p.paths.len, 1);
    ASSERT_STR_EQ(p.paths.items[0], "/*");
    ASSERT_CONTAINS(p.reason, "invalidating /*");
    al_cdn_plan_clean_up(&p);
    /* ... but with a higher invalidation-max-paths they are sent as they are. */
    al_cdn_plan_init(&p);
    ASSERT_OK(al_cdn_plan_paths(&v, false, 600, &p));
    ASSERT(!p.all);
    ASSERT_INT_EQ(p.paths.len, 600);
    al_cdn_plan_clean_up(&p);
    al_strv_clean_up(&v);
}

TEST(cdn_paths_nested_directories_use_parent_wildcards)
{
    /* 10 sections x 10 pages x 6 files: 600 paths; section wildcards save 59 each. */
    struct al_strv v;
    struct al_cdn_plan p;
    al_strv_init(&v);
    for (int s = 0; s < 10; s++)
        for (int d = 0; d < 10; d++)
            for (int f = 0; f < 6; f++) {
                char k[64];
                snprintf(k, sizeof(k), "s%d/p%d/f%d.png", s, d, f);
                ASSERT_OK(al_strv_push(&v, k));
            }
    al_cdn_plan_init(&p);
    ASSERT_OK(al_cdn_plan_paths(&v, false, 500, &p));
    ASSERT(!p.all);
    ASSERT(p.paths.len <= 500);
    ASSERT(p.wildcards <= AL_CDN_MAX_WILDCARDS);
    ASSERT(p.wildcards >= 2);
    for (size_t i = 0; i < v.len; i++)
        ASSERT(s_covered(&p, v.items[i]));
    al_cdn_plan_clean_up(&p);
    al_strv_clean_up(&v);
}

TEST(cdn_paths_tie_prefers_the_deeper_directory)
{
    /* a/b/ and a/ cover the same three files: a/b/ invalidates less. */
    const char *keys[] = { "a/b/1.js", "a/b/2.js", "a/b/3.js", "z.js" };
    struct al_cdn_plan p;
    char *s;
    ASSERT_OK(s_plan(keys, 4, false, 2, &p));
    s = s_join(&p);
    ASSERT_STR_EQ(s, "/a/b/* /z.js");
    free(s);
    al_cdn_plan_clean_up(&p);
}

TEST(cdn_paths_max_paths_is_clamped_to_cloudfronts_batch_limit)
{
    struct al_strv v;
    struct al_cdn_plan p;
    al_strv_init(&v);
    for (int i = 0; i < 3500; i++) {
        char k[64];
        snprintf(k, sizeof(k), "%s/f%d.js", i % 2 ? "odd" : "even", i);
        ASSERT_OK(al_strv_push(&v, k));
    }
    al_cdn_plan_init(&p);
    ASSERT_OK(al_cdn_plan_paths(&v, false, 100000, &p));
    ASSERT(p.paths.len <= AL_CDN_MAX_PATHS);
    ASSERT(!p.all);
    for (size_t i = 0; i < v.len; i++)
        ASSERT(s_covered(&p, v.items[i]));
    al_cdn_plan_clean_up(&p);
    al_strv_clean_up(&v);
}

/* Random trees: every plan stays within the limits and covers every changed key. */
TEST(cdn_paths_random_sets_stay_within_limits)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 40; round++) {
        struct al_strv v;
        struct al_cdn_plan p;
        size_t n, max;
        al_strv_init(&v);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        n = 1 + (x >> 33) % 1500;
        max = 1 + (x >> 20) % 600;
        for (size_t i = 0; i < n; i++) {
            char k[128];
            unsigned depth;
            size_t len = 0;
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            depth = (unsigned)((x >> 40) % 4);
            for (unsigned d = 0; d < depth; d++)
                len += (size_t)snprintf(
                  k + len, sizeof(k) - len, "d%u/", (unsigned)((x >> (8 * d + 3)) % 7));
            snprintf(k + len, sizeof(k) - len, "%s", (x >> 60) % 5 == 0 ? "index.html" : "");
            if ((x >> 60) % 5 != 0)
                snprintf(k + len, sizeof(k) - len, "f%u.js", (unsigned)((x >> 17) % 5000));
            ASSERT_OK(al_strv_push(&v, k));
        }
        al_cdn_plan_init(&p);
        ASSERT_OK(al_cdn_plan_paths(&v, false, max, &p));
        ASSERT(p.paths.len >= 1);
        ASSERT(p.paths.len <= max);
        ASSERT(p.wildcards <= AL_CDN_MAX_WILDCARDS);
        if (!p.all) {
            size_t stars = 0;
            for (size_t i = 0; i < p.paths.len; i++)
                stars += strchr(p.paths.items[i], '*') != NULL;
            ASSERT_INT_EQ(stars, p.wildcards);
            for (size_t i = 0; i < v.len; i++)
                ASSERT(s_covered(&p, v.items[i]));
        }
        al_cdn_plan_clean_up(&p);
        al_strv_clean_up(&v);
    }
}
