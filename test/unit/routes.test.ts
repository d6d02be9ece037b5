import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, ROUTES } from '../../src/core/routes.js';

function op(method: string, path: string): string {
  const m = matchRoute(method, path);
  return m.kind === 'match' ? `${m.route.operation} ${JSON.stringify(m.params)}` : m.kind;
}

test('every route is reachable and names spanning several segments are captured whole', () => {
  assert.equal(op('GET', '/v2/'), 'ping {}');
  assert.equal(op('GET', '/v2/_catalog'), 'catalog {}');
  assert.equal(op('GET', '/v2/a/b/c/tags/list'), 'listTags {"name":"a/b/c"}');
  assert.equal(op('PUT', '/v2/a/b/manifests/v1'), 'putManifest {"name":"a/b","reference":"v1"}');
  assert.equal(op('POST', '/v2/a/blobs/uploads/'), 'startUpload {"name":"a"}');
  assert.equal(op('PATCH', '/v2/a/blobs/uploads/u-1'), 'patchUpload {"name":"a","uuid":"u-1"}');
  assert.equal(op('HEAD', '/v2/a/blobs/sha256:x'), 'headBlob {"name":"a","digest":"sha256:x"}');
  assert.equal(op('GET', '/v2/a/referrers/sha256:x'), 'listReferrers {"name":"a","digest":"sha256:x"}');
  // A repository may itself contain path components named like endpoints.
  assert.equal(op('GET', '/v2/blobs/uploads/manifests/manifests/latest'), 'getManifest {"name":"blobs/uploads/manifests","reference":"latest"}');
  for (const r of ROUTES) assert.ok(r.path.startsWith('/v2/'));
});

test('a known path with a wrong method is method-not-allowed; unknown paths match nothing', () => {
  assert.equal(matchRoute('POST', '/v2/a/manifests/v1').kind, 'method-not-allowed');
  assert.equal(matchRoute('GET', '/v2/a/unknown/x').kind, 'no-route');
  assert.equal(matchRoute('GET', '/v3/').kind, 'no-route');
});

test('raw paths are not decoded, so encoded traversal reaches the name grammar intact', () => {
  const m = matchRoute('GET', '/v2/a/%2e%2e/b/manifests/v1');
  assert.equal(m.kind === 'match' && m.params.name, 'a/%2e%2e/b');
});
