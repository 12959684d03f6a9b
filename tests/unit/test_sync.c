/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The site step against the in-memory S3 (test_s3_fake): plan, phases,
 * dry-run, remote state from a release, deletions after verification.
 */
#include "harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/sync.h"
#include "http/script.h"
#include "test_s3_fake.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/log.h"

struct s_env {
    char *dir;  /* temp root */
    char *site; /* dir/site */
    struct al_http_script *script;
    struct fake_s3 *fake;
    struct al_opts opts;
    struct al_outputs outputs;
    struct al_run run;
};

static struct al_buf g_log;

static void s_capture(enum al_log_level level, const struct al_log_where *where, const char *text)
{
    (void)where;
    if (level == AL_LOG_GROUP_BEGIN || level == AL_LOG_GROUP_END)
        return;
    al_buf_puts(&g_log, text);
    al_buf_putc(&g_log, '\n');
}

static void s_write(const struct s_env *e, const char *rel, const char *content)
{
    char path[4096];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", e->site, rel);
    for (char *p = path + strlen(e->site) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    fp = fopen(path, "wb");
    if (fp) {
        fwrite(content, 1, strlen(content), fp);
        fclose(fp);
    }
}

static void s_remove(const struct s_env *e, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", e->site, rel);
    unlink(path);
}

/* Options as the layers would give them: name=value pairs, then the defaults. */
static int s_options(struct s_env *e, const char *const *kv)
{
    struct al_opt_layer l;
    int rc = -1;
    al_opts_clean_up(&e->opts);
    al_opts_init(&e->opts);
    al_opt_layer_init(&l, AL_SRC_FLAG);
    if (al_opt_layer_set(&l, AL_OPT_SITE_DIR, e->site, "test") ||
        al_opt_layer_set(&l, AL_OPT_BUCKET, "site", "test"))
        goto cleanup;
    for (size_t i = 0; kv && kv[i]; i += 2)
        if (al_opt_layer_set(&l, al_opt_find(kv[i]), kv[i + 1], "test"))
            goto cleanup;
    if (al_opts_merge(&e->opts, &l) || al_opts_apply_defaults(&e->opts) ||
        al_opts_validate(&e->opts))
        goto cleanup;
    rc = 0;
cleanup:
    al_opt_layer_clean_up(&l);
    return rc;
}

static void s_clear_log(struct s_env *e)
{
    for (size_t i = 0; i < e->fake->n_log; i++)
        free(e->fake->log[i].key);
    e->fake->n_log = 0;
}

/* A new run (fresh outputs and summary, empty request log) on the same fake S3. */
static int s_new_run(struct s_env *e, bool dry_run)
{
    struct al_creds_config cc = { 0 };
    al_run_clean_up(&e->run);
    al_outputs_clean_up(&e->outputs);
    al_outputs_init(&e->outputs);
    al_run_init(&e->run, &e->opts, &e->outputs);
    e->run.dry_run = dry_run;
    e->run.endpoints.region = "ap-northeast-1";
    e->run.endpoints.env_endpoint_url = "http://127.0.0.1:9";
    e->run.http.transport_factory = al_http_script_factory;
    e->run.http.transport_arg = e->script;
    e->run.http.backoff_base_ms = 1;
    e->run.http.backoff_cap_ms = 2;
    e->run.http.max_concurrency = 8;
    cc.env_access_key_id = "AKIDSYNCTEST00000001";
    cc.env_secret_access_key = "sync/test/secret";
    if (!(e->run.engine = al_http_engine_new(&e->run.http)) ||
        !(e->run.creds = al_creds_new(&cc, &e->run.endpoints, &e->run.http)) ||
        !(e->run.aws = al_aws_ctx_new(e->run.engine, e->run.creds, &e->run.endpoints)))
        return -1;
    al_buf_reset(&g_log);
    s_clear_log(e);
    return 0;
}

static int s_setup(struct s_env *e, const char *const *kv)
{
    size_t n;
    memset(e, 0, sizeof(*e));
    al_buf_init(&g_log, (size_t)4 << 20);
    al_log_set_writer(s_capture);
    e->dir = al_test_tmpdir();
    n = strlen(e->dir) + 8;
    e->site = malloc(n);
    snprintf(e->site, n, "%s/site", e->dir);
    mkdir(e->site, 0755);
    e->script = al_http_script_new();
    e->fake = calloc(1, sizeof(*e->fake));
    fake_s3_init(e->fake, "site");
    al_http_script_set_handler(e->script, fake_s3_handler, e->fake);
    al_http_script_set_latency(e->script, 2);
    al_opts_init(&e->opts);
    al_outputs_init(&e->outputs);
    al_run_init(&e->run, &e->opts, &e->outputs);
    return s_options(e, kv);
}

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_teardown(struct s_env *e)
{
    al_run_clean_up(&e->run);
    al_outputs_clean_up(&e->outputs);
    al_opts_clean_up(&e->opts);
    al_http_script_free(e->script);
    fake_s3_clean_up(e->fake);
    free(e->fake);
    nftw(e->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(e->dir);
    free(e->site);
    al_log_set_writer(NULL);
    al_buf_clean_up(&g_log);
}

/* One sync: step (phases A and B) then, unless told otherwise, phase C. */
static int s_sync(struct s_env *e, bool dry_run, bool finish, struct al_sync **out)
{
    struct al_sync *s = NULL;
    int rc;
    if (s_new_run(e, dry_run))
        return -1;
    s_clear_log(e);
    rc = al_step_site(&e->run, &s);
    if (!rc && finish && !dry_run)
        rc = al_sync_finish(&e->run, s);
    if (out)
        *out = s;
    else
        al_sync_free(s);
    return rc;
}

static const char *s_out(const struct s_env *e, const char *name)
{
    return al_outputs_get(&e->outputs, name);
}

static void s_basic_site(struct s_env *e)
{
    s_write(e, "index.html", "<!doctype html><script src=assets/app.1a2b3c4d.js></script>");
    s_write(e, "about/index.html", "<p>about</p>");
    s_write(e, "assets/app.1a2b3c4d.js", "console.log(1)");
    s_write(e, "assets/style.css", "body{}");
    s_write(e, "img/logo.svg", "<svg/>");
    s_write(e, "empty.txt", "");
    s_write(e, "a dir/sp ace+plus.txt", "space");
    s_write(e, "manifest.webmanifest", "{}");
}

TEST(sync_first_deploy_uploads_everything_assets_before_entry_files)
{
    struct s_env e;
    size_t last_asset = 0, first_entry = SIZE_MAX;
    struct fake_obj *o;
    ASSERT_OK(s_setup(&e, NULL));
    s_basic_site(&e);
    ASSERT_OK(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 8);
    ASSERT_INT_EQ(e.fake->n_objs, 8);
    for (size_t i = 0; i < e.fake->n_log; i++) {
        const struct fake_log *l = &e.fake->log[i];
        if (strcmp(l->op, "PutObject") != 0)
            continue;
        if (al_str_suffix(l->key, ".html") || al_str_suffix(l->key, ".webmanifest")) {
            if (first_entry == SIZE_MAX)
                first_entry = i;
        } else {
            last_asset = i;
        }
    }
    ASSERT(last_asset < first_entry);
    o = fake_s3_get(e.fake, "assets/app.1a2b3c4d.js");
    ASSERT_STR_EQ(o->body, "console.log(1)");
    ASSERT_STR_EQ(o->cache_control, "public, max-age=31536000, immutable");
    ASSERT_CONTAINS(o->content_type, "javascript");
    ASSERT_INT_EQ(strlen(o->meta_sha256), 64);
    ASSERT_STR_EQ(fake_s3_get(e.fake, "index.html")->cache_control, "no-cache");
    ASSERT_INT_EQ(fake_s3_get(e.fake, "empty.txt")->size, 0);
    ASSERT_STR_EQ(fake_s3_get(e.fake, "a dir/sp ace+plus.txt")->body, "space");
    ASSERT_STR_EQ(s_out(&e, "files-uploaded"), "8");
    ASSERT_STR_EQ(s_out(&e, "files-unchanged"), "0");
    ASSERT_STR_EQ(s_out(&e, "files-deleted"), "0");
    ASSERT_CONTAINS(al_buf_str(&e.run.summary.md), "### Site");
    ASSERT_CONTAINS(al_buf_str(&e.run.summary.md), "largest uploads");
    s_teardown(&e);
}

TEST(sync_redeploy_skips_unchanged_and_uploads_only_changes)
{
    struct s_env e;
    struct al_sync *s = NULL;
    const struct al_strv *changed;
    ASSERT_OK(s_setup(&e, NULL));
    s_basic_site(&e);
    ASSERT_OK(s_sync(&e, false, true, NULL));
    /* Same content (fresh mtimes are irrelevant): nothing to do. */
    s_basic_site(&e);
    ASSERT_OK(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 0);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects"), 0);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "HeadObject"), 0);
    ASSERT_STR_EQ(s_out(&e, "files-unchanged"), "8");
    ASSERT_STR_EQ(s_out(&e, "files-uploaded"), "0");
    /* Two changed (one of the same size), one removed. */
    s_write(&e, "assets/style.css", "body{color:red}");
    s_write(&e, "img/logo.svg", "<SVG/>");
    s_remove(&e, "empty.txt");
    ASSERT_OK(s_sync(&e, false, false, &s));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 2);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects"), 0); /* not before verification */
    ASSERT_INT_EQ(al_sync_stale_keys(s)->len, 1);
    ASSERT_STR_EQ(al_sync_stale_keys(s)->items[0], "empty.txt");
    changed = al_sync_changed_keys(s);
    ASSERT_INT_EQ(changed->len, 2);
    ASSERT(al_strv_contains(changed, "img/logo.svg"));
    ASSERT_STR_EQ(fake_s3_get(e.fake, "img/logo.svg")->body, "<SVG/>");
    ASSERT_OK(al_sync_finish(&e.run, s));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects"), 1);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects.key"), 1);
    ASSERT(fake_s3_get(e.fake, "empty.txt") == NULL);
    ASSERT_STR_EQ(s_out(&e, "files-deleted"), "1");
    ASSERT(al_strv_contains(al_sync_changed_keys(s), "empty.txt"));
    al_sync_free(s);
    s_teardown(&e);
}

