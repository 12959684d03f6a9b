// SPDX-License-Identifier: Apache-2.0
// airlock against its peers (`aws s3 sync` from Debian's awscli, rclone)
// on the same trees, against the AWS double with a per-request latency.
// Run by bench/run (`make bench`), which builds and installs what it needs.
//
// Every scenario starts each tool from the same bucket state (the double is
// reset and seeded, then brought to the state by the tool itself where the
// scenario needs one), tools are interleaved within each repetition and
// their order rotates between repetitions. Wall time is measured around
// `/usr/bin/time -v`, which gives the peak RSS; requests come from the
// double's call log. Writes bench/results.md; never fails on a missed target.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const trees = require('./trees');

const ROOT = path.resolve(__dirname, '..');
const AIRLOCK = path.resolve(ROOT, process.env.BENCH_AIRLOCK || 'build/airlock-static');
const AWS = process.env.BENCH_AWS || '/usr/bin/aws';
const RCLONE = process.env.BENCH_RCLONE || '/usr/bin/rclone';
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 20);
const REPS = Number(process.env.BENCH_REPS ?? 3); // S1, S2, S3, S6
const REPS_S4 = Number(process.env.BENCH_REPS_S4 ?? 1);
const REPS_S5 = Number(process.env.BENCH_REPS_S5 ?? 2);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const TOOLS = process.env.BENCH_TOOLS ? process.env.BENCH_TOOLS.split(',') : null; // subset, for exploring
const AIRLOCK_FLAGS = (process.env.BENCH_AIRLOCK_FLAGS || '').split(/\s+/).filter(Boolean);
const RESULTS = process.env.BENCH_RESULTS || path.join(ROOT, 'bench/results.md');
const KEY = 'AKIAAIRLOCKDOUBLE001';
const SECRET = 'airlock/double/secret/key';
const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-1';
const AWS_SERVICES = new Set(['s3', 'sts', 'cloudformation', 'cloudfront', 'monitoring', 'ssm']);
const MiB = 1 << 20;

const log = (...a) => console.log('bench:', ...a);

// ---- the double ----------------------------------------------------------

