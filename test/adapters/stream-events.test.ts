/**
 * The outbox relay mapping (stream record -> registry event) on recorded fixtures. The fixtures
 * are recordings of what the DynamoDB adapters really write for a change: the metadata store's
 * items and then the outbox items of the events the core emits (dynamodb-stream-scenarios.ts);
 * the first test re-records them on dynalite and fails if they drifted. Only outbox INSERTs are
 * events, and each gives back exactly the event the core emitted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxEventOf, outboxEventsOf, type DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import { OUTBOX_TTL_SECONDS } from '../../src/adapters/aws/dynamodb-outbox.js';
import { eventPayload } from '../../src/core/event-payload.js';
import { startDynalite, type Dynalite } from './dynamodb-harness.js';
import { SCENARIOS, recordScenario } from './dynamodb-stream-scenarios.js';

// dist/test/adapters -> <repo>/test/fixtures/dynamodb-stream
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dynamodb-stream');
const UPDATE = process.env.STOWAGE_UPDATE_STREAM_FIXTURES === '1';

interface Fixture {
  description: string;
  records: DynamoDBStreamRecordLike[];
}

async function fixture(name: string): Promise<Fixture> {
  return JSON.parse(await readFile(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const skOf = (r: DynamoDBStreamRecordLike) => r.dynamodb?.Keys?.SK?.S ?? '';
const pkOf = (r: DynamoDBStreamRecordLike) => r.dynamodb?.Keys?.PK?.S ?? '';

let db: Dynalite;
before(async () => {
  db = await startDynalite();
});
after(() => db.stop());

test('the fixtures are what the adapters write today (re-recorded on dynalite)', async () => {
  await mkdir(FIXTURES, { recursive: true });
  for (const s of SCENARIOS) {
    const records = await recordScenario(db, s);
    const fresh: Fixture = { description: s.description, records };
    if (UPDATE) {
      await writeFile(join(FIXTURES, `${s.name}.json`), `${JSON.stringify(fresh, null, 2)}\n`);
      continue;
    }
    assert.deepEqual(fresh, await fixture(s.name), `${s.name}.json drifted from the adapters: regenerate with STOWAGE_UPDATE_STREAM_FIXTURES=1 and review the diff`);
  }
});

test('every fixture: the relay gives back exactly the events the core emitted, in order; no other record is an event', async () => {
  for (const s of SCENARIOS) {
    const { records } = await fixture(s.name);
    assert.deepEqual(outboxEventsOf(records), s.events, s.name);
    const outboxInserts = records.filter((r) => r.eventName === 'INSERT' && pkOf(r).startsWith('OUTBOX#'));
    assert.equal(outboxInserts.length, s.events.length, `${s.name}: one outbox INSERT per event`);
    for (const r of records.filter((x) => !outboxInserts.includes(x))) assert.equal(outboxEventOf(r), null, `${s.name}: ${r.eventName} ${pkOf(r)} ${skOf(r)}`);
  }
});

test('a tagged push: the manifest, tag, TAGOF, blob-link and catalog records are silent; the two outbox items speak', async () => {
  const { records } = await fixture('push-tagged');
  assert.deepEqual(
    records.map((r) => [r.eventName, (pkOf(r).startsWith('OUTBOX#') ? pkOf(r) : skOf(r)).split('#')[0]]),
    [
      ['INSERT', 'REPO'],
      ['INSERT', 'BLOB'],
      ['INSERT', 'BLOB'],
      ['INSERT', 'MANIFEST'],
      ['INSERT', 'TAGOF'],
      ['INSERT', 'TAG'],
      ['INSERT', 'TAGOF'],
      ['INSERT', 'TAG'],
      ['INSERT', 'OUTBOX'],
      ['INSERT', 'OUTBOX'],
    ],
  );
  assert.deepEqual(
    outboxEventsOf(records).map((e) => [e.action, e.tag, e.actor]),
    [
      ['PUSH', 'v1', 'alice'],
      ['PUSH', 'latest', 'alice'],
    ],
  );
});

test('tag and manifest MODIFYs and REMOVEs are not events: the core emitted one per request, idempotent re-puts included', async () => {
  const retag = (await fixture('retag-and-repush')).records;
  assert.ok(retag.some((r) => r.eventName === 'MODIFY' && skOf(r) === 'TAG#v1'));
  assert.deepEqual(
    outboxEventsOf(retag).map((e) => [e.action, e.tag]),
    [
      ['PUSH', 'v1'],
      ['PUSH', 'v1'],
      ['PUSH', null],
    ],
  );
  const deleted = (await fixture('delete-by-digest')).records;
  assert.ok(deleted.filter((r) => r.eventName === 'REMOVE').length >= 5, 'tags, referrer, manifest, TAGOF entries');
  assert.deepEqual(
    outboxEventsOf(deleted).map((e) => [e.action, e.tag, e.actor]),
    [
      ['DELETE', 'a', 'alice'],
      ['DELETE', 'b', 'alice'],
      ['DELETE', null, 'alice'],
    ],
  );
});

test('an outbox item expiring (its TTL REMOVE) is not an event; the item carries the TTL a day after its event', async () => {
  const { records } = await fixture('outbox-expiry');
  assert.deepEqual(
    records.map((r) => [r.eventName, pkOf(r).split('#')[0]]),
    [['REMOVE', 'OUTBOX']],
  );
  assert.equal(outboxEventOf(records[0]!), null);
  const [insert] = (await fixture('push-untagged-referrer')).records.filter((r) => pkOf(r).startsWith('OUTBOX#'));
  const event = scenario('push-untagged-referrer').events[0]!;
  assert.equal(Number(insert!.dynamodb!.NewImage!.expiresAt!.N), Date.parse(event.time) / 1000 + OUTBOX_TTL_SECONDS);
});

test('the relayed event renders the same payload as the emitted one; redelivery gives the same event', async () => {
  const { records } = await fixture('delete-by-tag');
  const insert = records.find((r) => pkOf(r).startsWith('OUTBOX#'))!;
  const relayed = outboxEventOf(insert)!;
  const emitted = scenario('delete-by-tag').events[0]!;
  assert.deepEqual(eventPayload(relayed), eventPayload(emitted));
  assert.equal(eventPayload(relayed).detail['event-id'], emitted.id);
  assert.deepEqual(outboxEventOf(structuredClone(insert)), relayed);
});

test('an outbox INSERT that cannot be read throws (the consumer retries it); records without keys are not events', async () => {
  const { records } = await fixture('push-tagged');
  const insert = records.find((r) => pkOf(r).startsWith('OUTBOX#'))!;
  assert.throws(() => outboxEventOf({ ...insert, dynamodb: { ...insert.dynamodb, NewImage: undefined } }), /no new image/);
  const broken = { ...insert.dynamodb!.NewImage!, event: { S: JSON.stringify({ id: 'x', action: 'PUSH' }) } };
  assert.throws(() => outboxEventOf({ ...insert, dynamodb: { ...insert.dynamodb, NewImage: broken } }), /does not hold a registry event/);
  assert.throws(() => outboxEventOf({ ...insert, dynamodb: { ...insert.dynamodb, NewImage: { ...broken, event: { S: '{' } } } }));
  assert.equal(outboxEventOf({ eventName: 'INSERT' }), null);
  assert.equal(outboxEventOf({ eventName: 'INSERT', dynamodb: { Keys: { PK: { S: 'OUTBOX#x' }, SK: { S: 'OTHER' } } } }), null);
  assert.equal(outboxEventOf({ ...insert, eventName: 'MODIFY' }), null);
});
