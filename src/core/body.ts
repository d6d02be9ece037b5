/** Helpers for request bodies, which reach the core as async iterables of bytes. */
import { RegistryError } from './errors.js';

export const EMPTY_BODY: AsyncIterable<Uint8Array> = {
  async *[Symbol.asyncIterator]() {},
};

/** True when the request announces a body (a non-zero Content-Length or chunked encoding). */
export function hasBody(headers: Record<string, string | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length.trim() !== '0';
  return headers['transfer-encoding'] !== undefined;
}

/** Parses Content-Length; undefined when absent. */
export function declaredLength(headers: Record<string, string | undefined>): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new RegistryError('SIZE_INVALID', `invalid Content-Length "${raw.slice(0, 30)}"`);
  }
  return Number(raw.trim());
}

/**
 * Passes the body through, feeding every chunk to `onChunk` (waiting when it returns a promise)
 * and failing once more than `limit` bytes arrive (so an oversize body is refused before it is all read).
 */
export async function* tap(
  body: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
  limit = Number.POSITIVE_INFINITY,
  tooLarge: () => Error = () => new RegistryError('SIZE_INVALID', `request body is larger than ${limit} bytes`),
): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.byteLength;
    if (seen > limit) throw tooLarge();
    const wait = onChunk(chunk);
    if (wait) await wait;
    yield chunk;
  }
}

/** Reads a whole (bounded) body into memory. */
export async function readAll(body: AsyncIterable<Uint8Array>, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of tap(body, () => {}, limit, tooLarge)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
