/**
 * The BlobStore contract, run against every adapter (filesystem now; S3 with the AWS adapters).
 * Each test cleans up and the suite checks that nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BlobStore } from '../../src/ports/blob-store.js';

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

async function* failingAfter(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
  throw new Error('client went away');
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface BlobStoreHarness {
  store: BlobStore;
  /** Names of temporary upload objects/files still present (must be empty after cleanup). */
  leftovers(): Promise<string[]>;
}

export function blobStoreSuite(name: string, setup: () => Promise<BlobStoreHarness>): void {
  test(`${name}: writes in several requests, commits by digest, reads whole and by range`, async () => {
    const { store, leftovers } = await setup();
    const id = randomUUID();
    const data = randomBytes(200_000);
    let state = await store.createUpload(id);
    ({ state } = await store.writeUpload(id, state, 0, chunks(data.subarray(0, 70_000))));
    const second = await store.writeUpload(id, state, 70_000, chunks(data.subarray(70_000, 150_000), data.subarray(150_000)));
    assert.equal(second.written, 130_000);
    state = second.state;
    // readUpload is part of the contract only where uploads are readable (not S3); the bytes are
    // checked after commit either way.
    if (store.uploadsReadable) assert.deepEqual(await collect(store.readUpload(id, state, 100)), data.subarray(0, 100));
    const digest = sha256(data);
    assert.equal(await store.stat(digest), null, 'nothing is visible before commit');
    await store.commitUpload(id, state, data.length, digest);
    assert.deepEqual(await store.stat(digest), { size: data.length });
    const whole = await store.open(digest);
    assert.ok(whole && whole.kind === 'bytes');
    assert.deepEqual(await collect(whole.body), data);
    const part = await store.open(digest, { start: 10, end: 19 });
    assert.ok(part && part.kind === 'bytes');
    assert.deepEqual(await collect(part.body), data.subarray(10, 20));
    assert.deepEqual(await leftovers(), [], 'commit releases the upload');
    await store.delete(digest);
    assert.equal(await store.stat(digest), null);
    assert.equal(await store.open(digest), null);
  });

  test(`${name}: a failed write leaves the upload as it was at the offset`, async () => {
    const { store, leftovers } = await setup();
    const id = randomUUID();
    const good = randomBytes(1000);
    let state = await store.createUpload(id);
    ({ state } = await store.writeUpload(id, state, 0, chunks(good)));
    await assert.rejects(store.writeUpload(id, state, 1000, failingAfter(randomBytes(5000))), /client went away/);
    const retry = randomBytes(10);
    ({ state } = await store.writeUpload(id, state, 1000, chunks(retry)));
    const all = Buffer.concat([good, retry]);
    if (store.uploadsReadable) assert.deepEqual(await collect(store.readUpload(id, state, all.length)), all);
    await store.commitUpload(id, state, all.length, sha256(all));
    assert.deepEqual(await collect(((await store.open(sha256(all))) as { body: AsyncIterable<Uint8Array> }).body), all);
    await store.delete(sha256(all));
    assert.deepEqual(await leftovers(), []);
  });

  test(`${name}: cancel removes the upload's bytes; committing existing content is idempotent`, async () => {
    const { store, leftovers } = await setup();
    const id = randomUUID();
    const state = await store.createUpload(id);
    await store.writeUpload(id, state, 0, chunks(randomBytes(100)));
    await store.deleteUpload(id, state);
    await store.deleteUpload(id, state);
    assert.deepEqual(await leftovers(), []);

    const data = randomBytes(64);
    for (let i = 0; i < 2; i++) {
      const uid = randomUUID();
      let s = await store.createUpload(uid);
      ({ state: s } = await store.writeUpload(uid, s, 0, chunks(data)));
      await store.commitUpload(uid, s, data.length, sha256(data));
    }
    assert.deepEqual(await store.stat(sha256(data)), { size: 64 });
    assert.deepEqual(await leftovers(), []);
    await store.delete(sha256(data));
  });
}
