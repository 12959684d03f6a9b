/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/secret.h"
#include "util/str.h"

TEST(buf_cap_is_enforced)
{
    struct al_buf b;
    al_buf_init(&b, 8);
    ASSERT_OK(al_buf_puts(&b, "12345678"));
    ASSERT_FAILS(al_buf_putc(&b, 'x'));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    ASSERT_STR_EQ(al_buf_str(&b), "12345678");
    al_buf_clean_up(&b);
}

TEST(buf_printf_grows)
{
    struct al_buf b;
    al_buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        ASSERT_OK(al_buf_printf(&b, "%d,", i));
    ASSERT(b.len > 3000);
    ASSERT(al_str_prefix(b.data, "0,1,2,"));
    al_buf_clean_up(&b);
}

TEST(str_trim_and_lists)
{
    struct al_strv v;
    char *t = al_str_trim("  \t a b \r\n");
    ASSERT_STR_EQ(t, "a b");
    free(t);
    al_strv_init(&v);
    ASSERT_OK(al_strv_split_list(&v, " one, two\nthree ,,\n four "));
    ASSERT_INT_EQ(v.len, 4);
    ASSERT_STR_EQ(v.items[0], "one");
    ASSERT_STR_EQ(v.items[3], "four");
    al_strv_clean_up(&v);
}

/* A borrowed list holds the strings themselves (ASan reports a free of them) and refuses owned
 * ones. */
TEST(strv_borrowed_items_are_not_copied_or_freed)
{
    struct al_strv v, owned;
    char keys[2][8] = { "a/b.js", "index" };
    al_strv_init(&v);
    al_strv_init(&owned);
    ASSERT_OK(al_strv_push_ref(&v, keys[0]));
    ASSERT_OK(al_strv_push_ref(&v, keys[1]));
    ASSERT(v.items[0] == keys[0] && v.items[1] == keys[1]);
    ASSERT_FAILS(al_strv_push(&v, "copy"));
    ASSERT_INT_EQ(v.len, 2);
    al_strv_clean_up(&v);
    ASSERT_OK(al_strv_push(&owned, "x"));
    ASSERT_FAILS(al_strv_push_ref(&owned, keys[0]));
    al_strv_clean_up(&owned);
}

TEST(temp_files_go_to_tmpdir_and_name_it_when_they_cannot)
{
    char *dir = al_test_tmpdir();
    char path[PATH_MAX], missing[PATH_MAX];
    int fd;
    ASSERT(dir != NULL);
    setenv("TMPDIR", dir, 1);
    fd = al_temp_file("release", path);
    ASSERT(fd >= 0);
    close(fd);
    ASSERT(strncmp(path, dir, strlen(dir)) == 0);
    ASSERT_CONTAINS(path, "/airlock-release-");
    unlink(path);
    snprintf(missing, sizeof(missing), "%s/none", dir);
    setenv("TMPDIR", missing, 1);
    ASSERT_FAILS(al_temp_file("release", path));
    ASSERT_CONTAINS(al_error_last()->msg, "/none");
    ASSERT_CONTAINS(al_error_last()->msg, "set TMPDIR");
    unsetenv("TMPDIR");
    rmdir(dir);
    free(dir);
}

TEST(uri_encode_is_sigv4_style)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_uri_encode(&b, "a b/c~d+e=\xE1\x88\xB4", 13, false));
    ASSERT_STR_EQ(b.data, "a%20b%2Fc~d%2Be%3D%E1%88%B4");
    al_buf_reset(&b);
    ASSERT_OK(al_uri_encode(&b, "dir/x y", 7, true));
    ASSERT_STR_EQ(b.data, "dir/x%20y");
    al_buf_reset(&b);
    ASSERT_OK(al_uri_decode(&b, "a+b%2Fc", 7, true));
    ASSERT_STR_EQ(b.data, "a b/c");
    ASSERT_FAILS(al_uri_decode(&b, "%4", 2, false));
    al_buf_clean_up(&b);
}

TEST(utf8_validation)
{
    ASSERT(al_utf8_valid("h\xC3\xA9llo", 6));
    ASSERT(!al_utf8_valid("\xC0\xAF", 2));     /* overlong '/' */
    ASSERT(!al_utf8_valid("\xED\xA0\x80", 3)); /* surrogate */
    ASSERT(!al_utf8_valid("\xFF", 1));
}

TEST(hash_known_answers)
{
    uint8_t d[AL_SHA256_LEN];
    char hex[65];
    struct al_buf b;
    ASSERT_OK(al_sha256("", 0, d));
    al_hex(d, AL_SHA256_LEN, hex);
    ASSERT_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_OK(al_md5("abc", 3, d));
    al_hex(d, AL_MD5_LEN, hex);
    ASSERT_STR_EQ(hex, "900150983cd24fb0d6963f7d28e17f72");
    al_buf_init(&b, 256);
    ASSERT_OK(al_base64(&b, "hello", 5));
    ASSERT_STR_EQ(b.data, "aGVsbG8=");
    al_buf_reset(&b);
    ASSERT_OK(al_base64_decode(&b, "aGVsbG8=", 8));
    ASSERT_STR_EQ(b.data, "hello");
    al_buf_clean_up(&b);
}

