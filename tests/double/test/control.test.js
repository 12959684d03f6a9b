'use strict';
// The control API, the call log, fault injection, and the non-AWS
// endpoints (Slack sink, site origin, app health).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const S3 = require('@aws-sdk/client-s3');
const CF = require('@aws-sdk/client-cloudfront');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const { startDouble, clientConfig, rawRequest, errorCode } = require('./helpers');

let d; let s3;
test.before(async () => {
  d = await startDouble();
  s3 = new S3.S3Client(clientConfig(d.url));
});
test.after(async () => { s3.destroy(); assert.equal(await d.stop(), 0); });

const lastSeq = async () => { const c = await d.calls(); return c.length ? c.at(-1).seq : 0; };

test('seed creates what an account already has; state shows it', async () => {
  await d.seed({
    buckets: ['site'], distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], roles: ['deploy', 'arn:aws:iam::123456789012:role/ops/other'],
    alarms: [{ name: 'a1', state: 'OK', type: 'metric' }, { name: 'c1', state: 'ALARM', type: 'composite' }],
    bootstrap: [{ account: '123456789012', region: 'ap-northeast-1', version: 21 }],
    app: { bucket: 'site', versionKey: 'version.json' },
    objects: [{ bucket: 'site', key: 'version.json', body: '{"version":"v1"}', contentType: 'application/json' }],
  });
  const st = await d.state();
  assert.ok(st.buckets.site);
  assert.ok(st.buckets['cdk-hnb659fds-assets-123456789012-ap-northeast-1']);
  assert.deepEqual(st.roles, [
    'cdk-hnb659fds-cfn-exec-role-123456789012-ap-northeast-1', 'cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1',
    'cdk-hnb659fds-file-publishing-role-123456789012-ap-northeast-1', 'cdk-hnb659fds-image-publishing-role-123456789012-ap-northeast-1',
    'cdk-hnb659fds-lookup-role-123456789012-ap-northeast-1', 'deploy', 'other',
  ]);
  assert.equal(st.ssm['/cdk-bootstrap/hnb659fds/version'], '21');
  assert.equal(st.alarms.c1.state, 'ALARM');
  assert.equal(st.alarms.c1.type, 'composite');
  assert.deepEqual(st.distributions.E2EXAMPLE.invalidations, []);
  assert.equal(st.buckets.site.objects['version.json'].contentType, 'application/json');
  assert.equal(st.stacks.CDKToolkit.status, 'CREATE_COMPLETE');
  assert.equal(typeof st.connections, 'number');
});

test('call log: every request, including rejected and unroutable ones; since=; connection ids', async () => {
  const since = await lastSeq();
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'a.txt', Body: 'a' }));
  await assert.rejects(s3.send(new S3.GetObjectCommand({ Bucket: 'site', Key: 'missing' })));
  await rawRequest(d.url, { method: 'PUT', path: '/site/b.txt', body: 'b', credentials: { accessKeyId: 'AKIAAIRLOCKDOUBLE001', secretAccessKey: 'bad' } });
  await rawRequest(d.url, { method: 'GET', path: '/site', query: { acl: '' } });
  const calls = (await d.calls(since)).filter((c) => c.service === 's3');
  assert.deepEqual(calls.map((c) => [c.operation, c.status, c.code]), [
    ['PutObject', 200, null], ['GetObject', 404, 'NoSuchKey'], ['PutObject', 403, 'SignatureDoesNotMatch'], ['Unknown', 501, 'NotImplemented'],
  ]);
  const c0 = calls[0];
  assert.equal(c0.method, 'PUT');
  assert.equal(c0.path, '/site/a.txt');
  assert.equal(c0.bucket, 'site');
  assert.equal(c0.key, 'a.txt');
  assert.equal(c0.accessKey, 'AKIAAIRLOCKDOUBLE001');
  assert.equal(c0.principal, 'arn:aws:iam::123456789012:root');
  assert.equal(c0.bytesIn, 1);
  assert.equal(c0.fault, null);
  assert.ok(c0.end >= c0.start && c0.start > 1.6e12);
  assert.ok(Number.isInteger(c0.connectionId));
  assert.ok(calls.every((c, i) => i === 0 || c.seq > calls[i - 1].seq));
  // The SDK keeps its connection alive: both SDK calls share one connection.
  assert.equal(calls[0].connectionId, calls[1].connectionId);
});

test('connections are counted; a fresh agent opens new ones', async () => {
  const before = (await d.state()).connections;
  for (let i = 0; i < 3; i++) {
    const agent = new http.Agent({ keepAlive: false });
    await rawRequest(d.url, { method: 'GET', path: '/site', query: { 'list-type': '2' }, agent });
  }
  const after = (await d.state()).connections;
  assert.ok(after - before >= 3, `${before} -> ${after}`);
});

