// Tag immutability with real clients (issue 10): a push that would move an immutable tag is
// refused with TAG_INVALID (400), and skopeo, podman and docker each print the registry's
// message, which names the tag and the rule. Re-pushing the image the tag names succeeds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, RunError } from '../helpers/exec.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { buildTestImage, ociLayoutToDockerArchive, type TestImage } from '../helpers/images.js';
import { startStowage, type TestRegistry } from '../helpers/server.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import { removeWorkDir } from './support.js';

const REPO = 'locked/app';
const SETTINGS = [{ match: 'locked/**', tagMutability: 'IMMUTABLE' }];
/** What every client must show: the tag, that it cannot be overwritten, and the rule. */
// skopeo prints the message inside a quoted log field, its quotes escaped.
const MESSAGE =
  /tag invalid: tag v1 of locked\/app already names sha256:[0-9a-f]{64} and cannot be overwritten: it is immutable by repositories\[0\] match \\?"locked\/\*\*\\?": tagMutability IMMUTABLE/;

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RunError) return `${err.stdout}\n${err.stderr}`;
    throw err;
  }
  assert.fail('the push that overwrites an immutable tag succeeded');
}

describe('an immutable tag refuses an overwrite: skopeo, podman and docker print why', { skip: requireTools('skopeo', 'umoci'), timeout: 420_000 }, () => {
  let work = '';
  let reg: TestRegistry;
  let first: TestImage;
  let second: TestImage;

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-immutable-'));
      first = await buildTestImage(join(work, 'first'), { layers: 1, layerSizeBytes: 4096, tag: 'v1' });
      second = await buildTestImage(join(work, 'second'), { layers: 1, layerSizeBytes: 4096, tag: 'v1' });
      reg = await startStowage({ repositories: SETTINGS });
      const host = new URL(reg.url).host;
      await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${first.layoutDir}:v1`, `docker://${host}/${REPO}:v1`]);
    },
    { timeout: 180_000 },
  );
  after(async () => {
    await reg?.close();
    await removeWorkDir(work);
  });

  test('skopeo copy prints the refusal; copying the image the tag names succeeds', async () => {
    const host = new URL(reg.url).host;
    const out = await refused(run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${second.layoutDir}:v1`, `docker://${host}/${REPO}:v1`]));
    assert.match(out, MESSAGE, out);
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${first.layoutDir}:v1`, `docker://${host}/${REPO}:v1`]);
  });

  test('podman push prints the refusal', { skip: requireTools('podman') || requireRoot('podman (rootful, vfs)') }, async () => {
    const dir = join(work, 'podman');
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await writeFile(join(dir, 'auth.json'), '{"auths":{}}\n');
    const podman = (args: string[]) =>
      run(
        'podman',
        [
          '--storage-driver',
          'vfs',
          '--root',
          join(dir, 'root'),
          '--runroot',
          join(dir, 'runroot'),
          '--tmpdir',
          join(dir, 'tmp'),
          '--cgroup-manager',
          'cgroupfs',
          '--events-backend',
          'file',
          ...args,
        ],
        { timeoutMs: 180_000, env: { ...process.env, REGISTRY_AUTH_FILE: join(dir, 'auth.json') } },
      );
    const archive = join(work, 'second.docker.tar');
    await ociLayoutToDockerArchive(second.layoutDir, 'v1', archive, 'localhost/immutable/second:v1');
    await podman(['load', '-i', archive]);
    const remote = `${new URL(reg.url).host}/${REPO}:v1`;
    await podman(['tag', 'localhost/immutable/second:v1', remote]);
    const out = await refused(podman(['push', '--tls-verify=false', remote]));
    assert.match(out, MESSAGE, out);
  });

  describe('docker', { skip: requireTools('dockerd', 'docker') || requireRoot('dockerd') }, () => {
    let dockerd: RunningDockerd | undefined;
    after(async () => {
      await dockerd?.stop();
    });
    test('docker push prints the refusal', { timeout: 300_000 }, async () => {
      dockerd = await startDockerd(join(work, 'dockerd'));
      const archive = join(work, 'second-docker.tar');
      await ociLayoutToDockerArchive(second.layoutDir, 'v1', archive, 'immutable/second:v1');
      await dockerd.docker(['load', '-i', archive]);
      const remote = `${new URL(reg.url).host}/${REPO}:v1`;
      await dockerd.docker(['tag', 'immutable/second:v1', remote]);
      const out = await refused(dockerd.docker(['push', remote], { timeoutMs: 180_000 }));
      assert.match(out, MESSAGE, out);
    });
  });
});
