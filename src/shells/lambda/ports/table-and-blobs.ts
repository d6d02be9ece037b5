/**
 * Ports for the blob and upload operations: the table and the S3 blob store, which serves blobs
 * by redirect only (presigned URLs; no Lambda carries blob bytes to a puller).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { RegistryPorts } from '../../../core/context.js';
import { DynamoDbMetadataStore } from '../../../adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../../adapters/aws/large-objects.js';
import { DynamoDbOutboxSink } from '../../../adapters/aws/outbox-event-sink.js';
import { S3BlobStore } from '../../../adapters/aws/s3-blob-store.js';
import type { LambdaConfig } from '../config.js';

export function tableAndBlobsPorts(config: LambdaConfig): RegistryPorts {
  const dynamodb = new DynamoDBClient({});
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const largeObjects = new S3LargeObjectStore({ client: s3, bucket: config.s3Bucket, prefix: config.s3Prefix });
  return {
    blobs: new S3BlobStore({
      client: s3,
      bucket: config.s3Bucket,
      prefix: config.s3Prefix,
      presignExpiresSeconds: config.s3PresignExpires,
      serveBlobs: 'redirect',
      redirects: config.s3BlobRedirects,
    }),
    metadata: new DynamoDbMetadataStore({ client: dynamodb, tableName: config.dynamodbTable, largeObjects }),
    events: new DynamoDbOutboxSink({ client: dynamodb, tableName: config.dynamodbTable }),
  };
}
