/** Blob GET reads within one memory budget (src/adapters/embedded/blob-reads.ts), on real files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { READ_BUDGET_BYTES, ReadBudget } from '../../src/adapters/embedded/blob-reads.js';

async function withFile(bytes: Buffer, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'blob-reads-'));
  try {
    const path = join(dir, 'blob');
    await writeFile(path, bytes);
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function chunksOf(stream: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return out;
}

test('one reader gets the whole file and ranges in 4 MiB reads', async () => {
  const data = randomBytes(9 << 20);
  await withFile(data, async (path) => {
    const budget = new ReadBudget();
    const whole = await chunksOf(budget.stream(await open(path, 'r')));
    assert.deepEqual(Buffer.concat(whole), data);
    assert.deepEqual(
      whole.map((c) => c.length),
      [4 << 20, 4 << 20, 1 << 20],
    );
    const part = Buffer.concat(await chunksOf(budget.stream(await open(path, 'r'), 5, (5 << 20) + 6)));
    assert.deepEqual(part, data.subarray(5, (5 << 20) + 7));
  });
});

test('32 readers at once share the budget: no read is larger than its share, all bytes arrive', async () => {
  const data = randomBytes(3 << 20);
  await withFile(data, async (path) => {
    const budget = new ReadBudget();
    const streams = await Promise.all(Array.from({ length: 32 }, async () => budget.stream(await open(path, 'r'))));
    const results = await Promise.all(streams.map(chunksOf));
    for (const chunks of results) {
      assert.deepEqual(Buffer.concat(chunks), data);
      assert.ok(Math.max(...chunks.map((c) => c.length)) <= READ_BUDGET_BYTES / 32, 'each read within its share of the budget');
    }
    // All ended, so the budget is whole again for the next reader.
    assert.equal(budget.chunkBytes(), 4 << 20);
  });
});

test('a reader destroyed mid-way gives its share back and closes its file', async () => {
  const data = randomBytes(2 << 20);
  await withFile(data, async (path) => {
    const budget = new ReadBudget(1 << 20);
    const handle = await open(path, 'r');
    const stream = budget.stream(handle);
    assert.equal(budget.chunkBytes(), 1 << 20);
    const other = budget.stream(await open(path, 'r'));
    assert.equal(budget.chunkBytes(), 512 << 10, 'two readers: half each');
    for await (const _ of stream) break; // the consumer stops early: the stream is destroyed
    assert.equal(budget.chunkBytes(), 1 << 20);
    if (!stream.closed) await new Promise((resolve) => stream.once('close', resolve));
    assert.equal(handle.fd, -1, 'the file handle is closed');
    assert.deepEqual(Buffer.concat(await chunksOf(other)), data);
  });
});

test('a range past the end of a truncated file fails the stream instead of ending it short', async () => {
  const data = randomBytes(1 << 20);
  await withFile(data, async (path) => {
    const handle = await open(path, 'r');
    await truncate(path, 1000);
    await assert.rejects(chunksOf(new ReadBudget().stream(handle, 0, data.length - 1)), /ends at byte 1000/);
  });
});
