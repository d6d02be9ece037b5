/**
 * Crash safety on the embedded family, proven against a real process: SIGKILL while chunked
 * uploads stream and a storm of manifest PUTs is in flight, then a restart on the same data
 * directory. Every acknowledged object (image, tag, chunk) is intact, and every upload the crash
 * interrupted resumes from its last acknowledged offset and completes (the dead writer's lease
 * blocks its session for at most 30 s). Acknowledged means durable: blob commits fsync the file
 * and its directory, SQLite runs with synchronous=FULL (sqlite-metadata-store.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServedChild, serveChild } from '../helpers/serve-child.js';
import { assertPullsIdentical, type PushedImage, pushImage, sha256 } from '../helpers/push.js';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
let dir = '';
const children: ServedChild[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-crash-'));
});
after(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop();
  await rm(dir, { recursive: true, force: true });
});

async function serve(dataDir: string): Promise<ServedChild & { url: string }> {
  const c = await serveChild(['--port', '0', '--data-dir', dataDir], { PATH: process.env.PATH }, 60_000);
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

test('SIGKILL during chunked uploads and a manifest storm: every acknowledged object intact, interrupted uploads resume within 30 s', { timeout: 180_000 }, async () => {
  const dataDir = join(dir, 'data');
  const first = await serve(dataDir);
  const images: PushedImage[] = [];
  for (let i = 0; i < 4; i++) images.push(await pushImage(first.url, `crash/img${i}`, 'v1', 2, 128 * 1024));

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

  // A storm of tag pushes; the process is killed as soon as the first is acknowledged.
  const storm: { tag: string; image: PushedImage; status?: number }[] = Array.from({ length: 32 }, (_, i) => ({
    tag: `storm${i}`,
    image: images[i % images.length] as PushedImage,
  }));
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    first.child.kill('SIGKILL');
  };
  await Promise.all(
    storm.map(async (s) => {
      try {
        const res = await fetch(`${first.url}/v2/${s.image.repository}/manifests/${s.tag}`, {
          method: 'PUT',
          headers: { 'content-type': MANIFEST_TYPE },
          body: new Uint8Array(s.image.manifest),
        });
        s.status = res.status;
        if (res.status === 201) kill();
      } catch {
        // cut by the kill: not acknowledged
      }
    }),
  );
  kill();
  if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((r) => first.child.once('exit', r));
  const acknowledged = storm.filter((s) => s.status === 201);
  assert.ok(acknowledged.length >= 1);

  const restartedAt = Date.now();
  const second = await serve(dataDir);
  for (const image of images) await assertPullsIdentical(second.url, image);
  for (const s of acknowledged) {
    const res = await fetch(`${second.url}/v2/${s.image.repository}/manifests/${s.tag}`, { headers: { accept: MANIFEST_TYPE } });
    assert.equal(res.status, 200, `acknowledged tag ${s.tag}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(s.image.manifest));
  }

  // Every interrupted upload: its acknowledged offset survived; the rest goes on from there.
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
        assert.ok(Date.now() - restartedAt < 45_000, `upload blocked for more than the lease: ${patch.status}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const put = await fetch(new URL(`${upload.location}${upload.location.includes('?') ? '&' : '?'}digest=${sha256(upload.blob)}`, second.url), { method: 'PUT' });
      assert.equal(put.status, 201, await put.text());
      const repo = /\/v2\/(.+)\/blobs\/uploads\//.exec(upload.location)?.[1] as string;
      const got = await fetch(`${second.url}/v2/${repo}/blobs/${sha256(upload.blob)}`);
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(upload.blob));
    }),
  );
  const resumedWithin = Date.now() - restartedAt;
  assert.ok(resumedWithin < 45_000, `every interrupted upload resumed ${resumedWithin} ms after the restart`);
});
