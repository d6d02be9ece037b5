import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, locationOf, req, withQuery, type Res } from './lib/http.js';
import { randomBytes, repoName, sha256, sha512, unknownDigest } from './lib/digest.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('uploads-chunked: POST, PATCH with Content-Range, PUT (Pushing a blob in chunks)', () => {
  let reg: Registry;
  const repo = repoName('chunked');
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  async function open(query = ''): Promise<string> {
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/${query}`, { headers: { 'content-length': '0' } });
    expectStatus(post, 202, 'spec: POST /v2/<name>/blobs/uploads/ (Content-Length: 0) answers 202 Accepted');
    return locationOf(post, 'spec: the POST response MUST carry Location');
  }

  function patch(loc: string, chunk: Buffer, range: string): Promise<Res> {
    return req(reg, 'PATCH', loc, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': range },
      body: chunk,
    });
  }

  const getBlob = (d: string) => req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true });

  test('three chunks then PUT: each PATCH answers 202 with Location and Range 0-<end>; the blob is assembled in order', async () => {
    const data = randomBytes(3000);
    const digest = sha256(data);
    let loc = await open();
    const cuts = [0, 1000, 2200, 3000];
    for (let i = 0; i < 3; i++) {
      const start = cuts[i]!;
      const end = cuts[i + 1]! - 1;
      const res = await patch(loc, data.subarray(start, end + 1), `${start}-${end}`);
      expectStatus(res, 202, `spec: each successful chunk upload MUST answer 202 Accepted (chunk ${start}-${end})`);
      expectHeader(res, 'range', `0-${end}`, 'spec: the chunk response MUST carry Range: 0-<end-of-range>');
      loc = locationOf(res, 'spec: the chunk response MUST carry Location: <blob-push-location>');
    }
    const put = await req(reg, 'PUT', withQuery(loc, { digest }));
    expectStatus(put, 201, 'spec: closing the session with PUT ?digest= (no body) MUST answer 201 Created');
    expectHeader(put, 'docker-content-digest', digest, 'Stowage: Docker-Content-Digest on the 201');
    const loc2 = locationOf(put, 'spec: the 201 MUST carry Location: <blob-location>');
    assert.equal(new URL(loc2).pathname, `/v2/${repo}/blobs/${digest}`, 'Stowage: blob Location is /v2/<name>/blobs/<digest>');
    const got = await getBlob(digest);
    expectStatus(got, 200, 'the assembled blob is pullable');
    assert.ok(got.body.equals(data), 'the assembled blob equals the concatenated chunks');
  });

  test('GET <location> answers 204 with Location and Range: 0-<last byte> while the upload is in progress', async () => {
    const data = randomBytes(600);
    const loc = await open();
    const fresh = await req(reg, 'GET', loc);
    expectStatus(fresh, 204, 'spec (end-13): GET of an active upload MUST answer 204 No Content');
    locationOf(fresh, 'spec: the 204 MUST carry Location');
    expectHeader(fresh, 'range', '0-0', 'Stowage: a session with no bytes yet reports Range: 0-0 (as the POST did)');
    const p = await patch(loc, data.subarray(0, 250), '0-249');
    expectStatus(p, 202, 'first chunk answers 202');
    const status = await req(reg, 'GET', locationOf(p, 'PATCH Location'));
    expectStatus(status, 204, 'spec: GET of an active upload MUST answer 204 No Content');
    expectHeader(status, 'range', '0-249', 'spec: the 204 MUST carry Range: 0-<end-of-range> (last uploaded byte)');
    locationOf(status, 'spec: the 204 MUST carry Location');
    assert.equal(status.body.length, 0, '204 has no body');
  });

  test('the final chunk may come with the closing PUT (Content-Range + body)', async () => {
    const data = randomBytes(2000);
    const digest = sha256(data);
    const loc = await open();
    const p = await patch(loc, data.subarray(0, 1500), '0-1499');
    expectStatus(p, 202, 'first chunk answers 202');
    const put = await req(reg, 'PUT', withQuery(locationOf(p, 'PATCH Location'), { digest }), {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '1500-1999' },
      body: data.subarray(1500),
    });
    expectStatus(put, 201, 'spec: the final chunk MAY be uploaded in the closing PUT; success MUST answer 201');
    const got = await getBlob(digest);
    assert.ok(got.body.equals(data), 'the blob includes the chunk sent with PUT');
  });

  test('a chunk that does not start at the current offset answers 416; the session keeps its offset and continues', async () => {
    const data = randomBytes(1000);
    const digest = sha256(data);
    const first = await patch(await open(), data.subarray(0, 400), '0-399');
    expectStatus(first, 202, 'first chunk answers 202');
    const loc = locationOf(first, 'PATCH Location');
    const gap = await patch(loc, data.subarray(500, 700), '500-699');
    expectStatus(gap, 416, 'spec: a chunk uploaded out of order MUST answer 416 Requested Range Not Satisfiable');
    const status = await req(reg, 'GET', loc);
    expectStatus(status, 204, 'spec: GET retrieves the current offset after a 416');
    expectHeader(status, 'range', '0-399', 'the rejected chunk did not move the offset');
    const next = await patch(locationOf(status, 'status Location'), data.subarray(400), '400-999');
    expectStatus(next, 202, 'the correct next chunk is accepted after a 416');
    const put = await req(reg, 'PUT', withQuery(locationOf(next, 'PATCH Location'), { digest }));
    expectStatus(put, 201, 'closing PUT answers 201');
    const got = await getBlob(digest);
    assert.ok(got.body.equals(data), 'the blob is intact despite the rejected chunk');
  });

  test('a repeated chunk answers 416', async () => {
    const data = randomBytes(200);
    const first = await patch(await open(), data.subarray(0, 100), '0-99');
    expectStatus(first, 202, 'first chunk answers 202');
    const loc = locationOf(first, 'PATCH Location');
    const again = await patch(loc, data.subarray(0, 100), '0-99');
    expectStatus(again, 416, 'spec: chunks MUST be uploaded in order; a chunk that does not start at the last end + 1 answers 416');
    const overlap = await patch(loc, data.subarray(50, 150), '50-149');
    expectStatus(overlap, 416, 'an overlapping chunk answers 416');
  });

  test('a first chunk that does not begin at 0 answers 416', async () => {
    const data = randomBytes(100);
    const loc = await open();
    const res = await patch(loc, data, '10-109');
    expectStatus(res, 416, "spec: the first chunk's range MUST begin with 0; out of order answers 416");
  });

  test('a closing PUT whose final chunk is out of order answers 416', async () => {
    const data = randomBytes(300);
    const first = await patch(await open(), data.subarray(0, 100), '0-99');
    expectStatus(first, 202, 'first chunk answers 202');
    const put = await req(reg, 'PUT', withQuery(locationOf(first, 'PATCH Location'), { digest: sha256(data) }), {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '150-299' },
      body: data.subarray(150),
    });
    expectStatus(put, 416, 'spec: if the final chunk is uploaded out of order, the registry MUST answer 416');
  });

  test('a malformed Content-Range answers 400 BLOB_UPLOAD_INVALID', async () => {
    const data = randomBytes(10);
    for (const range of ['garbage', '0-', '-9', '0-x']) {
      const loc = await open();
      const res = await patch(loc, data, range);
      expectError(res, 400, 'BLOB_UPLOAD_INVALID', `spec: <range> MUST match ^[0-9]+-[0-9]+$; Stowage answers 400 BLOB_UPLOAD_INVALID for "${range}"`);
    }
  });

  test('a Content-Range whose length differs from the body answers 400', async () => {
    const loc = await open();
    const res = await patch(loc, randomBytes(10), '0-19');
    expectError(res, 400, ['BLOB_UPLOAD_INVALID', 'SIZE_INVALID'], 'Stowage: Content-Length (10) must equal the Content-Range length (0-19 = 20 bytes)');
    const status = await req(reg, 'GET', loc);
    if (status.status === 204) expectHeader(status, 'range', '0-0', 'a refused chunk stores nothing');
  });

  test('a digest mismatch on the closing PUT answers 400 DIGEST_INVALID and ends the session', async () => {
    const data = randomBytes(400);
    const p1 = await patch(await open(), data.subarray(0, 200), '0-199');
    expectStatus(p1, 202, 'chunk answers 202');
    const p2 = await patch(locationOf(p1, 'PATCH Location'), data.subarray(200), '200-399');
    expectStatus(p2, 202, 'chunk answers 202');
    const loc = locationOf(p2, 'PATCH Location');
    const wrong = unknownDigest();
    const put = await req(reg, 'PUT', withQuery(loc, { digest: wrong }));
    expectError(put, 400, 'DIGEST_INVALID', 'spec: DIGEST_INVALID when the provided digest did not match uploaded content');
    expectError(await req(reg, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'Stowage: the session is gone after a digest mismatch');
    expectStatus(await getBlob(sha256(data)), 404, 'nothing became visible');
    expectStatus(await getBlob(wrong), 404, 'nothing became visible under the claimed digest');
  });

  test('a chunked upload with ?digest-algorithm=sha512 completes with a sha512 digest', async () => {
    const data = randomBytes(1500);
    const digest = sha512(data);
    let loc = await open('?digest-algorithm=sha512');
    const a = await patch(loc, data.subarray(0, 700), '0-699');
    expectStatus(a, 202, 'sha512 chunk 1 answers 202');
    loc = locationOf(a, 'PATCH Location');
    const b = await patch(loc, data.subarray(700), '700-1499');
    expectStatus(b, 202, 'sha512 chunk 2 answers 202');
    expectHeader(b, 'range', '0-1499', 'Range after two chunks');
    const put = await req(reg, 'PUT', withQuery(locationOf(b, 'PATCH Location'), { digest }));
    expectStatus(put, 201, 'closing PUT with the sha512 digest answers 201');
    const got = await getBlob(digest);
    expectStatus(got, 200, 'blob is pullable by sha512 digest');
    assert.ok(got.body.equals(data), 'the pulled bytes equal the pushed bytes');
  });

  test('an 8 MiB blob in uneven chunks round-trips byte for byte', async () => {
    const data = randomBytes(8 * 1024 * 1024 + 13);
    const digest = sha256(data);
    let loc = await open();
    const sizes = [1, 65_535, 1_048_577, 3_000_000, 2_500_000];
    let off = 0;
    for (const size of [...sizes, data.length - sizes.reduce((a, b) => a + b, 0)]) {
      const res = await patch(loc, data.subarray(off, off + size), `${off}-${off + size - 1}`);
      expectStatus(res, 202, `chunk ${off}-${off + size - 1} answers 202`);
      expectHeader(res, 'range', `0-${off + size - 1}`, 'Range after the chunk');
      loc = locationOf(res, 'PATCH Location');
      off += size;
    }
    const put = await req(reg, 'PUT', withQuery(loc, { digest }));
    expectStatus(put, 201, 'closing PUT answers 201');
    const got = await getBlob(digest);
    assert.equal(got.body.length, data.length, 'size of the pulled blob');
    assert.equal(sha256(got.body), digest, 'digest of the pulled blob');
  });

  test('two sessions uploading the same blob at the same time both succeed (Layer Upload De-duplication)', async () => {
    const data = randomBytes(200_000);
    const digest = sha256(data);
    const [a, b] = [await open(), await open()];
    const [pa, pb] = await Promise.all([patch(a, data.subarray(0, 100_000), '0-99999'), patch(b, data.subarray(0, 100_000), '0-99999')]);
    expectStatus(pa, 202, 'session A chunk answers 202');
    expectStatus(pb, 202, 'session B chunk answers 202');
    const close = (loc: string) =>
      req(reg, 'PUT', withQuery(loc, { digest }), { headers: { 'content-type': 'application/octet-stream', 'content-range': '100000-199999' }, body: data.subarray(100_000) });
    const [ca, cb] = await Promise.all([close(locationOf(pa, 'A Location')), close(locationOf(pb, 'B Location'))]);
    expectStatus(ca, 201, 'spec: if A and B upload the same layer at the same time, both operations will proceed (A)');
    expectStatus(cb, 201, 'spec: if A and B upload the same layer at the same time, both operations will proceed (B)');
    const got = await getBlob(digest);
    assert.ok(got.body.equals(data), 'the stored blob is intact');
  });
});
