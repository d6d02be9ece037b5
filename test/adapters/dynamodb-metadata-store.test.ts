/**
 * DynamoDB MetadataStore beyond the port suite: large manifests (S3 on fauxqs, byte-exact at
 * 4 MiB), the inline limit, long listings, filtered referrer pages, and races between writers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BatchWriteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { startFauxqs } from 'fauxqs';
import { createTable, DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { keys } from '../../src/adapters/aws/dynamodb-keys.js';
import { tagItem } from '../../src/adapters/aws/dynamodb-items.js';
import { S3LargeObjectStore, type LargeObjectStore } from '../../src/adapters/aws/large-objects.js';
import type { ManifestRecord, UploadSession } from '../../src/ports/metadata-store.js';
import { InMemoryLargeObjectStore, startDynalite, TEST_CREDENTIALS, type Dynalite } from './dynamodb-harness.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const repoName = () => `team/r${randomUUID().slice(0, 8)}`;

function record(repository: string, content: Uint8Array, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    repository,
    digest: sha256(content),
    mediaType: OCI_MANIFEST,
    content,
    artifactType: null,
    subject: null,
    annotations: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

let db: Dynalite;
let tableName: string;

before(async () => {
  db = await startDynalite();
  tableName = await db.newTable();
});
after(() => db.stop());

function store(largeObjects: LargeObjectStore = new InMemoryLargeObjectStore(), inlineManifestLimit?: number): DynamoDbMetadataStore {
  return new DynamoDbMetadataStore({ client: db.client, tableName, largeObjects, ...(inlineManifestLimit !== undefined && { inlineManifestLimit }) });
}

async function rawItem(key: { PK: string; SK: string }): Promise<Record<string, unknown> | null> {
  const out = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : null;
}

test('a 4 MiB manifest round-trips byte-exact through S3 (fauxqs), stored by digest under the prefix', async (t) => {
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${fauxqs.port}`, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS });
  t.after(async () => {
    s3.destroy();
    await fauxqs.stop();
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'stowage-test' }));
  const m = store(new S3LargeObjectStore({ client: s3, bucket: 'stowage-test', prefix: 'registry/' }));
  const repo = repoName();
  const content = randomBytes(4 * 1024 * 1024); // not even UTF-8: bytes are bytes
  const r = record(repo, content);
  await m.putManifest(r, null);

  const got = await m.getManifest(repo, r.digest);
  assert.ok(got);
  assert.equal(got.content.byteLength, content.byteLength);
  assert.ok(Buffer.from(got.content).equals(content), 'the bytes come back exactly');
  assert.equal(got.mediaType, OCI_MANIFEST);

  const hex = r.digest.slice('sha256:'.length);
  const object = await s3.send(new GetObjectCommand({ Bucket: 'stowage-test', Key: `registry/manifests/sha256/${hex}` }));
  assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(content));
  const item = await rawItem(keys.manifest(repo, r.digest));
  assert.equal(item?.content, undefined, 'the item only indexes the bytes');
  assert.equal(item?.contentKey, `manifests/sha256/${hex}`);
  assert.equal(item?.size, content.byteLength);
});

test('manifests above the inline limit, or whose item would pass 400 KB, go to the large-object store', async () => {
  const objects = new InMemoryLargeObjectStore();
  const m = store(objects, 1024);
  const repo = repoName();
  const small = record(repo, randomBytes(1024));
  const large = record(repo, randomBytes(1025));
  await m.putManifest(small, null);
  await m.putManifest(large, null);
  assert.ok((await rawItem(keys.manifest(repo, small.digest)))?.content instanceof Uint8Array, 'at the limit: inline');
  assert.equal((await rawItem(keys.manifest(repo, large.digest)))?.content, undefined);
  assert.deepEqual([...objects.objects.keys()], [`manifests/sha256/${large.digest.slice(7)}`]);
  assert.ok(Buffer.from((await m.getManifest(repo, large.digest))!.content).equals(Buffer.from(large.content)));

  // A limit set above what an item can hold still never produces an oversized item.
  const roomy = store(objects, 1024 * 1024);
  const big = record(repo, randomBytes(399 * 1024));
  await roomy.putManifest(big, null);
  assert.equal((await rawItem(keys.manifest(repo, big.digest)))?.content, undefined);
  assert.ok(Buffer.from((await roomy.getManifest(repo, big.digest))!.content).equals(Buffer.from(big.content)));
});

test('annotations too large to copy into items are read back from the manifest bytes', async () => {
  const m = store();
  const repo = repoName();
  const subject = record(repo, Buffer.from('{"subject":true}'));
  await m.putManifest(subject, null);
  const annotations = { 'org.example.big': 'x'.repeat(100 * 1024), 'org.example.small': 'y' };
  const content = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, annotations, subject: { digest: subject.digest } }));
  const referrer = record(repo, content, { subject: subject.digest, annotations, artifactType: 'application/x.big' });
  await m.putManifest(referrer, { mediaType: OCI_MANIFEST, digest: referrer.digest, size: content.length, artifactType: 'application/x.big', annotations });
  assert.deepEqual((await m.getManifest(repo, referrer.digest))?.annotations, annotations);
  const page = await m.listReferrers(repo, subject.digest, { limit: 10 });
  assert.deepEqual(page.items, [{ mediaType: OCI_MANIFEST, digest: referrer.digest, size: content.length, artifactType: 'application/x.big', annotations }]);
  assert.equal((await rawItem(keys.manifest(repo, referrer.digest)))?.annotationsInContent, true);
});

test('2500 tags page in byte order with n/last, each page one Query', async () => {
  const m = store();
  const repo = repoName();
  const r = record(repo, Buffer.from('{"tags":2500}'));
  await m.putManifest(r, null);
  const tags = Array.from({ length: 2500 }, (_, i) => (i % 3 === 0 ? `V${i}` : i % 3 === 1 ? `v${i}` : `_${i}`));
  // 100 through setTag (4 calls each); the other 2400 written as the very items setTag writes,
  // 25 per BatchWriteItem, to keep the test fast.
  await Promise.all(tags.slice(0, 100).map((t) => m.setTag(repo, t, r.digest)));
  const fields = { repository: repo, digest: r.digest, mediaType: r.mediaType, artifactType: null, size: r.content.byteLength, actor: null };
  for (let i = 100; i < tags.length; i += 25) {
    const puts = tags.slice(i, i + 25).map((t) => ({ PutRequest: { Item: marshall(tagItem(t, fields, r.createdAt)) } }));
    const out = await db.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: puts } }));
    assert.equal(Object.keys(out.UnprocessedItems ?? {}).length, 0);
  }
  const expected = [...tags].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  for (const n of [1000, 333]) {
    const seen: string[] = [];
    let last: string | undefined;
    let pages = 0;
    for (;;) {
      db.calls.reset();
      const page = await m.listTags(repo, { limit: n, ...(last !== undefined && { last }) });
      assert.deepEqual(db.calls.counts(), { Query: 1 }, 'a page of up to 1000 tags is one Query');
      pages++;
      seen.push(...page.items);
      if (!page.more) break;
      assert.equal(page.items.length, n);
      last = page.items.at(-1);
    }
    assert.deepEqual(seen, expected);
    assert.equal(pages, Math.ceil(2500 / n));
  }
  // `last` between stored tags, and one longer than any key DynamoDB accepts.
  assert.deepEqual((await m.listTags(repo, { limit: 2, last: 'V0a' })).items, ['V1002', 'V1005']);
  assert.deepEqual(await m.listTags(repo, { limit: 2, last: `v${'9'.repeat(2000)}` }), { items: [], more: false });
});

test('an artifactType-filtered referrers page that needs several Query calls is filled, and pages on', async () => {
  const m = store();
  const repo = repoName();
  const subject = record(repo, Buffer.from('{"subject":1}'));
  await m.putManifest(subject, null);
  const signatures: string[] = [];
  for (let i = 0; i < 150; i++) {
    const artifactType = i % 40 === 7 ? 'application/x.sig' : 'application/x.sbom';
    const r = record(repo, Buffer.from(JSON.stringify({ i, subject: subject.digest })), { subject: subject.digest, artifactType });
    await m.putManifest(r, { mediaType: OCI_MANIFEST, digest: r.digest, size: r.content.byteLength, artifactType });
    if (artifactType === 'application/x.sig') signatures.push(r.digest);
  }
  signatures.sort();
  assert.equal(signatures.length, 4);

  db.calls.reset();
  const first = await m.listReferrers(repo, subject.digest, { limit: 2, artifactType: 'application/x.sig' });
  assert.ok((db.calls.counts().Query ?? 0) > 1, `several Query calls (got ${JSON.stringify(db.calls.counts())})`);
  assert.deepEqual(
    first.items.map((d) => d.digest),
    signatures.slice(0, 2),
  );
  assert.equal(first.more, true);
  const second = await m.listReferrers(repo, subject.digest, { limit: 2, artifactType: 'application/x.sig', last: signatures[1]! });
  assert.deepEqual(
    second.items.map((d) => d.digest),
    signatures.slice(2, 4),
  );
  assert.equal(second.more, false);
  assert.ok(second.items.every((d) => d.artifactType === 'application/x.sig'));

  const unfiltered = await m.listReferrers(repo, subject.digest, { limit: 1000 });
  assert.equal(unfiltered.items.length, 150);
  assert.deepEqual(
    unfiltered.items.map((d) => d.digest),
    [...unfiltered.items.map((d) => d.digest)].sort(),
  );
});

test('two concurrent setTag of one tag: the final tag is one of the two, whole, and deleting it finds it', async () => {
  const m = store();
  const repo = repoName();
  const a = record(repo, Buffer.from('{"a":1}'), { mediaType: 'application/vnd.oci.image.index.v1+json', artifactType: 'application/x.a' });
  const b = record(repo, Buffer.from('{"b":22}'), { artifactType: 'application/x.b' });
  await m.putManifest(a, null);
  await m.putManifest(b, null);
  const fieldsOf = new Map([a, b].map((r) => [r.digest, { mediaType: r.mediaType, artifactType: r.artifactType, size: r.content.byteLength }]));
  for (let round = 0; round < 20; round++) {
    await Promise.all([m.setTag(repo, 'latest', a.digest, 'alice'), m.setTag(repo, 'latest', b.digest, 'bob')]);
    const digest = await m.resolveTag(repo, 'latest');
    assert.ok(digest === a.digest || digest === b.digest);
    const item = await rawItem(keys.tag(repo, 'latest'));
    assert.deepEqual({ mediaType: item?.mediaType, artifactType: item?.artifactType, size: item?.size }, fieldsOf.get(digest));
    assert.equal(item?.actor, digest === a.digest ? 'alice' : 'bob', 'no field comes from the other writer');
  }
  const winner = (await m.resolveTag(repo, 'latest'))!;
  const loser = winner === a.digest ? b.digest : a.digest;
  assert.deepEqual(await m.deleteManifest(repo, loser), { tags: [] }, 'the tag moved away: the loser does not take it along');
  assert.deepEqual(await m.deleteManifest(repo, winner), { tags: ['latest'] });
  assert.equal(await m.resolveTag(repo, 'latest'), null);
});

test('two concurrent updateUpload with the same expectedVersion: exactly one wins', async () => {
  const m = store();
  for (let round = 0; round < 10; round++) {
    const s: UploadSession = {
      id: randomUUID(),
      repository: 'team/app',
      offset: 0,
      startedAt: '2026-01-01T00:00:00.000Z',
      algorithm: 'sha256',
      hashState: null,
      digestSoFar: null,
      storageState: { parts: [] },
      lease: null,
      version: 0,
    };
    await m.createUpload(s);
    const x = { ...s, offset: 10, version: 1, storageState: { parts: ['x'] } };
    const y = { ...s, offset: 20, version: 1, storageState: { parts: ['y'] } };
    const results = await Promise.all([m.updateUpload(x, 0), m.updateUpload(y, 0)]);
    assert.equal(results.filter(Boolean).length, 1, `one winner (${results.join(', ')})`);
    assert.deepEqual(await m.getUpload(s.id), results[0] ? x : y);
    await assert.rejects(m.createUpload(s), /already exists/);
    await m.deleteUpload(s.id);
  }
});

test('a setTag racing deleteManifest of its digest never leaves the tag pointing at nothing', async () => {
  const m = store();
  const repo = repoName();
  const r = record(repo, Buffer.from('{"race":1}'));
  // Staggering the delete by 0-5 ms lands it between every pair of setTag's four calls (checked
  // by hand with counters: both the take-back in setTag and the late re-check in deleteManifest fire).
  for (let round = 0; round < 60; round++) {
    await m.putManifest(r, null);
    const tag = `t${round % 3}`;
    const delay = new Promise((resolve) => setTimeout(resolve, round % 6));
    await Promise.allSettled([m.setTag(repo, tag, r.digest), delay.then(() => m.deleteManifest(repo, r.digest))]);
    assert.equal(await m.getManifest(repo, r.digest), null);
    assert.equal(await m.resolveTag(repo, tag), null, `round ${round}: tag ${tag} was taken back or deleted`);
  }
});

test('setTag refuses a manifest that is not stored; deleteManifest of an unknown digest is null', async () => {
  const m = store();
  const repo = repoName();
  await assert.rejects(m.setTag(repo, 'v1', sha256(Buffer.from('nothing'))), /not stored/);
  assert.equal(await m.resolveTag(repo, 'v1'), null);
  assert.equal(await m.deleteManifest(repo, sha256(Buffer.from('nothing'))), null);
});

test('createTable is idempotent and findBlobRepositories reads the GSI in name order', async () => {
  await createTable(db.client, tableName);
  const m = store();
  const digest = sha256(randomBytes(8));
  for (const r of ['c/x', 'a/x', 'b/x']) await m.linkBlob(r, digest, 8);
  assert.deepEqual(await m.findBlobRepositories(digest, 2), ['a/x', 'b/x']);
  assert.deepEqual(await m.findBlobRepositories(digest, 10), ['a/x', 'b/x', 'c/x']);
  assert.deepEqual((await m.listRepositories({ limit: 1, last: 'b/x' })).items, ['c/x']);
  assert.equal(await m.repositoryExists('c/x'), true);
  assert.equal(await m.repositoryExists('c'), false);
});
