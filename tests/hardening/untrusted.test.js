// SPDX-License-Identifier: Apache-2.0
// Untrusted text (issue 11): file names (S3 keys), the commit message of the
// event payload and AWS error messages cannot inject workflow commands: no
// stdout line but airlock's own starts with '::', and the text shows escaped
// (%25, %0D, %0A in commands; HTML-escaped in the job summary).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

let double;
const work = H.tmpdir('untrusted');
test.before(async () => {
  double = await H.startDouble();
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const EVIL_NAMES = [
  '::error::INJECTED-NAME.js',
  '::warning file=x,line=1::INJECTED-NAME2.txt',
  '%0A::error::INJECTED-PCT.txt',
  'a%0D%0A::add-mask::INJECTED-MASK.txt',
  '::set-output name=status::INJECTED-OUT.txt',
  '<img src=x onerror=alert(1)>INJECTED-HTML.txt',
  '| INJECTED | table |.txt',
  '::stop-commands::INJECTED-STOP.txt',
];
const COMMIT = 'fix: things\n::error::INJECTED-COMMIT\r\n::add-mask::INJECTED-COMMIT-MASK %0A::warning::INJECTED-PCT\r::notice::INJECTED-CR <b>bold</b>';

function injected(stdout) {
  // Strict: any '::' line not of airlock's own, and any own line whose
  // command text is an injected marker.
  const foreign = H.foreignCommands(stdout);
  const hijacked = H.commandLines(stdout).filter((l) => /^::[^:]*::INJECTED/.test(l) || /^::add-mask::INJECTED/.test(l));
  return [...foreign, ...hijacked];
}

test('file names that look like workflow commands are uploaded as keys and never start a command', async () => {
  await H.seedAccount(double, { app: { bucket: 'site', versionKey: 'version.json' } });
  const site = H.makeApp(path.join(work, 'names'), 'v1', { chunks: 2 });
  fs.mkdirSync(path.join(site.dir, 'evil'));
  for (const n of EVIL_NAMES) {
    fs.writeFileSync(path.join(site.dir, 'evil', n), `content of ${n}`);
    site.files[`evil/${n}`] = Buffer.from(`content of ${n}`);
  }
  const event = path.join(work, 'event.json');
  fs.writeFileSync(event, JSON.stringify({ head_commit: { id: 'abc', message: COMMIT }, sender: { login: 'octocat' } }));
  const r = await H.run(double, {
    inputs: { command: 'deploy', version: 'v1', 'site-dir': site.dir, bucket: 'site',
      'slack-webhook-url': `${double.base}/__slack/T/B/x` },
    env: { RUNNER_DEBUG: '1', GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: 'abc' },
  });
  assert.equal(H.sanitizerReport(r.stderr), null);
  assert.equal(r.status, 0, r.stdout);
  assert.deepEqual(await H.bucketDiff(double, 'site', site.files), [], 'every key uploaded as named');
  assert.deepEqual(injected(r.stdout), [], 'injected commands');
  assert.ok(!/^::/m.test(r.stderr), 'stderr starts no command');
  // The job summary shows the untrusted text inert: no raw HTML, no table break.
  assert.ok(!r.summary.includes('<img'), 'raw HTML in the summary');
  assert.ok(!r.summary.includes('<b>bold'), 'raw HTML from the commit message in the summary');
  // The Slack message carries the commit message as text.
  const st = await double.state();
  assert.ok(!JSON.stringify(st.slack).includes('<img'), 'raw HTML sent to Slack');
});

test('a file name with a newline or carriage return is refused, and the refusal injects nothing', async () => {
  for (const name of ['x\n::error::INJECTED-NL.js', 'y\r::warning::INJECTED-CR.js', 'z\r\n::add-mask::INJECTED-CRLF.js']) {
    const dir = path.join(work, `nl-${name.charCodeAt(1)}-${name.length}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), '<html></html>');
    fs.writeFileSync(path.join(dir, name), 'x');
    const since = await H.lastSeq(double);
    const r = await H.run(double, { inputs: { command: 'deploy', version: 'v9', 'site-dir': dir, bucket: 'site' } });
    assert.equal(H.sanitizerReport(r.stderr), null);
    assert.equal(r.status, 2, r.stdout);
    assert.deepEqual(injected(r.stdout), [], JSON.stringify(name));
    assert.match(r.stdout, /^::error title=airlock deploy::.*(%0A|%0D)/m, 'the name is shown escaped');
    assert.deepEqual(await H.mutatingCalls(double, since), []);
  }
});

test('AWS error messages with commands, %0A and CR/LF are escaped in the annotation', async () => {
  await H.seedAccount(double, {});
  const site = H.makeApp(path.join(work, 'aws'), 'v1', { chunks: 2 });
  const message = 'Denied\n::error::INJECTED-AWS\r\n::add-mask::INJECTED-AWS-MASK %0A::warning::INJECTED-AWS-PCT\r::notice::INJECTED-AWS-CR';
  await double.control('faults', { rules: [{ service: 's3', operation: 'PutObject', status: 403, code: 'AccessDenied', message }] });
  const r = await H.run(double, { inputs: { command: 'deploy', version: 'v1', 'site-dir': site.dir, bucket: 'site' }, env: { RUNNER_DEBUG: '1' } });
  await double.control('faults', { rules: [] });
  assert.equal(H.sanitizerReport(r.stderr), null);
  // The first PutObject is the lock's: AccessDenied is a permission error (exit 3).
  assert.equal(r.status, 3, r.stdout);
  assert.deepEqual(injected(r.stdout), [], 'injected commands');
  const annotation = r.stdout.split('\n').find((l) => l.startsWith('::error title=airlock deploy::'));
  assert.ok(annotation, r.stdout);
  // CR and LF never reach the line (turned into spaces or %0D/%0A), '%' is %25.
  assert.match(annotation, /Denied(%0A| )::error::INJECTED-AWS(%0D%0A|  )::add-mask::INJECTED-AWS-MASK %250A::warning::INJECTED-AWS-PCT(%0D| )::notice::INJECTED-AWS-CR/,
    `escaped in the annotation: ${annotation}`);
  assert.ok(!r.summary.includes('\n::error::INJECTED-AWS'), 'the summary keeps the message on its line');
});
