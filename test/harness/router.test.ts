/** API Gateway routing over the resource tree the synthesized template declares (and a greedy one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceNode } from './api-model.js';
import { stackModels } from './harness.js';
import { matchResource, methodOf } from './router.js';

const { api } = stackModels();
const route = (path: string) => {
  const m = matchResource(api.root, path);
  return m && { resource: m.resource.path, params: m.pathParameters };
};

test("the tree is the template's: the fixed route shape, an ANY method per registry resource, the token endpoint", () => {
  const all = api.methods.map((m) => `${m.httpMethod} ${m.resourcePath}`);
  assert.ok(all.includes('GET /v2'));
  assert.ok(all.includes('HEAD /v2/_r/manifests/{reference}'));
  assert.ok(all.includes('POST /v2/_r/blobs/uploads'));
  assert.ok(all.includes('ANY /v2/_r/manifests/{reference}'));
  assert.ok(all.includes('POST /token'));
  assert.ok(!all.some((m) => m.includes('{n1}')), 'no per-depth resources');
});

test('literal children win over the variable sibling; variables take one segment, decoded; ANY answers the other methods', () => {
  assert.deepEqual(route('/v2/_catalog'), { resource: '/v2/_catalog', params: {} });
  assert.deepEqual(route('/v2/_r/manifests/v1'), { resource: '/v2/_r/manifests/{reference}', params: { reference: 'v1' } });
  assert.deepEqual(route('/v2/_r/blobs/sha256%3Aab'), { resource: '/v2/_r/blobs/{digest}', params: { digest: 'sha256:ab' } });
  assert.equal(route('/v2/_r/blobs/uploads')?.resource, '/v2/_r/blobs/uploads', 'the literal, not {digest}');
  assert.equal(methodOf(matchResource(api.root, '/v2/_r/manifests/v1')!.resource, 'GET')?.operationName, 'getManifest');
  assert.equal(methodOf(matchResource(api.root, '/v2/_r/manifests/v1')!.resource, 'PATCH')?.operationName, 'methodNotAllowed', 'the ANY method');
});

test('a trailing slash is ignored: /v2/ is the /v2 resource, POST .../blobs/uploads/ the uploads resource', () => {
  assert.equal(route('/v2/')?.resource, '/v2');
  assert.equal(route('/v2')?.resource, '/v2');
  assert.equal(route('/v2/_r/blobs/uploads/')?.resource, '/v2/_r/blobs/uploads');
  assert.equal(route('/')?.resource, '/');
});

test('no backtracking: a literal that matches is kept even when its subtree then fails (as on AWS)', () => {
  // `uploads` is the literal child of blobs; its {uuid} has no children, and API Gateway does not
  // fall back to blobs/{digest}: why the API needs the front door's fixed route shape.
  assert.equal(route('/v2/_r/blobs/uploads/u/x'), undefined);
});

test('unroutable paths: a repository path the front door did not rewrite, empty segments, unknown literals', () => {
  assert.equal(route('/v2/a/tags/list'), undefined);
  assert.equal(route('/v2/_r//tags/list'), undefined);
  assert.equal(route('/v3/'), undefined);
  assert.equal(route('/v2/_r/tags/lists'), undefined);
});

/** A tree with a greedy variable: /files/{proxy+} beside /files/special. */
function greedyTree(): ResourceNode {
  const node = (path: string, pathPart: string, extra: Partial<ResourceNode> = {}): ResourceNode => ({
    logicalId: path,
    path,
    pathPart,
    literal: new Map(),
    greedy: false,
    methods: new Map(),
    ...extra,
  });
  const root = node('/', '');
  const files = node('/files', 'files');
  const proxy = node('/files/{proxy+}', '{proxy+}', { greedy: true, parameter: 'proxy' });
  const special = node('/files/special', 'special');
  root.literal.set('files', files);
  files.variable = proxy;
  files.literal.set('special', special);
  return root;
}

test('a greedy {proxy+} takes the rest of the path (one segment or more), decoded', () => {
  const root = greedyTree();
  const m = matchResource(root, '/files/a/b%20c/d');
  assert.deepEqual(m && { r: m.resource.path, p: m.pathParameters }, { r: '/files/{proxy+}', p: { proxy: 'a/b c/d' } });
  assert.equal(matchResource(root, '/files')?.resource.path, '/files', 'zero segments: the parent itself');
});

test('a literal sibling excludes its subtree from the greedy variable (no fallback to {proxy+})', () => {
  const root = greedyTree();
  assert.equal(matchResource(root, '/files/special')?.resource.path, '/files/special');
  assert.equal(matchResource(root, '/files/special/x'), undefined);
});
