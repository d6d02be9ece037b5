/**
 * S3 BlobStore (AWS S3 or any S3-compatible store; the client is injected).
 *
 * An upload's bytes go to its own content key through a multipart upload created lazily, when
 * the first full part exists; bytes that do not fill a part wait in small leftover objects. A
 * request that carries a whole upload smaller than a part (the first request, ending below 5 MiB:
 * most configs and small layers, in one PATCH or one PUT) writes it straight to the content key
 * with one PutObject, so its commit only writes the pointer. A request that carries a whole upload
 * of a part or more (docker's one streamed PATCH of a layer) uploads its tail as the last part and
 * completes the multipart upload at the content key before it answers: its commit, too, only writes
 * the pointer. Otherwise commit completes the multipart upload
 * (or, for a blob smaller than a part held in leftovers, writes the content with one PutObject)
 * and then writes a small pointer at the digest key: no re-read and no copy of the blob, whatever
 * its size. The key layout and why it is so: ./s3-keys.ts; the upload
 * state and part sizing: ./s3-upload-state.ts.
 *
 * S3 cannot read back the parts of an unfinished multipart upload, so uploadsReadable is false:
 * the core then keeps a resumable hash state for every request and never calls readUpload().
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { eachConcurrently } from '../../core/each-concurrently.js';
import { RegistryError } from '../../core/errors.js';
import type { BlobContent, BlobStore, ByteRange, StoredBlob } from '../../ports/blob-store.js';
import { isS3Failure, s3Call } from './s3-errors.js';
import { S3Keys } from './s3-keys.js';
import {
  MAX_LEFTOVERS,
  MAX_PARTS,
  MIB,
  S3_MAX_PART_SIZE,
  S3_MIN_PART_SIZE,
  emptyUploadState,
  maxStreamedBlobSize,
  parseUploadState,
  partSizeFor,
  storedBytes,
  type S3Leftover,
  type S3Part,
  type S3UploadState,
} from './s3-upload-state.js';
import { log as processLog } from '../../log/logger.js';

/**
 * The presigner, imported on first use: only a blob GET served by redirect presigns, so the upload
 * Lambdas, which share this store, never load it (with the SDK left to the Lambda runtime, about
 * 350 KB of its code; lib/lambda-bundling.ts).
 */
let presigner: Promise<typeof import('@aws-sdk/s3-request-presigner')> | undefined;
const loadPresigner = () => (presigner ??= import('@aws-sdk/s3-request-presigner'));

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key (give it a trailing slash for a folder). @default '' */
  readonly prefix?: string;
  /** Lifetime of the presigned GET URLs that blob pulls are redirected to. @default 900 */
  readonly presignExpiresSeconds?: number;
  /**
   * 'redirect': open() returns a presigned URL (the client fetches from S3 itself).
   * 'stream': open() returns the bytes, for stores that clients cannot reach. @default 'redirect'
   */
  readonly serveBlobs?: 'redirect' | 'stream';
  /**
   * Where redirects point. 'store': the presigned URL as is (the S3 endpoint). 'same-host': the
   * presigned URL's path and query only, a relative Location on the registry's own host, where a
   * front door (the stack's CloudFront behaviour for the content keys, whose origin is the
   * bucket's regional endpoint) passes the signed request to S3 unchanged and adds the headers S3
   * cannot send. The signed query then carries `docker-content-digest=<digest>` for it: signed,
   * so a client cannot change it. With path-style addressing (emulators) the bucket segment is
   * left out of the path, as a virtual-hosted URL has none. @default 'store'
   */
  readonly redirects?: 'store' | 'same-host';
  /** Size of the parts streamed bytes are cut into (memory: about two parts per request). @default 16 MiB */
  readonly streamPartSize?: number;
  /** The store's smallest non-last part; S3's is 5 MiB. @default 5 MiB */
  readonly minPartSize?: number;
  /** Ask for CRC32 part checksums (recorded and checked at completion when the store returns them); turn off for stores without x-amz-checksum support. @default true */
  readonly partChecksums?: boolean;
  /** Where best-effort cleanup failures are reported. @default the process logger (src/log) */
  readonly log?: (message: string) => void;
}