test('faults: counted SlowDown errors are retried by the SDK; Retry-After header; log names the fault', async () => {
  await d.faults({ rules: [{ service: 's3', operation: 'PutObject', status: 503, code: 'SlowDown', count: 2, retryAfter: 1 }] });
  const since = await lastSeq();
  const retrying = new S3.S3Client(clientConfig(d.url, undefined, { maxAttempts: 3 }));
  await retrying.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'retry.txt', Body: 'r' }));
  const calls = (await d.calls(since)).filter((c) => c.operation === 'PutObject');
  assert.deepEqual(calls.map((c) => [c.status, c.code, c.fault]), [[503, 'SlowDown', 'error:SlowDown'], [503, 'SlowDown', 'error:SlowDown'], [200, null, null]]);
  await d.faults({ rules: [{ service: 's3', status: 503, code: 'SlowDown', count: 1, retryAfter: 2 }] });
  const r = await rawRequest(d.url, { method: 'GET', path: '/site', query: { 'list-type': '2' } });
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '2');
  assert.equal(errorCode(r.body), 'SlowDown');
  const q = await d.faults({ rules: [{ service: 'cloudformation', code: 'Throttling', count: 1 }] });
  assert.equal(q.faults.rules.length, 1);
  const t = await rawRequest(d.url, { method: 'POST', path: '/', service: 'cloudformation', body: 'Action=DescribeStacks&Version=2010-05-15', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(t.status, 400);
  assert.match(t.body, /<ErrorResponse xmlns="http:\/\/cloudformation.amazonaws.com\/doc\/2010-05-15\/"><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message>/);
  await d.faults({ rules: [] });
});

test('faults: rate with a seed is reproducible', async () => {
  const run = async () => {
    await d.faults({ seed: 7, rules: [{ service: '*', rate: 0.5, status: 500, code: 'InternalError' }] });
    const out = [];
    for (let i = 0; i < 20; i++) out.push((await rawRequest(d.url, { method: 'HEAD', path: '/site/a.txt' })).status);
    return out;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.ok(a.includes(500) && a.includes(200));
  await d.faults({ rules: [] });
});

test('faults: reset before (nothing happens) and reset after (state changed, no answer)', async () => {
  await d.faults({ rules: [{ operation: 'PutObject', reset: 'before', count: 1 }, { operation: 'CreateInvalidation', reset: 'after', count: 1 }] });
  await assert.rejects(rawRequest(d.url, { method: 'PUT', path: '/site/reset-before.txt', body: 'x', agent: new http.Agent() }), (e) => /socket hang up|ECONNRESET/.test(e.message + e.code));
  assert.equal((await d.state()).buckets.site.objects['reset-before.txt'], undefined);
  const cf = new CF.CloudFrontClient(clientConfig(d.url, undefined, { requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent() }) }));
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand({ DistributionId: 'E2EXAMPLE', InvalidationBatch: { CallerReference: 'after-1', Paths: { Quantity: 1, Items: ['/x'] } } })));
  const st = await d.state();
  assert.equal(st.distributions.E2EXAMPLE.invalidations.at(-1).callerReference, 'after-1');
  const calls = await d.calls();
  const inv = calls.filter((c) => c.operation === 'CreateInvalidation').at(-1);
  assert.equal(inv.fault, 'reset-after');
  const put = calls.filter((c) => c.fault === 'reset-before').at(-1);
  assert.equal(put.status, 0);
  // Retrying with the same CallerReference returns the invalidation made before the reset.
  const again = await cf.send(new CF.CreateInvalidationCommand({ DistributionId: 'E2EXAMPLE', InvalidationBatch: { CallerReference: 'after-1', Paths: { Quantity: 1, Items: ['/x'] } } }));
  assert.equal(again.Invalidation.Id, st.distributions.E2EXAMPLE.invalidations.at(-1).id);
  await d.faults({ rules: [] });
});

test('faults: latency, and clockOffsetSeconds shifts Date and the skew check', async () => {
  await d.faults({ rules: [{ service: 's3', latencyMs: 150 }] });
  const t0 = Date.now();
  await rawRequest(d.url, { method: 'HEAD', path: '/site/a.txt' });
  assert.ok(Date.now() - t0 >= 140);
  await d.faults({ rules: [{ latencyMs: [10, 20] }], clockOffsetSeconds: 3600 });
  const r = await rawRequest(d.url, { method: 'HEAD', path: '/site/a.txt' });
  assert.equal(r.status, 403);
  assert.ok(Math.abs(Date.parse(r.headers.date) - (Date.now() + 3600e3)) < 5000);
  const fixed = await rawRequest(d.url, { method: 'HEAD', path: '/site/a.txt', signingDate: new Date(Date.parse(r.headers.date)) });
  assert.equal(fixed.status, 200);
  // The SDK corrects its clock from the Date header and retries.
  const sdk = new S3.S3Client(clientConfig(d.url, undefined, { maxAttempts: 3 }));
  await sdk.send(new S3.HeadObjectCommand({ Bucket: 'site', Key: 'a.txt' }));
  await d.faults({ rules: [] });
  const h = await rawRequest(d.url, { method: 'HEAD', path: '/site/a.txt' });
  assert.ok(Math.abs(Date.parse(h.headers.date) - Date.now()) < 5000);
});

