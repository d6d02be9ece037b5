/**
 * The scenarios whose stream records are the fixtures in test/fixtures/dynamodb-stream/. Each is
 * run through the real adapters on dynalite with the StreamRecorder attached: the metadata
 * store's writes of a change, then the outbox sink's write of the events the core emits for it
 * (fixed ids and times here, so recordings are deterministic; dynamodb-registry.test.ts runs the
 * real core). stream-events.test checks that the committed fixtures equal a fresh recording (so
 * they cannot drift from what the adapters write) and relays them. Regenerate after an item
 * layout change with
 * `STOWAGE_UPDATE_STREAM_FIXTURES=1 node --test dist/test/adapters/stream-events.test.js`.
 */
import { createHash } from 'node:crypto';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbMetadataStore } from '../../src/adapters/aws/dynamodb-metadata-store.js';
import { keys } from '../../src/adapters/aws/dynamodb-keys.js';
import { DynamoDbOutboxSink } from '../../src/adapters/aws/outbox-event-sink.js';
import type { DynamoDBStreamRecordLike } from '../../src/adapters/aws/stream-events.js';
import type { RegistryEvent } from '../../src/ports/event-sink.js';
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

/** The event the core emits for a change, with the n-th fixed id and time. */
export function coreEvent(n: number, action: RegistryEvent['action'], m: ManifestRecord, tag: string | null, actor: string | null): RegistryEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    time: new Date(Date.parse('2026-01-01T00:00:00.000Z') + n * 1000).toISOString(),
    action,
    repository: m.repository,
    digest: m.digest,
    tag,
    mediaType: m.mediaType,
    artifactType: m.artifactType,
    size: m.content.byteLength,
    actor,
  };
}

export interface Scenario {
  /** File name (without .json) under test/fixtures/dynamodb-stream/. */
  name: string;
  description: string;
  /** Writes before recording starts. */
  setup?(m: DynamoDbMetadataStore): Promise<void>;
  /** The metadata store's writes of the change. */
  run(m: DynamoDbMetadataStore, raw: RawTable): Promise<void>;
  /** What the core emits for the change: written to the outbox after `run`, in this order. */
  events: RegistryEvent[];
}

/** Direct access to the recorded table, for writes no adapter makes from a request (TTL expiry). */
export interface RawTable {
  deleteItem(key: { PK: string; SK: string }): Promise<void>;
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
    events: [coreEvent(1, 'PUSH', A, 'v1', 'alice'), coreEvent(2, 'PUSH', A, 'latest', 'alice')],
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
    events: [coreEvent(1, 'PUSH', SIG, null, 'alice')],
  },
  {
    name: 'retag-and-repush',
    description:
      'v1 moves from A to B (tag MODIFY), is set to B again (tag MODIFY, same digest), and B is re-pushed untagged (manifest MODIFY): the core emits a PUSH for each of the three requests, idempotent re-puts included.',
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
    events: [coreEvent(1, 'PUSH', B, 'v1', 'bob'), coreEvent(2, 'PUSH', B, 'v1', 'bob'), coreEvent(3, 'PUSH', B, null, 'bob')],
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
    events: [coreEvent(1, 'DELETE', A, 'v1', 'alice')],
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
    events: [coreEvent(1, 'DELETE', SIG, 'a', 'alice'), coreEvent(2, 'DELETE', SIG, 'b', 'alice'), coreEvent(3, 'DELETE', SIG, null, 'alice')],
  },
  {
    name: 'uploads-and-links',
    description: 'An upload session (create, two conditional updates, delete) and a blob link and unlink: no events.',
    async run(m) {
      const session = {
        id: '0b7a4f3e-2f7e-4a39-9d0c-6d1f0c1b2a3e',
        repository: REPO,
        offset: 0,
        startedAt: '2026-01-01T00:00:00.000Z',
        algorithm: 'sha256' as const,
        hashState: null,
        digestSoFar: null,
        storageState: { parts: [] },
        lease: null,
        version: 0,
      };
      await m.createUpload(session);
      await m.updateUpload({ ...session, version: 1 }, 0);
      await m.updateUpload({ ...session, offset: 11, version: 2, digestSoFar: LAYER.digest, storageState: { parts: [{ n: 1, etag: '"e1"' }] } }, 1);
      await m.linkBlob(REPO, LAYER.digest, LAYER.size);
      await m.deleteUpload(session.id);
      await m.unlinkBlob(REPO, LAYER.digest);
    },
    events: [],
  },
  {
    name: 'outbox-expiry',
    description: 'An outbox item removed, as the table TTL removes it a day after its event: a REMOVE record, not an event.',
    async setup(m) {
      await m.putManifest(A, null);
    },
    async run(_m, raw) {
      await raw.deleteItem(keys.outbox(coreEvent(0, 'PUSH', A, null, 'alice').id));
    },
    events: [],
  },
];

/** Outbox items present before a scenario's recording starts (outbox-expiry removes one). */
const SETUP_EVENTS: Record<string, RegistryEvent[]> = { 'outbox-expiry': [coreEvent(0, 'PUSH', A, null, 'alice')] };

/** A clock that moves one second per reading, from 2026-01-01T00:00:00Z. */
export function tickingClock(): () => Date {
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  return () => {
    const reading = new Date(t);
    t += 1000;
    return reading;
  };
}

/** Runs a scenario on a fresh table and returns the stream records its `run` produced. */
export async function recordScenario(db: Dynalite, scenario: Scenario): Promise<DynamoDBStreamRecordLike[]> {
  const tableName = await db.newTable();
  const client = db.newClient();
  const recorder = new StreamRecorder(db.newClient(), tableName);
  recorder.attach(client);
  const m = new DynamoDbMetadataStore({ client, tableName, largeObjects: new InMemoryLargeObjectStore(), now: tickingClock() });
  const outbox = new DynamoDbOutboxSink({ client, tableName });
  const raw: RawTable = {
    deleteItem: async (key) => void (await client.send(new DeleteItemCommand({ TableName: tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }))),
  };
  await scenario.setup?.(m);
  await outbox.publish(SETUP_EVENTS[scenario.name] ?? []);
  recorder.start();
  await scenario.run(m, raw);
  await outbox.publish(scenario.events);
  return recorder.stop();
}
