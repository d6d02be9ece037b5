/**
 * The upload-session contract of the MetadataStore (createUpload, getUpload, updateUpload,
 * deleteUpload), run against every adapter, and the claim the core builds on it (a versioned
 * record with a short lease) on that same store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetadataStore, UploadSession } from '../../src/ports/metadata-store.js';
import { claimUpload } from '../../src/core/upload-claim.js';

function newSession(): UploadSession {
  return {
    id: randomUUID(),
    repository: `r${randomUUID().slice(0, 8)}/app`,
    offset: 0,
    startedAt: new Date().toISOString(),
    algorithm: 'sha256',
    hashState: null,
    digestSoFar: null,
    storageState: { parts: [], leftovers: [] },
    lease: null,
    version: 0,
  };
}

export function uploadSessionsSuite(name: string, setup: () => Promise<MetadataStore>): void {
  test(`${name}: createUpload stores the whole record, getUpload returns it, a second create with the id throws`, async () => {
    const m = await setup();
    const s: UploadSession = {
      ...newSession(),
      offset: 12,
      algorithm: 'sha512',
      hashState: 'c3RhdGU=',
      digestSoFar: `sha512:${'a'.repeat(128)}`,
      storageState: { parts: [{ partNumber: 1, etag: '"e"', size: 12 }], leftovers: [] },
      lease: { owner: 'writer-1', expiresAt: '2030-01-01T00:00:00.000Z' },
      version: 3,
    };
    assert.equal(await m.getUpload(s.id), null);
    await m.createUpload(s);
    assert.deepEqual(await m.getUpload(s.id), s);
    await assert.rejects(m.createUpload({ ...s, offset: 0 }));
    assert.deepEqual(await m.getUpload(s.id), s, 'the refused create changed nothing');
    await m.deleteUpload(s.id);
  });

  test(`${name}: updateUpload replaces the record only at the expected version, and never creates one`, async () => {
    const m = await setup();
    const s = newSession();
    await m.createUpload(s);
    const claimed = { ...s, lease: { owner: 'w', expiresAt: new Date(Date.now() + 30_000).toISOString() }, version: 1 };
    assert.equal(await m.updateUpload(claimed, 0), true);
    assert.equal(await m.updateUpload({ ...s, offset: 99, version: 1 }, 0), false, 'a writer holding a stale version is refused');
    // The algorithm changes too: a PUT carrying the whole blob is hashed in its digest's algorithm.
    const progressed: UploadSession = {
      ...claimed,
      offset: 5,
      algorithm: 'sha512',
      storageState: { parts: [], leftovers: [{ key: 'k', size: 5 }] },
      digestSoFar: `sha512:${'b'.repeat(128)}`,
      lease: null,
      version: 2,
    };
    assert.equal(await m.updateUpload(progressed, 1), true);
    assert.deepEqual(await m.getUpload(s.id), progressed);
    const missing = newSession();
    assert.equal(await m.updateUpload({ ...missing, version: 1 }, 0), false);
    assert.equal(await m.getUpload(missing.id), null, 'an update of an absent session does not create it');
    await m.deleteUpload(s.id);
  });

  test(`${name}: of concurrent writers at one version exactly one wins, and the record is the winner's`, async () => {
    const m = await setup();
    const s = newSession();
    await m.createUpload(s);
    const writers = Array.from({ length: 6 }, (_, i) => ({ ...s, offset: i + 1, lease: { owner: `w${i}`, expiresAt: '2030-01-01T00:00:00.000Z' }, version: 1 }));
    const results = await Promise.all(writers.map((w) => m.updateUpload(w, 0)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.deepEqual(await m.getUpload(s.id), writers[results.indexOf(true)]);
    await m.deleteUpload(s.id);
  });

  test(`${name}: deleteUpload at a stale version keeps the session; at its version or unconditionally it goes`, async () => {
    const m = await setup();
    const s = newSession();
    await m.createUpload(s);
    assert.equal(await m.updateUpload({ ...s, version: 1 }, 0), true);
    assert.equal(await m.deleteUpload(s.id, 0), false);
    assert.equal((await m.getUpload(s.id))?.version, 1);
    assert.equal(await m.deleteUpload(s.id, 1), true);
    assert.equal(await m.getUpload(s.id), null);
    assert.equal(await m.deleteUpload(s.id, 1), false, 'nothing left to delete');
    const other = newSession();
    await m.createUpload(other);
    assert.equal(await m.deleteUpload(other.id), true);
    assert.equal(await m.deleteUpload(other.id), false);
  });

  test(`${name}: a claim refuses a second claimer while its lease is live, and a lease nobody renews frees the session when it expires`, async () => {
    const m = await setup();
    const s = newSession();
    await m.createUpload(s);
    // A writer that dies: it claimed with a short lease that nothing renews (a long renewal period).
    const dead = await claimUpload(m, s, { durationMs: 300, renewEveryMs: 60_000 });
    assert.ok(dead);
    const live = (await m.getUpload(s.id))!;
    assert.equal(live.lease?.expiresAt, dead.session.lease?.expiresAt);
    assert.equal(await claimUpload(m, live, { durationMs: 300, renewEveryMs: 100 }), null, 'refused while the lease holds');
    await sleep(350);
    assert.equal(dead.lost, true, 'the holder knows its lease ran out');
    const next = await claimUpload(m, (await m.getUpload(s.id))!, { durationMs: 300, renewEveryMs: 100 });
    assert.ok(next, 'the session is free once the lease expired');
    assert.equal(await dead.record({ offset: 7, storageState: null, hashState: null, digestSoFar: null }, false), false, 'the replaced holder cannot record');
    assert.equal(await next.record({ offset: 3, storageState: s.storageState, hashState: null, digestSoFar: null }, false), true);
    const after = (await m.getUpload(s.id))!;
    assert.equal(after.offset, 3);
    assert.equal(after.lease, null, 'recording without keeping the lease releases it');
    await dead.end();
    assert.equal(await m.deleteUpload(s.id, after.version), true, 'ending a lost claim writes nothing');
  });

  test(`${name}: a claim renewed while it is held outlives its lease duration, and ends released`, async () => {
    const m = await setup();
    const s = newSession();
    await m.createUpload(s);
    const timing = { durationMs: 300, renewEveryMs: 100 };
    const holder = await claimUpload(m, s, timing);
    assert.ok(holder);
    await sleep(800);
    assert.equal(holder.lost, false);
    assert.ok(holder.session.version > 2, 'renewals moved the version');
    assert.equal(await claimUpload(m, (await m.getUpload(s.id))!, timing), null, 'still held after more than twice the duration');
    await holder.end();
    const released = (await m.getUpload(s.id))!;
    assert.equal(released.lease, null);
    const next = await claimUpload(m, released, timing);
    assert.ok(next, 'a released session can be claimed at once');
    assert.equal(await next.commit(), true, 'commit deletes the session at the version it holds');
    assert.equal(await m.getUpload(s.id), null);
  });
  test(`${name}: claimUpload claims a free session in one write and returns it, only in its repository, without a live lease, at the offset asked`, async () => {
    const m = await setup();
    const s = { ...newSession(), offset: 5 };
    await m.createUpload(s);
    const now = () => new Date().toISOString();
    const lease = (owner: string, ms = 30_000) => ({ owner, expiresAt: new Date(Date.now() + ms).toISOString() });
    assert.equal(await m.claimUpload(randomUUID(), s.repository, lease('a'), now()), null, 'no such session');
    assert.equal(await m.claimUpload(s.id, `${s.repository}x`, lease('a'), now()), null, 'another repository');
    assert.equal(await m.claimUpload(s.id, s.repository, lease('a'), now(), 4), null, 'a chunk at another offset');
    assert.deepEqual(await m.getUpload(s.id), s, 'refused claims changed nothing');
    const first = lease('a', 200);
    const claimed = await m.claimUpload(s.id, s.repository, first, now(), 5);
    assert.deepEqual(claimed, { ...s, lease: first, version: 1 });
    assert.deepEqual(await m.getUpload(s.id), claimed, 'what it returns is what it stored');
    assert.equal(await m.claimUpload(s.id, s.repository, lease('b'), now()), null, 'refused while the lease is live');
    await sleep(250);
    const second = lease('b');
    assert.deepEqual(await m.claimUpload(s.id, s.repository, second, now()), { ...s, lease: second, version: 2 }, 'an expired lease is taken over');
    assert.equal(await m.deleteUpload(s.id, 2), true);
  });

  test(`${name}: takeUpload deletes a free session of its repository and returns it; a leased one stays and is reported busy`, async () => {
    const m = await setup();
    const now = () => new Date().toISOString();
    const s = { ...newSession(), offset: 9, digestSoFar: `sha256:${'b'.repeat(64)}` };
    await m.createUpload(s);
    assert.deepEqual(await m.takeUpload(randomUUID(), s.repository, now()), { taken: null }, 'no such session');
    assert.deepEqual(await m.takeUpload(s.id, `${s.repository}x`, now()), { taken: null }, 'another repository');
    assert.deepEqual(await m.getUpload(s.id), s, 'still there');
    assert.deepEqual(await m.takeUpload(s.id, s.repository, now()), { taken: s });
    assert.equal(await m.getUpload(s.id), null, 'taken means deleted');
    assert.deepEqual(await m.takeUpload(s.id, s.repository, now()), { taken: null }, 'taken once only');

    const held = { ...newSession(), lease: { owner: 'w', expiresAt: new Date(Date.now() + 30_000).toISOString() }, version: 4 };
    await m.createUpload(held);
    assert.deepEqual(await m.takeUpload(held.id, held.repository, now()), { busy: held });
    assert.deepEqual(await m.getUpload(held.id), held, 'a busy session stays');
    const expired = { ...held, lease: { owner: 'w', expiresAt: new Date(Date.now() - 1000).toISOString() }, version: 5 };
    assert.equal(await m.updateUpload(expired, 4), true);
    assert.deepEqual(await m.takeUpload(held.id, held.repository, now()), { taken: expired }, 'an expired lease holds nothing');
  });
}
