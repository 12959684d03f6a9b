'use strict';
// CloudFront (rest-xml 2020-05-31): invalidations only. An invalidation is
// InProgress until settings.invalidationMs after creation, then Completed;
// in-progress path limits are enforced like CloudFront's.

const crypto = require('node:crypto');
const { AwsError, NS } = require('./errors');
const { el, raw, DECL, parseXml, text } = require('./xml');
const { clock, isoDate, randomId, UPPER_ALNUM } = require('./util');

const MAX_FILE_PATHS = 3000;
const MAX_WILDCARD_PATHS = 15;
const BASE = '/2020-05-31/distribution/';

async function prepare(ctx) {
  await ctx.readBody(1024 * 1024);
  const m = /^\/2020-05-31\/distribution\/([^/]+)(?:\/(invalidation)(?:\/([^/]+))?)?\/?$/.exec(ctx.rawPath);
  let op = 'Unknown';
  if (m) {
    ctx.distributionId = decodeURIComponent(m[1]);
    ctx.invalidationId = m[3] ? decodeURIComponent(m[3]) : null;
    const method = ctx.req.method;
    if (m[2] && !m[3] && method === 'POST') op = 'CreateInvalidation';
    else if (m[2] && !m[3] && method === 'GET') op = 'ListInvalidations';
    else if (m[2] && m[3] && method === 'GET') op = 'GetInvalidation';
  }
  ctx.setOperation(op);
  if (op === 'Unknown') ctx.routeError = new AwsError(404, 'NotImplemented', `The AWS double does not implement ${ctx.req.method} ${ctx.rawPath}`);
}

// A stable fake domain per distribution id (CloudFormation's GetAtt
// DomainName gives the same).
function distributionDomain(id) {
  return 'd' + crypto.createHash('sha256').update(id).digest('hex').slice(0, 13) + '.cloudfront.net';
}

function createDistribution(state, id, bucket, domainName) {
  if (!state.distributions.has(id)) {
    state.distributions.set(id, { id, bucket, domainName: domainName || distributionDomain(id), invalidations: [] });
  }
  return state.distributions.get(id);
}

function status(state, inv) { return clock.now() >= inv.completeAt ? 'Completed' : 'InProgress'; }

function invalidationJson(state, inv) {
  return { id: inv.id, callerReference: inv.callerReference, paths: inv.paths, status: status(state, inv), createTime: isoDate(inv.created) };
}

function invalidationXml(state, inv) {
  const items = inv.paths.map((p) => el('Path', p)).join('');
  return DECL + `<Invalidation xmlns="${NS.cloudfront}">${el('Id', inv.id)}${el('Status', status(state, inv))}${el('CreateTime', isoDate(inv.created))}`
    + `<InvalidationBatch><Paths>${el('Quantity', inv.paths.length)}${inv.paths.length ? raw('Items', items) : ''}</Paths>${el('CallerReference', inv.callerReference)}</InvalidationBatch></Invalidation>`;
}

function needDistribution(ctx) {
  const d = ctx.state.distributions.get(ctx.distributionId);
  if (!d) throw new AwsError(404, 'NoSuchDistribution', 'The specified distribution does not exist.');
  return d;
}

async function handle(ctx) {
  switch (ctx.operation) {
    case 'CreateInvalidation': return createInvalidation(ctx);
    case 'GetInvalidation': return getInvalidation(ctx);
    case 'ListInvalidations': return listInvalidations(ctx);
    default: throw ctx.routeError;
  }
}

