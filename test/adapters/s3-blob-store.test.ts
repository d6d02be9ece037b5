/**
 * S3 blob store behaviour beyond the port suite, against fauxqs (which enforces EntityTooSmall
 * and part ETags): part formation for every chunk pattern, leftovers and their merging, cancel,
 * duplicate commits, failed attempts, and the S3 calls each operation costs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { MAX_LEFTOVERS, type S3UploadState } from '../../src/adapters/aws/s3-upload-state.js';
import { createBucket, listKeys, startS3Emulator, trackedClient, uploadLeftovers, type S3Emulator, type TrackedS3 } from './s3-emulator.js';

const MIB = 1024 * 1024;

let emulator: S3Emulator;
before(async () => {
  emulator = await startS3Emulator();
});
after(async () => {
  await emulator.stop();
});

interface Env {
  s3: TrackedS3;
  bucket: string;
  store: S3BlobStore;
  leftovers(): Promise<string[]>;
  /** Deletes the blob and checks that the bucket is then empty (also frees the emulator's memory). */
  finish(digest: string): Promise<void>;
}

async function env(options: { serveBlobs?: 'redirect' | 'stream' } = {}): Promise<Env> {
  const s3 = trackedClient(emulator.endpoint);
  const bucket = await createBucket(s3.client);
  const store = new S3BlobStore({ client: s3.client, bucket, serveBlobs: options.serveBlobs ?? 'stream' });
  const finish = async (digest: string) => {
    await store.delete(digest);
    assert.deepEqual(await listKeys(s3.client, bucket, ''), [], 'deleting the blob leaves an empty bucket');
  };
  return { s3, bucket, store, leftovers: () => uploadLeftovers(s3, bucket, ''), finish };
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `data` as a request body of `chunkSize`-byte socket chunks. */
async function* stream(data: Uint8Array, chunkSize = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += chunkSize) yield data.subarray(i, i + chunkSize);
}

async function* failingAfter(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield* stream(data);
  throw new Error('client went away');
}

async function read(store: S3BlobStore, digest: string, range?: { start: number; end: number }): Promise<Buffer> {
  const content = await store.open(digest, range);
  assert.ok(content && content.kind === 'bytes');
  const chunks: Uint8Array[] = [];
  for await (const c of content.body) chunks.push(c);
  return Buffer.concat(chunks);
}

const asState = (s: unknown) => s as S3UploadState;
const partSizes = (s: unknown) => asState(s).parts.map((p) => p.size);
const leftoverSizes = (s: unknown) => asState(s).leftovers.map((l) => l.size);

/** Writes each request body in turn and returns the final state. */
async function writeAll(store: S3BlobStore, id: string, requests: Uint8Array[], chunkSize?: number): Promise<unknown> {
  let state = await store.createUpload(id);
  let offset = 0;
  for (const body of requests) {
    const res = await store.writeUpload(id, state, offset, stream(body, chunkSize));
    assert.equal(res.written, body.length);
    state = res.state;
    offset += body.length;
  }
  return state;
}

test('S3: 300 one-byte requests keep at most 32 leftovers, merge them, and commit with one PutObject', async () => {
  const { store, s3, leftovers, finish } = await env();
  const id = randomUUID();
  const data = randomBytes(300);
  let state = await store.createUpload(id);
  let merges = 0;
  for (let i = 0; i < data.length; i++) {
    const before = leftoverSizes(state).length;
    ({ state } = await store.writeUpload(id, state, i, stream(data.subarray(i, i + 1))));
    const now = leftoverSizes(state);
    assert.ok(now.length <= MAX_LEFTOVERS, `at most ${MAX_LEFTOVERS} leftovers (${now.length})`);
    if (now.length < before) merges++;
    assert.equal(
      now.reduce((a, b) => a + b, 0),
      i + 1,
    );
  }
  assert.ok(merges >= 8, `leftovers were merged (${merges} merges)`);
  assert.deepEqual(partSizes(state), [], 'no multipart upload for 300 bytes');
  assert.ok(!s3.calls.includes('CreateMultipartUpload'));
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await leftovers(), [], 'no leftover objects after commit');
  await finish(sha256(data));
});