TEST(clock_formats_and_parses)
{
    time_t t;
    char iso[21], amz[17];
    ASSERT_OK(al_clock_parse("2015-08-30T12:36:00Z", &t));
    ASSERT_INT_EQ(t, 1440938160);
    al_clock_iso8601(t, iso);
    al_clock_amz(t, amz);
    ASSERT_STR_EQ(iso, "2015-08-30T12:36:00Z");
    ASSERT_STR_EQ(amz, "20150830T123600Z");
    ASSERT_OK(al_clock_parse("2014-10-24T23:00:23.123Z", &t));
    ASSERT_OK(al_clock_parse("Sun, 30 Aug 2015 12:36:00 GMT", &t));
    ASSERT_INT_EQ(t, 1440938160);
    ASSERT_FAILS(al_clock_parse("yesterday", &t));
    al_clock_pin(1000);
    al_clock_set_skew(20);
    ASSERT_INT_EQ(al_clock_now(), 1020);
    al_clock_pin(0);
    al_clock_set_skew(0);
}

TEST(secret_redaction)
{
    struct al_buf b;
    al_buf_init(&b, 1024);
    ASSERT_OK(al_secret_add("s3cr3tvalue"));
    ASSERT_OK(al_secret_add("abc")); /* too short: ignored */
    ASSERT_OK(al_secret_redact(&b, "key=s3cr3tvalue abc", 19));
    ASSERT_STR_EQ(b.data, "key=*** abc");
    ASSERT(al_secret_contains("xs3cr3tvaluex"));
    al_buf_clean_up(&b);
}

static struct al_buf s_masked;
static void s_mask_hook(const char *value)
{
    al_buf_puts(&s_masked, value);
    al_buf_putc(&s_masked, '|');
}

TEST(secret_multiline_lines_redacted_alone)
{
    const char *key =
      "-----BEGIN KEY-----\r\nMIIEvQIBADAN\r\nab\r\nBgkqhkiG9w0B\n-----END KEY-----\n";
    const char *log = "got MIIEvQIBADAN and BgkqhkiG9w0B; ab stays";
    struct al_buf b;
    al_buf_init(&b, 4096);
    ASSERT_OK(al_secret_add(key));
    ASSERT_OK(al_secret_redact(&b, log, strlen(log)));
    ASSERT_STR_EQ(b.data, "got *** and ***; ab stays"); /* a 2-byte line is not a secret */
    al_buf_reset(&b);
    ASSERT_OK(al_secret_redact(&b, key, strlen(key)));
    ASSERT_STR_EQ(b.data, "***"); /* the whole value still goes as one */
    ASSERT(al_secret_contains("x -----END KEY----- x"));
    al_buf_clean_up(&b);
}

TEST(secret_multiline_hook_gets_lines_only)
{
    al_buf_init(&s_masked, 4096);
    al_secret_set_hook(s_mask_hook);
    ASSERT_OK(al_secret_add("single-line-secret"));
    ASSERT_OK(al_secret_add("line-one\r\nab\n\nline-two\rline-three\n"));
    ASSERT_OK(al_secret_add("line-one\nline-four")); /* line-one was announced already */
    al_secret_set_hook(NULL);
    ASSERT_STR_EQ(al_buf_str(&s_masked),
                  "single-line-secret|line-one|line-two|line-three|line-four|");
    ASSERT(!strchr(al_buf_str(&s_masked), '\r') && !strchr(al_buf_str(&s_masked), '\n'));
    al_buf_clean_up(&s_masked);
}

TEST(secret_room_for_several_pem_keys)
{
    struct al_buf pem, b;
    al_buf_init(&pem, 8192);
    al_buf_init(&b, 1024);
    /* Four 32-line keys and a few single values: about 140 registrations. */
    for (int k = 0; k < 4; k++) {
        al_buf_reset(&pem);
        for (int i = 0; i < 32; i++)
            ASSERT_OK(al_buf_printf(&pem, "key%d-line%02d-AAAAAAAAAAAAAAAA\n", k, i));
        ASSERT_OK(al_secret_add(al_buf_str(&pem)));
    }
    ASSERT_OK(al_secret_add("AKIAEXAMPLEKEYID0000"));
    ASSERT_OK(al_secret_add("session-token-value"));
    ASSERT_OK(al_secret_redact(&b, "x key3-line31-AAAAAAAAAAAAAAAA y", 32));
    ASSERT_STR_EQ(b.data, "x *** y");
    al_buf_clean_up(&b);
    al_buf_clean_up(&pem);
}
