/**
 * Concurrency on both adapter families: two registry instances over the same ports stand for
 * two processes (two Lambdas, two upload-service tasks); only the claim on the upload session
 * (conditional writes on its version, a short lease the writer renews) keeps order.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type IncomingRequest } from '../../src/core/registry.js';
import { DEFAULT_LIMITS } from '../../src/core/context.js';
import type { MetadataStore } from '../../src/ports/metadata-store.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { RegistryResponse } from '../../src/core/messages.js';
import { startTestPorts, type TestBackend, type TestPorts } from '../helpers/server.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function request(method: string, path: string, init: { query?: Record<string, string>; headers?: Record<string, string>; body?: AsyncIterable<Uint8Array> } = {}): IncomingRequest {
  return { method, path, query: new URLSearchParams(init.query), headers: init.headers ?? {}, body: init.body ?? once(new Uint8Array()) };
}

async function bodyOf(res: RegistryResponse): Promise<Buffer> {
  if (res.body === undefined) return Buffer.alloc(0);
  if (typeof res.body === 'string' || res.body instanceof Uint8Array) return Buffer.from(res.body);
  const parts: Uint8Array[] = [];
  for await (const c of res.body) parts.push(c);
  return Buffer.concat(parts);
}

async function readBlob(registry: Registry, repo: string, digest: string): Promise<Buffer> {
  const res = await registry.handle(request('GET', `/v2/${repo}/blobs/${digest}`));
  if (res.status === 307) return Buffer.from(await (await fetch(res.headers.location as string)).arrayBuffer());
  assert.equal(res.status, 200);
  return bodyOf(res);
}

/** A short lease, so a test waits it out in a fraction of a second instead of 30 s. */
const SHORT_LEASE = { ...DEFAULT_LIMITS, uploadLease: { durationMs: 400, renewEveryMs: 100 } };

/**
 * The metadata store as a process that dies right after claiming an upload sees it: the claim
 * lands, and no later write (renewal, progress, release) ever reaches the store.
 */
function diesAfterClaim(metadata: MetadataStore): MetadataStore {
  let claims = 0;
  const dead = Object.create(metadata) as MetadataStore;
  dead.updateUpload = (session, expectedVersion) => (claims++ === 0 ? metadata.updateUpload(session, expectedVersion) : new Promise<boolean>(() => {}));
  return dead;
}

function hangingBody(first: Uint8Array, onSent: () => void): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield first;
    onSent();
    await new Promise<void>(() => {}); // the client (or the process) never sends the rest
  })();
}

