/**
 * What the DynamoDB adapter tests share: dynalite in-process on loopback with a fresh table per
 * call, an in-memory LargeObjectStore, and a per-command call counter on the client (the same
 * counter checks the documented call budget).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbEmulator, TEST_CREDENTIALS } from '../helpers/aws-emulators.js';
import { createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import type { LargeObjectStore } from '../../src/adapters/aws/large-objects.js';
import { countCalls, type CallCounter } from '../helpers/aws-calls.js';

export { countCalls, type CallCounter };

export { TEST_CREDENTIALS };

export interface Dynalite {
  endpoint: string;
  /** A client counting its commands (see `calls`). */
  client: DynamoDBClient;
  /** Commands sent through `client`, by name (GetItem, PutItem, Query, ...), since the last reset. */
  calls: CallCounter;
  /** Creates a fresh table with the adapter's createTable and returns its name. */
  newTable(): Promise<string>;
  newClient(): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = await startDynamoDbEmulator();
  const endpoint = server.endpoint;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const client = newClient();
  const calls = countCalls(client);
  return {
    endpoint,
    client,
    calls,
    newClient,
    async newTable() {
      const name = `stowage-${randomUUID().slice(0, 8)}`;
      await createTable(newClient(), name);
      return name;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await server.stop();
    },
  };
}

/** Counts every command sent through a client, by operation name. */
/** A LargeObjectStore in a Map, for tests that do not need S3. */
export class InMemoryLargeObjectStore implements LargeObjectStore {
  readonly objects = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(key, new Uint8Array(bytes));
  }
  async get(key: string): Promise<Uint8Array | null> {
    const bytes = this.objects.get(key);
    return bytes ? new Uint8Array(bytes) : null;
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
