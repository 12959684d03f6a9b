'use strict';
// Multipart uploads: parts are files; CompleteMultipartUpload checks part
// ETags, order and sizes like S3 and makes the object from the part files
// without copying them.

const fs = require('node:fs');
const crypto = require('node:crypto');
const { AwsError, NS } = require('./errors');
const { el, raw, DECL, parseXml, text } = require('./xml');
const { planBody, receiveBody, receiveSmallBody, storeBody } = require('./s3-body');
const { clock, isoDate, randomId } = require('./util');

const MIN_PART = 5 * 1024 * 1024;
const MAX_PART = 5 * 1024 ** 3;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

function noSuchUpload(uploadId) {
  return new AwsError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

function getUpload(ctx) {
  const id = String(ctx.query.uploadId);
  const u = ctx.state.uploads.get(id);
  if (!u || u.bucket !== ctx.bucketName || u.key !== ctx.key) throw noSuchUpload(id);
  return u;
}

function partNumber(ctx) {
  const v = String(ctx.query.partNumber);
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 10000) {
    throw new AwsError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: v });
  }
  return n;
}

async function create(ctx, { needBucket, objectHeaders, drain }) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  const meta = objectHeaders(ctx, null);
  const id = randomId(ID_ALPHABET, 64);
  const checksumAlg = ctx.req.headers['x-amz-checksum-algorithm'];
  ctx.state.uploads.set(id, { id, bucket: bucket.name, key: ctx.key, meta, initiated: clock.now(), parts: new Map(), checksumAlg: checksumAlg ? checksumAlg.toLowerCase() : null });
  const headers = checksumAlg ? { 'x-amz-checksum-algorithm': checksumAlg } : {};
  ctx.sendXml(200, DECL + `<InitiateMultipartUploadResult xmlns="${NS.s3}">${el('Bucket', bucket.name)}${el('Key', ctx.key)}${el('UploadId', id)}</InitiateMultipartUploadResult>`, headers);
}

function storePart(ctx, upload, n, part) {
  // The upload may have been aborted or completed while the body streamed in.
  if (ctx.state.uploads.get(upload.id) !== upload) {
    ctx.state.blobs.release(part.seg);
    throw noSuchUpload(upload.id);
  }
  const old = upload.parts.get(n);
  upload.parts.set(n, part);
  if (old) ctx.state.blobs.release(old.seg);
}

async function uploadPart(ctx, { needBucket }) {
  needBucket(ctx);
  const upload = getUpload(ctx);
  const n = partNumber(ctx);
  const plan = planBody(ctx);
  if (plan.expectedLength !== null && plan.expectedLength > MAX_PART) throw new AwsError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  const body = await receiveBody(ctx, plan, { toFile: true });
  const seg = storeBody(ctx.state, body);
  const part = { number: n, size: body.size, md5: body.md5Hex, etag: `"${body.md5Hex}"`, seg, lastModified: clock.now(), checksum: body.checksum };
  storePart(ctx, upload, n, part);
  const headers = { etag: part.etag, 'x-amz-server-side-encryption': 'AES256' };
  if (body.checksum) headers[`x-amz-checksum-${body.checksum.alg}`] = body.checksum.value;
  ctx.send(200, headers, null);
}

async function uploadPartCopy(ctx, { needBucket, parseCopySource, drain }) {
  await drain(ctx);
  needBucket(ctx);
  const upload = getUpload(ctx);
  const n = partNumber(ctx);
  const src = parseCopySource(ctx.req.headers['x-amz-copy-source']);
  if (!src) throw new AwsError(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const sb = ctx.state.buckets.get(src.bucket);
  if (!sb) throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: src.bucket });
  const so = sb.objects.get(src.key);
  if (!so) throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: src.key });
  let start = 0; let end = so.size - 1;
  const r = ctx.req.headers['x-amz-copy-source-range'];
  if (r !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(r);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= so.size) throw new AwsError(400, 'InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: r });
    start = Number(m[1]); end = Number(m[2]);
  }
  const file = ctx.state.blobs.newFilePath();
  const md5 = crypto.createHash('md5');
  const ws = fs.createWriteStream(file);
  for await (const chunk of ctx.state.blobs.stream(so.segments, start, end)) { md5.update(chunk); if (!ws.write(chunk)) await new Promise((res) => ws.once('drain', res)); }
  ws.end();
  await new Promise((res) => ws.once('finish', res));
  const hex = md5.digest('hex');
  const part = { number: n, size: end - start + 1, md5: hex, etag: `"${hex}"`, seg: ctx.state.blobs.fileSegment(file, end - start + 1), lastModified: clock.now(), checksum: null };
  storePart(ctx, upload, n, part);
  ctx.sendXml(200, DECL + `<CopyPartResult xmlns="${NS.s3}">${el('LastModified', isoDate(part.lastModified))}${el('ETag', part.etag)}</CopyPartResult>`);
}

