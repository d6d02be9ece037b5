/**
 * Issue 13 with real clients through the harness (the default stack: upload service, the API's
 * fixed route shape, blob GETs redirected to the front door's own content behaviour): skopeo and
 * containerd push and pull images under names the per-depth API could not route. skopeo checks
 * every blob it pulls against its digest; containerd checks Docker-Content-Digest and sizes.
 * docker pushes Docker schema2 manifests with one streamed PATCH per layer and pulls after
 * removing the image, so its layers come through the content behaviour.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/exec.js';
import { startContainerd, type RunningContainerd } from '../helpers/containerd.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { buildTestImage, ociLayoutToDockerArchive, tarOciLayout, type TestImage } from '../helpers/images.js';
import { startLambdaBackend } from '../helpers/lambda-backend.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import { removeWorkDir, sha256Digest } from '../e2e/support.js';
import type { LambdaHarness } from './harness.js';
import { ROUTE_WORD_NAMES } from './names-push-pull.js';

const T = 120_000;
let work = '';
let h: LambdaHarness;
let image: TestImage;

before(
  async () => {
    work = await mkdtemp(join(tmpdir(), 'stowage-any-name-clients-'));
    image = await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: 256 * 1024, tag: 'v1' });
    h = await startLambdaBackend({ dataDir: join(work, 'harness') });
  },
  { timeout: 180_000 },
);
after(async () => {
  await h?.close();
  await removeWorkDir(work);
});

describe('skopeo', { skip: requireTools('skopeo', 'umoci'), timeout: 600_000 }, () => {
  for (const repo of ROUTE_WORD_NAMES) {
    test(`${repo}: skopeo copy pushes, then pulls back the same manifest and verified blobs`, async () => {
      const ref = `docker://${h.host}/${repo}:v1`;
      const digestFile = join(work, `${repo.replaceAll('/', '_')}.digest`);
      await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile, `oci:${image.layoutDir}:${image.tag}`, ref], { timeoutMs: T });
      assert.equal((await readFile(digestFile, 'utf8')).trim(), image.manifestDigest);
      const back = join(work, `${repo.replaceAll('/', '_')}-pulled`);
      const fetchedBefore = h.frontDoor.records.filter((r) => r.origin === 's3').length;
      await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', ref, `oci:${back}:v1`], { timeoutMs: T });
      assert.ok(h.frontDoor.records.filter((r) => r.origin === 's3').length > fetchedBefore, 'blobs came through the content behaviour');
      const index = JSON.parse(await readFile(join(back, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]?.digest, image.manifestDigest, 'the pulled manifest is the pushed one');
      const { stdout } = await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${h.host}/${repo}`], { timeoutMs: T });
      assert.deepEqual((JSON.parse(stdout) as { Tags: string[] }).Tags, ['v1']);
    });
  }
});

describe('containerd', { skip: requireTools('containerd', 'ctr', 'umoci', 'tar') || requireRoot('containerd'), timeout: 600_000 }, () => {
  let cd: RunningContainerd | undefined;
  let indexDigest = '';
  before(
    async () => {
      indexDigest = sha256Digest(await readFile(join(image.layoutDir, 'index.json')));
      await tarOciLayout(image.layoutDir, join(work, 'image.oci.tar'));
      cd = await startContainerd(join(work, 'containerd'));
    },
    { timeout: 180_000 },
  );
  after(() => cd?.stop());

  for (const [i, repo] of ['org/tags', 'x/manifests', ROUTE_WORD_NAMES.at(-1) as string].entries()) {
    test(`${repo}: ctr push (one PUT per blob) and pull`, async () => {
      const ref = `${h.host}/${repo}:v1`;
      await cd!.ctr(['images', 'import', '--index-name', ref, join(work, 'image.oci.tar')]);
      await cd!.ctr(['images', 'push', '--plain-http', ref]);
      // A second containerd with an empty content store pulls, so every blob is fetched (content
      // is shared across namespaces, and removed blobs linger until containerd's GC runs).
      const puller = await startContainerd(join(work, `containerd-pull-${i}`));
      try {
        const fetchedBefore = h.frontDoor.records.filter((r) => r.origin === 's3' && r.method === 'GET').length;
        await puller.ctr(['images', 'pull', '--plain-http', ref]);
        const fetched = h.frontDoor.records.filter((r) => r.origin === 's3' && r.method === 'GET').length - fetchedBefore;
        assert.ok(fetched >= image.layerDigests.length + 1, `containerd fetched the config and layers through the content behaviour (${fetched} GETs)`);
        const { stdout } = await puller.ctr(['images', 'ls']);
        const row = stdout.split('\n').find((l) => l.startsWith(`${ref} `));
        assert.ok(row?.includes(indexDigest), `pulled ${ref} with digest ${indexDigest}: ${row}`);
      } finally {
        await puller.stop();
      }
    });
  }
});

describe('docker', { skip: requireTools('dockerd', 'docker', 'skopeo', 'umoci') || requireRoot('dockerd'), timeout: 600_000 }, () => {
  const LOCAL_REF = 'any-name/src:v1';
  let dockerd: RunningDockerd | undefined;
  let archive = '';
  before(
    async () => {
      archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(image.layoutDir, image.tag, archive, LOCAL_REF);
      dockerd = await startDockerd(join(work, 'dockerd'));
    },
    { timeout: 240_000 },
  );
  after(() => dockerd?.stop());

  for (const repo of ['org/tags', 'a/referrers/b', ROUTE_WORD_NAMES.at(-1) as string]) {
    test(`${repo}: docker push, rmi, pull`, async () => {
      const docker = (args: string[]) => dockerd!.docker(args);
      const ref = `${h.host}/${repo}:v1`;
      await docker(['load', '-i', archive]);
      await docker(['tag', LOCAL_REF, ref]);
      const { stdout } = await docker(['push', ref]);
      const pushed = /v1: digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
      assert.ok(pushed, `docker push prints the digest:\n${stdout}`);
      // Remove every tag of the image, so the pull fetches its layers.
      await docker(['rmi', ref, LOCAL_REF]);
      const fetchedBefore = h.frontDoor.records.filter((r) => r.origin === 's3' && r.method === 'GET').length;
      await docker(['pull', ref]);
      const fetched = h.frontDoor.records.filter((r) => r.origin === 's3' && r.method === 'GET').length - fetchedBefore;
      assert.ok(fetched >= image.layerDigests.length, `docker fetched the layers through the content behaviour (${fetched} GETs)`);
      const digests = (await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref])).stdout;
      assert.ok(digests.includes(pushed), `the pulled image has the pushed digest: ${digests}`);
      await docker(['rmi', ref]);
    });
  }
});
