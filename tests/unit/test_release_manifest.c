/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "deploy/release_manifest.h"

#define SHA_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define PACK "0123456789abcdef0123456789abcdef"
#define SHA_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

TEST(release_version_rule)
{
    const char *good[] = { "v1",
                           "v1.2.3",
                           "1.0.0+build.5",
                           "0123abcdef0123abcdef0123abcdef01234567",
                           "release_2026-11-28" };
    const char *bad[] = { "",     "v1;rm -rf /", "../v1",
                          "-v1",  ".v1",         "v 1",
                          "v1/2", "v1\n",        "\xEF\xBD\x92\xEF\xBD\x8F" };
    char longv[202];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ASSERT(al_release_version_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT(!al_release_version_valid(bad[i]));
    memset(longv, 'a', 200);
    longv[200] = '\0';
    ASSERT(!al_release_version_valid(longv));
    longv[128] = '\0';
    ASSERT(al_release_version_valid(longv));
    longv[129 - 1] = 'a';
    ASSERT(!al_release_version_valid(NULL));
}

TEST(release_manifest_round_trip)
{
    struct al_release r, back;
    struct al_release_file files[2] = {
        { "index.html", SHA_A, 15, "text/html; charset=utf-8", "no-cache", { PACK, 4096 } },
        { "assets/app-Ab12Cd34.js",
          SHA_B,
          0,
          "text/javascript; charset=utf-8",
          "public, max-age=31536000, immutable",
          { NULL, 0 } },
    };
    struct al_release_stack st = {
        "App-Frontend", SHA_B, NULL, NULL, "arn:aws:iam::1:role/d", NULL
    };
    char *text;
    al_release_init(&r);
    r.version = "v2";
    r.commit = "0123abc";
    r.actor = "octocat";
    r.run_url = "https://github.com/o/r/actions/runs/1";
    r.environment = "production";
    r.status = "deployed";
    r.previous = "v1";
    r.time = 1764288000;
    r.stacks = &st;
    r.n_stacks = 1;
    r.bucket = "site";
    r.prefix = "";
    r.files = files;
    r.n_files = 2;
    st.parameters = json_pack("{s:s}", "Stage", "prod");
    st.outputs = json_pack("{s:s}", "BucketName", "site");
    text = al_release_to_json(&r);
    json_decref(st.parameters);
    json_decref(st.outputs);
    ASSERT(text != NULL);
    al_release_init(&back);
    ASSERT_OK(al_release_from_json(text, strlen(text), "releases/v2.json", &back));
    ASSERT_STR_EQ(back.version, "v2");
    ASSERT_STR_EQ(back.previous, "v1");
    ASSERT_INT_EQ(back.time, 1764288000);
    ASSERT_INT_EQ(back.n_stacks, 1);
    ASSERT_STR_EQ(back.stacks[0].template_sha256, SHA_B);
    ASSERT_STR_EQ(json_string_value(json_object_get(back.stacks[0].outputs, "BucketName")), "site");
    ASSERT_INT_EQ(back.n_files, 2);
    ASSERT_STR_EQ(back.files[1].cache_control, "public, max-age=31536000, immutable");
    ASSERT_INT_EQ(back.files[0].size, 15);
    /* A packed file keeps its place in the pack; the other is a blob. */
    ASSERT_STR_EQ(back.files[0].loc.pack, PACK);
    ASSERT_INT_EQ(back.files[0].loc.at, 4096);
    ASSERT(back.files[1].loc.pack == NULL);
    free(text);
    al_release_clean_up(&back);
}

/* al_release_read over text in memory. */
static int s_read(const char *text, struct al_release *r)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc;
    al_release_init(r);
    if (!f)
        return al_raise(AL_ERR_IO, "fmemopen failed");
    rc = al_release_read(f, "releases/v3.json", r);
    fclose(f);
    return rc;
}

