/** REST proxy event -> IncomingRequest: path, query, headers and body as the core expects them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toIncomingRequest, bodyLength } from '../../src/shells/lambda/request.js';
import { proxyEvent } from '../helpers/proxy-event.js';

async function read(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

test('the path is the public event.path, never requestContext.path with its stage', () => {
  const event = proxyEvent({ method: 'get', url: '/v2/team/app/manifests/v1', stage: 'prod' });
  assert.equal(event.requestContext.path, '/prod/v2/team/app/manifests/v1');
  const req = toIncomingRequest(event);
  assert.equal(req.path, '/v2/team/app/manifests/v1');
  assert.equal(req.method, 'GET');
});

test('a path the front door rewrote (/v2/_r/<kind>/<ref> + x-stowage-repository) gets its name back; the header does not reach the core', () => {
  const event = proxyEvent({ method: 'GET', url: '/v2/_r/manifests/v1', headers: { 'X-Stowage-Repository': 'org/tags/a%2Fb' } });
  const req = toIncomingRequest(event);
  assert.equal(req.path, '/v2/org/tags/a%2Fb/manifests/v1', 'verbatim, still percent-encoded: the core validates it');
  assert.equal(req.headers['x-stowage-repository'], undefined);
  const uploads = toIncomingRequest(proxyEvent({ method: 'POST', url: '/v2/_r/blobs/uploads/', headers: { 'x-stowage-repository': 'x/manifests' } }));
  assert.equal(uploads.path, '/v2/x/manifests/blobs/uploads/');
  // Without the header (a direct call with the API key) the path stays, and `_r` is no valid name.
  assert.equal(toIncomingRequest(proxyEvent({ method: 'GET', url: '/v2/_r/tags/list' })).path, '/v2/_r/tags/list');
  // Only rewritten paths take the header.
  assert.equal(toIncomingRequest(proxyEvent({ method: 'GET', url: '/v2/a/tags/list', headers: { 'x-stowage-repository': 'b' } })).path, '/v2/a/tags/list');
});

test('a base64 body is decoded byte-exact; Content-Length is its real length; an empty body is empty', async () => {
  const data = randomBytes(70_000);
  const event = proxyEvent({ method: 'PATCH', url: '/v2/app/blobs/uploads/u', body: data, headers: { 'Transfer-Encoding': 'chunked' } });
  assert.equal(event.isBase64Encoded, true);
  assert.equal(bodyLength(event), data.length);
  const req = toIncomingRequest(event);
  assert.deepEqual(await read(req.body), data);
  assert.equal(req.headers['content-length'], String(data.length));
  assert.equal(req.headers['transfer-encoding'], undefined, 'the Lambda holds a whole, de-chunked body');

  const text = proxyEvent({ method: 'PUT', url: '/v2/app/manifests/v1', body: '{"a":"é"}', textBody: true });
  assert.equal(text.isBase64Encoded, false);
  assert.equal(bodyLength(text), 10);
  assert.equal((await read(toIncomingRequest(text).body)).toString(), '{"a":"é"}');

  const none = toIncomingRequest(proxyEvent({ method: 'GET', url: '/v2/' }));
  assert.equal((await read(none.body)).length, 0);
  assert.equal(none.headers['content-length'], undefined);
});

test('headers: names lower-cased, repeated values joined as node:http joins them', () => {
  const event = proxyEvent({
    method: 'GET',
    url: '/v2/app/manifests/v1',
    headers: { Accept: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json'], 'X-Thing': 'y' },
  });
  const req = toIncomingRequest(event);
  assert.equal(req.headers.accept, 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json');
  assert.equal(req.headers['x-thing'], 'y');
  assert.equal(req.headers.Accept, undefined);
  // Only the single-value map (a hand-made event): still read.
  const single = toIncomingRequest({ ...event, multiValueHeaders: {}, headers: { Range: 'bytes=0-1' } });
  assert.equal(single.headers.range, 'bytes=0-1');
});

test('query: repeated parameters survive (tag=a&tag=b), from multiValueQueryStringParameters', () => {
  const event = proxyEvent({ method: 'PUT', url: '/v2/app/manifests/sha256:abc?tag=a&tag=b&n=2' });
  assert.deepEqual(event.queryStringParameters, { tag: 'b', n: '2' }, 'the single-value map keeps only the last tag');
  const req = toIncomingRequest(event);
  assert.deepEqual(req.query.getAll('tag'), ['a', 'b']);
  assert.equal(req.query.get('n'), '2');
  const single = toIncomingRequest({ ...event, multiValueQueryStringParameters: null });
  assert.deepEqual(single.query.getAll('tag'), ['b']);
});
