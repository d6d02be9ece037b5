/**
 * The one place that names DynamoDB keys and attributes for the metadata table (and the S3 keys
 * of manifests too large for an item). Nothing else spells a key string or attribute name.
 *
 * One table, on-demand, string keys PK/SK, one sparse GSI, stream NEW_AND_OLD_IMAGES:
 *
 *   PK                 SK                          kind       GSI1PK          GSI1SK   what it is
 *   -----------------  --------------------------  ---------  --------------  -------  ------------------------------
 *   CATALOG            REPO#<name>                 repo                                catalog entry (removed only by a repository delete)
 *   REPO#<name>        BLOB#<digest>               blob       BLOB#<digest>   <name>   repository may serve the blob (linkedAt:
 *                                                                                          last link/touch, for the collector's grace)
 *   REPO#<name>        MANIFEST#<digest>           manifest                            record + bytes or large-object key
 *   REPO#<name>        REF#<subject>#<digest>      referrer                            descriptor in the subject's index
 *   REPO#<name>        TAG#<tag>                   tag                                 tag -> digest (+ event fields)
 *   REPO#<name>        TAGOF#<digest>#<tag>        tagof                               "tag was pointed at digest"
 *   UPLOAD#<id>        UPLOAD                      upload     UPLOADS         <started upload session, versioned; GSI1SK is
 *                                                                                 At>#<id> <startedAt>#<id> (the collector lists the
 *                                                                                          abandoned ones oldest first)
 *   COLLECTOR          STATE                       (none)                              garbage collector's lease + resume cursor
 *   LOGINFAIL#<hash>   WINDOW#<start ms>           (none)                              failed logins of one client address
 *                                                                                      in one window (TTL; the token Lambda)
 *   LOGINFAIL#<hash>   BACKOFF                     (none)                              failed logins of one (user, address)
 *                                                                                      pair and the last one's time (TTL)
 *   OUTBOX#<event id>  EVENT                       outbox                              one registry event, written once (TTL);
 *                                                                                      its stream INSERT is relayed to EventBridge
 *
 *   S3 (LargeObjectStore):  <prefix>manifests/<algorithm>/<hex>   manifest bytes, by digest
 *
 * Sort keys are ASCII with `#` separators. Digests, tags and repository names never contain `#`,
 * so `begins_with(SK, 'REF#<subject>#')` and `begins_with(SK, 'TAG#')` select exactly one kind, and
 * the byte order DynamoDB keeps for SK is the byte order the listings need (tags, digests).
 * `TAGOF#` items are written before a tag and removed only with the manifest: they are a strongly
 * consistent superset of the tags that point at a digest (see docs/dynamodb-table.md).
 */
import { isDigestAlgorithm } from '../../core/digest.js';

/** Attribute names, every one of them. */
export const ATTR = {
  pk: 'PK',
  sk: 'SK',
  gsi1pk: 'GSI1PK',
  gsi1sk: 'GSI1SK',
  kind: 'kind',
  repository: 'repository',
  digest: 'digest',
  tag: 'tag',
  subject: 'subject',
  mediaType: 'mediaType',
  artifactType: 'artifactType',
  size: 'size',
  annotations: 'annotations',
  /** true when the annotations were too large for an item: read them from the manifest bytes. */
  annotationsInContent: 'annotationsInContent',
  content: 'content',
  /** LargeObjectStore key, present instead of `content` for large manifests. */
  contentKey: 'contentKey',
  createdAt: 'createdAt',
  /** A blob link's last link or touch (ISO); links written before it existed have only createdAt. */
  linkedAt: 'linkedAt',
  /** The collector state's lease holder, lease end and resume cursor. */
  owner: 'owner',
  leaseUntil: 'leaseUntil',
  cursor: 'cursor',
  updatedAt: 'updatedAt',
  actor: 'actor',
  /** The tags the manifest was pushed with (empty: an untagged push). */
  pushTags: 'pushTags',
  uploadId: 'id',
  offset: 'offset',
  startedAt: 'startedAt',
  algorithm: 'algorithm',
  hashState: 'hashState',
  digestSoFar: 'digestSoFar',
  /** The upload session's lease: who writes it now, and until when (ISO). */
  leaseOwner: 'leaseOwner',
  leaseExpiresAt: 'leaseExpiresAt',
  storageState: 'storageState',
  version: 'version',
  /** An outbox item's registry event, as JSON text (dynamodb-outbox.ts). */
  event: 'event',
  /** Epoch seconds; the table's TTL attribute (upload sessions, login-failure counters, outbox items). */
  expiresAt: 'expiresAt',
  /** Failed logins counted in a login-failure window (DynamoDbLoginLimiter). */
  failures: 'failures',
  /**
   * On a tag item: a copy of its manifest item's attributes (bytes included) when the manifest is
   * small (TAG_MANIFEST_COPY_MAX_BYTES), so a pull by tag is one GetItem. Immutable under its digest.
   */
  manifestCopy: 'manifest',
  /** Epoch ms of a (user, address) pair's last failed login (DynamoDbLoginLimiter's backoff). */
  lastFailureAt: 'lastFailureAt',
} as const;