test('faults: bad bodies are refused with 400', async () => {
  const res = await fetch(`${d.url}/__control/faults`, { method: 'POST', body: '{"rules": [{"reset": "sideways"}]}' });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /reset must be/);
  const res2 = await fetch(`${d.url}/__control/seed`, { method: 'POST', body: 'not json' });
  assert.equal(res2.status, 400);
});

test('slack sink: records JSON, refuses bad payloads, scripted 429 with Retry-After', async () => {
  const post = (body, path = '/__slack/T000/B000/XXXX') => fetch(d.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const ok = await post(JSON.stringify({ text: 'deployed v1' }));
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'ok');
  const bad = await post('{not json');
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), 'invalid_payload');
  const empty = await post('{}');
  assert.equal(empty.status, 400);
  assert.equal(await empty.text(), 'no_text');
  await d.script({ slack: { status429: 1, retryAfter: 3 } });
  const limited = await post(JSON.stringify({ text: 'again' }));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '3');
  const after = await post(JSON.stringify({ text: 'again', blocks: [] }));
  assert.equal(after.status, 200);
  assert.deepEqual((await d.state()).slack, [{ text: 'deployed v1' }, { text: 'again', blocks: [] }]);
});

test('site origin serves stored objects with their headers', async () => {
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'index.html', Body: '<p>v1</p>', ContentType: 'text/html', CacheControl: 'no-cache' }));
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'docs/index.html', Body: 'docs', ContentType: 'text/html' }));
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'app.3f9a2b1c.js', Body: 'js', ContentType: 'text/javascript', CacheControl: 'public, max-age=31536000, immutable', ContentEncoding: 'identity' }));
  const root = await fetch(`${d.url}/__site/site/`);
  assert.equal(root.status, 200);
  assert.equal(await root.text(), '<p>v1</p>');
  assert.equal(root.headers.get('content-type'), 'text/html');
  assert.equal(root.headers.get('cache-control'), 'no-cache');
  assert.ok(root.headers.get('etag'));
  assert.equal(await (await fetch(`${d.url}/__site/site/docs/`)).text(), 'docs');
  const js = await fetch(`${d.url}/__site/site/app.3f9a2b1c.js`);
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(js.headers.get('content-encoding'), 'identity');
  assert.equal((await fetch(`${d.url}/__site/site/nope.html`)).status, 404);
  assert.equal((await fetch(`${d.url}/__site/nobucket/x`)).status, 404);
  const cond = await fetch(`${d.url}/__site/site/index.html`, { headers: { 'if-none-match': root.headers.get('etag') } });
  assert.equal(cond.status, 304);
});

test('app health follows the version file and scripted failing versions', async () => {
  const health = async () => { const r = await fetch(`${d.url}/__app/health`); return [r.status, await r.json()]; };
  assert.deepEqual(await health(), [200, { status: 'ok', version: 'v1' }]);
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'version.json', Body: '{"version":"v3"}' }));
  await d.script({ app: { failVersions: ['v3'] } });
  assert.deepEqual(await health(), [500, { status: 'error', version: 'v3' }]);
  await s3.send(new S3.DeleteObjectCommand({ Bucket: 'site', Key: 'version.json' }));
  assert.equal((await health())[0], 503);
});

test('reset returns to a fresh double', async () => {
  await d.faults({ rules: [{ latencyMs: 5 }], clockOffsetSeconds: 10 });
  await d.reset();
  const st = await d.state();
  assert.deepEqual(st.buckets, {});
  assert.deepEqual(st.stacks, {});
  assert.deepEqual(st.slack, []);
  assert.deepEqual(st.roles, []);
  assert.deepEqual(st.faults.rules, []);
  assert.equal(st.faults.clockOffsetSeconds, 0);
  assert.equal(st.settings.invalidationMs, 2000);
  const calls = await d.calls();
  assert.ok(calls.length <= 1);
  await assert.rejects(s3.send(new S3.ListObjectsV2Command({ Bucket: 'site' })), { name: 'NoSuchBucket' });
});
