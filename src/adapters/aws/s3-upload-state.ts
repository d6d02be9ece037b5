/**
 * The S3 blob store's upload state: plain JSON the core keeps in the upload session (a DynamoDB
 * item on AWS, so it stays small), and the part-sizing rules that decide its shape.
 *
 * An upload's bytes are, in order: the recorded parts of its multipart upload, then its
 * leftovers (objects holding fewer bytes than a part needs). Nothing else counts: parts or
 * leftovers written by a failed or losing attempt are not in the state, so they are never used.
 *
 * Part sizing. S3 parts are 5 MiB or more (except the last) and at most 10,000 per upload.
 * Streamed bytes are cut into parts of `streamPartSize` (16 MiB by default), and from part 2,001
 * on into parts of at least 128 MiB, so realistic blobs stay far below 10,000 parts and the state
 * below the DynamoDB item limit. With the defaults a streamed blob can reach
 * 2,000 x 16 MiB + 8,000 x 128 MiB = 1,031.25 GiB. A request's remainder of at least
 * `minPartSize` also becomes a part, so chunked clients whose chunks leave remainders just above
 * 5 MiB get smaller parts (at worst 10,000 x 5 MiB = 48.8 GiB); the upload service advertises
 * OCI-Chunk-Min-Length to keep clients' chunks large.
 *
 * State size: 83 bytes of JSON per part ({partNumber, etag, size}; 102 with the CRC32 real S3
 * returns), i.e. ~170-200 KB at 2,000 parts (a 31 GiB blob); leftovers are at most MAX_LEFTOVERS
 * keys. A DynamoDB item holds 400 KB, so with the session in DynamoDB the practical ceiling is
 * about 4,000 parts with CRC32 (~280 GiB) or 4,900 without (~390 GiB), before S3's 10,000.
 */

export const MIB = 1024 * 1024;

/** S3's limits. */
export const S3_MIN_PART_SIZE = 5 * MIB;
export const S3_MAX_PART_SIZE = 5 * 1024 * MIB;
export const MAX_PARTS = 10_000;

/** Parts numbered above this use LARGE_PART_SIZE (or streamPartSize if larger). */
export const PART_GROWTH_AFTER = 2_000;
export const LARGE_PART_SIZE = 128 * MIB;

/** Leftover objects kept before they are merged into one (bounds the state and the reads). */
export const MAX_LEFTOVERS = 32;

export interface S3Part {
  partNumber: number;
  /** As S3 returned it (quoted); CompleteMultipartUpload checks it, so a part overwritten by another attempt fails completion instead of being used. */
  etag: string;
  size: number;
  /** The part's CRC32 when the store returned one (real S3 does; emulators may not). */
  crc32?: string;
}

export interface S3Leftover {
  key: string;
  size: number;
}

export interface S3UploadState {
  /** The content key's multipart upload, created when the first full part exists. */
  multipartUploadId?: string;
  /** Numbered 1..n in order; the only parts completion uses. */
  parts: S3Part[];
  /**
   * Bytes after the last part, in order; fewer than minPartSize in total. A whole upload that came
   * in one request is one "leftover" at the upload's content key, of any size (written in place:
   * one PutObject below a part, a completed multipart upload from a part on).
   */
  leftovers: S3Leftover[];
  /**
   * Set once leftover objects were replaced (merged, or taken into a part): they are no longer
   * named here, so commit lists the upload's prefix to delete them. Absent: the recorded
   * leftovers are all there is to delete (no listing call).
   */
  sweep?: true;
}

export function emptyUploadState(): S3UploadState {
  return { parts: [], leftovers: [] };
}

/** Size of the part that follows `partCount` parts when bytes are streamed. */
export function partSizeFor(partCount: number, streamPartSize: number): number {
  return partCount < PART_GROWTH_AFTER ? streamPartSize : Math.max(streamPartSize, LARGE_PART_SIZE);
}

/** Largest blob a streamed upload can reach with this part size. */
export function maxStreamedBlobSize(streamPartSize: number): number {
  return PART_GROWTH_AFTER * streamPartSize + (MAX_PARTS - PART_GROWTH_AFTER) * partSizeFor(PART_GROWTH_AFTER, streamPartSize);
}

/** Bytes the state accounts for: the upload's offset. */
export function storedBytes(state: S3UploadState): number {
  let total = 0;
  for (const p of state.parts) total += p.size;
  for (const l of state.leftovers) total += l.size;
  return total;
}

/** Checks a state that came back from the session store; `isLeftoverKey` guards the keys it names. */
export function parseUploadState(raw: unknown, isLeftoverKey: (key: string) => boolean): S3UploadState {
  const fail = (why: string): never => {
    throw new Error(`not an S3 upload state (${why}): ${JSON.stringify(raw)?.slice(0, 200)}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('not an object');
  const { multipartUploadId, parts, leftovers, sweep } = raw as Record<string, unknown>;
  if (multipartUploadId !== undefined && (typeof multipartUploadId !== 'string' || multipartUploadId === '')) fail('multipartUploadId');
  if (!Array.isArray(parts) || !Array.isArray(leftovers)) return fail('parts/leftovers');
  const state: S3UploadState = { parts: [], leftovers: [] };
  if (typeof multipartUploadId === 'string') state.multipartUploadId = multipartUploadId;
  if (sweep !== undefined && sweep !== true) fail('sweep');
  if (sweep === true) state.sweep = true;
  parts.forEach((p: unknown, i) => {
    const { partNumber, etag, size, crc32 } = (p ?? {}) as Record<string, unknown>;
    if (partNumber !== i + 1 || typeof etag !== 'string' || !isSize(size) || (crc32 !== undefined && typeof crc32 !== 'string')) fail(`part ${i + 1}`);
    state.parts.push({ partNumber: i + 1, etag: etag as string, size: size as number, ...(typeof crc32 === 'string' ? { crc32 } : {}) });
  });
  if (state.parts.length > 0 && state.multipartUploadId === undefined) fail('parts without a multipart upload');
  for (const l of leftovers as unknown[]) {
    const { key, size } = (l ?? {}) as Record<string, unknown>;
    if (typeof key !== 'string' || !isLeftoverKey(key) || !isSize(size)) return fail('leftover');
    state.leftovers.push({ key, size: size as number });
  }
  return state;
}

function isSize(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
