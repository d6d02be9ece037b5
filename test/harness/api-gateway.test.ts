/**
 * The REST API stage over the template's model, with a stand-in Lambda that records the events it
 * gets and answers what a test says: gateway responses (mapped and API Gateway's own), the
 * authorizer placeholder and hook, the API key, the limits, header renaming, the proxy event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { API_BODY_LIMIT, RestApiGateway, type GatewayRequest, type GatewayResult } from './api-gateway.js';
import type { ApiModel } from './api-model.js';
import type { AuthorizeOption } from './authorizer.js';
import { cloudFrontFunction } from './front-door.js';
import { stackModels } from './harness.js';
import { headerValue, type HeaderList } from './headers.js';
import type { InvokeOutcome, LambdaInvoker } from './lambda-runtime.js';

const { api, names, frontDoor: doorModel } = stackModels();
const viewerRequest = cloudFrontFunction(doorModel.behaviors.find((b) => b.pathPattern === '*')?.viewerRequestCode ?? '');

/** A public path as the front door's viewer-request function hands it to the API: the fixed route shape, the name in a header. */
function routed(method: string, path: string): { path: string; headers: HeaderList } {
  const q = path.indexOf('?');
  const uri = q === -1 ? path : path.slice(0, q);
  const out = viewerRequest({ version: '1.0', context: {}, viewer: { ip: '192.0.2.9' }, request: { method, uri, querystring: {}, headers: {}, cookies: {} } }) as {
    uri: string;
    headers: Record<string, { value: string }>;
  };
  const name = out.headers['x-stowage-repository']?.value;
  return { path: `${out.uri}${q === -1 ? '' : path.slice(q)}`, headers: name === undefined ? [] : [['x-stowage-repository', name]] };
}
const KEY = [...api.apiKeys][0] as string;
const CHALLENGE = 'Bearer realm="https://r.example/token",service="r.example",scope="repository:app:pull"';

class StandIn implements LambdaInvoker {
  events: APIGatewayProxyEvent[] = [];
  functions: string[] = [];
  answer: (event: APIGatewayProxyEvent) => InvokeOutcome = () => ok({ statusCode: 200, multiValueHeaders: { 'content-type': ['application/json'] }, body: '{}' });
  async invoke(functionId: string, event: string): Promise<InvokeOutcome> {
    const e = JSON.parse(event) as APIGatewayProxyEvent;
    this.events.push(e);
    this.functions.push(functionId);
    return this.answer(e);
  }
}
const ok = (result: unknown): InvokeOutcome => ({ kind: 'result', payload: JSON.stringify(result) });

function gateway(options: { authorize?: AuthorizeOption; model?: ApiModel } = {}) {
  const lambda = new StandIn();
  const gw = new RestApiGateway(options.model ?? api, lambda, {
    region: names.region,
    accountId: names.accountId,
    ...(options.authorize !== undefined && { authorize: options.authorize }),
  });
  return { gw, lambda };
}

function call(gw: RestApiGateway, method: string, path: string, init: { headers?: HeaderList; body?: Buffer; stage?: string } = {}): Promise<GatewayResult> {
  const body = init.body ?? Buffer.alloc(0);
  const viaFrontDoor = routed(method, path);
  const req: GatewayRequest = {
    method,
    target: `/${init.stage ?? api.stageName}${viaFrontDoor.path}`,
    headers: [...(init.headers ?? []), ...viaFrontDoor.headers],
    body: (async function* () {
      if (body.length > 0) yield body;
    })(),
    sourceIp: '192.0.2.1',
  };
  return gw.handle(req);
}

const h = (r: GatewayResult, name: string) => headerValue(r.headers, name);
const json = (r: GatewayResult) => JSON.parse(r.body.toString()) as { errors?: { code: string; message: string; detail: { requestId?: string } }[]; message?: string };
const frontDoor = (extra: HeaderList = []): HeaderList => [['x-api-key', KEY], ['x-stowage-challenge', CHALLENGE], ['Authorization', 'Bearer t'], ...extra];