TEST(sync_dry_run_makes_no_mutating_call_and_lists_the_plan)
{
    struct s_env e;
    ASSERT_OK(s_setup(&e, NULL));
    s_basic_site(&e);
    fake_s3_put(e.fake, "old/chunk.js", "stale");
    ASSERT_OK(s_sync(&e, true, true, NULL));
    ASSERT_INT_EQ(e.fake->n_log, 1);
    ASSERT_STR_EQ(e.fake->log[0].op, "ListObjectsV2");
    ASSERT_CONTAINS(al_buf_str(&g_log), "upload 8 (");
    ASSERT_CONTAINS(al_buf_str(&g_log), "delete 1 after verification");
    ASSERT_CONTAINS(al_buf_str(&g_log), "site plan: new (phase A): assets/app.1a2b3c4d.js");
    ASSERT_CONTAINS(al_buf_str(&g_log), "site plan: new (phase B): index.html");
    ASSERT_CONTAINS(al_buf_str(&g_log), "site plan: delete (phase C): old/chunk.js");
    ASSERT_STR_EQ(s_out(&e, "files-uploaded"), "8");
    ASSERT_STR_EQ(s_out(&e, "files-deleted"), "1");
    ASSERT_INT_EQ(e.run.steps[0].status, AL_STEP_PLANNED);
    s_teardown(&e);
}

