/**
 * CloudWatch alarms: server errors and throttles where they show. CloudFront's own metrics live
 * in us-east-1 only and are not alarmed here.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** CloudWatch allows at most 10 metrics in one alarm's math expression. */
const MAX_METRICS_PER_ALARM = 10;
const PERIOD = Duration.minutes(5);

export interface RegistryAlarmsProps {
  readonly api: apigateway.RestApi;
  readonly functions: readonly lambda.IFunction[];
  readonly streamConsumer: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly table: dynamodb.ITable;
  readonly uploadTargetGroup?: elbv2.ApplicationTargetGroup;
  readonly topic?: sns.ITopic;
}

export class RegistryAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RegistryAlarmsProps) {
    super(scope, id);
    const add = (alarmId: string, description: string, metric: cloudwatch.IMetric, threshold: number) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `Stowage: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.topic) alarm.addAlarmAction(new actions.SnsAction(props.topic));
      this.alarms.push(alarm);
    };
    const sumOf = (metrics: cloudwatch.IMetric[], label: string) =>
      new cloudwatch.MathExpression({
        expression: metrics.map((_, i) => `m${i}`).join(' + '),
        usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
        label,
        period: PERIOD,
      });

    add('Api5xx', 'API Gateway answered 5xx (5 or more in 5 minutes)', props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5);

    const all = [...props.functions, props.streamConsumer];
    for (let i = 0; i < all.length; i += MAX_METRICS_PER_ALARM) {
      const group = all.slice(i, i + MAX_METRICS_PER_ALARM);
      const n = i / MAX_METRICS_PER_ALARM + 1;
      add(
        `LambdaThrottles${n}`,
        `Lambda throttles (functions group ${n})`,
        sumOf(
          group.map((f) => f.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
          'throttles',
        ),
        1,
      );
      add(
        `LambdaErrors${n}`,
        `Lambda errors (functions group ${n})`,
        sumOf(
          group.map((f) => f.metricErrors({ period: PERIOD, statistic: 'Sum' })),
          'errors',
        ),
        5,
      );
    }

    add('StreamIteratorAge', 'stream consumer is more than a minute behind', props.streamConsumer.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }), 60_000);
    add(
      'StreamDeadLetters',
      'stream records failed for good (dead-letter queue)',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      1,
    );
    add(
      'TableThrottles',
      'DynamoDB throttled requests',
      sumOf(
        [props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }), props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' })],
        'throttle events',
      ),
      1,
    );
    if (props.uploadTargetGroup) {
      add(
        'Upload5xx',
        'upload service answered 5xx (5 or more in 5 minutes)',
        props.uploadTargetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: PERIOD, statistic: 'Sum' }),
        5,
      );
      add('UploadUnhealthy', 'an upload task is unhealthy', props.uploadTargetGroup.metrics.unhealthyHostCount({ period: PERIOD, statistic: 'Maximum' }), 1);
    }
  }
}
