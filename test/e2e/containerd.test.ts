// containerd (ctr) against the registry: the BuildKit push path. containerd HEADs each blob, POSTs
// several upload sessions at once, sends each blob in ONE monolithic PUT ?digest= with
// Content-Length (no PATCH), then PUTs manifests by digest and finally the index by tag.
// The image is imported with --index-name, so what gets pushed and pulled is an OCI image index.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLogsOnFailure } from '../helpers/exec.js';
import { startContainerd, type RunningContainerd } from '../helpers/containerd.js';
import { buildTestImage, tarOciLayout, type TestImage } from '../helpers/images.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import {
  describeRecords,
  getManifest,
  LAYER_SIZE,
  listTags,
  MEDIA,
  sha256Digest,
  removeWorkDir,
  startRegistryUnderTest,
  uploadRequests,
  type RegistryUnderTest,
} from './support.js';

const skip = requireTools('containerd', 'ctr', 'umoci', 'tar') || requireRoot('containerd');
const REPO = 'e2e/containerd';

interface ImageRow {
  ref: string;
  type: string;
  digest: string;
}

describe('containerd (ctr) push and pull', { skip, timeout: 300_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let cd: RunningContainerd | undefined;
  let image: TestImage;
  let indexDigest = '';
  let ref = '';

  const ctr = (args: string[]) => cd!.ctr(args);
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => [...(reg?.logFiles ?? []), ...(cd ? [cd.logFile] : [])], fn);

  async function images(): Promise<ImageRow[]> {
    const { stdout } = await ctr(['images', 'ls']);
    return stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c.length >= 3 && c[0])
      .map((c) => ({ ref: c[0]!, type: c[1]!, digest: c[2]! }));
  }

  async function contentDigests(): Promise<Set<string>> {
    const { stdout } = await ctr(['content', 'ls', '--quiet']);
    return new Set(
      stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  }

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-containerd-'));
      image = await buildTestImage(join(work, 'image'), { layers: 3, layerSizeBytes: LAYER_SIZE, tag: 'v1' });
      // The layout holds exactly one image, so its index.json is the index containerd will push.
      indexDigest = sha256Digest(await readFile(join(image.layoutDir, 'index.json')));
      await tarOciLayout(image.layoutDir, join(work, 'image.oci.tar'));
      reg = await startRegistryUnderTest(join(work, 'registry'));
      ref = `${reg.host}/${REPO}:v1`;
      cd = await startContainerd(join(work, 'containerd'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    try {
      await cd?.stop();
    } finally {
      await reg?.close();
      await removeWorkDir(work);
    }
  });

  test('ctr images import --index-name names the layout index', () =>
    step(async () => {
      await ctr(['images', 'import', '--index-name', ref, join(work, 'image.oci.tar')]);
      const row = (await images()).find((r) => r.ref === ref);
      assert.ok(row, `imported image ${ref} is listed`);
      assert.equal(row.digest, indexDigest);
      assert.equal(row.type, MEDIA.ociIndex);
    }));

  test('ctr images push --plain-http uploads each blob in one PUT', () =>
    step(async () => {
      await ctr(['images', 'push', '--plain-http', ref]);

      const got = await getManifest(reg!.directUrl, REPO, 'v1');
      assert.equal(got.status, 200, `GET manifest by tag: ${got.body.toString()}`);
      assert.equal(got.digestHeader, indexDigest);
      assert.equal(sha256Digest(got.body), indexDigest, 'registry serves the index byte for byte');
      assert.equal(got.contentType, MEDIA.ociIndex);
      const byDigest = await getManifest(reg!.directUrl, REPO, image.manifestDigest);
      assert.equal(byDigest.status, 200, 'the image manifest was pushed by digest');
      assert.ok(byDigest.body.equals(image.manifestBytes));
      assert.deepEqual(await listTags(reg!.directUrl, REPO), ['v1']);

      const uploads = uploadRequests(reg!.records, REPO);
      const puts = uploads.filter((r) => r.method === 'PUT');
      assert.equal(uploads.filter((r) => r.method === 'PATCH').length, 0, `no PATCH on this path:\n${describeRecords(uploads)}`);
      // 3 layers + config (at least; containerd may also push the empty-layer-less base config).
      assert.ok(puts.length >= image.layerDigests.length + 1, `one PUT per blob:\n${describeRecords(uploads)}`);
      assert.ok(
        puts.every((r) => r.status === 201 && r.url.includes('digest=') && r.contentLength !== undefined),
        `monolithic PUT ?digest= with Content-Length, answered 201:\n${describeRecords(uploads)}`,
      );
      const biggest = Math.max(...puts.map((r) => r.bodyBytes));
      assert.ok(biggest >= LAYER_SIZE, `a whole layer went in one PUT (largest PUT body ${biggest} bytes)`);
    }));

  test('after ctr images rm, ctr images pull --plain-http gets the same image', () =>
    step(async () => {
      const all = (await images()).map((r) => r.ref);
      await ctr(['images', 'rm', '--sync', ...all]);
      const left = await contentDigests();
      for (const d of image.layerDigests) assert.ok(!left.has(d), `layer ${d} removed from the content store`);

      await ctr(['images', 'pull', '--plain-http', ref]);
      const row = (await images()).find((r) => r.ref === ref);
      assert.ok(row, `pulled image ${ref} is listed`);
      assert.equal(row.digest, indexDigest, 'pulled index digest equals the pushed one');
      const have = await contentDigests();
      for (const d of [image.manifestDigest, image.configDigest, ...image.layerDigests]) {
        assert.ok(have.has(d), `blob ${d} was fetched`);
      }
      const { stdout } = await ctr(['images', 'check', `name==${ref}`]);
      assert.match(stdout, /complete/, `ctr images check says complete:\n${stdout}`);
    }));
});
