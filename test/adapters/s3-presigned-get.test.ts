/**
 * S3 redirect mode, what the shared BlobStore suite does not check: the presigned GET URL has
 * the configured expiry and signs only the host, so a client may add its own Range header.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { S3BlobStore } from '../../src/adapters/aws/s3-blob-store.js';
import { createBucket, startS3Emulator, trackedClient, type S3Emulator } from './s3-emulator.js';

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

let emulator: S3Emulator;
before(async () => (emulator = await startS3Emulator()));
after(() => emulator.stop());

test('S3 redirect mode: the presigned URL expires as configured and signs only the host', async () => {
  const s3 = trackedClient(emulator.endpoint);
  const store = new S3BlobStore({ client: s3.client, bucket: await createBucket(s3.client), presignExpiresSeconds: 60 });
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
  const ranged = await fetch(content.url, { headers: { range: 'bytes=100-199' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(100, 200));
  await store.delete(digest);
});

test('S3 same-host redirects: a relative Location (no host, no path-style bucket) whose signed query names the digest', async () => {
  const s3 = trackedClient(emulator.endpoint);
  const bucket = await createBucket(s3.client);
  const store = new S3BlobStore({ client: s3.client, bucket, presignExpiresSeconds: 60, redirects: 'same-host' });
  const data = randomBytes(2000);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const id = randomUUID();
  const { state } = await store.writeUpload(id, await store.createUpload(id), 0, once(data));
  await store.commitUpload(id, state, data.length, digest);

  const content = await store.open(digest);
  assert.ok(content && content.kind === 'redirect');
  assert.match(content.url, new RegExp(`^/content/${id}\\?`), `relative, the content key as path: ${content.url.slice(0, 80)}`);
  const url = new URL(content.url, 'https://registry.example');
  assert.equal(url.searchParams.get('docker-content-digest'), digest);
  assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
  const plain = await new S3BlobStore({ client: s3.client, bucket, presignExpiresSeconds: 60 }).open(digest);
  assert.ok(plain && plain.kind === 'redirect');
  assert.ok(plain.url.startsWith(emulator.endpoint), "'store' redirects are unchanged: the S3 endpoint");
  assert.equal(new URL(plain.url).searchParams.get('docker-content-digest'), null);
  // What a front door with the bucket as origin fetches (path-style here, as the emulator serves it).
  const res = await fetch(`${emulator.endpoint}/${bucket}${content.url}`);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  await store.delete(digest);
});
