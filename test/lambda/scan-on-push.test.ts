/** The scan-on-push target: which image a push event asks to scan, and that a failing scanner fails the invocation (so EventBridge retries, then dead-letters). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventPayload } from '../../src/core/event-payload.js';
import { scanOnPush, scanRequestOf, type ScanRequest } from '../../src/shells/lambda/scan-on-push.js';

const digest = `sha256:${'a'.repeat(64)}`;

test('a push event names repository, digest and tag; other events name nothing', async () => {
  const payload = eventPayload({
    id: 'e1',
    time: '2026-12-02T00:00:00Z',
    action: 'PUSH',
    repository: 'team/app',
    digest,
    tag: '1.0',
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    size: 10,
    actor: 'ci',
  });
  assert.deepEqual(scanRequestOf({ detail: payload.detail }), { repository: 'team/app', digest, tag: '1.0', eventId: 'e1' });
  assert.equal(scanRequestOf({ detail: { ...payload.detail, 'action-type': 'DELETE' } }), null);
  assert.equal(scanRequestOf({ detail: {} }), null);

  const seen: ScanRequest[] = [];
  await scanOnPush(async (r) => void seen.push(r))({ detail: payload.detail, 'detail-type': 'Stowage Image Action' } as never);
  assert.equal(seen[0]?.digest, digest);
  await assert.rejects(scanOnPush(async () => Promise.reject(new Error('scanner down')))({ detail: payload.detail } as never), /scanner down/);
});
