'use strict';
// STS and OIDC conformance, then every service again with temporary
// credentials (the path airlock takes in GitHub Actions).

const test = require('node:test');
const assert = require('node:assert/strict');
const STS = require('@aws-sdk/client-sts');
const S3 = require('@aws-sdk/client-s3');
const CF = require('@aws-sdk/client-cloudfront');
const CFN = require('@aws-sdk/client-cloudformation');
const CW = require('@aws-sdk/client-cloudwatch');
const SSM = require('@aws-sdk/client-ssm');
const { startDouble, clientConfig, ACCOUNT } = require('./helpers');

let d; let sts;
test.before(async () => {
  d = await startDouble();
  sts = new STS.STSClient(clientConfig(d.url));
  await d.seed({
    buckets: ['site'], distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], roles: ['deploy'],
    alarms: [{ name: 'api-5xx', state: 'OK' }],
    bootstrap: [{ account: ACCOUNT, region: 'ap-northeast-1', version: 27 }],
  });
});
test.after(async () => { assert.equal(await d.stop(), 0); });

async function oidcToken(audience) {
  const q = audience === undefined ? '' : `&audience=${encodeURIComponent(audience)}`;
  const res = await fetch(`${d.url}/__oidc/token?api-version=2.0${q}`, { headers: { authorization: 'Bearer double-request-token' } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.count, body.value.length);
  return body.value;
}

test('GetCallerIdentity with root credentials', async () => {
  const id = await sts.send(new STS.GetCallerIdentityCommand({}));
  assert.equal(id.Account, ACCOUNT);
  assert.equal(id.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  assert.equal(id.UserId, ACCOUNT);
});

test('OIDC token endpoint issues a real JWT and checks the bearer', async () => {
  const jwt = await oidcToken();
  const [h, p, s] = jwt.split('.');
  assert.ok(s.length > 100);
  assert.equal(JSON.parse(Buffer.from(h, 'base64url')).alg, 'RS256');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.equal(claims.iss, 'https://token.actions.githubusercontent.com');
  assert.equal(claims.aud, 'sts.amazonaws.com');
  assert.equal(claims.sub, 'repo:octo-org/octo-repo:environment:production');
  assert.ok(claims.exp - claims.iat === 300);
  const custom = JSON.parse(Buffer.from((await oidcToken('other-aud')).split('.')[1], 'base64url'));
  assert.equal(custom.aud, 'other-aud');
  const denied = await fetch(`${d.url}/__oidc/token?api-version=2.0`, { headers: { authorization: 'Bearer wrong' } });
  assert.equal(denied.status, 401);
  const missing = await fetch(`${d.url}/__oidc/token?api-version=2.0`);
  assert.equal(missing.status, 401);
});

test('AssumeRoleWithWebIdentity (unsigned) issues working temporary keys', async () => {
  const jwt = await oidcToken('sts.amazonaws.com');
  const r = await sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: 'GitHubActions', WebIdentityToken: jwt, DurationSeconds: 900 }));
  assert.match(r.Credentials.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(r.Credentials.SessionToken.length > 100);
  assert.ok(Math.abs(r.Credentials.Expiration.getTime() - (Date.now() + 900e3)) < 5000);
  assert.equal(r.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/GitHubActions`);
  assert.equal(r.SubjectFromWebIdentityToken, 'repo:octo-org/octo-repo:environment:production');
  assert.equal(r.Audience, 'sts.amazonaws.com');
  const calls = await d.calls();
  const call = calls.find((c) => c.operation === 'AssumeRoleWithWebIdentity');
  assert.equal(call.accessKey, null);
  assert.equal(call.status, 200);
  const tmp = new STS.STSClient(clientConfig(d.url, { accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey, sessionToken: r.Credentials.SessionToken }));
  const who = await tmp.send(new STS.GetCallerIdentityCommand({}));
  assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/GitHubActions`);
  assert.match(who.UserId, /^AROA[A-Z0-9]+:GitHubActions$/);
});

test('AssumeRoleWithWebIdentity refusals', async () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/deploy`;
  const wrongAud = await oidcToken('someone-else');
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'x1', WebIdentityToken: wrongAud })), (e) => e.Code === 'InvalidIdentityToken' && e.$metadata.httpStatusCode === 400);
  const good = await oidcToken();
  const [h, p] = good.split('.');
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'x1', WebIdentityToken: `${h}.${p}.AAAA` })), (e) => e.Code === 'InvalidIdentityToken');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: 'repo:evil/evil:ref:refs/heads/main' })).toString('base64url');
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'x1', WebIdentityToken: `${h}.${forged}.${good.split('.')[2]}` })), (e) => e.Code === 'InvalidIdentityToken');
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/unknown`, RoleSessionName: 'x1', WebIdentityToken: good })), (e) => e.name === 'AccessDenied' && e.$metadata.httpStatusCode === 403);
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'bad name!', WebIdentityToken: good })), { name: 'ValidationError' });
  await assert.rejects(sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'x', WebIdentityToken: good })), { name: 'ValidationError' });
});

