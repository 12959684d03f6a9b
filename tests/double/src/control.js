'use strict';
// The control API tests drive the double with: seed what an account already
// has, script failures, inject faults, read state and the call log, reset.

const { AwsError } = require('./errors');
const { isoDate, clock } = require('./util');
const { ACCOUNT, BOOTSTRAP_QUALIFIER, DEFAULT_SETTINGS } = require('./state');
const s3 = require('./s3');

const CDK_ROLES = ['deploy-role', 'file-publishing-role', 'cfn-exec-role', 'lookup-role', 'image-publishing-role'];

async function handle(ctx) {
  const route = `${ctx.req.method} ${ctx.rawPath}`;
  const ops = {
    'GET /__control/state': ['GetState', getState],
    'GET /__control/calls': ['GetCalls', getCalls],
    'GET /__control/faults': ['GetFaults', (c) => c.sendJson(200, c.double.faults.describe())],
    'POST /__control/faults': ['PutFaults', putFaults],
    'POST /__control/script': ['PutScript', putScript],
    'POST /__control/reset': ['Reset', reset],
    'POST /__control/seed': ['Seed', seed],
  };
  const entry = ops[route];
  if (!entry) {
    ctx.setOperation('Unknown');
    return fail(ctx, 404, `no control route ${route}`);
  }
  ctx.setOperation(entry[0]);
  try {
    await entry[1](ctx);
  } catch (e) {
    if (e instanceof AwsError) throw e;
    fail(ctx, 400, e.message);
  }
}

function fail(ctx, status, message) {
  ctx.call.code = 'BadRequest';
  ctx.sendJson(status, { error: message });
}

async function jsonBody(ctx) {
  const buf = await ctx.readBody(64 * 1024 * 1024);
  if (buf.length === 0) return {};
  try { return JSON.parse(buf.toString('utf8')); } catch (e) { throw new Error(`body is not valid JSON: ${e.message}`); }
}

function getCalls(ctx) {
  const since = ctx.query.since !== undefined ? Number(ctx.query.since) : 0;
  const calls = ctx.state.calls.filter((c) => c.seq > since).sort((a, b) => a.seq - b.seq);
  ctx.sendJson(200, calls);
}

function getState(ctx) {
  const st = ctx.state;
  const out = { buckets: {}, distributions: {}, stacks: {}, alarms: {}, slack: st.slack, ssm: {}, connections: st.connectionsTotal - st.connectionsBase, roles: [...st.roles].sort() };
  for (const [name, b] of st.buckets) {
    const objects = {};
    for (const k of require('./s3-list').sortedKeys(b)) {
      const o = b.objects.get(k);
      objects[k] = {
        size: o.size, etag: o.etag, contentType: o.contentType, cacheControl: o.cacheControl ?? null,
        contentEncoding: o.contentEncoding ?? null, contentDisposition: o.contentDisposition ?? null,
        metadata: o.metadata || {}, sha256: o.sha256, md5: o.md5,
        checksum: o.checksum ? { [o.checksum.alg]: o.checksum.value } : null,
        partsCount: o.partsCount || null, lastModified: isoDate(o.lastModified),
      };
    }
    out.buckets[name] = { objects };
  }
  const cf = require('./cloudfront');
  for (const [id, d] of st.distributions) {
    out.distributions[id] = { bucket: d.bucket, domainName: d.domainName, invalidations: d.invalidations.map((i) => cf.invalidationJson(ctx.state, i)) };
  }
  const cfn = require('./cloudformation');
  for (const [name, s] of st.stacks) out.stacks[name] = cfn.stackJson(s);
  for (const [name, a] of st.alarms) out.alarms[name] = { type: a.type, state: a.state, reason: a.reason, updated: isoDate(a.updated), arn: a.arn };
  for (const [name, p] of st.ssm) out.ssm[name] = p.value;
  out.uploads = {};
  for (const [id, u] of st.uploads) {
    out.uploads[id] = { bucket: u.bucket, key: u.key, parts: [...u.parts.values()].sort((a, b) => a.number - b.number).map((p) => ({ partNumber: p.number, size: p.size, etag: p.etag })) };
  }
  out.sessions = [];
  for (const [id, k] of st.keys) if (!k.root) out.sessions.push({ accessKeyId: id, principal: k.principal, expiration: isoDate(k.expires), expired: clock.now() >= k.expires });
  out.app = st.app;
  out.script = { failVersions: [...st.script.failVersions], stacks: Object.fromEntries(st.script.stacks), slack429: st.script.slack429 };
  out.settings = st.settings;
  out.faults = ctx.double.faults.describe();
  ctx.sendJson(200, out);
}

async function putFaults(ctx) {
  const body = await jsonBody(ctx);
  ctx.double.faults.set(body);
  ctx.sendJson(200, { ok: true, faults: ctx.double.faults.describe() });
}

async function reset(ctx) {
  await ctx.readBody();
  ctx.state.reset();
  ctx.double.faults.clear();
  ctx.sendJson(200, { ok: true });
}

