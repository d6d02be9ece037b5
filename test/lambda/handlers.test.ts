/**
 * The real Lambda entries (lambdas/<operation>.ts, compiled) invoked in-process with REST proxy
 * events as API Gateway builds them, on S3 and DynamoDB emulators, configured only through the
 * environment the stack sets: push a blob in chunks and one monolithically, push manifests
 * (tags from the path and from ?tag=), pull them, and follow blob GET/HEAD redirects to S3.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES, type Operation } from '../../src/core/routes.js';
import { setLogWriter } from '../../src/log/logger.js';
import type { ProxyHandler } from '../../src/shells/lambda/handler.js';
import { createRegistryStores, startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { lambdaContext, proxyEvent, type ProxyEventInit } from '../helpers/proxy-event.js';

const MIB = 1024 * 1024;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let emulators: AwsEmulators;
const handlers = new Map<Operation, ProxyHandler>();
const logLines: string[] = [];
let restoreLog: () => void;

before(async () => {
  emulators = await startAwsEmulators();
  const stores = await createRegistryStores(emulators);
  // What the stack sets, plus the emulators' endpoints (fauxqs needs path-style URLs).
  Object.assign(process.env, stores, { STOWAGE_S3_PRESIGN_EXPIRES: '300' });
  for (const operation of new Set(ROUTES.map((r) => r.operation))) {
    const entry = (await import(`../../lambdas/${operation}.js`)) as { handler?: unknown };
    assert.equal(typeof entry.handler, 'function', `lambdas/${operation}.ts exports a handler`);
    handlers.set(operation, entry.handler as ProxyHandler);
  }
  setLogWriter((line) => logLines.push(line));
  restoreLog = () => setLogWriter(undefined);
});
after(async () => {
  restoreLog();
  await emulators.stop();
});

/** Invokes `operation`'s Lambda as API Gateway would (stage `prod`, base64 bodies). */
function invoke(operation: Operation, init: ProxyEventInit): Promise<APIGatewayProxyResult> {
  return handlers.get(operation)!(proxyEvent(init), lambdaContext());
}

const one = (r: APIGatewayProxyResult, name: string) => {
  const values = r.multiValueHeaders?.[name];
  assert.ok(values && values.length === 1, `one ${name} header in ${JSON.stringify(r.multiValueHeaders)}`);
  return String(values[0]);
};