async function startDouble(dataDir) {
  const child = spawn(path.join(ROOT, 'tests/double/start'), [], {
    env: { ...process.env, DOUBLE_LATENCY_MS: String(LATENCY), DOUBLE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/^PORT=(\d+)/m);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the AWS double exited (${code}) before it listened`)));
  });
  const base = `http://127.0.0.1:${port}`;
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal || code; });
  // One retry: a control call can meet a kept-alive connection the double just closed.
  const control = async (what, body, retry = true) => {
    try {
      const r = await fetch(`${base}/__control/${what}`, body === undefined ? {} : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`double control ${what}: ${r.status} ${await r.text()}`);
      return await r.json();
    } catch (e) {
      if (exited !== null) throw new Error(`the AWS double exited (${exited})`);
      if (!retry) throw new Error(`double control ${what}: ${e.message}${e.cause ? ` (${e.cause.message || e.cause})` : ''}`);
      log(`control ${what} failed (${e.cause ? e.cause.code || e.cause.message : e.message}); retrying once`);
      return control(what, body, false);
    }
  };
  let seq = 0; // last call-log entry seen
  return {
    port, base, child, control,
    // Fresh double with the buckets every tool expects (site; the CDK
    // bootstrap bucket that holds airlock's default release store).
    async fresh() {
      await control('reset', {});
      seq = 0;
      await control('seed', { buckets: ['site'], bootstrap: [{ account: ACCOUNT, region: REGION }] });
      await this.newCalls();
    },
    // AWS calls logged since the last read.
    async newCalls() {
      const calls = await control(`calls?since=${seq}`);
      if (calls.length) seq = calls[calls.length - 1].seq;
      return calls.filter((c) => AWS_SERVICES.has(c.service));
    },
    async objectCount(bucket) {
      const st = await control('state');
      return Object.keys((st.buckets[bucket] || { objects: {} }).objects).length;
    },
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

// ---- tools ---------------------------------------------------------------

// Each tool is run with a small, explicit environment (no CA bundle or
// proxy variables from the caller's shell, no user config).
function toolDefs(d, work) {
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { recursive: true });
  const baseEnv = { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TMPDIR: work };
  const awsEnv = {
    ...baseEnv, AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_DEFAULT_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
  };
  const awsBestConfig = path.join(work, 'aws-best.config');
  fs.writeFileSync(awsBestConfig, '[default]\ns3 =\n  max_concurrent_requests = 32\n  max_queue_size = 10000\n');
  const rcloneConfig = path.join(work, 'rclone.conf');
  fs.writeFileSync(rcloneConfig, [
    '[double]', 'type = s3', 'provider = Other', `access_key_id = ${KEY}`, `secret_access_key = ${SECRET}`,
    `endpoint = ${d.base}`, `region = ${REGION}`, 'force_path_style = true', '',
  ].join('\n'));
  const summary = path.join(work, 'summary.md');
  const awsSync = (config) => ({
    env: { ...awsEnv, AWS_CONFIG_FILE: config },
    sync: (dir) => [AWS, '--endpoint-url', d.base, 's3', 'sync', '--delete', dir, 's3://site/'],
  });
  const rcloneSync = (flags) => ({
    env: baseEnv,
    sync: (dir) => [RCLONE, '--config', rcloneConfig, 'sync', dir, 'double:site', ...flags],
  });
  const all = {
    airlock: {
      label: 'airlock', summary,
      env: { ...baseEnv, AWS_ENDPOINT_URL: d.base, AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, GITHUB_STEP_SUMMARY: summary },
      sync: (dir, version) => [AIRLOCK, 'deploy', '--aws-region', REGION, '--version', version, '--site-dir', dir, '--bucket', 'site', ...AIRLOCK_FLAGS],
      rollback: (version) => [AIRLOCK, 'rollback', '--aws-region', REGION, '--version', version, '--confirmation', 'rollback'],
    },
    'aws-default': { label: '`aws s3 sync` (defaults)', ...awsSync('/dev/null') },
    'aws-best': { label: '`aws s3 sync` (max_concurrent_requests 32)', ...awsSync(awsBestConfig) },
    'rclone-default': { label: '`rclone sync` (defaults)', ...rcloneSync([]) },
    'rclone-best': { label: '`rclone sync --checksum --transfers 32`', ...rcloneSync(['--checksum', '--transfers', '32']) },
  };
  if (!TOOLS) return all;
  return Object.fromEntries(Object.entries(all).filter(([k]) => k === 'airlock' || TOOLS.includes(k)));
}

// Runs argv under /usr/bin/time -v; returns wall seconds, peak RSS (KiB),
// CPU seconds and the output files. Throws when the tool fails.
function timed(work, tool, argv) {
  const tfile = path.join(work, 'time.txt');
  const out = path.join(work, 'out.txt');
  const err = path.join(work, 'err.txt');
  if (tool.summary) fs.writeFileSync(tool.summary, '');
  const fdOut = fs.openSync(out, 'w');
  const fdErr = fs.openSync(err, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', '-o', tfile, ...argv], {
    env: tool.env, cwd: work, stdio: ['ignore', fdOut, fdErr], timeout: 600000,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(fdOut);
  fs.closeSync(fdErr);
  const tv = fs.existsSync(tfile) ? fs.readFileSync(tfile, 'utf8') : '';
  const num = (re) => { const m = tv.match(re); return m ? Number(m[1]) : NaN; };
  if (r.status !== 0) {
    const tail = (fs.readFileSync(err, 'utf8') + fs.readFileSync(out, 'utf8')).split('\n').slice(-15).join('\n');
    throw new Error(`${argv.slice(0, 3).join(' ')} ... exited ${r.status ?? r.signal}:\n${tail}`);
  }
  return {
    wall,
    rssKiB: num(/Maximum resident set size \(kbytes\): (\d+)/),
    cpu: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    stdout: fs.readFileSync(out, 'utf8'),
    stderr: fs.readFileSync(err, 'utf8'),
    summary: tool.summary ? fs.readFileSync(tool.summary, 'utf8') : '',
  };
}

// A step's duration from airlock's job summary table ("| Site | ok | 2.1 s | ...").
function stepSeconds(summary, step) {
  const m = summary.match(new RegExp(`^\\| ${step} \\| [^|]+ \\| ([\\d.]+) s \\|`, 'm'));
  return m ? Number(m[1]) : null;
}

// ---- measurements ----------------------------------------------------------

const samples = {}; // "scenario|tool" -> [{wall, rssKiB, requests, rejected, site, release}]
function record(scenario, toolName, m, calls, extra = {}) {
  const rejected = calls.filter((c) => c.status === 403 || c.code === 'SignatureDoesNotMatch' ||
    c.code === 'AccessDenied' || c.code === 'InvalidAccessKeyId' || c.code === 'XAmzContentSHA256Mismatch').length;
  const s = { wall: m.wall, rssKiB: m.rssKiB, cpu: m.cpu, requests: calls.length, rejected, ...extra };
  (samples[`${scenario}|${toolName}`] ||= []).push(s);
  const note = extra.site != null ? ` (Site step ${extra.site} s, Release step ${extra.release} s)` : '';
  log(`${scenario} ${toolName.padEnd(14)} ${m.wall.toFixed(2)} s, ${(m.rssKiB / 1024).toFixed(1)} MiB, ` +
      `${calls.length} requests${rejected ? `, ${rejected} REJECTED` : ''}${note}`);
}

async function runSync(d, work, tools, scenario, name, dir, version) {
  const t = tools[name];
  const m = timed(work, t, t.sync(dir, version));
  const calls = await d.newCalls();
  const extra = name === 'airlock' ? { site: stepSeconds(m.summary, 'Site'), release: stepSeconds(m.summary, 'Release') } : {};
  if (scenario) record(scenario, name, m, calls, extra);
  return m;
}

function rotate(list, k) {
  const n = k % list.length;
  return list.slice(n).concat(list.slice(0, n));
}

// S1 first deploy -> S3 no change -> S2 rebuild -> S6 back to S1's site,
// one chain per tool, from a fresh double each time.
async function chains(d, work, tools, layout) {
  const v1dir = path.join(work, 'trees/v1');
  trees.writeTree(v1dir, layout, { version: 'v1' });
  const names = Object.keys(tools);
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of rotate(names, rep)) {
      await d.fresh();
      // The S1 tree was written before the bucket existed: older than any upload.
      await runSync(d, work, tools, 'S1', name, v1dir, 'v1');
      await runSync(d, work, tools, 'S3', name, v1dir, 'v1-same');
      // A fresh build: every file written anew (new mtimes), 1% changed.
      const rb = trees.rebuildLayout(layout, 0.01);
      const v2dir = path.join(work, 'trees/v2');
      trees.writeTree(v2dir, rb.layout, { version: 'v2', fileSeeds: rb.fileSeeds });
      await runSync(d, work, tools, 'S2', name, v2dir, 'v2');
      // S6: airlock restores S1's release; the seed's way rebuilds v1 (not
      // timed) and syncs it. rclone is not part of this comparison.
      if (name === 'airlock') {
        const t = tools.airlock;
        const m = timed(work, t, t.rollback('v1'));
        record('S6', name, m, await d.newCalls());
      } else if (name.startsWith('aws')) {
        const again = path.join(work, 'trees/v1-rebuilt');
        trees.writeTree(again, layout, { version: 'v1' });
        await runSync(d, work, tools, 'S6', name, again, 'v1');
      }
      await checkBucket(d, name, layout.length);
    }
  }
}

