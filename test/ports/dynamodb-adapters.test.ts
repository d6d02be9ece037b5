/** The MetadataStore contract against the DynamoDB adapter on dynalite (in-process, loopback). */
import { after, before } from 'node:test';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { InMemoryLargeObjectStore, startDynalite, type Dynalite } from '../adapters/dynamodb-harness.js';
import { metadataStoreSuite } from './metadata-store.suite.js';
import { uploadSessionsSuite } from './upload-sessions.suite.js';

let db: Dynalite;
let tableName: string;

before(async () => {
  db = await startDynalite();
  tableName = await db.newTable();
});
after(() => db.stop());

metadataStoreSuite('DynamoDB metadata store', async () => new DynamoDbMetadataStore({ client: db.client, tableName, largeObjects: new InMemoryLargeObjectStore() }));

// The same contract with every manifest above the inline limit, so the large-object path is
// held to it too.
metadataStoreSuite(
  'DynamoDB metadata store (manifests in the large-object store)',
  async () => new DynamoDbMetadataStore({ client: db.client, tableName, largeObjects: new InMemoryLargeObjectStore(), inlineManifestLimit: 0 }),
);

uploadSessionsSuite('DynamoDB upload sessions', async () => new DynamoDbMetadataStore({ client: db.client, tableName, largeObjects: new InMemoryLargeObjectStore() }));
