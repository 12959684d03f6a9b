// SPDX-License-Identifier: Apache-2.0
// Releases and rollback (issue 8) through the real binary against the AWS
// double: restore by server-side copy from the store's packs, guarded inputs,
// automatic rollback, the deploy lock, content stored once, retention.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startDouble, runAirlock, makeSite, readTree, bucketContents, tmpdir, ACCOUNT, REGION } = require('./lib');

const STORE_BUCKET = `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`;
const STORE = `airlock/production/`;

let double;
test.before(async () => {
  double = await startDouble();
});
test.after(async () => {
  await double.stop();
});

async function fresh() {
  await double.control('reset', {});
  await double.control('seed', {
    buckets: ['site'],
    bootstrap: [{ account: ACCOUNT, region: REGION }],
    app: { bucket: 'site', versionKey: 'version.json' },
  });
}

function deployInputs(site, version, extra = {}) {
  return {
    command: 'deploy', version, 'site-dir': site, bucket: 'site',
    'health-url': `${double.base}/__app/health`, 'health-expect-version': 'version',
    'health-interval': '0', 'health-attempts': '3', ...extra,
  };
}

// The bucket holds exactly the site: same keys, bytes, and the recorded headers.
async function assertBucketIs(siteFiles, expectedHeaders) {
  const got = await bucketContents(double, 'site');
  assert.deepEqual(Object.keys(got).sort(), Object.keys(siteFiles).sort());
  for (const [k, body] of Object.entries(siteFiles)) {
    assert.ok(got[k].body.equals(body), `content of ${k}`);
    if (expectedHeaders) {
      assert.equal(got[k].contentType, expectedHeaders[k].contentType, `Content-Type of ${k}`);
      assert.equal(got[k].cacheControl, expectedHeaders[k].cacheControl, `Cache-Control of ${k}`);
    }
  }
  return got;
}

// v2 differs from v1: 20 files changed, 5 removed, 3 added.
function makeV2(v1dir, v2dir) {
  fs.cpSync(v1dir, v2dir, { recursive: true });
  const assets = fs.readdirSync(path.join(v2dir, 'assets')).sort();
  for (let i = 0; i < 20; i++) fs.appendFileSync(path.join(v2dir, 'assets', assets[i]), `// v2 change ${i}\n`);
  for (let i = 20; i < 25; i++) fs.rmSync(path.join(v2dir, 'assets', assets[i]));
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(v2dir, 'assets', `added-${i}.Ab12Cd${i}9.js`), `added ${i}`);
  fs.writeFileSync(path.join(v2dir, 'version.json'), JSON.stringify({ version: 'v2' }));
  fs.writeFileSync(path.join(v2dir, 'index.html'), '<html>v2</html>');
}

