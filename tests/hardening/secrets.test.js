// SPDX-License-Identifier: Apache-2.0
// Secrets (issue 11): every command, in debug mode, with known secret values
// (keys, session token, the OIDC request token and the JWT it buys, the
// Slack webhook URL) leaves none of them in stdout, stderr, $GITHUB_OUTPUT,
// $GITHUB_STEP_SUMMARY, the Slack message or any object of the release store
// and the site bucket. The only place a secret may appear is its own
// `::add-mask::` line, which is how the runner learns to hide it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./lib');

const ROLE = `arn:aws:iam::${H.ACCOUNT}:role/deploy`;
const REQUEST_TOKEN = 'double-request-token';
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;
const HOOK_SECRET = 'T0HARDEN/B0HARDEN/hardeningWebhookSecret42';

let double;
let secrets; // name -> value
const work = H.tmpdir('secrets');
const runs = [];

// Temporary keys with a session token, from the double's STS.
async function sessionKeys() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { STSClient, AssumeRoleCommand } = require(path.join(H.ROOT, 'tests/double/node_modules/@aws-sdk/client-sts'));
  const sts = new STSClient({ region: H.REGION, endpoint: double.base,
    credentials: { accessKeyId: H.ROOT_KEY, secretAccessKey: H.ROOT_SECRET } });
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'hardening' }));
  return r.Credentials;
}

