// SPDX-License-Identifier: Apache-2.0
// The build writes what the deploy relies on: the version in version.json
// and index.html, and asset names that change only with their content.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { build } = require('../build.js');

const tmp = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `mandala-${name}-`));

test('the version is stamped into version.json and index.html', () => {
  const out = tmp('a');
  build({ outDir: out, version: 'v1.2.3' });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'version.json'), 'utf8')), { version: 'v1.2.3' });
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /data-version="v1\.2\.3"/);
  assert.match(html, /<strong id="version">v1\.2\.3<\/strong>/);
  fs.rmSync(out, { recursive: true });
});

test('assets get content-hashed names that index.html and imports refer to', () => {
  const out = tmp('b');
  const { files } = build({ outDir: out, version: 'v1' });
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  const assets = files.filter((f) => f.startsWith('assets/'));
  assert.equal(assets.length, 3);
  for (const a of assets) assert.match(a, /\.[0-9a-f]{8}\.(js|css)$/);
  for (const a of assets.filter((f) => /app\.|styles\./.test(f))) assert.ok(html.includes(`/${a}`), a);
  const app = fs.readFileSync(path.join(out, assets.find((f) => f.includes('/app.'))), 'utf8');
  const grid = assets.find((f) => f.includes('mandala-grid'));
  assert.ok(app.includes(`'./${path.basename(grid)}'`), 'app imports the hashed grid module');
  fs.rmSync(out, { recursive: true });
});

test('another version changes only index.html and version.json', () => {
  const a = tmp('c');
  const b = tmp('d');
  const fa = build({ outDir: a, version: 'v1' }).files;
  const fb = build({ outDir: b, version: 'v2' }).files;
  assert.deepEqual(fa, fb);
  const differ = fa.filter((f) => !fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
  assert.deepEqual(differ, ['index.html', 'version.json']);
  fs.rmSync(a, { recursive: true });
  fs.rmSync(b, { recursive: true });
});

test('a version that is not a tag or SHA is refused', () => {
  const out = tmp('e');
  assert.throws(() => build({ outDir: out, version: '<script>' }), /APP_VERSION/);
  fs.rmSync(out, { recursive: true, force: true });
});
