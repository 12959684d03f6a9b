// SPDX-License-Identifier: Apache-2.0
// Records that no longer describe the bucket are not trusted (issues 8, 11):
// a deploy that fails after changing the site marks current.json dirty, and
// a rollback after a deploy killed half-way restores every file, so that a
// file the dead run changed but both releases share is put back too.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

let double;
const work = H.tmpdir('converge');
test.before(async () => {
  double = await H.startDouble();
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

// vN: the app of version N, plus shared.js (content `shared`) and, if given, extra files.
function version(v, shared, extra = {}) {
  const s = H.makeApp(path.join(work, v), v, { chunks: 30 });
  for (const [k, body] of Object.entries({ 'lib/shared.js': shared, ...extra })) {
    fs.mkdirSync(path.dirname(path.join(s.dir, k)), { recursive: true });
    fs.writeFileSync(path.join(s.dir, k), body);
    s.files[k] = Buffer.from(body);
  }
  return s;
}
const current = async () => JSON.parse((await H.siteGet(double, H.STORE_BUCKET, 'airlock/production/current.json')).body.toString('utf8'));
const deploy = (s, v, extra = {}) => ({ command: 'deploy', version: v, 'site-dir': s.dir, bucket: 'site', ...extra });

test('a deploy that fails after the site changed marks current.json dirty; the next deploy converges', async () => {
  await H.seedAccount(double, {});
  const v1 = version('a1', 'one');
  const v2 = version('a2', 'two', { 'lib/empty.txt': '' });
  const v3 = version('a3', 'one'); // shared.js as in v1
  assert.equal((await H.run(double, { inputs: deploy(v1, 'a1') })).status, 0);
  // v2 reaches the bucket, then recording it fails: an empty file is stored
  // by a server-side copy into blobs/, after verification.
  await double.control('faults', { rules: [{ service: 's3', operation: 'CopyObject', status: 500, code: 'InternalError' }] });
  const failed = await H.run(double, { inputs: deploy(v2, 'a2', { 'max-attempts': '1' }) });
  await double.control('faults', { rules: [] });
  assert.equal(failed.status, 1, failed.stdout);
  assert.deepEqual(await H.bucketDiff(double, 'site', v2.files), [], 'v2 is live but unrecorded');
  const cur = await current();
  assert.equal(cur.version, 'a1');
  assert.equal(cur.dirty, true, 'current.json marked dirty');
  const r = await H.run(double, { inputs: deploy(v3, 'a3') });
  assert.equal(r.status, 0, r.stdout);
  assert.deepEqual(await H.bucketDiff(double, 'site', v3.files), [], 'the bucket is v3, shared.js included');
  assert.equal((await current()).dirty || false, false);
});

test('a rollback after a deploy killed half-way restores every file of the release', async () => {
  await H.seedAccount(double, {});
  const v1 = version('b1', 'same');
  const v2 = version('b2', 'same');
  assert.equal((await H.run(double, { inputs: deploy(v1, 'b1') })).status, 0);
  assert.equal((await H.run(double, { inputs: deploy(v2, 'b2') })).status, 0);
  // v3 changes shared.js and adds a file; it dies once both are uploaded.
  const v3 = version('b3', 'changed', { 'lib/only-v3.js': 'new' });
  await double.control('faults', { rules: [{ service: 's3', operation: 'PutObject', latencyMs: 40 }] });
  const since = await H.lastSeq(double);
  const uploaded = async () => {
    const puts = (await double.calls(since)).filter((c) => c.operation === 'PutObject' && c.bucket === 'site' && c.status === 200);
    return ['lib/shared.js', 'lib/only-v3.js'].every((k) => puts.some((c) => c.key === k));
  };
  const past = new Date(Date.now() - 70000).toISOString().replace(/\.\d+Z$/, 'Z');
  const killed = await H.run(double, { inputs: deploy(v3, 'b3', { 'lock-ttl': '60', 'max-concurrency': '2' }), killWhen: uploaded, env: { AIRLOCK_FORCE_TIME: past } });
  await double.control('faults', { rules: [] });
  assert.equal(killed.signal, 'SIGKILL', `the run ended before the kill: ${killed.stdout}`);
  assert.equal((await H.siteGet(double, 'site', 'lib/shared.js')).body.toString(), 'changed');
  assert.equal((await current()).version, 'b2');

  const r = await H.run(double, { inputs: { command: 'rollback', version: 'b1', confirmation: 'rollback', 'lock-ttl': '60' } });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /taking over a stale deploy lock/);
  assert.deepEqual(await H.bucketDiff(double, 'site', v1.files), [], 'the bucket is v1 exactly');
  assert.equal((await current()).version, 'b1');
});

test('a run whose lock was taken over meanwhile leaves the new holder\'s lock.json in place', async () => {
  await H.seedAccount(double, {});
  const v1 = version('c1', 'one');
  const lockKey = 'airlock/production/lock.json';
  const theirs = { token: 'other-run', runUrl: 'https://github.com/o/r/actions/runs/2', expires: '2099-01-01T00:00:00Z' };
  // Slow writes widen the window in which another run takes the lock over (after our TTL).
  await double.control('faults', { rules: [{ service: 's3', operation: 'PutObject', latencyMs: 150 }] });
  let replaced = false;
  const r = await H.run(double, {
    inputs: deploy(v1, 'c1'),
    killWhen: async () => {
      if (!replaced && (await H.siteGet(double, H.STORE_BUCKET, lockKey)).status === 200) {
        await double.control('seed', { objects: [{ bucket: H.STORE_BUCKET, key: lockKey, body: theirs }] });
        replaced = true;
      }
      return false;
    },
  });
  await double.control('faults', { rules: [] });
  assert.ok(replaced, 'the lock was replaced during the run');
  assert.equal(r.status, 0, r.stdout);
  const left = await H.siteGet(double, H.STORE_BUCKET, lockKey);
  assert.equal(left.status, 200, 'the other run\'s lock is still there');
  assert.equal(JSON.parse(left.body.toString('utf8')).token, 'other-run');
});

test('an unlocked store: a finished run deletes its own lock.json', async () => {
  await H.seedAccount(double, {});
  const r = await H.run(double, { inputs: deploy(version('d1', 'one'), 'd1') });
  assert.equal(r.status, 0, r.stdout);
  assert.equal((await H.siteGet(double, H.STORE_BUCKET, 'airlock/production/lock.json')).status, 404);
});
