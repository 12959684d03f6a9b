'use strict';
// S3, path-style (/bucket/key), rest-xml. Object bodies are on disk (see
// blobs.js); an object is a list of segments (one for PutObject, one per
// part for multipart) so nothing large is copied or held in memory.

const crypto = require('node:crypto');
const { AwsError, NS } = require('./errors');
const { el, raw, DECL, parseXml, text } = require('./xml');
const { planBody, receiveBody, receiveSmallBody, storedContentEncoding, storeBody } = require('./s3-body');
const { listObjectsV2, listObjectsV1 } = require('./s3-list');
const multipart = require('./s3-multipart');
const { clock, isoDate, httpDate, md5Hex } = require('./util');

const MAX_PUT_SIZE = 5 * 1024 ** 3;
const MAX_METADATA_BYTES = 2048;

// Routing needs only the method, path, query and headers, so the call log
// names the operation even for requests that fail authentication.
function prepare(ctx) {
  const req = ctx.req;
  const q = ctx.query;
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(ctx.rawPath);
  let bucket = null;
  let key = null;
  try {
    if (m) {
      bucket = decodeURIComponent(m[1]);
      if (m[2] !== undefined && m[2] !== '') key = decodeURIComponent(m[2]);
    }
  } catch {
    ctx.routeError = new AwsError(400, 'InvalidURI', "Couldn't parse the specified URI.", { URI: ctx.rawPath });
  }
  ctx.bucketName = bucket;
  ctx.key = key;
  ctx.call.bucket = bucket;
  ctx.call.key = key;
  const has = (n) => Object.prototype.hasOwnProperty.call(q, n);
  // SDK v3 adds ?x-id=<Operation> to some requests; S3 ignores it.
  const qkeys = Object.keys(q).filter((k) => k !== 'x-id');
  let op = 'Unknown';
  const method = req.method;
  if (bucket === null) {
    if (method === 'GET') op = 'ListBuckets';
  } else if (key === null) {
    if (method === 'GET') {
      if (q['list-type'] === '2') op = 'ListObjectsV2';
      else if (has('uploads')) op = 'ListMultipartUploads';
      else if (has('location')) op = 'GetBucketLocation';
      else if (has('versioning')) op = 'GetBucketVersioning';
      else if (has('encryption')) op = 'GetBucketEncryption';
      else if (!qkeys.some((k) => SUBRESOURCES.has(k))) op = 'ListObjects';
    } else if (method === 'HEAD') op = 'HeadBucket';
    else if (method === 'PUT' && qkeys.length === 0) op = 'CreateBucket';
    else if (method === 'DELETE' && qkeys.length === 0) op = 'DeleteBucket';
    else if (method === 'POST' && has('delete')) op = 'DeleteObjects';
  } else {
    const copy = req.headers['x-amz-copy-source'] !== undefined;
    if (method === 'PUT') {
      if (has('uploadId') && has('partNumber')) op = copy ? 'UploadPartCopy' : 'UploadPart';
      else if (qkeys.some((k) => SUBRESOURCES.has(k))) op = 'Unknown';
      else op = copy ? 'CopyObject' : 'PutObject';
    } else if (method === 'GET') op = has('uploadId') ? 'ListParts' : (qkeys.some((k) => SUBRESOURCES.has(k)) ? 'Unknown' : 'GetObject');
    else if (method === 'HEAD') op = 'HeadObject';
    else if (method === 'DELETE') op = has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    else if (method === 'POST') {
      if (has('uploads')) op = 'CreateMultipartUpload';
      else if (has('uploadId')) op = 'CompleteMultipartUpload';
    }
  }
  ctx.setOperation(op);
  if (op === 'Unknown' && !ctx.routeError) {
    ctx.routeError = new AwsError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
  }
  if (req.headers.authorization && req.headers['x-amz-content-sha256'] === undefined) {
    ctx.preAuthError = new AwsError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
}

// Sub-resources the double does not implement (ACLs, policies, ...).
const SUBRESOURCES = new Set(['acl', 'policy', 'cors', 'lifecycle', 'website', 'tagging', 'encryption', 'logging',
  'notification', 'replication', 'requestPayment', 'versions', 'accelerate', 'analytics', 'inventory', 'metrics',
  'ownershipControls', 'publicAccessBlock', 'policyStatus', 'object-lock', 'legal-hold', 'retention', 'torrent',
  'restore', 'select', 'attributes', 'intelligent-tiering']);

async function handle(ctx) {
  const fn = OPS[ctx.operation];
  return fn(ctx);
}

function needBucket(ctx) {
  const b = ctx.state.buckets.get(ctx.bucketName);
  if (!b) throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: ctx.bucketName });
  return b;
}

