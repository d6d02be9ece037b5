/**
 * Issue 13: any repository name, any depth, through the whole serverless path (the default
 * stack: the upload service takes the uploads, the API's fixed route shape everything else).
 * The names the per-depth API could not route push and pull as on embedded; and the rewrite
 * leaves the ping, the catalog and the token endpoint alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLambdaBackend } from '../helpers/lambda-backend.js';
import type { LambdaHarness } from './harness.js';
import { pushAndPull, ROUTE_WORD_NAMES } from './names-push-pull.js';

let h: LambdaHarness;
let dataDir = '';
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stowage-any-name-'));
  h = await startLambdaBackend({ dataDir });
});
after(async () => {
  await h.close();
  await rm(dataDir, { recursive: true, force: true });
});

for (const repo of ROUTE_WORD_NAMES) {
  test(`${repo}: push and pull over HTTP through the front door`, async () => {
    await pushAndPull(h.url, repo);
  });
}

test('the catalog lists them; the ping and the catalog are not rewritten', async () => {
  const catalog = await fetch(`${h.url}/v2/_catalog?n=1000`);
  assert.equal(catalog.status, 200);
  const { repositories } = (await catalog.json()) as { repositories: string[] };
  for (const repo of ROUTE_WORD_NAMES) assert.ok(repositories.includes(repo), repo);
  assert.equal(h.gateway.accessLog.at(-1)?.resourcePath, '/v2/_catalog');
  assert.equal((await fetch(`${h.url}/v2/`)).status, 200);
  assert.equal(h.gateway.accessLog.at(-1)?.resourcePath, '/v2');
});

test('a name with an empty component, an upper-case one or a leading `_r` reaches the core: 400 NAME_INVALID, as on embedded', async () => {
  for (const path of ['/v2/a//b/tags/list', '/v2/Team/app/manifests/v1', '/v2/_r/manifests/v1']) {
    const res = await fetch(`${h.url}${path}`);
    assert.equal(res.status, 400, path);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'NAME_INVALID', path);
  }
});
