// SPDX-License-Identifier: Apache-2.0
// Helpers of the hardening suite (issue 11): run the airlock binary as the
// runner does (synchronously, or in the background so that a test can kill
// it), read the double's call log, recognise sanitizer reports, build sites
// and small cloud assemblies.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const base = require('../integration/lib');

const { ROOT, ACCOUNT, REGION, startDouble, tmpdir } = base;
// The sanitizer build by default: every hardening run is also an ASan+UBSan run.
const BIN = path.resolve(ROOT, process.env.AIRLOCK || 'build/airlock-san');
const ROOT_KEY = 'AKIAAIRLOCKDOUBLE001';
const ROOT_SECRET = 'airlock/double/secret/key';
const STORE_BUCKET = `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`;
const AWS_SERVICES = new Set(['s3', 'sts', 'cloudfront', 'cloudformation', 'monitoring', 'ssm']);
// Operations that change nothing (STS hands out keys, it changes no resource).
const READ_ONLY = /^(Get|Describe|List|Head)|^(AssumeRole|AssumeRoleWithWebIdentity)$/;

// ASan/LSan/UBSan reports (their first lines), so that no run hides one.
const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer/;

function sanitizerReport(stderr) {
  const m = SANITIZER.exec(stderr || '');
  return m ? stderr.slice(Math.max(0, m.index - 200), m.index + 2000) : null;
}

// The runner's $GITHUB_OUTPUT reader (name<<DELIM heredocs and name=value lines).
function parseOutputs(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (h) {
      const val = [];
      for (i++; i < lines.length && lines[i] !== h[2]; i++) val.push(lines[i]);
      out[h[1]] = val.join('\n');
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(lines[i]);
    if (kv) out[kv[1]] = kv[2];
  }
  return out;
}

/**
 * Runs airlock like the Actions runner: INPUT_* from `inputs`, file commands
 * in a fresh folder. `killAfterMs` sends SIGKILL after that delay (if the run
 * is still going), `killWhen` as soon as that async predicate holds. Resolves to {status, signal, stdout, stderr, outputs,
 * outputText, summary, ms}; `keep` leaves the run folder (res.dir).
 */
function run(double, { args = [], inputs = {}, env = {}, bin = BIN, cwd, killAfterMs, killWhen, keep = false, timeoutMs = 300000, actions = true } = {}) {
  const dir = tmpdir('hrun');
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  const e = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ENDPOINT_URL: double ? double.base : undefined,
    AWS_ACCESS_KEY_ID: ROOT_KEY,
    AWS_SECRET_ACCESS_KEY: ROOT_SECRET,
    AWS_REGION: REGION,
    // Sanitizer findings must fail loudly and be told apart from airlock's own exit codes.
    ASAN_OPTIONS: 'detect_leaks=1:exitcode=86:abort_on_error=0',
    UBSAN_OPTIONS: 'print_stacktrace=1:exitcode=87',
  };
  if (actions) {
    Object.assign(e, {
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo-org/goal-mandala',
      GITHUB_RUN_ID: String(1 + Math.floor(Math.random() * 1e9)),
      GITHUB_ACTOR: 'octocat',
    });
  }
  Object.assign(e, env);
  for (const [k, v] of Object.entries(inputs)) e[`INPUT_${k.toUpperCase()}`] = String(v);
  for (const k of Object.keys(e)) if (e[k] === undefined || e[k] === null) delete e[k];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env: e, cwd: cwd || ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timers = [setTimeout(() => child.kill('SIGKILL'), timeoutMs)];
    if (killAfterMs !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), killAfterMs));
    // killWhen: an async predicate polled every 20 ms; true sends SIGKILL.
    let polling = !!killWhen;
    const poll = async () => {
      if (!polling) return;
      if (await killWhen()) child.kill('SIGKILL');
      else if (polling) setTimeout(poll, 20);
    };
    if (killWhen) setTimeout(poll, 20);
    child.on('close', (status, signal) => {
      polling = false;
      timers.forEach(clearTimeout);
      const outputText = fs.readFileSync(files.output, 'utf8');
      const res = {
        status, signal, ms: Date.now() - t0, dir,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        outputText, outputs: parseOutputs(outputText),
        summary: fs.readFileSync(files.summary, 'utf8'),
        runUrl: `https://github.com/octo-org/goal-mandala/actions/runs/${e.GITHUB_RUN_ID}`,
      };
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      resolve(res);
    });
  });
}

