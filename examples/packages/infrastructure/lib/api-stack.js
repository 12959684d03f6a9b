// SPDX-License-Identifier: Apache-2.0
// The API: a Lambda function (code from ../lambda) behind a REST API.
'use strict';
const path = require('node:path');
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const apigw = require('aws-cdk-lib/aws-apigateway');

class ApiStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const { config, version } = props;
    const fn = new lambda.Function(this, 'Handler', {
      runtime: new lambda.Runtime(config.lambda.runtime, lambda.RuntimeFamily.NODEJS),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda')),
      memorySize: config.lambda.memorySize,
      timeout: cdk.Duration.seconds(config.lambda.timeout),
      reservedConcurrentExecutions: config.lambda.reservedConcurrency,
      // The release the health check expects to see.
      environment: { APP_VERSION: version },
    });
    // A REST API: aws-cdk-lib 2.276.0's HttpApi cannot synthesize a route
    // ("section 'Resources' already contains '...Route...'").
    this.api = new apigw.LambdaRestApi(this, 'RestApi', {
      handler: fn,
      restApiName: props.apiName,
      // The account-wide AWS::ApiGateway::Account is not this app's to own.
      cloudWatchRole: false,
      deployOptions: { stageName: 'prod' },
    });
    new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }
}

module.exports = { ApiStack };
