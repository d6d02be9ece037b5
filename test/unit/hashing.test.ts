import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { NativeHasher, ResumableHasher, NativeHashCache } from '../../src/core/hashing.js';

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

test('the native hash cache holds one state per upload at its offset', () => {
  const cache = new NativeHashCache(2);
  const h = new NativeHasher('sha256');
  h.update(Buffer.from('x'));
  cache.put('u1', 1, h.snapshot());
  assert.ok(cache.get('u1', 1));
  assert.equal(cache.get('u1', 2), undefined);
  cache.put('u1', 5, h.snapshot());
  assert.equal(cache.get('u1', 1), undefined, 'an older offset of the same upload is dropped');
  cache.put('u2', 1, h.snapshot());
  cache.put('u3', 1, h.snapshot());
  assert.equal(cache.get('u1', 5), undefined, 'the oldest entry is evicted at capacity');
});
