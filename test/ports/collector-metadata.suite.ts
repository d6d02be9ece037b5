/**
 * The MetadataStore methods the garbage collector relies on (src/core/gc/collector.ts), run
 * against every adapter: link times (linkBlob refreshes, touchBlobLink, conditional unlinkBlob,
 * listBlobLinks), listUploads for abandoned sessions, and the collector's lease record.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { uploadCursor, type MetadataStore, type UploadSession } from '../../src/ports/metadata-store.js';

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const repo = () => `gc${randomUUID().slice(0, 8)}`;

function session(id: string, repository: string, startedAt: string): UploadSession {
  return { id, repository, offset: 0, startedAt, algorithm: 'sha256', hashState: null, digestSoFar: null, storageState: { n: 1 }, lease: null, version: 0 };
}

export function collectorMetadataSuite(name: string, setup: () => Promise<MetadataStore>): void {
  describe(name, () => {
    test('linkBlob refreshes linkedAt; touchBlobLink refreshes an existing link and creates none', async () => {
      const m = await setup();
      const r = repo();
      const d = digestOf(`touch ${r}`);
      assert.equal(await m.touchBlobLink(r, d), null, 'no link: nothing to touch');
      assert.equal(await m.getBlobLink(r, d), null, 'a touch creates no link');
      await m.linkBlob(r, d, 7);
      const [first] = (await m.listBlobLinks(r, { limit: 10 })).items;
      assert.ok(first);
      assert.deepEqual(await m.touchBlobLink(r, d), { size: 7 });
      const [touched] = (await m.listBlobLinks(r, { limit: 10 })).items;
      assert.ok(touched && touched.linkedAt > first.linkedAt, 'the touch moved linkedAt forward');
      await m.linkBlob(r, d, 7);
      const [relinked] = (await m.listBlobLinks(r, { limit: 10 })).items;
      assert.ok(relinked && relinked.linkedAt > touched.linkedAt, 'linking again moved it forward too');
      assert.equal(await m.unlinkBlob(r, d), true);
    });

    test('getBlobLinks: the links among the digests asked (any number), with size and linkedAt; none of another repository', async () => {
      const m = await setup();
      const [r, other] = [repo(), repo()];
      const asked = Array.from({ length: 130 }, (_, i) => digestOf(`many ${r} ${i}`));
      const held = [asked[0], asked[64], asked[129]] as string[];
      for (const [i, d] of held.entries()) await m.linkBlob(r, d, i + 10);
      await m.linkBlob(other, asked[1] as string, 1);
      const listed = (await m.listBlobLinks(r, { limit: 10 })).items;
      const links = await m.getBlobLinks(r, [...asked, asked[0] as string]);
      assert.deepEqual(
        [...links.values()].sort((a, b) => a.digest.localeCompare(b.digest)),
        listed,
        'exactly the held links, as listBlobLinks has them (a duplicate asked once)',
      );
      assert.equal(links.get(held[1] as string)?.size, 11);
      assert.equal(links.has(asked[1] as string), false, "another repository's link is not this one's");
      assert.deepEqual(await m.getBlobLinks(r, []), new Map());
      for (const d of held) await m.unlinkBlob(r, d);
      await m.unlinkBlob(other, asked[1] as string);
    });

    test('getBlobLinksListed (where the store has it): the links getBlobLinks gives, and whether the repository is in the catalog', async (t) => {
      const m = await setup();
      if (!m.getBlobLinksListed) return t.skip('this store has no getBlobLinksListed');
      const r = repo();
      // 100 links and the catalog entry: more keys than one BatchGetItem takes.
      const asked = Array.from({ length: 100 }, (_, i) => digestOf(`listed ${r} ${i}`));
      assert.deepEqual(await m.getBlobLinksListed(r, asked), { links: new Map(), listed: false }, 'a repository never used');
      await m.linkBlob(r, asked[99] as string, 5);
      const { links, listed } = await m.getBlobLinksListed(r, asked);
      assert.equal(listed, true, 'a link puts the repository into the catalog');
      assert.deepEqual(links, await m.getBlobLinks(r, asked));
      assert.deepEqual([...links.keys()], [asked[99]]);
      assert.deepEqual(await m.getBlobLinksListed(r, []), { links: new Map(), listed: true }, 'no digests: the catalog alone');
      await m.deleteRepository(r);
      assert.deepEqual(await m.getBlobLinksListed(r, asked), { links: new Map(), listed: false }, 'a deleted repository');
    });

    test('unlinkBlob with linkedAt removes only a link not refreshed since it was read', async () => {
      const m = await setup();
      const r = repo();
      const d = digestOf(`cond ${r}`);
      await m.linkBlob(r, d, 3);
      const [read] = (await m.listBlobLinks(r, { limit: 1 })).items;
      assert.ok(read);
      await m.touchBlobLink(r, d);
      assert.equal(await m.unlinkBlob(r, d, read.linkedAt), false, 'touched since: it stays');
      assert.deepEqual(await m.getBlobLink(r, d), { size: 3 });
      const [now] = (await m.listBlobLinks(r, { limit: 1 })).items;
      assert.ok(now);
      assert.equal(await m.unlinkBlob(r, d, now.linkedAt), true, 'unchanged since read: removed');
      assert.equal(await m.getBlobLink(r, d), null);
      assert.equal(await m.unlinkBlob(r, d, now.linkedAt), false, 'already gone');
    });

    test('listBlobLinks: one repository, digest order, paged', async () => {
      const m = await setup();
      const [r, other] = [repo(), repo()];
      const digests = Array.from({ length: 7 }, (_, i) => digestOf(`list ${r} ${i}`)).sort();
      for (const [i, d] of digests.entries()) await m.linkBlob(r, d, i);
      await m.linkBlob(other, digests[0] as string, 0);
      const seen: string[] = [];
      for (let last: string | undefined; ; ) {
        const page = await m.listBlobLinks(r, { limit: 3, ...(last !== undefined && { last }) });
        assert.ok(page.items.length <= 3);
        for (const link of page.items) {
          seen.push(link.digest);
          assert.equal(link.size, digests.indexOf(link.digest));
          assert.ok(!Number.isNaN(Date.parse(link.linkedAt)), 'linkedAt is an ISO time');
        }
        if (!page.more) break;
        last = page.items.at(-1)?.digest;
      }
      assert.deepEqual(seen, digests);
      assert.deepEqual((await m.listBlobLinks(repo(), { limit: 3 })).items, [], 'a repository without links lists none');
      for (const d of digests) await m.unlinkBlob(r, d);
      await m.unlinkBlob(other, digests[0] as string);
    });

    test('listUploads: sessions started before a time, oldest first, paged by cursor', async () => {
      const m = await setup();
      const r = repo();
      const base = Date.parse('2001-01-01T00:00:00.000Z') + Math.floor(Math.random() * 1e9);
      const iso = (s: number) => new Date(base + s * 1000).toISOString();
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const [i, id] of ids.entries()) await m.createUpload(session(id, r, iso(i)));
      const listed: UploadSession[] = [];
      for (let last: string | undefined; ; ) {
        const page = await m.listUploads(iso(3), { limit: 2, ...(last !== undefined && { last }) });
        listed.push(...page.items.filter((s) => s.repository === r));
        const tail = page.items.at(-1);
        if (!page.more || !tail) break;
        last = uploadCursor(tail);
      }
      assert.deepEqual(
        listed.map((s) => s.id),
        ids.slice(0, 3),
        'started before the cutoff, oldest first',
      );
      assert.deepEqual(listed[0]?.storageState, { n: 1 }, 'whole sessions come back');
      for (const id of ids) assert.equal(await m.deleteUpload(id), true);
      const after = await m.listUploads(iso(10), { limit: 100 });
      assert.ok(!after.items.some((s) => s.repository === r), 'deleted sessions are not listed');
    });

    test('collector state: created once, then replaced only by compare-and-swap on version', async () => {
      const m = await setup();
      const before = await m.getCollectorState();
      const base = before?.version ?? null;
      const state = { owner: 'a', leaseUntil: '2030-01-01T00:00:00.000Z', cursor: '{"phase":"links"}', version: (base ?? 0) + 1 };
      assert.equal(await m.putCollectorState(state, base), true);
      assert.equal(await m.putCollectorState({ ...state, owner: 'b' }, base), false, 'a second writer of the same version loses');
      assert.deepEqual(await m.getCollectorState(), state);
      const next = { ...state, cursor: null, version: state.version + 1 };
      assert.equal(await m.putCollectorState(next, state.version), true);
      assert.deepEqual(await m.getCollectorState(), next);
    });
  });
}
