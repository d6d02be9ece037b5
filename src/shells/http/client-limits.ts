/**
 * Limits that keep slow or greedy clients from starving everyone else (issue 12, item 2): how
 * long headers may take, how long a body may stay silent, and how many connections and bodies
 * in flight one client address may hold. A trickling client otherwise holds a socket and, for an
 * upload, an open file until the process runs out of descriptors and every client is reset.
 *
 * The numbers are settings (src/config/settings.ts); this module applies them to the node server.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { RegistryError } from '../../core/errors.js';
import { errorResponse } from '../../core/error-response.js';
import { SETTINGS } from '../../config/settings.js';
import { closeLingering, writeRawResponse } from './socket-answers.js';

export interface ClientLimits {
  /** Headers not complete this long after they began: 408, connection closed. 0: off. */
  headersTimeoutMs: number;
  /** A body silent this long ends its request (BODY_STALLED). 0: off. */
  bodyIdleTimeoutMs: number;
  /** Connections one address may hold; 0: no cap. */
  connectionsPerAddress: number;
  /** Requests with a body one address may have in flight; 0: no cap. */
  uploadsPerAddress: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  headersTimeoutMs: SETTINGS.headersTimeout.default * 1000,
  bodyIdleTimeoutMs: SETTINGS.bodyIdleTimeout.default * 1000,
  connectionsPerAddress: SETTINGS.connectionsPerAddress.default,
  uploadsPerAddress: SETTINGS.uploadsPerAddress.default,
};

/** How often node sweeps for expired header timeouts: often enough that a 408 comes on time. */
export function connectionsCheckingIntervalMs(limits: ClientLimits): number {
  return limits.headersTimeoutMs > 0 ? Math.max(250, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))) : 30_000;
}

/** Counts per client address; a count that drops to 0 is forgotten, so the map stays small. */
export class AddressCounts {
  private readonly counts = new Map<string, number>();

  /** Takes one slot for `address` unless it holds `cap` already (0: no cap); true when taken. */
  take(address: string, cap: number): boolean {
    const n = this.counts.get(address) ?? 0;
    if (cap > 0 && n >= cap) return false;
    this.counts.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = (this.counts.get(address) ?? 1) - 1;
    if (n <= 0) this.counts.delete(address);
    else this.counts.set(address, n);
  }
}

const TOO_MANY_CONNECTIONS = new RegistryError('TOOMANYREQUESTS', 'too many connections from this address: close idle ones and retry', { retryAfterSeconds: 5 });

/**
 * Caps connections per client address. A connection over the cap is answered 429 at once (a
 * trickler may never finish its headers) and closed after a lingering wait, so the client reads
 * the answer rather than a reset; on HTTPS, where no answer can precede the handshake, it is
 * dropped.
 */
export function capConnections(server: Server, limits: ClientLimits, tls: boolean): void {
  if (limits.connectionsPerAddress <= 0) return;
  const open = new AddressCounts();
  // Before node's own listener, so a refused socket is never handed a parser that answers it too.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (open.take(address, limits.connectionsPerAddress)) {
      socket.once('close', () => open.release(address));
      return;
    }
    refusedSockets.add(socket);
    // Before the handshake an HTTPS connection can carry no answer: it is dropped.
    if (tls) {
      socket.destroy();
      return;
    }
    writeRawResponse(socket, errorResponse(TOO_MANY_CONNECTIONS));
    closeLingering(socket);
  });
}

/** Sockets answered 429 by capConnections: requests the parser still delivers on them are ignored. */
export const refusedSockets = new WeakSet<Socket>();

/** Whether a request carries a body (and so holds a socket and, for an upload, a file while it streams). */
export function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A request body that fails with BODY_STALLED when no bytes arrive for `idleMs` while the core
 * waits for them. Time the core spends on a chunk (writing it to disk) does not count. The core's
 * upload code then truncates to the last good offset and closes its file, so the session stays
 * resumable and the descriptor is released.
 */
export function idleGuarded(body: AsyncIterable<Uint8Array>, idleMs: number): AsyncIterable<Uint8Array> {
  if (idleMs <= 0) return body;
  return {
    async *[Symbol.asyncIterator]() {
      const source = body[Symbol.asyncIterator]();
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RegistryError('BODY_STALLED', `the request body sent no byte for ${idleMs / 1000} s: retry or resume the upload`)), idleMs);
        });
        let next: IteratorResult<Uint8Array>;
        try {
          next = await Promise.race([source.next(), stalled]);
        } finally {
          clearTimeout(timer);
        }
        if (next.done) return;
        yield next.value;
      }
    },
  };
}
