// SPDX-License-Identifier: Apache-2.0
// docs/rollback-guide.md, followed literally: the commands its "Roll back from
// a terminal" section quotes are run as written (no shell) against the double.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, AIRLOCK, ACCOUNT, REGION, startDouble, runAirlock, makeSite, bucketContents, tmpdir } = require('./lib');

function quotedCommands() {
  const md = fs.readFileSync(path.join(ROOT, 'docs/rollback-guide.md'), 'utf8');
  const section = md.split(/^## /m).find((s) => s.startsWith('Roll back from a terminal'));
  assert.ok(section, 'the guide has a "Roll back from a terminal" section');
  const block = section.match(/```sh\n([\s\S]*?)```/);
  assert.ok(block, 'the section quotes its commands in a sh block');
  return block[1].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

test('the rollback guide\'s terminal commands perform a rollback', async () => {
  const double = await startDouble();
  try {
    await double.control('seed', { buckets: ['site'], bootstrap: [{ account: ACCOUNT, region: REGION }],
      app: { bucket: 'site', versionKey: 'version.json' } });
    const work = tmpdir('guide');
    fs.writeFileSync(path.join(work, 'production.json'), JSON.stringify({
      environment: 'production', region: REGION, accountId: ACCOUNT,
      deploy: { bucket: 'site', 'health-url': `${double.base}/__app/health`, 'health-expect-version': 'version',
        'health-interval': 0 },
    }));
    const v1 = makeSite(path.join(work, 'v1'), { n: 8, version: 'v1' });
    const v2 = makeSite(path.join(work, 'v2'), { n: 8, version: 'v2', seed: 2 });
    for (const [v, s] of [['v1', v1], ['v2', v2]]) {
      const r = runAirlock(double, { inputs: { command: 'deploy', version: v, config: 'production.json', 'site-dir': s.dir }, cwd: work });
      assert.equal(r.status, 0, r.stdout);
    }
    const cmds = quotedCommands();
    assert.ok(cmds.length >= 2);
    let last;
    for (const line of cmds) {
      const words = line.split(/\s+/);
      assert.equal(words[0], 'airlock', `a quoted command runs airlock: ${line}`);
      last = spawnSync(AIRLOCK, words.slice(1), {
        cwd: work, encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_ENDPOINT_URL: double.base, AWS_ACCESS_KEY_ID: 'AKIAAIRLOCKDOUBLE001',
          AWS_SECRET_ACCESS_KEY: 'airlock/double/secret/key' },
      });
      assert.equal(last.status, 0, `${line}\n${last.stdout}\n${last.stderr}`);
      if (words[1] === 'releases') assert.match(last.stdout, /\*\s+v2/);
    }
    assert.match(last.stdout, /status=restored/);
    const got = await bucketContents(double, 'site');
    assert.deepEqual(Object.keys(got).sort(), Object.keys(v1.files).sort());
    for (const [k, b] of Object.entries(v1.files)) assert.ok(got[k].body.equals(b), k);
    fs.rmSync(work, { recursive: true, force: true });
  } finally {
    await double.stop();
  }
});
