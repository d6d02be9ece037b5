/**
 * MetadataStore: everything about blobs that is not their bytes. Repositories, which blobs each
 * repository may serve (links), manifests stored byte-exact, tags, referrers and upload
 * sessions. Each method is one logical step; the core orders them so that pointers (tags) are
 * written after the content they point at.
 */
/** The registered digest algorithms (OCI image-spec descriptor.md) a session can hash with. */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Page<T> {
  items: T[];
  /** True when more items follow the last one returned. */
  more: boolean;
}

export interface PageRequest {
  /** Maximum number of items (>= 1). */
  limit: number;
  /** Exclusive lower bound in the listing's order. */
  last?: string;
}

export interface ManifestRecord {
  repository: string;
  digest: string;
  mediaType: string;
  /** The exact bytes the client pushed. */
  content: Uint8Array;
  /** artifactType field, else config.mediaType for image manifests; null when neither. */
  artifactType: string | null;
  /** Digest of the `subject` descriptor, when the manifest has one. */
  subject: string | null;
  annotations: Record<string, string> | null;
  createdAt: string;
  /**
   * Who pushed it, and the tags this push sets (empty: an untagged push). Given to putManifest
   * for stores whose own writes are the event outbox (DynamoDB stream); other stores may ignore
   * them, and getManifest need not return them.
   */
  actor?: string | null;
  pushTags?: string[];
}

/** One stored manifest of a repository as image listings show it (no bytes). */
export interface ManifestSummary {
  digest: string;
  mediaType: string;
  /** Bytes of the manifest itself (not of its layers). */
  size: number;
  artifactType: string | null;
  subject: string | null;
  /** When the manifest was stored in this repository: its push time. */
  createdAt: string;
  /** Tags naming it now, in byte order (empty: untagged). */
  tags: string[];
}

export interface SetTagOptions {
  /** Written conditionally: only when the tag is absent or already names the digest. */
  immutable?: boolean;
  /**
   * The manifest record as the caller stored it a moment ago (the push that tags it): a store
   * that copies the manifest into the tag uses it instead of reading the manifest back first. It
   * must be the stored record of `digest`; the store still checks afterwards that it exists.
   */
  stored?: ManifestRecord;
}

/** The outcome of setTag: written, or refused because an immutable tag names another digest. */
export type TagWrite = { ok: true } | { ok: false; current: string };

/** A repository's link to a blob: it may serve it. */
export interface BlobLink {
  digest: string;
  size: number;
  /** ISO time of the last linkBlob/touchBlobLink of this link. */
  linkedAt: string;
}

/**
 * The garbage collector's own record: who collects now (a lease, so two collectors never sweep
 * at once) and where an interrupted sweep resumes. Replaced only by compare-and-swap on version.
 */
export interface CollectorState {
  owner: string;
  /** ISO time after which another collector may take over. */
  leaseUntil: string;
  /** Opaque resume point of an unfinished sweep; null when the last sweep finished. */
  cursor: string | null;
  version: number;
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * A writer's hold on an upload session. Only the holder changes the session until `expiresAt`;
 * a live holder renews it well before then, so only a holder that died is ever waited out.
 */
export interface UploadLease {
  /** Random id of the request holding the session (tells its own retried write from another's). */
  owner: string;
  /** ISO time after which another request may take the session over. */
  expiresAt: string;
}

/**
 * An upload in progress: the one record every request for the upload reads and every state
 * change (claim, lease renewal, progress, release, commit) replaces conditionally on `version`.
 */
export interface UploadSession {
  id: string;
  repository: string;
  /** Bytes received so far. */
  offset: number;
  startedAt: string;
  algorithm: DigestAlgorithm;
  /** Serialised resumable hash state of bytes [0, offset) (base64), when kept. */
  hashState: string | null;
  /** Digest of bytes [0, offset) when the last request hashed natively. */
  digestSoFar: string | null;
  /** The BlobStore's upload state, kept exactly as it returned it. */
  storageState: unknown;
  /** The request writing to the upload now, or null when nobody does. */
  lease: UploadLease | null;
  /** Incremented by every update; updates and deletes are conditional on it. */
  version: number;
}

export interface MetadataStore {
  /**
   * Readiness: resolves when the store can be used now, else throws an error whose message says
   * what is wrong. Cheap enough to run on every probe (one trivial read, no write).
   */
  check(): Promise<void>;

