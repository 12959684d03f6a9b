/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/cache_rules.h"
#include "deploy/mime.h"
#include "deploy/site.h"

/* What a user checks in the bucket: the type and caching of each name. */
static const struct {
    const char *key, *type, *cache;
} s_table[] = {
    { "index.html", "text/html; charset=utf-8", AL_CACHE_NO_CACHE },
    { "about/index.htm", "text/html; charset=utf-8", AL_CACHE_NO_CACHE },
    { "site.webmanifest", "application/manifest+json; charset=utf-8", AL_CACHE_NO_CACHE },
    { "manifest.json", "application/json; charset=utf-8", AL_CACHE_NO_CACHE },
    { "sw.js", "text/javascript; charset=utf-8", AL_CACHE_NO_CACHE },
    { "service-worker.js", "text/javascript; charset=utf-8", AL_CACHE_NO_CACHE },
    { "assets/index-DiwrgTda.js", "text/javascript; charset=utf-8", AL_CACHE_IMMUTABLE },
    { "assets/index-B3x9q_Lm.css", "text/css; charset=utf-8", AL_CACHE_IMMUTABLE },
    { "static/js/main.3f2a9c1b.js", "text/javascript; charset=utf-8", AL_CACHE_IMMUTABLE },
    { "static/js/main.3f2a9c1b.js.map", "application/json; charset=utf-8", AL_CACHE_IMMUTABLE },
    { "chunk.0a1b2c3d4e5f.mjs", "text/javascript; charset=utf-8", AL_CACHE_IMMUTABLE },
    { "lib.cjs", "text/javascript; charset=utf-8", AL_CACHE_SHORT },
    { "data.json", "application/json; charset=utf-8", AL_CACHE_SHORT },
    { "version.json", "application/json; charset=utf-8", AL_CACHE_SHORT },
    { "feed.xml", "application/xml; charset=utf-8", AL_CACHE_SHORT },
    { "robots.txt", "text/plain; charset=utf-8", AL_CACHE_SHORT },
    { "logo-horizontal.svg", "image/svg+xml; charset=utf-8", AL_CACHE_SHORT },
    { "img/photo.png", "image/png", AL_CACHE_SHORT },
    { "img/photo.JPG", "image/jpeg", AL_CACHE_SHORT },
    { "img/photo.jpeg", "image/jpeg", AL_CACHE_SHORT },
    { "img/anim.gif", "image/gif", AL_CACHE_SHORT },
    { "img/hero.webp", "image/webp", AL_CACHE_SHORT },
    { "img/hero.avif", "image/avif", AL_CACHE_SHORT },
    { "favicon.ico", "image/vnd.microsoft.icon", AL_CACHE_SHORT },
    { "img/old.bmp", "image/bmp", AL_CACHE_SHORT },
    { "fonts/inter-Ab12Cd34.woff2", "font/woff2", AL_CACHE_IMMUTABLE },
    { "fonts/inter.woff", "font/woff", AL_CACHE_SHORT },
    { "fonts/inter.ttf", "font/ttf", AL_CACHE_SHORT },
    { "fonts/inter.otf", "font/otf", AL_CACHE_SHORT },
    { "fonts/inter.eot", "application/vnd.ms-fontobject", AL_CACHE_SHORT },
    { "app.wasm", "application/wasm", AL_CACHE_SHORT },
    { "docs/guide.pdf", "application/pdf", AL_CACHE_SHORT },
    { "media/intro.mp4", "video/mp4", AL_CACHE_SHORT },
    { "media/intro.webm", "video/webm", AL_CACHE_SHORT },
    { "media/sound.mp3", "audio/mpeg", AL_CACHE_SHORT },
    { "media/sound.ogg", "audio/ogg", AL_CACHE_SHORT },
    { "media/sound.wav", "audio/wav", AL_CACHE_SHORT },
    { "dl/bundle.zip", "application/zip", AL_CACHE_SHORT },
    { "dl/data.csv", "text/csv; charset=utf-8", AL_CACHE_SHORT },
    { "README.md", "text/markdown; charset=utf-8", AL_CACHE_SHORT },
    { "assets/app.js.gz", "application/gzip", AL_CACHE_SHORT },
    { "assets/app.js.br", "application/x-br", AL_CACHE_SHORT },
    { "LICENSE", "application/octet-stream", AL_CACHE_SHORT },
    { "Settings-Panel.js", "text/javascript; charset=utf-8", AL_CACHE_SHORT },
    { "deadline.js", "text/javascript; charset=utf-8", AL_CACHE_SHORT },
};

