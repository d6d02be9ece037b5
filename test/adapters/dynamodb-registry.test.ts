/**
 * The registry core on the DynamoDB metadata store (dynalite; blobs on the filesystem):
 * - the DynamoDB calls each registry operation makes, against the budget in docs/dynamodb-table.md;
 * - the event outbox: what the stream relays is exactly what the core emitted.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/adapters/embedded/fs-blob-store.js';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { DynamoDbOutboxSink } from '../../src/adapters/aws/outbox-event-sink.js';
import { outboxEventsOf } from '../../src/adapters/aws/stream-events.js';
import { Registry } from '../../src/core/registry.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { RegistryResponse } from '../../src/core/messages.js';
import type { RegistryEvent } from '../../src/ports/event-sink.js';
import { InMemoryLargeObjectStore, countCalls, startDynalite, type Dynalite } from './dynamodb-harness.js';
import { StreamRecorder } from './dynamodb-stream-recorder.js';

const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let db: Dynalite;
let dataDir: string;
before(async () => {
  db = await startDynalite();
  dataDir = await mkdtemp(join(tmpdir(), 'stowage-dynamodb-registry-'));
});
after(async () => {
  await db.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Setup {
  registry: Registry;
  events: RegistryEvent[];
  store: DynamoDbMetadataStore;
  calls: ReturnType<typeof countCalls>;
  recorder: StreamRecorder;
  tableName: string;
}

/** `outbox`: events also go to the table as outbox items (the Lambda's sink), after being captured. */
async function setup(name: string, options: { outbox?: boolean } = {}): Promise<Setup> {
  const tableName = await db.newTable();
  const client = db.newClient();
  const calls = countCalls(client);
  const recorder = new StreamRecorder(db.newClient(), tableName);
  recorder.attach(client);
  const blobs = new FsBlobStore(join(dataDir, name));
  await blobs.init();
  const store = new DynamoDbMetadataStore({ client, tableName, largeObjects: new InMemoryLargeObjectStore() });
  const events: RegistryEvent[] = [];
  const outbox = new DynamoDbOutboxSink({ client, tableName });
  const registry = new Registry(
    {
      blobs,
      metadata: store,
      events: {
        publish: async (e) => {
          events.push(...e);
          if (options.outbox) await outbox.publish(e);
        },
      },
    },
    undefined,
    { operations: ALL_OPERATIONS },
  );
  return { registry, events, store, calls, recorder, tableName };
}

interface Call {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

async function call(reg: Registry, method: string, pathAndQuery: string, options: Call = {}): Promise<RegistryResponse> {
  const url = new URL(pathAndQuery, 'http://registry.test');
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.append(k, v);
  const body = options.body;
  const headers: Record<string, string> = { ...options.headers };
  if (body) headers['content-length'] = String(body.byteLength);
  const res = await reg.handle({
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: (async function* () {
      if (body) yield body;
    })(),
    actor: 'alice',
  });
  if (res.body && typeof res.body === 'object' && Symbol.asyncIterator in res.body) for await (const _ of res.body);
  return res;
}

const location = (res: RegistryResponse) => String(res.headers.location);

/** Pushes a blob the way docker does: HEAD, POST, one streamed PATCH, PUT ?digest=. */
async function pushBlob(reg: Registry, repo: string, bytes: Uint8Array, t: TestContext, s: Setup, budget?: Record<string, Record<string, number>>): Promise<string> {
  const digest = sha256(bytes);
  const step = async (label: string, fn: () => Promise<RegistryResponse>, status: number) => {
    s.calls.reset();
    const res = await fn();
    assert.equal(res.status, status, label);
    if (budget) budget[label] = s.calls.counts();
    return res;
  };
  await step('HEAD blob (absent)', () => call(reg, 'HEAD', `/v2/${repo}/blobs/${digest}`), 404);
  const post = await step('POST upload', () => call(reg, 'POST', `/v2/${repo}/blobs/uploads/`), 202);
  const patch = await step('PATCH (whole blob)', () => call(reg, 'PATCH', location(post), { body: bytes, headers: { 'content-type': 'application/octet-stream' } }), 202);
  await step('PUT ?digest=', () => call(reg, 'PUT', location(patch), { query: { digest } }), 201);
  t.diagnostic(`blob ${digest.slice(0, 19)} pushed`);
  return digest;
}

function imageManifest(config: string, configSize: number, layers: { digest: string; size: number }[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.manifest,
      config: { mediaType: OCI.config, digest: config, size: configSize },
      layers: layers.map((l) => ({ mediaType: OCI.layer, ...l })),
      ...extra,
    }),
  );
}

