import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { NativeHasher, ResumableHasher } from '../../src/core/hashing.js';

test('a resumable hash state saved mid-stream continues in a new hasher to the right digest', async () => {
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const data = randomBytes(300_001);
    const first = await ResumableHasher.create(algorithm);
    first.update(data.subarray(0, 123_457));
    const state = first.saveState();
    const second = await ResumableHasher.create(algorithm, state);
    second.update(data.subarray(123_457));
    assert.equal(second.digestSoFar(), `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`);
  }
});

test('digestSoFar leaves both hashers usable', async () => {
  const n = new NativeHasher('sha256');
  const r = await ResumableHasher.create('sha256');
  for (const h of [n, r]) {
    h.update(Buffer.from('ab'));
    assert.equal(h.digestSoFar(), `sha256:${createHash('sha256').update('ab').digest('hex')}`);
    h.update(Buffer.from('c'));
    assert.equal(h.digestSoFar(), `sha256:${createHash('sha256').update('abc').digest('hex')}`);
  }
});
