/**
 * `stowage serve --auth cognito` as the stack's upload service runs it (a child process with
 * exactly the environment lib/stowage-registry.ts gives the Fargate task, cognito-local's
 * issuer and endpoint in place of Cognito's, emulators for S3 and DynamoDB): every request's
 * bearer token is verified with aws-jwt-verify through the core's own authorization, a 401
 * names the public token endpoint, the policy decides per repository, and a missing Cognito
 * setting stops the server at start with one line. The same server also answers /token at
 * Cognito (a container deployment outside the stack).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { serveChild, type ServedChild } from '../helpers/serve-child.js';
import { startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { COGNITO_LOCAL_PRIVATE_JWK, createTestPool, createTestUser, startCognitoLocal, type CognitoLocal, type TestPool } from '../helpers/cognito-local.js';
import { startLocalOAuth2TokenEndpoint, type LocalOAuth2TokenEndpoint } from '../helpers/local-oauth2-token-endpoint.js';

const PASSWORD = 'Correct-Horse-9';
const CI_SECRET = 'ci-secret-0123456789abcdef0123456789abcdef';
const PUBLIC_HOST = 'registry.example.com';

let aws: AwsEmulators;
let cognito: CognitoLocal;
let pool: TestPool;
let oauth: LocalOAuth2TokenEndpoint;
let home: string;

before(async () => {
  aws = await startAwsEmulators();
  cognito = await startCognitoLocal();
  pool = await createTestPool(cognito);
  await createTestUser(cognito, pool.userPoolId, 'alice', PASSWORD, ['team-a']);
  oauth = await startLocalOAuth2TokenEndpoint({
    clients: [{ clientId: 'ci', clientSecret: CI_SECRET, scopes: ['stowage/pull', 'stowage/push'] }],
    signWith: { privateJwk: COGNITO_LOCAL_PRIVATE_JWK, issuer: pool.issuer },
  });
  home = await mkdtemp(join(tmpdir(), 'stowage-serve-cognito-'));
});
after(async () => {
  await oauth.stop();
  await cognito.stop();
  await aws.stop();
  await rm(home, { recursive: true, force: true });
});

/** The Fargate task's environment (lib/stowage-registry.ts + lib/upload-service.ts), on emulators. */
function taskEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    ...aws.env,
    STOWAGE_HOST: '0.0.0.0',
    STOWAGE_DATA_DIR: join(home, 'data'),
    STOWAGE_STORAGE: 's3',
    STOWAGE_METADATA: 'dynamodb',
    STOWAGE_S3_BUCKET: 'uploads',
    STOWAGE_S3_FORCE_PATH_STYLE: '1',
    STOWAGE_DYNAMODB_TABLE: 'registry',
    STOWAGE_EVENTS: 'log',
    STOWAGE_CREATE_RESOURCES: '1',
    // lib/auth-environment.ts authEnvironment() + the realm and service of the public host:
    STOWAGE_AUTH: 'cognito',
    STOWAGE_COGNITO_USER_POOL_ID: pool.userPoolId,
    STOWAGE_COGNITO_CLIENT_IDS: `${pool.userClientId},ci`,
    STOWAGE_COGNITO_RESOURCE_SERVER: 'stowage',
    STOWAGE_CLIENT_ADDRESS_HEADER: 'x-stowage-client-address',
    STOWAGE_POLICY_DOCUMENT: JSON.stringify({
      version: 1,
      rules: [
        { principals: { groups: ['team-a'] }, repositories: ['team-a/**'], actions: ['pull', 'push'] },
        { principals: { clients: ['ci'] }, repositories: ['ci/**'], actions: ['pull', 'push'] },
      ],
    }),
    STOWAGE_REALM: `https://${PUBLIC_HOST}/token`,
    STOWAGE_SERVICE: PUBLIC_HOST,
    // cognito-local in place of Cognito:
    STOWAGE_COGNITO_ISSUER: pool.issuer,
    STOWAGE_COGNITO_REGION: 'us-east-1',
    ...extra,
  };
}

function serve(env: NodeJS.ProcessEnv): Promise<ServedChild> {
  return serveChild(['--port', '0'], env);
}

async function aliceToken(): Promise<string> {
  const out = await cognito.client.send(new InitiateAuthCommand({ ClientId: pool.userClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD } }));
  return out.AuthenticationResult!.AccessToken!;
}

