'use strict';
// CloudFormation conformance: the change-set flow airlock and aws-cli use,
// simulated resources and events, rollbacks, and AWS's validation errors.

const test = require('node:test');
const assert = require('node:assert/strict');
const CFN = require('@aws-sdk/client-cloudformation');
const S3 = require('@aws-sdk/client-s3');
const { startDouble, clientConfig, ACCOUNT } = require('./helpers');

let d; let cfn; let s3;
test.before(async () => {
  d = await startDouble();
  cfn = new CFN.CloudFormationClient(clientConfig(d.url));
  s3 = new S3.S3Client(clientConfig(d.url));
  await d.seed({ cfnStepMs: 10, changeSetMs: 60, bootstrap: [{ account: ACCOUNT, region: 'ap-northeast-1' }] });
});
test.after(async () => { assert.equal(await d.stop(), 0); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, pred, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await sleep(20);
  }
}
const describeCs = (StackName, ChangeSetName) => cfn.send(new CFN.DescribeChangeSetCommand({ StackName, ChangeSetName }));
const csDone = (StackName, ChangeSetName) => until(() => describeCs(StackName, ChangeSetName), (r) => !/PENDING|IN_PROGRESS/.test(r.Status));
const stackOf = async (StackName) => (await cfn.send(new CFN.DescribeStacksCommand({ StackName }))).Stacks[0];
const stackDone = (StackName) => until(() => stackOf(StackName), (s) => !s.StackStatus.endsWith('_IN_PROGRESS'));