// The bucket must hold exactly the site after each chain (a sanity check
// that every tool did the same work).
async function checkBucket(d, name, expected) {
  const n = await d.objectCount('site');
  if (n !== expected) throw new Error(`${name}: the site bucket holds ${n} objects, expected ${expected}`);
}

async function firstDeploys(d, work, tools, scenario, dir, reps) {
  const names = Object.keys(tools);
  for (let rep = 0; rep < reps; rep++) {
    for (const name of rotate(names, rep)) {
      await d.fresh();
      await runSync(d, work, tools, scenario, name, dir, 'v1');
    }
  }
}

// Start-up: the time a shell needs to launch the command and see it exit,
// averaged over a batch (a single airlock run is below a millisecond, less
// than Node's own spawn overhead); 5 batches each. RSS from one run under
// /usr/bin/time -v.
function startup(work, tools) {
  const batch = (tool, argv, n) => {
    const sh = 'n=$1; shift; i=0; while [ $i -lt $n ]; do "$@" >/dev/null || exit 1; i=$((i + 1)); done';
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/bin/sh', ['-c', sh, 'sh', String(n), ...argv], { env: tool.env, cwd: work, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal})`);
    return Number(process.hrtime.bigint() - t0) / 1e9 / n;
  };
  const runs = [['airlock', tools.airlock, [AIRLOCK, 'version'], 40], ['aws-default', tools['aws-default'], [AWS, '--version'], 1]];
  for (const [, tool, argv] of runs) batch(tool, argv, 2); // warm the page cache
  for (let k = 0; k < 5; k++) {
    for (const [name, tool, argv, n] of runs) {
      (samples[`Startup|${name}`] ||= []).push({ wall: batch(tool, argv, n), rssKiB: NaN, requests: 0, rejected: 0 });
    }
  }
  for (const [name, tool, argv] of runs) samples[`Startup|${name}`][0].rssKiB = timed(work, tool, argv).rssKiB;
}