async function ciToken(scope: string): Promise<string> {
  const r = await fetch(oauth.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`ci:${CI_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

test('the upload service verifies Cognito tokens itself and authorizes with the core: 401 with the public challenge, 403 by policy and scope, uploads with a valid token', async () => {
  const s = await serve(taskEnv());
  try {
    assert.ok(s.url, `started: ${s.stderr}`);
    const anonymous = await fetch(`${s.url}/v2/team-a/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), `Bearer realm="https://${PUBLIC_HOST}/token",service="${PUBLIC_HOST}",scope="repository:team-a/app:pull,push"`);

    const alice = { authorization: `Bearer ${await aliceToken()}`, 'x-stowage-client-address': '198.51.100.4' };
    const blob = Buffer.from('a layer, streamed to the upload service');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const started = await fetch(`${s.url}/v2/team-a/app/blobs/uploads/`, { method: 'POST', headers: alice });
    assert.equal(started.status, 202);
    const patched = await fetch(new URL(started.headers.get('location')!, s.url), {
      method: 'PATCH',
      headers: { ...alice, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    assert.equal(patched.status, 202);
    const put = await fetch(new URL(`${patched.headers.get('location')!}?digest=${digest}`, s.url), { method: 'PUT', headers: alice });
    assert.equal(put.status, 201);

    const denied = await fetch(`${s.url}/v2/team-b/app/blobs/uploads/`, { method: 'POST', headers: alice });
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DENIED');

    const t = alice.authorization;
    const forged = await fetch(`${s.url}/v2/team-a/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `${t.slice(0, -6)}AAAAAA` } });
    assert.equal(forged.status, 401, 'a forged signature');
    assert.match(forged.headers.get('www-authenticate') ?? '', /^Bearer realm="https:\/\/registry\.example\.com\/token"/);

    const ciPull = await ciToken('stowage/pull');
    assert.equal(
      (await fetch(`${s.url}/v2/ci/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${ciPull}` } })).status,
      403,
      'a pull-scoped machine token cannot upload',
    );
    const ciPush = await ciToken('stowage/pull stowage/push');
    assert.equal((await fetch(`${s.url}/v2/ci/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${ciPush}` } })).status, 202);
  } finally {
    await s.stop();
  }
});

test('the same server answers /token at Cognito when it has the people client and the OAuth2 endpoint (a container outside the stack)', async () => {
  const s = await serve(
    taskEnv({ STOWAGE_COGNITO_USER_CLIENT_ID: pool.userClientId, STOWAGE_COGNITO_OAUTH_TOKEN_URL: oauth.tokenUrl, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint }),
  );
  try {
    assert.ok(s.url, s.stderr);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const r = await fetch(`${s.url}/token?service=${PUBLIC_HOST}&scope=repository:team-a/app:pull`, { headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(r.status, 200);
    const machine = await fetch(`${s.url}/token?service=${PUBLIC_HOST}&scope=repository:ci/app:pull,push`, { headers: { authorization: basic('ci', CI_SECRET) } });
    assert.equal(machine.status, 200);
    const { token } = (await machine.json()) as { token: string };
    assert.equal((await fetch(`${s.url}/v2/ci/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, 202);
    assert.equal((await fetch(`${s.url}/token?service=${PUBLIC_HOST}`, { headers: { authorization: basic('alice', 'wrong') } })).status, 401);
  } finally {
    await s.stop();
  }
});

for (const [what, extra, message] of [
  ['no user pool', { STOWAGE_COGNITO_USER_POOL_ID: '' }, /STOWAGE_COGNITO_USER_POOL_ID is not set/],
  ['no accepted clients', { STOWAGE_COGNITO_CLIENT_IDS: '' }, /STOWAGE_COGNITO_CLIENT_IDS is not set/],
  ['no realm on a wildcard address', { STOWAGE_REALM: '' }, /--auth cognito on 0\.0\.0\.0 needs --realm/],
] as const) {
  test(`--auth cognito fails at start with one clear line on ${what}`, async () => {
    const env = taskEnv(extra as Record<string, string>);
    for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
    const s = await serve(env);
    await s.stop();
    assert.equal(s.url, undefined);
    assert.equal(s.code, 2, 'a refused configuration is a usage error');
    const lines = s.stderr
      .split('\n')
      .filter(
        (l) => l.trim() && !/NodeVersionSupportWarning|versions published|require node|continue receiving|security updates|upgrade to node|More information|trace-warnings/.test(l),
      );
    assert.equal(lines.length, 1, s.stderr);
    assert.match(lines[0]!, message);
  });
}