export const GSI1 = 'GSI1';

export type ItemKind = 'repo' | 'blob' | 'manifest' | 'referrer' | 'tag' | 'tagof' | 'upload' | 'outbox';

export interface Key {
  PK: string;
  SK: string;
}

const CATALOG_PK = 'CATALOG';
const P = {
  repoPk: 'REPO#',
  catalogSk: 'REPO#',
  blob: 'BLOB#',
  manifest: 'MANIFEST#',
  referrer: 'REF#',
  tag: 'TAG#',
  tagOf: 'TAGOF#',
  uploadPk: 'UPLOAD#',
  loginFailuresPk: 'LOGINFAIL#',
  loginWindow: 'WINDOW#',
  loginBackoff: 'BACKOFF',
  outboxPk: 'OUTBOX#',
  uploadsIndex: 'UPLOADS',
  collectorPk: 'COLLECTOR',
} as const;
const UPLOAD_SK = 'UPLOAD';
const OUTBOX_SK = 'EVENT';
/** Partition-key prefix of outbox items (the stream consumer's event-source filter selects it). */
export const OUTBOX_PK_PREFIX = P.outboxPk;
/** Partition-key prefix of the login-failure counters (the token Lambda's IAM is limited to it). */
export const LOGIN_FAILURES_PK_PREFIX = P.loginFailuresPk;

const repoPk = (repository: string) => `${P.repoPk}${repository}`;

export const keys = {
  catalog: (repository: string): Key => ({ PK: CATALOG_PK, SK: `${P.catalogSk}${repository}` }),
  blob: (repository: string, digest: string): Key => ({ PK: repoPk(repository), SK: `${P.blob}${digest}` }),
  manifest: (repository: string, digest: string): Key => ({ PK: repoPk(repository), SK: `${P.manifest}${digest}` }),
  referrer: (repository: string, subject: string, digest: string): Key => ({ PK: repoPk(repository), SK: `${P.referrer}${subject}#${digest}` }),
  tag: (repository: string, tag: string): Key => ({ PK: repoPk(repository), SK: `${P.tag}${tag}` }),
  tagOf: (repository: string, digest: string, tag: string): Key => ({ PK: repoPk(repository), SK: `${P.tagOf}${digest}#${tag}` }),
  upload: (id: string): Key => ({ PK: `${P.uploadPk}${id}`, SK: UPLOAD_SK }),
  /** `keyHash`: a hash of the limiter key (a claimed user name is attacker-chosen text; it is not stored). */
  loginFailures: (keyHash: string, windowStart: number): Key => ({ PK: `${P.loginFailuresPk}${keyHash}`, SK: `${P.loginWindow}${windowStart}` }),
  /** The backoff counter of one (user, address) pair; `keyHash` as above. */
  loginBackoff: (keyHash: string): Key => ({ PK: `${P.loginFailuresPk}${keyHash}`, SK: P.loginBackoff }),
  /** One item per event: its own partition, so outbox writes spread over the table. */
  outbox: (eventId: string): Key => ({ PK: `${P.outboxPk}${eventId}`, SK: OUTBOX_SK }),
  /** One item: the garbage collector's lease and resume cursor. */
  collector: (): Key => ({ PK: P.collectorPk, SK: 'STATE' }),
} as const;

/**
 * GSI1 attributes of an upload session: every session in one index partition, ordered by start
 * time, so the collector finds abandoned ones with a Query (no Scan). The key never changes for
 * a session, so its updates write nothing to the keys-only index.
 */
