/**
 * Garbage collection under fire (issue 10, item 7), on both adapter families: eight pushers push
 * images that share layers (HEAD each blob, upload the missing ones, PUT the manifest), a deleter
 * deletes pushed images, and the collector sweeps every 100 ms with a grace of 0, all at once for
 * STOWAGE_TORTURE_SECONDS (20 s in the suite; the 60 s by hand). A push that loses a race
 * with the collector fails cleanly (MANIFEST_BLOB_UNKNOWN, or 503 for a blob collected while it
 * was committed) and, as real clients do, pushes again.
 *
 * Then: every image that got a 201 and was not deleted pulls back bit-identical; and after a
 * final sweep, storage holds exactly the blobs the stored manifests reference (no orphan, none
 * missing), and each repository links exactly the blobs its manifests reference.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/shells/http/server.js';
import { setLogLevel } from '../../src/log/logger.js';
import { collectGarbage, type CollectionReport } from '../../src/core/gc/collector.js';
import { parseManifest } from '../../src/core/manifest-parse.js';
import type { BlobStore } from '../../src/ports/blob-store.js';
import type { MetadataStore } from '../../src/ports/metadata-store.js';
import { startTestPorts, type TestBackend } from '../helpers/server.js';
import { req, type Res } from '../conformance/lib/http.js';
import type { Registry } from '../conformance/lib/registry.js';

const SECONDS = Number(process.env.STOWAGE_TORTURE_SECONDS ?? '20');
const PUSHERS = 8;
const REPOSITORIES = ['torture/a', 'torture/b', 'torture/c'];
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Image {
  repository: string;
  tag: string;
  digest: string;
  manifest: Buffer;
  blobs: Map<string, Buffer>;
}

/** Layers every pusher draws from, so images share content across pushers and repositories. */
const SHARED = Array.from({ length: 6 }, () => randomBytes(2048 + Math.floor(Math.random() * 4096)));

function makeImage(repository: string, tag: string): Image {
  const blobs = new Map<string, Buffer>();
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, rootfs: { type: 'layers', diff_ids: [] } }));
  const layers = [SHARED[Math.floor(Math.random() * SHARED.length)], SHARED[Math.floor(Math.random() * SHARED.length)], randomBytes(1024)] as Buffer[];
  blobs.set(sha256(config), config);
  for (const l of layers) blobs.set(sha256(l), l);
  const descriptor = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha256(b), size: b.length });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: [...new Set(layers)].map((l) => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', l)),
    }),
  );
  return { repository, tag, digest: sha256(manifest), manifest, blobs };
}

interface Figures {
  pushesAttempted: number;
  pushed: number;
  retriesAfterCollection: number;
  deleted: number;
  sweeps: number;
  sweepErrors: string[];
  totals: Pick<CollectionReport, 'linksRemoved' | 'blobsDeleted' | 'bytesFreed' | 'uploadsExpired'>;
}

async function pushBlob(reg: Registry, repository: string, digest: string, data: Buffer): Promise<Res> {
  const post = await req(reg, 'POST', `/v2/${repository}/blobs/uploads/`);
  if (post.status !== 202) return post;
  const location = post.headers.get('location') ?? '';
  return req(reg, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { headers: { 'content-type': 'application/octet-stream' }, body: data });
}

/** Pushes one image as a client does; retries (a few times) when a collection raced it. */
async function pushImage(reg: Registry, image: Image, figures: Figures): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    figures.pushesAttempted++;
    let raced = false;
    for (const [digest, data] of image.blobs) {
      const head = await req(reg, 'HEAD', `/v2/${image.repository}/blobs/${digest}`);
      if (head.status === 200) continue;
      const put = await pushBlob(reg, image.repository, digest, data);
      if (put.status === 503) raced = true;
      else assert.equal(put.status, 201, `blob upload: ${put.status} ${put.text}`);
    }
    if (!raced) {
      const put = await req(reg, 'PUT', `/v2/${image.repository}/manifests/${image.tag}`, { headers: { 'content-type': OCI_MANIFEST }, body: image.manifest });
      if (put.status === 201) return true;
      assert.equal(put.status, 400, `manifest PUT: ${put.status} ${put.text}`);
      assert.match(put.text, /MANIFEST_BLOB_UNKNOWN/);
    }
    figures.retriesAfterCollection++;
  }
  return false;
}

/** Every blob digest the stored manifests of a repository reference. */
async function referenced(metadata: MetadataStore, repository: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (let last: string | undefined; ; ) {
    const page = await metadata.listManifests(repository, { limit: 100, ...(last !== undefined && { last }) });
    for (const m of page.items) {
      const record = await metadata.getManifest(repository, m.digest);
      if (record) for (const b of parseManifest(record.content, record.mediaType).blobs) out.add(b.value);
      last = m.digest;
    }
    if (!page.more) return out;
  }
}

async function listAll<T>(list: (last?: string) => Promise<{ items: T[]; more: boolean }>, key: (t: T) => string): Promise<T[]> {
  const all: T[] = [];
  for (let last: string | undefined; ; ) {
    const page = await list(last);
    all.push(...page.items);
    const tail = page.items.at(-1);
    if (!page.more || !tail) return all;
    last = key(tail);
  }
}

