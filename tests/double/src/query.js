'use strict';
// The AWS Query protocol (CloudFormation, STS, CloudWatch): form-encoded
// parameters in, <OpResponse><OpResult/><ResponseMetadata/></OpResponse> out.

const { AwsError } = require('./errors');
const { el } = require('./xml');

// Parses body + URL query into a Map-like plain object of strings.
function parseParams(ctx) {
  const params = {};
  for (const [k, v] of Object.entries(ctx.query)) params[k] = Array.isArray(v) ? v[v.length - 1] : v;
  const ct = ctx.req.headers['content-type'] || '';
  if (ctx.body && ctx.body.length && ct.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) params[k] = v;
  }
  return params;
}

// Name.member.1, Name.member.2, ... -> ['a', 'b']. An explicit empty list
// (Name=) gives [].
function list(params, name) {
  const out = [];
  for (let i = 1; ; i++) {
    const v = params[`${name}.member.${i}`];
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

// Name.member.N.Field -> [{Field: ...}]
function structList(params, name) {
  const out = [];
  for (let i = 1; ; i++) {
    const prefix = `${name}.member.${i}.`;
    const item = {};
    let found = false;
    for (const [k, v] of Object.entries(params)) {
      if (k.startsWith(prefix)) { item[k.slice(prefix.length)] = v; found = true; }
    }
    if (!found) break;
    out.push(item);
  }
  return out;
}

function respond(ctx, op, ns, resultInner) {
  const result = resultInner === null ? '' : `<${op}Result>${resultInner}</${op}Result>`;
  ctx.sendXml(200, `<${op}Response xmlns="${ns}">${result}<ResponseMetadata>${el('RequestId', ctx.requestId)}</ResponseMetadata></${op}Response>`);
}

function required(params, name) {
  const v = params[name];
  if (v === undefined || v === '') {
    throw new AwsError(400, 'ValidationError', `1 validation error detected: Value null at '${name.charAt(0).toLowerCase() + name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  }
  return v;
}


module.exports = { parseParams, list, structList, respond, required };
