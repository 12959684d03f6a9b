'use strict';
// The double must be strict where AWS is strict: every request here is
// wrong in one way and must get AWS's error code and status.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { getSigningKey } = require('@smithy/signature-v4');
const { startDouble, rawRequest, errorCode, md5b64, ROOT, NodeSha256 } = require('./helpers');
const { AwsChunkedDecoder } = require('../src/chunked');

let d;
test.before(async () => {
  d = await startDouble();
  await d.seed({ buckets: ['neg'], roles: ['deploy'] });
});
test.after(async () => { assert.equal(await d.stop(), 0); });

const put = (key, body, opts = {}) => rawRequest(d.url, { method: 'PUT', path: `/neg/${key}`, body, ...opts });
const form = (service, body, opts = {}) => rawRequest(d.url, { method: 'POST', path: '/', service, body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, ...opts });

test('a correctly signed request is accepted (control case)', async () => {
  const r = await put('ok.txt', 'fine', { headers: { 'content-type': 'text/plain', 'x-amz-meta-a': '1' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers.etag, `"${crypto.createHash('md5').update('fine').digest('hex')}"`);
  assert.ok(r.headers['x-amz-request-id']);
});

test('wrong secret: SignatureDoesNotMatch (S3 shape with StringToSign and CanonicalRequest)', async () => {
  const r = await put('x.txt', 'data', { credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'not-the-secret' } });
  assert.equal(r.status, 403);
  assert.equal(errorCode(r.body), 'SignatureDoesNotMatch');
  assert.match(r.body, /<StringToSign>AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/ap-northeast-1\/s3\/aws4_request\n[0-9a-f]{64}<\/StringToSign>/);
  assert.match(r.body, /<CanonicalRequest>PUT\n\/neg\/x.txt\n\nhost:127.0.0.1:\d+\n/);
  assert.match(r.body, /<RequestId>[A-Z0-9]+<\/RequestId>/);
  const q = await form('sts', 'Action=GetCallerIdentity&Version=2011-06-15', { credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'nope' } });
  assert.equal(q.status, 403);
  assert.match(q.body, /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>SignatureDoesNotMatch<\/Code>/);
  const cf = await rawRequest(d.url, { method: 'GET', path: '/2020-05-31/distribution/E1/invalidation', service: 'cloudfront', region: 'us-east-1', credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'nope' } });
  assert.equal(cf.status, 403);
  assert.match(cf.body, /<ErrorResponse xmlns="http:\/\/cloudfront.amazonaws.com\/doc\/2020-05-31\/"><Error><Type>Sender<\/Type><Code>SignatureDoesNotMatch<\/Code>/);
  const ssm = await rawRequest(d.url, { method: 'POST', path: '/', service: 'ssm', body: '{"Name":"x"}', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' }, credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'nope' } });
  assert.equal(ssm.status, 400);
  assert.equal(JSON.parse(ssm.body).__type, 'InvalidSignatureException');
});

test('tampered signed header or body: SignatureDoesNotMatch / XAmzContentSHA256Mismatch', async () => {
  const r = await put('t.txt', 'data', { headers: { 'content-type': 'text/plain' }, tamper: (s) => { s.headers['content-type'] = 'text/html'; } });
  assert.equal(r.status, 403);
  assert.equal(errorCode(r.body), 'SignatureDoesNotMatch');
  const m = await put('t.txt', 'data', { headers: { 'x-amz-meta-owner': 'me' }, tamper: (s) => { s.headers['x-amz-meta-owner'] = 'you'; } });
  assert.equal(errorCode(m.body), 'SignatureDoesNotMatch');
  const b = await put('t.txt', 'data', { tamper: (s) => { s.body = Buffer.from('DATA'); } });
  assert.equal(b.status, 400);
  assert.equal(errorCode(b.body), 'XAmzContentSHA256Mismatch');
  const q = await form('cloudformation', 'Action=DescribeStacks&Version=2010-05-15', { tamper: (s) => { s.body = Buffer.from('Action=DeleteStack&Version=2010-05-15'); } });
  assert.equal(q.status, 403);
  assert.match(q.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  const path = await put('t.txt', 'data', { tamper: (s) => { s.path = '/neg/other.txt'; } });
  assert.equal(errorCode(path.body), 'SignatureDoesNotMatch');
  const unsignedMeta = await put('t.txt', 'data', { tamper: (s) => { s.headers['x-amz-meta-sneaky'] = '1'; } });
  assert.equal(unsignedMeta.status, 403);
  assert.equal(errorCode(unsignedMeta.body), 'AccessDenied');
  assert.match(unsignedMeta.body, /<HeadersNotSigned>x-amz-meta-sneaky<\/HeadersNotSigned>/);
});

test('stale or future date: RequestTimeTooSkewed (S3) / Signature expired (Query)', async () => {
  const old = new Date(Date.now() - 20 * 60 * 1000);
  const r = await put('old.txt', 'x', { signingDate: old });
  assert.equal(r.status, 403);
  assert.equal(errorCode(r.body), 'RequestTimeTooSkewed');
  assert.match(r.body, /<MaxAllowedSkewMilliseconds>900000<\/MaxAllowedSkewMilliseconds>/);
  const q = await form('sts', 'Action=GetCallerIdentity&Version=2011-06-15', { signingDate: old });
  assert.equal(q.status, 403);
  assert.match(q.body, /<Code>SignatureDoesNotMatch<\/Code><Message>Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)<\/Message>/);
  const future = await put('f.txt', 'x', { signingDate: new Date(Date.now() + 20 * 60 * 1000) });
  assert.equal(errorCode(future.body), 'RequestTimeTooSkewed');
  const ok = await put('f.txt', 'x', { signingDate: new Date(Date.now() - 10 * 60 * 1000) });
  assert.equal(ok.status, 200);
});

test('unknown key, missing auth, missing token', async () => {
  const r = await put('k.txt', 'x', { credentials: { accessKeyId: 'AKIANOTKNOWN00000000', secretAccessKey: 'x' } });
  assert.equal(r.status, 403);
  assert.equal(errorCode(r.body), 'InvalidAccessKeyId');
  const q = await form('cloudformation', 'Action=DescribeStacks&Version=2010-05-15', { credentials: { accessKeyId: 'AKIANOTKNOWN00000000', secretAccessKey: 'x' } });
  assert.equal(q.status, 403);
  assert.match(q.body, /<Code>InvalidClientTokenId<\/Code>/);
  const anon = await put('k.txt', 'x', { unsigned: true });
  assert.equal(anon.status, 403);
  assert.equal(errorCode(anon.body), 'AccessDenied');
  const anonQ = await form('cloudformation', 'Action=DescribeStacks&Version=2010-05-15', { unsigned: true });
  assert.equal(anonQ.status, 403);
  assert.match(anonQ.body, /<Code>MissingAuthenticationToken<\/Code>/);
  const noSha = await rawRequest(d.url, { method: 'GET', path: '/neg', query: { 'list-type': '2' }, headers: { 'x-amz-content-sha256': undefined }, tamper: (s) => { delete s.headers['x-amz-content-sha256']; } });
  assert.equal(noSha.status, 400);
  assert.equal(errorCode(noSha.body), 'InvalidRequest');
  const calls = await d.calls();
  const last = calls.filter((c) => c.code === 'InvalidAccessKeyId').at(-1);
  assert.equal(last.accessKey, 'AKIANOTKNOWN00000000');
  assert.equal(last.operation, 'PutObject');
  assert.equal(last.status, 403);
});

test('wrong Content-MD5: BadDigest; malformed: InvalidDigest; wrong checksum: BadDigest', async () => {
  const r = await put('md5.txt', 'payload', { headers: { 'content-md5': md5b64(Buffer.from('other')) } });
  assert.equal(r.status, 400);
  assert.equal(errorCode(r.body), 'BadDigest');
  const inv = await put('md5.txt', 'payload', { headers: { 'content-md5': 'abc' } });
  assert.equal(inv.status, 400);
  assert.equal(errorCode(inv.body), 'InvalidDigest');
  const good = await put('md5.txt', 'payload', { headers: { 'content-md5': md5b64(Buffer.from('payload')) } });
  assert.equal(good.status, 200);
  const crc = await put('crc.txt', 'payload', { headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
  assert.equal(crc.status, 400);
  assert.equal(errorCode(crc.body), 'BadDigest');
  const sha = crypto.createHash('sha256').update('payload').digest('base64');
  const okSha = await put('sha.txt', 'payload', { headers: { 'x-amz-checksum-sha256': sha } });
  assert.equal(okSha.status, 200);
  assert.equal(okSha.headers['x-amz-checksum-sha256'], sha);
  const badSha = await put('sha.txt', 'payload', { headers: { 'x-amz-checksum-sha256': crypto.createHash('sha256').update('x').digest('base64') } });
  assert.equal(errorCode(badSha.body), 'BadDigest');
  const st = await d.state();
  assert.equal(st.buckets.neg.objects['md5.txt'].size, 7);
  assert.equal(st.buckets.neg.objects['crc.txt'], undefined);
});

test('second If-None-Match: * create gets 412 PreconditionFailed', async () => {
  const a = await put('lock.json', '{"a":1}', { headers: { 'if-none-match': '*' } });
  assert.equal(a.status, 200);
  const b = await put('lock.json', '{"b":2}', { headers: { 'if-none-match': '*' } });
  assert.equal(b.status, 412);
  assert.equal(errorCode(b.body), 'PreconditionFailed');
  // Concurrent creates: exactly one wins.
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => put('race.json', `{"n":${i}}`, { headers: { 'if-none-match': '*' } })));
  assert.equal(rs.filter((x) => x.status === 200).length, 1);
  assert.equal(rs.filter((x) => x.status === 412).length, 7);
});

test('multipart part ETag mismatch: InvalidPart', async () => {
  const c = await rawRequest(d.url, { method: 'POST', path: '/neg/mp.bin', query: { uploads: '' } });
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(c.body)[1];
  const p = await rawRequest(d.url, { method: 'PUT', path: '/neg/mp.bin', query: { partNumber: '1', uploadId: id }, body: 'part-one' });
  assert.equal(p.status, 200);
  const xml = (etag) => `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
  const bad = await rawRequest(d.url, { method: 'POST', path: '/neg/mp.bin', query: { uploadId: id }, body: xml('"ffffffffffffffffffffffffffffffff"') });
  assert.equal(bad.status, 400);
  assert.equal(errorCode(bad.body), 'InvalidPart');
  const good = await rawRequest(d.url, { method: 'POST', path: '/neg/mp.bin', query: { uploadId: id }, body: xml(p.headers.etag) });
  assert.equal(good.status, 200, good.body);
  const gone = await rawRequest(d.url, { method: 'POST', path: '/neg/mp.bin', query: { uploadId: id }, body: xml(p.headers.etag) });
  assert.equal(gone.status, 404);
  assert.equal(errorCode(gone.body), 'NoSuchUpload');
});

test('DeleteObjects needs Content-MD5 or a checksum; over 1000 keys is MalformedXML', async () => {
  const body = '<Delete><Object><Key>a</Key></Object></Delete>';
  const none = await rawRequest(d.url, { method: 'POST', path: '/neg', query: { delete: '' }, body });
  assert.equal(none.status, 400);
  assert.equal(errorCode(none.body), 'InvalidRequest');
  const ok = await rawRequest(d.url, { method: 'POST', path: '/neg', query: { delete: '' }, body, headers: { 'content-md5': md5b64(Buffer.from(body)) } });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /<Deleted><Key>a<\/Key><\/Deleted>/);
  const many = `<Delete>${Array.from({ length: 1001 }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('')}</Delete>`;
  const over = await rawRequest(d.url, { method: 'POST', path: '/neg', query: { delete: '' }, body: many, headers: { 'content-md5': md5b64(Buffer.from(many)) } });
  assert.equal(over.status, 400);
  assert.equal(errorCode(over.body), 'MalformedXML');
});

test('over-limit TemplateBody: ValidationError 400', async () => {
  const tpl = JSON.stringify({ Description: 'y'.repeat(51200), Resources: { A: { Type: 'AWS::S3::Bucket' } } });
  const r = await form('cloudformation', `Action=CreateChangeSet&Version=2010-05-15&StackName=S&ChangeSetName=c&ChangeSetType=CREATE&TemplateBody=${encodeURIComponent(tpl)}`);
  assert.equal(r.status, 400);
  assert.match(r.body, /<Code>ValidationError<\/Code><Message>1 validation error detected: Value &apos;\{/);
  assert.match(r.body, /at &apos;templateBody&apos; failed to satisfy constraint: Member must have length less than or equal to 51200<\/Message>/);
});

test('errors name the resource: NoSuchBucket, NoSuchKey, NoSuchUpload', async () => {
  const nb = await rawRequest(d.url, { method: 'GET', path: '/nobucket/x' });
  assert.equal(nb.status, 404);
  assert.equal(errorCode(nb.body), 'NoSuchBucket');
  assert.match(nb.body, /<BucketName>nobucket<\/BucketName>/);
  const nk = await rawRequest(d.url, { method: 'GET', path: '/neg/none.txt' });
  assert.equal(nk.status, 404);
  assert.equal(errorCode(nk.body), 'NoSuchKey');
  assert.match(nk.body, /<Key>none.txt<\/Key>/);
  const nu = await rawRequest(d.url, { method: 'GET', path: '/neg/none.txt', query: { uploadId: 'bogus' } });
  assert.equal(nu.status, 404);
  assert.equal(errorCode(nu.body), 'NoSuchUpload');
});

test('aws-chunked signed streaming: valid chunk signatures accepted, a bad one refused', async () => {
  // The signing key frames the chunks, so it must be for the request's date.
  const now = new Date();
  const shortDate = now.toISOString().slice(0, 10).replace(/-/g, '');
  const key = Buffer.from(await getSigningKey(NodeSha256, ROOT, shortDate, 'ap-northeast-1', 's3'));
  const chunks = [crypto.randomBytes(8192), crypto.randomBytes(100)];
  const ok = await signedChunkedPutWithKey(key, 'stream.bin', chunks, false, now);
  assert.equal(ok.status, 200, ok.body);
  const st = await d.state();
  assert.equal(st.buckets.neg.objects['stream.bin'].size, 8292);
  assert.equal(st.buckets.neg.objects['stream.bin'].sha256, crypto.createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  const bad = await signedChunkedPutWithKey(key, 'stream2.bin', chunks, true, now);
  assert.equal(bad.status, 403);
  assert.equal(errorCode(bad.body), 'SignatureDoesNotMatch');
});

async function signedChunkedPutWithKey(signingKey, key, chunks, corrupt, signingDate) {
  const data = Buffer.concat(chunks);
  return rawRequest(d.url, {
    method: 'PUT', path: `/neg/${key}`, signingDate,
    headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) },
    body: Buffer.alloc(0),
    tamper: (s) => {
      const seed = /Signature=([0-9a-f]+)/.exec(s.headers.authorization)[1];
      const amzDate = s.headers['x-amz-date'];
      const scope = `${amzDate.slice(0, 8)}/ap-northeast-1/s3/aws4_request`;
      const empty = crypto.createHash('sha256').update('').digest('hex');
      const framed = [];
      let prev = seed;
      for (const c of [...chunks, Buffer.alloc(0)]) {
        const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${empty}\n${crypto.createHash('sha256').update(c).digest('hex')}`;
        let sig = crypto.createHmac('sha256', signingKey).update(sts).digest('hex');
        if (corrupt && c.length) sig = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
        framed.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sig}\r\n`), c, Buffer.from('\r\n'));
        prev = sig;
      }
      s.body = Buffer.concat(framed);
    },
  });
}

test('aws-chunked decoder matches the S3 documentation example signatures', async () => {
  // docs: sigv4-streaming example (examplebucket/chunkObject.txt, 20130524T000000Z).
  const key = Buffer.from(await getSigningKey(NodeSha256, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, '20130524', 'us-east-1', 's3'));
  const dec = new AwsChunkedDecoder({ signingKey: key, amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9' });
  const body = Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'), Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
    Buffer.from('400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'), Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
    Buffer.from('0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
  let n = 0;
  // Feed in odd-sized pieces to exercise the framing state machine.
  for (let i = 0; i < body.length; i += 777) for (const piece of dec.push(body.subarray(i, i + 777))) n += piece.length;
  dec.end();
  assert.equal(n, 66560);
});

test('STREAMING-UNSIGNED-PAYLOAD-TRAILER: trailer checksum verified', async () => {
  const data = Buffer.from('hello trailer');
  const crc = (b) => { const o = Buffer.alloc(4); o.writeUInt32BE(require('node:zlib').crc32(b)); return o.toString('base64'); };
  const send = (checksum) => rawRequest(d.url, {
    method: 'PUT', path: '/neg/trailer.txt', body: Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`)]),
    headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32' },
  });
  const ok = await send(crc(data));
  assert.equal(ok.status, 200, ok.body);
  const bad = await send(crc(Buffer.from('other')));
  assert.equal(bad.status, 400);
  assert.equal(errorCode(bad.body), 'BadDigest');
  const st = await d.state();
  assert.equal(st.buckets.neg.objects['trailer.txt'].contentEncoding, null);
  assert.deepEqual(st.buckets.neg.objects['trailer.txt'].checksum, { crc32: crc(data) });
});
