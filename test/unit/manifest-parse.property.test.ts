/**
 * Property-based tests (fast-check) of manifest and index parsing (src/core/manifest-parse.ts),
 * the largest parser a client can reach: arbitrary bytes, arbitrary JSON, and documents one
 * field away from a valid manifest or index, under any Content-Type. Each is accepted with
 * digests that parse, or refused with MANIFEST_INVALID or UNSUPPORTED; nothing else escapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDigest } from '../../src/core/digest.js';
import { parseManifest } from '../../src/core/manifest-parse.js';
import { SUPPORTED_MANIFEST_TYPES } from '../../src/core/manifest-media.js';
import { onlyRegistryError, RUNS } from '../helpers/property.js';

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(...SUPPORTED_MANIFEST_TYPES, 'application/json', 'application/octet-stream', 'application/vnd.docker.distribution.manifest.v1+prettyjws', ''),
    fc.constantFrom(...SUPPORTED_MANIFEST_TYPES).map((t) => `${t.toUpperCase()}; charset=utf-8`),
    fc.string({ maxLength: 80 }),
  ),
  { nil: undefined },
);

const digest = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
  fc.constantFrom('sha256:abc', 'md5:00', '', 'sha256:' + 'A'.repeat(64)),
  fc.string({ maxLength: 80 }),
);
const mediaType = fc.oneof(
  fc.constantFrom('application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar', 'application/vnd.oci.image.config.v1+json', 'x/y; a=b'),
  fc.string({ maxLength: 300 }),
);
/** Any JSON value, sometimes in place of a field a manifest needs. */
const anyValue = fc.jsonValue({ maxDepth: 3 });
const descriptor = fc.record(
  {
    mediaType: fc.oneof(mediaType, anyValue),
    digest: fc.oneof(digest, anyValue),
    size: fc.oneof(fc.nat(), fc.integer(), fc.double(), anyValue),
    urls: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), anyValue),
    annotations: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), anyValue),
    artifactType: fc.oneof(mediaType, anyValue),
  },
  { requiredKeys: [] },
);
const nearManifest = fc.record(
  {
    schemaVersion: fc.oneof(fc.constant(2), fc.constant(1), anyValue),
    mediaType: fc.oneof(fc.constantFrom(...SUPPORTED_MANIFEST_TYPES), fc.string({ maxLength: 40 }), anyValue),
    artifactType: fc.oneof(mediaType, fc.constant(''), anyValue),
    config: fc.oneof(descriptor, anyValue),
    layers: fc.oneof(fc.array(descriptor, { maxLength: 4 }), anyValue),
    manifests: fc.oneof(fc.array(descriptor, { maxLength: 4 }), anyValue),
    subject: fc.oneof(descriptor, anyValue),
    annotations: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), anyValue),
    ['__proto__' as string]: anyValue,
  },
  { requiredKeys: [] },
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  anyValue.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  nearManifest.map((m) => Buffer.from(JSON.stringify(m))),
  // Deep nesting: JSON.parse handles it, the schema must refuse it without overflowing.
  fc.nat({ max: 5000 }).map((n) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`)),
  fc.nat({ max: 5000 }).map((n) => Buffer.from(`{"schemaVersion":2,"config":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`)),
);

test('manifests and indexes: any bytes under any Content-Type parse or are refused with the domain error', () => {
  fc.assert(
    fc.property(bytes, contentType, (body, type) => {
      onlyRegistryError(() => parseManifest(body, type));
      try {
        const parsed = parseManifest(body, type);
        assert.ok(SUPPORTED_MANIFEST_TYPES.includes(parsed.mediaType));
        for (const d of [...parsed.blobs, ...parsed.manifests, ...(parsed.subject ? [parsed.subject] : [])]) assert.equal(parseDigest(d.value).value, d.value);
      } catch (err) {
        assert.ok(['MANIFEST_INVALID', 'UNSUPPORTED'].includes((err as { kind: string }).kind), (err as Error).message);
      }
    }),
    { numRuns: RUNS },
  );
});
