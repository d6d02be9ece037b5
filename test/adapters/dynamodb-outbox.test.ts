/**
 * The Lambda's event sink, DynamoDbOutboxSink, on dynalite: events become outbox items (25 per
 * BatchWriteItem) that read back as the same events, and a registry whose outbox cannot be
 * written does not acknowledge the change, while the client's retry records the events.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { FsBlobStore } from '../../src/adapters/embedded/fs-blob-store.js';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { keys } from '../../src/adapters/aws/dynamodb-keys.js';
import { eventOfOutboxItem } from '../../src/adapters/aws/dynamodb-outbox.js';
import { DynamoDbOutboxSink } from '../../src/adapters/aws/outbox-event-sink.js';
import { makeEvent } from '../../src/core/events.js';
import { Registry } from '../../src/core/registry.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { EventSink } from '../../src/ports/event-sink.js';
import { InMemoryLargeObjectStore, countCalls, startDynalite, type Dynalite } from './dynamodb-harness.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let db: Dynalite;
let dataDir: string;
before(async () => {
  db = await startDynalite();
  dataDir = await mkdtemp(join(tmpdir(), 'stowage-outbox-'));
});
after(async () => {
  await db.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('events become outbox items, 25 per BatchWriteItem, that read back as the same events', async () => {
  const tableName = await db.newTable();
  const client = db.newClient();
  const calls = countCalls(client);
  const events = Array.from({ length: 30 }, (_, i) =>
    makeEvent({
      action: 'PUSH',
      repository: 'team/app',
      digest: sha256(Buffer.from(String(i))),
      tag: `v${i}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: null,
      size: i,
      actor: null,
    }),
  );
  await new DynamoDbOutboxSink({ client, tableName }).publish(events);
  assert.deepEqual(calls.counts(), { BatchWriteItem: 2 });
  for (const e of [events[0]!, events[29]!]) {
    const k = keys.outbox(e.id);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { PK: { S: k.PK }, SK: { S: k.SK } }, ConsistentRead: true }));
    assert.deepEqual(eventOfOutboxItem(Item!), e);
  }
});

test('an outbox that cannot be written fails the request (no 201); the retried PUT records the events', async () => {
  const tableName = await db.newTable();
  const client = db.newClient();
  const blobs = new FsBlobStore(join(dataDir, 'retry'));
  await blobs.init();
  const working = new DynamoDbOutboxSink({ client, tableName });
  const missingTable = new DynamoDbOutboxSink({ client, tableName: `${tableName}-absent` });
  let outbox: EventSink = missingTable;
  const registry = new Registry(
    {
      blobs,
      metadata: new DynamoDbMetadataStore({ client, tableName, largeObjects: new InMemoryLargeObjectStore() }),
      events: { publish: (e) => outbox.publish(e) },
    },
    undefined,
    { operations: ALL_OPERATIONS },
  );
  const request = (method: string, path: string, body?: Buffer, query = '', headers: Record<string, string> = {}) =>
    registry.handle({
      method,
      path,
      query: new URLSearchParams(query),
      headers: { ...headers, ...(body && { 'content-length': String(body.length) }) },
      body: (async function* () {
        if (body) yield body;
      })(),
    });

  const config = Buffer.from('{}');
  assert.equal((await request('POST', '/v2/team/app/blobs/uploads/', config, `digest=${sha256(config)}`)).status, 201);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    }),
  );
  const put = () => request('PUT', '/v2/team/app/manifests/v1', manifest, '', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });

  await assert.rejects(put(), /ResourceNotFound|non-existent|not found/i, 'the shell turns this into a 500: the client retries');
  const outboxItems = async () => {
    const { Items } = await client.send(new ScanCommand({ TableName: tableName }));
    return (Items ?? []).filter((i) => i.PK?.S?.startsWith('OUTBOX#')).map((i) => eventOfOutboxItem(i));
  };
  assert.deepEqual(await outboxItems(), []);

  outbox = working;
  assert.equal((await put()).status, 201, 'the retry re-puts the same manifest and tag');
  assert.deepEqual(
    (await outboxItems()).map((e) => [e.action, e.tag, e.digest]),
    [['PUSH', 'v1', sha256(manifest)]],
  );
});
