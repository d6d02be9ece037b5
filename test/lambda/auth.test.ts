/**
 * Authentication on Lambda, with the real entries (lambdas/token.ts, lambdas/anonymous-pull-
 * authorizer.ts, the operation entries) configured only through the environment the stack sets,
 * against cognito-local (people), LocalOAuth2TokenEndpoint (machines: cognito-local has no
 * client-credentials grant) and the S3/DynamoDB emulators:
 *
 * - the token endpoint: Basic and OAuth2 logins for people and machines, the service from the
 *   public host, refresh, anonymous tokens, failed logins (401, audit line without the secret),
 *   the DynamoDB login limiter (429 + Retry-After);
 * - registry Lambdas behind the Cognito authorizer: the principal from its flattened claims,
 *   per-repository refusals as 403 DENIED (never 401), audit lines;
 * - the anonymous-pull REQUEST authorizer and the registry Lambdas behind it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { setLogWriter } from '../../src/log/logger.js';
import { createRegistryStores, startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { COGNITO_LOCAL_PRIVATE_JWK, createTestPool, createTestUser, startCognitoLocal, type CognitoLocal, type TestPool } from '../helpers/cognito-local.js';
import { startLocalOAuth2TokenEndpoint, type LocalOAuth2TokenEndpoint } from '../helpers/local-oauth2-token-endpoint.js';
import { lambdaContext, proxyEvent, type ProxyEventInit } from '../helpers/proxy-event.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const PASSWORD = 'Correct-Horse-9';
const CI_SECRET = 'ci-secret-0123456789abcdef0123456789abcdef';
const HOST = 'registry.example.com';
const POLICY = {
  version: 1,
  anonymous: { pull: ['public/**'] },
  rules: [
    { principals: { groups: ['team-a'] }, repositories: ['team-a/**'], actions: ['pull', 'push'] },
    { principals: { clients: ['ci'] }, repositories: ['**'], actions: ['*'] },
  ],
};

let emulators: AwsEmulators;
let cognito: CognitoLocal;
let pool: TestPool;
let oauth: LocalOAuth2TokenEndpoint;
let token: Handler;
let authorizer: Authorizer;
const registry = new Map<string, Handler>();
const lines: string[] = [];
let restore: () => void;

before(async () => {
  emulators = await startAwsEmulators();
  cognito = await startCognitoLocal();
  pool = await createTestPool(cognito);
  await createTestUser(cognito, pool.userPoolId, 'alice', PASSWORD, ['team-a']);
  await createTestUser(cognito, pool.userPoolId, 'bob', PASSWORD);
  oauth = await startLocalOAuth2TokenEndpoint({
    clients: [{ clientId: 'ci', clientSecret: CI_SECRET, scopes: ['stowage/pull', 'stowage/push', 'stowage/delete'] }],
    signWith: { privateJwk: COGNITO_LOCAL_PRIVATE_JWK, issuer: pool.issuer },
  });
  const stores = await createRegistryStores(emulators);
  // What lib/auth-environment.ts sets, with cognito-local's issuer and endpoint instead of Cognito's.
  Object.assign(process.env, stores, {
    STOWAGE_AUTH: 'cognito',
    STOWAGE_COGNITO_USER_POOL_ID: pool.userPoolId,
    STOWAGE_COGNITO_CLIENT_IDS: `${pool.userClientId},ci`,
    STOWAGE_COGNITO_USER_CLIENT_ID: pool.userClientId,
    STOWAGE_COGNITO_OAUTH_TOKEN_URL: oauth.tokenUrl,
    STOWAGE_COGNITO_RESOURCE_SERVER: 'stowage',
    STOWAGE_COGNITO_REGION: 'us-east-1',
    STOWAGE_COGNITO_ISSUER: pool.issuer,
    STOWAGE_CLIENT_ADDRESS_HEADER: 'x-stowage-client-address',
    STOWAGE_PUBLIC_HOST_HEADER: 'x-stowage-public-host',
    STOWAGE_POLICY_DOCUMENT: JSON.stringify(POLICY),
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
  });
  setLogWriter((line) => lines.push(line));
  restore = () => setLogWriter(undefined);
  token = ((await import('../../lambdas/token.js')) as { handler: Handler }).handler;
  authorizer = ((await import('../../lambdas/anonymous-pull-authorizer.js')) as { handler: Authorizer }).handler;
  for (const op of ['ping', 'getManifest', 'startUpload', 'catalog']) registry.set(op, ((await import(`../../lambdas/${op}.js`)) as { handler: Handler }).handler);
});

after(async () => {
  restore();
  await oauth.stop();
  await cognito.stop();
  await emulators.stop();
});

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const front = (address = '198.51.100.20') => ({ 'X-Stowage-Public-Host': HOST, 'X-Stowage-Client-Address': address });
const body = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;
const codes = (r: APIGatewayProxyResult) => (body(r).errors as { code: string }[]).map((e) => e.code);
const audits = () => lines.filter((l) => l.includes('"audit":"stowage"')).map((l) => JSON.parse(l) as Record<string, unknown>);
const payloadOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

function callToken(init: ProxyEventInit): Promise<APIGatewayProxyResult> {
  return token(proxyEvent({ ...init, headers: { ...front(), ...init.headers } }), lambdaContext());
}

async function login(user: string, secret: string, scope = 'repository:team-a/app:pull,push'): Promise<string> {
  const r = await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=${encodeURIComponent(scope)}`, headers: { Authorization: basic(user, secret) } });
  assert.equal(r.statusCode, 200, r.body);
  return String(body(r).token);
}

/** API Gateway's Cognito authorizer result: the verified claims, every value a string. */
function cognitoClaims(accessToken: string): Record<string, string> {
  return Object.fromEntries(Object.entries(payloadOf(accessToken)).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
}

function callRegistry(op: string, init: ProxyEventInit, authorizerContext: Record<string, unknown> | null): Promise<APIGatewayProxyResult> {
  const event = proxyEvent({ ...init, headers: { ...front(), ...init.headers } });
  (event.requestContext as { authorizer: unknown }).authorizer = authorizerContext;
  return registry.get(op)!(event, lambdaContext());
}

function authorizerEvent(method: string, path: string, authorization?: string): APIGatewayRequestAuthorizerEvent {
  const headers = authorization === undefined ? {} : { Authorization: authorization };
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/registry/${method}${path}`,
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: {},
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    stageVariables: {},
    requestContext: { requestId: randomUUID() } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

describe('the token endpoint (lambdas/token.ts)', () => {
  test('a person: GET with Basic credentials, for the service the public host names', async () => {
    const t = await login('alice', PASSWORD);
    const claims = payloadOf(t);
    assert.equal(claims.username, 'alice');
    assert.equal(claims.token_use, 'access');
    const r = await callToken({ method: 'GET', url: `/token?service=another.example.com&scope=repository:a:pull`, headers: { Authorization: basic('alice', PASSWORD) } });
    assert.equal(r.statusCode, 400, 'a service other than the public host');
    assert.match(String((body(r).errors as { message: string }[])[0]!.message), /registry\.example\.com/);
    const res = await callToken({ method: 'GET', url: `/token?service=${HOST}`, headers: { Authorization: basic('alice', PASSWORD) } });
    assert.deepEqual(res.multiValueHeaders?.['cache-control'], ['no-store']);
    assert.ok(Number(body(res).expires_in) >= 60);
  });

  test('a machine: docker login -u <client id> -p <secret> (Basic), and the OAuth2 client_credentials POST; tokens carry just the scopes asked for', async () => {
    const t = await login('ci', CI_SECRET, 'repository:team-b/app:pull');
    assert.equal(payloadOf(t).scope, 'stowage/pull');
    assert.equal(payloadOf(t).client_id, 'ci');
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'ci', client_secret: CI_SECRET, service: HOST, scope: 'repository:x:pull,push' });
    const r = await callToken({ method: 'POST', url: '/token', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(payloadOf(String(body(r).access_token)).scope, 'stowage/pull stowage/push');
  });

  test('OAuth2 password grant with a refresh token, then refresh_token', async () => {
    const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: PASSWORD, service: HOST, access_type: 'offline', client_id: 'docker' });
    const r = await callToken({ method: 'POST', url: '/token', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    assert.equal(r.statusCode, 200, r.body);
    const refresh = String(body(r).refresh_token);
    assert.ok(refresh.length > 20);
    const again = await callToken({
      method: 'POST',
      url: '/token',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: HOST }).toString(),
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(payloadOf(String(body(again).token)).username, 'alice');
  });

  test('no credentials: an anonymous token', async () => {
    const r = await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=repository:public/x:pull` });
    assert.equal(r.statusCode, 200);
    assert.match(String(body(r).token), /^anonymous\.[A-Za-z0-9_-]{22}$/);
  });

  test('a wrong password: 401 with one message, an audit line naming the claimed user, never the password', async () => {
    const before = audits().length;
    const wrong = await callToken({ method: 'GET', url: `/token?service=${HOST}`, headers: { Authorization: basic('alice', 'Not-The-Password-1') } });
    const unknown = await callToken({ method: 'GET', url: `/token?service=${HOST}`, headers: { Authorization: basic('nobody', 'Not-The-Password-1') } });
    const badSecret = await callToken({ method: 'GET', url: `/token?service=${HOST}`, headers: { Authorization: basic('ci', 'Not-The-Password-1') } });
    for (const r of [wrong, unknown, badSecret]) {
      assert.equal(r.statusCode, 401);
      assert.deepEqual(body(r), body(wrong), 'the same answer whatever was wrong');
      assert.equal(r.multiValueHeaders?.['www-authenticate'], undefined, 'no challenge from a Lambda (API Gateway would rename it)');
    }
    const lines3 = audits().slice(before);
    assert.deepEqual(
      lines3.map((a) => [a.claimedPrincipal, a.status, a.error, a.operation, a.clientAddress]),
      [
        ['alice', 401, 'UNAUTHORIZED', 'token', '198.51.100.20'],
        ['nobody', 401, 'UNAUTHORIZED', 'token', '198.51.100.20'],
        ['ci', 401, 'UNAUTHORIZED', 'token', '198.51.100.20'],
      ],
    );
    assert.ok(!lines.join('\n').includes('Not-The-Password-1'), 'no secret in any log line');
  });

  test('failed logins are limited in DynamoDB per user and address: 429 with Retry-After there; the user elsewhere logs in', async () => {
    const address = '203.0.113.77';
    for (let i = 0; i < 5; i++) {
      const r = await token(
        proxyEvent({ method: 'GET', url: `/token?service=${HOST}`, headers: { ...front(address), Authorization: basic('bob', `Wrong-${i}-Password`) } }),
        lambdaContext(),
      );
      assert.equal(r.statusCode, 401);
    }
    const right = (from: string) =>
      token(proxyEvent({ method: 'GET', url: `/token?service=${HOST}`, headers: { ...front(from), Authorization: basic('bob', PASSWORD) } }), lambdaContext());
    const limited = await right(address);
    assert.equal(limited.statusCode, 429, 'bob at the guessing address waits, even with the right password');
    assert.deepEqual(codes(limited), ['TOOMANYREQUESTS']);
    assert.ok(Number(limited.multiValueHeaders?.['retry-after']?.[0]) > 0);
    assert.equal((await right('203.0.113.78')).statusCode, 200, 'bob at another address is not locked out');
    assert.equal((await login('alice', PASSWORD)).length > 0, true, 'other users are not affected');
  });
});

