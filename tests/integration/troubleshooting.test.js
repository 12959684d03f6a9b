// SPDX-License-Identifier: Apache-2.0
// docs/troubleshooting-guide.md carries every error and warning the binary
// can print. The messages are read from src/ (tests/integration/messages.js):
// for each format string of al_raise, al_raise_context, al_log_warning,
// al_log_error, al_log_annotate (warning, error), al_run_step_end (failed)
// and the reasons assembled before they are raised, its longest literal run
// between conversions, if 12 characters or more, must appear in the guide
// (white space and Markdown escapes aside).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { scan, key, literalRuns, missing, guideText, GUIDE } = require('./messages');

const guide = fs.readFileSync(GUIDE, 'utf8');
const sites = scan();

test('the scan finds the messages of every layer', () => {
  // A scanner that silently stopped matching would make the next test pass.
  assert.ok(sites.length > 400, `only ${sites.length} call sites found`);
  for (const dir of ['src/util/', 'src/aws/', 'src/http/', 'src/gha/', 'src/deploy/', 'src/main.c', 'src/cli.c']) {
    assert.ok(sites.some((s) => s.file.startsWith(dir)), `no message found under ${dir}`);
  }
  for (const f of ['al_raise', 'al_log_warning', 'al_run_step_end', 'al_raise_context']) {
    assert.ok(sites.some((s) => s.func === f), `no ${f} call found`);
  }
  assert.ok(sites.filter((s) => s.key).length > 0.8 * sites.length, 'most messages have a key');
});

test('every message of the binary is in docs/troubleshooting-guide.md', () => {
  const lost = missing(sites, guide);
  const seen = new Set();
  const lines = [];
  for (const s of lost) {
    if (seen.has(s.key)) continue;
    seen.add(s.key);
    lines.push(`  ${s.file}:${s.line} ${JSON.stringify(s.key)}`);
  }
  assert.equal(lost.length, 0,
    `${seen.size} messages are not in the guide (add an entry with its cause and fix):\n${lines.join('\n')}`);
});

test('a message is matched by its longest literal run, conversions and escapes aside', () => {
  assert.deepEqual(literalRuns('%s: version %.200s is not allowed; use 1-128 characters'),
    [': version', 'is not allowed; use 1-128 characters']);
  assert.equal(key('%s: %s'), null, 'nothing distinctive to look for');
  assert.equal(key('cannot open %s: %s'), null);
  assert.equal(key('%zu%% of the %s uploads failed; see %s'), 'uploads failed; see', '%% is text, not a conversion');
  assert.equal(key('invalidation %s still %s after %u s (a CloudFront invalidation)'),
    's (a CloudFront invalidation)', 'the longest run wins, not the first');
  // Line breaks and Markdown escapes in the guide do not hide a message...
  const g = 'The message `lock held by\n run \\| see` names the holder.';
  assert.ok(guideText(g).includes(key('lock held by run | see %s')));
  // ...but a message with a different word is not found.
  assert.equal(missing([{ file: 'x.c', line: 1, key: 'lock held by the run' }], g).length, 1);
});

test('the guide is grouped by step and gives a cause and a fix for each message', () => {
  for (const h of ['Inputs and config', 'Credentials and identity', 'Stacks', 'Site sync', 'CDN',
    'Health', 'Alarms', 'Releases and rollback', 'Notification']) {
    assert.match(guide, new RegExp(`^## .*${h}`, 'm'), `no section for ${h}`);
  }
  const entries = guide.split(/^### /m).slice(1);
  assert.ok(entries.length > 50, `only ${entries.length} entries`);
  for (const e of entries) {
    const title = e.split('\n')[0];
    assert.match(e, /\*\*Cause\.\*\*/, `entry "${title}" has no cause`);
    assert.match(e, /\*\*Fix\.\*\*/, `entry "${title}" has no fix`);
  }
});
