// SPDX-License-Identifier: Apache-2.0
// The demo API's handler: answers every request with the deployed version.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: true, version: process.env.APP_VERSION || 'dev', path: event.rawPath || event.path || '/' }),
});
