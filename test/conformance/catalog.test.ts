import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectStatus, nextLink, req } from './lib/http.js';
import { pushImage } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

interface Catalog {
  repositories: string[];
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// The catalog is not part of the OCI spec; Stowage follows Docker Registry HTTP API V2:
// GET /v2/_catalog -> {"repositories": [...]}, with n/last/Link paging like tags/list.
describe('catalog: GET /v2/_catalog', () => {
  let reg: Registry;
  const repos = ['zeta', 'a', 'a-b', 'a/b', 'a.b', 'ab', 'a_b', 'library/ubuntu', 'deep/er/still/deeper', '0'];
  const sorted = [...repos].sort(byteOrder);

  before(async () => {
    reg = await startRegistry();
  });
  after(() => reg.close());

  test('an empty registry answers 200 with an empty repositories list', async (t) => {
    if (process.env.CONFORMANCE_URL) return t.skip('needs a fresh registry');
    const res = await req(reg, 'GET', '/v2/_catalog');
    expectStatus(res, 200, 'GET /v2/_catalog answers 200');
    assert.deepEqual(res.json<Catalog>().repositories, [], `a fresh registry has no repositories, got ${res.text}`);
  });

  test('lists every repository that holds a manifest, in byte order', async () => {
    for (const r of repos) await pushImage(reg, r, 'latest');
    const res = await req(reg, 'GET', '/v2/_catalog');
    expectStatus(res, 200, 'GET /v2/_catalog answers 200');
    assert.equal((res.headers.get('content-type') ?? '').split(';')[0], 'application/json', 'the catalog is JSON');
    const body = res.json<Catalog>();
    if (process.env.CONFORMANCE_URL) {
      for (const r of repos) assert.ok(body.repositories.includes(r), `${r} is listed`);
    } else {
      assert.deepEqual(body.repositories, sorted, 'every repository, in byte order (nested names included)');
    }
  });

  test('?n=N answers N repositories and a Link rel="next" to /v2/_catalog?n=N&last=<last>', async () => {
    const res = await req(reg, 'GET', '/v2/_catalog?n=4');
    expectStatus(res, 200, 'answers 200');
    const body = res.json<Catalog>();
    assert.equal(body.repositories.length, 4, 'n repositories');
    const link = nextLink(res);
    assert.ok(link, 'a Link rel="next" when more repositories remain');
    const u = new URL(link, reg.url);
    assert.equal(u.pathname, '/v2/_catalog', `Link targets /v2/_catalog, got ${link}`);
    assert.equal(u.searchParams.get('n'), '4', `Link keeps n, got ${link}`);
    assert.equal(u.searchParams.get('last'), body.repositories[3], `Link carries last=<last repository returned>, got ${link}`);
  });

  test('following Link pages through every repository exactly once, in order', async () => {
    const seen: string[] = [];
    let url: string | null = '/v2/_catalog?n=3';
    for (let page = 0; url && page < 50; page++) {
      const res = await req(reg, 'GET', new URL(url, reg.url).toString());
      expectStatus(res, 200, `page ${page} answers 200`);
      const body = res.json<Catalog>();
      assert.ok(body.repositories.length <= 3, 'at most n per page');
      seen.push(...body.repositories);
      url = nextLink(res);
    }
    assert.deepEqual(seen, [...seen].sort(byteOrder), 'pages are in byte order');
    assert.equal(new Set(seen).size, seen.length, 'no repository twice');
    for (const r of repos) assert.ok(seen.includes(r), `${r} appears while paging`);
  });

  test('?last=X answers the repositories after X (exclusive)', async () => {
    const res = await req(reg, 'GET', '/v2/_catalog?last=a/b');
    expectStatus(res, 200, 'answers 200');
    const got = res.json<Catalog>().repositories;
    assert.ok(!got.includes('a/b'), 'last is exclusive');
    assert.deepEqual(
      got.filter((r) => repos.includes(r)),
      sorted.filter((r) => byteOrder(r, 'a/b') > 0),
      'the repositories after a/b',
    );
  });

  test('?n=0 answers an empty list and no Link', async () => {
    const res = await req(reg, 'GET', '/v2/_catalog?n=0');
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(res.json<Catalog>().repositories, [], 'n=0 is an empty list');
    assert.equal(res.headers.get('link'), null, 'no Link for n=0');
  });

  test('?n larger than the count answers everything without Link', async (t) => {
    if (process.env.CONFORMANCE_URL) return t.skip('needs a fresh registry');
    const res = await req(reg, 'GET', `/v2/_catalog?n=${repos.length + 5}`);
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(res.json<Catalog>().repositories, sorted, 'everything');
    assert.equal(res.headers.get('link'), null, 'no Link when nothing remains');
    const exact = await req(reg, 'GET', `/v2/_catalog?n=${repos.length}`);
    assert.equal(exact.headers.get('link'), null, 'Stowage: no Link when n equals the number remaining');
  });
});
