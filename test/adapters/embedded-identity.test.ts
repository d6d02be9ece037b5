/**
 * The embedded identity provider against the attacks a token must survive: forged signature,
 * expiry, another service or issuer, alg none, HS256 with the public key as secret (algorithm
 * confusion), tampered access claims; and logins that say nothing about which users exist.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { EmbeddedIdentityProvider } from '../../src/adapters/embedded/identity-provider.js';
import { MemoryLoginLimiter } from '../../src/adapters/embedded/login-limiter.js';
import { hashPassword, verifyPassword } from '../../src/adapters/embedded/password-hash.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../src/adapters/embedded/signing-key.js';
import { UsersFile } from '../../src/adapters/embedded/users-file.js';
import type { Authenticated } from '../../src/ports/identity-provider.js';

const SERVICE = 'registry.test';
const ISSUER = 'http://registry.test/token';
const ACCESS = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

let dir = '';
let key: SigningKey;
let users: UsersFile;
let clock = Date.now();
let provider: EmbeddedIdentityProvider;
let alice: Authenticated;

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const claimsOf = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString()) as Record<string, unknown>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-idp-'));
  key = await loadOrCreateSigningKey(join(dir, 'key.pem'));
  users = new UsersFile(join(dir, 'users.json'));
  await users.put('alice', await hashPassword('correct horse'), ['team']);
  provider = new EmbeddedIdentityProvider({ users, key, issuer: ISSUER, now: () => clock });
  alice = (await provider.authenticate({ kind: 'password', username: 'alice', password: 'correct horse' }))!;
});

after(() => rm(dir, { recursive: true, force: true }));

const issue = async () => (await provider.issueToken(alice, { service: SERVICE, access: ACCESS, offline: false })).token;

test('the signing key is made once, owner-only, and found again', async () => {
  assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);
  const again = await loadOrCreateSigningKey(join(dir, 'key.pem'));
  assert.equal(again.kid, key.kid);
  assert.equal((await stat(join(dir, 'users.json'))).mode & 0o777, 0o600, 'the users file is owner-only too');
});

test('a valid token carries the Docker claims and verifies to the principal with its access grant', async () => {
  const token = await issue();
  const claims = claimsOf(token);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.aud, SERVICE);
  assert.equal(claims.sub, 'alice');
  assert.deepEqual(claims.access, ACCESS);
  assert.equal((claims.exp as number) - (claims.iat as number), 300, 'five minutes by default');
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  assert.equal(JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString()).alg, 'ES256');
  const p = await provider.verifyToken(token, SERVICE);
  assert.deepEqual(p, { subject: 'alice', kind: 'user', groups: ['team'], clientId: null, scopes: [], grant: { kind: 'access', access: ACCESS } });
});

test('forged signature: the same claims signed by another key are refused', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forged = await new SignJWT(claimsOf(await issue()) as never).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid }).sign(privateKey);
  assert.equal(await provider.verifyToken(forged, SERVICE), null);
});

test('expired tokens are refused; so are tokens not yet valid', async () => {
  const token = await issue();
  const saved = clock;
  try {
    clock = saved + 301_000;
    assert.equal(await provider.verifyToken(token, SERVICE), null);
    clock = saved - 60_000;
    assert.equal(await provider.verifyToken(token, SERVICE), null);
  } finally {
    clock = saved;
  }
});

test('a token for another service (audience) or from another issuer is refused', async () => {
  const token = await issue();
  assert.equal(await provider.verifyToken(token, 'other.registry'), null);
  const otherIssuer = new EmbeddedIdentityProvider({ users, key, issuer: 'http://elsewhere/token', now: () => clock });
  assert.equal(await otherIssuer.verifyToken(token, SERVICE), null);
});

test('alg none and HS256 keyed with the public key (algorithm confusion) are refused', async () => {
  const claims = claimsOf(await issue());
  const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
  assert.equal(await provider.verifyToken(none, SERVICE), null);
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  const hs = `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
  assert.equal(await provider.verifyToken(hs, SERVICE), null);
});

test('tampered claims (more access, another subject) break the signature', async () => {
  const [h, , s] = parts(await issue());
  const claims = claimsOf(await issue());
  const more = { ...claims, access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }] };
  assert.equal(await provider.verifyToken(`${h}.${b64url(more)}.${s}`, SERVICE), null);
  assert.equal(await provider.verifyToken(`${h}.${b64url({ ...claims, sub: 'admin' })}.${s}`, SERVICE), null);
});

test('garbage, empty and oversized tokens are refused without an error', async () => {
  for (const t of ['', 'x', 'a.b.c', 'Basic abc', 'e'.repeat(20_000)]) assert.equal(await provider.verifyToken(t, SERVICE), null, t.slice(0, 20));
});

// That both take about the same time is a bench row: `npm run bench -- --rows=login_timing_gap_pct`.
test('wrong password and unknown user both fail', async () => {
  assert.equal(await provider.authenticate({ kind: 'password', username: 'alice', password: 'wrong' }), null);
  assert.equal(await provider.authenticate({ kind: 'password', username: 'nobody', password: 'wrong' }), null);
});

test('password hashes are salted argon2id; a malformed stored hash never verifies', async () => {
  const a = await hashPassword('pw-123456');
  const b = await hashPassword('pw-123456');
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(a, b);
  assert.ok(await verifyPassword('pw-123456', a));
  assert.ok(!(await verifyPassword('pw-1234567', a)));
  assert.ok(!(await verifyPassword('pw-123456', 'plaintext')));
});

test('login limiter (in memory): the address window slides; the number of pairs kept is bounded, the stalest dropped', async () => {
  let now = 1_000_000;
  const limits = { freeFailures: 2, backoffSeconds: 1, maxBackoffSeconds: 60, pairMemorySeconds: 600, perAddress: 3, windowSeconds: 60 };
  const limiter = new MemoryLoginLimiter(limits, () => now, 2);
  const at = (principal: string) => ({ principal, address: '10.0.0.1' });
  await limiter.recordFailure(at('bob'));
  now += 10_000;
  await limiter.recordFailure(at('carol'));
  await limiter.recordFailure(at('dave'));
  assert.deepEqual(await limiter.check(at('erin')), { allowed: false, retryAfterSeconds: 50 }, 'until the oldest failure leaves the window');
  now += 50_000;
  assert.deepEqual(await limiter.check(at('erin')), { allowed: true });
  const alone = (principal: string) => ({ principal, address: null });
  for (const name of ['p1', 'p2', 'p3']) for (let i = 0; i < 2; i++) await limiter.recordFailure(alone(name));
  assert.deepEqual(await limiter.check(alone('p1')), { allowed: true }, 'p1 was dropped to keep two pairs');
  assert.equal((await limiter.check(alone('p3'))).allowed, false);
});
