/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gha/commands.h"
#include "gha/event.h"
#include "gha/outputs.h"
#include "gha/summary.h"
#include "util/log.h"
#include "util/secret.h"

TEST(gha_escape_data_and_properties)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_gha_escape_data(&b, "50%\r\n::error::x, y: z"));
    ASSERT_STR_EQ(b.data, "50%25%0D%0A::error::x, y: z");
    al_buf_reset(&b);
    ASSERT_OK(al_gha_escape_property(&b, "a:b,c%\n"));
    ASSERT_STR_EQ(b.data, "a%3Ab%2Cc%25%0A");
    al_buf_clean_up(&b);
}

TEST(gha_add_mask_one_line_per_command)
{
    FILE *f = tmpfile();
    char out[1024];
    size_t n;
    ASSERT(f != NULL);
    al_gha_commands_install(f);
    ASSERT_OK(al_secret_add("-----BEGIN KEY-----\r\nMIIEvQIBADAN\r\n-----END KEY-----"));
    al_secret_set_hook(NULL);
    al_log_set_writer(NULL);
    rewind(f);
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    /* The runner reads one line per command: a %0A in the value would mask nothing useful. */
    ASSERT_STR_EQ(out,
                  "::add-mask::-----BEGIN KEY-----\n"
                  "::add-mask::MIIEvQIBADAN\n"
                  "::add-mask::-----END KEY-----\n");
}

TEST(gha_output_record_format_and_delimiter_refusal)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_outputs_record(&b, "status", "line1\nline2", "ghadelimiter_X"));
    ASSERT_STR_EQ(b.data, "status<<ghadelimiter_X\nline1\nline2\nghadelimiter_X\n");
    ASSERT_FAILS(al_outputs_record(&b, "v", "a\nghadelimiter_X\nb", "ghadelimiter_X"));
    ASSERT_FAILS(al_outputs_record(&b, "ghadelimiter_X", "v", "ghadelimiter_X"));
    al_buf_clean_up(&b);
}

TEST(gha_outputs_names_values_and_secrets)
{
    struct al_outputs o;
    char *name;
    al_outputs_init(&o);
    ASSERT_OK(al_secret_add("topsecretvalue"));
    ASSERT_OK(al_outputs_set(&o, "files-uploaded", "3"));
    ASSERT_OK(al_outputs_set(&o, "files-uploaded", "4"));
    ASSERT_OK(al_outputs_set(&o, "leak", "x topsecretvalue y"));
    ASSERT_FAILS(al_outputs_set(&o, "bad name", "1"));
    ASSERT_FAILS(al_outputs_set(&o, "a<<b", "1"));
    ASSERT_FAILS(al_outputs_set(&o, "", "1"));
    ASSERT_STR_EQ(al_outputs_get(&o, "files-uploaded"), "4");
    ASSERT_STR_EQ(al_outputs_get(&o, "leak"), "x *** y");
    ASSERT_INT_EQ(o.names.len, 2);
    name = al_outputs_name("GoalMandala-Frontend.Bucket Name/x");
    ASSERT_STR_EQ(name, "GoalMandala-Frontend.Bucket_Name_x");
    free(name);
    al_outputs_clean_up(&o);
}

TEST(gha_outputs_file_appends_with_fresh_delimiters)
{
    struct al_outputs o;
    char *dir = al_test_tmpdir(), path[512], *text;
    const char *d1, *d2;
    al_outputs_init(&o);
    snprintf(path, sizeof(path), "%s/out", dir);
    ASSERT_OK(al_outputs_set(&o, "a", "1"));
    ASSERT_OK(al_outputs_set(&o, "b", "two\nlines"));
    ASSERT_OK(al_outputs_write_file(&o, path));
    text = al_test_read_file(path, NULL);
    ASSERT(text != NULL);
    ASSERT(strncmp(text, "a<<ghadelimiter_", 16) == 0);
    d1 = strstr(text, "ghadelimiter_");
    d2 = strstr(strstr(text, "b<<") + 3, "ghadelimiter_");
    ASSERT(d1 && d2 && strncmp(d1, d2, 49) != 0);
    free(text);
    unlink(path);
    rmdir(dir);
    free(dir);
    al_outputs_clean_up(&o);
}

TEST(gha_summary_is_cut_at_a_line_boundary)
{
    struct al_buf b;
    al_buf_init(&b, 1 << 22);
    for (int i = 0; i < 50000; i++)
        ASSERT_OK(al_buf_printf(&b, "| row %d | some value |\n", i));
    ASSERT(b.len > 1000000);
    ASSERT_OK(al_summary_fit(&b, 1000000));
    ASSERT(b.len <= 1000000);
    ASSERT_CONTAINS(b.data, "this summary was cut");
    ASSERT(strstr(b.data, "|\n\n> **Note:**") != NULL);
    al_buf_clean_up(&b);
}

TEST(gha_summary_escape_cells)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_summary_escape(&b, "a|b\n<script>&`x`"));
    ASSERT_STR_EQ(b.data, "a\\|b &lt;script&gt;&amp;\\`x\\`");
    al_buf_clean_up(&b);
}

TEST(gha_event_payload_dispatch_inputs)
{
    struct al_gha_event ev;
    struct al_opt_layer l;
    char *dir = al_test_tmpdir(), path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/event.json", dir);
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"inputs\": {\"version\": \"v1.2.0\", \"confirmation\": \"rollback\"}, "
          "\"sender\": {\"login\": \"octocat\"}, \"head_commit\": {\"id\": \"abc\", "
          "\"message\": \"Fix \\\"x\\\"\\n\\nbody\"}}",
          f);
    fclose(f);
    ASSERT_OK(al_gha_event_load(path, &ev));
    ASSERT_STR_EQ(ev.sender, "octocat");
    ASSERT_STR_EQ(ev.commit_message, "Fix \"x\"\n\nbody");
    al_opt_layer_init(&l, AL_SRC_EVENT);
    ASSERT_OK(al_gha_event_to_layer(&ev, &l));
    ASSERT_STR_EQ(l.val[AL_OPT_VERSION], "v1.2.0");
    ASSERT_STR_EQ(l.val[AL_OPT_CONFIRMATION], "rollback");
    al_opt_layer_clean_up(&l);
    al_gha_event_clean_up(&ev);
    f = fopen(path, "w");
    fputs("{\"inputs\": ", f);
    fclose(f);
    ASSERT_FAILS(al_gha_event_load(path, &ev));
    ASSERT_CONTAINS(al_error_last()->msg, "event.json:1:");
    al_gha_event_clean_up(&ev);
    ASSERT_OK(al_gha_event_load("/nonexistent/event.json", &ev));
    ASSERT(ev.sender == NULL);
    unlink(path);
    rmdir(dir);
    free(dir);
}
