/**
 * DynamoDB MetadataStore: one table (layout in dynamodb-keys.ts, access patterns and costs in
 * docs/dynamodb-table.md). Every method is a bounded number of GetItem / PutItem / DeleteItem /
 * Query / BatchGetItem / BatchWriteItem calls, never a Scan and never a transaction (the emulator has none, and
 * none is needed): multi-item changes are ordered single-item writes, content first and
 * pointers last, each idempotent, so a writer that dies mid-way leaves only unreferenced items.
 *
 * Base-table reads are strongly consistent: a push reads back what it wrote a moment earlier
 * (blob links, the manifest a tag is about to name). Only findBlobRepositories reads the GSI,
 * which is eventually consistent (it picks a mount source; a miss just means a normal upload).
 *
 * Events are not derived from these items: the core emits them, and on Lambda they are written
 * to the same table as outbox items (outbox-event-sink.ts).
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { eachConcurrently } from '../../core/each-concurrently.js';
import { uploadCursor } from '../../ports/metadata-store.js';
import type {
  BlobLink,
  CollectorState,
  ManifestRecord,
  ManifestSummary,
  MetadataStore,
  Page,
  PageRequest,
  ReferrerDescriptor,
  SetTagOptions,
  TagWrite,
  UploadLease,
  UploadSession,
} from '../../ports/metadata-store.js';
import { ATTR, GSI1, UPLOADS_INDEX_PK, blobIndexPk, keys, largeManifestKey, ranges, type Key, type Range } from './dynamodb-keys.js';
import {
  MAX_ITEM_BYTES,
  blobAttributes,
  linkedAtOf,
  sizeOf,
  catalogItem,
  digestOf,
  MANIFEST_SUMMARY_ATTRS,
  manifestSummaryOf,
  eventFieldsOf,
  itemBytes,
  manifestBodyOf,
  manifestCopyIn,
  manifestCopyOf,
  manifestItem,
  manifestRecordOf,
  referrerItem,
  referrerOf,
  subjectOf,
  tagItem,
  tagOf,
  tagOfItem,
  uploadItem,
  uploadOf,
  UPLOAD_TTL_SECONDS,
  type Item,
  type ManifestBody,
} from './dynamodb-items.js';
import type { LargeObjectStore } from './large-objects.js';

export interface DynamoDbMetadataStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Where manifests too large for an item go (S3 in production). */
  largeObjects: LargeObjectStore;
  /**
   * Manifests larger than this many bytes are stored in `largeObjects` and only indexed in the
   * table (default 300 KiB). An item that would still exceed DynamoDB's 400 KB goes there too.
   */
  inlineManifestLimit?: number;
  /** Clock for the timestamps the store writes (tests pin it). */
  now?: () => Date;
}

export const DEFAULT_INLINE_MANIFEST_LIMIT = 300 * 1024;

/** Referrer pages with an artifactType filter read at least this many items per Query. */
const FILTERED_QUERY_BATCH = 32;
/** Parallel conditional deletes when a manifest loses its tags. */
const DELETE_CONCURRENCY = 8;
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
/** Repositories this process has already put into the catalog (bounded; a miss costs one write). */
const KNOWN_REPOSITORIES_MAX = 10_000;
/** How long a process trusts that a repository it put into the catalog is still there (a repository delete elsewhere removes it). */
const KNOWN_REPOSITORY_MS = 10_000;

/** An upload id no session ever has (session ids are UUIDs): the readiness probe's key. */
const READINESS_PROBE_ID = 'readiness-probe';

const MARSHALL = { removeUndefinedValues: true } as const;

/** STYLE habit 8: the SDK's conditional failure becomes a value at this boundary. */
function isConditionalFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

