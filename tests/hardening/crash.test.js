// SPDX-License-Identifier: Apache-2.0
// Crashes (issues 8 and 11): kill -9 at random points of 10 deploys and 10
// rollbacks. After each kill every page the site origin serves still finds
// its assets; the rerun takes over the dead run's lock and converges to the
// intended release (bucket byte-equal, current.json, lock released).
//
// The lock: a killed run leaves lock.json with `expires` = its start + lock-ttl
// (at least 60 s). Rather than wait a minute, each killed run has its clock
// pinned 70 s in the past (AIRLOCK_FORCE_TIME), so the lock it leaves has
// already expired when the rerun, on the real clock, reads it. A shifted
// double clock (clockOffsetSeconds) would not do: airlock corrects its clock
// from Date headers only past 5 minutes, and the lock is judged on airlock's
// clock; 70 s stays well inside SigV4's 15-minute skew window.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

const STORE = 'airlock/production/';
const TRIALS = Number(process.env.CRASH_TRIALS || 10);
const CHUNKS = 120;

let double;
const work = H.tmpdir('crash');
const sites = {};

// A seeded PRNG so that a failing trial can be replayed (CRASH_SEED).
let seed = Number(process.env.CRASH_SEED || Date.now() % 100000);
function rand() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

test.before(async () => {
  double = await H.startDouble();
  await H.seedAccount(double, { app: { bucket: 'site', versionKey: 'version.json' } });
  // Slow S3 a little so that a run lasts long enough to be killed anywhere in it.
  await double.control('faults', { rules: [{ service: 's3', latencyMs: [2, 25] }] });
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function site(version) {
  if (!sites[version]) sites[version] = H.makeApp(path.join(work, version), version, { chunks: CHUNKS });
  return sites[version];
}

async function storeObject(key) {
  const r = await H.siteGet(double, H.STORE_BUCKET, `${STORE}${key}`);
  return r.status === 200 ? JSON.parse(r.body.toString('utf8')) : null;
}

const common = { 'lock-ttl': '60', 'health-url': '', 'max-concurrency': '8' };
const deployInputs = (v) => ({ command: 'deploy', version: v, 'site-dir': site(v).dir, bucket: 'site', ...common });
const rollbackInputs = (v) => ({ command: 'rollback', version: v, confirmation: 'rollback', ...common });
// The step a run was in when it died: its last group.
const lastStep = (stdout) => (stdout.match(/^::group::(.*)$/gm) || ['::group::(start)']).pop().slice(9);

async function killAndRerun(t, inputs, version, expectMs, log) {
  const delay = Math.floor(expectMs * (0.03 + 0.94 * rand()));
  const past = new Date(Date.now() - 70000).toISOString().replace(/\.\d+Z$/, 'Z');
  const killed = await H.run(double, { inputs, killAfterMs: delay, env: { AIRLOCK_FORCE_TIME: past } });
  assert.equal(H.sanitizerReport(killed.stderr), null);
  const where = killed.signal === 'SIGKILL' ? lastStep(killed.stdout) : `finished (exit ${killed.status})`;
  // Whatever the kill interrupted, the served pages find their assets.
  assert.deepEqual(await H.brokenPages(double, 'site'), [], `after a kill at ${delay} ms (${where})`);
  const held = await storeObject('lock.json');

  const r = await H.run(double, { inputs });
  assert.equal(H.sanitizerReport(r.stderr), null);
  assert.equal(r.status, 0, `rerun after a kill at ${delay} ms (${where}):\n${r.stdout.slice(-3000)}`);
  assert.equal(/taking over a stale deploy lock/.test(r.stdout), !!held, 'a dead run\'s lock is taken over');
  assert.deepEqual(await H.bucketDiff(double, 'site', site(version).files), [], `bucket is ${version}`);
  assert.deepEqual(await H.brokenPages(double, 'site'), []);
  const cur = await storeObject('current.json');
  assert.equal(cur && cur.version, version, 'current.json names the release');
  assert.equal(cur.dirty || false, false);
  assert.equal(await storeObject('lock.json'), null, 'lock released');
  log.push(`${inputs.command} ${version}: killed at ${delay} ms in ${where}${held ? ', lock left' : ''}; rerun ${r.outputs.status} in ${r.ms} ms`);
}

test(`kill -9 at ${TRIALS} random points of a deploy and of a rollback: each rerun converges`, async (t) => {
  const log = [`seed ${seed}`];
  // Two releases on record, and how long an undisturbed deploy and rollback take.
  let r = await H.run(double, { inputs: deployInputs('v0') });
  assert.equal(r.status, 0, r.stdout);
  r = await H.run(double, { inputs: deployInputs('v1') });
  assert.equal(r.status, 0, r.stdout);
  const deployMs = r.ms;
  r = await H.run(double, { inputs: rollbackInputs('v0') });
  assert.equal(r.status, 0, r.stdout);
  const rollbackMs = r.ms;
  log.push(`undisturbed: deploy ${deployMs} ms, rollback ${rollbackMs} ms`);

  const versions = ['v0', 'v1'];
  for (let i = 0; i < TRIALS; i++) {
    const v = `d${i + 1}`;
    await killAndRerun(t, deployInputs(v), v, deployMs, log);
    versions.push(v);
  }
  for (let i = 0; i < TRIALS; i++) {
    const cur = (await storeObject('current.json')).version;
    const others = versions.filter((x) => x !== cur);
    const target = others[Math.floor(rand() * others.length)];
    await killAndRerun(t, rollbackInputs(target), target, rollbackMs, log);
  }
  for (const line of log) t.diagnostic(line);
});