/** The double's last call sequence number (0 when the log is empty). */
async function lastSeq(double) {
  const calls = await double.calls();
  return calls.length ? calls[calls.length - 1].seq : 0;
}

/** AWS calls after `since`. */
async function awsCalls(double, since = 0) {
  return (await double.calls(since)).filter((c) => AWS_SERVICES.has(c.service));
}

/** The AWS calls after `since` that could have changed something. */
async function mutatingCalls(double, since = 0) {
  return (await awsCalls(double, since)).filter((c) => !READ_ONLY.test(c.operation || ''));
}

/** Lines of stdout that start with '::' (workflow commands). */
function commandLines(stdout) {
  return stdout.split('\n').filter((l) => l.startsWith('::'));
}

/**
 * Workflow commands airlock itself writes: groups, masks, annotations, debug
 * lines, and the stop-commands pair around verbatim blocks. Anything else
 * starting with '::' would be an injected command.
 */
function ownCommand(line, stopTokens) {
  if (/^::(group|endgroup|add-mask|debug|notice|warning|error)( [^:]*)?::/.test(line)) return true;
  const stop = /^::stop-commands::(.+)$/.exec(line);
  if (stop) {
    stopTokens.add(stop[1]);
    return true;
  }
  const resume = /^::(.+)::$/.exec(line);
  return !!resume && stopTokens.has(resume[1]);
}

/**
 * Lines of stdout starting with '::' that are not one of airlock's own
 * commands (strict: also inside stop-commands blocks, where the runner would
 * ignore them). An empty list means nothing untrusted could inject a command.
 */
function foreignCommands(stdout) {
  const tokens = new Set();
  return commandLines(stdout).filter((l) => !ownCommand(l, tokens));
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * A small single-page app: index.html and about/index.html load fingerprinted
 * assets (names carry a hash of their content, so each version has its own),
 * plus `chunks` more fingerprinted scripts and version.json. Returns {dir, files}.
 */
function makeApp(dir, version, { chunks = 40, seed = version } = {}) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'about'), { recursive: true });
  const files = {};
  const put = (rel, data) => {
    fs.writeFileSync(path.join(dir, rel), data);
    files[rel] = Buffer.from(data);
  };
  const asset = (stem, ext, body) => {
    const name = `assets/${stem}.${sha256(body).slice(0, 10)}.${ext}`;
    put(name, body);
    return `/${name}`;
  };
  const js = asset('app', 'js', `console.log(${JSON.stringify(`app ${seed}`)});\n${'// pad\n'.repeat(50)}`);
  const css = asset('style', 'css', `body { --v: "${seed}"; }\n`);
  const vendor = asset('vendor', 'js', `/* vendor ${seed} */\n${'x'.repeat(4000)}\n`);
  for (let i = 0; i < chunks; i++) asset(`chunk-${i}`, 'js', `// chunk ${i} of ${seed}\n${'y'.repeat(200 + i)}\n`);
  const page = (title) => `<!doctype html><html><head><title>${title}</title>` +
    `<link rel="stylesheet" href="${css}"><script type="module" src="${js}"></script></head>` +
    `<body data-version="${version}"><script src="${vendor}"></script></body></html>\n`;
  put('index.html', page(`home ${version}`));
  put('about/index.html', page(`about ${version}`));
  put('version.json', JSON.stringify({ version }));
  return { dir, files };
}

/** The asset URLs (script src, link href) of an HTML page. */
function assetRefs(html) {
  const refs = [];
  const re = /<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g;
  for (let m; (m = re.exec(html));) refs.push(m[1]);
  return refs;
}

