// SPDX-License-Identifier: Apache-2.0
// The Goal Mandala API (a stand-in for the real one). GET /health answers
// the release version that built it, which the deploy's health check
// compares with the version being deployed.
'use strict';

const VERSION = process.env.APP_VERSION || 'dev';

exports.handler = async (event) => {
  const path = event.path || event.rawPath || '/';
  const json = (statusCode, body) => ({
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  });
  if (path === '/health') return json(200, { status: 'ok', version: VERSION });
  if (path === '/goals') return json(200, { goals: [] });
  return json(404, { error: `no route for ${path}` });
};
