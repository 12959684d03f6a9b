/* SPDX-License-Identifier: Apache-2.0 */
/* Digests over OpenSSL EVP: SHA-256, MD5, HMAC-SHA-256; hex and base64. */
#ifndef AL_UTIL_HASH_H
#define AL_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define AL_SHA256_LEN 32
#define AL_MD5_LEN 16
#define AL_SHA256_HEX_LEN 64
#define AL_MD5_HEX_LEN 32

/** SHA-256 of n bytes into out. @return 0 or -1. */
int al_sha256(const void *data, size_t n, uint8_t out[AL_SHA256_LEN]);

/** MD5 of n bytes into out. @return 0 or -1. */
int al_md5(const void *data, size_t n, uint8_t out[AL_MD5_LEN]);

/** HMAC-SHA-256. @return 0 or -1. */
int al_hmac_sha256(const void *key,
                   size_t key_len,
                   const void *data,
                   size_t n,
                   uint8_t out[AL_SHA256_LEN]);

/** Lowercase hex of n bytes into out, which must hold 2n+1 bytes. */
void al_hex(const uint8_t *in, size_t n, char *out);

/** Appends standard base64 (with padding) of n bytes to out. @return 0 or -1. */
int al_base64(struct al_buf *out, const void *data, size_t n);

/** Appends the decoded bytes of base64 text to out. @return 0, or -1 when malformed. */
int al_base64_decode(struct al_buf *out, const char *s, size_t n);

/** Streaming MD5 + SHA-256 (one pass over a file, for the sync). Opaque. */
struct al_hasher;

/** Returns a new hasher for the digests asked for; caller frees with al_hasher_free. */
struct al_hasher *al_hasher_new(int want_md5, int want_sha256);

/** Feeds n bytes. @return 0 or -1. */
int al_hasher_update(struct al_hasher *h, const void *data, size_t n);

/** Finishes; unrequested digests are left untouched. @return 0 or -1. */
int al_hasher_final(struct al_hasher *h, uint8_t md5[AL_MD5_LEN], uint8_t sha256[AL_SHA256_LEN]);

/**
 * Starts h over for new data, keeping its digests: cheaper than a new hasher
 * (OpenSSL 3 looks the algorithm up again for each new context). @return 0 or -1.
 */
int al_hasher_reset(struct al_hasher *h);

/** Frees h. NULL-safe. */
void al_hasher_free(struct al_hasher *h);

/**
 * Hashes a whole file in one streaming pass. md5 or sha256 may be NULL.
 * @param size_out receives the byte count (may be NULL)
 * @return 0, or -1 (AL_ERR_IO naming the path)
 */
int al_hash_file(const char *path, uint8_t *md5, uint8_t *sha256, uint64_t *size_out);

/**
 * al_hash_file with the caller's hasher (reset first, so it may be reused for
 * many files) and read buffer (buf, cap bytes; both borrowed), for hashing a
 * whole site without an allocation per file. Digests h was made without are
 * left untouched. @return 0, or -1 (AL_ERR_IO naming the path)
 */
int al_hash_file_with(struct al_hasher *h,
                      void *buf,
                      size_t cap,
                      const char *path,
                      uint8_t *md5,
                      uint8_t *sha256,
                      uint64_t *size_out);

#endif
