/**
 * Real layers through the serverless stack's front door: a 200 MiB layer pushed by docker (one
 * streamed, chunked PATCH) and by containerd (one monolithic PUT), both of which API Gateway
 * could never take (10 MB), land through the upload service and pull back intact (blobs as 307s
 * to S3). One image, one harness, one dockerd and one containerd for both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainerd, type RunningContainerd } from '../helpers/containerd.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { withLogsOnFailure } from '../helpers/exec.js';
import { buildTestImage, ociLayoutToDockerArchive, tarOciLayout, type TestImage } from '../helpers/images.js';
import { startLambdaBackend } from '../helpers/lambda-backend.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import type { FrontDoorRecord } from './front-door.js';
import type { LambdaHarness } from './harness.js';

const LAYER = 200 * 1024 * 1024;
const skip = requireTools('dockerd', 'docker', 'containerd', 'ctr', 'skopeo', 'umoci', 'tar') || requireRoot('dockerd and containerd');

describe('200 MiB layers through the front door land via the upload service', { skip, timeout: 900_000 }, () => {
  let work = '';
  let h: LambdaHarness;
  let dockerd: RunningDockerd | undefined;
  let containerd: RunningContainerd | undefined;
  let image: TestImage;
  const logs = () => [
    join(work, 'harness', 'lambda.log'),
    join(work, 'harness', 'upload-service.log'),
    ...(dockerd ? [dockerd.logFile] : []),
    ...(containerd ? [containerd.logFile] : []),
  ];
  const step = <T>(fn: () => Promise<T>) => withLogsOnFailure(logs, fn);
  const uploads = (repo: string): FrontDoorRecord[] => h.frontDoor.records.filter((r) => r.uri.startsWith(`/v2/${repo}/blobs/uploads/`));
  const describeUploads = (repo: string) =>
    uploads(repo)
      .map((r) => `${r.method} ${r.uri} -> ${r.origin} ${r.status} (cl=${r.contentLength ?? '-'} chunked=${r.chunked ?? false} bytes=${r.bodyBytes ?? '-'})`)
      .join('\n');

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-large-layers-'));
      image = await buildTestImage(join(work, 'image'), { layers: 1, layerSizeBytes: LAYER, tag: 'v1' });
      await ociLayoutToDockerArchive(image.layoutDir, 'v1', join(work, 'image.docker.tar'), 'large/src:v1');
      await tarOciLayout(image.layoutDir, join(work, 'image.oci.tar'));
      h = await startLambdaBackend({ dataDir: join(work, 'harness') });
      dockerd = await startDockerd(join(work, 'dockerd'));
      containerd = await startContainerd(join(work, 'containerd'));
    },
    { timeout: 420_000 },
  );

  after(async () => {
    try {
      await dockerd?.stop();
      await containerd?.stop();
    } finally {
      await h?.close();
      if (work && !process.env.E2E_KEEP) await rm(work, { recursive: true, force: true });
    }
  });

  test('docker: one chunked PATCH of the whole layer to the upload service; pulled back, the same image', () =>
    step(async () => {
      const ref = `${h.host}/large/docker:v1`;
      const docker = (args: string[]) => dockerd!.docker(args, { timeoutMs: 300_000 });
      await docker(['load', '-i', join(work, 'image.docker.tar')]);
      await docker(['tag', 'large/src:v1', ref]);
      const { stdout } = await docker(['push', ref]);
      const digest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
      assert.ok(digest, stdout);
      const patches = uploads('large/docker').filter((r) => r.method === 'PATCH' && r.chunked && (r.bodyBytes ?? 0) >= LAYER);
      assert.equal(patches.length, 1, `one streamed PATCH carried the layer:\n${describeUploads('large/docker')}`);
      assert.equal(patches[0]?.origin, 'upload-service');
      assert.equal(patches[0]?.status, 202);
      assert.ok(
        uploads('large/docker').every((r) => r.origin === 'upload-service' && r.status < 300),
        describeUploads('large/docker'),
      );

      await docker(['rmi', 'large/src:v1', ref]);
      const pulled = await docker(['pull', ref]);
      assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));
      const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
      assert.equal(id, image.configDigest, 'the pulled image is the pushed one');
    }));

  test('containerd: one monolithic PUT of the whole layer to the upload service; pulled back complete', () =>
    step(async () => {
      const ref = `${h.host}/large/ctr:v1`;
      const ctr = (args: string[]) => containerd!.ctr(args, { timeoutMs: 300_000 });
      await ctr(['images', 'import', '--index-name', ref, join(work, 'image.oci.tar')]);
      await ctr(['images', 'push', '--plain-http', ref]);
      const puts = uploads('large/ctr').filter((r) => r.method === 'PUT' && r.contentLength !== undefined && r.contentLength >= LAYER);
      assert.equal(puts.length, 1, `one PUT with Content-Length carried the layer:\n${describeUploads('large/ctr')}`);
      assert.equal(puts[0]?.origin, 'upload-service');
      assert.equal(puts[0]?.status, 201);
      assert.equal(puts[0]?.bodyBytes, puts[0]?.contentLength);
      assert.equal(uploads('large/ctr').filter((r) => r.method === 'PATCH').length, 0);

      await ctr(['images', 'rm', '--sync', ref]);
      await ctr(['images', 'pull', '--plain-http', ref]);
      const { stdout } = await ctr(['images', 'check', `name==${ref}`]);
      assert.match(stdout, /complete/, stdout);
      const content = (await ctr(['content', 'ls', '--quiet'])).stdout;
      assert.ok(content.includes(image.layerDigests[0]!), 'the 200 MiB layer is back in the content store');
    }));
});
