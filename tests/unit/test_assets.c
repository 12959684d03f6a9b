/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asset packaging: the deterministic zip (same bytes whatever the times and
 * location, sorted entries, 1980 dates, modes, dotfiles, symlinks only
 * inside), read back with minizip's reader, and al_asset_package's hashes.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <minizip/unzip.h>

#include "deploy/asset_zip.h"
#include "deploy/assets.h"

static void s_write(const char *dir, const char *rel, const char *content, mode_t mode)
{
    char path[2048];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    if (!(f = fopen(path, "w")))
        return;
    fputs(content, f);
    fclose(f);
    chmod(path, mode);
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
    if (dir)
        nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static time_t s_touch_time;

static int s_touch_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    struct timespec ts[2] = { { s_touch_time, 0 }, { s_touch_time, 0 } };
    (void)st;
    (void)flag;
    (void)ftw;
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

/* Sets every time under dir to t, as `touch -d` would. */
static void s_touch_all(const char *dir, time_t t)
{
    s_touch_time = t;
    nftw(dir, s_touch_one, 16, FTW_PHYS);
}

/* The tree an asset directory might hold, written in a scrambled order. */
static void s_make_tree(const char *dir)
{
    char path[2048];
    s_write(dir, "z-last.txt", "last\n", 0644);
    s_write(dir, "lib/util.js", "module.exports = 1;\n", 0644);
    s_write(dir, "bin/run", "#!/bin/sh\necho run\n", 0755);
    s_write(dir, ".env.defaults", "A=1\n", 0600);
    s_write(dir, "index.js", "exports.handler = async () => 'hi';\n", 0644);
    s_write(dir, "lib-extra.js", "x", 0644);
    s_write(dir, "empty.txt", "", 0644);
    s_write(dir, "caf\xC3\xA9.txt", "utf8 name", 0644);
    s_write(dir, ".hidden/inner.txt", "in a dot folder", 0644);
    snprintf(path, sizeof(path), "%s/empty-dir", dir);
    mkdir(path, 0755);
    /* Symlinks that stay inside: to a file and to a folder. */
    snprintf(path, sizeof(path), "%s/link-to-index.js", dir);
    if (symlink("index.js", path) != 0)
        return;
    snprintf(path, sizeof(path), "%s/lib-link", dir);
    if (symlink("lib", path) != 0)
        return;
}

static unsigned char *s_slurp(const char *path, size_t *n)
{
    return (unsigned char *)al_test_read_file(path, n);
}

static bool s_same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *da = s_slurp(a, &na), *db = s_slurp(b, &nb);
    bool same = da && db && na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}

TEST(zip_is_deterministic_across_times_and_locations)
{
    char *base = al_test_tmpdir();
    char src[4200], copy[4200], z1[4200], z2[4200], z3[4200], z4[4200];
    uint64_t n = 0;

    snprintf(src, sizeof(src), "%s/src", base);
    snprintf(copy, sizeof(copy), "%s/elsewhere/deeper/copy", base);
    snprintf(z1, sizeof(z1), "%s/1.zip", base);
    snprintf(z2, sizeof(z2), "%s/2.zip", base);
    snprintf(z3, sizeof(z3), "%s/3.zip", base);
    snprintf(z4, sizeof(z4), "%s/4.zip", base);
    mkdir(src, 0755);
    s_make_tree(src);
    s_touch_all(src, 1700000000);
    ASSERT_OK(al_zip_dir(src, z1, &n));
    ASSERT_INT_EQ(n, 11); /* 9 files, the symlinked file and lib-link/util.js */
    ASSERT_OK(al_zip_dir(src, z2, NULL));
    ASSERT(s_same_file(z1, z2));
    /* New times on every file and folder change nothing. */
    s_touch_all(src, 1800000000);
    ASSERT_OK(al_zip_dir(src, z3, NULL));
    ASSERT(s_same_file(z1, z3));
    /* The same tree written elsewhere, at another time and in another order. */
    snprintf(z4, sizeof(z4), "%s/elsewhere", base);
    mkdir(z4, 0755);
    snprintf(z4, sizeof(z4), "%s/elsewhere/deeper", base);
    mkdir(z4, 0755);
    mkdir(copy, 0755);
    s_make_tree(copy);
    s_touch_all(copy, 1600000000);
    snprintf(z4, sizeof(z4), "%s/4.zip", base);
    ASSERT_OK(al_zip_dir(copy, z4, NULL));
    ASSERT(s_same_file(z1, z4));
    s_rm_rf(base);
    free(base);
}

