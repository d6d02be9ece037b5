/**
 * DynamoDbLoginLimiter on dynalite, in the metadata table: failures counted across limiter
 * instances (as across Lambda containers), per principal and per address limits, Retry-After
 * to the window's end, a success resetting the principal, counters under hashed keys with a
 * TTL, and failing open when the table cannot be reached.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { DynamoDbLoginLimiter } from '../../src/adapters/aws/dynamodb-login-limiter.js';
import { outboxEventOf } from '../../src/adapters/aws/stream-events.js';
import { startAwsEmulators, TEST_CREDENTIALS, TEST_REGION, type AwsEmulators } from '../helpers/aws-emulators.js';

let emulators: AwsEmulators;
const TABLE = 'limiter';
const limits = { perPrincipal: 3, perAddress: 5, windowSeconds: 300 };

before(async () => {
  emulators = await startAwsEmulators();
  await createTable(emulators.dynamodb, TABLE);
});
after(() => emulators.stop());

test('failures count across instances (containers); the principal waits for the window to end; a success resets it', async () => {
  let now = 1_800_000_000_000 + 10_000; // 10 s into a window
  const make = () => new DynamoDbLoginLimiter({ client: emulators.dynamodb, tableName: TABLE, limits, now: () => now });
  const [a, b] = [make(), make()];
  const keys = ['principal:alice', 'address:198.51.100.7'];
  assert.deepEqual(await a.check(keys), { allowed: true });
  await a.recordFailure(keys);
  await b.recordFailure(keys);
  assert.deepEqual(await b.check(keys), { allowed: true });
  await b.recordFailure(keys);
  assert.deepEqual(await a.check(keys), { allowed: false, retryAfterSeconds: 290 }, 'the third failure, made in another container, blocks here');
  assert.deepEqual(await a.check(['principal:bob', 'address:198.51.100.7']), { allowed: true }, 'the address has 3 of its 5');
  now += 290_000;
  assert.deepEqual(await a.check(keys), { allowed: true }, 'a new window');
  await a.recordFailure(keys);
  await a.recordSuccess(['principal:alice']);
  await a.recordFailure(keys);
  await a.recordFailure(keys);
  assert.deepEqual(await a.check(['principal:alice']), { allowed: true }, 'the success forgot the principal failure before it');
});

test('the address limit holds across user names', async () => {
  const now = 1_900_000_000_000;
  const limiter = new DynamoDbLoginLimiter({ client: emulators.dynamodb, tableName: TABLE, limits, now: () => now });
  for (let i = 0; i < 5; i++) await limiter.recordFailure([`principal:user${i}`, 'address:192.0.2.1']);
  const decision = await limiter.check(['principal:someone-new', 'address:192.0.2.1']);
  assert.equal(decision.allowed, false);
});

test('counter items: hashed keys (no claimed name stored), a TTL, and no registry events from their stream records', async () => {
  const limiter = new DynamoDbLoginLimiter({ client: emulators.dynamodb, tableName: TABLE, limits });
  await limiter.recordFailure(['principal:Hunter2-typed-as-a-user-name']);
  const { Items } = await emulators.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  const dump = JSON.stringify(Items);
  assert.ok(!dump.includes('Hunter2'), 'the claimed name is hashed');
  const item = Items!.find((i) => i.PK?.S?.startsWith('LOGINFAIL#'))!;
  assert.match(item.SK!.S!, /^WINDOW#\d+$/);
  assert.ok(Number(item.expiresAt!.N) > Date.now() / 1000, 'expires through the table TTL');
  assert.equal(outboxEventOf({ eventID: '1', eventName: 'INSERT', dynamodb: { Keys: { PK: item.PK!, SK: item.SK! } as never, NewImage: item as never } }), null);
});

test('fails open (and says so) when the table cannot be reached', async () => {
  const logs: string[] = [];
  const client = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const limiter = new DynamoDbLoginLimiter({ client, tableName: TABLE, limits, log: (l) => logs.push(l) });
  assert.deepEqual(await limiter.check(['principal:alice']), { allowed: true });
  await limiter.recordFailure(['principal:alice']);
  await limiter.recordSuccess(['principal:alice']);
  assert.equal(logs.length, 3);
  client.destroy();
});