async function torture(backend: TestBackend): Promise<Figures> {
  setLogLevel('error'); // thousands of access lines otherwise
  const dataDir = await mkdtemp(join(tmpdir(), 'stowage-torture-'));
  const { ports, close } = await startTestPorts(backend, dataDir);
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0 }, ports);
  const reg: Registry = { url: server.url.replace(/\/+$/, ''), close: async () => {} };
  const metadata = ports.metadata;
  const blobs: BlobStore = ports.blobs;
  const figures: Figures = {
    pushesAttempted: 0,
    pushed: 0,
    retriesAfterCollection: 0,
    deleted: 0,
    sweeps: 0,
    sweepErrors: [],
    totals: { linksRemoved: 0, blobsDeleted: 0, bytesFreed: 0, uploadsExpired: 0 },
  };
  const live = new Map<string, Image>();
  const deleted = new Set<string>();
  const end = Date.now() + SECONDS * 1000;
  try {
    const pusher = async (p: number) => {
      for (let n = 0; Date.now() < end; n++) {
        const image = makeImage(REPOSITORIES[(p + n) % REPOSITORIES.length] as string, `p${p}-${n}`);
        if (await pushImage(reg, image, figures)) {
          figures.pushed++;
          live.set(`${image.repository}@${image.digest}`, image);
        }
      }
    };
    const deleter = async () => {
      while (Date.now() < end) {
        const keys = [...live.keys()];
        const key = keys[Math.floor(Math.random() * keys.length)];
        const image = key === undefined ? undefined : live.get(key);
        if (key && image && Math.random() < 0.5) {
          live.delete(key);
          const res = await req(reg, 'DELETE', `/v2/${image.repository}/manifests/${image.digest}`);
          assert.equal(res.status, 202, `delete: ${res.status} ${res.text}`);
          deleted.add(key);
          figures.deleted++;
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const collector = async () => {
      while (Date.now() < end) {
        try {
          const report = await collectGarbage({ metadata, blobs, graceMs: 0, uploadTtlMs: 3_600_000 });
          figures.sweeps++;
          for (const k of ['linksRemoved', 'blobsDeleted', 'bytesFreed', 'uploadsExpired'] as const) figures.totals[k] += report[k];
        } catch (err) {
          figures.sweepErrors.push(String(err));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all([...Array.from({ length: PUSHERS }, (_, p) => pusher(p)), deleter(), collector()]);

    // Every image that got a 201 and was not deleted pulls back bit-identical.
    for (const image of live.values()) {
      const m = await req(reg, 'GET', `/v2/${image.repository}/manifests/${image.digest}`, { headers: { accept: OCI_MANIFEST } });
      assert.equal(m.status, 200, `manifest of ${image.repository}:${image.tag}`);
      assert.ok(m.body.equals(image.manifest), 'manifest bytes identical');
      for (const [digest, data] of image.blobs) {
        const b = await req(reg, 'GET', `/v2/${image.repository}/blobs/${digest}`, { follow: true });
        assert.equal(b.status, 200, `blob ${digest} of ${image.repository}:${image.tag} (pushed ${image.tag}) pulls back`);
        assert.ok(b.body.equals(data), `blob ${digest} bit-identical`);
      }
    }
    for (const key of deleted) {
      const [repository, digest] = key.split('@') as [string, string];
      assert.equal((await req(reg, 'GET', `/v2/${repository}/manifests/${digest}`)).status, 404, 'a deleted image stays deleted');
    }

    // A final sweep: storage then holds exactly what the stored manifests reference.
    const final = await collectGarbage({ metadata, blobs, graceMs: 0 });
    assert.equal(final.complete, true);
    const wanted = new Set<string>();
    for (const repository of REPOSITORIES) {
      const refs = await referenced(metadata, repository);
      const links = await listAll(
        (last) => metadata.listBlobLinks(repository, { limit: 100, ...(last !== undefined && { last }) }),
        (l) => l.digest,
      );
      assert.deepEqual(links.map((l) => l.digest).sort(), [...refs].sort(), `${repository} links exactly what its manifests reference`);
      for (const d of refs) wanted.add(d);
    }
    const stored = await listAll(
      (last) => blobs.listBlobs({ limit: 100, ...(last !== undefined && { last }) }),
      (b) => b.digest,
    );
    assert.deepEqual(stored.map((b) => b.digest).sort(), [...wanted].sort(), 'storage holds exactly the referenced blobs');
    for (const image of live.values()) for (const d of image.blobs.keys()) assert.ok(wanted.has(d), 'every live image is still referenced');
    assert.deepEqual(figures.sweepErrors, [], 'no sweep failed');
    assert.ok(figures.pushed > 0 && figures.deleted > 0 && figures.sweeps > 0, `every actor made progress: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await server.close();
    await close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('garbage collection torture', { timeout: (SECONDS + 240) * 1000 }, () => {
  const results: string[] = [];
  after(() => {
    for (const line of results) process.stdout.write(`# ${line}\n`);
  });
  for (const backend of ['embedded', 'aws'] as const) {
    test(`${backend}: ${PUSHERS} pushers, deletes and a collection every 100 ms (grace 0) for ${SECONDS} s`, async () => {
      const f = await torture(backend);
      results.push(`torture ${backend} ${SECONDS}s: ${JSON.stringify(f)}`);
    });
  }
});
