'use strict';
// S3 conformance: every S3 operation the double implements, driven by the
// AWS SDK for JavaScript v3 with root credentials.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const S3 = require('@aws-sdk/client-s3');
const { startDouble, clientConfig } = require('./helpers');

let d; let s3;
test.before(async () => {
  d = await startDouble();
  s3 = new S3.S3Client(clientConfig(d.url));
});
test.after(async () => { s3.destroy(); assert.equal(await d.stop(), 0); });

const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

test('buckets: create, head, list, delete', async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: 'alpha', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-1' } }));
  await s3.send(new S3.CreateBucketCommand({ Bucket: 'beta' }));
  await assert.rejects(s3.send(new S3.CreateBucketCommand({ Bucket: 'beta' })), { name: 'BucketAlreadyOwnedByYou' });
  await assert.rejects(s3.send(new S3.CreateBucketCommand({ Bucket: 'Bad_Name' })), (e) => e.name === 'InvalidBucketName' || e.Code === 'InvalidBucketName');
  const head = await s3.send(new S3.HeadBucketCommand({ Bucket: 'alpha' }));
  assert.equal(head.$metadata.httpStatusCode, 200);
  const list = await s3.send(new S3.ListBucketsCommand({}));
  assert.deepEqual(list.Buckets.map((b) => b.Name), ['alpha', 'beta']);
  const loc = await s3.send(new S3.GetBucketLocationCommand({ Bucket: 'alpha' }));
  assert.equal(loc.LocationConstraint, 'ap-northeast-1');
  await s3.send(new S3.DeleteBucketCommand({ Bucket: 'beta' }));
  await assert.rejects(s3.send(new S3.HeadBucketCommand({ Bucket: 'beta' })), (e) => e.$metadata.httpStatusCode === 404);
  await assert.rejects(s3.send(new S3.ListObjectsV2Command({ Bucket: 'beta' })), { name: 'NoSuchBucket' });
});

test('PutObject keeps headers and metadata; GetObject and HeadObject return them', async () => {
  const body = Buffer.from('<h1>hello</h1>');
  const put = await s3.send(new S3.PutObjectCommand({
    Bucket: 'alpha', Key: 'site/index.html', Body: body, ContentType: 'text/html; charset=utf-8',
    CacheControl: 'no-cache', ContentDisposition: 'inline', ContentEncoding: 'identity', Metadata: { sha256: 'abc', Who: 'me' },
  }));
  assert.equal(put.ETag, `"${md5(body)}"`);
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'site/index.html' }));
  assert.equal(await got.Body.transformToString(), body.toString());
  assert.equal(got.ContentType, 'text/html; charset=utf-8');
  assert.equal(got.CacheControl, 'no-cache');
  assert.equal(got.ContentDisposition, 'inline');
  assert.equal(got.ContentEncoding, 'identity');
  assert.deepEqual(got.Metadata, { sha256: 'abc', who: 'me' });
  assert.equal(got.ETag, put.ETag);
  assert.equal(got.ContentLength, body.length);
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: 'alpha', Key: 'site/index.html' }));
  assert.equal(head.ContentLength, body.length);
  assert.equal(head.ETag, put.ETag);
  assert.ok(head.LastModified instanceof Date);
  const range = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'site/index.html', Range: 'bytes=4-8' }));
  assert.equal(await range.Body.transformToString(), 'hello');
  assert.equal(range.ContentRange, `bytes 4-8/${body.length}`);
  const st = await d.state();
  const o = st.buckets.alpha.objects['site/index.html'];
  assert.equal(o.sha256, crypto.createHash('sha256').update(body).digest('hex'));
  assert.equal(o.contentType, 'text/html; charset=utf-8');
  assert.equal(o.cacheControl, 'no-cache');
  assert.deepEqual(o.metadata, { sha256: 'abc', who: 'me' });
});

