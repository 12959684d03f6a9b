'use strict';
// Per-request context: parsed URL, the call-log entry, and the one place
// where responses are written (so faults like "reset after" and the call
// log see every answer).

const { Readable } = require('node:stream');
const { AwsError, renderError, hostId } = require('./errors');
const { clock, preciseNow, requestId, httpDate } = require('./util');

class Ctx {
  constructor(double, req, res) {
    this.double = double;
    this.state = double.state;
    this.req = req;
    this.res = res;
    this.requestId = requestId();
    this.generation = this.state.generation;
    const q = req.url.indexOf('?');
    this.rawPath = q < 0 ? req.url : req.url.slice(0, q);
    this.rawQuery = q < 0 ? '' : req.url.slice(q + 1);
    this.query = parseQuery(this.rawQuery);
    this.protocol = 's3';       // error shape: s3 | query | cloudfront | json | plain
    this.service = null;
    this.resetAfter = false;
    this.replied = false;
    this.call = {
      seq: ++this.state.seq,
      start: preciseNow(),
      end: null,
      service: null,
      operation: 'Unknown',
      method: req.method,
      path: this.rawPath,
      query: this.rawQuery,
      bucket: null,
      key: null,
      status: null,
      code: null,
      accessKey: null,
      principal: null,
      region: null,
      connectionId: req.socket.doubleConnectionId,
      fault: null,
      bytesIn: 0,
    };
    res.on('close', () => this.finishCall());
  }

  setService(service) { this.service = service; this.call.service = service; }
  setOperation(op) { this.operation = op; this.call.operation = op; }

  finishCall() {
    if (this.call.end !== null) return;
    this.call.end = preciseNow();
    if (this.call.status === null) this.call.status = this.res.headersSent ? this.res.statusCode : 0;
    // A reset wipes the log; calls begun before it belong to the old double.
    if (this.generation === this.state.generation) this.state.calls.push(this.call);
  }

  // Reads a whole small body (non-S3 services, control), counting bytes.
  async readBody(limit = 8 * 1024 * 1024) {
    if (this.body !== undefined) return this.body;
    const chunks = [];
    let n = 0;
    for await (const c of this.req.iterator({ destroyOnReturn: false })) {
      n += c.length;
      this.call.bytesIn += c.length;
      if (n > limit) throw new AwsError(413, 'RequestEntityTooLarge', 'Request body too large');
      chunks.push(c);
    }
    this.body = Buffer.concat(chunks);
    return this.body;
  }

  // The single exit. body: string | Buffer | Readable | null.
  send(status, headers = {}, body = null) {
    if (this.replied) return;
    this.replied = true;
    this.call.status = status;
    if (this.resetAfter) {
      // The request was processed (state changed) but the client never hears.
      if (body instanceof Readable) body.destroy();
      this.req.socket.destroy();
      return;
    }
    const res = this.res;
    res.statusCode = status;
    res.setHeader('Date', httpDate(clock.now()));
    if (this.service && this.protocol !== 'plain') {
      res.setHeader('x-amz-request-id', this.requestId);
      if (this.protocol === 's3') res.setHeader('x-amz-id-2', hostId(this.requestId));
      else res.setHeader('x-amzn-RequestId', this.requestId);
    }
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) res.setHeader(k, v);
    if (body instanceof Readable) {
      body.on('error', () => this.req.socket.destroy());
      body.pipe(res);
      return;
    }
    if (body === null || body === undefined || this.req.method === 'HEAD') {
      if (body !== null && body !== undefined && !res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(body));
      res.end();
      return;
    }
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.setHeader('content-length', buf.length);
    res.end(buf);
  }

  sendXml(status, xml, headers = {}) {
    this.send(status, { 'content-type': this.protocol === 's3' ? 'application/xml' : 'text/xml', ...headers }, xml);
  }

  sendJson(status, obj, headers = {}) {
    this.send(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(obj));
  }

  sendError(err) {
    if (!(err instanceof AwsError)) {
      console.error('double: internal error:', err && err.stack || err);
      err = new AwsError(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    this.call.code = err.code;
    if (this.protocol === 'plain') {
      this.send(err.status, { 'content-type': 'text/plain', ...err.headers }, err.message);
      return;
    }
    const r = renderError(err, this.protocol, { requestId: this.requestId, service: this.service, method: this.req.method, queryCompatible: this.queryCompatible });
    this.send(r.status, r.headers, r.body);
  }
}

// Query string -> {name: value | [values]}, decoded; '+' is a space as in
// form encoding. Names without '=' get '' (S3 sub-resources like ?uploads).
function parseQuery(raw) {
  const out = {};
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = decode(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : decode(part.slice(i + 1));
    if (k in out) out[k] = [].concat(out[k], v);
    else out[k] = v;
  }
  return out;
}
function decode(s) {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; }
}

module.exports = { Ctx, parseQuery };
