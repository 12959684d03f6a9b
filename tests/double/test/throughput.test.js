'use strict';
// Throughput: the double must not be the bottleneck of a site sync.
// 2,000 signed 1 KiB PUTs with 64 in flight must finish in under 5 s.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const { startDouble, rawRequest } = require('./helpers');

test('2,000 signed 1 KiB PUTs at 64 in flight complete in under 5 s', async () => {
  const d = await startDouble({ DOUBLE_LATENCY_MS: '0' });
  try {
    await d.seed({ buckets: ['bench'] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const body = crypto.randomBytes(1024);
    const total = 2000;
    let next = 0;
    let failures = 0;
    const t0 = process.hrtime.bigint();
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const r = await rawRequest(d.url, { method: 'PUT', path: `/bench/assets/file-${i}.bin`, body, agent, headers: { 'content-type': 'application/octet-stream' } });
        if (r.status !== 200) failures++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    agent.destroy();
    console.log(`# throughput: ${total} PUTs in ${seconds.toFixed(2)} s (${Math.round(total / seconds)}/s)`);
    assert.equal(failures, 0);
    assert.ok(seconds < 5, `took ${seconds.toFixed(2)} s`);
    const st = await d.state();
    assert.equal(Object.keys(st.buckets.bench.objects).length, total);
    const calls = (await d.calls()).filter((c) => c.operation === 'PutObject');
    assert.equal(calls.length, total);
    assert.ok(new Set(calls.map((c) => c.connectionId)).size <= 64);
  } finally {
    await d.stop();
  }
});
