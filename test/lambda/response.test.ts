/** RegistryResponse -> REST proxy result: multiValue headers, base64 for bytes, plain text, no streams. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { response, jsonResponse } from '../../src/core/messages.js';
import { toProxyResult, StreamingBodyError } from '../../src/shells/lambda/response.js';

test('manifest bytes go base64 with isBase64Encoded; repeated OCI-Tag stays repeated; HEAD has no body', () => {
  const bytes = randomBytes(5000);
  const res = response(201, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'oci-tag': ['v1', 'latest'], location: '/v2/team/app/manifests/sha256:x' }, bytes);
  const out = toProxyResult(res, false);
  assert.equal(out.statusCode, 201);
  assert.equal(out.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(out.body, 'base64'), bytes);
  assert.deepEqual(out.multiValueHeaders?.['oci-tag'], ['v1', 'latest']);
  assert.deepEqual(out.multiValueHeaders?.location, ['/v2/team/app/manifests/sha256:x'], 'Location stays relative, as the core built it');
  assert.deepEqual(out.multiValueHeaders?.['docker-distribution-api-version'], ['registry/2.0']);
  assert.equal(out.headers, undefined, 'one header map only, so nothing is sent twice');

  const head = toProxyResult(res, true);
  assert.equal(head.body, '');
  assert.equal(head.isBase64Encoded, false);
  assert.deepEqual(head.multiValueHeaders?.['content-type'], ['application/vnd.oci.image.manifest.v1+json']);
});

test('a subarray of a larger buffer is encoded alone', () => {
  const backing = Buffer.from('xxxxhelloyyyy');
  const out = toProxyResult(response(200, {}, new Uint8Array(backing.buffer, backing.byteOffset + 4, 5)), false);
  assert.equal(Buffer.from(out.body, 'base64').toString(), 'hello');
});

test('JSON and text bodies go as they are; no body is an empty string', () => {
  const json = toProxyResult(jsonResponse(200, { tags: ['a'] }, { link: '</v2/app/tags/list?last=a&n=1>; rel="next"' }), false);
  assert.equal(json.isBase64Encoded, false);
  assert.equal(json.body, '{"tags":["a"]}');
  assert.deepEqual(json.multiValueHeaders?.link, ['</v2/app/tags/list?last=a&n=1>; rel="next"']);
  assert.equal(toProxyResult(response(202, { 'content-length': '0' }), false).body, '');
});

test("Content-Length is the body's own length, whatever the core's header said; a HEAD keeps the GET's", () => {
  const wrong = toProxyResult(response(416, { 'content-length': '0', 'content-type': 'application/json' }, '{"errors":[]}'), false);
  assert.deepEqual(wrong.multiValueHeaders?.['content-length'], ['13']);
  const bytes = toProxyResult(response(200, { 'content-length': '1' }, Buffer.from('héllo')), false);
  assert.deepEqual(bytes.multiValueHeaders?.['content-length'], ['6']);
  assert.deepEqual(toProxyResult(response(204, { 'content-length': '5' }), false).multiValueHeaders?.['content-length'], ['0']);
  assert.deepEqual(toProxyResult(response(200, { 'content-length': '1234' }, 'x'), true).multiValueHeaders?.['content-length'], ['1234']);
});

test('a streamed body is a bug on Lambda: StreamingBodyError, and the stream is released', async () => {
  let released = false;
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => ({ done: false, value: new Uint8Array(1) }),
      return: async () => {
        released = true;
        return { done: true, value: undefined };
      },
    }),
  };
  assert.throws(() => toProxyResult(response(200, {}, body), false), StreamingBodyError);
  await new Promise((r) => setImmediate(r));
  assert.equal(released, true);
});
