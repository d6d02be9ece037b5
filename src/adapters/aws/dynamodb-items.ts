/**
 * Item shapes of the metadata table: domain records in, plain items out (and back). The store
 * writes these and the stream mapping reads them, so both agree on every attribute by
 * construction. Keys and attribute names come from dynamodb-keys.ts.
 */
import type { DigestAlgorithm } from '../../core/digest.js';
import type { ManifestRecord, ManifestSummary, ReferrerDescriptor, UploadSession } from '../../ports/metadata-store.js';
import { ATTR, blobIndex, keys, uploadIndex } from './dynamodb-keys.js';

/** An unmarshalled item. */
export type Item = Record<string, unknown>;

/** DynamoDB's item limit is 400 KB, attribute names included; we keep a margin below it. */
export const MAX_ITEM_BYTES = 400 * 1024 - 8 * 1024;
/** Annotations larger than this (as JSON) are not copied into items; they are read from the manifest bytes. */
export const MAX_INLINE_ANNOTATIONS_BYTES = 64 * 1024;

/** How an item's size counts against the 400 KB limit (names + values, a little generously). */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueBytes(v), 0);
  if (typeof value === 'object') return 3 + itemBytes(value as Item) + Object.keys(value).length;
  return 64;
}

// -------------------------------------------------------------------------------------------
// Typed reads of unmarshalled attributes

