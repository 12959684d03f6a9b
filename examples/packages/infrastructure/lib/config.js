// SPDX-License-Identifier: Apache-2.0
// Reads config/<environment>.json: the same file airlock reads. The app uses
// environment, region, accountId, lambda and monitoring; airlock uses
// environment, region, accountId and the deploy section. vpc and database
// describe the data tier, which this example leaves out.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function loadConfig(name) {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new Error(`config name '${name}': use lower-case letters, digits and -`);
  }
  const file = path.join(__dirname, '..', 'config', `${name}.json`);
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const key of ['environment', 'region', 'accountId', 'lambda', 'monitoring']) {
    if (cfg[key] === undefined) throw new Error(`${file}: '${key}' is missing`);
  }
  if (!/^\d{12}$/.test(cfg.accountId)) throw new Error(`${file}: accountId must be 12 digits`);
  return { ...cfg, file };
}

module.exports = { loadConfig };