  /**
   * Bytes the registry stores, for the storage gauge of `/metrics`: every blob linked to any
   * repository counted once (content is shared) plus every stored manifest's bytes counted once.
   * null when the store cannot tell without scanning a table that may be large (DynamoDB).
   */
  storedBytes(): Promise<number | null>;

  /**
   * Records that `repository` may serve blob `digest` (idempotent). Linking again (a re-upload, a
   * mount) refreshes the link's `linkedAt`: the collector never removes a link younger than its
   * grace period (src/core/gc/collector.ts).
   */
  linkBlob(repository: string, digest: string, size: number): Promise<void>;
  /** The link, or null when the repository does not hold this blob. */
  getBlobLink(repository: string, digest: string): Promise<{ size: number } | null>;
  /**
   * Refreshes an existing link's `linkedAt` and returns it, or null (and creates nothing) when
   * the repository does not hold the blob. A manifest PUT touches every blob it references, so a
   * collection that read the link earlier can no longer remove it (unlinkBlob's `linkedAt`).
   */
  touchBlobLink(repository: string, digest: string): Promise<{ size: number } | null>;
  /**
   * The links of `repository` to each of `digests` (strongly consistent, as getBlobLink), keyed by
   * digest; a digest the repository does not hold is absent from the map. One batched read where
   * the store has one (a manifest PUT checks every blob it references, twice).
   */
  getBlobLinks(repository: string, digests: readonly string[]): Promise<Map<string, BlobLink>>;
  /**
   * getBlobLinks, and whether `repository` is in the catalog, in the same one read (DynamoDB:
   * the catalog key joins the BatchGetItem of the links). A manifest PUT hands `listed` to
   * putManifest, which then does not write the catalog entry again. Optional: a store where that
   * write costs nothing extra (SQLite) leaves it out, and putManifest writes the entry as always.
   */
  getBlobLinksListed?(repository: string, digests: readonly string[]): Promise<{ links: Map<string, BlobLink>; listed: boolean }>;
  /**
   * Removes a link; false when there was none. With `linkedAt`, only when the link's `linkedAt`
   * is still that value (a link refreshed since the caller read it stays, and false is returned).
   */
  unlinkBlob(repository: string, digest: string, linkedAt?: string): Promise<boolean>;
  /**
   * unlinkBlob with `linkedAt` for many links, of one repository or several (a collector's
   * batch): each link goes only when its linkedAt is still the given value. Returns the links
   * removed. One transaction where the store has them (SQLite: one commit, not one fsync per
   * link, and each page of the digest index written once however many of its links go);
   * otherwise link by link, which a collector tolerates (each removal stands on its own).
   */
  unlinkBlobs(links: readonly { repository: string; digest: string; linkedAt: string }[]): Promise<{ repository: string; digest: string }[]>;
  /** A repository's blob links in digest order, with when each was last linked. */
  listBlobLinks(repository: string, page: PageRequest): Promise<Page<BlobLink>>;
  /** Up to `limit` repositories holding a link to `digest`, in name order. */
  findBlobRepositories(digest: string, limit: number): Promise<string[]>;
  /**
   * Of `digests`, those some repository links: findBlobRepositories for a
   * page of content at once, where the store can answer it in one read. Optional; the collector
   * asks per digest without it.
   */
  findLinkedBlobs?(digests: readonly string[]): Promise<Set<string>>;

  /**
   * Stores a manifest and, when it has a subject, its referrer entry (idempotent), and puts the
   * repository into the catalog unless `options.listed` (a strongly consistent read in the same
   * request saw it there: getBlobLinksListed).
   */
  putManifest(record: ManifestRecord, referrer: ReferrerDescriptor | null, options?: { listed?: boolean }): Promise<void>;
  getManifest(repository: string, digest: string): Promise<ManifestRecord | null>;
  /**
   * The repository's manifests in digest (byte) order with the tags naming each, for image
   * listings, lifecycle policies and the collector. Not on any pull or push path.
   */
  listManifests(repository: string, page: PageRequest): Promise<Page<ManifestSummary>>;
  /**
   * Deletes a manifest, every tag pointing at it and its own referrer entry. Returns the tags
   * that pointed at it, or null when the manifest did not exist.
   */
  deleteManifest(repository: string, digest: string): Promise<{ tags: string[] } | null>;

