'use strict';
// SigV4 verification. The request is rebuilt exactly as the client's signer
// saw it (method, raw path, decoded query, only the SignedHeaders) and signed
// again with @smithy/signature-v4, AWS's own signer; the signatures must match.

const crypto = require('node:crypto');
const sv4 = require('@smithy/signature-v4');
const { AwsError } = require('./errors');
const { clock, Sha256, sha256Hex, EMPTY_SHA256 } = require('./util');

const MAX_SKEW_MS = 15 * 60 * 1000;

// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request,
//  SignedHeaders=host;x-amz-date, Signature=hex" -> parts, or {malformed}.
function parseAuthorization(header) {
  if (!header) return null;
  const m = /^(\S+)\s+(.*)$/.exec(header.trim());
  if (!m) return { malformed: 'Authorization header is malformed' };
  const algorithm = m[1];
  const fields = {};
  for (const part of m[2].split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    fields[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  const out = { algorithm, header };
  const cred = fields.Credential;
  if (cred) {
    const c = cred.split('/');
    // The access key id cannot contain '/', the rest is the scope.
    if (c.length === 5) {
      [out.accessKey, out.scopeDate, out.region, out.service, out.terminator] = c;
    } else {
      out.accessKey = c[0];
    }
  }
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    out.malformed = `Unsupported Authorization Type (${algorithm})`;
    return out;
  }
  if (!cred || !out.service || out.terminator !== 'aws4_request') {
    out.malformed = `Authorization header requires a valid 'Credential' parameter of the form <AKID>/<date>/<region>/<service>/aws4_request. Authorization=${header}`;
    return out;
  }
  if (!fields.SignedHeaders) { out.malformed = `Authorization header requires 'SignedHeaders' parameter. Authorization=${header}`; return out; }
  if (!fields.Signature) { out.malformed = `Authorization header requires 'Signature' parameter. Authorization=${header}`; return out; }
  out.signedHeaders = fields.SignedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean);
  out.signature = fields.Signature.toLowerCase();
  return out;
}

// 20240101T000000Z -> Date, or null.
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return isNaN(d) ? null : d;
}
function amzDate(ms) { return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''); }

// Error flavours differ between S3, the Query/REST-XML services and the JSON
// services; `kind` picks the codes AWS uses for each.
function authError(kind, what, message, extra) {
  const table = {
    s3: {
      missing: [403, 'AccessDenied'], malformed: [400, 'AuthorizationHeaderMalformed'],
      badKey: [403, 'InvalidAccessKeyId'], badToken: [400, 'InvalidToken'], expired: [400, 'ExpiredToken'],
      skew: [403, 'RequestTimeTooSkewed'], mismatch: [403, 'SignatureDoesNotMatch'], notSigned: [403, 'AccessDenied'],
    },
    query: {
      missing: [403, 'MissingAuthenticationToken'], malformed: [400, 'IncompleteSignature'],
      badKey: [403, 'InvalidClientTokenId'], badToken: [403, 'InvalidClientTokenId'], expired: [403, 'ExpiredToken'],
      skew: [403, 'SignatureDoesNotMatch'], mismatch: [403, 'SignatureDoesNotMatch'], notSigned: [403, 'SignatureDoesNotMatch'],
    },
    json: {
      missing: [400, 'MissingAuthenticationTokenException'], malformed: [400, 'IncompleteSignatureException'],
      badKey: [400, 'UnrecognizedClientException'], badToken: [400, 'UnrecognizedClientException'], expired: [400, 'ExpiredTokenException'],
      skew: [400, 'InvalidSignatureException'], mismatch: [400, 'InvalidSignatureException'], notSigned: [400, 'InvalidSignatureException'],
    },
  };
  const [status, code] = table[kind][what];
  return new AwsError(status, code, message, extra);
}

