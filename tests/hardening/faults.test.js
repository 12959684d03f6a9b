// SPDX-License-Identifier: Apache-2.0
// Faults (issue 11): a 2,000-file deploy through 10% failing calls and
// latency spikes completes byte for byte with one invalidation and a retry
// count the quota paid for; an STS outage stops the run with exit 3 before
// anything changes; a CloudFormation throttling storm is ridden out.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

let double;
const work = H.tmpdir('faults');
test.before(async () => {
  double = await H.startDouble();
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

// The debug lines the engine prints per attempt and per retry, in order.
const ATTEMPT = /^::debug::http: \S+ \S+ (\S+) (\S+) -> (.+?) in \d+ ms \(attempt (\d+)\/(\d+)/;
const RETRY = /^::debug::http: retrying \(([^)]+)\)/;
const STATS = /^::debug::http: (\d+) calls \((\d+) failed\), (\d+) attempts, (\d+) retries \((\d+) throttled\), (\d+) refused by the retry quota; quota (-?\d+) of (\d+) left/;

/**
 * Replays the standard retry quota over the engine's debug lines: a retry
 * costs 5 (10 after a connection failure) and must be affordable; a call that
 * ends well refunds its last retry's cost, or 1 without retries (capped at the
 * initial 500). Returns {retries, lowest, final, maxAttempt}.
 */
function replayQuota(stdout, initial) {
  const lines = stdout.split('\n');
  const cost = new Map();
  let q = initial;
  let lowest = initial;
  let retries = 0;
  let maxAttempt = 0;
  for (let i = 0; i < lines.length; i++) {
    const a = ATTEMPT.exec(lines[i]);
    if (!a) continue;
    const key = `${a[1]} ${a[2]}`;
    maxAttempt = Math.max(maxAttempt, Number(a[4]));
    const r = RETRY.exec(lines[i + 1] || '');
    if (r) {
      const c = r[1] === 'connection' ? 10 : 5;
      assert.ok(q >= c, `a retry of ${key} was made with ${q} tokens left`);
      q -= c;
      lowest = Math.min(lowest, q);
      cost.set(key, c);
      retries++;
      continue;
    }
    if (/giving up|quota exhausted/.test(lines[i + 1] || '')) continue;
    q = Math.min(initial, q + (cost.get(key) || 1));
    cost.delete(key);
  }
  return { retries, lowest, final: q, maxAttempt };
}

test('2,000 files through 10% failing calls and latency spikes: byte-equal bucket, one invalidation, retries within the quota', async (t) => {
  await H.seedAccount(double, { distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], invalidationMs: 200 });
  const site = H.makeApp(path.join(work, 'site'), 'v1', { chunks: 1997 });
  assert.ok(Object.keys(site.files).length >= 2000);
  // About 10% of AWS calls fail, in five ways; 2% more are held 200 ms.
  await double.control('faults', {
    seed: 11,
    rules: [
      { rate: 0.025, status: 500, code: 'InternalError' },
      { rate: 0.025, status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
      { rate: 0.025, code: 'Throttling', message: 'Rate exceeded' },
      { rate: 0.0125, reset: 'before' },
      { rate: 0.0125, reset: 'after' },
      { rate: 0.02, latencyMs: 200 },
    ],
  });
  const since = await H.lastSeq(double);
  // Three attempts lose one call in a thousand at a 10% failure rate (4,000+
  // calls here): max-attempts is the documented knob for such an account.
  const r = await H.run(double, {
    inputs: { command: 'deploy', version: 'v1', 'site-dir': site.dir, bucket: 'site', 'distribution-id': 'E2EXAMPLE', 'max-attempts': '8' },
    env: { RUNNER_DEBUG: '1' },
  });
  await double.control('faults', { rules: [] });
  assert.equal(H.sanitizerReport(r.stderr), null);
  assert.equal(r.status, 0, r.stdout.split('\n').filter((l) => !l.startsWith('::debug::')).join('\n').slice(-3000));
  assert.equal(r.outputs.status, 'deployed');
  assert.deepEqual(await H.bucketDiff(double, 'site', site.files), [], 'the bucket is the site, byte for byte');
  const st = await double.state();
  assert.equal(st.distributions.E2EXAMPLE.invalidations.length, 1, 'exactly one invalidation');
  assert.equal(r.outputs['invalidation-id'], st.distributions.E2EXAMPLE.invalidations[0].id);

  const calls = await H.awsCalls(double, since);
  const injected = calls.filter((c) => c.fault && /error:|reset/.test(c.fault));
  const spikes = calls.filter((c) => c.fault && /latency:200/.test(c.fault));
  // About 10% and 2% of the 2,000-odd calls (one a file, plus the release's).
  assert.ok(calls.length >= 2000 && injected.length >= 0.07 * calls.length,
    `${injected.length} injected failures in ${calls.length} calls`);
  assert.ok(spikes.length >= 0.01 * calls.length, `${spikes.length} latency spikes`);

  const statsLine = r.stdout.split('\n').find((l) => STATS.test(l));
  assert.ok(statsLine, 'the engine reports its retry ledger');
  const [, , , , retries, , refused, left, initial] = STATS.exec(statsLine).map(Number);
  if (process.env.HARDENING_DUMP) fs.writeFileSync(process.env.HARDENING_DUMP, r.stdout);
  const replay = replayQuota(r.stdout, initial);
  assert.equal(refused, 0, 'no retry was refused');
  assert.equal(replay.retries, retries, 'every retry is in the debug log');
  assert.equal(replay.final, left, 'the replayed quota ends where the engine says');
  assert.ok(replay.maxAttempt <= 8, `attempt ${replay.maxAttempt} of 8`);
  // Each injected error answer was answered by one retry of the engine; a
  // reset on a kept-alive connection may instead be replayed once by libcurl
  // itself (before any answer byte), which the engine does not see.
  const errors = injected.filter((c) => /error:/.test(c.fault)).length;
  assert.ok(retries >= errors && retries <= injected.length,
    `${retries} retries for ${errors} error answers and ${injected.length - errors} resets`);
  t.diagnostic(`faults: ${calls.length} AWS calls, ${errors} error answers and ${injected.length - errors} resets injected, ${spikes.length} spikes; ` +
    `${retries} retries paid from a ${initial}-token quota (lowest ${replay.lowest}, ${left} left); ${r.ms} ms`);
});

test('an STS outage stops the run with exit 3 and a clear message, nothing changed', async () => {
  await H.seedAccount(double, { roles: ['deploy'] });
  const site = H.makeApp(path.join(work, 'small'), 'v1', { chunks: 2 });
  await double.control('faults', { rules: [{ service: 'sts', status: 503, code: 'ServiceUnavailable' }] });
  const since = await H.lastSeq(double);
  const inputs = { command: 'deploy', version: 'v1', 'site-dir': site.dir, bucket: 'site' };
  const keys = await H.run(double, { inputs });
  const role = await H.run(double, { inputs: { ...inputs, 'role-to-assume': `arn:aws:iam::${H.ACCOUNT}:role/deploy` } });
  const oidc = await H.run(double, {
    inputs: { ...inputs, 'role-to-assume': `arn:aws:iam::${H.ACCOUNT}:role/deploy` },
    env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${double.base}/__oidc/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'double-request-token' },
  });
  await double.control('faults', { rules: [{ service: 'sts', reset: 'before' }] });
  const reset = await H.run(double, { inputs });
  await double.control('faults', { rules: [] });
  const op = { keys: 'GetCallerIdentity', role: 'AssumeRole', oidc: 'AssumeRoleWithWebIdentity', reset: 'Empty reply' };
  for (const [name, r] of Object.entries({ keys, role, oidc, reset })) {
    assert.equal(H.sanitizerReport(r.stderr), null);
    assert.equal(r.status, 3, `${name}: ${r.stdout}`);
    assert.match(r.stdout, /^::error title=airlock deploy::could not establish the AWS identity \(STS failed or is unreachable; nothing was changed\)/m, name);
    assert.ok(r.stdout.includes(op[name]), `${name} names ${op[name]}`);
    assert.equal(r.outputs.status, 'failed');
  }
  assert.deepEqual(await H.mutatingCalls(double, since), []);
  const st = await double.state();
  assert.deepEqual(Object.keys(st.buckets.site.objects), [], 'nothing deployed');
});

test('a CloudFormation throttling storm is ridden out: a burst on the status polls, then half of all calls', async (t) => {
  await H.seedAccount(double, { cfnStepMs: 20, changeSetMs: 60 });
  const asm = path.join(work, 'asm');
  // A burst longer than the default three attempts, on the change set poll.
  H.writeAssembly(asm, 'v1');
  await double.control('faults', { seed: 5, rules: [{ service: 'cloudformation', operation: 'DescribeChangeSet', code: 'Throttling', count: 5 }] });
  let since = await H.lastSeq(double);
  let r = await H.run(double, { inputs: { command: 'deploy', version: 'v1', assembly: asm } });
  assert.equal(H.sanitizerReport(r.stderr), null);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /CloudFormation throttled a status poll \(DescribeChangeSet Throttling\); polling again/);
  let calls = await H.awsCalls(double, since);
  assert.equal(calls.filter((c) => c.code === 'Throttling').length, 5);
  let st = await double.state();
  assert.equal(st.stacks.Small.status, 'CREATE_COMPLETE');
  assert.equal(st.ssm['/Small/value'], 'v1');
  const outKey = Object.keys(r.outputs).find((k) => /^Small.Value$/.test(k));
  assert.equal(outKey && r.outputs[outKey], 'v1', JSON.stringify(r.outputs));

  // Then the storm: every CloudFormation call throttled with probability 0.5.
  H.writeAssembly(asm, 'v2');
  await double.control('faults', { seed: 9, rules: [{ service: 'cloudformation', code: 'Throttling', rate: 0.5 }] });
  since = await H.lastSeq(double);
  r = await H.run(double, { inputs: { command: 'deploy', version: 'v2', assembly: asm, 'max-attempts': '10' } });
  await double.control('faults', { rules: [] });
  assert.equal(H.sanitizerReport(r.stderr), null);
  assert.equal(r.status, 0, r.stdout);
  calls = (await H.awsCalls(double, since)).filter((c) => c.service === 'cloudformation');
  const throttled = calls.filter((c) => c.code === 'Throttling').length;
  assert.ok(throttled >= 5 && throttled >= calls.length / 4, `${throttled} of ${calls.length} CloudFormation calls throttled`);
  st = await double.state();
  assert.equal(st.stacks.Small.status, 'UPDATE_COMPLETE');
  assert.equal(st.ssm['/Small/value'], 'v2');
  t.diagnostic(`storm: ${throttled} of ${calls.length} CloudFormation calls throttled, deploy took ${r.ms} ms`);
});
