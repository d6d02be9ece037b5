/**
 * Writes a body whose chunks go back to their source once they are on the socket
 * (RecyclingBody, e.g. a blob file: src/adapters/embedded/file-body.ts), so a large GET cycles
 * through a couple of buffers instead of allocating one per chunk. Each chunk is written as it
 * is, with no transform stream in between; the next one is asked for once the socket drained.
 */
import type { ServerResponse } from 'node:http';
import type { RecyclingBody } from '../../ports/blob-store.js';

export function isRecycling(body: unknown): body is RecyclingBody {
  return typeof (body as Partial<RecyclingBody> | null)?.recycle === 'function' && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Resolves when the response can take more, rejects when it closed first (the client went away). */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the response closed before its body was written'));
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the response closed before its body was written'));
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Writes every chunk, counting each with `wrote`, then ends the response; leaving early (a throw) closes the body's source. */
export async function writeRecycled(body: RecyclingBody, res: ServerResponse, wrote: (bytes: number) => void): Promise<void> {
  for await (const chunk of body) {
    wrote(chunk.byteLength);
    // The callback runs once the socket has taken the bytes: only then may the buffer be reused.
    if (!res.write(chunk, () => body.recycle(chunk))) await drained(res);
  }
  res.end();
}