test('DynamoDB calls per registry operation stay within the documented budget', async (t) => {
  const s = await setup('budget');
  const reg = s.registry;
  const repo = 'team/app';
  const measured: Record<string, Record<string, number>> = {};
  const measure = async (label: string, fn: () => Promise<RegistryResponse>, status: number) => {
    s.calls.reset();
    const res = await fn();
    assert.equal(res.status, status, label);
    measured[label] = s.calls.counts();
    return res;
  };

  // A 3-layer image: the first blob is measured separately (it also puts the catalog entry).
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const first: Record<string, Record<string, number>> = {};
  const configDigest = await pushBlob(reg, repo, config, t, s, first);
  const layers: { digest: string; size: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const bytes = Buffer.from(`layer ${i} `.repeat(1000));
    layers.push({ digest: await pushBlob(reg, repo, bytes, t, s, i === 2 ? measured : undefined), size: bytes.length });
  }
  const manifest = imageManifest(configDigest, config.length, layers);
  const digest = sha256(manifest);
  await measure('PUT manifest by tag (3 layers + config)', () => call(reg, 'PUT', `/v2/${repo}/manifests/v1`, { body: manifest, headers: { 'content-type': OCI.manifest } }), 201);
  await measure('GET manifest by tag', () => call(reg, 'GET', `/v2/${repo}/manifests/v1`), 200);
  await measure('HEAD manifest by digest', () => call(reg, 'HEAD', `/v2/${repo}/manifests/${digest}`), 200);
  await measure('HEAD blob', () => call(reg, 'HEAD', `/v2/${repo}/blobs/${layers[0]!.digest}`), 200);
  await measure('GET blob', () => call(reg, 'GET', `/v2/${repo}/blobs/${layers[0]!.digest}`), 200);
  await measure('GET tags/list', () => call(reg, 'GET', `/v2/${repo}/tags/list`), 200);
  await measure('GET _catalog', () => call(reg, 'GET', '/v2/_catalog'), 200);
  await measure('GET referrers', () => call(reg, 'GET', `/v2/${repo}/referrers/${digest}`), 200);
  await measure('POST mount from another repository', () => call(reg, 'POST', '/v2/team/other/blobs/uploads/', { query: { mount: layers[0]!.digest, from: repo } }), 201);
  const mono = Buffer.from('monolithic');
  await measure('POST ?digest= (monolithic)', () => call(reg, 'POST', `/v2/${repo}/blobs/uploads/`, { query: { digest: sha256(mono) }, body: mono }), 201);
  await measure('DELETE manifest by tag', () => call(reg, 'DELETE', `/v2/${repo}/manifests/v1`), 202);
  await measure('DELETE manifest by digest (no tags left)', () => call(reg, 'DELETE', `/v2/${repo}/manifests/${digest}`), 202);

  for (const [label, counts] of Object.entries({ ...first, ...measured })) t.diagnostic(`${label}: ${JSON.stringify(counts)}`);
  // The budget of docs/dynamodb-table.md ("Calls per registry operation").
  assert.deepEqual(first['PUT ?digest='], { PutItem: 1, UpdateItem: 1, DeleteItem: 1 }, 'first blob of a repository in this process: + catalog PutItem');
  assert.deepEqual(measured, {
    'HEAD blob (absent)': { GetItem: 1 },
    'POST upload': { PutItem: 1 },
    // The claim is one conditional UpdateItem that returns the session (no read first); the
    // PutItem records the offset and releases the lease.
    'PATCH (whole blob)': { UpdateItem: 1, PutItem: 1 },
    // The session is taken by one conditional delete that returns it (no read, no claim write);
    // the link is an UpdateItem that refreshes its time for the collector's grace.
    'PUT ?digest=': { UpdateItem: 1, DeleteItem: 1 },
    // Read every link and the catalog entry in one batch (fresh links need no touch; a listed
    // repository is not written again), store, re-read the links in one batch (the collector
    // handshake), then the tag from the record just stored (its one GetItem is the re-check that
    // the manifest is still there). PutItem: the manifest, the tag-of entry and the tag.
    'PUT manifest by tag (3 layers + config)': { BatchGetItem: 2, GetItem: 1, PutItem: 1 + 2 },
    'GET manifest by tag': { GetItem: 1 }, // the tag item carries its manifest's copy (docs/dynamodb-table.md)
    'HEAD manifest by digest': { GetItem: 1 },
    'HEAD blob': { GetItem: 1 },
    'GET blob': { GetItem: 1 },
    // A page with tags proves the repository exists: only an empty page also reads whether it does.
    'GET tags/list': { Query: 1 },
    'GET _catalog': { Query: 1 },
    'GET referrers': { Query: 1 },
    'POST mount from another repository': { GetItem: 1, PutItem: 1, UpdateItem: 1 },
    'POST ?digest= (monolithic)': { UpdateItem: 1 },
    'DELETE manifest by tag': { DeleteItem: 1, GetItem: 1 },
    'DELETE manifest by digest (no tags left)': { GetItem: 2, Query: 2, DeleteItem: 2, BatchWriteItem: 1 },
  });
});

