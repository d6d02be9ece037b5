/**
 * The native (node:crypto) hash states of uploads this process is writing, kept from one request
 * to the next, so that a chunk continuing an upload on a store that can be re-read (the
 * filesystem) is hashed at native speed: no resumable state to compute with hash-wasm (several
 * times slower than node's SHA-256 here) and no re-read.
 *
 * Only a speed-up, never needed for correctness: on a miss (another process wrote the previous
 * chunk, this one restarted, or the entry was evicted) the core rebuilds the state with one
 * native catch-up re-read of what the upload holds, so any process still continues any upload.
 * An entry is exact: it has hashed bytes [0, offset) of the upload, which never change once a
 * write at that offset is recorded (a later write replaces only bytes past the session's offset).
 * Entries are handed out as copies, so a request that fails half-way leaves the entry intact.
 */
import type { DigestAlgorithm } from './digest.js';
// Type only: the context (every Lambda bundle) must not pull in the hashers (hash-wasm).
import type { KeepableHasher } from './hashing.js';

/** Uploads whose state is kept at most (each a few hundred bytes); the oldest goes first. */
const DEFAULT_CAPACITY = 1024;

export class LiveHashers {
  private readonly entries = new Map<string, { offset: number; hasher: KeepableHasher }>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** A copy of the hasher that has hashed exactly the upload's bytes [0, offset), if this process has it. */
  take(uploadId: string, algorithm: DigestAlgorithm, offset: number): KeepableHasher | undefined {
    const entry = this.entries.get(uploadId);
    if (!entry || entry.offset !== offset || entry.hasher.algorithm !== algorithm || !entry.hasher.usable) return undefined;
    return entry.hasher.copy();
  }

  /** Records the hasher of the upload's bytes [0, offset), once that offset is recorded in the session. */
  keep(uploadId: string, offset: number, hasher: KeepableHasher): void {
    this.entries.delete(uploadId);
    this.entries.set(uploadId, { offset, hasher });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The upload ended (committed, cancelled, discarded). */
  forget(uploadId: string): void {
    this.entries.delete(uploadId);
  }

  get size(): number {
    return this.entries.size;
  }
}
