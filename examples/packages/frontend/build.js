#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Builds the site from src/ into dist/, as a bundler would, with no
// dependencies:
//   - files under src/assets/ get a content hash in their name
//     (app.js -> assets/app.3f2a9c1b.js), so a CDN and browsers may cache
//     them for a year; a changed file gets a new name;
//   - index.html refers to the hashed names and shows the release version;
//   - version.json holds the version, which the health check compares with
//     the one being deployed;
//   - everything else is copied as is.
//
//   APP_VERSION=v2 node build.js [--out DIR]
//
// APP_VERSION defaults to GITHUB_SHA (in Actions), then "dev".
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SRC = path.join(__dirname, 'src');

function parseArgs(argv) {
  const out = { outDir: path.join(__dirname, 'dist') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out.outDir = path.resolve(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}' (usage: node build.js [--out DIR])`);
  }
  return out;
}

function walk(dir, rel = '') {
  const files = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) files.push(...walk(path.join(dir, e.name), r));
    else if (e.isFile()) files.push(r);
  }
  return files;
}

// Keeps HTML special characters of the version out of the markup.
function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function build({ outDir, version }) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(version)) {
    throw new Error(`APP_VERSION '${version}': use letters, digits and . _ + - (a tag or commit SHA)`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const names = {}; // src-relative name -> built name
  const write = (rel, data) => {
    const p = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  };
  // Assets are named after their content, and a module's content includes
  // the names it imports: resolve the imported ones first.
  const IMPORT = /(from\s+|import\s*\(\s*)(['"])\.\/([^'"]+)\2/g;
  const pending = walk(SRC).filter((rel) => rel !== 'index.html');
  while (pending.length) {
    const ready = pending.findIndex((rel) => !rel.endsWith('.js') ||
      [...fs.readFileSync(path.join(SRC, rel), 'utf8').matchAll(IMPORT)]
        .every((m) => names[path.posix.join(path.posix.dirname(rel), m[3])]));
    if (ready < 0) throw new Error(`circular or missing imports among ${pending.join(', ')}`);
    const rel = pending.splice(ready, 1)[0];
    let data = fs.readFileSync(path.join(SRC, rel));
    if (rel.endsWith('.js')) {
      data = Buffer.from(data.toString('utf8').replace(IMPORT, (_, kw, q, spec) => {
        const target = names[path.posix.join(path.posix.dirname(rel), spec)];
        return `${kw}${q}./${path.posix.relative(path.posix.dirname(rel), target)}${q}`;
      }));
    }
    let out = rel;
    if (rel.startsWith('assets/')) {
      const hash = crypto.createHash('sha256').update(data).digest('hex').slice(0, 8);
      const ext = path.extname(rel);
      out = `${rel.slice(0, -ext.length)}.${hash}${ext}`;
    }
    names[rel] = out;
    write(out, data);
  }
  let html = fs.readFileSync(path.join(SRC, 'index.html'), 'utf8');
  html = html.replace(/\{\{asset:([^}]+)\}\}/g, (_, rel) => {
    if (!names[rel]) throw new Error(`index.html names ${rel}, which src/ does not have`);
    return `/${names[rel]}`;
  });
  html = html.replace(/\{\{version\}\}/g, escapeHtml(version));
  write('index.html', html);
  write('version.json', `${JSON.stringify({ version })}\n`);
  return { outDir, files: ['index.html', 'version.json', ...Object.values(names)].sort() };
}

module.exports = { build };

if (require.main === module) {
  try {
    const args = parseArgs(process.argv.slice(2));
    const version = process.env.APP_VERSION || process.env.GITHUB_SHA || 'dev';
    const r = build({ ...args, version });
    console.log(`built ${version} into ${r.outDir}: ${r.files.length} files`);
  } catch (e) {
    console.error(`build: ${e.message}`);
    process.exit(1);
  }
}
