/** Push and delete events reach the event log and webhooks in the ECR-like shape. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startServer } from '../../src/shells/http/server.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('a tagged push and a delete are written to events.jsonl and POSTed to the webhook', async (t) => {
  const received: unknown[] = [];
  let allReceived: () => void = () => {};
  const delivered = new Promise<void>((resolve) => (allReceived = resolve));
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end();
      if (received.length === 3) allReceived();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const dataDir = await mkdtemp(join(tmpdir(), 'stowage-events-'));
  const server = await startServer({ dataDir, port: 0, webhooks: [`http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`] });
  t.after(async () => {
    await server.close();
    hook.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const config = Buffer.from('{}');
  await fetch(`${server.url}/v2/team/app/blobs/uploads/?digest=${sha(config)}`, { method: 'POST', body: config });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [],
    }),
  );
  const put = await fetch(`${server.url}/v2/team/app/manifests/v1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201);
  assert.equal((await fetch(`${server.url}/v2/team/app/manifests/${sha(manifest)}`, { method: 'DELETE' })).status, 202);

  const lines = (await readFile(join(dataDir, 'events.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const details = lines.map((l) => [l.source, l.detail['action-type'], l.detail['repository-name'], l.detail['image-digest'], l.detail['image-tag'] ?? null]);
  assert.deepEqual(details, [
    ['stowage', 'PUSH', 'team/app', sha(manifest), 'v1'],
    ['stowage', 'DELETE', 'team/app', sha(manifest), 'v1'],
    ['stowage', 'DELETE', 'team/app', sha(manifest), null],
  ]);
  assert.equal(lines[0].detail['manifest-media-type'], 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(lines[0].detail['artifact-media-type'], 'application/vnd.oci.image.config.v1+json');
  assert.equal(lines[0].detail.target.size, manifest.length);
  // Webhooks are delivered from the outbox after the answer (test/integration/event-outbox.test.ts).
  await delivered;
  assert.equal(received.length, 3, 'the webhook got every event');
  assert.deepEqual(received[0], lines[0]);
  assert.equal(lines[0].detail['event-id'], lines[0].id, 'the detail names the event, as on EventBridge');
  assert.equal(new Set(lines.map((l) => l.id)).size, 3);
});