/** A monolithic push (POST ?digest= with the body): 201 in one request. Returns the digest. */
async function pushMonolithic(name: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const mono = await invoke('startUpload', {
    method: 'POST',
    url: `/v2/${name}/blobs/uploads/?digest=${digest}`,
    body: data,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  assert.equal(mono.statusCode, 201, mono.body);
  return digest;
}

async function pushChunked(name: string, data: Buffer, chunkSize: number): Promise<string> {
  const started = await invoke('startUpload', { method: 'POST', url: `/v2/${name}/blobs/uploads/` });
  assert.equal(started.statusCode, 202);
  let location = one(started, 'location');
  assert.match(location, new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f-]+$`), 'relative, from the public path: no stage, no host');
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    const chunk = data.subarray(offset, offset + chunkSize);
    const patched = await invoke('patchUpload', {
      method: 'PATCH',
      url: location,
      body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
    });
    assert.equal(patched.statusCode, 202, patched.body);
    assert.equal(one(patched, 'range'), `0-${offset + chunk.length - 1}`);
    location = one(patched, 'location');
  }
  const status = await invoke('getUpload', { method: 'GET', url: location });
  assert.equal(status.statusCode, 204);
  assert.equal(one(status, 'range'), `0-${data.length - 1}`);
  const digest = sha256(data);
  const put = await invoke('putUpload', { method: 'PUT', url: `${location}?digest=${digest}` });
  assert.equal(put.statusCode, 201, put.body);
  assert.equal(one(put, 'location'), `/v2/${name}/blobs/${digest}`);
  assert.equal(one(put, 'docker-content-digest'), digest);
  return digest;
}

test('every operation of the route table has its entry, and each answers only its own route', async () => {
  assert.deepEqual([...handlers.keys()].sort(), [...new Set(ROUTES.map((r) => r.operation))].sort());
  const ping = await invoke('ping', { method: 'GET', url: '/v2/' });
  assert.equal(ping.statusCode, 200);
  assert.deepEqual(ping.multiValueHeaders?.['docker-distribution-api-version'], ['registry/2.0']);
  assert.equal((await invoke('ping', { method: 'HEAD', url: '/v2/' })).statusCode, 200);
  const wrong = await invoke('getManifest', { method: 'GET', url: '/v2/app/tags/list' });
  assert.equal(wrong.statusCode, 404);
  assert.equal(JSON.parse(wrong.body).errors[0].code, 'NAME_UNKNOWN');
});

test('push (chunked blob, monolithic blob, manifest by tag and by digest with ?tag=), pull, and blob redirects to S3', async () => {
  const name = 'team/app';
  // 9 MiB in 3 MiB chunks: each under the Lambda limit, together past S3's 5 MiB part minimum.
  const layer = randomBytes(9 * MIB);
  const layerDigest = await pushChunked(name, layer, 3 * MIB);
  const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
  const configDigest = await pushMonolithic(name, config);

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const manifestDigest = sha256(manifest);
  const byTag = await invoke('putManifest', { method: 'PUT', url: `/v2/${name}/manifests/v1`, body: manifest, headers: { 'Content-Type': MANIFEST } });
  assert.equal(byTag.statusCode, 201, byTag.body);
  assert.equal(one(byTag, 'location'), `/v2/${name}/manifests/${manifestDigest}`);
  const byDigest = await invoke('putManifest', {
    method: 'PUT',
    url: `/v2/${name}/manifests/${manifestDigest}?tag=a&tag=b`,
    body: manifest,
    headers: { 'Content-Type': MANIFEST },
  });
  assert.equal(byDigest.statusCode, 201, byDigest.body);
  assert.deepEqual(byDigest.multiValueHeaders?.['oci-tag'], ['a', 'b'], 'OCI-Tag repeats');

  const got = await invoke('getManifest', { method: 'GET', url: `/v2/${name}/manifests/v1`, headers: { Accept: MANIFEST } });
  assert.equal(got.statusCode, 200);
  assert.equal(got.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(got.body, 'base64'), manifest, 'byte-exact');
  assert.equal(one(got, 'docker-content-digest'), manifestDigest);
  assert.equal(one(got, 'content-type'), MANIFEST);
  const head = await invoke('headManifest', { method: 'HEAD', url: `/v2/${name}/manifests/v1` });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
  assert.equal(one(head, 'content-length'), String(manifest.length));

  const tags = await invoke('listTags', { method: 'GET', url: `/v2/${name}/tags/list?n=2` });
  assert.equal(tags.statusCode, 200);
  assert.deepEqual(JSON.parse(tags.body), { name, tags: ['a', 'b'] });
  assert.match(one(tags, 'link'), new RegExp(`^</v2/${name}/tags/list\\?.*>; rel="next"$`), 'Link relative to the public path');
  const catalog = await invoke('catalog', { method: 'GET', url: '/v2/_catalog' });
  assert.deepEqual(JSON.parse(catalog.body).repositories, [name]);
  const referrers = await invoke('listReferrers', { method: 'GET', url: `/v2/${name}/referrers/${manifestDigest}` });
  assert.equal(referrers.statusCode, 200);
  assert.deepEqual(JSON.parse(referrers.body).manifests, []);

  // Blob HEAD from the link, like a manifest HEAD (the front door restores the renamed
  // Content-Length); blob GET: 307 to S3 (no blob bytes through a Lambda), a URL fetch() can follow.
  const blobHead = await invoke('headBlob', { method: 'HEAD', url: `/v2/${name}/blobs/${layerDigest}` });
  assert.equal(blobHead.statusCode, 200);
  assert.equal(blobHead.body, '');
  assert.equal(one(blobHead, 'docker-content-digest'), layerDigest);
  assert.equal(one(blobHead, 'content-length'), String(layer.length));

  const blobGet = await invoke('getBlob', { method: 'GET', url: `/v2/${name}/blobs/${layerDigest}` });
  assert.equal(blobGet.statusCode, 307);
  assert.equal(blobGet.body, '');
  const location = one(blobGet, 'location');
  assert.ok(location.startsWith(emulators.s3Endpoint), `presigned S3 URL: ${location.slice(0, 80)}`);
  assert.equal(new URL(location).searchParams.get('X-Amz-Expires'), '300', 'STOWAGE_S3_PRESIGN_EXPIRES applies');
  const pulled = Buffer.from(await (await fetch(location)).arrayBuffer());
  assert.ok(pulled.equals(layer), 'the blob pulled from S3 is the one pushed');
  const ranged = await fetch(location, { headers: { Range: 'bytes=10-19' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), layer.subarray(10, 20));

  // Deletes.
  assert.equal((await invoke('deleteManifest', { method: 'DELETE', url: `/v2/${name}/manifests/a` })).statusCode, 202);
  assert.equal((await invoke('deleteManifest', { method: 'DELETE', url: `/v2/${name}/manifests/${manifestDigest}` })).statusCode, 202);
  assert.equal((await invoke('getManifest', { method: 'GET', url: `/v2/${name}/manifests/v1` })).statusCode, 404);
  assert.equal((await invoke('deleteBlob', { method: 'DELETE', url: `/v2/${name}/blobs/${configDigest}` })).statusCode, 202);
  assert.equal((await invoke('headBlob', { method: 'HEAD', url: `/v2/${name}/blobs/${configDigest}` })).statusCode, 404);
});

test('an upload can be cancelled; an oversize chunk is refused before the core with 413', async () => {
  const started = await invoke('startUpload', { method: 'POST', url: '/v2/app/blobs/uploads/' });
  const location = one(started, 'location');
  const tooBig = await invoke('patchUpload', { method: 'PATCH', url: location, body: Buffer.alloc(5 * MIB), headers: { 'Content-Range': `0-${5 * MIB - 1}` } });
  assert.equal(tooBig.statusCode, 413);
  assert.equal(JSON.parse(tooBig.body).errors[0].code, 'SIZE_INVALID');
  assert.equal((await invoke('cancelUpload', { method: 'DELETE', url: location })).statusCode, 204);
  assert.equal((await invoke('getUpload', { method: 'GET', url: location })).statusCode, 404);
});

test('a manifest too large for an item goes through the manifest Lambdas to S3 and back byte-exact (their S3 client is built on first use)', async () => {
  const name = 'team/large';
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const configDigest = await pushMonolithic(name, config);
  // Past the metadata store's inline limit (300 KiB), under the Lambda's 4.5 MiB body limit.
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }],
      annotations: { 'org.example.padding': 'x'.repeat(600 * 1024) },
    }),
  );
  const digest = sha256(manifest);
  const put = await invoke('putManifest', { method: 'PUT', url: `/v2/${name}/manifests/big`, body: manifest, headers: { 'Content-Type': MANIFEST } });
  assert.equal(put.statusCode, 201, put.body);
  const got = await invoke('getManifest', { method: 'GET', url: `/v2/${name}/manifests/big`, headers: { Accept: MANIFEST } });
  assert.equal(got.statusCode, 200, got.body);
  assert.ok(Buffer.from(got.body, 'base64').equals(manifest), 'byte-exact from the bucket');
  assert.equal(one(got, 'docker-content-digest'), digest);
  const head = await invoke('headManifest', { method: 'HEAD', url: `/v2/${name}/manifests/${digest}` });
  assert.equal(head.statusCode, 200);
  assert.equal(one(head, 'content-length'), String(manifest.length));
});

test('every invocation wrote one request-log line with its status', () => {
  const lines = logLines.map((l) => JSON.parse(l) as { message: string; requestId: string; status: number; operation: string }).filter((l) => l.message === 'request');
  assert.ok(lines.length >= 20);
  for (const line of lines) {
    assert.equal(typeof line.requestId, 'string');
  }
  assert.ok(
    lines.some((l) => l.operation === 'putManifest' && l.status === 201),
    'the operation the core ran',
  );
  assert.ok(lines.some((l) => l.status === 413));
});
