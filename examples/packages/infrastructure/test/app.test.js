// SPDX-License-Identifier: Apache-2.0
// The stacks hold what the deploy and its checks rely on: the site bucket
// and distribution, the API reporting its release, the three alarms with
// the config's thresholds, the trail; and every ${stack:...} the config's
// deploy section names is an output of a stack.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Template, Match } = require('aws-cdk-lib/assertions');
const { buildApp } = require('../bin/app.js');

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandala-cdk-'));
const built = buildApp({ configName: 'production', version: 'v42', outdir });
const t = Object.fromEntries(Object.entries(built.stacks).map(([k, s]) => [k, Template.fromStack(s)]));
test.after(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('four stacks in the production account and region', () => {
  assert.deepEqual(Object.values(built.stacks).map((s) => s.stackName),
    ['GoalMandala-Frontend', 'GoalMandala-Api', 'GoalMandala-Monitoring', 'GoalMandala-Trail']);
  for (const s of Object.values(built.stacks)) {
    assert.equal(s.account, '202633084296');
    assert.equal(s.region, 'ap-northeast-1');
  }
});

test('frontend: a private, encrypted bucket behind CloudFront', () => {
  t.frontend.resourceCountIs('AWS::CloudFront::Distribution', 1);
  t.frontend.hasResourceProperties('AWS::S3::Bucket', {
    BucketName: 'goal-mandala-production-site-202633084296',
    PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
  });
});

test('api: the Lambda from lambda/ reports the release version; a REST API', () => {
  t.api.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: built.config.lambda.runtime,
    MemorySize: built.config.lambda.memorySize,
    ReservedConcurrentExecutions: built.config.lambda.reservedConcurrency,
    Environment: { Variables: { APP_VERSION: 'v42' } },
  });
  t.api.resourceCountIs('AWS::ApiGateway::RestApi', 1);
});

test('monitoring: error rate over 5%, p99 latency over 2 s, database connection errors', () => {
  const alarms = t.monitoring.findResources('AWS::CloudWatch::Alarm');
  const byName = Object.fromEntries(Object.values(alarms).map((a) => [a.Properties.AlarmName, a.Properties]));
  assert.deepEqual(Object.keys(byName).sort(),
    ['GoalMandala-Api-ErrorRate', 'GoalMandala-Api-Latency', 'GoalMandala-Db-Connections']);
  const rate = byName['GoalMandala-Api-ErrorRate'];
  assert.equal(rate.Threshold, 5);
  assert.equal(rate.ComparisonOperator, 'GreaterThanThreshold');
  assert.ok(rate.Metrics.some((m) => /100 \* errors \/ requests/.test(m.Expression || '')));
  const lat = byName['GoalMandala-Api-Latency'];
  assert.equal(lat.Threshold, 2000);
  assert.equal(lat.ExtendedStatistic, 'p99');
  const db = byName['GoalMandala-Db-Connections'];
  assert.equal(db.MetricName, 'DbConnectionErrors');
  assert.equal(db.Threshold, 0);
  t.monitoring.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
});

test('trail: a multi-region CloudTrail trail with log file validation', () => {
  t.trail.hasResourceProperties('AWS::CloudTrail::Trail', {
    IsMultiRegionTrail: true, EnableLogFileValidation: true, IsLogging: true,
  });
});

test("every ${stack:...} in the configs' deploy sections is a stack output", () => {
  const outputs = new Set();
  for (const [k, s] of Object.entries(built.stacks)) {
    for (const o of Object.keys(t[k].findOutputs('*'))) outputs.add(`${s.stackName}.${o}`);
  }
  const dir = path.join(__dirname, '..', 'config');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  assert.ok(names.includes('production') && names.includes('local'));
  for (const name of names) {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
    assert.equal(cfg.environment, name, `${name}.json: environment is the file's name`);
    const refs = [...JSON.stringify(cfg.deploy).matchAll(/\$\{stack:([^}]+)\}/g)].map((m) => m[1]);
    assert.ok(refs.length >= 3, `${name}: bucket, distribution and health URL`);
    for (const r of refs) assert.ok(outputs.has(r), `${name}: ${r} is not an output (${[...outputs].join(', ')})`);
  }
});