const notExists: Condition = { expression: 'attribute_not_exists(#pk)', names: { '#pk': ATTR.pk } };
const absentOrDigest = (digest: string): Condition => ({
  expression: 'attribute_not_exists(#pk) OR #digest = :digest',
  names: { '#pk': ATTR.pk, '#digest': ATTR.digest },
  values: { ':digest': digest },
});
/** An upload session of `repository` that no request's lease holds at `now` (no lease, or expired). */
const uploadFree = (repository: string, now: string): Condition => ({
  expression: '#repo = :repo AND (attribute_not_exists(#le) OR attribute_type(#le, :null) OR #le <= :now)',
  names: { '#repo': ATTR.repository, '#le': ATTR.leaseExpiresAt },
  values: { ':repo': repository, ':null': 'NULL', ':now': now },
});
const digestIs = (digest: string): Condition => ({ expression: '#digest = :digest', names: { '#digest': ATTR.digest }, values: { ':digest': digest } });

export class DynamoDbMetadataStore implements MetadataStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly largeObjects: LargeObjectStore;
  private readonly inlineLimit: number;
  private readonly now: () => Date;
  /**
   * Repositories this process put into the catalog, and until when it trusts that (ms). Bounded
   * in time because another process may delete a repository: blob links re-create its catalog
   * entry at most KNOWN_REPOSITORY_MS later, and a manifest push always does.
   */
  private readonly knownRepositories = new Map<string, number>();

  constructor(options: DynamoDbMetadataStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.largeObjects = options.largeObjects;
    this.inlineLimit = options.inlineManifestLimit ?? DEFAULT_INLINE_MANIFEST_LIMIT;
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(this.inlineLimit) || this.inlineLimit < 0) throw new Error('inlineManifestLimit must be a non-negative integer');
  }

  /**
   * One eventually consistent GetItem of an upload key no session has (ids are UUIDs): proves
   * the table answers and these credentials may read it, with the GetItem every upload route
   * already needs (cheaper than DescribeTable's control-plane quota, and the permission used).
   */
  /** Unknown: the total needs a Scan of the whole table, which no scrape should pay for. */
  async storedBytes(): Promise<null> {
    return null;
  }

  async check(): Promise<void> {
    await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: marshall(keys.upload(READINESS_PROBE_ID)), ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': ATTR.pk } }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Blob links

  /** GSI1 (findBlobRepositories) is eventually consistent; a second covers its usual lag. */
  readonly blobIndexLagMs = 1000;

  /** Link times strictly increase within this process, so a touch always changes the value a collector read. */
  private lastLinkMs = 0;
  private linkTime(): string {
    this.lastLinkMs = Math.max(this.now().getTime(), this.lastLinkMs + 1);
    return new Date(this.lastLinkMs).toISOString();
  }

  async linkBlob(repository: string, digest: string, size: number): Promise<void> {
    await this.touchRepository(repository);
    // An update, not a put: a repeated link refreshes linkedAt and keeps the first createdAt.
    const now = this.linkTime();
    const attributes = blobAttributes(repository, digest, size, now);
    const names: Record<string, string> = { '#created': ATTR.createdAt };
    const values: Record<string, unknown> = { ':created': now };
    const sets = Object.entries(attributes).map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(keys.blob(repository, digest)),
        UpdateExpression: `SET ${sets.join(', ')}, #created = if_not_exists(#created, :created)`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, MARSHALL),
      }),
    );
  }

  async touchBlobLink(repository: string, digest: string): Promise<{ size: number } | null> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(keys.blob(repository, digest)),
          UpdateExpression: 'SET #l = :l',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#l': ATTR.linkedAt, '#pk': ATTR.pk },
          ExpressionAttributeValues: marshall({ ':l': this.linkTime() }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? { size: sizeOf(unmarshall(out.Attributes)) } : null;
    } catch (err) {
      if (isConditionalFailure(err)) return null;
      throw err;
    }
  }

  async listBlobLinks(repository: string, page: PageRequest): Promise<Page<BlobLink>> {
    const items = await this.collect(ranges.blobs(repository, page.last), page.limit + 1, { projection: [ATTR.digest, ATTR.size, ATTR.linkedAt, ATTR.createdAt] });
    return toPage(
      items.map((i) => ({ digest: digestOf(i), size: sizeOf(i), linkedAt: linkedAtOf(i) })),
      page.limit,
    );
  }

  async getBlobLink(repository: string, digest: string): Promise<{ size: number } | null> {
    const item = await this.get(keys.blob(repository, digest), [ATTR.size]);
    const size = item?.[ATTR.size];
    return typeof size === 'number' ? { size } : null;
  }

  /** BatchGetItem, strongly consistent, 100 keys per call (retrying unprocessed ones). */
  async getBlobLinks(repository: string, digests: readonly string[]): Promise<Map<string, BlobLink>> {
    return (await this.readLinks(repository, digests, false)).links;
  }

  /** getBlobLinks with the catalog entry's key in the same BatchGetItem: one more item read, instead of the manifest PUT's catalog write. */
  async getBlobLinksListed(repository: string, digests: readonly string[]): Promise<{ links: Map<string, BlobLink>; listed: boolean }> {
    return this.readLinks(repository, digests, true);
  }

  private async readLinks(repository: string, digests: readonly string[], withCatalog: boolean): Promise<{ links: Map<string, BlobLink>; listed: boolean }> {
    const links = new Map<string, BlobLink>();
    const catalog = keys.catalog(repository);
    const keyList = [...new Set(digests)].map((d) => keys.blob(repository, d));
    if (withCatalog) keyList.push(catalog);
    let listed = false;
    for (const item of await this.batchGet(keyList, [ATTR.pk, ATTR.digest, ATTR.size, ATTR.linkedAt, ATTR.createdAt])) {
      if (item[ATTR.pk] === catalog.PK) listed = true;
      else links.set(digestOf(item), { digest: digestOf(item), size: sizeOf(item), linkedAt: linkedAtOf(item) });
    }
    return { links, listed };
  }

  async unlinkBlob(repository: string, digest: string, linkedAt?: string): Promise<boolean> {
    // A link written before linkedAt existed is identified by its createdAt (linkedAtOf).
    const unchanged: Condition | undefined =
      linkedAt === undefined
        ? undefined
        : {
            expression: '#l = :l OR (attribute_not_exists(#l) AND #c = :l)',
            names: { '#l': ATTR.linkedAt, '#c': ATTR.createdAt },
            values: { ':l': linkedAt },
          };
    return (await this.delete(keys.blob(repository, digest), unchanged)) !== null;
  }

  async unlinkBlobs(links: readonly { repository: string; digest: string; linkedAt: string }[]): Promise<{ repository: string; digest: string }[]> {
    // DynamoDB has no conditional batch delete: one conditional DeleteItem per link, in order.
    const removed: { repository: string; digest: string }[] = [];
    for (const { repository, digest, linkedAt } of links) if (await this.unlinkBlob(repository, digest, linkedAt)) removed.push({ repository, digest });
    return removed;
  }

  async deleteRepository(repository: string): Promise<boolean> {
    // Pointers first (tags, then referrer entries), then manifests, links and the tag-of
    // entries, each kind a range of the repository's partition; the catalog entry last.
    for (const r of ranges.repositoryItems(repository)) {
      const items = await this.collect(r, Number.POSITIVE_INFINITY, { projection: [ATTR.pk, ATTR.sk] });
      await this.batchDelete(items.map((i) => ({ PK: String(i[ATTR.pk]), SK: String(i[ATTR.sk]) })));
    }
    this.knownRepositories.delete(repository);
    return (await this.delete(keys.catalog(repository))) !== null;
  }

  async findBlobRepositories(digest: string, limit: number): Promise<string[]> {
    const names: string[] = [];
    if (limit < 1) return names;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: '#g = :g',
          ExpressionAttributeNames: { '#g': ATTR.gsi1pk },
          ExpressionAttributeValues: marshall({ ':g': blobIndexPk(digest) }),
          Limit: limit - names.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) {
        const name = unmarshall(raw)[ATTR.gsi1sk];
        if (typeof name === 'string') names.push(name);
      }
      start = out.LastEvaluatedKey;
    } while (start && names.length < limit);
    return names.slice(0, limit);
  }

  // -------------------------------------------------------------------------------------------
  // Manifests

  async putManifest(record: ManifestRecord, referrer: ReferrerDescriptor | null, options: { listed?: boolean } = {}): Promise<void> {
    // Content first: the large object (content-addressed, idempotent), the catalog entry, the
    // manifest item, then its referrer entry, so a listed referrer is always fetchable.
    let item = manifestItem(record, { content: record.content });
    if (record.content.byteLength > this.inlineLimit || itemBytes(item) > MAX_ITEM_BYTES) {
      const contentKey = largeManifestKey(record.digest);
      await this.largeObjects.put(contentKey, record.content);
      item = manifestItem(record, { contentKey });
    }
    // Not from the cache: a repository deleted by another process comes back into the catalog
    // with the next manifest pushed to it. Written unless the push's own consistent read of its
    // links saw the entry a moment ago (getBlobLinksListed): the conditional put would then
    // change nothing, and a repository delete racing this push can remove the entry after either.
    if (!options.listed) await this.touchRepository(record.repository, true);
    await this.put(item);
    if (referrer && record.subject) await this.put(referrerItem(record.repository, record.subject, referrer));
  }

  async getManifest(repository: string, digest: string): Promise<ManifestRecord | null> {
    const item = await this.get(keys.manifest(repository, digest));
    return item ? this.recordOf(item) : null;
  }

  async listManifests(repository: string, page: PageRequest): Promise<Page<ManifestSummary>> {
    const r = ranges.manifests(repository, page.last);
    const listed = (await this.collect(r, page.limit + 1, { projection: MANIFEST_SUMMARY_ATTRS })).map(manifestSummaryOf);
    const items = listed.slice(0, page.limit);
    if (items.length > 0) {
      // The repository's tag items name their digest: one listing of them gives every manifest's
      // tags (cheaper than a TAGOF query plus a check of each tag per manifest).
      const tagsOf = new Map(items.map((m) => [m.digest, m.tags]));
      const tags = ranges.tags(repository);
      for (const item of await this.collect(tags, Number.POSITIVE_INFINITY, { projection: [ATTR.sk, ATTR.digest] })) {
        tagsOf.get(digestOf(item))?.push(tags.valueOf(String(item[ATTR.sk])));
      }
    }
    return { items, more: listed.length > page.limit };
  }

  async deleteManifest(repository: string, digest: string): Promise<{ tags: string[] } | null> {
    const manifestKey = keys.manifest(repository, digest);
    const item = await this.get(manifestKey, [ATTR.subject]);
    if (!item) return null;
    const removed = new Set<string>();
    // Pointers first: every tag that names this digest (conditional, so a tag moved elsewhere
    // since is left alone), then the referrer entry, then the manifest itself.
    const candidates = await this.tagsOf(repository, digest);
    await this.deleteTagsNaming(repository, digest, candidates, removed);
    const subject = subjectOf(item);
    if (subject) await this.delete(keys.referrer(repository, subject, digest));
    const deleted = await this.delete(manifestKey);
    // A setTag that read the manifest before it went may have registered its tag after our first
    // look. setTag re-checks the manifest after writing its tag; we re-check the tags after
    // deleting the manifest: of two such racers, at least one sees the other (docs: "races").
    const late = (await this.tagsOf(repository, digest)).filter((t) => !candidates.includes(t));
    await this.deleteTagsNaming(repository, digest, late, removed);
    await this.batchDelete([...candidates, ...late].map((t) => keys.tagOf(repository, digest, t)));
    if (deleted === null && removed.size === 0) return null;
    return { tags: [...removed].sort() };
  }

  // -------------------------------------------------------------------------------------------
  // Tags

  async setTag(repository: string, tag: string, digest: string, actor?: string | null, options: SetTagOptions = {}): Promise<TagWrite> {
    const manifestKey = keys.manifest(repository, digest);
    // The whole item: a small manifest is copied into the tag item (getManifestByTag). A push
    // passes the record it just stored, which is that item (the check below still runs).
    const stored = options.stored?.repository === repository && options.stored.digest === digest ? options.stored : undefined;
    const manifest = stored ? manifestItem(stored, { content: stored.content }) : await this.get(manifestKey);
    if (!manifest) throw new Error(`cannot point tag ${tag} of ${repository} at ${digest}: that manifest is not stored`);
    const now = this.iso();
    // The "tag of digest" entry before the tag itself, so deleteManifest always finds the tag
    // (conditional: a repeat keeps the first and writes no stream record).
    await this.put(tagOfItem(repository, digest, tag, now), notExists);
    const copy = manifestCopyOf(manifest);
    const item = { ...tagItem(tag, { ...eventFieldsOf(manifest), actor: actor ?? null }, now), ...(copy && { [ATTR.manifestCopy]: copy }) };
    if (options.immutable) {
      // One conditional write: absent, or already this digest. Of two racers, one wins.
      if (!(await this.put(item, absentOrDigest(digest)))) {
        const current = await this.resolveTag(repository, tag);
        // Deleted between our write and our read: the tag is free again, so try once more.
        if (current === null) return this.setTag(repository, tag, digest, actor, options);
        if (current !== digest) return { ok: false, current };
      }
    } else {
      await this.put(item);
    }
    // If the manifest was deleted meanwhile, take the tag back: the push then reads as having
    // happened just before the delete.
    if (!(await this.get(manifestKey, [ATTR.pk]))) await this.delete(keys.tag(repository, tag), digestIs(digest));
    return { ok: true };
  }

  /** One GetItem of the tag item, which carries a copy of a small manifest; else a second read. */
  async getManifestByTag(repository: string, tag: string): Promise<ManifestRecord | null> {
    const item = await this.get(keys.tag(repository, tag));
    if (!item) return null;
    const copy = manifestCopyIn(item);
    return copy ? this.recordOf(copy) : this.getManifest(repository, digestOf(item));
  }

  async resolveTag(repository: string, tag: string): Promise<string | null> {
    const item = await this.get(keys.tag(repository, tag), [ATTR.digest]);
    return item ? digestOf(item) : null;
  }

  async deleteTag(repository: string, tag: string): Promise<string | null> {
    // Its TAGOF entry stays: entries are a superset, checked on use and removed with the manifest.
    const old = await this.delete(keys.tag(repository, tag));
    return old ? digestOf(old) : null;
  }

  async listTags(repository: string, page: PageRequest): Promise<Page<string>> {
    const r = ranges.tags(repository, page.last);
    const items = await this.collect(r, page.limit + 1, { projection: [ATTR.sk] });
    return toPage(
      items.map((i) => r.valueOf(String(i[ATTR.sk]))),
      page.limit,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Referrers

  async listReferrers(repository: string, subject: string, page: PageRequest & { artifactType?: string }): Promise<Page<ReferrerDescriptor>> {
    const filter = page.artifactType === undefined ? undefined : { expression: '#at = :at', names: { '#at': ATTR.artifactType }, values: { ':at': page.artifactType } };
    const items = await this.collect(ranges.referrers(repository, subject, page.last), page.limit + 1, filter ? { filter } : {});
    const descriptors: ReferrerDescriptor[] = [];
    for (const item of items.slice(0, page.limit)) {
      const { descriptor, annotationsInContent } = referrerOf(item);
      if (annotationsInContent) {
        const annotations = (await this.getManifest(repository, descriptor.digest))?.annotations;
        if (annotations) descriptor.annotations = annotations;
      }
      descriptors.push(descriptor);
    }
    return { items: descriptors, more: items.length > page.limit };
  }

  // -------------------------------------------------------------------------------------------
  // Catalog

  async repositoryExists(repository: string): Promise<boolean> {
    return (await this.get(keys.catalog(repository), [ATTR.pk])) !== null;
  }

  async listRepositories(page: PageRequest): Promise<Page<string>> {
    const r = ranges.catalog(page.last);
    const items = await this.collect(r, page.limit + 1, { projection: [ATTR.sk] });
    return toPage(
      items.map((i) => r.valueOf(String(i[ATTR.sk]))),
      page.limit,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Upload sessions

  async createUpload(session: UploadSession): Promise<void> {
    if (!(await this.put(uploadItem(session, this.now()), notExists))) throw new Error(`upload ${session.id} already exists`);
  }

  async getUpload(id: string): Promise<UploadSession | null> {
    const item = await this.get(keys.upload(id));
    return item ? uploadOf(item) : null;
  }

  async updateUpload(session: UploadSession, expectedVersion: number): Promise<boolean> {
    // A missing item fails the condition too, so a deleted session is never brought back.
    return this.put(uploadItem(session, this.now()), { expression: '#v = :v', names: { '#v': ATTR.version }, values: { ':v': expectedVersion } });
  }

  /** A Query of GSI1's UPLOADS partition (eventually consistent: a session seconds old may be missed, and is not yet abandoned anyway). */
  async listUploads(startedBefore: string, page: PageRequest): Promise<Page<UploadSession>> {
    const sessions: UploadSession[] = [];
    let start: Record<string, AttributeValue> | undefined;
    if (page.last !== undefined) {
      const id = page.last.slice(page.last.lastIndexOf('#') + 1);
      start = marshall({ ...keys.upload(id), [ATTR.gsi1pk]: UPLOADS_INDEX_PK, [ATTR.gsi1sk]: page.last });
    }
    let more = false;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: '#g = :g AND #s < :before',
          ExpressionAttributeNames: { '#g': ATTR.gsi1pk, '#s': ATTR.gsi1sk },
          ExpressionAttributeValues: marshall({ ':g': UPLOADS_INDEX_PK, ':before': startedBefore }),
          Limit: page.limit + 1 - sessions.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) {
        if (sessions.length === page.limit) {
          more = true;
          break;
        }
        // The index holds keys only; the session itself is read consistently (it may be gone).
        const cursor = String(unmarshall(raw)[ATTR.gsi1sk]);
        const session = await this.getUpload(cursor.slice(cursor.lastIndexOf('#') + 1));
        if (session && uploadCursor(session) < startedBefore) sessions.push(session);
      }
      start = out.LastEvaluatedKey;
    } while (start && !more);
    return { items: sessions, more: more || start !== undefined };
  }

  async getCollectorState(): Promise<CollectorState | null> {
    const item = await this.get(keys.collector());
    if (!item) return null;
    return {
      owner: String(item[ATTR.owner]),
      leaseUntil: String(item[ATTR.leaseUntil]),
      cursor: (item[ATTR.cursor] as string | null) ?? null,
      version: Number(item[ATTR.version]),
    };
  }

  async putCollectorState(state: CollectorState, expectedVersion: number | null): Promise<boolean> {
    const item = { ...keys.collector(), [ATTR.owner]: state.owner, [ATTR.leaseUntil]: state.leaseUntil, [ATTR.cursor]: state.cursor, [ATTR.version]: state.version };
    const condition: Condition = expectedVersion === null ? notExists : { expression: '#v = :v', names: { '#v': ATTR.version }, values: { ':v': expectedVersion } };
    return this.put(item, condition);
  }

  /** One conditional UpdateItem that returns the session as written (ALL_NEW). */
  async claimUpload(id: string, repository: string, lease: UploadLease, now: string, offset?: number): Promise<UploadSession | null> {
    const free = uploadFree(repository, now);
    const names: Record<string, string> = { ...free.names, '#lo': ATTR.leaseOwner, '#v': ATTR.version, '#x': ATTR.expiresAt };
    const values: Record<string, unknown> = {
      ...free.values,
      ':owner': lease.owner,
      ':until': lease.expiresAt,
      ':one': 1,
      ':ttl': Math.floor(this.now().getTime() / 1000) + UPLOAD_TTL_SECONDS,
    };
    let condition = free.expression;
    if (offset !== undefined) {
      names['#off'] = ATTR.offset;
      values[':off'] = offset;
      condition += ' AND #off = :off';
    }
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(keys.upload(id)),
          UpdateExpression: 'SET #lo = :owner, #le = :until, #v = #v + :one, #x = :ttl',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, MARSHALL),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? uploadOf(unmarshall(out.Attributes)) : null;
    } catch (err) {
      if (isConditionalFailure(err)) return null;
      throw err;
    }
  }

  /**
   * One conditional DeleteItem that returns the session: the repository matches and no live
   * lease (absent, null, or expired at `now`). Only when the condition fails is the session read,
   * to tell an unknown session from a busy one.
   */
  async takeUpload(id: string, repository: string, now: string, attempt = 1): Promise<{ taken: UploadSession | null } | { busy: UploadSession }> {
    const old = await this.delete(keys.upload(id), uploadFree(repository, now));
    if (old) return { taken: uploadOf(old) };
    const current = await this.getUpload(id);
    if (!current || current.repository !== repository) return { taken: null };
    // A session that moved between the delete and the read (its lease just released) is tried
    // once more; one that keeps moving is as good as busy.
    if ((current.lease !== null && current.lease.expiresAt > now) || attempt >= 3) return { busy: current };
    return this.takeUpload(id, repository, now, attempt + 1);
  }

  async deleteUpload(id: string, expectedVersion?: number): Promise<boolean> {
    const condition: Condition | undefined =
      expectedVersion === undefined ? undefined : { expression: '#v = :v', names: { '#v': ATTR.version }, values: { ':v': expectedVersion } };
    return (await this.delete(keys.upload(id), condition)) !== null;
  }

  // -------------------------------------------------------------------------------------------
  // Steps shared by the methods above

  private iso(): string {
    return this.now().toISOString();
  }

  /** Puts the repository into the catalog once per process (a conditional put; repeats are no-ops). */
  private async touchRepository(repository: string, always = false): Promise<void> {
    const now = this.now().getTime();
    if (!always && (this.knownRepositories.get(repository) ?? 0) > now) return;
    await this.put(catalogItem(repository, this.iso()), notExists);
    if (this.knownRepositories.size >= KNOWN_REPOSITORIES_MAX) this.knownRepositories.clear();
    this.knownRepositories.set(repository, now + KNOWN_REPOSITORY_MS);
  }

  private async recordOf(item: Item): Promise<ManifestRecord> {
    const body: ManifestBody = manifestBodyOf(item);
    if ('content' in body) return manifestRecordOf(item, body.content);
    const content = await this.largeObjects.get(body.contentKey);
    if (!content) {
      throw new Error(`manifest ${String(item[ATTR.digest])} of ${String(item[ATTR.repository])}: its bytes are missing from the large-object store (${body.contentKey})`);
    }
    return manifestRecordOf(item, content);
  }

  /** Tags ever pointed at `digest` and not yet cleaned up: a superset of those naming it now. */
  private async tagsOf(repository: string, digest: string): Promise<string[]> {
    return (await this.collect(ranges.tagsOf(repository, digest), Number.POSITIVE_INFINITY, { projection: [ATTR.tag] })).map(tagOf);
  }

  /** Deletes each tag that still names `digest`; adds the ones deleted to `removed`. */
  private async deleteTagsNaming(repository: string, digest: string, tags: string[], removed: Set<string>): Promise<void> {
    await eachConcurrently(tags, DELETE_CONCURRENCY, async (tag) => {
      if ((await this.delete(keys.tag(repository, tag), digestIs(digest))) !== null) removed.add(tag);
    });
  }

  /** Consistent GetItem; `projection` trims the response (not the read cost, which is the item size). */
  private async get(key: Key, projection?: string[]): Promise<Item | null> {
    const names = projection && Object.fromEntries(projection.map((n, i) => [`#p${i}`, n]));
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: marshall(key),
        ConsistentRead: true,
        ...(names && { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }),
      }),
    );
    return out.Item ? unmarshall(out.Item) : null;
  }

  /** Consistent BatchGetItem of any number of keys, 100 per call; unprocessed keys are asked again with a short backoff. */
  private async batchGet(keyList: Key[], projection: string[]): Promise<Item[]> {
    const names = Object.fromEntries(projection.map((n, i) => [`#p${i}`, n]));
    const items: Item[] = [];
    for (let i = 0; i < keyList.length; i += BATCH_GET_MAX) {
      let pending: Record<string, AttributeValue>[] = keyList.slice(i, i + BATCH_GET_MAX).map((k) => marshall(k));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } },
          }),
        );
        for (const raw of out.Responses?.[this.table] ?? []) items.push(unmarshall(raw));
        pending = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return items;
  }

  /** PutItem; false when the condition did not hold. */
  private async put(item: Item, condition?: Condition): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.table, Item: marshall(item, MARSHALL), ...conditionParams(condition) }));
      return true;
    } catch (err) {
      if (condition && isConditionalFailure(err)) return false;
      throw err;
    }
  }

  /** DeleteItem; the deleted item, or null when there was none or the condition did not hold. */
  private async delete(key: Key, condition?: Condition): Promise<Item | null> {
    try {
      const out = await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: marshall(key), ReturnValues: 'ALL_OLD', ...conditionParams(condition) }));
      return out.Attributes ? unmarshall(out.Attributes) : null;
    } catch (err) {
      if (condition && isConditionalFailure(err)) return null;
      throw err;
    }
  }

  /** BatchWriteItem deletes, 25 per call, retrying unprocessed ones with a short backoff. */
  private async batchDelete(keyList: Key[]): Promise<void> {
    for (let i = 0; i < keyList.length; i += BATCH_WRITE_MAX) {
      let requests: WriteRequest[] = keyList.slice(i, i + BATCH_WRITE_MAX).map((k) => ({ DeleteRequest: { Key: marshall(k) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        if (attempt > 8) throw new Error(`BatchWriteItem left ${requests.length} deletes unprocessed`);
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = out.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }

  /**
   * Items of one key range in SK order, after `range.startSk`, until `want` are collected or the
   * range ends. Query's Limit counts items read before the FilterExpression, so a filtered page
   * may take several calls; each asks for what is still missing (at least a small batch).
   */
  private async collect(r: Range, want: number, options: { filter?: Condition; projection?: string[] }): Promise<Item[]> {
    const names: Record<string, string> = { '#pk': ATTR.pk, '#sk': ATTR.sk, ...options.filter?.names };
    const projection = options.projection?.map((n, i) => {
      names[`#q${i}`] = n;
      return `#q${i}`;
    });
    const values = marshall({ ':pk': r.pk, ':prefix': r.prefix, ...options.filter?.values }, MARSHALL);
    const items: Item[] = [];
    let start: Record<string, AttributeValue> | undefined = r.startSk === undefined ? undefined : marshall({ [ATTR.pk]: r.pk, [ATTR.sk]: r.startSk });
    do {
      const missing = want - items.length;
      const limit = options.filter ? Math.max(missing, FILTERED_QUERY_BATCH) : missing;
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ...(Number.isFinite(limit) && { Limit: limit }),
          ...(projection && { ProjectionExpression: projection.join(', ') }),
          ...(options.filter && { FilterExpression: options.filter.expression }),
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) items.push(unmarshall(raw));
      start = out.LastEvaluatedKey;
    } while (start && items.length < want);
    return Number.isFinite(want) ? items.slice(0, want) : items;
  }
}

function conditionParams(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names && { ExpressionAttributeNames: condition.names }),
    ...(condition.values && { ExpressionAttributeValues: marshall(condition.values, MARSHALL) }),
  };
}

function toPage<T>(rows: T[], limit: number): Page<T> {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}

// ---------------------------------------------------------------------------------------------
// Table creation (for --create-resources and tests; the CDK stack declares the same table)

/**
 * Creates the metadata table when absent (on-demand, PK/SK, GSI1 keys-only, stream with new and
 * old images) and waits until it and its index are ACTIVE. Turns on TTL for upload sessions
 * where the service supports it (dynalite does not). Point-in-time recovery is the stack's job.
 */
export async function createTable(client: DynamoDBClient, tableName: string, options: { timeoutMs?: number } = {}): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [ATTR.pk, ATTR.sk, ATTR.gsi1pk, ATTR.gsi1sk].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: ATTR.pk, KeyType: 'HASH' },
          { AttributeName: ATTR.sk, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: GSI1,
            KeySchema: [
              { AttributeName: ATTR.gsi1pk, KeyType: 'HASH' },
              { AttributeName: ATTR.gsi1sk, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  for (;;) {
    const { Table: t } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) break;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is not ACTIVE after ${options.timeoutMs ?? 300_000} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await enableUploadTtl(client, tableName);
}

async function enableUploadTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: ATTR.expiresAt } }));
  } catch (err) {
    // Emulators without TTL answer UnknownOperationException; sessions then simply stay.
    if ((err as { name?: string }).name !== 'UnknownOperationException') throw err;
  }
}