/** GET through the double's site origin: {status, body}. */
async function siteGet(double, bucket, key) {
  const r = await fetch(`${double.base}/__site/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

/**
 * What a visitor would see: each served page and whether every asset it
 * references is there. Returns a list of problems (empty when consistent).
 */
async function brokenPages(double, bucket, pages = ['index.html', 'about/index.html']) {
  const problems = [];
  for (const page of pages) {
    const p = await siteGet(double, bucket, page);
    if (p.status === 404) continue; // nothing deployed yet
    if (p.status !== 200) {
      problems.push(`${page}: HTTP ${p.status}`);
      continue;
    }
    for (const ref of assetRefs(p.body.toString('utf8'))) {
      const a = await siteGet(double, bucket, ref.replace(/^\//, ''));
      if (a.status !== 200) problems.push(`${page} -> ${ref}: HTTP ${a.status}`);
    }
  }
  return problems;
}

/** The bucket's objects with their bytes (through the site origin). */
async function bucketFiles(double, bucket) {
  const st = await double.state();
  const objs = (st.buckets[bucket] || { objects: {} }).objects;
  const out = {};
  for (const key of Object.keys(objs)) out[key] = (await siteGet(double, bucket, key)).body;
  return out;
}

/** Differences between the bucket and a {key: Buffer} map ([] when byte-equal). */
async function bucketDiff(double, bucket, want) {
  const got = await bucketFiles(double, bucket);
  const diff = [];
  for (const k of Object.keys(want)) {
    if (!got[k]) diff.push(`missing ${k}`);
    else if (!got[k].equals(want[k])) diff.push(`differs ${k}`);
  }
  for (const k of Object.keys(got)) if (!want[k]) diff.push(`extra ${k}`);
  return diff;
}

/**
 * A one-stack cloud assembly as `cdk synth` writes it (deploy role, bootstrap
 * version check), without assets: an SSM parameter whose value is `value`.
 * `extra` adds artifacts (e.g. a dependency cycle).
 */
function writeAssembly(dir, value, { stack = 'Small', artifacts } = {}) {
  const role = (r) => `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-${r}-${ACCOUNT}-${REGION}`;
  const props = (tf) => ({
    templateFile: tf, assumeRoleArn: role('deploy-role'), cloudFormationExecutionRoleArn: role('cfn-exec-role'),
    requiresBootstrapStackVersion: 6, bootstrapStackVersionSsmParameter: '/cdk-bootstrap/hnb659fds/version',
  });
  fs.mkdirSync(dir, { recursive: true });
  const template = {
    Resources: { Param: { Type: 'AWS::SSM::Parameter', Properties: { Name: `/${stack}/value`, Type: 'String', Value: value } } },
    Outputs: { Value: { Value: { 'Fn::GetAtt': ['Param', 'Value'] } } },
  };
  fs.writeFileSync(path.join(dir, `${stack}.template.json`), JSON.stringify(template));
  const arts = artifacts || { [stack]: { type: 'aws:cloudformation:stack', environment: `aws://${ACCOUNT}/${REGION}`, properties: props(`${stack}.template.json`) } };
  for (const a of Object.values(arts)) {
    if (a.properties && !fs.existsSync(path.join(dir, a.properties.templateFile))) {
      fs.writeFileSync(path.join(dir, a.properties.templateFile), JSON.stringify(template));
    }
    if (a.properties && !a.properties.assumeRoleArn) Object.assign(a.properties, props(a.properties.templateFile));
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '36.0.0', artifacts: arts }));
  return dir;
}

/** Seeds what a real account would have for a site deploy (+ `extra`). */
async function seedAccount(double, extra = {}) {
  await double.control('reset', {});
  await double.control('seed', {
    buckets: ['site'],
    bootstrap: [{ account: ACCOUNT, region: REGION }],
    ...extra,
  });
}

module.exports = {
  ROOT, ACCOUNT, REGION, BIN, ROOT_KEY, ROOT_SECRET, STORE_BUCKET, AWS_SERVICES,
  startDouble, tmpdir, run, lastSeq, awsCalls, mutatingCalls, sanitizerReport, parseOutputs,
  commandLines, foreignCommands, makeApp, assetRefs, siteGet, brokenPages, bucketFiles,
  bucketDiff, writeAssembly, seedAccount, sha256,
};
