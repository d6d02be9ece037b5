/**
 * Synchronous file calls, a few milliseconds at a time. The collector's file work (a sweep of
 * 50,000 blobs makes some 125,000 stats, renames and unlinks) costs far less as plain system calls
 * than through libuv's thread pool, where each call is a hand-off to a pool thread and a wake-up
 * of the main thread (with the pool's calls, a profiled sweep spent 45% of its time waiting; more
 * pool threads were slower). But the periodic sweep runs inside the serving process, whose
 * requests must keep being answered, so the work yields to the event loop (setImmediate: after
 * pending I/O) whenever it has run for SLICE_MS.
 */
import { performance } from 'node:perf_hooks';

/** Longest stretch of synchronous work before pending requests get their turn. */
export const SLICE_MS = 4;

/** Calls `step` on each item in order, yielding to the event loop every SLICE_MS of work. */
export async function inTimeSlices<T>(items: Iterable<T>, step: (item: T) => void): Promise<void> {
  let sliceStart = performance.now();
  for (const item of items) {
    step(item);
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