function createInvalidation(ctx) {
  const d = needDistribution(ctx);
  const doc = parseXml(ctx.body);
  if (!doc || !doc.InvalidationBatch) throw new AwsError(400, 'MalformedXML', 'The XML document you provided was not well-formed or did not validate against our published schema.');
  const batch = doc.InvalidationBatch;
  const ref = text(batch.CallerReference);
  if (!ref) throw new AwsError(400, 'InvalidArgument', 'CallerReference is required.');
  const pathsEl = batch.Paths || {};
  const quantity = Number(text(pathsEl.Quantity));
  const items = (pathsEl.Items && pathsEl.Items.Path ? pathsEl.Items.Path : []).map((p) => text(p));
  if (!Number.isInteger(quantity) || quantity !== items.length) {
    throw new AwsError(400, 'InconsistentQuantities', 'The value of Quantity and the size of Items don\'t match.');
  }
  if (items.length === 0) throw new AwsError(400, 'InvalidArgument', 'Your request must contain at least one invalidation path.');
  if (items.length > MAX_FILE_PATHS) throw new AwsError(413, 'BatchTooLarge', 'Invalidation batch specified is too large.');
  for (const p of items) {
    if (!p || p.length > 4000) throw new AwsError(400, 'InvalidArgument', 'Your request contains one or more invalid invalidation paths.');
  }
  // Idempotency on CallerReference.
  const same = d.invalidations.find((i) => i.callerReference === ref);
  if (same) {
    if (JSON.stringify(same.paths) === JSON.stringify(items)) return reply(ctx, d, same);
    throw new AwsError(409, 'InvalidationBatchAlreadyExists', `An invalidation batch with the caller reference ${ref} already exists with different paths.`);
  }
  // In-progress limits (per distribution).
  let files = 0; let wild = 0;
  for (const i of d.invalidations) {
    if (status(ctx.state, i) !== 'InProgress') continue;
    for (const p of i.paths) { if (p.includes('*')) wild++; else files++; }
  }
  const newWild = items.filter((p) => p.includes('*')).length;
  if (wild + newWild > MAX_WILDCARD_PATHS) {
    throw new AwsError(400, 'TooManyInvalidationsInProgress', 'Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.');
  }
  if (files + items.length - newWild > MAX_FILE_PATHS) {
    throw new AwsError(400, 'TooManyInvalidationsInProgress', 'Processing your request will cause you to exceed the maximum number of in-progress invalidations.');
  }
  const now = clock.now();
  const inv = { id: 'I' + randomId(UPPER_ALNUM, 25), callerReference: ref, paths: items, created: now, completeAt: now + ctx.state.settings.invalidationMs };
  d.invalidations.push(inv);
  reply(ctx, d, inv);
}

function reply(ctx, d, inv) {
  const location = `http://${ctx.req.headers.host}${BASE}${encodeURIComponent(d.id)}/invalidation/${inv.id}`;
  ctx.sendXml(201, invalidationXml(ctx.state, inv), { location });
}

function getInvalidation(ctx) {
  const d = needDistribution(ctx);
  const inv = d.invalidations.find((i) => i.id === ctx.invalidationId);
  if (!inv) throw new AwsError(404, 'NoSuchInvalidation', 'The specified invalidation does not exist.');
  ctx.sendXml(200, invalidationXml(ctx.state, inv));
}

function listInvalidations(ctx) {
  const d = needDistribution(ctx);
  const maxItems = ctx.query.MaxItems !== undefined ? Math.max(1, Math.min(100, Number(ctx.query.MaxItems) || 100)) : 100;
  const marker = typeof ctx.query.Marker === 'string' ? ctx.query.Marker : '';
  const all = d.invalidations.slice().reverse(); // newest first, as CloudFront lists them
  let start = 0;
  if (marker) { const i = all.findIndex((x) => x.id === marker); start = i < 0 ? all.length : i + 1; }
  const page = all.slice(start, start + maxItems);
  const truncated = start + page.length < all.length;
  const items = page.map((i) => raw('InvalidationSummary', el('Id', i.id) + el('CreateTime', isoDate(i.created)) + el('Status', status(ctx.state, i)))).join('');
  ctx.sendXml(200, DECL + `<InvalidationList xmlns="${NS.cloudfront}">${el('Marker', marker)}${truncated ? el('NextMarker', page[page.length - 1].id) : ''}${el('MaxItems', maxItems)}${el('IsTruncated', truncated ? 'true' : 'false')}${el('Quantity', page.length)}${page.length ? raw('Items', items) : ''}</InvalidationList>`);
}

module.exports = { protocol: 'cloudfront', authKind: () => 'query', prepare, handle, createDistribution, distributionDomain, invalidationJson };
