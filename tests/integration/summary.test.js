// SPDX-License-Identifier: Apache-2.0
// The job summary of a full deploy (stacks, site, CDN, health, alarms, Slack,
// release): one page under 1 MiB with every row a person acts on, and no
// secret in it (issue 7).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, ACCOUNT, REGION, startDouble, runAirlock, makeSite, tmpdir } = require('./lib');

test('a full deploy summary shows every step and no secret', async () => {
  const double = await startDouble();
  const work = tmpdir('summary');
  try {
    const synth = spawnSync('node', ['app.js'], { cwd: path.join(ROOT, 'tests/cdk'),
      env: { ...process.env, CDK_OUTDIR: path.join(work, 'cdk.out') }, encoding: 'utf8' });
    assert.equal(synth.status, 0, synth.stderr);
    await double.control('seed', { buckets: ['site'], distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }],
      bootstrap: [{ account: ACCOUNT, region: REGION }], app: { bucket: 'site', versionKey: 'version.json' } });
    await double.control('faults', { rules: [], cfnStepMs: 5, changeSetMs: 20 });
    const webhook = `${double.base}/__slack/T0SECRET/B0SECRET/hooksecretpath1234`;
    let r;
    for (const v of ['v1', 'v2']) {
      const site = makeSite(path.join(work, v), { n: 12, version: v, seed: v === 'v1' ? 1 : 2 });
      r = runAirlock(double, {
        inputs: {
          command: 'deploy', version: v, assembly: path.join(work, 'cdk.out'), 'site-dir': site.dir, bucket: 'site',
          'distribution-id': 'E2EXAMPLE', 'health-url': `${double.base}/__app/health`,
          'health-expect-version': 'version', alarms: 'AirlockDemo-*', 'alarm-watch-seconds': '1',
          'slack-webhook-url': webhook,
        },
        env: { RUNNER_DEBUG: '1' },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    const md = r.summary;
    assert.ok(Buffer.byteLength(md) < 1024 * 1024, 'under 1 MiB');
    assert.match(md, /^## .*airlock deploy: deployed `v2`/m);
    for (const row of ['Identity', 'Alarm check', 'Lock', 'Stacks', 'Site', 'CDN', 'Health', 'Alarm watch', 'Release', 'Notify'])
      assert.match(md, new RegExp(`^\\| ${row} \\| (ok|no change) \\|`, 'm'), `step row ${row}`);
    assert.match(md, /### Stacks/);
    assert.match(md, /\| AirlockDemo-Api \| (updated|unchanged|created) \|/);
    assert.match(md, /\| uploaded \| \d+ \|/);
    assert.match(md, /Invalidation `[A-Z0-9]+` on distribution `E2EXAMPLE`/);
    assert.equal(r.outputs['invalidation-id'].length > 0, true);
    assert.match(md, /healthy: HTTP 200, version v2 is live/);
    assert.match(md, /alarms stayed out of ALARM/);
    assert.match(md, /release v2 recorded/);
    assert.match(md, /airlock rollback --version v1 --confirmation rollback/);
    assert.ok(!md.includes('hooksecretpath1234') && !md.includes('T0SECRET'), 'no webhook path');
    assert.ok(!md.includes('airlock/double/secret/key'), 'no secret key');
    const leaks = r.stdout.split('\n').filter((l) => l.includes('hooksecretpath1234') && !l.startsWith('::add-mask::'));
    assert.deepEqual(leaks, [], 'the webhook appears only in ::add-mask::');
  } finally {
    await double.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
