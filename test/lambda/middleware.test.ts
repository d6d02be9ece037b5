/**
 * The Lambda handler's middlewares, around the real pipeline with a stand-in operation: the 500 shape for unexpected
 * errors, the body limit (413 naming it), one request-log line with the request ids however the
 * request ends, no 401 ever, and the route check (a Lambda answers only its own operation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../src/core/errors.js';
import { jsonResponse, response, type RegistryRequest, type RegistryResponse } from '../../src/core/messages.js';
import type { RegistryOperation } from '../../src/core/operation.js';
import { Registry } from '../../src/core/registry.js';
import type { Operation, RouteParams } from '../../src/core/routes.js';
import { lambdaHandler } from '../../src/shells/lambda/handler.js';
import { LAMBDA_MAX_BODY_BYTES } from '../../src/shells/lambda/middleware/input-limits.js';
import { lambdaContext, proxyEvent, type ProxyEventInit } from '../helpers/proxy-event.js';

type Run = (operation: Operation, params: RouteParams, req: RegistryRequest) => Promise<RegistryResponse>;

function setup(operation: Operation, run: Run, options: { maxBodyBytes?: number } = {}) {
  const logs: string[] = [];
  const errors: string[] = [];
  const calls: Operation[] = [];
  const descriptor: RegistryOperation = {
    kind: 'registry',
    operation,
    ports: [],
    run: (_ctx, _name, req) => {
      calls.push(operation);
      return run(operation, req.params, req);
    },
  };
  // The real pipeline (Registry.handle) with a stand-in operation.
  const registry = new Registry({}, undefined, { operations: [descriptor] });
  const handler = lambdaHandler(descriptor, { registry: () => registry, log: (l) => logs.push(l), logError: (l) => errors.push(l), ...options });
  const invoke = async (init: ProxyEventInit, requestId = 'req-1') => {
    const event = proxyEvent(init);
    return { event, result: await handler(event, lambdaContext(requestId)) };
  };
  return { invoke, logs, errors, calls };
}

const header = (result: { multiValueHeaders?: Record<string, unknown[]> }, name: string) => result.multiValueHeaders?.[name];
const errorCodes = (body: string) => (JSON.parse(body) as { errors: { code: string }[] }).errors.map((e) => e.code);

test('an unexpected error is a 500 with the spec JSON body (UNKNOWN) and the API version header, logged with the request id', async () => {
  const { invoke, logs, errors } = setup('getManifest', async () => {
    throw new TypeError('boom');
  });
  const { result, event } = await invoke({ method: 'GET', url: '/v2/app/manifests/v1' }, 'req-500');
  assert.equal(result.statusCode, 500);
  assert.deepEqual(JSON.parse(result.body), { errors: [{ code: 'UNKNOWN', message: 'internal server error: see the registry log, then retry the request', detail: null }] });
  assert.deepEqual(header(result, 'docker-distribution-api-version'), ['registry/2.0']);
  assert.deepEqual(header(result, 'content-type'), ['application/json']);
  assert.equal(errors.length, 1);
  const logged = JSON.parse(errors[0]!);
  assert.equal(logged.requestId, event.requestContext.requestId);
  assert.match(logged.error, /TypeError: boom/);
  assert.equal(JSON.parse(logs[0]!).status, 500, 'the request log sees the mapped status');
  assert.equal(JSON.parse(logs[0]!).requestId, event.requestContext.requestId, 'one id in every line of the request');

  const head = setup('headManifest', async () => {
    throw new Error('boom');
  });
  const { result: headResult } = await head.invoke({ method: 'HEAD', url: '/v2/app/manifests/v1' });
  assert.equal(headResult.statusCode, 500);
  assert.equal(headResult.body, '', 'a HEAD answers no body');
});

test('a RegistryError escaping the core is answered as the core answers it', async () => {
  const { invoke, errors } = setup('getManifest', async () => {
    throw new RegistryError('MANIFEST_UNKNOWN', 'manifest v1 is not in app');
  });
  const { result } = await invoke({ method: 'GET', url: '/v2/app/manifests/v1' });
  assert.equal(result.statusCode, 404);
  assert.deepEqual(errorCodes(result.body), ['MANIFEST_UNKNOWN']);
  assert.deepEqual(errors, [], 'an expected refusal is not an error to log');
});

test('a streamed body from the core (a bug on Lambda) is a 500, logged', async () => {
  const { invoke, errors } = setup('getBlob', async () => response(200, {}, (async function* () {})()));
  const { result } = await invoke({ method: 'GET', url: `/v2/app/blobs/sha256:${'a'.repeat(64)}` });
  assert.equal(result.statusCode, 500);
  assert.match(errors[0] ?? '', /StreamingBodyError/);
});

test('a body over the limit is 413 SIZE_INVALID naming the limit, before the core runs; the request is still logged', async () => {
  const small = setup('patchUpload', async () => response(202, {}), { maxBodyBytes: 1024 });
  const { result } = await small.invoke({ method: 'PATCH', url: '/v2/app/blobs/uploads/u1', body: Buffer.alloc(1025) });
  assert.equal(result.statusCode, 413);
  assert.deepEqual(errorCodes(result.body), ['SIZE_INVALID']);
  assert.deepEqual(small.calls, []);
  assert.equal(small.logs.length, 1, 'the early answer ran the log cleanup');
  assert.equal(JSON.parse(small.logs[0]!).status, 413);
  const atLimit = await small.invoke({ method: 'PATCH', url: '/v2/app/blobs/uploads/u1', body: Buffer.alloc(1024) });
  assert.equal(atLimit.result.statusCode, 202);

  const real = setup('patchUpload', async () => response(202, {}));
  const over = await real.invoke({ method: 'PATCH', url: '/v2/app/blobs/uploads/u1', body: Buffer.alloc(LAMBDA_MAX_BODY_BYTES + 1) });
  assert.equal(over.result.statusCode, 413);
  const message = (JSON.parse(over.result.body) as { errors: { message: string; detail: { limit: number } }[] }).errors[0]!;
  assert.match(message.message, /4669440 bytes/, 'the limit, which leaves room in the 6 MiB invoke payload for the rest of the event');
  assert.equal(message.detail.limit, 4669440);
  assert.deepEqual(header(over.result, 'docker-distribution-api-version'), ['registry/2.0']);
});

test('one access line per request, with the fields of the node server and the id of X-Request-Id or API Gateway', async () => {
  const { invoke, logs } = setup('listTags', async () => jsonResponse(200, { name: 'team/app', tags: [] }));
  const { event, result } = await invoke({ method: 'GET', url: '/v2/team/app/tags/list?n=5', stage: 'prod' }, 'lambda-req-42');
  assert.equal(logs.length, 1);
  const line = JSON.parse(logs[0]!);
  assert.equal(line.message, 'request');
  assert.equal(line.level, 'INFO');
  assert.equal(line.requestId, event.requestContext.requestId, "API Gateway's request id, what its own access log shows");
  assert.deepEqual(header(result, 'x-request-id'), [event.requestContext.requestId]);
  assert.equal(line.method, 'GET');
  assert.equal(line.operation, 'listTags');
  assert.equal(line.repository, 'team/app');
  assert.equal(line.status, 200);
  assert.equal(line.bytesIn, 0);
  assert.equal(line.bytesOut, Buffer.byteLength(result.body));
  assert.equal(typeof line.durationMs, 'number');
  assert.equal(typeof line.timestamp, 'string');

  const own = await invoke({ method: 'GET', url: '/v2/team/app/tags/list', headers: { 'X-Request-Id': 'client-chosen-1' } });
  assert.deepEqual(header(own.result, 'x-request-id'), ['client-chosen-1']);
  assert.equal(JSON.parse(logs[1]!).requestId, 'client-chosen-1');
  const hostile = await invoke({ method: 'GET', url: '/v2/team/app/tags/list', headers: { 'X-Request-Id': 'a "quoted" id' } });
  assert.deepEqual(header(hostile.result, 'x-request-id'), [hostile.event.requestContext.requestId]);
});

test('no 401 ever: a 401 from the core, answered or thrown, becomes 403 DENIED without a challenge', async () => {
  const answered = setup('getManifest', async () =>
    response(401, { 'www-authenticate': 'Bearer realm="x"', 'content-type': 'application/json' }, '{"errors":[{"code":"UNAUTHORIZED"}]}'),
  );
  const a = await answered.invoke({ method: 'GET', url: '/v2/app/manifests/v1' });
  assert.equal(a.result.statusCode, 403);
  assert.deepEqual(errorCodes(a.result.body), ['DENIED']);
  assert.equal(header(a.result, 'www-authenticate'), undefined);
  assert.deepEqual(header(a.result, 'docker-distribution-api-version'), ['registry/2.0']);
  assert.equal(JSON.parse(answered.logs[0]!).status, 403);

  const thrown = setup('headManifest', async () => {
    throw new RegistryError('UNAUTHORIZED');
  });
  const t = await thrown.invoke({ method: 'HEAD', url: '/v2/app/manifests/v1' });
  assert.equal(t.result.statusCode, 403);
  assert.equal(t.result.body, '');
});

test("a Lambda answers only its own operation's route: anything else is the spec's 404", async () => {
  const { invoke, calls } = setup('getManifest', async () => jsonResponse(200, {}));
  const tags = await invoke({ method: 'GET', url: '/v2/app/tags/list' });
  assert.equal(tags.result.statusCode, 404);
  assert.deepEqual(errorCodes(tags.result.body), ['NAME_UNKNOWN']);
  const head = await invoke({ method: 'HEAD', url: '/v2/app/manifests/v1' });
  assert.equal(head.result.statusCode, 404);
  assert.equal(head.result.body, '');
  const unknown = await invoke({ method: 'GET', url: '/v2/app/nothing/here' });
  assert.equal(unknown.result.statusCode, 404);
  assert.deepEqual(calls, []);
  const own = await invoke({ method: 'GET', url: '/v2/team/app/manifests/v1' });
  assert.equal(own.result.statusCode, 200);
  assert.deepEqual(calls, ['getManifest']);
});
