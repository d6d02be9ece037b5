/**
 * The front door over the template's distribution, with the REST API stage in front of a
 * stand-in Lambda and a stand-in upload service: behaviours, the viewer-request function's
 * headers, the API key as origin header, the Lambda@Edge restore, the origin read timeout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as originResponse } from '../../lib/edge/origin-response.js';
import { viewerRequestFunctionCode } from '../../lib/edge/viewer-request.js';
import { RestApiGateway } from './api-gateway.js';
import { behaviorFor, CLOUDFRONT_EDGE_ADDRESS, FrontDoor, pathPatternMatches } from './front-door.js';
import { stackModels } from './harness.js';
import type { InvokeOutcome, LambdaInvoker } from './lambda-runtime.js';

const models = stackModels();
const events: APIGatewayProxyEvent[] = [];
let answer: () => InvokeOutcome = () => ({
  kind: 'result',
  payload: JSON.stringify({ statusCode: 200, multiValueHeaders: { 'Content-Type': ['application/json'], 'Content-Length': ['2'] }, body: '{}' }),
});
const lambda: LambdaInvoker = {
  async invoke(_id, event) {
    events.push(JSON.parse(event) as APIGatewayProxyEvent);
    return answer();
  },
};

let upload: Server;
const uploads: { method: string; url: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
let slowUploads = false;
let frontDoor: FrontDoor;
let url = '';

before(async () => {
  upload = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (b: Buffer) => (bytes += b.length));
    req.on('end', () => {
      uploads.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes });
      if (slowUploads) return; // never answers: the origin read timeout's case
      res.writeHead(202, { location: '/v2/app/blobs/uploads/u1', 'www-authenticate': 'not renamed here', 'content-length': '0' }).end();
    });
  });
  await new Promise<void>((r) => upload.listen(0, '127.0.0.1', () => r()));
  frontDoor = new FrontDoor({ model: models.frontDoor, originResponse: originResponse as (e: unknown) => Promise<unknown>, originReadTimeoutMs: 300 });
  url = await frontDoor.listen();
  const gateway = new RestApiGateway(models.api, lambda, { region: models.names.region, accountId: models.names.accountId });
  frontDoor.attach({ gateway, uploadServiceUrl: `http://127.0.0.1:${(upload.address() as AddressInfo).port}` });
});
after(async () => {
  await frontDoor.close();
  upload.closeAllConnections();
  await new Promise<void>((r) => upload.close(() => r()));
});

test('behaviours: the upload pattern goes to the upload service, everything else to the API', () => {
  assert.equal(behaviorFor(models.frontDoor, '/v2/a/b/blobs/uploads/').origin.kind, 'upload-service');
  assert.equal(behaviorFor(models.frontDoor, '/v2/a/blobs/uploads/x').origin.kind, 'upload-service');
  assert.equal(behaviorFor(models.frontDoor, '/v2/a/blobs/sha256:1').origin.kind, 'api');
  assert.equal(behaviorFor(models.frontDoor, '/v2/').origin.kind, 'api');
  assert.ok(pathPatternMatches('/v2/*/blobs/uploads/*', '/v2/a/blobs/uploads/'));
  assert.ok(!pathPatternMatches('/v2/*/blobs/uploads/*', '/v2/a/blobs/uploads'));
  const api = models.frontDoor.behaviors.find((b) => b.pathPattern === '*')!;
  assert.equal(api.originResponseEdge, true);
  assert.equal(api.originRequestPolicy, 'AllViewerExceptHostHeader');
  assert.equal(api.origin.kind === 'api' && api.origin.originPath, '/registry');
  assert.equal(api.viewerRequestCode, viewerRequestFunctionCode({ apiKeyHeader: 'x-api-key', rewriteRoutes: true }), "the template holds lib/edge's function source");
  const upload = models.frontDoor.behaviors.find((b) => b.origin.kind === 'upload-service')!;
  assert.equal(upload.viewerRequestCode, viewerRequestFunctionCode({ apiKeyHeader: 'x-api-key', rewriteRoutes: false }), 'the upload service gets paths as sent');
  assert.ok(
    models.frontDoor.behaviors.filter((b) => b.origin.kind !== 's3').every((b) => b.forwardsAuthorization),
    'both registry cache policies key on Authorization, so it is forwarded',
  );
});

test('what reaches the Lambda: API key from the origin header, Host of the API, client address, challenge, forwarded-for', async () => {
  events.length = 0;
  const res = await fetch(`${url}/v2/team/app/tags/list?n=1`, { headers: { authorization: 'Bearer t', 'x-api-key': 'viewer-sent', 'x-stowage-client-address': '6.6.6.6' } });
  assert.equal(res.status, 200);
  const e = events[0]!;
  const port = new URL(url).port;
  assert.equal(e.headers['x-api-key'], [...models.api.apiKeys][0], "the viewer's x-api-key is replaced by the origin header");
  assert.equal(e.headers.Host, `${models.api.apiId}.execute-api.eu-west-1.amazonaws.com`);
  assert.equal(e.headers['x-stowage-client-address'], '127.0.0.1', 'set by the function from the viewer address, whatever the viewer sent');
  assert.equal(e.headers['x-stowage-public-host'], `127.0.0.1:${port}`);
  assert.equal(e.headers['x-stowage-challenge'], `Bearer realm="http://127.0.0.1:${port}/token",service="127.0.0.1:${port}",scope="repository:team/app:pull"`);
  assert.equal(e.headers['X-Forwarded-For'], `127.0.0.1, ${CLOUDFRONT_EDGE_ADDRESS}`);
  assert.equal(e.requestContext.identity.sourceIp, CLOUDFRONT_EDGE_ADDRESS, 'sourceIp is CloudFront, not the client');
  assert.equal(e.headers.Authorization, 'Bearer t');
  // The function rewrote the path into the API's fixed route shape, the name in a header.
  assert.equal(e.path, '/v2/_r/tags/list');
  assert.equal(e.headers['x-stowage-repository'], 'team/app');
  assert.equal(e.requestContext.path, '/registry/v2/_r/tags/list');
  assert.ok(res.headers.get('via')?.includes('CloudFront'));
});

test("the gateway's 401 reaches the client with the localized challenge", async () => {
  const res = await fetch(`${url}/v2/team/app/manifests/v1`, { method: 'PUT', body: '{}' });
  assert.equal(res.status, 401);
  const port = new URL(url).port;
  assert.equal(res.headers.get('www-authenticate'), `Bearer realm="http://127.0.0.1:${port}/token",service="127.0.0.1:${port}",scope="repository:team/app:pull,push"`);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
});

test('the Lambda@Edge step restores Content-Length on HEAD and WWW-Authenticate; GET keeps the renamed copy', async () => {
  answer = () => ({ kind: 'result', payload: JSON.stringify({ statusCode: 200, multiValueHeaders: { 'Content-Length': ['7143'], 'WWW-Authenticate': ['Bearer x'] }, body: '' }) });
  const head = await fetch(`${url}/v2/app/manifests/v1`, { method: 'HEAD', headers: { authorization: 'Bearer t' } });
  assert.equal(head.headers.get('content-length'), '7143');
  assert.equal(head.headers.get('x-amzn-remapped-content-length'), null);
  assert.equal(head.headers.get('www-authenticate'), 'Bearer x');
  const get = await fetch(`${url}/v2/app/manifests/v1`, { headers: { authorization: 'Bearer t' } });
  await get.arrayBuffer();
  assert.equal(get.headers.get('content-length'), '0');
  assert.equal(get.headers.get('x-amzn-remapped-content-length'), '7143');
});

test("uploads go to the upload service, unrenamed, with the load balancer's forwarding headers and no API key", async () => {
  uploads.length = 0;
  const res = await fetch(`${url}/v2/app/blobs/uploads/`, { method: 'POST', headers: { authorization: 'Bearer t' } });
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('www-authenticate'), 'not renamed here');
  const seen = uploads[0]!;
  assert.equal(seen.url, '/v2/app/blobs/uploads/');
  assert.equal(seen.headers['x-api-key'], undefined);
  assert.equal(seen.headers['x-forwarded-for'], `127.0.0.1, ${CLOUDFRONT_EDGE_ADDRESS}`);
  assert.equal(seen.headers['x-stowage-client-address'], '127.0.0.1');
  assert.equal(seen.headers.authorization, 'Bearer t');
  assert.match(String(seen.headers.host), /\.elb\.amazonaws\.com$/);
  const { method, uri, behavior, origin, status } = frontDoor.records.at(-1)!;
  assert.deepEqual(
    { method, uri, behavior, origin, status },
    { method: 'POST', uri: '/v2/app/blobs/uploads/', behavior: '/v2/*/blobs/uploads/*', origin: 'upload-service', status: 202 },
  );
});

test('a streamed upload body reaches the upload service whole', async () => {
  uploads.length = 0;
  const size = 3 * 1024 * 1024 + 7;
  const status = await new Promise<number>((resolve, reject) => {
    const r = request(`${url}/v2/app/blobs/uploads/u1`, { method: 'PATCH', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    for (let sent = 0; sent < size; sent += 65536) r.write(Buffer.alloc(Math.min(65536, size - sent)));
    r.end();
  });
  assert.equal(status, 202);
  assert.equal(uploads[0]?.bytes, size);
  assert.equal(frontDoor.records.at(-1)?.bodyBytes, size);
  assert.equal(frontDoor.records.at(-1)?.chunked, true);
});

test("an upload service that does not answer within the origin read timeout is CloudFront's 504", async () => {
  slowUploads = true;
  try {
    const res = await fetch(`${url}/v2/app/blobs/uploads/u1?digest=sha256:x`, { method: 'PUT', body: 'abc' });
    assert.equal(res.status, 504);
    assert.equal(res.headers.get('x-cache'), 'Error from cloudfront');
  } finally {
    slowUploads = false;
  }
});

test("a cache policy that does not key on Authorization means the API never sees it: the gateway's 401", async () => {
  const model = { behaviors: models.frontDoor.behaviors.map((b) => ({ ...b, forwardsAuthorization: false })) };
  const door = new FrontDoor({ model, originResponse: originResponse as (e: unknown) => Promise<unknown> });
  const base = await door.listen();
  door.attach({ gateway: new RestApiGateway(models.api, lambda, { region: models.names.region, accountId: models.names.accountId }) });
  try {
    const res = await fetch(`${base}/v2/`, { headers: { authorization: 'Bearer t' } });
    assert.equal(res.status, 401);
  } finally {
    await door.close();
  }
});
