import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, locationOf, req, requireHeader, withQuery } from './lib/http.js';
import { randomBytes, repoName, sha256, sha512, unknownDigest } from './lib/digest.js';
import { MT, configBytes, descriptorOf, imageManifest, pushBlob, putManifest } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('mount: POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other> (Mounting a blob)', () => {
  let reg: Registry;
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  const getBlob = (repo: string, d: string) => req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true });

  test('mounting a blob that exists in `from` answers 201 with Location and Docker-Content-Digest; the blob is pullable in the target', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    const data = randomBytes(700);
    const digest = await pushBlob(reg, src, data);
    const res = await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${digest}&from=${src}`);
    expectStatus(res, 201, 'spec: the response to a successful mount MUST be 201 Created');
    const loc = requireHeader(res, 'location', 'spec: a successful mount MUST carry Location');
    assert.equal(new URL(loc, reg.url).pathname, `/v2/${dst}/blobs/${digest}`, `Location of a mounted blob is /v2/<target>/blobs/<digest>, got ${loc}`);
    expectHeader(res, 'docker-content-digest', digest, 'Docker-Content-Digest of the mounted blob');
    const got = await getBlob(dst, digest);
    expectStatus(got, 200, 'the mounted blob is pullable in the target repository');
    assert.ok(got.body.equals(data), 'the mounted blob has the original bytes');
  });

  test('mounting an unknown blob falls back to an upload session (202 with a usable Location)', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    await pushBlob(reg, src, randomBytes(10));
    const data = randomBytes(64);
    const digest = sha256(data);
    const res = await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${digest}&from=${src}`);
    expectStatus(res, 202, 'spec: if the registry is unable to mount the blob it SHOULD return 202 (an upload session has begun)');
    const put = await req(reg, 'PUT', withQuery(locationOf(res, 'spec: the 202 carries the upload Location'), { digest }), {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expectStatus(put, 201, 'the fallback session accepts the upload (201)');
    assert.ok((await getBlob(dst, digest)).body.equals(data), 'the uploaded blob is pullable');
  });

  test('mounting from a repository that does not exist falls back to 202', async () => {
    const dst = repoName('dst');
    const res = await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${unknownDigest()}&from=${repoName('ghost')}`);
    expectStatus(res, 202, 'spec: unable to mount -> 202 upload session');
    locationOf(res, 'the 202 carries Location');
  });

  test('mount without `from` answers 201 when the blob exists in some repository', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    const data = randomBytes(321);
    const digest = await pushBlob(reg, src, data);
    const res = await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${digest}`);
    expectStatus(res, 201, 'Stowage: `from` is optional (spec: MAY cross-mount the blob if it can be found)');
    locationOf(res, 'a successful mount carries Location');
    assert.ok((await getBlob(dst, digest)).body.equals(data), 'the blob is pullable in the target');
  });

  test('mount without `from` of an unknown blob answers 202', async () => {
    const res = await req(reg, 'POST', `/v2/${repoName('dst')}/blobs/uploads/?mount=${unknownDigest()}`);
    expectStatus(res, 202, 'spec: unable to mount -> 202 upload session');
    locationOf(res, 'the 202 carries Location');
  });

  test('a sha512 blob can be mounted', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    const data = randomBytes(200);
    const digest = await pushBlob(reg, src, data, 'sha512');
    assert.equal(digest, sha512(data));
    const res = await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${digest}&from=${src}`);
    expectStatus(res, 201, 'mount of a sha512 blob answers 201');
    assert.ok((await getBlob(dst, digest)).body.equals(data), 'the sha512 blob is pullable in the target');
  });

  test('a mounted blob can be referenced by a manifest pushed to the target', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    const cfg = configBytes();
    const layer = randomBytes(100);
    await pushBlob(reg, src, cfg);
    await pushBlob(reg, src, layer);
    for (const d of [sha256(cfg), sha256(layer)]) {
      expectStatus(await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${d}&from=${src}`), 201, 'mount answers 201');
    }
    const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), layers: [descriptorOf(MT.ociLayer, layer)] });
    const put = await putManifest(reg, dst, 'v1', manifest, MT.ociManifest);
    expectStatus(put, 201, 'a manifest whose blobs were mounted into the repository answers 201');
  });

  test('deleting the blob in the source repository leaves the mounted copy in the target', async () => {
    const src = repoName('src');
    const dst = repoName('dst');
    const data = randomBytes(99);
    const digest = await pushBlob(reg, src, data);
    expectStatus(await req(reg, 'POST', `/v2/${dst}/blobs/uploads/?mount=${digest}&from=${src}`), 201, 'mount answers 201');
    expectStatus(await req(reg, 'DELETE', `/v2/${src}/blobs/${digest}`), 202, 'spec: DELETE of a blob answers 202');
    expectStatus(await getBlob(src, digest), 404, 'the blob is gone from the source');
    const got = await getBlob(dst, digest);
    expectStatus(got, 200, 'Stowage: blobs are per repository; the mounted copy survives the source delete');
    assert.ok(got.body.equals(data), 'the mounted copy is intact');
  });

  test('a malformed `from` answers 400 NAME_INVALID and a malformed mount digest 400 DIGEST_INVALID', async () => {
    const src = repoName('src');
    const digest = await pushBlob(reg, src, randomBytes(10));
    for (const from of ['SRC', '../' + src, src + '/..', '-x']) {
      const res = await req(reg, 'POST', `/v2/${repoName('dst')}/blobs/uploads/?mount=${digest}&from=${encodeURIComponent(from)}`);
      expectError(res, 400, 'NAME_INVALID', `Stowage: a malformed repository name (from=${from}) answers 400 NAME_INVALID`);
    }
    const bad = await req(reg, 'POST', `/v2/${repoName('dst')}/blobs/uploads/?mount=sha256:abc&from=${src}`);
    expectError(bad, 400, 'DIGEST_INVALID', 'Stowage: a malformed mount digest answers 400 DIGEST_INVALID');
  });
});
