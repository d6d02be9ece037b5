/**
 * The Cognito IdentityProvider against cognito-local (InitiateAuth, the pool's JWKS, real RS256
 * tokens) on loopback, and, for machines, against LocalOAuth2TokenEndpoint (cognito-local has no
 * client-credentials grant; the stand-in signs with the pool's key, as Cognito's domain does):
 * people's logins, machines' logins and narrowed tokens, token verification against every kind
 * of bad token, refresh, the token cache (hits, misses on a wrong secret, expiry), and the
 * mapping of Cognito's failures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { AdminCreateUserCommand, InitiateAuthCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { exportJWK, importJWK, SignJWT, type JWK } from 'jose';
import { CognitoIdentityProvider, isAnonymousToken } from '../../src/adapters/aws/cognito-identity-provider.js';
import { CredentialTokenCache } from '../../src/adapters/aws/credential-token-cache.js';
import { RegistryError } from '../../src/core/errors.js';
import { errorResponse } from '../../src/core/error-response.js';
import { Policy } from '../../src/core/auth/policy.js';
import { grantableAccess } from '../../src/core/auth/token-endpoint.js';
import { COGNITO_LOCAL_PRIVATE_JWK, createTestPool, createTestUser, startCognitoLocal, type CognitoLocal, type TestPool } from '../helpers/cognito-local.js';
import { startLocalOAuth2TokenEndpoint, type LocalOAuth2TokenEndpoint } from '../helpers/local-oauth2-token-endpoint.js';

const PASSWORD = 'Correct-Horse-9';
const CI_SECRET = 'ci-secret-0123456789abcdef0123456789abcdef';
const READER_SECRET = 'reader-secret-0123456789abcdef';
const ALL_SCOPES = ['stowage/pull', 'stowage/push', 'stowage/delete'];
const ctx = { clientAddress: '203.0.113.9' };

let cognito: CognitoLocal;
let pool: TestPool;
let otherPool: TestPool;
let oauth: LocalOAuth2TokenEndpoint;
const calls = new Map<string, number>();
let logs: string[] = [];

/** Counts SDK commands (InitiateAuth) the provider sends. */
function counted(client: CognitoIdentityProviderClient): CognitoIdentityProviderClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return client;
}

function provider(options: { now?: () => number; cognitoClient?: CognitoIdentityProviderClient } = {}): CognitoIdentityProvider {
  return new CognitoIdentityProvider({
    userPoolId: pool.userPoolId,
    issuer: pool.issuer,
    jwksUri: pool.jwksUri,
    clientIds: [pool.userClientId, 'ci', 'reader', 'no-grant'],
    resourceServer: 'stowage',
    userClientId: pool.userClientId,
    oauthTokenUrl: oauth.tokenUrl,
    cognito: options.cognitoClient ?? cognito.client,
    ...(options.now && { now: options.now, cache: new CredentialTokenCache({ now: options.now }) }),
    log: (l) => logs.push(l),
  });
}

const initiateAuths = () => calls.get('InitiateAuthCommand') ?? 0;
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

before(async () => {
  cognito = await startCognitoLocal();
  counted(cognito.client);
  pool = await createTestPool(cognito);
  otherPool = await createTestPool(cognito);
  await createTestUser(cognito, pool.userPoolId, 'alice', PASSWORD, ['team-a', 'ops']);
  await createTestUser(cognito, pool.userPoolId, 'bob', PASSWORD);
  await createTestUser(cognito, otherPool.userPoolId, 'alice', PASSWORD);
  oauth = await startLocalOAuth2TokenEndpoint({
    clients: [
      { clientId: 'ci', clientSecret: CI_SECRET, scopes: ALL_SCOPES },
      { clientId: 'reader', clientSecret: READER_SECRET, scopes: ['stowage/pull'] },
      { clientId: 'no-grant', clientSecret: CI_SECRET, scopes: ALL_SCOPES, clientCredentials: false },
      { clientId: 'not-accepted', clientSecret: CI_SECRET, scopes: ALL_SCOPES },
    ],
    signWith: { privateJwk: COGNITO_LOCAL_PRIVATE_JWK, issuer: pool.issuer },
  });
});