TEST(site_content_type_and_cache_control_table)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof(s_table) / sizeof(s_table[0]); i++) {
        const char *t = al_mime_type(s_table[i].key);
        const char *c =
          al_cache_rules_pick(&(struct al_cache_rules){ { 0 }, { 0 } }, s_table[i].key);
        if (strcmp(t, s_table[i].type) != 0 || strcmp(c, s_table[i].cache) != 0) {
            al_test_fail(__FILE__, __LINE__, "%s: got '%s' / '%s'", s_table[i].key, t, c);
            bad++;
        }
    }
    ASSERT(bad == 0);
    ASSERT(sizeof(s_table) / sizeof(s_table[0]) >= 30);
}

TEST(site_cache_rules_first_match_wins)
{
    struct al_cache_rules r;
    al_cache_rules_init(&r);
    ASSERT_OK(al_cache_rules_parse(&r,
                                   "api/**=no-store\n\n*.json = public, max-age=60\n"
                                   "**=public, max-age=600"));
    ASSERT_STR_EQ(al_cache_rules_pick(&r, "api/v1/x.json"), "no-store");
    ASSERT_STR_EQ(al_cache_rules_pick(&r, "data/x.json"), "public, max-age=60");
    ASSERT_STR_EQ(al_cache_rules_pick(&r, "index.html"), "public, max-age=600");
    al_cache_rules_clean_up(&r);
    al_cache_rules_init(&r);
    ASSERT_FAILS(al_cache_rules_parse(&r, "*.html no-cache"));
    ASSERT_CONTAINS(al_error_last()->msg, "expected 'glob=value'");
    ASSERT_FAILS(al_cache_rules_parse(&r, "=x"));
    al_cache_rules_clean_up(&r);
}

TEST(site_glob_semantics)
{
    ASSERT(al_glob_match("*.map", "assets/js/a.map"));
    ASSERT(!al_glob_match("assets/*.map", "assets/js/a.map"));
    ASSERT(al_glob_match("assets/**/*.map", "assets/js/a.map"));
    ASSERT(al_glob_match("assets/**/*.map", "assets/a.map"));
    ASSERT(al_glob_match("a?c", "abc"));
    ASSERT(!al_glob_match("a?c", "a/c"));
}