test("an unmatched path or method gets the template's MISSING_AUTHENTICATION_TOKEN response: the spec's 404", async () => {
  const { gw, lambda } = gateway();
  for (const [method, path] of [
    ['GET', '/v2/a/b/c'],
    ['GET', '/v2/_x/manifests/v1'],
    ['GET', '/nothing'],
  ] as const) {
    const r = await call(gw, method, path, { headers: frontDoor() });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(json(r).errors?.[0]?.code, 'NAME_UNKNOWN');
    assert.equal(json(r).errors?.[0]?.detail.requestId, h(r, 'x-amzn-requestid'), '$context.requestId substituted');
    assert.equal(h(r, 'docker-distribution-api-version'), 'registry/2.0');
    assert.equal(h(r, 'x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.equal(h(r, 'www-authenticate'), undefined, 'no challenge on a 404');
  }
  assert.equal(lambda.events.length, 0, 'no Lambda ran');
});

test('without the gateway response mapping, API Gateway\'s own 403 "Missing Authentication Token"', async () => {
  const responses = new Map(api.gatewayResponses);
  responses.delete('MISSING_AUTHENTICATION_TOKEN');
  const { gw } = gateway({ model: { ...api, gatewayResponses: responses } });
  const r = await call(gw, 'GET', '/v2/a/b/c', { headers: frontDoor() });
  assert.equal(r.status, 403);
  assert.deepEqual(json(r), { message: 'Missing Authentication Token' });
  assert.equal(h(r, 'content-type'), 'application/json');
});

test("a wrong stage is API Gateway's 403 Forbidden", async () => {
  const { gw } = gateway();
  const r = await call(gw, 'GET', '/v2/', { headers: frontDoor(), stage: 'prod' });
  assert.equal(r.status, 403);
  assert.deepEqual(json(r), { message: 'Forbidden' });
});

test('placeholder authorizer: no Authorization is the 401 with the challenge the front door put in the request; any token passes', async () => {
  const { gw, lambda } = gateway();
  const r = await call(gw, 'GET', '/v2/', {
    headers: [
      ['x-api-key', KEY],
      ['x-stowage-challenge', CHALLENGE],
    ],
  });
  assert.equal(r.status, 401);
  assert.equal(h(r, 'www-authenticate'), CHALLENGE, 'method.request.header.x-stowage-challenge mapped');
  assert.equal(json(r).errors?.[0]?.code, 'UNAUTHORIZED');
  assert.equal(h(r, 'cache-control'), 'no-store');
  assert.equal(
    (
      await call(gw, 'GET', '/v2/', {
        headers: [
          ['x-api-key', KEY],
          ['Authorization', '   '],
        ],
      })
    ).status,
    401,
    'an empty identity source is missing',
  );
  assert.equal(lambda.events.length, 0);
  const passed = await call(gw, 'GET', '/v2/', { headers: frontDoor() });
  assert.equal(passed.status, 200);
  assert.equal(lambda.events[0]?.requestContext.authorizer, null, 'the placeholder verifies nothing and adds no claims');
});

test('the authorizer runs before the API key check; the token endpoint has no authorizer but needs the key', async () => {
  const { gw } = gateway();
  assert.equal((await call(gw, 'GET', '/v2/', {})).status, 401, 'no token, no key: the authorizer answers first');
  const noKey = await call(gw, 'GET', '/v2/', { headers: [['Authorization', 'Bearer t']] });
  assert.equal(noKey.status, 403, 'a token but no key: INVALID_API_KEY');
  assert.equal(json(noKey).errors?.[0]?.code, 'DENIED');
  assert.equal(h(noKey, 'x-amzn-errortype'), 'ForbiddenException');
  assert.equal(
    (
      await call(gw, 'GET', '/v2/', {
        headers: [
          ['Authorization', 'Bearer t'],
          ['x-api-key', 'guessed'],
        ],
      })
    ).status,
    403,
  );
  assert.equal((await call(gw, 'GET', '/token?service=x')).status, 403, 'a direct call to /token without the key');
  assert.equal((await call(gw, 'GET', '/token?service=x', { headers: [['x-api-key', KEY]] })).status, 200);
});

test('the authorize hook: claims reach requestContext.authorizer.claims; the Cognito scope rule applies; refusals', async () => {
  const seen: string[][] = [];
  let result: Awaited<ReturnType<Exclude<AuthorizeOption, 'none' | undefined>>> = 'unauthorized';
  const { gw, lambda } = gateway({
    authorize: (req) => {
      seen.push(req.identity);
      assert.equal(req.authorizer.type, 'COGNITO_USER_POOLS');
      assert.equal((req.event as { body?: unknown }).body, undefined, 'the authorizer sees no body');
      return result;
    },
  });
  assert.equal((await call(gw, 'PUT', '/v2/app/manifests/v1', { headers: frontDoor() })).status, 401);
  assert.deepEqual(seen[0], ['Bearer t']);
  result = 'denied';
  const denied = await call(gw, 'PUT', '/v2/app/manifests/v1', { headers: frontDoor() });
  assert.equal(denied.status, 403);
  assert.equal(json(denied).errors?.[0]?.code, 'DENIED');
  assert.equal(h(denied, 'www-authenticate'), CHALLENGE);
  result = { principalId: 'u', claims: { sub: 'u', token_use: 'access', scope: 'stowage/pull' } };
  assert.equal((await call(gw, 'PUT', '/v2/app/manifests/v1', { headers: frontDoor() })).status, 401, 'a pull-only token on a push method');
  result = { principalId: 'u', claims: { sub: 'u', token_use: 'id', scope: 'stowage/push' } };
  assert.equal((await call(gw, 'PUT', '/v2/app/manifests/v1', { headers: frontDoor() })).status, 401, 'an ID token where scopes are set');
  result = { principalId: 'u', claims: { sub: 'u', token_use: 'access', scope: 'aws.cognito.signin.user.admin' } };
  assert.equal((await call(gw, 'PUT', '/v2/app/manifests/v1', { headers: frontDoor() })).status, 200);
  assert.deepEqual(lambda.events.at(-1)?.requestContext.authorizer, { claims: { sub: 'u', token_use: 'access', scope: 'aws.cognito.signin.user.admin' } });
  const { gw: failing } = gateway({ authorize: () => Promise.reject(new Error('JWKS unreachable')) });
  const failed = await call(failing, 'GET', '/v2/', { headers: frontDoor() });
  assert.equal(failed.status, 500, 'AUTHORIZER_FAILURE through DEFAULT_5XX');
  assert.equal(json(failed).errors?.[0]?.code, 'UNKNOWN');
});

test('the event: public path without stage, stage only in requestContext.path, resource and decoded path parameters', async () => {
  const { gw, lambda } = gateway({ authorize: 'none' });
  const body = Buffer.from([0, 1, 2, 255]);
  await call(gw, 'PATCH', '/v2/team/app/blobs/uploads/u%2D1?a=1&tag=x&tag=y', {
    headers: frontDoor([
      ['Content-Type', 'application/octet-stream'],
      ['Content-Length', '4'],
      ['X-Multi', 'one'],
      ['X-Multi', 'two'],
      ['X-Forwarded-For', '198.51.100.7'],
      ['Connection', 'keep-alive'],
    ]),
    body,
  });
  const e = lambda.events[0]!;
  // The path as the front door sent it (the fixed route shape, the name in its header).
  assert.equal(e.path, '/v2/_r/blobs/uploads/u%2D1', 'the path as sent, still encoded');
  assert.equal(e.headers['x-stowage-repository'], 'team/app');
  assert.equal(e.requestContext.path, '/registry/v2/_r/blobs/uploads/u%2D1');
  assert.equal(e.requestContext.stage, 'registry');
  assert.equal(e.resource, '/v2/_r/blobs/uploads/{uuid}');
  assert.equal(e.requestContext.resourcePath, e.resource);
  assert.deepEqual(e.pathParameters, { uuid: 'u-1' });
  assert.deepEqual(e.multiValueQueryStringParameters, { a: ['1'], tag: ['x', 'y'] });
  assert.deepEqual(e.queryStringParameters, { a: '1', tag: 'y' });
  assert.deepEqual(e.multiValueHeaders['X-Multi'], ['one', 'two']);
  assert.equal(e.headers['X-Multi'], 'two');
  assert.equal(e.isBase64Encoded, true, 'binary media types */*: every body is base64');
  assert.ok(Buffer.from(e.body ?? '', 'base64').equals(body));
  assert.equal(e.headers['Content-Length'], undefined, 'API Gateway puts no Content-Length into the event');
  assert.equal(e.headers.Connection, undefined);
  assert.equal(e.headers.Authorization, 'Bearer t');
  assert.equal(e.headers['X-Forwarded-For'], '198.51.100.7, 192.0.2.1', 'the caller appended');
  assert.equal(e.requestContext.identity.sourceIp, '192.0.2.1');
  assert.equal(e.requestContext.identity.apiKey, KEY);
  assert.equal(e.httpMethod, 'PATCH');
  await call(gw, 'GET', '/v2/', { headers: frontDoor() });
  assert.equal(lambda.events[1]?.body, null);
  assert.equal(lambda.events[1]?.isBase64Encoded, false);
  assert.equal(lambda.events[1]?.queryStringParameters, null);
  assert.equal(lambda.events[1]?.pathParameters, null);
});

test('response headers API Gateway renames or drops; its own Content-Length, Content-Type and request id', async () => {
  const { gw, lambda } = gateway({ authorize: 'none' });
  lambda.answer = () =>
    ok({
      statusCode: 200,
      headers: { 'WWW-Authenticate': 'Bearer realm="x"', 'X-Single': 's' },
      multiValueHeaders: {
        'Content-Length': ['7143'],
        Date: ['Tue, 01 Oct 2026 00:00:00 GMT'],
        Server: ['fn'],
        Authorization: ['a'],
        Connection: ['close'],
        'Transfer-Encoding': ['chunked'],
        Via: ['1.1 fn'],
        'OCI-Tag': ['a', 'b'],
        'X-Single': ['m'],
      },
      body: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });
  const r = await call(gw, 'GET', '/v2/', { headers: frontDoor() });
  assert.equal(h(r, 'x-amzn-remapped-www-authenticate'), 'Bearer realm="x"');
  assert.equal(h(r, 'www-authenticate'), undefined);
  assert.equal(h(r, 'x-amzn-remapped-content-length'), '7143');
  assert.equal(h(r, 'content-length'), '7', "API Gateway's own, from the decoded body");
  assert.equal(h(r, 'x-amzn-remapped-date'), 'Tue, 01 Oct 2026 00:00:00 GMT');
  assert.notEqual(h(r, 'date'), 'Tue, 01 Oct 2026 00:00:00 GMT');
  for (const name of ['server', 'authorization', 'connection']) assert.ok(h(r, `x-amzn-remapped-${name}`) && h(r, name) === undefined, name);
  assert.equal(h(r, 'transfer-encoding'), undefined);
  assert.equal(h(r, 'via'), undefined);
  assert.equal(h(r, 'oci-tag'), 'a, b');
  assert.equal(h(r, 'x-single'), 'm', 'multiValueHeaders win over headers');
  assert.equal(h(r, 'content-type'), 'application/json', 'added when the function sets none');
  assert.ok(h(r, 'x-amzn-requestid'));
  assert.equal(r.body.toString(), '{"a":1}', 'base64 decoded');

  lambda.answer = () => ok({ statusCode: 200, multiValueHeaders: { 'content-length': ['42'], 'content-type': ['application/json'] }, body: '' });
  const head = await call(gw, 'HEAD', '/v2/', { headers: frontDoor() });
  assert.equal(h(head, 'content-length'), '0', "a HEAD's Content-Length is the empty body's");
  assert.equal(h(head, 'x-amzn-remapped-content-length'), '42', 'the edge function restores this one');
});

test("limits: 10 MB at the gateway front (plain text), 6 MB of event (REQUEST_TOO_LARGE: the stack's 413 naming the limits)", async () => {
  const { gw, lambda } = gateway({ authorize: 'none' });
  const huge = await call(gw, 'PATCH', '/v2/app/blobs/uploads/u', { headers: frontDoor(), body: Buffer.alloc(API_BODY_LIMIT + 1) });
  assert.equal(huge.status, 413);
  assert.equal(huge.body.toString(), 'HTTP content length exceeded 10485760 bytes.');
  assert.equal(huge.bodyConsumed, false, 'answered before the body was read: the connection closes');
  const declared = await call(gw, 'PATCH', '/v2/app/blobs/uploads/u', { headers: frontDoor([['Content-Length', String(API_BODY_LIMIT + 1)]]) });
  assert.equal(declared.status, 413, 'a declared Content-Length over the limit is refused before reading');

  const big = await call(gw, 'PATCH', '/v2/app/blobs/uploads/u', { headers: frontDoor(), body: Buffer.alloc(4.75 * 1024 * 1024) });
  assert.equal(big.status, 413);
  assert.equal(json(big).errors?.[0]?.code, 'SIZE_INVALID');
  assert.match(json(big).errors?.[0]?.message ?? '', /10 MB.*4\.5 MiB/, 'the message names both limits');
  assert.equal(h(big, 'x-amzn-errortype'), 'BadRequestException');
  assert.equal(lambda.events.length, 0, 'neither reached the function');

  const fits = await call(gw, 'PATCH', '/v2/app/blobs/uploads/u', { headers: frontDoor(), body: Buffer.alloc(4.5 * 1024 * 1024 - 64 * 1024) });
  assert.equal(fits.status, 200);
  assert.equal(lambda.events.length, 1);
});

test('integration failures: a function error or a malformed or oversized result is 502, a timeout 504 (DEFAULT_5XX body)', async () => {
  const { gw, lambda } = gateway({ authorize: 'none' });
  const outcomes: InvokeOutcome[] = [
    { kind: 'error', errorType: 'TypeError', errorMessage: 'boom' },
    { kind: 'result', payload: 'not json' },
    ok({ statusCode: 200, extra: 1 }),
    ok({ statusCode: 200, body: 'x'.repeat(6_291_556) }),
  ];
  for (const outcome of outcomes) {
    lambda.answer = () => outcome;
    const r = await call(gw, 'GET', '/v2/', { headers: frontDoor() });
    assert.equal(r.status, 502, JSON.stringify(outcome).slice(0, 80));
    assert.equal(json(r).errors?.[0]?.code, 'UNKNOWN');
    assert.equal(h(r, 'docker-distribution-api-version'), 'registry/2.0');
  }
  lambda.answer = () => ({ kind: 'timeout' });
  const late = await call(gw, 'GET', '/v2/', { headers: frontDoor() });
  assert.equal(late.status, 504);
  assert.equal(h(late, 'x-amzn-errortype'), 'InternalServerErrorException');
});