TEST(sync_symlink_out_of_the_site_stops_before_any_request)
{
    struct s_env e;
    struct al_sync *s = NULL;
    char link[4096];
    ASSERT_OK(s_setup(&e, NULL));
    s_basic_site(&e);
    snprintf(link, sizeof(link), "%s/passwd", e.site);
    ASSERT(symlink("/etc/passwd", link) == 0);
    ASSERT_FAILS(s_sync(&e, false, true, &s));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_INT_EQ(al_http_script_count(e.script), 0);
    ASSERT_INT_EQ(e.run.steps[0].status, AL_STEP_FAILED);
    al_sync_free(s);
    s_teardown(&e);
}

TEST(sync_phase_a_failure_leaves_entry_files_alone)
{
    struct s_env e;
    struct al_sync *s = NULL;
    ASSERT_OK(s_setup(&e, NULL));
    s_basic_site(&e);
    e.fake->fail_key = "assets/style.css";
    ASSERT_FAILS(s_sync(&e, false, true, &s));
    ASSERT_CONTAINS(al_error_last()->msg, "site phase A");
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied");
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT(fake_s3_get(e.fake, "index.html") == NULL);
    ASSERT(fake_s3_get(e.fake, "about/index.html") == NULL);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects"), 0);
    al_sync_free(s);
    s_teardown(&e);
}

