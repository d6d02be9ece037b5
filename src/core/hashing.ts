/**
 * Digest computation for uploads:
 * - NativeHasher (node:crypto, full native speed) for every request on a store that can be
 *   re-read (the filesystem): a whole blob, a streamed PATCH, and every chunk; its digest so far
 *   comes from hash.copy(). Its state cannot be serialised: between requests this process keeps
 *   it in memory (./live-hashers.ts), and a request that continues an upload without it (another
 *   process wrote the previous chunk, a restart) rebuilds it with one native catch-up re-read of
 *   what the upload holds, so every process continues an upload alike, only that one slower.
 *   A body of 1 MiB or more gets the same native hashing on the process's hashing thread
 *   instead (ThreadHasher, ./hash-thread.ts), so the event loop only receives and writes it.
 * - ResumableHasher (hash-wasm) on a store that cannot be re-read (S3): its state is saved with
 *   the session after every request so any process, Lambda or upload-service task can continue
 *   the upload. (hash-wasm's SHA-256 runs several times slower than node's here, which is why a
 *   re-readable store does not use it; a session saved with a state by an earlier release still
 *   continues with it.)
 */
import { createHash, type Hash } from 'node:crypto';
import { createSHA256, createSHA512, type IHasher } from 'hash-wasm';
import type { DigestAlgorithm } from './digest.js';

export interface UploadHasher {
  readonly algorithm: DigestAlgorithm;
  /** Hashes the chunk (or hands it on: ./hash-thread.ts); a promise asks the caller to wait before the next. */
  update(chunk: Uint8Array): void | Promise<void>;
  /** `alg:hex` of everything hashed so far; the hasher stays usable. */
  digestSoFar(): string | Promise<string>;
  /** Serialised state (base64) when the hasher is resumable, else null. */
  saveState(): string | null;
}

/** A native hasher whose state this process can keep between requests (../live-hashers.ts). */
export interface KeepableHasher extends UploadHasher {
  /** An independent hasher in the same state. */
  copy(): KeepableHasher;
  /** False once the state is lost (its hashing thread stopped): not to be reused. */
  readonly usable: boolean;
}

export class NativeHasher implements KeepableHasher {
  readonly usable = true;
  constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly hash: Hash = createHash(algorithm),
  ) {}
  /** An independent hasher in the same state (node's hash.copy()). */
  copy(): NativeHasher {
    return new NativeHasher(this.algorithm, this.hash.copy());
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  digestSoFar(): string {
    return `${this.algorithm}:${this.hash.copy().digest('hex')}`;
  }
  saveState(): null {
    return null;
  }
}

export class ResumableHasher implements UploadHasher {
  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly hasher: IHasher,
  ) {}

  static async create(algorithm: DigestAlgorithm, state?: string | null): Promise<ResumableHasher> {
    const hasher = algorithm === 'sha256' ? await createSHA256() : await createSHA512();
    hasher.init();
    if (state) hasher.load(Buffer.from(state, 'base64'));
    return new ResumableHasher(algorithm, hasher);
  }
  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
  }
  digestSoFar(): string {
    // digest() finalises the hasher, so save and restore around it.
    const saved = this.hasher.save();
    const hex = this.hasher.digest('hex');
    this.hasher.load(saved);
    return `${this.algorithm}:${hex}`;
  }
  saveState(): string {
    return Buffer.from(this.hasher.save()).toString('base64');
  }
}

export function digestOf(algorithm: DigestAlgorithm, bytes: Uint8Array): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
