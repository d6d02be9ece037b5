/**
 * The MetadataStore contract (src/ports/metadata-store.ts), run against every adapter (SQLite,
 * DynamoDB with inline and with large-object manifests). At least one test per method, with
 * found/not-found answers, idempotent writes, concurrent writers and pagination edges. Upload
 * sessions have their own suite (upload-sessions.suite.ts).
 *
 * Every test gets a fresh store from `setup` and names its repositories itself. STYLE habit 4:
 * after every test the suite checks that the store holds nothing but catalog entries (which are
 * never removed) and that the catalog names only repositories the test used.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { ManifestRecord, ManifestSummary, MetadataStore, PageRequest, ReferrerDescriptor } from '../../src/ports/metadata-store.js';

export interface MetadataStoreHarness {
  store: MetadataStore;
  /** What the store holds besides catalog entries and upload sessions (must be empty after cleanup). */
  leftovers(): Promise<string[]>;
}

export interface MetadataStoreSuiteOptions {
  /**
   * Entries of the bulk listing tests (tags, repositories), paged 32 at a time. Default 1001;
   * an adapter whose emulator writes slowly may run fewer (a few pages still cross boundaries).
   */
  bulkEntries?: number;
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const IMAGE = 'application/vnd.oci.image.manifest.v1+json';

function manifest(repository: string, digest: string, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    repository,
    digest,
    mediaType: IMAGE,
    content: Buffer.from(`{"schemaVersion":2,"m":"${digest}"}`),
    artifactType: null,
    subject: null,
    annotations: null,
    createdAt: '2026-01-02T03:04:05.678Z',
    ...extra,
  };
}

/** A manifest with a subject, and the referrer descriptor the core would give putManifest. */
function referrer(repository: string, subject: string, name: string, artifactType: string): [ManifestRecord, ReferrerDescriptor] {
  const digest = digestOf(`${repository} ${subject} ${name}`);
  const record = manifest(repository, digest, { subject, artifactType, annotations: { name } });
  return [record, { mediaType: IMAGE, digest, size: record.content.byteLength, artifactType, annotations: { name } }];
}

/** Every page of a listing, `limit` at a time, checking that `more` is true exactly when another page follows. */
async function pageAll(list: (page: PageRequest) => Promise<{ items: string[]; more: boolean }>, limit: number): Promise<string[]> {
  const all: string[] = [];
  for (let last: string | undefined; ; ) {
    const page = await list({ limit, ...(last !== undefined && { last }) });
    assert.ok(page.items.length <= limit, 'a page never exceeds its limit');
    all.push(...page.items);
    if (!page.more) return all;
    assert.equal(page.items.length, limit, 'a page short of its limit is the last one');
    last = page.items.at(-1);
  }
}

/** Byte order (what SQLite and DynamoDB keep), not JavaScript's UTF-16 order. */
const byteOrder = (values: string[]) => [...values].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

async function inParallel<T>(count: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => fn(i)));
}

/** Runs `fn` over `items`, `width` at a time. */
async function eachLimited<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await inParallel(width, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  });
}