// Verifies ctx's request. Options:
//   kind: 's3' | 'query' | 'json' (error flavour)
//   body: Buffer of the whole body (non-S3); S3 passes undefined and checks
//         the payload against x-amz-content-sha256 while streaming it.
// On success sets ctx.auth = {accessKey, secret, principal, signingKey(), ...}.
async function verify(ctx, auth, { kind, body }) {
  const req = ctx.req;
  const state = ctx.state;
  if (!auth) {
    throw kind === 's3'
      ? authError(kind, 'missing', 'Access Denied')
      : authError(kind, 'missing', 'Request is missing Authentication Token');
  }
  if (auth.accessKey) ctx.call.accessKey = auth.accessKey;
  if (auth.region) ctx.call.region = auth.region;
  if (auth.malformed) throw authError(kind, 'malformed', auth.malformed);

  const key = state.keys.get(auth.accessKey);
  if (!key) {
    throw kind === 's3'
      ? authError(kind, 'badKey', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: auth.accessKey })
      : authError(kind, 'badKey', 'The security token included in the request is invalid.');
  }
  ctx.call.principal = key.principal;

  if (!key.root) {
    const token = req.headers['x-amz-security-token'];
    if (token !== key.sessionToken) {
      throw kind === 's3'
        ? authError(kind, 'badToken', 'The provided token is malformed or otherwise invalid.', { Token: token || '' })
        : authError(kind, 'badToken', 'The security token included in the request is invalid.');
    }
    if (clock.now() >= key.expires) {
      throw kind === 's3'
        ? authError(kind, 'expired', 'The provided token has expired.', { Token: token })
        : authError(kind, 'expired', 'The security token included in the request is expired');
    }
  }

  const xAmzDate = req.headers['x-amz-date'];
  const signingDate = parseAmzDate(xAmzDate);
  if (!signingDate) {
    throw kind === 's3'
      ? authError(kind, 'missing', 'AWS authentication requires a valid Date or x-amz-date header')
      : authError(kind, 'malformed', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth.header}`);
  }
  const now = clock.now();
  const skew = signingDate.getTime() - now;
  if (Math.abs(skew) > MAX_SKEW_MS) {
    if (kind === 's3') {
      throw authError(kind, 'skew', 'The difference between the request time and the current time is too large.', {
        RequestTime: xAmzDate, ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), MaxAllowedSkewMilliseconds: '900000',
      });
    }
    const msg = skew < 0
      ? `Signature expired: ${xAmzDate} is now earlier than ${amzDate(now - MAX_SKEW_MS)} (${amzDate(now)} - 15 min.)`
      : `Signature not yet current: ${xAmzDate} is still later than ${amzDate(now + MAX_SKEW_MS)} (${amzDate(now)} + 15 min.)`;
    throw authError(kind, 'skew', msg);
  }
  if (auth.scopeDate !== xAmzDate.slice(0, 8)) {
    throw authError(kind, 'malformed', kind === 's3'
      ? 'The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.'
      : `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${xAmzDate.slice(0, 8)}', from '${xAmzDate}'.`);
  }
  if (!auth.signedHeaders.includes('host')) {
    throw authError(kind, 'malformed', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (kind === 's3') {
    // S3 refuses x-amz-* headers that the client did not sign.
    const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !auth.signedHeaders.includes(h));
    if (unsigned.length) {
      throw authError(kind, 'notSigned', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
    }
  }

  // Rebuild the request as signed: only the signed headers, repeated headers
  // joined with ',' as SigV4 specifies.
  const headers = {};
  for (const name of auth.signedHeaders) {
    const values = req.headersDistinct[name];
    if (values === undefined) continue; // signed but absent: the signature will not match
    headers[name] = values.join(',');
  }
  let payloadHash;
  let bodyForSigner;
  let payloadLied = false;
  if (kind === 's3') {
    // S3 signs the x-amz-content-sha256 value; the S3 module checks the body
    // against it while streaming.
    payloadHash = req.headers['x-amz-content-sha256'];
  } else {
    payloadHash = body && body.length ? sha256Hex(body) : EMPTY_SHA256;
    if ('x-amz-content-sha256' in headers) {
      // A client that signed its own payload hash header must have told the truth.
      payloadLied = headers['x-amz-content-sha256'] !== payloadHash;
    } else {
      bodyForSigner = body && body.length ? body : undefined;
    }
  }
  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: (req.headers.host || '').split(':')[0],
    path: ctx.rawPath,
    query: ctx.query,
    headers,
    body: bodyForSigner,
  };
  const s3 = auth.service === 's3';
  const signer = new sv4.SignatureV4({
    credentials: { accessKeyId: auth.accessKey, secretAccessKey: key.secret },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
  // Headers the signer normally refuses to sign (cache-control, expect, ...)
  // count when the client chose to sign them.
  const signable = new Set(auth.signedHeaders);
  const signed = await signer.sign(request, { signingDate, signingRegion: auth.region, signingService: auth.service, signableHeaders: signable });
  const expected = /Signature=([0-9a-f]+)/.exec(signed.headers.authorization)[1];
  const sameHeaders = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization)[1] === auth.signedHeaders.slice().sort().join(';');
  if (!sameHeaders || !timingSafeEqualHex(expected, auth.signature) || payloadLied) {
    const detail = canonicalDetail(signer, request, auth, signingDate, signable, payloadHash);
    if (kind === 's3') {
      throw authError(kind, 'mismatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
        AWSAccessKeyId: auth.accessKey,
        StringToSign: detail.stringToSign,
        SignatureProvided: auth.signature,
        StringToSignBytes: Buffer.from(detail.stringToSign).toString('hex').replace(/(..)(?!$)/g, '$1 '),
        CanonicalRequest: detail.canonicalRequest,
        CanonicalRequestBytes: Buffer.from(detail.canonicalRequest).toString('hex').replace(/(..)(?!$)/g, '$1 '),
      });
    }
    throw authError(kind, 'mismatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }

  ctx.auth = {
    accessKey: auth.accessKey, principal: key.principal, key,
    region: auth.region, service: auth.service, signature: auth.signature,
    amzDate: xAmzDate, scope: `${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request`,
    signingKey: () => sv4.getSigningKey(Sha256, { accessKeyId: auth.accessKey, secretAccessKey: key.secret }, auth.scopeDate, auth.region, auth.service),
  };
}

function timingSafeEqualHex(a, b) {
  const x = Buffer.from(a || ''); const y = Buffer.from(b || '');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// The canonical request and string to sign as the double computed them, for
// S3's SignatureDoesNotMatch body (clients print these to debug their signer).
function canonicalDetail(signer, request, auth, signingDate, signable, payloadHash) {
  try {
    const prepared = sv4.prepareRequest(request);
    const longDate = amzDate(signingDate.getTime());
    prepared.headers['x-amz-date'] = longDate;
    const canon = sv4.getCanonicalHeaders(prepared, undefined, signable);
    const canonicalRequest = signer.createCanonicalRequest(prepared, canon, payloadHash);
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request\n${sha256Hex(canonicalRequest)}`;
    return { canonicalRequest, stringToSign };
  } catch {
    return { canonicalRequest: '', stringToSign: '' };
  }
}

module.exports = { parseAuthorization, parseAmzDate, amzDate, verify, authError, MAX_SKEW_MS };
