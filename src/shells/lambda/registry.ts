/**
 * The registry a Lambda container serves: built once per container, on the first invocation (an
 * import creates nothing), from the environment (./config.ts), which every registry Lambda needs,
 * the ping's included. AWS SDK clients are created here once and reused by every invocation;
 * building them does no I/O, and nothing is checked at cold start: the stack guarantees the
 * bucket and table exist.
 *
 * Lambda specifics: blobs are always served by redirect (no Lambda carries blob bytes), blob HEAD
 * too (redirectBlobHead: API Gateway renames a Lambda's Content-Length), and events go to the
 * table's stream rather than from the request (OutboxEventSink).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_LIMITS, type RegistryPorts } from '../../core/context.js';
import { Registry } from '../../core/registry.js';
import { S3BlobStore } from '../../adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore } from '../../adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../adapters/aws/large-objects.js';
import { OutboxEventSink } from '../../adapters/aws/outbox-event-sink.js';
import { lambdaConfigFromEnv, type LambdaConfig } from './config.js';

export interface LambdaClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
}

export function lambdaPorts(config: LambdaConfig, clients: LambdaClients): RegistryPorts {
  const largeObjects = new S3LargeObjectStore({ client: clients.s3, bucket: config.s3Bucket, prefix: config.s3Prefix });
  return {
    blobs: new S3BlobStore({
      client: clients.s3,
      bucket: config.s3Bucket,
      prefix: config.s3Prefix,
      presignExpiresSeconds: config.s3PresignExpires,
      serveBlobs: 'redirect',
    }),
    metadata: new DynamoDbMetadataStore({ client: clients.dynamodb, tableName: config.dynamodbTable, largeObjects }),
    events: new OutboxEventSink(),
  };
}

export function createLambdaRegistry(config: LambdaConfig, clients: LambdaClients): Registry {
  return new Registry(lambdaPorts(config, clients), { ...DEFAULT_LIMITS, redirectBlobHead: true });
}

let containerRegistry: Registry | undefined;

/** The container's registry, built from process.env on the first call. */
export function lambdaRegistry(): Registry {
  if (!containerRegistry) {
    const config = lambdaConfigFromEnv();
    const clients = { s3: new S3Client({ forcePathStyle: config.s3ForcePathStyle }), dynamodb: new DynamoDBClient({}) };
    containerRegistry = createLambdaRegistry(config, clients);
  }
  return containerRegistry;
}
