// podman against the registry (rootful, vfs storage, all state in a temp dir). podman goes through
// containers/image like skopeo, but recompresses layers when pushing from local storage, so the
// pushed layer and manifest digests differ from the layout's; the config (image ID) stays the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, withLogsOnFailure } from '../helpers/exec.js';
import { buildTestImage, ociLayoutToDockerArchive, type TestImage } from '../helpers/images.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import { getManifest, LAYER_SIZE, listTags, sha256Digest, removeWorkDir, startRegistryUnderTest, type RegistryUnderTest } from './support.js';

const skip = requireTools('podman', 'skopeo', 'umoci') || requireRoot('podman (rootful, vfs)');
const REPO = 'e2e/podman';
const LOCAL_REF = 'localhost/e2e/podman-src:v1';

describe('podman push and pull', { skip, timeout: 300_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let image: TestImage;
  let pushedDigest = '';
  let podmanDir = '';

  const podman = (args: string[]) =>
    run(
      'podman',
      [
        '--storage-driver',
        'vfs',
        '--root',
        join(podmanDir, 'root'),
        '--runroot',
        join(podmanDir, 'runroot'),
        '--tmpdir',
        join(podmanDir, 'tmp'),
        '--cgroup-manager',
        'cgroupfs',
        '--events-backend',
        'file',
        ...args,
      ],
      { timeoutMs: 180_000, env: { ...process.env, REGISTRY_AUTH_FILE: join(podmanDir, 'auth.json') } },
    );
  const remoteRef = (tag: string) => `${reg!.host}/${REPO}:${tag}`;
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => reg?.logFiles ?? [], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-podman-'));
      podmanDir = join(work, 'podman');
      await mkdir(join(podmanDir, 'tmp'), { recursive: true });
      // A private, empty credentials file (podman insists that REGISTRY_AUTH_FILE exists).
      await writeFile(join(podmanDir, 'auth.json'), '{"auths":{}}\n');
      image = await buildTestImage(join(work, 'image'), { layers: 3, layerSizeBytes: LAYER_SIZE, tag: 'v1' });
      const archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(image.layoutDir, image.tag, archive, LOCAL_REF);
      await podman(['load', '-i', archive]);
      reg = await startRegistryUnderTest(join(work, 'registry'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await reg?.close();
    await removeWorkDir(work);
  });

  test('podman push --tls-verify=false uploads the image', () =>
    step(async () => {
      const id = (await podman(['image', 'inspect', '--format', '{{.Id}}', LOCAL_REF])).stdout.trim();
      assert.equal(`sha256:${id}`, image.configDigest, 'loaded image ID is the config digest');

      await podman(['tag', LOCAL_REF, remoteRef('v1')]);
      const digestFile = join(work, 'pushed.digest');
      await podman(['push', '--tls-verify=false', '--digestfile', digestFile, remoteRef('v1')]);
      pushedDigest = (await readFile(digestFile, 'utf8')).trim();
      assert.match(pushedDigest, /^sha256:[0-9a-f]{64}$/);

      const got = await getManifest(reg!.directUrl, REPO, 'v1');
      assert.equal(got.status, 200, `GET manifest by tag: ${got.body.toString()}`);
      assert.equal(got.digestHeader, pushedDigest, 'registry digest equals podman --digestfile');
      assert.equal(sha256Digest(got.body), pushedDigest);
      const manifest = JSON.parse(got.body.toString('utf8')) as { config: { digest: string }; layers: unknown[] };
      assert.equal(manifest.config.digest, image.configDigest);
      assert.equal(manifest.layers.length, image.layerDigests.length);
      assert.deepEqual(await listTags(reg!.directUrl, REPO), ['v1']);
    }));

  test('after podman rmi, podman pull gets the same image back', () =>
    step(async () => {
      assert.ok(pushedDigest, 'push test ran first');
      await podman(['rmi', '--force', '--all']);
      assert.equal((await podman(['images', '--quiet'])).stdout.trim(), '', 'no local images left');

      await podman(['pull', '--tls-verify=false', remoteRef('v1')]);
      const [info] = JSON.parse((await podman(['image', 'inspect', remoteRef('v1')])).stdout) as Array<{
        Id: string;
        Digest: string;
        RepoDigests: string[];
      }>;
      assert.ok(info);
      assert.equal(`sha256:${info.Id}`, image.configDigest, 'pulled image ID equals the original config digest');
      assert.equal(info.Digest, pushedDigest, 'pulled manifest digest equals the pushed one');
      assert.ok(info.RepoDigests.includes(`${reg!.host}/${REPO}@${pushedDigest}`), info.RepoDigests.join(', '));
    }));
});
