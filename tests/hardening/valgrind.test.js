// SPDX-License-Identifier: Apache-2.0
// Leaks and invalid accesses under valgrind (issue 11): a full deploy (site,
// invalidation, health check, release record, Slack) and a rollback with the
// plain build (build/airlock), `valgrind --leak-check=full`: no error and 0
// bytes definitely lost.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

const PLAIN = path.join(H.ROOT, 'build/airlock');
const HAVE_VALGRIND = spawnSync('valgrind', ['--version']).status === 0;

let double;
const work = H.tmpdir('valgrind');
test.before(async () => {
  double = await H.startDouble();
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function underValgrind(name, inputs) {
  const log = path.join(work, `${name}.valgrind`);
  // Flags, not INPUT_* variables: valgrind drops environment names with a '-'.
  const { command, ...rest } = inputs;
  const flags = Object.entries(rest).flatMap(([k, v]) => [`--${k}`, v]);
  const r = await H.run(double, {
    bin: 'valgrind',
    args: ['--leak-check=full', '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite',
      '--error-exitcode=99', `--log-file=${log}`, PLAIN, command, ...flags],
    timeoutMs: 600000,
  });
  const report = fs.readFileSync(log, 'utf8');
  const lost = /definitely lost: ([\d,]+) bytes in ([\d,]+) blocks/.exec(report);
  const errors = /ERROR SUMMARY: (\d+) errors/.exec(report);
  return { r, report, lost: lost ? Number(lost[1].replace(/,/g, '')) : 0, errors: errors ? Number(errors[1]) : -1 };
}

test('a deploy and a rollback under valgrind: no invalid access, 0 bytes definitely lost', { skip: !HAVE_VALGRIND && 'valgrind is not installed' }, async (t) => {
  assert.ok(fs.existsSync(PLAIN), 'build/airlock');
  await H.seedAccount(double, {
    distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], app: { bucket: 'site', versionKey: 'version.json' }, invalidationMs: 100,
  });
  const common = { bucket: 'site', 'distribution-id': 'E2EXAMPLE', 'health-url': `${double.base}/__app/health`,
    'health-expect-version': 'version', 'health-interval': '0', 'slack-webhook-url': `${double.base}/__slack/T/B/valgrind` };
  const v1 = H.makeApp(path.join(work, 'v1'), 'v1', { chunks: 20 });
  const v2 = H.makeApp(path.join(work, 'v2'), 'v2', { chunks: 20 });
  // v1 without valgrind, so that v2 under it diffs against a recorded release.
  const first = await H.run(double, { bin: PLAIN, inputs: { command: 'deploy', version: 'v1', 'site-dir': v1.dir, ...common } });
  assert.equal(first.status, 0, first.stdout);

  const deploy = await underValgrind('deploy', { command: 'deploy', version: 'v2', 'site-dir': v2.dir, ...common });
  assert.equal(deploy.r.status, 0, `${deploy.r.stdout}\n${deploy.report.slice(-3000)}`);
  assert.equal(deploy.r.outputs.status, 'deployed', deploy.r.stdout);
  const rollback = await underValgrind('rollback', { command: 'rollback', version: 'v1', confirmation: 'rollback', ...common });
  assert.equal(rollback.r.status, 0, `${rollback.r.stdout}\n${rollback.report.slice(-3000)}`);
  assert.equal(rollback.r.outputs.status, 'restored');
  assert.deepEqual(await H.bucketDiff(double, 'site', v1.files), []);
  for (const [name, v] of Object.entries({ deploy, rollback })) {
    assert.equal(v.errors, 0, `${name}: valgrind errors\n${v.report.slice(-4000)}`);
    assert.equal(v.lost, 0, `${name}: definitely lost\n${v.report.slice(-4000)}`);
    t.diagnostic(`valgrind ${name}: ${v.errors} errors, ${v.lost} bytes definitely lost, ${v.r.ms} ms`);
  }
});
