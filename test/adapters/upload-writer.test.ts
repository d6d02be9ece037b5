/**
 * The filesystem store's body writer (src/adapters/embedded/upload-writer.ts): what it writes
 * lands byte for byte at the offset, whatever the chunk sizes; a body that fails half-way
 * rejects only once no write of it is still running (the store then truncates and closes the file).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBody } from '../../src/adapters/embedded/upload-writer.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-upload-writer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(data: Buffer, sizes: number[], failAfter?: number): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    if (failAfter !== undefined && at >= failAfter) throw new Error('client went away');
    const size = sizes[i % sizes.length] ?? 1;
    yield data.subarray(at, at + size);
    at += size;
  }
}

test('a body of uneven chunks spanning many slabs lands byte for byte after the bytes already there', async () => {
  const path = join(dir, 'upload');
  const head = randomBytes(1000);
  const body = randomBytes(20 * (1 << 20) + 333); // more than the background-sync interval
  const handle = await open(path, 'w+');
  try {
    await handle.write(head, 0, head.length, 0);
    const written = await writeBody(handle, head.length, chunks(body, [65_536, 1, 3 << 20, 12_345]));
    assert.equal(written, body.length);
  } finally {
    await handle.close();
  }
  assert.ok((await readFile(path)).equals(Buffer.concat([head, body])), 'the file differs from what was sent');
});

test('a body that fails half-way rejects with its error after its writes settled', async () => {
  const path = join(dir, 'failing');
  const body = randomBytes(12 << 20);
  const handle = await open(path, 'w+');
  try {
    await assert.rejects(writeBody(handle, 0, chunks(body, [65_536], 9 << 20)), /client went away/);
    // Nothing the failed body queued may land after the rejection (the store truncates then).
    const size = (await handle.stat()).size;
    await handle.truncate(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await handle.stat()).size, 0, `a write of the failed body landed after it was rejected (size was ${size})`);
  } finally {
    await handle.close();
  }
});
