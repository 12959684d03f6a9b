// SPDX-License-Identifier: Apache-2.0
// Deterministic site trees for the bench: a typical single-page-app build
// (hashed JS/CSS chunks, source maps, icons, images, fonts, locale JSON,
// prerendered pages) scaled to a total size, its "rebuild" (every file written
// anew, so every mtime is new, with a share of files changed), and one large
// file. Content is an AES-CTR keystream keyed by the path and a seed: the same
// arguments always give the same bytes, and nothing compresses.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// A small seeded PRNG (mulberry32) for names and sizes.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Log-normal size around a median (bytes), clamped.
function sizeAround(rand, median, sigma, min, max) {
  const u1 = Math.max(rand(), 1e-12);
  const u2 = rand();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.round(Math.min(max, Math.max(min, median * Math.exp(sigma * z))));
}

function hex8(rand) {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

// Bytes for one file: a keystream keyed by (seed, name), so a file's content
// changes exactly when its seed or name does.
function content(name, seed, size) {
  const key = crypto.createHash('sha256').update(`${seed}\0${name}`).digest();
  const c = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return c.update(Buffer.alloc(size));
}

// The file list of an SPA build: [{rel, size}] with sizes scaled so that
// they add up to totalBytes. Shares follow a typical Vite/webpack output.
function spaLayout(nFiles, totalBytes, seed = 1) {
  const rand = prng(seed);
  const mix = [
    // [share of files, directory, name stem, extension, median size, sigma, hashed]
    [0.42, 'assets', 'chunk', 'js', 2600, 1.1, true],
    [0.14, 'assets', 'chunk', 'js.map', 7000, 1.1, true],
    [0.08, 'assets', 'style', 'css', 1800, 1.0, true],
    [0.12, 'assets/icons', 'icon', 'svg', 900, 0.6, true],
    [0.06, 'assets/img', 'photo', 'webp', 30000, 0.8, true],
    [0.04, 'assets/img', 'image', 'png', 14000, 0.9, true],
    [0.02, 'assets/fonts', 'font', 'woff2', 24000, 0.4, true],
    [0.06, 'locales', 'messages', 'json', 3500, 0.7, false],
    [0.06, 'pages', 'route', 'html', 4000, 0.5, false],
  ];
  const fixed = [
    ['index.html', 1800],
    ['version.json', 40],
    ['manifest.webmanifest', 600],
    ['sw.js', 9000],
    ['robots.txt', 70],
    ['favicon.ico', 15000],
    ['assets/vendor-react.' + hex8(rand) + '.js', 140000],
    ['assets/vendor-ui.' + hex8(rand) + '.js', 260000],
  ];
  const files = fixed.map(([rel, size]) => ({ rel, size }));
  const rest = nFiles - files.length;
  let made = 0;
  mix.forEach(([share, dir, stem, ext, median, sigma, hashed], k) => {
    const count = k === mix.length - 1 ? rest - made : Math.round(rest * share);
    for (let i = 0; i < count; i++) {
      const name = hashed ? `${stem}-${i}.${hex8(rand)}.${ext}` : `${stem}-${i}.${ext}`;
      files.push({ rel: `${dir}/${name}`, size: sizeAround(rand, median, sigma, 60, 2 << 20) });
    }
    made += count;
  });
  const sum = files.reduce((a, f) => a + f.size, 0);
  const scale = totalBytes / sum;
  for (const f of files) f.size = Math.max(40, Math.round(f.size * scale));
  // Put the rounding difference on the largest file so the total is exact.
  const diff = totalBytes - files.reduce((a, f) => a + f.size, 0);
  files.reduce((a, f) => (f.size > a.size ? f : a)).size += diff;
  return files;
}

// Writes layout into dir (removed first, so every mtime is new); a file's
// bytes depend on its name and its seed (fileSeeds[rel], else seed).
function writeTree(dir, layout, { seed = 1, version = 'v1', fileSeeds = {} } = {}) {
  fs.rmSync(dir, { recursive: true, force: true });
  let bytes = 0;
  for (const f of layout) {
    const p = path.join(dir, f.rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    let data;
    if (f.rel === 'version.json') data = Buffer.from(JSON.stringify({ version }).padEnd(f.size, ' '));
    else data = content(f.rel, fileSeeds[f.rel] ?? seed, f.size);
    fs.writeFileSync(p, data);
    bytes += data.length;
  }
  return { dir, files: layout.length, bytes };
}

// A rebuild of layout with a fraction of files changed, as a bundler does it:
// a changed hashed file gets a new name (its hash changes), an unhashed one
// keeps its name; index.html and version.json always change. Returns the new
// layout and the per-file seeds to pass to writeTree.
function rebuildLayout(layout, fraction, seed = 2) {
  const rand = prng(seed * 7919);
  const n = Math.max(2, Math.round(layout.length * fraction));
  const out = layout.map((f) => ({ ...f }));
  const fileSeeds = {};
  const pick = new Set(['index.html', 'version.json']);
  const candidates = out.map((f) => f.rel).filter((r) => !pick.has(r));
  while (pick.size < n) pick.add(candidates[Math.floor(rand() * candidates.length)]);
  for (const f of out) {
    if (!pick.has(f.rel)) continue;
    const m = f.rel.match(/^(.*\.)([0-9a-f]{8})(\.[a-z0-9.]+)$/);
    if (m) f.rel = `${m[1]}${hex8(rand)}${m[3]}`;
    fileSeeds[f.rel] = 1000 + seed;
  }
  return { layout: out, fileSeeds, changed: n };
}

// One file of `size` bytes, written in 8 MiB pieces.
function writeBigFile(dir, name, size, seed = 5) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  const key = crypto.createHash('sha256').update(`${seed}\0${name}`).digest();
  const c = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const fd = fs.openSync(path.join(dir, name), 'w');
  const piece = Buffer.alloc(8 << 20);
  for (let left = size; left > 0; left -= piece.length) {
    fs.writeSync(fd, c.update(left >= piece.length ? piece : piece.subarray(0, left)));
  }
  fs.closeSync(fd);
  return { dir, files: 1, bytes: size };
}

module.exports = { spaLayout, writeTree, rebuildLayout, writeBigFile };
