/**
 * The BlobStore contract (src/ports/blob-store.ts), run against every adapter: filesystem, and S3
 * in both serving modes. One test per port method at least, plus concurrent commits of one
 * digest. Content is read whichever way the store hands it out (bytes, or a URL fetched here).
 *
 * STYLE habit 4: after every test the suite checks that nothing is left behind: no temporary
 * upload storage (the harness looks inside the store) and no committed blob the test made.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BlobContent, BlobStore, ByteRange, UploadStorageState } from '../../src/ports/blob-store.js';

export interface BlobStoreHarness {
  store: BlobStore;
  /** Names of temporary upload objects/files still present (must be empty after cleanup). */
  leftovers(): Promise<string[]>;
}

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

/** The bytes a reader gets, following a redirect the way a client would (with its own Range). */
async function read(content: BlobContent | null, range?: ByteRange): Promise<Buffer> {
  assert.ok(content, 'the blob opens');
  if (content.kind === 'bytes') return collect(content.body);
  const res = await fetch(content.url, range ? { headers: { range: `bytes=${range.start}-${range.end}` } } : {});
  assert.equal(res.status, range ? 206 : 200);
  return Buffer.from(await res.arrayBuffer());
}

export function blobStoreSuite(name: string, setup: () => Promise<BlobStoreHarness>): void {
  describe(name, () => {
    let harness: BlobStoreHarness | undefined;
    /** Digests a test committed: each must be deleted again by the end of the test. */
    let committed: string[] = [];

    const start = async () => {
      harness = await setup();
      committed = [];
      return harness.store;
    };

    /** One whole upload: create, write `parts` one request each, commit under their digest. */
    const push = async (store: BlobStore, ...parts: Uint8Array[]): Promise<string> => {
      const id = randomUUID();
      let state: UploadStorageState = await store.createUpload(id);
      let offset = 0;
      for (const p of parts) {
        ({ state } = await store.writeUpload(id, state, offset, chunks(p)));
        offset += p.byteLength;
      }
      const digest = sha256(Buffer.concat(parts));
      await store.commitUpload(id, state, offset, digest);
      committed.push(digest);
      return digest;
    };

    afterEach(async () => {
      if (!harness) return;
      const { store, leftovers } = harness;
      harness = undefined;
      assert.deepEqual(await leftovers(), [], 'no temporary upload storage is left behind');
      for (const digest of committed) assert.equal(await store.stat(digest), null, `committed blob ${digest} was deleted by its test`);
    });

    test('stat and open: null for a blob the store does not hold', async () => {
      const store = await start();
      const absent = sha256(randomBytes(16));
      assert.equal(await store.stat(absent), null);
      assert.equal(await store.open(absent), null);
      assert.equal(await store.open(absent, { start: 0, end: 0 }), null);
    });

    test('writes in several requests, commits by digest, reads whole and by range', async () => {
      const store = await start();
      const id = randomUUID();
      const data = randomBytes(200_000);
      let state = await store.createUpload(id);
      const first = await store.writeUpload(id, state, 0, chunks(data.subarray(0, 70_000)));
      assert.equal(first.written, 70_000);
      const second = await store.writeUpload(id, first.state, 70_000, chunks(data.subarray(70_000, 150_000), data.subarray(150_000)));
      assert.equal(second.written, 130_000, 'written counts every chunk of the body');
      state = second.state;
      // readUpload is part of the contract only where uploads are readable (not S3).
      if (store.uploadsReadable) {
        assert.equal((await collect(store.readUpload(id, state, 0))).length, 0);
        assert.deepEqual(await collect(store.readUpload(id, state, 1)), data.subarray(0, 1));
        assert.deepEqual(await collect(store.readUpload(id, state, 100_000)), data.subarray(0, 100_000), 'across two requests');
        assert.deepEqual(await collect(store.readUpload(id, state, data.length)), data);
      }
      const digest = sha256(data);
      assert.equal(await store.stat(digest), null, 'nothing is visible before commit');
      await store.commitUpload(id, state, data.length, digest);
      committed.push(digest);
      assert.deepEqual(await store.stat(digest), { size: data.length });
      assert.deepEqual(await read(await store.open(digest)), data);
      for (const range of [
        { start: 10, end: 19 },
        { start: 0, end: 0 },
        { start: data.length - 1, end: data.length - 1 },
        { start: 69_990, end: 70_009 }, // across the boundary of two requests
      ]) {
        assert.deepEqual(await read(await store.open(digest, range), range), data.subarray(range.start, range.end + 1), `range ${range.start}-${range.end}`);
      }
      assert.deepEqual(await harness!.leftovers(), [], 'commit releases the upload');
      await store.delete(digest);
    });

    test('an empty blob and an empty request', async () => {
      const store = await start();
      const id = randomUUID();
      const state = await store.createUpload(id);
      const nothing = await store.writeUpload(id, state, 0, chunks());
      assert.equal(nothing.written, 0);
      const digest = sha256(new Uint8Array(0));
      await store.commitUpload(id, nothing.state, 0, digest);
      committed.push(digest);
      assert.deepEqual(await store.stat(digest), { size: 0 });
      assert.equal((await read(await store.open(digest))).length, 0);
      await store.delete(digest);
    });

    test('delete removes committed content and is idempotent', async () => {
      const store = await start();
      const data = randomBytes(300);
      const digest = await push(store, data);
      const other = await push(store, randomBytes(300));
      await store.delete(digest);
      assert.equal(await store.stat(digest), null);
      assert.equal(await store.open(digest), null);
      await store.delete(digest);
      await store.delete(sha256(randomBytes(8))); // never stored
      assert.deepEqual(await store.stat(other), { size: 300 }, 'another blob is untouched');
      await store.delete(other);
      // Content can come back after a delete (a client pushes it again).
      await push(store, data);
      assert.deepEqual(await read(await store.open(digest)), data);
      await store.delete(digest);
    });

    test('createUpload: uploads are independent of each other, interleaved', async () => {
      const store = await start();
      const [a, b] = [randomBytes(5000), randomBytes(7000)];
      const [idA, idB] = [randomUUID(), randomUUID()];
      let [sa, sb] = [await store.createUpload(idA), await store.createUpload(idB)];
      ({ state: sa } = await store.writeUpload(idA, sa, 0, chunks(a.subarray(0, 2000))));
      ({ state: sb } = await store.writeUpload(idB, sb, 0, chunks(b.subarray(0, 3000))));
      ({ state: sa } = await store.writeUpload(idA, sa, 2000, chunks(a.subarray(2000))));
      ({ state: sb } = await store.writeUpload(idB, sb, 3000, chunks(b.subarray(3000))));
      await store.commitUpload(idB, sb, b.length, sha256(b));
      await store.commitUpload(idA, sa, a.length, sha256(a));
      committed.push(sha256(a), sha256(b));
      assert.deepEqual(await read(await store.open(sha256(a))), a);
      assert.deepEqual(await read(await store.open(sha256(b))), b);
      await store.delete(sha256(a));
      await store.delete(sha256(b));
    });

    test('writeUpload: a failed write leaves the upload as it was at the offset', async () => {
      const store = await start();
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
      committed.push(sha256(all));
      assert.deepEqual(await read(await store.open(sha256(all))), all);
      await store.delete(sha256(all));
    });

    test('commitUpload is idempotent: committing content that exists keeps the existing blob', async () => {
      const store = await start();
      const data = randomBytes(64);
      const digest = await push(store, data);
      await push(store, data.subarray(0, 30), data.subarray(30));
      assert.deepEqual(await store.stat(digest), { size: 64 });
      assert.deepEqual(await read(await store.open(digest)), data);
      await store.delete(digest);
    });

    test('concurrent writers: eight uploads of the same content commit one digest at once', async () => {
      const store = await start();
      const data = randomBytes(40_000);
      const digest = sha256(data);
      committed.push(digest);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const id = randomUUID();
          const first = await store.writeUpload(id, await store.createUpload(id), 0, chunks(data.subarray(0, 10_000)));
          const second = await store.writeUpload(id, first.state, 10_000, chunks(data.subarray(10_000)));
          await store.commitUpload(id, second.state, data.length, digest);
        }),
      );
      assert.deepEqual(await store.stat(digest), { size: data.length });
      assert.deepEqual(await read(await store.open(digest)), data, 'one blob, not a mix of writers');
      await store.delete(digest);
    });

    test('deleteUpload releases temporary storage and is idempotent', async () => {
      const store = await start();
      const id = randomUUID();
      const state = await store.createUpload(id);
      const { state: written } = await store.writeUpload(id, state, 0, chunks(randomBytes(100)));
      await store.deleteUpload(id, written);
      await store.deleteUpload(id, written);
      assert.deepEqual(await harness!.leftovers(), []);
      // An upload that never received a byte.
      const empty = randomUUID();
      await store.deleteUpload(empty, await store.createUpload(empty));
    });

    test('listBlobs: committed blobs in digest order with their commit time, paged', async () => {
      const store = await start();
      const mine = new Set<string>();
      for (let i = 0; i < 5; i++) mine.add(await push(store, randomBytes(100 + i)));
      const listed: string[] = [];
      for (let last: string | undefined; ; ) {
        const page = await store.listBlobs({ limit: 2, ...(last !== undefined && { last }) });
        assert.ok(page.items.length <= 2);
        for (const b of page.items) {
          listed.push(b.digest);
          if (mine.has(b.digest)) assert.ok(Date.now() - Date.parse(b.modifiedAt) < 600_000, 'modifiedAt is the recent commit');
        }
        if (!page.more || page.items.length === 0) break;
        last = page.items.at(-1)?.digest;
      }
      assert.deepEqual(
        listed.filter((d) => mine.has(d)),
        [...mine].sort(),
      );
      assert.deepEqual(listed, [...listed].sort(), 'digest order');
      for (const d of mine) await store.delete(d);
    });

    test('reclaim: hides a batch while it asks once, then deletes the blobs named and puts the others back', async () => {
      const store = await start();
      const doomed = randomBytes(3000);
      const keptData = randomBytes(1000);
      const [gone, kept] = [await push(store, doomed), await push(store, keptData)];
      const absent = `sha256:${'0'.repeat(64)}`;
      const asked: string[][] = [];
      const seenWhileAsking: unknown[] = [];
      const freed = await store.reclaim([gone, absent, kept], async (hidden) => {
        asked.push(hidden.map((b) => b.digest).sort());
        for (const b of hidden) assert.ok(!Number.isNaN(Date.parse(b.modifiedAt)), 'a modification time');
        for (const d of [gone, kept]) seenWhileAsking.push(await store.stat(d));
        return new Set([gone]);
      });
      assert.deepEqual(asked, [[gone, kept].sort()], 'asked once, about the blobs it hid (not the absent one)');
      assert.deepEqual(seenWhileAsking, [null, null], 'hidden while the collector asks');
      assert.deepEqual(freed, [{ digest: gone, size: 3000 }]);
      assert.equal(await store.stat(gone), null, 'deleted');
      assert.deepEqual(await read(await store.open(kept)), keptData, 'put back intact');
      assert.deepEqual(await store.reclaim([gone], async () => new Set([gone])), [], 'absent: nothing to reclaim');
      await store.delete(kept);
    });

    test('reclaim: when the question fails, every hidden blob is put back', async () => {
      const store = await start();
      const data = [randomBytes(500), randomBytes(600)];
      const digests = [await push(store, data[0]!), await push(store, data[1]!)];
      await assert.rejects(
        store.reclaim(digests, async () => {
          throw new Error('metadata unavailable');
        }),
        /metadata unavailable/,
      );
      for (const [i, d] of digests.entries()) {
        assert.deepEqual(await read(await store.open(d)), data[i], 'put back intact');
        await store.delete(d);
      }
    });

    test('reclaim: a commit of the same content while the blob is hidden stores its own copy', async () => {
      const store = await start();
      const data = randomBytes(2048);
      const digest = await push(store, data);
      const freed = await store.reclaim([digest], async () => {
        await push(store, data); // an upload racing the collector
        return new Set([digest]); // the collector still decides to delete what it hid
      });
      assert.deepEqual(freed, [{ digest, size: 2048 }]);
      assert.deepEqual(await read(await store.open(digest)), data, 'the racing commit is readable');
      await store.delete(digest);
    });
  });

  // Readiness (/readyz): the probe an orchestrator runs every few seconds.
  describe(`${name}: check()`, () => {
    test('check() resolves on a usable store and leaves nothing behind', async () => {
      const { store, leftovers } = await setup();
      await store.check();
      await store.check();
      assert.deepEqual(await leftovers(), [], 'a probe writes nothing');
    });
  });
}