test('keys with awkward characters round-trip', async () => {
  const keys = ['a b/c+d.txt', 'ümlaut/ß.txt', 'tilde~/x(1)!*\'.js', 'a//double/../dots', 'emoji/😀.png', '%41literal', 'q?s&x=y#h'];
  for (const k of keys) await s3.send(new S3.PutObjectCommand({ Bucket: 'alpha', Key: `odd/${k}`, Body: k }));
  for (const k of keys) {
    const got = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: `odd/${k}` }));
    assert.equal(await got.Body.transformToString(), k);
  }
  const list = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'odd/' }));
  assert.equal(list.KeyCount, keys.length);
  const listed = list.Contents.map((c) => c.Key);
  // S3 order is UTF-8 byte order.
  const expected = keys.map((k) => `odd/${k}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(listed, expected);
  const enc = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'odd/a b', EncodingType: 'url' }));
  assert.equal(enc.EncodingType, 'url');
  assert.equal(enc.Prefix, 'odd/a+b');
  assert.equal(enc.Contents[0].Key, 'odd/a+b/c%2Bd.txt');
});

test('ListObjectsV2: pagination, prefix, delimiter, start-after', async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: 'many' }));
  const keys = [];
  for (let i = 0; i < 25; i++) keys.push(`dir${i % 3}/f${String(i).padStart(2, '0')}`);
  keys.push('top.txt');
  await Promise.all(keys.map((k) => s3.send(new S3.PutObjectCommand({ Bucket: 'many', Key: k, Body: k }))));
  const seen = [];
  let token; let pages = 0;
  do {
    const r = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', MaxKeys: 7, ContinuationToken: token }));
    pages++;
    seen.push(...r.Contents.map((c) => c.Key));
    assert.equal(r.MaxKeys, 7);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
    if (r.IsTruncated) assert.equal(r.KeyCount, 7);
  } while (token);
  assert.equal(pages, 4);
  assert.deepEqual(seen, keys.slice().sort());
  const delim = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', Delimiter: '/' }));
  assert.deepEqual(delim.CommonPrefixes.map((p) => p.Prefix), ['dir0/', 'dir1/', 'dir2/']);
  assert.deepEqual(delim.Contents.map((c) => c.Key), ['top.txt']);
  assert.equal(delim.KeyCount, 4);
  // Common prefixes paginate too.
  const p1 = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', Delimiter: '/', MaxKeys: 2 }));
  assert.deepEqual(p1.CommonPrefixes.map((p) => p.Prefix), ['dir0/', 'dir1/']);
  const p2 = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', Delimiter: '/', MaxKeys: 2, ContinuationToken: p1.NextContinuationToken }));
  assert.deepEqual(p2.CommonPrefixes.map((p) => p.Prefix), ['dir2/']);
  assert.deepEqual(p2.Contents.map((c) => c.Key), ['top.txt']);
  assert.equal(p2.IsTruncated, false);
  const pre = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', Prefix: 'dir1/', StartAfter: 'dir1/f10' }));
  assert.deepEqual(pre.Contents.map((c) => c.Key), ['dir1/f13', 'dir1/f16', 'dir1/f19', 'dir1/f22']);
  assert.equal(pre.Contents[0].ETag, `"${md5('dir1/f13')}"`);
  assert.equal(pre.Contents[0].Size, 8);
  const big = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', MaxKeys: 5000 }));
  assert.equal(big.MaxKeys, 1000);
  await assert.rejects(s3.send(new S3.ListObjectsV2Command({ Bucket: 'many', ContinuationToken: 'bogus' })), { name: 'InvalidArgument' });
  const v1 = await s3.send(new S3.ListObjectsCommand({ Bucket: 'many', Prefix: 'dir2/', MaxKeys: 3 }));
  assert.equal(v1.Contents.length, 3);
  assert.equal(v1.IsTruncated, true);
});

test('DeleteObject and DeleteObjects (Quiet and not)', async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: 'del' }));
  for (const k of ['a', 'b', 'c', 'd']) await s3.send(new S3.PutObjectCommand({ Bucket: 'del', Key: k, Body: k }));
  const r = await s3.send(new S3.DeleteObjectCommand({ Bucket: 'del', Key: 'a' }));
  assert.equal(r.$metadata.httpStatusCode, 204);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: 'del', Key: 'never-existed' }));
  const many = await s3.send(new S3.DeleteObjectsCommand({ Bucket: 'del', Delete: { Objects: [{ Key: 'b' }, { Key: 'missing' }] } }));
  assert.deepEqual(many.Deleted.map((x) => x.Key).sort(), ['b', 'missing']);
  const quiet = await s3.send(new S3.DeleteObjectsCommand({ Bucket: 'del', Delete: { Objects: [{ Key: 'c' }], Quiet: true } }));
  assert.equal(quiet.Deleted, undefined);
  const left = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'del' }));
  assert.deepEqual(left.Contents.map((c) => c.Key), ['d']);
  await assert.rejects(s3.send(new S3.GetObjectCommand({ Bucket: 'del', Key: 'a' })), { name: 'NoSuchKey' });
  await assert.rejects(s3.send(new S3.HeadObjectCommand({ Bucket: 'del', Key: 'a' })), (e) => e.$metadata.httpStatusCode === 404);
});

test('DeleteObject with If-Match deletes only the object of that ETag', async () => {
  await s3.send(new S3.CreateBucketCommand({ Bucket: 'cond' }));
  const put = await s3.send(new S3.PutObjectCommand({ Bucket: 'cond', Key: 'lock', Body: 'mine' }));
  await s3.send(new S3.PutObjectCommand({ Bucket: 'cond', Key: 'lock', Body: 'theirs' }));
  await assert.rejects(s3.send(new S3.DeleteObjectCommand({ Bucket: 'cond', Key: 'lock', IfMatch: put.ETag })), (e) => e.$metadata.httpStatusCode === 412);
  const now = await s3.send(new S3.HeadObjectCommand({ Bucket: 'cond', Key: 'lock' }));
  await s3.send(new S3.DeleteObjectCommand({ Bucket: 'cond', Key: 'lock', IfMatch: now.ETag }));
  await assert.rejects(s3.send(new S3.HeadObjectCommand({ Bucket: 'cond', Key: 'lock' })), (e) => e.$metadata.httpStatusCode === 404);
  await assert.rejects(s3.send(new S3.DeleteObjectCommand({ Bucket: 'cond', Key: 'lock', IfMatch: now.ETag })), (e) => e.$metadata.httpStatusCode === 404);
});

test('CopyObject with COPY and REPLACE directives', async () => {
  await s3.send(new S3.PutObjectCommand({ Bucket: 'alpha', Key: 'src/a b.css', Body: 'body{}', ContentType: 'text/css', CacheControl: 'max-age=60', Metadata: { k: 'v' } }));
  const c1 = await s3.send(new S3.CopyObjectCommand({ Bucket: 'alpha', Key: 'dst/copy.css', CopySource: `alpha/${encodeURIComponent('src/a b.css')}` }));
  assert.equal(c1.CopyObjectResult.ETag, `"${md5('body{}')}"`);
  assert.ok(c1.CopyObjectResult.LastModified instanceof Date);
  const h1 = await s3.send(new S3.HeadObjectCommand({ Bucket: 'alpha', Key: 'dst/copy.css' }));
  assert.equal(h1.ContentType, 'text/css');
  assert.equal(h1.CacheControl, 'max-age=60');
  assert.deepEqual(h1.Metadata, { k: 'v' });
  await s3.send(new S3.CopyObjectCommand({ Bucket: 'alpha', Key: 'dst/replaced.css', CopySource: `/alpha/${encodeURIComponent('src/a b.css')}`, MetadataDirective: 'REPLACE', ContentType: 'text/plain', CacheControl: 'no-store' }));
  const h2 = await s3.send(new S3.HeadObjectCommand({ Bucket: 'alpha', Key: 'dst/replaced.css' }));
  assert.equal(h2.ContentType, 'text/plain');
  assert.equal(h2.CacheControl, 'no-store');
  assert.deepEqual(h2.Metadata, {});
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'dst/replaced.css' }));
  assert.equal(await got.Body.transformToString(), 'body{}');
  // Replace the source: the copy keeps its own bytes.
  await s3.send(new S3.PutObjectCommand({ Bucket: 'alpha', Key: 'src/a b.css', Body: 'changed' }));
  const again = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'dst/copy.css' }));
  assert.equal(await again.Body.transformToString(), 'body{}');
  await assert.rejects(s3.send(new S3.CopyObjectCommand({ Bucket: 'alpha', Key: 'x', CopySource: 'alpha/nope' })), { name: 'NoSuchKey' });
  await assert.rejects(s3.send(new S3.CopyObjectCommand({ Bucket: 'alpha', Key: 'dst/copy.css', CopySource: 'alpha/dst/copy.css' })), { name: 'InvalidRequest' });
});

test('If-None-Match: * creates once', async () => {
  const first = await s3.send(new S3.PutObjectCommand({ Bucket: 'alpha', Key: 'lock.json', Body: '{"run":1}', IfNoneMatch: '*' }));
  assert.ok(first.ETag);
  await assert.rejects(s3.send(new S3.PutObjectCommand({ Bucket: 'alpha', Key: 'lock.json', Body: '{"run":2}', IfNoneMatch: '*' })),
    (e) => e.name === 'PreconditionFailed' && e.$metadata.httpStatusCode === 412);
  const got = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'lock.json' }));
  assert.equal(await got.Body.transformToString(), '{"run":1}');
  await assert.rejects(s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'lock.json', IfMatch: '"nope"' })), (e) => e.$metadata.httpStatusCode === 412);
});

test('multipart: create, parts, list, complete with S3 ETag; abort', async () => {
  const part1 = crypto.randomBytes(5 * 1024 * 1024);
  const part2 = crypto.randomBytes(1234);
  const create = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'big/blob.bin', ContentType: 'application/x-thing', CacheControl: 'immutable', Metadata: { sha256: 'whole' } }));
  assert.ok(create.UploadId);
  const u1 = await s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'big/blob.bin', UploadId: create.UploadId, PartNumber: 1, Body: part1 }));
  const u2 = await s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'big/blob.bin', UploadId: create.UploadId, PartNumber: 2, Body: part2 }));
  assert.equal(u1.ETag, `"${md5(part1)}"`);
  const parts = await s3.send(new S3.ListPartsCommand({ Bucket: 'alpha', Key: 'big/blob.bin', UploadId: create.UploadId }));
  assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, part1.length, u1.ETag], [2, part2.length, u2.ETag]]);
  const ups = await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: 'alpha' }));
  assert.equal(ups.Uploads.length, 1);
  const done = await s3.send(new S3.CompleteMultipartUploadCommand({
    Bucket: 'alpha', Key: 'big/blob.bin', UploadId: create.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: u1.ETag }, { PartNumber: 2, ETag: u2.ETag }] },
  }));
  const expected = crypto.createHash('md5').update(Buffer.concat([Buffer.from(md5(part1), 'hex'), Buffer.from(md5(part2), 'hex')])).digest('hex') + '-2';
  assert.equal(done.ETag, `"${expected}"`);
  assert.equal(done.Key, 'big/blob.bin');
  const head = await s3.send(new S3.HeadObjectCommand({ Bucket: 'alpha', Key: 'big/blob.bin' }));
  assert.equal(head.ContentLength, part1.length + part2.length);
  assert.equal(head.ContentType, 'application/x-thing');
  assert.equal(head.CacheControl, 'immutable');
  assert.deepEqual(head.Metadata, { sha256: 'whole' });
  const tail = await s3.send(new S3.GetObjectCommand({ Bucket: 'alpha', Key: 'big/blob.bin', Range: `bytes=${part1.length - 2}-${part1.length + 1}` }));
  assert.deepEqual(Buffer.from(await tail.Body.transformToByteArray()), Buffer.concat([part1.subarray(-2), part2.subarray(0, 2)]));
  const st = await d.state();
  assert.equal(st.buckets.alpha.objects['big/blob.bin'].sha256, crypto.createHash('sha256').update(Buffer.concat([part1, part2])).digest('hex'));
  // A copy of a multipart object gets a plain MD5 ETag.
  const c = await s3.send(new S3.CopyObjectCommand({ Bucket: 'alpha', Key: 'big/copy.bin', CopySource: 'alpha/big/blob.bin' }));
  assert.equal(c.CopyObjectResult.ETag, `"${md5(Buffer.concat([part1, part2]))}"`);
  await assert.rejects(s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'big/blob.bin', UploadId: create.UploadId, PartNumber: 3, Body: 'x' })), { name: 'NoSuchUpload' });

  const other = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'big/aborted' }));
  await s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'big/aborted', UploadId: other.UploadId, PartNumber: 1, Body: 'x' }));
  const ab = await s3.send(new S3.AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'big/aborted', UploadId: other.UploadId }));
  assert.equal(ab.$metadata.httpStatusCode, 204);
  await assert.rejects(s3.send(new S3.ListPartsCommand({ Bucket: 'alpha', Key: 'big/aborted', UploadId: other.UploadId })), { name: 'NoSuchUpload' });
});

test('multipart rules: part order, part ETag, minimum size', async () => {
  const create = await s3.send(new S3.CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'rules.bin' }));
  const id = create.UploadId;
  const small = await s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'rules.bin', UploadId: id, PartNumber: 1, Body: 'tiny' }));
  const second = await s3.send(new S3.UploadPartCommand({ Bucket: 'alpha', Key: 'rules.bin', UploadId: id, PartNumber: 2, Body: 'tail' }));
  const complete = (Parts) => s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: 'alpha', Key: 'rules.bin', UploadId: id, MultipartUpload: { Parts } }));
  await assert.rejects(complete([{ PartNumber: 2, ETag: second.ETag }, { PartNumber: 1, ETag: small.ETag }]), { name: 'InvalidPartOrder' });
  await assert.rejects(complete([{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }]), (e) => e.name === 'InvalidPart' && e.$metadata.httpStatusCode === 400);
  await assert.rejects(complete([{ PartNumber: 1, ETag: small.ETag }, { PartNumber: 2, ETag: second.ETag }]), { name: 'EntityTooSmall' });
  // A single small part is fine: the last part has no minimum.
  const ok = await complete([{ PartNumber: 1, ETag: small.ETag }]);
  assert.match(ok.ETag, /-1"$/);
});