const template = (extra = {}) => ({
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'site stack',
  Parameters: { Env: { Type: 'String', AllowedValues: ['prod', 'dev'] }, Retain: { Type: 'String', Default: 'no' } },
  Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
  Resources: {
    SiteBucket: { Type: 'AWS::S3::Bucket' },
    Cdn: { Type: 'AWS::CloudFront::Distribution', Properties: { DistributionConfig: { Enabled: true, Origins: [{ Id: 'o', DomainName: { 'Fn::GetAtt': ['SiteBucket', 'RegionalDomainName'] } }] } } },
    Topic: { Type: 'AWS::SNS::Topic', Condition: 'IsProd' },
    ...(extra.Resources || {}),
  },
  Outputs: {
    BucketName: { Value: { Ref: 'SiteBucket' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-bucket' } } },
    BucketArn: { Value: { 'Fn::GetAtt': ['SiteBucket', 'Arn'] } },
    DistributionId: { Value: { Ref: 'Cdn' } },
    DistributionDomain: { Value: { 'Fn::GetAtt': ['Cdn', 'DomainName'] } },
    Url: { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': ['Cdn', 'DomainName'] }, '/']] } },
    Where: { Value: { 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::URLSuffix}/${Env}' } },
    Second: { Value: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] } },
    Prod: { Value: { 'Fn::If': ['IsProd', 'yes', 'no'] } },
    ...(extra.Outputs || {}),
  },
});

test('CREATE change set -> execute -> CREATE_COMPLETE with resolved outputs', async () => {
  // Long enough to observe CREATE_PENDING even on a loaded machine.
  await d.seed({ changeSetMs: 1000 });
  const body = JSON.stringify(template());
  const cs = await cfn.send(new CFN.CreateChangeSetCommand({
    StackName: 'Site', ChangeSetName: 'create-1', ChangeSetType: 'CREATE', TemplateBody: body,
    Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }], Tags: [{ Key: 'app', Value: 'site' }],
    Capabilities: ['CAPABILITY_IAM'], RoleARN: `arn:aws:iam::${ACCOUNT}:role/cfn-exec`, NotificationARNs: [`arn:aws:sns:ap-northeast-1:${ACCOUNT}:events`],
    ClientToken: 'tok-1', Description: 'first',
  }));
  assert.match(cs.Id, /^arn:aws:cloudformation:ap-northeast-1:123456789012:changeSet\/create-1\//);
  assert.match(cs.StackId, /^arn:aws:cloudformation:ap-northeast-1:123456789012:stack\/Site\//);
  assert.equal((await stackOf('Site')).StackStatus, 'REVIEW_IN_PROGRESS');
  const first = await describeCs('Site', 'create-1');
  assert.equal(first.Status, 'CREATE_PENDING');
  assert.equal(first.ExecutionStatus, 'UNAVAILABLE');
  await assert.rejects(cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'create-1' })), (e) => e.name === 'InvalidChangeSetStatusException' || e.Code === 'InvalidChangeSetStatus');
  const done = await csDone('Site', 'create-1');
  await d.seed({ changeSetMs: 60 });
  assert.equal(done.Status, 'CREATE_COMPLETE');
  assert.equal(done.ExecutionStatus, 'AVAILABLE');
  assert.deepEqual(done.Changes.map((c) => [c.ResourceChange.Action, c.ResourceChange.LogicalResourceId, c.ResourceChange.ResourceType]).sort(),
    [['Add', 'Cdn', 'AWS::CloudFront::Distribution'], ['Add', 'SiteBucket', 'AWS::S3::Bucket'], ['Add', 'Topic', 'AWS::SNS::Topic']]);
  assert.deepEqual(done.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]).sort(), [['Env', 'prod'], ['Retain', 'no']]);
  assert.deepEqual(done.Tags, [{ Key: 'app', Value: 'site' }]);
  // Same ClientToken: the same change set comes back.
  const again = await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'create-1', ChangeSetType: 'CREATE', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }], ClientToken: 'tok-1' }));
  assert.equal(again.Id, cs.Id);
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'create-1', ClientRequestToken: 'exec-1' }));
  const st = await stackDone('Site');
  assert.equal(st.StackStatus, 'CREATE_COMPLETE');
  const out = Object.fromEntries(st.Outputs.map((o) => [o.OutputKey, o.OutputValue]));
  assert.match(out.BucketName, /^site-sitebucket-[a-z0-9]{12}$/);
  assert.equal(out.BucketArn, `arn:aws:s3:::${out.BucketName}`);
  assert.match(out.DistributionId, /^E[A-Z0-9]{13}$/);
  assert.match(out.DistributionDomain, /^d[a-z0-9]{13}\.cloudfront\.net$/);
  assert.equal(out.Url, `https://${out.DistributionDomain}/`);
  assert.equal(out.Where, 'ap-northeast-1/123456789012/aws/amazonaws.com/prod');
  assert.equal(out.Second, 'b');
  assert.equal(out.Prod, 'yes');
  assert.equal(st.Outputs.find((o) => o.OutputKey === 'BucketName').ExportName, 'Site-bucket');
  assert.deepEqual(st.Tags, [{ Key: 'app', Value: 'site' }]);
  assert.equal(st.RoleARN, `arn:aws:iam::${ACCOUNT}:role/cfn-exec`);
  assert.deepEqual(st.NotificationARNs, [`arn:aws:sns:ap-northeast-1:${ACCOUNT}:events`]);
  assert.equal(st.EnableTerminationProtection, false);
  assert.equal(st.Description, 'site stack');
  // Resources exist in the double: the bucket takes uploads, the distribution invalidations.
  await s3.send(new S3.PutObjectCommand({ Bucket: out.BucketName, Key: 'index.html', Body: 'ok' }));
  const state = await d.state();
  assert.ok(state.distributions[out.DistributionId]);
  assert.equal(state.stacks.Site.status, 'CREATE_COMPLETE');
  assert.equal(state.stacks.Site.template.Description, 'site stack');
  // Events: newest first, one pair per resource, execute token recorded.
  const ev = (await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Site' }))).StackEvents;
  assert.equal(ev[0].ResourceStatus, 'CREATE_COMPLETE');
  assert.equal(ev[0].LogicalResourceId, 'Site');
  assert.equal(ev.at(-1).ResourceStatus, 'REVIEW_IN_PROGRESS');
  for (const id of ['SiteBucket', 'Cdn', 'Topic']) {
    assert.ok(ev.some((e) => e.LogicalResourceId === id && e.ResourceStatus === 'CREATE_COMPLETE' && e.ClientRequestToken === 'exec-1'), id);
  }
  // Change sets are gone after execution; the stack's other ones too.
  const list = await cfn.send(new CFN.ListChangeSetsCommand({ StackName: 'Site' }));
  assert.equal(list.Summaries.length, 0);
});

