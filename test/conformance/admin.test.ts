/**
 * Stowage's admin routes (issue 10), the contract the web console builds against:
 * GET /v2/_stowage/usage, GET /v2/_stowage/images, GET /v2/_stowage/lifecycle-preview and
 * DELETE /v2/_stowage/repositories, with the spec's error shape for bad query values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectStatus, nextLink, req } from './lib/http.js';
import { pushBlob, pushImage, putManifest, MT, imageManifest, descriptorOf, configBytes, indexManifest } from './lib/push.js';
import { randomBytes, repoName } from './lib/digest.js';
import { startRegistry, type Registry } from './lib/registry.js';

const KEEP_ONE_UNTAGGED = { rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] };

interface ImagesBody {
  repository: string;
  images: { digest: string; mediaType: string; size: number; pushedAt: string; tags: string[]; artifactType: string | null; subject: string | null }[];
}
interface PreviewBody {
  repository: string;
  previewResults: { imageDigest: string; imageTags: string[]; imagePushedAt: string; action: { type: string }; appliedRulePriority: number }[];
  summary: { expiringImageTotalCount: number };
}
interface UsageBody {
  repositories: { name: string; bytes: number; manifests: number; tags: number }[];
  totalBytes: number;
}

describe('admin routes (/v2/_stowage/)', () => {
  let reg: Registry;
  before(async () => {
    reg = await startRegistry({ repositories: [{ match: 'lc-*', lifecyclePolicy: KEEP_ONE_UNTAGGED }] });
  });
  after(() => reg.close());

  test('GET /v2/_stowage/images lists every manifest with tags, size and push time, paged with a Link like tags/list', async () => {
    const repo = repoName('images');
    const a = await pushImage(reg, repo, 'v1');
    await putManifest(reg, repo, 'latest', a.manifest, MT.ociManifest);
    const b = await pushImage(reg, repo);
    const res = await req(reg, 'GET', `/v2/_stowage/images?repository=${repo}`);
    expectStatus(res, 200, 'the listing');
    const body = res.json<ImagesBody>();
    assert.equal(body.repository, repo);
    const byDigest = new Map(body.images.map((i) => [i.digest, i]));
    assert.deepEqual(byDigest.get(a.digest)?.tags, ['latest', 'v1']);
    assert.deepEqual(byDigest.get(b.digest)?.tags, []);
    assert.equal(byDigest.get(a.digest)?.size, a.size);
    assert.equal(byDigest.get(a.digest)?.mediaType, MT.ociManifest);
    assert.ok(!Number.isNaN(Date.parse(byDigest.get(a.digest)?.pushedAt ?? '')), 'pushedAt is a time');
    const first = await req(reg, 'GET', `/v2/_stowage/images?repository=${repo}&n=1`);
    expectStatus(first, 200, 'first page');
    assert.equal(first.json<ImagesBody>().images.length, 1);
    const link = nextLink(first);
    assert.ok(link?.startsWith('/v2/_stowage/images?'), `a Link to the next page: ${link}`);
    const second = await req(reg, 'GET', link ?? '');
    assert.equal(second.json<ImagesBody>().images.length, 1);
    assert.equal(nextLink(second), null, 'no Link after the last page');
    assert.deepEqual([...first.json<ImagesBody>().images, ...second.json<ImagesBody>().images].map((i) => i.digest).sort(), [a.digest, b.digest].sort());
  });

  test('bad or missing query values: NAME_INVALID, NAME_UNKNOWN, UNSUPPORTED for a bad n', async () => {
    expectError(await req(reg, 'GET', '/v2/_stowage/images'), 400, 'NAME_INVALID', 'no repository parameter');
    expectError(await req(reg, 'GET', '/v2/_stowage/images?repository=Bad%20Name'), 400, 'NAME_INVALID', 'a name against the grammar');
    expectError(await req(reg, 'GET', `/v2/_stowage/images?repository=${repoName('never')}`), 404, 'NAME_UNKNOWN', 'a repository that does not exist');
    expectError(await req(reg, 'GET', `/v2/_stowage/lifecycle-preview?repository=${repoName('never')}`), 404, 'NAME_UNKNOWN', 'preview of a repository that does not exist');
    expectError(await req(reg, 'DELETE', `/v2/_stowage/repositories?name=${repoName('never')}`), 404, 'NAME_UNKNOWN', 'deleting a repository that does not exist');
    expectError(await req(reg, 'DELETE', '/v2/_stowage/repositories'), 400, 'NAME_INVALID', 'no name parameter');
    const repo = repoName('images');
    await pushImage(reg, repo, 'v1');
    expectError(await req(reg, 'GET', `/v2/_stowage/images?repository=${repo}&n=-1`), 400, 'UNSUPPORTED', 'n must be a number');
  });

  test('a method an admin route does not answer: 405', async () => {
    expectError(await req(reg, 'POST', '/v2/_stowage/usage'), 405, 'UNSUPPORTED', 'usage is GET only');
  });

  test("GET /v2/_stowage/lifecycle-preview lists what the repository's policy expires, as ECR's preview does; nothing expires", async () => {
    const repo = repoName('lc');
    const tagged = await pushImage(reg, repo, 'v1');
    const old1 = await pushImage(reg, repo);
    const old2 = await pushImage(reg, repo);
    const newest = await pushImage(reg, repo);
    const res = await req(reg, 'GET', `/v2/_stowage/lifecycle-preview?repository=${repo}`);
    expectStatus(res, 200, 'the preview');
    const body = res.json<PreviewBody>();
    assert.equal(body.repository, repo);
    assert.deepEqual(body.previewResults.map((r) => r.imageDigest).sort(), [old1.digest, old2.digest].sort(), 'the two older untagged images expire; the newest stays');
    assert.ok(!body.previewResults.some((r) => r.imageDigest === newest.digest || r.imageDigest === tagged.digest));
    for (const r of body.previewResults) {
      assert.deepEqual(r.action, { type: 'EXPIRE' });
      assert.equal(r.appliedRulePriority, 1);
      assert.deepEqual(r.imageTags, []);
    }
    assert.deepEqual(body.summary, { expiringImageTotalCount: 2 });
    expectStatus(await req(reg, 'GET', `/v2/${repo}/manifests/${old1.digest}`, { headers: { accept: MT.ociManifest } }), 200, 'a preview deletes nothing');
    const none = await req(reg, 'GET', `/v2/_stowage/lifecycle-preview?repository=${repoName('nopolicy')}`);
    expectStatus(none, 404, 'unknown repository');
    const other = repoName('nopolicy');
    await pushImage(reg, other);
    await pushImage(reg, other);
    const empty = await req(reg, 'GET', `/v2/_stowage/lifecycle-preview?repository=${other}`);
    assert.deepEqual(empty.json<PreviewBody>(), { repository: other, previewResults: [], summary: { expiringImageTotalCount: 0 } }, 'no policy applies: nothing');
  });

  test('lifecycle preview leaves out the platform images of a multi-arch index', async () => {
    const repo = repoName('lc');
    const children = [await pushImage(reg, repo), await pushImage(reg, repo)];
    const index = indexManifest({ manifests: children.map((c) => c.descriptor) });
    expectStatus(await putManifest(reg, repo, 'multi', index, MT.ociIndex), 201, 'the index');
    const lone = await pushImage(reg, repo);
    const res = await req(reg, 'GET', `/v2/_stowage/lifecycle-preview?repository=${repo}`);
    assert.deepEqual(res.json<PreviewBody>().previewResults, [], `only ${lone.digest} is an untagged image of its own, and it is the newest`);
  });

  test('GET /v2/_stowage/usage: bytes per repository (each blob once), manifests, tags, and a deduplicated total', async () => {
    const [one, two] = [repoName('usage'), repoName('usage')];
    const shared = randomBytes(1000);
    const cfg = configBytes({ usage: one });
    const sharedDigest = await pushBlob(reg, one, shared);
    await pushBlob(reg, two, shared);
    await pushBlob(reg, one, cfg);
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), layers: [descriptorOf(MT.ociLayer, shared)] });
    expectStatus(await putManifest(reg, one, 'a', manifest, MT.ociManifest), 201, 'manifest');
    expectStatus(await putManifest(reg, one, 'b', manifest, MT.ociManifest), 201, 'second tag, same manifest');
    const res = await req(reg, 'GET', '/v2/_stowage/usage');
    expectStatus(res, 200, 'usage');
    const body = res.json<UsageBody>();
    const u1 = body.repositories.find((r) => r.name === one);
    const u2 = body.repositories.find((r) => r.name === two);
    const manifestBytes = Buffer.byteLength(manifest);
    assert.deepEqual(u1, { name: one, bytes: 1000 + Buffer.byteLength(cfg) + manifestBytes, manifests: 1, tags: 2 });
    assert.deepEqual(u2, { name: two, bytes: 1000, manifests: 0, tags: 0 });
    const sum = body.repositories.reduce((n, r) => n + r.bytes, 0);
    assert.ok(body.totalBytes <= sum - 1000, `the shared blob ${sharedDigest} counts once in the total: ${body.totalBytes} vs ${sum}`);
  });

  test('DELETE /v2/_stowage/repositories removes manifests, tags, referrers and links, answers 202 with a summary; the catalog forgets it', async () => {
    const repo = repoName('gone');
    const img = await pushImage(reg, repo, 'v1');
    await putManifest(reg, repo, 'v2', img.manifest, MT.ociManifest);
    const sig = await pushImage(reg, repo, undefined, { subject: img.descriptor, artifactType: 'application/example.sig' });
    const res = await req(reg, 'DELETE', `/v2/_stowage/repositories?name=${repo}`);
    expectStatus(res, 202, 'repository delete');
    assert.deepEqual(res.json(), { name: repo, manifestsDeleted: 2, tagsDeleted: 2, blobLinksRemoved: 4 });
    expectError(await req(reg, 'GET', `/v2/${repo}/tags/list`), 404, 'NAME_UNKNOWN', 'the repository is gone');
    expectError(await req(reg, 'GET', `/v2/${repo}/manifests/${img.digest}`, { headers: { accept: MT.ociManifest } }), 404, 'MANIFEST_UNKNOWN', 'its manifests are gone');
    expectError(await req(reg, 'HEAD', `/v2/${repo}/blobs/${img.layers[0]!.digest}`), 404, 'BLOB_UNKNOWN', 'its blob links are gone');
    const refs = await req(reg, 'GET', `/v2/${repo}/referrers/${img.digest}`);
    assert.deepEqual(refs.json<{ manifests: unknown[] }>().manifests, [], `the referrer ${sig.digest} is gone`);
    const catalog = await req(reg, 'GET', '/v2/_catalog?n=1000');
    assert.ok(!catalog.json<{ repositories: string[] }>().repositories.includes(repo), 'gone from the catalog');
    await pushImage(reg, repo, 'again');
    expectStatus(await req(reg, 'GET', `/v2/${repo}/tags/list`), 200, 'the name can be pushed again');
  });
});
