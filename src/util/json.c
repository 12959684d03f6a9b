/* SPDX-License-Identifier: Apache-2.0 */
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

json_t *al_json_parse(const char *text, size_t n, const char *name, int code)
{
    json_error_t e;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
    if (!root) {
        al_raise((enum al_err_code)code, "%s:%d:%d: %s", name, e.line, e.column, e.text);
        return NULL;
    }
    return root;
}

char *al_file_read(const char *path, size_t max, size_t *len_out)
{
    struct stat st;
    char *data = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        al_raise(AL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        al_raise(AL_ERR_IO, "%s is not a regular file", path);
        goto on_error;
    }
    if ((uint64_t)st.st_size > max) {
        al_raise(AL_ERR_LIMIT,
                 "%s is %lld bytes; the limit is %zu bytes",
                 path,
                 (long long)st.st_size,
                 max);
        goto on_error;
    }
    if (!(data = malloc((size_t)st.st_size + 1))) {
        al_raise(AL_ERR_NOMEM, "out of memory reading %s", path);
        goto on_error;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            al_raise(AL_ERR_IO, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
            goto on_error;
        }
        got += (size_t)r;
    }
    data[got] = '\0';
    close(fd);
    if (len_out)
        *len_out = got;
    return data;
on_error:
    free(data);
    close(fd);
    return NULL;
}

int al_file_append(const char *path, const void *data, size_t n, const char *what)
{
    size_t off = 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return al_raise(AL_ERR_IO, "cannot open %s %s: %s", what, path, strerror(errno));
    while (off < n) {
        ssize_t w = write(fd, (const char *)data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            al_raise(AL_ERR_IO, "cannot write %s %s: %s", what, path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

const char *al_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
