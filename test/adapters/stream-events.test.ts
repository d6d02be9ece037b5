/**
 * The outbox mapping (stream record -> registry events) on recorded-shape fixtures. The fixtures
 * are recordings of what the DynamoDB adapter really writes (dynamodb-stream-scenarios.ts); the
 * first test re-records them on dynalite and fails if they drifted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventsFromStreamBatch, eventsFromStreamRecord, type DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import type { RegistryEvent } from '../../src/ports/event-sink.js';
import { startDynalite, type Dynalite } from './dynamodb-harness.js';
import { A, B, MT, REPO, SCENARIOS, SIG, recordScenario } from './dynamodb-stream-scenarios.js';

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

/** The fields an event is judged on (id and time are checked separately). */
const summary = (e: RegistryEvent) => [e.action, e.repository, e.digest, e.tag, e.mediaType, e.artifactType, e.size, e.actor];
const push = (m: typeof A, tag: string | null, actor: string | null) => ['PUSH', REPO, m.digest, tag, m.mediaType, m.artifactType, m.content.byteLength, actor];
const del = (m: typeof A, tag: string | null) => ['DELETE', REPO, m.digest, tag, m.mediaType, m.artifactType, m.content.byteLength, null];

let db: Dynalite;
before(async () => {
  db = await startDynalite();
});
after(() => db.stop());

test('the fixtures are what the adapter writes today (re-recorded on dynalite)', async () => {
  await mkdir(FIXTURES, { recursive: true });
  for (const scenario of SCENARIOS) {
    const records = await recordScenario(db, scenario);
    const fresh: Fixture = { description: scenario.description, records };
    if (UPDATE) {
      await writeFile(join(FIXTURES, `${scenario.name}.json`), `${JSON.stringify(fresh, null, 2)}\n`);
      continue;
    }
    assert.deepEqual(fresh, await fixture(scenario.name), `${scenario.name}.json drifted from the adapter: regenerate with STOWAGE_UPDATE_STREAM_FIXTURES=1 and review the diff`);
  }
});

test('a tagged push: one PUSH per tag, from the tag items; the manifest item stays silent', async () => {
  const { records } = await fixture('push-tagged');
  assert.deepEqual(
    records.map((r) => r.eventName),
    ['INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT'],
    'catalog, 2 blob links, manifest, TAGOF + tag, TAGOF + tag',
  );
  assert.deepEqual(eventsFromStreamBatch(records).map(summary), [push(A, 'v1', 'alice'), push(A, 'latest', 'alice')]);
});

test('an untagged push: one PUSH with tag null, from the manifest item; the referrer entry is silent', async () => {
  const { records } = await fixture('push-untagged-referrer');
  assert.deepEqual(eventsFromStreamBatch(records).map(summary), [push(SIG, null, 'alice')]);
  assert.equal(SIG.artifactType, MT.signature);
});

test('a tag moved to another digest is a PUSH of the new one; re-puts of a tag or a manifest are not events', async () => {
  const { records } = await fixture('retag-and-repush');
  assert.deepEqual(
    records.map((r) => [r.eventName, r.dynamodb?.Keys?.SK?.S?.split('#')[0]]),
    [['INSERT', 'TAGOF'], ['MODIFY', 'TAG'], ['MODIFY', 'TAG'], ['MODIFY', 'MANIFEST']],
    'TAGOF entry for B, tag -> B, tag -> B again (a new updatedAt), manifest B re-pushed',
  );
  assert.deepEqual(eventsFromStreamBatch(records).map(summary), [push(B, 'v1', 'bob')]);
});

test('DELETE by tag: one DELETE with the tag and the manifest fields the tag item carries', async () => {
  const { records } = await fixture('delete-by-tag');
  assert.deepEqual(eventsFromStreamBatch(records).map(summary), [del(A, 'v1')]);
});

test('DELETE by digest: one DELETE per removed tag, then one with tag null; a tag that moved away stays', async () => {
  const { records } = await fixture('delete-by-digest');
  assert.deepEqual(eventsFromStreamBatch(records).map(summary), [del(SIG, 'a'), del(SIG, 'b'), del(SIG, null)]);
  const removedKeys = records.filter((r) => r.eventName === 'REMOVE').map((r) => r.dynamodb?.Keys?.SK?.S);
  assert.ok(removedKeys.includes(`REF#${A.digest}#${SIG.digest}`), 'the referrer entry went too');
  assert.ok(!removedKeys.includes('TAG#c'));
});

test('uploads, blob links and the catalog are never events', async () => {
  const { records } = await fixture('uploads-and-links');
  assert.ok(records.length >= 6);
  assert.deepEqual(eventsFromStreamBatch(records), []);
});

test('event id is the record eventID and time its ApproximateCreationDateTime: redelivery gives the same events', async () => {
  const { records } = await fixture('push-tagged');
  const tagRecord = records.find((r) => r.dynamodb?.Keys?.SK?.S === 'TAG#v1')!;
  const [event] = eventsFromStreamRecord(tagRecord);
  assert.equal(event?.id, tagRecord.eventID);
  assert.equal(event?.time, new Date(tagRecord.dynamodb!.ApproximateCreationDateTime! * 1000).toISOString());
  assert.equal(event?.result, 'SUCCESS');
  assert.deepEqual(eventsFromStreamRecord(structuredClone(tagRecord)), [event]);
});

test('records the mapping cannot use are not events; a tag MODIFY without an old image counts as a push', async () => {
  const { records } = await fixture('retag-and-repush');
  const retag = records.find((r) => r.dynamodb?.Keys?.SK?.S === 'TAG#v1')!;
  assert.deepEqual(eventsFromStreamRecord({ ...retag, dynamodb: { ...retag.dynamodb, OldImage: undefined } }).map(summary), [push(B, 'v1', 'bob')]);
  assert.deepEqual(eventsFromStreamRecord({ eventName: 'INSERT' }), []);
  assert.deepEqual(eventsFromStreamRecord({ eventName: 'INSERT', dynamodb: { Keys: { PK: { S: 'OTHER' }, SK: { S: 'X' } }, NewImage: { PK: { S: 'OTHER' }, SK: { S: 'X' } } } }), []);
  // The manifest INSERT of a tagged push: the tags speak for it.
  const tagged = (await fixture('push-tagged')).records.find((r) => r.dynamodb?.Keys?.SK?.S?.startsWith('MANIFEST#'))!;
  assert.deepEqual(eventsFromStreamRecord(tagged), []);
  assert.ok(tagged.dynamodb?.NewImage?.content?.B, 'inline manifest bytes travel as base64 and are decoded without complaint');
});