// ---- report ----------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const fmtS = (x) => (x == null ? '–' : x < 0.1 ? `${(x * 1000).toFixed(1)} ms` : `${x.toFixed(2)} s`);

function stats(key) {
  const xs = samples[key];
  if (!xs || !xs.length) return null;
  const walls = xs.map((x) => x.wall);
  return {
    n: xs.length, med: median(walls), min: Math.min(...walls), max: Math.max(...walls),
    rss: Math.max(...xs.map((x) => x.rssKiB).filter((x) => !Number.isNaN(x))) / 1024, requests: median(xs.map((x) => x.requests)),
    rejected: xs.reduce((a, x) => a + x.rejected, 0), site: median(xs.map((x) => x.site)),
    release: median(xs.map((x) => x.release)),
  };
}

function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || 'unknown CPU';
  const ver = (argv) => {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() } });
    return ((r.stdout || '') + (r.stderr || '')).split('\n')[0].trim();
  };
  let debian = '';
  try { debian = fs.readFileSync('/etc/debian_version', 'utf8').trim(); } catch { /* not Debian */ }
  return {
    cpu, cores: os.cpus().length, memGiB: (os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release(),
    debian, node: process.version, airlock: ver([AIRLOCK, 'version']), aws: ver([AWS, '--version']),
    rclone: ver([RCLONE, 'version']),
  };
}

const SCENARIOS = [
  ['S1', 'first deploy: 2,000 files, 12 MB'],
  ['S2', 'rebuild: every mtime new, 1% of files changed'],
  ['S3', 'no change'],
  ['S4', 'large site: first deploy of 10,000 files, 60 MB'],
  ['S5', 'one 256 MiB file'],
  ['S6', 'rollback to S1\'s release (peers: sync of the rebuilt old build)'],
  ['Startup', '`airlock version` / `aws --version`'],
];
const TOOL_ORDER = ['airlock', 'aws-default', 'aws-best', 'rclone-default', 'rclone-best'];

