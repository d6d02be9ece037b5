import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, req, requireHeader } from './lib/http.js';
import { randomBytes, repoName, sha256, sha512, unknownDigest } from './lib/digest.js';
import { ACCEPT_MANIFESTS, MT, configBytes, descriptorOf, imageManifest, indexManifest, pushBlob, pushImage, putManifest, type Descriptor } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

const FOUR_MIB = 4 * 1024 * 1024;

/** Pads an OCI image manifest with an annotation so that it is exactly `size` bytes long. */
function manifestOfSize(config: Descriptor, layers: Descriptor[], size: number): string {
  const base = imageManifest({ config, layers, annotations: { pad: '' } });
  const pad = size - Buffer.byteLength(base);
  assert.ok(pad >= 0, 'padding must be non-negative');
  const m = imageManifest({ config, layers, annotations: { pad: 'x'.repeat(pad) } });
  assert.equal(Buffer.byteLength(m), size);
  return m;
}

/**
 * Sends requests one after the other over a single keep-alive connection (node:http Agent with
 * maxSockets 1), the body written in 64 KiB pieces with chunked transfer encoding when `chunked`.
 */
function keepAliveClient(baseUrl: string) {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; connection?: string }> {
      return new Promise((resolve, reject) => {
        const r = httpRequest({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          res.on('error', reject);
        });
        r.on('error', (err) => reject(new Error(`${method} ${path}: ${String(err)}`)));
        r.setTimeout(10_000, () => r.destroy(new Error('no response within 10 s')));
        if (body) for (let i = 0; i < body.length; i += 65536) r.write(body.subarray(i, i + 65536));
        r.end();
      });
    },
    close: () => agent.destroy(),
  };
}

