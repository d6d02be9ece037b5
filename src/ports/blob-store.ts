/**
 * BlobStore: where blob bytes live. Content is addressed by digest once committed; bytes of an
 * upload in progress live in adapter-specific temporary storage described by an opaque,
 * JSON-serialisable `UploadStorageState` that the core keeps in the upload session, so any
 * process (or Lambda) can continue an upload another one started.
 *
 * The store never verifies digests: the core hashes every byte on its way in and only calls
 * commitUpload() with the digest it computed itself.
 */

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

export type UploadStorageState = unknown;

/**
 * A body whose chunks the reader may hand back once it is done with them (written out), so that
 * the store reads later bytes into them instead of allocating: a large GET then cycles through a
 * couple of buffers instead of allocating, and page-faulting in, a new one per chunk. Handing
 * back is optional; a chunk must not be used after it is handed back.
 */
export interface RecyclingBody extends AsyncIterable<Uint8Array> {
  recycle(chunk: Uint8Array): void;
}

/** How a committed blob is handed to a reader: bytes, or a URL the client fetches itself. */
export type BlobContent = { kind: 'bytes'; body: AsyncIterable<Uint8Array> } | { kind: 'redirect'; url: string };

/** A committed blob as the collector lists it. */
export interface StoredBlob {
  digest: string;
  /** When the content was committed (or last committed again, where the store refreshes it). */
  modifiedAt: string;
}

export interface BlobStore {
  /**
   * Whether readUpload() can read back bytes of an upload in progress. S3 cannot read the parts
   * of an unfinished multipart upload, so on such a store the core keeps a resumable hash state
   * for every request instead of relying on a catch-up re-read.
   */
  readonly uploadsReadable: boolean;

  /**
   * The smallest chunk the store takes without carrying leftovers between requests (S3: its
   * 5 MiB part minimum). A server whose transport carries chunks that large advertises it as
   * OCI-Chunk-Min-Length on POST; the Lambda shell, capped below it, does not.
   */
  readonly minChunkLength?: number;

  /**
   * Readiness: resolves when the store can be used now, else throws an error whose message says
   * what is wrong. Cheap enough to run on every probe (no write, no listing): the orchestrator
   * calls it every few seconds through /readyz.
   */
  check(): Promise<void>;

  /** Size of the committed blob with this digest, or null when the store does not hold it. */
  stat(digest: string): Promise<{ size: number } | null>;

  /** Opens committed content, the whole blob or one range of it. Null when absent. */
  open(digest: string, range?: ByteRange): Promise<BlobContent | null>;

  /** Removes committed content. Removing an absent blob is not an error. */
  delete(digest: string): Promise<void>;

  /** Committed blobs in digest order, after `page.last` (a digest). For the collector. */
  listBlobs(page: { limit: number; last?: string }): Promise<{ items: StoredBlob[]; more: boolean }>;

  /**
   * The collector's delete, a batch at a time. First hides each blob of `digests` (stat and open
   * answer null, and a commit of the same digest stores its own copy), then asks `stillUnused`
   * once about every blob it hid, each with its modification time read after hiding; the blobs
   * named in the answer are deleted, the others put back (unless a commit replaced one
   * meanwhile). Returns the deleted blobs and their sizes; absent digests are skipped. One
   * question per batch, not per blob: the store behind `stillUnused` answers a batch in one read
   * where it can. A hidden blob left by a crash is put back by the store's next start or listing.
   */
  reclaim(digests: readonly string[], stillUnused: (hidden: readonly StoredBlob[]) => Promise<ReadonlySet<string>>): Promise<{ digest: string; size: number }[]>;

  /** Prepares storage for a new upload and returns the state to keep with its session. */
  createUpload(uploadId: string): Promise<UploadStorageState>;

  /**
   * Writes `body` at byte `offset` of the upload (the session's offset: everything before it is
   * kept, anything the store may hold past it is discarded). Returns the number of bytes written
   * and the new state. When `body` throws, the write is abandoned: the session's offset does not
   * move, and a later write at the same offset replaces whatever was partially stored.
   */
  writeUpload(uploadId: string, state: UploadStorageState, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ written: number; state: UploadStorageState }>;

  /** Reads back bytes [0, length) of an upload (used to rebuild a hash state); only when uploadsReadable. */
  readUpload(uploadId: string, state: UploadStorageState, length: number): AsyncIterable<Uint8Array>;

  /**
   * Makes the first `size` bytes of the upload visible as the blob `digest`, durably, and
   * releases the upload's temporary storage. Idempotent: committing content that already
   * exists under that digest keeps the existing blob.
   */
  commitUpload(uploadId: string, state: UploadStorageState, size: number, digest: string): Promise<void>;

  /** Releases an upload's temporary storage (cancel, failed verification). Idempotent. */
  deleteUpload(uploadId: string, state: UploadStorageState): Promise<void>;
}
