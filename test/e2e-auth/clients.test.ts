// Real clients against `--auth local`: docker login then push/pull through a private dockerd,
// skopeo with --dest-creds/--creds, ctr with --user. Each logs in through the Docker token flow
// (ping -> 401 challenge -> token endpoint -> bearer). The policy lets `pusher` (group ci) push
// and pull under e2e/, and `reader` only pull, so each client also meets a 403 it must report.
// Outside test/e2e/ on purpose: auth is the same on every adapter family, so these run once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, withLogsOnFailure } from '../helpers/exec.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { startContainerd, type RunningContainerd } from '../helpers/containerd.js';
import { buildTestImage, ociLayoutToDockerArchive, tarOciLayout, type TestImage } from '../helpers/images.js';
import { requireRoot, requireTools } from '../helpers/tools.js';
import type { TestAuthOptions } from '../helpers/server.js';
import { removeWorkDir, sha256Digest, startRegistryUnderTest, type RegistryUnderTest } from '../e2e/support.js';

const PUSHER = { name: 'pusher', password: 'pusher-password-1' };
const READER = { name: 'reader', password: 'reader-password-1' };
const AUTH: TestAuthOptions = {
  users: [
    { ...PUSHER, groups: ['ci'] },
    { ...READER, groups: [] },
  ],
  policy: {
    version: 1,
    rules: [
      { principals: { groups: ['ci'] }, repositories: ['e2e/**'], actions: ['pull', 'push'] },
      { principals: { users: ['reader'] }, repositories: ['e2e/**'], actions: ['pull'] },
    ],
  },
};
const LAYER = 256 * 1024 + 17;

/** Requests the proxy saw that were refused, as "METHOD url -> status" (for assertions). */
const refusals = (reg: RegistryUnderTest) => reg.records.filter((r) => r.status === 401 || r.status === 403);

describe('docker login, push and pull with --auth local', { skip: requireTools('dockerd', 'docker', 'skopeo', 'umoci') || requireRoot('dockerd'), timeout: 420_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let dockerd: RunningDockerd | undefined;
  let image: TestImage;
  const REPO = 'e2e/docker-auth';
  const LOCAL = 'e2e/docker-auth-src:v1';
  const remote = () => `${reg!.host}/${REPO}:v1`;
  const docker = (args: string[], input?: string) => dockerd!.docker(args, input === undefined ? {} : { input });
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => [...(reg?.logFiles ?? []), ...(dockerd ? [dockerd.logFile] : [])], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-docker-auth-'));
      image = await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: LAYER, tag: 'v1' });
      const archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(image.layoutDir, image.tag, archive, LOCAL);
      reg = await startRegistryUnderTest(join(work, 'registry'), { auth: AUTH });
      dockerd = await startDockerd(join(work, 'dockerd'));
      await docker(['load', '-i', archive]);
      await docker(['tag', LOCAL, remote()]);
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

  test('without logging in, docker push is refused', () =>
    step(async () => {
      await assert.rejects(docker(['push', remote()]), (err: Error) => /unauthorized|authentication required/i.test(err.message));
      assert.ok(!refusals(reg!).some((r) => r.status === 403), 'a push without credentials is asked to log in (401), never denied (403)');
    }));

  test('docker login with a wrong password fails; with the right one succeeds', () =>
    step(async () => {
      await assert.rejects(docker(['login', '-u', PUSHER.name, '--password-stdin', reg!.host], 'not-the-password\n'), (err: Error) =>
        /unauthorized|incorrect|invalid username or password/i.test(err.message),
      );
      const { stdout } = await docker(['login', '-u', PUSHER.name, '--password-stdin', reg!.host], `${PUSHER.password}\n`);
      assert.match(stdout, /Login Succeeded/);
    }));

  test('docker push as pusher, then rmi and pull back the same image', () =>
    step(async () => {
      const { stdout } = await docker(['push', remote()]);
      const m = /v1: digest: (sha256:[0-9a-f]{64})/.exec(stdout);
      assert.ok(m, stdout);
      await docker(['rmi', LOCAL, remote()]);
      const pulled = await docker(['pull', remote()]);
      assert.match(pulled.stdout, new RegExp(`Digest: ${m[1]}`));
      const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', remote()])).stdout.trim();
      assert.equal(id, image.configDigest);
      assert.ok(
        reg!.records.some((r) => r.url === '/v2/' && r.status === 401),
        "docker learned the realm from the ping's 401",
      );
    }));

  test('logged in as reader: pull works, push is denied', () =>
    step(async () => {
      await docker(['logout', reg!.host]);
      await docker(['login', '-u', READER.name, '--password-stdin', reg!.host], `${READER.password}\n`);
      await docker(['rmi', remote()]);
      await docker(['pull', remote()]);
      await docker(['tag', remote(), `${reg!.host}/${REPO}:reader`]);
      const before = reg!.records.length;
      await assert.rejects(docker(['push', `${reg!.host}/${REPO}:reader`]), (err: Error) => /denied/i.test(err.message));
      // The blobs are there already (the pusher's), so docker's first write is the upload or the manifest.
      assert.ok(
        reg!.records.slice(before).some((r) => r.status === 403 && (r.method === 'POST' || r.method === 'PUT')),
        "the refusal was the registry's 403 on the reader's write",
      );
    }));
});