TEST(release_manifest_streamed_line_by_line)
{
    struct al_release r, back;
    struct al_release_file files[3] = {
        { "a.js", SHA_A, 1, "text/javascript; charset=utf-8", "no-cache", { NULL, 0 } },
        { "b.js", SHA_B, 2, "text/javascript; charset=utf-8", "no-cache", { NULL, 0 } },
        { "c.css", SHA_A, 3, "text/css; charset=utf-8", "no-cache", { NULL, 0 } },
    };
    char *text;
    size_t lines = 0;
    al_release_init(&r);
    r.version = "v3";
    r.time = 1764288000;
    r.bucket = "site";
    r.files = files;
    r.n_files = 3;
    text = al_release_to_json(&r);
    ASSERT(text != NULL);
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    ASSERT_INT_EQ(lines, 5); /* header, one line per file, the closing braces */
    ASSERT_OK(s_read(text, &back));
    ASSERT_INT_EQ(back.n_files, 3);
    ASSERT_STR_EQ(back.files[2].key, "c.css");
    ASSERT_STR_EQ(back.files[1].sha256, SHA_B);
    ASSERT_INT_EQ(back.files[2].size, 3);
    ASSERT_STR_EQ(back.files[2].content_type, "text/css; charset=utf-8");
    /* One copy of each distinct value, shared by the files. */
    ASSERT(back.files[0].content_type == back.files[1].content_type);
    ASSERT(back.files[0].cache_control == back.files[2].cache_control);
    ASSERT_INT_EQ(back.strings.len, 3);
    al_release_clean_up(&back);
    free(text);
}

TEST(release_manifest_other_layouts_are_read_whole)
{
    struct al_release back;
    ASSERT_OK(s_read("{\n \"schema\": 1,\n \"version\": \"v3\",\n \"time\": "
                     "\"2026-01-01T00:00:00Z\",\n \"site\": {\"bucket\": \"b\", \"files\": [\n"
                     "  {\"key\": \"a\", \"sha256\": \"" SHA_A "\", \"size\": 1, "
                     "\"contentType\": \"x\", \"cacheControl\": \"y\"}\n ]}\n}\n",
                     &back));
    ASSERT_INT_EQ(back.n_files, 1);
    ASSERT_STR_EQ(back.files[0].cache_control, "y");
    al_release_clean_up(&back);
    ASSERT_OK(
      s_read("{\"schema\":1,\"version\":\"v3\",\"time\":\"2026-01-01T00:00:00Z\"}\n", &back));
    ASSERT(back.bucket == NULL && back.n_files == 0);
    al_release_clean_up(&back);
}

TEST(release_manifest_broken_streams_are_refused)
{
#define HEAD                                                                                       \
    "{\"schema\":1,\"version\":\"v3\",\"time\":\"2026-01-01T00:00:00Z\",\"site\":{\"bucket\":"     \
    "\"b\",\"files\":[\n"
#define FILE_A                                                                                     \
    "{\"key\":\"a\",\"sha256\":\"" SHA_A                                                           \
    "\",\"size\":1,\"contentType\":\"x\",\"cacheControl\":\"y\"}"
    struct al_release back;
    ASSERT_FAILS(s_read(HEAD FILE_A ",\n", &back));
    ASSERT_CONTAINS(al_error_last()->msg, "ends inside site.files");
    al_release_clean_up(&back);
    ASSERT_FAILS(s_read(HEAD FILE_A "\n" FILE_A "\n]}}\n", &back));
    ASSERT_CONTAINS(al_error_last()->msg, "line 3: a ',' is missing");
    al_release_clean_up(&back);
    ASSERT_FAILS(s_read(HEAD FILE_A ",\n]}}\n", &back));
    ASSERT_CONTAINS(al_error_last()->msg, "a ',' ends the last file");
    al_release_clean_up(&back);
    ASSERT_FAILS(s_read(HEAD FILE_A "\n]}}\n{}\n", &back));
    ASSERT_CONTAINS(al_error_last()->msg, "text after the end");
    al_release_clean_up(&back);
    ASSERT_FAILS(s_read(HEAD FILE_A ",\n{\"key\":\"b\",\"sha256\":\"no\",\"size\":1,"
                                    "\"contentType\":\"x\",\"cacheControl\":\"y\"}\n]}}\n",
                        &back));
    ASSERT_CONTAINS(al_error_last()->msg, "site.files[1].sha256 is not a SHA-256");
    al_release_clean_up(&back);
    ASSERT_FAILS(s_read(HEAD FILE_A ",\n{\"key\":\n]}}\n", &back));
    ASSERT_CONTAINS(al_error_last()->msg, "releases/v3.json line 3");
    al_release_clean_up(&back);
#undef HEAD
#undef FILE_A
}

static int s_parse(const char *text)
{
    struct al_release r;
    int rc;
    al_release_init(&r);
    rc = al_release_from_json(text, strlen(text), "m.json", &r);
    al_release_clean_up(&r);
    return rc;
}

