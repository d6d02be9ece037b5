/**
 * 2,000 trickling connections cannot stop a normal client (issue 12, item 2). Half send a request
 * head one byte a second and never finish it; half start an upload and send its body one byte a
 * second (each holding a socket and an open upload file in the server). While they are held, a
 * normal client from another address pushes and pulls an image. Then the body tricklers fall
 * silent and the server's body idle timeout ends them; the head tricklers hang up. The server's
 * descriptor count (/proc/<pid>/fd of a real `stowage serve`) must come back to its baseline.
 *
 * The tricklers come from ten loopback addresses (127.0.0.2-11), 200 each, under the
 * per-address cap the server is given; the normal client comes from 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild } from '../helpers/serve-child.js';
import { RawConnection } from '../helpers/raw-http.js';
import { pullImage, pushImage } from '../helpers/push-pull.js';

const ADDRESSES = 10;
const HEADS_PER_ADDRESS = 100;
const BODIES_PER_ADDRESS = 100;
const BODY_IDLE_SECONDS = 3;

const fdCount = async (pid: number) => (await readdir(`/proc/${pid}/fd`)).length;

/** This process's soft limit on open files: the test holds one socket per trickler itself. */
async function openFileLimit(): Promise<number> {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(await readFile('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('2,000 trickling connections: a normal push and pull still work, and descriptors return to baseline', { timeout: 120_000 }, async (t) => {
  const total = ADDRESSES * (HEADS_PER_ADDRESS + BODIES_PER_ADDRESS);
  const limit = await openFileLimit();
  if (limit < total + 1000) {
    t.skip(`this process may open only ${limit} files and the test holds ${total} sockets: raise ulimit -n`);
    return;
  }
  const data = await mkdtemp(join(tmpdir(), 'stowage-slow-'));
  const server = await serveChild(
    [
      '--port',
      '0',
      '--data-dir',
      data,
      '--log-level',
      'warn',
      '--headers-timeout',
      '120',
      '--body-idle-timeout',
      String(BODY_IDLE_SECONDS),
      '--connections-per-address',
      String(HEADS_PER_ADDRESS + BODIES_PER_ADDRESS),
      '--uploads-per-address',
      String(BODIES_PER_ADDRESS),
    ],
    { PATH: process.env.PATH },
    30_000,
    'ulimit -n 8192',
  );
  const heads: RawConnection[] = [];
  const bodies: RawConnection[] = [];
  let trickle: NodeJS.Timeout | undefined;
  try {
    assert.ok(server.url, `the server started: ${server.output()}`);
    const url = server.url;
    const pid = server.child.pid as number;
    await pushImage(url, 'slow/warmup', 'v1');
    const baseline = await fdCount(pid);

    const slots = Array.from({ length: ADDRESSES }, (_, i) => `127.0.0.${i + 2}`);
    // One byte a second on every trickler, from the moment it is open.
    trickle = setInterval(() => {
      for (const c of heads) c.write('a');
      for (const c of bodies) c.write(Buffer.alloc(1));
    }, 1000);
    const started = performance.now();
    await inBatches(
      slots.flatMap((a) => Array.from({ length: HEADS_PER_ADDRESS }, () => a)),
      100,
      async (address) => {
        const conn = await RawConnection.open(url, address);
        conn.write('GET /v2/ HTTP/1.1\r\nhost: registry.test\r\nx-trickle: ');
        heads.push(conn);
      },
    );
    await inBatches(
      slots.flatMap((a) => Array.from({ length: BODIES_PER_ADDRESS }, () => a)),
      50,
      async (address) => {
        const conn = await RawConnection.open(url, address);
        const post = await conn.send('POST', '/v2/slow/trickle/blobs/uploads/');
        assert.equal(post.status, 202);
        conn.startRequest('PATCH', post.headers.location as string, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) });
        conn.write(Buffer.alloc(1));
        bodies.push(conn);
      },
    );
    const openedMs = performance.now() - started;
    const during = await fdCount(pid);

    const pushStarted = performance.now();
    await pushImage(url, 'slow/normal', 'v1', 1 << 20);
    await pullImage(url, 'slow/normal', 'v1');
    const pushPullMs = performance.now() - pushStarted;
    const stillHeld = [...heads, ...bodies].filter((c) => !c.isClosed).length;

    clearInterval(trickle);
    trickle = undefined;
    // The body tricklers fall silent: the server's idle timeout ends each and frees its file.
    const stalled = await Promise.all(bodies.map((c) => c.response()));
    assert.deepEqual([...new Set(stalled.map((r) => r.status))], [408], 'every silent body is answered 408');
    for (const c of heads) c.close();
    await until('the descriptor count returns to its baseline', 30_000, async () => (await fdCount(pid)) <= baseline + 5);
    const afterwards = await fdCount(pid);
    t.diagnostic(
      `connections held: ${stillHeld} of ${total} (opened in ${Math.round(openedMs)} ms); server fds: baseline ${baseline}, during ${during}, after ${afterwards}; normal push+pull ${Math.round(pushPullMs)} ms`,
    );
    assert.equal(stillHeld, total, 'the server held every trickler under the caps');
    assert.ok(during >= baseline + total + (ADDRESSES * BODIES_PER_ADDRESS) / 2, `the server held a socket per trickler and a file per upload (${during} fds)`);
    await pushImage(url, 'slow/after', 'v1');
  } finally {
    clearInterval(trickle);
    for (const c of [...heads, ...bodies]) c.close();
    await server.stop();
    await rm(data, { recursive: true, force: true });
  }
});
