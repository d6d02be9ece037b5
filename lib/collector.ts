/**
 * Garbage collection on AWS: the collector Lambda (lambdas/gc.ts) on an EventBridge schedule.
 * Each invocation sweeps for at most its timeout less a margin and stores its cursor in the
 * table, so a large registry is collected over several invocations, each resuming where the last
 * stopped; two never sweep at once (the collector's lease item). Incomplete S3 multipart uploads
 * are also aborted by the bucket's lifecycle rule (lib/defaults.ts), whatever the collector does.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { settingsEnvironment } from '../src/config/settings.js';
import type { FunctionFactory } from './functions.js';
import { COLLECTOR_ACCESS } from './permissions.js';
import type { RegistryStorage } from './storage.js';
import type { RegistryTable } from './table.js';

export interface RegistryCollectorProps {
  readonly factory: FunctionFactory;
  readonly entryDirectory: string;
  readonly table: RegistryTable;
  readonly storage: RegistryStorage;
  /** How often a sweep starts. @default 1 hour */
  readonly interval?: Duration;
  /** Blobs linked or referenced by a push within this long stay. @default 1 hour */
  readonly grace?: Duration;
  /** Upload sessions older than this are abandoned. @default 24 hours */
  readonly uploadTtl?: Duration;
  /** The repositories setting's JSON (validated by props.ts): its lifecycle policies expire images first. @default none */
  readonly repositoriesDocument?: string | undefined;
}

export class RegistryCollector extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: RegistryCollectorProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.hours(1);
    if (interval.toMinutes() < 1) throw new Error('RegistryCollector: interval must be at least one minute');
    this.function = props.factory.create(this, 'Function', {
      entry: join(props.entryDirectory, 'gc.ts'),
      description: 'Stowage: garbage collection (unreferenced blobs, abandoned uploads), resumable',
      timeout: Duration.minutes(15),
      memorySize: 512,
      environment: settingsEnvironment({
        s3Bucket: props.storage.bucket.bucketName,
        s3Prefix: props.storage.prefix,
        dynamodbTable: props.table.table.tableName,
        gcGrace: (props.grace ?? Duration.hours(1)).toSeconds(),
        gcUploadTtl: (props.uploadTtl ?? Duration.hours(24)).toSeconds(),
        repositories: props.repositoriesDocument,
      }),
    });
    for (const statement of [...props.table.statements(COLLECTOR_ACCESS), ...props.storage.statements(COLLECTOR_ACCESS)]) this.function.addToRolePolicy(statement);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Stowage: start (or resume) a garbage collection',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
