/**
 * The per-credential token cache (src/adapters/aws/credential-token-cache.ts): a hit needs the
 * same secret, a wrong one is a miss that leaves the entry alone, entries stop being served
 * shortly before their token expires, and no secret is kept in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CredentialTokenCache } from '../../src/adapters/aws/credential-token-cache.js';

const HOUR = 3_600_000;

test('a hit needs the same identity, secret and scope', () => {
  const now = 1_000_000;
  const cache = new CredentialTokenCache({ now: () => now });
  const token = { accessToken: 'tok', expiresAt: now + HOUR, claims: { sub: 'ci' } };
  cache.set('client', 'ci', 's3cret', '*', token);
  assert.equal(cache.get('client', 'ci', 's3cret', '*'), token);
  assert.equal(cache.get('client', 'ci', 'wrong', '*'), undefined, 'a wrong secret misses');
  assert.equal(cache.get('client', 'ci', 's3cret', '*'), token, '...and does not evict the right one');
  assert.equal(cache.get('client', 'ci', 's3cret', 'stowage/pull'), undefined, 'another scope is another entry');
  assert.equal(cache.get('user', 'ci', 's3cret', '*'), undefined, 'another kind is another entry');
  assert.equal(cache.get('client', 'other', 's3cret', '*'), undefined);
});

test('an entry is served until 5 minutes before its token expires, then dropped', () => {
  let now = 0;
  const cache = new CredentialTokenCache({ now: () => now });
  cache.set('user', 'alice', 'pw', '', { accessToken: 'a', expiresAt: HOUR, claims: {} });
  now = HOUR - 300_001;
  assert.ok(cache.get('user', 'alice', 'pw'));
  now = HOUR - 299_000;
  assert.equal(cache.get('user', 'alice', 'pw'), undefined);
  assert.equal(cache.size, 0);
  cache.set('user', 'alice', 'pw', '', { accessToken: 'b', expiresAt: now + 60_000, claims: {} });
  assert.equal(cache.size, 0, 'a token too close to expiry is not stored at all');
});

test('no secret is kept: entries are keyed by a hash and hold an HMAC of the secret', () => {
  const cache = new CredentialTokenCache();
  const secret = 'very-secret-client-secret-value';
  cache.set('client', 'ci-client', secret, 'stowage/pull', { accessToken: 'tok', expiresAt: Date.now() + HOUR, claims: {} });
  const dump = inspect(cache, { depth: 10, showHidden: true, maxStringLength: null });
  assert.ok(!dump.includes(secret), 'the secret is not in the cache');
  assert.ok(!dump.includes('ci-client'), 'nor the client id in clear');
  assert.ok(!dump.includes(Buffer.from(secret).toString('base64')));
});

test('bounded: the oldest entries go first', () => {
  const cache = new CredentialTokenCache({ maxEntries: 2 });
  const t = { accessToken: 't', expiresAt: Date.now() + HOUR, claims: {} };
  cache.set('user', 'a', 'p', '', t);
  cache.set('user', 'b', 'p', '', t);
  cache.set('user', 'c', 'p', '', t);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('user', 'a', 'p'), undefined);
  assert.ok(cache.get('user', 'c', 'p'));
});