static void s_write(const char *dir, const char *rel, const char *content)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    f = fopen(path, "w");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_rm_rf(const char *dir)
{
    nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST(site_md5_refuses_a_file_changed_since_the_scan)
{
    char *dir = al_test_tmpdir();
    struct al_site s;
    struct al_site_opts o = { dir, NULL, NULL, NULL };
    s_write(dir, "app.js", "one");
    al_site_init(&s);
    ASSERT_OK(al_site_scan(&o, &s));
    s_write(dir, "app.js", "one more");
    ASSERT_FAILS(al_site_md5(&s, &s.files[0]));
    ASSERT_CONTAINS(al_error_last()->msg, "app.js changed while airlock ran");
    al_site_clean_up(&s);
    s_rm_rf(dir);
    free(dir);
}

TEST(site_hash_in_a_worker_matches_the_scan_and_keeps_its_error)
{
    char *dir = al_test_tmpdir();
    struct al_site s;
    struct al_site_opts o = { dir, "app/", NULL, NULL };
    s_write(dir, "a/b.js", "abc");
    s_write(dir, "index.html", "<html>hi</html>");
    al_site_init(&s);
    /* The walk alone knows names and sizes, not contents. */
    ASSERT_OK(al_site_walk(&o, &s));
    ASSERT_INT_EQ(s.len, 2);
    ASSERT_INT_EQ(al_site_find(&s, "app/a/b.js")->size, 3);
    ASSERT_STR_EQ(s.files[0].sha256_hex, "");
    ASSERT_OK(al_site_hash_begin(&s));
    ASSERT_OK(al_site_hash_end(&s));
    ASSERT_OK(al_site_hash_end(&s)); /* nothing left to join */
    ASSERT_STR_EQ(al_site_find(&s, "app/a/b.js")->sha256_hex,
                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    al_site_clean_up(&s);
    /* A file changed after the walk: the worker's error comes back on the join. */
    al_site_init(&s);
    ASSERT_OK(al_site_walk(&o, &s));
    s_write(dir, "index.html", "<html>changed</html>");
    al_error_clear();
    ASSERT_OK(al_site_hash_begin(&s));
    ASSERT_FAILS(al_site_hash_end(&s));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "index.html changed while airlock ran");
    al_site_clean_up(&s);
    /* Cleaning up a running worker stops it and leaves the caller's error alone. */
    al_site_init(&s);
    ASSERT_OK(al_site_walk(&o, &s));
    ASSERT_OK(al_site_hash_begin(&s));
    al_raise(AL_ERR_AWS, "the request failed");
    al_site_clean_up(&s);
    ASSERT_STR_EQ(al_error_last()->msg, "the request failed");
    s_rm_rf(dir);
    free(dir);
}

TEST(site_scan_keys_hashes_and_order)
{
    char *dir = al_test_tmpdir();
    struct al_site s;
    char md5_hex[AL_MD5_HEX_LEN + 1];
    struct al_strv ex;
    struct al_site_opts o = { dir, "app/", &ex, NULL };
    al_strv_init(&ex);
    al_strv_push(&ex, "*.map");
    s_write(dir, "index.html", "<html>hi</html>");
    s_write(dir, "a-b.js", "x");
    s_write(dir, "a/b.js", "abc");
    s_write(dir, "a/b.js.map", "{}");
    s_write(dir, "empty.txt", "");
    s_write(dir, "sp ace/\xC3\xA9t\xC3\xA9+%#?.txt", "u");
    al_site_init(&s);
    ASSERT_OK(al_site_scan(&o, &s));
    ASSERT_INT_EQ(s.len, 5);
    ASSERT_STR_EQ(s.files[0].key, "app/a-b.js"); /* byte order: '-' < '/' */
    ASSERT_STR_EQ(s.files[1].key, "app/a/b.js");
    /* The MD5 is read on demand, not by the scan. */
    ASSERT(!s.files[1].have_md5);
    ASSERT_OK(al_site_md5(&s, &s.files[1]));
    al_hex(s.files[1].md5, AL_MD5_LEN, md5_hex);
    ASSERT_STR_EQ(md5_hex, "900150983cd24fb0d6963f7d28e17f72");
    ASSERT_STR_EQ(s.files[1].sha256_hex,
                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ASSERT(al_site_find(&s, "app/index.html")->entry);
    ASSERT_INT_EQ(al_site_find(&s, "app/empty.txt")->size, 0);
    ASSERT(al_site_find(&s, "app/sp ace/\xC3\xA9t\xC3\xA9+%#?.txt") != NULL);
    ASSERT(al_site_find(&s, "app/a/b.js.map") == NULL);
    al_site_clean_up(&s);
    al_strv_clean_up(&ex);
    s_rm_rf(dir);
    free(dir);
}

TEST(site_symlink_outside_is_refused)
{
    char *dir = al_test_tmpdir(), link[1024];
    struct al_site s;
    struct al_site_opts o = { dir, NULL, NULL, NULL };
    s_write(dir, "index.html", "x");
    snprintf(link, sizeof(link), "%s/passwd", dir);
    ASSERT(symlink("/etc/passwd", link) == 0);
    al_site_init(&s);
    ASSERT_FAILS(al_site_scan(&o, &s));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "'passwd' points outside site-dir");
    al_site_clean_up(&s);
    unlink(link);
    /* A link that stays inside is followed. */
    snprintf(link, sizeof(link), "%s/home.html", dir);
    ASSERT(symlink("index.html", link) == 0);
    al_site_init(&s);
    ASSERT_OK(al_site_scan(&o, &s));
    ASSERT_INT_EQ(s.len, 2);
    al_site_clean_up(&s);
    s_rm_rf(dir);
    free(dir);
}

TEST(site_bad_names_and_empty_dirs)
{
    char *dir = al_test_tmpdir();
    struct al_site s;
    struct al_site_opts o = { dir, NULL, NULL, NULL };
    al_site_init(&s);
    ASSERT_FAILS(al_site_scan(&o, &s));
    ASSERT_CONTAINS(al_error_last()->msg, "holds no files");
    al_site_clean_up(&s);
    s_write(dir, "bad\xFFname.txt", "x");
    al_site_init(&s);
    ASSERT_FAILS(al_site_scan(&o, &s));
    ASSERT_CONTAINS(al_error_last()->msg, "not valid UTF-8");
    al_site_clean_up(&s);
    o.dir = "/nonexistent/dist";
    al_site_init(&s);
    ASSERT_FAILS(al_site_scan(&o, &s));
    ASSERT_CONTAINS(al_error_last()->msg, "is not a directory");
    al_site_clean_up(&s);
    s_rm_rf(dir);
    free(dir);
}