function str(item: Item, name: string): string {
  const v = item[name];
  if (typeof v !== 'string') throw new Error(`metadata item ${String(item[ATTR.pk])} ${String(item[ATTR.sk])}: ${name} is not a string`);
  return v;
}
function strOrNull(item: Item, name: string): string | null {
  const v = item[name];
  return typeof v === 'string' ? v : null;
}
function num(item: Item, name: string): number {
  const v = item[name];
  if (typeof v !== 'number') throw new Error(`metadata item ${String(item[ATTR.pk])} ${String(item[ATTR.sk])}: ${name} is not a number`);
  return v;
}
function numOrNull(item: Item, name: string): number | null {
  const v = item[name];
  return typeof v === 'number' ? v : null;
}
function strings(item: Item, name: string): string[] {
  const v = item[name];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

// -------------------------------------------------------------------------------------------
// Annotations: JSON text (keeps the pushed key order), or a flag saying "read the manifest"

export function encodeAnnotations(annotations: Record<string, string> | null | undefined): Item {
  if (!annotations) return {};
  const json = JSON.stringify(annotations);
  if (Buffer.byteLength(json) > MAX_INLINE_ANNOTATIONS_BYTES) return { [ATTR.annotationsInContent]: true };
  return { [ATTR.annotations]: json };
}

/** Annotations stored on the item; `'in-content'` when they must be read from the manifest bytes. */
export function decodeAnnotations(item: Item): Record<string, string> | null | 'in-content' {
  if (item[ATTR.annotationsInContent] === true) return 'in-content';
  const json = strOrNull(item, ATTR.annotations);
  return json === null ? null : (JSON.parse(json) as Record<string, string>);
}

/** The `annotations` field of manifest bytes (what the core parsed them from). */
export function annotationsFromContent(content: Uint8Array): Record<string, string> | null {
  const parsed = JSON.parse(Buffer.from(content).toString('utf8')) as { annotations?: Record<string, string> };
  return parsed.annotations ?? null;
}

// -------------------------------------------------------------------------------------------
// Catalog and blob links

export const catalogItem = (repository: string, now: string): Item => ({
  ...keys.catalog(repository),
  [ATTR.kind]: 'repo',
  [ATTR.repository]: repository,
  [ATTR.createdAt]: now,
});

/** A link item's attributes but its key and createdAt (linkBlob keeps the first createdAt). */
export const blobAttributes = (repository: string, digest: string, size: number, now: string): Item => ({
  ...blobIndex(repository, digest),
  [ATTR.kind]: 'blob',
  [ATTR.repository]: repository,
  [ATTR.digest]: digest,
  [ATTR.size]: size,
  [ATTR.linkedAt]: now,
});

/** The link's last link/touch time; links written before linkedAt existed have their createdAt. */
export const linkedAtOf = (item: Item): string => strOrNull(item, ATTR.linkedAt) ?? str(item, ATTR.createdAt);
export const sizeOf = (item: Item): number => num(item, ATTR.size);

// -------------------------------------------------------------------------------------------
// Manifests

/** Where a manifest's bytes live: in the item, or in the LargeObjectStore under a key. */
export type ManifestBody = { content: Uint8Array } | { contentKey: string };

export function manifestItem(record: ManifestRecord, body: ManifestBody): Item {
  return {
    ...keys.manifest(record.repository, record.digest),
    [ATTR.kind]: 'manifest',
    [ATTR.repository]: record.repository,
    [ATTR.digest]: record.digest,
    [ATTR.mediaType]: record.mediaType,
    [ATTR.size]: record.content.byteLength,
    [ATTR.artifactType]: record.artifactType,
    [ATTR.subject]: record.subject,
    ...encodeAnnotations(record.annotations),
    ...('content' in body ? { [ATTR.content]: body.content } : { [ATTR.contentKey]: body.contentKey }),
    [ATTR.createdAt]: record.createdAt,
    [ATTR.actor]: record.actor ?? null,
    [ATTR.pushTags]: record.pushTags ?? [],
  };
}

/** The record of a manifest item, given its bytes (read from the item or the large-object store). */
export function manifestRecordOf(item: Item, content: Uint8Array): ManifestRecord {
  const annotations = decodeAnnotations(item);
  return {
    repository: str(item, ATTR.repository),
    digest: str(item, ATTR.digest),
    mediaType: str(item, ATTR.mediaType),
    content,
    artifactType: strOrNull(item, ATTR.artifactType),
    subject: strOrNull(item, ATTR.subject),
    annotations: annotations === 'in-content' ? annotationsFromContent(content) : annotations,
    createdAt: str(item, ATTR.createdAt),
    actor: strOrNull(item, ATTR.actor),
    pushTags: strings(item, ATTR.pushTags),
  };
}

/** The attributes a manifest summary reads (a projection: listings never load manifest bytes). */
export const MANIFEST_SUMMARY_ATTRS = [ATTR.digest, ATTR.mediaType, ATTR.size, ATTR.artifactType, ATTR.subject, ATTR.createdAt];

/** A manifest item as image listings show it; `tags` starts empty (the caller fills it). */
export function manifestSummaryOf(item: Item): ManifestSummary {
  return {
    digest: str(item, ATTR.digest),
    mediaType: str(item, ATTR.mediaType),
    size: Number(item[ATTR.size]),
    artifactType: strOrNull(item, ATTR.artifactType),
    subject: strOrNull(item, ATTR.subject),
    createdAt: str(item, ATTR.createdAt),
    tags: [],
  };
}

/** Inline bytes of a manifest item, or the large-object key to fetch them from. */
export function manifestBodyOf(item: Item): ManifestBody {
  const content = item[ATTR.content];
  if (content instanceof Uint8Array) return { content };
  return { contentKey: str(item, ATTR.contentKey) };
}

export const subjectOf = (item: Item): string | null => strOrNull(item, ATTR.subject);

// -------------------------------------------------------------------------------------------
// Tags: pointer plus every field a push/delete event needs (the items are the outbox)

/** What a tag item copies from its manifest so that its stream record is a whole event. */
export interface EventFields {
  repository: string;
  digest: string;
  mediaType: string | null;
  artifactType: string | null;
  size: number | null;
  actor: string | null;
}

export function eventFieldsOf(item: Item): EventFields {
  return {
    repository: str(item, ATTR.repository),
    digest: str(item, ATTR.digest),
    mediaType: strOrNull(item, ATTR.mediaType),
    artifactType: strOrNull(item, ATTR.artifactType),
    size: numOrNull(item, ATTR.size),
    actor: strOrNull(item, ATTR.actor),
  };
}

export function tagItem(tag: string, fields: EventFields, now: string): Item {
  return {
    ...keys.tag(fields.repository, tag),
    [ATTR.kind]: 'tag',
    [ATTR.repository]: fields.repository,
    [ATTR.tag]: tag,
    [ATTR.digest]: fields.digest,
    [ATTR.mediaType]: fields.mediaType,
    [ATTR.artifactType]: fields.artifactType,
    [ATTR.size]: fields.size,
    [ATTR.actor]: fields.actor,
    [ATTR.updatedAt]: now,
  };
}

/**
 * Manifests up to this size are copied into the tag items naming them: a pull by tag then reads
 * one item. Small, because every tags/list Query reads the copies too (a Query costs by bytes
 * read): image manifests and indexes are 1-3 KB.
 */
export const TAG_MANIFEST_COPY_MAX_BYTES = 4 * 1024;

/** The attributes of a manifest item a tag item copies (its keys and index attributes are not). */
export function manifestCopyOf(manifest: Item): Item | null {
  const body = manifestBodyOf(manifest);
  if (!('content' in body) || body.content.byteLength > TAG_MANIFEST_COPY_MAX_BYTES || manifest[ATTR.annotationsInContent] === true) return null;
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, [ATTR.gsi1pk]: _g1, [ATTR.gsi1sk]: _g2, [ATTR.kind]: _kind, ...copy } = manifest;
  return copy;
}

