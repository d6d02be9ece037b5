/**
 * Events: the registry Lambdas write each event the core emits as an outbox item in the
 * metadata table before they answer; the table's stream carries the items' INSERT records to a
 * consumer Lambda (lambdas/stream-events.ts) that relays them to a custom EventBridge bus, source
 * `stowage`, detail shaped like ECR's "ECR Image Action" (src/core/event-payload.ts). The event
 * source mapping's filter passes only outbox INSERTs, so the consumer is not invoked for the
 * table's other writes. Failed records are retried (partial batch responses, bisection), then
 * land in a dead-letter queue. A rule starts a scan on every push: it invokes the example
 * scan-on-push Lambda (lambdas/scan-on-push.ts, which users replace with their scanner), with
 * retries and a dead-letter queue of its own so a failing scanner loses no push.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTBOX_PK_PREFIX } from '../src/adapters/aws/dynamodb-keys.js';
import { settingsEnvironment } from '../src/config/settings.js';
import { DEFAULT_DETAIL_TYPE, EVENT_SOURCE } from '../src/core/event-payload.js';
import { queueDefaults } from './defaults.js';
import { acknowledge } from './nag.js';
import type { FunctionFactory } from './functions.js';
import type { RegistryTable } from './table.js';

export interface RegistryEventsProps {
  readonly factory: FunctionFactory;
  readonly entryDirectory: string;
  readonly table: RegistryTable;
}

export class RegistryEvents extends Construct {
  readonly bus: events.EventBus;
  readonly consumer: nodejs.NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;
  /** Invoked with each push event (the example scanner). */
  readonly scanner: nodejs.NodejsFunction;
  /** Push events the scanner could not take after EventBridge's retries. */
  readonly scanDeadLetterQueue: sqs.Queue;
  readonly pushRule: events.Rule;

  constructor(scope: Construct, id: string, props: RegistryEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Stowage registry push and delete events (source "stowage")' });
    this.deadLetterQueue = new sqs.Queue(this, 'StreamDeadLetters', queueDefaults());
    this.consumer = props.factory.create(this, 'StreamConsumer', {
      entry: join(props.entryDirectory, 'stream-events.ts'),
      description: 'Stowage: DynamoDB stream (event outbox items) -> EventBridge',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: settingsEnvironment({ eventBus: this.bus.eventBusName, eventDetailType: DEFAULT_DETAIL_TYPE }),
    });
    this.bus.grantPutEventsTo(this.consumer);
    this.consumer.addEventSource(
      new sources.DynamoEventSource(props.table.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // One batch at a time per shard keeps a tag's changes in order.
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(this.deadLetterQueue),
        // Only outbox INSERTs are events (src/adapters/aws/stream-events.ts); the rest never invoke the consumer.
        filters: [
          lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT'), dynamodb: { Keys: { PK: { S: lambda.FilterRule.beginsWith(OUTBOX_PK_PREFIX) } } } }),
        ],
      }),
    );

    this.scanner = props.factory.create(this, 'ScanOnPush', {
      entry: join(props.entryDirectory, 'scan-on-push.ts'),
      description: 'Stowage: scan on push (example target of the push rule; replace with your scanner)',
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    this.scanDeadLetterQueue = new sqs.Queue(this, 'ScanDeadLetters', queueDefaults());
    this.pushRule = new events.Rule(this, 'ScanOnPushRule', {
      eventBus: this.bus,
      description: 'Every push starts a scan (the scan-on-push Lambda)',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DEFAULT_DETAIL_TYPE], detail: { 'action-type': ['PUSH'] } },
      targets: [
        new targets.LambdaFunction(this.scanner, {
          deadLetterQueue: this.scanDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    // cdk-nag: findings that are this construct's design.
    for (const dlq of [this.deadLetterQueue, this.scanDeadLetterQueue]) {
      acknowledge(dlq, { 'AwsSolutions-SQS3': 'this queue is itself a dead-letter queue (an alarm watches it)' });
    }
    acknowledge(this.consumer, {
      'AwsSolutions-IAM5[Resource::*]': 'dynamodb:ListStreams, which the event source mapping needs, has no resource-level permissions',
    });
  }
}
