/**
 * The real Lambda entries behind the harness with the upload service off (uploads go to the
 * upload Lambdas): chunked pushes within Lambda's payload, the limits a client meets (the
 * Lambda's own 413, the gateway's REQUEST_TOO_LARGE naming both limits, API Gateway's 10 MB
 * answer), Location and Link built from the public path, blob GET/HEAD as 307s to S3 and the
 * manifest HEAD whose Content-Length the edge step restores.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAMBDA_MAX_BODY_BYTES } from '../../src/shells/lambda/middleware/input-limits.js';
import { startLambdaBackend } from '../helpers/lambda-backend.js';
import type { LambdaHarness } from './harness.js';
import { pushAndPull, ROUTE_WORD_NAMES } from './names-push-pull.js';

const MIB = 1024 * 1024;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let h: LambdaHarness;
let dataDir = '';

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stowage-lambda-path-'));
  h = await startLambdaBackend({ dataDir, registry: { uploadService: { enabled: false } } });
});
after(async () => {
  await h.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A request whose answer may come before its body is all sent (node's fetch would fail on that). */
function send(
  method: string,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const r = request(`${h.url}${path}`, { method, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    r.end(body);
  });
}

async function startUpload(repo: string): Promise<string> {
  const res = await fetch(`${h.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(res.status, 202);
  const location = res.headers.get('location') ?? '';
  assert.match(location, new RegExp(`^/v2/${repo}/blobs/uploads/[^/]+$`), 'Location is relative and from the public path (no stage)');
  return location;
}

test('with the upload service off, the upload behaviour goes to the API and uploads run on the Lambdas', async () => {
  assert.ok(
    h.frontDoorModel.behaviors.every((b) => b.origin.kind !== 'upload-service'),
    'no upload service origin',
  );
  assert.equal(h.uploadServiceUrl, undefined);
  await startUpload('off/a');
  assert.equal(h.frontDoor.records.at(-1)?.origin, 'api');
  assert.match(h.gateway.accessLog.at(-1)?.functionId ?? '', /startUpload/);
});

test('a chunked push in Lambda-sized chunks lands; blob GET is a 307 on the same host to the content behaviour (S3), which adds the digest; HEAD is answered from the link', async () => {
  const repo = 'off/chunked';
  const data = Buffer.alloc(LAMBDA_MAX_BODY_BYTES + 2 * MIB, 7);
  let location = await startUpload(repo);
  let offset = 0;
  for (const size of [LAMBDA_MAX_BODY_BYTES, 2 * MIB]) {
    const chunk = data.subarray(offset, offset + size);
    const res = await send('PATCH', location, chunk, { 'content-range': `${offset}-${offset + size - 1}` });
    assert.equal(res.status, 202, `a ${size}-byte chunk, as large as the Lambda says it takes: ${res.text}`);
    offset += size;
    location = String(res.headers.location);
  }
  const digest = sha256(data);
  const put = await send('PUT', `${location}?digest=${digest}`, Buffer.alloc(0));
  assert.equal(put.status, 201, put.text);
  assert.equal(put.headers.location, `/v2/${repo}/blobs/${digest}`);
  const redirect = await fetch(`${h.url}/v2/${repo}/blobs/${digest}`, { redirect: 'manual' });
  assert.equal(redirect.status, 307);
  const blobLocation = redirect.headers.get('location') ?? '';
  assert.match(blobLocation, /^\/content\/[^/?]+\?.*X-Amz-Signature=/, `a relative Location with the presigned query: ${blobLocation.slice(0, 120)}`);
  assert.ok(new URL(blobLocation, h.url).searchParams.get('docker-content-digest') === digest, 'the digest rides in the signed query');
  const pulled = await fetch(`${h.url}/v2/${repo}/blobs/${digest}`);
  assert.equal(pulled.status, 200);
  assert.ok(Buffer.from(await pulled.arrayBuffer()).equals(data), 'following the redirect gives the bytes');
  assert.equal(pulled.headers.get('docker-content-digest'), digest, 'the answer the client reads carries Docker-Content-Digest');
  assert.equal(pulled.headers.get('content-length'), String(data.length));
  assert.equal(pulled.headers.get('content-type'), 'application/octet-stream');
  assert.equal(h.frontDoor.records.at(-1)?.origin, 's3', 'served by the content behaviour from the bucket');
  const ranged = await fetch(`${h.url}/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-range'), `bytes 10-19/${data.length}`);
  assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(10, 20)));
  // A bearer token resent to the same host never reaches S3 (it would refuse two auth mechanisms).
  const withToken = await fetch(new URL(blobLocation, h.url), { headers: { authorization: 'Bearer t' } });
  assert.equal(withToken.status, 200);
  await withToken.arrayBuffer();
  const head = await fetch(`${h.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', redirect: 'manual' });
  assert.equal(head.status, 200, 'blob HEAD: no redirect');
  assert.equal(head.headers.get('content-length'), String(data.length), 'the renamed Content-Length restored by the edge step');
  assert.equal(head.headers.get('docker-content-digest'), digest);
});

test("limits: one byte over the Lambda's limit is its own 413; a 5 MiB chunk the gateway's 413 naming both limits; over 10 MB API Gateway's", async () => {
  const repo = 'off/limits';
  const location = await startUpload(repo);
  const lambda413 = await send('PATCH', location, Buffer.alloc(LAMBDA_MAX_BODY_BYTES + 1), { 'content-range': `0-${LAMBDA_MAX_BODY_BYTES}` });
  assert.equal(lambda413.status, 413);
  assert.match(lambda413.text, new RegExp(`SIZE_INVALID.*${LAMBDA_MAX_BODY_BYTES} bytes`));
  const gateway413 = await send('PATCH', location, Buffer.alloc(5 * MIB), { 'content-range': `0-${5 * MIB - 1}` });
  assert.equal(gateway413.status, 413);
  assert.match(gateway413.text, /SIZE_INVALID.*10 MB.*4\.5 MiB.*upload service/);
  assert.equal(h.gateway.accessLog.at(-1)?.errorType, 'REQUEST_TOO_LARGE');
  const front413 = await send('PATCH', location, Buffer.alloc(11 * 1000 * 1000));
  assert.equal(front413.status, 413);
  assert.equal(front413.text, 'HTTP content length exceeded 10485760 bytes.');
  const still = await fetch(`${h.url}${location}`);
  assert.equal(still.status, 204, 'the session is untouched');
  assert.equal(still.headers.get('range'), '0-0');
});

test("manifests: HEAD carries the manifest's size (restored by the edge step); tag pages link from the public path", async () => {
  const repo = 'off/images';
  const config = Buffer.from('{}');
  const loc = await startUpload(repo);
  assert.equal((await send('PUT', `${loc}?digest=${sha256(config)}`, config)).status, 201);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    }),
  );
  for (const tag of ['a', 'b', 'c']) {
    const put = await send('PUT', `/v2/${repo}/manifests/${tag}`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(put.status, 201, put.text);
    assert.equal(put.headers.location, `/v2/${repo}/manifests/${sha256(manifest)}`);
  }
  const head = await fetch(`${h.url}/v2/${repo}/manifests/a`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(manifest.length));
  assert.equal(head.headers.get('docker-content-digest'), sha256(manifest));
  const page = await fetch(`${h.url}/v2/${repo}/tags/list?n=1`);
  assert.deepEqual(await page.json(), { name: repo, tags: ['a'] });
  assert.match(page.headers.get('link') ?? '', new RegExp(`^</v2/${repo}/tags/list\\?`), 'Link from the public path, no stage');
});

test('AWS routing: names with route words as components and of any depth push and pull through the Lambdas (the fixed route shape)', async () => {
  for (const repo of ROUTE_WORD_NAMES) {
    await pushAndPull(h.url, repo);
    assert.match(h.gateway.accessLog.at(-1)?.resourcePath ?? '', /^\/v2\/_r\//, `${repo}: API Gateway routed the rewritten path`);
  }
});