test('empty change set fails with the exact AWS reason; outputs-only change has zero changes', async () => {
  const body = JSON.stringify(template());
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'same', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }], Tags: [{ Key: 'app', Value: 'site' }] }));
  const r = await csDone('Site', 'same');
  assert.equal(r.Status, 'FAILED');
  assert.equal(r.ExecutionStatus, 'UNAVAILABLE');
  assert.equal(r.StatusReason, "The submitted information didn't contain changes. Submit different information to create a change set.");
  await cfn.send(new CFN.DeleteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'same' }));
  await assert.rejects(describeCs('Site', 'same'), (e) => e.name === 'ChangeSetNotFoundException' && e.$metadata.httpStatusCode === 404);
  // Deleting by name a change set that is not there succeeds while the stack exists.
  await cfn.send(new CFN.DeleteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'same' }));
  await assert.rejects(cfn.send(new CFN.DeleteChangeSetCommand({ StackName: 'NoStack', ChangeSetName: 'x' })), { name: 'ValidationError' });
  const withOutput = JSON.stringify(template({ Outputs: { Extra: { Value: 'x' } } }));
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'outputs', TemplateBody: withOutput, Parameters: [{ ParameterKey: 'Env', UsePreviousValue: true }], Tags: [{ Key: 'app', Value: 'site' }] }));
  const o = await csDone('Site', 'outputs');
  assert.equal(o.Status, 'CREATE_COMPLETE');
  assert.equal(o.ExecutionStatus, 'AVAILABLE');
  assert.deepEqual(o.Changes, []);
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'outputs' }));
  const st = await stackDone('Site');
  assert.equal(st.StackStatus, 'UPDATE_COMPLETE');
  assert.equal(st.Outputs.find((x) => x.OutputKey === 'Extra').OutputValue, 'x');
});