TEST(sync_prefix_excludes_and_release_store_keys_are_kept)
{
    const char *kv[] = {
        "prefix", "/app", "exclude", "*.map,keep/**", "release-store", "s3://site/app/airlock", NULL
    };
    struct s_env e;
    struct al_sync *s = NULL;
    ASSERT_OK(s_setup(&e, kv));
    s_write(&e, "index.html", "x");
    s_write(&e, "app.js.map", "map");
    fake_s3_put(e.fake, "app/old.js", "old");
    fake_s3_put(e.fake, "app/keep/notes.txt", "kept by exclude");
    fake_s3_put(e.fake, "app/x.js.map", "kept by exclude");
    fake_s3_put(e.fake, "app/airlock/releases/v1.json", "{}");
    fake_s3_put(e.fake, "apple.txt", "outside the prefix");
    fake_s3_put(e.fake, "other/thing", "outside");
    ASSERT_OK(s_sync(&e, false, true, &s));
    ASSERT_STR_EQ(al_sync_prefix(s), "app/");
    ASSERT_CONTAINS(al_http_script_request(e.script, 0)->url, "prefix=app%2F");
    ASSERT(fake_s3_get(e.fake, "app/index.html") != NULL);
    ASSERT(fake_s3_get(e.fake, "app/app.js.map") == NULL);
    ASSERT_INT_EQ(al_sync_stale_keys(s)->len, 1);
    ASSERT(fake_s3_get(e.fake, "app/old.js") == NULL);
    ASSERT(fake_s3_get(e.fake, "app/keep/notes.txt") != NULL);
    ASSERT(fake_s3_get(e.fake, "app/x.js.map") != NULL);
    ASSERT(fake_s3_get(e.fake, "app/airlock/releases/v1.json") != NULL);
    ASSERT(fake_s3_get(e.fake, "apple.txt") != NULL);
    al_sync_free(s);
    s_teardown(&e);
}

TEST(sync_release_store_at_the_site_bucket_root_is_refused)
{
    const char *kv[] = { "release-store", "s3://site", NULL };
    struct s_env e;
    ASSERT_OK(s_setup(&e, kv));
    s_basic_site(&e);
    ASSERT_FAILS(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "release-store");
    ASSERT_INT_EQ(al_http_script_count(e.script), 0);
    s_teardown(&e);
}