test('S3: five 4 MiB requests form 8 MiB parts and a 4 MiB last part (no EntityTooSmall)', async () => {
  const { store, leftovers, finish } = await env();
  const id = randomUUID();
  const requests = Array.from({ length: 5 }, () => randomBytes(4 * MIB));
  let state = await store.createUpload(id);
  const seen: string[] = [];
  for (let i = 0; i < requests.length; i++) {
    ({ state } = await store.writeUpload(id, state, i * 4 * MIB, stream(requests[i]!)));
    seen.push(
      `${partSizes(state)
        .map((s) => s / MIB)
        .join('+')}|${leftoverSizes(state)
        .map((s) => s / MIB)
        .join('+')}`,
    );
  }
  assert.deepEqual(seen, ['|4', '8|', '8|4', '8+8|', '8+8|4']);
  const data = Buffer.concat(requests);
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await read(store, sha256(data), { start: 8 * MIB - 5, end: 8 * MIB + 4 }), data.subarray(8 * MIB - 5, 8 * MIB + 5));
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: one 40 MiB stream is cut into 16 MiB parts while it arrives and completed at its content key when it ends', async () => {
  const { store, s3, bucket, leftovers, finish } = await env();
  const id = randomUUID();
  const data = randomBytes(40 * MIB + 1000);
  s3.calls.length = 0;
  const state = await writeAll(store, id, [data]);
  assert.deepEqual(partSizes(state), [], 'no multipart upload left open');
  assert.deepEqual(asState(state).leftovers, [{ key: `content/${id}`, size: data.length }], 'the whole upload, in place');
  assert.deepEqual(s3.calls, ['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
  assert.deepEqual(await listKeys(s3.client, bucket, 'uploads/'), [], 'no leftover object: the 8 MiB tail was the last part');
  s3.calls.length = 0;
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(s3.calls, ['PutObject'], 'commit writes the pointer, nothing else');
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await read(store, sha256(data), { start: 16 * MIB - 3, end: 16 * MIB + 2 }), data.subarray(16 * MIB - 3, 16 * MIB + 3));
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: a 7 MiB stream remainder becomes a part; a later small request becomes the last part at commit', async () => {
  const { store, leftovers, finish } = await env();
  const id = randomUUID();
  const requests = [randomBytes(MIB), randomBytes(22 * MIB), randomBytes(MIB + 7)];
  const state = await writeAll(store, id, requests);
  assert.deepEqual(partSizes(state), [16 * MIB, 7 * MIB]);
  assert.deepEqual(leftoverSizes(state), [MIB + 7]);
  const data = Buffer.concat(requests);
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: a chunk after a whole upload completed in place re-reads it once into a new multipart upload, which replaces it at commit', async () => {
  const { store, s3, bucket, leftovers, finish } = await env();
  const id = randomUUID();
  const first = randomBytes(23 * MIB);
  const second = randomBytes(MIB + 7);
  let state = await writeAll(store, id, [first]);
  assert.deepEqual(asState(state).leftovers, [{ key: `content/${id}`, size: first.length }]);
  s3.calls.length = 0;
  ({ state } = await store.writeUpload(id, state, first.length, stream(second)));
  assert.deepEqual(s3.calls, ['GetObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPart'], 'one read of what is there, then parts');
  assert.deepEqual(partSizes(state), [16 * MIB, 8 * MIB + 7]);
  assert.deepEqual(leftoverSizes(state), []);
  assert.deepEqual(await listKeys(s3.client, bucket, 'content/'), [`content/${id}`], 'the completed object stays until the new upload completes');
  const data = Buffer.concat([first, second]);
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: a request that straddles a part boundary prepends the earlier leftovers to its first part', async () => {
  const { store, leftovers, finish } = await env();
  const id = randomUUID();
  const requests = [randomBytes(3 * MIB), randomBytes(MIB), randomBytes(30 * MIB)];
  const state = await writeAll(store, id, requests, 1000 /* odd chunk size */);
  assert.deepEqual(partSizes(state), [16 * MIB, 16 * MIB]);
  assert.deepEqual(leftoverSizes(state), [2 * MIB]);
  const data = Buffer.concat(requests);
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: cancelling an upload with parts and leftovers aborts its multipart upload and leaves nothing', async () => {
  const { store, s3, bucket, leftovers } = await env();
  const id = randomUUID();
  // The second request re-reads the first, completed in place, into a multipart upload: the
  // completed object, the open upload and a leftover all go.
  const state = await writeAll(store, id, [randomBytes(20 * MIB), randomBytes(1000)]);
  assert.deepEqual(partSizes(state), [16 * MIB]);
  assert.deepEqual(leftoverSizes(state), [4 * MIB + 1000]);
  assert.notDeepEqual(await leftovers(), []);
  await store.deleteUpload(id, state);
  await store.deleteUpload(id, state);
  assert.deepEqual(await leftovers(), []);
  const mpu = asState(state).multipartUploadId!;
  await assert.rejects(
    s3.client.send(new UploadPartCommand({ Bucket: bucket, Key: `content/${id}`, UploadId: mpu, PartNumber: 3, Body: Buffer.from('x') })),
    (err: Error) => err.name === 'NoSuchUpload',
  );
  assert.deepEqual(await listKeys(s3.client, bucket, ''), [], 'nothing at all in the bucket');
});

