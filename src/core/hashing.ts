/**
 * Digest computation for uploads, as DESIGN.md rules it:
 * - NativeHasher (node:crypto, full native speed) for requests that carry a whole blob or a
 *   streamed PATCH; its digest so far comes from hash.copy(). Its state cannot be serialised.
 * - ResumableHasher (hash-wasm) for chunked uploads: its state is saved with the session after
 *   every chunk so any process can continue the upload.
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
  constructor(readonly algorithm: DigestAlgorithm, from?: Hash) {
    this.hash = from ? from.copy() : createHash(algorithm);
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
  /** A copy of the live node:crypto state, for the in-process cache. */
  snapshot(): Hash {
    return this.hash.copy();
  }
}

export class ResumableHasher implements UploadHasher {
  private constructor(readonly algorithm: DigestAlgorithm, private readonly hasher: IHasher) {}

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

/**
 * Keeps the live node:crypto state of recent streamed uploads in this process, keyed by upload
 * and offset, so a follow-up request served by the same process continues at native speed
 * instead of re-reading what was uploaded. A miss only costs a catch-up re-read.
 */
export class NativeHashCache {
  private readonly entries = new Map<string, Hash>();
  constructor(private readonly capacity = 256) {}

  /** The cached state at exactly this offset; callers copy it before updating. */
  get(uploadId: string, offset: number): Hash | undefined {
    return this.entries.get(`${uploadId}@${offset}`);
  }
  put(uploadId: string, offset: number, hash: Hash): void {
    this.forget(uploadId);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(`${uploadId}@${offset}`, hash);
  }
  forget(uploadId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${uploadId}@`)) this.entries.delete(key);
  }
}
