/**
 * Writes a request body into an upload file at an offset, so that receiving the body waits on
 * the disk as little as possible (measured in docs/bench/blob-limits.md):
 * - socket chunks (~64 KiB) are copied into 1 MiB slabs reused within the request: one
 *   positional write per MiB, and the chunks are garbage at once instead of being held until
 *   their write ends (fresh memory costs page faults, which this machine's hypervisor makes dear);
 * - up to WRITES_IN_FLIGHT slab writes run in the thread pool while the next slab fills;
 * - every SYNC_EVERY_BYTES written, a datasync starts in the background, so the disk writes the
 *   body while it arrives: the commit's fsync then waits only for the tail, and no later fsync
 *   (SQLite's, on the event loop) finds hundreds of MiB of this file still to write.
 * A body that fails leaves its bytes past `offset` behind; the caller truncates them.
 */
import type { FileHandle } from 'node:fs/promises';

const SLAB_BYTES = 1 << 20;
/** Slab writes of one body in the thread pool at once. */
const WRITES_IN_FLIGHT = 2;
/** Bytes written between two background datasyncs. */
const SYNC_EVERY_BYTES = 8 << 20;

/** Writes `body` at `offset`; resolves to the bytes written once all of them are (or rejects with the first failure). */
export async function writeBody(handle: FileHandle, offset: number, body: AsyncIterable<Uint8Array>): Promise<number> {
  const free: Buffer[] = [];
  let slab: Buffer | undefined;
  let filled = 0;
  let queued = 0;
  let written = 0;
  let syncedTo = 0;
  let syncing: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const fail = (error: unknown) => {
    failure ??= { error };
  };

  const writeSlab = () => {
    if (!slab || filled === 0) return;
    const full = slab;
    const bytes = filled;
    const write = writeFully(handle, full.subarray(0, bytes), offset + queued).then(() => {
      written += bytes;
      free.push(full);
    }, fail);
    queued += bytes;
    slab = undefined;
    filled = 0;
    const tracked = write.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const syncInBackground = () => {
    if (syncing || written - syncedTo < SYNC_EVERY_BYTES) return;
    syncedTo = written;
    syncing = handle.datasync().then(() => {
      syncing = undefined;
    }, fail);
  };

  try {
    for await (const chunk of body) {
      if (failure) break;
      for (let at = 0; at < chunk.byteLength; ) {
        slab ??= free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
        const n = Math.min(chunk.byteLength - at, SLAB_BYTES - filled);
        slab.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled < SLAB_BYTES) continue;
        writeSlab();
        syncInBackground();
        if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
      }
    }
    if (!failure) writeSlab();
  } finally {
    // Every write and sync settles before the caller truncates or closes the file.
    await Promise.all(inFlight);
    await syncing;
  }
  if (failure) throw failure.error;
  return written;
}

/** Writes all of `bytes` at `position`, however many calls the kernel needs. */
async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}