  /**
   * Points a tag at a manifest digest (the manifest must already be stored). `actor` is who
   * pushed, for stores whose writes are the event outbox; others may ignore it.
   *
   * With `immutable`, the write is conditional, atomically (one transaction, or a conditional
   * write): it succeeds only when the tag is absent or already names `digest`; otherwise nothing
   * changes and the result names the digest the tag keeps. Of two concurrent writes of one new
   * tag to different digests, exactly one succeeds.
   */
  setTag(repository: string, tag: string, digest: string, actor?: string | null, options?: SetTagOptions): Promise<TagWrite>;
  resolveTag(repository: string, tag: string): Promise<string | null>;
  /**
   * The manifest a tag names (null when the tag or the manifest is absent): what a manifest GET
   * or HEAD by tag needs, in one read where the store can (a pull's first request).
   */
  getManifestByTag(repository: string, tag: string): Promise<ManifestRecord | null>;
  /** Deletes a tag; returns the digest it pointed at, or null when absent. */
  deleteTag(repository: string, tag: string): Promise<string | null>;
  /** Tags in byte order. */
  listTags(repository: string, page: PageRequest): Promise<Page<string>>;

  /** Referrers of `subject` in digest order, optionally only those of one artifact type. */
  listReferrers(repository: string, subject: string, page: PageRequest & { artifactType?: string }): Promise<Page<ReferrerDescriptor>>;

  /** True when the repository holds anything (blobs, manifests or tags). */
  repositoryExists(repository: string): Promise<boolean>;
  /**
   * Removes everything the store still holds for a repository (tags, referrer entries, manifests,
   * blob links) and its catalog entry; blob content stays (the collector's). True when the
   * repository was in the catalog. The core deletes the manifests one by one first, for their
   * events; this sweeps what is left.
   */
  deleteRepository(repository: string): Promise<boolean>;
  /** Repository names in byte order. */
  listRepositories(page: PageRequest): Promise<Page<string>>;

  /** Stores a new session; throws when one with this id exists. */
  createUpload(session: UploadSession): Promise<void>;
  /** The session, or null when it never existed or was deleted. */
  getUpload(id: string): Promise<UploadSession | null>;
  /**
   * Replaces a session only when its stored version is still `expectedVersion` (the caller
   * passes the next version in `session.version`). Returns false on conflict: another request
   * moved the session first, or it was deleted. Never creates a session.
   */
  updateUpload(session: UploadSession, expectedVersion: number): Promise<boolean>;
  /**
   * Sessions started before `startedBefore` (ISO), oldest first. `page.last` is the `cursor` of
   * the last session already listed (`<startedAt>#<id>`); for the collector's expiry of abandoned
   * uploads, never a request path.
   */
  listUploads(startedBefore: string, page: PageRequest): Promise<Page<UploadSession>>;
  /**
   * Deletes a session, only when its stored version is still `expectedVersion` if one is given.
   * Returns false when nothing was deleted (absent, or moved on by another request).
   */
  deleteUpload(id: string, expectedVersion?: number): Promise<boolean>;
  /**
   * Claims a session for one request in one conditional write: sets `lease` and increments the
   * version, only when the session exists in `repository`, no other lease on it is live at `now`
   * (ISO) and, when `offset` is given, it holds exactly `offset` bytes. Returns the session as
   * written, or null when any of that did not hold (the caller reads the session to say which).
   */
  claimUpload(id: string, repository: string, lease: UploadLease, now: string, offset?: number): Promise<UploadSession | null>;
  /**
   * Takes a session for its end (a PUT without a body): deletes it in one step unless it belongs
   * to another repository or another request's lease on it is live at `now` (ISO), and returns
   * what was deleted. `{ taken: null }`: no such session in `repository`; `{ busy }`: a writer
   * holds it, and it stays.
   */
  takeUpload(id: string, repository: string, now: string): Promise<{ taken: UploadSession | null } | { busy: UploadSession }>;

  /**
   * How long after a linkBlob findBlobRepositories may still miss it (an eventually consistent
   * index: DynamoDB's GSI1). The collector waits this long between hiding content and asking
   * whether anything links it. 0 or absent: the answer is always current.
   */
  readonly blobIndexLagMs?: number;

  /** The collector's lease and resume point, or null when no collector ever ran. */
  getCollectorState(): Promise<CollectorState | null>;
  /** Stores `state` only when the stored version is `expectedVersion` (null: none stored yet). */
  putCollectorState(state: CollectorState, expectedVersion: number | null): Promise<boolean>;
}

/** The listing cursor of an upload session (listUploads' `page.last`). */
export const uploadCursor = (s: Pick<UploadSession, 'startedAt' | 'id'>): string => `${s.startedAt}#${s.id}`;
