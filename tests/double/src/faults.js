'use strict';
// Scripted misbehaviour: errors in each service's real shape, connection
// resets before or after processing, latency, clock offset and short STS
// key lifetimes. Posting a new set replaces the old one.

const { AwsError } = require('./errors');
const { clock } = require('./util');

const AWS_SERVICES = new Set(['s3', 'cloudfront', 'cloudformation', 'sts', 'monitoring', 'ssm']);
const NON_AWS_SERVICES = new Set(['oidc', 'slack', 'site', 'app']);

const DEFAULT_MESSAGES = {
  SlowDown: 'Please reduce your request rate.',
  InternalError: 'We encountered an internal error. Please try again.',
  ServiceUnavailable: 'Service is unable to handle request.',
  Throttling: 'Rate exceeded',
  ThrottlingException: 'Rate exceeded',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  TooManyInvalidationsInProgress: 'Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.',
};
const STATUS_CODES = { 500: 'InternalError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout', 429: 'TooManyRequestsException', 400: 'Throttling' };
const CODE_STATUS = { SlowDown: 503, InternalError: 500, ServiceUnavailable: 503, Throttling: 400, ThrottlingException: 400, RequestTimeout: 400, TooManyInvalidationsInProgress: 400, RequestLimitExceeded: 400 };

// mulberry32: small, seedable, good enough to make "rate" reproducible.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Faults {
  constructor(state, baseLatencyMs = 0) {
    this.state = state;
    this.baseLatencyMs = baseLatencyMs;
    this.clear();
  }

  clear() {
    this.rules = [];
    this.random = prng(1);
    this.stsDurationSeconds = null;
    clock.offsetMs = 0;
  }

  // Validates and installs a faults body; throws Error with a message on bad input.
  set(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('faults body must be a JSON object');
    const rules = body.rules === undefined ? [] : body.rules;
    if (!Array.isArray(rules)) throw new Error('rules must be an array');
    const parsed = rules.map((r, i) => normalizeRule(r, i));
    this.rules = parsed;
    this.random = prng(body.seed === undefined ? 1 : Number(body.seed));
    clock.offsetMs = Math.round(Number(body.clockOffsetSeconds || 0) * 1000);
    if (body.stsDurationSeconds === undefined || body.stsDurationSeconds === null) this.stsDurationSeconds = null;
    else {
      const n = Number(body.stsDurationSeconds);
      if (!(n > 0)) throw new Error('stsDurationSeconds must be a positive number or null');
      this.stsDurationSeconds = n;
    }
    for (const k of ['invalidationMs', 'cfnStepMs', 'changeSetMs']) {
      if (body[k] !== undefined) {
        const n = Number(body[k]);
        if (!(n >= 0)) throw new Error(`${k} must be a number >= 0`);
        this.state.settings[k] = n;
      }
    }
  }

  describe() {
    return {
      rules: this.rules.map((r) => ({ ...r.source, remaining: r.remaining })),
      clockOffsetSeconds: clock.offsetMs / 1000,
      stsDurationSeconds: this.stsDurationSeconds,
      baseLatencyMs: this.baseLatencyMs,
    };
  }

  // Decides what happens to one call. Returns
  // {latencyMs, error: AwsError|null, reset: 'before'|'after'|null, names: [...]}.
  evaluate(service, operation) {
    const out = { latencyMs: AWS_SERVICES.has(service) ? this.baseLatencyMs : 0, error: null, reset: null, names: [] };
    for (const r of this.rules) {
      if (!matches(r, service, operation)) continue;
      if (r.remaining !== null && r.remaining <= 0) continue;
      if (r.rate !== null && !(this.random() < r.rate)) continue;
      const terminal = r.reset || r.status !== null;
      // Only one terminal fault per call; a second matching one waits its turn.
      if (terminal && (out.error || out.reset)) continue;
      if (r.remaining !== null) r.remaining--;
      if (r.latency) {
        const [lo, hi] = r.latency;
        const ms = lo + Math.floor(this.random() * (hi - lo + 1));
        out.latencyMs += ms;
        out.names.push(`latency:${ms}`);
      }
      if (r.reset) { out.reset = r.reset; out.names.push(`reset-${r.reset}`); }
      else if (r.status !== null) {
        const headers = {};
        if (r.retryAfter !== null) headers['retry-after'] = String(r.retryAfter);
        out.error = new AwsError(r.status, r.code, r.message, {}, headers);
        out.names.push(`error:${r.code}`);
      }
    }
    return out;
  }
}

function matches(r, service, operation) {
  if (r.service === '*') { if (!AWS_SERVICES.has(service)) return false; }
  else if (r.service !== service) return false;
  return r.operation === '*' || r.operation === operation;
}

function normalizeRule(r, i) {
  if (typeof r !== 'object' || r === null) throw new Error(`rules[${i}] must be an object`);
  const service = r.service === undefined ? '*' : String(r.service);
  if (service !== '*' && !AWS_SERVICES.has(service) && !NON_AWS_SERVICES.has(service)) throw new Error(`rules[${i}].service '${service}' is unknown`);
  const out = {
    source: r, service, operation: r.operation === undefined ? '*' : String(r.operation),
    remaining: r.count === undefined || r.count === null ? null : Number(r.count),
    rate: r.rate === undefined || r.rate === null ? null : Number(r.rate),
    reset: null, status: null, code: null, message: null, retryAfter: null, latency: null,
  };
  if (out.rate !== null && !(out.rate >= 0 && out.rate <= 1)) throw new Error(`rules[${i}].rate must be within [0, 1]`);
  if (out.remaining !== null && !(out.remaining >= 0)) throw new Error(`rules[${i}].count must be >= 0`);
  if (r.reset !== undefined) {
    if (r.reset !== 'before' && r.reset !== 'after') throw new Error(`rules[${i}].reset must be "before" or "after"`);
    out.reset = r.reset;
  }
  if (r.status !== undefined || r.code !== undefined) {
    if (out.reset) throw new Error(`rules[${i}] cannot both reset and answer an error`);
    out.status = r.status !== undefined ? Number(r.status) : (CODE_STATUS[r.code] || 500);
    out.code = r.code !== undefined ? String(r.code) : (STATUS_CODES[out.status] || 'InternalError');
    out.message = r.message !== undefined ? String(r.message) : (DEFAULT_MESSAGES[out.code] || `Injected fault ${out.code}`);
    out.retryAfter = r.retryAfter === undefined ? null : r.retryAfter;
  }
  if (r.latencyMs !== undefined) {
    const l = Array.isArray(r.latencyMs) ? r.latencyMs.map(Number) : [Number(r.latencyMs), Number(r.latencyMs)];
    if (l.length !== 2 || !(l[0] >= 0) || !(l[1] >= l[0])) throw new Error(`rules[${i}].latencyMs must be a number or [min, max]`);
    out.latency = l;
  }
  if (!out.reset && out.status === null && !out.latency) throw new Error(`rules[${i}] does nothing: give status/code, reset or latencyMs`);
  return out;
}

module.exports = { Faults, AWS_SERVICES };