test('update: Modify / Add / Remove with cleanup; GetTemplate; termination protection', async () => {
  const t = template({ Resources: { Param: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/site/version', Type: 'String', Value: 'v2' } } } });
  t.Resources.SiteBucket.Properties = { Tags: [{ Key: 'k', Value: 'v' }] };
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'upd', TemplateBody: JSON.stringify(t), Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] }));
  const cs = await csDone('Site', 'upd');
  const changes = Object.fromEntries(cs.Changes.map((c) => [c.ResourceChange.LogicalResourceId, c.ResourceChange]));
  assert.equal(changes.SiteBucket.Action, 'Modify');
  assert.equal(changes.SiteBucket.Replacement, 'False');
  assert.ok(changes.SiteBucket.PhysicalResourceId);
  assert.equal(changes.Param.Action, 'Add');
  assert.equal(changes.Topic.Action, 'Remove');
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'upd' }));
  const st = await stackDone('Site');
  assert.equal(st.StackStatus, 'UPDATE_COMPLETE');
  assert.ok(st.LastUpdatedTime instanceof Date);
  const statuses = (await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Site' }))).StackEvents.filter((e) => e.LogicalResourceId === 'Site').map((e) => e.ResourceStatus);
  assert.deepEqual(statuses.slice(0, 3), ['UPDATE_COMPLETE', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
  const state = await d.state();
  assert.equal(state.ssm['/site/version'], 'v2');
  assert.deepEqual(Object.keys(state.stacks.Site.resources).sort(), ['Cdn', 'Param', 'SiteBucket']);
  const tpl = await cfn.send(new CFN.GetTemplateCommand({ StackName: 'Site' }));
  assert.deepEqual(JSON.parse(tpl.TemplateBody), t);
  await cfn.send(new CFN.UpdateTerminationProtectionCommand({ StackName: 'Site', EnableTerminationProtection: true }));
  assert.equal((await stackOf('Site')).EnableTerminationProtection, true);
  await assert.rejects(cfn.send(new CFN.DeleteStackCommand({ StackName: 'Site' })), { name: 'ValidationError' });
  await cfn.send(new CFN.UpdateTerminationProtectionCommand({ StackName: 'Site', EnableTerminationProtection: false }));
});

test('scripted failure on update rolls back to the previous template and outputs', async () => {
  const before = await stackOf('Site');
  await d.script({ stacks: [{ name: 'Site', failResource: 'Cdn', reason: 'Resource handler returned message: "Invalid request provided: boom"' }] });
  const t = template({ Outputs: { Extra: { Value: 'changed' } } });
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'fails', TemplateBody: JSON.stringify(t), Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] }));
  await csDone('Site', 'fails');
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'fails', ClientRequestToken: 'exec-fail' }));
  const st = await stackDone('Site');
  assert.equal(st.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
  assert.deepEqual(st.Outputs, before.Outputs);
  const ev = (await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Site' }))).StackEvents.filter((e) => e.ClientRequestToken === 'exec-fail');
  const failed = ev.find((e) => e.ResourceStatus === 'UPDATE_FAILED');
  assert.equal(failed.LogicalResourceId, 'Cdn');
  assert.equal(failed.ResourceStatusReason, 'Resource handler returned message: "Invalid request provided: boom"');
  const stackStatuses = ev.filter((e) => e.LogicalResourceId === 'Site').map((e) => e.ResourceStatus);
  assert.deepEqual(stackStatuses, ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
  const tpl = await cfn.send(new CFN.GetTemplateCommand({ StackName: 'Site' }));
  assert.equal(JSON.parse(tpl.TemplateBody).Outputs.Extra, undefined);
  // The script is consumed: the next update succeeds.
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Site', ChangeSetName: 'retry', TemplateBody: JSON.stringify(t), Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] }));
  await csDone('Site', 'retry');
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Site', ChangeSetName: 'retry' }));
  assert.equal((await stackDone('Site')).StackStatus, 'UPDATE_COMPLETE');
});

test('scripted failure on create -> ROLLBACK_COMPLETE, which can only be deleted', async () => {
  await d.script({ stacks: [{ name: 'Broken', failResource: 'SiteBucket' }] });
  const body = JSON.stringify(template());
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Broken', ChangeSetName: 'c1', ChangeSetType: 'CREATE', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] }));
  await csDone('Broken', 'c1');
  await cfn.send(new CFN.ExecuteChangeSetCommand({ StackName: 'Broken', ChangeSetName: 'c1' }));
  const st = await stackDone('Broken');
  assert.equal(st.StackStatus, 'ROLLBACK_COMPLETE');
  const ev = (await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Broken' }))).StackEvents;
  const failed = ev.find((e) => e.ResourceStatus === 'CREATE_FAILED');
  assert.equal(failed.ResourceStatusReason, 'Resource handler returned message: "Scripted failure"');
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Broken', ChangeSetName: 'c2', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] })),
    (e) => e.name === 'ValidationError' && e.message === `Stack:${st.StackId} is in ROLLBACK_COMPLETE state and can not be updated.`);
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Broken', ChangeSetName: 'c3', ChangeSetType: 'CREATE', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'dev' }] })),
    (e) => e.name === 'ValidationError' && e.message === 'Stack [Broken] already exists and cannot be created again with the changeSet [c3].');
  await cfn.send(new CFN.DeleteStackCommand({ StackName: 'Broken' }));
  await until(() => cfn.send(new CFN.DescribeStacksCommand({ StackName: 'Broken' })).then(() => false, (e) => e.message === 'Stack with id Broken does not exist'), (v) => v);
  const byId = (await cfn.send(new CFN.DescribeStacksCommand({ StackName: st.StackId }))).Stacks[0];
  assert.equal(byId.StackStatus, 'DELETE_COMPLETE');
});

test('validation errors: missing stack, capabilities, parameters, template format', async () => {
  const body = JSON.stringify(template());
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Nope', ChangeSetName: 'u', TemplateBody: body })), (e) => e.name === 'ValidationError' && e.message === 'Stack [Nope] does not exist');
  await assert.rejects(cfn.send(new CFN.DescribeStacksCommand({ StackName: 'Nope' })), (e) => e.name === 'ValidationError' && e.message === 'Stack with id Nope does not exist' && e.$metadata.httpStatusCode === 400);
  const iam = { Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } } } };
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Iam', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(iam) })), (e) => e.name === 'InsufficientCapabilitiesException' && e.message === 'Requires capabilities : [CAPABILITY_IAM]');
  iam.Resources.R.Properties.RoleName = 'named';
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Iam', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(iam), Capabilities: ['CAPABILITY_IAM'] })), (e) => e.name === 'InsufficientCapabilitiesException' && /CAPABILITY_NAMED_IAM/.test(e.message));
  await cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Iam', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(iam), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'P', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: body })), (e) => e.message === 'Parameters: [Env] must have values');
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'P', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: body, Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }, { ParameterKey: 'Bogus', ParameterValue: '1' }] })), (e) => e.message === 'Parameters: [Bogus] do not exist in the template');
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'P', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: '{"Resources": {}}' })), (e) => e.message === 'Template format error: At least one Resources member must be defined.');
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'P', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: '{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Missing"}}}}}' })), (e) => /Unresolved resource dependencies \[Missing\]/.test(e.message));
  const big = JSON.stringify({ Description: 'x'.repeat(52000), Resources: { A: { Type: 'AWS::S3::Bucket' } } });
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'P', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateBody: big })),
    (e) => e.name === 'ValidationError' && e.message.startsWith("1 validation error detected: Value '{") && e.message.endsWith("' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200"));
});

