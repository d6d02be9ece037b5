// Docker against the registry, with a private dockerd (root, vfs storage, no network setup).
// Docker 20.10 pushes each layer as ONE streamed PATCH with Transfer-Encoding: chunked (no
// Content-Length, no Content-Range), then PUT ?digest= with an empty body, and pushes Docker schema2
// manifests even for images that started as OCI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLogsOnFailure } from '../helpers/exec.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { buildTestImage, ociLayoutToDockerArchive, type TestImage } from '../helpers/images.js';
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

const skip = requireTools('dockerd', 'docker', 'skopeo', 'umoci') || requireRoot('dockerd');
const REPO = 'e2e/docker';
const LOCAL_REF = 'e2e/docker-src:v1';

describe('docker push and pull through a private dockerd', { skip, timeout: 420_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let dockerd: RunningDockerd | undefined;
  let image: TestImage;
  let pushedDigest = '';

  const remoteRef = (tag: string) => `${reg!.host}/${REPO}:${tag}`;
  const docker = (args: string[]) => dockerd!.docker(args);
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => [...(reg?.logFiles ?? []), ...(dockerd ? [dockerd.logFile] : [])], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-docker-'));
      image = await buildTestImage(join(work, 'image'), { layers: 3, layerSizeBytes: LAYER_SIZE, tag: 'v1' });
      const archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(image.layoutDir, image.tag, archive, LOCAL_REF);
      reg = await startRegistryUnderTest(join(work, 'registry'));
      dockerd = await startDockerd(join(work, 'dockerd'));
      await step(() => docker(['load', '-i', archive]));
    },
    { timeout: 240_000 },
  );

  after(async () => {
    try {
      await dockerd?.stop();
    } finally {
      await reg?.close();
      await removeWorkDir(work);
    }
  });

  test('docker push uploads the image (streamed chunked PATCH) and reports its digest', () =>
    step(async () => {
      const loadedId = (await docker(['image', 'inspect', '--format', '{{.Id}}', LOCAL_REF])).stdout.trim();
      assert.equal(loadedId, image.configDigest, 'docker load keeps the config digest as the image ID');

      await docker(['tag', LOCAL_REF, remoteRef('v1')]);
      const { stdout } = await docker(['push', remoteRef('v1')]);
      const m = /v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(stdout);
      assert.ok(m, `docker push prints the digest:\n${stdout}`);
      pushedDigest = m[1]!;

      const got = await getManifest(reg!.directUrl, REPO, 'v1');
      assert.equal(got.status, 200, `GET manifest by tag: ${got.body.toString()}`);
      assert.equal(got.digestHeader, pushedDigest, 'Docker-Content-Digest matches what docker push printed');
      assert.equal(sha256Digest(got.body), pushedDigest, 'manifest bytes hash to the pushed digest');
      assert.equal(got.body.length, Number(m[2]), 'manifest size matches what docker push printed');
      assert.equal(got.contentType, MEDIA.dockerManifest, 'docker pushes schema2 manifests');
      const manifest = JSON.parse(got.body.toString('utf8')) as { config: { digest: string }; layers: unknown[] };
      assert.equal(manifest.config.digest, image.configDigest);
      assert.equal(manifest.layers.length, image.layerDigests.length);
      assert.deepEqual(await listTags(reg!.directUrl, REPO), ['v1']);

      // The wire path this test exists for: streamed PATCH, chunked, no Content-Length/Content-Range.
      const uploads = uploadRequests(reg!.records, REPO);
      const chunked = uploads.filter((r) => r.method === 'PATCH' && /chunked/i.test(r.transferEncoding ?? '') && r.contentLength === undefined);
      assert.ok(chunked.length >= image.layerDigests.length, `expected a chunked PATCH per layer:\n${describeRecords(uploads)}`);
      assert.ok(
        chunked.every((r) => r.status === 202 && r.bodyBytes > 0),
        `chunked PATCHes answered 202:\n${describeRecords(uploads)}`,
      );
      assert.ok(
        uploads.filter((r) => r.method === 'PUT').every((r) => r.status === 201),
        `upload-completing PUTs answered 201:\n${describeRecords(uploads)}`,
      );
    }));

  test('pushing the same image again uploads nothing and keeps the digest', () =>
    step(async () => {
      assert.ok(pushedDigest, 'push test ran first');
      const before = reg!.records.length;
      const { stdout } = await docker(['push', remoteRef('v1')]);
      assert.match(stdout, new RegExp(`v1: digest: ${pushedDigest} `), `same digest on re-push:\n${stdout}`);
      assert.equal((stdout.match(/Layer already exists/g) ?? []).length, image.layerDigests.length, stdout);
      const again = uploadRequests(reg!.records.slice(before), REPO);
      assert.equal(again.length, 0, `no uploads on re-push:\n${describeRecords(again)}`);
    }));

  test('after docker rmi, docker pull brings back the same image', () =>
    step(async () => {
      assert.ok(pushedDigest, 'push test ran first');
      await docker(['rmi', LOCAL_REF, remoteRef('v1')]);
      await assert.rejects(docker(['image', 'inspect', remoteRef('v1')]), 'image is gone locally after rmi');

      const { stdout } = await docker(['pull', remoteRef('v1')]);
      assert.match(stdout, new RegExp(`Digest: ${pushedDigest}`), 'docker pull reports the pushed digest');
      const inspected = JSON.parse((await docker(['image', 'inspect', remoteRef('v1')])).stdout) as Array<{
        Id: string;
        RepoDigests: string[];
        RootFS: { Layers: string[] };
      }>;
      assert.equal(inspected[0]!.Id, image.configDigest, 'pulled image ID equals the original config digest');
      assert.deepEqual(inspected[0]!.RepoDigests, [`${reg!.host}/${REPO}@${pushedDigest}`]);
      assert.equal(inspected[0]!.RootFS.Layers.length, image.layerDigests.length);
    }));

  test('docker pull by digest works', () =>
    step(async () => {
      assert.ok(pushedDigest, 'push test ran first');
      const byDigest = `${reg!.host}/${REPO}@${pushedDigest}`;
      await docker(['rmi', remoteRef('v1')]);
      await assert.rejects(docker(['image', 'inspect', byDigest]), 'image is gone locally after rmi');
      const { stdout } = await docker(['pull', byDigest]);
      assert.match(stdout, /Downloaded newer image|Pull complete/, `layers were fetched again:\n${stdout}`);
      const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', byDigest])).stdout.trim();
      assert.equal(id, image.configDigest);
    }));
});
