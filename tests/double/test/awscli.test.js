'use strict';
// The real aws CLI (Debian's awscli 2.x) against the double: s3 sync,
// cloudfront create-invalidation, cloudformation deploy. Skipped, with a
// visible message, when no aws CLI is installed.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { startDouble } = require('./helpers');

function findAws() {
  for (const p of ['/usr/bin/aws']) if (fs.existsSync(p)) return p;
  try { return execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim() || null; } catch { return null; }
}
const AWS = findAws();
if (!AWS) console.log('# SKIP awscli.test.js: no aws CLI found (apt-get install -y awscli)');

let d; let tmp;
const run = (args, opts = {}) => new Promise((resolve) => {
  execFile(AWS, ['--endpoint-url', d.url, '--no-cli-pager', ...args], {
    env: {
      PATH: process.env.PATH, HOME: tmp, AWS_ACCESS_KEY_ID: 'AKIAAIRLOCKDOUBLE001', AWS_SECRET_ACCESS_KEY: 'airlock/double/secret/key',
      AWS_DEFAULT_REGION: 'ap-northeast-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    cwd: tmp, timeout: 60000, ...opts,
  }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
});

test('aws CLI', { skip: !AWS && 'no aws CLI found' }, async (t) => {
  d = await startDouble();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'double-awscli-'));
  t.after(async () => { await d.stop(); fs.rmSync(tmp, { recursive: true, force: true }); });
  await d.seed({ buckets: ['site'], distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], cfnStepMs: 0, changeSetMs: 0 });
  const version = await run(['--version']);
  console.log(`# using ${AWS}: ${version.stdout.trim() || version.stderr.trim()}`);

  await t.test('s3 sync uploads a folder, skips unchanged files, deletes with --delete', async () => {
    const dir = path.join(tmp, 'dist');
    fs.mkdirSync(path.join(dir, 'css'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'img dir'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), '<html>v1</html>');
    fs.writeFileSync(path.join(dir, 'css', 'app.css'), 'body{}');
    fs.writeFileSync(path.join(dir, 'img dir', 'a+b.svg'), '<svg/>');
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(9 * 1024 * 1024, 7)); // multipart at the CLI's 8 MiB threshold
    const r1 = await run(['s3', 'sync', dir, 's3://site/app/']);
    assert.equal(r1.code, 0, r1.stderr);
    let st = await d.state();
    assert.deepEqual(Object.keys(st.buckets.site.objects).sort(), ['app/big.bin', 'app/css/app.css', 'app/img dir/a+b.svg', 'app/index.html']);
    assert.equal(st.buckets.site.objects['app/index.html'].contentType, 'text/html');
    assert.match(st.buckets.site.objects['app/big.bin'].etag, /-2"$/);
    const since = (await d.calls()).at(-1).seq;
    const r2 = await run(['s3', 'sync', dir, 's3://site/app/']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal((await d.calls(since)).filter((c) => c.operation === 'PutObject' || c.operation === 'UploadPart').length, 0);
    fs.rmSync(path.join(dir, 'css'), { recursive: true });
    const r3 = await run(['s3', 'sync', '--delete', dir, 's3://site/app/']);
    assert.equal(r3.code, 0, r3.stderr);
    st = await d.state();
    assert.equal(st.buckets.site.objects['app/css/app.css'], undefined);
    const ls = await run(['s3', 'ls', 's3://site/app/', '--recursive']);
    assert.match(ls.stdout, /app\/img dir\/a\+b\.svg/);
    const cp = await run(['s3', 'cp', 's3://site/app/index.html', '-']);
    assert.equal(cp.stdout, '<html>v1</html>');
  });

  await t.test('cloudfront create-invalidation', async () => {
    const r = await run(['cloudfront', 'create-invalidation', '--distribution-id', 'E2EXAMPLE', '--paths', '/index.html', '/css/*', '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.Invalidation.Status, 'InProgress');
    assert.deepEqual(out.Invalidation.InvalidationBatch.Paths.Items, ['/index.html', '/css/*']);
    const g = await run(['cloudfront', 'get-invalidation', '--distribution-id', 'E2EXAMPLE', '--id', out.Invalidation.Id, '--output', 'json']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(JSON.parse(g.stdout).Invalidation.Id, out.Invalidation.Id);
  });

  await t.test('cloudformation deploy: create, no-op, update', async () => {
    const tpl = path.join(tmp, 'stack.json');
    const body = () => JSON.stringify({
      Parameters: { Version: { Type: 'String' } },
      Resources: { Bucket: { Type: 'AWS::S3::Bucket' }, Param: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { Ref: 'Version' }, Name: '/cli/version' } } },
      Outputs: { BucketName: { Value: { Ref: 'Bucket' } }, Version: { Value: { Ref: 'Version' } } },
    }, null, 2);
    fs.writeFileSync(tpl, body());
    const r1 = await run(['cloudformation', 'deploy', '--template-file', tpl, '--stack-name', 'CliStack', '--parameter-overrides', 'Version=v1', '--tags', 'app=cli']);
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    assert.match(r1.stdout, /Successfully created\/updated stack - CliStack/);
    const ds = JSON.parse((await run(['cloudformation', 'describe-stacks', '--stack-name', 'CliStack', '--output', 'json'])).stdout);
    assert.equal(ds.Stacks[0].StackStatus, 'CREATE_COMPLETE');
    assert.equal(ds.Stacks[0].Outputs.find((o) => o.OutputKey === 'Version').OutputValue, 'v1');
    const r2 = await run(['cloudformation', 'deploy', '--template-file', tpl, '--stack-name', 'CliStack', '--parameter-overrides', 'Version=v1', '--tags', 'app=cli', '--no-fail-on-empty-changeset']);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.match(r2.stdout + r2.stderr, /No changes to deploy/);
    // aws-cli names change sets by the second; the failed empty one keeps its name.
    await new Promise((res) => setTimeout(res, 1100));
    const r3 = await run(['cloudformation', 'deploy', '--template-file', tpl, '--stack-name', 'CliStack', '--parameter-overrides', 'Version=v2', '--tags', 'app=cli']);
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    const st = await d.state();
    assert.equal(st.stacks.CliStack.status, 'UPDATE_COMPLETE');
    assert.equal(st.ssm['/cli/version'], 'v2');
  });
});