test('AssumeRole (signed) for seeded and CDK bootstrap roles', async () => {
  const r = await sts.send(new STS.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-deploy-role-${ACCOUNT}-ap-northeast-1`, RoleSessionName: 'airlock' }));
  assert.equal(r.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/cdk-hnb659fds-deploy-role-${ACCOUNT}-ap-northeast-1/airlock`);
  assert.ok(Math.abs(r.Credentials.Expiration.getTime() - (Date.now() + 3600e3)) < 5000);
  await assert.rejects(sts.send(new STS.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope`, RoleSessionName: 'airlock' })), { name: 'AccessDenied' });
  await assert.rejects(sts.send(new STS.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: 'airlock', DurationSeconds: 60 })), { name: 'ValidationError' });
});

test('temporary credentials work for every service and are attributed in the call log', async () => {
  const jwt = await oidcToken();
  const r = await sts.send(new STS.AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: 'GitHubActions', WebIdentityToken: jwt }));
  const creds = { accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey, sessionToken: r.Credentials.SessionToken };
  const cfg = clientConfig(d.url, creds);
  const since = (await d.calls()).at(-1).seq;
  const s3 = new S3.S3Client(cfg);
  await s3.send(new S3.PutObjectCommand({ Bucket: 'site', Key: 'index.html', Body: 'hi', ContentType: 'text/html' }));
  assert.equal((await s3.send(new S3.ListObjectsV2Command({ Bucket: 'site' }))).KeyCount, 1);
  const cf = new CF.CloudFrontClient(cfg);
  await cf.send(new CF.CreateInvalidationCommand({ DistributionId: 'E2EXAMPLE', InvalidationBatch: { CallerReference: 'tmp-1', Paths: { Quantity: 1, Items: ['/index.html'] } } }));
  const cfn = new CFN.CloudFormationClient(cfg);
  await assert.rejects(cfn.send(new CFN.DescribeStacksCommand({ StackName: 'Missing' })), { name: 'ValidationError' });
  const cw = new CW.CloudWatchClient(cfg);
  const alarms = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['api-5xx'] }));
  assert.equal(alarms.MetricAlarms[0].StateValue, 'OK');
  const ssm = new SSM.SSMClient(cfg);
  const p = await ssm.send(new SSM.GetParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version' }));
  assert.equal(p.Parameter.Value, '27');
  const calls = (await d.calls(since)).filter((c) => c.accessKey === creds.accessKeyId);
  assert.deepEqual([...new Set(calls.map((c) => c.service))].sort(), ['cloudformation', 'cloudfront', 'monitoring', 's3', 'ssm']);
  for (const c of calls) assert.equal(c.principal, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/GitHubActions`);
  // Without the session token the keys are refused.
  const noToken = new S3.S3Client(clientConfig(d.url, { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }));
  await assert.rejects(noToken.send(new S3.ListObjectsV2Command({ Bucket: 'site' })), { name: 'InvalidToken' });
  const noTokenSts = new STS.STSClient(clientConfig(d.url, { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }));
  await assert.rejects(noTokenSts.send(new STS.GetCallerIdentityCommand({})), (e) => e.name === 'InvalidClientTokenId' && e.$metadata.httpStatusCode === 403);
});

test('temporary keys expire (stsDurationSeconds) with ExpiredToken', async () => {
  await d.faults({ rules: [], stsDurationSeconds: 1 });
  const r = await sts.send(new STS.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: 'short' }));
  assert.ok(r.Credentials.Expiration.getTime() - Date.now() < 2000);
  const creds = { accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey, sessionToken: r.Credentials.SessionToken };
  const s3 = new S3.S3Client(clientConfig(d.url, creds));
  await s3.send(new S3.ListObjectsV2Command({ Bucket: 'site' }));
  await new Promise((res) => setTimeout(res, 1100));
  await assert.rejects(s3.send(new S3.ListObjectsV2Command({ Bucket: 'site' })), (e) => e.name === 'ExpiredToken' && e.$metadata.httpStatusCode === 400);
  const tmpSts = new STS.STSClient(clientConfig(d.url, creds));
  await assert.rejects(tmpSts.send(new STS.GetCallerIdentityCommand({})), (e) => e.name === 'ExpiredToken' && e.$metadata.httpStatusCode === 403);
  await d.faults({ rules: [] });
});