after(async () => {
  await oauth.stop();
  await cognito.stop();
});

async function signWithPoolKey(claims: Record<string, unknown>, options: { exp?: number; issuer?: string; key?: JWK; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = options.key ?? COGNITO_LOCAL_PRIVATE_JWK;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: key.kid ?? 'CognitoLocal' })
    .setIssuer(options.issuer ?? pool.issuer)
    .setIssuedAt(now - 7200)
    .setExpirationTime(options.exp ?? now + 3600)
    .sign(await importJWK(key, options.alg ?? 'RS256'));
}

async function userToken(username = 'alice', clientId = pool.userClientId) {
  const out = await cognito.client.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }));
  return out.AuthenticationResult!;
}

describe('people: InitiateAuth USER_PASSWORD_AUTH', () => {
  test('a login gives the user, their groups and a Cognito access token that verifies to the same principal', async () => {
    const idp = provider();
    const auth = await idp.authenticate({ kind: 'password', username: 'alice', password: PASSWORD }, ctx);
    assert.ok(auth);
    assert.equal(auth.principal.subject, 'alice');
    assert.equal(auth.principal.kind, 'user');
    assert.deepEqual([...auth.principal.groups].sort(), ['ops', 'team-a']);
    assert.deepEqual(auth.principal.grant, { kind: 'unrestricted' });
    const issued = await idp.issueToken(auth, { service: 'registry.example.com', access: [], offline: false });
    assert.equal(payloadOf(issued.token).token_use, 'access');
    assert.ok(issued.expiresIn > 3600, `Cognito's lifetime, not ours (${issued.expiresIn})`);
    assert.equal(issued.refreshToken, undefined, 'a refresh token only when asked for');
    assert.deepEqual(await idp.verifyToken(issued.token, 'registry.example.com'), auth.principal);
    assert.deepEqual(await idp.verifyToken(issued.token, 'another-service'), auth.principal, 'Cognito tokens carry no audience: the pool and client ids bind them');
    const offline = await idp.issueToken(auth, { service: 's', access: [], offline: true });
    assert.ok(offline.refreshToken, 'offline_token=true gets the refresh token');
  });

  test('a wrong password, an unknown user and an empty password are all just null', async () => {
    const idp = provider();
    assert.equal(await idp.authenticate({ kind: 'password', username: 'alice', password: 'Wrong-Horse-9' }, ctx), null);
    assert.equal(await idp.authenticate({ kind: 'password', username: 'nobody', password: PASSWORD }, ctx), null);
    assert.equal(await idp.authenticate({ kind: 'password', username: 'alice', password: '' }, ctx), null);
  });

  test('a user whose password is temporary (NEW_PASSWORD_REQUIRED) cannot log in with docker: null, and a log line saying why', async () => {
    await cognito.client.send(new AdminCreateUserCommand({ UserPoolId: pool.userPoolId, Username: 'carol', TemporaryPassword: PASSWORD, MessageAction: 'SUPPRESS' }));
    logs = [];
    assert.equal(await provider().authenticate({ kind: 'password', username: 'carol', password: PASSWORD }, ctx), null);
    assert.match(logs.join('\n'), /NEW_PASSWORD_REQUIRED/);
    assert.ok(!logs.join('\n').includes(PASSWORD), 'never the password');
  });

  test('refresh: REFRESH_TOKEN_AUTH gives a fresh token for the same user; a bad refresh token is null', async () => {
    const idp = provider();
    const auth = (await idp.authenticate({ kind: 'password', username: 'bob', password: PASSWORD }, ctx))!;
    const { refreshToken } = await idp.issueToken(auth, { service: 's', access: [], offline: true });
    const refreshed = await idp.refresh(refreshToken!);
    assert.ok(refreshed);
    assert.equal(refreshed.principal.subject, 'bob');
    const again = await idp.issueToken(refreshed, { service: 's', access: [], offline: true });
    assert.equal(again.refreshToken, refreshToken, 'Cognito keeps the refresh token (no rotation)');
    assert.equal(await idp.refresh('not-a-refresh-token'), null);
  });
});

