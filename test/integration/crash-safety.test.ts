/**
 * Crash safety on both adapter families, proven against a real process: SIGKILL while chunked
 * uploads stream and a storm of manifest PUTs and DELETEs is in flight, then a restart on the same
 * data. Every acknowledged object (image, tag, chunk) is intact, every acknowledged delete stays
 * deleted, and every upload the crash interrupted resumes from its last acknowledged offset and
 * completes (the dead writer's lease blocks its session for at most 30 s).
 *
 * Acknowledged means durable. Embedded: blob commits fsync the file and its directory, SQLite runs
 * with synchronous=FULL (sqlite-metadata-store.ts). AWS: nothing is acknowledged before S3 and
 * DynamoDB answered; the emulators run in this test process, so what they hold survives the
 * server's death as the real services' contents would.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsEmulators, startAwsEmulators } from '../helpers/aws-emulators.js';
import { type ServedChild, serveChild } from '../helpers/serve-child.js';
import { assertPullsIdentical, type PushedImage, pushImage, sha256 } from '../helpers/push.js';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
/** Longest an interrupted upload may stay refused after the restart: the 30 s lease plus slack for a loaded machine. */
const RESUME_BOUND_MS = 45_000;
let dir = '';
let aws: AwsEmulators | undefined;
const children: ServedChild[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-crash-'));
});
after(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop();
  await aws?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One adapter family: how `stowage serve` is started on its data, first and after the crash. */
interface Family {
  name: string;
  /** A manifest DELETE is all or nothing even when the process dies in the middle of it. */
  atomicDeletes: boolean;
  /** Arguments and environment of a start; `first` is the start on empty stores. */
  start(first: boolean): Promise<{ args: string[]; env: NodeJS.ProcessEnv }>;
}

const embedded: Family = {
  name: 'embedded (filesystem + SQLite)',
  // One SQLite transaction.
  atomicDeletes: true,
  async start() {
    return { args: ['--data-dir', join(dir, 'embedded')], env: { PATH: process.env.PATH } };
  },
};

const awsFamily: Family = {
  name: 'AWS (S3 + DynamoDB on fauxqs and dynalite)',
  // Tags, referrer entry, then the manifest item, one write each (dynamodb-metadata-store.ts).
  atomicDeletes: false,
  async start(first) {
    aws ??= await startAwsEmulators();
    const home = join(dir, 'aws-home');
    return {
      args: [
        '--data-dir',
        join(home, 'data'),
        '--storage',
        's3',
        '--s3-force-path-style',
        '--s3-bucket',
        'crash',
        '--metadata',
        'dynamodb',
        '--dynamodb-table',
        'crash',
        // The bucket and table are created once; the restart finds them as an operator's would.
        ...(first ? ['--create-resources'] : []),
      ],
      // Nothing but the emulators' settings: no IMDS lookups, no ~/.aws.
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        ...aws.env,
      },
    };
  },
};

async function serve(family: Family, first: boolean): Promise<ServedChild & { url: string }> {
  const { args, env } = await family.start(first);
  const c = await serveChild(['--port', '0', ...args], env, 60_000);
  children.push(c);
  assert.ok(c.url, `the server started: ${c.stderr}`);
  return c as ServedChild & { url: string };
}

interface Upload {
  location: string;
  blob: Buffer;
  /** Bytes the server acknowledged (a 202 to a PATCH). */
  acked: number;
}