describe('registry Lambdas behind the Cognito authorizer', () => {
  test("the principal comes from the authorizer's claims; per-repository refusals are 403 DENIED, never 401; audit lines", async () => {
    const claims = cognitoClaims(await login('alice', PASSWORD));
    const allowed = await callRegistry('startUpload', { method: 'POST', url: '/v2/team-a/app/blobs/uploads/' }, { claims });
    assert.equal(allowed.statusCode, 202, allowed.body);
    const denied = await callRegistry('startUpload', { method: 'POST', url: '/v2/team-b/app/blobs/uploads/' }, { claims });
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(codes(denied), ['DENIED']);
    const missing = await callRegistry('getManifest', { method: 'GET', url: '/v2/team-a/app/manifests/v1' }, { claims });
    assert.equal(missing.statusCode, 404, 'allowed to pull: the manifest is just not there');
    const lastAudit = audits()
      .filter((a) => a.operation === 'startUpload')
      .slice(-2);
    assert.deepEqual(
      lastAudit.map((a) => [a.principal, a.repository, a.status, a.clientAddress]),
      [
        ['alice', 'team-a/app', 202, '198.51.100.20'],
        ['alice', 'team-b/app', 403, '198.51.100.20'],
      ],
    );
  });

  test('claims of an app client the registry does not accept: refused (403)', async () => {
    const claims = { ...cognitoClaims(await login('alice', PASSWORD)), client_id: pool.otherClientId };
    const r = await callRegistry('startUpload', { method: 'POST', url: '/v2/team-a/app/blobs/uploads/' }, { claims });
    assert.equal(r.statusCode, 403);
  });

  test('a machine token: the policy allows it everything, its scopes limit it', async () => {
    const claims = cognitoClaims(await login('ci', CI_SECRET, 'repository:any/repo:pull'));
    assert.equal((await callRegistry('getManifest', { method: 'GET', url: '/v2/any/repo/manifests/v1' }, { claims })).statusCode, 404);
    const push = await callRegistry('startUpload', { method: 'POST', url: '/v2/any/repo/blobs/uploads/' }, { claims });
    assert.equal(push.statusCode, 403, 'a pull-scoped token cannot push, whatever the policy says');
  });

  test('without authorizer context (a method wired without one) the Lambda verifies the bearer token itself', async () => {
    const t = await login('alice', PASSWORD);
    const ok = await callRegistry('startUpload', { method: 'POST', url: '/v2/team-a/x/blobs/uploads/', headers: { Authorization: `Bearer ${t}` } }, null);
    assert.equal(ok.statusCode, 202);
    const none = await callRegistry('startUpload', { method: 'POST', url: '/v2/team-a/x/blobs/uploads/' }, null);
    assert.equal(none.statusCode, 403, 'no token: the 401 becomes 403 (a Lambda never answers 401)');
    // The ping authorizes nothing itself (lambdas/ping.ts): API Gateway's authorizer answers the
    // 401 challenge before it runs, so what reaches it gets 200 and learns nothing.
    const forged = await callRegistry('ping', { method: 'GET', url: '/v2/', headers: { Authorization: `Bearer ${t.slice(0, -4)}AAAA` } }, null);
    assert.equal(forged.statusCode, 200);
  });
});