/** The manifest item copied into a tag item, when it has one. */
export function manifestCopyIn(tag: Item): Item | null {
  const copy = tag[ATTR.manifestCopy];
  return typeof copy === 'object' && copy !== null && !(copy instanceof Uint8Array) ? (copy as Item) : null;
}

export const tagOf = (item: Item): string => str(item, ATTR.tag);
export const digestOf = (item: Item): string => str(item, ATTR.digest);
export const pushTagsOf = (item: Item): string[] => strings(item, ATTR.pushTags);

export const tagOfItem = (repository: string, digest: string, tag: string, now: string): Item => ({
  ...keys.tagOf(repository, digest, tag),
  [ATTR.kind]: 'tagof',
  [ATTR.repository]: repository,
  [ATTR.digest]: digest,
  [ATTR.tag]: tag,
  [ATTR.createdAt]: now,
});

// -------------------------------------------------------------------------------------------
// Referrers

export function referrerItem(repository: string, subject: string, d: ReferrerDescriptor): Item {
  return {
    ...keys.referrer(repository, subject, d.digest),
    [ATTR.kind]: 'referrer',
    [ATTR.repository]: repository,
    [ATTR.subject]: subject,
    [ATTR.digest]: d.digest,
    [ATTR.mediaType]: d.mediaType,
    [ATTR.size]: d.size,
    ...(d.artifactType !== undefined && { [ATTR.artifactType]: d.artifactType }),
    ...encodeAnnotations(d.annotations),
  };
}

/** The descriptor of a referrer item; annotations may still have to come from the manifest. */
export function referrerOf(item: Item): { descriptor: ReferrerDescriptor; annotationsInContent: boolean } {
  const descriptor: ReferrerDescriptor = { mediaType: str(item, ATTR.mediaType), digest: str(item, ATTR.digest), size: num(item, ATTR.size) };
  const artifactType = strOrNull(item, ATTR.artifactType);
  if (artifactType !== null) descriptor.artifactType = artifactType;
  const annotations = decodeAnnotations(item);
  if (annotations !== null && annotations !== 'in-content') descriptor.annotations = annotations;
  return { descriptor, annotationsInContent: annotations === 'in-content' };
}

// -------------------------------------------------------------------------------------------
// Upload sessions

/** Sessions nobody touched for this long are removed by the table's TTL (where it is on). */
export const UPLOAD_TTL_SECONDS = 7 * 24 * 3600;

export function uploadItem(s: UploadSession, now: Date): Item {
  return {
    ...keys.upload(s.id),
    ...uploadIndex(s.startedAt, s.id),
    [ATTR.kind]: 'upload',
    [ATTR.uploadId]: s.id,
    [ATTR.repository]: s.repository,
    [ATTR.offset]: s.offset,
    [ATTR.startedAt]: s.startedAt,
    [ATTR.algorithm]: s.algorithm,
    [ATTR.hashState]: s.hashState,
    [ATTR.digestSoFar]: s.digestSoFar,
    // JSON text: storage state is whatever the BlobStore keeps, and must come back exactly.
    [ATTR.storageState]: JSON.stringify(s.storageState ?? null),
    [ATTR.leaseOwner]: s.lease?.owner ?? null,
    [ATTR.leaseExpiresAt]: s.lease?.expiresAt ?? null,
    [ATTR.version]: s.version,
    [ATTR.expiresAt]: Math.floor(now.getTime() / 1000) + UPLOAD_TTL_SECONDS,
  };
}

export function uploadOf(item: Item): UploadSession {
  return {
    id: str(item, ATTR.uploadId),
    repository: str(item, ATTR.repository),
    offset: num(item, ATTR.offset),
    startedAt: str(item, ATTR.startedAt),
    algorithm: str(item, ATTR.algorithm) as DigestAlgorithm,
    hashState: strOrNull(item, ATTR.hashState),
    digestSoFar: strOrNull(item, ATTR.digestSoFar),
    storageState: JSON.parse(str(item, ATTR.storageState)) as unknown,
    lease: leaseOf(item),
    version: num(item, ATTR.version),
  };
}

function leaseOf(item: Item): UploadSession['lease'] {
  const expiresAt = strOrNull(item, ATTR.leaseExpiresAt);
  // An item written before leases had owners still holds until it expires.
  return expiresAt === null ? null : { owner: strOrNull(item, ATTR.leaseOwner) ?? '', expiresAt };
}
