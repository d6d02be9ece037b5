/**
 * One pass over an upload's bytes on the embedded store: every request is hashed natively as it
 * arrives, and an upload that continues in the same process (streamed PATCH or chunks, then the
 * PUT) is never read back from disk and keeps no resumable state. Only a request that continues
 * an upload another process wrote (here: another Registry over the same stores) re-reads what
 * the upload holds, once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type IncomingRequest } from '../../src/core/registry.js';
import { ALL_OPERATIONS } from '../../src/core/operations/all.js';
import type { BlobStore } from '../../src/ports/blob-store.js';
import { startTestPorts, type TestPorts } from '../helpers/server.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function request(method: string, path: string, init: { query?: Record<string, string>; headers?: Record<string, string>; body?: Uint8Array } = {}): IncomingRequest {
  const headers = { ...init.headers, ...(init.body && { 'content-length': String(init.body.length) }) };
  return { method, path, query: new URLSearchParams(init.query), headers, body: once(init.body ?? new Uint8Array()) };
}

let dataDir: string;
let env: TestPorts;
let registry: Registry;
/** A second registry over the same stores: another process, which holds no hasher of ours. */
let other: Registry;
/** Bytes the core read back from uploads in progress (BlobStore.readUpload). */
let readBack = 0;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stowage-upload-hashing-'));
  env = await startTestPorts('embedded', dataDir);
  const blobs = env.ports.blobs;
  const counting = Object.create(blobs) as BlobStore;
  counting.readUpload = (id, state, length) =>
    (async function* () {
      for await (const chunk of blobs.readUpload(id, state, length)) {
        readBack += chunk.byteLength;
        yield chunk;
      }
    })();
  registry = new Registry({ ...env.ports, blobs: counting }, undefined, { operations: ALL_OPERATIONS });
  other = new Registry({ ...env.ports, blobs: counting }, undefined, { operations: ALL_OPERATIONS });
});
after(async () => {
  await env.close();
  env.ports.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * POST, the PATCHes (each a chunk with Content-Range when `ranged`; the i-th sent to
 * `servedBy[i]`, else `registry`), PUT ?digest= (to the last PATCH's registry): the session
 * after the last PATCH and the bytes read back.
 */
async function upload(chunks: Buffer[], ranged: boolean, servedBy: Registry[] = []): Promise<{ readBack: number; hashState: string | null }> {
  readBack = 0;
  const repo = 'hashing/app';
  const post = await registry.handle(request('POST', `/v2/${repo}/blobs/uploads/`));
  assert.equal(post.status, 202);
  let location = String(post.headers.location);
  let offset = 0;
  let last = registry;
  for (const [i, chunk] of chunks.entries()) {
    const headers: Record<string, string> = ranged ? { 'content-range': `${offset}-${offset + chunk.length - 1}` } : {};
    last = servedBy[i] ?? registry;
    const patch = await last.handle(request('PATCH', location, { headers, body: chunk }));
    assert.equal(patch.status, 202);
    location = String(patch.headers.location);
    offset += chunk.length;
  }
  const session = await env.ports.metadata.getUpload(location.split('/').pop()!);
  const all = Buffer.concat(chunks);
  const put = await last.handle(request('PUT', location, { query: { digest: sha256(all) } }));
  assert.equal(put.status, 201);
  assert.equal(put.headers['docker-content-digest'], sha256(all));
  return { readBack, hashState: session?.hashState ?? null };
}

test('a streamed PATCH then PUT is hashed natively and never read back', async () => {
  assert.deepEqual(await upload([randomBytes(3 << 20)], false), { readBack: 0, hashState: null });
});

test('a single chunk from offset 0 then PUT is hashed natively and never read back', async () => {
  assert.deepEqual(await upload([randomBytes(3 << 20)], true), { readBack: 0, hashState: null });
});

test('a chunked upload continued in one process is hashed natively, never read back, with no resumable state', async () => {
  const chunks = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(1 << 20)];
  assert.deepEqual(await upload(chunks, true), { readBack: 0, hashState: null });
});

test('a chunk after a streamed PATCH in the same process is not read back either', async () => {
  readBack = 0;
  const repo = 'hashing/app';
  const first = randomBytes(1 << 20);
  const second = randomBytes(1 << 20);
  const post = await registry.handle(request('POST', `/v2/${repo}/blobs/uploads/`));
  const patch = await registry.handle(request('PATCH', String(post.headers.location), { body: first }));
  assert.equal(patch.status, 202);
  const chunk = await registry.handle(request('PATCH', String(patch.headers.location), { headers: { 'content-range': `${first.length}-${first.length * 2 - 1}` }, body: second }));
  assert.equal(chunk.status, 202);
  const digest = sha256(Buffer.concat([first, second]));
  const put = await registry.handle(request('PUT', String(chunk.headers.location), { query: { digest } }));
  assert.equal(put.status, 201);
  assert.equal(put.headers['docker-content-digest'], digest);
  assert.equal(readBack, 0);
});

test('a chunk continuing an upload another process wrote re-reads what the upload holds, once, and the digest is right', async () => {
  const chunks = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(1 << 20)];
  const r = await upload(chunks, true, [registry, other, other]);
  assert.equal(r.readBack, chunks[0]!.length, 'the first chunk is read back once, by the other process');
  assert.equal(r.hashState, null);
});

test('an upload that moves between processes at every chunk still ends with the right digest', async () => {
  const chunks = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(1 << 20)];
  const r = await upload(chunks, true, [registry, other, registry]);
  assert.equal(r.readBack, chunks[0]!.length * 3, 'each switch re-reads what the upload holds: 1 MiB, then 2 MiB');
});
