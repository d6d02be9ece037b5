/**
 * The registry with `--auth local` over HTTP: the challenge, the token endpoint, bad and
 * stolen-looking tokens, repository-level refusals, mounts, catalog filtering, anonymous pull,
 * the audit log and the login rate limit. Each case asserts the exact status and error code a
 * client sees (the attack cases the auth issue lists).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import { startStowage, type TestRegistry } from '../helpers/server.js';
import type { PolicyDocument } from '../../src/core/auth/policy.js';
import { configBytes, descriptorOf, imageManifest, MT } from '../conformance/lib/push.js';
import { digestOf, randomBytes } from '../conformance/lib/digest.js';

const PASSWORDS = { alice: 'alice-password', bob: 'bob-password', admin: 'admin-password', dave: 'dave-password' };
const POLICY: PolicyDocument = {
  version: 1,
  anonymous: { pull: ['public/**'] },
  rules: [
    { principals: { groups: ['team-a'] }, repositories: ['team-a/*'], actions: ['pull', 'push', 'catalog'] },
    { principals: { users: ['bob'] }, repositories: ['team-a/*'], actions: ['pull'] },
    { principals: { users: ['admin'] }, repositories: ['**'], actions: ['*'] },
  ],
};

let reg: TestRegistry;
let clockOffset = 0;
let addressCounter = 0;
/** A fresh client address per request unless given: the per-address limit then never trips by accident. */
const nextAddress = () => `198.51.100.${(addressCounter++ % 250) + 1}`;

interface Call {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(
  method: string,
  path: string,
  init: { token?: string; basic?: string; headers?: Record<string, string>; body?: string | Uint8Array; address?: string } = {},
): Promise<Call> {
  const headers: Record<string, string> = { 'x-test-client': init.address ?? nextAddress(), ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.basic !== undefined) headers.authorization = `Basic ${Buffer.from(init.basic).toString('base64')}`;
  const res = await fetch(reg.url + path, { method, headers, ...(init.body !== undefined && { body: init.body as BodyInit }), redirect: 'manual' });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json };
}

const errorCode = (c: Call) => (c.json as { errors: { code: string }[] }).errors[0]!.code;
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown[]; sub: string; aud: string };

function tokenPath(scopes: string[], service = reg.auth!.service): string {
  const q = new URLSearchParams({ service });
  for (const s of scopes) q.append('scope', s);
  return `/token?${q}`;
}

async function login(user: keyof typeof PASSWORDS, ...scopes: string[]): Promise<string> {
  const res = await call('GET', tokenPath(scopes), { basic: `${user}:${PASSWORDS[user]}` });
  assert.equal(res.status, 200, res.text);
  return (res.json as { token: string }).token;
}