test('S3: cancelling an upload whose in-place content was committed (its link failed, a chunk then continued it) keeps that blob', async () => {
  const { store } = await env();
  const id = randomUUID();
  const first = randomBytes(20 * MIB);
  let state = await writeAll(store, id, [first]);
  // Committed at its content key (the pointer published), then the repository link failed: the
  // session was put back and the client sent another chunk instead of retrying the PUT.
  await store.commitUpload(id, state, first.length, sha256(first));
  ({ state } = await store.writeUpload(id, state, first.length, stream(randomBytes(1000))));
  await store.deleteUpload(id, state);
  assert.deepEqual(await read(store, sha256(first)), first, 'the blob its pointer names is still there');
});

test('S3: committing the same content twice keeps one blob; a retried commit keeps it too', async () => {
  const { store, s3, bucket, leftovers } = await env();
  for (const data of [randomBytes(20 * MIB), randomBytes(100)]) {
    const digest = sha256(data);
    const ids = [randomUUID(), randomUUID()];
    const states = [];
    for (const id of ids) states.push(await writeAll(store, id, [data]));
    for (let i = 0; i < 2; i++) await store.commitUpload(ids[i]!, states[i], data.length, digest);
    // The core may call commit again for the first upload (e.g. after a lost answer).
    await store.commitUpload(ids[0]!, states[0], data.length, digest);
    assert.deepEqual(await store.stat(digest), { size: data.length });
    assert.deepEqual(await read(store, digest), data);
    assert.deepEqual(await listKeys(s3.client, bucket, 'content/'), [`content/${ids[0]}`], 'one content object');
    assert.deepEqual(await leftovers(), []);
    await store.delete(digest);
    assert.equal(await store.stat(digest), null);
  }
  assert.deepEqual(await listKeys(s3.client, bucket, ''), []);
});

test('S3: of two commits racing for one digest, the second finds the first pointer and drops its content', async () => {
  const { store, s3, bucket, leftovers, finish } = await env();
  const data = randomBytes(20 * MIB);
  const digest = sha256(data);
  const ids = [randomUUID(), randomUUID()];
  const states = [await writeAll(store, ids[0]!, [data]), await writeAll(store, ids[1]!, [data])];
  // Both check for the pointer before either writes it; If-None-Match decides.
  await Promise.all(ids.map((id, i) => store.commitUpload(id, states[i], data.length, digest)));
  const content = await listKeys(s3.client, bucket, 'content/');
  assert.equal(content.length, 1, `one content object (${content.join(', ')})`);
  assert.deepEqual(await read(store, digest), data);
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: an upload that would need more than 10,000 parts is refused with SIZE_INVALID before writing', async () => {
  const { store, s3 } = await env();
  const id = randomUUID();
  const parts = Array.from({ length: 9_999 }, (_, i) => ({ partNumber: i + 1, etag: '"x"', size: 16 * MIB }));
  const state: S3UploadState = { multipartUploadId: 'made-up', parts, leftovers: [] };
  s3.calls.length = 0;
  await assert.rejects(store.writeUpload(id, state, 9_999 * 16 * MIB, stream(randomBytes(6 * MIB))), (err: Error & { code?: string }) => err.code === 'SIZE_INVALID');
  assert.deepEqual(s3.calls, [], 'nothing was sent');
});

