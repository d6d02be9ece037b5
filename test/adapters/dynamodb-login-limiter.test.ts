/**
 * DynamoDbLoginLimiter on dynalite, in the metadata table, beyond the port contract
 * (test/ports/login-limiter.suite.ts): failures counted across limiter instances (as across
 * Lambda containers), counters under hashed keys with a TTL, and failing open when the table
 * cannot be reached.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { DynamoDbLoginLimiter } from '../../src/adapters/aws/dynamodb-login-limiter.js';
import { outboxEventOf } from '../../src/adapters/aws/stream-events.js';
import type { LoginLimits } from '../../src/ports/login-limiter.js';
import { startAwsEmulators, TEST_CREDENTIALS, TEST_REGION, type AwsEmulators } from '../helpers/aws-emulators.js';

let emulators: AwsEmulators;
const TABLE = 'limiter';
const limits: LoginLimits = { freeFailures: 3, backoffSeconds: 10, maxBackoffSeconds: 300, pairMemorySeconds: 900, perAddress: 5, windowSeconds: 300 };

before(async () => {
  emulators = await startAwsEmulators();
  await createTable(emulators.dynamodb, TABLE);
});
after(() => emulators.stop());

test('failures count across instances (containers): the third one, made elsewhere, makes the pair wait here', async () => {
  let now = 1_800_000_000_000 + 10_000;
  const make = () => new DynamoDbLoginLimiter({ client: emulators.dynamodb, tableName: TABLE, limits, now: () => now });
  const [a, b] = [make(), make()];
  const alice = { principal: 'alice', address: '198.51.100.7' };
  await a.recordFailure(alice);
  await b.recordFailure(alice);
  assert.deepEqual(await b.check(alice), { allowed: true });
  now += 2_000;
  await b.recordFailure(alice);
  assert.deepEqual(await a.check(alice), { allowed: false, retryAfterSeconds: 10 });
  assert.deepEqual(await a.check({ principal: 'alice', address: '198.51.100.8' }), { allowed: true }, 'alice elsewhere');
  await a.recordSuccess(alice);
  assert.deepEqual(await b.check(alice), { allowed: true });
});

test('counter items: hashed keys (no claimed name stored), a TTL, and no registry events from their stream records', async () => {
  const limiter = new DynamoDbLoginLimiter({ client: emulators.dynamodb, tableName: TABLE, limits });
  await limiter.recordFailure({ principal: 'Hunter2-typed-as-a-user-name', address: '203.0.113.99' });
  const { Items } = await emulators.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  const dump = JSON.stringify(Items);
  assert.ok(!dump.includes('Hunter2') && !dump.includes('203.0.113.99'), 'the claimed name and the address are hashed');
  const items = Items!.filter((i) => i.PK?.S?.startsWith('LOGINFAIL#'));
  assert.ok(
    items.some((i) => /^WINDOW#\d+$/.test(i.SK!.S!)),
    'the address window',
  );
  assert.ok(
    items.some((i) => i.SK!.S === 'BACKOFF'),
    'the pair',
  );
  for (const item of items) {
    assert.ok(Number(item.expiresAt!.N) > Date.now() / 1000, 'expires through the table TTL');
    assert.equal(outboxEventOf({ eventID: '1', eventName: 'INSERT', dynamodb: { Keys: { PK: item.PK!, SK: item.SK! } as never, NewImage: item as never } }), null);
  }
});

test('fails open (and says so) when the table cannot be reached', async () => {
  const logs: string[] = [];
  const client = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const limiter = new DynamoDbLoginLimiter({ client, tableName: TABLE, limits, log: (l) => logs.push(l) });
  const alice = { principal: 'alice', address: null };
  assert.deepEqual(await limiter.check(alice), { allowed: true });
  await limiter.recordFailure(alice);
  await limiter.recordSuccess(alice);
  assert.equal(logs.length, 3);
  client.destroy();
});
