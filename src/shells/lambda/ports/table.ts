/**
 * Ports for operations that only read and write the table (catalog, tags, referrers, blob
 * links, upload sessions): DynamoDB, and no S3 client. They never read a manifest's bytes, so the
 * metadata store gets no large-object store: one that refuses, which would be a wiring mistake
 * (an operation that reads manifests must use ./table-and-manifests.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RegistryPorts } from '../../../core/context.js';
import { DynamoDbMetadataStore } from '../../../adapters/aws/dynamodb-metadata-store.js';
import type { LargeObjectStore } from '../../../adapters/aws/large-objects.js';
import { DynamoDbOutboxSink } from '../../../adapters/aws/outbox-event-sink.js';
import type { LambdaConfig } from '../config.js';

const refuse = (): never => {
  throw new Error('this Lambda has no large-object store: an operation that reads or writes manifest bytes needs the table-and-manifests ports');
};
const NO_LARGE_OBJECTS: LargeObjectStore = { put: async () => refuse(), get: async () => refuse(), delete: async () => refuse() };

export function tablePorts(config: LambdaConfig): Pick<RegistryPorts, 'metadata' | 'events'> {
  const dynamodb = new DynamoDBClient({});
  return {
    metadata: new DynamoDbMetadataStore({ client: dynamodb, tableName: config.dynamodbTable, largeObjects: NO_LARGE_OBJECTS }),
    events: new DynamoDbOutboxSink({ client: dynamodb, tableName: config.dynamodbTable }),
  };
}