describe('manifests: PUT/GET/HEAD /v2/<name>/manifests/<reference>', () => {
  let reg: Registry;
  const repo = repoName('manifests');
  const cfg = configBytes();
  const layer = randomBytes(256);
  let config: Descriptor;
  let layers: Descriptor[];

  before(async () => {
    reg = await startRegistry();
    config = descriptorOf(MT.ociConfig, cfg);
    layers = [descriptorOf(MT.ociLayer, layer)];
    await pushBlob(reg, repo, cfg);
    await pushBlob(reg, repo, layer);
  });
  after(() => reg.close());

  const get = (ref: string, headers: Record<string, string> = { accept: ACCEPT_MANIFESTS }, r = repo) => req(reg, 'GET', `/v2/${r}/manifests/${ref}`, { headers, follow: true });
  const head = (ref: string, r = repo) => req(reg, 'HEAD', `/v2/${r}/manifests/${ref}`, { headers: { accept: ACCEPT_MANIFESTS }, follow: true });

  describe('push and pull an OCI image manifest', () => {
    // Unusual but valid JSON formatting: the registry must keep the exact bytes.
    let body: string;
    let digest: string;
    before(() => {
      body =
        '{\n   "schemaVersion" : 2,\n\t"mediaType": "application/vnd.oci.image.manifest.v1+json",\n' +
        `  "config": ${JSON.stringify(config)},\n  "layers": ${JSON.stringify(layers, null, 3)},\n` +
        '  "annotations": {"z": "last", "a": "first", "unicode": "\u00e9\u4e2d"}\n}\n';
      digest = sha256(body);
    });

    test('PUT by tag answers 201 with Location /v2/<name>/manifests/<digest> and Docker-Content-Digest', async () => {
      const res = await putManifest(reg, repo, 'v1', body, MT.ociManifest);
      expectStatus(res, 201, 'spec (Pushing Manifests): a successful upload MUST answer 201 Created');
      const loc = requireHeader(res, 'location', 'spec: the 201 MUST carry Location: <pullable manifest URL>');
      assert.equal(new URL(loc, reg.url).pathname, `/v2/${repo}/manifests/${digest}`, `Stowage: Location is /v2/<name>/manifests/<digest>, got ${loc}`);
      expectHeader(res, 'docker-content-digest', digest, 'Stowage: Docker-Content-Digest is the sha256 of the exact manifest bytes');
      const pulled = await req(reg, 'GET', new URL(loc, res.url).toString(), { headers: { accept: ACCEPT_MANIFESTS }, follow: true });
      expectStatus(pulled, 200, 'spec: Location is a pullable manifest URL');
    });

    test('GET by tag answers 200 with the exact bytes, Content-Type, Docker-Content-Digest and Content-Length', async () => {
      const res = await get('v1', { accept: MT.ociManifest });
      expectStatus(res, 200, 'spec (Pulling manifests): GET of an existing manifest MUST answer 200 OK');
      assert.equal(res.text, body, 'spec: the registry MUST store the manifest in the exact byte representation provided by the client');
      expectHeader(res, 'content-type', MT.ociManifest, 'spec: Content-Type SHOULD match what the client pushed (without parameters)');
      expectHeader(res, 'docker-content-digest', digest, 'spec: a successful response MUST contain Docker-Content-Digest');
      expectHeader(res, 'content-length', String(Buffer.byteLength(body)), 'Content-Length is the manifest size');
    });

    test('GET by digest answers 200 with the exact bytes', async () => {
      const res = await get(digest, { accept: MT.ociManifest });
      expectStatus(res, 200, 'spec: GET by digest of an existing manifest MUST answer 200 OK');
      assert.equal(res.text, body, 'exact bytes by digest');
      expectHeader(res, 'content-type', MT.ociManifest, 'Content-Type is the pushed media type');
      expectHeader(res, 'docker-content-digest', digest, 'Docker-Content-Digest by digest');
    });

    test('HEAD by tag and by digest answers 200 with Content-Length, Docker-Content-Digest and Content-Type, no body', async () => {
      for (const ref of ['v1', digest]) {
        const res = await head(ref);
        expectStatus(res, 200, `spec (Checking if content exists): HEAD of an existing manifest (${ref}) MUST answer 200 OK`);
        expectHeader(res, 'content-length', String(Buffer.byteLength(body)), 'spec: a successful HEAD MUST carry Content-Length = manifest size');
        expectHeader(res, 'docker-content-digest', digest, 'spec: a successful HEAD MUST carry Docker-Content-Digest');
        expectHeader(res, 'content-type', MT.ociManifest, 'Content-Type on HEAD is the pushed media type');
        assert.equal(res.body.length, 0, 'HEAD has no body');
      }
    });

    test('GET whose Accept does not list the stored type still gets the stored bytes and type (Stowage never converts)', async () => {
      const res = await get('v1', { accept: MT.dockerManifest });
      expectStatus(res, 200, 'Stowage: the stored manifest is returned whatever the Accept header');
      assert.equal(res.text, body, 'the exact stored bytes');
      expectHeader(res, 'content-type', MT.ociManifest, 'Content-Type is the stored type, not the Accept type');
      const none = await get('v1', {});
      expectStatus(none, 200, 'GET without Accept answers 200');
      expectHeader(none, 'content-type', MT.ociManifest, 'Content-Type is the stored type');
    });

    test('PUT by digest answers 201 and the manifest is pullable by digest', async () => {
      const m = imageManifest({ config, layers, annotations: { by: 'digest' } });
      const d = sha256(m);
      const res = await putManifest(reg, repo, d, m, MT.ociManifest);
      expectStatus(res, 201, 'spec: PUT /v2/<name>/manifests/<digest> MUST answer 201 Created');
      expectHeader(res, 'docker-content-digest', d, 'spec: Docker-Content-Digest MUST be equal to the client provided digest');
      assert.equal(new URL(requireHeader(res, 'location', 'Location'), reg.url).pathname, `/v2/${repo}/manifests/${d}`, 'Location by digest');
      const got = await get(d);
      expectStatus(got, 200, 'pullable by digest');
      assert.equal(got.text, m, 'exact bytes');
    });

    test('PUT by a digest that does not match the body answers 400 DIGEST_INVALID', async () => {
      const m = imageManifest({ config, layers, annotations: { wrong: 'digest' } });
      const res = await putManifest(reg, repo, unknownDigest(), m, MT.ociManifest);
      expectError(
        res,
        400,
        'DIGEST_INVALID',
        'spec: Docker-Content-Digest MUST equal the client provided digest; a mismatch is DIGEST_INVALID (provided digest did not match uploaded content)',
      );
      expectStatus(await get(sha256(m)), 404, 'the refused manifest is not stored');
    });

    test('pushing another manifest to an existing tag moves the tag', async () => {
      const a = imageManifest({ config, layers, annotations: { n: '1' } });
      const b = imageManifest({ config, layers, annotations: { n: '2' } });
      expectStatus(await putManifest(reg, repo, 'moving', a, MT.ociManifest), 201, 'first push answers 201');
      expectStatus(await putManifest(reg, repo, 'moving', b, MT.ociManifest), 201, 'second push to the same tag answers 201');
      const res = await get('moving');
      assert.equal(res.text, b, 'the tag points at the manifest pushed last');
      expectStatus(await get(sha256(a)), 200, 'the previous manifest is still pullable by digest');
    });

    test('Content-Type parameters are ignored on push (spec: registry SHOULD ignore parameters)', async () => {
      const m = imageManifest({ config, layers, annotations: { ct: 'params' } });
      const res = await putManifest(reg, repo, 'ct-params', m, `${MT.ociManifest}; charset=utf-8`);
      expectStatus(res, 201, 'spec: the registry SHOULD ignore parameters on the Content-Type header');
      const got = await get('ct-params');
      assert.equal((got.headers.get('content-type') ?? '').split(';')[0], MT.ociManifest, 'the stored type is the media type without parameters');
    });
  });

  describe('PUT ?tag= (push by digest with tags)', () => {
    test('PUT by digest with ?tag=a&tag=b answers 201 with OCI-Tag for each tag and both tags resolve', async () => {
      const m = imageManifest({ config, layers, annotations: { multi: 'tag' } });
      const d = sha256(m);
      const res = await putManifest(reg, repo, d, m, MT.ociManifest, '?tag=alpha&tag=beta');
      expectStatus(res, 201, 'spec (end-7b): PUT by digest with tag parameters answers 201');
      const tags = (res.headers.get('oci-tag') ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .sort();
      assert.deepEqual(tags, ['alpha', 'beta'], `spec: the registry MUST include an OCI-Tag response header for each accepted tag; got OCI-Tag: ${res.headers.get('oci-tag')}`);
      for (const t of ['alpha', 'beta']) {
        const got = await get(t);
        expectStatus(got, 200, `tag ${t} resolves`);
        expectHeader(got, 'docker-content-digest', d, `tag ${t} points at the pushed manifest`);
      }
    });

    test('a ?tag= that creates a tag is reported in OCI-Tag, also on a push by tag', async () => {
      const m = imageManifest({ config, layers, annotations: { tagparam: 'on-tag-push' } });
      const res = await putManifest(reg, repo, 'main-tag', m, MT.ociManifest, '?tag=extra-tag');
      expectStatus(res, 201, 'PUT by tag answers 201');
      const extra = await head('extra-tag');
      if (extra.status === 200) {
        const tags = (res.headers.get('oci-tag') ?? '').split(',').map((t) => t.trim());
        assert.ok(
          tags.includes('extra-tag'),
          `spec (end-7b): a registry supporting tag query parameters MUST include an OCI-Tag response header for each accepted tag; ` +
            `?tag=extra-tag was accepted (the tag resolves) but OCI-Tag is ${JSON.stringify(res.headers.get('oci-tag'))}`,
        );
      }
    });

    test('ten tags in one request are all created', async () => {
      const m = imageManifest({ config, layers, annotations: { ten: 'tags' } });
      const d = sha256(m);
      const names = Array.from({ length: 10 }, (_, i) => `t${i}`);
      const res = await putManifest(reg, repo, d, m, MT.ociManifest, '?' + names.map((t) => `tag=${t}`).join('&'));
      expectStatus(res, 201, 'spec: the registry SHOULD support pushing at least 10 tags per request');
      const tags = (res.headers.get('oci-tag') ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .sort();
      assert.deepEqual(tags, [...names].sort(), 'an OCI-Tag entry for each tag');
      for (const t of names) expectStatus(await head(t), 200, `tag ${t} resolves`);
    });
  });

  describe('validation', () => {
    test('a Content-Type that differs from the manifest mediaType field answers 400 MANIFEST_INVALID', async () => {
      const m = imageManifest({ config, layers, annotations: { ct: 'mismatch' } });
      const res = await putManifest(reg, repo, 'ct-mismatch', m, MT.ociIndex);
      expectError(
        res,
        400,
        'MANIFEST_INVALID',
        'spec: if a manifest includes a mediaType field, clients MUST set Content-Type to it; Stowage refuses a mismatch with 400 MANIFEST_INVALID',
      );
      expectStatus(await head('ct-mismatch'), 404, 'nothing was tagged');
    });

    test('a manifest without a mediaType field is accepted with the OCI Content-Type', async () => {
      const m = imageManifest({ config, layers, mediaType: null, annotations: { no: 'mediaType' } });
      const res = await putManifest(reg, repo, 'no-media-type', m, MT.ociManifest);
      expectStatus(res, 201, 'Stowage: Content-Type must match mediaType only when the field is present');
      const got = await get('no-media-type');
      expectHeader(got, 'content-type', MT.ociManifest, 'the pushed Content-Type is returned');
    });

    test('invalid JSON answers 400 MANIFEST_INVALID', async () => {
      for (const bad of ['{"schemaVersion": 2, "mediaType": ', 'not json at all', '']) {
        const res = await putManifest(reg, repo, 'bad-json', bad, MT.ociManifest);
        expectError(res, 400, 'MANIFEST_INVALID', `a body that is not JSON (${JSON.stringify(bad)}) answers 400 MANIFEST_INVALID`);
      }
    });

    test('JSON that is not a valid manifest answers 400 MANIFEST_INVALID', async () => {
      const cases: Record<string, unknown> = {
        'schemaVersion 3': { schemaVersion: 3, mediaType: MT.ociManifest, config, layers },
        'missing config': { schemaVersion: 2, mediaType: MT.ociManifest, layers },
        'layers not an array': { schemaVersion: 2, mediaType: MT.ociManifest, config, layers: 'nope' },
        'config digest malformed': { schemaVersion: 2, mediaType: MT.ociManifest, config: { ...config, digest: 'sha256:xyz' }, layers },
        'array instead of object': [config],
        'index without manifests': { schemaVersion: 2, mediaType: MT.ociIndex },
      };
      for (const [name, value] of Object.entries(cases)) {
        const ct = (value as { mediaType?: string }).mediaType ?? MT.ociManifest;
        const res = await putManifest(reg, repo, 'bad-schema', JSON.stringify(value), ct);
        expectError(res, 400, 'MANIFEST_INVALID', `a manifest that does not follow the image spec (${name}) answers 400 MANIFEST_INVALID`);
      }
      expectStatus(await head('bad-schema'), 404, 'nothing was tagged bad-schema');
    });

    test('a layer blob missing from the repository answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const missing = descriptorOf(MT.ociLayer, randomBytes(50));
      const res = await putManifest(reg, repo, 'missing-layer', imageManifest({ config, layers: [...layers, missing] }), MT.ociManifest);
      expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'spec: a manifest rejected for a reference to an unknown blob MUST result in MANIFEST_BLOB_UNKNOWN');
      expectStatus(await head('missing-layer'), 404, 'nothing was tagged');
    });

    test('a config blob missing from the repository answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const missing = descriptorOf(MT.ociConfig, configBytes({ missing: true }));
      const res = await putManifest(reg, repo, 'missing-config', imageManifest({ config: missing, layers }), MT.ociManifest);
      expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'spec: MANIFEST_BLOB_UNKNOWN = manifest references a blob unknown to registry');
    });

    test('a blob that exists only in another repository counts as missing (400 MANIFEST_BLOB_UNKNOWN)', async () => {
      const other = repoName('other');
      const foreign = randomBytes(40);
      await pushBlob(reg, other, foreign);
      const res = await putManifest(reg, repo, 'foreign-blob', imageManifest({ config, layers: [descriptorOf(MT.ociLayer, foreign)] }), MT.ociManifest);
      expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'Stowage: blobs are per repository; a blob only pushed elsewhere is unknown here');
    });

    test('an index whose child manifest is missing answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const ghost: Descriptor = { mediaType: MT.ociManifest, digest: unknownDigest(), size: 123 };
      const res = await putManifest(reg, repo, 'bad-index', indexManifest({ manifests: [ghost] }), MT.ociIndex);
      expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'spec: MANIFEST_BLOB_UNKNOWN = manifest references a manifest unknown to registry');
    });

    test('a manifest whose subject does not exist is accepted (201) and answers OCI-Subject', async () => {
      const subject: Descriptor = { mediaType: MT.ociManifest, digest: unknownDigest(), size: 999 };
      const m = imageManifest({ config, layers, subject, artifactType: 'application/vnd.example.sig' });
      const res = await putManifest(reg, repo, sha256(m), m, MT.ociManifest);
      expectStatus(res, 201, 'spec: a registry MUST initially accept an otherwise valid manifest with a subject that does not exist');
      expectHeader(res, 'oci-subject', subject.digest, 'spec: a registry supporting referrers MUST answer OCI-Subject: <subject digest>');
    });

    test('a manifest with a subject that exists answers OCI-Subject', async () => {
      const target = await pushImage(reg, repo, 'subject-target');
      const m = imageManifest({ config, layers, subject: target.descriptor, artifactType: 'application/vnd.example.sbom' });
      const res = await putManifest(reg, repo, sha256(m), m, MT.ociManifest);
      expectStatus(res, 201, 'a referrer answers 201');
      expectHeader(res, 'oci-subject', target.digest, 'spec: OCI-Subject: <subject digest>');
    });

    test('layers with urls (non-distributable) need not exist in the registry', async () => {
      const external: Descriptor = { ...descriptorOf('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', randomBytes(30)), urls: ['https://example.com/layer.tar.gz'] };
      const res = await putManifest(reg, repo, 'with-urls', imageManifest({ config, layers: [...layers, external] }), MT.ociManifest);
      expectStatus(res, 201, 'Stowage: a layer with urls is not required to be in the registry');
    });
  });

  describe('manifest size', () => {
    test('a manifest of exactly 4 MiB is accepted', async () => {
      const m = manifestOfSize(config, layers, FOUR_MIB);
      const res = await putManifest(reg, repo, 'four-mib', m, MT.ociManifest);
      expectStatus(res, 201, 'spec: registries SHOULD expect to support manifest pushes of at least 4 megabytes; Stowage accepts up to 4 MiB');
      const got = await get('four-mib');
      expectStatus(got, 200, 'the 4 MiB manifest is pullable');
      assert.equal(sha256(got.body), sha256(m), 'exact bytes of the 4 MiB manifest');
    });

    test('a manifest over 4 MiB answers 413 SIZE_INVALID', async () => {
      const m = manifestOfSize(config, layers, FOUR_MIB + 1);
      const res = await putManifest(reg, repo, 'too-big', m, MT.ociManifest);
      expectError(res, 413, 'SIZE_INVALID', 'spec: a push over the size limit SHOULD answer 413 Payload Too Large; Stowage: 413 SIZE_INVALID above 4 MiB');
      expectStatus(await head('too-big'), 404, 'nothing was tagged');
    });

    test('a manifest over 4 MiB sent with chunked transfer encoding answers 413 and the keep-alive connection stays usable', async () => {
      const m = Buffer.from(manifestOfSize(config, layers, FOUR_MIB + 1024 * 1024));
      const client = keepAliveClient(reg.url);
      try {
        const put = await client.send('PUT', `/v2/${repo}/manifests/too-big-chunked`, { 'content-type': MT.ociManifest, 'transfer-encoding': 'chunked' }, m);
        assert.equal(put.status, 413, 'Stowage: a manifest over 4 MiB answers 413 SIZE_INVALID, also without Content-Length');
        let next: { status: number };
        try {
          next = await client.send('GET', '/v2/', {});
        } catch (err) {
          assert.fail(
            `after the 413 (sent with Connection: ${put.connection ?? '(none)'}), the next request on the same connection failed: ${String(err)}. ` +
              'RFC 9112 9.6/9.3: a server that will close the connection must say Connection: close; otherwise it must read (discard) the rest of the request body so the connection stays usable',
          );
        }
        assert.equal(next.status, 200, 'GET /v2/ after the 413 answers 200');
      } finally {
        client.close();
      }
    });
  });

  describe('manifest types', () => {
    test('an OCI index of existing manifests is accepted and served with its type', async () => {
      const a = await pushImage(reg, repo);
      const b = await pushImage(reg, repo);
      const idx = indexManifest({
        manifests: [
          { ...a.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
          { ...b.descriptor, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      });
      const res = await putManifest(reg, repo, 'multi', idx, MT.ociIndex);
      expectStatus(res, 201, 'an OCI image index answers 201');
      const got = await get('multi', { accept: MT.ociIndex });
      expectStatus(got, 200, 'the index is pullable');
      assert.equal(got.text, idx, 'exact bytes');
      expectHeader(got, 'content-type', MT.ociIndex, 'Content-Type of the index');
    });

    test('a Docker schema2 manifest is accepted and served with its type', async () => {
      const dcfg = configBytes({ docker: true });
      const dlayer = randomBytes(77);
      await pushBlob(reg, repo, dcfg);
      await pushBlob(reg, repo, dlayer);
      const m = imageManifest({ mediaType: MT.dockerManifest, config: descriptorOf(MT.dockerConfig, dcfg), layers: [descriptorOf(MT.dockerLayer, dlayer)] });
      const res = await putManifest(reg, repo, 'docker', m, MT.dockerManifest);
      expectStatus(res, 201, 'Stowage accepts Docker schema2 manifests');
      const got = await get('docker', { accept: MT.dockerManifest });
      assert.equal(got.text, m, 'exact bytes');
      expectHeader(got, 'content-type', MT.dockerManifest, 'Content-Type of the schema2 manifest');
    });

    test('a Docker schema2 foreign layer need not exist in the registry', async () => {
      const dcfg = configBytes({ docker: 'foreign' });
      await pushBlob(reg, repo, dcfg);
      const foreign: Descriptor = { ...descriptorOf(MT.dockerForeignLayer, randomBytes(60)), urls: ['https://example.com/windows-base.tar.gz'] };
      const m = imageManifest({ mediaType: MT.dockerManifest, config: descriptorOf(MT.dockerConfig, dcfg), layers: [foreign] });
      const res = await putManifest(reg, repo, 'foreign', m, MT.dockerManifest);
      expectStatus(res, 201, 'Stowage: a Docker foreign layer is not required to be in the registry');
    });

    test('a Docker manifest list is accepted and served with its type', async () => {
      const dcfg = configBytes({ docker: 'list' });
      const dlayer = randomBytes(33);
      await pushBlob(reg, repo, dcfg);
      await pushBlob(reg, repo, dlayer);
      const child = imageManifest({ mediaType: MT.dockerManifest, config: descriptorOf(MT.dockerConfig, dcfg), layers: [descriptorOf(MT.dockerLayer, dlayer)] });
      expectStatus(await putManifest(reg, repo, sha256(child), child, MT.dockerManifest), 201, 'child schema2 manifest answers 201');
      const list = indexManifest({ mediaType: MT.dockerList, manifests: [{ ...descriptorOf(MT.dockerManifest, child), platform: { architecture: 'amd64', os: 'linux' } }] });
      const res = await putManifest(reg, repo, 'list', list, MT.dockerList);
      expectStatus(res, 201, 'Stowage accepts Docker manifest lists');
      const got = await get('list', { accept: MT.dockerList });
      assert.equal(got.text, list, 'exact bytes');
      expectHeader(got, 'content-type', MT.dockerList, 'Content-Type of the manifest list');
    });

    test('a Docker manifest list whose child manifest is missing answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const ghost: Descriptor = { mediaType: MT.dockerManifest, digest: unknownDigest(), size: 321, platform: { architecture: 'amd64', os: 'linux' } };
      const res = await putManifest(reg, repo, 'bad-list', indexManifest({ mediaType: MT.dockerList, manifests: [ghost] }), MT.dockerList);
      expectError(res, 400, 'MANIFEST_BLOB_UNKNOWN', 'spec: MANIFEST_BLOB_UNKNOWN = manifest references a manifest unknown to registry');
    });

    test('Docker schema1 manifests answer 415 UNSUPPORTED', async () => {
      const s1 = JSON.stringify({
        schemaVersion: 1,
        name: repo,
        tag: 'old',
        architecture: 'amd64',
        fsLayers: [{ blobSum: layers[0]!.digest }],
        history: [{ v1Compatibility: '{}' }],
      });
      for (const ct of [MT.schema1, MT.schema1Signed]) {
        const res = await putManifest(reg, repo, 'schema1', s1, ct);
        expectError(res, 415, 'UNSUPPORTED', `Stowage: schema1 (${ct}) is refused with 415 UNSUPPORTED`);
      }
      expectStatus(await head('schema1'), 404, 'nothing was tagged');
    });

    test('an unknown manifest media type answers 415 UNSUPPORTED', async () => {
      const m = JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-not-a-manifest', foo: 1 });
      const res = await putManifest(reg, repo, 'unknown-type', m, 'application/x-not-a-manifest');
      expectError(res, 415, 'UNSUPPORTED', 'Stowage: an unknown manifest media type is refused with 415 UNSUPPORTED');
    });

    test('an artifact manifest (artifactType, empty config) is accepted', async () => {
      const empty = '{}';
      await pushBlob(reg, repo, empty);
      const blob = randomBytes(40);
      await pushBlob(reg, repo, blob);
      const m = imageManifest({
        artifactType: 'application/vnd.example.thing',
        config: descriptorOf(MT.ociEmpty, empty),
        layers: [descriptorOf('application/vnd.example.thing.layer', blob)],
      });
      const res = await putManifest(reg, repo, 'artifact', m, MT.ociManifest);
      expectStatus(res, 201, 'an OCI artifact manifest answers 201');
    });
  });

  describe('sha512', () => {
    test('a manifest pushed by its sha512 digest is pullable by that digest', async () => {
      const m = imageManifest({ config, layers, annotations: { alg: 'sha512' } });
      const d = sha512(m);
      const res = await putManifest(reg, repo, d, m, MT.ociManifest);
      expectStatus(res, 201, 'PUT /v2/<name>/manifests/sha512:<hex> answers 201');
      expectHeader(res, 'docker-content-digest', d, 'spec: Docker-Content-Digest MUST be equal to the client provided digest');
      const got = await get(d);
      expectStatus(got, 200, 'GET by sha512 digest answers 200');
      assert.equal(got.text, m, 'exact bytes');
      expectHeader(got, 'docker-content-digest', d, 'Docker-Content-Digest on GET by sha512 digest');
      expectStatus(await head(d), 200, 'HEAD by sha512 digest answers 200');
    });

    test('a manifest referencing sha512 blobs is accepted', async () => {
      const c = configBytes({ alg: 'sha512' });
      const l = randomBytes(90);
      await pushBlob(reg, repo, c, 'sha512');
      await pushBlob(reg, repo, l, 'sha512');
      const m = imageManifest({ config: descriptorOf(MT.ociConfig, c, 'sha512'), layers: [descriptorOf(MT.ociLayer, l, 'sha512')] });
      const res = await putManifest(reg, repo, 'sha512-blobs', m, MT.ociManifest);
      expectStatus(res, 201, 'a manifest whose descriptors use sha512 digests of existing blobs answers 201');
    });
  });

  describe('unknown manifests', () => {
    test('GET and HEAD of an unknown tag or digest answer 404 MANIFEST_UNKNOWN', async () => {
      expectError(await get('no-such-tag'), 404, 'MANIFEST_UNKNOWN', 'spec: a manifest not found in the repository MUST answer 404');
      expectError(await get(unknownDigest()), 404, 'MANIFEST_UNKNOWN', 'spec: a manifest not found in the repository MUST answer 404');
      expectStatus(await head('no-such-tag'), 404, 'spec: HEAD of a missing manifest MUST answer 404');
      expectStatus(await head(unknownDigest()), 404, 'spec: HEAD of a missing manifest MUST answer 404');
    });

    test('GET of a manifest in a repository that does not exist answers 404', async () => {
      const res = await get('latest', undefined, repoName('ghost'));
      expectError(res, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'], 'spec: an attempt to pull a nonexistent repository MUST return 404 Not Found');
    });

    test('a manifest is not visible in another repository', async () => {
      const img = await pushImage(reg, repo, 'scoped');
      const other = repoName('other');
      await pushImage(reg, other, 'x');
      expectError(await get(img.digest, undefined, other), 404, 'MANIFEST_UNKNOWN', 'a manifest pushed to one repository is not found by digest in another');
    });
  });
});
