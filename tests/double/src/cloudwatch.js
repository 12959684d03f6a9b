'use strict';
// CloudWatch alarms (service "monitoring", 2010-08-01). Speaks the Query
// protocol (awscli, C clients) and the awsQueryCompatible JSON 1.0 protocol
// that current @aws-sdk/client-cloudwatch sends (X-Amz-Target:
// GraniteServiceVersion20100801.<Op>).

const { AwsError, NS } = require('./errors');
const { el, escapeXml } = require('./xml');
const q = require('./query');
const { clock, isoDate } = require('./util');
const { ACCOUNT } = require('./state');

const OPS = new Set(['DescribeAlarms', 'SetAlarmState', 'PutMetricAlarm', 'PutCompositeAlarm', 'DeleteAlarms']);
const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const TARGET_PREFIX = 'GraniteServiceVersion20100801.';

async function prepare(ctx) {
  await ctx.readBody();
  const target = ctx.req.headers['x-amz-target'];
  let action;
  if (target) {
    ctx.protocol = 'json';
    ctx.queryCompatible = true;
    action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    try { ctx.input = ctx.body.length ? JSON.parse(ctx.body.toString('utf8')) : {}; } catch {
      ctx.input = {};
      ctx.routeError = new AwsError(400, 'SerializationException', 'Could not parse the request body as JSON');
    }
  } else {
    ctx.protocol = 'query';
    const p = q.parseParams(ctx);
    action = p.Action;
    ctx.input = fromQuery(p);
  }
  ctx.setOperation(OPS.has(action) ? action : 'Unknown');
  if (!OPS.has(action) && !ctx.routeError) {
    ctx.routeError = new AwsError(400, ctx.protocol === 'json' ? 'UnknownOperationException' : 'InvalidAction', `Could not find operation ${action} for version 2010-08-01`);
  }
}

// Query parameters -> the same input shape as the JSON protocol.
function fromQuery(p) {
  const input = {};
  for (const [k, v] of Object.entries(p)) if (!k.includes('.')) input[k] = v;
  for (const listName of ['AlarmNames', 'AlarmTypes', 'OKActions', 'AlarmActions', 'InsufficientDataActions']) {
    const l = q.list(p, listName);
    if (l.length) input[listName] = l;
  }
  const dims = q.structList(p, 'Dimensions');
  if (dims.length) input.Dimensions = dims;
  return input;
}

function authKind(ctx) { return 'query'; }

function newAlarm(state, name, type, region) {
  const now = clock.now();
  const a = {
    name, type, state: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', reasonData: null,
    updated: now, configured: now, arn: `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${name}`, config: {},
  };
  state.alarms.set(name, a);
  return a;
}

function changeState(a, value, reason, reasonData) {
  if (a.state !== value) a.transitioned = clock.now();
  a.state = value;
  a.reason = reason;
  a.reasonData = reasonData || null;
  a.updated = clock.now();
}

function validation(msg) { return new AwsError(400, 'ValidationError', msg); }

async function handle(ctx) {
  const input = ctx.input;
  switch (ctx.operation) {
    case 'DescribeAlarms': return describeAlarms(ctx, input);
    case 'SetAlarmState': {
      if (!input.AlarmName) throw validation("1 validation error detected: Value null at 'alarmName' failed to satisfy constraint: Member must not be null");
      if (!STATES.includes(input.StateValue)) throw validation(`1 validation error detected: Value '${input.StateValue}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`);
      if (input.StateReason === undefined) throw validation("1 validation error detected: Value null at 'stateReason' failed to satisfy constraint: Member must not be null");
      const a = ctx.state.alarms.get(input.AlarmName);
      if (!a) throw new AwsError(404, 'ResourceNotFound', `Alarm ${input.AlarmName} not found`);
      changeState(a, input.StateValue, input.StateReason, input.StateReasonData);
      return empty(ctx, 'SetAlarmState');
    }
    case 'PutMetricAlarm':
    case 'PutCompositeAlarm': {
      if (!input.AlarmName) throw validation("1 validation error detected: Value null at 'alarmName' failed to satisfy constraint: Member must not be null");
      const composite = ctx.operation === 'PutCompositeAlarm';
      if (composite && !input.AlarmRule) throw validation("1 validation error detected: Value null at 'alarmRule' failed to satisfy constraint: Member must not be null");
      if (!composite && (!input.EvaluationPeriods || !input.ComparisonOperator)) throw validation('EvaluationPeriods and ComparisonOperator are required');
      let a = ctx.state.alarms.get(input.AlarmName);
      if (!a) a = newAlarm(ctx.state, input.AlarmName, composite ? 'composite' : 'metric', ctx.auth.region);
      a.config = { ...input };
      a.configured = clock.now();
      return empty(ctx, ctx.operation);
    }
    case 'DeleteAlarms': {
      const names = input.AlarmNames || [];
      const missing = names.filter((n) => !ctx.state.alarms.has(n));
      if (missing.length) throw new AwsError(404, 'ResourceNotFound', `${missing.join(', ')} not found`);
      for (const n of names) ctx.state.alarms.delete(n);
      return empty(ctx, 'DeleteAlarms');
    }
    default: throw ctx.routeError;
  }
}

function empty(ctx, op) {
  if (ctx.protocol === 'json') return sendJson(ctx, {});
  q.respond(ctx, op, NS.monitoring, null);
}

