'use strict';
// SSM Parameter Store (JSON 1.1, X-Amz-Target: AmazonSSM.<Op>): what a CDK
// deploy reads (the bootstrap version) plus PutParameter.

const { AwsError } = require('./errors');
const { clock } = require('./util');
const { ACCOUNT } = require('./state');

const OPS = new Set(['GetParameter', 'GetParameters', 'PutParameter']);

async function prepare(ctx) {
  await ctx.readBody();
  ctx.protocol = 'json';
  const target = ctx.req.headers['x-amz-target'] || '';
  const action = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : null;
  ctx.setOperation(OPS.has(action) ? action : 'Unknown');
  try { ctx.input = ctx.body.length ? JSON.parse(ctx.body.toString('utf8')) : {}; } catch {
    ctx.input = {};
    ctx.routeError = new AwsError(400, 'SerializationException', 'Could not parse the request body as JSON');
  }
  if (!OPS.has(action) && !ctx.routeError) ctx.routeError = new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`);
}

function putParameter(state, name, value, region, type = 'String') {
  const old = state.ssm.get(name);
  const p = { name, value, type, version: old ? old.version + 1 : 1, lastModified: clock.now(), region };
  state.ssm.set(name, p);
  return p;
}

function paramJson(p, region) {
  const arnName = p.name.startsWith('/') ? p.name.slice(1) : p.name;
  return {
    Name: p.name, Type: p.type, Value: p.value, Version: p.version,
    LastModifiedDate: p.lastModified / 1000,
    ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${arnName}`, DataType: 'text',
  };
}

function send(ctx, obj) { ctx.send(200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(obj)); }

async function handle(ctx) {
  const input = ctx.input;
  const region = ctx.auth.region;
  switch (ctx.operation) {
    case 'GetParameter': {
      if (typeof input.Name !== 'string' || input.Name === '') throw new AwsError(400, 'ValidationException', "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
      const p = ctx.state.ssm.get(input.Name);
      if (!p) throw new AwsError(400, 'ParameterNotFound', `Parameter ${input.Name} not found.`);
      return send(ctx, { Parameter: paramJson(p, region) });
    }
    case 'GetParameters': {
      const names = Array.isArray(input.Names) ? input.Names : [];
      const found = names.filter((n) => ctx.state.ssm.has(n));
      return send(ctx, { Parameters: found.map((n) => paramJson(ctx.state.ssm.get(n), region)), InvalidParameters: names.filter((n) => !ctx.state.ssm.has(n)) });
    }
    case 'PutParameter': {
      if (typeof input.Name !== 'string' || typeof input.Value !== 'string') throw new AwsError(400, 'ValidationException', 'Name and Value are required');
      if (ctx.state.ssm.has(input.Name) && !input.Overwrite) throw new AwsError(400, 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      const p = putParameter(ctx.state, input.Name, input.Value, region, input.Type || 'String');
      return send(ctx, { Version: p.version, Tier: 'Standard' });
    }
    default: throw ctx.routeError;
  }
}

module.exports = { protocol: 'json', authKind: () => 'json', prepare, handle, putParameter };
