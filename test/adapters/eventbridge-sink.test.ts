/**
 * No EventBridge emulator exists, so this test checks the sink at its wire boundary: the real
 * SDK client sends PutEvents to a recording endpoint (test/helpers/eventbridge-endpoint.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeEventSink } from '../../src/adapters/aws/eventbridge-sink.js';
import { eventPayload } from '../../src/core/event-payload.js';
import { makeEvent } from '../../src/core/events.js';
import { startRecordingEventBridgeEndpoint } from '../helpers/eventbridge-endpoint.js';

/** A client for an address where nothing listens. */
function unreachable(): EventBridgeClient {
  return new EventBridgeClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

const event = (tag: string | null) =>
  makeEvent({
    action: 'PUSH',
    repository: 'team/app',
    digest: `sha256:${'a'.repeat(64)}`,
    tag,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.oci.image.config.v1+json',
    size: 123,
    actor: 'ci',
  });

test('events go to the bus as ECR-shaped entries, at most 10 per PutEvents call', async (t) => {
  const endpoint = await startRecordingEventBridgeEndpoint();
  t.after(() => endpoint.close());
  const sink = new EventBridgeEventSink({ client: endpoint.client(), eventBusName: 'registry-bus', detailType: 'Image Action' });
  const events = Array.from({ length: 12 }, (_, i) => event(`v${i}`));
  await sink.publish(events);
  assert.deepEqual(
    endpoint.requests.map((r) => [r.target, r.body.Entries.length]),
    [
      ['AWSEvents.PutEvents', 10],
      ['AWSEvents.PutEvents', 2],
    ],
  );
  const entry = endpoint.requests[0]!.body.Entries[0]!;
  assert.equal(entry.EventBusName, 'registry-bus');
  assert.equal(entry.Source, 'stowage');
  assert.equal(entry.DetailType, 'Image Action');
  const detail = JSON.parse(entry.Detail);
  assert.equal(detail['action-type'], 'PUSH');
  assert.equal(detail['repository-name'], 'team/app');
  assert.equal(detail['image-tag'], 'v0');
  assert.equal(detail['manifest-media-type'], 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(detail['artifact-media-type'], 'application/vnd.oci.image.config.v1+json');
  assert.equal(detail.result, 'SUCCESS');
  assert.equal(detail.target.size, 123);
  assert.equal(detail.actor, 'ci');
  assert.equal(detail['event-id'], events[0]!.id);
  // The webhook's and the event log's payload, field for field.
  const payload = eventPayload(events[0]!, 'Image Action');
  assert.deepEqual(detail, JSON.parse(JSON.stringify(payload.detail)));
  assert.equal(Math.floor(Number(entry.Time)), Math.floor(Date.parse(payload.time) / 1000), 'Time is the event time');
});

test('refused entries and an unreachable bus are logged, never thrown at the request', async (t) => {
  const endpoint = await startRecordingEventBridgeEndpoint(() => ({ refuse: [0] }));
  t.after(() => endpoint.close());
  const logged: string[] = [];
  await new EventBridgeEventSink({ client: endpoint.client(), eventBusName: 'b', log: (m) => logged.push(m) }).publish([event('a')]);
  assert.match(logged[0] ?? '', /refused event .*InternalFailure/);
  const down = new EventBridgeEventSink({ client: unreachable(), eventBusName: 'b', log: (m) => logged.push(m) });
  await down.publish([event('b')]);
  assert.match(logged[1] ?? '', /PutEvents failed/);
});

test('publishUntilFailure: stops at the first refused entry or failed call and says which event, for a caller that retries', async (t) => {
  const refusing = await startRecordingEventBridgeEndpoint((call) => (call === 1 ? { refuse: [3, 5] } : {}));
  t.after(() => refusing.close());
  const logged: string[] = [];
  const sink = new EventBridgeEventSink({ client: refusing.client(), eventBusName: 'b', log: (m) => logged.push(m) });
  const events = Array.from({ length: 25 }, (_, i) => event(`v${i}`));
  const failure = await sink.publishUntilFailure(events);
  assert.equal(failure?.index, 13, 'call 1 holds events 10..19; its entry 3 is event 13');
  assert.match(failure?.reason ?? '', /InternalFailure/);
  assert.equal(refusing.requests.length, 2, 'nothing is sent after the failed call');
  assert.deepEqual(logged, [], 'the caller decides what to log');
  assert.equal(await sink.publishUntilFailure(events.slice(0, 10)), null);

  const denying = await startRecordingEventBridgeEndpoint(() => ({ error: { status: 400, type: 'AccessDeniedException', message: 'not allowed' } }));
  t.after(() => denying.close());
  const denied = await new EventBridgeEventSink({ client: denying.client(), eventBusName: 'b' }).publishUntilFailure(events);
  assert.equal(denied?.index, 0);
  assert.match(denied?.reason ?? '', /PutEvents failed: not allowed/);
});
