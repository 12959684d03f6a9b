// SPDX-License-Identifier: Apache-2.0
// Runs the table tests/cli/bad-inputs: every bad input stops airlock with its
// exit code and a message naming what is wrong, no sanitizer report, and not
// one mutating call reaches the AWS double.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

const TABLE = path.join(H.ROOT, 'tests/cli/bad-inputs');

// Shell-like words: single quotes, double quotes, backslash escapes.
function words(line) {
  const out = [];
  let cur = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unclosed ' in: ${line}`);
      cur = (cur || '') + line.slice(i + 1, j);
      i = j;
    } else if (ch === '"') {
      let s = '';
      for (i++; i < line.length && line[i] !== '"'; i++) s += line[i] === '\\' ? line[++i] : line[i];
      cur = (cur || '') + s;
    } else if (ch === '\\') {
      cur = (cur || '') + line[++i];
    } else if (ch === ' ' || ch === '\t') {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur = (cur || '') + ch;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

function parseTable(text) {
  const cases = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    const parts = raw.split('|');
    if (parts.length < 4) throw new Error(`bad table line: ${raw}`);
    const [name, exit, fragment] = parts.slice(0, 3).map((s) => s.trim());
    cases.push({ name, exit: Number(exit), fragment, line: parts.slice(3).join('|').trim() });
  }
  return cases;
}

let double;
let fx;
const work = H.tmpdir('bad-inputs');

// Temporary keys that have expired: issued by the double's STS with a 1 s life.
async function expiredKeys() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { STSClient, AssumeRoleCommand } = require(path.join(H.ROOT, 'tests/double/node_modules/@aws-sdk/client-sts'));
  await double.control('faults', { rules: [], stsDurationSeconds: 1 });
  const sts = new STSClient({ region: H.REGION, endpoint: double.base,
    credentials: { accessKeyId: H.ROOT_KEY, secretAccessKey: H.ROOT_SECRET } });
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${H.ACCOUNT}:role/deploy`, RoleSessionName: 'expired' }));
  await double.control('faults', { rules: [], stsDurationSeconds: null });
  await new Promise((res) => setTimeout(res, 2100));
  return r.Credentials;
}

function fixtures(creds) {
  const p = (...x) => path.join(work, ...x);
  fs.mkdirSync(p('site/assets'), { recursive: true });
  fs.writeFileSync(p('site/index.html'), '<html>ok</html>');
  fs.writeFileSync(p('site/assets/app.0123456789.js'), 'ok()');
  fs.mkdirSync(p('empty'));
  fs.writeFileSync(p('file'), 'a file');
  fs.mkdirSync(p('nonutf8'));
  fs.writeFileSync(p('nonutf8/index.html'), '<html></html>');
  fs.writeFileSync(Buffer.concat([Buffer.from(p('nonutf8/')), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x6a, 0x73])]), 'x');
  fs.mkdirSync(p('symlink'));
  fs.writeFileSync(p('symlink/index.html'), '<html></html>');
  fs.symlinkSync('/etc/passwd', p('symlink/passwd.txt'));
  const cfg = p('cfg');
  fs.mkdirSync(cfg);
  const w = (name, data) => fs.writeFileSync(path.join(cfg, name), data);
  w('wrong-account', JSON.stringify({ accountId: '999999999999', region: H.REGION }));
  w('bad-account', JSON.stringify({ accountId: '12345;id', region: H.REGION }));
  w('bad.json', '{"deploy": {"bucket": "site",');
  w('empty.json', '');
  // Over the 10 MB cap, but valid JSON: refused for its size, not its syntax.
  w('huge.json', `{"deploy": {"bucket": "site"}, "pad": "${'x'.repeat(11 * 1024 * 1024)}"}`);
  w('nested.json', `${'['.repeat(100000)}${']'.repeat(100000)}`);
  w('nested.yaml', `${'['.repeat(100000)}${']'.repeat(100000)}\n`);
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 0; i < 9; i++) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    bomb += `${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
  }
  w('bomb.yaml', bomb);
  w('bad.yaml', 'deploy:\n  bucket: site\n   prefix: [unclosed\n');
  w('array.json', '[1, 2, 3]');
  w('nul.json', Buffer.from('{"deploy": {"bucket": "si\u0000te"}}'));
  w('wrong-type.json', JSON.stringify({ deploy: { bucket: { name: 'site' } } }));
  // Two stacks that depend on each other.
  H.writeAssembly(p('cycle'), 'x', {
    artifacts: {
      Small: { type: 'aws:cloudformation:stack', environment: `aws://${H.ACCOUNT}/${H.REGION}`, dependencies: ['Other'], properties: { templateFile: 'Small.template.json' } },
      Other: { type: 'aws:cloudformation:stack', environment: `aws://${H.ACCOUNT}/${H.REGION}`, dependencies: ['Small'], properties: { templateFile: 'Other.template.json' } },
    },
  });
  H.writeAssembly(p('asm'), 'x');
  return {
    ASM: p('asm'), SITE: p('site'), EMPTY: p('empty'), FILE: p('file'), MISSING: p('missing'), NONUTF8: p('nonutf8'),
    SYMLINK: p('symlink'), CYCLE: p('cycle'), CFG: cfg, B: double.base, NL: '\n', CR: '\r',
    EXPIRED_KEY: creds.AccessKeyId, EXPIRED_SECRET: creds.SecretAccessKey, EXPIRED_TOKEN: creds.SessionToken,
  };
}

function expand(word) {
  return word.replace(/@([A-Z0-9_]+)(?::([^@]*))?@/g, (m, name, arg) => {
    if (name === 'REPEAT') {
      const [text, n] = arg.split(':');
      return text.repeat(Number(n));
    }
    if (name === 'CFG') return path.join(fx.CFG, arg);
    if (!(name in fx)) throw new Error(`unknown fixture ${m}`);
    return fx[name];
  });
}

test.before(async () => {
  double = await H.startDouble();
  await H.seedAccount(double, { roles: ['deploy'] });
  fx = fixtures(await expiredKeys());
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const cases = parseTable(fs.readFileSync(TABLE, 'utf8'));

test('the table holds at least 40 bad inputs, each named once', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'duplicate case names');
});

for (const c of cases) {
  test(`bad input: ${c.name} -> exit ${c.exit}`, async () => {
    const env = {};
    const args = [];
    let leading = true;
    for (const raw of words(c.line)) {
      const word = expand(raw);
      if (leading && /^-[A-Z][A-Z0-9_]*$/.test(raw)) {
        env[raw.slice(1)] = undefined;
        continue;
      }
      const kv = leading && /^([A-Z][A-Z0-9_-]*)=(.*)$/s.exec(word);
      if (kv) {
        env[kv[1]] = kv[2];
        continue;
      }
      leading = false;
      args.push(word);
    }
    const since = await H.lastSeq(double);
    const r = await H.run(double, { args, env });
    const all = r.stdout + r.stderr;
    assert.equal(H.sanitizerReport(r.stderr), null, 'sanitizer report');
    assert.equal(r.status, c.exit, `exit ${r.status} (want ${c.exit}):\n${all.slice(-1500)}`);
    assert.ok(all.includes(c.fragment), `no '${c.fragment}' in:\n${all.slice(-1500)}`);
    assert.match(r.stdout, /^::error/m, 'an error annotation');
    const mutating = await H.mutatingCalls(double, since);
    assert.deepEqual(mutating.map((m) => `${m.operation} ${m.path}`), [], 'mutating calls');
  });
}
