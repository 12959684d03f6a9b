#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// The CDK app airlock's assembly suite synthesizes, and the example app's
// infrastructure: AirlockDemo-Frontend (S3 bucket + CloudFront distribution)
// and AirlockDemo-Api (Lambda from ./lambda, a REST API, three alarms), the
// API depending on the frontend. It uses the default stack synthesizer
// (qualifier hnb659fds), so the assembly carries asset manifests, deploy
// roles and requiresBootstrapStackVersion, as a real project's does.
//
//   CDK_OUTDIR=/tmp/cdk.out node app.js
//
// Environment:
//   CDK_OUTDIR            where to write the assembly (App reads it; default cdk.out)
//   CDK_DEFAULT_REGION    the region (default ap-northeast-1)
//   AIRLOCK_ACCOUNT       the account (default 123456789012, the AWS double's)
//   AIRLOCK_BIG_TEMPLATE  "1": pads the API template past 51,200 bytes so a
//                         deploy must pass it as TemplateURL
//   AIRLOCK_ENV_AGNOSTIC  "1": no env (aws://unknown-account/unknown-region),
//                         so roles and buckets keep ${AWS::AccountId} etc.
//   AIRLOCK_LOOKUP        "1": the frontend reads an SSM parameter by context
//                         lookup, which cannot run without credentials, so the
//                         assembly lists it under `missing`
'use strict';

const path = require('path');
const cdk = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const cloudfront = require('aws-cdk-lib/aws-cloudfront');
const origins = require('aws-cdk-lib/aws-cloudfront-origins');
const lambda = require('aws-cdk-lib/aws-lambda');
const apigw = require('aws-cdk-lib/aws-apigateway');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const ssm = require('aws-cdk-lib/aws-ssm');

const env = process.env.AIRLOCK_ENV_AGNOSTIC === '1' ? undefined : {
  account: process.env.AIRLOCK_ACCOUNT || '123456789012',
  region: process.env.CDK_DEFAULT_REGION || 'ap-northeast-1',
};
const bigTemplate = process.env.AIRLOCK_BIG_TEMPLATE === '1';

class FrontendStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'SiteBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      },
      defaultRootObject: 'index.html',
    });
    if (process.env.AIRLOCK_LOOKUP === '1') {
      new cdk.CfnOutput(this, 'LookedUp', {
        value: ssm.StringParameter.valueFromLookup(this, '/airlock-demo/lookup'),
      });
    }
    new cdk.CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new cdk.CfnOutput(this, 'DistributionId', { value: distribution.distributionId });
    new cdk.CfnOutput(this, 'DistributionDomainName', { value: distribution.distributionDomainName });
  }
}

class ApiStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const fn = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'lambda')),
      memorySize: 128,
      timeout: cdk.Duration.seconds(10),
    });
    // A REST API: aws-cdk-lib 2.276.0's HttpApi fails to synthesize any
    // route ("section 'Resources' already contains '...Route...'").
    const api = new apigw.LambdaRestApi(this, 'RestApi', {
      handler: fn,
      restApiName: 'AirlockDemo-Api',
      // The account-wide AWS::ApiGateway::Account is not this app's to own.
      cloudWatchRole: false,
      deployOptions: { stageName: 'prod' },
    });
    const period = cdk.Duration.minutes(1);

    // Error rate = 5xx / requests, in percent.
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: api.metricServerError({ statistic: 'Sum', period }),
        requests: api.metricCount({ statistic: 'Sum', period }),
      },
      period,
    });
    new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
      alarmName: 'AirlockDemo-Api-ErrorRate',
      alarmDescription: 'API error rate over 5%',
      metric: errorRate, threshold: 5, evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new cloudwatch.Alarm(this, 'LatencyAlarm', {
      alarmName: 'AirlockDemo-Api-Latency',
      alarmDescription: 'API p99 latency over 2 s',
      metric: api.metricLatency({ statistic: 'p99', period }),
      threshold: 2000, evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new cloudwatch.Alarm(this, 'DbConnectionsAlarm', {
      alarmName: 'AirlockDemo-Db-Connections',
      alarmDescription: 'Database connection errors (custom metric published by the app)',
      metric: new cloudwatch.Metric({
        namespace: 'AirlockDemo', metricName: 'DbConnectionErrors',
        statistic: 'Sum', period,
      }),
      threshold: 0, evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (bigTemplate) {
      // Parameters carry no cost and no deploy-time behaviour; 40 of them
      // with long descriptions push the template well past 51,200 bytes.
      for (let i = 0; i < 40; i++) {
        new ssm.StringParameter(this, `Pad${i}`, {
          parameterName: `/airlock-demo/pad/${i}`,
          stringValue: 'x'.repeat(64),
          description: `Padding parameter ${i}: `.padEnd(1000, 'airlock '),
        });
      }
    }

    new cdk.CfnOutput(this, 'ApiUrl', { value: api.url });
  }
}

const app = new cdk.App();
const frontend = new FrontendStack(app, 'AirlockDemo-Frontend', { env });
const api = new ApiStack(app, 'AirlockDemo-Api', { env });
api.addStackDependency(frontend);
app.synth();
