/**
 * The collector's own guarantees on the embedded adapters: a sweep that crashes part-way resumes
 * at its stored cursor (and another collector waits for the lease meanwhile); abandoned upload
 * sessions go with their files while a fresh one, or one a writer holds, stays; the lifecycle
 * hook runs once per sweep and its count is reported; a dry run changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/adapters/embedded/fs-blob-store.js';
import { SqliteMetadataStore } from '../../src/adapters/embedded/sqlite-metadata-store.js';
import { collectGarbage } from '../../src/core/gc/collector.js';
import type { MetadataStore } from '../../src/ports/metadata-store.js';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function stores() {
  const root = await mkdtemp(join(tmpdir(), 'stowage-gc-'));
  const blobs = new FsBlobStore(root);
  await blobs.init();
  return { root, blobs, metadata: new SqliteMetadataStore(join(root, 'metadata.sqlite')) };
}

async function commit(blobs: FsBlobStore, text: string): Promise<string> {
  const id = randomUUID();
  const state = await blobs.createUpload(id);
  await blobs.writeUpload(id, state, 0, [Buffer.from(text)] as unknown as AsyncIterable<Uint8Array>);
  await blobs.commitUpload(id, state, Buffer.byteLength(text), sha(text));
  return sha(text);
}

test('a sweep that crashes part-way resumes at its cursor; meanwhile another collector waits for the lease', async () => {
  const { blobs, metadata } = await stores();
  for (let i = 0; i < 4; i++) {
    const digest = await commit(blobs, `orphan ${i}`);
    await metadata.linkBlob(`repo${i}`, digest, 8);
  }
  let unlinks = 0;
  const crashing = new Proxy(metadata, {
    get(target, prop, receiver) {
      if (prop === 'unlinkBlobs') {
        return async (...args: Parameters<MetadataStore['unlinkBlobs']>) => {
          if (++unlinks === 3) throw new Error('power cut');
          return target.unlinkBlobs(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as MetadataStore;
  let hookRuns = 0;
  const beforeMark = async () => {
    hookRuns++;
    return { manifestsDeleted: 2 };
  };
  // A commit per repository's link removals (linksPerCommit 1), so the crash comes at the third.
  await assert.rejects(collectGarbage({ metadata: crashing, blobs, graceMs: 0, owner: 'first', beforeMark, linksPerCommit: 1 }), /power cut/);
  const state = await metadata.getCollectorState();
  assert.deepEqual(JSON.parse(state?.cursor ?? 'null'), { phase: 'links', after: 'repo1' }, 'two repositories were finished');

  const other = await collectGarbage({ metadata, blobs, graceMs: 0, owner: 'second' });
  assert.match(other.skipped ?? '', /another collector \(first\) holds the lease/);

  const resumed = await collectGarbage({ metadata, blobs, graceMs: 0, owner: 'first', beforeMark });
  assert.equal(resumed.complete, true);
  assert.equal(hookRuns, 1, 'the lifecycle phase runs at the start of a sweep, not on resume');
  assert.equal(resumed.linksRemoved, 2, 'only the repositories left');
  assert.equal(resumed.blobsDeleted, 4, 'content of all four, once nothing links it');
  assert.deepEqual((await blobs.listBlobs({ limit: 10 })).items, []);
  assert.equal((await metadata.getCollectorState())?.cursor, null, 'a finished sweep leaves no cursor');

  const fresh = await collectGarbage({ metadata, blobs, graceMs: 0, owner: 'second', beforeMark });
  assert.equal(fresh.manifestsDeleted, 2, 'the next sweep is a fresh one: the hook ran and was counted');
  assert.equal(fresh.blobsDeleted, 0, 'idempotent: nothing left');
});

test('abandoned uploads go with their files; fresh ones and held ones stay; a dry run changes nothing', async () => {
  const { root, blobs, metadata } = await stores();
  const old = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const session = (id: string, startedAt: string, lease: { owner: string; expiresAt: string } | null) => ({
    id,
    repository: 'r',
    offset: 0,
    startedAt,
    algorithm: 'sha256' as const,
    hashState: null,
    digestSoFar: null,
    storageState: null,
    lease,
    version: 0,
  });
  const [abandoned, fresh, held] = [randomUUID(), randomUUID(), randomUUID()];
  for (const id of [abandoned, fresh, held]) await blobs.createUpload(id);
  await metadata.createUpload(session(abandoned, old, null));
  await metadata.createUpload(session(fresh, new Date().toISOString(), null));
  await metadata.createUpload(session(held, old, { owner: 'writer', expiresAt: new Date(Date.now() + 60_000).toISOString() }));
  const orphan = await commit(blobs, 'never linked');

  const dry = await collectGarbage({ metadata, blobs, dryRun: true, graceMs: 0 });
  assert.equal(dry.uploadsExpired, 1);
  assert.equal(dry.blobsDeleted, 1);
  assert.ok(await metadata.getUpload(abandoned), 'a dry run deletes no session');
  assert.ok(await blobs.stat(orphan), 'nor any blob');

  const report = await collectGarbage({ metadata, blobs, graceMs: 0 });
  assert.equal(report.uploadsExpired, 1);
  assert.equal(await metadata.getUpload(abandoned), null);
  assert.ok(await metadata.getUpload(fresh));
  assert.ok(await metadata.getUpload(held), 'a writer holds it now');
  assert.deepEqual((await readdir(join(root, 'uploads'))).sort(), [fresh, held].sort(), 'the abandoned upload file is gone');
  assert.equal(await blobs.stat(orphan), null, 'content no repository links is collected');
});
