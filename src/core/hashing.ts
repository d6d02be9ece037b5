/**
 * Digest computation for uploads, as DESIGN.md rules it:
 * - NativeHasher (node:crypto, full native speed) for requests that carry a whole blob, a
 *   streamed PATCH or the first chunk of an upload (on a store that can be re-read); its digest
 *   so far comes from hash.copy(). Its state cannot be serialised.
 * - ResumableHasher (hash-wasm) for chunks that continue an upload (and every chunk on a store
 *   that cannot be re-read, S3): its state is saved with the session after every chunk so any
 *   process can continue the upload.
 * A request that continues a natively hashed upload without a saved state (a chunk or a second
 * streamed PATCH after a streamed PATCH) rebuilds the state with one catch-up re-read of what
 * the upload holds; no hash state is kept in memory between requests, so every process, Lambda
 * or upload-service task continues an upload alike.
 */
import { createHash, type Hash } from 'node:crypto';
import { createSHA256, createSHA512, type IHasher } from 'hash-wasm';
import type { DigestAlgorithm } from './digest.js';

export interface UploadHasher {
  readonly algorithm: DigestAlgorithm;
  update(chunk: Uint8Array): void;
  /** `alg:hex` of everything hashed so far; the hasher stays usable. */
  digestSoFar(): string;
  /** Serialised state (base64) when the hasher is resumable, else null. */
  saveState(): string | null;
}

export class NativeHasher implements UploadHasher {
  private readonly hash: Hash;
  constructor(readonly algorithm: DigestAlgorithm) {
    this.hash = createHash(algorithm);
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
