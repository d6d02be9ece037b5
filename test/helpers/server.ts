import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startServer } from '../../src/shells/http/server.js';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { DynamoDbMetadataStore, createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { S3LargeObjectStore } from '../../src/adapters/aws/large-objects.js';
import { JsonLinesEventSink } from '../../src/adapters/embedded/event-sinks.js';
import { startAwsEmulators } from './aws-emulators.js';
import { createPorts, EMBEDDED_DEFAULTS, type ClosablePorts } from '../../src/adapters/create-ports.js';

export interface TestRegistry {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port, as clients such as docker and skopeo want it */
  host: string;
  dataDir: string;
  /** Which adapter family serves this registry. */
  backend: TestBackend;
  close(): Promise<void>;
}

export type TestBackend = 'embedded' | 'aws';

/**
 * The adapter family the suites run against: `embedded` (filesystem + SQLite) by default,
 * `aws` (S3 + DynamoDB on emulators the helper starts) when STOWAGE_TEST_BACKEND=aws. The same
 * conformance and end-to-end tests run against both (see test/backends/).
 */
export function testBackend(): TestBackend {
  return process.env.STOWAGE_TEST_BACKEND === 'aws' ? 'aws' : 'embedded';
}

export interface TestPorts {
  ports: ClosablePorts;
  close(): Promise<void>;
}

/** The registry's ports on the chosen backend (emulators started for `aws`), for tests that drive the core directly. */
export async function startTestPorts(backend: TestBackend, dataDir: string): Promise<TestPorts> {
  if (backend === 'embedded') {
    const ports = await createPorts({ ...EMBEDDED_DEFAULTS, dataDir });
    return { ports, close: async () => ports.close() };
  }
  const emulators = await startAwsEmulators();
  const bucket = `stowage-${randomUUID().slice(0, 8)}`;
  const tableName = 'stowage';
  await emulators.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createTable(emulators.dynamodb, tableName);
  const largeObjects = new S3LargeObjectStore({ client: emulators.s3, bucket });
  const ports: ClosablePorts = {
    blobs: new S3BlobStore({ client: emulators.s3, bucket, serveBlobs: 'redirect' }),
    metadata: new DynamoDbMetadataStore({ client: emulators.dynamodb, tableName, largeObjects }),
    events: new JsonLinesEventSink(join(dataDir, 'events.jsonl')),
    close: () => {},
  };
  return { ports, close: emulators.stop };
}

/** Starts Stowage in a fresh temp data dir on a free loopback port, on the selected adapters. */
export async function startStowage(options: { dataDir?: string; backend?: TestBackend } = {}): Promise<TestRegistry> {
  const backend = options.backend ?? testBackend();
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stowage-test-')));
  const { ports, close } = await startTestPorts(backend, dataDir);
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0 }, ports);
  return {
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    dataDir,
    backend,
    async close() {
      await server.close();
      await close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
