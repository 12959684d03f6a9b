'use strict';
// Stretch goal: the real CDK CLI (npm aws-cdk) deploys a synthesized cloud
// assembly to the double with AWS_ENDPOINT_URL set: assumes the bootstrap
// roles, checks the bootstrap version in SSM, publishes file assets to the
// assets bucket, and deploys through a change set. The assembly is written
// here by hand (what `cdk synth` emits for a one-bucket app), so no
// aws-cdk-lib is needed.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const { startDouble } = require('./helpers');

const CDK = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk');
const HAVE_CDK = fs.existsSync(CDK);
if (!HAVE_CDK) console.log('# SKIP cdk.test.js: aws-cdk is not installed (npm ci)');

const A = '123456789012';
const R = 'ap-northeast-1';
const Q = 'hnb659fds';
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function writeAssembly(dir, version) {
  const role = (r) => `arn:\${AWS::Partition}:iam::${A}:role/cdk-${Q}-${r}-${A}-${R}`;
  const template = {
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: `/cdk-bootstrap/${Q}/version` } },
    Rules: { CheckBootstrapVersion: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] }] }, AssertDescription: "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI." }] } },
    Resources: {
      SiteBucket: { Type: 'AWS::S3::Bucket', UpdateReplacePolicy: 'Retain', DeletionPolicy: 'Retain' },
      Version: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/demo/version', Type: 'String', Value: version } },
    },
    Outputs: { BucketName: { Value: { Ref: 'SiteBucket' } }, Version: { Value: { 'Fn::GetAtt': ['Version', 'Value'] } } },
  };
  fs.mkdirSync(dir, { recursive: true });
  const body = JSON.stringify(template, null, 1);
  fs.writeFileSync(path.join(dir, 'DemoStack.template.json'), body);
  fs.writeFileSync(path.join(dir, 'asset.txt'), `asset for ${version}`);
  const th = sha256(body);
  const ah = sha256(`asset for ${version}`);
  const dest = (key) => ({ [`${A}-${R}`]: { bucketName: `cdk-${Q}-assets-${A}-${R}`, objectKey: key, region: R, assumeRoleArn: role('file-publishing-role') } });
  fs.writeFileSync(path.join(dir, 'DemoStack.assets.json'), JSON.stringify({
    version: '36.0.0',
    files: {
      [th]: { source: { path: 'DemoStack.template.json', packaging: 'file' }, destinations: dest(`${th}.json`) },
      [ah]: { source: { path: 'asset.txt', packaging: 'file' }, destinations: dest(`${ah}.txt`) },
    },
    dockerImages: {},
  }));
  fs.writeFileSync(path.join(dir, 'cdk.out'), JSON.stringify({ version: '36.0.0' }));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    version: '36.0.0',
    artifacts: {
      'DemoStack.assets': { type: 'cdk:asset-manifest', properties: { file: 'DemoStack.assets.json', requiresBootstrapStackVersion: 6, bootstrapStackVersionSsmParameter: `/cdk-bootstrap/${Q}/version` } },
      DemoStack: {
        type: 'aws:cloudformation:stack', environment: `aws://${A}/${R}`, displayName: 'DemoStack', dependencies: ['DemoStack.assets'],
        properties: {
          templateFile: 'DemoStack.template.json', terminationProtection: false, validateOnSynth: false,
          assumeRoleArn: role('deploy-role'), cloudFormationExecutionRoleArn: role('cfn-exec-role'),
          stackTemplateAssetObjectUrl: `s3://cdk-${Q}-assets-${A}-${R}/${th}.json`,
          requiresBootstrapStackVersion: 6, bootstrapStackVersionSsmParameter: `/cdk-bootstrap/${Q}/version`,
          additionalDependencies: ['DemoStack.assets'],
          lookupRole: { arn: role('lookup-role'), requiresBootstrapStackVersion: 8, bootstrapStackVersionSsmParameter: `/cdk-bootstrap/${Q}/version` },
        },
      },
    },
  }));
  return { templateHash: th, assetHash: ah };
}

test('cdk deploy --app cdk.out against the double', { skip: !HAVE_CDK && 'aws-cdk not installed' }, async (t) => {
  const d = await startDouble();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'double-cdk-'));
  t.after(async () => { await d.stop(); fs.rmSync(tmp, { recursive: true, force: true }); });
  await d.seed({ bootstrap: [{ account: A, region: R, version: 27 }], cfnStepMs: 0, changeSetMs: 0 });
  const deploy = () => new Promise((resolve) => {
    execFile(process.execPath, [CDK, 'deploy', '--app', 'cdk.out', '--require-approval', 'never', '--no-notices', '--ci'], {
      cwd: tmp, timeout: 120000,
      env: {
        PATH: process.env.PATH, HOME: tmp, AWS_ENDPOINT_URL: d.url, AWS_ACCESS_KEY_ID: 'AKIAAIRLOCKDOUBLE001', AWS_SECRET_ACCESS_KEY: 'airlock/double/secret/key',
        AWS_REGION: R, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', CDK_DISABLE_VERSION_CHECK: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr }));
  });

  const h1 = writeAssembly(path.join(tmp, 'cdk.out'), 'v1');
  const r1 = await deploy();
  assert.equal(r1.code, 0, r1.out);
  assert.match(r1.out, /DemoStack\.Version = v1/);
  let st = await d.state();
  assert.equal(st.stacks.DemoStack.status, 'CREATE_COMPLETE');
  const assets = st.buckets[`cdk-${Q}-assets-${A}-${R}`].objects;
  assert.ok(assets[`${h1.templateHash}.json`]);
  assert.ok(assets[`${h1.assetHash}.txt`]);
  assert.equal(st.ssm['/demo/version'], 'v1');
  const calls = await d.calls();
  const principalOf = (op) => calls.find((c) => c.operation === op).principal;
  assert.match(principalOf('PutObject'), /assumed-role\/cdk-hnb659fds-file-publishing-role-/);
  assert.match(principalOf('CreateChangeSet'), /assumed-role\/cdk-hnb659fds-deploy-role-/);
  assert.ok(calls.some((c) => c.operation === 'GetParameter' && c.status === 200));

  writeAssembly(path.join(tmp, 'cdk.out'), 'v2');
  const r2 = await deploy();
  assert.equal(r2.code, 0, r2.out);
  st = await d.state();
  assert.equal(st.stacks.DemoStack.status, 'UPDATE_COMPLETE');
  assert.equal(st.ssm['/demo/version'], 'v2');

  // An old bootstrap stack is refused by the template's own rule.
  await d.seed({ ssm: { [`/cdk-bootstrap/${Q}/version`]: '4' } });
  writeAssembly(path.join(tmp, 'cdk.out'), 'v3');
  const r3 = await deploy();
  assert.notEqual(r3.code, 0);
  assert.match(r3.out, /bootstrap/i);
});
