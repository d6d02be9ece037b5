/**
 * Events: the DynamoDB stream is the outbox. A consumer Lambda (lambdas/stream-events.ts) maps
 * each batch of records to registry events with the core's pure function and publishes them to a
 * custom EventBridge bus, source `stowage`, detail shaped like ECR's "ECR Image Action". Failed
 * records are retried (partial batch responses, bisection), then land in a dead-letter queue.
 * An example rule sends every push to a placeholder "scanner" queue that users replace.
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
import { settingsEnvironment } from '../src/config/settings.js';
import { DEFAULT_DETAIL_TYPE, EVENT_SOURCE } from '../src/core/events.js';
import { queueDefaults } from './defaults.js';
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
  readonly scannerQueue: sqs.Queue;
  readonly pushRule: events.Rule;

  constructor(scope: Construct, id: string, props: RegistryEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Stowage registry push and delete events (source "stowage")' });
    this.deadLetterQueue = new sqs.Queue(this, 'StreamDeadLetters', queueDefaults());
    this.consumer = props.factory.create(this, 'StreamConsumer', {
      entry: join(props.entryDirectory, 'stream-events.ts'),
      description: 'Stowage: DynamoDB stream -> EventBridge (the event outbox)',
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
      }),
    );

    this.scannerQueue = new sqs.Queue(this, 'ExampleScannerQueue', queueDefaults());
    this.pushRule = new events.Rule(this, 'PushToScanner', {
      eventBus: this.bus,
      description: 'Example: every push to a scanner queue (replace the target with your scanner)',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DEFAULT_DETAIL_TYPE], detail: { 'action-type': ['PUSH'] } },
      targets: [new targets.SqsQueue(this.scannerQueue)],
    });
  }
}
