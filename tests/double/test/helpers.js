'use strict';
// Shared test helpers: start/stop a double, call its control API, build
// SDK clients, and sign raw requests with @smithy/signature-v4.

const { spawn } = require('node:child_process');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { SignatureV4 } = require('@smithy/signature-v4');

// The SDK warns on every run that future releases need node 22; noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROOT = { accessKeyId: 'AKIAAIRLOCKDOUBLE001', secretAccessKey: 'airlock/double/secret/key' };
const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';

async function startDouble(env = {}) {
  const proc = spawn(path.join(__dirname, '..', 'start'), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        proc.stdout.off('data', onData);
        const m = /^PORT=(\d+)$/.exec(buf.slice(0, nl));
        if (m) resolve(Number(m[1])); else reject(new Error(`unexpected first line: ${buf.slice(0, nl)}`));
      }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`double exited early with ${code}`)));
  });
  proc.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  const d = {
    port, url, proc,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const exited = new Promise((r) => proc.once('exit', (code) => r(code)));
      proc.kill('SIGTERM');
      return exited;
    },
    async control(method, p, body) {
      const res = await fetch(url + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { json = text; }
      if (!res.ok) throw new Error(`control ${method} ${p}: ${res.status} ${text}`);
      return json;
    },
    reset() { return d.control('POST', '/__control/reset', {}); },
    seed(body) { return d.control('POST', '/__control/seed', body); },
    script(body) { return d.control('POST', '/__control/script', body); },
    faults(body) { return d.control('POST', '/__control/faults', body); },
    state() { return d.control('GET', '/__control/state'); },
    calls(since) { return d.control('GET', `/__control/calls${since !== undefined ? `?since=${since}` : ''}`); },
  };
  return d;
}

function clientConfig(url, credentials = ROOT, extra = {}) {
  return { endpoint: url, region: REGION, credentials, forcePathStyle: true, maxAttempts: 1, ...extra };
}

class NodeSha256 {
  constructor(secret) { this.h = secret !== undefined ? crypto.createHmac('sha256', Buffer.from(secret)) : crypto.createHash('sha256'); }
  update(d) { this.h.update(typeof d === 'string' ? Buffer.from(d) : Buffer.from(d.buffer ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : d)); }
  digest() { return Promise.resolve(new Uint8Array(this.h.digest())); }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// Signs and sends one raw request. opts: {method, path, query, headers, body,
// service, region, credentials, signingDate, tamper(signedRequest)}.
async function rawRequest(url, opts) {
  const u = new URL(url);
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const service = opts.service || 's3';
  const headers = { host: u.host, ...(opts.headers || {}) };
  if (service === 's3' && headers['x-amz-content-sha256'] === undefined) {
    headers['x-amz-content-sha256'] = crypto.createHash('sha256').update(body || Buffer.alloc(0)).digest('hex');
  }
  const creds = opts.credentials || ROOT;
  const request = { method: opts.method || 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: opts.path || '/', query: opts.query || {}, headers, body };
  let signed = request;
  if (!opts.unsigned) {
    const signer = new SignatureV4({ credentials: creds, region: opts.region || REGION, service, sha256: NodeSha256, uriEscapePath: service !== 's3', applyChecksum: service === 's3' });
    signed = await signer.sign(request, { signingDate: opts.signingDate || new Date() });
  }
  if (opts.tamper) opts.tamper(signed);
  const sendBody = signed.body === undefined ? undefined : Buffer.from(signed.body);
  const qs = Object.entries(signed.query || {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, method: signed.method, path: signed.path + (qs ? `?${qs}` : ''),
      headers: { ...signed.headers, ...(sendBody ? { 'content-length': String(sendBody.length) } : {}) }, agent: opts.agent || agent,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (sendBody) req.end(sendBody); else req.end();
  });
}

// <Code>X</Code> from an error body.
function errorCode(body) {
  const m = /<Code>([^<]*)<\/Code>/.exec(body);
  return m ? m[1] : null;
}

function md5b64(buf) { return crypto.createHash('md5').update(buf).digest('base64'); }

module.exports = { startDouble, clientConfig, rawRequest, errorCode, md5b64, ROOT, REGION, ACCOUNT, NodeSha256 };
