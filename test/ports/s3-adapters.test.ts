/**
 * The BlobStore conformance suite against the S3 adapter on an in-process S3 emulator (fauxqs).
 * The suite reads bytes back, so it runs with serveBlobs 'stream'; redirect mode is checked
 * below by fetching its presigned URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { createBucket, startS3Emulator, trackedClient, uploadLeftovers, type S3Emulator } from '../adapters/s3-emulator.js';
import { blobStoreSuite } from './blob-store.suite.js';

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

let emulator: S3Emulator;
before(async () => {
  emulator = await startS3Emulator();
});
after(async () => {
  await emulator.stop();
});

blobStoreSuite('S3 blob store', async () => {
  const s3 = trackedClient(emulator.endpoint);
  const bucket = await createBucket(s3.client);
  const prefix = `registry-${randomUUID()}/`;
  const store = new S3BlobStore({ client: s3.client, bucket, prefix, serveBlobs: 'stream' });
  return { store, leftovers: () => uploadLeftovers(s3, bucket, prefix) };
});

test('S3 blob store: redirect mode answers with a presigned URL that serves the blob, whole and by Range', async () => {
  const s3 = trackedClient(emulator.endpoint);
  const bucket = await createBucket(s3.client);
  const store = new S3BlobStore({ client: s3.client, bucket, presignExpiresSeconds: 60 });
  const data = randomBytes(3000);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const id = randomUUID();
  const { state } = await store.writeUpload(id, await store.createUpload(id), 0, once(data));
  await store.commitUpload(id, state, data.length, digest);

  const content = await store.open(digest, { start: 5, end: 9 });
  assert.ok(content && content.kind === 'redirect');
  const url = new URL(content.url);
  assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
  assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host', 'only host is signed, so a client may add Range');
  const whole = await fetch(content.url);
  assert.equal(whole.status, 200);
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), data);
  const ranged = await fetch(content.url, { headers: { range: 'bytes=100-199' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(100, 200));

  await store.delete(digest);
  assert.equal(await store.open(digest), null);
  assert.deepEqual(await uploadLeftovers(s3, bucket, ''), []);
});
