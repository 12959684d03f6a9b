'use strict';
// STS (Query, 2011-06-15): GetCallerIdentity, AssumeRole (signed) and
// AssumeRoleWithWebIdentity (unsigned, trusts only this double's OIDC tokens).

const crypto = require('node:crypto');
const { AwsError, NS } = require('./errors');
const { el } = require('./xml');
const q = require('./query');
const { clock, isoSeconds, randomId, UPPER_ALNUM } = require('./util');
const { ACCOUNT } = require('./state');

const OPS = new Set(['GetCallerIdentity', 'AssumeRole', 'AssumeRoleWithWebIdentity']);

async function prepare(ctx) {
  await ctx.readBody();
  ctx.params = q.parseParams(ctx);
  const action = ctx.params.Action;
  ctx.setOperation(OPS.has(action) ? action : 'Unknown');
  if (!OPS.has(action)) ctx.routeError = new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${ctx.params.Version || 'NO_VERSION_SPECIFIED'}`);
  if (action === 'AssumeRoleWithWebIdentity') ctx.noAuth = true;
}

async function handle(ctx) {
  switch (ctx.operation) {
    case 'GetCallerIdentity': return getCallerIdentity(ctx);
    case 'AssumeRole': return assumeRole(ctx, false);
    case 'AssumeRoleWithWebIdentity': return assumeRole(ctx, true);
    default: throw ctx.routeError;
  }
}

function getCallerIdentity(ctx) {
  const key = ctx.auth.key;
  q.respond(ctx, 'GetCallerIdentity', NS.sts, el('Arn', key.principal) + el('UserId', key.userId) + el('Account', ACCOUNT));
}

function validation(msg) { return new AwsError(400, 'ValidationError', msg); }

function roleNameFromArn(arn) {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(arn || '');
  if (!m) return null;
  return { account: m[1], name: m[2] };
}

function assumeRole(ctx, web) {
  const p = ctx.params;
  const op = web ? 'AssumeRoleWithWebIdentity' : 'AssumeRole';
  const roleArn = q.required(p, 'RoleArn');
  const session = q.required(p, 'RoleSessionName');
  if (roleArn.length < 20 || roleArn.length > 2048) throw validation(`1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`);
  if (session.length < 2 || session.length > 64) throw validation(`1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must have length ${session.length < 2 ? 'greater than or equal to 2' : 'less than or equal to 64'}`);
  if (!/^[\w+=,.@-]*$/.test(session)) throw validation(`1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  let duration = 3600;
  if (p.DurationSeconds !== undefined) {
    duration = Number(p.DurationSeconds);
    if (!Number.isInteger(duration) || duration < 900) throw validation(`1 validation error detected: Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    if (duration > 43200) throw validation(`1 validation error detected: Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`);
  }
  let claims = null;
  if (web) {
    const token = q.required(p, 'WebIdentityToken');
    if (token.length < 4 || token.length > 20000) throw validation(`1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000`);
    const v = ctx.double.oidc.verify(token, clock.now());
    if (v.error) throw new AwsError(400, 'InvalidIdentityToken', v.error);
    claims = v.claims;
  }
  const role = roleNameFromArn(roleArn);
  const caller = web ? null : ctx.auth.key.principal;
  if (!role || role.account !== ACCOUNT || !ctx.state.roles.has(role.name)) {
    throw new AwsError(403, 'AccessDenied', web
      ? 'Not authorized to perform sts:AssumeRoleWithWebIdentity'
      : `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }
  const lifetime = ctx.double.faults.stsDurationSeconds ?? duration;
  const creds = issueKeys(ctx.state, role.name, session, lifetime);
  const credsXml = `<Credentials>${el('AccessKeyId', creds.accessKeyId)}${el('SecretAccessKey', creds.secret)}${el('SessionToken', creds.sessionToken)}${el('Expiration', isoSeconds(creds.expires))}</Credentials>`;
  const userXml = `<AssumedRoleUser>${el('AssumedRoleId', creds.userId)}${el('Arn', creds.principal)}</AssumedRoleUser>`;
  let result;
  if (web) {
    result = credsXml + el('SubjectFromWebIdentityToken', claims.sub) + userXml
      + el('Provider', `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`) + el('Audience', claims.aud);
  } else {
    result = credsXml + userXml + el('PackedPolicySize', 0);
  }
  q.respond(ctx, op, NS.sts, result);
}

// Temporary keys: the double remembers each one's secret, token, expiry and
// principal so later calls can be verified and attributed.
function issueKeys(state, roleName, session, lifetimeSeconds) {
  const accessKeyId = 'ASIA' + randomId(UPPER_ALNUM, 16);
  const secret = crypto.randomBytes(30).toString('base64');
  const sessionToken = 'IQoJb3JpZ2luX2VjE' + crypto.randomBytes(180).toString('base64');
  const roleId = 'AROA' + crypto.createHash('sha256').update(roleName).digest('hex').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 17);
  const key = {
    secret, sessionToken,
    expires: clock.now() + lifetimeSeconds * 1000,
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`,
    userId: `${roleId}:${session}`,
    roleName,
  };
  state.keys.set(accessKeyId, key);
  return { accessKeyId, ...key };
}

module.exports = { protocol: 'query', authKind: () => 'query', prepare, handle, issueKeys, roleNameFromArn };
