// SPDX-License-Identifier: Apache-2.0
// The image, end to end (issue 2, item 5): the static binary deploys from
// inside the image's root filesystem (scripts/image-rootfs.sh --run, a chroot
// holding only the Dockerfile's final-stage files) to the AWS double over
// TLS, by host name, with the site, the event and the runner's file commands
// mounted where a Docker action sees them. Root only; skipped visibly without.
//
// The run's /etc is a folder built here: the image's CA bundle with this
// test's CA appended (so the image's default bundle path is what verifies the
// double's certificate), and hosts naming the double `double.airlock.test`
// (so glibc's static resolver reads /etc/hosts inside the image). A small TLS
// terminator in this process forwards to the double's plain-HTTP port.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const H = require('./lib');

const IS_ROOT = process.getuid && process.getuid() === 0;
const STATIC = path.join(H.ROOT, 'build/airlock-static');
const HOST = 'double.airlock.test';
const BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

let double;
let proxy;
let tlsConnections = 0;
const work = H.tmpdir('chroot');

function skipReason() {
  if (!IS_ROOT) return 'needs root (chroot and bind mounts)';
  if (!fs.existsSync(BUNDLE)) return `no ${BUNDLE} (ca-certificates)`;
  if (spawnSync('openssl', ['version']).status !== 0) return 'no openssl command';
  return false;
}
const SKIP = skipReason();
if (SKIP) console.log(`# SKIP chroot.test.js: ${SKIP}`);

test.before(async () => {
  if (SKIP) return;
  // Quick when it is up to date; the first build fetches Debian's curl source.
  // image-rootfs builds the static binary first, then assembles the image's files.
  const b = spawnSync('make', ['-s', 'image-rootfs'], { cwd: H.ROOT, encoding: 'utf8', timeout: 1800000 });
  if (b.status !== 0) throw new Error(`make image-rootfs failed:\n${b.stdout}${b.stderr}`);
  double = await H.startDouble();
  const certs = path.join(work, 'certs');
  fs.mkdirSync(certs);
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', path.join(certs, 'key.pem'), '-out', path.join(certs, 'cert.pem'),
    '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`openssl: ${gen.stderr}`);
  proxy = tls.createServer({ key: fs.readFileSync(path.join(certs, 'key.pem')), cert: fs.readFileSync(path.join(certs, 'cert.pem')) }, (s) => {
    tlsConnections++;
    const up = net.connect(double.port, '127.0.0.1');
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  await new Promise((res) => proxy.listen(0, '127.0.0.1', res));
  // The run's /etc: the image's bundle plus this test's CA; hosts; resolv.conf.
  const etc = path.join(work, 'etc');
  fs.mkdirSync(path.join(etc, 'ssl/certs'), { recursive: true });
  fs.writeFileSync(path.join(etc, 'ssl/certs/ca-certificates.crt'),
    Buffer.concat([fs.readFileSync(path.join(H.ROOT, 'build/image-rootfs', BUNDLE)), fs.readFileSync(path.join(certs, 'cert.pem'))]));
  fs.writeFileSync(path.join(etc, 'hosts'), `127.0.0.1\tlocalhost\n127.0.0.1\t${HOST}\n`);
  fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\n');
});
test.after(async () => {
  if (proxy) proxy.close();
  if (double) await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function inImage(args, env) {
  const e = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const v = [['etc', '/etc'], ['site', '/github/workspace/site'], ['files', '/github/file_commands'], ['home', '/github/home']]
    .flatMap(([host, dir]) => ['-v', `${path.join(work, host)}:${dir}`]);
  return new Promise((resolve) => {
    const c = spawn(path.join(H.ROOT, 'scripts/image-rootfs.sh'), ['--run', ...e, ...v, '-w', '/github/workspace', '--', '/airlock', ...args],
      { cwd: H.ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (status) => resolve({ status, stdout: out, stderr: err }));
  });
}

test('the static binary deploys from inside the image over TLS, by host name, to the double', { skip: SKIP }, async () => {
  await H.seedAccount(double, { app: { bucket: 'site', versionKey: 'version.json' } });
  const site = H.makeApp(path.join(work, 'site'), 'v1', { chunks: 10 });
  fs.mkdirSync(path.join(work, 'files'));
  fs.mkdirSync(path.join(work, 'home'));
  fs.writeFileSync(path.join(work, 'files/output'), '');
  fs.writeFileSync(path.join(work, 'files/summary'), '');
  fs.writeFileSync(path.join(work, 'home/event.json'), JSON.stringify({ head_commit: { message: 'deploy from the image' } }));
  const base = `https://${HOST}:${proxy.address().port}`;
  const r = await inImage(['deploy', '--version', 'v1', '--site-dir', 'site', '--bucket', 'site',
    '--health-url', `${base}/__app/health`, '--health-expect-version', 'version', '--health-interval', '0',
    '--slack-webhook-url', `${base}/__slack/T/B/image`], {
    GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: '/github/file_commands/output', GITHUB_STEP_SUMMARY: '/github/file_commands/summary',
    GITHUB_EVENT_PATH: '/github/home/event.json', HOME: '/github/home', GITHUB_RUN_ID: '77', GITHUB_REPOSITORY: 'o/r',
    AWS_ENDPOINT_URL: base, AWS_REGION: H.REGION, AWS_ACCESS_KEY_ID: H.ROOT_KEY, AWS_SECRET_ACCESS_KEY: H.ROOT_SECRET,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const outputs = H.parseOutputs(fs.readFileSync(path.join(work, 'files/output'), 'utf8'));
  assert.equal(outputs.status, 'deployed');
  assert.equal(outputs['health-status'], '200');
  assert.match(fs.readFileSync(path.join(work, 'files/summary'), 'utf8'), /deployed/);
  assert.deepEqual(await H.bucketDiff(double, 'site', site.files), [], 'the bucket is the site');
  const st = await double.state();
  assert.equal(st.slack.length, 1, 'Slack reached over TLS');
  assert.ok(tlsConnections >= 2, `${tlsConnections} TLS connections`);
  // Every AWS call came through the TLS terminator, addressed by name.
  const calls = await H.awsCalls(double);
  assert.ok(calls.length > 10);

  // Without the test CA the image's bundle refuses the double's certificate.
  fs.writeFileSync(path.join(work, 'etc/ssl/certs/ca-certificates.crt'), fs.readFileSync(path.join(H.ROOT, 'build/image-rootfs', BUNDLE)));
  const refused = await inImage(['deploy', '--version', 'v2', '--site-dir', 'site', '--bucket', 'site'], {
    AWS_ENDPOINT_URL: base, AWS_REGION: H.REGION, AWS_ACCESS_KEY_ID: H.ROOT_KEY, AWS_SECRET_ACCESS_KEY: H.ROOT_SECRET,
  });
  assert.equal(refused.status, 3, refused.stdout + refused.stderr);
  assert.match(refused.stdout + refused.stderr, /certificate|SSL/i);
});
