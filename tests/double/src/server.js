'use strict';
// The HTTP front: accepts connections (numbered for the call log), routes
// control/OIDC/Slack/site/app paths, and runs every AWS call through
// route -> faults -> SigV4 verification -> handler.

const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Ctx } = require('./context');
const { State } = require('./state');
const { Faults } = require('./faults');
const { AwsError } = require('./errors');
const { parseAuthorization, verify } = require('./sigv4');
const { sleep } = require('./util');
const oidc = require('./oidc');
const web = require('./web');
const control = require('./control');

const services = {
  s3: require('./s3'),
  cloudfront: require('./cloudfront'),
  cloudformation: require('./cloudformation'),
  sts: require('./sts'),
  monitoring: require('./cloudwatch'),
  ssm: require('./ssm'),
};

class Double {
  constructor({ port = 0, host = '127.0.0.1', dataDir = null, latencyMs = 0 } = {}) {
    // Always a fresh directory of our own (inside dataDir when given), so
    // wiping it can never touch anything else; removed at close.
    const parent = dataDir || os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    this.dataDir = fs.mkdtempSync(path.join(parent, 'aws-double-'));
    this.state = new State(this.dataDir);
    this.faults = new Faults(this.state, latencyMs);
    this.oidc = oidc.createIssuer();
    this.port = port;
    this.host = host;
    this.server = http.createServer({ requestTimeout: 0, keepAlive: true }, (req, res) => {
      this.handle(req, res).catch((e) => console.error('double: unexpected error:', e));
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
    this.server.on('connection', (sock) => {
      sock.doubleConnectionId = ++this.state.connectionsTotal;
    });
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  close() {
    return new Promise((resolve) => {
      this.state.reset(); // stops timers and workflows
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).finally(() => this.removeDataDir());
  }

  removeDataDir() {
    try { this.state.wipeFiles(); } catch { /* best effort */ }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  async handle(req, res) {
    const ctx = new Ctx(this, req, res);
    try {
      if (ctx.rawPath.startsWith('/__')) await this.special(ctx);
      else await this.aws(ctx);
    } catch (e) {
      if (!ctx.replied && req.socket && !req.socket.destroyed) ctx.sendError(e);
      else if (!(e instanceof AwsError)) console.error("double: error after reply:", e);
    }
  }

  async special(ctx) {
    ctx.protocol = 'plain';
    const p = ctx.rawPath;
    const route = /^\/__(control|oidc|slack|site|app)(\/|$)/.exec(p);
    if (!route) throw new AwsError(404, 'NotFound', 'Not Found');
    const name = route[1];
    ctx.setService(name);
    if (name === 'control') return control.handle(ctx);
    const handler = name === 'oidc' ? oidc : web;
    handler.route(ctx);
    if (!(await this.applyFaults(ctx))) return;
    return handler.handle(ctx);
  }

  // Returns false when the call was swallowed by a reset.
  async applyFaults(ctx) {
    const f = this.faults.evaluate(ctx.service, ctx.operation);
    if (f.names.length) ctx.call.fault = f.names.join(',');
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    if (f.reset === 'before') {
      ctx.replied = true;
      ctx.call.status = 0;
      ctx.req.socket.destroy();
      return false;
    }
    if (f.reset === 'after') ctx.resetAfter = true;
    if (f.error) throw f.error;
    return true;
  }

  async aws(ctx) {
    const req = ctx.req;
    const auth = parseAuthorization(req.headers.authorization);
    let service = auth && auth.service;
    if (!service) service = await guessUnsignedService(ctx);
    const mod = services[service];
    ctx.setService(service);
    if (!mod) {
      ctx.protocol = req.headers['x-amz-target'] ? 'json' : 'query';
      throw new AwsError(400, 'InvalidAction', `The AWS double does not implement the service '${service}'.`);
    }
    ctx.protocol = mod.protocol;
    await mod.prepare(ctx); // sets operation (and protocol details); may read a small body
    if (!(await this.applyFaults(ctx))) return;
    if (!ctx.noAuth) {
      if (ctx.preAuthError) throw ctx.preAuthError;
      await verify(ctx, auth, { kind: mod.authKind(ctx), body: ctx.body });
    }
    if (ctx.routeError) throw ctx.routeError;
    await mod.handle(ctx);
  }
}

// Unsigned requests carry no credential scope. The one legitimate case is
// STS AssumeRoleWithWebIdentity (a form POST); others are guessed only to
// answer in a plausible shape.
async function guessUnsignedService(ctx) {
  const h = ctx.req.headers;
  const target = h['x-amz-target'] || '';
  if (target.startsWith('AmazonSSM.')) return 'ssm';
  if (target.startsWith('GraniteServiceVersion20100801.')) return 'monitoring';
  if ((h['content-type'] || '').startsWith('application/x-www-form-urlencoded')) {
    const body = await ctx.readBody(1024 * 1024);
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    if (action === 'AssumeRoleWithWebIdentity' || action === 'GetCallerIdentity' || action === 'AssumeRole') return 'sts';
    if (action === 'DescribeAlarms' || action === 'SetAlarmState' || action === 'PutMetricAlarm') return 'monitoring';
    return 'cloudformation';
  }
  if (ctx.rawPath.startsWith('/2020-05-31/')) return 'cloudfront';
  if (ctx.query.Action) return ctx.query.Action === 'AssumeRoleWithWebIdentity' ? 'sts' : 'cloudformation';
  return 's3';
}

module.exports = { Double };