describe('token verification (aws-jwt-verify against the pool JWKS)', () => {
  test('valid, and every kind of invalid token', async () => {
    const idp = provider();
    const good = await userToken();
    assert.equal((await idp.verifyToken(good.AccessToken!, 's'))?.subject, 'alice');

    const alice = payloadOf(good.AccessToken!);
    const claims = {
      client_id: String(alice.client_id),
      username: 'alice',
      sub: String(alice.sub),
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      'cognito:groups': ['team-a'],
    };
    assert.equal((await idp.verifyToken(await signWithPoolKey(claims), 's'))?.subject, 'alice', 'the control: a token we sign with the pool key verifies');
    const cases: [string, string][] = [
      ['expired', await signWithPoolKey(claims, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['ID token instead of access token', good.IdToken!],
      ['token of another app client of the pool', (await userToken('alice', pool.otherClientId)).AccessToken!],
      ['token of another pool (issuer)', (await userToken('alice', otherPool.userClientId)).AccessToken!],
      ['issuer of another pool, signed with the same key', await signWithPoolKey(claims, { issuer: otherPool.issuer })],
      ['token_use id claim on a token without aud', await signWithPoolKey({ ...claims, token_use: 'id' })],
    ];
    // Forged: claims changed after signing (admin groups), keeping the signature.
    const [h, , sig] = good.AccessToken!.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...alice, username: 'admin', 'cognito:groups': ['admins'] })).toString('base64url');
    cases.push(['tampered claims, original signature', `${h}.${tampered}.${sig}`]);
    // Forged: signed by an attacker's key that claims the pool's key id.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    cases.push(['signed by another key with the pool key id', await signWithPoolKey(claims, { key: { ...(await exportJWK(privateKey)), kid: 'CognitoLocal' } })]);
    cases.push(['signed by another key with an unknown key id', await signWithPoolKey(claims, { key: { ...(await exportJWK(privateKey)), kid: 'attacker' } })]);
    // alg none, and HS256 keyed with the pool's public key (algorithm confusion).
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'CognitoLocal' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...alice, exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.`;
    cases.push(['alg none', none]);
    const jwks = (await (await fetch(pool.jwksUri)).json()) as { keys: JWK[] };
    const hs = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', kid: 'CognitoLocal' })
      .setIssuer(pool.issuer)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    cases.push(['HS256 keyed with the public key', hs]);
    cases.push(['garbage', 'not.a.jwt'], ['empty', ''], ['huge', 'a'.repeat(20_000)]);
    for (const [what, token] of cases) assert.equal(await idp.verifyToken(token, 's'), null, what);
  });

  test('an anonymous token verifies to the anonymous principal; a look-alike does not', async () => {
    const idp = provider();
    const issued = await idp.issueToken({ principal: (await idp.verifyToken('anonymous.AAAAAAAAAAAAAAAAAAAAAA', 's'))! }, { service: 's', access: [], offline: false });
    assert.ok(isAnonymousToken(issued.token));
    assert.equal((await idp.verifyToken(issued.token, 's'))?.kind, 'anonymous');
    assert.equal(await idp.verifyToken('anonymous.short', 's'), null);
    assert.equal(await idp.verifyToken(`anonymous.${'A'.repeat(22)}.x`, 's'), null);
  });

  test('groups from the verified token drive what the policy grants at the token endpoint', async () => {
    const idp = provider();
    const policy = Policy.fromDocument({
      version: 1,
      rules: [
        { principals: { groups: ['team-a'] }, repositories: ['team-a/**'], actions: ['pull', 'push'] },
        { principals: { users: ['bob'] }, repositories: ['bob/*'], actions: ['pull'] },
      ],
    });
    const asked = [
      { type: 'repository', name: 'team-a/app', actions: ['pull', 'push', 'delete'] },
      { type: 'repository', name: 'bob/app', actions: ['pull'] },
    ];
    const alice = (await idp.verifyToken((await userToken('alice')).AccessToken!, 's'))!;
    assert.deepEqual(grantableAccess(policy, alice, asked), [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
    const bob = (await idp.verifyToken((await userToken('bob')).AccessToken!, 's'))!;
    assert.deepEqual(grantableAccess(policy, bob, asked), [{ type: 'repository', name: 'bob/app', actions: ['pull'] }]);
  });
});

describe('machines: the client-credentials grant (LocalOAuth2TokenEndpoint, not cognito-local)', () => {
  test('client id + secret log in as the client, with the scopes its app client may have', async () => {
    const idp = provider();
    const auth = await idp.authenticate({ kind: 'client', clientId: 'ci', clientSecret: CI_SECRET }, ctx);
    assert.ok(auth);
    assert.deepEqual({ subject: auth.principal.subject, kind: auth.principal.kind, clientId: auth.principal.clientId }, { subject: 'ci', kind: 'client', clientId: 'ci' });
    assert.deepEqual(auth.principal.grant, { kind: 'actions', actions: ['pull', 'catalog', 'push', 'delete'] });
    const issued = await idp.issueToken(auth, { service: 's', access: [], offline: true });
    assert.equal(issued.refreshToken, undefined, 'no refresh tokens for machines');
    assert.deepEqual(await idp.verifyToken(issued.token, 's'), auth.principal);
  });

  test('docker login -u <client id> -p <secret>: Basic credentials whose user name is an accepted client id', async () => {
    const auth = await provider().authenticate({ kind: 'password', username: 'reader', password: READER_SECRET }, ctx);
    assert.equal(auth?.principal.kind, 'client');
    assert.deepEqual(auth?.principal.grant, { kind: 'actions', actions: ['pull', 'catalog'] });
  });

  test('refused: a wrong secret, a client without the grant, a client the registry does not accept (never asked)', async () => {
    const idp = provider();
    const before = oauth.requestedScopes.length;
    assert.equal(await idp.authenticate({ kind: 'client', clientId: 'ci', clientSecret: 'wrong' }, ctx), null);
    assert.equal(await idp.authenticate({ kind: 'client', clientId: 'no-grant', clientSecret: CI_SECRET }, ctx), null);
    assert.match(logs.at(-1) ?? '', /client-credentials grant/);
    assert.equal(oauth.requestedScopes.length, before, 'wrong secret and no grant never reach the scope check');
    const issuedBefore = oauth.issued.get('not-accepted') ?? 0;
    assert.equal(await idp.authenticate({ kind: 'client', clientId: 'not-accepted', clientSecret: CI_SECRET }, ctx), null);
    assert.equal(oauth.issued.get('not-accepted') ?? 0, issuedBefore, 'a client outside STOWAGE_COGNITO_CLIENT_IDS is refused without a Cognito call');
  });

  test('a token for fewer actions carries just their scopes; all of them or none: the full token', async () => {
    const idp = provider();
    const auth = (await idp.authenticate({ kind: 'client', clientId: 'ci', clientSecret: CI_SECRET }, ctx))!;
    const pull = await idp.issueToken(auth, { service: 's', access: [{ type: 'repository', name: 'a', actions: ['pull'] }], offline: false });
    assert.equal(payloadOf(pull.token).scope, 'stowage/pull');
    assert.deepEqual((await idp.verifyToken(pull.token, 's'))?.grant, { kind: 'actions', actions: ['pull', 'catalog'] });
    const push = await idp.issueToken(auth, {
      service: 's',
      access: [
        { type: 'repository', name: 'a', actions: ['pull', 'push'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ],
      offline: false,
    });
    assert.equal(payloadOf(push.token).scope, 'stowage/pull stowage/push');
    const all = await idp.issueToken(auth, { service: 's', access: [{ type: 'repository', name: 'a', actions: ['*'] }], offline: false });
    assert.equal(payloadOf(all.token).scope, ALL_SCOPES.join(' '));
    const none = await idp.issueToken(auth, { service: 's', access: [], offline: false });
    assert.equal(none.token, all.token, 'docker login asks for no scope: the login token');
    const reader = (await idp.authenticate({ kind: 'client', clientId: 'reader', clientSecret: READER_SECRET }, ctx))!;
    const readerPush = await idp.issueToken(reader, { service: 's', access: [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }], offline: false });
    assert.equal(payloadOf(readerPush.token).scope, 'stowage/pull', 'never a scope the client may not have (no invalid_scope round trip)');
  });
});

describe('the token cache', () => {
  test('people: one InitiateAuth per credential while the token lasts; a wrong password never hits; expiry refetches', async () => {
    let now = Date.now();
    const idp = provider({ now: () => now });
    const start = initiateAuths();
    for (let i = 0; i < 3; i++) assert.ok(await idp.authenticate({ kind: 'password', username: 'alice', password: PASSWORD }, ctx));
    assert.equal(initiateAuths() - start, 1, 'three logins, one Cognito call');
    assert.equal(await idp.authenticate({ kind: 'password', username: 'alice', password: 'Wrong-Horse-9' }, ctx), null);
    assert.equal(initiateAuths() - start, 2, 'a wrong password goes to Cognito (and fails there)');
    assert.ok(await idp.authenticate({ kind: 'password', username: 'alice', password: PASSWORD }, ctx));
    assert.equal(initiateAuths() - start, 2, 'the right one still hits');
    now += 24 * 3600_000 - 299_000; // cognito-local's tokens live 24 h; 5 minutes before that the entry is dropped
    assert.ok(await idp.authenticate({ kind: 'password', username: 'alice', password: PASSWORD }, ctx));
    assert.equal(initiateAuths() - start, 3, 'near expiry: a fresh login');
  });

  test('machines: one token request per credential and scope set', async () => {
    const idp = provider();
    const start = oauth.issued.get('ci') ?? 0;
    const auth = (await idp.authenticate({ kind: 'client', clientId: 'ci', clientSecret: CI_SECRET }, ctx))!;
    await idp.authenticate({ kind: 'password', username: 'ci', password: CI_SECRET }, ctx);
    const pullOnly = { service: 's', access: [{ type: 'repository', name: 'a', actions: ['pull'] }], offline: false };
    const t1 = await idp.issueToken(auth, pullOnly);
    const t2 = await idp.issueToken(auth, { ...pullOnly, access: [{ type: 'repository', name: 'b', actions: ['pull'] }] });
    assert.equal(t1.token, t2.token);
    assert.equal((oauth.issued.get('ci') ?? 0) - start, 2, 'the all-scopes login token once, the pull token once');
    assert.ok(t2.expiresIn <= t1.expiresIn && t2.expiresIn >= 3590, 'a cached token reports its remaining lifetime');
  });
});

describe("Cognito's failures", () => {
  test('throttling is 429 TOOMANYREQUESTS with Retry-After; anything else unexpected is thrown (a 500, never "wrong password")', async () => {
    const failing = (name: string) => ({ send: async () => Promise.reject(Object.assign(new Error(name), { name })) }) as unknown as CognitoIdentityProviderClient;
    const throttled = provider({ cognitoClient: failing('TooManyRequestsException') });
    await assert.rejects(throttled.authenticate({ kind: 'password', username: `u-${randomUUID()}`, password: PASSWORD }, ctx), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, 'TOOMANYREQUESTS');
      assert.equal(errorResponse(err).headers['retry-after'], '5');
      return true;
    });
    const broken = provider({ cognitoClient: failing('InternalErrorException') });
    await assert.rejects(broken.authenticate({ kind: 'password', username: `u-${randomUUID()}`, password: PASSWORD }, ctx), /InternalErrorException/);
    const misconfigured = provider({ cognitoClient: failing('ResourceNotFoundException') });
    await assert.rejects(misconfigured.authenticate({ kind: 'password', username: `u-${randomUUID()}`, password: PASSWORD }, ctx), /ResourceNotFoundException/);
  });

  test('an unreachable JWKS is a provider failure, not an invalid token', async () => {
    const idp = new CognitoIdentityProvider({
      userPoolId: pool.userPoolId,
      issuer: pool.issuer,
      jwksUri: 'http://127.0.0.1:9/nothing/.well-known/jwks.json',
      clientIds: [pool.userClientId],
      resourceServer: 'stowage',
      cognito: cognito.client,
    });
    await assert.rejects(idp.verifyToken((await userToken()).AccessToken!, 's'), /JWKS unavailable/);
  });
});
