/**
 * The IdentityProvider contract (src/ports/identity-provider.ts), run against the embedded
 * provider (users file, ES256 tokens) and Cognito (cognito-local). What both promise: a wrong
 * credential is null whichever part is wrong, an issued token verifies to the same principal,
 * anything else verifies to null, anonymous tokens are issued or refused with the typed error,
 * and a refresh (where offered) answers null to a bad refresh token.
 *
 * Not shared, because the adapters differ by design: the audience check (Cognito access tokens
 * carry none) and machine logins (Cognito app clients; embedded treats them as users). Each
 * adapter's own test file covers those. The provider holds no state the suite creates, so there
 * is no leftover check here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/core/auth/principal.js';
import { AnonymousTokensUnsupported, type IdentityProvider } from '../../src/ports/identity-provider.js';

export interface IdentityProviderHarness {
  provider: IdentityProvider;
  /** A user the provider knows, with the right password. */
  user: { username: string; password: string };
  /** The registry service tokens are issued for. */
  service: string;
}

const ctx = { clientAddress: '203.0.113.9' };
const ACCESS = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

export function identityProviderSuite(name: string, setup: () => Promise<IdentityProviderHarness>): void {
  describe(name, () => {
    const login = async (h: IdentityProviderHarness) => {
      const authenticated = await h.provider.authenticate({ kind: 'password', ...h.user }, ctx);
      assert.ok(authenticated, 'the right password logs in');
      return authenticated;
    };

    test('authenticate: the principal for the right password; null for a wrong password or an unknown user', async () => {
      const h = await setup();
      const { principal } = await login(h);
      assert.equal(principal.subject, h.user.username);
      assert.equal(principal.kind, 'user');
      assert.equal(await h.provider.authenticate({ kind: 'password', username: h.user.username, password: `${h.user.password}x` }, ctx), null);
      assert.equal(await h.provider.authenticate({ kind: 'password', username: `${h.user.username}-nobody`, password: h.user.password }, ctx), null);
      assert.equal(await h.provider.authenticate({ kind: 'password', username: h.user.username, password: '' }, ctx), null);
    });

    test('issueToken / verifyToken: an issued token verifies to the same principal', async () => {
      const h = await setup();
      const before = Date.now();
      const issued = await h.provider.issueToken(await login(h), { service: h.service, access: ACCESS, offline: false });
      assert.ok(issued.token.length > 0);
      assert.ok(issued.expiresIn >= 60, 'docker refuses tokens shorter than 60 s');
      assert.ok(Math.abs(issued.issuedAt.getTime() - before) < 60_000, 'issuedAt is now');
      assert.equal(issued.refreshToken, undefined, 'no refresh token unless asked for');
      const principal = await h.provider.verifyToken(issued.token, h.service);
      assert.ok(principal);
      assert.equal(principal.subject, h.user.username);
      assert.equal(principal.kind, 'user');
    });

    test('verifyToken: null for anything that is not a valid token here', async () => {
      const h = await setup();
      const { token } = await h.provider.issueToken(await login(h), { service: h.service, access: ACCESS, offline: false });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
      for (const bad of ['', 'not-a-token', `${header}.${payload}.`, `${header}.${payload}.${flipped}`, `${header}.${payload}`, token.repeat(40)]) {
        assert.equal(await h.provider.verifyToken(bad, h.service), null, `refused: ${bad.slice(0, 40)}`);
      }
    });

    test('issueToken for an anonymous principal: a token, or AnonymousTokensUnsupported', async () => {
      const h = await setup();
      let issued: Awaited<ReturnType<IdentityProvider['issueToken']>>;
      try {
        issued = await h.provider.issueToken({ principal: ANONYMOUS }, { service: h.service, access: [], offline: false });
      } catch (err) {
        assert.ok(err instanceof AnonymousTokensUnsupported, `the typed error, not ${String(err)}`);
        return;
      }
      assert.ok(issued.token.length > 0);
      assert.ok(issued.expiresIn >= 60);
    });

    test('refresh, where offered: an offline token comes with a refresh token that logs in again; a bad one is null', async () => {
      const h = await setup();
      const issued = await h.provider.issueToken(await login(h), { service: h.service, access: ACCESS, offline: true });
      const refresh = h.provider.refresh?.bind(h.provider);
      if (!refresh) {
        assert.equal(issued.refreshToken, undefined, 'a provider without refresh issues no refresh token');
        return;
      }
      assert.ok(issued.refreshToken, 'asked for offline, got a refresh token');
      const again = await refresh(issued.refreshToken, h.service);
      assert.equal(again?.principal.subject, h.user.username);
      assert.equal(await refresh('not-a-refresh-token', h.service), null);
      assert.equal(await refresh('', h.service), null);
    });
  });
}