function noSuchKey(ctx) {
  return new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: ctx.key });
}

// Drains and checks a body that should be empty (GET/HEAD/DELETE/copy).
async function drain(ctx) {
  await receiveSmallBody(ctx, 1024 * 1024);
}

// Headers S3 keeps with an object, from a PUT, Copy(REPLACE) or CreateMultipartUpload.
function objectHeaders(ctx, plan) {
  const h = ctx.req.headers;
  const metadata = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith('x-amz-meta-')) {
      const k = name.slice('x-amz-meta-'.length);
      metadata[k] = value;
      metaBytes += Buffer.byteLength(k) + Buffer.byteLength(value);
    }
  }
  if (metaBytes > MAX_METADATA_BYTES) {
    throw new AwsError(400, 'MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', { Size: metaBytes, MaxSizeAllowed: MAX_METADATA_BYTES });
  }
  return {
    contentType: h['content-type'] || 'binary/octet-stream',
    cacheControl: h['cache-control'],
    contentDisposition: h['content-disposition'],
    contentEncoding: plan ? storedContentEncoding(plan, h['content-encoding']) : h['content-encoding'],
    contentLanguage: h['content-language'],
    expires: h.expires,
    websiteRedirectLocation: h['x-amz-website-redirect-location'],
    storageClass: h['x-amz-storage-class'] || 'STANDARD',
    metadata,
  };
}

function checkWritePreconditions(ctx, bucket) {
  const h = ctx.req.headers;
  const existing = bucket.objects.get(ctx.key);
  if (h['if-none-match'] !== undefined) {
    if (h['if-none-match'].trim() !== '*') throw new AwsError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
    if (existing) throw new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
  }
  if (h['if-match'] !== undefined) {
    if (!existing) throw noSuchKey(ctx);
    if (!etagMatches(h['if-match'], existing.etag)) throw new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  }
}

function etagMatches(header, etag) {
  const bare = etag.replace(/"/g, '');
  return header.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/"/g, '')).some((t) => t === '*' || t === bare);
}

function objectResponseHeaders(obj, { withChecksum } = {}) {
  const h = {
    'content-type': obj.contentType,
    etag: obj.etag,
    'last-modified': httpDate(obj.lastModified),
    'accept-ranges': 'bytes',
    'cache-control': obj.cacheControl,
    'content-disposition': obj.contentDisposition,
    'content-encoding': obj.contentEncoding,
    'content-language': obj.contentLanguage,
    expires: obj.expires,
    'x-amz-website-redirect-location': obj.websiteRedirectLocation,
    'x-amz-server-side-encryption': 'AES256',
  };
  if (obj.storageClass && obj.storageClass !== 'STANDARD') h['x-amz-storage-class'] = obj.storageClass;
  for (const [k, v] of Object.entries(obj.metadata || {})) h[`x-amz-meta-${k}`] = v;
  if (withChecksum && obj.checksum) h[`x-amz-checksum-${obj.checksum.alg}`] = obj.checksum.value;
  if (obj.partsCount) h['x-amz-mp-parts-count'] = String(obj.partsCount);
  return h;
}

async function putObject(ctx) {
  const bucket = needBucket(ctx);
  const h = ctx.req.headers;
  if (h['content-length'] !== undefined && Number(h['x-amz-decoded-content-length'] ?? h['content-length']) > MAX_PUT_SIZE) {
    throw new AwsError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  }
  const plan = planBody(ctx);
  const meta = objectHeaders(ctx, plan);
  checkWritePreconditions(ctx, bucket);
  const body = await receiveBody(ctx, plan, { toFile: true });
  const seg = storeBody(ctx.state, body);
  try {
    // Conditional writes are decided when the write commits: of two
    // concurrent If-None-Match: * creates, only the first wins.
    checkWritePreconditions(ctx, bucket);
  } catch (e) {
    ctx.state.blobs.release(seg);
    throw e;
  }
  if (ctx.state.buckets.get(bucket.name) !== bucket) { ctx.state.blobs.release(seg); needBucket(ctx); }
  const obj = {
    ...meta, size: body.size, md5: body.md5Hex, etag: `"${body.md5Hex}"`, sha256: body.sha256Hex,
    checksum: body.checksum, lastModified: clock.now(), segments: [seg],
  };
  ctx.state.putObject(bucket, ctx.key, obj);
  const headers = { etag: obj.etag, 'x-amz-server-side-encryption': 'AES256' };
  if (body.checksum) headers[`x-amz-checksum-${body.checksum.alg}`] = body.checksum.value;
  ctx.send(200, headers, null);
}

function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header || '').trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // ignored, as S3 ignores ranges it cannot parse
  let start; let end;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n); end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (start >= size || end < start) return 'unsatisfiable';
  }
  return { start, end };
}

