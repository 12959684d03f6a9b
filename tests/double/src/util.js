'use strict';
// Small helpers shared by every module: clock, ids, hashing, checksums.

const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { AwsCrc32c } = require('@aws-crypto/crc32c');
const { AwsCrc32 } = require('@aws-crypto/crc32');

// The double's clock. Tests shift it with faults.clockOffsetSeconds to make a
// client's clock look skewed; everything that AWS would date (Date header,
// skew check, credential expiry, timestamps in bodies) reads this clock.
const clock = {
  offsetMs: 0,
  now() { return Date.now() + this.offsetMs; },
  date() { return new Date(this.now()); },
};

// A float ms timestamp with sub-ms resolution for the call log.
const { performance } = require('node:perf_hooks');
function preciseNow() { return performance.timeOrigin + performance.now(); }

function randomId(alphabet, n) {
  const bytes = crypto.randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function requestId() { return randomId(UPPER_ALNUM, 16); }
function uuid() { return crypto.randomUUID(); }

function sha256Hex(data) { return crypto.createHash('sha256').update(data).digest('hex'); }
function md5Hex(data) { return crypto.createHash('md5').update(data).digest('hex'); }
function hmac(key, data) { return crypto.createHmac('sha256', key).update(data).digest(); }
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// The Sha256 constructor @smithy/signature-v4 wants (same contract as
// @smithy/hash-node): HMAC when given a secret, plain SHA-256 otherwise.
// Node's native crypto keeps signature checks cheap under load.
class Sha256 {
  constructor(secret) {
    this.h = secret !== undefined ? crypto.createHmac('sha256', toBuf(secret)) : crypto.createHash('sha256');
  }
  update(data) { this.h.update(toBuf(data)); }
  digest() { return Promise.resolve(new Uint8Array(this.h.digest())); }
}
function toBuf(d) {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (Buffer.isBuffer(d)) return d;
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

// Incremental checksums for the algorithms S3 accepts in x-amz-checksum-*.
// crc64nvme is accepted and stored but not verified (no fast JS implementation).
function makeChecksum(alg) {
  switch (alg) {
    case 'crc32': {
      // zlib.crc32 (node >= 20.15) is native and fast; older nodes use JS.
      if (typeof zlib.crc32 !== 'function') {
        const c = new AwsCrc32();
        return { update(b) { c.update(b); }, digestB64() { const o = Buffer.alloc(4); o.writeUInt32BE(c.digest() >>> 0); return o.toString('base64'); } };
      }
      let v = 0;
      return { update(b) { v = zlib.crc32(b, v); }, digestB64() { const o = Buffer.alloc(4); o.writeUInt32BE(v >>> 0); return o.toString('base64'); } };
    }
    case 'crc32c': {
      const c = new AwsCrc32c();
      return { update(b) { c.update(b); }, digestB64() { const o = Buffer.alloc(4); o.writeUInt32BE(c.digest() >>> 0); return o.toString('base64'); } };
    }
    case 'sha1': case 'sha256': {
      const h = crypto.createHash(alg);
      return { update(b) { h.update(b); }, digestB64() { return h.digest('base64'); } };
    }
    default: return null;
  }
}
const CHECKSUM_ALGS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'];
const CHECKSUM_LEN = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

function httpDate(ms) { return new Date(ms).toUTCString(); }
function isoDate(ms) { return new Date(ms).toISOString(); }
// S3 and the Query APIs print timestamps without sub-second noise in some
// places; AWS uses millisecond precision ("2024-01-01T00:00:00.000Z") for S3.
function isoSeconds(ms) { return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'); }

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

module.exports = {
  clock, preciseNow, randomId, UPPER_ALNUM, requestId, uuid,
  sha256Hex, md5Hex, hmac, EMPTY_SHA256, Sha256, toBuf,
  makeChecksum, CHECKSUM_ALGS, CHECKSUM_LEN, httpDate, isoDate, isoSeconds, sleep,
};