/** Pushes a small image (config, one layer, manifest) with a token; returns its digests. */
async function pushImage(token: string, repo: string, tag: string): Promise<{ manifest: string; layer: string }> {
  const cfg = configBytes({ repo, tag, n: Math.random() });
  const layer = randomBytes(100);
  for (const blob of [cfg, layer]) {
    const res = await call('POST', `/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, { token, body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 201, res.text);
  }
  const manifest = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), layers: [descriptorOf(MT.ociLayer, layer)] });
  const put = await call('PUT', `/v2/${repo}/manifests/${tag}`, { token, body: manifest, headers: { 'content-type': MT.ociManifest } });
  assert.equal(put.status, 201, put.text);
  return { manifest: digestOf(manifest), layer: digestOf(layer) };
}

before(async () => {
  reg = await startStowage({
    backend: 'embedded',
    auth: {
      users: [
        { name: 'alice', password: PASSWORDS.alice, groups: ['team-a'] },
        { name: 'bob', password: PASSWORDS.bob },
        { name: 'admin', password: PASSWORDS.admin },
        { name: 'dave', password: PASSWORDS.dave },
      ],
      policy: POLICY,
      loginLimits: { freeFailures: 3, backoffSeconds: 30, maxBackoffSeconds: 120, pairMemorySeconds: 600, perAddress: 4, windowSeconds: 60 },
      clientAddressHeader: 'x-test-client',
      now: () => Date.now() + clockOffset,
    },
  });
});

after(() => reg?.close());

describe('the challenge', () => {
  test('GET /v2/ without credentials: 401 UNAUTHORIZED with realm and service', async () => {
    const res = await call('GET', '/v2/');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="${reg.host}"`);
    assert.equal(errorCode(res), 'UNAUTHORIZED');
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const head = await call('HEAD', '/v2/');
    assert.equal(head.status, 401);
    assert.equal(head.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="${reg.host}"`);
  });

  test('a request naming a repository gets its scope in the challenge; push asks for pull,push', async () => {
    const pull = await call('GET', '/v2/team-a/app/manifests/v1');
    assert.equal(pull.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="${reg.host}",scope="repository:team-a/app:pull"`);
    const push = await call('POST', '/v2/team-a/app/blobs/uploads/');
    assert.equal(push.status, 401);
    assert.equal(push.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="${reg.host}",scope="repository:team-a/app:pull,push"`);
    const catalog = await call('GET', '/v2/_catalog');
    assert.match(catalog.headers.get('www-authenticate') ?? '', /,scope="registry:catalog:\*"$/);
  });

  test('Basic credentials on /v2/ are not accepted: the token flow is the only way in', async () => {
    const res = await call('GET', '/v2/', { basic: `alice:${PASSWORDS.alice}` });
    assert.equal(res.status, 401);
  });
});

describe('the token endpoint', () => {
  test('GET with Basic credentials: a token that opens the ping', async () => {
    const res = await call('GET', tokenPath(['repository:team-a/app:pull,push']), { basic: `alice:${PASSWORDS.alice}` });
    assert.equal(res.status, 200, res.text);
    const body = res.json as { token: string; access_token: string; expires_in: number; issued_at: string };
    assert.equal(body.access_token, body.token);
    assert.equal(body.expires_in, 300);
    assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 5000);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(claims(body.token).access, [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
    assert.equal((await call('GET', '/v2/', { token: body.token })).status, 200);
  });

  test('wrong password, unknown user and malformed Basic: the same 401 and the same body', async () => {
    const wrong = await call('GET', tokenPath([]), { basic: 'alice:not-her-password' });
    const unknown = await call('GET', tokenPath([]), { basic: 'mallory:not-her-password' });
    const malformed = await call('GET', tokenPath([]), { headers: { authorization: 'Basic !!!' } });
    for (const res of [wrong, unknown, malformed]) {
      assert.equal(res.status, 401);
      assert.equal(res.text, '{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password","detail":null}]}');
    }
  });

  test('OAuth2 POST form: password and client_credentials grants; no refresh tokens here', async () => {
    const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const pw = await call(
      'POST',
      '/token',
      form({
        grant_type: 'password',
        username: 'alice',
        password: PASSWORDS.alice,
        service: reg.auth!.service,
        scope: 'repository:team-a/app:pull repository:team-a/b:push',
        client_id: 'containerd',
      }),
    );
    assert.equal(pw.status, 200, pw.text);
    assert.deepEqual(claims((pw.json as { token: string }).token).access, [
      { type: 'repository', name: 'team-a/app', actions: ['pull'] },
      { type: 'repository', name: 'team-a/b', actions: ['push'] },
    ]);
    const cc = await call('POST', '/token', form({ grant_type: 'client_credentials', client_id: 'alice', client_secret: PASSWORDS.alice, service: reg.auth!.service }));
    assert.equal(cc.status, 200, cc.text);
    const bad = await call('POST', '/token', form({ grant_type: 'password', username: 'alice', password: 'nope', service: reg.auth!.service }));
    assert.equal(bad.status, 401);
    const refresh = await call('POST', '/token', form({ grant_type: 'refresh_token', refresh_token: 'x', service: reg.auth!.service }));
    assert.equal(refresh.status, 400);
    assert.match(refresh.text, /no refresh tokens/);
    const other = await call('POST', '/token', form({ grant_type: 'implicit' }));
    assert.equal(other.status, 400);
    const notForm = await call('POST', '/token', { body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(notForm.status, 400);
  });

  test('a token for another service is refused at the endpoint with a message naming ours', async () => {
    const res = await call('GET', tokenPath(['repository:team-a/app:pull'], 'registry.elsewhere'), { basic: `alice:${PASSWORDS.alice}` });
    assert.equal(res.status, 400);
    assert.match(res.text, new RegExp(`token service is \\\\"${reg.auth!.service}\\\\"`));
  });

  test('asking for more than the policy allows grants the allowed part, possibly nothing', async () => {
    const bob = await login('bob', 'repository:team-a/app:pull,push,delete', 'repository:team-b/app:pull', 'registry:catalog:*');
    assert.deepEqual(claims(bob).access, [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
    const nothing = await login('bob', 'repository:secret/x:*');
    assert.deepEqual(claims(nothing).access, []);
  });
});

describe('bearer tokens that must not work', () => {
  test('an expired token: 401 with the challenge', async () => {
    const token = await login('alice', 'repository:team-a/app:pull');
    assert.equal((await call('GET', '/v2/', { token })).status, 200);
    clockOffset = 301_000;
    try {
      const res = await call('GET', '/v2/team-a/app/tags/list', { token });
      assert.equal(res.status, 401);
      assert.equal(errorCode(res), 'UNAUTHORIZED');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm=.*scope="repository:team-a\/app:pull"$/);
      assert.match(res.text, /invalid, expired or not for this registry/);
    } finally {
      clockOffset = 0;
    }
  });

  test('a forged token (right claims, another key) and an alg-none token: 401', async () => {
    const good = await login('admin', 'repository:team-a/app:pull');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT(claims(good) as never).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(privateKey);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${good.split('.')[1]}.`;
    for (const token of [forged, none, 'garbage', '']) {
      const res = await call('GET', '/v2/team-a/app/tags/list', { token });
      assert.equal(res.status, 401, token.slice(0, 20));
      assert.equal(errorCode(res), 'UNAUTHORIZED');
    }
  });

  test('a token issued for another service: 401', async () => {
    const settings = reg.auth!.settings;
    const admin = (await settings.provider.authenticate({ kind: 'password', username: 'admin', password: PASSWORDS.admin }, { clientAddress: null }))!;
    const { token } = await settings.provider.issueToken(admin, {
      service: 'registry.elsewhere',
      access: [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }],
      offline: false,
    });
    const res = await call('GET', '/v2/team-a/app/tags/list', { token });
    assert.equal(res.status, 401);
  });

  test('a pull-only token asking to push, or to delete: 403 DENIED', async () => {
    const admin = await login('admin', 'repository:team-a/app:pull,push');
    await pushImage(admin, 'team-a/app', 'v1');
    const bob = await login('bob', 'repository:team-a/app:pull,push');
    assert.equal((await call('GET', '/v2/team-a/app/manifests/v1', { token: bob })).status, 200);
    const post = await call('POST', '/v2/team-a/app/blobs/uploads/', { token: bob });
    assert.equal(post.status, 403);
    assert.equal(errorCode(post), 'DENIED');
    const alice = await login('alice', 'repository:team-a/app:pull,push,delete');
    const del = await call('DELETE', '/v2/team-a/app/manifests/v1', { token: alice });
    assert.equal(del.status, 403, 'the policy gives team-a push, not delete');
    const elsewhere = await call('GET', '/v2/team-a/other/tags/list', { token: bob });
    assert.equal(elsewhere.status, 403, 'a token is for the repositories it names');
  });
});