TEST(zip_entries_sorted_dated_1980_with_modes)
{
    static const struct {
        const char *name;
        unsigned mode;
        const char *content;
    } want[] = {
        { ".env.defaults", 0100600, "A=1\n" },
        { ".hidden/inner.txt", 0100644, "in a dot folder" },
        { "bin/run", 0100755, "#!/bin/sh\necho run\n" },
        { "caf\xC3\xA9.txt", 0100644, "utf8 name" },
        { "empty.txt", 0100644, "" },
        { "index.js", 0100644, "exports.handler = async () => 'hi';\n" },
        { "lib-extra.js", 0100644, "x" },
        { "lib-link/util.js", 0100644, "module.exports = 1;\n" },
        { "lib/util.js", 0100644, "module.exports = 1;\n" },
        { "link-to-index.js", 0100644, "exports.handler = async () => 'hi';\n" },
        { "z-last.txt", 0100644, "last\n" },
    };
    char *base = al_test_tmpdir();
    char src[4200], zip[4200];
    unzFile uf = NULL;
    size_t i = 0;
    int r;

    snprintf(src, sizeof(src), "%s/src", base);
    snprintf(zip, sizeof(zip), "%s/a.zip", base);
    mkdir(src, 0755);
    s_make_tree(src);
    ASSERT_OK(al_zip_dir(src, zip, NULL));
    uf = unzOpen64(zip);
    ASSERT(uf != NULL);
    for (r = unzGoToFirstFile(uf); r == UNZ_OK; r = unzGoToNextFile(uf), i++) {
        unz_file_info64 fi;
        char name[512], data[256];
        int got;
        ASSERT(unzGetCurrentFileInfo64(uf, &fi, name, sizeof(name), NULL, 0, NULL, 0) == UNZ_OK);
        ASSERT(i < sizeof(want) / sizeof(want[0]));
        ASSERT_STR_EQ(name, want[i].name);
        ASSERT_INT_EQ(fi.dosDate, AL_ZIP_DOS_EPOCH); /* 1980-01-01 00:00:00 */
        ASSERT_INT_EQ(fi.tmu_date.tm_year, 1980);
        ASSERT_INT_EQ(fi.tmu_date.tm_mon, 0);
        ASSERT_INT_EQ(fi.tmu_date.tm_mday, 1);
        ASSERT_INT_EQ(fi.external_fa >> 16, want[i].mode);
        ASSERT_INT_EQ(fi.version >> 8, 3); /* made on Unix */
        ASSERT_INT_EQ(fi.compression_method, Z_DEFLATED);
        ASSERT_INT_EQ(fi.size_file_extra, 0);
        ASSERT_INT_EQ((fi.flag & 0x800) != 0, strcmp(name, "caf\xC3\xA9.txt") == 0);
        ASSERT(unzOpenCurrentFile(uf) == UNZ_OK);
        got = unzReadCurrentFile(uf, data, sizeof(data) - 1);
        ASSERT(got >= 0);
        data[got] = '\0';
        ASSERT_STR_EQ(data, want[i].content);
        ASSERT(unzCloseCurrentFile(uf) == UNZ_OK); /* checks the CRC */
    }
    ASSERT_INT_EQ(r, UNZ_END_OF_LIST_OF_FILE);
    ASSERT_INT_EQ(i, sizeof(want) / sizeof(want[0]));
    unzClose(uf);
    s_rm_rf(base);
    free(base);
}

TEST(zip_refuses_symlinks_leading_out)
{
    char *base = al_test_tmpdir();
    char src[4200], zip[4200], link[4400];
    struct stat st;

    snprintf(src, sizeof(src), "%s/src", base);
    snprintf(zip, sizeof(zip), "%s/a.zip", base);
    mkdir(src, 0755);
    s_write(base, "secret.txt", "not for the bucket", 0644);
    s_write(src, "index.js", "x", 0644);
    snprintf(link, sizeof(link), "%s/leak", src);
    ASSERT(symlink("../secret.txt", link) == 0);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "'leak'");
    ASSERT_CONTAINS(al_error_last()->msg, "points outside the asset directory");
    ASSERT(stat(zip, &st) != 0); /* nothing left behind */

    /* A folder symlink out, a broken one, and a loop back to an ancestor. */
    unlink(link);
    ASSERT(symlink("/etc", link) == 0);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "points outside");
    unlink(link);
    ASSERT(symlink("nowhere", link) == 0);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "is broken");
    unlink(link);
    snprintf(link, sizeof(link), "%s/sub/loop", src);
    s_write(src, "sub/f", "f", 0644);
    ASSERT(symlink("..", link) == 0);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "symlink loop");
    unlink(link);
    /* A FIFO is no file to zip. */
    snprintf(link, sizeof(link), "%s/fifo", src);
    ASSERT(mkfifo(link, 0644) == 0);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "not a regular file or directory");
    unlink(link);
    ASSERT_OK(al_zip_dir(src, zip, NULL));
    s_rm_rf(base);
    free(base);
}

