import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../src/core/manifest-parse.js';
import { RegistryError } from '../../src/core/errors.js';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../src/core/manifest-media.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const desc = (mediaType: string, digest: string, extra: object = {}) => ({ mediaType, digest, size: 1, ...extra });

function errCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RegistryError ? `${err.code} ${err.status}` : String(err);
  }
  return undefined;
}

test('image manifest: config and layers must exist, except foreign layers and layers with urls', () => {
  const m = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: desc('application/vnd.oci.image.config.v1+json', d('a')),
    layers: [
      desc('application/vnd.oci.image.layer.v1.tar+gzip', d('b')),
      desc('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', d('c')),
      desc('application/vnd.oci.image.layer.v1.tar', d('e'), { urls: ['https://example.com/x'] }),
    ],
    subject: desc(OCI_MANIFEST, d('f')),
  };
  const parsed = parseManifest(enc(m), OCI_MANIFEST);
  assert.deepEqual(
    parsed.blobs.map((b) => b.value),
    [d('a'), d('b')],
  );
  assert.equal(parsed.subject?.value, d('f'));
  assert.equal(parsed.artifactType, 'application/vnd.oci.image.config.v1+json', 'artifactType falls back to config.mediaType');
});

test('index: children are manifests; artifactType only when declared', () => {
  const parsed = parseManifest(enc({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, d('1'))] }), undefined);
  assert.equal(parsed.mediaType, OCI_INDEX);
  assert.deepEqual(
    parsed.manifests.map((m) => m.value),
    [d('1')],
  );
  assert.equal(parsed.artifactType, null);
});

test('media type comes from Content-Type, or from the mediaType field, and they must agree', () => {
  const body = { schemaVersion: 2, config: desc('x/y', d('a')), layers: [] };
  assert.equal(parseManifest(enc(body), `${DOCKER_MANIFEST}; charset=utf-8`).mediaType, DOCKER_MANIFEST);
  assert.equal(
    errCode(() => parseManifest(enc(body), undefined)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ ...body, mediaType: OCI_MANIFEST }), DOCKER_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
});

test('bad manifests get MANIFEST_INVALID; schema1 and unknown types get UNSUPPORTED', () => {
  assert.equal(
    errCode(() => parseManifest(Buffer.from('{nope'), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc([1]), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ schemaVersion: 2, layers: [] }), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ schemaVersion: 2, config: desc('x/y', 'sha256:short'), layers: [] }), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ schemaVersion: 1, name: 'a', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws')),
    'UNSUPPORTED 415',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ schemaVersion: 2 }), 'application/vnd.example+json')),
    'UNSUPPORTED 415',
  );
});

test('descriptor media types and artifactType must be RFC 6838 media types of at most 255 characters', () => {
  const m = (extra: object) => enc({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('application/vnd.oci.image.config.v1+json', d('a')), layers: [], ...extra });
  assert.equal(parseManifest(m({ artifactType: 'application/vnd.example.sbom+json' }), OCI_MANIFEST).artifactType, 'application/vnd.example.sbom+json');
  assert.equal(
    errCode(() => parseManifest(m({ artifactType: `application/${'x'.repeat(300)}` }), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(m({ artifactType: 'not a media type' }), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
  assert.equal(
    errCode(() => parseManifest(enc({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('bad', d('a')), layers: [] }), OCI_MANIFEST)),
    'MANIFEST_INVALID 400',
  );
});
