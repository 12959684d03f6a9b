/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/mime.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Sorted by extension for bsearch. */
static const struct {
    const char *ext;
    const char *type;
} s_types[] = {
    { "avif", "image/avif" },
    { "bmp", "image/bmp" },
    { "br", "application/x-br" },
    { "cjs", "text/javascript; charset=utf-8" },
    { "css", "text/css; charset=utf-8" },
    { "csv", "text/csv; charset=utf-8" },
    { "eot", "application/vnd.ms-fontobject" },
    { "gif", "image/gif" },
    { "gz", "application/gzip" },
    { "htm", "text/html; charset=utf-8" },
    { "html", "text/html; charset=utf-8" },
    { "ico", "image/vnd.microsoft.icon" },
    { "jpeg", "image/jpeg" },
    { "jpg", "image/jpeg" },
    { "js", "text/javascript; charset=utf-8" },
    { "json", "application/json; charset=utf-8" },
    { "jsonld", "application/ld+json; charset=utf-8" },
    { "map", "application/json; charset=utf-8" },
    { "md", "text/markdown; charset=utf-8" },
    { "mjs", "text/javascript; charset=utf-8" },
    { "mp3", "audio/mpeg" },
    { "mp4", "video/mp4" },
    { "ogg", "audio/ogg" },
    { "otf", "font/otf" },
    { "pdf", "application/pdf" },
    { "png", "image/png" },
    { "svg", "image/svg+xml; charset=utf-8" },
    { "ttf", "font/ttf" },
    { "txt", "text/plain; charset=utf-8" },
    { "wasm", "application/wasm" },
    { "wav", "audio/wav" },
    { "webm", "video/webm" },
    { "webmanifest", "application/manifest+json; charset=utf-8" },
    { "webp", "image/webp" },
    { "woff", "font/woff" },
    { "woff2", "font/woff2" },
    { "xml", "application/xml; charset=utf-8" },
    { "zip", "application/zip" },
};

const char *al_mime_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    size_t lo = 0, hi = sizeof(s_types) / sizeof(s_types[0]);
    if (!dot || !dot[1])
        return "application/octet-stream";
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcasecmp(dot + 1, s_types[mid].ext);
        if (c == 0)
            return s_types[mid].type;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return "application/octet-stream";
}
