/** The S3 key layout and the upload state's rules (pure: no emulator). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Keys } from '../../src/adapters/aws/s3-keys.js';
import { MAX_PARTS, MIB, maxStreamedBlobSize, parseUploadState, partSizeFor, storedBytes } from '../../src/adapters/aws/s3-upload-state.js';

const HEX = 'ab'.repeat(32);
const ID = '0b7f3a52-6a4c-4f4e-9d0e-2f1c3a4b5c6d';

test('S3 keys: pointers by digest, content and leftovers by upload, all under the prefix', () => {
  const keys = new S3Keys('reg/');
  assert.equal(keys.blobPointer(`sha256:${HEX}`), `reg/blobs/sha256/${HEX}`);
  assert.equal(keys.content(ID), `reg/content/${ID}`);
  assert.equal(keys.upload(ID), `reg/uploads/${ID}/`);
  assert.equal(keys.leftover(ID, 4096, 'a-b'), `reg/uploads/${ID}/leftover/000000000004096-a-b`);
  assert.ok(keys.isContentKey(`reg/content/${ID}`));
  assert.ok(!keys.isContentKey(`reg/uploads/${ID}/leftover/x`));
  assert.ok(keys.isLeftoverOf(ID, keys.leftover(ID, 0, 'x')));
  assert.ok(!keys.isLeftoverOf(ID, keys.leftover('other', 0, 'x')));
  assert.equal(new S3Keys().content(ID), `content/${ID}`);
});

test('S3 keys: refuse unvalidated digests and upload ids', () => {
  const keys = new S3Keys();
  for (const bad of ['sha256:../x', `SHA256:${HEX}`, 'sha256:abc', HEX]) assert.throws(() => keys.blobPointer(bad), /not a validated digest/);
  for (const bad of ['', '../x', 'a/b', 'x'.repeat(65)]) assert.throws(() => keys.content(bad), /not an upload id/);
});

test('S3 upload state: 16 MiB parts, 128 MiB from part 2,001; a streamed blob reaches 1,031.25 GiB', () => {
  assert.equal(partSizeFor(0, 16 * MIB), 16 * MIB);
  assert.equal(partSizeFor(1_999, 16 * MIB), 16 * MIB);
  assert.equal(partSizeFor(2_000, 16 * MIB), 128 * MIB);
  assert.equal(partSizeFor(2_000, 256 * MIB), 256 * MIB);
  assert.equal(maxStreamedBlobSize(16 * MIB) / 1024 ** 3, 1031.25);
  assert.equal(MAX_PARTS, 10_000);
});

test('S3 upload state: parses what the store wrote and refuses anything else', () => {
  const keys = new S3Keys();
  const isLeftover = (k: string) => keys.isLeftoverOf(ID, k);
  const leftover = keys.leftover(ID, 16 * MIB, 'x');
  const good = { multipartUploadId: 'm', parts: [{ partNumber: 1, etag: '"e"', size: 16 * MIB, crc32: 'AAAAAA==' }], leftovers: [{ key: leftover, size: 10 }] };
  const state = parseUploadState(JSON.parse(JSON.stringify(good)), isLeftover);
  assert.deepEqual(state, good);
  assert.equal(storedBytes(state), 16 * MIB + 10);
  assert.deepEqual(parseUploadState({ parts: [], leftovers: [] }, isLeftover), { parts: [], leftovers: [] });
  const bad: unknown[] = [
    null,
    {},
    { parts: [{ partNumber: 2, etag: '"e"', size: 1 }], leftovers: [], multipartUploadId: 'm' }, // gap
    { parts: [{ partNumber: 1, etag: '"e"', size: 1 }], leftovers: [] }, // parts without an upload
    { parts: [], leftovers: [{ key: 'blobs/sha256/x', size: 1 }] }, // not this upload's leftover
    { parts: [], leftovers: [{ key: leftover, size: -1 }] },
  ];
  for (const raw of bad) assert.throws(() => parseUploadState(raw, isLeftover), /not an S3 upload state/);
});