interface Pointer {
  key: string;
  size: number;
  /** When the pointer was written (S3's LastModified), where the read returned it. */
  modifiedAt?: string;
}

const OCTET_STREAM = 'application/octet-stream';
/** S3 calls in flight at once while reclaim() hides a batch of blobs or puts them back. */
const RECLAIM_CONCURRENCY = 8;

/**
 * The query parameter of a same-host redirect that names the blob's digest, signed with the
 * URL; the stack's viewer-response function (lib/edge/blob-response.ts) copies it into
 * Docker-Content-Digest. S3 ignores query parameters it does not know.
 */
export const DIGEST_PARAMETER = 'docker-content-digest';

/** A build-step middleware that adds one query parameter before the request is signed. */
function withQueryParameter(name: string, value: string) {
  return (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
    const request = args.request as { query?: Record<string, string | string[] | null> };
    request.query = { ...request.query, [name]: value };
    return next(args);
  };
}

export class S3BlobStore implements BlobStore {
  readonly uploadsReadable = false;

  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keys: S3Keys;
  private readonly presignExpiresSeconds: number;
  private readonly serveBlobs: 'redirect' | 'stream';
  private readonly redirects: 'store' | 'same-host';
  private readonly streamPartSize: number;
  private readonly minPartSize: number;
  get minChunkLength(): number {
    return this.minPartSize;
  }
  private readonly partChecksums: boolean;
  private readonly log: (message: string) => void;
  /** Cleared when the store answers 501 to If-None-Match (then the last of two racing commits wins; both wrote the same bytes). */
  private conditionalPointers = true;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.keys = new S3Keys(options.prefix ?? '');
    this.presignExpiresSeconds = options.presignExpiresSeconds ?? 900;
    this.serveBlobs = options.serveBlobs ?? 'redirect';
    this.redirects = options.redirects ?? 'store';
    this.streamPartSize = options.streamPartSize ?? 16 * MIB;
    this.minPartSize = options.minPartSize ?? S3_MIN_PART_SIZE;
    this.partChecksums = options.partChecksums ?? true;
    this.log = options.log ?? ((m) => processLog.error(m));
    const problems: string[] = [];
    if (this.bucket === '') problems.push('bucket is empty');
    if (!isWhole(this.presignExpiresSeconds) || this.presignExpiresSeconds < 1 || this.presignExpiresSeconds > 604_800) problems.push('presignExpiresSeconds must be 1..604800');
    if (this.serveBlobs !== 'redirect' && this.serveBlobs !== 'stream') problems.push(`serveBlobs must be 'redirect' or 'stream'`);
    if (this.redirects !== 'store' && this.redirects !== 'same-host') problems.push(`redirects must be 'store' or 'same-host'`);
    if (!isWhole(this.minPartSize) || this.minPartSize < 1) problems.push('minPartSize must be a positive integer');
    if (!isWhole(this.streamPartSize) || this.streamPartSize < this.minPartSize || this.streamPartSize > S3_MAX_PART_SIZE) {
      problems.push('streamPartSize must be an integer between minPartSize and 5 GiB');
    }
    if (problems.length > 0) throw new Error(`S3BlobStore: ${problems.join('; ')}`);
  }

  /** Largest blob a streamed upload can store with this configuration. */
  get maxBlobSize(): number {
    return maxStreamedBlobSize(this.streamPartSize);
  }

  // -------------------------------------------------------------------------------------------
  // Committed blobs: everything goes through the pointer.

  /** HeadBucket: the bucket exists and these credentials may list it (s3:ListBucket), no object touched. */
  async check(): Promise<void> {
    await s3Call('HeadBucket', this.bucket, () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const pointer = await this.readPointer(this.keys.blobPointer(digest));
    return pointer ? { size: pointer.size } : null;
  }

  async open(digest: string, range?: ByteRange): Promise<BlobContent | null> {
    const pointer = await this.readPointer(this.keys.blobPointer(digest));
    if (!pointer) return null;
    if (this.serveBlobs === 'redirect') {
      // No Range is signed: the client sends its own Range header to the URL, and S3 accepts
      // unsigned standard headers on a presigned GET. The range argument is therefore unused.
      const command = new GetObjectCommand({ Bucket: this.bucket, Key: pointer.key });
      if (this.redirects === 'same-host') command.middlewareStack.add(withQueryParameter(DIGEST_PARAMETER, digest) as never, { step: 'build', name: 'stowageDigestParameter' });
      const { getSignedUrl } = await loadPresigner();
      const url = await s3Call('presign GetObject', pointer.key, () => getSignedUrl(this.client, command, { expiresIn: this.presignExpiresSeconds }));
      return { kind: 'redirect', url: this.redirects === 'same-host' ? this.sameHostLocation(url) : url };
    }
    try {
      const res = await s3Call('GetObject', pointer.key, () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: pointer.key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) })),
      );
      const body = res.Body as unknown;
      if (!isAsyncIterable(body)) throw new Error(`S3 GetObject ${pointer.key} returned no readable body`);
      return { kind: 'bytes', body };
    } catch (err) {
      // A pointer whose content is gone reads as absent rather than failing mid-response.
      if (isS3Failure(err, 'not-found')) return null;
      throw err;
    }
  }

  /** The presigned URL's path (without a path-style bucket segment) and query, as a relative Location. */
  private sameHostLocation(presigned: string): string {
    const url = new URL(presigned);
    const bucketSegment = `/${encodeURIComponent(this.bucket)}/`;
    const path = url.pathname.startsWith(bucketSegment) && !url.hostname.startsWith(`${this.bucket}.`) ? url.pathname.slice(bucketSegment.length - 1) : url.pathname;
    return `${path}${url.search}`;
  }

  async delete(digest: string): Promise<void> {
    const pointerKey = this.keys.blobPointer(digest);
    const pointer = await this.readPointer(pointerKey);
    if (!pointer) return;
    // Pointer first: a crash in between leaves unreferenced content (garbage collection's job),
    // never a pointer to nothing.
    await this.deleteObject(pointerKey);
    await this.deleteObject(pointer.key);
  }

  /** ListObjectsV2 of the pointers: key order under blobs/<alg>/ is digest order. */
  async listBlobs(page: { limit: number; last?: string }): Promise<{ items: StoredBlob[]; more: boolean }> {
    const prefix = this.keys.blobsPrefix;
    const res = await s3Call('ListObjectsV2', prefix, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: page.limit,
          ...(page.last !== undefined && { StartAfter: this.keys.blobPointer(page.last) }),
        }),
      ),
    );
    const items: StoredBlob[] = [];
    for (const o of res.Contents ?? []) {
      const digest = this.keys.digestOfPointer(o.Key ?? '');
      if (digest) items.push({ digest, modifiedAt: (o.LastModified ?? new Date(0)).toISOString() });
    }
    return { items, more: res.IsTruncated === true };
  }

  /**
   * Hides each blob by deleting its pointer (stat, open and commits then see no blob; a commit
   * publishes its own pointer and content), asks `stillUnused` once with the pointers'
   * LastModified, then deletes the unused blobs' content (DeleteObjects), and publishes the other
   * pointers again. If a commit published a pointer of its own meanwhile, that one stays and the
   * old content, now named by nothing, is deleted.
   */
  async reclaim(digests: readonly string[], stillUnused: (hidden: readonly StoredBlob[]) => Promise<ReadonlySet<string>>): Promise<{ digest: string; size: number }[]> {
    const hidden: { digest: string; pointerKey: string; pointer: Pointer }[] = [];
    let unused: ReadonlySet<string> = new Set();
    try {
      await eachConcurrently(digests, RECLAIM_CONCURRENCY, async (digest) => {
        const pointerKey = this.keys.blobPointer(digest);
        const pointer = await this.readPointer(pointerKey);
        if (!pointer) return;
        await this.deleteObject(pointerKey);
        hidden.push({ digest, pointerKey, pointer });
      });
      unused = await stillUnused(hidden.map((h) => ({ digest: h.digest, modifiedAt: h.pointer.modifiedAt ?? new Date(0).toISOString() })));
    } finally {
      const kept = hidden.filter((h) => !unused.has(h.digest));
      await eachConcurrently(kept, RECLAIM_CONCURRENCY, async ({ pointerKey, pointer }) => {
        if (!(await this.publishPointer(pointerKey, { key: pointer.key, size: pointer.size }))) await this.deleteObject(pointer.key);
      });
    }
    const freed = hidden.filter((h) => unused.has(h.digest));
    await this.deleteObjects(freed.map((h) => h.pointer.key));
    return freed.map((h) => ({ digest: h.digest, size: h.pointer.size }));
  }

  // -------------------------------------------------------------------------------------------
  // Uploads

  async createUpload(uploadId: string): Promise<S3UploadState> {
    this.keys.content(uploadId); // validates the id; nothing is stored until bytes arrive
    return emptyUploadState();
  }

  readUpload(): AsyncIterable<Uint8Array> {
    throw new Error('S3BlobStore cannot read back an unfinished upload (uploadsReadable is false)');
  }

  /**
   * Appends `body` at `offset` (which must be what the state holds). Bytes are cut into parts as
   * they arrive, one part uploading while the next one fills; what is left at the end becomes a
   * part when it is at least minPartSize, otherwise a leftover object.
   *
   * When `body` (or S3) fails, no state is returned, so nothing recorded changes; what the attempt
   * wrote is never used: a multipart upload it created is aborted, and the parts it uploaded into
   * the recorded multipart upload carry numbers past the recorded parts, which a later attempt at
   * the same offset overwrites and which completion ignores (it lists only recorded parts).
   * Leftovers get a fresh key per attempt. Part numbers, unlike leftover keys, are shared by
   * attempts at the same offset: the core claims the offset with a conditional write on the
   * session before calling writeUpload, so one live writer exists per offset. Should two writers
   * still overlap (e.g. one that claimed and stalled), the ETag recorded by the winner no longer
   * matches an overwritten part and CompleteMultipartUpload refuses it (InvalidPart): bytes the
   * winner did not write can fail a commit but never become visible.
   */
  async writeUpload(uploadId: string, rawState: unknown, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ written: number; state: S3UploadState }> {
    const state = this.parseState(uploadId, rawState);
    const held = storedBytes(state);
    if (offset !== held) throw new Error(`upload ${uploadId}: asked to write at ${offset} but its S3 state holds ${held} bytes`);
    const contentKey = this.keys.content(uploadId);
    const parts = [...state.parts];
    let multipartUploadId = state.multipartUploadId;
    let createdHere: string | undefined;
    let carried = [...state.leftovers];
    // A whole upload of a part or more, completed in place by an earlier request, that a chunk now
    // continues: its bytes are read once (the rare catch-up re-read) into a new multipart upload
    // of the content key, which replaces the object only when that upload completes at commit.
    const rebase = isInPlace(state, contentKey) && state.leftovers[0]!.size >= this.minPartSize;
    if (rebase) carried = [];
    /** Bytes before this request's pending ones are nowhere yet: a body that ends below a part is the whole upload. */
    const wholeHere = multipartUploadId === undefined && state.leftovers.length === 0;
    let carriedBytes = sumSizes(carried);
    const pending = new ByteQueue();
    let written = 0;
    let inFlight: Promise<void> | undefined;

    const settle = async () => {
      const upload = inFlight;
      inFlight = undefined;
      if (upload) await upload;
    };
    /** The carried leftovers, then pending bytes, `size` bytes in all, as one part body. */
    const takePart = async (size: number): Promise<Buffer> => {
      const head = await this.readLeftovers(carried);
      const fromPending = pending.take(size - carriedBytes);
      carried = [];
      carriedBytes = 0;
      return Buffer.concat([...head, ...fromPending], size);
    };
    /** Starts uploading the next part; at most one is in flight (callers settle() first). */
    const startPart = async (bytes: Buffer) => {
      const partNumber = parts.length + 1;
      // The last number stays free for the tail that commit uploads.
      if (partNumber >= MAX_PARTS) throw this.tooLarge(uploadId);
      if (multipartUploadId === undefined) multipartUploadId = createdHere = await this.createMultipart(contentKey);
      const upload = this.uploadPart(contentKey, multipartUploadId, partNumber, bytes).then((part) => {
        parts.push(part);
      });
      upload.catch(() => {}); // settle() awaits it; this only keeps an early failure from being "unhandled"
      inFlight = upload;
    };

    const accept = async (chunk: Uint8Array) => {
      pending.push(chunk);
      while (carriedBytes + pending.size >= partSizeFor(parts.length + (inFlight ? 1 : 0), this.streamPartSize)) {
        await settle();
        await startPart(await takePart(partSizeFor(parts.length, this.streamPartSize)));
      }
    };

    try {
      if (rebase) for await (const chunk of await this.readObject(contentKey)) if (chunk.byteLength > 0) await accept(chunk);
      for await (const chunk of body) {
        if (chunk.byteLength === 0) continue;
        written += chunk.byteLength;
        await accept(chunk);
      }
      await settle();
      const remainder = carriedBytes + pending.size;
      if (wholeHere && multipartUploadId !== undefined) {
        // The whole upload came in this request and filled a part: its last part (any size) is
        // uploaded now and the object completed at its content key, where the pointer will name
        // it. Commit then only writes the pointer: no leftover written and read back.
        if (remainder > 0) parts.push(await this.uploadPart(contentKey, multipartUploadId, parts.length + 1, await takePart(remainder)));
        await this.completeMultipart(contentKey, multipartUploadId, parts);
        parts.length = 0;
        multipartUploadId = undefined;
        carried = [{ key: contentKey, size: written }];
      } else if (remainder >= this.minPartSize) {
        await startPart(await takePart(remainder));
        await settle();
      } else if (pending.size > 0 && wholeHere && multipartUploadId === undefined) {
        carried = [await this.storeInPlace(contentKey, pending.take(pending.size))];
      } else if (pending.size > 0) {
        carried = await this.storeLeftover(uploadId, offset + written - pending.size, carried, pending.take(pending.size));
      }
    } catch (err) {
      await settle().catch(() => {});
      if (createdHere !== undefined) await this.abortMultipart(contentKey, createdHere).catch((e) => this.log(`S3BlobStore: ${String(e)}`));
      throw err;
    }
    const next: S3UploadState = { parts, leftovers: carried };
    if (multipartUploadId !== undefined) next.multipartUploadId = multipartUploadId;
    // Leftover objects this request replaced (merged or took into a part) are named nowhere now.
    const kept = new Set(carried.map((l) => l.key));
    if (state.sweep || state.leftovers.some((l) => l.key !== contentKey && !kept.has(l.key))) next.sweep = true;
    return { written, state: next };
  }

  /**
   * Completes the content and publishes its pointer; see the class comment. The listing of the
   * upload's temporary objects runs alongside the pointer check so that commit costs few round
   * trips: pointer check, content (one call, or part + complete), pointer write, cleanup.
   */
  async commitUpload(uploadId: string, rawState: unknown, size: number, digest: string): Promise<void> {
    const state = this.parseState(uploadId, rawState);
    const held = storedBytes(state);
    if (held !== size) throw new Error(`upload ${uploadId}: asked to commit ${size} bytes but its S3 state holds ${held}`);
    const pointerKey = this.keys.blobPointer(digest);
    const contentKey = this.keys.content(uploadId);
    if (isInPlace(state, contentKey)) {
      // The content is already where the pointer will name it: one conditional pointer write.
      // Without If-None-Match support the pointer is read first, so that a blob pushed before
      // keeps its pointer (and its content).
      const existing = this.conditionalPointers ? null : await this.readPointer(pointerKey);
      const ours = existing ? existing.key === contentKey : await this.publishPointer(pointerKey, { key: contentKey, size }, false);
      // Another commit of the same content published first: ours is a duplicate.
      if (!ours) await this.deleteObject(contentKey);
      return;
    }
    const existing = await this.readPointer(pointerKey);
    if (existing) {
      // Pushed before (or this very commit is being retried): keep the existing blob. Unless a
      // retried commit's pointer names it, the content key may hold bytes an earlier request
      // wrote in place before later ones merged them away: removed (a free DELETE).
      if (state.multipartUploadId !== undefined) await this.abortMultipart(contentKey, state.multipartUploadId);
      if (existing.key !== contentKey) await this.deleteObject(contentKey);
    } else {
      await this.writeContent(contentKey, state);
      if (!(await this.publishPointer(pointerKey, { key: contentKey, size }))) {
        // Another commit of the same content published first: ours is a duplicate.
        await this.deleteObject(contentKey);
      }
    }
    // The blob is committed; failing the request now would make the client push it again. The
    // upload's prefix is listed only when leftovers were replaced along the way; otherwise the
    // recorded ones are all there is (the rare unrecorded one, written by a request whose session
    // moved on before it could record it, expires by the lifecycle rule).
    const temporary = state.sweep ? await this.listUploadObjects(uploadId).catch(() => []) : [];
    await this.deleteObjects([...temporary, ...state.leftovers.map((l) => l.key)]).catch((e) =>
      this.log(`S3BlobStore: upload ${uploadId} committed, cleanup left for the lifecycle rule: ${String(e)}`),
    );
  }

  /**
   * Aborts the multipart upload and deletes every leftover, recorded or not (by listing the
   * upload's prefix). Content held in place (a small upload written to its content key) is
   * deleted unless a pointer names it: a session whose commit succeeded but whose linking failed
   * can still be cancelled, and deleting a blob's content would leave a pointer to nothing.
   */
  async deleteUpload(uploadId: string, rawState: unknown): Promise<void> {
    let state: S3UploadState;
    try {
      state = this.parseState(uploadId, rawState);
    } catch {
      state = emptyUploadState(); // still clean up what listing finds
    }
    const contentKey = this.keys.content(uploadId);
    // An open multipart upload means nothing completed at the content key from this state, so an
    // object there is an earlier request's in-place upload that a chunk continued: deleted too,
    // unless a pointer names it (that earlier upload was committed, and only its link failed).
    const aborted = state.multipartUploadId !== undefined && (await this.abortMultipart(contentKey, state.multipartUploadId));
    const temporary = await this.listUploadObjects(uploadId);
    const keepContent = (aborted || isInPlace(state, contentKey)) && (await this.namedByPointer(contentKey));
    const content = aborted && !keepContent ? [contentKey] : [];
    await this.deleteObjects([...temporary, ...content, ...state.leftovers.map((l) => l.key).filter((k) => !(keepContent && k === contentKey))]);
  }

  /** Whether a blob pointer names this content object: its digest is computed from its bytes, streamed once. */
  private async namedByPointer(contentKey: string): Promise<boolean> {
    const hashes = { sha256: createHash('sha256'), sha512: createHash('sha512') };
    try {
      for await (const chunk of await this.readObject(contentKey)) for (const h of Object.values(hashes)) h.update(chunk);
    } catch (err) {
      if (isS3Failure(err, 'not-found')) return false;
      throw err;
    }
    for (const [algorithm, hash] of Object.entries(hashes)) {
      const pointer = await this.readPointer(this.keys.blobPointer(`${algorithm}:${hash.digest('hex')}`));
      if (pointer?.key === contentKey) return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  private parseState(uploadId: string, raw: unknown): S3UploadState {
    const contentKey = this.keys.content(uploadId);
    const state = parseUploadState(raw, (key) => key === contentKey || this.keys.isLeftoverOf(uploadId, key));
    if (state.leftovers.some((l) => l.key === contentKey) && !isInPlace(state, contentKey)) {
      throw new Error(`not an S3 upload state (content key beside other storage): ${JSON.stringify(raw)?.slice(0, 200)}`);
    }
    return state;
  }

  /** A whole upload smaller than a part, written where its blob's pointer will name it. */
  private async storeInPlace(contentKey: string, bytes: Uint8Array[]): Promise<S3Leftover> {
    const body = Buffer.concat(bytes);
    await s3Call('PutObject', contentKey, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: contentKey, Body: body, ContentLength: body.length, ContentType: OCTET_STREAM })),
    );
    return { key: contentKey, size: body.length };
  }

  private tooLarge(uploadId: string): RegistryError {
    const gib = (this.maxBlobSize / 1024 ** 3).toFixed(2);
    return new RegistryError(
      'SIZE_INVALID',
      `upload ${uploadId} needs more than the ${MAX_PARTS} parts S3 allows: a blob streamed in one request can reach ${gib} GiB, one sent in small chunks less`,
    );
  }

  /**
   * Writes `bytes` as a new leftover; merges all leftovers into one when the list is full, or when
   * the carried bytes are held in place at the content key (which only a whole upload may use).
   */
  private async storeLeftover(uploadId: string, start: number, carried: S3Leftover[], bytes: Uint8Array[]): Promise<S3Leftover[]> {
    // Merging rewrites fewer than minPartSize bytes once per MAX_LEFTOVERS requests, so even
    // 1-byte requests cost one PutObject each plus a bounded merge now and then.
    const merge = carried.length >= MAX_LEFTOVERS || isInPlace({ parts: [], leftovers: carried }, this.keys.content(uploadId));
    const head = merge ? await this.readLeftovers(carried) : [];
    const body = Buffer.concat([...head, ...bytes]);
    const key = this.keys.leftover(uploadId, merge ? start - sumSizes(carried) : start, randomUUID());
    await s3Call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: OCTET_STREAM })),
    );
    const leftover = { key, size: body.length };
    return merge ? [leftover] : [...carried, leftover];
  }

  private async readLeftovers(leftovers: S3Leftover[]): Promise<Buffer[]> {
    return Promise.all(
      leftovers.map(async ({ key, size }) => {
        const res = await s3Call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
        const bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
        if (bytes.length !== size) throw new Error(`S3 leftover ${key} holds ${bytes.length} bytes, the upload state says ${size}`);
        return bytes;
      }),
    );
  }

  private async createMultipart(key: string): Promise<string> {
    const res = await s3Call('CreateMultipartUpload', key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: OCTET_STREAM, ...(this.partChecksums ? { ChecksumAlgorithm: 'CRC32' as const } : {}) }),
      ),
    );
    if (!res.UploadId) throw new Error(`S3 CreateMultipartUpload ${key} returned no UploadId`);
    return res.UploadId;
  }

  private async uploadPart(key: string, uploadId: string, partNumber: number, bytes: Buffer): Promise<S3Part> {
    const res = await s3Call(`UploadPart #${partNumber}`, key, () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: bytes,
          ContentLength: bytes.length,
          ...(this.partChecksums ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
        }),
      ),
    );
    if (!res.ETag) throw new Error(`S3 UploadPart #${partNumber} ${key} returned no ETag`);
    const part: S3Part = { partNumber, etag: res.ETag, size: bytes.length };
    if (this.partChecksums && res.ChecksumCRC32) part.crc32 = res.ChecksumCRC32;
    return part;
  }

  /** Completes with the given parts only: anything else a failed attempt uploaded is dropped here. */
  private async completeMultipart(key: string, uploadId: string, parts: S3Part[]): Promise<void> {
    await s3Call('CompleteMultipartUpload', key, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ...(p.crc32 ? { ChecksumCRC32: p.crc32 } : {}) })) },
        }),
      ),
    );
  }

  /** True when this call aborted it; false when it was already completed or aborted. */
  private async abortMultipart(key: string, uploadId: string): Promise<boolean> {
    try {
      await s3Call('AbortMultipartUpload', key, () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
      return true;
    } catch (err) {
      if (!isS3Failure(err, 'no-such-upload', 'not-found')) throw err; // already completed or aborted
      return false;
    }
  }

  /** An object's bytes as a stream. */
  private async readObject(key: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await s3Call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    const body = res.Body as unknown;
    if (!isAsyncIterable(body)) throw new Error(`S3 GetObject ${key} returned no readable body`);
    return body;
  }

  /** Makes the content object: completes the multipart upload, or writes a small blob at once. */
  private async writeContent(key: string, state: S3UploadState): Promise<void> {
    if (state.multipartUploadId !== undefined) {
      const uploadId = state.multipartUploadId;
      const parts = [...state.parts];
      if (state.leftovers.length > 0) {
        // The last part may be smaller than minPartSize.
        const tail = Buffer.concat(await this.readLeftovers(state.leftovers));
        parts.push(await this.uploadPart(key, uploadId, parts.length + 1, tail));
      }
      await this.completeMultipart(key, uploadId, parts);
    } else if (state.leftovers.length === 1) {
      const source = state.leftovers[0]!.key;
      const copySource = `${this.bucket}/${encodeURIComponent(source).replace(/%2F/g, '/')}`;
      await s3Call('CopyObject', key, () => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: copySource })));
    } else {
      const body = Buffer.concat(await this.readLeftovers(state.leftovers));
      await s3Call('PutObject', key, () =>
        this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: OCTET_STREAM })),
      );
    }
  }

  /**
   * Writes the pointer unless one exists. True when the pointer names this content (written
   * now, or by an earlier try whose answer was lost); false when another commit's pointer is
   * there. On any other failure the content is removed when the pointer surely does not name it.
   */
  private async publishPointer(key: string, pointer: Pointer, dropContentOnFailure = true): Promise<boolean> {
    const body = JSON.stringify(pointer);
    try {
      await s3Call('PutObject', key, () =>
        this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', ...(this.conditionalPointers ? { IfNoneMatch: '*' } : {}) }),
        ),
      );
      return true;
    } catch (err) {
      if (this.conditionalPointers && isS3Failure(err, 'not-implemented')) {
        this.conditionalPointers = false;
        return this.publishPointer(key, pointer, dropContentOnFailure);
      }
      // 412 (exists), 409 (a racing write) or an unknown outcome: the pointer tells what happened.
      const now = await this.readPointer(key).catch(() => undefined);
      if (now && now.key === pointer.key) return true;
      if (now) return false;
      // Content held in place is also the session's only copy: a retried PUT commits it again.
      if (now === null && dropContentOnFailure) await this.deleteObject(pointer.key).catch((e) => this.log(`S3BlobStore: ${String(e)}`));
      throw err;
    }
  }

  /** The pointer at `key`, or null when there is none. */
  private async readPointer(key: string): Promise<Pointer | null> {
    let text: string;
    let modifiedAt: string | undefined;
    try {
      const res = await s3Call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
      text = (await res.Body?.transformToString()) ?? '';
      modifiedAt = res.LastModified?.toISOString();
    } catch (err) {
      if (isS3Failure(err, 'not-found')) return null;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const { key: contentKey, size } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof contentKey !== 'string' || !this.keys.isContentKey(contentKey) || !isWhole(size) || (size as number) < 0) {
      throw new Error(`S3 blob pointer ${key} is corrupt: ${text.slice(0, 200)}`);
    }
    return { key: contentKey, size: size as number, ...(modifiedAt !== undefined && { modifiedAt }) };
  }

  /** Every object under the upload's prefix (leftovers of every attempt). */
  private async listUploadObjects(uploadId: string): Promise<string[]> {
    const prefix = this.keys.upload(uploadId);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await s3Call('ListObjectsV2', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async deleteObject(key: string): Promise<void> {
    await s3Call('DeleteObject', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /** Deletes keys in batches of 1,000 (DeleteObjects' limit); absent keys are fine. */
  private async deleteObjects(keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 1000) {
      const batch = unique.slice(i, i + 1000);
      const res = await s3Call('DeleteObjects', batch[0]!, () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new Error(`S3 DeleteObjects failed for ${failed.length} keys, e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
    }
  }
}

/** A FIFO of byte chunks that hands out exact byte counts. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  size = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }

  /** Removes and returns the first `n` bytes (as views of the chunks, not copies). */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let used = 0;
    let whole = 0;
    while (used < n) {
      const chunk = this.chunks[whole]!;
      const want = n - used;
      if (chunk.byteLength <= want) {
        out.push(chunk);
        used += chunk.byteLength;
        whole++;
      } else {
        out.push(chunk.subarray(0, want));
        this.chunks[whole] = chunk.subarray(want);
        used = n;
      }
    }
    this.chunks.splice(0, whole);
    this.size -= n;
    return out;
  }
}

/** True when the upload's bytes are all in one object at its content key (no parts, no leftovers). */
function isInPlace(state: S3UploadState, contentKey: string): boolean {
  return state.multipartUploadId === undefined && state.leftovers.length === 1 && state.leftovers[0]!.key === contentKey;
}

function sumSizes(items: { size: number }[]): number {
  return items.reduce((total, item) => total + item.size, 0);
}

function isWhole(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
