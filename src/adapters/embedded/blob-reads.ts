/**
 * Reading committed blob files for GET, within a memory budget shared by every read in flight.
 *
 * A reader holds about three chunks at a time (one read ahead, one handed on, one in the socket's
 * queue), so with fixed 4 MiB chunks 32 concurrent GETs kept ~400 MiB resident, and every chunk is
 * a fresh allocation that only a garbage collection returns. Here each read is sized when it is
 * made: the budget divided among the reads open at that moment, between MIN and MAX. One client
 * still gets MAX-sized reads (fewer syscalls and event-loop turns per byte); many share the
 * budget, so memory stays flat in the number of clients.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes the chunks of all open reads may add up to (each reader holds ~3 chunks of its size). */
export const READ_BUDGET_BYTES = 16 << 20;
const MAX_READ_BYTES = 4 << 20;
const MIN_READ_BYTES = 64 << 10;

/** The reads open in one store, and the chunk size each of them may use now. */
export class ReadBudget {
  private open = 0;

  constructor(private readonly budgetBytes = READ_BUDGET_BYTES) {}

  /** A power of two, so that a few sizes recur and the allocator reuses their blocks. */
  chunkBytes(): number {
    const share = this.budgetBytes / Math.max(1, this.open);
    if (share >= MAX_READ_BYTES) return MAX_READ_BYTES;
    if (share <= MIN_READ_BYTES) return MIN_READ_BYTES;
    return 2 ** Math.floor(Math.log2(share));
  }

  /**
   * A stream of `handle` from `start` to `end` (inclusive; absent: to the end of the file). It
   * closes the handle when it ends or is destroyed.
   */
  stream(handle: FileHandle, start = 0, end = Number.POSITIVE_INFINITY): Readable {
    this.open += 1;
    return new BudgetedFileStream(handle, start, end, this, () => {
      this.open -= 1;
    });
  }
}

class BudgetedFileStream extends Readable {
  private position: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
    private readonly budget: ReadBudget,
    private readonly release: () => void,
  ) {
    // A small high-water mark: one chunk is read ahead of the consumer, never more.
    super({ highWaterMark: MIN_READ_BYTES });
    this.position = start;
  }

  override _read(): void {
    const remaining = this.end - this.position + 1;
    if (remaining <= 0) {
      this.push(null);
      return;
    }
    const size = Math.min(this.budget.chunkBytes(), remaining);
    const buffer = Buffer.allocUnsafeSlow(size);
    this.handle.read(buffer, 0, size, this.position).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          if (this.end === Number.POSITIVE_INFINITY) return this.push(null);
          // The file is shorter than the range asked for: cut the response rather than send a short body.
          return this.destroy(new Error(`blob file ends at byte ${this.position}, before byte ${this.end} of the range`));
        }
        this.position += bytesRead;
        this.push(bytesRead === size ? buffer : buffer.subarray(0, bytesRead));
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    this.handle.close().then(
      () => callback(err),
      (closeErr: unknown) => callback(err ?? (closeErr as Error)),
    );
  }
}