async function complete(ctx, { needBucket, checkWritePreconditions, malformedXml }) {
  const bucket = needBucket(ctx);
  const upload = getUpload(ctx);
  const body = await receiveSmallBody(ctx);
  const doc = parseXml(body.buffer);
  if (!doc || !doc.CompleteMultipartUpload) throw malformedXml();
  const listed = doc.CompleteMultipartUpload.Part || [];
  if (listed.length === 0) throw malformedXml();
  const chosen = [];
  let prev = 0;
  for (const p of listed) {
    const n = Number(text(p.PartNumber));
    const etag = text(p.ETag);
    if (!Number.isInteger(n) || etag === undefined) throw malformedXml();
    if (n <= prev) {
      throw new AwsError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', { UploadId: upload.id });
    }
    prev = n;
    const part = upload.parts.get(n);
    const invalidPart = () => new AwsError(400, 'InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", { UploadId: upload.id, PartNumber: n, ETag: etag });
    if (!part || part.etag.replace(/"/g, '') !== etag.trim().replace(/"/g, '')) throw invalidPart();
    for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME']) {
      const v = text(p[`Checksum${alg}`]);
      if (v !== undefined && (!part.checksum || part.checksum.alg !== alg.toLowerCase() || part.checksum.value !== v)) throw invalidPart();
    }
    chosen.push(part);
  }
  for (let i = 0; i < chosen.length - 1; i++) {
    if (chosen[i].size < MIN_PART) {
      throw new AwsError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: chosen[i].size, MinSizeAllowed: MIN_PART, PartNumber: chosen[i].number, ETag: chosen[i].etag });
    }
  }
  checkWritePreconditions(ctx, bucket);
  // ETag: MD5 of the concatenated binary part MD5s, then "-N".
  const etagHex = crypto.createHash('md5').update(Buffer.concat(chosen.map((p) => Buffer.from(p.md5, 'hex')))).digest('hex');
  // Whole-content digests for state/copies: read the parts back once.
  const md5 = crypto.createHash('md5');
  const sha = crypto.createHash('sha256');
  for (const p of chosen) {
    for await (const chunk of ctx.state.blobs.readStream(p.seg)) { md5.update(chunk); sha.update(chunk); }
  }
  if (ctx.state.uploads.get(upload.id) !== upload) throw noSuchUpload(upload.id);
  ctx.state.uploads.delete(upload.id);
  const used = new Set(chosen);
  for (const p of upload.parts.values()) if (!used.has(p)) ctx.state.blobs.release(p.seg);
  const obj = {
    ...upload.meta,
    size: chosen.reduce((s, p) => s + p.size, 0),
    md5: md5.digest('hex'), sha256: sha.digest('hex'),
    etag: `"${etagHex}-${chosen.length}"`, partsCount: chosen.length,
    checksum: null, lastModified: clock.now(),
    segments: chosen.map((p) => p.seg),
  };
  ctx.state.putObject(bucket, ctx.key, obj);
  const location = `http://${ctx.req.headers.host}/${encodeURIComponent(bucket.name)}/${ctx.key.split('/').map(encodeURIComponent).join('/')}`;
  ctx.sendXml(200, DECL + `<CompleteMultipartUploadResult xmlns="${NS.s3}">${el('Location', location)}${el('Bucket', bucket.name)}${el('Key', ctx.key)}${el('ETag', obj.etag)}</CompleteMultipartUploadResult>`, { 'x-amz-server-side-encryption': 'AES256' });
}

async function abort(ctx, { needBucket, drain }) {
  await drain(ctx);
  needBucket(ctx);
  const upload = getUpload(ctx);
  ctx.state.uploads.delete(upload.id);
  for (const p of upload.parts.values()) ctx.state.blobs.release(p.seg);
  ctx.send(204, {}, null);
}

async function listParts(ctx, { needBucket, drain }) {
  await drain(ctx);
  needBucket(ctx);
  const upload = getUpload(ctx);
  const max = ctx.query['max-parts'] !== undefined ? Math.min(Number(ctx.query['max-parts']) || 0, 1000) : 1000;
  const marker = Number(ctx.query['part-number-marker'] || 0);
  const all = [...upload.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const parts = page.map((p) => raw('Part', el('PartNumber', p.number) + el('LastModified', isoDate(p.lastModified)) + el('ETag', p.etag) + el('Size', p.size)
    + (p.checksum ? el(`Checksum${p.checksum.alg.toUpperCase()}`, p.checksum.value) : ''))).join('');
  const owner = '<ID>double-owner</ID><DisplayName>double</DisplayName>';
  ctx.sendXml(200, DECL + `<ListPartsResult xmlns="${NS.s3}">${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('UploadId', upload.id)}`
    + `${el('PartNumberMarker', marker)}${el('NextPartNumberMarker', page.length ? page[page.length - 1].number : 0)}${el('MaxParts', max)}${el('IsTruncated', truncated ? 'true' : 'false')}`
    + `${parts}<Initiator>${owner}</Initiator><Owner>${owner}</Owner>${el('StorageClass', 'STANDARD')}</ListPartsResult>`);
}

async function listUploads(ctx, { needBucket, drain }) {
  await drain(ctx);
  const bucket = needBucket(ctx);
  const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
  const ups = [...ctx.state.uploads.values()].filter((u) => u.bucket === bucket.name && u.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated));
  const items = ups.map((u) => raw('Upload', el('Key', u.key) + el('UploadId', u.id) + el('Initiated', isoDate(u.initiated)) + el('StorageClass', 'STANDARD'))).join('');
  ctx.sendXml(200, DECL + `<ListMultipartUploadsResult xmlns="${NS.s3}">${el('Bucket', bucket.name)}<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>${el('Prefix', prefix)}${el('MaxUploads', 1000)}${el('IsTruncated', 'false')}${items}</ListMultipartUploadsResult>`);
}

module.exports = { create, uploadPart, uploadPartCopy, complete, abort, listParts, listUploads, MIN_PART };
