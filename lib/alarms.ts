/**
 * CloudWatch alarms: only what an operator acts on, each on one metric (an alarm bills per
 * metric it reads: docs/cost.md), all notifying one SNS topic, created here unless one is given.
 *
 * - the API answered 5xx: covers the request Lambdas' errors, throttles and timeouts and the
 *   authorizers' failures, which API Gateway turns into 5xx answers;
 * - the upload service answered 5xx, or has no healthy task;
 * - the event relay is behind (stream iterator age) or has parked records (dead-letter queue);
 * - a push's scan failed for good (the scan rule's dead-letter queue).
 *
 * Per-function error and throttle alarms were dropped: they cost $0.10 a function each and
 * repeat what the API's 5xx says. CloudFront's own metrics live in us-east-1 only and are not
 * alarmed here.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

const PERIOD = Duration.minutes(5);

export interface RegistryAlarmsProps {
  readonly api: apigateway.RestApi;
  readonly streamConsumer: lambda.IFunction;
  /** Dead-letter queues whose first message is an alarm (stream records, scan requests). */
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly uploadTargetGroup?: elbv2.ApplicationTargetGroup;
  /** @default - a new topic */
  readonly topic?: sns.ITopic;
  /** Subscribe this address to the topic the construct creates. @default - no subscription */
  readonly email?: string;
}

export class RegistryAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Where every alarm (and its return to OK) goes. */
  readonly topic: sns.ITopic;

  constructor(scope: Construct, id: string, props: RegistryAlarmsProps) {
    super(scope, id);
    if (props.topic) {
      this.topic = props.topic;
    } else {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'Stowage alarms', enforceSSL: true });
      // cdk-nag: the topic carries alarm state changes only (names and thresholds), no registry data.
      acknowledge(topic, { 'AwsSolutions-SNS2': 'alarm notifications hold no registry data; a KMS key would add $1 a month to the idle cost' });
      this.topic = topic;
    }
    if (props.email) (this.topic as sns.Topic).addSubscription(new subscriptions.EmailSubscription(props.email));
    const action = new actions.SnsAction(this.topic);

    const add = (
      alarmId: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparison = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `Stowage: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: comparison,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };

    add('Api5xx', 'API Gateway answered 5xx (5 or more in 5 minutes)', props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5);
    add('StreamIteratorAge', 'stream consumer is more than a minute behind', props.streamConsumer.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }), 60_000);
    for (const { name, queue } of props.deadLetterQueues) {
      add(`${name}DeadLetters`, `${name}: failed for good (dead-letter queue)`, queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1);
    }
    if (props.uploadTargetGroup) {
      add(
        'Upload5xx',
        'upload service answered 5xx (5 or more in 5 minutes)',
        props.uploadTargetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: PERIOD, statistic: 'Sum' }),
        5,
      );
      add(
        'UploadNoHealthyTask',
        'the upload service has no healthy task (pushes of real layers fail)',
        props.uploadTargetGroup.metrics.healthyHostCount({ period: PERIOD, statistic: 'Minimum' }),
        1,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
    }
  }
}
