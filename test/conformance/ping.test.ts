import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectApiVersion, expectError, expectStatus, locationOf, req, withQuery } from './lib/http.js';
import { randomBytes, repoName, sha256, unknownDigest } from './lib/digest.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('ping: GET /v2/ (Determining Support)', () => {
  let reg: Registry;
  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  test('GET /v2/ answers 200 OK with Docker-Distribution-API-Version: registry/2.0', async () => {
    const res = await req(reg, 'GET', '/v2/');
    expectStatus(res, 200, 'spec (Determining Support, end-1): GET /v2/ answers 200 OK when the registry implements the spec');
    expectApiVersion(res);
  });

  test('HEAD /v2/ answers 200 OK with the API version header', async () => {
    const res = await req(reg, 'HEAD', '/v2/');
    expectStatus(res, 200, 'RFC 9110 9.1: all general-purpose servers MUST support GET and HEAD; HEAD /v2/ answers as GET /v2/ does (200 OK)');
    expectApiVersion(res);
  });

  test('an unmatched /v2/ path answers 404 NAME_UNKNOWN with the API version header', async () => {
    const res = await req(reg, 'GET', `/v2/${repoName()}/no-such-endpoint/x`);
    expectError(res, 404, 'NAME_UNKNOWN', 'Stowage: a /v2/ path that matches no route answers 404 NAME_UNKNOWN');
  });

  test('every kind of response carries Docker-Distribution-API-Version: registry/2.0 (201, 202, 204, 206, 404, 416)', async () => {
    const repo = repoName();
    const data = randomBytes(10);
    const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(post, 202, 'POST /v2/<name>/blobs/uploads/ answers 202');
    expectApiVersion(post);
    const loc = locationOf(post, 'upload Location');
    const status = await req(reg, 'GET', loc);
    expectStatus(status, 204, 'GET <upload location> answers 204');
    expectApiVersion(status);
    const put = await req(reg, 'PUT', withQuery(loc, { digest: sha256(data) }), { body: data, headers: { 'content-type': 'application/octet-stream' } });
    expectStatus(put, 201, 'PUT <upload location>?digest= answers 201');
    expectApiVersion(put);
    const ranged = await req(reg, 'GET', `/v2/${repo}/blobs/${sha256(data)}`, { headers: { range: 'bytes=0-1' }, follow: true });
    expectStatus(ranged, 206, 'a blob GET with Range: bytes=0-1 answers 206');
    expectApiVersion(ranged);
    const unsat = await req(reg, 'GET', `/v2/${repo}/blobs/${sha256(data)}`, { headers: { range: 'bytes=100-200' }, follow: true });
    expectStatus(unsat, 416, 'a blob GET with an unsatisfiable Range answers 416');
    expectApiVersion(unsat);
    const missing = await req(reg, 'GET', `/v2/${repo}/blobs/${unknownDigest()}`);
    expectStatus(missing, 404, 'an unknown blob answers 404');
    expectApiVersion(missing);
  });

  test('error bodies are {"errors":[{"code","message","detail"}]} with Content-Type application/json', async () => {
    const res = await req(reg, 'GET', `/v2/${repoName()}/manifests/latest`);
    expectError(res, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'], 'spec: a manifest that is not in the repository answers 404');
    const body = res.json<{ errors: Record<string, unknown>[] }>();
    for (const e of body.errors) {
      assert.equal(typeof e.code, 'string', `spec (Error Codes): "code" is a string; got ${res.text}`);
      assert.equal(typeof e.message, 'string', `Stowage: every error carries a human readable "message"; got ${res.text}`);
      assert.ok('detail' in e, `Stowage: every error carries a "detail" field (spec: arbitrary JSON); got ${res.text}`);
    }
  });
});