describe('skopeo with --dest-creds and --creds against --auth local', { skip: requireTools('skopeo', 'umoci'), timeout: 300_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let image: TestImage;
  const REPO = 'e2e/skopeo-auth';
  const ref = (repo: string, tag: string) => `docker://${reg!.host}/${repo}:${tag}`;
  const skopeo = (args: string[]) => run('skopeo', args, { timeoutMs: 120_000 });
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => reg?.logFiles ?? [], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-skopeo-auth-'));
      image = await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: LAYER, tag: 'v1' });
      reg = await startRegistryUnderTest(join(work, 'registry'), { auth: AUTH });
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await reg?.close();
    await removeWorkDir(work);
  });

  test('skopeo copy --dest-creds pushes; inspect --creds reads it back', () =>
    step(async () => {
      const digestFile = join(work, 'digest');
      await skopeo([
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-creds',
        `${PUSHER.name}:${PUSHER.password}`,
        '--digestfile',
        digestFile,
        `oci:${image.layoutDir}:v1`,
        ref(REPO, 'v1'),
      ]);
      assert.equal((await readFile(digestFile, 'utf8')).trim(), image.manifestDigest);
      const { stdout } = await skopeo(['inspect', '--tls-verify=false', '--creds', `${READER.name}:${READER.password}`, ref(REPO, 'v1')]);
      assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, image.manifestDigest);
    }));

  test('skopeo copy between repositories with credentials mounts the blobs it may read', () =>
    step(async () => {
      const before = reg!.records.length;
      const creds = `${PUSHER.name}:${PUSHER.password}`;
      await skopeo([
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--src-creds',
        creds,
        '--dest-creds',
        creds,
        ref(REPO, 'v1'),
        ref(`${REPO}-copy`, 'v1'),
      ]);
      const mounts = reg!.records.slice(before).filter((r) => r.method === 'POST' && r.url.includes('mount='));
      assert.ok(
        mounts.every((r) => r.status === 201),
        `mounts from a readable source succeed: ${mounts.map((r) => `${r.url} ${r.status}`).join(', ')}`,
      );
    }));

  test('without credentials, or as reader pushing, skopeo fails', () =>
    step(async () => {
      // skopeo fetches an anonymous token, which grants nothing here: 401 from the registry (log in), never 403.
      await assert.rejects(
        skopeo(['inspect', '--tls-verify=false', ref(REPO, 'v1')]),
        (err: Error) => /authentication required|unauthorized/i.test(err.message) && !/denied/i.test(err.message),
      );
      await assert.rejects(
        skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${READER.name}:${READER.password}`, `oci:${image.layoutDir}:v1`, ref(REPO, 'reader')]),
        (err: Error) => /denied/i.test(err.message),
      );
      await assert.rejects(skopeo(['inspect', '--tls-verify=false', '--creds', `${READER.name}:wrong-password`, ref(REPO, 'v1')]), (err: Error) =>
        /unauthorized|invalid username or password/i.test(err.message),
      );
    }));
});

describe('ctr --user push and pull against --auth local', { skip: requireTools('containerd', 'ctr', 'umoci', 'tar') || requireRoot('containerd'), timeout: 300_000 }, () => {
  let work = '';
  let reg: RegistryUnderTest | undefined;
  let cd: RunningContainerd | undefined;
  let image: TestImage;
  let indexDigest = '';
  let ref = '';
  const ctr = (args: string[]) => cd!.ctr(args);
  const step = <R>(fn: () => Promise<R>) => withLogsOnFailure(() => [...(reg?.logFiles ?? []), ...(cd ? [cd.logFile] : [])], fn);

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'stowage-e2e-ctr-auth-'));
      image = await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: LAYER, tag: 'v1' });
      indexDigest = sha256Digest(await readFile(join(image.layoutDir, 'index.json')));
      await tarOciLayout(image.layoutDir, join(work, 'image.oci.tar'));
      reg = await startRegistryUnderTest(join(work, 'registry'), { auth: AUTH });
      ref = `${reg.host}/e2e/ctr-auth:v1`;
      cd = await startContainerd(join(work, 'containerd'));
      await ctr(['images', 'import', '--index-name', ref, join(work, 'image.oci.tar')]);
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

  test('ctr images push --user pusher:… uploads; as reader it is denied', () =>
    step(async () => {
      await assert.rejects(ctr(['images', 'push', '--plain-http', '--user', `${READER.name}:${READER.password}`, ref]), (err: Error) => /denied|403|forbidden/i.test(err.message));
      await ctr(['images', 'push', '--plain-http', '--user', `${PUSHER.name}:${PUSHER.password}`, ref]);
      const puts = reg!.records.filter((r) => r.method === 'PUT' && r.url.startsWith('/v2/e2e/ctr-auth/manifests/'));
      assert.ok(
        puts.some((r) => r.status === 201 && r.url.endsWith('/v1')),
        'the tag was pushed',
      );
    }));

  test('after ctr images rm, ctr images pull --user reader:… gets the same index', () =>
    step(async () => {
      await ctr(['images', 'rm', '--sync', ref]);
      await ctr(['images', 'pull', '--plain-http', '--user', `${READER.name}:${READER.password}`, ref]);
      const { stdout } = await ctr(['images', 'ls']);
      assert.ok(
        stdout.split('\n').some((l) => l.startsWith(ref) && l.includes(indexDigest)),
        stdout,
      );
    }));
});
