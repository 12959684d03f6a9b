'use strict';
// CloudWatch (the SDK's JSON 1.0 awsQueryCompatible protocol; Query is
// covered by raw requests) and SSM conformance.

const test = require('node:test');
const assert = require('node:assert/strict');
const CW = require('@aws-sdk/client-cloudwatch');
const SSM = require('@aws-sdk/client-ssm');
const { startDouble, clientConfig, rawRequest } = require('./helpers');

let d; let cw; let ssm;
test.before(async () => {
  d = await startDouble();
  cw = new CW.CloudWatchClient(clientConfig(d.url));
  ssm = new SSM.SSMClient(clientConfig(d.url));
  await d.seed({
    alarms: [
      { name: 'api-5xx', state: 'OK' }, { name: 'api-latency', state: 'ALARM', type: 'metric' },
      { name: 'site-health', state: 'OK', type: 'composite' },
    ],
    bootstrap: [{ account: '123456789012', region: 'ap-northeast-1' }],
  });
});
test.after(async () => { assert.equal(await d.stop(), 0); });

test('DescribeAlarms: metric alarms by default, filters, both types on request', async () => {
  const all = await cw.send(new CW.DescribeAlarmsCommand({}));
  assert.deepEqual(all.MetricAlarms.map((a) => a.AlarmName), ['api-5xx', 'api-latency']);
  assert.deepEqual(all.CompositeAlarms, []);
  const a = all.MetricAlarms[1];
  assert.equal(a.StateValue, 'ALARM');
  assert.equal(a.AlarmArn, 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:api-latency');
  assert.ok(a.StateUpdatedTimestamp instanceof Date);
  assert.ok(Math.abs(a.StateUpdatedTimestamp.getTime() - Date.now()) < 60000);
  assert.ok(a.StateReason);
  const both = await cw.send(new CW.DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
  assert.deepEqual(both.CompositeAlarms.map((x) => x.AlarmName), ['site-health']);
  const byName = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['api-5xx', 'nope'] }));
  assert.deepEqual(byName.MetricAlarms.map((x) => x.AlarmName), ['api-5xx']);
  const inAlarm = await cw.send(new CW.DescribeAlarmsCommand({ StateValue: 'ALARM' }));
  assert.deepEqual(inAlarm.MetricAlarms.map((x) => x.AlarmName), ['api-latency']);
  const prefix = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNamePrefix: 'api-l' }));
  assert.deepEqual(prefix.MetricAlarms.map((x) => x.AlarmName), ['api-latency']);
  const p1 = await cw.send(new CW.DescribeAlarmsCommand({ MaxRecords: 1 }));
  assert.equal(p1.MetricAlarms.length, 1);
  const p2 = await cw.send(new CW.DescribeAlarmsCommand({ MaxRecords: 1, NextToken: p1.NextToken }));
  assert.deepEqual(p2.MetricAlarms.map((x) => x.AlarmName), ['api-latency']);
  assert.equal(p2.NextToken, undefined);
});

test('SetAlarmState and PutMetricAlarm; ResourceNotFound; script afterMs', async () => {
  await cw.send(new CW.SetAlarmStateCommand({ AlarmName: 'api-5xx', StateValue: 'ALARM', StateReason: 'testing' }));
  const r = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['api-5xx'] }));
  assert.equal(r.MetricAlarms[0].StateValue, 'ALARM');
  assert.equal(r.MetricAlarms[0].StateReason, 'testing');
  await assert.rejects(cw.send(new CW.SetAlarmStateCommand({ AlarmName: 'ghost', StateValue: 'OK', StateReason: 'x' })), (e) => (e.Code || e.name) === 'ResourceNotFound' && e.$metadata.httpStatusCode === 404);
  await cw.send(new CW.PutMetricAlarmCommand({ AlarmName: 'new-one', MetricName: 'Errors', Namespace: 'App', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
  const n = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['new-one'] }));
  assert.equal(n.MetricAlarms[0].StateValue, 'INSUFFICIENT_DATA');
  assert.equal(n.MetricAlarms[0].MetricName, 'Errors');
  await d.script({ alarms: [{ name: 'new-one', state: 'ALARM', reason: 'scripted', afterMs: 100 }] });
  assert.equal((await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['new-one'] }))).MetricAlarms[0].StateValue, 'INSUFFICIENT_DATA');
  await new Promise((res) => setTimeout(res, 200));
  const later = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: ['new-one'] }));
  assert.equal(later.MetricAlarms[0].StateValue, 'ALARM');
  assert.equal(later.MetricAlarms[0].StateReason, 'scripted');
  assert.equal((await d.state()).alarms['new-one'].state, 'ALARM');
});

test('CloudWatch also speaks the Query protocol (awscli, C clients)', async () => {
  const body = 'Action=DescribeAlarms&Version=2010-08-01&AlarmTypes.member.1=MetricAlarm&AlarmTypes.member.2=CompositeAlarm&AlarmNames.member.1=site-health';
  const r = await rawRequest(d.url, { method: 'POST', path: '/', service: 'monitoring', body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });
  assert.equal(r.status, 200, r.body);
  assert.match(r.body, /^<DescribeAlarmsResponse xmlns="http:\/\/monitoring.amazonaws.com\/doc\/2010-08-01\/"><DescribeAlarmsResult><MetricAlarms><\/MetricAlarms><CompositeAlarms><member><AlarmName>site-health<\/AlarmName>/);
  assert.match(r.body, /<StateUpdatedTimestamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/StateUpdatedTimestamp>/);
  const bad = await rawRequest(d.url, { method: 'POST', path: '/', service: 'monitoring', body: 'Action=SetAlarmState&Version=2010-08-01&AlarmName=ghost&StateValue=OK&StateReason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(bad.status, 404);
  assert.match(bad.body, /<ErrorResponse xmlns="http:\/\/monitoring.amazonaws.com\/doc\/2010-08-01\/"><Error><Type>Sender<\/Type><Code>ResourceNotFound<\/Code>/);
});

test('SSM GetParameter; ParameterNotFound', async () => {
  const p = await ssm.send(new SSM.GetParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version' }));
  assert.equal(p.Parameter.Value, '27');
  assert.equal(p.Parameter.Type, 'String');
  assert.equal(p.Parameter.ARN, 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/cdk-bootstrap/hnb659fds/version');
  assert.ok(p.Parameter.LastModifiedDate instanceof Date);
  await assert.rejects(ssm.send(new SSM.GetParameterCommand({ Name: '/nope' })), (e) => e.name === 'ParameterNotFound' && e.$metadata.httpStatusCode === 400);
  await ssm.send(new SSM.PutParameterCommand({ Name: '/app/flag', Value: 'on', Type: 'String' }));
  assert.equal((await ssm.send(new SSM.GetParameterCommand({ Name: '/app/flag' }))).Parameter.Version, 1);
  assert.equal((await d.state()).ssm['/app/flag'], 'on');
});
