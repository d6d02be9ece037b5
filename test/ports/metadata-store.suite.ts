/** The MetadataStore contract, run against every adapter (SQLite now; DynamoDB later). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ManifestRecord, MetadataStore, UploadSession } from '../../src/ports/metadata-store.js';

const dg = (c: string) => `sha256:${c.repeat(64)}`;

function manifest(repository: string, digest: string, subject: string | null = null): ManifestRecord {
  return {
    repository,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    content: Buffer.from(`{"m":"${digest}"}`),
    artifactType: 'application/x.test',
    subject,
    annotations: subject ? { a: 'b' } : null,
    createdAt: new Date().toISOString(),
  };
}

export function metadataStoreSuite(name: string, setup: () => Promise<MetadataStore>): void {
  test(`${name}: blob links are per repository`, async () => {
    const m = await setup();
    const repo = `r${randomUUID().slice(0, 8)}`;
    assert.equal(await m.getBlobLink(repo, dg('a')), null);
    await m.linkBlob(repo, dg('a'), 10);
    await m.linkBlob(repo, dg('a'), 10);
    assert.deepEqual(await m.getBlobLink(repo, dg('a')), { size: 10 });
    assert.equal(await m.getBlobLink(`${repo}x`, dg('a')), null);
    assert.ok((await m.findBlobRepositories(dg('a'), 10)).includes(repo));
    assert.equal(await m.repositoryExists(repo), true);
    assert.equal(await m.unlinkBlob(repo, dg('a')), true);
    assert.equal(await m.unlinkBlob(repo, dg('a')), false);
  });

  test(`${name}: manifests are stored byte-exact; deleting one removes its tags and referrer entry`, async () => {
    const m = await setup();
    const repo = `r${randomUUID().slice(0, 8)}`;
    const subject = manifest(repo, dg('1'));
    const referrer = manifest(repo, dg('2'), dg('1'));
    await m.putManifest(subject, null);
    await m.putManifest(referrer, { mediaType: referrer.mediaType, digest: referrer.digest, size: 10, artifactType: 'application/x.test', annotations: { a: 'b' } });
    assert.deepEqual(Buffer.from((await m.getManifest(repo, dg('1')))!.content), Buffer.from(subject.content));
    await m.setTag(repo, 'v1', dg('2'));
    await m.setTag(repo, 'v2', dg('2'));
    assert.equal(await m.resolveTag(repo, 'v1'), dg('2'));
    const refs = await m.listReferrers(repo, dg('1'), { limit: 10 });
    assert.deepEqual(refs.items.map((r) => [r.digest, r.artifactType, r.annotations?.a]), [[dg('2'), 'application/x.test', 'b']]);
    assert.deepEqual(await m.deleteManifest(repo, dg('2')), { tags: ['v1', 'v2'] });
    assert.equal(await m.resolveTag(repo, 'v1'), null);
    assert.deepEqual((await m.listReferrers(repo, dg('1'), { limit: 10 })).items, []);
    assert.equal(await m.deleteManifest(repo, dg('2')), null);
  });

  test(`${name}: tags page in byte order with an exclusive last`, async () => {
    const m = await setup();
    const repo = `r${randomUUID().slice(0, 8)}`;
    await m.putManifest(manifest(repo, dg('1')), null);
    for (const t of ['b', 'a', 'C', 'c', '_z']) await m.setTag(repo, t, dg('1'));
    assert.deepEqual(await m.listTags(repo, { limit: 2 }), { items: ['C', '_z'], more: true });
    assert.deepEqual(await m.listTags(repo, { limit: 2, last: '_z' }), { items: ['a', 'b'], more: true });
    assert.deepEqual(await m.listTags(repo, { limit: 2, last: 'b' }), { items: ['c'], more: false });
    assert.equal(await m.deleteTag(repo, 'a'), dg('1'));
    assert.equal(await m.deleteTag(repo, 'a'), null);
  });

  test(`${name}: upload updates are conditional on the version`, async () => {
    const m = await setup();
    const s: UploadSession = {
      id: randomUUID(), repository: 'r', offset: 0, startedAt: new Date().toISOString(), algorithm: 'sha256',
      hashState: null, digestSoFar: null, storageState: { parts: [] }, lease: null, version: 0,
    };
    await m.createUpload(s);
    const next = { ...s, offset: 5, version: 1, storageState: { parts: ['x'] }, lease: { owner: 'w1', expiresAt: '2030-01-01T00:00:00.000Z' } };
    assert.equal(await m.updateUpload(next, 0), true);
    assert.equal(await m.updateUpload({ ...s, offset: 9, version: 1 }, 0), false, 'a stale writer loses');
    assert.deepEqual(await m.getUpload(s.id), next);
    await m.deleteUpload(s.id);
    assert.equal(await m.getUpload(s.id), null);
  });
}
