'use strict';
// The non-AWS endpoints a deploy touches: a Slack incoming-webhook sink, a
// site origin serving the bucket's objects (what a CDN would fetch), and an
// app health endpoint driven by a version file in the bucket.

const { AwsError } = require('./errors');
const s3 = require('./s3');

function route(ctx) {
  const p = ctx.rawPath;
  const m = ctx.req.method;
  let op = 'Unknown';
  if (p.startsWith('/__slack/') && m === 'POST') op = 'PostWebhook';
  else if (p.startsWith('/__site/') && (m === 'GET' || m === 'HEAD')) op = 'GetSiteObject';
  else if (p === '/__app/health' && (m === 'GET' || m === 'HEAD')) op = 'GetHealth';
  ctx.setOperation(op);
}

async function handle(ctx) {
  switch (ctx.operation) {
    case 'PostWebhook': return slack(ctx);
    case 'GetSiteObject': return site(ctx);
    case 'GetHealth': return health(ctx);
    default: throw new AwsError(404, 'NotFound', 'Not Found');
  }
}

function plain(ctx, status, body, headers = {}) {
  if (status >= 400) ctx.call.code = body;
  ctx.send(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }, body);
}

async function slack(ctx) {
  const body = await ctx.readBody(1024 * 1024);
  const script = ctx.state.script;
  if (script.slack429 > 0) {
    script.slack429--;
    return plain(ctx, 429, 'rate_limited', { 'retry-after': String(script.slackRetryAfter) });
  }
  let payload;
  try { payload = JSON.parse(body.toString('utf8')); } catch { return plain(ctx, 400, 'invalid_payload'); }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return plain(ctx, 400, 'invalid_payload');
  // Slack refuses a message with nothing to show.
  if (!payload.text && !payload.blocks && !payload.attachments) return plain(ctx, 400, 'no_text');
  ctx.state.slack.push(payload);
  plain(ctx, 200, 'ok');
}

async function site(ctx) {
  const m = /^\/__site\/([^/]+)(?:\/(.*))?$/.exec(ctx.rawPath);
  if (!m) return plain(ctx, 404, 'Not Found');
  let bucket; let key;
  try {
    bucket = decodeURIComponent(m[1]);
    key = decodeURIComponent(m[2] || '');
  } catch { return plain(ctx, 400, 'Bad Request'); }
  if (key === '' || key.endsWith('/')) key += 'index.html';
  ctx.call.bucket = bucket;
  ctx.call.key = key;
  const b = ctx.state.buckets.get(bucket);
  const obj = b && b.objects.get(key);
  if (!obj) return plain(ctx, 404, 'Not Found');
  const h = s3.objectResponseHeaders(obj);
  const headers = {
    'content-type': h['content-type'], 'cache-control': h['cache-control'], etag: h.etag,
    'content-encoding': h['content-encoding'], 'last-modified': h['last-modified'],
    'content-disposition': h['content-disposition'],
  };
  const pre = s3.readPreconditions(ctx, obj);
  if (pre === 304) return ctx.send(304, { etag: obj.etag, 'cache-control': h['cache-control'] }, null);
  if (pre === 412) return plain(ctx, 412, 'Precondition Failed');
  headers['content-length'] = String(obj.size);
  if (ctx.req.method === 'HEAD') return ctx.send(200, headers, null);
  ctx.send(200, headers, ctx.state.blobs.stream(obj.segments, 0, obj.size - 1));
}

async function health(ctx) {
  const app = ctx.state.app;
  const json = (status, body) => {
    if (status >= 400) ctx.call.code = body.status;
    ctx.send(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(body));
  };
  if (!app) return json(503, { status: 'unavailable', error: 'no app seeded' });
  const found = await s3.readObject(ctx.state, app.bucket, app.versionKey, 1024 * 1024).catch(() => null);
  if (!found) return json(503, { status: 'unavailable', error: `s3://${app.bucket}/${app.versionKey} is missing` });
  let version;
  try { version = JSON.parse(found.body.toString('utf8')).version; } catch { return json(503, { status: 'unavailable', error: 'version file is not JSON' }); }
  if (ctx.state.script.failVersions.has(version)) return json(500, { status: 'error', version });
  json(200, { status: 'ok', version });
}

module.exports = { route, handle };