TEST(zip_of_an_empty_directory)
{
    char *base = al_test_tmpdir();
    char src[4200], zip[4200];
    struct stat st;
    uint64_t n = 7;

    snprintf(src, sizeof(src), "%s/src", base);
    snprintf(zip, sizeof(zip), "%s/a.zip", base);
    mkdir(src, 0755);
    ASSERT_OK(al_zip_dir(src, zip, &n));
    ASSERT_INT_EQ(n, 0);
    ASSERT(stat(zip, &st) == 0);
    ASSERT_INT_EQ(st.st_size, 22);            /* the end-of-central-directory record only */
    ASSERT_FAILS(al_zip_dir(zip, zip, NULL)); /* not a directory */
    snprintf(zip, sizeof(zip), "%s/src/self.zip", base);
    ASSERT_FAILS(al_zip_dir(src, zip, NULL));
    ASSERT_CONTAINS(al_error_last()->msg, "inside the directory it zips");
    s_rm_rf(base);
    free(base);
}

TEST(asset_package_file_and_zip)
{
    char *base = al_test_tmpdir();
    char src[4200], file[4200], work[4200], zip_path[4200];
    struct al_asm_file_asset as;
    struct al_asset_package p, q;
    struct stat st;
    uint8_t sha[AL_SHA256_LEN];
    char sha_hex[AL_SHA256_HEX_LEN + 1];

    snprintf(src, sizeof(src), "%s/asset.abc", base);
    snprintf(file, sizeof(file), "%s/T.template.json", base);
    snprintf(work, sizeof(work), "%s/work", base);
    mkdir(src, 0755);
    mkdir(work, 0755);
    s_write(base, "T.template.json", "hello", 0644);
    s_write(src, "index.js", "exports.handler = 1;\n", 0644);

    /* `file`: the path as is, hashed. */
    memset(&as, 0, sizeof(as));
    as.id = "tpl";
    as.source_path = file;
    ASSERT_OK(al_asset_package(&as, work, &p));
    ASSERT_STR_EQ(p.path, file);
    ASSERT(!p.temporary);
    ASSERT_INT_EQ(p.size, 5);
    ASSERT_STR_EQ(p.md5_hex, "5d41402abc4b2a76b9719d911017c592");
    ASSERT_STR_EQ(p.sha256_hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    ASSERT_STR_EQ(p.content_type, "application/json; charset=utf-8");
    al_asset_package_clean_up(&p);
    ASSERT(stat(file, &st) == 0); /* never removed */

    /* `zip`: a new zip under work, hashed; the same bytes the second time. */
    as.id = "abc";
    as.source_path = src;
    as.zip = true;
    ASSERT_OK(al_asset_package(&as, work, &p));
    ASSERT(p.temporary);
    ASSERT(al_str_prefix(p.path, work));
    ASSERT(al_str_suffix(p.path, ".zip"));
    ASSERT_STR_EQ(p.content_type, "application/zip");
    ASSERT(stat(p.path, &st) == 0);
    ASSERT_INT_EQ(p.size, st.st_size);
    ASSERT_OK(al_hash_file(p.path, NULL, sha, NULL));
    al_hex(sha, AL_SHA256_LEN, sha_hex);
    ASSERT_STR_EQ(p.sha256_hex, sha_hex);
    ASSERT_OK(al_asset_package(&as, work, &q));
    ASSERT(strcmp(p.path, q.path) != 0);
    ASSERT_STR_EQ(p.sha256_hex, q.sha256_hex);
    ASSERT_STR_EQ(p.md5_hex, q.md5_hex);
    snprintf(zip_path, sizeof(zip_path), "%s", p.path);
    al_asset_package_clean_up(&p);
    al_asset_package_clean_up(&q);
    ASSERT(stat(zip_path, &st) != 0); /* the temporary zip is removed */

    /* Refusals leave nothing behind. */
    as.source_path = file; /* zip of a file */
    ASSERT_FAILS(al_asset_package(&as, work, &p));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "asset 'abc'");
    ASSERT(p.path == NULL);
    as.zip = false;
    as.source_path = src; /* file that is a folder */
    ASSERT_FAILS(al_asset_package(&as, work, &p));
    ASSERT_CONTAINS(al_error_last()->msg, "not a regular file");
    /* Nothing is left in work. */
    {
        DIR *d = opendir(work);
        struct dirent *de;
        int left = 0;
        ASSERT(d != NULL);
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                left++;
        closedir(d);
        ASSERT_INT_EQ(left, 0);
    }
    s_rm_rf(base);
    free(base);
}
