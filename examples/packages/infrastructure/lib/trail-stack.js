// SPDX-License-Identifier: Apache-2.0
// An audit trail of the account's API calls (every deploy and rollback
// included), kept in its own bucket.
'use strict';
const cdk = require('aws-cdk-lib');
const cloudtrail = require('aws-cdk-lib/aws-cloudtrail');
const s3 = require('aws-cdk-lib/aws-s3');

class TrailStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'TrailBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: cdk.Duration.days(365) }],
    });
    const trail = new cloudtrail.Trail(this, 'Trail', {
      bucket,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
    });
    new cdk.CfnOutput(this, 'TrailArn', { value: trail.trailArn });
  }
}

module.exports = { TrailStack };
