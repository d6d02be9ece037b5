/**
 * The scenarios whose stream records are the fixtures in test/fixtures/dynamodb-stream/. Each is
 * run through the real adapter on dynalite with the StreamRecorder attached; stream-events.test
 * checks that the committed fixtures equal a fresh recording (so the fixtures cannot drift from
 * what the adapter writes) and maps them to events. Regenerate after an item layout change with
 * `STOWAGE_UPDATE_STREAM_FIXTURES=1 node --test dist/test/adapters/stream-events.test.js`.
 */
import { createHash } from 'node:crypto';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import type { DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import type { ManifestRecord, ReferrerDescriptor } from '../../src/ports/metadata-store.js';
import { InMemoryLargeObjectStore, type Dynalite } from './dynamodb-harness.js';
import { StreamRecorder } from './dynamodb-stream-recorder.js';

export const REPO = 'team/app';
export const MT = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  signature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
} as const;

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export const CONFIG = { digest: sha256('{"architecture":"amd64","os":"linux"}'), size: 36 };
export const LAYER = { digest: sha256('layer bytes'), size: 11 };

/** A manifest as the core would store it (digest, artifactType from config, fixed timestamp). */
export function image(name: string, extra: Partial<ManifestRecord> & { subject?: string | null } = {}): ManifestRecord {
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: { mediaType: MT.config, ...CONFIG },
    layers: [{ mediaType: MT.layer, ...LAYER }],
    annotations: { 'org.opencontainers.image.title': name },
  };
  if (extra.subject) json.subject = { mediaType: MT.manifest, digest: extra.subject, size: 100 };
  const content = Buffer.from(JSON.stringify(json));
  return {
    repository: REPO,
    digest: sha256(content),
    mediaType: MT.manifest,
    content,
    artifactType: MT.config,
    subject: null,
    annotations: { 'org.opencontainers.image.title': name },
    createdAt: '2025-12-31T23:00:00.000Z',
    actor: 'alice',
    pushTags: [],
    ...extra,
  };
}

export const A = image('a', { pushTags: ['v1', 'latest'] });
export const B = image('b', { actor: 'bob' });
export const SIG = image('sig', { subject: A.digest, artifactType: MT.signature });
const sigDescriptor: ReferrerDescriptor = { mediaType: MT.manifest, digest: SIG.digest, size: SIG.content.byteLength, artifactType: MT.signature, annotations: SIG.annotations! };

export interface Scenario {
  /** File name (without .json) under test/fixtures/dynamodb-stream/. */
  name: string;
  description: string;
  /** Writes before recording starts. */
  setup?(m: DynamoDbMetadataStore): Promise<void>;
  run(m: DynamoDbMetadataStore): Promise<void>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'push-tagged',
    description: 'A PUT of an image manifest with tags v1 and latest: blob links, catalog entry, manifest, TAGOF entries and two tags.',
    async run(m) {
      await m.linkBlob(REPO, CONFIG.digest, CONFIG.size);
      await m.linkBlob(REPO, LAYER.digest, LAYER.size);
      await m.putManifest(A, null);
      await m.setTag(REPO, 'v1', A.digest, 'alice');
      await m.setTag(REPO, 'latest', A.digest, 'alice');
    },
  },
  {
    name: 'push-untagged-referrer',
    description: 'An untagged PUT (by digest) of a signature whose subject is A: the manifest item and its referrer entry.',
    async setup(m) {
      await m.putManifest(A, null);
    },
    async run(m) {
      await m.putManifest(SIG, sigDescriptor);
    },
  },
  {
    name: 'retag-and-repush',
    description: 'v1 moves from A to B (MODIFY to another digest), is set to B again (MODIFY, same digest), and B is re-pushed untagged (manifest MODIFY).',
    async setup(m) {
      await m.putManifest(A, null);
      await m.putManifest(B, null);
      await m.setTag(REPO, 'v1', A.digest, 'alice');
    },
    async run(m) {
      await m.setTag(REPO, 'v1', B.digest, 'bob');
      await m.setTag(REPO, 'v1', B.digest, 'bob');
      await m.putManifest({ ...B, createdAt: '2026-01-02T00:00:00.000Z' }, null);
    },
  },
  {
    name: 'delete-by-tag',
    description: 'DELETE /v2/team/app/manifests/v1 while A is also tagged latest: one tag item removed.',
    async setup(m) {
      await m.putManifest(A, null);
      await m.setTag(REPO, 'v1', A.digest, 'alice');
      await m.setTag(REPO, 'latest', A.digest, 'alice');
    },
    async run(m) {
      await m.deleteTag(REPO, 'v1');
    },
  },
  {
    name: 'delete-by-digest',
    description:
      'DELETE by digest of SIG (a referrer of A) tagged a and b, whose TAGOF entries also name c, a tag that has since moved to B: two tags, the referrer entry, the manifest and the TAGOF entries go; c stays.',
    async setup(m) {
      await m.putManifest(A, null);
      await m.putManifest(B, null);
      await m.putManifest(SIG, sigDescriptor);
      for (const t of ['a', 'b', 'c']) await m.setTag(REPO, t, SIG.digest, 'alice');
      await m.setTag(REPO, 'c', B.digest, 'bob');
    },
    async run(m) {
      await m.deleteManifest(REPO, SIG.digest);
    },
  },
  {
    name: 'uploads-and-links',
    description: 'An upload session (create, two conditional updates, delete) and a blob link and unlink: no events.',
    async run(m) {
      const session = {
        id: '0b7a4f3e-2f7e-4a39-9d0c-6d1f0c1b2a3e', repository: REPO, offset: 0, startedAt: '2026-01-01T00:00:00.000Z',
        algorithm: 'sha256' as const, hashState: null, digestSoFar: null, storageState: { parts: [] }, lease: null, version: 0,
      };
      await m.createUpload(session);
      await m.updateUpload({ ...session, version: 1 }, 0);
      await m.updateUpload({ ...session, offset: 11, version: 2, digestSoFar: LAYER.digest, storageState: { parts: [{ n: 1, etag: '"e1"' }] } }, 1);
      await m.linkBlob(REPO, LAYER.digest, LAYER.size);
      await m.deleteUpload(session.id);
      await m.unlinkBlob(REPO, LAYER.digest);
    },
  },
];

/** A clock that moves one second per reading, from 2026-01-01T00:00:00Z. */
export function tickingClock(): () => Date {
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  return () => new Date((t += 1000) - 1000);
}

/** Runs a scenario on a fresh table and returns the stream records its `run` produced. */
export async function recordScenario(db: Dynalite, scenario: Scenario): Promise<DynamoDBStreamRecordLike[]> {
  const tableName = await db.newTable();
  const client = db.newClient();
  const recorder = new StreamRecorder(db.newClient(), tableName);
  recorder.attach(client);
  const m = new DynamoDbMetadataStore({ client, tableName, largeObjects: new InMemoryLargeObjectStore(), now: tickingClock() });
  await scenario.setup?.(m);
  recorder.start();
  await scenario.run(m);
  return recorder.stop();
}
