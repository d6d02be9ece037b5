/**
 * The hashing thread (src/core/hash-thread.ts) must give exactly node's digest whatever the chunk
 * sizes (chunks straddling its 1 MiB slots, a partly filled slot at a digest), keep copies
 * independent of their source, and bound what one hasher queues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ThreadHasher } from '../../src/core/hash-thread.js';

const digest = (algorithm: 'sha256' | 'sha512', ...parts: Uint8Array[]) => {
  const hash = createHash(algorithm);
  for (const p of parts) hash.update(p);
  return `${algorithm}:${hash.digest('hex')}`;
};

test('a body in uneven chunks across several slots hashes to node:crypto digest, in both algorithms', async () => {
  const data = randomBytes(5 * (1 << 20) + 12_345);
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const hasher = ThreadHasher.create(algorithm);
    // 1 byte, 65,537, 65,537, a chunk larger than a slot, then the rest (about 4 MiB) at once.
    const cuts = [0, 1, 65_538, 131_075, 131_075 + (1 << 20) + 7, data.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      await hasher.update(data.subarray(cuts[i], cuts[i + 1]));
    }
    assert.equal(await hasher.digestSoFar(), digest(algorithm, data));
  }
});

test('digestSoFar mid-stream leaves the hasher usable, and an empty hasher gives the empty digest', async () => {
  const hasher = ThreadHasher.create('sha256');
  assert.equal(await hasher.digestSoFar(), digest('sha256'));
  await hasher.update(Buffer.from('ab'));
  assert.equal(await hasher.digestSoFar(), digest('sha256', Buffer.from('ab')));
  await hasher.update(Buffer.from('c'));
  assert.equal(await hasher.digestSoFar(), digest('sha256', Buffer.from('abc')));
  assert.equal(hasher.usable, true);
});

test('a copy continues from the bytes hashed so far, and neither affects the other', async () => {
  const head = randomBytes(1_500_000);
  const a = randomBytes(70_000);
  const b = randomBytes(2_000_000);
  const source = ThreadHasher.create('sha256');
  await source.update(head); // leaves a partly filled slot, which the copy must include
  const copy = source.copy();
  await source.update(a);
  await copy.update(b);
  assert.equal(await source.digestSoFar(), digest('sha256', head, a));
  assert.equal(await copy.digestSoFar(), digest('sha256', head, b));
});

test('a hasher that is fed faster than the thread hashes asks its caller to wait', async () => {
  const hasher = ThreadHasher.create('sha256');
  const slot = randomBytes(1 << 20);
  let waits = 0;
  for (let i = 0; i < 16; i++) {
    const wait = hasher.update(slot);
    if (wait) {
      waits++;
      await wait;
    }
  }
  assert.ok(waits > 0, 'sixteen 1 MiB updates in a row never waited: nothing bounds the memory queued');
  assert.equal(await hasher.digestSoFar(), digest('sha256', ...Array(16).fill(slot)));
});
