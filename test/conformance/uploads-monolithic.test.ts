import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, locationOf, req, requireHeader, withQuery } from './lib/http.js';
import { randomBytes, repoName, sha256, sha512, unknownDigest } from './lib/digest.js';
import { startRegistry, type Registry } from './lib/registry.js';

const octet = { 'content-type': 'application/octet-stream' };

describe('uploads-monolithic: POST then PUT, and single POST (Pushing a blob monolithically)', () => {
  let reg: Registry;
  const repo = repoName('mono');
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  const getBlob = (r: string, d: string) => req(reg, 'GET', `/v2/${r}/blobs/${d}`, { follow: true });

  test('POST /v2/<name>/blobs/uploads/ answers 202 with a relative Location /v2/<name>/blobs/uploads/<id>, Range: 0-0 and Docker-Upload-UUID', async () => {
    const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(res, 202, 'spec (POST then PUT): obtaining a session MUST answer 202 Accepted');
    const loc = requireHeader(res, 'location', 'spec: the 202 MUST include Location: <blob-push-location>');
    const uuid = requireHeader(res, 'docker-upload-uuid', 'Stowage: the 202 carries Docker-Upload-UUID');
    const path = new URL(loc, reg.url).pathname;
    assert.ok(loc.startsWith('/v2/'), `Stowage: the upload Location is relative (a path), got ${loc}`);
    assert.equal(
      path,
      `/v2/${repo}/blobs/uploads/${uuid}`,
      `Stowage: Location is /v2/<name>/blobs/uploads/<id> where <id> is the Docker-Upload-UUID; got Location ${loc}, Docker-Upload-UUID ${uuid}`,
    );
    expectHeader(res, 'range', '0-0', 'Stowage: a new session reports Range: 0-0');
  });

  test('two sessions get different ids', async () => {
    const a = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    const b = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(a, 202, 'POST uploads answers 202');
    expectStatus(b, 202, 'POST uploads answers 202');
    assert.notEqual(a.headers.get('location'), b.headers.get('location'), 'spec: the Location MUST contain a unique session id');
  });

  test('PUT <location>?digest=<d> with the whole blob answers 201 with Location /v2/<name>/blobs/<d> and Docker-Content-Digest; the blob is pullable', async () => {
    const data = randomBytes(4096);
    const digest = sha256(data);
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(post, 202, 'POST uploads answers 202');
    const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest }), { headers: octet, body: data });
    expectStatus(put, 201, 'spec: a successful closing PUT MUST answer 201 Created');
    const loc = requireHeader(put, 'location', 'spec: the 201 MUST carry Location: <blob-location>');
    assert.equal(new URL(loc, reg.url).pathname, `/v2/${repo}/blobs/${digest}`, `Stowage: the blob Location is /v2/<name>/blobs/<digest>, got ${loc}`);
    expectHeader(put, 'docker-content-digest', digest, 'Stowage: the 201 carries Docker-Content-Digest');
    const got = await req(reg, 'GET', new URL(loc, put.url).toString(), { follow: true });
    expectStatus(got, 200, 'spec: <blob-location> is a pullable blob URL');
    assert.ok(got.body.equals(data), 'the pulled blob equals the pushed bytes');
  });

  test('after a successful PUT the upload session is closed (GET <location> answers 404 BLOB_UPLOAD_UNKNOWN)', async () => {
    const data = randomBytes(100);
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    const loc = locationOf(post, 'upload Location');
    const put = await req(reg, 'PUT', withQuery(loc, { digest: sha256(data) }), { headers: octet, body: data });
    expectStatus(put, 201, 'closing PUT answers 201');
    const status = await req(reg, 'GET', loc);
    expectError(status, 404, 'BLOB_UPLOAD_UNKNOWN', 'a session closed by PUT no longer exists');
  });

  test('single POST ?digest=<d> with the blob answers 201 with Location and Docker-Content-Digest', async () => {
    const data = randomBytes(2048);
    const digest = sha256(data);
    const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { headers: octet, body: data });
    expectStatus(res, 201, 'Stowage supports the single POST (spec: successful completion MUST return 201 Created)');
    const loc = requireHeader(res, 'location', 'spec: single POST 201 MUST include Location: <blob-location>');
    assert.equal(new URL(loc, reg.url).pathname, `/v2/${repo}/blobs/${digest}`, `Location is /v2/<name>/blobs/<digest>, got ${loc}`);
    expectHeader(res, 'docker-content-digest', digest, 'Stowage: Docker-Content-Digest on 201');
    const got = await getBlob(repo, digest);
    expectStatus(got, 200, 'the blob is pullable after single POST');
    assert.ok(got.body.equals(data), 'pulled bytes equal pushed bytes');
  });

  test('single POST with a digest that does not match the body answers 400 DIGEST_INVALID and stores nothing', async () => {
    const data = randomBytes(300);
    const wrong = unknownDigest();
    const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest=${wrong}`, { headers: octet, body: data });
    expectError(res, 400, 'DIGEST_INVALID', 'spec: the <digest> MUST match the blob; DIGEST_INVALID = provided digest did not match uploaded content');
    expectStatus(await getBlob(repo, wrong), 404, 'nothing became visible under the claimed digest');
    expectStatus(await getBlob(repo, sha256(data)), 404, 'nothing became visible under the real digest');
  });

  test('PUT with a digest that does not match answers 400 DIGEST_INVALID, the session is gone and nothing became visible', async () => {
    const data = randomBytes(500);
    const wrong = unknownDigest();
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    const loc = locationOf(post, 'upload Location');
    const put = await req(reg, 'PUT', withQuery(loc, { digest: wrong }), { headers: octet, body: data });
    expectError(put, 400, 'DIGEST_INVALID', 'spec: DIGEST_INVALID when the provided digest did not match uploaded content');
    expectError(await req(reg, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'Stowage: a digest mismatch ends the session');
    expectStatus(await getBlob(repo, wrong), 404, 'nothing became visible under the claimed digest');
    expectStatus(await getBlob(repo, sha256(data)), 404, 'nothing became visible under the real digest');
  });

  test('PUT with a malformed or unsupported digest answers 400 DIGEST_INVALID', async () => {
    const data = randomBytes(50);
    const hex = sha256(data).slice('sha256:'.length);
    for (const bad of ['sha256:abc', `sha256:${hex.toUpperCase()}`, `md5:${hex.slice(0, 32)}`, `foo:${hex}`, hex]) {
      const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
      const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest: bad }), { headers: octet, body: data });
      expectError(put, 400, 'DIGEST_INVALID', `spec: if the client provided digest is invalid or uses an unsupported algorithm the registry SHOULD answer 400 (digest ${bad})`);
    }
  });

  test('PUT without ?digest answers 400', async () => {
    const data = randomBytes(50);
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    const put = await req(reg, 'PUT', locationOf(post, 'upload Location'), { headers: octet, body: data });
    expectError(put, 400, ['DIGEST_INVALID', 'BLOB_UPLOAD_INVALID'], 'spec: the closing PUT MUST include the digest of the whole blob');
  });

  test('pushing the same blob twice succeeds both times (Layer Upload De-duplication)', async () => {
    const data = randomBytes(128);
    const digest = sha256(data);
    for (let i = 0; i < 2; i++) {
      const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { headers: octet, body: data });
      expectStatus(res, 201, `push #${i + 1} of an existing blob answers 201`);
    }
    const got = await getBlob(repo, digest);
    assert.ok(got.body.equals(data), 'the blob is intact after a duplicate push');
  });

  test('a 5 MiB blob round-trips byte for byte', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const digest = sha256(data);
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest }), { headers: octet, body: data });
    expectStatus(put, 201, 'closing PUT of 5 MiB answers 201');
    const got = await getBlob(repo, digest);
    expectStatus(got, 200, 'GET answers 200');
    assert.equal(got.body.length, data.length, 'size of the pulled blob');
    assert.equal(sha256(got.body), digest, 'digest of the pulled blob');
  });

  describe('sha512', () => {
    test('POST ?digest-algorithm=sha512 then PUT ?digest=sha512:<hex> answers 201 and the blob is pullable by its sha512 digest', async () => {
      const data = randomBytes(777);
      const digest = sha512(data);
      const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest-algorithm=sha512`);
      expectStatus(post, 202, 'spec (end-4c): POST ?digest-algorithm=sha512 answers 202');
      const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest }), { headers: octet, body: data });
      expectStatus(put, 201, 'closing PUT with a sha512 digest answers 201');
      expectHeader(put, 'docker-content-digest', digest, 'Docker-Content-Digest is the sha512 digest');
      const got = await getBlob(repo, digest);
      expectStatus(got, 200, 'GET by sha512 digest answers 200');
      assert.ok(got.body.equals(data), 'the pulled bytes equal the pushed bytes');
      expectHeader(got, 'docker-content-digest', digest, 'Docker-Content-Digest on GET is the sha512 digest');
      const head = await req(reg, 'HEAD', `/v2/${repo}/blobs/${digest}`, { follow: true });
      expectStatus(head, 200, 'HEAD by sha512 digest answers 200');
    });

    test('single POST ?digest=sha512:<hex> answers 201', async () => {
      const data = randomBytes(333);
      const digest = sha512(data);
      const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { headers: octet, body: data });
      expectStatus(res, 201, 'single POST with a sha512 digest answers 201');
      const got = await getBlob(repo, digest);
      expectStatus(got, 200, 'GET by sha512 digest answers 200');
      assert.ok(got.body.equals(data), 'the pulled bytes equal the pushed bytes');
    });

    test('a sha512 session closed with a wrong sha512 digest answers 400 DIGEST_INVALID', async () => {
      const data = randomBytes(100);
      const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest-algorithm=sha512`);
      const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest: unknownDigest('sha512') }), { headers: octet, body: data });
      expectError(put, 400, 'DIGEST_INVALID', 'a sha512 digest that does not match the content answers 400 DIGEST_INVALID');
    });

    for (const algorithm of ['sha256', 'sha512'] as const) {
      test(`a POST without digest-algorithm then one PUT of the whole blob with a ${algorithm} digest answers 201`, async () => {
        const data = randomBytes(1234);
        const digest = algorithm === 'sha256' ? sha256(data) : sha512(data);
        const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
        expectStatus(post, 202, 'POST uploads answers 202');
        const put = await req(reg, 'PUT', withQuery(locationOf(post, 'upload Location'), { digest }), { headers: octet, body: data });
        expectStatus(put, 201, `spec: a monolithic PUT with any supported digest (${algorithm}) answers 201, whatever the POST announced`);
        expectHeader(put, 'docker-content-digest', digest, `Docker-Content-Digest is the ${algorithm} digest`);
        const got = await getBlob(repo, digest);
        expectStatus(got, 200, `GET by the ${algorithm} digest answers 200`);
        assert.ok(got.body.equals(data), 'the pulled bytes equal the pushed bytes');
      });
    }

    test('bytes PATCHed in sha256, then a PUT with a sha512 digest: 400 DIGEST_INVALID or 201, never a wrong blob; a refusal names sha256', async () => {
      const data = randomBytes(500);
      const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
      const patch = await req(reg, 'PATCH', locationOf(post, 'upload Location'), { headers: octet, body: data });
      expectStatus(patch, 202, 'PATCH answers 202');
      const put = await req(reg, 'PUT', withQuery(locationOf(patch, 'upload Location'), { digest: sha512(data) }));
      if (put.status === 201) {
        // A store that can read the upload back re-hashes it in sha512 (the embedded filesystem).
        assert.ok((await getBlob(repo, sha512(data))).body.equals(data), 'the pulled bytes equal the pushed bytes');
        return;
      }
      expectError(put, 400, 'DIGEST_INVALID', 'a store that cannot read an unfinished upload back refuses the switch of algorithm');
      const message = put.json<{ errors: { message: string }[] }>().errors[0]?.message ?? '';
      assert.match(message, /hashed with sha256/, `the refusal names the algorithm the bytes were hashed with (sha256): ${message}`);
    });

    test('POST ?digest-algorithm=<unsupported> answers 400', async () => {
      const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest-algorithm=md5`);
      expectError(res, 400, ['DIGEST_INVALID', 'UNSUPPORTED', 'BLOB_UPLOAD_INVALID'], 'spec (end-4c failure 400): an unsupported digest algorithm is refused with 400');
    });
  });

  describe('cancel and unknown sessions', () => {
    test('DELETE <location> answers 204 and the session is gone (404 BLOB_UPLOAD_UNKNOWN)', async () => {
      const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
      const loc = locationOf(post, 'upload Location');
      const del = await req(reg, 'DELETE', loc);
      expectStatus(del, 204, 'spec (Cancel a blob upload): a successful cancel SHOULD answer 204 No Content');
      expectError(await req(reg, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'a cancelled session answers 404 BLOB_UPLOAD_UNKNOWN on GET');
      const data = randomBytes(10);
      const put = await req(reg, 'PUT', withQuery(loc, { digest: sha256(data) }), { headers: octet, body: data });
      expectError(put, 404, 'BLOB_UPLOAD_UNKNOWN', 'a cancelled session cannot be completed');
      expectStatus(await getBlob(repo, sha256(data)), 404, 'nothing was stored through a cancelled session');
    });

    test('an unknown upload id answers 404 BLOB_UPLOAD_UNKNOWN for GET, PATCH, PUT and DELETE', async () => {
      const path = `/v2/${repo}/blobs/uploads/${randomUUID()}`;
      const data = randomBytes(10);
      expectError(await req(reg, 'GET', path), 404, 'BLOB_UPLOAD_UNKNOWN', 'spec (end-13 failure 404): GET of an unknown session');
      expectError(await req(reg, 'PATCH', path, { headers: octet, body: data }), 404, 'BLOB_UPLOAD_UNKNOWN', 'spec (end-5 failure 404): PATCH of an unknown session');
      expectError(
        await req(reg, 'PUT', `${path}?digest=${sha256(data)}`, { headers: octet, body: data }),
        404,
        'BLOB_UPLOAD_UNKNOWN',
        'spec (end-6 failure 404): PUT of an unknown session',
      );
      expectError(await req(reg, 'DELETE', path), 404, 'BLOB_UPLOAD_UNKNOWN', 'spec (end-14 failure 404): DELETE of an unknown session');
    });
  });
});