function report(tools, info) {
  const L = [];
  const m = info.machine;
  L.push('# airlock benchmark results', '');
  L.push(`Written by \`make bench\` (bench/run, bench/bench.js) on ${info.date}. Do not edit by hand.`, '');
  L.push(`- Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, Linux ${m.kernel}${m.debian ? `, Debian ${m.debian}` : ''}, Node ${m.node}.`);
  L.push(`- Load average (1 min) at start ${info.loadStart}, at end ${info.loadEnd}; the double, the tools and anything else running share these cores.`);
  L.push(`- The AWS double (tests/double) on loopback with **${LATENCY} ms** added to every AWS request (\`DOUBLE_LATENCY_MS\`).`);
  L.push(`- airlock: \`${m.airlock}\` (build/airlock-static); aws: \`${m.aws}\`; rclone: \`${m.rclone}\`.`);
  L.push(`- Repetitions: ${REPS} for S1, S2, S3, S6; ${REPS_S4} for S4 (rclone's defaults only with \`BENCH_S4_ALL=1\`: about 2 minutes a run); ${REPS_S5} for S5; interleaved, tool order rotated each repetition. Total bench time ${info.totalSec.toFixed(0)} s.`);
  L.push('- Wall time around the whole command (`/usr/bin/time -v`); RSS: the largest peak RSS over the repetitions; requests: AWS requests in the double\'s call log (median). Startup: the mean time a shell takes to run the command, per batch (40 runs of `airlock version`, 1 of `aws --version`), 5 batches.');
  L.push('- airlock runs `deploy --site-dir DIR --bucket site` with its defaults (32 requests in flight, release store in the CDK bootstrap bucket). Its time **includes recording the release** (lock, the new files of the release as one pack object uploaded alongside the sync, the manifest, `live.json`, `current.json`), which the peers do not do; the "Site step" column is the sync with the pack (the Site step of its job summary, 0.1 s resolution).');
  L.push('- Peers: `aws s3 sync --delete DIR s3://site/` (Debian awscli; defaults = no config file, best = `max_concurrent_requests = 32`), `rclone sync DIR double:site` (defaults, and `--checksum --transfers 32`), provider Other, path style.');
  L.push('- S2/S3/S6 start from the bucket as the same tool left it after S1 (S3 is run first, then S2, then S6); S2 rewrites every file (a fresh build) and changes 20 of them, 18 of which get new hashed names (so 18 stale keys are deleted).');
  L.push(`- Signature check: ${info.rejected === 0 ? 'every request of every tool was accepted by the double\'s SigV4 verification (no 403).' : `**${info.rejected} requests were rejected** (see the "rejected" column).`}`);
  L.push('');
  L.push('| scenario | tool | median | min-max | runs | peak RSS | requests | airlock/peer | speed-up | Site step |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [sc, title] of SCENARIOS) {
    const a = stats(`${sc}|airlock`);
    for (const name of TOOL_ORDER) {
      const s = stats(`${sc}|${name}`);
      if (!s) continue;
      const ratio = name !== 'airlock' && a ? a.med / s.med : null;
      const label = sc === 'Startup' ? (name === 'airlock' ? '`airlock version`' : '`aws --version`') : tools[name].label;
      L.push(`| ${sc}: ${title} | ${label} | ${fmtS(s.med)} | ${fmtS(s.min)}-${fmtS(s.max)} | ${s.n} | ` +
        `${s.rss.toFixed(1)} MiB | ${sc === 'Startup' ? '–' : s.requests}${s.rejected ? ` (${s.rejected} rejected)` : ''} | ` +
        `${ratio == null ? '–' : ratio < 0.1 ? ratio.toPrecision(2) : ratio.toFixed(2)} | ${ratio == null ? '–' : `${(1 / ratio).toFixed(1)}x`} | ` +
        `${name === 'airlock' && s.site != null ? `${s.site.toFixed(1)} s (Release ${s.release.toFixed(1)} s)` : '–'} |`);
    }
  }
  L.push('', `| image | bytes |`, '|---|---:|');
  L.push(`| build/airlock-static (stripped) | ${info.image.bin.toLocaleString('en')} |`);
  L.push(`| ${info.image.caPath} | ${info.image.ca.toLocaleString('en')} |`);
  L.push(`| total | ${(info.image.bin + info.image.ca).toLocaleString('en')} (${((info.image.bin + info.image.ca) / MiB).toFixed(2)} MiB) |`);
  L.push('', '## Targets', '', '| target | measured | required | result |', '|---|---:|---:|---|');
  for (const t of info.targets) L.push(`| ${t.name} | ${t.measured} | ${t.required} | ${t.met ? 'met' : `**missed** (${t.by})`} |`);
  L.push('');
  if (info.notes.length) L.push('## Notes', '', ...info.notes, '');
  return L.join('\n');
}

function targets(info) {
  const med = (k) => (stats(k) || {}).med;
  const out = [];
  const speed = (name, sc, peer, want) => {
    const a = med(`${sc}|airlock`);
    const p = med(`${sc}|${peer}`);
    if (a == null || p == null) return;
    const x = p / a;
    // The sync alone (airlock's Site step), for the scenarios that have one.
    const site = (stats(`${sc}|airlock`) || {}).site;
    const alone = site ? `; sync alone (Site step ${site.toFixed(1)} s): ${(p / site).toFixed(1)}x` : '';
    out.push({ name, measured: `${x.toFixed(2)}x (${fmtS(a)} vs ${fmtS(p)})${alone}`, required: `≥ ${want}x`, met: x >= want,
      by: `${((1 - x / want) * 100).toFixed(0)}% short: airlock needs ≤ ${fmtS(p / want)}` });
  };
  speed('S1 vs `aws s3 sync` (defaults)', 'S1', 'aws-default', 3);
  speed('S1 vs rclone best', 'S1', 'rclone-best', 1.3);
  speed('S2 vs `aws s3 sync` (defaults)', 'S2', 'aws-default', 20);
  speed('S3 vs `aws s3 sync` (defaults)', 'S3', 'aws-default', 5);
  const s4 = stats('S4|airlock');
  if (s4) out.push({ name: 'S4 airlock peak RSS', measured: `${s4.rss.toFixed(1)} MiB`, required: '≤ 30 MB', met: s4.rss * MiB <= 30e6,
    by: `${(s4.rss * MiB / 1e6 - 30).toFixed(1)} MB over` });
  const s5a = med('S5|airlock');
  const peers5 = TOOL_ORDER.slice(1).map((n) => [n, med(`S5|${n}`)]).filter(([, v]) => v != null);
  if (s5a != null && peers5.length) {
    const [bn, bv] = peers5.reduce((a, b) => (b[1] < a[1] ? b : a));
    const x = s5a / bv;
    out.push({ name: 'S5 vs the best peer', measured: `${x.toFixed(2)}x the time of ${bn} (${fmtS(s5a)} vs ${fmtS(bv)})`, required: '≤ 1.2x', met: x <= 1.2,
      by: `${((x / 1.2 - 1) * 100).toFixed(0)}% over` });
  }
  speed('Startup vs `aws --version`', 'Startup', 'aws-default', 100);
  const img = info.image.bin + info.image.ca;
  out.push({ name: 'Image (binary + CA bundle)', measured: `${(img / 1e6).toFixed(2)} MB`, required: '≤ 8 MB', met: img <= 8e6,
    by: `${((img - 8e6) / 1e6).toFixed(2)} MB over` });
  return out;
}