test('S3: a body that fails mid-part changes nothing recorded; a retry at the same offset wins', async () => {
  const { store, s3, leftovers, finish } = await env();
  const id = randomUUID();
  const head = randomBytes(3 * MIB);
  let state = await writeAll(store, id, [head]);
  // Creates a multipart upload, uploads a part of 16 MiB, then the client goes away.
  await assert.rejects(store.writeUpload(id, state, head.length, failingAfter(randomBytes(20 * MIB))), /client went away/);
  assert.equal(s3.openMultipartUploads.size, 0, 'the multipart upload the failed attempt created was aborted');
  const retry = randomBytes(14 * MIB);
  ({ state } = await store.writeUpload(id, state, head.length, stream(retry)));
  assert.deepEqual(partSizes(state), [16 * MIB]);
  assert.deepEqual(leftoverSizes(state), [MIB]);

  // With the multipart upload recorded, a failed attempt uploads parts 2 and 3 of junk; the retry
  // writes less, so part 2 is overwritten at commit and part 3 is dropped by completion.
  const offset = head.length + retry.length;
  await assert.rejects(store.writeUpload(id, state, offset, failingAfter(randomBytes(40 * MIB))), /client went away/);
  const last = randomBytes(100);
  ({ state } = await store.writeUpload(id, state, offset, stream(last)));
  assert.deepEqual(partSizes(state), [16 * MIB]);
  const data = Buffer.concat([head, retry, last]);
  await store.commitUpload(id, state, data.length, sha256(data));
  assert.deepEqual(await read(store, sha256(data)), data);
  assert.deepEqual(await leftovers(), []);
  await finish(sha256(data));
});

test('S3: calls per operation (small blob: written in place, no copy; large blob: parts while streaming)', async (t) => {
  const { store, s3 } = await env({ serveBlobs: 'redirect' });
  const cost = async (op: () => Promise<unknown>) => {
    const from = s3.calls.length;
    await op();
    return s3.calls.slice(from);
  };
  const ordered = (calls: string[]) => [...calls].sort();

  const small = randomBytes(MIB);
  const smallId = randomUUID();
  let smallState: unknown = await store.createUpload(smallId);
  assert.deepEqual(await cost(async () => (smallState = (await store.writeUpload(smallId, smallState, 0, stream(small))).state)), ['PutObject']);
  const smallCommit = await cost(() => store.commitUpload(smallId, smallState, small.length, sha256(small)));
  // The whole blob arrived in one request: it went to its content key, so commit writes the pointer only.
  assert.deepEqual(smallCommit, ['PutObject']);

  const large = randomBytes(40 * MIB);
  const largeId = randomUUID();
  let largeState: unknown = await store.createUpload(largeId);
  const largeWrite = await cost(async () => (largeState = (await store.writeUpload(largeId, largeState, 0, stream(large))).state));
  // The 8 MiB tail is the last part, uploaded as the stream ends; then the object is completed.
  assert.deepEqual(largeWrite, ['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
  const largeCommit = await cost(() => store.commitUpload(largeId, largeState, large.length, sha256(large)));
  assert.deepEqual(ordered(largeCommit), ['PutObject'], 'the pointer only: no pointer check, no leftover read, no completion');

  assert.deepEqual(await cost(() => store.stat(sha256(large))), ['GetObject']);
  assert.deepEqual(await cost(() => store.open(sha256(large))), ['GetObject'], 'presigning is local');
  assert.deepEqual(await cost(() => store.delete(sha256(large))), ['GetObject', 'DeleteObject', 'DeleteObject']);
  t.diagnostic(`small commit: ${smallCommit.join(', ')}; large write: ${largeWrite.join(', ')}; large commit: ${largeCommit.join(', ')}`);
  await store.delete(sha256(small));
});