for (const backend of ['embedded', 'aws'] as TestBackend[]) {
  describe(`upload and push races (${backend} adapters)`, () => {
    let dataDir: string;
    let env: TestPorts;
    let a: Registry;
    let b: Registry;

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'stowage-races-'));
      env = await startTestPorts(backend, dataDir);
      a = new Registry(env.ports, undefined, { operations: ALL_OPERATIONS });
      b = new Registry(env.ports, undefined, { operations: ALL_OPERATIONS });
    });
    after(async () => {
      await env.close();
      env.ports.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    test("a second PATCH at the same offset, or a PUT, while a PATCH is being written is refused with 416; the blob holds only the winner's bytes", async () => {
      const started = await a.handle(request('POST', '/v2/race/app/blobs/uploads/'));
      assert.equal(started.status, 202);
      const location = started.headers.location as string;
      const first = randomBytes(300_000);
      const second = randomBytes(300_000);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let firstHalfSent!: () => void;
      const midway = new Promise<void>((r) => (firstHalfSent = r));
      async function* slowBody(): AsyncIterable<Uint8Array> {
        yield first.subarray(0, 150_000);
        firstHalfSent();
        await gate;
        yield first.subarray(150_000);
      }
      const winner = a.handle(request('PATCH', location, { headers: { 'content-range': `0-${first.length - 1}`, 'content-length': String(first.length) }, body: slowBody() }));
      await midway;
      const loser = await b.handle(
        request('PATCH', location, { headers: { 'content-range': `0-${second.length - 1}`, 'content-length': String(second.length) }, body: once(second) }),
      );
      assert.equal(loser.status, 416, 'the racing PATCH is refused while the first one writes');
      const earlyPut = await b.handle(request('PUT', location, { query: { digest: sha256(first) }, headers: { 'content-length': '0' } }));
      assert.equal(earlyPut.status, 416, 'finishing while a chunk is still being written is refused, not a digest mismatch');
      release();
      const won = await winner;
      assert.equal(won.status, 202);
      assert.equal(won.headers.range, `0-${first.length - 1}`);
      const put = await b.handle(request('PUT', location, { query: { digest: sha256(first) }, headers: { 'content-length': '0' } }));
      assert.equal(put.status, 201, 'the other process finishes the upload from the saved state');
      assert.ok((await readBlob(b, 'race/app', sha256(first))).equals(first));
    });

    test('a PATCH whose body fails releases its claim, so the chunk can be resent at once', async () => {
      const started = await a.handle(request('POST', '/v2/race/retry/blobs/uploads/'));
      const location = started.headers.location as string;
      const data = randomBytes(1000);
      async function* broken(): AsyncIterable<Uint8Array> {
        yield data.subarray(0, 10);
        throw new Error('client went away');
      }
      await assert.rejects(a.handle(request('PATCH', location, { headers: { 'content-range': '0-999' }, body: broken() })), /client went away/);
      const retry = await b.handle(request('PATCH', location, { headers: { 'content-range': '0-999', 'content-length': '1000' }, body: once(data) }));
      assert.equal(retry.status, 202);
      assert.equal((await b.handle(request('PUT', location, { query: { digest: sha256(data) }, headers: { 'content-length': '0' } }))).status, 201);
      assert.ok((await readBlob(a, 'race/retry', sha256(data))).equals(data));
    });

    test('a writer that dies mid-body blocks its upload only until its lease expires; another writer then continues from the recorded offset', async () => {
      const dying = new Registry({ ...env.ports, metadata: diesAfterClaim(env.ports.metadata) }, SHORT_LEASE, { operations: ALL_OPERATIONS });
      const other = new Registry(env.ports, SHORT_LEASE, { operations: ALL_OPERATIONS });
      const started = await other.handle(request('POST', '/v2/race/crash/blobs/uploads/'));
      const location = started.headers.location as string;
      const head = randomBytes(1000);
      const tail = randomBytes(2000);
      assert.equal((await other.handle(request('PATCH', location, { headers: { 'content-range': '0-999', 'content-length': '1000' }, body: once(head) }))).status, 202);
      let sent!: () => void;
      const midway = new Promise<void>((r) => (sent = r));
      void dying.handle(request('PATCH', location, { headers: { 'content-range': `1000-2999`, 'content-length': '2000' }, body: hangingBody(tail.subarray(0, 500), sent) }));
      await midway;
      const chunk = { headers: { 'content-range': '1000-2999', 'content-length': '2000' } };
      assert.equal((await other.handle(request('PATCH', location, { ...chunk, body: once(tail) }))).status, 416, "refused while the dead writer's lease holds");
      const diedAt = Date.now();
      let status = 416;
      while (status === 416 && Date.now() - diedAt < 5_000) {
        await sleep(50);
        status = (await other.handle(request('PATCH', location, { ...chunk, body: once(tail) }))).status;
      }
      assert.equal(status, 202, 'another writer continues once the lease expired');
      assert.ok(Date.now() - diedAt <= SHORT_LEASE.uploadLease.durationMs + 300, `blocked for ${Date.now() - diedAt} ms, no longer than the lease`);
      const whole = Buffer.concat([head, tail]);
      assert.equal((await other.handle(request('PUT', location, { query: { digest: sha256(whole) }, headers: { 'content-length': '0' } }))).status, 201);
      assert.ok((await readBlob(other, 'race/crash', sha256(whole))).equals(whole));
    });

    test('a write that outlives the lease duration keeps its claim: the writer renews it while the body streams', async () => {
      const writer = new Registry(env.ports, SHORT_LEASE, { operations: ALL_OPERATIONS });
      const other = new Registry(env.ports, SHORT_LEASE, { operations: ALL_OPERATIONS });
      const started = await writer.handle(request('POST', '/v2/race/long/blobs/uploads/'));
      const location = started.headers.location as string;
      const data = randomBytes(200_000);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let sent!: () => void;
      const midway = new Promise<void>((r) => (sent = r));
      const slow = (async function* () {
        yield data.subarray(0, 100_000);
        sent();
        await gate;
        yield data.subarray(100_000);
      })();
      const writing = writer.handle(request('PATCH', location, { headers: { 'content-length': String(data.length) }, body: slow }));
      await midway;
      await sleep(3 * SHORT_LEASE.uploadLease.durationMs);
      assert.equal(
        (await other.handle(request('PATCH', location, { headers: { 'content-range': '0-9', 'content-length': '10' }, body: once(data.subarray(0, 10)) }))).status,
        416,
        'still claimed after three lease durations',
      );
      release();
      const done = await writing;
      assert.equal(done.status, 202);
      assert.equal(done.headers.range, `0-${data.length - 1}`);
      assert.equal((await other.handle(request('PUT', location, { query: { digest: sha256(data) }, headers: { 'content-length': '0' } }))).status, 201);
      assert.ok((await readBlob(other, 'race/long', sha256(data))).equals(data));
    });

    test('two clients pushing the same blob and then the same tag at once: both succeed and the tag names one complete manifest', async () => {
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const pushes = await Promise.all(
        [a, b].map((r) =>
          r.handle(request('POST', '/v2/race/tag/blobs/uploads/', { query: { digest: sha256(config) }, headers: { 'content-length': String(config.length) }, body: once(config) })),
        ),
      );
      assert.deepEqual(
        pushes.map((p) => p.status),
        [201, 201],
      );
      const manifests = ['one', 'two'].map((v) =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
            layers: [],
            annotations: { v },
          }),
        ),
      );
      const puts = await Promise.all(
        manifests.map((m, i) =>
          [a, b][i]!.handle(
            request('PUT', '/v2/race/tag/manifests/latest', {
              headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(m.length) },
              body: once(m),
            }),
          ),
        ),
      );
      assert.deepEqual(
        puts.map((p) => p.status),
        [201, 201],
      );
      const got = await a.handle(request('GET', '/v2/race/tag/manifests/latest'));
      assert.equal(got.status, 200);
      const body = await bodyOf(got);
      assert.ok(
        manifests.some((m) => m.equals(body)),
        'the tag resolves to one of the two pushed manifests, byte-exact',
      );
      assert.equal(got.headers['docker-content-digest'], sha256(body));
      for (const m of manifests) assert.equal((await b.handle(request('HEAD', `/v2/race/tag/manifests/${sha256(m)}`))).status, 200, 'both manifests stay pullable by digest');
    });
  });
}