describe('what a caller sees and reaches', () => {
  test('cross-repository mount only from a source the caller may pull; otherwise a normal upload (202)', async () => {
    const admin = await login('admin', 'repository:secret/base:pull,push');
    const secret = await pushImage(admin, 'secret/base', 'v1');
    const alice = await login('alice', 'repository:team-a/mounted:pull,push', 'repository:secret/base:pull');
    const withFrom = await call('POST', `/v2/team-a/mounted/blobs/uploads/?mount=${secret.layer}&from=secret/base`, { token: alice });
    assert.equal(withFrom.status, 202, 'no access to the source: a fresh upload session instead');
    assert.match(withFrom.headers.get('location') ?? '', /^\/v2\/team-a\/mounted\/blobs\/uploads\//);
    const withoutFrom = await call('POST', `/v2/team-a/mounted/blobs/uploads/?mount=${secret.layer}`, { token: alice });
    assert.equal(withoutFrom.status, 202, 'no readable holder of the blob: a fresh upload session');
    assert.equal((await call('HEAD', `/v2/team-a/mounted/blobs/${secret.layer}`, { token: alice })).status, 404, 'nothing was linked');

    const own = await pushImage(await login('alice', 'repository:team-a/src:pull,push'), 'team-a/src', 'v1');
    const alice2 = await login('alice', 'repository:team-a/mounted:pull,push', 'repository:team-a/src:pull');
    const allowed = await call('POST', `/v2/team-a/mounted/blobs/uploads/?mount=${own.layer}&from=team-a/src`, { token: alice2 });
    assert.equal(allowed.status, 201, 'a source the caller may pull is mounted');
    // Without `from`, the source must be one the caller may pull: policy AND token grant.
    const notInToken = await call('POST', `/v2/other/copy/blobs/uploads/?mount=${secret.layer}`, { token: await login('admin', 'repository:other/copy:pull,push') });
    assert.equal(notInToken.status, 202, 'the token does not grant pull on the only holder');
    const admin2 = await login('admin', 'repository:other/copy:pull,push', 'repository:secret/base:pull');
    const anySource = await call('POST', `/v2/other/copy/blobs/uploads/?mount=${secret.layer}`, { token: admin2 });
    assert.equal(anySource.status, 201, 'without from, a holder the caller may pull is found');
  });

  test('the catalog lists only repositories the caller may pull, in full pages', async () => {
    const admin = await login('admin', ...['team-a/c1', 'team-a/c2', 'team-a/c3', 'secret/c1', 'secret/c2', 'public/c1'].map((r) => `repository:${r}:pull,push`));
    for (const repo of ['secret/c1', 'team-a/c1', 'secret/c2', 'team-a/c2', 'public/c1', 'team-a/c3']) await pushImage(admin, repo, 'v1');
    const alice = await login('alice', 'registry:catalog:*');
    const all = await call('GET', '/v2/_catalog', { token: alice });
    assert.equal(all.status, 200, all.text);
    const names = (all.json as { repositories: string[] }).repositories;
    assert.ok(
      names.every((n) => n.startsWith('team-a/') || n.startsWith('public/')),
      names.join(' '),
    );
    assert.ok(names.includes('public/c1') && names.includes('team-a/c3'));
    // One name per page, following Link headers: every page full, nothing skipped or repeated.
    const paged: string[] = [];
    let next: string | null = '/v2/_catalog?n=1';
    while (next) {
      const page = await call('GET', next, { token: alice });
      const items = (page.json as { repositories: string[] }).repositories;
      const link = page.headers.get('link');
      if (link) assert.equal(items.length, 1, 'a page with a next link is full');
      paged.push(...items);
      next = link ? /^<([^>]+)>/.exec(link)![1]! : null;
    }
    assert.deepEqual(paged, names);
    const adminCatalog = await call('GET', '/v2/_catalog', { token: await login('admin', 'registry:catalog:*') });
    assert.ok((adminCatalog.json as { repositories: string[] }).repositories.includes('secret/c1'));
    const noGrant = await call('GET', '/v2/_catalog', { token: await login('alice', 'repository:team-a/c1:pull') });
    assert.equal(noGrant.status, 403, 'a token without registry:catalog:* does not list');
    const bob = await call('GET', '/v2/_catalog', { token: await login('bob', 'registry:catalog:*') });
    assert.equal(bob.status, 403, 'the policy gives bob no catalog');
  });

  test('anonymous pull where the policy allows it, and nothing else', async () => {
    const admin = await login('admin', 'repository:public/base:pull,push', 'repository:team-a/private:pull,push');
    const pub = await pushImage(admin, 'public/base', 'v1');
    await pushImage(admin, 'team-a/private', 'v1');
    const get = await call('GET', '/v2/public/base/manifests/v1', { headers: { accept: MT.ociManifest } });
    assert.equal(get.status, 200);
    assert.equal((await call('GET', `/v2/public/base/blobs/${pub.layer}`)).status, 200);
    assert.equal((await call('GET', '/v2/team-a/private/manifests/v1')).status, 401);
    assert.equal((await call('POST', '/v2/public/base/blobs/uploads/')).status, 401, 'anonymous push: log in');
    // docker asks for an anonymous token after the ping's 401: it grants what anyone may pull.
    const anon = await call('GET', tokenPath(['repository:public/base:pull,push', 'repository:team-a/private:pull']));
    assert.equal(anon.status, 200, anon.text);
    const token = (anon.json as { token: string }).token;
    assert.deepEqual(claims(token).access, [{ type: 'repository', name: 'public/base', actions: ['pull'] }]);
    assert.equal((await call('GET', '/v2/public/base/manifests/v1', { token })).status, 200);
    const refused = await call('GET', '/v2/team-a/private/manifests/v1', { token });
    assert.equal(refused.status, 401, 'an anonymous token beyond its grant: log in, never 403');
    assert.match(String(refused.headers.get('www-authenticate')), /scope="repository:team-a\/private:pull"/);
    assert.equal((await call('GET', '/v2/public/base/manifests/v1', { token: 'forged' })).status, 401, 'a bad token is not taken for no token');
  });
});

describe('a push without credentials: 401 with the challenge, never 403', () => {
  test("no Authorization header, and docker's anonymous token, on every push route", async () => {
    const anon = await call('GET', tokenPath(['repository:public/base:pull,push']));
    assert.equal(anon.status, 200, anon.text);
    const anonToken = (anon.json as { token: string }).token;
    const routes: [string, string][] = [
      ['POST', '/v2/public/base/blobs/uploads/'],
      ['POST', '/v2/team-a/app/blobs/uploads/'],
      ['PATCH', '/v2/public/base/blobs/uploads/0f9f3c1e-1111-4111-8111-111111111111'],
      ['PUT', '/v2/public/base/manifests/v9'],
      ['DELETE', '/v2/public/base/manifests/v9'],
    ];
    for (const [method, path] of routes) {
      for (const token of [undefined, anonToken]) {
        const res = await call(method, path, { ...(token && { token }), body: '{}', headers: { 'content-type': MT.ociManifest } });
        const what = `${method} ${path} ${token ? 'with the anonymous token' : 'without credentials'}`;
        assert.equal(res.status, 401, `${what}: ${res.text}`);
        assert.equal(errorCode(res), 'UNAUTHORIZED', what);
        assert.match(String(res.headers.get('www-authenticate')), /^Bearer realm="[^"]+\/token",service="[^"]+",scope="repository:[a-z/-]+:(pull,push|delete)"$/, what);
      }
    }
  });
});

describe('audit and abuse', () => {
  test('audit lines for changes and refusals, with principal, client address and request id; no secrets', async () => {
    const admin = await login('admin', 'repository:audited/app:pull,push');
    await pushImage(admin, 'audited/app', 'v7');
    await call('POST', '/v2/audited/app/blobs/uploads/', { token: await login('bob', 'repository:audited/app:push'), address: '203.0.113.9' });
    await call('GET', tokenPath([]), { basic: 'audit-probe:secret-guess', address: '203.0.113.10' });
    await call('GET', '/v2/audited/app/tags/list', { token: admin }); // a read: no line
    const lines = (await readFile(reg.auth!.auditLog, 'utf8')).trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const put = records.find((r) => r.operation === 'putManifest' && r.repository === 'audited/app');
    assert.ok(put, 'the manifest push is audited');
    assert.equal(put.principal, 'admin');
    assert.equal(put.principalKind, 'user');
    assert.equal(put.method, 'PUT');
    assert.equal(put.reference, 'v7');
    assert.equal(put.status, 201);
    assert.match(String(put.clientAddress), /^198\.51\.100\.\d+$/, 'the trusted header, not the socket');
    assert.match(String(put.requestId), /^[0-9a-f-]{36}$/);
    const denied = records.find((r) => r.repository === 'audited/app' && r.status === 403);
    assert.deepEqual(
      { ...denied, time: 0, requestId: 0 },
      {
        time: 0,
        principal: 'bob',
        principalKind: 'user',
        claimedPrincipal: null,
        clientAddress: '203.0.113.9',
        method: 'POST',
        operation: 'startUpload',
        repository: 'audited/app',
        reference: null,
        status: 403,
        error: 'DENIED',
        requestId: 0,
      },
    );
    const failedLogin = records.find((r) => r.claimedPrincipal === 'audit-probe');
    assert.ok(failedLogin);
    assert.equal(failedLogin.status, 401);
    assert.equal(failedLogin.operation, 'token');
    assert.equal(failedLogin.clientAddress, '203.0.113.10');
    assert.ok(!records.some((r) => r.operation === 'listTags' && r.status === 200), 'reads are not audited');
    const all = lines.join('\n');
    for (const secret of ['secret-guess', PASSWORDS.admin, admin, 'Basic ', 'Bearer ', 'authorization'])
      assert.ok(!all.includes(secret), `audit log holds no ${secret.slice(0, 12)}`);
  });

  test('failed logins per user and address: backoff (429, Retry-After) there, even with the right password; the user elsewhere is not locked out', async () => {
    const [attacker, owner] = ['192.0.2.10', '192.0.2.11'];
    for (let i = 0; i < 3; i++) assert.equal((await call('GET', tokenPath([]), { basic: 'dave:wrong', address: attacker })).status, 401);
    const blocked = await call('GET', tokenPath([]), { basic: 'dave:wrong', address: attacker });
    assert.equal(blocked.status, 429);
    assert.equal(errorCode(blocked), 'TOOMANYREQUESTS');
    assert.equal(Number(blocked.headers.get('retry-after')), 30, 'the first wait of the backoff');
    assert.equal((await call('GET', tokenPath([]), { basic: `dave:${PASSWORDS.dave}`, address: attacker })).status, 429, 'blocked before the password is checked');
    assert.equal((await call('GET', tokenPath([]), { basic: `dave:${PASSWORDS.dave}`, address: owner })).status, 200, 'dave at his own address logs in');
    clockOffset = 31_000;
    try {
      assert.equal((await call('GET', tokenPath([]), { basic: 'dave:wrong', address: attacker })).status, 401, 'one more guess once the wait is over');
      assert.equal(Number((await call('GET', tokenPath([]), { basic: 'dave:wrong', address: attacker })).headers.get('retry-after')), 60, 'doubled');
      clockOffset = 92_000;
      assert.equal((await call('GET', tokenPath([]), { basic: `dave:${PASSWORDS.dave}`, address: attacker })).status, 200, 'allowed again once the wait is over');
      assert.equal((await call('GET', tokenPath([]), { basic: 'dave:wrong', address: attacker })).status, 401, 'the success reset the pair');
    } finally {
      clockOffset = 0;
    }
  });

  test('failed logins per client address: many names from one address are stopped too', async () => {
    const address = '192.0.2.77';
    for (let i = 0; i < 4; i++) assert.equal((await call('GET', tokenPath([]), { basic: `guess${i}:pw`, address })).status, 401);
    const blocked = await call('GET', tokenPath([]), { basic: `alice:${PASSWORDS.alice}`, address });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.equal((await call('GET', tokenPath([]), { basic: `alice:${PASSWORDS.alice}` })).status, 200, 'other addresses are unaffected');
  });
});