// GET conditionals. Returns an HTTP status to answer with, or 0.
function readPreconditions(ctx, obj) {
  const h = ctx.req.headers;
  if (h['if-match'] !== undefined && !etagMatches(h['if-match'], obj.etag)) return 412;
  if (h['if-unmodified-since'] !== undefined && h['if-match'] === undefined) {
    const t = Date.parse(h['if-unmodified-since']);
    if (!isNaN(t) && Math.floor(obj.lastModified / 1000) * 1000 > t) return 412;
  }
  if (h['if-none-match'] !== undefined && etagMatches(h['if-none-match'], obj.etag)) return 304;
  if (h['if-modified-since'] !== undefined && h['if-none-match'] === undefined) {
    const t = Date.parse(h['if-modified-since']);
    if (!isNaN(t) && Math.floor(obj.lastModified / 1000) * 1000 <= t) return 304;
  }
  return 0;
}

async function getObject(ctx, head = false) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  const obj = bucket.objects.get(ctx.key);
  if (!obj) throw noSuchKey(ctx);
  const pre = readPreconditions(ctx, obj);
  if (pre === 412) throw new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  const headers = objectResponseHeaders(obj, { withChecksum: ctx.req.headers['x-amz-checksum-mode'] === 'ENABLED' });
  if (pre === 304) {
    ctx.send(304, { etag: obj.etag, 'last-modified': headers['last-modified'] }, null);
    return;
  }
  // response-* query parameters override headers (presigned downloads use them).
  for (const [q, h] of [['response-content-type', 'content-type'], ['response-cache-control', 'cache-control'],
    ['response-content-disposition', 'content-disposition'], ['response-content-encoding', 'content-encoding'],
    ['response-content-language', 'content-language'], ['response-expires', 'expires']]) {
    if (typeof ctx.query[q] === 'string') headers[h] = ctx.query[q];
  }
  let status = 200;
  let start = 0; let end = obj.size - 1;
  const range = ctx.req.headers.range !== undefined ? parseRange(ctx.req.headers.range, obj.size) : null;
  if (range === 'unsatisfiable') {
    throw new AwsError(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: ctx.req.headers.range, ActualObjectSize: obj.size });
  }
  if (range) {
    status = 206;
    ({ start, end } = range);
    headers['content-range'] = `bytes ${start}-${end}/${obj.size}`;
    delete headers[`x-amz-checksum-${obj.checksum && obj.checksum.alg}`];
  }
  headers['content-length'] = String(end - start + 1);
  if (head || ctx.req.method === 'HEAD') { ctx.send(status, headers, null); return; }
  ctx.send(status, headers, ctx.state.blobs.stream(obj.segments, start, end));
}

async function deleteObject(ctx) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  // Conditional deletes (If-Match: ETag) answer like conditional writes: 404 or 412.
  if (ctx.req.headers['if-match'] !== undefined) checkWritePreconditions(ctx, bucket);
  ctx.state.deleteObject(bucket, ctx.key);
  ctx.send(204, {}, null);
}