TEST(release_manifest_rejects_tampering)
{
    ASSERT_FAILS(
      s_parse("{\"schema\": 1, \"version\": \"../x\", \"time\": \"2026-01-01T00:00:00Z\"}"));
    ASSERT_CONTAINS(al_error_last()->msg, "'version'");
    ASSERT_FAILS(
      s_parse("{\"schema\": 2, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\"}"));
    ASSERT_CONTAINS(al_error_last()->msg, "schema");
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"soon\"}"));
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"site\": {\"bucket\": \"b\", \"files\": [{\"key\": \"a/../../etc\", "
                         "\"sha256\": \"" SHA_A "\", \"size\": 1, \"contentType\": \"x\", "
                         "\"cacheControl\": \"y\"}]}}"));
    ASSERT_CONTAINS(al_error_last()->msg, "not a safe S3 key");
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"site\": {\"bucket\": \"b\", \"files\": [{\"key\": \"a\", "
                         "\"sha256\": \"XYZ\", \"size\": 1, \"contentType\": \"x\", "
                         "\"cacheControl\": \"y\"}]}}"));
    ASSERT_CONTAINS(al_error_last()->msg, "not a SHA-256");
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"stacks\": [{\"name\": \"S\", \"templateSha256\": \"" SHA_A "\", "
                         "\"parameters\": {\"P\": 5}}]}"));
    ASSERT_CONTAINS(al_error_last()->msg, "parameters.P must be text");
    /* A pack name is a store key: nothing but 32 hex digits, and an offset with it. */
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"site\": {\"bucket\": \"b\", \"files\": [{\"key\": \"a\", "
                         "\"sha256\": \"" SHA_A "\", \"size\": 1, \"contentType\": \"x\", "
                         "\"cacheControl\": \"y\", \"pack\": \"../blobs/x\", \"at\": 0}]}}"));
    ASSERT_CONTAINS(al_error_last()->msg, "bad pack location");
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"site\": {\"bucket\": \"b\", \"files\": [{\"key\": \"a\", "
                         "\"sha256\": \"" SHA_A "\", \"size\": 1, \"contentType\": \"x\", "
                         "\"cacheControl\": \"y\", \"pack\": \"" PACK "\", \"at\": -1}]}}"));
    ASSERT_CONTAINS(al_error_last()->msg, "bad pack location");
    ASSERT_FAILS(s_parse("{\"schema\": 1, \"version\": \"v1\", \"time\": \"2026-01-01T00:00:00Z\", "
                         "\"site\": {\"bucket\": \"b\", \"files\": [{\"key\": \"a\", "
                         "\"sha256\": \"" SHA_A "\", \"size\": 1, \"contentType\": \"x\", "
                         "\"cacheControl\": \"y\", \"at\": 3}]}}"));
    ASSERT_CONTAINS(al_error_last()->msg, "without a pack");
    ASSERT_FAILS(s_parse("[]"));
    ASSERT_FAILS(s_parse("{\"schema\": 1,"));
    ASSERT_CONTAINS(al_error_last()->msg, "m.json:1:");
}

TEST(release_current_round_trip)
{
    struct al_release_current c = { "v3", "v2", 1764288000, true, PACK }, back;
    char *text = al_release_current_to_json(&c);
    ASSERT(text != NULL);
    ASSERT_OK(al_release_current_from_json(text, strlen(text), "current.json", &back));
    ASSERT_STR_EQ(back.version, "v3");
    ASSERT_STR_EQ(back.previous, "v2");
    ASSERT_INT_EQ(back.time, 1764288000);
    ASSERT(back.dirty);
    ASSERT_STR_EQ(back.record, PACK); /* the record live.json must hold to be read */
    al_release_current_clean_up(&back);
    free(text);
    ASSERT_FAILS(al_release_current_from_json("{\"version\": \"v1\", \"time\": "
                                              "\"2026-01-01T00:00:00Z\", \"record\": \"../x\"}",
                                              67,
                                              "current.json",
                                              &back));
    ASSERT_CONTAINS(al_error_last()->msg, "not a record id");
    al_release_current_clean_up(&back);
    ASSERT_FAILS(al_release_current_from_json("{\"version\": \"v1;x\", \"time\": "
                                              "\"2026-01-01T00:00:00Z\"}",
                                              56,
                                              "current.json",
                                              &back));
    al_release_current_clean_up(&back);
}
