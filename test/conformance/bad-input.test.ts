import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectStatus, raw, req, withQuery, type Res } from './lib/http.js';
import { randomBytes, repoName, sha256 } from './lib/digest.js';
import { MT, imageManifest, pushBlob, pushImage, putManifest, type PushedImage } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

describe('bad-input: malformed names, tags, digests and methods', () => {
  let reg: Registry;
  const repo = repoName('bad');
  let image: PushedImage;
  const data = randomBytes(40);
  let blobDigest: string;

  before(async () => {
    reg = await startRegistry();
    image = await pushImage(reg, repo, 'good');
    blobDigest = await pushBlob(reg, repo, data);
  });
  after(() => reg.close());

  describe('repository names (spec <name> grammar; Stowage: 400 NAME_INVALID)', () => {
    // Names written as they appear in the URL path; some are percent-encoded on purpose.
    const invalid = [
      'UPPER',
      'library/Ubuntu',
      '-leading',
      'trailing-',
      '.dot',
      'a..b',
      'a___b',
      'a.-b',
      'a//b',
      'a/',
      'a%20b',
      'x'.repeat(256),
      'a/' + 'b'.repeat(254),
      'foo/../bar',
      'foo/%2e%2e/bar',
      'foo/%2E%2E',
      'foo%2Fbar',
      'fo%00o',
      'foo/%00/bar',
    ];

    const endpoints: [string, (name: string) => Promise<Res>][] = [
      ['GET tags/list', (n) => raw(reg, 'GET', `/v2/${n}/tags/list`)],
      ['POST blobs/uploads/', (n) => raw(reg, 'POST', `/v2/${n}/blobs/uploads/`, { headers: { 'content-length': '0' } })],
      ['GET blob', (n) => raw(reg, 'GET', `/v2/${n}/blobs/${blobDigest}`)],
      ['GET manifest', (n) => raw(reg, 'GET', `/v2/${n}/manifests/good`, { headers: { accept: MT.ociManifest } })],
      ['PUT manifest', (n) => raw(reg, 'PUT', `/v2/${n}/manifests/good`, { headers: { 'content-type': MT.ociManifest }, body: image.manifest })],
      ['GET referrers', (n) => raw(reg, 'GET', `/v2/${n}/referrers/${image.digest}`)],
    ];

    // API Gateway routes no empty path segment: such a path is no method at all there.
    const emptySegment = (name: string) => name.includes('//') || name.endsWith('/');
    for (const [label, call] of endpoints) {
      test(`${label}: every malformed name answers 400 NAME_INVALID`, async () => {
        for (const name of invalid.filter((n) => !emptySegment(n))) {
          const res = await call(name);
          expectError(
            res,
            400,
            'NAME_INVALID',
            `Stowage: a <name> outside the spec grammar [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/...)* or over 255 characters answers 400 NAME_INVALID (${label}, name ${JSON.stringify(name.length > 40 ? name.slice(0, 20) + '…(' + name.length + ' chars)' : name)})`,
          );
        }
      });

      test(`${label}: a name with an empty path segment answers 400 NAME_INVALID`, async () => {
        for (const name of invalid.filter(emptySegment)) {
          const res = await call(name);
          expectError(res, 400, 'NAME_INVALID', `Stowage: a <name> with an empty component answers 400 NAME_INVALID (${label}, name ${JSON.stringify(name)})`);
        }
      });
    }

    test('names that use every separator of the grammar, and a 255-character name, are accepted', async () => {
      for (const name of ['a__b/c.d/e-f/g---h/i_j', '0/1/2', 'x'.repeat(255), 'a/' + 'b'.repeat(253)]) {
        const res = await req(reg, 'POST', `/v2/${name}/blobs/uploads/`);
        expectStatus(res, 202, `a valid name (${name.length} chars: ${name.slice(0, 30)}) can start an upload`);
      }
    });
  });

  describe('tags (spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}; Stowage: 400 MANIFEST_INVALID)', () => {
    const invalid = ['.dot', '-dash', 'T'.repeat(129), 'sp%20ace', 'plus+', 'semi;colon', 'per%25cent'];

    test('PUT with a malformed tag answers 400 MANIFEST_INVALID', async () => {
      for (const tag of invalid) {
        const res = await raw(reg, 'PUT', `/v2/${repo}/manifests/${tag}`, { headers: { 'content-type': MT.ociManifest }, body: image.manifest });
        expectError(res, 400, 'MANIFEST_INVALID', `a tag outside the spec grammar (${tag.length > 40 ? tag.length + ' chars' : tag}) is refused with 400 MANIFEST_INVALID`);
      }
      const tags = await req(reg, 'GET', `/v2/${repo}/tags/list`);
      assert.deepEqual(tags.json<{ tags: string[] }>().tags, ['good'], 'no malformed tag was created');
    });

    test('GET with a malformed tag answers 400 MANIFEST_INVALID', async () => {
      for (const tag of ['.dot', '-dash', 'T'.repeat(129)]) {
        const res = await raw(reg, 'GET', `/v2/${repo}/manifests/${tag}`, { headers: { accept: MT.ociManifest } });
        expectError(res, 400, 'MANIFEST_INVALID', `Stowage: a malformed tag (${tag.length > 40 ? tag.length + ' chars' : tag}) answers 400 MANIFEST_INVALID`);
      }
    });

    test('a malformed ?tag= on a push by digest answers 400 MANIFEST_INVALID', async () => {
      const m = imageManifest({ config: image.config, layers: image.layers, annotations: { bad: 'tag-param' } });
      const res = await putManifest(reg, repo, sha256(m), m, MT.ociManifest, '?tag=.bad');
      expectError(res, 400, 'MANIFEST_INVALID', 'Stowage: a malformed tag in ?tag= answers 400 MANIFEST_INVALID');
    });

    test('tags of 1 and 128 characters using every allowed character class are accepted', async () => {
      for (const tag of ['_', 'A', '9', 'a'.repeat(128), '_Aa9.-_x', 'v1.2.3-rc.1_build']) {
        const res = await putManifest(reg, repo, tag, image.manifest, MT.ociManifest);
        expectStatus(res, 201, `a valid tag (${tag.slice(0, 30)}) answers 201`);
      }
    });
  });

  describe('digests (Stowage: 400 DIGEST_INVALID)', () => {
    const hex = sha256(data).slice('sha256:'.length);
    const invalid = ['sha256:abc', `sha256:${hex}0`, `sha256:${hex.toUpperCase()}`, `sha256:${hex.slice(0, 63)}g`, `md5:${hex.slice(0, 32)}`, `foo:${hex}`, `sha512:${hex}`, hex];

    test('blob GET, HEAD and DELETE with a malformed digest answer 400 DIGEST_INVALID', async () => {
      for (const d of invalid) {
        for (const method of ['GET', 'HEAD', 'DELETE']) {
          const res = await raw(reg, method, `/v2/${repo}/blobs/${d}`);
          expectError(res, 400, 'DIGEST_INVALID', `spec (end-10 failure 400) / Stowage: a malformed digest (${d.slice(0, 24)}…) answers 400 DIGEST_INVALID on ${method}`);
        }
      }
    });

    test('manifest GET and DELETE with a malformed digest answer 400 DIGEST_INVALID', async () => {
      for (const d of invalid.filter((x) => x.includes(':'))) {
        for (const method of ['GET', 'DELETE']) {
          const res = await raw(reg, method, `/v2/${repo}/manifests/${d}`, { headers: { accept: MT.ociManifest } });
          expectError(res, 400, 'DIGEST_INVALID', `Stowage: a malformed digest reference (${d.slice(0, 24)}…) answers 400 DIGEST_INVALID on ${method}`);
        }
      }
    });

    test('manifest PUT by a malformed digest answers 400 DIGEST_INVALID', async () => {
      for (const d of [`sha256:${image.digest.slice(7).toUpperCase()}`, 'sha256:abc', `md5:${hex.slice(0, 32)}`]) {
        const res = await raw(reg, 'PUT', `/v2/${repo}/manifests/${d}`, { headers: { 'content-type': MT.ociManifest }, body: image.manifest });
        expectError(res, 400, 'DIGEST_INVALID', `Stowage: PUT by a malformed digest (${d.slice(0, 24)}…) answers 400 DIGEST_INVALID`);
      }
    });

    test('the closing PUT with a malformed ?digest answers 400 DIGEST_INVALID', async () => {
      for (const d of invalid) {
        const post = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
        expectStatus(post, 202, 'POST uploads answers 202');
        const loc = new URL(post.headers.get('location') ?? '', post.url).toString();
        const res = await req(reg, 'PUT', withQuery(loc, { digest: d }), { headers: { 'content-type': 'application/octet-stream' }, body: data });
        expectError(res, 400, 'DIGEST_INVALID', `spec: if the client provided digest is invalid the registry SHOULD answer 400 (${d.slice(0, 24)}…)`);
      }
    });

    test('single POST with a malformed ?digest answers 400 DIGEST_INVALID', async () => {
      const res = await req(reg, 'POST', `/v2/${repo}/blobs/uploads/?digest=sha256:abc`, { headers: { 'content-type': 'application/octet-stream' }, body: data });
      expectError(res, 400, 'DIGEST_INVALID', 'spec (end-4b failure 400): a malformed digest answers 400');
    });

    test('referrers with a malformed digest answer 400 DIGEST_INVALID', async () => {
      for (const d of invalid.filter((x) => x.includes(':'))) {
        const res = await raw(reg, 'GET', `/v2/${repo}/referrers/${d}`);
        expectError(res, 400, 'DIGEST_INVALID', `spec: a referrers <digest> with an invalid syntax MUST answer 400 (${d.slice(0, 24)}…)`);
      }
    });
  });

  describe('methods (Stowage: 405 UNSUPPORTED on a known route)', () => {
    const cases: [string, () => string][] = [
      ['DELETE', () => '/v2/'],
      ['POST', () => '/v2/'],
      ['POST', () => `/v2/${repo}/manifests/good`],
      ['PATCH', () => `/v2/${repo}/manifests/good`],
      ['PUT', () => `/v2/${repo}/blobs/${blobDigest}`],
      ['POST', () => `/v2/${repo}/blobs/${blobDigest}`],
      ['PATCH', () => `/v2/${repo}/blobs/${blobDigest}`],
      ['POST', () => `/v2/${repo}/tags/list`],
      ['DELETE', () => `/v2/${repo}/tags/list`],
      ['PUT', () => '/v2/_catalog'],
      ['DELETE', () => `/v2/${repo}/referrers/${image.digest}`],
      ['PUT', () => `/v2/${repo}/blobs/uploads/`],
    ];

    test('a method that the route does not allow answers 405 UNSUPPORTED', async () => {
      for (const [method, path] of cases) {
        const res = await req(reg, method, path());
        expectError(res, 405, 'UNSUPPORTED', `Stowage: ${method} ${path()} is a known route without that method -> 405 UNSUPPORTED`);
      }
    });

    test('a 405 response carries an Allow header listing the allowed methods (RFC 9110 15.5.6)', async () => {
      for (const [method, path, must] of [
        ['PATCH', `/v2/${repo}/manifests/good`, 'PUT'],
        ['PUT', `/v2/${repo}/blobs/${blobDigest}`, 'GET'],
        ['POST', `/v2/${repo}/tags/list`, 'GET'],
      ] as const) {
        const res = await req(reg, method, path);
        expectStatus(res, 405, `${method} ${path} answers 405`);
        const allow = res.headers.get('allow');
        assert.ok(allow, `RFC 9110 15.5.6: the origin server MUST generate an Allow header in a 405 response (${method} ${path})`);
        const methods = allow.split(',').map((m) => m.trim().toUpperCase());
        assert.ok(methods.includes(must), `Allow for ${path} lists ${must}, got "${allow}"`);
        assert.ok(!methods.includes(method), `Allow for ${path} does not list the refused ${method}, got "${allow}"`);
      }
    });

    test('the refused requests changed nothing', async () => {
      const got = await req(reg, 'GET', `/v2/${repo}/manifests/good`, { headers: { accept: MT.ociManifest } });
      expectStatus(got, 200, 'the manifest is still there');
      assert.equal(got.text, image.manifest, 'exact bytes');
      const blob = await req(reg, 'GET', `/v2/${repo}/blobs/${blobDigest}`, { follow: true });
      assert.ok(blob.body.equals(data), 'the blob is intact');
    });
  });

  describe('pagination parameters', () => {
    const SPEC_CODES = [
      'BLOB_UNKNOWN',
      'BLOB_UPLOAD_INVALID',
      'BLOB_UPLOAD_UNKNOWN',
      'DIGEST_INVALID',
      'MANIFEST_BLOB_UNKNOWN',
      'MANIFEST_INVALID',
      'MANIFEST_UNKNOWN',
      'NAME_INVALID',
      'NAME_UNKNOWN',
      'SIZE_INVALID',
      'UNAUTHORIZED',
      'DENIED',
      'UNSUPPORTED',
      'TOOMANYREQUESTS',
    ];

    test('a malformed n answers 400 with an error code from the spec list', async () => {
      for (const path of [`/v2/${repo}/tags/list?n=abc`, `/v2/${repo}/tags/list?n=-1`, '/v2/_catalog?n=abc', `/v2/${repo}/referrers/${image.digest}?n=abc`]) {
        const res = await req(reg, 'GET', path);
        if (res.status === 200) continue; // ignoring a malformed n is acceptable
        expectStatus(res, 400, `a malformed n is either ignored (200) or refused with 400 (${path})`);
        const codes = res.json<{ errors: { code: string }[] }>().errors.map((e) => e.code);
        for (const code of codes) {
          assert.ok(SPEC_CODES.includes(code), `spec (Error Codes): the code field MUST be one of ${SPEC_CODES.join(', ')}; got ${code} for GET ${path}`);
        }
      }
    });
  });

  describe('HEAD wherever GET is allowed (the spec defers to RFC 9110; RFC 9110 9.1: servers MUST support GET and HEAD)', () => {
    test('HEAD on tags/list, _catalog and referrers answers like GET, without a body', async () => {
      for (const path of [`/v2/${repo}/tags/list`, '/v2/_catalog', `/v2/${repo}/referrers/${image.digest}`]) {
        const get = await req(reg, 'GET', path);
        const head = await req(reg, 'HEAD', path);
        expectStatus(head, get.status, `RFC 9110 9.3.2: HEAD is identical to GET except that the server MUST NOT send content (HEAD ${path}; GET answered ${get.status})`);
        assert.equal(head.body.length, 0, 'HEAD has no body');
        assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), `HEAD ${path} carries the GET Content-Type`);
      }
    });
  });
});
