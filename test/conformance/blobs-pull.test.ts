import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectApiVersion, expectError, expectHeader, expectStatus, req } from './lib/http.js';
import { randomBytes, repoName, sha256, unknownDigest } from './lib/digest.js';
import { pushBlob } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('blobs-pull: GET/HEAD /v2/<name>/blobs/<digest> (Pulling blobs)', () => {
  let reg: Registry;
  const repo = repoName('pull');
  const data = randomBytes(1000);
  let digest: string;
  const blobPath = () => `/v2/${repo}/blobs/${digest}`;

  before(async () => {
    reg = await startRegistry();
    digest = await pushBlob(reg, repo, data);
  });
  after(() => reg.close());

  test('GET of an existing blob answers 200 with the exact bytes, Content-Length, Docker-Content-Digest and Accept-Ranges: bytes', async () => {
    const res = await req(reg, 'GET', blobPath(), { follow: true });
    expectStatus(res, 200, 'spec (Pulling blobs): a GET of an existing blob MUST answer 200 OK');
    assert.ok(
      res.body.equals(data),
      `spec: the GET body MUST be the blob that was pushed (got ${res.body.length} bytes, sha ${sha256(res.body)}, want ${data.length} bytes ${digest})`,
    );
    expectHeader(res, 'content-length', String(data.length), 'Content-Length is the blob size');
    expectHeader(res, 'docker-content-digest', digest, 'spec: a successful blob GET MUST carry Docker-Content-Digest matching the body');
    expectHeader(res, 'accept-ranges', 'bytes', 'Stowage: blob GET advertises Accept-Ranges: bytes (spec: registry SHOULD support Range)');
    expectHeader(res, 'content-type', 'application/octet-stream', 'Stowage: a blob is served as application/octet-stream');
    expectApiVersion(res);
  });

  test('HEAD of an existing blob answers 200 with Content-Length and Docker-Content-Digest and no body', async () => {
    const res = await req(reg, 'HEAD', blobPath(), { follow: true });
    expectStatus(res, 200, 'spec (Checking if content exists): HEAD of an existing blob MUST answer 200 OK');
    expectHeader(res, 'content-length', String(data.length), 'spec: a successful HEAD MUST carry the blob size in Content-Length');
    expectHeader(res, 'docker-content-digest', digest, 'spec: a successful HEAD MUST carry Docker-Content-Digest');
    expectHeader(res, 'accept-ranges', 'bytes', 'Stowage: blob HEAD advertises Accept-Ranges: bytes, as GET does');
    assert.equal(res.body.length, 0, 'a HEAD response has no body');
  });

  test('GET of an unknown blob in an existing repository answers 404 BLOB_UNKNOWN', async () => {
    const res = await req(reg, 'GET', `/v2/${repo}/blobs/${unknownDigest()}`, { follow: true });
    expectError(res, 404, 'BLOB_UNKNOWN', 'spec: if the blob is not found in the repository, the response MUST be 404 Not Found');
  });

  test('HEAD of an unknown blob answers 404', async () => {
    const res = await req(reg, 'HEAD', `/v2/${repo}/blobs/${unknownDigest()}`, { follow: true });
    expectError(res, 404, 'BLOB_UNKNOWN', 'spec: HEAD of a blob that is not in the repository MUST answer 404 Not Found');
  });

  test('GET of a blob in a repository that does not exist answers 404', async () => {
    const res = await req(reg, 'GET', `/v2/${repoName('nowhere')}/blobs/${digest}`, { follow: true });
    expectError(res, 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN'], 'spec: a blob not found in the (nonexistent) repository answers 404');
  });

  test('a blob pushed to one repository is not visible in another (404 BLOB_UNKNOWN)', async () => {
    const other = repoName('other');
    await pushBlob(reg, other, randomBytes(20)); // the other repository exists
    const get = await req(reg, 'GET', `/v2/${other}/blobs/${digest}`, { follow: true });
    expectError(get, 404, 'BLOB_UNKNOWN', `Stowage: blobs are scoped to repositories; ${digest} was only pushed to ${repo}`);
    const head = await req(reg, 'HEAD', `/v2/${other}/blobs/${digest}`, { follow: true });
    expectStatus(head, 404, `Stowage: HEAD of a blob only pushed to another repository answers 404`);
  });

  test('the empty blob (0 bytes) can be pushed and pulled', async () => {
    const empty = Buffer.alloc(0);
    const d = await pushBlob(reg, repo, empty);
    const res = await req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { follow: true });
    expectStatus(res, 200, 'GET of the empty blob answers 200');
    assert.equal(res.body.length, 0, 'the empty blob has no bytes');
    expectHeader(res, 'content-length', '0', 'Content-Length: 0 for the empty blob');
    expectHeader(res, 'docker-content-digest', d, 'Docker-Content-Digest of the empty blob');
    const ranged = await req(reg, 'GET', `/v2/${repo}/blobs/${d}`, { headers: { range: 'bytes=0-0' }, follow: true });
    expectStatus(ranged, 416, 'RFC 9110: no range of an empty representation is satisfiable; Stowage answers 416');
    expectHeader(ranged, 'content-range', 'bytes */0', 'a 416 carries Content-Range: bytes */0 for the empty blob');
  });

  describe('Range requests (spec: registry SHOULD support Range per RFC 9110 section 14)', () => {
    const get = (range: string) => req(reg, 'GET', blobPath(), { headers: { range }, follow: true });

    test('bytes=a-b answers 206 with Content-Range bytes a-b/size and exactly those bytes', async () => {
      const res = await get('bytes=10-19');
      expectStatus(res, 206, 'Stowage: a single satisfiable range answers 206 Partial Content');
      expectHeader(res, 'content-range', `bytes 10-19/${data.length}`, 'RFC 9110 14.4: Content-Range: bytes first-last/complete-length');
      assert.ok(res.body.equals(data.subarray(10, 20)), `the 206 body must be bytes 10..19 of the blob, got ${res.body.length} bytes`);
      expectHeader(res, 'content-length', '10', 'Content-Length of a 206 is the length of the range');
    });

    test('bytes=a- answers 206 with the rest of the blob', async () => {
      const res = await get('bytes=990-');
      expectStatus(res, 206, 'Stowage: bytes=a- answers 206');
      expectHeader(res, 'content-range', `bytes 990-999/${data.length}`, 'RFC 9110: bytes=990- of a 1000-byte blob is bytes 990-999/1000');
      assert.ok(res.body.equals(data.subarray(990)), 'the body must be the last 10 bytes');
    });

    test('bytes=-n answers 206 with the last n bytes', async () => {
      const res = await get('bytes=-5');
      expectStatus(res, 206, 'Stowage: bytes=-n (suffix range) answers 206');
      expectHeader(res, 'content-range', `bytes 995-999/${data.length}`, 'RFC 9110: bytes=-5 of a 1000-byte blob is bytes 995-999/1000');
      assert.ok(res.body.equals(data.subarray(995)), 'the body must be the last 5 bytes');
    });

    test('bytes=0-0 answers 206 with the first byte', async () => {
      const res = await get('bytes=0-0');
      expectStatus(res, 206, 'bytes=0-0 answers 206');
      expectHeader(res, 'content-range', `bytes 0-0/${data.length}`, 'Content-Range of bytes=0-0');
      assert.ok(res.body.equals(data.subarray(0, 1)), 'the body must be the first byte');
    });

    test('a last-pos beyond the end is clamped to the blob size (RFC 9110 14.1.2)', async () => {
      const res = await get('bytes=995-5000');
      expectStatus(res, 206, 'RFC 9110 14.1.2: a last-pos >= the length means "to the end"; the range is satisfiable');
      expectHeader(res, 'content-range', `bytes 995-999/${data.length}`, 'RFC 9110: the range is clamped to the representation');
      assert.ok(res.body.equals(data.subarray(995)), 'the body must be the last 5 bytes');
    });

    test('a range starting at or after the end answers 416 with Content-Range: bytes */size', async () => {
      for (const range of [`bytes=${data.length}-`, `bytes=${data.length + 10}-${data.length + 20}`]) {
        const res = await get(range);
        expectStatus(res, 416, `RFC 9110 15.5.17 / Stowage: unsatisfiable ${range} answers 416`);
        expectHeader(res, 'content-range', `bytes */${data.length}`, `RFC 9110: a 416 carries Content-Range: bytes */complete-length (${range})`);
      }
    });

    test('a zero-length suffix range bytes=-0 answers 416', async () => {
      const res = await get('bytes=-0');
      expectStatus(res, 416, 'RFC 9110 14.1.1: a suffix-length of 0 is unsatisfiable; Stowage answers 416');
      expectHeader(res, 'content-range', `bytes */${data.length}`, 'a 416 carries Content-Range: bytes */size');
    });

    test('a malformed Range answers 416 with Content-Range: bytes */size', async () => {
      for (const range of ['bytes=abc', 'bytes=5-2', 'bytes=']) {
        const res = await get(range);
        expectStatus(res, 416, `Stowage: a malformed Range (${range}) answers 416`);
        expectHeader(res, 'content-range', `bytes */${data.length}`, `a 416 carries Content-Range: bytes */size (${range})`);
      }
    });

    test('a multi-range request answers 416 (Stowage serves single ranges only)', async () => {
      const res = await get('bytes=0-1,5-6');
      expectStatus(res, 416, 'Stowage: multiple ranges answer 416');
      expectHeader(res, 'content-range', `bytes */${data.length}`, 'a 416 carries Content-Range: bytes */size');
    });

    test('resuming a download with Range reassembles the exact blob (Resumable Pull use case)', async () => {
      const parts: Buffer[] = [];
      for (let off = 0; off < data.length; off += 300) {
        const res = await get(`bytes=${off}-${Math.min(off + 299, data.length - 1)}`);
        expectStatus(res, 206, `range at ${off} answers 206`);
        parts.push(res.body);
      }
      const whole = Buffer.concat(parts);
      assert.equal(sha256(whole), digest, 'consecutive 206 ranges must reassemble to the exact blob');
    });
  });
});
