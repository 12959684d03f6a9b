/* SPDX-License-Identifier: Apache-2.0 */
#include "deploy/release_manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/str.h"

#define AL_KEY_MAX 1024u

bool al_release_version_valid(const char *s)
{
    size_t n;
    if (!s)
        return false;
    n = strlen(s);
    if (n == 0 || n > AL_VERSION_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '+' && c != '-')))
            return false;
    }
    return true;
}

void al_release_init(struct al_release *r)
{
    memset(r, 0, sizeof(*r));
}

void al_release_clean_up(struct al_release *r)
{
    if (!r)
        return;
    free(r->version);
    free(r->commit);
    free(r->actor);
    free(r->run_url);
    free(r->environment);
    free(r->status);
    free(r->previous);
    for (size_t i = 0; i < r->n_stacks; i++) {
        free(r->stacks[i].name);
        free(r->stacks[i].deploy_role_arn);
        free(r->stacks[i].region);
        json_decref(r->stacks[i].parameters);
        json_decref(r->stacks[i].outputs);
    }
    free(r->stacks);
    free(r->bucket);
    free(r->prefix);
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i].key);
    free(r->files);
    free(r->site_locs);
    al_strv_clean_up(&r->strings);
    al_strv_clean_up(&r->packs);
    al_release_init(r);
}

/* Sorted, so a lookup is a binary search and the insertion point falls out of it. */
static const char *s_intern(struct al_strv *v, const char *s, size_t cap, const char *what)
{
    size_t lo = 0, hi = v->len;
    char *copy;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s, v->items[mid]);
        if (c == 0)
            return v->items[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (v->len >= cap) {
        al_raise(AL_ERR_LIMIT, "a release holds more than %zu distinct %s", cap, what);
        return NULL;
    }
    if (al_strv_push(v, s))
        return NULL;
    copy = v->items[v->len - 1];
    memmove(&v->items[lo + 1], &v->items[lo], (v->len - 1 - lo) * sizeof(char *));
    v->items[lo] = copy;
    return copy;
}

const char *al_release_intern(struct al_release *r, const char *s)
{
    return s_intern(&r->strings, s, AL_RELEASE_MAX_STRINGS, "content types and cache controls");
}

