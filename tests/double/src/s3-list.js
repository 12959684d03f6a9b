'use strict';
// ListObjectsV2 / ListObjects: S3 key order (UTF-8 bytes), prefix,
// delimiter + CommonPrefixes, pagination, encoding-type=url.

const { AwsError } = require('./errors');
const { el, raw, DECL } = require('./xml');
const { NS } = require('./errors');
const { isoDate } = require('./util');

// Code-point order, which equals UTF-8 byte order (what S3 sorts by).
function cmpKeys(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs === ys) return x - y;
      return xs ? 1 : -1; // a surrogate pair is a code point above U+FFFF
    }
  }
  return a.length - b.length;
}

function sortedKeys(bucket) {
  if (!bucket.sorted) bucket.sorted = [...bucket.objects.keys()].sort(cmpKeys);
  return bucket.sorted;
}

// First index whose key is > after (or >= from).
function lowerBound(keys, target, inclusive) {
  let lo = 0; let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = cmpKeys(keys[mid], target);
    if (c < 0 || (!inclusive && c === 0)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Walks the keys. `after`: exclusive marker; when it names a common prefix
// (skipPrefix) everything under it is skipped too.
function walk(bucket, { prefix, delimiter, after, skipPrefix, maxKeys }) {
  const keys = sortedKeys(bucket);
  let i = 0;
  if (after !== null && after !== undefined && cmpKeys(after, prefix) >= 0) i = lowerBound(keys, after, false);
  else i = lowerBound(keys, prefix, true);
  const contents = [];
  const prefixes = [];
  let lastCp = skipPrefix || null;
  let truncated = false;
  let last = null;
  let count = 0;
  for (; i < keys.length; i++) {
    const k = keys[i];
    if (!k.startsWith(prefix)) {
      if (cmpKeys(k, prefix) > 0) break;
      continue;
    }
    if (lastCp && k.startsWith(lastCp)) continue;
    if (delimiter) {
      const j = k.indexOf(delimiter, prefix.length);
      if (j >= 0) {
        const cp = k.slice(0, j + delimiter.length);
        if (count >= maxKeys) { truncated = true; break; }
        prefixes.push(cp);
        lastCp = cp;
        last = { marker: cp, cp: true };
        count++;
        continue;
      }
    }
    if (count >= maxKeys) { truncated = true; break; }
    contents.push(k);
    last = { marker: k, cp: false };
    count++;
  }
  return { contents, prefixes, truncated, last };
}

// S3's encoding-type=url: query-escape with '/' and '*' kept, '~' encoded
// and space as '+' (clients decode with unquote_plus).
function s3UrlEncode(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.*/]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function parseMaxKeys(v) {
  if (v === undefined) return 1000;
  if (!/^\d+$/.test(v) || Number(v) > 2147483647) {
    throw new AwsError(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: v });
  }
  return Math.min(Number(v), 1000);
}

function encodingOf(q) {
  const e = q['encoding-type'];
  if (e === undefined) return null;
  if (e !== 'url') throw new AwsError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: e });
  return e;
}

function contentsXml(bucket, keys, enc, fetchOwner) {
  return keys.map((k) => {
    const o = bucket.objects.get(k);
    const owner = fetchOwner ? '<Owner><ID>double-owner</ID><DisplayName>double</DisplayName></Owner>' : '';
    const alg = o.checksum ? el('ChecksumAlgorithm', o.checksum.alg.toUpperCase()) + el('ChecksumType', 'FULL_OBJECT') : '';
    return `<Contents>${el('Key', enc(k))}${el('LastModified', isoDate(o.lastModified))}${el('ETag', o.etag)}${alg}${el('Size', o.size)}${owner}${el('StorageClass', 'STANDARD')}</Contents>`;
  }).join('');
}

function str(v) { return Array.isArray(v) ? v[v.length - 1] : v; }

function listObjectsV2(ctx, bucket) {
  const q = ctx.query;
  const maxKeys = parseMaxKeys(str(q['max-keys']));
  const encType = encodingOf(q);
  const enc = encType ? s3UrlEncode : (s) => s;
  const prefix = str(q.prefix) || '';
  const delimiter = str(q.delimiter) || '';
  const startAfter = str(q['start-after']);
  const token = str(q['continuation-token']);
  let after = startAfter;
  let skipPrefix = null;
  if (token !== undefined) {
    const t = decodeToken(token, bucket.name);
    after = t.marker;
    if (t.cp) skipPrefix = t.marker;
  }
  const r = walk(bucket, { prefix, delimiter, after, skipPrefix, maxKeys });
  const next = r.truncated && r.last ? encodeToken(r.last, bucket.name) : null;
  const xml = DECL + `<ListBucketResult xmlns="${NS.s3}">${el('Name', bucket.name)}${el('Prefix', enc(prefix))}`
    + (token !== undefined ? el('ContinuationToken', token) : '')
    + (next ? el('NextContinuationToken', next) : '')
    + el('KeyCount', r.contents.length + r.prefixes.length)
    + el('MaxKeys', maxKeys)
    + (delimiter ? el('Delimiter', enc(delimiter)) : '')
    + (encType ? el('EncodingType', encType) : '')
    + (startAfter !== undefined ? el('StartAfter', enc(startAfter)) : '')
    + el('IsTruncated', r.truncated ? 'true' : 'false')
    + contentsXml(bucket, r.contents, enc, q['fetch-owner'] === 'true')
    + r.prefixes.map((p) => raw('CommonPrefixes', el('Prefix', enc(p)))).join('')
    + '</ListBucketResult>';
  ctx.sendXml(200, xml);
}

// Version 1 (marker / NextMarker), kept for older clients.
function listObjectsV1(ctx, bucket) {
  const q = ctx.query;
  const maxKeys = parseMaxKeys(str(q['max-keys']));
  const encType = encodingOf(q);
  const enc = encType ? s3UrlEncode : (s) => s;
  const prefix = str(q.prefix) || '';
  const delimiter = str(q.delimiter) || '';
  const marker = str(q.marker);
  let skipPrefix = null;
  if (marker && delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter) && marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length) skipPrefix = marker;
  const r = walk(bucket, { prefix, delimiter, after: marker, skipPrefix, maxKeys });
  const xml = DECL + `<ListBucketResult xmlns="${NS.s3}">${el('Name', bucket.name)}${el('Prefix', enc(prefix))}${el('Marker', enc(marker || ''))}`
    + (r.truncated && delimiter && r.last ? el('NextMarker', enc(r.last.marker)) : '')
    + el('MaxKeys', maxKeys)
    + (delimiter ? el('Delimiter', enc(delimiter)) : '')
    + (encType ? el('EncodingType', encType) : '')
    + el('IsTruncated', r.truncated ? 'true' : 'false')
    + contentsXml(bucket, r.contents, enc, true)
    + r.prefixes.map((p) => raw('CommonPrefixes', el('Prefix', enc(p)))).join('')
    + '</ListBucketResult>';
  ctx.sendXml(200, xml);
}

// Opaque to clients, as S3's are; tied to the bucket so a token from one
// listing is refused by another.
function encodeToken(last, bucketName) {
  return Buffer.from(JSON.stringify({ b: bucketName, m: last.marker, c: last.cp ? 1 : 0 })).toString('base64');
}
function decodeToken(token, bucketName) {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (t.b !== bucketName || typeof t.m !== 'string') throw new Error('bad');
    return { marker: t.m, cp: !!t.c };
  } catch {
    throw new AwsError(400, 'InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  }
}

module.exports = { listObjectsV2, listObjectsV1, cmpKeys, sortedKeys, s3UrlEncode };
