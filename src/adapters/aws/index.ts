/**
 * AWS adapters for `stowage serve`: clients come from the AWS SDK's standard configuration
 * (region, credentials chain, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB), created once.
 * Each connect step checks its resource before the server starts.
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ServeConfig } from '../../cli/serve-config.js';
import { S3BlobStore } from './s3-blob-store.js';
import { DynamoDbMetadataStore, createTable } from './dynamodb-metadata-store.js';
import { S3LargeObjectStore } from './large-objects.js';
import { EventBridgeEventSink } from './eventbridge-sink.js';

/** The settings the AWS adapters read (a subset of create-ports.ts's PortsConfig, which imports this module). */
export type AwsPortsConfig = Pick<
  ServeConfig,
  's3Bucket' | 's3Prefix' | 's3ForcePathStyle' | 's3ServeBlobs' | 's3BlobRedirects' | 's3PresignExpires' | 'dynamodbTable' | 'eventBus' | 'eventDetailType' | 'createResources'
>;

export interface ConnectedS3 {
  client: S3Client;
  bucket: string;
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** One line that says what is wrong, for failures at start. */
function startupError(what: string, err: unknown): Error {
  const name = errorName(err);
  if (name === 'CredentialsProviderError') return new Error(`${what}: no AWS credentials found (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an instance role)`);
  return new Error(`${what}: ${name ? `${name}: ` : ''}${(err as Error)?.message ?? String(err)}`);
}

export async function connectS3(config: AwsPortsConfig): Promise<ConnectedS3> {
  const bucket = config.s3Bucket as string;
  const client = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = errorName(err);
    const missing = name === 'NotFound' || name === 'NoSuchBucket' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
    if (!missing) throw startupError(`S3 bucket ${bucket} is not usable`, err);
    if (!config.createResources) throw new Error(`S3 bucket ${bucket} does not exist (create it, or pass --create-resources)`);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (createErr) {
      throw startupError(`could not create S3 bucket ${bucket}`, createErr);
    }
  }
  return { client, bucket };
}

export function s3BlobStore(s3: ConnectedS3, config: AwsPortsConfig): S3BlobStore {
  return new S3BlobStore({
    client: s3.client,
    bucket: s3.bucket,
    prefix: config.s3Prefix,
    presignExpiresSeconds: config.s3PresignExpires,
    serveBlobs: config.s3ServeBlobs,
    redirects: config.s3BlobRedirects,
  });
}

export async function dynamoDbMetadataStore(s3: ConnectedS3, config: AwsPortsConfig): Promise<DynamoDbMetadataStore> {
  const tableName = config.dynamodbTable as string;
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw startupError(`DynamoDB table ${tableName} is not usable`, err);
    if (!config.createResources) throw new Error(`DynamoDB table ${tableName} does not exist (deploy the stack, or pass --create-resources)`);
    try {
      await createTable(client, tableName);
    } catch (createErr) {
      throw startupError(`could not create DynamoDB table ${tableName}`, createErr);
    }
  }
  const largeObjects = new S3LargeObjectStore({ client: s3.client, bucket: s3.bucket, prefix: config.s3Prefix });
  return new DynamoDbMetadataStore({ client, tableName, largeObjects });
}

export async function eventBridgeSink(config: AwsPortsConfig): Promise<EventBridgeEventSink> {
  const client = new EventBridgeClient({});
  try {
    await client.config.credentials();
  } catch (err) {
    throw startupError('EventBridge events', err);
  }
  return new EventBridgeEventSink({
    client,
    eventBusName: config.eventBus as string,
    ...(config.eventDetailType !== undefined && { detailType: config.eventDetailType }),
  });
}