bool al_release_id_valid(const char *name)
{
    if (!name || strlen(name) != AL_PACK_NAME_LEN)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *al_release_intern_pack(struct al_release *r, const char *name)
{
    if (!al_release_id_valid(name)) {
        al_raise(AL_ERR_PARSE, "'%.40s' is not a pack name", name ? name : "");
        return NULL;
    }
    /* At most one pack a file. */
    return s_intern(&r->packs, name, AL_SITE_MAX_FILES, "packs");
}

size_t al_release_n_files(const struct al_release *r)
{
    return r->site ? r->site->len : r->n_files;
}

/*
 * One manifest line: {"key":..,"sha256":..,"size":..,"contentType":..,
 * "cacheControl":..[,"pack":..,"at":..]}.
 */
static json_t *s_file_json(const struct al_release *r, size_t i)
{
    const char *key, *sha, *ct, *cc;
    uint64_t size;
    struct al_release_loc loc = { NULL, 0 };
    json_t *o;
    if (r->site) {
        const struct al_site_file *f = &r->site->files[i];
        key = f->key, sha = f->sha256_hex, size = f->size;
        ct = f->content_type, cc = f->cache_control;
        if (r->site_locs)
            loc = r->site_locs[i];
    } else {
        const struct al_release_file *f = &r->files[i];
        key = f->key, sha = f->sha256, size = f->size;
        ct = f->content_type, cc = f->cache_control;
        loc = f->loc;
    }
    o = json_pack("{s:s, s:s, s:I, s:s, s:s}",
                  "key",
                  key,
                  "sha256",
                  sha,
                  "size",
                  (json_int_t)size,
                  "contentType",
                  ct,
                  "cacheControl",
                  cc);
    if (o && loc.pack &&
        (json_object_set_new(o, "pack", json_string(loc.pack)) ||
         json_object_set_new(o, "at", json_integer((json_int_t)loc.at)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *s_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *s_time(time_t t)
{
    char iso[21];
    al_clock_iso8601(t, iso);
    return json_string(iso);
}

/* The manifest without its files: "site" (when present) is the last member. */
static json_t *s_header(const struct al_release *r)
{
    json_t *root, *stacks = json_array();
    for (size_t i = 0; stacks && i < r->n_stacks; i++) {
        const struct al_release_stack *s = &r->stacks[i];
        json_t *params = s->parameters ? json_incref(s->parameters) : json_object();
        json_t *outs = s->outputs ? json_incref(s->outputs) : json_object();
        if (json_array_append_new(stacks,
                                  json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?}",
                                            "name",
                                            s->name,
                                            "templateSha256",
                                            s->template_sha256,
                                            "parameters",
                                            params,
                                            "outputs",
                                            outs,
                                            "deployRoleArn",
                                            s->deploy_role_arn,
                                            "region",
                                            s->region))) {
            json_decref(stacks);
            return NULL;
        }
    }
    root = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "schema",
                     AL_RELEASE_SCHEMA,
                     "version",
                     s_str(r->version),
                     "commit",
                     s_str(r->commit),
                     "time",
                     s_time(r->time),
                     "actor",
                     s_str(r->actor),
                     "runUrl",
                     s_str(r->run_url),
                     "environment",
                     s_str(r->environment),
                     "status",
                     s_str(r->status),
                     "previous",
                     s_str(r->previous),
                     "stacks",
                     stacks);
    if (root && r->record[0] && json_object_set_new(root, "record", json_string(r->record))) {
        json_decref(root);
        return NULL;
    }
    if (root && r->bucket &&
        json_object_set_new(
          root,
          "site",
          json_pack("{s:s, s:s}", "bucket", r->bucket, "prefix", r->prefix ? r->prefix : ""))) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int al_release_write(const struct al_release *r, FILE *out)
{
    json_t *root = s_header(r), *o = NULL;
    char *head = NULL;
    size_t n, n_files = al_release_n_files(r);
    int rc = -1;

    if (!root || !(head = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        al_raise(AL_ERR_NOMEM, "cannot build the release manifest");
        goto cleanup;
    }
    n = strlen(head);
    if (!r->bucket) {
        if (fwrite(head, 1, n, out) != n || fputc('\n', out) == EOF)
            goto io;
        rc = 0;
        goto cleanup;
    }
    /* "...,"site":{"bucket":..,"prefix":..}}": the files go before the last two braces. */
    if (fwrite(head, 1, n - 2, out) != n - 2 || fputs(",\"files\":[\n", out) == EOF)
        goto io;
    for (size_t i = 0; i < n_files; i++) {
        if (!(o = s_file_json(r, i))) {
            al_raise(AL_ERR_NOMEM, "cannot build the release manifest");
            goto cleanup;
        }
        if (json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
            fputs(i + 1 < n_files ? ",\n" : "\n", out) == EOF)
            goto io;
        json_decref(o);
        o = NULL;
    }
    if (fputs("]}}\n", out) == EOF)
        goto io;
    rc = 0;
    goto cleanup;
io:
    al_raise(AL_ERR_IO, "cannot write the release manifest: %s", strerror(errno));
cleanup:
    json_decref(o);
    json_decref(root);
    free(head);
    return rc;
}

char *al_release_to_json(const struct al_release *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        al_raise(AL_ERR_NOMEM, "cannot serialise the release manifest");
        return NULL;
    }
    if (al_release_write(r, f)) {
        fclose(f);
        free(text);
        return NULL;
    }
    if (fclose(f)) {
        free(text);
        al_raise(AL_ERR_NOMEM, "cannot serialise the release manifest");
        return NULL;
    }
    return text;
}

/* Field readers: each raises AL_ERR_PARSE naming the manifest and the field. */
static int s_get_str(const json_t *o, const char *key, const char *name, bool required, char **out)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return al_raise(AL_ERR_PARSE, "%s: field '%s' is missing", name, key);
        return 0;
    }
    if (!json_is_string(v))
        return al_raise(AL_ERR_PARSE, "%s: field '%s' must be text", name, key);
    if (!al_utf8_valid(json_string_value(v), json_string_length(v)) ||
        strlen(json_string_value(v)) != json_string_length(v))
        return al_raise(AL_ERR_PARSE, "%s: field '%s' is not UTF-8 text", name, key);
    return al_str_set(out, json_string_value(v));
}

/* The optional "record" id into out ("" when absent). */
static int s_get_record(const json_t *o, const char *name, char out[AL_RECORD_ID_LEN + 1])
{
    char *v = NULL;
    out[0] = '\0';
    if (s_get_str(o, "record", name, false, &v))
        return -1;
    if (v && !al_release_id_valid(v)) {
        free(v);
        return al_raise(AL_ERR_PARSE, "%s: 'record' is not a record id", name);
    }
    if (v)
        memcpy(out, v, AL_RECORD_ID_LEN + 1);
    free(v);
    return 0;
}

static bool s_is_sha256(const char *s)
{
    if (!s || strlen(s) != AL_SHA256_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* A key restored by rollback: bounded, UTF-8, no control characters, no '..' segment. */
static bool s_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > AL_KEY_MAX || !al_utf8_valid(k, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
            return false;
    for (const char *p = k; p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p = slash ? slash + 1 : NULL;
    }
    return true;
}

static int s_string_map(const json_t *v, const char *name, const char *field, json_t **out)
{
    const char *k;
    json_t *val;
    if (!v || json_is_null(v)) {
        *out = json_object();
        return 0;
    }
    if (!json_is_object(v))
        return al_raise(AL_ERR_PARSE, "%s: %s must be an object", name, field);
    json_object_foreach((json_t *)v, k, val)
    {
        if (!json_is_string(val))
            return al_raise(AL_ERR_PARSE, "%s: %s.%.100s must be text", name, field, k);
    }
    *out = json_incref((json_t *)v);
    return 0;
}

static int s_read_stacks(const json_t *arr, const char *name, struct al_release *r)
{
    size_t i;
    json_t *s;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return al_raise(AL_ERR_PARSE, "%s: 'stacks' must be a list", name);
    if (json_array_size(arr) > 1000)
        return al_raise(AL_ERR_PARSE, "%s: more than 1000 stacks", name);
    if (!(r->stacks = calloc(json_array_size(arr) + 1, sizeof(*r->stacks))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    json_array_foreach(arr, i, s)
    {
        struct al_release_stack *st = &r->stacks[r->n_stacks++];
        char *sha = NULL;
        int bad;
        if (!json_is_object(s))
            return al_raise(AL_ERR_PARSE, "%s: stacks[%zu] must be an object", name, i);
        if (s_get_str(s, "name", name, true, &st->name) ||
            s_get_str(s, "templateSha256", name, true, &sha) ||
            s_get_str(s, "deployRoleArn", name, false, &st->deploy_role_arn) ||
            s_get_str(s, "region", name, false, &st->region)) {
            free(sha);
            return -1;
        }
        bad = !s_is_sha256(sha);
        if (!bad)
            memcpy(st->template_sha256, sha, AL_SHA256_HEX_LEN + 1);
        free(sha);
        if (bad)
            return al_raise(
              AL_ERR_PARSE, "%s: stacks[%zu].templateSha256 is not a SHA-256", name, i);
        if (s_string_map(json_object_get(s, "parameters"), name, "parameters", &st->parameters) ||
            s_string_map(json_object_get(s, "outputs"), name, "outputs", &st->outputs))
            return -1;
    }
    return 0;
}

/* Reads site.files[i] (an object) into rf, its strings interned in r. */
static int s_read_file(const json_t *f,
                       const char *name,
                       size_t i,
                       struct al_release *r,
                       struct al_release_file *rf)
{
    const json_t *size = json_object_get(f, "size"), *at = json_object_get(f, "at");
    char *sha = NULL, *ct = NULL, *cc = NULL, *pack = NULL;
    int rc = -1;
    if (!json_is_object(f))
        return al_raise(AL_ERR_PARSE, "%s: site.files[%zu] must be an object", name, i);
    if (s_get_str(f, "key", name, true, &rf->key) || s_get_str(f, "sha256", name, true, &sha) ||
        s_get_str(f, "contentType", name, true, &ct) ||
        s_get_str(f, "cacheControl", name, true, &cc) || s_get_str(f, "pack", name, false, &pack))
        goto cleanup;
    if (!s_is_sha256(sha)) {
        al_raise(AL_ERR_PARSE, "%s: site.files[%zu].sha256 is not a SHA-256", name, i);
        goto cleanup;
    }
    memcpy(rf->sha256, sha, AL_SHA256_HEX_LEN + 1);
    if (!s_key_ok(rf->key)) {
        al_raise(AL_ERR_PARSE, "%s: site.files[%zu].key is not a safe S3 key", name, i);
        goto cleanup;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        al_raise(AL_ERR_PARSE, "%s: site.files[%zu].size must be a byte count", name, i);
        goto cleanup;
    }
    rf->size = (uint64_t)json_integer_value(size);
    if (!(rf->content_type = al_release_intern(r, ct)) ||
        !(rf->cache_control = al_release_intern(r, cc)))
        goto cleanup;
    if (pack) {
        if (!al_release_id_valid(pack) || !json_is_integer(at) || json_integer_value(at) < 0) {
            al_raise(
              AL_ERR_PARSE, "%s: site.files[%zu] has a bad pack location (pack, at)", name, i);
            goto cleanup;
        }
        rf->loc.at = (uint64_t)json_integer_value(at);
        if (!(rf->loc.pack = al_release_intern_pack(r, pack)))
            goto cleanup;
    } else if (at) {
        al_raise(AL_ERR_PARSE, "%s: site.files[%zu].at without a pack", name, i);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(sha);
    free(ct);
    free(cc);
    free(pack);
    return rc;
}

static int s_read_site(const json_t *site, const char *name, struct al_release *r)
{
    const json_t *files;
    json_t *f;
    size_t i;
    if (!site || json_is_null(site))
        return 0;
    if (!json_is_object(site))
        return al_raise(AL_ERR_PARSE, "%s: 'site' must be an object", name);
    if (s_get_str(site, "bucket", name, true, &r->bucket) ||
        s_get_str(site, "prefix", name, false, &r->prefix))
        return -1;
    files = json_object_get(site, "files");
    if (!json_is_array(files))
        return al_raise(AL_ERR_PARSE, "%s: site.files must be a list", name);
    if (!(r->files = calloc(json_array_size(files) + 1, sizeof(*r->files))))
        return al_raise(AL_ERR_NOMEM, "out of memory");
    json_array_foreach(files, i, f)
    {
        if (s_read_file(f, name, i, r, &r->files[r->n_files++]))
            return -1;
    }
    return 0;
}

int al_release_from_json(const char *text, size_t n, const char *name, struct al_release *r)
{
    json_t *root;
    char *t = NULL;
    int rc = -1;

    if (n > AL_RELEASE_MAX_BYTES)
        return al_raise(AL_ERR_PARSE, "%s is over the %u-byte limit", name, AL_RELEASE_MAX_BYTES);
    if (!(root = al_json_parse(text, n, name, AL_ERR_PARSE)))
        return -1;
    if (!json_is_object(root)) {
        al_raise(AL_ERR_PARSE, "%s: a release manifest is a JSON object", name);
        goto cleanup;
    }
    if (json_integer_value(json_object_get(root, "schema")) != AL_RELEASE_SCHEMA) {
        al_raise(AL_ERR_PARSE,
                 "%s: unknown manifest schema (this airlock reads schema %d)",
                 name,
                 AL_RELEASE_SCHEMA);
        goto cleanup;
    }
    if (s_get_record(root, name, r->record) ||
        s_get_str(root, "version", name, true, &r->version) ||
        s_get_str(root, "commit", name, false, &r->commit) ||
        s_get_str(root, "actor", name, false, &r->actor) ||
        s_get_str(root, "runUrl", name, false, &r->run_url) ||
        s_get_str(root, "environment", name, false, &r->environment) ||
        s_get_str(root, "status", name, false, &r->status) ||
        s_get_str(root, "previous", name, false, &r->previous) ||
        s_get_str(root, "time", name, true, &t))
        goto cleanup;
    if (!al_release_version_valid(r->version)) {
        al_raise(AL_ERR_PARSE, "%s: 'version' is not a valid release version", name);
        goto cleanup;
    }
    if (r->previous && !al_release_version_valid(r->previous)) {
        al_raise(AL_ERR_PARSE, "%s: 'previous' is not a valid release version", name);
        goto cleanup;
    }
    if (al_clock_parse(t, &r->time)) {
        al_raise(AL_ERR_PARSE, "%s: 'time' is not an ISO 8601 time", name);
        goto cleanup;
    }
    if (s_read_stacks(json_object_get(root, "stacks"), name, r) ||
        s_read_site(json_object_get(root, "site"), name, r))
        goto cleanup;
    rc = 0;
cleanup:
    free(t);
    json_decref(root);
    return rc;
}

/* Reads one line of f into line, without its '\n'. @return 1 (a line), 0 (end), -1 (raised). */
static int s_line(FILE *f, const char *name, struct al_buf *line)
{
    int c;
    al_buf_reset(line);
    /* f is this thread's own: no stdio lock per byte (glibc takes one once threads exist). */
    while ((c = getc_unlocked(f)) != EOF && c != '\n')
        if (al_buf_putc(line, (char)c))
            return al_raise_context("%s: a line is over %u bytes", name, AL_RELEASE_MAX_LINE);
    if (ferror(f))
        return al_raise(AL_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    return c == EOF && line->len == 0 ? 0 : 1;
}

/* The layout of another writer: the whole text as one document. */
static int s_read_whole(FILE *f, const char *name, struct al_release *r)
{
    struct al_buf text;
    char chunk[8192];
    size_t n;
    int rc = -1;
    al_buf_init(&text, AL_RELEASE_MAX_BYTES);
    rewind(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (al_buf_append(&text, chunk, n)) {
            al_raise_context("%s is over the %u-byte limit", name, AL_RELEASE_MAX_BYTES);
            goto cleanup;
        }
    if (ferror(f)) {
        al_raise(AL_ERR_IO, "cannot read %s: %s", name, strerror(errno));
        goto cleanup;
    }
    rc = al_release_from_json(text.data ? text.data : "", text.len, name, r);
cleanup:
    al_buf_clean_up(&text);
    return rc;
}

/* Appends the file entry on one line of the streamed layout. */
static int s_read_file_line(const struct al_buf *line,
                            const char *name,
                            size_t lineno,
                            size_t *cap,
                            struct al_release *r)
{
    char where[300];
    json_t *o;
    int rc;
    if (r->n_files == *cap) {
        size_t n = *cap * 2;
        struct al_release_file *p = realloc(r->files, n * sizeof(*p));
        if (!p)
            return al_raise(AL_ERR_NOMEM, "out of memory");
        memset(p + *cap, 0, (n - *cap) * sizeof(*p));
        r->files = p;
        *cap = n;
    }
    snprintf(where, sizeof(where), "%s line %zu", name, lineno);
    if (!(o = al_json_parse(al_buf_str(line), line->len, where, AL_ERR_PARSE)))
        return -1;
    rc = s_read_file(o, name, r->n_files, r, &r->files[r->n_files]);
    r->n_files++; /* its key, read or not, is freed with r */
    json_decref(o);
    return rc;
}

int al_release_read(FILE *f, const char *name, struct al_release *r)
{
    static const char open_files[] = "\"files\":[", close_all[] = "]}}";
    struct al_buf line;
    size_t lineno = 1, cap = 1;
    bool comma = true; /* the previous entry ended with ',' */
    int got, rc = -1;

    al_buf_init(&line, AL_RELEASE_MAX_LINE);
    if ((got = s_line(f, name, &line)) < 0)
        goto cleanup;
    if (got == 0 || !al_str_suffix(al_buf_str(&line), open_files)) {
        rc = s_read_whole(f, name, r);
        goto cleanup;
    }
    /* The header: the first line, its file list closed empty. */
    if (al_buf_puts(&line, close_all) || al_release_from_json(line.data, line.len, name, r))
        goto cleanup;
    /* The open list must have been site.files (read empty so far, one slot allocated). */
    if (!r->bucket || !r->files || r->n_files) {
        al_raise(AL_ERR_PARSE, "%s: the first line does not end in the site's file list", name);
        goto cleanup;
    }
    for (;;) {
        lineno++;
        if ((got = s_line(f, name, &line)) < 0)
            goto cleanup;
        if (got == 0) {
            al_raise(AL_ERR_PARSE, "%s ends inside site.files (cut short?)", name);
            goto cleanup;
        }
        if (strcmp(al_buf_str(&line), close_all) == 0)
            break;
        if (!comma) {
            al_raise(AL_ERR_PARSE, "%s line %zu: a ',' is missing before it", name, lineno);
            goto cleanup;
        }
        comma = line.len && line.data[line.len - 1] == ',';
        if (comma)
            line.data[--line.len] = '\0';
        if (s_read_file_line(&line, name, lineno, &cap, r))
            goto cleanup;
    }
    if (comma && r->n_files) {
        al_raise(AL_ERR_PARSE, "%s line %zu: a ',' ends the last file", name, lineno - 1);
        goto cleanup;
    }
    if ((got = s_line(f, name, &line)) != 0) {
        if (got > 0)
            al_raise(AL_ERR_PARSE, "%s: text after the end of the manifest", name);
        goto cleanup;
    }
    rc = 0;
cleanup:
    al_buf_clean_up(&line);
    return rc;
}

char *al_release_current_to_json(const struct al_release_current *c)
{
    json_t *o = json_pack("{s:o, s:o, s:o}",
                          "version",
                          s_str(c->version),
                          "previous",
                          s_str(c->previous),
                          "time",
                          s_time(c->time));
    if (o && c->dirty)
        json_object_set_new(o, "dirty", json_true());
    if (o && c->record[0])
        json_object_set_new(o, "record", json_string(c->record));
    char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        al_raise(AL_ERR_NOMEM, "cannot serialise current.json");
    return text;
}

int al_release_current_from_json(const char *text,
                                 size_t n,
                                 const char *name,
                                 struct al_release_current *c)
{
    json_t *root = al_json_parse(text, n, name, AL_ERR_PARSE);
    char *t = NULL;
    int rc = -1;
    memset(c, 0, sizeof(*c));
    if (!root)
        return -1;
    if (!json_is_object(root)) {
        al_raise(AL_ERR_PARSE, "%s must be a JSON object", name);
        goto cleanup;
    }
    if (s_get_record(root, name, c->record) ||
        s_get_str(root, "version", name, true, &c->version) ||
        s_get_str(root, "previous", name, false, &c->previous) ||
        s_get_str(root, "time", name, true, &t))
        goto cleanup;
    c->dirty = json_is_true(json_object_get(root, "dirty"));
    if (!al_release_version_valid(c->version) ||
        (c->previous && !al_release_version_valid(c->previous)) || al_clock_parse(t, &c->time)) {
        al_raise(AL_ERR_PARSE, "%s: invalid version or time", name);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(t);
    json_decref(root);
    return rc;
}

void al_release_current_clean_up(struct al_release_current *c)
{
    if (!c)
        return;
    free(c->version);
    free(c->previous);
    memset(c, 0, sizeof(*c));
}
