import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, expectHeader, expectStatus, nextLink, req } from './lib/http.js';
import { randomBytes, repoName, sha256, unknownDigest } from './lib/digest.js';
import { ACCEPT_MANIFESTS, MT, configBytes, descriptorOf, imageManifest, indexManifest, pushBlob, pushImage, putManifest, type Descriptor, type PushedImage } from './lib/push.js';
import { startRegistry, type Registry } from './lib/registry.js';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: (Descriptor & { artifactType?: string; annotations?: Record<string, string> })[];
}

describe('referrers: GET /v2/<name>/referrers/<digest> (Listing Referrers)', () => {
  let reg: Registry;
  const repo = repoName('referrers');
  let subject: PushedImage;
  // referrers of `subject`
  let sbom: { digest: string; size: number; manifest: string };
  let sig: { digest: string; size: number; manifest: string };
  let idx: { digest: string; size: number; manifest: string };
  const emptyConfig = '{}';

  async function pushReferrer(r: string, opts: { subject: Descriptor; artifactType?: string; configMediaType?: string; annotations?: Record<string, string> }) {
    const cfg = opts.configMediaType ? configBytes({ n: Math.random() }) : emptyConfig;
    await pushBlob(reg, r, cfg);
    const blob = randomBytes(32);
    await pushBlob(reg, r, blob);
    const manifest = imageManifest({
      artifactType: opts.artifactType,
      config: descriptorOf(opts.configMediaType ?? MT.ociEmpty, cfg),
      layers: [descriptorOf('application/octet-stream', blob)],
      subject: opts.subject,
      annotations: opts.annotations,
    });
    const digest = sha256(manifest);
    const res = await putManifest(reg, r, digest, manifest, MT.ociManifest);
    expectStatus(res, 201, 'a manifest with a subject answers 201');
    return { digest, size: Buffer.byteLength(manifest), manifest };
  }

  const referrers = (digest: string, query = '', r = repo) => req(reg, 'GET', `/v2/${r}/referrers/${digest}${query}`);

  before(async () => {
    reg = await startRegistry();
    subject = await pushImage(reg, repo, 'app');
    sbom = await pushReferrer(repo, {
      subject: subject.descriptor,
      artifactType: 'application/vnd.example.sbom.v1',
      annotations: { 'org.opencontainers.image.created': '2022-01-01T14:42:55Z', 'org.example.sbom.format': 'json' },
    });
    // no artifactType: the descriptor's artifactType falls back to config.mediaType
    sig = await pushReferrer(repo, {
      subject: subject.descriptor,
      configMediaType: 'application/vnd.example.signature.config.v1+json',
      annotations: { 'org.example.signature.fingerprint': 'abcd' },
    });
    // an index referrer without artifactType
    const child = await pushImage(reg, repo);
    const index = indexManifest({ manifests: [child.descriptor], subject: subject.descriptor, annotations: { 'org.example.kind': 'bundle' } });
    const d = sha256(index);
    expectStatus(await putManifest(reg, repo, d, index, MT.ociIndex), 201, 'an index with a subject answers 201');
    idx = { digest: d, size: Buffer.byteLength(index), manifest: index };
  });
  after(() => reg.close());

  test('answers 200 with an OCI image index (Content-Type application/vnd.oci.image.index.v1+json) listing the referrers', async () => {
    const res = await referrers(subject.digest);
    expectStatus(res, 200, 'spec: the referrers request MUST answer 200 OK');
    expectHeader(res, 'content-type', /^application\/vnd\.oci\.image\.index\.v1\+json\s*(;|$)/, 'spec: Content-Type MUST be application/vnd.oci.image.index.v1+json');
    const body = res.json<Index>();
    assert.equal(body.schemaVersion, 2, 'the image index has schemaVersion 2');
    assert.equal(body.mediaType, MT.ociIndex, 'the image index mediaType');
    const digests = body.manifests.map((m) => m.digest).sort();
    assert.deepEqual(digests, [sbom.digest, sig.digest, idx.digest].sort(), `spec: one descriptor per manifest whose subject is the digest; got ${res.text}`);
  });

  test('descriptors carry mediaType, digest, size, artifactType and the manifest annotations', async () => {
    const body = (await referrers(subject.digest)).json<Index>();
    const byDigest = new Map(body.manifests.map((m) => [m.digest, m]));
    const s = byDigest.get(sbom.digest);
    assert.ok(s, 'the sbom referrer is listed');
    assert.equal(s.mediaType, MT.ociManifest, 'descriptor mediaType');
    assert.equal(s.size, sbom.size, 'descriptor size is the manifest byte length');
    assert.equal(s.artifactType, 'application/vnd.example.sbom.v1', 'spec: artifactType MUST be set to the artifactType of the manifest');
    assert.deepEqual(
      s.annotations,
      { 'org.opencontainers.image.created': '2022-01-01T14:42:55Z', 'org.example.sbom.format': 'json' },
      'spec: descriptors MUST include the annotations of the manifest',
    );
  });

  test('without artifactType in the manifest, the descriptor artifactType is the config mediaType', async () => {
    const body = (await referrers(subject.digest)).json<Index>();
    const s = body.manifests.find((m) => m.digest === sig.digest);
    assert.ok(s, 'the signature referrer is listed');
    assert.equal(
      s.artifactType,
      'application/vnd.example.signature.config.v1+json',
      'spec: if artifactType is missing in the image manifest, it MUST be the config descriptor mediaType',
    );
    assert.deepEqual(s.annotations, { 'org.example.signature.fingerprint': 'abcd' }, 'annotations copied');
  });

  test('an index referrer without artifactType has no artifactType in its descriptor', async () => {
    const body = (await referrers(subject.digest)).json<Index>();
    const s = body.manifests.find((m) => m.digest === idx.digest);
    assert.ok(s, 'the index referrer is listed');
    assert.equal(s.mediaType, MT.ociIndex, 'descriptor mediaType of an index');
    assert.equal(s.size, idx.size, 'descriptor size');
    assert.ok(!('artifactType' in s) || s.artifactType === undefined, `spec: if artifactType is missing in an index, it MUST be omitted; got ${JSON.stringify(s)}`);
    assert.deepEqual(s.annotations, { 'org.example.kind': 'bundle' }, 'annotations copied');
  });

  test('?artifactType= filters and answers OCI-Filters-Applied: artifactType', async () => {
    const res = await referrers(subject.digest, `?artifactType=${encodeURIComponent('application/vnd.example.sbom.v1')}`);
    expectStatus(res, 200, 'filtered referrers answer 200');
    expectHeader(res, 'oci-filters-applied', 'artifactType', 'spec: if filtering is applied the response MUST include OCI-Filters-Applied: artifactType');
    assert.deepEqual(
      res.json<Index>().manifests.map((m) => m.digest),
      [sbom.digest],
      'only the matching referrer',
    );
    const fallback = await referrers(subject.digest, `?artifactType=${encodeURIComponent('application/vnd.example.signature.config.v1+json')}`);
    assert.deepEqual(
      fallback.json<Index>().manifests.map((m) => m.digest),
      [sig.digest],
      'the filter matches the config-mediaType fallback too',
    );
    const none = await referrers(subject.digest, '?artifactType=application/x-nothing');
    expectStatus(none, 200, 'a filter that matches nothing still answers 200');
    assert.deepEqual(none.json<Index>().manifests, [], 'empty list');
  });

  test('an unknown subject digest answers 200 with an empty index, never 404', async () => {
    const res = await referrers(unknownDigest());
    expectStatus(res, 200, 'spec: a registry supporting the referrers API MUST NOT return 404 to a referrers request');
    expectHeader(res, 'content-type', /^application\/vnd\.oci\.image\.index\.v1\+json/, 'Content-Type of the empty index');
    const body = res.json<Index>();
    assert.equal(body.schemaVersion, 2, 'schemaVersion 2');
    assert.deepEqual(body.manifests, [], 'spec: if a query results in no matching referrers, an empty manifest list MUST be returned');
  });

  test('an unknown repository answers 200 with an empty index', async () => {
    const res = await referrers(subject.digest, '', repoName('ghost'));
    expectStatus(res, 200, 'Stowage: the referrers API never answers 404');
    assert.deepEqual(res.json<Index>().manifests, [], 'empty list');
  });

  test('a malformed digest answers 400', async () => {
    const res = await referrers('sha256:not-a-digest');
    expectError(res, 400, 'DIGEST_INVALID', 'spec: a <digest> with an invalid syntax MUST answer 400 Bad Request');
  });

  test('referrers pushed before their subject are listed; referrers in other repositories are not', async () => {
    const r = repoName('order');
    // build the subject locally without pushing it yet
    const cfg = configBytes({ late: true });
    const layer = randomBytes(20);
    const late = imageManifest({ config: descriptorOf(MT.ociConfig, cfg), layers: [descriptorOf(MT.ociLayer, layer)] });
    const lateDesc: Descriptor = descriptorOf(MT.ociManifest, late);
    const early = await pushReferrer(r, { subject: lateDesc, artifactType: 'application/vnd.example.early' });
    const elsewhere = repoName('elsewhere');
    await pushReferrer(elsewhere, { subject: lateDesc, artifactType: 'application/vnd.example.elsewhere' });
    const before = await referrers(lateDesc.digest, '', r);
    assert.deepEqual(
      before.json<Index>().manifests.map((m) => m.digest),
      [early.digest],
      'the referrer is listed before the subject exists',
    );
    await pushBlob(reg, r, cfg);
    await pushBlob(reg, r, layer);
    expectStatus(await putManifest(reg, r, 'late', late, MT.ociManifest), 201, 'the subject is pushed afterwards');
    const afterPush = await referrers(lateDesc.digest, '', r);
    assert.deepEqual(
      afterPush.json<Index>().manifests.map((m) => m.digest),
      [early.digest],
      'spec: descriptors are of manifests in the same <name> namespace',
    );
  });

  test('a deleted referrer disappears from the list', async () => {
    const r = repoName('deleted');
    const subj = await pushImage(reg, r, 'x');
    const keep = await pushReferrer(r, { subject: subj.descriptor, artifactType: 'application/vnd.example.keep' });
    const gone = await pushReferrer(r, { subject: subj.descriptor, artifactType: 'application/vnd.example.gone' });
    expectStatus(await req(reg, 'DELETE', `/v2/${r}/manifests/${gone.digest}`), 202, 'spec: DELETE of a manifest answers 202');
    const res = await referrers(subj.digest, '', r);
    assert.deepEqual(
      res.json<Index>().manifests.map((m) => m.digest),
      [keep.digest],
      'only the remaining referrer is listed',
    );
  });

  test('?n pages the list with Link rel="next"; every referrer appears exactly once', async () => {
    const r = repoName('paged');
    const subj = await pushImage(reg, r, 'x');
    const all: string[] = [];
    for (let i = 0; i < 5; i++) all.push((await pushReferrer(r, { subject: subj.descriptor, artifactType: `application/vnd.example.n${i}` })).digest);
    const first = await referrers(subj.digest, '?n=2', r);
    expectStatus(first, 200, 'first page answers 200');
    assert.equal(first.json<Index>().manifests.length, 2, 'Stowage: n limits the page size');
    assert.ok(nextLink(first), 'spec: a Link header MUST be included when the list cannot be returned in a single response');
    const seen: string[] = [];
    let url: string | null = `/v2/${r}/referrers/${subj.digest}?n=2`;
    for (let page = 0; url && page < 10; page++) {
      const res = await req(reg, 'GET', new URL(url, reg.url).toString());
      expectStatus(res, 200, `page ${page} answers 200`);
      expectHeader(res, 'content-type', /^application\/vnd\.oci\.image\.index\.v1\+json/, 'each page is an image index');
      seen.push(...res.json<Index>().manifests.map((m) => m.digest));
      url = nextLink(res);
    }
    assert.deepEqual([...seen].sort(), [...all].sort(), 'all referrers, each once');
  });

  test('a tag of the referrers tag schema (sha256-<hex>) is an ordinary tag', async () => {
    const r = repoName('tagschema');
    const subj = await pushImage(reg, r, 'x');
    const tag = subj.digest.replace(':', '-');
    const fallback = indexManifest({ manifests: [] });
    const put = await putManifest(reg, r, tag, fallback, MT.ociIndex);
    expectStatus(put, 201, 'spec (Referrers Tag Schema): clients push an image index to the tag <alg>-<hex>; it is an ordinary tag');
    const got = await req(reg, 'GET', `/v2/${r}/manifests/${tag}`, { headers: { accept: ACCEPT_MANIFESTS } });
    expectStatus(got, 200, 'the referrers tag is pullable');
    assert.equal(got.text, fallback, 'exact bytes');
    const tags = await req(reg, 'GET', `/v2/${r}/tags/list`);
    assert.deepEqual(tags.json<{ tags: string[] }>().tags.sort(), [tag, 'x'].sort(), 'the referrers tag is listed with the other tags');
  });

  test('an empty artifactType in an image manifest also falls back to the config mediaType', async () => {
    const r = repoName('emptytype');
    const subj = await pushImage(reg, r, 'x');
    const cfg = configBytes({ empty: 'artifactType' });
    await pushBlob(reg, r, cfg);
    const m = imageManifest({
      artifactType: '',
      config: descriptorOf('application/vnd.example.config.v1+json', cfg),
      layers: [],
      subject: subj.descriptor,
    });
    expectStatus(await putManifest(reg, r, sha256(m), m, MT.ociManifest), 201, 'a referrer with artifactType "" answers 201');
    const res = await referrers(subj.digest, '', r);
    const d = res.json<Index>().manifests.find((x) => x.digest === sha256(m));
    assert.ok(d, `the referrer is listed; got ${res.text}`);
    assert.equal(
      d.artifactType,
      'application/vnd.example.config.v1+json',
      `spec: "If the artifactType is empty or missing in the image manifest, the value of artifactType MUST be set to the config descriptor mediaType"; got descriptor ${JSON.stringify(d)}`,
    );
    const filtered = await referrers(subj.digest, `?artifactType=${encodeURIComponent('application/vnd.example.config.v1+json')}`, r);
    assert.deepEqual(
      filtered.json<Index>().manifests.map((x) => x.digest),
      [sha256(m)],
      'the artifactType filter matches the config mediaType fallback',
    );
  });

  test('an empty artifactType in an index is omitted from its descriptor', async () => {
    const r = repoName('emptyidx');
    const subj = await pushImage(reg, r, 'x');
    const index = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, artifactType: '', manifests: [], subject: subj.descriptor });
    expectStatus(await putManifest(reg, r, sha256(index), index, MT.ociIndex), 201, 'an index referrer with artifactType "" answers 201');
    const d = (await referrers(subj.digest, '', r)).json<Index>().manifests.find((x) => x.digest === sha256(index));
    assert.ok(d, 'the index referrer is listed');
    assert.ok(!('artifactType' in d), `spec: if the artifactType is empty or missing in an index, the artifactType MUST be omitted; got ${JSON.stringify(d)}`);
  });

  test('referrers of a sha512 subject digest are listed', async () => {
    const r = repoName('sha512subj');
    const subj: Descriptor = { mediaType: MT.ociManifest, digest: 'sha512:' + 'ab'.repeat(64), size: 100 };
    const ref = await pushReferrer(r, { subject: subj, artifactType: 'application/vnd.example.sha512' });
    const res = await referrers(subj.digest, '', r);
    expectStatus(res, 200, 'referrers by sha512 digest answer 200');
    assert.deepEqual(
      res.json<Index>().manifests.map((m) => m.digest),
      [ref.digest],
      'the referrer of the sha512 subject is listed',
    );
  });
});
