'use strict';
// A GitHub Actions OIDC token endpoint. Tokens are real RS256 JWTs signed
// with a key generated at start, so STS can verify them like AWS does.

const crypto = require('node:crypto');
const { AwsError } = require('./errors');
const { randomId } = require('./util');

const ISSUER = 'https://token.actions.githubusercontent.com';
const REQUEST_TOKEN = 'double-request-token';
const SUBJECT = 'repo:octo-org/octo-repo:environment:production';
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const LIFETIME_S = 300;

function b64url(buf) { return Buffer.from(buf).toString('base64url'); }

function createIssuer() {
  // The RSA key is made on first use: generating it costs a few hundred ms
  // that doubles which never see OIDC need not pay at start.
  let keys = null;
  const key = () => keys || (keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const kid = randomId('0123456789ABCDEF', 40);
  return {
    kid,
    issue(audience, nowMs, claims = {}) {
      const { privateKey } = key();
      const iat = Math.floor(nowMs / 1000);
      const header = { typ: 'JWT', alg: 'RS256', x5t: kid, kid };
      const payload = {
        jti: crypto.randomUUID(), sub: SUBJECT, aud: audience,
        ref: 'refs/heads/main', sha: 'ffac537e6cbbf934b08745a378932722df287a53',
        repository: 'octo-org/octo-repo', repository_owner: 'octo-org', environment: 'production',
        run_id: '1234567890', run_number: '42', run_attempt: '1', actor: 'octocat', workflow: 'deploy-production',
        event_name: 'push', ref_type: 'branch', job_workflow_ref: 'octo-org/octo-repo/.github/workflows/deploy-production.yml@refs/heads/main',
        iss: ISSUER, nbf: iat - 5, iat, exp: iat + LIFETIME_S, ...claims,
      };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const sig = crypto.sign('RSA-SHA256', Buffer.from(signingInput), privateKey);
      return `${signingInput}.${b64url(sig)}`;
    },
    // Returns {claims} or {error: 'message'}.
    verify(token, nowMs) {
      const parts = String(token || '').split('.');
      if (parts.length !== 3) return { error: 'Token is not a valid JWT' };
      let header; let claims;
      try {
        header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
        claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      } catch { return { error: 'Token is not a valid JWT' }; }
      if (header.alg !== 'RS256') return { error: 'Unsupported token signing algorithm' };
      const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key().publicKey, Buffer.from(parts[2], 'base64url'));
      if (!ok) return { error: 'Token signature is invalid' };
      if (claims.iss !== ISSUER) return { error: 'Token issuer is not trusted' };
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return { error: 'Token expired', expired: true, claims };
      if (claims.aud !== DEFAULT_AUDIENCE) return { error: 'Incorrect token audience' };
      return { claims };
    },
  };
}

function route(ctx) {
  ctx.setOperation(ctx.req.method === 'GET' && ctx.rawPath === '/__oidc/token' ? 'GetIdToken' : 'Unknown');
}

async function handle(ctx) {
  if (ctx.operation !== 'GetIdToken') throw new AwsError(404, 'NotFound', 'Not Found');
  const auth = ctx.req.headers.authorization || '';
  if (auth !== `Bearer ${REQUEST_TOKEN}`) {
    ctx.call.code = 'Unauthorized';
    ctx.sendJson(401, { message: 'Bad credentials' });
    return;
  }
  const audience = typeof ctx.query.audience === 'string' && ctx.query.audience !== '' ? ctx.query.audience : DEFAULT_AUDIENCE;
  const { clock } = require('./util');
  const value = ctx.double.oidc.issue(audience, clock.now());
  ctx.sendJson(200, { count: value.length, value });
}

module.exports = { createIssuer, route, handle, ISSUER, REQUEST_TOKEN, SUBJECT, DEFAULT_AUDIENCE };
