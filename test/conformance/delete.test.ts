import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectStatus, req } from './lib/http.js';
import { randomBytes, repoName, unknownDigest } from './lib/digest.js';
import { ACCEPT_MANIFESTS, MT, imageManifest, pushBlob, pushImage, putManifest } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('delete: DELETE manifests, tags and blobs (Content Management)', () => {
  let reg: Registry;
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  const getManifest = (repo: string, ref: string) => req(reg, 'GET', `/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT_MANIFESTS }, follow: true });
  const tagsOf = async (repo: string): Promise<string[] | null> => {
    const res = await req(reg, 'GET', `/v2/${repo}/tags/list`);
    return res.status === 200 ? (res.json<{ tags: string[] | null }>().tags ?? []) : null;
  };

  test('DELETE a manifest by digest answers 202; the digest and all its tags then answer 404 MANIFEST_UNKNOWN', async () => {
    const repo = repoName('del');
    const img = await pushImage(reg, repo, 'one');
    expectStatus(await putManifest(reg, repo, 'two', img.manifest, MT.ociManifest), 201, 'second tag');
    const keep = await pushImage(reg, repo, 'keep');
    const del = await req(reg, 'DELETE', `/v2/${repo}/manifests/${img.digest}`);
    expectStatus(del, 202, 'spec (Deleting Manifests): upon success the registry MUST respond 202 Accepted');
    expectError(await getManifest(repo, img.digest), 404, 'MANIFEST_UNKNOWN', 'spec: once deleted, a GET of the digest will return 404');
    expectError(await getManifest(repo, 'one'), 404, 'MANIFEST_UNKNOWN', 'spec: once deleted, any tag pointing to that digest will return 404');
    expectError(await getManifest(repo, 'two'), 404, 'MANIFEST_UNKNOWN', 'spec: once deleted, any tag pointing to that digest will return 404');
    expectStatus(await req(reg, 'HEAD', `/v2/${repo}/manifests/${img.digest}`, { headers: { accept: ACCEPT_MANIFESTS } }), 404, 'HEAD of the deleted digest answers 404');
    expectStatus(await getManifest(repo, 'keep'), 200, 'other manifests are untouched');
    expectStatus(await getManifest(repo, keep.digest), 200, 'other manifests are untouched (by digest)');
    assert.deepEqual(await tagsOf(repo), ['keep'], 'the tags of the deleted manifest are gone from tags/list');
  });

  test('DELETE by tag answers 202 and removes only that tag', async () => {
    const repo = repoName('deltag');
    const img = await pushImage(reg, repo, 'a');
    expectStatus(await putManifest(reg, repo, 'b', img.manifest, MT.ociManifest), 201, 'second tag');
    const del = await req(reg, 'DELETE', `/v2/${repo}/manifests/a`);
    expectStatus(del, 202, 'spec (Deleting tags): upon success the registry MUST respond 202 Accepted');
    expectError(await getManifest(repo, 'a'), 404, 'MANIFEST_UNKNOWN', 'spec: once deleted, a GET of /v2/<name>/manifests/<tag> will return 404');
    expectStatus(await getManifest(repo, 'b'), 200, 'Stowage: deleting a tag leaves the other tags');
    const byDigest = await getManifest(repo, img.digest);
    expectStatus(byDigest, 200, 'Stowage: deleting a tag leaves the manifest');
    assert.equal(byDigest.text, img.manifest, 'exact bytes still served');
    assert.deepEqual(await tagsOf(repo), ['b'], 'tags/list no longer has the deleted tag');
  });

  test('DELETE of an unknown tag or digest answers 404 MANIFEST_UNKNOWN', async () => {
    const repo = repoName('del404');
    await pushImage(reg, repo, 'x');
    expectError(await req(reg, 'DELETE', `/v2/${repo}/manifests/${unknownDigest()}`), 404, 'MANIFEST_UNKNOWN', 'spec (end-9 failure 404): unknown manifest digest');
    expectError(await req(reg, 'DELETE', `/v2/${repo}/manifests/nope`), 404, 'MANIFEST_UNKNOWN', 'spec (end-9 failure 404): unknown tag');
  });

  test('DELETE of a manifest in a repository that does not exist answers 404', async () => {
    const res = await req(reg, 'DELETE', `/v2/${repoName('ghost')}/manifests/${unknownDigest()}`);
    expectError(res, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'], 'spec: if the repository does not exist, the response MUST return 404 Not Found');
  });

  test('deleting a manifest twice answers 404 the second time', async () => {
    const repo = repoName('twice');
    const img = await pushImage(reg, repo, 'x');
    expectStatus(await req(reg, 'DELETE', `/v2/${repo}/manifests/${img.digest}`), 202, 'first DELETE answers 202');
    expectError(await req(reg, 'DELETE', `/v2/${repo}/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN', 'the manifest is already gone');
  });

  test('a deleted manifest can be pushed again', async () => {
    const repo = repoName('repush');
    const img = await pushImage(reg, repo, 'x');
    expectStatus(await req(reg, 'DELETE', `/v2/${repo}/manifests/${img.digest}`), 202, 'DELETE answers 202');
    expectStatus(await putManifest(reg, repo, 'again', img.manifest, MT.ociManifest), 201, 'the same manifest can be pushed again');
    const got = await getManifest(repo, img.digest);
    expectStatus(got, 200, 'and pulled by digest');
    assert.equal(got.text, img.manifest, 'exact bytes');
  });

  test('DELETE a blob answers 202; GET and HEAD then answer 404 BLOB_UNKNOWN', async () => {
    const repo = repoName('delblob');
    const data = randomBytes(100);
    const d = await pushBlob(reg, repo, data);
    const del = await req(reg, 'DELETE', `/v2/${repo}/blobs/${d}`);
    expectStatus(del, 202, 'spec (Deleting Blobs): upon success the registry MUST respond 202 Accepted');
    expectError(await req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true }), 404, 'BLOB_UNKNOWN', 'a deleted blob answers 404');
    expectStatus(await req(reg, 'HEAD', `/v2/${repo}/blobs/${d}`, { follow: true }), 404, 'HEAD of a deleted blob answers 404');
    expectError(await req(reg, 'DELETE', `/v2/${repo}/blobs/${d}`), 404, 'BLOB_UNKNOWN', 'spec: if the blob is not found, a 404 Not Found MUST be returned');
  });

  test('DELETE of an unknown blob answers 404 BLOB_UNKNOWN', async () => {
    const repo = repoName('delblob404');
    await pushBlob(reg, repo, randomBytes(5));
    expectError(await req(reg, 'DELETE', `/v2/${repo}/blobs/${unknownDigest()}`), 404, 'BLOB_UNKNOWN', 'spec: if the blob is not found, a 404 Not Found MUST be returned');
  });

  test('deleting a blob in one repository leaves the same blob in another repository', async () => {
    const a = repoName('a');
    const b = repoName('b');
    const data = randomBytes(64);
    const d = await pushBlob(reg, a, data);
    await pushBlob(reg, b, data);
    expectStatus(await req(reg, 'DELETE', `/v2/${a}/blobs/${d}`), 202, 'DELETE answers 202');
    const got = await req(reg, 'GET', `/v2/${b}/blobs/${d}`, { follow: true });
    expectStatus(got, 200, 'the blob is still in the other repository');
    assert.ok(got.body.equals(data), 'intact bytes');
  });

  test('a deleted blob can be uploaded again', async () => {
    const repo = repoName('reblob');
    const data = randomBytes(64);
    const d = await pushBlob(reg, repo, data);
    expectStatus(await req(reg, 'DELETE', `/v2/${repo}/blobs/${d}`), 202, 'DELETE answers 202');
    await pushBlob(reg, repo, data);
    const got = await req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true });
    expectStatus(got, 200, 'the re-uploaded blob is pullable');
    assert.ok(got.body.equals(data), 'intact bytes');
  });

  test('after deleting a layer blob, a manifest that references it is refused (400 MANIFEST_BLOB_UNKNOWN)', async () => {
    const repo = repoName('dangling');
    const img = await pushImage(reg, repo, 'x');
    expectStatus(await req(reg, 'DELETE', `/v2/${repo}/blobs/${img.layers[0]!.digest}`), 202, 'DELETE of the layer answers 202');
    const m = imageManifest({ config: img.config, layers: img.layers, annotations: { again: 'yes' } });
    const res = await putManifest(reg, repo, 'y', m, MT.ociManifest);
    expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'a manifest whose layer was deleted references an unknown blob');
  });
});
