/**
 * IAM login (`stowage login`) on Lambda, with the real entries (lambdas/token.ts, the REQUEST
 * authorizer, the registry operations) configured only through the environment the stack sets
 * with iamLogin on, against a loopback STS that checks SigV4 signatures (test/helpers/fake-sts.ts),
 * a loopback KMS key (test/helpers/fake-kms.ts) and the S3/DynamoDB emulators:
 *
 * - the token route: a password for an allowed role (its session ARN normalized to the role),
 *   refusals naming what is wrong (unknown principal, tampered or expired signature, a binding to
 *   another registry, a request to a host that is not STS, never sent);
 * - docker's side: Basic AWS:<password> at /token, a minted access token for the scopes the
 *   policy grants; the authorizer accepts it; a push with it works in its repository and is
 *   refused (403 DENIED) in a repository outside its scope;
 * - the CLI's own exchange (src/cli/login-command.ts) through a loopback front of the token
 *   Lambda, and the 501 of a registry without IAM login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { encodeSignedRequest, IAM_GRANT_TYPE, IAM_REQUEST_FIELD } from '../../src/core/auth/iam-login.js';
import { iamLogin, signStsLoginRequest } from '../../src/cli/login-command.js';
import { setLogWriter } from '../../src/log/logger.js';
import type { SignedHttpRequest } from '../../src/ports/token-issuer.js';
import { createRegistryStores, startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { startFakeKms, type FakeKms } from '../helpers/fake-kms.js';
import { startFakeSts, type FakeSts } from '../helpers/fake-sts.js';
import { lambdaContext, proxyEvent, type ProxyEventInit } from '../helpers/proxy-event.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const HOST = 'registry.example.com';
const ACCOUNT = '123456789012';
const BUILD = { accessKeyId: 'ASIABUILDROLE0000001', secretAccessKey: 'build-secret-0123456789abcdef0123456789ab', sessionToken: 'build-session-token' };
const STRANGER = { accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'stranger-secret-0123456789abcdef012345678' };
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/codebuild-app`;
const POLICY = {
  version: 1,
  rules: [
    { principals: { iam: [`arn:aws:iam::${ACCOUNT}:role/codebuild-*`] }, repositories: ['ci/**'], actions: ['pull', 'push'] },
    // Every authenticated user and client: never an IAM identity.
    { principals: { authenticated: true }, repositories: ['**'], actions: ['*'] },
  ],
};
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let emulators: AwsEmulators;
let sts: FakeSts;
let kms: FakeKms;
let token: Handler;
let authorizer: Authorizer;
const registry = new Map<string, Handler>();
const lines: string[] = [];

before(async () => {
  emulators = await startAwsEmulators();
  sts = await startFakeSts([
    { ...BUILD, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/codebuild-app/AWSCodeBuild-1234` },
    { ...STRANGER, arn: `arn:aws:iam::${ACCOUNT}:user/stranger` },
  ]);
  kms = await startFakeKms();
  const stores = await createRegistryStores(emulators);
  // What lib/auth-environment.ts sets with iamLogin on; Cognito is configured but never reached.
  Object.assign(process.env, stores, {
    STOWAGE_AUTH: 'cognito',
    STOWAGE_COGNITO_USER_POOL_ID: 'us-east-1_TestPool1',
    STOWAGE_COGNITO_CLIENT_IDS: '1example23456789012345678',
    STOWAGE_COGNITO_RESOURCE_SERVER: 'stowage',
    STOWAGE_CLIENT_ADDRESS_HEADER: 'x-stowage-client-address',
    STOWAGE_PUBLIC_HOST_HEADER: 'x-stowage-public-host',
    STOWAGE_POLICY_DOCUMENT: JSON.stringify(POLICY),
    STOWAGE_IAM_LOGIN_KEY_ID: kms.keyId,
    STOWAGE_IAM_LOGIN_STS_ENDPOINT: sts.url,
    AWS_ENDPOINT_URL_KMS: kms.url,
  });
  setLogWriter((line) => lines.push(line));
  token = ((await import('../../lambdas/token.js')) as { handler: Handler }).handler;
  authorizer = ((await import('../../lambdas/anonymous-pull-authorizer.js')) as { handler: Authorizer }).handler;
  for (const op of ['startUpload', 'putManifest']) registry.set(op, ((await import(`../../lambdas/${op}.js`)) as { handler: Handler }).handler);
});

after(async () => {
  setLogWriter(undefined);
  await sts.stop();
  await kms.stop();
  await emulators.stop();
});

const front = (host = HOST, address = '198.51.100.30') => ({ 'X-Stowage-Public-Host': host, 'X-Stowage-Client-Address': address });
const json = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;
const message = (r: APIGatewayProxyResult) => (json(r).errors as { code: string; message: string }[])[0]!;
const payloadOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function callToken(init: ProxyEventInit, address?: string): Promise<APIGatewayProxyResult> {
  return token(proxyEvent({ ...init, headers: { ...front(HOST, address), ...init.headers } }), lambdaContext());
}

/** POST /token with the IAM grant and this signed request. */
function exchange(signed: SignedHttpRequest, address?: string): Promise<APIGatewayProxyResult> {
  const form = new URLSearchParams({ grant_type: IAM_GRANT_TYPE, service: HOST, [IAM_REQUEST_FIELD]: encodeSignedRequest(signed) });
  return callToken({ method: 'POST', url: '/token', body: form.toString(), textBody: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, address);
}

const sign = (credentials: typeof BUILD | typeof STRANGER, serverId = HOST, signingDate?: Date) =>
  signStsLoginRequest({ credentials, region: undefined, serverId, ...(signingDate && { signingDate }) });

function authorizerEvent(method: string, path: string, authorization: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abcdef1234/registry/${method}${path}`,
    resource: path,
    path,
    httpMethod: method,
    headers: { Authorization: authorization },
    multiValueHeaders: { Authorization: [authorization] },
    pathParameters: {},
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    stageVariables: {},
    requestContext: { requestId: randomUUID() } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

/** A registry operation as API Gateway runs it with IAM login on: the REQUEST authorizer first, its context to the Lambda. */
async function callRegistry(op: string, init: ProxyEventInit, bearer: string): Promise<APIGatewayProxyResult> {
  const path = new URL(init.url, 'https://x').pathname;
  const allowed = await authorizer(authorizerEvent(init.method, path, `Bearer ${bearer}`));
  const event = proxyEvent({ ...init, headers: { ...front(), Authorization: `Bearer ${bearer}`, ...init.headers } });
  (event.requestContext as { authorizer: unknown }).authorizer = { principalId: allowed.principalId, ...allowed.context };
  return registry.get(op)!(event, lambdaContext());
}

async function pushImage(name: string, bearer: string): Promise<{ blob: APIGatewayProxyResult; manifest?: APIGatewayProxyResult }> {
  const config = Buffer.from(`{"architecture":"arm64","os":"linux","id":"${randomUUID()}"}`);
  const digest = sha256(config);
  const blob = await callRegistry(
    'startUpload',
    { method: 'POST', url: `/v2/${name}/blobs/uploads/?digest=${digest}`, body: config, headers: { 'Content-Type': 'application/octet-stream' } },
    bearer,
  );
  if (blob.statusCode !== 201) return { blob };
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length }, layers: [] }),
  );
  return { blob, manifest: await callRegistry('putManifest', { method: 'PUT', url: `/v2/${name}/manifests/v1`, body: manifest, headers: { 'Content-Type': MANIFEST } }, bearer) };
}

describe('IAM login at the token route (lambdas/token.ts)', () => {
  test("an allowed role: a registry password whose subject is the role (the session's ARN normalized), then docker's Basic AWS login gets a token for what the policy grants", async () => {
    const r = await exchange(await sign(BUILD));
    assert.equal(r.statusCode, 200, r.body);
    const password = String(json(r).refresh_token);
    assert.deepEqual([payloadOf(password).sub, payloadOf(password).use], [ROLE_ARN, 'login']);
    assert.equal(payloadOf(password).exp as number, (payloadOf(password).iat as number) + 12 * 3600, '12 hours, as ECR');
    assert.ok(
      sts.calls.some((c) => c.host === 'sts.amazonaws.com' && c.code === 'OK'),
      'sent to STS with the signed Host header',
    );
    assert.ok(kms.calls.includes('TrentService.Sign'));

    const scope = encodeURIComponent('repository:ci/app:pull,push');
    const other = encodeURIComponent('repository:team/secret:pull,push');
    const login = await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=${scope}&scope=${other}`, headers: { Authorization: basic('AWS', password) } });
    assert.equal(login.statusCode, 200, login.body);
    const access = payloadOf(String(json(login).token));
    assert.deepEqual(access.access, [{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }], 'the rule for authenticated users does not take IAM identities in');
    assert.deepEqual([access.sub, access.use, access.aud], [ROLE_ARN, 'access', HOST]);

    const forged = await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=${scope}`, headers: { Authorization: basic('AWS', `${password.slice(0, -4)}AAAA`) } });
    assert.equal(forged.statusCode, 401);
    const accessAsPassword = await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=${scope}`, headers: { Authorization: basic('AWS', String(json(login).token)) } });
    assert.equal(accessAsPassword.statusCode, 401, 'an access token is not a password');
  });

  test('refusals are 401 with a message naming what is wrong', async () => {
    const stranger = await exchange(await sign(STRANGER), '198.51.100.41');
    assert.equal(stranger.statusCode, 401);
    assert.match(message(stranger).message, /no policy rule names arn:aws:iam::123456789012:user\/stranger/);

    const good = await sign(BUILD);
    const tampered = {
      ...good,
      headers: { ...good.headers, authorization: good.headers.authorization!.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`) },
    };
    const t = await exchange(tampered, '198.51.100.42');
    assert.equal(t.statusCode, 401);
    assert.match(message(t).message, /STS refused the signed request: the signature does not match/);

    const expired = await exchange(await sign(BUILD, HOST, new Date(Date.now() - 20 * 60 * 1000)), '198.51.100.43');
    assert.equal(expired.statusCode, 401);
    assert.match(message(expired).message, /the signature expired/);

    const elsewhere = await exchange(await sign(BUILD, 'other-registry.example.com'), '198.51.100.44');
    assert.equal(elsewhere.statusCode, 401);
    assert.match(message(elsewhere).message, /bound to registry "other-registry\.example\.com".*not to this one \("registry\.example\.com"\)/);

    const before = sts.calls.length;
    const evil = { ...good, url: 'https://evil.example.com/', headers: { ...good.headers, host: 'evil.example.com' } };
    const notSts = await exchange(evil, '198.51.100.45');
    assert.equal(notSts.statusCode, 401);
    assert.match(message(notSts).message, /not to an STS endpoint/);
    const otherAction = await exchange({ ...good, body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=x' }, '198.51.100.46');
    assert.match(message(otherAction).message, /only sts:GetCallerIdentity/);
    assert.equal(sts.calls.length, before, 'neither request reached STS');
  });
});

describe('the minted token on the registry routes (REQUEST authorizer + registry Lambdas)', () => {
  test('it pushes in its repository; a repository outside its scope is 403 DENIED; a forged one is 401 at the authorizer', async () => {
    const password = String(json(await exchange(await sign(BUILD), '198.51.100.50')).refresh_token);
    const scope = encodeURIComponent('repository:ci/app:pull,push');
    const bearer = String(json(await callToken({ method: 'GET', url: `/token?service=${HOST}&scope=${scope}`, headers: { Authorization: basic('AWS', password) } })).token);

    const pushed = await pushImage('ci/app', bearer);
    assert.equal(pushed.blob.statusCode, 201, pushed.blob.body);
    assert.equal(pushed.manifest?.statusCode, 201, pushed.manifest?.body);

    const outside = await pushImage('ci/other', bearer);
    assert.equal(outside.blob.statusCode, 403, 'the policy would allow ci/other, the token was issued for ci/app only');
    assert.equal(message(outside.blob).code, 'DENIED');

    const [h, p] = bearer.split('.');
    await assert.rejects(authorizer(authorizerEvent('POST', '/v2/ci/app/blobs/uploads/', `Bearer ${h}.${p}.${'A'.repeat(86)}`)), /Unauthorized/);
    await assert.rejects(authorizer(authorizerEvent('POST', '/v2/ci/app/blobs/uploads/', `Bearer ${password}`)), /Unauthorized/, 'the password is not a bearer token');
  });
});

describe('stowage login (src/cli/login-command.ts)', () => {
  let server: Server;
  let origin: string;

  before(async () => {
    // The front door in miniature: /v2/ challenges, /token is the token Lambda with the public host set.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const host = String(req.headers.host);
        if (req.url === '/v2/') {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="${host}"` }).end('{}');
          return;
        }
        const event = proxyEvent({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          body: Buffer.concat(chunks).toString('utf8'),
          textBody: true,
          headers: { 'Content-Type': String(req.headers['content-type'] ?? ''), ...front(host) },
        });
        token(event, lambdaContext()).then((r) => res.writeHead(r.statusCode, { 'content-type': 'application/json' }).end(r.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('prints the password for an allowed role, and the reason for an unknown one', async () => {
    const password = await iamLogin({ registry: origin, region: undefined, credentials: BUILD });
    assert.equal(payloadOf(password).sub, ROLE_ARN);
    await assert.rejects(iamLogin({ registry: origin, region: undefined, credentials: STRANGER }), /refused the IAM login \(401\): IAM login refused: no policy rule names/);
    await assert.rejects(iamLogin({ registry: origin, region: undefined, credentials: BUILD, service: 'another' }), /the registry's service is/);
  });
});