test('TemplateURL from the double S3, SSM-typed parameters and Rules (CDK style)', async () => {
  const bucket = `cdk-hnb659fds-assets-${ACCOUNT}-ap-northeast-1`;
  const t = {
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } },
    Rules: { CheckBootstrapVersion: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] }] }, AssertDescription: "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI." }] } },
    Resources: { Big: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'big-template-bucket' } } },
    Outputs: { Name: { Value: { Ref: 'Big' } } },
  };
  await s3.send(new S3.PutObjectCommand({ Bucket: bucket, Key: 'abc123.json', Body: JSON.stringify(t) }));
  for (const url of [`https://s3.ap-northeast-1.amazonaws.com/${bucket}/abc123.json`, `https://${bucket}.s3.amazonaws.com/abc123.json`, `${d.url}/${bucket}/abc123.json`]) {
    const name = `Url${Buffer.from(url).length}`;
    await cfn.send(new CFN.CreateChangeSetCommand({ StackName: name, ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateURL: url }));
    const cs = await csDone(name, 'c');
    assert.equal(cs.Parameters[0].ResolvedValue, '27');
    await cfn.send(new CFN.DeleteStackCommand({ StackName: name }));
  }
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'U', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateURL: `https://s3.amazonaws.com/${bucket}/missing.json` })), (e) => e.name === 'ValidationError' && /S3 error/.test(e.message));
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'U', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateURL: 'https://example.com/t.json' })), (e) => e.message === 'TemplateURL must be a supported URL.');
  await d.seed({ ssm: { '/cdk-bootstrap/hnb659fds/version': '3' } });
  await assert.rejects(cfn.send(new CFN.CreateChangeSetCommand({ StackName: 'Old', ChangeSetName: 'c', ChangeSetType: 'CREATE', TemplateURL: `https://s3.amazonaws.com/${bucket}/abc123.json` })), (e) => /bootstrap stack version 6 required/.test(e.message));
  await d.seed({ ssm: { '/cdk-bootstrap/hnb659fds/version': '27' } });
});

test('DescribeStackEvents paginates newest first; CreateStack/UpdateStack direct', async () => {
  const resources = {};
  for (let i = 0; i < 60; i++) resources[`Q${i}`] = { Type: 'AWS::SQS::Queue' };
  const r = await cfn.send(new CFN.CreateStackCommand({ StackName: 'Many', TemplateBody: JSON.stringify({ Resources: resources }) }));
  assert.match(r.StackId, /stack\/Many\//);
  assert.equal((await stackDone('Many')).StackStatus, 'CREATE_COMPLETE');
  const p1 = await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Many' }));
  assert.equal(p1.StackEvents.length, 100);
  assert.ok(p1.NextToken);
  const p2 = await cfn.send(new CFN.DescribeStackEventsCommand({ StackName: 'Many', NextToken: p1.NextToken }));
  const all = [...p1.StackEvents, ...p2.StackEvents];
  assert.equal(all.length, 60 * 3 + 2);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].Timestamp >= all[i].Timestamp);
  await assert.rejects(cfn.send(new CFN.UpdateStackCommand({ StackName: 'Many', TemplateBody: JSON.stringify({ Resources: resources }) })), (e) => e.message === 'No updates are to be performed.');
  const res = await cfn.send(new CFN.ListStackResourcesCommand({ StackName: 'Many' }));
  assert.equal(res.StackResourceSummaries.length, 60);
});
