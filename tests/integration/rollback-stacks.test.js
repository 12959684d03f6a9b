// SPDX-License-Identifier: Apache-2.0
// A rollback restores a changed stack to the recorded template, next to the
// site, without rebuilding anything (issue 8).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, ACCOUNT, REGION, startDouble, runAirlock, makeSite, bucketContents, tmpdir } = require('./lib');

function synth(out, env = {}) {
  const r = spawnSync('node', ['app.js'], { cwd: path.join(ROOT, 'tests/cdk'),
    env: { ...process.env, CDK_OUTDIR: out, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('deploy v1, v2 with a changed stack, rollback v1: template and site are v1 again', async () => {
  const double = await startDouble();
  const work = tmpdir('rbstacks');
  try {
    synth(path.join(work, 'a1'));
    synth(path.join(work, 'a2'), { AIRLOCK_BIG_TEMPLATE: '1' });
    await double.control('seed', { buckets: ['site'], bootstrap: [{ account: ACCOUNT, region: REGION }],
      app: { bucket: 'site', versionKey: 'version.json' } });
    await double.control('faults', { rules: [], cfnStepMs: 5, changeSetMs: 20 });
    const v1 = makeSite(path.join(work, 's1'), { n: 30, version: 'v1' });
    const v2 = makeSite(path.join(work, 's2'), { n: 30, version: 'v2', seed: 2 });
    const common = { command: 'deploy', bucket: 'site', 'health-url': `${double.base}/__app/health`,
      'health-expect-version': 'version', 'health-interval': '0' };
    let r = runAirlock(double, { inputs: { ...common, version: 'v1', assembly: path.join(work, 'a1'), 'site-dir': v1.dir } });
    assert.equal(r.status, 0, r.stdout);
    const v1Template = (await double.state()).stacks['AirlockDemo-Api'].templateBody;
    r = runAirlock(double, { inputs: { ...common, version: 'v2', assembly: path.join(work, 'a2'), 'site-dir': v2.dir } });
    assert.equal(r.status, 0, r.stdout);
    assert.notEqual((await double.state()).stacks['AirlockDemo-Api'].templateBody, v1Template, 'v2 changed the stack');

    const before = (await double.calls()).length;
    // The same references a config would hold: resolved from the restored release's outputs.
    r = runAirlock(double, { inputs: { command: 'rollback', version: 'v1', confirmation: 'rollback',
      'distribution-id': '${stack:AirlockDemo-Frontend.DistributionId}',
      'health-url': `${double.base}/__app/health`, 'health-expect-version': 'version', 'health-interval': '0' } });
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.outputs.status, 'restored');
    const st = await double.state();
    assert.equal(st.stacks['AirlockDemo-Api'].templateBody, v1Template, "the stack's template is v1's again");
    assert.match(st.stacks['AirlockDemo-Api'].status, /UPDATE_COMPLETE/);
    const got = await bucketContents(double, 'site');
    assert.deepEqual(Object.keys(got).sort(), Object.keys(v1.files).sort());
    for (const [k, b] of Object.entries(v1.files)) assert.ok(got[k].body.equals(b), k);
    const calls = (await double.calls()).slice(before);
    assert.equal(calls.filter((c) => ['PutObject', 'UploadPart'].includes(c.operation) && c.bucket === 'site').length, 0);
    assert.ok(calls.some((c) => c.operation === 'ExecuteChangeSet'), 'the stack was restored by a change set');
    assert.ok(calls.some((c) => c.operation === 'CreateInvalidation'), 'the distribution named by a stack output was invalidated');
    assert.ok(r.outputs['invalidation-id']);
  } finally {
    await double.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
