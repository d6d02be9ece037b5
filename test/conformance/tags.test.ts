import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, nextLink, req } from './lib/http.js';
import { repoName } from './lib/digest.js';
import { MT, pushImage, putManifest, type PushedImage } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

interface TagList {
  name: string;
  tags: string[];
}

/** Byte-wise (ASCIIbetical, Go sort.Strings) order: Stowage's documented order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

describe('tags: GET /v2/<name>/tags/list (Listing Tags)', () => {
  let reg: Registry;
  const repo = repoName('tags');
  const tags = ['latest', 'v1.0', 'V2', 'a', '_x', '1.0', 'b-c', 'Z', 'a.b', 'A', 'a_b', '0'];
  const sorted = [...tags].sort(byteOrder);
  let image: PushedImage;

  before(async () => {
    reg = await startRegistry();
    image = await pushImage(reg, repo, tags[0]);
    for (const t of tags.slice(1)) {
      const res = await putManifest(reg, repo, t, image.manifest, MT.ociManifest);
      expectStatus(res, 201, `PUT manifest with tag ${t} answers 201`);
    }
  });
  after(() => reg.close());

  const list = (query = '') => req(reg, 'GET', `/v2/${repo}/tags/list${query}`);

  test('answers 200 with JSON {name, tags} listing every tag in byte (ASCIIbetical) order', async () => {
    const res = await list();
    expectStatus(res, 200, 'spec: assuming the repository is found, tags/list MUST answer 200 OK');
    assert.equal((res.headers.get('content-type') ?? '').split(';')[0], 'application/json', 'the tag list is JSON');
    const body = res.json<TagList>();
    assert.equal(body.name, repo, 'spec: "name" is the namespace of the repository');
    assert.deepEqual(body.tags, sorted, 'spec: tags MUST be in lexical or "ASCIIbetical" order; Stowage uses byte order');
    assert.equal(nextLink(res), null, 'no Link header when every tag was returned');
  });

  test('?n=N returns the first N tags and a Link rel="next" to /v2/<name>/tags/list?n=N&last=<last tag>', async () => {
    const res = await list('?n=5');
    expectStatus(res, 200, 'tags/list?n=5 answers 200');
    const body = res.json<TagList>();
    assert.deepEqual(body.tags, sorted.slice(0, 5), 'spec: without last, the list starts at the beginning and includes <int> results');
    const link = nextLink(res);
    assert.ok(link, `spec: a Link header with rel="next" when more tags remain (Stowage always sends it then); headers: ${JSON.stringify(Object.fromEntries(res.headers))}`);
    const u = new URL(link, reg.url);
    assert.equal(u.pathname, `/v2/${repo}/tags/list`, `the Link target is the tags/list endpoint, got ${link}`);
    assert.equal(u.searchParams.get('n'), '5', `the Link keeps n, got ${link}`);
    assert.equal(u.searchParams.get('last'), sorted[4], `the Link carries last=<last tag returned>, got ${link}`);
  });

  test('following Link rel="next" pages through every tag exactly once, in order', async () => {
    const seen: string[] = [];
    let url: string | null = `/v2/${repo}/tags/list?n=3`;
    for (let page = 0; url && page < 20; page++) {
      const res = await req(reg, 'GET', new URL(url, reg.url).toString());
      expectStatus(res, 200, `page ${page} answers 200`);
      const body = res.json<TagList>();
      assert.ok(body.tags.length <= 3, `spec: at most n tags per page, got ${body.tags.length}`);
      seen.push(...body.tags);
      url = nextLink(res);
    }
    assert.deepEqual(seen, sorted, 'pages concatenate to the full ordered list');
  });

  test('?last=X returns the tags after X (exclusive)', async () => {
    const res = await list(`?last=${encodeURIComponent(sorted[3]!)}`);
    expectStatus(res, 200, 'tags/list?last= answers 200');
    assert.deepEqual(res.json<TagList>().tags, sorted.slice(4), 'spec: <tagname> is not included; the tags after it are');
  });

  test('?n=N&last=X returns up to N tags after X', async () => {
    const res = await list(`?n=2&last=${encodeURIComponent(sorted[1]!)}`);
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(res.json<TagList>().tags, sorted.slice(2, 4), 'spec: up to <int> tags after <tagname>');
  });

  test('?last= a value that is not a tag returns the tags sorting after it', async () => {
    const res = await list('?last=b');
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(
      res.json<TagList>().tags,
      sorted.filter((t) => byteOrder(t, 'b') > 0),
      'tags strictly after "b" in byte order',
    );
  });

  test('?last= the final tag returns an empty list and no Link', async () => {
    const res = await list(`?n=5&last=${encodeURIComponent(sorted[sorted.length - 1]!)}`);
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(res.json<TagList>().tags, [], 'nothing after the last tag');
    assert.equal(res.headers.get('link'), null, 'no Link when nothing remains');
  });

  test('?n=0 returns an empty list and no Link header', async () => {
    const res = await list('?n=0');
    expectStatus(res, 200, 'tags/list?n=0 answers 200');
    assert.deepEqual(res.json<TagList>().tags, [], 'spec: when n is zero, this endpoint MUST return an empty list');
    assert.equal(res.headers.get('link'), null, 'spec: when n is zero, the response MUST NOT include a Link header');
  });

  test('?n equal to the number of remaining tags returns them all without Link', async () => {
    const res = await list(`?n=${sorted.length}`);
    expectStatus(res, 200, 'answers 200');
    assert.deepEqual(res.json<TagList>().tags, sorted, 'all tags');
    assert.equal(res.headers.get('link'), null, 'Stowage: Link only when more tags remain');
    const more = await list(`?n=${sorted.length + 10}`);
    assert.deepEqual(more.json<TagList>().tags, sorted, 'n larger than the count returns all tags');
    assert.equal(more.headers.get('link'), null, 'no Link when nothing remains');
  });

  test('an unknown repository answers 404 NAME_UNKNOWN', async () => {
    const res = await req(reg, 'GET', `/v2/${repoName('ghost')}/tags/list`);
    expectError(res, 404, 'NAME_UNKNOWN', 'spec (end-8a failure 404): NAME_UNKNOWN = repository name not known to registry');
  });

  test('a repository whose only manifest is untagged answers 200 with an empty tag list', async () => {
    const r = repoName('untagged');
    await pushImage(reg, r); // by digest only
    const res = await req(reg, 'GET', `/v2/${r}/tags/list`);
    expectStatus(res, 200, 'spec: the repository is found, so 200; the list of tags MAY be empty');
    const body = res.json<TagList>();
    assert.equal(body.name, r, 'name');
    assert.ok(Array.isArray(body.tags), `Stowage: "tags" is an array, got ${res.text}`);
    assert.equal(body.tags.length, 0, 'no tags');
  });

  test('a tag pushed later appears in the list at its sorted place', async () => {
    const r = repoName('late');
    const img = await pushImage(reg, r, 'm');
    expectStatus(await putManifest(reg, r, 'c', img.manifest, MT.ociManifest), 201, 'tag c');
    expectStatus(await putManifest(reg, r, 'x', img.manifest, MT.ociManifest), 201, 'tag x');
    const res = await req(reg, 'GET', `/v2/${r}/tags/list`);
    assert.deepEqual(res.json<TagList>().tags, ['c', 'm', 'x'], 'all three tags, ordered');
    expectHeader(res, 'docker-distribution-api-version', 'registry/2.0', 'API version header');
  });

  test('a 128-character tag is listed', async () => {
    const long = 'T'.repeat(128);
    expectStatus(await putManifest(reg, repo, long, image.manifest, MT.ociManifest), 201, 'spec: a tag MAY be up to 128 characters');
    const res = await list(`?last=${encodeURIComponent('T'.repeat(127))}&n=1`);
    assert.deepEqual(res.json<TagList>().tags, [long], 'the long tag is listed after T*127');
  });
});
