import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, locationOf, req, withQuery } from './lib/http.js';
import { randomBytes, repoName, sha256 } from './lib/digest.js';
import { startRegistry, type Registry } from './lib/registry.js';

/** A request body sent with chunked transfer encoding (no Content-Length), as docker does. */
function streamOf(parts: Buffer[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}

describe('uploads-streamed: PATCH without Content-Range', () => {
  let reg: Registry;
  const repo = repoName('streamed');
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  const octet = { 'content-type': 'application/octet-stream' };
  const getBlob = (d: string) => req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true });

  async function open(): Promise<string> {
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(post, 202, 'POST /v2/<name>/blobs/uploads/ answers 202');
    return locationOf(post, 'upload Location');
  }

  test('PATCH without Content-Range appends and answers 202 with Location and Range 0-<offset-1>; PUT ?digest closes', async () => {
    const a = randomBytes(1234);
    const b = randomBytes(766);
    const digest = sha256(Buffer.concat([a, b]));
    let loc = await open();
    const p1 = await req(reg, 'PATCH', loc, { headers: octet, body: a });
    expectStatus(p1, 202, 'Stowage: a streamed PATCH answers 202 Accepted');
    expectHeader(p1, 'range', '0-1233', 'Stowage: Range: 0-<offset-1> after 1234 bytes');
    loc = locationOf(p1, 'a streamed PATCH answers with Location');
    const p2 = await req(reg, 'PATCH', loc, { headers: octet, body: b });
    expectStatus(p2, 202, 'a second streamed PATCH answers 202');
    expectHeader(p2, 'range', '0-1999', 'Range: 0-1999 after 2000 bytes in total');
    loc = locationOf(p2, 'a streamed PATCH answers with Location');
    const status = await req(reg, 'GET', loc);
    expectStatus(status, 204, 'GET of the active session answers 204');
    expectHeader(status, 'range', '0-1999', 'GET reports the same offset');
    const put = await req(reg, 'PUT', withQuery(loc, { digest }));
    expectStatus(put, 201, 'closing PUT ?digest= answers 201 Created');
    expectHeader(put, 'docker-content-digest', digest, 'Docker-Content-Digest on 201');
    const got = await getBlob(digest);
    expectStatus(got, 200, 'the blob is pullable');
    assert.ok(got.body.equals(Buffer.concat([a, b])), 'the blob is the concatenation of the PATCH bodies');
  });

  test('a PATCH body sent with chunked transfer encoding (no Content-Length) is stored whole', async () => {
    const parts = Array.from({ length: 20 }, () => randomBytes(50_000 + Math.floor(Math.random() * 1000)));
    const all = Buffer.concat(parts);
    const digest = sha256(all);
    const loc = await open();
    const p = await req(reg, 'PATCH', loc, { headers: octet, body: streamOf(parts) });
    expectStatus(p, 202, 'a streamed PATCH with Transfer-Encoding: chunked answers 202');
    expectHeader(p, 'range', `0-${all.length - 1}`, `Range covers all ${all.length} streamed bytes`);
    const put = await req(reg, 'PUT', withQuery(locationOf(p, 'PATCH Location'), { digest }));
    expectStatus(put, 201, 'closing PUT answers 201');
    const got = await getBlob(digest);
    assert.equal(got.body.length, all.length, 'size of the pulled blob');
    assert.equal(sha256(got.body), digest, 'digest of the pulled blob');
  });

  test('the closing PUT may carry the last bytes, also with chunked transfer encoding', async () => {
    const a = randomBytes(3000);
    const b = randomBytes(4000);
    const digest = sha256(Buffer.concat([a, b]));
    const loc = await open();
    const p = await req(reg, 'PATCH', loc, { headers: octet, body: a });
    expectStatus(p, 202, 'streamed PATCH answers 202');
    const put = await req(reg, 'PUT', withQuery(locationOf(p, 'PATCH Location'), { digest }), { headers: octet, body: streamOf([b.subarray(0, 1000), b.subarray(1000)]) });
    expectStatus(put, 201, 'closing PUT with a streamed final body answers 201');
    const got = await getBlob(digest);
    assert.ok(got.body.equals(Buffer.concat([a, b])), 'the blob includes the bytes of the PUT body');
  });

  test('a whole blob streamed in a single chunked-encoding PUT (POST then PUT) is stored', async () => {
    const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(5)];
    const all = Buffer.concat(parts);
    const digest = sha256(all);
    const loc = await open();
    const put = await req(reg, 'PUT', withQuery(loc, { digest }), { headers: octet, body: streamOf(parts) });
    expectStatus(put, 201, 'PUT with a chunked-encoding body answers 201');
    const got = await getBlob(digest);
    assert.ok(got.body.equals(all), 'pulled bytes equal the streamed bytes');
  });

  test('a streamed PATCH can be followed by a chunked PATCH that starts at the current offset', async () => {
    const data = randomBytes(900);
    const digest = sha256(data);
    const loc = await open();
    const p1 = await req(reg, 'PATCH', loc, { headers: octet, body: data.subarray(0, 300) });
    expectStatus(p1, 202, 'streamed PATCH answers 202');
    const p2 = await req(reg, 'PATCH', locationOf(p1, 'PATCH Location'), {
      headers: { ...octet, 'content-range': '300-899' },
      body: data.subarray(300),
    });
    expectStatus(p2, 202, 'a chunked PATCH starting at the current offset (300) answers 202');
    expectHeader(p2, 'range', '0-899', 'Range after 900 bytes');
    const put = await req(reg, 'PUT', withQuery(locationOf(p2, 'PATCH Location'), { digest }));
    expectStatus(put, 201, 'closing PUT answers 201');
    assert.ok((await getBlob(digest)).body.equals(data), 'pulled bytes equal the pushed bytes');
  });

  test('a streamed PATCH to an unknown session answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const res = await req(reg, 'PATCH', `/v2/${repo}/blobs/uploads/${randomUUID()}`, { headers: octet, body: randomBytes(10) });
    expectError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'spec (end-5 failure 404): PATCH to an unknown upload');
  });
});