async function deleteObjects(ctx) {
  const bucket = needBucket(ctx);
  const body = await receiveSmallBody(ctx);
  if (!body.plan.md5 && !body.plan.checksum) {
    throw new AwsError(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
  }
  const doc = parseXml(body.buffer);
  if (!doc || !doc.Delete) throw malformedXml();
  const objects = doc.Delete.Object || [];
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = text(doc.Delete.Quiet) === 'true';
  let out = '';
  for (const o of objects) {
    const key = text(o.Key);
    if (key === undefined) throw malformedXml();
    // Real S3 reports a missing key as deleted too.
    ctx.state.deleteObject(bucket, key);
    if (!quiet) out += raw('Deleted', el('Key', key));
  }
  ctx.sendXml(200, DECL + `<DeleteResult xmlns="${NS.s3}">${out}</DeleteResult>`);
}

function malformedXml() {
  return new AwsError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}

// x-amz-copy-source: [/]bucket/url-encoded-key[?versionId=...]
function parseCopySource(v) {
  let s = v.trim();
  const qi = s.indexOf('?');
  if (qi >= 0) s = s.slice(0, qi);
  if (s.startsWith('/')) s = s.slice(1);
  const i = s.indexOf('/');
  if (i <= 0 || i === s.length - 1) return null;
  try {
    return { bucket: decodeURIComponent(s.slice(0, i)), key: decodeURIComponent(s.slice(i + 1)) };
  } catch { return null; }
}

async function copyObject(ctx) {
  await drain(ctx);
  const h = ctx.req.headers;
  const dest = needBucket(ctx);
  const src = parseCopySource(h['x-amz-copy-source']);
  if (!src) throw new AwsError(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: h['x-amz-copy-source'] });
  const sb = ctx.state.buckets.get(src.bucket);
  if (!sb) throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: src.bucket });
  const so = sb.objects.get(src.key);
  if (!so) throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: src.key });
  const directive = (h['x-amz-metadata-directive'] || 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new AwsError(400, 'InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: h['x-amz-metadata-directive'] });
  if (src.bucket === dest.name && src.key === ctx.key && directive === 'COPY' && !h['x-amz-storage-class'] && !h['x-amz-website-redirect-location']) {
    throw new AwsError(400, 'InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  // x-amz-copy-source-if-* conditions
  const fail = (c) => new AwsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: c });
  if (h['x-amz-copy-source-if-match'] !== undefined && !etagMatches(h['x-amz-copy-source-if-match'], so.etag)) throw fail('x-amz-copy-source-If-Match');
  if (h['x-amz-copy-source-if-none-match'] !== undefined && etagMatches(h['x-amz-copy-source-if-none-match'], so.etag)) throw fail('x-amz-copy-source-If-None-Match');
  if (so.size > MAX_PUT_SIZE) throw new AwsError(400, 'InvalidRequest', 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120');
  checkWritePreconditions(ctx, dest);
  const meta = directive === 'REPLACE' ? objectHeaders(ctx, null) : {
    contentType: so.contentType, cacheControl: so.cacheControl, contentDisposition: so.contentDisposition,
    contentEncoding: so.contentEncoding, contentLanguage: so.contentLanguage, expires: so.expires,
    websiteRedirectLocation: so.websiteRedirectLocation, storageClass: so.storageClass, metadata: { ...so.metadata },
  };
  if (h['x-amz-storage-class']) meta.storageClass = h['x-amz-storage-class'];
  // Hard links: the copy shares no mutable file with the source.
  const segments = [];
  for (const seg of so.segments) segments.push(await ctx.state.blobs.clone(seg));
  const obj = {
    ...meta, size: so.size, md5: so.md5, etag: `"${so.md5}"`, sha256: so.sha256,
    checksum: so.partsCount ? null : so.checksum, lastModified: clock.now(), segments,
  };
  ctx.state.putObject(dest, ctx.key, obj);
  ctx.sendXml(200, DECL + `<CopyObjectResult xmlns="${NS.s3}">${el('LastModified', isoDate(obj.lastModified))}${el('ETag', obj.etag)}</CopyObjectResult>`, { 'x-amz-server-side-encryption': 'AES256' });
}

async function listBuckets(ctx) {
  await drain(ctx);
  const items = [...ctx.state.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((b) => raw('Bucket', el('Name', b.name) + el('CreationDate', isoDate(b.created)))).join('');
  ctx.sendXml(200, DECL + `<ListAllMyBucketsResult xmlns="${NS.s3}"><Owner><ID>double-owner</ID><DisplayName>double</DisplayName></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`);
}

const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

async function createBucket(ctx) {
  const body = await receiveSmallBody(ctx);
  if (!BUCKET_NAME.test(ctx.bucketName) || ctx.bucketName.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(ctx.bucketName)) {
    throw new AwsError(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: ctx.bucketName });
  }
  let region = null;
  if (body.buffer.length) {
    const doc = parseXml(body.buffer);
    if (!doc || !doc.CreateBucketConfiguration) throw malformedXml();
    region = text(doc.CreateBucketConfiguration.LocationConstraint) || null;
  }
  if (ctx.state.buckets.has(ctx.bucketName)) {
    throw new AwsError(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: ctx.bucketName });
  }
  ctx.state.createBucket(ctx.bucketName, { region });
  ctx.send(200, { location: `/${ctx.bucketName}` }, null);
}

async function deleteBucket(ctx) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  if (bucket.objects.size) throw new AwsError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucket.name });
  ctx.state.buckets.delete(bucket.name);
  ctx.send(204, {}, null);
}

