/**
 * Blob HEAD by redirect (RegistryLimits.redirectBlobHead, for the Lambda shell): the core answers
 * 307 to the store's presigned HEAD URL, which a client's HEAD can follow to learn the size from
 * S3 itself; without the option (the node server) the core keeps answering 200. S3 on fauxqs,
 * metadata in SQLite (the option is about the blob store only).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { DEFAULT_LIMITS } from '../../src/core/context.js';
import { Registry } from '../../src/core/registry.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { RegistryResponse } from '../../src/core/messages.js';
import { createBucket, startS3Emulator, trackedClient, type S3Emulator } from './s3-emulator.js';

let emulator: S3Emulator;
let dir: string;
before(async () => {
  emulator = await startS3Emulator();
  dir = await mkdtemp(join(tmpdir(), 'stowage-head-'));
});
after(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length) yield bytes;
}

async function registries() {
  const s3 = trackedClient(emulator.endpoint);
  const bucket = await createBucket(s3.client);
  const blobs = new S3BlobStore({ client: s3.client, bucket });
  const metadata = new SqliteMetadataStore(join(dir, `${bucket}.db`));
  const ports = { blobs, metadata, events: { publish: async () => {} } };
  return {
    node: new Registry(ports, undefined, { operations: ALL_OPERATIONS }),
    lambda: new Registry(ports, { ...DEFAULT_LIMITS, redirectBlobHead: true }, { operations: ALL_OPERATIONS }),
    close: () => metadata.close(),
  };
}

function call(registry: Registry, method: string, path: string, body = new Uint8Array()): Promise<RegistryResponse> {
  const [p, q] = path.split('?');
  return registry.handle({ method, path: p!, query: new URLSearchParams(q ?? ''), headers: { 'content-length': String(body.length) }, body: once(body) });
}

test('blob HEAD: 307 to a presigned HEAD URL with redirectBlobHead, 200 with Content-Length without', async (t) => {
  const { node, lambda, close } = await registries();
  t.after(close);
  const data = randomBytes(3000);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const pushed = await call(node, 'POST', `/v2/team/app/blobs/uploads/?digest=${digest}`, data);
  assert.equal(pushed.status, 201);

  const plain = await call(node, 'HEAD', `/v2/team/app/blobs/${digest}`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-length'], '3000');

  const redirected = await call(lambda, 'HEAD', `/v2/team/app/blobs/${digest}`);
  assert.equal(redirected.status, 307);
  assert.equal(redirected.headers['docker-content-digest'], digest);
  assert.equal(redirected.headers['stowage-blob-size'], '3000');
  assert.equal(redirected.headers['content-length'], undefined, 'a 307 carries no body size of its own');
  assert.equal(redirected.body, undefined);
  const location = String(redirected.headers.location);
  assert.match(location, /X-Amz-Signature=/);
  const head = await fetch(location, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '3000');

  // GET still redirects to a presigned GET URL; both answer from the same content object.
  const get = await call(lambda, 'GET', `/v2/team/app/blobs/${digest}`);
  assert.equal(get.status, 307);
  assert.deepEqual(Buffer.from(await (await fetch(String(get.headers.location))).arrayBuffer()), data);
  assert.equal(new URL(String(get.headers.location)).pathname, new URL(location).pathname);
});

test('the HEAD URL is signed for HEAD: same key, date and expiry as a GET URL, another signature', async (t) => {
  // fauxqs does not check signatures, so this is where the signed method is checked.
  const { node, lambda, close } = await registries();
  t.after(close);
  const data = randomBytes(10);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  assert.equal((await call(node, 'POST', `/v2/team/app/blobs/uploads/?digest=${digest}`, data)).status, 201);
  const store = lambda.context.ports.blobs as S3BlobStore;
  for (;;) {
    const head = new URL((await store.headUrl(digest))!);
    const content = await store.open(digest);
    assert.ok(content?.kind === 'redirect');
    const get = new URL(content.url);
    if (head.searchParams.get('X-Amz-Date') !== get.searchParams.get('X-Amz-Date')) continue; // a second boundary fell between
    // The SigV4 query parameters (the SDK adds operation hints such as x-id to a GET URL).
    const unsigned = (u: URL) => [...u.searchParams].filter(([k]) => k.startsWith('X-Amz-') && k !== 'X-Amz-Signature');
    assert.equal(head.pathname, get.pathname);
    assert.deepEqual(unsigned(head), unsigned(get));
    assert.notEqual(head.searchParams.get('X-Amz-Signature'), get.searchParams.get('X-Amz-Signature'));
    break;
  }
});

test('blob HEAD by redirect: a blob not linked here, or whose content is gone, is still the spec 404', async (t) => {
  const { node, lambda, close } = await registries();
  t.after(close);
  const data = randomBytes(10);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const unknown = await call(lambda, 'HEAD', `/v2/team/app/blobs/${digest}`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body, undefined);

  assert.equal((await call(node, 'POST', `/v2/team/app/blobs/uploads/?digest=${digest}`, data)).status, 201);
  await (lambda.context.ports.blobs as S3BlobStore).delete(digest); // content removed behind the registry's back: the link alone is not enough
  assert.equal((await call(lambda, 'HEAD', `/v2/team/app/blobs/${digest}`)).status, 404);
});
