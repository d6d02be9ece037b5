/**
 * Native (node:crypto) hashing of upload bodies on a thread of its own, so that the event loop
 * receiving an upload's bytes does not also hash them: in a 256 MiB upload to the embedded
 * server, SHA-256 was about half of the event loop's time (docs/bench/blob-limits.md), and a
 * server has two cores or more. Used where uploads are hashed natively in a long-lived process
 * (the filesystem store: ./operations/uploads.ts); a Lambda keeps hashing in its one thread.
 *
 * Bytes reach the thread without a copy per message: the event loop copies each body chunk into
 * a 1 MiB slot of shared memory (a memcpy, far cheaper than hashing it) and posts the full slot;
 * the thread hashes it and answers, which frees the slot. A hasher has at most SLOTS_IN_FLIGHT
 * slots posted, and `update` returns a promise to wait on when it is at that bound, so a fast
 * client cannot queue more than that much memory per upload. The hash states live on the thread,
 * keyed by id; a state whose hasher was garbage-collected is dropped there too.
 */
import { Worker } from 'node:worker_threads';
import type { DigestAlgorithm } from './digest.js';
import type { KeepableHasher } from './hashing.js';

/** Requests the thread answers (by `seq`): an update once hashed (its slot is then free), a digest. */
type Question = { op: 'update'; id: number; slot: SharedArrayBuffer; length: number } | { op: 'digest'; id: number };

export type HashRequest =
  | { op: 'create'; id: number; algorithm: DigestAlgorithm }
  | { op: 'copy'; id: number; from: number }
  | { op: 'drop'; id: number }
  | (Question & { seq: number });

export type HashReply = { seq: number; hex?: string; error?: string };

/** Bytes handed to the thread at once; a body smaller than one slot is not worth the round trip. */
export const SLOT_BYTES = 1 << 20;
/** Slots one hasher may have posted and not yet hashed (so at most this many MiB queued per upload). */
const SLOTS_IN_FLIGHT = 2;
/** Free slots kept for reuse (already-touched memory is cheaper to fill than fresh pages). */
const SLOTS_KEPT = 8;

/** One worker thread and the replies it owes. */
class HashThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (reply: HashReply) => void; reject: (error: Error) => void }>();
  private nextSeq = 1;
  private nextId = 1;
  /** Set once the thread has stopped: every hasher on it then fails (and is not kept, see `usable`). */
  stopped: Error | undefined;
  private readonly dropOnCollect = new FinalizationRegistry<number>((id) => {
    if (!this.stopped) this.worker.postMessage({ op: 'drop', id } satisfies HashRequest);
  });

  constructor() {
    this.worker = new Worker(new URL('./hash-thread-worker.js', import.meta.url));
    this.worker.unref(); // referenced only while a reply is owed (see ask)
    this.worker.on('message', (reply: HashReply) => {
      const waiter = this.waiting.get(reply.seq);
      if (!waiter) return;
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.error !== undefined) waiter.reject(new Error(`hashing thread: ${reply.error}`));
      else waiter.resolve(reply);
    });
    const stop = (error: Error) => {
      this.stopped ??= error;
      for (const waiter of this.waiting.values()) waiter.reject(this.stopped);
      this.waiting.clear();
      if (thread === this) thread = undefined;
    };
    this.worker.on('error', (error) => stop(new Error(`hashing thread failed: ${error.message}`)));
    this.worker.on('exit', (code) => stop(new Error(`hashing thread exited (status ${code})`)));
  }

  /** A new hash state on the thread, tied to `owner`: collected with it. */
  create(owner: object, init: { algorithm: DigestAlgorithm } | { from: number }): number {
    const id = this.nextId++;
    this.post('algorithm' in init ? { op: 'create', id, algorithm: init.algorithm } : { op: 'copy', id, from: init.from });
    this.dropOnCollect.register(owner, id);
    return id;
  }

  post(message: HashRequest): void {
    if (this.stopped) throw this.stopped;
    this.worker.postMessage(message);
  }

  /** Posts a request that is answered; the thread keeps the process alive until it is. */
  ask(message: Question): Promise<HashReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const seq = this.nextSeq++;
    return new Promise<HashReply>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, seq } satisfies HashRequest);
    });
  }
}

/** The process's hashing thread, started on first use and again after a failure. */
let thread: HashThread | undefined;
const freeSlots: SharedArrayBuffer[] = [];

function takeSlot(): SharedArrayBuffer {
  return freeSlots.pop() ?? new SharedArrayBuffer(SLOT_BYTES);
}

function returnSlot(slot: SharedArrayBuffer): void {
  if (freeSlots.length < SLOTS_KEPT) freeSlots.push(slot);
}

export class ThreadHasher implements KeepableHasher {
  private slot: SharedArrayBuffer | undefined;
  private filled = 0;
  private posted = 0;
  private readonly slotFreed: (() => void)[] = [];
  /** The first failure of a posted update, reported by the next call. */
  private failure: Error | undefined;

  /** The state on the thread, dropped there once this hasher is garbage-collected. */
  private readonly id: number;

  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly thread: HashThread,
    init: { algorithm: DigestAlgorithm } | { from: number },
  ) {
    this.id = thread.create(this, init);
  }

  static create(algorithm: DigestAlgorithm): ThreadHasher {
    thread ??= new HashThread();
    return new ThreadHasher(algorithm, thread, { algorithm });
  }

  /** False once its thread stopped: the state is gone, so a kept hasher must not be reused. */
  get usable(): boolean {
    return this.thread.stopped === undefined && this.failure === undefined;
  }

  update(chunk: Uint8Array): void | Promise<void> {
    if (this.failure) throw this.failure;
    let at = 0;
    while (at < chunk.byteLength) {
      this.slot ??= takeSlot();
      const n = Math.min(chunk.byteLength - at, SLOT_BYTES - this.filled);
      new Uint8Array(this.slot, this.filled, n).set(chunk.subarray(at, at + n));
      this.filled += n;
      at += n;
      if (this.filled === SLOT_BYTES) this.postSlot();
    }
    if (this.posted >= SLOTS_IN_FLIGHT) return new Promise<void>((resolve) => this.slotFreed.push(resolve)).then(() => this.check());
  }

  async digestSoFar(): Promise<string> {
    this.check();
    this.postSlot();
    const reply = await this.thread.ask({ op: 'digest', id: this.id });
    this.check();
    return `${this.algorithm}:${reply.hex}`;
  }

  /** An independent hasher in the same state (the thread copies the state after every update posted so far). */
  copy(): ThreadHasher {
    this.check();
    this.postSlot();
    return new ThreadHasher(this.algorithm, this.thread, { from: this.id });
  }

  saveState(): null {
    return null;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** Posts the partly or wholly filled slot, if any. */
  private postSlot(): void {
    const slot = this.slot;
    if (!slot || this.filled === 0) return;
    const length = this.filled;
    this.slot = undefined;
    this.filled = 0;
    this.posted++;
    this.thread
      .ask({ op: 'update', id: this.id, slot, length })
      .then(
        () => returnSlot(slot),
        (error: Error) => {
          this.failure ??= error;
        },
      )
      .finally(() => {
        this.posted--;
        this.slotFreed.shift()?.();
      });
  }
}
