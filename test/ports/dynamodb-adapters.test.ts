/** The port contract suites against the DynamoDB adapters on dynalite (in-process, loopback). */
import { after, before } from 'node:test';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { DynamoDbLoginLimiter } from '../../src/adapters/aws/dynamodb-login-limiter.js';
import { InMemoryLargeObjectStore, startDynalite, type Dynalite } from '../adapters/dynamodb-harness.js';
import { metadataStoreSuite } from './metadata-store.suite.js';
import { uploadSessionsSuite } from './upload-sessions.suite.js';
import { collectorMetadataSuite } from './collector-metadata.suite.js';
import { dynamoDbLeftovers } from './metadata-leftovers.js';
import { loginLimiterSuite } from './login-limiter.suite.js';

let db: Dynalite;
before(async () => (db = await startDynalite()));
after(() => db.stop());

// Inline manifests, and every manifest in the large-object store (inlineManifestLimit 0).
// dynalite writes slowly (tens of ms), so the bulk listings hold fewer entries than on SQLite.
for (const [inlineManifestLimit, bulkEntries] of [
  [undefined, 150],
  [0, 40],
] as const) {
  metadataStoreSuite(
    `DynamoDB metadata store${inlineManifestLimit === 0 ? ' (manifests in the large-object store)' : ''}`,
    async () => {
      const tableName = await db.newTable();
      const store = new DynamoDbMetadataStore({
        client: db.client,
        tableName,
        largeObjects: new InMemoryLargeObjectStore(),
        ...(inlineManifestLimit !== undefined && { inlineManifestLimit }),
      });
      return { store, leftovers: dynamoDbLeftovers(db.client, tableName) };
    },
    { bulkEntries },
  );
}

loginLimiterSuite('DynamoDB login limiter', async (limits, now) => new DynamoDbLoginLimiter({ client: db.client, tableName: await db.newTable(), limits, now }));

uploadSessionsSuite(
  'DynamoDB upload sessions',
  async () => new DynamoDbMetadataStore({ client: db.client, tableName: await db.newTable(), largeObjects: new InMemoryLargeObjectStore() }),
);

collectorMetadataSuite(
  'DynamoDB collector methods',
  async () => new DynamoDbMetadataStore({ client: db.client, tableName: await db.newTable(), largeObjects: new InMemoryLargeObjectStore() }),
);
