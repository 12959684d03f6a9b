/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int s_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int al_dir_list(const char *dir, struct al_strv *names)
{
    struct dirent *de;
    size_t first = names->len;
    int rc = -1;
    DIR *d = opendir(dir);
    if (!d)
        return al_raise(AL_ERR_IO, "cannot open directory %s: %s", dir, strerror(errno));
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
