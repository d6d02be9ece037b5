/**
 * Least privilege per registry operation, as data: which DynamoDB and S3 actions each operation's
 * Lambda may call, and on which S3 key areas. Derived from the port calls each core operation
 * makes (src/core/operations) and the SDK calls behind them (src/adapters/aws): see
 * docs/dynamodb-table.md for the DynamoDB calls and src/adapters/aws/s3-keys.ts for the S3 layout.
 *
 *   area        keys                             who writes                  who reads
 *   blobs       <prefix>blobs/<alg>/<hex>        upload commit (pointer)     blob GET/HEAD, commit
 *   content     <prefix>content/<upload-id>      upload writes, commit       presigned GET/HEAD
 *   uploads     <prefix>uploads/<id>/leftover/*  upload writes               upload writes, commit
 *   manifests   <prefix>manifests/<alg>/<hex>    manifest PUT (large ones)   manifest reads
 *
 * No operation may delete a committed blob's pointer or content (garbage collection's job), and
 * none may touch the bucket's configuration. Every action is named; nothing is a wildcard.
 *
 * s3:ListBucket is granted wherever an object that may be absent is read: without it S3 answers
 * 403 instead of 404 for a missing key, which the adapters would report as a failure rather than
 * "not found". It reveals key names (digests, upload ids), never content.
 */
import type { Operation } from '../src/core/routes.js';
import { S3Keys } from '../src/adapters/aws/s3-keys.js';
import { largeManifestKey } from '../src/adapters/aws/dynamodb-keys.js';

export type DynamoDbAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:DescribeTable';

export type S3ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject' | 's3:AbortMultipartUpload';

export type S3Area = 'blobs' | 'content' | 'uploads' | 'manifests';

export interface DataAccess {
  /** Actions on the table itself. */
  readonly table: readonly DynamoDbAction[];
  /** Query on the blob-link index (GSI1): picks a mount source. */
  readonly blobIndexQuery?: boolean;
  /** Object actions per key area. */
  readonly objects: Readonly<Partial<Record<S3Area, readonly S3ObjectAction[]>>>;
  /** s3:ListBucket on the bucket (404 instead of 403 for absent keys; listing an upload's leftovers). */
  readonly listBucket?: boolean;
}

const READ_MANIFEST = ['s3:GetObject'] as const;
/**
 * Everything an upload request may do in S3: write parts and leftovers, complete a whole upload
 * in place, merge, re-read an upload completed in place that a chunk continues, abort.
 */
const WRITE_UPLOAD = {
  content: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
  uploads: ['s3:PutObject', 's3:GetObject'],
} as const;
/** Commit: complete the content, publish the pointer, drop a duplicate, clean up leftovers. */
const COMMIT_UPLOAD = {
  blobs: ['s3:GetObject', 's3:PutObject'],
  content: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  uploads: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
} as const;

/**
 * Per operation. Comments name the port calls; `linkBlob` includes the catalog entry (PutItem).
 * Multipart uploads (Create/UploadPart/Complete) and CopyObject's write are s3:PutObject;
 * CopyObject's read of the source is s3:GetObject; HeadObject (presigned) is s3:GetObject.
 */
export const OPERATION_ACCESS: Readonly<Record<Operation, DataAccess>> = {
  ping: { table: [], objects: {} },
  // Admin routes. usage: the catalog, then each repository's links and manifests (Query).
  usage: { table: ['dynamodb:Query'], objects: {} },
  // repositoryExists (GetItem), listManifests (Query).
  listImages: { table: ['dynamodb:GetItem', 'dynamodb:Query'], objects: {} },
  // repositoryExists, listManifests, and the indexes' bytes (GetItem, large ones from S3).
  lifecyclePreview: { table: ['dynamodb:GetItem', 'dynamodb:Query'], objects: { manifests: READ_MANIFEST }, listBucket: true },
  // The manifests one by one as deleteManifest does, then the repository's partition and
  // catalog entry (Query, BatchWriteItem, DeleteItem), and the events as outbox items.
  deleteRepository: {
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    objects: { manifests: READ_MANIFEST },
    listBucket: true,
  },
  // listRepositories: Query on the CATALOG partition.
  catalog: { table: ['dynamodb:Query'], objects: {} },
  // repositoryExists (GetItem) + listTags (Query).
  listTags: { table: ['dynamodb:GetItem', 'dynamodb:Query'], objects: {} },
  // resolveTag + getManifest (GetItem), large manifests from S3.
  getManifest: { table: ['dynamodb:GetItem'], objects: { manifests: READ_MANIFEST }, listBucket: true },
  headManifest: { table: ['dynamodb:GetItem'], objects: { manifests: READ_MANIFEST }, listBucket: true },
  // getBlobLink/getManifest of what it references, putManifest (S3 first when large), setTag
  // (PutItem tagof + tag, DeleteItem to take a tag back when the manifest vanished meanwhile),
  // then the events as outbox items (BatchWriteItem).
  // getBlobLinks is a BatchGetItem; touchBlobLink (old links) an UpdateItem; a link a collection
  // removed meanwhile makes it delete the manifest again (Query of its tag entries).
  putManifest: {
    table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    objects: { manifests: ['s3:GetObject', 's3:PutObject'] },
    listBucket: true,
  },
  // deleteTag / getManifest / deleteManifest (Query tagof entries, DeleteItem, BatchWriteItem),
  // then the events as outbox items (BatchWriteItem).
  // Large manifest objects are shared by content address and never deleted by a request.
  deleteManifest: {
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    objects: { manifests: READ_MANIFEST },
    listBucket: true,
  },
  // getBlobLink, then a presigned GET of the content the pointer names.
  getBlob: { table: ['dynamodb:GetItem'], objects: { blobs: ['s3:GetObject'], content: ['s3:GetObject'] }, listBucket: true },
  // getBlobLink only: the link holds the size (issue 13).
  headBlob: { table: ['dynamodb:GetItem'], objects: {} },
  // unlinkBlob only: bytes stay for garbage collection.
  deleteBlob: { table: ['dynamodb:DeleteItem'], objects: {} },
  // createUpload; mount (getBlobLink, findBlobRepositories on GSI1, stat, linkBlob); monolithic
  // POST ?digest= (S3 write + commit + linkBlob; the blob store's deleteUpload on failure).
  // linkBlob is an UpdateItem; a link to content collected meanwhile is taken back (DeleteItem).
  startUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    blobIndexQuery: true,
    objects: COMMIT_UPLOAD,
    listBucket: true,
  },
  // getUpload only.
  getUpload: { table: ['dynamodb:GetItem'], objects: {} },
  // claimUpload (UpdateItem; GetItem when refused), writeUpload, updateUpload (record).
  patchUpload: { table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], objects: WRITE_UPLOAD, listBucket: true },
  // takeUpload (DeleteItem) or claimUpload with a last chunk, commitUpload, linkBlob, deleteUpload.
  putUpload: { table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], objects: COMMIT_UPLOAD, listBucket: true },
  // getUpload, blob store deleteUpload (abort, list and delete leftovers; an upload completed in
  // place is read to see whether a pointer names it, and deleted unless one does), deleteUpload.
  cancelUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
    objects: { blobs: ['s3:GetObject'], content: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'], uploads: ['s3:DeleteObject'] },
    listBucket: true,
  },
  // listReferrers (Query), GetItem of a manifest whose annotations are kept only in its bytes.
  listReferrers: { table: ['dynamodb:Query', 'dynamodb:GetItem'], objects: { manifests: READ_MANIFEST }, listBucket: true },
};