export function metadataStoreSuite(name: string, setup: () => Promise<MetadataStoreHarness>, options: MetadataStoreSuiteOptions = {}): void {
  const BULK = options.bulkEntries ?? 1001;
  describe(name, () => {
    let harness: MetadataStoreHarness | undefined;
    let used = new Set<string>();

    const start = async () => {
      harness = await setup();
      used = new Set();
      return harness.store;
    };
    /** A repository name of this test (`suffix` lets names sort next to each other). */
    const prefix = () => `t${randomUUID().slice(0, 8)}`;
    const repo = (name = prefix()) => {
      used.add(name);
      return name;
    };

    afterEach(async () => {
      if (!harness) return;
      const { store, leftovers } = harness;
      harness = undefined;
      assert.deepEqual(await leftovers(), [], 'the test removed everything it stored');
      const catalog = await store.listRepositories({ limit: 10_000 });
      assert.deepEqual(
        catalog.items.filter((r) => !used.has(r)),
        [],
        'the catalog names only repositories this test used',
      );
    });

    test('linkBlob / getBlobLink: a link per repository; linking again is a no-op', async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const d = digestOf('blob');
      assert.equal(await m.getBlobLink(r, d), null);
      await m.linkBlob(r, d, 10);
      await m.linkBlob(r, d, 10);
      assert.deepEqual(await m.getBlobLink(r, d), { size: 10 });
      assert.equal(await m.getBlobLink(other, d), null, 'another repository does not hold it');
      assert.equal(await m.getBlobLink(r, digestOf('other blob')), null);
      await m.linkBlob(other, d, 10);
      assert.equal(await m.unlinkBlob(r, d), true);
      assert.deepEqual(await m.getBlobLink(other, d), { size: 10 }, 'unlinking is per repository');
      assert.equal(await m.unlinkBlob(other, d), true);
    });

    test('unlinkBlob: true when it removed a link, false when there was none', async () => {
      const m = await start();
      const r = repo();
      const d = digestOf('blob');
      assert.equal(await m.unlinkBlob(r, d), false, 'never linked');
      await m.linkBlob(r, d, 1);
      assert.equal(await m.unlinkBlob(r, d), true);
      assert.equal(await m.unlinkBlob(r, d), false, 'already removed');
      assert.equal(await m.getBlobLink(r, d), null);
      await m.linkBlob(r, d, 1);
      assert.deepEqual(await m.getBlobLink(r, d), { size: 1 }, 'a blob can be linked again after unlinking');
      assert.equal(await m.unlinkBlob(r, d), true);
    });

    test("unlinkBlobs: removes the links still as listed, keeps one touched since and other repositories' links", async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const [a, b, c] = ['a', 'b', 'c'].map((x) => digestOf(`unlinkBlobs ${x}`));
      for (const d of [a!, b!, c!]) await m.linkBlob(r, d, 1);
      await m.linkBlob(other, a!, 1);
      const listed = (await m.listBlobLinks(r, { limit: 10 })).items.map((l) => ({ digest: l.digest, linkedAt: l.linkedAt }));
      assert.ok(await m.touchBlobLink(r, b!), 'a manifest PUT touches b after the collector listed it');
      const removed = await m.unlinkBlobs([...listed, { digest: digestOf('never linked'), linkedAt: listed[0]!.linkedAt }].map((l) => ({ repository: r, ...l })));
      assert.deepEqual(removed.map((l) => `${l.repository} ${l.digest}`).sort(), [a!, c!].map((d) => `${r} ${d}`).sort());
      assert.equal(await m.getBlobLink(r, a!), null);
      assert.equal(await m.getBlobLink(r, c!), null);
      assert.deepEqual(await m.getBlobLink(r, b!), { size: 1 }, 'touched since the listing: it stays');
      assert.deepEqual(await m.getBlobLink(other, a!), { size: 1 }, 'unlinking is per repository');
      assert.deepEqual(await m.unlinkBlobs([]), []);
      await m.unlinkBlob(r, b!);
      await m.unlinkBlob(other, a!);
    });

    test("listBlobLinks: a repository's links with sizes in digest order, paged; nothing from other repositories", async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const digests = Array.from({ length: 5 }, (_, i) => digestOf(`link${i}`)).sort();
      for (const [i, d] of digests.entries()) await m.linkBlob(r, d, 100 + i);
      await m.linkBlob(other, digestOf('elsewhere'), 7);
      const first = await m.listBlobLinks(r, { limit: 2 });
      assert.deepEqual(
        first.items.map(({ digest, size }) => ({ digest, size })),
        digests.slice(0, 2).map((d) => ({ digest: d, size: 100 + digests.indexOf(d) })),
      );
      assert.equal(first.more, true);
      const rest = await m.listBlobLinks(r, { limit: 10, last: digests[1]! });
      assert.deepEqual(
        rest.items.map((l) => l.digest),
        digests.slice(2),
      );
      assert.equal(rest.more, false);
      assert.deepEqual(await m.listBlobLinks(repo(), { limit: 10 }), { items: [], more: false });
      for (const d of digests) await m.unlinkBlob(r, d);
      await m.unlinkBlob(other, digestOf('elsewhere'));
    });

    test('deleteRepository: removes tags, referrers, manifests, links and the catalog entry; other repositories untouched', async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const subject = manifest(r, digestOf('subject'));
      const [sig, sigReferrer] = referrer(r, subject.digest, 'sig', 'application/example.sig');
      await m.linkBlob(r, digestOf('layer'), 10);
      await m.putManifest(subject, null);
      await m.putManifest(sig, sigReferrer);
      await m.setTag(r, 'v1', subject.digest);
      await m.linkBlob(other, digestOf('layer'), 10);
      assert.equal(await m.deleteRepository(r), true);
      assert.equal(await m.repositoryExists(r), false);
      assert.equal(await m.getManifest(r, subject.digest), null);
      assert.equal(await m.resolveTag(r, 'v1'), null);
      assert.equal(await m.getBlobLink(r, digestOf('layer')), null);
      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 10 }), { items: [], more: false });
      assert.ok(!(await m.listRepositories({ limit: 10_000 })).items.includes(r), 'gone from the catalog');
      assert.deepEqual(await m.getBlobLink(other, digestOf('layer')), { size: 10 }, 'the other repository keeps its link');
      assert.equal(await m.deleteRepository(r), false, 'a second delete finds nothing');
      // Pushed again after the delete: back in the catalog.
      await m.linkBlob(r, digestOf('again'), 1);
      assert.equal(await m.unlinkBlob(other, digestOf('layer')), true);
      assert.equal(await m.unlinkBlob(r, digestOf('again')), true);
    });

    test('findBlobRepositories: holders of the digest in name order, up to the limit', async () => {
      const m = await start();
      const p = prefix();
      // Names that sort next to each other: '-' < '.' < '/' < '_' < letters.
      const names = ['a', 'a-b', 'a.b', 'a/b', 'a_b', 'ab'].map((s) => repo(`${p}/${s}`));
      const d = digestOf('shared');
      for (const n of [...names].reverse()) await m.linkBlob(n, d, 5);
      await m.linkBlob(repo(`${p}/other`), digestOf('other'), 5);
      assert.deepEqual(await m.findBlobRepositories(d, 10), names);
      assert.deepEqual(await m.findBlobRepositories(d, names.length), names, 'limit exactly the count');
      assert.deepEqual(await m.findBlobRepositories(d, 1), names.slice(0, 1));
      assert.deepEqual(await m.findBlobRepositories(d, 0), []);
      assert.deepEqual(await m.findBlobRepositories(digestOf('nobody has it'), 10), []);
      await m.unlinkBlob(names[0]!, d);
      assert.deepEqual(await m.findBlobRepositories(d, 1), names.slice(1, 2), 'an unlinked repository is no holder');
      for (const n of names.slice(1)) await m.unlinkBlob(n, d);
      await m.unlinkBlob(`${p}/other`, digestOf('other'));
      assert.deepEqual(await m.findBlobRepositories(d, 10), []);
    });

    test('putManifest / getManifest: byte-exact with every field; null when absent or in another repository', async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const content = Buffer.from('{ "schemaVersion": 2,\n  "odd spacing" :true }\r\n');
      const record = manifest(r, digestOf(content.toString()), {
        content,
        mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
        artifactType: 'application/x.sbom',
        annotations: { 'org.opencontainers.image.created': '2026-01-01', x: 'ü' },
      });
      assert.equal(await m.getManifest(r, record.digest), null);
      await m.putManifest(record, null);
      const got = await m.getManifest(r, record.digest);
      assert.ok(got);
      assert.deepEqual(Buffer.from(got.content), content);
      const { content: _c, actor: _a, pushTags: _p, ...fields } = got;
      const { content: _c2, ...expected } = record;
      assert.deepEqual(fields, expected);
      assert.equal(await m.getManifest(other, record.digest), null, 'manifests are per repository');
      assert.equal(await m.getManifest(r, digestOf('absent')), null);
      assert.deepEqual(await m.deleteManifest(r, record.digest), { tags: [] });
    });

    test('putManifest: a 4 MiB manifest round-trips byte-exact', async () => {
      const m = await start();
      const r = repo();
      const content = Buffer.alloc(4 * 1024 * 1024, 'x');
      content.write('{"big":"', 0);
      const record = manifest(r, digestOf('big'), { content });
      await m.putManifest(record, null);
      assert.ok(Buffer.from((await m.getManifest(r, record.digest))!.content).equals(content));
      await m.deleteManifest(r, record.digest);
    });

    test('putManifest is idempotent: repeated with its referrer, one manifest and one referrer entry', async () => {
      const m = await start();
      const r = repo();
      const subject = manifest(r, digestOf('subject'));
      await m.putManifest(subject, null);
      const [record, descriptor] = referrer(r, subject.digest, 'sig', 'application/x.sig');
      await m.putManifest(record, descriptor);
      await m.putManifest(record, descriptor);
      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 10 }), { items: [descriptor], more: false });
      await m.deleteManifest(r, record.digest);
      await m.deleteManifest(r, subject.digest);
    });

    test('deleteManifest: removes the manifest, the tags naming it and its own referrer entry; null when absent', async () => {
      const m = await start();
      const r = repo();
      const subject = manifest(r, digestOf('subject'));
      await m.putManifest(subject, null);
      const [sig, sigDescriptor] = referrer(r, subject.digest, 'sig', 'application/x.sig');
      const [sbom, sbomDescriptor] = referrer(r, subject.digest, 'sbom', 'application/x.sbom');
      await m.putManifest(sig, sigDescriptor);
      await m.putManifest(sbom, sbomDescriptor);
      await m.setTag(r, 'v1', sig.digest);
      await m.setTag(r, 'v2', sig.digest);
      await m.setTag(r, 'moved', sig.digest);
      await m.setTag(r, 'moved', sbom.digest);
      await m.setTag(r, 'gone', sig.digest);
      await m.deleteTag(r, 'gone');
      await m.setTag(r, 'latest', subject.digest);

      assert.deepEqual(await m.deleteManifest(r, sig.digest), { tags: ['v1', 'v2'] }, 'only tags that still name it, in order');
      assert.equal(await m.getManifest(r, sig.digest), null);
      assert.equal(await m.resolveTag(r, 'v1'), null);
      assert.equal(await m.resolveTag(r, 'moved'), sbom.digest, 'a tag moved elsewhere stays');
      assert.equal(await m.resolveTag(r, 'latest'), subject.digest);
      assert.deepEqual((await m.listReferrers(r, subject.digest, { limit: 10 })).items, [sbomDescriptor]);
      assert.equal(await m.deleteManifest(r, sig.digest), null, 'already deleted');
      assert.equal(await m.deleteManifest(r, digestOf('never stored')), null);
      assert.deepEqual(await m.listTags(r, { limit: 10 }), { items: ['latest', 'moved'], more: false });

      assert.deepEqual(await m.deleteManifest(r, sbom.digest), { tags: ['moved'] });
      assert.deepEqual(await m.deleteManifest(r, subject.digest), { tags: ['latest'] });
    });

    test('listManifests: digest order with size, fields and current tags; pages; nothing from other repositories', async () => {
      const m = await start();
      const r = repo();
      const other = repo();
      assert.deepEqual(await m.listManifests(r, { limit: 5 }), { items: [], more: false }, 'an empty repository');
      const records = ['a', 'b', 'c', 'd', 'e'].map((n, i) => manifest(r, digestOf(`list ${n}`), { createdAt: `2026-01-0${i + 1}T00:00:00.000Z` }));
      for (const record of records) await m.putManifest(record, null);
      const [sig, sigDescriptor] = referrer(r, records[0]!.digest, 'sig', 'application/x.sig');
      await m.putManifest(sig, sigDescriptor);
      await m.putManifest(manifest(other, digestOf('list other')), null);
      const tagged = records[1]!;
      await m.setTag(r, 'v2', tagged.digest);
      await m.setTag(r, 'latest', tagged.digest);
      await m.setTag(r, 'moved', tagged.digest);
      await m.setTag(r, 'moved', records[2]!.digest);
      await m.setTag(r, 'gone', records[3]!.digest);
      await m.deleteTag(r, 'gone');

      const all = [...records, sig];
      const expected: ManifestSummary[] = byteOrder(all.map((x) => x.digest)).map((digest) => {
        const x = all.find((y) => y.digest === digest)!;
        const tags = digest === tagged.digest ? ['latest', 'v2'] : digest === records[2]!.digest ? ['moved'] : [];
        return { digest, mediaType: x.mediaType, size: x.content.byteLength, artifactType: x.artifactType, subject: x.subject, createdAt: x.createdAt, tags };
      });
      assert.deepEqual(await m.listManifests(r, { limit: 100 }), { items: expected, more: false });
      const paged: ManifestSummary[] = [];
      for (let last: string | undefined; ; ) {
        const page = await m.listManifests(r, { limit: 4, ...(last !== undefined && { last }) });
        paged.push(...page.items);
        if (!page.more) break;
        last = page.items.at(-1)?.digest;
      }
      assert.deepEqual(paged, expected, 'pages of 4 give the same list');
      assert.equal((await m.listManifests(other, { limit: 10 })).items.length, 1);

      for (const x of [sig, ...records]) await m.deleteManifest(r, x.digest);
      await m.deleteManifest(other, digestOf('list other'));
      assert.deepEqual(await m.listManifests(r, { limit: 5 }), { items: [], more: false }, 'deleted manifests are not listed');
    });

    test('setTag / resolveTag: a tag names one digest; setting it again moves it; null when absent', async () => {
      const m = await start();
      const [r, other] = [repo(), repo()];
      const [one, two] = [manifest(r, digestOf('1')), manifest(r, digestOf('2'))];
      await m.putManifest(one, null);
      await m.putManifest(two, null);
      assert.equal(await m.resolveTag(r, 'v1'), null);
      await m.setTag(r, 'v1', one.digest, 'alice');
      await m.setTag(r, 'v1', one.digest);
      assert.equal(await m.resolveTag(r, 'v1'), one.digest);
      assert.equal(await m.resolveTag(other, 'v1'), null, 'tags are per repository');
      assert.equal(await m.resolveTag(r, 'V1'), null, 'tags are case-sensitive');
      await m.setTag(r, 'v1', two.digest, null);
      assert.equal(await m.resolveTag(r, 'v1'), two.digest);
      assert.deepEqual(await m.listTags(r, { limit: 10 }), { items: ['v1'], more: false });
      assert.deepEqual(await m.deleteManifest(r, one.digest), { tags: [] });
      assert.deepEqual(await m.deleteManifest(r, two.digest), { tags: ['v1'] });
    });

    test('getManifestByTag: the manifest the tag names now, small or large, with every field; null once the tag or the manifest is gone', async () => {
      const m = await start();
      const r = repo();
      const small = manifest(r, digestOf('small'), { artifactType: 'application/x.t', annotations: { 'org.example/a': 'b' } });
      // Larger than any copy a store may keep beside its tags.
      const large = manifest(r, digestOf('large'), { content: Buffer.from(`{"schemaVersion":2,"pad":"${'x'.repeat(64 * 1024)}"}`) });
      await m.putManifest(small, null);
      await m.putManifest(large, null);
      assert.equal(await m.getManifestByTag(r, 'v1'), null);
      await m.setTag(r, 'v1', small.digest, 'alice');
      assert.deepEqual(await m.getManifestByTag(r, 'v1'), await m.getManifest(r, small.digest));
      assert.deepEqual(Buffer.from((await m.getManifestByTag(r, 'v1'))?.content ?? []), small.content);
      assert.equal(await m.getManifestByTag(repo(), 'v1'), null, 'tags are per repository');
      await m.setTag(r, 'v1', large.digest);
      assert.deepEqual(await m.getManifestByTag(r, 'v1'), await m.getManifest(r, large.digest), 'a moved tag serves its new manifest');
      await m.setTag(r, 'v2', small.digest);
      assert.equal(await m.deleteTag(r, 'v2'), small.digest);
      assert.equal(await m.getManifestByTag(r, 'v2'), null, 'a deleted tag serves nothing');
      await m.setTag(r, 'v3', small.digest);
      assert.deepEqual(await m.deleteManifest(r, small.digest), { tags: ['v3'] });
      assert.equal(await m.getManifestByTag(r, 'v3'), null, 'nor does the tag of a deleted manifest');
      assert.deepEqual(await m.deleteManifest(r, large.digest), { tags: ['v1'] });
    });

    test('setTag with the record just stored (a push) tags exactly as a setTag that reads it; a manifest gone meanwhile takes its tag along', async () => {
      const m = await start();
      const r = repo();
      const record = manifest(r, digestOf('stored'), { artifactType: 'application/x.s', annotations: { 'org.example/k': 'v' } });
      await m.putManifest(record, null);
      await m.setTag(r, 'pushed', record.digest, 'alice', { stored: record });
      await m.setTag(r, 'read', record.digest, 'alice');
      assert.deepEqual(await m.getManifestByTag(r, 'pushed'), await m.getManifest(r, record.digest));
      assert.deepEqual(await m.getManifestByTag(r, 'pushed'), await m.getManifestByTag(r, 'read'));
      assert.deepEqual(await m.deleteManifest(r, record.digest), { tags: ['pushed', 'read'] });
      const gone = manifest(r, digestOf('gone'));
      await m.setTag(r, 'late', gone.digest, 'alice', { stored: gone }).catch(() => undefined);
      assert.equal(await m.getManifestByTag(r, 'late'), null, 'no tag serves a manifest that is not stored');
      await m.deleteTag(r, 'late');
      // Whatever a store keeps beside a tag goes with its manifest: stored and deleted to clean up.
      await m.putManifest(gone, null);
      await m.deleteManifest(r, gone.digest);
    });

    test('setTag immutable: sets an absent tag, repeats the digest it names, refuses to move it and names the digest kept', async () => {
      const m = await start();
      const r = repo();
      const [one, two] = [manifest(r, digestOf('i1')), manifest(r, digestOf('i2'))];
      await m.putManifest(one, null);
      await m.putManifest(two, null);
      assert.deepEqual(await m.setTag(r, 'v1', one.digest, 'alice', { immutable: true }), { ok: true });
      assert.deepEqual(await m.setTag(r, 'v1', one.digest, 'alice', { immutable: true }), { ok: true }, 'the digest it already names');
      assert.deepEqual(await m.setTag(r, 'v1', two.digest, 'bob', { immutable: true }), { ok: false, current: one.digest });
      assert.equal(await m.resolveTag(r, 'v1'), one.digest, 'the refused write changed nothing');
      assert.deepEqual(await m.setTag(r, 'v1', two.digest, 'bob'), { ok: true }, 'without the condition the tag moves');
      assert.equal(await m.resolveTag(r, 'v1'), two.digest);
      assert.deepEqual(await m.deleteManifest(r, one.digest), { tags: [] });
      assert.deepEqual(await m.deleteManifest(r, two.digest), { tags: ['v1'] });
    });

    test('concurrent writers: one new immutable tag pushed to eight digests at once: exactly one wins, the others are told its digest', async () => {
      const m = await start();
      const r = repo();
      const records = Array.from({ length: 8 }, (_, i) => manifest(r, digestOf(`race${i}`)));
      for (const record of records) await m.putManifest(record, null);
      const results = await inParallel(8, (i) => m.setTag(r, 'release', records[i]!.digest, null, { immutable: true }));
      const winners = records.filter((_, i) => results[i]!.ok);
      assert.equal(winners.length, 1, `exactly one write wins: ${JSON.stringify(results)}`);
      const winner = winners[0]!.digest;
      assert.equal(await m.resolveTag(r, 'release'), winner);
      for (const result of results) if (!result.ok) assert.equal(result.current, winner, 'each loser is told the digest the tag keeps');
      for (const record of records) await m.deleteManifest(r, record.digest);
    });

    test('deleteTag: the digest it named, then null; the manifest stays', async () => {
      const m = await start();
      const r = repo();
      const one = manifest(r, digestOf('1'));
      await m.putManifest(one, null);
      await m.setTag(r, 'a', one.digest);
      await m.setTag(r, 'b', one.digest);
      assert.equal(await m.deleteTag(r, 'a'), one.digest);
      assert.equal(await m.deleteTag(r, 'a'), null);
      assert.equal(await m.deleteTag(r, 'never'), null);
      assert.equal(await m.resolveTag(r, 'a'), null);
      assert.ok(await m.getManifest(r, one.digest));
      assert.deepEqual(await m.listTags(r, { limit: 10 }), { items: ['b'], more: false });
      assert.deepEqual(await m.deleteManifest(r, one.digest), { tags: ['b'] });
    });

    test('listTags: byte order, limit 1, exact page boundary, `last` before, between and beyond', async () => {
      const m = await start();
      const r = repo();
      const one = manifest(r, digestOf('1'));
      await m.putManifest(one, null);
      assert.deepEqual(await m.listTags(r, { limit: 5 }), { items: [], more: false }, 'no tags yet');
      const tags = ['b', 'a_b', 'A', 'a', 'a.b', 'Z', 'a-b', '_', 'aa', '0'];
      for (const t of tags) await m.setTag(r, t, one.digest);
      const sorted = byteOrder(tags);
      assert.deepEqual(sorted, ['0', 'A', 'Z', '_', 'a', 'a-b', 'a.b', 'a_b', 'aa', 'b']);
      assert.deepEqual(await m.listTags(r, { limit: 100 }), { items: sorted, more: false });
      assert.deepEqual(await m.listTags(r, { limit: sorted.length }), { items: sorted, more: false }, 'limit exactly the count');
      assert.deepEqual(await m.listTags(r, { limit: sorted.length - 1 }), { items: sorted.slice(0, -1), more: true });
      assert.deepEqual(await pageAll((p) => m.listTags(r, p), 1), sorted, 'one at a time');
      assert.deepEqual(await pageAll((p) => m.listTags(r, p), 5), sorted, 'pages that end exactly at the end');
      assert.deepEqual(await m.listTags(r, { limit: 3, last: 'a' }), { items: ['a-b', 'a.b', 'a_b'], more: true }, '`last` is exclusive');
      assert.deepEqual(await m.listTags(r, { limit: 3, last: 'a-' }), { items: ['a-b', 'a.b', 'a_b'], more: true }, '`last` that is no tag');
      assert.deepEqual(await m.listTags(r, { limit: 2, last: '' }), { items: ['0', 'A'], more: true });
      assert.deepEqual(await m.listTags(r, { limit: 2, last: 'aa' }), { items: ['b'], more: false });
      assert.deepEqual(await m.listTags(r, { limit: 2, last: 'b' }), { items: [], more: false }, '`last` is the last tag');
      assert.deepEqual(await m.listTags(r, { limit: 2, last: 'zzz' }), { items: [], more: false }, '`last` beyond the end');
      assert.deepEqual(await m.listTags(repo(), { limit: 2 }), { items: [], more: false }, 'a repository without tags');
      await m.deleteManifest(r, one.digest);
    });

    test(`listTags: ${BULK} tags page through in order, none skipped or repeated`, async () => {
      const m = await start();
      const r = repo();
      const one = manifest(r, digestOf('1'));
      await m.putManifest(one, null);
      const tags = Array.from({ length: BULK }, (_, i) => `v${i}`);
      await eachLimited(tags, 16, (t) => m.setTag(r, t, one.digest));
      assert.deepEqual(await pageAll((p) => m.listTags(r, p), 32), byteOrder(tags));
      assert.equal((await m.deleteManifest(r, one.digest))?.tags.length, BULK);
      assert.deepEqual(await m.listTags(r, { limit: 1 }), { items: [], more: false });
    });

    test('listReferrers: digest order, artifactType filter, pagination, other subjects apart', async () => {
      const m = await start();
      const r = repo();
      const [subject, other] = [manifest(r, digestOf('subject')), manifest(r, digestOf('other subject'))];
      await m.putManifest(subject, null);
      await m.putManifest(other, null);
      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 10 }), { items: [], more: false });
      const pairs = ['s1', 's2', 's3', 'b1', 'b2'].map((n) => referrer(r, subject.digest, n, n.startsWith('s') ? 'application/x.sig' : 'application/x.sbom'));
      for (const [record, descriptor] of pairs) await m.putManifest(record, descriptor);
      const [elsewhere, elsewhereDescriptor] = referrer(r, other.digest, 'x', 'application/x.sig');
      await m.putManifest(elsewhere, elsewhereDescriptor);
      const inOrder = pairs.map(([, d]) => d).sort((a, b) => (a.digest < b.digest ? -1 : 1));
      const digests = inOrder.map((d) => d.digest);

      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 10 }), { items: inOrder, more: false });
      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 5 }), { items: inOrder, more: false }, 'limit exactly the count');
      const ofReferrers = async (p: PageRequest & { artifactType?: string }) => {
        const page = await m.listReferrers(r, subject.digest, p);
        return { items: page.items.map((d) => d.digest), more: page.more };
      };
      assert.deepEqual(await pageAll(ofReferrers, 1), digests);
      assert.deepEqual(await pageAll(ofReferrers, 2), digests);
      const sigs = inOrder.filter((d) => d.artifactType === 'application/x.sig').map((d) => d.digest);
      assert.deepEqual(await pageAll((p) => ofReferrers({ ...p, artifactType: 'application/x.sig' }), 1), sigs, 'filtered, one at a time');
      assert.deepEqual(await ofReferrers({ limit: 10, artifactType: 'application/x.none' }), { items: [], more: false });
      assert.deepEqual(await ofReferrers({ limit: 10, last: digests[2]! }), { items: digests.slice(3), more: false });
      assert.deepEqual(await ofReferrers({ limit: 10, last: 'sha256:g' }), { items: [], more: false }, '`last` beyond the end');
      assert.deepEqual((await m.listReferrers(r, other.digest, { limit: 10 })).items, [elsewhereDescriptor]);
      assert.deepEqual((await m.listReferrers(repo(), subject.digest, { limit: 10 })).items, [], 'referrers are per repository');

      for (const record of [...pairs.map(([x]) => x), elsewhere, subject, other]) await m.deleteManifest(r, record.digest);
    });

    test('repositoryExists: false for a name never used; true once it holds a link, a manifest or a tag', async () => {
      const m = await start();
      const p = prefix();
      const [linked, pushed, near] = [repo(`${p}/linked`), repo(`${p}/pushed`), `${p}/linke`];
      assert.equal(await m.repositoryExists(linked), false);
      await m.linkBlob(linked, digestOf('blob'), 3);
      assert.equal(await m.repositoryExists(linked), true);
      assert.equal(await m.repositoryExists(near), false, 'a name that is a prefix of another');
      assert.equal(await m.repositoryExists(p), false, 'a parent path');
      const record = manifest(pushed, digestOf('m'));
      await m.putManifest(record, null);
      await m.setTag(pushed, 'latest', record.digest);
      assert.equal(await m.repositoryExists(pushed), true);
      await m.unlinkBlob(linked, digestOf('blob'));
      await m.deleteManifest(pushed, record.digest);
    });

    test('listRepositories: byte order, limit 1, exact page boundary, `last` before, between and beyond', async () => {
      const m = await start();
      assert.deepEqual(await m.listRepositories({ limit: 10 }), { items: [], more: false }, 'an empty store');
      const p = prefix();
      const names = ['a', 'a-b', 'a.b', 'a/b', 'a/b/c', 'a_b', 'ab', 'b'].map((s) => repo(`${p}/${s}`));
      for (const n of [...names].reverse()) await m.linkBlob(n, digestOf('blob'), 1);
      assert.deepEqual(byteOrder(names), names);
      assert.deepEqual(await m.listRepositories({ limit: 100 }), { items: names, more: false });
      assert.deepEqual(await m.listRepositories({ limit: names.length }), { items: names, more: false }, 'limit exactly the count');
      assert.deepEqual(await m.listRepositories({ limit: names.length - 1 }), { items: names.slice(0, -1), more: true });
      assert.deepEqual(await pageAll((pg) => m.listRepositories(pg), 1), names, 'one at a time');
      assert.deepEqual(await pageAll((pg) => m.listRepositories(pg), 4), names, 'pages that end exactly at the end');
      assert.deepEqual(await m.listRepositories({ limit: 2, last: `${p}/a/b` }), { items: [`${p}/a/b/c`, `${p}/a_b`], more: true }, '`last` is exclusive');
      assert.deepEqual(await m.listRepositories({ limit: 1, last: `${p}/a/` }), { items: [`${p}/a/b`], more: true }, '`last` that is no name');
      assert.deepEqual(await m.listRepositories({ limit: 2, last: `${p}/b` }), { items: [], more: false }, '`last` is the last name');
      assert.deepEqual(await m.listRepositories({ limit: 2, last: 'zzz' }), { items: [], more: false }, '`last` beyond the end');
      for (const n of names) await m.unlinkBlob(n, digestOf('blob'));
    });

    test(`listRepositories: ${BULK} repositories page through in order`, async () => {
      const m = await start();
      const p = prefix();
      const names = Array.from({ length: BULK }, (_, i) => repo(`${p}/r${i}`));
      await eachLimited(names, 16, (n) => m.linkBlob(n, digestOf('blob'), 1));
      assert.deepEqual(await pageAll((pg) => m.listRepositories(pg), 32), byteOrder(names));
      await eachLimited(names, 16, (n) => m.unlinkBlob(n, digestOf('blob')));
    });

    test('concurrent writers: one tag set to eight digests at once names exactly one of them', async () => {
      const m = await start();
      const r = repo();
      const records = Array.from({ length: 8 }, (_, i) => manifest(r, digestOf(`m${i}`)));
      for (const record of records) await m.putManifest(record, null);
      await inParallel(8, (i) => m.setTag(r, 'latest', records[i]!.digest));
      const winner = await m.resolveTag(r, 'latest');
      assert.ok(
        records.some((x) => x.digest === winner),
        'the tag names one of the digests',
      );
      assert.deepEqual(await m.listTags(r, { limit: 10 }), { items: ['latest'], more: false }, 'listed once');
      const deleted = await inParallel(8, (i) => m.deleteManifest(r, records[i]!.digest));
      assert.deepEqual(
        deleted.map((d, i) => [records[i]!.digest, d?.tags]).filter(([, tags]) => tags?.length),
        [[winner, ['latest']]],
        'only the manifest the tag named reports it',
      );
    });

    test('concurrent writers: many tags set on one manifest at once are all kept', async () => {
      const m = await start();
      const r = repo();
      const record = manifest(r, digestOf('m'));
      await m.putManifest(record, null);
      const tags = Array.from({ length: 24 }, (_, i) => `t${String(i).padStart(2, '0')}`);
      await inParallel(tags.length, (i) => m.setTag(r, tags[i]!, record.digest));
      assert.deepEqual(await m.listTags(r, { limit: 100 }), { items: tags, more: false });
      assert.deepEqual(await m.deleteManifest(r, record.digest), { tags });
    });

    test('concurrent writers: links and unlinks of one blob; exactly one unlink reports it', async () => {
      const m = await start();
      const r = repo();
      const d = digestOf('blob');
      await inParallel(8, () => m.linkBlob(r, d, 42));
      assert.deepEqual(await m.getBlobLink(r, d), { size: 42 });
      assert.deepEqual(await m.findBlobRepositories(d, 10), [r], 'one link, not eight');
      const results = await inParallel(8, () => m.unlinkBlob(r, d));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('concurrent writers: exactly one deleteTag gets the digest', async () => {
      const m = await start();
      const r = repo();
      const record = manifest(r, digestOf('m'));
      await m.putManifest(record, null);
      await m.setTag(r, 'v1', record.digest);
      const results = await inParallel(8, () => m.deleteTag(r, 'v1'));
      assert.deepEqual(
        results.filter((x) => x !== null),
        [record.digest],
      );
      assert.deepEqual(await m.deleteManifest(r, record.digest), { tags: [] });
    });

    test('concurrent writers: one manifest and its referrer put eight times at once are stored once', async () => {
      const m = await start();
      const r = repo();
      const subject = manifest(r, digestOf('subject'));
      await m.putManifest(subject, null);
      const [record, descriptor] = referrer(r, subject.digest, 'sig', 'application/x.sig');
      await inParallel(8, () => m.putManifest(record, descriptor));
      assert.deepEqual(Buffer.from((await m.getManifest(r, record.digest))!.content), Buffer.from(record.content));
      assert.deepEqual(await m.listReferrers(r, subject.digest, { limit: 10 }), { items: [descriptor], more: false });
      await m.deleteManifest(r, record.digest);
      await m.deleteManifest(r, subject.digest);
    });

    test('concurrent writers: racing deletes of one manifest report each of its tags once and leave nothing', async () => {
      const m = await start();
      const r = repo();
      const record = manifest(r, digestOf('m'));
      await m.putManifest(record, null);
      for (const t of ['a', 'b', 'c']) await m.setTag(r, t, record.digest);
      const results = await inParallel(6, () => m.deleteManifest(r, record.digest));
      assert.ok(
        results.some((x) => x !== null),
        'one delete found the manifest',
      );
      assert.deepEqual(results.flatMap((x) => x?.tags ?? []).sort(), ['a', 'b', 'c'], 'each tag reported by one delete');
      assert.equal(await m.getManifest(r, record.digest), null);
      assert.deepEqual(await m.listTags(r, { limit: 10 }), { items: [], more: false });
    });
  });

  // The storage gauge of /metrics: shared content counted once, or null where unknown.
  describe(`${name}: storedBytes()`, () => {
    test('storedBytes() counts each linked blob and each manifest once, and drops what is unlinked', async () => {
      const { store: m, leftovers } = await setup();
      const base = await m.storedBytes();
      if (base === null) return; // this store does not keep the figure (documented on the port)
      const [a, b] = [`s${randomUUID().slice(0, 8)}`, `s${randomUUID().slice(0, 8)}`];
      await m.linkBlob(a, digestOf(`${a} shared`), 1000);
      await m.linkBlob(b, digestOf(`${a} shared`), 1000);
      await m.linkBlob(b, digestOf(`${b} own`), 24);
      const record = manifest(a, digestOf(`${a} manifest`));
      await m.putManifest(record, null);
      await m.putManifest({ ...record, repository: b }, null);
      assert.equal(await m.storedBytes(), base + 1000 + 24 + record.content.byteLength);
      await m.unlinkBlob(b, digestOf(`${b} own`));
      await m.unlinkBlob(a, digestOf(`${a} shared`));
      await m.unlinkBlob(b, digestOf(`${a} shared`));
      await m.deleteManifest(a, record.digest);
      await m.deleteManifest(b, record.digest);
      assert.equal(await m.storedBytes(), base);
      assert.deepEqual(await leftovers(), []);
    });
  });

  // Readiness (/readyz): the probe an orchestrator runs every few seconds.
  describe(`${name}: check()`, () => {
    test('check() resolves on a usable store and stores nothing', async () => {
      const { store, leftovers } = await setup();
      const before = await store.listRepositories({ limit: 10_000 });
      await store.check();
      await store.check();
      assert.deepEqual(await leftovers(), [], 'a probe writes nothing');
      assert.deepEqual(await store.listRepositories({ limit: 10_000 }), before, 'nor a catalog entry');
    });
  });
}
