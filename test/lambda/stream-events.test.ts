/**
 * lambdas/stream-events.ts, the outbox's relay, on the recorded stream fixtures
 * (test/fixtures/dynamodb-stream/, what the DynamoDB adapters really write), with EventBridge at
 * its wire boundary (test/helpers/eventbridge-endpoint.ts): every outbox event of a batch reaches
 * the bus in record order with the payload every sink sends, other records are ignored, and
 * anything that does not arrive is reported as a batch item failure naming the first record to
 * retry, so it is retried or sent to the DLQ rather than lost.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { outboxEventsOf, type DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import { eventPayload } from '../../src/core/event-payload.js';
import { setLogWriter } from '../../src/log/logger.js';
import type { StreamHandler } from '../../src/shells/lambda/stream-consumer.js';
import { startRecordingEventBridgeEndpoint, type PutEventsAnswer, type RecordedEntry, type RecordingEventBridgeEndpoint } from '../helpers/eventbridge-endpoint.js';
import { lambdaContext } from '../helpers/proxy-event.js';

// dist/test/lambda -> <repo>/test/fixtures/dynamodb-stream
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dynamodb-stream');

let endpoint: RecordingEventBridgeEndpoint;
let answer: (call: number, entries: RecordedEntry[]) => PutEventsAnswer = () => ({});
let handler: StreamHandler;
const logLines: string[] = [];

before(async () => {
  endpoint = await startRecordingEventBridgeEndpoint((call, entries) => answer(call, entries));
  Object.assign(process.env, {
    STOWAGE_EVENT_BUS: 'registry-bus',
    STOWAGE_EVENT_DETAIL_TYPE: 'Image Action',
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  handler = ((await import('../../lambdas/stream-events.js')) as { handler: StreamHandler }).handler;
});
after(() => endpoint.close());
beforeEach(() => {
  endpoint.requests.length = 0;
  answer = () => ({});
  logLines.length = 0;
});

async function fixture(name: string): Promise<DynamoDBStreamRecordLike[]> {
  return (JSON.parse(await readFile(join(FIXTURES, `${name}.json`), 'utf8')) as { records: DynamoDBStreamRecordLike[] }).records;
}

/** Fixtures one after another as one shard's batch: positions get their own ids and sequence numbers. */
function batch(...groups: DynamoDBStreamRecordLike[][]): DynamoDBStreamEvent {
  const records = groups.flat().map((r, i) => ({ ...r, eventID: `event-${i}`, dynamodb: { ...r.dynamodb, SequenceNumber: String(200000000000000000000n + BigInt(i)) } }));
  return { Records: records } as DynamoDBStreamEvent;
}

async function run(event: DynamoDBStreamEvent) {
  setLogWriter((line) => logLines.push(line));
  try {
    return await handler(event, lambdaContext('stream-req'));
  } finally {
    setLogWriter(undefined);
  }
}

const sent = () => endpoint.requests.flatMap((r) => r.body.Entries);
const sequenceOf = (event: DynamoDBStreamEvent, i: number) => event.Records[i]!.dynamodb!.SequenceNumber!;

test('every fixture: the outbox events reach the bus, in order, as ECR-shaped entries; no failures', async () => {
  const names = (await readdir(FIXTURES))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
  assert.ok(names.length >= 6);
  for (const name of names) {
    endpoint.requests.length = 0;
    const event = batch(await fixture(name));
    const expected = outboxEventsOf(event.Records as DynamoDBStreamRecordLike[]);
    assert.deepEqual(await run(event), { batchItemFailures: [] }, name);
    const entries = sent();
    assert.equal(entries.length, expected.length, name);
    entries.forEach((entry, i) => {
      assert.equal(entry.EventBusName, 'registry-bus');
      assert.equal(entry.Source, 'stowage');
      assert.equal(entry.DetailType, 'Image Action');
      const payload = eventPayload(expected[i]!, 'Image Action');
      assert.deepEqual(JSON.parse(entry.Detail), JSON.parse(JSON.stringify(payload.detail)), `${name} event ${i}`);
      assert.equal(JSON.parse(entry.Detail)['event-id'], expected[i]!.id);
    });
  }
  const uploads = batch(await fixture('uploads-and-links'));
  endpoint.requests.length = 0;
  assert.deepEqual(await run(uploads), { batchItemFailures: [] });
  assert.equal(endpoint.requests.length, 0, 'a batch without events makes no call');
});

