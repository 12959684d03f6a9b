// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the integration suites: start the AWS double, run the
// airlock binary as the runner would, read the double's state and call log.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.resolve(__dirname, '../..');
const AIRLOCK = process.env.AIRLOCK || path.join(ROOT, 'build/airlock');
const ROOT_KEY = 'AKIAAIRLOCKDOUBLE001';
const ROOT_SECRET = 'airlock/double/secret/key';
const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-1';

async function startDouble(extraEnv = {}) {
  const child = spawn(path.join(ROOT, 'tests/double/start'), [], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/^PORT=(\d+)/m);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`double exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (what, body) => {
    const r = await fetch(`${base}/__control/${what}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`control ${what}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    port, base, child, control,
    state: () => control('state'),
    calls: (since) => control(since ? `calls?since=${since}` : 'calls'),
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

function tmpdir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `airlock-${name}-`));
}

// Runs airlock like the runner: INPUT_* from `inputs`, file commands in a temp dir.
function runAirlock(double, { args = [], inputs = {}, env = {}, cwd } = {}) {
  const dir = tmpdir('run');
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  const e = {
    PATH: process.env.PATH,
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo-org/goal-mandala',
    GITHUB_RUN_ID: String(Math.floor(Math.random() * 1e9)),
    GITHUB_ACTOR: 'octocat',
    AWS_ENDPOINT_URL: double.base,
    AWS_ACCESS_KEY_ID: ROOT_KEY,
    AWS_SECRET_ACCESS_KEY: ROOT_SECRET,
    AWS_REGION: REGION,
    ...env,
  };
  for (const [k, v] of Object.entries(inputs)) e[`INPUT_${k.toUpperCase()}`] = String(v);
  const r = spawnSync(AIRLOCK, args, { env: e, cwd: cwd || ROOT, encoding: 'utf8', timeout: 300000 });
  const outputs = parseOutputs(fs.readFileSync(files.output, 'utf8'));
  const summary = fs.readFileSync(files.summary, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs, summary,
    runUrl: `https://github.com/octo-org/goal-mandala/actions/runs/${e.GITHUB_RUN_ID}` };
}

// The runner's heredoc form, enough for airlock's own records.
function parseOutputs(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^([^<=]+)<<(.+)$/);
    if (!m) continue;
    const val = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) val.push(lines[i]);
    out[m[1]] = val.join('\n');
  }
  return out;
}

// A generated site: n files in a typical SPA mix; returns {dir, files: {rel: Buffer}}.
function makeSite(dir, { n = 40, version = 'v1', seed = 1 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const files = {};
  const write = (rel, data) => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    files[rel] = Buffer.from(data);
  };
  write('index.html', `<!doctype html><html><body data-version="${version}"><script src="/assets/app.js"></script></body></html>`);
  write('version.json', JSON.stringify({ version }));
  for (let i = 0; i < n; i++) {
    const h = crypto.createHash('sha256').update(`${seed}-${i}`).digest('hex').slice(0, 8);
    write(`assets/chunk-${i}.${h}.js`, `// chunk ${i} seed ${seed}\n${'x'.repeat(100 + i)}\n`);
  }
  return { dir, files };
}

function readTree(dir) {
  const files = {};
  const walk = (d, rel) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(p).isDirectory()) walk(p, r);
      else files[r] = fs.readFileSync(p);
    }
  };
  walk(dir, '');
  return files;
}

// The bucket's objects with content read back through the site origin.
async function bucketContents(double, bucket) {
  const st = await double.state();
  const objs = (st.buckets[bucket] || { objects: {} }).objects;
  const out = {};
  for (const [key, meta] of Object.entries(objs)) {
    const r = await fetch(`${double.base}/__site/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
    out[key] = { body: Buffer.from(await r.arrayBuffer()), contentType: meta.contentType, cacheControl: meta.cacheControl };
  }
  return out;
}

module.exports = { ROOT, AIRLOCK, ACCOUNT, REGION, startDouble, runAirlock, makeSite, readTree, bucketContents, tmpdir };
