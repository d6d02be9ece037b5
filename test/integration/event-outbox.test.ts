/**
 * Webhook events are never lost and never block a push: they leave through the outbox in the
 * metadata database. A server killed with SIGKILL after acknowledging a push whose webhook was
 * refused delivers the event after its restart, signed with X-Hub-Signature-256; a delivery that
 * keeps failing joins the dead-letter list, which `stowage check` shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type ServedChild, serveChild } from '../helpers/serve-child.js';
import { pushImage } from '../helpers/push.js';

const SECRET = 'outbox-test-secret';
let dir = '';
const children: ServedChild[] = [];
const servers: Server[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-outbox-'));
});
after(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop();
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver answering `status()` to each delivery; `next(n)` waits for the n-th. */
async function receiver(status: () => number) {
  const deliveries: Delivery[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.statusCode = status();
      res.end();
      for (const w of waiters.filter((w) => deliveries.length >= w.n)) w.resolve();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    next: (n: number) => (deliveries.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

async function serve(dataDir: string, hook: string, extra: string[] = []): Promise<ServedChild & { url: string }> {
  const c = await serveChild(
    ['--port', '0', '--data-dir', dataDir, '--webhook', hook, '--webhook-retry-base', '0.2', ...extra],
    { PATH: process.env.PATH, STOWAGE_WEBHOOK_SECRET: SECRET },
    60_000,
  );
  children.push(c);
  assert.ok(c.url, `the server started: ${c.stderr}`);
  return c as ServedChild & { url: string };
}

test('a push acknowledged while the webhook refuses, then SIGKILL: the restarted server delivers its event, signed', async () => {
  let accept = false;
  const hook = await receiver(() => (accept ? 204 : 503));
  const dataDir = join(dir, 'killed');
  const first = await serve(dataDir, hook.url);
  const image = await pushImage(first.url, 'team/app', 'v1', 1);
  // The receiver refused the first attempt; the process dies before any retry succeeds.
  await hook.next(1);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const refused = hook.deliveries.length;

  accept = true;
  await serve(dataDir, hook.url);
  await hook.next(refused + 1);
  const delivered = hook.deliveries.at(-1) as Delivery;
  const payload = JSON.parse(delivered.body) as { id: string; detail: Record<string, unknown> };
  assert.equal(payload.detail['action-type'], 'PUSH');
  assert.equal(payload.detail['repository-name'], 'team/app');
  assert.equal(payload.detail['image-digest'], image.manifestDigest);
  assert.equal(payload.detail['image-tag'], 'v1');
  assert.equal(delivered.headers['x-stowage-event-id'], payload.id);
  const expected = `sha256=${createHmac('sha256', SECRET).update(delivered.body).digest('hex')}`;
  assert.equal(delivered.headers['x-hub-signature-256'], expected, 'signed as GitHub signs webhooks');
  assert.equal(JSON.parse((hook.deliveries[0] as Delivery).body).id, payload.id, 'the refused and the delivered attempt carry the same event');
  // Delivered once it succeeded: no further copies.
  const check = await runCli(['check', '--json', '--data-dir', dataDir], '', 60_000);
  assert.equal(check.code, 0, check.stdout);
});

test('a receiver that never answers does not hold up pushes', async () => {
  const hanging = createServer(() => {});
  servers.push(hanging);
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  const server = await serve(join(dir, 'hanging'), `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`);
  for (let i = 0; i < 3; i++) await pushImage(server.url, 'team/slow', `v${i}`, 1);
  hanging.closeAllConnections();
});

test('a delivery that keeps failing joins the dead-letter list after the attempt limit, and stowage check lists it', async () => {
  const hook = await receiver(() => 500);
  const dataDir = join(dir, 'dead');
  const server = await serve(dataDir, hook.url, ['--webhook-max-attempts', '3', '--webhook-retry-base', '0.05']);
  await pushImage(server.url, 'team/dead', 'v1', 1);
  await hook.next(3);
  const eventId = JSON.parse((hook.deliveries[0] as Delivery).body).id as string;
  let listed = '';
  for (let i = 0; i < 100 && !listed.includes('event-dead-letter'); i++) {
    listed = (await runCli(['check', '--data-dir', dataDir], '', 60_000)).stdout;
  }
  assert.match(listed, new RegExp(`^event-dead-letter ${eventId}: webhook ${hook.url} not delivered after 3 attempts \\(last: answered 500; since `, 'm'));
  const check = await runCli(['check', '--data-dir', dataDir], '', 60_000);
  assert.equal(check.code, 1, 'a dead letter is a problem that remains');
  assert.equal(hook.deliveries.length, 3, 'no attempt after the limit');
});