test('a refused entry: the batch item failure is the record that event came from', async () => {
  const event = batch(await fixture('push-tagged'), await fixture('delete-by-tag'));
  const expected = outboxEventsOf(event.Records as DynamoDBStreamRecordLike[]);
  assert.deepEqual(
    expected.map((e) => [e.action, e.tag]),
    [
      ['PUSH', 'v1'],
      ['PUSH', 'latest'],
      ['DELETE', 'v1'],
    ],
  );
  answer = () => ({ refuse: [1] });
  const result = await run(event);
  const latestRecord = event.Records.findIndex((r) => r.dynamodb?.Keys?.PK?.S === `OUTBOX#${expected[1]!.id}`);
  assert.ok(latestRecord > 0);
  assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: sequenceOf(event, latestRecord) }] });
  const line = JSON.parse(logLines.at(-1)!);
  assert.equal(line.requestId, 'stream-req');
  assert.equal(line.sequenceNumber, sequenceOf(event, latestRecord));
  assert.match(line.reason, /InternalFailure/);
});

test('more than 10 events: a failed second call stops publishing and names the record of its first event', async () => {
  const tagged = await fixture('push-tagged');
  const event = batch(tagged, tagged, tagged, tagged, tagged, tagged, await fixture('delete-by-tag'));
  const expected = outboxEventsOf(event.Records as DynamoDBStreamRecordLike[]);
  assert.equal(expected.length, 13);
  answer = (call): PutEventsAnswer => (call === 1 ? { error: { status: 400, type: 'AccessDeniedException', message: 'not allowed' } } : {});
  const result = await run(event);
  // The same fixture repeats, so the 11th event's record is found by position among the outbox INSERTs.
  const outboxRecords = event.Records.flatMap((r, i) => (outboxEventsOf([r as DynamoDBStreamRecordLike]).length ? [i] : []));
  const record = outboxRecords[10]!;
  assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: sequenceOf(event, record) }] });
  assert.deepEqual(
    endpoint.requests.map((r) => r.body.Entries.length),
    [10, 3],
  );

  // The retry starts at that record: the rest is published, nothing is missing.
  endpoint.requests.length = 0;
  answer = () => ({});
  const retry = { Records: event.Records.slice(record) } as DynamoDBStreamEvent;
  assert.deepEqual(await run(retry), { batchItemFailures: [] });
  assert.deepEqual(
    sent().map((e) => JSON.parse(e.Detail)['image-tag']),
    expected.slice(10).map((e) => e.tag),
  );
});

test('an unreachable bus fails at the first record with events', async () => {
  const event = batch(await fixture('uploads-and-links'), await fixture('push-untagged-referrer'));
  const firstWithEvent = event.Records.findIndex((r) => outboxEventsOf([r as DynamoDBStreamRecordLike]).length > 0);
  answer = () => ({ error: { status: 400, type: 'ResourceNotFoundException', message: 'Event bus registry-bus does not exist.' } });
  assert.deepEqual(await run(event), { batchItemFailures: [{ itemIdentifier: sequenceOf(event, firstWithEvent) }] });
});

test('an outbox record that cannot be read stops the batch there: earlier events are published, later ones wait for the retry', async () => {
  const tagged = await fixture('push-tagged');
  const outboxInsert = tagged.find((r) => r.dynamodb?.Keys?.PK?.S?.startsWith('OUTBOX#'))!;
  const broken: DynamoDBStreamRecordLike = { ...outboxInsert, dynamodb: { ...outboxInsert.dynamodb, NewImage: { ...outboxInsert.dynamodb!.NewImage, event: { S: '{"id":1}' } } } };
  const event = batch(tagged, [broken], await fixture('delete-by-tag'));
  const brokenAt = tagged.length;
  assert.deepEqual(await run(event), { batchItemFailures: [{ itemIdentifier: sequenceOf(event, brokenAt) }] });
  assert.deepEqual(
    sent().map((e) => JSON.parse(e.Detail)['image-tag']),
    ['v1', 'latest'],
  );
  assert.match(JSON.parse(logLines.at(-1)!).reason, /could not be mapped/);
});