function asList(v, name) {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${name} must be an array`);
  return v;
}

const ALARM_STATES = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

function setAlarm(state, name, fields) {
  const cw = require('./cloudwatch');
  let a = state.alarms.get(name);
  if (!a) a = cw.newAlarm(state, name, fields.type === 'composite' ? 'composite' : 'metric', 'ap-northeast-1');
  if (fields.state !== undefined) {
    if (!ALARM_STATES.has(fields.state)) throw new Error(`alarm state must be OK, ALARM or INSUFFICIENT_DATA, not ${fields.state}`);
    cw.changeState(a, fields.state, fields.reason || `Set by the double's control API`);
  }
}

async function seed(ctx) {
  const body = await jsonBody(ctx);
  const st = ctx.state;
  for (const b of asList(body.buckets, 'buckets')) {
    const name = typeof b === 'string' ? b : b && b.name;
    if (!name) throw new Error('buckets[] entries are names or {name}');
    st.createBucket(name, typeof b === 'object' && b.region ? { region: b.region } : {});
  }
  for (const o of asList(body.objects, 'objects')) {
    if (!o.bucket || typeof o.key !== 'string') throw new Error('objects[] need bucket and key');
    const bucket = st.createBucket(o.bucket);
    const buf = o.bodyBase64 !== undefined ? Buffer.from(o.bodyBase64, 'base64')
      : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body ?? ''), 'utf8');
    await s3.writeObject(st, bucket, o.key, buf, {
      contentType: o.contentType || 'binary/octet-stream', cacheControl: o.cacheControl, contentEncoding: o.contentEncoding,
      metadata: o.metadata || {},
    });
  }
  for (const d of asList(body.distributions, 'distributions')) {
    if (!d || !d.id) throw new Error('distributions[] need an id');
    require('./cloudfront').createDistribution(st, d.id, d.bucket || null, d.domainName);
  }
  for (const a of asList(body.alarms, 'alarms')) {
    if (!a || !a.name) throw new Error('alarms[] need a name');
    setAlarm(st, a.name, { state: a.state || 'OK', type: a.type, reason: a.reason });
  }
  for (const r of asList(body.roles, 'roles')) {
    const name = String(r).replace(/^arn:aws:iam::\d{12}:role\/(?:.*\/)?/, '');
    st.addRole(name);
  }
  for (const b of asList(body.bootstrap, 'bootstrap')) {
    const account = String(b.account || ACCOUNT);
    const region = String(b.region || 'ap-northeast-1');
    const version = Number(b.version ?? 27);
    const q = BOOTSTRAP_QUALIFIER;
    st.createBucket(`cdk-${q}-assets-${account}-${region}`, { region });
    for (const r of CDK_ROLES) st.addRole(`cdk-${q}-${r}-${account}-${region}`);
    require('./ssm').putParameter(st, `/cdk-bootstrap/${q}/version`, String(version), region);
    require('./cloudformation').seedToolkitStack(st, account, region, version);
  }
  if (body.ssm !== undefined) {
    if (typeof body.ssm !== 'object') throw new Error('ssm must be an object of name: value');
    for (const [k, v] of Object.entries(body.ssm)) require('./ssm').putParameter(st, k, String(v), 'ap-northeast-1');
  }
  if (body.app !== undefined) {
    if (!body.app || !body.app.bucket || !body.app.versionKey) throw new Error('app needs bucket and versionKey');
    st.app = { bucket: body.app.bucket, versionKey: body.app.versionKey };
  }
  for (const s of asList(body.stacks, 'stacks')) await require('./cloudformation').seedStack(st, s);
  for (const k of Object.keys(DEFAULT_SETTINGS)) {
    if (body[k] !== undefined) {
      const n = Number(body[k]);
      if (!(n >= 0)) throw new Error(`${k} must be a number >= 0`);
      st.settings[k] = n;
    }
  }
  ctx.sendJson(200, { ok: true });
}

async function putScript(ctx) {
  const body = await jsonBody(ctx);
  const st = ctx.state;
  for (const a of asList(body.alarms, 'alarms')) {
    if (!a || !a.name || !ALARM_STATES.has(a.state)) throw new Error('alarms[] need name and state (OK, ALARM, INSUFFICIENT_DATA)');
    if (a.afterMs) st.later(Number(a.afterMs), () => setAlarm(st, a.name, a));
    else setAlarm(st, a.name, a);
  }
  if (body.app !== undefined) {
    st.script.failVersions = new Set(asList(body.app.failVersions, 'app.failVersions').map(String));
  }
  for (const s of asList(body.stacks, 'stacks')) {
    if (!s || !s.name || !s.failResource) throw new Error('stacks[] need name and failResource');
    st.script.stacks.set(s.name, { failResource: String(s.failResource), reason: s.reason ? String(s.reason) : 'Resource handler returned message: "Scripted failure"' });
  }
  if (body.slack !== undefined) {
    st.script.slack429 = Number(body.slack.status429 || 0);
    st.script.slackRetryAfter = Number(body.slack.retryAfter ?? 1);
  }
  ctx.sendJson(200, { ok: true });
}

module.exports = { handle };
