/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

static int s_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists d into names and closes d. */
static int s_list(DIR *d, const char *dir, struct al_strv *names)
{
    struct dirent *de;
    size_t first = names->len;
    int rc = -1;
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (al_strv_push(names, de->d_name))
            goto cleanup;
    }
    if (errno) {
        al_raise(AL_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    if (names->len - first > 1)
        qsort(names->items + first, names->len - first, sizeof(char *), s_cmp_names);
    rc = 0;
cleanup:
    closedir(d);
    return rc;
}

int al_dir_list(const char *dir, struct al_strv *names)
{
    DIR *d = opendir(dir);
    if (!d)
        return al_raise(AL_ERR_IO, "cannot open directory %s: %s", dir, strerror(errno));
    return s_list(d, dir, names);
}

int al_dir_list_fd(int fd, const char *dir, struct al_strv *names)
{
    /* fdopendir takes the descriptor it is given: give it a copy. */
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = own >= 0 ? fdopendir(own) : NULL;
    if (!d) {
        al_raise(AL_ERR_IO, "cannot open directory %s: %s", dir, strerror(errno));
        if (own >= 0)
            close(own);
        return -1;
    }
    return s_list(d, dir, names);
}

const char *al_temp_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

int al_temp_file(const char *what, char path[PATH_MAX])
{
    int n = snprintf(path, PATH_MAX, "%s/airlock-%s-XXXXXX", al_temp_dir(), what);
    int fd = n > 0 && n < PATH_MAX ? mkstemp(path) : -1;
    if (fd < 0)
        return al_raise(AL_ERR_IO,
                        "cannot create a temporary file in %.200s: %s (set TMPDIR to a writable "
                        "folder)",
                        al_temp_dir(),
                        n > 0 && n < PATH_MAX ? strerror(errno) : "name too long");
    return fd;
}