/** The upload routes, served by the upload service when it is on. */
export const UPLOAD_OPERATIONS: readonly Operation[] = ['startUpload', 'getUpload', 'patchUpload', 'putUpload', 'cancelUpload'];

/**
 * What the upload service's task may do: the union of the upload operations, plus the checks
 * `stowage serve` makes before it listens (HeadBucket is s3:ListBucket; DescribeTable). Its
 * readiness checks (/readyz: HeadBucket, one GetItem) need nothing beyond these.
 */
export function uploadServiceAccess(): DataAccess {
  return mergeAccess([...UPLOAD_OPERATIONS.map((op) => OPERATION_ACCESS[op]), { table: ['dynamodb:DescribeTable'], objects: {}, listBucket: true }]);
}

/**
 * What the collector Lambda (lambdas/gc.ts) may do: list repositories, manifests, links and
 * sessions (Query, GSI1 for links by digest and sessions by age), conditional link deletes and
 * re-links, its lease item, the upload sessions it expires; in S3, list pointers, hide/restore/
 * delete blobs (pointer and content), read manifests, and release expired uploads' storage.
 */
export const COLLECTOR_ACCESS: DataAccess = {
  // BatchWriteItem: lifecycle expiries remove manifests as a client's DELETE does (its events
  // are outbox items), src/core/lifecycle/expire.ts.
  table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
  blobIndexQuery: true,
  objects: {
    blobs: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    content: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
    uploads: ['s3:GetObject', 's3:DeleteObject'],
    manifests: ['s3:GetObject'],
  },
  listBucket: true,
};

/**
 * What a whole registry server (`stowage serve` on S3 + DynamoDB, e.g. deploy/kubernetes.yaml)
 * may do: every operation, plus the start-up checks. docs/deploy.md prints it as an IAM policy.
 */
export function registryServerAccess(): DataAccess {
  return mergeAccess([...Object.values(OPERATION_ACCESS), COLLECTOR_ACCESS, { table: ['dynamodb:DescribeTable'], objects: {}, listBucket: true }]);
}

export function mergeAccess(all: readonly DataAccess[]): DataAccess {
  const table = new Set<DynamoDbAction>();
  const objects: Partial<Record<S3Area, Set<S3ObjectAction>>> = {};
  let blobIndexQuery = false;
  let listBucket = false;
  for (const a of all) {
    for (const t of a.table) table.add(t);
    blobIndexQuery ||= a.blobIndexQuery ?? false;
    listBucket ||= a.listBucket ?? false;
    for (const [area, actions] of Object.entries(a.objects) as [S3Area, readonly S3ObjectAction[]][]) {
      const set = objects[area] ?? new Set();
      objects[area] = set;
      for (const x of actions) set.add(x);
    }
  }
  return {
    table: [...table].sort(),
    blobIndexQuery,
    listBucket,
    objects: Object.fromEntries(Object.entries(objects).map(([k, v]) => [k, [...v].sort()])),
  };
}

/** Key prefix of each area inside the bucket, from the modules that build the keys. */
export function areaPrefixes(prefix: string): Record<S3Area, string> {
  const keys = new S3Keys(prefix);
  // largeManifestKey builds `manifests/<alg>/<hex>`; its first segment is the area.
  const manifests = `${prefix}${largeManifestKey(`sha256:${'0'.repeat(64)}`).split('/')[0]}/`;
  return { blobs: keys.blobsPrefix, content: keys.contentPrefix, uploads: keys.uploadsPrefix, manifests };
}