async function headBucket(ctx) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  ctx.send(200, { 'x-amz-bucket-region': bucket.region || ctx.auth.region }, null);
}

async function getBucketLocation(ctx) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  ctx.sendXml(200, DECL + `<LocationConstraint xmlns="${NS.s3}">${bucket.region ? bucket.region : ''}</LocationConstraint>`);
}

async function getBucketVersioning(ctx) {
  await drain(ctx);
  needBucket(ctx);
  ctx.sendXml(200, DECL + `<VersioningConfiguration xmlns="${NS.s3}"/>`);
}

// Buckets are encrypted with SSE-S3 by default, as new S3 buckets are.
async function getBucketEncryption(ctx) {
  await drain(ctx);
  needBucket(ctx);
  ctx.sendXml(200, DECL + `<ServerSideEncryptionConfiguration xmlns="${NS.s3}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`);
}

async function listV2(ctx) { await drain(ctx); listObjectsV2(ctx, needBucket(ctx)); }
async function listV1(ctx) { await drain(ctx); listObjectsV1(ctx, needBucket(ctx)); }

const OPS = {
  ListBuckets: listBuckets,
  ListObjectsV2: listV2,
  ListObjects: listV1,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  GetBucketEncryption: getBucketEncryption,
  HeadBucket: headBucket,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  GetObject: (ctx) => getObject(ctx, false),
  HeadObject: (ctx) => getObject(ctx, true),
  DeleteObject: deleteObject,
  CopyObject: copyObject,
  CreateMultipartUpload: (ctx) => multipart.create(ctx, { needBucket, objectHeaders, drain }),
  UploadPart: (ctx) => multipart.uploadPart(ctx, { needBucket }),
  UploadPartCopy: (ctx) => multipart.uploadPartCopy(ctx, { needBucket, parseCopySource, drain }),
  CompleteMultipartUpload: (ctx) => multipart.complete(ctx, { needBucket, checkWritePreconditions, malformedXml }),
  AbortMultipartUpload: (ctx) => multipart.abort(ctx, { needBucket, drain }),
  ListParts: (ctx) => multipart.listParts(ctx, { needBucket, drain }),
  ListMultipartUploads: (ctx) => multipart.listUploads(ctx, { needBucket, drain }),
};

// Reads a whole stored object (templates, app version file). Small objects only.
async function readObject(state, bucketName, key, limit = 16 * 1024 * 1024) {
  const b = state.buckets.get(bucketName);
  const o = b && b.objects.get(key);
  if (!o) return null;
  if (o.size > limit) throw new Error('object too large');
  const parts = [];
  for (const seg of o.segments) parts.push(await state.blobs.read(seg));
  return { obj: o, body: Buffer.concat(parts) };
}

// Creates an object from a Buffer (seed, CloudFormation side effects).
async function writeObject(state, bucket, key, buf, meta = {}) {
  const seg = state.blobs.appendBuffer(buf);
  const md5 = md5Hex(buf);
  state.putObject(bucket, key, {
    contentType: 'binary/octet-stream', metadata: {}, storageClass: 'STANDARD', ...meta,
    size: buf.length, md5, etag: `"${md5}"`, sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    checksum: null, lastModified: clock.now(), segments: [seg],
  });
}

module.exports = {
  protocol: 's3', authKind: () => 's3', prepare, handle,
  readObject, writeObject, objectResponseHeaders, readPreconditions, etagMatches,
};