export const uploadIndex = (startedAt: string, id: string) => ({ [ATTR.gsi1pk]: P.uploadsIndex, [ATTR.gsi1sk]: `${startedAt}#${id}` });
export const UPLOADS_INDEX_PK = P.uploadsIndex;

/** GSI1 attributes of a blob link: repositories holding a digest, in name order. */
export const blobIndex = (repository: string, digest: string) => ({ [ATTR.gsi1pk]: `${P.blob}${digest}`, [ATTR.gsi1sk]: repository });
export const blobIndexPk = (digest: string) => `${P.blob}${digest}`;

/** A range of one partition: `PK = pk AND begins_with(SK, prefix)`, listed after `after`. */
export interface Range {
  pk: string;
  prefix: string;
  /** Exclusive start: the SK of the last item already listed. */
  startSk?: string;
  /** Turns an SK of this range back into the listed value (tag, digest, name). */
  valueOf(sk: string): string;
}

/** Longest SK DynamoDB accepts is 1024 bytes; a longer `last` is clamped (see clampLast). */
const MAX_SK_BYTES = 1024;

/**
 * `last` comes from the client. A value longer than any listed key may be cut: names, tags and
 * digests are all far shorter than 1000 bytes, so nothing lies between the cut and the original.
 */
function clampLast(prefix: string, last: string): string {
  let s = prefix + last;
  while (Buffer.byteLength(s) > MAX_SK_BYTES) s = s.slice(0, -1);
  // Never leave half a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(s)) s = s.slice(0, -1);
  return s;
}

function range(pk: string, prefix: string, last: string | undefined): Range {
  return {
    pk,
    prefix,
    ...(last !== undefined && { startSk: clampLast(prefix, last) }),
    valueOf: (sk) => sk.slice(prefix.length),
  };
}

export const ranges = {
  catalog: (last?: string) => range(CATALOG_PK, P.catalogSk, last),
  tags: (repository: string, last?: string) => range(repoPk(repository), P.tag, last),
  blobs: (repository: string, last?: string) => range(repoPk(repository), P.blob, last),
  /** Every kind of item of a repository's partition, pointers first (a repository delete's order). */
  repositoryItems: (repository: string) => [P.tag, P.referrer, P.manifest, P.blob, P.tagOf].map((prefix) => range(repoPk(repository), prefix, undefined)),
  manifests: (repository: string, last?: string) => range(repoPk(repository), P.manifest, last),
  tagsOf: (repository: string, digest: string) => range(repoPk(repository), `${P.tagOf}${digest}#`, undefined),
  referrers: (repository: string, subject: string, last?: string) => range(repoPk(repository), `${P.referrer}${subject}#`, last),
} as const;

/** Which kind of item a key names (for the stream mapping); null for keys this layout never writes. */
export function kindOf(key: { PK?: unknown; SK?: unknown }): ItemKind | null {
  const { PK: pk, SK: sk } = key;
  if (typeof pk !== 'string' || typeof sk !== 'string') return null;
  if (pk === CATALOG_PK) return sk.startsWith(P.catalogSk) ? 'repo' : null;
  if (pk.startsWith(P.uploadPk)) return sk === UPLOAD_SK ? 'upload' : null;
  if (pk.startsWith(P.outboxPk)) return sk === OUTBOX_SK ? 'outbox' : null;
  if (!pk.startsWith(P.repoPk)) return null;
  if (sk.startsWith(P.tagOf)) return 'tagof';
  if (sk.startsWith(P.tag)) return 'tag';
  if (sk.startsWith(P.manifest)) return 'manifest';
  if (sk.startsWith(P.referrer)) return 'referrer';
  if (sk.startsWith(P.blob)) return 'blob';
  return null;
}

/** LargeObjectStore key of a manifest's bytes: `manifests/<algorithm>/<hex>` (the store adds its prefix). */
export function largeManifestKey(digest: string): string {
  const idx = digest.indexOf(':');
  const algorithm = digest.slice(0, idx);
  if (idx < 0 || !isDigestAlgorithm(algorithm)) throw new Error(`not a digest: ${digest.slice(0, 100)}`);
  return `manifests/${algorithm}/${digest.slice(idx + 1)}`;
}