// ---- main --------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const loadStart = os.loadavg()[0].toFixed(2);
  for (const [what, p] of [['airlock static binary (make static)', AIRLOCK], ['aws (apt-get install awscli)', AWS], ['rclone (apt-get install rclone)', RCLONE]])
    if (!fs.existsSync(p)) throw new Error(`missing ${what}: ${p}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-'));
  const dataDir = path.join(work, 'double');
  fs.mkdirSync(dataDir);
  const d = await startDouble(dataDir);
  log(`AWS double on ${d.base}, ${LATENCY} ms per request; work in ${work}`);
  const tools = toolDefs(d, work);
  const want = (sc) => !ONLY || ONLY.has(sc);
  const info = { notes: [] };
  try {
    if (want('S1') || want('S2') || want('S3') || want('S6')) {
      const layout = trees.spaLayout(2000, 12e6, 1);
      log(`S1-S3, S6: ${layout.length} files, ${(12e6 / MiB).toFixed(1)} MiB, ${REPS} repetitions`);
      await chains(d, work, tools, layout);
    }
    if (want('S4')) {
      const dir = path.join(work, 'trees/s4');
      trees.writeTree(dir, trees.spaLayout(10000, 60e6, 4), { version: 'v1' });
      // rclone's defaults (4 transfers, a HeadObject after each PutObject) take
      // about 2 minutes here and say nothing S1 does not: left out unless asked.
      const s4tools = process.env.BENCH_S4_ALL ? tools
        : Object.fromEntries(Object.entries(tools).filter(([k]) => k !== 'rclone-default'));
      log(`S4: 10,000 files, 60 MB${s4tools === tools ? '' : ' (without rclone-default; BENCH_S4_ALL=1 adds it)'}`);
      await firstDeploys(d, work, s4tools, 'S4', dir, REPS_S4);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (want('S5')) {
      const dir = path.join(work, 'trees/s5');
      trees.writeBigFile(dir, 'video/intro.mp4', 256 * MiB);
      log('S5: one 256 MiB file');
      await firstDeploys(d, work, tools, 'S5', dir, REPS_S5);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (want('Startup')) startup(work, tools);
  } finally {
    await d.stop();
  }
  const caPath = '/etc/ssl/certs/ca-certificates.crt';
  info.image = { bin: fs.statSync(AIRLOCK).size, ca: fs.existsSync(caPath) ? fs.statSync(caPath).size : 0, caPath };
  info.machine = machine();
  info.date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  info.loadStart = loadStart;
  info.loadEnd = os.loadavg()[0].toFixed(2);
  info.totalSec = (Date.now() - t0) / 1000;
  info.rejected = Object.values(samples).flat().reduce((a, x) => a + x.rejected, 0);
  info.targets = targets(info);
  const notesFile = path.join(__dirname, 'notes.md');
  if (fs.existsSync(notesFile)) info.notes.push(fs.readFileSync(notesFile, 'utf8').trim());
  const md = report(tools, info);
  fs.writeFileSync(RESULTS, `${md}\n`);
  fs.writeFileSync(path.join(work, 'samples.json'), JSON.stringify(samples, null, 1));
  console.log(`\n${md}`);
  log(`wrote ${path.relative(ROOT, RESULTS)} (raw samples: ${path.join(work, 'samples.json')})`);
  if (!process.env.BENCH_KEEP) fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`bench: error: ${e.stack || e.message}`);
  process.exit(1);
});
