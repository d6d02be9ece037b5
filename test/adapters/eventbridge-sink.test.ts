/**
 * No EventBridge emulator exists, so this test checks the sink at its wire boundary: the real
 * SDK client sends PutEvents to `RecordingEventBridgeEndpoint`, a small local HTTP server that
 * records each request and answers in the AWS JSON 1.1 protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeEventSink } from '../../src/adapters/aws/eventbridge-sink.js';
import { makeEvent } from '../../src/core/events.js';

interface Recorded {
  target: string | undefined;
  body: { Entries: { EventBusName: string; Source: string; DetailType: string; Detail: string }[] };
}

async function startRecordingEventBridgeEndpoint(failEntryIndex?: number): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Recorded['body'];
      requests.push({ target: req.headers['x-amz-target'] as string | undefined, body });
      const entries = body.Entries.map((_, i) => (i === failEntryIndex ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `id-${i}` }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: failEntryIndex === undefined ? 0 : 1, Entries: entries }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

function client(url: string): EventBridgeClient {
  return new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

const event = (tag: string | null) =>
  makeEvent({ action: 'PUSH', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}`, tag, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.oci.image.config.v1+json', size: 123, actor: 'ci' });

test('events go to the bus as ECR-shaped entries, at most 10 per PutEvents call', async (t) => {
  const endpoint = await startRecordingEventBridgeEndpoint();
  t.after(() => endpoint.server.close());
  const sink = new EventBridgeEventSink({ client: client(endpoint.url), eventBusName: 'registry-bus', detailType: 'Image Action' });
  await sink.publish(Array.from({ length: 12 }, (_, i) => event(`v${i}`)));
  assert.deepEqual(endpoint.requests.map((r) => [r.target, r.body.Entries.length]), [
    ['AWSEvents.PutEvents', 10],
    ['AWSEvents.PutEvents', 2],
  ]);
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
});

test('refused entries and an unreachable bus are logged, never thrown at the request', async (t) => {
  const endpoint = await startRecordingEventBridgeEndpoint(0);
  t.after(() => endpoint.server.close());
  const logged: string[] = [];
  await new EventBridgeEventSink({ client: client(endpoint.url), eventBusName: 'b', log: (m) => logged.push(m) }).publish([event('a')]);
  assert.match(logged[0] ?? '', /refused event .*InternalFailure/);
  const down = new EventBridgeEventSink({ client: client('http://127.0.0.1:1'), eventBusName: 'b', log: (m) => logged.push(m) });
  await down.publish([event('b')]);
  assert.match(logged[1] ?? '', /PutEvents failed/);
});
