import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentRange, resolveBlobRange, uploadRangeHeader } from '../../src/core/ranges.js';
import { RegistryError } from '../../src/core/errors.js';
import { errorResponse } from '../../src/core/error-response.js';

test('blob GET ranges resolve against the blob size', () => {
  assert.equal(resolveBlobRange(undefined, 10), undefined);
  assert.deepEqual(resolveBlobRange('bytes=0-4', 10), { start: 0, end: 4 });
  assert.deepEqual(resolveBlobRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(resolveBlobRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(resolveBlobRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(resolveBlobRange('bytes=8-100', 10), { start: 8, end: 9 }, 'end is clamped to the last byte');
});

test('unsatisfiable, malformed and multi-ranges answer 416 with Content-Range bytes */size', () => {
  for (const h of ['bytes=10-', 'bytes=10-12', 'bytes=5-2', 'bytes=-0', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b', 'bytes=-']) {
    assert.throws(
      () => resolveBlobRange(h, 10),
      (err: unknown) => err instanceof RegistryError && err.status === 416 && errorResponse(err).headers['content-range'] === 'bytes */10',
      h,
    );
  }
  assert.throws(
    () => resolveBlobRange('bytes=0-0', 0),
    (err: unknown) => err instanceof RegistryError && err.status === 416,
  );
});

test('upload Content-Range is START-END, inclusive', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
  for (const h of ['', '5', '9-5', 'a-b', '-5', '0-1-2']) {
    assert.throws(
      () => parseContentRange(h),
      (err: unknown) => err instanceof RegistryError && err.code === 'BLOB_UPLOAD_INVALID',
      h,
    );
  }
});

test('upload Range header names the last byte received', () => {
  assert.equal(uploadRangeHeader(0), '0-0');
  assert.equal(uploadRangeHeader(1), '0-0');
  assert.equal(uploadRangeHeader(100), '0-99');
});
