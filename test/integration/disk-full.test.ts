/**
 * A full disk (issue 12, item 3), on a real 4 MiB tmpfs under a real `stowage serve`: every
 * request that needs space is answered at once with 507 and the OCI error body (code
 * UNAVAILABLE, Retry-After), never a hang and never a 500; nothing half-written becomes visible
 * (the refused blobs are unknown, the refused tag absent); what was pushed before still pulls;
 * and once space is freed the same push succeeds.
 *
 * Mounting needs root (CI runs as root); elsewhere the test is skipped with a message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild, type ServedChild } from '../helpers/serve-child.js';
import { pullImage, pushImage } from '../helpers/push-pull.js';

let base: string;
let mountPoint: string;
let mounted = false;
let mountProblem = '';

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'stowage-full-'));
  mountPoint = join(base, 'small');
  await mkdir(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    mountProblem = String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
});
after(async () => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  await rm(base, { recursive: true, force: true });
});

/** Fills the filesystem under `path` until it refuses another byte. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 << 10, 0xff);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return written;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

/** One request, timed, that must be answered within `bound` ms (a hang fails it). */
async function answered(url: string, init: RequestInit, bound = 15_000): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(bound) });
  const text = await res.text();
  const ms = performance.now() - started;
  let code: string | undefined;
  try {
    code = JSON.parse(text).errors?.[0]?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, ...(code !== undefined && { code }), retryAfter: res.headers.get('retry-after'), ms };
}

test('a full disk: 507 with the OCI error body at once for every push, nothing half-written, pushes work again once space is freed', { timeout: 120_000 }, async (t) => {
  if (!mounted) {
    assert.notEqual(process.getuid?.(), 0, `running as root, the tmpfs must mount: ${mountProblem}`);
    t.skip(`mounting a tmpfs is not permitted here (${mountProblem}); run as root`);
    return;
  }
  let server: ServedChild | undefined;
  try {
    server = await serveChild(['--port', '0', '--data-dir', join(mountPoint, 'data')], { PATH: process.env.PATH }, 30_000);
    assert.ok(server.url, `the server started: ${server.output()}`);
    const url = server.url;
    await pushImage(url, 'full/before', 'v1', 64 << 10);

    const started = await fetch(`${url}/v2/full/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(started.status, 202);
    const pending = new URL(started.headers.get('location') ?? '', url);
    const filler = join(mountPoint, 'filler');
    fill(filler);

    const layer = randomBytes(1 << 20);
    const digest = sha256(layer);
    const answers: Record<string, Answer> = {};
    // A monolithic upload (POST ?digest= with the body).
    answers.monolithic = await answered(`${url}/v2/full/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: layer,
    });
    // A new upload; and the body of one started before the disk filled, in one PATCH (docker, skopeo).
    answers.post = await answered(`${url}/v2/full/app/blobs/uploads/`, { method: 'POST' });
    answers.patch = await answered(pending.href, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body: layer });
    const failures = Object.entries(answers).filter(([, a]) => a.status >= 400);
    assert.equal(failures.length, 3, `every push was refused: ${JSON.stringify(answers)}`);
    for (const [step, a] of failures) {
      assert.equal(a.status, 507, `${step}: 507 for a full disk (${JSON.stringify(a)})`);
      assert.equal(a.code, 'UNAVAILABLE', `${step}: the OCI error body`);
      assert.ok(Number(a.retryAfter) > 0, `${step}: Retry-After`);
    }
    const firstError = failures[0]?.[1];
    t.diagnostic(
      `full disk: ${failures.map(([step, a]) => `${step} ${a.status} in ${Math.round(a.ms)} ms`).join(', ')}; time to the first error ${Math.round(firstError?.ms ?? 0)} ms`,
    );

    // Nothing half-written is visible; what was pushed before still pulls.
    assert.equal((await fetch(`${url}/v2/full/app/blobs/${digest}`, { method: 'HEAD' })).status, 404, 'the refused blob is unknown');
    const status = await fetch(pending);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-0', 'the refused PATCH left its upload where it stood, so it can resume');
    await pullImage(url, 'full/before', 'v1');

    await rm(filler);
    await pushImage(url, 'full/app', 'v1', 1 << 20);
    await pullImage(url, 'full/app', 'v1');
  } finally {
    await server?.stop();
  }
});
