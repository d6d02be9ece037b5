// skopeo against the registry: push (POST, one PATCH with Content-Length, PUT ?digest=), inspect,
// list-tags, copy to a second repository (cross-repository mount), pull back, delete.
//
// sha512: skopeo 1.9.3 (Debian bookworm) has no option to choose the digest algorithm of pushed
// blobs or manifests (it always uploads with sha256 `?digest=`; a layout with sha512 blobs would be
// re-digested as sha256). So there is no sha512 push through skopeo here; sha512 uploads must be
// covered by the conformance tests over plain HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, withLogsOnFailure } from '../helpers/exec.js';
import { blobPath, buildTestImage, describeLayoutImage, type TestImage } from '../helpers/images.js';
import { requireTools } from '../helpers/tools.js';
import { describeRecords, getManifest, LAYER_SIZE, listTags, sha256Digest, removeWorkDir, startRegistryUnderTest, uploadRequests, type RegistryUnderTest } from './support.js';

const skip = requireTools('skopeo', 'umoci');
const REPO = 'e2e/skopeo';
const COPY_REPO = 'e2e/skopeo-copy';
const T = 120_000;

describe('skopeo push, inspect, list-tags, copy, pull, delete', { skip, timeout: 300_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let image: TestImage;

  const skopeo = (args: string[]) => run('skopeo', args, { timeoutMs: T });
  const ref = (repo: string, tag: string) => `docker://${reg!.host}/${repo}:${tag}`;
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => reg?.logFiles ?? [], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-skopeo-'));
      image = await buildTestImage(join(work, 'image'), { layers: 3, layerSizeBytes: LAYER_SIZE, tag: 'v1' });
      reg = await startRegistryUnderTest(join(work, 'registry'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await reg?.close();
    await removeWorkDir(work);
  });

  test('skopeo copy oci: -> docker:// pushes the image unchanged', () =>
    step(async () => {
      const digestFile = join(work, 'pushed.digest');
      await skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile, `oci:${image.layoutDir}:${image.tag}`, ref(REPO, 'v1')]);
      assert.equal((await readFile(digestFile, 'utf8')).trim(), image.manifestDigest, 'digest skopeo reports for the push');

      const m = await getManifest(reg!.directUrl, REPO, 'v1');
      assert.equal(m.status, 200, `GET manifest by tag: ${m.body.toString()}`);
      assert.equal(m.digestHeader, image.manifestDigest, 'Docker-Content-Digest of the pushed tag');
      assert.ok(m.body.equals(image.manifestBytes), 'registry serves the manifest byte for byte as pushed');

      // The wire path skopeo is known for: POST, then PATCH with the whole blob, then PUT ?digest=.
      const uploads = uploadRequests(reg!.records, REPO);
      const patches = uploads.filter((r) => r.method === 'PATCH');
      const puts = uploads.filter((r) => r.method === 'PUT');
      assert.ok(patches.length >= image.layerDigests.length, `expected a PATCH per layer:\n${describeRecords(uploads)}`);
      assert.ok(
        puts.every((r) => r.status === 201),
        `every upload PUT answered 201:\n${describeRecords(uploads)}`,
      );
    }));

  test('skopeo inspect shows the digest and layers', () =>
    step(async () => {
      const { stdout } = await skopeo(['inspect', '--tls-verify=false', ref(REPO, 'v1')]);
      const info = JSON.parse(stdout) as { Digest: string; Layers: string[]; Os: string; Architecture: string };
      assert.equal(info.Digest, image.manifestDigest);
      assert.deepEqual(info.Layers, image.layerDigests);
      assert.equal(info.Os, 'linux');

      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ref(REPO, 'v1')]);
      assert.equal(sha256Digest(raw.stdout), image.manifestDigest, 'inspect --raw returns the exact manifest');

      const cfg = await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', ref(REPO, 'v1')]);
      assert.equal(sha256Digest(cfg.stdout), image.configDigest, 'inspect --config --raw returns the exact config blob');
    }));

  test('skopeo list-tags lists every pushed tag', () =>
    step(async () => {
      // A second tag for the same manifest, copied registry -> registry within one repository.
      await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ref(REPO, 'v1'), ref(REPO, 'v2')]);
      const { stdout } = await skopeo(['list-tags', '--tls-verify=false', `docker://${reg!.host}/${REPO}`]);
      const listed = JSON.parse(stdout) as { Repository: string; Tags: string[] };
      assert.deepEqual([...listed.Tags].sort(), ['v1', 'v2']);
      assert.deepEqual([...(await listTags(reg!.directUrl, REPO))].sort(), ['v1', 'v2']);
    }));

  test('skopeo copy to a second repository mounts the blobs instead of uploading them', () =>
    step(async () => {
      const before = reg!.records.length;
      await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ref(REPO, 'v1'), ref(COPY_REPO, 'v1')]);
      const { stdout } = await skopeo(['inspect', '--tls-verify=false', ref(COPY_REPO, 'v1')]);
      assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, image.manifestDigest);

      const uploads = uploadRequests(reg!.records.slice(before), COPY_REPO);
      const mounts = uploads.filter((r) => {
        const q = new URL(r.url, 'http://x').searchParams;
        return r.method === 'POST' && q.get('mount') !== null && q.get('from') === REPO;
      });
      // skopeo only asks to mount blobs that its blob-info cache (/var/lib/containers/cache, shared
      // by every skopeo/podman run on the machine) records as present in e2e/skopeo. Now and then
      // (2 of ~15 runs against Stowage) it has no record for one layer and, without HEADing it in
      // e2e/skopeo or asking for a mount, uploads it again: a client-side choice the registry never
      // sees. So: at least one mount, every mount skopeo asks for must succeed with 201 (202 would
      // mean the registry declined and the client has to upload), every layer mounted or uploaded.
      assert.ok(mounts.length >= 1, `skopeo asked to mount layers:\n${describeRecords(uploads)}`);
      assert.ok(
        mounts.every((r) => r.status === 201),
        `each mount answered 201 Created:\n${describeRecords(uploads)}`,
      );
      const mounted = new Set(mounts.map((r) => new URL(r.url, 'http://x').searchParams.get('mount')));
      for (const d of image.layerDigests) {
        const uploadedHere = uploads.some((r) => r.method === 'PUT' && r.status === 201 && new URL(r.url, 'http://x').searchParams.get('digest') === d);
        assert.ok(mounted.has(d) || uploadedHere, `layer ${d} was mounted or uploaded:\n${describeRecords(uploads)}`);
      }
      const uploadedBytes = uploads.filter((r) => r.method === 'PATCH' || r.method === 'PUT').reduce((s, r) => s + r.bodyBytes, 0);
      assert.ok(
        uploadedBytes <= (image.layerDigests.length - mounts.length) * (LAYER_SIZE + 4096) + 4096,
        `mounted layers were not uploaded again (${uploadedBytes} bytes sent):\n${describeRecords(uploads)}`,
      );
    }));

  test('skopeo copy docker:// -> oci: pulls the same image back', () =>
    step(async () => {
      const pulled = join(work, 'pulled');
      await skopeo(['copy', '--quiet', '--src-tls-verify=false', ref(COPY_REPO, 'v1'), `oci:${pulled}:v1`]);
      const back = await describeLayoutImage(pulled, 'v1');
      assert.equal(back.manifestDigest, image.manifestDigest, 'manifest digest after the round trip');
      assert.deepEqual(back.layerDigests, image.layerDigests);
      for (const d of [...back.layerDigests, back.configDigest]) {
        const bytes = await readFile(blobPath(pulled, d));
        assert.equal(sha256Digest(bytes), d, `content of pulled blob ${d}`);
      }
    }));

  test('skopeo delete removes the manifest; inspect then fails', () =>
    step(async () => {
      await skopeo(['delete', '--tls-verify=false', ref(REPO, 'v1')]);
      await assert.rejects(
        skopeo(['inspect', '--tls-verify=false', ref(REPO, 'v1')]),
        (err: Error) => /manifest unknown|not found|404/i.test(err.message),
        'inspect of a deleted image fails with manifest unknown',
      );
      const byDigest = await getManifest(reg!.directUrl, REPO, image.manifestDigest);
      assert.equal(byDigest.status, 404, 'GET by digest after delete');
      // skopeo deletes by digest, so the other tag of the same manifest is gone too...
      const v2 = await getManifest(reg!.directUrl, REPO, 'v2');
      assert.equal(v2.status, 404, 'GET of the other tag of the deleted manifest');
      // ...but the copy in the other repository is untouched.
      const { stdout } = await skopeo(['inspect', '--tls-verify=false', ref(COPY_REPO, 'v1')]);
      assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, image.manifestDigest);
    }));
});