test.before(async () => {
  double = await H.startDouble();
  await H.seedAccount(double, { roles: ['deploy'], app: { bucket: 'site', versionKey: 'version.json' } });
  const k = await sessionKeys();
  secrets = {
    'root secret key': H.ROOT_SECRET,
    'session access key id': k.AccessKeyId,
    'session secret key': k.SecretAccessKey,
    'session token': k.SessionToken,
    'OIDC request token': REQUEST_TOKEN,
    'Slack webhook URL': `${double.base}/__slack/${HOOK_SECRET}`,
    'Slack webhook path': HOOK_SECRET,
  };
});
test.after(async () => {
  await double.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const oidcEnv = () => ({
  AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
  ACTIONS_ID_TOKEN_REQUEST_URL: `${double.base}/__oidc/token?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
});
const sessionEnv = () => ({
  AWS_ACCESS_KEY_ID: secrets['session access key id'],
  AWS_SECRET_ACCESS_KEY: secrets['session secret key'],
  AWS_SESSION_TOKEN: secrets['session token'],
});

/** Where a secret shows up in text, other than its own ::add-mask:: line. */
function leaks(text) {
  const found = [];
  const lines = text.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  const rest = lines.join('\n');
  for (const [name, value] of Object.entries(secrets)) if (rest.includes(value)) found.push(name);
  if (JWT.test(rest)) found.push(`an OIDC JWT (${JWT.exec(rest)[0].slice(0, 20)}...)`);
  return found;
}

async function check(name, opts) {
  const r = await H.run(double, { ...opts, env: { RUNNER_DEBUG: '1', ...opts.env } });
  runs.push({ name, r });
  assert.equal(H.sanitizerReport(r.stderr), null, name);
  for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['$GITHUB_OUTPUT', r.outputText], ['$GITHUB_STEP_SUMMARY', r.summary]]) {
    assert.deepEqual(leaks(text), [], `${name}: secret in ${where}`);
  }
  return r;
}

test('deploy, plan, rollback, releases, version and help in debug mode leak no secret', async () => {
  const v1 = H.makeApp(path.join(work, 'v1'), 'v1', { chunks: 5 });
  const v2 = H.makeApp(path.join(work, 'v2'), 'v2', { chunks: 5 });
  const hook = secrets['Slack webhook URL'];
  const health = { 'health-url': `${double.base}/__app/health`, 'health-expect-version': 'version', 'health-interval': '0' };

  // deploy through OIDC: the JWT and the keys STS returns for it.
  let r = await check('deploy (OIDC, role-to-assume)', {
    inputs: { command: 'deploy', version: 'v1', 'site-dir': v1.dir, bucket: 'site', 'role-to-assume': ROLE,
      'slack-webhook-url': hook, ...health },
    env: oidcEnv(),
  });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^::debug::http: /m, 'a debug run');
  assert.match(r.stdout, new RegExp(`^::add-mask::${REQUEST_TOKEN}$`, 'm'), 'the request token is masked first');
  assert.match(r.stdout, /^::add-mask::eyJ/m, 'the JWT is masked before use');
  // deploy with session keys given as inputs, and the webhook from the environment's input.
  r = await check('deploy (session keys as inputs)', {
    inputs: { command: 'deploy', version: 'v2', 'site-dir': v2.dir, bucket: 'site', 'slack-webhook-url': hook,
      'aws-access-key-id': secrets['session access key id'], 'aws-secret-access-key': secrets['session secret key'],
      'aws-session-token': secrets['session token'], ...health },
    env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
  });
  assert.equal(r.status, 0, r.stdout);
  r = await check('plan (session keys)', {
    inputs: { command: 'plan', version: 'v3', 'site-dir': v1.dir, bucket: 'site', 'slack-webhook-url': hook },
    env: sessionEnv(),
  });
  assert.equal(r.status, 0, r.stdout);
  r = await check('rollback (OIDC)', {
    inputs: { command: 'rollback', version: 'v1', confirmation: 'rollback', 'role-to-assume': ROLE, 'slack-webhook-url': hook, ...health },
    env: oidcEnv(),
  });
  assert.equal(r.status, 0, r.stdout);
  r = await check('releases (session keys)', { inputs: { command: 'releases' }, env: sessionEnv() });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /v1/);
  // A failing deploy: its error text comes from AWS (a bucket that does not exist).
  r = await check('deploy that fails (session keys)', {
    inputs: { command: 'deploy', version: 'v4', 'site-dir': v1.dir, bucket: 'no-such-bucket', 'slack-webhook-url': hook },
    env: sessionEnv(),
  });
  assert.equal(r.status, 1, r.stdout);
  // version and help, with every secret in the environment and the inputs.
  const all = { ...sessionEnv(), ACTIONS_ID_TOKEN_REQUEST_URL: `${double.base}/__oidc/token`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    'INPUT_SLACK-WEBHOOK-URL': hook, 'INPUT_AWS-SESSION-TOKEN': secrets['session token'] };
  for (const args of [['version'], ['help'], ['help', 'deploy'], ['help', '--json']]) {
    r = await check(`airlock ${args.join(' ')}`, { args, env: all });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  // A mistyped flag that carries a secret as its value.
  r = await check('bad flag with a secret value', { args: ['deploy', '--aws-secret-access-keyy', secrets['session secret key']], env: all });
  assert.equal(r.status, 2);
});

test('the release store, the site bucket and the Slack messages hold no secret', async () => {
  const st = await double.state();
  const objects = [];
  for (const [bucket, b] of Object.entries(st.buckets)) {
    for (const key of Object.keys(b.objects)) objects.push([bucket, key]);
  }
  assert.ok(objects.some(([b, k]) => b === H.STORE_BUCKET && k.endsWith('current.json')), 'the store was written');
  assert.ok(objects.some(([b, k]) => b === H.STORE_BUCKET && /releases\/v1\.json$/.test(k)));
  for (const [bucket, key] of objects) {
    const body = (await H.siteGet(double, bucket, key)).body.toString('latin1');
    assert.deepEqual(leaks(body), [], `s3://${bucket}/${key}`);
  }
  assert.ok(st.slack.length >= 4, `${st.slack.length} Slack messages`);
  assert.deepEqual(leaks(JSON.stringify(st.slack)), [], 'Slack messages');
  assert.ok(runs.length >= 10, `${runs.length} runs checked`);
});
