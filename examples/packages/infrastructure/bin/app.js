#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// The Goal Mandala infrastructure: four stacks, deployed in this order.
//
//   GoalMandala-Frontend    S3 bucket + CloudFront distribution for the site
//   GoalMandala-Api         Lambda (code from lambda/) + REST API
//   GoalMandala-Monitoring  alarms: error rate, p99 latency, DB connection errors
//   GoalMandala-Trail       CloudTrail trail and its bucket
//
//   APP_ENV=production APP_VERSION=v1 node bin/app.js    (writes cdk.out/)
//
// APP_ENV (or context `config`) picks config/<name>.json (default
// production); APP_VERSION (default GITHUB_SHA, then "dev") is the release
// the API reports at /health. CDK_OUTDIR overrides the output folder.
'use strict';
const path = require('node:path');
const cdk = require('aws-cdk-lib');
const { loadConfig } = require('../lib/config');
const { FrontendStack } = require('../lib/frontend-stack');
const { ApiStack } = require('../lib/api-stack');
const { MonitoringStack } = require('../lib/monitoring-stack');
const { TrailStack } = require('../lib/trail-stack');

// Builds the app for one config; returns the App and its stacks.
function buildApp({ configName, version, outdir, context } = {}) {
  const app = new cdk.App({ outdir, context });
  const config = loadConfig(configName || app.node.tryGetContext('config') || 'production');
  const env = { account: config.accountId, region: config.region };
  const apiName = 'GoalMandala-Api';

  const frontend = new FrontendStack(app, 'GoalMandala-Frontend', { env, config });
  const api = new ApiStack(app, 'GoalMandala-Api', { env, config, version, apiName });
  const monitoring = new MonitoringStack(app, 'GoalMandala-Monitoring', { env, config, apiName });
  const trail = new TrailStack(app, 'GoalMandala-Trail', { env, config });
  api.addStackDependency(frontend);
  monitoring.addStackDependency(api);
  cdk.Tags.of(app).add('app', 'goal-mandala');
  cdk.Tags.of(app).add('environment', config.environment);
  return { app, config, stacks: { frontend, api, monitoring, trail } };
}

module.exports = { buildApp };

if (require.main === module) {
  const { app } = buildApp({
    configName: process.env.APP_ENV,
    version: process.env.APP_VERSION || process.env.GITHUB_SHA || 'dev',
    outdir: process.env.CDK_OUTDIR || path.join(__dirname, '..', 'cdk.out'),
  });
  app.synth();
}
