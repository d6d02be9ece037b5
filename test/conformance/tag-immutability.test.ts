/**
 * Tag immutability per repository pattern (issue 10): a push that would move an immutable tag is
 * refused with TAG_INVALID (400) naming the tag and the rule, and changes nothing; re-pushing the
 * digest a tag names succeeds; exclusions follow ECR's wildcard filters; two concurrent pushes of
 * one new tag to different digests: exactly one gets its 201.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectStatus, req, type ErrorBody } from './lib/http.js';
import { repoName } from './lib/digest.js';
import { ACCEPT_MANIFESTS, MT, pushImage, putManifest } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

const SETTINGS = [
  { match: 'locked-*/**', tagMutability: 'IMMUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['latest', 'dev-*'] },
  { match: 'locked-*', tagMutability: 'IMMUTABLE' },
  { match: 'loose-*', tagMutability: 'MUTABLE_WITH_EXCLUSION', tagMutabilityExclusions: ['v*'] },
];

describe('tag immutability (repositories setting)', () => {
  let reg: Registry;
  before(async () => {
    reg = await startRegistry({ repositories: SETTINGS });
  });
  after(() => reg.close());

  const resolve = async (repo: string, tag: string) =>
    (await req(reg, 'HEAD', `/v2/${repo}/manifests/${tag}`, { headers: { accept: ACCEPT_MANIFESTS } })).headers.get('docker-content-digest');

  test('an IMMUTABLE repository refuses to move a tag: 400 TAG_INVALID naming the tag and the rule; the tag keeps its digest', async () => {
    const repo = repoName('locked');
    const first = await pushImage(reg, repo, 'v1');
    const second = await pushImage(reg, repo);
    const res = await putManifest(reg, repo, 'v1', second.manifest, MT.ociManifest);
    expectError(res, 400, 'TAG_INVALID', 'an immutable tag cannot be overwritten');
    const message = String(res.json<ErrorBody>().errors[0]?.message ?? '');
    assert.match(message, /tag v1 of locked-\w+ already names sha256:[0-9a-f]{64} and cannot be overwritten/);
    assert.match(message, /repositories\[1\] match "locked-\*": tagMutability IMMUTABLE/);
    assert.equal(await resolve(repo, 'v1'), first.digest, 'the refused push moved nothing');
    expectStatus(await putManifest(reg, repo, 'v1', first.manifest, MT.ociManifest), 201, 'pushing the digest the tag already names succeeds');
    expectStatus(await req(reg, 'DELETE', `/v2/${repo}/manifests/v1`), 202, 'an immutable tag may still be deleted (as in ECR)');
    expectStatus(await putManifest(reg, repo, 'v1', second.manifest, MT.ociManifest), 201, 'and then pushed again');
  });

  test('IMMUTABLE_WITH_EXCLUSION: excluded tags (latest, dev-*) move, the others do not; a refused ?tag= push moves none of its tags', async () => {
    const repo = `${repoName('locked')}/app`;
    const a = await pushImage(reg, repo, 'latest');
    const b = await pushImage(reg, repo, 'dev-1');
    expectStatus(await putManifest(reg, repo, 'latest', b.manifest, MT.ociManifest), 201, 'latest is excluded');
    expectStatus(await putManifest(reg, repo, 'dev-1', a.manifest, MT.ociManifest), 201, 'dev-* is excluded');
    expectStatus(await putManifest(reg, repo, '1.0', a.manifest, MT.ociManifest), 201, 'a new tag');
    const res = await putManifest(reg, repo, b.digest, b.manifest, MT.ociManifest, '?tag=latest&tag=1.0');
    expectError(res, 400, 'TAG_INVALID', '1.0 is immutable');
    assert.equal(await resolve(repo, '1.0'), a.digest);
    assert.equal(await resolve(repo, 'latest'), b.digest);
  });

  test('MUTABLE_WITH_EXCLUSION: only tags matching the filters are immutable', async () => {
    const repo = repoName('loose');
    const a = await pushImage(reg, repo, 'v1');
    const b = await pushImage(reg, repo, 'main');
    expectStatus(await putManifest(reg, repo, 'main', a.manifest, MT.ociManifest), 201, 'main moves');
    expectError(await putManifest(reg, repo, 'v1', b.manifest, MT.ociManifest), 400, 'TAG_INVALID', 'v* is immutable');
  });

  test('repositories no entry matches stay MUTABLE', async () => {
    const repo = repoName('free');
    await pushImage(reg, repo, 'v1');
    const b = await pushImage(reg, repo);
    expectStatus(await putManifest(reg, repo, 'v1', b.manifest, MT.ociManifest), 201, 'a mutable tag moves');
  });

  test('two concurrent pushes of one new immutable tag to different digests: exactly one 201, the other TAG_INVALID', async () => {
    const repo = repoName('locked');
    const images = [await pushImage(reg, repo), await pushImage(reg, repo), await pushImage(reg, repo), await pushImage(reg, repo)];
    const results = await Promise.all(images.map((i) => putManifest(reg, repo, 'race', i.manifest, MT.ociManifest)));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one push wins: ${statuses.join(', ')}`);
    for (const r of results) if (r.status !== 201) expectError(r, 400, 'TAG_INVALID', 'the losers are refused');
    const winner = images[statuses.indexOf(201)]!;
    assert.equal(await resolve(repo, 'race'), winner.digest);
  });
});