// A fresh double with v1 (40 files) deployed, then v2 (makeV2), both under root.
async function deployV1V2(root) {
  await fresh();
  const v1 = makeSite(path.join(root, 'v1'), { n: 40, version: 'v1' });
  assert.equal(runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') }).status, 0);
  makeV2(v1.dir, path.join(root, 'v2'));
  assert.equal(runAirlock(double, { inputs: deployInputs(path.join(root, 'v2'), 'v2') }).status, 0);
}

test('deploy v1, v2, then rollback to v1 restores the bucket byte for byte by server-side copy', async () => {
  await fresh();
  const root = tmpdir('rel');
  const v1 = makeSite(path.join(root, 'v1'), { n: 40, version: 'v1' });
  let r = runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.outputs.status, 'deployed');
  // The release's content went into the store as one pack, not one object a file.
  const stored = Object.keys((await double.state()).buckets[STORE_BUCKET].objects);
  assert.equal(stored.filter((k) => k.startsWith(`${STORE}packs/`)).length, 1, stored.join(', '));
  assert.deepEqual(stored.filter((k) => k.startsWith(`${STORE}blobs/`)), []);
  const v1bucket = await assertBucketIs(v1.files);
  const v1headers = Object.fromEntries(Object.entries(v1bucket).map(([k, v]) => [k, v]));

  makeV2(v1.dir, path.join(root, 'v2'));
  r = runAirlock(double, { inputs: deployInputs(path.join(root, 'v2'), 'v2') });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.outputs['previous-version'], 'v1');
  assert.equal(r.outputs['files-uploaded'], '25'); // 20 changed, 3 added, version.json, index.html
  await assertBucketIs(readTree(path.join(root, 'v2')));

  const before = (await double.calls()).length;
  r = runAirlock(double, { inputs: { command: 'rollback', version: 'v1', confirmation: 'rollback',
    'health-url': `${double.base}/__app/health`, 'health-expect-version': 'version', 'health-interval': '0' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.outputs.status, 'restored');
  assert.equal(r.outputs.version, 'v1');
  assert.equal(r.outputs['previous-version'], 'v2');
  await assertBucketIs(v1.files, v1headers);
  const calls = (await double.calls()).slice(before);
  const puts = calls.filter((c) => ['PutObject', 'UploadPart'].includes(c.operation) && c.bucket === 'site');
  assert.equal(puts.length, 0, 'no file content is uploaded from the runner during a rollback');
  // The 27 keys v2 changed or removed (20 assets, 5 removed assets,
  // index.html, version.json) are each copied server-side from their range of
  // v1's pack; the 3 added ones are deleted.
  const copies = calls.filter((c) => c.operation === 'UploadPartCopy' && c.bucket === 'site');
  assert.equal(copies.length, 27, calls.map((c) => c.operation).join(', '));
  assert.ok(copies.every((c) => c.status === 200 && c.bytesIn === 0));
  assert.match(r.summary, /restored/);

  // live.json still holds v2's manifest: the next deploy must see that
  // current.json names v1 by another record and read v1's manifest instead,
  // or it would believe v2's files are live and upload nothing.
  const b2 = (await double.calls()).length;
  r = runAirlock(double, { inputs: deployInputs(path.join(root, 'v2'), 'v2-again', { 'health-expect-version': '' }) });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.outputs['files-uploaded'], '25');
  await assertBucketIs(readTree(path.join(root, 'v2')));
  const reads = (await double.calls()).slice(b2).filter((c) => c.operation === 'GetObject' && c.bucket === STORE_BUCKET).map((c) => c.key);
  assert.deepEqual(reads.sort(), [`${STORE}current.json`, `${STORE}live.json`, `${STORE}releases/v1.json`]);
  fs.rmSync(root, { recursive: true, force: true });
});