describe('the anonymous-pull REQUEST authorizer (lambdas/anonymous-pull-authorizer.ts)', () => {
  test('no credential: a pull of a public repository is allowed as anonymous; anything else (the ping too) is 401', async () => {
    const allowed = await authorizer(authorizerEvent('GET', '/v2/public/tools/manifests/latest'));
    assert.equal(allowed.principalId, 'anonymous');
    assert.deepEqual(allowed.policyDocument.Statement, [
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/registry/GET/v2/public/tools/manifests/latest' },
    ]);
    await assert.rejects(authorizer(authorizerEvent('GET', '/v2/')), /^Error: Unauthorized$/, 'the ping: docker learns the realm from its 401');
    await assert.rejects(authorizer(authorizerEvent('GET', '/v2/team-a/app/manifests/v1')), /Unauthorized/);
    await assert.rejects(authorizer(authorizerEvent('GET', '/v2/public/../team-a/manifests/v1')), /Unauthorized/, 'no path tricks');
  });

  test('the anonymous token: allowed as anonymous; the registry Lambda then allows only public pulls (403 elsewhere)', async () => {
    const anon = String(body(await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=repository:public/x:pull` })).token);
    const ping = await authorizer(authorizerEvent('GET', '/v2/', `Bearer ${anon}`));
    assert.equal(ping.principalId, 'anonymous');
    const context = ping.context!;
    assert.equal((await callRegistry('ping', { method: 'GET', url: '/v2/' }, { principalId: 'anonymous', ...context })).statusCode, 200);
    assert.equal((await callRegistry('getManifest', { method: 'GET', url: '/v2/public/x/manifests/v1' }, { principalId: 'anonymous', ...context })).statusCode, 404);
    const privatePull = await callRegistry('getManifest', { method: 'GET', url: '/v2/team-a/app/manifests/v1' }, { principalId: 'anonymous', ...context });
    assert.equal(privatePull.statusCode, 403);
    assert.deepEqual(codes(privatePull), ['DENIED']);
  });

  test('a Cognito token: verified, its principal passed on; a forged one, a Basic header or garbage is 401', async () => {
    const t = await login('alice', PASSWORD);
    const result = await authorizer(authorizerEvent('GET', '/v2/team-a/app/tags/list', `Bearer ${t}`));
    assert.equal(result.principalId, 'alice');
    const pulled = await callRegistry('getManifest', { method: 'GET', url: '/v2/team-a/app/manifests/v1' }, { principalId: 'alice', ...result.context });
    assert.equal(pulled.statusCode, 404, 'alice may pull team-a: the manifest is just missing');
    const catalog = await callRegistry('catalog', { method: 'GET', url: '/v2/_catalog' }, { principalId: 'alice', ...result.context });
    assert.equal(catalog.statusCode, 403, 'the policy gives alice no catalog');
    const [h, p] = t.split('.');
    for (const bad of [`Bearer ${h}.${p}.AAAA`, basic('alice', PASSWORD), 'Bearer', 'Bearer anonymous.nope', '']) {
      await assert.rejects(authorizer(authorizerEvent('GET', '/v2/team-a/app/manifests/v1', bad)), /Unauthorized/, bad.slice(0, 20));
    }
    assert.ok(!lines.filter((l) => l.includes('authorizer: refused')).some((l) => l.includes(t.slice(0, 20))), 'no token in the log');
  });

  test('a forged authorizer context is not a principal', async () => {
    const r = await callRegistry(
      'startUpload',
      { method: 'POST', url: '/v2/team-a/app/blobs/uploads/' },
      { principalId: 'x', stowagePrincipal: '{"subject":"root","kind":"user","groups":[],"clientId":null,"scopes":[],"grant":{"kind":"access","access":[]}}' },
    );
    assert.equal(r.statusCode, 403);
  });
});
