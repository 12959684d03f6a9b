/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/secret.h"

static struct al_test *s_head, *s_tail;
static bool s_failed, s_skipped;
static char s_skip_why[256];

void al_test_register(struct al_test *t)
{
    if (s_tail)
        s_tail->next = t;
    else
        s_head = t;
    s_tail = t;
}

void al_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    s_failed = true;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void al_test_skip(const char *why)
{
    s_skipped = true;
    snprintf(s_skip_why, sizeof(s_skip_why), "%s", why);
}

bool al_test_failed(void)
{
    return s_failed;
}

const char *al_test_data_dir(void)
{
    static char path[4096];
    const char *env = getenv("AIRLOCK_TESTDATA");
    struct stat st;
    snprintf(path, sizeof(path), "%s", env && *env ? env : "../shared/testdata");
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

char *al_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)n + 1);
        if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
            data[n] = '\0';
            if (len)
                *len = (size_t)n;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

/* The folders handed out, removed with everything in them when the run ends. */
static char *s_tmpdirs[512];
static size_t s_n_tmpdirs;

char *al_test_tmpdir(void)
{
    char tmpl[] = "/tmp/airlock-unit-XXXXXX";
    char *p = mkdtemp(tmpl);
    if (p && s_n_tmpdirs < sizeof(s_tmpdirs) / sizeof(s_tmpdirs[0]))
        s_tmpdirs[s_n_tmpdirs++] = strdup(p);
    return p ? strdup(p) : NULL;
}

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    for (struct al_test *t = s_head; t; t = t->next) {
        if (argc > 1 && !strstr(t->name, argv[1]))
            continue;
        s_failed = false;
        s_skipped = false;
        al_error_clear();
        al_secret_clear();
        t->fn();
        if (s_failed) {
            failed++;
            printf("FAIL %s\n", t->name);
        } else if (s_skipped) {
            skipped++;
            printf("SKIP %s (%s)\n", t->name, s_skip_why);
        } else {
            passed++;
            printf("ok   %s\n", t->name);
        }
        fflush(stdout);
    }
    for (size_t i = 0; i < s_n_tmpdirs; i++) {
        nftw(s_tmpdirs[i], s_rm, 16, FTW_DEPTH | FTW_PHYS);
        free(s_tmpdirs[i]);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