test('a restore that fails half-way aborts every multipart upload it started', async () => {
  const root = tmpdir('rel');
  await deployV1V2(root);
  // A copy fails once every upload is open; then a start fails among the others.
  for (const operation of ['UploadPartCopy', 'CreateMultipartUpload']) {
    await double.control('faults', { rules: [{ service: 's3', operation, status: 500, code: 'InternalError', count: 1 }] });
    const r = runAirlock(double, { inputs: { command: 'rollback', version: 'v1', confirmation: 'rollback', 'max-attempts': '1' } });
    await double.control('faults', { rules: [] });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(operation));
    const st = await double.state();
    assert.deepEqual(Object.keys(st.uploads || {}), [], `${operation}: no multipart upload left open`);
    // The live site is still v2: nothing was completed.
    await assertBucketIs(readTree(path.join(root, 'v2')));
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test('empty and large files are stored by server-side copy into blobs/ and come back the same way', async () => {
  await fresh();
  const root = tmpdir('rel');
  const v1 = makeSite(path.join(root, 'v1'), { n: 3, version: 'v1' });
  const big = Buffer.alloc(17 * 1024 * 1024, 7); // above the 16 MiB packed-file limit
  fs.writeFileSync(path.join(v1.dir, 'assets/big.bin'), big);
  fs.writeFileSync(path.join(v1.dir, 'empty.txt'), '');
  v1.files['assets/big.bin'] = big;
  v1.files['empty.txt'] = Buffer.alloc(0);
  let r = runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const v1headers = await assertBucketIs(v1.files);
  const blobs = Object.keys((await double.state()).buckets[STORE_BUCKET].objects).filter((k) => k.startsWith(`${STORE}blobs/`));
  assert.equal(blobs.length, 2, blobs.join(', '));

  const v2dir = path.join(root, 'v2');
  fs.cpSync(v1.dir, v2dir, { recursive: true });
  fs.writeFileSync(path.join(v2dir, 'assets/big.bin'), Buffer.alloc(17 * 1024 * 1024, 8));
  fs.rmSync(path.join(v2dir, 'empty.txt'));
  fs.writeFileSync(path.join(v2dir, 'version.json'), JSON.stringify({ version: 'v2' }));
  r = runAirlock(double, { inputs: deployInputs(v2dir, 'v2') });
  assert.equal(r.status, 0, r.stdout + r.stderr);

  const before = (await double.calls()).length;
  r = runAirlock(double, { inputs: { command: 'rollback', version: 'v1', confirmation: 'rollback' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  await assertBucketIs(v1.files, v1headers);
  const calls = (await double.calls()).slice(before).filter((c) => c.bucket === 'site');
  const copied = calls.filter((c) => c.operation === 'CopyObject').map((c) => c.key).sort();
  assert.deepEqual(copied, ['assets/big.bin', 'empty.txt']);
  assert.deepEqual(calls.filter((c) => c.operation === 'UploadPartCopy').map((c) => c.key), ['version.json']);
  assert.equal(calls.filter((c) => ['PutObject', 'UploadPart'].includes(c.operation)).length, 0);
  fs.rmSync(root, { recursive: true, force: true });
});

test('bad rollback inputs exit 2 without a single call to AWS', async () => {
  await fresh();
  const awsCalls = async () => (await double.calls()).filter((c) => c.service && !c.service.startsWith('_') && c.operation !== 'Unknown' && ['s3', 'sts', 'cloudformation', 'cloudfront', 'monitoring', 'ssm'].includes(c.service)).length;
  const before = await awsCalls();
  const bad = [
    { confirmation: 'Rollback', version: 'v1' },
    { confirmation: 'rollback now', version: 'v1' },
    { confirmation: '', version: 'v1' },
    { confirmation: '\uff52\uff4f\uff4c\uff4c\uff42\uff41\uff43\uff4b', version: 'v1' },
    { confirmation: 'rollback', version: '' },
    { confirmation: 'rollback', version: 'v1;rm -rf /' },
    { confirmation: 'rollback', version: '../v1' },
    { confirmation: 'rollback', version: 'v'.repeat(200) },
  ];
  for (const b of bad) {
    const r = runAirlock(double, { inputs: { command: 'rollback', ...b } });
    assert.equal(r.status, 2, `${JSON.stringify(b)}: ${r.stdout}`);
    assert.match(r.stdout, /::error/);
  }
  assert.equal(await awsCalls(), before, 'no call reached the double');
});

test('an unknown version exits 2 listing the newest releases and changes nothing', async () => {
  await fresh();
  const root = tmpdir('rel');
  const v1 = makeSite(path.join(root, 'v1'), { n: 5, version: 'v1' });
  assert.equal(runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') }).status, 0);
  const before = (await double.calls()).length;
  const r = runAirlock(double, { inputs: { command: 'rollback', version: 'v9', confirmation: 'rollback' } });
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stdout, /release 'v9' is not recorded/);
  assert.match(r.stdout, /newest releases are: v1/);
  const mutating = (await double.calls()).slice(before)
    .filter((c) => ['PUT', 'POST', 'DELETE'].includes(c.method) && c.service === 's3');
  assert.deepEqual(mutating, []);
  fs.rmSync(root, { recursive: true, force: true });
});

test('an unhealthy v3 is rolled back to v2 automatically: exit 1, status rolled-back', async () => {
  const root = tmpdir('rel');
  await deployV1V2(root);
  const v2files = readTree(path.join(root, 'v2'));
  const v3 = makeSite(path.join(root, 'v3'), { n: 20, version: 'v3', seed: 3 });
  await double.control('script', { app: { failVersions: ['v3'] } });
  const r = runAirlock(double, { inputs: deployInputs(v3.dir, 'v3') });
  assert.equal(r.status, 1, r.stdout);
  assert.equal(r.outputs.status, 'rolled-back');
  assert.match(r.summary, /Auto-rollback/);
  await assertBucketIs(v2files);
  const cur = await (await fetch(`${double.base}/__app/health`)).json();
  assert.equal(cur.version, 'v2');
  fs.rmSync(root, { recursive: true, force: true });
});

test('a held lock stops a second deploy with exit 4 naming the holder; a stale one is taken over', async () => {
  await fresh();
  const root = tmpdir('rel');
  const v1 = makeSite(path.join(root, 'v1'), { n: 5, version: 'v1' });
  const future = new Date(Date.now() + 600000).toISOString();
  await double.control('seed', { objects: [{ bucket: STORE_BUCKET, key: `${STORE}lock.json`,
    body: JSON.stringify({ token: 'x', runUrl: 'https://github.com/o/r/actions/runs/42', expires: future }) }] });
  let r = runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') });
  assert.equal(r.status, 4, r.stdout);
  assert.match(r.stdout, /actions\/runs\/42/);
  assert.equal(Object.keys((await double.state()).buckets.site.objects).length, 0, 'nothing deployed');

  const past = new Date(Date.now() - 60000).toISOString();
  await double.control('seed', { objects: [{ bucket: STORE_BUCKET, key: `${STORE}lock.json`,
    body: JSON.stringify({ token: 'x', runUrl: 'https://github.com/o/r/actions/runs/41', expires: past }) }] });
  r = runAirlock(double, { inputs: deployInputs(v1.dir, 'v1') });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /::warning::taking over a stale deploy lock/);
  const st = await double.state();
  assert.equal(st.buckets[STORE_BUCKET].objects[`${STORE}lock.json`], undefined, 'lock released');
  fs.rmSync(root, { recursive: true, force: true });
});

test('two deploys started together: one holds the lock, the other exits 4 naming its run', async () => {
  await fresh();
  const root = tmpdir('rel');
  const v1 = makeSite(path.join(root, 'v1'), { n: 30, version: 'v1' });
  // Slow S3 down so that the two runs overlap.
  await double.control('faults', { rules: [{ service: 's3', latencyMs: 60 }] });
  const { spawn } = require('node:child_process');
  const run = (id) => new Promise((resolve) => {
    const env = { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: id, GITHUB_REPOSITORY: 'o/r',
      GITHUB_SERVER_URL: 'https://github.com', AWS_ENDPOINT_URL: double.base, AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIAAIRLOCKDOUBLE001', AWS_SECRET_ACCESS_KEY: 'airlock/double/secret/key' };
    for (const [k, v] of Object.entries(deployInputs(v1.dir, `v-${id}`, { 'health-url': '' }))) env[`INPUT_${k.toUpperCase()}`] = v;
    const c = spawn(require('./lib').AIRLOCK, [], { env });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', (code) => resolve({ code, out }));
  });
  const [a, b] = await Promise.all([run('1001'), run('1002')]);
  await double.control('faults', { rules: [] });
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 4], `${a.out}\n----\n${b.out}`);
  const loser = a.code === 4 ? a : b;
  const winner = a.code === 4 ? '1002' : '1001';
  assert.match(loser.out, new RegExp(`actions/runs/${winner}`));
  fs.rmSync(root, { recursive: true, force: true });
});

test('an unchanged redeploy stores nothing; keep-releases 2 keeps two manifests and their packs', async () => {
  await fresh();
  const root = tmpdir('rel');
  const site = makeSite(path.join(root, 's'), { n: 10, version: 'v1' });
  assert.equal(runAirlock(double, { inputs: deployInputs(site.dir, 'v1') }).status, 0);
  const before = (await double.calls()).length;
  let r = runAirlock(double, { inputs: deployInputs(site.dir, 'v1') });
  assert.equal(r.status, 0, r.stdout);
  const blobWrites = (await double.calls()).slice(before)
    .filter((c) => c.bucket === STORE_BUCKET && /\/(blobs|packs)\//.test(c.key || '') && ['PUT', 'POST'].includes(c.method));
  assert.deepEqual(blobWrites, [], 'no content written to the store');
  assert.equal(r.outputs['files-uploaded'], '0');

  // Unchanged under a new version: the release protocol alone. The trusted
  // live release holds every hash, so nothing is stored, its manifest is read
  // from live.json together with current.json, the record is written in one
  // batch, and retention with nothing to prune reads no manifest.
  const b2 = (await double.calls()).length;
  // 50 ms on each S3 call, so calls sent together overlap in the call log.
  await double.control('faults', { rules: [{ service: 's3', latencyMs: 50 }] });
  r = runAirlock(double, { inputs: deployInputs(site.dir, 'v1-again', { 'health-expect-version': '' }) });
  await double.control('faults', { rules: [] });
  assert.equal(r.status, 0, r.stdout);
  const store = (await double.calls()).slice(b2).filter((c) => c.bucket === STORE_BUCKET);
  const ops = store.map((c) => `${c.operation} ${c.key || decodeURIComponent((/prefix=([^&]*)/.exec(c.query) || [])[1] || '')}`);
  assert.deepEqual(ops.filter((o) => /blobs\/|packs\//.test(o)), [], 'no content listed, read or written');
  assert.deepEqual(ops.sort(), [
    `DeleteObject ${STORE}lock.json`, `GetObject ${STORE}current.json`, `GetObject ${STORE}live.json`,
    `ListObjectsV2 ${STORE}releases/`, `PutObject ${STORE}current.json`, `PutObject ${STORE}live.json`,
    `PutObject ${STORE}lock.json`, `PutObject ${STORE}releases/v1-again.json`,
  ]);
  // Four round trips: the lock; current.json with live.json; the record; the unlock.
  const byStart = [...store].sort((a, b) => a.start - b.start);
  let waves = 0;
  let waveEnd = -Infinity;
  for (const c of byStart) {
    if (c.start >= waveEnd) waves++;
    waveEnd = c.start >= waveEnd ? c.end : Math.max(waveEnd, c.end);
  }
  assert.equal(waves, 4, byStart.map((c) => `${c.operation} ${c.key}`).join(', '));

  for (const v of ['v2', 'v3', 'v4']) {
    fs.writeFileSync(path.join(site.dir, 'version.json'), JSON.stringify({ version: v }));
    fs.writeFileSync(path.join(site.dir, `assets/only-${v}.js`), `only in ${v}`);
    r = runAirlock(double, { inputs: deployInputs(site.dir, v, { 'keep-releases': '2' }) });
    assert.equal(r.status, 0, r.stdout);
  }
  const objs = Object.keys((await double.state()).buckets[STORE_BUCKET].objects);
  const manifests = objs.filter((k) => k.startsWith(`${STORE}releases/`)).sort();
  assert.deepEqual(manifests, [`${STORE}releases/v3.json`, `${STORE}releases/v4.json`]);
  // Every remaining pack and blob is referenced by v3 or v4, and every referenced one exists.
  const held = new Set(objs.filter((k) => /^.*\/(blobs|packs)\//.test(k)).map((k) => k.split('/').slice(-2).join('/')));
  const referenced = new Set();
  for (const m of manifests) {
    const body = await (await fetch(`${double.base}/__site/${STORE_BUCKET}/${m}`)).json();
    for (const f of body.site.files) referenced.add(f.pack ? `packs/${f.pack}` : `blobs/${f.sha256}`);
  }
  assert.deepEqual([...held].sort(), [...referenced].sort());
  assert.ok([...held].some((k) => k.startsWith('packs/')));
  fs.rmSync(root, { recursive: true, force: true });
});