function sendJson(ctx, obj) {
  ctx.send(200, { 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify(obj));
}

function describeAlarms(ctx, input) {
  const names = input.AlarmNames || null;
  if (names && names.length > 100) throw validation(`1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100`);
  if (input.StateValue !== undefined && !STATES.includes(input.StateValue)) {
    throw validation(`1 validation error detected: Value '${input.StateValue}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`);
  }
  if (names && input.AlarmNamePrefix) throw new AwsError(400, 'InvalidParameterCombination', 'AlarmNamePrefix and AlarmNames cannot be specified together');
  let max = 50;
  if (input.MaxRecords !== undefined) {
    max = Number(input.MaxRecords);
    if (!Number.isInteger(max) || max < 1 || max > 100) throw validation(`1 validation error detected: Value '${input.MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`);
  }
  const types = input.AlarmTypes && input.AlarmTypes.length ? input.AlarmTypes : ['MetricAlarm'];
  for (const t of types) if (t !== 'MetricAlarm' && t !== 'CompositeAlarm') throw validation(`1 validation error detected: Value '[${types.join(', ')}]' at 'alarmTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]]`);
  let all = [...ctx.state.alarms.values()].filter((a) =>
    types.includes(a.type === 'composite' ? 'CompositeAlarm' : 'MetricAlarm')
    && (!names || names.includes(a.name))
    && (!input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix))
    && (!input.StateValue || a.state === input.StateValue));
  all.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  if (input.NextToken) {
    let after;
    try { after = Buffer.from(input.NextToken, 'base64').toString('utf8'); } catch { after = null; }
    if (!after) throw new AwsError(400, 'InvalidNextToken', 'The service returned an invalid NextToken');
    all = all.filter((a) => a.name > after);
  }
  const page = all.slice(0, max);
  const next = all.length > max ? Buffer.from(page[page.length - 1].name).toString('base64') : null;
  const metric = page.filter((a) => a.type !== 'composite');
  const composite = page.filter((a) => a.type === 'composite');
  if (ctx.protocol === 'json') {
    const out = { MetricAlarms: metric.map((a) => alarmObject(a, false)), CompositeAlarms: composite.map((a) => alarmObject(a, true)) };
    if (next) out.NextToken = next;
    return sendJson(ctx, out);
  }
  const xml = `<MetricAlarms>${metric.map((a) => `<member>${alarmXml(alarmObject(a, false))}</member>`).join('')}</MetricAlarms>`
    + `<CompositeAlarms>${composite.map((a) => `<member>${alarmXml(alarmObject(a, true))}</member>`).join('')}</CompositeAlarms>`
    + (next ? el('NextToken', next) : '');
  q.respond(ctx, 'DescribeAlarms', NS.monitoring, xml);
}

// Timestamps are kept as {ts: ms} until rendering: JSON wants epoch seconds,
// Query wants ISO 8601.
function alarmObject(a, composite) {
  const c = a.config || {};
  const o = {
    AlarmName: a.name, AlarmArn: a.arn, AlarmDescription: c.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: { ts: a.configured },
    ActionsEnabled: c.ActionsEnabled === undefined ? true : String(c.ActionsEnabled) === 'true',
    OKActions: c.OKActions || [], AlarmActions: c.AlarmActions || [], InsufficientDataActions: c.InsufficientDataActions || [],
    StateValue: a.state, StateReason: a.reason, StateReasonData: a.reasonData || undefined,
    StateUpdatedTimestamp: { ts: a.updated },
    StateTransitionedTimestamp: { ts: a.transitioned || a.updated },
  };
  if (composite) {
    o.AlarmRule = c.AlarmRule || 'FALSE';
  } else {
    Object.assign(o, {
      MetricName: c.MetricName, Namespace: c.Namespace, Statistic: c.Statistic,
      Dimensions: (c.Dimensions || []).map((d) => ({ Name: d.Name, Value: d.Value })),
      Period: c.Period !== undefined ? Number(c.Period) : undefined,
      EvaluationPeriods: c.EvaluationPeriods !== undefined ? Number(c.EvaluationPeriods) : 1,
      Threshold: c.Threshold !== undefined ? Number(c.Threshold) : undefined,
      ComparisonOperator: c.ComparisonOperator || 'GreaterThanOrEqualToThreshold',
      TreatMissingData: c.TreatMissingData,
    });
  }
  return toJsonShape(o);
}

function toJsonShape(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === 'object' && 'ts' in v ? new TsValue(v.ts) : v;
  }
  return out;
}

// Serializes as epoch seconds in JSON.
class TsValue {
  constructor(ms) { this.ms = ms; }
  toJSON() { return this.ms / 1000; }
}

function alarmXml(o) {
  let s = '';
  for (const [k, v] of Object.entries(o)) {
    if (v instanceof TsValue) s += el(k, isoDate(v.ms));
    else if (Array.isArray(v)) {
      s += `<${k}>${v.map((x) => (typeof x === 'object' ? `<member>${Object.entries(x).map(([a, b]) => el(a, b)).join('')}</member>` : `<member>${escapeXml(x)}</member>`)).join('')}</${k}>`;
    } else s += el(k, v);
  }
  return s;
}

module.exports = { protocol: 'query', authKind, prepare, handle, newAlarm, changeState };
