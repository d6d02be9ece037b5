/**
 * Ports for the manifest operations: the table, with manifests too large for an item kept in
 * the bucket (S3LargeObjectStore). No blob store: manifests never touch blob content. The S3
 * client is built, and its module loaded, only when an item says its manifest's bytes live in
 * the bucket or a manifest too large for an item is written (lazyS3Client): a Lambda that meets
 * none never loads it, which keeps it out of the cold start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RegistryPorts } from '../../../core/context.js';
import { DynamoDbMetadataStore } from '../../../adapters/aws/dynamodb-metadata-store.js';
import { lazyS3Client, S3LargeObjectStore } from '../../../adapters/aws/large-objects.js';
import { DynamoDbOutboxSink } from '../../../adapters/aws/outbox-event-sink.js';
import type { LambdaConfig } from '../config.js';

export function tableAndManifestsPorts(config: LambdaConfig): Pick<RegistryPorts, 'metadata' | 'events'> {
  const dynamodb = new DynamoDBClient({});
  const s3 = lazyS3Client({ forcePathStyle: config.s3ForcePathStyle });
  const largeObjects = new S3LargeObjectStore({ client: s3, bucket: config.s3Bucket, prefix: config.s3Prefix });
  return {
    metadata: new DynamoDbMetadataStore({ client: dynamodb, tableName: config.dynamodbTable, largeObjects }),
    events: new DynamoDbOutboxSink({ client: dynamodb, tableName: config.dynamodbTable }),
  };
}
