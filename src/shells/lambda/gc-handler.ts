/**
 * The scheduled collector Lambda (lambdas/gc.ts): one bounded sweep per invocation. It stops
 * a safety margin before the Lambda's own timeout and leaves its cursor in the table (the
 * collector's lease item), so the next scheduled invocation resumes where this one stopped.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbMetadataStore } from '../../adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../adapters/aws/large-objects.js';
import { S3BlobStore } from '../../adapters/aws/s3-blob-store.js';
import { EnvReader } from '../../config/env-reader.js';
import { SETTINGS } from '../../config/settings.js';
import { collectGarbage, type CollectionReport } from '../../core/gc/collector.js';
import { lifecyclePhase } from '../../core/lifecycle/expire.js';
import { DynamoDbOutboxSink } from '../../adapters/aws/outbox-event-sink.js';
import { repositorySettingsFromEnv } from './config.js';
import { log } from '../../log/logger.js';

/** Time kept back from the Lambda's remaining time: the step in progress and the cursor save. */
export const STOP_MARGIN_MS = 60_000;
const BATCH = 100;

export interface CollectorContext {
  getRemainingTimeInMillis(): number;
}

export function collectorHandler(env: NodeJS.ProcessEnv = process.env) {
  const read = new EnvReader(env);
  const bucket = read.required(SETTINGS.s3Bucket);
  const prefix = read.required(SETTINGS.s3Prefix);
  const table = read.required(SETTINGS.dynamodbTable);
  const graceMs = read.required(SETTINGS.gcGrace) * 1000;
  const uploadTtlMs = read.required(SETTINGS.gcUploadTtl) * 1000;
  const forcePathStyle = read.required(SETTINGS.s3ForcePathStyle);
  const repositories = repositorySettingsFromEnv(env, read.problems);
  read.check('collector Lambda configuration');
  const s3 = new S3Client({ forcePathStyle });
  const dynamodb = new DynamoDBClient({});
  const metadata = new DynamoDbMetadataStore({ client: dynamodb, tableName: table, largeObjects: new S3LargeObjectStore({ client: s3, bucket, prefix }) });
  const blobs = new S3BlobStore({ client: s3, bucket, prefix });
  // Lifecycle expiries are delete events like a client's: through the table's outbox.
  const events = new DynamoDbOutboxSink({ client: dynamodb, tableName: table });
  return async (_event: unknown, context: CollectorContext): Promise<CollectionReport> =>
    collectGarbage({
      metadata,
      blobs,
      graceMs,
      uploadTtlMs,
      batchSize: BATCH,
      timeBudgetMs: Math.max(0, context.getRemainingTimeInMillis() - STOP_MARGIN_MS),
      beforeMark: lifecyclePhase({ metadata, events }, repositories),
      log,
    });
}
