/**
 * Blob GETs on the embedded server read the file into buffers the shell hands back
 * (src/adapters/embedded/file-body.ts, src/shells/http/recycled-body.ts). A client that goes away
 * mid-body must not leave the blob file open (enough of them and the server runs out of file
 * descriptors), and the bytes every client gets must be the blob's, chunk after reused chunk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdir, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStowage, type TestRegistry } from '../helpers/server.js';

let registry: TestRegistry;
const blob = randomBytes((5 << 20) + 12_345);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const path = `/v2/abort/app/blobs/${digest}`;

before(async () => {
  registry = await startStowage({ backend: 'embedded' });
  const post = await fetch(`${registry.url}/v2/abort/app/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const location = new URL(post.headers.get('location')!, registry.url);
  location.searchParams.set('digest', digest);
  assert.equal((await fetch(location, { method: 'PUT', body: blob })).status, 201);
});
after(() => registry.close());

/** This process's open descriptors on committed blob files. */
async function openBlobFiles(): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(registry.dataDir) && t.includes('/blobs/'));
}

/** Starts a GET, takes its first chunk, and hangs up. */
function getAndHangUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${registry.url}${path}`, { agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
  });
}

test('clients that hang up mid-GET leave no blob file open', { skip: process.platform !== 'linux' && 'reads /proc/self/fd' }, async () => {
  for (let i = 0; i < 20; i++) await getAndHangUp();
  let open = await openBlobFiles();
  for (let waited = 0; open.length > 0 && waited < 5_000; waited += 100) {
    await sleep(100);
    open = await openBlobFiles();
  }
  assert.deepEqual(open, []);
});

test('whole and ranged GETs, several at once, return exactly the blob bytes', async () => {
  const whole = await Promise.all(Array.from({ length: 4 }, () => fetch(`${registry.url}${path}`).then(async (r) => Buffer.from(await r.arrayBuffer()))));
  for (const b of whole) assert.ok(b.equals(blob));
  const start = (1 << 20) - 7;
  const end = (3 << 20) + 5;
  const ranged = await fetch(`${registry.url}${path}`, { headers: { range: `bytes=${start}-${end}` } });
  assert.equal(ranged.status, 206);
  assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(blob.subarray(start, end + 1)));
});
