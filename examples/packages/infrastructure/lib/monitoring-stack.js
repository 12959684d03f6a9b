// SPDX-License-Identifier: Apache-2.0
// The three alarms the deploy watches: API error rate, API p99 latency and
// database connection errors; each notifies the on-call address.
'use strict';
const cdk = require('aws-cdk-lib');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const actions = require('aws-cdk-lib/aws-cloudwatch-actions');
const sns = require('aws-cdk-lib/aws-sns');
const subs = require('aws-cdk-lib/aws-sns-subscriptions');

class MonitoringStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const { config, apiName } = props;
    const m = config.monitoring;
    const period = cdk.Duration.minutes(1);
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Goal Mandala alarms' });
    if (m.alarmEmail) topic.addSubscription(new subs.EmailSubscription(m.alarmEmail));
    const api = (metricName, statistic) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway', metricName, statistic, period, dimensionsMap: { ApiName: apiName },
    });

    const alarms = [
      new cloudwatch.Alarm(this, 'ErrorRate', {
        alarmName: 'GoalMandala-Api-ErrorRate',
        alarmDescription: `API error rate (5xx / requests) over ${m.errorRateThreshold}%`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: { errors: api('5XXError', 'Sum'), requests: api('Count', 'Sum') },
          period,
        }),
        threshold: m.errorRateThreshold,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'Latency', {
        alarmName: 'GoalMandala-Api-Latency',
        alarmDescription: `API p99 latency over ${m.latencyThresholdMs / 1000} s`,
        metric: api('Latency', 'p99'),
        threshold: m.latencyThresholdMs,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DbConnections', {
        alarmName: 'GoalMandala-Db-Connections',
        alarmDescription: 'Database connection errors (a metric the API publishes)',
        metric: new cloudwatch.Metric({
          namespace: 'GoalMandala', metricName: 'DbConnectionErrors', statistic: 'Sum', period,
        }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const a of alarms) a.addAlarmAction(new actions.SnsAction(topic));
    new cdk.CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn });
  }
}

module.exports = { MonitoringStack };