/** A PATCH that sends `bytes` and then never ends its body: a writer the crash interrupts. */
function hangingPatch(base: string, upload: Upload, bytes: Buffer): void {
  const url = new URL(upload.location, base);
  const req = request(url, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${upload.acked}-${upload.acked + upload.blob.length - upload.acked - 1}`,
      'content-length': upload.blob.length - upload.acked,
    },
  });
  req.on('error', () => {});
  req.write(bytes);
}

/** A request of the storm: what it asked for, and the status it got if it got one before the kill. */
interface StormRequest {
  image: PushedImage;
  sent?: true;
  status?: number;
}

async function crashScenario(family: Family, diagnostic: (message: string) => void): Promise<void> {
  const first = await serve(family, true);
  const images: PushedImage[] = [];
  for (let i = 0; i < 4; i++) images.push(await pushImage(first.url, `crash/img${i}`, 'v1', 2, 128 * 1024));
  // Images the storm deletes (by digest), in repositories of their own.
  const doomed: PushedImage[] = [];
  for (let i = 0; i < 16; i++) doomed.push(await pushImage(first.url, `crash/del${i}`, 'v1', 1, 16 * 1024));

  // Eight chunked uploads, each with its first chunk acknowledged.
  const uploads: Upload[] = [];
  for (let i = 0; i < 8; i++) {
    const post = await fetch(`${first.url}/v2/crash/up${i}/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 202);
    const upload: Upload = { location: post.headers.get('location') as string, blob: randomBytes(300 * 1024), acked: 0 };
    const chunk = upload.blob.subarray(0, 100 * 1024);
    const patch = await fetch(new URL(upload.location, first.url), {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${chunk.length - 1}` },
      body: new Uint8Array(chunk),
    });
    assert.equal(patch.status, 202);
    upload.location = patch.headers.get('location') as string;
    upload.acked = chunk.length;
    uploads.push(upload);
  }
  // Half of them have a second chunk streaming when the process dies.
  for (const upload of uploads.slice(0, 4)) hangingPatch(first.url, upload, upload.blob.subarray(upload.acked, upload.acked + 50 * 1024));

  // A storm of tag pushes (all at once) and manifest deletes (four deleters, one delete after the
  // other, so that deletes are still being sent when the PUTs get answered); the process is killed
  // as soon as one of each is acknowledged, with the rest in flight.
  const puts: (StormRequest & { tag: string })[] = Array.from({ length: 32 }, (_, i) => ({ tag: `storm${i}`, image: images[i % images.length] as PushedImage }));
  const deletes: StormRequest[] = doomed.map((image) => ({ image }));
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    first.child.kill('SIGKILL');
  };
  const killOnceBothAcknowledged = () => {
    if (puts.some((s) => s.status === 201) && deletes.some((d) => d.status === 202)) kill();
  };
  const send = async (s: StormRequest, url: string, init: RequestInit) => {
    s.sent = true;
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      s.status = res.status;
      killOnceBothAcknowledged();
    } catch {
      // cut by the kill: not acknowledged
    }
  };
  await Promise.all([
    ...puts.map((s) =>
      send(s, `${first.url}/v2/${s.image.repository}/manifests/${s.tag}`, {
        method: 'PUT',
        headers: { 'content-type': MANIFEST_TYPE },
        body: new Uint8Array(s.image.manifest),
      }),
    ),
    ...Array.from({ length: 4 }, async (_, worker) => {
      for (let i = worker; i < deletes.length && !killed; i += 4) {
        const d = deletes[i] as StormRequest;
        await send(d, `${first.url}/v2/${d.image.repository}/manifests/${d.image.manifestDigest}`, { method: 'DELETE' });
      }
    }),
  ]);
  kill();
  if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((r) => first.child.once('exit', r));
  const acknowledged = puts.filter((s) => s.status === 201);
  const deleted = deletes.filter((d) => d.status === 202);
  assert.ok(acknowledged.length >= 1 && deleted.length >= 1, 'the storm got acknowledgements before the kill');
  for (const s of [...puts, ...deletes]) assert.ok(s.status === undefined || s.status === 201 || s.status === 202, `storm request answered ${s.status}`);

  const restartedAt = Date.now();
  const second = await serve(family, false);
  const restartMs = Date.now() - restartedAt;
  for (const image of images) await assertPullsIdentical(second.url, image);
  for (const s of acknowledged) {
    const res = await fetch(`${second.url}/v2/${s.image.repository}/manifests/${s.tag}`, { headers: { accept: MANIFEST_TYPE } });
    assert.equal(res.status, 200, `acknowledged tag ${s.tag}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(s.image.manifest));
  }
  // An acknowledged delete stays deleted (by digest and by its tag). An unacknowledged one never
  // leaves a tag naming a missing manifest; a manifest it left is whole, and the client's retry
  // of the DELETE (what a client does without an answer) finishes the job.
  const cut = { done: 0, whole: 0, untagged: 0 };
  for (const d of deletes) {
    const where = `${d.image.repository}@${d.image.manifestDigest}`;
    const byDigest = await fetch(`${second.url}/v2/${d.image.repository}/manifests/${d.image.manifestDigest}`, { headers: { accept: MANIFEST_TYPE } });
    const body = Buffer.from(await byDigest.arrayBuffer());
    const byTag = await fetch(`${second.url}/v2/${d.image.repository}/manifests/${d.image.tag}`, { headers: { accept: MANIFEST_TYPE } });
    await byTag.arrayBuffer();
    if (d.status === 202) {
      assert.equal(byDigest.status, 404, `acknowledged delete of ${where} came back`);
      assert.equal(byTag.status, 404, `the tag of deleted ${where} came back`);
      continue;
    }
    if (byDigest.status === 404) {
      assert.equal(byTag.status, 404, `${where}: tag left naming a deleted manifest`);
      cut.done++;
      continue;
    }
    assert.equal(byDigest.status, 200, where);
    assert.ok(body.equals(d.image.manifest), `${where} manifest bytes`);
    for (const [digest, bytes] of d.image.blobs) {
      const b = await fetch(`${second.url}/v2/${d.image.repository}/blobs/${digest}`);
      assert.ok(b.status === 200 && Buffer.from(await b.arrayBuffer()).equals(bytes), `${where} blob ${digest}`);
    }
    if (byTag.status === 200) {
      cut.whole++;
    } else {
      // Half done: the tags went first and the manifest not yet (stores without multi-item
      // transactions delete pointers before what they point at).
      assert.ok(!family.atomicDeletes, `${where}: the interrupted delete took the tag and left the manifest`);
      assert.equal(byTag.status, 404, where);
      cut.untagged++;
    }
    const retry = await fetch(`${second.url}/v2/${d.image.repository}/manifests/${d.image.manifestDigest}`, { method: 'DELETE' });
    assert.equal(retry.status, 202, `retried delete of ${where}: ${await retry.text()}`);
    assert.equal((await fetch(`${second.url}/v2/${d.image.repository}/manifests/${d.image.manifestDigest}`, { method: 'HEAD' })).status, 404, where);
  }

  // Every interrupted upload: its acknowledged offset survived; the rest goes on from there.
  let firstResumeMs = Number.POSITIVE_INFINITY;
  let lastResumeMs = 0;
  await Promise.all(
    uploads.map(async (upload) => {
      const status = await fetch(new URL(upload.location, second.url));
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), `0-${upload.acked - 1}`, 'the acknowledged offset, not the bytes in flight');
      const rest = upload.blob.subarray(upload.acked);
      for (;;) {
        const patch = await fetch(new URL(upload.location, second.url), {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${upload.acked}-${upload.blob.length - 1}` },
          body: new Uint8Array(rest),
        });
        await patch.arrayBuffer();
        if (patch.status === 202) {
          upload.location = patch.headers.get('location') as string;
          break;
        }
        // The dead writer's lease still holds: refused until it expires.
        assert.ok(Date.now() - restartedAt < RESUME_BOUND_MS, `upload blocked for more than the lease: ${patch.status}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const resumedMs = Date.now() - restartedAt;
      firstResumeMs = Math.min(firstResumeMs, resumedMs);
      lastResumeMs = Math.max(lastResumeMs, resumedMs);
      const put = await fetch(new URL(`${upload.location}${upload.location.includes('?') ? '&' : '?'}digest=${sha256(upload.blob)}`, second.url), { method: 'PUT' });
      assert.equal(put.status, 201, await put.text());
      const repo = /\/v2\/(.+)\/blobs\/uploads\//.exec(upload.location)?.[1] as string;
      const got = await fetch(`${second.url}/v2/${repo}/blobs/${sha256(upload.blob)}`);
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(upload.blob));
    }),
  );
  const completedMs = Date.now() - restartedAt;
  assert.ok(completedMs < RESUME_BOUND_MS, `every interrupted upload resumed ${completedMs} ms after the restart`);
  const inFlight = (requests: StormRequest[]) => requests.filter((s) => s.sent && s.status === undefined).length;
  diagnostic(
    `${family.name}: ${acknowledged.length}/${puts.length} tag PUTs and ${deleted.length}/${deletes.length} deletes acknowledged before the kill, all held after it ` +
      `(${inFlight(puts)} PUTs and ${inFlight(deletes)} deletes cut in flight; after the restart ${cut.done} unacknowledged deletes had taken effect, ${cut.whole} left the image whole, ${cut.untagged} had taken the tag only, all finished by a retry); ` +
      `${uploads.length}/${uploads.length} uploads resumed (restart ${restartMs} ms, first PATCH accepted ${firstResumeMs} ms, last ${lastResumeMs} ms, all committed ${completedMs} ms after the restart)`,
  );
}

for (const family of [embedded, awsFamily]) {
  test(`${family.name}: SIGKILL during chunked uploads, a manifest storm and deletes: every acknowledged object intact, acknowledged deletes stay deleted, interrupted uploads resume within 30 s`, {
    timeout: 180_000,
  }, async (t) => {
    await crashScenario(family, (m) => t.diagnostic(m));
  });
}
