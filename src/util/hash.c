/* SPDX-License-Identifier: Apache-2.0 */
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int s_digest(const EVP_MD *md, const void *data, size_t n, uint8_t *out)
{
    unsigned int len = 0;
    if (!EVP_Digest(data, n, out, &len, md, NULL))
        return al_raise(AL_ERR_INTERNAL, "digest failed");
    return 0;
}

int al_sha256(const void *data, size_t n, uint8_t out[AL_SHA256_LEN])
{
    return s_digest(EVP_sha256(), data, n, out);
}

int al_md5(const void *data, size_t n, uint8_t out[AL_MD5_LEN])
{
    return s_digest(EVP_md5(), data, n, out);
}

int al_hmac_sha256(const void *key,
                   size_t key_len,
                   const void *data,
                   size_t n,
                   uint8_t out[AL_SHA256_LEN])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len))
        return al_raise(AL_ERR_INTERNAL, "HMAC failed");
    return 0;
}

void al_hex(const uint8_t *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int al_base64(struct al_buf *out, const void *data, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        char q[4] = { tbl[p[i] >> 2],
                      tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                      tbl[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)],
                      tbl[p[i + 2] & 63] };
        if (al_buf_append(out, q, 4))
            return -1;
    }
    if (i < n) {
        char q[4] = { tbl[p[i] >> 2], '=', '=', '=' };
        if (i + 1 < n) {
            q[1] = tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
            q[2] = tbl[(p[i + 1] & 15) << 2];
        } else {
            q[1] = tbl[(p[i] & 3) << 4];
        }
        if (al_buf_append(out, q, 4))
            return -1;
    }
    return 0;
}

static int s_b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int al_base64_decode(struct al_buf *out, const char *s, size_t n)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v;
        if (s[i] == '=')
            break;
        v = s_b64val(s[i]);
        if (v < 0)
            return al_raise(AL_ERR_PARSE, "malformed base64");
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (al_buf_putc(out, (char)((acc >> bits) & 0xFF)))
                return -1;
        }
    }
    return 0;
}

struct al_hasher {
    EVP_MD_CTX *md5;
    EVP_MD_CTX *sha;
};

struct al_hasher *al_hasher_new(int want_md5, int want_sha256)
{
    struct al_hasher *h = calloc(1, sizeof(*h));
    if (!h)
        goto on_error;
    if (want_md5 && (!(h->md5 = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->md5, EVP_md5(), NULL)))
        goto on_error;
    if (want_sha256 &&
        (!(h->sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL)))
        goto on_error;
    return h;
on_error:
    al_hasher_free(h);
    al_raise(AL_ERR_NOMEM, "cannot create digest context");
    return NULL;
}

int al_hasher_update(struct al_hasher *h, const void *data, size_t n)
{
    if ((h->md5 && !EVP_DigestUpdate(h->md5, data, n)) ||
        (h->sha && !EVP_DigestUpdate(h->sha, data, n)))
        return al_raise(AL_ERR_INTERNAL, "digest update failed");
    return 0;
}

int al_hasher_final(struct al_hasher *h, uint8_t md5[AL_MD5_LEN], uint8_t sha256[AL_SHA256_LEN])
{
    unsigned int len = 0;
    if ((h->md5 && md5 && !EVP_DigestFinal_ex(h->md5, md5, &len)) ||
        (h->sha && sha256 && !EVP_DigestFinal_ex(h->sha, sha256, &len)))
        return al_raise(AL_ERR_INTERNAL, "digest final failed");
    return 0;
}

void al_hasher_free(struct al_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md5);
    EVP_MD_CTX_free(h->sha);
    free(h);
}

int al_hasher_reset(struct al_hasher *h)
{
    /* A NULL type reuses the context's already fetched digest. */
    if ((h->md5 && !EVP_DigestInit_ex(h->md5, NULL, NULL)) ||
        (h->sha && !EVP_DigestInit_ex(h->sha, NULL, NULL)))
        return al_raise(AL_ERR_INTERNAL, "digest reset failed");
    return 0;
}

int al_hash_file_with(struct al_hasher *h,
                      void *buf,
                      size_t cap,
                      const char *path,
                      uint8_t *md5,
                      uint8_t *sha256,
                      uint64_t *size_out)
{
    int rc = -1;
    uint64_t total = 0;
    int fd;

    if (al_hasher_reset(h))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return al_raise(AL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            al_raise(AL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (al_hasher_update(h, buf, (size_t)n))
            goto cleanup;
        total += (uint64_t)n;
    }
    if (al_hasher_final(h, md5, sha256))
        goto cleanup;
    if (size_out)
        *size_out = total;
    rc = 0;
cleanup:
    close(fd);
    return rc;
}

int al_hash_file(const char *path, uint8_t *md5, uint8_t *sha256, uint64_t *size_out)
{
    enum { CHUNK = 256 * 1024 };
    int rc = -1;
    char *chunk = NULL;
    struct al_hasher *h = al_hasher_new(md5 != NULL, sha256 != NULL);

    if (!h)
        goto cleanup;
    if (!(chunk = malloc(CHUNK))) {
        al_raise(AL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    rc = al_hash_file_with(h, chunk, CHUNK, path, md5, sha256, size_out);
cleanup:
    free(chunk);
    al_hasher_free(h);
    return rc;
}