test('a repository deleted by another process comes back into the catalog with the next manifest pushed to it', async (t) => {
  const s = await setup('deleted-elsewhere');
  const repo = 'team/again';
  const config = Buffer.from('{"os":"linux"}');
  const configDigest = await pushBlob(s.registry, repo, config, t, s);
  // Another process deletes the repository; this one still trusts its cached catalog entry, so
  // linking the blob again writes no catalog entry.
  const elsewhere = new DynamoDbMetadataStore({ client: db.newClient(), tableName: s.tableName, largeObjects: new InMemoryLargeObjectStore() });
  assert.equal(await elsewhere.deleteRepository(repo), true);
  await pushBlob(s.registry, repo, config, t, s);
  assert.equal(await s.store.repositoryExists(repo), false, 'the link alone did not list it again (cached)');
  const manifest = imageManifest(configDigest, config.length, []);
  assert.equal((await call(s.registry, 'PUT', `/v2/${repo}/manifests/v1`, { body: manifest, headers: { 'content-type': OCI.manifest } })).status, 201);
  assert.equal(await s.store.repositoryExists(repo), true, 'the manifest PUT read that it was not listed, and listed it');
  assert.ok((await elsewhere.listRepositories({ limit: 100 })).items.includes(repo));
});

test('the outbox: the stream relays exactly the events the core emitted, no more, no fewer', async (t) => {
  const s = await setup('outbox', { outbox: true });
  const reg = s.registry;
  const repo = 'team/app';
  s.recorder.start();
  const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
  const configDigest = await pushBlob(reg, repo, config, t, s);
  const layer = Buffer.from('layer');
  const layerDigest = await pushBlob(reg, repo, layer, t, s);
  const one = imageManifest(configDigest, config.length, [{ digest: layerDigest, size: layer.length }]);
  const two = imageManifest(configDigest, config.length, [], { annotations: { n: '2' } });
  const sig = imageManifest(configDigest, config.length, [], { artifactType: 'application/x.sig', subject: { mediaType: OCI.manifest, digest: sha256(one), size: one.length } });
  const put = (ref: string, body: Buffer, query?: Record<string, string>) =>
    call(reg, 'PUT', `/v2/${repo}/manifests/${ref}`, { body, headers: { 'content-type': OCI.manifest }, ...(query && { query }) });

  assert.equal((await put('v1', one, { tag: 'stable' })).status, 201, 'tagged: v1 and stable');
  assert.equal((await put(sha256(two), two)).status, 201, 'untagged');
  assert.equal((await put('latest', two)).status, 201, 'tagging an existing manifest');
  assert.equal((await put('stable', two)).status, 201, 'moving a tag');
  assert.equal((await put(sha256(sig), sig)).status, 201, 'an untagged referrer');
  assert.equal((await call(reg, 'DELETE', `/v2/${repo}/manifests/latest`)).status, 202, 'delete by tag');
  assert.equal((await put('old', sig)).status, 201);
  assert.equal((await call(reg, 'DELETE', `/v2/${repo}/manifests/${sha256(sig)}`)).status, 202, 'delete by digest, one tag');
  assert.equal((await call(reg, 'DELETE', `/v2/${repo}/manifests/${sha256(one)}`)).status, 202, 'delete by digest, one tag');

  const streamed = outboxEventsOf(await s.recorder.stop());
  assert.equal(s.events.length, 12);
  assert.deepEqual(streamed, s.events, 'same events, same ids, same order');
});