TEST(sync_remote_state_from_a_release_needs_no_request)
{
    struct s_env e;
    struct al_sync *s = NULL;
    struct al_release_file files[3];
    struct al_sync_remote remote = { "site", "", files, 3 };
    const struct al_site *site;
    ASSERT_OK(s_setup(&e, NULL));
    s_write(&e, "index.html", "<p>v1</p>");
    s_write(&e, "a.js", "a");
    /* A first sync only to learn the hashes and types. */
    ASSERT_OK(s_sync(&e, true, false, &s));
    site = al_sync_site(s);
    ASSERT_INT_EQ(site->len, 2);
    for (size_t i = 0; i < 2; i++) {
        files[i].key = site->files[i].key;
        memcpy(files[i].sha256, site->files[i].sha256_hex, sizeof(files[i].sha256));
        files[i].size = site->files[i].size;
        files[i].content_type = (char *)site->files[i].content_type;
        files[i].cache_control = (char *)site->files[i].cache_control;
    }
    files[2] = files[0];
    files[2].key = "gone.css";
    ASSERT_OK(s_new_run(&e, false));
    s_clear_log(&e);
    {
        struct al_sync *s2 = NULL;
        ASSERT_OK(al_step_site_with(&e.run, &remote, &s2));
        ASSERT_INT_EQ(e.fake->n_log, 0);
        ASSERT_STR_EQ(s_out(&e, "files-unchanged"), "2");
        ASSERT_INT_EQ(al_sync_stale_keys(s2)->len, 1);
        al_sync_free(s2);
        /* A changed Cache-Control rule uploads the file again. */
        files[1].cache_control = "max-age=1";
        ASSERT_OK(s_new_run(&e, false));
        ASSERT_OK(al_step_site_with(&e.run, &remote, &s2));
        ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 1);
        ASSERT_STR_EQ(e.fake->log[0].key, files[1].key);
        al_sync_free(s2);
        /* A release of another bucket is not this bucket's state: list it. */
        remote.bucket = "elsewhere";
        ASSERT_OK(s_new_run(&e, false));
        s_clear_log(&e);
        ASSERT_OK(al_step_site_with(&e.run, &remote, &s2));
        ASSERT_INT_EQ(fake_s3_count(e.fake, "ListObjectsV2"), 1);
        al_sync_free(s2);
    }
    al_sync_free(s);
    s_teardown(&e);
}

static void s_big(const struct s_env *e, const char *rel, size_t size, char fill)
{
    char path[4096];
    char *data = malloc(size);
    FILE *fp;
    memset(data, fill, size);
    data[size / 2] = 'x';
    snprintf(path, sizeof(path), "%s/%s", e->site, rel);
    fp = fopen(path, "wb");
    fwrite(data, 1, size, fp);
    fclose(fp);
    free(data);
}

TEST(sync_multipart_at_the_threshold_and_skipped_by_its_sha256)
{
    const char *kv[] = { "multipart-threshold", "5MiB", NULL };
    struct s_env e;
    struct fake_obj *o;
    ASSERT_OK(s_setup(&e, kv));
    s_write(&e, "index.html", "x");
    s_big(&e, "video.bin", (9u << 20) + 5, 'a');
    ASSERT_OK(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "CreateMultipartUpload"), 1);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "UploadPart"), 2); /* 8 MiB parts */
    ASSERT_INT_EQ(fake_s3_count(e.fake, "CompleteMultipartUpload"), 1);
    o = fake_s3_get(e.fake, "video.bin");
    ASSERT(strstr(o->etag, "-2") != NULL);
    ASSERT_INT_EQ(strlen(o->meta_sha256), 64);
    ASSERT_CONTAINS(o->content_type, "octet-stream");
    /* Redeploy: the "-2" ETag is no MD5, so one HeadObject reads the SHA-256. */
    ASSERT_OK(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "HeadObject"), 1);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 0);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "CreateMultipartUpload"), 0);
    /* Same size, other bytes: uploaded again. */
    s_big(&e, "video.bin", (9u << 20) + 5, 'b');
    ASSERT_OK(s_sync(&e, false, true, NULL));
    ASSERT_INT_EQ(fake_s3_count(e.fake, "CreateMultipartUpload"), 1);
    s_teardown(&e);
}

