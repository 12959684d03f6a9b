'use strict';
// CloudFront conformance: invalidations, idempotency, limits, completion.

const test = require('node:test');
const assert = require('node:assert/strict');
const CF = require('@aws-sdk/client-cloudfront');
const { startDouble, clientConfig } = require('./helpers');

let d; let cf;
test.before(async () => {
  d = await startDouble();
  cf = new CF.CloudFrontClient(clientConfig(d.url));
  await d.seed({ buckets: ['site'], distributions: [{ id: 'E2EXAMPLE', bucket: 'site' }], invalidationMs: 300 });
});
test.after(async () => { assert.equal(await d.stop(), 0); });

const batch = (ref, paths) => ({ DistributionId: 'E2EXAMPLE', InvalidationBatch: { CallerReference: ref, Paths: { Quantity: paths.length, Items: paths } } });

test('CreateInvalidation returns 201 with Location; Get goes InProgress -> Completed', async () => {
  const r = await cf.send(new CF.CreateInvalidationCommand(batch('ref-1', ['/index.html', '/assets/*'])));
  assert.equal(r.$metadata.httpStatusCode, 201);
  assert.match(r.Location, new RegExp(`/2020-05-31/distribution/E2EXAMPLE/invalidation/${r.Invalidation.Id}$`));
  assert.match(r.Invalidation.Id, /^I[A-Z0-9]+$/);
  assert.equal(r.Invalidation.Status, 'InProgress');
  assert.deepEqual(r.Invalidation.InvalidationBatch.Paths.Items, ['/index.html', '/assets/*']);
  assert.ok(r.Invalidation.CreateTime instanceof Date);
  const g1 = await cf.send(new CF.GetInvalidationCommand({ DistributionId: 'E2EXAMPLE', Id: r.Invalidation.Id }));
  assert.equal(g1.Invalidation.Status, 'InProgress');
  await new Promise((res) => setTimeout(res, 350));
  const g2 = await cf.send(new CF.GetInvalidationCommand({ DistributionId: 'E2EXAMPLE', Id: r.Invalidation.Id }));
  assert.equal(g2.Invalidation.Status, 'Completed');
  const list = await cf.send(new CF.ListInvalidationsCommand({ DistributionId: 'E2EXAMPLE' }));
  assert.equal(list.InvalidationList.Quantity, 1);
  assert.equal(list.InvalidationList.Items[0].Id, r.Invalidation.Id);
  assert.equal(list.InvalidationList.Items[0].Status, 'Completed');
  const st = await d.state();
  assert.deepEqual(st.distributions.E2EXAMPLE.invalidations[0].paths, ['/index.html', '/assets/*']);
  assert.equal(st.distributions.E2EXAMPLE.invalidations[0].callerReference, 'ref-1');
});

test('CallerReference idempotency', async () => {
  const a = await cf.send(new CF.CreateInvalidationCommand(batch('ref-2', ['/a'])));
  const b = await cf.send(new CF.CreateInvalidationCommand(batch('ref-2', ['/a'])));
  assert.equal(a.Invalidation.Id, b.Invalidation.Id);
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand(batch('ref-2', ['/b']))), (e) => (e.Code || e.name) === 'InvalidationBatchAlreadyExists');
});

test('errors: NoSuchDistribution, InconsistentQuantities, NoSuchInvalidation', async () => {
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand({ ...batch('r', ['/a']), DistributionId: 'ENOPE' })), (e) => e.name === 'NoSuchDistribution' && e.$metadata.httpStatusCode === 404);
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand({ DistributionId: 'E2EXAMPLE', InvalidationBatch: { CallerReference: 'q', Paths: { Quantity: 3, Items: ['/a'] } } })), { name: 'InconsistentQuantities' });
  await assert.rejects(cf.send(new CF.GetInvalidationCommand({ DistributionId: 'E2EXAMPLE', Id: 'INOPE' })), { name: 'NoSuchInvalidation' });
});

test('in-progress limits: 15 wildcard paths, 3000 file paths', async () => {
  await d.seed({ distributions: [{ id: 'ELIMITS' }], invalidationMs: 60000 });
  const stars = Array.from({ length: 15 }, (_, i) => `/w${i}/*`);
  await cf.send(new CF.CreateInvalidationCommand({ ...batch('w-1', stars), DistributionId: 'ELIMITS' }));
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand({ ...batch('w-2', ['/more/*']), DistributionId: 'ELIMITS' })), (e) => e.name === 'TooManyInvalidationsInProgress' && e.$metadata.httpStatusCode === 400);
  const files = Array.from({ length: 3000 }, (_, i) => `/f/${i}.html`);
  await cf.send(new CF.CreateInvalidationCommand({ ...batch('f-1', files), DistributionId: 'ELIMITS' }));
  await assert.rejects(cf.send(new CF.CreateInvalidationCommand({ ...batch('f-2', ['/one-more.html']), DistributionId: 'ELIMITS' })), { name: 'TooManyInvalidationsInProgress' });
  await d.seed({ invalidationMs: 300 });
});