TEST(sync_decoded_listing_keys_match_local_names)
{
    struct s_env e;
    ASSERT_OK(s_setup(&e, NULL));
    s_write(&e, "a b+c%d~e.txt", "same");
    s_write(&e, "caf\xc3\xa9.txt", "nfc");
    s_write(&e, "cafe\xcc\x81.txt", "nfd");
    fake_s3_put(e.fake, "a b+c%d~e.txt", "same");
    fake_s3_put(e.fake, "caf\xc3\xa9.txt", "nfc");
    ASSERT_OK(s_sync(&e, false, true, NULL));
    /* Only the NFD name is new: NFC and NFD are different keys. */
    ASSERT_INT_EQ(fake_s3_count(e.fake, "PutObject"), 1);
    ASSERT(fake_s3_get(e.fake, "cafe\xcc\x81.txt") != NULL);
    ASSERT_INT_EQ(fake_s3_count(e.fake, "DeleteObjects"), 0);
    s_teardown(&e);
}

TEST(sync_scan_first_then_apply_with_a_prefix_from_a_stack_output)
{
    const char *kv[] = { "prefix", "${stack:Site.Prefix}", NULL };
    struct s_env e;
    struct al_sync *s = NULL;
    ASSERT_OK(s_setup(&e, kv));
    s_basic_site(&e);
    ASSERT_OK(s_new_run(&e, false));
    /* The scan needs no network and no stack output. */
    ASSERT_OK(al_sync_scan(&e.run, &s));
    ASSERT_INT_EQ(e.fake->n_log, 0);
    ASSERT_INT_EQ(e.run.n_steps, 0);
    ASSERT_OK(al_run_add_stack_output(&e.run, "Site", "Prefix", "v2"));
    ASSERT_OK(al_sync_apply(&e.run, s, NULL));
    ASSERT_STR_EQ(al_sync_prefix(s), "v2/");
    ASSERT(fake_s3_get(e.fake, "v2/index.html") != NULL);
    ASSERT(fake_s3_get(e.fake, "v2/a dir/sp ace+plus.txt") != NULL);
    ASSERT_INT_EQ(e.run.n_steps, 1);
    ASSERT_FAILS(al_sync_apply(&e.run, s, NULL)); /* once only */
    ASSERT_OK(al_sync_finish(&e.run, s));
    al_sync_free(s);
    s = NULL;
    /* A bad site fails the scan with a usage error and one failed row. */
    {
        char link[4096];
        snprintf(link, sizeof(link), "%s/escape", e.site);
        ASSERT(symlink("/etc", link) == 0);
    }
    ASSERT_OK(s_new_run(&e, false));
    ASSERT_FAILS(al_sync_scan(&e.run, &s));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_INT_EQ(e.run.n_steps, 1);
    ASSERT_INT_EQ(e.run.steps[0].status, AL_STEP_FAILED);
    ASSERT_INT_EQ(e.fake->n_log, 0);
    al_sync_free(s);
    s_teardown(&e);
}

TEST(sync_a_key_listed_twice_in_a_release_is_not_stale)
{
    struct s_env e;
    struct al_sync *s = NULL;
    struct al_release_file files[2];
    struct al_sync_remote remote = { "site", NULL, files, 2 };
    char sha[AL_SHA256_HEX_LEN + 1];
    uint8_t d[AL_SHA256_LEN];
    ASSERT_OK(s_setup(&e, NULL));
    s_write(&e, "index.html", "<p>v1</p>");
    al_sha256("<p>v1</p>", 9, d);
    al_hex(d, AL_SHA256_LEN, sha);
    memset(files, 0, sizeof(files));
    files[0].key = "index.html";
    files[0].size = 9;
    memcpy(files[0].sha256, sha, sizeof(sha));
    files[1] = files[0];
    ASSERT_OK(s_new_run(&e, false));
    ASSERT_OK(al_step_site_with(&e.run, &remote, &s));
    ASSERT_INT_EQ(al_sync_stale_keys(s)->len, 0);
    ASSERT_STR_EQ(s_out(&e, "files-unchanged"), "1");
    ASSERT_INT_EQ(e.fake->n_log, 0);
    al_sync_free(s);
    s_teardown(&e);
}
